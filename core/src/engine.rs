//! The façade: [`Engine`] and its tenant-bound [`Tenant`] handle.
//!
//! Every write follows one path: validate the input (pure, before touching
//! the store) -> queue in the tenant's lane (`group_commit`) -> in the
//! batch's transaction, decide at the batch's decision instant with
//! `schedule` -> write rows and append events -> one commit for the batch ->
//! publish the events in-process -> answer. This is the only module that
//! opens transactions, reads the clock or appends events.

use std::collections::hash_map::Entry;
use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::TimeDelta;
use serde::Serialize;
use serde_json::json;
use sha2::{Digest, Sha256};

use crate::cache::{CacheStats, ReadCache};
use crate::clock::{Clock, SystemClock};
use crate::error::{ConflictingBooking, Error, Result};
use crate::feed::{Feed, Subscription};
use crate::limits;
use crate::model::booking::validate_interval;
use crate::model::ids::{validate_id, validate_tenant_id, validate_text};
use crate::model::key;
use crate::model::time::duration_us;
use crate::model::{
    Action, ApiKey, AvailabilityRules, Booking, BookingFilter, Event, EventType, HoldExpiry, Interval, IssuedKey,
    NewApiKey, NewBooking, NewProject, NewResource, Page, Project, Reschedule, Resource, ResourcePatch, Status,
    TenantInfo, Timestamp, transition,
};
use crate::schedule::{self, Slot};
use crate::store::{self, BookingQuery, Durability, NewEvent, Store, StoreOptions, Transaction};

mod availability;
mod group_commit;
mod listing;
mod reports;

use availability::ensure_within_rules;
pub use group_commit::WriteStats;
use group_commit::{GroupCommit, GroupCommitOptions};

/// Actor recorded on events the engine makes by itself (expiry).
const SYSTEM_ACTOR: &str = "system";
/// Shards of the commit-to-publish lock (see `Inner::publish_locks`).
const PUBLISH_LOCK_SHARDS: usize = 64;
/// Actor recorded when the caller names none.
const DEFAULT_ACTOR: &str = "api";

/// Configures and opens an [`Engine`].
pub struct EngineBuilder {
    url: String,
    store: Option<Box<dyn Store>>,
    clock: Arc<dyn Clock>,
    default_hold_ttl: TimeDelta,
    store_options: StoreOptions,
    cache_entries: usize,
    write_batch_max: usize,
    write_queue_max: usize,
    write_linger: Duration,
}

impl EngineBuilder {
    /// The store URL: `sqlite://path.db`, `sqlite:///abs/path.db`, `sqlite::memory:`.
    pub fn url(mut self, url: impl Into<String>) -> Self {
        self.url = url.into();
        self
    }

    /// A store the caller opened (or wrapped) instead of the URL's: a
    /// backend of one's own, or a wrapper that counts, delays or fails
    /// calls (the simulation in `core/tests/sim.rs` injects faults so). The
    /// URL and the store settings (`pool_size`, `durability`) then go
    /// unused: they were the caller's to apply.
    pub fn store(mut self, store: Box<dyn Store>) -> Self {
        self.store = Some(store);
        self
    }

    /// The source of "now" (tests pass a [`crate::ManualClock`]).
    pub fn clock(mut self, clock: impl Clock + 'static) -> Self {
        self.clock = Arc::new(clock);
        self
    }

    /// How long a hold lasts when a create gives no TTL (default 15 min).
    pub fn default_hold_ttl(mut self, ttl: TimeDelta) -> Self {
        self.default_hold_ttl = ttl;
        self
    }

    /// How long a call waits for the store's lock before `STORE_UNAVAILABLE`.
    pub fn busy_timeout(mut self, timeout: Duration) -> Self {
        self.store_options.busy_timeout = timeout;
        self
    }

    /// What an acknowledged write survives (default [`Durability::Full`]).
    pub fn durability(mut self, durability: Durability) -> Self {
        self.store_options.durability = durability;
        self
    }

    /// Most store connections held open.
    pub fn pool_size(mut self, size: u32) -> Self {
        self.store_options.pool_size = size;
        self
    }

    /// Most read-cache entries kept (default 4,096; 0 turns the cache off).
    /// An entry is one resource, or one resource's ~6-day time bucket.
    pub fn cache_entries(mut self, entries: usize) -> Self {
        self.cache_entries = entries;
        self
    }

    /// Most writes grouped into one transaction and one commit (default
    /// 128; 1 turns grouping off).
    pub fn write_batch_max(mut self, jobs: usize) -> Self {
        self.write_batch_max = jobs;
        self
    }

    /// Most writes of one tenant waiting for their batch (default 4,096);
    /// past it a write waits up to the busy timeout, then fails with
    /// `STORE_UNAVAILABLE`.
    pub fn write_queue_max(mut self, jobs: usize) -> Self {
        self.write_queue_max = jobs;
        self
    }

    /// How long a batch waits for more writes when the previous one was
    /// shared (default 0: batches form from what queues behind a commit).
    /// A lone writer never waits.
    pub fn write_linger(mut self, linger: Duration) -> Self {
        self.write_linger = linger;
        self
    }

