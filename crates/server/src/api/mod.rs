//! The HTTP surface, built by [`router`] so tests can call it in-process;
//! [`app`] wraps it in what must happen before routing (CORS preflights, path
//! normalisation), and is what the server serves.
//!
//! - [`native`]: `POST /create`, `GET /check/{token}`.
//! - [`judge0`]: the Judge0 CE 1.13.1 API (`/submissions`, `/languages`, ...).
//! - [`piston`]: the Piston v2 API (`/api/v2/runtimes`, `/api/v2/execute`).
//! - [`jobe`]: the Jobe REST API (`/jobe/index.php/restapi/...`), Moodle CodeRunner's.
//! - [`sessions`]: workspaces that live across runs (`/sessions/...`).
//! - [`packages`]: problem packages uploaded once (`/packages`), judged by id.
//! - [`debug`]: `POST /debug`, a recorded step-by-step trace.
//! - [`live`]: WebSocket runs (`/live`, Piston's `/api/v2/connect`).
//! - [`ops`]: `/health`, `/metrics`, `/openapi.json` (built by [`openapi`]).
//! - [`error`]: [`ApiError`], the one way a handler says no.
//!
//! Every route is registered through [`utoipa_axum`]'s `routes!` from a
//! handler carrying `#[utoipa::path]`, so the OpenAPI document lists exactly
//! what the router answers.
//!
//! Shared here: authentication, the JSON body extractor (413 over the size
//! limit, 400 for malformed JSON), query parameters and token checks.

pub mod debug;
pub mod error;
pub mod fields;
pub mod jobe;
pub mod judge0;
pub mod live;
pub mod native;
pub mod openapi;
pub mod ops;
pub mod packages;
pub mod piston;
pub mod sessions;

pub use error::{ApiError, FieldErrors};

