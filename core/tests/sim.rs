//! Deterministic simulation with seed replay (issue 9).
//!
//! Simulated clients issue random operations against one engine: every
//! action of the state machine, batches, reschedules across resources,
//! capacity and buffer changes, availability rules, sweeps, and bursts of
//! concurrent writes that share one group commit. A manual clock jumps
//! between steps and, as a fault, in the middle of a transaction. The store
//! is wrapped by [`FaultStore`], which fails a transaction's opening, one
//! statement (before it runs, or after it ran with its reply lost), the
//! connection from some statement on, the commit, or only the commit's reply
//! (the commit landed; the caller hears an error).
//!
//! After every step, from the engine's own state:
//! - the event log replays against the naive model (`common::replay`): `seq`
//!   gap-free, decision instants never going back, only legal transitions,
//!   versions one at a time, capacity at every decision instant;
//! - the rows are exactly what the log says, and capacity holds at the
//!   clock's instant too;
//! - every acknowledged write is in the log as acknowledged; every new event
//!   belongs to a write acknowledged in this step, to the engine's own
//!   expiry, or to a write whose commit landed with its reply lost, which is
//!   then retried and must answer with what landed (exactly once);
//! - no `INTERNAL` ever, and `STORE_UNAVAILABLE` only when a fault went off.
//!
//! One `u64` seed drives everything (operations, faults, the order in which
//! a burst's writes queue); a failure prints the command that replays it,
//! and the first seed of every run is run twice to prove the run is a
//! function of its seed. At the end the engine is reopened on the same
//! database and must still hold every acknowledged write.
//!
//! `harness = false`. Environment:
//! - `HOLDFAST_SIM_SEED=<u64>`: run that seed only (the replay command);
//! - `HOLDFAST_SIM_SEEDS=<n>`: seeds per store (default 300 on SQLite, 40 on
//!   PostgreSQL); `HOLDFAST_SIM_STEPS=<n>`: steps per seed (default 120);
//! - `HOLDFAST_SIM_SECONDS=<s>`: the long mode: new seeds until `s` seconds;
//! - `HOLDFAST_SIM_STORE=sqlite|postgres`: one store only. PostgreSQL runs
//!   when `HOLDFAST_TEST_POSTGRES_URL` is set (`common::stores()`).

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::hash_map::DefaultHasher;
use std::collections::{BTreeMap, BTreeSet};
use std::hash::{Hash, Hasher};
use std::sync::mpsc;
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::thread;
use std::time::{Duration, Instant};

use chrono::TimeDelta;
use holdfast::schedule::Blocker;
use holdfast::store::{self, BookingQuery, NewEvent, Store, StoreOptions, StoredBooking, Transaction};
use holdfast::{
    ApiKey, Availability, AvailabilityRules, Booking, BookingFilter, Durability, Engine, Error, Event, EventType,
    HoldExpiry, Interval, LocalTime, ManualClock, NewBooking, NewResource, Policy, Project, Reschedule, Resource,
    ResourcePatch, Status, Tenant, TenantInfo, Timestamp, Weekday, WeeklyHours,
};

use common::TestStore;
use common::replay::{Replay, SYSTEM_ACTOR, all_bookings, all_events, all_resources};
use common::rng::Rng;
use common::{blocks_at, check_capacity_naive, footprint, panic_message};

const SEED_VAR: &str = "HOLDFAST_SIM_SEED";
const SEEDS_VAR: &str = "HOLDFAST_SIM_SEEDS";
const STEPS_VAR: &str = "HOLDFAST_SIM_STEPS";
const SECONDS_VAR: &str = "HOLDFAST_SIM_SECONDS";
const STORE_VAR: &str = "HOLDFAST_SIM_STORE";

const TENANT: &str = "sim";
const CLIENTS: usize = 4;
const MINUTE_US: i64 = 60_000_000;
/// 2030-01-07T00:00:00Z, a Monday: the first day bookings may start on.
const DAY0_US: i64 = 1_893_974_400_000_000;
const DAYS: i64 = 3;
const DAY_US: i64 = 24 * 60 * MINUTE_US;
/// Bookings start and end on a 15-minute grid, so they collide often.
const GRID_US: i64 = 15 * MINUTE_US;
/// How long a burst waits for its threads to queue before giving up.
const QUEUE_WAIT: Duration = Duration::from_secs(10);

// ---------------------------------------------------------------- the fault-injecting store

/// What goes wrong in one write transaction.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Fault {
    /// Opening the transaction fails (no connection, lock timeout).
    Open,
    /// The `at`-th call fails alone; with `ran`, after it took effect (its
    /// reply was lost). The connection stays usable.
    Statement { at: usize, ran: bool },
    /// From the `at`-th call on, every call fails, the commit too.
    Disconnect { at: usize },
    /// The commit fails; nothing is committed.
    CommitFails,
    /// The commit lands, but its reply is lost: the caller hears an error.
    ReplyLost,
    /// The clock jumps forward at the `at`-th call.
    ClockJump { at: usize, by_us: i64 },
}

/// A gate a write transaction waits at once it is open, so the sim can
/// queue writes behind it in an order of its choosing.
#[derive(Default)]
struct Gate {
    state: Mutex<(bool, bool)>, // (a transaction entered, the gate opened)
    changed: Condvar,
}

impl Gate {
    fn enter_and_wait(&self) {
        let mut state = lock(&self.state);
        state.0 = true;
        self.changed.notify_all();
        while !state.1 {
            state = self.changed.wait(state).unwrap_or_else(PoisonError::into_inner);
        }
    }

    fn wait_entered(&self, timeout: Duration) -> bool {
        let state = lock(&self.state);
        let (state, _) =
            self.changed.wait_timeout_while(state, timeout, |s| !s.0).unwrap_or_else(PoisonError::into_inner);
        state.0
    }

    fn open(&self) {
        lock(&self.state).1 = true;
        self.changed.notify_all();
    }
}

#[derive(Default)]
struct Plan {
    /// For the next write transaction opened.
    fault: Option<Fault>,
    gate: Option<Arc<Gate>>,
    /// Faults that went off since the sim last looked.
    fired: Vec<Fault>,
}

