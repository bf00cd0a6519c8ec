//! Bookings over HTTP: create (idempotent, batch), read, list with cursor,
//! PATCH with If-Match, DELETE, the actions, history; every error code the
//! booking routes answer.

mod common;

use axum::http::Method;
use chrono::TimeDelta;
use common::{Fixture, id};
use serde_json::json;

const START: &str = "2026-12-01T09:00:00Z";
const END: &str = "2026-12-01T17:00:00Z";

#[tokio::test]
async fn create_answers_201_with_location_etag_and_the_wire_shape() {
    let f = Fixture::new();
    let r = f
        .call(
            Method::POST,
            "/api/v1/bookings",
            Some(&f.owner),
            Some(&json!({"resource_id": "ada", "start": "2026-12-01T10:00:00+01:00", "end": END,
                         "status": "hold", "hold_ttl_ms": 1_800_000, "title": "Shoot", "project_id": "film"})),
            &[],
        )
        .await;
    r.expect(201);
    let b = r.data();
    assert_eq!(r.header("etag"), "\"1\"");
    assert_eq!(r.header("location"), format!("/api/v1/bookings/{}", id(b)));
    assert_eq!(b["start"], "2026-12-01T09:00:00Z", "stored in UTC");
    assert_eq!(b["status"], "hold");
    assert_eq!(b["hold_expires_at"], "2026-11-20T00:30:00Z", "TTL counted from the engine's clock, in ms");
    assert_eq!(b["version"], 1);
    assert_eq!(b["project_id"], "film");
    assert!(r.body["meta"].is_object());
    for field in ["quantity", "notes", "metadata", "created_at", "updated_at", "idempotency_key", "resource_id", "end"]
    {
        assert!(b.get(field).is_some(), "booking lacks {field}: {b}");
    }
}

#[tokio::test]
async fn absent_fields_take_the_cores_defaults() {
    let f = Fixture::new();
    let r = f.post(&f.owner, "/api/v1/bookings", json!({"resource_id": "ada", "start": START, "end": END})).await;
    r.expect(201);
    assert_eq!(r.data()["status"], "hold");
    assert_eq!(r.data()["quantity"], 1);
    assert_eq!(r.data()["hold_expires_at"], "2026-11-20T00:15:00Z", "the engine's default TTL");
}

#[tokio::test]
async fn idempotency_key_replays_the_first_result_and_refuses_another_body() {
    let f = Fixture::new();
    let body = json!({"resource_id": "ada", "start": START, "end": END, "status": "pencil"});
    let k = [("Idempotency-Key", "k1")];
    let first = f.call(Method::POST, "/api/v1/bookings", Some(&f.owner), Some(&body), &k).await;
    first.expect(201);
    assert_eq!(first.data()["idempotency_key"], "k1");
    let again = f.call(Method::POST, "/api/v1/bookings", Some(&f.owner), Some(&body), &k).await;
    again.expect(201);
    assert_eq!(again.data()["id"], first.data()["id"]);

    let other = json!({"resource_id": "bob", "start": START, "end": END, "status": "pencil"});
    f.call(Method::POST, "/api/v1/bookings", Some(&f.owner), Some(&other), &k)
        .await
        .expect_error(409, "IDEMPOTENCY_MISMATCH");

    // Header and body must agree when both are given.
    let both = json!({"resource_id": "bob", "start": START, "end": END, "idempotency_key": "k2"});
    let r = f.call(Method::POST, "/api/v1/bookings", Some(&f.owner), Some(&both), &[("Idempotency-Key", "k3")]).await;
    r.expect_error(400, "INVALID_INPUT");
    assert_eq!(r.field(), "idempotency_key");
}

