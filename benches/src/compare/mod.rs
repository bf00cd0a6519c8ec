//! The pieces of the `compare` binary (`src/bin/compare.rs`): the systems
//! under comparison behind two small traits, and the load driver.
//!
//! Every system is asked for the same things with the same data: create
//! one booking (it commits, or it is rejected because the slot is taken),
//! create many in bulk, list one artist's window, count for verification.

pub mod engine;
pub mod gist;
pub mod load;
pub mod pg;

pub type Error = Box<dyn std::error::Error + Send + Sync>;
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Adds what was being done to an error, so a failure names its step.
pub trait Context<T> {
    fn context(self, what: &str) -> Result<T>;
    fn with_context(self, what: impl FnOnce() -> String) -> Result<T>;
}

impl<T, E: std::error::Error> Context<T> for Result<T, E> {
    fn context(self, what: &str) -> Result<T> {
        self.map_err(|e| format!("{what}: {}", chain(&e)).into())
    }

    fn with_context(self, what: impl FnOnce() -> String) -> Result<T> {
        self.map_err(|e| format!("{}: {}", what(), chain(&e)).into())
    }
}

/// An error with its causes: the `postgres` crate says only "db error" and
/// keeps the server's message in the source.
pub fn chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

pub const HOUR_US: i64 = 3_600_000_000;
pub const DAY_US: i64 = 24 * HOUR_US;

/// One booking request: `[start_us, end_us)` on `artist`, status confirmed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Slot {
    pub artist: String,
    pub start_us: i64,
    pub end_us: i64,
}

/// The id every system gives artist number `n` (Holdfast: a resource).
pub fn artist_id(n: usize) -> String {
    format!("artist-{n:04}")
}

/// What became of one create.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Created,
    /// The slot was taken: the exclusion constraint (GIST) or `CONFLICT`
    /// (Holdfast) said no, and nothing was written.
    Rejected,
    /// The database gave up on the attempt, nothing written: GIST's
    /// concurrent inserts of one slot wait for each other and PostgreSQL
    /// aborts one with `deadlock_detected` (after `deadlock_timeout`).
    Deadlocked,
}

/// What an acknowledged commit survives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CommitMode {
    /// Flushed before the acknowledgement: PostgreSQL `synchronous_commit =
    /// on`, Holdfast `Durability::Full`.
    Durable,
    /// Acknowledged once handed to the OS: PostgreSQL `synchronous_commit =
    /// off`, Holdfast `Durability::Normal`.
    Relaxed,
}

/// One of the compared systems; opens a fresh, empty store per workload.
pub trait Subject {
    /// Column title in the report.
    fn name(&self) -> &'static str;
    /// A fresh store named after `label` (a file, a schema), with room for
    /// `callers_max` concurrent callers. Dropping it deletes it.
    fn open(&self, label: &str, mode: CommitMode, callers_max: usize) -> Result<Box<dyn Store>>;
}

/// One fresh store of a subject. Setup and verification, single-threaded.
pub trait Store {
    /// Makes the artists exist (Holdfast needs a resource per artist; the
    /// GIST table has no artist table and does nothing).
    fn add_artists(&mut self, ids: &[String]) -> Result<()>;
    /// Writes every row, each system in its fastest all-or-nothing form:
    /// GIST one transaction; Holdfast `create_bookings` per 10,000 rows.
    fn bulk(&mut self, rows: &[Slot]) -> Result<()>;
    /// A handle for one client thread (GIST: its own connection).
    fn caller(&self) -> Result<Box<dyn Caller>>;
    /// Bookings held by `artist`, or by everyone.
    fn count(&mut self, artist: Option<&str>) -> Result<u64>;
    /// Gives PostgreSQL's planner statistics after a load, as autovacuum
    /// would within a minute (nothing to do on SQLite).
    fn analyze(&mut self) -> Result<()>;
}

/// One client thread's access to a store.
pub trait Caller: Send {
    /// One confirmed booking in its own transaction.
    fn create(&mut self, slot: &Slot) -> Result<Outcome>;
    /// The confirmed and pencilled bookings of `artist` overlapping
    /// `[start_us, end_us)`, ordered by start; returns how many.
    fn list(&mut self, artist: &str, start_us: i64, end_us: i64) -> Result<usize>;
}