    /// Opens the store (applying migrations) and returns the engine.
    pub fn open(self) -> Result<Engine> {
        let default_hold_ttl_us = duration_us("default_hold_ttl", self.default_hold_ttl, limits::HOLD_TTL_MAX_US)?;
        if default_hold_ttl_us == 0 {
            return Err(Error::invalid("default_hold_ttl", "must be positive"));
        }
        for (field, value, max) in [
            ("write_batch_max", self.write_batch_max, limits::WRITE_BATCH_MAX),
            ("write_queue_max", self.write_queue_max, limits::WRITE_QUEUE_MAX),
        ] {
            if value == 0 {
                return Err(Error::invalid(field, "must be at least 1"));
            }
            if value > max {
                return Err(Error::limit(field, max, value));
            }
        }
        if self.write_linger > limits::WRITE_LINGER_MAX {
            return Err(Error::invalid("write_linger", format!("at most {:?}", limits::WRITE_LINGER_MAX)));
        }
        let group_commit = GroupCommit::new(GroupCommitOptions {
            batch_max: self.write_batch_max,
            queue_max: self.write_queue_max,
            queue_timeout: self.store_options.busy_timeout,
            linger: self.write_linger,
        });
        let store = match self.store {
            Some(store) => store,
            None => store::open(&self.url, &self.store_options)?,
        };
        Ok(Engine {
            inner: Arc::new(Inner {
                store,
                clock: self.clock,
                default_hold_ttl_us,
                feed: Feed::default(),
                cache: ReadCache::new(self.cache_entries),
                publish_locks: std::array::from_fn(|_| Mutex::new(())),
                group_commit,
            }),
        })
    }
}

struct Inner {
    store: Box<dyn Store>,
    clock: Arc<dyn Clock>,
    default_hold_ttl_us: i64,
    feed: Feed,
    cache: ReadCache,
    /// Held from commit to publish so subscribers see each tenant's events
    /// in `seq` order; sharded by tenant so tenants commit in parallel.
    publish_locks: [Mutex<()>; PUBLISH_LOCK_SHARDS],
    group_commit: GroupCommit,
}

impl Inner {
    fn publish_lock(&self, tenant_id: &str) -> &Mutex<()> {
        use std::hash::{Hash, Hasher};
        let mut hasher = std::collections::hash_map::DefaultHasher::new();
        tenant_id.hash(&mut hasher);
        &self.publish_locks[(hasher.finish() % PUBLISH_LOCK_SHARDS as u64) as usize]
    }
}

/// The booking engine over one store. Cheap to clone; share it freely
/// between threads.
#[derive(Clone)]
pub struct Engine {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Engine").finish_non_exhaustive()
    }
}

impl Engine {
    /// Opens the store at `url` with default settings.
    pub fn open(url: &str) -> Result<Engine> {
        Engine::builder().url(url).open()
    }

    /// Settings beyond the URL.
    pub fn builder() -> EngineBuilder {
        EngineBuilder {
            url: "sqlite::memory:".into(),
            store: None,
            clock: Arc::new(SystemClock),
            default_hold_ttl: TimeDelta::microseconds(limits::HOLD_TTL_DEFAULT_US),
            store_options: StoreOptions::default(),
            cache_entries: limits::CACHE_ENTRIES_DEFAULT,
            write_batch_max: limits::WRITE_BATCH_DEFAULT,
            write_queue_max: limits::WRITE_QUEUE_DEFAULT,
            write_linger: Duration::ZERO,
        }
    }

    /// The engine's current instant.
    pub fn now(&self) -> Timestamp {
        self.inner.clock.now()
    }

    /// Creates a tenant. Repeating it with the same name returns the
    /// existing tenant; another name is `ALREADY_EXISTS`.
    pub fn create_tenant(&self, id: &str, name: &str) -> Result<TenantInfo> {
        validate_tenant_id(id)?;
        validate_text("name", name, limits::NAME_LENGTH_MAX_CHARS, true)?;
        let handle = Tenant { inner: Arc::clone(&self.inner), id: id.into(), actor: DEFAULT_ACTOR.into() };
        let (id, name) = (id.to_owned(), name.to_owned());
        handle.write(move |w| {
            if let Some(existing) = w.tx.tenant()? {
                return if existing.name == name {
                    Ok(existing)
                } else {
                    Err(Error::AlreadyExists { entity: "tenant", id })
                };
            }
            let tenant = TenantInfo { id, name, created_at: w.now };
            w.tx.insert_tenant(&tenant)?;
            w.event(None, EventType::TenantCreated, &json!({ "tenant": tenant }))?;
            Ok(tenant)
        })
    }

    /// The handle through which every tenant's data is reached.
    pub fn tenant(&self, id: &str) -> Result<Tenant> {
        validate_tenant_id(id)?;
        let handle = Tenant { inner: Arc::clone(&self.inner), id: id.into(), actor: DEFAULT_ACTOR.into() };
        handle.read(|tx| tx.tenant())?.ok_or_else(|| Error::NotFound { entity: "tenant", id: id.into() })?;
        Ok(handle)
    }

    /// Turns every hold whose expiry has passed into `expired`, with an
    /// event each; returns how many. Holds stop blocking at their expiry
    /// whether or not this runs: sweeping only makes it visible.
    pub fn sweep_expired(&self) -> Result<usize> {
        let tenants = self.inner.store.tenants_with_expired_holds(self.now(), usize::MAX)?;
        let mut swept = 0;
        for tenant_id in tenants {
            let handle = Tenant { inner: Arc::clone(&self.inner), id: tenant_id, actor: SYSTEM_ACTOR.into() };
            loop {
                let batch = handle.write(move |w| {
                    let holds = w.tx.expired_holds(w.now, limits::SWEEP_BATCH_MAX)?;
                    for hold in &holds {
                        w.expire(hold.clone())?;
                    }
                    Ok(holds.len())
                })?;
                swept += batch;
                if batch < limits::SWEEP_BATCH_MAX {
                    break;
                }
            }
        }
        Ok(swept)
    }

    /// The live key a bearer token names: `None` when the token is
    /// malformed, unknown or revoked (never an error, so callers cannot tell
    /// which). Compared in constant time.
    pub fn authenticate(&self, token: &str) -> Result<Option<ApiKey>> {
        let Some((id, secret)) = key::split_token(token) else { return Ok(None) };
        let Some((found, stored_hash)) = self.inner.store.api_key(id)? else { return Ok(None) };
        let matches = key::constant_time_eq(&key::secret_hash(secret), &stored_hash);
        Ok((matches && found.revoked_at.is_none()).then_some(found))
    }

