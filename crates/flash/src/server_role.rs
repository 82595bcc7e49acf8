//! `flash server`: the HTTP APIs only, over Redis. Stateless: every job,
//! result and counter is in Redis, so any number of servers can sit behind a
//! load balancer, each answering for any token. It needs neither root nor
//! compilers: it serves the language table the workers publish (and waits
//! for one to do so when started first).

use crate::serve::{connect, init_logging, load, shutdown_signal, ServeArgs};
use anyhow::{bail, Context};
use clap::Args;
use flash_server::judge::{LanguageTable, TableJudge};
use flash_server::Service;
use std::sync::Arc;
use std::time::Duration;

/// `flash server` flags: those of `flash serve`; `--redis` is required.
#[derive(Args, Debug)]
#[command(after_help = "Takes the flags and configuration file of `flash serve`; the worker keys (workers, \
data_dir, languages, fsync) are not used here. Start `flash worker` processes on the same Redis to run the jobs.")]
pub struct ServerArgs {
    #[command(flatten)]
    base: ServeArgs,
}

/// Runs the HTTP server until SIGTERM or Ctrl-C.
pub fn main(a: ServerArgs) -> anyhow::Result<i32> {
    let cfg = load(&a.base)?;
    if a.base.print_config {
        print!("{}", toml::to_string(&cfg).context("printing the configuration")?);
        return Ok(0);
    }
    if cfg.redis_url.is_none() {
        bail!("flash server needs Redis: pass --redis redis://HOST:PORT or set FLASH_REDIS_URL (or use `flash serve`)");
    }
    init_logging(&cfg)?;
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build().context("starting the async runtime")?;
    let served = rt.block_on(async move {
        let redis = connect(&cfg).await?.expect("a Redis URL was checked above");
        let table = LanguageTable::wait_published(&*redis).await.map_err(anyhow::Error::msg)?;
        let registry = table.registry().context("rebuilding the workers' language table")?;
        let judge = Arc::new(TableJudge::of(&registry));
        let listener =
            tokio::net::TcpListener::bind(&cfg.listen).await.with_context(|| format!("listening on {}", cfg.listen))?;
        let addr = listener.local_addr()?;
        let svc = Service::open_with(cfg, redis.clone(), judge, Some(redis)).await?;
        let stop = shutdown_signal();
        tracing::info!(%addr, "flash server is listening");
        // One line on stdout for scripts that start the server on port 0.
        println!("flash server: listening on http://{addr}");
        flash_server::run_http(listener, stop, svc).await?;
        tracing::info!("flash server stopped");
        anyhow::Ok(())
    });
    rt.shutdown_timeout(Duration::from_secs(1));
    served.map(|()| 0)
}
