//! `list_bookings`. One resource over a window — a calendar view, the most
//! common listing by far — is answered from the read cache: the resource's
//! bookings over a bucket-aligned stretch around the window, loaded once
//! and filtered in memory while no write touches the resource. Every other
//! shape of query reads the store.

use super::availability::{Snapshot, bucket_start};
use super::{Tenant, booking_query, page_of};
use crate::cache::{BUCKET_US, BookingsEntry};
use crate::error::Result;
use crate::limits;
use crate::model::{Booking, BookingFilter, Interval, Page, Timestamp};
use crate::store::BookingQuery;

impl Tenant {
    /// Bookings matching `filter`, ordered by `(start, id)`. The cursor is a
    /// position in that order, so inserts between pages never shift items
    /// across a page boundary (no repeats, no skips of existing rows).
    pub fn list_bookings(&self, filter: &BookingFilter) -> Result<Page<Booking>> {
        let query = booking_query(filter)?;
        let items = match (query.resource_ids.as_slice(), query.window) {
            ([resource], Some(window)) if self.inner.cache.enabled() => {
                self.snapshot(|s| s.list_one_resource(resource, window, &query))?
            }
            _ => self.read(|tx| tx.list_bookings(&query))?,
        };
        Ok(page_of(items, query.limit, |b| format!("{}_{}", b.start.as_micros(), b.id)))
    }
}

impl Snapshot<'_, '_> {
    /// `query` (on `resource` over `window`) answered from the resource's
    /// cached bookings, loading them if the cache has none covering it.
    fn list_one_resource(&mut self, resource: &str, window: Interval, query: &BookingQuery) -> Result<Vec<Booking>> {
        let cache = &self.tenant.inner.cache;
        let entry = match cache.bookings(&self.tenant.id, resource) {
            Some(entry) if covers(entry.span(), window) => entry,
            _ => {
                let span = listing_span(window);
                let load = BookingQuery {
                    resource_ids: vec![resource.to_owned()],
                    window: Some(span),
                    limit: limits::LISTING_ENTRY_ROWS_MAX + 1,
                    ..BookingQuery::default()
                };
                let bookings = self.tx.list_bookings(&load)?;
                if bookings.len() > limits::LISTING_ENTRY_ROWS_MAX {
                    cache.mark_too_busy(&self.tenant.id, resource, span);
                    return self.tx.list_bookings(query);
                }
                cache.put_bookings(&self.tenant.id, resource, self.seq, BookingsEntry::new(span, bookings))
            }
        };
        if entry.too_busy() {
            return self.tx.list_bookings(query);
        }
        Ok(page_from(entry.bookings(), window, query))
    }
}

/// The page of `query` over `window` from one resource's bookings, sorted
/// by `(start, id)`: the cursor and the window's end bound a slice by
/// binary search (paging through a long stretch costs a page, not the
/// stretch), the rest is a filter.
fn page_from(bookings: &[Booking], window: Interval, query: &BookingQuery) -> Vec<Booking> {
    let first = match &query.after {
        Some((start, id)) => bookings.partition_point(|b| (b.start, b.id.as_str()) <= (*start, id.as_str())),
        None => 0,
    };
    let end = bookings.partition_point(|b| b.start < window.end).max(first);
    bookings[first..end].iter().filter(|b| listed(b, window, query)).take(query.limit).cloned().collect()
}

/// Whether `span` holds every booking overlapping `window`.
fn covers(span: Interval, window: Interval) -> bool {
    span.start <= window.start && window.end <= span.end
}

/// The stretch loaded for a listing of `window`: whole cache buckets, so
/// nearby windows (the next day, the same week) are served by one load.
fn listing_span(window: Interval) -> Interval {
    let first = window.start.as_micros().div_euclid(BUCKET_US);
    let last = (window.end.as_micros() - 1).div_euclid(BUCKET_US);
    Interval {
        start: bucket_start(first).max(Timestamp::from_micros(limits::TIMESTAMP_MIN_US)),
        end: bucket_start(last + 1).min(Timestamp::from_micros(limits::TIMESTAMP_MAX_US)).max(window.end),
    }
}

/// The store's `list_bookings` condition for a booking of the listed
/// resource (ordering and limit aside).
fn listed(b: &Booking, window: Interval, q: &BookingQuery) -> bool {
    b.interval().overlaps(window)
        && (q.statuses.is_empty() || q.statuses.contains(&b.status))
        && q.project_id.as_ref().is_none_or(|p| b.project_id.as_ref() == Some(p))
        && q.after.as_ref().is_none_or(|(start, id)| (b.start, &b.id) > (*start, id))
}
