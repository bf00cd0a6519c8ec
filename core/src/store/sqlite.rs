//! SQLite store: rusqlite (bundled) behind an r2d2 pool, WAL journal, every
//! write in `BEGIN IMMEDIATE` so that several processes on one file are
//! serialized by SQLite's own write lock, and a busy timeout that turns a
//! lock held too long into `STORE_UNAVAILABLE`.

use std::collections::HashMap;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use parking_lot::{Mutex, MutexGuard};
use r2d2::{Pool, PooledConnection};
use r2d2_sqlite::SqliteConnectionManager;
use rusqlite::types::Value as SqlValue;
use rusqlite::{Connection, ErrorCode, OptionalExtension, Row, params, params_from_iter};

use super::{BookingQuery, Durability, NewEvent, Store, StoreOptions, StoredBooking, Transaction};
use crate::error::{Error, Result};
use crate::model::{
    ApiKey, Availability, AvailabilityRules, Booking, Event, EventType, Interval, Metadata, Project, Resource, Role,
    Status, TenantInfo, Timestamp,
};
use crate::schedule::Blocker;

/// Embedded migrations, applied in order; `PRAGMA user_version` records the
/// last one applied.
const MIGRATIONS: &[&str] = &[
    include_str!("migrations/sqlite/0001_init.sql"),
    include_str!("migrations/sqlite/0002_availability.sql"),
    include_str!("migrations/sqlite/0003_api_keys.sql"),
    include_str!("migrations/sqlite/0004_status_comparisons.sql"),
    include_str!("migrations/sqlite/0005_one_resource_index.sql"),
];

/// Where the database lives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location {
    File(PathBuf),
    /// A private in-memory database (one connection: it vanishes with it).
    Memory,
}

/// The SQLite implementation of [`Store`].
pub struct SqliteStore {
    pool: Pool<SqliteConnectionManager>,
    /// One write transaction at a time per process (see `write`).
    write_turn: Mutex<()>,
    busy_timeout: Duration,
}

impl std::fmt::Debug for SqliteStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqliteStore").field("pool", &self.pool.state()).finish()
    }
}

impl SqliteStore {
    /// Opens (creating if needed) the database and applies pending migrations.
    pub fn open(location: Location, options: &StoreOptions) -> Result<Self> {
        let busy_timeout = options.busy_timeout;
        let durability = options.durability;
        let (manager, pool_size) = match &location {
            Location::File(path) => (SqliteConnectionManager::file(path), options.pool_size.max(1)),
            // Each in-memory connection is its own database: keep exactly one.
            Location::Memory => (SqliteConnectionManager::memory(), 1),
        };
        if let Location::File(path) = &location {
            // Open one connection directly first: r2d2 reports a failing
            // connection only as a time-out, hiding SQLite's reason.
            let mut probe = Connection::open(path)
                .map_err(|e| Error::unavailable(format!("cannot open SQLite database {}: {e}", path.display())))?;
            configure(&mut probe, busy_timeout, durability).map_err(map_err)?;
        }
        let manager = manager.with_init(move |conn| configure(conn, busy_timeout, durability));
        let pool = Pool::builder()
            .max_size(pool_size)
            .min_idle(Some(if location == Location::Memory { 1 } else { 0 }))
            .idle_timeout(if location == Location::Memory { None } else { Some(Duration::from_secs(300)) })
            .max_lifetime(if location == Location::Memory { None } else { Some(Duration::from_secs(3600)) })
            .connection_timeout(busy_timeout)
            .build(manager)
            .map_err(|e| Error::unavailable(format!("cannot open SQLite database: {e}")))?;
        let store = SqliteStore { pool, write_turn: Mutex::new(()), busy_timeout };
        store.migrate()?;
        Ok(store)
    }

    fn connection(&self) -> Result<PooledConnection<SqliteConnectionManager>> {
        self.pool.get().map_err(|e| Error::unavailable(format!("no SQLite connection: {e}")))
    }

    /// Applies pending migrations under the write lock, so processes opening
    /// one file at once apply each migration exactly once.
    fn migrate(&self) -> Result<()> {
        let mut conn = self.connection()?;
        let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate).map_err(map_err)?;
        let applied: i64 = tx.query_row("PRAGMA user_version", [], |r| r.get(0)).map_err(map_err)?;
        let applied = usize::try_from(applied).unwrap_or(usize::MAX);
        if applied > MIGRATIONS.len() {
            return Err(Error::unavailable(format!(
                "database schema version {applied} is newer than this engine ({})",
                MIGRATIONS.len()
            )));
        }
        for (index, sql) in MIGRATIONS.iter().enumerate().skip(applied) {
            tx.execute_batch(sql).map_err(map_err)?;
            tx.pragma_update(None, "user_version", i64::try_from(index + 1).unwrap_or(i64::MAX)).map_err(map_err)?;
        }
        tx.commit().map_err(map_err)
    }
}

