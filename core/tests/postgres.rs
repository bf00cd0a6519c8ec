//! The PostgreSQL store end to end (DESIGN.md sections 3, 4 and 7).
//!
//! `harness = false` and `required-features = ["postgres"]`: this binary is
//! its own runner. Started by cargo it is the parent; it re-executes itself
//! (`current_exe`) with `HOLDFAST_PG_ROLE` set to play a child. It needs a
//! server: `eval "$(scripts/pg-up.sh)"` exports `HOLDFAST_TEST_POSTGRES_URL`
//! (a superuser) and `HOLDFAST_TEST_POSTGRES_APP_URL` (role `holdfast_app`,
//! NOSUPERUSER NOBYPASSRLS). Without the first the run FAILS: a PostgreSQL
//! test that passes without PostgreSQL would prove nothing.
//!
//! * **multi-instance race**: four processes, each with its own `Engine` and
//!   connection pool (two threads each), hammer a few hot slots of
//!   capacity-1/2/3 resources, with and without buffers, in two tenants of
//!   one fresh schema: creates (hold, pencil, confirmed, quantities, shared
//!   idempotency keys), pencil/confirm/cancel/decline/extend, reschedules
//!   (also to another resource) and sweeps. Every refusal must be a domain
//!   code; afterwards one SQL query checks the capacity invariant over the
//!   whole bookings table (self-tested on an injected overbooking), `seq` is
//!   gap-free, the event log replays without exceeding capacity at any
//!   decision, and it matches one-to-one what the children were told.
//! * **row-level security**: the engine runs as `holdfast_app`; a raw
//!   session as the same role with `holdfast.tenant_id` = A sees A's rows
//!   only, without the setting none, and cannot write B's rows; a superuser
//!   session sees everything (so the engine must run as an ordinary role).
//! * **clock skew between instances**: two engines on one database whose
//!   clocks differ by 2 s. Y holds a slot; X, ahead, judges the hold expired
//!   and books over it; Y, behind, confirms the hold. The capacity query must
//!   still find nothing (DESIGN.md section 3: the invariant holds across
//!   machines).
//! * **store outage**: on a server of its own (started with
//!   `scripts/pg-up.sh`, deleted with `scripts/pg-down.sh`), writer threads
//!   sharing one `Engine` (busy timeout 2 s) keep writing while the server
//!   is stopped (`-m fast`, later `-m immediate`) and started again: calls
//!   fail with `STORE_UNAVAILABLE` within seconds, never `INTERNAL` or a
//!   panic, nothing is half-written, and the same engine writes again.
//!
//! Ends with `N passed, M failed`; exits 1 on any failure. The seed is
//! printed first; `HOLDFAST_PG_SEED=<seed>` replays the choices.

#![cfg(feature = "postgres")]
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{panic_message, run_scenario};

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use chrono::{DateTime, TimeDelta, Utc};
use common::ResourceSpec;
use common::child::{Line, lines_of};
use common::rng::{Rng, child_seed};
use holdfast::{
    Booking, BookingFilter, Engine, Error, HoldExpiry, NewBooking, NewProject, NewResource, Reschedule, Status, Tenant,
    Timestamp,
};
use postgres::error::SqlState;
use postgres::{Client, NoTls};

const URL_VAR: &str = "HOLDFAST_TEST_POSTGRES_URL";
const APP_URL_VAR: &str = "HOLDFAST_TEST_POSTGRES_APP_URL";
/// Port the outage scenario's own server starts looking from.
const FAULT_PORT_VAR: &str = "HOLDFAST_TEST_POSTGRES_FAULT_PORT";
const FAULT_PORT_DEFAULT: u16 = 54_379;

const ROLE_VAR: &str = "HOLDFAST_PG_ROLE";
const CHILD_URL_VAR: &str = "HOLDFAST_PG_URL";
const SEED_VAR: &str = "HOLDFAST_PG_SEED";
const INDEX_VAR: &str = "HOLDFAST_PG_INDEX";

const MINUTE_US: i64 = 60_000_000;
const HOUR_US: i64 = 60 * MINUTE_US;
/// 2030-03-04T09:00:00Z: every booking of the test starts from here.
const BASE_US: i64 = 1_898_845_200 * 1_000_000;

fn main() {
    match std::env::var(ROLE_VAR).as_deref() {
        Ok("race") => race_child(),
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

struct Ctx {
    seed: u64,
    /// Superuser URL of the shared server.
    admin_url: String,
    /// `holdfast_app` URL of the shared server, if given.
    app_url: Option<String>,
}

type Scenario = fn(&Ctx) -> Result<String, String>;

fn parent() {
    let started = Instant::now();
    let admin_url = match std::env::var(URL_VAR) {
        Ok(url) if !url.trim().is_empty() => url,
        _ => {
            println!(
                "FAIL setup: {URL_VAR} is not set. These tests need a PostgreSQL server: run \
                 `eval \"$(scripts/pg-up.sh)\"` first (it exports {URL_VAR} and {APP_URL_VAR}), then \
                 `cargo test -p holdfast --features postgres --test postgres`; `scripts/pg-down.sh` stops it"
            );
            println!("0 passed, 1 failed");
            std::process::exit(1);
        }
    };
    if admin_url.contains("options=") {
        println!("FAIL setup: {URL_VAR} must not set `options`: the tests set the search_path through it");
        println!("0 passed, 1 failed");
        std::process::exit(1);
    }
    let app_url = std::env::var(APP_URL_VAR).ok().filter(|u| !u.trim().is_empty());
    let seed = match std::env::var(SEED_VAR) {
        Ok(text) => text.trim().parse().expect("HOLDFAST_PG_SEED must be an unsigned integer"),
        Err(_) => {
            let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
            nanos.as_nanos() as u64
        }
    };
    println!("postgres: seed {seed} (set {SEED_VAR}={seed} to replay)");
    let ctx = Ctx { seed, admin_url, app_url };
    // The outage runs last and on a server of its own: restarting the
    // shared one would break whatever else uses it.
    let scenarios: [(&str, Scenario); 6] = [
        ("multi-instance race", race),
        ("row-level security", rls),
        ("clock skew between instances", skew),
        ("exclusion constraint behind the engine", exclusion),
        ("pool exhaustion", pool_exhaustion),
        ("store outage", outage),
    ];
    let (mut passed, mut failed) = (0, 0);
    for (name, run) in scenarios {
        println!("--- {name}");
        if run_scenario(name, &format!(", seed {seed}"), || run(&ctx)) {
            passed += 1;
        } else {
            failed += 1;
        }
    }
    println!("postgres: {:.1} s in all", started.elapsed().as_secs_f64());
    println!("{passed} passed, {failed} failed");
    if failed > 0 {
        std::process::exit(1);
    }
}

// ---------------------------------------------------------------------------
// Shared helpers
// ---------------------------------------------------------------------------

/// An engine error as a test failure message.
fn hf(what: &str, error: &Error) -> String {
    format!("{what}: {} {error}", error.code())
}

fn sql(what: &str) -> impl Fn(postgres::Error) -> String + '_ {
    move |e| format!("{what}: {e}")
}

fn ts(us: i64) -> Timestamp {
    Timestamp::from_micros(us)
}

fn connect(url: &str) -> Result<Client, String> {
    Client::connect(url, NoTls).map_err(|e| format!("connect to {}: {e}", redact(url)))
}

/// A URL for messages: the password, if any, is not printed.
fn redact(url: &str) -> String {
    match (url.find("://"), url.find('@')) {
        (Some(scheme), Some(at)) if url[scheme + 3..at].contains(':') => {
            let user_end = url[scheme + 3..at].find(':').map(|i| scheme + 3 + i).unwrap_or(at);
            format!("{}:***{}", &url[..user_end], &url[at..])
        }
        _ => url.to_owned(),
    }
}

/// `url` with `schema` first on its search_path (the store migrates there).
fn with_search_path(url: &str, schema: &str) -> String {
    let separator = if url.contains('?') { '&' } else { '?' };
    format!("{url}{separator}options=-c%20search_path%3D{schema},public")
}

/// A new schema named `<prefix>_<random>` on the server `admin` is connected to.
fn fresh_schema(admin: &mut Client, prefix: &str) -> Result<String, String> {
    let schema = format!("{prefix}_{}", uuid::Uuid::new_v4().simple());
    admin.batch_execute(&format!("CREATE SCHEMA {schema}")).map_err(sql("CREATE SCHEMA"))?;
    Ok(schema)
}

/// Per tenant: `(events, max seq, tenants.last_seq, min seq)`; `seq` must
/// run 1..=n with no gap, and the counter must stand at n.
fn check_seq(admin: &mut Client, schema: &str) -> Result<usize, String> {
    let rows = admin
        .query(
            &format!(
                "SELECT t.id, t.last_seq, count(e.seq), COALESCE(max(e.seq), 0), COALESCE(min(e.seq), 0)
                 FROM {schema}.tenants t LEFT JOIN {schema}.events e ON e.tenant_id = t.id
                 GROUP BY t.id, t.last_seq ORDER BY t.id"
            ),
            &[],
        )
        .map_err(sql("seq check"))?;
    let mut events = 0;
    for row in &rows {
        let (tenant, last_seq, count, max, min): (String, i64, i64, i64, i64) =
            (row.get(0), row.get(1), row.get(2), row.get(3), row.get(4));
        if count != max || last_seq != max || (count > 0 && min != 1) {
            return Err(format!(
                "tenant {tenant}: {count} events, seq {min}..={max}, last_seq {last_seq}: not gap-free"
            ));
        }
        events += count as usize;
    }
    Ok(events)
}

/// Bookings without their `created` event, and `created` events without
/// their booking (across every tenant of `schema`).
fn check_created_events(admin: &mut Client, schema: &str) -> Result<(), String> {
    let row = admin
        .query_one(
            &format!(
                "SELECT
                   (SELECT count(*) FROM {schema}.bookings b WHERE NOT EXISTS (
                      SELECT 1 FROM {schema}.events e
                      WHERE e.tenant_id = b.tenant_id AND e.booking_id = b.id AND e.type = 'created')),
                   (SELECT count(*) FROM {schema}.events e WHERE e.type = 'created' AND NOT EXISTS (
                      SELECT 1 FROM {schema}.bookings b WHERE b.tenant_id = e.tenant_id AND b.id = e.booking_id)),
                   (SELECT count(*) FROM (SELECT 1 FROM {schema}.events WHERE type = 'created'
                      GROUP BY tenant_id, booking_id HAVING count(*) > 1) twice)"
            ),
            &[],
        )
        .map_err(sql("created-event check"))?;
    let (orphans, ghosts, twice): (i64, i64, i64) = (row.get(0), row.get(1), row.get(2));
    if orphans + ghosts + twice > 0 {
        return Err(format!(
            "half-written: {orphans} bookings without a created event, {ghosts} created events without a \
             booking, {twice} bookings created twice"
        ));
    }
    Ok(())
}

/// Every booking row equals the booking its last event recorded.
fn check_rows_match_log(admin: &mut Client, schema: &str) -> Result<(), String> {
    let rows = admin
        .query(
            &format!(
                "SELECT b.tenant_id, b.id, b.version, b.status, l.data->'booking'
                 FROM {schema}.bookings b
                 LEFT JOIN LATERAL (SELECT data FROM {schema}.events e
                     WHERE e.tenant_id = b.tenant_id AND e.booking_id = b.id ORDER BY seq DESC LIMIT 1) l ON true"
            ),
            &[],
        )
        .map_err(sql("rows vs log"))?;
    for row in &rows {
        let (tenant, id, version, status): (String, String, i64, String) =
            (row.get(0), row.get(1), row.get(2), row.get(3));
        let last: Option<serde_json::Value> = row.get(4);
        let last = last.ok_or_else(|| format!("booking {tenant}/{id} has no event"))?;
        let logged: Booking = serde_json::from_value(last).map_err(|e| format!("event of {tenant}/{id}: {e}"))?;
        if logged.version != version || logged.status.as_str() != status {
            return Err(format!(
                "booking {tenant}/{id} is v{version} {status} but its last event says v{} {}",
                logged.version, logged.status
            ));
        }
    }
    Ok(())
}

/// The capacity invariant as ONE query over the whole bookings table:
/// for every blocking booking, at the first instant of its buffered
/// footprint, the quantities of the blocking bookings whose footprint
/// covers that instant sum to at most the resource's capacity (a step
/// function of half-open intervals peaks at some interval's start). Holds
/// block while `hold_expires_at > now()`. Returns the violations.
fn capacity_violations_sql(schema: &str) -> String {
    format!(
        "WITH blocking AS (
             SELECT b.tenant_id, b.resource_id, b.id, b.quantity, r.capacity,
                    b.start_at - r.buffer_before_us * interval '1 microsecond' AS fp_start,
                    b.end_at + r.buffer_after_us * interval '1 microsecond' AS fp_end
             FROM {schema}.bookings b
             JOIN {schema}.resources r ON r.tenant_id = b.tenant_id AND r.id = b.resource_id
             WHERE b.status IN ('pencil', 'confirmed') OR (b.status = 'hold' AND b.hold_expires_at > now())
         )
         SELECT p.tenant_id, p.resource_id, p.fp_start::text, p.capacity, sum(o.quantity)::bigint,
                string_agg(o.id || 'x' || o.quantity, ' ' ORDER BY o.id)
         FROM blocking p
         JOIN blocking o ON o.tenant_id = p.tenant_id AND o.resource_id = p.resource_id
                        AND o.fp_start <= p.fp_start AND p.fp_start < o.fp_end
         GROUP BY p.tenant_id, p.resource_id, p.id, p.fp_start, p.capacity
         HAVING sum(o.quantity) > p.capacity
         ORDER BY 1, 2, 3"
    )
}

