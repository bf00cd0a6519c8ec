//! Resources: the things booked (an artist, a room, a camera).

use chrono::TimeDelta;
use serde::{Deserialize, Serialize};

use super::ids::{Metadata, validate_id, validate_metadata, validate_text};
use super::time::{Timestamp, duration_us, serde_micros, serde_micros_opt};
use crate::error::{Error, Result};
use crate::limits;

/// A bookable resource as stored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Resource {
    pub id: String,
    pub name: String,
    /// What it is ("artist", "room"); free text.
    pub kind: String,
    /// Units that may be booked at once (1 = exclusive).
    pub capacity: u32,
    /// IANA time zone its working hours are written in.
    pub timezone: String,
    /// Skills or labels used to search for resources.
    pub tags: Vec<String>,
    /// Time blocked before every booking (set-up).
    #[serde(rename = "buffer_before_us", with = "serde_micros")]
    pub buffer_before: TimeDelta,
    /// Time blocked after every booking (clean-up, travel).
    #[serde(rename = "buffer_after_us", with = "serde_micros")]
    pub buffer_after: TimeDelta,
    /// Inactive resources keep their bookings but take no new ones.
    pub active: bool,
    pub metadata: Metadata,
    pub version: i64,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

impl Resource {
    /// Buffers in microseconds `(before, after)`; validated on the way in.
    pub fn buffers_us(&self) -> (i64, i64) {
        let us = |d: TimeDelta| d.num_microseconds().unwrap_or(0);
        (us(self.buffer_before), us(self.buffer_after))
    }
}

/// Fields of a new resource. `Default` gives capacity 1, time zone UTC,
/// kind "resource", active, no buffers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct NewResource {
    /// Client-chosen id; a UUIDv7 is generated when absent.
    pub id: Option<String>,
    pub name: String,
    pub kind: String,
    pub capacity: u32,
    pub timezone: String,
    pub tags: Vec<String>,
    #[serde(rename = "buffer_before_us", with = "serde_micros")]
    pub buffer_before: TimeDelta,
    #[serde(rename = "buffer_after_us", with = "serde_micros")]
    pub buffer_after: TimeDelta,
    pub active: bool,
    pub metadata: Metadata,
}

impl Default for NewResource {
    fn default() -> Self {
        NewResource {
            id: None,
            name: String::new(),
            kind: "resource".into(),
            capacity: 1,
            timezone: "UTC".into(),
            tags: Vec::new(),
            buffer_before: TimeDelta::zero(),
            buffer_after: TimeDelta::zero(),
            active: true,
            metadata: Metadata::new(),
        }
    }
}

/// Changes to a resource; `None` keeps the current value.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ResourcePatch {
    pub name: Option<String>,
    pub kind: Option<String>,
    pub capacity: Option<u32>,
    pub timezone: Option<String>,
    pub tags: Option<Vec<String>>,
    #[serde(rename = "buffer_before_us", with = "serde_micros_opt")]
    pub buffer_before: Option<TimeDelta>,
    #[serde(rename = "buffer_after_us", with = "serde_micros_opt")]
    pub buffer_after: Option<TimeDelta>,
    pub active: Option<bool>,
    pub metadata: Option<Metadata>,
}

impl ResourcePatch {
    /// Checks the fields the patch sets, each alone (every rule is per
    /// field), so a bad patch is `INVALID_INPUT` before any version check.
    pub fn validate(&self) -> Result<()> {
        let no_tags = Vec::new();
        let no_metadata = Metadata::default();
        validate_fields(&ResourceFields {
            name: self.name.as_deref().unwrap_or("unchanged"),
            kind: self.kind.as_deref().unwrap_or("unchanged"),
            capacity: self.capacity.unwrap_or(1),
            timezone: self.timezone.as_deref().unwrap_or("UTC"),
            tags: self.tags.as_ref().unwrap_or(&no_tags),
            buffer_before: self.buffer_before.unwrap_or_default(),
            buffer_after: self.buffer_after.unwrap_or_default(),
            metadata: self.metadata.as_ref().unwrap_or(&no_metadata),
        })
    }

    /// Applies the patch to a copy of `current` and validates the result.
    pub fn apply(&self, current: &Resource) -> Result<Resource> {
        let mut next = current.clone();
        if let Some(v) = &self.name {
            next.name.clone_from(v);
        }
        if let Some(v) = &self.kind {
            next.kind.clone_from(v);
        }
        if let Some(v) = self.capacity {
            next.capacity = v;
        }
        if let Some(v) = &self.timezone {
            next.timezone.clone_from(v);
        }
        if let Some(v) = &self.tags {
            next.tags.clone_from(v);
        }
        if let Some(v) = self.buffer_before {
            next.buffer_before = v;
        }
        if let Some(v) = self.buffer_after {
            next.buffer_after = v;
        }
        if let Some(v) = self.active {
            next.active = v;
        }
        if let Some(v) = &self.metadata {
            next.metadata.clone_from(v);
        }
        validate_fields(&ResourceFields {
            name: &next.name,
            kind: &next.kind,
            capacity: next.capacity,
            timezone: &next.timezone,
            tags: &next.tags,
            buffer_before: next.buffer_before,
            buffer_after: next.buffer_after,
            metadata: &next.metadata,
        })?;
        Ok(next)
    }
}

impl NewResource {
    /// Checks every field against its rule and limit.
    pub fn validate(&self) -> Result<()> {
        if let Some(id) = &self.id {
            validate_id("id", id)?;
        }
        validate_fields(&ResourceFields {
            name: &self.name,
            kind: &self.kind,
            capacity: self.capacity,
            timezone: &self.timezone,
            tags: &self.tags,
            buffer_before: self.buffer_before,
            buffer_after: self.buffer_after,
            metadata: &self.metadata,
        })
    }
}

struct ResourceFields<'a> {
    name: &'a str,
    kind: &'a str,
    capacity: u32,
    timezone: &'a str,
    tags: &'a [String],
    buffer_before: TimeDelta,
    buffer_after: TimeDelta,
    metadata: &'a Metadata,
}

fn validate_fields(r: &ResourceFields<'_>) -> Result<()> {
    validate_text("name", r.name, limits::NAME_LENGTH_MAX_CHARS, true)?;
    validate_text("kind", r.kind, limits::KIND_LENGTH_MAX_CHARS, true)?;
    if r.capacity == 0 {
        return Err(Error::invalid("capacity", "must be at least 1"));
    }
    if r.capacity > limits::CAPACITY_MAX {
        return Err(Error::limit("capacity", limits::CAPACITY_MAX as usize, r.capacity as usize));
    }
    validate_timezone(r.timezone)?;
    if r.tags.len() > limits::TAGS_COUNT_MAX {
        return Err(Error::limit("tags", limits::TAGS_COUNT_MAX, r.tags.len()));
    }
    for (i, tag) in r.tags.iter().enumerate() {
        validate_text(&format!("tags[{i}]"), tag, limits::TAG_LENGTH_MAX_CHARS, true)?;
    }
    duration_us("buffer_before", r.buffer_before, limits::BUFFER_MAX_US)?;
    duration_us("buffer_after", r.buffer_after, limits::BUFFER_MAX_US)?;
    validate_metadata("metadata", r.metadata)
}

/// An IANA time zone name known to chrono-tz ("Europe/Berlin", "UTC").
pub fn validate_timezone(name: &str) -> Result<()> {
    name.parse::<chrono_tz::Tz>()
        .map(|_| ())
        .map_err(|_| Error::invalid("timezone", format!("{name:?} is not an IANA time zone")))
}
