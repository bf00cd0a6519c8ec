//! Conversions between Python values and the core's model, and the
//! result classes (frozen, attribute access, `to_dict()`), one file per
//! core model file.
//!
//! Result classes wrap the core value and convert a field when it is read,
//! so a call returns as soon as the core does and a field never read costs
//! nothing.

pub(crate) mod availability;
pub(crate) mod booking;
pub(crate) mod event;
pub(crate) mod key;
pub(crate) mod project;
pub(crate) mod report;
pub(crate) mod resource;
pub(crate) mod time;

use chrono::{NaiveDate, TimeDelta};
use holdfast::{Interval, LocalTime, Metadata, Status, Timestamp};
use pyo3::IntoPyObjectExt;
use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyDict, PyFloat, PyInt, PyList, PyString, PyTuple};
use serde::Serialize;
use serde_json::Value;

use crate::error::invalid;

/// Deepest nesting of a JSON value accepted from Python (metadata, rules).
const JSON_DEPTH_MAX: usize = 64;

/// A core value as a Python object.
pub(crate) trait ToPy {
    fn to_py<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>>;
}

macro_rules! to_py_via_into_pyobject {
    ($($ty:ty),*) => {$(
        impl ToPy for $ty {
            fn to_py<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
                self.into_bound_py_any(py)
            }
        }
    )*};
}
to_py_via_into_pyobject!(i64, u32, usize, bool, f64);

impl ToPy for String {
    fn to_py<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        Ok(PyString::new(py, self).into_any())
    }
}

impl<T: ToPy> ToPy for Option<T> {
    fn to_py<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        match self {
            Some(value) => value.to_py(py),
            None => Ok(py.None().into_bound(py)),
        }
    }
}

impl<T: ToPy> ToPy for Vec<T> {
    fn to_py<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let items = self.iter().map(|item| item.to_py(py)).collect::<PyResult<Vec<_>>>()?;
        Ok(PyList::new(py, items)?.into_any())
    }
}

impl ToPy for Timestamp {
    fn to_py<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        time::datetime(py, *self)
    }
}

impl ToPy for TimeDelta {
    fn to_py<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        time::timedelta(py, *self)
    }
}

impl ToPy for NaiveDate {
    fn to_py<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        time::py_date(py, *self)
    }
}

impl ToPy for LocalTime {
    fn to_py<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        Ok(PyString::new(py, &self.to_string()).into_any())
    }
}

impl ToPy for Status {
    fn to_py<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        Ok(PyString::intern(py, self.as_str()).into_any())
    }
}

impl ToPy for Value {
    fn to_py<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        json_to_py(py, self)
    }
}

impl ToPy for Metadata {
    fn to_py<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let dict = PyDict::new(py);
        for (key, value) in self {
            dict.set_item(key, json_to_py(py, value)?)?;
        }
        Ok(dict.into_any())
    }
}

/// `{"start": datetime, "end": datetime}`.
impl ToPy for Interval {
    fn to_py<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let dict = PyDict::new(py);
        dict.set_item(pyo3::intern!(py, "start"), self.start.to_py(py)?)?;
        dict.set_item(pyo3::intern!(py, "end"), self.end.to_py(py)?)?;
        Ok(dict.into_any())
    }
}

