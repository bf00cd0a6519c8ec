//! Availability rules: weekly working hours written in the resource's IANA
//! time zone, dated overrides, and the policy that says whether hours are
//! advice or law. Expanding rules into UTC intervals is pure and is where
//! daylight-saving time is decided:
//!
//! - **Gap** (a local time that does not exist, e.g. 02:30 in Berlin on
//!   2026-03-29): the time is read with the offset in force *before* the
//!   jump, so it lands as far after the jump as it was meant to be after its
//!   start (02:30 -> 03:30 CEST). This is RFC 5545's and TC39 Temporal's
//!   `compatible` rule.
//! - **Fold** (a local time that happens twice, e.g. 02:30 in Berlin on
//!   2026-10-25): the earlier occurrence (the offset before the change).
//!
//! A shift whose end is not after its start (`22:00`-`06:00`) runs overnight
//! into the next day; `24:00` ends a day at midnight. A shift belongs to the
//! local date it starts on, so an override of a date replaces the shifts that
//! start on it, not the tail of the previous night's shift.

use std::fmt;

use chrono::{Datelike, LocalResult, NaiveDate, NaiveDateTime, Offset, TimeDelta, TimeZone};
use chrono_tz::Tz;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::time::{Interval, Timestamp, serde_micros_opt};
use crate::error::ConflictingBooking;
use crate::error::{Error, Result};
use crate::limits;

/// Whether working hours bind bookings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Policy {
    /// Bookings outside hours are allowed; checks report them.
    #[default]
    Advisory,
    /// Creating, rescheduling or confirming outside hours is `OUTSIDE_AVAILABILITY`.
    Strict,
}

/// A day of the week, serialized in lower case (`"monday"`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Weekday {
    Monday,
    Tuesday,
    Wednesday,
    Thursday,
    Friday,
    Saturday,
    Sunday,
}

impl Weekday {
    /// Monday first.
    pub const ALL: [Weekday; 7] = [
        Weekday::Monday,
        Weekday::Tuesday,
        Weekday::Wednesday,
        Weekday::Thursday,
        Weekday::Friday,
        Weekday::Saturday,
        Weekday::Sunday,
    ];

    /// The weekday of a calendar date.
    pub fn of(date: NaiveDate) -> Weekday {
        Weekday::ALL[date.weekday().num_days_from_monday() as usize]
    }
}

/// A wall-clock time of day in whole minutes, `"HH:MM"`; `"24:00"` is the
/// end of the day and only valid as an end.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct LocalTime(u16);

impl LocalTime {
    const END_OF_DAY: u16 = 24 * 60;

    /// `hour:minute`; `None` unless it is 00:00 to 24:00.
    pub fn hm(hour: u16, minute: u16) -> Option<LocalTime> {
        let minutes = hour.checked_mul(60)?.checked_add(minute)?;
        (minute < 60 && minutes <= Self::END_OF_DAY).then_some(LocalTime(minutes))
    }

    /// Minutes after midnight.
    pub fn minutes(self) -> u16 {
        self.0
    }

    /// Parses `"HH:MM"` (two digits each).
    pub fn parse(field: &str, text: &str) -> Result<LocalTime> {
        let bad = || Error::invalid(field, format!("{text:?} is not a time of day \"HH:MM\" (00:00 to 24:00)"));
        let (h, m) = text.split_once(':').ok_or_else(bad)?;
        if h.len() != 2 || m.len() != 2 || !h.bytes().chain(m.bytes()).all(|b| b.is_ascii_digit()) {
            return Err(bad());
        }
        let (h, m) = (h.parse().map_err(|_| bad())?, m.parse().map_err(|_| bad())?);
        LocalTime::hm(h, m).ok_or_else(bad)
    }

    fn on(self, date: NaiveDate) -> NaiveDateTime {
        date.and_time(chrono::NaiveTime::MIN) + TimeDelta::minutes(i64::from(self.0))
    }
}

impl std::str::FromStr for LocalTime {
    type Err = Error;

    fn from_str(text: &str) -> Result<LocalTime> {
        LocalTime::parse("time", text)
    }
}

impl fmt::Display for LocalTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:02}:{:02}", self.0 / 60, self.0 % 60)
    }
}

