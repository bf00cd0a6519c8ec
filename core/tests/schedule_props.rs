//! Property tests of `holdfast::schedule` against a naive model.
//!
//! The model never sweeps: it evaluates usage (the sum of quantities of the
//! slots covering an instant) at every boundary instant, i.e. every start and
//! end of every slot involved. Usage is constant between two consecutive
//! boundaries, so judging each elementary piece `[p_i, p_{i+1})` at `p_i`
//! judges every instant.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use holdfast::schedule::{Slot, candidate_window, check_fit, footprint, over_capacity, peak_usage};
use holdfast::{Interval, Timestamp};
use proptest::prelude::*;

// ---- the naive model ----

fn interval(start: i64, end: i64) -> Interval {
    Interval { start: Timestamp::from_micros(start), end: Timestamp::from_micros(end) }
}

fn slot(start: i64, end: i64, quantity: u32) -> Slot {
    Slot { footprint: interval(start, end), quantity }
}

/// Sum of the quantities of the slots covering `at`.
fn usage_at(slots: &[Slot], at: Timestamp) -> u64 {
    slots.iter().filter(|s| s.footprint.contains(at)).map(|s| u64::from(s.quantity)).sum()
}

/// Every start and end, sorted, without repeats.
fn boundaries(slots: &[Slot]) -> Vec<Timestamp> {
    let mut points: Vec<Timestamp> = slots.iter().flat_map(|s| [s.footprint.start, s.footprint.end]).collect();
    points.sort_unstable();
    points.dedup();
    points
}

fn naive_peak(slots: &[Slot]) -> u64 {
    boundaries(slots).into_iter().map(|p| usage_at(slots, p)).max().unwrap_or(0)
}

/// The instants of `candidate` at which usage changes (its start and every
/// boundary strictly inside it): the starts of its elementary pieces.
fn piece_starts_inside(existing: &[Slot], candidate: Slot) -> Vec<Timestamp> {
    let mut all = existing.to_vec();
    all.push(candidate);
    boundaries(&all).into_iter().filter(|&p| candidate.footprint.contains(p)).collect()
}

/// What `check_fit` should answer, computed instant by instant.
fn naive_check_fit(existing: &[Slot], candidate: Slot, capacity: u32) -> Result<(), Vec<usize>> {
    let hot: Vec<Timestamp> = piece_starts_inside(existing, candidate)
        .into_iter()
        .filter(|&p| usage_at(existing, p) + u64::from(candidate.quantity) > u64::from(capacity))
        .collect();
    if hot.is_empty() {
        return Ok(());
    }
    // A slot shares an over-capacity piece with the candidate iff it covers
    // the piece's start (its own ends are boundaries, so it covers the piece
    // whole or not at all).
    Err((0..existing.len()).filter(|&i| hot.iter().any(|&p| existing[i].footprint.contains(p))).collect())
}

// ---- generators ----

/// Capacities 1..=10_000, mostly small, with both extremes common.
fn capacity() -> impl Strategy<Value = u32> {
    prop_oneof![
        6 => 1u32..=5,
        2 => 6u32..=100,
        1 => 101u32..=10_000,
        1 => Just(1u32),
        1 => Just(10_000u32),
    ]
}

/// Quantities relative to `capacity`: near it, tiny, anywhere, and a little
/// over it (an existing schedule may already be over capacity).
fn quantity(capacity: u32) -> impl Strategy<Value = u32> {
    prop_oneof![
        3 => capacity.saturating_sub(2).max(1)..=capacity,
        2 => 1u32..=capacity.min(3),
        2 => 1u32..=capacity,
        1 => Just(capacity),
        1 => (capacity + 1)..=(capacity + 2),
    ]
}

/// A non-empty `[start, end)`, mostly inside 0..200 so that counter-examples
/// stay readable: short, medium, very long, on a coarse grid (so endpoints
/// touch and intervals repeat), and rarely astronomically long.
fn span() -> impl Strategy<Value = (i64, i64)> {
    prop_oneof![
        4 => (0i64..200, 1i64..=5).prop_map(|(s, len)| (s, s + len)),
        3 => (0i64..200, 1i64..=60).prop_map(|(s, len)| (s, s + len)),
        3 => (0i64..=10, 1i64..=4).prop_map(|(s, len)| (s * 20, s * 20 + len * 20)),
        2 => (0i64..40, 120i64..=200).prop_map(|(s, len)| (s, s + len)),
        1 => (-1_000_000_000_000i64..=0, 200i64..=1_000_000_000_000).prop_map(|(s, e)| (s, e)),
    ]
}

/// Up to `max` slots; about one in five copies the interval of an earlier
/// slot so that identical intervals are common.
fn slots(capacity: u32, max: usize) -> impl Strategy<Value = Vec<Slot>> {
    prop::collection::vec(
        (span(), quantity(capacity), prop::option::weighted(0.2, any::<prop::sample::Index>())),
        0..max,
    )
    .prop_map(|raw| {
        let mut out: Vec<Slot> = Vec::with_capacity(raw.len());
        for ((start, end), q, copy) in raw {
            let footprint = match copy {
                Some(index) if !out.is_empty() => out[index.index(out.len())].footprint,
                _ => interval(start, end),
            };
            out.push(Slot { footprint, quantity: q });
        }
        out
    })
}

/// How many slots a case draws: usually a handful, sometimes many.
fn slot_count_max() -> impl Strategy<Value = usize> {
    prop_oneof![3 => Just(8usize), 2 => Just(25usize), 1 => Just(80usize)]
}

