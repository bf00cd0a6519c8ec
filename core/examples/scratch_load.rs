use holdfast::*;
use std::time::Instant;
fn main() {
    let threads: usize = std::env::args().nth(1).map(|s| s.parse().unwrap()).unwrap_or(32);
    let per: usize = std::env::args().nth(2).map(|s| s.parse().unwrap()).unwrap_or(500);
    let dur = std::env::args().nth(3).unwrap_or("full".into()).parse::<Durability>().unwrap();
    let dir = tempfile::tempdir_in("/work").unwrap();
    let url = format!("sqlite://{}/x.db", dir.path().display());
    let engine = Engine::builder().url(&url).durability(dur).open().unwrap();
    engine.create_tenant("t", "T").unwrap();
    let t = engine.tenant("t").unwrap();
    for r in 0..100 {
        t.create_resource(NewResource { id: Some(format!("r{r}")), name: "r".into(), ..Default::default() }).unwrap();
    }
    let s0 = engine.write_stats();
    let start = Instant::now();
    let hs: Vec<_> = (0..threads)
        .map(|i| {
            let t = t.clone();
            std::thread::spawn(move || {
                for k in 0..per {
                    let n = k * threads + i;
                    let h = (n / 100) as i64;
                    let st = Timestamp::from_micros(1_893_456_000_000_000 + h * 3_600_000_000);
                    t.create_booking(NewBooking {
                        resource_id: format!("r{}", n % 100),
                        start: st,
                        end: Timestamp::from_micros(st.as_micros() + 3_600_000_000),
                        status: Status::Confirmed,
                        ..Default::default()
                    })
                    .unwrap();
                }
            })
        })
        .collect();
    for h in hs {
        h.join().unwrap();
    }
    let el = start.elapsed().as_secs_f64();
    let s1 = engine.write_stats();
    println!(
        "{threads} threads x {per}: {:.0} creates/s, {} batches, avg batch {:.1}",
        (threads * per) as f64 / el,
        s1.batches - s0.batches,
        (s1.writes - s0.writes) as f64 / (s1.batches - s0.batches) as f64
    );
}
