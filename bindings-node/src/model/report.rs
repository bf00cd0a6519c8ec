//! Utilization of working time.

use holdfast::Result;
use napi_derive::napi;

use crate::convert;

/// How `utilization` groups its rows.
#[napi(string_enum = "snake_case")]
pub enum GroupBy {
    Resource,
    Project,
    Day,
}

/// Booked against available time in one group over the report's window.
/// Times are capacity-unit milliseconds: an hour of a 4-unit room is 4 h.
#[napi(object, use_nullable = true, object_from_js = false)]
pub struct UtilizationRow {
    /// Resource id, project id (`""`: no project) or local date `YYYY-MM-DD`.
    pub group: String,
    /// Working time of active resources; `null` for projects.
    pub available_ms: Option<f64>,
    pub hold_ms: f64,
    pub pencil_ms: f64,
    pub confirmed_ms: f64,
    /// Booked time inside working hours, whatever the status.
    pub booked_in_hours_ms: f64,
    /// `bookedInHoursMs / availableMs`; `null` when nothing is available.
    pub utilization: Option<f64>,
}

impl UtilizationRow {
    pub(crate) fn from_core(r: holdfast::UtilizationRow) -> Result<Self> {
        Ok(UtilizationRow {
            group: r.group,
            available_ms: r.available_us.map(convert::micros_to_ms),
            hold_ms: convert::micros_to_ms(r.hold_us),
            pencil_ms: convert::micros_to_ms(r.pencil_us),
            confirmed_ms: convert::micros_to_ms(r.confirmed_us),
            booked_in_hours_ms: convert::micros_to_ms(r.booked_in_hours_us),
            utilization: r.utilization,
        })
    }
}
