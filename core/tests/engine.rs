#![allow(clippy::unwrap_used, clippy::expect_used)]
//! One real flow per public method of `Engine` and `Tenant`, and the rules of
//! DESIGN.md sections 2-4, checked through the public API only. Every test
//! runs on every store of `common::stores()` (SQLite always, PostgreSQL when
//! `HOLDFAST_TEST_POSTGRES_URL` is set), each time on an empty database with
//! a manual clock. SQLite-only for now: the `STORE_UNAVAILABLE` case, which
//! needs a file another connection can lock with rusqlite.

mod common;

use std::collections::BTreeSet;
use std::fmt::Debug;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use chrono::TimeDelta;
use holdfast::limits;
use holdfast::{
    Booking, BookingFilter, Engine, Error, Event, EventType, FeedItem, HoldExpiry, ManualClock, NewBooking, NewProject,
    NewResource, Page, PageRequest, Project, Reschedule, Resource, ResourcePatch, Status, Subscription, Tenant,
    Timestamp,
};
use serde_json::json;

use common::TestStore;

// ---------------------------------------------------------------- helpers

/// The engine's "now" in every test: a month before the bookings.
const NOW: &str = "2026-11-01T00:00:00Z";

fn ts(text: &str) -> Timestamp {
    Timestamp::parse(text).unwrap()
}

/// 2026-12-01 at `hour:minute` UTC (hours past 23 run into the next days).
fn h(hour: i64, minute: i64) -> Timestamp {
    ts("2026-12-01T00:00:00Z").checked_add(TimeDelta::minutes(hour * 60 + minute)).unwrap()
}

fn after(at: Timestamp, delta: TimeDelta) -> Timestamp {
    at.checked_add(delta).unwrap()
}

struct Fx {
    engine: Engine,
    clock: ManualClock,
    t: Tenant,
}

impl Fx {
    /// A fresh engine on an empty database of `store`, with tenant "acme".
    fn new(store: &TestStore) -> Fx {
        let clock = ManualClock::new(ts(NOW));
        let engine = Engine::builder().url(store.fresh_url()).clock(clock.clone()).open().unwrap();
        engine.create_tenant("acme", "Acme Studio").unwrap();
        let t = engine.tenant("acme").unwrap();
        Fx { engine, clock, t }
    }

    fn now(&self) -> Timestamp {
        self.engine.now()
    }

    fn resource(&self, id: &str, capacity: u32) -> Resource {
        resource_in(&self.t, id, capacity)
    }

    fn book(&self, resource: &str, start: Timestamp, end: Timestamp, status: Status) -> Booking {
        self.t.create_booking(new_booking(resource, start, end, status)).unwrap()
    }
}

fn resource_in(t: &Tenant, id: &str, capacity: u32) -> Resource {
    t.create_resource(NewResource {
        id: Some(id.into()),
        name: format!("Resource {id}"),
        capacity,
        ..Default::default()
    })
    .unwrap()
}

fn new_booking(resource: &str, start: Timestamp, end: Timestamp, status: Status) -> NewBooking {
    NewBooking { resource_id: resource.into(), start, end, status, ..Default::default() }
}

fn with_id(id: &str, new: NewBooking) -> NewBooking {
    NewBooking { id: Some(id.into()), ..new }
}

/// The error of a call that must fail.
fn fail<T: Debug>(result: Result<T, Error>) -> Error {
    match result {
        Ok(value) => panic!("expected an error, got {value:?}"),
        Err(error) => error,
    }
}

/// Follows `next_cursor` to the end; returns the items and the page count.
fn walk<T>(limit: usize, mut fetch: impl FnMut(PageRequest) -> Page<T>) -> (Vec<T>, usize) {
    let mut items = Vec::new();
    let mut cursor = None;
    let mut pages = 0;
    loop {
        let page = fetch(PageRequest { limit: Some(limit), cursor: cursor.take() });
        pages += 1;
        assert!(page.items.len() <= limit, "a page is never larger than its limit");
        if page.next_cursor.is_some() {
            assert_eq!(page.items.len(), limit, "only a full page has a next cursor");
        }
        items.extend(page.items);
        match page.next_cursor {
            Some(next) => cursor = Some(next),
            None => return (items, pages),
        }
        assert!(pages < 10_000, "cursor never ends");
    }
}

fn events_since(t: &Tenant, since: i64) -> Vec<Event> {
    let mut events = Vec::new();
    let mut since = since;
    loop {
        let page = t.events(since, limits::PAGE_SIZE_MAX).unwrap();
        let Some(last) = page.last() else { return events };
        since = last.seq;
        events.extend(page);
    }
}

fn all_events(t: &Tenant) -> Vec<Event> {
    events_since(t, 0)
}

fn last_seq(t: &Tenant) -> i64 {
    all_events(t).last().map_or(0, |e| e.seq)
}

fn list_all(t: &Tenant, filter: &BookingFilter) -> Vec<Booking> {
    let mut filter = filter.clone();
    let mut items = Vec::new();
    for _ in 0..10_000 {
        let page = t.list_bookings(&filter).unwrap();
        items.extend(page.items);
        match page.next_cursor {
            Some(next) => filter.cursor = Some(next),
            None => return items,
        }
    }
    panic!("list_bookings cursor never ends ({filter:?})");
}

fn all_bookings(t: &Tenant) -> Vec<Booking> {
    list_all(t, &BookingFilter { limit: Some(limits::PAGE_SIZE_MAX), ..Default::default() })
}

/// Everything a tenant can see, to prove a failed call wrote nothing.
#[derive(Debug, PartialEq)]
struct Snapshot {
    events: Vec<Event>,
    bookings: Vec<Booking>,
    resources: Vec<Resource>,
    projects: Vec<Project>,
}

fn snapshot(t: &Tenant) -> Snapshot {
    Snapshot {
        events: all_events(t),
        bookings: all_bookings(t),
        resources: walk(limits::PAGE_SIZE_MAX, |p| t.list_resources(&p).unwrap()).0,
        projects: walk(limits::PAGE_SIZE_MAX, |p| t.list_projects(&p).unwrap()).0,
    }
}

fn ids(bookings: &[Booking]) -> Vec<String> {
    bookings.iter().map(|b| b.id.clone()).collect()
}

/// The ids named by a `CONFLICT`, sorted.
fn conflict_ids(error: &Error) -> Vec<String> {
    assert_eq!(error.code(), "CONFLICT", "{error}");
    let mut ids: Vec<String> = error.details()["conflicts"]
        .as_array()
        .expect("details.conflicts is an array")
        .iter()
        .map(|c| c["id"].as_str().expect("conflict id").to_owned())
        .collect();
    ids.sort();
    ids
}

fn sorted(ids: &[&str]) -> Vec<String> {
    let mut ids: Vec<String> = ids.iter().map(|s| (*s).to_owned()).collect();
    ids.sort();
    ids
}

fn drain(sub: &Subscription) -> Vec<FeedItem> {
    std::iter::from_fn(|| sub.try_next()).collect()
}

fn feed_events(items: &[FeedItem]) -> Vec<Event> {
    items
        .iter()
        .map(|item| match item {
            FeedItem::Event(e) => e.clone(),
            FeedItem::Lagged => panic!("unexpected Lagged in {items:?}"),
        })
        .collect()
}

/// The six actions a caller can take on an existing booking.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Act {
    Pencil,
    Confirm,
    Cancel,
    Decline,
    ExtendHold,
    Reschedule,
}

const ACTS: [Act; 6] = [Act::Pencil, Act::Confirm, Act::Cancel, Act::Decline, Act::ExtendHold, Act::Reschedule];

impl Act {
    fn name(self) -> &'static str {
        match self {
            Act::Pencil => "pencil",
            Act::Confirm => "confirm",
            Act::Cancel => "cancel",
            Act::Decline => "decline",
            Act::ExtendHold => "extend_hold",
            Act::Reschedule => "reschedule",
        }
    }

    fn event(self) -> EventType {
        match self {
            Act::Pencil => EventType::Pencilled,
            Act::Confirm => EventType::Confirmed,
            Act::Cancel => EventType::Cancelled,
            Act::Decline => EventType::Declined,
            Act::ExtendHold => EventType::HoldExtended,
            Act::Reschedule => EventType::Rescheduled,
        }
    }

    /// Runs the action; extend_hold asks for one more hour from now,
    /// reschedule moves to 13:00-14:00 on the same resource.
    fn run(self, t: &Tenant, id: &str, version: Option<i64>) -> Result<Booking, Error> {
        match self {
            Act::Pencil => t.pencil(id, version),
            Act::Confirm => t.confirm(id, version),
            Act::Cancel => t.cancel(id, version),
            Act::Decline => t.decline(id, version),
            Act::ExtendHold => t.extend_hold(id, HoldExpiry::Ttl(TimeDelta::hours(1)), version),
            Act::Reschedule => {
                t.reschedule(id, Reschedule { start: h(13, 0), end: h(14, 0), resource_id: None }, version)
            }
        }
    }
}

// ---------------------------------------------------------------- tenants

#[test]
fn tenants_are_created_once_and_unknown_or_malformed_ids_are_refused() {
    common::for_each_store(|store| {
        let engine = Engine::builder().url(store.fresh_url()).clock(ManualClock::new(ts(NOW))).open().unwrap();
        let created = engine.create_tenant("acme", "Acme Studio").unwrap();
        assert_eq!((created.id.as_str(), created.name.as_str(), created.created_at), ("acme", "Acme Studio", ts(NOW)));

        // Same name: the existing tenant, no second event.
        assert_eq!(engine.create_tenant("acme", "Acme Studio").unwrap(), created);
        let t = engine.tenant("acme").unwrap();
        assert_eq!(t.id(), "acme");
        let events = all_events(&t);
        assert_eq!(events.len(), 1, "{events:?}");
        assert_eq!(
            (events[0].seq, events[0].kind, events[0].booking_id.as_deref()),
            (1, EventType::TenantCreated, None)
        );
        assert_eq!(events[0].data["tenant"]["name"], "Acme Studio");

        // Another name: ALREADY_EXISTS, and the first name stays.
        let e = fail(engine.create_tenant("acme", "Someone Else"));
        assert_eq!(e.code(), "ALREADY_EXISTS");
        assert_eq!(e.details(), json!({ "entity": "tenant", "id": "acme" }));
        assert_eq!(all_events(&t), events);

        // Unknown tenant.
        let e = fail(engine.tenant("unknown"));
        assert_eq!(e.code(), "NOT_FOUND");
        assert_eq!(e.details(), json!({ "entity": "tenant", "id": "unknown" }));

        // Malformed ids, through both entry points.
        for bad in ["", "has space", "dot.ted", "col:on", "slash/ed", "ümlaut", "tab\t", "semi;colon"] {
            for e in [fail(engine.tenant(bad)), fail(engine.create_tenant(bad, "Name"))] {
                assert_eq!(e.code(), "INVALID_INPUT", "{bad:?}: {e}");
                assert_eq!(e.details()["field"], "tenant_id", "{bad:?}");
            }
        }
        let longest = "t".repeat(limits::TENANT_ID_LENGTH_MAX_CHARS);
        engine.create_tenant(&longest, "Longest").unwrap();
        engine.tenant(&longest).unwrap();
        let e = fail(engine.create_tenant(&format!("{longest}x"), "Too long"));
        assert_eq!((e.code(), e.details()["field"].clone()), ("LIMIT_EXCEEDED", json!("tenant_id")));
    });
}

