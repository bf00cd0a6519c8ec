//! Who may do what: 401 without a valid key, 403 for a role that may not,
//! 404 for another tenant's ids (the isolation matrix over every route),
//! and the resource-bound key's narrow view.

mod common;

use axum::http::Method;
use common::{Fixture, id};
use serde_json::{Value, json};

const START: &str = "2026-12-01T09:00:00Z";
const END: &str = "2026-12-01T17:00:00Z";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Needs {
    Read,
    Write,
    Keys,
}

struct Route {
    method: Method,
    uri: String,
    body: Option<Value>,
    needs: Needs,
    /// Names an entity of tenant acme (in the path or the body).
    names_acme: bool,
}

fn route(method: Method, uri: impl Into<String>, body: Option<Value>, needs: Needs, names_acme: bool) -> Route {
    Route { method, uri: uri.into(), body, needs, names_acme }
}

/// Every route of `/api/v1`, with acme's ids filled in.
fn routes(booking: &str, key_id: &str) -> Vec<Route> {
    use Method as M;
    use Needs::{Keys, Read, Write};
    let window = "start=2026-12-01T00:00:00Z&end=2026-12-02T00:00:00Z";
    let b = format!("/api/v1/bookings/{booking}");
    let new_booking = json!({"resource_id": "ada", "start": "2026-12-05T09:00:00Z", "end": "2026-12-05T10:00:00Z"});
    let mut list = vec![
        route(M::GET, "/api/v1/projects", None, Read, false),
        route(M::POST, "/api/v1/projects", Some(json!({"name": "P"})), Write, false),
        route(M::GET, "/api/v1/projects/film", None, Read, true),
        route(M::GET, "/api/v1/projects/film/bookings", None, Read, true),
        route(M::GET, "/api/v1/bookings", None, Read, false),
        route(M::POST, "/api/v1/bookings", Some(new_booking.clone()), Write, true),
        route(M::POST, "/api/v1/bookings/batch", Some(json!({"items": [new_booking]})), Write, true),
        route(M::GET, b.clone(), None, Read, true),
        route(M::PATCH, b.clone(), Some(json!({"start": START, "end": END})), Write, true),
        route(M::DELETE, b.clone(), None, Write, true),
        route(M::POST, format!("{b}/pencil"), None, Write, true),
        route(M::POST, format!("{b}/confirm"), None, Write, true),
        route(M::POST, format!("{b}/cancel"), None, Write, true),
        route(M::POST, format!("{b}/decline"), None, Write, true),
        route(M::POST, format!("{b}/extend"), Some(json!({"hold_ttl_ms": 60_000})), Write, true),
        route(M::GET, format!("{b}/history"), None, Read, true),
        route(
            M::POST,
            "/api/v1/bookings/check-availability",
            Some(json!({"resource_id": "ada", "start": START, "end": END})),
            Read,
            true,
        ),
        route(
            M::POST,
            "/api/v1/slots/search",
            Some(json!({"resource_ids": ["ada"], "start": START, "end": END, "duration_ms": 3_600_000})),
            Read,
            true,
        ),
        route(M::GET, "/api/v1/events", None, Read, false),
        route(M::GET, format!("/api/v1/reports/utilization?{window}&group_by=resource"), None, Read, false),
        route(M::GET, "/api/v1/keys", None, Keys, false),
        route(M::POST, "/api/v1/keys", Some(json!({"role": "viewer"})), Keys, false),
        route(M::DELETE, format!("/api/v1/keys/{key_id}"), None, Keys, true),
    ];
    for base in ["/api/v1/resources", "/api/v1/artists"] {
        list.extend([
            route(M::GET, base, None, Read, false),
            route(M::POST, base, Some(json!({"name": "New"})), Write, false),
            route(M::GET, format!("{base}/ada"), None, Read, true),
            route(M::PATCH, format!("{base}/ada"), Some(json!({"name": "Ada L."})), Write, true),
            route(M::GET, format!("{base}/ada/bookings"), None, Read, true),
            route(M::GET, format!("{base}/ada/availability-rules"), None, Read, true),
            route(M::PUT, format!("{base}/ada/availability-rules"), Some(json!({"policy": "advisory"})), Write, true),
            route(M::GET, format!("{base}/ada/availability?{window}"), None, Read, true),
        ]);
    }
    list
}

