//! Prometheus metrics (`GET /metrics`, OpenMetrics text): requests by route
//! and status, latency histograms, booking writes by outcome, conflicts,
//! the engine's read-cache and group-commit counters and holds expired by
//! the sweeper.
//!
//! Everything is recorded by one middleware from the matched route and the
//! answer (status and error code), so handlers carry no metrics code.

use std::time::{Duration, Instant};

use axum::extract::{MatchedPath, Request, State};
use axum::http::Method;
use axum::middleware::Next;
use axum::response::Response;
use holdfast::Engine;
use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, EncodeLabelSet, EncodeMetric};
use prometheus_client::metrics::counter::{ConstCounter, Counter};
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::ConstGauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

use crate::error::ErrorCode;
use crate::state::AppState;

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    method: String,
    route: String,
    status: u16,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RouteLabels {
    method: String,
    route: String,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct OutcomeLabels {
    operation: String,
    /// `ok` or the error code.
    outcome: String,
}

type HistogramFamily = Family<RouteLabels, Histogram, fn() -> Histogram>;

/// The server's metrics registry.
pub struct Metrics {
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    latency: HistogramFamily,
    booking_writes: Family<OutcomeLabels, Counter>,
    conflicts: Counter,
    holds_expired: Counter,
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Metrics").finish_non_exhaustive()
    }
}

fn latency_histogram() -> Histogram {
    // 0.5 ms to ~4 s.
    Histogram::new(exponential_buckets(0.0005, 2.0, 14))
}

impl Metrics {
    pub fn new(engine: Engine) -> Self {
        let mut registry = Registry::with_prefix("holdfast");
        let requests = Family::<RequestLabels, Counter>::default();
        let latency: HistogramFamily = Family::new_with_constructor(latency_histogram);
        let booking_writes = Family::<OutcomeLabels, Counter>::default();
        let conflicts = Counter::default();
        let holds_expired = Counter::default();
        registry.register("http_requests", "HTTP requests by method, route and status", requests.clone());
        registry.register("http_request_duration_seconds", "HTTP request latency by route", latency.clone());
        registry.register(
            "booking_writes",
            "Booking writes (create, batch, pencil, confirm, cancel, decline, extend, reschedule) by outcome",
            booking_writes.clone(),
        );
        registry.register("conflicts", "Answers with code CONFLICT (capacity would be exceeded)", conflicts.clone());
        registry.register("holds_expired", "Holds turned into expired by the sweeper", holds_expired.clone());
        registry.register_collector(Box::new(CacheCollector { engine: engine.clone() }));
        registry.register_collector(Box::new(WriteCollector { engine }));
        Metrics { registry, requests, latency, booking_writes, conflicts, holds_expired }
    }

    /// The OpenMetrics text of every metric.
    pub fn render(&self) -> String {
        let mut out = String::new();
        // Writing to a String cannot fail.
        let _ = prometheus_client::encoding::text::encode(&mut out, &self.registry);
        out
    }

    pub fn holds_expired(&self, n: usize) {
        self.holds_expired.inc_by(n as u64);
    }

    fn record(&self, method: &Method, route: &str, status: u16, code: Option<&str>, elapsed: Duration) {
        let method_name = method.as_str().to_owned();
        self.requests
            .get_or_create(&RequestLabels { method: method_name.clone(), route: route.to_owned(), status })
            .inc();
        self.latency
            .get_or_create(&RouteLabels { method: method_name, route: route.to_owned() })
            .observe(elapsed.as_secs_f64());
        if code == Some("CONFLICT") {
            self.conflicts.inc();
        }
        if let Some(operation) = booking_operation(method, route) {
            let outcome = match code {
                Some(code) => code.to_owned(),
                None if status < 400 => "ok".to_owned(),
                None => status.to_string(),
            };
            self.booking_writes.get_or_create(&OutcomeLabels { operation: operation.to_owned(), outcome }).inc();
        }
    }
}

/// The booking write a route performs, by its template.
fn booking_operation(method: &Method, route: &str) -> Option<&'static str> {
    let rest = route.strip_prefix("/api/v1/bookings")?;
    match (method.as_str(), rest) {
        ("POST", "") => Some("create"),
        ("POST", "/batch") => Some("create_batch"),
        ("PATCH", "/{id}") => Some("reschedule"),
        ("DELETE", "/{id}") => Some("cancel"),
        ("POST", "/{id}/pencil") => Some("pencil"),
        ("POST", "/{id}/confirm") => Some("confirm"),
        ("POST", "/{id}/cancel") => Some("cancel"),
        ("POST", "/{id}/decline") => Some("decline"),
        ("POST", "/{id}/extend") => Some("extend_hold"),
        _ => None,
    }
}

/// Middleware: times every request and records it by its route template.
pub async fn track(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = request.method().clone();
    let route =
        request.extensions().get::<MatchedPath>().map_or_else(|| "unmatched".to_owned(), |m| m.as_str().to_owned());
    let response = next.run(request).await;
    let code = response.extensions().get::<ErrorCode>().map(|c| c.0);
    state.metrics.record(&method, &route, response.status().as_u16(), code, started.elapsed());
    response
}

/// The engine's read-cache counters, read at each scrape.
#[derive(Debug)]
struct CacheCollector {
    engine: Engine,
}

impl Collector for CacheCollector {
    fn encode(&self, mut encoder: DescriptorEncoder<'_>) -> Result<(), std::fmt::Error> {
        let stats = self.engine.cache_stats();
        for (name, help, value) in [
            ("cache_hits", "Availability reads answered from the read cache", stats.hits),
            ("cache_misses", "Availability reads that went to the store", stats.misses),
            ("cache_evictions", "Read-cache entries dropped to stay within capacity", stats.evictions),
        ] {
            let counter = ConstCounter::new(value);
            let metric = encoder.encode_descriptor(name, help, None, counter.metric_type())?;
            counter.encode(metric)?;
        }
        for (name, help, value) in [
            ("cache_entries", "Read-cache entries held", stats.entries),
            ("cache_capacity", "Most read-cache entries held (0: off)", stats.capacity),
        ] {
            let gauge = ConstGauge::new(i64::try_from(value).unwrap_or(i64::MAX));
            let metric = encoder.encode_descriptor(name, help, None, gauge.metric_type())?;
            gauge.encode(metric)?;
        }
        Ok(())
    }
}

/// The engine's group-commit counters, read at each scrape.
#[derive(Debug)]
struct WriteCollector {
    engine: Engine,
}

impl Collector for WriteCollector {
    fn encode(&self, mut encoder: DescriptorEncoder<'_>) -> Result<(), std::fmt::Error> {
        let stats = self.engine.write_stats();
        for (name, help, value) in [
            ("writes", "Engine writes answered (HTTP requests and the sweeper)", stats.writes),
            ("write_batches", "Store transactions those writes ran in (group commit)", stats.batches),
        ] {
            let counter = ConstCounter::new(value);
            let metric = encoder.encode_descriptor(name, help, None, counter.metric_type())?;
            counter.encode(metric)?;
        }
        let gauge = ConstGauge::new(i64::try_from(stats.queued).unwrap_or(i64::MAX));
        let metric =
            encoder.encode_descriptor("write_queue", "Writes waiting for a batch", None, gauge.metric_type())?;
        gauge.encode(metric)?;
        Ok(())
    }
}
