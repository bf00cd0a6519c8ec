//! Projects group bookings (a film, a campaign); bookings may reference one.

use serde::{Deserialize, Serialize};

use super::ids::{Metadata, validate_id, validate_metadata, validate_text};
use super::time::Timestamp;
use crate::error::Result;
use crate::limits;

/// A project as stored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Project {
    pub id: String,
    pub name: String,
    pub metadata: Metadata,
    pub version: i64,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

/// Fields of a new project.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct NewProject {
    /// Client-chosen id; a UUIDv7 is generated when absent.
    pub id: Option<String>,
    pub name: String,
    pub metadata: Metadata,
}

impl NewProject {
    /// Checks every field against its rule and limit.
    pub fn validate(&self) -> Result<()> {
        if let Some(id) = &self.id {
            validate_id("id", id)?;
        }
        validate_text("name", &self.name, limits::NAME_LENGTH_MAX_CHARS, true)?;
        validate_metadata("metadata", &self.metadata)
    }
}
