//! The command line's engine settings: `serve --durability`,
//! `--write-batch-max` and `--write-linger-ms` (and their `HOLDFAST_*`
//! variables) parse, reach the engine, and a bad value stops the binary
//! with a clear message before it listens.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use clap::Parser;
use clap::error::ErrorKind;
use holdfast::Durability;
use holdfast_server::cli::{Cli, Command as Sub, ServeArgs};

const BIN: &str = env!("CARGO_BIN_EXE_holdfast-server");

fn serve(args: &[&str]) -> Result<ServeArgs, clap::Error> {
    let argv = ["holdfast-server", "serve", "--db", "sqlite::memory:"].iter().chain(args);
    match Cli::try_parse_from(argv)?.command {
        Sub::Serve(args) => Ok(args),
        other => panic!("parsed as {other:?}"),
    }
}

#[test]
fn the_write_flags_parse_and_default_to_the_cores_settings() {
    let plain = serve(&[]).expect("parse");
    assert_eq!(plain.writes.durability, Durability::Full);
    assert_eq!(
        (plain.writes.write_batch_max, plain.writes.write_queue_max, plain.writes.write_linger_ms),
        (None, None, None)
    );
    plain.open().expect("opens with the core's defaults");

    let set = serve(&[
        "--durability",
        "normal",
        "--write-batch-max",
        "16",
        "--write-queue-max",
        "64",
        "--write-linger-ms",
        "0.5",
    ])
    .expect("parse");
    assert_eq!(set.writes.durability, Durability::Normal);
    assert_eq!(set.writes.write_batch_max, Some(16));
    assert_eq!(set.writes.write_queue_max, Some(64));
    assert_eq!(set.writes.write_linger_ms, Some(Duration::from_micros(500)));
    let engine = set.open().expect("opens with them");
    assert_eq!(engine.write_stats(), holdfast::WriteStats::default());
}

#[test]
fn a_malformed_value_is_a_parse_error_naming_the_flag() {
    for (args, message) in [
        (&["--durability", "fast"][..], "invalid value 'fast' for '--durability <full|normal>'"),
        (&["--durability", "sync"][..], "expected \"full\" or \"normal\""),
        (&["--write-batch-max", "many"][..], "invalid value 'many' for '--write-batch-max"),
        (&["--write-batch-max=-1"][..], "invalid value '-1' for '--write-batch-max"),
        (&["--write-queue-max", "lots"][..], "invalid value 'lots' for '--write-queue-max"),
        (&["--write-linger-ms", "soon"][..], "invalid value 'soon' for '--write-linger-ms <MS>'"),
        (&["--write-linger-ms=-1"][..], "must not be negative"),
    ] {
        let error = serve(args).expect_err(&format!("{args:?} is refused"));
        assert_eq!(error.kind(), ErrorKind::ValueValidation, "{args:?}: {error}");
        assert!(error.to_string().contains(message), "{args:?}: {error}");
    }
}

#[test]
fn a_value_outside_the_cores_range_fails_open_naming_the_setting() {
    for (args, code, field) in [
        (&["--write-batch-max", "0"][..], "INVALID_INPUT", "write_batch_max"),
        (&["--write-batch-max", "10001"][..], "LIMIT_EXCEEDED", "write_batch_max"),
        (&["--write-queue-max", "0"][..], "INVALID_INPUT", "write_queue_max"),
        (&["--write-queue-max", "1000001"][..], "LIMIT_EXCEEDED", "write_queue_max"),
        (&["--write-linger-ms", "10.5"][..], "INVALID_INPUT", "write_linger"),
    ] {
        let error = serve(args).expect("parse").open().expect_err(&format!("{args:?} is refused"));
        assert_eq!(error.code(), code, "{args:?}: {error}");
        assert_eq!(error.details()["field"], field, "{args:?}: {error}");
    }
}

/// Runs the binary, which must exit (not serve) within 10 s: (code, stderr).
fn exits(args: &[&str], env: &[(&str, &str)]) -> (Option<i32>, String) {
    let mut child = Command::new(BIN)
        .args(args)
        .envs(env.iter().copied())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let deadline = Instant::now() + Duration::from_secs(10);
    while child.try_wait().expect("wait").is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("{args:?} {env:?} started serving");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let out = child.wait_with_output().expect("output");
    (out.status.code(), String::from_utf8_lossy(&out.stderr).into_owned())
}

#[test]
fn serve_refuses_bad_values_from_flags_and_environment_before_listening() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = format!("sqlite://{}", dir.path().join("bad.db").display());
    let argv = ["serve", "--db", &db, "--listen", "127.0.0.1:0"];
    let (code, stderr) = exits(&argv, &[("HOLDFAST_DURABILITY", "fast")]);
    assert_eq!(code, Some(2), "a usage error: {stderr}");
    assert!(stderr.contains("invalid value 'fast' for '--durability <full|normal>'"), "{stderr}");
    let (code, stderr) = exits(&argv, &[("HOLDFAST_WRITE_BATCH_MAX", "0")]);
    assert_eq!(code, Some(1), "{stderr}");
    assert!(stderr.contains("error: INVALID_INPUT: invalid write_batch_max: must be at least 1"), "{stderr}");
    let (code, stderr) = exits(&argv, &[("HOLDFAST_WRITE_BATCH_MAX", "10001")]);
    assert_eq!(code, Some(1), "{stderr}");
    assert!(stderr.contains("error: LIMIT_EXCEEDED: write_batch_max"), "{stderr}");
    let (code, stderr) = exits(&argv, &[("HOLDFAST_WRITE_QUEUE_MAX", "0")]);
    assert_eq!(code, Some(1), "{stderr}");
    assert!(stderr.contains("error: INVALID_INPUT: invalid write_queue_max: must be at least 1"), "{stderr}");
    let (code, stderr) = exits(&[&argv[..], &["--write-linger-ms", "20"]].concat(), &[]);
    assert_eq!(code, Some(1), "{stderr}");
    assert!(stderr.contains("error: INVALID_INPUT: invalid write_linger"), "{stderr}");
}
