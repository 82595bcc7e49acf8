//! Judge0's `callback_url`: the finished submission is PUT there (Judge0's
//! default fields, base64-encoded), with retries.
//!
//! Plain `http://` only: a TLS client would be most of this crate's
//! dependencies for a feature that is off by default. The host is resolved
//! when sending, every address is checked (loopback, private, link-local and
//! other non-public ranges are refused unless allowed), and the connection
//! goes to the checked address, so DNS cannot swap in another one after the check.

use crate::service::Service;
use std::net::{IpAddr, SocketAddr};
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

/// A parsed `http://host[:port]/path` URL.
#[derive(Debug, Clone, PartialEq)]
pub struct HttpUrl {
    /// Host name or IP literal (without brackets).
    pub host: String,
    /// Port (80 by default).
    pub port: u16,
    /// Path and query, starting with `/`.
    pub path: String,
}

/// Parses and checks a callback URL as far as possible without DNS.
pub fn parse_url(url: &str, allow_private: bool) -> Result<HttpUrl, String> {
    if url.len() > 2048 {
        return Err("is too long (maximum is 2048 characters)".into());
    }
    let rest = url.strip_prefix("http://").ok_or("must be an http:// URL (https is not supported for callbacks)")?;
    let (authority, path) = match rest.find(['/', '?']) {
        Some(i) => (&rest[..i], rest[i..].to_owned()),
        None => (rest, "/".to_owned()),
    };
    if authority.contains('@') || path.chars().any(|c| c.is_control() || c == ' ') {
        return Err("must not contain credentials, spaces or control characters".into());
    }
    let (host, port) = split_host_port(authority)?;
    if host.is_empty() {
        return Err("has no host".into());
    }
    let local_name = host.eq_ignore_ascii_case("localhost") || host.ends_with(".localhost");
    let bad_ip = host.parse::<IpAddr>().is_ok_and(|ip| !is_public(ip));
    if !allow_private && (local_name || bad_ip) {
        return Err("points to a loopback or private address, which is not allowed".into());
    }
    let path = if path.starts_with('?') { format!("/{path}") } else { path };
    Ok(HttpUrl { host, port, path })
}

fn split_host_port(a: &str) -> Result<(String, u16), String> {
    let bad_port = |p: &str| format!("has an invalid port {p:?}");
    if let Some(v6) = a.strip_prefix('[') {
        let (h, rest) = v6.split_once(']').ok_or("has an unclosed '['")?;
        let port = match rest.strip_prefix(':') {
            Some(p) => p.parse().map_err(|_| bad_port(p))?,
            None if rest.is_empty() => 80,
            None => return Err(bad_port(rest)),
        };
        return Ok((h.to_owned(), port));
    }
    match a.rsplit_once(':') {
        Some((h, p)) => Ok((h.to_owned(), p.parse().map_err(|_| bad_port(p))?)),
        None => Ok((a.to_owned(), 80)),
    }
}

pub use flash_sandbox::proxy::is_public;

/// Sends the finished job to `url`, retrying; never fails the job.
pub async fn deliver(svc: Arc<Service>, token: String, url: String) {
    let body = match svc.store.get(&token).await {
        Ok(Some(rec)) => crate::api::judge0::view::callback_body(&svc, &rec),
        Ok(None) => return,
        Err(e) => {
            tracing::error!(error = %e, "callback: cannot read the job");
            return;
        }
    };
    let timeout = Duration::from_secs_f64(svc.cfg.callbacks_timeout);
    let tries = svc.cfg.callbacks_max_tries.max(1);
    for attempt in 1..=tries {
        let sent = tokio::time::timeout(timeout, put(&url, &body, svc.cfg.allow_private_callbacks));
        match sent.await {
            Ok(Ok(status)) if status < 500 => {
                tracing::info!(status, "callback delivered");
                return;
            }
            Ok(Ok(status)) => tracing::warn!(attempt, status, "callback answered a server error"),
            Ok(Err(e)) => tracing::warn!(attempt, error = %e, "callback failed"),
            Err(_) => tracing::warn!(attempt, "callback timed out"),
        }
        if attempt < tries {
            tokio::time::sleep(Duration::from_millis(500 * u64::from(attempt))).await;
        }
    }
    svc.metrics.callback_failures.fetch_add(1, Ordering::Relaxed);
}

/// One HTTP/1.1 PUT; returns the response status.
async fn put(url: &str, body: &[u8], allow_private: bool) -> Result<u16, String> {
    let u = parse_url(url, allow_private)?;
    let addrs: Vec<SocketAddr> = tokio::net::lookup_host((u.host.as_str(), u.port))
        .await
        .map_err(|e| format!("cannot resolve {}: {e}", u.host))?
        .collect();
    let addr = addrs
        .into_iter()
        .find(|a| allow_private || is_public(a.ip()))
        .ok_or_else(|| format!("{} resolves to no allowed address", u.host))?;
    let host = if u.host.contains(':') { format!("[{}]:{}", u.host, u.port) } else { format!("{}:{}", u.host, u.port) };
    let headers = [("Content-Type", "application/json"), ("User-Agent", "flash")];
    crate::client::request(addr, &host, "PUT", &u.path, &headers, body)
        .await
        .map(|r| r.status)
        .map_err(|e| format!("{addr}: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_parse_and_private_targets_are_refused() {
        let u = parse_url("http://example.com:8080/hook?x=1", false).unwrap();
        assert_eq!((u.host.as_str(), u.port, u.path.as_str()), ("example.com", 8080, "/hook?x=1"));
        assert_eq!(parse_url("http://example.com", false).unwrap().path, "/");
        for bad in [
            "https://example.com/",
            "ftp://x",
            "http://127.0.0.1/",
            "http://localhost:80/",
            "http://10.1.2.3/",
            "http://[::1]:9/",
            "http://169.254.169.254/latest",
            "http://user:pw@example.com/",
            "http://example.com:99999/",
        ] {
            assert!(parse_url(bad, false).is_err(), "{bad}");
        }
        assert!(parse_url("http://127.0.0.1:9/", true).is_ok());
        assert!(!is_public("::ffff:192.168.1.1".parse().unwrap()));
        assert!(is_public("93.184.216.34".parse().unwrap()));
    }
}
