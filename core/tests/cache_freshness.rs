//! The read cache never serves a stale answer (DESIGN.md section 1: "read
//! cache with tag invalidation and cross-process freshness"), stays within
//! its bound, and can be turned off.
//!
//! `harness = false`: this binary is its own runner. Started by cargo it is
//! the parent, process A; it re-executes itself (`current_exe`) with
//! `HOLDFAST_CF_ROLE=writer` to play process B, which opens its own `Engine`
//! on the same database, performs one write per line read from stdin and
//! answers `ok <id or version>` on stdout.
//!
//! * **another process writes** (one SQLite file; one PostgreSQL schema when
//!   `HOLDFAST_TEST_POSTGRES_URL` is set): A warms its cache over a 30-day
//!   window, then B creates a booking, cancels it, moves another booking to
//!   a second resource, sets weekly hours, widens a buffer, places a hold
//!   and finally writes a batch longer than the cache's log scan. Before
//!   each write A's answer is checked to come from the cache alone; after
//!   it, A's very next read (`free_busy`, `check_availability`,
//!   `find_slots` or `list_bookings` of one resource) shows the write, A's reads of the resources it did not
//!   touch are still served from the cache (hits grow, misses do not:
//!   invalidation is per resource, not global), and every answer of A
//!   equals that of an uncached engine on the same database. When A's
//!   clock passes the hold's expiry, A's cache alone (no event marks it)
//!   stops counting the hold.
//! * **same engine writes**: the same writes through A's own engine.
//! * **bounded**: `cache_entries(8)` reading 50 resources holds at most 8
//!   entries, counts its evictions, still caches, still answers right, and
//!   shows its own writes on the next read.
//! * **off**: `cache_entries(0)` holds nothing and answers like a cached
//!   engine, its own writes included.
//!
//! The in-process scenarios run on every store of `common::stores()`.
//! Ends with `N passed, M failed`; exits 1 on any failure. Every engine
//! reads a manual clock standing before every booking; only A's moves, to
//! expire the one hold.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{panic_message, run_scenario};

use std::collections::HashMap;
use std::io::Write as _;
use std::panic;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::thread;
use std::time::{Duration, Instant};

use chrono::TimeDelta;
use common::child::{Line, lines_of};
use common::{POSTGRES_URL_VAR, TestStore};
use holdfast::limits::PAGE_SIZE_MAX;
use holdfast::{
    AvailabilityCheck, AvailabilityRules, Booking, BookingFilter, Engine, Error, FoundSlot, FreeBusy, Interval,
    LocalTime, ManualClock, NewBooking, NewResource, Policy, Reason, Reschedule, ResourcePatch, SlotQuery, Status,
    Tenant, Timestamp, Weekday, WeeklyHours,
};

const ROLE_VAR: &str = "HOLDFAST_CF_ROLE";
const URL_VAR: &str = "HOLDFAST_CF_URL";

const TENANT: &str = "cf";
const BUSY_TIMEOUT: Duration = Duration::from_secs(30);
/// How long process B may take to open its engine or answer one write.
const REPLY_TIMEOUT: Duration = Duration::from_secs(30);
const EXIT_TIMEOUT: Duration = Duration::from_secs(10);

const MINUTE_US: i64 = 60_000_000;
const HOUR_US: i64 = 60 * MINUTE_US;
const DAY_US: i64 = 24 * HOUR_US;
/// 2030-03-04T00:00:00Z, a Monday: day 0 of every window.
const DAY0_US: i64 = 1_898_812_800 * 1_000_000;
/// Where both processes' manual clocks stand: before every booking.
const NOW_US: i64 = DAY0_US - 3 * DAY_US;
/// The freshness scenarios read `[day 0, day 30)`.
const WINDOW_DAYS: i64 = 30;

const MAIN: &str = "main";
const SPARE: &str = "spare";
const QUIET_A: &str = "quiet-a";
const QUIET_B: &str = "quiet-b";
const ALL: [&str; 4] = [MAIN, SPARE, QUIET_A, QUIET_B];

const BOUNDED_CAPACITY: usize = 8;
const BOUNDED_RESOURCES: usize = 50;
const BOUNDED_WINDOW_DAYS: i64 = 3;

