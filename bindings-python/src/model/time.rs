//! Instants and durations: aware `datetime` <-> `Timestamp` (UTC out),
//! `timedelta` <-> `TimeDelta`, `date` <-> `NaiveDate`.

use std::time::Duration;

use chrono::{Datelike, NaiveDate, TimeDelta, Timelike};
use holdfast::Timestamp;
use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyDate, PyDateAccess, PyDateTime, PyDelta, PyDeltaAccess, PyTzInfo};

use crate::error::invalid;

const MICROS_PER_SECOND: i128 = 1_000_000;
const MICROS_PER_DAY: i128 = 86_400 * MICROS_PER_SECOND;

static EPOCH: PyOnceLock<Py<PyDateTime>> = PyOnceLock::new();

fn epoch(py: Python<'_>) -> PyResult<&Bound<'_, PyDateTime>> {
    Ok(EPOCH
        .get_or_try_init(py, || {
            let utc = PyTzInfo::utc(py)?;
            PyDateTime::new(py, 1970, 1, 1, 0, 0, 0, 0, Some(&utc)).map(Bound::unbind)
        })?
        .bind(py))
}

pub(crate) fn type_name(value: &Bound<'_, PyAny>) -> String {
    value.get_type().name().map(|n| n.to_string()).unwrap_or_else(|_| "?".into())
}

/// An aware `datetime` (any offset or zone) as a UTC instant. A naive one
/// is `INVALID_INPUT` naming `field`: a local time is never guessed.
pub(crate) fn timestamp(field: &str, value: &Bound<'_, PyAny>) -> PyResult<Timestamp> {
    let py = value.py();
    if !value.is_instance_of::<PyDateTime>() {
        return Err(PyTypeError::new_err(format!(
            "{field}: expected an aware datetime.datetime, got {}",
            type_name(value)
        )));
    }
    // Subtracting an aware epoch applies the value's own offset (zoneinfo,
    // fold and all); Python refuses it for a naive value.
    let delta = match value.sub(epoch(py)?) {
        Ok(delta) => delta,
        Err(e) if e.is_instance_of::<PyTypeError>(py) => {
            return Err(invalid(
                py,
                field,
                "a naive datetime has no offset; give an aware one (e.g. tzinfo=timezone.utc)",
            ));
        }
        Err(e) => return Err(e),
    };
    let micros = delta_micros(delta.cast::<PyDelta>()?);
    i64::try_from(micros).map(Timestamp::from_micros).map_err(|_| invalid(py, field, "out of range"))
}

/// An optional instant (`None` stays `None`).
pub(crate) fn opt_timestamp(field: &str, value: Option<&Bound<'_, PyAny>>) -> PyResult<Option<Timestamp>> {
    value.filter(|v| !v.is_none()).map(|v| timestamp(field, v)).transpose()
}

/// A UTC instant as an aware `datetime` with `tzinfo=timezone.utc`.
pub(crate) fn datetime(py: Python<'_>, at: Timestamp) -> PyResult<Bound<'_, PyAny>> {
    let Some(at) = at.to_datetime() else {
        return Err(crate::error::to_py_err(
            py,
            &holdfast::Error::Internal { message: format!("instant {}us out of datetime range", at.as_micros()) },
        ));
    };
    let utc = PyTzInfo::utc(py)?;
    let dt = PyDateTime::new(
        py,
        at.year(),
        at.month() as u8,
        at.day() as u8,
        at.hour() as u8,
        at.minute() as u8,
        at.second() as u8,
        at.timestamp_subsec_micros(),
        Some(&utc),
    )?;
    Ok(dt.into_any())
}

fn delta_micros(delta: &Bound<'_, PyDelta>) -> i128 {
    i128::from(delta.get_days()) * MICROS_PER_DAY
        + i128::from(delta.get_seconds()) * MICROS_PER_SECOND
        + i128::from(delta.get_microseconds())
}

/// A `timedelta` as a `TimeDelta` (its sign is the core's to judge).
pub(crate) fn duration(field: &str, value: &Bound<'_, PyAny>) -> PyResult<TimeDelta> {
    let py = value.py();
    let delta = value.cast::<PyDelta>().map_err(|_| {
        PyTypeError::new_err(format!("{field}: expected a datetime.timedelta, got {}", type_name(value)))
    })?;
    i64::try_from(delta_micros(delta)).map(TimeDelta::microseconds).map_err(|_| invalid(py, field, "out of range"))
}

/// An optional duration (`None` stays `None`).
pub(crate) fn opt_duration(field: &str, value: Option<&Bound<'_, PyAny>>) -> PyResult<Option<TimeDelta>> {
    value.filter(|v| !v.is_none()).map(|v| duration(field, v)).transpose()
}

/// A `TimeDelta` as a `timedelta`.
pub(crate) fn timedelta(py: Python<'_>, value: TimeDelta) -> PyResult<Bound<'_, PyAny>> {
    let micros = i128::from(value.num_microseconds().unwrap_or(i64::MAX));
    let days = micros.div_euclid(MICROS_PER_DAY);
    let rest = micros.rem_euclid(MICROS_PER_DAY);
    let (seconds, micros) = (rest / MICROS_PER_SECOND, rest % MICROS_PER_SECOND);
    // |days| < 2^63 us / 1 day < 2^27: fits an i32; the rest are bounded above.
    Ok(PyDelta::new(py, days as i32, seconds as i32, micros as i32, false)?.into_any())
}

/// A wait: a `timedelta` or seconds as a number; `None` stays `None`.
pub(crate) fn wait(field: &str, value: Option<&Bound<'_, PyAny>>) -> PyResult<Option<Duration>> {
    let Some(value) = value.filter(|v| !v.is_none()) else { return Ok(None) };
    let py = value.py();
    let seconds = if value.is_instance_of::<PyDelta>() {
        delta_micros(value.cast::<PyDelta>()?) as f64 / MICROS_PER_SECOND as f64
    } else {
        value.extract::<f64>().map_err(|_| {
            PyTypeError::new_err(format!("{field}: expected seconds or a datetime.timedelta, got {}", type_name(value)))
        })?
    };
    if seconds.is_nan() || seconds < 0.0 {
        return Err(invalid(py, field, "must not be negative"));
    }
    Duration::try_from_secs_f64(seconds).map(Some).map_err(|_| invalid(py, field, "out of range"))
}

/// A calendar date: a `datetime.date` (not a datetime) or `"YYYY-MM-DD"`.
pub(crate) fn date(field: &str, value: &Bound<'_, PyAny>) -> PyResult<NaiveDate> {
    let py = value.py();
    if value.is_instance_of::<PyDateTime>() {
        return Err(PyTypeError::new_err(format!("{field}: expected a datetime.date, got a datetime")));
    }
    if let Ok(day) = value.cast::<PyDate>() {
        return NaiveDate::from_ymd_opt(day.get_year(), u32::from(day.get_month()), u32::from(day.get_day()))
            .ok_or_else(|| invalid(py, field, "out of range"));
    }
    let text: String = value.extract().map_err(|_| {
        PyTypeError::new_err(format!("{field}: expected a datetime.date or \"YYYY-MM-DD\", got {}", type_name(value)))
    })?;
    NaiveDate::parse_from_str(&text, "%Y-%m-%d")
        .map_err(|_| invalid(py, field, format!("{text:?} is not a date \"YYYY-MM-DD\"")))
}

/// A `NaiveDate` as a `datetime.date`.
pub(crate) fn py_date(py: Python<'_>, value: NaiveDate) -> PyResult<Bound<'_, PyAny>> {
    Ok(PyDate::new(py, value.year(), value.month() as u8, value.day() as u8)?.into_any())
}
