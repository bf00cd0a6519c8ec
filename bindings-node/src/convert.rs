//! Scalars between JS and the core: instants, numbers, durations.
//!
//! Conversion only. A value that cannot be represented in the core's type
//! (an invalid `Date`, `1.5` for a count, a naive date-time string) is
//! `INVALID_INPUT` naming the field as the core names it; whether a
//! representable value is acceptable (in range, positive, ...) is the
//! core's decision.

use chrono::{DateTime, TimeDelta, Utc};
use holdfast::{Error, Result, Timestamp};
use napi::JsDate;
use napi::bindgen_prelude::Either;

/// A JS instant: a `Date` or an ISO-8601 string with an offset.
pub(crate) type Instant<'a> = Either<JsDate<'a>, String>;

/// Largest integer a JS number holds exactly (`Number.MAX_SAFE_INTEGER`).
const SAFE_INTEGER_MAX: f64 = 9_007_199_254_740_991.0;
const MICROS_PER_MILLI: i64 = 1_000;

pub(crate) fn invalid(field: &str, message: impl Into<String>) -> Error {
    Error::InvalidInput { field: field.into(), message: message.into() }
}

/// Renames the field of an input error the core raised about a value it
/// parsed without knowing where it came from (`Timestamp::parse` says
/// "timestamp").
fn in_field(error: Error, field: &str) -> Error {
    match error {
        Error::InvalidInput { message, .. } => invalid(field, message),
        other => other,
    }
}

/// A `Date` (whole milliseconds) or a string parsed by the core
/// (RFC 3339 with an offset, microsecond precision).
pub(crate) fn instant(field: &str, value: &Instant<'_>) -> Result<Timestamp> {
    match value {
        Either::A(date) => {
            let ms = date.value_of().map_err(|e| invalid(field, e.reason.clone()))?;
            if !ms.is_finite() {
                return Err(invalid(field, "Invalid Date"));
            }
            // A valid Date is a whole number of ms within +-8.64e15, so the
            // product fits an i64.
            Ok(Timestamp::from_micros((ms as i64) * MICROS_PER_MILLI))
        }
        Either::B(text) => Timestamp::parse(text).map_err(|e| in_field(e, field)),
    }
}

pub(crate) fn opt_instant(field: &str, value: Option<&Instant<'_>>) -> Result<Option<Timestamp>> {
    value.map(|v| instant(field, v)).transpose()
}

/// A JS number that must be an integer of type `T`.
pub(crate) fn whole<T: TryFrom<i64>>(field: &str, value: f64) -> Result<T> {
    if !value.is_finite() || value.fract() != 0.0 || value.abs() > SAFE_INTEGER_MAX {
        return Err(invalid(field, format!("{value} is not a whole number")));
    }
    T::try_from(value as i64).map_err(|_| invalid(field, format!("{value} is out of range")))
}

pub(crate) fn opt_whole<T: TryFrom<i64>>(field: &str, value: Option<f64>) -> Result<Option<T>> {
    value.map(|v| whole(field, v)).transpose()
}

/// Milliseconds (JS's unit) as a duration of whole microseconds (the
/// core's): `1.5` is 1,500 us; `0.0001` is finer than the core keeps.
pub(crate) fn duration_ms(field: &str, ms: f64) -> Result<TimeDelta> {
    let us = ms * MICROS_PER_MILLI as f64;
    let rounded = us.round();
    // Tolerate the binary representation of decimal milliseconds (1.234).
    if !us.is_finite() || (us - rounded).abs() > 1e-6 * rounded.abs().max(1.0) {
        return Err(invalid(field, format!("{ms} ms is not a whole number of microseconds")));
    }
    if rounded.abs() > SAFE_INTEGER_MAX {
        return Err(invalid(field, format!("{ms} ms is out of range")));
    }
    Ok(TimeDelta::microseconds(rounded as i64))
}

pub(crate) fn opt_duration_ms(field: &str, ms: Option<f64>) -> Result<Option<TimeDelta>> {
    ms.map(|v| duration_ms(field, v)).transpose()
}

/// An instant out: a JS `Date` (milliseconds; finer digits are dropped,
/// the way `Date` itself drops them).
pub(crate) fn date(at: Timestamp) -> Result<DateTime<Utc>> {
    at.to_datetime().ok_or_else(|| Error::Internal { message: format!("instant {at} outside the date range") })
}

pub(crate) fn opt_date(at: Option<Timestamp>) -> Result<Option<DateTime<Utc>>> {
    at.map(date).transpose()
}

/// A duration out, in (possibly fractional) milliseconds.
pub(crate) fn ms(delta: TimeDelta) -> f64 {
    micros_to_ms(delta.num_microseconds().unwrap_or(i64::MAX))
}

pub(crate) fn micros_to_ms(us: i64) -> f64 {
    us as f64 / MICROS_PER_MILLI as f64
}

/// An enum of the core out as its stable serialized name.
pub(crate) fn name<T: serde::Serialize>(value: &T) -> Result<String> {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::String(name)) => Ok(name),
        other => Err(Error::Internal { message: format!("not a named value: {other:?}") }),
    }
}

/// A stable name in: the core's own parser (serde) decides what it means.
pub(crate) fn parse_name<T: serde::de::DeserializeOwned>(field: &str, name: &str) -> Result<T> {
    serde_json::from_value(serde_json::Value::String(name.into())).map_err(|e| invalid(field, e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_convert_only_when_representable() {
        assert_eq!(whole::<u32>("quantity", 3.0), Ok(3));
        assert_eq!(whole::<u32>("quantity", 1.5).unwrap_err().code(), "INVALID_INPUT");
        assert_eq!(whole::<u32>("quantity", -1.0).unwrap_err().code(), "INVALID_INPUT");
        assert_eq!(whole::<u32>("quantity", f64::NAN).unwrap_err().code(), "INVALID_INPUT");
        assert_eq!(whole::<i64>("since", 2f64.powi(60)).unwrap_err().code(), "INVALID_INPUT");
        assert_eq!(duration_ms("hold_ttl", 1.234), Ok(TimeDelta::microseconds(1_234)));
        assert_eq!(duration_ms("hold_ttl", -5.0), Ok(TimeDelta::microseconds(-5_000)));
        assert_eq!(duration_ms("hold_ttl", 0.0001).unwrap_err().code(), "INVALID_INPUT");
        assert_eq!(duration_ms("hold_ttl", f64::INFINITY).unwrap_err().code(), "INVALID_INPUT");
        assert_eq!(ms(TimeDelta::microseconds(1_500)), 1.5);
    }

    #[test]
    fn strings_are_parsed_by_the_core_and_keep_the_field() {
        let naive = instant("start", &Either::B("2026-12-01T09:00:00".into())).unwrap_err();
        assert_eq!(naive.code(), "INVALID_INPUT");
        assert_eq!(naive.details()["field"], "start");
        let aware = instant("start", &Either::B("2026-12-01T09:00:00.000001+01:00".into())).unwrap();
        assert_eq!(aware, Timestamp::parse("2026-12-01T08:00:00.000001Z").unwrap());
    }
}
