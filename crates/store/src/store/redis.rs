//! The shared backend: the queue and the results in one Redis, for any number
//! of `flash server` and `flash worker` processes (and `flash serve --redis`).
//!
//! Keys (prefix `flash` by default):
//! - `flash:jobs`: a stream with one entry per queued job (`token`), consumer
//!   group `workers`. A worker reads with `XREADGROUP ... BLOCK`, so an idle
//!   worker waits in Redis instead of polling; the entry stays pending until
//!   the worker's result is stored, and is acknowledged and deleted in the same
//!   script that stores it. The stream therefore holds exactly the jobs queued
//!   or running: waiting = `XLEN` - pending, which is what admission checks.
//! - `flash:job:<token>`: the job (a hash; see [`scripts`]), with a TTL once
//!   it has a result.
//! - `flash:index` (a sorted set by submission order) for listing,
//!   `flash:finished` (by finish time) for expiry, `flash:stats` (finished
//!   jobs by status, counted once when the result is stored).
//! - `flash:dead`: the dead-letter stream; `flash:done`: the pub/sub channel
//!   that announces finished tokens to every server.
//! - `flash:worker:<id>` (heartbeats with a TTL) and `flash:workers` (ids by
//!   last heartbeat); `flash:languages`: the table the workers judge with;
//!   `flash:file:<id>`: Jobe's file cache (with the results' TTL).
//!
//! Delivery is at least once. A running job's entry is refreshed every third
//! of the reclaim time (`XCLAIM ... JUSTID`, which does not count a delivery);
//! a worker that dies stops refreshing, and after the reclaim time another
//! worker takes the entry over (`XAUTOCLAIM`) and runs the job again. An entry
//! delivered more than `max_deliveries` times goes to the dead-letter stream
//! and its job ends as Internal Error. Results are written by a script that
//! keeps the first one, so a re-run cannot produce a second visible result.
//!
//! Connections: commands go through a [`ConnectionManager`] (reconnects by
//! itself); each blocking read has a connection of its own without a response
//! timeout (the client's default of 500 ms would cut `BLOCK` short); pub/sub
//! has its own connection too.

mod cluster;
mod conn;
mod scripts;

#[cfg(test)]
mod tests;

pub use conn::{check_url, hostname, redact, worker_id};
use conn::{dropped, open_client, unreachable, Retrying};

use super::{Cluster, Counts, Deleted, JobStore, NewJob, StoreError};
use crate::job::{now_ms, JobRecord, JobResult, JobState};
use async_trait::async_trait;
use redis::aio::{ConnectionManager, ConnectionManagerConfig, MultiplexedConnection};
use redis::{AsyncConnectionConfig, Script};
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;

/// The consumer group every worker belongs to.
const GROUP: &str = "workers";

/// How a [`RedisStore`] connects and behaves.
#[derive(Debug, Clone)]
pub struct RedisConfig {
    /// `redis://[[user]:password@]host[:port][/db]` (or `unix://` / `redis+unix://`).
    pub url: String,
    /// Prefix of every key, so several deployments can share one Redis.
    pub prefix: String,
    /// This process's consumer name and worker id (see [`worker_id`]).
    pub consumer: String,
    /// A job whose worker has not refreshed it for this long is run again elsewhere.
    pub reclaim_idle: Duration,
    /// Deliveries after which a job goes to the dead-letter stream.
    pub max_deliveries: u32,
    /// Seconds a result is kept (its TTL); 0 keeps it.
    pub retention_secs: u64,
}

/// Key names under the prefix.
struct Keys {
    stream: String,
    index: String,
    seq: String,
    finished: String,
    stats: String,
    dead: String,
    done: String,
    workers: String,
    languages: String,
    job_prefix: String,
    worker_prefix: String,
}

