//! Pure capacity arithmetic: no clock, no I/O. The engine feeds it the
//! blocking bookings of one resource (and, for reads, its working hours) and
//! asks whether one more fits, why not, what is free, and where the earliest
//! slots are; property tests check it against naive models.
//!
//! A *footprint* is a booking's interval widened by its resource's buffers.
//! The invariant the engine keeps, for every resource and instant `t`:
//! `sum(quantity of blocking footprints covering t) <= capacity`.

use crate::error::ConflictingBooking;
use crate::model::availability::{Expansion, SlotLength, clip, merge, uncovered};
use crate::model::{
    AvailabilityCheck, Booking, BusyInterval, DstKind, FoundSlot, FreeBusy, Interval, LocalTime, Policy, Reason,
    Resource, Status, Timestamp,
};

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

/// A capacity-consuming booking as searches see it: what the read cache
/// keeps per resource instead of whole bookings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Blocker {
    pub id: String,
    pub status: Status,
    pub interval: Interval,
    pub quantity: u32,
    pub hold_expires_at: Option<Timestamp>,
}

impl Blocker {
    pub fn of(booking: &Booking) -> Blocker {
        Blocker {
            id: booking.id.clone(),
            status: booking.status,
            interval: booking.interval(),
            quantity: booking.quantity,
            hold_expires_at: booking.hold_expires_at,
        }
    }

    /// Whether it consumes capacity at `now` (a hold until it expires).
    pub fn blocks_at(&self, now: Timestamp) -> bool {
        match self.status {
            Status::Hold => self.hold_expires_at.is_some_and(|at| at > now),
            other => other.consumes_capacity(),
        }
    }

    fn conflicting(&self, resource_id: &str) -> ConflictingBooking {
        ConflictingBooking {
            id: self.id.clone(),
            resource_id: resource_id.to_owned(),
            status: self.status,
            interval: self.interval,
            quantity: self.quantity,
        }
    }
}

/// What a read knows about one resource: its row, its rules expanded over
/// (at least) the asked window, and the bookings blocking it at the read's
/// instant whose footprints can reach that window.
#[derive(Debug, Clone, Copy)]
pub struct ResourceView<'a> {
    pub resource: &'a Resource,
    pub policy: Policy,
    pub hours: &'a Expansion,
    pub blockers: &'a [Blocker],
}

impl ResourceView<'_> {
    fn slots(&self) -> Vec<Slot> {
        let (before, after) = self.resource.buffers_us();
        self.blockers
            .iter()
            .map(|b| Slot { footprint: footprint(b.interval, before, after), quantity: b.quantity })
            .collect()
    }
}

/// Every reason `interval` is not available for `quantity` units; none
/// means available.
pub fn explain(view: &ResourceView<'_>, interval: Interval, quantity: u32) -> AvailabilityCheck {
    let resource = view.resource;
    let mut reasons = Vec::new();
    if !resource.active {
        reasons.push(Reason::Inactive);
    }
    if quantity > resource.capacity {
        reasons.push(Reason::QuantityAboveCapacity { quantity, capacity: resource.capacity });
    } else {
        let (before, after) = resource.buffers_us();
        let candidate = Slot { footprint: footprint(interval, before, after), quantity };
        if let Err(indexes) = check_fit(&view.slots(), candidate, resource.capacity) {
            reasons.extend(indexes.into_iter().map(|i| Reason::Conflict(view.blockers[i].conflicting(&resource.id))));
        }
    }
    reasons.extend(hours_reasons(view.hours, interval));
    let available = reasons.is_empty();
    let bookable = reasons.iter().all(|r| r.is_about_hours() && view.policy == Policy::Advisory);
    AvailabilityCheck {
        resource_id: resource.id.clone(),
        interval,
        quantity,
        policy: view.policy,
        available,
        bookable,
        reasons,
    }
}

/// The hours reasons alone: parts outside hours, the closed dates and the
/// DST gaps next to them. Empty when hours cover `interval`.
pub fn hours_reasons(hours: &Expansion, interval: Interval) -> Vec<Reason> {
    let outside = uncovered(interval, &hours.hours_within(interval));
    if outside.is_empty() {
        return Vec::new();
    }
    let touches = |start: Timestamp, end: Timestamp| outside.iter().any(|p| start <= p.end && p.start <= end);
    let mut reasons = Vec::new();
    for (date, day) in &hours.closed {
        if outside.iter().any(|p| p.overlaps(*day)) {
            reasons.push(Reason::ClosedOverride { date: *date });
        }
    }
    let mut gaps: Vec<(chrono::NaiveDate, LocalTime, Timestamp)> = hours
        .adjustments
        .iter()
        .filter(|a| a.kind == DstKind::Gap)
        .filter(|a| touches(a.shift.start.min(a.resolved_to), a.shift.end.max(a.resolved_to)))
        .map(|a| (a.date, a.local_time, a.resolved_to))
        .collect();
    gaps.sort_unstable();
    gaps.dedup();
    reasons.extend(gaps.into_iter().map(|(date, local_time, resolved_to)| Reason::DstGap {
        date,
        local_time,
        resolved_to,
    }));
    reasons.insert(0, Reason::OutsideHours { intervals: outside });
    reasons
}

