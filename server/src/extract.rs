//! Request extractors whose every rejection is the API's error envelope:
//! malformed JSON, a wrong type or an unknown field is 400 `INVALID_INPUT`
//! naming the field (`items[3].start`), an oversized body 413, never a 500.

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode, header};
use serde::de::DeserializeOwned;

use crate::error::{ApiError, ApiResult};

/// A JSON body.
#[derive(Debug)]
pub struct Json<T>(pub T);

/// A JSON body that may be absent (empty): `None` then.
#[derive(Debug)]
pub struct OptionalJson<T>(pub Option<T>);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for Json<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> ApiResult<Self> {
        let bytes = body_bytes(req, state).await?;
        parse_json(&bytes).map(Json)
    }
}

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for OptionalJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> ApiResult<Self> {
        let bytes = body_bytes(req, state).await?;
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Ok(OptionalJson(None));
        }
        parse_json(&bytes).map(|v| OptionalJson(Some(v)))
    }
}

async fn body_bytes<S: Send + Sync>(req: Request, state: &S) -> ApiResult<Bytes> {
    let declared_json =
        req.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).is_none_or(|ct| {
            ct.split(';').next().is_some_and(|mime| mime.trim().eq_ignore_ascii_case("application/json"))
        });
    if !declared_json {
        return Err(ApiError::invalid("content-type", "the body must be application/json"));
    }
    Bytes::from_request(req, state).await.map_err(bytes_rejection)
}

fn bytes_rejection(rejection: BytesRejection) -> ApiError {
    if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
        ApiError::body_too_large(holdfast::limits::HTTP_BODY_MAX_BYTES)
    } else {
        ApiError::invalid("body", rejection.body_text())
    }
}

/// Parses JSON, naming the offending field on failure.
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> ApiResult<T> {
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let value = serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        match inner.classify() {
            serde_json::error::Category::Data => field_error(&path, &inner.to_string()),
            serde_json::error::Category::Syntax
            | serde_json::error::Category::Eof
            | serde_json::error::Category::Io => ApiError::invalid("body", format!("malformed JSON: {inner}")),
        }
    })?;
    de.end().map_err(|e| ApiError::invalid("body", format!("malformed JSON: {e}")))?;
    Ok(value)
}

/// Parses a query string, naming the offending parameter on failure.
pub fn parse_query<T: DeserializeOwned>(query: &str) -> ApiResult<T> {
    let de = serde_urlencoded::Deserializer::new(form_urlencoded::parse(query.as_bytes()));
    serde_path_to_error::deserialize(de).map_err(|e| {
        let path = e.path().to_string();
        field_error(&path, &e.into_inner().to_string())
    })
}

/// A serde data error as `INVALID_INPUT` on the field it concerns. serde
/// reports a missing or unknown field at its parent, naming it only in the
/// message (`missing field `start``): that name completes the path.
fn field_error(path: &str, message: &str) -> ApiError {
    let base = if path == "." { "" } else { path };
    let named = ["missing field `", "unknown field `"].iter().find_map(|prefix| {
        let rest = message.strip_prefix(prefix)?;
        rest.split('`').next()
    });
    let field = match named {
        Some(name) if base.is_empty() => name.to_owned(),
        Some(name) if !base.ends_with(name) => format!("{base}.{name}"),
        _ => base.to_owned(),
    };
    // An empty path, or one into a top-level array where an object was
    // expected, is about the body as a whole.
    let field = if field.is_empty() || field.starts_with('[') { "body".to_owned() } else { field };
    ApiError::invalid(field, strip_position(message))
}

/// serde_json appends "at line 1 column 42"; the field says where.
fn strip_position(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(at) => message[..at].to_owned(),
        None => message.to_owned(),
    }
}

/// A query string.
#[derive(Debug)]
pub struct Query<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for Query<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> ApiResult<Self> {
        parse_query(parts.uri.query().unwrap_or("")).map(Query)
    }
}

/// Path parameters.
#[derive(Debug)]
pub struct Path<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned + Send> FromRequestParts<S> for Path<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> ApiResult<Self> {
        axum::extract::Path::<T>::from_request_parts(parts, state)
            .await
            .map(|axum::extract::Path(v)| Path(v))
            .map_err(|e| ApiError::invalid("path", e.body_text()))
    }
}

/// `If-Match: "<version>"` as an expected version; absent or `*` = none.
#[derive(Debug, Clone, Copy, Default)]
pub struct IfMatch(pub Option<i64>);

impl<S: Send + Sync> FromRequestParts<S> for IfMatch {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> ApiResult<Self> {
        if_match(&parts.headers).map(IfMatch)
    }
}

fn if_match(headers: &HeaderMap) -> ApiResult<Option<i64>> {
    let mut values = headers.get_all(header::IF_MATCH).iter();
    let Some(value) = values.next() else { return Ok(None) };
    let bad = || ApiError::invalid("If-Match", "expected one strong entity tag: the version in quotes, e.g. \"3\"");
    if values.next().is_some() {
        return Err(bad());
    }
    let text = value.to_str().map_err(|_| bad())?.trim();
    if text == "*" {
        return Ok(None);
    }
    let inner = text.strip_prefix('"').and_then(|t| t.strip_suffix('"')).unwrap_or(text);
    inner.parse::<i64>().map(Some).map_err(|_| bad())
}

/// The `ETag` of a versioned entity.
pub fn etag(version: i64) -> String {
    format!("\"{version}\"")
}

/// Header and body forms of one value must agree.
pub fn one_of<T: PartialEq + std::fmt::Debug>(
    field: &str,
    header_value: Option<T>,
    body_value: Option<T>,
) -> ApiResult<Option<T>> {
    match (header_value, body_value) {
        (Some(h), Some(b)) if h != b => {
            Err(ApiError::invalid(field, format!("header says {h:?}, body says {b:?}; give one, or the same")))
        }
        (Some(h), _) => Ok(Some(h)),
        (None, b) => Ok(b),
    }
}

/// `Idempotency-Key` header.
#[derive(Debug, Clone, Default)]
pub struct IdempotencyKey(pub Option<String>);

impl<S: Send + Sync> FromRequestParts<S> for IdempotencyKey {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> ApiResult<Self> {
        match parts.headers.get("idempotency-key") {
            None => Ok(IdempotencyKey(None)),
            Some(v) => v
                .to_str()
                .map(|s| IdempotencyKey(Some(s.to_owned())))
                .map_err(|_| ApiError::invalid("Idempotency-Key", "must be visible ASCII")),
        }
    }
}
