//! Wakes SSE streams when this process commits events.
//!
//! One thread drains the engine's in-process subscription (`engine.subscribe()`)
//! into a tokio broadcast channel; each SSE stream filters it by tenant. The
//! event log stays the source of truth: a stream forwards a broadcast event
//! only when it is the next `seq` it expects, and otherwise (a gap, a lag, or
//! its poll timer for events other processes wrote) reads the log from the
//! last `seq` it sent. So a client never sees a gap or a repeat.

use std::sync::{Arc, OnceLock, Weak};
use std::time::Duration;

use holdfast::{Engine, Event, FeedItem};
use tokio::sync::broadcast;

/// What the hub broadcasts.
#[derive(Debug, Clone)]
pub enum HubItem {
    Event(Arc<Event>),
    /// Events were dropped before reaching the hub: read the log.
    Lagged,
}

/// Queued broadcast items per SSE stream before it lags (and reads the log).
const HUB_QUEUE_MAX: usize = 1_024;
/// How long the forwarding thread waits for an event before checking
/// whether the hub is still wanted.
const HUB_POLL: Duration = Duration::from_millis(250);

pub struct EventHub {
    engine: Engine,
    sender: broadcast::Sender<HubItem>,
    started: OnceLock<()>,
}

impl std::fmt::Debug for EventHub {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EventHub").finish_non_exhaustive()
    }
}

impl EventHub {
    pub fn new(engine: Engine) -> Self {
        let (sender, _) = broadcast::channel(HUB_QUEUE_MAX);
        EventHub { engine, sender, started: OnceLock::new() }
    }

    /// A receiver of this process's events; starts the forwarding thread on
    /// first use. It ends when the hub is dropped.
    pub fn subscribe(self: &Arc<Self>) -> broadcast::Receiver<HubItem> {
        let receiver = self.sender.subscribe();
        self.started.get_or_init(|| {
            let subscription = self.engine.subscribe();
            let hub: Weak<EventHub> = Arc::downgrade(self);
            let spawned = std::thread::Builder::new().name("holdfast-event-hub".into()).spawn(move || {
                loop {
                    let item = subscription.next_timeout(HUB_POLL);
                    let Some(hub) = hub.upgrade() else { break };
                    match item {
                        Some(FeedItem::Event(event)) => {
                            let _ = hub.sender.send(HubItem::Event(Arc::new(event)));
                        }
                        Some(FeedItem::Lagged) => {
                            let _ = hub.sender.send(HubItem::Lagged);
                        }
                        None => {}
                    }
                }
            });
            if let Err(e) = spawned {
                // Streams still see every event through their poll timer.
                tracing::error!(error = %e, "could not start the event hub thread");
            }
        });
        receiver
    }
}