#[test]
fn a_tenant_never_reaches_another_tenants_rows() {
    common::for_each_store(|store| {
        let fx = Fx::new(store);
        fx.engine.create_tenant("bravo", "Bravo").unwrap();
        let a = fx.t.clone();
        let b = fx.engine.tenant("bravo").unwrap();

        resource_in(&a, "ra", 1);
        resource_in(&b, "rb", 1);
        b.create_project(NewProject { id: Some("pb".into()), name: "B film".into(), ..Default::default() }).unwrap();
        let b_client = b
            .create_booking(NewBooking {
                idempotency_key: Some("key-1".into()),
                project_id: Some("pb".into()),
                ..with_id("shared-id", new_booking("rb", h(9, 0), h(10, 0), Status::Hold))
            })
            .unwrap();
        let b_generated = b.create_booking(new_booking("rb", h(11, 0), h(12, 0), Status::Pencil)).unwrap();
        let a_own = a.create_booking(new_booking("ra", h(9, 0), h(10, 0), Status::Confirmed)).unwrap();
        let b_before = snapshot(&b);
        let a_before = snapshot(&a);

        // Every read and action of A with B's ids: NOT_FOUND.
        let not_found = |what: &str, e: Error| {
            assert_eq!(e.code(), "NOT_FOUND", "{what}: {e}");
        };
        not_found("get_resource", fail(a.get_resource("rb")));
        not_found("get_project", fail(a.get_project("pb")));
        not_found("update_resource", fail(a.update_resource("rb", ResourcePatch::default(), None)));
        for id in [&b_client.id, &b_generated.id] {
            not_found("get_booking", fail(a.get_booking(id)));
            not_found("history", fail(a.history(id)));
            for act in ACTS {
                not_found(act.name(), fail(act.run(&a, id, None)));
            }
        }
        // B's resources and projects cannot be booked or targeted from A.
        not_found(
            "book B's resource",
            fail(a.create_booking(new_booking("rb", h(14, 0), h(15, 0), Status::Confirmed))),
        );
        not_found(
            "B's project",
            fail(a.create_booking(NewBooking {
                project_id: Some("pb".into()),
                ..new_booking("ra", h(14, 0), h(15, 0), Status::Confirmed)
            })),
        );
        not_found(
            "reschedule onto B's resource",
            fail(a.reschedule(
                &a_own.id,
                Reschedule { start: h(14, 0), end: h(15, 0), resource_id: Some("rb".into()) },
                None,
            )),
        );
        not_found(
            "create_bookings with B's resource",
            fail(a.create_bookings(vec![new_booking("rb", h(16, 0), h(17, 0), Status::Confirmed)])),
        );

        // Lists and logs of A show A only.
        let a_resources: Vec<String> =
            walk(100, |p| a.list_resources(&p).unwrap()).0.into_iter().map(|r| r.id).collect();
        assert_eq!(a_resources, ["ra"]);
        assert!(walk(100, |p| a.list_projects(&p).unwrap()).0.is_empty());
        assert_eq!(ids(&all_bookings(&a)), vec![a_own.id.clone()]);
        for filter in [
            BookingFilter { resource_ids: vec!["rb".into()], ..Default::default() },
            BookingFilter { project_id: Some("pb".into()), ..Default::default() },
            BookingFilter {
                start: Some(h(0, 0)),
                end: Some(h(24, 0)),
                statuses: vec![Status::Hold, Status::Pencil],
                ..Default::default()
            },
        ] {
            assert!(a.list_bookings(&filter).unwrap().items.is_empty(), "{filter:?}");
        }
        let a_events = all_events(&a);
        assert!(a_events.iter().all(|e| e.tenant_id == "acme"), "{a_events:?}");
        assert!(a_events.iter().all(|e| e.booking_id.as_deref() != Some(&b_generated.id)));

        // Nothing of B moved, nothing was added to A.
        assert_eq!(snapshot(&b), b_before);
        assert_eq!(snapshot(&a), a_before);

        // Ids and idempotency keys are per tenant: A may reuse B's.
        let sub_b = b.subscribe();
        let a_twin = a
            .create_booking(NewBooking {
                idempotency_key: Some("key-1".into()),
                ..with_id("shared-id", new_booking("ra", h(13, 0), h(14, 0), Status::Pencil))
            })
            .unwrap();
        assert_eq!((a_twin.id.as_str(), a_twin.resource_id.as_str()), ("shared-id", "ra"));
        assert_eq!(b.get_booking("shared-id").unwrap(), b_client);
        assert_eq!(a.get_booking("shared-id").unwrap(), a_twin);
        assert!(drain(&sub_b).is_empty(), "B's subscriber saw A's event");
        assert_eq!(snapshot(&b), b_before);
    });
}

// ---------------------------------------------------------------- resources and projects

#[test]
fn resources_get_generated_or_client_ids_and_repeat_idempotently() {
    common::for_each_store(|store| {
        let fx = Fx::new(store);
        let generated = fx.t.create_resource(NewResource { name: "Studio A".into(), ..Default::default() }).unwrap();
        let uuid = uuid::Uuid::parse_str(&generated.id).unwrap();
        assert_eq!(uuid.get_version_num(), 7, "{}", generated.id);
        assert_eq!(
            (generated.version, generated.created_at, generated.updated_at, generated.capacity, generated.active),
            (1, fx.now(), fx.now(), 1, true)
        );
        assert_eq!((generated.kind.as_str(), generated.timezone.as_str()), ("resource", "UTC"));
        let other = fx.t.create_resource(NewResource { name: "Studio A".into(), ..Default::default() }).unwrap();
        assert_ne!(other.id, generated.id, "no client id: every create is a new resource");

        let mut metadata = serde_json::Map::new();
        metadata.insert("floor".into(), json!(2));
        let spec = NewResource {
            id: Some("ada".into()),
            name: "Ada".into(),
            kind: "artist".into(),
            capacity: 2,
            timezone: "Europe/Berlin".into(),
            tags: vec!["ink".into(), "colour".into()],
            buffer_before: TimeDelta::minutes(10),
            buffer_after: TimeDelta::minutes(20),
            active: true,
            metadata,
        };
        let ada = fx.t.create_resource(spec.clone()).unwrap();
        assert_eq!(
            (ada.id.as_str(), ada.name.as_str(), ada.kind.as_str(), ada.capacity, ada.timezone.as_str()),
            ("ada", "Ada", "artist", 2, "Europe/Berlin")
        );
        assert_eq!(
            (ada.tags.clone(), ada.buffer_before, ada.buffer_after),
            (spec.tags.clone(), spec.buffer_before, spec.buffer_after)
        );
        assert_eq!(ada.metadata["floor"], 2);
        assert_eq!(fx.t.get_resource("ada").unwrap(), ada);
        let last = all_events(&fx.t).pop().unwrap();
        assert_eq!((last.kind, last.data["resource"]["id"].clone()), (EventType::ResourceCreated, json!("ada")));

        // Same body again: the same resource, no event.
        let seq = last_seq(&fx.t);
        assert_eq!(fx.t.create_resource(spec.clone()).unwrap(), ada);
        assert_eq!(last_seq(&fx.t), seq);

        // Any field different: ALREADY_EXISTS, nothing changed.
        let before = snapshot(&fx.t);
        for changed in [
            NewResource { name: "Ada L.".into(), ..spec.clone() },
            NewResource { capacity: 3, ..spec.clone() },
            NewResource { buffer_after: TimeDelta::minutes(21), ..spec.clone() },
            NewResource { tags: vec!["ink".into()], ..spec.clone() },
            NewResource { active: false, ..spec.clone() },
        ] {
            let e = fail(fx.t.create_resource(changed.clone()));
            assert_eq!(e.code(), "ALREADY_EXISTS", "{changed:?}");
            assert_eq!(e.details(), json!({ "entity": "resource", "id": "ada" }));
        }
        assert_eq!(snapshot(&fx.t), before);

        let e = fail(fx.t.get_resource("nobody"));
        assert_eq!((e.code(), e.details()), ("NOT_FOUND", json!({ "entity": "resource", "id": "nobody" })));
    });
}

#[test]
fn list_resources_and_projects_walk_every_item_once_in_id_order() {
    common::for_each_store(|store| {
        let fx = Fx::new(store);
        let ids = ["r-05", "r-01", "r-06", "r-03", "r-00", "r-04", "r-02"];
        for id in ids {
            fx.resource(id, 1);
            fx.t.create_project(NewProject {
                id: Some(id.replace('r', "p")),
                name: format!("P {id}"),
                ..Default::default()
            })
            .unwrap();
        }
        let mut expected: Vec<String> = ids.iter().map(|s| (*s).to_owned()).collect();
        expected.sort();
        let expected_projects: Vec<String> = expected.iter().map(|id| id.replace('r', "p")).collect();
        for limit in [1, 2, 3, 7, 8, 1000] {
            let (resources, pages) = walk(limit, |p| fx.t.list_resources(&p).unwrap());
            let got: Vec<String> = resources.into_iter().map(|r| r.id).collect();
            assert_eq!(got, expected, "limit {limit}");
            assert!(pages >= ids.len().div_ceil(limit), "limit {limit}: {pages} pages");
            let (projects, _) = walk(limit, |p| fx.t.list_projects(&p).unwrap());
            let got: Vec<String> = projects.into_iter().map(|p| p.id).collect();
            assert_eq!(got, expected_projects, "limit {limit}");
        }
        // Default page size is 100; a cursor past the end gives an empty page.
        assert_eq!(fx.t.list_resources(&PageRequest::default()).unwrap().items.len(), ids.len());
        let tail = fx.t.list_resources(&PageRequest { limit: None, cursor: Some("r-06".into()) }).unwrap();
        assert_eq!((tail.items.len(), tail.next_cursor), (0, None));
        let mid = fx.t.list_resources(&PageRequest { limit: Some(2), cursor: Some("r-02".into()) }).unwrap();
        assert_eq!(mid.items.iter().map(|r| r.id.as_str()).collect::<Vec<_>>(), ["r-03", "r-04"]);
    });
}

#[test]
fn projects_get_generated_or_client_ids_and_are_referenced_by_bookings() {
    common::for_each_store(|store| {
        let fx = Fx::new(store);
        fx.resource("room", 1);
        let generated = fx.t.create_project(NewProject { name: "Film".into(), ..Default::default() }).unwrap();
        assert_eq!(uuid::Uuid::parse_str(&generated.id).unwrap().get_version_num(), 7);
        assert_eq!((generated.version, generated.created_at), (1, fx.now()));

        let spec = NewProject { id: Some("film".into()), name: "The Film".into(), ..Default::default() };
        let film = fx.t.create_project(spec.clone()).unwrap();
        assert_eq!(fx.t.get_project("film").unwrap(), film);
        let last = all_events(&fx.t).pop().unwrap();
        assert_eq!((last.kind, last.data["project"]["id"].clone()), (EventType::ProjectCreated, json!("film")));
        let seq = last_seq(&fx.t);
        assert_eq!(fx.t.create_project(spec.clone()).unwrap(), film);
        assert_eq!(last_seq(&fx.t), seq);
        let e = fail(fx.t.create_project(NewProject { name: "Another".into(), ..spec.clone() }));
        assert_eq!((e.code(), e.details()), ("ALREADY_EXISTS", json!({ "entity": "project", "id": "film" })));
        let mut metadata = serde_json::Map::new();
        metadata.insert("k".into(), json!("v"));
        let e = fail(fx.t.create_project(NewProject { metadata, ..spec }));
        assert_eq!(e.code(), "ALREADY_EXISTS");
        assert_eq!(fx.t.get_project("film").unwrap(), film);
        let e = fail(fx.t.get_project("nope"));
        assert_eq!((e.code(), e.details()), ("NOT_FOUND", json!({ "entity": "project", "id": "nope" })));

        let booked =
            fx.t.create_booking(NewBooking {
                project_id: Some("film".into()),
                ..new_booking("room", h(9, 0), h(10, 0), Status::Confirmed)
            })
            .unwrap();
        assert_eq!(booked.project_id.as_deref(), Some("film"));
        let before = snapshot(&fx.t);
        let e = fail(fx.t.create_booking(NewBooking {
            project_id: Some("nope".into()),
            ..new_booking("room", h(11, 0), h(12, 0), Status::Confirmed)
        }));
        assert_eq!((e.code(), e.details()), ("NOT_FOUND", json!({ "entity": "project", "id": "nope" })));
        assert_eq!(snapshot(&fx.t), before);
    });
}

#[test]
fn update_resource_checks_its_version_and_never_strands_existing_bookings() {
    common::for_each_store(|store| {
        let fx = Fx::new(store);
        fx.resource("cap", 2);
        let a = fx.book("cap", h(9, 0), h(10, 0), Status::Confirmed);
        let b = fx.book("cap", h(9, 30), h(10, 30), Status::Pencil);
        let c = fx.book("cap", h(12, 0), h(13, 0), Status::Hold);

        // Optimistic locking.
        let before = snapshot(&fx.t);
        let e = fail(fx.t.update_resource(
            "cap",
            ResourcePatch { name: Some("Cap".into()), ..Default::default() },
            Some(7),
        ));
        assert_eq!(e.code(), "VERSION_MISMATCH");
        assert_eq!(
            e.details(),
            json!({ "entity": "resource", "id": "cap", "expected_version": 7, "current_version": 1 })
        );
        assert_eq!(snapshot(&fx.t), before);
        fx.clock.advance(TimeDelta::minutes(1));
        let renamed =
            fx.t.update_resource("cap", ResourcePatch { name: Some("Cap".into()), ..Default::default() }, Some(1))
                .unwrap();
        assert_eq!((renamed.name.as_str(), renamed.version, renamed.updated_at), ("Cap", 2, fx.now()));
        assert_eq!(renamed.created_at, ts(NOW));
        assert_eq!(fx.t.get_resource("cap").unwrap(), renamed);
        let last = all_events(&fx.t).pop().unwrap();
        assert_eq!(last.kind, EventType::ResourceUpdated);
        assert_eq!(
            (last.data["resource"]["name"].clone(), last.data["previous"]["name"].clone()),
            (json!("Cap"), json!("Resource cap"))
        );
        let e = fail(fx.t.update_resource("cap", ResourcePatch::default(), Some(1)));
        assert_eq!(e.details()["current_version"], 2);

        // Lowering the capacity under a and b (overlapping) is refused and names
        // them, not c; nothing changes.
        let before = snapshot(&fx.t);
        let e = fail(fx.t.update_resource("cap", ResourcePatch { capacity: Some(1), ..Default::default() }, Some(2)));
        assert_eq!(conflict_ids(&e), sorted(&[&a.id, &b.id]));
        assert_eq!(e.details()["resource_id"], "cap");
        assert_eq!(snapshot(&fx.t), before);
        // Once b is gone, it fits.
        fx.t.cancel(&b.id, None).unwrap();
        let lowered =
            fx.t.update_resource("cap", ResourcePatch { capacity: Some(1), ..Default::default() }, Some(2)).unwrap();
        assert_eq!((lowered.capacity, lowered.version), (1, 3));
        assert_eq!(fx.t.get_booking(&c.id).unwrap().status, Status::Hold);

        // Widening buffers under back-to-back bookings is refused the same way.
        fx.resource("buf", 1);
        let x = fx.book("buf", h(9, 0), h(10, 0), Status::Confirmed);
        let y = fx.book("buf", h(10, 0), h(11, 0), Status::Pencil);
        let _z = fx.book("buf", h(14, 0), h(15, 0), Status::Confirmed);
        let before = snapshot(&fx.t);
        for patch in [
            ResourcePatch { buffer_after: Some(TimeDelta::minutes(30)), ..Default::default() },
            ResourcePatch { buffer_before: Some(TimeDelta::minutes(1)), ..Default::default() },
            ResourcePatch { buffer_after: Some(TimeDelta::hours(2)), ..Default::default() },
        ] {
            let e = fail(fx.t.update_resource("buf", patch.clone(), None));
            assert_eq!(conflict_ids(&e), sorted(&[&x.id, &y.id]), "{patch:?}");
        }
        assert_eq!(snapshot(&fx.t), before);
        // Buffers that fit are accepted, and then widen every footprint.
        fx.t.cancel(&y.id, None).unwrap();
        let widened =
            fx.t.update_resource(
                "buf",
                ResourcePatch { buffer_after: Some(TimeDelta::minutes(30)), ..Default::default() },
                None,
            )
            .unwrap();
        assert_eq!(widened.buffer_after, TimeDelta::minutes(30));
        let e = fail(fx.t.create_booking(new_booking("buf", h(10, 15), h(11, 0), Status::Confirmed)));
        assert_eq!(conflict_ids(&e), vec![x.id.clone()]);
        fx.book("buf", h(10, 30), h(11, 0), Status::Confirmed);
        // Raising capacity or narrowing buffers never conflicts.
        fx.t.update_resource(
            "buf",
            ResourcePatch { capacity: Some(3), buffer_after: Some(TimeDelta::zero()), ..Default::default() },
            None,
        )
        .unwrap();

        let e = fail(fx.t.update_resource("ghost", ResourcePatch::default(), None));
        assert_eq!((e.code(), e.details()), ("NOT_FOUND", json!({ "entity": "resource", "id": "ghost" })));
    });
}

