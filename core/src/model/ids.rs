//! Identifier and text validation shared by every entity.

use serde_json::{Map, Value};

use crate::error::{Error, Result};
use crate::limits;

/// Free-form JSON object attached to resources, projects and bookings.
pub type Metadata = Map<String, Value>;

/// Tenant ids: `[A-Za-z0-9_-]{1,64}`.
pub fn validate_tenant_id(id: &str) -> Result<()> {
    validate_token("tenant_id", id, limits::TENANT_ID_LENGTH_MAX_CHARS, |c| {
        c.is_ascii_alphanumeric() || c == '_' || c == '-'
    })
}

/// Resource, project and booking ids: `[A-Za-z0-9_.:-]{1,128}`, safe in URL
/// paths and log lines without escaping.
pub fn validate_id(field: &str, id: &str) -> Result<()> {
    validate_token(field, id, limits::ID_LENGTH_MAX_CHARS, |c| {
        c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.' | ':')
    })
}

fn validate_token(field: &str, id: &str, max_chars: usize, allowed: impl Fn(char) -> bool) -> Result<()> {
    if id.is_empty() {
        return Err(Error::invalid(field, "must not be empty"));
    }
    let chars = id.chars().count();
    if chars > max_chars {
        return Err(Error::limit(field, max_chars, chars));
    }
    if let Some(bad) = id.chars().find(|&c| !allowed(c)) {
        return Err(Error::invalid(field, format!("character {bad:?} is not allowed")));
    }
    Ok(())
}

/// Human text (names, titles, notes): at most `max_chars` characters, no NUL
/// or other control characters except line breaks and tabs.
pub fn validate_text(field: &str, text: &str, max_chars: usize, required: bool) -> Result<()> {
    if required && text.trim().is_empty() {
        return Err(Error::invalid(field, "must not be empty"));
    }
    let chars = text.chars().count();
    if chars > max_chars {
        return Err(Error::limit(field, max_chars, chars));
    }
    if let Some(bad) = text.chars().find(|&c| c.is_control() && !matches!(c, '\n' | '\r' | '\t')) {
        return Err(Error::invalid(field, format!("control character {bad:?} is not allowed")));
    }
    Ok(())
}

/// Metadata: a JSON object of at most 16 KiB once serialized.
pub fn validate_metadata(field: &str, metadata: &Metadata) -> Result<()> {
    let size = serde_json::to_vec(metadata).map_err(|e| Error::invalid(field, e.to_string()))?.len();
    if size > limits::METADATA_SIZE_MAX_BYTES {
        return Err(Error::limit(field, limits::METADATA_SIZE_MAX_BYTES, size));
    }
    Ok(())
}