fn capacity_violations(client: &mut impl postgres::GenericClient, schema: &str) -> Result<Vec<String>, String> {
    let rows = client.query(&capacity_violations_sql(schema), &[]).map_err(sql("capacity query"))?;
    let mut found: Vec<String> = rows
        .iter()
        .map(|r| {
            let (tenant, resource, at, capacity, used, ids): (String, String, String, i32, i64, String) =
                (r.get(0), r.get(1), r.get(2), r.get(3), r.get(4), r.get(5));
            format!("{tenant}/{resource} at {at}: {used} > {capacity} ({ids})")
        })
        .collect();
    // Bookings starting together report the same place once each.
    found.dedup();
    Ok(found)
}

// ---------------------------------------------------------------------------
// Child processes
// ---------------------------------------------------------------------------

/// A child process; killed and reaped when dropped, whatever happened.
struct Proc {
    name: String,
    child: Child,
    stdin: Option<ChildStdin>,
    lines: Receiver<Line>,
}

impl Proc {
    fn spawn(role: &str, url: &str, seed: u64, index: usize) -> Result<Proc, String> {
        let exe = std::env::current_exe().map_err(|e| format!("current_exe: {e}"))?;
        let name = format!("{role} child {index}");
        let mut child = Command::new(exe)
            .env(ROLE_VAR, role)
            .env(CHILD_URL_VAR, url)
            .env(SEED_VAR, seed.to_string())
            .env(INDEX_VAR, index.to_string())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .map_err(|e| format!("spawn {name}: {e}"))?;
        let stdin = child.stdin.take();
        let stdout = child.stdout.take().ok_or("no stdout pipe")?;
        let lines = lines_of(stdout);
        Ok(Proc { name, child, stdin, lines })
    }

    fn expect_ready(&self, timeout: Duration) -> Result<(), String> {
        match self.lines.recv_timeout(timeout) {
            Ok(Line::Complete(line)) if line == "ready" => Ok(()),
            Ok(Line::Complete(line) | Line::Partial(line)) => {
                Err(format!("{}: expected \"ready\", got {line:?}", self.name))
            }
            Err(RecvTimeoutError::Timeout) => Err(format!("{}: not ready within {timeout:?}", self.name)),
            Err(RecvTimeoutError::Disconnected) => Err(format!("{}: exited before it was ready", self.name)),
        }
    }

    fn go(&mut self) -> Result<(), String> {
        let mut stdin = self.stdin.take().ok_or("no stdin pipe")?;
        stdin.write_all(b"go\n").and_then(|()| stdin.flush()).map_err(|e| format!("{}: go: {e}", self.name))
    }

    /// Waits for the child to exit; kills it past `deadline`.
    fn finish(&mut self, deadline: Instant) -> Result<std::process::ExitStatus, String> {
        loop {
            if let Some(status) = self.child.try_wait().map_err(|e| format!("{}: wait: {e}", self.name))? {
                return Ok(status);
            }
            if Instant::now() > deadline {
                let _ = self.child.kill();
                let _ = self.child.wait();
                return Err(format!("{}: still running at the deadline; killed", self.name));
            }
            thread::sleep(Duration::from_millis(20));
        }
    }

