//! Problem packages: `POST /packages` (the archive as the body: zip, tar or
//! tar.gz) answers the package's id and what Flash read in it; `GET
//! /packages/{id}` answers the same later. A native submission then names the
//! package by id (`package` in `POST /create`). See [`crate::packages`].

use crate::api::openapi::{Binary, Refusals};
use crate::api::{json, ApiError, AppState};
use crate::packages::{is_id, metadata, store_id, PackageFailure, PackageView};
use crate::service::Service;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, FromRequest, Path, Request, State};
use axum::http::StatusCode;
use axum::response::Response;
use std::sync::Arc;
use utoipa_axum::router::{OpenApiRouter, UtoipaMethodRouterExt};
use utoipa_axum::routes;

/// The package routes; the upload has its own body limit (`max_package_size`).
pub fn routes(max_bytes: usize) -> OpenApiRouter<Arc<Service>> {
    OpenApiRouter::new().routes(routes!(upload).layer(DefaultBodyLimit::max(max_bytes))).routes(routes!(info))
}

/// Upload a problem package (ICPC/Kattis format) once; submissions name it by id.
///
/// The body is the archive: zip, tar or tar.gz, the package at its root or in
/// one folder. Its id is the BLAKE3 hash of its content (entries sorted by
/// path), so the same package uploaded again, in any of the formats, has the
/// same id. A refused archive is a 422 naming `archive` (an entry and why) or
/// `package` (a file of the package and why).
#[utoipa::path(post, path = "/packages", tag = "packages",
    request_body(content(
        (Binary = "application/zip"),
        (Binary = "application/x-tar"),
        (Binary = "application/gzip"),
        (Binary = "application/octet-stream"),
    )),
    responses((status = 201, description = "Stored", body = PackageView), Refusals))]
async fn upload(State(svc): AppState, req: Request) -> Result<Response, ApiError> {
    let max = svc.cfg.max_package_size as usize * 1024;
    let body = match Bytes::from_request(req, &()).await {
        Ok(b) => b,
        Err(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => return Err(ApiError::TooLarge(max)),
        Err(e) => return Err(ApiError::BadRequest(format!("cannot read the body: {e}"))),
    };
    if body.is_empty() {
        return Err(ApiError::field("archive", "the body must be the package as a zip, tar or tar.gz archive"));
    }
    let (id, pkg) = svc.packages.add(body.to_vec()).await.map_err(refusal)?;
    // Stored (again: that renews it) so that every worker can fetch it.
    svc.store.put_file(&store_id(&id), &body, crate::job::now_ms()).await?;
    tracing::info!(package = %id, name = %pkg.name, bytes = body.len(), "package uploaded");
    Ok(json(StatusCode::CREATED, metadata(&id, &pkg)))
}

/// What Flash read in an uploaded package.
#[utoipa::path(get, path = "/packages/{id}", tag = "packages",
    params(("id" = String, Path, pattern = "^[0-9a-f]{64}$", description = "The id POST /packages answered")),
    responses((status = 200, description = "The package", body = PackageView), Refusals))]
async fn info(State(svc): AppState, Path(id): Path<String>) -> Result<Response, ApiError> {
    if !is_id(&id) {
        return Err(ApiError::BadRequest("a package id is 64 hex digits, as POST /packages answers".into()));
    }
    match svc.packages.get(&*svc.store, &id).await {
        Ok(pkg) => Ok(json(StatusCode::OK, metadata(&id, &pkg))),
        Err(PackageFailure::Unknown(_)) => Err(ApiError::NotFound(format!("no package {id}"))),
        Err(e) => Err(refusal(e)),
    }
}

/// A refused upload is a 422 naming what is wrong: `archive` (an entry, or
/// the archive as a whole) or `package` (a file of the package).
fn refusal(e: PackageFailure) -> ApiError {
    match e {
        PackageFailure::Archive(a) => ApiError::field("archive", a.to_string()),
        PackageFailure::Invalid(why) => ApiError::field("package", why),
        PackageFailure::Unknown(id) => ApiError::field("package", format!("unknown package {id}")),
        PackageFailure::Internal(detail) => ApiError::Internal(detail),
    }
}
