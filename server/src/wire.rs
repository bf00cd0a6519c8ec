//! The JSON shapes of the HTTP API and their conversion to and from the
//! core's types. Conversion only: fields the client leaves out take the
//! core's own defaults (`NewBooking::default()`, `SlotQuery::default()`, …),
//! durations are milliseconds on the wire (`*_ms`) and `chrono::TimeDelta`
//! in the core, and every check is the core's. Outputs destructure the core
//! types without `..`, so a new core field fails to compile here until it is
//! given a wire name.

use chrono::{NaiveDate, TimeDelta};
use holdfast::{
    ApiKey, Availability, AvailabilityCheck, AvailabilityRules, Booking, BusyInterval, ConflictingBooking,
    DateOverride, Event, FoundSlot, FreeBusy, GroupBy, Hours, Interval, IssuedKey, LocalTime, Metadata, NewApiKey,
    NewBooking, NewProject, NewResource, Page, Policy, Project, Reason, Reschedule, Resource, ResourcePatch, Role,
    SlotQuery, Status, Timestamp, UtilizationRow, Weekday, WeeklyHours,
};
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::Value;
use utoipa::openapi::schema::{Object, ObjectBuilder, SchemaType, Type};
use utoipa::{IntoParams, ToSchema};

use crate::error::{ApiError, ApiResult};

// ---------------------------------------------------------------- envelope

/// Every success answer: `{"data": ..., "meta": {...}}`.
#[derive(Debug, Serialize, ToSchema)]
pub struct Data<T> {
    pub data: T,
    pub meta: Meta,
}

/// Paging and other answer-level facts.
#[derive(Debug, Default, Serialize, ToSchema)]
pub struct Meta {
    /// Pass back as `cursor` for the next page; absent on the last page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
}

impl<T> Data<T> {
    pub fn of(data: T) -> Self {
        Data { data, meta: Meta::default() }
    }
}

impl<T> Data<Vec<T>> {
    pub fn page<C>(page: Page<C>) -> Self
    where
        T: From<C>,
    {
        let Page { items, next_cursor } = page;
        Data { data: items.into_iter().map(T::from).collect(), meta: Meta { next_cursor } }
    }
}

// ---------------------------------------------------------------- schemas of core enums

fn names<T: Serialize>(all: impl IntoIterator<Item = T>) -> Vec<Value> {
    all.into_iter().filter_map(|v| serde_json::to_value(v).ok()).collect()
}

fn string_enum(values: Vec<Value>, description: &str) -> Object {
    ObjectBuilder::new().schema_type(Type::String).enum_values(Some(values)).description(Some(description)).build()
}

/// An optional field's enum: `null` reads as absent, like every `Option`
/// field (`schema_with` does not add that by itself).
fn nullable_enum(mut values: Vec<Value>, description: &str) -> Object {
    values.push(Value::Null);
    ObjectBuilder::new()
        .schema_type(SchemaType::from_iter([Type::String, Type::Null]))
        .enum_values(Some(values))
        .description(Some(description))
        .build()
}

pub(crate) fn status_schema() -> Object {
    string_enum(names(Status::ALL), "Booking status")
}

pub(crate) fn new_status_schema() -> Object {
    nullable_enum(names([Status::Hold, Status::Pencil, Status::Confirmed]), "Status of a new booking (default hold)")
}

pub(crate) fn role_schema() -> Object {
    string_enum(names(Role::ALL), "What an API key may do")
}

pub(crate) fn weekday_schema() -> Object {
    string_enum(names(Weekday::ALL), "Day of the week")
}

pub(crate) fn policy_schema() -> Object {
    string_enum(names([Policy::Advisory, Policy::Strict]), "Whether working hours bind bookings")
}

pub(crate) fn optional_policy_schema() -> Object {
    nullable_enum(names([Policy::Advisory, Policy::Strict]), "Whether working hours bind bookings (default advisory)")
}

pub(crate) fn group_by_schema() -> Object {
    string_enum(names([GroupBy::Resource, GroupBy::Project, GroupBy::Day]), "How utilization rows are grouped")
}

// ---------------------------------------------------------------- durations

/// Milliseconds on the wire as a `TimeDelta`; overflow is `INVALID_INPUT`
/// on that field (the range checks are the core's).
pub fn ms(field: &str, value: Option<i64>) -> ApiResult<Option<TimeDelta>> {
    value
        .map(|ms| TimeDelta::try_milliseconds(ms).ok_or_else(|| ApiError::invalid(field, "duration out of range")))
        .transpose()
}

fn to_ms(d: TimeDelta) -> i64 {
    d.num_milliseconds()
}

