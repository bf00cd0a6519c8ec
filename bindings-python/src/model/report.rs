//! Reports: utilization rows (capacity-unit microseconds, as the core
//! computes them; `holdfast.Tenant.utilization` turns them into hours).

use holdfast::GroupBy;
use pyo3::prelude::*;

use super::record;
use crate::error::OrRaise;

record! {
    /// Booked against available time in one group over the report's window,
    /// in capacity-unit microseconds. `group` is a resource id, a project id
    /// (`""`: no project) or a local date `YYYY-MM-DD`; `available_us` is
    /// `None` for projects; `utilization` is `booked_in_hours_us /
    /// available_us` (`None` when nothing is available).
    UtilizationRow(holdfast::UtilizationRow) {
        group, available_us, hold_us, pencil_us, confirmed_us, booked_in_hours_us, utilization,
    }
    extra {
        /// `hold_us + pencil_us + confirmed_us`.
        #[getter]
        fn booked_us(&self) -> i64 {
            self.0.booked_us()
        }
    }
}

/// `"resource"`, `"project"` or `"day"`.
pub(crate) fn group_by(py: Python<'_>, name: &str) -> PyResult<GroupBy> {
    GroupBy::parse(name).or_raise(py)
}
