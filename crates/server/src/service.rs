//! The service's shared state ([`Service`]): configuration, store, judge,
//! language table, metrics, admission control that turns a full queue into
//! 503, and the per-token notifications that let `wait=true` block without
//! polling.
//!
//! With an embedded store the queue is this process's: admission counts in
//! memory and the workers here signal the waiters. With a shared store
//! ([`Cluster`], Redis) admission is an atomic check in Redis, so the limit
//! holds across servers, and a pub/sub subscription tells this process's
//! waiters about jobs finished by any worker.

use crate::config::ServerConfig;
use crate::job::{now_ms, JobKind, JobRecord, JobRequest, JobResult, JobState};
use crate::judge::{Judge, Languages};
use crate::metrics::{Gauges, Metrics};
use crate::store::board::{Board, Limits};
use crate::store::{Cluster, JobStore, NewJob, StoreError, WorkerBeat};
use std::collections::HashMap;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::watch;

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

    /// Drops `token`'s waiters without a signal (their receivers see it closed).
    pub fn forget(&self, token: &str) {
        self.map.lock().unwrap_or_else(|p| p.into_inner()).remove(token);
    }

    /// Signals every waiter, so each looks at its job again (notifications
    /// may have been missed while the channel that carries them was down).
    pub fn wake_all(&self) {
        let all: Vec<_> = self.map.lock().unwrap_or_else(|p| p.into_inner()).drain().collect();
        for (_, tx) in all {
            tx.send_replace(true);
        }
    }
}

/// The jobs this process's workers are judging, each with the token that
/// stops its runs (see [`flash_sandbox::Cancel`]): a job cancelled while it
/// runs, or finished meanwhile by another worker, is stopped here at once
/// instead of running to its end.
#[derive(Default)]
pub struct Judging {
    map: Mutex<HashMap<String, flash_sandbox::Cancel>>,
    /// Stopped before their worker registered them (a cancel between the
    /// lease and [`Judging::start`]), with when; only this process's own
    /// leases land here, and an entry whose worker had already ended (a
    /// cancel between the end of the judging and its result) is dropped
    /// after a minute.
    early: Mutex<HashMap<String, std::time::Instant>>,
}

impl Judging {
    /// Registers a leased job; its runs carry the returned token.
    pub fn start(&self, token: &str) -> flash_sandbox::Cancel {
        let cancel = flash_sandbox::Cancel::new();
        if self.early.lock().unwrap_or_else(|p| p.into_inner()).remove(token).is_some() {
            cancel.cancel();
        }
        self.map.lock().unwrap_or_else(|p| p.into_inner()).insert(token.to_owned(), cancel.clone());
        cancel
    }

    /// The job's judging ended (before its result is stored).
    pub fn end(&self, token: &str) {
        self.map.lock().unwrap_or_else(|p| p.into_inner()).remove(token);
    }

    /// Stops `token`'s runs if this process judges it; `leased_here`: the
    /// job is known to be leased by this process, so a worker that has not
    /// registered it yet finds it stopped. `true` when a judging was stopped.
    pub fn stop(&self, token: &str, leased_here: bool) -> bool {
        let map = self.map.lock().unwrap_or_else(|p| p.into_inner());
        match map.get(token) {
            Some(c) => {
                c.cancel();
                true
            }
            None => {
                if leased_here {
                    let mut early = self.early.lock().unwrap_or_else(|p| p.into_inner());
                    early.retain(|_, at| at.elapsed() < Duration::from_secs(60));
                    early.insert(token.to_owned(), std::time::Instant::now());
                }
                false
            }
        }
    }

    /// The tokens being judged.
    pub fn tokens(&self) -> Vec<String> {
        self.map.lock().unwrap_or_else(|p| p.into_inner()).keys().cloned().collect()
    }
}

/// See [`Service::cancel_on_drop`].
pub struct CancelOnDrop {
    svc: Option<Arc<Service>>,
    token: String,
    kind: JobKind,
}

impl CancelOnDrop {
    /// The request is answered: the job is kept whatever its state.
    pub fn disarm(mut self) {
        self.svc = None;
    }
}

