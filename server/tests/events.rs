//! The event feed: JSON pages, and SSE that delivers live events and
//! resumes after `Last-Event-ID` with exactly the missed ones.

mod common;

use std::time::Duration;

use axum::body::Body;
use axum::http::{Request, header};
use common::{Fixture, id};
use holdfast_server::Settings;
use http_body_util::BodyExt;
use serde_json::Value;
use tower::ServiceExt;

#[tokio::test]
async fn json_pages_follow_the_log_by_cursor() {
    let f = Fixture::new();
    for day in 1..=3 {
        f.book("room", &format!("2026-12-0{day}T09:00:00Z"), &format!("2026-12-0{day}T10:00:00Z"), "pencil").await;
    }
    let mut seqs = Vec::new();
    let mut uri = "/api/v1/events?limit=2".to_owned();
    loop {
        let r = f.get(&f.viewer, &uri).await;
        r.expect(200);
        seqs.extend(r.data().as_array().expect("events").iter().map(|e| e["seq"].as_i64().expect("seq")));
        match r.body["meta"]["next_cursor"].as_str() {
            Some(c) => uri = format!("/api/v1/events?limit=2&cursor={c}"),
            None => break,
        }
    }
    assert!(seqs.len() >= 3 + 4, "tenant, resources, project and three bookings: {seqs:?}");
    assert!(seqs.windows(2).all(|w| w[1] == w[0] + 1), "gap-free and ascending: {seqs:?}");
    let since = f.get(&f.viewer, &format!("/api/v1/events?since={}", seqs[seqs.len() - 2])).await;
    assert_eq!(since.data().as_array().map(Vec::len), Some(1));
    assert_eq!(since.data()[0]["type"], "created");
    f.get(&f.viewer, "/api/v1/events?since=1&cursor=2").await.expect_error(400, "INVALID_INPUT");
    f.get(&f.viewer, "/api/v1/events?since=-1").await.expect_error(400, "INVALID_INPUT");
}

/// One SSE event as received.
#[derive(Debug)]
struct Sse {
    id: i64,
    event: String,
    data: Value,
}

struct Stream {
    body: Body,
    buffer: String,
    comments: usize,
}

impl Stream {
    async fn open(f: &Fixture, key: &str, last_event_id: Option<i64>, query: &str) -> Stream {
        let mut request = Request::builder()
            .uri(format!("/api/v1/events{query}"))
            .header(header::AUTHORIZATION, format!("Bearer {key}"))
            .header(header::ACCEPT, "text/event-stream");
        if let Some(seq) = last_event_id {
            request = request.header("Last-Event-ID", seq.to_string());
        }
        let response = f.app.clone().oneshot(request.body(Body::empty()).expect("request")).await.expect("response");
        assert_eq!(response.status(), 200);
        assert!(response.headers()[header::CONTENT_TYPE].to_str().unwrap_or("").starts_with("text/event-stream"));
        Stream { body: response.into_body(), buffer: String::new(), comments: 0 }
    }

    /// The next event within `wait`, skipping keep-alive comments; `None`
    /// on time-out or when the stream ends.
    async fn next(&mut self, wait: Duration) -> Option<Sse> {
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            while let Some(end) = self.buffer.find("\n\n") {
                let block: String = self.buffer.drain(..end + 2).collect();
                let (mut id, mut event, mut data) = (None, String::new(), String::new());
                for line in block.lines() {
                    if let Some(v) = line.strip_prefix("id:") {
                        id = v.trim().parse().ok();
                    } else if let Some(v) = line.strip_prefix("event:") {
                        event = v.trim().to_owned();
                    } else if let Some(v) = line.strip_prefix("data:") {
                        data.push_str(v.trim_start());
                    } else if line.starts_with(':') {
                        self.comments += 1;
                    }
                }
                if let Some(id) = id {
                    return Some(Sse { id, event, data: serde_json::from_str(&data).expect("event json") });
                }
            }
            let frame = tokio::time::timeout_at(deadline, self.body.frame()).await.ok()??.ok()?;
            if let Ok(bytes) = frame.into_data() {
                self.buffer.push_str(&String::from_utf8_lossy(&bytes));
            }
        }
    }
}

const WAIT: Duration = Duration::from_secs(5);
const QUIET: Duration = Duration::from_millis(300);

