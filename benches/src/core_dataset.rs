//! The core bench's data, at two sizes.
//!
//! 1,000 resources (`artist-0000` ... `artist-0999`, tagged `artist`,
//! capacity 1, default hours: open around the clock), each with one 4-hour
//! booking per 3-day period (1 in 7 pencilled, the rest confirmed):
//! - `1m`: periods 0-999 (2027-01-04 to 2035-03), 1,000,000 bookings;
//! - `10k`: periods 500-509 only, 10,000 bookings.
//!
//! Both hold periods 500-509, where the measured read windows lie, so a
//! read returns the same rows at both sizes and only the store around them
//! grows. Writes go to free slots in the gaps of every period (see
//! [`free_slot`]): between existing bookings at 1M, in empty time at 10k.

use std::ops::Range;
use std::time::Instant;

use holdfast::{Durability, Engine, NewBooking, NewResource, Status, Timestamp, limits};

use crate::cached_dataset;

pub const TENANT: &str = "bench";
pub const RESOURCES: usize = 1_000;
pub const TAG: &str = "artist";
/// Periods the 1M dataset spans; free slots exist in all of them.
pub const PERIODS: usize = 1_000;
/// The measured windows start at this period (30 days = 10 periods).
pub const WINDOW_PERIOD: usize = 500;
/// Bump when the shape changes: the file name carries it.
const VERSION: u32 = 3;

pub const HOUR_US: i64 = 3_600_000_000;
pub const DAY_US: i64 = 24 * HOUR_US;
const PERIOD_US: i64 = 72 * HOUR_US;
const BOOKING_US: i64 = 4 * HOUR_US;
/// 2027-01-04T00:00:00Z, a Monday: period 0 starts here.
pub const FIRST_PERIOD_START_US: i64 = 1_799_020_800_000_000;
/// Free slots per resource and period: 4 h at hours 12, 20, ..., 60,
/// clear of the period's booking (which lies within hours 0-12).
const FREE_SLOTS_PER_PERIOD: usize = 7;
/// Writes one copy of a dataset can take before [`free_slot`] runs out.
pub const FREE_SLOTS: usize = RESOURCES * PERIODS * FREE_SLOTS_PER_PERIOD;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Size {
    TenK,
    OneM,
}

impl Size {
    /// As in benchmark ids and `HOLDFAST_BENCH_SIZES`.
    pub fn label(self) -> &'static str {
        match self {
            Size::TenK => "10k",
            Size::OneM => "1m",
        }
    }

    pub fn bookings(self) -> usize {
        RESOURCES * self.periods().len()
    }

    fn periods(self) -> Range<usize> {
        match self {
            Size::TenK => WINDOW_PERIOD..WINDOW_PERIOD + 10,
            Size::OneM => 0..PERIODS,
        }
    }

    /// Parses `10k`, `1m` or a comma-separated list of them.
    pub fn parse_list(text: &str) -> Vec<Size> {
        text.split(',')
            .map(str::trim)
            .filter(|label| !label.is_empty())
            .map(|label| match label.to_ascii_lowercase().as_str() {
                "10k" => Size::TenK,
                "1m" => Size::OneM,
                other => panic!("HOLDFAST_BENCH_SIZES: unknown size {other:?} (expected 10k, 1m or 10k,1m)"),
            })
            .collect()
    }
}

pub fn resource_id(r: usize) -> String {
    format!("artist-{r:04}")
}

pub fn period_start(k: usize) -> Timestamp {
    Timestamp::from_micros(FIRST_PERIOD_START_US + k as i64 * PERIOD_US)
}

/// Resource `r`'s booking in period `k`: 4 h from hour `r % 8` of the
/// period, so resources do not all start at the same instant.
pub fn history_slot(r: usize, k: usize) -> (Timestamp, Timestamp) {
    let start = period_start(k).as_micros() + (r % 8) as i64 * HOUR_US;
    (Timestamp::from_micros(start), Timestamp::from_micros(start + BOOKING_US))
}

