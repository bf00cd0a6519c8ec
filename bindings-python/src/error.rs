//! The one mapping of `holdfast::Error` to Python exceptions.
//!
//! The classes live in `holdfast/errors.py` (`HoldfastError` and one
//! subclass per code, each with `.code` and `.details`); this module picks
//! the class with an exhaustive match, so a new core variant does not
//! compile until it is given one.

use holdfast::Error;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::PyModule;

use crate::model::json_to_py;

static ERRORS: PyOnceLock<Py<PyModule>> = PyOnceLock::new();

/// The Python class raised for `error`.
fn class_name(error: &Error) -> &'static str {
    match error {
        Error::InvalidInput { .. } => "InvalidInputError",
        Error::NotFound { .. } => "NotFoundError",
        Error::AlreadyExists { .. } => "AlreadyExistsError",
        Error::Conflict { .. } => "ConflictError",
        Error::InvalidTransition { .. } => "InvalidTransitionError",
        Error::HoldExpired { .. } => "HoldExpiredError",
        Error::OutsideAvailability { .. } => "OutsideAvailabilityError",
        Error::IdempotencyMismatch { .. } => "IdempotencyMismatchError",
        Error::VersionMismatch { .. } => "VersionMismatchError",
        Error::LimitExceeded { .. } => "LimitExceededError",
        Error::StoreUnavailable { .. } => "StoreUnavailableError",
        Error::Internal { .. } => "InternalError",
        // A batch item's error is raised as its own kind; `details.index`
        // says which item.
        Error::InBatch { source, .. } => class_name(source),
    }
}

/// The exception for a core error: `class(message, code, details)`.
pub(crate) fn to_py_err(py: Python<'_>, error: &Error) -> PyErr {
    build(py, error).unwrap_or_else(|failure| failure)
}

fn build(py: Python<'_>, error: &Error) -> PyResult<PyErr> {
    let module = ERRORS.get_or_try_init(py, || py.import("holdfast.errors").map(Bound::unbind))?.bind(py);
    let class = module.getattr(class_name(error))?;
    let details = json_to_py(py, &error.details())?;
    let exception = class.call1((error.to_string(), error.code(), details))?;
    Ok(PyErr::from_value(exception))
}

/// `INVALID_INPUT` for a value the binding cannot convert (a naive
/// datetime, a number out of range), naming the argument like the core does.
pub(crate) fn invalid(py: Python<'_>, field: &str, message: impl Into<String>) -> PyErr {
    to_py_err(py, &Error::InvalidInput { field: field.into(), message: message.into() })
}

/// The same error with its field renamed (`status` -> `statuses[2]`).
pub(crate) fn with_field(error: Error, field: &str) -> Error {
    match error {
        Error::InvalidInput { message, .. } => Error::InvalidInput { field: field.into(), message },
        Error::LimitExceeded { max, actual, .. } => Error::LimitExceeded { field: field.into(), max, actual },
        other => other,
    }
}

/// What a call on a closed engine (or a tenant of one) answers.
pub(crate) fn closed() -> Error {
    Error::StoreUnavailable { message: "the engine is closed".into() }
}

/// Converts a core result, raising its error.
pub(crate) trait OrRaise<T> {
    fn or_raise(self, py: Python<'_>) -> PyResult<T>;
}

impl<T> OrRaise<T> for holdfast::Result<T> {
    fn or_raise(self, py: Python<'_>) -> PyResult<T> {
        self.map_err(|e| to_py_err(py, &e))
    }
}