    /// `Ok` when the store answers (a readiness probe).
    pub fn ping(&self) -> Result<()> {
        self.inner.store.ping()
    }

    /// Hit, miss and size counters of the read cache.
    pub fn cache_stats(&self) -> CacheStats {
        self.inner.cache.stats()
    }

    /// How this engine's writes were grouped into transactions.
    pub fn write_stats(&self) -> WriteStats {
        self.inner.group_commit.stats()
    }

    /// Events committed by this engine from now on, every tenant.
    pub fn subscribe(&self) -> Subscription {
        self.inner.feed.subscribe(None)
    }
}

/// Paging of `list_resources` and `list_projects`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PageRequest {
    /// Page size (default 100, at most 1,000).
    pub limit: Option<usize>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// One tenant's view of the engine. Every call reaches this tenant's rows
/// only; another tenant's ids are `NOT_FOUND`.
#[derive(Clone)]
pub struct Tenant {
    inner: Arc<Inner>,
    id: String,
    actor: String,
}

impl std::fmt::Debug for Tenant {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tenant").field("id", &self.id).field("actor", &self.actor).finish()
    }
}

/// What a write sees: the transaction of its batch, the batch's decision
/// instant, and its own actor and events.
struct Write<'a> {
    tx: Box<dyn Transaction + 'a>,
    now: Timestamp,
    actor: String,
    default_hold_ttl_us: i64,
    events: Vec<Recorded>,
    /// Commit even though the call fails (a hold expired on contact).
    commit_on_error: bool,
    /// Runs beside other writes in one transaction (see `protect`).
    shared: bool,
    /// A savepoint covers this write's changes.
    protected: bool,
}

impl Tenant {
    /// The tenant's id.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The same handle, recording `actor` on the events it causes.
    pub fn as_actor(&self, actor: &str) -> Result<Tenant> {
        validate_text("actor", actor, limits::ACTOR_LENGTH_MAX_CHARS, true)?;
        Ok(Tenant { inner: Arc::clone(&self.inner), id: self.id.clone(), actor: actor.into() })
    }

    fn read<T>(&self, f: impl FnOnce(&mut dyn Transaction) -> Result<T>) -> Result<T> {
        let mut tx = self.inner.store.read(&self.id)?;
        f(tx.as_mut())
    }

