//! HTTP requests into the real router: method, a route of the API with ids
//! filled in, headers, a query string and a JSON body, all from bytes, sent
//! with `tower::ServiceExt::oneshot` (no socket) to a fresh in-memory engine
//! seeded with a tenant, two resources, a project, two bookings and keys.
//! No answer may be 5xx; every body is JSON with `data` or `error`.
//!
//! Input: `[method, route, id, flags, query? '\n', body...]`; flags bit 0-1
//! pick the key (owner, viewer, ada's resource key, none), bit 2 sends
//! `If-Match: "1"`, bit 3 an `Idempotency-Key`, bit 4 omits the JSON
//! content type, bit 5 takes a query string up to the first newline.

use axum::Router;
use axum::body::Body;
use axum::http::{Method, Request, Uri, header};
use chrono::TimeDelta;
use holdfast::{Engine, ManualClock, NewApiKey, NewBooking, NewProject, NewResource, Role, Status, Timestamp};
use holdfast_server::{AppState, Settings, router};
use http_body_util::BodyExt;
use tower::ServiceExt;

const T0: &str = "2026-11-20T00:00:00Z";

const METHODS: [Method; 5] = [Method::GET, Method::POST, Method::PUT, Method::PATCH, Method::DELETE];

/// Every JSON route of the API; `{id}` is filled from the ids of its kind.
/// (`/metrics` and the OpenAPI document are not JSON envelopes.)
const ROUTES: [(&str, Kind); 29] = [
    ("/api/v1/resources", Kind::None),
    ("/api/v1/resources/{id}", Kind::Resource),
    ("/api/v1/resources/{id}/bookings", Kind::Resource),
    ("/api/v1/resources/{id}/availability-rules", Kind::Resource),
    ("/api/v1/resources/{id}/availability", Kind::Resource),
    ("/api/v1/artists", Kind::None),
    ("/api/v1/artists/{id}", Kind::Resource),
    ("/api/v1/artists/{id}/bookings", Kind::Resource),
    ("/api/v1/artists/{id}/availability-rules", Kind::Resource),
    ("/api/v1/artists/{id}/availability", Kind::Resource),
    ("/api/v1/projects", Kind::None),
    ("/api/v1/projects/{id}", Kind::Project),
    ("/api/v1/projects/{id}/bookings", Kind::Project),
    ("/api/v1/bookings", Kind::None),
    ("/api/v1/bookings/batch", Kind::None),
    ("/api/v1/bookings/check-availability", Kind::None),
    ("/api/v1/bookings/{id}", Kind::Booking),
    ("/api/v1/bookings/{id}/pencil", Kind::Booking),
    ("/api/v1/bookings/{id}/confirm", Kind::Booking),
    ("/api/v1/bookings/{id}/cancel", Kind::Booking),
    ("/api/v1/bookings/{id}/decline", Kind::Booking),
    ("/api/v1/bookings/{id}/extend", Kind::Booking),
    ("/api/v1/bookings/{id}/history", Kind::Booking),
    ("/api/v1/slots/search", Kind::None),
    ("/api/v1/events", Kind::None),
    ("/api/v1/reports/utilization", Kind::None),
    ("/api/v1/keys", Kind::None),
    ("/api/v1/keys/{id}", Kind::Key),
    ("/readyz", Kind::None),
];

#[derive(Clone, Copy)]
enum Kind {
    None,
    Resource,
    Project,
    Booking,
    Key,
}

/// The seeded state every input starts from.
struct Seeded {
    app: Router,
    tokens: [String; 3],
    key_id: String,
}

