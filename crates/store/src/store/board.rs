//! The job board: what this process knows about jobs without asking the
//! store, so that clients polling for results (Judge0's `GET
//! /submissions/batch` every few tenths of a second) cost the service next to
//! nothing instead of a store read and a JSON decode per job per poll.
//!
//! [`Board`] wraps the real store and is itself a [`JobStore`], so every
//! change a process makes passes through it and nothing can change behind
//! its back within the process. It keeps two things:
//!
//! - **finished records**, as the store returned them the first time one was
//!   read: a finished job never changes, so later reads are answered from
//!   memory. Bounded by count, by bytes and by age ([`Limits`]); a delete or an
//!   expiry pass in this process drops them at once; a delete by *another*
//!   process (split mode) is seen once the entry's age runs out;
//! - **the state of unfinished jobs**, only when this process is the only one
//!   that changes jobs (the embedded store: `sole`). A job is on the board
//!   from before it is stored until its result is stored, and the board never
//!   shows a state the store has not reached yet (it learns of a lease after
//!   the store made it, and forgets the job after the result is stored), so a
//!   poll may at worst see "Processing" a moment after the store says "Done",
//!   never the reverse. With a shared store (Redis) other processes lease and
//!   finish jobs: unfinished and unknown jobs are always read from the store.

use super::{Counts, Deleted, JobStore, NewJob, StoreError};
use crate::job::{JobRecord, JobResult, JobState};
use async_trait::async_trait;
use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

/// How much the board keeps of finished records.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Most finished records kept.
    pub entries: usize,
    /// Most bytes of sources, inputs and outputs kept (an estimate).
    pub bytes: usize,
    /// How long a record is kept after it was read (and so how long a delete
    /// made by another process can go unseen here).
    pub age: Duration,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits { entries: 4096, bytes: 64 << 20, age: Duration::from_secs(30) }
    }
}

/// What a poll learned of one job (see [`Board::look`]).
#[derive(Debug, Clone)]
pub enum Seen {
    /// No such job.
    Unknown,
    /// Not finished; no record was read (only with the embedded store, and
    /// only when the caller did not need the record).
    Unfinished(JobState),
    /// The job as stored.
    Record(Arc<JobRecord>),
}

/// The store with what this process knows in memory in front of it.
pub struct Board {
    store: Arc<dyn JobStore>,
    /// This process is the only one changing jobs: unfinished states are kept.
    sole: bool,
    limits: Limits,
    inner: Mutex<Inner>,
}

#[derive(Default)]
struct Inner {
    /// Unfinished jobs (only when `sole`): Queued or Processing.
    live: HashMap<String, JobState>,
    /// Finished records.
    done: HashMap<String, Kept>,
    /// `done`'s tokens oldest first, with the sequence number they were kept
    /// under (an entry removed or replaced since then no longer matches).
    order: VecDeque<(String, u64)>,
    /// Estimated bytes in `done`.
    bytes: usize,
    /// Sequence of the next kept record.
    seq: u64,
    /// Bumped by every delete and expiry: a record read from the store before
    /// one is not kept (it may be the one just deleted).
    epoch: u64,
}

struct Kept {
    rec: Arc<JobRecord>,
    at: Instant,
    bytes: usize,
    seq: u64,
}

/// Roughly the memory a record holds (its byte fields; the rest is small).
fn weight(r: &JobRecord) -> usize {
    let q = &r.request;
    let opt = |b: &Option<Vec<u8>>| b.as_ref().map_or(0, Vec::len);
    let req = opt(&q.source_code)
        + opt(&q.stdin)
        + opt(&q.expected_output)
        + opt(&q.additional_files)
        + q.tests.iter().map(|t| t.input.len() + opt(&t.expected)).sum::<usize>()
        + q.files.iter().map(|f| f.data.len()).sum::<usize>()
        + q.session.as_ref().map_or(0, |s| s.files.iter().map(|f| f.data.len()).sum());
    let res = r.result.as_ref().map_or(0, |r| {
        r.run.stdout.len()
            + r.run.stderr.len()
            + r.compile_output.len()
            + r.trace.as_ref().map_or(0, |t| t.to_string().len())
            + r.workspace.as_ref().and_then(|w| w.files.as_ref()).map_or(0, |fs| fs.iter().map(|f| f.data.len()).sum())
    });
    512 + req + res
}

