#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Every limit of `limits.rs` and every malformed value, table-driven: each
//! row is (description, call, expected code, expected `details.field`).
//! Every failing row must also leave the tenant exactly as it was (events,
//! bookings, resources, projects) and create no tenant. Rows that expect
//! success sit next to the limit they probe, so a limit that is off by one
//! fails one of the two. Every row runs on every store of
//! `common::stores()`, each time on an empty database.

mod common;

use chrono::TimeDelta;
use holdfast::limits;
use holdfast::{
    AvailabilityRules, BookingFilter, DateOverride, Engine, Error, Event, HoldExpiry, Hours, LocalTime, ManualClock,
    Metadata, NewBooking, NewProject, NewResource, PageRequest, Policy, Reschedule, ResourcePatch, SlotQuery, Status,
    Tenant, Timestamp, Weekday, WeeklyHours,
};
use serde_json::json;

use common::TestStore;

const INVALID: &str = "INVALID_INPUT";
const LIMIT: &str = "LIMIT_EXCEEDED";

const NOW: &str = "2026-11-01T00:00:00Z";

fn ts(text: &str) -> Timestamp {
    Timestamp::parse(text).unwrap()
}

/// 2026-12-01 at `hour:00` UTC.
fn h(hour: i64) -> Timestamp {
    ts("2026-12-01T00:00:00Z").checked_add(TimeDelta::hours(hour)).unwrap()
}

fn plus(at: Timestamp, delta: TimeDelta) -> Timestamp {
    at.checked_add(delta).unwrap()
}

fn now() -> Timestamp {
    ts(NOW)
}

fn us(micros: i64) -> Timestamp {
    Timestamp::from_micros(micros)
}

fn days(n: i64) -> TimeDelta {
    TimeDelta::days(n)
}

fn one_us() -> TimeDelta {
    TimeDelta::microseconds(1)
}

/// The tenant every row runs against: resources "room" (capacity 2) and
/// "solo" (capacity 1), project "film", a hold "h1" on room at 9-10 and a
/// pencil "p1" of quantity 2 on room at 11-12.
struct Fx {
    engine: Engine,
    t: Tenant,
}

impl Fx {
    fn new(store: &TestStore) -> Fx {
        let engine = Engine::builder().url(store.fresh_url()).clock(ManualClock::new(now())).open().unwrap();
        engine.create_tenant("acme", "Acme").unwrap();
        let t = engine.tenant("acme").unwrap();
        for (id, capacity) in [("room", 2), ("solo", 1)] {
            t.create_resource(NewResource { id: Some(id.into()), name: id.into(), capacity, ..Default::default() })
                .unwrap();
        }
        t.create_project(NewProject { id: Some("film".into()), name: "Film".into(), ..Default::default() }).unwrap();
        t.create_booking(NewBooking {
            id: Some("h1".into()),
            hold_ttl: Some(TimeDelta::hours(1)),
            ..booking("room", h(9), h(10), Status::Hold)
        })
        .unwrap();
        t.create_booking(NewBooking {
            id: Some("p1".into()),
            quantity: 2,
            ..booking("room", h(11), h(12), Status::Pencil)
        })
        .unwrap();
        Fx { engine, t }
    }
}

fn booking(resource: &str, start: Timestamp, end: Timestamp, status: Status) -> NewBooking {
    NewBooking { resource_id: resource.into(), start, end, status, ..Default::default() }
}

/// A booking that fits: a pencil on "room" at 13-14.
fn nb() -> NewBooking {
    booking("room", h(13), h(14), Status::Pencil)
}

/// A hold on "room" at 13-14 with no expiry given.
fn hold() -> NewBooking {
    NewBooking { status: Status::Hold, ..nb() }
}

fn nr() -> NewResource {
    NewResource { id: Some("new-res".into()), name: "New".into(), ..Default::default() }
}

fn np() -> NewProject {
    NewProject { id: Some("new-project".into()), name: "New".into(), ..Default::default() }
}

fn create(fx: &Fx, new: NewBooking) -> Result<(), Error> {
    fx.t.create_booking(new).map(drop)
}

fn create_resource(fx: &Fx, new: NewResource) -> Result<(), Error> {
    fx.t.create_resource(new).map(drop)
}

fn update(fx: &Fx, patch: ResourcePatch) -> Result<(), Error> {
    fx.t.update_resource("room", patch, None).map(drop)
}

fn create_project(fx: &Fx, new: NewProject) -> Result<(), Error> {
    fx.t.create_project(new).map(drop)
}

fn list(fx: &Fx, filter: BookingFilter) -> Result<(), Error> {
    fx.t.list_bookings(&filter).map(drop)
}

fn window(start: Timestamp, end: Timestamp) -> BookingFilter {
    BookingFilter { start: Some(start), end: Some(end), ..Default::default() }
}

fn page(limit: Option<usize>, cursor: Option<&str>) -> PageRequest {
    PageRequest { limit, cursor: cursor.map(Into::into) }
}

fn reschedule(fx: &Fx, id: &str, start: Timestamp, end: Timestamp, resource: Option<&str>) -> Result<(), Error> {
    fx.t.reschedule(id, Reschedule { start, end, resource_id: resource.map(Into::into) }, None).map(drop)
}

fn extend(fx: &Fx, until: HoldExpiry) -> Result<(), Error> {
    fx.t.extend_hold("h1", until, None).map(drop)
}

/// A metadata object that serializes to exactly `bytes` bytes of JSON.
fn metadata_of(bytes: usize) -> Metadata {
    // {"k":"<n x's>"} is n + 8 bytes.
    let mut m = Metadata::new();
    m.insert("k".into(), json!("x".repeat(bytes - 8)));
    assert_eq!(serde_json::to_vec(&m).unwrap().len(), bytes);
    m
}

fn chars(n: usize) -> String {
    "x".repeat(n)
}

/// For rows that check a value rather than a write.
fn expect_eq<T: PartialEq + std::fmt::Debug>(got: T, want: T) -> Result<(), Error> {
    if got == want { Ok(()) } else { Err(Error::Internal { message: format!("got {got:?}, want {want:?}") }) }
}

// ---------------------------------------------------------------- the table runner

type Run = fn(&Fx) -> Result<(), Error>;

struct Case {
    what: &'static str,
    run: Run,
    /// `None`: must succeed. `Some((code, field))`: must fail with both.
    expect: Option<(&'static str, &'static str)>,
}

fn ok(what: &'static str, run: Run) -> Case {
    Case { what, run, expect: None }
}

fn bad(what: &'static str, code: &'static str, field: &'static str, run: Run) -> Case {
    Case { what, run, expect: Some((code, field)) }
}

#[derive(Debug, PartialEq)]
struct Snapshot {
    events: Vec<Event>,
    bookings: Vec<holdfast::Booking>,
    resources: Vec<holdfast::Resource>,
    projects: Vec<holdfast::Project>,
}

