//! Resources (and the `/artists` alias), availability rules, free/busy,
//! projects and the utilization report over HTTP.

mod common;

use common::{Fixture, id};
use serde_json::json;

#[tokio::test]
async fn resources_create_get_list_and_patch_with_if_match() {
    let f = Fixture::new();
    let r = f
        .post(
            &f.manager,
            "/api/v1/resources",
            json!({"id": "cam", "name": "Camera", "kind": "camera", "capacity": 3, "tags": ["4k"], "buffer_before_ms": 600_000}),
        )
        .await;
    r.expect(201);
    assert_eq!(r.header("location"), "/api/v1/resources/cam");
    assert_eq!(r.header("etag"), "\"1\"");
    assert_eq!(r.data()["buffer_before_ms"], 600_000);
    assert_eq!(r.data()["buffer_after_ms"], 0);
    assert_eq!(r.data()["timezone"], "UTC", "the core's default");
    // Same again: the same resource; other fields: ALREADY_EXISTS.
    f.post(&f.manager, "/api/v1/resources", json!({"id": "cam", "name": "Camera", "kind": "camera", "capacity": 3, "tags": ["4k"], "buffer_before_ms": 600_000}))
        .await
        .expect(201);
    f.post(&f.manager, "/api/v1/resources", json!({"id": "cam", "name": "Other"}))
        .await
        .expect_error(409, "ALREADY_EXISTS");

    let r = f.get(&f.viewer, "/api/v1/resources/cam").await;
    r.expect(200);
    assert_eq!(r.header("etag"), "\"1\"");
    f.get(&f.viewer, "/api/v1/resources/none").await.expect_error(404, "NOT_FOUND");

    let page = f.get(&f.viewer, "/api/v1/resources?limit=2").await;
    page.expect(200);
    assert_eq!(page.data().as_array().map(Vec::len), Some(2));
    let cursor = page.body["meta"]["next_cursor"].as_str().expect("cursor").to_owned();
    let rest = f.get(&f.viewer, &format!("/api/v1/resources?limit=2&cursor={cursor}")).await;
    assert_eq!(rest.data().as_array().map(Vec::len), Some(2));

    let r = f.patch(&f.manager, "/api/v1/resources/cam", json!({"capacity": 1}), &[("If-Match", "\"2\"")]).await;
    r.expect_error(412, "VERSION_MISMATCH");
    let r = f.patch(&f.manager, "/api/v1/resources/cam", json!({"capacity": 1}), &[("If-Match", "\"1\"")]).await;
    r.expect(200);
    assert_eq!(r.data()["capacity"], 1);
    assert_eq!(r.header("etag"), "\"2\"");
    f.patch(&f.manager, "/api/v1/resources/cam", json!({"colour": "red"}), &[])
        .await
        .expect_error(400, "INVALID_INPUT");

    // Tightening below what is booked: CONFLICT.
    f.book("room", "2026-12-01T09:00:00Z", "2026-12-01T10:00:00Z", "confirmed").await;
    f.book("room", "2026-12-01T09:00:00Z", "2026-12-01T10:00:00Z", "confirmed").await;
    f.patch(&f.manager, "/api/v1/resources/room", json!({"capacity": 1}), &[]).await.expect_error(409, "CONFLICT");
}