    /// Everything the child wrote; call once it has been reaped.
    fn drain(&self) -> Vec<String> {
        self.lines
            .iter()
            .map(|l| match l {
                Line::Complete(s) => s,
                Line::Partial(s) => format!("{s} <cut>"),
            })
            .collect()
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Writes one line and flushes it, so the parent sees it at once.
fn say(line: &str) {
    let mut out = std::io::stdout().lock();
    if writeln!(out, "{line}").and_then(|()| out.flush()).is_err() {
        std::process::exit(5);
    }
}

fn child_fail(message: &str) -> ! {
    say(&format!("fail {message}"));
    std::process::exit(3);
}

// ---------------------------------------------------------------------------
// Scenario 1: multi-instance race
// ---------------------------------------------------------------------------

const RACE_CHILDREN: usize = 4;
const RACE_THREADS: usize = 2;
const RACE_OPS_PER_THREAD: usize = 500;
const RACE_TENANTS: [&str; 2] = ["race-a", "race-b"];
/// Generous: a busy store must never be what the race reports.
const RACE_BUSY_TIMEOUT: Duration = Duration::from_secs(30);
const RACE_READY_TIMEOUT: Duration = Duration::from_secs(30);
const RACE_DEADLINE: Duration = Duration::from_secs(120);
/// Hot slot starts: every 30 min over 4 h.
const RACE_SLOTS: u64 = 8;
/// Idempotency keys shared by every child (per tenant).
const RACE_IDEM_KEYS: u64 = 12;
const LONG_HOLD_TTL: TimeDelta = TimeDelta::days(1);
/// Some holds expire mid-race, to exercise expiry across processes.
const SHORT_HOLD_TTL: TimeDelta = TimeDelta::milliseconds(150);

const RACE_RESOURCES: [ResourceSpec; 4] = [
    ResourceSpec { id: "solo", capacity: 1, before_min: 0, after_min: 0 },
    ResourceSpec { id: "trio", capacity: 3, before_min: 0, after_min: 0 },
    ResourceSpec { id: "buffered", capacity: 1, before_min: 15, after_min: 30 },
    ResourceSpec { id: "duo-buffered", capacity: 2, before_min: 10, after_min: 20 },
];

fn spec(id: &str) -> Option<&'static ResourceSpec> {
    RACE_RESOURCES.iter().find(|r| r.id == id)
}

/// The fixed body of shared idempotency key `n`: every child sends the same.
fn idem_booking(n: u64) -> NewBooking {
    let r = &RACE_RESOURCES[(n % RACE_RESOURCES.len() as u64) as usize];
    let start = BASE_US + (n % RACE_SLOTS) as i64 * 30 * MINUTE_US;
    NewBooking {
        resource_id: r.id.into(),
        start: ts(start),
        end: ts(start + HOUR_US),
        status: Status::Pencil,
        title: Some(format!("idem-{n}")),
        idempotency_key: Some(format!("idem-{n}")),
        ..Default::default()
    }
}

/// A write a child was told succeeded: `ok <tenant> <op> <id> <version> <status> <actor>`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
struct Ack {
    tenant: String,
    id: String,
    version: i64,
    status: String,
    actor: String,
}

fn race(ctx: &Ctx) -> Result<String, String> {
    let mut admin = connect(&ctx.admin_url)?;
    let schema = fresh_schema(&mut admin, "race")?;
    let url = with_search_path(&ctx.admin_url, &schema);

    // The children migrate the fresh schema and create the tenants and
    // resources themselves, all at once: that races too.
    let mut procs = Vec::new();
    for index in 0..RACE_CHILDREN {
        procs.push(Proc::spawn("race", &url, child_seed(ctx.seed, index), index)?);
    }
    for p in &procs {
        p.expect_ready(RACE_READY_TIMEOUT)?;
    }
    let started = Instant::now();
    for p in &mut procs {
        p.go()?;
    }
    let deadline = started + RACE_DEADLINE;
    let mut acks: Vec<Ack> = Vec::new();
    let mut idem: BTreeMap<(String, String), BTreeSet<String>> = BTreeMap::new();
    let mut totals: BTreeMap<String, u64> = BTreeMap::new();
    for (index, p) in procs.iter_mut().enumerate() {
        let status = p.finish(deadline)?;
        let lines = p.drain();
        if let Some(fail) = lines.iter().find(|l| l.starts_with("fail ")) {
            return Err(format!("child {index}: {fail}"));
        }
        if !status.success() {
            return Err(format!("child {index} exited with {status}; last lines {:?}", last(&lines, 5)));
        }
        let mut summarized = false;
        for line in &lines {
            let f: Vec<&str> = line.split(' ').collect();
            match f.as_slice() {
                ["ok", tenant, _op, id, version, status, actor] => acks.push(Ack {
                    tenant: (*tenant).into(),
                    id: (*id).into(),
                    version: version.parse().map_err(|_| format!("child {index}: bad line {line:?}"))?,
                    status: (*status).into(),
                    actor: (*actor).into(),
                }),
                ["idem", tenant, key, id] => {
                    idem.entry(((*tenant).into(), (*key).into())).or_default().insert((*id).into());
                }
                ["summary", rest @ ..] => {
                    summarized = true;
                    for kv in rest {
                        let (k, v) = kv.split_once('=').ok_or_else(|| format!("child {index}: bad {line:?}"))?;
                        *totals.entry(k.into()).or_default() +=
                            v.parse::<u64>().map_err(|_| format!("bad {line:?}"))?;
                    }
                }
                _ => return Err(format!("child {index}: unexpected line {line:?}")),
            }
        }
        if !summarized {
            return Err(format!("child {index} printed no summary"));
        }
    }
    let race_secs = started.elapsed().as_secs_f64();
    drop(procs);

    // 1. The capacity invariant, in one query over the whole table.
    let violations = capacity_violations(&mut admin, &schema)?;
    if !violations.is_empty() {
        return Err(format!("capacity invariant broken ({} places): {}", violations.len(), violations.join("; ")));
    }
    // ... and the query is not vacuous: an overbooking injected behind the
    // engine's back (then rolled back) is reported.
    self_test_capacity_query(&mut admin, &schema)?;

    // ... and at every decision the log records: an overbooking that a
    // later cancel or move healed is gone from the final table.
    let replayed = replay_capacity(&mut admin, &schema)?;

    // 2. seq gap-free per tenant; every row matches its log; no orphans.
    let events = check_seq(&mut admin, &schema)?;
    check_created_events(&mut admin, &schema)?;
    check_rows_match_log(&mut admin, &schema)?;

    // 3. The log holds exactly what the children were told succeeded.
    let logged = admin
        .query(
            &format!(
                "SELECT tenant_id, booking_id, (data->'booking'->>'version')::bigint, data->'booking'->>'status',
                        actor, type, data->'booking'->>'idempotency_key'
                 FROM {schema}.events WHERE booking_id IS NOT NULL AND actor <> 'system'"
            ),
            &[],
        )
        .map_err(sql("events"))?;
    let mut from_log: BTreeSet<Ack> = BTreeSet::new();
    let mut idem_created: BTreeMap<(String, String), String> = BTreeMap::new();
    for row in &logged {
        let ack =
            Ack { tenant: row.get(0), id: row.get(1), version: row.get(2), status: row.get(3), actor: row.get(4) };
        let kind: String = row.get(5);
        let key: Option<String> = row.get(6);
        match key {
            Some(key) if kind == "created" => {
                if let Some(other) = idem_created.insert((ack.tenant.clone(), key.clone()), ack.id.clone()) {
                    return Err(format!("idempotency key {key} created two bookings: {other} and {}", ack.id));
                }
            }
            _ => {
                from_log.insert(ack);
            }
        }
    }
    let acked: BTreeSet<Ack> = acks.iter().cloned().collect();
    if acked.len() != acks.len() {
        return Err("a child was told the same (booking, version) twice".into());
    }
    if let Some(missing) = acked.difference(&from_log).next() {
        return Err(format!("acknowledged write missing from the log: {missing:?}"));
    }
    if let Some(extra) = from_log.difference(&acked).next() {
        return Err(format!("logged write no child was told about: {extra:?}"));
    }
    for ((tenant, key), ids) in &idem {
        let created = idem_created.get(&(tenant.clone(), key.clone()));
        if ids.len() != 1 || created != ids.iter().next() {
            return Err(format!("idempotency key {tenant}/{key}: children got {ids:?}, the log created {created:?}"));
        }
    }

    // 4. Not a degenerate run.
    let per_tenant = admin
        .query(&format!("SELECT tenant_id, count(*) FROM {schema}.bookings GROUP BY 1 ORDER BY 1"), &[])
        .map_err(sql("per tenant"))?;
    let get = |k: &str| totals.get(k).copied().unwrap_or(0);
    if get("conflict") == 0 || get("ok") == 0 || per_tenant.len() != RACE_TENANTS.len() || idem.is_empty() {
        return Err(format!("degenerate run: {totals:?}, bookings per tenant {per_tenant:?}"));
    }
    let bookings: i64 = per_tenant.iter().map(|r| r.get::<_, i64>(1)).sum();
    let expired: i64 = admin
        .query_one(&format!("SELECT count(*) FROM {schema}.events WHERE type = 'expired'"), &[])
        .map_err(sql("expired"))?
        .get(0);
    Ok(format!(
        "{RACE_CHILDREN} processes x {RACE_THREADS} threads, {} calls in {race_secs:.1} s: {} ok ({} writes logged, \
         {} idempotent keys agreed), {} CONFLICT, {} INVALID_TRANSITION, {} HOLD_EXPIRED, {} VERSION_MISMATCH, \
         {} sweeps; {bookings} bookings, {events} events gap-free, {expired} expiries; capacity query: 0 violations \
         (and it catches an injected one); log replay: capacity held at all {replayed} instants checked",
        get("ops"),
        get("ok"),
        acked.len(),
        idem.len(),
        get("conflict"),
        get("invalid_transition"),
        get("hold_expired"),
        get("version_mismatch"),
        get("sweeps"),
    ))
}

/// Whether `b` consumes capacity at `now` (DESIGN.md section 3).
fn blocks_at(b: &Booking, now: Timestamp) -> bool {
    match b.status {
        Status::Hold => b.hold_expires_at.is_some_and(|at| at > now),
        Status::Pencil | Status::Confirmed => true,
        Status::Cancelled | Status::Declined | Status::Expired => false,
    }
}

/// Replays every tenant's booking events in `seq` order and checks, after
/// each, the capacity at every footprint boundary inside the changed
/// booking's footprint, judged at the event's decision instant. Returns how
/// many instants were checked.
fn replay_capacity(admin: &mut Client, schema: &str) -> Result<usize, String> {
    let mut resources: HashMap<(String, String), (u64, i64, i64)> = HashMap::new();
    for r in admin
        .query(
            &format!("SELECT tenant_id, id, capacity, buffer_before_us, buffer_after_us FROM {schema}.resources"),
            &[],
        )
        .map_err(sql("resources"))?
    {
        let capacity: i32 = r.get(2);
        resources.insert((r.get(0), r.get(1)), (capacity as u64, r.get(3), r.get(4)));
    }
    let events = admin
        .query(
            &format!(
                "SELECT tenant_id, seq, at, data->'booking' FROM {schema}.events
                 WHERE booking_id IS NOT NULL ORDER BY tenant_id, seq"
            ),
            &[],
        )
        .map_err(sql("events"))?;
    let mut bookings: HashMap<(String, String), Booking> = HashMap::new();
    let mut members: HashMap<(String, String), BTreeSet<String>> = HashMap::new();
    let mut instants = 0;
    for row in &events {
        let (tenant, seq): (String, i64) = (row.get(0), row.get(1));
        let at = Timestamp::from(row.get::<_, DateTime<Utc>>(2));
        let b: Booking = serde_json::from_value(row.get(3)).map_err(|e| format!("event {tenant}/{seq}: {e}"))?;
        if let Some(prev) = bookings.get(&(tenant.clone(), b.id.clone())) {
            members.entry((tenant.clone(), prev.resource_id.clone())).or_default().remove(&b.id);
        }
        members.entry((tenant.clone(), b.resource_id.clone())).or_default().insert(b.id.clone());
        bookings.insert((tenant.clone(), b.id.clone()), b.clone());
        if !blocks_at(&b, at) {
            continue;
        }
        let &(capacity, before, after) = resources
            .get(&(tenant.clone(), b.resource_id.clone()))
            .ok_or_else(|| format!("event {tenant}/{seq}: unknown resource {}", b.resource_id))?;
        let footprint = |x: &Booking| (x.start.as_micros() - before, x.end.as_micros() + after);
        let (start, end) = footprint(&b);
        let near: Vec<(i64, i64, u64, &str)> = members[&(tenant.clone(), b.resource_id.clone())]
            .iter()
            .map(|id| &bookings[&(tenant.clone(), id.clone())])
            .filter(|x| blocks_at(x, at))
            .map(|x| {
                let (s, e) = footprint(x);
                (s, e, u64::from(x.quantity), x.id.as_str())
            })
            .filter(|(s, e, _, _)| *s < end && start < *e)
            .collect();
        for t in near.iter().flat_map(|f| [f.0, f.1]).filter(|t| (start..end).contains(t)) {
            instants += 1;
            let covering: Vec<&(i64, i64, u64, &str)> = near.iter().filter(|f| f.0 <= t && t < f.1).collect();
            let used: u64 = covering.iter().map(|f| f.2).sum();
            if used > capacity {
                return Err(format!(
                    "log replay: after event {tenant}/{seq} (at {at}) resource {} holds {used} > {capacity} at {}: {:?}",
                    b.resource_id,
                    ts(t),
                    covering.iter().map(|f| (f.3, f.2)).collect::<Vec<_>>()
                ));
            }
        }
    }
    Ok(instants)
}

fn last(lines: &[String], n: usize) -> &[String] {
    &lines[lines.len().saturating_sub(n)..]
}

/// Injects, inside a transaction that is rolled back, a booking that
/// overbooks `trio` where it is already busiest, and demands that the
/// capacity query reports it.
fn self_test_capacity_query(admin: &mut Client, schema: &str) -> Result<(), String> {
    let mut tx = admin.transaction().map_err(sql("begin"))?;
    tx.execute(
        &format!(
            "INSERT INTO {schema}.bookings (tenant_id, id, resource_id, start_at, end_at, status, quantity,
                 metadata, version, created_at, updated_at, request_hash, exclusive)
             VALUES ($1, 'injected', 'trio', $2, $3, 'confirmed', 3, '{{}}', 1, now(), now(), 'x', false),
                    ($1, 'injected-2', 'trio', $2, $3, 'confirmed', 1, '{{}}', 1, now(), now(), 'x', false)"
        ),
        &[&RACE_TENANTS[0], &at_us(BASE_US)?, &at_us(BASE_US + HOUR_US)?],
    )
    .map_err(sql("inject"))?;
    let found = capacity_violations(&mut tx, schema)?;
    tx.rollback().map_err(sql("rollback"))?;
    if !found.iter().any(|v| v.contains("injected")) {
        return Err(format!("the capacity query missed an injected overbooking (reported {found:?})"));
    }
    Ok(())
}