fn snapshot(t: &Tenant) -> Snapshot {
    let max = Some(limits::PAGE_SIZE_MAX);
    let filter = BookingFilter { limit: max, ..Default::default() };
    Snapshot {
        events: t.events(0, limits::PAGE_SIZE_MAX).unwrap(),
        bookings: t.list_bookings(&filter).unwrap().items,
        resources: t.list_resources(&page(max, None)).unwrap().items,
        projects: t.list_projects(&page(max, None)).unwrap().items,
    }
}

/// Runs every row on a fresh engine, on every store, and reports every
/// mismatch of a store at once.
fn check(cases: Vec<Case>) {
    common::for_each_store(|store| {
        let mut failures = Vec::new();
        for case in &cases {
            let mut fail = |message: String| failures.push(format!("{}: {message}", case.what));
            let fx = Fx::new(store);
            let before = snapshot(&fx.t);
            let result = (case.run)(&fx);
            match (case.expect, result) {
                (None, Ok(())) => {}
                (None, Err(e)) => fail(format!("expected success, got {}: {e}", e.code())),
                (Some((code, field)), Ok(())) => fail(format!("expected {code} on {field}, but it succeeded")),
                (Some((code, field)), Err(e)) => {
                    let details = e.details();
                    let got_field = details["field"].as_str().unwrap_or("<none>");
                    if e.code() != code || got_field != field {
                        fail(format!("expected {code} on {field:?}, got {} on {got_field:?} ({e})", e.code()));
                    }
                    if e.code() == LIMIT {
                        let (max, actual) = (details["max"].as_i64(), details["actual"].as_i64());
                        if !matches!((max, actual), (Some(max), Some(actual)) if actual > max) {
                            fail(format!("LIMIT_EXCEEDED details {details} do not show the excess"));
                        }
                    }
                    if snapshot(&fx.t) != before {
                        fail("the failed call wrote something".into());
                    }
                    if fx.engine.tenant("newco").is_ok() {
                        fail("the failed call created a tenant".into());
                    }
                }
            }
        }
        let total = cases.len();
        assert!(failures.is_empty(), "{} of {total} rows failed:\n  {}", failures.len(), failures.join("\n  "));
    });
}

// ---------------------------------------------------------------- bookings

#[test]
fn booking_fields() {
    check(vec![
        ok("a booking that fits", |fx| create(fx, nb())),
        // Length.
        ok("exactly 366 days", |fx| {
            create(
                fx,
                NewBooking { start: h(0), end: plus(h(0), days(366)), ..booking("solo", h(0), h(1), Status::Pencil) },
            )
        }),
        bad("366 days + 1 µs", LIMIT, "end", |fx| {
            create(fx, NewBooking { start: h(0), end: plus(h(0), days(366) + one_us()), ..nb() })
        }),
        bad("ten years", LIMIT, "end", |fx| {
            create(fx, NewBooking { start: h(0), end: plus(h(0), days(3650)), ..nb() })
        }),
        bad("start == end", INVALID, "end", |fx| create(fx, NewBooking { start: h(13), end: h(13), ..nb() })),
        bad("start after end", INVALID, "end", |fx| create(fx, NewBooking { start: h(14), end: h(13), ..nb() })),
        // Range: years 1 to 9999.
        ok("ending at the last instant accepted", |fx| {
            let end = us(limits::TIMESTAMP_MAX_US);
            create(fx, NewBooking { start: plus(end, TimeDelta::hours(-1)), end, ..nb() })
        }),
        ok("starting at the first instant accepted", |fx| {
            let start = us(limits::TIMESTAMP_MIN_US);
            create(fx, NewBooking { start, end: plus(start, TimeDelta::hours(1)), ..nb() })
        }),
        bad("start before year 1", INVALID, "start", |fx| {
            create(
                fx,
                NewBooking { start: us(limits::TIMESTAMP_MIN_US - 1), end: us(limits::TIMESTAMP_MIN_US + 1), ..nb() },
            )
        }),
        bad("end after year 9999", INVALID, "end", |fx| {
            create(
                fx,
                NewBooking { start: us(limits::TIMESTAMP_MAX_US - 1), end: us(limits::TIMESTAMP_MAX_US + 1), ..nb() },
            )
        }),
        bad("start i64::MIN", INVALID, "start", |fx| create(fx, NewBooking { start: us(i64::MIN), ..nb() })),
        bad("end i64::MAX", INVALID, "end", |fx| create(fx, NewBooking { end: us(i64::MAX), ..nb() })),
        // Title: 255 characters (not bytes), no control characters.
        ok("title of 255 chars", |fx| create(fx, NewBooking { title: Some(chars(255)), ..nb() })),
        ok("title of 255 multi-byte chars", |fx| create(fx, NewBooking { title: Some("🎬".repeat(255)), ..nb() })),
        ok("title with line breaks and tabs", |fx| {
            create(fx, NewBooking { title: Some("a\nb\r\nc\td".into()), ..nb() })
        }),
        ok("empty title", |fx| create(fx, NewBooking { title: Some(String::new()), ..nb() })),
        bad("title of 256 chars", LIMIT, "title", |fx| create(fx, NewBooking { title: Some(chars(256)), ..nb() })),
        bad("title with NUL", INVALID, "title", |fx| create(fx, NewBooking { title: Some("a\u{0}b".into()), ..nb() })),
        bad("title with ESC", INVALID, "title", |fx| {
            create(fx, NewBooking { title: Some("\u{1b}[31m".into()), ..nb() })
        }),
        bad("title with DEL", INVALID, "title", |fx| create(fx, NewBooking { title: Some("a\u{7f}".into()), ..nb() })),
        // Notes: 10,000 characters.
        ok("notes of 10,000 chars", |fx| create(fx, NewBooking { notes: Some(chars(10_000)), ..nb() })),
        bad("notes of 10,001 chars", LIMIT, "notes", |fx| {
            create(fx, NewBooking { notes: Some(chars(10_001)), ..nb() })
        }),
        bad("notes with a bell", INVALID, "notes", |fx| create(fx, NewBooking { notes: Some("\u{7}".into()), ..nb() })),
        // Metadata: 16 KiB of compact JSON.
        ok("metadata of 16 KiB", |fx| create(fx, NewBooking { metadata: metadata_of(16 * 1024), ..nb() })),
        bad("metadata of 16 KiB + 1", LIMIT, "metadata", |fx| {
            create(fx, NewBooking { metadata: metadata_of(16 * 1024 + 1), ..nb() })
        }),
        // Quantity: 1 to 10,000 and at most the resource's capacity.
        ok("quantity = capacity", |fx| create(fx, NewBooking { quantity: 2, start: h(20), end: h(21), ..nb() })),
        bad("quantity 0", INVALID, "quantity", |fx| create(fx, NewBooking { quantity: 0, ..nb() })),
        bad("quantity 10,001", LIMIT, "quantity", |fx| create(fx, NewBooking { quantity: 10_001, ..nb() })),
        bad("quantity u32::MAX", LIMIT, "quantity", |fx| create(fx, NewBooking { quantity: u32::MAX, ..nb() })),
        bad("quantity above the capacity", INVALID, "quantity", |fx| create(fx, NewBooking { quantity: 3, ..nb() })),
        bad("quantity 2 on an exclusive resource", INVALID, "quantity", |fx| {
            create(fx, NewBooking { quantity: 2, ..booking("solo", h(13), h(14), Status::Confirmed) })
        }),
        // Ids: [A-Za-z0-9_.:-]{1,128}.
        ok("client id of 128 allowed chars", |fx| {
            create(fx, NewBooking { id: Some(format!("Az09_.:-{}", chars(120))), ..nb() })
        }),
        bad("empty id", INVALID, "id", |fx| create(fx, NewBooking { id: Some(String::new()), ..nb() })),
        bad("id of 129 chars", LIMIT, "id", |fx| create(fx, NewBooking { id: Some(chars(129)), ..nb() })),
        bad("id with a space", INVALID, "id", |fx| create(fx, NewBooking { id: Some("a b".into()), ..nb() })),
        bad("id with a slash", INVALID, "id", |fx| create(fx, NewBooking { id: Some("a/b".into()), ..nb() })),
        bad("id with a non-ASCII letter", INVALID, "id", |fx| create(fx, NewBooking { id: Some("é".into()), ..nb() })),
        bad("id with NUL", INVALID, "id", |fx| create(fx, NewBooking { id: Some("a\u{0}".into()), ..nb() })),
        bad("id with a question mark", INVALID, "id", |fx| create(fx, NewBooking { id: Some("a?b".into()), ..nb() })),
        bad("empty resource_id", INVALID, "resource_id", |fx| {
            create(fx, NewBooking { resource_id: String::new(), ..nb() })
        }),
        bad("resource_id with a space", INVALID, "resource_id", |fx| {
            create(fx, NewBooking { resource_id: "ro om".into(), ..nb() })
        }),
        bad("resource_id of 129 chars", LIMIT, "resource_id", |fx| {
            create(fx, NewBooking { resource_id: chars(129), ..nb() })
        }),
        bad("empty project_id", INVALID, "project_id", |fx| {
            create(fx, NewBooking { project_id: Some(String::new()), ..nb() })
        }),
        bad("project_id with a space", INVALID, "project_id", |fx| {
            create(fx, NewBooking { project_id: Some("fi lm".into()), ..nb() })
        }),
        // Status: created as hold, pencil or confirmed only.
        bad("created cancelled", INVALID, "status", |fx| create(fx, NewBooking { status: Status::Cancelled, ..nb() })),
        bad("created declined", INVALID, "status", |fx| create(fx, NewBooking { status: Status::Declined, ..nb() })),
        bad("created expired", INVALID, "status", |fx| create(fx, NewBooking { status: Status::Expired, ..nb() })),
        // Idempotency keys: 1 to 255 characters of text.
        ok("idempotency key of 255 chars", |fx| create(fx, NewBooking { idempotency_key: Some(chars(255)), ..nb() })),
        bad("empty idempotency key", INVALID, "idempotency_key", |fx| {
            create(fx, NewBooking { idempotency_key: Some(String::new()), ..nb() })
        }),
        bad("blank idempotency key", INVALID, "idempotency_key", |fx| {
            create(fx, NewBooking { idempotency_key: Some("   ".into()), ..nb() })
        }),
        bad("idempotency key of 256 chars", LIMIT, "idempotency_key", |fx| {
            create(fx, NewBooking { idempotency_key: Some(chars(256)), ..nb() })
        }),
        bad("idempotency key with NUL", INVALID, "idempotency_key", |fx| {
            create(fx, NewBooking { idempotency_key: Some("k\u{0}".into()), ..nb() })
        }),
    ]);
}