#[test]
fn an_inactive_resource_keeps_its_bookings_and_takes_no_new_ones() {
    common::for_each_store(|store| {
        let fx = Fx::new(store);
        fx.resource("room", 1);
        fx.resource("other", 1);
        let kept = fx.book("room", h(9, 0), h(10, 0), Status::Pencil);
        let mover = fx.book("other", h(9, 0), h(10, 0), Status::Confirmed);
        let off =
            fx.t.update_resource("room", ResourcePatch { active: Some(false), ..Default::default() }, Some(1)).unwrap();
        assert!(!off.active);

        let before = snapshot(&fx.t);
        let e = fail(fx.t.create_booking(new_booking("room", h(12, 0), h(13, 0), Status::Confirmed)));
        assert_eq!((e.code(), e.details()["field"].clone()), ("INVALID_INPUT", json!("resource_id")));
        let e = fail(fx.t.reschedule(
            &mover.id,
            Reschedule { start: h(12, 0), end: h(13, 0), resource_id: Some("room".into()) },
            None,
        ));
        assert_eq!((e.code(), e.details()["field"].clone()), ("INVALID_INPUT", json!("resource_id")));
        assert_eq!(snapshot(&fx.t), before);

        // Its existing booking still moves through the state machine.
        assert_eq!(fx.t.confirm(&kept.id, None).unwrap().status, Status::Confirmed);
        fx.t.update_resource("room", ResourcePatch { active: Some(true), ..Default::default() }, None).unwrap();
        fx.book("room", h(12, 0), h(13, 0), Status::Confirmed);
    });
}

// ---------------------------------------------------------------- the state machine

/// What an action does from a status: the new status, or an error code.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Outcome {
    To(Status),
    Fails(&'static str),
}

/// DESIGN.md section 3, rows = from-status, columns = ACTS order
/// (pencil, confirm, cancel, decline, extend_hold, reschedule).
fn state_table() -> Vec<(Status, [Outcome; 6])> {
    use Outcome::{Fails, To};
    const IT: Outcome = Fails("INVALID_TRANSITION");
    const HE: Outcome = Fails("HOLD_EXPIRED");
    vec![
        (
            Status::Hold,
            [
                To(Status::Pencil),
                To(Status::Confirmed),
                To(Status::Cancelled),
                To(Status::Declined),
                To(Status::Hold),
                To(Status::Hold),
            ],
        ),
        (
            Status::Pencil,
            [IT, To(Status::Confirmed), To(Status::Cancelled), To(Status::Declined), IT, To(Status::Pencil)],
        ),
        (Status::Confirmed, [IT, IT, To(Status::Cancelled), IT, IT, To(Status::Confirmed)]),
        (Status::Cancelled, [IT; 6]),
        (Status::Declined, [IT; 6]),
        (Status::Expired, [HE; 6]),
    ]
}

/// A fresh engine with one booking on resource "room" in `status`, at 9-10.
fn booking_in(store: &TestStore, status: Status) -> (Fx, Booking) {
    let fx = Fx::new(store);
    fx.resource("room", 1);
    let start = new_booking("room", h(9, 0), h(10, 0), Status::Hold);
    let booking = match status {
        Status::Hold | Status::Pencil | Status::Confirmed => {
            fx.t.create_booking(NewBooking { status, ..start }).unwrap()
        }
        Status::Cancelled => {
            let b = fx.t.create_booking(NewBooking { status: Status::Pencil, ..start }).unwrap();
            fx.t.cancel(&b.id, Some(b.version)).unwrap()
        }
        Status::Declined => {
            let b = fx.t.create_booking(NewBooking { status: Status::Pencil, ..start }).unwrap();
            fx.t.decline(&b.id, Some(b.version)).unwrap()
        }
        Status::Expired => {
            let b = fx.t.create_booking(NewBooking { hold_ttl: Some(TimeDelta::minutes(1)), ..start }).unwrap();
            fx.clock.advance(TimeDelta::minutes(2));
            assert_eq!(fx.engine.sweep_expired().unwrap(), 1);
            fx.t.get_booking(&b.id).unwrap()
        }
    };
    assert_eq!(booking.status, status);
    (fx, booking)
}

#[test]
fn every_status_and_action_follows_the_transition_table() {
    common::for_each_store(|store| {
        let mut failures = Vec::new();
        for (from, row) in state_table() {
            for (act, expected) in ACTS.into_iter().zip(row) {
                let (fx, booking) = booking_in(store, from);
                fx.clock.advance(TimeDelta::seconds(5));
                let before = snapshot(&fx.t);
                let result = act.run(&fx.t, &booking.id, Some(booking.version));
                let cell = format!("{from} --{}-->", act.name());
                match (expected, result) {
                    (Outcome::To(status), Ok(after)) => {
                        if after.status != status {
                            failures.push(format!("{cell} {} (expected {status})", after.status));
                            continue;
                        }
                        assert_eq!(after.version, booking.version + 1, "{cell}");
                        assert_eq!(after.updated_at, fx.now(), "{cell}");
                        assert_eq!(fx.t.get_booking(&booking.id).unwrap(), after, "{cell}");
                        let expected_expiry = match (status, act) {
                            (Status::Hold, Act::ExtendHold) => Some(after_now(&fx, TimeDelta::hours(1))),
                            (Status::Hold, _) => booking.hold_expires_at,
                            _ => None,
                        };
                        assert_eq!(after.hold_expires_at, expected_expiry, "{cell}");
                        let expected_interval =
                            if act == Act::Reschedule { (h(13, 0), h(14, 0)) } else { (h(9, 0), h(10, 0)) };
                        assert_eq!((after.start, after.end), expected_interval, "{cell}");
                        let new_events = events_since(&fx.t, before.events.last().unwrap().seq);
                        assert_eq!(new_events.len(), 1, "{cell}: {new_events:?}");
                        let event = &new_events[0];
                        assert_eq!(
                            (event.kind, event.booking_id.as_deref(), event.actor.as_str(), event.at),
                            (act.event(), Some(booking.id.as_str()), "api", fx.now()),
                            "{cell}"
                        );
                        assert_eq!(event.data["booking"]["status"], status.as_str(), "{cell}");
                        assert_eq!(event.data["booking"]["version"], after.version, "{cell}");
                        if act == Act::Reschedule {
                            assert_eq!(event.data["previous"]["start"], "2026-12-01T09:00:00Z", "{cell}");
                        } else {
                            assert_eq!(event.data["previous_status"], from.as_str(), "{cell}");
                        }
                    }
                    (Outcome::Fails(code), Err(e)) => {
                        if e.code() != code {
                            failures.push(format!("{cell} {} (expected {code}): {e}", e.code()));
                            continue;
                        }
                        let details = e.details();
                        assert_eq!(details["id"], booking.id.as_str(), "{cell}");
                        if code == "INVALID_TRANSITION" {
                            assert_eq!(
                                (details["status"].clone(), details["action"].clone()),
                                (json!(from.as_str()), json!(act.name())),
                                "{cell}"
                            );
                        } else {
                            assert_eq!(details["expired_at"], json!(booking.hold_expires_at.unwrap()), "{cell}");
                        }
                        assert_eq!(snapshot(&fx.t), before, "{cell} wrote something");
                    }
                    (expected, got) => failures.push(format!("{cell} {got:?} (expected {expected:?})")),
                }
            }
        }
        assert!(failures.is_empty(), "transition table violations:\n{}", failures.join("\n"));
    });
}

fn after_now(fx: &Fx, delta: TimeDelta) -> Timestamp {
    after(fx.now(), delta)
}

#[test]
fn acting_on_a_hold_past_its_expiry_expires_it_as_the_system() {
    common::for_each_store(|store| {
        for act in ACTS {
            let fx = Fx::new(store);
            fx.resource("room", 1);
            let hold =
                fx.t.create_booking(NewBooking {
                    hold_ttl: Some(TimeDelta::minutes(10)),
                    ..new_booking("room", h(9, 0), h(10, 0), Status::Hold)
                })
                .unwrap();
            let expiry = after(ts(NOW), TimeDelta::minutes(10));
            assert_eq!(hold.hold_expires_at, Some(expiry));
            let sub = fx.t.subscribe();
            let seq = last_seq(&fx.t);

            // Exactly at the expiry instant the hold is over (it blocks while expiry > now).
            fx.clock.set(expiry);
            let alice = fx.t.as_actor("alice").unwrap();
            let e = fail(act.run(&alice, &hold.id, Some(hold.version)));
            assert_eq!(e.code(), "HOLD_EXPIRED", "{}: {e}", act.name());
            assert_eq!(e.details(), json!({ "id": hold.id, "expired_at": expiry }), "{}", act.name());

            let now = fx.t.get_booking(&hold.id).unwrap();
            assert_eq!((now.status, now.version, now.updated_at), (Status::Expired, 2, expiry), "{}", act.name());
            let events = events_since(&fx.t, seq);
            assert_eq!(events.len(), 1, "{}: {events:?}", act.name());
            assert_eq!(
                (events[0].kind, events[0].actor.as_str(), events[0].booking_id.as_deref(), events[0].at),
                (EventType::Expired, "system", Some(hold.id.as_str()), expiry),
                "{}",
                act.name()
            );
            // The expiry was committed and published although the call failed.
            assert_eq!(feed_events(&drain(&sub)), events, "{}", act.name());
            assert_eq!(fx.engine.sweep_expired().unwrap(), 0, "{}: already expired", act.name());
            // Acting again reports HOLD_EXPIRED without writing.
            let e = fail(act.run(&fx.t, &hold.id, None));
            assert_eq!(e.code(), "HOLD_EXPIRED");
            assert_eq!(last_seq(&fx.t), seq + 1);
        }

        // One microsecond before its expiry the hold still acts normally.
        let fx = Fx::new(store);
        fx.resource("room", 1);
        let hold =
            fx.t.create_booking(NewBooking {
                hold_ttl: Some(TimeDelta::minutes(10)),
                ..new_booking("room", h(9, 0), h(10, 0), Status::Hold)
            })
            .unwrap();
        fx.clock.set(Timestamp::from_micros(hold.hold_expires_at.unwrap().as_micros() - 1));
        assert_eq!(fx.t.confirm(&hold.id, None).unwrap().status, Status::Confirmed);
    });
}

