//! Group commit: concurrent writes of a tenant share one transaction and
//! one commit, yet each is decided in arrival order against everything
//! before it (the earlier writes of its own batch included) and gets its own
//! outcome.
//!
//! Batches are formed deterministically: a test holds the store's write lock
//! from outside the engine (SQLite's file lock, or the tenant's advisory
//! lock on PostgreSQL), starts one write that takes the lane and blocks on
//! that lock, queues the writes under test one by one (waiting on
//! `write_stats().queued` so their order is known), then lets go: they all
//! run as the next batch. The proptest compares such a batch with the same
//! writes made one at a time on a second engine.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::sync::{Arc, Condvar, Mutex};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use common::{TestStore, for_each_store};
use holdfast::{
    Booking, BookingFilter, Clock, Engine, EngineBuilder, Error, EventType, FeedItem, ManualClock, NewBooking,
    NewResource, Reschedule, Status, Tenant, Timestamp,
};
use proptest::prelude::*;

const TENANT: &str = "studio";
const HOUR_US: i64 = 3_600_000_000;
/// 2030-01-01T00:00:00Z.
const T0_US: i64 = 1_893_456_000_000_000;

fn at(hour: i64) -> Timestamp {
    Timestamp::from_micros(T0_US + hour * HOUR_US)
}

fn open(url: &str, clock: impl Clock + 'static) -> Engine {
    Engine::builder().url(url).clock(clock).open().expect("open engine")
}

fn studio(engine: &Engine, resources: &[(&str, u32)]) -> Tenant {
    engine.create_tenant(TENANT, "Studio").expect("tenant");
    let tenant = engine.tenant(TENANT).expect("tenant handle");
    for (id, capacity) in resources {
        tenant
            .create_resource(NewResource {
                id: Some((*id).into()),
                name: (*id).into(),
                capacity: *capacity,
                ..Default::default()
            })
            .expect("resource");
    }
    tenant
}

/// A studio with the capacity-1 resource "ada" on a fresh database that
/// several connections share, behind a gated clock; `configure` adds engine
/// settings.
struct GatedStudio {
    _dir: tempfile::TempDir,
    clock: GatedClock,
    engine: Engine,
    tenant: Tenant,
}

impl GatedStudio {
    fn new(store: &TestStore, configure: impl FnOnce(EngineBuilder) -> EngineBuilder) -> GatedStudio {
        let dir = tempfile::tempdir().expect("temp dir");
        let clock = GatedClock::new(at(-24));
        let builder = Engine::builder().url(store.fresh_shared_url(dir.path())).clock(clock.clone());
        let engine = configure(builder).open().expect("open engine");
        let tenant = studio(&engine, &[("ada", 1)]);
        GatedStudio { _dir: dir, clock, engine, tenant }
    }
}

fn booking(id: &str, resource: &str, start: i64, end: i64, status: Status) -> NewBooking {
    NewBooking {
        id: Some(id.into()),
        resource_id: resource.into(),
        start: at(start),
        end: at(end),
        status,
        ..Default::default()
    }
}

// ---------------------------------------------------------------- holding a batch back

/// A manual clock that can be made to block: a batch reads the clock once
/// it holds the store's write lock, so a leader reading a closed clock
/// holds its lane while writes queue behind it.
#[derive(Debug, Clone)]
struct GatedClock {
    clock: Arc<ManualClock>,
    closed: Arc<(Mutex<bool>, Condvar)>,
}

impl GatedClock {
    fn new(start: Timestamp) -> Self {
        GatedClock { clock: Arc::new(ManualClock::new(start)), closed: Arc::default() }
    }

    fn close(&self) {
        *self.closed.0.lock().unwrap() = true;
    }

    fn open(&self) {
        *self.closed.0.lock().unwrap() = false;
        self.closed.1.notify_all();
    }
}

