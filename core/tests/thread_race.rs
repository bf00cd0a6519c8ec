//! Real threads racing for the same few slots on a file database.
//!
//! Eight workers create, confirm, cancel and reschedule bookings on a few
//! resources (capacity 1 and 3) whose slots all overlap, while a ninth
//! thread keeps checking the capacity invariant on consistent snapshots.
//! Every refusal must be a domain error that explains itself (`CONFLICT`,
//! `INVALID_TRANSITION`, `HOLD_EXPIRED`, `VERSION_MISMATCH`), never
//! `STORE_UNAVAILABLE` or `INTERNAL`. Afterwards the whole state is checked:
//! the invariant, every booking a worker saw created, the gap-free event log
//! and each booking's version history.
//!
//! Two variants: the workers share one `Engine`, or each opens its own on
//! the same file (like separate app instances; they also race to create the
//! schema, the tenant and the resources). The clock is a shared
//! `ManualClock` that workers nudge forward, so holds expire mid-run.
//!
//! Run with `--nocapture` to see the seed and the operation counts;
//! `HOLDFAST_RACE_SEED=<n>` replays a seed's choices (not its interleaving).
//!
//! SQLite only for now (unlike the tests that loop over
//! `common::stores()`): both variants race on one database file.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::ResourceSpec;

use std::collections::{BTreeMap, HashMap};
use std::panic::{self, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Barrier, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use chrono::TimeDelta;
use holdfast::{
    Booking, BookingFilter, Engine, Error, EventType, ManualClock, NewBooking, Reschedule, Status, Tenant, Timestamp,
};

const THREADS: usize = 8;
const OPS_PER_THREAD: usize = 500;
const TENANT: &str = "race";
const MINUTE_US: i64 = 60_000_000;
/// 2030-01-01T00:00:00Z.
const T0_US: i64 = 1_893_456_000_000_000;

const RESOURCES: [ResourceSpec; 4] = [
    ResourceSpec { id: "one", capacity: 1, before_min: 0, after_min: 0 },
    ResourceSpec { id: "one-buffered", capacity: 1, before_min: 10, after_min: 10 },
    ResourceSpec { id: "three", capacity: 3, before_min: 0, after_min: 0 },
    ResourceSpec { id: "three-buffered", capacity: 3, before_min: 0, after_min: 10 },
];

/// The few slots everyone fights over: every one overlaps another.
const SLOTS_MIN: [(i64, i64); 8] = [(0, 30), (30, 60), (0, 60), (15, 45), (60, 90), (40, 120), (100, 130), (0, 180)];

/// splitmix64: small, seedable, good enough to pick operations.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

/// What the workers know about a booking: enough to act on it, with the
/// version last seen (possibly stale by the time it is used: on purpose).
#[derive(Debug, Clone)]
struct Known {
    id: String,
    quantity: u32,
    version: i64,
    /// Not known to be cancelled, declined or expired.
    live: bool,
}

#[derive(Default)]
struct Shared {
    known: Mutex<Vec<Known>>,
    /// Set when the workers are done; stops the invariant checker.
    done: AtomicBool,
    /// Snapshots the checker verified.
    snapshots: AtomicU64,
}

/// Operation counts: `(operation, outcome)` -> n.
type Counts = BTreeMap<(&'static str, &'static str), u64>;

fn at(us: i64) -> Timestamp {
    Timestamp::from_micros(us)
}

fn outcome<T>(got: &Result<T, Error>) -> &'static str {
    match got {
        Ok(_) => "ok",
        Err(e) => e.code(),
    }
}

/// Panics unless `got` succeeded or failed with one of `allowed`.
fn expect_allowed<T: std::fmt::Debug>(op: &str, got: &Result<T, Error>, allowed: &[&str]) {
    if let Err(e) = got {
        assert!(allowed.contains(&e.code()), "{op}: unexpected {} ({e}); allowed {allowed:?}", e.code());
    }
}

fn check_conflict(op: &str, got: &Result<Booking, Error>, resource: &str) {
    if let Err(Error::Conflict { resource_id, conflicts }) = got {
        assert_eq!(resource_id, resource, "{op}: conflict on the wrong resource");
        // Quantities never exceed capacity here, so someone must be in the way.
        assert!(!conflicts.is_empty(), "{op}: CONFLICT naming no booking");
        for c in conflicts {
            assert_eq!(c.resource_id, resource, "{op}: {c:?}");
            assert!(c.status.consumes_capacity(), "{op}: a {} booking named as blocking", c.status);
        }
    }
}

