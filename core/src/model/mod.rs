//! The domain model: plain data and pure validation. No clock, no I/O.

pub mod availability;
pub mod booking;
pub mod event;
pub mod ids;
pub mod key;
pub mod project;
pub mod report;
pub mod resource;
pub mod time;

use serde::{Deserialize, Serialize};

pub use availability::{
    Availability, AvailabilityCheck, AvailabilityRules, BusyInterval, DateOverride, DstKind, FoundSlot, FreeBusy,
    Hours, LocalTime, Policy, Reason, SlotQuery, Weekday, WeeklyHours,
};
pub use booking::{Action, Booking, BookingFilter, HoldExpiry, NewBooking, Reschedule, Status, transition};
pub use event::{Event, EventType};
pub use ids::Metadata;
pub use key::{ApiKey, IssuedKey, NewApiKey, Role};
pub use project::{NewProject, Project};
pub use report::{GroupBy, UtilizationRow};
pub use resource::{NewResource, Resource, ResourcePatch};
pub use time::{Interval, Timestamp};

/// A tenant: the unit of isolation. Every row belongs to exactly one.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TenantInfo {
    pub id: String,
    pub name: String,
    pub created_at: Timestamp,
}

/// One page of a list call.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Page<T> {
    pub items: Vec<T>,
    /// Pass back to get the next page; `None` on the last page.
    pub next_cursor: Option<String>,
}
