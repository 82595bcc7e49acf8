//! Operations: `GET /health` (unauthenticated, for load balancers),
//! `GET /metrics` (Prometheus text), `GET /openapi.json` (both APIs).
//! With a shared store, `workers` in `/health` counts the slots of every live
//! worker (from heartbeats), so a server with no worker behind it says 0.

use crate::api::error::ErrorBody;
use crate::api::{json, AppState};
use crate::service::Service;
use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Extension;
use serde::Serialize;
use std::sync::Arc;
use utoipa::ToSchema;
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
            Health {
                status: "ok",
                workers: Some(workers),
                queued: Some(c.queued),
                processing: Some(c.processing),
                languages: Some(svc.langs.all().len()),
                warming: Some(svc.judge.warming()),
            },
        ),
        Ok(_) => json(StatusCode::SERVICE_UNAVAILABLE, Health::down("shutting down")),
        Err(e) => {
            tracing::error!(error = %e, "health check: the store failed");
            json(StatusCode::SERVICE_UNAVAILABLE, Health::down("store unavailable"))
        }
    }
}

/// `GET /health`'s answer; unhealthy, only `status`.
#[derive(Serialize, ToSchema)]
pub struct Health {
    /// `ok`, `shutting down` or `store unavailable`.
    status: &'static str,
    /// Sandbox slots of the live workers.
    #[serde(skip_serializing_if = "Option::is_none")]
    workers: Option<u64>,
    /// Jobs waiting.
    #[serde(skip_serializing_if = "Option::is_none")]
    queued: Option<u64>,
    /// Jobs being judged.
    #[serde(skip_serializing_if = "Option::is_none")]
    processing: Option<u64>,
    /// Languages offered.
    #[serde(skip_serializing_if = "Option::is_none")]
    languages: Option<usize>,
    /// Precompiled headers or warm-runtime archives are being built in the
    /// background: judging works, more slowly, until they are ready.
    #[serde(skip_serializing_if = "Option::is_none")]
    warming: Option<bool>,
}

impl Health {
    fn down(status: &'static str) -> Health {
        Health { status, workers: None, queued: None, processing: None, languages: None, warming: None }
    }
}

/// Prometheus metrics.
#[utoipa::path(get, path = "/metrics", tag = "ops",
    responses((status = 200, description = "Text exposition", body = String, content_type = "text/plain"),
        (status = 401, description = "Not authenticated", body = ErrorBody)))]
async fn metrics(State(svc): AppState) -> Result<Response, super::ApiError> {
    let text = svc.render_metrics().await?;
    Ok(([(header::CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")], text).into_response())
}

/// This document.
#[utoipa::path(get, path = "/openapi.json", tag = "ops",
    responses((status = 200, description = "The OpenAPI document", body = Object),
        (status = 401, description = "Not authenticated", body = ErrorBody)))]
async fn openapi(State(svc): AppState, Extension(doc): Extension<Arc<utoipa::openapi::OpenApi>>) -> Response {
    json(StatusCode::OK, super::openapi::spec(&svc, &doc))
}