fn schedule_case() -> impl Strategy<Value = (u32, Vec<Slot>)> {
    (capacity(), slot_count_max()).prop_flat_map(|(cap, max)| (Just(cap), slots(cap, max)))
}

fn fit_case() -> impl Strategy<Value = (u32, Vec<Slot>, Slot)> {
    (capacity(), slot_count_max()).prop_flat_map(|(cap, max)| {
        let candidate = (span(), quantity(cap)).prop_map(|((s, e), q)| slot(s, e, q));
        // Three times in ten, the candidate takes an existing slot's interval.
        (Just(cap), slots(cap, max), candidate, prop::option::weighted(0.3, any::<prop::sample::Index>())).prop_map(
            |(cap, existing, mut candidate, copy)| {
                if let Some(index) = copy
                    && !existing.is_empty()
                {
                    candidate.footprint = existing[index.index(existing.len())].footprint;
                }
                (cap, existing, candidate)
            },
        )
    })
}

// ---- properties ----

/// Cases per property: 4,000 in CI; `PROPTEST_CASES=60000` for a long run.
fn cases() -> u32 {
    std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(4_000)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(cases()))]

    #[test]
    fn peak_usage_is_the_largest_usage_at_any_instant((_cap, slots) in schedule_case()) {
        prop_assert_eq!(peak_usage(&slots), naive_peak(&slots));
    }

    #[test]
    fn over_capacity_is_exactly_the_overfull_instants((cap, slots) in schedule_case()) {
        let segments = over_capacity(&slots, cap);
        // Sorted, each non-empty, disjoint and not even touching (maximal).
        for s in &segments {
            prop_assert!(s.start < s.end, "empty segment {:?}", s);
        }
        for pair in segments.windows(2) {
            prop_assert!(pair[0].end < pair[1].start, "segments not sorted/disjoint/maximal: {:?}", pair);
        }
        // Every endpoint is a boundary: a maximal run of constant-over usage
        // can only start or stop where usage changes.
        let points = boundaries(&slots);
        for s in &segments {
            prop_assert!(points.binary_search(&s.start).is_ok(), "segment start {:?} is no boundary", s.start);
            prop_assert!(points.binary_search(&s.end).is_ok(), "segment end {:?} is no boundary", s.end);
        }
        // With endpoints on boundaries, each elementary piece is covered whole
        // or not at all; judge it at its start.
        for &p in &points {
            let over = usage_at(&slots, p) > u64::from(cap);
            let covered = segments.iter().any(|s| s.contains(p));
            prop_assert_eq!(covered, over, "at {:?}: usage {} vs capacity {}", p, usage_at(&slots, p), cap);
        }
        // Consistent with the peak.
        prop_assert_eq!(segments.is_empty(), peak_usage(&slots) <= u64::from(cap));
    }

    #[test]
    fn check_fit_agrees_with_the_instant_by_instant_model((cap, existing, candidate) in fit_case()) {
        let got = check_fit(&existing, candidate, cap);
        let want = naive_check_fit(&existing, candidate, cap);
        prop_assert_eq!(&got, &want, "existing {:?}, candidate {:?}, capacity {}", existing, candidate, cap);
        // Ok means the candidate can be added without any instant inside it
        // going over capacity (outside it, existing may be over already).
        if got.is_ok() {
            let mut after = existing.clone();
            after.push(candidate);
            for p in piece_starts_inside(&existing, candidate) {
                prop_assert!(usage_at(&after, p) <= u64::from(cap));
            }
        }
    }

    #[test]
    fn candidate_window_finds_exactly_the_bookings_whose_footprint_overlaps(
        (bs, be) in span(),
        (ws, we) in span(),
        before in prop_oneof![Just(0i64), 0i64..=30, Just(1_000_000i64)],
        after in prop_oneof![Just(0i64), 0i64..=30, Just(1_000_000i64)],
    ) {
        let booking = interval(bs, be);
        let fp = footprint(interval(ws, we), before, after);
        let window = candidate_window(fp, before, after);
        prop_assert_eq!(footprint(booking, before, after).overlaps(fp), booking.overlaps(window));
    }
}

// ---- hand-picked cases the generators make likely but not certain ----

#[test]
fn boundary_cases() {
    // Touching endpoints never add up.
    assert_eq!(peak_usage(&[slot(0, 10, 1), slot(10, 20, 1)]), 1);
    assert_eq!(over_capacity(&[slot(0, 10, 2), slot(10, 20, 2)], 1), vec![interval(0, 20)]);
    // Identical intervals do.
    assert_eq!(peak_usage(&[slot(5, 6, 3), slot(5, 6, 4)]), 7);
    // A schedule already over capacity elsewhere does not block a candidate
    // that avoids the overfull part, but names only the slots that share an
    // overfull instant with it when it does not fit.
    let existing = [slot(0, 10, 2), slot(0, 10, 2), slot(20, 30, 1), slot(25, 40, 1)];
    assert_eq!(check_fit(&existing, slot(10, 20, 3), 3), Ok(()));
    assert_eq!(check_fit(&existing, slot(10, 28, 2), 3), Err(vec![2, 3]));
    assert_eq!(check_fit(&existing, slot(5, 28, 1), 3), Err(vec![0, 1]));
    assert_eq!(naive_check_fit(&existing, slot(5, 28, 1), 3), Err(vec![0, 1]));
    // Capacity extremes.
    assert_eq!(check_fit(&[slot(0, 1, 10_000)], slot(0, 1, 1), 10_000), Err(vec![0]));
    assert_eq!(check_fit(&[slot(0, 1, 9_999)], slot(0, 1, 1), 10_000), Ok(()));
}
