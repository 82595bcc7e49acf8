//! The service's shared state ([`Service`]): configuration, store, judge,
//! language table, metrics, the admission counter that turns a full queue into
//! 503, the wake-up for idle workers, and the per-token notifications that let
//! `wait=true` block without polling.

use crate::config::ServerConfig;
use crate::job::{now_ms, JobRecord, JobRequest, JobState};
use crate::judge::{Judge, Languages};
use crate::metrics::{Gauges, Metrics};
use crate::store::{JobStore, NewJob, StoreError};
use std::collections::HashMap;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::{watch, Notify};

/// Why a submission was not accepted.
#[derive(Debug, thiserror::Error)]
pub enum SubmitError {
    /// Too many jobs wait already.
    #[error("queue is full")]
    QueueFull,
    /// SIGTERM was received.
    #[error("the server is shutting down")]
    ShuttingDown,
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Per-token "finished" signals for requests that wait.
#[derive(Default)]
pub struct Waiters {
    map: Mutex<HashMap<String, watch::Sender<bool>>>,
}

impl Waiters {
    /// A receiver that changes when `token` finishes. Subscribe before the job
    /// can run, so the signal cannot be missed.
    pub fn subscribe(&self, token: &str) -> watch::Receiver<bool> {
        let mut map = self.map.lock().unwrap_or_else(|p| p.into_inner());
        map.entry(token.to_owned()).or_insert_with(|| watch::channel(false).0).subscribe()
    }

    /// Signals (and forgets) `token`'s waiters.
    pub fn finished(&self, token: &str) {
        let tx = self.map.lock().unwrap_or_else(|p| p.into_inner()).remove(token);
        if let Some(tx) = tx {
            tx.send_replace(true);
        }
    }
}

/// Everything the handlers and workers share.
pub struct Service {
    /// Configuration (validated).
    pub cfg: ServerConfig,
    /// Queue and results.
    pub store: Arc<dyn JobStore>,
    /// The engine.
    pub judge: Arc<dyn Judge>,
    /// Languages as the APIs show them.
    pub langs: Languages,
    /// Counters and histograms.
    pub metrics: Metrics,
    /// Jobs queued and not yet leased (admission control and the gauge).
    queued: AtomicI64,
    /// Jobs being judged.
    pub(crate) running: AtomicI64,
    /// Wakes idle workers when jobs are enqueued.
    pub(crate) work: Notify,
    /// Finished-job signals.
    pub waiters: Waiters,
    shutdown: watch::Sender<bool>,
}

impl Service {
    /// Puts back jobs a previous process had leased and counts the queue.
    pub async fn open(
        cfg: ServerConfig,
        store: Arc<dyn JobStore>,
        judge: Arc<dyn Judge>,
    ) -> Result<Arc<Service>, StoreError> {
        let requeued = store.requeue_leased().await?;
        if requeued > 0 {
            tracing::warn!(requeued, "jobs left running by the previous process are queued again");
        }
        let counts = store.counts().await?;
        let langs = Languages::new(judge.languages(), &cfg.judge0_language_aliases);
        Ok(Arc::new(Service {
            cfg,
            store,
            judge,
            langs,
            metrics: Metrics::default(),
            queued: AtomicI64::new(counts.queued as i64),
            running: AtomicI64::new(0),
            work: Notify::new(),
            waiters: Waiters::default(),
            shutdown: watch::channel(false).0,
        }))
    }

    /// Accepts jobs (all or none): refuses when the queue would overflow,
    /// stores them durably, wakes the workers. With `wait`, also returns a
    /// receiver per job that changes once it finished.
    pub async fn submit(
        &self,
        requests: Vec<JobRequest>,
        wait: bool,
    ) -> Result<Vec<(String, Option<watch::Receiver<bool>>)>, SubmitError> {
        if self.is_shutting_down() {
            return Err(SubmitError::ShuttingDown);
        }
        let n = requests.len() as i64;
        let before = self.queued.fetch_add(n, Ordering::SeqCst);
        if before + n > self.cfg.max_queue_size as i64 {
            self.queued.fetch_sub(n, Ordering::SeqCst);
            self.metrics.queue_full.fetch_add(1, Ordering::Relaxed);
            return Err(SubmitError::QueueFull);
        }
        let now = now_ms();
        let jobs: Vec<NewJob> = requests
            .into_iter()
            .map(|request| NewJob { token: uuid::Uuid::new_v4().to_string(), created_at_ms: now, request })
            .collect();
        let out: Vec<_> =
            jobs.iter().map(|j| (j.token.clone(), wait.then(|| self.waiters.subscribe(&j.token)))).collect();
        let tokens: Vec<String> = jobs.iter().map(|j| j.token.clone()).collect();
        if let Err(e) = self.store.enqueue(jobs).await {
            self.queued.fetch_sub(n, Ordering::SeqCst);
            tokens.iter().for_each(|t| self.waiters.finished(t));
            return Err(e.into());
        }
        self.metrics.accepted.fetch_add(n as u64, Ordering::Relaxed);
        for t in &tokens {
            tracing::info!(token = %t, "job accepted");
        }
        self.work.notify_waiters();
        Ok(out)
    }

    /// Waits until the job finished, the wait limit passed, or shutdown began;
    /// then returns the job as it is.
    pub async fn wait_for(&self, token: &str, mut rx: watch::Receiver<bool>) -> Result<Option<JobRecord>, StoreError> {
        let mut stop = self.shutdown.subscribe();
        let limit = Duration::from_secs(self.cfg.max_wait_secs);
        tokio::select! {
            _ = rx.wait_for(|done| *done) => {}
            _ = stop.wait_for(|s| *s) => {}
            _ = tokio::time::sleep(limit) => {}
        }
        let rec = self.store.get(token).await?;
        if rec.as_ref().is_some_and(|r| r.state != JobState::Done) {
            tracing::info!(%token, "wait ended before the job finished");
        }
        Ok(rec)
    }

    /// A job was leased from the queue.
    pub(crate) fn leased(&self) {
        self.queued.fetch_sub(1, Ordering::SeqCst);
    }

    /// Jobs waiting (never negative).
    pub fn queue_depth(&self) -> u64 {
        self.queued.load(Ordering::SeqCst).max(0) as u64
    }

    /// Begins shutdown: no new jobs, waits end, workers stop leasing.
    pub fn begin_shutdown(&self) {
        self.shutdown.send_replace(true);
    }

    /// Whether shutdown began.
    pub fn is_shutting_down(&self) -> bool {
        *self.shutdown.borrow()
    }

    /// A receiver that turns true at shutdown.
    pub fn shutdown_signal(&self) -> watch::Receiver<bool> {
        self.shutdown.subscribe()
    }

    /// `/metrics` text.
    pub fn render_metrics(&self) -> String {
        self.metrics.render(&Gauges {
            queued: self.queue_depth(),
            running: self.running.load(Ordering::SeqCst).max(0) as u64,
            workers: self.cfg.workers as u64,
            judge: self.judge.stats(),
        })
    }
}
