//! Probes, metrics, the OpenAPI document, rate limits and CORS.

mod common;

use axum::body::Body;
use axum::http::{Method, Request, header};
use common::Fixture;
use holdfast_server::Settings;
use serde_json::{Value, json};

#[tokio::test]
async fn probes_answer_without_a_key() {
    let f = Fixture::new();
    let r = f.call(Method::GET, "/healthz", None, None, &[]).await;
    r.expect(200);
    assert_eq!(r.data()["status"], "ok");
    f.call(Method::GET, "/readyz", None, None, &[]).await.expect(200);
}

#[tokio::test]
async fn metrics_count_requests_outcomes_conflicts_and_the_cache() {
    let f = Fixture::new();
    f.book("ada", "2026-12-01T09:00:00Z", "2026-12-01T10:00:00Z", "confirmed").await;
    f.post(
        &f.owner,
        "/api/v1/bookings",
        json!({"resource_id": "ada", "start": "2026-12-01T09:00:00Z", "end": "2026-12-01T10:00:00Z"}),
    )
    .await
    .expect_error(409, "CONFLICT");
    for _ in 0..2 {
        f.post(
            &f.owner,
            "/api/v1/bookings/check-availability",
            json!({"resource_id": "ada", "start": "2026-12-01T09:00:00Z", "end": "2026-12-01T10:00:00Z"}),
        )
        .await
        .expect(200);
    }
    f.get(&f.owner, "/api/v1/bookings/some-id").await.expect(404);
    let r = f.call(Method::GET, "/metrics", None, None, &[]).await;
    r.expect(200);
    assert!(r.header("content-type").starts_with("application/openmetrics-text"));
    for line in [
        r#"holdfast_http_requests_total{method="POST",route="/api/v1/bookings",status="201"} 1"#,
        r#"holdfast_http_requests_total{method="POST",route="/api/v1/bookings",status="409"} 1"#,
        r#"holdfast_http_requests_total{method="GET",route="/api/v1/bookings/{id}",status="404"} 1"#,
        r#"holdfast_booking_writes_total{operation="create",outcome="ok"} 1"#,
        r#"holdfast_booking_writes_total{operation="create",outcome="CONFLICT"} 1"#,
        "holdfast_conflicts_total 1",
        "holdfast_holds_expired_total 0",
        "holdfast_cache_misses_total ",
        "holdfast_cache_hits_total ",
        "holdfast_cache_capacity 4096",
    ] {
        assert!(r.text.contains(line), "missing {line:?} in:\n{}", r.text);
    }
    assert!(!r.text.contains("holdfast_cache_hits_total 0\n"), "the second check is served from the cache");
    assert!(r.text.contains(
        r#"holdfast_http_request_duration_seconds_bucket{le="+Inf",method="POST",route="/api/v1/bookings"} 2"#
    ));
}

/// The value of an unlabelled sample `name value` in a scrape.
#[track_caller]
fn sample(scrape: &str, name: &str) -> u64 {
    let line = scrape.lines().find(|l| l.strip_prefix(name).is_some_and(|v| v.starts_with(' ')));
    line.and_then(|l| l[name.len()..].trim().parse().ok()).unwrap_or_else(|| panic!("no sample {name} in:\n{scrape}"))
}