impl Serialize for LocalTime {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for LocalTime {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        LocalTime::parse("time", &text).map_err(serde::de::Error::custom)
    }
}

/// One shift: `[start, end)` local time; `end <= start` runs overnight.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Hours {
    pub start: LocalTime,
    pub end: LocalTime,
}

impl Hours {
    /// The shift `start`-`end`, both `"HH:MM"`.
    pub fn parse(start: &str, end: &str) -> Result<Hours> {
        Ok(Hours { start: LocalTime::parse("start", start)?, end: LocalTime::parse("end", end)? })
    }

    fn validate(&self, field: &str) -> Result<()> {
        if self.start.0 == LocalTime::END_OF_DAY {
            return Err(Error::invalid(format!("{field}.start"), "24:00 is only valid as an end"));
        }
        if self.start == self.end {
            return Err(Error::invalid(format!("{field}.end"), "a shift must not be empty (start equals end)"));
        }
        Ok(())
    }

    /// The local date-times the shift spans when it starts on `date`.
    fn on(self, date: NaiveDate) -> (NaiveDateTime, NaiveDateTime) {
        let start = self.start.on(date);
        let mut end = self.end.on(date);
        if end <= start {
            end += TimeDelta::days(1); // overnight
        }
        (start, end)
    }
}

/// Weekly working hours: every `weekday`, `start`-`end` local time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct WeeklyHours {
    pub weekday: Weekday,
    pub start: LocalTime,
    pub end: LocalTime,
}

impl WeeklyHours {
    fn hours(self) -> Hours {
        Hours { start: self.start, end: self.end }
    }
}

/// One date with other hours than the weekly ones; no hours = closed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DateOverride {
    /// Local calendar date in the resource's time zone (`"2026-12-24"`).
    pub date: NaiveDate,
    /// The shifts starting that day, replacing the weekly ones; empty = closed.
    #[serde(default)]
    pub hours: Vec<Hours>,
}

/// A resource's rules as given to `set_availability`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct AvailabilityRules {
    pub policy: Policy,
    pub weekly: Vec<WeeklyHours>,
    pub overrides: Vec<DateOverride>,
}

impl Default for AvailabilityRules {
    /// What a resource has until rules are set: open around the clock,
    /// advisory. (Empty weekly hours would mean "never works".)
    fn default() -> Self {
        AvailabilityRules {
            policy: Policy::Advisory,
            weekly: Weekday::ALL
                .iter()
                .map(|&weekday| WeeklyHours { weekday, start: LocalTime(0), end: LocalTime(LocalTime::END_OF_DAY) })
                .collect(),
            overrides: Vec::new(),
        }
    }
}

impl AvailabilityRules {
    /// Checks every shift and override against its rule and limit.
    pub fn validate(&self) -> Result<()> {
        if self.weekly.len() > limits::WEEKLY_HOURS_MAX {
            return Err(Error::limit("weekly", limits::WEEKLY_HOURS_MAX, self.weekly.len()));
        }
        for (i, w) in self.weekly.iter().enumerate() {
            w.hours().validate(&format!("weekly[{i}]"))?;
        }
        if self.overrides.len() > limits::DATE_OVERRIDES_MAX {
            return Err(Error::limit("overrides", limits::DATE_OVERRIDES_MAX, self.overrides.len()));
        }
        let mut dates: Vec<NaiveDate> = self.overrides.iter().map(|o| o.date).collect();
        dates.sort_unstable();
        if let Some(pair) = dates.windows(2).find(|p| p[0] == p[1]) {
            let i = self.overrides.iter().rposition(|o| o.date == pair[0]).unwrap_or(0);
            return Err(Error::invalid(format!("overrides[{i}].date"), format!("{} is overridden twice", pair[0])));
        }
        for (i, o) in self.overrides.iter().enumerate() {
            if o.hours.len() > limits::OVERRIDE_HOURS_MAX {
                return Err(Error::limit(format!("overrides[{i}].hours"), limits::OVERRIDE_HOURS_MAX, o.hours.len()));
            }
            for (j, h) in o.hours.iter().enumerate() {
                h.validate(&format!("overrides[{i}].hours[{j}]"))?;
            }
        }
        Ok(())
    }

