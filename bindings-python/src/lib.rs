//! Python binding of Holdfast. Glue only: the pyo3 surface arrives with the
//! Python binding issue; this crate exists so the workspace layout is final.

pub use holdfast::Engine;
