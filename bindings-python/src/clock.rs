//! `ManualClock`: a clock that only moves when told to, for tests and
//! simulations (`Engine.open(url, clock=clock)`).

use holdfast::Clock;
use pyo3::prelude::*;

use crate::model::time::{datetime, duration, timestamp};

/// A clock standing still at `start` until `set` or `advance` moves it.
/// Engines opened with it decide "now" by it (hold expiry, `created_at`).
#[pyclass(frozen, module = "holdfast")]
pub struct ManualClock(pub holdfast::ManualClock);

#[pymethods]
impl ManualClock {
    #[new]
    fn new(start: &Bound<'_, PyAny>) -> PyResult<Self> {
        Ok(ManualClock(holdfast::ManualClock::new(timestamp("start", start)?)))
    }

    /// The clock's instant.
    fn now<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        datetime(py, self.0.now())
    }

    /// Moves the clock to `instant` (backwards too).
    fn set(&self, instant: &Bound<'_, PyAny>) -> PyResult<()> {
        self.0.set(timestamp("instant", instant)?);
        Ok(())
    }

    /// Moves the clock forward by a `timedelta`.
    fn advance(&self, delta: &Bound<'_, PyAny>) -> PyResult<()> {
        self.0.advance(duration("delta", delta)?);
        Ok(())
    }

    fn __repr__(&self) -> String {
        format!("ManualClock({})", self.0.now())
    }
}