    /// Runs `f` in a write transaction shared with the tenant's concurrent
    /// writes (group commit); returns once its batch is durably committed.
    fn write<T: Send + 'static>(&self, f: impl FnOnce(&mut Write<'_>) -> Result<T> + Send + 'static) -> Result<T> {
        self.inner.group_commit.submit(&self.inner, &self.id, &self.actor, f)
    }

    // ---- resources ----

    /// Creates a resource. Repeating it with the same id and fields returns
    /// the existing one; other fields are `ALREADY_EXISTS`.
    pub fn create_resource(&self, new: NewResource) -> Result<Resource> {
        new.validate()?;
        let id = new.id.clone().unwrap_or_else(new_id);
        self.write(move |w| {
            if let Some(existing) = w.tx.resource(&id)? {
                return if same_resource(&existing, &new) {
                    Ok(existing)
                } else {
                    Err(Error::AlreadyExists { entity: "resource", id })
                };
            }
            let resource = Resource {
                id: id.clone(),
                name: new.name,
                kind: new.kind,
                capacity: new.capacity,
                timezone: new.timezone,
                tags: new.tags,
                buffer_before: new.buffer_before,
                buffer_after: new.buffer_after,
                active: new.active,
                metadata: new.metadata,
                version: 1,
                created_at: w.now,
                updated_at: w.now,
            };
            w.tx.insert_resource(&resource)?;
            w.event(None, EventType::ResourceCreated, &json!({ "resource": resource }))?;
            Ok(resource)
        })
    }

    pub fn get_resource(&self, id: &str) -> Result<Resource> {
        validate_id("id", id)?;
        self.read(|tx| tx.resource(id))?.ok_or_else(|| not_found("resource", id))
    }

    /// Resources ordered by id.
    pub fn list_resources(&self, page: &PageRequest) -> Result<Page<Resource>> {
        let (after, limit) = id_page(page)?;
        let items = self.read(|tx| tx.list_resources(after.as_deref(), limit))?;
        Ok(page_of(items, limit, |r| r.id.clone()))
    }

    /// Changes a resource. Lowering its capacity or widening its buffers
    /// is refused with `CONFLICT` if bookings it already has would overrun.
    pub fn update_resource(&self, id: &str, patch: ResourcePatch, expected_version: Option<i64>) -> Result<Resource> {
        validate_id("id", id)?;
        patch.validate()?;
        let id = id.to_owned();
        self.write(move |w| {
            let current = w.tx.lock_resource(&id)?.ok_or_else(|| not_found("resource", &id))?;
            check_version("resource", &id, expected_version, current.version)?;
            let mut next = patch.apply(&current)?;
            if next == current {
                return Ok(current); // nothing changes: no new version, no event
            }
            let tighter = next.capacity < current.capacity
                || next.buffer_before > current.buffer_before
                || next.buffer_after > current.buffer_after;
            if tighter {
                w.ensure_schedule_holds(&next)?;
            }
            next.version = current.version + 1;
            next.updated_at = w.now;
            w.tx.update_resource(&next, current.version)?;
            w.event(None, EventType::ResourceUpdated, &json!({ "resource": next, "previous": current }))?;
            Ok(next)
        })
    }

    // ---- API keys ----

    /// Issues a key; the returned token is the only copy of its secret.
    pub fn create_api_key(&self, new: NewApiKey) -> Result<IssuedKey> {
        new.validate()?;
        let tenant_id = self.id.clone();
        self.write(move |w| {
            if let Some(resource_id) = &new.resource_id {
                w.tx.resource(resource_id)?.ok_or_else(|| not_found("resource", resource_id))?;
            }
            let (id, secret) = key::new_secret();
            let api_key = ApiKey {
                id: id.clone(),
                tenant_id,
                role: new.role,
                resource_id: new.resource_id,
                name: new.name,
                created_at: w.now,
                revoked_at: None,
            };
            w.tx.insert_api_key(&api_key, &key::secret_hash(&secret))?;
            w.event(None, EventType::ApiKeyCreated, &json!({ "api_key": api_key }))?;
            Ok(IssuedKey { key: api_key, token: key::token(&id, &secret) })
        })
    }

    /// Revokes a key at once (repeating it changes nothing).
    pub fn revoke_api_key(&self, id: &str) -> Result<ApiKey> {
        validate_id("id", id)?;
        let id = id.to_owned();
        self.write(move |w| {
            let current = w.tx.tenant_api_key(&id)?.ok_or_else(|| not_found("api_key", &id))?;
            if current.revoked_at.is_some() {
                return Ok(current);
            }
            w.tx.revoke_api_key(&id, w.now)?;
            let revoked = ApiKey { revoked_at: Some(w.now), ..current };
            w.event(None, EventType::ApiKeyRevoked, &json!({ "api_key": revoked }))?;
            Ok(revoked)
        })
    }

    /// The tenant's keys (revoked ones too), ordered by id.
    pub fn list_api_keys(&self, page: &PageRequest) -> Result<Page<ApiKey>> {
        let (after, limit) = id_page(page)?;
        let items = self.read(|tx| tx.list_api_keys(after.as_deref(), limit))?;
        Ok(page_of(items, limit, |k| k.id.clone()))
    }

    // ---- projects ----

    /// Creates a project; same id and fields again returns it.
    pub fn create_project(&self, new: NewProject) -> Result<Project> {
        new.validate()?;
        let id = new.id.clone().unwrap_or_else(new_id);
        self.write(move |w| {
            if let Some(existing) = w.tx.project(&id)? {
                return if existing.name == new.name && existing.metadata == new.metadata {
                    Ok(existing)
                } else {
                    Err(Error::AlreadyExists { entity: "project", id })
                };
            }
            let project = Project {
                id: id.clone(),
                name: new.name,
                metadata: new.metadata,
                version: 1,
                created_at: w.now,
                updated_at: w.now,
            };
            w.tx.insert_project(&project)?;
            w.event(None, EventType::ProjectCreated, &json!({ "project": project }))?;
            Ok(project)
        })
    }

    pub fn get_project(&self, id: &str) -> Result<Project> {
        validate_id("id", id)?;
        self.read(|tx| tx.project(id))?.ok_or_else(|| not_found("project", id))
    }

    /// Projects ordered by id.
    pub fn list_projects(&self, page: &PageRequest) -> Result<Page<Project>> {
        let (after, limit) = id_page(page)?;
        let items = self.read(|tx| tx.list_projects(after.as_deref(), limit))?;
        Ok(page_of(items, limit, |p| p.id.clone()))
    }

    // ---- bookings ----

    /// Creates one booking if it fits; `CONFLICT` names what is in the way.
    pub fn create_booking(&self, new: NewBooking) -> Result<Booking> {
        let checked = CheckedBooking::new(new)?;
        self.write(move |w| w.create(checked))
    }

    /// Creates every booking or none: the first failure aborts the batch
    /// and its error carries the item's index (`details.index`). Later
    /// items see earlier ones, so a batch cannot overbook itself.
    pub fn create_bookings(&self, items: Vec<NewBooking>) -> Result<Vec<Booking>> {
        if items.len() > limits::BATCH_SIZE_MAX {
            return Err(Error::limit("items", limits::BATCH_SIZE_MAX, items.len()));
        }
        let checked = items
            .into_iter()
            .enumerate()
            .map(|(index, new)| CheckedBooking::new(new).map_err(|e| in_batch(index, e)))
            .collect::<Result<Vec<_>>>()?;
        self.write(move |w| {
            w.protect()?;
            let mut created = Vec::with_capacity(checked.len());
            let mut lookups = Lookups::default();
            for (index, item) in checked.into_iter().enumerate() {
                created.push(w.create_with(item, &mut lookups).map_err(|e| in_batch(index, e))?);
            }
            Ok(created)
        })
    }

    pub fn get_booking(&self, id: &str) -> Result<Booking> {
        validate_id("id", id)?;
        self.read(|tx| tx.booking(id))?.map(|s| s.booking).ok_or_else(|| not_found("booking", id))
    }

    /// hold -> pencil.
    pub fn pencil(&self, id: &str, expected_version: Option<i64>) -> Result<Booking> {
        self.act(id, Action::Pencil, expected_version)
    }

    /// hold or pencil -> confirmed.
    pub fn confirm(&self, id: &str, expected_version: Option<i64>) -> Result<Booking> {
        self.act(id, Action::Confirm, expected_version)
    }

    /// hold, pencil or confirmed -> cancelled.
    pub fn cancel(&self, id: &str, expected_version: Option<i64>) -> Result<Booking> {
        self.act(id, Action::Cancel, expected_version)
    }

    /// hold or pencil -> declined.
    pub fn decline(&self, id: &str, expected_version: Option<i64>) -> Result<Booking> {
        self.act(id, Action::Decline, expected_version)
    }

    /// Moves a running hold's expiry (`HoldExpiry::Ttl` counts from now).
    pub fn extend_hold(&self, id: &str, until: HoldExpiry, expected_version: Option<i64>) -> Result<Booking> {
        validate_id("id", id)?;
        let id = id.to_owned();
        self.write(move |w| {
            let current = w.actionable(&id, Action::ExtendHold, expected_version)?;
            let mut next = current.clone();
            next.hold_expires_at = Some(until.resolve(w.now, w.default_hold_ttl_us)?);
            w.save(next, &current, EventType::HoldExtended)
        })
    }

    /// Moves a booking in time and optionally to another resource, keeping
    /// its status; it must fit where it lands (itself excluded).
    pub fn reschedule(&self, id: &str, to: Reschedule, expected_version: Option<i64>) -> Result<Booking> {
        validate_id("id", id)?;
        let interval = validate_interval(to.start, to.end)?;
        if let Some(resource_id) = &to.resource_id {
            validate_id("resource_id", resource_id)?;
        }
        let id = id.to_owned();
        self.write(move |w| {
            let current = w.actionable(&id, Action::Reschedule, expected_version)?;
            let target_id = to.resource_id.as_deref().unwrap_or(&current.resource_id);
            let target = w.tx.lock_resource(target_id)?.ok_or_else(|| not_found("resource", target_id))?;
            if target.id != current.resource_id {
                ensure_bookable(&target)?;
            }
            if current.quantity > target.capacity {
                return Err(over_capacity_input(current.quantity, &target));
            }
            w.ensure_within_hours(&target, interval)?;
            w.ensure_fits(&target, interval, current.quantity, Some(&id))?;
            let mut next = current.clone();
            next.resource_id = target.id.clone();
            next.start = interval.start;
            next.end = interval.end;
            w.save(next, &current, EventType::Rescheduled)
        })
    }

    /// Every event of one booking, oldest first.
    pub fn history(&self, booking_id: &str) -> Result<Vec<Event>> {
        validate_id("booking_id", booking_id)?;
        self.read(|tx| {
            if tx.booking(booking_id)?.is_none() {
                return Err(not_found("booking", booking_id));
            }
            tx.history(booking_id)
        })
    }

    /// Up to `limit` events with `seq > since`, ascending. Poll with the
    /// last `seq` seen to follow the log across processes.
    pub fn events(&self, since: i64, limit: usize) -> Result<Vec<Event>> {
        if since < 0 {
            return Err(Error::invalid("since", "must not be negative"));
        }
        let limit = page_limit(Some(limit))?;
        self.read(|tx| tx.events(since, limit))
    }

    /// This tenant's events committed by this engine from now on.
    pub fn subscribe(&self) -> Subscription {
        self.inner.feed.subscribe(Some(self.id.clone()))
    }

    fn act(&self, id: &str, action: Action, expected_version: Option<i64>) -> Result<Booking> {
        validate_id("id", id)?;
        let id = id.to_owned();
        self.write(move |w| {
            let current = w.actionable(&id, action, expected_version)?;
            if action == Action::Confirm {
                // Firming up is a decision too: a strict resource's hours
                // may have changed since the hold was placed.
                let resource =
                    w.tx.lock_resource(&current.resource_id)?
                        .ok_or_else(|| Error::internal(format!("booking {id:?} has no resource")))?;
                w.ensure_within_hours(&resource, current.interval())?;
            }
            let mut next = current.clone();
            next.status = transition(current.status, action)
                .ok_or_else(|| Error::internal("actionable() let through an illegal transition"))?;
            if next.status != Status::Hold {
                next.hold_expires_at = None;
            }
            w.save(next, &current, EventType::after(action))
        })
    }
}