fn at_us(us: i64) -> Result<DateTime<Utc>, String> {
    DateTime::from_timestamp_micros(us).ok_or_else(|| format!("instant {us} out of range"))
}

/// Booking known to a race thread, possibly stale.
#[derive(Debug, Clone)]
struct Known {
    tenant: usize,
    id: String,
    version: i64,
    resource: String,
    quantity: u32,
}

struct RaceWorker {
    tenants: Vec<Tenant>,
    engine: Engine,
    rng: Rng,
    actor: String,
    known: Vec<Known>,
    counts: BTreeMap<&'static str, u64>,
    sweeper: bool,
}

fn race_child() {
    let var = |name: &str| std::env::var(name).unwrap_or_else(|_| child_fail(&format!("{name} is not set")));
    let url = var(CHILD_URL_VAR);
    let seed: u64 = var(SEED_VAR).parse().unwrap_or_else(|_| child_fail("bad seed"));
    let index: usize = var(INDEX_VAR).parse().unwrap_or_else(|_| child_fail("bad index"));
    let engine = Engine::builder()
        .url(url)
        .busy_timeout(RACE_BUSY_TIMEOUT)
        .pool_size(RACE_THREADS as u32 + 1)
        .open()
        .unwrap_or_else(|e| child_fail(&hf("open", &e)));
    let mut tenants = Vec::new();
    for id in RACE_TENANTS {
        engine.create_tenant(id, "Race").unwrap_or_else(|e| child_fail(&hf("create_tenant", &e)));
        let t = engine.tenant(id).unwrap_or_else(|e| child_fail(&hf("tenant", &e)));
        for spec in &RACE_RESOURCES {
            t.create_resource(spec.new_resource()).unwrap_or_else(|e| child_fail(&hf("create_resource", &e)));
        }
        tenants.push(t);
    }
    say("ready");
    let mut go = String::new();
    if std::io::stdin().read_line(&mut go).is_err() || go.trim() != "go" {
        child_fail("no go");
    }
    let handles: Vec<_> = (0..RACE_THREADS)
        .map(|thread_index| {
            let actor = format!("c{index}-{thread_index}");
            let mut worker = RaceWorker {
                tenants: tenants.iter().map(|t| t.as_actor(&actor).expect("valid actor")).collect(),
                engine: engine.clone(),
                rng: Rng::new(child_seed(seed, 100 + thread_index)),
                actor,
                known: Vec::new(),
                counts: BTreeMap::new(),
                sweeper: thread_index == 0,
            };
            thread::spawn(move || {
                for op in 0..RACE_OPS_PER_THREAD {
                    if let Err(message) = worker.step(op) {
                        child_fail(&format!("{}: {message}", worker.actor));
                    }
                }
                worker.counts
            })
        })
        .collect();
    let mut totals: BTreeMap<&'static str, u64> = BTreeMap::new();
    for handle in handles {
        let counts = handle.join().unwrap_or_else(|p| child_fail(&format!("panicked: {}", panic_message(&*p))));
        for (k, v) in counts {
            *totals.entry(k).or_default() += v;
        }
    }
    let line: Vec<String> = totals.iter().map(|(k, v)| format!("{k}={v}")).collect();
    say(&format!("summary {}", line.join(" ")));
}

impl RaceWorker {
    fn count(&mut self, key: &'static str) {
        *self.counts.entry(key).or_default() += 1;
    }

    /// A slot among the hot ones: 30 to 90 minutes from one of eight starts.
    fn slot(&mut self) -> (Timestamp, Timestamp) {
        let start = BASE_US + self.rng.below(RACE_SLOTS) as i64 * 30 * MINUTE_US;
        let len = self.rng.range(1, 3) as i64 * 30 * MINUTE_US;
        (ts(start), ts(start + len))
    }

    fn hold_ttl(&mut self) -> TimeDelta {
        if self.rng.chance(35) { SHORT_HOLD_TTL } else { LONG_HOLD_TTL }
    }

    /// Sorts an outcome: `Ok` is acknowledged (printed), an allowed code is
    /// counted, anything else fails the child.
    fn record(
        &mut self,
        tenant: usize,
        op: &str,
        result: holdfast::Result<Booking>,
        allowed: &[&str],
    ) -> Result<(), String> {
        self.count("ops");
        match result {
            Ok(b) => {
                self.count("ok");
                say(&format!(
                    "ok {} {op} {} {} {} {}",
                    RACE_TENANTS[tenant],
                    b.id,
                    b.version,
                    b.status.as_str(),
                    self.actor
                ));
                self.remember(tenant, &b);
                Ok(())
            }
            Err(e) if allowed.contains(&e.code()) => {
                self.count(match e.code() {
                    "CONFLICT" => "conflict",
                    "INVALID_TRANSITION" => "invalid_transition",
                    "HOLD_EXPIRED" => "hold_expired",
                    _ => "version_mismatch",
                });
                Ok(())
            }
            Err(e) => Err(hf(&format!("{op} on {}", RACE_TENANTS[tenant]), &e)),
        }
    }

    fn remember(&mut self, tenant: usize, b: &Booking) {
        let known = Known {
            tenant,
            id: b.id.clone(),
            version: b.version,
            resource: b.resource_id.clone(),
            quantity: b.quantity,
        };
        match self.known.iter_mut().find(|k| k.tenant == tenant && k.id == b.id) {
            Some(k) => *k = known,
            None => {
                self.known.push(known);
                if self.known.len() > 300 {
                    self.known.remove(0);
                }
            }
        }
    }

    fn step(&mut self, op: usize) -> Result<(), String> {
        if op.is_multiple_of(25) {
            self.refresh()?;
        }
        if self.sweeper && op % 40 == 39 {
            self.engine.sweep_expired().map_err(|e| hf("sweep_expired", &e))?;
            self.count("sweeps");
            return Ok(());
        }
        let tenant = self.rng.below(RACE_TENANTS.len() as u64) as usize;
        let roll = self.rng.below(100);
        if roll < 40 || self.known.is_empty() {
            self.create(tenant)
        } else if roll < 46 {
            self.create_idempotent(tenant)
        } else {
            self.act()
        }
    }

    /// Re-reads one tenant's live bookings: threads also act on the other
    /// processes' bookings (with versions that may already be stale).
    fn refresh(&mut self) -> Result<(), String> {
        let tenant = self.rng.below(RACE_TENANTS.len() as u64) as usize;
        let page = self.tenants[tenant]
            .list_bookings(&BookingFilter {
                statuses: vec![Status::Hold, Status::Pencil, Status::Confirmed],
                limit: Some(200),
                ..Default::default()
            })
            .map_err(|e| hf("list_bookings", &e))?;
        for b in &page.items {
            if self.rng.chance(30) {
                self.remember(tenant, b);
            }
        }
        Ok(())
    }

    fn create(&mut self, tenant: usize) -> Result<(), String> {
        let r = self.rng.pick(&RACE_RESOURCES);
        let (start, end) = self.slot();
        let status = *self.rng.pick(&[Status::Hold, Status::Pencil, Status::Confirmed]);
        let quantity = if self.rng.chance(60) { 1 } else { self.rng.range(1, u64::from(r.capacity)) as u32 };
        let hold_ttl = (status == Status::Hold).then(|| self.hold_ttl());
        let new = NewBooking { resource_id: r.id.into(), start, end, status, quantity, hold_ttl, ..Default::default() };
        let result = self.tenants[tenant].create_booking(new);
        if let Ok(b) = &result
            && (b.resource_id != r.id
                || b.start != start
                || b.end != end
                || b.quantity != quantity
                || b.status != status)
        {
            return Err(format!("create returned {b:?}"));
        }
        self.record(tenant, "create", result, &["CONFLICT"])
    }

    /// A create under a key every child shares, with the same body: all
    /// must agree on one booking (or be refused with CONFLICT).
    fn create_idempotent(&mut self, tenant: usize) -> Result<(), String> {
        let n = self.rng.below(RACE_IDEM_KEYS);
        self.count("ops");
        match self.tenants[tenant].create_booking(idem_booking(n)) {
            Ok(b) => {
                self.count("ok");
                say(&format!("idem {} idem-{n} {}", RACE_TENANTS[tenant], b.id));
                if b.version != 1 || b.idempotency_key.as_deref() != Some(&format!("idem-{n}")) {
                    return Err(format!("idempotent create returned {b:?}"));
                }
                Ok(())
            }
            Err(e) if e.code() == "CONFLICT" => {
                self.count("conflict");
                Ok(())
            }
            Err(e) => Err(hf("idempotent create", &e)),
        }
    }

