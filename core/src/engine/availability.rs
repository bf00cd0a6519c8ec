//! The availability side of [`Tenant`]: rules, explainable checks, free/busy
//! and slot search. Reads go through the read cache; the one write here
//! (`set_availability`) and the strict-policy check of booking writes read
//! their own transaction, never the cache.

use std::sync::Arc;

use chrono::TimeDelta;
use serde_json::json;

use super::{Tenant, Write, check_version, not_found, validate_window};
use crate::cache::{BUCKET_US, BucketEntry, ResourceEntry};
use crate::error::{Error, Result};
use crate::limits;
use crate::model::availability::{Expansion, SlotLength, expand, zone};
use crate::model::booking::validate_interval;
use crate::model::ids::{validate_id, validate_text};
use crate::model::time::duration_us;
use crate::model::{
    Availability, AvailabilityCheck, AvailabilityRules, EventType, FoundSlot, FreeBusy, Interval, Policy, Resource,
    SlotQuery, Timestamp,
};
use crate::schedule::{self, Blocker, ResourceView};
use crate::store::Transaction;

impl Tenant {
    /// A resource's availability rules (the defaults, version 0, until set).
    pub fn get_availability(&self, resource_id: &str) -> Result<Availability> {
        validate_id("resource_id", resource_id)?;
        self.read(|tx| {
            tx.resource(resource_id)?.ok_or_else(|| not_found("resource", resource_id))?;
            Ok(tx.availability(resource_id)?.unwrap_or_else(|| Availability::default_for(resource_id)))
        })
    }

    /// Replaces a resource's availability rules. Bookings already made stay
    /// (a `strict` policy judges new decisions only); the same rules again
    /// change nothing.
    pub fn set_availability(
        &self,
        resource_id: &str,
        rules: AvailabilityRules,
        expected_version: Option<i64>,
    ) -> Result<Availability> {
        validate_id("resource_id", resource_id)?;
        rules.validate()?;
        let resource_id = resource_id.to_owned();
        self.write(move |w| {
            w.tx.lock_resource(&resource_id)?.ok_or_else(|| not_found("resource", &resource_id))?;
            let current = w.tx.availability(&resource_id)?.unwrap_or_else(|| Availability::default_for(&resource_id));
            check_version("availability", &resource_id, expected_version, current.version)?;
            if current.rules() == rules {
                return Ok(current);
            }
            let next = Availability::from_rules(&resource_id, rules, current.version + 1, Some(w.now));
            w.tx.put_availability(&next)?;
            w.event(None, EventType::AvailabilitySet, &json!({ "availability": next, "previous": current }))?;
            Ok(next)
        })
    }

    /// Whether `quantity` units of a resource are free over `[start, end)`
    /// and inside its hours, with every reason they are not.
    pub fn check_availability(
        &self,
        resource_id: &str,
        start: Timestamp,
        end: Timestamp,
        quantity: u32,
    ) -> Result<AvailabilityCheck> {
        validate_id("resource_id", resource_id)?;
        let interval = validate_interval(start, end)?;
        validate_quantity(quantity)?;
        self.snapshot(|r| {
            let inputs = r.inputs(resource_id, interval)?.ok_or_else(|| not_found("resource", resource_id))?;
            Ok(schedule::explain(&inputs.view(), interval, quantity))
        })
    }

    /// Busy and free time of each resource over `[start, end)`, in the
    /// order given (repeated ids once).
    pub fn free_busy(&self, resource_ids: &[String], start: Timestamp, end: Timestamp) -> Result<Vec<FreeBusy>> {
        let ids = validate_resource_ids(resource_ids, true)?;
        let window = validate_window(start, end)?;
        self.snapshot(|r| {
            ids.iter()
                .map(|id| {
                    let inputs = r.inputs(id, window)?.ok_or_else(|| not_found("resource", id))?;
                    Ok(schedule::free_busy(&inputs.view(), window))
                })
                .collect()
        })
    }