/// An event appended by a write, kept as its JSON text until commit.
struct Recorded {
    seq: i64,
    event: NewEvent,
    /// Resources it touched, for the read cache.
    touched: Vec<String>,
}

impl Recorded {
    fn into_event(self, tenant_id: &str) -> Event {
        let NewEvent { booking_id, kind, actor, at, data } = self.event;
        // Text this engine just serialized always parses back.
        let data = serde_json::from_str(&data).unwrap_or(serde_json::Value::String(data));
        Event { tenant_id: tenant_id.to_owned(), seq: self.seq, booking_id, kind, actor, at, data }
    }
}

// Event data of booking changes, serialized without an intermediate `Value`
// (the same JSON as `json!` gave, keys aside).
#[derive(Serialize)]
struct BookingData<'a> {
    booking: &'a Booking,
}

#[derive(Serialize)]
struct StatusChanged<'a> {
    booking: &'a Booking,
    previous_status: Status,
}

#[derive(Serialize)]
struct Moved<'a> {
    booking: &'a Booking,
    previous: Place<'a>,
}

#[derive(Serialize)]
struct Place<'a> {
    resource_id: &'a str,
    start: Timestamp,
    end: Timestamp,
}

/// A new booking validated before any store access, with its fingerprint.
struct CheckedBooking {
    new: NewBooking,
    interval: Interval,
    /// Empty when the request names neither an id nor an idempotency key:
    /// nothing can repeat it, so nothing will compare it.
    request_hash: String,
}

impl CheckedBooking {
    fn new(new: NewBooking) -> Result<Self> {
        let interval = new.validate()?;
        let request_hash = if new.id.is_some() || new.idempotency_key.is_some() {
            let canonical = serde_json::to_vec(&new).map_err(|e| Error::internal(e.to_string()))?;
            hex(&Sha256::digest(&canonical))
        } else {
            String::new()
        };
        Ok(CheckedBooking { new, interval, request_hash })
    }
}

/// What the items of one `create_bookings` call look up, read once: the
/// call changes no resource, rule or project, and the first read of a
/// resource already locked it for the transaction.
#[derive(Default)]
struct Lookups {
    resources: HashMap<String, LookedUp>,
    projects: HashSet<String>,
}

struct LookedUp {
    resource: Resource,
    /// The resource's rules once read (`Some(None)`: it has none).
    rules: Option<Option<AvailabilityRules>>,
}

