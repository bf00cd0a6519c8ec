//! State-machine test: random sequences of engine operations against a naive
//! in-test model of DESIGN.md sections 2-4.
//!
//! The model predicts every outcome (the booking written, or the exact error
//! code with its details) by checking capacity instant by instant and by the
//! transition table of section 3, mirroring the engine's order of checks:
//! input validation, lookup, version, expiry judged at the decision instant,
//! transition, capacity. Creates with a client id are also retried, with the
//! same body (the first result, as the create returned it, and no event) or
//! another one (`ALREADY_EXISTS`). After every step the test also checks, from the
//! engine's own state only, that no resource is over capacity at any
//! instant, that statuses only moved along legal transitions and that the
//! tenant's event seqs are gap-free, and that the listing of one or several
//! resources over a window — answered from the read cache, kept across
//! steps — is the model's, under status filters and page by page. Every store of `common::stores()` runs
//! its own sequences, each on an empty database.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;

use chrono::TimeDelta;
use holdfast::{
    Action, Booking, BookingFilter, Engine, Error, EventType, HoldExpiry, ManualClock, NewBooking, NewResource,
    Reschedule, Resource, Status, Tenant, Timestamp, model::transition,
};
use proptest::prelude::*;
use proptest::sample::Index;
use proptest::test_runner::{TestCaseError, TestRunner};

use common::TestStore;

const MINUTE_US: i64 = 60_000_000;
/// 2030-01-01T00:00:00Z: the clock's start and the grid's origin.
const T0_US: i64 = 1_893_456_000_000_000;
/// Bookings start and end on a 10-minute grid, so conflicts are frequent and
/// 10-minute buffers make neighbours touch or overlap.
const STEP_US: i64 = 10 * MINUTE_US;
const DEFAULT_TTL_US: i64 = 15 * MINUTE_US;
const TENANT: &str = "acme";

struct ResourceSpec {
    id: &'static str,
    capacity: u32,
    before_us: i64,
    after_us: i64,
}

const RESOURCES: [ResourceSpec; 4] = [
    ResourceSpec { id: "solo", capacity: 1, before_us: 0, after_us: 0 },
    ResourceSpec { id: "solo-buffered", capacity: 1, before_us: 10 * MINUTE_US, after_us: 10 * MINUTE_US },
    ResourceSpec { id: "duo", capacity: 2, before_us: 0, after_us: 10 * MINUTE_US },
    ResourceSpec { id: "five", capacity: 5, before_us: 10 * MINUTE_US, after_us: 0 },
];
const GHOST_RESOURCE: &str = "ghost";
const GHOST_BOOKING: &str = "no-such-booking";

// ---- operations ----

#[derive(Debug, Clone)]
enum ResSel {
    Known(usize),
    Ghost,
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Ttl {
    Default,
    Minutes(i64),
    /// `hold_expires_at` this many minutes after the decision instant.
    AtMinutes(i64),
}

#[derive(Debug, Clone)]
struct Spec {
    res: ResSel,
    start_step: i64,
    len_steps: i64,
    status: Status,
    quantity: u32,
    ttl: Ttl,
}

#[derive(Debug, Clone)]
enum Target {
    /// Any booking the tenant has, terminal ones included.
    Booking(Index),
    /// A booking in a capacity-consuming status (a hold possibly past its
    /// expiry), if there is one.
    Live(Index),
    Unknown,
}

#[derive(Debug, Clone, Copy)]
enum Ver {
    Unchecked,
    Current,
    Stale,
}

#[derive(Debug, Clone)]
enum Op {
    Create {
        spec: Spec,
        client_id: bool,
    },
    /// Repeats an earlier create that carried a client id, the same body
    /// or (`alter`) another one.
    Retry {
        which: Index,
        alter: bool,
    },
    Batch(Vec<Spec>),
    Act {
        action: Action,
        target: Target,
        ver: Ver,
    },
    /// `Ttl::Minutes` (from now) or `Ttl::AtMinutes` (an instant); never `Default`.
    Extend {
        target: Target,
        until: Ttl,
        ver: Ver,
    },
    Reschedule {
        target: Target,
        to: Option<ResSel>,
        start_step: i64,
        len_steps: i64,
        ver: Ver,
    },
    Advance {
        minutes: i64,
    },
    Sweep,
}

fn res_sel() -> impl Strategy<Value = ResSel> {
    prop_oneof![16 => (0..RESOURCES.len()).prop_map(ResSel::Known), 1 => Just(ResSel::Ghost)]
}

fn len_steps() -> impl Strategy<Value = i64> {
    prop_oneof![24 => 1i64..=4, 1 => Just(0i64)]
}

fn spec() -> impl Strategy<Value = Spec> {
    let status = prop_oneof![Just(Status::Hold), Just(Status::Pencil), Just(Status::Confirmed)];
    let quantity = prop_oneof![20 => Just(1u32), 5 => Just(2u32), 2 => 3u32..=5, 1 => Just(6u32), 1 => Just(0u32)];
    let hold_ttl = prop_oneof![
        4 => Just(Ttl::Default),
        4 => (1i64..=60).prop_map(Ttl::Minutes),
        1 => Just(Ttl::Minutes(0)),
        2 => (-10i64..=60).prop_map(Ttl::AtMinutes),
    ];
    // A TTL on a pencil or confirmed booking is invalid input; keep it rare.
    let misuse = prop::bool::weighted(0.06);
    (res_sel(), 0i64..12, len_steps(), status, quantity, hold_ttl, misuse).prop_map(
        |(res, start_step, len_steps, status, quantity, hold_ttl, misuse)| {
            let ttl = match (status, misuse) {
                (Status::Hold, _) => hold_ttl,
                (_, true) => Ttl::Minutes(30),
                (_, false) => Ttl::Default,
            };
            Spec { res, start_step, len_steps, status, quantity, ttl }
        },
    )
}

fn target() -> impl Strategy<Value = Target> {
    prop_oneof![
        8 => any::<Index>().prop_map(Target::Booking),
        8 => any::<Index>().prop_map(Target::Live),
        1 => Just(Target::Unknown),
    ]
}

fn ver() -> impl Strategy<Value = Ver> {
    prop_oneof![6 => Just(Ver::Unchecked), 3 => Just(Ver::Current), 1 => Just(Ver::Stale)]
}

fn op() -> impl Strategy<Value = Op> {
    let action = prop_oneof![Just(Action::Pencil), Just(Action::Confirm), Just(Action::Cancel), Just(Action::Decline)];
    prop_oneof![
        30 => (spec(), any::<bool>()).prop_map(|(spec, client_id)| Op::Create { spec, client_id }),
        4 => (any::<Index>(), prop::bool::weighted(0.3)).prop_map(|(which, alter)| Op::Retry { which, alter }),
        6 => prop::collection::vec(spec(), 2..=4).prop_map(Op::Batch),
        25 => (action, target(), ver()).prop_map(|(action, target, ver)| Op::Act { action, target, ver }),
        6 => (target(), prop_oneof![12 => 1i64..=60, 1 => Just(0i64)], ver())
            .prop_map(|(target, minutes, ver)| Op::Extend { target, until: Ttl::Minutes(minutes), ver }),
        2 => (target(), -5i64..=60, ver()).prop_map(|(target, m, ver)| Op::Extend { target, until: Ttl::AtMinutes(m), ver }),
        12 => (target(), prop::option::weighted(0.4, res_sel()), 0i64..12, len_steps(), ver()).prop_map(
            |(target, to, start_step, len_steps, ver)| Op::Reschedule { target, to, start_step, len_steps, ver }
        ),
        8 => (1i64..=30).prop_map(|minutes| Op::Advance { minutes }),
        3 => Just(Op::Sweep),
    ]
}

/// Outcomes seen, by operation and code, over every case run (printed with
/// `--nocapture` so one can see the generator reaches every branch).
static OUTCOMES: Mutex<BTreeMap<String, u64>> = Mutex::new(BTreeMap::new());

fn tally<T>(op: &str, got: &Result<T, Error>) {
    let outcome = match got {
        Ok(_) => "ok",
        Err(e) => e.code(),
    };
    *OUTCOMES.lock().unwrap().entry(format!("{op:>15} {outcome}")).or_default() += 1;
}

// ---- the model ----

#[derive(Debug, Clone, PartialEq)]
struct ModelBooking {
    id: String,
    res: usize,
    start_us: i64,
    end_us: i64,
    status: Status,
    quantity: u32,
    expires_us: Option<i64>,
    version: i64,
    updated_us: i64,
}

impl ModelBooking {
    fn blocking_at(&self, now_us: i64) -> bool {
        match self.status {
            Status::Hold => self.expires_us.is_some_and(|at| at > now_us),
            Status::Pencil | Status::Confirmed => true,
            _ => false,
        }
    }