#[test]
fn a_running_hold_blocks_and_an_expired_one_does_not_even_before_a_sweep() {
    common::for_each_store(|store| {
        let fx = Fx::new(store);
        fx.resource("room", 1);
        let hold =
            fx.t.create_booking(NewBooking {
                hold_ttl: Some(TimeDelta::minutes(10)),
                ..new_booking("room", h(9, 0), h(10, 0), Status::Hold)
            })
            .unwrap();
        assert_eq!(fx.engine.sweep_expired().unwrap(), 0);

        fx.clock.advance(TimeDelta::minutes(9));
        let e = fail(fx.t.create_booking(new_booking("room", h(9, 30), h(10, 30), Status::Confirmed)));
        assert_eq!(conflict_ids(&e), vec![hold.id.clone()]);
        assert_eq!(e.details()["conflicts"][0]["status"], "hold");

        // Expired at decision time: no longer in the way, although nothing swept it.
        fx.clock.advance(TimeDelta::minutes(1));
        let taker = fx.book("room", h(9, 30), h(10, 30), Status::Confirmed);
        assert_eq!(fx.t.get_booking(&hold.id).unwrap().status, Status::Hold, "nothing swept it yet");

        // The sweep makes it visible, as the system, once.
        let sub = fx.engine.subscribe();
        let seq = last_seq(&fx.t);
        assert_eq!(fx.engine.sweep_expired().unwrap(), 1);
        let swept = fx.t.get_booking(&hold.id).unwrap();
        assert_eq!((swept.status, swept.version), (Status::Expired, 2));
        let events = events_since(&fx.t, seq);
        assert_eq!(events.len(), 1);
        assert_eq!((events[0].kind, events[0].actor.as_str()), (EventType::Expired, "system"));
        assert_eq!(feed_events(&drain(&sub)), events);
        assert_eq!(fx.engine.sweep_expired().unwrap(), 0);
        assert_eq!(fx.t.get_booking(&taker.id).unwrap().status, Status::Confirmed);

        // Default TTL is 15 minutes, configurable on the builder.
        let held = fx.t.create_booking(new_booking("room", h(20, 0), h(21, 0), Status::Hold)).unwrap();
        assert_eq!(held.hold_expires_at, Some(after_now(&fx, TimeDelta::minutes(15))));
        let engine = Engine::builder()
            .url(store.fresh_url())
            .clock(ManualClock::new(ts(NOW)))
            .default_hold_ttl(TimeDelta::hours(2))
            .open()
            .unwrap();
        engine.create_tenant("acme", "Acme").unwrap();
        let t = engine.tenant("acme").unwrap();
        resource_in(&t, "room", 1);
        let held = t.create_booking(new_booking("room", h(9, 0), h(10, 0), Status::Hold)).unwrap();
        assert_eq!(held.hold_expires_at, Some(after(ts(NOW), TimeDelta::hours(2))));
        let at = after(ts(NOW), TimeDelta::days(3));
        let held = t
            .create_booking(NewBooking {
                hold_expires_at: Some(at),
                ..new_booking("room", h(11, 0), h(12, 0), Status::Hold)
            })
            .unwrap();
        assert_eq!(held.hold_expires_at, Some(at));
        // Extending moves the expiry; an absolute instant works too.
        let later = after(ts(NOW), TimeDelta::days(5));
        let extended = t.extend_hold(&held.id, HoldExpiry::At(later), Some(1)).unwrap();
        assert_eq!((extended.hold_expires_at, extended.version), (Some(later), 2));
        let defaulted = t.extend_hold(&held.id, HoldExpiry::Default, Some(2)).unwrap();
        assert_eq!(defaulted.hold_expires_at, Some(after(ts(NOW), TimeDelta::hours(2))));
    });
}

#[test]
fn sweep_expired_expires_every_overdue_hold_of_every_tenant_in_batches() {
    common::for_each_store(|store| {
        let fx = Fx::new(store);
        fx.engine.create_tenant("bravo", "Bravo").unwrap();
        let b = fx.engine.tenant("bravo").unwrap();
        fx.resource("room", 1);
        resource_in(&b, "room", 1);
        let count = limits::SWEEP_BATCH_MAX + 1;
        let short: Vec<NewBooking> = (0..count)
            .map(|i| {
                let i = i64::try_from(i).unwrap();
                NewBooking {
                    hold_ttl: Some(TimeDelta::minutes(10)),
                    ..new_booking("room", h(i, 0), h(i, 30), Status::Hold)
                }
            })
            .collect();
        let short = fx.t.create_bookings(short).unwrap();
        let long =
            fx.t.create_booking(NewBooking {
                hold_ttl: Some(TimeDelta::hours(1)),
                ..new_booking("room", h(0, 30), h(0, 45), Status::Hold)
            })
            .unwrap();
        for i in 0..2 {
            b.create_booking(NewBooking {
                hold_ttl: Some(TimeDelta::minutes(5)),
                ..new_booking("room", h(i, 0), h(i, 30), Status::Hold)
            })
            .unwrap();
        }
        let seq_a = last_seq(&fx.t);
        let seq_b = last_seq(&b);
        assert_eq!(fx.engine.sweep_expired().unwrap(), 0);

        fx.clock.advance(TimeDelta::minutes(10));
        assert_eq!(fx.engine.sweep_expired().unwrap(), count + 2);
        let expired_a = events_since(&fx.t, seq_a);
        assert_eq!(expired_a.len(), count);
        assert!(expired_a.iter().all(|e| e.kind == EventType::Expired && e.actor == "system"));
        let swept: BTreeSet<String> = expired_a.iter().map(|e| e.booking_id.clone().unwrap()).collect();
        assert_eq!(swept, short.iter().map(|b| b.id.clone()).collect::<BTreeSet<_>>());
        assert_eq!(events_since(&b, seq_b).len(), 2);
        assert_eq!(fx.t.get_booking(&long.id).unwrap().status, Status::Hold);
        let filter = BookingFilter { statuses: vec![Status::Expired], limit: Some(1000), ..Default::default() };
        assert_eq!(list_all(&fx.t, &filter).len(), count);
        assert_eq!(fx.engine.sweep_expired().unwrap(), 0);
    });
}

// ---------------------------------------------------------------- capacity and conflicts

#[test]
fn conflicts_name_every_blocking_booking() {
    common::for_each_store(|store| {
        let fx = Fx::new(store);
        fx.resource("solo", 1);
        let a = fx.book("solo", h(9, 0), h(10, 0), Status::Confirmed);
        let b = fx.book("solo", h(10, 0), h(11, 0), Status::Hold);
        let c = fx.book("solo", h(11, 0), h(12, 0), Status::Pencil);
        let before = snapshot(&fx.t);

        // Exact details of one conflict.
        let e = fail(fx.t.create_booking(new_booking("solo", h(9, 30), h(10, 30), Status::Pencil)));
        let mut conflicts = e.details()["conflicts"].as_array().unwrap().clone();
        conflicts.sort_by_key(|c| c["id"].as_str().unwrap().to_owned());
        let mut expected = vec![
            json!({ "id": a.id, "resource_id": "solo", "status": "confirmed", "quantity": 1,
                    "interval": { "start": "2026-12-01T09:00:00Z", "end": "2026-12-01T10:00:00Z" } }),
            json!({ "id": b.id, "resource_id": "solo", "status": "hold", "quantity": 1,
                    "interval": { "start": "2026-12-01T10:00:00Z", "end": "2026-12-01T11:00:00Z" } }),
        ];
        expected.sort_by_key(|c| c["id"].as_str().unwrap().to_owned());
        assert_eq!(conflicts, expected);
        assert_eq!(e.details()["resource_id"], "solo");
        match e {
            Error::Conflict { ref resource_id, ref conflicts } => {
                assert_eq!(resource_id, "solo");
                assert_eq!(conflicts.len(), 2);
            }
            other => panic!("not a Conflict: {other:?}"),
        }

        // Capacity 1: (start, end, quantity, blocking bookings).
        let cases: [(Timestamp, Timestamp, Vec<&str>); 4] = [
            (h(8, 0), h(13, 0), vec![&a.id, &b.id, &c.id]),
            (h(9, 59), h(10, 1), vec![&a.id, &b.id]),
            (h(11, 59), h(12, 30), vec![&c.id]),
            (h(10, 0), h(11, 0), vec![&b.id]),
        ];
        for (start, end, blocking) in cases {
            let e = fail(fx.t.create_booking(new_booking("solo", start, end, Status::Confirmed)));
            assert_eq!(conflict_ids(&e), sorted(&blocking), "{start}..{end}");
        }
        assert_eq!(snapshot(&fx.t), before);

        // Capacity 3 with quantities: only bookings at over-full instants are named.
        fx.resource("trio", 3);
        let big =
            fx.t.create_booking(NewBooking { quantity: 2, ..new_booking("trio", h(9, 0), h(12, 0), Status::Pencil) })
                .unwrap();
        let one = fx.book("trio", h(10, 0), h(11, 0), Status::Confirmed);
        let before = snapshot(&fx.t);
        let cases: [(Timestamp, Timestamp, u32, Vec<&str>); 5] = [
            (h(10, 30), h(11, 30), 1, vec![&big.id, &one.id]),
            (h(11, 0), h(12, 0), 2, vec![&big.id]),
            (h(8, 0), h(9, 30), 2, vec![&big.id]),
            (h(9, 0), h(13, 0), 3, vec![&big.id, &one.id]),
            (h(10, 59), h(11, 0), 1, vec![&big.id, &one.id]),
        ];
        for (start, end, quantity, blocking) in cases {
            let e = fail(
                fx.t.create_booking(NewBooking { quantity, ..new_booking("trio", start, end, Status::Confirmed) }),
            );
            assert_eq!(conflict_ids(&e), sorted(&blocking), "{start}..{end} x{quantity}");
            let reported: Vec<u64> =
                e.details()["conflicts"].as_array().unwrap().iter().map(|c| c["quantity"].as_u64().unwrap()).collect();
            assert!(reported.iter().all(|q| *q == 1 || *q == 2), "{reported:?}");
        }
        assert_eq!(snapshot(&fx.t), before);
        // What fits is accepted: 2 + 1 = 3 units at every instant.
        fx.book("trio", h(11, 0), h(12, 0), Status::Confirmed);
        fx.book("trio", h(9, 0), h(10, 0), Status::Hold);
        fx.t.create_booking(NewBooking { quantity: 3, ..new_booking("trio", h(12, 0), h(13, 0), Status::Confirmed) })
            .unwrap();
        let e = fail(fx.t.create_booking(new_booking("trio", h(9, 0), h(12, 0), Status::Confirmed)));
        assert_eq!(conflict_ids(&e).len(), 4, "big, one and the two fillers: {e:?}");
    });
}

#[test]
fn buffers_widen_footprints_and_back_to_back_bookings_fit() {
    common::for_each_store(|store| {
        let fx = Fx::new(store);
        // Back to back on an exclusive resource without buffers.
        fx.resource("plain", 1);
        let mid = fx.book("plain", h(10, 0), h(11, 0), Status::Confirmed);
        fx.book("plain", h(11, 0), h(12, 0), Status::Confirmed);
        fx.book("plain", h(9, 0), h(10, 0), Status::Pencil);
        let e = fail(fx.t.create_booking(new_booking("plain", h(10, 59), h(11, 0), Status::Confirmed)));
        assert_eq!(conflict_ids(&e), vec![mid.id.clone()]);

        // buffer_after 30 min: a booking ending 12:00 blocks until 12:30.
        fx.t.create_resource(NewResource {
            id: Some("after".into()),
            name: "After".into(),
            buffer_after: TimeDelta::minutes(30),
            ..Default::default()
        })
        .unwrap();
        let first = fx.book("after", h(11, 0), h(12, 0), Status::Confirmed);
        let e = fail(fx.t.create_booking(new_booking("after", h(12, 15), h(13, 0), Status::Confirmed)));
        assert_eq!(conflict_ids(&e), vec![first.id.clone()]);
        // The conflict reports the booking's own interval, not its footprint.
        assert_eq!(e.details()["conflicts"][0]["interval"]["end"], "2026-12-01T12:00:00Z");
        // The candidate's own buffer counts too: ending at 10:45 reaches 11:15.
        let e = fail(fx.t.create_booking(new_booking("after", h(10, 0), h(10, 45), Status::Confirmed)));
        assert_eq!(conflict_ids(&e), vec![first.id.clone()]);
        fx.book("after", h(12, 30), h(13, 0), Status::Confirmed);
        fx.book("after", h(10, 0), h(10, 30), Status::Confirmed);

        // buffer_before 30 min: a booking starting 11:00 blocks from 10:30.
        fx.t.create_resource(NewResource {
            id: Some("before".into()),
            name: "Before".into(),
            buffer_before: TimeDelta::minutes(30),
            ..Default::default()
        })
        .unwrap();
        let anchor = fx.book("before", h(11, 0), h(12, 0), Status::Confirmed);
        for (start, end) in [(h(10, 0), h(10, 45)), (h(12, 0), h(12, 15))] {
            let e = fail(fx.t.create_booking(new_booking("before", start, end, Status::Confirmed)));
            assert_eq!(conflict_ids(&e), vec![anchor.id.clone()], "{start}..{end}");
        }
        fx.book("before", h(10, 0), h(10, 30), Status::Confirmed);
        fx.book("before", h(12, 30), h(13, 0), Status::Confirmed);
    });
}

// ---------------------------------------------------------------- versions and idempotency

#[test]
fn every_action_checks_the_expected_version() {
    common::for_each_store(|store| {
        type Run = fn(&Tenant, &str, Option<i64>) -> Result<Booking, Error>;
        let cases: [(&str, Status, Run); 6] = [
            ("pencil", Status::Hold, |t, id, v| t.pencil(id, v)),
            ("confirm", Status::Pencil, |t, id, v| t.confirm(id, v)),
            ("cancel", Status::Confirmed, |t, id, v| t.cancel(id, v)),
            ("decline", Status::Pencil, |t, id, v| t.decline(id, v)),
            ("extend_hold", Status::Hold, |t, id, v| t.extend_hold(id, HoldExpiry::Ttl(TimeDelta::hours(1)), v)),
            ("reschedule", Status::Confirmed, |t, id, v| {
                t.reschedule(id, Reschedule { start: h(13, 0), end: h(14, 0), resource_id: None }, v)
            }),
        ];
        for (name, from, run) in cases {
            let (fx, booking) = booking_in(store, from);
            // Holds get a second version first, so that a stale "1" is tried too.
            let current = if from == Status::Hold {
                fx.t.extend_hold(&booking.id, HoldExpiry::Ttl(TimeDelta::hours(2)), Some(1)).unwrap()
            } else {
                booking
            };
            let before = snapshot(&fx.t);
            for wrong in [current.version - 1, current.version + 1, 0, -1, i64::MAX] {
                let e = fail(run(&fx.t, &current.id, Some(wrong)));
                assert_eq!(e.code(), "VERSION_MISMATCH", "{name} with {wrong}");
                assert_eq!(
                    e.details(),
                    json!({ "entity": "booking", "id": current.id, "expected_version": wrong,
                            "current_version": current.version }),
                    "{name}"
                );
            }
            assert_eq!(snapshot(&fx.t), before, "{name}: a version mismatch wrote something");
            let done = run(&fx.t, &current.id, Some(current.version)).unwrap();
            assert_eq!(done.version, current.version + 1, "{name}");
            let e = fail(run(&fx.t, &current.id, Some(current.version)));
            assert_eq!(e.code(), "VERSION_MISMATCH", "{name}: stale version after a change");
            assert_eq!(e.details()["current_version"], done.version, "{name}");
        }
    });
}