fn us_to_ms(us: i64) -> i64 {
    us / 1_000
}

/// The core names a duration by its Rust field (`hold_ttl`, in µs); the
/// wire by its JSON field (`hold_ttl_ms`). Renames the field of an input or
/// limit error, and states a limit's numbers in milliseconds.
pub fn wire_fields(error: holdfast::Error, renames: &[(&str, &str)]) -> holdfast::Error {
    use holdfast::Error as E;
    let rename = |field: &str| -> Option<String> {
        renames.iter().find_map(|(core, wire)| {
            let prefix = field.strip_suffix(core)?;
            (prefix.is_empty() || prefix.ends_with('.')).then(|| format!("{prefix}{wire}"))
        })
    };
    match error {
        E::InvalidInput { field, message } => match rename(&field) {
            Some(wire) => E::InvalidInput { field: wire, message },
            None => E::InvalidInput { field, message },
        },
        E::LimitExceeded { field, max, actual } => match rename(&field) {
            Some(wire) => E::LimitExceeded { field: wire, max: us_to_ms(max), actual: us_to_ms(actual) },
            None => E::LimitExceeded { field, max, actual },
        },
        E::InBatch { index, source } => E::InBatch { index, source: Box::new(wire_fields(*source, renames)) },
        other => other,
    }
}

/// Core duration fields and their wire names.
pub const BOOKING_DURATIONS: &[(&str, &str)] = &[("hold_ttl", "hold_ttl_ms")];
pub const RESOURCE_DURATIONS: &[(&str, &str)] =
    &[("buffer_before", "buffer_before_ms"), ("buffer_after", "buffer_after_ms")];
pub const SLOT_DURATIONS: &[(&str, &str)] = &[("duration", "duration_ms"), ("step", "step_ms")];

// ---------------------------------------------------------------- common shapes

/// Half-open `[start, end)`.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct IntervalOut {
    #[schema(value_type = String, format = DateTime)]
    pub start: Timestamp,
    #[schema(value_type = String, format = DateTime)]
    pub end: Timestamp,
}

impl From<Interval> for IntervalOut {
    fn from(Interval { start, end }: Interval) -> Self {
        IntervalOut { start, end }
    }
}

fn intervals(list: Vec<Interval>) -> Vec<IntervalOut> {
    list.into_iter().map(IntervalOut::from).collect()
}

// ---------------------------------------------------------------- resources

/// A bookable resource (an artist, a room, a camera).
#[derive(Debug, Serialize, ToSchema)]
pub struct ResourceOut {
    pub id: String,
    pub name: String,
    #[schema(example = "artist")]
    pub kind: String,
    pub capacity: u32,
    #[schema(example = "Europe/Berlin")]
    pub timezone: String,
    pub tags: Vec<String>,
    pub buffer_before_ms: i64,
    pub buffer_after_ms: i64,
    pub active: bool,
    #[schema(value_type = Object)]
    pub metadata: Metadata,
    pub version: i64,
    #[schema(value_type = String, format = DateTime)]
    pub created_at: Timestamp,
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: Timestamp,
}

impl From<Resource> for ResourceOut {
    fn from(r: Resource) -> Self {
        let Resource {
            id,
            name,
            kind,
            capacity,
            timezone,
            tags,
            buffer_before,
            buffer_after,
            active,
            metadata,
            version,
            created_at,
            updated_at,
        } = r;
        ResourceOut {
            id,
            name,
            kind,
            capacity,
            timezone,
            tags,
            buffer_before_ms: to_ms(buffer_before),
            buffer_after_ms: to_ms(buffer_after),
            active,
            metadata,
            version,
            created_at,
            updated_at,
        }
    }
}

/// A new resource; absent fields take the core's defaults (capacity 1,
/// kind "resource", time zone UTC, active, no buffers).
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewResourceIn {
    /// Client-chosen id (`[A-Za-z0-9_.:-]`, 1–128); generated when absent.
    pub id: Option<String>,
    /// Not blank.
    #[schema(pattern = r"\S")]
    pub name: String,
    pub kind: Option<String>,
    pub capacity: Option<u32>,
    /// IANA time zone of its working hours.
    pub timezone: Option<String>,
    pub tags: Option<Vec<String>>,
    pub buffer_before_ms: Option<i64>,
    pub buffer_after_ms: Option<i64>,
    pub active: Option<bool>,
    #[schema(value_type = Option<Object>)]
    pub metadata: Option<Metadata>,
}