impl Keys {
    fn new(p: &str) -> Keys {
        Keys {
            stream: format!("{p}:jobs"),
            index: format!("{p}:index"),
            seq: format!("{p}:seq"),
            finished: format!("{p}:finished"),
            stats: format!("{p}:stats"),
            dead: format!("{p}:dead"),
            done: format!("{p}:done"),
            workers: format!("{p}:workers"),
            languages: format!("{p}:languages"),
            job_prefix: format!("{p}:job:"),
            worker_prefix: format!("{p}:worker:"),
        }
    }

    fn job(&self, token: &str) -> String {
        format!("{}{token}", self.job_prefix)
    }

    /// A kept file (Jobe's file cache), under the same prefix as the jobs.
    fn file(&self, id: &str) -> String {
        format!("{}file:{id}", self.job_prefix.trim_end_matches("job:"))
    }
}

struct Scripts {
    enqueue: Script,
    start: Script,
    finish: Script,
    cancel: Script,
    reclaim: Script,
    touch: Script,
    handback: Script,
    delete: Script,
    expire: Script,
}

impl Scripts {
    fn new() -> Scripts {
        Scripts {
            enqueue: Script::new(scripts::ENQUEUE),
            start: Script::new(scripts::START),
            finish: Script::new(&scripts::finish()),
            cancel: Script::new(scripts::CANCEL),
            reclaim: Script::new(&scripts::reclaim()),
            touch: Script::new(scripts::TOUCH),
            handback: Script::new(scripts::HANDBACK),
            delete: Script::new(scripts::DELETE),
            expire: Script::new(scripts::EXPIRE),
        }
    }
}

/// The Redis store. Cheap to clone.
#[derive(Clone)]
pub struct RedisStore {
    inner: Arc<Inner>,
}

struct Inner {
    cfg: RedisConfig,
    client: redis::Client,
    conn: ConnectionManager,
    /// Connections for blocking reads, each used by one read at a time.
    blocking: Mutex<Vec<MultiplexedConnection>>,
    /// Jobs this process is running: token -> stream entry id.
    running: Mutex<HashMap<String, String>>,
    /// When this process last looked for abandoned entries (unix ms).
    last_reclaim: AtomicI64,
    /// Whether the task refreshing running entries was started.
    toucher: AtomicBool,
    keys: Keys,
    scripts: Scripts,
}

/// A job's end as [`RedisStore::end_job`] stores it.
struct Ending<'a> {
    token: &'a str,
    /// The stream entry this process leased the job under, or "".
    entry: &'a str,
    result: &'a JobResult,
    now_ms: i64,
}

fn rerr(op: &'static str) -> impl FnOnce(redis::RedisError) -> StoreError {
    move |source| StoreError::Redis { op, source }
}