#[test]
fn hold_expiry() {
    check(vec![
        ok("TTL of 1 µs", |fx| create(fx, NewBooking { hold_ttl: Some(one_us()), ..hold() })),
        ok("TTL of 366 days", |fx| create(fx, NewBooking { hold_ttl: Some(days(366)), ..hold() })),
        ok("expiry 1 µs from now", |fx| {
            create(fx, NewBooking { hold_expires_at: Some(plus(now(), one_us())), ..hold() })
        }),
        ok("expiry 366 days from now", |fx| {
            create(fx, NewBooking { hold_expires_at: Some(plus(now(), days(366))), ..hold() })
        }),
        bad("zero TTL", INVALID, "hold_ttl", |fx| {
            create(fx, NewBooking { hold_ttl: Some(TimeDelta::zero()), ..hold() })
        }),
        bad("negative TTL", INVALID, "hold_ttl", |fx| {
            create(fx, NewBooking { hold_ttl: Some(TimeDelta::minutes(-5)), ..hold() })
        }),
        bad("TTL of 366 days + 1 µs", LIMIT, "hold_ttl", |fx| {
            create(fx, NewBooking { hold_ttl: Some(days(366) + one_us()), ..hold() })
        }),
        bad("TTL beyond microsecond range", INVALID, "hold_ttl", |fx| {
            create(fx, NewBooking { hold_ttl: Some(TimeDelta::MAX), ..hold() })
        }),
        bad("TTL on a pencil", INVALID, "hold_ttl", |fx| {
            create(fx, NewBooking { hold_ttl: Some(TimeDelta::hours(1)), ..nb() })
        }),
        bad("TTL on a confirmed booking", INVALID, "hold_ttl", |fx| {
            create(fx, NewBooking { status: Status::Confirmed, hold_ttl: Some(TimeDelta::hours(1)), ..nb() })
        }),
        bad("expiry on a pencil", INVALID, "hold_expires_at", |fx| {
            create(fx, NewBooking { hold_expires_at: Some(plus(now(), days(1))), ..nb() })
        }),
        bad("TTL and expiry both", INVALID, "hold_ttl", |fx| {
            create(
                fx,
                NewBooking {
                    hold_ttl: Some(TimeDelta::hours(1)),
                    hold_expires_at: Some(plus(now(), days(1))),
                    ..hold()
                },
            )
        }),
        bad("expiry in the past", INVALID, "hold_expires_at", |fx| {
            create(fx, NewBooking { hold_expires_at: Some(plus(now(), TimeDelta::hours(-1))), ..hold() })
        }),
        bad("expiry now", INVALID, "hold_expires_at", |fx| {
            create(fx, NewBooking { hold_expires_at: Some(now()), ..hold() })
        }),
        bad("expiry 366 days + 1 µs from now", LIMIT, "hold_expires_at", |fx| {
            create(fx, NewBooking { hold_expires_at: Some(plus(now(), days(366) + one_us())), ..hold() })
        }),
        bad("expiry after year 9999", INVALID, "hold_expires_at", |fx| {
            create(fx, NewBooking { hold_expires_at: Some(us(limits::TIMESTAMP_MAX_US + 1)), ..hold() })
        }),
        // The same rules when extending a running hold.
        ok("extend by 366 days", |fx| extend(fx, HoldExpiry::Ttl(days(366)))),
        ok("extend to 1 µs from now", |fx| extend(fx, HoldExpiry::At(plus(now(), one_us())))),
        bad("extend by zero", INVALID, "hold_ttl", |fx| extend(fx, HoldExpiry::Ttl(TimeDelta::zero()))),
        bad("extend by a negative TTL", INVALID, "hold_ttl", |fx| extend(fx, HoldExpiry::Ttl(TimeDelta::seconds(-1)))),
        bad("extend by 366 days + 1 µs", LIMIT, "hold_ttl", |fx| extend(fx, HoldExpiry::Ttl(days(366) + one_us()))),
        bad("extend to the past", INVALID, "hold_expires_at", |fx| {
            extend(fx, HoldExpiry::At(plus(now(), TimeDelta::seconds(-1))))
        }),
        bad("extend to 366 days + 1 µs from now", LIMIT, "hold_expires_at", |fx| {
            extend(fx, HoldExpiry::At(plus(now(), days(366) + one_us())))
        }),
    ]);
}