fn remember(shared: &Shared, b: &Booking) {
    let mut known = shared.known.lock().unwrap();
    let live = b.status.consumes_capacity();
    match known.iter_mut().find(|k| k.id == b.id) {
        Some(k) if b.version > k.version => (k.version, k.live) = (b.version, live),
        Some(_) => {}
        None => known.push(Known { id: b.id.clone(), quantity: b.quantity, version: b.version, live }),
    }
}

/// After a refusal that proves the booking is over (a cancel refused as an
/// invalid transition, or any action on an expired hold).
fn forget(shared: &Shared, id: &str, got: &Result<Booking, Error>, action: &str) {
    let over = match got {
        Err(Error::HoldExpired { .. }) => true,
        Err(Error::InvalidTransition { .. }) => action == "cancel",
        _ => false,
    };
    if over && let Some(k) = shared.known.lock().unwrap().iter_mut().find(|k| k.id == id) {
        k.live = false;
    }
}

fn worker(engine: &Engine, t: &Tenant, clock: &ManualClock, shared: &Shared, seed: u64) -> (Counts, Vec<String>) {
    let mut rng = Rng(seed);
    let mut counts = Counts::new();
    let mut created = Vec::new();
    for _ in 0..OPS_PER_THREAD {
        let roll = rng.below(100);
        // Mostly a booking still believed live, sometimes any at all.
        let target = {
            let known = shared.known.lock().unwrap();
            let live: Vec<&Known> = known.iter().filter(|k| k.live).collect();
            if rng.below(5) > 0 && !live.is_empty() {
                Some(live[rng.below(live.len())].clone())
            } else {
                (!known.is_empty()).then(|| known[rng.below(known.len())].clone())
            }
        };
        // Half the time the version last seen (possibly stale), else none.
        let expected = |rng: &mut Rng, k: &Known| (rng.below(2) == 0).then_some(k.version);
        match (roll, target) {
            (0..50, _) | (50..95, None) => {
                let r = rng.pick(&RESOURCES);
                let (start_min, end_min) = *rng.pick(&SLOTS_MIN);
                let status = *rng.pick(&[Status::Hold, Status::Pencil, Status::Confirmed]);
                let hold_ttl = match (status, rng.below(3)) {
                    (Status::Hold, 0) => None,
                    (Status::Hold, _) => Some(TimeDelta::minutes(1 + rng.below(10) as i64)),
                    _ => None,
                };
                let quantity = 1 + rng.below(r.capacity as usize) as u32;
                let got = t.create_booking(NewBooking {
                    resource_id: r.id.into(),
                    start: at(T0_US + start_min * MINUTE_US),
                    end: at(T0_US + end_min * MINUTE_US),
                    status,
                    quantity,
                    hold_ttl,
                    ..Default::default()
                });
                *counts.entry(("create_booking", outcome(&got))).or_default() += 1;
                expect_allowed("create_booking", &got, &["CONFLICT"]);
                check_conflict("create_booking", &got, r.id);
                if let Ok(b) = &got {
                    assert_eq!((b.status, b.quantity, b.version, b.resource_id.as_str()), (status, quantity, 1, r.id));
                    remember(shared, b);
                    created.push(b.id.clone());
                }
            }
            (50..65, Some(k)) => {
                let got = t.confirm(&k.id, expected(&mut rng, &k));
                *counts.entry(("confirm", outcome(&got))).or_default() += 1;
                expect_allowed("confirm", &got, &["INVALID_TRANSITION", "HOLD_EXPIRED", "VERSION_MISMATCH"]);
                forget(shared, &k.id, &got, "confirm");
                if let Ok(b) = &got {
                    assert_eq!((b.status, b.hold_expires_at), (Status::Confirmed, None));
                    remember(shared, b);
                }
            }
            (65..80, Some(k)) => {
                let got = t.cancel(&k.id, expected(&mut rng, &k));
                *counts.entry(("cancel", outcome(&got))).or_default() += 1;
                expect_allowed("cancel", &got, &["INVALID_TRANSITION", "HOLD_EXPIRED", "VERSION_MISMATCH"]);
                forget(shared, &k.id, &got, "cancel");
                if let Ok(b) = &got {
                    assert_eq!((b.status, b.hold_expires_at), (Status::Cancelled, None));
                    remember(shared, b);
                }
            }
            (80..95, Some(k)) => {
                // Somewhere it can go (capacity at least its quantity).
                let fits: Vec<&ResourceSpec> = RESOURCES.iter().filter(|r| r.capacity >= k.quantity).collect();
                let r = *rng.pick(&fits);
                let (start_min, end_min) = *rng.pick(&SLOTS_MIN);
                let to = Reschedule {
                    start: at(T0_US + start_min * MINUTE_US),
                    end: at(T0_US + end_min * MINUTE_US),
                    resource_id: Some(r.id.into()),
                };
                let got = t.reschedule(&k.id, to, expected(&mut rng, &k));
                *counts.entry(("reschedule", outcome(&got))).or_default() += 1;
                expect_allowed(
                    "reschedule",
                    &got,
                    &["CONFLICT", "INVALID_TRANSITION", "HOLD_EXPIRED", "VERSION_MISMATCH"],
                );
                check_conflict("reschedule", &got, r.id);
                forget(shared, &k.id, &got, "reschedule");
                if let Ok(b) = &got {
                    assert_eq!(b.resource_id, r.id);
                    remember(shared, b);
                }
            }
            (95..98, _) => {
                clock.advance(TimeDelta::minutes(1));
                *counts.entry(("advance_clock", "ok")).or_default() += 1;
            }
            _ => {
                let got = engine.sweep_expired();
                *counts.entry(("sweep_expired", outcome(&got))).or_default() += 1;
                expect_allowed("sweep_expired", &got, &[]);
            }
        }
    }
    (counts, created)
}

