//! Helpers shared by the Holdfast benchmarks in `benches/` (figures in
//! `RESULTS.md`): where cached datasets live, building one once, private
//! copies for benches that write, and the run profile read from the
//! environment.

pub mod core_dataset;

use std::fs::File;
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

/// A private copy of a cached dataset for a bench that writes: the cached
/// file never changes, so every run starts from the same data. The copy
/// sits next to the dataset (same disk, same fsync cost) under one name
/// per dataset, and is removed on drop.
pub struct ScratchCopy {
    source: PathBuf,
    path: PathBuf,
}

impl ScratchCopy {
    /// Names the copy; nothing is copied before [`ScratchCopy::reset`].
    pub fn new(source: &Path) -> ScratchCopy {
        let name = source.file_name().expect("dataset file name").to_string_lossy();
        ScratchCopy { source: source.to_owned(), path: source.with_file_name(format!("scratch-{name}")) }
    }

    /// Replaces the copy with the dataset, flushed to disk first: left
    /// dirty, its pages would be written back during the measurement and
    /// slow down the fsyncs being measured. No engine may have it open.
    pub fn reset(&self) {
        remove_database(&self.path);
        std::fs::copy(&self.source, &self.path)
            .unwrap_or_else(|e| panic!("copy {} to {}: {e}", self.source.display(), self.path.display()));
        File::open(&self.path).and_then(|f| f.sync_all()).expect("flush the scratch copy");
    }

    pub fn url(&self) -> String {
        sqlite_url(&self.path)
    }
}

impl Drop for ScratchCopy {
    fn drop(&mut self) {
        remove_database(&self.path);
    }
}

/// `HOLDFAST_BENCH_QUICK=1` (any value but empty or `0`): benches that
/// read it use short warm-ups, measurement times and the fewest samples.
pub fn quick_profile() -> bool {
    std::env::var("HOLDFAST_BENCH_QUICK").is_ok_and(|value| !value.is_empty() && value != "0")
}