struct FaultStore {
    inner: Box<dyn Store>,
    plan: Arc<Mutex<Plan>>,
    clock: ManualClock,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

fn simulated(what: &str) -> Error {
    Error::StoreUnavailable { message: format!("simulated fault: {what}") }
}

impl Store for FaultStore {
    fn write(&self, tenant_id: &str) -> holdfast::Result<Box<dyn Transaction + '_>> {
        let (fault, gate) = {
            let mut plan = lock(&self.plan);
            (plan.fault.take(), plan.gate.take())
        };
        if fault == Some(Fault::Open) {
            lock(&self.plan).fired.push(Fault::Open);
            return Err(simulated("cannot open a transaction"));
        }
        let inner = self.inner.write(tenant_id)?;
        if let Some(gate) = gate {
            gate.enter_and_wait();
        }
        Ok(Box::new(FaultTx { inner, fault, calls: 0, dead: false, store: self }))
    }

    fn read(&self, tenant_id: &str) -> holdfast::Result<Box<dyn Transaction + '_>> {
        self.inner.read(tenant_id)
    }

    fn tenants_with_expired_holds(&self, now: Timestamp, limit: usize) -> holdfast::Result<Vec<String>> {
        self.inner.tenants_with_expired_holds(now, limit)
    }

    fn api_key(&self, id: &str) -> holdfast::Result<Option<(ApiKey, String)>> {
        self.inner.api_key(id)
    }

    fn ping(&self) -> holdfast::Result<()> {
        self.inner.ping()
    }
}

struct FaultTx<'a> {
    inner: Box<dyn Transaction + 'a>,
    fault: Option<Fault>,
    calls: usize,
    dead: bool,
    store: &'a FaultStore,
}

impl FaultTx<'_> {
    fn fired(&self, fault: Fault) {
        lock(&self.store.plan).fired.push(fault);
    }

    /// Counts a call about to be made. `Err`: it fails without running;
    /// `Ok(true)`: it runs, then its reply is lost.
    fn before_call(&mut self) -> holdfast::Result<bool> {
        let call = self.calls;
        self.calls += 1;
        if self.dead {
            return Err(simulated("connection lost"));
        }
        match self.fault {
            Some(f @ Fault::Statement { at, ran }) if at == call => {
                self.fired(f);
                if ran { Ok(true) } else { Err(simulated("statement failed")) }
            }
            Some(f @ Fault::Disconnect { at }) if at == call => {
                self.fired(f);
                self.dead = true;
                Err(simulated("connection lost"))
            }
            Some(f @ Fault::ClockJump { at, by_us }) if at == call => {
                self.fired(f);
                self.store.clock.advance(TimeDelta::microseconds(by_us));
                Ok(false)
            }
            _ => Ok(false),
        }
    }
}

/// Each call goes through `before_call`, which may fail it before or after
/// it runs.
macro_rules! faulty_calls {
    ($( fn $name:ident(&mut self $(, $arg:ident: $ty:ty)*) -> $ret:ty; )*) => {
        $(
            fn $name(&mut self $(, $arg: $ty)*) -> holdfast::Result<$ret> {
                let reply_lost = self.before_call()?;
                let out = self.inner.$name($($arg),*);
                if reply_lost {
                    return out.and_then(|_| Err(simulated("statement ran, its reply was lost")));
                }
                out
            }
        )*
    };
}

impl Transaction for FaultTx<'_> {
    faulty_calls! {
        fn tenant(&mut self) -> Option<TenantInfo>;
        fn decision_instant(&mut self, clock_now: Timestamp) -> Timestamp;
        fn insert_tenant(&mut self, tenant: &TenantInfo) -> ();
        fn resource(&mut self, id: &str) -> Option<Resource>;
        fn lock_resource(&mut self, id: &str) -> Option<Resource>;
        fn insert_resource(&mut self, resource: &Resource) -> ();
        fn update_resource(&mut self, resource: &Resource, previous_version: i64) -> ();
        fn list_resources(&mut self, after: Option<&str>, limit: usize) -> Vec<Resource>;
        fn resources_tagged(&mut self, tag: &str, limit: usize) -> Vec<Resource>;
        fn availability(&mut self, resource_id: &str) -> Option<Availability>;
        fn put_availability(&mut self, availability: &Availability) -> ();
        fn project(&mut self, id: &str) -> Option<Project>;
        fn insert_project(&mut self, project: &Project) -> ();
        fn list_projects(&mut self, after: Option<&str>, limit: usize) -> Vec<Project>;
        fn booking(&mut self, id: &str) -> Option<StoredBooking>;
        fn lock_booking(&mut self, id: &str) -> Option<StoredBooking>;
        fn booking_by_idempotency_key(&mut self, key: &str) -> Option<StoredBooking>;
        fn blocking_bookings(&mut self, resource_id: &str, window: Interval) -> Vec<Booking>;
        fn blockers(&mut self, resource_id: &str, window: Interval) -> Vec<Blocker>;
        fn insert_booking(&mut self, booking: &Booking, request_hash: &str) -> ();
        fn insert_booking_with_event(&mut self, booking: &Booking, request_hash: &str, event: &NewEvent) -> i64;
        fn update_booking(&mut self, booking: &Booking, previous_version: i64) -> ();
        fn list_bookings(&mut self, query: &BookingQuery) -> Vec<Booking>;
        fn expired_holds(&mut self, now: Timestamp, limit: usize) -> Vec<Booking>;
        fn append_event(&mut self, event: &NewEvent) -> i64;
        fn events(&mut self, since: i64, limit: usize) -> Vec<Event>;
        fn history(&mut self, booking_id: &str) -> Vec<Event>;
        fn last_seq(&mut self) -> i64;
        fn touched_resources(&mut self, since: i64, until: i64) -> Vec<String>;
        fn insert_api_key(&mut self, key: &ApiKey, secret_hash: &str) -> ();
        fn tenant_api_key(&mut self, id: &str) -> Option<ApiKey>;
        fn revoke_api_key(&mut self, id: &str, at: Timestamp) -> ();
        fn list_api_keys(&mut self, after: Option<&str>, limit: usize) -> Vec<ApiKey>;
        fn savepoint(&mut self) -> ();
        fn release_savepoint(&mut self) -> ();
        fn rollback_to_savepoint(&mut self) -> ();
    }

    fn changes(&self) -> Option<u64> {
        self.inner.changes()
    }

    fn commit(self: Box<Self>) -> holdfast::Result<()> {
        if self.dead {
            return Err(simulated("connection lost before the commit"));
        }
        match self.fault {
            Some(Fault::CommitFails) => {
                self.fired(Fault::CommitFails);
                Err(simulated("commit failed")) // dropping `inner` rolls back
            }
            Some(Fault::ReplyLost) => {
                self.fired(Fault::ReplyLost);
                self.inner.commit()?;
                Err(simulated("committed, but the reply was lost"))
            }
            _ => self.inner.commit(),
        }
    }
}

