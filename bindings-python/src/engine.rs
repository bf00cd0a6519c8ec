//! `Engine` and `Tenant`: every core call, with the GIL released while the
//! core works.
//!
//! Both classes are subclassed in `python/holdfast/engine.py` (context
//! manager, `engine.tenant(id)`, the analytics helpers). `close()` drops
//! the core engine and every core tenant handle made from it, so the store
//! is released even while Python still holds `Tenant` objects; calls after
//! it raise `StoreUnavailableError`.

use std::sync::{Arc, Mutex, PoisonError, RwLock, RwLockReadGuard, Weak};

use holdfast::{HoldExpiry, NewApiKey, NewProject, PageRequest, Reschedule};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList, PyString};

use crate::clock::ManualClock;
use crate::error::{OrRaise, closed, invalid};
use crate::feed::Subscription;
use crate::model::availability::{Availability, AvailabilityCheck, FoundSlot, FreeBusy, rules, slot_query};
use crate::model::booking::{Booking, filter, new_booking};
use crate::model::event::Event;
use crate::model::key::{ApiKey, IssuedKey, role};
use crate::model::project::Project;
use crate::model::report::{UtilizationRow, group_by};
use crate::model::resource::{Resource, ResourceFields};
use crate::model::time::{datetime, opt_duration, opt_timestamp, timestamp, wait};
use crate::model::{Page, TenantInfo, count, metadata, opt_count};

/// A core tenant handle, emptied by `Engine.close()`.
type Slot = RwLock<Option<holdfast::Tenant>>;

fn read<T>(lock: &RwLock<T>) -> RwLockReadGuard<'_, T> {
    lock.read().unwrap_or_else(PoisonError::into_inner)
}

/// The booking engine over one store: `Engine(url, **options)`, or
/// `holdfast.Engine.open(url, **options)` as a context manager.
#[pyclass(subclass, frozen, module = "holdfast")]
pub struct Engine {
    core: RwLock<Option<holdfast::Engine>>,
    /// Every tenant handle made from this engine, emptied on close.
    tenants: Mutex<Vec<Weak<Slot>>>,
}

impl Engine {
    /// Runs `f` on the core engine with the GIL released.
    fn call<T: Send>(
        &self,
        py: Python<'_>,
        f: impl FnOnce(&holdfast::Engine) -> holdfast::Result<T> + Send,
    ) -> PyResult<T> {
        py.detach(|| match read(&self.core).as_ref() {
            Some(engine) => f(engine),
            None => Err(closed()),
        })
        .or_raise(py)
    }
}