#[tokio::test]
async fn metrics_export_the_engines_write_counters_and_queue() {
    let f = Fixture::new();
    let scrape = || async { f.call(Method::GET, "/metrics", None, None, &[]).await.text };
    let before = scrape().await;
    for line in
        ["# TYPE holdfast_writes counter", "# TYPE holdfast_write_batches counter", "# TYPE holdfast_write_queue gauge"]
    {
        assert!(before.contains(line), "missing {line:?} in:\n{before}");
    }
    // The fixture's own writes (tenants, resources, keys) are counted.
    let (writes, batches) = (sample(&before, "holdfast_writes_total"), sample(&before, "holdfast_write_batches_total"));
    assert!(writes > 0 && batches > 0 && batches <= writes, "{writes} writes in {batches} batches");
    assert_eq!(sample(&before, "holdfast_write_queue"), 0);

    f.book("ada", "2026-12-01T09:00:00Z", "2026-12-01T10:00:00Z", "confirmed").await;
    f.post(
        &f.owner,
        "/api/v1/bookings",
        json!({"resource_id": "ada", "start": "2026-12-01T09:00:00Z", "end": "2026-12-01T10:00:00Z"}),
    )
    .await
    .expect_error(409, "CONFLICT");
    f.get(&f.owner, "/api/v1/bookings").await.expect(200);

    // Two writes (a refused one is a write answered too), one request at a
    // time: each its own batch. Reads are not writes.
    let after = scrape().await;
    assert_eq!(sample(&after, "holdfast_writes_total"), writes + 2, "{after}");
    assert_eq!(sample(&after, "holdfast_write_batches_total"), batches + 2, "{after}");
    assert_eq!(sample(&after, "holdfast_write_queue"), 0);
    let stats = f.engine.write_stats();
    assert_eq!((stats.writes, stats.batches), (writes + 2, batches + 2), "read from the engine at scrape time");
}

#[tokio::test]
async fn the_openapi_document_is_3_1_and_lists_every_served_route() {
    let f = Fixture::new();
    let r = f.call(Method::GET, "/api/v1/openapi.json", None, None, &[]).await;
    r.expect(200);
    let doc = &r.body;
    assert_eq!(doc["openapi"], "3.1.0");
    assert_eq!(doc["components"]["securitySchemes"]["bearer"]["scheme"], "bearer");
    let mut operation_ids = std::collections::HashSet::new();
    let mut count = 0;
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for (method, op) in item.as_object().expect("item") {
            let Ok(method) = method.to_uppercase().parse::<Method>() else { continue };
            count += 1;
            assert!(
                operation_ids.insert(op["operationId"].as_str().expect("operationId").to_owned()),
                "{method} {path}"
            );
            if path.starts_with("/api/v1/") && !path.ends_with("openapi.json") {
                for status in ["400", "401", "403", "429", "500", "503"] {
                    assert!(op["responses"][status].is_object(), "{method} {path} lacks {status}");
                }
                assert!(op["security"].is_array(), "{method} {path} lacks security");
            }
            // Every documented operation is served: with placeholder ids
            // it answers from its handler, never the router's fallback.
            let uri = path.replace("{id}", "x");
            let uri = if uri.contains("availability") || uri.contains("utilization") {
                format!("{uri}?start=2026-12-01T00:00:00Z&end=2026-12-02T00:00:00Z&group_by=day")
            } else {
                uri
            };
            let body = (method == Method::POST || method == Method::PUT || method == Method::PATCH).then(|| json!({}));
            let resp = f.call(method.clone(), &uri, Some(&f.owner), body.as_ref(), &[]).await;
            assert_ne!(resp.status.as_u16(), 405, "{method} {path} is not served");
            assert_ne!(resp.body["error"]["message"], "no such route", "{method} {path} is not served");
        }
    }
    assert!(count >= 40, "operations documented: {count}");
    // Bodies and parameters are documented.
    let create = &doc["paths"]["/api/v1/bookings"]["post"];
    assert!(create["requestBody"]["content"]["application/json"]["schema"].is_object());
    let params: Vec<&str> = doc["paths"]["/api/v1/bookings"]["get"]["parameters"]
        .as_array()
        .expect("params")
        .iter()
        .filter_map(|p| p["name"].as_str())
        .collect();
    for name in ["resource_id", "project_id", "status", "start", "end", "limit", "cursor"] {
        assert!(params.contains(&name), "GET /bookings lacks parameter {name}");
    }
    let schemas = doc["components"]["schemas"].as_object().expect("schemas");
    for name in ["BookingOut", "NewBookingIn", "ErrorBody", "ResourceOut", "AvailabilityCheckOut", "EventOut"] {
        assert!(schemas.contains_key(name), "schema {name} missing");
    }
    assert_eq!(serde_json::to_value(holdfast_server::openapi_document()).expect("doc"), *doc);
}

