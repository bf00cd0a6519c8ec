//! Resources: the `Resource` result, new resources and patches.

use holdfast::{NewResource, ResourcePatch};
use pyo3::prelude::*;

use super::record;
use super::time::opt_duration;
use super::{metadata, opt_count};

record! {
    /// A bookable resource. `buffer_before`/`buffer_after` are timedeltas.
    Resource(holdfast::Resource) {
        id, name, kind, capacity, timezone, tags, buffer_before, buffer_after,
        active, metadata, version, created_at, updated_at,
    }
}

/// The fields a resource is created or changed with (`None` = not given).
pub(crate) struct ResourceFields<'a, 'py> {
    pub name: Option<String>,
    pub kind: Option<String>,
    pub capacity: Option<i64>,
    pub timezone: Option<String>,
    pub tags: Option<Vec<String>>,
    pub buffer_before: Option<&'a Bound<'py, PyAny>>,
    pub buffer_after: Option<&'a Bound<'py, PyAny>>,
    pub active: Option<bool>,
    pub metadata: Option<&'a Bound<'py, PyAny>>,
}

impl ResourceFields<'_, '_> {
    /// A patch: only what was given changes.
    pub(crate) fn patch(self, py: Python<'_>) -> PyResult<ResourcePatch> {
        Ok(ResourcePatch {
            name: self.name,
            kind: self.kind,
            capacity: opt_count(py, "capacity", self.capacity)?,
            timezone: self.timezone,
            tags: self.tags,
            buffer_before: opt_duration("buffer_before", self.buffer_before)?,
            buffer_after: opt_duration("buffer_after", self.buffer_after)?,
            active: self.active,
            metadata: metadata("metadata", self.metadata)?,
        })
    }

    /// A new resource: what was not given keeps the core's default.
    pub(crate) fn new_resource(self, py: Python<'_>, id: Option<String>) -> PyResult<NewResource> {
        let patch = self.patch(py)?;
        let defaults = NewResource::default();
        Ok(NewResource {
            id,
            name: patch.name.unwrap_or(defaults.name),
            kind: patch.kind.unwrap_or(defaults.kind),
            capacity: patch.capacity.unwrap_or(defaults.capacity),
            timezone: patch.timezone.unwrap_or(defaults.timezone),
            tags: patch.tags.unwrap_or(defaults.tags),
            buffer_before: patch.buffer_before.unwrap_or(defaults.buffer_before),
            buffer_after: patch.buffer_after.unwrap_or(defaults.buffer_after),
            active: patch.active.unwrap_or(defaults.active),
            metadata: patch.metadata.unwrap_or(defaults.metadata),
        })
    }
}
