//! Issue 12: `POST /debug` is a job like any other, in both modes: it goes
//! through the queue (and shows there), is never judged as a submission, and
//! is cancelled when its client hangs up, as a `wait=true` submission is.
//! The fake judge's debug trace holds a slot for 800 ms; its `SLEEP_LONG`
//! submissions take 1.5 s, long enough to keep both workers busy.

mod common;

use common::{config, start, TestServer};
use flash_server::job::{JobKind, JobRequest};
use flash_server::store::NewJob;
use flash_server::ServerConfig;
use serde_json::{json, Value};
use std::time::Duration;

/// Keeps both workers busy for 1.5 s; returns the two tokens.
async fn occupy_both_workers(s: &TestServer) -> Vec<String> {
    let mut tokens = Vec::new();
    for _ in 0..2 {
        let r = s.post("/submissions", &json!({"source_code": "SLEEP_LONG", "language_id": 71})).await;
        assert_eq!(r.status, 201, "{:?}", r.json());
        tokens.push(r.json()["token"].as_str().unwrap().to_owned());
    }
    s.health_until("both workers busy", |h| h["processing"] == 2).await;
    tokens
}

/// The queue emptied while both workers were still busy: by the cancel, not
/// because a worker took the job.
async fn assert_still_running(s: &TestServer, busy: &[String]) {
    for t in busy {
        let v = s.get(&format!("/submissions/{t}?fields=status")).await.json();
        assert_eq!(v["status"]["id"], 2, "{v}");
    }
}

/// The value of one metrics series, 0 when absent.
async fn metric(s: &TestServer, series: &str) -> u64 {
    let text = String::from_utf8(s.get("/metrics").await.body).unwrap();
    text.lines().find_map(|l| l.strip_prefix(series).and_then(|v| v.trim().parse().ok())).unwrap_or(0)
}

/// Sends `body` to `path` and hangs up after `after`.
async fn hang_up(s: &TestServer, path: &str, body: &Value, after: Duration) {
    let r = tokio::time::timeout(after, s.post(path, body)).await;
    assert!(r.is_err(), "the request was answered before the client hung up: {:?}", r.map(|r| r.json()));
}

#[tokio::test]
async fn debug_goes_through_the_queue_and_is_never_judged_as_a_submission() {
    let s = std::sync::Arc::new(start(config()).await);
    let t = s.clone();
    let call = tokio::spawn(async move {
        t.post("/debug", &json!({"code": "print(input())", "language": "python3", "input": "hi"})).await
    });
    s.health_until("the debug job queued or running", |h| h["queued"].as_u64() > Some(0) || h["processing"] == 1).await;
    let r = call.await.unwrap();
    assert_eq!(r.status, 200, "{:?}", r.json());
    assert_eq!(r.json()["stdout"], "hi");
    assert_eq!((s.debug_calls(), s.calls()), (1, 0), "traced once, never judged as a submission");
    assert_eq!(metric(&s, "flash_jobs_accepted_by_kind_total{kind=\"debug\"}").await, 1);
    assert_eq!(metric(&s, "flash_jobs_accepted_by_kind_total{kind=\"submission\"}").await, 0);
    // A refusal of the debugger is the same 422 as before.
    let r = s.post("/debug", &json!({"code": "x", "language": "python3", "max_steps": 0})).await;
    assert_eq!(r.status, 422, "{:?}", r.json());
    assert!(r.json()["max_steps"].is_array(), "{:?}", r.json());
    let h = s.health_until("an empty queue", |h| h["queued"] == 0 && h["processing"] == 0).await;
    assert_eq!(h["status"], "ok");
    std::sync::Arc::into_inner(s).unwrap().stop().await;
}

/// `/debug` is synchronous: nobody but its request can read the trace, so
/// `max_wait_secs` (the `wait=true` limit) does not cut it short. With the
/// limit at 0 s the fake trace's 800 ms once gave a 503 and a lost trace.
#[tokio::test]
async fn a_debug_request_outwaits_the_wait_true_limit() {
    let s = start(ServerConfig { max_wait_secs: 0, ..config() }).await;
    let r = s.post("/debug", &json!({"code": "print(input())", "language": "python3", "input": "hi"})).await;
    assert_eq!(r.status, 200, "{:?}", r.json());
    assert_eq!(r.json()["stdout"], "hi");
    // The same server still answers `wait=true` at once, with the job as it is.
    let r = s.post("/submissions?wait=true", &json!({"source_code": "SLEEP_LONG", "language_id": 71})).await;
    assert_eq!(r.status, 201, "{:?}", r.json());
    assert!(r.json()["status"]["id"].as_u64() < Some(3), "not finished yet: {:?}", r.json());
    s.stop().await;
}

