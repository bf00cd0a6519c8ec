//! Working hours, and the answers to "when is it free?".

use chrono::{DateTime, NaiveDate, Utc};
use holdfast::{LocalTime, Result};
use napi::JsDate;
use napi::bindgen_prelude::Either;
use napi_derive::napi;

use super::booking::BookingStatus;
use super::time::Interval;
use crate::convert;

/// Whether working hours bind bookings: `advisory` reports, `strict` refuses.
#[napi(string_enum = "lowercase")]
pub enum Policy {
    Advisory,
    Strict,
}

impl Policy {
    fn from_core(policy: holdfast::Policy) -> Self {
        match policy {
            holdfast::Policy::Advisory => Policy::Advisory,
            holdfast::Policy::Strict => Policy::Strict,
        }
    }
}

/// A day of the week, lower case.
#[napi(string_enum = "lowercase")]
pub enum Weekday {
    Monday,
    Tuesday,
    Wednesday,
    Thursday,
    Friday,
    Saturday,
    Sunday,
}

/// Every `weekday`, `start`-`end` local time (`"HH:MM"`, `"24:00"` ends the
/// day; an end at or before the start runs overnight).
#[napi(object)]
pub struct WeeklyHours {
    #[napi(ts_type = "Weekday")]
    pub weekday: String,
    pub start: String,
    pub end: String,
}

/// One shift, `"HH:MM"` local time.
#[napi(object)]
pub struct Hours {
    pub start: String,
    pub end: String,
}

/// One local date (`"2026-12-24"`) with other hours than the weekly ones;
/// no hours = closed.
#[napi(object)]
pub struct DateOverride {
    pub date: String,
    pub hours: Option<Vec<Hours>>,
}

/// A resource's rules as given to `setAvailability`; absent parts take the
/// core's defaults (advisory; open around the clock; no overrides).
#[napi(object, object_to_js = false)]
pub struct AvailabilityRules {
    #[napi(ts_type = "Policy")]
    pub policy: Option<String>,
    pub weekly: Option<Vec<WeeklyHours>>,
    pub overrides: Option<Vec<DateOverride>>,
}

impl AvailabilityRules {
    pub(crate) fn into_core(self) -> Result<holdfast::AvailabilityRules> {
        let mut rules = holdfast::AvailabilityRules::default();
        if let Some(policy) = &self.policy {
            rules.policy = convert::parse_name("policy", policy)?;
        }
        if let Some(weekly) = self.weekly {
            rules.weekly = weekly
                .iter()
                .enumerate()
                .map(|(i, w)| {
                    let field = format!("weekly[{i}]");
                    Ok(holdfast::WeeklyHours {
                        weekday: convert::parse_name(&format!("{field}.weekday"), &w.weekday)?,
                        start: LocalTime::parse(&format!("{field}.start"), &w.start)?,
                        end: LocalTime::parse(&format!("{field}.end"), &w.end)?,
                    })
                })
                .collect::<Result<_>>()?;
        }
        if let Some(overrides) = self.overrides {
            rules.overrides = overrides
                .iter()
                .enumerate()
                .map(|(i, o)| {
                    let field = format!("overrides[{i}]");
                    let hours = o.hours.as_deref().unwrap_or_default();
                    Ok(holdfast::DateOverride {
                        date: convert::parse_name::<NaiveDate>(&format!("{field}.date"), &o.date)?,
                        hours: hours
                            .iter()
                            .enumerate()
                            .map(|(j, h)| {
                                Ok(holdfast::Hours {
                                    start: LocalTime::parse(&format!("{field}.hours[{j}].start"), &h.start)?,
                                    end: LocalTime::parse(&format!("{field}.hours[{j}].end"), &h.end)?,
                                })
                            })
                            .collect::<Result<_>>()?,
                    })
                })
                .collect::<Result<_>>()?;
        }
        Ok(rules)
    }
}

/// A resource's rules as stored, with their own version (0 until set).
#[napi(object, use_nullable = true, object_from_js = false)]
pub struct Availability {
    pub resource_id: String,
    pub policy: Policy,
    pub weekly: Vec<WeeklyHours>,
    pub overrides: Vec<DateOverride>,
    pub version: i64,
    /// When the rules were last set; `null` for the defaults.
    pub updated_at: Option<DateTime<Utc>>,
}

impl Availability {
    pub(crate) fn from_core(a: holdfast::Availability) -> Result<Self> {
        Ok(Availability {
            resource_id: a.resource_id,
            policy: Policy::from_core(a.policy),
            weekly: super::all(a.weekly, |w| {
                Ok(WeeklyHours {
                    weekday: convert::name(&w.weekday)?,
                    start: w.start.to_string(),
                    end: w.end.to_string(),
                })
            })?,
            overrides: a
                .overrides
                .into_iter()
                .map(|o| DateOverride { date: o.date.to_string(), hours: Some(o.hours.iter().map(hours).collect()) })
                .collect(),
            version: a.version,
            updated_at: convert::opt_date(a.updated_at)?,
        })
    }
}

fn hours(h: &holdfast::Hours) -> Hours {
    Hours { start: h.start.to_string(), end: h.end.to_string() }
}

/// Why `[start, end)` is not (fully) available: every reason at once.
#[napi(discriminant = "kind", discriminant_case = "snake_case", object_from_js = false)]
pub enum Reason {
    /// A blocking booking in the way.
    Conflict { id: String, resource_id: String, status: BookingStatus, interval: Interval, quantity: u32 },
    /// Parts outside working hours.
    OutsideHours { intervals: Vec<Interval> },
    /// A dated override closes this local date.
    ClosedOverride { date: String },
    /// A rule's local time does not exist that day (clocks jumped).
    DstGap { date: String, local_time: String, resolved_to: DateTime<Utc> },
    /// The resource takes no new bookings.
    Inactive {},
    /// More units asked for than the resource has.
    QuantityAboveCapacity { quantity: u32, capacity: u32 },
}

