#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Availability rules, explainable checks, free/busy and slot search.
//!
//! * Rule expansion, table-driven on real DST transitions. Every expected
//!   instant was computed independently with Python's `zoneinfo` (PEP 495,
//!   `fold=0`, which reads a gap time with the offset before the jump and a
//!   fold time as its first occurrence — the rule the engine documents).
//! * The engine surface (`set_availability`, `get_availability`, strict
//!   policy on create / reschedule / confirm, buffers, `check_availability`,
//!   `free_busy`, `find_slots`), on every store of `common::stores()`.

mod common;

use chrono::{NaiveDate, TimeDelta};
use holdfast::limits;
use holdfast::model::availability::{Expansion, expand, zone};
use holdfast::{
    AvailabilityRules, DateOverride, DstKind, Engine, Error, EventType, Hours, Interval, LocalTime, ManualClock,
    NewBooking, NewResource, Policy, Reason, Reschedule, ResourcePatch, SlotQuery, Status, Tenant, Timestamp, Weekday,
    WeeklyHours,
};

use common::{TestStore, for_each_store};

fn ts(text: &str) -> Timestamp {
    Timestamp::parse(text).unwrap()
}

fn iv(start: &str, end: &str) -> Interval {
    Interval { start: ts(start), end: ts(end) }
}

fn date(text: &str) -> NaiveDate {
    text.parse().unwrap()
}

fn t(text: &str) -> LocalTime {
    LocalTime::parse("time", text).unwrap()
}

fn weekly(weekday: Weekday, start: &str, end: &str) -> WeeklyHours {
    WeeklyHours { weekday, start: t(start), end: t(end) }
}

fn rules(weekly: Vec<WeeklyHours>) -> AvailabilityRules {
    AvailabilityRules { policy: Policy::Advisory, weekly, overrides: Vec::new() }
}

fn expand_in(zone_name: &str, rules: &AvailabilityRules, window: Interval) -> Expansion {
    expand(rules, zone(zone_name).unwrap(), window)
}

/// The shifts of an expansion as `(start, end)` RFC 3339 pairs.
fn shifts(e: &Expansion) -> Vec<(String, String)> {
    e.shifts.iter().map(|s| (s.interval.start.to_string(), s.interval.end.to_string())).collect()
}

fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter().map(|(a, b)| (ts(a).to_string(), ts(b).to_string())).collect()
}

// ------------------------------------------------------- rule expansion

/// One row: a zone, one weekly shift, a window, and the shifts and DST
/// adjustments the window must contain.
struct Row {
    name: &'static str,
    zone: &'static str,
    shift: (Weekday, &'static str, &'static str),
    window: (&'static str, &'static str),
    shifts: &'static [(&'static str, &'static str)],
    adjustments: &'static [(DstKind, &'static str)],
}

const ROWS: &[Row] = &[
    Row {
        name: "Berlin spring forward: 02:30 does not exist, read as 03:30 CEST",
        zone: "Europe/Berlin",
        shift: (Weekday::Sunday, "02:30", "05:00"),
        window: ("2026-03-29T00:00:00Z", "2026-03-30T00:00:00Z"),
        shifts: &[("2026-03-29T01:30:00Z", "2026-03-29T03:00:00Z")],
        adjustments: &[(DstKind::Gap, "2026-03-29T01:30:00Z")],
    },
    Row {
        name: "Berlin spring forward: 01:00-04:00 is two real hours",
        zone: "Europe/Berlin",
        shift: (Weekday::Sunday, "01:00", "04:00"),
        window: ("2026-03-29T00:00:00Z", "2026-03-30T00:00:00Z"),
        shifts: &[("2026-03-29T00:00:00Z", "2026-03-29T02:00:00Z")],
        adjustments: &[],
    },
    Row {
        name: "Berlin the week before and after: CET then CEST",
        zone: "Europe/Berlin",
        shift: (Weekday::Saturday, "09:00", "17:00"),
        window: ("2026-03-27T00:00:00Z", "2026-04-05T00:00:00Z"),
        shifts: &[("2026-03-28T08:00:00Z", "2026-03-28T16:00:00Z"), ("2026-04-04T07:00:00Z", "2026-04-04T15:00:00Z")],
        adjustments: &[],
    },
    Row {
        name: "Berlin fall back: 02:30 happens twice, the first (CEST) counts",
        zone: "Europe/Berlin",
        shift: (Weekday::Sunday, "02:30", "06:00"),
        window: ("2026-10-25T00:00:00Z", "2026-10-26T00:00:00Z"),
        shifts: &[("2026-10-25T00:30:00Z", "2026-10-25T05:00:00Z")],
        adjustments: &[(DstKind::Fold, "2026-10-25T00:30:00Z")],
    },
    Row {
        name: "Berlin overnight shift across the fall-back night is nine hours",
        zone: "Europe/Berlin",
        shift: (Weekday::Saturday, "22:00", "06:00"),
        window: ("2026-10-24T00:00:00Z", "2026-10-26T00:00:00Z"),
        shifts: &[("2026-10-24T20:00:00Z", "2026-10-25T05:00:00Z")],
        adjustments: &[],
    },
    Row {
        name: "New York spring forward: 02:30 EST-read is 03:30 EDT",
        zone: "America/New_York",
        shift: (Weekday::Sunday, "02:30", "10:00"),
        window: ("2026-03-08T00:00:00Z", "2026-03-09T00:00:00Z"),
        shifts: &[("2026-03-08T07:30:00Z", "2026-03-08T14:00:00Z")],
        adjustments: &[(DstKind::Gap, "2026-03-08T07:30:00Z")],
    },
    Row {
        name: "New York fall back: 01:30 is the EDT one",
        zone: "America/New_York",
        shift: (Weekday::Sunday, "01:30", "03:00"),
        window: ("2026-11-01T00:00:00Z", "2026-11-02T00:00:00Z"),
        shifts: &[("2026-11-01T05:30:00Z", "2026-11-01T08:00:00Z")],
        adjustments: &[(DstKind::Fold, "2026-11-01T05:30:00Z")],
    },
    Row {
        name: "Kolkata +05:30, no DST",
        zone: "Asia/Kolkata",
        shift: (Weekday::Monday, "09:00", "18:00"),
        window: ("2026-12-07T00:00:00Z", "2026-12-08T00:00:00Z"),
        shifts: &[("2026-12-07T03:30:00Z", "2026-12-07T12:30:00Z")],
        adjustments: &[],
    },
    Row {
        name: "Chatham +13:45 in summer: Monday 09:00 is Sunday 19:15 UTC",
        zone: "Pacific/Chatham",
        shift: (Weekday::Monday, "09:00", "18:00"),
        window: ("2026-12-06T00:00:00Z", "2026-12-07T12:00:00Z"),
        shifts: &[("2026-12-06T19:15:00Z", "2026-12-07T04:15:00Z")],
        adjustments: &[],
    },
    Row {
        name: "Chatham spring forward 02:45 -> 03:45: 03:00 is read at +12:45",
        zone: "Pacific/Chatham",
        shift: (Weekday::Sunday, "03:00", "06:00"),
        window: ("2026-09-26T00:00:00Z", "2026-09-27T00:00:00Z"),
        shifts: &[("2026-09-26T14:15:00Z", "2026-09-26T16:15:00Z")],
        adjustments: &[(DstKind::Gap, "2026-09-26T14:15:00Z")],
    },
    Row {
        name: "Chatham fall back 03:45 -> 02:45: 03:00 is the +13:45 one",
        zone: "Pacific/Chatham",
        shift: (Weekday::Sunday, "03:00", "09:00"),
        window: ("2026-04-04T00:00:00Z", "2026-04-05T00:00:00Z"),
        shifts: &[("2026-04-04T13:15:00Z", "2026-04-04T20:15:00Z")],
        adjustments: &[(DstKind::Fold, "2026-04-04T13:15:00Z")],
    },
    Row {
        name: "UTC overnight shift runs Friday 22:00 to Saturday 06:00",
        zone: "UTC",
        shift: (Weekday::Friday, "22:00", "06:00"),
        window: ("2026-12-04T00:00:00Z", "2026-12-06T00:00:00Z"),
        shifts: &[("2026-12-04T22:00:00Z", "2026-12-05T06:00:00Z")],
        adjustments: &[],
    },
    Row {
        name: "a window starting mid-night still meets the shift of the evening before",
        zone: "UTC",
        shift: (Weekday::Friday, "22:00", "06:00"),
        window: ("2026-12-05T03:00:00Z", "2026-12-05T04:00:00Z"),
        shifts: &[("2026-12-04T22:00:00Z", "2026-12-05T06:00:00Z")],
        adjustments: &[],
    },
    Row {
        name: "a shift starting in the gap can collapse: 02:30-03:15 reads 03:30-03:15",
        zone: "Europe/Berlin",
        shift: (Weekday::Sunday, "02:30", "03:15"),
        window: ("2026-03-29T00:00:00Z", "2026-03-30T00:00:00Z"),
        shifts: &[],
        adjustments: &[(DstKind::Gap, "2026-03-29T01:30:00Z")],
    },
];

