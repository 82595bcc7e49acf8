//! Named API keys (issue 13, "operating it safely in public"): several keys
//! in the configuration, each with a rate limit and a cap on its requests in
//! flight, and its name on the log lines and metrics of its requests and jobs.
//!
//! A key is presented like Judge0's token, in `X-Auth-Token` (header or query
//! parameter), or in Jobe's `X-API-KEY`; the shared `auth_token` keeps working
//! (as the key named `token`, without limits). Limits answer 429 with the
//! IETF draft's `RateLimit-Limit`, `RateLimit-Remaining`, `RateLimit-Reset`
//! and `Retry-After`; every response to a rate-limited key carries the
//! `RateLimit-*` headers. The rate limit is a fixed one-minute window per
//! key, in this process (several servers each allow the rate).

use crate::config::ApiKey;
use axum::http::{HeaderMap, HeaderValue};
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

tokio::task_local! {
    /// The name of the key the request being served presented.
    pub static CURRENT: Arc<str>;
}

/// The key the current request presented, if any (for stamping its jobs).
pub fn current() -> Option<String> {
    CURRENT.try_with(|k| k.to_string()).ok()
}

const WINDOW: Duration = Duration::from_secs(60);

/// One key's state.
pub struct Key {
    /// Its configuration.
    pub cfg: ApiKey,
    window: Mutex<(Instant, u32)>,
    in_flight: AtomicUsize,
    /// Requests served.
    pub requests: AtomicU64,
    /// Requests refused by its limits.
    pub limited: AtomicU64,
    /// Jobs accepted.
    pub jobs: AtomicU64,
}

/// All keys, by their secret.
#[derive(Default)]
pub struct Keys {
    by_secret: HashMap<String, Arc<Key>>,
    by_name: Vec<Arc<Key>>,
}

/// Why a key's request was refused.
#[derive(Debug)]
pub struct Limited {
    /// Seconds until a retry may succeed.
    pub retry_after: u64,
    /// What was exceeded.
    pub msg: String,
    /// `RateLimit-*` headers to send.
    pub headers: HeaderMap,
}

/// A request in flight for a key; dropping it ends the request.
pub struct InFlight {
    key: Arc<Key>,
    /// `RateLimit-*` headers for the response.
    pub headers: HeaderMap,
}

/// A request's place in flight, put in its extensions by the middleware:
/// work that outlives its response (a live run over a WebSocket) takes the
/// place with it, so it still counts against the key's cap until it ends.
#[derive(Clone, Default)]
pub struct Place(pub Arc<Mutex<Option<InFlight>>>);

impl Place {
    /// Takes the place (once): it is held until the returned guard drops.
    pub fn take(&self) -> Option<InFlight> {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).take()
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        self.key.in_flight.fetch_sub(1, Ordering::SeqCst);
    }
}

impl Keys {
    /// The configured keys, and the shared token as the key named `token`.
    pub fn new(keys: &[ApiKey], auth_token: Option<&str>) -> Keys {
        let mut all: Vec<ApiKey> = keys.to_vec();
        if let Some(t) = auth_token {
            all.push(ApiKey {
                name: "token".into(),
                key: t.into(),
                requests_per_minute: 0,
                max_concurrent: 0,
                network: Vec::new(),
            });
        }
        let mut out = Keys::default();
        for cfg in all {
            let k = Arc::new(Key {
                cfg,
                window: Mutex::new((Instant::now(), 0)),
                in_flight: AtomicUsize::new(0),
                requests: AtomicU64::new(0),
                limited: AtomicU64::new(0),
                jobs: AtomicU64::new(0),
            });
            out.by_secret.insert(k.cfg.key.clone(), k.clone());
            out.by_name.push(k);
        }
        out
    }

    /// Whether any key (or the shared token) is configured: then every request needs one.
    pub fn required(&self) -> bool {
        !self.by_name.is_empty()
    }

