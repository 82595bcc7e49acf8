//! The durable queue and result store behind one trait, [`JobStore`], with
//! two backends: the embedded [`sqlite::SqliteStore`] (one process) and
//! [`redis::RedisStore`] (any number of servers and workers sharing one Redis).
//!
//! The contract every backend keeps:
//! - [`JobStore::enqueue`] returns only once the jobs are durable;
//! - [`JobStore::lease`] and [`JobStore::lease_wait`] hand each queued job to
//!   one worker and mark it Processing;
//! - [`JobStore::finish`] stores a result once: the first result stored is the
//!   one every reader sees, a later one (a re-run) is refused;
//! - [`JobStore::requeue_leased`] puts back what this process leased and will
//!   not finish (and, for the embedded store, what a dead process had leased).
//!
//! `contract.rs` is that contract as one test suite, generic over the trait
//! and run against each backend (and the board in front of the embedded one).
//!
//! The service puts a [`board::Board`] in front of either: a finished job
//! read once is answered from memory after that (and, with the embedded
//! store, so are the states of unfinished jobs), which keeps polling cheap.
//!
//! A store shared by several processes also implements [`Cluster`]: admission
//! against the shared queue, heartbeats of live workers, cluster-wide counters,
//! the language table the workers publish, and "job finished" notifications.

pub mod board;
#[cfg(test)]
mod contract;
pub mod redis;
pub mod sqlite;

use crate::job::{JobRecord, JobRequest, JobResult, JobState};
use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

/// Why the store failed (always an infrastructure problem: logged, answered as 500/503).
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database refused or failed.
    #[error("database {path}: {source}")]
    Db {
        /// The database file.
        path: String,
        /// What SQLite said.
        source: rusqlite::Error,
    },
    /// A stored row could not be decoded.
    #[error("corrupt job {token}: {why}")]
    Corrupt {
        /// The job.
        token: String,
        /// What was wrong.
        why: String,
    },
    /// The blocking task running the query died.
    #[error("store task failed: {0}")]
    Task(String),
    /// Redis refused or failed.
    #[error("redis {op}: {source}")]
    Redis {
        /// What was being done.
        op: &'static str,
        /// What the client or Redis said.
        source: ::redis::RedisError,
    },
    /// The Redis URL or settings cannot work.
    #[error("{0}")]
    Config(String),
}

/// A job to enqueue.
#[derive(Debug, Clone)]
pub struct NewJob {
    /// UUID v4.
    pub token: String,
    /// Unix milliseconds.
    pub created_at_ms: i64,
    /// The validated request.
    pub request: JobRequest,
}

/// How many jobs are in each state.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    /// Waiting.
    pub queued: u64,
    /// Leased.
    pub processing: u64,
    /// Finished and kept.
    pub done: u64,
}

/// What `delete` did.
#[derive(Debug, Clone, PartialEq)]
pub enum Deleted {
    /// No such job.
    NotFound,
    /// The job is queued or running and was kept.
    NotFinished(JobState),
    /// Gone; this is what it was.
    Deleted(Box<JobRecord>),
}