fn configure(conn: &mut Connection, busy_timeout: Duration, durability: Durability) -> rusqlite::Result<()> {
    conn.busy_timeout(busy_timeout)?;
    // WAL: readers never block the writer and a crash mid-commit leaves the
    // last committed state. FULL: a commit acknowledged is on disk; NORMAL:
    // in the OS (the WAL is synced at checkpoints only).
    // Switching a new file to WAL needs an exclusive lock, and SQLite
    // answers BUSY at once (no busy handler: it would deadlock) while other
    // processes open the same file; retry within the busy timeout.
    let deadline = Instant::now() + busy_timeout;
    loop {
        match conn.query_row("PRAGMA journal_mode = WAL", [], |r| r.get::<_, String>(0)) {
            Ok(_) => break,
            Err(rusqlite::Error::SqliteFailure(f, _))
                if matches!(f.code, ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked)
                    && Instant::now() < deadline =>
            {
                std::thread::sleep(Duration::from_millis(5));
            }
            Err(e) => return Err(e),
        }
    }
    let synchronous = match durability {
        Durability::Full => "FULL",
        Durability::Normal => "NORMAL",
    };
    // temp_store: the savepoint journal of group commit stays in memory.
    conn.execute_batch(&format!(
        "PRAGMA synchronous = {synchronous}; PRAGMA foreign_keys = ON; PRAGMA temp_store = MEMORY;"
    ))?;
    conn.set_prepared_statement_cache_capacity(64);
    Ok(())
}

/// Store errors, sorted into "try again later" and "bug".
fn map_err(error: rusqlite::Error) -> Error {
    if let rusqlite::Error::SqliteFailure(failure, _) = &error {
        match failure.code {
            ErrorCode::DatabaseBusy
            | ErrorCode::DatabaseLocked
            | ErrorCode::DiskFull
            | ErrorCode::ReadOnly
            | ErrorCode::CannotOpen
            | ErrorCode::SystemIoFailure
            | ErrorCode::FileLockingProtocolFailed
            | ErrorCode::OutOfMemory
            | ErrorCode::PermissionDenied
            | ErrorCode::NotADatabase
            | ErrorCode::DatabaseCorrupt => return Error::unavailable(error.to_string()),
            _ => {}
        }
    }
    Error::internal(format!("SQLite: {error}"))
}

impl Store for SqliteStore {
    fn write(&self, tenant_id: &str) -> Result<Box<dyn Transaction + '_>> {
        // Writers of this process take turns here, in arrival order, before
        // asking SQLite: the file's lock then only arbitrates between
        // processes, and threads do not spin in SQLite's sleeping busy
        // handler (which is what made tail latency seconds under load).
        let turn = self
            .write_turn
            .try_lock_for(self.busy_timeout)
            .ok_or_else(|| Error::unavailable("this process's writers held the write lock past the busy timeout"))?;
        SqliteTransaction::begin(self.connection()?, tenant_id, "BEGIN IMMEDIATE", Some(turn))
    }

    fn read(&self, tenant_id: &str) -> Result<Box<dyn Transaction + '_>> {
        SqliteTransaction::begin(self.connection()?, tenant_id, "BEGIN DEFERRED", None)
    }

    fn tenants_with_expired_holds(&self, now: Timestamp, limit: usize) -> Result<Vec<String>> {
        let conn = self.connection()?;
        let mut stmt = conn
            .prepare_cached(&format!(
                "SELECT DISTINCT tenant_id FROM bookings
                 WHERE status = 'hold' AND hold_expires_at_us <= ?1 LIMIT {}",
                limit_param(limit)
            ))
            .map_err(map_err)?;
        let rows = stmt.query_map(params![now.as_micros()], |r| r.get::<_, String>(0)).map_err(map_err)?;
        rows.collect::<rusqlite::Result<Vec<_>>>().map_err(map_err)
    }

    fn api_key(&self, id: &str) -> Result<Option<(ApiKey, String)>> {
        let conn = self.connection()?;
        let mut stmt = conn
            .prepare_cached(&format!("SELECT {API_KEY_COLUMNS}, secret_hash FROM api_keys WHERE id = ?1"))
            .map_err(map_err)?;
        stmt.query_row(params![id], |r| Ok((api_key_row(r)?, r.get(7)?))).optional().map_err(map_err)
    }

    fn ping(&self) -> Result<()> {
        let conn = self.connection()?;
        conn.query_row("SELECT 1", [], |_| Ok(())).map_err(map_err)
    }
}

struct SqliteTransaction<'a> {
    conn: PooledConnection<SqliteConnectionManager>,
    tenant_id: String,
    /// Still to be committed or rolled back.
    open: bool,
    /// The tenant's last event `seq` once read: bumped here per event and
    /// stored once at commit (one UPDATE per batch, not one per event).
    seq: Option<i64>,
    /// `seq` as `tenants.last_seq` holds it in this transaction.
    stored_seq: Option<i64>,
    /// `seq` when the open savepoint was taken.
    savepoint_seq: Option<i64>,
    /// The decision instant handed out, recorded at commit.
    decision: Option<i64>,
    /// The connection's change counter when the transaction began.
    changes_at_begin: u64,
    /// `max_booking_length_us` of resources read in this transaction, so a
    /// batch reads it once per resource and skips UPDATEs that change
    /// nothing. Forgotten on a rollback to a savepoint.
    longest: HashMap<String, i64>,
    /// Writes: this process's write turn, released after COMMIT or ROLLBACK
    /// (fields drop after `Drop::drop`).
    _turn: Option<MutexGuard<'a, ()>>,
}

