//! Named API keys: each with its own rate limit and cap on requests in
//! flight, 429 with `RateLimit-*` and `Retry-After`, the key's name on the
//! metrics of its jobs, the shared `X-Auth-Token` still accepted, and the
//! compile cache scoped per key when configured (issue 13).

mod common;

use common::{config, start};
use flash_server::config::ApiKey;
use serde_json::json;
use std::time::Duration;

const ALICE: &str = "alice-secret-0123456789";
const BOB: &str = "bob-secret-0123456789ab";

fn keys() -> Vec<ApiKey> {
    vec![
        ApiKey { name: "alice".into(), key: ALICE.into(), requests_per_minute: 3, max_concurrent: 0, network: vec![] },
        ApiKey { name: "bob".into(), key: BOB.into(), requests_per_minute: 0, max_concurrent: 1, network: vec![] },
    ]
}

fn sub(src: &str) -> Vec<u8> {
    serde_json::to_vec(&json!({"source_code": src, "language_id": 71, "stdin": "hi"})).unwrap()
}

#[tokio::test]
async fn each_key_authenticates_and_the_shared_token_still_does() {
    let mut cfg = config();
    cfg.api_keys = keys();
    cfg.auth_token = Some("shared-token".into());
    let s = start(cfg).await;
    assert_eq!(s.get("/languages").await.status, 401, "no key");
    assert_eq!(s.req("GET", "/languages", &[("X-Auth-Token", "alice-secret-wrong12")], b"").await.status, 401);
    assert_eq!(s.req("GET", "/languages", &[("X-Auth-Token", ALICE)], b"").await.status, 200);
    assert_eq!(s.req("GET", "/languages", &[("X-Auth-Token", "shared-token")], b"").await.status, 200);
    assert_eq!(s.req("GET", &format!("/languages?X-Auth-Token={BOB}"), &[], b"").await.status, 200);
    assert_eq!(s.get("/health").await.status, 200, "/health needs no key");
}

#[tokio::test]
async fn a_key_over_its_rate_gets_429_with_ratelimit_headers_and_others_do_not() {
    let mut cfg = config();
    cfg.api_keys = keys();
    let s = start(cfg).await;
    for left in (0..3).rev() {
        let r = s.req("GET", "/languages", &[("X-Auth-Token", ALICE)], b"").await;
        assert_eq!(r.status, 200);
        assert_eq!(r.header("ratelimit-limit"), Some("3"));
        assert_eq!(r.header("ratelimit-remaining"), Some(left.to_string().as_str()));
    }
    let r = s.req("GET", "/languages", &[("X-Auth-Token", ALICE)], b"").await;
    assert_eq!(r.status, 429, "{:?}", r.json());
    assert_eq!(r.header("ratelimit-remaining"), Some("0"));
    let reset: u64 = r.header("ratelimit-reset").unwrap().parse().unwrap();
    let retry: u64 = r.header("retry-after").unwrap().parse().unwrap();
    assert!((1..=60).contains(&reset) && retry == reset, "reset {reset}, retry-after {retry}");
    assert!(r.json()["error"].as_str().unwrap().contains("alice"));
    // Bob has no rate limit.
    for _ in 0..5 {
        assert_eq!(s.req("GET", "/languages", &[("X-Auth-Token", BOB)], b"").await.status, 200);
    }
    let m = String::from_utf8(s.req("GET", "/metrics", &[("X-Auth-Token", BOB)], b"").await.body).unwrap();
    assert!(m.contains("flash_key_limited_total{key=\"alice\"} 1\n"), "{m}");
    assert!(m.contains("flash_key_requests_total{key=\"alice\"} 3\n"), "{m}");
}

#[tokio::test]
async fn a_key_over_its_concurrency_gets_429_and_its_jobs_carry_its_name() {
    let mut cfg = config();
    cfg.api_keys = keys();
    let s = std::sync::Arc::new(start(cfg).await);
    let slow = {
        let s = s.clone();
        tokio::spawn(async move {
            let h = [("X-Auth-Token", BOB), ("Content-Type", "application/json")];
            s.req("POST", "/submissions?wait=true", &h, &sub("SLEEP_LONG")).await
        })
    };
    tokio::time::sleep(Duration::from_millis(300)).await;
    let h = [("X-Auth-Token", BOB), ("Content-Type", "application/json")];
    let r = s.req("POST", "/submissions", &h, &sub("x")).await;
    assert_eq!(r.status, 429, "{:?}", r.json());
    assert_eq!(r.header("retry-after"), Some("1"));
    // Alice is not held back by Bob's request.
    let h = [("X-Auth-Token", ALICE), ("Content-Type", "application/json")];
    assert_eq!(s.req("POST", "/submissions", &h, &sub("x")).await.status, 201);
    let done = slow.await.unwrap();
    assert_eq!(done.status, 201, "{:?}", done.json());
    assert_eq!(done.json()["stdout"], "hi");
    let h = [("X-Auth-Token", BOB), ("Content-Type", "application/json")];
    assert_eq!(s.req("POST", "/submissions", &h, &sub("x")).await.status, 201, "the slot is free again");
    let m = String::from_utf8(s.req("GET", "/metrics", &[("X-Auth-Token", BOB)], b"").await.body).unwrap();
    assert!(m.contains("flash_key_jobs_accepted_total{key=\"bob\"} 2\n"), "{m}");
    assert!(m.contains("flash_key_jobs_accepted_total{key=\"alice\"} 1\n"), "{m}");
    assert!(m.contains("flash_key_in_flight{key=\"bob\"} 1\n"), "only the /metrics request itself: {m}");
}

#[tokio::test]
async fn the_compile_cache_is_scoped_per_key_when_configured() {
    for (scope, want_alice) in [("shared", "scope="), ("key", "scope=alice")] {
        let mut cfg = config();
        cfg.api_keys = keys();
        cfg.compile_cache_scope = scope.into();
        let s = start(cfg).await;
        let h = [("X-Auth-Token", ALICE), ("Content-Type", "application/json")];
        let r = s.req("POST", "/submissions?wait=true", &h, &sub("SCOPE")).await;
        assert_eq!(r.status, 201, "{:?}", r.json());
        assert_eq!(r.json()["stdout"], want_alice, "scope {scope}");
    }
    let mut cfg = config();
    cfg.compile_cache_scope = "tenant".into();
    assert!(cfg.validate().unwrap_err().contains("compile_cache_scope"));
    let mut cfg = config();
    cfg.api_keys = vec![ApiKey {
        name: "x".into(),
        key: "short".into(),
        requests_per_minute: 0,
        max_concurrent: 0,
        network: vec![],
    }];
    assert!(cfg.validate().unwrap_err().contains("at least 16"));
}
