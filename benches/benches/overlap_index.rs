//! Which overlap index should the SQLite store use? Measures the
//! bounded-length trick (a B-tree on `(resource, start)` scanned from
//! `qs - longest booking`) against SQLite's R*Tree, on 1M bookings over
//! 1,000 resources, with and without one year-long booking on the resource.
//!
//! Run: `cargo bench -p holdfast-benches --bench overlap_index`

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use rusqlite::{Connection, params};

const RESOURCES: i64 = 1_000;
const PER_RESOURCE: i64 = 1_000;
const HOUR: i64 = 3_600; // seconds: keeps R*Tree's float32 boxes close to exact

fn build() -> Connection {
    let conn = Connection::open_in_memory().expect("memory db");
    conn.execute_batch(
        "CREATE TABLE b (id INTEGER PRIMARY KEY, resource INTEGER NOT NULL, start INTEGER NOT NULL,
                         end INTEGER NOT NULL);
         CREATE INDEX b_by_start ON b (resource, start);
         CREATE VIRTUAL TABLE b_rtree USING rtree(id, r0, r1, s0, s1);
         CREATE TABLE stats (resource INTEGER PRIMARY KEY, max_len INTEGER NOT NULL);",
    )
    .expect("schema");
    let tx = conn.unchecked_transaction().expect("tx");
    {
        let mut insert = tx.prepare("INSERT INTO b (resource, start, end) VALUES (?1, ?2, ?3)").expect("stmt");
        let mut rtree = tx.prepare("INSERT INTO b_rtree VALUES (?1, ?2, ?2, ?3, ?4)").expect("stmt");
        for r in 0..RESOURCES {
            for k in 0..PER_RESOURCE {
                // Mixed lengths, 1 to 8 hours, one every 6 hours on average.
                let start = k * 6 * HOUR;
                let end = start + (1 + (k * 7 + r) % 8) * HOUR;
                insert.execute(params![r, start, end]).expect("insert");
                let id = tx.last_insert_rowid();
                rtree.execute(params![id, r, start, end]).expect("rtree");
            }
        }
        // Resource 1 also carries one year-long booking: the bounded-length
        // trick's worst case, since its scan now reaches back a year.
        insert.execute(params![1, 0, 366 * 24 * HOUR]).expect("long");
        let id = tx.last_insert_rowid();
        rtree.execute(params![id, 1, 0, 366 * 24 * HOUR]).expect("rtree long");
        tx.execute_batch("INSERT INTO stats SELECT resource, MAX(end - start) FROM b GROUP BY resource; ANALYZE;")
            .expect("stats");
    }
    tx.commit().expect("commit");
    conn
}

fn bounded(conn: &Connection, resource: i64, qs: i64, qe: i64) -> usize {
    let mut stmt = conn
        .prepare_cached(
            "SELECT id FROM b WHERE resource = ?1 AND start < ?3
               AND start > ?2 - (SELECT max_len FROM stats WHERE resource = ?1) AND end > ?2",
        )
        .expect("stmt");
    stmt.query_map(params![resource, qs, qe], |r| r.get::<_, i64>(0)).expect("query").count()
}

fn rtree(conn: &Connection, resource: i64, qs: i64, qe: i64) -> usize {
    let mut stmt = conn
        .prepare_cached(
            "SELECT b.id FROM b_rtree JOIN b ON b.id = b_rtree.id
             WHERE b_rtree.r0 <= ?1 AND b_rtree.r1 >= ?1 AND b_rtree.s0 < ?3 AND b_rtree.s1 > ?2
               AND b.resource = ?1 AND b.start < ?3 AND b.end > ?2",
        )
        .expect("stmt");
    stmt.query_map(params![resource, qs, qe], |r| r.get::<_, i64>(0)).expect("query").count()
}

fn benches(c: &mut Criterion) {
    let conn = build();
    // A one-day window in the middle of history.
    let qs = PER_RESOURCE / 2 * 6 * HOUR;
    let qe = qs + 24 * HOUR;
    for (name, resource) in [("typical_resource", 500), ("resource_with_year_long_booking", 1)] {
        assert_eq!(bounded(&conn, resource, qs, qe), rtree(&conn, resource, qs, qe), "both find the same rows");
        let mut group = c.benchmark_group(format!("overlap_1m/{name}"));
        group.bench_function("bounded_length_btree", |b| b.iter(|| black_box(bounded(&conn, resource, qs, qe))));
        group.bench_function("rtree", |b| b.iter(|| black_box(rtree(&conn, resource, qs, qe))));
        group.finish();
    }
}

criterion_group!(overlap, benches);
criterion_main!(overlap);
