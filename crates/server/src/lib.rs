//! Flash's HTTP service: `flash serve` as a library.
//!
//! Layout (dependencies point down):
//! - [`api`]: axum routers for the native API, the Judge0-compatible API and
//!   operations, built by [`api::router`] so tests call it in-process.
//! - [`service`]: the shared state: configuration, store, judge, admission
//!   control (503 when the queue is full) and per-token wait notifications.
//! - [`workers`]: tasks that lease jobs and judge them on the blocking pool;
//!   [`submission`]: the one conversion of a stored job into the engine's
//!   submission, and the checks the APIs make before accepting one.
//! - [`store`] and [`job`], re-exported from the flash-store crate: the
//!   durable queue and results behind the [`store::JobStore`] trait;
//!   [`store::sqlite`] is the embedded backend, [`store::redis`] the shared
//!   one (plus [`store::Cluster`]: heartbeats, cluster-wide counters);
//!   [`redis_config`] reads the Redis settings from the configuration.
//! - [`judge`]: the [`judge::Judge`] trait the engine implements (tests use a
//!   fake) and the language table with Judge0's ids.
//! - [`packages`]: problem packages uploaded once (checked, content-addressed,
//!   kept in the store) and unpacked once per process into a bounded cache.
//! - [`sessions`]: workspaces that live across runs, on disk, per API key.
//! - [`keys`]: named API keys with their rate and concurrency limits;
//!   [`admission`]: turns for `/debug` requests in flight (knows no HTTP).
//! - [`extract`], [`callback`], [`metrics`], [`config`]: the pieces.
//!
//! Three entry points, one per role, mini-redis style (the listener and the
//! shutdown signal come from outside, so tests bind port 0 and stop cleanly):
//! - [`run`]: HTTP and workers in one process (`flash serve`, embedded or Redis);
//! - [`run_http`]: HTTP only (`flash server`: stateless, any number of them);
//! - [`run_worker`]: workers only (`flash worker`: no HTTP, pulls jobs from Redis).
//!
//! Shutdown: stop accepting, end waits, let running jobs finish for a grace
//! period, then put back what is still leased (requeued, or handed back to
//! the shared queue).

pub mod admission;
pub mod api;
pub mod callback;
pub mod client;
pub mod config;
pub mod extract;
pub mod judge;
pub mod keys;
pub mod metrics;
pub mod packages;
pub mod service;
pub mod sessions;
pub mod submission;
pub mod workers;

pub use config::ServerConfig;
pub use flash_store::{job, store};
pub use service::Service;

use std::future::Future;
use std::sync::{Arc, Weak};
use std::time::Duration;

/// The Redis settings of a service configuration (`None` without
/// `redis_url`), with a fresh [`store::redis::worker_id`] as the consumer name.
pub fn redis_config(cfg: &ServerConfig) -> Option<store::redis::RedisConfig> {
    Some(store::redis::RedisConfig {
        url: cfg.redis_url.clone()?,
        prefix: cfg.redis_prefix.clone(),
        consumer: store::redis::worker_id(),
        reclaim_idle: Duration::from_secs(cfg.reclaim_idle_secs),
        max_deliveries: cfg.max_deliveries,
        retention_secs: cfg.retention_secs,
    })
}

/// Serves `listener` with `svc` and runs its workers until `shutdown`
/// resolves, then shuts down gracefully.
pub async fn run(
    listener: tokio::net::TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
    svc: Arc<Service>,
) -> std::io::Result<()> {
    serve(Some(listener), shutdown, svc, true).await
}

/// Serves `listener` with `svc` without judging anything: the server role
/// of split mode, where workers in other processes take the jobs from Redis.
pub async fn run_http(
    listener: tokio::net::TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
    svc: Arc<Service>,
) -> std::io::Result<()> {
    serve(Some(listener), shutdown, svc, false).await
}

/// Runs `svc`'s workers (and their heartbeat) until `shutdown` resolves: the
/// worker role of split mode. Running jobs get the grace period; what is
/// still running after it is handed back to the queue for other workers.
pub async fn run_worker(shutdown: impl Future<Output = ()> + Send + 'static, svc: Arc<Service>) {
    let _ = serve(None, shutdown, svc, true).await;
}

