//! Create throughput on PostgreSQL: the engine's `create_booking` against
//! raw INSERTs into a table guarded by an `EXCLUDE USING gist` constraint.
//!
//! Run (needs the `postgres` feature and a server; use durable settings):
//!
//! ```text
//! eval "$(PGPORT_TEST=54349 scripts/pg-up.sh)"     # starts with fsync=off: restart it durable
//! HOLDFAST_BENCH_POSTGRES_URL=$HOLDFAST_TEST_POSTGRES_URL \
//!     cargo run --release -p holdfast --features postgres --example pg_load [seconds]
//! scripts/pg-down.sh
//! ```
//!
//! Every measurement runs in a fresh schema for `seconds` (default 5) after
//! a short warm-up. Each caller books consecutive one-hour slots on a
//! resource of its own, so every create succeeds (this measures the write
//! path, not conflicts). Printed: the server's durability settings, then per
//! workload the successful creates per second and p50/p99 call latency.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use holdfast::{Engine, NewBooking, NewResource, Status, Timestamp};
use postgres::{Client, NoTls};

const URL_VAR: &str = "HOLDFAST_BENCH_POSTGRES_URL";
const WARM_UP: Duration = Duration::from_millis(500);
const HOUR_US: i64 = 3_600_000_000;
/// 2030-03-04T09:00:00Z.
const BASE_US: i64 = 1_898_845_200 * 1_000_000;

fn main() {
    if let Err(message) = run() {
        eprintln!("pg_load failed: {message}");
        std::process::exit(1);
    }
}

fn run() -> Result<(), String> {
    let url = std::env::var(URL_VAR).map_err(|_| format!("{URL_VAR} is not set (a superuser URL)"))?;
    let seconds: f64 = match std::env::args().nth(1) {
        Some(s) => s.parse().map_err(|_| format!("seconds {s:?} is not a number"))?,
        None => 5.0,
    };
    let run_for = Duration::from_secs_f64(seconds);
    let mut admin = Client::connect(&url, NoTls).map_err(|e| format!("connect: {e}"))?;
    let mut settings = Vec::new();
    for name in ["server_version", "fsync", "synchronous_commit", "full_page_writes", "wal_sync_method"] {
        let value: String =
            admin.query_one(&format!("SHOW {name}"), &[]).map_err(|e| format!("SHOW {name}: {e}"))?.get(0);
        settings.push(format!("{name}={value}"));
    }
    println!("server: {}", settings.join(", "));
    println!("{} s per workload, {} ms warm-up; every create succeeds", seconds, WARM_UP.as_millis());
    println!("{:<48} {:>10} {:>10} {:>10} {:>9}", "workload", "creates/s", "p50 ms", "p99 ms", "creates");
    for (name, callers, tenants) in [
        ("engine create_booking, 1 caller", 1, 1),
        ("engine create_booking, 8 callers, 1 tenant", 8, 1),
        ("engine create_booking, 8 callers, 8 tenants", 8, 8),
    ] {
        let schema = fresh_schema(&mut admin)?;
        let result = engine_load(&with_search_path(&url, &schema), callers, tenants, run_for)?;
        print_row(name, &result);
    }
    for (name, clients) in
        [("raw INSERT, EXCLUDE USING gist, 1 client", 1), ("raw INSERT, EXCLUDE USING gist, 8 clients", 8)]
    {
        let schema = fresh_schema(&mut admin)?;
        let result = raw_load(&with_search_path(&url, &schema), clients, run_for)?;
        print_row(name, &result);
    }
    Ok(())
}

struct Load {
    creates: usize,
    elapsed: Duration,
    /// Every measured call's latency, sorted.
    latencies: Vec<Duration>,
}

fn print_row(name: &str, load: &Load) {
    let pct = |p: f64| {
        let i = ((load.latencies.len() as f64 * p) as usize).min(load.latencies.len().saturating_sub(1));
        load.latencies.get(i).map_or(0.0, |d| d.as_secs_f64() * 1000.0)
    };
    println!(
        "{name:<48} {:>10.0} {:>10.2} {:>10.2} {:>9}",
        load.creates as f64 / load.elapsed.as_secs_f64(),
        pct(0.50),
        pct(0.99),
        load.creates
    );
}

fn fresh_schema(admin: &mut Client) -> Result<String, String> {
    let schema = format!("bench_{}", uuid::Uuid::new_v4().simple());
    admin.batch_execute(&format!("CREATE SCHEMA {schema}")).map_err(|e| format!("CREATE SCHEMA: {e}"))?;
    Ok(schema)
}

