//! The append-only event log: audit trail, real-time feed, freshness token.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::booking::Action;
use super::time::Timestamp;

/// What happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EventType {
    TenantCreated,
    ResourceCreated,
    ResourceUpdated,
    ProjectCreated,
    /// A resource's availability rules were set.
    AvailabilitySet,
    /// An API key was issued (its secret is never recorded).
    ApiKeyCreated,
    ApiKeyRevoked,
    /// A booking was created (as hold, pencil or confirmed).
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
    /// The event recording `action` on a booking.
    pub fn after(action: Action) -> EventType {
        match action {
            Action::Pencil => EventType::Pencilled,
            Action::Confirm => EventType::Confirmed,
            Action::Cancel => EventType::Cancelled,
            Action::Decline => EventType::Declined,
            Action::Expire => EventType::Expired,
            Action::Reschedule => EventType::Rescheduled,
            Action::ExtendHold => EventType::HoldExtended,
        }
    }

    /// The stable snake_case name.
    pub fn as_str(self) -> &'static str {
        match self {
            EventType::TenantCreated => "tenant_created",
            EventType::ResourceCreated => "resource_created",
            EventType::ResourceUpdated => "resource_updated",
            EventType::ProjectCreated => "project_created",
            EventType::AvailabilitySet => "availability_set",
            EventType::ApiKeyCreated => "api_key_created",
            EventType::ApiKeyRevoked => "api_key_revoked",
            EventType::Created => "created",
            EventType::Pencilled => "pencilled",
            EventType::Confirmed => "confirmed",
            EventType::Cancelled => "cancelled",
            EventType::Declined => "declined",
            EventType::Expired => "expired",
            EventType::HoldExtended => "hold_extended",
            EventType::Rescheduled => "rescheduled",
        }
    }

    /// Parses the stable snake_case name.
    pub fn parse(name: &str) -> Option<EventType> {
        use EventType as E;
        [
            E::TenantCreated,
            E::ResourceCreated,
            E::ResourceUpdated,
            E::ProjectCreated,
            E::AvailabilitySet,
            E::ApiKeyCreated,
            E::ApiKeyRevoked,
            E::Created,
            E::Pencilled,
            E::Confirmed,
            E::Cancelled,
            E::Declined,
            E::Expired,
            E::HoldExtended,
            E::Rescheduled,
        ]
        .into_iter()
        .find(|e| e.as_str() == name)
    }
}

/// One entry of a tenant's log. `seq` is gap-free and strictly increasing
/// per tenant, assigned in the transaction that made the change.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Event {
    pub tenant_id: String,
    pub seq: i64,
    /// The booking concerned, if any.
    pub booking_id: Option<String>,
    #[serde(rename = "type")]
    pub kind: EventType,
    /// Who did it ("system" for the engine's own actions such as expiry).
    pub actor: String,
    pub at: Timestamp,
    /// The entity after the change, plus what changed (`previous` on reschedule).
    pub data: Value,
}

/// Where an event's data names the resources it touched. The stores' scan
/// for the read cache (`touched_resources`) reads the same paths in SQL.
pub const RESOURCE_PATHS: [[&str; 2]; 4] =
    [["booking", "resource_id"], ["previous", "resource_id"], ["resource", "id"], ["availability", "resource_id"]];

/// The resources an event's data touched (the paths of [`RESOURCE_PATHS`]),
/// read from its JSON text without building a `Value`.
pub(crate) fn touched_in_json(json: &str) -> Vec<String> {
    #[derive(Deserialize)]
    struct ResourceIdField {
        resource_id: Option<String>,
    }
    #[derive(Deserialize)]
    struct IdField {
        id: Option<String>,
    }
    #[derive(Deserialize)]
    struct Paths {
        booking: Option<ResourceIdField>,
        previous: Option<ResourceIdField>,
        resource: Option<IdField>,
        availability: Option<ResourceIdField>,
    }
    match serde_json::from_str::<Paths>(json) {
        Ok(p) => [
            p.booking.and_then(|f| f.resource_id),
            p.previous.and_then(|f| f.resource_id),
            p.resource.and_then(|f| f.id),
            p.availability.and_then(|f| f.resource_id),
        ]
        .into_iter()
        .flatten()
        .collect(),
        // Some other shape at one of the paths: read it the slow way.
        Err(_) => {
            let data: Value = serde_json::from_str(json).unwrap_or(Value::Null);
            RESOURCE_PATHS
                .iter()
                .filter_map(|[outer, inner]| data.get(outer)?.get(inner)?.as_str().map(str::to_owned))
                .collect()
        }
    }
}

impl Event {
    /// Ids of the resources this event touched (a booking's resource, both
    /// ends of a move, a resource, its rules).
    pub fn touched_resources(&self) -> impl Iterator<Item = &str> {
        RESOURCE_PATHS.iter().filter_map(|[outer, inner]| self.data.get(outer)?.get(inner)?.as_str())
    }
}

#[cfg(test)]
mod touched_tests {
    use super::*;

    /// The text reader agrees with `Event::touched_resources` on every
    /// shape of event data the engine writes, and on odd ones.
    #[test]
    fn touched_in_json_reads_the_same_paths_as_touched_resources() {
        let samples = [
            r#"{"booking":{"id":"b","resource_id":"ada","status":"hold"}}"#,
            r#"{"booking":{"id":"b","resource_id":"bob"},"previous":{"resource_id":"ada","start":"x","end":"y"}}"#,
            r#"{"booking":{"resource_id":"ada"},"previous_status":"hold"}"#,
            r#"{"resource":{"id":"ada","name":"Ada"},"previous":{"id":"ada","capacity":2}}"#,
            r#"{"availability":{"resource_id":"ada","version":2},"previous":{"resource_id":"ada"}}"#,
            r#"{"tenant":{"id":"t"}}"#,
            r#"{"api_key":{"id":"k","resource_id":"ada"}}"#,
            r#"{"previous":"not an object","booking":{"resource_id":"ada"}}"#,
            r#"{"booking":null,"resource":{"id":7}}"#,
        ];
        for json in samples {
            let data: Value = serde_json::from_str(json).expect("sample");
            let event = Event {
                tenant_id: "t".into(),
                seq: 1,
                booking_id: None,
                kind: EventType::Created,
                actor: "api".into(),
                at: Timestamp::from_micros(0),
                data,
            };
            let expected: Vec<String> = event.touched_resources().map(str::to_owned).collect();
            assert_eq!(touched_in_json(json), expected, "{json}");
        }
    }
}
