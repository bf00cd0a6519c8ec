//! The baseline: a plain PostgreSQL `bookings` table whose only guard
//! against double booking is an `EXCLUDE USING gist` constraint, driven
//! through the `postgres` crate the way an application would.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use postgres::error::SqlState;
use postgres::{Client, Config, NoTls, Statement};

use super::pg::{self, PgSchema};
use super::{Caller, CommitMode, Context, Outcome, Result, Slot, Store, Subject, chain};

/// The reference design's table. `bigserial` ids and no other index: the
/// cheapest form for PostgreSQL, so its figures are its best case.
const SCHEMA_SQL: &str = "
CREATE TABLE bookings (
    id         bigserial   PRIMARY KEY,
    artist_id  text        NOT NULL,
    start_time timestamptz NOT NULL,
    end_time   timestamptz NOT NULL,
    status     text        NOT NULL CHECK (status IN ('hold', 'pencil', 'confirmed', 'cancelled', 'declined')),
    created_at timestamptz NOT NULL DEFAULT now(),
    CHECK (start_time < end_time),
    EXCLUDE USING gist (artist_id WITH =, tstzrange(start_time, end_time, '[)') WITH &&)
        WHERE (status IN ('confirmed', 'pencil'))
)";

const INSERT_SQL: &str = "INSERT INTO bookings (artist_id, start_time, end_time, status)
                          VALUES ($1, $2, $3, 'confirmed') RETURNING id";

/// The status filter matches the constraint's partial index, which is what
/// lets this query use it (the table has no other index on artist or time).
const LIST_SQL: &str = "SELECT id, artist_id, start_time, end_time, status FROM bookings
                        WHERE artist_id = $1 AND status IN ('confirmed', 'pencil')
                          AND tstzrange(start_time, end_time, '[)') && tstzrange($2, $3, '[)')
                        ORDER BY start_time, id";

/// Multi-row INSERT from arrays: one statement per chunk, no COPY.
const BULK_SQL: &str = "INSERT INTO bookings (artist_id, start_time, end_time, status)
                        SELECT a, s, e, 'confirmed' FROM unnest($1::text[], $2::timestamptz[], $3::timestamptz[]) AS t(a, s, e)";
const BULK_CHUNK_ROWS: usize = 10_000;

pub struct Gist {
    admin: Config,
}

impl Gist {
    /// `admin` must be allowed to create schemas (and btree_gist, if missing).
    pub fn new(admin: Config) -> Result<Gist> {
        let mut client = admin.connect(NoTls).context("connect to PostgreSQL (--pg-url)")?;
        client.batch_execute("CREATE EXTENSION IF NOT EXISTS btree_gist").context("CREATE EXTENSION btree_gist")?;
        Ok(Gist { admin })
    }
}

impl Subject for Gist {
    fn name(&self) -> &'static str {
        "GIST PG"
    }

    fn open(&self, label: &str, mode: CommitMode, _callers_max: usize) -> Result<Box<dyn Store>> {
        let schema = PgSchema::create(&self.admin, "gist", label, None)?;
        let synchronous_commit = match mode {
            CommitMode::Durable => "on",
            CommitMode::Relaxed => "off",
        };
        // Each session sets synchronous_commit itself, whatever the server's default.
        let config = pg::with_options(
            &self.admin,
            &format!("{} -c synchronous_commit={synchronous_commit}", schema.search_path_option()),
        );
        let mut client = config.connect(NoTls).context("connect to PostgreSQL")?;
        client.batch_execute(SCHEMA_SQL).context("create the GIST table")?;
        Ok(Box::new(GistStore { client, config, schema }))
    }
}

struct GistStore {
    client: Client,
    config: Config,
    // Last: dropped (the schema with it) after the connection closes.
    schema: PgSchema,
}

impl Store for GistStore {
    fn add_artists(&mut self, _ids: &[String]) -> Result<()> {
        Ok(())
    }

    fn bulk(&mut self, rows: &[Slot]) -> Result<()> {
        let mut tx = self.client.transaction().context("BEGIN")?;
        let insert = tx.prepare(BULK_SQL).context("prepare the bulk INSERT")?;
        for chunk in rows.chunks(BULK_CHUNK_ROWS) {
            let artists: Vec<&str> = chunk.iter().map(|s| s.artist.as_str()).collect();
            let starts: Vec<SystemTime> = chunk.iter().map(|s| instant(s.start_us)).collect();
            let ends: Vec<SystemTime> = chunk.iter().map(|s| instant(s.end_us)).collect();
            tx.execute(&insert, &[&artists, &starts, &ends]).context("bulk INSERT")?;
        }
        tx.commit().context("COMMIT")
    }

    fn caller(&self) -> Result<Box<dyn Caller>> {
        let mut client = self.config.connect(NoTls).context("connect to PostgreSQL")?;
        let insert = client.prepare(INSERT_SQL).context("prepare INSERT")?;
        let list = client.prepare(LIST_SQL).context("prepare SELECT")?;
        Ok(Box::new(GistCaller { client, insert, list }))
    }

    fn count(&mut self, artist: Option<&str>) -> Result<u64> {
        let row = self
            .client
            .query_one("SELECT count(*) FROM bookings WHERE $1::text IS NULL OR artist_id = $1", &[&artist])
            .with_context(|| format!("count bookings in {}", self.schema.name))?;
        Ok(row.get::<_, i64>(0) as u64)
    }

    fn analyze(&mut self) -> Result<()> {
        self.schema.analyze()
    }
}

struct GistCaller {
    client: Client,
    insert: Statement,
    list: Statement,
}

/// A listed row, decoded as an application would: Holdfast's callers get
/// whole `Booking`s, so this side pays for decoding its rows too.
type Row = (i64, String, SystemTime, SystemTime, String);

impl Caller for GistCaller {
    fn create(&mut self, slot: &Slot) -> Result<Outcome> {
        // Autocommit: the INSERT is its own transaction, committed or rolled back.
        match self.client.query_one(&self.insert, &[&slot.artist, &instant(slot.start_us), &instant(slot.end_us)]) {
            Ok(_) => Ok(Outcome::Created),
            Err(e) if e.code() == Some(&SqlState::EXCLUSION_VIOLATION) => Ok(Outcome::Rejected),
            Err(e) if e.code() == Some(&SqlState::T_R_DEADLOCK_DETECTED) => Ok(Outcome::Deadlocked),
            Err(e) => Err(format!("INSERT: {}", chain(&e)).into()),
        }
    }

    fn list(&mut self, artist: &str, start_us: i64, end_us: i64) -> Result<usize> {
        let rows = self.client.query(&self.list, &[&artist, &instant(start_us), &instant(end_us)]).context("SELECT")?;
        let decoded: Vec<Row> = rows.iter().map(|r| (r.get(0), r.get(1), r.get(2), r.get(3), r.get(4))).collect();
        Ok(std::hint::black_box(decoded).len())
    }
}

fn instant(us: i64) -> SystemTime {
    UNIX_EPOCH + Duration::from_micros(us as u64)
}
