//! PostgreSQL store (feature `postgres`): many app servers, one database.
//!
//! Same logical schema and behaviour as the SQLite store. Concurrency:
//! every write transaction first takes a transaction-scoped advisory lock on
//! its tenant, which serializes a tenant's writers across processes and
//! machines (the event `seq` is gap-free because of it), then locks the
//! resource row (`FOR UPDATE`) it decides capacity on. An `EXCLUDE USING
//! gist` constraint backs the decision for exclusive resources. Row-level
//! security keyed by the transaction-local setting `holdfast.tenant_id`
//! keeps every statement inside its tenant.

use std::collections::HashMap;
use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};
use postgres::error::SqlState;
use postgres::types::ToSql;
use postgres::{Client, NoTls, Row, Statement};
use r2d2::{Pool, PooledConnection};
use r2d2_postgres::PostgresConnectionManager;
use serde_json::Value;

use super::{BookingQuery, Durability, NewEvent, Store, StoreOptions, StoredBooking, Transaction};
use crate::error::{Error, Result};
use crate::model::{
    ApiKey, Availability, AvailabilityRules, Booking, Event, EventType, Interval, Project, Resource, Role, Status,
    TenantInfo, Timestamp,
};
use crate::schedule::Blocker;

/// Embedded migrations, applied in order; `holdfast_migrations` records them.
const MIGRATIONS: &[&str] = &[
    include_str!("migrations/postgres/0001_init.sql"),
    include_str!("migrations/postgres/0002_availability.sql"),
    include_str!("migrations/postgres/0003_api_keys.sql"),
];

/// `tenant_id` as a SQL string literal, for the statements that open a
/// transaction in one round trip. Tenant ids are `[A-Za-z0-9_-]` (checked by
/// the engine, and again here, so nothing else can reach the SQL text).
fn tenant_literal(tenant_id: &str) -> Result<String> {
    if tenant_id.is_empty() || !tenant_id.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-') {
        return Err(Error::internal(format!("tenant id {tenant_id:?} reached the store unvalidated")));
    }
    Ok(format!("'{tenant_id}'"))
}

/// `at` as a `timestamptz` literal (RFC 3339 with microseconds).
fn instant_literal(at: Timestamp) -> Result<String> {
    let text = at.to_string();
    if !text.chars().all(|c| c.is_ascii_digit() || matches!(c, '-' | ':' | 'T' | '.' | 'Z')) {
        return Err(Error::internal(format!("instant {text:?} has no RFC 3339 form")));
    }
    Ok(format!("'{text}'::timestamptz"))
}

/// Statements prepared per pooled connection, at most (then forgotten and
/// prepared again).
const PREPARED_STATEMENTS_MAX: usize = 256;

/// A pooled client that prepares each statement once: the `postgres` crate
/// otherwise parses every statement anew, a round trip per call.
struct PgConnection {
    client: Client,
    prepared: HashMap<String, Statement>,
}

impl PgConnection {
    fn prepared(&mut self, sql: &str) -> std::result::Result<Statement, postgres::Error> {
        if let Some(statement) = self.prepared.get(sql) {
            return Ok(statement.clone());
        }
        let statement = self.client.prepare(sql)?;
        if self.prepared.len() >= PREPARED_STATEMENTS_MAX {
            self.prepared.clear();
        }
        self.prepared.insert(sql.to_owned(), statement.clone());
        Ok(statement)
    }
}

impl std::ops::Deref for PgConnection {
    type Target = Client;

    fn deref(&self) -> &Client {
        &self.client
    }
}

impl std::ops::DerefMut for PgConnection {
    fn deref_mut(&mut self) -> &mut Client {
        &mut self.client
    }
}

/// `r2d2_postgres`'s manager, handing out [`PgConnection`]s.
struct Manager(PostgresConnectionManager<NoTls>);

impl r2d2::ManageConnection for Manager {
    type Connection = PgConnection;
    type Error = postgres::Error;

    fn connect(&self) -> std::result::Result<PgConnection, postgres::Error> {
        Ok(PgConnection { client: self.0.connect()?, prepared: HashMap::new() })
    }

    fn is_valid(&self, conn: &mut PgConnection) -> std::result::Result<(), postgres::Error> {
        self.0.is_valid(&mut conn.client)
    }

    fn has_broken(&self, conn: &mut PgConnection) -> bool {
        self.0.has_broken(&mut conn.client)
    }
}

/// The PostgreSQL implementation of [`Store`].
pub struct PostgresStore {
    pool: Pool<Manager>,
}

impl std::fmt::Debug for PostgresStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PostgresStore").field("pool", &self.pool.state()).finish()
    }
}

impl PostgresStore {
    /// Connects, and applies pending migrations under an advisory lock so
    /// that instances starting together apply each migration once.
    pub fn open(url: &str, options: &StoreOptions) -> Result<Self> {
        // The parse error is not echoed: the URL may carry a password.
        let mut config: postgres::Config =
            url.parse().map_err(|_| Error::invalid("url", "not a valid PostgreSQL connection URL"))?;
        let timeout_ms = options.busy_timeout.as_millis().max(1);
        // A lock or a statement stuck past the timeout fails the call
        // (STORE_UNAVAILABLE) instead of hanging it.
        let synchronous_commit = match options.durability {
            Durability::Full => "on",
            Durability::Normal => "off",
        };
        let session = format!(
            "{} -c statement_timeout={timeout_ms} -c lock_timeout={timeout_ms} -c idle_in_transaction_session_timeout={} \
             -c synchronous_commit={synchronous_commit}",
            config.get_options().unwrap_or(""),
            timeout_ms.saturating_mul(4),
        );
        config
            .options(session.trim())
            .connect_timeout(options.busy_timeout)
            .keepalives(true)
            .keepalives_idle(Duration::from_secs(30))
            .application_name("holdfast");
        let pool = Pool::builder()
            .max_size(options.pool_size.max(1))
            .min_idle(Some(0))
            .connection_timeout(options.busy_timeout)
            .build_unchecked(Manager(PostgresConnectionManager::new(config, NoTls)));
        let store = PostgresStore { pool };
        store.migrate()?;
        Ok(store)
    }

