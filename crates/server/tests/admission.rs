//! Issue 13, finding 1: no request kind can hold the service's threads. A
//! crowd of `POST /debug` requests (traced in this process, each blocking for
//! a sandbox slot), many of whose clients hang up, must leave `/health` and
//! submissions answering, be refused beyond a bounded line with 503 and
//! `Retry-After`, and not trace for clients that left.
//!
//! The runtime has a small blocking pool (8 threads), as a loaded server's
//! 512 would be once 512 requests hold one: before the gate, 40 requests
//! took every blocking thread and the store (SQLite on the blocking pool)
//! stopped answering, and every trace ran although most clients had gone.

mod common;

use common::{config, start};
use serde_json::json;
use std::sync::atomic::Ordering;
use std::time::Duration;

const PATIENCE: Duration = Duration::from_secs(10);

#[test]
fn debug_crowd_and_hang_ups_do_not_starve_the_service() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .max_blocking_threads(8)
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let mut cfg = config();
        cfg.max_debug_waiting = 4;
        cfg.debug_wait_secs = 3;
        let s = std::sync::Arc::new(start(cfg).await);
        let body = serde_json::to_vec(&json!({"code": "import time; time.sleep(1)", "language": "python3"})).unwrap();
        let mut hung_up = Vec::new();
        let mut patient = Vec::new();
        for i in 0..40 {
            let (addr, body) = (s.addr, body.clone());
            let call = async move {
                flash_server::client::request(
                    addr,
                    "localhost",
                    "POST",
                    "/debug",
                    &[("Content-Type", "application/json")],
                    &body,
                )
                .await
                .unwrap()
            };
            // Two patient clients first (they get the two turns), then a crowd.
            if i < 2 || i % 4 == 0 {
                patient.push(tokio::spawn(tokio::time::timeout(Duration::from_secs(30), call)));
                if i == 1 {
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
            } else {
                // The client hangs up after 200 ms.
                hung_up.push(tokio::spawn(tokio::time::timeout(Duration::from_millis(200), call)));
            }
        }
        tokio::time::sleep(Duration::from_millis(300)).await;

        let health = tokio::time::timeout(PATIENCE, s.get("/health")).await.expect("/health answers");
        assert_eq!(health.status, 200);
        let sub = json!({"source_code": "x", "language_id": 71, "stdin": "hi"});
        let created =
            tokio::time::timeout(PATIENCE, s.post("/submissions", &sub)).await.expect("POST /submissions answers");
        assert_eq!(created.status, 201, "{:?}", created.json());
        let token = created.json()["token"].as_str().unwrap().to_owned();
        let done = tokio::time::timeout(PATIENCE, s.finished(&token)).await.expect("the submission is judged");
        assert_eq!(done["stdout"], "hi");

        for h in hung_up {
            // Timed out (the hang-up), or refused at once: never anything else.
            if let Ok(r) = h.await.unwrap() {
                assert_eq!(r.status, 503, "{:?}", r.json());
            }
        }
        let (mut traced, mut refused) = (0, 0);
        for p in patient {
            let r = p.await.unwrap().expect("a debug request is answered within its bounded wait");
            match r.status {
                200 => traced += 1,
                503 => {
                    refused += 1;
                    let after: u64 = r.header("retry-after").expect("503 has Retry-After").parse().unwrap();
                    assert!(after >= 1);
                    assert!(r.json()["error"].as_str().unwrap().contains("debug"), "{:?}", r.json());
                }
                s => panic!("unexpected status {s}: {:?}", r.json()),
            }
        }
        assert!(traced >= 2, "the first patient requests get their turns ({traced} traced, {refused} refused)");
        // Let anything still running end, then count what was traced:
        // requests whose clients hung up while waiting were never traced.
        tokio::time::sleep(Duration::from_secs(2)).await;
        let started = s.judge.debug_calls.load(Ordering::SeqCst);
        assert!(
            started <= traced + 2,
            "{started} traces started for {traced} answered: clients that hung up still had theirs traced"
        );
        assert_eq!(s.svc.debug_gate.running(), 0);
        assert_eq!(s.svc.debug_gate.waiting(), 0);
        let health = tokio::time::timeout(PATIENCE, s.get("/health")).await.expect("/health answers");
        assert_eq!(health.status, 200);
    });
}
