//! `/bookings…`: create (one, or a batch all-or-nothing), read, list,
//! reschedule (`PATCH`), cancel (`DELETE`), the state-machine actions and
//! the history of one booking.

use axum::response::{IntoResponse, Response};
use holdfast::{Booking, Tenant};

use super::{created, ok, page, versioned};
use crate::auth::{BookingReader, BookingScope, Decider, Writer};
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{IdempotencyKey, IfMatch, Json, OptionalJson, Path, Query, one_of};
use crate::state::blocking;
use crate::wire::{
    ActionIn, BOOKING_DURATIONS, BatchIn, BookingListQuery, BookingOut, Data, EventOut, ExtendIn, NewBookingIn,
    RescheduleIn, wire_fields,
};

/// List bookings by (start, id), with filters and a cursor. A `resource`
/// key lists its own resource's bookings only.
#[utoipa::path(get, path = "/bookings", tag = "bookings", params(BookingListQuery),
    responses((status = 200, description = "A page of bookings by (start, id)", body = Data<Vec<BookingOut>>)))]
pub async fn list(
    BookingReader(caller, scope): BookingReader,
    Query(q): Query<BookingListQuery>,
) -> ApiResult<Response> {
    let mut filter = q.to_core()?;
    if let BookingScope::Resource(own) = scope {
        if filter.resource_ids.is_empty() {
            filter.resource_ids = vec![own];
        } else if filter.resource_ids.iter().any(|r| *r != own) {
            return Err(ApiError::forbidden("a resource key reads only its own resource's bookings"));
        }
    }
    let t = caller.tenant;
    let result = blocking(move || t.list_bookings(&filter)).await?;
    Ok(page(Data::<Vec<BookingOut>>::page(result)))
}

/// Create a booking if it fits. `CONFLICT` lists every booking in the way.
#[utoipa::path(post, path = "/bookings", tag = "bookings", request_body = NewBookingIn,
    params(("Idempotency-Key" = Option<String>, Header,
        description = "Repeat with the same key and body: the first result; other body: IDEMPOTENCY_MISMATCH")),
    responses((status = 201, description = "Created (or the first result of this key)", body = Data<BookingOut>,
                  headers(("ETag" = String, description = "The version, quoted"), ("Location" = String))),
              (status = 409, description = "CONFLICT, OUTSIDE_AVAILABILITY, IDEMPOTENCY_MISMATCH or ALREADY_EXISTS", body = ErrorBody)))]
pub async fn create(
    Writer(caller): Writer,
    IdempotencyKey(header_key): IdempotencyKey,
    Json(body): Json<NewBookingIn>,
) -> ApiResult<Response> {
    let mut body = body;
    body.idempotency_key = one_of("idempotency_key", header_key, body.idempotency_key.take())?;
    let new = body.into_core("")?;
    let t = caller.tenant;
    let b = blocking(move || t.create_booking(new).map_err(|e| wire_fields(e, BOOKING_DURATIONS))).await?;
    Ok(created_booking(b))
}

/// Create several bookings, all or none. An error names the failing item
/// (`details.index`, fields as `items[3].start`).
#[utoipa::path(post, path = "/bookings/batch", tag = "bookings", request_body = BatchIn,
    responses((status = 201, description = "Every booking, in order", body = Data<Vec<BookingOut>>),
              (status = 409, description = "An item conflicts; nothing was written", body = ErrorBody)))]
pub async fn create_batch(
    Writer(caller): Writer,
    IdempotencyKey(header_key): IdempotencyKey,
    Json(body): Json<BatchIn>,
) -> ApiResult<Response> {
    if header_key.is_some() {
        return Err(ApiError::invalid("Idempotency-Key", "a batch takes an idempotency_key per item"));
    }
    let items = body
        .items
        .into_iter()
        .enumerate()
        .map(|(i, item)| item.into_core(&format!("items[{i}].")))
        .collect::<ApiResult<Vec<_>>>()?;
    let t = caller.tenant;
    let list = blocking(move || t.create_bookings(items).map_err(|e| wire_fields(e, BOOKING_DURATIONS))).await?;
    let data: Vec<BookingOut> = list.into_iter().map(BookingOut::from).collect();
    Ok((axum::http::StatusCode::CREATED, axum::Json(Data::of(data))).into_response())
}

/// One booking, with its version as `ETag`.
#[utoipa::path(get, path = "/bookings/{id}", tag = "bookings", params(("id" = String, Path, description = "Booking id")),
    responses((status = 200, description = "The booking", body = Data<BookingOut>,
        headers(("ETag" = String, description = "The version, quoted")))))]
pub async fn get(BookingReader(caller, scope): BookingReader, Path(id): Path<String>) -> ApiResult<Response> {
    let t = caller.tenant;
    let b = blocking(move || t.get_booking(&id).map_err(ApiError::from).and_then(|b| scope.admit(b))).await?;
    Ok(booking_answer(b))
}