    /// The key with this secret. (The map's lookup hashes the presented
    /// value; what could leak by timing is the hash, not the secret.)
    pub fn find(&self, presented: &str) -> Option<Arc<Key>> {
        self.by_secret.get(presented).cloned()
    }

    /// Every key, in configuration order.
    pub fn all(&self) -> &[Arc<Key>] {
        &self.by_name
    }

    /// The hosts the current request's runs may reach (see
    /// [`ServerConfig::network`](crate::config::ServerConfig::network)).
    pub fn network_allowance<'a>(&'a self, unkeyed: &'a [String]) -> &'a [String] {
        match current() {
            // The shared auth_token is no API key of its own.
            Some(name) if name != "token" => {
                self.by_name.iter().find(|k| *k.cfg.name == *name).map_or(&[], |k| &k.cfg.network)
            }
            _ => unkeyed,
        }
    }

    /// A request's `network`: `true` (every host its key may reach), or a
    /// list of hosts within that; `Err` says why not, for the field's message.
    pub fn resolve_network(&self, unkeyed: &[String], asked: Option<&[String]>) -> Result<Vec<String>, String> {
        let allowance = self.network_allowance(unkeyed);
        if allowance.is_empty() {
            return Err(
                "network is not allowed for this key (an operator allows it per API key: README \"Network\")".into()
            );
        }
        let Some(list) = asked else { return Ok(allowance.to_vec()) };
        if list.is_empty() || list.len() > 64 {
            return Err("must be true or a list of 1 to 64 hosts".into());
        }
        let outer = flash_sandbox::proxy::Allow::parse(allowance).map_err(|e| format!("the key's allowance: {e}"))?;
        flash_sandbox::proxy::Allow::parse(list)?.within(&outer)?;
        Ok(list.to_vec())
    }

    /// Counts a job accepted for the key named `name`.
    pub fn job_accepted(&self, name: &str) {
        if let Some(k) = self.by_name.iter().find(|k| &*k.cfg.name == name) {
            k.jobs.fetch_add(1, Ordering::Relaxed);
        }
    }
}

impl Key {
    /// Admits one request of this key, or says which limit it is over.
    pub fn admit(self: &Arc<Self>) -> Result<InFlight, Box<Limited>> {
        let mut headers = HeaderMap::new();
        let rate = self.cfg.requests_per_minute;
        if rate > 0 {
            let mut w = self.window.lock().unwrap_or_else(|p| p.into_inner());
            let now = Instant::now();
            if now.duration_since(w.0) >= WINDOW {
                *w = (now, 0);
            }
            let reset = (WINDOW.saturating_sub(now.duration_since(w.0)).as_secs_f64().ceil() as u64).max(1);
            let over = w.1 >= rate;
            if !over {
                w.1 += 1;
            }
            headers.insert("ratelimit-limit", HeaderValue::from(rate));
            headers.insert("ratelimit-remaining", HeaderValue::from(rate - w.1.min(rate)));
            headers.insert("ratelimit-reset", HeaderValue::from(reset));
            if over {
                self.limited.fetch_add(1, Ordering::Relaxed);
                return Err(Box::new(Limited {
                    retry_after: reset,
                    msg: format!("key {} is over its rate limit of {rate} requests per minute", self.cfg.name),
                    headers,
                }));
            }
        }
        let cap = self.cfg.max_concurrent as usize;
        let before = self.in_flight.fetch_add(1, Ordering::SeqCst);
        let admitted = InFlight { key: self.clone(), headers };
        if cap > 0 && before >= cap {
            self.limited.fetch_add(1, Ordering::Relaxed);
            return Err(Box::new(Limited {
                retry_after: 1,
                msg: format!("key {} already has {cap} requests in flight (its limit)", self.cfg.name),
                headers: admitted.headers.clone(),
            }));
        }
        self.requests.fetch_add(1, Ordering::Relaxed);
        Ok(admitted)
    }

    /// Requests in flight.
    pub fn in_flight(&self) -> usize {
        self.in_flight.load(Ordering::SeqCst)
    }
}