/// A plain dict from `(key, value)` pairs.
pub(crate) fn dict<'py>(py: Python<'py>, pairs: &[(&str, Bound<'py, PyAny>)]) -> PyResult<Bound<'py, PyAny>> {
    let dict = PyDict::new(py);
    for (key, value) in pairs {
        dict.set_item(PyString::intern(py, key), value)?;
    }
    Ok(dict.into_any())
}

/// The name a serde enum serializes to (`Policy::Strict` -> `"strict"`).
pub(crate) fn serde_name<T: Serialize>(value: &T) -> String {
    match serde_json::to_value(value) {
        Ok(Value::String(name)) => name,
        _ => String::new(),
    }
}

/// A name as the serde enum it names, or `INVALID_INPUT` naming `field`.
pub(crate) fn parse_serde_name<T: serde::de::DeserializeOwned>(py: Python<'_>, field: &str, name: &str) -> PyResult<T> {
    serde_json::from_value(Value::String(name.to_owned()))
        .map_err(|e| invalid(py, field, format!("{name:?} is not a valid {field}: {e}")))
}

/// A JSON value as plain Python (dict, list, str, int, float, bool, None).
pub(crate) fn json_to_py<'py>(py: Python<'py>, value: &Value) -> PyResult<Bound<'py, PyAny>> {
    Ok(match value {
        Value::Null => py.None().into_bound(py),
        Value::Bool(b) => PyBool::new(py, *b).to_owned().into_any(),
        Value::Number(n) => {
            if let Some(i) = n.as_i64() {
                i.into_bound_py_any(py)?
            } else if let Some(u) = n.as_u64() {
                u.into_bound_py_any(py)?
            } else {
                n.as_f64().unwrap_or(f64::NAN).into_bound_py_any(py)?
            }
        }
        Value::String(s) => PyString::new(py, s).into_any(),
        Value::Array(items) => {
            PyList::new(py, items.iter().map(|v| json_to_py(py, v)).collect::<PyResult<Vec<_>>>()?)?.into_any()
        }
        Value::Object(map) => map.to_py(py)?,
    })
}

/// Plain Python as a JSON value; anything else is `INVALID_INPUT` on `field`.
pub(crate) fn py_to_json(field: &str, value: &Bound<'_, PyAny>) -> PyResult<Value> {
    to_json(field, value, 0)
}

fn to_json(field: &str, value: &Bound<'_, PyAny>, depth: usize) -> PyResult<Value> {
    let py = value.py();
    if depth > JSON_DEPTH_MAX {
        return Err(invalid(py, field, format!("nested deeper than {JSON_DEPTH_MAX} levels")));
    }
    if value.is_none() {
        return Ok(Value::Null);
    }
    if let Ok(b) = value.cast::<PyBool>() {
        return Ok(Value::Bool(b.is_true()));
    }
    if value.is_instance_of::<PyInt>() {
        if let Ok(i) = value.extract::<i64>() {
            return Ok(Value::from(i));
        }
        if let Ok(u) = value.extract::<u64>() {
            return Ok(Value::from(u));
        }
        return Err(invalid(py, field, "integer out of the 64-bit range"));
    }
    if value.is_instance_of::<PyFloat>() {
        let f: f64 = value.extract()?;
        return serde_json::Number::from_f64(f)
            .map(Value::Number)
            .ok_or_else(|| invalid(py, field, format!("{f} is not a JSON number")));
    }
    if let Ok(s) = value.cast::<PyString>() {
        return Ok(Value::String(s.to_cow()?.into_owned()));
    }
    if let Ok(map) = value.cast::<PyDict>() {
        let mut out = serde_json::Map::new();
        for (key, item) in map.iter() {
            let key = key.cast::<PyString>().map_err(|_| invalid(py, field, "object keys must be strings"))?;
            out.insert(key.to_cow()?.into_owned(), to_json(field, &item, depth + 1)?);
        }
        return Ok(Value::Object(out));
    }
    if value.is_instance_of::<PyList>() || value.is_instance_of::<PyTuple>() {
        let items = value.try_iter()?.map(|item| to_json(field, &item?, depth + 1)).collect::<PyResult<_>>()?;
        return Ok(Value::Array(items));
    }
    Err(invalid(py, field, format!("a value of type {} is not JSON", time::type_name(value))))
}

/// A metadata object: a dict of JSON values (`None` = empty).
pub(crate) fn metadata(field: &str, value: Option<&Bound<'_, PyAny>>) -> PyResult<Option<Metadata>> {
    let Some(value) = value.filter(|v| !v.is_none()) else { return Ok(None) };
    if !value.is_instance_of::<PyDict>() {
        return Err(PyTypeError::new_err(format!("{field}: expected a dict, got {}", time::type_name(value))));
    }
    match py_to_json(field, value)? {
        Value::Object(map) => Ok(Some(map)),
        _ => Err(invalid(value.py(), field, "must be an object")),
    }
}

