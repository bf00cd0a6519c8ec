//! `holdfast-server`: the standalone HTTP service over the Holdfast core.
//!
//! The CLI, REST routes, SSE feed and API keys arrive with the server issue;
//! until then this crate only proves the workspace wiring (it depends on the
//! core and nothing else).

pub use holdfast::Engine;
