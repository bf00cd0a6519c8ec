//! The `http_requests` fuzz target: what it feeds and checks is in `src/http_requests.rs`,
//! where `tests/corpus.rs` replays the committed corpus through it too.

#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| holdfast_fuzz::http_requests::fuzz(data));
