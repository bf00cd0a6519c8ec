//! API keys (issued and revoked through a tenant; checked by the engine).

use holdfast::Role;
use pyo3::prelude::*;
use pyo3::types::PyString;

use super::{ToPy, record};
use crate::error::OrRaise;

impl ToPy for Role {
    fn to_py<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        Ok(PyString::intern(py, self.as_str()).into_any())
    }
}

record! {
    /// An API key as stored (never with its secret).
    ApiKey(holdfast::ApiKey) { id, tenant_id, role, resource_id, name, created_at, revoked_at }
}

/// A key just issued: `key` and the bearer `token`, shown only this once.
#[pyclass(frozen, module = "holdfast")]
pub struct IssuedKey(pub holdfast::IssuedKey);

#[pymethods]
impl IssuedKey {
    #[getter]
    fn key<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        self.0.key.to_py(py)
    }

    #[getter]
    fn token(&self) -> String {
        self.0.token.clone()
    }

    fn __repr__(&self) -> String {
        format!("IssuedKey(key_id={:?}, token=<secret>)", self.0.key.id)
    }
}

/// A role name (`"viewer"`).
pub(crate) fn role(py: Python<'_>, name: &str) -> PyResult<Role> {
    Role::parse(name).or_raise(py)
}
