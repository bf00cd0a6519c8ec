//! The one `AsyncTask`: a core call run on the libuv pool, its result
//! converted there, and the promise settled on the JS thread.

use std::panic::{AssertUnwindSafe, catch_unwind};

use holdfast::{Error, Result};
use napi::bindgen_prelude::{AsyncTask, ToNapiValue, TypeName};
use napi::{Env, Task};

use crate::error;

type Job<T> = Box<dyn FnOnce() -> Result<T> + Send>;

/// A store call and the conversion of its answer, both off the JS thread.
pub struct Call<T> {
    job: Option<Job<T>>,
}

/// Runs `job` on the libuv pool; the returned task is a JS promise.
pub(crate) fn run<T, F>(job: F) -> AsyncTask<Call<T>>
where
    T: ToNapiValue + TypeName + Send + 'static,
    F: FnOnce() -> Result<T> + Send + 'static,
{
    AsyncTask::new(Call { job: Some(Box::new(job)) })
}

impl<T> Task for Call<T>
where
    T: ToNapiValue + TypeName + Send + 'static,
{
    type Output = Result<T>;
    type JsValue = T;

    fn compute(&mut self) -> napi::Result<Self::Output> {
        let Some(job) = self.job.take() else {
            return Ok(Err(Error::Internal { message: "a call ran twice".into() }));
        };
        // A panic must not unwind into libuv (it would abort the process).
        Ok(catch_unwind(AssertUnwindSafe(job))
            .unwrap_or_else(|_| Err(Error::Internal { message: "the engine panicked".into() })))
    }

    fn resolve(&mut self, env: Env, output: Self::Output) -> napi::Result<T> {
        output.map_err(|e| error::to_js(&env, &e))
    }
}