    fn act(&mut self) -> Result<(), String> {
        let target = self.rng.pick(&self.known).clone();
        let t = self.tenants[target.tenant].clone();
        let expected = self.rng.chance(50).then_some(target.version);
        let mut allowed = vec!["INVALID_TRANSITION", "HOLD_EXPIRED"];
        if expected.is_some() {
            allowed.push("VERSION_MISMATCH");
        }
        let roll = self.rng.below(100);
        let (op, result) = if roll < 25 {
            ("confirm", t.confirm(&target.id, expected))
        } else if roll < 40 {
            ("cancel", t.cancel(&target.id, expected))
        } else if roll < 50 {
            ("pencil", t.pencil(&target.id, expected))
        } else if roll < 55 {
            ("decline", t.decline(&target.id, expected))
        } else if roll < 65 {
            let ttl = self.hold_ttl();
            ("extend_hold", t.extend_hold(&target.id, HoldExpiry::Ttl(ttl), expected))
        } else {
            allowed.push("CONFLICT");
            let fits: Vec<&ResourceSpec> =
                RACE_RESOURCES.iter().filter(|r| r.capacity >= target.quantity && r.id != target.resource).collect();
            let resource_id =
                if !fits.is_empty() && self.rng.chance(30) { Some(self.rng.pick(&fits).id.to_owned()) } else { None };
            let (start, end) = self.slot();
            let result =
                t.reschedule(&target.id, Reschedule { start, end, resource_id: resource_id.clone() }, expected);
            // Without a target resource it stays where it is now (which a
            // stale `Known` may not know).
            if let Ok(b) = &result
                && (b.start != start || b.end != end || resource_id.as_ref().is_some_and(|r| *r != b.resource_id))
            {
                return Err(format!("reschedule of {} to {start}..{end} on {resource_id:?} returned {b:?}", target.id));
            }
            ("reschedule", result)
        };
        if spec(&target.resource).is_none() {
            return Err(format!("booking {} on unknown resource {}", target.id, target.resource));
        }
        self.record(target.tenant, op, result, &allowed)
    }
}

// ---------------------------------------------------------------------------
// Scenario 2: row-level security
// ---------------------------------------------------------------------------

const RLS_TABLES: [&str; 4] = ["resources", "projects", "bookings", "events"];

fn rls(ctx: &Ctx) -> Result<String, String> {
    let app_url = ctx.app_url.as_deref().ok_or_else(|| {
        format!("{APP_URL_VAR} is not set: it names the NOSUPERUSER NOBYPASSRLS role (scripts/pg-up.sh exports it)")
    })?;
    let mut admin = connect(&ctx.admin_url)?;
    let app_role: String = connect(app_url)?.query_one("SELECT current_user::text", &[]).map_err(sql("role"))?.get(0);
    let schema = fresh_schema(&mut admin, "rls")?;
    admin.batch_execute(&format!("GRANT USAGE, CREATE ON SCHEMA {schema} TO {app_role}")).map_err(sql("grant"))?;

    // The engine runs as the application role: it owns the tables it
    // migrates, and FORCE ROW LEVEL SECURITY applies to it all the same.
    let engine_url = with_search_path(app_url, &schema);
    let engine = Engine::builder().url(&engine_url).open().map_err(|e| hf("open as the app role", &e))?;
    let (a, b) = ("tenant-a", "tenant-b");
    let mut booking_of = HashMap::new();
    for (tenant, name) in [(a, "Tenant A"), (b, "Tenant B")] {
        engine.create_tenant(tenant, name).map_err(|e| hf("create_tenant", &e))?;
        let t = engine.tenant(tenant).map_err(|e| hf("tenant", &e))?;
        for r in ["room", "camera"] {
            t.create_resource(NewResource { id: Some(r.into()), name: r.into(), ..Default::default() })
                .map_err(|e| hf("create_resource", &e))?;
        }
        t.create_project(NewProject { id: Some("film".into()), name: "Film".into(), ..Default::default() })
            .map_err(|e| hf("create_project", &e))?;
        for (i, r) in ["room", "camera", "room"].iter().enumerate() {
            let start = BASE_US + i as i64 * HOUR_US;
            let made = t
                .create_booking(NewBooking {
                    resource_id: (*r).into(),
                    project_id: (i == 0).then(|| "film".into()),
                    start: ts(start),
                    end: ts(start + HOUR_US),
                    status: Status::Confirmed,
                    ..Default::default()
                })
                .map_err(|e| hf("create_booking", &e))?;
            booking_of.insert(tenant, made.id);
        }
    }
    // Through the engine, B cannot reach A's booking.
    let tb = engine.tenant(b).map_err(|e| hf("tenant", &e))?;
    match tb.get_booking(&booking_of[a]) {
        Err(e) if e.code() == "NOT_FOUND" => {}
        other => return Err(format!("tenant B read tenant A's booking: {other:?}")),
    }

    // What is really there (the superuser bypasses the policies).
    let mut truth: HashMap<(&str, &str), i64> = HashMap::new();
    for table in RLS_TABLES {
        for tenant in [a, b] {
            let n: i64 = admin
                .query_one(&format!("SELECT count(*) FROM {schema}.{table} WHERE tenant_id = $1"), &[&tenant])
                .map_err(sql("count"))?
                .get(0);
            if n == 0 {
                return Err(format!("no {table} rows of {tenant}: the fixture is wrong"));
            }
            truth.insert((table, tenant), n);
        }
    }

    let mut app = connect(&with_search_path(app_url, &schema))?;
    let row = app
        .query_one("SELECT rolsuper, rolbypassrls FROM pg_roles WHERE rolname = current_user", &[])
        .map_err(sql("pg_roles"))?;
    let (superuser, bypass): (bool, bool) = (row.get(0), row.get(1));
    if superuser || bypass {
        return Err(format!("{APP_URL_VAR} names a role with SUPERUSER={superuser} BYPASSRLS={bypass}"));
    }
    let forced: i64 = admin
        .query_one(
            "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
             WHERE n.nspname = $1 AND c.relname = ANY($2) AND c.relrowsecurity AND c.relforcerowsecurity",
            &[&schema, &RLS_TABLES.to_vec()],
        )
        .map_err(sql("pg_class"))?
        .get(0);
    if forced != RLS_TABLES.len() as i64 {
        return Err(format!(
            "only {forced} of {} tenant tables have ENABLE + FORCE ROW LEVEL SECURITY",
            RLS_TABLES.len()
        ));
    }

    // (1) Setting A: A's rows exactly, none of B's.
    let seen = visible(&mut app, Some(a), a)?;
    for table in RLS_TABLES {
        let (mine, others) = seen[table];
        if mine != truth[&(table, a)] || others != 0 {
            return Err(format!(
                "as {app_role} with tenant A: {table} shows {mine} of A's {} rows and {others} rows of other tenants",
                truth[&(table, a)]
            ));
        }
    }
    // Even by id.
    let mut tx = app.transaction().map_err(sql("begin"))?;
    tx.execute("SELECT set_config('holdfast.tenant_id', $1, true)", &[&a]).map_err(sql("set_config"))?;
    let by_id: i64 =
        tx.query_one("SELECT count(*) FROM bookings WHERE id = $1", &[&booking_of[b]]).map_err(sql("by id"))?.get(0);
    let updated =
        tx.execute("UPDATE bookings SET title = 'mine now' WHERE tenant_id = $1", &[&b]).map_err(sql("update"))?;
    let deleted = tx.execute("DELETE FROM events WHERE tenant_id = $1", &[&b]).map_err(sql("delete"))?;
    tx.rollback().map_err(sql("rollback"))?;
    if by_id != 0 || updated != 0 || deleted != 0 {
        return Err(format!(
            "under tenant A, B's rows were reachable: {by_id} selected by id, {updated} updated, {deleted} deleted"
        ));
    }

    // (2) No setting: nothing at all, on a fresh session and on one that
    // had a tenant set in an earlier transaction (a pooled connection).
    for (label, client) in
        [("fresh session", &mut connect(&with_search_path(app_url, &schema))?), ("reused session", &mut app)]
    {
        let seen = visible(client, None, a)?;
        for table in RLS_TABLES {
            let (mine, others) = seen[table];
            if mine + others != 0 {
                return Err(format!("{label} without holdfast.tenant_id sees {} {table} rows", mine + others));
            }
        }
    }

    // (3) Writing another tenant's rows under setting A is refused.
    let refused: [(&str, String); 5] = [
        (
            "project",
            format!(
                "INSERT INTO projects (tenant_id, id, name, metadata, version, created_at, updated_at)
                 VALUES ('{b}', 'planted', 'x', '{{}}', 1, now(), now())"
            ),
        ),
        (
            "resource",
            format!(
                "INSERT INTO resources (tenant_id, id, name, kind, capacity, timezone, tags,
                 buffer_before_us, buffer_after_us, active, metadata, version, created_at, updated_at)
                 VALUES ('{b}', 'planted', 'x', 'room', 1, 'UTC', '[]', 0, 0, true, '{{}}', 1, now(), now())"
            ),
        ),
        (
            "booking",
            format!(
                "INSERT INTO bookings (tenant_id, id, resource_id, start_at, end_at, status, quantity,
                 metadata, version, created_at, updated_at, request_hash, exclusive)
                 VALUES ('{b}', 'planted', 'room', '2031-01-01Z', '2031-01-02Z', 'confirmed', 1, '{{}}', 1, now(),
                         now(), 'x', true)"
            ),
        ),
        (
            "event",
            format!(
                "INSERT INTO events (tenant_id, seq, type, actor, at, data)
                 VALUES ('{b}', 1000, 'created', 'intruder', now(), '{{}}')"
            ),
        ),
        ("move to B", format!("UPDATE bookings SET tenant_id = '{b}' WHERE tenant_id = '{a}'")),
    ];
    for (what, statement) in &refused {
        let mut tx = app.transaction().map_err(sql("begin"))?;
        tx.execute("SELECT set_config('holdfast.tenant_id', $1, true)", &[&a]).map_err(sql("set_config"))?;
        let outcome = tx.execute(statement.as_str(), &[]);
        drop(tx); // rolls back
        match outcome {
            Err(e)
                if e.code() == Some(&SqlState::INSUFFICIENT_PRIVILEGE)
                    && e.as_db_error().is_some_and(|d| d.message().contains("row-level security")) => {}
            Err(e) => {
                let detail = e.as_db_error().map(|d| format!("{} {}", d.code().code(), d.message()));
                return Err(format!("{what} for tenant B under A: refused, but not by the policy: {e} {detail:?}"));
            }
            Ok(n) => return Err(format!("{what} for tenant B under A was accepted ({n} rows)")),
        }
    }
    // The fixture's counts are unchanged.
    for table in RLS_TABLES {
        for tenant in [a, b] {
            let n: i64 = admin
                .query_one(&format!("SELECT count(*) FROM {schema}.{table} WHERE tenant_id = $1"), &[&tenant])
                .map_err(sql("count"))?
                .get(0);
            if n != truth[&(table, tenant)] {
                return Err(format!("{table} of {tenant}: {n} rows, was {}", truth[&(table, tenant)]));
            }
        }
    }

    // (4) A superuser is never subject to row-level security: the engine
    // must run as an ordinary role (NOSUPERUSER NOBYPASSRLS).
    let mut su = connect(&with_search_path(&ctx.admin_url, &schema))?;
    let seen = visible(&mut su, Some(a), a)?;
    let leaked: i64 = RLS_TABLES.iter().map(|t| seen[t].1).sum();
    if leaked == 0 {
        return Err("a superuser session with tenant A saw no rows of B: the bypass demonstration failed".into());
    }
    // The engine's own connections leave no tenant behind either.
    drop(engine);
    Ok(format!(
        "as {app_role} (NOSUPERUSER NOBYPASSRLS, tables FORCE RLS): tenant A sees exactly its {} rows in {} and 0 of \
         B's; no setting sees 0 rows (fresh and reused session); inserts for B into 4 tables and moving a row to B \
         refused with 42501; UPDATE/DELETE of B's rows touch 0; a superuser with tenant A sees {leaked} rows of B \
         (RLS does not apply: run the engine as an ordinary role)",
        RLS_TABLES.iter().map(|t| truth[&(*t, a)]).sum::<i64>(),
        RLS_TABLES.join("/"),
    ))
}