impl Clock for GatedClock {
    fn now(&self) -> Timestamp {
        let (closed, opened) = &*self.closed;
        let mut closed = closed.lock().unwrap();
        while *closed {
            closed = opened.wait(closed).unwrap();
        }
        self.clock.now()
    }
}

/// Polls `condition` for up to 20 s (it depends on threads being scheduled,
/// not on speed).
fn wait_for(what: &str, condition: impl Fn() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while !condition() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        thread::sleep(Duration::from_millis(1));
    }
}

type Outcome = Result<Booking, Error>;
type Write = Box<dyn FnOnce(&Tenant) -> Outcome + Send>;

/// Runs `writes` as one batch behind a blocked leader; returns their
/// outcomes in order. The leader's own write creates resource `gate-<n>`.
fn run_as_one_batch(clock: &GatedClock, engine: &Engine, tenant: &Tenant, writes: Vec<Write>) -> Vec<Outcome> {
    let before = engine.write_stats();
    clock.close();
    let leader = {
        let tenant = tenant.clone();
        thread::spawn(move || {
            tenant.create_resource(NewResource {
                id: Some(format!("gate-{}", uuid_like())),
                name: "gate".into(),
                ..Default::default()
            })
        })
    };
    wait_for("the leader to take its batch", || engine.write_stats().batches == before.batches + 1);
    let mut queued: Vec<JoinHandle<Outcome>> = Vec::new();
    for (index, write) in writes.into_iter().enumerate() {
        let tenant = tenant.clone();
        queued.push(thread::spawn(move || write(&tenant)));
        wait_for("a write to queue", || engine.write_stats().queued == index + 1);
    }
    clock.open();
    leader.join().expect("leader thread").expect("the leader's write");
    let outcomes: Vec<Outcome> = queued.into_iter().map(|h| h.join().expect("writer thread")).collect();
    let after = engine.write_stats();
    assert_eq!(after.batches, before.batches + 2, "the queued writes ran as one batch");
    assert_eq!(after.writes, before.writes + 1 + outcomes.len() as u64);
    outcomes
}

fn uuid_like() -> u64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static NEXT: AtomicU64 = AtomicU64::new(0);
    NEXT.fetch_add(1, Ordering::Relaxed)
}

fn code(outcome: &Outcome) -> &'static str {
    match outcome {
        Ok(_) => "OK",
        Err(e) => e.code(),
    }
}

// ---------------------------------------------------------------- one batch, decided in order

