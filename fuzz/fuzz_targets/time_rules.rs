//! The `time_rules` fuzz target: what it feeds and checks is in `src/time_rules.rs`,
//! where `tests/corpus.rs` replays the committed corpus through it too.

#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| holdfast_fuzz::time_rules::fuzz(data));