#[tokio::test]
async fn a_key_over_its_rate_is_429_with_retry_after_and_other_keys_go_on() {
    let f =
        Fixture::with_settings(Settings { rate_limit_per_s: Some(0.01), rate_limit_burst: 3, ..Settings::default() });
    for _ in 0..3 {
        f.get(&f.viewer, "/api/v1/resources").await.expect(200);
    }
    let r = f.get(&f.viewer, "/api/v1/resources").await;
    r.expect_error(429, "RATE_LIMITED");
    let retry: u64 = r.header("retry-after").parse().expect("Retry-After seconds");
    assert!((1..=100).contains(&retry), "Retry-After {retry}");
    f.get(&f.manager, "/api/v1/resources").await.expect(200);
    f.call(Method::GET, "/healthz", None, None, &[]).await.expect(200);
}

#[tokio::test]
async fn cors_answers_preflights_for_configured_origins_only() {
    let f = Fixture::with_settings(Settings {
        rate_limit_per_s: None,
        cors_origins: vec!["https://app.example".into()],
        ..Settings::default()
    });
    let preflight = |origin: &str| {
        Request::builder()
            .method(Method::OPTIONS)
            .uri("/api/v1/bookings")
            .header(header::ORIGIN, origin)
            .header(header::ACCESS_CONTROL_REQUEST_METHOD, "POST")
            .header(header::ACCESS_CONTROL_REQUEST_HEADERS, "authorization,content-type,idempotency-key")
            .body(Body::empty())
            .expect("request")
    };
    let ok = f.send(preflight("https://app.example")).await;
    assert_eq!(ok.header("access-control-allow-origin"), "https://app.example");
    let other = f.send(preflight("https://evil.example")).await;
    assert_eq!(other.header("access-control-allow-origin"), "");
    let plain = Fixture::new();
    let none = plain.send(preflight("https://app.example")).await;
    assert_eq!(none.header("access-control-allow-origin"), "", "no CORS unless configured");
    let _: Value = none.body;
}

/// Validated against the OpenAPI 3.1 schema by `openapi-spec-validator`
/// (Python). `scripts/test.sh` installs it in a venv and names that venv's
/// interpreter in `HOLDFAST_OPENAPI_PYTHON`, which makes the check
/// mandatory; a plain `cargo test` without it skips with a note.
#[test]
fn the_document_validates_as_openapi_3_1() {
    let required = std::env::var_os("HOLDFAST_OPENAPI_PYTHON");
    let python = required.clone().unwrap_or_else(|| "python3".into());
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("openapi.json");
    std::fs::write(&path, serde_json::to_vec(&holdfast_server::openapi_document()).expect("json")).expect("write");
    let script = "import sys\n\
        try:\n    from openapi_spec_validator import validate\n    from openapi_spec_validator.readers import read_from_filename\n\
        except ImportError:\n    sys.exit(77)\n\
        spec, _ = read_from_filename(sys.argv[1])\n\
        assert spec['openapi'] == '3.1.0'\n\
        validate(spec)\n";
    let out = match std::process::Command::new(&python).args(["-c", script]).arg(&path).output() {
        Ok(out) => out,
        Err(e) if required.is_none() => {
            eprintln!("python3 not found ({e}): OpenAPI validation skipped");
            return;
        }
        Err(e) => panic!("HOLDFAST_OPENAPI_PYTHON={python:?} does not run: {e}"),
    };
    if out.status.code() == Some(77) {
        assert!(required.is_none(), "HOLDFAST_OPENAPI_PYTHON={python:?} has no openapi-spec-validator");
        eprintln!("openapi-spec-validator not installed: OpenAPI validation skipped");
        return;
    }
    assert!(out.status.success(), "invalid OpenAPI document: {}", String::from_utf8_lossy(&out.stderr));
}