impl NewResourceIn {
    pub fn into_core(self) -> ApiResult<NewResource> {
        let d = NewResource::default();
        Ok(NewResource {
            id: self.id,
            name: self.name,
            kind: self.kind.unwrap_or(d.kind),
            capacity: self.capacity.unwrap_or(d.capacity),
            timezone: self.timezone.unwrap_or(d.timezone),
            tags: self.tags.unwrap_or(d.tags),
            buffer_before: ms("buffer_before_ms", self.buffer_before_ms)?.unwrap_or(d.buffer_before),
            buffer_after: ms("buffer_after_ms", self.buffer_after_ms)?.unwrap_or(d.buffer_after),
            active: self.active.unwrap_or(d.active),
            metadata: self.metadata.unwrap_or(d.metadata),
        })
    }
}

/// Changes to a resource; absent fields keep their value.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ResourcePatchIn {
    /// Not blank.
    #[schema(pattern = r"\S")]
    pub name: Option<String>,
    pub kind: Option<String>,
    pub capacity: Option<u32>,
    pub timezone: Option<String>,
    pub tags: Option<Vec<String>>,
    pub buffer_before_ms: Option<i64>,
    pub buffer_after_ms: Option<i64>,
    pub active: Option<bool>,
    #[schema(value_type = Option<Object>)]
    pub metadata: Option<Metadata>,
    /// Alternative to `If-Match`.
    pub expected_version: Option<i64>,
}

impl ResourcePatchIn {
    pub fn into_core(self) -> ApiResult<ResourcePatch> {
        Ok(ResourcePatch {
            name: self.name,
            kind: self.kind,
            capacity: self.capacity,
            timezone: self.timezone,
            tags: self.tags,
            buffer_before: ms("buffer_before_ms", self.buffer_before_ms)?,
            buffer_after: ms("buffer_after_ms", self.buffer_after_ms)?,
            active: self.active,
            metadata: self.metadata,
        })
    }
}

// ---------------------------------------------------------------- projects

/// A project groups bookings (a film, a campaign).
#[derive(Debug, Serialize, ToSchema)]
pub struct ProjectOut {
    pub id: String,
    pub name: String,
    #[schema(value_type = Object)]
    pub metadata: Metadata,
    pub version: i64,
    #[schema(value_type = String, format = DateTime)]
    pub created_at: Timestamp,
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: Timestamp,
}

impl From<Project> for ProjectOut {
    fn from(p: Project) -> Self {
        let Project { id, name, metadata, version, created_at, updated_at } = p;
        ProjectOut { id, name, metadata, version, created_at, updated_at }
    }
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewProjectIn {
    pub id: Option<String>,
    /// Not blank.
    #[schema(pattern = r"\S")]
    pub name: String,
    #[schema(value_type = Option<Object>)]
    pub metadata: Option<Metadata>,
}

impl NewProjectIn {
    pub fn into_core(self) -> NewProject {
        let d = NewProject::default();
        NewProject { id: self.id, name: self.name, metadata: self.metadata.unwrap_or(d.metadata) }
    }
}

// ---------------------------------------------------------------- bookings

/// A booking. `hold_expires_at` is set for holds only.
#[derive(Debug, Serialize, ToSchema)]
pub struct BookingOut {
    pub id: String,
    pub resource_id: String,
    pub project_id: Option<String>,
    #[schema(value_type = String, format = DateTime)]
    pub start: Timestamp,
    #[schema(value_type = String, format = DateTime)]
    pub end: Timestamp,
    #[schema(schema_with = status_schema)]
    pub status: Status,
    pub quantity: u32,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub hold_expires_at: Option<Timestamp>,
    pub title: Option<String>,
    pub notes: Option<String>,
    #[schema(value_type = Object)]
    pub metadata: Metadata,
    /// Bumped by every change; the `ETag`.
    pub version: i64,
    #[schema(value_type = String, format = DateTime)]
    pub created_at: Timestamp,
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: Timestamp,
    pub idempotency_key: Option<String>,
}

impl From<Booking> for BookingOut {
    fn from(b: Booking) -> Self {
        let Booking {
            id,
            resource_id,
            project_id,
            start,
            end,
            status,
            quantity,
            hold_expires_at,
            title,
            notes,
            metadata,
            version,
            created_at,
            updated_at,
            idempotency_key,
        } = b;
        BookingOut {
            id,
            resource_id,
            project_id,
            start,
            end,
            status,
            quantity,
            hold_expires_at,
            title,
            notes,
            metadata,
            version,
            created_at,
            updated_at,
            idempotency_key,
        }
    }
}

/// A new booking. Absent optional fields take the core's defaults (status
/// `hold`, quantity 1, the engine's hold TTL).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewBookingIn {
    /// Client-chosen id; a UUIDv7 is generated when absent.
    pub id: Option<String>,
    pub resource_id: String,
    pub project_id: Option<String>,
    /// RFC 3339 with an offset.
    #[schema(value_type = String, format = DateTime, example = "2026-12-01T09:00:00Z")]
    pub start: Timestamp,
    #[schema(value_type = String, format = DateTime, example = "2026-12-01T17:00:00Z")]
    pub end: Timestamp,
    #[schema(schema_with = new_status_schema)]
    pub status: Option<Status>,
    /// Capacity units (default 1).
    #[schema(minimum = 1)]
    pub quantity: Option<u32>,
    /// Hold lifetime from the decision instant (holds only).
    #[schema(example = 1_800_000)]
    pub hold_ttl_ms: Option<i64>,
    /// Absolute hold expiry (holds only; not with `hold_ttl_ms`).
    #[schema(value_type = Option<String>, format = DateTime)]
    pub hold_expires_at: Option<Timestamp>,
    pub title: Option<String>,
    pub notes: Option<String>,
    #[schema(value_type = Option<Object>)]
    pub metadata: Option<Metadata>,
    /// Same as the `Idempotency-Key` header.
    pub idempotency_key: Option<String>,
}

