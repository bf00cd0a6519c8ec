//! Malformed requests: every one is 400 `INVALID_INPUT` naming the field
//! (or 413, 404, 405), with the error envelope; never a 500.

mod common;

use axum::body::Body;
use axum::http::{Method, Request, header};
use common::Fixture;
use serde_json::json;

const BOOKINGS: &str = "/api/v1/bookings";

/// (body, field named) for `POST /bookings`.
const BAD_BOOKINGS: &[(&str, &str)] = &[
    (r#"{"resource_id": "ada", "start": "#, "body"),
    (r#"{"resource_id": "ada", "start": "2026-12-01T09:00:00Z", "end": "2026-12-01T10:00:00Z"} trailing"#, "body"),
    ("[1, 2]", "body"),
    ("", "body"),
    (r#"{"resource_id": 7, "start": "2026-12-01T09:00:00Z", "end": "2026-12-01T10:00:00Z"}"#, "resource_id"),
    (r#"{"resource_id": "ada", "end": "2026-12-01T10:00:00Z"}"#, "start"),
    (r#"{"resource_id": "ada", "start": "2026-12-01T09:00:00", "end": "2026-12-01T10:00:00Z"}"#, "start"),
    (r#"{"resource_id": "ada", "start": "tomorrow", "end": "2026-12-01T10:00:00Z"}"#, "start"),
    (
        r#"{"resource_id": "ada", "start": "2026-12-01T09:00:00Z", "end": "2026-12-01T10:00:00Z", "quantity": "two"}"#,
        "quantity",
    ),
    (
        r#"{"resource_id": "ada", "start": "2026-12-01T09:00:00Z", "end": "2026-12-01T10:00:00Z", "quantity": -1}"#,
        "quantity",
    ),
    (
        r#"{"resource_id": "ada", "start": "2026-12-01T09:00:00Z", "end": "2026-12-01T10:00:00Z", "quantity": 0}"#,
        "quantity",
    ),
    (
        r#"{"resource_id": "ada", "start": "2026-12-01T09:00:00Z", "end": "2026-12-01T10:00:00Z", "status": "maybe"}"#,
        "status",
    ),
    (
        r#"{"resource_id": "ada", "start": "2026-12-01T09:00:00Z", "end": "2026-12-01T10:00:00Z", "status": "cancelled"}"#,
        "status",
    ),
    (
        r#"{"resource_id": "ada", "start": "2026-12-01T09:00:00Z", "end": "2026-12-01T10:00:00Z", "hold_ttl": 5}"#,
        "hold_ttl",
    ),
    (
        r#"{"resource_id": "ada", "start": "2026-12-01T09:00:00Z", "end": "2026-12-01T10:00:00Z", "hold_ttl_ms": 1.5}"#,
        "hold_ttl_ms",
    ),
    (
        r#"{"resource_id": "ada", "start": "2026-12-01T09:00:00Z", "end": "2026-12-01T10:00:00Z", "status": "pencil", "hold_ttl_ms": 5}"#,
        "hold_ttl_ms",
    ),
    (
        r#"{"resource_id": "ada", "start": "2026-12-01T09:00:00Z", "end": "2026-12-01T10:00:00Z", "metadata": [1]}"#,
        "metadata",
    ),
    (r#"{"resource_id": "ada", "start": "2026-12-01T10:00:00Z", "end": "2026-12-01T09:00:00Z"}"#, "end"),
    (r#"{"resource_id": "a/b", "start": "2026-12-01T09:00:00Z", "end": "2026-12-01T10:00:00Z"}"#, "resource_id"),
];

#[tokio::test]
async fn malformed_bookings_name_the_field() {
    let f = Fixture::new();
    for (body, field) in BAD_BOOKINGS {
        let r = f.raw(Method::POST, BOOKINGS, &f.owner, body).await;
        assert_eq!(r.status.as_u16(), 400, "{body} -> {}", r.text);
        assert_eq!(r.code(), "INVALID_INPUT", "{body} -> {}", r.text);
        assert_eq!(r.field(), *field, "{body} -> {}", r.text);
        assert!(r.body["error"]["message"].as_str().is_some_and(|m| !m.is_empty()));
    }
}

#[tokio::test]
async fn nested_fields_are_named_by_their_path() {
    let f = Fixture::new();
    let r = f
        .raw(
            Method::POST,
            "/api/v1/bookings/batch",
            &f.owner,
            r#"{"items": [{"resource_id": "ada", "start": "2026-12-01T09:00:00Z", "end": "2026-12-01T10:00:00Z"},
                          {"resource_id": "ada", "start": "2026-12-01T09:00:00Z", "end": false}]}"#,
        )
        .await;
    r.expect_error(400, "INVALID_INPUT");
    assert_eq!(r.field(), "items[1].end");
    let r = f
        .raw(
            Method::POST,
            "/api/v1/bookings/batch",
            &f.owner,
            r#"{"items": [{"resource_id": "ada", "start": "2026-12-01T09:00:00Z"}]}"#,
        )
        .await;
    assert_eq!(r.field(), "items[0].end", "{}", r.text);
    let r = f
        .put(
            &f.owner,
            "/api/v1/resources/ada/availability-rules",
            json!({"weekly": [{"weekday": "monday", "start": "09:00", "end": "18:00"}, {"weekday": "funday", "start": "09:00", "end": "18:00"}]}),
        )
        .await;
    r.expect_error(400, "INVALID_INPUT");
    assert_eq!(r.field(), "weekly[1].weekday");
    let r = f
        .put(
            &f.owner,
            "/api/v1/resources/ada/availability-rules",
            json!({"weekly": [{"weekday": "monday", "start": "9am", "end": "18:00"}]}),
        )
        .await;
    assert_eq!(r.field(), "weekly[0].start", "{}", r.text);
}

#[tokio::test]
async fn resource_durations_are_milliseconds_and_errors_say_so() {
    let f = Fixture::new();
    let r = f.post(&f.owner, "/api/v1/resources", json!({"name": "Cam", "buffer_after_ms": 900_000})).await;
    r.expect(201);
    assert_eq!(r.data()["buffer_after_ms"], 900_000);
    let r = f.post(&f.owner, "/api/v1/resources", json!({"name": "Cam2", "buffer_before_ms": -1})).await;
    r.expect_error(400, "INVALID_INPUT");
    assert_eq!(r.field(), "buffer_before_ms");
    let r =
        f.post(&f.owner, "/api/v1/resources", json!({"name": "Cam3", "buffer_before_ms": 30 * 86_400_000_i64})).await;
    r.expect_error(400, "LIMIT_EXCEEDED");
    assert_eq!(r.field(), "buffer_before_ms");
    assert_eq!(r.body["error"]["details"]["max"], 7 * 86_400_000_i64, "limits in the wire's unit");
    let r = f.post(&f.owner, "/api/v1/resources", json!({"name": "Cam4", "buffer_before_us": 5})).await;
    assert_eq!(r.field(), "buffer_before_us");
    let r = f.post(&f.owner, "/api/v1/resources", json!({"name": "", "timezone": "Mars/Base"})).await;
    r.expect_error(400, "INVALID_INPUT");
    let r = f.post(&f.owner, "/api/v1/resources", json!({"name": "Big", "capacity": 1_000_000})).await;
    r.expect_error(400, "LIMIT_EXCEEDED");
    assert_eq!(r.field(), "capacity");
}

#[tokio::test]
async fn a_body_over_one_mebibyte_is_413_with_the_envelope() {
    let f = Fixture::new();
    let big = format!(r#"{{"resource_id": "ada", "notes": "{}"}}"#, "x".repeat(holdfast::limits::HTTP_BODY_MAX_BYTES));
    let r = f.raw(Method::POST, BOOKINGS, &f.owner, &big).await;
    r.expect_error(413, "LIMIT_EXCEEDED");
    assert_eq!(r.field(), "body");
    // Just under the limit is read (and judged by the core: notes too long).
    let notes = "x".repeat(10_001);
    let r = f
        .post(&f.owner, BOOKINGS, json!({"resource_id": "ada", "start": "2026-12-01T09:00:00Z", "end": "2026-12-01T10:00:00Z", "notes": notes}))
        .await;
    r.expect_error(400, "LIMIT_EXCEEDED");
    assert_eq!(r.field(), "notes");
}

#[tokio::test]
async fn a_non_json_content_type_is_refused() {
    let f = Fixture::new();
    let request = Request::builder()
        .method(Method::POST)
        .uri(BOOKINGS)
        .header(header::AUTHORIZATION, format!("Bearer {}", f.owner))
        .header(header::CONTENT_TYPE, "text/plain")
        .body(Body::from("{}"))
        .expect("request");
    let r = f.send(request).await;
    r.expect_error(400, "INVALID_INPUT");
    assert_eq!(r.field(), "content-type");
}

#[tokio::test]
async fn unknown_routes_and_methods_have_the_envelope() {
    let f = Fixture::new();
    f.get(&f.owner, "/api/v1/nothing").await.expect_error(404, "NOT_FOUND");
    f.get(&f.owner, "/").await.expect_error(404, "NOT_FOUND");
    let r = f.call(Method::PUT, BOOKINGS, Some(&f.owner), Some(&json!({})), &[]).await;
    r.expect_error(405, "INVALID_INPUT");
    assert_eq!(r.field(), "method");
}

#[tokio::test]
async fn query_strings_name_the_parameter() {
    let f = Fixture::new();
    for (uri, field) in [
        ("/api/v1/resources/ada/availability?start=2026-12-01T00:00:00Z", "end"),
        ("/api/v1/resources/ada/availability?start=yesterday&end=2026-12-01T00:00:00Z", "start"),
        ("/api/v1/resources/ada/availability?start=2026-12-01T00:00:00&end=2026-12-02T00:00:00Z", "start"),
        ("/api/v1/resources?limit=-3", "limit"),
        ("/api/v1/resources?limit=0", "limit"),
        ("/api/v1/resources?page=2", "page"),
        ("/api/v1/events?since=abc", "since"),
        ("/api/v1/events?cursor=abc", "cursor"),
        ("/api/v1/reports/utilization?start=2026-12-01T00:00:00Z&end=2026-12-02T00:00:00Z&group_by=week", "group_by"),
    ] {
        let r = f.get(&f.owner, uri).await;
        assert_eq!((r.status.as_u16(), r.code(), r.field()), (400, "INVALID_INPUT", field), "{uri} -> {}", r.text);
    }
    let r =
        f.get(&f.owner, "/api/v1/resources/ada/availability?start=2026-12-01T00:00:00Z&end=2028-12-01T00:00:00Z").await;
    r.expect_error(400, "LIMIT_EXCEEDED");
}