/// `document["paths"][path][method]["parameters"]` by name.
fn parameter<'a>(doc: &'a Value, path: &str, method: &str, name: &str) -> Option<&'a Value> {
    doc["paths"][path][method]["parameters"].as_array()?.iter().find(|p| p["name"] == name)
}

/// What schemathesis found (docs/RELIABILITY.md): the document said less
/// than the server enforces, or the opposite. Each rule is checked in the
/// document and in the server's answers, so the two stay together.
#[tokio::test]
async fn the_document_states_the_rules_the_server_applies() {
    let f = Fixture::new();
    let doc = serde_json::to_value(holdfast_server::openapi_document()).expect("doc");
    let schema = |name: &str| doc["components"]["schemas"][name].clone();

    // The report's grouping is required (it was documented as optional).
    let utilization = "/api/v1/reports/utilization";
    assert_eq!(parameter(&doc, utilization, "get", "group_by").expect("group_by")["required"], true);
    let r = f.get(&f.owner, &format!("{utilization}?start=2026-12-01T00:00:00Z&end=2026-12-02T00:00:00Z")).await;
    r.expect_error(400, "INVALID_INPUT");
    assert_eq!(r.field(), "group_by");

    // A resource's or project's bookings take every filter of GET /bookings
    // but the one the path names (it was documented, and refused).
    for (path, uri, filter) in [
        ("/api/v1/resources/{id}/bookings", "/api/v1/resources/ada/bookings?resource_id=ada", "resource_id"),
        ("/api/v1/artists/{id}/bookings", "/api/v1/artists/ada/bookings?resource_id=ada", "resource_id"),
        ("/api/v1/projects/{id}/bookings", "/api/v1/projects/film/bookings?project_id=film", "project_id"),
    ] {
        assert!(parameter(&doc, path, "get", filter).is_none(), "{path} documents {filter}");
        assert!(parameter(&doc, path, "get", "status").is_some(), "{path} lost its other filters");
        let r = f.get(&f.owner, uri).await;
        r.expect_error(400, "INVALID_INPUT");
        assert_eq!(r.field(), filter);
    }

    // A new resource or project needs a name that is not blank (it was
    // documented as optional).
    for (component, uri) in [("NewResourceIn", "/api/v1/resources"), ("NewProjectIn", "/api/v1/projects")] {
        let s = schema(component);
        assert!(s["required"].as_array().is_some_and(|r| r.contains(&json!("name"))), "{component}: {s}");
        assert_eq!(s["properties"]["name"]["pattern"], r"\S", "{component}");
        for body in [json!({}), json!({"name": " "}), json!({"name": null})] {
            let r = f.post(&f.owner, uri, body.clone()).await;
            r.expect_error(400, "INVALID_INPUT");
            assert_eq!(r.field(), "name", "{uri} {body}");
        }
    }
    assert_eq!(schema("ResourcePatchIn")["properties"]["name"]["pattern"], r"\S");
    let r = f.patch(&f.owner, "/api/v1/resources/ada", json!({"name": "\t"}), &[]).await;
    r.expect_error(400, "INVALID_INPUT");
    assert_eq!(r.field(), "name");

    // Optional enums read `null` as absent, and say so (they were
    // documented as plain strings).
    let status = &schema("NewBookingIn")["properties"]["status"];
    assert!(status["enum"].as_array().is_some_and(|e| e.contains(&Value::Null)), "{status}");
    let policy = &schema("AvailabilityRulesIn")["properties"]["policy"];
    assert!(policy["enum"].as_array().is_some_and(|e| e.contains(&Value::Null)), "{policy}");
    let r = f
        .post(
            &f.owner,
            "/api/v1/bookings",
            json!({"resource_id": "bob", "start": "2026-12-01T09:00:00Z", "end": "2026-12-01T10:00:00Z", "status": null}),
        )
        .await;
    r.expect(201);
    assert_eq!(r.data()["status"], "hold");
    let r = f.put(&f.owner, "/api/v1/resources/bob/availability-rules", json!({"policy": null})).await;
    r.expect(200);
    assert_eq!(r.data()["policy"], "advisory");

    // Page sizes are 1 to 1,000 (documented as any number from 0).
    for (path, uri) in [
        ("/api/v1/resources", "/api/v1/resources"),
        ("/api/v1/bookings", "/api/v1/bookings"),
        ("/api/v1/events", "/api/v1/events"),
        ("/api/v1/projects/{id}/bookings", "/api/v1/projects/film/bookings"),
    ] {
        let limit = &parameter(&doc, path, "get", "limit").expect("limit")["schema"];
        assert_eq!((limit["minimum"].as_u64(), limit["maximum"].as_u64()), (Some(1), Some(1_000)), "{path}");
        f.get(&f.owner, &format!("{uri}?limit=1000")).await.expect(200);
        for bad in [0, 1_001] {
            let r = f.get(&f.owner, &format!("{uri}?limit={bad}")).await;
            assert_eq!((r.status.as_u16(), r.field()), (400, "limit"), "{uri}?limit={bad}: {}", r.text);
        }
    }
    assert_eq!(schema("NewBookingIn")["properties"]["quantity"]["minimum"], 1);

    // Ids in paths and bodies, and If-Match, carry the server's pattern;
    // what falls outside it is refused.
    let id = &parameter(&doc, "/api/v1/bookings/{id}", "get", "id").expect("id")["schema"];
    assert_eq!(id["pattern"], "^[A-Za-z0-9_.:-]{1,128}$");
    for (component, field) in
        [("NewBookingIn", "resource_id"), ("NewResourceIn", "id"), ("RescheduleIn", "resource_id")]
    {
        assert_eq!(schema(component)["properties"][field]["pattern"], id["pattern"], "{component}.{field}");
    }
    f.get(&f.owner, "/api/v1/bookings/a%20b").await.expect_error(400, "INVALID_INPUT");
    let if_match = &parameter(&doc, "/api/v1/bookings/{id}/confirm", "post", "If-Match").expect("If-Match")["schema"];
    assert!(if_match["pattern"].is_string(), "{if_match}");
    let r = f.call(Method::POST, "/api/v1/bookings/x/confirm", Some(&f.owner), None, &[("if-match", "W/\"1\"")]).await;
    r.expect_error(400, "INVALID_INPUT");
    assert_eq!(r.field(), "If-Match");
}