#[test]
fn batches() {
    check(vec![
        ok("a batch of 10,000", |fx| {
            let items = (0..limits::BATCH_SIZE_MAX)
                .map(|i| {
                    let start = h(100 + i64::try_from(i).unwrap());
                    booking("solo", start, plus(start, TimeDelta::minutes(30)), Status::Confirmed)
                })
                .collect();
            let created = fx.t.create_bookings(items)?;
            expect_eq(created.len(), limits::BATCH_SIZE_MAX)
        }),
        bad("a batch of 10,001", LIMIT, "items", |fx| {
            fx.t.create_bookings(vec![nb(); limits::BATCH_SIZE_MAX + 1]).map(drop)
        }),
        bad("a malformed item", INVALID, "items[2].end", |fx| {
            let start_after_end = NewBooking { start: h(16), end: h(15), ..nb() };
            fx.t.create_bookings(vec![nb(), NewBooking { start: h(14), end: h(15), ..nb() }, start_after_end]).map(drop)
        }),
        bad("an item over a limit", LIMIT, "items[1].notes", |fx| {
            fx.t.create_bookings(vec![
                nb(),
                NewBooking { notes: Some(chars(10_001)), start: h(15), end: h(16), ..nb() },
            ])
            .map(drop)
        }),
        bad("an item above its resource's capacity", INVALID, "items[0].quantity", |fx| {
            fx.t.create_bookings(vec![NewBooking { quantity: 3, ..nb() }]).map(drop)
        }),
        bad("an item created cancelled", INVALID, "items[1].status", |fx| {
            fx.t.create_bookings(vec![nb(), NewBooking { status: Status::Cancelled, ..nb() }]).map(drop)
        }),
    ]);
}

// ---------------------------------------------------------------- resources, projects, tenants

#[test]
fn resources() {
    check(vec![
        ok("defaults", |fx| create_resource(fx, nr())),
        ok("capacity 10,000", |fx| create_resource(fx, NewResource { capacity: 10_000, ..nr() })),
        bad("capacity 0", INVALID, "capacity", |fx| create_resource(fx, NewResource { capacity: 0, ..nr() })),
        bad("capacity 10,001", LIMIT, "capacity", |fx| create_resource(fx, NewResource { capacity: 10_001, ..nr() })),
        ok("time zone America/New_York", |fx| {
            create_resource(fx, NewResource { timezone: "America/New_York".into(), ..nr() })
        }),
        bad("unknown time zone", INVALID, "timezone", |fx| {
            create_resource(fx, NewResource { timezone: "Mars/Olympus_Mons".into(), ..nr() })
        }),
        bad("empty time zone", INVALID, "timezone", |fx| {
            create_resource(fx, NewResource { timezone: String::new(), ..nr() })
        }),
        bad("offset instead of a zone", INVALID, "timezone", |fx| {
            create_resource(fx, NewResource { timezone: "+01:00".into(), ..nr() })
        }),
        bad("time zone with a trailing space", INVALID, "timezone", |fx| {
            create_resource(fx, NewResource { timezone: "Europe/Berlin ".into(), ..nr() })
        }),
        ok("buffers of 7 days", |fx| {
            create_resource(fx, NewResource { buffer_before: days(7), buffer_after: days(7), ..nr() })
        }),
        bad("negative buffer_before", INVALID, "buffer_before", |fx| {
            create_resource(fx, NewResource { buffer_before: -one_us(), ..nr() })
        }),
        bad("negative buffer_after", INVALID, "buffer_after", |fx| {
            create_resource(fx, NewResource { buffer_after: TimeDelta::minutes(-30), ..nr() })
        }),
        bad("buffer_after of 7 days + 1 µs", LIMIT, "buffer_after", |fx| {
            create_resource(fx, NewResource { buffer_after: days(7) + one_us(), ..nr() })
        }),
        bad("buffer_before of 8 days", LIMIT, "buffer_before", |fx| {
            create_resource(fx, NewResource { buffer_before: days(8), ..nr() })
        }),
        bad("buffer beyond microsecond range", INVALID, "buffer_before", |fx| {
            create_resource(fx, NewResource { buffer_before: TimeDelta::MAX, ..nr() })
        }),
        ok("name of 255 chars", |fx| create_resource(fx, NewResource { name: chars(255), ..nr() })),
        bad("empty name", INVALID, "name", |fx| create_resource(fx, NewResource { name: String::new(), ..nr() })),
        bad("blank name", INVALID, "name", |fx| create_resource(fx, NewResource { name: " \t ".into(), ..nr() })),
        bad("name of 256 chars", LIMIT, "name", |fx| create_resource(fx, NewResource { name: chars(256), ..nr() })),
        bad("name with NUL", INVALID, "name", |fx| {
            create_resource(fx, NewResource { name: "Ada\u{0}".into(), ..nr() })
        }),
        bad("name with ESC", INVALID, "name", |fx| {
            create_resource(fx, NewResource { name: "\u{1b}Ada".into(), ..nr() })
        }),
        bad("name with a C1 control", INVALID, "name", |fx| {
            create_resource(fx, NewResource { name: "Ada\u{85}".into(), ..nr() })
        }),
        bad("empty kind", INVALID, "kind", |fx| create_resource(fx, NewResource { kind: String::new(), ..nr() })),
        bad("kind of 65 chars", LIMIT, "kind", |fx| create_resource(fx, NewResource { kind: chars(65), ..nr() })),
        ok("64 tags of 64 chars", |fx| {
            let tags = (0..64).map(|i| format!("{i:064}")).collect();
            create_resource(fx, NewResource { tags, ..nr() })
        }),
        bad("65 tags", LIMIT, "tags", |fx| {
            create_resource(fx, NewResource { tags: (0..65).map(|i| i.to_string()).collect(), ..nr() })
        }),
        bad("an empty tag", INVALID, "tags[0]", |fx| {
            create_resource(fx, NewResource { tags: vec![String::new()], ..nr() })
        }),
        bad("a tag of 65 chars", LIMIT, "tags[1]", |fx| {
            create_resource(fx, NewResource { tags: vec!["ok".into(), chars(65)], ..nr() })
        }),
        bad("a tag with a control char", INVALID, "tags[0]", |fx| {
            create_resource(fx, NewResource { tags: vec!["a\u{7}".into()], ..nr() })
        }),
        bad("metadata of 16 KiB + 1", LIMIT, "metadata", |fx| {
            create_resource(fx, NewResource { metadata: metadata_of(16 * 1024 + 1), ..nr() })
        }),
        bad("empty id", INVALID, "id", |fx| create_resource(fx, NewResource { id: Some(String::new()), ..nr() })),
        bad("id with a space", INVALID, "id", |fx| {
            create_resource(fx, NewResource { id: Some("new res".into()), ..nr() })
        }),
        bad("id of 129 chars", LIMIT, "id", |fx| create_resource(fx, NewResource { id: Some(chars(129)), ..nr() })),
        // The same rules through update_resource.
        ok("update to capacity 10,000", |fx| {
            update(fx, ResourcePatch { capacity: Some(10_000), ..Default::default() })
        }),
        bad("update to capacity 0", INVALID, "capacity", |fx| {
            update(fx, ResourcePatch { capacity: Some(0), ..Default::default() })
        }),
        bad("update to capacity 10,001", LIMIT, "capacity", |fx| {
            update(fx, ResourcePatch { capacity: Some(10_001), ..Default::default() })
        }),
        bad("update to an unknown time zone", INVALID, "timezone", |fx| {
            update(fx, ResourcePatch { timezone: Some("Europe/Atlantis".into()), ..Default::default() })
        }),
        bad("update to a negative buffer", INVALID, "buffer_before", |fx| {
            update(fx, ResourcePatch { buffer_before: Some(TimeDelta::seconds(-1)), ..Default::default() })
        }),
        bad("update to a buffer of 8 days", LIMIT, "buffer_after", |fx| {
            update(fx, ResourcePatch { buffer_after: Some(days(8)), ..Default::default() })
        }),
        bad("update to an empty name", INVALID, "name", |fx| {
            update(fx, ResourcePatch { name: Some(String::new()), ..Default::default() })
        }),
        bad("update to a name with a control char", INVALID, "name", |fx| {
            update(fx, ResourcePatch { name: Some("Room\u{8}".into()), ..Default::default() })
        }),
        bad("update to 65 tags", LIMIT, "tags", |fx| {
            update(fx, ResourcePatch { tags: Some((0..65).map(|i| i.to_string()).collect()), ..Default::default() })
        }),
        bad("update to oversized metadata", LIMIT, "metadata", |fx| {
            update(fx, ResourcePatch { metadata: Some(metadata_of(16 * 1024 + 1)), ..Default::default() })
        }),
        bad("update a malformed id", INVALID, "id", |fx| {
            fx.t.update_resource("ro om", ResourcePatch::default(), None).map(drop)
        }),
        // A bad patch is refused as such before its version is judged.
        bad("update to an empty name with a stale version", INVALID, "name", |fx| {
            fx.t.update_resource("room", ResourcePatch { name: Some(String::new()), ..Default::default() }, Some(99))
                .map(drop)
        }),
        bad("update an unknown resource to capacity 0", INVALID, "capacity", |fx| {
            fx.t.update_resource("no-such-room", ResourcePatch { capacity: Some(0), ..Default::default() }, None)
                .map(drop)
        }),
    ]);
}

