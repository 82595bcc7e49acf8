//! `flash worker`: pulls jobs from Redis and judges them, N at a time (one
//! sandbox slot each; root needed), with no HTTP. It publishes its language
//! table for the servers and a heartbeat every 2 s (`/workers`, `/metrics`).
//! Started before Redis, it waits for it. On SIGTERM it stops taking jobs,
//! lets running ones finish for the grace period, then hands back to the
//! queue whatever is still running.

use crate::serve::{connect, engine, init_logging, load, publish, shutdown_signal, ServeArgs};
use anyhow::{bail, Context};
use clap::Args;
use flash_server::store::Cluster;
use flash_server::Service;
use std::time::Duration;

/// `flash worker` flags: those of `flash serve`; `--redis` is required.
#[derive(Args, Debug)]
#[command(after_help = "Takes the flags and configuration file of `flash serve`; the HTTP keys (listen, \
limits, auth) are not used here. --workers N (default: the number of cores) jobs run at once.")]
pub struct WorkerArgs {
    #[command(flatten)]
    base: ServeArgs,
}

/// Runs the worker until SIGTERM or Ctrl-C.
pub fn main(a: WorkerArgs) -> anyhow::Result<i32> {
    let cfg = load(&a.base)?;
    if a.base.print_config {
        print!("{}", toml::to_string(&cfg).context("printing the configuration")?);
        return Ok(0);
    }
    if cfg.redis_url.is_none() {
        bail!("flash worker needs Redis: pass --redis redis://HOST:PORT or set FLASH_REDIS_URL");
    }
    init_logging(&cfg)?;
    let (engine, table) = engine(&cfg, "flash worker")?;
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build().context("starting the async runtime")?;
    let ran = rt.block_on(async move {
        let redis = connect(&cfg).await?.expect("a Redis URL was checked above");
        publish(&redis, &table).await?;
        let workers = cfg.workers;
        let svc = Service::open_with(cfg, redis.clone(), engine, Some(redis.clone())).await?;
        let stop = shutdown_signal();
        tracing::info!(id = redis.id(), workers, "flash worker is taking jobs");
        // One line on stdout for scripts and tests.
        println!("flash worker: {} taking jobs, {workers} at a time", redis.id());
        flash_server::run_worker(stop, svc).await;
        tracing::info!("flash worker stopped");
        anyhow::Ok(())
    });
    // Jobs still in the sandbox after the grace period were handed back; do not wait for them.
    rt.shutdown_timeout(Duration::from_secs(1));
    ran.map(|()| 0)
}