#[tokio::test]
async fn a_client_id_taken_by_another_body_is_already_exists() {
    let f = Fixture::new();
    let body = json!({"id": "b-1", "resource_id": "ada", "start": START, "end": END, "status": "pencil"});
    f.post(&f.owner, "/api/v1/bookings", body.clone()).await.expect(201);
    f.post(&f.owner, "/api/v1/bookings", body).await.expect(201);
    f.post(&f.owner, "/api/v1/bookings", json!({"id": "b-1", "resource_id": "bob", "start": START, "end": END}))
        .await
        .expect_error(409, "ALREADY_EXISTS");
}

#[tokio::test]
async fn conflict_names_every_booking_in_the_way() {
    let f = Fixture::new();
    let first = f.book("ada", START, END, "confirmed").await;
    let r = f.post(&f.owner, "/api/v1/bookings", json!({"resource_id": "ada", "start": START, "end": END})).await;
    r.expect_error(409, "CONFLICT");
    let conflicts = r.body["error"]["details"]["conflicts"].as_array().expect("conflicts");
    assert_eq!(conflicts.len(), 1);
    assert_eq!(conflicts[0]["id"], first["id"]);
    assert_eq!(conflicts[0]["status"], "confirmed");
}

#[tokio::test]
async fn strict_hours_refuse_with_outside_availability() {
    let f = Fixture::new();
    f.put(
        &f.owner,
        "/api/v1/resources/bob/availability-rules",
        json!({"policy": "strict", "weekly": [{"weekday": "tuesday", "start": "09:00", "end": "12:00"}]}),
    )
    .await
    .expect(200);
    let r = f.post(&f.owner, "/api/v1/bookings", json!({"resource_id": "bob", "start": START, "end": END})).await;
    r.expect_error(409, "OUTSIDE_AVAILABILITY");
    assert!(r.body["error"]["details"]["reasons"].is_array());
}

#[tokio::test]
async fn batch_is_all_or_nothing_and_names_the_failing_item() {
    let f = Fixture::new();
    let items = json!({"items": [
        {"resource_id": "ada", "start": START, "end": END, "status": "pencil"},
        {"resource_id": "bob", "start": START, "end": END, "status": "pencil"},
    ]});
    let r = f.post(&f.owner, "/api/v1/bookings/batch", items).await;
    r.expect(201);
    assert_eq!(r.data().as_array().map(Vec::len), Some(2));

    let clash = json!({"items": [
        {"resource_id": "room", "start": START, "end": END},
        {"resource_id": "ada", "start": START, "end": END},
    ]});
    let r = f.post(&f.owner, "/api/v1/bookings/batch", clash).await;
    r.expect_error(409, "CONFLICT");
    assert_eq!(r.body["error"]["details"]["index"], 1);
    let room = f.get(&f.owner, "/api/v1/resources/room/bookings").await;
    assert_eq!(room.data().as_array().map(Vec::len), Some(0), "nothing of the failed batch was written");

    let bad = json!({"items": [
        {"resource_id": "room", "start": START, "end": END},
        {"resource_id": "room", "start": START, "end": END, "hold_ttl_ms": -5},
    ]});
    let r = f.post(&f.owner, "/api/v1/bookings/batch", bad).await;
    r.expect_error(400, "INVALID_INPUT");
    assert_eq!(r.field(), "items[1].hold_ttl_ms");

    f.call(
        Method::POST,
        "/api/v1/bookings/batch",
        Some(&f.owner),
        Some(&json!({"items": []})),
        &[("Idempotency-Key", "x")],
    )
    .await
    .expect_error(400, "INVALID_INPUT");
}

#[tokio::test]
async fn get_has_an_etag_and_unknown_ids_are_404() {
    let f = Fixture::new();
    let b = f.book("ada", START, END, "pencil").await;
    let r = f.get(&f.viewer, &format!("/api/v1/bookings/{}", id(&b))).await;
    r.expect(200);
    assert_eq!(r.header("etag"), "\"1\"");
    assert_eq!(r.data()["id"], b["id"]);
    f.get(&f.viewer, "/api/v1/bookings/nope").await.expect_error(404, "NOT_FOUND");
    f.get(&f.viewer, "/api/v1/bookings/bad%20id").await.expect_error(400, "INVALID_INPUT");
}