#[test]
fn a_batch_decides_each_write_in_order_with_its_own_outcome() {
    for_each_store(|store| {
        let GatedStudio { _dir, clock, engine, tenant } = GatedStudio::new(store, |b| b);
        let seq_before = tenant.events(0, 1000).expect("events").last().map_or(0, |e| e.seq);
        let feed = tenant.subscribe();

        let writes: Vec<Write> = vec![
            Box::new(|t| t.create_booking(booking("x1", "ada", 10, 11, Status::Confirmed))),
            // Overlaps x1, decided after it in the same transaction.
            Box::new(|t| t.create_booking(booking("x2", "ada", 10, 12, Status::Pencil))),
            Box::new(|t| t.create_booking(booking("x3", "ada", 11, 12, Status::Hold))),
            Box::new(|t| t.cancel("x1", Some(1))),
            // Fits now that x1 is cancelled, earlier in the batch.
            Box::new(|t| t.create_booking(booking("x4", "ada", 10, 11, Status::Pencil))),
            Box::new(|t| t.confirm("missing", None)),
            Box::new(|t| t.confirm("x3", Some(7))),
            Box::new(|t| {
                t.create_booking(NewBooking {
                    idempotency_key: Some("k".into()),
                    ..booking("x5", "ada", 13, 14, Status::Hold)
                })
            }),
            // The same request again, inside the same batch: the first result.
            Box::new(|t| {
                t.create_booking(NewBooking {
                    idempotency_key: Some("k".into()),
                    ..booking("x5", "ada", 13, 14, Status::Hold)
                })
            }),
            Box::new(|t| t.reschedule("x4", Reschedule { start: at(11), end: at(12), resource_id: None }, None)),
            // All or nothing: x6 fits, x7 does not, so neither is kept.
            Box::new(|t| {
                t.create_bookings(vec![
                    booking("x6", "ada", 15, 16, Status::Pencil),
                    booking("x7", "ada", 10, 11, Status::Pencil),
                ])
                .map(|mut created| created.remove(0))
            }),
        ];
        let outcomes = run_as_one_batch(&clock, &engine, &tenant, writes);
        let codes: Vec<&str> = outcomes.iter().map(code).collect();
        assert_eq!(
            codes,
            ["OK", "CONFLICT", "OK", "OK", "OK", "NOT_FOUND", "VERSION_MISMATCH", "OK", "OK", "CONFLICT", "CONFLICT"],
            "{outcomes:#?}"
        );
        match &outcomes[1] {
            Err(Error::Conflict { conflicts, .. }) => {
                assert_eq!(conflicts.iter().map(|c| c.id.as_str()).collect::<Vec<_>>(), ["x1"]);
            }
            other => panic!("x2: {other:?}"),
        }
        assert_eq!(outcomes[3].as_ref().unwrap().status, Status::Cancelled);
        assert_eq!(outcomes[7].as_ref().unwrap(), outcomes[8].as_ref().unwrap(), "idempotent repeat");

        // What was kept is exactly what succeeded.
        let stored: Vec<(String, Status, i64)> = tenant
            .list_bookings(&BookingFilter::default())
            .expect("list")
            .items
            .into_iter()
            .map(|b| (b.id, b.status, b.version))
            .collect();
        assert_eq!(
            stored,
            [
                ("x1".into(), Status::Cancelled, 2),
                ("x4".into(), Status::Pencil, 1),
                ("x3".into(), Status::Hold, 1),
                ("x5".into(), Status::Hold, 1),
            ]
        );
        // The log: the gate resource, then one event per kept change, in
        // order, gap-free; nothing of the failed writes.
        let events = tenant.events(seq_before, 1000).expect("events");
        let seqs: Vec<i64> = events.iter().map(|e| e.seq).collect();
        assert_eq!(seqs, (seq_before + 1..=seq_before + 6).collect::<Vec<_>>());
        let kinds: Vec<(EventType, Option<&str>)> = events.iter().map(|e| (e.kind, e.booking_id.as_deref())).collect();
        assert_eq!(
            kinds,
            [
                (EventType::ResourceCreated, None),
                (EventType::Created, Some("x1")),
                (EventType::Created, Some("x3")),
                (EventType::Cancelled, Some("x1")),
                (EventType::Created, Some("x4")),
                (EventType::Created, Some("x5")),
            ]
        );
        // Subscribers get the same events, in the same order.
        let published: Vec<i64> = std::iter::from_fn(|| feed.try_next())
            .map(|item| match item {
                FeedItem::Event(e) => e.seq,
                other => panic!("{other:?}"),
            })
            .collect();
        assert_eq!(published, seqs);
    });
}

/// A write rolled back inside a batch must not leave anything behind that
/// later writes of the batch rely on: here, the longest booking a resource
/// has had (which bounds its overlap scans). If the rolled-back 5-hour
/// booking were still counted, the next 5-hour booking would not be
/// recorded, and a later overlap scan would start too late to see it.
#[test]
fn a_rolled_back_write_leaves_no_stale_bookkeeping() {
    for_each_store(|store| {
        let GatedStudio { _dir, clock, engine, tenant } = GatedStudio::new(store, |b| b);
        tenant.create_booking(booking("short", "ada", 0, 1, Status::Confirmed)).expect("a 1-hour booking");
        let writes: Vec<Write> = vec![
            // The resource's schedule is read (its longest booking: 1 h),
            // then a 5-hour booking is written and rolled back.
            Box::new(|t| {
                t.create_bookings(vec![
                    booking("long-a", "ada", 10, 15, Status::Confirmed),
                    booking("clash", "ada", 0, 1, Status::Confirmed),
                ])
                .map(|mut created| created.remove(0))
            }),
            Box::new(|t| t.create_booking(booking("long-b", "ada", 20, 25, Status::Confirmed))),
        ];
        let outcomes = run_as_one_batch(&clock, &engine, &tenant, writes);
        assert_eq!(outcomes.iter().map(code).collect::<Vec<_>>(), ["CONFLICT", "OK"], "{outcomes:#?}");
        // Starts 3 hours into long-b: only a scan reaching back 5 hours sees it.
        let clash = tenant.create_booking(booking("late", "ada", 23, 24, Status::Confirmed));
        assert_eq!(code(&clash), "CONFLICT", "{clash:?}");
    });
}

