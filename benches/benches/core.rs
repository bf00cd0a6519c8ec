//! The core API suite (issue 8), through the public API on a SQLite file:
//! creates by 1 caller and by 32 concurrent callers (durability full and
//! normal), batches of 10k and 100k, 32 callers fighting over one taken
//! slot, and the reads (`get_booking`, `list_bookings`, `free_busy`,
//! `find_slots`), each at 10k and at 1M existing bookings. Ids read
//! `core/<size>/<what>`; see `holdfast_benches::core_dataset` for the data.
//!
//! Run: `cargo bench -p holdfast-benches --bench core`
//! - `HOLDFAST_BENCH_SIZES=10k` (or `1m`; default `10k,1m`) picks datasets;
//!   `cargo test --benches` runs every bench once, on 10k unless told.
//! - `HOLDFAST_BENCH_QUICK=1` shortens every measurement (a few minutes
//!   for both sizes once the datasets exist).
//! - criterion's own `-- --quick` works too: no warm-up, and each bench
//!   stops once two runs agree within 5% or its measurement time is up.
//! - `-- core/10k/get_booking` (a regex) runs only what matches.
//!
//! Datasets are built once through `create_bookings` and cached under
//! `$CARGO_TARGET_DIR/bench-data/` (else `target/bench-data/`). Benches
//! that write work on a scratch copy, so the cached files never change.

use std::cell::OnceCell;
use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Barrier, Mutex};
use std::time::{Duration, Instant};

use chrono::TimeDelta;
use criterion::measurement::WallTime;
use criterion::{BenchmarkGroup, Criterion, SamplingMode, Throughput, criterion_group, criterion_main};
use holdfast::{BookingFilter, Durability, Engine, NewBooking, SlotQuery, Tenant, Timestamp, limits};
use holdfast_benches::core_dataset::{
    self, DAY_US, RESOURCES, Size, TAG, TENANT, WINDOW_PERIOD, free_slot, history_slot, period_start, resource_id,
};
use holdfast_benches::{ScratchCopy, quick_profile};

/// Concurrent callers of the contended benches.
const CALLERS: usize = 32;
/// The resource every read (and the hot slot) looks at.
const READ_RESOURCE: usize = RESOURCES / 3;

fn core_suite(c: &mut Criterion) {
    let profile = Profile { quick: quick_profile() };
    for size in sizes() {
        let dataset = Dataset::new(size);
        let mut group = c.benchmark_group(format!("core/{}", size.label()));
        // Writes first: their scratch copies are made while no engine has
        // the dataset open.
        for durability in [Durability::Full, Durability::Normal] {
            bench_creates(&mut group, &profile, &dataset, 1, durability);
        }
        for durability in [Durability::Full, Durability::Normal] {
            bench_creates(&mut group, &profile, &dataset, CALLERS, durability);
        }
        bench_batches(&mut group, &profile, &dataset, 1);
        bench_batches(&mut group, &profile, &dataset, 10);
        let readers = OnceCell::new();
        bench_hot_slot(&mut group, &profile, &dataset, &readers);
        bench_reads(&mut group, &profile, &dataset, &readers);
        group.finish();
    }
}

/// `HOLDFAST_BENCH_SIZES`, else both sizes, or 10k alone when criterion
/// runs in test mode (`cargo test --benches` passes no `--bench`).
fn sizes() -> Vec<Size> {
    let benchmarking = std::env::args().any(|arg| arg == "--bench");
    let default = if benchmarking { "10k,1m" } else { "10k" };
    Size::parse_list(&std::env::var("HOLDFAST_BENCH_SIZES").unwrap_or_else(|_| default.into()))
}

/// Sample counts and times; `quick` for a run of a few minutes.
struct Profile {
    quick: bool,
}

impl Profile {
    /// Calls of microseconds to a few milliseconds.
    fn fast_calls(&self, group: &mut BenchmarkGroup<'_, WallTime>) {
        group.sampling_mode(SamplingMode::Auto);
        if self.quick {
            group.sample_size(10).warm_up_time(Duration::from_millis(200)).measurement_time(Duration::from_secs(1));
        } else {
            group.sample_size(50).warm_up_time(Duration::from_secs(1)).measurement_time(Duration::from_secs(3));
        }
    }

    /// Calls of tens of milliseconds and more, and writes: every sample
    /// runs the same number of calls (so none grows a copy much more than
    /// another), `measurement` long unless quick.
    fn slow_calls(&self, group: &mut BenchmarkGroup<'_, WallTime>, measurement: Duration) {
        group.sampling_mode(SamplingMode::Flat).sample_size(10);
        if self.quick {
            group.warm_up_time(Duration::from_millis(100)).measurement_time(Duration::from_secs(1));
        } else {
            group.warm_up_time(Duration::from_secs(1)).measurement_time(measurement);
        }
    }
}

