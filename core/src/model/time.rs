//! Instants and half-open intervals, in UTC with microsecond precision.

use std::fmt;

use chrono::{DateTime, SecondsFormat, TimeDelta, Utc};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::error::{Error, Result};
use crate::limits;

/// An instant in UTC, counted in microseconds since the Unix epoch.
///
/// Serialized as RFC 3339 with a `Z` offset. Parsing demands an explicit
/// offset: a naive local time is never guessed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Timestamp(i64);

impl Timestamp {
    /// The instant `micros` microseconds after 1970-01-01T00:00:00Z.
    pub const fn from_micros(micros: i64) -> Self {
        Timestamp(micros)
    }

    /// Microseconds since the Unix epoch.
    pub const fn as_micros(self) -> i64 {
        self.0
    }

    /// Parses RFC 3339 with an offset (`2026-12-01T09:00:00+01:00`).
    pub fn parse(text: &str) -> Result<Self> {
        let parsed = DateTime::parse_from_rfc3339(text.trim())
            .map_err(|e| Error::invalid("timestamp", format!("{text:?} is not RFC 3339 with an offset: {e}")))?;
        Self::from_datetime(parsed.with_timezone(&Utc))
    }

    /// Converts a chrono instant; sub-microsecond precision is an error, not
    /// rounded, so that what is stored is exactly what was given.
    pub fn from_datetime(instant: DateTime<Utc>) -> Result<Self> {
        if !instant.timestamp_subsec_nanos().is_multiple_of(1_000) {
            return Err(Error::invalid("timestamp", format!("{instant} is finer than a microsecond")));
        }
        Ok(Timestamp(instant.timestamp_micros()))
    }

    /// The chrono instant, or `None` outside chrono's range.
    pub fn to_datetime(self) -> Option<DateTime<Utc>> {
        DateTime::from_timestamp_micros(self.0)
    }

    /// `self + delta`, or `None` on overflow.
    pub fn checked_add(self, delta: TimeDelta) -> Option<Self> {
        delta.num_microseconds().and_then(|d| self.0.checked_add(d)).map(Timestamp)
    }

    /// Whether the instant lies in the accepted range (years 1 to 9999).
    pub fn in_range(self) -> bool {
        (limits::TIMESTAMP_MIN_US..=limits::TIMESTAMP_MAX_US).contains(&self.0)
    }
}

impl From<DateTime<Utc>> for Timestamp {
    /// Whole microseconds; anything finer is dropped (floor), which is the
    /// engine's documented precision. Use [`Timestamp::from_datetime`] to
    /// reject instead.
    fn from(instant: DateTime<Utc>) -> Self {
        Timestamp(instant.timestamp_micros())
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.to_datetime() {
            Some(instant) => f.write_str(&instant.to_rfc3339_opts(SecondsFormat::AutoSi, true)),
            None => write!(f, "{}us", self.0),
        }
    }
}

impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Timestamp::parse(&text).map_err(serde::de::Error::custom)
    }
}

/// A half-open interval `[start, end)`: `end` is not included, so back-to-back
/// bookings (one ends at 12:00, the next starts at 12:00) do not overlap.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Interval {
    /// First instant inside.
    pub start: Timestamp,
    /// First instant after.
    pub end: Timestamp,
}

impl Interval {
    /// `[start, end)`; `start` must be before `end`.
    pub fn new(start: Timestamp, end: Timestamp) -> Result<Self> {
        if start >= end {
            return Err(Error::invalid("end", format!("end {end} must be after start {start}")));
        }
        Ok(Interval { start, end })
    }

    /// Length in microseconds.
    pub fn len_us(self) -> i64 {
        self.end.0.saturating_sub(self.start.0)
    }

    /// Whether the two intervals share at least one instant.
    pub fn overlaps(self, other: Interval) -> bool {
        self.start < other.end && other.start < self.end
    }

    /// Whether `instant` lies inside.
    pub fn contains(self, instant: Timestamp) -> bool {
        self.start <= instant && instant < self.end
    }

    /// The interval widened by `before_us` and `after_us` (saturating).
    pub fn widen(self, before_us: i64, after_us: i64) -> Interval {
        Interval {
            start: Timestamp(self.start.0.saturating_sub(before_us)),
            end: Timestamp(self.end.0.saturating_add(after_us)),
        }
    }
}

impl fmt::Display for Interval {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "[{}, {})", self.start, self.end)
    }
}

/// A duration in whole microseconds, checked against `[0, max_us]`.
pub(crate) fn duration_us(field: &str, value: TimeDelta, max_us: i64) -> Result<i64> {
    let micros = value.num_microseconds().ok_or_else(|| Error::invalid(field, "duration out of range"))?;
    if micros < 0 {
        return Err(Error::invalid(field, "duration must not be negative"));
    }
    if micros > max_us {
        return Err(Error::LimitExceeded { field: field.into(), max: max_us, actual: micros });
    }
    Ok(micros)
}

/// Serde helper: a `TimeDelta` as whole microseconds.
pub(crate) mod serde_micros {
    use chrono::TimeDelta;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(value: &TimeDelta, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_i64(value.num_microseconds().unwrap_or(i64::MAX))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<TimeDelta, D::Error> {
        Ok(TimeDelta::microseconds(i64::deserialize(d)?))
    }
}

/// Serde helper: an optional `TimeDelta` as whole microseconds.
pub(crate) mod serde_micros_opt {
    use chrono::TimeDelta;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(value: &Option<TimeDelta>, s: S) -> Result<S::Ok, S::Error> {
        match value {
            Some(d) => s.serialize_some(&d.num_microseconds().unwrap_or(i64::MAX)),
            None => s.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<TimeDelta>, D::Error> {
        Ok(Option::<i64>::deserialize(d)?.map(TimeDelta::microseconds))
    }
}