#[test]
fn batches_of_one_when_grouping_is_off() {
    let GatedStudio { _dir, clock, engine, tenant } = GatedStudio::new(&TestStore::Sqlite, |b| b.write_batch_max(1));
    let before = engine.write_stats();
    clock.close();
    let writers: Vec<JoinHandle<Outcome>> = (0..4)
        .map(|i| {
            let tenant = tenant.clone();
            let handle = thread::spawn(move || {
                tenant.create_booking(booking(&format!("b{i}"), "ada", i * 2, i * 2 + 1, Status::Pencil))
            });
            wait_for("the write to queue or lead", || {
                let now = engine.write_stats();
                now.batches + now.queued as u64 == before.batches + i as u64 + 1
            });
            handle
        })
        .collect();
    clock.open();
    for writer in writers {
        writer.join().expect("writer").expect("create");
    }
    assert_eq!(engine.write_stats().batches, before.batches + 4);
}

// ---------------------------------------------------------------- many threads, shared commits

#[test]
fn concurrent_writers_share_durable_commits() {
    const THREADS: i64 = 32;
    const PER_THREAD: i64 = 40;
    let dir = tempfile::tempdir().expect("temp dir");
    let url = TestStore::Sqlite.fresh_shared_url(dir.path());
    let engine = Engine::open(&url).expect("open");
    let tenant = studio(&engine, &[("ada", 1), ("bob", 2)]);
    let before = engine.write_stats();
    let start = Arc::new(std::sync::Barrier::new(THREADS as usize));
    let workers: Vec<JoinHandle<Vec<Outcome>>> = (0..THREADS)
        .map(|thread_index| {
            let (tenant, start) = (tenant.clone(), Arc::clone(&start));
            thread::spawn(move || {
                start.wait();
                (0..PER_THREAD)
                    .map(|i| {
                        // Every thread fights for the same hours on "ada"
                        // (one of them wins each), and books its own on "bob".
                        let (resource, hour) =
                            if i % 2 == 0 { ("ada", 10_000 + i) } else { ("bob", 20_000 + thread_index * 100 + i) };
                        tenant.create_booking(booking(
                            &format!("t{thread_index}-{i}"),
                            resource,
                            hour,
                            hour + 1,
                            Status::Confirmed,
                        ))
                    })
                    .collect()
            })
        })
        .collect();
    let outcomes: Vec<Outcome> = workers.into_iter().flat_map(|w| w.join().expect("worker")).collect();
    let created: Vec<&Booking> = outcomes.iter().filter_map(|o| o.as_ref().ok()).collect();
    for outcome in &outcomes {
        assert!(matches!(outcome, Ok(_) | Err(Error::Conflict { .. })), "{outcome:?}");
    }
    // One winner per contested hour on "ada", every booking on "bob".
    let on_ada = created.iter().filter(|b| b.resource_id == "ada").count() as i64;
    assert_eq!(on_ada, PER_THREAD / 2);
    assert_eq!(created.len() as i64, PER_THREAD / 2 + THREADS * PER_THREAD / 2);

    let stats = engine.write_stats();
    let writes = stats.writes - before.writes;
    let batches = stats.batches - before.batches;
    assert_eq!(writes, (THREADS * PER_THREAD) as u64);
    assert!(batches < writes, "{writes} concurrent writes took {batches} commits: nothing was grouped");
    eprintln!("{writes} writes in {batches} batches");

    // Every acknowledged booking is on disk for a fresh engine, and only those.
    let reopened = Engine::open(&url).expect("reopen").tenant(TENANT).expect("tenant");
    let mut stored = Vec::new();
    let mut cursor = None;
    loop {
        let page =
            reopened.list_bookings(&BookingFilter { limit: Some(1000), cursor, ..Default::default() }).expect("list");
        stored.extend(page.items.into_iter().map(|b| b.id));
        match page.next_cursor {
            Some(next) => cursor = Some(next),
            None => break,
        }
    }
    let mut acknowledged: Vec<String> = created.iter().map(|b| b.id.clone()).collect();
    acknowledged.sort();
    stored.sort();
    assert_eq!(stored, acknowledged);
    let events = reopened.events(0, 1000).expect("events");
    assert!(events.windows(2).all(|w| w[1].seq == w[0].seq + 1), "event seq has gaps");
}

