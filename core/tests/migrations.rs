//! A database written by an older engine opens in this one with every row
//! intact and every query working (SQLite: migrations replay in order on
//! open; v4 rebuilds the bookings table, v5 drops the partial index the
//! capacity query used to scan).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use holdfast::{BookingFilter, Engine, NewBooking, Status, Timestamp};

const V3: [&str; 3] = [
    include_str!("../src/store/migrations/sqlite/0001_init.sql"),
    include_str!("../src/store/migrations/sqlite/0002_availability.sql"),
    include_str!("../src/store/migrations/sqlite/0003_api_keys.sql"),
];

const HOUR_US: i64 = 3_600_000_000;
/// 2030-01-01T00:00:00Z.
const T0_US: i64 = 1_893_456_000_000_000;

#[test]
fn a_v3_sqlite_database_migrates_with_its_bookings() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("v3.db");
    {
        let conn = rusqlite::Connection::open(&path).expect("open");
        for sql in V3 {
            conn.execute_batch(sql).expect("v3 schema");
        }
        conn.pragma_update(None, "user_version", 3).expect("user_version");
        conn.execute_batch(
            "INSERT INTO tenants (id, name, created_at_us) VALUES ('acme', 'Acme', 0);
             INSERT INTO resources (tenant_id, id, name, kind, capacity, timezone, tags, buffer_before_us,
                 buffer_after_us, active, metadata, version, created_at_us, updated_at_us, max_booking_length_us)
             VALUES ('acme', 'ada', 'Ada', 'artist', 1, 'UTC', '[]', 0, 0, 1, '{}', 1, 0, 0, 7200000000);",
        )
        .expect("tenant and resource");
        for (i, status) in ["confirmed", "cancelled", "pencil"].into_iter().enumerate() {
            let start = T0_US + i as i64 * 3 * HOUR_US;
            conn.execute(
                "INSERT INTO bookings (tenant_id, id, resource_id, start_us, end_us, status, quantity, metadata,
                     version, created_at_us, updated_at_us, request_hash)
                 VALUES ('acme', ?1, 'ada', ?2, ?3, ?4, 1, '{}', 1, 0, 0, '')",
                rusqlite::params![format!("b{i}"), start, start + 2 * HOUR_US, status],
            )
            .expect("booking");
        }
    }
    let engine = Engine::open(&format!("sqlite://{}", path.display())).expect("open and migrate");
    let tenant = engine.tenant("acme").expect("tenant");
    let listed: Vec<(String, Status)> = tenant
        .list_bookings(&BookingFilter::default())
        .expect("list")
        .items
        .into_iter()
        .map(|b| (b.id, b.status))
        .collect();
    assert_eq!(
        listed,
        [("b0".into(), Status::Confirmed), ("b1".into(), Status::Cancelled), ("b2".into(), Status::Pencil)]
    );
    // Capacity decisions see the migrated rows (through the rebuilt
    // resource index): an hour inside b0 is taken, one inside cancelled b1
    // is free.
    let at = |h: i64| Timestamp::from_micros(T0_US + h * HOUR_US);
    let new = |start: i64| NewBooking {
        resource_id: "ada".into(),
        start: at(start),
        end: at(start + 1),
        status: Status::Confirmed,
        ..Default::default()
    };
    assert_eq!(tenant.create_booking(new(1)).expect_err("inside b0").code(), "CONFLICT");
    tenant.create_booking(new(3)).expect("inside cancelled b1");
    let version: i64 = rusqlite::Connection::open(&path)
        .expect("open")
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .expect("user_version");
    assert_eq!(version, 5);
    let indexes: Vec<String> = rusqlite::Connection::open(&path)
        .expect("open")
        .prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'bookings' AND sql IS NOT NULL ORDER BY name")
        .expect("prepare")
        .query_map([], |r| r.get(0))
        .expect("indexes")
        .collect::<Result<_, _>>()
        .expect("index names");
    assert_eq!(
        indexes,
        ["bookings_by_project", "bookings_by_resource", "bookings_by_start", "bookings_holds", "bookings_idempotency"]
    );
}
