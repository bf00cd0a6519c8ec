//! `ManualClock`: the core's clock that moves only when told to, so that
//! apps can test hold expiry without waiting (`Engine.open(url, { clock })`).

use chrono::{DateTime, Utc};
use holdfast::Clock;
use napi::Env;
use napi_derive::napi;

use napi::JsDate;
use napi::bindgen_prelude::Either;

use crate::convert;
use crate::error;

/// A clock standing still until `set` or `advance` moves it. Give it to
/// `Engine.open(url, { clock })`; the engine then reads "now" from it.
#[napi]
pub struct ManualClock {
    inner: holdfast::ManualClock,
}

#[napi]
impl ManualClock {
    /// A clock standing at `start` (a `Date` or an ISO-8601 string with offset).
    #[napi(constructor)]
    pub fn new(env: Env, start: Either<JsDate<'_>, String>) -> napi::Result<Self> {
        let start = convert::instant("start", &start).map_err(|e| error::to_js(&env, &e))?;
        Ok(ManualClock { inner: holdfast::ManualClock::new(start) })
    }

    /// Moves the clock to `at` (backwards too).
    #[napi]
    pub fn set(&self, env: Env, at: Either<JsDate<'_>, String>) -> napi::Result<()> {
        self.inner.set(convert::instant("at", &at).map_err(|e| error::to_js(&env, &e))?);
        Ok(())
    }

    /// Moves the clock forward by `ms` milliseconds.
    #[napi]
    pub fn advance(&self, env: Env, ms: f64) -> napi::Result<()> {
        self.inner.advance(convert::duration_ms("ms", ms).map_err(|e| error::to_js(&env, &e))?);
        Ok(())
    }

    /// The clock's instant.
    #[napi]
    pub fn now(&self, env: Env) -> napi::Result<DateTime<Utc>> {
        convert::date(self.inner.now()).map_err(|e| error::to_js(&env, &e))
    }
}

impl ManualClock {
    /// The core clock (clones share one instant).
    pub(crate) fn core(&self) -> holdfast::ManualClock {
        self.inner.clone()
    }
}
