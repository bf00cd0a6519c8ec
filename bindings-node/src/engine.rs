//! `Engine`: opens the store, creates tenants, hands out `Tenant` handles.
//!
//! The JS `Engine` and every `Tenant` it hands out share one [`Shared`]:
//! the open core engine and the tenants resolved so far. `close()` drops
//! both at once, so the store's connections are released as soon as the
//! calls already running finish, however many JS handles are still around.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, RwLock};

use chrono::{DateTime, Utc};
use holdfast::Result;
use napi::Env;
use napi::bindgen_prelude::{AsyncTask, ClassInstance};
use napi_derive::napi;

use crate::clock::ManualClock;
use crate::convert;
use crate::error;
use crate::model::key::ApiKey;
use crate::model::{CacheStats, TenantInfo, WriteStats};
use crate::task::{self, Call};
use crate::tenant::Tenant;

/// Resolved tenant handles kept per engine; past it the map starts over (a
/// miss costs one read of the tenant's row).
const TENANTS_CACHED_MAX: usize = 1_024;

/// The state every JS handle of one engine shares.
pub(crate) struct Shared {
    open: RwLock<Option<Open>>,
}

struct Open {
    engine: holdfast::Engine,
    tenants: Mutex<HashMap<String, holdfast::Tenant>>,
}

impl Shared {
    fn new(engine: holdfast::Engine) -> Self {
        Shared { open: RwLock::new(Some(Open { engine, tenants: Mutex::new(HashMap::new()) })) }
    }

    /// The core engine, or `STORE_UNAVAILABLE` once closed.
    pub(crate) fn engine(&self) -> Result<holdfast::Engine> {
        let open = self.open.read().unwrap_or_else(|p| p.into_inner());
        open.as_ref().map(|o| o.engine.clone()).ok_or_else(error::closed)
    }

    pub(crate) fn is_open(&self) -> bool {
        self.open.read().unwrap_or_else(|p| p.into_inner()).is_some()
    }

    /// The core tenant `id` (`engine.tenant(id)`, which reads the store the
    /// first time: an unknown tenant is `NOT_FOUND`). Runs off the JS thread.
    pub(crate) fn tenant(&self, id: &str) -> Result<holdfast::Tenant> {
        let engine = {
            let open = self.open.read().unwrap_or_else(|p| p.into_inner());
            let open = open.as_ref().ok_or_else(error::closed)?;
            if let Some(tenant) = lock(&open.tenants).get(id) {
                return Ok(tenant.clone());
            }
            open.engine.clone()
        };
        let tenant = engine.tenant(id)?;
        if let Some(open) = self.open.read().unwrap_or_else(|p| p.into_inner()).as_ref() {
            let mut tenants = lock(&open.tenants);
            if tenants.len() >= TENANTS_CACHED_MAX {
                tenants.clear();
            }
            tenants.insert(id.to_owned(), tenant.clone());
        }
        Ok(tenant)
    }

    fn close(&self) -> Option<Open> {
        self.open.write().unwrap_or_else(|p| p.into_inner()).take()
    }
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|p| p.into_inner())
}

/// Settings of `Engine.open`; absent ones take the core's defaults.
#[napi(object, object_to_js = false)]
pub struct EngineOptions<'a> {
    /// How long a call waits for the store's lock or a connection before
    /// `STORE_UNAVAILABLE`, in milliseconds (core default: 5 s).
    pub busy_timeout_ms: Option<f64>,
    /// Most store connections held open.
    pub pool_size: Option<f64>,
    /// Most read-cache entries (0 turns the cache off).
    pub cache_entries: Option<f64>,
    /// How long a hold lasts when a create gives no TTL, in milliseconds
    /// (core default: 15 min).
    pub default_hold_ttl_ms: Option<f64>,
    /// What an acknowledged write survives: `'full'` (the core's default)
    /// flushes every commit to disk, so it survives a power loss;
    /// `'normal'` survives a crash of the process, but the last commits may
    /// be lost with the machine.
    #[napi(ts_type = "'full' | 'normal'")]
    pub durability: Option<String>,
    /// Most concurrent writes of one tenant that share a transaction and a
    /// commit (core default: 128; 1 turns grouping off).
    pub write_batch_max: Option<f64>,
    /// Most writes of one tenant waiting for their batch (core default:
    /// 4,096); past it a write waits up to the busy timeout, then fails with
    /// `STORE_UNAVAILABLE`.
    pub write_queue_max: Option<f64>,
    /// How long a batch waits for more writes after a shared one, in
    /// milliseconds (core default: 0; at most 10).
    pub write_linger_ms: Option<f64>,
    /// Where "now" comes from (tests); the system clock when absent.
    pub clock: Option<ClassInstance<'a, ManualClock>>,
}