#[test]
fn idempotency_keys_and_client_ids_make_creates_repeatable() {
    common::for_each_store(|store| {
        let fx = Fx::new(store);
        fx.resource("room", 1);
        let request = NewBooking {
            idempotency_key: Some("key-1".into()),
            title: Some("Session".into()),
            hold_ttl: Some(TimeDelta::minutes(30)),
            ..new_booking("room", h(9, 0), h(10, 0), Status::Hold)
        };
        let first = fx.t.create_booking(request.clone()).unwrap();
        assert_eq!(first.idempotency_key.as_deref(), Some("key-1"));
        let before = snapshot(&fx.t);

        // The same request again, later: the first result, no event, no conflict
        // with itself on the exclusive resource, expiry not recomputed.
        fx.clock.advance(TimeDelta::minutes(5));
        assert_eq!(fx.t.create_booking(request.clone()).unwrap(), first);
        assert_eq!(fx.t.create_bookings(vec![request.clone()]).unwrap(), vec![first.clone()]);
        assert_eq!(snapshot(&fx.t), before);

        // The same key with any other body: IDEMPOTENCY_MISMATCH, nothing written.
        for other in [
            NewBooking { title: Some("Other".into()), ..request.clone() },
            NewBooking { start: h(9, 30), ..request.clone() },
            NewBooking { hold_ttl: None, ..request.clone() },
            NewBooking { status: Status::Pencil, hold_ttl: None, ..request.clone() },
            NewBooking { resource_id: "elsewhere".into(), ..request.clone() },
        ] {
            let e = fail(fx.t.create_booking(other.clone()));
            assert_eq!(e.code(), "IDEMPOTENCY_MISMATCH", "{other:?}");
            assert_eq!(e.details(), json!({ "idempotency_key": "key-1" }));
        }
        assert_eq!(snapshot(&fx.t), before);

        // Client ids behave the same, with ALREADY_EXISTS for another body.
        let by_id = with_id("bk-1", new_booking("room", h(11, 0), h(12, 0), Status::Pencil));
        let created = fx.t.create_booking(by_id.clone()).unwrap();
        assert_eq!(created.id, "bk-1");
        let before = snapshot(&fx.t);
        assert_eq!(fx.t.create_booking(by_id.clone()).unwrap(), created);
        for other in [
            NewBooking { quantity: 2, ..by_id.clone() },
            NewBooking { end: h(11, 30), ..by_id.clone() },
            NewBooking { notes: Some("n".into()), ..by_id.clone() },
        ] {
            let e = fail(fx.t.create_booking(other));
            assert_eq!((e.code(), e.details()), ("ALREADY_EXISTS", json!({ "entity": "booking", "id": "bk-1" })));
        }
        // A client id that happens to equal a generated one is taken too.
        let e = fail(fx.t.create_booking(with_id(&first.id, new_booking("room", h(14, 0), h(15, 0), Status::Pencil))));
        assert_eq!(e.code(), "ALREADY_EXISTS");
        assert_eq!(snapshot(&fx.t), before);

        // A failed create does not burn its key: the retry succeeds once it fits.
        let blocked = NewBooking {
            idempotency_key: Some("key-2".into()),
            ..new_booking("room", h(11, 30), h(12, 30), Status::Confirmed)
        };
        assert_eq!(fail(fx.t.create_booking(blocked.clone())).code(), "CONFLICT");
        fx.t.cancel("bk-1", None).unwrap();
        let retried = fx.t.create_booking(blocked.clone()).unwrap();
        assert_eq!(fx.t.create_booking(blocked).unwrap(), retried);

        // A repeat replays the first result even after the booking moved on
        // (DESIGN.md section 3), so a retried create reads as the original reply.
        let confirmed = fx.t.confirm(&first.id, Some(first.version)).unwrap();
        assert_eq!(confirmed.version, 2);
        let replay = fx.t.create_booking(request).unwrap();
        assert_eq!(replay, first);
        assert_eq!((replay.status, replay.version), (Status::Hold, 1));
        assert_eq!(fx.t.get_booking(&first.id).unwrap(), confirmed);
    });
}

// ---------------------------------------------------------------- batches

#[test]
fn create_bookings_is_all_or_nothing_and_names_the_failing_item() {
    common::for_each_store(|store| {
        let fx = Fx::new(store);
        fx.resource("room", 1);
        fx.resource("trio", 3);
        let existing = fx.book("room", h(9, 0), h(10, 0), Status::Confirmed);
        let ok = |start: i64| new_booking("room", h(start, 0), h(start + 1, 0), Status::Confirmed);

        struct Case {
            name: &'static str,
            items: Vec<NewBooking>,
            index: usize,
            code: &'static str,
            field: Option<&'static str>,
            conflicts: Vec<String>,
        }
        let cases = vec![
            Case {
                name: "last item conflicts with an existing booking",
                items: vec![ok(10), ok(11), new_booking("room", h(9, 30), h(10, 0), Status::Pencil)],
                index: 2,
                code: "CONFLICT",
                field: None,
                conflicts: vec![existing.id.clone()],
            },
            Case {
                name: "items conflict with each other",
                items: vec![
                    with_id("batch-a", ok(12)),
                    ok(14),
                    with_id("batch-b", new_booking("room", h(12, 30), h(13, 30), Status::Hold)),
                ],
                index: 2,
                code: "CONFLICT",
                field: None,
                conflicts: vec!["batch-a".into()],
            },
            Case {
                name: "malformed item",
                items: vec![ok(10), NewBooking { quantity: 0, ..ok(11) }, ok(12)],
                index: 1,
                code: "INVALID_INPUT",
                field: Some("items[1].quantity"),
                conflicts: vec![],
            },
            Case {
                name: "item over a limit",
                items: vec![ok(10), ok(11), ok(12), NewBooking { title: Some("t".repeat(256)), ..ok(13) }],
                index: 3,
                code: "LIMIT_EXCEEDED",
                field: Some("items[3].title"),
                conflicts: vec![],
            },
            Case {
                name: "hold TTL over its limit (judged in the store transaction)",
                items: vec![
                    ok(10),
                    NewBooking {
                        hold_ttl: Some(TimeDelta::days(400)),
                        ..new_booking("room", h(11, 0), h(12, 0), Status::Hold)
                    },
                ],
                index: 1,
                code: "LIMIT_EXCEEDED",
                field: Some("items[1].hold_ttl"),
                conflicts: vec![],
            },
            Case {
                name: "quantity above the resource's capacity",
                items: vec![
                    NewBooking { quantity: 4, ..new_booking("trio", h(9, 0), h(10, 0), Status::Pencil) },
                    ok(10),
                ],
                index: 0,
                code: "INVALID_INPUT",
                field: Some("items[0].quantity"),
                conflicts: vec![],
            },
            Case {
                name: "unknown resource",
                items: vec![ok(10), ok(11), ok(12), ok(13), new_booking("ghost", h(9, 0), h(10, 0), Status::Pencil)],
                index: 4,
                code: "NOT_FOUND",
                field: None,
                conflicts: vec![],
            },
            Case {
                name: "unknown project",
                items: vec![ok(10), NewBooking { project_id: Some("ghost".into()), ..ok(11) }],
                index: 1,
                code: "NOT_FOUND",
                field: None,
                conflicts: vec![],
            },
            Case {
                name: "the same client id twice with different bodies",
                items: vec![with_id("twin", ok(10)), with_id("twin", ok(11))],
                index: 1,
                code: "ALREADY_EXISTS",
                field: None,
                conflicts: vec![],
            },
            Case {
                name: "the same idempotency key twice with different bodies",
                items: vec![
                    NewBooking { idempotency_key: Some("k".into()), ..ok(10) },
                    NewBooking { idempotency_key: Some("k".into()), ..ok(11) },
                ],
                index: 1,
                code: "IDEMPOTENCY_MISMATCH",
                field: None,
                conflicts: vec![],
            },
        ];
        let sub = fx.engine.subscribe();
        for case in cases {
            let before = snapshot(&fx.t);
            let e = fail(fx.t.create_bookings(case.items));
            assert_eq!(e.code(), case.code, "{}: {e}", case.name);
            let details = e.details();
            assert_eq!(details["index"], case.index, "{}: {details}", case.name);
            if let Some(field) = case.field {
                assert_eq!(details["field"], field, "{}", case.name);
            }
            if case.code == "CONFLICT" {
                assert_eq!(conflict_ids(&e), case.conflicts, "{}", case.name);
            }
            assert_eq!(e.root().code(), case.code, "{}", case.name);
            assert_eq!(snapshot(&fx.t), before, "{}: wrote something", case.name);
        }
        assert!(drain(&sub).is_empty(), "a rolled-back batch published events");

        // A batch that fits: every item, in order, one event each, gap-free.
        let seq = last_seq(&fx.t);
        let created =
            fx.t.create_bookings(vec![
                ok(10),
                NewBooking { quantity: 2, ..new_booking("trio", h(9, 0), h(10, 0), Status::Pencil) },
                NewBooking { quantity: 1, ..new_booking("trio", h(9, 0), h(10, 0), Status::Hold) },
                ok(11),
            ])
            .unwrap();
        assert_eq!(created.len(), 4);
        assert_eq!(
            created.iter().map(|b| (b.resource_id.as_str(), b.quantity)).collect::<Vec<_>>(),
            [("room", 1), ("trio", 2), ("trio", 1), ("room", 1)]
        );
        let events = events_since(&fx.t, seq);
        assert_eq!(events.iter().map(|e| e.seq).collect::<Vec<_>>(), (seq + 1..=seq + 4).collect::<Vec<_>>());
        assert_eq!(
            events.iter().map(|e| e.booking_id.clone().unwrap()).collect::<Vec<_>>(),
            ids(&created),
            "events in item order"
        );
        assert_eq!(feed_events(&drain(&sub)), events);
        assert!(fx.t.create_bookings(Vec::new()).unwrap().is_empty());
        assert_eq!(last_seq(&fx.t), seq + 4);
    });
}

// ---------------------------------------------------------------- reschedule

#[test]
fn reschedule_moves_within_and_across_resources_if_it_fits() {
    common::for_each_store(|store| {
        let fx = Fx::new(store);
        fx.resource("r1", 1);
        fx.t.create_resource(NewResource {
            id: Some("r2".into()),
            name: "R2".into(),
            buffer_after: TimeDelta::minutes(30),
            ..Default::default()
        })
        .unwrap();
        fx.resource("tiny", 1);
        let a =
            fx.t.create_booking(NewBooking {
                title: Some("A".into()),
                ..new_booking("r1", h(9, 0), h(10, 0), Status::Confirmed)
            })
            .unwrap();
        let b = fx.book("r1", h(11, 0), h(12, 0), Status::Pencil);
        let c = fx.book("r2", h(9, 0), h(10, 0), Status::Confirmed);

        // Within the resource, overlapping its own old interval: only itself was in the way.
        fx.clock.advance(TimeDelta::minutes(1));
        let moved =
            fx.t.reschedule(&a.id, Reschedule { start: h(9, 30), end: h(10, 30), resource_id: None }, Some(1)).unwrap();
        assert_eq!(
            (moved.resource_id.as_str(), moved.start, moved.end, moved.status, moved.version),
            ("r1", h(9, 30), h(10, 30), Status::Confirmed, 2)
        );
        assert_eq!((moved.title.as_deref(), moved.created_at, moved.updated_at), (Some("A"), a.created_at, fx.now()));
        let event = all_events(&fx.t).pop().unwrap();
        assert_eq!(event.kind, EventType::Rescheduled);
        assert_eq!(
            event.data["previous"],
            json!({ "resource_id": "r1", "start": "2026-12-01T09:00:00Z", "end": "2026-12-01T10:00:00Z" })
        );
        // The old slot is free, the new one taken.
        let e = fail(fx.t.create_booking(new_booking("r1", h(10, 0), h(10, 15), Status::Confirmed)));
        assert_eq!(conflict_ids(&e), vec![a.id.clone()]);

        let before = snapshot(&fx.t);
        // Into another booking: CONFLICT naming it (not itself).
        let e = fail(fx.t.reschedule(&a.id, Reschedule { start: h(10, 0), end: h(11, 15), resource_id: None }, None));
        assert_eq!(conflict_ids(&e), vec![b.id.clone()]);
        // To another resource, whose buffers count.
        let e = fail(fx.t.reschedule(
            &a.id,
            Reschedule { start: h(10, 15), end: h(11, 0), resource_id: Some("r2".into()) },
            None,
        ));
        assert_eq!(conflict_ids(&e), vec![c.id.clone()]);
        assert_eq!(e.details()["resource_id"], "r2");
        // To a resource that does not exist.
        let e = fail(fx.t.reschedule(
            &a.id,
            Reschedule { start: h(13, 0), end: h(14, 0), resource_id: Some("ghost".into()) },
            None,
        ));
        assert_eq!((e.code(), e.details()), ("NOT_FOUND", json!({ "entity": "resource", "id": "ghost" })));
        // A booking that does not exist.
        let e = fail(fx.t.reschedule("ghost", Reschedule { start: h(13, 0), end: h(14, 0), resource_id: None }, None));
        assert_eq!((e.code(), e.details()), ("NOT_FOUND", json!({ "entity": "booking", "id": "ghost" })));
        assert_eq!(snapshot(&fx.t), before);

        let across = fx
            .t
            .reschedule(&a.id, Reschedule { start: h(10, 30), end: h(11, 30), resource_id: Some("r2".into()) }, Some(2))
            .unwrap();
        assert_eq!((across.resource_id.as_str(), across.start, across.version), ("r2", h(10, 30), 3));
        let event = all_events(&fx.t).pop().unwrap();
        assert_eq!(event.data["previous"]["resource_id"], "r1");
        // It left r1 entirely and now blocks r2 (with r2's buffer after it).
        fx.book("r1", h(9, 0), h(11, 0), Status::Confirmed);
        let e = fail(fx.t.create_booking(new_booking("r2", h(11, 45), h(12, 0), Status::Confirmed)));
        assert_eq!(conflict_ids(&e), vec![a.id.clone()]);
        let on_r2 = list_all(&fx.t, &BookingFilter { resource_ids: vec!["r2".into()], ..Default::default() });
        assert_eq!(ids(&on_r2), [c.id.clone(), a.id.clone()]);
        // A hold keeps its status and expiry when moved.
        let hold = fx.book("tiny", h(9, 0), h(10, 0), Status::Hold);
        let held =
            fx.t.reschedule(&hold.id, Reschedule { start: h(15, 0), end: h(16, 0), resource_id: None }, None).unwrap();
        assert_eq!((held.status, held.hold_expires_at), (Status::Hold, hold.hold_expires_at));
    });
}