/// One size's dataset, built (or found) on first use, so that a filter
/// that skips a size never builds it.
struct Dataset {
    size: Size,
    path: OnceCell<PathBuf>,
}

impl Dataset {
    fn new(size: Size) -> Dataset {
        Dataset { size, path: OnceCell::new() }
    }

    fn path(&self) -> &Path {
        self.path.get_or_init(|| core_dataset::dataset(self.size))
    }

    /// An engine on the dataset itself, default settings but for the cache.
    fn open(&self, cache_entries: Option<usize>) -> (Engine, Tenant) {
        let builder = Engine::builder().url(holdfast_benches::sqlite_url(self.path()));
        let builder = match cache_entries {
            Some(entries) => builder.cache_entries(entries),
            None => builder,
        };
        let engine = builder.open().expect("open the dataset");
        let tenant = engine.tenant(TENANT).expect("bench tenant");
        (engine, tenant)
    }
}

/// Hands out the dataset's free slots, each once, to any thread.
struct FreeSlots(AtomicUsize);

impl FreeSlots {
    fn next_booking(&self) -> NewBooking {
        free_slot(self.0.fetch_add(1, Ordering::Relaxed))
    }
}

/// Where one writing bench writes: a scratch copy of the dataset. A sample
/// starts on a copy holding at most half again the dataset's bookings;
/// past that the copy is restored. That bounds the drift at both sizes
/// while keeping 1M restores (~5 s each) to a few per bench.
struct WriteTarget<'d> {
    dataset: &'d Dataset,
    copy: Option<ScratchCopy>,
    /// Free slots of the copy: the count handed out is what it gained.
    slots: FreeSlots,
    restores: usize,
    most_written_on_one_copy: usize,
}

impl<'d> WriteTarget<'d> {
    fn new(dataset: &'d Dataset) -> Self {
        WriteTarget {
            dataset,
            copy: None,
            slots: FreeSlots(AtomicUsize::new(0)),
            restores: 0,
            most_written_on_one_copy: 0,
        }
    }

    /// A fresh engine for one sample (the previous one must be dropped).
    fn engine_for_sample(&mut self, durability: Durability) -> Engine {
        let gained = self.slots.0.load(Ordering::Relaxed);
        if self.copy.is_none() || gained >= self.dataset.size.bookings() / 2 {
            self.copy.get_or_insert_with(|| ScratchCopy::new(self.dataset.path())).reset();
            // A restored copy holds none of the slots handed out before.
            self.slots.0.store(0, Ordering::Relaxed);
            self.restores += 1;
        }
        let copy = self.copy.as_ref().expect("scratch copy made above");
        Engine::builder().url(copy.url()).durability(durability).open().expect("open the scratch copy")
    }

    /// Call after each sample: tracks how far a copy grew.
    fn end_sample(&mut self) {
        self.most_written_on_one_copy = self.most_written_on_one_copy.max(self.slots.0.load(Ordering::Relaxed));
    }

    /// One line for the log: how far the dataset drifted during the bench.
    fn report(&self, id: &str) {
        if self.restores == 0 {
            return; // filtered out: never ran
        }
        let base = self.dataset.size.bookings();
        println!(
            "{id}: {} fresh copies of the dataset; a copy gained at most {} bookings ({base} -> {})",
            self.restores,
            self.most_written_on_one_copy,
            base + self.most_written_on_one_copy
        );
    }
}

/// Runs `iters` calls of `call` spread over `callers` threads, each holding
/// its own clone of `engine`, released together; returns the wall time
/// from the release to the last call's end. Each thread first makes one
/// untimed call (connections, prepared statements). Any `Err` is counted
/// and fails the bench: a bench that measures errors measures nothing.
fn run_callers(
    engine: &Engine,
    callers: usize,
    iters: u64,
    what: &str,
    call: impl Fn(&Tenant) -> Result<(), String> + Sync,
) -> Duration {
    let start_line = Barrier::new(callers + 1);
    let failures = AtomicU64::new(0);
    let first_failure = Mutex::new(None::<String>);
    let elapsed = std::thread::scope(|scope| {
        let (start_line, failures, first_failure, call) = (&start_line, &failures, &first_failure, &call);
        let threads: Vec<_> = (0..callers as u64)
            .map(|i| {
                let share = iters / callers as u64 + u64::from(i < iters % callers as u64);
                let engine = engine.clone();
                scope.spawn(move || {
                    let tenant = engine.tenant(TENANT).expect("bench tenant");
                    let record = |outcome: Result<(), String>| {
                        if let Err(message) = outcome {
                            failures.fetch_add(1, Ordering::Relaxed);
                            first_failure.lock().expect("failure slot").get_or_insert(message);
                        }
                    };
                    record(call(&tenant));
                    start_line.wait();
                    for _ in 0..share {
                        record(call(&tenant));
                    }
                })
            })
            .collect();
        start_line.wait();
        let started = Instant::now();
        for thread in threads {
            thread.join().expect("a caller thread panicked");
        }
        started.elapsed()
    });
    let failed = failures.into_inner();
    if failed > 0 {
        let first = first_failure.into_inner().expect("failure slot").unwrap_or_default();
        panic!("{what}: {failed} of {} calls failed unexpectedly; first: {first}", iters + callers as u64);
    }
    elapsed
}