/// The `n`th free slot of a dataset as a confirmed booking: consecutive
/// `n` go round the resources first (so concurrent callers rarely share
/// one), then through the periods, then to the next slot of each period.
/// Every `n` below [`FREE_SLOTS`] gives a distinct slot that fits.
pub fn free_slot(n: usize) -> NewBooking {
    assert!(n < FREE_SLOTS, "out of free slots: {n} writes on one copy of the dataset (at most {FREE_SLOTS})");
    let r = n % RESOURCES;
    let k = n / RESOURCES % PERIODS;
    let slot = n / (RESOURCES * PERIODS);
    let start = period_start(k).as_micros() + (12 + 8 * slot as i64) * HOUR_US;
    NewBooking {
        resource_id: resource_id(r),
        start: Timestamp::from_micros(start),
        end: Timestamp::from_micros(start + BOOKING_US),
        status: Status::Confirmed,
        ..Default::default()
    }
}

/// The dataset's file, built on first use (~1-2 min for 1M).
pub fn dataset(size: Size) -> std::path::PathBuf {
    cached_dataset(&format!("core-v{VERSION}-{}.db", size.label()), |url| build(size, url))
}

fn build(size: Size, url: &str) {
    // NORMAL durability only speeds up the build; the file is the same.
    let engine = Engine::builder()
        .url(url)
        .durability(Durability::Normal)
        .cache_entries(0)
        .open()
        .expect("open the dataset file");
    engine.create_tenant(TENANT, "Benchmark studio").expect("create the bench tenant");
    let tenant = engine.tenant(TENANT).expect("bench tenant");
    for r in 0..RESOURCES {
        tenant
            .create_resource(NewResource {
                id: Some(resource_id(r)),
                name: format!("Artist {r}"),
                kind: "artist".into(),
                tags: vec![TAG.into()],
                ..Default::default()
            })
            .expect("create a resource");
    }
    // In time order, as bookings arrive in a live system: a batch holds
    // whole periods of every resource, so rows of one resource are spread
    // over the file rather than stored side by side.
    let periods_per_batch = limits::BATCH_SIZE_MAX / RESOURCES;
    let started = Instant::now();
    for first in size.periods().step_by(periods_per_batch) {
        let periods = first..(first + periods_per_batch).min(size.periods().end);
        let batch: Vec<NewBooking> = periods
            .flat_map(|k| (0..RESOURCES).map(move |r| (r, k)))
            .map(|(r, k)| {
                let (start, end) = history_slot(r, k);
                NewBooking {
                    resource_id: resource_id(r),
                    start,
                    end,
                    status: if k % 7 == 0 { Status::Pencil } else { Status::Confirmed },
                    ..Default::default()
                }
            })
            .collect();
        tenant.create_bookings(batch).expect("create a batch of the dataset");
    }
    let secs = started.elapsed().as_secs_f64();
    let total = size.bookings();
    println!(
        "built the {} dataset: {total} bookings in {secs:.1} s ({:.0} bookings/s through create_bookings)",
        size.label(),
        total as f64 / secs
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_period_starts_on_monday_2027_01_04() {
        assert_eq!(period_start(0), Timestamp::parse("2027-01-04T00:00:00Z").expect("RFC 3339"));
    }

    #[test]
    fn free_slots_are_distinct_and_clear_of_the_history() {
        let mut seen = std::collections::HashSet::new();
        for n in (0..FREE_SLOTS).step_by(997).chain([FREE_SLOTS - 1]) {
            let slot = free_slot(n);
            assert!(seen.insert((slot.resource_id.clone(), slot.start)), "slot {n} repeats");
            let r: usize = slot.resource_id["artist-".len()..].parse().expect("resource number");
            let k = ((slot.start.as_micros() - FIRST_PERIOD_START_US) / PERIOD_US) as usize;
            let (start, end) = history_slot(r, k);
            assert!(slot.end <= period_start(k + 1), "slot {n} leaves its period");
            assert!(slot.start >= end || slot.end <= start, "slot {n} overlaps the history");
        }
    }
}