/// Per table: (rows of `mine`, rows of any other tenant) visible to `client`
/// inside one transaction with `holdfast.tenant_id` = `setting` (or unset).
fn visible(
    client: &mut Client,
    setting: Option<&str>,
    mine: &str,
) -> Result<HashMap<&'static str, (i64, i64)>, String> {
    let mut tx = client.transaction().map_err(sql("begin"))?;
    if let Some(tenant) = setting {
        tx.execute("SELECT set_config('holdfast.tenant_id', $1, true)", &[&tenant]).map_err(sql("set_config"))?;
    }
    let mut seen = HashMap::new();
    for table in RLS_TABLES {
        let row = tx
            .query_one(
                &format!("SELECT count(*) FILTER (WHERE tenant_id = $1), count(*) FILTER (WHERE tenant_id <> $1) FROM {table}"),
                &[&mine],
            )
            .map_err(sql("visible"))?;
        seen.insert(table, (row.get(0), row.get(1)));
    }
    tx.commit().map_err(sql("commit"))?;
    Ok(seen)
}

// ---------------------------------------------------------------------------
// Scenario 3: clock skew between instances
// ---------------------------------------------------------------------------

/// How far instance X's clock runs ahead of instance Y's: NTP keeps real
/// machines closer, but any skew opens the same window, only narrower.
const SKEW: TimeDelta = TimeDelta::seconds(2);

/// Two engines on one database whose clocks differ by [`SKEW`] (DESIGN.md
/// section 3: the invariant must hold across machines). Y places a hold
/// that expires between the two clocks' "now"; X, ahead, may judge it
/// expired and book the slot; Y, behind, would judge it live and confirm
/// it. Unless decision instants are ordered across instances, both succeed.
fn skew(ctx: &Ctx) -> Result<String, String> {
    let mut admin = connect(&ctx.admin_url)?;
    let schema = fresh_schema(&mut admin, "skew")?;
    let url = with_search_path(&ctx.admin_url, &schema);
    // Both clocks stand in the past, so by the time the capacity query runs
    // (judging holds by the database's now()) the holds have expired for
    // everyone and only the firm bookings count.
    let now = Timestamp::from(Utc::now() - TimeDelta::seconds(60));
    let (clock_x, clock_y) = (holdfast::ManualClock::new(now), holdfast::ManualClock::new(now));
    clock_x.advance(SKEW);
    let open = |clock: &holdfast::ManualClock| {
        Engine::builder().url(&url).clock(clock.clone()).open().map_err(|e| hf("open", &e))
    };
    let (x, y) = (open(&clock_x)?, open(&clock_y)?);
    y.create_tenant("skew", "Skew").map_err(|e| hf("create_tenant", &e))?;
    let (tx, ty) = (x.tenant("skew").map_err(|e| hf("tenant", &e))?, y.tenant("skew").map_err(|e| hf("tenant", &e))?);
    let mut outcomes = Vec::new();
    for (resource, capacity) in [("trio", 3), ("solo", 1)] {
        ty.create_resource(NewResource {
            id: Some(resource.into()),
            name: resource.into(),
            capacity,
            ..Default::default()
        })
        .map_err(|e| hf("create_resource", &e))?;
        let slot = |status| NewBooking {
            resource_id: resource.into(),
            start: ts(BASE_US),
            end: ts(BASE_US + HOUR_US),
            status,
            quantity: capacity,
            hold_ttl: (status == Status::Hold).then(|| SKEW / 2),
            ..Default::default()
        };
        // Y: a hold expiring SKEW/2 from Y's now (so SKEW/2 before X's).
        let hold = ty.create_booking(slot(Status::Hold)).map_err(|e| hf("Y holds", &e))?;
        // X: the hold has expired by X's own clock. Decision instants are
        // ordered per tenant (never earlier than the last decision), so
        // whether X may take the slot depends on what Y decided last: both
        // a booking and CONFLICT are correct here; the invariant below is
        // what must hold.
        let taken = match tx.create_booking(slot(Status::Confirmed)) {
            Ok(b) => b.id,
            Err(e) if e.code() == "CONFLICT" => format!("nothing ({})", e.code()),
            Err(e) => return Err(hf("X books over the hold", &e)),
        };
        // Y: the hold is live by Y's clock. A correct engine refuses now
        // (HOLD_EXPIRED, or CONFLICT naming X's booking).
        let confirmed = ty.confirm(&hold.id, None);
        outcomes.push(format!(
            "{resource} (capacity {capacity}): Y holds {}, X (clock +{}s) confirms {} over it, then Y confirms the hold: {}",
            hold.id,
            SKEW.num_seconds(),
            taken,
            match &confirmed {
                Ok(b) => format!("ACCEPTED (now {})", b.status),
                Err(e) => format!("{} {e}", e.code()),
            }
        ));
    }
    let violations = capacity_violations(&mut admin, &schema)?;
    if !violations.is_empty() {
        return Err(format!(
            "capacity invariant broken across instances whose clocks differ by {}s: {}. Violations: {}. Each \
             instance judges hold expiry by its own clock, so decision instants are not ordered across \
             instances; the EXCLUDE constraint covers capacity-1 resources only",
            SKEW.num_seconds(),
            outcomes.join("; "),
            violations.join("; ")
        ));
    }
    Ok(outcomes.join("; "))
}

// ---------------------------------------------------------------------------
// Scenario: the exclusion constraint as second line of defence
// ---------------------------------------------------------------------------

/// The `EXCLUDE USING gist` constraint must catch what the engine's own
/// check misses, and answer `CONFLICT`, never `INTERNAL`. The engine's
/// overlap scan only reaches back as far as the longest booking it has
/// recorded on the resource; a firm booking written behind its back (raw
/// SQL, longer than that and without updating the statistic) is invisible
/// to it, so only the constraint stands in the way.
fn exclusion(ctx: &Ctx) -> Result<String, String> {
    let mut admin = connect(&ctx.admin_url)?;
    let schema = fresh_schema(&mut admin, "excl")?;
    let engine = Engine::open(&with_search_path(&ctx.admin_url, &schema)).map_err(|e| hf("open", &e))?;
    engine.create_tenant("excl", "Exclusion").map_err(|e| hf("create_tenant", &e))?;
    let t = engine.tenant("excl").map_err(|e| hf("tenant", &e))?;
    t.create_resource(NewResource { id: Some("solo".into()), name: "Solo".into(), ..Default::default() })
        .map_err(|e| hf("create_resource", &e))?;
    // A short booking sets the recorded longest length to one hour.
    let short = NewBooking {
        resource_id: "solo".into(),
        start: ts(BASE_US - 48 * HOUR_US),
        end: ts(BASE_US - 47 * HOUR_US),
        status: Status::Confirmed,
        ..Default::default()
    };
    t.create_booking(short).map_err(|e| hf("create_booking", &e))?;
    // Behind the engine: a ten-hour confirmed booking starting at BASE.
    admin
        .execute(
            &format!(
                "INSERT INTO {schema}.bookings (tenant_id, id, resource_id, start_at, end_at, status, quantity,
                     metadata, version, created_at, updated_at, request_hash, exclusive)
                 VALUES ('excl', 'smuggled', 'solo', to_timestamp($1::float8 / 1e6), to_timestamp($2::float8 / 1e6),
                     'confirmed', 1, '{{}}', 1, now(), now(), 'raw', true)"
            ),
            &[&(BASE_US as f64), &((BASE_US + 10 * HOUR_US) as f64)],
        )
        .map_err(sql("raw insert"))?;
    // Nine hours in, the engine's scan (reaching back one hour) misses it.
    let late = NewBooking {
        resource_id: "solo".into(),
        start: ts(BASE_US + 9 * HOUR_US),
        end: ts(BASE_US + 11 * HOUR_US),
        status: Status::Confirmed,
        ..Default::default()
    };
    match t.create_booking(late) {
        Err(e) if e.code() == "CONFLICT" => {}
        Err(e) => return Err(format!("the constraint's refusal came back as {} ({e}), not CONFLICT", e.code())),
        Ok(b) => return Err(format!("booked {} over a firm booking: the exclusion constraint did not hold", b.id)),
    }
    let rows: i64 =
        admin.query_one(&format!("SELECT count(*) FROM {schema}.bookings"), &[]).map_err(sql("count"))?.get(0);
    if rows != 2 {
        return Err(format!("expected the 2 earlier bookings and nothing else, found {rows}"));
    }
    Ok("a firm booking the engine could not see was defended by EXCLUDE USING gist: CONFLICT, nothing written".into())
}

// ---------------------------------------------------------------------------
// Scenario: pool exhaustion
// ---------------------------------------------------------------------------