// ---------------------------------------------------------------- back-pressure

#[test]
fn a_full_queue_turns_writers_away_after_the_busy_timeout() {
    for_each_store(|store| {
        let GatedStudio { _dir, clock, engine, tenant } =
            GatedStudio::new(store, |b| b.write_queue_max(2).busy_timeout(Duration::from_millis(300)));
        let before = engine.write_stats();
        clock.close();
        let spawn = |i: i64| {
            let tenant = tenant.clone();
            thread::spawn(move || tenant.create_booking(booking(&format!("q{i}"), "ada", i, i + 1, Status::Hold)))
        };
        let leader = spawn(0);
        wait_for("the leader to take its batch", || engine.write_stats().batches == before.batches + 1);
        let queued = [spawn(1), spawn(2)];
        wait_for("two writes to queue", || engine.write_stats().queued == 2);
        let turned_away = tenant.create_booking(booking("q3", "ada", 3, 4, Status::Hold));
        match &turned_away {
            Err(Error::StoreUnavailable { message }) => assert!(message.contains("already waiting"), "{message}"),
            other => panic!("expected STORE_UNAVAILABLE, got {other:?}"),
        }
        clock.open();
        leader.join().expect("leader").expect("the leader's write");
        for writer in queued {
            writer.join().expect("writer").expect("a queued write runs once the lock is free");
        }
        assert!(tenant.get_booking("q3").is_err(), "a write turned away left nothing behind");
    });
}

#[test]
fn group_commit_settings_are_checked() {
    let cases: [(&str, holdfast::EngineBuilder); 4] = [
        ("write_batch_max", Engine::builder().write_batch_max(0)),
        ("write_batch_max", Engine::builder().write_batch_max(10_001)),
        ("write_queue_max", Engine::builder().write_queue_max(0)),
        ("write_linger", Engine::builder().write_linger(Duration::from_secs(1))),
    ];
    for (field, builder) in cases {
        let error = builder.open().expect_err(field);
        assert!(matches!(error.code(), "LIMIT_EXCEEDED" | "INVALID_INPUT"), "{field}: {error:?}");
        assert_eq!(error.details()["field"], field, "{error:?}");
    }
}

// ---------------------------------------------------------------- batched == one at a time

#[derive(Debug, Clone)]
enum Op {
    Create {
        id: usize,
        resource: usize,
        start: i64,
        len: i64,
        status: Status,
    },
    Confirm(usize),
    Cancel(usize),
    Decline(usize),
    Reschedule {
        id: usize,
        resource: usize,
        start: i64,
    },
    /// `create_bookings` of two: both or neither.
    CreatePair {
        ids: (usize, usize),
        resource: usize,
        starts: (i64, i64),
    },
}

const RESOURCES: [(&str, u32); 2] = [("solo", 1), ("duo", 2)];

