//! Schemathesis (Python, from PyPI) against the served OpenAPI document:
//! the real binary (`demo`: a fresh SQLite file with a seeded studio and an
//! owner key) on a loopback port, and a bounded number of generated
//! requests per operation, valid and invalid, sent with the owner key.
//! Any 5xx, any answer whose status, content type, headers or body the
//! document does not describe, and any invalid request that is accepted
//! fails the test.
//!
//! `scripts/test.sh` installs schemathesis in its venv and names its `st`
//! in `HOLDFAST_SCHEMATHESIS`, which makes the test mandatory; a plain
//! `cargo test` without it skips with a note. The run is seeded: a failure
//! prints the seed, and `HOLDFAST_SCHEMATHESIS_SEED=<seed>` replays it.

mod common;

use std::path::Path;
use std::process::Command;

use common::process::{demo, terminate};

/// The seed when `HOLDFAST_SCHEMATHESIS_SEED` does not name one.
const SEED: u64 = 20_261_122;
/// Generated test cases per operation and phase, unless
/// `HOLDFAST_SCHEMATHESIS_EXAMPLES` says otherwise.
const MAX_EXAMPLES: u32 = 25;
/// What every answer is held to (schemathesis 4 check names). Not
/// `positive_data_acceptance`: some rules span fields (`end` after `start`,
/// `hold_ttl_ms` or `hold_expires_at`), which a schema cannot state, so
/// requests the document calls valid are rightly refused.
const CHECKS: &str = "not_a_server_error,status_code_conformance,content_type_conformance,\
    response_headers_conformance,response_schema_conformance,negative_data_rejection";
/// Schemathesis' own list of answers that reject invalid data, plus 412:
/// a stale `If-Match`/`expected_version` is refused with VERSION_MISMATCH
/// before the body is judged, and nothing is written.
const CONFIG: &str = r#"[checks.negative_data_rejection]
expected-statuses = ["400", "401", "403", "404", "405", "406", "409", "412", "413", "415", "422", "428", "429", "5xx"]
"#;

fn env_number<T: std::str::FromStr>(name: &str, default: T) -> T {
    match std::env::var(name) {
        Ok(text) => text.trim().parse().unwrap_or_else(|_| panic!("{name}={text:?} is not a number")),
        Err(_) => default,
    }
}

/// The server's log lines at WARN or above (a 5xx is logged with its cause).
fn warnings(log: &Path) -> String {
    let text = std::fs::read_to_string(log).unwrap_or_default();
    let lines: Vec<&str> =
        text.lines().filter(|l| l.contains("\"level\":\"ERROR\"") || l.contains("\"level\":\"WARN\"")).collect();
    lines.join("\n")
}

#[test]
fn the_served_api_keeps_to_its_openapi_document() {
    let required = std::env::var_os("HOLDFAST_SCHEMATHESIS");
    let Some(st) = required else {
        eprintln!("HOLDFAST_SCHEMATHESIS not set (scripts/test.sh sets it): schemathesis run skipped");
        return;
    };
    let version = Command::new(&st)
        .arg("--version")
        .output()
        .unwrap_or_else(|e| panic!("HOLDFAST_SCHEMATHESIS={st:?} does not run: {e}"));
    assert!(version.status.success(), "HOLDFAST_SCHEMATHESIS={st:?} --version failed");
    let version = String::from_utf8_lossy(&version.stdout).trim().to_owned();
    let seed: u64 = env_number("HOLDFAST_SCHEMATHESIS_SEED", SEED);
    let examples: u32 = env_number("HOLDFAST_SCHEMATHESIS_EXAMPLES", MAX_EXAMPLES);

    let dir = tempfile::tempdir().expect("tempdir");
    let log = dir.path().join("server.log");
    // No rate limit: 429 is documented, but it would stand in for the
    // answers under test.
    let mut server = demo(dir.path(), &["--rate-limit-per-s", "0"], Some(&log));
    let document = format!("http://{}/api/v1/openapi.json", server.addr);
    let config = dir.path().join("schemathesis.toml");
    std::fs::write(&config, CONFIG).expect("write config");
    let config_arg = config.to_str().expect("utf-8 path").to_owned();
    let examples_arg = examples.to_string();
    let seed_arg = seed.to_string();
    let authorization = format!("Authorization: Bearer {}", server.key);
    let args = [
        "--config-file",
        &config_arg,
        "run",
        &document,
        "--header",
        &authorization,
        "--checks",
        CHECKS,
        "--max-examples",
        &examples_arg,
        "--seed",
        &seed_arg,
        "--workers",
        "2",
        "--request-timeout",
        "10",
        // Examples stay in memory: no `.hypothesis` directory is written.
        "--generation-database",
        "none",
        "--no-color",
    ];
    println!("{version}, seed {seed} (replay: HOLDFAST_SCHEMATHESIS_SEED={seed}), {examples} examples per operation");
    println!("st {}", args.join(" ").replace(&server.key, "<owner key>"));
    let out = Command::new(&st)
        .args(args)
        // Anything schemathesis writes (reports, caches) stays in the temp dir.
        .current_dir(dir.path())
        .env("NO_COLOR", "1")
        .output()
        .expect("run schemathesis");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    println!("{stdout}");
    if !stderr.trim().is_empty() {
        println!("stderr:\n{stderr}");
    }
    terminate(&mut server.child);
    if !out.status.success() {
        println!("server log, warnings and errors:\n{}", warnings(&log));
    }
    assert!(
        out.status.success(),
        "schemathesis found problems ({}); replay with HOLDFAST_SCHEMATHESIS_SEED={seed}",
        out.status
    );
}