// ---------------------------------------------------------------- operations

#[derive(Debug, Clone)]
enum Op {
    Create(NewBooking),
    Batch(Vec<NewBooking>),
    Pencil(String, Option<i64>),
    Confirm(String, Option<i64>),
    Cancel(String, Option<i64>),
    Decline(String, Option<i64>),
    Extend(String, HoldExpiry, Option<i64>),
    Reschedule(String, Reschedule, Option<i64>),
    UpdateResource(String, ResourcePatch),
    SetAvailability(String, AvailabilityRules),
    Sweep,
}

impl Op {
    fn name(&self) -> &'static str {
        match self {
            Op::Create(_) => "create",
            Op::Batch(_) => "batch",
            Op::Pencil(..) => "pencil",
            Op::Confirm(..) => "confirm",
            Op::Cancel(..) => "cancel",
            Op::Decline(..) => "decline",
            Op::Extend(..) => "extend_hold",
            Op::Reschedule(..) => "reschedule",
            Op::UpdateResource(..) => "update_resource",
            Op::SetAvailability(..) => "set_availability",
            Op::Sweep => "sweep",
        }
    }
}

/// What a successful write returned.
#[derive(Debug, Clone, PartialEq)]
enum Acked {
    Bookings(Vec<Booking>),
    Resource(Resource),
    Availability(Availability),
    Swept(usize),
}

/// One write as issued and answered.
#[derive(Debug)]
struct Call {
    client: usize,
    op: Op,
    result: Result<Acked, Error>,
}

fn perform(engine: &Engine, t: &Tenant, op: &Op) -> Result<Acked, Error> {
    let one = |b: holdfast::Result<Booking>| b.map(|b| Acked::Bookings(vec![b]));
    match op.clone() {
        Op::Create(new) => one(t.create_booking(new)),
        Op::Batch(items) => t.create_bookings(items).map(Acked::Bookings),
        Op::Pencil(id, v) => one(t.pencil(&id, v)),
        Op::Confirm(id, v) => one(t.confirm(&id, v)),
        Op::Cancel(id, v) => one(t.cancel(&id, v)),
        Op::Decline(id, v) => one(t.decline(&id, v)),
        Op::Extend(id, until, v) => one(t.extend_hold(&id, until, v)),
        Op::Reschedule(id, to, v) => one(t.reschedule(&id, to, v)),
        Op::UpdateResource(id, patch) => t.update_resource(&id, patch, None).map(Acked::Resource),
        Op::SetAvailability(id, rules) => t.set_availability(&id, rules, None).map(Acked::Availability),
        Op::Sweep => engine.sweep_expired().map(Acked::Swept),
    }
}

// ---------------------------------------------------------------- the simulation

struct ResourceSpec {
    id: &'static str,
    capacity: u32,
    before_min: i64,
    after_min: i64,
    timezone: &'static str,
}

const RESOURCES: [ResourceSpec; 4] = [
    ResourceSpec { id: "r0", capacity: 1, before_min: 0, after_min: 0, timezone: "UTC" },
    ResourceSpec { id: "r1", capacity: 2, before_min: 0, after_min: 15, timezone: "Europe/Berlin" },
    ResourceSpec { id: "r2", capacity: 1, before_min: 15, after_min: 15, timezone: "America/New_York" },
    ResourceSpec { id: "r3", capacity: 3, before_min: 0, after_min: 30, timezone: "Asia/Kathmandu" },
];

#[derive(Debug, Default, Clone)]
struct Totals {
    seeds: u64,
    steps: u64,
    calls: u64,
    ok: u64,
    errors: BTreeMap<&'static str, u64>,
    faults: BTreeMap<&'static str, u64>,
    bursts: u64,
    shared_batches: u64,
    ambiguous_retried: u64,
    events: u64,
    instants: u64,
}

impl Totals {
    fn add(&mut self, other: &Totals) {
        self.seeds += other.seeds;
        self.steps += other.steps;
        self.calls += other.calls;
        self.ok += other.ok;
        for (k, v) in &other.errors {
            *self.errors.entry(k).or_default() += v;
        }
        for (k, v) in &other.faults {
            *self.faults.entry(k).or_default() += v;
        }
        self.bursts += other.bursts;
        self.shared_batches += other.shared_batches;
        self.ambiguous_retried += other.ambiguous_retried;
        self.events += other.events;
        self.instants += other.instants;
    }
}

fn fault_name(f: &Fault) -> &'static str {
    match f {
        Fault::Open => "open",
        Fault::Statement { ran: false, .. } => "statement",
        Fault::Statement { ran: true, .. } => "statement_reply_lost",
        Fault::Disconnect { .. } => "disconnect",
        Fault::CommitFails => "commit",
        Fault::ReplyLost => "commit_reply_lost",
        Fault::ClockJump { .. } => "clock_jump",
    }
}