impl<'a> SqliteTransaction<'a> {
    fn begin(
        conn: PooledConnection<SqliteConnectionManager>,
        tenant_id: &str,
        begin: &str,
        turn: Option<MutexGuard<'a, ()>>,
    ) -> Result<Box<dyn Transaction + 'a>> {
        conn.prepare_cached(begin).and_then(|mut stmt| stmt.execute([])).map_err(map_err)?;
        let changes_at_begin = conn.total_changes();
        Ok(Box::new(SqliteTransaction {
            conn,
            tenant_id: tenant_id.to_owned(),
            open: true,
            seq: None,
            stored_seq: None,
            savepoint_seq: None,
            decision: None,
            changes_at_begin,
            longest: HashMap::new(),
            _turn: turn,
        }))
    }

    fn query_all<T>(
        &self,
        sql: &str,
        params: impl rusqlite::Params,
        map: impl FnMut(&Row<'_>) -> rusqlite::Result<T>,
    ) -> Result<Vec<T>> {
        let mut stmt = self.conn.prepare_cached(sql).map_err(map_err)?;
        let rows = stmt.query_map(params, map).map_err(map_err)?;
        rows.collect::<rusqlite::Result<Vec<_>>>().map_err(map_err)
    }

    fn query_one<T>(
        &self,
        sql: &str,
        params: impl rusqlite::Params,
        map: impl FnOnce(&Row<'_>) -> rusqlite::Result<T>,
    ) -> Result<Option<T>> {
        let mut stmt = self.conn.prepare_cached(sql).map_err(map_err)?;
        stmt.query_row(params, map).optional().map_err(map_err)
    }

    fn execute(&self, sql: &str, params: impl rusqlite::Params) -> Result<usize> {
        let mut stmt = self.conn.prepare_cached(sql).map_err(map_err)?;
        stmt.execute(params).map_err(map_err)
    }

    /// The longest booking ever placed on any of `resource_ids` (every
    /// resource of the tenant when empty); `None` when none of them exists.
    fn longest_booking_us(&mut self, resource_ids: &[String]) -> Result<Option<i64>> {
        if let [resource_id] = resource_ids {
            if let Some(&longest) = self.longest.get(resource_id) {
                return Ok(Some(longest));
            }
            let longest = self.query_one(
                "SELECT max_booking_length_us FROM resources WHERE tenant_id = ?1 AND id = ?2",
                params![self.tenant_id, resource_id],
                |r| r.get::<_, i64>(0),
            )?;
            if let Some(longest) = longest {
                self.longest.insert(resource_id.clone(), longest);
            }
            return Ok(longest);
        }
        if resource_ids.is_empty() {
            return self
                .query_one(
                    "SELECT MAX(max_booking_length_us) FROM resources WHERE tenant_id = ?1",
                    params![self.tenant_id],
                    |r| r.get::<_, Option<i64>>(0),
                )
                .map(Option::flatten);
        }
        let placeholders = vec!["?"; resource_ids.len()].join(", ");
        let mut args: Vec<SqlValue> = vec![SqlValue::Text(self.tenant_id.clone())];
        args.extend(resource_ids.iter().map(|id| SqlValue::Text(id.clone())));
        self.query_one(
            &format!("SELECT MAX(max_booking_length_us) FROM resources WHERE tenant_id = ? AND id IN ({placeholders})"),
            params_from_iter(args),
            |r| r.get::<_, Option<i64>>(0),
        )
        .map(Option::flatten)
    }

    fn record_booking_length(&mut self, booking: &Booking) -> Result<()> {
        let length = booking.interval().len_us();
        if self.longest.get(&booking.resource_id).is_some_and(|&longest| longest >= length) {
            return Ok(());
        }
        self.execute(
            "UPDATE resources SET max_booking_length_us = ?3
             WHERE tenant_id = ?1 AND id = ?2 AND max_booking_length_us < ?3",
            params![self.tenant_id, booking.resource_id, length],
        )?;
        // At least `length` now; exact only if it was read before.
        if let Some(longest) = self.longest.get_mut(&booking.resource_id) {
            *longest = length;
        }
        Ok(())
    }

    /// The tenant's last event `seq` in this transaction.
    fn current_seq(&mut self) -> Result<i64> {
        if let Some(seq) = self.seq {
            return Ok(seq);
        }
        let stored: i64 = self
            .query_one("SELECT last_seq FROM tenants WHERE id = ?1", params![self.tenant_id], |r| r.get(0))?
            .ok_or_else(|| Error::internal("event for a tenant without a row"))?;
        self.seq = Some(stored);
        self.stored_seq = Some(stored);
        Ok(stored)
    }
}

impl Drop for SqliteTransaction<'_> {
    fn drop(&mut self) {
        if self.open {
            // Nothing to report to: the connection is discarded by r2d2's
            // validity check on its next checkout if this fails.
            let _ = self.conn.execute_batch("ROLLBACK");
        }
    }
}

const RESOURCE_COLUMNS: &str = "id, name, kind, capacity, timezone, tags, buffer_before_us, buffer_after_us,
    active, metadata, version, created_at_us, updated_at_us";