#[pymethods]
impl Engine {
    /// Opens the store at `url` (`sqlite://path.db`, `sqlite::memory:`,
    /// `postgres://...` when the core was built with PostgreSQL), applying
    /// migrations. Options: `default_hold_ttl` (timedelta), `busy_timeout`
    /// (timedelta or seconds), `pool_size`, `cache_entries` (0 = no read
    /// cache), `clock` (a `ManualClock`), `durability` (`"full"` or
    /// `"normal"`), `write_batch_max` (1 = no group commit),
    /// `write_queue_max` (writes of one tenant waiting for their batch),
    /// `write_linger` (timedelta or seconds).
    #[new]
    #[pyo3(signature = (url, *, default_hold_ttl = None, busy_timeout = None, pool_size = None, cache_entries = None, clock = None, durability = None, write_batch_max = None, write_queue_max = None, write_linger = None))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        py: Python<'_>,
        url: String,
        default_hold_ttl: Option<&Bound<'_, PyAny>>,
        busy_timeout: Option<&Bound<'_, PyAny>>,
        pool_size: Option<i64>,
        cache_entries: Option<i64>,
        clock: Option<PyRef<'_, ManualClock>>,
        durability: Option<String>,
        write_batch_max: Option<i64>,
        write_queue_max: Option<i64>,
        write_linger: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Self> {
        let mut builder = holdfast::Engine::builder().url(url);
        if let Some(ttl) = opt_duration("default_hold_ttl", default_hold_ttl)? {
            builder = builder.default_hold_ttl(ttl);
        }
        if let Some(timeout) = wait("busy_timeout", busy_timeout)? {
            builder = builder.busy_timeout(timeout);
        }
        if let Some(size) = opt_count(py, "pool_size", pool_size)? {
            builder = builder.pool_size(size);
        }
        if let Some(entries) = opt_count(py, "cache_entries", cache_entries)? {
            builder = builder.cache_entries(entries);
        }
        if let Some(clock) = clock {
            builder = builder.clock(clock.0.clone());
        }
        if let Some(name) = durability {
            builder = builder.durability(name.parse().or_raise(py)?);
        }
        if let Some(jobs) = opt_count(py, "write_batch_max", write_batch_max)? {
            builder = builder.write_batch_max(jobs);
        }
        if let Some(jobs) = opt_count(py, "write_queue_max", write_queue_max)? {
            builder = builder.write_queue_max(jobs);
        }
        if let Some(linger) = wait("write_linger", write_linger)? {
            builder = builder.write_linger(linger);
        }
        let engine = py.detach(|| builder.open()).or_raise(py)?;
        Ok(Engine { core: RwLock::new(Some(engine)), tenants: Mutex::new(Vec::new()) })
    }

    /// Creates a tenant (the same name again returns it).
    fn create_tenant(&self, py: Python<'_>, id: String, name: String) -> PyResult<TenantInfo> {
        self.call(py, |e| e.create_tenant(&id, &name)).map(TenantInfo)
    }

    /// Turns every hold past its expiry into `expired`; returns how many.
    fn sweep_expired(&self, py: Python<'_>) -> PyResult<usize> {
        self.call(py, |e| e.sweep_expired())
    }

    /// The live key a bearer token names, or `None` (malformed, unknown
    /// and revoked tokens alike).
    fn authenticate(&self, py: Python<'_>, token: String) -> PyResult<Option<ApiKey>> {
        self.call(py, |e| e.authenticate(&token)).map(|key| key.map(ApiKey))
    }

    /// Raises `StoreUnavailableError` unless the store answers.
    fn ping(&self, py: Python<'_>) -> PyResult<()> {
        self.call(py, |e| e.ping())
    }

    /// Read-cache counters: `hits`, `misses`, `evictions`, `entries`, `capacity`.
    fn cache_stats<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let stats = self.call(py, |e| Ok(e.cache_stats()))?;
        let dict = PyDict::new(py);
        dict.set_item("hits", stats.hits)?;
        dict.set_item("misses", stats.misses)?;
        dict.set_item("evictions", stats.evictions)?;
        dict.set_item("entries", stats.entries)?;
        dict.set_item("capacity", stats.capacity)?;
        Ok(dict)
    }

    /// How writes were grouped into transactions: `writes`, `batches`
    /// (`writes / batches` is the average batch), `queued` (waiting now).
    fn write_stats<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let stats = self.call(py, |e| Ok(e.write_stats()))?;
        let dict = PyDict::new(py);
        dict.set_item("writes", stats.writes)?;
        dict.set_item("batches", stats.batches)?;
        dict.set_item("queued", stats.queued)?;
        Ok(dict)
    }

    /// The engine's current instant (its clock).
    fn now<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let now = self.call(py, |e| Ok(e.now()))?;
        datetime(py, now)
    }

    /// Events this engine commits from now on, every tenant.
    fn subscribe(&self, py: Python<'_>) -> PyResult<Subscription> {
        self.call(py, |e| Ok(e.subscribe())).map(|s| Subscription(Mutex::new(s)))
    }

    /// Releases the store (after calls in flight finish). Idempotent.
    fn close(&self, py: Python<'_>) {
        py.detach(|| {
            let mut core = self.core.write().unwrap_or_else(PoisonError::into_inner);
            *core = None;
            let mut tenants = self.tenants.lock().unwrap_or_else(PoisonError::into_inner);
            for slot in tenants.drain(..).filter_map(|weak| weak.upgrade()) {
                *slot.write().unwrap_or_else(PoisonError::into_inner) = None;
            }
        });
    }

    /// Whether `close()` was called.
    #[getter]
    fn closed(&self) -> bool {
        read(&self.core).is_none()
    }
}