struct Sim {
    rng: Rng,
    clock: ManualClock,
    plan: Arc<Mutex<Plan>>,
    engine: Engine,
    clients: Vec<Tenant>,
    replay: Replay,
    /// Booking ids in the order the log created them (the HashMaps of the
    /// replay must not steer choices: their order differs run to run).
    ids: Vec<String>,
    next_id: u64,
    /// Every create the sim issued, by booking id: an ambiguous one is retried as is.
    creates: BTreeMap<String, NewBooking>,
    /// Hash of every answer and event: equal seeds, equal digests.
    digest: DefaultHasher,
    /// The clock when the step's write was issued (a fault may move it on
    /// during the write).
    step_began: Timestamp,
    totals: Totals,
}

fn ts(us: i64) -> Timestamp {
    Timestamp::from_micros(us)
}

fn hf(what: &str, e: &Error) -> String {
    format!("{what}: {} {e}", e.code())
}

fn open_engine(url: &str, clock: &ManualClock, plan: &Arc<Mutex<Plan>>) -> Result<Engine, String> {
    let options = StoreOptions { durability: Durability::Normal, pool_size: 4, ..Default::default() };
    let inner = store::open(url, &options).map_err(|e| hf("open store", &e))?;
    let store = FaultStore { inner, plan: Arc::clone(plan), clock: clock.clone() };
    Engine::builder()
        .store(Box::new(store))
        .clock(clock.clone())
        .default_hold_ttl(TimeDelta::minutes(20))
        .open()
        .map_err(|e| hf("open engine", &e))
}

impl Sim {
    fn new(seed: u64, url: &str) -> Result<Sim, String> {
        let clock = ManualClock::new(ts(DAY0_US - 2 * 60 * MINUTE_US));
        let plan = Arc::new(Mutex::new(Plan::default()));
        let engine = open_engine(url, &clock, &plan)?;
        engine.create_tenant(TENANT, "Simulation").map_err(|e| hf("create_tenant", &e))?;
        let t = engine.tenant(TENANT).map_err(|e| hf("tenant", &e))?;
        for r in &RESOURCES {
            t.create_resource(NewResource {
                id: Some(r.id.into()),
                name: r.id.into(),
                capacity: r.capacity,
                timezone: r.timezone.into(),
                buffer_before: TimeDelta::minutes(r.before_min),
                buffer_after: TimeDelta::minutes(r.after_min),
                ..Default::default()
            })
            .map_err(|e| hf("create_resource", &e))?;
        }
        let clients =
            (0..CLIENTS).map(|i| t.as_actor(&format!("client-{i}")).expect("a valid actor")).collect::<Vec<_>>();
        let mut sim = Sim {
            rng: Rng::new(seed),
            clock,
            plan,
            engine,
            clients,
            replay: Replay::default(),
            ids: Vec::new(),
            next_id: 0,
            creates: BTreeMap::new(),
            digest: DefaultHasher::new(),
            step_began: ts(0),
            totals: Totals { seeds: 1, ..Default::default() },
        };
        sim.check(&[], &[])?;
        Ok(sim)
    }

    // ---- generating operations ----

    fn version_for(&mut self, id: &str) -> Option<i64> {
        let current = self.replay.bookings.get(id).map_or(1, |b| b.version);
        match self.rng.below(10) {
            0..=6 => Some(current),
            7 => Some((current - 1).max(1)),
            _ => None,
        }
    }

    fn pick_booking(&mut self) -> String {
        if self.ids.is_empty() || self.rng.chance(3) {
            return "no-such-booking".into();
        }
        // Recent bookings are more alive: favour them.
        let n = self.ids.len() as u64;
        let back = self.rng.below(n.min(12));
        self.ids[(n - 1 - back) as usize].clone()
    }

    fn pick_resource(&mut self) -> String {
        if self.rng.chance(2) { "ghost".into() } else { self.rng.pick(&RESOURCES).id.into() }
    }

    fn interval(&mut self) -> (Timestamp, Timestamp) {
        let slots = DAYS * DAY_US / GRID_US;
        let start = DAY0_US + self.rng.below(slots as u64) as i64 * GRID_US;
        let len = self.rng.range(1, 9) as i64 * GRID_US;
        if self.rng.chance(3) {
            return (ts(start), ts(start)); // empty: INVALID_INPUT
        }
        (ts(start), ts(start + len))
    }

    fn new_booking(&mut self) -> NewBooking {
        self.next_id += 1;
        let id = format!("b{}", self.next_id);
        let (start, end) = self.interval();
        let status = match self.rng.below(10) {
            0..=5 => Status::Hold,
            6..=7 => Status::Pencil,
            _ => Status::Confirmed,
        };
        let hold_ttl =
            (status == Status::Hold && self.rng.chance(60)).then(|| TimeDelta::minutes(self.rng.range(5, 90) as i64));
        let new = NewBooking {
            id: Some(id.clone()),
            resource_id: self.pick_resource(),
            start,
            end,
            status,
            quantity: if self.rng.chance(20) { 2 } else { 1 },
            hold_ttl,
            title: Some(format!("sim {id}")),
            ..Default::default()
        };
        self.creates.insert(id, new.clone());
        new
    }

    fn rules(&mut self) -> AvailabilityRules {
        if self.rng.chance(30) {
            return AvailabilityRules::default();
        }
        let start: LocalTime = ["07:00", "09:00", "10:30"][self.rng.below(3) as usize].parse().expect("a time");
        let end: LocalTime = ["16:00", "18:00", "23:45"][self.rng.below(3) as usize].parse().expect("a time");
        AvailabilityRules {
            policy: if self.rng.chance(50) { Policy::Strict } else { Policy::Advisory },
            weekly: Weekday::ALL
                .iter()
                .filter(|_| self.rng.chance(80))
                .map(|&weekday| WeeklyHours { weekday, start, end })
                .collect(),
            overrides: Vec::new(),
        }
    }