const PROJECT_COLUMNS: &str = "id, name, metadata, version, created_at_us, updated_at_us";
const BOOKING_COLUMNS: &str = "id, resource_id, project_id, start_us, end_us, status, quantity,
    hold_expires_at_us, title, notes, metadata, version, created_at_us, updated_at_us, idempotency_key,
    request_hash";
const API_KEY_COLUMNS: &str = "id, tenant_id, role, resource_id, name, created_at_us, revoked_at_us";
const EVENT_COLUMNS: &str = "tenant_id, seq, booking_id, type, actor, at_us, data";

fn decode_error(column: usize, message: impl Into<String>) -> rusqlite::Error {
    rusqlite::Error::FromSqlConversionFailure(column, rusqlite::types::Type::Text, message.into().into())
}

fn json_column<T: serde::de::DeserializeOwned>(row: &Row<'_>, column: usize) -> rusqlite::Result<T> {
    let text: String = row.get(column)?;
    serde_json::from_str(&text).map_err(|e| decode_error(column, e.to_string()))
}

fn to_json(value: &impl serde::Serialize) -> Result<String> {
    serde_json::to_string(value).map_err(|e| Error::internal(format!("JSON encoding: {e}")))
}

fn ts(row: &Row<'_>, column: usize) -> rusqlite::Result<Timestamp> {
    Ok(Timestamp::from_micros(row.get(column)?))
}

fn resource_row(row: &Row<'_>) -> rusqlite::Result<Resource> {
    Ok(Resource {
        id: row.get(0)?,
        name: row.get(1)?,
        kind: row.get(2)?,
        capacity: row.get(3)?,
        timezone: row.get(4)?,
        tags: json_column(row, 5)?,
        buffer_before: chrono::TimeDelta::microseconds(row.get(6)?),
        buffer_after: chrono::TimeDelta::microseconds(row.get(7)?),
        active: row.get(8)?,
        metadata: json_column::<Metadata>(row, 9)?,
        version: row.get(10)?,
        created_at: ts(row, 11)?,
        updated_at: ts(row, 12)?,
    })
}

fn project_row(row: &Row<'_>) -> rusqlite::Result<Project> {
    Ok(Project {
        id: row.get(0)?,
        name: row.get(1)?,
        metadata: json_column(row, 2)?,
        version: row.get(3)?,
        created_at: ts(row, 4)?,
        updated_at: ts(row, 5)?,
    })
}

fn booking_row(row: &Row<'_>) -> rusqlite::Result<StoredBooking> {
    let status: String = row.get(5)?;
    let status = Status::parse(&status).map_err(|e| decode_error(5, e.to_string()))?;
    Ok(StoredBooking {
        booking: Booking {
            id: row.get(0)?,
            resource_id: row.get(1)?,
            project_id: row.get(2)?,
            start: ts(row, 3)?,
            end: ts(row, 4)?,
            status,
            quantity: row.get(6)?,
            hold_expires_at: row.get::<_, Option<i64>>(7)?.map(Timestamp::from_micros),
            title: row.get(8)?,
            notes: row.get(9)?,
            metadata: json_column(row, 10)?,
            version: row.get(11)?,
            created_at: ts(row, 12)?,
            updated_at: ts(row, 13)?,
            idempotency_key: row.get(14)?,
        },
        request_hash: row.get(15)?,
    })
}

fn api_key_row(row: &Row<'_>) -> rusqlite::Result<ApiKey> {
    let role: String = row.get(2)?;
    Ok(ApiKey {
        id: row.get(0)?,
        tenant_id: row.get(1)?,
        role: Role::parse(&role).map_err(|e| decode_error(2, e.to_string()))?,
        resource_id: row.get(3)?,
        name: row.get(4)?,
        created_at: ts(row, 5)?,
        revoked_at: row.get::<_, Option<i64>>(6)?.map(Timestamp::from_micros),
    })
}

fn event_row(row: &Row<'_>) -> rusqlite::Result<Event> {
    let kind: String = row.get(3)?;
    Ok(Event {
        tenant_id: row.get(0)?,
        seq: row.get(1)?,
        booking_id: row.get(2)?,
        kind: EventType::parse(&kind).ok_or_else(|| decode_error(3, format!("unknown event type {kind:?}")))?,
        actor: row.get(4)?,
        at: ts(row, 5)?,
        data: json_column(row, 6)?,
    })
}

/// A LIMIT, written into the SQL text rather than bound: SQLite re-prepares
/// a statement on every run when its LIMIT is a parameter (the value may
/// change the plan), which cost a list query a third of its time. Limits are
/// validated page sizes, so few distinct statements get cached.
fn limit_param(limit: usize) -> i64 {
    i64::try_from(limit).unwrap_or(i64::MAX)
}

