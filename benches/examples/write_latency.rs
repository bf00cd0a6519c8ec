//! Creates on a copy of a core dataset, with throughput and the latency
//! each caller saw: the figures behind "Writes at 1M: where the time goes"
//! in `benches/RESULTS.md`.
//!
//!     cargo build --release -p holdfast-benches --example write_latency
//!     target/release/examples/write_latency 1m 32 20000 full
//!
//! `SIZE CALLERS CREATES full|normal`: CALLERS threads share one engine on
//! a fresh copy of the `SIZE` (10k or 1m) dataset of `benches/benches/core.rs`
//! (built on first use) and create CREATES confirmed bookings in free slots
//! between them; every create must succeed. Prints creates/s, the store
//! transactions they shared, and p50 / p99 / p99.9 / max latency.

use std::sync::Mutex;
use std::time::{Duration, Instant};

use holdfast::{Durability, Engine};
use holdfast_benches::ScratchCopy;
use holdfast_benches::core_dataset::{self, Size, TENANT, free_slot};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let usage = "usage: write_latency 10k|1m CALLERS CREATES full|normal";
    let size = match args.first().map(String::as_str) {
        Some("10k") => Size::TenK,
        Some("1m") => Size::OneM,
        _ => panic!("{usage}"),
    };
    let number = |i: usize| -> usize { args.get(i).and_then(|s| s.parse().ok()).unwrap_or_else(|| panic!("{usage}")) };
    let (callers, creates) = (number(1).max(1), number(2));
    let durability: Durability = args.get(3).map_or("full", String::as_str).parse().expect(usage);

    let copy = ScratchCopy::new(&core_dataset::dataset(size));
    copy.reset();
    let engine = Engine::builder()
        .url(copy.url())
        .durability(durability)
        .pool_size(callers as u32 + 2)
        .open()
        .expect("open the copy");
    let tenant = engine.tenant(TENANT).expect("bench tenant");
    tenant.create_booking(free_slot(0)).expect("untimed warm-up create");
    let batches_before = engine.write_stats().batches;

    let per_caller = creates / callers;
    let latencies = Mutex::new(Vec::with_capacity(creates));
    let started = Instant::now();
    std::thread::scope(|scope| {
        for caller in 0..callers {
            let tenant = tenant.clone();
            let latencies = &latencies;
            scope.spawn(move || {
                let mut mine = Vec::with_capacity(per_caller);
                for i in 0..per_caller {
                    let call = Instant::now();
                    tenant.create_booking(free_slot(1 + caller + i * callers)).expect("a create in a free slot");
                    mine.push(call.elapsed());
                }
                latencies.lock().expect("latencies").extend(mine);
            });
        }
    });
    let elapsed = started.elapsed().as_secs_f64();
    let mut latencies = latencies.into_inner().expect("latencies");
    latencies.sort();
    let at = |q: f64| latencies[((latencies.len() as f64 * q) as usize).min(latencies.len() - 1)];
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    println!(
        "{} {callers} callers {}: {:.0} creates/s in {} transactions; latency p50 {:.1} ms, p99 {:.1} ms, \
         p99.9 {:.1} ms, max {:.1} ms",
        size.label(),
        durability.as_str(),
        latencies.len() as f64 / elapsed,
        engine.write_stats().batches - batches_before,
        ms(at(0.5)),
        ms(at(0.99)),
        ms(at(0.999)),
        ms(latencies[latencies.len() - 1]),
    );
}
