//! Side by side: Holdfast on SQLite and on PostgreSQL against a plain
//! PostgreSQL `bookings` table guarded by an `EXCLUDE USING gist`
//! constraint, on the same workloads and the same data, in one run.
//!
//! A benchmark, not a test: it prints absolute figures and Holdfast/GIST
//! ratios next to the targets and exits 0 whatever the numbers are. It
//! exits non-zero only when a workload could not run or its outcome failed
//! verification (a create rejected that should fit, a taken slot granted,
//! a count that does not match), because then the figures mean nothing.
//!
//! Usually run through `benches/compare.sh`, which starts a durable
//! throwaway PostgreSQL; by hand:
//!
//! ```text
//! cargo run --release -p holdfast-benches --features postgres --bin compare -- \
//!     --pg-url postgres://postgres@127.0.0.1:54329/postgres [--quick]
//! ```
//!
//! Every (workload, system) pair gets a fresh store: a new SQLite file or a
//! new PostgreSQL schema, deleted afterwards. The three systems of one
//! workload run back to back, so the machine's load drifts less between
//! them than between workloads: on a shared machine, read the ratios.

#[path = "../compare/mod.rs"]
mod compare;

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use compare::engine::Holdfast;
use compare::gist::Gist;
use compare::load::{self, Load};
use compare::{CommitMode, Context, DAY_US, HOUR_US, Outcome, Result, Slot, Store, Subject, artist_id};

const USAGE: &str = "\
usage: compare --pg-url URL [--pg-app-url URL] [--sqlite-dir DIR] [--seconds S] [--clients N] [--quick]
               [--only LABEL,...]

  --pg-url URL      PostgreSQL URL of a role that may create schemas (env HOLDFAST_COMPARE_PG_URL);
                    start its server durable: HOLDFAST_PG_DURABLE=1 scripts/pg-up.sh
  --pg-app-url URL  the role Holdfast runs as on PostgreSQL, so row-level security applies as in
                    production (env HOLDFAST_COMPARE_PG_APP_URL; default: --pg-url)
  --sqlite-dir DIR  where the SQLite files go: a real disk, not tmpfs (env HOLDFAST_COMPARE_SQLITE_DIR;
                    default: a new directory under the system temp dir)
  --seconds S       timed part of each timed workload, after a warm-up (default 5)
  --clients N       callers of the concurrent workloads (default 32)
  --quick           a smoke run: 1 s per workload, 20,000-booking bulk, 12-day listing history
  --only LABELS     run only these workloads: create_durable_1, create_durable_n, create_relaxed_1,
                    bulk, hot_slot_1, hot_slot_n, list_1, list_n
";

/// Printed under the table: what each row measures.
const LEGEND: &str = "\
- durable: GIST sessions `synchronous_commit = on`, Holdfast `Durability::Full` (SQLite `synchronous = FULL`);
  relaxed: GIST sessions `synchronous_commit = off`, Holdfast `Durability::Normal`
- create: each caller books consecutive free hours on its own artist, one transaction per create; Holdfast's
  callers share one tenant; every create must commit, and each artist's count must match afterwards
- bulk: GIST one transaction of multi-row INSERTs (10,000 rows each); Holdfast `create_bookings`, 10,000 per call
- hot slot: the slot is taken before the clock starts; every attempt must be rejected (exclusion_violation /
  CONFLICT). GIST's concurrent attempts also wait for each other's uncommitted rows, and PostgreSQL breaks such
  waits with deadlock_detected after deadlock_timeout (1 s): counted as rejected attempts, see the notes below
- list: the confirmed and pencilled bookings of one artist overlapping 30 days, ordered by start, rows decoded;
  GIST uses its constraint's partial index (its only index besides the primary key); PostgreSQL tables are
  ANALYZEd after the load, as autovacuum would";

