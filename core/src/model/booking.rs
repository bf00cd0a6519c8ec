//! Bookings and the hold -> pencil -> confirmed state machine (DESIGN.md section 3).

use std::fmt;

use chrono::TimeDelta;
use serde::{Deserialize, Serialize};

use super::ids::{Metadata, validate_id, validate_metadata, validate_text};
use super::time::{Interval, Timestamp, duration_us, serde_micros};
use crate::error::{Error, Result};
use crate::limits;

/// Where a booking stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Tentative and time-limited: blocks capacity until `hold_expires_at`.
    Hold,
    /// Tentative without expiry ("pencilled in"): blocks capacity.
    Pencil,
    /// Firm: blocks capacity.
    Confirmed,
    /// Withdrawn by the client. Terminal.
    Cancelled,
    /// Refused by the resource side. Terminal.
    Declined,
    /// A hold that ran out. Terminal.
    Expired,
}

impl Status {
    /// Every status, in lifecycle order.
    pub const ALL: [Status; 6] =
        [Status::Hold, Status::Pencil, Status::Confirmed, Status::Cancelled, Status::Declined, Status::Expired];

    /// The stable lowercase name.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Hold => "hold",
            Status::Pencil => "pencil",
            Status::Confirmed => "confirmed",
            Status::Cancelled => "cancelled",
            Status::Declined => "declined",
            Status::Expired => "expired",
        }
    }

    /// Parses the stable lowercase name.
    pub fn parse(name: &str) -> Result<Status> {
        Status::ALL
            .into_iter()
            .find(|s| s.as_str() == name)
            .ok_or_else(|| Error::invalid("status", format!("unknown status {name:?}")))
    }

    /// Whether a booking in this status consumes capacity (a hold only until
    /// it expires: see [`Booking::is_blocking_at`]).
    pub fn consumes_capacity(self) -> bool {
        matches!(self, Status::Hold | Status::Pencil | Status::Confirmed)
    }

    /// Cancelled, declined and expired bookings never change again.
    pub fn is_terminal(self) -> bool {
        !self.consumes_capacity()
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Something done to a booking after it exists.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    Pencil,
    Confirm,
    Cancel,
    Decline,
    /// Taken by the engine when a hold runs out.
    Expire,
    Reschedule,
    ExtendHold,
}

impl Action {
    /// The stable lowercase name.
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Pencil => "pencil",
            Action::Confirm => "confirm",
            Action::Cancel => "cancel",
            Action::Decline => "decline",
            Action::Expire => "expire",
            Action::Reschedule => "reschedule",
            Action::ExtendHold => "extend_hold",
        }
    }
}

/// The table of DESIGN.md section 3: the status after `action`, or `None`
/// when the action is not allowed from `from`.
pub fn transition(from: Status, action: Action) -> Option<Status> {
    use Action as A;
    use Status as S;
    match (from, action) {
        (S::Hold, A::Pencil) => Some(S::Pencil),
        (S::Hold | S::Pencil, A::Confirm) => Some(S::Confirmed),
        (S::Hold | S::Pencil | S::Confirmed, A::Cancel) => Some(S::Cancelled),
        (S::Hold | S::Pencil, A::Decline) => Some(S::Declined),
        (S::Hold, A::Expire) => Some(S::Expired),
        (S::Hold | S::Pencil | S::Confirmed, A::Reschedule) => Some(from),
        (S::Hold, A::ExtendHold) => Some(S::Hold),
        _ => None,
    }
}

/// A booking as stored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Booking {
    pub id: String,
    pub resource_id: String,
    pub project_id: Option<String>,
    /// First instant booked.
    pub start: Timestamp,
    /// First instant after the booking (half-open).
    pub end: Timestamp,
    pub status: Status,
    /// Capacity units taken.
    pub quantity: u32,
    /// When a hold stops blocking; `None` for every other status.
    pub hold_expires_at: Option<Timestamp>,
    pub title: Option<String>,
    pub notes: Option<String>,
    pub metadata: Metadata,
    /// Bumped by every change; used for optimistic locking.
    pub version: i64,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    pub idempotency_key: Option<String>,
}