    /// The shifts starting on local `date` and the override that set them.
    fn shifts_on(&self, date: NaiveDate) -> (Vec<Hours>, Option<&DateOverride>) {
        match self.overrides.iter().find(|o| o.date == date) {
            Some(o) => (o.hours.clone(), Some(o)),
            None => {
                let day = Weekday::of(date);
                (self.weekly.iter().filter(|w| w.weekday == day).map(|w| w.hours()).collect(), None)
            }
        }
    }
}

/// A resource's rules as stored: the rules plus their own version.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Availability {
    pub resource_id: String,
    pub policy: Policy,
    pub weekly: Vec<WeeklyHours>,
    pub overrides: Vec<DateOverride>,
    /// 0 until rules are first set (the defaults apply), then 1, 2, ...
    pub version: i64,
    /// When the rules were last set; `None` for the defaults.
    pub updated_at: Option<Timestamp>,
}

impl Availability {
    /// The defaults of a resource whose rules were never set.
    pub fn default_for(resource_id: &str) -> Availability {
        Availability::from_rules(resource_id, AvailabilityRules::default(), 0, None)
    }

    pub fn from_rules(resource_id: &str, rules: AvailabilityRules, version: i64, at: Option<Timestamp>) -> Self {
        Availability {
            resource_id: resource_id.into(),
            policy: rules.policy,
            weekly: rules.weekly,
            overrides: rules.overrides,
            version,
            updated_at: at,
        }
    }

    pub fn rules(&self) -> AvailabilityRules {
        AvailabilityRules { policy: self.policy, weekly: self.weekly.clone(), overrides: self.overrides.clone() }
    }
}

/// Which daylight-saving oddity a rule's local time met.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DstKind {
    /// The local time does not exist (clocks jumped over it).
    Gap,
    /// The local time happens twice (clocks went back over it).
    Fold,
}

/// A rule time that DST moved, and where it landed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct DstAdjustment {
    pub kind: DstKind,
    /// Local date of the shift the time belongs to.
    pub date: NaiveDate,
    /// The rule's local time as written.
    pub local_time: LocalTime,
    /// The instant it was resolved to.
    pub resolved_to: Timestamp,
    /// The shift as resolved; empty (`start >= end`) when it fell wholly
    /// into a gap and so cannot be worked.
    pub shift: Interval,
}

/// One shift on one date, in UTC.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Shift {
    /// Local date the shift starts on.
    pub date: NaiveDate,
    pub interval: Interval,
}

/// Rules expanded over a window: shifts (unclipped, sorted by start) that
/// overlap it, the closed dates met, and every DST adjustment made.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Expansion {
    pub shifts: Vec<Shift>,
    /// Dates an override closes, with their local-day span in UTC.
    pub closed: Vec<(NaiveDate, Interval)>,
    pub adjustments: Vec<DstAdjustment>,
}

impl Expansion {
    /// Working hours as sorted, disjoint, non-adjacent intervals clipped to `window`.
    pub fn hours_within(&self, window: Interval) -> Vec<Interval> {
        merge(self.shifts.iter().filter_map(|s| clip(s.interval, window)))
    }
}

/// Parses a time zone already validated on its resource.
pub fn zone(name: &str) -> Result<Tz> {
    name.parse::<Tz>().map_err(|_| Error::internal(format!("stored time zone {name:?} is not an IANA zone")))
}

/// The local calendar date of `instant` in `tz`.
pub fn local_date(tz: Tz, instant: Timestamp) -> NaiveDate {
    let utc = instant.to_datetime().unwrap_or_default();
    tz.from_utc_datetime(&utc.naive_utc()).date_naive()
}

/// The instant a local date-time names, by the gap and fold rules above.
pub fn resolve_local(tz: Tz, local: NaiveDateTime) -> (Timestamp, Option<DstKind>) {
    match tz.from_local_datetime(&local) {
        LocalResult::Single(at) => (Timestamp::from(at.to_utc()), None),
        LocalResult::Ambiguous(earlier, _) => (Timestamp::from(earlier.to_utc()), Some(DstKind::Fold)),
        LocalResult::None => {
            // Read it with the offset of a day before: the one in force
            // before the jump (zones do not jump twice in a day).
            let before = tz.offset_from_utc_datetime(&(local - TimeDelta::days(1))).fix();
            let utc = local - TimeDelta::seconds(i64::from(before.local_minus_utc()));
            (Timestamp::from(utc.and_utc()), Some(DstKind::Gap))
        }
    }
}

