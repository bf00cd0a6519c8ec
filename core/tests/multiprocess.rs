//! Real OS processes on one SQLite file (DESIGN.md sections 3 and 7).
//!
//! `harness = false`: this binary is its own runner. Started by cargo it is
//! the parent; it re-executes itself (`current_exe`) with `HOLDFAST_MP_ROLE`
//! set to play a child.
//!
//! * **process race**: four processes hammer one file at once with creates,
//!   batches, pencil/confirm/cancel/decline/extend and reschedules (also to
//!   another resource) on a few overlapping slots. The parent then replays
//!   the whole event log against a naive model (the transition table of
//!   section 3, capacity at every boundary instant, gap-free `seq`), checks
//!   the final rows against the replay, and matches the log one-to-one with
//!   the writes the children were told succeeded.
//! * **crash recovery**: 24 times, a child writing 50-booking
//!   `create_bookings` batches into one growing file is killed with SIGKILL
//!   after a random delay. The file must reopen through `Engine::open`, pass
//!   `PRAGMA integrity_check`, hold every batch the child saw committed, hold
//!   no batch in part, and still satisfy the capacity invariant.
//!
//! Ends with `N passed, M failed`; exits 1 on any failure. The seed is
//! printed first; `HOLDFAST_MP_SEED=<seed>` replays the parent's and the
//! children's choices (process timing still varies).
//!
//! SQLite only for now (unlike the tests that loop over
//! `common::stores()`): both drills are about one database file shared by
//! processes, and the crash check reads the file with rusqlite.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::run_scenario;

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::fmt::Write as _;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::thread;
use std::time::{Duration, Instant};

use chrono::TimeDelta;
use common::ResourceSpec;
use common::child::{Line, lines_of};
use common::replay::{Replay, all_bookings, all_events, all_resources};
use common::rng::{Rng, child_seed};
use common::{blocks_at, check_capacity_naive, integrity_check};
use holdfast::{
    Booking, BookingFilter, Engine, Error, Event, EventType, HoldExpiry, NewBooking, NewResource, Reschedule, Status,
    Tenant, Timestamp,
};

const ROLE_VAR: &str = "HOLDFAST_MP_ROLE";
const DB_VAR: &str = "HOLDFAST_MP_DB";
const SEED_VAR: &str = "HOLDFAST_MP_SEED";
const INDEX_VAR: &str = "HOLDFAST_MP_INDEX";

const TENANT: &str = "mp";
/// Generous: four writers on two cores queue for one lock, and a busy
/// store must never be what the race reports.
const BUSY_TIMEOUT: Duration = Duration::from_secs(30);
const READY_TIMEOUT: Duration = Duration::from_secs(30);

const RACE_CHILDREN: usize = 4;
const RACE_OPS_PER_CHILD: usize = 500;
const RACE_DEADLINE: Duration = Duration::from_secs(120);
/// A child re-reads everyone's bookings every this many operations, so it
/// also acts on the other children's bookings (with stale versions too).
const RACE_SHARED_REFRESH_OPS: usize = 20;
/// Longest pause of a race child between two calls.
const RACE_THINK_US_MAX: u64 = 1_500;
/// Holds that must not expire during the test.
const LONG_HOLD_TTL: TimeDelta = TimeDelta::days(1);
/// A few holds do expire mid-race, to exercise expiry across processes.
const SHORT_HOLD_TTL: TimeDelta = TimeDelta::milliseconds(100);
/// Share of race holds (created or extended) given the short TTL, in percent.
const SHORT_HOLD_PERCENT: u64 = 40;

const CRASH_TRIALS: usize = 24;
const CRASH_BATCH: usize = 50;
const CRASH_RESOURCES: usize = 40;
/// Hour-long slots the crash child books into (about 2.3 years).
const CRASH_SLOTS: u64 = 20_000;
const CRASH_DELAY_MS_MIN: u64 = 5;
const CRASH_DELAY_MS_MAX: u64 = 80;
/// A crash child that was never killed stops by itself after this long.
const CRASH_CHILD_MAX: Duration = Duration::from_secs(30);

const MINUTE_US: i64 = 60_000_000;
const HOUR_US: i64 = 60 * MINUTE_US;
/// 2030-03-04T09:00:00Z: every booking of the test starts from here.
const BASE_US: i64 = 1_898_845_200 * 1_000_000;

fn main() {
    match std::env::var(ROLE_VAR).as_deref() {
        Ok("race") => race_child(),
        Ok("crash") => crash_child(),
        Ok(other) => {
            eprintln!("unknown {ROLE_VAR} {other:?}");
            std::process::exit(2);
        }
        Err(_) => parent(),
    }
}

// ---------------------------------------------------------------------------
// Parent: runner
// ---------------------------------------------------------------------------

type Scenario = fn(u64) -> Result<String, String>;

fn parent() {
    let seed = match std::env::var(SEED_VAR) {
        Ok(text) => text.trim().parse().expect("HOLDFAST_MP_SEED must be an unsigned integer"),
        Err(_) => {
            let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
            nanos.as_nanos() as u64
        }
    };
    println!("multiprocess: seed {seed} (set {SEED_VAR}={seed} to replay)");
    let scenarios: [(&str, Scenario); 2] = [("process race", process_race), ("crash recovery", crash_recovery)];
    let (mut passed, mut failed) = (0, 0);
    let started = Instant::now();
    for (name, run) in scenarios {
        println!("--- {name}");
        if run_scenario(name, &format!(", seed {seed}"), || run(seed)) {
            passed += 1;
        } else {
            failed += 1;
        }
    }
    println!("multiprocess: {:.1} s in all", started.elapsed().as_secs_f64());
    println!("{passed} passed, {failed} failed");
    if failed > 0 {
        std::process::exit(1);
    }
}