/// Move a booking in time and/or to another resource (`If-Match` → 412 on
/// a stale version). It must fit where it lands.
#[utoipa::path(patch, path = "/bookings/{id}", tag = "bookings", request_body = RescheduleIn,
    params(("id" = String, Path, description = "Booking id"),
           ("If-Match" = Option<String>, Header, description = "Expected version, e.g. \"3\"")),
    responses((status = 200, description = "The booking after the move", body = Data<BookingOut>),
              (status = 409, description = "CONFLICT, OUTSIDE_AVAILABILITY, INVALID_TRANSITION or HOLD_EXPIRED", body = ErrorBody),
              (status = 412, description = "VERSION_MISMATCH (details.current_version)", body = ErrorBody)))]
pub async fn reschedule(
    Writer(caller): Writer,
    Path(id): Path<String>,
    IfMatch(if_match): IfMatch,
    Json(body): Json<RescheduleIn>,
) -> ApiResult<Response> {
    let expected = one_of("expected_version", if_match, body.expected_version)?;
    let to = body.to_core();
    let t = caller.tenant;
    let b = blocking(move || t.reschedule(&id, to, expected)).await?;
    Ok(booking_answer(b))
}

/// Cancel a booking (same as `POST /bookings/{id}/cancel`).
#[utoipa::path(delete, path = "/bookings/{id}", tag = "bookings",
    params(("id" = String, Path, description = "Booking id"),
           ("If-Match" = Option<String>, Header, description = "Expected version, e.g. \"3\"")),
    responses((status = 200, description = "The cancelled booking", body = Data<BookingOut>),
              (status = 409, description = "INVALID_TRANSITION or HOLD_EXPIRED", body = ErrorBody),
              (status = 412, description = "VERSION_MISMATCH", body = ErrorBody)))]
pub async fn delete(Writer(caller): Writer, Path(id): Path<String>, IfMatch(if_match): IfMatch) -> ApiResult<Response> {
    let t = caller.tenant;
    let b = blocking(move || t.cancel(&id, if_match)).await?;
    Ok(booking_answer(b))
}

/// hold → pencil.
#[utoipa::path(post, path = "/bookings/{id}/pencil", tag = "bookings", request_body(content = Option<ActionIn>),
    params(("id" = String, Path, description = "Booking id"),
           ("If-Match" = Option<String>, Header, description = "Expected version, e.g. \"3\"")),
    responses((status = 200, description = "The booking after the action", body = Data<BookingOut>),
              (status = 409, description = "INVALID_TRANSITION or HOLD_EXPIRED", body = ErrorBody),
              (status = 412, description = "VERSION_MISMATCH", body = ErrorBody)))]
pub async fn pencil(
    Writer(caller): Writer,
    Path(id): Path<String>,
    IfMatch(if_match): IfMatch,
    OptionalJson(body): OptionalJson<ActionIn>,
) -> ApiResult<Response> {
    let expected = one_of("expected_version", if_match, body.unwrap_or_default().expected_version)?;
    let t = caller.tenant;
    let b = blocking(move || t.pencil(&id, expected)).await?;
    Ok(booking_answer(b))
}

/// hold, pencil or confirmed → cancelled.
#[utoipa::path(post, path = "/bookings/{id}/cancel", tag = "bookings", request_body(content = Option<ActionIn>),
    params(("id" = String, Path, description = "Booking id"),
           ("If-Match" = Option<String>, Header, description = "Expected version, e.g. \"3\"")),
    responses((status = 200, description = "The booking after the action", body = Data<BookingOut>),
              (status = 409, description = "INVALID_TRANSITION or HOLD_EXPIRED", body = ErrorBody),
              (status = 412, description = "VERSION_MISMATCH", body = ErrorBody)))]
pub async fn cancel(
    Writer(caller): Writer,
    Path(id): Path<String>,
    IfMatch(if_match): IfMatch,
    OptionalJson(body): OptionalJson<ActionIn>,
) -> ApiResult<Response> {
    let expected = one_of("expected_version", if_match, body.unwrap_or_default().expected_version)?;
    let t = caller.tenant;
    let b = blocking(move || t.cancel(&id, expected)).await?;
    Ok(booking_answer(b))
}

/// hold or pencil → confirmed. A `resource` key may confirm its own
/// resource's bookings.
#[utoipa::path(post, path = "/bookings/{id}/confirm", tag = "bookings", request_body(content = Option<ActionIn>),
    params(("id" = String, Path, description = "Booking id"),
           ("If-Match" = Option<String>, Header, description = "Expected version, e.g. \"3\"")),
    responses((status = 200, description = "The booking after the action", body = Data<BookingOut>),
              (status = 409, description = "INVALID_TRANSITION, HOLD_EXPIRED or OUTSIDE_AVAILABILITY", body = ErrorBody),
              (status = 412, description = "VERSION_MISMATCH", body = ErrorBody)))]
