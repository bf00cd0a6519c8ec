//! Report shapes: utilization of working time.

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// How `utilization` groups its rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GroupBy {
    /// One row per resource, by id.
    Resource,
    /// One row per project, by id (`""` for bookings without one).
    Project,
    /// One row per calendar date, each resource's time counted on its own
    /// local date.
    Day,
}

impl GroupBy {
    pub fn as_str(self) -> &'static str {
        match self {
            GroupBy::Resource => "resource",
            GroupBy::Project => "project",
            GroupBy::Day => "day",
        }
    }

    pub fn parse(name: &str) -> Result<GroupBy> {
        [GroupBy::Resource, GroupBy::Project, GroupBy::Day]
            .into_iter()
            .find(|g| g.as_str() == name)
            .ok_or_else(|| Error::invalid("group_by", format!("unknown grouping {name:?} (resource, project, day)")))
    }
}

/// Booked against available time in one group, over the report's window.
/// Times are capacity-unit microseconds: an hour of a 4-unit room is 4 h
/// available; a 2-unit booking for an hour is 2 h booked.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UtilizationRow {
    /// Resource id, project id (`""`: no project) or local date `YYYY-MM-DD`.
    pub group: String,
    /// Working time of active resources (capacity x hours); `None` for
    /// projects, which have no hours of their own.
    pub available_us: Option<i64>,
    /// Blocking bookings inside the window, by status (holds that have
    /// expired by the report's instant are not counted).
    pub hold_us: i64,
    pub pencil_us: i64,
    pub confirmed_us: i64,
    /// Booked time inside working hours, whatever the status.
    pub booked_in_hours_us: i64,
    /// `booked_in_hours_us / available_us`; `None` when nothing is available.
    pub utilization: Option<f64>,
}

impl UtilizationRow {
    pub(crate) fn new(group: String, available_us: Option<i64>) -> Self {
        UtilizationRow {
            group,
            available_us,
            hold_us: 0,
            pencil_us: 0,
            confirmed_us: 0,
            booked_in_hours_us: 0,
            utilization: None,
        }
    }

    /// Every status together.
    pub fn booked_us(&self) -> i64 {
        self.hold_us + self.pencil_us + self.confirmed_us
    }
}
