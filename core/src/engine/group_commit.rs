//! Group commit: concurrent writes of one tenant share one store
//! transaction and one durable commit.
//!
//! Every write becomes a job in its tenant's lane. The first caller to find
//! the lane idle leads: it takes the queued jobs (at most `batch_max`), runs
//! them in arrival order in one transaction, commits once, and only then
//! answers every job of the batch. Jobs that arrive meanwhile queue up for
//! the next batch; when its own job is answered the leader hands the lane to
//! the oldest waiting caller. So a lone writer runs at once on its own
//! thread (no hand-off, no linger), and under load the fsync per commit is
//! shared by everything that queued behind it.
//!
//! One job's failure (a `CONFLICT`, say) undoes that job alone. Most writes
//! decide everything before they change a row, so their failure has nothing
//! to undo; a write that can fail after changing rows (a batch of bookings)
//! runs in a savepoint, and so does every write on a store that asks for it
//! (PostgreSQL). A job that fails after changing rows without a savepoint
//! fails its whole batch: nothing half-done is ever committed.
//!
//! Lanes are per tenant because a store transaction is bound to one tenant
//! (PostgreSQL serializes a tenant's writers with an advisory lock and keys
//! row-level security to it).

use std::collections::{HashMap, VecDeque};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};
use std::time::{Duration, Instant};

use parking_lot::{Condvar, Mutex};

use super::{Inner, Recorded, Write};
use crate::error::{Error, Result};
use crate::model::Event;

/// How writes are grouped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct GroupCommitOptions {
    /// Most jobs in one transaction.
    pub batch_max: usize,
    /// Most jobs waiting in one tenant's lane; a caller finding it full
    /// waits up to `queue_timeout` for room, then gets `STORE_UNAVAILABLE`.
    pub queue_max: usize,
    pub queue_timeout: Duration,
    /// How long a leader waits for more jobs before a batch, and only when
    /// the previous batch was shared (never for a lone writer).
    pub linger: Duration,
}

/// Counters of one engine's writes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct WriteStats {
    /// Writes answered (each call of a writing method is one).
    pub writes: u64,
    /// Store transactions they ran in: `writes / batches` is the average
    /// batch.
    pub batches: u64,
    /// Writes waiting for a batch now.
    pub queued: usize,
}

/// The lanes of one engine.
pub(crate) struct GroupCommit {
    options: GroupCommitOptions,
    lanes: Mutex<HashMap<String, Arc<Lane>>>,
    writes: AtomicU64,
    batches: AtomicU64,
}

#[derive(Default)]
struct Lane {
    state: Mutex<LaneState>,
    /// Signalled when a batch takes jobs out of the queue.
    room: Condvar,
}

#[derive(Default)]
struct LaneState {
    queue: VecDeque<Box<dyn Job>>,
    /// A caller is leading: it will take whatever is queued.
    leading: bool,
    /// Jobs in the last batch (decides whether to linger).
    last_batch_len: usize,
}

/// What wakes a caller waiting on its job.
enum Wake<T> {
    Done(Result<T>),
    /// The lane is yours: lead it.
    Lead,
}

