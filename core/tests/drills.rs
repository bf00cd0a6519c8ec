//! Crash and fault drills (issue 9).
//!
//! `harness = false`: this binary is its own runner. Started by cargo it is
//! the parent; it re-executes itself (`current_exe`) with
//! `HOLDFAST_DRILL_ROLE=writer` to play the process that gets killed.
//!
//! * **SIGKILL during group commit** (every store of `common::stores()`:
//!   SQLite always, PostgreSQL when `HOLDFAST_TEST_POSTGRES_URL` is set): a
//!   child process runs 16 writer threads on one engine, so their creates
//!   and cancels share commits, and prints each write once its call has
//!   returned. The parent kills it with SIGKILL at a random instant, then
//!   reopens the database: every acknowledged write must be there as
//!   acknowledged, the log must replay against the naive model (gap-free
//!   `seq`, legal transitions, capacity at every decision), the rows must be
//!   what the log says, and a SQLite file must pass `integrity_check`. The
//!   children's own counters must show commits were shared.
//! * **disk full** (SQLite): the file lives on a 4 MiB tmpfs that a ballast
//!   file fills up. Writes must fail with `STORE_UNAVAILABLE` (never
//!   `INTERNAL`, never a panic), reads keep working, and once the ballast
//!   is gone the same engine writes again. The file then passes
//!   `integrity_check` and holds exactly the acknowledged bookings.
//! * **read-only file** (SQLite): the database is reached through a
//!   read-only bind mount. Opening the engine there, or writing through it,
//!   must fail with `STORE_UNAVAILABLE`; the file keeps what it held.
//!
//! The last two mount file systems, which needs root. `scripts/test.sh`
//! sets `HOLDFAST_DRILLS_MOUNT=required` where it can mount a tmpfs (as
//! root, as in CI), so there a failed mount fails the run; without it (a
//! developer's `cargo test` as an ordinary user) they are skipped with a
//! note.
//!
//! Ends with `N passed, M failed`; exits 1 on any failure. The seed is
//! printed first; `HOLDFAST_DRILL_SEED=<seed>` replays the parent's and the
//! children's choices (process timing still varies).

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use holdfast::{Durability, Engine, Error, EventType, NewBooking, NewResource, Status, Tenant, Timestamp};

use common::child::{Line, lines_of};
use common::replay::{Replay, all_bookings, all_events, all_resources};
use common::rng::{Rng, child_seed};
use common::{TestStore, check_capacity_naive, integrity_check, run_scenario};

const ROLE_VAR: &str = "HOLDFAST_DRILL_ROLE";
const URL_VAR: &str = "HOLDFAST_DRILL_URL";
const SEED_VAR: &str = "HOLDFAST_DRILL_SEED";
const MOUNT_VAR: &str = "HOLDFAST_DRILLS_MOUNT";

const TENANT: &str = "drill";
const RESOURCES: u64 = 8;
const CAPACITY: u32 = 2;
/// Hour-long slots a create picks from: enough that most creates fit.
const SLOTS: u64 = 2_000;
/// 2031-01-01T00:00:00Z.
const T0_US: i64 = 1_924_992_000_000_000;
const HOUR_US: i64 = 3_600_000_000;
const WRITER_THREADS: usize = 16;
const READY_TIMEOUT: Duration = Duration::from_secs(60);

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    match std::env::var(ROLE_VAR).as_deref() {
        Ok("writer") => writer_child(),
        Ok(other) => {
            eprintln!("unknown {ROLE_VAR} {other:?}");
            std::process::exit(2);
        }
        Err(_) => parent(),
    }
}