    fn footprint(&self) -> (i64, i64) {
        let r = &RESOURCES[self.res];
        (self.start_us - r.before_us, self.end_us + r.after_us)
    }
}

/// An error the model predicts, with the details it can predict.
#[derive(Debug, Clone, PartialEq)]
struct Want {
    code: &'static str,
    /// `details.index` of a batch failure.
    index: Option<usize>,
    /// CONFLICT: the resource and every booking named, sorted by id.
    conflicts: Option<(String, Vec<ModelBooking>)>,
    /// VERSION_MISMATCH: the current version.
    current_version: Option<i64>,
    /// HOLD_EXPIRED: when the hold ran out.
    expired_at_us: Option<i64>,
    /// INVALID_TRANSITION: the status acted on.
    status: Option<Status>,
}

impl Want {
    fn code(code: &'static str) -> Want {
        Want { code, index: None, conflicts: None, current_version: None, expired_at_us: None, status: None }
    }
}

/// An event the model expects: booking, type, actor.
type WantEvent = (String, EventType, &'static str);

struct Model {
    now_us: i64,
    bookings: Vec<ModelBooking>,
    /// What each successful create returned, for idempotent repeats.
    first_results: HashMap<String, ModelBooking>,
    next_client_id: u64,
}

/// The answer of the naive capacity check: the blocking bookings (sorted by
/// id) that share an over-capacity instant with the candidate, or `None` if
/// it fits. Usage is judged at every boundary instant inside the candidate's
/// footprint.
fn naive_conflicts(
    others: &[&ModelBooking],
    res: usize,
    start_us: i64,
    end_us: i64,
    quantity: u32,
    now_us: i64,
) -> Option<Vec<ModelBooking>> {
    let r = &RESOURCES[res];
    let (cs, ce) = (start_us - r.before_us, end_us + r.after_us);
    let blocking: Vec<&ModelBooking> =
        others.iter().copied().filter(|b| b.res == res && b.blocking_at(now_us)).collect();
    let mut points: Vec<i64> = vec![cs];
    for b in &blocking {
        let (s, e) = b.footprint();
        points.extend([s, e]);
    }
    points.retain(|&p| cs <= p && p < ce);
    points.sort_unstable();
    points.dedup();
    let covers = |b: &ModelBooking, p: i64| {
        let (s, e) = b.footprint();
        s <= p && p < e
    };
    let hot: Vec<i64> = points
        .into_iter()
        .filter(|&p| {
            let usage: u64 = blocking.iter().filter(|b| covers(b, p)).map(|b| u64::from(b.quantity)).sum();
            usage + u64::from(quantity) > u64::from(r.capacity)
        })
        .collect();
    if hot.is_empty() {
        return None;
    }
    let mut named: Vec<ModelBooking> =
        blocking.into_iter().filter(|b| hot.iter().any(|&p| covers(b, p))).cloned().collect();
    named.sort_by(|a, b| a.id.cmp(&b.id));
    Some(named)
}

fn conflict(res: usize, named: Vec<ModelBooking>) -> Want {
    Want { conflicts: Some((RESOURCES[res].id.to_owned(), named)), ..Want::code("CONFLICT") }
}

impl Model {
    /// The checks `NewBooking::validate` makes before any store access.
    fn statically_invalid(spec: &Spec) -> bool {
        spec.len_steps <= 0 || spec.quantity == 0 || (spec.status != Status::Hold && spec.ttl != Ttl::Default)
    }

    fn new_booking(&self, spec: &Spec, id: Option<String>) -> NewBooking {
        let start_us = T0_US + spec.start_step * STEP_US;
        NewBooking {
            id,
            resource_id: match spec.res {
                ResSel::Known(i) => RESOURCES[i].id.into(),
                ResSel::Ghost => GHOST_RESOURCE.into(),
            },
            start: Timestamp::from_micros(start_us),
            end: Timestamp::from_micros(start_us + spec.len_steps * STEP_US),
            status: spec.status,
            quantity: spec.quantity,
            hold_ttl: match spec.ttl {
                Ttl::Minutes(m) => Some(TimeDelta::minutes(m)),
                _ => None,
            },
            hold_expires_at: match spec.ttl {
                Ttl::AtMinutes(m) => Some(Timestamp::from_micros(self.now_us + m * MINUTE_US)),
                _ => None,
            },
            ..Default::default()
        }
    }

    /// The in-transaction part of a create: resource, quantity, expiry,
    /// capacity (beside `pending`, earlier items of the same batch).
    fn predict_create(&self, spec: &Spec, id: &str, pending: &[ModelBooking]) -> Result<ModelBooking, Want> {
        let ResSel::Known(res) = spec.res else {
            return Err(Want::code("NOT_FOUND"));
        };
        if spec.quantity > RESOURCES[res].capacity {
            return Err(Want::code("INVALID_INPUT"));
        }
        let expires_us = match (spec.status, spec.ttl) {
            (Status::Hold, Ttl::Default) => Some(self.now_us + DEFAULT_TTL_US),
            (Status::Hold, Ttl::Minutes(m) | Ttl::AtMinutes(m)) if m <= 0 => return Err(Want::code("INVALID_INPUT")),
            (Status::Hold, Ttl::Minutes(m) | Ttl::AtMinutes(m)) => Some(self.now_us + m * MINUTE_US),
            _ => None,
        };
        let start_us = T0_US + spec.start_step * STEP_US;
        let end_us = start_us + spec.len_steps * STEP_US;
        let others: Vec<&ModelBooking> = self.bookings.iter().chain(pending).collect();
        if let Some(named) = naive_conflicts(&others, res, start_us, end_us, spec.quantity, self.now_us) {
            return Err(conflict(res, named));
        }
        Ok(ModelBooking {
            id: id.to_owned(),
            res,
            start_us,
            end_us,
            status: spec.status,
            quantity: spec.quantity,
            expires_us,
            version: 1,
            updated_us: self.now_us,
        })
    }

    /// The checks every action shares, in the engine's order: the refusal,
    /// if any, and whether the hold is expired on contact (committed anyway).
    fn refusal(&self, index: usize, action: Action, expected: Option<i64>) -> Option<(Want, bool)> {
        let b = &self.bookings[index];
        if let Some(v) = expected
            && v != b.version
        {
            return Some((Want { current_version: Some(b.version), ..Want::code("VERSION_MISMATCH") }, false));
        }
        if b.status == Status::Hold && !b.blocking_at(self.now_us) {
            return Some((Want { expired_at_us: b.expires_us, ..Want::code("HOLD_EXPIRED") }, true));
        }
        if b.status == Status::Expired {
            return Some((Want { expired_at_us: b.expires_us, ..Want::code("HOLD_EXPIRED") }, false));
        }
        if transition(b.status, action).is_none() {
            return Some((Want { status: Some(b.status), ..Want::code("INVALID_TRANSITION") }, false));
        }
        None
    }

    /// `hold -> expired` by the system.
    fn expire(&mut self, index: usize, events: &mut Vec<WantEvent>) {
        let now_us = self.now_us;
        let b = &mut self.bookings[index];
        b.status = Status::Expired;
        b.version += 1;
        b.updated_us = now_us;
        events.push((b.id.clone(), EventType::Expired, "system"));
    }

    /// Bumps the version and timestamp of a changed booking and records its event.
    fn saved(&mut self, next: ModelBooking, index: usize, kind: EventType, events: &mut Vec<WantEvent>) {
        let mut next = next;
        next.version += 1;
        next.updated_us = self.now_us;
        events.push((next.id.clone(), kind, "api"));
        self.bookings[index] = next;
    }
}

// ---- checking the engine against the model ----

fn at(us: i64) -> Timestamp {
    Timestamp::from_micros(us)
}

fn expect_err<T: std::fmt::Debug>(ctx: &str, want: &Want, got: &Result<T, Error>) -> Result<(), TestCaseError> {
    let err = match got {
        Ok(v) => return Err(TestCaseError::fail(format!("{ctx}: engine succeeded with {v:?}, model wants {want:?}"))),
        Err(e) => e,
    };
    prop_assert_eq!(err.code(), want.code, "{}: engine error {:?}, model wants {:?}", ctx, err, want);
    match (want.index, err) {
        (Some(index), Error::InBatch { index: got, .. }) => prop_assert_eq!(*got, index, "{}: {:?}", ctx, err),
        (None, Error::InBatch { .. }) => prop_assert!(false, "{}: unexpected batch error {:?}", ctx, err),
        (Some(_), _) => prop_assert!(false, "{}: batch error without index: {:?}", ctx, err),
        (None, _) => {}
    }
    let root = err.root();
    if let Some((resource, named)) = &want.conflicts {
        let Error::Conflict { resource_id, conflicts } = root else { unreachable!("code checked") };
        prop_assert_eq!(resource_id, resource, "{}", ctx);
        let mut got: Vec<_> = conflicts
            .iter()
            .map(|c| (c.id.clone(), c.resource_id.clone(), c.status, c.interval.start, c.interval.end, c.quantity))
            .collect();
        got.sort();
        let want: Vec<_> = named
            .iter()
            .map(|b| (b.id.clone(), RESOURCES[b.res].id.to_owned(), b.status, at(b.start_us), at(b.end_us), b.quantity))
            .collect();
        prop_assert_eq!(got, want, "{}: conflicts named", ctx);
    }
    if let Some(version) = want.current_version {
        let Error::VersionMismatch { current_version, .. } = root else { unreachable!("code checked") };
        prop_assert_eq!(*current_version, version, "{}", ctx);
    }
    if let Some(expired_at_us) = want.expired_at_us {
        let Error::HoldExpired { expired_at, .. } = root else { unreachable!("code checked") };
        prop_assert_eq!(*expired_at, at(expired_at_us), "{}", ctx);
    }
    if let Some(status) = want.status {
        let Error::InvalidTransition { status: got, .. } = root else { unreachable!("code checked") };
        prop_assert_eq!(*got, status, "{}", ctx);
    }
    Ok(())
}

fn expect_booking(ctx: &str, want: &ModelBooking, got: &Booking) -> Result<(), TestCaseError> {
    let r = &RESOURCES[want.res];
    prop_assert_eq!(&got.id, &want.id, "{}: id", ctx);
    prop_assert_eq!(&got.resource_id, r.id, "{}: resource of {}", ctx, want.id);
    prop_assert_eq!(got.start, at(want.start_us), "{}: start of {}", ctx, want.id);
    prop_assert_eq!(got.end, at(want.end_us), "{}: end of {}", ctx, want.id);
    prop_assert_eq!(got.status, want.status, "{}: status of {}", ctx, want.id);
    prop_assert_eq!(got.quantity, want.quantity, "{}: quantity of {}", ctx, want.id);
    prop_assert_eq!(got.hold_expires_at, want.expires_us.map(at), "{}: hold_expires_at of {}", ctx, want.id);
    prop_assert_eq!(got.version, want.version, "{}: version of {}", ctx, want.id);
    prop_assert_eq!(got.updated_at, at(want.updated_us), "{}: updated_at of {}", ctx, want.id);
    Ok(())
}

/// Every booking of the tenant, read page by page (small pages, so the
/// cursor is exercised too).
fn all_bookings(t: &Tenant) -> Vec<Booking> {
    let mut out = Vec::new();
    let mut cursor = None;
    loop {
        let page = t.list_bookings(&BookingFilter { limit: Some(7), cursor, ..Default::default() }).unwrap();
        out.extend(page.items);
        match page.next_cursor {
            Some(next) => cursor = Some(next),
            None => return out,
        }
    }
}

/// The capacity invariant over the engine's own state (see `common`).
fn check_capacity(
    ctx: &str,
    resources: &[Resource],
    bookings: &[Booking],
    now: Timestamp,
) -> Result<(), TestCaseError> {
    common::check_capacity_naive(resources, bookings, now)
        .map(|_| ())
        .map_err(|v| TestCaseError::fail(format!("{ctx}: {v}")))
}

const ALL_ACTIONS: [Action; 7] = [
    Action::Pencil,
    Action::Confirm,
    Action::Cancel,
    Action::Decline,
    Action::Expire,
    Action::Reschedule,
    Action::ExtendHold,
];

/// From one engine snapshot to the next: nothing vanishes, new bookings
/// start blocking at version 1, statuses move only along the table, and
/// any change bumps the version.
fn check_transitions(
    ctx: &str,
    before: &HashMap<String, Booking>,
    after: &HashMap<String, Booking>,
) -> Result<(), TestCaseError> {
    for id in before.keys() {
        prop_assert!(after.contains_key(id), "{}: booking {} vanished", ctx, id);
    }
    for (id, cur) in after {
        match before.get(id) {
            None => {
                prop_assert!(cur.status.consumes_capacity(), "{}: {} born {}", ctx, id, cur.status);
                prop_assert_eq!(cur.version, 1, "{}: {} born at version {}", ctx, id, cur.version);
            }
            Some(prev) => {
                if prev.status != cur.status {
                    prop_assert!(
                        ALL_ACTIONS.iter().any(|&a| transition(prev.status, a) == Some(cur.status)),
                        "{}: {} moved {} -> {}",
                        ctx,
                        id,
                        prev.status,
                        cur.status
                    );
                }
                if prev == cur {
                    continue;
                }
                prop_assert!(
                    prev.status.consumes_capacity(),
                    "{}: terminal {} changed: {:?} -> {:?}",
                    ctx,
                    id,
                    prev,
                    cur
                );
                prop_assert!(cur.version > prev.version, "{}: {} changed without a new version", ctx, id);
            }
        }
    }
    Ok(())
}

struct Run {
    clock: ManualClock,
    engine: Engine,
    t: Tenant,
    resources: Vec<Resource>,
    model: Model,
    last_seq: i64,
    snapshot: HashMap<String, Booking>,
    /// Creates sent with a client id, and the instant they were sent at.
    sent: Vec<(Spec, NewBooking, i64)>,
}

impl Run {
    fn new(store: &TestStore) -> Run {
        let clock = ManualClock::new(at(T0_US));
        let engine = Engine::builder().url(store.fresh_url()).clock(clock.clone()).open().unwrap();
        engine.create_tenant(TENANT, "Acme").unwrap();
        let t = engine.tenant(TENANT).unwrap();
        for r in &RESOURCES {
            t.create_resource(NewResource {
                id: Some(r.id.into()),
                name: r.id.into(),
                capacity: r.capacity,
                buffer_before: TimeDelta::microseconds(r.before_us),
                buffer_after: TimeDelta::microseconds(r.after_us),
                ..Default::default()
            })
            .unwrap();
        }
        let resources = t.list_resources(&Default::default()).unwrap().items;
        assert_eq!(resources.len(), RESOURCES.len());
        let events = t.events(0, 1_000).unwrap();
        assert_eq!(
            events.iter().map(|e| e.seq).collect::<Vec<_>>(),
            (1..=1 + RESOURCES.len() as i64).collect::<Vec<_>>()
        );
        let last_seq = events.last().unwrap().seq;
        let model = Model { now_us: T0_US, bookings: Vec::new(), first_results: HashMap::new(), next_client_id: 0 };
        Run { clock, engine, t, resources, model, last_seq, snapshot: HashMap::new(), sent: Vec::new() }
    }

    /// The booking an op aims at: an index into the model's list, or an id
    /// the tenant does not have.
    fn pick(&self, target: &Target) -> Option<usize> {
        let all = &self.model.bookings;
        match target {
            Target::Live(i) => {
                let live: Vec<usize> = (0..all.len()).filter(|&j| all[j].status.consumes_capacity()).collect();
                match live.len() {
                    0 if all.is_empty() => None,
                    0 => Some(i.index(all.len())),
                    n => Some(live[i.index(n)]),
                }
            }
            Target::Booking(i) if !all.is_empty() => Some(i.index(all.len())),
            _ => None,
        }
    }

    fn expected_version(&self, index: Option<usize>, ver: Ver) -> Option<i64> {
        let current = index.map_or(1, |i| self.model.bookings[i].version);
        match ver {
            Ver::Unchecked => None,
            Ver::Current => Some(current),
            Ver::Stale if current > 1 => Some(current - 1),
            Ver::Stale => Some(current + 1),
        }
    }

    fn client_id(&mut self) -> String {
        self.model.next_client_id += 1;
        format!("k{}", self.model.next_client_id)
    }

    /// A single create, predicted from `spec` (its `id` comes with `new`).
    fn create_one(
        &mut self,
        ctx: &str,
        spec: &Spec,
        new: NewBooking,
        events: &mut Vec<WantEvent>,
    ) -> Result<(), TestCaseError> {
        let id = new.id.clone();
        let want = if Model::statically_invalid(spec) {
            Err(Want::code("INVALID_INPUT"))
        } else {
            self.model.predict_create(spec, id.as_deref().unwrap_or("?"), &[])
        };
        let got = self.t.create_booking(new);
        tally(if id.is_some() { "create (own id)" } else { "create_booking" }, &got);
        match want {
            Err(want) => expect_err(ctx, &want, &got)?,
            Ok(mut want) => {
                let got = got.map_err(|e| TestCaseError::fail(format!("{ctx}: engine refused: {e:?}")))?;
                if id.is_none() {
                    want.id.clone_from(&got.id);
                }
                expect_booking(ctx, &want, &got)?;
                events.push((want.id.clone(), EventType::Created, "api"));
                self.model.first_results.insert(want.id.clone(), want.clone());
                self.model.bookings.push(want);
            }
        }
        Ok(())
    }

    /// Runs one op on the engine and the model; returns the events the model expects.
    fn step(&mut self, ctx: &str, op: &Op) -> Result<Vec<WantEvent>, TestCaseError> {
        let mut events = Vec::new();
        match op {
            Op::Create { spec, client_id } => {
                let id = client_id.then(|| self.client_id());
                let new = self.model.new_booking(spec, id.clone());
                if id.is_some() {
                    self.sent.push((spec.clone(), new.clone(), self.model.now_us));
                }
                self.create_one(ctx, spec, new, &mut events)?;
            }
            Op::Retry { which, alter } => {
                if self.sent.is_empty() {
                    return Ok(events);
                }
                let sent_index = which.index(self.sent.len());
                let (spec, mut new, sent_us) = self.sent[sent_index].clone();
                if *alter {
                    // Always differs from the body sent (and maybe stored) before.
                    new.title = Some(format!("{}+changed", new.title.unwrap_or_default()));
                }
                let id = new.id.clone().unwrap();
                let existing = self.model.bookings.iter().find(|b| b.id == id).cloned();
                match existing {
                    // Same id, same body: the first result again, no event.
                    Some(_) if !alter && !Model::statically_invalid(&spec) => {
                        let got = self.t.create_booking(new);
                        tally("retry", &got);
                        let got = got.map_err(|e| TestCaseError::fail(format!("{ctx}: engine refused: {e:?}")))?;
                        expect_booking(ctx, &self.model.first_results[&id], &got)?;
                    }
                    Some(_) if !Model::statically_invalid(&spec) => {
                        let got = self.t.create_booking(new);
                        tally("retry", &got);
                        expect_err(ctx, &Want::code("ALREADY_EXISTS"), &got)?;
                    }
                    // Never stored: judged afresh, an absolute expiry now
                    // counting from the current instant.
                    _ => {
                        let ttl = match spec.ttl {
                            Ttl::AtMinutes(m) => {
                                Ttl::AtMinutes((sent_us + m * MINUTE_US - self.model.now_us) / MINUTE_US)
                            }
                            other => other,
                        };
                        self.create_one(ctx, &Spec { ttl, ..spec }, new.clone(), &mut events)?;
                        if self.model.bookings.iter().any(|b| b.id == id) {
                            // Stored now (an altered body too): later
                            // repeats are judged against this body.
                            self.sent[sent_index].1 = new;
                        }
                    }
                }
            }
            Op::Batch(specs) => {
                let ids: Vec<String> = specs.iter().map(|_| self.client_id()).collect();
                let items: Vec<NewBooking> =
                    specs.iter().zip(&ids).map(|(s, id)| self.model.new_booking(s, Some(id.clone()))).collect();
                let want = match specs.iter().position(Model::statically_invalid) {
                    Some(index) => Err(Want { index: Some(index), ..Want::code("INVALID_INPUT") }),
                    None => {
                        let mut pending: Vec<ModelBooking> = Vec::new();
                        let mut failed = None;
                        for (index, (spec, id)) in specs.iter().zip(&ids).enumerate() {
                            match self.model.predict_create(spec, id, &pending) {
                                Ok(b) => pending.push(b),
                                Err(want) => {
                                    failed = Some(Want { index: Some(index), ..want });
                                    break;
                                }
                            }
                        }
                        failed.map_or(Ok(pending), Err)
                    }
                };
                let got = self.t.create_bookings(items);
                tally("create_bookings", &got);
                match want {
                    Err(want) => expect_err(ctx, &want, &got)?,
                    Ok(created) => {
                        let got = got.map_err(|e| TestCaseError::fail(format!("{ctx}: engine refused: {e:?}")))?;
                        prop_assert_eq!(got.len(), created.len(), "{}", ctx);
                        for (want, got) in created.iter().zip(&got) {
                            expect_booking(ctx, want, got)?;
                            events.push((want.id.clone(), EventType::Created, "api"));
                            self.model.first_results.insert(want.id.clone(), want.clone());
                        }
                        self.model.bookings.extend(created);
                    }
                }
            }
            Op::Act { action, target, ver } => {
                let index = self.pick(target);
                let expected = self.expected_version(index, *ver);
                let id = index.map_or(GHOST_BOOKING.to_owned(), |i| self.model.bookings[i].id.clone());
                let got = match action {
                    Action::Pencil => self.t.pencil(&id, expected),
                    Action::Confirm => self.t.confirm(&id, expected),
                    Action::Cancel => self.t.cancel(&id, expected),
                    Action::Decline => self.t.decline(&id, expected),
                    other => unreachable!("not generated: {other:?}"),
                };
                tally(action.as_str(), &got);
                let Some(index) = index else {
                    return expect_err(ctx, &Want::code("NOT_FOUND"), &got).map(|()| events);
                };
                match self.model.refusal(index, *action, expected) {
                    Some((want, expire)) => {
                        expect_err(ctx, &want, &got)?;
                        if expire {
                            self.model.expire(index, &mut events);
                        }
                    }
                    None => {
                        let mut next = self.model.bookings[index].clone();
                        next.status = transition(next.status, *action).unwrap();
                        if next.status != Status::Hold {
                            next.expires_us = None;
                        }
                        let kind = match action {
                            Action::Pencil => EventType::Pencilled,
                            Action::Confirm => EventType::Confirmed,
                            Action::Cancel => EventType::Cancelled,
                            _ => EventType::Declined,
                        };
                        self.model.saved(next, index, kind, &mut events);
                        let got = got.map_err(|e| TestCaseError::fail(format!("{ctx}: engine refused: {e:?}")))?;
                        expect_booking(ctx, &self.model.bookings[index], &got)?;
                    }
                }
            }
            Op::Extend { target, until, ver } => {
                let index = self.pick(target);
                let expected = self.expected_version(index, *ver);
                let id = index.map_or(GHOST_BOOKING.to_owned(), |i| self.model.bookings[i].id.clone());
                let (minutes, until) = match *until {
                    Ttl::Minutes(m) => (m, HoldExpiry::Ttl(TimeDelta::minutes(m))),
                    Ttl::AtMinutes(m) => (m, HoldExpiry::At(at(self.model.now_us + m * MINUTE_US))),
                    Ttl::Default => unreachable!("not generated"),
                };
                let got = self.t.extend_hold(&id, until, expected);
                tally("extend_hold", &got);
                let Some(index) = index else {
                    return expect_err(ctx, &Want::code("NOT_FOUND"), &got).map(|()| events);
                };
                match self.model.refusal(index, Action::ExtendHold, expected) {
                    Some((want, expire)) => {
                        expect_err(ctx, &want, &got)?;
                        if expire {
                            self.model.expire(index, &mut events);
                        }
                    }
                    None if minutes <= 0 => expect_err(ctx, &Want::code("INVALID_INPUT"), &got)?,
                    None => {
                        let mut next = self.model.bookings[index].clone();
                        next.expires_us = Some(self.model.now_us + minutes * MINUTE_US);
                        self.model.saved(next, index, EventType::HoldExtended, &mut events);
                        let got = got.map_err(|e| TestCaseError::fail(format!("{ctx}: engine refused: {e:?}")))?;
                        expect_booking(ctx, &self.model.bookings[index], &got)?;
                    }
                }
            }
            Op::Reschedule { target, to, start_step, len_steps, ver } => {
                let index = self.pick(target);
                let expected = self.expected_version(index, *ver);
                let id = index.map_or(GHOST_BOOKING.to_owned(), |i| self.model.bookings[i].id.clone());
                let start_us = T0_US + start_step * STEP_US;
                let end_us = start_us + len_steps * STEP_US;
                let resource_id = to.as_ref().map(|r| match r {
                    ResSel::Known(i) => RESOURCES[*i].id.to_owned(),
                    ResSel::Ghost => GHOST_RESOURCE.to_owned(),
                });
                let got =
                    self.t.reschedule(&id, Reschedule { start: at(start_us), end: at(end_us), resource_id }, expected);
                tally("reschedule", &got);
                // The interval is checked before anything is looked up.
                if *len_steps <= 0 {
                    return expect_err(ctx, &Want::code("INVALID_INPUT"), &got).map(|()| events);
                }
                let Some(index) = index else {
                    return expect_err(ctx, &Want::code("NOT_FOUND"), &got).map(|()| events);
                };
                if let Some((want, expire)) = self.model.refusal(index, Action::Reschedule, expected) {
                    expect_err(ctx, &want, &got)?;
                    if expire {
                        self.model.expire(index, &mut events);
                    }
                    return Ok(events);
                }
                let current = self.model.bookings[index].clone();
                let res = match to {
                    None => current.res,
                    Some(ResSel::Known(i)) => *i,
                    Some(ResSel::Ghost) => return expect_err(ctx, &Want::code("NOT_FOUND"), &got).map(|()| events),
                };
                if current.quantity > RESOURCES[res].capacity {
                    return expect_err(ctx, &Want::code("INVALID_INPUT"), &got).map(|()| events);
                }
                let others: Vec<&ModelBooking> = self.model.bookings.iter().filter(|b| b.id != current.id).collect();
                if let Some(named) =
                    naive_conflicts(&others, res, start_us, end_us, current.quantity, self.model.now_us)
                {
                    return expect_err(ctx, &conflict(res, named), &got).map(|()| events);
                }
                let mut next = current;
                next.res = res;
                next.start_us = start_us;
                next.end_us = end_us;
                self.model.saved(next, index, EventType::Rescheduled, &mut events);
                let got = got.map_err(|e| TestCaseError::fail(format!("{ctx}: engine refused: {e:?}")))?;
                expect_booking(ctx, &self.model.bookings[index], &got)?;
            }
            Op::Advance { minutes } => {
                self.clock.advance(TimeDelta::minutes(*minutes));
                self.model.now_us += minutes * MINUTE_US;
                prop_assert_eq!(self.engine.now(), at(self.model.now_us));
            }
            Op::Sweep => {
                let now_us = self.model.now_us;
                let mut due: Vec<(i64, String, usize)> = self
                    .model
                    .bookings
                    .iter()
                    .enumerate()
                    .filter(|(_, b)| b.status == Status::Hold && !b.blocking_at(now_us))
                    .map(|(i, b)| (b.expires_us.unwrap(), b.id.clone(), i))
                    .collect();
                // The sweep expires oldest expiry first, then by id.
                due.sort();
                let swept = self.engine.sweep_expired();
                tally("sweep_expired", &swept);
                prop_assert_eq!(swept, Ok(due.len()), "{}", ctx);
                for (_, _, index) in due {
                    self.model.expire(index, &mut events);
                }
            }
        }
        Ok(events)
    }

    /// After a step: the events, the engine's whole state, the invariant and
    /// the transitions.
    fn check(&mut self, ctx: &str, want_events: &[WantEvent]) -> Result<(), TestCaseError> {
        let events = self.t.events(self.last_seq, 1_000).unwrap();
        let seqs: Vec<i64> = events.iter().map(|e| e.seq).collect();
        let want_seqs: Vec<i64> = (self.last_seq + 1..=self.last_seq + want_events.len() as i64).collect();
        prop_assert_eq!(seqs, want_seqs, "{}: event seqs (events {:?}, want {:?})", ctx, events, want_events);
        for (e, (id, kind, actor)) in events.iter().zip(want_events) {
            prop_assert_eq!(e.booking_id.as_deref(), Some(id.as_str()), "{}: event {}", ctx, e.seq);
            prop_assert_eq!(e.kind, *kind, "{}: event {}", ctx, e.seq);
            prop_assert_eq!(&e.actor, actor, "{}: event {}", ctx, e.seq);
            prop_assert_eq!(e.at, at(self.model.now_us), "{}: event {}", ctx, e.seq);
            prop_assert_eq!(&e.tenant_id, TENANT, "{}: event {}", ctx, e.seq);
        }
        self.last_seq += want_events.len() as i64;

        let bookings = all_bookings(&self.t);
        let now = self.engine.now();
        check_capacity(ctx, &self.resources, &bookings, now)?;
        let snapshot: HashMap<String, Booking> = bookings.into_iter().map(|b| (b.id.clone(), b)).collect();
        check_transitions(ctx, &self.snapshot, &snapshot)?;
        prop_assert_eq!(snapshot.len(), self.model.bookings.len(), "{}: number of bookings", ctx);
        for want in &self.model.bookings {
            let got = snapshot.get(&want.id);
            prop_assert!(got.is_some(), "{}: booking {} missing", ctx, want.id);
            expect_booking(ctx, want, got.unwrap())?;
        }
        self.snapshot = snapshot;
        self.check_listings(ctx)
    }

    /// Each resource's bookings, and those of two and three resources
    /// together, over a few windows, as `list_bookings` pages them from the
    /// read cache, against the model. The windows move with
    /// the log (so the cache both serves and reloads), one reaches across
    /// several cache buckets, and the status filters rotate.
    fn check_listings(&self, ctx: &str) -> Result<(), TestCaseError> {
        let k = self.last_seq;
        let narrow = (T0_US + (k % 9) * STEP_US, T0_US + (k % 9 + 1 + k % 4) * STEP_US);
        let wide = (T0_US - 20 * 24 * 60 * MINUTE_US, T0_US + 20 * 24 * 60 * MINUTE_US);
        let filters: [&[Status]; 3] = [&[], &[Status::Hold, Status::Pencil], &[Status::Confirmed, Status::Expired]];
        let statuses = filters[(k % 3) as usize];
        // Each resource alone, then two and three together (one cache load
        // for the missing ones, pages merged across resources).
        let sets: [&[usize]; 6] = [&[0], &[1], &[2], &[3], &[0, 2], &[3, 1, 2]];
        for set in sets {
            let ids: Vec<String> = set.iter().map(|&res| RESOURCES[res].id.to_owned()).collect();
            for (start_us, end_us) in [narrow, wide] {
                let mut want: Vec<(i64, &str)> = self
                    .model
                    .bookings
                    .iter()
                    .filter(|b| set.contains(&b.res) && b.start_us < end_us && start_us < b.end_us)
                    .filter(|b| statuses.is_empty() || statuses.contains(&b.status))
                    .map(|b| (b.start_us, b.id.as_str()))
                    .collect();
                want.sort();
                let mut got = Vec::new();
                let mut cursor = None;
                loop {
                    let filter = BookingFilter {
                        resource_ids: ids.clone(),
                        statuses: statuses.to_vec(),
                        start: Some(at(start_us)),
                        end: Some(at(end_us)),
                        limit: Some(3),
                        cursor,
                        ..Default::default()
                    };
                    let page = self.t.list_bookings(&filter).unwrap();
                    for b in &page.items {
                        expect_booking(ctx, self.model.bookings.iter().find(|m| m.id == b.id).unwrap(), b)?;
                    }
                    got.extend(page.items.iter().map(|b| (b.start.as_micros(), b.id.clone())));
                    match page.next_cursor {
                        Some(next) => cursor = Some(next),
                        None => break,
                    }
                }
                let got: Vec<(i64, &str)> = got.iter().map(|(s, id)| (*s, id.as_str())).collect();
                prop_assert_eq!(
                    got,
                    want,
                    "{}: listing of {:?} over {:?} with {:?}",
                    ctx,
                    ids,
                    (start_us, end_us),
                    statuses
                );
            }
        }
        Ok(())
    }
}

fn run(store: &TestStore, ops: &[Op]) -> Result<(), TestCaseError> {
    let mut run = Run::new(store);
    for (step, op) in ops.iter().enumerate() {
        let ctx = format!("step {step} ({op:?}) at +{} min", (run.model.now_us - T0_US) / MINUTE_US);
        let events = run.step(&ctx, op)?;
        run.check(&ctx, &events)?;
    }
    // The whole log, once more from the start: gap-free from 1.
    let all: Vec<i64> = run.t.events(0, 1_000).unwrap().iter().map(|e| e.seq).collect();
    prop_assert_eq!(all, (1..=run.last_seq).collect::<Vec<_>>());
    Ok(())
}

#[test]
fn engine_agrees_with_the_naive_model() {
    // 256 sequences on SQLite in CI, `PROPTEST_CASES=6000` for a long run;
    // on PostgreSQL (a new schema per sequence) at most 64 unless
    // `HOLDFAST_PG_PROPTEST_CASES` says otherwise.
    let env = |name: &str| std::env::var(name).ok().and_then(|v| v.parse::<u32>().ok());
    let sqlite_cases = env("PROPTEST_CASES").unwrap_or(256);
    common::for_each_store(|store| {
        let cases = match store {
            TestStore::Sqlite => sqlite_cases,
            TestStore::Postgres { .. } => env("HOLDFAST_PG_PROPTEST_CASES").unwrap_or(sqlite_cases.min(64)),
        };
        let config = ProptestConfig { source_file: Some(file!()), ..ProptestConfig::with_cases(cases) };
        let mut runner = TestRunner::new(config);
        let outcome = runner.run(&prop::collection::vec(op(), 20..=60), |ops| run(store, &ops));
        let outcomes = std::mem::take(&mut *OUTCOMES.lock().unwrap());
        println!("engine_model on {}: {cases} sequences, {} operations", store.name(), outcomes.values().sum::<u64>());
        for (what, n) in &outcomes {
            println!("  {what:<40} {n:>6}");
        }
        if let Err(e) = outcome {
            panic!("{e}");
        }
    });
}

/// The expiry rules spelled out once, so a regression reads plainly.
#[test]
fn expired_hold_on_contact() {
    common::for_each_store(expired_hold_on_contact_on);
}

fn expired_hold_on_contact_on(store: &TestStore) {
    let mut run = Run::new(store);
    let spec = Spec {
        res: ResSel::Known(0),
        start_step: 0,
        len_steps: 2,
        status: Status::Hold,
        quantity: 1,
        ttl: Ttl::Minutes(5),
    };
    let ops = [
        Op::Create { spec: spec.clone(), client_id: true },
        Op::Advance { minutes: 5 },
        // Exactly at expiry the hold no longer blocks: the same slot is free.
        Op::Create { spec: Spec { status: Status::Confirmed, ttl: Ttl::Default, ..spec }, client_id: true },
    ];
    for (step, op) in ops.iter().enumerate() {
        let ctx = format!("step {step}");
        let events = run.step(&ctx, op).unwrap();
        run.check(&ctx, &events).unwrap();
    }
    assert_eq!(run.model.bookings.len(), 2);
    let hold = run.model.bookings[0].id.clone();
    // Acting on it fails with HOLD_EXPIRED and expires it (committed).
    assert_eq!(run.t.confirm(&hold, None).unwrap_err().code(), "HOLD_EXPIRED");
    let expired = run.t.get_booking(&hold).unwrap();
    assert_eq!((expired.status, expired.version), (Status::Expired, 2));
    // Acting on it again: still HOLD_EXPIRED; a stale version is checked first.
    assert_eq!(run.t.confirm(&hold, None).unwrap_err().code(), "HOLD_EXPIRED");
    assert_eq!(run.t.cancel(&hold, Some(3)).unwrap_err().code(), "VERSION_MISMATCH");
}
