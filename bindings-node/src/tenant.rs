//! `Tenant`: every per-tenant call of the core, as a promise.
//!
//! Each method converts its arguments on the JS thread (a value that does
//! not convert rejects the promise with `INVALID_INPUT`), then runs the core
//! call and the conversion of its answer on the libuv pool.
//! `tenant/availability.rs` and `tenant/reports.rs` hold the other halves,
//! as in the core.

mod availability;
mod reports;

use std::sync::Arc;

use holdfast::Result;
use napi::Env;
use napi::bindgen_prelude::{AsyncTask, Function, ToNapiValue, TypeName};
use napi_derive::napi;

use crate::convert;
use crate::engine::Shared;
use crate::error;
use crate::feed::{self, Watch, WatchOptions};
use crate::model::booking::{Booking, BookingFilter, BookingPage, HoldExtension, NewBooking, Reschedule};
use crate::model::event::Event;
use crate::model::key::{ApiKey, ApiKeyPage, IssuedKey, NewApiKey};
use crate::model::project::{NewProject, Project, ProjectPage};
use crate::model::resource::{NewResource, Resource, ResourcePage, ResourcePatch};
use crate::model::{self, ActionOptions, PageRequest};
use crate::task::{self, Call};

/// One tenant's view of the engine: every call reaches this tenant's rows
/// only; another tenant's ids are `NOT_FOUND`.
#[napi]
pub struct Tenant {
    shared: Arc<Shared>,
    id: String,
    actor: Option<String>,
}

impl Tenant {
    pub(crate) fn new(shared: Arc<Shared>, id: String, actor: Option<String>) -> Self {
        Tenant { shared, id, actor }
    }

    /// The core tenant this handle names (off the JS thread: the first use
    /// reads the store).
    pub(crate) fn resolve(shared: &Shared, id: &str, actor: Option<&str>) -> Result<holdfast::Tenant> {
        let tenant = shared.tenant(id)?;
        match actor {
            Some(actor) => tenant.as_actor(actor),
            None => Ok(tenant),
        }
    }

    /// Runs `f` on the core tenant, off the JS thread.
    fn call<T, F>(&self, f: F) -> AsyncTask<Call<T>>
    where
        T: ToNapiValue + TypeName + Send + 'static,
        F: FnOnce(&holdfast::Tenant) -> Result<T> + Send + 'static,
    {
        let shared = Arc::clone(&self.shared);
        let id = self.id.clone();
        let actor = self.actor.clone();
        task::run(move || f(&Tenant::resolve(&shared, &id, actor.as_deref())?))
    }

    /// Like `call`, with an argument converted on the JS thread first.
    fn call_with<A, T, F>(&self, arg: Result<A>, f: F) -> AsyncTask<Call<T>>
    where
        A: Send + 'static,
        T: ToNapiValue + TypeName + Send + 'static,
        F: FnOnce(&holdfast::Tenant, A) -> Result<T> + Send + 'static,
    {
        self.call(move |t| f(t, arg?))
    }
}

#[napi]
impl Tenant {
    /// The tenant's id.
    #[napi(getter)]
    pub fn id(&self) -> String {
        self.id.clone()
    }

    /// The same tenant, recording `actor` (a user, a job) on the events its
    /// calls cause. No I/O; an invalid actor rejects the handle's calls.
    #[napi]
    pub fn as_actor(&self, actor: String) -> Tenant {
        Tenant::new(Arc::clone(&self.shared), self.id.clone(), Some(actor))
    }

    // ---- resources ----

    /// Creates a resource; the same id and fields again returns it.
    #[napi(ts_return_type = "Promise<Resource>")]
    pub fn create_resource(&self, resource: NewResource) -> AsyncTask<Call<Resource>> {
        self.call_with(resource.into_core(), |t, new| Resource::from_core(t.create_resource(new)?))
    }

    #[napi(ts_return_type = "Promise<Resource>")]
    pub fn get_resource(&self, id: String) -> AsyncTask<Call<Resource>> {
        self.call(move |t| Resource::from_core(t.get_resource(&id)?))
    }

    /// Resources ordered by id, a page at a time.
    #[napi(ts_return_type = "Promise<ResourcePage>")]
    pub fn list_resources(&self, page: Option<PageRequest>) -> AsyncTask<Call<ResourcePage>> {
        self.call_with(PageRequest::to_core(page), |t, page| ResourcePage::from_core(t.list_resources(&page)?))
    }

