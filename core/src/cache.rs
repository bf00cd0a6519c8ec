//! The read cache: per resource, its row with its availability rules, and
//! per time bucket its blocking bookings and expanded working hours — the
//! inputs of `check_availability`, `free_busy` and `find_slots`.
//!
//! Freshness is judged against the tenant's event `seq`, so writes by other
//! processes and machines are seen on the next read:
//!
//! - every read opens a snapshot and reads the tenant's `last_seq` there;
//!   if it moved past what the cache has seen (`watermark`), the events in
//!   between name the resources they touched (one indexed range scan), and
//!   those resources' entries become stale;
//! - a write in this process marks its resources stale at once (tag
//!   invalidation), without waiting for the next read's scan;
//! - an entry records the `seq` of the snapshot it was loaded in and is
//!   served only if no change to its resource is known after that.
//!
//! A cache never takes part in a write decision: writes read their own
//! transaction.

use std::collections::HashMap;
use std::num::NonZeroUsize;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use lru::LruCache;

use crate::model::Resource;
use crate::model::availability::{AvailabilityRules, Expansion};
use crate::schedule::Blocker;

/// Length of one cached time bucket: 2^39 µs, about 6.4 days.
pub(crate) const BUCKET_US: i64 = 1 << 39;
/// A gap of more events than this is not scanned: the whole tenant's
/// entries go stale instead (cheaper than reading a long stretch of log).
const SCAN_EVENTS_MAX: i64 = 512;

/// Counters of one engine's read cache.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CacheStats {
    /// Lookups answered from the cache.
    pub hits: u64,
    /// Lookups that went to the store.
    pub misses: u64,
    /// Entries dropped to stay within `capacity`.
    pub evictions: u64,
    /// Entries held now.
    pub entries: usize,
    /// Most entries held (0: the cache is off).
    pub capacity: usize,
}

/// A resource with its rules, as of one snapshot.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ResourceEntry {
    pub resource: Resource,
    pub rules: AvailabilityRules,
}

/// One resource's inputs over `[index * BUCKET_US, (index + 1) * BUCKET_US)`:
/// blocking bookings whose own interval overlaps it, and the shifts, closed
/// dates and DST adjustments that meet it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct BucketEntry {
    pub blockers: Vec<Blocker>,
    pub hours: Expansion,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Key {
    Resource { tenant: Arc<str>, resource: Arc<str> },
    Bucket { tenant: Arc<str>, resource: Arc<str>, index: i64 },
}

impl Key {
    fn parts(&self) -> (&str, &str) {
        match self {
            Key::Resource { tenant, resource } | Key::Bucket { tenant, resource, .. } => (tenant, resource),
        }
    }
}

#[derive(Clone)]
enum Value {
    Resource(Arc<ResourceEntry>),
    Bucket(Arc<BucketEntry>),
}

struct Entry {
    /// `seq` of the snapshot the value was read in.
    loaded_at: i64,
    value: Value,
}

/// What the cache knows of one tenant's log.
#[derive(Default)]
struct TenantState {
    /// Every change with `seq <= watermark` has been applied to `changed`.
    watermark: i64,
    /// Entries loaded before this `seq` are stale, whatever their resource.
    floor: i64,
    /// Resource id -> `seq` of its latest known change.
    changed: HashMap<String, i64>,
}

impl TenantState {
    fn stale_before(&self, resource: &str) -> i64 {
        self.changed.get(resource).copied().unwrap_or(0).max(self.floor)
    }

    fn mark_changed(&mut self, resource: &str, seq: i64, bound: usize) {
        if self.changed.len() >= bound && !self.changed.contains_key(resource) {
            // Forgetting per-resource marks must not revive anything.
            let newest = self.changed.values().copied().max().unwrap_or(0);
            self.floor = self.floor.max(newest).max(self.watermark);
            self.changed.clear();
        }
        let mark = self.changed.entry(resource.to_owned()).or_insert(seq);
        *mark = (*mark).max(seq);
    }
}

struct State {
    entries: LruCache<Key, Entry>,
    tenants: HashMap<Arc<str>, TenantState>,
}

/// The engine's read cache; `capacity` 0 turns it off.
pub(crate) struct ReadCache {
    capacity: usize,
    state: Option<Mutex<State>>,
    hits: AtomicU64,
    misses: AtomicU64,
    evictions: AtomicU64,
}

impl ReadCache {
    pub fn new(capacity: usize) -> ReadCache {
        let state = NonZeroUsize::new(capacity)
            .map(|cap| Mutex::new(State { entries: LruCache::new(cap), tenants: HashMap::new() }));
        ReadCache { capacity, state, hits: AtomicU64::new(0), misses: AtomicU64::new(0), evictions: AtomicU64::new(0) }
    }