#[tokio::test]
async fn list_filters_and_pages_with_a_cursor() {
    let f = Fixture::new();
    for day in 1..=5 {
        f.book("room", &format!("2026-12-0{day}T09:00:00Z"), &format!("2026-12-0{day}T10:00:00Z"), "pencil").await;
    }
    f.book("ada", START, END, "confirmed").await;

    let mut seen = Vec::new();
    let mut uri = "/api/v1/bookings?resource_id=room&status=pencil,hold&limit=2".to_owned();
    loop {
        let r = f.get(&f.viewer, &uri).await;
        r.expect(200);
        seen.extend(r.data().as_array().expect("list").iter().map(id));
        match r.body["meta"]["next_cursor"].as_str() {
            Some(cursor) => {
                uri = format!("/api/v1/bookings?resource_id=room&status=pencil,hold&limit=2&cursor={cursor}")
            }
            None => break,
        }
    }
    assert_eq!(seen.len(), 5);
    let mut unique = seen.clone();
    unique.dedup();
    assert_eq!(unique.len(), 5);

    let window = f.get(&f.viewer, "/api/v1/bookings?start=2026-12-02T00:00:00Z&end=2026-12-03T00:00:00%2B00:00").await;
    window.expect(200);
    assert_eq!(window.data().as_array().map(Vec::len), Some(1));
    // A `+` offset arrives as a space once decoded; it is read back as `+`.
    let plus = f.get(&f.viewer, "/api/v1/bookings?start=2026-12-02T01:00:00+01:00&end=2026-12-03T00:00:00Z").await;
    assert_eq!(plus.data().as_array().map(Vec::len), Some(1), "{}", plus.text);

    let confirmed = f.get(&f.viewer, "/api/v1/bookings?status=confirmed").await;
    assert_eq!(confirmed.data().as_array().map(Vec::len), Some(1));
    let by_project = f.get(&f.viewer, "/api/v1/projects/film/bookings").await;
    by_project.expect(200);

    let r = f.get(&f.viewer, "/api/v1/bookings?status=nope").await;
    r.expect_error(400, "INVALID_INPUT");
    assert_eq!(r.field(), "status");
    let r = f.get(&f.viewer, "/api/v1/bookings?start=2026-12-02T00:00:00Z").await;
    r.expect_error(400, "INVALID_INPUT");
    let r = f.get(&f.viewer, "/api/v1/bookings?limit=5000").await;
    r.expect_error(400, "LIMIT_EXCEEDED");
    let r = f.get(&f.viewer, "/api/v1/bookings?limit=many").await;
    r.expect_error(400, "INVALID_INPUT");
    assert_eq!(r.field(), "limit");
    let r = f.get(&f.viewer, "/api/v1/bookings?from=2026-12-02T00:00:00Z").await;
    r.expect_error(400, "INVALID_INPUT");
    assert_eq!(r.field(), "from");
    let r = f.get(&f.viewer, "/api/v1/bookings?cursor=garbage").await;
    r.expect_error(400, "INVALID_INPUT");
    assert_eq!(r.field(), "cursor");
}