async fn fixture_with_booking() -> (Fixture, String, String) {
    let f = Fixture::new();
    let b = f.book("ada", START, END, "hold").await;
    let key = f.post(&f.owner, "/api/v1/keys", json!({"role": "viewer", "name": "spare"})).await;
    key.expect(201);
    (f, id(&b), key.data()["key"]["id"].as_str().expect("key id").to_owned())
}

async fn send(f: &Fixture, r: &Route, key: Option<&str>) -> common::Resp {
    f.call(r.method.clone(), &r.uri, key, r.body.as_ref(), &[]).await
}

#[tokio::test]
async fn every_route_needs_a_valid_key() {
    let (f, booking, key_id) = fixture_with_booking().await;
    let revoked = f.post(&f.owner, "/api/v1/keys", json!({"role": "owner"})).await;
    let revoked_token = revoked.data()["token"].as_str().expect("token").to_owned();
    let revoked_id = revoked.data()["key"]["id"].as_str().expect("id").to_owned();
    f.delete(&f.owner, &format!("/api/v1/keys/{revoked_id}"), &[]).await.expect(200);
    let last = if f.owner.ends_with('0') { '1' } else { '0' };
    let forged = format!("{}{last}", &f.owner[..f.owner.len() - 1]);
    for r in routes(&booking, &key_id) {
        for key in [None, Some("not-a-key"), Some(forged.as_str()), Some(revoked_token.as_str())] {
            let resp = send(&f, &r, key).await;
            assert_eq!(
                (resp.status.as_u16(), resp.code()),
                (401, "UNAUTHENTICATED"),
                "{} {} key {key:?}",
                r.method,
                r.uri
            );
            assert_eq!(resp.header("www-authenticate"), "Bearer");
        }
    }
    let wrong_scheme =
        f.call(Method::GET, "/api/v1/resources", None, None, &[("Authorization", &format!("Basic {}", f.owner))]).await;
    wrong_scheme.expect_error(401, "UNAUTHENTICATED");
    let ok = f
        .call(Method::GET, "/api/v1/resources", None, None, &[("Authorization", &format!("bearer {}", f.owner))])
        .await;
    ok.expect(200);
}

#[tokio::test]
async fn viewers_read_and_may_not_write_managers_may_not_manage_keys() {
    let (f, booking, key_id) = fixture_with_booking().await;
    for r in routes(&booking, &key_id) {
        let viewer = send(&f, &r, Some(&f.viewer)).await;
        let manager = send(&f, &r, Some(&f.manager)).await;
        match r.needs {
            Needs::Read => {
                assert_eq!(viewer.status.as_u16(), 200, "viewer {} {}: {}", r.method, r.uri, viewer.text);
                assert_eq!(manager.status.as_u16(), 200, "manager {} {}: {}", r.method, r.uri, manager.text);
            }
            Needs::Write => {
                assert_eq!((viewer.status.as_u16(), viewer.code()), (403, "FORBIDDEN"), "{} {}", r.method, r.uri);
                assert_ne!(manager.status.as_u16(), 403, "manager {} {}: {}", r.method, r.uri, manager.text);
                assert_ne!(manager.status.as_u16(), 401);
            }
            Needs::Keys => {
                assert_eq!((viewer.status.as_u16(), viewer.code()), (403, "FORBIDDEN"), "{} {}", r.method, r.uri);
                assert_eq!((manager.status.as_u16(), manager.code()), (403, "FORBIDDEN"), "{} {}", r.method, r.uri);
            }
        }
    }
}

