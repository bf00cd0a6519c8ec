//! `/keys…`: API keys of the caller's tenant (owner keys only).

use axum::response::Response;

use super::{created, ok, page};
use crate::auth::KeyAdmin;
use crate::error::ApiResult;
use crate::extract::{Json, Path, Query};
use crate::state::blocking;
use crate::wire::{ApiKeyOut, Data, IssuedKeyOut, NewApiKeyIn, PageQuery};

/// The tenant's keys (revoked ones too), by id; never their secrets.
#[utoipa::path(get, path = "/keys", tag = "keys", params(PageQuery),
    responses((status = 200, description = "A page of keys", body = Data<Vec<ApiKeyOut>>)))]
pub async fn list(KeyAdmin(caller): KeyAdmin, Query(q): Query<PageQuery>) -> ApiResult<Response> {
    let t = caller.tenant;
    let result = blocking(move || t.list_api_keys(&q.to_core())).await?;
    Ok(page(Data::<Vec<ApiKeyOut>>::page(result)))
}

/// Issue a key. The token in the answer is the only copy of its secret.
#[utoipa::path(post, path = "/keys", tag = "keys", request_body = NewApiKeyIn,
    responses((status = 201, description = "The key and its bearer token (shown once)", body = Data<IssuedKeyOut>)))]
pub async fn create(KeyAdmin(caller): KeyAdmin, Json(body): Json<NewApiKeyIn>) -> ApiResult<Response> {
    let new = body.into_core();
    let t = caller.tenant;
    let issued = blocking(move || t.create_api_key(new)).await?;
    let location = format!("/api/v1/keys/{}", issued.key.id);
    Ok(created(IssuedKeyOut::from(issued), &location, None))
}

/// Revoke a key at once (repeating it changes nothing).
#[utoipa::path(delete, path = "/keys/{id}", tag = "keys", params(("id" = String, Path, description = "Key id")),
    responses((status = 200, description = "The revoked key", body = Data<ApiKeyOut>)))]
pub async fn revoke(KeyAdmin(caller): KeyAdmin, Path(id): Path<String>) -> ApiResult<Response> {
    let t = caller.tenant;
    let key = blocking(move || t.revoke_api_key(&id)).await?;
    Ok(ok(ApiKeyOut::from(key)))
}