impl Drop for CancelOnDrop {
    fn drop(&mut self) {
        let (Some(svc), Ok(rt)) = (self.svc.take(), tokio::runtime::Handle::try_current()) else { return };
        let (token, kind) = (std::mem::take(&mut self.token), self.kind);
        rt.spawn(async move {
            if let Err(e) = svc.cancel(&token, kind, "the client that waited for it went away").await {
                tracing::warn!(%token, error = %e, "cannot cancel a job whose client went away; it runs");
            }
        });
    }
}

/// Everything the handlers and workers share.
pub struct Service {
    /// Configuration (validated).
    pub cfg: ServerConfig,
    /// Queue and results: [`Service::board`] in front of the store.
    pub store: Arc<dyn JobStore>,
    /// The same, with what this process knows of jobs in memory (polls read it).
    pub board: Arc<Board>,
    /// The engine.
    pub judge: Arc<dyn Judge>,
    /// Languages as the APIs show them.
    pub langs: Languages,
    /// Counters and histograms.
    pub metrics: Metrics,
    /// The shared side of the store, when other processes use it too (Redis).
    pub cluster: Option<Arc<dyn Cluster>>,
    /// Jobs queued and not yet leased, with an embedded store (admission control and the gauge).
    queued: AtomicI64,
    /// Jobs being judged.
    pub(crate) running: AtomicI64,
    /// The jobs being judged here, and how to stop each.
    pub judging: Judging,
    /// Unix milliseconds at start (for the heartbeat).
    pub(crate) started_at_ms: i64,
    /// Finished-job signals.
    pub waiters: Waiters,
    /// Live runs (WebSocket) at once: one a worker, each holds a sandbox slot.
    pub live: Arc<tokio::sync::Semaphore>,
    /// API keys and their limits.
    pub keys: crate::keys::Keys,
    /// Turns for `POST /debug` requests in flight (queued or being traced) from this process.
    pub debug_gate: crate::admission::Gate,
    /// Session workspaces (`None` when `sessions.enabled` is off).
    pub sessions: Option<Arc<crate::sessions::Sessions>>,
    /// Problem packages unpacked by this process (uploads, and the packages its workers judge on).
    pub packages: crate::packages::PackageCache,
    shutdown: watch::Sender<bool>,
}

impl Service {
    /// Puts back jobs a previous process had leased and counts the queue.
    pub async fn open(
        cfg: ServerConfig,
        store: Arc<dyn JobStore>,
        judge: Arc<dyn Judge>,
    ) -> Result<Arc<Service>, StoreError> {
        Service::open_with(cfg, store, judge, None).await
    }