#[tokio::test]
async fn artists_are_resources_of_kind_artist() {
    let f = Fixture::new();
    let list = f.get(&f.viewer, "/api/v1/artists").await;
    list.expect(200);
    let ids: Vec<String> = list.data().as_array().expect("list").iter().map(id).collect();
    assert_eq!(ids, ["ada", "bob"]);
    let one = f.get(&f.viewer, "/api/v1/artists?limit=1").await;
    assert_eq!(one.data().as_array().map(Vec::len), Some(1));
    assert!(one.body["meta"]["next_cursor"].is_string());

    f.get(&f.viewer, "/api/v1/artists/ada").await.expect(200);
    f.get(&f.viewer, "/api/v1/artists/room").await.expect_error(404, "NOT_FOUND");
    f.get(&f.viewer, "/api/v1/artists/room/bookings").await.expect_error(404, "NOT_FOUND");
    f.get(&f.viewer, "/api/v1/artists/room/availability-rules").await.expect_error(404, "NOT_FOUND");
    f.put(&f.owner, "/api/v1/artists/room/availability-rules", json!({})).await.expect_error(404, "NOT_FOUND");
    f.patch(&f.owner, "/api/v1/artists/room", json!({"name": "x"}), &[]).await.expect_error(404, "NOT_FOUND");
    f.get(&f.viewer, "/api/v1/artists/room/availability?start=2026-12-01T00:00:00Z&end=2026-12-02T00:00:00Z")
        .await
        .expect_error(404, "NOT_FOUND");

    let r = f.post(&f.owner, "/api/v1/artists", json!({"id": "cy", "name": "Cy"})).await;
    r.expect(201);
    assert_eq!(r.data()["kind"], "artist");
    assert_eq!(r.header("location"), "/api/v1/artists/cy");
    let r = f.post(&f.owner, "/api/v1/artists", json!({"id": "dee", "name": "Dee", "kind": "room"})).await;
    r.expect_error(400, "INVALID_INPUT");
    assert_eq!(r.field(), "kind");
    f.patch(&f.owner, "/api/v1/artists/cy", json!({"kind": "room"}), &[]).await.expect_error(400, "INVALID_INPUT");
    f.patch(&f.owner, "/api/v1/artists/cy", json!({"name": "Cy Twombly"}), &[]).await.expect(200);
}

#[tokio::test]
async fn availability_rules_free_busy_and_resource_bookings() {
    let f = Fixture::new();
    let r = f.get(&f.viewer, "/api/v1/resources/bob/availability-rules").await;
    r.expect(200);
    assert_eq!(r.data()["version"], 0);
    assert_eq!(r.header("etag"), "\"0\"");
    assert_eq!(r.data()["weekly"].as_array().map(Vec::len), Some(7), "open around the clock until set");

    let rules = json!({"policy": "strict",
        "weekly": [{"weekday": "tuesday", "start": "09:00", "end": "17:00"}],
        "overrides": [{"date": "2026-12-08", "hours": []}]});
    let r = f
        .call(
            axum::http::Method::PUT,
            "/api/v1/resources/bob/availability-rules",
            Some(&f.owner),
            Some(&rules),
            &[("If-Match", "\"3\"")],
        )
        .await;
    r.expect_error(412, "VERSION_MISMATCH");
    let r = f
        .call(
            axum::http::Method::PUT,
            "/api/v1/resources/bob/availability-rules",
            Some(&f.owner),
            Some(&rules),
            &[("If-Match", "\"0\"")],
        )
        .await;
    r.expect(200);
    assert_eq!(r.data()["version"], 1);
    assert_eq!(r.data()["policy"], "strict");
    assert_eq!(r.data()["overrides"][0]["date"], "2026-12-08");
    let r = f
        .put(
            &f.owner,
            "/api/v1/resources/bob/availability-rules",
            json!({"weekly": [{"weekday": "monday", "start": "24:00", "end": "10:00"}]}),
        )
        .await;
    r.expect_error(400, "INVALID_INPUT");
    assert_eq!(r.field(), "weekly[0].start");
    f.put(&f.owner, "/api/v1/resources/none/availability-rules", json!({})).await.expect_error(404, "NOT_FOUND");

    let b = f.book("bob", "2026-12-01T10:00:00Z", "2026-12-01T11:00:00Z", "confirmed").await;
    let r = f
        .get(&f.viewer, "/api/v1/resources/bob/availability?start=2026-12-01T00:00:00Z&end=2026-12-02T00:00:00Z")
        .await;
    r.expect(200);
    assert_eq!(r.data()["busy"][0]["booking_id"], b["id"]);
    assert_eq!(r.data()["hours"], json!([{"start": "2026-12-01T09:00:00Z", "end": "2026-12-01T17:00:00Z"}]));
    assert_eq!(r.data()["free"].as_array().map(Vec::len), Some(2));
    f.get(&f.viewer, "/api/v1/resources/none/availability?start=2026-12-01T00:00:00Z&end=2026-12-02T00:00:00Z")
        .await
        .expect_error(404, "NOT_FOUND");

    let r = f.get(&f.viewer, "/api/v1/resources/bob/bookings?status=confirmed").await;
    r.expect(200);
    assert_eq!(r.data().as_array().map(Vec::len), Some(1));
    f.get(&f.viewer, "/api/v1/resources/none/bookings").await.expect_error(404, "NOT_FOUND");
    f.get(&f.viewer, "/api/v1/resources/bob/bookings?resource_id=ada").await.expect_error(400, "INVALID_INPUT");
}