impl Inner {
    /// Drops finished records that are too old, or over the limits, oldest first.
    fn prune(&mut self, limits: &Limits, now: Instant) {
        while let Some((token, seq)) = self.order.front() {
            let current = self.done.get(token).filter(|k| k.seq == *seq);
            let keep = current.is_some_and(|k| {
                now.duration_since(k.at) < limits.age && self.done.len() <= limits.entries && self.bytes <= limits.bytes
            });
            if keep {
                break;
            }
            if current.is_some() {
                let k = self.done.remove(token).expect("looked up above");
                self.bytes -= k.bytes;
            }
            self.order.pop_front();
        }
    }

    fn keep(&mut self, rec: Arc<JobRecord>, limits: &Limits, now: Instant) {
        let bytes = weight(&rec);
        if bytes > limits.bytes {
            return;
        }
        self.seq += 1;
        let token = rec.token.clone();
        if let Some(old) = self.done.insert(token.clone(), Kept { rec, at: now, bytes, seq: self.seq }) {
            self.bytes -= old.bytes;
        }
        self.bytes += bytes;
        self.order.push_back((token, self.seq));
        self.prune(limits, now);
    }

    fn forget_done(&mut self, token: &str) {
        if let Some(k) = self.done.remove(token) {
            self.bytes -= k.bytes;
        }
    }

    /// A finished record still within its age.
    fn finished(&self, token: &str, limits: &Limits, now: Instant) -> Option<Arc<JobRecord>> {
        self.done.get(token).filter(|k| now.duration_since(k.at) < limits.age).map(|k| k.rec.clone())
    }
}

impl Board {
    /// In front of `store`; `sole` when no other process changes its jobs.
    pub fn new(store: Arc<dyn JobStore>, sole: bool, limits: Limits) -> Board {
        Board { store, sole, limits, inner: Mutex::new(Inner::default()) }
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        // Every update leaves the maps consistent before it can panic.
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Finished records kept now (for tests and metrics).
    pub fn kept(&self) -> usize {
        self.lock().done.len()
    }

    /// The jobs of `tokens`, in order, reading the store (once, for all of
    /// them) only for what memory cannot tell. Without `need_record`, an
    /// unfinished job of the embedded store is answered by its state alone.
    pub async fn look(&self, tokens: &[String], need_record: bool) -> Result<Vec<Seen>, StoreError> {
        let now = Instant::now();
        let mut out = Vec::with_capacity(tokens.len());
        let mut missing = Vec::new();
        let epoch = {
            let inner = self.lock();
            for (i, t) in tokens.iter().enumerate() {
                if let Some(rec) = inner.finished(t, &self.limits, now) {
                    out.push(Seen::Record(rec));
                } else if let Some(state) = inner.live.get(t).filter(|_| self.sole && !need_record) {
                    out.push(Seen::Unfinished(*state));
                } else {
                    out.push(Seen::Unknown);
                    missing.push(i);
                }
            }
            inner.epoch
        };
        if missing.is_empty() {
            return Ok(out);
        }
        let asked: Vec<String> = missing.iter().map(|&i| tokens[i].clone()).collect();
        let found = self.store.get_many(&asked).await?;
        let found: Vec<Option<Arc<JobRecord>>> = found.into_iter().map(|r| r.map(Arc::new)).collect();
        self.keep_finished(found.iter().flatten(), epoch);
        for (i, rec) in missing.into_iter().zip(found) {
            out[i] = rec.map_or(Seen::Unknown, Seen::Record);
        }
        Ok(out)
    }

    /// Keeps the finished ones of records read from the store at `epoch`.
    fn keep_finished<'a>(&self, recs: impl Iterator<Item = &'a Arc<JobRecord>>, epoch: u64) {
        let now = Instant::now();
        let mut inner = self.lock();
        if inner.epoch != epoch {
            return;
        }
        for rec in recs.filter(|r| r.state == JobState::Done) {
            inner.keep(rec.clone(), &self.limits, now);
        }
    }

    /// Forgets an unfinished job (its result is stored, or the store's word is needed).
    fn settle(&self, token: &str) {
        if self.sole {
            self.lock().live.remove(token);
        }
    }
}