// ---------------------------------------------------------------------------
// Shared helpers
// ---------------------------------------------------------------------------

fn open_engine(path: &Path) -> holdfast::Result<Engine> {
    Engine::builder().url(format!("sqlite://{}", path.display())).busy_timeout(BUSY_TIMEOUT).open()
}

/// An engine error as a test failure message.
fn hf(what: &str, error: &Error) -> String {
    format!("{what}: {} {error}", error.code())
}

fn ts(us: i64) -> Timestamp {
    Timestamp::from_micros(us)
}

/// A child process; killed and reaped when dropped, whatever happened.
struct Proc {
    name: String,
    child: Child,
    stdin: Option<ChildStdin>,
    lines: Receiver<Line>,
}

impl Proc {
    fn spawn(role: &str, db: &Path, seed: u64, index: usize, with_stdin: bool) -> Result<Proc, String> {
        let exe = std::env::current_exe().map_err(|e| format!("current_exe: {e}"))?;
        let name = format!("{role} child {index}");
        let mut child = Command::new(exe)
            .env(ROLE_VAR, role)
            .env(DB_VAR, db)
            .env(SEED_VAR, seed.to_string())
            .env(INDEX_VAR, index.to_string())
            .stdin(if with_stdin { Stdio::piped() } else { Stdio::null() })
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .map_err(|e| format!("spawn {name}: {e}"))?;
        let stdin = child.stdin.take();
        let stdout = child.stdout.take().ok_or("no stdout pipe")?;
        let lines = lines_of(stdout);
        Ok(Proc { name, child, stdin, lines })
    }

    fn expect_ready(&self) -> Result<(), String> {
        match self.lines.recv_timeout(READY_TIMEOUT) {
            Ok(Line::Complete(line)) if line == "ready" => Ok(()),
            Ok(Line::Complete(line) | Line::Partial(line)) => {
                Err(format!("{}: expected \"ready\", got {line:?}", self.name))
            }
            Err(RecvTimeoutError::Timeout) => Err(format!("{}: not ready within {READY_TIMEOUT:?}", self.name)),
            Err(RecvTimeoutError::Disconnected) => Err(format!("{}: exited before it was ready", self.name)),
        }
    }

    fn go(&mut self) -> Result<(), String> {
        let mut stdin = self.stdin.take().ok_or("no stdin pipe")?;
        stdin.write_all(b"go\n").and_then(|()| stdin.flush()).map_err(|e| format!("{}: go: {e}", self.name))
    }