    /// The earliest slots of the query's length, per resource or across
    /// them, that `check_availability` would call available.
    pub fn find_slots(&self, query: &SlotQuery) -> Result<Vec<FoundSlot>> {
        let search = Search::new(query)?;
        self.snapshot(|r| {
            let resources = r.searched_resources(&search)?;
            let mut found = Vec::new();
            // Working days are judged on every shift of their dates, also
            // the ones outside the window.
            let hours_window = match search.length {
                SlotLength::WorkingDays(_) => {
                    search.window.widen(schedule::WORKING_DAYS_REACH_US, schedule::WORKING_DAYS_REACH_US)
                }
                SlotLength::Duration { .. } => search.window,
            };
            for id in &resources {
                let inputs = r.inputs(id, hours_window)?.ok_or_else(|| not_found("resource", id))?;
                found.extend(schedule::find_slots(
                    &inputs.view(),
                    search.window,
                    search.length,
                    search.quantity,
                    search.limit,
                ));
            }
            if !search.per_resource {
                found.sort_by(|a, b| (a.start, &a.resource_id).cmp(&(b.start, &b.resource_id)));
                found.truncate(search.limit);
            }
            Ok(found)
        })
    }

    /// A read through the cache: one snapshot, its `seq` checked against
    /// what the cache has seen, then `f`.
    pub(super) fn snapshot<T>(&self, f: impl FnOnce(&mut Snapshot<'_, '_>) -> Result<T>) -> Result<T> {
        let mut tx = self.inner.store.read(&self.id)?;
        let seq = tx.last_seq()?;
        let cache = &self.inner.cache;
        if let Some(gap) = cache.gap(&self.id, seq) {
            let touched = tx.touched_resources(gap.0, gap.1)?;
            cache.apply_gap(&self.id, gap, &touched);
        }
        let now = self.inner.clock.now();
        f(&mut Snapshot { tenant: self, tx: tx.as_mut(), seq, now })
    }
}

impl Write<'_> {
    /// Under a `strict` policy, `OUTSIDE_AVAILABILITY` unless the
    /// resource's hours cover `interval` (read in this transaction).
    pub(super) fn ensure_within_hours(&mut self, resource: &Resource, interval: Interval) -> Result<()> {
        let rules = self.tx.availability(&resource.id)?.map(|a| a.rules());
        ensure_within_rules(resource, rules.as_ref(), interval)
    }
}

/// `ensure_within_hours` with the resource's rules already read (`None`:
/// it has none, and the defaults are advisory).
pub(super) fn ensure_within_rules(
    resource: &Resource,
    rules: Option<&AvailabilityRules>,
    interval: Interval,
) -> Result<()> {
    let Some(rules) = rules.filter(|r| r.policy == Policy::Strict) else {
        return Ok(());
    };
    let hours = expand(rules, zone(&resource.timezone)?, interval);
    let reasons = schedule::hours_reasons(&hours, interval);
    if reasons.is_empty() {
        return Ok(());
    }
    Err(Error::OutsideAvailability { resource_id: resource.id.clone(), interval, reasons })
}

/// One read transaction of a tenant and the cache behind it.
pub(super) struct Snapshot<'t, 'x> {
    pub(super) tenant: &'t Tenant,
    pub(super) tx: &'x mut dyn Transaction,
    /// The tenant's `seq` in this snapshot.
    pub(super) seq: i64,
    /// Holds expire at this instant for the read.
    now: Timestamp,
}

/// The inputs of one resource's answer.
struct Inputs {
    entry: Arc<ResourceEntry>,
    hours: Expansion,
    blockers: Vec<Blocker>,
}

impl Inputs {
    fn view(&self) -> ResourceView<'_> {
        ResourceView {
            resource: &self.entry.resource,
            policy: self.entry.rules.policy,
            hours: &self.hours,
            blockers: &self.blockers,
        }
    }
}

impl Snapshot<'_, '_> {
    fn resource(&mut self, id: &str) -> Result<Option<Arc<ResourceEntry>>> {
        let cache = &self.tenant.inner.cache;
        if let Some(entry) = cache.resource(&self.tenant.id, id) {
            return Ok(Some(entry));
        }
        let Some(resource) = self.tx.resource(id)? else { return Ok(None) };
        let rules = self.tx.availability(id)?.map_or_else(AvailabilityRules::default, |a| a.rules());
        let entry = ResourceEntry { resource, rules };
        cache.put_resource(&self.tenant.id, self.seq, entry.clone());
        Ok(Some(Arc::new(entry)))
    }

