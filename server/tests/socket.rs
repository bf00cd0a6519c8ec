//! The binary on a real loopback socket: the CLI sets up a tenant and a
//! key, `serve` answers 64 concurrent clients racing for the same slots
//! with exactly the right number of 201s (the rest 409 CONFLICT), and
//! SIGTERM stops it cleanly. `demo`'s printed curl commands work as printed.

mod common;

use std::net::SocketAddr;
use std::process::Command;
use std::time::Duration;

use common::process::{cli, demo, start, terminate};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// One HTTP/1.1 request on its own connection: (status, JSON body).
async fn http(addr: SocketAddr, method: &str, path: &str, key: &str, body: Option<&Value>) -> (u16, Value) {
    let mut stream = TcpStream::connect(addr).await.expect("connect");
    let payload = body.map(Value::to_string).unwrap_or_default();
    let request = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {key}\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n{payload}",
        payload.len()
    );
    stream.write_all(request.as_bytes()).await.expect("write");
    let mut response = Vec::new();
    stream.read_to_end(&mut response).await.expect("read");
    let text = String::from_utf8_lossy(&response);
    let status = text.split(' ').nth(1).and_then(|s| s.parse().ok()).expect("status line");
    let body = text.split_once("\r\n\r\n").map(|(_, b)| b).unwrap_or("");
    (status, serde_json::from_str(body).unwrap_or(Value::Null))
}

/// 64 clients racing through `servers`: exactly `capacity` of them win.
async fn race(servers: &[SocketAddr], key: &str, resource: &str, capacity: u32) {
    let (status, _) = http(
        servers[0],
        "POST",
        "/api/v1/resources",
        key,
        Some(&json!({"id": resource, "name": resource, "capacity": capacity})),
    )
    .await;
    assert_eq!(status, 201);
    let body = json!({"resource_id": resource, "start": "2026-12-01T09:00:00Z", "end": "2026-12-01T10:00:00Z", "status": "confirmed"});
    let clients: Vec<_> = (0..64)
        .map(|i| {
            let (key, body, addr) = (key.to_owned(), body.clone(), servers[i % servers.len()]);
            tokio::spawn(async move { http(addr, "POST", "/api/v1/bookings", &key, Some(&body)).await })
        })
        .collect();
    let mut created = 0;
    for client in clients {
        let (status, body) = client.await.expect("client");
        match status {
            201 => created += 1,
            409 => assert_eq!(body["error"]["code"], "CONFLICT", "{body}"),
            other => panic!("unexpected {other}: {body}"),
        }
    }
    assert_eq!(created, capacity, "{resource}: exactly its capacity is booked");
}

