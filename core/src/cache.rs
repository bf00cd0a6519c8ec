//! The read cache: per resource, its row with its availability rules, and
//! per time bucket its blocking bookings and expanded working hours — the
//! inputs of `check_availability`, `free_busy` and `find_slots` — and its
//! bookings over a stretch of time, which `list_bookings` answers from.
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

use crate::limits;
use crate::model::availability::{AvailabilityRules, Expansion};
use crate::model::{Booking, Interval, Resource};
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

/// One resource's bookings of every status whose interval overlaps
/// `span`, ordered by `(start, id)`: any listing of that resource over a
/// window inside `span` is a filter of them.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct BookingsEntry {
    span: Interval,
    bookings: Vec<Booking>,
    /// Estimated heap and inline size, for the cache's byte budget.
    bytes: usize,
    /// The stretch held too many bookings to keep (`bookings` is empty):
    /// listings over it go to the store.
    too_busy: bool,
}

impl BookingsEntry {
    pub fn new(span: Interval, bookings: Vec<Booking>) -> BookingsEntry {
        let bytes = bookings.iter().map(booking_bytes).sum();
        BookingsEntry { span, bookings, bytes, too_busy: false }
    }

    pub fn span(&self) -> Interval {
        self.span
    }

    pub fn bookings(&self) -> &[Booking] {
        &self.bookings
    }

    pub fn too_busy(&self) -> bool {
        self.too_busy
    }
}

