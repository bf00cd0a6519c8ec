//! The storage boundary. The engine sees a [`Store`] that opens tenant-bound
//! [`Transaction`]s; SQLite and PostgreSQL implement both. A store
//! makes no business decision: it reads and writes rows, keeps the event
//! `seq` gap-free, and turns its own failures into `STORE_UNAVAILABLE`.

#[cfg(feature = "postgres")]
pub mod postgres;
pub mod sqlite;

use std::time::Duration;

use crate::error::{Error, Result};
use crate::model::{
    ApiKey, Availability, Booking, Event, EventType, Interval, Project, Resource, Status, TenantInfo, Timestamp,
};
use crate::schedule::Blocker;

/// A booking row with the fingerprint of the request that created it, so a
/// repeated create can be told apart from a different one.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredBooking {
    pub booking: Booking,
    pub request_hash: String,
}

/// An event before the store assigns its `seq`.
#[derive(Debug, Clone, PartialEq)]
pub struct NewEvent {
    pub booking_id: Option<String>,
    pub kind: EventType,
    pub actor: String,
    pub at: Timestamp,
    /// The event's data as JSON text (an object), written as it is.
    pub data: String,
}

/// A resolved `list_bookings` request: every filter validated, keyset
/// position decoded.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct BookingQuery {
    pub resource_ids: Vec<String>,
    pub project_id: Option<String>,
    pub statuses: Vec<Status>,
    /// Only bookings overlapping this window.
    pub window: Option<Interval>,
    /// Only bookings ordered after `(start, id)`.
    pub after: Option<(Timestamp, String)>,
    pub limit: usize,
}

/// What an acknowledged write survives.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Durability {
    /// Every commit is flushed to stable storage before it is acknowledged:
    /// it survives a power loss. SQLite `synchronous = FULL`, PostgreSQL
    /// `synchronous_commit = on`.
    #[default]
    Full,
    /// Commits are acknowledged once written to the OS: they survive a
    /// crash of the process but the last ones may be lost with the machine.
    /// SQLite `synchronous = NORMAL` (WAL), PostgreSQL
    /// `synchronous_commit = off`. Never corrupts or half-applies a write.
    Normal,
}

impl Durability {
    pub fn as_str(self) -> &'static str {
        match self {
            Durability::Full => "full",
            Durability::Normal => "normal",
        }
    }
}

impl std::str::FromStr for Durability {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        match s {
            "full" => Ok(Durability::Full),
            "normal" => Ok(Durability::Normal),
            _ => Err(Error::invalid("durability", format!("expected \"full\" or \"normal\", got {s:?}"))),
        }
    }
}

/// How a store is opened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoreOptions {
    /// How long a call waits for a lock or a pooled connection before
    /// `STORE_UNAVAILABLE`.
    pub busy_timeout: Duration,
    /// Most connections held open.
    pub pool_size: u32,
    pub durability: Durability,
}

impl Default for StoreOptions {
    fn default() -> Self {
        StoreOptions { busy_timeout: Duration::from_secs(5), pool_size: 8, durability: Durability::Full }
    }
}

/// A backing store.
pub trait Store: Send + Sync {
    /// A write transaction for one tenant. Writers are serialized per tenant
    /// at least as strongly as the capacity decision needs.
    fn write(&self, tenant_id: &str) -> Result<Box<dyn Transaction + '_>>;
    /// A read-only snapshot of one tenant.
    fn read(&self, tenant_id: &str) -> Result<Box<dyn Transaction + '_>>;
    /// Tenants with at least one hold whose expiry is at or before `now`.
    fn tenants_with_expired_holds(&self, now: Timestamp, limit: usize) -> Result<Vec<String>>;
    /// An API key by id, whatever its tenant, with the hash of its secret:
    /// authentication comes before the tenant is known.
    fn api_key(&self, id: &str) -> Result<Option<(ApiKey, String)>>;
    /// One round trip to the store: `Ok` when it answers.
    fn ping(&self) -> Result<()>;
}

/// One transaction bound to one tenant: no method can reach another
/// tenant's rows. Dropping it without [`Transaction::commit`] rolls back.
pub trait Transaction {
    fn tenant(&mut self) -> Result<Option<TenantInfo>>;
    /// The decision instant of this write: the later of `clock_now` and
    /// every earlier decision of the tenant, recorded for the next writer
    /// (at the latest by a commit that changes anything). `clock_now`
    /// itself for a tenant that does not exist yet.
    fn decision_instant(&mut self, clock_now: Timestamp) -> Result<Timestamp>;
    fn insert_tenant(&mut self, tenant: &TenantInfo) -> Result<()>;

    fn resource(&mut self, id: &str) -> Result<Option<Resource>>;
    /// The resource, locked against concurrent capacity decisions until the
    /// transaction ends (a row lock where the store has them).
    fn lock_resource(&mut self, id: &str) -> Result<Option<Resource>>;
    fn insert_resource(&mut self, resource: &Resource) -> Result<()>;
    fn update_resource(&mut self, resource: &Resource, previous_version: i64) -> Result<()>;
    /// Resources ordered by id, after `after`.
    fn list_resources(&mut self, after: Option<&str>, limit: usize) -> Result<Vec<Resource>>;
    /// Resources carrying `tag`, ordered by id, at most `limit`.
    fn resources_tagged(&mut self, tag: &str, limit: usize) -> Result<Vec<Resource>>;