#[async_trait]
impl JobStore for Board {
    async fn enqueue(&self, jobs: Vec<NewJob>) -> Result<(), StoreError> {
        // On the board before in the store: once stored, a worker may lease
        // (and finish) a job at once, and that must find it here.
        let tokens: Vec<String> = jobs.iter().map(|j| j.token.clone()).collect();
        if self.sole {
            let mut inner = self.lock();
            for t in &tokens {
                inner.live.insert(t.clone(), JobState::Queued);
            }
        }
        let stored = self.store.enqueue(jobs).await;
        if stored.is_err() && self.sole {
            let mut inner = self.lock();
            for t in &tokens {
                inner.live.remove(t);
            }
        }
        stored
    }

    async fn lease(&self, now_ms: i64) -> Result<Option<JobRecord>, StoreError> {
        let job = self.store.lease(now_ms).await?;
        self.leased(job.as_ref());
        Ok(job)
    }

    async fn lease_wait(&self, wait: Duration) -> Result<Option<JobRecord>, StoreError> {
        let job = self.store.lease_wait(wait).await?;
        self.leased(job.as_ref());
        Ok(job)
    }

    async fn finish(&self, token: &str, result: &JobResult, now_ms: i64) -> Result<bool, StoreError> {
        let stored = self.store.finish(token, result, now_ms).await;
        self.settle(token);
        stored
    }

    async fn cancel(&self, token: &str, result: &JobResult, now_ms: i64) -> Result<Option<JobState>, StoreError> {
        let was = self.store.cancel(token, result, now_ms).await;
        self.settle(token);
        was
    }

    async fn requeue_leased(&self) -> Result<u64, StoreError> {
        let n = self.store.requeue_leased().await?;
        if self.sole {
            self.lock().live.values_mut().for_each(|s| *s = JobState::Queued);
        }
        Ok(n)
    }

    async fn get(&self, token: &str) -> Result<Option<JobRecord>, StoreError> {
        let mut seen = self.look(std::slice::from_ref(&token.to_owned()), true).await?;
        Ok(match seen.pop() {
            Some(Seen::Record(r)) => Some(Arc::unwrap_or_clone(r)),
            _ => None,
        })
    }

    async fn get_many(&self, tokens: &[String]) -> Result<Vec<Option<JobRecord>>, StoreError> {
        let seen = self.look(tokens, true).await?;
        Ok(seen
            .into_iter()
            .map(|s| match s {
                Seen::Record(r) => Some(Arc::unwrap_or_clone(r)),
                _ => None,
            })
            .collect())
    }

    async fn list(&self, offset: u64, limit: u64) -> Result<(Vec<JobRecord>, u64), StoreError> {
        self.store.list(offset, limit).await
    }

    async fn delete(&self, token: &str) -> Result<Deleted, StoreError> {
        self.lock().epoch += 1;
        let deleted = self.store.delete(token).await;
        let mut inner = self.lock();
        inner.epoch += 1;
        inner.forget_done(token);
        deleted
    }

    async fn expire(&self, before_ms: i64) -> Result<u64, StoreError> {
        self.lock().epoch += 1;
        let n = self.store.expire(before_ms).await;
        let mut inner = self.lock();
        inner.epoch += 1;
        let old: Vec<String> = inner
            .done
            .iter()
            .filter(|(_, k)| k.rec.finished_at_ms.is_none_or(|f| f < before_ms))
            .map(|(t, _)| t.clone())
            .collect();
        old.iter().for_each(|t| inner.forget_done(t));
        n
    }

    async fn counts(&self) -> Result<Counts, StoreError> {
        self.store.counts().await
    }

    async fn put_file(&self, id: &str, data: &[u8], now_ms: i64) -> Result<(), StoreError> {
        self.store.put_file(id, data, now_ms).await
    }

    async fn get_file(&self, id: &str) -> Result<Option<Vec<u8>>, StoreError> {
        self.store.get_file(id).await
    }

    async fn file_exists(&self, id: &str) -> Result<bool, StoreError> {
        self.store.file_exists(id).await
    }
}

impl Board {
    /// A worker leased `job`: Processing, if the board still has it (a job
    /// cancelled meanwhile is not put back).
    fn leased(&self, job: Option<&JobRecord>) {
        let Some(job) = job.filter(|_| self.sole) else { return };
        if let Some(s) = self.lock().live.get_mut(&job.token) {
            *s = JobState::Processing;
        }
    }
}

#[cfg(test)]
mod tests;
