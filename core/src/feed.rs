//! In-process delivery of committed events (`engine.subscribe()`).
//!
//! Each subscriber has a bounded queue. A writer never waits for a reader:
//! when a queue is full the subscriber is marked lagged and further events
//! for it are dropped until it has drained its queue and been told
//! [`FeedItem::Lagged`]; it then resumes from the event log
//! (`tenant.events(since, ..)`), which holds everything.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, RecvTimeoutError, SyncSender, TryRecvError, TrySendError, sync_channel};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use crate::limits;
use crate::model::Event;

/// What a subscription yields.
#[derive(Debug, Clone, PartialEq)]
pub enum FeedItem {
    /// The next committed event.
    Event(Event),
    /// Events were dropped because this subscriber fell behind: read the
    /// log from the last `seq` seen per tenant. Events received after this
    /// may repeat ones the log returns; deduplicate by `(tenant_id, seq)`.
    Lagged,
}

struct Subscriber {
    queue: SyncSender<Event>,
    lagged: Arc<AtomicBool>,
    tenant_id: Option<String>,
}

/// The publishing side, owned by the engine.
#[derive(Default)]
pub(crate) struct Feed {
    subscribers: Mutex<Vec<Subscriber>>,
}

impl Feed {
    pub(crate) fn subscribe(&self, tenant_id: Option<String>) -> Subscription {
        let (queue, receiver) = sync_channel(limits::SUBSCRIBER_QUEUE_MAX);
        let lagged = Arc::new(AtomicBool::new(false));
        self.lock().push(Subscriber { queue, lagged: Arc::clone(&lagged), tenant_id });
        Subscription { receiver, lagged }
    }

    /// Whether anyone may be listening (dropped subscriptions count until
    /// the next publish notices them).
    pub(crate) fn has_subscribers(&self) -> bool {
        !self.lock().is_empty()
    }

    /// Hands committed events to every subscriber without blocking. Called
    /// with the engine's publish lock held, so events arrive in `seq` order.
    pub(crate) fn publish(&self, events: &[Event]) {
        if events.is_empty() {
            return;
        }
        let mut subscribers = self.lock();
        subscribers.retain(|s| {
            // The Subscription holds the other reference: alone means dropped
            // (checked first, since a lagged subscriber is never sent to).
            if Arc::strong_count(&s.lagged) == 1 {
                return false;
            }
            for event in events {
                if s.lagged.load(Ordering::Acquire) {
                    return true;
                }
                if s.tenant_id.as_ref().is_some_and(|t| *t != event.tenant_id) {
                    continue;
                }
                match s.queue.try_send(event.clone()) {
                    Ok(()) => {}
                    Err(TrySendError::Full(_)) => s.lagged.store(true, Ordering::Release),
                    Err(TrySendError::Disconnected(_)) => return false,
                }
            }
            true
        });
    }

    fn lock(&self) -> MutexGuard<'_, Vec<Subscriber>> {
        // A panic while holding this lock cannot leave the list inconsistent.
        self.subscribers.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// The receiving side of `engine.subscribe()`. Dropping it unsubscribes.
#[derive(Debug)]
pub struct Subscription {
    receiver: Receiver<Event>,
    lagged: Arc<AtomicBool>,
}

impl Subscription {
    /// The next item if one is ready.
    pub fn try_next(&self) -> Option<FeedItem> {
        match self.receiver.try_recv() {
            Ok(event) => Some(FeedItem::Event(event)),
            Err(TryRecvError::Empty | TryRecvError::Disconnected) => self.take_lag(),
        }
    }

    /// The next item, waiting at most `timeout`; `None` on time-out or when
    /// the engine is gone.
    pub fn next_timeout(&self, timeout: Duration) -> Option<FeedItem> {
        if let Some(item) = self.try_next() {
            return Some(item);
        }
        match self.receiver.recv_timeout(timeout) {
            Ok(event) => Some(FeedItem::Event(event)),
            Err(RecvTimeoutError::Timeout | RecvTimeoutError::Disconnected) => self.take_lag(),
        }
    }

    /// Reports a lag once the queue is drained, and re-arms delivery.
    fn take_lag(&self) -> Option<FeedItem> {
        self.lagged.swap(false, Ordering::AcqRel).then_some(FeedItem::Lagged)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{EventType, Timestamp};

    fn event(tenant_id: &str, seq: i64) -> Event {
        Event {
            tenant_id: tenant_id.into(),
            seq,
            booking_id: None,
            kind: EventType::TenantCreated,
            actor: "test".into(),
            at: Timestamp::from_micros(0),
            data: serde_json::Value::Null,
        }
    }

    #[test]
    fn dropped_subscribers_are_forgotten_even_when_lagged_or_filtered_out() {
        let feed = Feed::default();
        let lagging = feed.subscribe(None);
        let other_tenant = feed.subscribe(Some("b".into()));
        let overflow: Vec<Event> = (1..=limits::SUBSCRIBER_QUEUE_MAX as i64 + 1).map(|s| event("a", s)).collect();
        feed.publish(&overflow);
        assert!(lagging.lagged.load(Ordering::Acquire));
        assert_eq!(feed.lock().len(), 2);

        drop(lagging);
        drop(other_tenant);
        feed.publish(&[event("a", 10_000)]);
        assert_eq!(feed.lock().len(), 0, "a dropped subscriber must not stay registered");
    }
}
