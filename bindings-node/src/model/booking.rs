//! Bookings and their states.

use chrono::{DateTime, Utc};
use holdfast::{HoldExpiry, Result, Status};
use napi_derive::napi;
use serde_json::{Map, Value};

use napi::JsDate;
use napi::bindgen_prelude::Either;

use crate::convert;

/// Where a booking stands (DESIGN.md section 3).
#[napi(string_enum = "snake_case")]
pub enum BookingStatus {
    Hold,
    Pencil,
    Confirmed,
    Cancelled,
    Declined,
    Expired,
}

impl BookingStatus {
    pub(crate) fn from_core(status: Status) -> Self {
        match status {
            Status::Hold => BookingStatus::Hold,
            Status::Pencil => BookingStatus::Pencil,
            Status::Confirmed => BookingStatus::Confirmed,
            Status::Cancelled => BookingStatus::Cancelled,
            Status::Declined => BookingStatus::Declined,
            Status::Expired => BookingStatus::Expired,
        }
    }
}

/// A status given by the caller, read by the core's parser.
pub(crate) fn status(field: &str, name: &str) -> Result<Status> {
    Status::parse(name).map_err(|e| match e {
        holdfast::Error::InvalidInput { message, .. } => convert::invalid(field, message),
        other => other,
    })
}

/// A booking as stored.
#[napi(object, use_nullable = true, object_from_js = false)]
pub struct Booking {
    pub id: String,
    pub resource_id: String,
    pub project_id: Option<String>,
    /// First instant booked.
    pub start: DateTime<Utc>,
    /// First instant after the booking (half-open).
    pub end: DateTime<Utc>,
    pub status: BookingStatus,
    /// Capacity units taken.
    pub quantity: u32,
    /// When a hold stops blocking; `null` for every other status.
    pub hold_expires_at: Option<DateTime<Utc>>,
    pub title: Option<String>,
    pub notes: Option<String>,
    pub metadata: Map<String, Value>,
    /// Bumped by every change (`expectedVersion` of the next one).
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub idempotency_key: Option<String>,
}

impl Booking {
    pub(crate) fn from_core(b: holdfast::Booking) -> Result<Self> {
        Ok(Booking {
            id: b.id,
            resource_id: b.resource_id,
            project_id: b.project_id,
            start: convert::date(b.start)?,
            end: convert::date(b.end)?,
            status: BookingStatus::from_core(b.status),
            quantity: b.quantity,
            hold_expires_at: convert::opt_date(b.hold_expires_at)?,
            title: b.title,
            notes: b.notes,
            metadata: b.metadata,
            version: b.version,
            created_at: convert::date(b.created_at)?,
            updated_at: convert::date(b.updated_at)?,
            idempotency_key: b.idempotency_key,
        })
    }
}

/// Fields of a new booking; absent ones take the core's defaults (status
/// `hold` with the engine's hold TTL, quantity 1).
#[napi(object, object_to_js = false)]
pub struct NewBooking<'a> {
    /// Client-chosen id; generated (UUIDv7) when absent. Repeating a create
    /// with the same id and body returns the first result.
    pub id: Option<String>,
    pub resource_id: String,
    pub project_id: Option<String>,
    pub start: Either<JsDate<'a>, String>,
    pub end: Either<JsDate<'a>, String>,
    #[napi(ts_type = "'hold' | 'pencil' | 'confirmed'")]
    pub status: Option<String>,
    pub quantity: Option<f64>,
    /// Hold lifetime from the decision instant, in milliseconds (holds only).
    pub hold_ttl_ms: Option<f64>,
    /// Absolute hold expiry (holds only; not with `holdTtlMs`).
    pub hold_expires_at: Option<Either<JsDate<'a>, String>>,
    pub title: Option<String>,
    pub notes: Option<String>,
    pub metadata: Option<Map<String, Value>>,
    /// Repeating a create with the same key and body returns the first result.
    pub idempotency_key: Option<String>,
}

impl NewBooking<'_> {
    pub(crate) fn to_core(&self) -> Result<holdfast::NewBooking> {
        let mut new = holdfast::NewBooking {
            id: self.id.clone(),
            resource_id: self.resource_id.clone(),
            project_id: self.project_id.clone(),
            start: convert::instant("start", &self.start)?,
            end: convert::instant("end", &self.end)?,
            hold_ttl: convert::opt_duration_ms("hold_ttl", self.hold_ttl_ms)?,
            hold_expires_at: convert::opt_instant("hold_expires_at", self.hold_expires_at.as_ref())?,
            title: self.title.clone(),
            notes: self.notes.clone(),
            idempotency_key: self.idempotency_key.clone(),
            ..Default::default()
        };
        if let Some(name) = &self.status {
            new.status = status("status", name)?;
        }
        if let Some(quantity) = convert::opt_whole("quantity", self.quantity)? {
            new.quantity = quantity;
        }
        if let Some(metadata) = &self.metadata {
            new.metadata = metadata.clone();
        }
        Ok(new)
    }
}