use crate::service::Service;
use axum::extract::{DefaultBodyLimit, FromRequest, Query, Request, State};
use axum::http::{HeaderMap, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::Router;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;
use tower_http::cors::{AllowOrigin, Any, CorsLayer};
use utoipa_axum::router::{OpenApiRouter, UtoipaMethodRouter};

/// The shared state every handler gets.
pub type AppState = State<Arc<Service>>;

/// What the server serves: [`router`] behind CORS and path normalisation.
pub type App = tower_http::cors::Cors<tower::util::MapRequest<Router, fn(Request) -> Request>>;

/// The application as served. Outside the router, because both must act
/// before a route is chosen: a CORS preflight (`OPTIONS`) is answered for
/// every path, with no token needed, and `Access-Control-Allow-Origin` is on
/// every answer (errors included); `/submissions/`, `//submissions` and
/// `/languages/` reach the same routes as without the extra slashes, as with
/// Judge0's router.
pub fn app(svc: Arc<Service>) -> App {
    let cors = cors(&svc.cfg.cors_allowed_origins);
    let normalize: fn(Request) -> Request = normalize_path;
    tower::Layer::layer(&cors, tower::util::MapRequest::new(router(svc), normalize))
}

/// Judge0's CORS (rack-cors): any header, the usual methods, the configured origins.
fn cors(origins: &[String]) -> CorsLayer {
    let origin = if origins.iter().any(|o| o == "*") {
        AllowOrigin::any()
    } else {
        AllowOrigin::list(origins.iter().filter_map(|o| o.parse().ok()))
    };
    CorsLayer::new()
        .allow_origin(origin)
        .allow_methods(Any)
        .allow_headers(Any)
        .expose_headers(Any)
        .max_age(Duration::from_secs(7200))
}

/// Collapses runs of `/` and drops a trailing one (the query is kept).
pub fn normalize_path(mut req: Request) -> Request {
    let path = req.uri().path();
    if !path.contains("//") && (path.len() == 1 || !path.ends_with('/')) {
        return req;
    }
    let mut clean = String::with_capacity(path.len());
    for part in path.split('/').filter(|p| !p.is_empty()) {
        clean.push('/');
        clean.push_str(part);
    }
    if clean.is_empty() {
        clean.push('/');
    }
    if let Some(q) = req.uri().query() {
        clean.push('?');
        clean.push_str(q);
    }
    let mut parts = req.uri().clone().into_parts();
    if let Ok(pq) = clean.parse() {
        parts.path_and_query = Some(pq);
        if let Ok(uri) = axum::http::Uri::from_parts(parts) {
            *req.uri_mut() = uri;
        }
    }
    req
}

/// Every API route with its description; `max_package_bytes` bounds an
/// uploaded package.
pub fn routes(max_package_bytes: usize) -> OpenApiRouter<Arc<Service>> {
    OpenApiRouter::with_openapi(<openapi::Shared as utoipa::OpenApi>::openapi())
        .merge(native::routes())
        .merge(judge0::routes())
        .merge(piston::routes())
        .merge(jobe::routes())
        .merge(ops::routes())
        .merge(debug::routes())
        .merge(live::routes())
        .merge(sessions::routes())
        .merge(packages::routes(max_package_bytes))
}

/// Routes written for a prefix-free path, registered (and described) under
/// `prefix`, for APIs served under two prefixes. Each copy's operation ids
/// name the prefix, so they stay unique.
pub fn under<S>(prefix: &str, (schemas, paths, router): UtoipaMethodRouter<S>) -> UtoipaMethodRouter<S> {
    let mut prefixed = utoipa::openapi::path::Paths::new();
    let slug: String = prefix.chars().map(|c| if c.is_ascii_alphanumeric() { c } else { '_' }).collect();
    for (path, mut item) in paths.paths {
        let ops = [&mut item.get, &mut item.put, &mut item.post, &mut item.delete, &mut item.head, &mut item.patch];
        for op in ops.into_iter().flatten() {
            op.operation_id = op.operation_id.take().map(|id| format!("{id}{slug}"));
        }
        prefixed.paths.insert(format!("{prefix}{path}"), item);
    }
    (schemas, prefixed, router)
}

/// The whole application.
pub fn router(svc: Arc<Service>) -> Router {
    let limit = svc.cfg.max_body_size;
    let (api, doc) = routes(svc.cfg.max_package_size as usize * 1024).split_for_parts();
    Router::new()
        .merge(api)
        .layer(axum::Extension(Arc::new(doc)))
        .fallback(|| async { ApiError::NotFound("no such endpoint".into()) })
        .layer(middleware::from_fn_with_state(svc.clone(), authenticate))
        // The playground's page and assets load without a token; what it calls needs one.
        .merge(flash_playground::router())
        .layer(DefaultBodyLimit::max(limit))
        .layer(axum::Extension(BodyLimit(limit)))
        .layer(tower_http::timeout::RequestBodyTimeoutLayer::new(Duration::from_secs(30)))
        .layer(tower_http::catch_panic::CatchPanicLayer::custom(on_panic))
        .layer(tower_http::trace::TraceLayer::new_for_http())
        .with_state(svc)
}

fn on_panic(_: Box<dyn std::any::Any + Send + 'static>) -> Response {
    ApiError::Internal("a handler panicked".into()).into_response()
}

/// `X-Auth-Token` (header or query parameter, as Judge0 accepts) when
/// configured. Jobe clients send `X-API-KEY` instead: there the Jobe key or
/// the auth token is accepted (see [`jobe`]).
///
/// A named API key (or the auth token, as the key `token`) is checked
/// against its limits, and the request runs with the key's name in its log
/// span and in [`crate::keys::CURRENT`], which stamps the jobs it submits.
async fn authenticate(State(svc): AppState, req: Request, next: Next) -> Response {
    let jobe = req.uri().path().starts_with("/jobe/");
    let key = ["x-auth-token", "x-api-key"]
        .iter()
        .filter(|h| jobe || **h == "x-auth-token")
        .find_map(|h| presented_value(&req, h).and_then(|v| svc.keys.find(&v)));
    let Some(key) = key else {
        if jobe {
            return match jobe::authenticate(&svc, &req) {
                Ok(()) => next.run(req).await,
                Err(e) => e.into_response(),
            };
        }
        if svc.keys.required() && req.uri().path() != "/health" {
            return ApiError::Unauthorized.into_response();
        }
        return next.run(req).await;
    };
    let admitted = match key.admit() {
        Ok(a) => a,
        Err(limited) => {
            tracing::info!(key = %key.cfg.name, "{}", limited.msg);
            return ApiError::Limited(limited).into_response();
        }
    };
    let name: std::sync::Arc<str> = key.cfg.name.as_str().into();
    let span = tracing::info_span!("key", key = %name);
    let headers = admitted.headers.clone();
    // Held here until the response is made (the handler drops its request
    // early), unless the handler takes it for work that outlives the response.
    let place = crate::keys::Place(std::sync::Arc::new(std::sync::Mutex::new(Some(admitted))));
    let mut req = req;
    req.extensions_mut().insert(place.clone());
    let run = crate::keys::CURRENT.scope(name, next.run(req));
    let mut resp = tracing::Instrument::instrument(run, span).await;
    drop(place);
    resp.headers_mut().extend(headers);
    resp
}

/// A header's value, else the query parameter of that name.
fn presented_value(req: &Request, name: &str) -> Option<String> {
    if let Some(v) = req.headers().get(name) {
        return v.to_str().ok().map(str::to_owned);
    }
    Params::parse(req.uri().query().unwrap_or("")).get_ci(name).map(str::to_owned)
}

/// Judge0's authorization (`X-Auth-User`) for listing and deleting submissions.
pub fn authorize(svc: &Service, headers: &HeaderMap, query: &Params) -> Result<(), ApiError> {
    let want = svc.cfg.authz_token.as_deref().ok_or(ApiError::Forbidden)?;
    let got = headers.get("x-auth-user").and_then(|v| v.to_str().ok()).or_else(|| query.get_ci("x-auth-user"));
    match got {
        Some(g) if same(g.as_bytes(), want.as_bytes()) => Ok(()),
        _ => Err(ApiError::Forbidden),
    }
}

pub(crate) fn presented(req: &Request, name: &str, want: &str) -> bool {
    if let Some(v) = req.headers().get(name).and_then(|v| v.to_str().ok()) {
        return same(v.as_bytes(), want.as_bytes());
    }
    let q = req.uri().query().unwrap_or("");
    Params::parse(q).get_ci(name).is_some_and(|v| same(v.as_bytes(), want.as_bytes()))
}

/// Compares secrets in time independent of where they differ.
fn same(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Query parameters (last value wins).
#[derive(Debug, Default, Clone)]
pub struct Params(HashMap<String, String>);

impl Params {
    fn parse(q: &str) -> Params {
        Query::<HashMap<String, String>>::try_from_uri(&format!("/?{q}").parse().unwrap_or_default())
            .map(|Query(m)| Params(m))
            .unwrap_or_default()
    }

    /// A parameter.
    pub fn get(&self, k: &str) -> Option<&str> {
        self.0.get(k).map(String::as_str)
    }

    fn get_ci(&self, k: &str) -> Option<&str> {
        self.0.iter().find(|(n, _)| n.eq_ignore_ascii_case(k)).map(|(_, v)| v.as_str())
    }

    /// A boolean flag: absent is `false`; "true"/"false" (and 1/0) only.
    pub fn flag(&self, k: &str) -> Result<bool, ApiError> {
        match self.get(k) {
            None => Ok(false),
            Some(v) => match v.to_ascii_lowercase().as_str() {
                "true" | "1" => Ok(true),
                "false" | "0" | "" => Ok(false),
                _ => Err(ApiError::BadRequest(format!("invalid {k}: {v:?} (expected true or false)"))),
            },
        }
    }
}

impl<S: Send + Sync> axum::extract::FromRequestParts<S> for Params {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut axum::http::request::Parts, _: &S) -> Result<Self, Self::Rejection> {
        match Query::<HashMap<String, String>>::try_from_uri(&parts.uri) {
            Ok(Query(m)) => Ok(Params(m)),
            Err(e) => Err(ApiError::BadRequest(format!("invalid query string: {e}"))),
        }
    }
}

/// A JSON body: 413 over the size limit, 400 when not JSON; empty is `{}`.
pub struct JsonBody(pub serde_json::Value);

impl<S: Send + Sync> FromRequest<S> for JsonBody {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let limit = req.extensions().get::<BodyLimit>().map_or(0, |l| l.0);
        let bytes = match axum::body::Bytes::from_request(req, state).await {
            Ok(b) => b,
            Err(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => return Err(ApiError::TooLarge(limit)),
            Err(e) => return Err(ApiError::BadRequest(format!("cannot read the body: {e}"))),
        };
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Ok(JsonBody(serde_json::Value::Object(Default::default())));
        }
        serde_json::from_slice(&bytes)
            .map(JsonBody)
            .map_err(|e| ApiError::BadRequest(format!("malformed JSON body: {e}")))
    }
}

