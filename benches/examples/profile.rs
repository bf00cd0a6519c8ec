//! A fixed workload to profile the core's hot paths under `perf` or
//! `valgrind --tool=callgrind` (instruction counts are repeatable whatever
//! else the machine does; `benches/RESULTS.md` records them):
//!
//!     cargo build --release -p holdfast-benches --example profile
//!     valgrind --tool=callgrind target/release/examples/profile creates 16 200 normal
//!     valgrind --tool=callgrind target/release/examples/profile creates 1 2000 normal
//!     valgrind --tool=callgrind target/release/examples/profile lists 5000
//!     valgrind --tool=callgrind target/release/examples/profile batch 20000
//!
//! `creates THREADS PER_THREAD full|normal`: THREADS threads share one
//! engine on a fresh SQLite file and create PER_THREAD confirmed bookings
//! each on 100 resources, every one in a free slot (so every create commits);
//! prints creates/s and how they were grouped. `lists N`: 50 resources × 40
//! daily bookings, then N listings of one resource's 30 days (of RESOURCES
//! resources' together, e.g. a team calendar, with `lists N RESOURCES`). `batch N`:
//! N confirmed bookings over 1,000 resources in calls of
//! `create_bookings` of 10,000 (as `compare`'s bulk workload), durable.

use std::time::Instant;

use holdfast::{BookingFilter, Durability, Engine, NewBooking, NewResource, Status, Tenant, Timestamp};

const HOUR_US: i64 = 3_600_000_000;
const DAY_US: i64 = 24 * HOUR_US;
/// 2030-01-01T00:00:00Z.
const T0_US: i64 = 1_893_456_000_000_000;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let number = |i: usize, default: usize| args.get(i).map_or(default, |s| s.parse().expect("a number"));
    let dir = tempfile_dir();
    let url = format!("sqlite://{}/profile.db", dir.display());
    match args.first().map(String::as_str) {
        Some("creates") => {
            let durability: Durability = args.get(3).map_or("full", String::as_str).parse().expect("full or normal");
            creates(&url, number(1, 32), number(2, 500), durability);
        }
        Some("lists") => lists(&url, number(1, 20_000), number(2, 1)),
        Some("batch") => batch(&url, number(1, 100_000)),
        _ => eprintln!(
            "usage: profile creates THREADS PER_THREAD full|normal | profile lists N [RESOURCES] | profile batch N"
        ),
    }
    let _ = std::fs::remove_dir_all(dir);
}

fn tempfile_dir() -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("holdfast-profile-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

fn tenant_with_resources(engine: &Engine, count: usize) -> Tenant {
    engine.create_tenant("t", "Profile").expect("tenant");
    let tenant = engine.tenant("t").expect("tenant");
    for r in 0..count {
        let new = NewResource { id: Some(format!("r{r}")), name: format!("Resource {r}"), ..Default::default() };
        tenant.create_resource(new).expect("resource");
    }
    tenant
}

fn hour_booking(resource: String, start_us: i64) -> NewBooking {
    NewBooking {
        resource_id: resource,
        start: Timestamp::from_micros(start_us),
        end: Timestamp::from_micros(start_us + HOUR_US),
        status: Status::Confirmed,
        title: Some("Session".into()),
        ..Default::default()
    }
}

fn creates(url: &str, threads: usize, per_thread: usize, durability: Durability) {
    let engine = Engine::builder().url(url).durability(durability).open().expect("open");
    let tenant = tenant_with_resources(&engine, 100);
    let before = engine.write_stats();
    let started = Instant::now();
    let workers: Vec<_> = (0..threads)
        .map(|i| {
            let tenant = tenant.clone();
            std::thread::spawn(move || {
                for k in 0..per_thread {
                    // Slot n: resource n % 100, hour n / 100: all distinct.
                    let n = k * threads + i;
                    let start_us = T0_US + (n / 100) as i64 * HOUR_US;
                    tenant.create_booking(hour_booking(format!("r{}", n % 100), start_us)).expect("a free slot");
                }
            })
        })
        .collect();
    for worker in workers {
        worker.join().expect("worker");
    }
    let seconds = started.elapsed().as_secs_f64();
    let after = engine.write_stats();
    let (writes, batches) = (after.writes - before.writes, after.batches - before.batches);
    println!(
        "{threads} threads x {per_thread} creates ({}): {:.0} creates/s, {batches} batches, {:.1} per batch",
        durability.as_str(),
        writes as f64 / seconds,
        writes as f64 / batches as f64
    );
}

fn lists(url: &str, n: usize, resources: usize) {
    let engine = Engine::open(url).expect("open");
    let tenant = tenant_with_resources(&engine, 50);
    let items = (0..50)
        .flat_map(|r| (0..40).map(move |d| hour_booking(format!("r{r}"), T0_US + d * DAY_US + 9 * HOUR_US)))
        .collect();
    tenant.create_bookings(items).expect("bookings");
    let filter = BookingFilter {
        resource_ids: (0..resources.clamp(1, 50)).map(|r| format!("r{}", (r + 7) % 50)).collect(),
        limit: Some(holdfast::limits::PAGE_SIZE_MAX),
        start: Some(Timestamp::from_micros(T0_US + 5 * DAY_US)),
        end: Some(Timestamp::from_micros(T0_US + 35 * DAY_US)),
        ..Default::default()
    };
    let started = Instant::now();
    let rows: usize = (0..n).map(|_| tenant.list_bookings(&filter).expect("list").items.len()).sum();
    let seconds = started.elapsed().as_secs_f64();
    println!("{n} listings of {} rows: {:.0} listings/s", rows / n.max(1), n as f64 / seconds);
}

fn batch(url: &str, n: usize) {
    let engine = Engine::open(url).expect("open");
    let tenant = tenant_with_resources(&engine, 1_000);
    // In time order, round-robin over the resources, as an import would come.
    let items: Vec<NewBooking> =
        (0..n).map(|i| hour_booking(format!("r{}", i % 1_000), T0_US + (i / 1_000) as i64 * 2 * HOUR_US)).collect();
    let started = Instant::now();
    for chunk in items.chunks(holdfast::limits::BATCH_SIZE_MAX) {
        tenant.create_bookings(chunk.to_vec()).expect("a free slot");
    }
    let seconds = started.elapsed().as_secs_f64();
    println!("{n} bookings in batches of {}: {:.0} bookings/s", holdfast::limits::BATCH_SIZE_MAX, n as f64 / seconds);
}