/// The resource's schedule over `window`.
pub fn free_busy(view: &ResourceView<'_>, window: Interval) -> FreeBusy {
    let slots = view.slots();
    let mut busy: Vec<BusyInterval> = view
        .blockers
        .iter()
        .zip(&slots)
        .filter_map(|(b, s)| {
            clip(s.footprint, window).map(|at| BusyInterval {
                start: at.start,
                end: at.end,
                booking_id: b.id.clone(),
                status: b.status,
                quantity: b.quantity,
            })
        })
        .collect();
    busy.sort_by(|x, y| (x.start, &x.booking_id).cmp(&(y.start, &y.booking_id)));
    let hours = view.hours.hours_within(window);
    let free = intersect(&hours, &room(&slots, view.resource.capacity, 1, window));
    FreeBusy { resource_id: view.resource.id.clone(), capacity: view.resource.capacity, busy, hours, free }
}

/// Maximal intervals within `range` where `quantity` more units fit.
pub fn room(slots: &[Slot], capacity: u32, quantity: u32, range: Interval) -> Vec<Interval> {
    if quantity > capacity {
        return Vec::new();
    }
    let clipped: Vec<Slot> = slots
        .iter()
        .filter_map(|s| clip(s.footprint, range).map(|footprint| Slot { footprint, quantity: s.quantity }))
        .collect();
    uncovered(range, &over_capacity(&clipped, capacity - quantity))
}

/// The intersection of two sorted, disjoint interval lists.
pub fn intersect(a: &[Interval], b: &[Interval]) -> Vec<Interval> {
    let (mut i, mut j) = (0, 0);
    let mut out = Vec::new();
    while i < a.len() && j < b.len() {
        if let Some(both) = clip(a[i], b[j]) {
            out.push(both);
        }
        if a[i].end < b[j].end {
            i += 1;
        } else {
            j += 1;
        }
    }
    out
}

/// The earliest `limit` slots of `length` for `quantity` units within
/// `window`: inside working hours, their footprints (buffers included)
/// fitting beside the blockers.
pub fn find_slots(
    view: &ResourceView<'_>,
    window: Interval,
    length: SlotLength,
    quantity: u32,
    limit: usize,
) -> Vec<FoundSlot> {
    let resource = view.resource;
    if !resource.active || quantity > resource.capacity || limit == 0 {
        return Vec::new();
    }
    if let SlotLength::Duration { duration_us, step_us } = length
        && (duration_us <= 0 || step_us <= 0)
    {
        return Vec::new(); // no slot has no length; the engine validates both
    }
    let (before, after) = resource.buffers_us();
    let slots = view.slots();
    let range = window.widen(before, after);
    let room = room(&slots, resource.capacity, quantity, range);
    match length {
        SlotLength::Duration { duration_us, step_us } => {
            let found = slot_starts(view.hours, window, &room, (before, after), duration_us, step_us, limit);
            found
                .into_iter()
                .map(|start| {
                    let part = Interval { start, end: Timestamp::from_micros(start.as_micros() + duration_us) };
                    FoundSlot { resource_id: resource.id.clone(), start: part.start, end: part.end, parts: vec![part] }
                })
                .collect()
        }
        SlotLength::WorkingDays(days) => working_day_runs(view, &slots, window, &room, days as usize, quantity, limit),
    }
}

/// How far beyond a window a working-days search must see shifts: every
/// shift of a date starts within that local day (at most 25 hours long) and
/// lasts at most a day, so three days either side covers every shift of
/// every date that has one in the window.
pub const WORKING_DAYS_REACH_US: i64 = 3 * 86_400 * 1_000_000;

/// Inclusive ranges `[lo, hi]` of start instants (microseconds).
type Starts = Vec<(i64, i64)>;