impl NewBookingIn {
    /// `field_prefix` names the item in a batch (`items[3].`).
    pub fn into_core(self, field_prefix: &str) -> ApiResult<NewBooking> {
        let d = NewBooking::default();
        Ok(NewBooking {
            id: self.id,
            resource_id: self.resource_id,
            project_id: self.project_id,
            start: self.start,
            end: self.end,
            status: self.status.unwrap_or(d.status),
            quantity: self.quantity.unwrap_or(d.quantity),
            hold_ttl: ms(&format!("{field_prefix}hold_ttl_ms"), self.hold_ttl_ms)?.or(d.hold_ttl),
            hold_expires_at: self.hold_expires_at.or(d.hold_expires_at),
            title: self.title.or(d.title),
            notes: self.notes.or(d.notes),
            metadata: self.metadata.unwrap_or(d.metadata),
            idempotency_key: self.idempotency_key.or(d.idempotency_key),
        })
    }
}

/// All-or-nothing creation of several bookings.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BatchIn {
    pub items: Vec<NewBookingIn>,
}

/// Moves a booking in time, and optionally to another resource.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RescheduleIn {
    #[schema(value_type = String, format = DateTime)]
    pub start: Timestamp,
    #[schema(value_type = String, format = DateTime)]
    pub end: Timestamp,
    /// Target resource; absent keeps the current one.
    pub resource_id: Option<String>,
    /// Alternative to `If-Match`.
    pub expected_version: Option<i64>,
}

impl RescheduleIn {
    pub fn to_core(&self) -> Reschedule {
        Reschedule { start: self.start, end: self.end, resource_id: self.resource_id.clone() }
    }
}

/// Optional body of `pencil`, `confirm`, `cancel`, `decline`.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ActionIn {
    /// Alternative to `If-Match`.
    pub expected_version: Option<i64>,
}

/// Body of `extend`: a new TTL from now, or an instant; neither = the
/// engine's default TTL.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ExtendIn {
    pub hold_ttl_ms: Option<i64>,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub hold_expires_at: Option<Timestamp>,
    pub expected_version: Option<i64>,
}

impl ExtendIn {
    pub fn expiry(&self) -> ApiResult<holdfast::HoldExpiry> {
        use holdfast::HoldExpiry;
        match (ms("hold_ttl_ms", self.hold_ttl_ms)?, self.hold_expires_at) {
            (Some(_), Some(_)) => {
                Err(ApiError::invalid("hold_ttl_ms", "give hold_ttl_ms or hold_expires_at, not both"))
            }
            (Some(ttl), None) => Ok(HoldExpiry::Ttl(ttl)),
            (None, Some(at)) => Ok(HoldExpiry::At(at)),
            (None, None) => Ok(HoldExpiry::Default),
        }
    }
}

// ---------------------------------------------------------------- availability

/// Weekly working hours: every `weekday`, `start`–`end` local time.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WeeklyHoursW {
    #[schema(schema_with = weekday_schema)]
    pub weekday: Weekday,
    /// `"HH:MM"` in the resource's time zone.
    #[schema(value_type = String, example = "09:00")]
    pub start: LocalTime,
    /// `"HH:MM"`; `"24:00"` ends the day; at or before `start` runs overnight.
    #[schema(value_type = String, example = "18:00")]
    pub end: LocalTime,
}

