//! The JS shapes of the core's model (`holdfast::model`), one file per core
//! file, with their conversions. Field names are the core's, camelCased by
//! napi; instants are `Date`s, durations milliseconds (`...Ms`).
//! Outputs set every field (`null` when absent); inputs take what the
//! caller gives and leave the rest to the core's `Default`.

pub mod availability;
pub mod booking;
pub mod event;
pub mod key;
pub mod project;
pub mod report;
pub mod resource;
pub mod time;

use chrono::{DateTime, Utc};
use holdfast::Result;
use napi_derive::napi;

use crate::convert;

/// A tenant as created.
#[napi(object, object_from_js = false)]
pub struct TenantInfo {
    pub id: String,
    pub name: String,
    pub created_at: DateTime<Utc>,
}

impl TenantInfo {
    pub(crate) fn from_core(t: holdfast::TenantInfo) -> Result<Self> {
        Ok(TenantInfo { id: t.id, name: t.name, created_at: convert::date(t.created_at)? })
    }
}

/// Paging of `listResources`, `listProjects` and `listApiKeys`.
#[napi(object, object_to_js = false)]
pub struct PageRequest {
    /// Page size (the core's default when absent).
    pub limit: Option<f64>,
    /// `nextCursor` of the previous page.
    pub cursor: Option<String>,
}

impl PageRequest {
    pub(crate) fn to_core(page: Option<PageRequest>) -> Result<holdfast::PageRequest> {
        let Some(page) = page else { return Ok(holdfast::PageRequest::default()) };
        Ok(holdfast::PageRequest { limit: convert::opt_whole("limit", page.limit)?, cursor: page.cursor })
    }
}

/// The optimistic lock of a change: refused with `VERSION_MISMATCH` unless
/// the entity is at this version.
#[napi(object, object_to_js = false)]
pub struct ActionOptions {
    pub expected_version: Option<f64>,
}

impl ActionOptions {
    pub(crate) fn expected_version(options: Option<ActionOptions>) -> Result<Option<i64>> {
        convert::opt_whole("expected_version", options.and_then(|o| o.expected_version))
    }
}

/// Counters of the engine's read cache.
#[napi(object, object_from_js = false)]
pub struct CacheStats {
    /// Lookups answered from the cache.
    pub hits: i64,
    /// Lookups that went to the store.
    pub misses: i64,
    /// Entries dropped to stay within `capacity`.
    pub evictions: i64,
    /// Entries held now.
    pub entries: i64,
    /// Most entries held (0: the cache is off).
    pub capacity: i64,
}

impl CacheStats {
    pub(crate) fn from_core(s: holdfast::CacheStats) -> Self {
        let n = |v: u64| i64::try_from(v).unwrap_or(i64::MAX);
        CacheStats {
            hits: n(s.hits),
            misses: n(s.misses),
            evictions: n(s.evictions),
            entries: n(s.entries as u64),
            capacity: n(s.capacity as u64),
        }
    }
}

/// How the engine's writes were grouped into transactions (group commit).
#[napi(object, object_from_js = false)]
pub struct WriteStats {
    /// Writes answered (each call that writes is one, failed ones too).
    pub writes: i64,
    /// Store transactions they ran in: `writes / batches` is the average
    /// batch.
    pub batches: i64,
    /// Writes waiting for their batch now.
    pub queued: i64,
}

impl WriteStats {
    pub(crate) fn from_core(s: holdfast::WriteStats) -> Self {
        let n = |v: u64| i64::try_from(v).unwrap_or(i64::MAX);
        WriteStats { writes: n(s.writes), batches: n(s.batches), queued: n(s.queued as u64) }
    }
}

/// Converts every item of a core list.
pub(crate) fn all<A, B>(items: Vec<A>, f: impl Fn(A) -> Result<B>) -> Result<Vec<B>> {
    items.into_iter().map(f).collect()
}
