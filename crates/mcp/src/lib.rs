//! Flash as a Model Context Protocol server (`flash mcp`), on the official
//! Rust SDK (`rmcp`).
//!
//! Layout:
//! - [`backend`]: where requests go: Flash's native HTTP API in this process
//!   (the router called as a tower service) or at a running service (`--url`).
//! - [`server`]: the MCP server, its run tools (`list_languages`, `run_code`,
//!   `run_tests`, `debug_trace`) and the trace resources; [`sessions`]: the
//!   session tools.
//! - [`params`]: the tools' arguments, whose docs are the schemas' descriptions.
//! - [`format`], [`summary`]: answers turned into text for a model (verdict
//!   first, bounded outputs, the first differing line, a folded trace).
//! - [`traces`]: full traces kept, bounded, for `flash://trace/{id}`.
//!
//! Transports: [`serve_stdio`] (stdout carries protocol only) and
//! [`serve_http`] (Streamable HTTP at `/mcp`).

pub mod backend;
pub mod format;
pub mod params;
pub mod server;
pub mod sessions;
pub mod summary;
pub mod traces;

pub use backend::{Backend, LocalService, Remote};
pub use server::FlashMcp;

use rmcp::transport::streamable_http_server::session::local::LocalSessionManager;
use rmcp::transport::{StreamableHttpServerConfig, StreamableHttpService};
use rmcp::ServiceExt as _;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use traces::{Bounds, Traces};

/// The path the Streamable HTTP endpoint is served at.
pub const HTTP_PATH: &str = "/mcp";

/// Why serving stopped early.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    /// The MCP handshake or transport failed.
    #[error("MCP over stdio failed: {0}")]
    Stdio(String),
    /// The HTTP listener failed.
    #[error("MCP over HTTP failed: {0}")]
    Http(#[from] std::io::Error),
}

/// Serves one client on stdin/stdout until it closes stdin or `shutdown`
/// resolves.
pub async fn serve_stdio(backend: Backend, shutdown: impl Future<Output = ()> + Send) -> Result<(), ServeError> {
    let running =
        FlashMcp::new(backend).serve(rmcp::transport::stdio()).await.map_err(|e| ServeError::Stdio(e.to_string()))?;
    let cancel = running.cancellation_token();
    tokio::select! {
        r = running.waiting() => { r.map_err(|e| ServeError::Stdio(e.to_string()))?; }
        () = shutdown => cancel.cancel(),
    }
    Ok(())
}

/// Serves Streamable HTTP at [`HTTP_PATH`] on `listener` until `shutdown`
/// resolves. Requests must name a loopback host (or the listener's own
/// address), which keeps web pages from reaching a local server through DNS
/// rebinding.
pub async fn serve_http(
    listener: tokio::net::TcpListener,
    backend: Backend,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), ServeError> {
    let addr: SocketAddr = listener.local_addr()?;
    let mut hosts = vec!["localhost".to_owned(), "127.0.0.1".to_owned(), "::1".to_owned()];
    if !addr.ip().is_loopback() && !addr.ip().is_unspecified() {
        hosts.push(addr.ip().to_string());
    }
    let stop = tokio_util::sync::CancellationToken::new();
    let config =
        StreamableHttpServerConfig::default().with_allowed_hosts(hosts).with_cancellation_token(stop.child_token());
    let traces = Arc::new(Traces::new(Bounds::default()));
    let service = StreamableHttpService::new(
        move || Ok(FlashMcp::with_traces(backend.clone(), traces.clone())),
        LocalSessionManager::default().into(),
        config,
    );
    let app = axum::Router::new().nest_service(HTTP_PATH, service);
    axum::serve(listener, app)
        .with_graceful_shutdown(async move {
            shutdown.await;
            stop.cancel();
        })
        .await?;
    Ok(())
}