    fn connection(&self) -> Result<PooledConnection<Manager>> {
        self.pool.get().map_err(|e| Error::unavailable(format!("no PostgreSQL connection: {e}")))
    }

    fn migrate(&self) -> Result<()> {
        let mut client = self.connection()?;
        let mut tx = client.transaction().map_err(map_err)?;
        tx.execute("SELECT pg_advisory_xact_lock(hashtext(current_schema() || ':holdfast-migrations'))", &[])
            .map_err(map_err)?;
        // CREATE EXTENSION locks the extension catalog until commit, even
        // when the extension exists: only ask for it when it is missing, so
        // instances migrating different schemas do not queue behind it.
        let has_btree_gist =
            tx.query_opt("SELECT 1 FROM pg_extension WHERE extname = 'btree_gist'", &[]).map_err(map_err)?.is_some();
        if !has_btree_gist {
            tx.batch_execute("CREATE EXTENSION IF NOT EXISTS btree_gist").map_err(map_err)?;
        }
        tx.batch_execute(
            "CREATE TABLE IF NOT EXISTS holdfast_migrations (
                 version    integer     PRIMARY KEY,
                 applied_at timestamptz NOT NULL DEFAULT now()
             );",
        )
        .map_err(map_err)?;
        let applied: i32 =
            tx.query_one("SELECT COALESCE(MAX(version), 0) FROM holdfast_migrations", &[]).map_err(map_err)?.get(0);
        let applied = usize::try_from(applied).unwrap_or(0);
        if applied > MIGRATIONS.len() {
            return Err(Error::unavailable(format!(
                "database schema version {applied} is newer than this engine ({})",
                MIGRATIONS.len()
            )));
        }
        for (index, sql) in MIGRATIONS.iter().enumerate().skip(applied) {
            tx.batch_execute(sql).map_err(map_err)?;
            let version = i32::try_from(index + 1).unwrap_or(i32::MAX);
            tx.execute("INSERT INTO holdfast_migrations (version) VALUES ($1)", &[&version]).map_err(map_err)?;
        }
        tx.commit().map_err(map_err)
    }
}

/// Store errors, sorted into "try again later", "conflict" and "bug".
fn map_err(error: postgres::Error) -> Error {
    if let Some(db) = error.as_db_error() {
        let code = db.code();
        let retryable = [
            SqlState::T_R_SERIALIZATION_FAILURE,
            SqlState::T_R_DEADLOCK_DETECTED,
            SqlState::LOCK_NOT_AVAILABLE,
            SqlState::QUERY_CANCELED,
            SqlState::ADMIN_SHUTDOWN,
            SqlState::CRASH_SHUTDOWN,
            SqlState::CANNOT_CONNECT_NOW,
            SqlState::TOO_MANY_CONNECTIONS,
            SqlState::DISK_FULL,
            SqlState::OUT_OF_MEMORY,
            SqlState::IDLE_IN_TRANSACTION_SESSION_TIMEOUT,
        ];
        if retryable.contains(code) || code.code().starts_with("08") || code.code().starts_with("53") {
            return Error::unavailable(db.to_string());
        }
        return Error::internal(format!("PostgreSQL: {db}"));
    }
    let message = error.to_string();
    if message.contains("serializing") || message.contains("deserializing") {
        Error::internal(format!("PostgreSQL: {message}"))
    } else {
        // Closed connections, I/O errors and time-outs.
        Error::unavailable(message)
    }
}

impl Store for PostgresStore {
    fn write(&self, tenant_id: &str) -> Result<Box<dyn Transaction + '_>> {
        // One writer per tenant at a time, across every process and machine
        // (keyed by schema too: advisory locks are database-wide).
        let lock = format!(
            "SELECT pg_advisory_xact_lock(hashtext(current_schema() || ':holdfast-tenant:' || {}))",
            tenant_literal(tenant_id)?
        );
        Ok(Box::new(PgTransaction::begin(self.connection()?, tenant_id, "BEGIN", &lock)?))
    }

    fn read(&self, tenant_id: &str) -> Result<Box<dyn Transaction + '_>> {
        Ok(Box::new(PgTransaction::begin(
            self.connection()?,
            tenant_id,
            "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY",
            "",
        )?))
    }

    fn tenants_with_expired_holds(&self, now: Timestamp, limit: usize) -> Result<Vec<String>> {
        // Row-level security hides bookings from a session with no tenant,
        // so visit the registry and look inside each tenant.
        let tenants: Vec<String> = {
            let mut client = self.connection()?;
            client.query("SELECT id FROM tenants ORDER BY id", &[]).map_err(map_err)?.iter().map(|r| r.get(0)).collect()
        };
        let mut due = Vec::new();
        for tenant_id in tenants {
            if due.len() >= limit {
                break;
            }
            if !self.read(&tenant_id)?.expired_holds(now, 1)?.is_empty() {
                due.push(tenant_id);
            }
        }
        Ok(due)
    }

    fn api_key(&self, id: &str) -> Result<Option<(ApiKey, String)>> {
        let mut client = self.connection()?;
        let row = client
            .query_opt(&format!("SELECT {API_KEY_COLUMNS}, secret_hash FROM api_keys WHERE id = $1"), &[&id])
            .map_err(map_err)?;
        row.map(|r| Ok((api_key_row(&r)?, get(&r, 7)?))).transpose()
    }

    fn ping(&self) -> Result<()> {
        let mut client = self.connection()?;
        client.query_one("SELECT 1", &[]).map_err(map_err).map(drop)
    }
}

struct PgTransaction {
    conn: PooledConnection<Manager>,
    tenant_id: String,
    /// Still to be committed or rolled back.
    open: bool,
    /// Writes: the tenant's last event `seq`, read with the decision
    /// instant, bumped here per event and stored with the instant in the
    /// round trip that commits (the advisory lock keeps other writers out).
    seq: Option<i64>,
    /// `seq` when the open savepoint was taken.
    savepoint_seq: Option<i64>,
    /// The decision instant handed out, recorded at commit.
    decision: Option<Timestamp>,
    /// `max_booking_length_us` of resources read in this transaction (see
    /// the SQLite store); forgotten on a rollback to a savepoint.
    longest: HashMap<String, i64>,
    /// Availability rules read with a resource's lock (`None`: it has
    /// none), so a decision needs no round trip of its own for them;
    /// forgotten when set and on a rollback to a savepoint.
    rules: HashMap<String, Option<Availability>>,
    /// The last savepoint was released by the engine, but `RELEASE` waits
    /// to share the round trip of the next `SAVEPOINT` (or the commit).
    release_pending: bool,
}