/// One shift on an overridden date.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct HoursW {
    #[schema(value_type = String, example = "10:00")]
    pub start: LocalTime,
    #[schema(value_type = String, example = "14:00")]
    pub end: LocalTime,
}

/// A date with other hours than the weekly ones; no hours = closed.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DateOverrideW {
    /// Local date in the resource's time zone.
    #[schema(value_type = String, format = Date, example = "2026-12-24")]
    pub date: NaiveDate,
    #[serde(default)]
    pub hours: Vec<HoursW>,
}

impl From<WeeklyHours> for WeeklyHoursW {
    fn from(WeeklyHours { weekday, start, end }: WeeklyHours) -> Self {
        WeeklyHoursW { weekday, start, end }
    }
}

impl From<WeeklyHoursW> for WeeklyHours {
    fn from(WeeklyHoursW { weekday, start, end }: WeeklyHoursW) -> Self {
        WeeklyHours { weekday, start, end }
    }
}

impl From<Hours> for HoursW {
    fn from(Hours { start, end }: Hours) -> Self {
        HoursW { start, end }
    }
}

impl From<HoursW> for Hours {
    fn from(HoursW { start, end }: HoursW) -> Self {
        Hours { start, end }
    }
}

impl From<DateOverride> for DateOverrideW {
    fn from(DateOverride { date, hours }: DateOverride) -> Self {
        DateOverrideW { date, hours: hours.into_iter().map(HoursW::from).collect() }
    }
}

impl From<DateOverrideW> for DateOverride {
    fn from(DateOverrideW { date, hours }: DateOverrideW) -> Self {
        DateOverride { date, hours: hours.into_iter().map(Hours::from).collect() }
    }
}

/// A resource's availability rules, replaced as a whole. Absent fields take
/// the core's defaults (advisory; open around the clock; no overrides).
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AvailabilityRulesIn {
    #[schema(schema_with = optional_policy_schema)]
    pub policy: Option<Policy>,
    pub weekly: Option<Vec<WeeklyHoursW>>,
    pub overrides: Option<Vec<DateOverrideW>>,
    /// Alternative to `If-Match` (the rules' own version, 0 before any set).
    pub expected_version: Option<i64>,
}

impl AvailabilityRulesIn {
    pub fn to_core(&self) -> AvailabilityRules {
        let d = AvailabilityRules::default();
        AvailabilityRules {
            policy: self.policy.unwrap_or(d.policy),
            weekly: match &self.weekly {
                Some(list) => list.iter().cloned().map(WeeklyHours::from).collect(),
                None => d.weekly,
            },
            overrides: match &self.overrides {
                Some(list) => list.iter().cloned().map(DateOverride::from).collect(),
                None => d.overrides,
            },
        }
    }
}

/// A resource's rules as stored, with their own version.
#[derive(Debug, Serialize, ToSchema)]
pub struct AvailabilityOut {
    pub resource_id: String,
    #[schema(schema_with = policy_schema)]
    pub policy: Policy,
    pub weekly: Vec<WeeklyHoursW>,
    pub overrides: Vec<DateOverrideW>,
    /// 0 until rules are first set (the defaults apply).
    pub version: i64,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub updated_at: Option<Timestamp>,
}

impl From<Availability> for AvailabilityOut {
    fn from(a: Availability) -> Self {
        let Availability { resource_id, policy, weekly, overrides, version, updated_at } = a;
        AvailabilityOut {
            resource_id,
            policy,
            weekly: weekly.into_iter().map(WeeklyHoursW::from).collect(),
            overrides: overrides.into_iter().map(DateOverrideW::from).collect(),
            version,
            updated_at,
        }
    }
}

/// Body of `check-availability`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CheckAvailabilityIn {
    pub resource_id: String,
    #[schema(value_type = String, format = DateTime)]
    pub start: Timestamp,
    #[schema(value_type = String, format = DateTime)]
    pub end: Timestamp,
    /// Capacity units; absent = a new booking's default quantity.
    pub quantity: Option<u32>,
}

/// A blocking booking named by a `CONFLICT`.
#[derive(Debug, Serialize, ToSchema)]
pub struct ConflictingBookingOut {
    pub id: String,
    pub resource_id: String,
    #[schema(schema_with = status_schema)]
    pub status: Status,
    pub interval: IntervalOut,
    pub quantity: u32,
}

impl From<ConflictingBooking> for ConflictingBookingOut {
    fn from(c: ConflictingBooking) -> Self {
        let ConflictingBooking { id, resource_id, status, interval, quantity } = c;
        ConflictingBookingOut { id, resource_id, status, interval: interval.into(), quantity }
    }
}

