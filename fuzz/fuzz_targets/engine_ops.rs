//! The `engine_ops` fuzz target: what it feeds and checks is in `src/engine_ops.rs`,
//! where `tests/corpus.rs` replays the committed corpus through it too.

#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| holdfast_fuzz::engine_ops::fuzz(data));