impl PgTransaction {
    /// Begins, binds the transaction to `tenant_id` and runs `then`, in one
    /// round trip (the simple-query protocol takes several statements).
    fn begin(conn: PooledConnection<Manager>, tenant_id: &str, begin: &str, then: &str) -> Result<Self> {
        // The tenant setting is transaction-local: gone at COMMIT or
        // ROLLBACK, so a pooled connection never carries one tenant's
        // setting into another's call.
        let sql =
            format!("{begin}; SELECT set_config('holdfast.tenant_id', {}, true); {then}", tenant_literal(tenant_id)?);
        let mut tx = PgTransaction {
            conn,
            tenant_id: tenant_id.to_owned(),
            open: true,
            seq: None,
            savepoint_seq: None,
            decision: None,
            longest: HashMap::new(),
            rules: HashMap::new(),
            release_pending: false,
        };
        // Dropping `tx` on failure rolls back whatever began.
        tx.conn.batch_execute(&sql).map_err(map_err)?;
        Ok(tx)
    }

    fn execute(&mut self, sql: &str, params: &[&(dyn ToSql + Sync)]) -> Result<u64> {
        let statement = self.conn.prepared(sql).map_err(map_err)?;
        self.conn.execute(&statement, params).map_err(map_err)
    }

    fn query(&mut self, sql: &str, params: &[&(dyn ToSql + Sync)]) -> Result<Vec<Row>> {
        let statement = self.conn.prepared(sql).map_err(map_err)?;
        self.conn.query(&statement, params).map_err(map_err)
    }

    fn query_opt(&mut self, sql: &str, params: &[&(dyn ToSql + Sync)]) -> Result<Option<Row>> {
        let statement = self.conn.prepared(sql).map_err(map_err)?;
        self.conn.query_opt(&statement, params).map_err(map_err)
    }

    fn bookings(&mut self, sql: &str, params: &[&(dyn ToSql + Sync)]) -> Result<Vec<Booking>> {
        self.query(sql, params)?.iter().map(|r| booking_row(r).map(|s| s.booking)).collect()
    }

    fn stored_booking(&mut self, sql: &str, params: &[&(dyn ToSql + Sync)]) -> Result<Option<StoredBooking>> {
        self.query_opt(sql, params)?.as_ref().map(booking_row).transpose()
    }

    /// The longest booking ever placed on any of `resource_ids` (every
    /// resource of the tenant when empty); `None` when none of them exists.
    fn longest_booking_us(&mut self, resource_ids: &[String]) -> Result<Option<i64>> {
        if let [resource_id] = resource_ids
            && let Some(&longest) = self.longest.get(resource_id)
        {
            return Ok(Some(longest));
        }
        let tenant_id = self.tenant_id.clone();
        let row = if resource_ids.is_empty() {
            self.query_opt("SELECT MAX(max_booking_length_us) FROM resources WHERE tenant_id = $1", &[&tenant_id])?
        } else {
            self.query_opt(
                "SELECT MAX(max_booking_length_us) FROM resources WHERE tenant_id = $1 AND id = ANY($2)",
                &[&tenant_id, &resource_ids],
            )?
        };
        let longest = row.map(|r| get::<Option<i64>>(&r, 0)).transpose().map(Option::flatten)?;
        if let ([resource_id], Some(longest)) = (resource_ids, longest) {
            self.longest.insert(resource_id.clone(), longest);
        }
        Ok(longest)
    }

    fn record_booking_length(&mut self, booking: &Booking) -> Result<()> {
        let length = booking.interval().len_us();
        if self.longest.get(&booking.resource_id).is_some_and(|&longest| longest >= length) {
            return Ok(());
        }
        let tenant_id = self.tenant_id.clone();
        self.execute(
            "UPDATE resources SET max_booking_length_us = $3
             WHERE tenant_id = $1 AND id = $2 AND max_booking_length_us < $3",
            &[&tenant_id, &booking.resource_id, &length],
        )?;
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
        let tenant_id = self.tenant_id.clone();
        let seq = match self.query_opt("SELECT last_seq FROM tenants WHERE id = $1", &[&tenant_id])? {
            Some(row) => get(&row, 0)?,
            None => return Err(Error::internal("event for a tenant without a row")),
        };
        self.seq = Some(seq);
        Ok(seq)
    }

    /// A booking write whose refusal by the exclusion constraint is
    /// `CONFLICT`: the constraint backs the engine's decision and should
    /// never fire, but if it does the caller learns the truth (capacity),
    /// not "internal error".
    fn booking_write(&mut self, sql: &str, params: &[&(dyn ToSql + Sync)], resource_id: &str) -> Result<u64> {
        let statement = self.conn.prepared(sql).map_err(map_err)?;
        self.conn.execute(&statement, params).map_err(|e| {
            if e.code() == Some(&SqlState::EXCLUSION_VIOLATION) {
                Error::Conflict { resource_id: resource_id.to_owned(), conflicts: Vec::new() }
            } else {
                map_err(e)
            }
        })
    }
}

impl Drop for PgTransaction {
    fn drop(&mut self) {
        if self.open {
            // A broken connection is dropped by r2d2 (has_broken) instead.
            let _ = self.conn.batch_execute("ROLLBACK");
        }
    }
}

const RESOURCE_COLUMNS: &str = "id, name, kind, capacity, timezone, tags, buffer_before_us, buffer_after_us,
    active, metadata, version, created_at, updated_at";
/// A resource's row (`RESOURCE_COLUMNS` in their order, for `resource_row`;
/// locked), then its longest booking and its availability rules, version
/// and update instant (NULL if it has none).
const LOCK_RESOURCE_SQL: &str = "SELECT r.id, r.name, r.kind, r.capacity, r.timezone, r.tags, r.buffer_before_us,
        r.buffer_after_us, r.active, r.metadata, r.version, r.created_at, r.updated_at,
        r.max_booking_length_us, a.rules, a.version, a.updated_at
    FROM resources r
    LEFT JOIN availability a ON a.tenant_id = r.tenant_id AND a.resource_id = r.id
    WHERE r.tenant_id = $1 AND r.id = $2
    FOR UPDATE OF r";