/// A Python int as the unsigned count the core takes; out of range is
/// `INVALID_INPUT` on `field` (the core judges the value itself).
pub(crate) fn count<T: TryFrom<i64>>(py: Python<'_>, field: &str, value: i64) -> PyResult<T> {
    T::try_from(value).map_err(|_| invalid(py, field, format!("{value} is out of range")))
}

pub(crate) fn opt_count<T: TryFrom<i64>>(py: Python<'_>, field: &str, value: Option<i64>) -> PyResult<Option<T>> {
    value.map(|v| count(py, field, v)).transpose()
}

/// `Name(field=value, ...)` from a result's `to_dict()`.
pub(crate) fn repr(name: &str, dict: &Bound<'_, PyDict>) -> PyResult<String> {
    let mut out = format!("{name}(");
    for (i, (key, value)) in dict.iter().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        out.push_str(&format!("{}={}", key.str()?, value.repr()?));
    }
    out.push(')');
    Ok(out)
}

/// A frozen result class wrapping a core value, with one read-only
/// attribute per listed field, `to_dict()`, `repr()` and `==`.
macro_rules! record {
    ($(#[doc = $doc:literal])* $name:ident($core:ty) { $($field:ident),* $(,)? } $(extra { $($extra:tt)* })?) => {
        $(#[doc = $doc])*
        #[pyclass(frozen, module = "holdfast")]
        pub struct $name(pub $core);

        #[pymethods]
        impl $name {
            $(
                #[getter]
                fn $field<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
                    $crate::model::ToPy::to_py(&self.0.$field, py)
                }
            )*

            /// Every field as a plain dict (what `pandas.DataFrame` takes).
            fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, pyo3::types::PyDict>> {
                let dict = pyo3::types::PyDict::new(py);
                $(dict.set_item(pyo3::intern!(py, stringify!($field)), $crate::model::ToPy::to_py(&self.0.$field, py)?)?;)*
                Ok(dict)
            }

            fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
                $crate::model::repr(stringify!($name), &self.to_dict(py)?)
            }

            fn __eq__(&self, other: &Bound<'_, PyAny>) -> bool {
                other.cast::<Self>().is_ok_and(|other| other.get().0 == self.0)
            }

            $($($extra)*)?
        }

        impl $crate::model::ToPy for $core {
            fn to_py<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
                Ok(Bound::new(py, $name(self.clone()))?.into_any())
            }
        }
    };
}
pub(crate) use record;

record! {
    /// A tenant: `id`, `name`, `created_at`.
    TenantInfo(holdfast::TenantInfo) { id, name, created_at }
}

/// One page of a list call: `items` and `next_cursor` (`None` on the last
/// page). Iterating a page iterates its items.
#[pyclass(frozen, module = "holdfast")]
pub struct Page {
    #[pyo3(get)]
    items: Py<PyList>,
    #[pyo3(get)]
    next_cursor: Option<String>,
}

impl Page {
    pub(crate) fn new<T: ToPy>(py: Python<'_>, page: holdfast::Page<T>) -> PyResult<Page> {
        let items = page.items.iter().map(|item| item.to_py(py)).collect::<PyResult<Vec<_>>>()?;
        Ok(Page { items: PyList::new(py, items)?.unbind(), next_cursor: page.next_cursor })
    }
}

#[pymethods]
impl Page {
    fn __iter__<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        Ok(self.items.bind(py).try_iter()?.into_any())
    }

    fn __len__(&self, py: Python<'_>) -> usize {
        self.items.bind(py).len()
    }

    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        Ok(format!("Page(items=<{} items>, next_cursor={:?})", self.items.bind(py).len(), self.next_cursor))
    }
}
