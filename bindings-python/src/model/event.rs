//! Events of the log.

use holdfast::EventType;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyString};

use super::ToPy;

impl ToPy for EventType {
    fn to_py<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        Ok(PyString::intern(py, self.as_str()).into_any())
    }
}

/// One entry of a tenant's log: `tenant_id`, `seq`, `booking_id`, `type`,
/// `actor`, `at`, and `data` (the JSON payload as stored: the entity after
/// the change, instants in it as RFC 3339 strings).
#[pyclass(frozen, module = "holdfast")]
pub struct Event(pub holdfast::Event);

#[pymethods]
impl Event {
    #[getter]
    fn tenant_id(&self) -> &str {
        &self.0.tenant_id
    }

    #[getter]
    fn seq(&self) -> i64 {
        self.0.seq
    }

    #[getter]
    fn booking_id(&self) -> Option<&str> {
        self.0.booking_id.as_deref()
    }

    #[getter(r#type)]
    fn kind<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        self.0.kind.to_py(py)
    }

    #[getter]
    fn actor(&self) -> &str {
        &self.0.actor
    }

    #[getter]
    fn at<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        self.0.at.to_py(py)
    }

    #[getter]
    fn data<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        self.0.data.to_py(py)
    }

    /// Every field as a plain dict.
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let dict = PyDict::new(py);
        dict.set_item("tenant_id", &self.0.tenant_id)?;
        dict.set_item("seq", self.0.seq)?;
        dict.set_item("booking_id", self.0.booking_id.as_deref())?;
        dict.set_item("type", self.kind(py)?)?;
        dict.set_item("actor", &self.0.actor)?;
        dict.set_item("at", self.at(py)?)?;
        dict.set_item("data", self.data(py)?)?;
        Ok(dict)
    }

    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        let dict = self.to_dict(py)?;
        dict.del_item("data")?; // the payload can be long: `ev.data` shows it
        super::repr("Event", &dict)
    }

    fn __eq__(&self, other: &Bound<'_, PyAny>) -> bool {
        other.cast::<Self>().is_ok_and(|other| other.get().0 == self.0)
    }
}

impl ToPy for holdfast::Event {
    fn to_py<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        Ok(Bound::new(py, Event(self.clone()))?.into_any())
    }
}
