//! What only the embedded store does, on a real SQLite file in a temp dir
//! (the contract itself is `store/contract.rs`, run against every backend).

use super::*;
use crate::job::sample_request;

fn job(token: &str, at: i64) -> NewJob {
    NewJob { token: token.into(), created_at_ms: at, request: sample_request() }
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
