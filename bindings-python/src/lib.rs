//! Python binding of Holdfast: the native module `holdfast._native`.
//!
//! Glue only (STYLE.md rule 5): each method converts its arguments, calls
//! one core method with the GIL released, maps the error and converts the
//! result. The pure-Python half of the package (`python/holdfast/`) adds
//! the context manager, the event iterator and the analytics helpers on
//! top of these calls. File names mirror the core's.

use pyo3::prelude::*;

mod clock;
mod engine;
mod error;
mod feed;
mod model;

/// The native half of the `holdfast` package (import `holdfast`, not this).
#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<engine::Engine>()?;
    m.add_class::<engine::Tenant>()?;
    m.add_class::<clock::ManualClock>()?;
    m.add_class::<feed::Subscription>()?;
    m.add_class::<model::Page>()?;
    m.add_class::<model::TenantInfo>()?;
    m.add_class::<model::booking::Booking>()?;
    m.add_class::<model::resource::Resource>()?;
    m.add_class::<model::project::Project>()?;
    m.add_class::<model::event::Event>()?;
    m.add_class::<model::key::ApiKey>()?;
    m.add_class::<model::key::IssuedKey>()?;
    m.add_class::<model::availability::Availability>()?;
    m.add_class::<model::availability::AvailabilityCheck>()?;
    m.add_class::<model::availability::FreeBusy>()?;
    m.add_class::<model::availability::FoundSlot>()?;
    m.add_class::<model::report::UtilizationRow>()?;
    m.add_function(wrap_pyfunction!(model::booking::booking_columns, m)?)?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add("PAGE_SIZE_MAX", holdfast::limits::PAGE_SIZE_MAX)?;
    m.add("BATCH_SIZE_MAX", holdfast::limits::BATCH_SIZE_MAX)?;
    Ok(())
}