/// Panics unless the naive capacity model holds (see `common`).
fn assert_within_capacity(resources: &[holdfast::Resource], bookings: &[Booking], now: Timestamp) {
    if let Err(violation) = common::check_capacity_naive(resources, bookings, now) {
        panic!("{violation}");
    }
}

/// Keeps checking the invariant on consistent snapshots until told to stop.
/// One page is one read transaction, so one snapshot; `now` is read after
/// it, and since the clock only moves forward, a booking blocking then was
/// blocking at every decision the snapshot reflects.
fn checker(t: &Tenant, engine: &Engine, shared: &Shared) {
    let resources = t.list_resources(&Default::default()).unwrap().items;
    while !shared.done.load(Ordering::SeqCst) {
        let page = t.list_bookings(&BookingFilter { limit: Some(1_000), ..Default::default() }).unwrap();
        let now = engine.now();
        // Only a single page is a consistent snapshot; past 1,000 bookings
        // this check rests (the end-state check still covers the final state).
        if page.next_cursor.is_none() {
            assert_within_capacity(&resources, &page.items, now);
            shared.snapshots.fetch_add(1, Ordering::SeqCst);
        }
        thread::sleep(Duration::from_millis(2));
    }
}

fn open(url: &str, clock: &ManualClock) -> Engine {
    Engine::builder().url(url).clock(clock.clone()).busy_timeout(Duration::from_secs(30)).open().unwrap()
}

/// Creates the tenant and resources; repeating it is harmless (idempotent).
fn set_up(engine: &Engine) -> Tenant {
    engine.create_tenant(TENANT, "Race").unwrap();
    let t = engine.tenant(TENANT).unwrap();
    for r in &RESOURCES {
        t.create_resource(r.new_resource()).unwrap();
    }
    t
}

fn all_bookings(t: &Tenant) -> Vec<Booking> {
    let mut out = Vec::new();
    let mut cursor = None;
    loop {
        let page = t.list_bookings(&BookingFilter { limit: Some(50), cursor, ..Default::default() }).unwrap();
        out.extend(page.items);
        match page.next_cursor {
            Some(next) => cursor = Some(next),
            None => return out,
        }
    }
}

fn seed() -> u64 {
    match std::env::var("HOLDFAST_RACE_SEED") {
        Ok(s) => s.parse().expect("HOLDFAST_RACE_SEED must be a u64"),
        Err(_) => std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos() as u64,
    }
}

