//! Property tests of the availability reads (`find_slots`,
//! `check_availability`, `free_busy`) through the public API, on windows
//! around the 2026 daylight-saving changes:
//!
//! 1. Soundness: every slot `find_slots` returns lies in the window, is
//!    `available` part by part for the query's quantity, and (duration mode)
//!    starts on the step grid of a shift.
//! 2. Completeness: the answer is exactly the brute-force list — every grid
//!    start that `check_availability` calls available (duration mode), every
//!    run of successive working dates that fits (working-days mode) — cut at
//!    the limit, per resource or across resources.
//! 3. The read cache never changes an answer: one random sequence of writes
//!    and reads, on two tenants, on an engine without cache (its own store)
//!    and on two cached engines sharing another store (the default cache and
//!    a tiny one, so eviction and the cross-engine freshness scan are
//!    exercised too; each write goes through one of them) gives identical
//!    results, while a manual clock lets holds expire between reads. After
//!    every write, every resource's `free_busy` is compared too.
//!
//! The brute force reads rules through `get_availability` and expands them
//! with `holdfast::model::availability::expand`, the function the engine's
//! hours come from; what it judges independently is the grid, the window,
//! the cut and the working-day runs. On the way it checks every
//! `check_availability` it asks against a naive model (active, quantity,
//! hours expanded over the interval alone, capacity instant by instant
//! over `list_bookings`), so the brute force does not merely repeat the
//! engine's own read path. Every store of `common::stores()` runs
//! its own cases, each on an empty database.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::atomic::{AtomicU64, Ordering};

use chrono::{NaiveDate, Offset, TimeDelta, TimeZone};
use chrono_tz::Tz;
use holdfast::model::availability::{expand, local_date, merge, zone};
use holdfast::{
    Action, AvailabilityRules, BookingFilter, DateOverride, Engine, FoundSlot, HoldExpiry, Hours, Interval, LocalTime,
    ManualClock, NewBooking, NewResource, Policy, Reschedule, Resource, ResourcePatch, SlotQuery, Status, Tenant,
    Timestamp, Weekday, WeeklyHours, limits,
};
use proptest::prelude::*;
use proptest::sample::Index;
use proptest::test_runner::{TestCaseError, TestRunner};
use serde_json::{Value, json};

use common::TestStore;

const MINUTE_US: i64 = 60_000_000;
const DAY_MIN: i64 = 24 * 60;
const TENANT: &str = "acme";
/// The second tenant of the cache property.
const BETA: &str = "beta";
const TAG: &str = "animator";
const TIMEZONES: [&str; 5] = ["UTC", "Europe/Berlin", "America/New_York", "Asia/Kolkata", "Pacific/Chatham"];

/// The 2026 daylight-saving changes the windows are placed around: zone and
/// instant (checked by `anchors_are_dst_changes`).
const DST_CHANGES: [(&str, &str); 6] = [
    ("Europe/Berlin", "2026-03-29T01:00:00Z"),    // 02:00 CET -> 03:00 CEST
    ("Europe/Berlin", "2026-10-25T01:00:00Z"),    // 03:00 CEST -> 02:00 CET
    ("America/New_York", "2026-03-08T07:00:00Z"), // 02:00 EST -> 03:00 EDT
    ("America/New_York", "2026-11-01T06:00:00Z"), // 02:00 EDT -> 01:00 EST
    ("Pacific/Chatham", "2026-04-04T14:00:00Z"),  // 03:45 +1345 -> 02:45 +1245 (04-05)
    ("Pacific/Chatham", "2026-09-26T14:00:00Z"),  // 02:45 +1245 -> 03:45 +1345 (09-27)
];

// ---------------------------------------------------------------- small helpers

fn anchor_at(anchor: usize) -> Timestamp {
    Timestamp::parse(DST_CHANGES[anchor].1).unwrap()
}

/// The local date of the change in its own zone.
fn anchor_date(anchor: usize) -> NaiveDate {
    local_date(zone(DST_CHANGES[anchor].0).unwrap(), anchor_at(anchor))
}

fn plus_min(at: Timestamp, minutes: i64) -> Timestamp {
    Timestamp::from_micros(at.as_micros() + minutes * MINUTE_US)
}

fn rid(index: usize) -> String {
    format!("r{index}")
}

/// Quarter hours after midnight, `0..=96`, as a time of day.
fn quarter_time(q: u16) -> LocalTime {
    LocalTime::hm(q / 4, q % 4 * 15).expect("0..=96 quarter hours")
}

/// A call's result in a comparable form: the value, or the error's code and message.
fn outcome<T: serde::Serialize>(result: &holdfast::Result<T>) -> Value {
    match result {
        Ok(value) => json!({ "ok": value }),
        Err(e) => json!({ "err": e.code(), "message": e.to_string() }),
    }
}

fn open(url: String, clock: &ManualClock, cache_entries: Option<usize>) -> Engine {
    let mut builder = Engine::builder().url(url).clock(clock.clone());
    if let Some(entries) = cache_entries {
        builder = builder.cache_entries(entries);
    }
    builder.open().unwrap()
}

// ---------------------------------------------------------------- generators

#[derive(Debug, Clone)]
struct ResourceCase {
    capacity: u32,
    before_min: i64,
    after_min: i64,
    timezone: &'static str,
    tagged: bool,
    active: bool,
    /// `None`: never set, the defaults apply (open around the clock).
    rules: Option<AvailabilityRules>,
}

#[derive(Debug, Clone)]
struct BookingCase {
    res: Index,
    /// Minutes after the anchor.
    start_min: i64,
    len_min: i64,
    status: Status,
    /// Wrapped into `1..=capacity`.
    quantity: u32,
    ttl_min: i64,
    cancel: bool,
}

/// Resources with rules and bookings around one DST change.
#[derive(Debug, Clone)]
struct World {
    anchor: usize,
    resources: Vec<ResourceCase>,
    bookings: Vec<BookingCase>,
    /// How far the clock moves once the world is built (holds expire).
    advance_min: i64,
}

/// A shift start in quarter hours; half lie in 01:00-03:45, where the 2026
/// changes happen.
fn start_quarter() -> impl Strategy<Value = u16> {
    prop_oneof![0u16..96, 4u16..16]
}

/// A shift at 15-minute granularity: any end (overnight about half the
/// time, "00:00" and "24:00" often) or a daytime length.
fn hours() -> impl Strategy<Value = Hours> {
    let any_end = (start_quarter(), prop_oneof![3 => 1u16..=96, 2 => 4u16..=16, 1 => Just(0u16), 1 => Just(96u16)]);
    let length = (start_quarter(), 1u16..=40).prop_map(|(s, len)| {
        let end = s + len;
        (s, if end > 96 { end - 96 } else { end })
    });
    prop_oneof![any_end, length].prop_map(|(s, e)| {
        let e = if e == s { s + 1 } else { e };
        Hours { start: quarter_time(s), end: quarter_time(e) }
    })
}

