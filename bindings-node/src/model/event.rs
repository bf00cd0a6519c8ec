//! The event log: audit trail, real-time feed, resume point.

use chrono::{DateTime, Utc};
use holdfast::Result;
use napi_derive::napi;
use serde_json::Value;

use crate::convert;

/// What happened.
#[napi(string_enum = "snake_case")]
pub enum EventType {
    TenantCreated,
    ResourceCreated,
    ResourceUpdated,
    ProjectCreated,
    AvailabilitySet,
    ApiKeyCreated,
    ApiKeyRevoked,
    Created,
    Pencilled,
    Confirmed,
    Cancelled,
    Declined,
    Expired,
    HoldExtended,
    Rescheduled,
}

impl EventType {
    fn from_core(kind: holdfast::EventType) -> Self {
        use holdfast::EventType as E;
        match kind {
            E::TenantCreated => EventType::TenantCreated,
            E::ResourceCreated => EventType::ResourceCreated,
            E::ResourceUpdated => EventType::ResourceUpdated,
            E::ProjectCreated => EventType::ProjectCreated,
            E::AvailabilitySet => EventType::AvailabilitySet,
            E::ApiKeyCreated => EventType::ApiKeyCreated,
            E::ApiKeyRevoked => EventType::ApiKeyRevoked,
            E::Created => EventType::Created,
            E::Pencilled => EventType::Pencilled,
            E::Confirmed => EventType::Confirmed,
            E::Cancelled => EventType::Cancelled,
            E::Declined => EventType::Declined,
            E::Expired => EventType::Expired,
            E::HoldExtended => EventType::HoldExtended,
            E::Rescheduled => EventType::Rescheduled,
        }
    }
}

/// One entry of a tenant's log. `seq` is gap-free and strictly increasing
/// per tenant: pass the last one seen to `events` or `watch` to resume.
#[napi(object, use_nullable = true, object_from_js = false)]
pub struct Event {
    pub tenant_id: String,
    pub seq: i64,
    /// The booking concerned, if any.
    pub booking_id: Option<String>,
    #[napi(js_name = "type")]
    pub kind: EventType,
    /// Who did it ("system" for the engine's own actions such as expiry).
    pub actor: String,
    pub at: DateTime<Utc>,
    /// The entity after the change, as the log stores it (JSON: snake_case
    /// keys, ISO-8601 instants), plus what changed.
    #[napi(ts_type = "Record<string, any>")]
    pub data: Value,
}

impl Event {
    pub(crate) fn from_core(e: holdfast::Event) -> Result<Self> {
        Ok(Event {
            tenant_id: e.tenant_id,
            seq: e.seq,
            booking_id: e.booking_id,
            kind: EventType::from_core(e.kind),
            actor: e.actor,
            at: convert::date(e.at)?,
            data: e.data,
        })
    }
}
