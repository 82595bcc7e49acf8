//! `flash mcp`: Flash as a Model Context Protocol server (crate `flash-mcp`),
//! over stdio (default) or Streamable HTTP (`--http ADDR`, path `/mcp`).
//!
//! The tools speak Flash's native HTTP API. Embedded (default), the API is
//! the service `flash serve` builds (same configuration flags, file and
//! `FLASH_*` variables; its own sandbox pool), called in-process as a tower
//! service, with no socket; its queue is a private database deleted at exit,
//! the compile cache is the data directory's. With `--url`, the API is a
//! running Flash service's.

use crate::serve;
use anyhow::Context;
use clap::Args;
use flash_mcp::{Backend, LocalService, Remote};
use flash_server::store::sqlite::SqliteStore;
use flash_server::Service;
use std::sync::Arc;
use std::time::Duration;
use tower::ServiceExt as _;

/// `flash mcp` flags. The embedded service takes every `flash serve` setting.
#[derive(Args, Debug)]
#[command(mut_arg("listen", |a| a.hide(true)))]
#[command(after_help = "Claude Desktop and other clients: see docs/mcp.md. In stdio mode, stdout \
carries the protocol only; logs go to stderr.")]
pub struct McpArgs {
    /// Serve MCP over Streamable HTTP on this address (e.g. 127.0.0.1:8808; endpoint /mcp)
    /// instead of stdio.
    #[arg(long, env = "FLASH_MCP_HTTP", value_name = "ADDR")]
    http: Option<String>,
    /// Use the running Flash service at this URL (http://host:port) instead of an embedded one.
    #[arg(long, env = "FLASH_MCP_URL", value_name = "URL")]
    url: Option<String>,
    /// The service's token, sent as X-Auth-Token (with --url).
    #[arg(long, env = "FLASH_MCP_TOKEN", requires = "url", hide_env_values = true)]
    token: Option<String>,
    #[command(flatten)]
    serve: serve::ServeArgs,
}

/// Serves until the client goes (stdio) or SIGTERM/Ctrl-C.
pub fn main(a: McpArgs) -> anyhow::Result<i32> {
    let cfg = serve::load(&a.serve)?;
    if a.serve.print_config {
        print!("{}", toml::to_string(&cfg).context("printing the configuration")?);
        return Ok(0);
    }
    // Logs go to stderr (stdout is the protocol in stdio mode).
    serve::init_logging(&cfg)?;
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build().context("starting the async runtime")?;
    let served = match &a.url {
        Some(url) => {
            let remote = Remote::new(url, a.token.as_deref())?;
            rt.block_on(transport(&a, Backend::Remote(remote)))
        }
        None => embedded(&a, cfg, &rt),
    };
    rt.shutdown_timeout(Duration::from_secs(1));
    served.map(|()| 0)
}

/// The embedded service: the engine and pool of `flash serve`, its workers,
/// and its router as the backend.
fn embedded(a: &McpArgs, mut cfg: flash_server::ServerConfig, rt: &tokio::runtime::Runtime) -> anyhow::Result<()> {
    if cfg.redis_url.is_some() {
        anyhow::bail!(
            "flash mcp's embedded service keeps its own queue and does not use Redis; to use a \
             Redis-backed Flash, run `flash server` and give flash mcp its address with --url"
        );
    }
    let (engine, _table) = serve::engine(&cfg, "flash mcp")?;
    // A private queue: a `flash serve` on the same data directory must not
    // take this process's jobs (its waiters would never hear of them).
    let private = tempfile::Builder::new()
        .prefix("mcp-")
        .tempdir_in(&cfg.data_dir)
        .with_context(|| format!("creating a queue directory in {}", cfg.data_dir.display()))?;
    let store = Arc::new(SqliteStore::open(&private.path().join("jobs.db"), false)?);
    // Nothing is left for a next start to requeue: do not wait long at exit.
    cfg.shutdown_grace_secs = cfg.shutdown_grace_secs.min(5);
    let token = cfg.auth_token.clone();
    rt.block_on(async {
        let svc = Service::open_with(cfg, store, engine, None).await?;
        let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
        let workers = tokio::spawn(flash_server::run_worker(
            async move {
                let _ = stop_rx.await;
            },
            svc.clone(),
        ));
        let expiry = tokio::spawn(forget_old_results(svc.clone()));
        let served = transport(a, Backend::Local(local(svc, token))).await;
        expiry.abort();
        let _ = stop_tx.send(());
        let _ = workers.await;
        served
    })?;
    drop(private);
    Ok(())
}