impl Booking {
    /// `[start, end)`.
    pub fn interval(&self) -> Interval {
        Interval { start: self.start, end: self.end }
    }

    /// Whether the booking consumes capacity at decision time `now`: holds
    /// stop blocking the instant they expire, whether or not a sweep ran.
    pub fn is_blocking_at(&self, now: Timestamp) -> bool {
        match self.status {
            Status::Hold => self.hold_expires_at.is_some_and(|at| at > now),
            other => other.consumes_capacity(),
        }
    }

    /// A hold whose expiry has passed at `now`.
    pub fn is_expired_hold(&self, now: Timestamp) -> bool {
        self.status == Status::Hold && !self.is_blocking_at(now)
    }
}

/// How long a new or extended hold lasts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HoldExpiry {
    /// The engine's default TTL (15 minutes unless configured).
    Default,
    /// Now plus this long.
    Ttl(TimeDelta),
    /// At this instant (must be in the future).
    At(Timestamp),
}

impl HoldExpiry {
    /// The expiry instant for a hold decided at `now` with `default_ttl_us`.
    /// Errors name the field the caller gave (`hold_ttl` or `hold_expires_at`).
    pub fn resolve(self, now: Timestamp, default_ttl_us: i64) -> Result<Timestamp> {
        let at = match self {
            HoldExpiry::Default => Timestamp::from_micros(now.as_micros().saturating_add(default_ttl_us)),
            HoldExpiry::Ttl(ttl) => {
                let ttl_us = duration_us("hold_ttl", ttl, limits::HOLD_TTL_MAX_US)?;
                if ttl_us == 0 {
                    return Err(Error::invalid("hold_ttl", "hold TTL must be positive"));
                }
                Timestamp::from_micros(now.as_micros().saturating_add(ttl_us))
            }
            HoldExpiry::At(at) => {
                let field = "hold_expires_at";
                if at <= now {
                    return Err(Error::invalid(field, format!("{at} is not in the future")));
                }
                let ttl_us = at.as_micros().saturating_sub(now.as_micros());
                if ttl_us > limits::HOLD_TTL_MAX_US {
                    return Err(Error::LimitExceeded {
                        field: field.into(),
                        max: limits::HOLD_TTL_MAX_US,
                        actual: ttl_us,
                    });
                }
                at
            }
        };
        Ok(at)
    }
}

/// Fields of a new booking. `Default` gives status `hold`, quantity 1.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct NewBooking {
    /// Client-chosen id; a UUIDv7 is generated when absent. Repeating a
    /// create with the same id and body returns the existing booking.
    pub id: Option<String>,
    pub resource_id: String,
    pub project_id: Option<String>,
    pub start: Timestamp,
    pub end: Timestamp,
    /// `hold`, `pencil` or `confirmed`.
    pub status: Status,
    pub quantity: u32,
    /// Hold lifetime from the decision instant (holds only).
    #[serde(rename = "hold_ttl_us", with = "serde_micros_opt")]
    pub hold_ttl: Option<TimeDelta>,
    /// Absolute hold expiry (holds only; exclusive with `hold_ttl`).
    pub hold_expires_at: Option<Timestamp>,
    pub title: Option<String>,
    pub notes: Option<String>,
    pub metadata: Metadata,
    /// Repeating a create with the same key and body returns the first result.
    pub idempotency_key: Option<String>,
}