impl RedisStore {
    /// Checks the URL and connects once (an unreachable Redis is an error).
    pub async fn connect(cfg: RedisConfig) -> Result<RedisStore, StoreError> {
        let client = open_client(&cfg.url)?;
        let mc = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(Duration::from_secs(5)))
            .set_response_timeout(Some(Duration::from_secs(10)))
            .set_number_of_retries(2);
        let conn = ConnectionManager::new_with_config(client.clone(), mc).await.map_err(rerr("connect"))?;
        let store = RedisStore {
            inner: Arc::new(Inner {
                keys: Keys::new(&cfg.prefix),
                cfg,
                client,
                conn,
                blocking: Mutex::new(Vec::new()),
                running: Mutex::new(HashMap::new()),
                last_reclaim: AtomicI64::new(0),
                toucher: AtomicBool::new(false),
                scripts: Scripts::new(),
            }),
        };
        store.prepare().await?;
        Ok(store)
    }

    /// Like [`RedisStore::connect`], but waits for an unreachable Redis,
    /// retrying with a growing delay (at most 5 s) and saying so in the log:
    /// a worker started before Redis waits for it instead of crash-looping.
    /// A bad URL, a wrong password or an old Redis is still an error at once.
    pub async fn connect_waiting(cfg: RedisConfig) -> Result<RedisStore, StoreError> {
        open_client(&cfg.url)?;
        let mut delay = Duration::from_millis(100);
        let mut said = false;
        loop {
            match RedisStore::connect(cfg.clone()).await {
                Err(StoreError::Redis { source, .. }) if unreachable(&source) => {
                    if !said || delay >= Duration::from_secs(5) {
                        tracing::warn!(url = %redact(&cfg.url), error = %source, "Redis is not reachable; waiting for it");
                        said = true;
                    }
                    tokio::time::sleep(delay).await;
                    delay = (delay * 2).min(Duration::from_secs(5));
                }
                other => return other,
            }
        }
    }

    /// Checks the server and creates the consumer group.
    async fn prepare(&self) -> Result<(), StoreError> {
        let mut c = self.conn();
        let info: String = redis::cmd("INFO").arg("server").query_async(&mut c).await.map_err(rerr("INFO"))?;
        let version = info.lines().find_map(|l| l.strip_prefix("redis_version:")).unwrap_or("0").trim().to_owned();
        let parts: Vec<u32> = version.split('.').map(|p| p.parse().unwrap_or(0)).collect();
        if (parts.first().copied().unwrap_or(0), parts.get(1).copied().unwrap_or(0)) < (6, 2) {
            return Err(StoreError::Config(format!(
                "Redis {version} at {} is too old: Flash needs 6.2 or newer (XAUTOCLAIM)",
                redact(&self.inner.cfg.url)
            )));
        }
        self.create_group().await?;
        // CONFIG may be disabled on managed Redis; then say nothing.
        let aof: Result<Vec<String>, _> = redis::cmd("CONFIG").arg("GET").arg("appendonly").query_async(&mut c).await;
        if let Ok(v) = aof {
            if v.get(1).is_some_and(|v| v == "no") {
                tracing::warn!("Redis runs without appendonly: queued jobs are lost if Redis restarts (see README)");
            }
        }
        Ok(())
    }

    async fn create_group(&self) -> Result<(), StoreError> {
        let r: Result<(), _> = redis::cmd("XGROUP")
            .arg("CREATE")
            .arg(&self.inner.keys.stream)
            .arg(GROUP)
            .arg("0")
            .arg("MKSTREAM")
            .query_async(&mut self.conn())
            .await;
        match r {
            Err(e) if e.code() != Some("BUSYGROUP") => Err(StoreError::Redis { op: "XGROUP CREATE", source: e }),
            _ => Ok(()),
        }
    }

    fn conn(&self) -> Retrying {
        Retrying(self.inner.conn.clone())
    }

    fn keys(&self) -> &Keys {
        &self.inner.keys
    }

    /// A connection for a blocking read: from the pool, else a new one.
    async fn blocking_conn(&self) -> Result<MultiplexedConnection, StoreError> {
        let pooled = self.inner.blocking.lock().unwrap_or_else(|p| p.into_inner()).pop();
        if let Some(c) = pooled {
            return Ok(c);
        }
        let cfg = AsyncConnectionConfig::new()
            .set_connection_timeout(Some(Duration::from_secs(5)))
            .set_response_timeout(None);
        self.inner.client.get_multiplexed_async_connection_with_config(&cfg).await.map_err(rerr("connect"))
    }

    /// Waits up to `wait` for a new entry; `(id, token)`. A pooled connection
    /// that died (Redis restarted) is replaced once.
    async fn read_new(&self, wait: Duration) -> Result<Option<(String, String)>, StoreError> {
        let mut c = self.blocking_conn().await?;
        let mut fresh = false;
        let reply = loop {
            let r: Result<Option<redis::streams::StreamReadReply>, _> = redis::cmd("XREADGROUP")
                .arg("GROUP")
                .arg(GROUP)
                .arg(&self.inner.cfg.consumer)
                .arg("COUNT")
                .arg(1)
                .arg("BLOCK")
                .arg(wait.as_millis().max(1) as u64)
                .arg("STREAMS")
                .arg(&self.keys().stream)
                .arg(">")
                .query_async(&mut c)
                .await;
            match r {
                Ok(r) => break r,
                Err(e) if dropped(&e) && !fresh => {
                    self.inner.blocking.lock().unwrap_or_else(|p| p.into_inner()).clear();
                    c = self.blocking_conn().await?;
                    fresh = true;
                }
                Err(e) => {
                    if e.code() == Some("NOGROUP") {
                        // Redis lost its data (restarted without persistence): start over.
                        self.create_group().await?;
                    }
                    return Err(StoreError::Redis { op: "XREADGROUP", source: e });
                }
            }
        };
        self.inner.blocking.lock().unwrap_or_else(|p| p.into_inner()).push(c);
        let entry = reply.and_then(|r| r.keys.into_iter().next()).and_then(|k| k.ids.into_iter().next());
        Ok(entry.map(|e| {
            let token: String = e.get("token").unwrap_or_default();
            (e.id, token)
        }))
    }

    /// Marks the job of entry `id` Processing; `None` when the entry was stale.
    async fn start(&self, id: &str, token: &str) -> Result<Option<JobRecord>, StoreError> {
        let fields: Option<Vec<Option<Vec<u8>>>> = self
            .inner
            .scripts
            .start
            .key(&self.keys().stream)
            .key(self.keys().job(token))
            .arg(GROUP)
            .arg(id)
            .arg(now_ms())
            .arg(&self.inner.cfg.consumer)
            .invoke_async(&mut self.conn())
            .await
            .map_err(rerr("start a job"))?;
        let Some(fields) = fields else {
            return Ok(None);
        };
        let rec = decode(token, fields)?.ok_or_else(|| corrupt(token, "vanished while starting"))?;
        self.inner.running.lock().unwrap_or_else(|p| p.into_inner()).insert(token.to_owned(), id.to_owned());
        self.start_toucher();
        Ok(Some(rec))
    }

    /// Takes over one abandoned entry, at most every half second per process.
    async fn reclaim(&self) -> Result<Option<JobRecord>, StoreError> {
        let now = now_ms();
        let last = self.inner.last_reclaim.load(Ordering::Relaxed);
        if now - last < 500
            || self.inner.last_reclaim.compare_exchange(last, now, Ordering::Relaxed, Ordering::Relaxed).is_err()
        {
            return Ok(None);
        }
        let cfg = &self.inner.cfg;
        let dead = JobResult::internal(format!(
            "the job was run {} times and each time its worker stopped (killed or crashed) before \
             storing a result; it is not run again (it is in the dead-letter stream)",
            cfg.max_deliveries
        ));
        let dead_json = serde_json::to_vec(&dead).expect("a result serializes");
        for _ in 0..10 {
            let r: Option<Vec<String>> = self
                .inner
                .scripts
                .reclaim
                .key(&self.keys().stream)
                .key(&self.keys().dead)
                .key(&self.keys().finished)
                .key(&self.keys().stats)
                .arg(GROUP)
                .arg(&cfg.consumer)
                .arg(cfg.reclaim_idle.as_millis() as u64)
                .arg(cfg.max_deliveries)
                .arg(now_ms())
                .arg(&self.keys().job_prefix)
                .arg(cfg.retention_secs)
                .arg(&self.keys().done)
                .arg(&dead_json)
                .arg(dead.run.status.id())
                .invoke_async(&mut self.conn())
                .await
                .map_err(rerr("reclaim"))?;
            match r.as_deref() {
                Some([kind, id, token]) if kind == "claimed" => {
                    if let Some(job) = self.start(id, token).await? {
                        tracing::warn!(%token, "took over a job whose worker stopped; running it again");
                        return Ok(Some(job));
                    }
                }
                Some([kind, token]) if kind == "dead" => {
                    tracing::error!(%token, deliveries = cfg.max_deliveries, "job moved to the dead-letter stream");
                }
                _ => return Ok(None),
            }
        }
        Ok(None)
    }

    /// Starts the task that keeps this process's running entries fresh.
    fn start_toucher(&self) {
        if self.inner.toucher.swap(true, Ordering::SeqCst) {
            return;
        }
        let weak = Arc::downgrade(&self.inner);
        let every = (self.inner.cfg.reclaim_idle / 3).max(Duration::from_millis(100));
        tokio::spawn(touch_loop(weak, every));
    }

    /// Runs `script`, [`scripts::finish`] or [`scripts::CANCEL`] (which take
    /// the same keys and arguments), to store the result that ends a job.
    async fn end_job<T: redis::FromRedisValue>(
        &self,
        script: &Script,
        op: &'static str,
        e: Ending<'_>,
    ) -> Result<T, StoreError> {
        let blob = serde_json::to_vec(e.result).expect("a result serializes");
        let k = self.keys();
        let mut inv = script.key(&k.stream);
        inv.key(k.job(e.token)).key(&k.finished).key(&k.stats);
        inv.arg(GROUP).arg(e.entry).arg(e.now_ms).arg(blob).arg(e.result.run.status.id());
        inv.arg(self.inner.cfg.retention_secs).arg(&k.done).arg(e.token);
        inv.invoke_async(&mut self.conn()).await.map_err(rerr(op))
    }

    async fn run_script_count(&self, op: &'static str, inv: redis::ScriptInvocation<'_>) -> Result<u64, StoreError> {
        inv.invoke_async(&mut self.conn()).await.map_err(rerr(op))
    }
}

