//! Node.js binding of Holdfast. Glue only: the napi surface arrives with the
//! Node binding issue; this crate exists so the workspace layout is final.

pub use holdfast::Engine;