/// 2030-03-04T09:00:00Z: every store is fresh, so all workloads start here.
const BASE_US: i64 = 1_898_845_200 * 1_000_000;
/// Artists of the bulk and listing data sets.
const ARTISTS: usize = 1_000;
/// The listed window: 30 days from day 5 of the listing history.
const LIST_WINDOW_START_DAY: i64 = 5;
const LIST_WINDOW_DAYS: i64 = 30;

fn main() -> ExitCode {
    match run() {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::from(1),
        Err(e) => {
            eprintln!("compare: {e}");
            ExitCode::from(2)
        }
    }
}

// ------------------------------------------------------------------ options

struct Options {
    pg_url: String,
    pg_app_url: Option<String>,
    sqlite_dir: Option<PathBuf>,
    seconds: Option<f64>,
    clients: usize,
    quick: bool,
    only: Option<Vec<String>>,
}

fn parse_options() -> Result<Options> {
    let env = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
    let mut pg_url = env("HOLDFAST_COMPARE_PG_URL");
    let mut pg_app_url = env("HOLDFAST_COMPARE_PG_APP_URL");
    let mut sqlite_dir = env("HOLDFAST_COMPARE_SQLITE_DIR").map(PathBuf::from);
    let (mut seconds, mut clients, mut quick, mut only) = (None, 32, false, None);
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        // Both `--flag value` and `--flag=value`.
        let (flag, inline) = match arg.split_once('=') {
            Some((flag, value)) => (flag.to_owned(), Some(value.to_owned())),
            None => (arg, None),
        };
        let mut value = || inline.clone().or_else(|| args.next()).ok_or_else(|| format!("{flag} needs a value"));
        match flag.as_str() {
            "--pg-url" => pg_url = Some(value()?),
            "--pg-app-url" => pg_app_url = Some(value()?),
            "--sqlite-dir" => sqlite_dir = Some(PathBuf::from(value()?)),
            "--seconds" => {
                let v = value()?;
                let s: f64 = v.parse().map_err(|_| format!("--seconds {v:?} is not a number"))?;
                if !(s > 0.0 && s <= 3_600.0) {
                    return Err(format!("--seconds {s} is outside (0, 3600]").into());
                }
                seconds = Some(s);
            }
            "--clients" => {
                let v = value()?;
                clients = v.parse().ok().filter(|n| (2..=90).contains(n)).ok_or_else(|| {
                    format!("--clients {v:?}: expected 2 to 90 (PostgreSQL allows 100 connections by default)")
                })?;
            }
            "--quick" => quick = true,
            "--only" => only = Some(value()?.split(',').map(str::to_owned).collect()),
            "-h" | "--help" => {
                print!("{USAGE}");
                std::process::exit(0);
            }
            _ => return Err(format!("unknown argument {flag:?}\n{USAGE}").into()),
        }
    }
    let pg_url =
        pg_url.ok_or_else(|| format!("no PostgreSQL URL: pass --pg-url or set HOLDFAST_COMPARE_PG_URL\n{USAGE}"))?;
    Ok(Options { pg_url, pg_app_url, sqlite_dir, seconds, clients, quick, only })
}

/// How big and how long each workload is.
struct Settings {
    warm_up: Duration,
    run_for: Duration,
    clients: usize,
    bulk_rows: usize,
    /// Days of listing history per artist (one 3-hour booking a day).
    list_days: i64,
}

impl Settings {
    fn new(options: &Options) -> Settings {
        let seconds = options.seconds.unwrap_or(if options.quick { 1.0 } else { 5.0 });
        Settings {
            warm_up: Duration::from_secs_f64((seconds / 5.0).clamp(0.2, 1.0)),
            run_for: Duration::from_secs_f64(seconds),
            clients: options.clients,
            bulk_rows: if options.quick { 20_000 } else { 100_000 },
            list_days: if options.quick { 12 } else { 40 },
        }
    }

