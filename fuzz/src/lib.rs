//! The fuzz targets' code, one module per target, each with
//! `pub fn fuzz(data: &[u8])` (panics on a failed check). The libFuzzer
//! binaries in `fuzz_targets/` are one-line wrappers around these, and
//! `tests/corpus.rs` replays the committed corpus through them in every
//! test run (`scripts/test.sh`), without libFuzzer.

pub mod engine_ops;
pub mod http_requests;
pub mod time_rules;