impl Transaction for SqliteTransaction<'_> {
    fn tenant(&mut self) -> Result<Option<TenantInfo>> {
        self.query_one("SELECT id, name, created_at_us FROM tenants WHERE id = ?1", params![self.tenant_id], |r| {
            Ok(TenantInfo { id: r.get(0)?, name: r.get(1)?, created_at: ts(r, 2)? })
        })
    }

    fn decision_instant(&mut self, clock_now: Timestamp) -> Result<Timestamp> {
        // Read now, recorded at commit together with `last_seq` (one UPDATE,
        // and none at all for a transaction that changed nothing: nobody can
        // read the row in between, the write lock is held).
        let row: Option<(Option<i64>, i64)> = self.query_one(
            "SELECT last_decision_us, last_seq FROM tenants WHERE id = ?1",
            params![self.tenant_id],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?;
        let now = match row {
            Some((recorded, seq)) => {
                self.seq = Some(seq);
                self.stored_seq = Some(seq);
                recorded.map_or(clock_now, |at| Timestamp::from_micros(at).max(clock_now))
            }
            None => clock_now,
        };
        self.decision = Some(now.as_micros());
        Ok(now)
    }

    fn insert_tenant(&mut self, tenant: &TenantInfo) -> Result<()> {
        if tenant.id != self.tenant_id {
            return Err(Error::internal("tenant row outside the transaction's tenant"));
        }
        self.execute(
            "INSERT INTO tenants (id, name, created_at_us) VALUES (?1, ?2, ?3)",
            params![tenant.id, tenant.name, tenant.created_at.as_micros()],
        )?;
        Ok(())
    }

    fn resource(&mut self, id: &str) -> Result<Option<Resource>> {
        self.query_one(
            &format!("SELECT {RESOURCE_COLUMNS} FROM resources WHERE tenant_id = ?1 AND id = ?2"),
            params![self.tenant_id, id],
            resource_row,
        )
    }

    fn lock_resource(&mut self, id: &str) -> Result<Option<Resource>> {
        // BEGIN IMMEDIATE already holds the database's single write lock.
        self.resource(id)
    }

    fn insert_resource(&mut self, r: &Resource) -> Result<()> {
        let (before_us, after_us) = r.buffers_us();
        self.execute(
            &format!(
                "INSERT INTO resources (tenant_id, {RESOURCE_COLUMNS})
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)"
            ),
            params![
                self.tenant_id,
                r.id,
                r.name,
                r.kind,
                r.capacity,
                r.timezone,
                to_json(&r.tags)?,
                before_us,
                after_us,
                r.active,
                to_json(&r.metadata)?,
                r.version,
                r.created_at.as_micros(),
                r.updated_at.as_micros(),
            ],
        )?;
        Ok(())
    }

    fn update_resource(&mut self, r: &Resource, previous_version: i64) -> Result<()> {
        let (before_us, after_us) = r.buffers_us();
        let changed = self.execute(
            "UPDATE resources SET name = ?3, kind = ?4, capacity = ?5, timezone = ?6, tags = ?7,
                 buffer_before_us = ?8, buffer_after_us = ?9, active = ?10, metadata = ?11,
                 version = ?12, updated_at_us = ?13
             WHERE tenant_id = ?1 AND id = ?2 AND version = ?14",
            params![
                self.tenant_id,
                r.id,
                r.name,
                r.kind,
                r.capacity,
                r.timezone,
                to_json(&r.tags)?,
                before_us,
                after_us,
                r.active,
                to_json(&r.metadata)?,
                r.version,
                r.updated_at.as_micros(),
                previous_version,
            ],
        )?;
        expect_one_row(changed, "resource", &r.id)
    }

    fn list_resources(&mut self, after: Option<&str>, limit: usize) -> Result<Vec<Resource>> {
        self.query_all(
            &format!(
                "SELECT {RESOURCE_COLUMNS} FROM resources
                 WHERE tenant_id = ?1 AND id > ?2 ORDER BY id LIMIT {}",
                limit_param(limit)
            ),
            params![self.tenant_id, after.unwrap_or("")],
            resource_row,
        )
    }

    fn resources_tagged(&mut self, tag: &str, limit: usize) -> Result<Vec<Resource>> {
        self.query_all(
            &format!(
                "SELECT {RESOURCE_COLUMNS} FROM resources
                 WHERE tenant_id = ?1 AND EXISTS (SELECT 1 FROM json_each(resources.tags) WHERE value = ?2)
                 ORDER BY id LIMIT {}",
                limit_param(limit)
            ),
            params![self.tenant_id, tag],
            resource_row,
        )
    }

    fn availability(&mut self, resource_id: &str) -> Result<Option<Availability>> {
        self.query_one(
            "SELECT rules, version, updated_at_us FROM availability WHERE tenant_id = ?1 AND resource_id = ?2",
            params![self.tenant_id, resource_id],
            |r| {
                let rules: AvailabilityRules = json_column(r, 0)?;
                Ok(Availability::from_rules(resource_id, rules, r.get(1)?, Some(ts(r, 2)?)))
            },
        )
    }

    fn put_availability(&mut self, a: &Availability) -> Result<()> {
        let updated_at = a.updated_at.ok_or_else(|| Error::internal("availability saved without updated_at"))?;
        self.execute(
            "INSERT INTO availability (tenant_id, resource_id, rules, version, updated_at_us)
             VALUES (?1, ?2, ?3, ?4, ?5)
             ON CONFLICT (tenant_id, resource_id)
             DO UPDATE SET rules = excluded.rules, version = excluded.version, updated_at_us = excluded.updated_at_us",
            params![self.tenant_id, a.resource_id, to_json(&a.rules())?, a.version, updated_at.as_micros()],
        )?;
        Ok(())
    }

    fn project(&mut self, id: &str) -> Result<Option<Project>> {
        self.query_one(
            &format!("SELECT {PROJECT_COLUMNS} FROM projects WHERE tenant_id = ?1 AND id = ?2"),
            params![self.tenant_id, id],
            project_row,
        )
    }

    fn insert_project(&mut self, p: &Project) -> Result<()> {
        self.execute(
            &format!("INSERT INTO projects (tenant_id, {PROJECT_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)"),
            params![
                self.tenant_id,
                p.id,
                p.name,
                to_json(&p.metadata)?,
                p.version,
                p.created_at.as_micros(),
                p.updated_at.as_micros(),
            ],
        )?;
        Ok(())
    }

    fn list_projects(&mut self, after: Option<&str>, limit: usize) -> Result<Vec<Project>> {
        self.query_all(
            &format!(
                "SELECT {PROJECT_COLUMNS} FROM projects
                 WHERE tenant_id = ?1 AND id > ?2 ORDER BY id LIMIT {}",
                limit_param(limit)
            ),
            params![self.tenant_id, after.unwrap_or("")],
            project_row,
        )
    }

    fn booking(&mut self, id: &str) -> Result<Option<StoredBooking>> {
        self.query_one(
            &format!("SELECT {BOOKING_COLUMNS} FROM bookings WHERE tenant_id = ?1 AND id = ?2"),
            params![self.tenant_id, id],
            booking_row,
        )
    }

    fn lock_booking(&mut self, id: &str) -> Result<Option<StoredBooking>> {
        // BEGIN IMMEDIATE already holds the database's single write lock.
        self.booking(id)
    }

    fn booking_by_idempotency_key(&mut self, key: &str) -> Result<Option<StoredBooking>> {
        self.query_one(
            &format!("SELECT {BOOKING_COLUMNS} FROM bookings WHERE tenant_id = ?1 AND idempotency_key = ?2"),
            params![self.tenant_id, key],
            booking_row,
        )
    }

    fn blocking_bookings(&mut self, resource_id: &str, window: Interval) -> Result<Vec<Booking>> {
        // Bounded-length trick: a booking overlapping [ws, we) started after
        // ws - (longest booking on this resource), so the scan of the
        // partial start index is a narrow range, not the whole history.
        let Some(longest_us) = self.longest_booking_us(std::slice::from_ref(&resource_id.to_owned()))? else {
            return Ok(Vec::new());
        };
        // INDEXED BY: without statistics SQLite may prefer the tenant-wide
        // start index, which scans every resource's bookings in the range.
        let rows = self.query_all(
            &format!(
                "SELECT {BOOKING_COLUMNS} FROM bookings INDEXED BY bookings_by_resource
                 WHERE tenant_id = ?1 AND resource_id = ?2
                   AND (status = 'hold' OR status = 'pencil' OR status = 'confirmed')
                   AND start_us > ?3 AND start_us < ?4 AND end_us > ?5"
            ),
            params![
                self.tenant_id,
                resource_id,
                window.start.as_micros().saturating_sub(longest_us),
                window.end.as_micros(),
                window.start.as_micros(),
            ],
            booking_row,
        )?;
        // Ordered here: ORDER BY would make SQLite sort through a temporary
        // b-tree (the index gives start order only), on every decision.
        let mut bookings: Vec<Booking> = rows.into_iter().map(|s| s.booking).collect();
        bookings.sort_unstable_by(|a, b| (a.start, &a.id).cmp(&(b.start, &b.id)));
        Ok(bookings)
    }

    fn blockers(&mut self, resource_id: &str, window: Interval) -> Result<Vec<Blocker>> {
        let Some(longest_us) = self.longest_booking_us(std::slice::from_ref(&resource_id.to_owned()))? else {
            return Ok(Vec::new());
        };
        // As `blocking_bookings`, reading only what a read needs and
        // leaving the order to the caller (no sort).
        self.query_all(
            "SELECT id, status, start_us, end_us, quantity, hold_expires_at_us FROM bookings INDEXED BY bookings_by_resource
             WHERE tenant_id = ?1 AND resource_id = ?2
               AND (status = 'hold' OR status = 'pencil' OR status = 'confirmed')
               AND start_us > ?3 AND start_us < ?4 AND end_us > ?5",
            params![
                self.tenant_id,
                resource_id,
                window.start.as_micros().saturating_sub(longest_us),
                window.end.as_micros(),
                window.start.as_micros(),
            ],
            |r| {
                let status: String = r.get(1)?;
                Ok(Blocker {
                    id: r.get(0)?,
                    status: Status::parse(&status).map_err(|e| decode_error(1, e.to_string()))?,
                    interval: Interval { start: ts(r, 2)?, end: ts(r, 3)? },
                    quantity: r.get(4)?,
                    hold_expires_at: r.get::<_, Option<i64>>(5)?.map(Timestamp::from_micros),
                })
            },
        )
    }

    fn insert_booking(&mut self, b: &Booking, request_hash: &str) -> Result<()> {
        self.execute(
            &format!(
                "INSERT INTO bookings (tenant_id, {BOOKING_COLUMNS})
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17)"
            ),
            params![
                self.tenant_id,
                b.id,
                b.resource_id,
                b.project_id,
                b.start.as_micros(),
                b.end.as_micros(),
                b.status.as_str(),
                b.quantity,
                b.hold_expires_at.map(Timestamp::as_micros),
                b.title,
                b.notes,
                to_json(&b.metadata)?,
                b.version,
                b.created_at.as_micros(),
                b.updated_at.as_micros(),
                b.idempotency_key,
                request_hash,
            ],
        )?;
        self.record_booking_length(b)
    }

    fn update_booking(&mut self, b: &Booking, previous_version: i64) -> Result<()> {
        let changed = self.execute(
            "UPDATE bookings SET resource_id = ?3, project_id = ?4, start_us = ?5, end_us = ?6,
                 status = ?7, quantity = ?8, hold_expires_at_us = ?9, title = ?10, notes = ?11,
                 metadata = ?12, version = ?13, updated_at_us = ?14
             WHERE tenant_id = ?1 AND id = ?2 AND version = ?15",
            params![
                self.tenant_id,
                b.id,
                b.resource_id,
                b.project_id,
                b.start.as_micros(),
                b.end.as_micros(),
                b.status.as_str(),
                b.quantity,
                b.hold_expires_at.map(Timestamp::as_micros),
                b.title,
                b.notes,
                to_json(&b.metadata)?,
                b.version,
                b.updated_at.as_micros(),
                previous_version,
            ],
        )?;
        expect_one_row(changed, "booking", &b.id)?;
        self.record_booking_length(b)
    }

    fn list_bookings(&mut self, q: &BookingQuery) -> Result<Vec<Booking>> {
        // Pick the index explicitly (see blocking_bookings): per resource,
        // per project, or tenant-wide by start.
        let index = if !q.resource_ids.is_empty() {
            "bookings_by_resource"
        } else if q.project_id.is_some() {
            "bookings_by_project"
        } else {
            "bookings_by_start"
        };
        let mut sql = format!("SELECT {BOOKING_COLUMNS} FROM bookings INDEXED BY {index} WHERE tenant_id = ?");
        let mut args: Vec<SqlValue> = vec![SqlValue::Text(self.tenant_id.clone())];
        if !q.resource_ids.is_empty() {
            sql.push_str(" AND resource_id IN (");
            sql.push_str(&vec!["?"; q.resource_ids.len()].join(", "));
            sql.push(')');
            args.extend(q.resource_ids.iter().map(|id| SqlValue::Text(id.clone())));
        }
        if let Some(project_id) = &q.project_id {
            sql.push_str(" AND project_id = ?");
            args.push(SqlValue::Text(project_id.clone()));
        }
        if !q.statuses.is_empty() {
            sql.push_str(" AND status IN (");
            sql.push_str(&vec!["?"; q.statuses.len()].join(", "));
            sql.push(')');
            args.extend(q.statuses.iter().map(|s| SqlValue::Text(s.as_str().into())));
        }
        if let Some(window) = q.window {
            // Same bounded-length trick as the capacity query, with the
            // longest booking among the resources listed (or all of them).
            let longest_us = self.longest_booking_us(&q.resource_ids)?.unwrap_or(0);
            sql.push_str(" AND start_us > ? AND start_us < ? AND end_us > ?");
            args.push(SqlValue::Integer(window.start.as_micros().saturating_sub(longest_us)));
            args.push(SqlValue::Integer(window.end.as_micros()));
            args.push(SqlValue::Integer(window.start.as_micros()));
        }
        if let Some((start, id)) = &q.after {
            // A row value, not `start > ? OR (start = ? AND id > ?)`: only
            // this form lets SQLite seek the index to the cursor, so a page
            // costs the same wherever it is (the OR form rescanned from the
            // first row: 100k rows paged in 0.5 s, 200k in 1.6 s).
            sql.push_str(" AND (start_us, id) > (?, ?)");
            args.push(SqlValue::Integer(start.as_micros()));
            args.push(SqlValue::Text(id.clone()));
        }
        sql.push_str(&format!(" ORDER BY start_us, id LIMIT {}", limit_param(q.limit)));
        let rows = self.query_all(&sql, params_from_iter(args), booking_row)?;
        Ok(rows.into_iter().map(|s| s.booking).collect())
    }

    fn expired_holds(&mut self, now: Timestamp, limit: usize) -> Result<Vec<Booking>> {
        let rows = self.query_all(
            &format!(
                "SELECT {BOOKING_COLUMNS} FROM bookings INDEXED BY bookings_holds
                 WHERE status = 'hold' AND hold_expires_at_us <= ?2 AND tenant_id = ?1
                 ORDER BY hold_expires_at_us, id LIMIT {}",
                limit_param(limit)
            ),
            params![self.tenant_id, now.as_micros()],
            booking_row,
        )?;
        Ok(rows.into_iter().map(|s| s.booking).collect())
    }

    fn append_event(&mut self, e: &NewEvent) -> Result<i64> {
        let seq = self.current_seq()? + 1;
        self.execute(
            &format!("INSERT INTO events ({EVENT_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)"),
            params![self.tenant_id, seq, e.booking_id, e.kind.as_str(), e.actor, e.at.as_micros(), e.data],
        )?;
        self.seq = Some(seq);
        Ok(seq)
    }

    fn events(&mut self, since: i64, limit: usize) -> Result<Vec<Event>> {
        self.query_all(
            &format!(
                "SELECT {EVENT_COLUMNS} FROM events WHERE tenant_id = ?1 AND seq > ?2 ORDER BY seq LIMIT {}",
                limit_param(limit)
            ),
            params![self.tenant_id, since],
            event_row,
        )
    }

    fn history(&mut self, booking_id: &str) -> Result<Vec<Event>> {
        self.query_all(
            &format!("SELECT {EVENT_COLUMNS} FROM events WHERE tenant_id = ?1 AND booking_id = ?2 ORDER BY seq"),
            params![self.tenant_id, booking_id],
            event_row,
        )
    }

    fn last_seq(&mut self) -> Result<i64> {
        if let Some(seq) = self.seq {
            return Ok(seq);
        }
        Ok(self
            .query_one("SELECT last_seq FROM tenants WHERE id = ?1", params![self.tenant_id], |r| r.get(0))?
            .unwrap_or(0))
    }

    fn touched_resources(&mut self, since: i64, until: i64) -> Result<Vec<String>> {
        let rows = self.query_all(
            "SELECT json_extract(data, '$.booking.resource_id'), json_extract(data, '$.previous.resource_id'),
                    json_extract(data, '$.resource.id'), json_extract(data, '$.availability.resource_id')
             FROM events WHERE tenant_id = ?1 AND seq > ?2 AND seq <= ?3",
            params![self.tenant_id, since, until],
            |r| {
                let ids: [Option<String>; 4] = [r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?];
                Ok(ids)
            },
        )?;
        Ok(rows.into_iter().flatten().flatten().collect())
    }

    fn insert_api_key(&mut self, k: &ApiKey, secret_hash: &str) -> Result<()> {
        if k.tenant_id != self.tenant_id {
            return Err(Error::internal("api key outside the transaction's tenant"));
        }
        self.execute(
            &format!("INSERT INTO api_keys ({API_KEY_COLUMNS}, secret_hash) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)"),
            params![
                k.id,
                k.tenant_id,
                k.role.as_str(),
                k.resource_id,
                k.name,
                k.created_at.as_micros(),
                k.revoked_at.map(Timestamp::as_micros),
                secret_hash
            ],
        )?;
        Ok(())
    }

    fn tenant_api_key(&mut self, id: &str) -> Result<Option<ApiKey>> {
        self.query_one(
            &format!("SELECT {API_KEY_COLUMNS} FROM api_keys WHERE tenant_id = ?1 AND id = ?2"),
            params![self.tenant_id, id],
            api_key_row,
        )
    }

    fn revoke_api_key(&mut self, id: &str, at: Timestamp) -> Result<()> {
        self.execute(
            "UPDATE api_keys SET revoked_at_us = ?3 WHERE tenant_id = ?1 AND id = ?2 AND revoked_at_us IS NULL",
            params![self.tenant_id, id, at.as_micros()],
        )?;
        Ok(())
    }

    fn list_api_keys(&mut self, after: Option<&str>, limit: usize) -> Result<Vec<ApiKey>> {
        self.query_all(
            &format!(
                "SELECT {API_KEY_COLUMNS} FROM api_keys INDEXED BY api_keys_by_tenant
                 WHERE tenant_id = ?1 AND id > ?2 ORDER BY id LIMIT {}",
                limit_param(limit)
            ),
            params![self.tenant_id, after.unwrap_or("")],
            api_key_row,
        )
    }

    fn changes(&self) -> Option<u64> {
        // Counts rows inserted, updated or deleted on this connection; only
        // differences are used, so earlier transactions do not matter.
        Some(self.conn.total_changes())
    }

    fn savepoint(&mut self) -> Result<()> {
        self.execute("SAVEPOINT job", [])?;
        self.savepoint_seq = self.seq;
        Ok(())
    }

    fn release_savepoint(&mut self) -> Result<()> {
        self.execute("RELEASE job", []).map(drop)
    }

    fn rollback_to_savepoint(&mut self) -> Result<()> {
        // ROLLBACK TO leaves the savepoint open: release it too. When SQLite
        // has already rolled the whole transaction back (an I/O error, disk
        // full), this fails and the batch fails with it.
        self.conn.execute_batch("ROLLBACK TO job; RELEASE job").map_err(map_err)?;
        self.seq = self.savepoint_seq;
        if self.seq.is_none() {
            self.stored_seq = None;
        }
        self.longest.clear();
        Ok(())
    }

    fn commit(mut self: Box<Self>) -> Result<()> {
        if self.seq != self.stored_seq || self.conn.total_changes() != self.changes_at_begin {
            self.execute(
                "UPDATE tenants SET last_seq = COALESCE(?2, last_seq),
                     last_decision_us = MAX(COALESCE(last_decision_us, ?3), COALESCE(?3, last_decision_us))
                 WHERE id = ?1",
                params![self.tenant_id, self.seq, self.decision],
            )?;
        }
        // On failure the transaction is still open and Drop rolls it back.
        self.execute("COMMIT", [])?;
        self.open = false;
        Ok(())
    }
}

fn expect_one_row(changed: usize, entity: &str, id: &str) -> Result<()> {
    if changed == 1 {
        Ok(())
    } else {
        // The engine checked the version under the write lock: a miss here
        // means the lock did not hold, which is a bug, not a user error.
        Err(Error::internal(format!("{entity} {id:?}: expected one row updated, got {changed}")))
    }
}
