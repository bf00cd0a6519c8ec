//! Who is calling: `Authorization: Bearer <key>` → the key → its tenant's
//! handle, and what each role may do (the server's policy; ARCHITECTURE.md).
//!
//! | role     | may |
//! |----------|-----|
//! | owner    | everything, keys included |
//! | manager  | everything but keys |
//! | viewer   | reads only |
//! | resource | read the bookings of its one resource; confirm or decline them |
//!
//! No key, or one that is unknown, malformed or revoked: 401. A role that
//! may not do it: 403. The tenant handle is bound to the key's tenant, so
//! another tenant's ids are 404 by construction. A resource key does not
//! see other resources' bookings: they are 404 to it.

use axum::extract::FromRequestParts;
use axum::http::header;
use axum::http::request::Parts;
use holdfast::{ApiKey, Booking, Role, Tenant};

use crate::error::{ApiError, ApiResult};
use crate::state::{AppState, blocking};

/// The authenticated caller of a request.
#[derive(Debug, Clone)]
pub struct Caller {
    pub key: ApiKey,
    /// The key's tenant, recording `key:<id>` as the actor of its events.
    pub tenant: Tenant,
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> ApiResult<Self> {
        let token = bearer(parts).ok_or_else(ApiError::unauthenticated)?;
        let engine = state.engine.clone();
        let key = blocking(move || engine.authenticate(&token)).await?.ok_or_else(ApiError::unauthenticated)?;
        state.limiter.take(&key.id).map_err(ApiError::rate_limited)?;
        let tenant = state.tenant(&key.tenant_id).await?.as_actor(&format!("key:{}", key.id))?;
        Ok(Caller { key, tenant })
    }
}

fn bearer(parts: &Parts) -> Option<String> {
    let value = parts.headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.trim().split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim().to_owned())
}

/// What a route needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Reads of anything but keys.
    Read,
    /// Every change but keys.
    Write,
    /// Issuing, listing and revoking keys.
    Keys,
}

/// Which bookings a caller may reach.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BookingScope {
    /// Every booking of the tenant.
    All,
    /// Only the bookings of this resource (a `resource` key).
    Resource(String),
}

impl BookingScope {
    /// The booking if it is in scope; otherwise 404, as if it did not exist.
    pub fn admit(&self, booking: Booking) -> ApiResult<Booking> {
        match self {
            BookingScope::All => Ok(booking),
            BookingScope::Resource(id) if *id == booking.resource_id => Ok(booking),
            BookingScope::Resource(_) => Err(ApiError::not_found("booking", &booking.id)),
        }
    }
}

impl Caller {
    /// 403 unless the key's role grants `access`.
    pub fn require(&self, access: Access) -> ApiResult<()> {
        let allowed = match (self.key.role, access) {
            (Role::Owner, Access::Read | Access::Write | Access::Keys) => true,
            (Role::Manager, Access::Read | Access::Write) => true,
            (Role::Manager, Access::Keys) => false,
            (Role::Viewer, Access::Read) => true,
            (Role::Viewer, Access::Write | Access::Keys) => false,
            (Role::Resource, Access::Read | Access::Write | Access::Keys) => false,
        };
        if allowed {
            Ok(())
        } else {
            Err(ApiError::forbidden(format!("a {} key may not {}", self.key.role, describe(access))))
        }
    }

    /// Reading bookings: every role, a resource key its own resource's only.
    pub fn booking_reads(&self) -> ApiResult<BookingScope> {
        match self.key.role {
            Role::Owner | Role::Manager | Role::Viewer => Ok(BookingScope::All),
            Role::Resource => self.own_resource(),
        }
    }

    /// Confirming or declining: writers, and a resource key on its own
    /// resource's bookings.
    pub fn booking_decisions(&self) -> ApiResult<BookingScope> {
        match self.key.role {
            Role::Owner | Role::Manager => Ok(BookingScope::All),
            Role::Resource => self.own_resource(),
            Role::Viewer => Err(ApiError::forbidden("a viewer key may not confirm or decline bookings")),
        }
    }

    fn own_resource(&self) -> ApiResult<BookingScope> {
        match &self.key.resource_id {
            Some(id) => Ok(BookingScope::Resource(id.clone())),
            None => Err(ApiError::forbidden("this resource key is bound to no resource")),
        }
    }
}

fn describe(access: Access) -> &'static str {
    match access {
        Access::Read => "read this",
        Access::Write => "change anything",
        Access::Keys => "manage API keys",
    }
}

/// A caller whose role may read (checked before the request body is read,
/// so a forbidden call is 403 whatever its body).
#[derive(Debug, Clone)]
pub struct Reader(pub Caller);

/// A caller whose role may change things.
#[derive(Debug, Clone)]
pub struct Writer(pub Caller);

/// A caller whose role may manage API keys.
#[derive(Debug, Clone)]
pub struct KeyAdmin(pub Caller);

/// A caller who may read bookings, with the bookings it may reach.
#[derive(Debug, Clone)]
pub struct BookingReader(pub Caller, pub BookingScope);

/// A caller who may confirm or decline bookings, with those it may reach.
#[derive(Debug, Clone)]
pub struct Decider(pub Caller, pub BookingScope);

impl FromRequestParts<AppState> for Reader {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> ApiResult<Self> {
        let caller = Caller::from_request_parts(parts, state).await?;
        caller.require(Access::Read)?;
        Ok(Reader(caller))
    }
}

impl FromRequestParts<AppState> for Writer {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> ApiResult<Self> {
        let caller = Caller::from_request_parts(parts, state).await?;
        caller.require(Access::Write)?;
        Ok(Writer(caller))
    }
}

impl FromRequestParts<AppState> for KeyAdmin {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> ApiResult<Self> {
        let caller = Caller::from_request_parts(parts, state).await?;
        caller.require(Access::Keys)?;
        Ok(KeyAdmin(caller))
    }
}

impl FromRequestParts<AppState> for BookingReader {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> ApiResult<Self> {
        let caller = Caller::from_request_parts(parts, state).await?;
        let scope = caller.booking_reads()?;
        Ok(BookingReader(caller, scope))
    }
}

impl FromRequestParts<AppState> for Decider {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> ApiResult<Self> {
        let caller = Caller::from_request_parts(parts, state).await?;
        let scope = caller.booking_decisions()?;
        Ok(Decider(caller, scope))
    }
}
