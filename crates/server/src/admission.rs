//! Admission control for work a request does in this process (issue 13,
//! finding 1): a [`Gate`] caps how many such requests run at once and how many
//! wait for a turn, and bounds the wait. Waiting is async (a semaphore), so a
//! crowd of requests holds no thread. `POST /debug` holds a turn while its job
//! is queued and traced by a worker. A refusal ([`Refused`]) is a 503 with
//! `Retry-After`. A request whose client hung up while it waited is dropped
//! with its future (hyper drops the handler), taking its place in line with it;
//! [`HangUp`] tells blocking work that was handed off whether it is still wanted.
//! This module knows nothing of HTTP: the API turns a [`Refused`] into its 503.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// No turn: too many waiting, or none came free in time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refused {
    /// Why, for the client.
    pub msg: String,
    /// Seconds after which a retry may get a turn.
    pub retry_after: u64,
}

/// A cap on concurrent work of one kind, with a bounded line in front of it.
pub struct Gate {
    what: &'static str,
    turns: Arc<Semaphore>,
    capacity: usize,
    waiting: AtomicUsize,
    max_waiting: usize,
    wait: Duration,
    refused: AtomicUsize,
}

/// Decrements the waiting count however the wait ends (turn, timeout, hang-up).
struct InLine<'a>(&'a AtomicUsize);

impl Drop for InLine<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

impl Gate {
    /// `running` at once (at least 1), `max_waiting` more in line, each waiting at most `wait`.
    pub fn new(what: &'static str, running: usize, max_waiting: usize, wait: Duration) -> Gate {
        Gate {
            what,
            turns: Arc::new(Semaphore::new(running.max(1))),
            capacity: running.max(1),
            waiting: AtomicUsize::new(0),
            max_waiting,
            wait,
            refused: AtomicUsize::new(0),
        }
    }

    /// Waits for a turn; the permit is the turn (hold it until the work is done).
    /// Refuses at once when the line is full, and after the longest wait.
    pub async fn enter(&self) -> Result<OwnedSemaphorePermit, Refused> {
        if let Ok(p) = self.turns.clone().try_acquire_owned() {
            return Ok(p);
        }
        let before = self.waiting.fetch_add(1, Ordering::SeqCst);
        let _in_line = InLine(&self.waiting);
        if before >= self.max_waiting {
            return Err(self.refuse(format!(
                "too many {} requests at once ({} running, {} waiting); retry later",
                self.what,
                self.running(),
                self.max_waiting
            )));
        }
        match tokio::time::timeout(self.wait, self.turns.clone().acquire_owned()).await {
            Ok(Ok(p)) => Ok(p),
            _ => Err(self.refuse(format!(
                "no {} capacity became free within {} s; retry later",
                self.what,
                self.wait.as_secs_f64()
            ))),
        }
    }

    fn refuse(&self, msg: String) -> Refused {
        self.refused.fetch_add(1, Ordering::Relaxed);
        Refused { msg, retry_after: self.wait.as_secs().max(1) }
    }

    /// Requests holding a turn.
    pub fn running(&self) -> usize {
        self.capacity - self.turns.available_permits()
    }

    /// Requests waiting for a turn.
    pub fn waiting(&self) -> usize {
        self.waiting.load(Ordering::SeqCst)
    }

    /// Requests refused so far.
    pub fn refused(&self) -> u64 {
        self.refused.load(Ordering::Relaxed) as u64
    }
}

/// Set once the request that handed work off is gone (answered, or its client hung up).
#[derive(Clone, Default)]
pub struct HangUp(Arc<AtomicBool>);

impl HangUp {
    /// Whether nobody waits for the work any more.
    pub fn gone(&self) -> bool {
        self.0.load(Ordering::SeqCst)
    }

    /// A guard that marks the request gone when dropped: keep it in the
    /// request's future, so dropping the future (the client hung up) drops it.
    pub fn guard(&self) -> HangUpGuard {
        HangUpGuard(self.clone())
    }
}

/// See [`HangUp::guard`].
pub struct HangUpGuard(HangUp);

impl Drop for HangUpGuard {
    fn drop(&mut self) {
        self.0 .0.store(true, Ordering::SeqCst);
    }
}
