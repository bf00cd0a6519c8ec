//! The reports half of `Tenant`: utilization.

use napi::JsDate;
use napi::bindgen_prelude::{AsyncTask, Either};
use napi_derive::napi;

use super::Tenant;
use crate::convert;
use crate::model;
use crate::model::report::UtilizationRow;
use crate::task::Call;

#[napi]
impl Tenant {
    /// Booked against available time over `[start, end)`, one row per
    /// resource, project or local date.
    #[napi(ts_return_type = "Promise<Array<UtilizationRow>>")]
    pub fn utilization(
        &self,
        start: Either<JsDate<'_>, String>,
        end: Either<JsDate<'_>, String>,
        #[napi(ts_arg_type = "GroupBy")] group_by: String,
    ) -> AsyncTask<Call<Vec<UtilizationRow>>> {
        let args = convert::instant("start", &start)
            .and_then(|start| Ok((start, convert::instant("end", &end)?, holdfast::GroupBy::parse(&group_by)?)));
        self.call_with(args, |t, (start, end, group_by)| {
            model::all(t.utilization(start, end, group_by)?, UtilizationRow::from_core)
        })
    }
}
