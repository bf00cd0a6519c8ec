//! `/projects…`: projects and the bookings of one project.

use axum::response::Response;

use super::{created, page, versioned};
use crate::auth::{Reader, Writer};
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{Json, Path, Query};
use crate::state::blocking;
use crate::wire::{BookingListQuery, BookingOut, Data, NewProjectIn, PageQuery, ProjectOut};

/// List projects, by id.
#[utoipa::path(get, path = "/projects", tag = "projects", params(PageQuery),
    responses((status = 200, description = "A page of projects (by id)", body = Data<Vec<ProjectOut>>)))]
pub async fn list(Reader(caller): Reader, Query(q): Query<PageQuery>) -> ApiResult<Response> {
    let t = caller.tenant;
    let result = blocking(move || t.list_projects(&q.to_core())).await?;
    Ok(page(Data::<Vec<ProjectOut>>::page(result)))
}

/// Create a project. Repeating it with the same id and fields returns it.
#[utoipa::path(post, path = "/projects", tag = "projects", request_body = NewProjectIn,
    responses((status = 201, description = "Created (or the same one again)", body = Data<ProjectOut>),
              (status = 409, description = "ALREADY_EXISTS", body = ErrorBody)))]
pub async fn create(Writer(caller): Writer, Json(body): Json<NewProjectIn>) -> ApiResult<Response> {
    let new = body.into_core();
    let t = caller.tenant;
    let p = blocking(move || t.create_project(new)).await?;
    let location = format!("/api/v1/projects/{}", p.id);
    let version = p.version;
    Ok(created(ProjectOut::from(p), &location, Some(version)))
}

/// One project.
#[utoipa::path(get, path = "/projects/{id}", tag = "projects", params(("id" = String, Path, description = "Project id")),
    responses((status = 200, description = "The project", body = Data<ProjectOut>)))]
pub async fn get(Reader(caller): Reader, Path(id): Path<String>) -> ApiResult<Response> {
    let t = caller.tenant;
    let p = blocking(move || t.get_project(&id)).await?;
    let version = p.version;
    Ok(versioned(ProjectOut::from(p), version))
}

/// The bookings of one project (filters as `GET /bookings`, without `project_id`).
#[utoipa::path(get, path = "/projects/{id}/bookings", tag = "projects",
    params(("id" = String, Path, description = "Project id"), BookingListQuery),
    responses((status = 200, description = "A page of bookings by (start, id)", body = Data<Vec<BookingOut>>)))]
pub async fn bookings(
    Reader(caller): Reader,
    Path(id): Path<String>,
    Query(q): Query<BookingListQuery>,
) -> ApiResult<Response> {
    if q.project_id.is_some() {
        return Err(ApiError::invalid("project_id", "the path names the project"));
    }
    let mut filter = q.to_core()?;
    filter.project_id = Some(id.clone());
    let t = caller.tenant;
    let result = blocking(move || {
        t.get_project(&id)?;
        t.list_bookings(&filter).map_err(ApiError::from)
    })
    .await?;
    Ok(page(Data::<Vec<BookingOut>>::page(result)))
}