fn parent() {
    let seed = match std::env::var(SEED_VAR) {
        Ok(text) => text.trim().parse().expect("HOLDFAST_DRILL_SEED must be an unsigned integer"),
        Err(_) => std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(1, |d| d.as_nanos() as u64),
    };
    println!("drills: seed {seed} (replay: {SEED_VAR}={seed} cargo test -p holdfast --test drills)");
    let started = Instant::now();
    let mut passed = 0;
    let mut failed = 0;
    let mut tally = |ok: bool| if ok { passed += 1 } else { failed += 1 };
    let note = format!("; replay with {SEED_VAR}={seed}");
    for store in common::stores() {
        let name = format!("SIGKILL during group commit on {}", store.name());
        tally(run_scenario(&name, &note, || kill_drill(&store, seed)));
    }
    tally(run_scenario("disk full (SQLite on a full tmpfs)", &note, disk_full));
    tally(run_scenario("read-only file (SQLite through a read-only bind mount)", &note, read_only));
    println!("drills: {:.1} s in all", started.elapsed().as_secs_f64());
    println!("{passed} passed, {failed} failed");
    if failed > 0 {
        std::process::exit(1);
    }
}

fn hf(what: &str, e: &Error) -> String {
    format!("{what}: {} {e}", e.code())
}

fn setup(url: &str) -> Result<(), String> {
    let engine = Engine::open(url).map_err(|e| hf("open", &e))?;
    engine.create_tenant(TENANT, "Drills").map_err(|e| hf("create_tenant", &e))?;
    let t = engine.tenant(TENANT).map_err(|e| hf("tenant", &e))?;
    for r in 0..RESOURCES {
        let new =
            NewResource { id: Some(format!("r{r}")), name: format!("r{r}"), capacity: CAPACITY, ..Default::default() };
        t.create_resource(new).map_err(|e| hf("create_resource", &e))?;
    }
    Ok(())
}

// ---------------------------------------------------------------- SIGKILL during group commit

/// A write the child was told succeeded.
#[derive(Debug)]
struct Ack {
    kind: EventType,
    id: String,
    version: i64,
}

/// What one killed child reported.
#[derive(Default)]
struct Report {
    acks: Vec<Ack>,
    /// The child's last `WriteStats`: writes answered, transactions used.
    writes: u64,
    batches: u64,
    torn: usize,
}

fn kill_drill(store: &TestStore, seed: u64) -> Result<String, String> {
    let dir = tempfile::tempdir().map_err(|e| format!("tempdir: {e}"))?;
    let url = store.fresh_shared_url(dir.path());
    let file = url.strip_prefix("sqlite://").map(PathBuf::from);
    setup(&url)?;
    let trials = if store.is_postgres() { 8 } else { 12 };
    let mut rng = Rng::new(seed ^ 0xD7_111);
    let mut replay = Replay::default();
    let (mut acked, mut writes, mut batches, mut torn) = (0usize, 0u64, 0u64, 0usize);
    for trial in 0..trials {
        let delay = Duration::from_millis(rng.range(40, 250));
        let report = kill_writer(&url, child_seed(seed, trial), delay).map_err(|e| format!("trial {trial}: {e}"))?;
        let engine = Engine::open(&url).map_err(|e| hf(&format!("trial {trial}: reopen after SIGKILL"), &e))?;
        if let Some(file) = &file {
            integrity_check(file)?;
        }
        let t = engine.tenant(TENANT).map_err(|e| hf("tenant", &e))?;
        check_log(&t, &mut replay, engine.now()).map_err(|e| format!("trial {trial}: {e}"))?;
        for ack in &report.acks {
            let event = replay
                .versions
                .get(&(ack.id.clone(), ack.version))
                .ok_or_else(|| format!("trial {trial}: acknowledged write lost: {ack:?}"))?;
            if event.kind != ack.kind {
                return Err(format!("trial {trial}: acknowledged {ack:?}, the log has {}", event.kind.as_str()));
            }
        }
        acked += report.acks.len();
        writes += report.writes;
        batches += report.batches;
        torn += report.torn;
    }
    // The drill is about group commit: commits must really have been shared.
    if batches == 0 || batches >= writes {
        return Err(format!("commits were not shared: {writes} writes in {batches} transactions"));
    }
    if acked == 0 {
        return Err("no write was acknowledged before a kill: the drill proved nothing".into());
    }
    Ok(format!(
        "{trials} kills of a {WRITER_THREADS}-thread writer: {acked} acknowledged writes all found as acknowledged; \
         {writes} writes shared {batches} commits ({:.1} per commit); {} events replayed, {} torn output lines",
        writes as f64 / batches as f64,
        replay.last_seq,
        torn
    ))
}