#[tokio::test]
async fn another_tenants_ids_are_404_and_nothing_of_acme_changes() {
    let (f, booking, key_id) = fixture_with_booking().await;
    let before = f.get(&f.owner, &format!("/api/v1/bookings/{booking}")).await.body.clone();
    for r in routes(&booking, &key_id) {
        let resp = send(&f, &r, Some(&f.other)).await;
        if r.names_acme {
            assert_eq!(
                (resp.status.as_u16(), resp.code()),
                (404, "NOT_FOUND"),
                "{} {}: {}",
                r.method,
                r.uri,
                resp.text
            );
        } else {
            assert!(resp.status.is_success(), "{} {}: {}", r.method, r.uri, resp.text);
            assert!(!resp.text.contains("\"ada\""), "{} {} leaks acme: {}", r.method, r.uri, resp.text);
        }
    }
    let after = f.get(&f.owner, &format!("/api/v1/bookings/{booking}")).await.body.clone();
    assert_eq!(before, after);
    let keys = f.get(&f.owner, "/api/v1/keys").await;
    assert!(keys.data().as_array().expect("keys").iter().all(|k| k["revoked_at"].is_null()));
    let events = f.get(&f.other, "/api/v1/events").await;
    assert!(events.data().as_array().expect("events").iter().all(|e| e["tenant_id"] == "other"));
}

#[tokio::test]
async fn a_resource_key_sees_and_decides_its_own_resources_bookings_only() {
    let f = Fixture::new();
    let mine = f.book("ada", START, END, "hold").await;
    let mine2 = f.book("ada", "2026-12-02T09:00:00Z", "2026-12-02T10:00:00Z", "pencil").await;
    let theirs = f.book("bob", START, END, "hold").await;
    let k = &f.ada_key;

    let list = f.get(k, "/api/v1/bookings").await;
    list.expect(200);
    let ids: Vec<String> = list.data().as_array().expect("list").iter().map(id).collect();
    assert_eq!(ids.len(), 2);
    assert!(ids.contains(&id(&mine)) && !ids.contains(&id(&theirs)));
    f.get(k, "/api/v1/bookings?resource_id=ada").await.expect(200);
    f.get(k, "/api/v1/bookings?resource_id=ada,bob").await.expect_error(403, "FORBIDDEN");
    f.get(k, "/api/v1/resources/ada/bookings").await.expect(200);
    f.get(k, "/api/v1/resources/bob/bookings").await.expect_error(403, "FORBIDDEN");
    f.get(k, &format!("/api/v1/bookings/{}", id(&mine))).await.expect(200);
    f.get(k, &format!("/api/v1/bookings/{}/history", id(&mine))).await.expect(200);
    f.get(k, &format!("/api/v1/bookings/{}", id(&theirs))).await.expect_error(404, "NOT_FOUND");
    f.get(k, &format!("/api/v1/bookings/{}/history", id(&theirs))).await.expect_error(404, "NOT_FOUND");

    f.post(k, &format!("/api/v1/bookings/{}/confirm", id(&theirs)), json!({})).await.expect_error(404, "NOT_FOUND");
    let stale = f
        .call(Method::POST, &format!("/api/v1/bookings/{}/confirm", id(&mine)), Some(k), None, &[("If-Match", "\"5\"")])
        .await;
    stale.expect_error(412, "VERSION_MISMATCH");
    let r = f.post(k, &format!("/api/v1/bookings/{}/confirm", id(&mine)), json!({"expected_version": 1})).await;
    r.expect(200);
    assert_eq!(r.data()["status"], "confirmed");
    let r = f.post(k, &format!("/api/v1/bookings/{}/decline", id(&mine2)), json!({})).await;
    r.expect(200);
    assert_eq!(r.data()["status"], "declined");

    for (method, uri, body) in [
        (Method::POST, "/api/v1/bookings".to_owned(), Some(json!({"resource_id": "ada", "start": START, "end": END}))),
        (Method::POST, format!("/api/v1/bookings/{}/cancel", id(&mine)), None),
        (Method::POST, format!("/api/v1/bookings/{}/pencil", id(&mine)), None),
        (Method::DELETE, format!("/api/v1/bookings/{}", id(&mine)), None),
        (Method::GET, "/api/v1/resources".to_owned(), None),
        (Method::GET, "/api/v1/resources/ada".to_owned(), None),
        (Method::GET, "/api/v1/projects/film/bookings".to_owned(), None),
        (Method::GET, "/api/v1/events".to_owned(), None),
        (Method::GET, "/api/v1/keys".to_owned(), None),
    ] {
        let r = f.call(method.clone(), &uri, Some(k), body.as_ref(), &[]).await;
        assert_eq!((r.status.as_u16(), r.code()), (403, "FORBIDDEN"), "{method} {uri}: {}", r.text);
    }
}