/// One tenant's view of the engine: `Tenant(engine, id)`, usually through
/// `engine.tenant(id)`. Every call reaches this tenant's rows only.
#[pyclass(subclass, frozen, module = "holdfast")]
pub struct Tenant {
    slot: Arc<Slot>,
    engine: Py<Engine>,
    id: String,
    actor: Option<String>,
}

impl Tenant {
    /// Runs `f` on the core tenant with the GIL released.
    fn call<T: Send>(
        &self,
        py: Python<'_>,
        f: impl FnOnce(&holdfast::Tenant) -> holdfast::Result<T> + Send,
    ) -> PyResult<T> {
        py.detach(|| match read(&self.slot).as_ref() {
            Some(tenant) => f(tenant),
            None => Err(closed()),
        })
        .or_raise(py)
    }
}

#[pymethods]
impl Tenant {
    /// The handle of an existing tenant (`NotFoundError` otherwise),
    /// recording `actor` on the events it causes (default `"api"`).
    #[new]
    #[pyo3(signature = (engine, id, actor = None))]
    fn new(py: Python<'_>, engine: Bound<'_, Engine>, id: String, actor: Option<String>) -> PyResult<Self> {
        let owner = engine.get();
        let slot = py
            .detach(|| {
                let core = read(&owner.core);
                let engine = core.as_ref().ok_or_else(closed)?;
                let tenant = engine.tenant(&id)?;
                let tenant = match &actor {
                    Some(actor) => tenant.as_actor(actor)?,
                    None => tenant,
                };
                // Registered while the engine is held open, so a concurrent
                // close() cannot miss it.
                let slot = Arc::new(RwLock::new(Some(tenant)));
                let mut tenants = owner.tenants.lock().unwrap_or_else(PoisonError::into_inner);
                tenants.retain(|weak| weak.strong_count() > 0);
                tenants.push(Arc::downgrade(&slot));
                Ok(slot)
            })
            .or_raise(py)?;
        Ok(Tenant { slot, engine: engine.unbind(), id, actor })
    }

    /// The tenant's id.
    #[getter]
    fn id(&self) -> &str {
        &self.id
    }

    /// The actor recorded on events this handle causes (`None`: `"api"`).
    #[getter]
    fn actor(&self) -> Option<&str> {
        self.actor.as_deref()
    }

    /// The engine this handle belongs to.
    #[getter]
    fn engine(&self, py: Python<'_>) -> Py<Engine> {
        self.engine.clone_ref(py)
    }