/// The configured body limit, for the 413 message.
#[derive(Clone, Copy)]
struct BodyLimit(usize);

/// Checks a token's form (a UUID) before looking it up.
pub fn check_token(t: &str) -> Result<(), ApiError> {
    match uuid::Uuid::try_parse(t) {
        Ok(_) => Ok(()),
        Err(_) => Err(ApiError::BadRequest(format!(
            "invalid token {:?}: expected a UUID such as d85cd024-1548-4165-96c7-7bc88673f194",
            t.chars().take(64).collect::<String>()
        ))),
    }
}

/// Submits one job and waits for its result (the synchronous APIs: Piston,
/// Jobe, whose clients have no token to come back with). They wait
/// [`sync_wait`]; a job unfinished after that (a long queue) is a 503.
pub async fn run_to_end(svc: &Service, req: crate::job::JobRequest) -> Result<crate::job::JobRecord, ApiError> {
    let (token, rx) = svc.submit(vec![req], true).await?.pop().expect("one job");
    let rx = rx.expect("a receiver when waiting");
    match svc.wait_at_most(&token, rx, sync_wait(svc)).await? {
        Some(rec) if rec.result.is_some() => Ok(rec),
        Some(_) => Err(ApiError::Unavailable(format!("job {token} did not finish within the server's wait limit"))),
        None => Err(ApiError::Internal(format!("job {token} vanished while waited for"))),
    }
}

/// The least a synchronous API waits for its job.
pub const SYNC_WAIT: Duration = Duration::from_secs(300);

/// How long a synchronous request (Piston, Jobe, `/debug`) waits for its job:
/// at least [`SYNC_WAIT`] whatever `max_wait_secs` says. `max_wait_secs`
/// bounds `wait=true`, whose client still holds a token to come back with;
/// these clients hold none, so cutting their wait short would throw the
/// finished result away.
pub fn sync_wait(svc: &Service) -> Duration {
    Duration::from_secs(svc.cfg.max_wait_secs).max(SYNC_WAIT)
}

/// The JSON answer with a status.
pub fn json(code: StatusCode, v: impl serde::Serialize) -> Response {
    (code, axum::Json(v)).into_response()
}
