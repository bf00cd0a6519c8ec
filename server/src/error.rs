//! The HTTP error: DESIGN.md section 4's status and envelope for every
//! failure, the core's and the server's own.
//!
//! `{"error": {"code", "message", "details"}}`. The core's errors map by an
//! exhaustive `match` (no `_` arm: a new variant must be decided here);
//! `INTERNAL` and `STORE_UNAVAILABLE` details stay in the log.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde_json::{Value, json};
use utoipa::ToSchema;

/// An error answer: status, stable code, message and details.
#[derive(Debug, Clone)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
    pub details: Value,
    /// Seconds for `Retry-After` (429, 503).
    pub retry_after_s: Option<u64>,
}

/// The body of every error answer.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorBody {
    pub error: ErrorObject,
}

/// `code` is one of DESIGN.md section 4's stable codes.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorObject {
    #[schema(example = "CONFLICT")]
    pub code: String,
    pub message: String,
    /// Structured part: `field` for input errors, `conflicts` for `CONFLICT`,
    /// `current_version` for `VERSION_MISMATCH`, `index` for a batch item.
    #[schema(value_type = Object)]
    pub details: Value,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>, details: Value) -> Self {
        ApiError { status, code, message: message.into(), details, retry_after_s: None }
    }

    /// 400 `INVALID_INPUT` naming the field.
    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        let field = field.into();
        let message = message.into();
        let text = if field.is_empty() { message } else { format!("invalid {field}: {message}") };
        ApiError::new(StatusCode::BAD_REQUEST, "INVALID_INPUT", text, json!({ "field": field }))
    }

    pub fn unauthenticated() -> Self {
        ApiError::new(
            StatusCode::UNAUTHORIZED,
            "UNAUTHENTICATED",
            "a valid API key is required: Authorization: Bearer <key>",
            json!({}),
        )
    }

    pub fn forbidden(message: impl Into<String>) -> Self {
        ApiError::new(StatusCode::FORBIDDEN, "FORBIDDEN", message, json!({}))
    }

    /// 404 for a path that names nothing (no route, or an entity this key
    /// may not see).
    pub fn not_found(entity: &str, id: &str) -> Self {
        ApiError::new(
            StatusCode::NOT_FOUND,
            "NOT_FOUND",
            format!("{entity} {id:?} not found"),
            json!({ "entity": entity, "id": id }),
        )
    }

    pub fn rate_limited(retry_after_s: u64) -> Self {
        ApiError {
            retry_after_s: Some(retry_after_s),
            ..ApiError::new(
                StatusCode::TOO_MANY_REQUESTS,
                "RATE_LIMITED",
                format!("too many requests for this key; retry in {retry_after_s} s"),
                json!({ "retry_after_s": retry_after_s }),
            )
        }
    }

    /// 413: the body is over `HTTP_BODY_MAX_BYTES`.
    pub fn body_too_large(max_bytes: usize) -> Self {
        ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "LIMIT_EXCEEDED",
            format!("request body exceeds its limit of {max_bytes} bytes"),
            json!({ "field": "body", "max": max_bytes }),
        )
    }

    /// A bug or an unexpected failure of the server itself: logged, and
    /// answered without the detail.
    pub fn internal(message: impl std::fmt::Display) -> Self {
        tracing::error!(error = %message, "internal error");
        ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "INTERNAL", "internal error", json!({}))
    }

    /// 503 when a request ran past the server's timeout. A write may still
    /// commit after this answer: retry with the same idempotency key.
    pub fn timed_out(timeout_ms: u64) -> Self {
        ApiError {
            retry_after_s: Some(1),
            ..ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "STORE_UNAVAILABLE",
                format!(
                    "request timed out after {timeout_ms} ms; its outcome is unknown, retry with the same Idempotency-Key"
                ),
                json!({ "timeout_ms": timeout_ms }),
            )
        }
    }
}

impl From<holdfast::Error> for ApiError {
    fn from(error: holdfast::Error) -> Self {
        let (status, exposure) = classify(&error);
        let (message, retry_after_s) = match exposure {
            Exposure::Public => (error.to_string(), None),
            Exposure::Bug => {
                tracing::error!(error = %error, "engine internal error");
                ("internal error".to_owned(), None)
            }
            Exposure::Unavailable => {
                tracing::warn!(error = %error, "store unavailable");
                ("store unavailable; retry (with the same Idempotency-Key for creates)".to_owned(), Some(1))
            }
        };
        ApiError { status, code: error.code(), message, details: error.details(), retry_after_s }
    }
}

/// What of an engine error reaches the client.
enum Exposure {
    /// Message and details: they describe the caller's own request.
    Public,
    /// A bug: logged; the client learns only that it happened.
    Bug,
    /// The store's own words may name hosts or files: logged; retryable.
    Unavailable,
}