#[tokio::test]
async fn patch_reschedules_with_if_match_and_412_on_a_stale_version() {
    let f = Fixture::new();
    let b = f.book("ada", START, END, "pencil").await;
    let uri = format!("/api/v1/bookings/{}", id(&b));
    let to = json!({"start": "2026-12-02T09:00:00Z", "end": "2026-12-02T17:00:00Z", "resource_id": "bob"});

    let r = f.patch(&f.owner, &uri, to.clone(), &[("If-Match", "\"7\"")]).await;
    r.expect_error(412, "VERSION_MISMATCH");
    assert_eq!(r.body["error"]["details"]["current_version"], 1);

    let r = f.patch(&f.owner, &uri, to.clone(), &[("If-Match", "\"1\"")]).await;
    r.expect(200);
    assert_eq!(r.data()["resource_id"], "bob");
    assert_eq!(r.header("etag"), "\"2\"");

    let r = f.patch(&f.owner, &uri, json!({"start": START, "end": END, "expected_version": 1}), &[]).await;
    r.expect_error(412, "VERSION_MISMATCH");
    let r = f
        .patch(&f.owner, &uri, json!({"start": START, "end": END, "expected_version": 2}), &[("If-Match", "\"3\"")])
        .await;
    r.expect_error(400, "INVALID_INPUT");
    let r = f.patch(&f.owner, &uri, to, &[("If-Match", "W/\"1\"")]).await;
    r.expect_error(400, "INVALID_INPUT");
    assert_eq!(r.field(), "If-Match");

    // Into another booking: CONFLICT.
    f.book("ada", "2026-12-03T09:00:00Z", "2026-12-03T17:00:00Z", "confirmed").await;
    let r = f
        .patch(
            &f.owner,
            &uri,
            json!({"start": "2026-12-03T10:00:00Z", "end": "2026-12-03T11:00:00Z", "resource_id": "ada"}),
            &[],
        )
        .await;
    r.expect_error(409, "CONFLICT");
    let r = f.patch(&f.owner, "/api/v1/bookings/nope", json!({"start": START, "end": END}), &[]).await;
    r.expect_error(404, "NOT_FOUND");
}

#[tokio::test]
async fn delete_cancels_and_terminal_bookings_refuse_actions() {
    let f = Fixture::new();
    let b = f.book("ada", START, END, "confirmed").await;
    let uri = format!("/api/v1/bookings/{}", id(&b));
    f.delete(&f.owner, &uri, &[("If-Match", "\"9\"")]).await.expect_error(412, "VERSION_MISMATCH");
    let r = f.delete(&f.owner, &uri, &[("If-Match", "\"1\"")]).await;
    r.expect(200);
    assert_eq!(r.data()["status"], "cancelled");
    f.delete(&f.owner, &uri, &[]).await.expect_error(409, "INVALID_TRANSITION");
    f.post(&f.owner, &format!("{uri}/confirm"), json!({})).await.expect_error(409, "INVALID_TRANSITION");
    // Capacity is free again.
    f.book("ada", START, END, "confirmed").await;
}

#[tokio::test]
async fn actions_walk_the_state_machine() {
    let f = Fixture::new();
    let b = f.book("ada", START, END, "hold").await;
    let uri = format!("/api/v1/bookings/{}", id(&b));

    let r = f.post(&f.owner, &format!("{uri}/extend"), json!({"hold_ttl_ms": 3_600_000})).await;
    r.expect(200);
    assert_eq!(r.data()["hold_expires_at"], "2026-11-20T01:00:00Z");
    let r = f
        .post(
            &f.owner,
            &format!("{uri}/extend"),
            json!({"hold_expires_at": "2026-11-21T00:00:00Z", "expected_version": 2}),
        )
        .await;
    r.expect(200);
    assert_eq!(r.data()["hold_expires_at"], "2026-11-21T00:00:00Z");
    let r = f
        .post(&f.owner, &format!("{uri}/extend"), json!({"hold_ttl_ms": 1, "hold_expires_at": "2026-11-21T00:00:00Z"}))
        .await;
    r.expect_error(400, "INVALID_INPUT");
    let r = f.post(&f.owner, &format!("{uri}/extend"), json!({"hold_ttl_ms": 999_999_999_999_i64})).await;
    r.expect_error(400, "LIMIT_EXCEEDED");
    assert_eq!(r.field(), "hold_ttl_ms");

    // No body at all is fine for actions.
    let r = f.call(Method::POST, &format!("{uri}/pencil"), Some(&f.owner), None, &[("If-Match", "\"3\"")]).await;
    r.expect(200);
    assert_eq!(r.data()["status"], "pencil");
    assert_eq!(r.data()["hold_expires_at"], serde_json::Value::Null);
    f.post(&f.owner, &format!("{uri}/extend"), json!({})).await.expect_error(409, "INVALID_TRANSITION");
    f.post(&f.owner, &format!("{uri}/pencil"), json!({})).await.expect_error(409, "INVALID_TRANSITION");
    let r = f.post(&f.owner, &format!("{uri}/confirm"), json!({"expected_version": 4})).await;
    r.expect(200);
    assert_eq!(r.data()["status"], "confirmed");
    f.post(&f.owner, &format!("{uri}/decline"), json!({})).await.expect_error(409, "INVALID_TRANSITION");
    let r = f.post(&f.owner, &format!("{uri}/cancel"), json!({})).await;
    r.expect(200);
    assert_eq!(r.data()["status"], "cancelled");

    let d = f.book("bob", START, END, "pencil").await;
    let r = f.post(&f.manager, &format!("/api/v1/bookings/{}/decline", id(&d)), json!({})).await;
    r.expect(200);
    assert_eq!(r.data()["status"], "declined");

    let r = f.get(&f.viewer, &format!("{uri}/history")).await;
    r.expect(200);
    let types: Vec<&str> = r.data().as_array().expect("events").iter().filter_map(|e| e["type"].as_str()).collect();
    assert_eq!(types, ["created", "hold_extended", "hold_extended", "pencilled", "confirmed", "cancelled"]);
    let actor = r.data()[0]["actor"].as_str().unwrap_or("");
    assert!(actor.starts_with("key:"), "events name the key that acted: {actor}");
    f.get(&f.viewer, "/api/v1/bookings/nope/history").await.expect_error(404, "NOT_FOUND");
}