const PROJECT_COLUMNS: &str = "id, name, metadata, version, created_at, updated_at";
const BOOKING_COLUMNS: &str = "id, resource_id, project_id, start_at, end_at, status, quantity,
    hold_expires_at, title, notes, metadata, version, created_at, updated_at, idempotency_key, request_hash";
const EVENT_COLUMNS: &str = "tenant_id, seq, booking_id, type, actor, at, data";
/// A new booking's row: parameters 1-17 of `BookingValues::params`.
const INSERT_BOOKING_SQL: &str = "INSERT INTO bookings (tenant_id, id, resource_id, project_id, start_at, end_at,
        status, quantity, hold_expires_at, title, notes, metadata, version, created_at, updated_at, idempotency_key,
        request_hash, exclusive)
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17,
            (SELECT capacity = 1 FROM resources WHERE tenant_id = $1 AND id = $3))";

/// A booking's column values in PostgreSQL's types, for the insert.
struct BookingValues {
    start: DateTime<Utc>,
    end: DateTime<Utc>,
    status: &'static str,
    quantity: i32,
    hold_expires_at: Option<DateTime<Utc>>,
    metadata: Value,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

impl BookingValues {
    fn new(b: &Booking) -> Result<BookingValues> {
        Ok(BookingValues {
            start: at(b.start)?,
            end: at(b.end)?,
            status: b.status.as_str(),
            quantity: signed(b.quantity),
            hold_expires_at: b.hold_expires_at.map(at).transpose()?,
            metadata: to_json(&b.metadata)?,
            created_at: at(b.created_at)?,
            updated_at: at(b.updated_at)?,
        })
    }

    /// `$1`-`$17` of `INSERT_BOOKING_SQL`.
    fn params<'a>(
        &'a self,
        tenant_id: &'a String,
        b: &'a Booking,
        request_hash: &'a &str,
    ) -> Vec<&'a (dyn ToSql + Sync)> {
        vec![
            tenant_id,
            &b.id,
            &b.resource_id,
            &b.project_id,
            &self.start,
            &self.end,
            &self.status,
            &self.quantity,
            &self.hold_expires_at,
            &b.title,
            &b.notes,
            &self.metadata,
            &b.version,
            &self.created_at,
            &self.updated_at,
            &b.idempotency_key,
            request_hash,
        ]
    }
}

fn get<'a, T: postgres::types::FromSql<'a>>(row: &'a Row, column: usize) -> Result<T> {
    row.try_get(column).map_err(|e| Error::internal(format!("PostgreSQL column {column}: {e}")))
}

fn json<T: serde::de::DeserializeOwned>(row: &Row, column: usize) -> Result<T> {
    serde_json::from_value(get::<Value>(row, column)?)
        .map_err(|e| Error::internal(format!("PostgreSQL column {column}: {e}")))
}

fn json_opt<T: serde::de::DeserializeOwned>(row: &Row, column: usize) -> Result<Option<T>> {
    get::<Option<Value>>(row, column)?
        .map(|value| {
            serde_json::from_value(value).map_err(|e| Error::internal(format!("PostgreSQL column {column}: {e}")))
        })
        .transpose()
}

fn to_json(value: &impl serde::Serialize) -> Result<Value> {
    serde_json::to_value(value).map_err(|e| Error::internal(format!("JSON encoding: {e}")))
}

fn ts(row: &Row, column: usize) -> Result<Timestamp> {
    Ok(Timestamp::from(get::<DateTime<Utc>>(row, column)?))
}

fn ts_opt(row: &Row, column: usize) -> Result<Option<Timestamp>> {
    Ok(get::<Option<DateTime<Utc>>>(row, column)?.map(Timestamp::from))
}

/// An instant as PostgreSQL takes it; the engine only stores validated ones.
fn at(t: Timestamp) -> Result<DateTime<Utc>> {
    t.to_datetime().ok_or_else(|| Error::internal(format!("instant {t} outside chrono's range")))
}

fn count(value: i32, column: usize) -> Result<u32> {
    u32::try_from(value).map_err(|_| Error::internal(format!("PostgreSQL column {column}: negative count")))
}

fn signed(value: u32) -> i32 {
    i32::try_from(value).unwrap_or(i32::MAX)
}

fn resource_row(row: &Row) -> Result<Resource> {
    Ok(Resource {
        id: get(row, 0)?,
        name: get(row, 1)?,
        kind: get(row, 2)?,
        capacity: count(get(row, 3)?, 3)?,
        timezone: get(row, 4)?,
        tags: json(row, 5)?,
        buffer_before: TimeDelta::microseconds(get(row, 6)?),
        buffer_after: TimeDelta::microseconds(get(row, 7)?),
        active: get(row, 8)?,
        metadata: json(row, 9)?,
        version: get(row, 10)?,
        created_at: ts(row, 11)?,
        updated_at: ts(row, 12)?,
    })
}

fn project_row(row: &Row) -> Result<Project> {
    Ok(Project {
        id: get(row, 0)?,
        name: get(row, 1)?,
        metadata: json(row, 2)?,
        version: get(row, 3)?,
        created_at: ts(row, 4)?,
        updated_at: ts(row, 5)?,
    })
}

fn booking_row(row: &Row) -> Result<StoredBooking> {
    Ok(StoredBooking {
        booking: Booking {
            id: get(row, 0)?,
            resource_id: get(row, 1)?,
            project_id: get(row, 2)?,
            start: ts(row, 3)?,
            end: ts(row, 4)?,
            status: Status::parse(get(row, 5)?).map_err(|e| Error::internal(e.to_string()))?,
            quantity: count(get(row, 6)?, 6)?,
            hold_expires_at: ts_opt(row, 7)?,
            title: get(row, 8)?,
            notes: get(row, 9)?,
            metadata: json(row, 10)?,
            version: get(row, 11)?,
            created_at: ts(row, 12)?,
            updated_at: ts(row, 13)?,
            idempotency_key: get(row, 14)?,
        },
        request_hash: get(row, 15)?,
    })
}

const API_KEY_COLUMNS: &str = "id, tenant_id, role, resource_id, name, created_at, revoked_at";