#[test]
fn projects_tenants_and_actors() {
    check(vec![
        ok("project", |fx| create_project(fx, np())),
        bad("project with an empty name", INVALID, "name", |fx| {
            create_project(fx, NewProject { name: String::new(), ..np() })
        }),
        bad("project name of 256 chars", LIMIT, "name", |fx| {
            create_project(fx, NewProject { name: chars(256), ..np() })
        }),
        bad("project name with NUL", INVALID, "name", |fx| {
            create_project(fx, NewProject { name: "Film\u{0}".into(), ..np() })
        }),
        bad("project id with a slash", INVALID, "id", |fx| {
            create_project(fx, NewProject { id: Some("a/b".into()), ..np() })
        }),
        bad("project id of 129 chars", LIMIT, "id", |fx| {
            create_project(fx, NewProject { id: Some(chars(129)), ..np() })
        }),
        bad("project metadata of 16 KiB + 1", LIMIT, "metadata", |fx| {
            create_project(fx, NewProject { metadata: metadata_of(16 * 1024 + 1), ..np() })
        }),
        // Tenants: ids [A-Za-z0-9_-]{1,64}, names like other names.
        ok("tenant", |fx| fx.engine.create_tenant("newco", "New Co").map(drop)),
        ok("tenant id of 64 chars", |fx| fx.engine.create_tenant(&"N".repeat(64), "New Co").map(drop)),
        bad("empty tenant id", INVALID, "tenant_id", |fx| fx.engine.create_tenant("", "New Co").map(drop)),
        bad("tenant id of 65 chars", LIMIT, "tenant_id", |fx| fx.engine.create_tenant(&chars(65), "New Co").map(drop)),
        bad("tenant id with a dot", INVALID, "tenant_id", |fx| fx.engine.create_tenant("new.co", "New Co").map(drop)),
        bad("tenant id with a colon", INVALID, "tenant_id", |fx| fx.engine.create_tenant("new:co", "New Co").map(drop)),
        bad("tenant id with a space", INVALID, "tenant_id", |fx| fx.engine.create_tenant("new co", "New Co").map(drop)),
        bad("tenant id with a non-ASCII letter", INVALID, "tenant_id", |fx| {
            fx.engine.create_tenant("newcö", "New Co").map(drop)
        }),
        bad("tenant with an empty name", INVALID, "name", |fx| fx.engine.create_tenant("newco", "").map(drop)),
        bad("tenant name of 256 chars", LIMIT, "name", |fx| fx.engine.create_tenant("newco", &chars(256)).map(drop)),
        bad("tenant name with a control char", INVALID, "name", |fx| {
            fx.engine.create_tenant("newco", "New\u{1f}Co").map(drop)
        }),
        bad("handle for an empty tenant id", INVALID, "tenant_id", |fx| fx.engine.tenant("").map(drop)),
        bad("handle for a tenant id with a slash", INVALID, "tenant_id", |fx| fx.engine.tenant("acme/x").map(drop)),
        bad("handle for a tenant id of 65 chars", LIMIT, "tenant_id", |fx| fx.engine.tenant(&chars(65)).map(drop)),
        // Actors recorded on events.
        ok("actor of 128 chars", |fx| fx.t.as_actor(&chars(128))?.confirm("p1", None).map(drop)),
        bad("empty actor", INVALID, "actor", |fx| fx.t.as_actor("").map(drop)),
        bad("actor of 129 chars", LIMIT, "actor", |fx| fx.t.as_actor(&chars(129)).map(drop)),
        bad("actor with NUL", INVALID, "actor", |fx| fx.t.as_actor("bob\u{0}").map(drop)),
    ]);
}