/// Weekly rules with 0-3 shifts per weekday and 0-2 overrides (closed, or
/// other hours) on dates around the anchor's.
fn rules(anchor: usize) -> impl Strategy<Value = AvailabilityRules> {
    let day = anchor_date(anchor);
    let weekly = prop::collection::vec(prop::collection::vec(hours(), 0..=3), 7);
    let overrides = prop::collection::vec((-1i64..=2, prop::collection::vec(hours(), 0..=2)), 0..=2);
    (prop::bool::weighted(0.3), weekly, overrides).prop_map(move |(strict, weekly, overrides)| {
        let weekly = Weekday::ALL
            .iter()
            .zip(weekly)
            .flat_map(|(&weekday, hours)| {
                hours.into_iter().map(move |h| WeeklyHours { weekday, start: h.start, end: h.end })
            })
            .collect();
        let mut dates = BTreeSet::new();
        let overrides = overrides
            .into_iter()
            .filter(|(offset, _)| dates.insert(*offset))
            .map(|(offset, hours)| DateOverride { date: day + TimeDelta::days(offset), hours })
            .collect();
        AvailabilityRules { policy: if strict { Policy::Strict } else { Policy::Advisory }, weekly, overrides }
    })
}

fn buffer_min() -> impl Strategy<Value = i64> {
    prop::sample::select(vec![0i64, 15, 30])
}

fn resource(anchor: usize) -> impl Strategy<Value = ResourceCase> {
    // Most take the anchor's own zone, so its change is met often.
    let home = DST_CHANGES[anchor].0;
    let timezone = prop_oneof![3 => Just(home), 2 => prop::sample::select(&TIMEZONES[..])];
    (
        1u32..=3,
        buffer_min(),
        buffer_min(),
        timezone,
        any::<bool>(),
        prop::bool::weighted(0.9),
        prop::option::weighted(0.85, rules(anchor)),
    )
        .prop_map(|(capacity, before_min, after_min, timezone, tagged, active, rules)| ResourceCase {
            capacity,
            before_min,
            after_min,
            timezone,
            tagged,
            active,
            rules,
        })
}

fn status() -> impl Strategy<Value = Status> {
    prop_oneof![Just(Status::Hold), Just(Status::Pencil), Just(Status::Confirmed)]
}

/// Minutes after the anchor: mostly on the quarter hour, from 48 h before to
/// 60 h after it.
fn start_min() -> impl Strategy<Value = i64> {
    prop_oneof![4 => (-192i64..=240).prop_map(|q| q * 15), 1 => -2880i64..=3600]
}

/// 15 min to 8 h, mostly whole quarter hours.
fn booking_len_min() -> impl Strategy<Value = i64> {
    prop_oneof![3 => (1i64..=32).prop_map(|q| q * 15), 1 => 1i64..=480]
}

fn booking() -> impl Strategy<Value = BookingCase> {
    (any::<Index>(), start_min(), booking_len_min(), status(), 1u32..=3, 1i64..=120, prop::bool::weighted(0.15))
        .prop_map(|(res, start_min, len_min, status, quantity, ttl_min, cancel)| BookingCase {
            res,
            start_min,
            len_min,
            status,
            quantity,
            ttl_min,
            cancel,
        })
}