    /// A write on bookings: what bursts are made of.
    fn booking_op(&mut self) -> Op {
        match self.rng.below(100) {
            0..=34 => Op::Create(self.new_booking()),
            35..=39 => {
                // The same create again (same id and body): answered with the first result.
                // Or with another body under the same id: ALREADY_EXISTS.
                match self.creates.get(&format!("b{}", self.next_id)).cloned() {
                    Some(mut last) => {
                        if self.rng.chance(25) {
                            last.title = Some("another body".into());
                        }
                        Op::Create(last)
                    }
                    None => Op::Create(self.new_booking()),
                }
            }
            40..=47 => {
                let n = self.rng.range(2, 5);
                Op::Batch((0..n).map(|_| self.new_booking()).collect())
            }
            48..=57 => {
                let id = self.pick_booking();
                Op::Pencil(id.clone(), self.version_for(&id))
            }
            58..=69 => {
                let id = self.pick_booking();
                Op::Confirm(id.clone(), self.version_for(&id))
            }
            70..=77 => {
                let id = self.pick_booking();
                Op::Cancel(id.clone(), self.version_for(&id))
            }
            78..=82 => {
                let id = self.pick_booking();
                Op::Decline(id.clone(), self.version_for(&id))
            }
            83..=89 => {
                let id = self.pick_booking();
                let until = match self.rng.below(3) {
                    0 => HoldExpiry::Default,
                    1 => HoldExpiry::Ttl(TimeDelta::minutes(self.rng.range(1, 120) as i64)),
                    _ => HoldExpiry::At(ts(self.clock_now_us() + self.rng.range(1, 180) as i64 * MINUTE_US)),
                };
                Op::Extend(id.clone(), until, self.version_for(&id))
            }
            _ => {
                let id = self.pick_booking();
                let (start, end) = self.interval();
                let resource_id = self.rng.chance(50).then(|| self.pick_resource());
                Op::Reschedule(id.clone(), Reschedule { start, end, resource_id }, self.version_for(&id))
            }
        }
    }

    fn clock_now_us(&self) -> i64 {
        self.engine.now().as_micros()
    }

    fn fault(&mut self) -> Option<Fault> {
        if !self.rng.chance(30) {
            return None;
        }
        let at = self.rng.below(14) as usize;
        Some(match self.rng.below(12) {
            0 => Fault::Open,
            1..=3 => Fault::Statement { at, ran: false },
            4..=5 => Fault::Statement { at, ran: true },
            6..=7 => Fault::Disconnect { at },
            8 => Fault::CommitFails,
            9..=10 => Fault::ReplyLost,
            _ => Fault::ClockJump { at, by_us: self.rng.range(1, 60) as i64 * MINUTE_US },
        })
    }

    // ---- running steps ----

    fn step(&mut self, index: u64) -> Result<(), String> {
        self.totals.steps += 1;
        match self.rng.below(100) {
            0..=7 => {
                let by = self.rng.range(1, 90) as i64;
                self.clock.advance(TimeDelta::minutes(by));
                by.hash(&mut self.digest);
                self.check(&[], &[])
            }
            8..=17 => self.burst(index),
            n => {
                let op = match n {
                    18..=21 => {
                        let id = self.rng.pick(&RESOURCES).id.to_string();
                        let patch = ResourcePatch {
                            capacity: self.rng.chance(70).then(|| self.rng.range(1, 4) as u32),
                            buffer_after: self
                                .rng
                                .chance(40)
                                .then(|| TimeDelta::minutes(15 * self.rng.below(3) as i64)),
                            ..Default::default()
                        };
                        Op::UpdateResource(id, patch)
                    }
                    22..=24 => {
                        let id = self.rng.pick(&RESOURCES).id.to_string();
                        Op::SetAvailability(id, self.rules())
                    }
                    25..=28 => Op::Sweep,
                    _ => self.booking_op(),
                };
                let client = self.rng.below(CLIENTS as u64) as usize;
                let fault = self.fault();
                lock(&self.plan).fault = fault;
                self.step_began = self.engine.now();
                let result = perform(&self.engine, &self.clients[client], &op);
                let call = Call { client, op, result };
                self.after(std::slice::from_ref(&call), 0)
            }
        }
    }

    /// Writes from several clients that queue behind a held transaction in
    /// an order the seed picks, then share one group commit.
    fn burst(&mut self, index: u64) -> Result<(), String> {
        self.totals.bursts += 1;
        let leader_client = self.rng.below(CLIENTS as u64) as usize;
        let mut leader_new = self.new_booking();
        leader_new.resource_id = self.rng.pick(&RESOURCES).id.into();
        if leader_new.start == leader_new.end {
            leader_new.end = ts(leader_new.start.as_micros() + GRID_US);
        }
        let leader_id = leader_new.id.clone().expect("the sim names every booking");
        self.creates.insert(leader_id, leader_new.clone());
        let followers: Vec<(usize, Op)> =
            (0..self.rng.range(2, 7)).map(|_| (self.rng.below(CLIENTS as u64) as usize, self.booking_op())).collect();
        let fault = self.fault();
        let batches_before = self.engine.write_stats().batches;

        let gate = Arc::new(Gate::default());
        lock(&self.plan).gate = Some(Arc::clone(&gate));
        let (tx, rx) = mpsc::channel::<(usize, Result<Acked, Error>)>();
        let leader = Op::Create(leader_new);
        let mut ops = vec![(leader_client, leader)];
        ops.extend(followers);
        let mut handles = Vec::new();
        let spawn = |i: usize, client: usize, op: Op, handles: &mut Vec<thread::JoinHandle<()>>| {
            let engine = self.engine.clone();
            let t = self.clients[client].clone();
            let tx = tx.clone();
            handles.push(thread::spawn(move || {
                let result = perform(&engine, &t, &op);
                let _ = tx.send((i, result));
            }));
        };
        let (client0, op0) = ops[0].clone();
        spawn(0, client0, op0, &mut handles);
        if !gate.wait_entered(QUEUE_WAIT) {
            gate.open();
            return Err(format!("step {index}: the burst's first write never opened a transaction"));
        }
        lock(&self.plan).fault = fault;
        // One at a time, each queued (or refused before queueing) before the next.
        let mut results: BTreeMap<usize, Result<Acked, Error>> = BTreeMap::new();
        let mut queued = 0;
        for (i, (client, op)) in ops.iter().enumerate().skip(1) {
            spawn(i, *client, op.clone(), &mut handles);
            let deadline = Instant::now() + QUEUE_WAIT;
            loop {
                if self.engine.write_stats().queued > queued {
                    queued += 1;
                    break;
                }
                if let Ok((j, result)) = rx.try_recv() {
                    results.insert(j, result);
                    if j == i {
                        break; // refused before it reached the queue
                    }
                }
                if Instant::now() > deadline {
                    gate.open();
                    return Err(format!("step {index}: write {i} of a burst neither queued nor returned"));
                }
                thread::sleep(Duration::from_micros(50));
            }
        }
        gate.open();
        drop(tx);
        for (j, result) in rx.iter() {
            results.insert(j, result);
        }
        for h in handles {
            h.join().map_err(|p| format!("step {index}: a burst thread panicked: {}", panic_message(&*p)))?;
        }
        // The leader's transaction, then one for all the queued writes.
        if queued > 1 && self.engine.write_stats().batches - batches_before == 2 {
            self.totals.shared_batches += 1;
        }
        let calls: Vec<Call> = ops
            .into_iter()
            .enumerate()
            .map(|(i, (client, op))| Call { client, op, result: results.remove(&i).expect("every thread answered") })
            .collect();
        // The fault was armed for the followers' transaction only.
        self.after(&calls, 1)
    }

