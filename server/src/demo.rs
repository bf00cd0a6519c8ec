//! `holdfast-server demo`: a fresh SQLite file with a seeded studio, an
//! owner key and three requests to try, served until Ctrl-C.

use std::net::SocketAddr;
use std::path::Path;

use chrono::{Datelike, Duration as Days, TimeDelta, Utc};
use holdfast::{
    AvailabilityRules, Engine, HoldExpiry, NewApiKey, NewBooking, NewProject, NewResource, Policy, Reschedule, Role,
    Status, Tenant, Timestamp, Weekday, WeeklyHours,
};
use tokio::net::TcpListener;

use crate::cli::WriteArgs;
use crate::serve::{HttpOptions, serve_on};

/// The seeded tenant.
pub const TENANT: &str = "studio";

/// What the seed hands back for printing.
#[derive(Debug)]
pub struct Seeded {
    pub owner_token: String,
    /// Monday 00:00 UTC of the seeded week.
    pub monday: chrono::NaiveDate,
}

/// Replaces the demo file and seeds it (synchronous: call outside a runtime).
pub fn prepare(file: &Path, writes: &WriteArgs) -> Result<(Engine, Seeded), String> {
    if file.is_absolute() || file.components().any(|c| matches!(c, std::path::Component::ParentDir)) {
        return Err(format!("the demo file must stay under the working directory: {}", file.display()));
    }
    for suffix in ["", "-wal", "-shm"] {
        let mut path = file.as_os_str().to_owned();
        path.push(suffix);
        match std::fs::remove_file(&path) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(format!("cannot replace {}: {e}", Path::new(&path).display())),
        }
    }
    let url = format!("sqlite://{}", file.display());
    let fail = |e: holdfast::Error| format!("seeding the demo failed: {}: {e}", e.code());
    let engine = writes
        .apply(Engine::builder().url(url))
        .open()
        .map_err(|e| format!("cannot open the demo store: {}: {e}", e.code()))?;
    let seeded = seed(&engine).map_err(fail)?;
    Ok((engine, seeded))
}

/// Serves the seeded engine, printing the key and examples once listening.
pub async fn serve(engine: Engine, file: String, seeded: Seeded, options: HttpOptions) -> Result<(), String> {
    let listener =
        TcpListener::bind(options.listen).await.map_err(|e| format!("cannot listen on {}: {e}", options.listen))?;
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    serve_on(listener, engine, options, move || print_intro(&file, addr, &seeded)).await
}

fn print_intro(file: &str, addr: SocketAddr, seeded: &Seeded) {
    let host = if addr.ip().is_unspecified() { SocketAddr::from(([127, 0, 0, 1], addr.port())) } else { addr };
    let base = format!("http://{host}/api/v1");
    let key = &seeded.owner_token;
    let day = |offset: i64, time: &str| format!("{}T{time}Z", seeded.monday + Days::days(offset));
    println!("Holdfast demo: tenant {TENANT:?} seeded in {file} (replaced on every run).");
    println!("Artists ada (Berlin), kenji (Tokyo), maria (New York), room studio-a; bookings in every state.");
    println!();
    println!("Owner key (shown once): {key}");
    println!();
    println!("# 1. The artists");
    println!("curl -s {base}/artists -H 'Authorization: Bearer {key}'");
    println!();
    println!("# 2. Hold Ada for two hours on Friday (30 min hold; repeat it: the same booking comes back)");
    println!(
        "curl -s -X POST {base}/bookings -H 'Authorization: Bearer {key}' -H 'Content-Type: application/json' \
         -H 'Idempotency-Key: demo-1' -d '{{\"resource_id\": \"ada\", \"start\": \"{}\", \"end\": \"{}\", \
         \"status\": \"hold\", \"hold_ttl_ms\": 1800000}}'",
        day(4, "10:00:00"),
        day(4, "12:00:00"),
    );
    println!();
    println!("# 3. Two free hours of any animator that week");
    println!(
        "curl -s -X POST {base}/slots/search -H 'Authorization: Bearer {key}' -H 'Content-Type: application/json' \
         -d '{{\"tag\": \"animator\", \"start\": \"{}\", \"end\": \"{}\", \"duration_ms\": 7200000, \"limit\": 5}}'",
        day(0, "00:00:00"),
        day(5, "00:00:00"),
    );
    println!();
    println!(
        "OpenAPI: {base}/openapi.json   Live events: curl -N {base}/events -H 'Accept: text/event-stream' -H 'Authorization: Bearer …'"
    );
    println!("Serving on http://{host} until Ctrl-C.");
}

fn at(date: chrono::NaiveDate, hour: u32) -> holdfast::Result<Timestamp> {
    let instant = date.and_hms_opt(hour, 0, 0).map(|t| t.and_utc());
    instant
        .map(Timestamp::from)
        .ok_or_else(|| holdfast::Error::Internal { message: format!("demo time {date} {hour}:00 is invalid") })
}

fn hours(days: &[Weekday], start: &str, end: &str) -> holdfast::Result<Vec<WeeklyHours>> {
    days.iter().map(|&weekday| Ok(WeeklyHours { weekday, start: start.parse()?, end: end.parse()? })).collect()
}

