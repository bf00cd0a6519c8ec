//! The naive capacity model shared by the integration tests: written from
//! DESIGN.md, not from the engine, so it can disagree with it.

use std::collections::HashMap;

use holdfast::{Booking, Resource, Status, Timestamp};

/// Whether `b` consumes capacity at `now` (DESIGN.md section 3): pencils and
/// confirmations always, holds until their expiry instant.
pub fn blocks_at(b: &Booking, now: Timestamp) -> bool {
    match b.status {
        Status::Hold => b.hold_expires_at.is_some_and(|at| at > now),
        Status::Pencil | Status::Confirmed => true,
        Status::Cancelled | Status::Declined | Status::Expired => false,
    }
}

/// `[start - buffer_before, end + buffer_after)` in microseconds.
pub fn footprint(b: &Booking, r: &Resource) -> (i64, i64) {
    let us = |d: chrono::TimeDelta| d.num_microseconds().expect("buffers are small");
    (b.start.as_micros() - us(r.buffer_before), b.end.as_micros() + us(r.buffer_after))
}

/// The capacity invariant checked instant by instant: at every boundary of
/// every blocking footprint, the quantities covering it sum to at most the
/// resource's capacity. Returns how many instants were checked, or the
/// first violation with the bookings involved.
pub fn check_capacity_naive(resources: &[Resource], bookings: &[Booking], now: Timestamp) -> Result<usize, String> {
    let by_id: HashMap<&str, &Resource> = resources.iter().map(|r| (r.id.as_str(), r)).collect();
    let mut per_resource: HashMap<&str, Vec<(i64, i64, u64, &str)>> = HashMap::new();
    for b in bookings.iter().filter(|b| blocks_at(b, now)) {
        let r = by_id.get(b.resource_id.as_str()).ok_or_else(|| format!("booking {} on unknown resource", b.id))?;
        let (start, end) = footprint(b, r);
        per_resource.entry(r.id.as_str()).or_default().push((start, end, u64::from(b.quantity), b.id.as_str()));
    }
    let mut instants = 0;
    for (resource_id, footprints) in &per_resource {
        let capacity = u64::from(by_id[resource_id].capacity);
        for t in footprints.iter().flat_map(|f| [f.0, f.1]) {
            instants += 1;
            let covering: Vec<_> = footprints.iter().filter(|f| f.0 <= t && t < f.1).collect();
            let used: u64 = covering.iter().map(|f| f.2).sum();
            if used > capacity {
                let at = |us: i64| Timestamp::from_micros(us).to_string();
                return Err(format!(
                    "capacity invariant broken on {resource_id} at {} (now {now}): {used} > {capacity}, bookings {:?}",
                    at(t),
                    covering.iter().map(|f| (f.3, at(f.0), at(f.1), f.2)).collect::<Vec<_>>()
                ));
            }
        }
    }
    Ok(instants)
}