    /// Rows a listing of the window must return.
    fn list_expected(&self) -> usize {
        let days = LIST_WINDOW_START_DAY..LIST_WINDOW_START_DAY + LIST_WINDOW_DAYS;
        (0..self.list_days).filter(|d| days.contains(d)).count()
    }
}

// ------------------------------------------------------------------ workloads

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// Each caller books consecutive free hours on its own artist: every
    /// create commits (one transaction each).
    Create,
    /// Every caller asks for the one slot that is already taken: every
    /// attempt is rejected.
    HotSlot,
    /// `bulk_rows` bookings over 1,000 artists in one go.
    Bulk,
    /// One artist's 30 days (artists taken in turn) over the listing data set.
    List,
}

/// What the issue asks of Holdfast: reported, never asserted.
enum Target {
    None,
    /// Holdfast's figure at least this many times GIST's.
    Ratio(f64),
    /// Holdfast's figure at least this many per second.
    Rate(f64),
}

struct Workload {
    title: String,
    /// Names it on the command line (`--only`) and names its stores.
    label: &'static str,
    kind: Kind,
    callers: usize,
    mode: CommitMode,
    target: Target,
}

fn workloads(s: &Settings) -> Vec<Workload> {
    use CommitMode::{Durable, Relaxed};
    let n = s.clients;
    let w = |label, kind, callers, mode, target| {
        let who = if callers == 1 { "1 caller".to_owned() } else { format!("{callers} callers") };
        let title = match (kind, mode) {
            (Kind::Create, Durable) => format!("create, durable, {who} (creates/s)"),
            (Kind::Create, Relaxed) => format!("create, relaxed, {who} (creates/s)"),
            (Kind::Bulk, _) => format!("bulk {} bookings, durable (bookings/s)", separated(s.bulk_rows as u64)),
            (Kind::HotSlot, _) => format!("hot slot, {who}, all rejected (attempts/s)"),
            (Kind::List, _) => format!("list 1 artist's 30 days, {who} (queries/s)"),
        };
        Workload { title, label, kind, callers, mode, target }
    };
    vec![
        w("create_durable_1", Kind::Create, 1, Durable, Target::None),
        w("create_durable_n", Kind::Create, n, Durable, Target::Ratio(10.0)),
        w("create_relaxed_1", Kind::Create, 1, Relaxed, Target::Ratio(2.0)),
        w("bulk", Kind::Bulk, 1, Durable, Target::Rate(150_000.0)),
        w("hot_slot_1", Kind::HotSlot, 1, Durable, Target::None),
        w("hot_slot_n", Kind::HotSlot, n, Durable, Target::Ratio(10.0)),
        w("list_1", Kind::List, 1, Durable, Target::Ratio(10.0)),
        w("list_n", Kind::List, n, Durable, Target::Ratio(10.0)),
    ]
}

/// One system's result on one workload.
struct Figure {
    per_second: f64,
    /// Timed operations (rows, for the bulk).
    ops: u64,
    elapsed: Duration,
    /// Per-operation latencies; none for the bulk (one operation).
    latency: Option<(Duration, Duration)>,
    /// Anything the figure alone does not say.
    note: String,
}

impl From<Load> for Figure {
    fn from(load: Load) -> Figure {
        Figure {
            per_second: load.per_second(),
            ops: load.ops,
            elapsed: load.elapsed,
            latency: Some((load.latency(0.50), load.latency(0.99))),
            note: String::new(),
        }
    }
}

