//! Sequences of engine operations decoded from bytes, on a fresh in-memory
//! engine with a manual clock. After every operation the capacity invariant
//! is checked against a naive model (written here from DESIGN.md, like
//! `core/tests/common/mod.rs`); every error must carry a documented code
//! other than `INTERNAL`; at the end the event log's `seq` must be gap-free.

use std::collections::HashMap;

use chrono::TimeDelta;
use holdfast::{
    AvailabilityRules, Booking, BookingFilter, Engine, Error, HoldExpiry, LocalTime, ManualClock, NewBooking,
    NewResource, PageRequest, Policy, Reschedule, Resource, ResourcePatch, Status, Tenant, Timestamp, Weekday,
    WeeklyHours,
};

/// Operations per input at most: keeps one run short.
const OPS_MAX: usize = 48;
const RESOURCES: usize = 3;
const BOOKING_IDS: u8 = 8;
/// The time grid: slots of 15 minutes from T0 + 1 h.
const SLOT_MIN: i64 = 15;
const T0: &str = "2026-11-23T00:00:00Z";

/// Codes of DESIGN.md section 4 an operation may fail with (not `INTERNAL`).
const CODES: [&str; 11] = [
    "INVALID_INPUT",
    "NOT_FOUND",
    "ALREADY_EXISTS",
    "CONFLICT",
    "INVALID_TRANSITION",
    "HOLD_EXPIRED",
    "OUTSIDE_AVAILABILITY",
    "IDEMPOTENCY_MISMATCH",
    "VERSION_MISMATCH",
    "LIMIT_EXCEEDED",
    "STORE_UNAVAILABLE",
];

/// A byte cursor: reads past the end give zeros, so every input decodes.
struct Bytes<'a> {
    data: &'a [u8],
    at: usize,
}

impl Bytes<'_> {
    fn byte(&mut self) -> u8 {
        let b = self.data.get(self.at).copied().unwrap_or(0);
        self.at += 1;
        b
    }

    fn done(&self) -> bool {
        self.at >= self.data.len()
    }

    fn below(&mut self, n: u8) -> u8 {
        self.byte() % n
    }

    fn resource(&mut self) -> String {
        format!("r{}", self.below(RESOURCES as u8))
    }

    fn booking(&mut self) -> String {
        format!("b{}", self.below(BOOKING_IDS))
    }

    /// A start on the grid and an end 1 to 8 slots later.
    fn interval(&mut self, t0: Timestamp) -> (Timestamp, Timestamp) {
        let slot = i64::from(self.below(32));
        let len = i64::from(self.below(8)) + 1;
        let at = |n: i64| Timestamp::from_micros(t0.as_micros() + (60 + n * SLOT_MIN) * 60_000_000);
        (at(slot), at(slot + len))
    }

    fn status(&mut self) -> Status {
        match self.below(3) {
            0 => Status::Hold,
            1 => Status::Pencil,
            _ => Status::Confirmed,
        }
    }

    /// No expected version most of the time, else a small one.
    fn version(&mut self) -> Option<i64> {
        let b = self.byte();
        (b >= 192).then(|| i64::from(b % 4) + 1)
    }

    fn buffer(&mut self) -> TimeDelta {
        TimeDelta::minutes(i64::from(self.below(3)) * SLOT_MIN)
    }

    fn new_booking(&mut self, t0: Timestamp) -> NewBooking {
        let id = self.booking();
        let resource_id = self.resource();
        let (start, end) = self.interval(t0);
        let status = self.status();
        let quantity = u32::from(self.below(3)) + 1;
        let hold_ttl = match self.below(4) {
            0 => Some(TimeDelta::minutes(5)),
            1 => Some(TimeDelta::minutes(30)),
            _ => None,
        };
        let hold_ttl = if status == Status::Hold { hold_ttl } else { None };
        NewBooking { id: Some(id), resource_id, start, end, status, quantity, hold_ttl, ..Default::default() }
    }
}

