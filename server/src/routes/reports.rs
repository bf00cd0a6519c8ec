//! `/reports…`: utilization of working time.

use axum::response::Response;
use holdfast::GroupBy;

use super::ok;
use crate::auth::Reader;
use crate::error::ApiResult;
use crate::extract::Query;
use crate::state::blocking;
use crate::wire::{UtilizationQuery, UtilizationRowOut};

/// Booked against working time over `[start, end)`, grouped by resource,
/// project or local date (capacity-unit milliseconds).
#[utoipa::path(get, path = "/reports/utilization", tag = "reports", params(UtilizationQuery),
    responses((status = 200, description = "One row per group", body = crate::wire::Data<Vec<UtilizationRowOut>>)))]
pub async fn utilization(Reader(caller): Reader, Query(q): Query<UtilizationQuery>) -> ApiResult<Response> {
    let group_by = GroupBy::parse(&q.group_by)?;
    let t = caller.tenant;
    let rows = blocking(move || t.utilization(q.start.0, q.end.0, group_by)).await?;
    Ok(ok(rows.into_iter().map(UtilizationRowOut::from).collect::<Vec<_>>()))
}