/// One reason an interval is not (fully) available.
#[derive(Debug, Serialize, ToSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ReasonOut {
    /// A blocking booking leaves too little capacity.
    Conflict(ConflictingBookingOut),
    /// These parts lie outside working hours.
    OutsideHours { intervals: Vec<IntervalOut> },
    /// An override closes this local date.
    ClosedOverride {
        #[schema(value_type = String, format = Date)]
        date: NaiveDate,
    },
    /// A rule time on this date does not exist (clocks jumped).
    DstGap {
        #[schema(value_type = String, format = Date)]
        date: NaiveDate,
        #[schema(value_type = String)]
        local_time: LocalTime,
        #[schema(value_type = String, format = DateTime)]
        resolved_to: Timestamp,
    },
    /// The resource takes no new bookings.
    Inactive,
    /// More units asked than the resource has.
    QuantityAboveCapacity { quantity: u32, capacity: u32 },
}

impl From<Reason> for ReasonOut {
    fn from(reason: Reason) -> Self {
        match reason {
            Reason::Conflict(c) => ReasonOut::Conflict(c.into()),
            Reason::OutsideHours { intervals: list } => ReasonOut::OutsideHours { intervals: intervals(list) },
            Reason::ClosedOverride { date } => ReasonOut::ClosedOverride { date },
            Reason::DstGap { date, local_time, resolved_to } => ReasonOut::DstGap { date, local_time, resolved_to },
            Reason::Inactive => ReasonOut::Inactive,
            Reason::QuantityAboveCapacity { quantity, capacity } => {
                ReasonOut::QuantityAboveCapacity { quantity, capacity }
            }
        }
    }
}

/// Whether a booking would fit, with every reason it would not.
#[derive(Debug, Serialize, ToSchema)]
pub struct AvailabilityCheckOut {
    pub resource_id: String,
    pub interval: IntervalOut,
    pub quantity: u32,
    #[schema(schema_with = policy_schema)]
    pub policy: Policy,
    /// Free and inside working hours: no reason at all.
    pub available: bool,
    /// A create would be accepted now (advisory resources: also outside hours).
    pub bookable: bool,
    pub reasons: Vec<ReasonOut>,
}

impl From<AvailabilityCheck> for AvailabilityCheckOut {
    fn from(c: AvailabilityCheck) -> Self {
        let AvailabilityCheck { resource_id, interval, quantity, policy, available, bookable, reasons } = c;
        AvailabilityCheckOut {
            resource_id,
            interval: interval.into(),
            quantity,
            policy,
            available,
            bookable,
            reasons: reasons.into_iter().map(ReasonOut::from).collect(),
        }
    }
}

/// One blocking booking's footprint (buffers included), clipped to the window.
#[derive(Debug, Serialize, ToSchema)]
pub struct BusyIntervalOut {
    #[schema(value_type = String, format = DateTime)]
    pub start: Timestamp,
    #[schema(value_type = String, format = DateTime)]
    pub end: Timestamp,
    pub booking_id: String,
    #[schema(schema_with = status_schema)]
    pub status: Status,
    pub quantity: u32,
}

impl From<BusyInterval> for BusyIntervalOut {
    fn from(b: BusyInterval) -> Self {
        let BusyInterval { start, end, booking_id, status, quantity } = b;
        BusyIntervalOut { start, end, booking_id, status, quantity }
    }
}

/// A resource's busy and free time over a window.
#[derive(Debug, Serialize, ToSchema)]
pub struct FreeBusyOut {
    pub resource_id: String,
    pub capacity: u32,
    pub busy: Vec<BusyIntervalOut>,
    /// Working hours within the window.
    pub hours: Vec<IntervalOut>,
    /// Working hours with at least one unit left.
    pub free: Vec<IntervalOut>,
}

impl From<FreeBusy> for FreeBusyOut {
    fn from(f: FreeBusy) -> Self {
        let FreeBusy { resource_id, capacity, busy, hours, free } = f;
        FreeBusyOut {
            resource_id,
            capacity,
            busy: busy.into_iter().map(BusyIntervalOut::from).collect(),
            hours: intervals(hours),
            free: intervals(free),
        }
    }
}

/// Body of `slots/search`: exactly one of `duration_ms` and `working_days`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SlotSearchIn {
    /// Resources to search; with `tag`, those of them carrying it.
    pub resource_ids: Option<Vec<String>>,
    /// Every active resource carrying this tag.
    pub tag: Option<String>,
    #[schema(value_type = String, format = DateTime)]
    pub start: Timestamp,
    #[schema(value_type = String, format = DateTime)]
    pub end: Timestamp,
    #[schema(example = 7_200_000)]
    pub duration_ms: Option<i64>,
    pub working_days: Option<u32>,
    /// Slot alignment (default: the duration).
    pub step_ms: Option<i64>,
    pub quantity: Option<u32>,
    pub limit: Option<usize>,
    pub per_resource: Option<bool>,
}