    /// Everything the child wrote; call once it has been reaped.
    fn drain(&self) -> Vec<Line> {
        self.lines.iter().collect()
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// For children: the environment the parent set.
struct ChildEnv {
    db: PathBuf,
    seed: u64,
    index: usize,
}

fn child_env() -> ChildEnv {
    let var = |name: &str| std::env::var(name).unwrap_or_else(|_| child_fail(&format!("{name} is not set")));
    ChildEnv {
        db: PathBuf::from(var(DB_VAR)),
        seed: var(SEED_VAR).parse().unwrap_or_else(|_| child_fail("bad seed")),
        index: var(INDEX_VAR).parse().unwrap_or_else(|_| child_fail("bad index")),
    }
}

/// Writes one line and flushes it, so the parent sees it at once.
fn say(line: &str) {
    let mut out = std::io::stdout().lock();
    // A parent that went away cannot be told anything: just stop.
    if writeln!(out, "{line}").and_then(|()| out.flush()).is_err() {
        std::process::exit(5);
    }
}

fn child_fail(message: &str) -> ! {
    say(&format!("fail {message}"));
    std::process::exit(3);
}

// ---------------------------------------------------------------------------
// Scenario 1: process race
// ---------------------------------------------------------------------------

const RACE_RESOURCES: [ResourceSpec; 5] = [
    ResourceSpec { id: "solo-a", capacity: 1, before_min: 0, after_min: 0 },
    ResourceSpec { id: "solo-b", capacity: 1, before_min: 0, after_min: 0 },
    ResourceSpec { id: "trio", capacity: 3, before_min: 0, after_min: 0 },
    ResourceSpec { id: "buffered", capacity: 1, before_min: 15, after_min: 30 },
    ResourceSpec { id: "duo-buffered", capacity: 2, before_min: 0, after_min: 30 },
];

/// A write a child was told succeeded:
/// `ok <op> <id> <resource> <start_us> <end_us> <qty> <status> <version>`.
#[derive(Debug)]
struct Ack {
    child: usize,
    op: String,
    id: String,
    resource: String,
    start_us: i64,
    end_us: i64,
    quantity: u32,
    status: Status,
    version: i64,
}

fn parse_ack(child: usize, line: &str) -> Result<Ack, String> {
    let f: Vec<&str> = line.split(' ').collect();
    let bad = || format!("child {child}: malformed line {line:?}");
    if f.len() != 9 || f[0] != "ok" {
        return Err(bad());
    }
    Ok(Ack {
        child,
        op: f[1].into(),
        id: f[2].into(),
        resource: f[3].into(),
        start_us: f[4].parse().map_err(|_| bad())?,
        end_us: f[5].parse().map_err(|_| bad())?,
        quantity: f[6].parse().map_err(|_| bad())?,
        status: Status::parse(f[7]).map_err(|_| bad())?,
        version: f[8].parse().map_err(|_| bad())?,
    })
}

/// `summary key=value ...` into a map.
fn parse_summary(line: &str) -> Result<BTreeMap<String, u64>, String> {
    line.split(' ')
        .skip(1)
        .map(|kv| {
            let (k, v) = kv.split_once('=').ok_or_else(|| format!("malformed summary {line:?}"))?;
            Ok((k.to_owned(), v.parse().map_err(|_| format!("malformed summary {line:?}"))?))
        })
        .collect()
}

const SUMMARY_KEYS: [&str; 8] =
    ["ops", "calls_ok", "written", "conflict", "invalid_transition", "version_mismatch", "hold_expired", "ms"];

fn process_race(seed: u64) -> Result<String, String> {
    let dir = tempfile::tempdir().map_err(|e| format!("tempdir: {e}"))?;
    let path = dir.path().join("race.db");
    let engine = open_engine(&path).map_err(|e| hf("open", &e))?;
    engine.create_tenant(TENANT, "Multiprocess race").map_err(|e| hf("create_tenant", &e))?;
    let t = engine.tenant(TENANT).map_err(|e| hf("tenant", &e))?;
    for spec in &RACE_RESOURCES {
        t.create_resource(spec.new_resource()).map_err(|e| hf("create_resource", &e))?;
    }

    let mut procs = Vec::new();
    for index in 0..RACE_CHILDREN {
        procs.push(Proc::spawn("race", &path, child_seed(seed, index), index, true)?);
    }
    for p in &procs {
        p.expect_ready()?;
    }
    // Every child has its engine open; release them together.
    let started = Instant::now();
    for p in &mut procs {
        p.go()?;
    }
    let deadline = started + RACE_DEADLINE;
    let mut exits = vec![None; procs.len()];
    while exits.iter().any(Option::is_none) {
        for (p, exit) in procs.iter_mut().zip(&mut exits) {
            if exit.is_none() {
                *exit = p.child.try_wait().map_err(|e| format!("{}: wait: {e}", p.name))?;
            }
        }
        if Instant::now() > deadline {
            return Err(format!("children still running after {RACE_DEADLINE:?}"));
        }
        thread::sleep(Duration::from_millis(10));
    }
    let race_secs = started.elapsed().as_secs_f64();

    // What the children report.
    let mut acks = Vec::new();
    let mut totals: BTreeMap<String, u64> = BTreeMap::new();
    let mut report = Vec::new();
    for (index, (p, exit)) in procs.iter().zip(&exits).enumerate() {
        let mut summary = None;
        let mut written = 0;
        for line in p.drain() {
            match line {
                Line::Complete(l) if l.starts_with("ok ") => {
                    acks.push(parse_ack(index, &l)?);
                    written += 1;
                }
                Line::Complete(l) if l.starts_with("summary ") => summary = Some(parse_summary(&l)?),
                Line::Complete(l) | Line::Partial(l) => return Err(format!("{}: {l}", p.name)),
            }
        }
        let exit = exit.expect("waited above");
        if !exit.success() {
            return Err(format!("{} exited with {exit}", p.name));
        }
        let summary = summary.ok_or_else(|| format!("{} printed no summary", p.name))?;
        for key in SUMMARY_KEYS {
            if !summary.contains_key(key) {
                return Err(format!("{}: summary lacks {key}", p.name));
            }
        }
        let outcomes: u64 = ["calls_ok", "conflict", "invalid_transition", "version_mismatch", "hold_expired"]
            .iter()
            .map(|k| summary[*k])
            .sum();
        if summary["ops"] != RACE_OPS_PER_CHILD as u64 || outcomes != summary["ops"] || summary["written"] != written {
            return Err(format!("{}: counts do not add up: {summary:?}, {written} ack lines", p.name));
        }
        report.push(format!(
            "  child {index}: {} ops in {} ms, {} ok ({} bookings written), {} conflict, {} invalid_transition, \
             {} version_mismatch, {} hold_expired",
            summary["ops"],
            summary["ms"],
            summary["calls_ok"],
            summary["written"],
            summary["conflict"],
            summary["invalid_transition"],
            summary["version_mismatch"],
            summary["hold_expired"]
        ));
        for (k, v) in summary {
            *totals.entry(k).or_default() += v;
        }
    }
    for line in &report {
        println!("{line}");
    }
    // The workload must really have collided, or it proves nothing.
    if totals["conflict"] == 0 || totals["calls_ok"] == 0 {
        return Err(format!("degenerate workload: {totals:?}"));
    }

    // The log: gap-free, legal, within capacity at every step.
    let events = all_events(&t)?;
    let mut replay = Replay::default();
    for e in &events {
        replay.apply(e)?;
    }
    // The processes really interleaved: count changes of writer in the log.
    let writers: Vec<&str> = events.iter().map(|e| e.actor.as_str()).filter(|a| a.starts_with("child-")).collect();
    let switches = writers.windows(2).filter(|w| w[0] != w[1]).count();
    if switches < RACE_CHILDREN * 5 {
        return Err(format!("the children barely interleaved: {switches} writer switches in the log"));
    }

    // The rows are what the log says.
    let rows = all_bookings(&t)?;
    replay.matches_rows(&rows)?;

    // Every acknowledged write is in the log, exactly once, as acknowledged;
    // and nothing is in the log that no child was told about (bar expiry).
    let mut op_counts: BTreeMap<&str, usize> = BTreeMap::new();
    let mut cross_resource = 0;
    let mut acked = HashSet::new();
    for ack in &acks {
        let event = replay
            .versions
            .get(&(ack.id.clone(), ack.version))
            .ok_or_else(|| format!("acknowledged write missing from the log: {ack:?}"))?;
        let kind = match ack.op.as_str() {
            "create" | "batch" => EventType::Created,
            "pencil" => EventType::Pencilled,
            "confirm" => EventType::Confirmed,
            "cancel" => EventType::Cancelled,
            "decline" => EventType::Declined,
            "extend" => EventType::HoldExtended,
            "reschedule" => EventType::Rescheduled,
            other => return Err(format!("unknown op {other:?} in {ack:?}")),
        };
        let b: Booking = serde_json::from_value(event.data["booking"].clone()).map_err(|e| e.to_string())?;
        let same = event.kind == kind
            && event.actor == format!("child-{}", ack.child)
            && (b.resource_id.as_str(), b.start.as_micros(), b.end.as_micros(), b.quantity, b.status)
                == (ack.resource.as_str(), ack.start_us, ack.end_us, ack.quantity, ack.status);
        if !same {
            return Err(format!("acknowledged {ack:?} but the log has {event:?}"));
        }
        if !acked.insert((ack.id.as_str(), ack.version)) {
            return Err(format!("two acknowledgements of one version: {ack:?}"));
        }
        if kind == EventType::Rescheduled && event.data["previous"]["resource_id"] != ack.resource.as_str() {
            cross_resource += 1;
        }
        *op_counts.entry(ack.op.as_str()).or_default() += 1;
    }
    if let Some(stranger) = replay.by_actor.keys().find(|a| !a.starts_with("child-")) {
        return Err(format!("a booking event by {stranger:?}: only the children write bookings"));
    }
    let child_events: usize = replay.by_actor.values().sum();
    if acks.len() != child_events {
        return Err(format!(
            "{} acknowledged writes but {child_events} child events in the log: a write committed without success",
            acks.len(),
        ));
    }
    for op in ["create", "batch", "confirm", "cancel", "reschedule"] {
        if !op_counts.contains_key(op) {
            return Err(format!("no {op} ever succeeded: {op_counts:?}"));
        }
    }
    // Every booking a child created is there.
    let created = acks.iter().filter(|a| matches!(a.op.as_str(), "create" | "batch")).count();
    for ack in acks.iter().filter(|a| matches!(a.op.as_str(), "create" | "batch")) {
        t.get_booking(&ack.id).map_err(|e| hf(&format!("get_booking {} acknowledged as created", ack.id), &e))?;
    }

    // Each booking's history is its slice of the log.
    for b in &rows {
        let history = t.history(&b.id).map_err(|e| hf("history", &e))?;
        let seqs: Vec<i64> = history.iter().map(|e| e.seq).collect();
        if Some(&seqs) != replay.seqs.get(&b.id) || history.iter().any(|e| e.booking_id.as_deref() != Some(&b.id)) {
            return Err(format!("history of {} is {seqs:?}, the log says {:?}", b.id, replay.seqs.get(&b.id)));
        }
    }

    // The naive model on the final rows, judged now.
    let resources = all_resources(&t)?;
    let now = engine.now();
    let instants = check_capacity_naive(&resources, &rows, now)?;

    // Sweeping turns exactly the lapsed holds into `expired`.
    let lapsed_before = rows.iter().filter(|b| b.status == Status::Hold && !blocks_at(b, now)).count();
    let swept = engine.sweep_expired().map_err(|e| hf("sweep_expired", &e))?;
    let later = engine.now();
    let lapsed_after = rows.iter().filter(|b| b.status == Status::Hold && !blocks_at(b, later)).count();
    if !(lapsed_before..=lapsed_after).contains(&swept) {
        return Err(format!("swept {swept} holds, expected {lapsed_before}..={lapsed_after}"));
    }
    let events_after = all_events(&t)?;
    if events_after.len() != events.len() + swept || events_after[..events.len()] != events[..] {
        return Err(format!("sweep of {swept} wrote {} events", events_after.len() - events.len()));
    }
    for e in &events_after[events.len()..] {
        replay.apply(e)?;
    }
    replay.matches_rows(&all_bookings(&t)?)?;

    let blocking_now = rows.iter().filter(|b| blocks_at(b, now)).count();
    Ok(format!(
        "{RACE_CHILDREN} processes x {RACE_OPS_PER_CHILD} ops in {race_secs:.1} s: {} calls ok, {} conflict, \
         {} invalid_transition, {} version_mismatch, {} hold_expired; {} acknowledged writes ({created} bookings \
         created, ops {op_counts:?}, {cross_resource} moved to another resource) all matched one-to-one in a \
         gap-free log of {} events with {switches} writer switches and {} engine expiries; {} bookings \
         ({blocking_now} blocking), capacity checked at {} replay + {instants} final instants; {swept} lapsed holds swept",
        totals["calls_ok"],
        totals["conflict"],
        totals["invalid_transition"],
        totals["version_mismatch"],
        totals["hold_expired"],
        acks.len(),
        events.len(),
        replay.expiries - swept,
        rows.len(),
        replay.instants,
    ))
}

/// What a child knows of a booking.
#[derive(Debug, Clone)]
struct Known {
    id: String,
    resource: String,
    quantity: u32,
    version: i64,
    status: Status,
}

impl Known {
    fn of(b: &Booking) -> Known {
        Known {
            id: b.id.clone(),
            resource: b.resource_id.clone(),
            quantity: b.quantity,
            version: b.version,
            status: b.status,
        }
    }
}

#[derive(Default)]
struct Counts {
    ops: u64,
    calls_ok: u64,
    written: u64,
    conflict: u64,
    invalid_transition: u64,
    version_mismatch: u64,
    hold_expired: u64,
}

struct RaceChild {
    t: Tenant,
    rng: Rng,
    mine: Vec<Known>,
    shared: Vec<Known>,
    out: String,
    counts: Counts,
}

fn race_child() {
    let env = child_env();
    let engine = open_engine(&env.db).unwrap_or_else(|e| child_fail(&hf("open", &e)));
    let t = engine
        .tenant(TENANT)
        .and_then(|t| t.as_actor(&format!("child-{}", env.index)))
        .unwrap_or_else(|e| child_fail(&hf("tenant", &e)));
    say("ready");
    let mut go = String::new();
    if std::io::stdin().read_line(&mut go).is_err() || go.trim() != "go" {
        child_fail("no go from the parent");
    }
    let started = Instant::now();
    let mut child = RaceChild {
        t,
        rng: Rng::new(env.seed),
        mine: Vec::new(),
        shared: Vec::new(),
        out: String::new(),
        counts: Counts::default(),
    };
    let outcome = (0..RACE_OPS_PER_CHILD).try_for_each(|op| {
        child.step(op)?;
        // A client thinks between calls. Without it the lock holder runs
        // back to back while the others sleep in SQLite's busy backoff, and
        // the "race" degenerates into a few long turns.
        thread::sleep(Duration::from_micros(child.rng.below(RACE_THINK_US_MAX)));
        Ok::<(), String>(())
    });
    let c = &child.counts;
    let mut text = std::mem::take(&mut child.out);
    let failed = outcome.is_err();
    match outcome {
        Ok(()) => {
            let _ = writeln!(
                text,
                "summary ops={} calls_ok={} written={} conflict={} invalid_transition={} version_mismatch={} \
                 hold_expired={} ms={}",
                c.ops,
                c.calls_ok,
                c.written,
                c.conflict,
                c.invalid_transition,
                c.version_mismatch,
                c.hold_expired,
                started.elapsed().as_millis()
            );
        }
        Err(reason) => {
            let _ = writeln!(text, "fail {reason}");
        }
    }
    let mut out = std::io::stdout().lock();
    if out.write_all(text.as_bytes()).and_then(|()| out.flush()).is_err() || failed {
        std::process::exit(3);
    }
}

const CHANGE_CODES: [&str; 3] = ["INVALID_TRANSITION", "VERSION_MISMATCH", "HOLD_EXPIRED"];

impl RaceChild {
    fn step(&mut self, op: usize) -> Result<(), String> {
        self.counts.ops += 1;
        if op.is_multiple_of(RACE_SHARED_REFRESH_OPS) {
            let rows = self
                .t
                .list_bookings(&BookingFilter { limit: Some(1000), ..Default::default() })
                .map_err(|e| hf("list_bookings", &e))?;
            self.shared = rows.items.iter().map(Known::of).collect();
        }
        let roll = self.rng.below(100);
        if roll < 30 || (self.mine.is_empty() && self.shared.is_empty()) {
            return self.create_one();
        }
        match roll {
            30..40 => self.create_batch(),
            40..48 => self.act("pencil"),
            48..60 => self.act("confirm"),
            60..72 => self.act("cancel"),
            72..77 => self.act("decline"),
            77..83 => self.act("extend"),
            _ => self.reschedule(),
        }
    }

    /// A random booking on one of a few overlapping slots.
    fn new_booking(&mut self) -> NewBooking {
        let spec = self.rng.pick(&RACE_RESOURCES);
        let (start, end) = self.slot();
        let status = *self.rng.pick(&[Status::Hold, Status::Pencil, Status::Confirmed]);
        let hold_ttl = (status == Status::Hold).then(|| self.hold_ttl());
        NewBooking {
            resource_id: spec.id.into(),
            start,
            end,
            status,
            quantity: self.rng.range(1, u64::from(spec.capacity)) as u32,
            hold_ttl,
            ..Default::default()
        }
    }

    /// Starts on the half hour over six hours, 30 to 90 minutes long.
    fn slot(&mut self) -> (Timestamp, Timestamp) {
        let start = BASE_US + self.rng.below(12) as i64 * 30 * MINUTE_US;
        let length = self.rng.range(1, 3) as i64 * 30 * MINUTE_US;
        (ts(start), ts(start + length))
    }

    fn hold_ttl(&mut self) -> TimeDelta {
        if self.rng.chance(SHORT_HOLD_PERCENT) { SHORT_HOLD_TTL } else { LONG_HOLD_TTL }
    }

    /// Mostly my own bookings, sometimes anyone's (then often stale);
    /// mostly ones last seen live, sometimes finished ones.
    fn pick_target(&mut self) -> Known {
        let pool = if !self.shared.is_empty() && (self.mine.is_empty() || self.rng.chance(40)) {
            &self.shared
        } else {
            &self.mine
        };
        let live: Vec<&Known> = pool.iter().filter(|k| !k.status.is_terminal()).collect();
        if !live.is_empty() && self.rng.chance(85) {
            (*self.rng.pick(&live)).clone()
        } else {
            self.rng.pick(pool).clone()
        }
    }

    fn remember(&mut self, b: &Booking) {
        match self.mine.iter_mut().find(|k| k.id == b.id) {
            Some(known) => *known = Known::of(b),
            None => self.mine.push(Known::of(b)),
        }
    }

    /// Counts an outcome; an error outside `allowed` fails the child.
    fn record(
        &mut self,
        op: &str,
        result: holdfast::Result<Vec<Booking>>,
        allowed: &[&str],
    ) -> Result<Vec<Booking>, String> {
        match result {
            Ok(bookings) => {
                self.counts.calls_ok += 1;
                for b in &bookings {
                    self.counts.written += 1;
                    let _ = writeln!(
                        self.out,
                        "ok {op} {} {} {} {} {} {} {}",
                        b.id,
                        b.resource_id,
                        b.start.as_micros(),
                        b.end.as_micros(),
                        b.quantity,
                        b.status,
                        b.version
                    );
                }
                Ok(bookings)
            }
            Err(e) if allowed.contains(&e.code()) => {
                match e.root() {
                    Error::Conflict { conflicts, .. } => {
                        // Quantities never exceed capacity here, so a "no"
                        // must name what stands in the way.
                        if conflicts.is_empty() {
                            return Err(format!("{op}: CONFLICT naming no booking: {e}"));
                        }
                        self.counts.conflict += 1;
                    }
                    Error::InvalidTransition { .. } => self.counts.invalid_transition += 1,
                    Error::VersionMismatch { .. } => self.counts.version_mismatch += 1,
                    Error::HoldExpired { .. } => self.counts.hold_expired += 1,
                    other => return Err(format!("{op}: unclassified {other}")),
                }
                Ok(Vec::new())
            }
            Err(e) => Err(format!("{op}: {} is not an acceptable outcome here: {e}", e.code())),
        }
    }

    fn check_created(&self, asked: &NewBooking, got: &Booking) -> Result<(), String> {
        let same = (&got.resource_id, got.start, got.end, got.status, got.quantity, got.version)
            == (&asked.resource_id, asked.start, asked.end, asked.status, asked.quantity, 1);
        if same { Ok(()) } else { Err(format!("asked {asked:?}, created {got:?}")) }
    }

    fn create_one(&mut self) -> Result<(), String> {
        let new = self.new_booking();
        let result = self.t.create_booking(new.clone()).map(|b| vec![b]);
        for b in self.record("create", result, &["CONFLICT"])? {
            self.check_created(&new, &b)?;
            self.remember(&b);
        }
        Ok(())
    }

    fn create_batch(&mut self) -> Result<(), String> {
        let size = self.rng.range(2, 3) as usize;
        let items: Vec<NewBooking> = (0..size).map(|_| self.new_booking()).collect();
        let result = self.t.create_bookings(items.clone());
        let created = self.record("batch", result, &["CONFLICT"])?;
        if !created.is_empty() && created.len() != size {
            return Err(format!("batch of {size} created {}", created.len()));
        }
        for (asked, b) in items.iter().zip(&created) {
            self.check_created(asked, b)?;
            self.remember(b);
        }
        Ok(())
    }

    fn expected_version(&mut self, target: &Known) -> Option<i64> {
        self.rng.chance(50).then_some(target.version)
    }

    /// Codes acceptable for a change; VERSION_MISMATCH only when asked for.
    fn change_codes(expected: Option<i64>, also: Option<&'static str>) -> Vec<&'static str> {
        CHANGE_CODES.into_iter().filter(|c| expected.is_some() || *c != "VERSION_MISMATCH").chain(also).collect()
    }

    fn act(&mut self, action: &str) -> Result<(), String> {
        let target = self.pick_target();
        let expected = self.expected_version(&target);
        let (result, want) = match action {
            "pencil" => (self.t.pencil(&target.id, expected), Status::Pencil),
            "confirm" => (self.t.confirm(&target.id, expected), Status::Confirmed),
            "cancel" => (self.t.cancel(&target.id, expected), Status::Cancelled),
            "decline" => (self.t.decline(&target.id, expected), Status::Declined),
            "extend" => {
                let ttl = self.hold_ttl();
                (self.t.extend_hold(&target.id, HoldExpiry::Ttl(ttl), expected), Status::Hold)
            }
            other => return Err(format!("unknown action {other}")),
        };
        let allowed = Self::change_codes(expected, None);
        for b in self.record(action, result.map(|b| vec![b]), &allowed)? {
            if b.status != want || b.id != target.id {
                return Err(format!("{action} on {} returned {b:?}", target.id));
            }
            self.remember(&b);
        }
        Ok(())
    }

    fn reschedule(&mut self) -> Result<(), String> {
        let target = self.pick_target();
        let expected = self.expected_version(&target);
        let fits: Vec<&ResourceSpec> =
            RACE_RESOURCES.iter().filter(|r| r.capacity >= target.quantity && r.id != target.resource).collect();
        let resource_id =
            if !fits.is_empty() && self.rng.chance(30) { Some(self.rng.pick(&fits).id.to_owned()) } else { None };
        let (start, end) = self.slot();
        let to = Reschedule { start, end, resource_id: resource_id.clone() };
        let result = self.t.reschedule(&target.id, to, expected);
        let allowed = Self::change_codes(expected, Some("CONFLICT"));
        for b in self.record("reschedule", result.map(|b| vec![b]), &allowed)? {
            let lands = resource_id.as_deref().unwrap_or(&b.resource_id);
            if (b.start, b.end, b.resource_id.as_str()) != (start, end, lands) || b.id != target.id {
                return Err(format!("reschedule of {} to {start}..{end} on {lands} returned {b:?}", target.id));
            }
            self.remember(&b);
        }
        Ok(())
    }
}

// ---------------------------------------------------------------------------
// Scenario 2: crash recovery
// ---------------------------------------------------------------------------

fn crash_resource_id(index: usize) -> String {
    format!("c{index:02}")
}

fn crash_capacity(index: usize) -> u32 {
    if index % 4 == 3 { 2 } else { 1 }
}

fn crash_resource(index: usize) -> NewResource {
    let buffered = index % 5 == 4;
    NewResource {
        id: Some(crash_resource_id(index)),
        name: format!("Crash resource {index}"),
        capacity: crash_capacity(index),
        buffer_before: TimeDelta::minutes(if buffered { 10 } else { 0 }),
        buffer_after: TimeDelta::minutes(if buffered { 20 } else { 0 }),
        ..Default::default()
    }
}

/// `t<trial>-b<batch>`: every booking of a batch carries its batch's title.
fn batch_title(trial: usize, batch: u64) -> String {
    format!("t{trial}-b{batch}")
}

fn parse_batch_title(title: &str) -> Option<(usize, u64)> {
    let (trial, batch) = title.strip_prefix('t')?.split_once("-b")?;
    Some((trial.parse().ok()?, batch.parse().ok()?))
}

#[derive(Default)]
struct CrashTotals {
    batches_reported: usize,
    batches_conflicted: usize,
    /// Committed, then killed before it could print the ids.
    batches_unreported: usize,
    torn_lines: usize,
    ids_verified: usize,
    /// Trials whose child got at least one batch decided before the kill.
    trials_with_writes: usize,
    /// Trials that left a non-empty WAL for the reopen to recover.
    wal_left: usize,
}

struct CrashState {
    path: PathBuf,
    seed: u64,
    rng: Rng,
    replay: Replay,
    /// The log as of the last trial: it must come back unchanged.
    events: Vec<Event>,
    totals: CrashTotals,
}

fn crash_recovery(seed: u64) -> Result<String, String> {
    let dir = tempfile::tempdir().map_err(|e| format!("tempdir: {e}"))?;
    let path = dir.path().join("crash.db");
    let mut state = CrashState {
        path: path.clone(),
        seed,
        rng: Rng::new(seed ^ 0x0C4A_5E5D),
        replay: Replay::default(),
        events: Vec::new(),
        totals: CrashTotals::default(),
    };
    {
        // Set up, then close: every trial's child starts on a file nobody
        // else holds, and every reopen after a kill recovers its WAL.
        let engine = open_engine(&path).map_err(|e| hf("open", &e))?;
        engine.create_tenant(TENANT, "Crash recovery").map_err(|e| hf("create_tenant", &e))?;
        let t = engine.tenant(TENANT).map_err(|e| hf("tenant", &e))?;
        for index in 0..CRASH_RESOURCES {
            t.create_resource(crash_resource(index)).map_err(|e| hf("create_resource", &e))?;
        }
        state.events = all_events(&t)?;
        for e in &state.events {
            state.replay.apply(e)?;
        }
    }
    let started = Instant::now();
    for trial in 0..CRASH_TRIALS {
        let line = crash_trial(&mut state, trial).map_err(|e| format!("trial {trial}: {e}"))?;
        println!("  {line}");
    }
    let secs = started.elapsed().as_secs_f64();
    let tot = &state.totals;
    if tot.batches_reported == 0 || tot.batches_conflicted == 0 || tot.trials_with_writes == 0 {
        return Err("degenerate run: no committed batch, no conflicted batch or no kill mid-run".into());
    }
    Ok(format!(
        "{CRASH_TRIALS} SIGKILL trials in {secs:.1} s: {} committed batches reported ({} ids verified present), \
         {} more committed but killed before reporting, {} batches refused with CONFLICT (none present), \
         {} torn output lines, {} of {CRASH_TRIALS} kills left a WAL to recover; final file {} bookings, {} events, \
         {:.2} MiB",
        tot.batches_reported,
        tot.ids_verified,
        tot.batches_unreported,
        tot.batches_conflicted,
        tot.torn_lines,
        tot.wal_left,
        state.replay.bookings.len(),
        state.events.len(),
        file_size(&path) as f64 / (1024.0 * 1024.0),
    ))
}

fn file_size(path: &Path) -> u64 {
    let wal = PathBuf::from(format!("{}-wal", path.display()));
    [path.to_path_buf(), wal].iter().filter_map(|p| std::fs::metadata(p).ok()).map(|m| m.len()).sum()
}

fn crash_trial(state: &mut CrashState, trial: usize) -> Result<String, String> {
    let delay_ms = state.rng.range(CRASH_DELAY_MS_MIN, CRASH_DELAY_MS_MAX);
    let mut p = Proc::spawn("crash", &state.path, child_seed(state.seed, 1000 + trial), trial, false)?;
    p.expect_ready()?;
    thread::sleep(Duration::from_millis(delay_ms));
    if let Some(exit) = p.child.try_wait().map_err(|e| format!("wait: {e}"))? {
        let said: Vec<String> = p
            .drain()
            .into_iter()
            .map(|l| match l {
                Line::Complete(s) | Line::Partial(s) => s,
            })
            .collect();
        return Err(format!("child exited by itself ({exit}) before the kill: {said:?}"));
    }
    p.child.kill().map_err(|e| format!("kill: {e}"))?;
    let exit = p.child.wait().map_err(|e| format!("wait: {e}"))?;
    if exit.success() {
        return Err(format!("killed child exited with {exit}"));
    }

    // What the child saw committed.
    let mut reported: BTreeMap<u64, Vec<String>> = BTreeMap::new();
    let mut conflicted: BTreeSet<u64> = BTreeSet::new();
    let mut torn = 0;
    for line in p.drain() {
        let line = match line {
            Line::Complete(line) => line,
            Line::Partial(_) => {
                torn += 1;
                continue;
            }
        };
        let mut fields = line.split(' ');
        let kind = fields.next().unwrap_or_default();
        let batch: u64 = fields.next().and_then(|b| b.parse().ok()).ok_or_else(|| format!("bad line {line:?}"))?;
        let ids: Vec<String> = fields.map(str::to_owned).collect();
        match kind {
            "batch" if ids.len() == CRASH_BATCH => {
                reported.insert(batch, ids);
            }
            "conflict" if ids.is_empty() => {
                conflicted.insert(batch);
            }
            _ => return Err(format!("child said {line:?}")),
        }
    }
    drop(p);

    // The file reopens (migrations, WAL recovery) and is sound.
    let wal = std::fs::metadata(format!("{}-wal", state.path.display())).map(|m| m.len()).unwrap_or(0);
    let url = format!("sqlite://{}", state.path.display());
    let engine = Engine::open(&url).map_err(|e| hf("Engine::open after SIGKILL", &e))?;
    integrity_check(&state.path)?;
    let t = engine.tenant(TENANT).map_err(|e| hf("tenant", &e))?;

    // The log only grew, gap-free, by creates.
    let events = all_events(&t)?;
    let old = state.events.len();
    if events.len() < old || events[..old] != state.events[..] {
        return Err("events committed before this trial changed or vanished".into());
    }
    for e in &events[old..] {
        if e.kind != EventType::Created {
            return Err(format!("unexpected {} event {}", e.kind.as_str(), e.seq));
        }
        state.replay.apply(e)?;
    }
    state.events = events;
    let rows = all_bookings(&t)?;
    state.replay.matches_rows(&rows)?;

    // Batches are all or nothing, and what the child reported is there.
    let mut groups: HashMap<(usize, u64), Vec<&Booking>> = HashMap::new();
    for b in &rows {
        let key = b.title.as_deref().and_then(parse_batch_title).ok_or_else(|| format!("untitled booking {}", b.id))?;
        groups.entry(key).or_default().push(b);
    }
    for ((tr, batch), members) in &groups {
        if members.len() != CRASH_BATCH || members.iter().any(|b| b.created_at != members[0].created_at) {
            return Err(format!("batch t{tr}-b{batch} is partly there: {} of {CRASH_BATCH} rows", members.len()));
        }
    }
    let present: BTreeSet<u64> = groups.keys().filter(|(tr, _)| *tr == trial).map(|(_, b)| *b).collect();
    let mut ids_verified = 0;
    for (batch, ids) in &reported {
        let members = groups.get(&(trial, *batch)).ok_or_else(|| format!("reported batch {batch} is missing"))?;
        let stored: BTreeSet<&str> = members.iter().map(|b| b.id.as_str()).collect();
        let said: BTreeSet<&str> = ids.iter().map(String::as_str).collect();
        if stored != said {
            return Err(format!("batch {batch}: reported ids differ from the stored ones"));
        }
        for id in ids {
            let b = t.get_booking(id).map_err(|e| hf(&format!("get_booking {id} reported committed"), &e))?;
            if b.title.as_deref() != Some(batch_title(trial, *batch).as_str()) {
                return Err(format!("booking {id} has title {:?}", b.title));
            }
            ids_verified += 1;
        }
    }
    if let Some(batch) = conflicted.intersection(&present).next() {
        return Err(format!("batch {batch} was refused with CONFLICT yet is stored"));
    }
    // Only the batch in flight at the kill may be stored without a report.
    let unreported: Vec<u64> = present.iter().filter(|b| !reported.contains_key(b)).copied().collect();
    let last_said = reported.keys().chain(&conflicted).max().copied();
    let in_flight = match (unreported.as_slice(), last_said) {
        ([], _) => false,
        ([batch], None) => *batch == 0,
        ([batch], Some(last)) => *batch == last + 1,
        _ => false,
    };
    if !unreported.is_empty() && !in_flight {
        return Err(format!("stored batches {unreported:?} were never reported (last line was batch {last_said:?})"));
    }

    // The invariant on the whole accumulated file.
    let resources = all_resources(&t)?;
    let instants = check_capacity_naive(&resources, &rows, engine.now())?;
    drop(engine);

    let tot = &mut state.totals;
    tot.batches_reported += reported.len();
    tot.batches_conflicted += conflicted.len();
    tot.batches_unreported += unreported.len();
    tot.torn_lines += torn;
    tot.wal_left += usize::from(wal > 0);
    tot.ids_verified += ids_verified;
    if !reported.is_empty() || !conflicted.is_empty() || !unreported.is_empty() {
        tot.trials_with_writes += 1;
    }
    Ok(format!(
        "trial {:>2}/{CRASH_TRIALS}: killed after {delay_ms:>2} ms; {} batches reported ({ids_verified} ids verified), \
         {} conflicted, {} unreported but committed, {torn} torn lines, WAL {wal} bytes; file now {} bookings, {} events, \
         {instants} instants checked",
        trial + 1,
        reported.len(),
        conflicted.len(),
        unreported.len(),
        rows.len(),
        state.events.len(),
    ))
}

fn crash_child() {
    let env = child_env();
    let engine = open_engine(&env.db).unwrap_or_else(|e| child_fail(&hf("open", &e)));
    let t = engine.tenant(TENANT).unwrap_or_else(|e| child_fail(&hf("tenant", &e)));
    let mut rng = Rng::new(env.seed);
    let started = Instant::now();
    say("ready");
    for batch in 0_u64.. {
        if started.elapsed() > CRASH_CHILD_MAX {
            child_fail("never killed");
        }
        let title = batch_title(env.index, batch);
        let mut items: Vec<(usize, NewBooking)> = (0..CRASH_BATCH).map(|_| crash_item(&mut rng, &title)).collect();
        // A quarter of the batches carry a sure conflict: their last item
        // takes a whole resource over the first item's interval.
        let doomed = rng.chance(25);
        if doomed {
            let (index, first) = items[0].clone();
            let full = NewBooking { quantity: crash_capacity(index), status: Status::Pencil, hold_ttl: None, ..first };
            items[CRASH_BATCH - 1] = (index, full);
        }
        match t.create_bookings(items.into_iter().map(|(_, b)| b).collect()) {
            Ok(created) if doomed => {
                child_fail(&format!("batch {batch} overbooks on purpose, yet {} were created", created.len()))
            }
            Ok(created) => {
                let mut line = format!("batch {batch}");
                for b in &created {
                    line.push(' ');
                    line.push_str(&b.id);
                }
                say(&line);
            }
            Err(e) if e.code() == "CONFLICT" => say(&format!("conflict {batch}")),
            Err(e) => child_fail(&hf(&format!("batch {batch}"), &e)),
        }
    }
}

/// One booking somewhere in a large grid: most batches fit.
fn crash_item(rng: &mut Rng, title: &str) -> (usize, NewBooking) {
    let index = rng.below(CRASH_RESOURCES as u64) as usize;
    let start = BASE_US + rng.below(CRASH_SLOTS) as i64 * HOUR_US;
    let end = start + rng.range(1, 2) as i64 * HOUR_US;
    let status = *rng.pick(&[Status::Hold, Status::Pencil, Status::Confirmed]);
    let booking = NewBooking {
        resource_id: crash_resource_id(index),
        start: ts(start),
        end: ts(end),
        status,
        quantity: rng.range(1, u64::from(crash_capacity(index))) as u32,
        hold_ttl: (status == Status::Hold).then_some(LONG_HOLD_TTL),
        title: Some(title.to_owned()),
        ..Default::default()
    };
    (index, booking)
}