/// DESIGN.md section 4, one arm per variant (no `_`: a new variant must be
/// decided here).
fn classify(error: &holdfast::Error) -> (StatusCode, Exposure) {
    use holdfast::Error as E;
    match error {
        E::InvalidInput { .. } => (StatusCode::BAD_REQUEST, Exposure::Public),
        E::NotFound { .. } => (StatusCode::NOT_FOUND, Exposure::Public),
        E::AlreadyExists { .. } => (StatusCode::CONFLICT, Exposure::Public),
        E::Conflict { .. } => (StatusCode::CONFLICT, Exposure::Public),
        E::InvalidTransition { .. } => (StatusCode::CONFLICT, Exposure::Public),
        E::HoldExpired { .. } => (StatusCode::CONFLICT, Exposure::Public),
        E::OutsideAvailability { .. } => (StatusCode::CONFLICT, Exposure::Public),
        E::IdempotencyMismatch { .. } => (StatusCode::CONFLICT, Exposure::Public),
        E::VersionMismatch { .. } => (StatusCode::PRECONDITION_FAILED, Exposure::Public),
        E::LimitExceeded { .. } => (StatusCode::BAD_REQUEST, Exposure::Public),
        E::StoreUnavailable { .. } => (StatusCode::SERVICE_UNAVAILABLE, Exposure::Unavailable),
        E::Internal { .. } => (StatusCode::INTERNAL_SERVER_ERROR, Exposure::Bug),
        E::InBatch { source, .. } => classify(source),
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = ErrorBody {
            error: ErrorObject { code: self.code.to_owned(), message: self.message, details: self.details },
        };
        let mut response = (self.status, axum::Json(body)).into_response();
        if let Some(seconds) = self.retry_after_s {
            response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        if self.status == StatusCode::UNAUTHORIZED {
            response.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        // The code travels in the extensions too, for the metrics layer.
        response.extensions_mut().insert(ErrorCode(self.code));
        response
    }
}

/// The stable code of an error answer, for middleware (metrics).
#[derive(Debug, Clone, Copy)]
pub struct ErrorCode(pub &'static str);

pub type ApiResult<T> = Result<T, ApiError>;

#[cfg(test)]
mod tests {
    use holdfast::{ConflictingBooking, Error as E, Interval, Status, Timestamp};

    use super::*;

    fn answer(error: E) -> (u16, &'static str, String, Value, Option<u64>) {
        let e = ApiError::from(error);
        (e.status.as_u16(), e.code, e.message, e.details, e.retry_after_s)
    }

    #[test]
    fn every_core_error_maps_to_the_designed_status() {
        let at = Timestamp::from_micros(0);
        let interval = Interval { start: at, end: Timestamp::from_micros(1) };
        let conflict = ConflictingBooking {
            id: "b".into(),
            resource_id: "r".into(),
            status: Status::Confirmed,
            interval,
            quantity: 1,
        };
        let cases: Vec<(E, u16, &str)> = vec![
            (E::InvalidInput { field: "start".into(), message: "bad".into() }, 400, "INVALID_INPUT"),
            (E::NotFound { entity: "booking", id: "x".into() }, 404, "NOT_FOUND"),
            (E::AlreadyExists { entity: "booking", id: "x".into() }, 409, "ALREADY_EXISTS"),
            (E::Conflict { resource_id: "r".into(), conflicts: vec![conflict] }, 409, "CONFLICT"),
            (
                E::InvalidTransition { id: "x".into(), status: Status::Cancelled, action: "confirm" },
                409,
                "INVALID_TRANSITION",
            ),
            (E::HoldExpired { id: "x".into(), expired_at: at }, 409, "HOLD_EXPIRED"),
            (
                E::OutsideAvailability { resource_id: "r".into(), interval, reasons: vec![] },
                409,
                "OUTSIDE_AVAILABILITY",
            ),
            (E::IdempotencyMismatch { key: "k".into() }, 409, "IDEMPOTENCY_MISMATCH"),
            (
                E::VersionMismatch { entity: "booking", id: "x".into(), expected_version: 1, current_version: 2 },
                412,
                "VERSION_MISMATCH",
            ),
            (E::LimitExceeded { field: "title".into(), max: 1, actual: 2 }, 400, "LIMIT_EXCEEDED"),
            (E::StoreUnavailable { message: "db.internal:5432 refused".into() }, 503, "STORE_UNAVAILABLE"),
            (E::Internal { message: "invariant broken at row 7".into() }, 500, "INTERNAL"),
        ];
        for (error, status, code) in cases {
            let batch = E::InBatch { index: 3, source: Box::new(error.clone()) };
            let (s, c, _, details, _) = answer(error);
            assert_eq!((s, c), (status, code));
            let (bs, bc, _, batch_details, _) = answer(batch);
            assert_eq!((bs, bc), (status, code), "a batch item's error keeps its status");
            assert_eq!(batch_details["index"], 3);
            assert!(details.is_object());
        }
    }

    #[test]
    fn internals_and_store_words_stay_in_the_log() {
        let (_, _, message, details, retry) = answer(E::Internal { message: "invariant broken at row 7".into() });
        assert_eq!(message, "internal error");
        assert_eq!(details, serde_json::json!({}));
        assert_eq!(retry, None);
        let (_, _, message, _, retry) = answer(E::StoreUnavailable { message: "db.internal:5432 refused".into() });
        assert!(!message.contains("db.internal"), "{message}");
        assert_eq!(retry, Some(1));
        let (_, _, message, details, _) =
            answer(E::VersionMismatch { entity: "booking", id: "x".into(), expected_version: 1, current_version: 2 });
        assert!(message.contains("version 2"), "{message}");
        assert_eq!(details["current_version"], 2);
    }

    #[test]
    fn retry_after_and_www_authenticate_headers() {
        let r = ApiError::rate_limited(7).into_response();
        assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(r.headers()[header::RETRY_AFTER], "7");
        let r = ApiError::unauthenticated().into_response();
        assert_eq!(r.headers()[header::WWW_AUTHENTICATE], "Bearer");
    }
}
