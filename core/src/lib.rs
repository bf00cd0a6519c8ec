//! Holdfast: an embedded booking engine.
//!
//! Conflict-free interval scheduling with capacity, the hold -> pencil ->
//! confirmed state machine with expiring holds, tenancy and an append-only
//! event log, over SQLite (or PostgreSQL, feature `postgres`). The one
//! invariant everything serves: for every resource and instant, the
//! quantities of blocking bookings (buffers included) never exceed the
//! resource's capacity, whatever threads, processes or machines write at
//! once.
//!
//! ```
//! use holdfast::{Engine, NewBooking, NewResource, Status, Timestamp};
//!
//! let engine = Engine::open("sqlite::memory:")?;
//! engine.create_tenant("acme", "Acme Studio")?;
//! let t = engine.tenant("acme")?;
//! t.create_resource(NewResource { id: Some("ada".into()), name: "Ada".into(),
//!     timezone: "Europe/Berlin".into(), ..Default::default() })?;
//! let start = Timestamp::parse("2026-12-01T09:00:00Z")?;
//! let end = Timestamp::parse("2026-12-01T17:00:00Z")?;
//! let b = t.create_booking(NewBooking { resource_id: "ada".into(), start, end,
//!     status: Status::Hold, ..Default::default() })?;
//! let b = t.confirm(&b.id, Some(b.version))?;
//! assert_eq!(b.status, Status::Confirmed);
//!
//! let clash = t.create_booking(NewBooking { resource_id: "ada".into(), start, end,
//!     status: Status::Pencil, ..Default::default() });
//! assert_eq!(clash.unwrap_err().code(), "CONFLICT");
//! # Ok::<(), holdfast::Error>(())
//! ```

#![forbid(unsafe_code)]
#![cfg_attr(not(test), warn(clippy::unwrap_used, clippy::expect_used, clippy::panic))]

pub mod cache;
pub mod clock;
pub mod engine;
pub mod error;
pub mod feed;
pub mod limits;
pub mod model;
pub mod schedule;
pub mod store;

pub use cache::CacheStats;
pub use clock::{Clock, ManualClock, SystemClock};
pub use engine::{Engine, EngineBuilder, PageRequest, Tenant, WriteStats};
pub use error::{ConflictingBooking, Error, Result};
pub use feed::{FeedItem, Subscription};
pub use model::{
    Action, ApiKey, Availability, AvailabilityCheck, AvailabilityRules, Booking, BookingFilter, BusyInterval,
    DateOverride, DstKind, Event, EventType, FoundSlot, FreeBusy, GroupBy, HoldExpiry, Hours, Interval, IssuedKey,
    LocalTime, Metadata, NewApiKey, NewBooking, NewProject, NewResource, Page, Policy, Project, Reason, Reschedule,
    Resource, ResourcePatch, Role, SlotQuery, Status, TenantInfo, Timestamp, UtilizationRow, Weekday, WeeklyHours,
};
pub use store::Durability;