fn world() -> impl Strategy<Value = World> {
    (0..DST_CHANGES.len()).prop_flat_map(|anchor| {
        (
            Just(anchor),
            prop::collection::vec(resource(anchor), 1..=3),
            prop::collection::vec(booking(), 0..=10),
            0i64..=120,
        )
            .prop_map(|(anchor, resources, bookings, advance_min)| World {
                anchor,
                resources,
                bookings,
                advance_min,
            })
    })
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Length {
    /// Minutes long, on a grid of `step_min` (`None`: the engine's default, the duration).
    Duration {
        minutes: i64,
        step_min: Option<i64>,
    },
    WorkingDays(u32),
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Pick {
    /// `resource_ids` only.
    Ids,
    /// `tag` only: every active resource carrying it.
    Tag,
    /// `resource_ids` narrowed to those carrying `tag`.
    IdsAndTag,
}

#[derive(Debug, Clone)]
struct QueryCase {
    /// Into the world's resources; repeats allowed (the engine takes each once).
    resources: Vec<Index>,
    pick: Pick,
    /// Minutes after the anchor.
    start_min: i64,
    len_min: i64,
    length: Length,
    /// Wrapped into `1..=` the largest capacity.
    quantity: u32,
    /// `None`: the default limit.
    limit: Option<usize>,
}

fn query() -> impl Strategy<Value = QueryCase> {
    let duration = (
        prop_oneof![3 => (1i64..=8).prop_map(|q| q * 15), 2 => (1i64..=24).prop_map(|q| q * 15), 1 => 1i64..=360],
        prop::option::weighted(0.85, prop::sample::select(vec![15i64, 30, 60])),
    )
        .prop_map(|(minutes, step_min)| Length::Duration { minutes, step_min });
    let length = prop_oneof![4 => duration, 1 => (1u32..=3).prop_map(Length::WorkingDays)];
    let pick = prop_oneof![6 => Just(Pick::Ids), 1 => Just(Pick::Tag), 1 => Just(Pick::IdsAndTag)];
    // Windows start from 40 h before the change (so that some cross the
    // read cache's bucket boundary 37-42 h before four of the changes) to
    // 6 h after it, mostly on a quarter hour; they last 1 to 36 h, plus a
    // day per working day and one more.
    let start = prop_oneof![4 => (-160i64..=24).prop_map(|q| q * 15), 1 => -2400i64..=360];
    let len = prop_oneof![4 => (4i64..=144).prop_map(|q| q * 15), 1 => 60i64..=2160];
    let limit = prop::option::weighted(0.8, 1usize..=12);
    let quantity = prop_oneof![2 => Just(1u32), 1 => 1u32..=3];
    (prop::collection::vec(any::<Index>(), 1..=4), pick, start, len, length, quantity, limit).prop_map(
        |(resources, pick, start_min, len_min, length, quantity, limit)| {
            let len_min = match length {
                Length::WorkingDays(days) => len_min + i64::from(days + 1) * DAY_MIN,
                Length::Duration { .. } => len_min,
            };
            QueryCase { resources, pick, start_min, len_min, length, quantity, limit }
        },
    )
}

impl QueryCase {
    fn window(&self, anchor: Timestamp) -> Interval {
        let start = plus_min(anchor, self.start_min);
        Interval { start, end: plus_min(start, self.len_min) }
    }

    fn quantity(&self, world: &World) -> u32 {
        let most = world.resources.iter().map(|r| r.capacity).max().unwrap();
        (self.quantity - 1) % most + 1
    }

    /// `resource_ids` as sent.
    fn ids(&self, count: usize) -> Vec<String> {
        match self.pick {
            Pick::Tag => Vec::new(),
            Pick::Ids | Pick::IdsAndTag => self.resources.iter().map(|i| rid(i.index(count))).collect(),
        }
    }

    /// What the engine must search, each once: the ids given (in that
    /// order), or every active resource with the tag (in id order),
    /// narrowed to those with the tag when both are given. `tagged` and
    /// `active` are the resources' current state.
    fn searched(&self, tagged: &[bool], active: &[bool]) -> Vec<usize> {
        let count = tagged.len();
        match self.pick {
            Pick::Tag => (0..count).filter(|&i| tagged[i] && active[i]).collect(),
            Pick::Ids | Pick::IdsAndTag => {
                let mut out = Vec::new();
                for i in self.resources.iter().map(|i| i.index(count)) {
                    if !out.contains(&i) && (self.pick == Pick::Ids || tagged[i]) {
                        out.push(i);
                    }
                }
                out
            }
        }
    }

    fn slot_query(&self, world: &World, per_resource: bool, limit: Option<usize>) -> SlotQuery {
        let window = self.window(anchor_at(world.anchor));
        let (duration, step, working_days) = match self.length {
            Length::Duration { minutes, step_min } => {
                (Some(TimeDelta::minutes(minutes)), step_min.map(TimeDelta::minutes), None)
            }
            Length::WorkingDays(days) => (None, None, Some(days)),
        };
        SlotQuery {
            resource_ids: self.ids(world.resources.len()),
            tag: (self.pick != Pick::Ids).then(|| TAG.to_owned()),
            start: window.start,
            end: window.end,
            duration,
            working_days,
            step,
            quantity: self.quantity(world),
            limit,
            per_resource,
        }
    }
}

// ---------------------------------------------------------------- building a world

fn new_booking(id: String, resource_id: String, anchor: Timestamp, b: &BookingCase, capacity: u32) -> NewBooking {
    let start = plus_min(anchor, b.start_min);
    NewBooking {
        id: Some(id),
        resource_id,
        start,
        end: plus_min(start, b.len_min),
        status: b.status,
        quantity: (b.quantity - 1) % capacity + 1,
        hold_ttl: (b.status == Status::Hold).then(|| TimeDelta::minutes(b.ttl_min)),
        ..Default::default()
    }
}

/// Creates the world on `t` (resources, bookings, cancellations, rules,
/// deactivations) and returns every call's outcome, so that two engines
/// can be shown to have built the same world. Bookings that do not fit
/// are simply refused.
fn populate(t: &Tenant, world: &World) -> Vec<Value> {
    let anchor = anchor_at(world.anchor);
    let mut out = Vec::new();
    for (i, r) in world.resources.iter().enumerate() {
        out.push(outcome(&t.create_resource(NewResource {
            id: Some(rid(i)),
            name: rid(i),
            capacity: r.capacity,
            timezone: r.timezone.into(),
            tags: if r.tagged { vec![TAG.into()] } else { Vec::new() },
            buffer_before: TimeDelta::minutes(r.before_min),
            buffer_after: TimeDelta::minutes(r.after_min),
            ..Default::default()
        })));
    }
    for (n, b) in world.bookings.iter().enumerate() {
        let res = b.res.index(world.resources.len());
        out.push(outcome(&t.create_booking(new_booking(
            format!("s{n}"),
            rid(res),
            anchor,
            b,
            world.resources[res].capacity,
        ))));
    }
    for (n, _) in world.bookings.iter().enumerate().filter(|(_, b)| b.cancel) {
        out.push(outcome(&t.cancel(&format!("s{n}"), None)));
    }
    for (i, r) in world.resources.iter().enumerate() {
        if let Some(rules) = &r.rules {
            out.push(outcome(&t.set_availability(&rid(i), rules.clone(), Some(0))));
        }
        if !r.active {
            let patch = ResourcePatch { active: Some(false), ..Default::default() };
            out.push(outcome(&t.update_resource(&rid(i), patch, None)));
        }
    }
    out
}

// ---------------------------------------------------------------- the brute force

/// One resource as the brute force sees it, read through the plain API:
/// its row, its rules and the footprints of the bookings blocking now.
struct Truth {
    id: String,
    resource: Resource,
    rules: AvailabilityRules,
    tz: Tz,
    /// `(start_us, end_us, quantity)`, buffers included.
    blocking: Vec<(i64, i64, u64)>,
}

impl Truth {
    fn load(t: &Tenant, id: &str, now: Timestamp) -> Truth {
        let resource = t.get_resource(id).unwrap();
        let rules = t.get_availability(id).unwrap().rules();
        let tz = zone(&resource.timezone).unwrap();
        let filter = BookingFilter { resource_ids: vec![id.to_owned()], limit: Some(1_000), ..Default::default() };
        let bookings = t.list_bookings(&filter).unwrap();
        assert!(bookings.next_cursor.is_none(), "more bookings than one page");
        let blocking = bookings
            .items
            .iter()
            .filter(|b| common::blocks_at(b, now))
            .map(|b| {
                let (start, end) = common::footprint(b, &resource);
                (start, end, u64::from(b.quantity))
            })
            .collect();
        Truth { id: id.to_owned(), resource, rules, tz, blocking }
    }

    /// Whether all `parts` can be booked at once beside the blocking
    /// bookings, judged instant by instant: at every boundary inside a
    /// part's footprint, the quantities covering it (the parts' own
    /// included) stay within capacity.
    fn fit(&self, parts: &[Interval], quantity: u32) -> bool {
        let (before, after) = self.resource.buffers_us();
        let own: Vec<(i64, i64)> =
            parts.iter().map(|p| (p.start.as_micros() - before, p.end.as_micros() + after)).collect();
        let mut all = self.blocking.clone();
        all.extend(own.iter().map(|&(s, e)| (s, e, u64::from(quantity))));
        let mut points = all.iter().flat_map(|f| [f.0, f.1]).filter(|&p| own.iter().any(|o| o.0 <= p && p < o.1));
        points.all(|p| {
            let used: u64 = all.iter().filter(|f| f.0 <= p && p < f.1).map(|f| f.2).sum();
            used <= u64::from(self.resource.capacity)
        })
    }

    /// Whether the shifts (expanded over `part` alone) cover it.
    fn in_hours(&self, part: Interval) -> bool {
        let shifts = expand(&self.rules, self.tz, part).shifts;
        merge(shifts.iter().map(|s| s.interval)).iter().any(|h| h.start <= part.start && part.end <= h.end)
    }

    /// What `check_availability(..).available` must say.
    fn available(&self, part: Interval, quantity: u32) -> bool {
        self.resource.active && quantity <= self.resource.capacity && self.in_hours(part) && self.fit(&[part], quantity)
    }

    /// Every candidate start of the duration grid: `shift.start + k * step`
    /// (before the shift's end) for every shift overlapping the window,
    /// such that `[start, start + duration)` lies in the window.
    fn grid(&self, window: Interval, duration_us: i64, step_us: i64) -> BTreeSet<Timestamp> {
        let mut starts = BTreeSet::new();
        for shift in expand(&self.rules, self.tz, window).shifts.iter().filter(|s| s.interval.overlaps(window)) {
            let mut at = shift.interval.start.as_micros();
            while at < shift.interval.end.as_micros() {
                if window.start.as_micros() <= at && at + duration_us <= window.end.as_micros() {
                    starts.insert(Timestamp::from_micros(at));
                }
                at += step_us;
            }
        }
        starts
    }

    /// The grid starts `check_availability` calls available, as slots;
    /// fails where it disagrees with [`Truth::available`].
    fn duration_slots(
        &self,
        t: &Tenant,
        grid: &BTreeSet<Timestamp>,
        duration_us: i64,
        quantity: u32,
    ) -> Result<Vec<FoundSlot>, TestCaseError> {
        let mut out = Vec::new();
        for &start in grid {
            let part = Interval { start, end: Timestamp::from_micros(start.as_micros() + duration_us) };
            let check = t.check_availability(&self.id, part.start, part.end, quantity).unwrap();
            prop_assert_eq!(
                check.available,
                self.available(part, quantity),
                "check_availability({}, {}, {}) disagrees with the naive model: {:?}",
                self.id,
                part,
                quantity,
                check.reasons
            );
            if check.available {
                out.push(FoundSlot {
                    resource_id: self.id.clone(),
                    start: part.start,
                    end: part.end,
                    parts: vec![part],
                });
            }
        }
        Ok(out)
    }

    /// Every run of `days` successive working dates (local dates with at
    /// least one shift) whose every shift lies in the window and whose
    /// merged shifts fit together.
    fn working_day_slots(&self, window: Interval, days: u32, quantity: u32) -> Vec<FoundSlot> {
        if !self.resource.active || quantity > self.resource.capacity {
            return Vec::new();
        }
        // Two days either side: every shift of every date that has one in the window.
        let wide = window.widen(2 * DAY_MIN * MINUTE_US, 2 * DAY_MIN * MINUTE_US);
        let mut by_date: BTreeMap<NaiveDate, Vec<Interval>> = BTreeMap::new();
        for shift in expand(&self.rules, self.tz, wide).shifts {
            by_date.entry(shift.date).or_default().push(shift.interval);
        }
        let dates: Vec<(Vec<Interval>, bool)> = by_date
            .values()
            .map(|shifts| {
                let inside = shifts.iter().all(|s| window.start <= s.start && s.end <= window.end);
                (merge(shifts.iter().copied()), inside)
            })
            .collect();
        let mut out = Vec::new();
        for run in dates.windows(days as usize) {
            if !run.iter().all(|(_, inside)| *inside) {
                continue;
            }
            // Merged across dates: an overnight shift may cover the next date's first.
            let parts: Vec<Interval> = merge(run.iter().flat_map(|(parts, _)| parts.iter().copied()));
            if self.fit(&parts, quantity) {
                // A slot spans its parts: an overnight shift may end after
                // the next date's last one.
                let start = parts[0].start;
                let end = parts.iter().map(|p| p.end).max().expect("a working date has a shift");
                out.push(FoundSlot { resource_id: self.id.clone(), start, end, parts });
            }
        }
        out
    }
}

/// What one resource should yield for `q`, uncut, and (duration mode) its grid.
fn brute_force(
    t: &Tenant,
    world: &World,
    q: &QueryCase,
    id: &str,
    now: Timestamp,
) -> Result<(Vec<FoundSlot>, Option<BTreeSet<Timestamp>>), TestCaseError> {
    let truth = Truth::load(t, id, now);
    let window = q.window(anchor_at(world.anchor));
    let quantity = q.quantity(world);
    Ok(match q.length {
        Length::Duration { minutes, step_min } => {
            let duration_us = minutes * MINUTE_US;
            let step_us = step_min.map_or(duration_us, |s| s * MINUTE_US);
            let grid = truth.grid(window, duration_us, step_us);
            (truth.duration_slots(t, &grid, duration_us, quantity)?, Some(grid))
        }
        Length::WorkingDays(days) => (truth.working_day_slots(window, days, quantity), None),
    })
}

// ---------------------------------------------------------------- properties 1 and 2

fn check_sound(
    t: &Tenant,
    ctx: &str,
    q: &QueryCase,
    world: &World,
    slot: &FoundSlot,
    grids: &HashMap<String, Option<BTreeSet<Timestamp>>>,
) -> Result<(), TestCaseError> {
    let window = q.window(anchor_at(world.anchor));
    let quantity = q.quantity(world);
    let Some(grid) = grids.get(&slot.resource_id) else {
        return Err(TestCaseError::fail(format!("{ctx}: slot on a resource not searched: {}", show_slot(slot))));
    };
    let shown = show_slot(slot);
    prop_assert!(!slot.parts.is_empty(), "{}: slot without parts {}", ctx, shown);
    prop_assert!(
        window.start <= slot.start && slot.start < slot.end && slot.end <= window.end,
        "{}: slot {} not inside the window {}",
        ctx,
        shown,
        window
    );
    prop_assert_eq!(slot.parts[0].start, slot.start, "{}: slot {} starts elsewhere than its first part", ctx, shown);
    prop_assert_eq!(
        slot.parts.iter().map(|p| p.end).max(),
        Some(slot.end),
        "{}: slot {} ends elsewhere than its latest part",
        ctx,
        shown
    );
    for part in &slot.parts {
        prop_assert!(part.start < part.end && slot.start <= part.start, "{}: slot {}", ctx, shown);
        let check = t.check_availability(&slot.resource_id, part.start, part.end, quantity).unwrap();
        prop_assert!(check.available, "{}: slot {}: part {} is not available: {:?}", ctx, shown, part, check.reasons);
    }
    if let Length::Duration { minutes, .. } = q.length {
        prop_assert_eq!(slot.parts.len(), 1, "{}: slot {}", ctx, shown);
        prop_assert_eq!(slot.end.as_micros() - slot.start.as_micros(), minutes * MINUTE_US, "{}: slot {}", ctx, shown);
        let grid = grid.as_ref().expect("duration mode has a grid");
        prop_assert!(grid.contains(&slot.start), "{}: slot {} does not start on the grid", ctx, shown);
    }
    Ok(())
}

/// The answer for `limit`: the first `limit` slots of each resource, or the
/// first `limit` across them by `(start, resource_id)`.
fn cut(brute: &[(String, Vec<FoundSlot>)], per_resource: bool, limit: usize) -> BTreeMap<String, Vec<FoundSlot>> {
    if per_resource {
        let each: Vec<FoundSlot> = brute.iter().flat_map(|(_, slots)| slots.iter().take(limit).cloned()).collect();
        return group(&each);
    }
    let mut all: Vec<FoundSlot> = brute.iter().flat_map(|(_, slots)| slots.iter().cloned()).collect();
    all.sort_by(|a, b| (a.start, &a.resource_id).cmp(&(b.start, &b.resource_id)));
    all.truncate(limit);
    group(&all)
}

/// Slots by resource, each resource's in the order given.
fn group(slots: &[FoundSlot]) -> BTreeMap<String, Vec<FoundSlot>> {
    let mut out: BTreeMap<String, Vec<FoundSlot>> = BTreeMap::new();
    for slot in slots {
        out.entry(slot.resource_id.clone()).or_default().push(slot.clone());
    }
    out
}

fn check_query(t: &Tenant, world: &World, q: &QueryCase, now: Timestamp, ctx: &str) -> Result<(), TestCaseError> {
    let tagged: Vec<bool> = world.resources.iter().map(|r| r.tagged).collect();
    let active: Vec<bool> = world.resources.iter().map(|r| r.active).collect();
    let searched = q.searched(&tagged, &active);
    let mut brute = Vec::new();
    let mut grids = HashMap::new();
    for &i in &searched {
        let (slots, grid) = brute_force(t, world, q, &rid(i), now)?;
        brute.push((rid(i), slots));
        grids.insert(rid(i), grid);
    }
    let variants =
        [(true, Some(limits::SLOTS_MAX)), (true, q.limit), (false, q.limit), (false, Some(limits::SLOTS_MAX))];
    for (per_resource, limit) in variants {
        let query = q.slot_query(world, per_resource, limit);
        let ctx = format!("{ctx}, per_resource {per_resource}, limit {limit:?}");
        let got = t.find_slots(&query).map_err(|e| TestCaseError::fail(format!("{ctx}: find_slots: {e:?}")))?;
        for slot in &got {
            check_sound(t, &ctx, q, world, slot, &grids)?;
        }
        let cap = limit.unwrap_or(limits::SLOTS_DEFAULT);
        if per_resource {
            // Each resource's slots come together, earliest first.
            let mut seen = Vec::new();
            for slot in &got {
                if seen.last() != Some(&slot.resource_id) {
                    prop_assert!(
                        !seen.contains(&slot.resource_id),
                        "{}: slots of {} not together",
                        ctx,
                        slot.resource_id
                    );
                    seen.push(slot.resource_id.clone());
                }
            }
        } else {
            prop_assert!(got.len() <= cap, "{}: {} slots", ctx, got.len());
            let keys: Vec<_> = got.iter().map(|s| (s.start, s.resource_id.clone())).collect();
            prop_assert!(keys.windows(2).all(|w| w[0] < w[1]), "{}: not sorted by (start, resource): {:?}", ctx, keys);
        }
        for slots in group(&got).values() {
            prop_assert!(
                slots.windows(2).all(|w| w[0].start < w[1].start),
                "{}: not sorted by start: {:?}",
                ctx,
                slots
            );
        }
        let want = cut(&brute, per_resource, cap);
        let got = group(&got);
        if got != want {
            let want_all: BTreeMap<_, _> = brute.iter().cloned().collect();
            return Err(TestCaseError::fail(format!(
                "{ctx}: find_slots differs from the brute force\n  got  {}\n  want {}\n  (uncut: {})",
                show(&got),
                show(&want),
                show(&want_all)
            )));
        }
    }
    Ok(())
}

/// A slot with readable instants.
fn show_slot(slot: &FoundSlot) -> String {
    let parts: Vec<String> = slot.parts.iter().map(ToString::to_string).collect();
    format!("{} [{}, {}) parts {}", slot.resource_id, slot.start, slot.end, parts.join(" "))
}

fn show(slots: &BTreeMap<String, Vec<FoundSlot>>) -> String {
    let per: Vec<String> = slots
        .iter()
        .map(|(id, slots)| {
            let each: Vec<String> = slots
                .iter()
                .map(|s| match s.parts.as_slice() {
                    [one] if one.start == s.start && one.end == s.end => format!("{}", s.start),
                    _ => format!("{{{}}}", show_slot(s)),
                })
                .collect();
            format!("{id}: [{}]", each.join(", "))
        })
        .collect();
    per.join("; ")
}

#[derive(Debug, Clone)]
struct SlotsCase {
    world: World,
    queries: Vec<QueryCase>,
}

fn slots_case() -> impl Strategy<Value = SlotsCase> {
    (world(), prop::collection::vec(query(), 1..=3)).prop_map(|(world, queries)| SlotsCase { world, queries })
}

fn run_slots(store: &TestStore, case: &SlotsCase) -> Result<(), TestCaseError> {
    let anchor = anchor_at(case.world.anchor);
    let clock = ManualClock::new(plus_min(anchor, -3 * DAY_MIN));
    let engine = open(store.fresh_url(), &clock, None);
    engine.create_tenant(TENANT, "Acme").unwrap();
    let t = engine.tenant(TENANT).unwrap();
    populate(&t, &case.world);
    clock.advance(TimeDelta::minutes(case.world.advance_min));
    for (i, q) in case.queries.iter().enumerate() {
        check_query(&t, &case.world, q, engine.now(), &format!("query {i} ({q:?})"))?;
    }
    Ok(())
}

// ---------------------------------------------------------------- property 3

#[derive(Debug, Clone)]
enum Op {
    Create(BookingCase),
    Act {
        target: Index,
        action: Action,
    },
    Reschedule {
        target: Index,
        to: Option<Index>,
        start_min: i64,
        len_min: i64,
    },
    Extend {
        target: Index,
        ttl_min: i64,
    },
    SetRules {
        res: Index,
        rules: AvailabilityRules,
    },
    Update {
        res: Index,
        before_min: i64,
        after_min: i64,
        capacity: Option<u32>,
        active: Option<bool>,
        timezone: Option<&'static str>,
    },
    Advance {
        minutes: i64,
    },
    Sweep,
    FindSlots {
        query: QueryCase,
        per_resource: bool,
    },
    FreeBusy {
        resources: Vec<Index>,
        start_min: i64,
        len_min: i64,
    },
    Check {
        res: Index,
        start_min: i64,
        len_min: i64,
        quantity: u32,
    },
}

impl Op {
    fn is_write(&self) -> bool {
        !matches!(self, Op::Advance { .. } | Op::FindSlots { .. } | Op::FreeBusy { .. } | Op::Check { .. })
    }
}

fn op(anchor: usize) -> impl Strategy<Value = Op> {
    let action = prop_oneof![Just(Action::Cancel), Just(Action::Confirm), Just(Action::Pencil), Just(Action::Decline)];
    let update = (
        any::<Index>(),
        buffer_min(),
        buffer_min(),
        prop::option::weighted(0.3, 1u32..=3),
        prop::option::weighted(0.2, any::<bool>()),
        prop::option::weighted(0.15, prop::sample::select(&TIMEZONES[..])),
    )
        .prop_map(|(res, before_min, after_min, capacity, active, timezone)| Op::Update {
            res,
            before_min,
            after_min,
            capacity,
            active,
            timezone,
        });
    let window_len = prop_oneof![3 => (4i64..=144).prop_map(|q| q * 15), 1 => 1i64..=4 * DAY_MIN];
    prop_oneof![
        8 => booking().prop_map(Op::Create),
        3 => (any::<Index>(), action).prop_map(|(target, action)| Op::Act { target, action }),
        4 => (any::<Index>(), prop::option::weighted(0.5, any::<Index>()), start_min(), booking_len_min())
            .prop_map(|(target, to, start_min, len_min)| Op::Reschedule { target, to, start_min, len_min }),
        1 => (any::<Index>(), 1i64..=120).prop_map(|(target, ttl_min)| Op::Extend { target, ttl_min }),
        2 => (any::<Index>(), rules(anchor)).prop_map(|(res, rules)| Op::SetRules { res, rules }),
        2 => update,
        3 => (1i64..=60).prop_map(|minutes| Op::Advance { minutes }),
        1 => Just(Op::Sweep),
        8 => (query(), any::<bool>()).prop_map(|(query, per_resource)| Op::FindSlots { query, per_resource }),
        3 => (prop::collection::vec(any::<Index>(), 1..=3), start_min(), window_len)
            .prop_map(|(resources, start_min, len_min)| Op::FreeBusy { resources, start_min, len_min }),
        5 => (any::<Index>(), start_min(), booking_len_min(), 1u32..=3)
            .prop_map(|(res, start_min, len_min, quantity)| Op::Check { res, start_min, len_min, quantity }),
    ]
}

#[derive(Debug, Clone)]
struct Step {
    /// The shared-store engine that performs a write: the tiny cache's
    /// (`true`) or the default cache's.
    via_tiny: bool,
    /// On the second tenant, whose resources have the same ids.
    beta: bool,
    op: Op,
}

#[derive(Debug, Clone)]
struct CacheCase {
    /// The first tenant's world; the second has the same resources with
    /// default hours and no bookings to begin with.
    world: World,
    /// Entries of the small cache (1 to 6: it evicts all the time, and
    /// with 1 it cannot even track both tenants).
    tiny_entries: usize,
    steps: Vec<Step>,
}

fn cache_case() -> impl Strategy<Value = CacheCase> {
    world().prop_flat_map(|world| {
        let anchor = world.anchor;
        let step = (any::<bool>(), prop::bool::weighted(0.25), op(anchor)).prop_map(|(via_tiny, beta, op)| Step {
            via_tiny,
            beta,
            op,
        });
        (Just(world), 1usize..=6, prop::collection::vec(step, 10..=40))
            .prop_map(|(world, tiny_entries, steps)| CacheCase { world, tiny_entries, steps })
    })
}

/// Cache counters summed over every case run, to show the cache was used.
static CACHE_HITS: AtomicU64 = AtomicU64::new(0);
static TINY_EVICTIONS: AtomicU64 = AtomicU64::new(0);

/// The engines of one case: `plain` (no cache) on its own store; `cached`
/// (default cache) and `tiny` (a few entries) on one shared store.
struct Mirror {
    clock: ManualClock,
    engines: [Engine; 3],
    /// Each tenant on `plain`, `cached` and `tiny`.
    tenants: [[Tenant; 3]; 2],
    /// The tenant the current step acts on.
    on: usize,
    world: World,
    anchor: Timestamp,
    /// Each tenant's bookings created so far.
    bookings: [Vec<String>; 2],
    created: usize,
}

impl Mirror {
    fn resource(&self, res: &Index) -> String {
        rid(res.index(self.world.resources.len()))
    }

    fn booking(&self, target: &Index) -> String {
        let bookings = &self.bookings[self.on];
        if bookings.is_empty() { "no-such-booking".into() } else { bookings[target.index(bookings.len())].clone() }
    }

    /// Runs a write on `plain` and on the chosen shared-store engine; both
    /// stores hold the same data, so the outcomes must agree.
    fn write(&self, ctx: &str, via: bool, f: impl Fn(&Engine, &Tenant) -> Value) -> Result<Value, TestCaseError> {
        let tenants = &self.tenants[self.on];
        let want = f(&self.engines[0], &tenants[0]);
        let i = if via { 2 } else { 1 };
        let got = f(&self.engines[i], &tenants[i]);
        prop_assert_eq!(&got, &want, "{}: the stores diverged on a write", ctx);
        Ok(want)
    }

    /// Runs a read on all three engines: the caches must not change it.
    fn read(&self, ctx: &str, f: impl Fn(&Tenant) -> Value) -> Result<(), TestCaseError> {
        let tenants = &self.tenants[self.on];
        let want = f(&tenants[0]);
        for (name, t) in [("default cache", &tenants[1]), ("tiny cache", &tenants[2])] {
            let got = f(t);
            if got != want {
                return Err(TestCaseError::fail(format!(
                    "{ctx}: the {name} answers otherwise than no cache\n  no cache: {want}\n  {name}: {got}"
                )));
            }
        }
        Ok(())
    }

    fn step(&mut self, ctx: &str, via: bool, op: &Op) -> Result<(), TestCaseError> {
        match op {
            Op::Create(b) => {
                let id = format!("b{}", self.created);
                self.created += 1;
                let resource_id = self.resource(&b.res);
                let capacity = self.tenants[self.on][0].get_resource(&resource_id).unwrap().capacity;
                let new = new_booking(id.clone(), resource_id, self.anchor, b, capacity);
                let made = self.write(ctx, via, |_, t| outcome(&t.create_booking(new.clone())))?;
                if made.get("ok").is_some() {
                    self.bookings[self.on].push(id);
                }
            }
            Op::Act { target, action } => {
                let id = self.booking(target);
                self.write(ctx, via, |_, t| {
                    outcome(&match action {
                        Action::Cancel => t.cancel(&id, None),
                        Action::Confirm => t.confirm(&id, None),
                        Action::Pencil => t.pencil(&id, None),
                        Action::Decline => t.decline(&id, None),
                        other => unreachable!("not generated: {other:?}"),
                    })
                })?;
            }
            Op::Reschedule { target, to, start_min, len_min } => {
                let id = self.booking(target);
                let start = plus_min(self.anchor, *start_min);
                let to = Reschedule {
                    start,
                    end: plus_min(start, *len_min),
                    resource_id: to.as_ref().map(|r| self.resource(r)),
                };
                self.write(ctx, via, |_, t| outcome(&t.reschedule(&id, to.clone(), None)))?;
            }
            Op::Extend { target, ttl_min } => {
                let id = self.booking(target);
                let until = HoldExpiry::Ttl(TimeDelta::minutes(*ttl_min));
                self.write(ctx, via, |_, t| outcome(&t.extend_hold(&id, until, None)))?;
            }
            Op::SetRules { res, rules } => {
                let id = self.resource(res);
                self.write(ctx, via, |_, t| outcome(&t.set_availability(&id, rules.clone(), None)))?;
            }
            Op::Update { res, before_min, after_min, capacity, active, timezone } => {
                let id = self.resource(res);
                let patch = ResourcePatch {
                    buffer_before: Some(TimeDelta::minutes(*before_min)),
                    buffer_after: Some(TimeDelta::minutes(*after_min)),
                    capacity: *capacity,
                    active: *active,
                    timezone: timezone.map(str::to_owned),
                    ..Default::default()
                };
                self.write(ctx, via, |_, t| outcome(&t.update_resource(&id, patch.clone(), None)))?;
            }
            Op::Advance { minutes } => self.clock.advance(TimeDelta::minutes(*minutes)),
            Op::Sweep => {
                self.write(ctx, via, |engine, _| outcome(&engine.sweep_expired()))?;
            }
            Op::FindSlots { query, per_resource } => {
                let query = query.slot_query(&self.world, *per_resource, query.limit);
                self.read(ctx, |t| outcome(&t.find_slots(&query)))?;
            }
            Op::FreeBusy { resources, start_min, len_min } => {
                let ids: Vec<String> = resources.iter().map(|r| self.resource(r)).collect();
                let start = plus_min(self.anchor, *start_min);
                self.read(ctx, |t| outcome(&t.free_busy(&ids, start, plus_min(start, *len_min))))?;
            }
            Op::Check { res, start_min, len_min, quantity } => {
                let id = self.resource(res);
                let start = plus_min(self.anchor, *start_min);
                self.read(ctx, |t| outcome(&t.check_availability(&id, start, plus_min(start, *len_min), *quantity)))?;
            }
        }
        Ok(())
    }
}

fn run_cache(store: &TestStore, case: &CacheCase) -> Result<(), TestCaseError> {
    // Dropped last: the SQLite file outlives the engines on it.
    let dir = tempfile::tempdir().unwrap();
    let anchor = anchor_at(case.world.anchor);
    let clock = ManualClock::new(plus_min(anchor, -3 * DAY_MIN));
    let shared = store.fresh_shared_url(dir.path());
    let engines = [
        open(store.fresh_url(), &clock, Some(0)),
        open(shared.clone(), &clock, None),
        open(shared, &clock, Some(case.tiny_entries)),
    ];
    let beta = World {
        resources: case.world.resources.iter().map(|r| ResourceCase { rules: None, ..r.clone() }).collect(),
        bookings: Vec::new(),
        ..case.world.clone()
    };
    let tenants = [TENANT, BETA].map(|id| {
        engines[0].create_tenant(id, id).unwrap();
        engines[1].create_tenant(id, id).unwrap();
        [0, 1, 2].map(|i| engines[i].tenant(id).unwrap())
    });
    for (t, world) in [(&tenants[0], &case.world), (&tenants[1], &beta)] {
        let built = populate(&t[0], world);
        prop_assert_eq!(populate(&t[1], world), built, "the two stores built different worlds");
    }
    clock.advance(TimeDelta::minutes(case.world.advance_min));
    let bookings = [(0..case.world.bookings.len()).map(|n| format!("s{n}")).collect(), Vec::new()];
    // Every resource over five days around the anchor.
    let all: Vec<String> = (0..case.world.resources.len()).map(rid).collect();
    let (start, end) = (plus_min(anchor, -2 * DAY_MIN), plus_min(anchor, 3 * DAY_MIN));
    let mut mirror = Mirror { clock, engines, tenants, on: 0, world: case.world.clone(), anchor, bookings, created: 0 };
    for (i, step) in case.steps.iter().enumerate() {
        let ctx = format!(
            "step {i} ({:?} on {}, via {})",
            step.op,
            if step.beta { BETA } else { TENANT },
            if step.via_tiny { "tiny" } else { "default" }
        );
        mirror.on = usize::from(step.beta);
        mirror.step(&ctx, step.via_tiny, &step.op)?;
        if step.op.is_write() {
            // Every write shows at once, on every engine, in every
            // resource's schedule.
            mirror.read(&format!("{ctx}, then free_busy"), |t| outcome(&t.free_busy(&all, start, end)))?;
        }
    }
    // Last, everything once more: each resource's schedule over five days
    // and its first slots of an hour, on both tenants.
    let query = SlotQuery {
        resource_ids: all.clone(),
        start,
        end,
        duration: Some(TimeDelta::hours(1)),
        step: Some(TimeDelta::minutes(15)),
        limit: Some(limits::SLOTS_MAX),
        per_resource: true,
        ..Default::default()
    };
    for on in [0, 1] {
        mirror.on = on;
        mirror.read("final free_busy", |t| outcome(&t.free_busy(&all, start, end)))?;
        mirror.read("final find_slots", |t| outcome(&t.find_slots(&query)))?;
    }
    CACHE_HITS.fetch_add(mirror.engines[1].cache_stats().hits, Ordering::Relaxed);
    TINY_EVICTIONS.fetch_add(mirror.engines[2].cache_stats().evictions, Ordering::Relaxed);
    Ok(())
}

// ---------------------------------------------------------------- the tests

/// Runs `property` on every store: `PROPTEST_CASES` cases on SQLite
/// (default `sqlite_default`); on PostgreSQL (a new schema per case)
/// `HOLDFAST_PG_PROPTEST_CASES`, or a quarter of SQLite's.
fn run_property<S: Strategy>(
    name: &str,
    strategy: &S,
    sqlite_default: u32,
    property: impl Fn(&TestStore, &S::Value) -> Result<(), TestCaseError>,
) {
    let env = |name: &str| std::env::var(name).ok().and_then(|v| v.parse::<u32>().ok());
    let sqlite_cases = env("PROPTEST_CASES").unwrap_or(sqlite_default);
    common::for_each_store(|store| {
        let cases = match store {
            TestStore::Sqlite => sqlite_cases,
            TestStore::Postgres { .. } => env("HOLDFAST_PG_PROPTEST_CASES").unwrap_or((sqlite_cases / 4).max(1)),
        };
        let config = ProptestConfig { source_file: Some(file!()), ..ProptestConfig::with_cases(cases) };
        let mut runner = TestRunner::new(config);
        let started = std::time::Instant::now();
        let outcome = runner.run(strategy, |case| property(store, &case));
        println!("{name} on {}: {cases} cases in {:.1?}", store.name(), started.elapsed());
        if let Err(e) = outcome {
            panic!("{name}: {e}");
        }
    });
}

#[test]
fn find_slots_is_sound_and_complete() {
    run_property("find_slots_is_sound_and_complete", &slots_case(), 256, run_slots);
}

#[test]
fn the_cache_never_changes_an_answer() {
    CACHE_HITS.store(0, Ordering::Relaxed);
    TINY_EVICTIONS.store(0, Ordering::Relaxed);
    run_property("the_cache_never_changes_an_answer", &cache_case(), 128, run_cache);
    // The comparison means something only if the caches were used.
    assert!(CACHE_HITS.load(Ordering::Relaxed) > 0, "the default cache never answered a lookup");
    assert!(TINY_EVICTIONS.load(Ordering::Relaxed) > 0, "the tiny cache never evicted");
}

/// The windows' anchors are the 2026 changes: the zone's offset differs
/// just before and at each.
#[test]
fn anchors_are_dst_changes() {
    for (name, at) in DST_CHANGES {
        let tz = zone(name).unwrap();
        let at = Timestamp::parse(at).unwrap().to_datetime().unwrap().naive_utc();
        let offset = |utc| tz.offset_from_utc_datetime(&utc).fix().local_minus_utc();
        assert_ne!(offset(at - TimeDelta::seconds(1)), offset(at), "{name} at {at}");
        assert_eq!(offset(at - TimeDelta::hours(1)), offset(at - TimeDelta::seconds(1)), "{name} at {at}");
    }
}

// ---------------------------------------------------------------- reproductions

/// A working day is every shift of a local date, so a date with a shift
/// outside the window is no working-day slot (the brief, and the comment
/// in `working_day_runs`: "a date with a shift outside the window cannot
/// be part of a slot"). Monday 2026-03-02 (UTC) works 00:00-01:00 and
/// 12:00-13:00: a window from 06:00 to 18:00 holds only the second shift,
/// so there is no one-working-day slot in it, and one ending at 10:00 holds
/// only the first, so none there either.
#[test]
fn working_day_slot_needs_every_shift_of_its_date_in_the_window() {
    common::for_each_store(|store| {
        let engine = Engine::open(&store.fresh_url()).unwrap();
        engine.create_tenant(TENANT, "Acme").unwrap();
        let t = engine.tenant(TENANT).unwrap();
        t.create_resource(NewResource { id: Some("r0".into()), name: "r0".into(), ..Default::default() }).unwrap();
        let shift = |start: u16, end: u16| WeeklyHours {
            weekday: Weekday::Monday,
            start: LocalTime::hm(start, 0).unwrap(),
            end: LocalTime::hm(end, 0).unwrap(),
        };
        let rules = AvailabilityRules { weekly: vec![shift(0, 1), shift(12, 13)], ..Default::default() };
        t.set_availability("r0", rules, None).unwrap();
        let at = |text: &str| Timestamp::parse(text).unwrap();
        let slots = |start: &str, end: &str| {
            let query = SlotQuery {
                resource_ids: vec!["r0".into()],
                start: at(start),
                end: at(end),
                working_days: Some(1),
                ..Default::default()
            };
            t.find_slots(&query).unwrap().iter().map(|s| (s.start.to_string(), s.end.to_string())).collect::<Vec<_>>()
        };
        // The whole day: one slot, both shifts.
        assert_eq!(
            slots("2026-03-02T00:00:00Z", "2026-03-03T00:00:00Z"),
            [("2026-03-02T00:00:00Z".to_owned(), "2026-03-02T13:00:00Z".to_owned())]
        );
        // Only part of the day's shifts in the window: no slot, whichever
        // end of the window cuts the day.
        let cut_start = slots("2026-03-02T06:00:00Z", "2026-03-02T18:00:00Z");
        let cut_end = slots("2026-03-01T18:00:00Z", "2026-03-02T10:00:00Z");
        assert_eq!((cut_start, cut_end), (vec![], vec![]));
    });
}

/// A working-day slot spans its parts, merged across its dates. Monday
/// 2026-03-02 (UTC) works 20:00-06:00 overnight, Tuesday 01:00-02:00, which
/// the Monday shift already covers: the two working days are one slot with
/// one part, `[Mon 20:00, Tue 06:00)` — it ends at Tuesday 06:00, not at
/// 02:00 when the shift of its last date ends, and an exclusive resource
/// fits it (each instant is booked once).
#[test]
fn working_day_slot_ends_with_its_latest_part() {
    common::for_each_store(|store| {
        let engine = Engine::open(&store.fresh_url()).unwrap();
        engine.create_tenant(TENANT, "Acme").unwrap();
        let t = engine.tenant(TENANT).unwrap();
        let new = NewResource { id: Some("r0".into()), name: "r0".into(), ..Default::default() };
        t.create_resource(new).unwrap();
        let shift = |weekday, start: u16, end: u16| WeeklyHours {
            weekday,
            start: LocalTime::hm(start, 0).unwrap(),
            end: LocalTime::hm(end, 0).unwrap(),
        };
        let weekly = vec![shift(Weekday::Monday, 20, 6), shift(Weekday::Tuesday, 1, 2)];
        t.set_availability("r0", AvailabilityRules { weekly, ..Default::default() }, None).unwrap();
        let at = |text: &str| Timestamp::parse(text).unwrap();
        let query = SlotQuery {
            resource_ids: vec!["r0".into()],
            start: at("2026-03-02T00:00:00Z"),
            end: at("2026-03-04T00:00:00Z"),
            working_days: Some(2),
            ..Default::default()
        };
        let slots = t.find_slots(&query).unwrap();
        let got: Vec<(String, String, Vec<String>)> = slots
            .iter()
            .map(|s| (s.start.to_string(), s.end.to_string(), s.parts.iter().map(ToString::to_string).collect()))
            .collect();
        let want = vec![(
            "2026-03-02T20:00:00Z".to_owned(),
            "2026-03-03T06:00:00Z".to_owned(),
            vec!["[2026-03-02T20:00:00Z, 2026-03-03T06:00:00Z)".to_owned()],
        )];
        assert_eq!(got, want);
    });
}