// ---------------------------------------------------------------- lists and cursors

#[test]
fn lists_and_cursors() {
    check(vec![
        ok("page of 1,000 bookings", |fx| list(fx, BookingFilter { limit: Some(1000), ..Default::default() })),
        bad("page of 0 bookings", INVALID, "limit", |fx| {
            list(fx, BookingFilter { limit: Some(0), ..Default::default() })
        }),
        bad("page of 1,001 bookings", LIMIT, "limit", |fx| {
            list(fx, BookingFilter { limit: Some(1001), ..Default::default() })
        }),
        ok("window of 400 days", |fx| list(fx, window(h(0), plus(h(0), days(400))))),
        bad("window of 400 days + 1 µs", LIMIT, "end", |fx| list(fx, window(h(0), plus(h(0), days(400) + one_us())))),
        bad("window without end", INVALID, "start", |fx| {
            list(fx, BookingFilter { start: Some(h(0)), ..Default::default() })
        }),
        bad("window without start", INVALID, "start", |fx| {
            list(fx, BookingFilter { end: Some(h(0)), ..Default::default() })
        }),
        bad("empty window", INVALID, "end", |fx| list(fx, window(h(3), h(3)))),
        bad("reversed window", INVALID, "end", |fx| list(fx, window(h(4), h(3)))),
        bad("window starting before year 1", INVALID, "start", |fx| {
            list(fx, window(us(limits::TIMESTAMP_MIN_US - 1), us(limits::TIMESTAMP_MIN_US + 1)))
        }),
        bad("window ending after year 9999", INVALID, "end", |fx| {
            list(fx, window(us(limits::TIMESTAMP_MAX_US - 1), us(i64::MAX)))
        }),
        ok("well-formed cursor", |fx| list(fx, BookingFilter { cursor: Some("0_a".into()), ..Default::default() })),
        bad("empty cursor", INVALID, "cursor", |fx| {
            list(fx, BookingFilter { cursor: Some(String::new()), ..Default::default() })
        }),
        bad("garbage cursor", INVALID, "cursor", |fx| {
            list(fx, BookingFilter { cursor: Some("garbage".into()), ..Default::default() })
        }),
        bad("cursor without id", INVALID, "cursor", |fx| {
            list(fx, BookingFilter { cursor: Some("12_".into()), ..Default::default() })
        }),
        bad("cursor without a number", INVALID, "cursor", |fx| {
            list(fx, BookingFilter { cursor: Some("x_p1".into()), ..Default::default() })
        }),
        bad("cursor with a bad id", INVALID, "cursor", |fx| {
            list(fx, BookingFilter { cursor: Some("1_a b".into()), ..Default::default() })
        }),
        bad("cursor with an overflowing number", INVALID, "cursor", |fx| {
            list(fx, BookingFilter { cursor: Some("99999999999999999999_a".into()), ..Default::default() })
        }),
        ok("1,000 resource ids", |fx| {
            list(fx, BookingFilter { resource_ids: (0..1000).map(|i| format!("r{i}")).collect(), ..Default::default() })
        }),
        bad("1,001 resource ids", LIMIT, "resource_ids", |fx| {
            list(fx, BookingFilter { resource_ids: (0..1001).map(|i| format!("r{i}")).collect(), ..Default::default() })
        }),
        bad("a malformed resource id", INVALID, "resource_ids[1]", |fx| {
            list(fx, BookingFilter { resource_ids: vec!["room".into(), "ro om".into()], ..Default::default() })
        }),
        bad("an empty resource id", INVALID, "resource_ids[0]", |fx| {
            list(fx, BookingFilter { resource_ids: vec![String::new()], ..Default::default() })
        }),
        bad("a malformed project id", INVALID, "project_id", |fx| {
            list(fx, BookingFilter { project_id: Some("fi/lm".into()), ..Default::default() })
        }),
        // Resources and projects.
        ok("page of 1,000 resources", |fx| fx.t.list_resources(&page(Some(1000), None)).map(drop)),
        bad("page of 0 resources", INVALID, "limit", |fx| fx.t.list_resources(&page(Some(0), None)).map(drop)),
        bad("page of 1,001 resources", LIMIT, "limit", |fx| fx.t.list_resources(&page(Some(1001), None)).map(drop)),
        bad("empty resource cursor", INVALID, "cursor", |fx| fx.t.list_resources(&page(None, Some(""))).map(drop)),
        bad("resource cursor with a space", INVALID, "cursor", |fx| {
            fx.t.list_resources(&page(None, Some("a b"))).map(drop)
        }),
        bad("page of 0 projects", INVALID, "limit", |fx| fx.t.list_projects(&page(Some(0), None)).map(drop)),
        bad("page of 1,001 projects", LIMIT, "limit", |fx| fx.t.list_projects(&page(Some(1001), None)).map(drop)),
        bad("project cursor with a slash", INVALID, "cursor", |fx| {
            fx.t.list_projects(&page(None, Some("a/b"))).map(drop)
        }),
        // Events.
        ok("1,000 events", |fx| fx.t.events(0, 1000).map(drop)),
        bad("events since -1", INVALID, "since", |fx| fx.t.events(-1, 10).map(drop)),
        bad("0 events", INVALID, "limit", |fx| fx.t.events(0, 0).map(drop)),
        bad("1,001 events", LIMIT, "limit", |fx| fx.t.events(0, 1001).map(drop)),
    ]);
}

// ---------------------------------------------------------------- actions and ids

#[test]
fn actions_and_ids() {
    check(vec![
        ok("reschedule within limits", |fx| reschedule(fx, "p1", h(15), h(16), None)),
        bad("get_booking with an empty id", INVALID, "id", |fx| fx.t.get_booking("").map(drop)),
        bad("get_booking with a space", INVALID, "id", |fx| fx.t.get_booking("h 1").map(drop)),
        bad("get_resource with a slash", INVALID, "id", |fx| fx.t.get_resource("ro/om").map(drop)),
        bad("get_project with 129 chars", LIMIT, "id", |fx| fx.t.get_project(&chars(129)).map(drop)),
        bad("history with a space", INVALID, "booking_id", |fx| fx.t.history("h 1").map(drop)),
        bad("pencil with an empty id", INVALID, "id", |fx| fx.t.pencil("", None).map(drop)),
        bad("confirm with a space", INVALID, "id", |fx| fx.t.confirm("p 1", None).map(drop)),
        bad("cancel with 129 chars", LIMIT, "id", |fx| fx.t.cancel(&chars(129), None).map(drop)),
        bad("decline with a non-ASCII id", INVALID, "id", |fx| fx.t.decline("ü", None).map(drop)),
        bad("extend_hold with an empty id", INVALID, "id", |fx| {
            fx.t.extend_hold("", HoldExpiry::Default, None).map(drop)
        }),
        bad("reschedule with a space", INVALID, "id", |fx| reschedule(fx, "p 1", h(15), h(16), None)),
        bad("reschedule to an empty interval", INVALID, "end", |fx| reschedule(fx, "p1", h(15), h(15), None)),
        bad("reschedule to a reversed interval", INVALID, "end", |fx| reschedule(fx, "p1", h(16), h(15), None)),
        bad("reschedule to 366 days + 1 µs", LIMIT, "end", |fx| {
            reschedule(fx, "p1", h(0), plus(h(0), days(366) + one_us()), None)
        }),
        bad("reschedule before year 1", INVALID, "start", |fx| {
            reschedule(fx, "p1", us(limits::TIMESTAMP_MIN_US - 1), us(limits::TIMESTAMP_MIN_US + 1), None)
        }),
        bad("reschedule to a malformed resource id", INVALID, "resource_id", |fx| {
            reschedule(fx, "p1", h(15), h(16), Some("so lo"))
        }),
        bad("reschedule to an empty resource id", INVALID, "resource_id", |fx| {
            reschedule(fx, "p1", h(15), h(16), Some(""))
        }),
        bad("reschedule onto a smaller resource", INVALID, "quantity", |fx| {
            reschedule(fx, "p1", h(15), h(16), Some("solo"))
        }),
    ]);
}