fn artist(t: &Tenant, id: &str, name: &str, timezone: &str, tags: &[&str]) -> holdfast::Result<()> {
    t.create_resource(NewResource {
        id: Some(id.into()),
        name: name.into(),
        kind: "artist".into(),
        timezone: timezone.into(),
        tags: tags.iter().map(|s| (*s).to_owned()).collect(),
        ..Default::default()
    })?;
    Ok(())
}

/// Seeds the studio: three artists in three time zones with working hours,
/// a room, a project, and bookings in every state. Times lie inside each
/// artist's hours whatever the daylight-saving season.
pub fn seed(engine: &Engine) -> holdfast::Result<Seeded> {
    use Weekday::{Friday, Monday, Thursday, Tuesday, Wednesday};
    engine.create_tenant(TENANT, "Demo Studio")?;
    let t = engine.tenant(TENANT)?.as_actor("demo")?;
    let weekdays = [Monday, Tuesday, Wednesday, Thursday, Friday];

    artist(&t, "ada", "Ada Lovelace", "Europe/Berlin", &["animator", "storyboard"])?;
    artist(&t, "kenji", "Kenji Sato", "Asia/Tokyo", &["animator", "compositor"])?;
    artist(&t, "maria", "Maria Souza", "America/New_York", &["editor"])?;
    t.create_resource(NewResource {
        id: Some("studio-a".into()),
        name: "Studio A".into(),
        kind: "room".into(),
        capacity: 2,
        timezone: "Europe/Berlin".into(),
        buffer_after: TimeDelta::minutes(15),
        ..Default::default()
    })?;
    let rules = |policy, weekly| AvailabilityRules { policy, weekly, overrides: Vec::new() };
    t.set_availability("ada", rules(Policy::Strict, hours(&weekdays, "09:00", "18:00")?), None)?;
    t.set_availability("kenji", rules(Policy::Advisory, hours(&weekdays, "10:00", "19:00")?), None)?;
    t.set_availability("maria", rules(Policy::Advisory, hours(&weekdays[..4], "08:00", "16:00")?), None)?;
    t.create_project(NewProject {
        id: Some("spring-campaign".into()),
        name: "Spring campaign".into(),
        ..Default::default()
    })?;

    // Next week's Monday, so every booking is in the future.
    let today = Utc::now().date_naive();
    let monday = today + Days::days(7 - i64::from(today.weekday().num_days_from_monday()));
    let day = |offset: i64| monday + Days::days(offset);
    let booking = |resource: &str, date, from, to, status| -> holdfast::Result<NewBooking> {
        Ok(NewBooking {
            resource_id: resource.into(),
            project_id: Some("spring-campaign".into()),
            start: at(date, from)?,
            end: at(date, to)?,
            status,
            ..Default::default()
        })
    };
    // UTC hours inside the artists' days: Berlin 10–13, Tokyo 02–05, New York 14–17.
    t.create_booking(NewBooking {
        title: Some("Storyboard review".into()),
        ..booking("ada", day(0), 10, 13, Status::Confirmed)?
    })?;
    t.create_booking(NewBooking {
        title: Some("Key animation".into()),
        ..booking("kenji", day(0), 2, 5, Status::Pencil)?
    })?;
    t.create_booking(NewBooking {
        title: Some("Rough cut".into()),
        hold_ttl: Some(TimeDelta::days(1)),
        ..booking("maria", day(0), 14, 17, Status::Hold)?
    })?;
    let cancelled = t.create_booking(booking("ada", day(1), 10, 13, Status::Pencil)?)?;
    t.cancel(&cancelled.id, Some(cancelled.version))?;
    let declined = t.create_booking(booking("kenji", day(1), 2, 5, Status::Hold)?)?;
    t.decline(&declined.id, Some(declined.version))?;
    let expiring = t.create_booking(NewBooking {
        hold_ttl: Some(TimeDelta::milliseconds(1)),
        ..booking("maria", day(1), 14, 17, Status::Hold)?
    })?;
    std::thread::sleep(std::time::Duration::from_millis(5));
    engine.sweep_expired()?;
    let expired = t.get_booking(&expiring.id)?;
    debug_assert_eq!(expired.status, Status::Expired);
    let moved = t.create_booking(NewBooking {
        title: Some("Colour grade".into()),
        ..booking("ada", day(2), 10, 13, Status::Hold)?
    })?;
    let moved = t.reschedule(
        &moved.id,
        Reschedule { start: at(day(3), 10)?, end: at(day(3), 13)?, resource_id: None },
        Some(moved.version),
    )?;
    let moved = t.extend_hold(&moved.id, HoldExpiry::Ttl(TimeDelta::days(2)), Some(moved.version))?;
    t.confirm(&moved.id, Some(moved.version))?;
    t.create_booking(NewBooking { quantity: 2, ..booking("studio-a", day(2), 9, 11, Status::Confirmed)? })?;

    let owner = t.create_api_key(NewApiKey { role: Role::Owner, resource_id: None, name: "demo owner".into() })?;
    Ok(Seeded { owner_token: owner.token, monday })
}
