//! Runs one operation in a loop on several client threads for a bounded
//! time and counts what happened.

use std::sync::atomic::{AtomicBool, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use super::Result;

/// What a timed run measured.
#[derive(Debug, Clone, Default)]
pub struct Load {
    /// Operations begun after the warm-up (the ones timed).
    pub ops: u64,
    /// From the end of the warm-up to the last thread's finish.
    pub elapsed: Duration,
    /// Every timed operation's latency, sorted.
    pub latencies: Vec<Duration>,
    /// Operations per caller, warm-up included (what verification expects
    /// to find in the store).
    pub ops_by_caller: Vec<u64>,
}

impl Load {
    pub fn per_second(&self) -> f64 {
        self.ops as f64 / self.elapsed.as_secs_f64()
    }

    /// The `p`-quantile latency (0.5 = median), zero when nothing was timed.
    pub fn latency(&self, p: f64) -> Duration {
        let last = self.latencies.len().saturating_sub(1);
        let i = ((self.latencies.len() as f64 * p) as usize).min(last);
        self.latencies.get(i).copied().unwrap_or_default()
    }
}

/// Runs `op(caller_state, caller_index, n)` with n = 0, 1, 2, ... on one
/// thread per entry of `callers`: first for `warm_up` (connections warm,
/// statements prepared, not timed), then for `run_for`. An operation that
/// fails stops every thread and is the result.
pub fn timed<C: Send>(
    callers: Vec<C>,
    warm_up: Duration,
    run_for: Duration,
    op: impl Fn(&mut C, usize, u64) -> Result<()> + Sync,
) -> Result<Load> {
    let stop = AtomicBool::new(false);
    let measuring = AtomicBool::new(false);
    let callers_count = callers.len();
    let (outcomes, started) = thread::scope(|scope| {
        let (stop, measuring, op) = (&stop, &measuring, &op);
        let handles: Vec<_> = callers
            .into_iter()
            .enumerate()
            .map(|(index, mut state)| {
                scope.spawn(move || -> Result<(Vec<Duration>, u64)> {
                    let mut latencies = Vec::new();
                    let mut n = 0;
                    while !stop.load(Ordering::Relaxed) {
                        let timed = measuring.load(Ordering::Relaxed);
                        let began = Instant::now();
                        let done = op(&mut state, index, n);
                        n += 1;
                        if let Err(e) = done {
                            stop.store(true, Ordering::Relaxed);
                            return Err(e);
                        }
                        if timed {
                            latencies.push(began.elapsed());
                        }
                    }
                    Ok((latencies, n))
                })
            })
            .collect();
        sleep_unless(stop, warm_up);
        measuring.store(true, Ordering::Relaxed);
        let started = Instant::now();
        sleep_unless(stop, run_for);
        stop.store(true, Ordering::Relaxed);
        let outcomes: Vec<_> =
            handles.into_iter().map(|h| h.join().unwrap_or_else(|_| Err("a client thread panicked".into()))).collect();
        (outcomes, started)
    });
    let elapsed = started.elapsed();
    let mut load = Load { elapsed, ops_by_caller: Vec::with_capacity(callers_count), ..Load::default() };
    for outcome in outcomes {
        let (latencies, n) = outcome?;
        load.latencies.extend(latencies);
        load.ops_by_caller.push(n);
    }
    load.latencies.sort_unstable();
    load.ops = load.latencies.len() as u64;
    Ok(load)
}

/// Sleeps for `span`, waking early once `stop` is set (a thread failed).
fn sleep_unless(stop: &AtomicBool, span: Duration) {
    let until = Instant::now() + span;
    while !stop.load(Ordering::Relaxed) {
        let now = Instant::now();
        if now >= until {
            break;
        }
        thread::sleep((until - now).min(Duration::from_millis(20)));
    }
}
