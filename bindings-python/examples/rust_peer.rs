//! A Rust process beside Python, for the binding's tests and measurements
//! (`bindings-python/tests/test_multiprocess.py`, `scripts/bench.py`).
//!
//! `rust_peer write DB TENANT SLOTS RESOURCE[,RESOURCE...]` opens the SQLite
//! file, prints `ready`, waits for a line on stdin, then tries to book every
//! slot as `confirmed` with actor `rust`: slot `k` is one hour on resource
//! `k % n` starting `k / n` hours after 2030-01-07T00:00Z. It prints
//! `booked ID` per success and ends with `done ok=N conflict=M`.
//!
//! `rust_peer get-booking DB TENANT ID CALLS` times `get_booking` on a warm
//! engine and prints `ns_per_call=X`: the Rust side of the per-call overhead.
//!
//! `rust_peer list-bookings DB TENANT` walks every page of `list_bookings`
//! (1,000 a page) and prints `rows=N ms=X`: the Rust side of a full listing.

use std::io::{BufRead, Write};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use holdfast::{BookingFilter, Engine, Error, NewBooking, Status, Timestamp};

const HOUR_US: i64 = 3_600_000_000;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let outcome = match args.iter().map(String::as_str).collect::<Vec<_>>().as_slice() {
        ["write", db, tenant, slots, resources] => write(db, tenant, slots, resources),
        ["get-booking", db, tenant, id, calls] => get_booking(db, tenant, id, calls),
        ["list-bookings", db, tenant] => list_bookings(db, tenant),
        _ => Err("usage: rust_peer write DB TENANT SLOTS RESOURCES | get-booking DB TENANT ID CALLS \
                  | list-bookings DB TENANT"
            .into()),
    };
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("rust_peer: {message}");
            ExitCode::FAILURE
        }
    }
}

fn open(db: &str) -> Result<Engine, String> {
    Engine::builder()
        .url(format!("sqlite://{db}"))
        .busy_timeout(Duration::from_secs(30))
        .open()
        .map_err(|e| format!("open {db}: {e}"))
}

fn write(db: &str, tenant: &str, slots: &str, resources: &str) -> Result<(), String> {
    let slots: i64 = slots.parse().map_err(|_| format!("bad slot count {slots:?}"))?;
    let resources: Vec<&str> = resources.split(',').collect();
    let engine = open(db)?;
    let tenant = engine.tenant(tenant).and_then(|t| t.as_actor("rust")).map_err(|e| e.to_string())?;
    let base = Timestamp::parse("2030-01-07T00:00:00Z").map_err(|e| e.to_string())?;
    let mut out = std::io::stdout().lock();
    writeln!(out, "ready").and_then(|()| out.flush()).map_err(|e| e.to_string())?;
    let mut go = String::new();
    std::io::stdin().lock().read_line(&mut go).map_err(|e| e.to_string())?;
    let (mut ok, mut conflict) = (0, 0);
    for k in 0..slots {
        let n = resources.len() as i64;
        let start = Timestamp::from_micros(base.as_micros() + (k / n) * HOUR_US);
        let new = NewBooking {
            resource_id: resources[(k % n) as usize].into(),
            start,
            end: Timestamp::from_micros(start.as_micros() + HOUR_US),
            status: Status::Confirmed,
            title: Some(format!("rust slot {k}")),
            ..Default::default()
        };
        match tenant.create_booking(new) {
            Ok(booking) => {
                ok += 1;
                writeln!(out, "booked {}", booking.id).map_err(|e| e.to_string())?;
            }
            Err(Error::Conflict { .. }) => conflict += 1,
            Err(other) => return Err(format!("slot {k}: {other} ({})", other.code())),
        }
    }
    writeln!(out, "done ok={ok} conflict={conflict}").and_then(|()| out.flush()).map_err(|e| e.to_string())
}

fn get_booking(db: &str, tenant: &str, id: &str, calls: &str) -> Result<(), String> {
    let calls: u32 = calls.parse().map_err(|_| format!("bad call count {calls:?}"))?;
    let engine = open(db)?;
    let tenant = engine.tenant(tenant).map_err(|e| e.to_string())?;
    for _ in 0..calls.min(1_000) {
        tenant.get_booking(id).map_err(|e| e.to_string())?; // warm up
    }
    let started = Instant::now();
    for _ in 0..calls {
        std::hint::black_box(tenant.get_booking(std::hint::black_box(id)).map_err(|e| e.to_string())?);
    }
    let ns = started.elapsed().as_nanos() / u128::from(calls.max(1));
    println!("ns_per_call={ns}");
    Ok(())
}

fn list_bookings(db: &str, tenant: &str) -> Result<(), String> {
    let engine = open(db)?;
    let tenant = engine.tenant(tenant).map_err(|e| e.to_string())?;
    let started = Instant::now();
    let mut filter = BookingFilter { limit: Some(holdfast::limits::PAGE_SIZE_MAX), ..Default::default() };
    let mut rows = 0;
    loop {
        let page = tenant.list_bookings(&filter).map_err(|e| e.to_string())?;
        rows += std::hint::black_box(page.items).len();
        match page.next_cursor {
            Some(cursor) => filter.cursor = Some(cursor),
            None => break,
        }
    }
    println!("rows={rows} ms={:.1}", started.elapsed().as_secs_f64() * 1e3);
    Ok(())
}
