//! Operations: `GET /health` (unauthenticated, for load balancers),
//! `GET /metrics` (Prometheus text), `GET /openapi.json` (both APIs).
//! With a shared store, `workers` in `/health` counts the slots of every live
//! worker (from heartbeats), so a server with no worker behind it says 0.

use crate::api::openapi::{Error, Health};
use crate::api::{json, AppState};
use crate::service::Service;
use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Extension;
use serde_json::json;
use std::sync::Arc;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// The operations routes.
pub fn routes() -> OpenApiRouter<Arc<Service>> {
    OpenApiRouter::new().routes(routes!(health)).routes(routes!(metrics)).routes(routes!(openapi))
}

/// Liveness and queue counts (no auth).
#[utoipa::path(get, path = "/health", tag = "ops",
    responses((status = 200, description = "Healthy", body = Health), (status = 503, description = "Unhealthy", body = Health)))]
async fn health(State(svc): AppState) -> Response {
    let workers = match &svc.cluster {
        Some(c) => c.live_workers().await.map(|w| w.iter().map(|w| w.slots).sum::<u64>()),
        None => Ok(svc.cfg.workers as u64),
    };
    match svc.store.counts().await.and_then(|c| workers.map(|w| (c, w))) {
        Ok((c, workers)) if !svc.is_shutting_down() => json(
            StatusCode::OK,
            json!({
                "status": "ok",
                "workers": workers,
                "queued": c.queued,
                "processing": c.processing,
                "languages": svc.langs.all().len(),
                "warming": svc.judge.warming(),
            }),
        ),
        Ok(_) => json(StatusCode::SERVICE_UNAVAILABLE, json!({"status": "shutting down"})),
        Err(e) => {
            tracing::error!(error = %e, "health check: the store failed");
            json(StatusCode::SERVICE_UNAVAILABLE, json!({"status": "store unavailable"}))
        }
    }
}

/// Prometheus metrics.
#[utoipa::path(get, path = "/metrics", tag = "ops",
    responses((status = 200, description = "Text exposition", body = String, content_type = "text/plain"),
        (status = 401, description = "Not authenticated", body = Error)))]
async fn metrics(State(svc): AppState) -> Result<Response, super::ApiError> {
    let text = svc.render_metrics().await?;
    Ok(([(header::CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")], text).into_response())
}

/// This document.
#[utoipa::path(get, path = "/openapi.json", tag = "ops",
    responses((status = 200, description = "The OpenAPI document", body = Object),
        (status = 401, description = "Not authenticated", body = Error)))]
async fn openapi(State(svc): AppState, Extension(doc): Extension<Arc<utoipa::openapi::OpenApi>>) -> Response {
    json(StatusCode::OK, super::openapi::spec(&svc, &doc))
}