pub async fn confirm(
    decider: Decider,
    Path(id): Path<String>,
    IfMatch(if_match): IfMatch,
    OptionalJson(body): OptionalJson<ActionIn>,
) -> ApiResult<Response> {
    decide(decider, id, if_match, body, Decision::Confirm).await
}

/// hold or pencil → declined. A `resource` key may decline its own
/// resource's bookings.
#[utoipa::path(post, path = "/bookings/{id}/decline", tag = "bookings", request_body(content = Option<ActionIn>),
    params(("id" = String, Path, description = "Booking id"),
           ("If-Match" = Option<String>, Header, description = "Expected version, e.g. \"3\"")),
    responses((status = 200, description = "The booking after the action", body = Data<BookingOut>),
              (status = 409, description = "INVALID_TRANSITION or HOLD_EXPIRED", body = ErrorBody),
              (status = 412, description = "VERSION_MISMATCH", body = ErrorBody)))]
pub async fn decline(
    decider: Decider,
    Path(id): Path<String>,
    IfMatch(if_match): IfMatch,
    OptionalJson(body): OptionalJson<ActionIn>,
) -> ApiResult<Response> {
    decide(decider, id, if_match, body, Decision::Decline).await
}

#[derive(Debug, Clone, Copy)]
enum Decision {
    Confirm,
    Decline,
}

impl Decision {
    fn run(self, t: &Tenant, id: &str, expected: Option<i64>) -> holdfast::Result<Booking> {
        match self {
            Decision::Confirm => t.confirm(id, expected),
            Decision::Decline => t.decline(id, expected),
        }
    }
}

async fn decide(
    Decider(caller, scope): Decider,
    id: String,
    if_match: Option<i64>,
    body: Option<ActionIn>,
    decision: Decision,
) -> ApiResult<Response> {
    let expected = one_of("expected_version", if_match, body.unwrap_or_default().expected_version)?;
    let t = caller.tenant;
    let b = blocking(move || match scope {
        BookingScope::All => decision.run(&t, &id, expected).map_err(ApiError::from),
        BookingScope::Resource(_) => {
            // Pin the version that was checked to be on the key's resource,
            // so a concurrent move elsewhere fails instead of slipping by.
            let seen = scope.admit(t.get_booking(&id)?)?;
            if let Some(v) = expected
                && v != seen.version
            {
                return Err(holdfast::Error::VersionMismatch {
                    entity: "booking",
                    id,
                    expected_version: v,
                    current_version: seen.version,
                }
                .into());
            }
            decision.run(&t, &id, Some(seen.version)).map_err(ApiError::from)
        }
    })
    .await?;
    Ok(booking_answer(b))
}

/// Move a running hold's expiry: `hold_ttl_ms` from now, `hold_expires_at`,
/// or neither for the engine's default TTL.
#[utoipa::path(post, path = "/bookings/{id}/extend", tag = "bookings", request_body(content = Option<ExtendIn>),
    params(("id" = String, Path, description = "Booking id"),
           ("If-Match" = Option<String>, Header, description = "Expected version, e.g. \"3\"")),
    responses((status = 200, description = "The hold with its new expiry", body = Data<BookingOut>),
              (status = 409, description = "INVALID_TRANSITION or HOLD_EXPIRED", body = ErrorBody),
              (status = 412, description = "VERSION_MISMATCH", body = ErrorBody)))]
pub async fn extend(
    Writer(caller): Writer,
    Path(id): Path<String>,
    IfMatch(if_match): IfMatch,
    OptionalJson(body): OptionalJson<ExtendIn>,
) -> ApiResult<Response> {
    let body = body.unwrap_or_default();
    let expected = one_of("expected_version", if_match, body.expected_version)?;
    let until = body.expiry()?;
    let t = caller.tenant;
    let b =
        blocking(move || t.extend_hold(&id, until, expected).map_err(|e| wire_fields(e, BOOKING_DURATIONS))).await?;
    Ok(booking_answer(b))
}

/// Every event of one booking, oldest first.
#[utoipa::path(get, path = "/bookings/{id}/history", tag = "bookings", params(("id" = String, Path, description = "Booking id")),
    responses((status = 200, description = "The booking's events", body = Data<Vec<EventOut>>)))]
pub async fn history(BookingReader(caller, scope): BookingReader, Path(id): Path<String>) -> ApiResult<Response> {
    let t = caller.tenant;
    let events = blocking(move || {
        if let BookingScope::Resource(_) = scope {
            scope.admit(t.get_booking(&id)?)?;
        }
        t.history(&id).map_err(ApiError::from)
    })
    .await?;
    Ok(ok(events.into_iter().map(EventOut::from).collect::<Vec<_>>()))
}

fn booking_answer(b: Booking) -> Response {
    let version = b.version;
    versioned(BookingOut::from(b), version)
}

fn created_booking(b: Booking) -> Response {
    let location = format!("/api/v1/bookings/{}", b.id);
    let version = b.version;
    created(BookingOut::from(b), &location, Some(version))
}