/// The queue and the results. Object-safe: the service holds an `Arc<dyn JobStore>`.
#[async_trait]
pub trait JobStore: Send + Sync + 'static {
    /// Stores the jobs as Queued, all or none, durably before returning; a
    /// token that exists already (or comes twice) fails the whole batch.
    async fn enqueue(&self, jobs: Vec<NewJob>) -> Result<(), StoreError>;

    /// Takes the oldest queued job and marks it Processing, or `None`.
    async fn lease(&self, now_ms: i64) -> Result<Option<JobRecord>, StoreError>;

    /// Like [`JobStore::lease`], but waits up to `wait` for a job to come
    /// (without polling: the embedded store is woken by its enqueues, Redis
    /// blocks in `XREADGROUP`). Cancelling the call may leave a job leased to
    /// this process; [`JobStore::requeue_leased`] after the workers stopped puts it back.
    async fn lease_wait(&self, wait: Duration) -> Result<Option<JobRecord>, StoreError>;

    /// Stores the result of a leased job and marks it Done; `false` when it
    /// was not stored because the job already has a result (a re-run after a
    /// reclaim), is gone, or (embedded store) is not leased any more.
    async fn finish(&self, token: &str, result: &JobResult, now_ms: i64) -> Result<bool, StoreError>;

    /// Ends a queued or running job without a worker's result (its client
    /// went away): stores `result` and takes the job out of the queue, so no
    /// worker starts it, and a worker that started it has its result refused
    /// (first result wins). Returns the state the job was in, `None` when it
    /// was already finished or is gone.
    async fn cancel(&self, token: &str, result: &JobResult, now_ms: i64) -> Result<Option<JobState>, StoreError>;

    /// Puts back in the queue the jobs this process leased and will not
    /// finish: at start-up, and after the workers stopped (jobs still running
    /// when a shutdown gave up on them). The embedded store, having one process,
    /// puts back every Processing job; a shared store only this process's.
    /// Returns how many.
    async fn requeue_leased(&self) -> Result<u64, StoreError>;

    /// One job.
    async fn get(&self, token: &str) -> Result<Option<JobRecord>, StoreError>;

    /// Several jobs, in the order asked, `None` for unknown tokens.
    async fn get_many(&self, tokens: &[String]) -> Result<Vec<Option<JobRecord>>, StoreError>;

    /// A page of jobs, newest first, and the total count.
    async fn list(&self, offset: u64, limit: u64) -> Result<(Vec<JobRecord>, u64), StoreError>;

    /// Deletes a finished job.
    async fn delete(&self, token: &str) -> Result<Deleted, StoreError>;

    /// Deletes jobs finished before `before_ms`; returns how many.
    async fn expire(&self, before_ms: i64) -> Result<u64, StoreError>;

    /// Jobs per state.
    async fn counts(&self) -> Result<Counts, StoreError>;

    /// Keeps a file for later jobs (Jobe's file cache: `PUT files/{id}`),
    /// where every worker can read it; replaced when the id exists. Files
    /// expire like results, by the time they were put.
    async fn put_file(&self, id: &str, data: &[u8], now_ms: i64) -> Result<(), StoreError>;

    /// A kept file, `None` when unknown (or expired).
    async fn get_file(&self, id: &str) -> Result<Option<Vec<u8>>, StoreError>;

    /// Whether [`JobStore::get_file`] would find the file, without reading
    /// it (a problem package's archive can be large).
    async fn file_exists(&self, id: &str) -> Result<bool, StoreError>;
}

/// A worker process as its heartbeat describes it (`/workers`, `/metrics`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WorkerBeat {
    /// Unique per process: host, pid and a random suffix.
    pub id: String,
    /// Host name.
    pub host: String,
    /// Process id on that host.
    pub pid: u32,
    /// Jobs it judges at once.
    pub slots: u64,
    /// Jobs it is judging now.
    pub running: u64,
    /// Jobs it finished since it started.
    pub finished: u64,
    /// Of those, how many ended in Internal Error.
    pub failed: u64,
    /// Unix milliseconds.
    pub started_at_ms: i64,
    /// Unix milliseconds of this heartbeat.
    pub seen_at_ms: i64,
}

/// Called with each finished token, and with `None` after a (re)connection,
/// when notifications may have been missed and every waiter should look again.
pub type OnFinished = Arc<dyn Fn(Option<&str>) + Send + Sync>;

/// What a store shared by several processes adds to [`JobStore`].
#[async_trait]
pub trait Cluster: Send + Sync + 'static {
    /// This process's name among the workers.
    fn id(&self) -> &str;

    /// Stores the jobs as Queued (all or none) unless the shared queue would
    /// then hold more than `max` waiting jobs; `false` when it is full. The
    /// check and the enqueue are one atomic step, so the limit holds across servers.
    async fn enqueue_bounded(&self, jobs: Vec<NewJob>, max: u64) -> Result<bool, StoreError>;

    /// Jobs waiting in the shared queue.
    async fn queue_depth(&self) -> Result<u64, StoreError>;

    /// Finished jobs by status id over the whole cluster, each counted once:
    /// when its result was stored.
    async fn finished_by_status(&self) -> Result<BTreeMap<u8, u64>, StoreError>;

    /// Jobs moved to the dead-letter stream (they made workers die too often).
    async fn dead_letters(&self) -> Result<u64, StoreError>;

    /// Publishes this worker's heartbeat; it disappears `ttl` after the last one.
    async fn heartbeat(&self, beat: &WorkerBeat, ttl: Duration) -> Result<(), StoreError>;

    /// Removes this worker's heartbeat (it stopped).
    async fn leave(&self) -> Result<(), StoreError>;

    /// Workers whose heartbeat is alive.
    async fn live_workers(&self) -> Result<Vec<WorkerBeat>, StoreError>;

    /// Publishes the language table the workers judge with (flash-server's
    /// `judge::LanguageTable`, as text).
    async fn publish_languages(&self, table: &str) -> Result<(), StoreError>;

    /// The language table a worker published, if one did.
    async fn languages(&self) -> Result<Option<String>, StoreError>;

    /// Starts delivering "job finished" notifications from every process to
    /// `on_done`, reconnecting as needed, until the task is aborted.
    fn watch_finished(&self, on_done: OnFinished) -> tokio::task::JoinHandle<()>;
}