impl Lookups {
    fn resource(&mut self, tx: &mut dyn Transaction, id: &str) -> Result<&mut LookedUp> {
        match self.resources.entry(id.to_owned()) {
            Entry::Occupied(found) => Ok(found.into_mut()),
            Entry::Vacant(slot) => {
                let resource = tx.lock_resource(id)?.ok_or_else(|| not_found("resource", id))?;
                Ok(slot.insert(LookedUp { resource, rules: None }))
            }
        }
    }

    fn resource_with_rules(&mut self, tx: &mut dyn Transaction, id: &str) -> Result<&LookedUp> {
        let looked = self.resource(tx, id)?;
        if looked.rules.is_none() {
            looked.rules = Some(tx.availability(id)?.map(|a| a.rules()));
        }
        Ok(looked)
    }

    fn project_exists(&mut self, tx: &mut dyn Transaction, id: &str) -> Result<bool> {
        if self.projects.contains(id) {
            return Ok(true);
        }
        let exists = tx.project(id)?.is_some();
        if exists {
            self.projects.insert(id.to_owned());
        }
        Ok(exists)
    }
}

impl Write<'_> {
    /// Called before the first change by a write that may still fail after
    /// changing rows (a batch of bookings): in a shared transaction it opens
    /// a savepoint, so its failure undoes its own changes only. Writes that
    /// decide everything before changing anything skip it (a savepoint costs
    /// SQLite a copy of every page the write touches); if one fails after a
    /// change anyway, the whole batch fails rather than commit half of it.
    fn protect(&mut self) -> Result<()> {
        if self.shared && !self.protected {
            self.tx.savepoint()?;
            self.protected = true;
        }
        Ok(())
    }

    fn event(&mut self, booking_id: Option<&str>, kind: EventType, data: &impl Serialize) -> Result<()> {
        let actor = self.actor.clone();
        self.event_as(actor, booking_id, kind, data)
    }

    /// Appends an event. Its data goes straight to JSON text; a `Value` is
    /// built only if someone subscribes (see `Recorded`).
    fn event_as(
        &mut self,
        actor: String,
        booking_id: Option<&str>,
        kind: EventType,
        data: &impl Serialize,
    ) -> Result<()> {
        self.event_touching(actor, booking_id, kind, data, None)
    }

    /// As `event_as`; `touched`, when the caller knows it, names the
    /// resources the data touches (what `touched_in_json` would read back
    /// from the text, saving a parse per booking written).
    fn event_touching(
        &mut self,
        actor: String,
        booking_id: Option<&str>,
        kind: EventType,
        data: &impl Serialize,
        touched: Option<Vec<String>>,
    ) -> Result<()> {
        let event = self.new_event(actor, booking_id, kind, data)?;
        let seq = self.tx.append_event(&event)?;
        self.recorded(seq, event, touched);
        Ok(())
    }

    fn new_event(
        &self,
        actor: String,
        booking_id: Option<&str>,
        kind: EventType,
        data: &impl Serialize,
    ) -> Result<NewEvent> {
        let data = serde_json::to_string(data).map_err(|e| Error::internal(format!("event data: {e}")))?;
        Ok(NewEvent { booking_id: booking_id.map(str::to_owned), kind, actor, at: self.now, data })
    }

    /// Keeps an appended event for the commit's publication and the cache.
    fn recorded(&mut self, seq: i64, event: NewEvent, touched: Option<Vec<String>>) {
        let touched = match touched {
            Some(touched) => {
                debug_assert_eq!(touched, crate::model::event::touched_in_json(&event.data));
                touched
            }
            None => crate::model::event::touched_in_json(&event.data),
        };
        self.events.push(Recorded { seq, event, touched });
    }

    fn create(&mut self, checked: CheckedBooking) -> Result<Booking> {
        self.create_with(checked, &mut Lookups::default())
    }

    /// `create`, reading resources, their rules and projects through
    /// `lookups` (shared by the items of one `create_bookings` call).
    fn create_with(&mut self, checked: CheckedBooking, lookups: &mut Lookups) -> Result<Booking> {
        let CheckedBooking { new, interval, request_hash } = checked;
        if let Some(key) = &new.idempotency_key
            && let Some(prior) = self.tx.booking_by_idempotency_key(key)?
        {
            return if prior.request_hash == request_hash {
                self.first_result(&prior.booking.id)
            } else {
                Err(Error::IdempotencyMismatch { key: key.clone() })
            };
        }
        if let Some(id) = &new.id
            && let Some(prior) = self.tx.booking(id)?
        {
            return if prior.request_hash == request_hash {
                self.first_result(id)
            } else {
                Err(Error::AlreadyExists { entity: "booking", id: id.clone() })
            };
        }
        let looked = lookups.resource(self.tx.as_mut(), &new.resource_id)?;
        let resource = &looked.resource;
        ensure_bookable(resource)?;
        if new.quantity > resource.capacity {
            return Err(over_capacity_input(new.quantity, resource));
        }
        if let Some(project_id) = &new.project_id
            && !lookups.project_exists(self.tx.as_mut(), project_id)?
        {
            return Err(not_found("project", project_id));
        }
        let hold_expires_at = match new.status {
            Status::Hold => Some(new.hold_expiry().resolve(self.now, self.default_hold_ttl_us)?),
            _ => None,
        };
        let looked = lookups.resource_with_rules(self.tx.as_mut(), &new.resource_id)?;
        let (resource, rules) = (&looked.resource, looked.rules.as_ref().and_then(Option::as_ref));
        ensure_within_rules(resource, rules, interval)?;
        self.ensure_fits(resource, interval, new.quantity, None)?;
        let booking = Booking {
            id: new.id.unwrap_or_else(new_id),
            resource_id: resource.id.clone(),
            project_id: new.project_id,
            start: interval.start,
            end: interval.end,
            status: new.status,
            quantity: new.quantity,
            hold_expires_at,
            title: new.title,
            notes: new.notes,
            metadata: new.metadata,
            version: 1,
            created_at: self.now,
            updated_at: self.now,
            idempotency_key: new.idempotency_key,
        };
        let event = self.new_event(
            self.actor.clone(),
            Some(&booking.id),
            EventType::Created,
            &BookingData { booking: &booking },
        )?;
        let seq = self.tx.insert_booking_with_event(&booking, &request_hash, &event)?;
        self.recorded(seq, event, Some(vec![booking.resource_id.clone()]));
        Ok(booking)
    }

    /// What the first create of `booking_id` returned, for a repeat of it:
    /// the booking as its `created` event recorded it (DESIGN.md section 3:
    /// a repeat returns the first result, not the row as it is now).
    fn first_result(&mut self, booking_id: &str) -> Result<Booking> {
        let created = self
            .tx
            .history(booking_id)?
            .into_iter()
            .find(|e| e.kind == EventType::Created)
            .ok_or_else(|| Error::internal(format!("booking {booking_id:?} has no created event")))?;
        serde_json::from_value(created.data["booking"].clone())
            .map_err(|e| Error::internal(format!("created event of {booking_id:?} unreadable: {e}")))
    }

    /// Loads a booking for `action` and applies the rules every action
    /// shares: version check, expiry judged now, the transition table.
    fn actionable(&mut self, id: &str, action: Action, expected_version: Option<i64>) -> Result<Booking> {
        let current = self.tx.lock_booking(id)?.map(|s| s.booking).ok_or_else(|| not_found("booking", id))?;
        check_version("booking", id, expected_version, current.version)?;
        if current.is_expired_hold(self.now) {
            let expired_at = current.hold_expires_at.unwrap_or(self.now);
            self.expire(current)?;
            self.commit_on_error = true;
            return Err(Error::HoldExpired { id: id.into(), expired_at });
        }
        if current.status == Status::Expired {
            let expired_at = current.hold_expires_at.unwrap_or(current.updated_at);
            return Err(Error::HoldExpired { id: id.into(), expired_at });
        }
        if transition(current.status, action).is_none() {
            return Err(Error::InvalidTransition { id: id.into(), status: current.status, action: action.as_str() });
        }
        Ok(current)
    }

    /// Writes `next` over `current` with a new version and an event.
    fn save(&mut self, next: Booking, current: &Booking, kind: EventType) -> Result<Booking> {
        let actor = self.actor.clone();
        self.save_as(actor, next, current, kind)
    }

    fn save_as(&mut self, actor: String, mut next: Booking, current: &Booking, kind: EventType) -> Result<Booking> {
        next.version = current.version + 1;
        next.updated_at = self.now;
        self.tx.update_booking(&next, current.version)?;
        if kind == EventType::Rescheduled {
            let previous = Place { resource_id: &current.resource_id, start: current.start, end: current.end };
            let touched = vec![next.resource_id.clone(), current.resource_id.clone()];
            self.event_touching(actor, Some(&next.id), kind, &Moved { booking: &next, previous }, Some(touched))?;
        } else {
            let touched = vec![next.resource_id.clone()];
            let data = StatusChanged { booking: &next, previous_status: current.status };
            self.event_touching(actor, Some(&next.id), kind, &data, Some(touched))?;
        }
        Ok(next)
    }

    /// Turns a hold past its expiry into `expired` (keeping the instant it
    /// expired), recorded as the system whoever touched it.
    fn expire(&mut self, hold: Booking) -> Result<()> {
        let mut next = hold.clone();
        next.status = Status::Expired;
        self.save_as(SYSTEM_ACTOR.to_owned(), next, &hold, EventType::Expired).map(drop)
    }

    /// The capacity decision: `CONFLICT` unless `quantity` more units fit
    /// over `interval` on `resource` beside what blocks it now.
    fn ensure_fits(
        &mut self,
        resource: &Resource,
        interval: Interval,
        quantity: u32,
        exclude: Option<&str>,
    ) -> Result<()> {
        let (before_us, after_us) = resource.buffers_us();
        let candidate = Slot { footprint: schedule::footprint(interval, before_us, after_us), quantity };
        let window = schedule::candidate_window(candidate.footprint, before_us, after_us);
        let blocking: Vec<Booking> = self
            .tx
            .blocking_bookings(&resource.id, window)?
            .into_iter()
            .filter(|b| b.is_blocking_at(self.now) && Some(b.id.as_str()) != exclude)
            .collect();
        let slots: Vec<Slot> = blocking.iter().map(|b| slot_of(b, before_us, after_us)).collect();
        if let Err(indexes) = schedule::check_fit(&slots, candidate, resource.capacity) {
            return Err(Error::Conflict {
                resource_id: resource.id.clone(),
                conflicts: indexes.into_iter().map(|i| conflicting(&blocking[i])).collect(),
            });
        }
        // Belt and braces: the decision must leave the resource within
        // capacity, or something upstream is broken.
        let mut after = slots;
        after.push(candidate);
        let peak = schedule::peak_usage(&after);
        if peak > u64::from(resource.capacity) {
            return Err(Error::internal(format!(
                "capacity invariant broken on {}: peak {peak} > {}",
                resource.id, resource.capacity
            )));
        }
        Ok(())
    }

    /// For a resource change that tightens it: `CONFLICT` listing the
    /// bookings that would overrun under its new capacity and buffers.
    fn ensure_schedule_holds(&mut self, next: &Resource) -> Result<()> {
        let everything = Interval {
            start: Timestamp::from_micros(limits::TIMESTAMP_MIN_US),
            end: Timestamp::from_micros(limits::TIMESTAMP_MAX_US),
        };
        let (before_us, after_us) = next.buffers_us();
        let blocking: Vec<Booking> = self
            .tx
            .blocking_bookings(&next.id, everything)?
            .into_iter()
            .filter(|b| b.is_blocking_at(self.now))
            .collect();
        let slots: Vec<Slot> = blocking.iter().map(|b| slot_of(b, before_us, after_us)).collect();
        let hot = schedule::over_capacity(&slots, next.capacity);
        if hot.is_empty() {
            return Ok(());
        }
        let conflicts = blocking
            .iter()
            .zip(&slots)
            .filter(|(_, s)| hot.iter().any(|h| h.overlaps(s.footprint)))
            .map(|(b, _)| conflicting(b))
            .collect();
        Err(Error::Conflict { resource_id: next.id.clone(), conflicts })
    }
}