/// Runs `w` on `subject`. `list_data` keeps the subject's listing data set
/// between the listing workloads, so it is loaded once.
fn measure(
    subject: &dyn Subject,
    w: &Workload,
    s: &Settings,
    list_data: &mut Option<Box<dyn Store>>,
) -> Result<Figure> {
    match w.kind {
        Kind::Create => {
            let mut store = subject.open(w.label, w.mode, s.clients)?;
            store.add_artists(&(0..w.callers).map(artist_id).collect::<Vec<_>>())?;
            let callers = (0..w.callers).map(|_| store.caller()).collect::<Result<Vec<_>>>()?;
            let load = load::timed(callers, s.warm_up, s.run_for, |caller, i, n| {
                let start_us = BASE_US + n as i64 * HOUR_US;
                let slot = Slot { artist: artist_id(i), start_us, end_us: start_us + HOUR_US };
                match caller.create(&slot)? {
                    Outcome::Created => Ok(()),
                    outcome => Err(format!("{slot:?}: {outcome:?}, yet nobody else books that artist").into()),
                }
            })?;
            for (i, &made) in load.ops_by_caller.iter().enumerate() {
                let found = store.count(Some(&artist_id(i)))?;
                if found != made {
                    return Err(
                        format!("{} holds {found} bookings after {made} successful creates", artist_id(i)).into()
                    );
                }
            }
            Ok(load.into())
        }
        Kind::HotSlot => {
            let mut store = subject.open(w.label, w.mode, s.clients)?;
            let hot = Slot { artist: artist_id(0), start_us: BASE_US, end_us: BASE_US + 2 * HOUR_US };
            store.add_artists(std::slice::from_ref(&hot.artist))?;
            if store.caller()?.create(&hot)? != Outcome::Created {
                return Err("the first booking of the hot slot was rejected".into());
            }
            let callers = (0..w.callers).map(|_| store.caller()).collect::<Result<Vec<_>>>()?;
            let deadlocks = AtomicU64::new(0);
            let load = load::timed(callers, s.warm_up, s.run_for, |caller, _, _| match caller.create(&hot)? {
                Outcome::Rejected => Ok(()),
                // A failed attempt all the same (a retry would then be rejected); counted apart.
                Outcome::Deadlocked => {
                    deadlocks.fetch_add(1, Ordering::Relaxed);
                    Ok(())
                }
                Outcome::Created => Err("the taken slot was granted again: double booking".into()),
            })?;
            let found = store.count(Some(&hot.artist))?;
            if found != 1 {
                return Err(format!("the hot artist holds {found} bookings, not 1").into());
            }
            let mut figure = Figure::from(load);
            let deadlocks = deadlocks.into_inner();
            if deadlocks > 0 {
                figure.note =
                    format!("{} attempts (warm-up included) ended in deadlock_detected", separated(deadlocks));
            }
            Ok(figure)
        }
        Kind::Bulk => {
            let mut store = subject.open(w.label, w.mode, s.clients)?;
            store.add_artists(&(0..ARTISTS).map(artist_id).collect::<Vec<_>>())?;
            // In time order, round-robin over the artists, as an import would come.
            let rows: Vec<Slot> = (0..s.bulk_rows)
                .map(|i| {
                    let start_us = BASE_US + (i / ARTISTS) as i64 * 2 * HOUR_US;
                    Slot { artist: artist_id(i % ARTISTS), start_us, end_us: start_us + HOUR_US }
                })
                .collect();
            let started = Instant::now();
            store.bulk(&rows)?;
            let elapsed = started.elapsed();
            let found = store.count(None)?;
            if found != rows.len() as u64 {
                return Err(format!("{found} bookings stored after a bulk of {}", rows.len()).into());
            }
            let ops = rows.len() as u64;
            Ok(Figure {
                per_second: ops as f64 / elapsed.as_secs_f64(),
                ops,
                elapsed,
                latency: None,
                note: String::new(),
            })
        }
        Kind::List => {
            if list_data.is_none() {
                *list_data = Some(list_data_set(subject, w, s)?);
            }
            let store = list_data.as_deref().ok_or("no listing data set")?;
            let expected = s.list_expected();
            let start_us = BASE_US + LIST_WINDOW_START_DAY * DAY_US;
            let end_us = start_us + LIST_WINDOW_DAYS * DAY_US;
            let callers = (0..w.callers).map(|_| store.caller()).collect::<Result<Vec<_>>>()?;
            let count = w.callers;
            let load = load::timed(callers, s.warm_up, s.run_for, |caller, i, n| {
                // Artists in turn, callers apart: no one lists the same artist twice running.
                let artist = artist_id((n as usize * count + i) % ARTISTS);
                let got = caller.list(&artist, start_us, end_us)?;
                if got != expected {
                    return Err(format!("{artist}'s 30 days listed {got} bookings, not {expected}").into());
                }
                Ok(())
            })?;
            Ok(load.into())
        }
    }
}