#[tokio::test]
async fn a_debug_request_whose_client_hangs_up_is_cancelled_and_frees_its_place() {
    let s = start(config()).await;
    let busy = occupy_both_workers(&s).await;
    let body = json!({"code": "print(1)", "language": "python3"});
    hang_up(&s, "/debug", &body, Duration::from_millis(300)).await;
    // Cancelled while queued: out of the queue at once, its turn given back,
    // while both workers are still busy.
    let h = s.health_until("the cancelled debug job out of the queue", |h| h["queued"] == 0).await;
    assert_eq!(h["processing"], 2, "{h}");
    assert_still_running(&s, &busy).await;
    assert_eq!(s.svc.debug_gate.running(), 0);
    assert_eq!(metric(&s, "flash_jobs_cancelled_total{kind=\"debug\"}").await, 1);
    for t in &busy {
        assert_eq!(s.finished(t).await["status"]["id"], 3);
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(s.debug_calls(), 0, "no worker traced the cancelled job");
    assert_eq!(s.calls(), 2, "nor judged it as a submission");
    s.stop().await;
}

#[tokio::test]
async fn a_waiting_submission_whose_client_hangs_up_is_cancelled() {
    let s = start(config()).await;
    let busy = occupy_both_workers(&s).await;
    let body = json!({"source_code": "x", "language_id": 71, "stdin": "hi"});
    hang_up(&s, "/submissions?wait=true", &body, Duration::from_millis(300)).await;
    let h = s.health_until("the cancelled submission out of the queue", |h| h["queued"] == 0).await;
    assert_eq!(h["processing"], 2, "{h}");
    assert_still_running(&s, &busy).await;
    assert_eq!(metric(&s, "flash_jobs_cancelled_total{kind=\"submission\"}").await, 1);
    // The cancelled job says so.
    let (jobs, _) = s.svc.store.list(0, 10).await.unwrap();
    let cancelled: Vec<_> = jobs.iter().filter(|j| !busy.contains(&j.token)).collect();
    assert_eq!(cancelled.len(), 1, "{jobs:?}");
    let v = s.get(&format!("/submissions/{}?fields=status,message", cancelled[0].token)).await.json();
    assert_eq!(v["status"]["id"], 13, "{v}");
    assert!(v["message"].as_str().unwrap().starts_with("cancelled"), "{v}");
    for t in &busy {
        assert_eq!(s.finished(t).await["status"]["id"], 3);
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(s.calls(), 2, "no worker judged the cancelled submission");
    // A client that waits to the end keeps its job, of course.
    let r = s.post("/submissions?wait=true", &body).await;
    assert_eq!((r.status, r.json()["stdout"].as_str()), (201, Some("hi")), "{:?}", r.json());
    s.stop().await;
}

#[tokio::test]
async fn a_running_job_whose_client_hangs_up_is_stopped_not_run_to_its_end() {
    let s = start(config()).await;
    // The fake judge runs this one for 30 s unless its token fires.
    let body = json!({"source_code": "UNTIL_CANCELLED", "language_id": 71});
    let t = s.svc.clone();
    let watch = tokio::spawn(async move {
        for _ in 0..250 {
            let (jobs, _) = t.store.list(0, 1).await.unwrap();
            if jobs.first().is_some_and(|j| j.state == flash_server::job::JobState::Processing) {
                return true;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        false
    });
    hang_up(&s, "/submissions?wait=true", &body, Duration::from_millis(1500)).await;
    assert!(watch.await.unwrap(), "a worker started the job before its client hung up");
    // Stopped by the cancel (in the worker process, in split mode), well
    // before the judge's own 30 s.
    for _ in 0..250 {
        if s.stopped() == 1 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(s.stopped(), 1, "the running judgement saw its token fire");
    let (jobs, _) = s.svc.store.list(0, 1).await.unwrap();
    let v = s.get(&format!("/submissions/{}?fields=status,message", jobs[0].token)).await.json();
    assert_eq!(v["status"]["id"], 13, "{v}");
    assert!(v["message"].as_str().unwrap().starts_with("cancelled"), "{v}");
    assert_eq!(metric(&s, "flash_jobs_cancelled_total{kind=\"submission\"}").await, 1);
    // Its worker is free again: both workers judge at once.
    let both = [json!({"source_code": "SLEEP", "language_id": 71}), json!({"source_code": "SLEEP", "language_id": 71})];
    for b in &both {
        assert_eq!(s.post("/submissions", b).await.status, 201);
    }
    s.health_until("both workers busy after the stop", |h| h["processing"] == 2).await;
    s.stop().await;
}

#[tokio::test]
async fn a_job_of_a_kind_the_worker_does_not_know_is_failed_not_judged() {
    let s = start(config()).await;
    let r = s.post("/create?wait=true", &json!({"code": "x", "language": "python3", "input": "a"})).await;
    assert_eq!(r.status, 200, "{:?}", r.json());
    let token = r.json()["token"].as_str().unwrap().to_owned();
    let rec = s.svc.store.get(&token).await.unwrap().unwrap();
    // What a newer server would queue: a kind this build has no name for.
    let mut v = serde_json::to_value(&rec.request).unwrap();
    v["kind"] = "quantum".into();
    let request: JobRequest = serde_json::from_value(v).unwrap();
    assert_eq!(request.kind(), JobKind::Unknown);
    let token = uuid::Uuid::new_v4().to_string();
    let job = NewJob { token: token.clone(), created_at_ms: flash_server::job::now_ms(), request };
    s.svc.store.enqueue(vec![job]).await.unwrap();
    let v = s.finished(&token).await;
    assert_eq!(v["status"]["id"], 13, "{v}");
    assert!(v["message"].as_str().unwrap().contains("kind"), "{v}");
    assert_eq!(s.calls(), 1, "only the first job was judged");
    s.stop().await;
}
