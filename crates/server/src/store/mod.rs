//! The durable queue and result store behind one trait, [`JobStore`], so a
//! Redis backend (issue #5) can sit beside the embedded SQLite one
//! ([`sqlite::SqliteStore`]).
//!
//! The contract every backend keeps:
//! - [`JobStore::enqueue`] returns only once the jobs are durable;
//! - [`JobStore::lease`] hands each queued job to one worker and marks it Processing;
//! - [`JobStore::finish`] stores a result once: only a job still leased can
//!   finish, so a job requeued meanwhile (by a restart) cannot finish twice;
//! - [`JobStore::requeue_leased`] at start-up puts back what a dead process had leased.

pub mod sqlite;

use crate::job::{JobRecord, JobRequest, JobResult, JobState};
use async_trait::async_trait;

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
    /// Stores the jobs as Queued, all or none, durably before returning.
    async fn enqueue(&self, jobs: Vec<NewJob>) -> Result<(), StoreError>;

    /// Takes the oldest queued job and marks it Processing, or `None`.
    async fn lease(&self, now_ms: i64) -> Result<Option<JobRecord>, StoreError>;

    /// Stores the result of a leased job and marks it Done; `false` when the
    /// job is not leased any more (deleted, or requeued by a restart).
    async fn finish(&self, token: &str, result: &JobResult, now_ms: i64) -> Result<bool, StoreError>;

    /// Puts every Processing job back in the queue (at start-up, and for jobs
    /// still running when a shutdown gives up on them). Returns how many.
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
}