/// `create_booking` into distinct free slots: every create must succeed.
fn bench_creates(
    group: &mut BenchmarkGroup<'_, WallTime>,
    profile: &Profile,
    dataset: &Dataset,
    callers: usize,
    durability: Durability,
) {
    let name = match callers {
        1 => format!("create_1_caller_{}", durability.as_str()),
        n => format!("create_{n}_callers_{}", durability.as_str()),
    };
    let id = format!("core/{}/{name}", dataset.size.label());
    let mut target = WriteTarget::new(dataset);
    profile.slow_calls(group, Duration::from_secs(5));
    group.throughput(Throughput::Elements(1));
    group.bench_function(&name, |b| {
        // Set up here, not in `iter_custom`: criterion sizes samples by the
        // routine's wall time, restores included.
        let engine = target.engine_for_sample(durability);
        let slots = &target.slots;
        b.iter_custom(|iters| {
            run_callers(&engine, callers, iters, &id, |tenant| {
                tenant.create_booking(slots.next_booking()).map(drop).map_err(|e| format!("{}: {e}", e.code()))
            })
        });
        drop(engine);
        target.end_sample();
    });
    target.report(&id);
}

/// `create_bookings` of `calls` x 10,000 (the batch limit) per iteration.
fn bench_batches(group: &mut BenchmarkGroup<'_, WallTime>, profile: &Profile, dataset: &Dataset, calls: usize) {
    let per_call = limits::BATCH_SIZE_MAX;
    let name = match calls {
        1 => format!("create_bookings_{}k_1_call", per_call / 1_000),
        n => format!("create_bookings_{}k_{n}_calls", n * per_call / 1_000),
    };
    let id = format!("core/{}/{name}", dataset.size.label());
    let mut target = WriteTarget::new(dataset);
    profile.slow_calls(group, Duration::from_secs(if calls == 1 { 10 } else { 20 }));
    group.throughput(Throughput::Elements((calls * per_call) as u64));
    group.bench_function(&name, |b| {
        let engine = target.engine_for_sample(Durability::Full);
        let tenant = engine.tenant(TENANT).expect("bench tenant");
        tenant.create_booking(target.slots.next_booking()).expect("untimed warm-up create");
        b.iter_custom(|iters| {
            let mut elapsed = Duration::ZERO;
            for _ in 0..iters {
                let batches: Vec<Vec<NewBooking>> =
                    (0..calls).map(|_| (0..per_call).map(|_| target.slots.next_booking()).collect()).collect();
                let started = Instant::now();
                for batch in batches {
                    let created = tenant
                        .create_bookings(batch)
                        .unwrap_or_else(|e| panic!("{id}: create_bookings failed unexpectedly: {}: {e}", e.code()));
                    assert_eq!(created.len(), per_call, "{id}: a batch came back short");
                }
                elapsed += started.elapsed();
            }
            elapsed
        });
        drop((tenant, engine));
        target.end_sample();
    });
    target.report(&id);
}

/// The engines the reads (and the hot slot) use, on the dataset itself:
/// one with the default read cache, one with the cache off.
struct Readers {
    warm_engine: Engine,
    warm: Tenant,
    cache_off: Tenant,
}

impl Readers {
    fn tenant(&self, cache_on: bool) -> &Tenant {
        if cache_on { &self.warm } else { &self.cache_off }
    }
}

fn readers<'r>(dataset: &Dataset, readers: &'r OnceCell<Readers>) -> &'r Readers {
    readers.get_or_init(|| {
        let (warm_engine, warm) = dataset.open(None);
        let (_, cache_off) = dataset.open(Some(0));
        Readers { warm_engine, warm, cache_off }
    })
}

