//! Where the tools send their requests: Flash's native HTTP API, either in
//! this process (the service's router called as a tower service, no socket)
//! or over HTTP at a running `flash serve` (`--url`, with `X-Auth-Token`).
//! Both take the same `http::Request`, so the tools have one code path.

use axum::body::Body;
use axum::http::{header, HeaderValue, Method, Request, Response, StatusCode, Uri};
use http_body_util::{BodyExt, Limited};
use std::convert::Infallible;
use std::time::Duration;
use tower::util::BoxCloneSyncService;
use tower::ServiceExt;

/// The in-process service: Flash's router, or anything that answers like it.
pub type LocalService = BoxCloneSyncService<Request<Body>, Response<Body>, Infallible>;

/// Most bytes of an answer read from the service (a run's output is bounded
/// by the server's output limit, a trace by its byte limit; this is above both).
pub const MAX_ANSWER: usize = 96 << 20;

/// How long a remote request may take: a run waits for its verdict, and a
/// session run or a trace can take the server's longest wall-time limit.
const REMOTE_TIMEOUT: Duration = Duration::from_secs(300);

/// The native API, here or there.
#[derive(Clone)]
pub enum Backend {
    /// The service in this process.
    Local(LocalService),
    /// A service elsewhere.
    Remote(Remote),
}

/// A running Flash service reached over HTTP.
#[derive(Clone)]
pub struct Remote {
    /// `http://host:port`, no trailing slash, no path.
    base: String,
    /// Sent as `X-Auth-Token`.
    token: Option<HeaderValue>,
    client: hyper_util::client::legacy::Client<hyper_util::client::legacy::connect::HttpConnector, Body>,
}

/// Why a request got no answer at all (an answer with a 4xx or 5xx status is
/// a [`Reply`], not an error).
#[derive(Debug, thiserror::Error)]
pub enum BackendError {
    /// The service URL given to `--url` cannot be used.
    #[error("invalid service URL {url:?}: {why}")]
    BadUrl {
        /// What was given.
        url: String,
        /// What is wrong with it.
        why: &'static str,
    },
    /// The token cannot be sent in a header.
    #[error("the token contains characters that cannot go in an HTTP header")]
    BadToken,
    /// Connecting or talking to the remote service failed.
    #[error("the Flash service at {base} is unreachable: {why}")]
    Unreachable {
        /// The service's address.
        base: String,
        /// The transport error.
        why: String,
    },
    /// The remote service did not answer in time.
    #[error("the Flash service at {base} did not answer within {secs} s")]
    Timeout {
        /// The service's address.
        base: String,
        /// The time waited.
        secs: u64,
    },
    /// The answer was larger than [`MAX_ANSWER`] or broke off.
    #[error("the Flash service's answer could not be read: {0}")]
    Body(String),
}

/// A whole answer.
#[derive(Debug, Clone)]
pub struct Reply {
    /// HTTP status.
    pub status: StatusCode,
    /// The body.
    pub body: Vec<u8>,
}

impl Reply {
    /// The body as JSON (`Null` when it is not JSON).
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).unwrap_or(serde_json::Value::Null)
    }
}

impl Remote {
    /// A client of the service at `url` (`http://host:port`; a trailing `/`
    /// is dropped). HTTPS is not spoken: put Flash behind a local proxy.
    pub fn new(url: &str, token: Option<&str>) -> Result<Remote, BackendError> {
        let bad = |why| BackendError::BadUrl { url: url.to_owned(), why };
        let trimmed = url.trim_end_matches('/');
        let uri: Uri = trimmed.parse().map_err(|_| bad("not a URL"))?;
        match uri.scheme_str() {
            Some("http") => {}
            Some("https") => return Err(bad("https is not supported; use http:// (or a local TLS proxy)")),
            _ => return Err(bad("it must start with http://")),
        }
        if uri.authority().is_none() {
            return Err(bad("it has no host"));
        }
        if uri.path() != "/" && !uri.path().is_empty() || uri.query().is_some() {
            return Err(bad("give the service's root (http://host:port), without a path"));
        }
        let token = match token {
            Some(t) => Some(HeaderValue::from_str(t).map_err(|_| BackendError::BadToken)?),
            None => None,
        };
        let client = hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
            .build(hyper_util::client::legacy::connect::HttpConnector::new());
        Ok(Remote { base: trimmed.to_owned(), token, client })
    }
}