impl Reason {
    fn from_core(reason: holdfast::Reason) -> Result<Self> {
        use holdfast::Reason as R;
        Ok(match reason {
            R::Conflict(c) => Reason::Conflict {
                id: c.id,
                resource_id: c.resource_id,
                status: BookingStatus::from_core(c.status),
                interval: Interval::from_core(c.interval)?,
                quantity: c.quantity,
            },
            R::OutsideHours { intervals } => Reason::OutsideHours { intervals: Interval::all(intervals)? },
            R::ClosedOverride { date } => Reason::ClosedOverride { date: date.to_string() },
            R::DstGap { date, local_time, resolved_to } => Reason::DstGap {
                date: date.to_string(),
                local_time: local_time.to_string(),
                resolved_to: convert::date(resolved_to)?,
            },
            R::Inactive => Reason::Inactive {},
            R::QuantityAboveCapacity { quantity, capacity } => Reason::QuantityAboveCapacity { quantity, capacity },
        })
    }
}

/// The answer of `checkAvailability`.
#[napi(object, object_from_js = false)]
pub struct AvailabilityCheck {
    pub resource_id: String,
    pub interval: Interval,
    pub quantity: u32,
    pub policy: Policy,
    /// Nothing stands in the way at all (no reason).
    pub available: bool,
    /// A create would be accepted now (under `advisory`, hours reasons do
    /// not stop it).
    pub bookable: bool,
    pub reasons: Vec<Reason>,
}

impl AvailabilityCheck {
    pub(crate) fn from_core(c: holdfast::AvailabilityCheck) -> Result<Self> {
        Ok(AvailabilityCheck {
            resource_id: c.resource_id,
            interval: Interval::from_core(c.interval)?,
            quantity: c.quantity,
            policy: Policy::from_core(c.policy),
            available: c.available,
            bookable: c.bookable,
            reasons: super::all(c.reasons, Reason::from_core)?,
        })
    }
}

/// One blocking booking's footprint (buffers included).
#[napi(object, object_from_js = false)]
pub struct BusyInterval {
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    pub booking_id: String,
    pub status: BookingStatus,
    pub quantity: u32,
}

/// Busy and free time of one resource over a window.
#[napi(object, object_from_js = false)]
pub struct FreeBusy {
    pub resource_id: String,
    pub capacity: u32,
    pub busy: Vec<BusyInterval>,
    /// Working hours inside the window.
    pub hours: Vec<Interval>,
    /// Working hours where at least one unit is left.
    pub free: Vec<Interval>,
}

impl FreeBusy {
    pub(crate) fn from_core(f: holdfast::FreeBusy) -> Result<Self> {
        Ok(FreeBusy {
            resource_id: f.resource_id,
            capacity: f.capacity,
            busy: super::all(f.busy, |b| {
                Ok(BusyInterval {
                    start: convert::date(b.start)?,
                    end: convert::date(b.end)?,
                    booking_id: b.booking_id,
                    status: BookingStatus::from_core(b.status),
                    quantity: b.quantity,
                })
            })?,
            hours: Interval::all(f.hours)?,
            free: Interval::all(f.free)?,
        })
    }
}

/// What `findSlots` looks for; absent fields take the core's defaults.
#[napi(object, object_to_js = false)]
pub struct SlotQuery<'a> {
    /// These resources (or the ones with `tag`).
    pub resource_ids: Option<Vec<String>>,
    pub tag: Option<String>,
    pub start: Either<JsDate<'a>, String>,
    pub end: Either<JsDate<'a>, String>,
    /// Slot length in milliseconds (or `workingDays`).
    pub duration_ms: Option<f64>,
    /// Successive working days, whole shifts each (or `durationMs`).
    pub working_days: Option<f64>,
    /// Alignment of slot starts, in milliseconds (default: the duration).
    pub step_ms: Option<f64>,
    pub quantity: Option<f64>,
    pub limit: Option<f64>,
    /// Up to `limit` slots per resource instead of overall.
    pub per_resource: Option<bool>,
}

impl SlotQuery<'_> {
    pub(crate) fn to_core(&self) -> Result<holdfast::SlotQuery> {
        let mut query = holdfast::SlotQuery {
            tag: self.tag.clone(),
            start: convert::instant("start", &self.start)?,
            end: convert::instant("end", &self.end)?,
            duration: convert::opt_duration_ms("duration", self.duration_ms)?,
            working_days: convert::opt_whole("working_days", self.working_days)?,
            step: convert::opt_duration_ms("step", self.step_ms)?,
            limit: convert::opt_whole("limit", self.limit)?,
            ..Default::default()
        };
        if let Some(ids) = &self.resource_ids {
            query.resource_ids = ids.clone();
        }
        if let Some(quantity) = convert::opt_whole("quantity", self.quantity)? {
            query.quantity = quantity;
        }
        if let Some(per_resource) = self.per_resource {
            query.per_resource = per_resource;
        }
        Ok(query)
    }
}

/// A slot `[start, end)` on one resource; `parts` are the working
/// intervals to book (one for a plain duration).
#[napi(object, object_from_js = false)]
pub struct FoundSlot {
    pub resource_id: String,
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    pub parts: Vec<Interval>,
}

impl FoundSlot {
    pub(crate) fn from_core(s: holdfast::FoundSlot) -> Result<Self> {
        Ok(FoundSlot {
            resource_id: s.resource_id,
            start: convert::date(s.start)?,
            end: convert::date(s.end)?,
            parts: Interval::all(s.parts)?,
        })
    }
}
