//! Reports of [`Tenant`]: utilization of working time. Reads only, from one
//! snapshot; never through the cache (a report reads whole windows once).

use std::collections::{BTreeMap, HashMap};

use super::{Tenant, validate_window};
use crate::error::{Error, Result};
use crate::limits;
use crate::model::availability::{clip, expand, local_days, zone};
use crate::model::{AvailabilityRules, Booking, GroupBy, Interval, Status, Timestamp, UtilizationRow};
use crate::store::BookingQuery;

impl Tenant {
    /// Booked against available time over `[start, end)`, grouped by
    /// resource, project or local date (see [`UtilizationRow`]). Available
    /// time comes from each active resource's working hours; bookings count
    /// by status while they block (expired holds do not).
    pub fn utilization(&self, start: Timestamp, end: Timestamp, group_by: GroupBy) -> Result<Vec<UtilizationRow>> {
        let window = validate_window(start, end)?;
        let now = self.inner.clock.now();
        self.read(|tx| {
            let mut rows: BTreeMap<String, UtilizationRow> = BTreeMap::new();
            let mut hours_of: HashMap<String, (chrono_tz::Tz, Vec<Interval>)> = HashMap::new();
            let mut after: Option<String> = None;
            loop {
                let page = tx.list_resources(after.as_deref(), limits::PAGE_SIZE_MAX)?;
                for resource in &page {
                    let rules = tx.availability(&resource.id)?.map_or_else(AvailabilityRules::default, |a| a.rules());
                    let tz = zone(&resource.timezone)?;
                    let hours =
                        if resource.active { expand(&rules, tz, window).hours_within(window) } else { Vec::new() };
                    let capacity = i64::from(resource.capacity);
                    match group_by {
                        GroupBy::Resource => {
                            let row = row(&mut rows, &resource.id, group_by);
                            add_available(row, capacity * total_us(&hours));
                        }
                        GroupBy::Day => {
                            for (date, day) in local_days(tz, window) {
                                let row = row(&mut rows, &date.to_string(), group_by);
                                add_available(row, capacity * overlap_us(&hours, day));
                            }
                        }
                        GroupBy::Project => {}
                    }
                    hours_of.insert(resource.id.clone(), (tz, hours));
                }
                if page.len() < limits::PAGE_SIZE_MAX {
                    break;
                }
                after = page.last().map(|r| r.id.clone());
            }
            let mut query = BookingQuery {
                statuses: vec![Status::Hold, Status::Pencil, Status::Confirmed],
                window: Some(window),
                limit: limits::PAGE_SIZE_MAX,
                ..BookingQuery::default()
            };
            loop {
                let page = tx.list_bookings(&query)?;
                for booking in page.iter().filter(|b| b.is_blocking_at(now)) {
                    let Some(inside) = clip(booking.interval(), window) else { continue };
                    let (tz, hours) = hours_of
                        .get(&booking.resource_id)
                        .ok_or_else(|| Error::internal(format!("booking {:?} has no resource", booking.id)))?;
                    match group_by {
                        GroupBy::Resource => {
                            add_booked(row(&mut rows, &booking.resource_id, group_by), booking, inside, hours)
                        }
                        GroupBy::Project => {
                            let project = booking.project_id.as_deref().unwrap_or_default();
                            add_booked(row(&mut rows, project, group_by), booking, inside, hours);
                        }
                        GroupBy::Day => {
                            for (date, day) in local_days(*tz, inside) {
                                add_booked(row(&mut rows, &date.to_string(), group_by), booking, day, hours);
                            }
                        }
                    }
                }
                if page.len() < limits::PAGE_SIZE_MAX {
                    break;
                }
                query.after = page.last().map(|b| (b.start, b.id.clone()));
            }
            Ok(rows
                .into_values()
                .map(|mut row| {
                    row.utilization = row
                        .available_us
                        .filter(|&a| a > 0)
                        .map(|available| row.booked_in_hours_us as f64 / available as f64);
                    row
                })
                .collect())
        })
    }
}

fn row<'a>(rows: &'a mut BTreeMap<String, UtilizationRow>, group: &str, group_by: GroupBy) -> &'a mut UtilizationRow {
    rows.entry(group.to_owned()).or_insert_with(|| {
        let available = (group_by != GroupBy::Project).then_some(0);
        UtilizationRow::new(group.to_owned(), available)
    })
}

fn add_available(row: &mut UtilizationRow, us: i64) {
    if let Some(available) = &mut row.available_us {
        *available += us;
    }
}

/// Counts `part` of `booking` (already inside the window) into `row`.
fn add_booked(row: &mut UtilizationRow, booking: &Booking, part: Interval, hours: &[Interval]) {
    let quantity = i64::from(booking.quantity);
    let us = part.len_us() * quantity;
    match booking.status {
        Status::Hold => row.hold_us += us,
        Status::Pencil => row.pencil_us += us,
        Status::Confirmed => row.confirmed_us += us,
        Status::Cancelled | Status::Declined | Status::Expired => {}
    }
    row.booked_in_hours_us += overlap_us(hours, part) * quantity;
}

fn total_us(intervals: &[Interval]) -> i64 {
    intervals.iter().map(|i| i.len_us()).sum()
}

/// Time of the sorted, disjoint `intervals` inside `span`.
fn overlap_us(intervals: &[Interval], span: Interval) -> i64 {
    intervals.iter().filter_map(|i| clip(*i, span)).map(|i| i.len_us()).sum()
}