/// Stateful tests (schemathesis' last phase) follow links: each create
/// links to every operation on what it created, by `data.id`.
#[test]
fn creates_link_to_the_operations_on_what_they_create() {
    let doc = serde_json::to_value(holdfast_server::openapi_document()).expect("doc");
    let mut operation_ids = std::collections::HashSet::new();
    for item in doc["paths"].as_object().expect("paths").values() {
        for op in item.as_object().expect("item").values() {
            if let Some(id) = op["operationId"].as_str() {
                operation_ids.insert(id.to_owned());
            }
        }
    }
    for (path, expected) in [
        ("/api/v1/bookings", "bookings_get"),
        ("/api/v1/bookings", "bookings_confirm"),
        ("/api/v1/resources", "resources_get"),
        ("/api/v1/artists", "artists_update"),
        ("/api/v1/projects", "projects_bookings"),
        ("/api/v1/keys", "keys_revoke"),
    ] {
        let links = doc["paths"][path]["post"]["responses"]["201"]["links"].as_object().expect("links");
        assert_eq!(links[expected]["parameters"]["id"], "$response.body#/data/id", "{path} -> {expected}");
        for (name, link) in links {
            assert!(operation_ids.contains(link["operationId"].as_str().expect("operationId")), "{path}: {name}");
        }
    }
}
