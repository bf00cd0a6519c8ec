//! Shared by the integration tests: the stores every store-facing test runs
//! on, and the naive capacity model, written from DESIGN.md, not from the
//! engine, so it can disagree with it.

// Each test binary compiles this module and uses only part of it.
#![allow(dead_code)]

use std::collections::HashMap;
use std::env::VarError;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::Path;
use std::sync::{Mutex, OnceLock, PoisonError};

use holdfast::{Booking, NewResource, Resource, Status, Timestamp};

pub mod child;
pub mod replay;
pub mod rng;

// ---------------------------------------------------------------- the stores under test

/// The PostgreSQL server the conformance tests also run on: a superuser URL
/// (`scripts/pg-up.sh` prints one). Unset or empty: SQLite only.
pub const POSTGRES_URL_VAR: &str = "HOLDFAST_TEST_POSTGRES_URL";

/// A non-superuser role on the same server (`scripts/pg-up.sh` makes
/// `holdfast_app`). When set, the suite runs as it, so row-level security
/// applies to every statement the engine makes, not just in the RLS test.
pub const POSTGRES_APP_URL_VAR: &str = "HOLDFAST_TEST_POSTGRES_APP_URL";

/// A store the store-facing tests run on (DESIGN.md section 7: both stores
/// pass one conformance suite).
#[derive(Debug, Clone)]
pub enum TestStore {
    /// Private in-memory databases.
    Sqlite,
    /// One fresh schema per database on the server `admin_url` names.
    Postgres { admin_url: String },
}

/// Every store to test on: SQLite always, PostgreSQL when
/// `HOLDFAST_TEST_POSTGRES_URL` is set. Setting it on a build without the
/// `postgres` feature panics: a misconfigured run must not pass on SQLite
/// alone.
pub fn stores() -> Vec<TestStore> {
    let mut stores = vec![TestStore::Sqlite];
    match std::env::var(POSTGRES_URL_VAR) {
        Ok(url) if url.trim().is_empty() => {}
        Ok(url) => {
            if cfg!(not(feature = "postgres")) {
                panic!(
                    "{POSTGRES_URL_VAR} is set, but this test binary was built without the `postgres` feature, so \
                     PostgreSQL would be skipped: run `cargo test -p holdfast --features postgres`, or unset \
                     {POSTGRES_URL_VAR} for SQLite only"
                );
            }
            let url = std::env::var(POSTGRES_APP_URL_VAR).ok().filter(|u| !u.trim().is_empty()).unwrap_or(url);
            stores.push(TestStore::Postgres { admin_url: url });
        }
        Err(VarError::NotPresent) => {}
        Err(VarError::NotUnicode(_)) => panic!("{POSTGRES_URL_VAR} is not valid UTF-8"),
    }
    stores
}

/// Runs `test` once per store in [`stores`]. A failing store does not stop
/// the others; afterwards the test fails naming every store that failed
/// (each failure's own message and location are printed as it happens).
pub fn for_each_store(test: impl Fn(&TestStore)) {
    let mut failures = Vec::new();
    for store in stores() {
        if let Err(panic) = catch_unwind(AssertUnwindSafe(|| test(&store))) {
            failures.push(format!("on {}: {}", store.name(), panic_message(panic.as_ref())));
        }
    }
    assert!(failures.is_empty(), "failed {}", failures.join("\nand "));
}

/// The text of a panic payload.
pub fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| payload.downcast_ref::<&str>().map(|s| (*s).to_owned()))
        .unwrap_or_else(|| "non-string panic".into())
}