#[tokio::test]
async fn projects_create_get_list_and_their_bookings() {
    let f = Fixture::new();
    let r = f
        .post(&f.manager, "/api/v1/projects", json!({"id": "ad", "name": "Advert", "metadata": {"client": "x"}}))
        .await;
    r.expect(201);
    assert_eq!(r.header("location"), "/api/v1/projects/ad");
    assert_eq!(r.data()["metadata"]["client"], "x");
    f.post(&f.manager, "/api/v1/projects", json!({"id": "ad", "name": "Other"}))
        .await
        .expect_error(409, "ALREADY_EXISTS");
    f.post(&f.manager, "/api/v1/projects", json!({"name": ""})).await.expect_error(400, "INVALID_INPUT");
    f.get(&f.viewer, "/api/v1/projects/ad").await.expect(200);
    f.get(&f.viewer, "/api/v1/projects/none").await.expect_error(404, "NOT_FOUND");
    f.get(&f.viewer, "/api/v1/projects/none/bookings").await.expect_error(404, "NOT_FOUND");
    let list = f.get(&f.viewer, "/api/v1/projects").await;
    assert_eq!(list.data().as_array().map(Vec::len), Some(2));

    let r = f
        .post(&f.owner, "/api/v1/bookings", json!({"resource_id": "ada", "project_id": "ad", "start": "2026-12-01T09:00:00Z", "end": "2026-12-01T10:00:00Z", "status": "confirmed"}))
        .await;
    r.expect(201);
    let r = f.get(&f.viewer, "/api/v1/projects/ad/bookings").await;
    assert_eq!(r.data().as_array().map(Vec::len), Some(1));
    f.get(&f.viewer, "/api/v1/projects/ad/bookings?project_id=film").await.expect_error(400, "INVALID_INPUT");
    f.post(&f.owner, "/api/v1/bookings", json!({"resource_id": "ada", "project_id": "none", "start": "2026-12-02T09:00:00Z", "end": "2026-12-02T10:00:00Z"}))
        .await
        .expect_error(404, "NOT_FOUND");
}

#[tokio::test]
async fn utilization_in_milliseconds() {
    let f = Fixture::new();
    f.book("bob", "2026-12-01T10:00:00Z", "2026-12-01T11:00:00Z", "confirmed").await;
    let r = f
        .get(
            &f.viewer,
            "/api/v1/reports/utilization?start=2026-12-01T00:00:00Z&end=2026-12-02T00:00:00Z&group_by=resource",
        )
        .await;
    r.expect(200);
    let rows = r.data().as_array().expect("rows");
    let bob = rows.iter().find(|row| row["group"] == "bob").expect("bob");
    assert_eq!(bob["confirmed_ms"], 3_600_000);
    assert_eq!(bob["available_ms"], 86_400_000);
    assert_eq!(bob["booked_in_hours_ms"], 3_600_000);
    let r = f
        .get(
            &f.viewer,
            "/api/v1/reports/utilization?start=2026-12-01T00:00:00Z&end=2026-12-02T00:00:00Z&group_by=project",
        )
        .await;
    r.expect(200);
    f.get(&f.viewer, "/api/v1/reports/utilization?start=2026-12-02T00:00:00Z&end=2026-12-01T00:00:00Z&group_by=day")
        .await
        .expect_error(400, "INVALID_INPUT");
}
