//! Flash's HTTP service: `flash serve` as a library.
//!
//! Layout (dependencies point down):
//! - [`api`]: axum routers for the native API, the Judge0-compatible API and
//!   operations, built by [`api::router`] so tests call it in-process.
//! - [`service`]: the shared state: configuration, store, judge, admission
//!   control (503 when the queue is full) and per-token wait notifications.
//! - [`workers`]: tasks that lease jobs and judge them on the blocking pool.
//! - [`store`]: the durable queue and results behind the [`store::JobStore`]
//!   trait; [`store::sqlite`] is the embedded backend.
//! - [`judge`]: the [`judge::Judge`] trait the engine implements (tests use a
//!   fake) and the language table with Judge0's ids.
//! - [`job`], [`extract`], [`callback`], [`metrics`], [`config`]: the pieces.
//!
//! [`run`] serves a listener until a shutdown future resolves, mini-redis
//! style: stop accepting, end waits, let running jobs finish for a grace
//! period, requeue what is still running.

pub mod api;
pub mod callback;
pub mod client;
pub mod config;
pub mod extract;
pub mod job;
pub mod judge;
pub mod metrics;
pub mod service;
pub mod store;
pub mod workers;

pub use config::ServerConfig;
pub use service::Service;

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

/// Serves `listener` with `svc` until `shutdown` resolves, then shuts down
/// gracefully. Workers, expiry and the HTTP server all run inside.
pub async fn run(
    listener: tokio::net::TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
    svc: Arc<Service>,
) -> std::io::Result<()> {
    let workers = workers::spawn(&svc);
    let expiry = tokio::spawn(expire_loop(svc.clone()));
    let trigger = svc.clone();
    tokio::spawn(async move {
        shutdown.await;
        tracing::info!("shutting down: no new jobs; running jobs get a grace period");
        trigger.begin_shutdown();
    });
    let mut stop = svc.shutdown_signal();
    let app = api::router(svc.clone());
    let served = axum::serve(listener, app)
        .with_graceful_shutdown(async move {
            let _ = stop.wait_for(|s| *s).await;
        })
        .await;
    svc.begin_shutdown();
    let grace = Duration::from_secs(svc.cfg.shutdown_grace_secs);
    let drained = tokio::time::timeout(grace, async {
        for w in workers {
            let _ = w.await;
        }
    })
    .await;
    if drained.is_err() {
        match svc.store.requeue_leased().await {
            Ok(n) => tracing::warn!(requeued = n, "jobs still running after the grace period are queued again"),
            Err(e) => tracing::error!(error = %e, "cannot requeue running jobs; they are requeued at the next start"),
        }
    }
    expiry.abort();
    served
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
