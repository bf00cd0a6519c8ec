//! The core's errors as JS errors: `code` (DESIGN.md section 4), `message`
//! and `details` (the core's `Error::details()`, as JSON). The package's
//! JS entry (`holdfast.js`) turns them into `HoldfastError` instances.

use holdfast::Error;
use napi::Env;
use napi::bindgen_prelude::{JsObjectValue, JsValue};
use napi_derive::napi;

/// Every code a Holdfast call can fail with (DESIGN.md section 4; the
/// server-only codes never reach Node).
#[napi(string_enum = "UPPER_SNAKE")]
#[derive(Debug, PartialEq, Eq)]
pub enum ErrorCode {
    InvalidInput,
    NotFound,
    AlreadyExists,
    Conflict,
    InvalidTransition,
    HoldExpired,
    OutsideAvailability,
    IdempotencyMismatch,
    VersionMismatch,
    LimitExceeded,
    StoreUnavailable,
    Internal,
}

/// The code of an error: a `match` without a catch-all, so a new variant
/// in the core does not compile here until it is given one.
pub(crate) fn code(error: &Error) -> ErrorCode {
    match error {
        Error::InvalidInput { .. } => ErrorCode::InvalidInput,
        Error::NotFound { .. } => ErrorCode::NotFound,
        Error::AlreadyExists { .. } => ErrorCode::AlreadyExists,
        Error::Conflict { .. } => ErrorCode::Conflict,
        Error::InvalidTransition { .. } => ErrorCode::InvalidTransition,
        Error::HoldExpired { .. } => ErrorCode::HoldExpired,
        Error::OutsideAvailability { .. } => ErrorCode::OutsideAvailability,
        Error::IdempotencyMismatch { .. } => ErrorCode::IdempotencyMismatch,
        Error::VersionMismatch { .. } => ErrorCode::VersionMismatch,
        Error::LimitExceeded { .. } => ErrorCode::LimitExceeded,
        Error::StoreUnavailable { .. } => ErrorCode::StoreUnavailable,
        Error::Internal { .. } => ErrorCode::Internal,
        Error::InBatch { source, .. } => code(source),
    }
}

/// The JS error for `error`: an `Error` with `code`, `message`, `details`.
/// Must run on the JS thread (it creates JS values).
pub(crate) fn to_js(env: &Env, error: &Error) -> napi::Error {
    build(env, error).unwrap_or_else(|failure| failure)
}

fn build(env: &Env, error: &Error) -> napi::Result<napi::Error> {
    let mut object = env.create_error(napi::Error::from_reason(error.to_string()))?;
    object.set_named_property("code", code(error))?;
    object.set_named_property("details", env.to_js_value(&error.details())?)?;
    Ok(napi::Error::from(object.to_unknown()))
}

/// What a call on a closed engine answers: the store is gone for it.
pub(crate) fn closed() -> Error {
    Error::StoreUnavailable { message: "the engine is closed".into() }
}

#[cfg(test)]
mod tests {
    use super::*;
    use holdfast::{ConflictingBooking, Interval, Status, Timestamp};

    /// `ErrorCode` spelled as its JS value (`InvalidInput` -> `INVALID_INPUT`).
    fn js_value(code: &ErrorCode) -> String {
        let mut out = String::new();
        for (i, c) in format!("{code:?}").chars().enumerate() {
            if c.is_uppercase() && i > 0 {
                out.push('_');
            }
            out.push(c.to_ascii_uppercase());
        }
        out
    }

    #[test]
    fn every_variant_maps_to_the_core_code() {
        let at = Timestamp::from_micros(0);
        let interval = Interval { start: at, end: Timestamp::from_micros(1) };
        let conflict =
            ConflictingBooking { id: "b".into(), resource_id: "r".into(), status: Status::Hold, interval, quantity: 1 };
        let errors = vec![
            Error::InvalidInput { field: "f".into(), message: "m".into() },
            Error::NotFound { entity: "booking", id: "b".into() },
            Error::AlreadyExists { entity: "booking", id: "b".into() },
            Error::Conflict { resource_id: "r".into(), conflicts: vec![conflict] },
            Error::InvalidTransition { id: "b".into(), status: Status::Cancelled, action: "confirm" },
            Error::HoldExpired { id: "b".into(), expired_at: at },
            Error::OutsideAvailability { resource_id: "r".into(), interval, reasons: vec![] },
            Error::IdempotencyMismatch { key: "k".into() },
            Error::VersionMismatch { entity: "booking", id: "b".into(), expected_version: 1, current_version: 2 },
            Error::LimitExceeded { field: "f".into(), max: 1, actual: 2 },
            Error::StoreUnavailable { message: "m".into() },
            Error::Internal { message: "m".into() },
            Error::InBatch { index: 3, source: Box::new(Error::IdempotencyMismatch { key: "k".into() }) },
            closed(),
        ];
        for error in &errors {
            assert_eq!(js_value(&code(error)), error.code(), "{error:?}");
        }
    }
}
