//! The router in-process (axum's `oneshot`): content types, caching, gzip,
//! 404s, and that index.html names files that exist.

use super::*;
use axum::body::Body;
use axum::http::Request;
use http_body_util::BodyExt;
use tower::ServiceExt;

async fn get(uri: &str, headers: &[(&str, &str)]) -> (StatusCode, HeaderMap, Vec<u8>) {
    let mut req = Request::get(uri);
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let resp = router::<()>().oneshot(req.body(Body::empty()).unwrap()).await.unwrap();
    let (parts, body) = resp.into_parts();
    (parts.status, parts.headers, body.collect().await.unwrap().to_bytes().to_vec())
}

fn header(h: &HeaderMap, name: header::HeaderName) -> &str {
    h.get(name).and_then(|v| v.to_str().ok()).unwrap_or("")
}

fn index_html() -> &'static str {
    std::str::from_utf8(find("index.html").expect("index.html is embedded").body).unwrap()
}

/// `assets/<name>` for every `assets/...` that index.html references.
fn referenced_assets(html: &str) -> Vec<String> {
    html.split("assets/").skip(1).map(|rest| rest.split('"').next().unwrap().to_owned()).collect()
}

#[tokio::test]
async fn root_serves_the_page_as_html() {
    let (status, h, body) = get("/", &[]).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(header(&h, header::CONTENT_TYPE), "text/html; charset=utf-8");
    assert_eq!(header(&h, header::CACHE_CONTROL), "no-cache");
    assert!(header(&h, header::CONTENT_SECURITY_POLICY).contains("script-src 'self'"));
    assert!(header(&h, header::ETAG).starts_with('"'));
    let html = String::from_utf8(body).unwrap();
    assert!(html.starts_with("<!doctype html>"));
    assert!(html.contains("<title>Flash playground</title>"));
    assert!(!html.contains("{{"), "index.html still has a template placeholder");
    assert!(!html.contains("http://") && !html.contains("https://"), "the page must load nothing from elsewhere");
}

#[tokio::test]
async fn index_references_embedded_assets_with_their_content_types() {
    let refs = referenced_assets(index_html());
    // The page's script is the app entry, not one of the grammar chunks it loads later.
    assert!(refs.iter().any(|r| r.starts_with("app-") && r.ends_with(".js")), "no app script in index.html: {refs:?}");
    assert!(refs.iter().any(|r| r.ends_with(".css")), "no stylesheet in index.html: {refs:?}");
    for r in refs {
        let (status, h, body) = get(&format!("/assets/{r}"), &[]).await;
        assert_eq!(status, StatusCode::OK, "/assets/{r}");
        assert!(!body.is_empty());
        let want = if r.ends_with(".js") { "text/javascript; charset=utf-8" } else { "text/css; charset=utf-8" };
        assert_eq!(header(&h, header::CONTENT_TYPE), want);
        assert_eq!(header(&h, header::CACHE_CONTROL), "public, max-age=31536000, immutable");
        assert_eq!(header(&h, header::X_CONTENT_TYPE_OPTIONS), "nosniff");
    }
}

#[tokio::test]
async fn chunks_imported_by_scripts_are_embedded() {
    for a in FILES.iter().filter(|a| a.name.ends_with(".js")) {
        let js = std::str::from_utf8(a.body).unwrap();
        for piece in js.split("\"./").skip(1) {
            let name = piece.split('"').next().unwrap();
            assert!(find(name).is_some(), "{} imports ./{name}, which is not embedded", a.name);
        }
    }
}

#[tokio::test]
async fn unknown_asset_is_404() {
    for uri in ["/assets/nope.js", "/assets/../Cargo.toml", "/assets/", "/assets/index.html.gz", "/nope"] {
        let (status, _, _) = get(uri, &[]).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{uri}");
    }
}

#[tokio::test]
async fn gzip_is_sent_only_to_clients_that_accept_it() {
    let (_, plain_h, plain) = get("/", &[]).await;
    assert!(header(&plain_h, header::CONTENT_ENCODING).is_empty());
    let (status, h, gz) = get("/", &[("accept-encoding", "br, gzip;q=0.8")]).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(header(&h, header::CONTENT_ENCODING), "gzip");
    assert_eq!(header(&h, header::VARY), "accept-encoding");
    assert_eq!(&gz[..2], &[0x1f, 0x8b], "not gzip data");
    assert!(gz.len() < plain.len());
    let (_, refused, _) = get("/", &[("accept-encoding", "gzip;q=0, identity")]).await;
    assert!(header(&refused, header::CONTENT_ENCODING).is_empty());
}

#[tokio::test]
async fn matching_etag_answers_304() {
    let (_, h, _) = get("/", &[]).await;
    let etag = header(&h, header::ETAG).to_owned();
    let (status, h2, body) = get("/", &[("if-none-match", &etag)]).await;
    assert_eq!(status, StatusCode::NOT_MODIFIED);
    assert_eq!(header(&h2, header::ETAG), etag);
    assert!(body.is_empty());
    let (status, _, _) = get("/", &[("if-none-match", "\"something-else\"")]).await;
    assert_eq!(status, StatusCode::OK);
}

#[test]
fn licences_of_bundled_code_ship_with_it() {
    let text = std::str::from_utf8(find("licenses.txt").expect("licenses.txt is embedded").body).unwrap();
    assert!(text.contains("@codemirror/view"));
    assert_eq!(cache_control("licenses.txt"), "no-cache");
}

#[test]
fn hashed_names_are_recognised() {
    assert!(is_hashed("app-ZJ7HBWCQ.js"));
    assert!(is_hashed("chunk-6ENI4HSC.js"));
    assert!(is_hashed("app-6d7051cc561c.css"));
    assert!(!is_hashed("index.html"));
    assert!(!is_hashed("licenses.txt"));
    assert!(!is_hashed("my-app.js"));
}