    /// Everything a read over `window` needs of one resource: hours over
    /// the window and the bookings blocking now whose footprints can reach
    /// a footprint inside it. `None` if the resource does not exist.
    fn inputs(&mut self, id: &str, window: Interval) -> Result<Option<Inputs>> {
        let Some(entry) = self.resource(id)? else { return Ok(None) };
        let (before, after) = entry.resource.buffers_us();
        // A footprint inside the window reaches `before`/`after` beyond it,
        // and meets bookings whose own interval is as far again.
        let reach = before.saturating_add(after);
        let raw = window.widen(reach, reach);
        let first = raw.start.as_micros().div_euclid(BUCKET_US);
        let last = (raw.end.as_micros() - 1).div_euclid(BUCKET_US);
        let cache = &self.tenant.inner.cache;
        let mut buckets: Vec<(i64, Option<Arc<BucketEntry>>)> =
            (first..=last).map(|i| (i, cache.bucket(&self.tenant.id, id, i))).collect();
        let missing: Vec<i64> = buckets.iter().filter(|(_, b)| b.is_none()).map(|(i, _)| *i).collect();
        if let (Some(&lo), Some(&hi)) = (missing.first(), missing.last()) {
            // One query for the whole missing stretch, split per bucket.
            let span = Interval { start: bucket_start(lo), end: bucket_start(hi + 1) };
            let loaded = self.tx.blockers(id, span)?;
            let tz = zone(&entry.resource.timezone)?;
            for (index, slot) in buckets.iter_mut().filter(|(_, b)| b.is_none()) {
                let range = Interval { start: bucket_start(*index), end: bucket_start(*index + 1) };
                let bucket = BucketEntry {
                    blockers: loaded.iter().filter(|b| b.interval.overlaps(range)).cloned().collect(),
                    hours: expand(&entry.rules, tz, range),
                };
                cache.put_bucket(&self.tenant.id, id, *index, self.seq, bucket.clone());
                *slot = Some(Arc::new(bucket));
            }
        }
        let mut hours = Expansion::default();
        let mut blockers = Vec::new();
        for (index, bucket) in &buckets {
            let Some(bucket) = bucket else { continue };
            let range = Interval { start: bucket_start(*index), end: bucket_start(*index + 1) };
            // A booking spanning buckets is taken from the first one of
            // the read that it meets.
            blockers.extend(
                bucket
                    .blockers
                    .iter()
                    .filter(|b| b.interval.overlaps(raw) && range.contains(b.interval.start.max(raw.start)))
                    .filter(|b| b.blocks_at(self.now))
                    .cloned(),
            );
            hours.shifts.extend(bucket.hours.shifts.iter().filter(|s| s.interval.overlaps(window)));
            hours.closed.extend(bucket.hours.closed.iter().filter(|(_, day)| day.overlaps(window)));
            hours.adjustments.extend(bucket.hours.adjustments.iter().copied());
        }
        dedup_hours(&mut hours);
        // Stores return them unordered; answers list them by start.
        blockers.sort_by(|a, b| (a.interval.start, &a.id).cmp(&(b.interval.start, &b.id)));
        Ok(Some(Inputs { entry, hours, blockers }))
    }

    /// The resources a search covers: the ids given, in their order, or
    /// the tagged ones in id order.
    fn searched_resources(&mut self, search: &Search) -> Result<Vec<String>> {
        let mut ids = Vec::new();
        if search.resource_ids.is_empty() {
            let tag = search.tag.as_deref().unwrap_or_default();
            let tagged = self.tx.resources_tagged(tag, limits::RESOURCES_PER_QUERY_MAX + 1)?;
            if tagged.len() > limits::RESOURCES_PER_QUERY_MAX {
                return Err(Error::LimitExceeded {
                    field: "tag".into(),
                    max: limits::RESOURCES_PER_QUERY_MAX as i64,
                    actual: tagged.len() as i64,
                });
            }
            ids.extend(tagged.into_iter().filter(|r| r.active).map(|r| r.id));
        } else {
            for id in &search.resource_ids {
                let entry = self.resource(id)?.ok_or_else(|| not_found("resource", id))?;
                let tagged = search.tag.as_ref().is_none_or(|tag| entry.resource.tags.contains(tag));
                if tagged {
                    ids.push(id.clone());
                }
            }
        }
        Ok(ids)
    }
}

pub(super) fn bucket_start(index: i64) -> Timestamp {
    Timestamp::from_micros(index.saturating_mul(BUCKET_US))
}

