//! The embedded backend: one SQLite file in WAL mode.
//!
//! One table holds both the queue and the results: a row is a job, `state`
//! says whether it waits, runs or is done, and the queue order is the row id.
//! Every change is one transaction, so a row is either queued, leased or
//! finished, never half of one. WAL with `synchronous=NORMAL` makes a commit
//! survive a crash of this process (the WAL is written before `COMMIT`
//! returns); `synchronous=FULL` (config `fsync`) also survives power loss.
//!
//! rusqlite is blocking: each call runs on tokio's blocking pool, on one
//! writer connection and one reader connection (WAL lets them overlap).
//! Idle workers wait on a [`Notify`] that every enqueue triggers: no polling.

use super::{Counts, Deleted, JobStore, NewJob, StoreError};
use crate::job::{JobRecord, JobResult, JobState};
use async_trait::async_trait;
use rusqlite::{params, Connection, OptionalExtension, Row};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::Notify;

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS jobs (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    token       TEXT NOT NULL UNIQUE,
    state       INTEGER NOT NULL,
    status      INTEGER NOT NULL DEFAULT 1,
    created_at  INTEGER NOT NULL,
    started_at  INTEGER,
    finished_at INTEGER,
    request     BLOB NOT NULL,
    result      BLOB
);
CREATE INDEX IF NOT EXISTS jobs_by_state ON jobs(state, id);
CREATE INDEX IF NOT EXISTS jobs_by_finish ON jobs(finished_at) WHERE state = 3;
CREATE TABLE IF NOT EXISTS files (
    id      TEXT PRIMARY KEY,
    data    BLOB NOT NULL,
    put_at  INTEGER NOT NULL
);
";

const COLUMNS: &str = "token, state, created_at, started_at, finished_at, request, result";

/// The SQLite store. Cheap to clone.
#[derive(Clone)]
pub struct SqliteStore {
    inner: Arc<Inner>,
}

struct Inner {
    path: PathBuf,
    writer: Mutex<Connection>,
    reader: Mutex<Connection>,
    /// Wakes workers waiting in `lease_wait` when jobs are enqueued.
    work: Notify,
}

impl SqliteStore {
    /// Opens (creating if needed) the database at `path`.
    pub fn open(path: &Path, fsync: bool) -> Result<SqliteStore, StoreError> {
        let err = |source| StoreError::Db { path: path.display().to_string(), source };
        let writer = Connection::open(path).map_err(err)?;
        let sync = if fsync { "FULL" } else { "NORMAL" };
        writer
            .execute_batch(&format!("PRAGMA journal_mode=WAL; PRAGMA synchronous={sync}; PRAGMA busy_timeout=10000;"))
            .map_err(err)?;
        writer.execute_batch(SCHEMA).map_err(err)?;
        let reader = Connection::open(path).map_err(err)?;
        reader.execute_batch("PRAGMA busy_timeout=10000; PRAGMA query_only=1;").map_err(err)?;
        Ok(SqliteStore {
            inner: Arc::new(Inner {
                path: path.to_owned(),
                writer: Mutex::new(writer),
                reader: Mutex::new(reader),
                work: Notify::new(),
            }),
        })
    }

    /// Runs `f` on the writer (or reader) connection on the blocking pool.
    async fn with<T: Send + 'static>(
        &self,
        write: bool,
        f: impl FnOnce(&mut Connection) -> Result<T, rusqlite::Error> + Send + 'static,
    ) -> Result<T, StoreError> {
        let inner = self.inner.clone();
        tokio::task::spawn_blocking(move || {
            let lock = if write { &inner.writer } else { &inner.reader };
            // A panic while holding the lock cannot leave SQLite half-written
            // (transactions roll back), so a poisoned lock is still usable.
            let mut conn = lock.lock().unwrap_or_else(|p| p.into_inner());
            f(&mut conn).map_err(|source| StoreError::Db { path: inner.path.display().to_string(), source })
        })
        .await
        .map_err(|e| StoreError::Task(e.to_string()))?
    }
}

/// A row as read, before decoding its JSON.
struct RawRow {
    token: String,
    state: i64,
    created_at: i64,
    started_at: Option<i64>,
    finished_at: Option<i64>,
    request: Vec<u8>,
    result: Option<Vec<u8>>,
}

fn raw(row: &Row<'_>) -> rusqlite::Result<RawRow> {
    Ok(RawRow {
        token: row.get(0)?,
        state: row.get(1)?,
        created_at: row.get(2)?,
        started_at: row.get(3)?,
        finished_at: row.get(4)?,
        request: row.get(5)?,
        result: row.get(6)?,
    })
}

