//! Pure capacity arithmetic: no clock, no I/O, no allocation beyond the
//! answer. The engine feeds it the blocking bookings of one resource and asks
//! whether one more fits; property tests check it against a naive model.
//!
//! A *footprint* is a booking's interval widened by its resource's buffers.
//! The invariant the engine keeps, for every resource and instant `t`:
//! `sum(quantity of blocking footprints covering t) <= capacity`.

use crate::model::{Interval, Timestamp};

/// What one booking occupies on its resource.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Slot {
    /// The booking's interval widened by the resource's buffers.
    pub footprint: Interval,
    /// Capacity units taken.
    pub quantity: u32,
}

/// The footprint of `interval` on a resource with the given buffers.
pub fn footprint(interval: Interval, buffer_before_us: i64, buffer_after_us: i64) -> Interval {
    interval.widen(buffer_before_us, buffer_after_us)
}

/// The raw-interval window that contains every booking whose footprint can
/// overlap `footprint` on a resource with these buffers: a booking `[s, e)`
/// has footprint `[s - before, e + after)`, which overlaps `[fs, fe)` iff
/// `s < fe + before` and `e > fs - after`.
pub fn candidate_window(footprint: Interval, buffer_before_us: i64, buffer_after_us: i64) -> Interval {
    footprint.widen(buffer_after_us, buffer_before_us)
}

/// Usage change points: `(instant, +q or -q)` sorted so that, at equal
/// instants, releases come before takes (intervals are half-open).
fn edges(slots: impl Iterator<Item = Slot>) -> Vec<(Timestamp, i64)> {
    let mut edges: Vec<(Timestamp, i64)> = slots
        .flat_map(|s| {
            let q = i64::from(s.quantity);
            [(s.footprint.start, q), (s.footprint.end, -q)]
        })
        .collect();
    edges.sort_unstable();
    edges
}

/// The largest total quantity covering any single instant.
pub fn peak_usage(slots: &[Slot]) -> u64 {
    let mut usage: i64 = 0;
    let mut peak: i64 = 0;
    for (_, delta) in edges(slots.iter().copied()) {
        usage += delta;
        peak = peak.max(usage);
    }
    u64::try_from(peak).unwrap_or(0)
}

/// The maximal intervals where the total quantity exceeds `capacity`,
/// sorted and disjoint.
pub fn over_capacity(slots: &[Slot], capacity: u32) -> Vec<Interval> {
    let capacity = i64::from(capacity);
    let edges = edges(slots.iter().copied());
    let mut segments: Vec<Interval> = Vec::new();
    let mut usage: i64 = 0;
    let mut i = 0;
    while i < edges.len() {
        let at = edges[i].0;
        // Apply every change at this instant before judging it.
        while i < edges.len() && edges[i].0 == at {
            usage += edges[i].1;
            i += 1;
        }
        let next = edges.get(i).map(|e| e.0);
        if usage > capacity
            && let Some(next) = next
        {
            match segments.last_mut() {
                Some(last) if last.end == at => last.end = next,
                _ => segments.push(Interval { start: at, end: next }),
            }
        }
    }
    segments
}

/// Whether `candidate` fits beside `existing` within `capacity`. On `Err`,
/// the indexes (into `existing`) of every slot that shares an over-capacity
/// instant with the candidate, in ascending order.
pub fn check_fit(existing: &[Slot], candidate: Slot, capacity: u32) -> Result<(), Vec<usize>> {
    if candidate.quantity > capacity {
        // Nothing else needs to be there for it not to fit.
        let all: Vec<usize> =
            (0..existing.len()).filter(|&i| existing[i].footprint.overlaps(candidate.footprint)).collect();
        return Err(all);
    }
    // Only what overlaps the candidate matters, clipped to it.
    let clipped: Vec<Slot> = existing
        .iter()
        .filter(|s| s.footprint.overlaps(candidate.footprint))
        .map(|s| Slot {
            footprint: Interval {
                start: s.footprint.start.max(candidate.footprint.start),
                end: s.footprint.end.min(candidate.footprint.end),
            },
            quantity: s.quantity,
        })
        .chain(std::iter::once(candidate))
        .collect();
    let hot = over_capacity(&clipped, capacity);
    if hot.is_empty() {
        return Ok(());
    }
    let blocking: Vec<usize> = (0..existing.len()).filter(|&i| overlaps_any(&hot, existing[i].footprint)).collect();
    Err(blocking)
}

/// Whether `interval` overlaps any of the sorted, disjoint `segments`.
fn overlaps_any(segments: &[Interval], interval: Interval) -> bool {
    // First segment that ends after the interval starts; overlap iff it
    // also starts before the interval ends.
    let first = segments.partition_point(|s| s.end <= interval.start);
    segments.get(first).is_some_and(|s| s.start < interval.end)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn slot(start: i64, end: i64, quantity: u32) -> Slot {
        Slot {
            footprint: Interval { start: Timestamp::from_micros(start), end: Timestamp::from_micros(end) },
            quantity,
        }
    }

    #[test]
    fn back_to_back_bookings_fit_an_exclusive_resource() {
        let existing = [slot(0, 10, 1), slot(20, 30, 1)];
        assert_eq!(check_fit(&existing, slot(10, 20, 1), 1), Ok(()));
    }

    #[test]
    fn overlap_names_only_the_bookings_at_the_full_instants() {
        // Capacity 2: [0,10) q1 and [5,15) q1 fill [5,10); [12,20) q1 does not.
        let existing = [slot(0, 10, 1), slot(5, 15, 1), slot(12, 20, 1)];
        assert_eq!(check_fit(&existing, slot(8, 11, 1), 2), Err(vec![0, 1]));
        assert_eq!(check_fit(&existing, slot(15, 16, 1), 2), Ok(()));
    }

    #[test]
    fn quantity_above_capacity_never_fits() {
        assert_eq!(check_fit(&[], slot(0, 1, 3), 2), Err(vec![]));
    }

    #[test]
    fn over_capacity_merges_adjacent_segments() {
        let slots = [slot(0, 10, 2), slot(0, 5, 1), slot(5, 10, 1)];
        assert_eq!(over_capacity(&slots, 2), vec![slot(0, 10, 0).footprint]);
        assert_eq!(peak_usage(&slots), 3);
    }

    #[test]
    fn candidate_window_covers_buffered_neighbours() {
        // Buffers 2 before, 3 after. A booking [10,20) has footprint [8,23).
        let fp = footprint(slot(30, 40, 1).footprint, 2, 3); // [28, 43)
        let window = candidate_window(fp, 2, 3); // raw bookings in [25, 45) can touch it
        assert_eq!(window, slot(25, 45, 0).footprint);
        let touching = footprint(slot(20, 26, 1).footprint, 2, 3); // [18, 29)
        assert!(touching.overlaps(fp));
    }
}