// ---------------------------------------------------------------- events and the feed

#[test]
fn the_event_log_is_gap_free_pages_by_seq_and_history_follows_a_booking() {
    common::for_each_store(|store| {
        let fx = Fx::new(store);
        fx.resource("room", 1);
        let b = fx.book("room", h(9, 0), h(10, 0), Status::Hold);
        assert_eq!(
            fail(fx.t.create_booking(new_booking("room", h(9, 0), h(10, 0), Status::Pencil))).code(),
            "CONFLICT"
        );
        fx.t.pencil(&b.id, Some(1)).unwrap();
        fx.t.reschedule(&b.id, Reschedule { start: h(11, 0), end: h(12, 0), resource_id: None }, Some(2)).unwrap();
        assert_eq!(fail(fx.t.confirm(&b.id, Some(1))).code(), "VERSION_MISMATCH");
        fx.t.as_actor("alice").unwrap().confirm(&b.id, Some(3)).unwrap();
        let bad_batch = vec![
            new_booking("room", h(1, 0), h(2, 0), Status::Pencil),
            new_booking("room", h(11, 0), h(12, 0), Status::Pencil),
        ];
        assert_eq!(fail(fx.t.create_bookings(bad_batch)).code(), "CONFLICT");
        fx.t.cancel(&b.id, Some(4)).unwrap();
        fx.t.create_project(NewProject { id: Some("p".into()), name: "P".into(), ..Default::default() }).unwrap();
        let other = fx.book("room", h(9, 0), h(10, 0), Status::Confirmed);

        let all = all_events(&fx.t);
        let kinds: Vec<EventType> = all.iter().map(|e| e.kind).collect();
        use EventType as E;
        assert_eq!(
            kinds,
            [
                E::TenantCreated,
                E::ResourceCreated,
                E::Created,
                E::Pencilled,
                E::Rescheduled,
                E::Confirmed,
                E::Cancelled,
                E::ProjectCreated,
                E::Created
            ]
        );
        let seqs: Vec<i64> = all.iter().map(|e| e.seq).collect();
        assert_eq!(seqs, (1..=9).collect::<Vec<_>>(), "seq is gap-free from 1 despite the failed calls");
        assert!(all.iter().all(|e| e.tenant_id == "acme" && e.at == ts(NOW)));

        // Paging by (since, limit) visits the same log.
        for limit in [1, 2, 4, 1000] {
            let mut since = 0;
            let mut walked = Vec::new();
            loop {
                let page = fx.t.events(since, limit).unwrap();
                assert!(page.len() <= limit);
                let Some(last) = page.last() else { break };
                since = last.seq;
                walked.extend(page);
            }
            assert_eq!(walked, all, "limit {limit}");
        }
        assert_eq!(fx.t.events(3, 2).unwrap(), all[3..5].to_vec());
        assert!(fx.t.events(9, 10).unwrap().is_empty());
        assert!(fx.t.events(1_000_000, 10).unwrap().is_empty());

        // History: one booking's events, oldest first.
        let history = fx.t.history(&b.id).unwrap();
        assert_eq!(
            history.iter().map(|e| e.kind).collect::<Vec<_>>(),
            [E::Created, E::Pencilled, E::Rescheduled, E::Confirmed, E::Cancelled]
        );
        assert!(history.iter().all(|e| e.booking_id.as_deref() == Some(b.id.as_str())));
        assert!(history.windows(2).all(|w| w[0].seq < w[1].seq));
        assert_eq!(
            history.iter().map(|e| e.data["booking"]["version"].as_i64().unwrap()).collect::<Vec<_>>(),
            [1, 2, 3, 4, 5]
        );
        assert_eq!(history.iter().map(|e| e.actor.as_str()).collect::<Vec<_>>(), ["api", "api", "api", "alice", "api"]);
        assert_eq!(history[0].data["booking"]["status"], "hold");
        assert_eq!(fx.t.history(&other.id).unwrap().len(), 1);
        let e = fail(fx.t.history("ghost"));
        assert_eq!((e.code(), e.details()), ("NOT_FOUND", json!({ "entity": "booking", "id": "ghost" })));
    });
}

#[test]
fn subscribers_get_committed_events_in_seq_order_and_never_rolled_back_ones() {
    common::for_each_store(|store| {
        let fx = Fx::new(store);
        fx.engine.create_tenant("bravo", "Bravo").unwrap();
        let bravo = fx.engine.tenant("bravo").unwrap();
        let everything = fx.engine.subscribe();
        let acme_only = fx.t.subscribe();
        let acme_from = last_seq(&fx.t);
        let bravo_from = last_seq(&bravo);

        fx.resource("room", 1);
        let b = fx.book("room", h(9, 0), h(10, 0), Status::Pencil);
        // Failures publish nothing.
        assert_eq!(
            fail(fx.t.create_booking(new_booking("room", h(9, 0), h(10, 0), Status::Pencil))).code(),
            "CONFLICT"
        );
        assert_eq!(
            fail(fx.t.create_bookings(vec![
                new_booking("room", h(11, 0), h(12, 0), Status::Pencil),
                new_booking("room", h(11, 30), h(12, 30), Status::Pencil),
            ]))
            .code(),
            "CONFLICT"
        );
        assert_eq!(fail(fx.t.pencil(&b.id, None)).code(), "INVALID_TRANSITION");
        assert_eq!(fail(fx.t.confirm(&b.id, Some(9))).code(), "VERSION_MISMATCH");
        resource_in(&bravo, "room", 1);
        fx.t.confirm(&b.id, Some(1)).unwrap();
        // A hold expiring on contact is committed (and so published) although the call fails.
        let hold =
            fx.t.create_booking(NewBooking {
                hold_ttl: Some(TimeDelta::minutes(1)),
                ..new_booking("room", h(12, 0), h(13, 0), Status::Hold)
            })
            .unwrap();
        fx.clock.advance(TimeDelta::minutes(1));
        assert_eq!(fail(fx.t.confirm(&hold.id, None)).code(), "HOLD_EXPIRED");
        bravo.create_booking(new_booking("room", h(9, 0), h(10, 0), Status::Confirmed)).unwrap();
        // A late subscriber sees only what comes after it.
        let late = fx.t.subscribe();
        fx.t.cancel(&b.id, None).unwrap();

        let acme_log = events_since(&fx.t, acme_from);
        let bravo_log = events_since(&bravo, bravo_from);
        assert_eq!(
            acme_log.iter().map(|e| e.kind).collect::<Vec<_>>(),
            [
                EventType::ResourceCreated,
                EventType::Created,
                EventType::Confirmed,
                EventType::Created,
                EventType::Expired,
                EventType::Cancelled
            ]
        );
        assert_eq!(
            bravo_log.iter().map(|e| e.kind).collect::<Vec<_>>(),
            [EventType::ResourceCreated, EventType::Created]
        );
        let acme_feed = feed_events(&drain(&acme_only));
        assert_eq!(acme_feed, acme_log);
        let all_feed = feed_events(&drain(&everything));
        let of = |tenant: &str| all_feed.iter().filter(|e| e.tenant_id == tenant).cloned().collect::<Vec<_>>();
        assert_eq!(of("acme"), acme_log);
        assert_eq!(of("bravo"), bravo_log);
        assert_eq!(all_feed.len(), acme_log.len() + bravo_log.len());
        let late_feed = feed_events(&drain(&late));
        assert_eq!(late_feed.len(), 1);
        assert_eq!(late_feed[0].kind, EventType::Cancelled);
        assert_eq!(late_feed[0], *acme_log.last().unwrap());

        // Dropping a subscription unsubscribes; writers carry on.
        drop(late);
        drop(everything);
        fx.book("room", h(14, 0), h(15, 0), Status::Confirmed);
        assert_eq!(feed_events(&drain(&acme_only)).len(), 1);
        assert_eq!(acme_only.next_timeout(Duration::from_millis(10)), None);
    });
}

#[test]
fn a_subscriber_that_does_not_read_is_told_it_lagged_and_writers_never_block() {
    common::for_each_store(|store| {
        let fx = Fx::new(store);
        fx.resource("room", 1);
        let sub = fx.engine.subscribe();
        let tenant_sub = fx.t.subscribe();
        let from = last_seq(&fx.t);
        let count = limits::SUBSCRIBER_QUEUE_MAX + 50;
        let items: Vec<NewBooking> = (0..count)
            .map(|i| {
                let i = i64::try_from(i).unwrap();
                new_booking("room", h(i, 0), h(i, 30), Status::Confirmed)
            })
            .collect();

        // The writer runs on its own thread; it must finish although nobody reads.
        let (done_tx, done_rx) = mpsc::channel();
        let writer = fx.t.clone();
        let handle = std::thread::spawn(move || {
            let created = writer.create_bookings(items).map(|b| b.len());
            let single =
                writer.create_booking(new_booking("room", h(-5, 0), h(-4, 0), Status::Confirmed)).map(|b| b.id);
            done_tx.send((created, single)).unwrap();
        });
        let (created, single) =
            done_rx.recv_timeout(Duration::from_secs(120)).expect("a writer blocked on a full subscriber");
        handle.join().unwrap();
        assert_eq!(created.unwrap(), count);
        single.unwrap();
        let log = events_since(&fx.t, from);
        assert_eq!(log.len(), count + 1);

        for (name, s) in [("engine", &sub), ("tenant", &tenant_sub)] {
            let items = drain(s);
            // Exactly the queue's worth of events, in order, then one Lagged.
            assert_eq!(items.len(), limits::SUBSCRIBER_QUEUE_MAX + 1, "{name}");
            assert_eq!(items.last(), Some(&FeedItem::Lagged), "{name}");
            let delivered = feed_events(&items[..limits::SUBSCRIBER_QUEUE_MAX]);
            assert_eq!(delivered[..], log[..limits::SUBSCRIBER_QUEUE_MAX], "{name}");
            assert_eq!(s.try_next(), None, "{name}: Lagged is reported once");
            // Resuming from the log after the last seq seen recovers the rest.
            let last_seen = delivered.last().unwrap().seq;
            assert_eq!(events_since(&fx.t, last_seen)[..], log[limits::SUBSCRIBER_QUEUE_MAX..], "{name}");
        }
        // Delivery resumes after Lagged was taken.
        let next = fx.book("room", h(-10, 0), h(-9, 0), Status::Confirmed);
        for s in [&sub, &tenant_sub] {
            match s.next_timeout(Duration::from_secs(5)) {
                Some(FeedItem::Event(e)) => assert_eq!(e.booking_id.as_deref(), Some(next.id.as_str())),
                other => panic!("expected the next event, got {other:?}"),
            }
        }
    });
}

// ---------------------------------------------------------------- list_bookings