/// `list_days` one-per-day bookings (09:00-12:00) for each of 1,000 artists.
fn list_data_set(subject: &dyn Subject, w: &Workload, s: &Settings) -> Result<Box<dyn Store>> {
    let mut store = subject.open(w.label, w.mode, s.clients)?;
    store.add_artists(&(0..ARTISTS).map(artist_id).collect::<Vec<_>>())?;
    let rows: Vec<Slot> = (0..s.list_days)
        .flat_map(|day| {
            (0..ARTISTS).map(move |a| {
                let start_us = BASE_US + day * DAY_US + 9 * HOUR_US;
                Slot { artist: artist_id(a), start_us, end_us: start_us + 3 * HOUR_US }
            })
        })
        .collect();
    store.bulk(&rows)?;
    let found = store.count(None)?;
    if found != rows.len() as u64 {
        return Err(format!("{found} bookings stored for a listing data set of {}", rows.len()).into());
    }
    store.analyze()?;
    Ok(store)
}

// ------------------------------------------------------------------ the run

fn run() -> Result<bool> {
    let options = parse_options()?;
    let settings = Settings::new(&options);
    let mut workloads = workloads(&settings);
    if let Some(only) = &options.only {
        if let Some(unknown) = only.iter().find(|l| !workloads.iter().any(|w| w.label == l.as_str())) {
            return Err(format!("--only: no workload {unknown:?}\n{USAGE}").into());
        }
        workloads.retain(|w| only.iter().any(|l| l == w.label));
    }

    let admin: postgres::Config = options.pg_url.parse().context("--pg-url is not a PostgreSQL URL")?;
    let server = server_settings(&admin)?;
    let (app_url, owner) = match &options.pg_app_url {
        Some(url) => {
            let config: postgres::Config = url.parse().context("--pg-app-url is not a PostgreSQL URL")?;
            (url.clone(), config.get_user().map(str::to_owned))
        }
        None => (options.pg_url.clone(), None),
    };
    let (sqlite_dir, made_dir) = match &options.sqlite_dir {
        Some(dir) => (dir.clone(), false),
        None => (std::env::temp_dir().join(format!("holdfast-compare-{}", std::process::id())), true),
    };
    std::fs::create_dir_all(&sqlite_dir).with_context(|| format!("create {}", sqlite_dir.display()))?;
    let sqlite_dir = sqlite_dir.canonicalize().with_context(|| format!("resolve {}", sqlite_dir.display()))?;

    // Column order of the report.
    let subjects: Vec<Box<dyn Subject>> = vec![
        Box::new(Gist::new(admin.clone())?),
        Box::new(Holdfast::Sqlite { dir: sqlite_dir.clone() }),
        Box::new(Holdfast::Postgres { admin: Box::new(admin), url: app_url, owner: owner.clone() }),
    ];

    println!("# Holdfast vs a GIST-constrained PostgreSQL table\n");
    println!("- PostgreSQL: {server}");
    if server.contains("fsync=off") || server.contains("synchronous_commit=off") || server.contains("data on tmpfs") {
        println!("- **WARNING**: the server does not flush commits to a disk: its durable figures are not durable");
        println!("  (scripts/pg-up.sh starts it durable with HOLDFAST_PG_DURABLE=1, its data under /tmp)");
    }
    match &owner {
        Some(role) => println!("- Holdfast on PostgreSQL runs as role `{role}` (row-level security applies)"),
        None => println!("- Holdfast on PostgreSQL runs as the --pg-url role (a superuser skips row-level security)"),
    }
    let fs = filesystem_type(&sqlite_dir).unwrap_or_else(|| "unknown".into());
    println!("- SQLite files: {} (filesystem {fs})", sqlite_dir.display());
    if fs == "tmpfs" || fs == "ramfs" {
        println!("- **WARNING**: the SQLite files are in memory: its durable figures are not durable");
    }
    println!(
        "- {:.1} s timed per workload after a {:.1} s warm-up; bulk {} bookings; listing data {} artists x {} days",
        settings.run_for.as_secs_f64(),
        settings.warm_up.as_secs_f64(),
        separated(settings.bulk_rows as u64),
        separated(ARTISTS as u64),
        settings.list_days
    );
    println!("- load average at start: {}", load_average());
    println!();

    let mut list_data: Vec<Option<Box<dyn Store>>> = subjects.iter().map(|_| None).collect();
    let mut results: Vec<Vec<Result<Figure, String>>> = Vec::new();
    for w in &workloads {
        let mut row = Vec::new();
        for (subject, list_data) in subjects.iter().zip(&mut list_data) {
            let outcome = measure(subject.as_ref(), w, &settings, list_data).map_err(|e| e.to_string());
            match &outcome {
                Ok(f) => eprintln!("compare: {} | {}: {}/s", w.title, subject.name(), rate(f.per_second)),
                Err(e) => eprintln!("compare: {} | {}: FAILED: {e}", w.title, subject.name()),
            }
            row.push(outcome);
        }
        results.push(row);
    }
    drop(list_data);
    let load_at_end = load_average();

    print_table(&workloads, &results, &subjects);
    println!("- load average at end: {load_at_end}\n");
    print_details(&workloads, &results, &subjects);

    if made_dir {
        // Only our own, now empty, directory.
        let _ = std::fs::remove_dir(&sqlite_dir);
    }
    let failures: Vec<String> = workloads
        .iter()
        .zip(&results)
        .flat_map(|(w, row)| {
            row.iter().zip(&subjects).filter_map(move |(cell, subject)| {
                cell.as_ref().err().map(|e| format!("- {} on {}: {e}", w.title, subject.name()))
            })
        })
        .collect();
    if !failures.is_empty() {
        println!("\n## Failed (no figure)\n\n{}", failures.join("\n"));
    }
    Ok(failures.is_empty())
}

