//! Single-call figures of the core on a file database holding 1M bookings.
//!
//! Run: `cargo bench -p holdfast-benches --bench core`
//! The 1M-booking file is built once (through the engine's own batch API)
//! under `target/bench-data/` and reused by later runs.

use std::hint::black_box;
use std::path::PathBuf;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Instant;

use criterion::{Criterion, criterion_group, criterion_main};
use holdfast::{BookingFilter, Engine, NewBooking, NewResource, Status, Tenant, Timestamp};

const RESOURCES: usize = 1_000;
const BOOKINGS_PER_RESOURCE: usize = 1_000;
const HOUR_US: i64 = 3_600_000_000;
/// 2026-01-01T00:00:00Z: history starts here, one 4-hour booking every 6 hours.
const BASE_US: i64 = 1_767_225_600_000_000;
const TENANT: &str = "bench";

fn data_path() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target"));
    target.join("bench-data").join("core-1m.db")
}

fn resource_id(r: usize) -> String {
    format!("artist-{r:04}")
}

fn slot(k: usize) -> (Timestamp, Timestamp) {
    let start = BASE_US + k as i64 * 6 * HOUR_US;
    (Timestamp::from_micros(start), Timestamp::from_micros(start + 4 * HOUR_US))
}

/// Opens the 1M-booking database, building it on first use.
fn open_dataset() -> Tenant {
    let path = data_path();
    let complete = path.with_extension("complete");
    if !complete.exists() {
        let _ = std::fs::remove_file(&path);
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).expect("bench data dir");
        }
    }
    let engine = Engine::open(&format!("sqlite://{}", path.display())).expect("open bench db");
    if complete.exists() {
        return engine.tenant(TENANT).expect("bench tenant");
    }
    engine.create_tenant(TENANT, "Benchmark studio").expect("tenant");
    let tenant = engine.tenant(TENANT).expect("tenant");
    for r in 0..RESOURCES {
        tenant
            .create_resource(NewResource {
                id: Some(resource_id(r)),
                name: format!("Artist {r}"),
                kind: "artist".into(),
                ..Default::default()
            })
            .expect("resource");
    }
    let started = Instant::now();
    let per_batch_resources = 10;
    for first in (0..RESOURCES).step_by(per_batch_resources) {
        let mut batch = Vec::with_capacity(per_batch_resources * BOOKINGS_PER_RESOURCE);
        for r in first..first + per_batch_resources {
            for k in 0..BOOKINGS_PER_RESOURCE {
                let (start, end) = slot(k);
                batch.push(NewBooking {
                    resource_id: resource_id(r),
                    start,
                    end,
                    status: if k % 7 == 0 { Status::Pencil } else { Status::Confirmed },
                    ..Default::default()
                });
            }
        }
        tenant.create_bookings(batch).expect("batch");
    }
    let total = RESOURCES * BOOKINGS_PER_RESOURCE;
    let secs = started.elapsed().as_secs_f64();
    println!("built {total} bookings in {secs:.1} s ({:.0} bookings/s through create_bookings)", total as f64 / secs);
    std::fs::write(&complete, b"").expect("marker");
    tenant
}

fn benches(c: &mut Criterion) {
    let tenant = open_dataset();
    let mut group = c.benchmark_group("core_1m_bookings");

    // Fresh, conflict-free slots after the historic ones, round-robin over resources.
    let next = AtomicI64::new(0);
    group.bench_function("create_booking_fits_durable", |b| {
        b.iter(|| {
            let n = next.fetch_add(1, Ordering::Relaxed) as usize;
            let (start, end) = slot(BOOKINGS_PER_RESOURCE + 10 + n / RESOURCES);
            let booking = tenant
                .create_booking(NewBooking {
                    resource_id: resource_id(n % RESOURCES),
                    start,
                    end,
                    status: Status::Confirmed,
                    ..Default::default()
                })
                .expect("fits");
            black_box(booking)
        })
    });

    let middle = slot(BOOKINGS_PER_RESOURCE / 2);
    group.bench_function("create_booking_conflict_rejected", |b| {
        b.iter(|| {
            let err = tenant
                .create_booking(NewBooking {
                    resource_id: resource_id(RESOURCES / 2),
                    start: middle.0,
                    end: middle.1,
                    status: Status::Confirmed,
                    ..Default::default()
                })
                .expect_err("conflict");
            assert_eq!(err.code(), "CONFLICT");
            black_box(err)
        })
    });

    let month_start = slot(BOOKINGS_PER_RESOURCE / 2).0;
    let month_end = Timestamp::from_micros(month_start.as_micros() + 30 * 24 * HOUR_US);
    group.bench_function("list_bookings_one_resource_30_days", |b| {
        b.iter(|| {
            let page = tenant
                .list_bookings(&BookingFilter {
                    resource_ids: vec![resource_id(RESOURCES / 3)],
                    start: Some(month_start),
                    end: Some(month_end),
                    limit: Some(200),
                    ..Default::default()
                })
                .expect("list");
            assert_eq!(page.items.len(), 120);
            black_box(page)
        })
    });

    let some_id = tenant
        .list_bookings(&BookingFilter { resource_ids: vec![resource_id(7)], limit: Some(1), ..Default::default() })
        .expect("list")
        .items[0]
        .id
        .clone();
    group.bench_function("get_booking", |b| b.iter(|| black_box(tenant.get_booking(&some_id).expect("get"))));
    group.finish();
}

criterion_group! {
    name = core;
    config = Criterion::default().sample_size(50);
    targets = benches
}
criterion_main!(core);