/// Expands `rules` in `tz` into the shifts that overlap `window`.
pub fn expand(rules: &AvailabilityRules, tz: Tz, window: Interval) -> Expansion {
    let mut out = Expansion::default();
    if window.start >= window.end {
        return out;
    }
    let last_instant = Timestamp::from_micros(window.end.as_micros() - 1);
    // The day before too: its overnight shifts may reach into the window.
    let Some(mut date) = local_date(tz, window.start).pred_opt() else { return out };
    let last = local_date(tz, last_instant);
    while date <= last {
        let (shifts, override_) = rules.shifts_on(date);
        if override_.is_some() && shifts.is_empty() {
            let (day_start, _) = resolve_local(tz, LocalTime(0).on(date));
            let (day_end, _) = resolve_local(tz, LocalTime(0).on(date + TimeDelta::days(1)));
            let day = Interval { start: day_start, end: day_end };
            if day.start < day.end && day.overlaps(window) {
                out.closed.push((date, day));
            }
        }
        for hours in shifts {
            let (local_start, local_end) = hours.on(date);
            let (start, start_dst) = resolve_local(tz, local_start);
            let (end, end_dst) = resolve_local(tz, local_end);
            let interval = Interval { start, end };
            // A shift starting in a gap can land at or after its own end
            // (02:30-03:15 on a spring-forward night reads 03:30-03:15):
            // it collapses and cannot be worked.
            let kept = start < end && interval.overlaps(window);
            for (kind, time, at) in [(start_dst, hours.start, start), (end_dst, hours.end, end)] {
                if let Some(kind) = kind
                    && (kept || (start >= end && window.contains(at)))
                {
                    out.adjustments.push(DstAdjustment {
                        kind,
                        date,
                        local_time: time,
                        resolved_to: at,
                        shift: interval,
                    });
                }
            }
            if kept {
                out.shifts.push(Shift { date, interval });
            }
        }
        date = match date.succ_opt() {
            Some(next) => next,
            None => break,
        };
    }
    out.shifts.sort_by_key(|s| (s.interval.start, s.interval.end));
    out
}

/// `interval ∩ window`, if not empty.
pub fn clip(interval: Interval, window: Interval) -> Option<Interval> {
    let start = interval.start.max(window.start);
    let end = interval.end.min(window.end);
    (start < end).then_some(Interval { start, end })
}

/// Sorted, disjoint, non-adjacent union of `intervals`.
pub fn merge(intervals: impl IntoIterator<Item = Interval>) -> Vec<Interval> {
    let mut all: Vec<Interval> = intervals.into_iter().collect();
    all.sort_unstable();
    let mut out: Vec<Interval> = Vec::with_capacity(all.len());
    for i in all {
        match out.last_mut() {
            Some(last) if i.start <= last.end => last.end = last.end.max(i.end),
            _ => out.push(i),
        }
    }
    out
}

/// The parts of `interval` not covered by the sorted, disjoint `cover`.
pub fn uncovered(interval: Interval, cover: &[Interval]) -> Vec<Interval> {
    let mut out = Vec::new();
    let mut at = interval.start;
    for c in cover.iter().filter(|c| c.overlaps(interval)) {
        if c.start > at {
            out.push(Interval { start: at, end: c.start });
        }
        at = at.max(c.end);
    }
    if at < interval.end {
        out.push(Interval { start: at, end: interval.end });
    }
    out
}

/// Why an interval is not (fully) available; `check_availability` returns
/// every one that applies.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Reason {
    /// A blocking booking leaves too little capacity (one reason per booking).
    Conflict(ConflictingBooking),
    /// These parts of the interval lie outside working hours.
    OutsideHours { intervals: Vec<Interval> },
    /// An override closes this local date, and the interval touches it.
    ClosedOverride { date: NaiveDate },
    /// A rule time on this date does not exist (clocks jumped), which moved
    /// the working hours next to the part outside them.
    DstGap { date: NaiveDate, local_time: LocalTime, resolved_to: Timestamp },
    /// The resource takes no new bookings.
    Inactive,
    /// More units asked than the resource has.
    QuantityAboveCapacity { quantity: u32, capacity: u32 },
}