/// The new events replay, the rows are the log's, capacity holds now.
fn check_log(t: &Tenant, replay: &mut Replay, now: Timestamp) -> Result<(), String> {
    let events = all_events(t)?;
    for e in events.iter().skip(replay.last_seq as usize) {
        replay.apply(e)?;
    }
    replay.matches_rows(&all_bookings(t)?)?;
    check_capacity_naive(&all_resources(t)?, &all_bookings(t)?, now).map(drop)
}

struct Killable(Child);

impl Drop for Killable {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn kill_writer(url: &str, seed: u64, delay: Duration) -> Result<Report, String> {
    let exe = std::env::current_exe().map_err(|e| format!("current_exe: {e}"))?;
    let mut child = Command::new(exe)
        .env(ROLE_VAR, "writer")
        .env(URL_VAR, url)
        .env(SEED_VAR, seed.to_string())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .map_err(|e| format!("spawn the writer: {e}"))?;
    let lines = lines_of(child.stdout.take().ok_or("no stdout pipe")?);
    let mut child = Killable(child);
    expect_ready(&lines)?;
    thread::sleep(delay);
    child.0.kill().map_err(|e| format!("SIGKILL: {e}"))?; // std's kill is SIGKILL on Unix
    child.0.wait().map_err(|e| format!("wait: {e}"))?;
    let mut report = Report::default();
    for line in lines.iter() {
        match line {
            Line::Partial(_) => report.torn += 1,
            Line::Complete(line) => parse_line(&line, &mut report)?,
        }
    }
    Ok(report)
}

fn expect_ready(lines: &Receiver<Line>) -> Result<(), String> {
    match lines.recv_timeout(READY_TIMEOUT) {
        Ok(Line::Complete(line)) if line == "ready" => Ok(()),
        Ok(Line::Complete(line) | Line::Partial(line)) => Err(format!("writer: expected \"ready\", got {line:?}")),
        Err(RecvTimeoutError::Timeout) => Err(format!("writer not ready within {READY_TIMEOUT:?}")),
        Err(RecvTimeoutError::Disconnected) => Err("writer exited before it was ready".into()),
    }
}

fn parse_line(line: &str, report: &mut Report) -> Result<(), String> {
    let words: Vec<&str> = line.split(' ').collect();
    let number = |w: &str| w.parse::<i64>().map_err(|_| format!("bad number in {line:?}"));
    match words.as_slice() {
        ["ack", kind, id, version] => {
            let kind = match *kind {
                "create" => EventType::Created,
                "cancel" => EventType::Cancelled,
                _ => return Err(format!("unknown ack {line:?}")),
            };
            report.acks.push(Ack { kind, id: (*id).to_owned(), version: number(version)? });
        }
        ["stats", writes, batches] => {
            report.writes = number(writes)? as u64;
            report.batches = number(batches)? as u64;
        }
        ["fail", ..] => return Err(format!("the writer failed: {line}")),
        _ => return Err(format!("unexpected line from the writer: {line:?}")),
    }
    Ok(())
}

/// The process that gets killed: writer threads that share commits, each
/// printing a write only after the engine answered it.
fn writer_child() {
    let var = |name: &str| std::env::var(name).unwrap_or_else(|_| panic!("{name} is not set"));
    let url = var(URL_VAR);
    let seed: u64 = var(SEED_VAR).parse().expect("a seed");
    let engine = Engine::builder()
        .url(&url)
        .durability(Durability::Full)
        .pool_size(WRITER_THREADS as u32 + 2)
        .open()
        .unwrap_or_else(|e| fail(&hf("open", &e)));
    let t = engine.tenant(TENANT).unwrap_or_else(|e| fail(&hf("tenant", &e)));
    let out = Arc::new(Mutex::new(()));
    say(&out, "ready");
    for thread_index in 0..WRITER_THREADS {
        let t = t.clone();
        let out = Arc::clone(&out);
        thread::spawn(move || write_forever(&t, &out, seed, thread_index));
    }
    loop {
        let stats = engine.write_stats();
        say(&out, &format!("stats {} {}", stats.writes, stats.batches));
        thread::sleep(Duration::from_millis(5));
    }
}

fn write_forever(t: &Tenant, out: &Mutex<()>, seed: u64, thread_index: usize) -> ! {
    let mut rng = Rng::new(child_seed(seed, thread_index));
    let mut mine: Vec<String> = Vec::new();
    for n in 0.. {
        if !mine.is_empty() && rng.chance(20) {
            let id = mine.swap_remove(rng.below(mine.len() as u64) as usize);
            match t.cancel(&id, None) {
                Ok(b) => say(out, &format!("ack cancel {id} {}", b.version)),
                Err(e) => fail(&hf(&format!("cancel {id}"), &e)),
            }
            continue;
        }
        let id = format!("s{seed:x}-{thread_index}-{n}");
        let start = T0_US + rng.below(SLOTS) as i64 * HOUR_US;
        let new = NewBooking {
            id: Some(id.clone()),
            resource_id: format!("r{}", rng.below(RESOURCES)),
            start: Timestamp::from_micros(start),
            end: Timestamp::from_micros(start + HOUR_US),
            status: if rng.chance(50) { Status::Confirmed } else { Status::Pencil },
            ..Default::default()
        };
        match t.create_booking(new) {
            Ok(b) => {
                say(out, &format!("ack create {id} {}", b.version));
                mine.push(id);
            }
            Err(e) if e.code() == "CONFLICT" => {}
            Err(e) => fail(&hf(&format!("create {id}"), &e)),
        }
    }
    unreachable!("the loop above never ends")
}

fn say(out: &Mutex<()>, line: &str) {
    use std::io::Write as _;
    let _turn = out.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    let mut stdout = std::io::stdout().lock();
    let _ = writeln!(stdout, "{line}").and_then(|()| stdout.flush());
}

fn fail(message: &str) -> ! {
    println!("fail {message}");
    std::process::exit(3);
}

// ---------------------------------------------------------------- mounts

/// A mount point made for a drill, unmounted (lazily, so even a file still
/// open cannot keep it) when dropped.
struct Mount {
    path: PathBuf,
}

impl Drop for Mount {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.path).status();
    }
}