/// With every pooled connection busy, a call waits for one at most the busy
/// timeout and then answers `STORE_UNAVAILABLE`; once the connections come
/// back the same engine serves again. A raw session holds the tenant's
/// writer lock, so a first writer keeps the engine's only connection (until
/// its own lock time-out), then a writer of a second tenant (locked too)
/// keeps it for as long, and a reader queued for the pool cannot get it in
/// time. (Another tenant: writes of the same tenant queue for the first
/// writer's batch, not for the pool.)
fn pool_exhaustion(ctx: &Ctx) -> Result<String, String> {
    const TIMEOUT: Duration = Duration::from_secs(2);
    let mut admin = connect(&ctx.admin_url)?;
    let schema = fresh_schema(&mut admin, "pool")?;
    let url = with_search_path(&ctx.admin_url, &schema);
    let engine = Engine::builder().url(&url).pool_size(1).busy_timeout(TIMEOUT).open().map_err(|e| hf("open", &e))?;
    engine.create_tenant("pool", "Pool").map_err(|e| hf("create_tenant", &e))?;
    let t = engine.tenant("pool").map_err(|e| hf("tenant", &e))?;
    t.create_resource(NewResource { id: Some("room".into()), name: "Room".into(), capacity: 10, ..Default::default() })
        .map_err(|e| hf("create_resource", &e))?;
    engine.create_tenant("pool-b", "Pool B").map_err(|e| hf("create_tenant", &e))?;
    let t_b = engine.tenant("pool-b").map_err(|e| hf("tenant", &e))?;

    let mut blocker = connect(&url)?;
    blocker.batch_execute("BEGIN").map_err(sql("BEGIN"))?;
    for tenant in ["pool", "pool-b"] {
        blocker
            .execute(
                "SELECT pg_advisory_xact_lock(hashtext(current_schema() || ':holdfast-tenant:' || $1))",
                &[&tenant],
            )
            .map_err(sql("advisory lock"))?;
    }

    let booking = |hour: i64| NewBooking {
        resource_id: "room".into(),
        start: ts(BASE_US + hour * HOUR_US),
        end: ts(BASE_US + (hour + 1) * HOUR_US),
        status: Status::Confirmed,
        ..Default::default()
    };
    let started = Instant::now();
    let callers: Vec<_> = (0..3)
        .map(|i| {
            let (t, t_b) = (t.clone(), t_b.clone());
            let new = booking(i);
            thread::spawn(move || {
                // Staggered so that they ask for the only connection in turn.
                thread::sleep(Duration::from_millis(100 * i as u64));
                let outcome = match i {
                    0 => t.create_booking(new).map(drop),
                    1 => t_b.create_resource(NewResource { name: "B".into(), ..Default::default() }).map(drop),
                    _ => t.get_resource("room").map(drop),
                };
                (outcome, started.elapsed())
            })
        })
        .collect();
    let mut pool_timeouts = 0;
    let mut slowest = Duration::ZERO;
    for caller in callers {
        let (outcome, took) = caller.join().map_err(|_| "a caller panicked".to_owned())?;
        slowest = slowest.max(took);
        match outcome {
            Err(e) if e.code() == "STORE_UNAVAILABLE" => {
                if e.to_string().contains("no PostgreSQL connection") {
                    pool_timeouts += 1;
                }
            }
            other => return Err(format!("a caller behind a held lock and a full pool got {other:?}")),
        }
    }
    // Each wait (for the pool, then for the lock) is bounded by the timeout.
    if slowest > TIMEOUT * 2 + Duration::from_secs(2) {
        return Err(format!("the slowest caller took {slowest:?} with a {TIMEOUT:?} timeout"));
    }
    if pool_timeouts == 0 {
        return Err("no caller timed out waiting for the pool: the pool was never exhausted".into());
    }
    blocker.batch_execute("ROLLBACK").map_err(sql("ROLLBACK"))?;
    let made = t.create_booking(booking(5)).map_err(|e| hf("create_booking after the pool drained", &e))?;
    let rows: i64 =
        admin.query_one(&format!("SELECT count(*) FROM {schema}.bookings"), &[]).map_err(sql("count"))?.get(0);
    if rows != 1 {
        return Err(format!("expected only the booking made after recovery ({}), found {rows} rows", made.id));
    }
    Ok(format!(
        "writers of 2 tenants and a reader on a 1-connection pool behind held tenant locks: all STORE_UNAVAILABLE ({pool_timeouts} waiting \
         for the pool), slowest {:.1} s with a {} s timeout; the same engine wrote again once the lock was gone",
        slowest.as_secs_f64(),
        TIMEOUT.as_secs()
    ))
}

// ---------------------------------------------------------------------------
// Scenario 4: store outage
// ---------------------------------------------------------------------------

const OUTAGE_WRITERS: usize = 4;
const OUTAGE_BUSY_TIMEOUT: Duration = Duration::from_secs(2);
/// A failing call must come back within this (busy timeout plus slack).
const OUTAGE_FAIL_WITHIN: Duration = Duration::from_secs(5);
const OUTAGE_TENANT: &str = "outage";
/// Successes each writer must see after a restart before the next phase.
const OUTAGE_RECOVERED_CALLS: usize = 3;
const OUTAGE_RECOVERY_MAX: Duration = Duration::from_secs(15);
const OUTAGE_BATCH: usize = 3;
/// Writing with the server up between and after the outages.
const OUTAGE_CALM: Duration = Duration::from_millis(700);

/// A PostgreSQL started by `scripts/pg-up.sh` for one scenario; deleted by
/// `scripts/pg-down.sh` when dropped.
struct OwnServer {
    base: String,
    url: String,
    /// `pg_ctl`, beside the `postgres` binary that runs the server.
    pg_ctl: PathBuf,
    /// The server's command-line options, exactly as pg-up.sh started it.
    options: String,
    /// OS user to run pg_ctl as (we are root), if any.
    run_as: Option<String>,
}

fn scripts_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join("scripts")
}

impl OwnServer {
    fn start(port: u16) -> Result<OwnServer, String> {
        let out = Command::new(scripts_dir().join("pg-up.sh"))
            .env("PGPORT_TEST", port.to_string())
            .stderr(Stdio::inherit())
            .output()
            .map_err(|e| format!("scripts/pg-up.sh: {e}"))?;
        let stdout = String::from_utf8_lossy(&out.stdout);
        let mut exports = HashMap::new();
        for line in stdout.lines() {
            if let Some((k, v)) = line.strip_prefix("export ").and_then(|l| l.split_once('=')) {
                exports.insert(k.to_owned(), v.to_owned());
            }
        }
        let base = exports.get("PGBASE").cloned();
        if !out.status.success() || base.is_none() {
            return Err(format!("scripts/pg-up.sh failed ({}): {stdout}", out.status));
        }
        let base = base.unwrap_or_default();
        // From here on, Drop deletes the server whatever happens.
        let mut server = OwnServer {
            base: base.clone(),
            url: String::new(),
            pg_ctl: PathBuf::new(),
            options: String::new(),
            run_as: None,
        };
        if base.contains(['\'', '"', '\\', ' ']) {
            return Err(format!("unexpected PGBASE {base:?}"));
        }
        server.url = exports.get(URL_VAR).cloned().ok_or("pg-up.sh printed no URL")?;
        // postmaster.opts: `<bin>/postgres "-D" "<data>" "-c" "listen_addresses=..." ...`
        let opts = std::fs::read_to_string(format!("{base}/data/postmaster.opts"))
            .map_err(|e| format!("postmaster.opts: {e}"))?;
        let words: Vec<String> = opts.split_whitespace().map(|w| w.trim_matches('"').to_owned()).collect();
        let postgres = words.first().ok_or("empty postmaster.opts")?;
        server.pg_ctl = Path::new(postgres).with_file_name("pg_ctl");
        let mut rest = words[1..].iter();
        let mut options = Vec::new();
        while let Some(word) = rest.next() {
            if word == "-D" {
                rest.next();
            } else {
                options.push(word.clone());
            }
        }
        // pg-up.sh runs with synchronous_commit=off: a COMMIT is acknowledged
        // before its WAL is written, so `stop -m immediate` loses the last
        // acknowledged writes (seen: a booking acknowledged 1 ms before the
        // stop was gone). This server acknowledges only written commits;
        // fsync stays off (the OS does not crash here, only PostgreSQL).
        server.options = options
            .iter()
            .map(|o| if o == "synchronous_commit=off" { "synchronous_commit=on" } else { o.as_str() })
            .collect::<Vec<_>>()
            .join(" ");
        let uid = Command::new("id").arg("-u").output().map_err(|e| format!("id -u: {e}"))?;
        if String::from_utf8_lossy(&uid.stdout).trim() == "0" {
            let owner = Command::new("stat")
                .args(["-c", "%U", &format!("{base}/data")])
                .output()
                .map_err(|e| format!("stat: {e}"))?;
            server.run_as = Some(String::from_utf8_lossy(&owner.stdout).trim().to_owned());
        }
        server.stop("fast")?;
        server.restart()?;
        Ok(server)
    }

    fn pg_ctl(&self, args: &[&str]) -> Result<(), String> {
        let mut command = match &self.run_as {
            Some(user) => {
                let mut c = Command::new("runuser");
                c.args(["-u", user, "--"]).arg(&self.pg_ctl);
                c
            }
            None => Command::new(&self.pg_ctl),
        };
        let out = command
            .args(["-D", &format!("{}/data", self.base)])
            .args(args)
            .output()
            .map_err(|e| format!("pg_ctl {args:?}: {e}"))?;
        if out.status.success() {
            Ok(())
        } else {
            Err(format!(
                "pg_ctl {args:?}: {} {}{}",
                out.status,
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            ))
        }
    }

    fn stop(&self, mode: &str) -> Result<(), String> {
        self.pg_ctl(&["-m", mode, "-w", "-t", "30", "stop"])
    }

    /// Starts it again: same data directory, port, socket dir and settings.
    fn restart(&self) -> Result<(), String> {
        let log = format!("{}/log", self.base);
        self.pg_ctl(&["-l", &log, "-w", "-t", "30", "-o", &self.options, "start"])
    }
}

impl Drop for OwnServer {
    fn drop(&mut self) {
        let _ = Command::new(scripts_dir().join("pg-down.sh")).arg(&self.base).status();
    }
}

#[derive(Debug, Clone)]
struct Call {
    writer: usize,
    /// Since the scenario's start.
    began: Duration,
    took: Duration,
    /// The client-chosen ids the call tried to create.
    ids: Vec<String>,
    /// `None`: acknowledged; else the error code and message.
    error: Option<(String, String)>,
}