async fn touch_loop(weak: Weak<Inner>, every: Duration) {
    loop {
        tokio::time::sleep(every).await;
        let Some(inner) = weak.upgrade() else { return };
        let ids: Vec<String> = inner.running.lock().unwrap_or_else(|p| p.into_inner()).values().cloned().collect();
        if ids.is_empty() {
            continue;
        }
        let mut inv = inner.scripts.touch.key(&inner.keys.stream);
        inv.arg(GROUP).arg(&inner.cfg.consumer).arg(&ids);
        let r: Result<u64, _> = inv.invoke_async(&mut Retrying(inner.conn.clone())).await;
        match r {
            Ok(n) if (n as usize) < ids.len() => {
                tracing::warn!(held = ids.len(), refreshed = n, "some running jobs were taken over by other workers")
            }
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "cannot refresh running jobs in Redis"),
        }
    }
}

fn corrupt(token: &str, why: impl Into<String>) -> StoreError {
    StoreError::Corrupt { token: token.to_owned(), why: why.into() }
}

/// Decodes `HMGET state created started finished request result`; `None` when there is no job.
fn decode(token: &str, f: Vec<Option<Vec<u8>>>) -> Result<Option<JobRecord>, StoreError> {
    if f.len() != 6 {
        return Err(corrupt(token, format!("{} fields", f.len())));
    }
    let mut f = f.into_iter();
    let mut next = || f.next().flatten();
    let Some(state) = next() else { return Ok(None) };
    let num = |v: Option<Vec<u8>>, what: &str| -> Result<Option<i64>, StoreError> {
        v.map(|b| {
            std::str::from_utf8(&b)
                .ok()
                .and_then(|s| s.parse().ok())
                .ok_or_else(|| corrupt(token, format!("bad {what}")))
        })
        .transpose()
    };
    let state = num(Some(state), "state")?.and_then(JobState::from_i64).ok_or_else(|| corrupt(token, "bad state"))?;
    let created = num(next(), "created")?.ok_or_else(|| corrupt(token, "no creation time"))?;
    let started = num(next(), "started")?;
    let finished = num(next(), "finished")?;
    let request = next().ok_or_else(|| corrupt(token, "no request"))?;
    let request = serde_json::from_slice(&request).map_err(|e| corrupt(token, e.to_string()))?;
    let result = match next() {
        Some(b) => Some(serde_json::from_slice(&b).map_err(|e| corrupt(token, e.to_string()))?),
        None => None,
    };
    Ok(Some(JobRecord {
        token: token.to_owned(),
        state,
        created_at_ms: created,
        started_at_ms: started,
        finished_at_ms: finished,
        request,
        result,
    }))
}

