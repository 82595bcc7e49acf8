//! Operations: `GET /health` (unauthenticated, for load balancers),
//! `GET /metrics` (Prometheus text), `GET /openapi.json` (both APIs).

use crate::api::{json, AppState};
use crate::service::Service;
use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use serde_json::json;
use std::sync::Arc;

/// The operations routes.
pub fn routes() -> Router<Arc<Service>> {
    Router::new().route("/health", get(health)).route("/metrics", get(metrics)).route("/openapi.json", get(openapi))
}

async fn health(State(svc): AppState) -> Response {
    match svc.store.counts().await {
        Ok(c) if !svc.is_shutting_down() => json(
            StatusCode::OK,
            json!({
                "status": "ok",
                "workers": svc.cfg.workers,
                "queued": c.queued,
                "processing": c.processing,
                "languages": svc.langs.all().len(),
            }),
        ),
        Ok(_) => json(StatusCode::SERVICE_UNAVAILABLE, json!({"status": "shutting down"})),
        Err(e) => {
            tracing::error!(error = %e, "health check: the store failed");
            json(StatusCode::SERVICE_UNAVAILABLE, json!({"status": "store unavailable"}))
        }
    }
}

async fn metrics(State(svc): AppState) -> Response {
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")], svc.render_metrics()).into_response()
}

async fn openapi(State(svc): AppState) -> Response {
    json(StatusCode::OK, super::openapi::spec(&svc))
}