/// Phases of the outage, as instants since the scenario's start.
#[derive(Debug, Default, Clone)]
struct Outage {
    mode: &'static str,
    down: Duration,
    up: Duration,
}

fn outage(_ctx: &Ctx) -> Result<String, String> {
    let port = match std::env::var(FAULT_PORT_VAR) {
        Ok(p) => p.parse().map_err(|_| format!("{FAULT_PORT_VAR}={p:?} is not a port"))?,
        Err(_) => FAULT_PORT_DEFAULT,
    };
    let server = OwnServer::start(port)?;
    let mut admin = connect(&server.url)?;
    let durable: String = admin.query_one("SHOW synchronous_commit", &[]).map_err(sql("SHOW"))?.get(0);
    if durable != "on" {
        return Err(format!("own server runs with synchronous_commit={durable}: acknowledged commits could vanish"));
    }
    let schema = fresh_schema(&mut admin, "outage")?;
    drop(admin);
    let url = with_search_path(&server.url, &schema);
    let engine = Engine::builder()
        .url(&url)
        .busy_timeout(OUTAGE_BUSY_TIMEOUT)
        .pool_size(OUTAGE_WRITERS as u32)
        .open()
        .map_err(|e| hf("open", &e))?;
    engine.create_tenant(OUTAGE_TENANT, "Outage").map_err(|e| hf("create_tenant", &e))?;
    let t = engine.tenant(OUTAGE_TENANT).map_err(|e| hf("tenant", &e))?;
    for w in 0..OUTAGE_WRITERS {
        t.create_resource(NewResource { id: Some(format!("w{w}")), name: format!("Writer {w}"), ..Default::default() })
            .map_err(|e| hf("create_resource", &e))?;
    }

    let epoch = Instant::now();
    let stop = Arc::new(AtomicBool::new(false));
    let calls: Arc<Mutex<Vec<Call>>> = Arc::new(Mutex::new(Vec::new()));
    let writers: Vec<_> = (0..OUTAGE_WRITERS)
        .map(|w| {
            let t = engine.tenant(OUTAGE_TENANT).expect("tenant exists");
            let (stop, calls) = (Arc::clone(&stop), Arc::clone(&calls));
            thread::spawn(move || outage_writer(w, &t, epoch, &stop, &calls))
        })
        .collect();
    // Whatever happens below, the writers are stopped and joined.
    let result = outage_drive(&server, epoch, &calls);
    stop.store(true, Ordering::SeqCst);
    let mut panics = Vec::new();
    for (w, handle) in writers.into_iter().enumerate() {
        if let Err(p) = handle.join() {
            panics.push(format!("writer {w} panicked: {}", panic_message(&*p)));
        }
    }
    let outages = result?;
    if !panics.is_empty() {
        return Err(panics.join("; "));
    }
    let calls = calls.lock().unwrap().clone();

    // Every call: acknowledged, or STORE_UNAVAILABLE within a few seconds.
    let mut unavailable = 0;
    let mut slowest_failure = Duration::ZERO;
    for c in &calls {
        if let Some((code, message)) = &c.error {
            if code != "STORE_UNAVAILABLE" {
                return Err(format!("writer {} at {:?}: {code} {message}", c.writer, c.began));
            }
            unavailable += 1;
            slowest_failure = slowest_failure.max(c.took);
            if c.took > OUTAGE_FAIL_WITHIN {
                return Err(format!("writer {}: STORE_UNAVAILABLE only after {:?}: {message}", c.writer, c.took));
            }
        }
    }
    let mut per_outage = Vec::new();
    for o in &outages {
        let failed =
            calls.iter().filter(|c| c.error.is_some() && c.began + c.took >= o.down && c.began <= o.up).count();
        if failed == 0 {
            return Err(format!("no call failed during the {} outage: it did not bite", o.mode));
        }
        // The same engine writes again, every writer.
        let mut first_success = Duration::MAX;
        for w in 0..OUTAGE_WRITERS {
            let after: Vec<&Call> = calls.iter().filter(|c| c.writer == w && c.began >= o.up).collect();
            let ok = after.iter().filter(|c| c.error.is_none()).count();
            if ok < OUTAGE_RECOVERED_CALLS {
                return Err(format!("writer {w}: {ok} successes after the {} restart", o.mode));
            }
            if let Some(c) = after.iter().find(|c| c.error.is_none()) {
                first_success = first_success.min(c.began + c.took - o.up);
            }
        }
        // Failures of calls begun after the restart (before the next stop).
        let next_down = outages.iter().map(|n| n.down).find(|d| *d > o.up).unwrap_or(Duration::MAX);
        let late = calls.iter().filter(|c| c.error.is_some() && c.began >= o.up && c.began + c.took < next_down);
        let late = late.count();
        per_outage.push(format!(
            "{}: down {:.1} s, {failed} calls STORE_UNAVAILABLE, first write {} ms after restart, {late} failures \
             after restart",
            o.mode,
            (o.up - o.down).as_secs_f64(),
            first_success.as_millis()
        ));
    }

    // Nothing half-written. Read back through a fresh connection.
    let mut admin = connect(&server.url)?;
    let rows = admin
        .query(&format!("SELECT id FROM {schema}.bookings WHERE tenant_id = $1"), &[&OUTAGE_TENANT])
        .map_err(sql("bookings"))?;
    let present: HashSet<String> = rows.iter().map(|r| r.get(0)).collect();
    let mut ambiguous = 0;
    let mut acked = 0;
    let mut tried: HashSet<&str> = HashSet::new();
    for c in &calls {
        let stored = c.ids.iter().filter(|id| present.contains(*id)).count();
        tried.extend(c.ids.iter().map(String::as_str));
        match (&c.error, stored) {
            (None, n) if n == c.ids.len() => acked += n,
            (None, n) => {
                return Err(format!(
                    "acknowledged call lost {} of its bookings: {:?} (began {:?}, took {:?}; outages {outages:?})",
                    c.ids.len() - n,
                    c.ids,
                    c.began,
                    c.took
                ));
            }
            (Some(_), 0) => {}
            (Some(_), n) if n == c.ids.len() => ambiguous += 1,
            (Some(_), n) => return Err(format!("batch {:?} is stored in part ({n} of {})", c.ids, c.ids.len())),
        }
    }
    if let Some(stray) = present.iter().find(|id| !tried.contains(id.as_str())) {
        return Err(format!("booking {stray} stored that no call created"));
    }
    check_created_events(&mut admin, &schema)?;
    let events = check_seq(&mut admin, &schema)?;
    check_rows_match_log(&mut admin, &schema)?;
    // And it still works through the same engine after everything.
    t.create_booking(NewBooking {
        resource_id: "w0".into(),
        start: ts(BASE_US - HOUR_US),
        end: ts(BASE_US),
        status: Status::Confirmed,
        ..Default::default()
    })
    .map_err(|e| hf("create after the outages", &e))?;
    drop(engine);
    drop(server);
    Ok(format!(
        "{OUTAGE_WRITERS} writer threads on one Engine (busy_timeout 2 s), {} calls: {acked} bookings acknowledged \
         and present, {unavailable} STORE_UNAVAILABLE (slowest {} ms, never INTERNAL or a panic), {ambiguous} failed \
         calls committed anyway (whole), {} bookings / {events} events gap-free, every booking with its created \
         event; {}",
        calls.len(),
        slowest_failure.as_millis(),
        present.len(),
        per_outage.join("; ")
    ))
}

/// The outage timeline: run, stop fast, start, recover, stop immediate,
/// start, recover.
fn outage_drive(server: &OwnServer, epoch: Instant, calls: &Mutex<Vec<Call>>) -> Result<Vec<Outage>, String> {
    thread::sleep(OUTAGE_CALM);
    let mut outages = Vec::new();
    for (mode, down_for) in [("fast", Duration::from_secs(4)), ("immediate", Duration::from_secs(3))] {
        let down = epoch.elapsed();
        server.stop(mode)?;
        thread::sleep(down_for);
        server.restart()?;
        let up = epoch.elapsed();
        outages.push(Outage { mode, down, up });
        // Until every writer has written again (or the time is up; the
        // checks afterwards say what was missing).
        let until = Instant::now() + OUTAGE_RECOVERY_MAX;
        while Instant::now() < until {
            let calls = calls.lock().unwrap_or_else(|p| p.into_inner());
            let recovered = (0..OUTAGE_WRITERS).all(|w| {
                calls.iter().filter(|c| c.writer == w && c.began >= up && c.error.is_none()).count()
                    >= OUTAGE_RECOVERED_CALLS
            });
            drop(calls);
            if recovered {
                break;
            }
            thread::sleep(Duration::from_millis(50));
        }
        // Steady state again before the next stop.
        thread::sleep(OUTAGE_CALM);
    }
    Ok(outages)
}

fn outage_writer(w: usize, t: &Tenant, epoch: Instant, stop: &AtomicBool, calls: &Mutex<Vec<Call>>) {
    let mut slot: i64 = 0;
    let mut n: u64 = 0;
    while !stop.load(Ordering::SeqCst) {
        n += 1;
        let batch = n.is_multiple_of(4);
        let count = if batch { OUTAGE_BATCH } else { 1 };
        let items: Vec<NewBooking> = (0..count)
            .map(|k| {
                slot += 1;
                let start = BASE_US + slot * HOUR_US;
                NewBooking {
                    id: Some(if batch { format!("w{w}-{n}-{k}") } else { format!("w{w}-{n}") }),
                    resource_id: format!("w{w}"),
                    start: ts(start),
                    end: ts(start + HOUR_US),
                    status: if k == 0 { Status::Confirmed } else { Status::Pencil },
                    ..Default::default()
                }
            })
            .collect();
        let ids: Vec<String> = items.iter().filter_map(|b| b.id.clone()).collect();
        let began = epoch.elapsed();
        let outcome = if batch {
            t.create_bookings(items).map(drop)
        } else {
            t.create_booking(items.into_iter().next().expect("one")).map(drop)
        };
        let took = epoch.elapsed() - began;
        let error = outcome.err().map(|e| (e.code().to_owned(), e.to_string()));
        calls.lock().unwrap_or_else(|p| p.into_inner()).push(Call { writer: w, began, took, ids, error });
        thread::sleep(Duration::from_millis(5));
    }
}