/// Two server processes over one PostgreSQL (feature `postgres`, with
/// `HOLDFAST_TEST_POSTGRES_URL` set, as `scripts/test.sh` does).
#[cfg(feature = "postgres")]
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_servers_on_one_postgres_stay_correct() {
    let Ok(db) = std::env::var("HOLDFAST_TEST_POSTGRES_URL") else {
        eprintln!("HOLDFAST_TEST_POSTGRES_URL not set: skipped");
        return;
    };
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_nanos());
    let tenant = format!("race{nanos}");
    cli(&["tenant", "create", "--db", &db, "--id", &tenant, "--name", "Race"]);
    let key = cli(&["key", "create", "--db", &db, "--tenant", &tenant, "--role", "manager"]).trim().to_owned();
    let (mut a, addr_a) = start(&["serve", "--db", &db]);
    let (mut b, addr_b) = start(&["serve", "--db", &db]);
    race(&[addr_a, addr_b], &key, "solo", 1).await;
    race(&[addr_a, addr_b], &key, "trio", 3).await;
    // A key revoked through one process is refused by the other at once.
    let key_id = key.split('_').nth(1).expect("key id");
    cli(&["key", "revoke", "--db", &db, "--tenant", &tenant, "--id", key_id]);
    assert_eq!(http(addr_b, "GET", "/api/v1/resources", &key, None).await.0, 401);
    terminate(&mut a);
    terminate(&mut b);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sixty_four_clients_race_for_the_same_slots() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = format!("sqlite://{}", dir.path().join("race.db").display());
    cli(&["migrate", "--db", &db]);
    cli(&["tenant", "create", "--db", &db, "--id", "acme", "--name", "Acme"]);
    let key = cli(&["key", "create", "--db", &db, "--tenant", "acme", "--role", "manager"]).trim().to_owned();
    assert!(key.starts_with("hf_"), "the token is printed: {key}");
    let (mut child, addr) = start(&["serve", "--db", &db, "--sweep-interval-ms", "50"]);
    race(&[addr], &key, "solo", 1).await;
    race(&[addr], &key, "trio", 3).await;

    // The sweeper turns a run-out hold into `expired` and counts it.
    let hold = json!({"resource_id": "solo", "start": "2026-12-02T09:00:00Z", "end": "2026-12-02T10:00:00Z", "hold_ttl_ms": 1});
    let (status, created) = http(addr, "POST", "/api/v1/bookings", &key, Some(&hold)).await;
    assert_eq!(status, 201);
    let uri = format!("/api/v1/bookings/{}", created["data"]["id"].as_str().expect("id"));
    let mut swept = false;
    for _ in 0..100 {
        tokio::time::sleep(Duration::from_millis(50)).await;
        if http(addr, "GET", &uri, &key, None).await.1["data"]["status"] == "expired" {
            swept = true;
            break;
        }
    }
    assert!(swept, "the sweeper expires holds");
    let mut stream = TcpStream::connect(addr).await.expect("connect");
    stream.write_all(b"GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").await.expect("write");
    let mut metrics = String::new();
    stream.read_to_string(&mut metrics).await.expect("read");
    assert!(metrics.contains("holdfast_holds_expired_total 1"), "{metrics}");

    // Revoked from the CLI: refused at once by the running server.
    let key_id = key.split('_').nth(1).expect("key id");
    cli(&["key", "revoke", "--db", &db, "--tenant", "acme", "--id", key_id]);
    let (status, _) = http(addr, "GET", "/api/v1/resources", &key, None).await;
    assert_eq!(status, 401);
    terminate(&mut child);
}

#[tokio::test]
async fn the_demo_prints_curl_commands_that_work_as_printed() {
    if Command::new("curl").arg("--version").output().is_err() {
        eprintln!("curl not installed: demo check skipped");
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let common::process::Demo { mut child, addr, key, commands } = demo(dir.path(), &[], None);
    let (status, all) = http(addr, "GET", "/api/v1/bookings?limit=100", &key, None).await;
    assert_eq!(status, 200);
    let mut statuses: Vec<&str> =
        all["data"].as_array().expect("bookings").iter().filter_map(|b| b["status"].as_str()).collect();
    statuses.sort_unstable();
    statuses.dedup();
    assert_eq!(
        statuses,
        ["cancelled", "confirmed", "declined", "expired", "hold", "pencil"],
        "bookings in every state"
    );
    assert_eq!(commands.len(), 3, "three examples");
    assert!(dir.path().join("holdfast-demo.db").exists(), "the SQLite file is under the working directory");
    for command in &commands {
        let out = Command::new("sh").args(["-c", &format!("{command} -w '\\n%{{http_code}}'")]).output().expect("curl");
        let text = String::from_utf8_lossy(&out.stdout);
        let (body, code) = text.rsplit_once('\n').expect("status");
        assert!(code == "200" || code == "201", "{command}\n-> {code} {body}");
        let json: Value = serde_json::from_str(body).expect("json");
        assert!(json["data"].is_array() || json["data"].is_object(), "{body}");
        if command.contains("/artists") {
            assert_eq!(json["data"].as_array().map(Vec::len), Some(3));
        }
        if command.contains("/slots/search") {
            assert!(!json["data"].as_array().expect("slots").is_empty());
        }
    }
    terminate(&mut child);
}
