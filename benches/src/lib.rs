//! Helpers shared by the Holdfast benchmarks in `benches/` (figures in
//! `RESULTS.md`): where cached datasets live and building one once.

use std::io::ErrorKind;
use std::path::{Path, PathBuf};

/// Datasets are cached here: `$CARGO_TARGET_DIR/bench-data` when that is
/// set (give it as an absolute path: cargo runs benches from the package
/// directory), else `target/bench-data` in the workspace.
pub fn bench_data_dir() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target"));
    target.join("bench-data")
}

pub fn sqlite_url(path: &Path) -> String {
    format!("sqlite://{}", path.display())
}

/// The dataset file `name` in [`bench_data_dir`], built by `build` (given
/// its store URL) unless an earlier run finished it. A `.complete` marker
/// written after the build tells a finished file from one that a killed
/// run left half-built; bump a version in `name` when the data's shape
/// changes.
pub fn cached_dataset(name: &str, build: impl FnOnce(&str)) -> PathBuf {
    let path = bench_data_dir().join(name);
    let complete = path.with_extension("complete");
    if !complete.exists() {
        remove_database(&path);
        std::fs::create_dir_all(bench_data_dir()).expect("create the bench data directory");
        build(&sqlite_url(&path));
        std::fs::write(&complete, b"").expect("write the dataset's .complete marker");
    }
    path
}

/// Removes a SQLite database with its WAL and shared-memory files.
pub fn remove_database(path: &Path) {
    for suffix in ["", "-wal", "-shm"] {
        let mut file = path.as_os_str().to_owned();
        file.push(suffix);
        match std::fs::remove_file(&file) {
            Ok(()) => {}
            Err(e) if e.kind() == ErrorKind::NotFound => {}
            Err(e) => panic!("cannot remove {}: {e}", Path::new(&file).display()),
        }
    }
}
