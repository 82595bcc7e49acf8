//! The store's contract, on a real SQLite file in a temp dir.

use super::*;
use crate::job::sample_request;

fn job(token: &str, at: i64) -> NewJob {
    NewJob { token: token.into(), created_at_ms: at, request: sample_request() }
}

fn open() -> (tempfile::TempDir, SqliteStore) {
    let dir = tempfile::tempdir().unwrap();
    let s = SqliteStore::open(&dir.path().join("jobs.db"), false).unwrap();
    (dir, s)
}

#[tokio::test]
async fn jobs_are_leased_in_order_and_finish_once() {
    let (_d, s) = open();
    s.enqueue(vec![job("a", 1), job("b", 2)]).await.unwrap();
    let a = s.lease(10).await.unwrap().unwrap();
    assert_eq!((a.token.as_str(), a.state), ("a", JobState::Processing));
    assert_eq!(a.request, sample_request(), "bytes survive the round trip");
    let b = s.lease(11).await.unwrap().unwrap();
    assert_eq!(b.token, "b");
    assert!(s.lease(12).await.unwrap().is_none());
    let r = JobResult::internal("x");
    assert!(s.finish("a", &r, 20).await.unwrap());
    assert!(!s.finish("a", &r, 21).await.unwrap(), "a result is stored once");
    let got = s.get("a").await.unwrap().unwrap();
    assert_eq!((got.state, got.finished_at_ms), (JobState::Done, Some(20)));
    assert_eq!(got.result, Some(r));
    let c = s.counts().await.unwrap();
    assert_eq!((c.queued, c.processing, c.done), (0, 1, 1));
}

#[tokio::test]
async fn a_restart_requeues_leased_jobs_and_a_stale_finish_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("jobs.db");
    {
        let s = SqliteStore::open(&path, false).unwrap();
        s.enqueue(vec![job("a", 1)]).await.unwrap();
        s.lease(5).await.unwrap().unwrap();
    }
    let s = SqliteStore::open(&path, false).unwrap();
    assert_eq!(s.requeue_leased().await.unwrap(), 1);
    assert_eq!(s.get("a").await.unwrap().unwrap().state, JobState::Queued);
    assert!(!s.finish("a", &JobResult::internal("late"), 9).await.unwrap());
    assert_eq!(s.lease(10).await.unwrap().unwrap().token, "a");
}

#[tokio::test]
async fn list_get_many_delete_and_expire() {
    let (_d, s) = open();
    s.enqueue((0..5).map(|i| job(&format!("t{i}"), i)).collect()).await.unwrap();
    let (page, total) = s.list(1, 2).await.unwrap();
    assert_eq!(total, 5);
    let names: Vec<_> = page.iter().map(|j| j.token.as_str()).collect();
    assert_eq!(names, ["t3", "t2"], "newest first");
    let many = s.get_many(&["t1".into(), "nope".into(), "t0".into()]).await.unwrap();
    assert_eq!(many[0].as_ref().unwrap().token, "t1");
    assert!(many[1].is_none());
    assert_eq!(s.delete("t0").await.unwrap(), Deleted::NotFinished(JobState::Queued));
    assert_eq!(s.delete("zz").await.unwrap(), Deleted::NotFound);
    let t0 = s.lease(1).await.unwrap().unwrap();
    s.finish(&t0.token, &JobResult::internal("x"), 100).await.unwrap();
    let t1 = s.lease(1).await.unwrap().unwrap();
    s.finish(&t1.token, &JobResult::internal("x"), 200).await.unwrap();
    assert_eq!(s.expire(150).await.unwrap(), 1);
    assert!(s.get("t0").await.unwrap().is_none());
    assert!(matches!(s.delete("t1").await.unwrap(), Deleted::Deleted(_)));
    assert_eq!(s.counts().await.unwrap().queued, 3);
}

#[tokio::test]
async fn cancel_keeps_the_contract() {
    let (_d, s) = open();
    crate::store::contract::cancel(&s).await;
}