/// Everything that must hold once the workers are done.
fn verify_end_state(name: &str, t: &Tenant, engine: &Engine, counts: &Counts, created: &[String]) {
    let bookings = all_bookings(t);
    let resources = t.list_resources(&Default::default()).unwrap().items;
    assert_eq!(resources.len(), RESOURCES.len(), "{name}: resources");
    assert_within_capacity(&resources, &bookings, engine.now());

    // Every booking a worker saw created exists, and nothing else does.
    let by_id: HashMap<&str, &Booking> = bookings.iter().map(|b| (b.id.as_str(), b)).collect();
    assert_eq!(by_id.len(), bookings.len(), "{name}: a booking listed twice");
    for id in created {
        assert!(by_id.contains_key(id.as_str()), "{name}: created booking {id} is missing");
        assert_eq!(t.get_booking(id).unwrap().id, *id);
    }
    assert_eq!(bookings.len(), created.len(), "{name}: bookings nobody created");

    // The log: gap-free from 1, one event per successful change plus one
    // per hold expired (on contact or by a sweep) and the set-up events.
    let mut events = Vec::new();
    loop {
        let page = t.events(events.last().map_or(0, |e: &holdfast::Event| e.seq), 1_000).unwrap();
        if page.is_empty() {
            break;
        }
        events.extend(page);
    }
    let seqs: Vec<i64> = events.iter().map(|e| e.seq).collect();
    assert_eq!(seqs, (1..=events.len() as i64).collect::<Vec<_>>(), "{name}: event seqs not gap-free");
    let changes: u64 = counts
        .iter()
        .filter(|((op, result), _)| *result == "ok" && !matches!(*op, "advance_clock" | "sweep_expired"))
        .map(|(_, n)| n)
        .sum();
    let expired = bookings.iter().filter(|b| b.status == Status::Expired).count() as u64;
    let set_up = 1 + RESOURCES.len() as u64;
    assert_eq!(events.len() as u64, set_up + changes + expired, "{name}: events vs. changes");
    assert_eq!(events.iter().filter(|e| e.kind == EventType::Expired).count() as u64, expired, "{name}");

    // Each booking's own history: versions 1, 2, 3, ... with no gap or
    // repeat (no lost update), ending at its current version and status.
    let mut history: HashMap<&str, Vec<&holdfast::Event>> = HashMap::new();
    for e in &events {
        if let Some(id) = &e.booking_id {
            history.entry(id.as_str()).or_default().push(e);
        }
    }
    for b in &bookings {
        let chain = &history[b.id.as_str()];
        assert_eq!(chain[0].kind, EventType::Created, "{name}: {} history starts with {:?}", b.id, chain[0].kind);
        let versions: Vec<i64> = chain.iter().map(|e| e.data["booking"]["version"].as_i64().unwrap()).collect();
        assert_eq!(versions, (1..=b.version).collect::<Vec<_>>(), "{name}: versions of {}", b.id);
        let last = &chain[chain.len() - 1].data["booking"];
        assert_eq!(last["status"], b.status.as_str(), "{name}: last event of {} vs. its status", b.id);
    }
}

fn report(name: &str, seed: u64, counts: &Counts, snapshots: u64, elapsed: Duration) {
    let total: u64 = counts.values().sum();
    let ok: u64 = counts.iter().filter(|((_, r), _)| *r == "ok").map(|(_, n)| n).sum();
    let conflicts: u64 = counts.iter().filter(|((_, r), _)| *r == "CONFLICT").map(|(_, n)| n).sum();
    println!(
        "{name}: seed {seed}, {THREADS} threads, {total} ops, {ok} succeeded, {conflicts} conflicts, \
         {snapshots} invariant snapshots, {:.2?}",
        elapsed
    );
    for ((op, result), n) in counts {
        println!("  {op:>15} {result:<20} {n:>5}");
    }
}

fn merge(into: &mut Counts, from: Counts) {
    for (k, n) in from {
        *into.entry(k).or_default() += n;
    }
}

#[test]
fn eight_threads_share_one_engine() {
    let seed = seed();
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("race.db").display());
    let clock = ManualClock::new(at(T0_US));
    let engine = open(&url, &clock);
    let t = set_up(&engine);
    let shared = Arc::new(Shared::default());
    let barrier = Arc::new(Barrier::new(THREADS));
    let started = Instant::now();

    let checker_thread = {
        let (t, engine, shared) = (t.clone(), engine.clone(), Arc::clone(&shared));
        thread::spawn(move || checker(&t, &engine, &shared))
    };
    let workers: Vec<_> = (0..THREADS)
        .map(|i| {
            let (engine, t, clock) = (engine.clone(), t.clone(), clock.clone());
            let (shared, barrier) = (Arc::clone(&shared), Arc::clone(&barrier));
            thread::spawn(move || {
                barrier.wait();
                worker(&engine, &t, &clock, &shared, seed.wrapping_add(i as u64))
            })
        })
        .collect();
    let mut counts = Counts::new();
    let mut created = Vec::new();
    for w in workers {
        let (c, ids) = w.join().expect("a worker panicked");
        merge(&mut counts, c);
        created.extend(ids);
    }
    shared.done.store(true, Ordering::SeqCst);
    checker_thread.join().expect("the invariant checker panicked");
    let elapsed = started.elapsed();

    verify_end_state("shared engine", &t, &engine, &counts, &created);
    report("shared engine", seed, &counts, shared.snapshots.load(Ordering::SeqCst), elapsed);
    assert!(counts.keys().any(|(_, r)| *r == "CONFLICT"), "the race never produced a conflict");
    assert!(shared.snapshots.load(Ordering::SeqCst) > 0, "the invariant checker never checked a snapshot");
}

