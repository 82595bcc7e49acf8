//! Connecting to Redis: the URL check (with passwords kept out of messages),
//! the retry of a command whose connection had dropped, and worker ids.

use super::StoreError;
use redis::aio::ConnectionManager;
use std::time::Duration;

/// A unique worker id: host, pid and a random suffix.
pub fn worker_id() -> String {
    let host = hostname();
    let rand = uuid::Uuid::new_v4().simple().to_string();
    format!("{host}-{}-{}", std::process::id(), &rand[..6])
}

/// This machine's host name.
pub fn hostname() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|h| h.trim().to_owned())
        .ok()
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "localhost".into())
}

/// The URL with any password replaced by `***`, for messages and logs.
pub fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => {
            let userinfo = &url[s + 3..at];
            let user = userinfo.split_once(':').map_or("", |(u, _)| u);
            format!("{}{user}:***{}", &url[..s + 3], &url[at..])
        }
        _ => url.to_owned(),
    }
}

/// Whether an error means Redis is not reachable (yet), as opposed to a refusal.
pub(super) fn unreachable(e: &redis::RedisError) -> bool {
    e.is_io_error() || e.is_connection_refusal() || e.is_timeout() || e.is_connection_dropped()
}

/// Checks a Redis URL without connecting (a clear error at start-up).
pub fn check_url(url: &str) -> Result<(), StoreError> {
    open_client(url).map(|_| ())
}

/// The shared connection, sending a command once more when the connection
/// had dropped (Redis restarted): the manager notices a dead connection only
/// when a command fails on it, and reconnects for the next one. Repeating is
/// safe for every command here: each change is one atomic script, and a
/// repeated enqueue leaves a stale entry that the start script drops.
#[derive(Clone)]
pub(super) struct Retrying(pub(super) ConnectionManager);

pub(super) fn dropped(e: &redis::RedisError) -> bool {
    e.is_connection_dropped() || e.is_connection_refusal() || e.is_io_error()
}

impl redis::aio::ConnectionLike for Retrying {
    fn req_packed_command<'a>(&'a mut self, cmd: &'a redis::Cmd) -> redis::RedisFuture<'a, redis::Value> {
        Box::pin(async move {
            match self.0.req_packed_command(cmd).await {
                Err(e) if dropped(&e) => {
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    self.0.req_packed_command(cmd).await
                }
                r => r,
            }
        })
    }

    fn req_packed_commands<'a>(
        &'a mut self,
        pipeline: &'a redis::Pipeline,
        offset: usize,
        count: usize,
    ) -> redis::RedisFuture<'a, Vec<redis::Value>> {
        Box::pin(async move {
            match self.0.req_packed_commands(pipeline, offset, count).await {
                Err(e) if dropped(&e) => {
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    self.0.req_packed_commands(pipeline, offset, count).await
                }
                r => r,
            }
        })
    }

    fn get_db(&self) -> i64 {
        self.0.get_db()
    }
}

pub(super) fn open_client(url: &str) -> Result<redis::Client, StoreError> {
    let ok_scheme = ["redis://", "unix://", "redis+unix://"].iter().any(|s| url.starts_with(s));
    let client = if ok_scheme { redis::Client::open(url).ok() } else { None };
    client.ok_or_else(|| {
        StoreError::Config(format!(
            "invalid Redis URL {:?}: expected redis://[:password@]host[:port][/db] or unix:///path/to/redis.sock \
             (TLS, rediss://, is not supported)",
            redact(url)
        ))
    })
}