fn slot_of(booking: &Booking, before_us: i64, after_us: i64) -> Slot {
    Slot { footprint: schedule::footprint(booking.interval(), before_us, after_us), quantity: booking.quantity }
}

fn conflicting(b: &Booking) -> ConflictingBooking {
    ConflictingBooking {
        id: b.id.clone(),
        resource_id: b.resource_id.clone(),
        status: b.status,
        interval: b.interval(),
        quantity: b.quantity,
    }
}

fn ensure_bookable(resource: &Resource) -> Result<()> {
    if resource.active {
        Ok(())
    } else {
        Err(Error::invalid("resource_id", format!("resource {:?} is inactive", resource.id)))
    }
}

fn over_capacity_input(quantity: u32, resource: &Resource) -> Error {
    Error::invalid(
        "quantity",
        format!("quantity {quantity} exceeds the capacity {} of resource {:?}", resource.capacity, resource.id),
    )
}

fn check_version(entity: &'static str, id: &str, expected: Option<i64>, current: i64) -> Result<()> {
    match expected {
        Some(expected) if expected != current => {
            Err(Error::VersionMismatch { entity, id: id.into(), expected_version: expected, current_version: current })
        }
        _ => Ok(()),
    }
}

fn same_resource(existing: &Resource, new: &NewResource) -> bool {
    existing.name == new.name
        && existing.kind == new.kind
        && existing.capacity == new.capacity
        && existing.timezone == new.timezone
        && existing.tags == new.tags
        && existing.buffer_before == new.buffer_before
        && existing.buffer_after == new.buffer_after
        && existing.active == new.active
        && existing.metadata == new.metadata
}