fn slot_starts(
    hours: &Expansion,
    window: Interval,
    room: &[Interval],
    (before, after): (i64, i64),
    duration_us: i64,
    step_us: i64,
    limit: usize,
) -> Vec<Timestamp> {
    // A start s works iff [s, s + d) lies in working hours (clipped to the
    // window) and [s - before, s + d + after) lies in room.
    let in_hours: Starts = hours
        .hours_within(window)
        .iter()
        .map(|h| (h.start.as_micros(), h.end.as_micros() - duration_us))
        .filter(|(lo, hi)| lo <= hi)
        .collect();
    let in_room: Starts = room
        .iter()
        .map(|r| (r.start.as_micros() + before, r.end.as_micros() - duration_us - after))
        .filter(|(lo, hi)| lo <= hi)
        .collect();
    let allowed = intersect_starts(&in_hours, &in_room);
    let mut found: Vec<i64> = Vec::new();
    for shift in hours.shifts.iter().filter(|s| s.interval.overlaps(window)) {
        let (anchor, shift_end) = (shift.interval.start.as_micros(), shift.interval.end.as_micros());
        let mut taken = 0;
        for &(lo, hi) in &allowed {
            let (lo, hi) = (lo.max(anchor), hi.min(shift_end - 1));
            if lo > hi {
                continue;
            }
            // First grid point at or after lo: anchor + ceil((lo - anchor) / step) * step.
            let mut at = anchor + (lo - anchor + step_us - 1) / step_us * step_us;
            while at <= hi && taken < limit {
                found.push(at);
                taken += 1;
                at += step_us;
            }
            if taken == limit {
                break;
            }
        }
    }
    found.sort_unstable();
    found.dedup();
    found.truncate(limit);
    found.into_iter().map(Timestamp::from_micros).collect()
}

fn intersect_starts(a: &[(i64, i64)], b: &[(i64, i64)]) -> Starts {
    let (mut i, mut j) = (0, 0);
    let mut out = Vec::new();
    while i < a.len() && j < b.len() {
        let (lo, hi) = (a[i].0.max(b[j].0), a[i].1.min(b[j].1));
        if lo <= hi {
            out.push((lo, hi));
        }
        if a[i].1 < b[j].1 {
            i += 1;
        } else {
            j += 1;
        }
    }
    out
}

fn working_day_runs(
    view: &ResourceView<'_>,
    slots: &[Slot],
    window: Interval,
    room: &[Interval],
    days: usize,
    quantity: u32,
    limit: usize,
) -> Vec<FoundSlot> {
    let resource = view.resource;
    if days == 0 {
        return Vec::new();
    }
    let (before, after) = resource.buffers_us();
    // Working dates in order, each with its shifts merged; a date with a
    // shift outside the window cannot be part of a slot. `view.hours` must
    // hold every shift of every date that has one in the window (see
    // `WORKING_DAYS_REACH_US`), or a date cut by the window looks whole.
    let mut dates: Vec<(chrono::NaiveDate, Vec<Interval>, bool)> = Vec::new();
    for shift in &view.hours.shifts {
        match dates.last_mut() {
            Some((date, parts, _)) if *date == shift.date => parts.push(shift.interval),
            _ => dates.push((shift.date, vec![shift.interval], true)),
        }
    }
    for (_, parts, usable) in &mut dates {
        *parts = merge(parts.iter().copied());
        let inside = parts.iter().all(|p| window.start <= p.start && p.end <= window.end);
        let fits_alone = parts.iter().all(|p| {
            let f = footprint(*p, before, after);
            room.iter().any(|r| r.start <= f.start && f.end <= r.end)
        });
        *usable = inside && fits_alone;
    }
    dates.retain(|(_, parts, _)| !parts.is_empty());
    let mut found = Vec::new();
    for run in dates.windows(days) {
        if found.len() == limit {
            break;
        }
        if !run.iter().all(|(_, _, usable)| *usable) {
            continue;
        }
        // Merged across dates too: an overnight shift may cover the next
        // date's first one, and each instant is booked once.
        let parts = merge(run.iter().flat_map(|(_, parts, _)| parts.iter().copied()));
        // Together, too: buffers can make one day's part reach the next's.
        let footprints: Vec<Slot> =
            parts.iter().map(|p| Slot { footprint: footprint(*p, before, after), quantity }).collect();
        let mut all = slots.to_vec();
        all.extend(footprints.iter().copied());
        let hot = over_capacity(&all, resource.capacity);
        if footprints.iter().any(|f| overlaps_any(&hot, f.footprint)) {
            continue;
        }
        // Merged parts are sorted and disjoint: the last ends latest.
        let (Some(first), Some(last)) = (parts.first(), parts.last()) else { continue };
        found.push(FoundSlot { resource_id: resource.id.clone(), start: first.start, end: last.end, parts });
    }
    found
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