#[test]
fn eight_engines_on_one_file() {
    let seed = seed();
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("race.db").display());
    let clock = ManualClock::new(at(T0_US));
    let shared = Arc::new(Shared::default());
    // Workers and checker open their engines at once on a file that does
    // not exist yet, and all set up the same tenant and resources.
    let barrier = Arc::new(Barrier::new(THREADS + 1));
    let ready = Arc::new(Barrier::new(THREADS + 1));
    let started = Instant::now();

    let checker_thread = {
        let (url, clock, shared) = (url.clone(), clock.clone(), Arc::clone(&shared));
        let (barrier, ready) = (Arc::clone(&barrier), Arc::clone(&ready));
        thread::spawn(move || {
            barrier.wait();
            // A failed setup must still reach `ready`, or everyone waits forever.
            let setup = panic::catch_unwind(AssertUnwindSafe(|| {
                let engine = open(&url, &clock);
                let t = set_up(&engine);
                (engine, t)
            }));
            ready.wait();
            let (engine, t) = setup.unwrap_or_else(|p| panic::resume_unwind(p));
            checker(&t, &engine, &shared);
        })
    };
    let workers: Vec<_> = (0..THREADS)
        .map(|i| {
            let (url, clock, shared) = (url.clone(), clock.clone(), Arc::clone(&shared));
            let (barrier, ready) = (Arc::clone(&barrier), Arc::clone(&ready));
            thread::spawn(move || {
                barrier.wait();
                let setup = panic::catch_unwind(AssertUnwindSafe(|| {
                    let engine = open(&url, &clock);
                    let t = set_up(&engine);
                    (engine, t)
                }));
                ready.wait();
                let (engine, t) = setup.unwrap_or_else(|p| panic::resume_unwind(p));
                worker(&engine, &t, &clock, &shared, seed.wrapping_add(i as u64))
            })
        })
        .collect();
    let mut counts = Counts::new();
    let mut created = Vec::new();
    for w in workers {
        let (c, ids) = w.join().expect("a worker panicked");
        merge(&mut counts, c);
        created.extend(ids);
    }
    shared.done.store(true, Ordering::SeqCst);
    checker_thread.join().expect("the invariant checker panicked");
    let elapsed = started.elapsed();

    let engine = open(&url, &clock);
    let t = engine.tenant(TENANT).unwrap();
    verify_end_state("engine per thread", &t, &engine, &counts, &created);
    report("engine per thread", seed, &counts, shared.snapshots.load(Ordering::SeqCst), elapsed);
    assert!(counts.keys().any(|(_, r)| *r == "CONFLICT"), "the race never produced a conflict");
    assert!(shared.snapshots.load(Ordering::SeqCst) > 0, "the invariant checker never checked a snapshot");
}

/// Many instances opening one new file at the same moment all succeed:
/// switching the file to WAL needs an exclusive lock, for which SQLite does
/// not wait (busy handler or not), so the store retries it.
#[test]
fn many_engines_open_a_new_file_at_once() {
    const OPENERS: usize = 16;
    for round in 0..20 {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("new.db").display());
        let barrier = Arc::new(Barrier::new(OPENERS));
        let openers: Vec<_> = (0..OPENERS)
            .map(|_| {
                let (url, barrier) = (url.clone(), Arc::clone(&barrier));
                thread::spawn(move || {
                    barrier.wait();
                    let engine = Engine::builder()
                        .url(url)
                        .busy_timeout(Duration::from_secs(30))
                        .open()
                        .map_err(|e| e.to_string())?;
                    engine.create_tenant(TENANT, "Race").map(|_| ()).map_err(|e| e.to_string())
                })
            })
            .collect();
        for opener in openers {
            let outcome = opener.join().expect("an opener panicked");
            assert_eq!(outcome, Ok(()), "round {round}: opening a new file concurrently failed");
        }
    }
}
