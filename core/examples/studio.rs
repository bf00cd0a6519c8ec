//! A week at an animation studio, told as a timeline.
//!
//! Run: `cargo run --release -p holdfast --example studio [path.db]`
//!
//! Producers put holds on artists, pencil and confirm them, collide, let a
//! hold run out, then give artists working hours and search for free slots,
//! all on a SQLite file (default `holdfast-studio.db` in the
//! working directory, recreated each run). A manual clock makes the story
//! the same every time.

use std::path::PathBuf;

use chrono::TimeDelta;
use holdfast::{
    AvailabilityRules, Booking, BookingFilter, Engine, Error, HoldExpiry, LocalTime, ManualClock, NewBooking,
    NewProject, NewResource, Policy, Reschedule, SlotQuery, Status, Tenant, Timestamp, Weekday, WeeklyHours,
};

fn main() {
    if let Err(error) = run() {
        eprintln!("studio example failed: {} ({})", error, error.code());
        std::process::exit(1);
    }
}

fn at(text: &str) -> Timestamp {
    // The literals below are all valid RFC 3339; a typo here is a bug in the example.
    Timestamp::parse(text).unwrap_or_else(|e| panic!("bad literal {text}: {e}"))
}

fn run() -> Result<(), Error> {
    let path = std::env::args().nth(1).map(PathBuf::from).unwrap_or_else(|| PathBuf::from("holdfast-studio.db"));
    for suffix in ["", "-wal", "-shm"] {
        let mut file = path.clone().into_os_string();
        file.push(suffix);
        let _ = std::fs::remove_file(file);
    }
    let clock = ManualClock::new(at("2026-11-23T08:00:00Z"));
    let engine = Engine::builder().url(format!("sqlite://{}", path.display())).clock(clock.clone()).open()?;
    let story = Story { clock: clock.clone() };

    story.say(&format!("Northlight Animation opens its booking book in {}", path.display()));
    engine.create_tenant("northlight", "Northlight Animation")?;
    let studio = engine.tenant("northlight")?;
    let producer_ana = studio.as_actor("ana (producer)")?;
    let producer_ben = studio.as_actor("ben (producer)")?;

    for (id, name, zone, tags) in [
        ("ada", "Ada Lovelace", "Europe/Berlin", vec!["animator", "rigging"]),
        ("grace", "Grace Hopper", "America/New_York", vec!["animator", "compositing"]),
        ("linus", "Linus Lighting", "Asia/Kolkata", vec!["lighting"]),
    ] {
        studio.create_resource(NewResource {
            id: Some(id.into()),
            name: name.into(),
            kind: "artist".into(),
            timezone: zone.into(),
            tags: tags.into_iter().map(String::from).collect(),
            ..Default::default()
        })?;
    }
    studio.create_resource(NewResource {
        id: Some("render-farm".into()),
        name: "Render farm (4 nodes)".into(),
        kind: "machine".into(),
        capacity: 4,
        ..Default::default()
    })?;
    studio.create_resource(NewResource {
        id: Some("stage-a".into()),
        name: "Motion-capture stage A".into(),
        kind: "room".into(),
        timezone: "Europe/Berlin".into(),
        buffer_after: TimeDelta::minutes(30),
        ..Default::default()
    })?;
    studio.create_project(NewProject {
        id: Some("kite".into()),
        name: "Kite — 30s commercial".into(),
        ..Default::default()
    })?;
    story.say(
        "Artists Ada, Grace and Linus, a 4-node render farm and stage A (30 min reset) are set up; project Kite opens",
    );

    // 1. A hold, and a collision explained.
    let ada_tue = producer_ana.create_booking(NewBooking {
        resource_id: "ada".into(),
        project_id: Some("kite".into()),
        start: at("2026-11-24T08:00:00Z"),
        end: at("2026-11-24T16:00:00Z"),
        status: Status::Hold,
        hold_ttl: Some(TimeDelta::hours(24)),
        title: Some("Kite: storyboard animatic".into()),
        ..Default::default()
    })?;
    story.booked("Ana holds Ada for Tuesday (24 h to decide)", &ada_tue);

    story.clock.advance(TimeDelta::minutes(20));
    let clash = producer_ben.create_booking(NewBooking {
        resource_id: "ada".into(),
        start: at("2026-11-24T13:00:00Z"),
        end: at("2026-11-24T18:00:00Z"),
        status: Status::Pencil,
        title: Some("Other client: pitch frames".into()),
        ..Default::default()
    });
    story.refused("Ben tries to pencil Ada on Tuesday afternoon", clash);

    // 2. Hold -> pencil -> confirmed.
    story.clock.advance(TimeDelta::hours(2));
    let ada_tue = producer_ana.pencil(&ada_tue.id, Some(ada_tue.version))?;
    story.booked("Client likes it: Ana pencils Ada in", &ada_tue);
    story.clock.advance(TimeDelta::hours(3));
    let ada_tue = producer_ana.confirm(&ada_tue.id, Some(ada_tue.version))?;
    story.booked("Purchase order arrives: Ana confirms", &ada_tue);
    let stale = producer_ben.cancel(&ada_tue.id, Some(1));
    story.refused("Ben, working from a stale page (version 1), tries to cancel it", stale);

    // 3. A batch that does not fit is written not at all.
    let render = |start: &str, end: &str, nodes: u32, title: &str| NewBooking {
        resource_id: "render-farm".into(),
        project_id: Some("kite".into()),
        start: at(start),
        end: at(end),
        status: Status::Confirmed,
        quantity: nodes,
        title: Some(title.into()),
        ..Default::default()
    };
    let batch = producer_ana.create_bookings(vec![
        render("2026-11-25T20:00:00Z", "2026-11-26T06:00:00Z", 3, "Kite: lighting pass"),
        render("2026-11-26T02:00:00Z", "2026-11-26T04:00:00Z", 2, "Kite: previz re-render"),
    ]);
    story.refused("Ana books 3 + 2 render nodes overlapping on Wednesday night, as one batch", batch);
    let nights = producer_ana.create_bookings(vec![
        render("2026-11-25T20:00:00Z", "2026-11-26T06:00:00Z", 3, "Kite: lighting pass"),
        render("2026-11-26T02:00:00Z", "2026-11-26T04:00:00Z", 1, "Kite: previz re-render"),
    ])?;
    story.say(&format!("Ana retries with 3 + 1 nodes: both booked ({} bookings, farm full 02:00-04:00)", nights.len()));

    // 4. Buffers: the stage needs 30 minutes to reset.
    let shoot = producer_ana.create_booking(NewBooking {
        resource_id: "stage-a".into(),
        start: at("2026-11-26T09:00:00Z"),
        end: at("2026-11-26T12:00:00Z"),
        status: Status::Confirmed,
        title: Some("Kite: mocap shoot".into()),
        ..Default::default()
    })?;
    story.booked("Ana confirms stage A for the mocap shoot", &shoot);
    let tight = producer_ben.create_booking(NewBooking {
        resource_id: "stage-a".into(),
        start: at("2026-11-26T12:15:00Z"),
        end: at("2026-11-26T14:00:00Z"),
        status: Status::Hold,
        ..Default::default()
    });
    story.refused("Ben wants the stage from 12:15, inside the 30-minute reset", tight);
    let after_reset = producer_ben.create_booking(NewBooking {
        resource_id: "stage-a".into(),
        start: at("2026-11-26T12:30:00Z"),
        end: at("2026-11-26T14:00:00Z"),
        status: Status::Hold,
        hold_ttl: Some(TimeDelta::hours(6)),
        ..Default::default()
    })?;
    story.booked("Ben takes it from 12:30 instead", &after_reset);

    // 5. A hold that runs out.
    let linus_hold = producer_ben.create_booking(NewBooking {
        resource_id: "linus".into(),
        start: at("2026-11-27T04:00:00Z"),
        end: at("2026-11-27T12:00:00Z"),
        status: Status::Hold,
        hold_ttl: Some(TimeDelta::hours(2)),
        title: Some("Other client: look development".into()),
        ..Default::default()
    })?;
    story.booked("Ben holds Linus for Friday, 2 hours to decide", &linus_hold);
    let grace_sat = producer_ben.create_booking(NewBooking {
        resource_id: "grace".into(),
        start: at("2026-11-28T14:00:00Z"),
        end: at("2026-11-28T18:00:00Z"),
        status: Status::Hold,
        hold_ttl: Some(TimeDelta::hours(1)),
        ..Default::default()
    })?;
    story.booked("…and Grace for Saturday, 1 hour to decide", &grace_sat);
    story.clock.advance(TimeDelta::hours(3));
    let linus_kite = producer_ana.create_booking(NewBooking {
        resource_id: "linus".into(),
        project_id: Some("kite".into()),
        start: at("2026-11-27T04:00:00Z"),
        end: at("2026-11-27T12:00:00Z"),
        status: Status::Confirmed,
        title: Some("Kite: final lighting".into()),
        ..Default::default()
    })?;
    story.booked("Three hours later Ben's hold has lapsed: Ana confirms Linus for Kite", &linus_kite);
    let late = producer_ben.confirm(&linus_hold.id, None);
    story.refused("Ben comes back to confirm his hold", late);
    let swept = engine.sweep_expired()?;
    story.say(&format!("The sweeper records {swept} more lapsed hold(s) (Grace's Saturday)"));

    // 6. Moving work between artists.
    let grace_thu = producer_ana.create_booking(NewBooking {
        resource_id: "grace".into(),
        project_id: Some("kite".into()),
        start: at("2026-11-26T14:00:00Z"),
        end: at("2026-11-26T22:00:00Z"),
        status: Status::Pencil,
        title: Some("Kite: compositing".into()),
        ..Default::default()
    })?;
    story.booked("Ana pencils Grace for compositing on Thursday", &grace_thu);
    let moved = producer_ana.reschedule(
        &grace_thu.id,
        Reschedule {
            start: at("2026-11-24T08:00:00Z"),
            end: at("2026-11-24T16:00:00Z"),
            resource_id: Some("ada".into()),
        },
        Some(grace_thu.version),
    );
    story.refused("Ana tries to move that day to Ada's Tuesday instead", moved);
    let moved = producer_ana.reschedule(
        &grace_thu.id,
        Reschedule { start: at("2026-11-27T14:00:00Z"), end: at("2026-11-27T22:00:00Z"), resource_id: None },
        Some(grace_thu.version),
    )?;
    story.booked("…and moves it to Grace's Friday", &moved);
    let extended = producer_ben.extend_hold(&after_reset.id, HoldExpiry::Ttl(TimeDelta::hours(48)), None)?;
    story.booked("Ben extends his stage hold by 48 hours", &extended);

    // 7. Working hours, and planning with them.
    let weekdays = [Weekday::Monday, Weekday::Tuesday, Weekday::Wednesday, Weekday::Thursday, Weekday::Friday];
    for (artist, policy) in [("ada", Policy::Strict), ("grace", Policy::Advisory)] {
        let (nine, six): (LocalTime, LocalTime) = ("09:00".parse()?, "18:00".parse()?);
        let weekly = weekdays.iter().map(|&weekday| WeeklyHours { weekday, start: nine, end: six }).collect();
        studio.set_availability(artist, AvailabilityRules { policy, weekly, overrides: Vec::new() }, None)?;
    }
    story.say("Ada (strict) and Grace (advisory) get working hours: Mon-Fri 09:00-18:00 in their own time zones");
    let check = studio.check_availability("ada", at("2026-11-24T15:00:00Z"), at("2026-11-24T18:00:00Z"), 1)?;
    story.say(&format!(
        "Why can't Ada do Tuesday 16:00-19:00 Berlin? available={}, bookable={}",
        check.available, check.bookable
    ));
    for reason in &check.reasons {
        println!("{:26}{}", "", serde_json::to_string(reason).unwrap_or_default());
    }
    let refused = producer_ben.create_booking(NewBooking {
        resource_id: "ada".into(),
        start: at("2026-11-28T09:00:00Z"),
        end: at("2026-11-28T12:00:00Z"),
        status: Status::Hold,
        ..Default::default()
    });
    story.refused("Ben tries to hold Ada on Saturday", refused);
    let next_week = SlotQuery {
        tag: Some("animator".into()),
        start: at("2026-11-30T00:00:00Z"),
        end: at("2026-12-07T00:00:00Z"),
        working_days: Some(3),
        limit: Some(3),
        ..Default::default()
    };
    story.say("Which animator is free for three working days in a row next week?");
    for slot in studio.find_slots(&next_week)? {
        println!("{:26}{:<6} {} .. {} ({} shifts)", "", slot.resource_id, slot.start, slot.end, slot.parts.len());
    }
    let friday = SlotQuery {
        tag: Some("animator".into()),
        start: at("2026-11-27T00:00:00Z"),
        end: at("2026-11-28T00:00:00Z"),
        duration: Some(TimeDelta::hours(4)),
        step: Some(TimeDelta::hours(1)),
        limit: Some(3),
        ..Default::default()
    };
    story.say("And the earliest four-hour slots on Friday, on the hour?");
    for slot in studio.find_slots(&friday)? {
        println!("{:26}{:<6} {} .. {}", "", slot.resource_id, slot.start, slot.end);
    }

    print_week(&studio)?;
    println!("\nAudit trail of Ada's Tuesday ({}):", ada_tue.id);
    for event in studio.history(&ada_tue.id)? {
        println!("  #{:<3} {}  {:<10} by {}", event.seq, event.at, event.kind.as_str(), event.actor);
    }
    let log = studio.events(0, 1000)?;
    println!("\nThe tenant's event log holds {} events, seq 1..={}", log.len(), log.last().map_or(0, |e| e.seq));
    Ok(())
}

