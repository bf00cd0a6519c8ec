//! Availability reads on a file database holding 1M bookings: slot search
//! across 1,000 resources, free/busy and the explained check, each with the
//! read cache warm and with it off.
//!
//! Run: `cargo bench -p holdfast-benches --bench availability`
//! (`-- --quick` for a short run; the warm benches warm their cache first).
//! The 1M-booking file is built once (through the engine's own batch API)
//! under `target/bench-data/` and reused by later runs.

use std::hint::black_box;
use std::path::PathBuf;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use chrono::{Datelike, NaiveDate, TimeDelta, TimeZone};
use chrono_tz::Tz;
use criterion::{Criterion, SamplingMode, criterion_group, criterion_main};
use holdfast::{
    AvailabilityRules, Engine, LocalTime, NewBooking, NewResource, Policy, SlotQuery, Status, Tenant, Timestamp,
    Weekday, WeeklyHours,
};

const RESOURCES: usize = 1_000;
const BOOKINGS_PER_RESOURCE: usize = 1_000;
const TENANT: &str = "bench";
const TAG: &str = "animator";
/// Resource `r` works in `TIMEZONES[r % 4]`, Mon-Fri 09:00-18:00 local.
const TIMEZONES: [&str; 4] = ["Europe/Berlin", "America/New_York", "Europe/London", "Asia/Kolkata"];
/// Bookings are placed on working days from this Monday on (~74 weeks).
const FIRST_DAY: (i32, u32, u32) = (2026, 1, 5);
/// Measured windows start here, well inside the history.
const WINDOW_START: &str = "2026-06-01T00:00:00Z";

/// A working day's bookings, local `(start minute, end minute)`: 2.8 per
/// day on average, at least an hour apart (more than any buffer pair), so
/// some days leave 2-hour gaps and some leave none.
const DAY_PATTERNS: [&[(u32, u32)]; 6] = [
    &[(9 * 60, 11 * 60), (13 * 60, 15 * 60), (16 * 60, 17 * 60 + 30)],
    &[(9 * 60 + 30, 12 * 60 + 30), (14 * 60, 16 * 60)],
    &[(10 * 60, 11 * 60), (12 * 60, 13 * 60), (14 * 60, 15 * 60), (16 * 60, 17 * 60)],
    &[(9 * 60, 13 * 60), (14 * 60, 18 * 60)],
    &[(11 * 60, 12 * 60), (15 * 60, 16 * 60 + 30)],
    &[(9 * 60, 10 * 60 + 30), (11 * 60 + 30, 13 * 60), (14 * 60, 15 * 60 + 30), (16 * 60 + 30, 18 * 60)],
];

/// The dataset's file, built on first use.
fn data_path() -> &'static PathBuf {
    static PATH: OnceLock<PathBuf> = OnceLock::new();
    PATH.get_or_init(|| holdfast_benches::cached_dataset("availability-1m.db", build_dataset))
}

fn url() -> String {
    holdfast_benches::sqlite_url(data_path())
}

fn resource_id(r: usize) -> String {
    format!("animator-{r:04}")
}

fn timezone(r: usize) -> Tz {
    TIMEZONES[r % TIMEZONES.len()].parse().expect("IANA zone")
}

/// Buffers `(before, after)`: a quarter of the resources have 15 min each
/// side, another quarter 30 min after, the rest none.
fn buffers(r: usize) -> (TimeDelta, TimeDelta) {
    match r % 4 {
        1 => (TimeDelta::minutes(15), TimeDelta::minutes(15)),
        3 => (TimeDelta::zero(), TimeDelta::minutes(30)),
        _ => (TimeDelta::zero(), TimeDelta::zero()),
    }
}

fn rules(r: usize) -> AvailabilityRules {
    let weekdays = [Weekday::Monday, Weekday::Tuesday, Weekday::Wednesday, Weekday::Thursday, Weekday::Friday];
    AvailabilityRules {
        // Half strict: the build then also pays the hours check per booking.
        policy: if r.is_multiple_of(2) { Policy::Strict } else { Policy::Advisory },
        weekly: weekdays
            .iter()
            .map(|&weekday| WeeklyHours {
                weekday,
                start: LocalTime::hm(9, 0).expect("09:00"),
                end: LocalTime::hm(18, 0).expect("18:00"),
            })
            .collect(),
        overrides: vec![],
    }
}