fn not_found(entity: &'static str, id: &str) -> Error {
    Error::NotFound { entity, id: id.into() }
}

fn in_batch(index: usize, error: Error) -> Error {
    let error = error.in_field(&format!("items[{index}]."));
    Error::InBatch { index, source: Box::new(error) }
}

fn new_id() -> String {
    uuid::Uuid::now_v7().to_string()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn page_limit(limit: Option<usize>) -> Result<usize> {
    match limit {
        None => Ok(limits::PAGE_SIZE_DEFAULT),
        Some(0) => Err(Error::invalid("limit", "must be at least 1")),
        Some(n) if n > limits::PAGE_SIZE_MAX => Err(Error::limit("limit", limits::PAGE_SIZE_MAX, n)),
        Some(n) => Ok(n),
    }
}

fn id_page(page: &PageRequest) -> Result<(Option<String>, usize)> {
    let limit = page_limit(page.limit)?;
    if let Some(cursor) = &page.cursor {
        validate_id("cursor", cursor)?;
    }
    Ok((page.cursor.clone(), limit))
}

/// A page with a cursor after its last item when it came back full.
fn page_of<T>(items: Vec<T>, limit: usize, key: impl Fn(&T) -> String) -> Page<T> {
    let next_cursor = if items.len() == limit { items.last().map(key) } else { None };
    Page { items, next_cursor }
}

fn booking_query(filter: &BookingFilter) -> Result<BookingQuery> {
    if filter.resource_ids.len() > limits::FILTER_IDS_MAX {
        return Err(Error::limit("resource_ids", limits::FILTER_IDS_MAX, filter.resource_ids.len()));
    }
    for (i, id) in filter.resource_ids.iter().enumerate() {
        validate_id(&format!("resource_ids[{i}]"), id)?;
    }
    if let Some(project_id) = &filter.project_id {
        validate_id("project_id", project_id)?;
    }
    let window = match (filter.start, filter.end) {
        (None, None) => None,
        (Some(start), Some(end)) => Some(validate_window(start, end)?),
        _ => return Err(Error::invalid("start", "give both start and end, or neither")),
    };
    let after = match &filter.cursor {
        None => None,
        Some(cursor) => Some(decode_booking_cursor(cursor)?),
    };
    let mut statuses = filter.statuses.clone();
    statuses.sort();
    statuses.dedup();
    Ok(BookingQuery {
        resource_ids: filter.resource_ids.clone(),
        project_id: filter.project_id.clone(),
        statuses,
        window,
        after,
        limit: page_limit(filter.limit)?,
    })
}

fn decode_booking_cursor(cursor: &str) -> Result<(Timestamp, String)> {
    let bad = || Error::invalid("cursor", "not a cursor returned by list_bookings");
    let (start, id) = cursor.split_once('_').ok_or_else(bad)?;
    let start: i64 = start.parse().map_err(|_| bad())?;
    validate_id("cursor", id).map_err(|_| bad())?;
    Ok((Timestamp::from_micros(start), id.to_owned()))
}

/// A query window: ordered, in range, at most `QUERY_WINDOW_MAX_US` long.
pub(crate) fn validate_window(start: Timestamp, end: Timestamp) -> Result<Interval> {
    for (field, at) in [("start", start), ("end", end)] {
        if !at.in_range() {
            return Err(Error::invalid(field, "out of range (years 1 to 9999)"));
        }
    }
    let window = Interval::new(start, end)?;
    if window.len_us() > limits::QUERY_WINDOW_MAX_US {
        return Err(Error::LimitExceeded {
            field: "end".into(),
            max: limits::QUERY_WINDOW_MAX_US,
            actual: window.len_us(),
        });
    }
    Ok(window)
}
