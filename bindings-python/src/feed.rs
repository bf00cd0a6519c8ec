//! `Subscription`: committed events of this engine, as they happen.

use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use holdfast::FeedItem;
use pyo3::prelude::*;
use pyo3::types::PyString;

use crate::model::ToPy;
use crate::model::time::wait;

/// Longest single wait with the GIL released, so Ctrl-C is seen promptly.
const WAIT_SLICE: Duration = Duration::from_millis(100);

/// Events committed by this engine after `subscribe()` (in `seq` order per
/// tenant). Events of other processes are not seen here: read the log
/// (`tenant.events(...)`, which combines both) for those.
#[pyclass(frozen, module = "holdfast")]
pub struct Subscription(pub Mutex<holdfast::Subscription>);

#[pymethods]
impl Subscription {
    /// The next item: an `Event`; the string `"lagged"` if this subscriber
    /// fell behind and events were dropped (read the log from the last
    /// `seq` seen); or `None` when `timeout` (a `timedelta` or seconds;
    /// `None` = no limit) passes first or the engine is gone.
    #[pyo3(signature = (timeout = None))]
    fn next<'py>(&self, py: Python<'py>, timeout: Option<&Bound<'py, PyAny>>) -> PyResult<Option<Bound<'py, PyAny>>> {
        let deadline = wait("timeout", timeout)?.map(|t| Instant::now() + t);
        loop {
            let slice = deadline.map_or(WAIT_SLICE, |d| d.saturating_duration_since(Instant::now()).min(WAIT_SLICE));
            let waited = Instant::now();
            let item = py.detach(|| self.0.lock().unwrap_or_else(PoisonError::into_inner).next_timeout(slice));
            match item {
                Some(FeedItem::Event(event)) => return event.to_py(py).map(Some),
                Some(FeedItem::Lagged) => return Ok(Some(PyString::intern(py, "lagged").into_any())),
                None => {}
            }
            let gone = waited.elapsed() < slice; // returned early: the engine was dropped
            if gone || deadline.is_some_and(|d| Instant::now() >= d) {
                return Ok(None);
            }
            py.check_signals()?;
        }
    }

    fn __repr__(&self) -> &'static str {
        "Subscription()"
    }
}