impl Reason {
    /// Whether the reason concerns working hours (what `strict` enforces).
    pub fn is_about_hours(&self) -> bool {
        matches!(self, Reason::OutsideHours { .. } | Reason::ClosedOverride { .. } | Reason::DstGap { .. })
    }
}

/// The answer of `check_availability`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AvailabilityCheck {
    pub resource_id: String,
    pub interval: Interval,
    pub quantity: u32,
    pub policy: Policy,
    /// Free and inside working hours: no reason at all.
    pub available: bool,
    /// A booking of it would be accepted now: fits, and (under `strict`)
    /// inside hours. An advisory resource is bookable outside its hours.
    pub bookable: bool,
    pub reasons: Vec<Reason>,
}

/// One blocking booking as `free_busy` shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BusyInterval {
    /// What it blocks: its interval widened by the resource's buffers,
    /// clipped to the window.
    pub start: Timestamp,
    pub end: Timestamp,
    pub booking_id: String,
    pub status: super::Status,
    pub quantity: u32,
}

/// One resource's schedule over a window (the shape of Google's freeBusy).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FreeBusy {
    pub resource_id: String,
    pub capacity: u32,
    /// Blocking bookings, by start.
    pub busy: Vec<BusyInterval>,
    /// Working hours within the window.
    pub hours: Vec<Interval>,
    /// Working hours with at least one unit of capacity left.
    pub free: Vec<Interval>,
}

/// What `find_slots` searches for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct SlotQuery {
    /// Resources to search; with `tag`, only those of them carrying it.
    pub resource_ids: Vec<String>,
    /// Search every active resource carrying this tag (e.g. "animator").
    pub tag: Option<String>,
    /// The window every slot must lie in.
    pub start: Timestamp,
    pub end: Timestamp,
    /// Slot length; exactly one of `duration` and `working_days`.
    #[serde(rename = "duration_us", with = "serde_micros_opt")]
    pub duration: Option<TimeDelta>,
    /// Whole working days in a row (days without hours are skipped): each
    /// slot is every shift of that many successive working dates.
    pub working_days: Option<u32>,
    /// Slot alignment: slots start at the opening of a shift plus a whole
    /// number of steps (default: the duration).
    #[serde(rename = "step_us", with = "serde_micros_opt")]
    pub step: Option<TimeDelta>,
    /// Capacity units every slot must have free (default 1).
    pub quantity: u32,
    /// Most slots returned (per resource with `per_resource`).
    pub limit: Option<usize>,
    /// The earliest `limit` slots of each resource, instead of the earliest
    /// `limit` across all of them.
    pub per_resource: bool,
}

impl Default for SlotQuery {
    fn default() -> Self {
        SlotQuery {
            resource_ids: Vec::new(),
            tag: None,
            start: Timestamp::default(),
            end: Timestamp::default(),
            duration: None,
            working_days: None,
            step: None,
            quantity: 1,
            limit: None,
            per_resource: false,
        }
    }
}

/// How long a searched slot is, once validated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SlotLength {
    /// `duration_us` long, starting on the step grid.
    Duration { duration_us: i64, step_us: i64 },
    /// Every shift of this many successive working dates.
    WorkingDays(u32),
}

/// One slot `find_slots` found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FoundSlot {
    pub resource_id: String,
    pub start: Timestamp,
    pub end: Timestamp,
    /// The intervals to book: `[start, end)` itself for a duration, one per
    /// shift for working days.
    pub parts: Vec<Interval>,
}

/// The local calendar dates `window` meets in `tz`, each with the part of
/// its day (local midnight to local midnight, by the rules above) inside
/// the window.
pub fn local_days(tz: Tz, window: Interval) -> Vec<(NaiveDate, Interval)> {
    let mut out = Vec::new();
    if window.start >= window.end {
        return out;
    }
    let mut date = local_date(tz, window.start);
    let last = local_date(tz, Timestamp::from_micros(window.end.as_micros() - 1));
    while date <= last {
        let Some(next) = date.succ_opt() else { break };
        let (start, _) = resolve_local(tz, LocalTime(0).on(date));
        let (end, _) = resolve_local(tz, LocalTime(0).on(next));
        if let Some(day) = clip(Interval { start, end }, window) {
            out.push((date, day));
        }
        date = next;
    }
    out
}