/// One input: the body of the `engine_ops` fuzz target.
pub fn fuzz(data: &[u8]) {
    let t0 = Timestamp::parse(T0).expect("T0");
    let clock = ManualClock::new(t0);
    let engine = Engine::builder().url("sqlite::memory:").clock(clock.clone()).open().expect("engine");
    engine.create_tenant("t", "T").expect("tenant");
    let t = engine.tenant("t").expect("tenant");
    let mut bytes = Bytes { data, at: 0 };
    for r in 0..RESOURCES {
        let new = NewResource {
            id: Some(format!("r{r}")),
            name: format!("R{r}"),
            capacity: u32::from(bytes.below(3)) + 1,
            buffer_before: bytes.buffer(),
            buffer_after: bytes.buffer(),
            ..Default::default()
        };
        t.create_resource(new).expect("resource");
    }

    let mut ops = Vec::new();
    while !bytes.done() && ops.len() < OPS_MAX {
        let op = run_one(&t, &engine, &clock, &mut bytes, t0);
        ops.push(op);
        if let Err(e) = check_capacity(&t, engine.now()) {
            panic!("{e}\nafter operations:\n{}", ops.join("\n"));
        }
    }
    check_events(&t, &ops);
}

/// Decodes and runs one operation; returns what it did, for failure reports.
fn run_one(t: &Tenant, engine: &Engine, clock: &ManualClock, bytes: &mut Bytes<'_>, t0: Timestamp) -> String {
    let op = bytes.below(13);
    let (what, outcome): (String, Result<(), Error>) = match op {
        0 => {
            let new = bytes.new_booking(t0);
            (format!("create {new:?}"), t.create_booking(new).map(drop))
        }
        1..=4 => {
            let id = bytes.booking();
            let version = bytes.version();
            let (name, result) = match op {
                1 => ("confirm", t.confirm(&id, version)),
                2 => ("cancel", t.cancel(&id, version)),
                3 => ("decline", t.decline(&id, version)),
                _ => ("pencil", t.pencil(&id, version)),
            };
            (format!("{name} {id} {version:?}"), result.map(drop))
        }
        5 => {
            let id = bytes.booking();
            let minutes = i64::from(bytes.byte());
            let until = match bytes.below(3) {
                0 => HoldExpiry::Default,
                1 => HoldExpiry::Ttl(TimeDelta::minutes(minutes)),
                _ => HoldExpiry::At(Timestamp::from_micros(engine.now().as_micros() + minutes * 60_000_000)),
            };
            let version = bytes.version();
            (format!("extend_hold {id} {until:?} {version:?}"), t.extend_hold(&id, until, version).map(drop))
        }
        6 => {
            let id = bytes.booking();
            let (start, end) = bytes.interval(t0);
            let resource_id = (bytes.byte() & 1 == 1).then(|| bytes.resource());
            let to = Reschedule { start, end, resource_id };
            let version = bytes.version();
            (format!("reschedule {id} {to:?} {version:?}"), t.reschedule(&id, to, version).map(drop))
        }
        7 => {
            let n = bytes.below(3) + 1;
            let items: Vec<NewBooking> = (0..n).map(|_| bytes.new_booking(t0)).collect();
            (format!("create_bookings {items:?}"), t.create_bookings(items).map(drop))
        }
        8 => {
            let id = bytes.resource();
            let flags = bytes.byte();
            let patch = ResourcePatch {
                capacity: (flags & 1 != 0).then(|| u32::from(bytes.below(3)) + 1),
                buffer_before: (flags & 2 != 0).then(|| bytes.buffer()),
                buffer_after: (flags & 4 != 0).then(|| bytes.buffer()),
                active: (flags & 8 != 0).then_some(flags & 16 != 0),
                ..Default::default()
            };
            let version = bytes.version();
            (format!("update_resource {id} {patch:?} {version:?}"), t.update_resource(&id, patch, version).map(drop))
        }
        9 => {
            let id = bytes.resource();
            let policy = if bytes.byte() & 1 == 1 { Policy::Strict } else { Policy::Advisory };
            let n = bytes.below(4);
            let weekly = (0..n)
                .map(|_| {
                    let weekday = Weekday::ALL[usize::from(bytes.below(7))];
                    let start = LocalTime::hm(u16::from(bytes.below(24)), 0).expect("hour");
                    let end = LocalTime::hm(u16::from(bytes.below(25)), 0).expect("hour");
                    WeeklyHours { weekday, start, end }
                })
                .collect();
            let rules = AvailabilityRules { policy, weekly, overrides: Vec::new() };
            let version = bytes.version();
            (format!("set_availability {id} {rules:?} {version:?}"), t.set_availability(&id, rules, version).map(drop))
        }
        10 => {
            let minutes = i64::from(bytes.byte());
            clock.advance(TimeDelta::minutes(minutes));
            (format!("advance {minutes} min"), Ok(()))
        }
        11 => ("sweep_expired".into(), engine.sweep_expired().map(drop)),
        _ => {
            let id = bytes.booking();
            (format!("get {id}"), t.get_booking(&id).map(drop))
        }
    };
    if let Err(e) = &outcome {
        let code = e.code();
        assert!(CODES.contains(&code), "{what} failed with code {code}: {e:?}");
    }
    what
}

