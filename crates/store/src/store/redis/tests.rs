//! What only a shared queue has, on a private redis-server (skipped, with
//! the reason, when redis-server is not installed; see
//! `flash_testkit::redis_for_tests`): capacity across clients, reclaim of a
//! dead worker's job, dead letters, results counted once, hand-back to the
//! back of the queue, heartbeats, TTLs and notifications. The contract every
//! backend keeps is `store/contract.rs`.

use super::*;
use crate::job::sample_request;
use crate::store::WorkerBeat;
use flash_testkit::{redis_for_tests, RedisServer};

fn job(token: &str, at: i64) -> NewJob {
    NewJob { token: token.into(), created_at_ms: at, request: sample_request() }
}

fn cfg(url: &str, consumer: &str) -> RedisConfig {
    RedisConfig {
        url: url.into(),
        prefix: "t".into(),
        consumer: consumer.into(),
        reclaim_idle: Duration::from_millis(300),
        max_deliveries: 2,
        retention_secs: 0,
    }
}

async fn open() -> Option<(tempfile::TempDir, RedisServer, RedisStore)> {
    let dir = tempfile::tempdir().unwrap();
    let server = redis_for_tests(dir.path())?;
    let s = RedisStore::connect(cfg(&server.url(), "w1")).await.unwrap();
    Some((dir, server, s))
}

#[tokio::test]
async fn jobs_are_leased_in_order_and_the_first_result_wins() {
    let Some((_d, _r, s)) = open().await else { return };
    s.enqueue(vec![job("a", 1), job("b", 2)]).await.unwrap();
    let a = s.lease_wait(Duration::from_millis(10)).await.unwrap().unwrap();
    assert_eq!((a.token.as_str(), a.state), ("a", JobState::Processing));
    assert_eq!(a.request, sample_request(), "bytes survive the round trip");
    let b = s.lease_wait(Duration::from_millis(10)).await.unwrap().unwrap();
    assert_eq!(b.token, "b");
    assert!(s.lease_wait(Duration::from_millis(10)).await.unwrap().is_none());
    let c = s.counts().await.unwrap();
    assert_eq!((c.queued, c.processing, c.done), (0, 2, 0));
    let r = JobResult::internal("x");
    assert!(s.finish("a", &r, 20).await.unwrap());
    assert!(!s.finish("a", &JobResult::internal("other"), 21).await.unwrap(), "a result is stored once");
    let got = s.get("a").await.unwrap().unwrap();
    assert_eq!((got.state, got.finished_at_ms), (JobState::Done, Some(20)));
    assert_eq!(got.result, Some(r));
    let c = s.counts().await.unwrap();
    assert_eq!((c.queued, c.processing, c.done), (0, 1, 1));
    assert_eq!(s.finished_by_status().await.unwrap().get(&13), Some(&1), "counted once");
}

#[tokio::test]
async fn capacity_holds_across_clients_and_batches_are_all_or_none() {
    let Some((_d, r, s)) = open().await else { return };
    let other = RedisStore::connect(cfg(&r.url(), "w2")).await.unwrap();
    assert!(s.enqueue_bounded(vec![job("a", 1), job("b", 1)], 3).await.unwrap());
    assert!(!other.enqueue_bounded(vec![job("c", 1), job("d", 1)], 3).await.unwrap(), "2 + 2 > 3");
    assert!(s.get("c").await.unwrap().is_none(), "none of a refused batch is stored");
    assert!(other.enqueue_bounded(vec![job("c", 1)], 3).await.unwrap());
    assert_eq!(s.queue_depth().await.unwrap(), 3);
    // A leased job no longer waits: there is room again.
    s.lease_wait(Duration::from_millis(10)).await.unwrap().unwrap();
    assert!(other.enqueue_bounded(vec![job("d", 1)], 3).await.unwrap());
    assert!(!other.enqueue_bounded(vec![job("e", 1)], 3).await.unwrap());
}

#[tokio::test]
async fn a_dead_workers_job_is_reclaimed_then_dead_lettered() {
    let Some((_d, r, dead)) = open().await else { return };
    dead.enqueue(vec![job("a", 1)]).await.unwrap();
    dead.lease_wait(Duration::from_millis(10)).await.unwrap().unwrap();
    // The first worker "dies": it never finishes, and its refreshes stop.
    dead.inner.running.lock().unwrap().clear();
    let w2 = RedisStore::connect(cfg(&r.url(), "w2")).await.unwrap();
    assert!(w2.lease_wait(Duration::from_millis(10)).await.unwrap().is_none(), "not idle long enough yet");
    tokio::time::sleep(Duration::from_millis(700)).await;
    let again = w2.lease_wait(Duration::from_millis(10)).await.unwrap().expect("reclaimed after the idle time");
    assert_eq!(again.token, "a");
    // The second worker dies too: after two deliveries the job is dead.
    w2.inner.running.lock().unwrap().clear();
    tokio::time::sleep(Duration::from_millis(700)).await;
    let w3 = RedisStore::connect(cfg(&r.url(), "w3")).await.unwrap();
    assert!(w3.lease_wait(Duration::from_millis(10)).await.unwrap().is_none());
    let a = w3.get("a").await.unwrap().unwrap();
    assert_eq!(a.state, JobState::Done);
    let res = a.result.unwrap();
    assert_eq!(res.run.status.id(), 13);
    assert!(res.run.message.unwrap().contains("2 times"));
    assert_eq!(w3.dead_letters().await.unwrap(), 1);
    assert_eq!(w3.counts().await.unwrap(), Counts { queued: 0, processing: 0, done: 1 });
    // The first worker comes back to life: its late result is ignored.
    assert!(!dead.finish("a", &JobResult::internal("late"), 9).await.unwrap());
}

