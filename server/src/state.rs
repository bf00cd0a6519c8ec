//! What every handler shares: the engine and the server's own machinery
//! (metrics, rate limits, tenant handles, the event hub, settings).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use holdfast::{Engine, Tenant};
use tokio::sync::watch;

use crate::error::{ApiError, ApiResult};
use crate::feed::EventHub;
use crate::metrics::Metrics;

/// Server settings that shape request handling (the CLI fills them).
#[derive(Debug, Clone)]
pub struct Settings {
    /// Longest time a request may take before `503`; `None` = no limit.
    pub request_timeout: Option<Duration>,
    /// Token-bucket refill per API key, requests per second; `None` = off.
    pub rate_limit_per_s: Option<f64>,
    /// Token-bucket size per API key (the burst allowed).
    pub rate_limit_burst: u32,
    /// Origins allowed by CORS; empty = no CORS headers; `*` = any.
    pub cors_origins: Vec<String>,
    /// How often an SSE stream reads the log for events written by other
    /// processes (this process's own arrive at once).
    pub events_poll: Duration,
    /// Keep-alive comment interval on SSE streams.
    pub sse_keep_alive: Duration,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            request_timeout: Some(Duration::from_secs(30)),
            rate_limit_per_s: None,
            rate_limit_burst: 100,
            cors_origins: Vec::new(),
            events_poll: Duration::from_secs(1),
            sse_keep_alive: Duration::from_secs(15),
        }
    }
}

/// Shared by every request; cheap to clone.
#[derive(Clone)]
pub struct AppState {
    pub engine: Engine,
    pub settings: Arc<Settings>,
    pub metrics: Arc<Metrics>,
    pub limiter: Arc<RateLimiter>,
    pub hub: Arc<EventHub>,
    tenants: Arc<Mutex<HashMap<String, Tenant>>>,
    shutdown: watch::Receiver<bool>,
    shutdown_tx: Arc<watch::Sender<bool>>,
}

impl std::fmt::Debug for AppState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppState").field("settings", &self.settings).finish_non_exhaustive()
    }
}

/// Tenant handles kept (tenants are never deleted, so a handle stays valid).
const TENANT_HANDLES_MAX: usize = 10_000;

impl AppState {
    pub fn new(engine: Engine, settings: Settings) -> Self {
        let (shutdown_tx, shutdown) = watch::channel(false);
        AppState {
            metrics: Arc::new(Metrics::new(engine.clone())),
            limiter: Arc::new(RateLimiter::new(settings.rate_limit_per_s, settings.rate_limit_burst)),
            hub: Arc::new(EventHub::new(engine.clone())),
            engine,
            settings: Arc::new(settings),
            tenants: Arc::new(Mutex::new(HashMap::new())),
            shutdown,
            shutdown_tx: Arc::new(shutdown_tx),
        }
    }

    /// The handle of a tenant that an authenticated key belongs to.
    pub async fn tenant(&self, id: &str) -> ApiResult<Tenant> {
        if let Some(t) = self.lock_tenants().get(id) {
            return Ok(t.clone());
        }
        let engine = self.engine.clone();
        let owned = id.to_owned();
        let tenant = blocking(move || engine.tenant(&owned)).await?;
        let mut cache = self.lock_tenants();
        if cache.len() >= TENANT_HANDLES_MAX {
            cache.clear();
        }
        cache.insert(id.to_owned(), tenant.clone());
        Ok(tenant)
    }

    fn lock_tenants(&self) -> std::sync::MutexGuard<'_, HashMap<String, Tenant>> {
        self.tenants.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Tells long-lived responses (SSE) to finish: the server is stopping.
    pub fn begin_shutdown(&self) {
        self.shutdown_tx.send_replace(true);
    }

    /// Resolves once shutdown has begun.
    pub fn shutdown_signal(&self) -> watch::Receiver<bool> {
        self.shutdown.clone()
    }
}

/// Runs one synchronous engine call on the blocking pool (STYLE.md rule 8).
pub async fn blocking<T, E>(f: impl FnOnce() -> Result<T, E> + Send + 'static) -> ApiResult<T>
where
    T: Send + 'static,
    E: Into<ApiError> + Send + 'static,
{
    match tokio::task::spawn_blocking(f).await {
        Ok(result) => result.map_err(Into::into),
        Err(join) => Err(ApiError::internal(format!("engine call panicked or was cancelled: {join}"))),
    }
}

/// Per-key token buckets: each key may burst `burst` requests, refilled at
/// `per_s` a second. Per process: N servers allow N times the rate.
#[derive(Debug)]
pub struct RateLimiter {
    per_s: Option<f64>,
    burst: f64,
    buckets: Mutex<HashMap<String, Bucket>>,
}

#[derive(Debug, Clone, Copy)]
struct Bucket {
    tokens: f64,
    at: Instant,
}

/// Buckets kept before full ones are forgotten (a full bucket is the same
/// as no bucket).
const BUCKETS_MAX: usize = 100_000;

impl RateLimiter {
    pub fn new(per_s: Option<f64>, burst: u32) -> Self {
        RateLimiter {
            per_s: per_s.filter(|r| *r > 0.0),
            burst: f64::from(burst.max(1)),
            buckets: Mutex::new(HashMap::new()),
        }
    }

    /// Takes one token for `key`, or says in how many seconds one is due.
    pub fn take(&self, key: &str) -> Result<(), u64> {
        let Some(per_s) = self.per_s else { return Ok(()) };
        let now = Instant::now();
        let mut buckets = self.buckets.lock().unwrap_or_else(|p| p.into_inner());
        if buckets.len() >= BUCKETS_MAX && !buckets.contains_key(key) {
            let burst = self.burst;
            buckets.retain(|_, b| b.tokens + now.duration_since(b.at).as_secs_f64() * per_s < burst);
        }
        let bucket = buckets.entry(key.to_owned()).or_insert(Bucket { tokens: self.burst, at: now });
        bucket.tokens = (bucket.tokens + now.duration_since(bucket.at).as_secs_f64() * per_s).min(self.burst);
        bucket.at = now;
        if bucket.tokens >= 1.0 {
            bucket.tokens -= 1.0;
            Ok(())
        } else {
            let wait_s = ((1.0 - bucket.tokens) / per_s).ceil();
            Err(if wait_s.is_finite() && wait_s >= 1.0 { wait_s as u64 } else { 1 })
        }
    }
}