fn decode(r: RawRow) -> Result<JobRecord, StoreError> {
    let corrupt = |why: String| StoreError::Corrupt { token: r.token.clone(), why };
    let state = JobState::from_i64(r.state).ok_or_else(|| corrupt(format!("state {}", r.state)))?;
    let request = serde_json::from_slice(&r.request).map_err(|e| corrupt(e.to_string()))?;
    let result = match &r.result {
        Some(b) => Some(serde_json::from_slice(b).map_err(|e| corrupt(e.to_string()))?),
        None => None,
    };
    Ok(JobRecord {
        token: r.token,
        state,
        created_at_ms: r.created_at,
        started_at_ms: r.started_at,
        finished_at_ms: r.finished_at,
        request,
        result,
    })
}

fn get_raw(conn: &Connection, token: &str) -> rusqlite::Result<Option<RawRow>> {
    conn.prepare_cached(&format!("SELECT {COLUMNS} FROM jobs WHERE token = ?1"))?.query_row([token], raw).optional()
}

#[async_trait]
impl JobStore for SqliteStore {
    async fn enqueue(&self, jobs: Vec<NewJob>) -> Result<(), StoreError> {
        let rows: Vec<(String, i64, Vec<u8>)> = jobs
            .into_iter()
            .map(|j| {
                let req = serde_json::to_vec(&j.request).expect("a request serializes");
                (j.token, j.created_at_ms, req)
            })
            .collect();
        self.with(true, move |c| {
            let tx = c.transaction()?;
            {
                let mut st =
                    tx.prepare_cached("INSERT INTO jobs (token, state, created_at, request) VALUES (?1, 1, ?2, ?3)")?;
                for (token, created, req) in &rows {
                    st.execute(params![token, created, req])?;
                }
            }
            tx.commit()
        })
        .await?;
        self.inner.work.notify_waiters();
        Ok(())
    }

    async fn lease(&self, now_ms: i64) -> Result<Option<JobRecord>, StoreError> {
        let row = self
            .with(true, move |c| {
                c.prepare_cached(&format!(
                    "UPDATE jobs SET state = 2, status = 2, started_at = ?1 WHERE id = \
                     (SELECT id FROM jobs WHERE state = 1 ORDER BY id LIMIT 1) RETURNING {COLUMNS}"
                ))?
                .query_row([now_ms], raw)
                .optional()
            })
            .await?;
        row.map(decode).transpose()
    }

    async fn lease_wait(&self, wait: Duration) -> Result<Option<JobRecord>, StoreError> {
        // Register for a wake-up before looking at the queue, so an enqueue
        // between the look and the sleep is not missed.
        let notified = self.inner.work.notified();
        tokio::pin!(notified);
        notified.as_mut().enable();
        if let Some(job) = self.lease(crate::job::now_ms()).await? {
            return Ok(Some(job));
        }
        if tokio::time::timeout(wait, notified).await.is_err() {
            return Ok(None);
        }
        self.lease(crate::job::now_ms()).await
    }

    async fn finish(&self, token: &str, result: &JobResult, now_ms: i64) -> Result<bool, StoreError> {
        let token = token.to_owned();
        let status = result.run.status.id();
        let blob = serde_json::to_vec(result).expect("a result serializes");
        self.with(true, move |c| {
            let n = c
                .prepare_cached(
                    "UPDATE jobs SET state = 3, status = ?2, result = ?3, finished_at = ?4 \
                     WHERE token = ?1 AND state = 2",
                )?
                .execute(params![token, status, blob, now_ms])?;
            Ok(n == 1)
        })
        .await
    }

    async fn cancel(&self, token: &str, result: &JobResult, now_ms: i64) -> Result<Option<JobState>, StoreError> {
        let token = token.to_owned();
        let status = result.run.status.id();
        let blob = serde_json::to_vec(result).expect("a result serializes");
        self.with(true, move |c| {
            let tx = c.transaction()?;
            let state: Option<i64> =
                tx.query_row("SELECT state FROM jobs WHERE token = ?1", [&token], |r| r.get(0)).optional()?;
            let was = state.and_then(JobState::from_i64).filter(|s| *s != JobState::Done);
            if was.is_some() {
                tx.execute(
                    "UPDATE jobs SET state = 3, status = ?2, result = ?3, finished_at = ?4 WHERE token = ?1",
                    params![token, status, blob, now_ms],
                )?;
            }
            tx.commit()?;
            Ok(was)
        })
        .await
    }