/// Runs one scenario of a `harness = false` runner: a panic counts as a
/// failure, and the outcome is printed as `PASS name (1.2 s): summary` or
/// `FAIL name (1.2 s<fail_note>): reason`. Returns whether it passed.
/// Children and temp dirs are owned by guards inside `run`: a panic unwinds
/// through them, so they are cleaned up either way.
pub fn run_scenario(name: &str, fail_note: &str, run: impl FnOnce() -> Result<String, String>) -> bool {
    let started = std::time::Instant::now();
    let outcome = catch_unwind(AssertUnwindSafe(run))
        .unwrap_or_else(|payload| Err(format!("panicked: {}", panic_message(payload.as_ref()))));
    let secs = started.elapsed().as_secs_f64();
    match outcome {
        Ok(summary) => {
            println!("PASS {name} ({secs:.1} s): {summary}");
            true
        }
        Err(reason) => {
            println!("FAIL {name} ({secs:.1} s{fail_note}): {reason}");
            false
        }
    }
}

impl TestStore {
    /// For failure messages: "SQLite" or "PostgreSQL".
    pub fn name(&self) -> &'static str {
        match self {
            TestStore::Sqlite => "SQLite",
            TestStore::Postgres { .. } => "PostgreSQL",
        }
    }

    pub fn is_postgres(&self) -> bool {
        matches!(self, TestStore::Postgres { .. })
    }

    /// A URL naming an empty database, a new one on every call. SQLite: a
    /// private in-memory database (one connection, so no concurrency).
    /// PostgreSQL: a new schema, first on the connection's `search_path`,
    /// where the store applies its migrations.
    pub fn fresh_url(&self) -> String {
        match self {
            TestStore::Sqlite => "sqlite::memory:".into(),
            TestStore::Postgres { admin_url } => fresh_postgres_schema(admin_url),
        }
    }

    /// Like [`TestStore::fresh_url`], for databases that several
    /// connections, engines or threads share: SQLite needs a file for that
    /// (created in `dir`); PostgreSQL is shared anyway.
    pub fn fresh_shared_url(&self, dir: &Path) -> String {
        match self {
            TestStore::Sqlite => {
                format!("sqlite://{}", dir.join(format!("{}.db", uuid::Uuid::new_v4().simple())).display())
            }
            TestStore::Postgres { .. } => self.fresh_url(),
        }
    }
}

/// Creates schema `t_<random>` and returns `admin_url` with that schema
/// first on its search path. Schemas are not dropped: the server is a
/// throwaway (`scripts/pg-down.sh` deletes it).
fn fresh_postgres_schema(admin_url: &str) -> String {
    assert!(
        !admin_url.contains("options="),
        "{POSTGRES_URL_VAR} must not set `options`: the tests set the search_path through it"
    );
    // One admin connection per test binary, reopened if the server dropped it.
    static ADMIN: OnceLock<Mutex<Option<postgres::Client>>> = OnceLock::new();
    let schema = format!("t_{}", uuid::Uuid::new_v4().simple());
    let mut admin = ADMIN.get_or_init(|| Mutex::new(None)).lock().unwrap_or_else(PoisonError::into_inner);
    if admin.as_ref().is_none_or(postgres::Client::is_closed) {
        let client = postgres::Client::connect(admin_url, postgres::NoTls)
            .unwrap_or_else(|e| panic!("{POSTGRES_URL_VAR}: cannot connect: {e}"));
        *admin = Some(client);
    }
    let client = admin.as_mut().expect("connected above");
    client
        .batch_execute(&format!("CREATE SCHEMA {schema}"))
        .unwrap_or_else(|e| panic!("{POSTGRES_URL_VAR}: CREATE SCHEMA {schema}: {e}"));
    let separator = if admin_url.contains('?') { '&' } else { '?' };
    format!("{admin_url}{separator}options=-c%20search_path%3D{schema},public")
}

// ---------------------------------------------------------------- the naive capacity model

/// Whether `b` consumes capacity at `now` (DESIGN.md section 3): pencils and
/// confirmations always, holds until their expiry instant.
pub fn blocks_at(b: &Booking, now: Timestamp) -> bool {
    match b.status {
        Status::Hold => b.hold_expires_at.is_some_and(|at| at > now),
        Status::Pencil | Status::Confirmed => true,
        Status::Cancelled | Status::Declined | Status::Expired => false,
    }
}