#[tokio::test]
async fn a_running_job_is_refreshed_and_never_taken_over() {
    let Some((_d, r, s)) = open().await else { return };
    s.enqueue(vec![job("a", 1)]).await.unwrap();
    s.lease_wait(Duration::from_millis(10)).await.unwrap().unwrap();
    let w2 = RedisStore::connect(cfg(&r.url(), "w2")).await.unwrap();
    for _ in 0..6 {
        tokio::time::sleep(Duration::from_millis(200)).await;
        assert!(w2.lease_wait(Duration::from_millis(10)).await.unwrap().is_none(), "still running at w1");
    }
    assert!(s.finish("a", &JobResult::internal("x"), 5).await.unwrap());
}

#[tokio::test]
async fn a_stopping_worker_hands_back_what_it_holds() {
    let Some((_d, r, s)) = open().await else { return };
    s.enqueue(vec![job("a", 1), job("b", 2)]).await.unwrap();
    s.lease_wait(Duration::from_millis(10)).await.unwrap().unwrap();
    let w2 = RedisStore::connect(cfg(&r.url(), "w2")).await.unwrap();
    assert_eq!(w2.requeue_leased().await.unwrap(), 0, "another worker's jobs are not touched");
    assert_eq!(s.requeue_leased().await.unwrap(), 1);
    assert_eq!(s.get("a").await.unwrap().unwrap().state, JobState::Queued);
    let c = s.counts().await.unwrap();
    assert_eq!((c.queued, c.processing), (2, 0));
    let b = w2.lease_wait(Duration::from_millis(10)).await.unwrap().unwrap();
    let a = w2.lease_wait(Duration::from_millis(10)).await.unwrap().unwrap();
    assert_eq!((b.token.as_str(), a.token.as_str()), ("b", "a"), "a handed-back job goes to the back");
}

#[tokio::test]
async fn heartbeats_come_and_go() {
    let Some((_d, _r, s)) = open().await else { return };
    let beat = WorkerBeat {
        id: "w1".into(),
        host: "h".into(),
        pid: 1,
        slots: 2,
        running: 0,
        finished: 0,
        failed: 0,
        started_at_ms: 0,
        seen_at_ms: now_ms(),
    };
    s.heartbeat(&beat, Duration::from_secs(5)).await.unwrap();
    assert_eq!(s.live_workers().await.unwrap(), vec![beat]);
    s.leave().await.unwrap();
    assert!(s.live_workers().await.unwrap().is_empty());
}

#[tokio::test]
async fn results_get_a_ttl_and_waiters_hear_of_finished_jobs() {
    let Some((_d, r, _s)) = open().await else { return };
    let mut c = cfg(&r.url(), "w1");
    c.retention_secs = 100;
    let s = RedisStore::connect(c).await.unwrap();
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<Option<String>>();
    let watch = s.watch_finished(Arc::new(move |t| {
        let _ = tx.send(t.map(str::to_owned));
    }));
    assert_eq!(rx.recv().await.unwrap(), None, "a (re)connection says: look again");
    s.enqueue(vec![job("a", 1)]).await.unwrap();
    s.lease_wait(Duration::from_millis(10)).await.unwrap().unwrap();
    s.finish("a", &JobResult::internal("x"), now_ms()).await.unwrap();
    assert_eq!(rx.recv().await.unwrap().as_deref(), Some("a"));
    let ttl = r.command("TTL t:job:a").unwrap();
    let ttl: i64 = ttl.trim().trim_start_matches(':').parse().unwrap();
    assert!((90..=100).contains(&ttl), "{ttl}");
    watch.abort();
}

#[tokio::test]
async fn bad_urls_are_refused_clearly() {
    for url in ["http://127.0.0.1:6379", "127.0.0.1:6379", "redis://[::1", "rediss://127.0.0.1"] {
        let e = RedisStore::connect(cfg(url, "w")).await.err().expect(url).to_string();
        assert!(e.contains("invalid Redis URL") && e.contains("redis://"), "{url}: {e}");
    }
    assert_eq!(redact("redis://:s3cret@h:1/0"), "redis://:***@h:1/0");
    assert_eq!(redact("redis://u:p@h"), "redis://u:***@h");
    assert_eq!(redact("redis://h:1"), "redis://h:1");
}