    async fn requeue_leased(&self) -> Result<u64, StoreError> {
        self.with(true, |c| c.execute("UPDATE jobs SET state = 1, status = 1 WHERE state = 2", []).map(|n| n as u64))
            .await
    }

    async fn get(&self, token: &str) -> Result<Option<JobRecord>, StoreError> {
        let token = token.to_owned();
        let row = self.with(false, move |c| get_raw(c, &token)).await?;
        row.map(decode).transpose()
    }

    async fn get_many(&self, tokens: &[String]) -> Result<Vec<Option<JobRecord>>, StoreError> {
        let tokens = tokens.to_vec();
        let rows = self
            .with(false, move |c| {
                let tx = c.transaction()?;
                let rows = tokens.iter().map(|t| get_raw(&tx, t)).collect::<rusqlite::Result<Vec<_>>>()?;
                tx.finish()?;
                Ok(rows)
            })
            .await?;
        rows.into_iter().map(|r| r.map(decode).transpose()).collect()
    }

    async fn list(&self, offset: u64, limit: u64) -> Result<(Vec<JobRecord>, u64), StoreError> {
        let (rows, total) = self
            .with(false, move |c| {
                let tx = c.transaction()?;
                let total: i64 = tx.query_row("SELECT count(*) FROM jobs", [], |r| r.get(0))?;
                let rows = tx
                    .prepare_cached(&format!("SELECT {COLUMNS} FROM jobs ORDER BY id DESC LIMIT ?1 OFFSET ?2"))?
                    .query_map(params![limit as i64, offset as i64], raw)?
                    .collect::<rusqlite::Result<Vec<_>>>()?;
                tx.finish()?;
                Ok((rows, total as u64))
            })
            .await?;
        let jobs = rows.into_iter().map(decode).collect::<Result<_, _>>()?;
        Ok((jobs, total))
    }

    async fn delete(&self, token: &str) -> Result<Deleted, StoreError> {
        let token = token.to_owned();
        let (row, deleted) = self
            .with(true, move |c| {
                let tx = c.transaction()?;
                let row = get_raw(&tx, &token)?;
                let done = row.as_ref().is_some_and(|r| r.state == JobState::Done as i64);
                if done {
                    tx.execute("DELETE FROM jobs WHERE token = ?1", [&token])?;
                }
                tx.commit()?;
                Ok((row, done))
            })
            .await?;
        match row {
            None => Ok(Deleted::NotFound),
            Some(r) => {
                let rec = decode(r)?;
                Ok(if deleted { Deleted::Deleted(Box::new(rec)) } else { Deleted::NotFinished(rec.state) })
            }
        }
    }

    async fn expire(&self, before_ms: i64) -> Result<u64, StoreError> {
        self.with(true, move |c| {
            c.execute("DELETE FROM files WHERE put_at < ?1", [before_ms])?;
            c.execute("DELETE FROM jobs WHERE state = 3 AND finished_at < ?1", [before_ms]).map(|n| n as u64)
        })
        .await
    }

    async fn put_file(&self, id: &str, data: &[u8], now_ms: i64) -> Result<(), StoreError> {
        let (id, data) = (id.to_owned(), data.to_vec());
        self.with(true, move |c| {
            c.execute("INSERT OR REPLACE INTO files (id, data, put_at) VALUES (?1, ?2, ?3)", (id, data, now_ms))
                .map(|_| ())
        })
        .await
    }

    async fn get_file(&self, id: &str) -> Result<Option<Vec<u8>>, StoreError> {
        let id = id.to_owned();
        self.with(false, move |c| {
            use rusqlite::OptionalExtension as _;
            c.query_row("SELECT data FROM files WHERE id = ?1", [id], |r| r.get(0)).optional()
        })
        .await
    }

    async fn file_exists(&self, id: &str) -> Result<bool, StoreError> {
        let id = id.to_owned();
        self.with(false, move |c| c.prepare_cached("SELECT 1 FROM files WHERE id = ?1")?.exists([id])).await
    }

    async fn counts(&self) -> Result<Counts, StoreError> {
        self.with(false, |c| {
            let mut counts = Counts::default();
            let mut st = c.prepare_cached("SELECT state, count(*) FROM jobs GROUP BY state")?;
            let rows = st.query_map([], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, i64>(1)?)))?;
            for row in rows {
                let (state, n) = row?;
                match JobState::from_i64(state) {
                    Some(JobState::Queued) => counts.queued = n as u64,
                    Some(JobState::Processing) => counts.processing = n as u64,
                    Some(JobState::Done) => counts.done = n as u64,
                    None => {}
                }
            }
            Ok(counts)
        })
        .await
    }
}

#[cfg(test)]
mod tests;
