//! Resources.

use chrono::{DateTime, Utc};
use holdfast::Result;
use napi_derive::napi;
use serde_json::{Map, Value};

use crate::convert;

/// A bookable resource as stored.
#[napi(object, object_from_js = false)]
pub struct Resource {
    pub id: String,
    pub name: String,
    /// What it is ("artist", "room"); free text.
    pub kind: String,
    /// Units that may be booked at once (1 = exclusive).
    pub capacity: u32,
    /// IANA time zone its working hours are written in.
    pub timezone: String,
    pub tags: Vec<String>,
    /// Time blocked before every booking, in milliseconds.
    pub buffer_before_ms: f64,
    /// Time blocked after every booking, in milliseconds.
    pub buffer_after_ms: f64,
    /// Inactive resources keep their bookings but take no new ones.
    pub active: bool,
    pub metadata: Map<String, Value>,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl Resource {
    pub(crate) fn from_core(r: holdfast::Resource) -> Result<Self> {
        Ok(Resource {
            id: r.id,
            name: r.name,
            kind: r.kind,
            capacity: r.capacity,
            timezone: r.timezone,
            tags: r.tags,
            buffer_before_ms: convert::ms(r.buffer_before),
            buffer_after_ms: convert::ms(r.buffer_after),
            active: r.active,
            metadata: r.metadata,
            version: r.version,
            created_at: convert::date(r.created_at)?,
            updated_at: convert::date(r.updated_at)?,
        })
    }
}

/// Fields of a new resource; absent ones take the core's defaults
/// (kind "resource", capacity 1, time zone UTC, no buffers, active).
#[napi(object, object_to_js = false)]
pub struct NewResource {
    /// Client-chosen id; generated (UUIDv7) when absent.
    pub id: Option<String>,
    pub name: String,
    pub kind: Option<String>,
    pub capacity: Option<f64>,
    pub timezone: Option<String>,
    pub tags: Option<Vec<String>>,
    pub buffer_before_ms: Option<f64>,
    pub buffer_after_ms: Option<f64>,
    pub active: Option<bool>,
    pub metadata: Option<Map<String, Value>>,
}

impl NewResource {
    pub(crate) fn into_core(self) -> Result<holdfast::NewResource> {
        let mut new = holdfast::NewResource { id: self.id, name: self.name, ..Default::default() };
        if let Some(kind) = self.kind {
            new.kind = kind;
        }
        if let Some(capacity) = convert::opt_whole("capacity", self.capacity)? {
            new.capacity = capacity;
        }
        if let Some(timezone) = self.timezone {
            new.timezone = timezone;
        }
        if let Some(tags) = self.tags {
            new.tags = tags;
        }
        if let Some(before) = convert::opt_duration_ms("buffer_before", self.buffer_before_ms)? {
            new.buffer_before = before;
        }
        if let Some(after) = convert::opt_duration_ms("buffer_after", self.buffer_after_ms)? {
            new.buffer_after = after;
        }
        if let Some(active) = self.active {
            new.active = active;
        }
        if let Some(metadata) = self.metadata {
            new.metadata = metadata;
        }
        Ok(new)
    }
}

/// Changes to a resource; absent fields keep their value.
#[napi(object, object_to_js = false)]
pub struct ResourcePatch {
    pub name: Option<String>,
    pub kind: Option<String>,
    pub capacity: Option<f64>,
    pub timezone: Option<String>,
    pub tags: Option<Vec<String>>,
    pub buffer_before_ms: Option<f64>,
    pub buffer_after_ms: Option<f64>,
    pub active: Option<bool>,
    pub metadata: Option<Map<String, Value>>,
}

impl ResourcePatch {
    pub(crate) fn into_core(self) -> Result<holdfast::ResourcePatch> {
        Ok(holdfast::ResourcePatch {
            name: self.name,
            kind: self.kind,
            capacity: convert::opt_whole("capacity", self.capacity)?,
            timezone: self.timezone,
            tags: self.tags,
            buffer_before: convert::opt_duration_ms("buffer_before", self.buffer_before_ms)?,
            buffer_after: convert::opt_duration_ms("buffer_after", self.buffer_after_ms)?,
            active: self.active,
            metadata: self.metadata,
        })
    }
}

/// One page of `listResources`.
#[napi(object, use_nullable = true, object_from_js = false)]
pub struct ResourcePage {
    pub items: Vec<Resource>,
    pub next_cursor: Option<String>,
}

impl ResourcePage {
    pub(crate) fn from_core(page: holdfast::Page<holdfast::Resource>) -> Result<Self> {
        Ok(ResourcePage { items: super::all(page.items, Resource::from_core)?, next_cursor: page.next_cursor })
    }
}