fn with_search_path(url: &str, schema: &str) -> String {
    let separator = if url.contains('?') { '&' } else { '?' };
    format!("{url}{separator}options=-c%20search_path%3D{schema},public")
}

/// Runs `callers` threads, each calling `call(slot)` with slots 0, 1, 2, ...
/// for the warm-up and then `run_for`; only calls begun after the warm-up
/// are counted.
fn drive<F>(callers: usize, run_for: Duration, make: impl Fn(usize) -> Result<F, String>) -> Result<Load, String>
where
    F: FnMut(i64) -> Result<(), String> + Send + 'static,
{
    let stop = Arc::new(AtomicBool::new(false));
    let measuring = Arc::new(AtomicBool::new(false));
    let mut handles = Vec::new();
    for caller in 0..callers {
        let mut call = make(caller)?;
        let (stop, measuring) = (Arc::clone(&stop), Arc::clone(&measuring));
        handles.push(thread::spawn(move || -> Result<Vec<Duration>, String> {
            let mut latencies = Vec::new();
            let mut slot = 0;
            while !stop.load(Ordering::Relaxed) {
                let measured = measuring.load(Ordering::Relaxed);
                let began = Instant::now();
                call(slot)?;
                if measured {
                    latencies.push(began.elapsed());
                }
                slot += 1;
            }
            Ok(latencies)
        }));
    }
    thread::sleep(WARM_UP);
    measuring.store(true, Ordering::Relaxed);
    let started = Instant::now();
    thread::sleep(run_for);
    stop.store(true, Ordering::Relaxed);
    let mut latencies = Vec::new();
    for handle in handles {
        latencies.extend(handle.join().map_err(|_| "a caller panicked".to_owned())??);
    }
    let elapsed = started.elapsed();
    latencies.sort();
    Ok(Load { creates: latencies.len(), elapsed, latencies })
}

fn engine_load(url: &str, callers: usize, tenants: usize, run_for: Duration) -> Result<Load, String> {
    let engine =
        Engine::builder().url(url).pool_size(callers as u32).open().map_err(|e| format!("open: {} {e}", e.code()))?;
    for tenant in 0..tenants {
        let id = format!("t{tenant}");
        engine.create_tenant(&id, "Bench").map_err(|e| format!("create_tenant: {e}"))?;
    }
    drive(callers, run_for, |caller| {
        let t = engine.tenant(&format!("t{}", caller % tenants)).map_err(|e| format!("tenant: {e}"))?;
        let resource = format!("r{caller}");
        t.create_resource(NewResource { id: Some(resource.clone()), name: resource.clone(), ..Default::default() })
            .map_err(|e| format!("create_resource: {e}"))?;
        Ok(move |slot: i64| {
            let start = BASE_US + slot * HOUR_US;
            t.create_booking(NewBooking {
                resource_id: resource.clone(),
                start: Timestamp::from_micros(start),
                end: Timestamp::from_micros(start + HOUR_US),
                status: Status::Confirmed,
                ..Default::default()
            })
            .map(drop)
            .map_err(|e| format!("create_booking: {} {e}", e.code()))
        })
    })
}

fn raw_load(url: &str, clients: usize, run_for: Duration) -> Result<Load, String> {
    let mut setup = Client::connect(url, NoTls).map_err(|e| format!("connect: {e}"))?;
    setup
        .batch_execute(
            "CREATE TABLE slots (
                 id          bigserial PRIMARY KEY,
                 resource_id text      NOT NULL,
                 during      tstzrange NOT NULL,
                 EXCLUDE USING gist (resource_id WITH =, during WITH &&)
             )",
        )
        .map_err(|e| format!("CREATE TABLE: {e}"))?;
    drop(setup);
    drive(clients, run_for, |client| {
        let mut conn = Client::connect(url, NoTls).map_err(|e| format!("connect: {e}"))?;
        let insert = conn
            .prepare("INSERT INTO slots (resource_id, during) VALUES ($1, tstzrange($2, $3))")
            .map_err(|e| format!("prepare: {e}"))?;
        let resource = format!("r{client}");
        Ok(move |slot: i64| {
            let start = BASE_US + slot * HOUR_US;
            let at = |us: i64| chrono::DateTime::from_timestamp_micros(us).ok_or("instant out of range".to_owned());
            conn.execute(&insert, &[&resource, &at(start)?, &at(start + HOUR_US)?])
                .map(drop)
                .map_err(|e| format!("INSERT: {e}"))
        })
    })
}