mod serde_micros_opt {
    use chrono::TimeDelta;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(value: &Option<TimeDelta>, s: S) -> Result<S::Ok, S::Error> {
        match value {
            Some(d) => super::serde_micros::serialize(d, s),
            None => s.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<TimeDelta>, D::Error> {
        Ok(Option::<i64>::deserialize(d)?.map(TimeDelta::microseconds))
    }
}

impl Default for NewBooking {
    fn default() -> Self {
        NewBooking {
            id: None,
            resource_id: String::new(),
            project_id: None,
            start: Timestamp::default(),
            end: Timestamp::default(),
            status: Status::Hold,
            quantity: 1,
            hold_ttl: None,
            hold_expires_at: None,
            title: None,
            notes: None,
            metadata: Metadata::new(),
            idempotency_key: None,
        }
    }
}

impl NewBooking {
    /// Checks every field that needs no store lookup; returns the interval.
    pub fn validate(&self) -> Result<Interval> {
        if let Some(id) = &self.id {
            validate_id("id", id)?;
        }
        validate_id("resource_id", &self.resource_id)?;
        if let Some(project_id) = &self.project_id {
            validate_id("project_id", project_id)?;
        }
        let interval = validate_interval(self.start, self.end)?;
        if !self.status.consumes_capacity() {
            return Err(Error::invalid(
                "status",
                format!("a booking is created as hold, pencil or confirmed, not {}", self.status),
            ));
        }
        validate_quantity(self.quantity)?;
        if self.status != Status::Hold {
            if self.hold_ttl.is_some() {
                return Err(Error::invalid("hold_ttl", "only holds expire"));
            }
            if self.hold_expires_at.is_some() {
                return Err(Error::invalid("hold_expires_at", "only holds expire"));
            }
        }
        if self.hold_ttl.is_some() && self.hold_expires_at.is_some() {
            return Err(Error::invalid("hold_ttl", "give hold_ttl or hold_expires_at, not both"));
        }
        if let Some(at) = self.hold_expires_at
            && !at.in_range()
        {
            return Err(Error::invalid("hold_expires_at", "out of range (years 1 to 9999)"));
        }
        if let Some(title) = &self.title {
            validate_text("title", title, limits::TITLE_LENGTH_MAX_CHARS, false)?;
        }
        if let Some(notes) = &self.notes {
            validate_text("notes", notes, limits::NOTES_LENGTH_MAX_CHARS, false)?;
        }
        validate_metadata("metadata", &self.metadata)?;
        if let Some(key) = &self.idempotency_key {
            validate_text("idempotency_key", key, limits::IDEMPOTENCY_KEY_LENGTH_MAX_CHARS, true)?;
        }
        Ok(interval)
    }

    /// How the hold's expiry is to be set.
    pub fn hold_expiry(&self) -> HoldExpiry {
        match (self.hold_ttl, self.hold_expires_at) {
            (Some(ttl), _) => HoldExpiry::Ttl(ttl),
            (None, Some(at)) => HoldExpiry::At(at),
            (None, None) => HoldExpiry::Default,
        }
    }
}

/// A booking's `[start, end)`: ordered, in range, at most 366 days long.
pub fn validate_interval(start: Timestamp, end: Timestamp) -> Result<Interval> {
    if !start.in_range() {
        return Err(Error::invalid("start", "out of range (years 1 to 9999)"));
    }
    if !end.in_range() {
        return Err(Error::invalid("end", "out of range (years 1 to 9999)"));
    }
    let interval = Interval::new(start, end)?;
    if interval.len_us() > limits::BOOKING_LENGTH_MAX_US {
        return Err(Error::LimitExceeded {
            field: "end".into(),
            max: limits::BOOKING_LENGTH_MAX_US,
            actual: interval.len_us(),
        });
    }
    Ok(interval)
}

/// A quantity: 1 up to the largest capacity.
pub fn validate_quantity(quantity: u32) -> Result<()> {
    if quantity == 0 {
        return Err(Error::invalid("quantity", "must be at least 1"));
    }
    if quantity > limits::CAPACITY_MAX {
        return Err(Error::limit("quantity", limits::CAPACITY_MAX as usize, quantity as usize));
    }
    Ok(())
}

/// Moving a booking in time and, optionally, to another resource.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Reschedule {
    pub start: Timestamp,
    pub end: Timestamp,
    /// Target resource; `None` keeps the current one.
    pub resource_id: Option<String>,
}

/// Filters for `list_bookings`; every filter narrows (AND).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct BookingFilter {
    /// Only these resources (any of them); empty = all.
    pub resource_ids: Vec<String>,
    pub project_id: Option<String>,
    /// Only these statuses (any of them); empty = all.
    pub statuses: Vec<Status>,
    /// Only bookings overlapping `[start, end)`; both or neither.
    pub start: Option<Timestamp>,
    pub end: Option<Timestamp>,
    /// Page size (default 100, at most 1,000).
    pub limit: Option<usize>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}