/// Shifts, closed dates and adjustments met in several buckets, once each.
fn dedup_hours(hours: &mut Expansion) {
    hours.shifts.sort_by_key(|s| (s.interval.start, s.interval.end, s.date));
    hours.shifts.dedup();
    hours.closed.sort_unstable();
    hours.closed.dedup();
    hours.adjustments.sort_by_key(|a| (a.resolved_to, a.date, a.local_time));
    hours.adjustments.dedup();
}

/// A validated `SlotQuery`.
struct Search {
    resource_ids: Vec<String>,
    tag: Option<String>,
    window: Interval,
    length: SlotLength,
    quantity: u32,
    limit: usize,
    per_resource: bool,
}

impl Search {
    fn new(q: &SlotQuery) -> Result<Search> {
        let resource_ids = validate_resource_ids(&q.resource_ids, q.tag.is_none())?;
        if let Some(tag) = &q.tag {
            validate_text("tag", tag, limits::TAG_LENGTH_MAX_CHARS, true)?;
        }
        let window = validate_window(q.start, q.end)?;
        let length = match (q.duration, q.working_days) {
            (Some(duration), None) => {
                let duration_us = duration_us("duration", duration, limits::BOOKING_LENGTH_MAX_US)?;
                if duration_us == 0 {
                    return Err(Error::invalid("duration", "must be positive"));
                }
                let step = q.step.unwrap_or(TimeDelta::microseconds(duration_us.max(limits::SLOT_STEP_MIN_US)));
                let step_us = duration_us_at_least("step", step, limits::SLOT_STEP_MIN_US)?;
                SlotLength::Duration { duration_us, step_us }
            }
            (None, Some(days)) => {
                if q.step.is_some() {
                    return Err(Error::invalid(
                        "step",
                        "working-day slots start with a day's first shift; give no step",
                    ));
                }
                if days == 0 {
                    return Err(Error::invalid("working_days", "must be at least 1"));
                }
                if days > limits::WORKING_DAYS_MAX {
                    return Err(Error::limit("working_days", limits::WORKING_DAYS_MAX as usize, days as usize));
                }
                SlotLength::WorkingDays(days)
            }
            (Some(_), Some(_)) => return Err(Error::invalid("duration", "give duration or working_days, not both")),
            (None, None) => return Err(Error::invalid("duration", "give duration or working_days")),
        };
        validate_quantity(q.quantity)?;
        let limit = match q.limit {
            None => limits::SLOTS_DEFAULT,
            Some(0) => return Err(Error::invalid("limit", "must be at least 1")),
            Some(n) if n > limits::SLOTS_MAX => return Err(Error::limit("limit", limits::SLOTS_MAX, n)),
            Some(n) => n,
        };
        Ok(Search {
            resource_ids,
            tag: q.tag.clone(),
            window,
            length,
            quantity: q.quantity,
            limit,
            per_resource: q.per_resource,
        })
    }
}

fn duration_us_at_least(field: &str, value: TimeDelta, min_us: i64) -> Result<i64> {
    let us = duration_us(field, value, limits::QUERY_WINDOW_MAX_US)?;
    if us < min_us {
        return Err(Error::invalid(field, format!("must be at least {} seconds", min_us / limits::MICROS_PER_SECOND)));
    }
    Ok(us)
}

fn validate_quantity(quantity: u32) -> Result<()> {
    if quantity == 0 {
        return Err(Error::invalid("quantity", "must be at least 1"));
    }
    if quantity > limits::CAPACITY_MAX {
        return Err(Error::limit("quantity", limits::CAPACITY_MAX as usize, quantity as usize));
    }
    Ok(())
}

/// Valid ids, each once, in the order given; at least one when `required`.
fn validate_resource_ids(ids: &[String], required: bool) -> Result<Vec<String>> {
    if required && ids.is_empty() {
        return Err(Error::invalid("resource_ids", "name at least one resource"));
    }
    if ids.len() > limits::RESOURCES_PER_QUERY_MAX {
        return Err(Error::limit("resource_ids", limits::RESOURCES_PER_QUERY_MAX, ids.len()));
    }
    let mut seen = std::collections::HashSet::new();
    let mut out = Vec::with_capacity(ids.len());
    for (i, id) in ids.iter().enumerate() {
        validate_id(&format!("resource_ids[{i}]"), id)?;
        if seen.insert(id.as_str()) {
            out.push(id.clone());
        }
    }
    Ok(out)
}