/// A write of any result type, as the leader sees it.
trait Job: Send {
    fn actor(&self) -> &str;
    /// Runs the write; `true` when it succeeded.
    fn run(&mut self, w: &mut Write<'_>) -> bool;
    /// Replaces a success with `error` (its commit failed).
    fn fail(&mut self, error: Error);
    /// The error it ran into, if it has run and failed.
    fn failure(&self) -> Option<&Error>;
    /// Sends the outcome to the caller.
    fn answer(self: Box<Self>);
    /// Tells the (queued) caller to lead the lane.
    fn promote(&self);
}

struct Pending<T, F> {
    actor: String,
    write: Option<F>,
    outcome: Option<Result<T>>,
    wake: SyncSender<Wake<T>>,
}

impl<T, F> Job for Pending<T, F>
where
    T: Send,
    F: FnOnce(&mut Write<'_>) -> Result<T> + Send,
{
    fn actor(&self) -> &str {
        &self.actor
    }

    fn run(&mut self, w: &mut Write<'_>) -> bool {
        let outcome = match self.write.take() {
            Some(write) => write(w),
            None => Err(Error::internal("a write job ran twice")),
        };
        let ok = outcome.is_ok();
        self.outcome = Some(outcome);
        ok
    }

    fn fail(&mut self, error: Error) {
        self.outcome = Some(Err(error));
    }

    fn failure(&self) -> Option<&Error> {
        self.outcome.as_ref().and_then(|o| o.as_ref().err())
    }

    fn answer(self: Box<Self>) {
        let outcome = self.outcome.unwrap_or_else(|| Err(Error::internal("a write job was never run")));
        // The caller is blocked on the receiver; the channel has room.
        let _ = self.wake.try_send(Wake::Done(outcome));
    }

    fn promote(&self) {
        let _ = self.wake.try_send(Wake::Lead);
    }
}

impl GroupCommit {
    pub(crate) fn new(options: GroupCommitOptions) -> Self {
        GroupCommit {
            options,
            lanes: Mutex::new(HashMap::new()),
            writes: AtomicU64::new(0),
            batches: AtomicU64::new(0),
        }
    }

    pub(crate) fn stats(&self) -> WriteStats {
        let queued = self.lanes.lock().values().map(|lane| lane.state.lock().queue.len()).sum();
        WriteStats {
            writes: self.writes.load(Ordering::Relaxed),
            batches: self.batches.load(Ordering::Relaxed),
            queued,
        }
    }

    /// Runs `write` for `tenant_id` as `actor` in some batch and returns its
    /// outcome once that batch is durably committed (or rolled back).
    pub(crate) fn submit<T, F>(&self, inner: &Inner, tenant_id: &str, actor: &str, write: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&mut Write<'_>) -> Result<T> + Send + 'static,
    {
        // Room for a Lead and a Done: sends never block the leader.
        let (wake, woken): (SyncSender<Wake<T>>, Receiver<Wake<T>>) = sync_channel(2);
        let job = Box::new(Pending { actor: actor.to_owned(), write: Some(write), outcome: None, wake });
        let lane = self.lane(tenant_id);
        let lead = self.enqueue(&lane, job)?;
        if !lead {
            match woken.recv() {
                Ok(Wake::Done(outcome)) => return outcome,
                Ok(Wake::Lead) => {}
                Err(_) => return Err(Error::internal("the writer leading this batch stopped without an answer")),
            }
        }
        // Leading: hand the lane on however this ends (a panic included),
        // or its queue would wait for a leader forever.
        let _leadership = Leadership { group: self, tenant_id, lane: &lane };
        loop {
            self.lead_batch(inner, tenant_id, &lane);
            match woken.try_recv() {
                Ok(Wake::Done(outcome)) => return outcome,
                // Our job was not in this batch (the queue was longer than
                // a batch): lead the next one too.
                Ok(Wake::Lead) | Err(std::sync::mpsc::TryRecvError::Empty) => {}
                Err(std::sync::mpsc::TryRecvError::Disconnected) => {
                    return Err(Error::internal("a write job was dropped without an answer"));
                }
            }
        }
    }

    fn lane(&self, tenant_id: &str) -> Arc<Lane> {
        let mut lanes = self.lanes.lock();
        Arc::clone(lanes.entry(tenant_id.to_owned()).or_default())
    }

    /// Queues `job`, waiting for room; `true` when the caller must lead.
    fn enqueue(&self, lane: &Lane, job: Box<dyn Job>) -> Result<bool> {
        let deadline = Instant::now() + self.options.queue_timeout;
        let mut state = lane.state.lock();
        while state.queue.len() >= self.options.queue_max {
            if lane.room.wait_until(&mut state, deadline).timed_out() && state.queue.len() >= self.options.queue_max {
                return Err(Error::unavailable(format!(
                    "{} writes of this tenant are already waiting (past the busy timeout)",
                    state.queue.len()
                )));
            }
        }
        state.queue.push_back(job);
        let lead = !state.leading;
        state.leading = true;
        Ok(lead)
    }

    /// Takes one batch off the lane and runs it to its answers.
    fn lead_batch(&self, inner: &Inner, tenant_id: &str, lane: &Lane) {
        let shared_before = lane.state.lock().last_batch_len > 1;
        if shared_before && !self.options.linger.is_zero() {
            std::thread::sleep(self.options.linger);
        }
        let jobs: Vec<Box<dyn Job>> = {
            let mut state = lane.state.lock();
            let take = state.queue.len().min(self.options.batch_max);
            state.last_batch_len = take;
            state.queue.drain(..take).collect()
        };
        lane.room.notify_all();
        if !jobs.is_empty() {
            self.batches.fetch_add(1, Ordering::Relaxed);
            self.writes.fetch_add(jobs.len() as u64, Ordering::Relaxed);
            run_batch(inner, tenant_id, jobs);
        }
    }

    /// Ends a leader's turn: the oldest queued caller leads next, or the
    /// lane goes idle (and is dropped when nobody else holds it).
    fn hand_over(&self, tenant_id: &str, lane: &Arc<Lane>) {
        {
            let mut state = lane.state.lock();
            if let Some(next) = state.queue.front() {
                next.promote();
                return;
            }
            state.leading = false;
        }
        // Lanes are found only under the map's lock, so with it held a
        // count of two (the map's and ours) means nobody else can reach it.
        let mut lanes = self.lanes.lock();
        if Arc::strong_count(lane) == 2 {
            let state = lane.state.lock();
            if !state.leading && state.queue.is_empty() {
                lanes.remove(tenant_id);
            }
        }
    }
}

struct Leadership<'a> {
    group: &'a GroupCommit,
    tenant_id: &'a str,
    lane: &'a Arc<Lane>,
}

impl Drop for Leadership<'_> {
    fn drop(&mut self) {
        self.group.hand_over(self.tenant_id, self.lane);
    }
}

/// One transaction for `jobs`, one commit, then every answer.
fn run_batch(inner: &Inner, tenant_id: &str, mut jobs: Vec<Box<dyn Job>>) {
    if let Err(error) = run_in_transaction(inner, tenant_id, &mut jobs) {
        // The transaction broke before its commit: nothing of the batch is
        // written, so no job may report success (or its own failure, which
        // was decided against rows that are gone too).
        for job in &mut jobs {
            job.fail(error.clone());
        }
    }
    for job in jobs {
        job.answer();
    }
}

/// Runs the jobs, commits what they kept and publishes its events. An
/// `Err` means nothing of the batch was written.
fn run_in_transaction(inner: &Inner, tenant_id: &str, jobs: &mut [Box<dyn Job>]) -> Result<()> {
    let mut tx = inner.store.write(tenant_id)?;
    // The decision instant, read once the lock is held: never earlier than
    // any decision already made for this tenant, whichever process or
    // machine made it, so a lagging clock cannot revive a hold that was
    // judged expired (and its capacity handed out) before.
    let now = tx.decision_instant(inner.clock.now())?;
    let shared = jobs.len() > 1;
    let savepoint_each = shared && tx.changes().is_none();
    let mut w = Write {
        tx,
        now,
        actor: String::new(),
        default_hold_ttl_us: inner.default_hold_ttl_us,
        events: Vec::new(),
        commit_on_error: false,
        shared,
        protected: false,
    };
    let mut committed: Vec<Recorded> = Vec::new();
    // Jobs whose success depends on the commit.
    let mut succeeded = Vec::with_capacity(jobs.len());
    for (index, job) in jobs.iter_mut().enumerate() {
        w.actor.clear();
        w.actor.push_str(job.actor());
        w.events.clear();
        w.commit_on_error = false;
        w.protected = false;
        if savepoint_each {
            w.protect()?;
        }
        let changes_before = w.tx.changes();
        let ok = catch_unwind(AssertUnwindSafe(|| job.run(&mut w))).unwrap_or_else(|_| {
            job.fail(Error::internal("a write panicked; it was rolled back"));
            false
        });
        let keep = ok || w.commit_on_error;
        if !shared && !keep {
            return Ok(()); // dropping the transaction rolls it back
        }
        if w.protected {
            if keep { w.tx.release_savepoint()? } else { w.tx.rollback_to_savepoint()? }
        } else if !keep && w.tx.changes() != changes_before {
            // Changed rows, then failed, with nothing to undo it alone.
            return Err(match job.failure() {
                Some(error @ Error::StoreUnavailable { .. }) => error.clone(),
                _ => Error::internal("a write failed after changing rows outside a savepoint"),
            });
        }
        if keep {
            committed.append(&mut w.events);
        }
        if ok {
            succeeded.push(index);
        }
    }
    let Write { tx, .. } = w;
    // Held from commit to publish so subscribers see the tenant's events in
    // `seq` order.
    let _ordered = inner.publish_lock(tenant_id).lock().unwrap_or_else(|p| p.into_inner());
    if let Err(error) = tx.commit() {
        for index in succeeded {
            jobs[index].fail(error.clone());
        }
        return Ok(());
    }
    if let Some(last) = committed.last() {
        let touched: Vec<&str> = committed.iter().flat_map(|r| r.touched.iter().map(String::as_str)).collect();
        inner.cache.invalidate(tenant_id, &touched, last.seq);
    }
    if inner.feed.has_subscribers() {
        let events: Vec<Event> = committed.into_iter().map(|r| r.into_event(tenant_id)).collect();
        inner.feed.publish(&events);
    }
    Ok(())
}
