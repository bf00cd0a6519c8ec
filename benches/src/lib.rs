//! Benchmarks of the Holdfast core live in `benches/`; see `RESULTS.md`.
