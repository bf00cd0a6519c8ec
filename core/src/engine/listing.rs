//! `list_bookings`. Resources over a window — a calendar view, the most
//! common listing by far — are answered from the read cache: each
//! resource's bookings over a bucket-aligned stretch around the window,
//! loaded once (the missing resources of a call in one query) and filtered
//! in memory while no write touches the resource. Every other shape of
//! query reads the store.

use std::collections::HashMap;
use std::sync::Arc;

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
        let items = match query.window {
            Some(window) if !query.resource_ids.is_empty() && self.inner.cache.enabled() => {
                self.snapshot(|s| s.list_cached(window, &query))?
            }
            _ => self.read(|tx| tx.list_bookings(&query))?,
        };
        Ok(page_of(items, query.limit, |b| format!("{}_{}", b.start.as_micros(), b.id)))
    }
}

impl Snapshot<'_, '_> {
    /// `query` (on its resources over `window`) answered from the
    /// resources' cached bookings, loading those the cache has none of
    /// covering the window; from the store if any resource is too busy to
    /// hold.
    fn list_cached(&mut self, window: Interval, query: &BookingQuery) -> Result<Vec<Booking>> {
        let cache = &self.tenant.inner.cache;
        let mut ids: Vec<&str> = query.resource_ids.iter().map(String::as_str).collect();
        ids.sort_unstable();
        ids.dedup();
        let mut entries: Vec<Arc<BookingsEntry>> = Vec::with_capacity(ids.len());
        let mut missing: Vec<&str> = Vec::new();
        for id in ids {
            match cache.bookings(&self.tenant.id, id) {
                Some(entry) if covers(entry.span(), window) && entry.too_busy() => {
                    return self.tx.list_bookings(query);
                }
                Some(entry) if covers(entry.span(), window) => entries.push(entry),
                _ => missing.push(id),
            }
        }
        if !missing.is_empty() {
            let span = listing_span(window);
            // At most a full entry per missing resource, and at most
            // `LISTING_LOAD_ROWS_MAX` in all: one query, then split.
            let rows_max =
                limits::LISTING_ENTRY_ROWS_MAX.saturating_mul(missing.len()).min(limits::LISTING_LOAD_ROWS_MAX);
            let load = BookingQuery {
                resource_ids: missing.iter().map(|id| (*id).to_owned()).collect(),
                window: Some(span),
                limit: rows_max + 1,
                ..BookingQuery::default()
            };
            let loaded = self.tx.list_bookings(&load)?;
            if loaded.len() > rows_max {
                if let [id] = missing.as_slice() {
                    cache.mark_too_busy(&self.tenant.id, id, span);
                }
                // Too much to hold: the store answers exactly.
                return self.tx.list_bookings(query);
            }
            let mut by_resource: HashMap<&str, Vec<Booking>> = missing.iter().map(|id| (*id, Vec::new())).collect();
            for booking in loaded {
                // Stores return only the resources asked for.
                if let Some(bookings) = by_resource.get_mut(booking.resource_id.as_str()) {
                    bookings.push(booking);
                }
            }
            for (id, bookings) in by_resource {
                if bookings.len() > limits::LISTING_ENTRY_ROWS_MAX {
                    cache.mark_too_busy(&self.tenant.id, id, span);
                    return self.tx.list_bookings(query);
                }
                entries.push(cache.put_bookings(&self.tenant.id, id, self.seq, BookingsEntry::new(span, bookings)));
            }
        }
        // Each resource's page, then the first `limit` of them all in the
        // store's order (ids are unique across resources).
        let mut page: Vec<&Booking> =
            entries.iter().flat_map(|entry| page_from(entry.bookings(), window, query)).collect();
        if entries.len() > 1 {
            page.sort_unstable_by(|a, b| (a.start, &a.id).cmp(&(b.start, &b.id)));
            page.truncate(query.limit);
        }
        Ok(page.into_iter().cloned().collect())
    }
}

/// The page of `query` over `window` from one resource's bookings, sorted
/// by `(start, id)`: the cursor and the window's end bound a slice by
/// binary search (paging through a long stretch costs a page, not the
/// stretch), the rest is a filter.
fn page_from<'b>(
    bookings: &'b [Booking],
    window: Interval,
    query: &'b BookingQuery,
) -> impl Iterator<Item = &'b Booking> + 'b {
    let first = match &query.after {
        Some((start, id)) => bookings.partition_point(|b| (b.start, b.id.as_str()) <= (*start, id.as_str())),
        None => 0,
    };
    let end = bookings.partition_point(|b| b.start < window.end).max(first);
    bookings[first..end].iter().filter(move |b| listed(b, window, query)).take(query.limit)
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

/// The store's `list_bookings` condition for a booking of a listed
/// resource (ordering and limit aside).
fn listed(b: &Booking, window: Interval, q: &BookingQuery) -> bool {
    b.interval().overlaps(window)
        && (q.statuses.is_empty() || q.statuses.contains(&b.status))
        && q.project_id.as_ref().is_none_or(|p| b.project_id.as_ref() == Some(p))
        && q.after.as_ref().is_none_or(|(start, id)| (b.start, &b.id) > (*start, id))
}