/// `[start - buffer_before, end + buffer_after)` in microseconds.
pub fn footprint(b: &Booking, r: &Resource) -> (i64, i64) {
    let us = |d: chrono::TimeDelta| d.num_microseconds().expect("buffers are small");
    (b.start.as_micros() - us(r.buffer_before), b.end.as_micros() + us(r.buffer_after))
}

/// The capacity invariant checked instant by instant: at every boundary of
/// every blocking footprint, the quantities covering it sum to at most the
/// resource's capacity. Returns how many instants were checked, or the
/// first violation with the bookings involved.
pub fn check_capacity_naive(resources: &[Resource], bookings: &[Booking], now: Timestamp) -> Result<usize, String> {
    let by_id: HashMap<&str, &Resource> = resources.iter().map(|r| (r.id.as_str(), r)).collect();
    let mut per_resource: HashMap<&str, Vec<(i64, i64, u64, &str)>> = HashMap::new();
    for b in bookings.iter().filter(|b| blocks_at(b, now)) {
        let r = by_id.get(b.resource_id.as_str()).ok_or_else(|| format!("booking {} on unknown resource", b.id))?;
        let (start, end) = footprint(b, r);
        per_resource.entry(r.id.as_str()).or_default().push((start, end, u64::from(b.quantity), b.id.as_str()));
    }
    let mut instants = 0;
    for (resource_id, footprints) in &per_resource {
        let capacity = u64::from(by_id[resource_id].capacity);
        for t in footprints.iter().flat_map(|f| [f.0, f.1]) {
            instants += 1;
            let covering: Vec<_> = footprints.iter().filter(|f| f.0 <= t && t < f.1).collect();
            let used: u64 = covering.iter().map(|f| f.2).sum();
            if used > capacity {
                let at = |us: i64| Timestamp::from_micros(us).to_string();
                return Err(format!(
                    "capacity invariant broken on {resource_id} at {} (now {now}): {used} > {capacity}, bookings {:?}",
                    at(t),
                    covering.iter().map(|f| (f.3, at(f.0), at(f.1), f.2)).collect::<Vec<_>>()
                ));
            }
        }
    }
    Ok(instants)
}

/// A resource the race tests fight over, with buffers in minutes.
pub struct ResourceSpec {
    pub id: &'static str,
    pub capacity: u32,
    pub before_min: i64,
    pub after_min: i64,
}

impl ResourceSpec {
    pub fn new_resource(&self) -> NewResource {
        NewResource {
            id: Some(self.id.into()),
            name: self.id.into(),
            capacity: self.capacity,
            buffer_before: chrono::TimeDelta::minutes(self.before_min),
            buffer_after: chrono::TimeDelta::minutes(self.after_min),
            ..Default::default()
        }
    }
}

/// `PRAGMA integrity_check` and `foreign_key_check` of a SQLite file, read
/// through a connection of its own.
pub fn integrity_check(path: &Path) -> Result<(), String> {
    use rusqlite::{Connection, OpenFlags};
    let sql = |e: rusqlite::Error| format!("rusqlite: {e}");
    let conn = Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX)
        .map_err(sql)?;
    let mut stmt = conn.prepare("PRAGMA integrity_check").map_err(sql)?;
    let rows: Vec<String> =
        stmt.query_map([], |r| r.get(0)).map_err(sql)?.collect::<rusqlite::Result<_>>().map_err(sql)?;
    if rows != ["ok"] {
        return Err(format!("integrity_check: {rows:?}"));
    }
    let mut stmt = conn.prepare("PRAGMA foreign_key_check").map_err(sql)?;
    let broken = stmt.query_map([], |_| Ok(())).map_err(sql)?.count();
    if broken != 0 {
        return Err(format!("foreign_key_check: {broken} broken references"));
    }
    Ok(())
}