fn hmget_job(key: String) -> redis::Cmd {
    let mut c = redis::cmd("HMGET");
    c.arg(key).arg(&["state", "created", "started", "finished", "request", "result"][..]);
    c
}

#[async_trait]
impl JobStore for RedisStore {
    async fn enqueue(&self, jobs: Vec<NewJob>) -> Result<(), StoreError> {
        self.enqueue_bounded(jobs, i64::MAX as u64).await.map(|_| ())
    }

    async fn lease(&self, _now_ms: i64) -> Result<Option<JobRecord>, StoreError> {
        self.lease_wait(Duration::from_millis(1)).await
    }

    async fn lease_wait(&self, wait: Duration) -> Result<Option<JobRecord>, StoreError> {
        if let Some(job) = self.reclaim().await? {
            return Ok(Some(job));
        }
        match self.read_new(wait).await? {
            Some((id, token)) => self.start(&id, &token).await,
            None => Ok(None),
        }
    }

    async fn finish(&self, token: &str, result: &JobResult, now_ms: i64) -> Result<bool, StoreError> {
        let entry = self.inner.running.lock().unwrap_or_else(|p| p.into_inner()).remove(token).unwrap_or_default();
        let ending = Ending { token, entry: &entry, result, now_ms };
        let stored: u64 = self.end_job(&self.inner.scripts.finish, "store a result", ending).await?;
        Ok(stored == 1)
    }