    /// Changes a resource. Lowering its capacity or widening its buffers is
    /// `CONFLICT` if bookings it already has would overrun.
    #[napi(ts_return_type = "Promise<Resource>")]
    pub fn update_resource(
        &self,
        id: String,
        patch: ResourcePatch,
        options: Option<ActionOptions>,
    ) -> AsyncTask<Call<Resource>> {
        let args = patch.into_core().and_then(|p| Ok((p, ActionOptions::expected_version(options)?)));
        self.call_with(args, move |t, (patch, version)| Resource::from_core(t.update_resource(&id, patch, version)?))
    }

    // ---- API keys ----

    /// Issues a key; the token in the answer is the only copy of its secret.
    #[napi(ts_return_type = "Promise<IssuedKey>")]
    pub fn create_api_key(&self, key: NewApiKey) -> AsyncTask<Call<IssuedKey>> {
        self.call_with(key.into_core(), |t, new| IssuedKey::from_core(t.create_api_key(new)?))
    }

    /// Revokes a key at once (again changes nothing).
    #[napi(ts_return_type = "Promise<ApiKey>")]
    pub fn revoke_api_key(&self, id: String) -> AsyncTask<Call<ApiKey>> {
        self.call(move |t| ApiKey::from_core(t.revoke_api_key(&id)?))
    }

    /// The tenant's keys (revoked ones too), ordered by id.
    #[napi(ts_return_type = "Promise<ApiKeyPage>")]
    pub fn list_api_keys(&self, page: Option<PageRequest>) -> AsyncTask<Call<ApiKeyPage>> {
        self.call_with(PageRequest::to_core(page), |t, page| ApiKeyPage::from_core(t.list_api_keys(&page)?))
    }

    // ---- projects ----

    /// Creates a project; the same id and fields again returns it.
    #[napi(ts_return_type = "Promise<Project>")]
    pub fn create_project(&self, project: NewProject) -> AsyncTask<Call<Project>> {
        let new = project.into_core();
        self.call(move |t| Project::from_core(t.create_project(new)?))
    }

    #[napi(ts_return_type = "Promise<Project>")]
    pub fn get_project(&self, id: String) -> AsyncTask<Call<Project>> {
        self.call(move |t| Project::from_core(t.get_project(&id)?))
    }

    /// Projects ordered by id, a page at a time.
    #[napi(ts_return_type = "Promise<ProjectPage>")]
    pub fn list_projects(&self, page: Option<PageRequest>) -> AsyncTask<Call<ProjectPage>> {
        self.call_with(PageRequest::to_core(page), |t, page| ProjectPage::from_core(t.list_projects(&page)?))
    }

    // ---- bookings ----

    /// Creates one booking if it fits; `CONFLICT` names what is in the way
    /// (`err.details.conflicts`).
    #[napi(ts_return_type = "Promise<Booking>")]
    pub fn create_booking(&self, booking: NewBooking<'_>) -> AsyncTask<Call<Booking>> {
        self.call_with(booking.to_core(), |t, new| Booking::from_core(t.create_booking(new)?))
    }

    /// Creates every booking or none; a failure names its item
    /// (`err.details.index`, fields as `items[3].start`).
    #[napi(ts_return_type = "Promise<Array<Booking>>")]
    pub fn create_bookings(&self, items: Vec<NewBooking<'_>>) -> AsyncTask<Call<Vec<Booking>>> {
        let items = items
            .iter()
            .enumerate()
            .map(|(index, new)| new.to_core().map_err(|e| in_batch(index, e)))
            .collect::<Result<Vec<_>>>();
        self.call_with(items, |t, items| model::all(t.create_bookings(items)?, Booking::from_core))
    }

    #[napi(ts_return_type = "Promise<Booking>")]
    pub fn get_booking(&self, id: String) -> AsyncTask<Call<Booking>> {
        self.call(move |t| Booking::from_core(t.get_booking(&id)?))
    }

    /// Bookings matching `filter`, ordered by `(start, id)`, a page at a time.
    #[napi(ts_return_type = "Promise<BookingPage>")]
    pub fn list_bookings(&self, filter: Option<BookingFilter<'_>>) -> AsyncTask<Call<BookingPage>> {
        let filter = BookingFilter::to_core(filter.as_ref());
        self.call_with(filter, |t, filter| BookingPage::from_core(t.list_bookings(&filter)?))
    }

    /// hold -> pencil.
    #[napi(ts_return_type = "Promise<Booking>")]
    pub fn pencil(&self, id: String, options: Option<ActionOptions>) -> AsyncTask<Call<Booking>> {
        let version = ActionOptions::expected_version(options);
        self.call_with(version, move |t, version| Booking::from_core(t.pencil(&id, version)?))
    }