    /// Checks a step's answers against the log, then the whole state.
    /// `calls[faulted..]` ran in the transaction a fault was armed for.
    fn after(&mut self, calls: &[Call], faulted: usize) -> Result<(), String> {
        let fired = {
            let mut plan = lock(&self.plan);
            plan.fault = None;
            plan.gate = None;
            std::mem::take(&mut plan.fired)
        };
        for f in &fired {
            *self.totals.faults.entry(fault_name(f)).or_default() += 1;
        }
        let failing = fired.iter().any(|f| !matches!(f, Fault::ClockJump { .. }));
        for call in calls {
            self.totals.calls += 1;
            match &call.result {
                Ok(_) => self.totals.ok += 1,
                Err(e) => {
                    *self.totals.errors.entry(e.code()).or_default() += 1;
                    if e.code() == "INTERNAL" {
                        return Err(format!("{} answered INTERNAL: {e} ({:?})", call.op.name(), call.op));
                    }
                    if e.code() == "STORE_UNAVAILABLE" && !failing {
                        return Err(format!("{} answered STORE_UNAVAILABLE with no fault: {e}", call.op.name()));
                    }
                }
            }
            format!("{}:{:?}", call.client, call.result).hash(&mut self.digest);
        }
        // A fault that dooms its whole transaction dooms every write in it.
        let doomed = fired
            .iter()
            .any(|f| matches!(f, Fault::Open | Fault::Disconnect { .. } | Fault::CommitFails | Fault::ReplyLost));
        if doomed && let Some(call) = calls[faulted.min(calls.len())..].iter().find(|c| c.result.is_ok()) {
            return Err(format!("{} succeeded in a transaction that failed ({fired:?})", call.op.name()));
        }
        let reply_lost = fired.iter().any(|f| matches!(f, Fault::ReplyLost));
        self.check(calls, &fired)?;
        if reply_lost {
            self.resolve_ambiguous(calls)?;
        }
        Ok(())
    }

    /// After a commit whose reply was lost: each create is retried as it
    /// was sent and must answer with the booking that landed (or be decided
    /// now, if it had not), never twice.
    fn resolve_ambiguous(&mut self, calls: &[Call]) -> Result<(), String> {
        for call in calls {
            let Err(e) = &call.result else { continue };
            if e.code() != "STORE_UNAVAILABLE" {
                continue;
            }
            let items: Vec<NewBooking> = match &call.op {
                Op::Create(new) => vec![new.clone()],
                Op::Batch(items) => items.clone(),
                _ => continue,
            };
            let landed: Vec<Option<Booking>> = items
                .iter()
                .map(|n| {
                    let id = n.id.as_deref().expect("the sim names every booking");
                    self.replay.versions.get(&(id.to_string(), 1)).map(booking_of)
                })
                .collect();
            self.totals.ambiguous_retried += 1;
            let result = perform(&self.engine, &self.clients[call.client], &call.op);
            if landed.iter().any(Option::is_some) && !landed.iter().all(Option::is_some) {
                return Err(format!("a {} landed in part: {landed:?}", call.op.name()));
            }
            if landed.iter().all(Option::is_some) {
                let want: Vec<Booking> = landed.into_iter().flatten().collect();
                match &result {
                    Ok(Acked::Bookings(got)) if *got == want => {}
                    other => {
                        return Err(format!(
                            "retry of a {} whose commit landed answered {other:?}, not what landed: {want:?}",
                            call.op.name()
                        ));
                    }
                }
            }
            let retried = Call { client: call.client, op: call.op.clone(), result };
            self.after(std::slice::from_ref(&retried), 1)?;
        }
        Ok(())
    }

