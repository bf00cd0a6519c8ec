//! The floor of the SQLite schema for a bulk load: what `create_bookings`
//! could reach with no engine at all. A file made by the engine (its
//! migrations, a tenant, 1,000 resources), then 100,000 bookings written
//! with raw prepared statements in one durable transaction, each as the
//! engine writes it: the overlap query on `bookings_by_resource`, the
//! booking row, and its `created` event row with a typical JSON body.
//!
//!     cargo build --release -p holdfast-benches --example schema_floor
//!     target/release/examples/schema_floor [all|no-query|no-event]
//!
//! `no-query` skips the overlap query, `no-event` the event row: what each
//! costs. With `FLOOR_ROWID_EVENTS=1` the events table is first rebuilt as
//! a rowid table with a unique `(tenant_id, seq)` index instead of
//! `WITHOUT ROWID` (its ~450-byte rows are large for a clustered b-tree).
//! Prints bookings per second; `benches/RESULTS.md` records the figures.

use std::time::Instant;

use holdfast::{Engine, NewResource};
use rusqlite::params;

const BOOKINGS: i64 = 100_000;
const RESOURCES: i64 = 1_000;
const HOUR_US: i64 = 3_600_000_000;
/// 2030-01-01T00:00:00Z.
const T0_US: i64 = 1_893_456_000_000_000;
/// A `created` event's data as the engine writes it for such a booking.
const EVENT_DATA: &str = r#"{"booking":{"id":"0193e3a0-0000-7000-8000-000000000000","resource_id":"r1","project_id":null,"start":"2030-01-01T00:00:00Z","end":"2030-01-01T01:00:00Z","status":"confirmed","quantity":1,"hold_expires_at":null,"title":"Session","notes":null,"metadata":{},"version":1,"created_at":"2026-11-22T16:00:00Z","updated_at":"2026-11-22T16:00:00Z","idempotency_key":null,"position":null}}"#;

fn main() {
    let mode = std::env::args().nth(1).unwrap_or_else(|| "all".into());
    let (query, event) = match mode.as_str() {
        "all" => (true, true),
        "no-query" => (false, true),
        "no-event" => (true, false),
        _ => {
            eprintln!("usage: schema_floor [all|no-query|no-event]");
            std::process::exit(2);
        }
    };
    let dir = std::env::temp_dir().join(format!("holdfast-schema-floor-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let path = dir.join("floor.db");
    {
        let engine = Engine::open(&format!("sqlite://{}", path.display())).expect("open");
        engine.create_tenant("t", "Floor").expect("tenant");
        let tenant = engine.tenant("t").expect("tenant");
        for r in 0..RESOURCES {
            let new = NewResource { id: Some(format!("r{r}")), name: format!("Resource {r}"), ..Default::default() };
            tenant.create_resource(new).expect("resource");
        }
    }
    if std::env::var_os("FLOOR_ROWID_EVENTS").is_some() {
        let conn = rusqlite::Connection::open(&path).expect("open the file");
        conn.execute_batch(
            "CREATE TABLE events2 (tenant_id TEXT NOT NULL, seq INTEGER NOT NULL, booking_id TEXT, type TEXT NOT NULL,
                 actor TEXT NOT NULL, at_us INTEGER NOT NULL, data TEXT NOT NULL) STRICT;
             INSERT INTO events2 SELECT * FROM events; DROP TABLE events; ALTER TABLE events2 RENAME TO events;
             CREATE UNIQUE INDEX events_pk ON events (tenant_id, seq);
             CREATE INDEX events_by_booking ON events (tenant_id, booking_id, seq) WHERE booking_id IS NOT NULL;",
        )
        .expect("rowid events");
    }
    let mut conn = rusqlite::Connection::open(&path).expect("open the file");
    conn.execute_batch("PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON;").expect("pragmas");
    let first_seq: i64 =
        conn.query_row("SELECT last_seq + 1 FROM tenants WHERE id = 't'", [], |r| r.get(0)).expect("last seq");
    let started = Instant::now();
    let tx = conn.transaction().expect("begin");
    {
        let mut overlap = tx
            .prepare(
                "SELECT id, status, start_us, end_us, quantity FROM bookings INDEXED BY bookings_by_resource
                 WHERE tenant_id = 't' AND resource_id = ?1
                   AND (status = 'hold' OR status = 'pencil' OR status = 'confirmed')
                   AND start_us > ?2 AND start_us < ?3 AND end_us > ?4",
            )
            .expect("prepare the overlap query");
        let mut insert_booking = tx
            .prepare(
                "INSERT INTO bookings (tenant_id, id, resource_id, project_id, start_us, end_us, status, quantity,
                     hold_expires_at_us, title, notes, metadata, version, created_at_us, updated_at_us,
                     idempotency_key, request_hash)
                 VALUES ('t', ?1, ?2, NULL, ?3, ?4, 'confirmed', 1, NULL, 'Session', NULL, '{}', 1, 0, 0, NULL, '')",
            )
            .expect("prepare the booking insert");
        let mut insert_event = tx
            .prepare(
                "INSERT INTO events (tenant_id, seq, booking_id, type, actor, at_us, data)
                 VALUES ('t', ?1, ?2, 'created', 'api', 0, ?3)",
            )
            .expect("prepare the event insert");
        for i in 0..BOOKINGS {
            // Ids increase like UUIDv7s; slots as `profile batch`: round-robin, in time order.
            let id = format!("0193e3a0-0000-7000-8000-{i:012x}");
            let resource = format!("r{}", i % RESOURCES);
            let start = T0_US + (i / RESOURCES) * 2 * HOUR_US;
            if query {
                let found = overlap
                    .query_map(params![resource, start - HOUR_US, start + HOUR_US, start], |_| Ok(()))
                    .expect("overlap query")
                    .count();
                assert_eq!(found, 0, "slots are free");
            }
            insert_booking.execute(params![id, resource, start, start + HOUR_US]).expect("booking");
            if event {
                insert_event.execute(params![first_seq + i, id, EVENT_DATA]).expect("event");
            }
        }
    }
    tx.commit().expect("commit");
    let seconds = started.elapsed().as_secs_f64();
    println!("{mode}: {BOOKINGS} bookings in one transaction, {:.0} bookings/s", BOOKINGS as f64 / seconds);
    let _ = std::fs::remove_dir_all(dir);
}
