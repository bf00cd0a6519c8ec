//! The availability half of `Tenant`: rules, checks, free/busy, slots.

use napi::JsDate;
use napi::bindgen_prelude::{AsyncTask, Either};
use napi_derive::napi;

use super::Tenant;
use crate::convert;
use crate::model::availability::{Availability, AvailabilityCheck, AvailabilityRules, FoundSlot, FreeBusy, SlotQuery};
use crate::model::{self, ActionOptions};
use crate::task::Call;

#[napi]
impl Tenant {
    /// A resource's availability rules (the defaults, version 0, until set).
    #[napi(ts_return_type = "Promise<Availability>")]
    pub fn get_availability(&self, resource_id: String) -> AsyncTask<Call<Availability>> {
        self.call(move |t| Availability::from_core(t.get_availability(&resource_id)?))
    }

    /// Replaces a resource's rules; bookings already made stay.
    #[napi(ts_return_type = "Promise<Availability>")]
    pub fn set_availability(
        &self,
        resource_id: String,
        rules: AvailabilityRules,
        options: Option<ActionOptions>,
    ) -> AsyncTask<Call<Availability>> {
        let args = rules.into_core().and_then(|r| Ok((r, ActionOptions::expected_version(options)?)));
        self.call_with(args, move |t, (rules, version)| {
            Availability::from_core(t.set_availability(&resource_id, rules, version)?)
        })
    }

    /// Whether `quantity` units (the core's default quantity when absent)
    /// are free over `[start, end)` and inside hours, with every reason not.
    #[napi(ts_return_type = "Promise<AvailabilityCheck>")]
    pub fn check_availability(
        &self,
        resource_id: String,
        start: Either<JsDate<'_>, String>,
        end: Either<JsDate<'_>, String>,
        quantity: Option<f64>,
    ) -> AsyncTask<Call<AvailabilityCheck>> {
        let args = convert::instant("start", &start).and_then(|start| {
            let quantity = convert::opt_whole("quantity", quantity)?;
            Ok((start, convert::instant("end", &end)?, quantity.unwrap_or(holdfast::NewBooking::default().quantity)))
        });
        self.call_with(args, move |t, (start, end, quantity)| {
            AvailabilityCheck::from_core(t.check_availability(&resource_id, start, end, quantity)?)
        })
    }

    /// Busy and free time of each resource over `[start, end)`.
    #[napi(ts_return_type = "Promise<Array<FreeBusy>>")]
    pub fn free_busy(
        &self,
        resource_ids: Vec<String>,
        start: Either<JsDate<'_>, String>,
        end: Either<JsDate<'_>, String>,
    ) -> AsyncTask<Call<Vec<FreeBusy>>> {
        let args = convert::instant("start", &start).and_then(|start| Ok((start, convert::instant("end", &end)?)));
        self.call_with(args, move |t, (start, end)| {
            model::all(t.free_busy(&resource_ids, start, end)?, FreeBusy::from_core)
        })
    }

    /// The earliest slots of the query's length that `checkAvailability`
    /// would call available.
    #[napi(ts_return_type = "Promise<Array<FoundSlot>>")]
    pub fn find_slots(&self, query: SlotQuery<'_>) -> AsyncTask<Call<Vec<FoundSlot>>> {
        self.call_with(query.to_core(), |t, query| model::all(t.find_slots(&query)?, FoundSlot::from_core))
    }
}