impl Backend {
    /// Sends one request (`path` starts with `/` and may carry a query) and
    /// reads the whole answer.
    pub async fn call(
        &self,
        method: Method,
        path: &str,
        body: Option<(Vec<u8>, &'static str)>,
    ) -> Result<Reply, BackendError> {
        let mut req = Request::builder().method(method);
        let payload = match body {
            Some((bytes, content_type)) => {
                req = req.header(header::CONTENT_TYPE, content_type);
                Body::from(bytes)
            }
            None => Body::empty(),
        };
        match self {
            Backend::Local(svc) => {
                let req = req.uri(path).body(payload).map_err(|e| BackendError::Body(e.to_string()))?;
                let Ok(resp) = svc.clone().oneshot(req).await;
                read(resp).await
            }
            Backend::Remote(r) => {
                let uri = format!("{}{path}", r.base);
                if let Some(t) = &r.token {
                    req = req.header("x-auth-token", t.clone());
                }
                let req = req.uri(uri).body(payload).map_err(|e| BackendError::Body(e.to_string()))?;
                let sent = tokio::time::timeout(REMOTE_TIMEOUT, r.client.request(req)).await;
                let resp = match sent {
                    Err(_) => {
                        return Err(BackendError::Timeout { base: r.base.clone(), secs: REMOTE_TIMEOUT.as_secs() })
                    }
                    Ok(Err(e)) => return Err(BackendError::Unreachable { base: r.base.clone(), why: cause(&e) }),
                    Ok(Ok(resp)) => resp,
                };
                read(resp.map(Body::new)).await
            }
        }
    }

    /// A JSON request.
    pub async fn json(&self, method: Method, path: &str, body: &serde_json::Value) -> Result<Reply, BackendError> {
        let bytes = serde_json::to_vec(body).map_err(|e| BackendError::Body(e.to_string()))?;
        self.call(method, path, Some((bytes, "application/json"))).await
    }
}

async fn read(resp: Response<Body>) -> Result<Reply, BackendError> {
    let status = resp.status();
    let body = Limited::new(resp.into_body(), MAX_ANSWER)
        .collect()
        .await
        .map_err(|e| BackendError::Body(e.to_string()))?
        .to_bytes()
        .to_vec();
    Ok(Reply { status, body })
}

/// The innermost cause of a client error ("Connection refused (os error
/// 111)"), which says more than hyper's "client error (Connect)".
fn cause(e: &(dyn std::error::Error + 'static)) -> String {
    let mut last = e.to_string();
    let mut cur = e.source();
    while let Some(s) = cur {
        last = s.to_string();
        cur = s.source();
    }
    last
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn service_urls_are_checked_before_use() {
        assert!(Remote::new("http://127.0.0.1:2358", None).is_ok());
        assert_eq!(Remote::new("http://127.0.0.1:2358/", Some("t")).unwrap().base, "http://127.0.0.1:2358");
        for (url, part) in [
            ("https://x:1", "https is not supported"),
            ("127.0.0.1:2358", "http://"),
            ("http://x:1/api", "without a path"),
            ("not a url", "not a URL"),
        ] {
            let e = Remote::new(url, None).err().unwrap().to_string();
            assert!(e.contains(part), "{url}: {e}");
        }
        assert!(matches!(Remote::new("http://x:1", Some("a\nb")), Err(BackendError::BadToken)));
    }

    #[tokio::test]
    async fn an_unreachable_service_is_named_with_its_cause() {
        // Port 1 on loopback: nothing listens there, the connection is refused.
        let b = Backend::Remote(Remote::new("http://127.0.0.1:1", None).unwrap());
        let e = b.call(Method::GET, "/languages", None).await.unwrap_err().to_string();
        assert!(e.contains("http://127.0.0.1:1 is unreachable"), "{e}");
        assert!(e.to_lowercase().contains("refused"), "{e}");
    }

    #[tokio::test]
    async fn the_local_service_is_called_in_process() {
        let router = axum::Router::new().route(
            "/echo",
            axum::routing::post(|h: axum::http::HeaderMap, b: String| async move {
                format!("{}:{b}", h.get("content-type").and_then(|v| v.to_str().ok()).unwrap_or(""))
            }),
        );
        let b = Backend::Local(BoxCloneSyncService::new(router));
        let r = b.json(Method::POST, "/echo", &serde_json::json!({"a": 1})).await.unwrap();
        assert_eq!(
            (r.status, String::from_utf8(r.body).unwrap()),
            (StatusCode::OK, "application/json:{\"a\":1}".into())
        );
        let r = b.call(Method::GET, "/missing", None).await.unwrap();
        assert_eq!(r.status, StatusCode::NOT_FOUND);
    }
}