impl SlotSearchIn {
    pub fn into_core(self) -> ApiResult<SlotQuery> {
        let d = SlotQuery::default();
        Ok(SlotQuery {
            resource_ids: self.resource_ids.unwrap_or(d.resource_ids),
            tag: self.tag.or(d.tag),
            start: self.start,
            end: self.end,
            duration: ms("duration_ms", self.duration_ms)?.or(d.duration),
            working_days: self.working_days.or(d.working_days),
            step: ms("step_ms", self.step_ms)?.or(d.step),
            quantity: self.quantity.unwrap_or(d.quantity),
            limit: self.limit.or(d.limit),
            per_resource: self.per_resource.unwrap_or(d.per_resource),
        })
    }
}

/// A free slot; `parts` are the intervals to book.
#[derive(Debug, Serialize, ToSchema)]
pub struct FoundSlotOut {
    pub resource_id: String,
    #[schema(value_type = String, format = DateTime)]
    pub start: Timestamp,
    #[schema(value_type = String, format = DateTime)]
    pub end: Timestamp,
    pub parts: Vec<IntervalOut>,
}

impl From<FoundSlot> for FoundSlotOut {
    fn from(s: FoundSlot) -> Self {
        let FoundSlot { resource_id, start, end, parts } = s;
        FoundSlotOut { resource_id, start, end, parts: intervals(parts) }
    }
}

// ---------------------------------------------------------------- events

/// One entry of the tenant's event log (`seq` gap-free per tenant).
#[derive(Debug, Serialize, ToSchema)]
pub struct EventOut {
    pub tenant_id: String,
    pub seq: i64,
    pub booking_id: Option<String>,
    /// `created`, `confirmed`, `cancelled`, `resource_created`, …
    #[serde(rename = "type")]
    #[schema(example = "created")]
    pub kind: String,
    /// `key:<id>` for calls through the server, `system` for expiry.
    pub actor: String,
    #[schema(value_type = String, format = DateTime)]
    pub at: Timestamp,
    /// The entity after the change, as the core's log records it
    /// (durations there are in microseconds, `*_us`).
    #[schema(value_type = Object)]
    pub data: Value,
}

impl From<Event> for EventOut {
    fn from(e: Event) -> Self {
        let Event { tenant_id, seq, booking_id, kind, actor, at, data } = e;
        EventOut { tenant_id, seq, booking_id, kind: kind.as_str().to_owned(), actor, at, data }
    }
}

// ---------------------------------------------------------------- keys

/// An API key (never with its secret).
#[derive(Debug, Serialize, ToSchema)]
pub struct ApiKeyOut {
    pub id: String,
    pub tenant_id: String,
    #[schema(schema_with = role_schema)]
    pub role: Role,
    pub resource_id: Option<String>,
    pub name: String,
    #[schema(value_type = String, format = DateTime)]
    pub created_at: Timestamp,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub revoked_at: Option<Timestamp>,
}

impl From<ApiKey> for ApiKeyOut {
    fn from(k: ApiKey) -> Self {
        let ApiKey { id, tenant_id, role, resource_id, name, created_at, revoked_at } = k;
        ApiKeyOut { id, tenant_id, role, resource_id, name, created_at, revoked_at }
    }
}

/// A key just issued: `token` is shown this once.
#[derive(Debug, Serialize, ToSchema)]
pub struct IssuedKeyOut {
    pub key: ApiKeyOut,
    /// The bearer token (`Authorization: Bearer <token>`).
    pub token: String,
}

