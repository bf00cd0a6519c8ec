//! Half-open intervals `[start, end)`.

use chrono::{DateTime, Utc};
use holdfast::Result;
use napi_derive::napi;

use crate::convert;

/// `[start, end)`: `end` is the first instant after.
#[napi(object, object_from_js = false)]
pub struct Interval {
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
}

impl Interval {
    pub(crate) fn from_core(i: holdfast::Interval) -> Result<Self> {
        Ok(Interval { start: convert::date(i.start)?, end: convert::date(i.end)? })
    }

    pub(crate) fn all(intervals: Vec<holdfast::Interval>) -> Result<Vec<Self>> {
        super::all(intervals, Interval::from_core)
    }
}