// ------------------------------------------------------------------ report

fn print_table(workloads: &[Workload], results: &[Vec<Result<Figure, String>>], subjects: &[Box<dyn Subject>]) {
    let names: Vec<&str> = subjects.iter().map(|s| s.name()).collect();
    println!(
        "| workload | {} | {} | {} | ratio SQLite/GIST | ratio HF-PG/GIST | target |",
        names[0], names[1], names[2]
    );
    println!("|---|---:|---:|---:|---:|---:|---|");
    for (w, row) in workloads.iter().zip(results) {
        // Column i: 0 GIST, 1 Holdfast SQLite, 2 Holdfast PG.
        let per_second = |i: usize| row[i].as_ref().ok().map(|f| f.per_second);
        let versus_gist = |i: usize| match (per_second(i), per_second(0)) {
            (Some(hf), Some(gist)) if gist > 0.0 => Some(hf / gist),
            _ => None,
        };
        let figure = |i: usize| per_second(i).map_or("failed".into(), rate);
        let times = |i: usize| versus_gist(i).map_or("—".into(), ratio);
        let met = |ok: Option<bool>| match ok {
            Some(true) => "met",
            Some(false) => "not met",
            None => "?",
        };
        let target = match w.target {
            Target::None => "—".to_owned(),
            Target::Ratio(x) => format!(
                "≥ {x}× GIST: SQLite {}, PG {}",
                met(versus_gist(1).map(|r| r >= x)),
                met(versus_gist(2).map(|r| r >= x))
            ),
            Target::Rate(x) => format!(
                "≥ {}/s: SQLite {}, PG {}",
                rate(x),
                met(per_second(1).map(|r| r >= x)),
                met(per_second(2).map(|r| r >= x))
            ),
        };
        println!(
            "| {} | {} | {} | {} | {} | {} | {target} |",
            w.title,
            figure(0),
            figure(1),
            figure(2),
            times(1),
            times(2)
        );
    }
    println!("\n{LEGEND}");
}

