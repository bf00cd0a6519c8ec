//! The REST routes under `/api/v1`, one module per part of the core.
//! Each handler: check the caller's role, convert the request, call one
//! core method off the async runtime, convert the answer.

pub mod availability;
pub mod bookings;
pub mod events;
pub mod keys;
pub mod ops;
pub mod projects;
pub mod reports;
pub mod resources;

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use holdfast::{Resource, Tenant};
use serde::Serialize;

use crate::error::{ApiError, ApiResult};
use crate::extract::etag;
use crate::wire::Data;

/// 200 with `{"data": ..., "meta": {}}`.
pub fn ok<T: Serialize>(data: T) -> Response {
    axum::Json(Data::of(data)).into_response()
}

/// 200 with a list envelope (`meta.next_cursor` when there is more).
pub fn page<T: Serialize>(data: Data<Vec<T>>) -> Response {
    axum::Json(data).into_response()
}

/// 201 with the new entity, its `Location` and (if versioned) `ETag`.
pub fn created<T: Serialize>(data: T, location: &str, version: Option<i64>) -> Response {
    let mut response = (StatusCode::CREATED, axum::Json(Data::of(data))).into_response();
    set_header(&mut response, header::LOCATION, location);
    if let Some(version) = version {
        set_header(&mut response, header::ETAG, &etag(version));
    }
    response
}

/// 200 with the entity and its `ETag`.
pub fn versioned<T: Serialize>(data: T, version: i64) -> Response {
    let mut response = ok(data);
    set_header(&mut response, header::ETAG, &etag(version));
    response
}

fn set_header(response: &mut Response, name: header::HeaderName, value: &str) {
    if let Ok(value) = HeaderValue::from_str(value) {
        response.headers_mut().insert(name, value);
    }
}

/// Which resources a route family answers for: `/resources…` all of them,
/// `/artists…` those of kind `artist` (the studio design's paths).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResourceScope {
    Any,
    Kind(&'static str),
}

impl<S: Send + Sync> FromRequestParts<S> for ResourceScope {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        Ok(parts.extensions.get::<ResourceScope>().copied().unwrap_or(ResourceScope::Any))
    }
}

impl ResourceScope {
    pub fn admits(self, resource: &Resource) -> bool {
        match self {
            ResourceScope::Any => true,
            ResourceScope::Kind(kind) => resource.kind == kind,
        }
    }

    /// The resource if this scope answers for it, else 404. Blocking: call
    /// inside `blocking`.
    pub fn resource(self, tenant: &Tenant, id: &str) -> ApiResult<Resource> {
        let resource = tenant.get_resource(id)?;
        if self.admits(&resource) { Ok(resource) } else { Err(self.not_found(id)) }
    }

    /// 404 unless `id` names a resource of this scope (only `/artists…` has
    /// to look; the core answers 404 for unknown resources itself).
    pub fn check(self, tenant: &Tenant, id: &str) -> ApiResult<()> {
        match self {
            ResourceScope::Any => Ok(()),
            ResourceScope::Kind(_) => self.resource(tenant, id).map(|_| ()),
        }
    }

    pub fn not_found(self, id: &str) -> ApiError {
        match self {
            ResourceScope::Any => ApiError::not_found("resource", id),
            ResourceScope::Kind(kind) => ApiError::not_found(kind, id),
        }
    }
}
