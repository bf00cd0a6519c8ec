//! Availability: rules in and out, checks with every reason, free/busy,
//! found slots, and slot queries.

use holdfast::{
    AvailabilityRules, BusyInterval, ConflictingBooking, DateOverride, Hours, Policy, Reason, SlotQuery, Weekday,
    WeeklyHours,
};
use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyString};

use super::time::{date, opt_duration, timestamp};
use super::{ToPy, dict, opt_count, parse_serde_name, py_to_json, record, serde_name};
use crate::error::invalid;

impl ToPy for Policy {
    fn to_py<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        Ok(PyString::intern(py, &serde_name(self)).into_any())
    }
}

impl ToPy for Weekday {
    fn to_py<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        Ok(PyString::intern(py, &serde_name(self)).into_any())
    }
}

/// `{"weekday": "monday", "start": "09:00", "end": "18:00"}`.
impl ToPy for WeeklyHours {
    fn to_py<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        dict(
            py,
            &[("weekday", self.weekday.to_py(py)?), ("start", self.start.to_py(py)?), ("end", self.end.to_py(py)?)],
        )
    }
}

/// `{"start": "09:00", "end": "18:00"}`.
impl ToPy for Hours {
    fn to_py<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        dict(py, &[("start", self.start.to_py(py)?), ("end", self.end.to_py(py)?)])
    }
}

/// `{"date": datetime.date, "hours": [...]}` (no hours: closed).
impl ToPy for DateOverride {
    fn to_py<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        dict(py, &[("date", self.date.to_py(py)?), ("hours", self.hours.to_py(py)?)])
    }
}

/// `{"id", "resource_id", "status", "interval": {"start", "end"}, "quantity"}`.
impl ToPy for ConflictingBooking {
    fn to_py<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        dict(
            py,
            &[
                ("id", self.id.to_py(py)?),
                ("resource_id", self.resource_id.to_py(py)?),
                ("status", self.status.to_py(py)?),
                ("interval", self.interval.to_py(py)?),
                ("quantity", self.quantity.to_py(py)?),
            ],
        )
    }
}

/// A dict with `kind` and that kind's fields, as the core serializes it
/// (`{"kind": "outside_hours", "intervals": [...]}`), instants as datetimes.
impl ToPy for Reason {
    fn to_py<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let kind = |name: &str| PyString::intern(py, name).into_any();
        match self {
            Reason::Conflict(booking) => {
                let out = booking.to_py(py)?;
                out.set_item("kind", kind("conflict"))?;
                Ok(out)
            }
            Reason::OutsideHours { intervals } => {
                dict(py, &[("kind", kind("outside_hours")), ("intervals", intervals.to_py(py)?)])
            }
            Reason::ClosedOverride { date } => {
                dict(py, &[("kind", kind("closed_override")), ("date", date.to_py(py)?)])
            }
            Reason::DstGap { date, local_time, resolved_to } => dict(
                py,
                &[
                    ("kind", kind("dst_gap")),
                    ("date", date.to_py(py)?),
                    ("local_time", local_time.to_py(py)?),
                    ("resolved_to", resolved_to.to_py(py)?),
                ],
            ),
            Reason::Inactive => dict(py, &[("kind", kind("inactive"))]),
            Reason::QuantityAboveCapacity { quantity, capacity } => dict(
                py,
                &[
                    ("kind", kind("quantity_above_capacity")),
                    ("quantity", quantity.to_py(py)?),
                    ("capacity", capacity.to_py(py)?),
                ],
            ),
        }
    }
}

/// `{"start", "end", "booking_id", "status", "quantity"}`.
impl ToPy for BusyInterval {
    fn to_py<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        dict(
            py,
            &[
                ("start", self.start.to_py(py)?),
                ("end", self.end.to_py(py)?),
                ("booking_id", self.booking_id.to_py(py)?),
                ("status", self.status.to_py(py)?),
                ("quantity", self.quantity.to_py(py)?),
            ],
        )
    }
}

record! {
    /// A resource's availability rules with their own `version` (0 and
    /// `updated_at=None` until first set: open around the clock, advisory).
    Availability(holdfast::Availability) { resource_id, policy, weekly, overrides, version, updated_at }
}