    /// The whole state against the log and the step's answers.
    fn check(&mut self, calls: &[Call], fired: &[Fault]) -> Result<(), String> {
        let t = &self.clients[0];
        let before = self.replay.last_seq;
        let events: Vec<Event> = all_events_since(t, before)?;
        for e in &events {
            self.replay.apply(e)?;
            format!("{e:?}").hash(&mut self.digest);
            if e.kind == EventType::Created
                && let Some(id) = &e.booking_id
            {
                self.ids.push(id.clone());
            }
        }
        self.totals.events += events.len() as u64;

        // Every acknowledged write is in the log as acknowledged.
        let mut explained: BTreeSet<i64> = BTreeSet::new();
        for call in calls {
            match &call.result {
                Ok(Acked::Bookings(bookings)) => {
                    for b in bookings {
                        let e = self.replay.versions.get(&(b.id.clone(), b.version)).ok_or_else(|| {
                            format!("acknowledged {} of {} v{} is not in the log", call.op.name(), b.id, b.version)
                        })?;
                        if booking_of(e) != *b {
                            return Err(format!("acknowledged {b:?} but the log has {e:?}"));
                        }
                        explained.insert(e.seq);
                    }
                }
                Ok(Acked::Resource(r)) => {
                    if self.replay.resources.get(&r.id) != Some(r) {
                        return Err(format!("acknowledged resource {r:?} is not the logged one"));
                    }
                    if let Some(e) = events
                        .iter()
                        .find(|e| e.kind == EventType::ResourceUpdated && e.data["resource"]["version"] == r.version)
                    {
                        explained.insert(e.seq);
                    }
                }
                Ok(Acked::Availability(a)) => {
                    if let Some(e) = events.iter().find(|e| {
                        e.kind == EventType::AvailabilitySet
                            && e.data["availability"]["resource_id"] == a.resource_id.as_str()
                            && e.data["availability"]["version"] == a.version
                    }) {
                        explained.insert(e.seq);
                    }
                }
                Ok(Acked::Swept(_)) | Err(_) => {}
            }
        }
        // Every new event is an acknowledged write, the engine's own expiry,
        // or (after a lost commit reply) a write of that transaction.
        let reply_lost = fired.contains(&Fault::ReplyLost);
        for e in &events {
            if explained.contains(&e.seq) || e.actor == SYSTEM_ACTOR || before == 0 {
                continue;
            }
            if reply_lost && calls.iter().any(|c| c.result.is_err() && format!("client-{}", c.client) == e.actor) {
                continue;
            }
            return Err(format!(
                "event {} ({} by {}) belongs to no acknowledged write",
                e.seq,
                e.kind.as_str(),
                e.actor
            ));
        }

        // The rows are the log's, and nothing is over capacity now.
        let rows = all_bookings(t)?;
        self.replay.matches_rows(&rows)?;
        let resources = all_resources(t)?;
        for r in &resources {
            if self.replay.resources.get(&r.id) != Some(r) {
                return Err(format!("resource row {r:?} is not what the log says"));
            }
        }
        let now = self.engine.now();
        self.totals.instants += check_capacity_naive(&resources, &rows, now)? as u64;
        self.check_free_busy(&resources, &rows, now)?;
        self.check_listing(&resources, &rows)?;
        // A sweep that succeeded left no hold behind that had lapsed when it began.
        for call in calls {
            if let (Op::Sweep, Ok(_)) = (&call.op, &call.result) {
                let began = self.step_began;
                if let Some(b) =
                    rows.iter().find(|b| b.status == Status::Hold && b.hold_expires_at.is_some_and(|at| at <= began))
                {
                    return Err(format!(
                        "a sweep succeeded but hold {} expired at {:?} is left",
                        b.id, b.hold_expires_at
                    ));
                }
            }
        }
        Ok(())
    }
}

impl Sim {
    /// Reads go through the read cache: one resource's day must show
    /// exactly the blocking bookings the rows hold, also after a commit
    /// whose reply was lost (the engine could not tell its cache).
    fn check_free_busy(&mut self, resources: &[Resource], rows: &[Booking], now: Timestamp) -> Result<(), String> {
        let r = self.rng.pick(resources).clone();
        let day = DAY0_US + self.rng.below(DAYS as u64) as i64 * DAY_US;
        let (start, end) = (ts(day), ts(day + DAY_US));
        let got =
            self.clients[0].free_busy(std::slice::from_ref(&r.id), start, end).map_err(|e| hf("free_busy", &e))?;
        let got: Vec<_> =
            got[0].busy.iter().map(|b| (b.start, b.booking_id.as_str(), b.end, b.status, b.quantity)).collect();
        let mut want: Vec<_> = rows
            .iter()
            .filter(|b| b.resource_id == r.id && blocks_at(b, now))
            .filter_map(|b| {
                let (s, e) = footprint(b, &r);
                let (s, e) = (s.max(start.as_micros()), e.min(end.as_micros()));
                (s < e).then(|| (ts(s), b.id.as_str(), ts(e), b.status, b.quantity))
            })
            .collect();
        want.sort();
        if got != want {
            return Err(format!("free_busy of {} on {start}: {got:?}, the rows say {want:?}", r.id));
        }
        Ok(())
    }
}

impl Sim {
    /// `list_bookings` of one or two resources over a window answers from
    /// the read cache: page by page, under a status filter, it must list
    /// exactly the rows, also after a commit whose reply was lost.
    fn check_listing(&mut self, resources: &[Resource], rows: &[Booking]) -> Result<(), String> {
        // One resource, or two (maybe the same one twice).
        let mut ids = vec![self.rng.pick(resources).id.clone()];
        if self.rng.below(3) == 0 {
            ids.push(self.rng.pick(resources).id.clone());
        }
        let start = DAY0_US + self.rng.below(DAYS as u64) as i64 * DAY_US;
        let end = start + (1 + self.rng.below(DAYS as u64) as i64) * DAY_US;
        let statuses: Vec<Status> = match self.rng.below(3) {
            0 => Vec::new(),
            1 => vec![Status::Hold, Status::Pencil, Status::Confirmed],
            _ => vec![Status::Cancelled, Status::Expired, Status::Hold],
        };
        let mut want: Vec<&Booking> = rows
            .iter()
            .filter(|b| ids.contains(&b.resource_id) && b.start.as_micros() < end && start < b.end.as_micros())
            .filter(|b| statuses.is_empty() || statuses.contains(&b.status))
            .collect();
        want.sort_by(|a, b| (a.start, &a.id).cmp(&(b.start, &b.id)));
        let mut got = Vec::new();
        let mut cursor = None;
        loop {
            let filter = BookingFilter {
                resource_ids: ids.clone(),
                statuses: statuses.clone(),
                start: Some(ts(start)),
                end: Some(ts(end)),
                limit: Some(1 + self.rng.below(6) as usize),
                cursor,
                ..Default::default()
            };
            let page = self.clients[0].list_bookings(&filter).map_err(|e| hf("list_bookings", &e))?;
            got.extend(page.items);
            match page.next_cursor {
                Some(next) => cursor = Some(next),
                None => break,
            }
        }
        if got.iter().ne(want.iter().copied()) {
            return Err(format!(
                "listing of {ids:?} over [{}, {}) with {statuses:?}: {:?}, the rows say {:?}",
                ts(start),
                ts(end),
                got.iter().map(|b| (&b.id, b.status, b.version)).collect::<Vec<_>>(),
                want.iter().map(|b| (&b.id, b.status, b.version)).collect::<Vec<_>>()
            ));
        }
        Ok(())
    }
}