struct Story {
    clock: ManualClock,
}

impl Story {
    fn now(&self) -> String {
        use holdfast::Clock;
        self.clock.now().to_string()
    }

    fn say(&self, line: &str) {
        println!("{}  {line}", self.now());
    }

    fn booked(&self, line: &str, b: &Booking) {
        let expiry = b.hold_expires_at.map(|at| format!(", expires {at}")).unwrap_or_default();
        println!(
            "{}  {line}\n{:22}-> {} on {} {} (v{}{expiry})",
            self.now(),
            "",
            b.status,
            b.resource_id,
            b.interval(),
            b.version
        );
    }

    fn refused<T>(&self, line: &str, outcome: Result<T, Error>) {
        match outcome {
            Ok(_) => println!("{}  {line}\n{:22}-> unexpectedly accepted", self.now(), ""),
            Err(error) => {
                println!("{}  {line}\n{:22}-> refused: {} — {}", self.now(), "", error.code(), error);
                if let Error::Conflict { conflicts, .. } = error.root() {
                    for c in conflicts {
                        println!("{:26}in the way: {} ({}, {} unit(s)) {}", "", c.id, c.status, c.quantity, c.interval);
                    }
                }
            }
        }
    }
}

fn print_week(studio: &Tenant) -> Result<(), Error> {
    println!("\nThe week as booked (blocking bookings, by start):");
    let page = studio.list_bookings(&BookingFilter {
        start: Some(at("2026-11-23T00:00:00Z")),
        end: Some(at("2026-11-30T00:00:00Z")),
        statuses: vec![Status::Hold, Status::Pencil, Status::Confirmed],
        ..Default::default()
    })?;
    for b in page.items {
        println!(
            "  {:<12} {:<10} {} x{}  {}",
            b.resource_id,
            b.status.as_str(),
            b.interval(),
            b.quantity,
            b.title.as_deref().unwrap_or("")
        );
    }
    Ok(())
}
