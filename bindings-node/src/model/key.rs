//! API keys (what a role may do is the server's policy; a Node app hosting
//! its own API may use them the same way).

use chrono::{DateTime, Utc};
use holdfast::{Result, Role};
use napi_derive::napi;

use crate::convert;

/// What a key may do.
#[napi(string_enum = "snake_case")]
pub enum ApiKeyRole {
    Owner,
    Manager,
    Viewer,
    Resource,
}

impl ApiKeyRole {
    fn from_core(role: Role) -> Self {
        match role {
            Role::Owner => ApiKeyRole::Owner,
            Role::Manager => ApiKeyRole::Manager,
            Role::Viewer => ApiKeyRole::Viewer,
            Role::Resource => ApiKeyRole::Resource,
        }
    }
}

/// A key to issue.
#[napi(object, object_to_js = false)]
pub struct NewApiKey {
    #[napi(ts_type = "ApiKeyRole")]
    pub role: String,
    /// The one resource a `resource` key is bound to; only for that role.
    pub resource_id: Option<String>,
    /// A label for people; may be empty.
    pub name: Option<String>,
}

impl NewApiKey {
    pub(crate) fn into_core(self) -> Result<holdfast::NewApiKey> {
        Ok(holdfast::NewApiKey {
            role: Role::parse(&self.role)?,
            resource_id: self.resource_id,
            // Absent is empty, as in the core's serialized form.
            name: self.name.unwrap_or_default(),
        })
    }
}

/// A key as stored (never with its secret).
#[napi(object, use_nullable = true, object_from_js = false)]
pub struct ApiKey {
    /// Public part of the token, safe to log.
    pub id: String,
    pub tenant_id: String,
    pub role: ApiKeyRole,
    pub resource_id: Option<String>,
    pub name: String,
    pub created_at: DateTime<Utc>,
    pub revoked_at: Option<DateTime<Utc>>,
}

impl ApiKey {
    pub(crate) fn from_core(k: holdfast::ApiKey) -> Result<Self> {
        Ok(ApiKey {
            id: k.id,
            tenant_id: k.tenant_id,
            role: ApiKeyRole::from_core(k.role),
            resource_id: k.resource_id,
            name: k.name,
            created_at: convert::date(k.created_at)?,
            revoked_at: convert::opt_date(k.revoked_at)?,
        })
    }
}

/// A key just issued, with its bearer token: the only time it is shown.
#[napi(object, object_from_js = false)]
pub struct IssuedKey {
    pub key: ApiKey,
    pub token: String,
}

impl IssuedKey {
    pub(crate) fn from_core(k: holdfast::IssuedKey) -> Result<Self> {
        Ok(IssuedKey { key: ApiKey::from_core(k.key)?, token: k.token })
    }
}

/// One page of `listApiKeys`.
#[napi(object, use_nullable = true, object_from_js = false)]
pub struct ApiKeyPage {
    pub items: Vec<ApiKey>,
    pub next_cursor: Option<String>,
}

impl ApiKeyPage {
    pub(crate) fn from_core(page: holdfast::Page<holdfast::ApiKey>) -> Result<Self> {
        Ok(ApiKeyPage { items: super::all(page.items, ApiKey::from_core)?, next_cursor: page.next_cursor })
    }
}
