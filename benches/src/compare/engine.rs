//! Holdfast itself, through its public API only, on a SQLite file or on a
//! schema of the PostgreSQL server.

use std::path::{Path, PathBuf};

use holdfast::limits::{BATCH_SIZE_MAX, PAGE_SIZE_MAX};
use holdfast::{BookingFilter, Durability, Engine, NewBooking, NewResource, Status, Tenant, Timestamp};
use postgres::Config;

use super::pg::{self, PgSchema};
use super::{Caller, CommitMode, Context, Outcome, Result, Slot, Store, Subject};

const TENANT: &str = "compare";

pub enum Holdfast {
    /// One fresh file per store in `dir`.
    Sqlite { dir: PathBuf },
    /// One fresh schema per store, created by `admin`, owned by `owner`
    /// (the role of `url`, when it is not the admin's), used through `url`.
    Postgres { admin: Box<Config>, url: String, owner: Option<String> },
}

impl Subject for Holdfast {
    fn name(&self) -> &'static str {
        match self {
            Holdfast::Sqlite { .. } => "Holdfast SQLite",
            Holdfast::Postgres { .. } => "Holdfast PG",
        }
    }

    fn open(&self, label: &str, mode: CommitMode, callers_max: usize) -> Result<Box<dyn Store>> {
        let (url, schema, file) = match self {
            Holdfast::Sqlite { dir } => {
                let file = SqliteFiles(dir.join(format!("{label}.db")));
                file.remove(); // a previous run's leftovers
                (format!("sqlite://{}", file.0.display()), None, Some(file))
            }
            Holdfast::Postgres { admin, url, owner } => {
                let schema = PgSchema::create(admin, "hf", label, owner.as_deref())?;
                (pg::url_with_options(url, &schema.search_path_option()), Some(schema), None)
            }
        };
        let durability = match mode {
            CommitMode::Durable => Durability::Full,
            CommitMode::Relaxed => Durability::Normal,
        };
        // Every caller gets a connection without waiting for another's.
        let engine = Engine::builder()
            .url(&url)
            .durability(durability)
            .pool_size(callers_max as u32 + 2)
            .open()
            .with_context(|| format!("open Holdfast on {}", self.name()))?;
        engine.create_tenant(TENANT, "Comparison").context("create_tenant")?;
        let tenant = engine.tenant(TENANT).context("tenant")?;
        Ok(Box::new(EngineStore { tenant, url, schema, _file: file }))
    }
}

struct EngineStore {
    tenant: Tenant,
    url: String,
    // Last, so deleted once the engine (held by `tenant`) is closed.
    schema: Option<PgSchema>,
    _file: Option<SqliteFiles>,
}

impl Store for EngineStore {
    fn add_artists(&mut self, ids: &[String]) -> Result<()> {
        // Setup is not measured: a second engine that skips the flush per
        // resource makes 1,000 of them take a second, not ten.
        let setup = Engine::builder()
            .url(&self.url)
            .durability(Durability::Normal)
            .pool_size(1)
            .open()
            .context("open a setup engine")?;
        let tenant = setup.tenant(TENANT).context("tenant")?;
        for id in ids {
            tenant
                .create_resource(NewResource {
                    id: Some(id.clone()),
                    name: id.clone(),
                    kind: "artist".into(),
                    ..Default::default()
                })
                .with_context(|| format!("create_resource {id}"))?;
        }
        Ok(())
    }

    fn bulk(&mut self, rows: &[Slot]) -> Result<()> {
        for chunk in rows.chunks(BATCH_SIZE_MAX) {
            self.tenant.create_bookings(chunk.iter().map(new_booking).collect()).context("create_bookings")?;
        }
        Ok(())
    }

    fn caller(&self) -> Result<Box<dyn Caller>> {
        Ok(Box::new(EngineCaller { tenant: self.tenant.clone() }))
    }

    fn count(&mut self, artist: Option<&str>) -> Result<u64> {
        let mut filter = BookingFilter {
            resource_ids: artist.into_iter().map(str::to_owned).collect(),
            limit: Some(PAGE_SIZE_MAX),
            ..Default::default()
        };
        let mut count = 0;
        loop {
            let page = self.tenant.list_bookings(&filter).context("list_bookings")?;
            count += page.items.len() as u64;
            match page.next_cursor {
                Some(cursor) => filter.cursor = Some(cursor),
                None => return Ok(count),
            }
        }
    }

    fn analyze(&mut self) -> Result<()> {
        self.schema.as_mut().map_or(Ok(()), PgSchema::analyze)
    }
}

struct EngineCaller {
    tenant: Tenant,
}

impl Caller for EngineCaller {
    fn create(&mut self, slot: &Slot) -> Result<Outcome> {
        match self.tenant.create_booking(new_booking(slot)) {
            Ok(_) => Ok(Outcome::Created),
            Err(e) if e.code() == "CONFLICT" => Ok(Outcome::Rejected),
            Err(e) => Err(format!("create_booking: {} {e}", e.code()).into()),
        }
    }

    fn list(&mut self, artist: &str, start_us: i64, end_us: i64) -> Result<usize> {
        let page = self
            .tenant
            .list_bookings(&BookingFilter {
                resource_ids: vec![artist.to_owned()],
                statuses: vec![Status::Confirmed, Status::Pencil],
                start: Some(Timestamp::from_micros(start_us)),
                end: Some(Timestamp::from_micros(end_us)),
                limit: Some(PAGE_SIZE_MAX),
                ..Default::default()
            })
            .context("list_bookings")?;
        Ok(std::hint::black_box(page).items.len())
    }
}

fn new_booking(slot: &Slot) -> NewBooking {
    NewBooking {
        resource_id: slot.artist.clone(),
        start: Timestamp::from_micros(slot.start_us),
        end: Timestamp::from_micros(slot.end_us),
        status: Status::Confirmed,
        ..Default::default()
    }
}

/// A SQLite database and its WAL companions, deleted on drop.
struct SqliteFiles(PathBuf);

impl SqliteFiles {
    fn remove(&self) {
        for suffix in ["", "-wal", "-shm"] {
            let mut name = self.0.clone().into_os_string();
            name.push(suffix);
            let path = Path::new(&name);
            if let Err(e) = std::fs::remove_file(path)
                && e.kind() != std::io::ErrorKind::NotFound
            {
                eprintln!("compare: could not delete {}: {e}", path.display());
            }
        }
    }
}

impl Drop for SqliteFiles {
    fn drop(&mut self) {
        self.remove();
    }
}
