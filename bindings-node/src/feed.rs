//! `tenant.watch(since, onEvent, options)`: a tenant's events delivered to
//! a JS callback, in `seq` order, without gaps or repeats.
//!
//! One thread per watch: it subscribes to the core's in-process feed
//! (`Tenant::subscribe`), then reads the log (`Tenant::events`) from
//! `since`, then delivers live events. A `seq` gap (another process wrote),
//! a lag signal or the poll interval sends it back to the log, which holds
//! everything. Events reach JS through a weak (unref'd) threadsafe function
//! with a bounded queue: a watch never keeps the process alive, and a slow
//! callback slows the thread rather than growing a queue.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use holdfast::{Error, FeedItem};
use napi::Status;
use napi::bindgen_prelude::Function;
use napi::threadsafe_function::{ThreadsafeFunction, ThreadsafeFunctionCallMode};
use napi_derive::napi;

use crate::convert;
use crate::engine::Shared;
use crate::error;
use crate::model::event::Event;
use crate::tenant::Tenant;

/// How often the log is read for other processes' events when the feed is quiet.
const POLL_INTERVAL_DEFAULT: Duration = Duration::from_secs(1);
/// Shortest poll interval accepted (a watch must not spin on the store).
const POLL_INTERVAL_MIN_MS: f64 = 10.0;
/// How long the thread waits at most before looking at `stop()` and `close()`.
const STOP_CHECK_INTERVAL: Duration = Duration::from_millis(50);
/// Events converted and waiting for the JS thread, per watch.
const EVENT_QUEUE_MAX: usize = 1_024;
/// Errors waiting for the JS thread, per watch.
const ERROR_QUEUE_MAX: usize = 16;
/// Events read from the log per call.
const LOG_PAGE_SIZE: usize = holdfast::limits::PAGE_SIZE_MAX;

type EventSink = ThreadsafeFunction<Event, (), Event, Status, false, true, EVENT_QUEUE_MAX>;
type ErrorSink = ThreadsafeFunction<Error, (), napi::Error, Status, false, true, ERROR_QUEUE_MAX>;

/// Options of `watch`.
#[napi(object, object_to_js = false)]
pub struct WatchOptions<'a> {
    /// How often to read the log for other processes' events, in
    /// milliseconds (default 1,000; at least 10).
    pub poll_interval_ms: Option<f64>,
    /// Called with each error (a `HoldfastError`). `STORE_UNAVAILABLE` is
    /// retried at the next poll; any other error ends the watch.
    pub on_error: Option<Function<'a, napi::Error, ()>>,
}

/// A running watch; `stop()` ends it (no callback runs after).
#[napi]
pub struct Watch {
    stop: Arc<AtomicBool>,
    running: Arc<AtomicBool>,
}

#[napi]
impl Watch {
    /// Ends the watch.
    #[napi]
    pub fn stop(&self) {
        self.stop.store(true, Ordering::Release);
    }

    /// Whether events may still be delivered (not stopped, not ended by
    /// `engine.close()` or an error).
    #[napi(getter)]
    pub fn active(&self) -> bool {
        !self.stop.load(Ordering::Acquire) && self.running.load(Ordering::Acquire)
    }
}

struct Watcher {
    shared: Arc<Shared>,
    tenant_id: String,
    actor: Option<String>,
    poll: Duration,
    stop: Arc<AtomicBool>,
    events: EventSink,
    errors: Option<ErrorSink>,
}

/// Starts a watch (on the JS thread; no I/O here: the thread resolves the
/// tenant and reads the store).
pub(crate) fn watch(
    env: &napi::Env,
    shared: Arc<Shared>,
    tenant_id: String,
    actor: Option<String>,
    since: i64,
    on_event: Function<'_, Event, ()>,
    options: Option<WatchOptions<'_>>,
) -> napi::Result<Watch> {
    let reject = |e: Error| error::to_js(env, &e);
    let (poll_ms, on_error) = match options {
        Some(o) => (o.poll_interval_ms, o.on_error),
        None => (None, None),
    };
    let poll = match poll_ms {
        None => POLL_INTERVAL_DEFAULT,
        Some(ms) if ms >= POLL_INTERVAL_MIN_MS => convert::duration_ms("poll_interval", ms)
            .ok()
            .and_then(|d| d.to_std().ok())
            .ok_or_else(|| reject(convert::invalid("poll_interval", format!("{ms} ms is not a duration"))))?,
        Some(ms) => {
            return Err(reject(convert::invalid(
                "poll_interval",
                format!("{ms} ms is under {POLL_INTERVAL_MIN_MS} ms"),
            )));
        }
    };
    let events: EventSink =
        on_event.build_threadsafe_function().weak::<true>().max_queue_size::<EVENT_QUEUE_MAX>().build()?;
    let errors: Option<ErrorSink> = match on_error {
        Some(f) => Some(
            f.build_threadsafe_function::<Error>()
                .weak::<true>()
                .max_queue_size::<ERROR_QUEUE_MAX>()
                .build_callback(|ctx| Ok(error::to_js(&ctx.env, &ctx.value)))?,
        ),
        None => None,
    };
    let stop = Arc::new(AtomicBool::new(false));
    let running = Arc::new(AtomicBool::new(true));
    let watcher = Watcher { shared, tenant_id, actor, poll, stop: Arc::clone(&stop), events, errors };
    let done = Arc::clone(&running);
    std::thread::Builder::new()
        .name("holdfast-watch".into())
        .spawn(move || {
            watcher.run(since);
            done.store(false, Ordering::Release);
        })
        .map_err(|e| reject(Error::Internal { message: format!("cannot start the watch thread: {e}") }))?;
    Ok(Watch { stop, running })
}