#[test]
fn list_bookings_filters_combine_and_windows_are_half_open() {
    common::for_each_store(|store| {
        let fx = Fx::new(store);
        for r in ["r1", "r2", "r3"] {
            fx.resource(r, 5);
        }
        for p in ["p1", "p2"] {
            fx.t.create_project(NewProject { id: Some(p.into()), name: p.into(), ..Default::default() }).unwrap();
        }
        let mk = |id: &str, r: &str, start: Timestamp, end: Timestamp, status: Status, project: Option<&str>| {
            fx.t.create_booking(NewBooking {
                project_id: project.map(Into::into),
                ..with_id(id, new_booking(r, start, end, status))
            })
            .unwrap()
        };
        mk("b1", "r1", h(9, 0), h(10, 0), Status::Confirmed, Some("p1"));
        mk("b2", "r1", h(10, 0), h(11, 0), Status::Pencil, Some("p2"));
        mk("b3", "r2", h(9, 30), h(10, 30), Status::Hold, None);
        mk("b4", "r2", h(11, 0), h(12, 0), Status::Confirmed, Some("p1"));
        fx.t.cancel("b4", None).unwrap();
        mk("b5", "r3", h(8, 0), h(9, 0), Status::Pencil, None);
        fx.t.decline("b5", None).unwrap();
        mk("b6", "r3", h(12, 0), h(13, 0), Status::Confirmed, None);
        mk("b7", "r3", h(30, 0), h(31, 0), Status::Confirmed, Some("p2"));

        let window = |start: Timestamp, end: Timestamp| BookingFilter {
            start: Some(start),
            end: Some(end),
            ..Default::default()
        };
        let cases: Vec<(&str, BookingFilter, Vec<&str>)> = vec![
            ("no filter, by start", BookingFilter::default(), vec!["b5", "b1", "b3", "b2", "b4", "b6", "b7"]),
            (
                "resources",
                BookingFilter { resource_ids: vec!["r1".into(), "r2".into()], ..Default::default() },
                vec!["b1", "b3", "b2", "b4"],
            ),
            (
                "one resource",
                BookingFilter { resource_ids: vec!["r3".into()], ..Default::default() },
                vec!["b5", "b6", "b7"],
            ),
            ("unknown resource", BookingFilter { resource_ids: vec!["zz".into()], ..Default::default() }, vec![]),
            ("project", BookingFilter { project_id: Some("p1".into()), ..Default::default() }, vec!["b1", "b4"]),
            ("unknown project", BookingFilter { project_id: Some("zz".into()), ..Default::default() }, vec![]),
            (
                "status",
                BookingFilter { statuses: vec![Status::Confirmed], ..Default::default() },
                vec!["b1", "b6", "b7"],
            ),
            (
                "terminal statuses",
                BookingFilter {
                    statuses: vec![Status::Declined, Status::Cancelled, Status::Declined],
                    ..Default::default()
                },
                vec!["b5", "b4"],
            ),
            ("holds", BookingFilter { statuses: vec![Status::Hold], ..Default::default() }, vec!["b3"]),
            ("expired (none)", BookingFilter { statuses: vec![Status::Expired], ..Default::default() }, vec![]),
            ("window [10, 11)", window(h(10, 0), h(11, 0)), vec!["b3", "b2"]),
            ("window [9:59, 10:01)", window(h(9, 59), h(10, 1)), vec!["b1", "b3", "b2"]),
            ("window ending where b1 starts", window(h(7, 0), h(9, 0)), vec!["b5"]),
            ("window starting where b6 ends", window(h(13, 0), h(14, 0)), vec![]),
            ("window inside b7", window(h(30, 10), h(30, 20)), vec!["b7"]),
            ("window covering everything", window(h(-24, 0), h(48, 0)), vec!["b5", "b1", "b3", "b2", "b4", "b6", "b7"]),
            (
                "resource + statuses + window",
                BookingFilter {
                    resource_ids: vec!["r1".into(), "r2".into()],
                    statuses: vec![Status::Confirmed, Status::Pencil],
                    start: Some(h(9, 0)),
                    end: Some(h(12, 0)),
                    ..Default::default()
                },
                vec!["b1", "b2"],
            ),
            (
                "project + window",
                BookingFilter {
                    project_id: Some("p2".into()),
                    start: Some(h(0, 0)),
                    end: Some(h(24, 0)),
                    ..Default::default()
                },
                vec!["b2"],
            ),
        ];
        for (name, filter, expected) in cases {
            for limit in [None, Some(1), Some(2), Some(1000)] {
                let filter = BookingFilter { limit, ..filter.clone() };
                let got = list_all(&fx.t, &filter);
                assert_eq!(ids(&got), expected, "{name}, limit {limit:?}");
            }
        }
        // A page has a cursor only when full.
        let page = fx.t.list_bookings(&BookingFilter { limit: Some(3), ..Default::default() }).unwrap();
        assert_eq!((page.items.len(), page.next_cursor.is_some()), (3, true));
        let page = fx.t.list_bookings(&BookingFilter { limit: Some(8), ..Default::default() }).unwrap();
        assert_eq!((page.items.len(), page.next_cursor), (7, None));
    });
}

#[test]
fn list_bookings_cursors_stay_stable_while_bookings_are_inserted() {
    common::for_each_store(|store| cursors_stay_stable(store, BookingFilter::default()));
}

/// The same through the read cache: one resource over a window is listed
/// from its cached bookings, which every insert makes stale.
#[test]
fn cached_listing_cursors_stay_stable_while_bookings_are_inserted() {
    let filter = BookingFilter {
        resource_ids: vec!["room".into()],
        start: Some(h(0, 0)),
        end: Some(h(48, 0)),
        ..Default::default()
    };
    common::for_each_store(|store| cursors_stay_stable(store, filter.clone()));
}

fn cursors_stay_stable(store: &TestStore, filter: BookingFilter) {
    {
        let fx = Fx::new(store);
        fx.resource("room", 10);
        let pre: Vec<String> = (0..9).map(|i| format!("p-{i}")).collect();
        for (i, id) in pre.iter().enumerate() {
            let i = i64::try_from(i).unwrap();
            fx.t.create_booking(with_id(id, new_booking("room", h(9 + i, 0), h(9 + i, 30), Status::Confirmed)))
                .unwrap();
        }
        let insert = |id: &str, start: Timestamp| {
            fx.t.create_booking(with_id(
                id,
                new_booking("room", start, after(start, TimeDelta::minutes(15)), Status::Pencil),
            ))
            .unwrap();
        };
        let mut filter = BookingFilter { limit: Some(3), ..filter };
        let mut seen: Vec<String> = Vec::new();
        let mut page_no = 0;
        loop {
            let page = fx.t.list_bookings(&filter).unwrap();
            seen.extend(page.items.iter().map(|b| b.id.clone()));
            page_no += 1;
            match page_no {
                // After p-0..p-2 (cursor at p-2, 11:00): before it, at its start on
                // both sides of its id, and after it.
                1 => {
                    insert("n-early", h(8, 0));
                    insert("n-mid", h(10, 0));
                    insert("a-same", h(11, 0));
                    insert("z-same", h(11, 0));
                    insert("n-late", h(14, 0));
                }
                // Page 2 was z-same (after p-2 at 11:00), p-3, p-4: cursor at p-4, 13:00.
                2 => {
                    insert("n-before-2", h(12, 30));
                    insert("n-after-2", h(20, 0));
                    fx.t.cancel("p-7", None).unwrap();
                }
                _ => {}
            }
            match page.next_cursor {
                Some(next) => filter.cursor = Some(next),
                None => break,
            }
            assert!(page_no < 100);
        }
        let unique: BTreeSet<&String> = seen.iter().collect();
        assert_eq!(unique.len(), seen.len(), "duplicates in {seen:?}");
        for id in &pre {
            assert!(seen.contains(id), "pre-existing {id} skipped: {seen:?}");
        }
        for id in ["z-same", "n-late", "n-after-2"] {
            assert!(seen.iter().any(|s| s == id), "{id}, inserted after the cursor, missing: {seen:?}");
        }
        for id in ["n-early", "n-mid", "a-same", "n-before-2"] {
            assert!(!seen.iter().any(|s| s == id), "{id}, inserted before the cursor, listed: {seen:?}");
        }
        let expected_order =
            ["p-0", "p-1", "p-2", "z-same", "p-3", "p-4", "n-late", "p-5", "p-6", "p-7", "p-8", "n-after-2"];
        assert_eq!(seen, expected_order);
    }
}

/// Bookings too large to hold together (over an eighth of the cache's
/// byte budget: 500 notes of 10,000 characters) are listed from the store,
/// exactly, and their resource is not loaded into the cache again.
#[test]
fn a_resource_too_large_to_cache_is_listed_from_the_store() {
    common::for_each_store(|store| {
        let fx = Fx::new(store);
        fx.resource("wordy", 1);
        let notes = "x".repeat(limits::NOTES_LENGTH_MAX_CHARS);
        let items: Vec<NewBooking> = (0..500)
            .map(|i| {
                let start = after(h(0, 0), TimeDelta::minutes(2 * i));
                NewBooking {
                    notes: Some(notes.clone()),
                    ..with_id(
                        &format!("w{i:03}"),
                        new_booking("wordy", start, after(start, TimeDelta::minutes(1)), Status::Confirmed),
                    )
                }
            })
            .collect();
        fx.t.create_bookings(items).unwrap();
        let filter = BookingFilter {
            resource_ids: vec!["wordy".into()],
            start: Some(h(1, 0)),
            end: Some(h(2, 0)),
            limit: Some(7),
            ..Default::default()
        };
        let expected: Vec<String> = (30..60).map(|i| format!("w{i:03}")).collect();
        for _ in 0..2 {
            let listed = list_all(&fx.t, &filter);
            assert_eq!(listed.iter().map(|b| b.id.clone()).collect::<Vec<_>>(), expected);
            assert!(listed.iter().all(|b| b.notes.as_deref() == Some(notes.as_str())));
        }
    });
}

/// Several resources listed together: their missing entries load in one
/// query, unless together they hold more than `LISTING_LOAD_ROWS_MAX`
/// bookings over the stretch; then the store answers, exactly. Either way
/// the pages merge the resources in `(start, id)` order.
#[test]
fn resources_listed_together_merge_in_order_however_many_bookings() {
    common::for_each_store(|store| {
        let fx = Fx::new(store);
        let resources = 5;
        // Under one entry's bound each, over one load's bound together.
        let per_resource = limits::LISTING_LOAD_ROWS_MAX / resources + 20;
        assert!(per_resource < limits::LISTING_ENTRY_ROWS_MAX);
        let ids: Vec<String> = (0..resources).map(|k| format!("r{k}")).collect();
        let mut items = Vec::new();
        for id in &ids {
            fx.resource(id, 1);
            for i in 0..per_resource {
                let start = after(h(0, 0), TimeDelta::minutes(i64::try_from(i).unwrap()));
                let end = after(start, TimeDelta::minutes(1));
                items.push(with_id(&format!("{id}-{i:05}"), new_booking(id, start, end, Status::Confirmed)));
            }
        }
        for chunk in items.chunks(limits::BATCH_SIZE_MAX) {
            fx.t.create_bookings(chunk.to_vec()).unwrap();
        }
        let listed = |ids: &[String], hours: (i64, i64)| {
            let filter = BookingFilter {
                resource_ids: ids.to_vec(),
                start: Some(h(hours.0, 0)),
                end: Some(h(hours.1, 0)),
                limit: Some(limits::PAGE_SIZE_MAX),
                ..Default::default()
            };
            list_all(&fx.t, &filter).into_iter().map(|b| b.id).collect::<Vec<_>>()
        };
        // Minutes [60, 120) of every resource: ties on start break by id.
        let expected = |ids: &[String]| -> Vec<String> {
            (60..120).flat_map(|i| ids.iter().map(move |id| format!("{id}-{i:05}"))).collect()
        };
        // All five: too many to load, the store answers (twice: nothing
        // was cached in between).
        assert_eq!(listed(&ids, (1, 2)), expected(&ids));
        assert_eq!(listed(&ids, (1, 2)), expected(&ids));
        // Two of them fit one load; then a write to one shows at once.
        let two = [ids[3].clone(), ids[1].clone()];
        let mut pair: Vec<String> = two.to_vec();
        pair.sort();
        assert_eq!(listed(&two, (1, 2)), expected(&pair));
        let before = fx.engine.cache_stats();
        assert_eq!(listed(&two, (1, 2)), expected(&pair));
        assert_eq!(fx.engine.cache_stats().misses, before.misses, "both entries are cached");
        fx.t.cancel("r3-00061", None).unwrap();
        let confirmed = |ids: &[String]| {
            let filter = BookingFilter {
                resource_ids: ids.to_vec(),
                statuses: vec![Status::Confirmed],
                start: Some(h(1, 0)),
                end: Some(h(2, 0)),
                limit: Some(7),
                ..Default::default()
            };
            list_all(&fx.t, &filter).into_iter().map(|b| b.id).collect::<Vec<_>>()
        };
        let now_expected: Vec<String> = expected(&pair).into_iter().filter(|id| id != "r3-00061").collect();
        assert_eq!(confirmed(&two), now_expected);
    });
}