fn builder(url: String, options: Option<EngineOptions<'_>>) -> Result<holdfast::EngineBuilder> {
    let mut builder = holdfast::Engine::builder().url(url);
    let Some(o) = options else { return Ok(builder) };
    if let Some(timeout) = convert::opt_duration_ms("busy_timeout", o.busy_timeout_ms)? {
        let timeout = timeout.to_std().map_err(|_| convert::invalid("busy_timeout", "must not be negative"))?;
        builder = builder.busy_timeout(timeout);
    }
    if let Some(size) = convert::opt_whole("pool_size", o.pool_size)? {
        builder = builder.pool_size(size);
    }
    if let Some(entries) = convert::opt_whole("cache_entries", o.cache_entries)? {
        builder = builder.cache_entries(entries);
    }
    if let Some(ttl) = convert::opt_duration_ms("default_hold_ttl", o.default_hold_ttl_ms)? {
        builder = builder.default_hold_ttl(ttl);
    }
    if let Some(name) = &o.durability {
        builder = builder.durability(name.parse()?);
    }
    if let Some(jobs) = convert::opt_whole("write_batch_max", o.write_batch_max)? {
        builder = builder.write_batch_max(jobs);
    }
    if let Some(jobs) = convert::opt_whole("write_queue_max", o.write_queue_max)? {
        builder = builder.write_queue_max(jobs);
    }
    if let Some(linger) = convert::opt_duration_ms("write_linger", o.write_linger_ms)? {
        let linger = linger.to_std().map_err(|_| convert::invalid("write_linger", "must not be negative"))?;
        builder = builder.write_linger(linger);
    }
    if let Some(clock) = &o.clock {
        builder = builder.clock(clock.core());
    }
    Ok(builder)
}

/// The booking engine over one store. Open it once per process and share
/// it (it is safe to use from many concurrent calls); `close()` it on
/// shutdown.
#[napi]
pub struct Engine {
    shared: Arc<Shared>,
}

#[napi]
impl Engine {
    /// Opens the store (`sqlite://path.db`, `sqlite:///abs/path.db`,
    /// `sqlite::memory:`), applying migrations.
    // Writable and configurable (napi's statics are neither by default) so
    // that `holdfast.js` can make its errors `HoldfastError`s.
    #[napi(ts_return_type = "Promise<Engine>", writable = true, configurable = true)]
    pub fn open(url: String, options: Option<EngineOptions<'_>>) -> AsyncTask<Call<Engine>> {
        let builder = builder(url, options);
        task::run(move || Ok(Engine { shared: Arc::new(Shared::new(builder?.open()?)) }))
    }

    /// Creates a tenant; the same name again returns it, another name is
    /// `ALREADY_EXISTS`.
    #[napi(ts_return_type = "Promise<TenantInfo>")]
    pub fn create_tenant(&self, id: String, name: String) -> AsyncTask<Call<TenantInfo>> {
        let shared = Arc::clone(&self.shared);
        task::run(move || TenantInfo::from_core(shared.engine()?.create_tenant(&id, &name)?))
    }

    /// The handle through which a tenant's data is reached. No I/O: an
    /// unknown tenant is `NOT_FOUND` on the handle's first call.
    #[napi]
    pub fn tenant(&self, id: String) -> Tenant {
        Tenant::new(Arc::clone(&self.shared), id, None)
    }

    /// Turns every hold whose expiry has passed into `expired`; resolves to
    /// how many. Holds stop blocking at expiry whether or not this runs.
    #[napi(ts_return_type = "Promise<number>")]
    pub fn sweep_expired(&self) -> AsyncTask<Call<i64>> {
        let shared = Arc::clone(&self.shared);
        task::run(move || Ok(i64::try_from(shared.engine()?.sweep_expired()?).unwrap_or(i64::MAX)))
    }

    /// The live API key a bearer token names, or `null` (malformed, unknown
    /// and revoked tokens alike).
    #[napi(ts_return_type = "Promise<ApiKey | null>")]
    pub fn authenticate(&self, token: String) -> AsyncTask<Call<Option<ApiKey>>> {
        let shared = Arc::clone(&self.shared);
        task::run(move || shared.engine()?.authenticate(&token)?.map(ApiKey::from_core).transpose())
    }

    /// Resolves when the store answers (a readiness probe).
    #[napi(ts_return_type = "Promise<void>")]
    pub fn ping(&self) -> AsyncTask<Call<()>> {
        let shared = Arc::clone(&self.shared);
        task::run(move || shared.engine()?.ping())
    }

    /// Hit, miss and size counters of the read cache (no I/O).
    #[napi]
    pub fn cache_stats(&self, env: Env) -> napi::Result<CacheStats> {
        let engine = self.shared.engine().map_err(|e| error::to_js(&env, &e))?;
        Ok(CacheStats::from_core(engine.cache_stats()))
    }

    /// How the engine's writes were grouped into transactions (no I/O):
    /// `writes / batches` is the average batch.
    #[napi]
    pub fn write_stats(&self, env: Env) -> napi::Result<WriteStats> {
        let engine = self.shared.engine().map_err(|e| error::to_js(&env, &e))?;
        Ok(WriteStats::from_core(engine.write_stats()))
    }

    /// The engine's current instant (its clock; no I/O).
    #[napi]
    pub fn now(&self, env: Env) -> napi::Result<DateTime<Utc>> {
        let engine = self.shared.engine().map_err(|e| error::to_js(&env, &e))?;
        convert::date(engine.now()).map_err(|e| error::to_js(&env, &e))
    }

    /// Whether `close()` has been called.
    #[napi(getter)]
    pub fn closed(&self) -> bool {
        !self.shared.is_open()
    }

    /// Releases the store once the calls already running finish and stops
    /// every `watch`; later calls reject with `STORE_UNAVAILABLE`. Closing
    /// twice is harmless.
    #[napi(ts_return_type = "Promise<void>")]
    pub fn close(&self) -> AsyncTask<Call<()>> {
        // Taken now (so no call starts after `close()`), dropped on the
        // pool: the last connection's checkpoint is I/O.
        let open = self.shared.close();
        task::run(move || {
            drop(open);
            Ok(())
        })
    }
}