impl From<IssuedKey> for IssuedKeyOut {
    fn from(i: IssuedKey) -> Self {
        let IssuedKey { key, token } = i;
        IssuedKeyOut { key: key.into(), token }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewApiKeyIn {
    #[schema(schema_with = role_schema)]
    pub role: Role,
    /// The resource a `resource` key is bound to (that role only).
    pub resource_id: Option<String>,
    pub name: Option<String>,
}

impl NewApiKeyIn {
    pub fn into_core(self) -> NewApiKey {
        NewApiKey { role: self.role, resource_id: self.resource_id, name: self.name.unwrap_or_default() }
    }
}

// ---------------------------------------------------------------- reports

/// Booked against working time in one group (capacity-unit milliseconds).
#[derive(Debug, Serialize, ToSchema)]
pub struct UtilizationRowOut {
    /// Resource id, project id (`""`: none) or local date.
    pub group: String,
    /// Working time of active resources (capacity × hours); absent for projects.
    pub available_ms: Option<i64>,
    pub hold_ms: i64,
    pub pencil_ms: i64,
    pub confirmed_ms: i64,
    pub booked_in_hours_ms: i64,
    /// `booked_in_hours / available`.
    pub utilization: Option<f64>,
}

impl From<UtilizationRow> for UtilizationRowOut {
    fn from(r: UtilizationRow) -> Self {
        let UtilizationRow { group, available_us, hold_us, pencil_us, confirmed_us, booked_in_hours_us, utilization } =
            r;
        UtilizationRowOut {
            group,
            available_ms: available_us.map(us_to_ms),
            hold_ms: us_to_ms(hold_us),
            pencil_ms: us_to_ms(pencil_us),
            confirmed_ms: us_to_ms(confirmed_us),
            booked_in_hours_ms: us_to_ms(booked_in_hours_us),
            utilization,
        }
    }
}

// ---------------------------------------------------------------- query strings

/// An instant in a query string. A `+` offset arrives as a space once the
/// query is decoded (`+` means space there); it is read back as `+`.
#[derive(Debug, Clone, Copy)]
pub struct QueryTime(pub Timestamp);

impl<'de> Deserialize<'de> for QueryTime {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        Timestamp::parse(&text.replace(' ', "+")).map(QueryTime).map_err(|e| match e {
            holdfast::Error::InvalidInput { message, .. } => serde::de::Error::custom(message),
            other => serde::de::Error::custom(other),
        })
    }
}

/// Paging of lists.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct PageQuery {
    /// Page size (default 100, at most 1,000).
    #[param(minimum = 1, maximum = 1000)]
    pub limit: Option<usize>,
    /// `meta.next_cursor` of the previous page.
    pub cursor: Option<String>,
}

impl PageQuery {
    pub fn to_core(&self) -> holdfast::PageRequest {
        holdfast::PageRequest { limit: self.limit, cursor: self.cursor.clone() }
    }
}

/// Filters of booking lists; every filter narrows.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct BookingListQuery {
    /// Comma-separated resource ids.
    pub resource_id: Option<String>,
    pub project_id: Option<String>,
    /// Comma-separated statuses (`hold,pencil`).
    pub status: Option<String>,
    /// With `end`: only bookings overlapping `[start, end)`.
    #[param(value_type = Option<String>, format = DateTime)]
    pub start: Option<QueryTime>,
    #[param(value_type = Option<String>, format = DateTime)]
    pub end: Option<QueryTime>,
    /// Page size (default 100, at most 1,000).
    #[param(minimum = 1, maximum = 1000)]
    pub limit: Option<usize>,
    pub cursor: Option<String>,
}

fn comma_list(text: &str) -> Vec<String> {
    text.split(',').map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned).collect()
}

impl BookingListQuery {
    pub fn to_core(&self) -> ApiResult<holdfast::BookingFilter> {
        let statuses = match &self.status {
            None => Vec::new(),
            Some(list) => comma_list(list)
                .iter()
                .map(|s| Status::parse(s))
                .collect::<holdfast::Result<Vec<_>>>()
                .map_err(ApiError::from)?,
        };
        Ok(holdfast::BookingFilter {
            resource_ids: self.resource_id.as_deref().map(comma_list).unwrap_or_default(),
            project_id: self.project_id.clone(),
            statuses,
            start: self.start.map(|t| t.0),
            end: self.end.map(|t| t.0),
            limit: self.limit,
            cursor: self.cursor.clone(),
        })
    }
}

/// A time window `[start, end)`.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct WindowQuery {
    #[param(value_type = String, format = DateTime)]
    pub start: QueryTime,
    #[param(value_type = String, format = DateTime)]
    pub end: QueryTime,
}

/// The report window and grouping.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct UtilizationQuery {
    #[param(value_type = String, format = DateTime)]
    pub start: QueryTime,
    #[param(value_type = String, format = DateTime)]
    pub end: QueryTime,
    /// `resource`, `project` or `day`.
    #[param(schema_with = group_by_schema)]
    pub group_by: String,
}

/// Reading the event log.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct EventsQuery {
    /// Events with `seq` above this (default 0: from the start). For SSE,
    /// the `Last-Event-ID` header takes precedence.
    pub since: Option<i64>,
    /// `meta.next_cursor` of the previous page (same as `since`).
    pub cursor: Option<String>,
    /// Page size (default 100, at most 1,000).
    #[param(minimum = 1, maximum = 1000)]
    pub limit: Option<usize>,
}
