//! Node.js binding of Holdfast: the npm package `holdfast`.
//!
//! Glue only (STYLE.md rule 5): every method converts its arguments, calls
//! one core method, maps the error and converts the result. Validation,
//! defaults and business rules live in the core (crate `holdfast`); the few
//! things done here are the ones only a JS edge has: `Date`s and numbers in
//! and out, running each store call as an `AsyncTask` on the libuv pool
//! (never on the JS thread), and delivering events to a JS callback.
//!
//! File names mirror the core's: `engine.rs` (Engine), `tenant.rs` and
//! `tenant/` (Tenant, like the core's `engine/` halves), `feed.rs` (watch),
//! `clock.rs`, `error.rs`, `model/` (the JS shapes of the core's model),
//! plus `convert.rs` (scalars) and `task.rs` (the one AsyncTask).

mod clock;
mod convert;
mod engine;
mod error;
mod feed;
mod model;
mod task;
mod tenant;

pub use clock::ManualClock;
pub use engine::{Engine, EngineOptions};
pub use error::ErrorCode;
pub use feed::{Watch, WatchOptions};
pub use tenant::Tenant;
