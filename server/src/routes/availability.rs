//! Working hours and the "when is it free?" reads: availability rules of a
//! resource, its free/busy, `check-availability` and `slots/search`.

use axum::response::Response;
use holdfast::NewBooking;

use super::{ResourceScope, ok, versioned};
use crate::auth::{Reader, Writer};
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{IfMatch, Json, Path, Query, one_of};
use crate::state::blocking;
use crate::wire::{
    AvailabilityCheckOut, AvailabilityOut, AvailabilityRulesIn, CheckAvailabilityIn, Data, FoundSlotOut, FreeBusyOut,
    SLOT_DURATIONS, SlotSearchIn, WindowQuery, wire_fields,
};

/// A resource's availability rules (the defaults, version 0, until set).
#[utoipa::path(get, path = "/{id}/availability-rules", tag = "availability",
    params(("id" = String, Path, description = "Resource id")),
    responses((status = 200, description = "The rules, with their version as ETag", body = Data<AvailabilityOut>)))]
pub async fn get_rules(Reader(caller): Reader, scope: ResourceScope, Path(id): Path<String>) -> ApiResult<Response> {
    let t = caller.tenant;
    let a = blocking(move || {
        scope.check(&t, &id)?;
        t.get_availability(&id).map_err(ApiError::from)
    })
    .await?;
    let version = a.version;
    Ok(versioned(AvailabilityOut::from(a), version))
}

/// Replace a resource's availability rules. Existing bookings stay.
#[utoipa::path(put, path = "/{id}/availability-rules", tag = "availability", request_body = AvailabilityRulesIn,
    params(("id" = String, Path, description = "Resource id"),
           ("If-Match" = Option<String>, Header, description = "Expected version of the rules, e.g. \"0\"")),
    responses((status = 200, description = "The rules as stored", body = Data<AvailabilityOut>),
              (status = 412, description = "VERSION_MISMATCH", body = ErrorBody)))]
pub async fn put_rules(
    Writer(caller): Writer,
    scope: ResourceScope,
    Path(id): Path<String>,
    IfMatch(if_match): IfMatch,
    Json(body): Json<AvailabilityRulesIn>,
) -> ApiResult<Response> {
    let expected = one_of("expected_version", if_match, body.expected_version)?;
    let rules = body.to_core();
    let t = caller.tenant;
    let a = blocking(move || {
        scope.check(&t, &id)?;
        t.set_availability(&id, rules, expected).map_err(ApiError::from)
    })
    .await?;
    let version = a.version;
    Ok(versioned(AvailabilityOut::from(a), version))
}

/// Busy and free time of one resource over `[start, end)`.
#[utoipa::path(get, path = "/{id}/availability", tag = "availability",
    params(("id" = String, Path, description = "Resource id"), WindowQuery),
    responses((status = 200, description = "Busy footprints, working hours and free time", body = Data<FreeBusyOut>)))]
pub async fn free_busy(
    Reader(caller): Reader,
    scope: ResourceScope,
    Path(id): Path<String>,
    Query(q): Query<WindowQuery>,
) -> ApiResult<Response> {
    let t = caller.tenant;
    let mut found = blocking(move || {
        scope.check(&t, &id)?;
        t.free_busy(std::slice::from_ref(&id), q.start.0, q.end.0).map_err(ApiError::from)
    })
    .await?;
    let one = found.pop().ok_or_else(|| ApiError::internal("free_busy answered no resource for one id"))?;
    Ok(ok(FreeBusyOut::from(one)))
}

/// Whether a booking would fit, with every reason it would not.
#[utoipa::path(post, path = "/bookings/check-availability", tag = "availability", request_body = CheckAvailabilityIn,
    responses((status = 200, description = "Available, bookable, and every reason", body = Data<AvailabilityCheckOut>)))]
pub async fn check(Reader(caller): Reader, Json(body): Json<CheckAvailabilityIn>) -> ApiResult<Response> {
    let quantity = body.quantity.unwrap_or(NewBooking::default().quantity);
    let t = caller.tenant;
    let c = blocking(move || t.check_availability(&body.resource_id, body.start, body.end, quantity)).await?;
    Ok(ok(AvailabilityCheckOut::from(c)))
}

/// The earliest free slots, by resource ids or by tag.
#[utoipa::path(post, path = "/slots/search", tag = "availability", request_body = SlotSearchIn,
    responses((status = 200, description = "Slots by (start, resource_id)", body = Data<Vec<FoundSlotOut>>)))]
pub async fn search_slots(Reader(caller): Reader, Json(body): Json<SlotSearchIn>) -> ApiResult<Response> {
    let query = body.into_core()?;
    let t = caller.tenant;
    let slots = blocking(move || t.find_slots(&query).map_err(|e| wire_fields(e, SLOT_DURATIONS))).await?;
    Ok(ok(slots.into_iter().map(FoundSlotOut::from).collect::<Vec<_>>()))
}