    async fn cancel(&self, token: &str, result: &JobResult, now_ms: i64) -> Result<Option<JobState>, StoreError> {
        let ending = Ending { token, entry: "", result, now_ms };
        let was: Option<i64> = self.end_job(&self.inner.scripts.cancel, "cancel a job", ending).await?;
        Ok(was.and_then(JobState::from_i64))
    }

    async fn requeue_leased(&self) -> Result<u64, StoreError> {
        let k = self.keys();
        let pending: Vec<(String, String, u64, u64)> = redis::cmd("XPENDING")
            .arg(&k.stream)
            .arg(GROUP)
            .arg("-")
            .arg("+")
            .arg(10_000)
            .arg(&self.inner.cfg.consumer)
            .query_async(&mut self.conn())
            .await
            .map_err(rerr("XPENDING"))?;
        let mut n = 0;
        for (id, ..) in pending {
            let mut inv = self.inner.scripts.handback.key(&k.stream);
            inv.arg(GROUP).arg(&self.inner.cfg.consumer).arg(&id).arg(&k.job_prefix);
            n += self.run_script_count("hand back a job", inv).await?;
        }
        self.inner.running.lock().unwrap_or_else(|p| p.into_inner()).clear();
        Ok(n)
    }

    async fn put_file(&self, id: &str, data: &[u8], _now_ms: i64) -> Result<(), StoreError> {
        let mut cmd = redis::cmd("SET");
        cmd.arg(self.keys().file(id)).arg(data);
        if self.inner.cfg.retention_secs > 0 {
            cmd.arg("EX").arg(self.inner.cfg.retention_secs);
        }
        cmd.query_async(&mut self.conn()).await.map_err(rerr("SET file"))
    }

    async fn get_file(&self, id: &str) -> Result<Option<Vec<u8>>, StoreError> {
        redis::cmd("GET").arg(self.keys().file(id)).query_async(&mut self.conn()).await.map_err(rerr("GET file"))
    }