    /// [`Service::open`] with a store shared with other processes: `cluster`
    /// is the same store's [`Cluster`] side.
    pub async fn open_with(
        cfg: ServerConfig,
        store: Arc<dyn JobStore>,
        judge: Arc<dyn Judge>,
        cluster: Option<Arc<dyn Cluster>>,
    ) -> Result<Arc<Service>, StoreError> {
        let requeued = store.requeue_leased().await?;
        if requeued > 0 {
            tracing::warn!(requeued, "jobs left running by the previous process are queued again");
        }
        let counts = store.counts().await?;
        let langs = Languages::with_listed(judge.languages(), &cfg.judge0_language_aliases, &cfg.judge0_listed_ids);
        let cfg_workers = cfg.workers.max(1);
        let keys = crate::keys::Keys::new(&cfg.api_keys, cfg.auth_token.as_deref());
        let debug_gate = crate::admission::Gate::new(
            "debug",
            if cfg.max_debug_concurrency == 0 { cfg.workers } else { cfg.max_debug_concurrency },
            cfg.max_debug_waiting,
            Duration::from_secs(cfg.debug_wait_secs),
        );
        let sessions = match cfg.sessions.enabled {
            false => None,
            true => {
                let dir = cfg.sessions.dir.clone().unwrap_or_else(|| cfg.data_dir.join("sessions"));
                let s = crate::sessions::Sessions::open(dir, cfg.sessions.clone())
                    .map_err(|e| StoreError::Config(format!("sessions: {e}")))?;
                Some(Arc::new(s))
            }
        };
        let packages = crate::packages::PackageCache::new(
            cfg.data_dir.join("packages"),
            cfg.package_cache_size * 1024,
            crate::packages::archive::ArchiveLimits {
                max_unpacked_bytes: cfg.max_package_unpacked_size * 1024,
                max_entries: cfg.max_package_entries,
            },
        );
        // Only the embedded store is changed by this process alone.
        let board = Arc::new(Board::new(store, cluster.is_none(), Limits::default()));
        Ok(Arc::new(Service {
            packages,
            cfg,
            store: board.clone(),
            board,
            judge,
            langs,
            metrics: Metrics::default(),
            cluster,
            queued: AtomicI64::new(counts.queued as i64),
            running: AtomicI64::new(0),
            judging: Judging::default(),
            started_at_ms: now_ms(),
            waiters: Waiters::default(),
            live: Arc::new(tokio::sync::Semaphore::new(cfg_workers)),
            keys,
            debug_gate,
            sessions,
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
        let kinds: Vec<JobKind> = requests.iter().map(JobRequest::kind).collect();
        let local = self.cluster.is_none();
        if local {
            let before = self.queued.fetch_add(n, Ordering::SeqCst);
            if before + n > self.cfg.max_queue_size as i64 {
                self.queued.fetch_sub(n, Ordering::SeqCst);
                self.metrics.queue_full.fetch_add(1, Ordering::Relaxed);
                return Err(SubmitError::QueueFull);
            }
        }
        let now = now_ms();
        let key = crate::keys::current();
        let jobs: Vec<NewJob> = requests
            .into_iter()
            .map(|mut request| {
                request.key = request.key.take().or_else(|| key.clone());
                request
            })
            .map(|request| NewJob { token: uuid::Uuid::new_v4().to_string(), created_at_ms: now, request })
            .collect();
        let out: Vec<_> =
            jobs.iter().map(|j| (j.token.clone(), wait.then(|| self.waiters.subscribe(&j.token)))).collect();
        let tokens: Vec<String> = jobs.iter().map(|j| j.token.clone()).collect();
        let stored = match &self.cluster {
            None => self.store.enqueue(jobs).await.map(|()| true),
            Some(c) => c.enqueue_bounded(jobs, self.cfg.max_queue_size as u64).await,
        };
        let refused = match stored {
            Ok(true) => None,
            Ok(false) => {
                self.metrics.queue_full.fetch_add(1, Ordering::Relaxed);
                Some(SubmitError::QueueFull)
            }
            Err(e) => Some(e.into()),
        };
        if let Some(e) = refused {
            if local {
                self.queued.fetch_sub(n, Ordering::SeqCst);
            }
            tokens.iter().for_each(|t| self.waiters.finished(t));
            return Err(e);
        }
        self.metrics.accepted.fetch_add(n as u64, Ordering::Relaxed);
        kinds.iter().for_each(|k| self.metrics.by_kind.accepted(*k));
        if let Some(k) = &key {
            (0..n).for_each(|_| self.keys.job_accepted(k));
        }
        for t in &tokens {
            tracing::info!(token = %t, "job accepted");
        }
        Ok(out)
    }

    /// Waits until the job finished, the wait limit passed, or shutdown began;
    /// then returns the job as it is. A wake-up without a result (the
    /// notification channel reconnected) subscribes again, looks once more
    /// (so a finish in between is not missed) and goes on waiting.
    pub async fn wait_for(&self, token: &str, rx: watch::Receiver<bool>) -> Result<Option<JobRecord>, StoreError> {
        self.wait_at_most(token, rx, Duration::from_secs(self.cfg.max_wait_secs)).await
    }

    /// [`Service::wait_for`] with its own limit (the synchronous APIs, whose
    /// clients cannot come back for the result, wait longer).
    pub async fn wait_at_most(
        &self,
        token: &str,
        mut rx: watch::Receiver<bool>,
        limit: Duration,
    ) -> Result<Option<JobRecord>, StoreError> {
        let mut stop = self.shutdown.subscribe();
        let deadline = tokio::time::Instant::now() + limit;
        let finished = |r: &Option<JobRecord>| r.as_ref().is_none_or(|r| r.state == JobState::Done);
        loop {
            let woken = tokio::select! {
                _ = rx.wait_for(|done| *done) => true,
                _ = stop.wait_for(|s| *s) => false,
                _ = tokio::time::sleep_until(deadline) => false,
            };
            let rec = self.store.get(token).await?;
            if finished(&rec) || !woken {
                if !finished(&rec) {
                    tracing::info!(%token, "wait ended before the job finished");
                }
                return Ok(rec);
            }
            rx = self.waiters.subscribe(token);
            let rec = self.store.get(token).await?;
            if finished(&rec) {
                self.waiters.forget(token);
                return Ok(rec);
            }
        }
    }

    /// Ends a queued or running job whose client went away (see
    /// [`JobStore::cancel`]): no worker starts it any more, its capacity in
    /// the queue is free at once, and its waiters wake up. A worker that
    /// already started it stops its runs at once ([`Judging`]; a worker of
    /// another process hears of it through the store's "finished"
    /// notifications) and has its result refused; a compile under way ends
    /// first (it may be shared). `true` when it was cancelled.
    pub async fn cancel(&self, token: &str, kind: JobKind, why: &str) -> Result<bool, StoreError> {
        let result = JobResult::internal(format!("cancelled: {why}"));
        let was = self.store.cancel(token, &result, now_ms()).await?;
        if was == Some(JobState::Queued) && self.cluster.is_none() {
            self.queued.fetch_sub(1, Ordering::SeqCst);
        }
        if was == Some(JobState::Processing) {
            // Embedded: a job Processing was leased by this process's workers.
            self.judging.stop(token, self.cluster.is_none());
        }
        if let Some(state) = was {
            self.metrics.by_kind.cancelled(kind);
            tracing::info!(%token, kind = kind.name(), ?state, "job cancelled: {why}");
        }
        self.waiters.finished(token);
        Ok(was.is_some())
    }

    /// A guard that cancels the job `token` when dropped while still armed:
    /// keep it in the future of a request that waits for the job, so a client
    /// that hangs up (hyper then drops the future) cancels the job it would
    /// have read. [`CancelOnDrop::disarm`] once the answer is decided.
    pub fn cancel_on_drop(self: &Arc<Self>, token: &str, kind: JobKind) -> CancelOnDrop {
        CancelOnDrop { svc: Some(self.clone()), token: token.to_owned(), kind }
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

    /// Jobs waiting, as the queue says: the shared queue's when there is one.
    pub async fn waiting(&self) -> Result<u64, StoreError> {
        match &self.cluster {
            Some(c) => c.queue_depth().await,
            None => Ok(self.queue_depth()),
        }
    }

    /// This process's workers as a heartbeat describes them.
    pub fn beat(&self) -> WorkerBeat {
        let finished = self.metrics.jobs.iter().map(|c| c.load(Ordering::Relaxed)).sum();
        WorkerBeat {
            id: self.cluster.as_ref().map_or_else(|| "local".to_owned(), |c| c.id().to_owned()),
            host: crate::store::redis::hostname(),
            pid: std::process::id(),
            slots: self.cfg.workers as u64,
            running: self.running.load(Ordering::SeqCst).max(0) as u64,
            finished,
            failed: self.metrics.sandbox_failures.load(Ordering::Relaxed),
            started_at_ms: self.started_at_ms,
            seen_at_ms: now_ms(),
        }
    }

    /// The workers serving this queue: live heartbeats with a shared store,
    /// else this process's own.
    pub async fn live_workers(&self) -> Result<Vec<WorkerBeat>, StoreError> {
        match &self.cluster {
            Some(c) => c.live_workers().await,
            None => Ok(vec![self.beat()]),
        }
    }

    /// `/metrics` text. With a shared store the queue, the finished-job
    /// counters and the worker gauges are the cluster's (read from Redis);
    /// latency histograms are this process's.
    pub async fn render_metrics(&self) -> Result<String, StoreError> {
        let workers = self.live_workers().await?;
        let (queued, finished, dead) = match &self.cluster {
            Some(c) => (c.queue_depth().await?, Some(c.finished_by_status().await?), Some(c.dead_letters().await?)),
            None => (self.queue_depth(), None, None),
        };
        Ok(self.metrics.render(
            &Gauges {
                queued,
                running: workers.iter().map(|w| w.running).sum(),
                workers: workers.iter().map(|w| w.slots).sum(),
                judge: self.judge.stats(),
                cluster_finished: finished,
                dead_letters: dead,
                per_worker: if self.cluster.is_some() { workers } else { Vec::new() },
                debug_running: self.debug_gate.running() as u64,
                debug_waiting: self.debug_gate.waiting() as u64,
                debug_refused: self.debug_gate.refused(),
            },
            &self.keys,
        ))
    }
}
