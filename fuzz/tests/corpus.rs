//! Replays the committed corpus of every fuzz target through the target's
//! code, without libFuzzer, so a regression fails the ordinary test run
//! (`scripts/test.sh`). Every file under `corpus/<target>/` and, when the
//! directory exists, `regressions/<target>/` is one input; a panic (a failed
//! check) on any of them fails the target's test, naming the files.
//!
//! Run alone: `cargo test --manifest-path fuzz/Cargo.toml --no-default-features`.

use std::fs;
use std::panic;
use std::path::{Path, PathBuf};

/// A fuzz target's name and the function its binary calls.
type Target = (&'static str, fn(&[u8]));

const TARGETS: [Target; 3] = [
    ("http_requests", holdfast_fuzz::http_requests::fuzz),
    ("engine_ops", holdfast_fuzz::engine_ops::fuzz),
    ("time_rules", holdfast_fuzz::time_rules::fuzz),
];

fn fuzz_dir() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// The files of `dir`, sorted; hidden ones (libFuzzer's temporaries, ignored
/// by git) left out.
fn files_in(dir: &Path) -> Vec<PathBuf> {
    let entries = fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    let mut files: Vec<PathBuf> = entries
        .map(|entry| entry.unwrap_or_else(|e| panic!("{}: {e}", dir.display())).path())
        .filter(|path| path.is_file() && !path.file_name().is_some_and(|n| n.to_string_lossy().starts_with('.')))
        .collect();
    files.sort();
    files
}

fn message(payload: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_owned()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "(a panic without a message)".to_owned()
    }
}

fn replay(target: &str) {
    let (_, fuzz) = TARGETS.iter().find(|(name, _)| *name == target).expect("a known target");
    let corpus = fuzz_dir().join("corpus").join(target);
    let mut files = files_in(&corpus);
    assert!(!files.is_empty(), "{}: no corpus files, nothing would be replayed", corpus.display());
    let regressions = fuzz_dir().join("regressions").join(target);
    if regressions.exists() {
        files.extend(files_in(&regressions));
    }
    let mut failures = Vec::new();
    for path in &files {
        let data = fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        if let Err(payload) = panic::catch_unwind(|| fuzz(&data)) {
            failures.push(format!("{}: {}", path.display(), message(payload.as_ref())));
        }
    }
    assert!(
        failures.is_empty(),
        "{target}: {} of {} inputs failed (rerun one with `cargo fuzz run -s none {target} <file>`):\n{}",
        failures.len(),
        files.len(),
        failures.join("\n")
    );
    eprintln!("{target}: {} inputs replayed", files.len());
}

#[test]
fn http_requests() {
    replay("http_requests");
}

#[test]
fn engine_ops() {
    replay("engine_ops");
}

#[test]
fn time_rules() {
    replay("time_rules");
}

/// No target is left out: the list above, the binaries in `fuzz_targets/`
/// and the directories in `corpus/` name the same targets, and each binary
/// calls the function replayed here under its name.
#[test]
fn every_target_is_replayed() {
    let mut known: Vec<&str> = TARGETS.iter().map(|(name, _)| *name).collect();
    known.sort_unstable();
    let stems = |dir: &str| -> Vec<String> {
        let mut names: Vec<String> = fs::read_dir(fuzz_dir().join(dir))
            .unwrap_or_else(|e| panic!("{dir}: {e}"))
            .map(|entry| entry.expect("a directory entry").path())
            .map(|path| path.file_stem().expect("a file name").to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    };
    assert_eq!(stems("fuzz_targets"), known, "fuzz_targets/ vs the targets replayed here");
    assert_eq!(stems("corpus"), known, "corpus/ vs the targets replayed here");
    for target in known {
        let path = fuzz_dir().join("fuzz_targets").join(format!("{target}.rs"));
        let wrapper = fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let call = format!("holdfast_fuzz::{target}::fuzz(data)");
        assert!(wrapper.contains(&call), "{} does not call {call}", path.display());
    }
}