fn op_strategy() -> impl Strategy<Value = Op> {
    let status = prop_oneof![Just(Status::Hold), Just(Status::Pencil), Just(Status::Confirmed)];
    prop_oneof![
        4 => (0..8usize, 0..2usize, 0..6i64, 1..3i64, status)
            .prop_map(|(id, resource, start, len, status)| Op::Create { id, resource, start, len, status }),
        1 => (0..8usize).prop_map(Op::Confirm),
        1 => (0..8usize).prop_map(Op::Cancel),
        1 => (0..8usize).prop_map(Op::Decline),
        1 => (0..8usize, 0..2usize, 0..6i64).prop_map(|(id, resource, start)| Op::Reschedule { id, resource, start }),
        1 => ((0..8usize, 0..8usize), 0..2usize, (0..6i64, 0..6i64))
            .prop_map(|(ids, resource, starts)| Op::CreatePair { ids, resource, starts }),
    ]
}

fn apply(tenant: &Tenant, op: &Op) -> Outcome {
    match op.clone() {
        Op::Create { id, resource, start, len, status } => {
            tenant.create_booking(booking(&format!("b{id}"), RESOURCES[resource].0, start, start + len, status))
        }
        Op::Confirm(id) => tenant.confirm(&format!("b{id}"), None),
        Op::Cancel(id) => tenant.cancel(&format!("b{id}"), None),
        Op::Decline(id) => tenant.decline(&format!("b{id}"), None),
        Op::Reschedule { id, resource, start } => tenant.reschedule(
            &format!("b{id}"),
            Reschedule { start: at(start), end: at(start + 1), resource_id: Some(RESOURCES[resource].0.into()) },
            None,
        ),
        Op::CreatePair { ids, resource, starts } => tenant
            .create_bookings(vec![
                booking(&format!("b{}", ids.0), RESOURCES[resource].0, starts.0, starts.0 + 1, Status::Pencil),
                booking(&format!("b{}", ids.1), RESOURCES[resource].0, starts.1, starts.1 + 1, Status::Pencil),
            ])
            .map(|mut created| created.remove(0)),
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    /// The same writes, batched or one at a time, give the same answers,
    /// rows and events.
    #[test]
    fn a_batch_equals_the_same_writes_one_at_a_time(ops in prop::collection::vec(op_strategy(), 1..24)) {
        let dir = tempfile::tempdir().expect("temp dir");
        let clock = GatedClock::new(at(-24));
        let batched_engine = open(&TestStore::Sqlite.fresh_shared_url(dir.path()), clock.clone());
        let batched = studio(&batched_engine, &RESOURCES);
        let serial_engine = open(&TestStore::Sqlite.fresh_shared_url(dir.path()), ManualClock::new(at(-24)));
        let serial = studio(&serial_engine, &RESOURCES);
        // The batched side's gate resource, made on the serial side too.
        serial.create_resource(NewResource { id: Some(format!("gate-{}", uuid_like())), name: "gate".into(),
            ..Default::default() }).expect("resource");

        let writes: Vec<Write> = ops.iter().cloned().map(|op| Box::new(move |t: &Tenant| apply(t, &op)) as Write).collect();
        let batched_outcomes = run_as_one_batch(&clock, &batched_engine, &batched, writes);
        let serial_outcomes: Vec<Outcome> = ops.iter().map(|op| apply(&serial, op)).collect();
        prop_assert_eq!(batched_outcomes, serial_outcomes);

        let rows = |t: &Tenant| t.list_bookings(&BookingFilter { limit: Some(1000), ..Default::default() })
            .expect("list").items;
        prop_assert_eq!(rows(&batched), rows(&serial));
        let log = |t: &Tenant| t.events(0, 1000).expect("events").into_iter()
            .filter(|e| e.booking_id.is_some())
            .map(|e| (e.seq, e.kind, e.booking_id, e.data))
            .collect::<Vec<_>>();
        prop_assert_eq!(log(&batched), log(&serial));
    }
}