// ---------------------------------------------------------------- timestamps

#[test]
fn timestamps_need_an_offset_and_microseconds() {
    check(vec![
        ok("UTC", |_| expect_eq(Timestamp::parse("2026-12-01T09:00:00Z")?, h(9))),
        ok("offset", |_| expect_eq(Timestamp::parse("2026-12-01T10:00:00+01:00")?, h(9))),
        ok("negative offset", |_| expect_eq(Timestamp::parse("2026-12-01T04:00:00-05:00")?, h(9))),
        ok("microseconds", |_| {
            expect_eq(Timestamp::parse("2026-12-01T09:00:00.000001Z")?.as_micros(), h(9).as_micros() + 1)
        }),
        ok("lowercase separators", |_| expect_eq(Timestamp::parse("2026-12-01t09:00:00z")?, h(9))),
        bad("naive datetime", INVALID, "timestamp", |_| Timestamp::parse("2026-12-01T09:00:00").map(drop)),
        bad("naive datetime with a space", INVALID, "timestamp", |_| Timestamp::parse("2026-12-01 09:00:00").map(drop)),
        bad("naive with fractions", INVALID, "timestamp", |_| Timestamp::parse("2026-12-01T09:00:00.5").map(drop)),
        bad("date only", INVALID, "timestamp", |_| Timestamp::parse("2026-12-01").map(drop)),
        bad("time only", INVALID, "timestamp", |_| Timestamp::parse("09:00:00Z").map(drop)),
        bad("empty", INVALID, "timestamp", |_| Timestamp::parse("").map(drop)),
        bad("words", INVALID, "timestamp", |_| Timestamp::parse("tomorrow at nine").map(drop)),
        bad("month 13", INVALID, "timestamp", |_| Timestamp::parse("2026-13-01T09:00:00Z").map(drop)),
        bad("February 30", INVALID, "timestamp", |_| Timestamp::parse("2026-02-30T09:00:00Z").map(drop)),
        bad("finer than a microsecond", INVALID, "timestamp", |_| {
            Timestamp::parse("2026-12-01T09:00:00.0000001Z").map(drop)
        }),
        bad("offset out of range", INVALID, "timestamp", |_| Timestamp::parse("2026-12-01T09:00:00+25:00").map(drop)),
    ]);
}

