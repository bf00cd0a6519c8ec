//! `/resources…` (and, restricted to kind `artist`, `/artists…`): the
//! resource half of `Tenant` plus the bookings of one resource.

use axum::response::Response;
use holdfast::{Page, Resource};

use super::{ResourceScope, created, page, versioned};
use crate::auth::{BookingReader, BookingScope, Reader, Writer};
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{IfMatch, Json, Path, Query, one_of};
use crate::state::blocking;
use crate::wire::{
    BookingListQuery, BookingOut, Data, NewResourceIn, PageQuery, RESOURCE_DURATIONS, ResourceOut, ResourcePatchIn,
    wire_fields,
};

/// Core pages one `/artists` listing reads before answering a short (even
/// empty) page with a cursor: the core lists resources without a kind filter.
const SCOPED_PAGES_MAX: usize = 10;

/// List resources, by id.
#[utoipa::path(get, path = "", tag = "resources", params(PageQuery),
    responses((status = 200, description = "A page of resources (by id)", body = Data<Vec<ResourceOut>>)))]
pub async fn list(Reader(caller): Reader, scope: ResourceScope, Query(q): Query<PageQuery>) -> ApiResult<Response> {
    let t = caller.tenant;
    let result = blocking(move || -> ApiResult<Page<Resource>> {
        let mut request = q.to_core();
        match scope {
            ResourceScope::Any => Ok(t.list_resources(&request)?),
            ResourceScope::Kind(_) => {
                // Whole core pages, filtered: the cursor stays the core's.
                for _ in 0..SCOPED_PAGES_MAX {
                    let Page { items, next_cursor } = t.list_resources(&request)?;
                    let items: Vec<Resource> = items.into_iter().filter(|r| scope.admits(r)).collect();
                    if !items.is_empty() || next_cursor.is_none() {
                        return Ok(Page { items, next_cursor });
                    }
                    request.cursor = next_cursor;
                }
                Ok(Page { items: Vec::new(), next_cursor: request.cursor })
            }
        }
    })
    .await?;
    Ok(page(Data::<Vec<ResourceOut>>::page(result)))
}

/// Create a resource. Repeating it with the same id and fields returns it.
#[utoipa::path(post, path = "", tag = "resources", request_body = NewResourceIn,
    responses((status = 201, description = "Created (or the same one again)", body = Data<ResourceOut>),
              (status = 409, description = "ALREADY_EXISTS: the id is taken with other fields", body = ErrorBody)))]
pub async fn create(
    Writer(caller): Writer,
    scope: ResourceScope,
    Json(body): Json<NewResourceIn>,
) -> ApiResult<Response> {
    let mut body = body;
    if let ResourceScope::Kind(kind) = scope {
        match body.kind.as_deref() {
            None => body.kind = Some(kind.to_owned()),
            Some(k) if k == kind => {}
            Some(_) => return Err(ApiError::invalid("kind", format!("resources created here are of kind {kind:?}"))),
        }
    }
    let new = body.into_core()?;
    let t = caller.tenant;
    let r = blocking(move || t.create_resource(new).map_err(|e| wire_fields(e, RESOURCE_DURATIONS))).await?;
    let location = format!("{}/{}", collection(scope), r.id);
    let version = r.version;
    Ok(created(ResourceOut::from(r), &location, Some(version)))
}

/// One resource, with its version as `ETag`.
#[utoipa::path(get, path = "/{id}", tag = "resources", params(("id" = String, Path, description = "Resource id")),
    responses((status = 200, description = "The resource", body = Data<ResourceOut>,
        headers(("ETag" = String, description = "The version, quoted")))))]
pub async fn get(Reader(caller): Reader, scope: ResourceScope, Path(id): Path<String>) -> ApiResult<Response> {
    let t = caller.tenant;
    let r = blocking(move || scope.resource(&t, &id)).await?;
    let version = r.version;
    Ok(versioned(ResourceOut::from(r), version))
}

/// Change a resource. Less capacity or wider buffers are refused with
/// `CONFLICT` if existing bookings would overrun.
#[utoipa::path(patch, path = "/{id}", tag = "resources", request_body = ResourcePatchIn,
    params(("id" = String, Path, description = "Resource id"),
           ("If-Match" = Option<String>, Header, description = "Expected version, e.g. \"3\"")),
    responses((status = 200, description = "The resource after the change", body = Data<ResourceOut>),
              (status = 409, description = "CONFLICT: existing bookings would overrun", body = ErrorBody),
              (status = 412, description = "VERSION_MISMATCH", body = ErrorBody)))]
pub async fn update(
    Writer(caller): Writer,
    scope: ResourceScope,
    Path(id): Path<String>,
    IfMatch(if_match): IfMatch,
    Json(body): Json<ResourcePatchIn>,
) -> ApiResult<Response> {
    let expected = one_of("expected_version", if_match, body.expected_version)?;
    if let (ResourceScope::Kind(kind), Some(k)) = (scope, body.kind.as_deref())
        && k != kind
    {
        return Err(ApiError::invalid("kind", format!("resources here stay of kind {kind:?}")));
    }
    let patch = body.into_core()?;
    let t = caller.tenant;
    let r = blocking(move || {
        scope.check(&t, &id)?;
        t.update_resource(&id, patch, expected).map_err(|e| ApiError::from(wire_fields(e, RESOURCE_DURATIONS)))
    })
    .await?;
    let version = r.version;
    Ok(versioned(ResourceOut::from(r), version))
}

/// The bookings of one resource (filters as `GET /bookings`, without
/// `resource_id`). A `resource` key reads its own resource's only.
#[utoipa::path(get, path = "/{id}/bookings", tag = "resources",
    params(("id" = String, Path, description = "Resource id"), BookingListQuery),
    responses((status = 200, description = "A page of bookings by (start, id)", body = Data<Vec<BookingOut>>)))]
pub async fn bookings(
    BookingReader(caller, reach): BookingReader,
    scope: ResourceScope,
    Path(id): Path<String>,
    Query(q): Query<BookingListQuery>,
) -> ApiResult<Response> {
    if let BookingScope::Resource(own) = reach
        && own != id
    {
        return Err(ApiError::forbidden("a resource key reads only its own resource's bookings"));
    }
    if q.resource_id.is_some() {
        return Err(ApiError::invalid("resource_id", "the path names the resource"));
    }
    let mut filter = q.to_core()?;
    filter.resource_ids = vec![id.clone()];
    let t = caller.tenant;
    let result = blocking(move || {
        scope.resource(&t, &id)?;
        t.list_bookings(&filter).map_err(ApiError::from)
    })
    .await?;
    Ok(page(Data::<Vec<BookingOut>>::page(result)))
}

fn collection(scope: ResourceScope) -> &'static str {
    match scope {
        ResourceScope::Any => "/api/v1/resources",
        ResourceScope::Kind(_) => "/api/v1/artists",
    }
}