#[tokio::test]
async fn a_connected_client_receives_new_events_and_a_reconnect_gets_exactly_the_missed_ones() {
    let f = Fixture::with_settings(Settings { rate_limit_per_s: None, ..Settings::default() });
    let backlog = f.get(&f.viewer, "/api/v1/events?limit=1000").await;
    let last = backlog.data().as_array().and_then(|a| a.last()).and_then(|e| e["seq"].as_i64()).expect("seq");

    let mut stream = Stream::open(&f, &f.viewer, Some(last), "").await;
    let b = f.book("ada", "2026-12-01T09:00:00Z", "2026-12-01T10:00:00Z", "hold").await;
    let got = stream.next(WAIT).await.expect("the created event");
    assert_eq!((got.id, got.event.as_str()), (last + 1, "created"));
    assert_eq!(got.data["booking_id"], b["id"]);
    assert_eq!(got.data["seq"], last + 1);
    drop(stream);

    // Missed while disconnected: a confirm and another booking.
    f.post(&f.owner, &format!("/api/v1/bookings/{}/confirm", id(&b)), serde_json::json!({})).await.expect(200);
    f.book("bob", "2026-12-01T09:00:00Z", "2026-12-01T10:00:00Z", "pencil").await;

    let mut stream = Stream::open(&f, &f.viewer, Some(last + 1), "?since=0").await;
    let first = stream.next(WAIT).await.expect("missed 1");
    let second = stream.next(WAIT).await.expect("missed 2");
    assert_eq!((first.id, first.event.as_str()), (last + 2, "confirmed"));
    assert_eq!((second.id, second.event.as_str()), (last + 3, "created"));
    assert!(stream.next(QUIET).await.is_none(), "nothing beyond the missed events");

    // And live again after the catch-up.
    f.book("room", "2026-12-01T09:00:00Z", "2026-12-01T10:00:00Z", "pencil").await;
    let live = stream.next(WAIT).await.expect("live");
    assert_eq!(live.id, last + 4);
}

#[tokio::test]
async fn events_written_by_another_process_arrive_through_the_log() {
    let dir = tempfile::tempdir().expect("tempdir");
    let url = format!("sqlite://{}", dir.path().join("shared.db").display());
    let settings = Settings { rate_limit_per_s: None, events_poll: Duration::from_millis(50), ..Settings::default() };
    let f = Fixture::build(settings, &url);
    let mut stream = Stream::open(&f, &f.viewer, None, "").await;
    let mut last = 0;
    while let Some(e) = stream.next(QUIET).await {
        last = e.id;
    }
    assert!(last > 0, "the backlog streams from the start");
    // Another engine on the same file (as another server process would
    // be): its commits never reach this process's hub, only the log.
    let other = holdfast::Engine::open(&url).expect("second engine");
    let t = other.tenant("acme").expect("tenant");
    t.create_project(holdfast::NewProject { id: Some("p2".into()), name: "P2".into(), ..Default::default() })
        .expect("project");
    let got = stream.next(WAIT).await.expect("event");
    assert_eq!((got.id, got.event.as_str()), (last + 1, "project_created"));
    assert_eq!(got.data["tenant_id"], "acme");
}

#[tokio::test]
async fn keep_alives_flow_and_shutdown_ends_the_stream() {
    let f = Fixture::with_settings(Settings {
        rate_limit_per_s: None,
        sse_keep_alive: Duration::from_millis(50),
        ..Settings::default()
    });
    let mut stream = Stream::open(&f, &f.viewer, Some(1_000_000), "").await;
    assert!(stream.next(Duration::from_millis(400)).await.is_none());
    assert!(stream.comments >= 2, "keep-alive comments: {}", stream.comments);
    f.state.begin_shutdown();
    let ended = tokio::time::timeout(WAIT, async {
        loop {
            match stream.body.frame().await {
                None => return true,
                Some(_) => continue,
            }
        }
    })
    .await;
    assert_eq!(ended, Ok(true), "the stream ends when the server stops");
}

#[tokio::test]
async fn stream_requests_are_checked_like_any_other() {
    let f = Fixture::new();
    let request = |key: &str, extra: (&str, &str)| {
        Request::builder()
            .uri("/api/v1/events")
            .header(header::AUTHORIZATION, format!("Bearer {key}"))
            .header(header::ACCEPT, "text/event-stream")
            .header(extra.0, extra.1)
            .body(Body::empty())
            .expect("request")
    };
    f.send(request(&f.viewer, ("Last-Event-ID", "abc"))).await.expect_error(400, "INVALID_INPUT");
    f.send(request(&f.ada_key, ("X-Any", "1"))).await.expect_error(403, "FORBIDDEN");
    f.send(request("nope", ("X-Any", "1"))).await.expect_error(401, "UNAUTHENTICATED");
}