/// About what a booking takes in memory: its inline size, its strings,
/// and its metadata as JSON text (a fair proxy for the parsed map).
fn booking_bytes(b: &Booking) -> usize {
    let text = |s: &Option<String>| s.as_ref().map_or(0, String::len);
    let metadata = serde_json::to_string(&b.metadata).map_or(0, |m| m.len());
    std::mem::size_of::<Booking>()
        + b.id.len()
        + b.resource_id.len()
        + text(&b.project_id)
        + text(&b.title)
        + text(&b.notes)
        + text(&b.idempotency_key)
        + metadata
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Key {
    Resource { tenant: Arc<str>, resource: Arc<str> },
    Bucket { tenant: Arc<str>, resource: Arc<str>, index: i64 },
    Bookings { tenant: Arc<str>, resource: Arc<str> },
}

impl Key {
    fn parts(&self) -> (&str, &str) {
        match self {
            Key::Resource { tenant, resource }
            | Key::Bucket { tenant, resource, .. }
            | Key::Bookings { tenant, resource } => (tenant, resource),
        }
    }
}

#[derive(Clone)]
enum Value {
    Resource(Arc<ResourceEntry>),
    Bucket(Arc<BucketEntry>),
    Bookings(Arc<BookingsEntry>),
}

impl Value {
    /// Bytes counted against the budget: only listing entries, which can
    /// hold many bookings each, are counted (the others are small).
    fn bytes(&self) -> usize {
        match self {
            Value::Bookings(entry) => entry.bytes,
            Value::Resource(_) | Value::Bucket(_) => 0,
        }
    }
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
    /// Bytes held by listing entries, at most `bytes_max`.
    bytes: usize,
}

impl State {
    fn remove(&mut self, key: &Key) {
        if let Some(entry) = self.entries.pop(key) {
            self.bytes -= entry.value.bytes();
        }
    }

    fn clear(&mut self) {
        self.entries.clear();
        self.bytes = 0;
    }
}

/// The engine's read cache; `capacity` 0 turns it off.
pub(crate) struct ReadCache {
    capacity: usize,
    /// Most bytes held by listing entries together.
    bytes_max: usize,
    state: Option<Mutex<State>>,
    hits: AtomicU64,
    misses: AtomicU64,
    evictions: AtomicU64,
}

impl ReadCache {
    pub fn new(capacity: usize) -> ReadCache {
        let state = NonZeroUsize::new(capacity)
            .map(|cap| Mutex::new(State { entries: LruCache::new(cap), tenants: HashMap::new(), bytes: 0 }));
        ReadCache {
            capacity,
            bytes_max: capacity.saturating_mul(limits::CACHE_BYTES_PER_ENTRY),
            state,
            hits: AtomicU64::new(0),
            misses: AtomicU64::new(0),
            evictions: AtomicU64::new(0),
        }
    }

    pub fn enabled(&self) -> bool {
        self.state.is_some()
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
                state.clear();
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
            Value::Bucket(_) | Value::Bookings(_) => None,
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
            Value::Resource(_) | Value::Bookings(_) => None,
        }
    }

    pub fn put_bucket(&self, tenant: &str, resource: &str, index: i64, loaded_at: i64, entry: BucketEntry) {
        let key = Key::Bucket { tenant: tenant.into(), resource: resource.into(), index };
        self.put(key, loaded_at, Value::Bucket(Arc::new(entry)));
    }

    pub fn bookings(&self, tenant: &str, resource: &str) -> Option<Arc<BookingsEntry>> {
        let key = Key::Bookings { tenant: tenant.into(), resource: resource.into() };
        match self.get(&key)? {
            Value::Bookings(entry) => Some(entry),
            Value::Resource(_) | Value::Bucket(_) => None,
        }
    }

    /// Remembers that `resource` has too many bookings over `span` to hold,
    /// so listings there go straight to the store instead of loading the
    /// stretch first. A hint, not data: it routes reads to the exact query
    /// and is never stale (kept until evicted), so a busy resource's writes
    /// do not make every listing try the load again.
    pub fn mark_too_busy(&self, tenant: &str, resource: &str, span: Interval) {
        let entry = BookingsEntry { span, bookings: Vec::new(), bytes: 0, too_busy: true };
        let key = Key::Bookings { tenant: tenant.into(), resource: resource.into() };
        self.put(key, i64::MAX, Value::Bookings(Arc::new(entry)));
    }

    /// Keeps `entry` unless it alone would take more than an eighth of
    /// the byte budget: then the resource is marked too busy instead (its
    /// listings go to the store rather than load the stretch again or
    /// flush the rest of the cache). Returns the entry for the caller.
    pub fn put_bookings(
        &self,
        tenant: &str,
        resource: &str,
        loaded_at: i64,
        entry: BookingsEntry,
    ) -> Arc<BookingsEntry> {
        let entry = Arc::new(entry);
        if entry.bytes <= self.bytes_max / 8 {
            let key = Key::Bookings { tenant: tenant.into(), resource: resource.into() };
            self.put(key, loaded_at, Value::Bookings(Arc::clone(&entry)));
        } else {
            self.mark_too_busy(tenant, resource, entry.span);
        }
        entry
    }

    fn get(&self, key: &Key) -> Option<Value> {
        let found = self.lock().and_then(|mut state| {
            let (tenant, resource) = key.parts();
            let stale_before = state.tenants.get(tenant)?.stale_before(resource);
            match state.entries.get(key) {
                Some(entry) if entry.loaded_at >= stale_before => Some(entry.value.clone()),
                Some(_) => {
                    state.remove(key);
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
        state.bytes += value.bytes();
        if let Some((evicted, old)) = state.entries.push(key.clone(), Entry { loaded_at, value }) {
            state.bytes -= old.value.bytes();
            if evicted != key {
                self.evictions.fetch_add(1, Ordering::Relaxed);
            }
        }
        // Over the byte budget: drop the least recently used entries
        // (never the one just put: it fits the budget on its own).
        while state.bytes > self.bytes_max {
            match state.entries.pop_lru() {
                Some((evicted, old)) if evicted != key => {
                    state.bytes -= old.value.bytes();
                    self.evictions.fetch_add(1, Ordering::Relaxed);
                }
                Some((evicted, old)) => {
                    state.entries.push(evicted, old);
                    break;
                }
                None => break,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Status, Timestamp};

    fn booking(id: usize, notes_bytes: usize) -> Booking {
        Booking {
            id: format!("b{id}"),
            resource_id: "r".into(),
            project_id: None,
            start: Timestamp::from_micros(0),
            end: Timestamp::from_micros(1),
            status: Status::Confirmed,
            quantity: 1,
            hold_expires_at: None,
            title: None,
            notes: Some("n".repeat(notes_bytes)),
            metadata: Default::default(),
            version: 1,
            created_at: Timestamp::from_micros(0),
            updated_at: Timestamp::from_micros(0),
            idempotency_key: None,
        }
    }

    fn entry(bookings: usize, notes_bytes: usize) -> BookingsEntry {
        let span = Interval { start: Timestamp::from_micros(0), end: Timestamp::from_micros(BUCKET_US) };
        BookingsEntry::new(span, (0..bookings).map(|i| booking(i, notes_bytes)).collect())
    }

    /// The bytes the cache counts, checked against its entries.
    fn held_bytes(cache: &ReadCache) -> usize {
        let state = cache.lock().unwrap();
        let sum: usize = state.entries.iter().map(|(_, e)| e.value.bytes()).sum();
        assert_eq!(state.bytes, sum, "the running count drifted from the entries held");
        sum
    }

    #[test]
    fn listing_entries_stay_within_the_byte_budget() {
        let cache = ReadCache::new(16);
        let budget = 16 * limits::CACHE_BYTES_PER_ENTRY;
        let (small, large) = (entry(10, 200), entry(10, 1_000));
        // Sizes this test relies on: 16 small entries fit the budget, 16
        // large ones do not, and one large entry is under an eighth of it.
        assert!(16 * small.bytes <= budget && 16 * large.bytes > budget && large.bytes <= budget / 8);
        assert_eq!(cache.gap("t", 1), None); // the tenant is now known at seq 1
        for i in 0..20 {
            let kept = cache.put_bookings("t", &format!("r{i}"), 1, small.clone());
            assert_eq!(kept.bookings().len(), 10);
            assert!(held_bytes(&cache) <= budget);
        }
        assert_eq!(cache.stats().entries, 16, "the entry count binds first");
        for i in 20..40 {
            cache.put_bookings("t", &format!("r{i}"), 1, large.clone());
            assert!(held_bytes(&cache) <= budget);
        }
        assert!(cache.bookings("t", "r39").is_some(), "the newest entry is held");
        assert!(cache.bookings("t", "r20").is_none(), "the oldest entries were dropped for bytes");
        assert!(cache.stats().entries < 16, "now the bytes bind");
        // An entry above an eighth of the budget is handed back, and only
        // a too-busy hint (no bytes) is kept.
        let big = cache.put_bookings("t", "big", 1, entry(30, 1_000));
        assert_eq!(big.bookings().len(), 30);
        let hint = cache.bookings("t", "big").expect("a hint");
        assert!(hint.too_busy() && hint.bookings().is_empty() && hint.span() == big.span());
        assert!(held_bytes(&cache) <= budget);
        // Stale entries leave the count when dropped; so does a replacement.
        cache.invalidate("t", &["r39"], 2);
        assert!(cache.bookings("t", "r39").is_none());
        cache.put_bookings("t", "r38", 2, entry(1, 0));
        held_bytes(&cache);
        // Forgetting every tenant clears the count too.
        for tenant in 0..16 {
            cache.gap(&format!("other{tenant}"), 1);
        }
        assert_eq!(held_bytes(&cache), 0);
    }
}