#[test]
fn rule_expansion_on_real_dst_transitions() {
    let mut failures = Vec::new();
    for row in ROWS {
        let (weekday, start, end) = row.shift;
        let r = rules(vec![weekly(weekday, start, end)]);
        let got = expand_in(row.zone, &r, iv(row.window.0, row.window.1));
        let want_adjustments: Vec<(DstKind, Timestamp)> =
            row.adjustments.iter().map(|(kind, at)| (*kind, ts(at))).collect();
        let got_adjustments: Vec<(DstKind, Timestamp)> =
            got.adjustments.iter().map(|a| (a.kind, a.resolved_to)).collect();
        if shifts(&got) != pairs(row.shifts) || got_adjustments != want_adjustments {
            failures.push(format!(
                "{}:\n  shifts {:?}\n  want   {:?}\n  adjustments {:?}\n  want        {:?}",
                row.name,
                shifts(&got),
                pairs(row.shifts),
                got_adjustments,
                want_adjustments
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn several_shifts_a_day_and_a_full_day_merge_as_working_hours() {
    let r = rules(vec![
        weekly(Weekday::Monday, "09:00", "12:00"),
        weekly(Weekday::Monday, "13:00", "18:00"),
        weekly(Weekday::Tuesday, "00:00", "24:00"),
        weekly(Weekday::Wednesday, "00:00", "08:00"),
    ]);
    let window = iv("2026-12-07T00:00:00Z", "2026-12-10T00:00:00Z");
    let got = expand_in("UTC", &r, window);
    assert_eq!(got.shifts.len(), 4);
    let hours: Vec<Interval> = got.hours_within(window);
    assert_eq!(
        hours,
        vec![
            iv("2026-12-07T09:00:00Z", "2026-12-07T12:00:00Z"),
            iv("2026-12-07T13:00:00Z", "2026-12-07T18:00:00Z"),
            // Tuesday 00:00-24:00 and Wednesday 00:00-08:00 touch: one stretch.
            iv("2026-12-08T00:00:00Z", "2026-12-09T08:00:00Z"),
        ]
    );
}

#[test]
fn overrides_close_a_date_or_give_it_other_hours_and_keep_the_night_before() {
    let mut r = rules(vec![
        weekly(Weekday::Thursday, "22:00", "06:00"),
        weekly(Weekday::Friday, "09:00", "17:00"),
        weekly(Weekday::Saturday, "09:00", "17:00"),
    ]);
    r.overrides = vec![
        // Friday 2026-12-25 closed; Saturday 2026-12-26 short.
        DateOverride { date: date("2026-12-25"), hours: vec![] },
        DateOverride { date: date("2026-12-26"), hours: vec![Hours::parse("10:00", "12:00").unwrap()] },
    ];
    let window = iv("2026-12-24T00:00:00Z", "2026-12-27T00:00:00Z");
    let got = expand_in("Europe/Berlin", &r, window);
    assert_eq!(
        shifts(&got),
        pairs(&[
            // Thursday's night shift belongs to Thursday: the closed Friday does not cut it.
            ("2026-12-24T21:00:00Z", "2026-12-25T05:00:00Z"),
            ("2026-12-26T09:00:00Z", "2026-12-26T11:00:00Z"),
        ])
    );
    assert_eq!(got.closed, vec![(date("2026-12-25"), iv("2026-12-24T23:00:00Z", "2026-12-25T23:00:00Z"))]);
}

#[test]
fn rules_are_validated_field_by_field() {
    let bad = |r: AvailabilityRules| r.validate().unwrap_err();
    let field = |e: Error| match e {
        Error::InvalidInput { field, .. } | Error::LimitExceeded { field, .. } => field,
        other => panic!("unexpected {other:?}"),
    };
    assert_eq!(field(bad(rules(vec![weekly(Weekday::Monday, "09:00", "09:00")]))), "weekly[0].end");
    assert_eq!(field(bad(rules(vec![weekly(Weekday::Monday, "24:00", "09:00")]))), "weekly[0].start");
    let mut twice = rules(vec![]);
    twice.overrides = vec![
        DateOverride { date: date("2026-12-25"), hours: vec![] },
        DateOverride { date: date("2026-12-25"), hours: vec![] },
    ];
    assert_eq!(field(bad(twice)), "overrides[1].date");
    let many = rules(vec![weekly(Weekday::Monday, "09:00", "10:00"); limits::WEEKLY_HOURS_MAX + 1]);
    assert_eq!(bad(many).code(), "LIMIT_EXCEEDED");
    for text in ["9:00", "09:60", "24:01", "25:00", "0900", "09:00:00", "", "ab:cd"] {
        assert!(LocalTime::parse("start", text).is_err(), "{text:?} must not parse");
    }
    assert_eq!(LocalTime::parse("end", "24:00").unwrap().minutes(), 1440);
    // The JSON shape clients send.
    let parsed: AvailabilityRules = serde_json::from_value(serde_json::json!({
        "policy": "strict",
        "weekly": [{"weekday": "monday", "start": "09:00", "end": "18:00"}],
        "overrides": [{"date": "2026-12-24", "hours": []}]
    }))
    .unwrap();
    assert_eq!(parsed.policy, Policy::Strict);
    assert!(
        serde_json::from_value::<AvailabilityRules>(
            serde_json::json!({"weekly": [{"weekday": "mon", "start": "09:00", "end": "18:00"}]})
        )
        .is_err()
    );
}

// ------------------------------------------------------- engine surface

/// "Now" in these tests: well before the bookings.
const NOW: &str = "2026-11-01T00:00:00Z";

struct Fx {
    engine: Engine,
    clock: ManualClock,
    t: Tenant,
}

impl Fx {
    fn new(store: &TestStore) -> Fx {
        let clock = ManualClock::new(ts(NOW));
        let engine = Engine::builder().url(store.fresh_url()).clock(clock.clone()).open().unwrap();
        engine.create_tenant("acme", "Acme").unwrap();
        let t = engine.tenant("acme").unwrap();
        Fx { engine, clock, t }
    }

    /// A resource in `zone` working Monday to Friday 09:00-18:00.
    fn artist(&self, id: &str, zone: &str, policy: Policy) {
        self.t
            .create_resource(NewResource {
                id: Some(id.into()),
                name: id.into(),
                kind: "artist".into(),
                timezone: zone.into(),
                tags: vec!["animator".into()],
                ..Default::default()
            })
            .unwrap();
        let weekdays = [Weekday::Monday, Weekday::Tuesday, Weekday::Wednesday, Weekday::Thursday, Weekday::Friday];
        let r = AvailabilityRules {
            policy,
            weekly: weekdays.iter().map(|&d| weekly(d, "09:00", "18:00")).collect(),
            overrides: Vec::new(),
        };
        self.t.set_availability(id, r, None).unwrap();
    }

    fn book(&self, resource: &str, start: &str, end: &str, status: Status) -> holdfast::Booking {
        self.t
            .create_booking(NewBooking {
                resource_id: resource.into(),
                start: ts(start),
                end: ts(end),
                status,
                ..Default::default()
            })
            .unwrap()
    }

    fn slots(&self, query: SlotQuery) -> Vec<(String, String, String)> {
        self.t
            .find_slots(&query)
            .unwrap()
            .into_iter()
            .map(|s| (s.resource_id, s.start.to_string(), s.end.to_string()))
            .collect()
    }
}

fn slot(resource: &str, start: &str, end: &str) -> (String, String, String) {
    (resource.into(), ts(start).to_string(), ts(end).to_string())
}

fn query(ids: &[&str], start: &str, end: &str, minutes: i64) -> SlotQuery {
    SlotQuery {
        resource_ids: ids.iter().map(|s| (*s).to_owned()).collect(),
        start: ts(start),
        end: ts(end),
        duration: Some(TimeDelta::minutes(minutes)),
        ..Default::default()
    }
}

#[test]
fn rules_default_to_open_advisory_and_are_versioned_with_an_event() {
    for_each_store(|store| {
        let fx = Fx::new(store);
        fx.t.create_resource(NewResource { id: Some("ada".into()), name: "Ada".into(), ..Default::default() }).unwrap();
        let initial = fx.t.get_availability("ada").unwrap();
        assert_eq!((initial.version, initial.policy, initial.weekly.len()), (0, Policy::Advisory, 7));
        assert_eq!(initial.updated_at, None);

        let r = rules(vec![weekly(Weekday::Monday, "09:00", "18:00")]);
        let set = fx.t.set_availability("ada", r.clone(), Some(0)).unwrap();
        assert_eq!((set.version, set.updated_at), (1, Some(ts(NOW))));
        assert_eq!(fx.t.get_availability("ada").unwrap(), set);
        let last = fx.t.events(0, 1000).unwrap().pop().unwrap();
        assert_eq!(last.kind, EventType::AvailabilitySet);
        assert_eq!(last.data["availability"]["resource_id"], "ada");

        // The same rules again: nothing changes, no event.
        assert_eq!(fx.t.set_availability("ada", r.clone(), None).unwrap().version, 1);
        assert_eq!(fx.t.events(last.seq, 10).unwrap().len(), 0);

        let stale = fx.t.set_availability("ada", rules(vec![]), Some(0)).unwrap_err();
        assert_eq!(stale.code(), "VERSION_MISMATCH");
        assert_eq!(stale.details()["current_version"], 1);
        assert_eq!(fx.t.set_availability("nobody", r.clone(), None).unwrap_err().code(), "NOT_FOUND");
        assert_eq!(fx.t.get_availability("nobody").unwrap_err().code(), "NOT_FOUND");
        let bad = fx.t.set_availability("ada", rules(vec![weekly(Weekday::Monday, "10:00", "10:00")]), None);
        assert_eq!(bad.unwrap_err().details()["field"], "weekly[0].end");
        assert_eq!(fx.t.get_availability("ada").unwrap().version, 1, "a refused change writes nothing");
    });
}

#[test]
fn strict_resources_refuse_create_reschedule_and_confirm_outside_hours() {
    for_each_store(|store| {
        let fx = Fx::new(store);
        fx.artist("ada", "Europe/Berlin", Policy::Advisory);
        fx.artist("bea", "Europe/Berlin", Policy::Strict);
        // Monday 2026-12-07, Berlin is UTC+1: hours are 08:00-17:00 UTC.
        let (inside_start, inside_end) = ("2026-12-07T09:00:00Z", "2026-12-07T11:00:00Z");
        let (late_start, late_end) = ("2026-12-07T16:00:00Z", "2026-12-07T18:00:00Z");

        // Advisory: allowed outside hours, and the check says why it is not "available".
        fx.book("ada", late_start, late_end, Status::Confirmed);

        let e = fx.t.create_booking(NewBooking {
            resource_id: "bea".into(),
            start: ts(late_start),
            end: ts(late_end),
            status: Status::Confirmed,
            ..Default::default()
        });
        let e = e.unwrap_err();
        assert_eq!(e.code(), "OUTSIDE_AVAILABILITY");
        assert_eq!(e.details()["reasons"][0]["kind"], "outside_hours");
        assert_eq!(e.details()["reasons"][0]["intervals"][0]["start"], "2026-12-07T17:00:00Z");

        let inside = fx.book("bea", inside_start, inside_end, Status::Hold);
        let moved = fx.t.reschedule(
            &inside.id,
            Reschedule { resource_id: None, start: ts(late_start), end: ts(late_end) },
            None,
        );
        assert_eq!(moved.unwrap_err().code(), "OUTSIDE_AVAILABILITY");

        // A hold on an advisory resource, then the resource turns strict
        // with hours that no longer cover it: confirming is refused.
        let early = fx.book("ada", "2026-12-08T07:00:00Z", "2026-12-08T09:00:00Z", Status::Hold);
        let mut strict = fx.t.get_availability("ada").unwrap().rules();
        strict.policy = Policy::Strict;
        fx.t.set_availability("ada", strict, None).unwrap();
        assert_eq!(fx.t.confirm(&early.id, None).unwrap_err().code(), "OUTSIDE_AVAILABILITY");
        assert_eq!(fx.t.get_booking(&early.id).unwrap().status, Status::Hold, "nothing written");
        // Inside hours it still works; and pencil/cancel are not hours decisions.
        fx.t.confirm(&inside.id, None).unwrap();
        fx.t.cancel(&early.id, None).unwrap();
    });
}

#[test]
fn buffers_widen_what_a_booking_blocks() {
    for_each_store(|store| {
        let fx = Fx::new(store);
        fx.t.create_resource(NewResource {
            id: Some("cam".into()),
            name: "Camera".into(),
            buffer_after: TimeDelta::minutes(30),
            buffer_before: TimeDelta::minutes(15),
            ..Default::default()
        })
        .unwrap();
        let b = fx.book("cam", "2026-12-07T10:00:00Z", "2026-12-07T12:00:00Z", Status::Confirmed);
        // Ends at 12:00, blocks until 12:30 (its buffer), and a booking at
        // 12:30 needs its own 15 minutes before: 12:45 is the first start.
        let at = |s: &str, e: &str| fx.t.check_availability("cam", ts(s), ts(e), 1).unwrap();
        let check = at("2026-12-07T12:15:00Z", "2026-12-07T13:00:00Z");
        assert!(!check.available && !check.bookable);
        assert!(matches!(&check.reasons[..], [Reason::Conflict(c)] if c.id == b.id));
        assert!(!at("2026-12-07T12:30:00Z", "2026-12-07T13:00:00Z").available);
        assert!(at("2026-12-07T12:45:00Z", "2026-12-07T13:00:00Z").available);
        assert_eq!(
            fx.t.create_booking(NewBooking {
                resource_id: "cam".into(),
                start: ts("2026-12-07T12:40:00Z"),
                end: ts("2026-12-07T13:00:00Z"),
                status: Status::Confirmed,
                ..Default::default()
            })
            .unwrap_err()
            .code(),
            "CONFLICT"
        );
        let fb = fx.t.free_busy(&["cam".into()], ts("2026-12-07T00:00:00Z"), ts("2026-12-08T00:00:00Z")).unwrap();
        assert_eq!((fb[0].busy[0].start, fb[0].busy[0].end), (ts("2026-12-07T09:45:00Z"), ts("2026-12-07T12:30:00Z")));
        let found = fx.slots(SlotQuery {
            step: Some(TimeDelta::minutes(15)),
            ..query(&["cam"], "2026-12-07T08:00:00Z", "2026-12-07T14:00:00Z", 30)
        });
        // 08:45-09:15 plus its 30 minutes after ends at 09:45, where the
        // booking's 15 minutes before begin: fits exactly; 09:00 would not.
        // After the booking, 12:45 is the first start (12:30 + 15 before).
        let starts: Vec<String> = found.iter().map(|s| s.1.clone()).collect();
        let want: Vec<String> = ["08:00", "08:15", "08:30", "08:45", "12:45", "13:00", "13:15", "13:30"]
            .iter()
            .map(|hm| ts(&format!("2026-12-07T{hm}:00Z")).to_string())
            .collect();
        assert_eq!(starts, want);
    });
}

#[test]
fn check_availability_gives_every_reason_at_once() {
    for_each_store(|store| {
        let fx = Fx::new(store);
        fx.t.create_resource(NewResource {
            id: Some("ada".into()),
            name: "Ada".into(),
            timezone: "Europe/Berlin".into(),
            ..Default::default()
        })
        .unwrap();
        // Sundays 02:30-08:00, but 2026-03-29 jumps 02:00 -> 03:00; the
        // Monday after is closed.
        let mut r = rules(vec![weekly(Weekday::Sunday, "02:30", "08:00"), weekly(Weekday::Monday, "09:00", "17:00")]);
        r.overrides = vec![DateOverride { date: date("2026-03-30"), hours: vec![] }];
        fx.t.set_availability("ada", r, None).unwrap();
        fx.clock.set(ts("2026-03-01T00:00:00Z"));
        let hold = fx.book("ada", "2026-03-29T04:00:00Z", "2026-03-29T05:00:00Z", Status::Hold);
        let pencil = fx.book("ada", "2026-03-30T08:00:00Z", "2026-03-30T09:00:00Z", Status::Pencil);

        // Sunday 00:00Z to Monday 10:00Z: every kind of "no" at once.
        let check = fx.t.check_availability("ada", ts("2026-03-29T00:00:00Z"), ts("2026-03-30T10:00:00Z"), 1).unwrap();
        assert!(!check.available && !check.bookable);
        let kinds: Vec<String> =
            check.reasons.iter().map(|r| serde_json::to_value(r).unwrap()["kind"].as_str().unwrap().into()).collect();
        assert_eq!(kinds, ["conflict", "conflict", "outside_hours", "closed_override", "dst_gap"], "{check:#?}");
        let json = serde_json::to_value(&check).unwrap();
        assert_eq!(json["reasons"][0]["id"], hold.id.as_str());
        assert_eq!(json["reasons"][0]["status"], "hold");
        assert_eq!(json["reasons"][1]["id"], pencil.id.as_str());
        // Working hours on the Sunday: 01:30Z (02:30 read as 03:30 CEST) to 06:00Z.
        assert_eq!(
            json["reasons"][2]["intervals"],
            serde_json::json!([
                {"start": "2026-03-29T00:00:00Z", "end": "2026-03-29T01:30:00Z"},
                {"start": "2026-03-29T06:00:00Z", "end": "2026-03-30T10:00:00Z"}
            ])
        );
        assert_eq!(json["reasons"][3]["date"], "2026-03-30");
        assert_eq!(
            json["reasons"][4],
            serde_json::json!({
                "kind": "dst_gap", "date": "2026-03-29", "local_time": "02:30", "resolved_to": "2026-03-29T01:30:00Z"
            })
        );

        // The hold stops counting the instant it expires.
        fx.clock.set(hold.hold_expires_at.unwrap());
        let check = fx.t.check_availability("ada", ts("2026-03-29T04:00:00Z"), ts("2026-03-29T05:00:00Z"), 1).unwrap();
        assert!(check.available, "{check:#?}");
        // Quantity above capacity and inactive resources are reasons too.
        let check = fx.t.check_availability("ada", ts("2026-03-29T04:00:00Z"), ts("2026-03-29T05:00:00Z"), 2).unwrap();
        assert_eq!(check.reasons, vec![Reason::QuantityAboveCapacity { quantity: 2, capacity: 1 }]);
        fx.t.update_resource("ada", ResourcePatch { active: Some(false), ..Default::default() }, None).unwrap();
        let check = fx.t.check_availability("ada", ts("2026-03-29T04:00:00Z"), ts("2026-03-29T05:00:00Z"), 1).unwrap();
        assert_eq!(check.reasons, vec![Reason::Inactive]);
    });
}

#[test]
fn free_busy_lists_busy_time_with_status_and_free_time_inside_hours() {
    for_each_store(|store| {
        let fx = Fx::new(store);
        fx.artist("ada", "UTC", Policy::Advisory);
        fx.t.create_resource(NewResource {
            id: Some("room".into()),
            name: "Room".into(),
            capacity: 2,
            ..Default::default()
        })
        .unwrap();
        let confirmed = fx.book("ada", "2026-12-07T10:00:00Z", "2026-12-07T11:00:00Z", Status::Confirmed);
        let hold = fx.book("ada", "2026-12-07T13:00:00Z", "2026-12-07T14:00:00Z", Status::Hold);
        let cancelled = fx.book("ada", "2026-12-07T15:00:00Z", "2026-12-07T16:00:00Z", Status::Pencil);
        fx.t.cancel(&cancelled.id, None).unwrap();
        fx.book("room", "2026-12-07T10:00:00Z", "2026-12-07T12:00:00Z", Status::Confirmed);
        fx.book("room", "2026-12-07T11:00:00Z", "2026-12-07T13:00:00Z", Status::Confirmed);

        let day = (ts("2026-12-07T00:00:00Z"), ts("2026-12-08T00:00:00Z"));
        let fb = fx.t.free_busy(&["ada".into(), "room".into(), "ada".into()], day.0, day.1).unwrap();
        assert_eq!(fb.len(), 2, "repeated ids once");
        let ada = &fb[0];
        assert_eq!(
            ada.busy.iter().map(|b| (b.booking_id.clone(), b.status)).collect::<Vec<_>>(),
            [(confirmed.id.clone(), Status::Confirmed), (hold.id.clone(), Status::Hold)]
        );
        assert_eq!(ada.hours, vec![iv("2026-12-07T09:00:00Z", "2026-12-07T18:00:00Z")]);
        assert_eq!(
            ada.free,
            vec![
                iv("2026-12-07T09:00:00Z", "2026-12-07T10:00:00Z"),
                iv("2026-12-07T11:00:00Z", "2026-12-07T13:00:00Z"),
                iv("2026-12-07T14:00:00Z", "2026-12-07T18:00:00Z"),
            ]
        );
        // Capacity 2, open all day: only 11:00-12:00 is full.
        let room = &fb[1];
        assert_eq!(room.capacity, 2);
        assert_eq!(
            room.free,
            vec![
                iv("2026-12-07T00:00:00Z", "2026-12-07T11:00:00Z"),
                iv("2026-12-07T12:00:00Z", "2026-12-08T00:00:00Z"),
            ]
        );

        // Once the hold expires it is neither busy nor in the way.
        fx.clock.set(hold.hold_expires_at.unwrap());
        let fb = fx.t.free_busy(&["ada".into()], day.0, day.1).unwrap();
        assert_eq!(fb[0].busy.len(), 1);

        assert_eq!(fx.t.free_busy(&["ada".into(), "ghost".into()], day.0, day.1).unwrap_err().code(), "NOT_FOUND");
        assert_eq!(fx.t.free_busy(&[], day.0, day.1).unwrap_err().code(), "INVALID_INPUT");
        let long = fx.t.free_busy(&["ada".into()], day.0, ts("2029-01-01T00:00:00Z")).unwrap_err();
        assert_eq!(long.code(), "LIMIT_EXCEEDED");
        let many: Vec<String> = (0..=limits::RESOURCES_PER_QUERY_MAX).map(|i| format!("r{i}")).collect();
        assert_eq!(fx.t.free_busy(&many, day.0, day.1).unwrap_err().code(), "LIMIT_EXCEEDED");
    });
}

#[test]
fn find_slots_searches_by_id_or_tag_per_resource_or_across() {
    for_each_store(|store| {
        let fx = Fx::new(store);
        fx.artist("ada", "UTC", Policy::Advisory);
        fx.artist("bea", "Europe/Berlin", Policy::Advisory);
        fx.t.create_resource(NewResource { id: Some("desk".into()), name: "Desk".into(), ..Default::default() })
            .unwrap();
        // Ada is busy Monday morning; Bea (UTC+1) works 08:00-17:00 UTC.
        fx.book("ada", "2026-12-07T09:00:00Z", "2026-12-07T12:00:00Z", Status::Pencil);
        let monday = ("2026-12-07T00:00:00Z", "2026-12-08T00:00:00Z");

        let across =
            fx.slots(SlotQuery { tag: Some("animator".into()), limit: Some(3), ..query(&[], monday.0, monday.1, 120) });
        assert_eq!(
            across,
            vec![
                slot("bea", "2026-12-07T08:00:00Z", "2026-12-07T10:00:00Z"),
                slot("bea", "2026-12-07T10:00:00Z", "2026-12-07T12:00:00Z"),
                slot("bea", "2026-12-07T12:00:00Z", "2026-12-07T14:00:00Z"),
            ]
        );
        let per = fx.slots(SlotQuery {
            tag: Some("animator".into()),
            limit: Some(1),
            per_resource: true,
            ..query(&[], monday.0, monday.1, 120)
        });
        // Ada's grid starts at her 09:00 opening in 2-hour steps: 11:00 meets
        // the booking, so 13:00 is her first.
        assert_eq!(
            per,
            vec![
                slot("ada", "2026-12-07T13:00:00Z", "2026-12-07T15:00:00Z"),
                slot("bea", "2026-12-07T08:00:00Z", "2026-12-07T10:00:00Z"),
            ]
        );
        // Ids and tag together: the ids that carry the tag.
        let tagged = fx.slots(SlotQuery {
            tag: Some("animator".into()),
            limit: Some(1),
            ..query(&["desk", "ada"], monday.0, monday.1, 60)
        });
        assert_eq!(tagged, vec![slot("ada", "2026-12-07T12:00:00Z", "2026-12-07T13:00:00Z")]);
        // A step finer than the duration; the desk is open all day.
        let stepped = fx.slots(SlotQuery {
            step: Some(TimeDelta::minutes(30)),
            limit: Some(2),
            ..query(&["desk"], "2026-12-07T10:10:00Z", monday.1, 60)
        });
        assert_eq!(
            stepped,
            vec![
                slot("desk", "2026-12-07T10:30:00Z", "2026-12-07T11:30:00Z"),
                slot("desk", "2026-12-07T11:00:00Z", "2026-12-07T12:00:00Z"),
            ]
        );
        // Nothing fits a 10-hour slot in 9-hour days.
        assert!(fx.slots(query(&["ada", "bea"], monday.0, monday.1, 600)).is_empty());
    });
}

#[test]
fn find_slots_respects_capacity_quantity_and_unexpired_holds() {
    for_each_store(|store| {
        let fx = Fx::new(store);
        fx.t.create_resource(NewResource {
            id: Some("room".into()),
            name: "Room".into(),
            capacity: 3,
            ..Default::default()
        })
        .unwrap();
        let hold = fx.book("room", "2026-12-07T00:00:00Z", "2026-12-07T02:00:00Z", Status::Hold);
        fx.book("room", "2026-12-07T00:00:00Z", "2026-12-07T01:00:00Z", Status::Confirmed);
        let q = |quantity| SlotQuery {
            quantity,
            limit: Some(1),
            ..query(&["room"], "2026-12-07T00:00:00Z", "2026-12-07T06:00:00Z", 60)
        };
        assert_eq!(fx.slots(q(1)), vec![slot("room", "2026-12-07T00:00:00Z", "2026-12-07T01:00:00Z")]);
        assert_eq!(fx.slots(q(2)), vec![slot("room", "2026-12-07T01:00:00Z", "2026-12-07T02:00:00Z")]);
        assert_eq!(fx.slots(q(3)), vec![slot("room", "2026-12-07T02:00:00Z", "2026-12-07T03:00:00Z")]);
        assert!(fx.slots(q(4)).is_empty(), "more than the capacity never fits");
        fx.clock.set(hold.hold_expires_at.unwrap());
        assert_eq!(fx.slots(q(3)), vec![slot("room", "2026-12-07T01:00:00Z", "2026-12-07T02:00:00Z")]);
    });
}

#[test]
fn find_slots_finds_consecutive_working_days() {
    for_each_store(|store| {
        let fx = Fx::new(store);
        fx.artist("ada", "Europe/Berlin", Policy::Strict);
        // Week of 2026-12-07: busy on Tuesday; the first three free working
        // days in a row are Wednesday, Thursday, Friday; then Thursday,
        // Friday and (over the weekend) Monday.
        fx.book("ada", "2026-12-08T10:00:00Z", "2026-12-08T11:00:00Z", Status::Confirmed);
        let found =
            fx.t.find_slots(&SlotQuery {
                resource_ids: vec!["ada".into()],
                start: ts("2026-12-07T00:00:00Z"),
                end: ts("2026-12-15T00:00:00Z"),
                working_days: Some(3),
                limit: Some(2),
                ..Default::default()
            })
            .unwrap();
        assert_eq!(found.len(), 2);
        assert_eq!((found[0].start, found[0].end), (ts("2026-12-09T08:00:00Z"), ts("2026-12-11T17:00:00Z")));
        assert_eq!(
            found[0].parts,
            vec![
                iv("2026-12-09T08:00:00Z", "2026-12-09T17:00:00Z"),
                iv("2026-12-10T08:00:00Z", "2026-12-10T17:00:00Z"),
                iv("2026-12-11T08:00:00Z", "2026-12-11T17:00:00Z"),
            ]
        );
        assert_eq!((found[1].start, found[1].end), (ts("2026-12-10T08:00:00Z"), ts("2026-12-14T17:00:00Z")));
        // The parts are bookable as they are, even on a strict resource.
        let batch = found[0]
            .parts
            .iter()
            .map(|p| NewBooking {
                resource_id: "ada".into(),
                start: p.start,
                end: p.end,
                status: Status::Pencil,
                ..Default::default()
            })
            .collect();
        assert_eq!(fx.t.create_bookings(batch).unwrap().len(), 3);
    });
}

#[test]
fn slot_queries_are_validated() {
    for_each_store(|store| {
        let fx = Fx::new(store);
        fx.artist("ada", "UTC", Policy::Advisory);
        let base = query(&["ada"], "2026-12-07T00:00:00Z", "2026-12-08T00:00:00Z", 60);
        let field = |q: SlotQuery| {
            let e = fx.t.find_slots(&q).unwrap_err();
            (e.code(), e.details()["field"].as_str().unwrap_or_default().to_owned())
        };
        assert_eq!(field(SlotQuery { resource_ids: vec![], ..base.clone() }), ("INVALID_INPUT", "resource_ids".into()));
        assert_eq!(field(SlotQuery { duration: None, ..base.clone() }), ("INVALID_INPUT", "duration".into()));
        assert_eq!(field(SlotQuery { working_days: Some(2), ..base.clone() }), ("INVALID_INPUT", "duration".into()));
        assert_eq!(
            field(SlotQuery { duration: Some(TimeDelta::zero()), ..base.clone() }),
            ("INVALID_INPUT", "duration".into())
        );
        assert_eq!(
            field(SlotQuery { step: Some(TimeDelta::seconds(59)), ..base.clone() }),
            ("INVALID_INPUT", "step".into())
        );
        assert_eq!(field(SlotQuery { quantity: 0, ..base.clone() }), ("INVALID_INPUT", "quantity".into()));
        assert_eq!(
            field(SlotQuery { limit: Some(limits::SLOTS_MAX + 1), ..base.clone() }),
            ("LIMIT_EXCEEDED", "limit".into())
        );
        assert_eq!(
            field(SlotQuery { end: ts("2026-12-06T00:00:00Z"), ..base.clone() }),
            ("INVALID_INPUT", "end".into())
        );
        assert_eq!(field(SlotQuery { tag: Some(String::new()), ..base.clone() }), ("INVALID_INPUT", "tag".into()));
        assert_eq!(
            field(SlotQuery { duration: None, working_days: Some(limits::WORKING_DAYS_MAX + 1), ..base.clone() }),
            ("LIMIT_EXCEEDED", "working_days".into())
        );
        assert_eq!(
            fx.t.find_slots(&SlotQuery { resource_ids: vec!["ghost".into()], ..base.clone() }).unwrap_err().code(),
            "NOT_FOUND"
        );
        let check = fx.t.check_availability("ada", ts("2026-12-07T10:00:00Z"), ts("2026-12-07T09:00:00Z"), 1);
        assert_eq!(check.unwrap_err().code(), "INVALID_INPUT");
        assert_eq!(
            fx.t.check_availability("ada", ts("2026-12-07T09:00:00Z"), ts("2026-12-07T10:00:00Z"), 0)
                .unwrap_err()
                .code(),
            "INVALID_INPUT"
        );
    });
}

#[test]
fn reads_through_the_cache_see_every_write_of_this_engine() {
    for_each_store(|store| {
        let fx = Fx::new(store);
        fx.artist("ada", "UTC", Policy::Advisory);
        let day = (ts("2026-12-07T00:00:00Z"), ts("2026-12-08T00:00:00Z"));
        let free = |fx: &Fx| fx.t.free_busy(&["ada".into()], day.0, day.1).unwrap().remove(0).free;
        assert_eq!(free(&fx), vec![iv("2026-12-07T09:00:00Z", "2026-12-07T18:00:00Z")]);
        let warm = fx.engine.cache_stats();
        assert_eq!(free(&fx).len(), 1);
        let again = fx.engine.cache_stats();
        assert!(again.hits > warm.hits && again.misses == warm.misses, "{warm:?} then {again:?}");

        let b = fx.book("ada", "2026-12-07T10:00:00Z", "2026-12-07T11:00:00Z", Status::Confirmed);
        assert_eq!(free(&fx).len(), 2);
        fx.t.reschedule(
            &b.id,
            Reschedule { resource_id: None, start: ts("2026-12-07T09:00:00Z"), end: ts("2026-12-07T10:00:00Z") },
            None,
        )
        .unwrap();
        assert_eq!(free(&fx), vec![iv("2026-12-07T10:00:00Z", "2026-12-07T18:00:00Z")]);
        fx.t.update_resource(
            "ada",
            ResourcePatch { buffer_after: Some(TimeDelta::minutes(30)), ..Default::default() },
            None,
        )
        .unwrap();
        assert_eq!(free(&fx), vec![iv("2026-12-07T10:30:00Z", "2026-12-07T18:00:00Z")]);
        fx.t.set_availability("ada", rules(vec![weekly(Weekday::Monday, "12:00", "14:00")]), None).unwrap();
        assert_eq!(free(&fx), vec![iv("2026-12-07T12:00:00Z", "2026-12-07T14:00:00Z")]);
        fx.t.cancel(&b.id, None).unwrap();
        assert_eq!(fx.t.free_busy(&["ada".into()], day.0, day.1).unwrap()[0].busy.len(), 0);
        let stats = fx.engine.cache_stats();
        assert!(stats.entries > 0 && stats.entries <= stats.capacity, "{stats:?}");
    });
}

#[test]
fn utilization_matches_a_hand_computed_week_across_the_fall_back() {
    use holdfast::{GroupBy, NewProject, UtilizationRow};
    const H: i64 = 3_600_000_000;
    for_each_store(|store| {
        let fx = Fx::new(store);
        // Ada (Berlin) works Sunday 01:00-05:00 — five real hours on
        // 2026-10-25, when 03:00 CEST falls back to 02:00 CET — and Monday
        // 09:00-17:00. The room (UTC, capacity 2) keeps the default hours:
        // open around the clock.
        fx.t.create_resource(NewResource {
            id: Some("ada".into()),
            name: "Ada".into(),
            timezone: "Europe/Berlin".into(),
            ..Default::default()
        })
        .unwrap();
        let r = rules(vec![weekly(Weekday::Sunday, "01:00", "05:00"), weekly(Weekday::Monday, "09:00", "17:00")]);
        fx.t.set_availability("ada", r, None).unwrap();
        fx.t.create_resource(NewResource {
            id: Some("room".into()),
            name: "Room".into(),
            capacity: 2,
            ..Default::default()
        })
        .unwrap();
        fx.t.create_project(NewProject { id: Some("kite".into()), name: "Kite".into(), ..Default::default() }).unwrap();
        fx.clock.set(ts("2026-10-20T00:00:00Z"));
        let book = |resource: &str, start: &str, end: &str, status: Status, quantity: u32, project: Option<&str>| {
            fx.t.create_booking(NewBooking {
                resource_id: resource.into(),
                start: ts(start),
                end: ts(end),
                status,
                quantity,
                project_id: project.map(str::to_owned),
                hold_ttl: (status == Status::Hold).then(|| TimeDelta::days(30)),
                ..Default::default()
            })
            .unwrap()
        };
        book("ada", "2026-10-26T08:00:00Z", "2026-10-26T10:00:00Z", Status::Confirmed, 1, Some("kite"));
        book("ada", "2026-10-25T03:00:00Z", "2026-10-25T06:00:00Z", Status::Pencil, 1, None);
        book("ada", "2026-10-24T10:00:00Z", "2026-10-24T11:00:00Z", Status::Hold, 1, None);
        book("room", "2026-10-25T12:00:00Z", "2026-10-25T13:00:00Z", Status::Confirmed, 2, Some("kite"));
        book("room", "2026-10-26T23:00:00Z", "2026-10-27T01:00:00Z", Status::Pencil, 1, None);
        let gone = book("room", "2026-10-24T01:00:00Z", "2026-10-24T02:00:00Z", Status::Pencil, 1, None);
        fx.t.cancel(&gone.id, None).unwrap();
        let lapsing =
            fx.t.create_booking(NewBooking {
                resource_id: "room".into(),
                start: ts("2026-10-24T05:00:00Z"),
                end: ts("2026-10-24T06:00:00Z"),
                hold_ttl: Some(TimeDelta::minutes(5)),
                ..Default::default()
            })
            .unwrap();
        fx.clock.set(lapsing.hold_expires_at.unwrap()); // expired, not swept: not counted

        let report =
            |group_by| fx.t.utilization(ts("2026-10-24T00:00:00Z"), ts("2026-10-27T00:00:00Z"), group_by).unwrap();
        let row = |group: &str, available: Option<i64>, [hold, pencil, confirmed, in_hours]: [i64; 4]| UtilizationRow {
            group: group.into(),
            available_us: available.map(|h| h * H),
            hold_us: hold * H,
            pencil_us: pencil * H,
            confirmed_us: confirmed * H,
            booked_in_hours_us: in_hours * H,
            utilization: available.filter(|&a| a > 0).map(|a| in_hours as f64 / a as f64),
        };
        assert_eq!(
            report(GroupBy::Resource),
            vec![row("ada", Some(13), [1, 3, 2, 3]), row("room", Some(144), [0, 1, 2, 3])]
        );
        // Ada's days are Berlin dates: her window runs into 2026-10-27 01:00 CET.
        assert_eq!(
            report(GroupBy::Day),
            vec![
                row("2026-10-24", Some(48), [1, 0, 0, 0]),
                row("2026-10-25", Some(53), [0, 3, 2, 3]),
                row("2026-10-26", Some(56), [0, 1, 2, 3]),
                row("2026-10-27", Some(0), [0, 0, 0, 0]),
            ]
        );
        assert_eq!(report(GroupBy::Project), vec![row("", None, [1, 4, 0, 2]), row("kite", None, [0, 0, 4, 4])]);
        assert_eq!(GroupBy::parse("week").unwrap_err().code(), "INVALID_INPUT");
        let long = fx.t.utilization(ts("2026-01-01T00:00:00Z"), ts("2027-03-01T00:00:00Z"), GroupBy::Day);
        assert_eq!(long.unwrap_err().code(), "LIMIT_EXCEEDED");
    });
}
