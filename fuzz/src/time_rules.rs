//! Time, zone and rule parsing: the input as UTF-8 goes through every
//! parser a request's times and rules meet, and rules that validate are
//! expanded over a week (and over a valid booking's interval) in a zone the
//! first byte picks. Nothing may panic; expansions must be well formed.

use chrono::TimeDelta;
use chrono_tz::Tz;
use holdfast::model::availability::{Expansion, expand};
use holdfast::{AvailabilityRules, Interval, LocalTime, NewBooking, Timestamp};

/// Zones with DST gaps and folds, half-hour and 45-minute offsets, a zone
/// that skipped a whole day (Apia, 2011) and southern-hemisphere DST.
const ZONES: [Tz; 10] = [
    Tz::UTC,
    Tz::Europe__Berlin,
    Tz::America__New_York,
    Tz::America__Santiago,
    Tz::Australia__Lord_Howe,
    Tz::Pacific__Chatham,
    Tz::Pacific__Apia,
    Tz::Asia__Kathmandu,
    Tz::America__St_Johns,
    Tz::Africa__Casablanca,
];

/// Week starts around DST changes of 2026 and the Apia jump of 2011.
const WEEKS: [&str; 8] = [
    "2026-03-26T00:00:00Z",
    "2026-03-06T00:00:00Z",
    "2026-04-03T00:00:00Z",
    "2026-09-25T00:00:00Z",
    "2026-10-23T00:00:00Z",
    "2026-10-30T00:00:00Z",
    "2011-12-27T00:00:00Z",
    "2026-11-20T00:00:00Z",
];

const WEEK_US: i64 = 7 * 24 * 3_600 * 1_000_000;

/// One input: the body of the `time_rules` fuzz target.
pub fn fuzz(data: &[u8]) {
    let Some((&selector, rest)) = data.split_first() else { return };
    let Ok(text) = std::str::from_utf8(rest) else { return };
    let tz = ZONES[usize::from(selector & 0x0f) % ZONES.len()];
    let week = Timestamp::parse(WEEKS[usize::from(selector >> 4) % WEEKS.len()]).expect("fixed week start");

    let parsed = Timestamp::parse(text);
    if let Ok(at) = parsed
        && at.in_range()
    {
        // What parses prints and parses back to the same instant. Only in
        // range (years 1 to 9999): parse accepts any RFC 3339 instant
        // ("9999-12-31T23:59:60.99Z" is 10000-01-01T00:00:00.99Z) and
        // validation rejects out-of-range ones, which print as "+10000-...".
        assert_eq!(Timestamp::parse(&at.to_string()).ok(), Some(at), "{text:?} -> {at}");
    }
    if let Ok(time) = text.parse::<LocalTime>() {
        assert!(time.minutes() <= 24 * 60, "{text:?} -> {time}");
        assert_eq!(time.to_string().parse::<LocalTime>().ok(), Some(time), "{text:?}");
    }

    if let Ok(rules) = serde_json::from_str::<AvailabilityRules>(text)
        && rules.validate().is_ok()
    {
        let window = Interval::new(week, Timestamp::from_micros(week.as_micros() + WEEK_US)).expect("a week");
        check_expansion(&expand(&rules, tz, window), window, text);
        // A week at the edge of the accepted range when the text is one.
        if let Ok(at) = parsed
            && let Some(end) = at.checked_add(TimeDelta::days(7))
            && let Ok(edge) = Interval::new(at, end)
        {
            check_expansion(&expand(&rules, tz, edge), edge, text);
        }
    }

    if let Ok(new) = serde_json::from_str::<NewBooking>(text)
        && let Ok(interval) = new.validate()
    {
        assert!(interval.start < interval.end, "{text:?} validated to {interval}");
        check_expansion(&expand(&AvailabilityRules::default(), tz, interval), interval, text);
    }
}

/// Shifts sorted by start, each non-empty and overlapping the window;
/// working hours sorted, disjoint and inside the window.
fn check_expansion(expansion: &Expansion, window: Interval, text: &str) {
    for pair in expansion.shifts.windows(2) {
        assert!(pair[0].interval.start <= pair[1].interval.start, "unsorted shifts for {text:?}: {expansion:?}");
    }
    for shift in &expansion.shifts {
        assert!(shift.interval.start < shift.interval.end, "empty shift for {text:?}: {shift:?}");
        assert!(shift.interval.overlaps(window), "shift outside {window} for {text:?}: {shift:?}");
    }
    let hours = expansion.hours_within(window);
    for pair in hours.windows(2) {
        assert!(pair[0].end < pair[1].start, "hours overlap or touch for {text:?}: {hours:?}");
    }
    for h in &hours {
        assert!(window.start <= h.start && h.start < h.end && h.end <= window.end, "{h} not in {window} for {text:?}");
    }
}
