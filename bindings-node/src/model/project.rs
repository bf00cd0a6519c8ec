//! Projects.

use chrono::{DateTime, Utc};
use holdfast::Result;
use napi_derive::napi;
use serde_json::{Map, Value};

use crate::convert;

/// A project as stored.
#[napi(object, object_from_js = false)]
pub struct Project {
    pub id: String,
    pub name: String,
    pub metadata: Map<String, Value>,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl Project {
    pub(crate) fn from_core(p: holdfast::Project) -> Result<Self> {
        Ok(Project {
            id: p.id,
            name: p.name,
            metadata: p.metadata,
            version: p.version,
            created_at: convert::date(p.created_at)?,
            updated_at: convert::date(p.updated_at)?,
        })
    }
}

/// Fields of a new project.
#[napi(object, object_to_js = false)]
pub struct NewProject {
    /// Client-chosen id; generated (UUIDv7) when absent.
    pub id: Option<String>,
    pub name: String,
    pub metadata: Option<Map<String, Value>>,
}

impl NewProject {
    pub(crate) fn into_core(self) -> holdfast::NewProject {
        let mut new = holdfast::NewProject { id: self.id, name: self.name, ..Default::default() };
        if let Some(metadata) = self.metadata {
            new.metadata = metadata;
        }
        new
    }
}

/// One page of `listProjects`.
#[napi(object, use_nullable = true, object_from_js = false)]
pub struct ProjectPage {
    pub items: Vec<Project>,
    pub next_cursor: Option<String>,
}

impl ProjectPage {
    pub(crate) fn from_core(page: holdfast::Page<holdfast::Project>) -> Result<Self> {
        Ok(ProjectPage { items: super::all(page.items, Project::from_core)?, next_cursor: page.next_cursor })
    }
}