#[tokio::test]
async fn an_expired_hold_answers_hold_expired() {
    let f = Fixture::new();
    let b = f.book("ada", START, END, "hold").await;
    f.advance(TimeDelta::hours(1));
    let r = f.post(&f.owner, &format!("/api/v1/bookings/{}/confirm", id(&b)), json!({})).await;
    r.expect_error(409, "HOLD_EXPIRED");
    let r = f.get(&f.owner, &format!("/api/v1/bookings/{}", id(&b))).await;
    assert_eq!(r.data()["status"], "expired");
}

#[tokio::test]
async fn check_availability_and_slot_search() {
    let f = Fixture::new();
    f.book("bob", "2026-12-01T10:00:00Z", "2026-12-01T11:00:00Z", "confirmed").await;
    let r = f
        .post(
            &f.viewer,
            "/api/v1/bookings/check-availability",
            json!({"resource_id": "bob", "start": "2026-12-01T09:00:00Z", "end": "2026-12-01T12:00:00Z"}),
        )
        .await;
    r.expect(200);
    assert_eq!(r.data()["available"], false);
    assert_eq!(r.data()["reasons"][0]["kind"], "conflict");
    assert_eq!(r.data()["quantity"], 1);

    let r = f
        .post(
            &f.viewer,
            "/api/v1/slots/search",
            json!({"resource_ids": ["bob"], "start": "2026-12-01T10:00:00Z", "end": "2026-12-01T14:00:00Z",
                   "duration_ms": 3_600_000, "limit": 2}),
        )
        .await;
    r.expect(200);
    let slots = r.data().as_array().expect("slots");
    assert_eq!(slots.len(), 2);
    assert_eq!(slots[0]["start"], "2026-12-01T11:00:00Z");
    let r = f
        .post(
            &f.viewer,
            "/api/v1/slots/search",
            json!({"tag": "animator", "start": START, "end": END, "duration_ms": 0}),
        )
        .await;
    r.expect_error(400, "INVALID_INPUT");
    assert_eq!(r.field(), "duration_ms");
    let r = f
        .post(
            &f.viewer,
            "/api/v1/bookings/check-availability",
            json!({"resource_id": "nope", "start": START, "end": END}),
        )
        .await;
    r.expect_error(404, "NOT_FOUND");
}