    async fn file_exists(&self, id: &str) -> Result<bool, StoreError> {
        // A key past its TTL does not exist for EXISTS either, as for GET.
        redis::cmd("EXISTS").arg(self.keys().file(id)).query_async(&mut self.conn()).await.map_err(rerr("EXISTS file"))
    }

    async fn get(&self, token: &str) -> Result<Option<JobRecord>, StoreError> {
        let f: Vec<Option<Vec<u8>>> =
            hmget_job(self.keys().job(token)).query_async(&mut self.conn()).await.map_err(rerr("HMGET"))?;
        decode(token, f)
    }

    async fn get_many(&self, tokens: &[String]) -> Result<Vec<Option<JobRecord>>, StoreError> {
        if tokens.is_empty() {
            return Ok(Vec::new());
        }
        let mut pipe = redis::pipe();
        for t in tokens {
            pipe.add_command(hmget_job(self.keys().job(t)));
        }
        let rows: Vec<Vec<Option<Vec<u8>>>> = pipe.query_async(&mut self.conn()).await.map_err(rerr("HMGET"))?;
        tokens.iter().zip(rows).map(|(t, f)| decode(t, f)).collect()
    }

    async fn list(&self, offset: u64, limit: u64) -> Result<(Vec<JobRecord>, u64), StoreError> {
        let k = self.keys();
        let stop = offset.saturating_add(limit).saturating_sub(1).min(i64::MAX as u64);
        let (tokens, total): (Vec<String>, u64) = redis::pipe()
            .cmd("ZREVRANGE")
            .arg(&k.index)
            .arg(offset.min(i64::MAX as u64))
            .arg(stop)
            .cmd("ZCARD")
            .arg(&k.index)
            .query_async(&mut self.conn())
            .await
            .map_err(rerr("ZREVRANGE"))?;
        if limit == 0 {
            return Ok((Vec::new(), total));
        }
        // Results past their TTL may linger in the index until the next expiry pass.
        let jobs = self.get_many(&tokens).await?.into_iter().flatten().collect();
        Ok((jobs, total))
    }

    async fn delete(&self, token: &str) -> Result<Deleted, StoreError> {
        let k = self.keys();
        let f: Option<Vec<Option<Vec<u8>>>> = self
            .inner
            .scripts
            .delete
            .key(k.job(token))
            .key(&k.index)
            .key(&k.finished)
            .arg(token)
            .invoke_async(&mut self.conn())
            .await
            .map_err(rerr("delete a job"))?;
        let Some(rec) = f.map(|f| decode(token, f)).transpose()?.flatten() else {
            return Ok(Deleted::NotFound);
        };
        Ok(if rec.state == JobState::Done { Deleted::Deleted(Box::new(rec)) } else { Deleted::NotFinished(rec.state) })
    }

    async fn expire(&self, before_ms: i64) -> Result<u64, StoreError> {
        let k = self.keys();
        let mut total = 0;
        loop {
            let mut inv = self.inner.scripts.expire.key(&k.finished);
            inv.key(&k.index).arg(before_ms).arg(&k.job_prefix);
            let n = self.run_script_count("expire results", inv).await?;
            total += n;
            if n < 500 {
                return Ok(total);
            }
        }
    }

    async fn counts(&self) -> Result<Counts, StoreError> {
        let k = self.keys();
        let (len, pending, done): (u64, redis::Value, u64) = redis::pipe()
            .cmd("XLEN")
            .arg(&k.stream)
            .cmd("XPENDING")
            .arg(&k.stream)
            .arg(GROUP)
            .cmd("ZCARD")
            .arg(&k.finished)
            .query_async(&mut self.conn())
            .await
            .map_err(rerr("counts"))?;
        let pending = match pending {
            redis::Value::Array(v) => match v.first() {
                Some(redis::Value::Int(n)) => *n as u64,
                _ => 0,
            },
            _ => 0,
        };
        Ok(Counts { queued: len.saturating_sub(pending), processing: pending, done })
    }
}
