//! API keys: how the HTTP server (and anything else that serves several
//! callers) tells tenants and roles apart. A key is a random secret shown
//! once; the store keeps only its SHA-256, so a leaked database does not
//! leak working keys. What each role may do is the server's policy.

use std::fmt;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::ids::{validate_id, validate_text};
use super::time::Timestamp;
use crate::error::{Error, Result};
use crate::limits;

/// Prefix of every bearer token: `hf_<key id>_<secret>`.
const TOKEN_PREFIX: &str = "hf_";

/// What a key may do (enforced by the server).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Everything, keys included.
    Owner,
    /// Everything but keys.
    Manager,
    /// Reads only.
    Viewer,
    /// Bound to one resource: reads its bookings, confirms or declines them.
    Resource,
}

impl Role {
    pub const ALL: [Role; 4] = [Role::Owner, Role::Manager, Role::Viewer, Role::Resource];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Owner => "owner",
            Role::Manager => "manager",
            Role::Viewer => "viewer",
            Role::Resource => "resource",
        }
    }

    pub fn parse(name: &str) -> Result<Role> {
        Role::ALL
            .into_iter()
            .find(|r| r.as_str() == name)
            .ok_or_else(|| Error::invalid("role", format!("unknown role {name:?} (owner, manager, viewer, resource)")))
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A key to issue.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewApiKey {
    pub role: Role,
    /// The one resource a `resource` key is bound to; only for that role.
    pub resource_id: Option<String>,
    /// A label for people ("ci", "ada's phone"); may be empty.
    #[serde(default)]
    pub name: String,
}

impl NewApiKey {
    pub fn validate(&self) -> Result<()> {
        validate_text("name", &self.name, limits::NAME_LENGTH_MAX_CHARS, false)?;
        match (&self.resource_id, self.role) {
            (Some(id), Role::Resource) => validate_id("resource_id", id),
            (None, Role::Resource) => Err(Error::invalid("resource_id", "a resource key names its resource")),
            (Some(_), _) => Err(Error::invalid("resource_id", "only a resource key is bound to a resource")),
            (None, _) => Ok(()),
        }
    }
}

/// A key as stored (never with its secret).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiKey {
    /// Public part of the token, safe to log.
    pub id: String,
    pub tenant_id: String,
    pub role: Role,
    pub resource_id: Option<String>,
    pub name: String,
    pub created_at: Timestamp,
    /// Set once the key is revoked; a revoked key authenticates nothing.
    pub revoked_at: Option<Timestamp>,
}

/// A key just issued, with the bearer token: the only time it is shown.
#[derive(Clone, PartialEq, Eq)]
pub struct IssuedKey {
    pub key: ApiKey,
    pub token: String,
}

impl fmt::Debug for IssuedKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("IssuedKey").field("key", &self.key).field("token", &"<secret>").finish()
    }
}

/// A fresh key id and secret from the operating system's random source
/// (UUIDv4 draws from it): the secret is two of them, 244 random bits.
pub(crate) fn new_secret() -> (String, String) {
    let id = uuid::Uuid::new_v4().simple().to_string();
    let secret = format!("{}{}", uuid::Uuid::new_v4().simple(), uuid::Uuid::new_v4().simple());
    (id, secret)
}

pub(crate) fn token(id: &str, secret: &str) -> String {
    format!("{TOKEN_PREFIX}{id}_{secret}")
}

/// `(key id, secret)` of a well-formed token.
pub(crate) fn split_token(token: &str) -> Option<(&str, &str)> {
    let rest = token.strip_prefix(TOKEN_PREFIX)?;
    let (id, secret) = rest.split_once('_')?;
    let hex = |s: &str, len: usize| s.len() == len && s.bytes().all(|b| b.is_ascii_hexdigit());
    (hex(id, 32) && hex(secret, 64)).then_some((id, secret))
}

/// What the store keeps of a secret.
pub(crate) fn secret_hash(secret: &str) -> String {
    Sha256::digest(secret.as_bytes()).iter().map(|b| format!("{b:02x}")).collect()
}

/// Equality that takes as long whatever the first difference, so response
/// times do not tell an attacker how much of a hash they guessed.
pub(crate) fn constant_time_eq(a: &str, b: &str) -> bool {
    a.len() == b.len() && a.bytes().zip(b.bytes()).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}
