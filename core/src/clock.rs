//! Where the engine's "now" comes from. Decisions read the clock once, inside
//! the write transaction; tests inject a [`ManualClock`] and never sleep.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use chrono::{TimeDelta, Utc};

use crate::model::Timestamp;

/// A source of the current instant.
pub trait Clock: Send + Sync {
    fn now(&self) -> Timestamp;
}

/// The system's wall clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Timestamp {
        Timestamp::from(Utc::now())
    }
}

/// A clock that only moves when told to; clones share one instant.
#[derive(Debug, Clone)]
pub struct ManualClock {
    micros: Arc<AtomicI64>,
}

impl ManualClock {
    /// A clock standing at `start`.
    pub fn new(start: Timestamp) -> Self {
        ManualClock { micros: Arc::new(AtomicI64::new(start.as_micros())) }
    }

    /// Moves the clock to `instant` (backwards too: tests may need it).
    pub fn set(&self, instant: Timestamp) {
        self.micros.store(instant.as_micros(), Ordering::SeqCst);
    }

    /// Moves the clock forward by `delta`.
    pub fn advance(&self, delta: TimeDelta) {
        let micros = delta.num_microseconds().unwrap_or(i64::MAX);
        let _ = self.micros.fetch_update(Ordering::SeqCst, Ordering::SeqCst, |m| Some(m.saturating_add(micros)));
    }
}

impl Clock for ManualClock {
    fn now(&self) -> Timestamp {
        Timestamp::from_micros(self.micros.load(Ordering::SeqCst))
    }
}
