//! Projects.

use pyo3::prelude::*;

use super::record;

record! {
    /// A project bookings may reference.
    Project(holdfast::Project) { id, name, metadata, version, created_at, updated_at }
}