fn booking_of(e: &Event) -> Booking {
    serde_json::from_value(e.data["booking"].clone()).expect("booking events carry the booking")
}

fn all_events_since(t: &Tenant, since: i64) -> Result<Vec<Event>, String> {
    let mut out = Vec::new();
    let mut since = since;
    loop {
        let page = t.events(since, 1000).map_err(|e| hf("events", &e))?;
        let Some(last) = page.last() else { return Ok(out) };
        since = last.seq;
        out.extend(page);
    }
}

/// One seed, start to end: setup, steps, then a reopen that must find every
/// acknowledged write. Returns the run's digest.
fn run_seed(seed: u64, steps: u64, store: &TestStore, totals: &mut Totals) -> Result<u64, String> {
    let dir = tempfile::tempdir().map_err(|e| format!("tempdir: {e}"))?;
    let url = match store {
        TestStore::Sqlite => format!("sqlite://{}", dir.path().join("sim.db").display()),
        TestStore::Postgres { .. } => store.fresh_url(),
    };
    let mut sim = Sim::new(seed, &url)?;
    for index in 0..steps {
        sim.step(index).map_err(|e| format!("step {index}: {e}"))?;
    }
    // Reopened, the database holds exactly what the log replayed to.
    let clock = sim.clock.clone();
    let replay = std::mem::take(&mut sim.replay);
    let digest = sim.digest.finish();
    totals.add(&sim.totals);
    drop(sim);
    let engine = open_engine(&url, &clock, &Arc::new(Mutex::new(Plan::default())))?;
    let t = engine.tenant(TENANT).map_err(|e| hf("tenant after reopening", &e))?;
    let events = all_events(&t)?;
    if events.len() as i64 != replay.last_seq {
        return Err(format!("reopened: {} events, the run ended at seq {}", events.len(), replay.last_seq));
    }
    replay.matches_rows(&all_bookings(&t)?).map_err(|e| format!("reopened: {e}"))?;
    Ok(digest)
}

fn env_u64(name: &str) -> Option<u64> {
    let value = std::env::var(name).ok()?;
    Some(value.trim().parse().unwrap_or_else(|_| panic!("{name}={value:?} is not a whole number")))
}

fn main() {
    // `cargo test` passes harness flags (and a filter); a listing asks for nothing.
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    let steps = env_u64(STEPS_VAR).unwrap_or(120);
    let only_seed = env_u64(SEED_VAR);
    let seconds = env_u64(SECONDS_VAR);
    let wanted_store = std::env::var(STORE_VAR).ok();
    let stores: Vec<TestStore> = common::stores()
        .into_iter()
        .filter(|s| wanted_store.as_deref().is_none_or(|w| s.name().to_lowercase().starts_with(&w.to_lowercase())))
        .collect();
    if stores.is_empty() {
        eprintln!("{STORE_VAR}={wanted_store:?} names none of the stores under test (SQLite; PostgreSQL when set up)");
        std::process::exit(1);
    }
    let started = Instant::now();
    let mut failed = 0;
    let mut summary = Vec::new();
    for store in &stores {
        let default_seeds = if store.is_postgres() { 40 } else { 300 };
        let seeds_wanted = env_u64(SEEDS_VAR).unwrap_or(default_seeds);
        let base = only_seed.unwrap_or_else(|| {
            let mut h = DefaultHasher::new();
            (std::process::id(), Instant::now()).hash(&mut h);
            std::time::SystemTime::now().hash(&mut h);
            h.finish()
        });
        let replay_cmd = |seed: u64| {
            let features = if store.is_postgres() { " --features postgres" } else { "" };
            format!("{SEED_VAR}={seed} {STORE_VAR}={} cargo test -p holdfast{features} --test sim", store.name())
        };
        println!("sim on {}: seeds from {base} ({steps} steps each)", store.name());
        let mut totals = Totals::default();
        let store_started = Instant::now();
        let mut n = 0u64;
        loop {
            let more = match (only_seed, seconds) {
                (Some(_), _) => n < 1,
                (None, Some(s)) => store_started.elapsed() < Duration::from_secs(s),
                (None, None) => n < seeds_wanted,
            };
            if !more {
                break;
            }
            let seed = base.wrapping_add(n.wrapping_mul(0x9E37_79B9_7F4A_7C15));
            n += 1;
            let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                let first = run_seed(seed, steps, store, &mut totals)?;
                // The first seed runs twice: a run must be a function of its seed.
                if n == 1 {
                    let mut again = Totals::default();
                    let second = run_seed(seed, steps, store, &mut again)?;
                    if first != second {
                        return Err(format!(
                            "seed {seed} ran twice to different outcomes (digests {first} / {second})"
                        ));
                    }
                }
                Ok(())
            }))
            .unwrap_or_else(|p| Err(format!("panicked: {}", panic_message(&*p))));
            if let Err(e) = outcome {
                failed += 1;
                println!("FAIL sim on {} seed {seed}: {e}\n  replay: {}", store.name(), replay_cmd(seed));
                if failed >= 3 {
                    break;
                }
            }
        }
        summary.push(format!(
            "sim on {}: {n} seeds x {steps} steps in {:.1} s: {} writes ({} ok; errors {:?}), {} bursts ({} shared a \
             commit), faults {:?}, {} lost-reply writes retried, {} events replayed, {} capacity instants",
            store.name(),
            store_started.elapsed().as_secs_f64(),
            totals.calls,
            totals.ok,
            totals.errors,
            totals.bursts,
            totals.shared_batches,
            totals.faults,
            totals.ambiguous_retried,
            totals.events,
            totals.instants,
        ));
    }
    for line in &summary {
        println!("{line}");
    }
    println!("sim: {:.1} s in all; {failed} failed", started.elapsed().as_secs_f64());
    if failed > 0 {
        std::process::exit(1);
    }
}