/// Where to move a booking: a new interval, and optionally another resource.
#[napi(object, object_to_js = false)]
pub struct Reschedule<'a> {
    pub start: Either<JsDate<'a>, String>,
    pub end: Either<JsDate<'a>, String>,
    /// Target resource; absent keeps the current one.
    pub resource_id: Option<String>,
}

impl Reschedule<'_> {
    pub(crate) fn to_core(&self) -> Result<holdfast::Reschedule> {
        Ok(holdfast::Reschedule {
            start: convert::instant("start", &self.start)?,
            end: convert::instant("end", &self.end)?,
            resource_id: self.resource_id.clone(),
        })
    }
}

/// A hold's new expiry: a TTL from now or an instant; neither means the
/// engine's default TTL from now.
#[napi(object, object_to_js = false)]
pub struct HoldExtension<'a> {
    pub hold_ttl_ms: Option<f64>,
    pub hold_expires_at: Option<Either<JsDate<'a>, String>>,
}

impl HoldExtension<'_> {
    pub(crate) fn to_core(until: Option<&HoldExtension<'_>>) -> Result<HoldExpiry> {
        let Some(until) = until else { return Ok(HoldExpiry::Default) };
        let ttl = convert::opt_duration_ms("hold_ttl", until.hold_ttl_ms)?;
        let at = convert::opt_instant("hold_expires_at", until.hold_expires_at.as_ref())?;
        match (ttl, at) {
            (None, None) => Ok(HoldExpiry::Default),
            (Some(ttl), None) => Ok(HoldExpiry::Ttl(ttl)),
            (None, Some(at)) => Ok(HoldExpiry::At(at)),
            // One expiry only: the core's `HoldExpiry` cannot hold both.
            (Some(_), Some(_)) => Err(convert::invalid("hold_ttl", "give holdTtlMs or holdExpiresAt, not both")),
        }
    }
}

/// Filters of `listBookings`; each narrows (AND).
#[napi(object, object_to_js = false)]
pub struct BookingFilter<'a> {
    /// Only these resources (any of them).
    pub resource_ids: Option<Vec<String>>,
    pub project_id: Option<String>,
    /// Only these statuses (any of them).
    #[napi(ts_type = "Array<BookingStatus>")]
    pub statuses: Option<Vec<String>>,
    /// Only bookings overlapping `[start, end)`; both or neither.
    pub start: Option<Either<JsDate<'a>, String>>,
    pub end: Option<Either<JsDate<'a>, String>>,
    /// Page size (the core's default when absent).
    pub limit: Option<f64>,
    /// `nextCursor` of the previous page.
    pub cursor: Option<String>,
}

impl BookingFilter<'_> {
    pub(crate) fn to_core(filter: Option<&BookingFilter<'_>>) -> Result<holdfast::BookingFilter> {
        let Some(f) = filter else { return Ok(holdfast::BookingFilter::default()) };
        let statuses = f.statuses.as_deref().unwrap_or_default();
        Ok(holdfast::BookingFilter {
            resource_ids: f.resource_ids.clone().unwrap_or_default(),
            project_id: f.project_id.clone(),
            statuses: statuses
                .iter()
                .enumerate()
                .map(|(i, name)| status(&format!("statuses[{i}]"), name))
                .collect::<Result<_>>()?,
            start: convert::opt_instant("start", f.start.as_ref())?,
            end: convert::opt_instant("end", f.end.as_ref())?,
            limit: convert::opt_whole("limit", f.limit)?,
            cursor: f.cursor.clone(),
        })
    }
}

/// One page of `listBookings`.
#[napi(object, use_nullable = true, object_from_js = false)]
pub struct BookingPage {
    pub items: Vec<Booking>,
    pub next_cursor: Option<String>,
}

impl BookingPage {
    pub(crate) fn from_core(page: holdfast::Page<holdfast::Booking>) -> Result<Self> {
        Ok(BookingPage { items: super::all(page.items, Booking::from_core)?, next_cursor: page.next_cursor })
    }
}