    pub fn stats(&self) -> CacheStats {
        CacheStats {
            hits: self.hits.load(Ordering::Relaxed),
            misses: self.misses.load(Ordering::Relaxed),
            evictions: self.evictions.load(Ordering::Relaxed),
            entries: self.lock().map_or(0, |s| s.entries.len()),
            capacity: self.capacity,
        }
    }

    fn lock(&self) -> Option<MutexGuard<'_, State>> {
        // A panic elsewhere cannot leave the state inconsistent: every
        // critical section is a handful of map operations.
        self.state.as_ref().map(|m| m.lock().unwrap_or_else(|p| p.into_inner()))
    }

    /// The `(since, until]` range of log a read at snapshot `seq` must
    /// scan for touched resources, or `None` when nothing is missing or
    /// the gap is too long to scan (then the tenant goes stale as a whole).
    pub fn gap(&self, tenant: &str, seq: i64) -> Option<(i64, i64)> {
        let mut state = self.lock()?;
        let bound = self.capacity;
        let state = &mut *state;
        if !state.tenants.contains_key(tenant) {
            if state.tenants.len() >= bound {
                // Too many tenants to track: start over (never serves stale).
                state.tenants.clear();
                state.entries.clear();
            }
            // Nothing is known before this snapshot.
            state.tenants.insert(tenant.into(), TenantState { watermark: seq, floor: seq, ..TenantState::default() });
            return None;
        }
        let known = state.tenants.get_mut(tenant)?;
        if known.watermark >= seq {
            return None;
        }
        if seq - known.watermark > SCAN_EVENTS_MAX {
            known.floor = known.floor.max(seq);
            known.watermark = seq;
            return None;
        }
        Some((known.watermark, seq))
    }

    /// Records that `resources` changed in the events `(since, until]`.
    pub fn apply_gap(&self, tenant: &str, (since, until): (i64, i64), resources: &[String]) {
        let Some(mut state) = self.lock() else { return };
        let bound = self.capacity;
        let Some(known) = state.tenants.get_mut(tenant) else { return };
        for resource in resources {
            known.mark_changed(resource, until, bound);
        }
        if known.watermark >= since {
            known.watermark = known.watermark.max(until);
        }
    }

    /// A write of this process committed changes to `resources` with
    /// events up to `seq`: their entries are stale from now on.
    pub fn invalidate(&self, tenant: &str, resources: &[&str], seq: i64) {
        let Some(mut state) = self.lock() else { return };
        let bound = self.capacity;
        if let Some(known) = state.tenants.get_mut(tenant) {
            for resource in resources {
                known.mark_changed(resource, seq, bound);
            }
        }
    }

    pub fn resource(&self, tenant: &str, resource: &str) -> Option<Arc<ResourceEntry>> {
        let key = Key::Resource { tenant: tenant.into(), resource: resource.into() };
        match self.get(&key)? {
            Value::Resource(entry) => Some(entry),
            Value::Bucket(_) => None,
        }
    }

    pub fn put_resource(&self, tenant: &str, loaded_at: i64, entry: ResourceEntry) {
        let key = Key::Resource { tenant: tenant.into(), resource: entry.resource.id.as_str().into() };
        self.put(key, loaded_at, Value::Resource(Arc::new(entry)));
    }

    pub fn bucket(&self, tenant: &str, resource: &str, index: i64) -> Option<Arc<BucketEntry>> {
        let key = Key::Bucket { tenant: tenant.into(), resource: resource.into(), index };
        match self.get(&key)? {
            Value::Bucket(entry) => Some(entry),
            Value::Resource(_) => None,
        }
    }

    pub fn put_bucket(&self, tenant: &str, resource: &str, index: i64, loaded_at: i64, entry: BucketEntry) {
        let key = Key::Bucket { tenant: tenant.into(), resource: resource.into(), index };
        self.put(key, loaded_at, Value::Bucket(Arc::new(entry)));
    }

    fn get(&self, key: &Key) -> Option<Value> {
        let found = self.lock().and_then(|mut state| {
            let (tenant, resource) = key.parts();
            let stale_before = state.tenants.get(tenant)?.stale_before(resource);
            match state.entries.get(key) {
                Some(entry) if entry.loaded_at >= stale_before => Some(entry.value.clone()),
                Some(_) => {
                    state.entries.pop(key);
                    None
                }
                None => None,
            }
        });
        let counter = if found.is_some() { &self.hits } else { &self.misses };
        counter.fetch_add(1, Ordering::Relaxed);
        found
    }

    fn put(&self, key: Key, loaded_at: i64, value: Value) {
        let Some(mut state) = self.lock() else { return };
        let (tenant, resource) = key.parts();
        let Some(known) = state.tenants.get(tenant) else { return };
        if loaded_at < known.stale_before(resource) {
            return; // already stale: a write landed after this snapshot
        }
        if let Some((evicted, _)) = state.entries.push(key.clone(), Entry { loaded_at, value })
            && evicted != key
        {
            self.evictions.fetch_add(1, Ordering::Relaxed);
        }
    }
}