fn run(program: &str, args: &[&str]) -> Result<(), String> {
    let out = Command::new(program).args(args).output().map_err(|e| format!("{program}: {e}"))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(format!("{program} {args:?}: {}", String::from_utf8_lossy(&out.stderr).trim()))
    }
}

/// Mounts what `args` say at `path`; `Ok(None)` means "skip": mounting is
/// not possible here and not required.
fn mount(path: &Path, args: &[&str]) -> Result<Option<Mount>, String> {
    let target = path.to_str().ok_or("temp path is not UTF-8")?;
    let mut all = args.to_vec();
    all.push(target);
    match run("mount", &all) {
        Ok(()) => Ok(Some(Mount { path: path.to_owned() })),
        Err(e) if std::env::var(MOUNT_VAR).as_deref() == Ok("required") => {
            Err(format!("{MOUNT_VAR}=required, but mounting failed (run as root): {e}"))
        }
        Err(e) => {
            println!("  skipped: cannot mount ({e}); {MOUNT_VAR}=required makes this a failure");
            Ok(None)
        }
    }
}

fn tmpfs(path: &Path, size: &str) -> Result<Option<Mount>, String> {
    std::fs::create_dir_all(path).map_err(|e| format!("mkdir: {e}"))?;
    mount(path, &["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
}

// ---------------------------------------------------------------- disk full

fn disk_full() -> Result<String, String> {
    let dir = tempfile::tempdir().map_err(|e| format!("tempdir: {e}"))?;
    let mount_point = dir.path().join("small");
    let Some(_mount) = tmpfs(&mount_point, "4m")? else { return Ok("skipped (no mount)".into()) };
    let db = mount_point.join("full.db");
    let url = format!("sqlite://{}", db.display());
    setup(&url)?;
    let engine = Engine::open(&url).map_err(|e| hf("open", &e))?;
    let t = engine.tenant(TENANT).map_err(|e| hf("tenant", &e))?;

    let ballast = mount_point.join("ballast");
    let mut ballast_bytes = 0;
    let mut acked: BTreeMap<String, i64> = BTreeMap::new();
    let mut refused = 0;
    let mut first_refusal = None;
    for n in 0..5_000u32 {
        if n == 50 {
            ballast_bytes = fill(&ballast)?; // the first 50 go in with room to spare
        }
        let id = format!("full-{n}");
        let r = u64::from(n) % RESOURCES;
        let slot = i64::from(n) / RESOURCES as i64;
        let start = T0_US + slot * HOUR_US;
        let new = NewBooking {
            id: Some(id.clone()),
            resource_id: format!("r{r}"),
            start: Timestamp::from_micros(start),
            end: Timestamp::from_micros(start + HOUR_US),
            status: Status::Confirmed,
            title: Some("x".repeat(200)),
            ..Default::default()
        };
        match t.create_booking(new) {
            Ok(b) => {
                acked.insert(id, b.version);
            }
            Err(e) if e.code() == "STORE_UNAVAILABLE" && n >= 50 => {
                refused += 1;
                first_refusal.get_or_insert_with(|| e.to_string());
                if refused >= 20 {
                    break;
                }
            }
            Err(e) => return Err(hf(&format!("create {id} on a full disk"), &e)),
        }
    }
    let Some(message) = first_refusal else {
        return Err(format!("the disk never filled: {} creates acknowledged", acked.len()));
    };
    // Reads keep working on a full disk.
    let some = acked.keys().next().ok_or("nothing was written before the disk filled")?;
    t.get_booking(some).map_err(|e| hf("get_booking on a full disk", &e))?;
    let listed = all_bookings(&t)?;
    // Space again: the same engine writes again.
    std::fs::remove_file(&ballast).map_err(|e| format!("remove ballast: {e}"))?;
    let start = T0_US - HOUR_US;
    let again = NewBooking {
        id: Some("after-space".into()),
        resource_id: "r0".into(),
        start: Timestamp::from_micros(start),
        end: Timestamp::from_micros(start + HOUR_US),
        status: Status::Confirmed,
        ..Default::default()
    };
    let b = t.create_booking(again).map_err(|e| hf("create once space is back", &e))?;
    acked.insert(b.id.clone(), b.version);
    drop(t);
    drop(engine);

    integrity_check(&db)?;
    let engine = Engine::open(&url).map_err(|e| hf("reopen", &e))?;
    let t = engine.tenant(TENANT).map_err(|e| hf("tenant", &e))?;
    let mut replay = Replay::default();
    check_log(&t, &mut replay, engine.now())?;
    let rows = all_bookings(&t)?;
    let stored: BTreeMap<String, i64> = rows.iter().map(|b| (b.id.clone(), b.version)).collect();
    if stored != acked {
        let lost: Vec<_> = acked.keys().filter(|id| !stored.contains_key(*id)).collect();
        let extra: Vec<_> = stored.keys().filter(|id| !acked.contains_key(*id)).collect();
        return Err(format!("the file holds other bookings than acknowledged: lost {lost:?}, extra {extra:?}"));
    }
    Ok(format!(
        "{} KiB ballast; {} creates acknowledged, then {refused} refused with STORE_UNAVAILABLE (\"{message}\"); \
         reads served {} bookings on the full disk; writes resumed once space was freed; integrity_check ok, \
         the file holds exactly the {} acknowledged bookings",
        ballast_bytes / 1024,
        acked.len() - 1,
        listed.len(),
        acked.len()
    ))
}

/// Writes `path` until the file system is full; returns its size.
fn fill(path: &Path) -> Result<u64, String> {
    use std::io::Write as _;
    let mut file = std::fs::File::create(path).map_err(|e| format!("create ballast: {e}"))?;
    let chunk = vec![0xA5u8; 4096];
    let mut written = 0u64;
    loop {
        match file.write(&chunk) {
            Ok(0) => break,
            Ok(n) => written += n as u64,
            Err(e) if e.raw_os_error() == Some(28) => break, // ENOSPC
            Err(e) => return Err(format!("fill: {e}")),
        }
    }
    let _ = file.sync_all();
    Ok(written)
}

// ---------------------------------------------------------------- read-only

fn read_only() -> Result<String, String> {
    let dir = tempfile::tempdir().map_err(|e| format!("tempdir: {e}"))?;
    let writable = dir.path().join("rw");
    let Some(_rw) = tmpfs(&writable, "16m")? else { return Ok("skipped (no mount)".into()) };
    let db = writable.join("ro.db");
    let url = format!("sqlite://{}", db.display());
    setup(&url)?;
    {
        let engine = Engine::open(&url).map_err(|e| hf("open", &e))?;
        let t = engine.tenant(TENANT).map_err(|e| hf("tenant", &e))?;
        let new = NewBooking {
            id: Some("before".into()),
            resource_id: "r0".into(),
            start: Timestamp::from_micros(T0_US),
            end: Timestamp::from_micros(T0_US + HOUR_US),
            status: Status::Confirmed,
            ..Default::default()
        };
        t.create_booking(new).map_err(|e| hf("create", &e))?;
    }

    let read_only = dir.path().join("ro");
    std::fs::create_dir_all(&read_only).map_err(|e| format!("mkdir: {e}"))?;
    let writable_str = writable.to_str().ok_or("temp path is not UTF-8")?;
    let Some(_bind) = mount(&read_only, &["--bind", writable_str])? else { return Ok("skipped (no mount)".into()) };
    run("mount", &["-o", "remount,bind,ro", read_only.to_str().ok_or("temp path is not UTF-8")?])?;

    let ro_url = format!("sqlite://{}", read_only.join("ro.db").display());
    let outcome = match Engine::open(&ro_url) {
        Err(e) if e.code() == "STORE_UNAVAILABLE" => format!("open refused: \"{e}\""),
        Err(e) => return Err(hf("open through a read-only mount", &e)),
        Ok(engine) => {
            let t = engine.tenant(TENANT).map_err(|e| hf("tenant", &e))?;
            let new = NewBooking {
                id: Some("through-ro".into()),
                resource_id: "r1".into(),
                start: Timestamp::from_micros(T0_US),
                end: Timestamp::from_micros(T0_US + HOUR_US),
                status: Status::Confirmed,
                ..Default::default()
            };
            match t.create_booking(new) {
                Err(e) if e.code() == "STORE_UNAVAILABLE" => format!("opened; the write refused: \"{e}\""),
                Err(e) => return Err(hf("write through a read-only mount", &e)),
                Ok(_) => return Err("a write through a read-only mount succeeded".into()),
            }
        }
    };
    integrity_check(&db)?;
    let engine = Engine::open(&url).map_err(|e| hf("reopen read-write", &e))?;
    let t = engine.tenant(TENANT).map_err(|e| hf("tenant", &e))?;
    let rows = all_bookings(&t)?;
    if rows.len() != 1 || rows[0].id != "before" {
        return Err(format!("expected the one booking written before, found {rows:?}"));
    }
    let mut replay = Replay::default();
    check_log(&t, &mut replay, engine.now())?;
    Ok(format!(
        "{outcome}; integrity_check ok, the file holds the one booking and {} events written before, and opens \
         read-write again",
        replay.last_seq
    ))
}