    /// The same tenant, recording `actor` on the events it causes.
    fn as_actor<'py>(slf: &Bound<'py, Self>, actor: String) -> PyResult<Bound<'py, PyAny>> {
        let this = slf.get();
        slf.get_type().call1((this.engine.clone_ref(slf.py()), this.id.clone(), actor))
    }

    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        let quoted = |s: &str| PyString::new(py, s).repr().map(|r| r.to_string());
        Ok(match &self.actor {
            Some(actor) => format!("Tenant(id={}, actor={})", quoted(&self.id)?, quoted(actor)?),
            None => format!("Tenant(id={})", quoted(&self.id)?),
        })
    }

    // ---- resources ----

    /// Creates a resource (the same id and fields again return it).
    #[pyo3(signature = (*, name, id = None, kind = None, capacity = None, timezone = None, tags = None, buffer_before = None, buffer_after = None, active = None, metadata = None))]
    #[allow(clippy::too_many_arguments)]
    fn create_resource(
        &self,
        py: Python<'_>,
        name: String,
        id: Option<String>,
        kind: Option<String>,
        capacity: Option<i64>,
        timezone: Option<String>,
        tags: Option<Vec<String>>,
        buffer_before: Option<&Bound<'_, PyAny>>,
        buffer_after: Option<&Bound<'_, PyAny>>,
        active: Option<bool>,
        metadata: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Resource> {
        let fields = ResourceFields {
            name: Some(name),
            kind,
            capacity,
            timezone,
            tags,
            buffer_before,
            buffer_after,
            active,
            metadata,
        };
        let new = fields.new_resource(py, id)?;
        self.call(py, |t| t.create_resource(new)).map(Resource)
    }

    fn get_resource(&self, py: Python<'_>, id: String) -> PyResult<Resource> {
        self.call(py, |t| t.get_resource(&id)).map(Resource)
    }

    /// Resources ordered by id, one page.
    #[pyo3(signature = (*, limit = None, cursor = None))]
    fn list_resources(&self, py: Python<'_>, limit: Option<i64>, cursor: Option<String>) -> PyResult<Page> {
        let page = PageRequest { limit: opt_count(py, "limit", limit)?, cursor };
        Page::new(py, self.call(py, |t| t.list_resources(&page))?)
    }

    /// Changes the given fields of a resource.
    #[pyo3(signature = (id, *, name = None, kind = None, capacity = None, timezone = None, tags = None, buffer_before = None, buffer_after = None, active = None, metadata = None, expected_version = None))]
    #[allow(clippy::too_many_arguments)]
    fn update_resource(
        &self,
        py: Python<'_>,
        id: String,
        name: Option<String>,
        kind: Option<String>,
        capacity: Option<i64>,
        timezone: Option<String>,
        tags: Option<Vec<String>>,
        buffer_before: Option<&Bound<'_, PyAny>>,
        buffer_after: Option<&Bound<'_, PyAny>>,
        active: Option<bool>,
        metadata: Option<&Bound<'_, PyAny>>,
        expected_version: Option<i64>,
    ) -> PyResult<Resource> {
        let fields =
            ResourceFields { name, kind, capacity, timezone, tags, buffer_before, buffer_after, active, metadata };
        let patch = fields.patch(py)?;
        self.call(py, |t| t.update_resource(&id, patch, expected_version)).map(Resource)
    }

    // ---- availability ----

    fn get_availability(&self, py: Python<'_>, resource_id: String) -> PyResult<Availability> {
        self.call(py, |t| t.get_availability(&resource_id)).map(Availability)
    }

    /// Replaces a resource's rules. `weekly`: `[{"weekday": "monday",
    /// "start": "09:00", "end": "18:00"}]`; `overrides`: `[{"date":
    /// date(2026, 12, 24), "hours": [{"start": ..., "end": ...}]}]` (no
    /// hours: closed); `policy`: `"advisory"` or `"strict"`.
    #[pyo3(signature = (resource_id, *, policy = None, weekly = None, overrides = None, expected_version = None))]
    fn set_availability(
        &self,
        py: Python<'_>,
        resource_id: String,
        policy: Option<String>,
        weekly: Option<&Bound<'_, PyAny>>,
        overrides: Option<&Bound<'_, PyAny>>,
        expected_version: Option<i64>,
    ) -> PyResult<Availability> {
        let rules = rules(py, policy, weekly, overrides)?;
        self.call(py, |t| t.set_availability(&resource_id, rules, expected_version)).map(Availability)
    }

    /// Whether `quantity` units are free over `[start, end)` and inside
    /// working hours, with every reason they are not.
    #[pyo3(signature = (resource_id, *, start, end, quantity = None))]
    fn check_availability(
        &self,
        py: Python<'_>,
        resource_id: String,
        start: &Bound<'_, PyAny>,
        end: &Bound<'_, PyAny>,
        quantity: Option<i64>,
    ) -> PyResult<AvailabilityCheck> {
        let (start, end) = (timestamp("start", start)?, timestamp("end", end)?);
        let quantity = opt_count(py, "quantity", quantity)?.unwrap_or(holdfast::NewBooking::default().quantity);
        self.call(py, |t| t.check_availability(&resource_id, start, end, quantity)).map(AvailabilityCheck)
    }

    /// Busy and free time of each resource over `[start, end)`.
    #[pyo3(signature = (resource_ids, *, start, end))]
    fn free_busy(
        &self,
        py: Python<'_>,
        resource_ids: Vec<String>,
        start: &Bound<'_, PyAny>,
        end: &Bound<'_, PyAny>,
    ) -> PyResult<Vec<FreeBusy>> {
        let (start, end) = (timestamp("start", start)?, timestamp("end", end)?);
        let found = self.call(py, |t| t.free_busy(&resource_ids, start, end))?;
        Ok(found.into_iter().map(FreeBusy).collect())
    }

    /// The earliest free slots of a `duration` (or `working_days` in a
    /// row) within `[start, end)`, on `resource_ids` and/or those tagged `tag`.
    #[pyo3(signature = (*, start, end, resource_ids = None, tag = None, duration = None, working_days = None, step = None, quantity = None, limit = None, per_resource = None))]
    #[allow(clippy::too_many_arguments)]
    fn find_slots(
        &self,
        py: Python<'_>,
        start: &Bound<'_, PyAny>,
        end: &Bound<'_, PyAny>,
        resource_ids: Option<Vec<String>>,
        tag: Option<String>,
        duration: Option<&Bound<'_, PyAny>>,
        working_days: Option<i64>,
        step: Option<&Bound<'_, PyAny>>,
        quantity: Option<i64>,
        limit: Option<i64>,
        per_resource: Option<bool>,
    ) -> PyResult<Vec<FoundSlot>> {
        let query =
            slot_query(py, start, end, resource_ids, tag, duration, working_days, step, quantity, limit, per_resource)?;
        let found = self.call(py, |t| t.find_slots(&query))?;
        Ok(found.into_iter().map(FoundSlot).collect())
    }

    // ---- API keys ----

    /// Issues a key (`role`: owner, manager, viewer, or resource with its
    /// `resource_id`); the token in the result is the only copy.
    #[pyo3(signature = (*, role, resource_id = None, name = None))]
    fn create_api_key(
        &self,
        py: Python<'_>,
        role: String,
        resource_id: Option<String>,
        name: Option<String>,
    ) -> PyResult<IssuedKey> {
        let new = NewApiKey { role: self::role(py, &role)?, resource_id, name: name.unwrap_or_default() };
        self.call(py, |t| t.create_api_key(new)).map(IssuedKey)
    }

    fn revoke_api_key(&self, py: Python<'_>, id: String) -> PyResult<ApiKey> {
        self.call(py, |t| t.revoke_api_key(&id)).map(ApiKey)
    }

    /// The tenant's keys (revoked ones too), ordered by id, one page.
    #[pyo3(signature = (*, limit = None, cursor = None))]
    fn list_api_keys(&self, py: Python<'_>, limit: Option<i64>, cursor: Option<String>) -> PyResult<Page> {
        let page = PageRequest { limit: opt_count(py, "limit", limit)?, cursor };
        Page::new(py, self.call(py, |t| t.list_api_keys(&page))?)
    }

    // ---- projects ----

    /// Creates a project (the same id and fields again return it).
    #[pyo3(signature = (*, name, id = None, metadata = None))]
    fn create_project(
        &self,
        py: Python<'_>,
        name: String,
        id: Option<String>,
        metadata: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Project> {
        let new = NewProject { id, name, metadata: self::metadata("metadata", metadata)?.unwrap_or_default() };
        self.call(py, |t| t.create_project(new)).map(Project)
    }

    fn get_project(&self, py: Python<'_>, id: String) -> PyResult<Project> {
        self.call(py, |t| t.get_project(&id)).map(Project)
    }

    /// Projects ordered by id, one page.
    #[pyo3(signature = (*, limit = None, cursor = None))]
    fn list_projects(&self, py: Python<'_>, limit: Option<i64>, cursor: Option<String>) -> PyResult<Page> {
        let page = PageRequest { limit: opt_count(py, "limit", limit)?, cursor };
        Page::new(py, self.call(py, |t| t.list_projects(&page))?)
    }

    // ---- bookings ----

    /// Creates one booking if it fits (`ConflictError` names what is in
    /// the way). Keyword arguments: the call shape of DESIGN.md section 5.
    #[pyo3(signature = (**fields))]
    fn create_booking(&self, py: Python<'_>, fields: Option<&Bound<'_, PyDict>>) -> PyResult<Booking> {
        let fields = fields.cloned().unwrap_or_else(|| PyDict::new(py));
        let new = new_booking(&fields, "")?;
        self.call(py, |t| t.create_booking(new)).map(Booking)
    }

    /// Creates every booking (dicts with `create_booking`'s fields) or
    /// none; the error's `details["index"]` names the failing item.
    fn create_bookings(&self, py: Python<'_>, items: &Bound<'_, PyAny>) -> PyResult<Vec<Booking>> {
        let mut news = Vec::new();
        for (index, item) in items.try_iter()?.enumerate() {
            let item = item?;
            let prefix = format!("items[{index}].");
            let fields = item.cast::<PyDict>().map_err(|_| {
                pyo3::exceptions::PyTypeError::new_err(format!("items[{index}]: expected a dict of booking fields"))
            })?;
            news.push(new_booking(fields, &prefix)?);
        }
        let created = self.call(py, |t| t.create_bookings(news))?;
        Ok(created.into_iter().map(Booking).collect())
    }

    fn get_booking(&self, py: Python<'_>, id: String) -> PyResult<Booking> {
        self.call(py, |t| t.get_booking(&id)).map(Booking)
    }

    /// Bookings ordered by `(start, id)`, one page; every filter narrows.
    #[pyo3(signature = (*, resource_ids = None, project_id = None, statuses = None, start = None, end = None, limit = None, cursor = None))]
    #[allow(clippy::too_many_arguments)]
    fn list_bookings(
        &self,
        py: Python<'_>,
        resource_ids: Option<Vec<String>>,
        project_id: Option<String>,
        statuses: Option<Vec<String>>,
        start: Option<&Bound<'_, PyAny>>,
        end: Option<&Bound<'_, PyAny>>,
        limit: Option<i64>,
        cursor: Option<String>,
    ) -> PyResult<Page> {
        let filter = filter(py, resource_ids, project_id, statuses, start, end, limit, cursor)?;
        Page::new(py, self.call(py, |t| t.list_bookings(&filter))?)
    }

    /// hold -> pencil.
    #[pyo3(signature = (id, *, expected_version = None))]
    fn pencil(&self, py: Python<'_>, id: String, expected_version: Option<i64>) -> PyResult<Booking> {
        self.call(py, |t| t.pencil(&id, expected_version)).map(Booking)
    }

    /// hold or pencil -> confirmed.
    #[pyo3(signature = (id, *, expected_version = None))]
    fn confirm(&self, py: Python<'_>, id: String, expected_version: Option<i64>) -> PyResult<Booking> {
        self.call(py, |t| t.confirm(&id, expected_version)).map(Booking)
    }

    /// hold, pencil or confirmed -> cancelled.
    #[pyo3(signature = (id, *, expected_version = None))]
    fn cancel(&self, py: Python<'_>, id: String, expected_version: Option<i64>) -> PyResult<Booking> {
        self.call(py, |t| t.cancel(&id, expected_version)).map(Booking)
    }

    /// hold or pencil -> declined.
    #[pyo3(signature = (id, *, expected_version = None))]
    fn decline(&self, py: Python<'_>, id: String, expected_version: Option<i64>) -> PyResult<Booking> {
        self.call(py, |t| t.decline(&id, expected_version)).map(Booking)
    }

    /// Moves a running hold's expiry: `hold_ttl` from now, or
    /// `hold_expires_at`; neither = the engine's default TTL from now.
    #[pyo3(signature = (id, *, hold_ttl = None, hold_expires_at = None, expected_version = None))]
    fn extend_hold(
        &self,
        py: Python<'_>,
        id: String,
        hold_ttl: Option<&Bound<'_, PyAny>>,
        hold_expires_at: Option<&Bound<'_, PyAny>>,
        expected_version: Option<i64>,
    ) -> PyResult<Booking> {
        let until = match (opt_duration("hold_ttl", hold_ttl)?, opt_timestamp("hold_expires_at", hold_expires_at)?) {
            (None, None) => HoldExpiry::Default,
            (Some(ttl), None) => HoldExpiry::Ttl(ttl),
            (None, Some(at)) => HoldExpiry::At(at),
            (Some(_), Some(_)) => return Err(invalid(py, "hold_ttl", "give hold_ttl or hold_expires_at, not both")),
        };
        self.call(py, |t| t.extend_hold(&id, until, expected_version)).map(Booking)
    }

    /// Moves a booking to `[start, end)`, optionally onto `resource_id`.
    #[pyo3(signature = (id, *, start, end, resource_id = None, expected_version = None))]
    fn reschedule(
        &self,
        py: Python<'_>,
        id: String,
        start: &Bound<'_, PyAny>,
        end: &Bound<'_, PyAny>,
        resource_id: Option<String>,
        expected_version: Option<i64>,
    ) -> PyResult<Booking> {
        let to = Reschedule { start: timestamp("start", start)?, end: timestamp("end", end)?, resource_id };
        self.call(py, |t| t.reschedule(&id, to, expected_version)).map(Booking)
    }

    // ---- events and reports ----

    /// Every event of one booking, oldest first.
    fn history(&self, py: Python<'_>, booking_id: String) -> PyResult<Vec<Event>> {
        let events = self.call(py, |t| t.history(&booking_id))?;
        Ok(events.into_iter().map(Event).collect())
    }

    /// The core's `events(since, limit)`: up to `limit` events with
    /// `seq > since`, ascending. `Tenant.events(...)` iterates over it.
    fn _events<'py>(&self, py: Python<'py>, since: i64, limit: i64) -> PyResult<Bound<'py, PyList>> {
        let limit = count(py, "limit", limit)?;
        let events = self.call(py, |t| t.events(since, limit))?;
        PyList::new(py, events.into_iter().map(Event))
    }

    /// This tenant's events committed by this engine from now on.
    fn subscribe(&self, py: Python<'_>) -> PyResult<Subscription> {
        self.call(py, |t| Ok(t.subscribe())).map(|s| Subscription(Mutex::new(s)))
    }

    /// The core's utilization report over `[start, end)` by `group_by`
    /// (`"resource"`, `"project"`, `"day"`), in capacity-unit microseconds.
    /// `Tenant.utilization(...)` gives the same in hours as plain records.
    fn utilization_rows(
        &self,
        py: Python<'_>,
        start: &Bound<'_, PyAny>,
        end: &Bound<'_, PyAny>,
        group_by: String,
    ) -> PyResult<Vec<UtilizationRow>> {
        let (start, end) = (timestamp("start", start)?, timestamp("end", end)?);
        let group_by = self::group_by(py, &group_by)?;
        let rows = self.call(py, |t| t.utilization(start, end, group_by))?;
        Ok(rows.into_iter().map(UtilizationRow).collect())
    }
}