fn print_details(workloads: &[Workload], results: &[Vec<Result<Figure, String>>], subjects: &[Box<dyn Subject>]) {
    println!("| workload | system | timed ops | seconds | p50 ms | p99 ms | note |");
    println!("|---|---|---:|---:|---:|---:|---|");
    for (w, row) in workloads.iter().zip(results) {
        for (cell, subject) in row.iter().zip(subjects) {
            let Ok(f) = cell else { continue };
            let (p50, p99) = f.latency.map_or(("—".into(), "—".into()), |(p50, p99)| (millis(p50), millis(p99)));
            println!(
                "| {} | {} | {} | {:.2} | {p50} | {p99} | {} |",
                w.title,
                subject.name(),
                separated(f.ops),
                f.elapsed.as_secs_f64(),
                f.note
            );
        }
    }
}

fn millis(d: Duration) -> String {
    format!("{:.2}", d.as_secs_f64() * 1_000.0)
}

/// A figure per second: `12,345` from 100 up, `12.3` from 1, `0.03` below.
fn rate(x: f64) -> String {
    if x >= 100.0 {
        separated(x.round() as u64)
    } else if x >= 1.0 {
        format!("{x:.1}")
    } else {
        format!("{x:.2}")
    }
}

/// Holdfast/GIST: `0.07×`, `1.14×`, `23.4×`, `1,234×`.
fn ratio(x: f64) -> String {
    match x {
        x if x >= 100.0 => format!("{}×", separated(x.round() as u64)),
        x if x >= 10.0 => format!("{x:.1}×"),
        x => format!("{x:.2}×"),
    }
}

/// `1234567` as `1,234,567`.
fn separated(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

// ------------------------------------------------------------------ environment

/// The server's version and the settings that decide what a commit costs.
fn server_settings(admin: &postgres::Config) -> Result<String> {
    let mut client = admin.connect(postgres::NoTls).context("connect to PostgreSQL (--pg-url)")?;
    let mut parts = Vec::new();
    for name in ["server_version", "fsync", "synchronous_commit", "full_page_writes", "wal_sync_method"] {
        let value: String = client.query_one(&format!("SHOW {name}"), &[]).context(name)?.get(0);
        parts.push(format!("{name}={value}"));
    }
    // Only a superuser may see it; and only a local server's is on this machine.
    if let Ok(row) = client.query_one("SHOW data_directory", &[]) {
        let dir: String = row.get(0);
        if let Some(fs) = filesystem_type(Path::new(&dir)).filter(|_| Path::new(&dir).exists()) {
            parts.push(format!("data on {fs}"));
        }
    }
    Ok(parts.join(", "))
}

/// The type of the filesystem holding `dir`, from the mount table (Linux).
fn filesystem_type(dir: &Path) -> Option<String> {
    let mounts = std::fs::read_to_string("/proc/self/mounts").ok()?;
    mounts
        .lines()
        .filter_map(|line| {
            let mut fields = line.split_whitespace();
            let (_, mount_point, fs_type) = (fields.next()?, fields.next()?, fields.next()?);
            dir.starts_with(mount_point).then(|| (mount_point.len(), fs_type.to_owned()))
        })
        .max_by_key(|(len, _)| *len)
        .map(|(_, fs_type)| fs_type)
}

fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "unknown".into())
}