/// Why delivery ended.
enum End {
    /// `stop()`, `close()`, or the JS side is gone.
    Stopped,
    /// The store failed; retry later if it is only unavailable.
    Failed(Error),
}

impl Watcher {
    fn stopping(&self) -> bool {
        self.stop.load(Ordering::Acquire) || !self.shared.is_open()
    }

    fn run(&self, since: i64) {
        let mut last = since;
        // The subscription comes before the first log read, so an event is
        // either in the log read or in the subscription (or both: skipped).
        let (tenant, subscription) = loop {
            match Tenant::resolve(&self.shared, &self.tenant_id, self.actor.as_deref()) {
                Ok(tenant) => {
                    let subscription = tenant.subscribe();
                    break (tenant, subscription);
                }
                Err(e) => {
                    if !self.retry_after(e) {
                        return;
                    }
                }
            }
        };
        loop {
            match self.drain_log(&tenant, &mut last) {
                Ok(()) => {}
                Err(End::Stopped) => return,
                Err(End::Failed(e)) => {
                    if !self.retry_after(e) {
                        return;
                    }
                    continue;
                }
            }
            let deadline = Instant::now() + self.poll;
            loop {
                if self.stopping() {
                    return;
                }
                let now = Instant::now();
                if now >= deadline {
                    break;
                }
                match subscription.next_timeout((deadline - now).min(STOP_CHECK_INTERVAL)) {
                    Some(FeedItem::Event(event)) if event.seq <= last => {}
                    Some(FeedItem::Event(event)) if event.seq == last + 1 => {
                        last = event.seq;
                        if self.deliver(event).is_err() {
                            return;
                        }
                    }
                    // A gap (another process committed in between) or a lag:
                    // the log has it all.
                    Some(FeedItem::Event(_) | FeedItem::Lagged) => break,
                    None => {}
                }
            }
        }
    }

    /// Delivers every logged event after `last`.
    fn drain_log(&self, tenant: &holdfast::Tenant, last: &mut i64) -> Result<(), End> {
        loop {
            if self.stopping() {
                return Err(End::Stopped);
            }
            let page = tenant.events(*last, LOG_PAGE_SIZE).map_err(End::Failed)?;
            let full = page.len() == LOG_PAGE_SIZE;
            for event in page {
                *last = event.seq;
                self.deliver(event)?;
            }
            if !full {
                return Ok(());
            }
        }
    }

    fn deliver(&self, event: holdfast::Event) -> Result<(), End> {
        if self.stopping() {
            return Err(End::Stopped);
        }
        let event = Event::from_core(event).map_err(End::Failed)?;
        match self.events.call(event, ThreadsafeFunctionCallMode::Blocking) {
            Status::Ok => Ok(()),
            _ => Err(End::Stopped),
        }
    }

    /// Reports `error`; waits a poll interval and answers `true` when it is
    /// worth trying again (the store was unavailable), `false` to end.
    fn retry_after(&self, error: Error) -> bool {
        if self.stopping() {
            return false; // closing ends a watch quietly
        }
        let retry = matches!(error, Error::StoreUnavailable { .. });
        if let Some(errors) = &self.errors {
            errors.call(error, ThreadsafeFunctionCallMode::Blocking);
        }
        if !retry {
            return false;
        }
        let deadline = Instant::now() + self.poll;
        while Instant::now() < deadline {
            if self.stopping() {
                return false;
            }
            std::thread::sleep(STOP_CHECK_INTERVAL.min(deadline - Instant::now()));
        }
        true
    }
}