/// Every booking and resource of the tenant, paging through.
fn everything(t: &Tenant) -> (Vec<Resource>, Vec<Booking>) {
    let mut resources = Vec::new();
    let mut page = PageRequest::default();
    loop {
        let p = t.list_resources(&page).expect("list resources");
        resources.extend(p.items);
        match p.next_cursor {
            Some(c) => page.cursor = Some(c),
            None => break,
        }
    }
    let mut bookings = Vec::new();
    let mut filter = BookingFilter { limit: Some(1_000), ..Default::default() };
    loop {
        let p = t.list_bookings(&filter).expect("list bookings");
        bookings.extend(p.items);
        match p.next_cursor {
            Some(c) => filter.cursor = Some(c),
            None => break,
        }
    }
    (resources, bookings)
}

/// The naive capacity model: at every boundary of every blocking footprint
/// `[start - buffer_before, end + buffer_after)`, the quantities covering it
/// sum to at most the resource's capacity.
fn check_capacity(t: &Tenant, now: Timestamp) -> Result<(), String> {
    let (resources, bookings) = everything(t);
    let by_id: HashMap<&str, &Resource> = resources.iter().map(|r| (r.id.as_str(), r)).collect();
    let mut per_resource: HashMap<&str, Vec<(i64, i64, u64, &str)>> = HashMap::new();
    for b in &bookings {
        let blocking = match b.status {
            Status::Hold => b.hold_expires_at.is_some_and(|at| at > now),
            Status::Pencil | Status::Confirmed => true,
            Status::Cancelled | Status::Declined | Status::Expired => false,
        };
        if !blocking {
            continue;
        }
        let r = by_id.get(b.resource_id.as_str()).ok_or_else(|| format!("booking {} on unknown resource", b.id))?;
        let us = |d: TimeDelta| d.num_microseconds().unwrap_or(i64::MAX);
        let footprint = (b.start.as_micros() - us(r.buffer_before), b.end.as_micros() + us(r.buffer_after));
        per_resource.entry(r.id.as_str()).or_default().push((footprint.0, footprint.1, u64::from(b.quantity), &b.id));
    }
    for (resource_id, footprints) in &per_resource {
        let capacity = u64::from(by_id[resource_id].capacity);
        for instant in footprints.iter().flat_map(|f| [f.0, f.1]) {
            let covering: Vec<_> = footprints.iter().filter(|f| f.0 <= instant && instant < f.1).collect();
            let used: u64 = covering.iter().map(|f| f.2).sum();
            if used > capacity {
                return Err(format!(
                    "capacity invariant broken on {resource_id} at {} (now {now}): {used} > {capacity}: {covering:?}",
                    Timestamp::from_micros(instant)
                ));
            }
        }
    }
    Ok(())
}

/// The tenant's event `seq`s are 1, 2, 3, ... with no gap.
fn check_events(t: &Tenant, ops: &[String]) {
    let mut since = 0;
    let mut expected = 1;
    loop {
        let page = t.events(since, 1_000).expect("events");
        let Some(last) = page.last() else { break };
        for e in &page {
            assert_eq!(e.seq, expected, "event seq gap after operations:\n{}", ops.join("\n"));
            expected += 1;
        }
        since = last.seq;
    }
}