/// A resource with more bookings over a listed stretch than the cache
/// keeps (`LISTING_ENTRY_ROWS_MAX`) is listed from the store, exactly, and
/// its writes show on the next listing; a quiet resource beside it is
/// still listed from the cache.
#[test]
fn a_resource_too_busy_to_cache_is_listed_from_the_store() {
    common::for_each_store(|store| {
        let fx = Fx::new(store);
        fx.resource("busy", 10_000);
        fx.resource("quiet", 1);
        let busy = limits::LISTING_ENTRY_ROWS_MAX + 20;
        // One-hour bookings a minute apart from 2026-12-01: about 3 days.
        let items: Vec<NewBooking> = (0..busy)
            .map(|i| {
                let start = after(h(0, 0), TimeDelta::minutes(i64::try_from(i).unwrap()));
                with_id(
                    &format!("b{i:05}"),
                    new_booking("busy", start, after(start, TimeDelta::hours(1)), Status::Confirmed),
                )
            })
            .collect();
        fx.t.create_bookings(items).unwrap();
        fx.book("quiet", h(9, 0), h(10, 0), Status::Confirmed);
        let day = |resource: &str, day: i64| BookingFilter {
            resource_ids: vec![resource.into()],
            start: Some(h(24 * day, 0)),
            end: Some(h(24 * (day + 1), 0)),
            limit: Some(limits::PAGE_SIZE_MAX),
            ..Default::default()
        };
        // Day 1 [24:00, 48:00): bookings starting 23:01 (b01381) through
        // 47:59 (b02879); b01380 ends exactly at 24:00 and is not listed.
        let ids = |items: Vec<Booking>| items.into_iter().map(|b| b.id).collect::<Vec<_>>();
        let expected: Vec<String> = (1381..2880).map(|i| format!("b{i:05}")).collect();
        assert_eq!(ids(list_all(&fx.t, &day("busy", 1))), expected);
        // Again, now routed by the hint; and after a cancel, without it.
        assert_eq!(ids(list_all(&fx.t, &day("busy", 1))), expected);
        fx.t.cancel("b02000", None).unwrap();
        let confirmed = BookingFilter { statuses: vec![Status::Confirmed], ..day("busy", 1) };
        let expected_now: Vec<String> = expected.iter().filter(|id| *id != "b02000").cloned().collect();
        assert_eq!(ids(list_all(&fx.t, &confirmed)), expected_now);
        // The quiet resource: a miss, then hits only.
        assert_eq!(ids(list_all(&fx.t, &day("quiet", 0))).len(), 1);
        let before = fx.engine.cache_stats();
        assert_eq!(ids(list_all(&fx.t, &day("quiet", 0))).len(), 1);
        let after_read = fx.engine.cache_stats();
        assert_eq!(after_read.misses, before.misses, "the quiet resource is listed from the cache");
        assert!(after_read.hits > before.hits);
    });
}

// ---------------------------------------------------------------- the store

/// SQLite only: the lock is taken with rusqlite on the database file.
#[test]
fn a_write_lock_held_elsewhere_is_store_unavailable_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("busy.db");
    let url = format!("sqlite://{}", path.display());
    let engine = Engine::builder()
        .url(url)
        .clock(ManualClock::new(ts(NOW)))
        .busy_timeout(Duration::from_millis(200))
        .open()
        .unwrap();
    engine.create_tenant("acme", "Acme").unwrap();
    let t = engine.tenant("acme").unwrap();
    resource_in(&t, "room", 1);
    let pencil = t.create_booking(new_booking("room", h(8, 0), h(9, 0), Status::Pencil)).unwrap();
    let before = snapshot(&t);

    let blocker = rusqlite::Connection::open(&path).unwrap();
    blocker.execute_batch("BEGIN IMMEDIATE").unwrap();
    type Write = Box<dyn Fn(&Tenant) -> Result<(), Error>>;
    let writes: Vec<(&str, Write)> = vec![
        (
            "create_booking",
            Box::new(|t| t.create_booking(new_booking("room", h(9, 0), h(10, 0), Status::Confirmed)).map(drop)),
        ),
        (
            "create_resource",
            Box::new(|t| t.create_resource(NewResource { name: "X".into(), ..Default::default() }).map(drop)),
        ),
        ("confirm", Box::new(move |t| t.confirm(&pencil.id, None).map(drop))),
    ];
    for (name, write) in &writes {
        let started = Instant::now();
        let e = fail(write(&t));
        let elapsed = started.elapsed();
        assert_eq!(e.code(), "STORE_UNAVAILABLE", "{name}: {e}");
        assert!(elapsed < Duration::from_secs(3), "{name}: waited {elapsed:?} with a 200 ms busy timeout");
    }
    let e = fail(engine.create_tenant("other", "Other"));
    assert_eq!(e.code(), "STORE_UNAVAILABLE");
    // Readers are not blocked by the writer (WAL), and see nothing new.
    assert_eq!(snapshot(&t), before);

    blocker.execute_batch("ROLLBACK").unwrap();
    for (name, write) in &writes {
        write(&t).unwrap_or_else(|e| panic!("{name} after the lock was released: {e}"));
    }
    let events = events_since(&t, before.events.last().unwrap().seq);
    assert_eq!(events.len(), 3);
    assert_eq!(events[0].seq, before.events.last().unwrap().seq + 1, "no seq was burnt by the failed writes");
}

// ---------------------------------------------------------------- long bookings and concurrency

#[test]
fn long_bookings_are_found_by_overlap_however_early_they_start() {
    common::for_each_store(|store| {
        let fx = Fx::new(store);
        fx.resource("r1", 1);
        fx.resource("r2", 1);
        // 366 days, centred on the test day: it starts half a year before.
        let long_start = after(h(0, 0), TimeDelta::days(-183));
        let long = fx.book("r1", long_start, after(long_start, TimeDelta::days(366)), Status::Confirmed);
        // Plenty of short history on the same resource before the test day.
        fx.t.create_bookings(
            (1..50)
                .map(|i| {
                    let start = after(long_start, TimeDelta::days(-i));
                    new_booking("r1", start, after(start, TimeDelta::hours(1)), Status::Confirmed)
                })
                .collect(),
        )
        .unwrap();

        let e = fail(fx.t.create_booking(new_booking("r1", h(9, 0), h(10, 0), Status::Confirmed)));
        assert_eq!(conflict_ids(&e), vec![long.id.clone()]);
        let window = BookingFilter { start: Some(h(9, 0)), end: Some(h(10, 0)), ..Default::default() };
        assert_eq!(ids(&list_all(&fx.t, &window)), vec![long.id.clone()]);
        // The last microsecond of the long booking still overlaps.
        let last = Timestamp::from_micros(long.end.as_micros() - 1);
        let edge =
            BookingFilter { start: Some(last), end: Some(after(last, TimeDelta::hours(1))), ..Default::default() };
        assert_eq!(ids(&list_all(&fx.t, &edge)), vec![long.id.clone()]);

        // Moved to another resource, it blocks there and is still listed.
        fx.t.reschedule(
            &long.id,
            Reschedule { start: long.start, end: long.end, resource_id: Some("r2".into()) },
            None,
        )
        .unwrap();
        fx.book("r1", h(9, 0), h(10, 0), Status::Confirmed);
        let e = fail(fx.t.create_booking(new_booking("r2", h(9, 0), h(10, 0), Status::Confirmed)));
        assert_eq!(conflict_ids(&e), vec![long.id.clone()]);
        let on_r2 = BookingFilter { resource_ids: vec!["r2".into()], ..window };
        assert_eq!(ids(&list_all(&fx.t, &on_r2)), vec![long.id.clone()]);
    });
}

#[test]
fn concurrent_writers_never_overrun_capacity_and_the_feed_stays_in_seq_order() {
    common::for_each_store(|store| {
        let dir = tempfile::tempdir().unwrap();
        let url = store.fresh_shared_url(dir.path());
        let engine = Engine::builder()
            .url(url)
            .clock(ManualClock::new(ts(NOW)))
            .busy_timeout(Duration::from_secs(30))
            .pool_size(8)
            .open()
            .unwrap();
        engine.create_tenant("acme", "Acme").unwrap();
        let t = engine.tenant("acme").unwrap();
        let capacity = 2;
        resource_in(&t, "room", capacity);
        let sub = engine.subscribe();
        let from = last_seq(&t);

        let threads: Vec<_> = (0..8u64)
            .map(|thread| {
                let t = t.clone();
                std::thread::spawn(move || {
                    let mut seed = 0x9E37_79B9_7F4A_7C15_u64.wrapping_mul(thread + 1);
                    let mut next = move |n: u64| {
                        seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
                        i64::try_from((seed >> 33) % n).unwrap()
                    };
                    let mut mine: Vec<String> = Vec::new();
                    let (mut created, mut refused) = (0, 0);
                    for _ in 0..30 {
                        if next(5) == 0
                            && let Some(id) = mine.pop()
                        {
                            t.cancel(&id, None).unwrap();
                            continue;
                        }
                        let start = h(9, 15 * next(24));
                        let end = after(start, TimeDelta::minutes(15 * (1 + next(4))));
                        let status =
                            [Status::Hold, Status::Pencil, Status::Confirmed][usize::try_from(next(3)).unwrap()];
                        let quantity = u32::try_from(1 + next(2)).unwrap();
                        match t.create_booking(NewBooking { quantity, ..new_booking("room", start, end, status) }) {
                            Ok(b) => {
                                created += 1;
                                mine.push(b.id);
                            }
                            Err(e) if e.code() == "CONFLICT" => refused += 1,
                            Err(e) => panic!("thread {thread}: {e}"),
                        }
                    }
                    (created, refused)
                })
            })
            .collect();
        let (mut created, mut refused) = (0, 0);
        for handle in threads {
            let (c, r) = handle.join().unwrap();
            created += c;
            refused += r;
        }
        assert!(created > 0 && refused > 0, "the workload must both fit and collide: {created} / {refused}");

        // The invariant, checked naively at every booking start.
        let live: Vec<Booking> = all_bookings(&t).into_iter().filter(|b| b.is_blocking_at(engine.now())).collect();
        for b in &live {
            let used: u32 = live.iter().filter(|o| o.start <= b.start && b.start < o.end).map(|o| o.quantity).sum();
            assert!(used <= capacity, "{used} units at {} on capacity {capacity}", b.start);
        }

        // Every committed event reached the subscriber once, in seq order.
        let log = events_since(&t, from);
        let created_events = log.iter().filter(|e| e.kind == EventType::Created).count();
        assert_eq!(created_events, created);
        assert_eq!(feed_events(&drain(&sub)), log);
        let seqs: Vec<i64> = log.iter().map(|e| e.seq).collect();
        assert_eq!(seqs, (from + 1..=from + i64::try_from(log.len()).unwrap()).collect::<Vec<_>>());
    });
}

#[test]
fn a_repeated_create_is_recognised_whatever_the_order_of_its_metadata_keys() {
    common::for_each_store(|store| {
        let fx = Fx::new(store);
        fx.resource("room", 1);
        let mut forward = holdfast::Metadata::new();
        forward.insert("alpha".into(), json!(1));
        forward.insert("beta".into(), json!({ "y": 2, "x": 1 }));
        let mut backward = holdfast::Metadata::new();
        backward.insert("beta".into(), json!({ "x": 1, "y": 2 }));
        backward.insert("alpha".into(), json!(1));
        let request = NewBooking {
            idempotency_key: Some("meta".into()),
            metadata: forward,
            ..new_booking("room", h(9, 0), h(10, 0), Status::Pencil)
        };
        let first = fx.t.create_booking(request.clone()).unwrap();
        let again = fx.t.create_booking(NewBooking { metadata: backward, ..request }).unwrap();
        assert_eq!(again, first);
    });
}

// ------------------------------------------------------- decision instants

/// Two instances on one database whose clocks differ (app servers, or one
/// machine's clock stepping back): a decision is never made at an instant
/// earlier than one already made for the tenant, so a lagging instance
/// cannot judge alive a hold that was judged expired and its capacity
/// handed out.
#[test]
fn decision_instants_never_go_back_across_instances() {
    common::for_each_store(|store| {
        let dir = tempfile::tempdir().unwrap();
        let url = store.fresh_shared_url(dir.path());
        let ahead_at = ts(NOW).checked_add(TimeDelta::seconds(2)).unwrap();
        let y = Engine::builder().url(url.clone()).clock(ManualClock::new(ts(NOW))).open().unwrap();
        let x = Engine::builder().url(url).clock(ManualClock::new(ahead_at)).open().unwrap();
        y.create_tenant("acme", "Acme").unwrap();
        let (ty, tx) = (y.tenant("acme").unwrap(), x.tenant("acme").unwrap());
        resource_in(&ty, "solo", 1);
        let hold = |t: &Tenant, start: Timestamp| {
            t.create_booking(NewBooking {
                hold_ttl: Some(TimeDelta::seconds(1)),
                ..new_booking("solo", start, start.checked_add(TimeDelta::hours(1)).unwrap(), Status::Hold)
            })
        };

        // Y holds for one second of its time; X, two seconds ahead, finds
        // the hold over and books the slot; Y may no longer confirm it.
        let first = hold(&ty, h(9, 0)).unwrap();
        assert_eq!(first.created_at, ts(NOW));
        let taken = fx_book(&tx, h(9, 0), Status::Confirmed).unwrap();
        assert_eq!(taken.created_at, ahead_at);
        assert_eq!(fail(ty.confirm(&first.id, None)).code(), "HOLD_EXPIRED");

        // From now on Y decides at X's instant, not its own: its next hold
        // runs from there, and X (whose clock has not moved) must respect it.
        let second = hold(&ty, h(11, 0)).unwrap();
        assert_eq!(second.created_at, ahead_at, "decided at the tenant's latest instant, not Y's clock");
        assert_eq!(second.hold_expires_at, ahead_at.checked_add(TimeDelta::seconds(1)));
        assert_eq!(fail(fx_book(&tx, h(11, 0), Status::Confirmed)).code(), "CONFLICT");
        assert_eq!(ty.confirm(&second.id, None).unwrap().status, Status::Confirmed);
    });
}

fn fx_book(t: &Tenant, start: Timestamp, status: Status) -> Result<Booking, Error> {
    t.create_booking(new_booking("solo", start, start.checked_add(TimeDelta::hours(1)).unwrap(), status))
}