/// 32 callers asking for a hold (the default status) on the one slot that
/// is already taken: every attempt must be `CONFLICT`. Rejected creates roll back and write nothing, so
/// this runs on the dataset itself (checked after).
fn bench_hot_slot(
    group: &mut BenchmarkGroup<'_, WallTime>,
    profile: &Profile,
    dataset: &Dataset,
    readers_cell: &OnceCell<Readers>,
) {
    let name = format!("hot_slot_{CALLERS}_callers_conflict");
    let id = format!("core/{}/{name}", dataset.size.label());
    let (start, end) = history_slot(READ_RESOURCE, WINDOW_PERIOD);
    let taken = NewBooking { resource_id: resource_id(READ_RESOURCE), start, end, ..Default::default() };
    let mut ran = false;
    profile.fast_calls(group);
    group.throughput(Throughput::Elements(1));
    group.bench_function(&name, |b| {
        ran = true;
        let engine = &readers(dataset, readers_cell).warm_engine;
        b.iter_custom(|iters| {
            run_callers(engine, CALLERS, iters, &id, |tenant| match tenant.create_booking(taken.clone()) {
                Err(e) if e.code() == "CONFLICT" => Ok(()),
                Err(e) => Err(format!("expected CONFLICT, got {}: {e}", e.code())),
                Ok(booking) => Err(format!("expected CONFLICT, but booking {} was created", booking.id)),
            })
        })
    });
    if ran {
        let there = list_window(&readers(dataset, readers_cell).warm, start, end);
        assert_eq!(there, 1, "{id}: the hot slot should still hold exactly its one booking");
    }
}

/// Bookings of [`READ_RESOURCE`] overlapping `[start, end)`.
fn list_window(tenant: &Tenant, start: Timestamp, end: Timestamp) -> usize {
    let filter = BookingFilter {
        resource_ids: vec![resource_id(READ_RESOURCE)],
        start: Some(start),
        end: Some(end),
        limit: Some(1_000),
        ..Default::default()
    };
    tenant.list_bookings(&filter).expect("list_bookings").items.len()
}

fn bench_reads(
    group: &mut BenchmarkGroup<'_, WallTime>,
    profile: &Profile,
    dataset: &Dataset,
    readers_cell: &OnceCell<Readers>,
) {
    let month_start = period_start(WINDOW_PERIOD);
    let month_end = Timestamp::from_micros(month_start.as_micros() + 30 * DAY_US);
    let week_end = Timestamp::from_micros(month_start.as_micros() + 7 * DAY_US);
    let one = vec![resource_id(READ_RESOURCE)];
    let month_filter = BookingFilter {
        resource_ids: one.clone(),
        start: Some(month_start),
        end: Some(month_end),
        limit: Some(1_000),
        ..Default::default()
    };
    let week_query = SlotQuery {
        tag: Some(TAG.into()),
        start: month_start,
        end: week_end,
        duration: Some(TimeDelta::hours(2)),
        step: Some(TimeDelta::minutes(30)),
        limit: Some(10),
        ..Default::default()
    };

    profile.fast_calls(group);
    group.throughput(Throughput::Elements(1));
    group.bench_function("get_booking", |b| {
        let tenant = &readers(dataset, readers_cell).warm;
        let page = tenant.list_bookings(&month_filter).expect("list_bookings");
        let id = page.items.first().expect("a booking in the window").id.clone();
        b.iter(|| black_box(tenant.get_booking(black_box(&id)).expect("get_booking")))
    });
    group.bench_function("list_bookings_1_resource_30_days", |b| {
        let tenant = &readers(dataset, readers_cell).warm;
        b.iter(|| {
            let page = tenant.list_bookings(black_box(&month_filter)).expect("list_bookings");
            assert_eq!(page.items.len(), 10, "the window holds 10 bookings at every size");
            black_box(page)
        })
    });
    for (variant, cache_on) in [("warm", true), ("cache_off", false)] {
        group.bench_function(format!("free_busy_1_resource_30_days_{variant}"), |b| {
            let tenant = readers(dataset, readers_cell).tenant(cache_on);
            // Also fills the cache: `--quick` measures without a warm-up.
            let answer = tenant.free_busy(&one, month_start, month_end).expect("free_busy");
            assert_eq!(answer[0].busy.len(), 10, "the window holds 10 bookings at every size");
            b.iter(|| black_box(tenant.free_busy(black_box(&one), month_start, month_end).expect("free_busy")))
        });
    }
    profile.slow_calls(group, Duration::from_secs(5));
    for (variant, cache_on) in [("warm", true), ("cache_off", false)] {
        group.bench_function(format!("find_slots_{RESOURCES}_resources_1_week_{variant}"), |b| {
            let tenant = readers(dataset, readers_cell).tenant(cache_on);
            let found = tenant.find_slots(&week_query).expect("find_slots");
            assert_eq!(found.len(), 10, "find_slots fills its limit");
            b.iter(|| black_box(tenant.find_slots(black_box(&week_query)).expect("find_slots")))
        });
    }
}

criterion_group!(core, core_suite);
criterion_main!(core);