#[tokio::test]
async fn owners_manage_keys_and_revocation_is_immediate() {
    let f = Fixture::new();
    let r = f
        .post(&f.owner, "/api/v1/keys", json!({"role": "resource", "resource_id": "bob", "name": "bob's phone"}))
        .await;
    r.expect(201);
    let token = r.data()["token"].as_str().expect("token").to_owned();
    let key_id = r.data()["key"]["id"].as_str().expect("id").to_owned();
    assert_eq!(r.data()["key"]["role"], "resource");
    f.get(&token, "/api/v1/resources/bob/bookings").await.expect(200);

    let list = f.get(&f.owner, "/api/v1/keys?limit=2").await;
    list.expect(200);
    assert_eq!(list.data().as_array().map(Vec::len), Some(2));
    assert!(list.body["meta"]["next_cursor"].is_string());
    assert!(!list.text.contains(&token), "a listing never carries secrets");

    f.delete(&f.owner, &format!("/api/v1/keys/{key_id}"), &[]).await.expect(200);
    f.get(&token, "/api/v1/resources/bob/bookings").await.expect_error(401, "UNAUTHENTICATED");
    f.delete(&f.owner, &format!("/api/v1/keys/{key_id}"), &[]).await.expect(200);

    let r = f.post(&f.owner, "/api/v1/keys", json!({"role": "resource"})).await;
    r.expect_error(400, "INVALID_INPUT");
    assert_eq!(r.field(), "resource_id");
    f.post(&f.owner, "/api/v1/keys", json!({"role": "resource", "resource_id": "nope"}))
        .await
        .expect_error(404, "NOT_FOUND");
    let r = f.post(&f.owner, "/api/v1/keys", json!({"role": "admin"})).await;
    r.expect_error(400, "INVALID_INPUT");
    assert_eq!(r.field(), "role");
    f.delete(&f.owner, "/api/v1/keys/nope", &[]).await.expect_error(404, "NOT_FOUND");
}

/// The matrix above covers every operation the OpenAPI document lists
/// under `/api/v1` (and so every route the router serves there).
#[test]
fn the_matrix_covers_every_api_route() {
    let doc = serde_json::to_value(holdfast_server::openapi_document()).expect("doc");
    let table = routes("b1", "k1");
    let matches = |template: &str, uri: &str| {
        let path = uri.split('?').next().unwrap_or(uri);
        let (t, p): (Vec<&str>, Vec<&str>) = (template.split('/').collect(), path.split('/').collect());
        t.len() == p.len() && t.iter().zip(&p).all(|(t, p)| t.starts_with('{') || t == p)
    };
    let mut missing = Vec::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        if !path.starts_with("/api/v1/") || path.ends_with("openapi.json") {
            continue;
        }
        for method in ["get", "post", "put", "patch", "delete"] {
            if item.get(method).is_none() {
                continue;
            }
            let covered = table.iter().any(|r| r.method.as_str().eq_ignore_ascii_case(method) && matches(path, &r.uri));
            if !covered {
                missing.push(format!("{method} {path}"));
            }
        }
    }
    assert!(missing.is_empty(), "routes missing from the matrix: {missing:?}");
}

#[tokio::test]
async fn the_role_is_judged_before_the_body() {
    let f = Fixture::new();
    let b = f.book("ada", START, END, "hold").await;
    for (key, uri) in [
        (&f.viewer, "/api/v1/bookings".to_owned()),
        (&f.viewer, format!("/api/v1/bookings/{}/confirm", id(&b))),
        (&f.manager, "/api/v1/keys".to_owned()),
        (&f.ada_key, "/api/v1/slots/search".to_owned()),
    ] {
        let r = f.raw(Method::POST, &uri, key, "{not json").await;
        assert_eq!((r.status.as_u16(), r.code()), (403, "FORBIDDEN"), "{uri}: {}", r.text);
    }
    f.raw(Method::POST, "/api/v1/bookings", &f.owner, "{not json").await.expect_error(400, "INVALID_INPUT");
}