fn main() {
    match std::env::var(ROLE_VAR).as_deref() {
        Ok("writer") => writer_child(),
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

type Scenario = Box<dyn FnOnce() -> Result<String, String>>;

fn parent() {
    let started = Instant::now();
    // Panics when the PostgreSQL URL is set on a build without the feature:
    // a misconfigured run must fail, not pass on SQLite alone.
    let stores = match panic::catch_unwind(common::stores) {
        Ok(stores) => stores,
        Err(payload) => {
            println!("FAIL setup: {}", panic_message(payload.as_ref()));
            println!("0 passed, 1 failed");
            std::process::exit(1);
        }
    };
    if !stores.iter().any(TestStore::is_postgres) {
        println!(
            "SKIP PostgreSQL: {POSTGRES_URL_VAR} is not set (`eval \"$(scripts/pg-up.sh)\"`, then \
             `cargo test -p holdfast --features postgres --test cache_freshness` runs every scenario on it too)"
        );
    }
    let mut scenarios: Vec<(String, Scenario)> = Vec::new();
    for store in stores {
        let name = store.name();
        let (a, b, c, d) = (store.clone(), store.clone(), store.clone(), store);
        scenarios.push((format!("{name}: another process writes"), Box::new(move || cross_process(&a))));
        scenarios.push((format!("{name}: same engine writes"), Box::new(move || same_engine(&b))));
        scenarios.push((format!("{name}: bounded at {BOUNDED_CAPACITY} entries"), Box::new(move || bounded(&c))));
        scenarios.push((format!("{name}: cache off"), Box::new(move || off(&d))));
    }
    let (mut passed, mut failed) = (0, 0);
    for (name, run) in scenarios {
        if run_scenario(&name, "", run) {
            passed += 1;
        } else {
            failed += 1;
        }
    }
    println!("cache_freshness: {:.1} s in all", started.elapsed().as_secs_f64());
    println!("{passed} passed, {failed} failed");
    if failed > 0 {
        std::process::exit(1);
    }
}

// ---------------------------------------------------------------------------
// Shared helpers
// ---------------------------------------------------------------------------

/// An engine on `url` reading time from `clock`; `cache_entries` `None`
/// keeps the default bound.
fn open_engine(url: &str, cache_entries: Option<usize>, clock: &ManualClock) -> Result<Engine, String> {
    let mut builder = Engine::builder().url(url).clock(clock.clone()).busy_timeout(BUSY_TIMEOUT).pool_size(2);
    if let Some(entries) = cache_entries {
        builder = builder.cache_entries(entries);
    }
    builder.open().map_err(|e| hf("open", &e))
}

/// An engine error as a test failure message.
fn hf(what: &str, error: &Error) -> String {
    format!("{what}: {} {error}", error.code())
}

fn ts(us: i64) -> Timestamp {
    Timestamp::from_micros(us)
}

/// `hour:minute` on day `day` of the window.
fn at(day: i64, hour: i64, minute: i64) -> Timestamp {
    ts(DAY0_US + day * DAY_US + hour * HOUR_US + minute * MINUTE_US)
}

fn span(start: Timestamp, end: Timestamp) -> Interval {
    Interval { start, end }
}

fn window() -> Interval {
    span(at(0, 0, 0), at(WINDOW_DAYS, 0, 0))
}

/// Monday to Friday, 09:00-17:00 (every resource here keeps time zone UTC).
fn office_hours() -> AvailabilityRules {
    let hm = |h, m| LocalTime::hm(h, m).expect("a valid time of day");
    let weekly =
        Weekday::ALL[..5].iter().map(|&weekday| WeeklyHours { weekday, start: hm(9, 0), end: hm(17, 0) }).collect();
    AvailabilityRules { policy: Policy::Advisory, weekly, overrides: Vec::new() }
}

/// `office_hours` within the window, written out from the calendar (day 0
/// is a Monday), not from the engine's expansion.
fn office_hours_in_window() -> Vec<Interval> {
    (0..WINDOW_DAYS).filter(|day| day % 7 < 5).map(|day| span(at(day, 9, 0), at(day, 17, 0))).collect()
}

/// `intervals` with `cut` taken out.
fn minus(intervals: &[Interval], cut: Interval) -> Vec<Interval> {
    let mut out = Vec::new();
    for i in intervals {
        if !i.overlaps(cut) {
            out.push(*i);
            continue;
        }
        if i.start < cut.start {
            out.push(span(i.start, cut.start));
        }
        if cut.end < i.end {
            out.push(span(cut.end, i.end));
        }
    }
    out
}

/// What `setup` makes each resource's `busy` over the window, by start:
/// (booking id, footprint clipped to the window). m-edge ends before it.
fn setup_busy(resource: &str) -> Vec<(&'static str, Interval)> {
    match resource {
        MAIN => vec![("m-stay", span(at(1, 10, 0), at(1, 12, 0))), ("m-keep", span(at(9, 10, 0), at(9, 11, 0)))],
        QUIET_A => vec![("q-long", span(at(0, 8, 0), at(0, 20, 0))), ("q-a", span(at(2, 9, 0), at(2, 10, 0)))],
        QUIET_B => vec![("q-b", span(at(20, 8, 45), at(20, 17, 0)))],
        _ => Vec::new(),
    }
}

fn busy_of(fb: &FreeBusy) -> Vec<(&str, Interval)> {
    fb.busy.iter().map(|b| (b.booking_id.as_str(), span(b.start, b.end))).collect()
}

fn names_conflict(check: &AvailabilityCheck, booking_id: &str) -> bool {
    check.reasons.iter().any(|r| matches!(r, Reason::Conflict(c) if c.id == booking_id))
}

/// The tenant with four resources and six bookings:
///
/// | resource | capacity, buffers | bookings                                              |
/// |----------|-------------------|-------------------------------------------------------|
/// | main     | 1                 | m-edge day -1 22:00-23:50, m-stay day 1 10-12,        |
/// |          |                   | m-keep day 9 10-11                                    |
/// | spare    | 1                 | none                                                  |
/// | quiet-a  | 2                 | q-long day 0 08-20 (across a cache bucket boundary),  |
/// |          |                   | q-a day 2 09-10, quantity 2 (pencil)                  |
/// | quiet-b  | 1, 15 min before  | q-b day 20 09-17                                      |
fn setup(engine: &Engine) -> Result<Tenant, String> {
    engine.create_tenant(TENANT, "Cache freshness").map_err(|e| hf("create_tenant", &e))?;
    let t = engine.tenant(TENANT).map_err(|e| hf("tenant", &e))?;
    let resources = [
        NewResource { id: Some(MAIN.into()), name: "Main".into(), ..Default::default() },
        NewResource { id: Some(SPARE.into()), name: "Spare".into(), ..Default::default() },
        NewResource { id: Some(QUIET_A.into()), name: "Quiet A".into(), capacity: 2, ..Default::default() },
        NewResource {
            id: Some(QUIET_B.into()),
            name: "Quiet B".into(),
            buffer_before: TimeDelta::minutes(15),
            ..Default::default()
        },
    ];
    for new in resources {
        t.create_resource(new).map_err(|e| hf("create_resource", &e))?;
    }
    let bookings = [
        ("m-edge", MAIN, span(at(-1, 22, 0), at(-1, 23, 50)), Status::Confirmed, 1),
        ("m-stay", MAIN, span(at(1, 10, 0), at(1, 12, 0)), Status::Confirmed, 1),
        ("m-keep", MAIN, span(at(9, 10, 0), at(9, 11, 0)), Status::Confirmed, 1),
        ("q-long", QUIET_A, span(at(0, 8, 0), at(0, 20, 0)), Status::Confirmed, 1),
        ("q-a", QUIET_A, span(at(2, 9, 0), at(2, 10, 0)), Status::Pencil, 2),
        ("q-b", QUIET_B, span(at(20, 9, 0), at(20, 17, 0)), Status::Confirmed, 1),
    ];
    for (id, resource, interval, status, quantity) in bookings {
        let new = NewBooking {
            id: Some(id.into()),
            resource_id: resource.into(),
            start: interval.start,
            end: interval.end,
            status,
            quantity,
            ..Default::default()
        };
        t.create_booking(new).map_err(|e| hf(&format!("create_booking {id}"), &e))?;
    }
    Ok(t)
}

// ---------------------------------------------------------------------------
// Writes, in process B or in process A
// ---------------------------------------------------------------------------

/// Performs one write command; returns the booking id or the new version.
///
/// `create <resource> <start_us> <end_us>` (confirmed),
/// `hold <resource> <start_us> <end_us> <ttl_minutes>`, `cancel <id>`,
/// `move <id> <resource> <start_us> <end_us>`, `hours <resource>`
/// (`office_hours`), `buffer_after <resource> <minutes>`,
/// `batch <resource> <start_us> <count> <minutes>` (back-to-back, confirmed,
/// in one `create_bookings` call; answers the count).
fn perform(t: &Tenant, command: &str) -> Result<String, String> {
    let words: Vec<&str> = command.split(' ').collect();
    let instant = |text: &str| text.parse().map(ts).map_err(|_| format!("bad instant {text:?} in {command:?}"));
    match words.as_slice() {
        ["create", resource, start, end] => {
            let new = NewBooking {
                resource_id: (*resource).into(),
                start: instant(start)?,
                end: instant(end)?,
                status: Status::Confirmed,
                ..Default::default()
            };
            Ok(t.create_booking(new).map_err(|e| hf(command, &e))?.id)
        }
        ["hold", resource, start, end, ttl_minutes] => {
            let minutes: i64 = ttl_minutes.parse().map_err(|_| format!("bad minutes in {command:?}"))?;
            let new = NewBooking {
                resource_id: (*resource).into(),
                start: instant(start)?,
                end: instant(end)?,
                status: Status::Hold,
                hold_ttl: Some(TimeDelta::minutes(minutes)),
                ..Default::default()
            };
            Ok(t.create_booking(new).map_err(|e| hf(command, &e))?.id)
        }
        ["batch", resource, start, count, minutes] => {
            let start = instant(start)?.as_micros();
            let count: i64 = count.parse().map_err(|_| format!("bad count in {command:?}"))?;
            let length_us = minutes.parse::<i64>().map_err(|_| format!("bad minutes in {command:?}"))? * MINUTE_US;
            let items = (0..count)
                .map(|i| NewBooking {
                    resource_id: (*resource).into(),
                    start: ts(start + i * length_us),
                    end: ts(start + (i + 1) * length_us),
                    status: Status::Confirmed,
                    ..Default::default()
                })
                .collect();
            Ok(t.create_bookings(items).map_err(|e| hf(command, &e))?.len().to_string())
        }
        ["cancel", id] => {
            let b = t.cancel(id, None).map_err(|e| hf(command, &e))?;
            if b.status != Status::Cancelled {
                return Err(format!("{command}: status {}", b.status));
            }
            Ok(b.id)
        }
        ["move", id, resource, start, end] => {
            let to = Reschedule { start: instant(start)?, end: instant(end)?, resource_id: Some((*resource).into()) };
            let b = t.reschedule(id, to, None).map_err(|e| hf(command, &e))?;
            if b.resource_id != *resource {
                return Err(format!("{command}: landed on {}", b.resource_id));
            }
            Ok(b.id)
        }
        ["hours", resource] => {
            let a = t.set_availability(resource, office_hours(), None).map_err(|e| hf(command, &e))?;
            Ok(a.version.to_string())
        }
        ["buffer_after", resource, minutes] => {
            let minutes: i64 = minutes.parse().map_err(|_| format!("bad minutes in {command:?}"))?;
            let patch = ResourcePatch { buffer_after: Some(TimeDelta::minutes(minutes)), ..Default::default() };
            let r = t.update_resource(resource, patch, None).map_err(|e| hf(command, &e))?;
            Ok(r.version.to_string())
        }
        _ => Err(format!("unknown command {command:?}")),
    }
}

/// Who makes the writes the reader must see.
enum Writer {
    /// Process B, with its own engine on the same database.
    Child(ChildWriter),
    /// The reading engine itself.
    Local(Tenant),
}

impl Writer {
    fn run(&mut self, command: &str) -> Result<String, String> {
        match self {
            Writer::Local(t) => perform(t, command),
            Writer::Child(child) => child.ask(command),
        }
    }
}

/// Process B; killed and reaped when dropped, whatever happened.
struct ChildWriter {
    child: Child,
    stdin: Option<ChildStdin>,
    lines: Receiver<Line>,
}

impl ChildWriter {
    fn spawn(url: &str) -> Result<ChildWriter, String> {
        let exe = std::env::current_exe().map_err(|e| format!("current_exe: {e}"))?;
        let mut child = Command::new(exe)
            .env(ROLE_VAR, "writer")
            .env(URL_VAR, url)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .map_err(|e| format!("spawn the writer process: {e}"))?;
        let stdin = child.stdin.take();
        let stdout = child.stdout.take().ok_or("no stdout pipe")?;
        let writer = ChildWriter { child, stdin, lines: lines_of(stdout) };
        match writer.reply("start-up")?.as_str() {
            "ready" => Ok(writer),
            other => Err(format!("writer process: expected \"ready\", got {other:?}")),
        }
    }

    fn reply(&self, what: &str) -> Result<String, String> {
        match self.lines.recv_timeout(REPLY_TIMEOUT) {
            Ok(Line::Complete(line)) => Ok(line),
            Ok(Line::Partial(line)) => Err(format!("writer process, {what}: torn line {line:?}")),
            Err(RecvTimeoutError::Timeout) => Err(format!("writer process: no answer to {what} in {REPLY_TIMEOUT:?}")),
            Err(RecvTimeoutError::Disconnected) => Err(format!("writer process exited before answering {what}")),
        }
    }

    /// Sends one command; the text after `ok `, once B has committed.
    fn ask(&mut self, command: &str) -> Result<String, String> {
        let stdin = self.stdin.as_mut().ok_or("writer process: stdin already closed")?;
        writeln!(stdin, "{command}").and_then(|()| stdin.flush()).map_err(|e| format!("writer process: {e}"))?;
        let line = self.reply(command)?;
        line.strip_prefix("ok ").map(str::to_owned).ok_or_else(|| format!("writer process, {command:?}: {line}"))
    }

    /// Closes B's stdin and requires a clean exit.
    fn finish(mut self) -> Result<(), String> {
        drop(self.stdin.take());
        let deadline = Instant::now() + EXIT_TIMEOUT;
        loop {
            if let Some(status) = self.child.try_wait().map_err(|e| format!("wait: {e}"))? {
                return if status.success() { Ok(()) } else { Err(format!("writer process exited with {status}")) };
            }
            if Instant::now() > deadline {
                return Err(format!("writer process still running {EXIT_TIMEOUT:?} after its stdin closed"));
            }
            thread::sleep(Duration::from_millis(10));
        }
    }
}

impl Drop for ChildWriter {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Process B: one write per stdin line, until stdin closes.
fn writer_child() {
    let url = std::env::var(URL_VAR).unwrap_or_else(|_| child_fail(&format!("{URL_VAR} is not set")));
    let engine = open_engine(&url, None, &ManualClock::new(ts(NOW_US))).unwrap_or_else(|e| child_fail(&e));
    let t = engine.tenant(TENANT).unwrap_or_else(|e| child_fail(&hf("tenant", &e)));
    say("ready");
    for line in std::io::stdin().lines() {
        let line = line.unwrap_or_else(|e| child_fail(&format!("stdin: {e}")));
        match perform(&t, &line) {
            Ok(answer) => say(&format!("ok {answer}")),
            Err(reason) => child_fail(&reason),
        }
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
// Scenarios 1 and 2: another process writes / the same engine writes
// ---------------------------------------------------------------------------

/// Process A's side: its engine, and an uncached engine on the same
/// database as the reference its answers must equal.
struct Reader {
    engine: Engine,
    t: Tenant,
    reference: Tenant,
    /// Each resource's free/busy over the window as A last read it.
    last: HashMap<&'static str, FreeBusy>,
    /// Each resource's bookings over the window as A last listed them.
    last_listed: HashMap<&'static str, Vec<Booking>>,
}

impl Reader {
    fn free_busy_of(t: &Tenant, id: &str) -> Result<FreeBusy, String> {
        let w = window();
        let mut all = t.free_busy(&[id.to_owned()], w.start, w.end).map_err(|e| hf(&format!("free_busy {id}"), &e))?;
        match all.pop() {
            Some(fb) if all.is_empty() && fb.resource_id == id => Ok(fb),
            other => Err(format!("free_busy {id} returned another resource or count: {other:?}")),
        }
    }

    fn free_busy(&self, id: &str) -> Result<FreeBusy, String> {
        Self::free_busy_of(&self.t, id)
    }

    /// `id`'s bookings over the window, every status, as one page.
    fn listing_of(t: &Tenant, id: &str) -> Result<Vec<Booking>, String> {
        let w = window();
        let filter = BookingFilter {
            resource_ids: vec![id.to_owned()],
            start: Some(w.start),
            end: Some(w.end),
            limit: Some(PAGE_SIZE_MAX),
            ..Default::default()
        };
        let page = t.list_bookings(&filter).map_err(|e| hf(&format!("list_bookings {id}"), &e))?;
        match page.next_cursor {
            None => Ok(page.items),
            Some(_) => Err(format!("list_bookings {id}: more than one page")),
        }
    }

    fn listing(&self, id: &str) -> Result<Vec<Booking>, String> {
        Self::listing_of(&self.t, id)
    }

    fn check(&self, id: &str, interval: Interval) -> Result<AvailabilityCheck, String> {
        self.t
            .check_availability(id, interval.start, interval.end, 1)
            .map_err(|e| hf(&format!("check_availability {id} {interval}"), &e))
    }

    /// Hour-long slots of `id` within `interval`.
    fn slots(&self, id: &str, interval: Interval) -> Result<Vec<FoundSlot>, String> {
        let query = SlotQuery {
            resource_ids: vec![id.to_owned()],
            start: interval.start,
            end: interval.end,
            duration: Some(TimeDelta::hours(1)),
            ..Default::default()
        };
        self.t.find_slots(&query).map_err(|e| hf(&format!("find_slots {id} {interval}"), &e))
    }

    /// `read`, required to be answered by A's cache alone: hits grow,
    /// misses do not.
    fn cached<T>(&self, what: &str, read: impl FnOnce(&Self) -> Result<T, String>) -> Result<T, String> {
        let before = self.engine.cache_stats();
        let value = read(self)?;
        let after = self.engine.cache_stats();
        if after.misses != before.misses || after.hits <= before.hits {
            return Err(format!(
                "{what}: not served from the cache alone (hits {} -> {}, misses {} -> {})",
                before.hits, after.hits, before.misses, after.misses
            ));
        }
        Ok(value)
    }

    /// Resources a write did not touch: served from the cache, unchanged.
    fn untouched_from_cache(&self, ids: &[&'static str]) -> Result<(), String> {
        for id in ids {
            let fb = self.cached(&format!("free_busy of untouched {id}"), |r| r.free_busy(id))?;
            if self.last.get(id) != Some(&fb) {
                return Err(format!("untouched {id} changed: was {:?}, now {fb:?}", self.last.get(id)));
            }
            let listed = self.cached(&format!("listing of untouched {id}"), |r| r.listing(id))?;
            if self.last_listed.get(id) != Some(&listed) {
                return Err(format!("untouched {id} lists {listed:?}, was {:?}", self.last_listed.get(id)));
            }
        }
        Ok(())
    }

    /// `read` of `id` by A equals the uncached engine's, and an immediate
    /// re-read by A is served from its cache alone with the same answer.
    fn agrees_and_caches<T: PartialEq + std::fmt::Debug>(
        &self,
        step: &str,
        what: &str,
        id: &str,
        read: impl Fn(&Tenant, &str) -> Result<T, String>,
    ) -> Result<T, String> {
        let mine = read(&self.t, id)?;
        let reference = read(&self.reference, id)?;
        if mine != reference {
            return Err(format!(
                "after {step}: A's {what} of {id} differs from an uncached engine's\n  A:        {mine:?}\n  \
                 uncached: {reference:?}"
            ));
        }
        let again = self.cached(&format!("after {step}: re-read ({what}) of {id}"), |r| read(&r.t, id))?;
        if again != mine {
            return Err(format!(
                "after {step}: re-read ({what}) of {id} from the cache differs: {again:?} vs {mine:?}"
            ));
        }
        Ok(mine)
    }

    /// Every answer of A equals the uncached engine's, and each resource's
    /// entries are cached again afterwards (a re-read is all hits).
    fn settle(&mut self, step: &str) -> Result<(), String> {
        for id in ALL {
            let fb = self.agrees_and_caches(step, "free_busy", id, Self::free_busy_of)?;
            self.last.insert(id, fb);
            let listed = self.agrees_and_caches(step, "listing", id, Self::listing_of)?;
            self.last_listed.insert(id, listed);
        }
        let w = window();
        let query = SlotQuery {
            resource_ids: ALL.iter().map(|id| (*id).to_owned()).collect(),
            start: w.start,
            end: w.end,
            duration: Some(TimeDelta::hours(1)),
            step: Some(TimeDelta::minutes(30)),
            limit: Some(200),
            per_resource: true,
            ..Default::default()
        };
        let mine = self.t.find_slots(&query).map_err(|e| hf("find_slots", &e))?;
        let theirs = self.reference.find_slots(&query).map_err(|e| hf("find_slots (uncached)", &e))?;
        if mine != theirs {
            let first = mine.iter().zip(&theirs).find(|(a, b)| a != b);
            return Err(format!(
                "after {step}: A's find_slots ({} slots) differs from an uncached engine's ({}); first difference \
                 {first:?}",
                mine.len(),
                theirs.len()
            ));
        }
        for (id, interval) in [(MAIN, span(at(1, 9, 0), at(1, 13, 0))), (MAIN, span(at(3, 13, 0), at(3, 17, 0)))] {
            let mine = self.check(id, interval)?;
            let theirs = self
                .reference
                .check_availability(id, interval.start, interval.end, 1)
                .map_err(|e| hf("check_availability (uncached)", &e))?;
            if mine != theirs {
                return Err(format!(
                    "after {step}: A's check_availability {id} {interval} differs from an uncached engine's\n  \
                     A:        {mine:?}\n  uncached: {theirs:?}"
                ));
            }
        }
        Ok(())
    }
}

fn cross_process(store: &TestStore) -> Result<String, String> {
    let dir = tempfile::tempdir().map_err(|e| format!("tempdir: {e}"))?;
    let url = store.fresh_shared_url(dir.path());
    freshness(&url, |_| ChildWriter::spawn(&url).map(Writer::Child))
}

fn same_engine(store: &TestStore) -> Result<String, String> {
    let dir = tempfile::tempdir().map_err(|e| format!("tempdir: {e}"))?;
    let url = store.fresh_shared_url(dir.path());
    freshness(&url, |t| Ok(Writer::Local(t.clone())))
}

/// Seven writes by `writer` and a hold's expiry, each seen by A's next
/// read; see the module doc.
fn freshness(url: &str, writer: impl FnOnce(&Tenant) -> Result<Writer, String>) -> Result<String, String> {
    let clock = ManualClock::new(ts(NOW_US));
    let engine = open_engine(url, None, &clock)?;
    let t = setup(&engine)?;
    // Shares A's clock, so that both judge holds at the same instant.
    let reference_engine = open_engine(url, Some(0), &clock)?;
    let reference = reference_engine.tenant(TENANT).map_err(|e| hf("tenant", &e))?;
    let mut writer = writer(&t)?;
    let mut r = Reader { engine: engine.clone(), t, reference, last: HashMap::new(), last_listed: HashMap::new() };

    // Warm-up: the second read of the 30-day window is the cache's alone.
    let first = r.free_busy(MAIN)?;
    let second = r.cached("second free_busy of main", |r| r.free_busy(MAIN))?;
    if first != second {
        return Err(format!("the cached second read differs from the first: {first:?} vs {second:?}"));
    }
    r.settle("warm-up")?;
    for id in ALL {
        let busy = busy_of(&r.last[id]);
        if busy != setup_busy(id) {
            return Err(format!("{id} is busy {busy:?}, expected {:?}", setup_busy(id)));
        }
    }

    // 1. Create on main; A's next read is free_busy of main.
    let new = span(at(3, 14, 0), at(3, 16, 0));
    if !r.cached("check_availability before the create", |r| r.check(MAIN, new))?.available {
        return Err(format!("{new} on main is taken before the create"));
    }
    let id = writer.run(&format!("create {MAIN} {} {}", new.start.as_micros(), new.end.as_micros()))?;
    let fb = r.free_busy(MAIN)?;
    if !fb.busy.iter().any(|b| b.booking_id == id && (b.start, b.end) == (new.start, new.end)) {
        return Err(format!("after booking {id} was created over {new}, free_busy of main misses it: {:?}", fb.busy));
    }
    let check = r.check(MAIN, new)?;
    if check.available || !names_conflict(&check, &id) {
        return Err(format!("after booking {id} was created, check_availability names no conflict with it: {check:?}"));
    }
    r.untouched_from_cache(&[SPARE, QUIET_A, QUIET_B])?;
    r.settle("create")?;

    // 2. Cancel it; A's next reads are of the untouched resources (they
    //    run the log scan), then check_availability of main.
    if !names_conflict(&r.cached("check_availability before the cancel", |r| r.check(MAIN, new))?, &id) {
        return Err(format!("before the cancel, check_availability names no conflict with {id}"));
    }
    writer.run(&format!("cancel {id}"))?;
    r.untouched_from_cache(&[SPARE, QUIET_A, QUIET_B])?;
    let check = r.check(MAIN, new)?;
    if !check.available {
        return Err(format!("after booking {id} was cancelled, check_availability still says {check:?}"));
    }
    let fb = r.free_busy(MAIN)?;
    if fb.busy.iter().any(|b| b.booking_id == id) {
        return Err(format!("after booking {id} was cancelled, free_busy of main still shows it: {:?}", fb.busy));
    }
    r.settle("cancel")?;

    // 3. Move m-keep from main to spare; A's next read is find_slots.
    let (old, to) = (span(at(9, 10, 0), at(9, 11, 0)), span(at(16, 14, 0), at(16, 15, 0)));
    let (on_spare, on_main) =
        r.cached("find_slots before the move", |r| Ok((r.slots(SPARE, to)?, r.slots(MAIN, old)?)))?;
    if on_spare.len() != 1 || !on_main.is_empty() {
        return Err(format!("before the move: slots on spare {on_spare:?}, on main {on_main:?}"));
    }
    writer.run(&format!("move m-keep {SPARE} {} {}", to.start.as_micros(), to.end.as_micros()))?;
    let on_spare = r.slots(SPARE, to)?;
    let on_main = r.slots(MAIN, old)?;
    if !on_spare.is_empty() || on_main.len() != 1 || on_main[0].start != old.start {
        return Err(format!(
            "after m-keep moved from main {old} to spare {to}: find_slots finds {on_spare:?} on spare, {on_main:?} on \
             main"
        ));
    }
    let spare = r.free_busy(SPARE)?;
    if !spare.busy.iter().any(|b| b.booking_id == "m-keep" && (b.start, b.end) == (to.start, to.end)) {
        return Err(format!("after m-keep moved to spare, free_busy of spare misses it: {:?}", spare.busy));
    }
    let main = r.free_busy(MAIN)?;
    if main.busy.iter().any(|b| b.booking_id == "m-keep") {
        return Err(format!("after m-keep moved to spare, free_busy of main still shows it: {:?}", main.busy));
    }
    r.untouched_from_cache(&[QUIET_A, QUIET_B])?;
    r.settle("move")?;

    // 4. Weekly hours on main; A's next reads are of the untouched ones.
    let hours = r.cached("free_busy of main before the hours", |r| r.free_busy(MAIN))?.hours;
    if hours != [window()] {
        return Err(format!("before the hours are set, main works {hours:?}, not around the clock"));
    }
    writer.run(&format!("hours {MAIN}"))?;
    r.untouched_from_cache(&[SPARE, QUIET_A, QUIET_B])?;
    let fb = r.free_busy(MAIN)?;
    let office = office_hours_in_window();
    let m_stay = span(at(1, 10, 0), at(1, 12, 0));
    if fb.hours != office || fb.free != minus(&office, m_stay) {
        return Err(format!(
            "after main got office hours, free_busy shows hours {:?} and free {:?}; expected {office:?} and {:?}",
            fb.hours,
            fb.free,
            minus(&office, m_stay)
        ));
    }
    let saturday = span(at(5, 10, 0), at(5, 11, 0));
    let check = r.check(MAIN, saturday)?;
    if check.available || !check.reasons.iter().any(|r| matches!(r, Reason::OutsideHours { .. })) {
        return Err(format!("after main got office hours, Saturday {saturday} is not outside them: {check:?}"));
    }
    r.settle("hours")?;

    // 5. A 30-minute buffer after main's bookings; A's next read is
    //    check_availability of the half hour after m-stay.
    let tail = span(m_stay.end, at(1, 12, 30));
    if !r.cached("check_availability before the buffer", |r| r.check(MAIN, tail))?.available {
        return Err(format!("{tail} on main is taken before the buffer"));
    }
    writer.run(&format!("buffer_after {MAIN} 30"))?;
    let check = r.check(MAIN, tail)?;
    if check.available || !names_conflict(&check, "m-stay") {
        return Err(format!("after main got a 30-minute buffer, {tail} does not conflict with m-stay: {check:?}"));
    }
    let fb = r.free_busy(MAIN)?;
    let widened = span(m_stay.start, tail.end);
    // m-edge, which ended 10 minutes before the window, now reaches into it.
    let expected_busy = vec![("m-edge", span(at(0, 0, 0), at(0, 0, 20))), ("m-stay", widened)];
    if busy_of(&fb) != expected_busy || fb.free != minus(&office, widened) {
        return Err(format!(
            "after main got a 30-minute buffer, free_busy shows busy {:?} and free {:?}; expected busy \
             {expected_busy:?}",
            busy_of(&fb),
            fb.free
        ));
    }
    r.untouched_from_cache(&[SPARE, QUIET_A, QUIET_B])?;
    r.settle("buffer")?;

    // 6. A 10-minute hold on spare, seen at once; then A's clock passes
    //    its expiry. No event marks that, yet the next reads, answered by
    //    the cache alone, no longer count the hold.
    let slot = span(at(12, 10, 0), at(12, 11, 0));
    if !r.cached("check_availability before the hold", |r| r.check(SPARE, slot))?.available {
        return Err(format!("{slot} on spare is taken before the hold"));
    }
    let hold = writer.run(&format!("hold {SPARE} {} {} 10", slot.start.as_micros(), slot.end.as_micros()))?;
    let check = r.check(SPARE, slot)?;
    if !names_conflict(&check, &hold) {
        return Err(format!("after hold {hold} was placed over {slot}, check_availability of spare says {check:?}"));
    }
    r.untouched_from_cache(&[MAIN, QUIET_A, QUIET_B])?;
    r.settle("hold")?;
    clock.advance(TimeDelta::minutes(11));
    let check = r.cached("check_availability after the hold expired", |r| r.check(SPARE, slot))?;
    let fb = r.cached("free_busy after the hold expired", |r| r.free_busy(SPARE))?;
    if !check.available || fb.busy.iter().any(|b| b.booking_id == hold) {
        return Err(format!(
            "hold {hold} expired, yet check_availability says {check:?} and free_busy of spare shows {:?}",
            fb.busy
        ));
    }
    r.settle("hold expiry")?;

    // 7. More events at once than the cache scans (512, `SCAN_EVENTS_MAX`
    //    in cache.rs): the whole tenant goes stale, so no hits are
    //    required of the untouched resources; every answer must still be
    //    fresh. 600 half-hour bookings on spare from day 21, 432 of them
    //    inside the window.
    let (count, inside) = (600, 9 * 48);
    let answer = writer.run(&format!("batch {SPARE} {} {count} 30", at(21, 0, 0).as_micros()))?;
    if answer != count.to_string() {
        return Err(format!("a batch of {count} created {answer}"));
    }
    let fb = r.free_busy(SPARE)?;
    let batch = fb.busy.iter().filter(|b| b.start >= at(21, 0, 0)).count();
    if batch != inside {
        return Err(format!(
            "after a batch of {count} on spare, free_busy shows {batch} of its {inside} in the window"
        ));
    }
    r.settle("a batch of 600")?;

    if let Writer::Child(child) = writer {
        child.finish()?;
    }
    let s = engine.cache_stats();
    Ok(format!(
        "7 writes and a hold expiry each seen on the next read, untouched resources served from the cache; A's \
         cache: {} hits, {} misses, {} entries",
        s.hits, s.misses, s.entries
    ))
}

// ---------------------------------------------------------------------------
// Scenario 3: bounded
// ---------------------------------------------------------------------------

fn bounded_resource(index: usize) -> String {
    format!("b{index:02}")
}

/// Booking `bk<index>` on resource `b<index>`: one hour on one of the
/// window's three days.
fn bounded_booking(index: usize) -> Interval {
    let (day, hour) = ((index % 3) as i64, 8 + (index % 8) as i64);
    span(at(day, hour, 0), at(day, hour + 1, 0))
}

fn bounded(store: &TestStore) -> Result<String, String> {
    let dir = tempfile::tempdir().map_err(|e| format!("tempdir: {e}"))?;
    let url = store.fresh_shared_url(dir.path());
    let clock = ManualClock::new(ts(NOW_US));
    let engine = open_engine(&url, Some(BOUNDED_CAPACITY), &clock)?;
    engine.create_tenant(TENANT, "Bounded cache").map_err(|e| hf("create_tenant", &e))?;
    let t = engine.tenant(TENANT).map_err(|e| hf("tenant", &e))?;
    let reference_engine = open_engine(&url, Some(0), &clock)?;
    let reference = reference_engine.tenant(TENANT).map_err(|e| hf("tenant", &e))?;
    let ids: Vec<String> = (0..BOUNDED_RESOURCES).map(bounded_resource).collect();
    for (index, id) in ids.iter().enumerate() {
        let new = NewResource { id: Some(id.clone()), name: id.clone(), ..Default::default() };
        t.create_resource(new).map_err(|e| hf("create_resource", &e))?;
        let interval = bounded_booking(index);
        let booking = NewBooking {
            id: Some(format!("bk{index:02}")),
            resource_id: id.clone(),
            start: interval.start,
            end: interval.end,
            status: Status::Confirmed,
            ..Default::default()
        };
        t.create_booking(booking).map_err(|e| hf("create_booking", &e))?;
    }
    let w = span(at(0, 0, 0), at(BOUNDED_WINDOW_DAYS, 0, 0));
    let read = |t: &Tenant, ids: &[String]| t.free_busy(ids, w.start, w.end).map_err(|e| hf("free_busy", &e));
    let within_bound = |what: &str| {
        let s = engine.cache_stats();
        if s.capacity != BOUNDED_CAPACITY || s.entries > BOUNDED_CAPACITY {
            return Err(format!("{what}: {} entries, capacity {} (bound {BOUNDED_CAPACITY})", s.entries, s.capacity));
        }
        Ok(())
    };

    for pass in 1..=2 {
        for (index, id) in ids.iter().enumerate() {
            let one = std::slice::from_ref(id);
            let fb = read(&t, one)?;
            within_bound(&format!("pass {pass}, after reading {id}"))?;
            if fb != read(&reference, one)? {
                return Err(format!("pass {pass}: free_busy of {id} differs from an uncached engine's: {fb:?}"));
            }
            let interval = bounded_booking(index);
            let expected = format!("bk{index:02}");
            if !fb[0]
                .busy
                .iter()
                .any(|b| b.booking_id == expected && (b.start, b.end) == (interval.start, interval.end))
            {
                return Err(format!("pass {pass}: free_busy of {id} misses {expected}: {:?}", fb[0].busy));
            }
            // One resource's entries fit: an immediate re-read is all hits.
            let before = engine.cache_stats();
            let again = read(&t, one)?;
            let after = engine.cache_stats();
            if after.misses != before.misses || after.hits <= before.hits || again != fb {
                return Err(format!(
                    "pass {pass}: an immediate re-read of {id} was not served from the cache (hits {} -> {}, \
                     misses {} -> {})",
                    before.hits, after.hits, before.misses, after.misses
                ));
            }
        }
    }
    // All fifty in one snapshot.
    let all = read(&t, &ids)?;
    within_bound("after reading all resources at once")?;
    if all != read(&reference, &ids)? {
        return Err("free_busy of all resources at once differs from an uncached engine's".into());
    }
    let s = engine.cache_stats();
    // No write happened since the first read, so nothing went stale: every
    // miss put one new entry, and every entry put is held or was evicted.
    if s.evictions == 0 || s.evictions + s.entries as u64 != s.misses {
        return Err(format!(
            "{} misses should have put as many entries, {} held + {} evicted; stats {s:?}",
            s.misses, s.entries, s.evictions
        ));
    }

    // Writes through this engine are seen on the very next read: on the
    // resource read last (cached) and on the first one (long evicted).
    for (index, id) in [(BOUNDED_RESOURCES - 1, &ids[BOUNDED_RESOURCES - 1]), (0, &ids[0])] {
        let interval = span(at(2, 18, 0), at(2, 19, 0));
        let new = NewBooking {
            resource_id: id.clone(),
            start: interval.start,
            end: interval.end,
            status: Status::Pencil,
            ..Default::default()
        };
        let created = t.create_booking(new).map_err(|e| hf("create_booking", &e))?;
        let fb = read(&t, std::slice::from_ref(id))?;
        if !fb[0].busy.iter().any(|b| b.booking_id == created.id) {
            return Err(format!("booking {} on {id} (index {index}) missing from the next read", created.id));
        }
        let check = t.check_availability(id, interval.start, interval.end, 1).map_err(|e| hf("check", &e))?;
        if !names_conflict(&check, &created.id) {
            return Err(format!("check_availability on {id} does not name {}: {check:?}", created.id));
        }
        within_bound("after a write")?;
    }
    let s = engine.cache_stats();
    Ok(format!(
        "{BOUNDED_RESOURCES} resources read 5 times: at most {BOUNDED_CAPACITY} entries ({} now), {} evictions, \
         {} hits, {} misses",
        s.entries, s.evictions, s.hits, s.misses
    ))
}

// ---------------------------------------------------------------------------
// Scenario 4: off
// ---------------------------------------------------------------------------

fn off(store: &TestStore) -> Result<String, String> {
    let dir = tempfile::tempdir().map_err(|e| format!("tempdir: {e}"))?;
    let url = store.fresh_shared_url(dir.path());
    let clock = ManualClock::new(ts(NOW_US));
    let engine = open_engine(&url, Some(0), &clock)?;
    let t = setup(&engine)?;
    let cached_engine = open_engine(&url, None, &clock)?;
    let mut r = Reader {
        engine: cached_engine.clone(),
        t: cached_engine.tenant(TENANT).map_err(|e| hf("tenant", &e))?,
        reference: t.clone(),
        last: HashMap::new(),
        last_listed: HashMap::new(),
    };
    let nothing_held = |what: &str| {
        let s = engine.cache_stats();
        if s.capacity != 0 || s.entries != 0 || s.hits != 0 || s.evictions != 0 {
            return Err(format!("{what}: a cache turned off reports {s:?}"));
        }
        Ok(())
    };
    nothing_held("opened")?;
    // `settle` compares every answer of the cached engine with this one.
    r.settle("set-up")?;
    r.settle("set-up, again")?;
    nothing_held("after reading every resource twice")?;

    // A write through the uncached engine: seen by it, and by the cached one.
    let new = span(at(3, 14, 0), at(3, 16, 0));
    let id = perform(&t, &format!("create {MAIN} {} {}", new.start.as_micros(), new.end.as_micros()))?;
    let fb = Reader::free_busy_of(&t, MAIN)?;
    if !fb.busy.iter().any(|b| b.booking_id == id) {
        return Err(format!("booking {id} missing from the uncached engine's next read: {:?}", fb.busy));
    }
    r.settle("a create through the uncached engine")?;
    perform(&t, &format!("cancel {id}"))?;
    let fb = Reader::free_busy_of(&t, MAIN)?;
    if fb.busy.iter().any(|b| b.booking_id == id) {
        return Err(format!("cancelled booking {id} still in the uncached engine's next read: {:?}", fb.busy));
    }
    r.settle("a cancel through the uncached engine")?;
    nothing_held("at the end")?;
    Ok(format!("0 entries, 0 hits over {} lookups; answers equal a cached engine's", engine.cache_stats().misses))
}