    /// A resource's availability rules; `None` when never set.
    fn availability(&mut self, resource_id: &str) -> Result<Option<Availability>>;
    /// Inserts or replaces a resource's availability rules.
    fn put_availability(&mut self, availability: &Availability) -> Result<()>;

    fn project(&mut self, id: &str) -> Result<Option<Project>>;
    fn insert_project(&mut self, project: &Project) -> Result<()>;
    /// Projects ordered by id, after `after`.
    fn list_projects(&mut self, after: Option<&str>, limit: usize) -> Result<Vec<Project>>;

    fn booking(&mut self, id: &str) -> Result<Option<StoredBooking>>;
    /// The booking, locked against concurrent changes until the transaction
    /// ends (a row lock where the store has them).
    fn lock_booking(&mut self, id: &str) -> Result<Option<StoredBooking>>;
    fn booking_by_idempotency_key(&mut self, key: &str) -> Result<Option<StoredBooking>>;
    /// Bookings of `resource_id` in a capacity-consuming status (holds
    /// included, expired or not: the caller judges expiry) whose own
    /// interval overlaps `window`.
    fn blocking_bookings(&mut self, resource_id: &str, window: Interval) -> Result<Vec<Booking>>;
    /// What reads need of the same bookings (no text, no metadata), in no
    /// particular order: the read cache's input.
    fn blockers(&mut self, resource_id: &str, window: Interval) -> Result<Vec<Blocker>>;
    fn insert_booking(&mut self, booking: &Booking, request_hash: &str) -> Result<()>;
    /// `insert_booking`, then `append_event` of its `created` event;
    /// returns the event's `seq`. A store may do both in one round trip.
    fn insert_booking_with_event(&mut self, booking: &Booking, request_hash: &str, event: &NewEvent) -> Result<i64> {
        self.insert_booking(booking, request_hash)?;
        self.append_event(event)
    }
    /// Writes `booking` over the row at `previous_version`.
    fn update_booking(&mut self, booking: &Booking, previous_version: i64) -> Result<()>;
    /// Bookings matching `query`, ordered by `(start, id)`.
    fn list_bookings(&mut self, query: &BookingQuery) -> Result<Vec<Booking>>;
    /// Holds whose expiry is at or before `now`, oldest expiry first.
    fn expired_holds(&mut self, now: Timestamp, limit: usize) -> Result<Vec<Booking>>;

    /// Appends an event with the tenant's next `seq`; returns that `seq`.
    fn append_event(&mut self, event: &NewEvent) -> Result<i64>;
    /// Events with `seq > since`, ascending.
    fn events(&mut self, since: i64, limit: usize) -> Result<Vec<Event>>;
    /// A booking's events, ascending.
    fn history(&mut self, booking_id: &str) -> Result<Vec<Event>>;
    /// The tenant's last event `seq` (0 before the first): its freshness token.
    fn last_seq(&mut self) -> Result<i64>;
    /// Ids of the resources the events `since < seq <= until` touched (a
    /// booking's resource, before and after a move; a resource; its rules),
    /// unsorted, possibly repeated.
    fn touched_resources(&mut self, since: i64, until: i64) -> Result<Vec<String>>;

    fn insert_api_key(&mut self, key: &ApiKey, secret_hash: &str) -> Result<()>;
    fn tenant_api_key(&mut self, id: &str) -> Result<Option<ApiKey>>;
    fn revoke_api_key(&mut self, id: &str, at: Timestamp) -> Result<()>;
    /// The tenant's keys ordered by id, after `after`.
    fn list_api_keys(&mut self, after: Option<&str>, limit: usize) -> Result<Vec<ApiKey>>;

    /// Rows changed so far by this transaction, when the store can tell
    /// cheaply; `None` asks the engine to open a savepoint before every
    /// write of a batch (PostgreSQL: a failed statement aborts the whole
    /// transaction until one is rolled back to).
    fn changes(&self) -> Option<u64>;
    /// Opens a savepoint: what follows can be undone alone. Savepoints are
    /// used one at a time (never nested).
    fn savepoint(&mut self) -> Result<()>;
    /// Keeps what was done since the savepoint and closes it.
    fn release_savepoint(&mut self) -> Result<()>;
    /// Undoes what was done since the savepoint (also after a failed
    /// statement) and closes it.
    fn rollback_to_savepoint(&mut self) -> Result<()>;

    fn commit(self: Box<Self>) -> Result<()>;
}

/// Opens the store a URL names: `sqlite://path.db`, `sqlite:///abs/path.db`,
/// `sqlite::memory:`, or (feature `postgres`) `postgres://user@host/db`.
pub fn open(url: &str, options: &StoreOptions) -> Result<Box<dyn Store>> {
    if let Some(rest) = url.strip_prefix("sqlite:") {
        let location = if rest == ":memory:" {
            sqlite::Location::Memory
        } else {
            let path = rest.strip_prefix("//").unwrap_or(rest);
            if path.is_empty() {
                return Err(Error::invalid("url", "sqlite URL has no path"));
            }
            sqlite::Location::File(path.into())
        };
        return Ok(Box::new(sqlite::SqliteStore::open(location, options)?));
    }
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        #[cfg(feature = "postgres")]
        return Ok(Box::new(postgres::PostgresStore::open(url, options)?));
        #[cfg(not(feature = "postgres"))]
        return Err(Error::invalid("url", "this build has no PostgreSQL store (cargo feature `postgres`)"));
    }
    // The URL is not echoed: it may carry a password.
    Err(Error::invalid("url", "unsupported store URL (expected sqlite://path.db or sqlite::memory:)"))
}