fn api_key_row(row: &Row) -> Result<ApiKey> {
    Ok(ApiKey {
        id: get(row, 0)?,
        tenant_id: get(row, 1)?,
        role: Role::parse(get(row, 2)?).map_err(|e| Error::internal(e.to_string()))?,
        resource_id: get(row, 3)?,
        name: get(row, 4)?,
        created_at: ts(row, 5)?,
        revoked_at: ts_opt(row, 6)?,
    })
}

fn event_row(row: &Row) -> Result<Event> {
    let kind: &str = get(row, 3)?;
    Ok(Event {
        tenant_id: get(row, 0)?,
        seq: get(row, 1)?,
        booking_id: get(row, 2)?,
        kind: EventType::parse(kind).ok_or_else(|| Error::internal(format!("unknown event type {kind:?}")))?,
        actor: get(row, 4)?,
        at: ts(row, 5)?,
        data: get(row, 6)?,
    })
}

/// PostgreSQL's LIMIT takes a bigint; page sizes are far below it.
fn limit_param(limit: usize) -> i64 {
    i64::try_from(limit).unwrap_or(i64::MAX)
}

impl Transaction for PgTransaction {
    fn tenant(&mut self) -> Result<Option<TenantInfo>> {
        let tenant_id = self.tenant_id.clone();
        self.query_opt("SELECT id, name, created_at FROM tenants WHERE id = $1", &[&tenant_id])?
            .map(|r| Ok(TenantInfo { id: get(&r, 0)?, name: get(&r, 1)?, created_at: ts(&r, 2)? }))
            .transpose()
    }

    fn decision_instant(&mut self, clock_now: Timestamp) -> Result<Timestamp> {
        // Read now, recorded by the commit (under the tenant's advisory
        // lock nobody else reads or writes it in between).
        let tenant_id = self.tenant_id.clone();
        let row = self.query_opt("SELECT last_decision_at, last_seq FROM tenants WHERE id = $1", &[&tenant_id])?;
        let now = match row {
            Some(row) => {
                self.seq = Some(get(&row, 1)?);
                ts_opt(&row, 0)?.map_or(clock_now, |recorded| recorded.max(clock_now))
            }
            None => clock_now,
        };
        self.decision = Some(now);
        Ok(now)
    }

    fn insert_tenant(&mut self, tenant: &TenantInfo) -> Result<()> {
        if tenant.id != self.tenant_id {
            return Err(Error::internal("tenant row outside the transaction's tenant"));
        }
        self.execute(
            "INSERT INTO tenants (id, name, created_at) VALUES ($1, $2, $3)",
            &[&tenant.id, &tenant.name, &at(tenant.created_at)?],
        )?;
        Ok(())
    }

    fn resource(&mut self, id: &str) -> Result<Option<Resource>> {
        let tenant_id = self.tenant_id.clone();
        self.query_opt(
            &format!("SELECT {RESOURCE_COLUMNS} FROM resources WHERE tenant_id = $1 AND id = $2"),
            &[&tenant_id, &id],
        )?
        .as_ref()
        .map(resource_row)
        .transpose()
    }

    fn lock_resource(&mut self, id: &str) -> Result<Option<Resource>> {
        // One round trip for what a decision reads of the resource: its
        // row (locked), its longest booking and its availability rules.
        let tenant_id = self.tenant_id.clone();
        let Some(row) = self.query_opt(LOCK_RESOURCE_SQL, &[&tenant_id, &id])? else {
            return Ok(None);
        };
        let resource = resource_row(&row)?;
        self.longest.insert(resource.id.clone(), get(&row, 13)?);
        let rules = match json_opt::<AvailabilityRules>(&row, 14)? {
            Some(rules) => Some(Availability::from_rules(id, rules, get(&row, 15)?, Some(ts(&row, 16)?))),
            None => None,
        };
        self.rules.insert(resource.id.clone(), rules);
        Ok(Some(resource))
    }