/// SplitMix64: a fixed pseudo-random choice per (resource, day).
fn mix(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^ (x >> 31)
}

fn local(tz: Tz, date: NaiveDate, minute: u32) -> Timestamp {
    let at = date.and_hms_opt(minute / 60, minute % 60, 0).expect("time of day");
    let instant = tz.from_local_datetime(&at).earliest().expect("working hours never fall in a DST gap");
    Timestamp::from(instant.to_utc())
}

/// Resource `r`'s bookings: a few per working day, inside its hours.
fn bookings_of(r: usize) -> Vec<NewBooking> {
    let tz = timezone(r);
    let (y, m, d) = FIRST_DAY;
    let mut date = NaiveDate::from_ymd_opt(y, m, d).expect("first day");
    let mut out = Vec::with_capacity(BOOKINGS_PER_RESOURCE);
    while out.len() < BOOKINGS_PER_RESOURCE {
        if date.weekday().num_days_from_monday() < 5 {
            let day = u64::from(date.num_days_from_ce().unsigned_abs());
            let pattern = DAY_PATTERNS[(mix((r as u64) << 32 | day) % DAY_PATTERNS.len() as u64) as usize];
            for &(start, end) in pattern.iter().take(BOOKINGS_PER_RESOURCE - out.len()) {
                let n = out.len();
                out.push(NewBooking {
                    resource_id: resource_id(r),
                    start: local(tz, date, start),
                    end: local(tz, date, end),
                    status: if n % 7 == 0 { Status::Pencil } else { Status::Confirmed },
                    ..Default::default()
                });
            }
        }
        date = date.succ_opt().expect("next day");
    }
    out
}

/// Builds the 1M-booking database at `url`.
fn build_dataset(url: &str) {
    let engine = Engine::builder().url(url).cache_entries(0).open().expect("open bench db");
    engine.create_tenant(TENANT, "Benchmark studio").expect("tenant");
    let tenant = engine.tenant(TENANT).expect("tenant");
    for r in 0..RESOURCES {
        let (buffer_before, buffer_after) = buffers(r);
        tenant
            .create_resource(NewResource {
                id: Some(resource_id(r)),
                name: format!("Animator {r}"),
                kind: "artist".into(),
                timezone: TIMEZONES[r % TIMEZONES.len()].into(),
                tags: vec![TAG.into()],
                buffer_before,
                buffer_after,
                ..Default::default()
            })
            .expect("resource");
        tenant.set_availability(&resource_id(r), rules(r), None).expect("availability");
    }
    let started = Instant::now();
    let per_batch_resources = 10;
    for first in (0..RESOURCES).step_by(per_batch_resources) {
        let batch: Vec<NewBooking> = (first..first + per_batch_resources).flat_map(bookings_of).collect();
        tenant.create_bookings(batch).expect("batch");
    }
    let total = RESOURCES * BOOKINGS_PER_RESOURCE;
    let secs = started.elapsed().as_secs_f64();
    println!("built {total} bookings in {secs:.1} s ({:.0} bookings/s through create_bookings)", total as f64 / secs);
}

/// An engine on the dataset; `None` keeps the default cache size (4,096
/// entries: enough for the week search, which touches 1,000 resource
/// entries and 2,000 buckets of ~6.4 days).
fn open(cache_entries: Option<usize>) -> (Engine, Tenant) {
    let builder = Engine::builder().url(url());
    let builder = match cache_entries {
        Some(n) => builder.cache_entries(n),
        None => builder,
    };
    let engine = builder.open().expect("open bench db");
    let tenant = engine.tenant(TENANT).expect("bench tenant");
    (engine, tenant)
}

fn at(days: i64) -> Timestamp {
    let start = Timestamp::parse(WINDOW_START).expect("window start");
    start.checked_add(TimeDelta::days(days)).expect("in range")
}

