//! Flash's web playground: the page at `/` and its files under `/assets/`,
//! embedded in the binary so the page works with no internet.
//!
//! Layout:
//! - `web/`: the page's sources (TypeScript, CodeMirror 6), bundled by esbuild
//!   (`scripts/build-playground.sh`) into `assets/`, which is committed, so
//!   building this crate needs no npm.
//! - `build.rs`: turns `assets/` into a table of `include_bytes!` (`FILES`).
//! - this file: [`router`], which serves the table.
//! - `e2e/`: browser tests in Debian's headless Chromium (`scripts/test-playground.sh`).
//!
//! Caching: bundle files carry a hash of their content in their name, so they
//! are cached for a year as immutable; `index.html` (the only file naming
//! them) and `licenses.txt` are revalidated on every load (`no-cache` plus an
//! `ETag`). Every file has a gzip twin, sent to clients that accept gzip.
//!
//! The page talks to the same origin: `GET /languages`, `GET /config_info`,
//! `POST /submissions`, `GET /submissions/{token}` and `POST /debug`.

use axum::extract::Path;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;

/// One embedded file.
pub(crate) struct Asset {
    /// File name under `assets/`.
    name: &'static str,
    /// Its bytes.
    body: &'static [u8],
    /// The same, gzip-compressed, when the build made one.
    gzip: Option<&'static [u8]>,
    /// A quoted strong ETag derived from `body`.
    etag: &'static str,
}

include!(concat!(env!("OUT_DIR"), "/assets.rs"));

/// The page's own Content-Security-Policy: everything from this server, no
/// inline script (CodeMirror injects styles, hence `'unsafe-inline'` for styles).
const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; \
img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'none'";

/// Routes `/` (the page) and `/assets/{file}`; merge it into the API router.
///
/// ```
/// let app: axum::Router = axum::Router::new().merge(flash_playground::router());
/// # drop(app);
/// ```
pub fn router<S: Clone + Send + Sync + 'static>() -> Router<S> {
    Router::new().route("/", get(index)).route("/assets/{*file}", get(asset))
}

/// Names of the embedded files (for tests and diagnostics).
pub fn files() -> impl Iterator<Item = &'static str> {
    FILES.iter().map(|a| a.name)
}

async fn index(headers: HeaderMap) -> Response {
    match find("index.html") {
        Some(a) => serve(a, &headers),
        None => (StatusCode::INTERNAL_SERVER_ERROR, "the playground was built without index.html").into_response(),
    }
}

async fn asset(Path(file): Path<String>, headers: HeaderMap) -> Response {
    match find(&file) {
        Some(a) => serve(a, &headers),
        None => not_found(&file),
    }
}

fn find(name: &str) -> Option<&'static Asset> {
    FILES.iter().find(|a| a.name == name)
}

fn not_found(file: &str) -> Response {
    let msg = format!("no such playground asset: {file:.100}\n");
    let mut r = (StatusCode::NOT_FOUND, msg).into_response();
    r.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    r
}

fn serve(a: &'static Asset, req: &HeaderMap) -> Response {
    let mut h = HeaderMap::new();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type(a.name)));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache_control(a.name)));
    h.insert(header::ETAG, HeaderValue::from_static(a.etag));
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    if a.name == "index.html" {
        h.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(CSP));
        h.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    }
    if a.gzip.is_some() {
        h.insert(header::VARY, HeaderValue::from_static("accept-encoding"));
    }
    if etag_matches(req, a.etag) {
        return (StatusCode::NOT_MODIFIED, h).into_response();
    }
    match a.gzip {
        Some(gz) if accepts_gzip(req) => {
            h.insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
            (h, gz).into_response()
        }
        _ => (h, a.body).into_response(),
    }
}

fn content_type(name: &str) -> &'static str {
    match name.rsplit_once('.').map(|(_, ext)| ext) {
        Some("html") => "text/html; charset=utf-8",
        Some("js" | "mjs") => "text/javascript; charset=utf-8",
        Some("css") => "text/css; charset=utf-8",
        Some("txt") => "text/plain; charset=utf-8",
        Some("json" | "map") => "application/json",
        Some("svg") => "image/svg+xml",
        Some("png") => "image/png",
        Some("woff2") => "font/woff2",
        _ => "application/octet-stream",
    }
}

/// Bundle files are named `<name>-<hash>.<ext>`: their content never changes.
fn cache_control(name: &str) -> &'static str {
    if is_hashed(name) {
        "public, max-age=31536000, immutable"
    } else {
        "no-cache"
    }
}

fn is_hashed(name: &str) -> bool {
    let stem = name.rsplit_once('.').map_or(name, |(s, _)| s);
    match stem.rsplit_once('-') {
        Some((_, hash)) => hash.len() >= 8 && hash.bytes().all(|b| b.is_ascii_alphanumeric()),
        None => false,
    }
}

fn etag_matches(req: &HeaderMap, etag: &str) -> bool {
    req.get_all(header::IF_NONE_MATCH)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|t| t.trim().trim_start_matches("W/"))
        .any(|t| t == "*" || t == etag)
}

/// Whether `Accept-Encoding` allows gzip (listed, with a q-value above 0).
fn accepts_gzip(req: &HeaderMap) -> bool {
    req.get_all(header::ACCEPT_ENCODING).iter().filter_map(|v| v.to_str().ok()).flat_map(|v| v.split(',')).any(|item| {
        let mut parts = item.split(';').map(str::trim);
        let coding = parts.next().unwrap_or("");
        let q = parts
            .find_map(|p| p.strip_prefix("q=").or_else(|| p.strip_prefix("Q=")))
            .and_then(|q| q.trim().parse::<f32>().ok())
            .unwrap_or(1.0);
        coding.eq_ignore_ascii_case("gzip") && q > 0.0
    })
}

#[cfg(test)]
mod tests;