    fn insert_resource(&mut self, r: &Resource) -> Result<()> {
        let (before_us, after_us) = r.buffers_us();
        let tenant_id = self.tenant_id.clone();
        self.execute(
            &format!(
                "INSERT INTO resources (tenant_id, {RESOURCE_COLUMNS})
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)"
            ),
            &[
                &tenant_id,
                &r.id,
                &r.name,
                &r.kind,
                &signed(r.capacity),
                &r.timezone,
                &to_json(&r.tags)?,
                &before_us,
                &after_us,
                &r.active,
                &to_json(&r.metadata)?,
                &r.version,
                &at(r.created_at)?,
                &at(r.updated_at)?,
            ],
        )?;
        Ok(())
    }

    fn update_resource(&mut self, r: &Resource, previous_version: i64) -> Result<()> {
        let (before_us, after_us) = r.buffers_us();
        let tenant_id = self.tenant_id.clone();
        let changed = self.execute(
            "UPDATE resources SET name = $3, kind = $4, capacity = $5, timezone = $6, tags = $7,
                 buffer_before_us = $8, buffer_after_us = $9, active = $10, metadata = $11,
                 version = $12, updated_at = $13
             WHERE tenant_id = $1 AND id = $2 AND version = $14",
            &[
                &tenant_id,
                &r.id,
                &r.name,
                &r.kind,
                &signed(r.capacity),
                &r.timezone,
                &to_json(&r.tags)?,
                &before_us,
                &after_us,
                &r.active,
                &to_json(&r.metadata)?,
                &r.version,
                &at(r.updated_at)?,
                &previous_version,
            ],
        )?;
        expect_one_row(changed, "resource", &r.id)?;
        // Keep the exclusion constraint's flag in step with the capacity.
        let exclusive = r.capacity == 1;
        self.booking_write(
            "UPDATE bookings SET exclusive = $3
             WHERE tenant_id = $1 AND resource_id = $2 AND exclusive IS DISTINCT FROM $3",
            &[&tenant_id, &r.id, &exclusive],
            &r.id,
        )?;
        Ok(())
    }

    fn list_resources(&mut self, after: Option<&str>, limit: usize) -> Result<Vec<Resource>> {
        let tenant_id = self.tenant_id.clone();
        self.query(
            &format!("SELECT {RESOURCE_COLUMNS} FROM resources WHERE tenant_id = $1 AND id > $2 ORDER BY id LIMIT $3"),
            &[&tenant_id, &after.unwrap_or(""), &limit_param(limit)],
        )?
        .iter()
        .map(resource_row)
        .collect()
    }

    fn resources_tagged(&mut self, tag: &str, limit: usize) -> Result<Vec<Resource>> {
        let tenant_id = self.tenant_id.clone();
        let tag = Value::String(tag.to_owned());
        self.query(
            &format!(
                "SELECT {RESOURCE_COLUMNS} FROM resources
                 WHERE tenant_id = $1 AND tags @> jsonb_build_array($2::jsonb) ORDER BY id LIMIT $3"
            ),
            &[&tenant_id, &tag, &limit_param(limit)],
        )?
        .iter()
        .map(resource_row)
        .collect()
    }

    fn availability(&mut self, resource_id: &str) -> Result<Option<Availability>> {
        if let Some(read) = self.rules.get(resource_id) {
            return Ok(read.clone());
        }
        let tenant_id = self.tenant_id.clone();
        self.query_opt(
            "SELECT rules, version, updated_at FROM availability WHERE tenant_id = $1 AND resource_id = $2",
            &[&tenant_id, &resource_id],
        )?
        .map(|r| {
            let rules: AvailabilityRules = json(&r, 0)?;
            Ok(Availability::from_rules(resource_id, rules, get(&r, 1)?, Some(ts(&r, 2)?)))
        })
        .transpose()
    }

    fn put_availability(&mut self, a: &Availability) -> Result<()> {
        self.rules.remove(&a.resource_id);
        let tenant_id = self.tenant_id.clone();
        let updated_at = a.updated_at.ok_or_else(|| Error::internal("availability saved without updated_at"))?;
        self.execute(
            "INSERT INTO availability (tenant_id, resource_id, rules, version, updated_at)
             VALUES ($1, $2, $3, $4, $5)
             ON CONFLICT (tenant_id, resource_id)
             DO UPDATE SET rules = excluded.rules, version = excluded.version, updated_at = excluded.updated_at",
            &[&tenant_id, &a.resource_id, &to_json(&a.rules())?, &a.version, &at(updated_at)?],
        )?;
        Ok(())
    }

    fn project(&mut self, id: &str) -> Result<Option<Project>> {
        let tenant_id = self.tenant_id.clone();
        self.query_opt(
            &format!("SELECT {PROJECT_COLUMNS} FROM projects WHERE tenant_id = $1 AND id = $2"),
            &[&tenant_id, &id],
        )?
        .as_ref()
        .map(project_row)
        .transpose()
    }

    fn insert_project(&mut self, p: &Project) -> Result<()> {
        let tenant_id = self.tenant_id.clone();
        self.execute(
            &format!("INSERT INTO projects (tenant_id, {PROJECT_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7)"),
            &[&tenant_id, &p.id, &p.name, &to_json(&p.metadata)?, &p.version, &at(p.created_at)?, &at(p.updated_at)?],
        )?;
        Ok(())
    }

    fn list_projects(&mut self, after: Option<&str>, limit: usize) -> Result<Vec<Project>> {
        let tenant_id = self.tenant_id.clone();
        self.query(
            &format!("SELECT {PROJECT_COLUMNS} FROM projects WHERE tenant_id = $1 AND id > $2 ORDER BY id LIMIT $3"),
            &[&tenant_id, &after.unwrap_or(""), &limit_param(limit)],
        )?
        .iter()
        .map(project_row)
        .collect()
    }

    fn booking(&mut self, id: &str) -> Result<Option<StoredBooking>> {
        let tenant_id = self.tenant_id.clone();
        self.stored_booking(
            &format!("SELECT {BOOKING_COLUMNS} FROM bookings WHERE tenant_id = $1 AND id = $2"),
            &[&tenant_id, &id],
        )
    }

    fn lock_booking(&mut self, id: &str) -> Result<Option<StoredBooking>> {
        let tenant_id = self.tenant_id.clone();
        self.stored_booking(
            &format!("SELECT {BOOKING_COLUMNS} FROM bookings WHERE tenant_id = $1 AND id = $2 FOR UPDATE"),
            &[&tenant_id, &id],
        )
    }

    fn booking_by_idempotency_key(&mut self, key: &str) -> Result<Option<StoredBooking>> {
        let tenant_id = self.tenant_id.clone();
        self.stored_booking(
            &format!("SELECT {BOOKING_COLUMNS} FROM bookings WHERE tenant_id = $1 AND idempotency_key = $2"),
            &[&tenant_id, &key],
        )
    }

    fn blocking_bookings(&mut self, resource_id: &str, window: Interval) -> Result<Vec<Booking>> {
        // Bounded-length trick, as in the SQLite store.
        let Some(longest_us) = self.longest_booking_us(std::slice::from_ref(&resource_id.to_owned()))? else {
            return Ok(Vec::new());
        };
        let lower = at(Timestamp::from_micros(window.start.as_micros().saturating_sub(longest_us)))?;
        let tenant_id = self.tenant_id.clone();
        self.bookings(
            &format!(
                "SELECT {BOOKING_COLUMNS} FROM bookings
                 WHERE tenant_id = $1 AND resource_id = $2
                   AND status IN ('hold', 'pencil', 'confirmed')
                   AND start_at > $3 AND start_at < $4 AND end_at > $5
                 ORDER BY start_at, id"
            ),
            &[&tenant_id, &resource_id, &lower, &at(window.end)?, &at(window.start)?],
        )
    }

    fn blockers(&mut self, resource_id: &str, window: Interval) -> Result<Vec<Blocker>> {
        let Some(longest_us) = self.longest_booking_us(std::slice::from_ref(&resource_id.to_owned()))? else {
            return Ok(Vec::new());
        };
        let lower = at(Timestamp::from_micros(window.start.as_micros().saturating_sub(longest_us)))?;
        let tenant_id = self.tenant_id.clone();
        // As `blocking_bookings`, reading only what a read needs, unsorted.
        self.query(
            "SELECT id, status, start_at, end_at, quantity, hold_expires_at FROM bookings
             WHERE tenant_id = $1 AND resource_id = $2
               AND status IN ('hold', 'pencil', 'confirmed')
               AND start_at > $3 AND start_at < $4 AND end_at > $5",
            &[&tenant_id, &resource_id, &lower, &at(window.end)?, &at(window.start)?],
        )?
        .iter()
        .map(|row| {
            Ok(Blocker {
                id: get(row, 0)?,
                status: Status::parse(get(row, 1)?).map_err(|e| Error::internal(e.to_string()))?,
                interval: Interval { start: ts(row, 2)?, end: ts(row, 3)? },
                quantity: count(get(row, 4)?, 4)?,
                hold_expires_at: ts_opt(row, 5)?,
            })
        })
        .collect()
    }

    fn insert_booking(&mut self, b: &Booking, request_hash: &str) -> Result<()> {
        let tenant_id = self.tenant_id.clone();
        let values = BookingValues::new(b)?;
        self.booking_write(INSERT_BOOKING_SQL, &values.params(&tenant_id, b, &request_hash), &b.resource_id)?;
        self.record_booking_length(b)
    }

    fn insert_booking_with_event(&mut self, b: &Booking, request_hash: &str, e: &NewEvent) -> Result<i64> {
        // The booking and its event in one statement: a round trip fewer
        // per create. A refusal by the exclusion constraint fails both.
        let tenant_id = self.tenant_id.clone();
        let seq = self.current_seq()? + 1;
        let values = BookingValues::new(b)?;
        let event_at = at(e.at)?;
        let kind = e.kind.as_str();
        let mut params = values.params(&tenant_id, b, &request_hash);
        params.extend([&seq as &(dyn ToSql + Sync), &e.booking_id, &kind, &e.actor, &event_at, &e.data]);
        self.booking_write(
            &format!(
                "WITH booking AS ({INSERT_BOOKING_SQL})
                 INSERT INTO events ({EVENT_COLUMNS}) VALUES ($1, $18, $19, $20, $21, $22, ($23::text)::jsonb)"
            ),
            &params,
            &b.resource_id,
        )?;
        self.seq = Some(seq);
        self.record_booking_length(b)?;
        Ok(seq)
    }

    fn update_booking(&mut self, b: &Booking, previous_version: i64) -> Result<()> {
        let tenant_id = self.tenant_id.clone();
        let changed = self.booking_write(
            "UPDATE bookings SET resource_id = $3, project_id = $4, start_at = $5, end_at = $6,
                 status = $7, quantity = $8, hold_expires_at = $9, title = $10, notes = $11,
                 metadata = $12, version = $13, updated_at = $14,
                 exclusive = (SELECT capacity = 1 FROM resources WHERE tenant_id = $1 AND id = $3)
             WHERE tenant_id = $1 AND id = $2 AND version = $15",
            &[
                &tenant_id,
                &b.id,
                &b.resource_id,
                &b.project_id,
                &at(b.start)?,
                &at(b.end)?,
                &b.status.as_str(),
                &signed(b.quantity),
                &b.hold_expires_at.map(at).transpose()?,
                &b.title,
                &b.notes,
                &to_json(&b.metadata)?,
                &b.version,
                &at(b.updated_at)?,
                &previous_version,
            ],
            &b.resource_id,
        )?;
        expect_one_row(changed, "booking", &b.id)?;
        self.record_booking_length(b)
    }

    fn list_bookings(&mut self, q: &BookingQuery) -> Result<Vec<Booking>> {
        let mut sql = format!("SELECT {BOOKING_COLUMNS} FROM bookings WHERE tenant_id = $1");
        let mut args: Vec<Box<dyn ToSql + Sync>> = vec![Box::new(self.tenant_id.clone())];
        let mut bind = |sql: &mut String, clause: &str, value: Box<dyn ToSql + Sync>| {
            args.push(value);
            sql.push_str(&clause.replace('?', &format!("${}", args.len())));
        };
        if !q.resource_ids.is_empty() {
            bind(&mut sql, " AND resource_id = ANY(?)", Box::new(q.resource_ids.clone()));
        }
        if let Some(project_id) = &q.project_id {
            bind(&mut sql, " AND project_id = ?", Box::new(project_id.clone()));
        }
        if !q.statuses.is_empty() {
            let statuses: Vec<&'static str> = q.statuses.iter().map(|s| s.as_str()).collect();
            bind(&mut sql, " AND status = ANY(?)", Box::new(statuses));
        }
        let longest_us = match q.window {
            Some(_) => self.longest_booking_us(&q.resource_ids)?.unwrap_or(0),
            None => 0,
        };
        if let Some(window) = q.window {
            let lower = at(Timestamp::from_micros(window.start.as_micros().saturating_sub(longest_us)))?;
            bind(&mut sql, " AND start_at > ?", Box::new(lower));
            bind(&mut sql, " AND start_at < ?", Box::new(at(window.end)?));
            bind(&mut sql, " AND end_at > ?", Box::new(at(window.start)?));
        }
        if let Some((start, id)) = &q.after {
            bind(&mut sql, " AND (start_at, id) > (?", Box::new(at(*start)?));
            bind(&mut sql, ", ?)", Box::new(id.clone()));
        }
        bind(&mut sql, " ORDER BY start_at, id LIMIT ?", Box::new(limit_param(q.limit)));
        let params: Vec<&(dyn ToSql + Sync)> = args.iter().map(|a| a.as_ref()).collect();
        self.bookings(&sql, &params)
    }

    fn expired_holds(&mut self, now: Timestamp, limit: usize) -> Result<Vec<Booking>> {
        let tenant_id = self.tenant_id.clone();
        self.bookings(
            &format!(
                "SELECT {BOOKING_COLUMNS} FROM bookings
                 WHERE status = 'hold' AND hold_expires_at <= $2 AND tenant_id = $1
                 ORDER BY hold_expires_at, id LIMIT $3"
            ),
            &[&tenant_id, &at(now)?, &limit_param(limit)],
        )
    }

    fn append_event(&mut self, e: &NewEvent) -> Result<i64> {
        let tenant_id = self.tenant_id.clone();
        let seq = self.current_seq()? + 1;
        self.execute(
            &format!("INSERT INTO events ({EVENT_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, ($7::text)::jsonb)"),
            &[&tenant_id, &seq, &e.booking_id, &e.kind.as_str(), &e.actor, &at(e.at)?, &e.data],
        )?;
        self.seq = Some(seq);
        Ok(seq)
    }

    fn events(&mut self, since: i64, limit: usize) -> Result<Vec<Event>> {
        let tenant_id = self.tenant_id.clone();
        self.query(
            &format!("SELECT {EVENT_COLUMNS} FROM events WHERE tenant_id = $1 AND seq > $2 ORDER BY seq LIMIT $3"),
            &[&tenant_id, &since, &limit_param(limit)],
        )?
        .iter()
        .map(event_row)
        .collect()
    }

    fn history(&mut self, booking_id: &str) -> Result<Vec<Event>> {
        let tenant_id = self.tenant_id.clone();
        self.query(
            &format!("SELECT {EVENT_COLUMNS} FROM events WHERE tenant_id = $1 AND booking_id = $2 ORDER BY seq"),
            &[&tenant_id, &booking_id],
        )?
        .iter()
        .map(event_row)
        .collect()
    }

    fn last_seq(&mut self) -> Result<i64> {
        if let Some(seq) = self.seq {
            return Ok(seq);
        }
        let tenant_id = self.tenant_id.clone();
        self.query_opt("SELECT last_seq FROM tenants WHERE id = $1", &[&tenant_id])?.map_or(Ok(0), |r| get(&r, 0))
    }

    fn touched_resources(&mut self, since: i64, until: i64) -> Result<Vec<String>> {
        let tenant_id = self.tenant_id.clone();
        let rows = self.query(
            "SELECT data->'booking'->>'resource_id', data->'previous'->>'resource_id',
                    data->'resource'->>'id', data->'availability'->>'resource_id'
             FROM events WHERE tenant_id = $1 AND seq > $2 AND seq <= $3",
            &[&tenant_id, &since, &until],
        )?;
        let mut ids = Vec::new();
        for row in &rows {
            for column in 0..4 {
                ids.extend(get::<Option<String>>(row, column)?);
            }
        }
        Ok(ids)
    }

    fn insert_api_key(&mut self, k: &ApiKey, secret_hash: &str) -> Result<()> {
        if k.tenant_id != self.tenant_id {
            return Err(Error::internal("api key outside the transaction's tenant"));
        }
        let revoked_at = k.revoked_at.map(at).transpose()?;
        self.execute(
            &format!("INSERT INTO api_keys ({API_KEY_COLUMNS}, secret_hash) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"),
            &[
                &k.id,
                &k.tenant_id,
                &k.role.as_str(),
                &k.resource_id,
                &k.name,
                &at(k.created_at)?,
                &revoked_at,
                &secret_hash,
            ],
        )?;
        Ok(())
    }

    fn tenant_api_key(&mut self, id: &str) -> Result<Option<ApiKey>> {
        let tenant_id = self.tenant_id.clone();
        self.query_opt(
            &format!("SELECT {API_KEY_COLUMNS} FROM api_keys WHERE tenant_id = $1 AND id = $2"),
            &[&tenant_id, &id],
        )?
        .as_ref()
        .map(api_key_row)
        .transpose()
    }

    fn revoke_api_key(&mut self, id: &str, when: Timestamp) -> Result<()> {
        let tenant_id = self.tenant_id.clone();
        self.execute(
            "UPDATE api_keys SET revoked_at = $3 WHERE tenant_id = $1 AND id = $2 AND revoked_at IS NULL",
            &[&tenant_id, &id, &at(when)?],
        )?;
        Ok(())
    }

    fn list_api_keys(&mut self, after: Option<&str>, limit: usize) -> Result<Vec<ApiKey>> {
        let tenant_id = self.tenant_id.clone();
        self.query(
            &format!("SELECT {API_KEY_COLUMNS} FROM api_keys WHERE tenant_id = $1 AND id > $2 ORDER BY id LIMIT $3"),
            &[&tenant_id, &after.unwrap_or(""), &limit_param(limit)],
        )?
        .iter()
        .map(api_key_row)
        .collect()
    }

    fn changes(&self) -> Option<u64> {
        None
    }

    fn savepoint(&mut self) -> Result<()> {
        let sql = if self.release_pending { "RELEASE SAVEPOINT job; SAVEPOINT job" } else { "SAVEPOINT job" };
        self.conn.batch_execute(sql).map_err(map_err)?;
        self.release_pending = false;
        self.savepoint_seq = self.seq;
        Ok(())
    }

    fn release_savepoint(&mut self) -> Result<()> {
        // Sent with the next SAVEPOINT, or made by COMMIT: a round trip
        // fewer per write of a batch.
        self.release_pending = true;
        Ok(())
    }

    fn rollback_to_savepoint(&mut self) -> Result<()> {
        if self.release_pending {
            // The savepoint is still open on the server: rolling back to it
            // would undo a write the engine kept.
            return Err(Error::internal("rollback to a savepoint already released"));
        }
        // Also ends the "current transaction is aborted" state a failed
        // statement leaves behind.
        self.conn.batch_execute("ROLLBACK TO SAVEPOINT job; RELEASE SAVEPOINT job").map_err(map_err)?;
        self.seq = self.savepoint_seq;
        self.longest.clear();
        self.rules.clear();
        Ok(())
    }

    fn commit(mut self: Box<Self>) -> Result<()> {
        // Records the seq and the decision instant, then commits, in one
        // round trip. On failure the transaction is still open and Drop
        // rolls it back (or the server does, when the connection is gone).
        let record = match (self.seq, self.decision) {
            (Some(seq), Some(decision)) => {
                let decision = instant_literal(decision)?;
                format!(
                    "UPDATE tenants SET last_seq = {seq},
                         last_decision_at = GREATEST(COALESCE(last_decision_at, {decision}), {decision})
                     WHERE id = {}; ",
                    tenant_literal(&self.tenant_id)?
                )
            }
            _ => String::new(),
        };
        self.conn.batch_execute(&format!("{record}COMMIT")).map_err(map_err)?;
        self.open = false;
        Ok(())
    }
}

fn expect_one_row(changed: u64, entity: &str, id: &str) -> Result<()> {
    if changed == 1 {
        Ok(())
    } else {
        Err(Error::internal(format!("{entity} {id:?}: expected one row updated, got {changed}")))
    }
}