fn seed() -> Seeded {
    let clock = ManualClock::new(Timestamp::parse(T0).expect("T0"));
    let engine = Engine::builder().url("sqlite::memory:").clock(clock).open().expect("engine");
    engine.create_tenant("acme", "Acme Studio").expect("tenant");
    let t = engine.tenant("acme").expect("tenant");
    for (id, kind, tz, capacity) in [("ada", "artist", "Europe/Berlin", 1), ("room", "room", "UTC", 2)] {
        let new = NewResource {
            id: Some(id.into()),
            name: id.into(),
            kind: kind.into(),
            timezone: tz.into(),
            capacity,
            ..Default::default()
        };
        t.create_resource(new).expect("resource");
    }
    t.create_project(NewProject { id: Some("film".into()), name: "Film".into(), ..Default::default() })
        .expect("project");
    let day = Timestamp::parse("2026-11-23T09:00:00Z").expect("day");
    let at = |hours: i64| day.checked_add(TimeDelta::hours(hours)).expect("hours");
    for (id, resource, status) in [("b1", "ada", Status::Hold), ("b2", "room", Status::Confirmed)] {
        let new = NewBooking {
            id: Some(id.into()),
            resource_id: resource.into(),
            project_id: Some("film".into()),
            start: at(0),
            end: at(2),
            status,
            ..Default::default()
        };
        t.create_booking(new).expect("booking");
    }
    let key = |role, resource_id: Option<&str>| {
        t.create_api_key(NewApiKey { role, resource_id: resource_id.map(Into::into), name: String::new() })
            .expect("key")
    };
    let owner = key(Role::Owner, None);
    let viewer = key(Role::Viewer, None);
    let ada = key(Role::Resource, Some("ada"));
    let settings = Settings { request_timeout: None, rate_limit_per_s: None, ..Settings::default() };
    let app = router(AppState::new(engine, settings));
    Seeded { app, key_id: viewer.key.id.clone(), tokens: [owner.token, viewer.token, ada.token] }
}

thread_local! {
    static RUNTIME: tokio::runtime::Runtime =
        tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
}

/// One input: the body of the `http_requests` fuzz target.
pub fn fuzz(data: &[u8]) {
    let [m, route, id, flags, rest @ ..] = data else { return };
    let seeded = seed();
    let method = METHODS[usize::from(*m) % METHODS.len()].clone();
    let (template, kind) = ROUTES[usize::from(*route) % ROUTES.len()];
    let ids: &[&str] = match kind {
        Kind::None => &[""],
        Kind::Resource => &["ada", "room", "nope", "b1", "%C3%A9", "a%2Fb"],
        Kind::Project => &["film", "nope", "ada"],
        Kind::Booking => &["b1", "b2", "nope", "film", "%20"],
        Kind::Key => &[seeded.key_id.as_str(), "nope", "b1"],
    };
    let mut path = template.replace("{id}", ids[usize::from(*id) % ids.len()]);
    let body = if flags & 32 != 0 {
        let (query, body) = match rest.iter().position(|&b| b == b'\n') {
            Some(i) => (&rest[..i], &rest[i + 1..]),
            None => (rest, &[][..]),
        };
        path.push('?');
        path.push_str(&encode_query(query));
        body
    } else {
        rest
    };
    let Ok(uri) = path.parse::<Uri>() else { return };

    let mut request = Request::builder().method(method.clone()).uri(uri);
    if let Some(token) = seeded.tokens.get(usize::from(flags & 3)) {
        request = request.header(header::AUTHORIZATION, format!("Bearer {token}"));
    }
    if flags & 4 != 0 {
        request = request.header(header::IF_MATCH, "\"1\"");
    }
    if flags & 8 != 0 {
        request = request.header("idempotency-key", "k1");
    }
    if flags & 16 == 0 && !body.is_empty() {
        request = request.header(header::CONTENT_TYPE, "application/json");
    }
    let request = request.body(Body::from(body.to_vec())).expect("request");

    let (status, bytes) = RUNTIME.with(|rt| {
        rt.block_on(async {
            let response = seeded.app.oneshot(request).await.expect("infallible");
            let status = response.status();
            let bytes = response.into_body().collect().await.expect("body").to_bytes();
            (status, bytes)
        })
    });
    let shown = || format!("{method} {path} flags {flags:#04x} body {:?}", String::from_utf8_lossy(body));
    let text = String::from_utf8_lossy(&bytes);
    if std::env::var_os("HOLDFAST_FUZZ_SHOW").is_some() {
        // To see what seeds do: `HOLDFAST_FUZZ_SHOW=1 cargo fuzz run -s none http_requests <file>`.
        eprintln!("{status} for {}: {text}", shown());
    }
    assert!(!status.is_server_error(), "{status} for {}: {text}", shown());
    let json: serde_json::Value =
        serde_json::from_slice(&bytes).unwrap_or_else(|e| panic!("{status} not JSON ({e}) for {}: {text}", shown()));
    let envelope = json.get("data").is_some() || json["error"]["code"].is_string();
    assert!(envelope, "{status} without data or error for {}: {text}", shown());
}

/// Bytes as a query string: URI-safe bytes as they are, others
/// percent-encoded, so every input makes a valid URI.
fn encode_query(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len());
    for &b in bytes {
        if b.is_ascii_alphanumeric() || b"-._~=&%+:,".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}
