//! Bookings: the `Booking` result, new bookings from keyword arguments or
//! dicts, list filters, and the column view the DataFrame helpers use.

use holdfast::{BookingFilter, NewBooking, Status};
use pyo3::IntoPyObjectExt;
use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList, PyString};

use super::time::{duration, opt_timestamp, timestamp};
use super::{ToPy, count, metadata, record};
use crate::error::{OrRaise, invalid, with_field};

record! {
    /// A booking: every field of DESIGN.md section 2. Instants are aware
    /// UTC datetimes; `hold_expires_at` is set for holds only.
    Booking(holdfast::Booking) {
        id, resource_id, project_id, start, end, status, quantity, hold_expires_at,
        title, notes, metadata, version, created_at, updated_at, idempotency_key,
    }
}

/// A status name (`"hold"`), its error naming `field`.
pub(crate) fn status(py: Python<'_>, field: &str, name: &str) -> PyResult<Status> {
    Status::parse(name).map_err(|e| with_field(e, field)).or_raise(py)
}

/// A new booking from its fields (the keyword arguments of
/// `create_booking`, or one item of `create_bookings`). Absent fields keep
/// the core's defaults; `prefix` names the item in errors (`items[3].`).
pub(crate) fn new_booking(fields: &Bound<'_, PyDict>, prefix: &str) -> PyResult<NewBooking> {
    let py = fields.py();
    let name = |field: &str| format!("{prefix}{field}");
    let mut new = NewBooking::default();
    let (mut start, mut end) = (None, None);
    for (key, value) in fields.iter() {
        let key =
            key.cast::<PyString>().map_err(|_| PyTypeError::new_err(format!("{prefix}: keys must be strings")))?;
        let key = key.to_cow()?;
        let key: &str = &key;
        let field = name(key);
        if value.is_none() {
            continue; // None = not given
        }
        let text = |v: &Bound<'_, PyAny>| -> PyResult<String> {
            v.extract::<String>().map_err(|_| PyTypeError::new_err(format!("{field}: expected a str")))
        };
        match key {
            "resource_id" => new.resource_id = text(&value)?,
            "start" => start = Some(timestamp(&field, &value)?),
            "end" => end = Some(timestamp(&field, &value)?),
            "status" => new.status = status(py, &field, &text(&value)?)?,
            "quantity" => {
                let quantity: i64 =
                    value.extract().map_err(|_| PyTypeError::new_err(format!("{field}: expected an int")))?;
                new.quantity = count(py, &field, quantity)?;
            }
            "hold_ttl" => new.hold_ttl = Some(duration(&field, &value)?),
            "hold_expires_at" => new.hold_expires_at = Some(timestamp(&field, &value)?),
            "project_id" => new.project_id = Some(text(&value)?),
            "title" => new.title = Some(text(&value)?),
            "notes" => new.notes = Some(text(&value)?),
            "metadata" => new.metadata = metadata(&field, Some(&value))?.unwrap_or_default(),
            "idempotency_key" => new.idempotency_key = Some(text(&value)?),
            "id" => new.id = Some(text(&value)?),
            _ => return Err(PyTypeError::new_err(format!("unexpected booking field {field:?}"))),
        }
    }
    new.start = start.ok_or_else(|| invalid(py, &name("start"), "required"))?;
    new.end = end.ok_or_else(|| invalid(py, &name("end"), "required"))?;
    Ok(new)
}

/// The filters of `list_bookings`.
#[allow(clippy::too_many_arguments)]
pub(crate) fn filter(
    py: Python<'_>,
    resource_ids: Option<Vec<String>>,
    project_id: Option<String>,
    statuses: Option<Vec<String>>,
    start: Option<&Bound<'_, PyAny>>,
    end: Option<&Bound<'_, PyAny>>,
    limit: Option<i64>,
    cursor: Option<String>,
) -> PyResult<BookingFilter> {
    let statuses = statuses
        .unwrap_or_default()
        .iter()
        .enumerate()
        .map(|(i, name)| status(py, &format!("statuses[{i}]"), name))
        .collect::<PyResult<Vec<_>>>()?;
    Ok(BookingFilter {
        resource_ids: resource_ids.unwrap_or_default(),
        project_id,
        statuses,
        start: opt_timestamp("start", start)?,
        end: opt_timestamp("end", end)?,
        limit: limit.map(|l| count(py, "limit", l)).transpose()?,
        cursor,
    })
}

/// Bookings as columns: `{field: [value per booking]}` with the same keys
/// as `Booking.to_dict()`, but instants as integer microseconds since the
/// Unix epoch (UTC; `None` where absent), which DataFrame libraries turn
/// into datetime columns in one vectorized step. With `metadata_json`,
/// metadata is compact JSON text instead of dicts (for columnar libraries
/// that cannot hold free-form objects).
#[pyfunction]
#[pyo3(signature = (bookings, *, metadata_json = false))]
pub(crate) fn booking_columns<'py>(
    py: Python<'py>,
    bookings: &Bound<'py, PyAny>,
    metadata_json: bool,
) -> PyResult<Bound<'py, PyDict>> {
    const FIELDS: [&str; 15] = [
        "id",
        "resource_id",
        "project_id",
        "start",
        "end",
        "status",
        "quantity",
        "hold_expires_at",
        "title",
        "notes",
        "metadata",
        "version",
        "created_at",
        "updated_at",
        "idempotency_key",
    ];
    let columns: Vec<Bound<'py, PyList>> = FIELDS.iter().map(|_| PyList::empty(py)).collect();
    let micros = |at: holdfast::Timestamp| at.as_micros().into_bound_py_any(py);
    for item in bookings.try_iter()? {
        let item = item?;
        let booking = item.cast::<Booking>()?;
        let b = &booking.get().0;
        let row: [Bound<'py, PyAny>; 15] = [
            b.id.to_py(py)?,
            b.resource_id.to_py(py)?,
            b.project_id.to_py(py)?,
            micros(b.start)?,
            micros(b.end)?,
            b.status.to_py(py)?,
            b.quantity.to_py(py)?,
            b.hold_expires_at.map(|at| at.as_micros()).to_py(py)?,
            b.title.to_py(py)?,
            b.notes.to_py(py)?,
            if metadata_json {
                serde_json::Value::Object(b.metadata.clone()).to_string().to_py(py)?
            } else {
                b.metadata.to_py(py)?
            },
            b.version.to_py(py)?,
            micros(b.created_at)?,
            micros(b.updated_at)?,
            b.idempotency_key.to_py(py)?,
        ];
        for (column, value) in columns.iter().zip(row) {
            column.append(value)?;
        }
    }
    let out = PyDict::new(py);
    for (field, column) in FIELDS.iter().zip(columns) {
        out.set_item(field, column)?;
    }
    Ok(out)
}