async fn serve(
    listener: Option<tokio::net::TcpListener>,
    shutdown: impl Future<Output = ()> + Send + 'static,
    svc: Arc<Service>,
    judge: bool,
) -> std::io::Result<()> {
    let workers = if judge { workers::spawn(&svc) } else { Vec::new() };
    let mut tasks = Vec::new();
    if judge && svc.cluster.is_some() {
        tasks.push(tokio::spawn(workers::heartbeat(svc.clone())));
    }
    if listener.is_some() {
        tasks.push(tokio::spawn(expire_loop(svc.clone())));
        tasks.push(tokio::spawn(sweep_sessions(svc.clone())));
    }
    if let (Some(c), true) = (&svc.cluster, listener.is_some() || judge) {
        tasks.push(c.watch_finished(on_finished(Arc::downgrade(&svc))));
    }
    let trigger = svc.clone();
    tokio::spawn(async move {
        shutdown.await;
        tracing::info!("shutting down: no new jobs; running jobs get a grace period");
        trigger.begin_shutdown();
    });
    let mut stop = svc.shutdown_signal();
    let served = match listener {
        Some(listener) => {
            axum::serve(listener, axum::ServiceExt::<axum::extract::Request>::into_make_service(api::app(svc.clone())))
                .with_graceful_shutdown(async move {
                    let _ = stop.wait_for(|s| *s).await;
                })
                .await
        }
        None => {
            let _ = stop.wait_for(|s| *s).await;
            Ok(())
        }
    };
    svc.begin_shutdown();
    let grace = Duration::from_secs(svc.cfg.shutdown_grace_secs);
    let drained = tokio::time::timeout(grace, async {
        for w in workers {
            let _ = w.await;
        }
    })
    .await;
    if drained.is_err() {
        tracing::warn!("jobs still running after the grace period are put back in the queue");
    }
    if judge {
        match svc.store.requeue_leased().await {
            Ok(0) => {}
            Ok(n) => tracing::warn!(requeued = n, "jobs this process will not finish are queued again"),
            Err(e) => {
                tracing::error!(error = %e, "cannot requeue running jobs; they are requeued at the next start or reclaimed")
            }
        }
        if let Some(c) = &svc.cluster {
            if let Err(e) = c.leave().await {
                tracing::warn!(error = %e, "cannot remove the heartbeat; it expires by itself");
            }
        }
    }
    for t in tasks {
        t.abort();
    }
    served
}

/// Turns "job finished" notifications from every process into wake-ups of
/// this process's waiters, and stops this process's judging of a job that
/// finished elsewhere (cancelled by a server, or judged by another worker
/// after a reclaim): its result would be refused anyway.
fn on_finished(svc: Weak<Service>) -> store::OnFinished {
    Arc::new(move |token: Option<&str>| {
        let Some(svc) = svc.upgrade() else { return };
        match token {
            Some(t) => {
                svc.waiters.finished(t);
                svc.judging.stop(t, false);
            }
            None => {
                svc.waiters.wake_all();
                // Notifications may have been missed: look at what runs here.
                tokio::spawn(async move {
                    for t in svc.judging.tokens() {
                        if let Ok(Some(rec)) = svc.store.get(&t).await {
                            if rec.state == job::JobState::Done {
                                svc.judging.stop(&t, false);
                            }
                        }
                    }
                });
            }
        }
    })
}

/// Deletes results older than the retention period, now and then.
async fn expire_loop(svc: Arc<Service>) {
    let keep = svc.cfg.retention_secs;
    if keep == 0 {
        return;
    }
    let every = Duration::from_secs((keep / 10).clamp(1, 60));
    loop {
        let before = job::now_ms() - (keep as i64).saturating_mul(1000);
        match svc.store.expire(before).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(deleted = n, "expired old results"),
            Err(e) => tracing::error!(error = %e, "cannot expire old results"),
        }
        tokio::time::sleep(every).await;
    }
}

/// Deletes expired sessions, now and then (a lookup refuses an expired
/// session at once; this frees its disk space).
async fn sweep_sessions(svc: Arc<Service>) {
    let Some(sessions) = svc.sessions.clone() else { return };
    loop {
        let s = sessions.clone();
        match tokio::task::spawn_blocking(move || s.sweep(job::now_ms())).await {
            Ok(Ok(0)) => {}
            Ok(Ok(n)) => tracing::info!(deleted = n, "expired sessions deleted"),
            Ok(Err(e)) => tracing::error!(error = %e, "cannot sweep expired sessions"),
            Err(e) => tracing::error!(error = %e, "the session sweep panicked"),
        }
        tokio::time::sleep(Duration::from_secs(15)).await;
    }
}