fn week_query() -> SlotQuery {
    SlotQuery {
        tag: Some(TAG.into()),
        start: at(0),
        end: at(7),
        duration: Some(TimeDelta::hours(2)),
        step: Some(TimeDelta::minutes(30)),
        quantity: 1,
        limit: Some(10),
        per_resource: false,
        ..Default::default()
    }
}

fn benches(c: &mut Criterion) {
    let (warm_engine, warm) = open(None);
    let (_cold_engine, cold) = open(Some(0));

    // The data the reads see, printed once so RESULTS.md can quote it.
    let one = vec![resource_id(RESOURCES / 3)];
    let month = warm.free_busy(&one, at(0), at(30)).expect("free_busy");
    let week = warm.free_busy(&one, at(0), at(7)).expect("free_busy");
    let query = week_query();
    let slots = warm.find_slots(&query).expect("find_slots");
    let week_bookings: usize = (0..RESOURCES)
        .step_by(50)
        .map(|r| warm.free_busy(&[resource_id(r)], at(0), at(7)).expect("free_busy")[0].busy.len())
        .sum();
    println!(
        "{}: {} bookings in 30 days, {} in the week; every 50th resource: {:.1} bookings in the week on average; \
         find_slots found {} slots, first {} on {}",
        one[0],
        month[0].busy.len(),
        week[0].busy.len(),
        week_bookings as f64 / (RESOURCES / 50) as f64,
        slots.len(),
        slots[0].start,
        slots[0].resource_id,
    );
    // Wednesday 14:00-16:00 Berlin (CEST) on a Berlin resource.
    let check_id = resource_id(4 * 100);
    let (check_start, check_end) = (
        at(2).checked_add(TimeDelta::hours(12)).expect("in range"),
        at(2).checked_add(TimeDelta::hours(14)).expect("in range"),
    );
    let check = warm.check_availability(&check_id, check_start, check_end, 1).expect("check");
    println!(
        "check_availability {check_id} {check_start}..{check_end}: available {}, {} reasons",
        check.available,
        check.reasons.len()
    );

    let mut group = c.benchmark_group("find_slots_1000_resources_1_week");
    group.sample_size(10).sampling_mode(SamplingMode::Flat).measurement_time(Duration::from_secs(10));
    // Warm every entry first: `--quick` measures without a warm-up phase.
    black_box(warm.find_slots(&query).expect("find_slots"));
    group.bench_function("warm_cache", |b| {
        b.iter(|| {
            let found = warm.find_slots(black_box(&query)).expect("find_slots");
            assert_eq!(found.len(), 10);
            black_box(found)
        })
    });
    group.bench_function("cache_off", |b| {
        b.iter(|| {
            let found = cold.find_slots(black_box(&query)).expect("find_slots");
            assert_eq!(found.len(), 10);
            black_box(found)
        })
    });
    group.finish();
    println!("warm cache after find_slots: {:?}", warm_engine.cache_stats());

    let mut group = c.benchmark_group("free_busy_1_resource_30_days");
    group.sample_size(50).measurement_time(Duration::from_secs(5));
    black_box(warm.free_busy(&one, at(0), at(30)).expect("free_busy"));
    group.bench_function("warm_cache", |b| {
        b.iter(|| black_box(warm.free_busy(black_box(&one), at(0), at(30)).expect("free_busy")))
    });
    group.bench_function("cache_off", |b| {
        b.iter(|| black_box(cold.free_busy(black_box(&one), at(0), at(30)).expect("free_busy")))
    });
    group.finish();

    let mut group = c.benchmark_group("check_availability_1_resource");
    group.sample_size(50).measurement_time(Duration::from_secs(5));
    black_box(warm.check_availability(&check_id, check_start, check_end, 1).expect("check"));
    group.bench_function("warm_cache", |b| {
        b.iter(|| black_box(warm.check_availability(black_box(&check_id), check_start, check_end, 1).expect("check")))
    });
    group.finish();
    println!("warm cache at the end: {:?}", warm_engine.cache_stats());
}

criterion_group!(availability, benches);
criterion_main!(availability);
