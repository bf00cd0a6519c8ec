//! One error type with stable codes (DESIGN.md section 4).
//!
//! Codes are append-only: bindings and the server map them exhaustively, so
//! adding a variant forces every edge to decide what to do with it.

use serde::Serialize;
use serde_json::{Value, json};

use crate::model::{Interval, Status, Timestamp};

/// Result with the engine's error.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// A booking that stands in the way of a request, as reported by `CONFLICT`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ConflictingBooking {
    /// The blocking booking's id.
    pub id: String,
    /// Its resource.
    pub resource_id: String,
    /// Its status (`hold`, `pencil` or `confirmed`).
    pub status: Status,
    /// Its own interval, without buffers.
    pub interval: Interval,
    /// The capacity units it takes.
    pub quantity: u32,
}

/// Every way an engine call can fail.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum Error {
    /// A malformed value; `field` names it (`items[3].start`, `capacity`).
    #[error("invalid {field}: {message}")]
    InvalidInput { field: String, message: String },
    /// No such tenant, resource, project or booking in this tenant.
    #[error("{entity} {id:?} not found")]
    NotFound { entity: &'static str, id: String },
    /// The id is taken by a different entity.
    #[error("{entity} {id:?} already exists with a different body")]
    AlreadyExists { entity: &'static str, id: String },
    /// Capacity would be exceeded; lists every booking in the way.
    #[error("capacity of resource {resource_id:?} would be exceeded by {} booking(s)", conflicts.len())]
    Conflict { resource_id: String, conflicts: Vec<ConflictingBooking> },
    /// The action is not allowed from the booking's current status.
    #[error("cannot {action} booking {id:?} in status {status}")]
    InvalidTransition { id: String, status: Status, action: &'static str },
    /// The hold ran out before the action (and is now `expired`).
    #[error("hold {id:?} expired at {expired_at}")]
    HoldExpired { id: String, expired_at: Timestamp },
    /// A strict resource's working hours do not cover the interval; the
    /// reasons say which parts and why.
    #[error("resource {resource_id:?} is not working over {interval}")]
    OutsideAvailability { resource_id: String, interval: Interval, reasons: Vec<crate::model::Reason> },
    /// The idempotency key was used for a different request.
    #[error("idempotency key {key:?} was used for a different request")]
    IdempotencyMismatch { key: String },
    /// Optimistic lock failed.
    #[error("{entity} {id:?} is at version {current_version}, not {expected_version}")]
    VersionMismatch { entity: &'static str, id: String, expected_version: i64, current_version: i64 },
    /// A limit of `limits.rs` was exceeded.
    #[error("{field} exceeds its limit: {actual} > {max}")]
    LimitExceeded { field: String, max: i64, actual: i64 },
    /// The store is down, busy or full past its timeout; nothing was written.
    #[error("store unavailable: {message}")]
    StoreUnavailable { message: String },
    /// A bug: a broken invariant or an unexpected store answer. Never bad input.
    #[error("internal error: {message}")]
    Internal { message: String },
    /// One item of `create_bookings` failed; nothing of the batch was written.
    #[error("item {index}: {source}")]
    InBatch { index: usize, source: Box<Error> },
}

impl Error {
    /// The stable code of DESIGN.md section 4.
    pub fn code(&self) -> &'static str {
        match self {
            Error::InvalidInput { .. } => "INVALID_INPUT",
            Error::NotFound { .. } => "NOT_FOUND",
            Error::AlreadyExists { .. } => "ALREADY_EXISTS",
            Error::Conflict { .. } => "CONFLICT",
            Error::InvalidTransition { .. } => "INVALID_TRANSITION",
            Error::HoldExpired { .. } => "HOLD_EXPIRED",
            Error::OutsideAvailability { .. } => "OUTSIDE_AVAILABILITY",
            Error::IdempotencyMismatch { .. } => "IDEMPOTENCY_MISMATCH",
            Error::VersionMismatch { .. } => "VERSION_MISMATCH",
            Error::LimitExceeded { .. } => "LIMIT_EXCEEDED",
            Error::StoreUnavailable { .. } => "STORE_UNAVAILABLE",
            Error::Internal { .. } => "INTERNAL",
            Error::InBatch { source, .. } => source.code(),
        }
    }

    /// Structured details for the edges (`details` in Node, Python and HTTP).
    pub fn details(&self) -> Value {
        match self {
            Error::InvalidInput { field, .. } => json!({ "field": field }),
            Error::NotFound { entity, id } | Error::AlreadyExists { entity, id } => {
                json!({ "entity": entity, "id": id })
            }
            Error::Conflict { resource_id, conflicts } => {
                json!({ "resource_id": resource_id, "conflicts": conflicts })
            }
            Error::InvalidTransition { id, status, action } => {
                json!({ "id": id, "status": status, "action": action })
            }
            Error::HoldExpired { id, expired_at } => json!({ "id": id, "expired_at": expired_at }),
            Error::OutsideAvailability { resource_id, interval, reasons } => {
                json!({ "resource_id": resource_id, "interval": interval, "reasons": reasons })
            }
            Error::IdempotencyMismatch { key } => json!({ "idempotency_key": key }),
            Error::VersionMismatch { entity, id, expected_version, current_version } => json!({
                "entity": entity,
                "id": id,
                "expected_version": expected_version,
                "current_version": current_version,
            }),
            Error::LimitExceeded { field, max, actual } => {
                json!({ "field": field, "max": max, "actual": actual })
            }
            Error::StoreUnavailable { .. } | Error::Internal { .. } => json!({}),
            Error::InBatch { index, source } => {
                let mut details = source.details();
                if let Value::Object(map) = &mut details {
                    map.insert("index".into(), json!(index));
                }
                details
            }
        }
    }

    /// The error without its batch wrapper.
    pub fn root(&self) -> &Error {
        match self {
            Error::InBatch { source, .. } => source.root(),
            other => other,
        }
    }

    pub(crate) fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        Error::InvalidInput { field: field.into(), message: message.into() }
    }

    pub(crate) fn internal(message: impl Into<String>) -> Self {
        Error::Internal { message: message.into() }
    }

    pub(crate) fn unavailable(message: impl Into<String>) -> Self {
        Error::StoreUnavailable { message: message.into() }
    }

    pub(crate) fn limit(field: impl Into<String>, max: usize, actual: usize) -> Self {
        let clamp = |v: usize| i64::try_from(v).unwrap_or(i64::MAX);
        Error::LimitExceeded { field: field.into(), max: clamp(max), actual: clamp(actual) }
    }

    /// Prefixes the field of an input or limit error (`items[3].` + `start`).
    pub(crate) fn in_field(self, prefix: &str) -> Self {
        match self {
            Error::InvalidInput { field, message } => {
                Error::InvalidInput { field: format!("{prefix}{field}"), message }
            }
            Error::LimitExceeded { field, max, actual } => {
                Error::LimitExceeded { field: format!("{prefix}{field}"), max, actual }
            }
            other => other,
        }
    }
}