record! {
    /// The answer of `check_availability`: `available` (no reason at all),
    /// `bookable` (a create would be accepted now) and every reason.
    AvailabilityCheck(holdfast::AvailabilityCheck) {
        resource_id, interval, quantity, policy, available, bookable, reasons,
    }
}

record! {
    /// One resource's schedule over a window: `busy` (blocking bookings,
    /// buffers included), `hours` (working hours) and `free` (working hours
    /// with at least one unit left).
    FreeBusy(holdfast::FreeBusy) { resource_id, capacity, busy, hours, free }
}

record! {
    /// A slot `find_slots` found; `parts` are the intervals to book.
    FoundSlot(holdfast::FoundSlot) { resource_id, start, end, parts }
}

/// Rules for `set_availability`: what is not given keeps the core's
/// default (advisory; open around the clock every day; no overrides).
pub(crate) fn rules(
    py: Python<'_>,
    policy: Option<String>,
    weekly: Option<&Bound<'_, PyAny>>,
    overrides: Option<&Bound<'_, PyAny>>,
) -> PyResult<AvailabilityRules> {
    let mut rules = AvailabilityRules::default();
    if let Some(policy) = policy {
        rules.policy = parse_serde_name(py, "policy", &policy)?;
    }
    if let Some(weekly) = weekly.filter(|w| !w.is_none()) {
        rules.weekly = from_json::<Vec<WeeklyHours>>("weekly", weekly)?;
    }
    if let Some(overrides) = overrides.filter(|o| !o.is_none()) {
        rules.overrides = overrides
            .try_iter()?
            .enumerate()
            .map(|(i, item)| date_override(&format!("overrides[{i}]"), &item?))
            .collect::<PyResult<_>>()?;
    }
    Ok(rules)
}

fn date_override(field: &str, item: &Bound<'_, PyAny>) -> PyResult<DateOverride> {
    let item = item.cast::<PyDict>().map_err(|_| PyTypeError::new_err(format!("{field}: expected a dict")))?;
    let day = item.get_item("date")?.ok_or_else(|| invalid(item.py(), &format!("{field}.date"), "required"))?;
    let hours = match item.get_item("hours")? {
        Some(hours) if !hours.is_none() => from_json::<Vec<Hours>>(&format!("{field}.hours"), &hours)?,
        _ => Vec::new(),
    };
    if let Some(key) = item.keys().iter().find(|k| k.extract::<String>().is_ok_and(|k| k != "date" && k != "hours")) {
        return Err(PyTypeError::new_err(format!("{field}: unexpected field {key}")));
    }
    Ok(DateOverride { date: date(&format!("{field}.date"), &day)?, hours })
}

/// Plain Python read through the core's own serde definitions, so the
/// shapes (`"HH:MM"`, weekday names) are the core's.
fn from_json<T: serde::de::DeserializeOwned>(field: &str, value: &Bound<'_, PyAny>) -> PyResult<T> {
    serde_json::from_value(py_to_json(field, value)?).map_err(|e| invalid(value.py(), field, e.to_string()))
}

/// The query of `find_slots`: what is not given keeps the core's default.
#[allow(clippy::too_many_arguments)]
pub(crate) fn slot_query(
    py: Python<'_>,
    start: &Bound<'_, PyAny>,
    end: &Bound<'_, PyAny>,
    resource_ids: Option<Vec<String>>,
    tag: Option<String>,
    duration: Option<&Bound<'_, PyAny>>,
    working_days: Option<i64>,
    step: Option<&Bound<'_, PyAny>>,
    quantity: Option<i64>,
    limit: Option<i64>,
    per_resource: Option<bool>,
) -> PyResult<SlotQuery> {
    let defaults = SlotQuery::default();
    Ok(SlotQuery {
        resource_ids: resource_ids.unwrap_or(defaults.resource_ids),
        tag,
        start: timestamp("start", start)?,
        end: timestamp("end", end)?,
        duration: opt_duration("duration", duration)?,
        working_days: opt_count(py, "working_days", working_days)?,
        step: opt_duration("step", step)?,
        quantity: opt_count(py, "quantity", quantity)?.unwrap_or(defaults.quantity),
        limit: opt_count(py, "limit", limit)?,
        per_resource: per_resource.unwrap_or(defaults.per_resource),
    })
}