/// Finished runs are wanted only until their tool call has answered: those
/// older than [`KEEP_RESULTS`] are deleted now and then, so a long-lived
/// server's private queue does not grow.
async fn forget_old_results(svc: Arc<Service>) {
    loop {
        tokio::time::sleep(Duration::from_secs(60)).await;
        let before = flash_server::job::now_ms() - KEEP_RESULTS.as_millis() as i64;
        if let Err(e) = svc.store.expire(before).await {
            tracing::warn!(error = %e, "cannot delete old results");
        }
    }
}

/// How long finished runs stay in the embedded queue.
const KEEP_RESULTS: Duration = Duration::from_secs(600);

/// The service's router as a tower service, with the service's own token
/// (if it has one) on every request.
fn local(svc: Arc<Service>, token: Option<String>) -> LocalService {
    let header = token.and_then(|t| axum::http::HeaderValue::from_str(&t).ok());
    let router = flash_server::api::router(svc).map_request(move |mut req: axum::http::Request<axum::body::Body>| {
        if let Some(h) = &header {
            req.headers_mut().insert("x-auth-token", h.clone());
        }
        req
    });
    LocalService::new(router)
}

async fn transport(a: &McpArgs, backend: Backend) -> anyhow::Result<()> {
    let stop = serve::shutdown_signal();
    match &a.http {
        None => {
            tracing::info!("flash mcp: serving MCP on stdio");
            flash_mcp::serve_stdio(backend, stop).await?;
        }
        Some(addr) => {
            let listener = tokio::net::TcpListener::bind(addr).await.with_context(|| format!("listening on {addr}"))?;
            let bound = listener.local_addr()?;
            tracing::info!(%bound, "flash mcp: serving MCP over Streamable HTTP");
            // One line on stdout for scripts that start it on port 0.
            println!("flash mcp: listening on http://{bound}{}", flash_mcp::HTTP_PATH);
            flash_mcp::serve_http(listener, backend, stop).await?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        mcp: McpArgs,
    }

    fn parse(args: &[&str]) -> Result<McpArgs, clap::Error> {
        Cli::try_parse_from(std::iter::once("mcp").chain(args.iter().copied())).map(|c| c.mcp)
    }

    #[test]
    fn transports_backends_and_the_serve_settings_parse() {
        let a = parse(&["--http", "127.0.0.1:0", "--url", "http://127.0.0.1:2358", "--token", "t"]).unwrap();
        assert_eq!(
            (a.http.as_deref(), a.url.as_deref(), a.token.as_deref()),
            (Some("127.0.0.1:0"), Some("http://127.0.0.1:2358"), Some("t"))
        );
        let a = parse(&["--workers", "3", "--max-cpu-time-limit", "2"]).unwrap();
        assert_eq!(a.http, None, "stdio by default");
        let cfg = serve::load(&a.serve).unwrap();
        assert_eq!((cfg.workers, cfg.limits.cpu_time_limit), (3, 2.0), "the embedded service is configured as serve");
        let e = parse(&["--token", "t"]).err().unwrap().to_string();
        assert!(e.contains("--url"), "a token without a service to send it to: {e}");
    }

    #[test]
    fn serve_s_listen_address_is_not_offered() {
        use clap::CommandFactory;
        let help = Cli::command().render_long_help().to_string();
        assert!(help.contains("--http") && help.contains("--data-dir"), "{help}");
        assert!(!help.contains("--listen"), "flash mcp listens with --http: {help}");
    }
}