    /// hold or pencil -> confirmed.
    #[napi(ts_return_type = "Promise<Booking>")]
    pub fn confirm(&self, id: String, options: Option<ActionOptions>) -> AsyncTask<Call<Booking>> {
        let version = ActionOptions::expected_version(options);
        self.call_with(version, move |t, version| Booking::from_core(t.confirm(&id, version)?))
    }

    /// hold, pencil or confirmed -> cancelled.
    #[napi(ts_return_type = "Promise<Booking>")]
    pub fn cancel(&self, id: String, options: Option<ActionOptions>) -> AsyncTask<Call<Booking>> {
        let version = ActionOptions::expected_version(options);
        self.call_with(version, move |t, version| Booking::from_core(t.cancel(&id, version)?))
    }

    /// hold or pencil -> declined.
    #[napi(ts_return_type = "Promise<Booking>")]
    pub fn decline(&self, id: String, options: Option<ActionOptions>) -> AsyncTask<Call<Booking>> {
        let version = ActionOptions::expected_version(options);
        self.call_with(version, move |t, version| Booking::from_core(t.decline(&id, version)?))
    }

    /// Moves a running hold's expiry: `holdTtlMs` from now, `holdExpiresAt`,
    /// or (neither) the engine's default TTL from now.
    #[napi(ts_return_type = "Promise<Booking>")]
    pub fn extend_hold(
        &self,
        id: String,
        until: Option<HoldExtension<'_>>,
        options: Option<ActionOptions>,
    ) -> AsyncTask<Call<Booking>> {
        let args = HoldExtension::to_core(until.as_ref())
            .and_then(|until| Ok((until, ActionOptions::expected_version(options)?)));
        self.call_with(args, move |t, (until, version)| Booking::from_core(t.extend_hold(&id, until, version)?))
    }

    /// Moves a booking in time (and optionally to another resource), keeping
    /// its status; it must fit where it lands.
    #[napi(ts_return_type = "Promise<Booking>")]
    pub fn reschedule(
        &self,
        id: String,
        to: Reschedule<'_>,
        options: Option<ActionOptions>,
    ) -> AsyncTask<Call<Booking>> {
        let args = to.to_core().and_then(|to| Ok((to, ActionOptions::expected_version(options)?)));
        self.call_with(args, move |t, (to, version)| Booking::from_core(t.reschedule(&id, to, version)?))
    }

    // ---- the log ----

    /// Every event of one booking, oldest first.
    #[napi(ts_return_type = "Promise<Array<Event>>")]
    pub fn history(&self, booking_id: String) -> AsyncTask<Call<Vec<Event>>> {
        self.call(move |t| model::all(t.history(&booking_id)?, Event::from_core))
    }

    /// Up to `limit` events with `seq > since`, ascending (the core's page
    /// size when `limit` is absent). Poll with the last `seq` seen.
    #[napi(ts_return_type = "Promise<Array<Event>>")]
    pub fn events(&self, since: f64, limit: Option<f64>) -> AsyncTask<Call<Vec<Event>>> {
        let args = convert::whole::<i64>("since", since).and_then(|since| {
            Ok((since, convert::opt_whole("limit", limit)?.unwrap_or(holdfast::limits::PAGE_SIZE_DEFAULT)))
        });
        self.call_with(args, |t, (since, limit)| model::all(t.events(since, limit)?, Event::from_core))
    }

    /// Calls `onEvent` with every event after `since`, in `seq` order: first
    /// the log, then live as calls of this engine commit, and from the log
    /// again for other processes' writes (every `pollIntervalMs`, default
    /// 1,000) and after a lag. Never keeps the process alive; stops on
    /// `stop()`, on `engine.close()`, or on an error other than
    /// `STORE_UNAVAILABLE` (those are reported to `onError` and retried).
    #[napi(ts_return_type = "Watch")]
    pub fn watch(
        &self,
        env: Env,
        since: f64,
        on_event: Function<'_, Event, ()>,
        options: Option<WatchOptions<'_>>,
    ) -> napi::Result<Watch> {
        let since = convert::whole::<i64>("since", since).map_err(|e| error::to_js(&env, &e))?;
        feed::watch(&env, Arc::clone(&self.shared), self.id.clone(), self.actor.clone(), since, on_event, options)
    }
}

/// An item's conversion error inside a batch, shaped as the core shapes its
/// own batch errors (`details.index`, `items[3].start`).
fn in_batch(index: usize, error: holdfast::Error) -> holdfast::Error {
    let error = match error {
        holdfast::Error::InvalidInput { field, message } => {
            holdfast::Error::InvalidInput { field: format!("items[{index}].{field}"), message }
        }
        other => other,
    };
    holdfast::Error::InBatch { index, source: Box::new(error) }
}