#[test]
fn engine_settings() {
    type Open = fn() -> Result<(), Error>;
    type Expect = Option<(&'static str, &'static str)>;
    let cases: Vec<(&str, Open, Expect)> = vec![
        ("default hold TTL of 366 days", || open_with_ttl(days(366)), None),
        ("zero default hold TTL", || open_with_ttl(TimeDelta::zero()), Some((INVALID, "default_hold_ttl"))),
        ("negative default hold TTL", || open_with_ttl(TimeDelta::minutes(-1)), Some((INVALID, "default_hold_ttl"))),
        ("default hold TTL over its limit", || open_with_ttl(days(366) + one_us()), Some((LIMIT, "default_hold_ttl"))),
        ("unknown store", || Engine::open("mysql://db/x").map(drop), Some((INVALID, "url"))),
        ("SQLite URL without a path", || Engine::open("sqlite:").map(drop), Some((INVALID, "url"))),
        ("empty URL", || Engine::open("").map(drop), Some((INVALID, "url"))),
        // With or without the `postgres` feature, nothing is dialled.
        (
            "PostgreSQL URL with port 99999999",
            || Engine::open("postgres://u@127.0.0.1:99999999/db").map(drop),
            Some((INVALID, "url")),
        ),
        #[cfg(not(feature = "postgres"))]
        (
            "PostgreSQL URL in a build without the `postgres` feature",
            || Engine::open("postgres://u@127.0.0.1:1/db").map(drop),
            Some((INVALID, "url")),
        ),
    ];
    let mut failures = Vec::new();
    for (what, open, expect) in cases {
        match (open(), expect) {
            (Ok(()), None) => {}
            (Err(e), Some((code, field))) if e.code() == code && e.details()["field"] == field => {}
            (got, expect) => failures.push(format!("{what}: expected {expect:?}, got {got:?}")),
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

fn open_with_ttl(ttl: TimeDelta) -> Result<(), Error> {
    Engine::builder().url("sqlite::memory:").default_hold_ttl(ttl).open().map(drop)
}

// ---------------------------------------------------------------- availability

fn hm(text: &str) -> LocalTime {
    text.parse().unwrap()
}

fn shift(start: &str, end: &str) -> WeeklyHours {
    WeeklyHours { weekday: Weekday::Monday, start: hm(start), end: hm(end) }
}

fn set_rules(fx: &Fx, rules: AvailabilityRules) -> Result<(), Error> {
    fx.t.set_availability("room", rules, None).map(drop)
}

fn weekly(shifts: Vec<WeeklyHours>) -> AvailabilityRules {
    AvailabilityRules { policy: Policy::Strict, weekly: shifts, overrides: Vec::new() }
}

fn closed_days(n: usize) -> AvailabilityRules {
    let first = chrono::NaiveDate::from_ymd_opt(2026, 1, 1).unwrap();
    let overrides =
        (0..n).map(|i| DateOverride { date: first + chrono::Days::new(i as u64), hours: Vec::new() }).collect();
    AvailabilityRules { overrides, ..weekly(Vec::new()) }
}

fn slots(fx: &Fx, query: SlotQuery) -> Result<(), Error> {
    fx.t.find_slots(&query).map(drop)
}

fn sq() -> SlotQuery {
    SlotQuery {
        resource_ids: vec!["room".into()],
        start: h(0),
        end: h(24),
        duration: Some(TimeDelta::hours(1)),
        ..Default::default()
    }
}

#[test]
fn availability() {
    check(vec![
        ok("weekly hours with an overnight shift and 24:00", |fx| {
            set_rules(fx, weekly(vec![shift("22:00", "06:00"), shift("00:00", "24:00")]))
        }),
        bad("a shift that starts at 24:00", INVALID, "weekly[0].start", |fx| {
            set_rules(fx, weekly(vec![shift("24:00", "06:00")]))
        }),
        bad("an empty shift", INVALID, "weekly[1].end", |fx| {
            set_rules(fx, weekly(vec![shift("09:00", "10:00"), shift("10:00", "10:00")]))
        }),
        ok("64 weekly shifts", |fx| set_rules(fx, weekly(vec![shift("09:00", "10:00"); limits::WEEKLY_HOURS_MAX]))),
        bad("65 weekly shifts", LIMIT, "weekly", |fx| {
            set_rules(fx, weekly(vec![shift("09:00", "10:00"); limits::WEEKLY_HOURS_MAX + 1]))
        }),
        ok("1,000 overrides", |fx| set_rules(fx, closed_days(limits::DATE_OVERRIDES_MAX))),
        bad("1,001 overrides", LIMIT, "overrides", |fx| set_rules(fx, closed_days(limits::DATE_OVERRIDES_MAX + 1))),
        bad("one date overridden twice", INVALID, "overrides[1].date", |fx| {
            let mut rules = closed_days(1);
            rules.overrides.push(rules.overrides[0].clone());
            set_rules(fx, rules)
        }),
        bad("17 shifts on one date", LIMIT, "overrides[0].hours", |fx| {
            let mut rules = closed_days(1);
            rules.overrides[0].hours = vec![Hours::parse("09:00", "10:00").unwrap(); limits::OVERRIDE_HOURS_MAX + 1];
            set_rules(fx, rules)
        }),
        bad("an empty shift on a date", INVALID, "overrides[0].hours[0].end", |fx| {
            let mut rules = closed_days(1);
            rules.overrides[0].hours = vec![Hours::parse("09:00", "09:00").unwrap()];
            set_rules(fx, rules)
        }),
        bad("rules of an unknown resource", "NOT_FOUND", "<none>", |fx| {
            fx.t.set_availability("ghost", weekly(Vec::new()), None).map(drop)
        }),
        bad("rules at a stale version", "VERSION_MISMATCH", "<none>", |fx| {
            fx.t.set_availability("room", weekly(Vec::new()), Some(3)).map(drop)
        }),
        bad("rules of a malformed id", INVALID, "resource_id", |fx| {
            fx.t.set_availability("no spaces", weekly(Vec::new()), None).map(drop)
        }),
        ok("a check of 366 days", |fx| fx.t.check_availability("room", h(0), plus(h(0), days(366)), 1).map(drop)),
        bad("a check of 366 days and 1 us", LIMIT, "end", |fx| {
            fx.t.check_availability("room", h(0), plus(plus(h(0), days(366)), one_us()), 1).map(drop)
        }),
        bad("a check ending before it starts", INVALID, "end", |fx| {
            fx.t.check_availability("room", h(2), h(1), 1).map(drop)
        }),
        bad("a check of quantity 0", INVALID, "quantity", |fx| {
            fx.t.check_availability("room", h(1), h(2), 0).map(drop)
        }),
        bad("a check of quantity 10,001", LIMIT, "quantity", |fx| {
            fx.t.check_availability("room", h(1), h(2), 10_001).map(drop)
        }),
        ok("free/busy over 400 days", |fx| fx.t.free_busy(&["room".into()], h(0), plus(h(0), days(400))).map(drop)),
        bad("free/busy over 400 days and 1 us", LIMIT, "end", |fx| {
            fx.t.free_busy(&["room".into()], h(0), plus(plus(h(0), days(400)), one_us())).map(drop)
        }),
        bad("free/busy of no resource", INVALID, "resource_ids", |fx| fx.t.free_busy(&[], h(0), h(1)).map(drop)),
        bad("free/busy of a malformed id", INVALID, "resource_ids[1]", |fx| {
            fx.t.free_busy(&["room".into(), "a/b".into()], h(0), h(1)).map(drop)
        }),
        bad("free/busy of 1,001 resources", LIMIT, "resource_ids", |fx| {
            let ids: Vec<String> = (0..=limits::RESOURCES_PER_QUERY_MAX).map(|i| format!("r{i}")).collect();
            fx.t.free_busy(&ids, h(0), h(1)).map(drop)
        }),
        bad("free/busy before year 1", INVALID, "start", |fx| {
            fx.t.free_busy(&["room".into()], us(limits::TIMESTAMP_MIN_US - 1), h(0)).map(drop)
        }),
        ok("a slot search", |fx| slots(fx, sq())),
        ok("a step of one minute", |fx| slots(fx, SlotQuery { step: Some(TimeDelta::minutes(1)), ..sq() })),
        bad("a step under a minute", INVALID, "step", |fx| {
            slots(fx, SlotQuery { step: Some(TimeDelta::seconds(59)), ..sq() })
        }),
        bad("a negative duration", INVALID, "duration", |fx| {
            slots(fx, SlotQuery { duration: Some(TimeDelta::hours(-1)), ..sq() })
        }),
        bad("a duration over 366 days", LIMIT, "duration", |fx| {
            slots(fx, SlotQuery { duration: Some(days(367)), ..sq() })
        }),
        bad("duration and working days", INVALID, "duration", |fx| {
            slots(fx, SlotQuery { working_days: Some(1), ..sq() })
        }),
        bad("working days with a step", INVALID, "step", |fx| {
            slots(fx, SlotQuery { duration: None, working_days: Some(2), step: Some(TimeDelta::hours(1)), ..sq() })
        }),
        ok("31 working days", |fx| slots(fx, SlotQuery { duration: None, working_days: Some(31), ..sq() })),
        bad("32 working days", LIMIT, "working_days", |fx| {
            slots(fx, SlotQuery { duration: None, working_days: Some(32), ..sq() })
        }),
        bad("0 working days", INVALID, "working_days", |fx| {
            slots(fx, SlotQuery { duration: None, working_days: Some(0), ..sq() })
        }),
        ok("1,000 slots", |fx| slots(fx, SlotQuery { limit: Some(limits::SLOTS_MAX), ..sq() })),
        bad("1,001 slots", LIMIT, "limit", |fx| slots(fx, SlotQuery { limit: Some(limits::SLOTS_MAX + 1), ..sq() })),
        bad("no resource and no tag", INVALID, "resource_ids", |fx| {
            slots(fx, SlotQuery { resource_ids: Vec::new(), ..sq() })
        }),
        ok("a tag alone", |fx| slots(fx, SlotQuery { resource_ids: Vec::new(), tag: Some("x".into()), ..sq() })),
        bad("a tag of 65 characters", LIMIT, "tag", |fx| {
            slots(fx, SlotQuery { tag: Some(chars(limits::TAG_LENGTH_MAX_CHARS + 1)), ..sq() })
        }),
        bad("a search of an unknown resource", "NOT_FOUND", "<none>", |fx| {
            slots(fx, SlotQuery { resource_ids: vec!["ghost".into()], ..sq() })
        }),
    ]);
}
