//! Contract tests every [`JobStore`] backend passes: generic functions over
//! the trait, called from each backend's tests with a fresh store.

use super::{JobStore, NewJob};
use crate::job::{sample_request, JobResult, JobState};
use std::time::Duration;

fn job(token: &str, at: i64) -> NewJob {
    NewJob { token: token.into(), created_at_ms: at, request: sample_request() }
}

/// A cancelled job leaves the queue at once (no worker starts it); a
/// running one that is cancelled has its worker's result refused; a
/// finished or unknown job cannot be cancelled.
pub async fn cancel(s: &dyn JobStore) {
    let wait = Duration::from_millis(10);
    s.enqueue(vec![job("a", 1), job("b", 2), job("c", 3)]).await.unwrap();
    let gone = JobResult::internal("cancelled: test");
    assert_eq!(s.cancel("b", &gone, 5).await.unwrap(), Some(JobState::Queued));
    let a = s.lease_wait(wait).await.unwrap().unwrap();
    assert_eq!(a.token, "a");
    assert_eq!(s.cancel("a", &gone, 6).await.unwrap(), Some(JobState::Processing));
    assert!(!s.finish("a", &JobResult::internal("late"), 7).await.unwrap(), "the cancel's result wins");
    let got = s.get("a").await.unwrap().unwrap();
    assert_eq!((got.state, got.finished_at_ms, got.result.as_ref()), (JobState::Done, Some(6), Some(&gone)));
    assert_eq!(s.lease_wait(wait).await.unwrap().unwrap().token, "c", "the cancelled job is skipped");
    assert!(s.lease_wait(wait).await.unwrap().is_none());
    assert_eq!(s.cancel("b", &gone, 8).await.unwrap(), None, "already finished");
    assert_eq!(s.cancel("nope", &gone, 8).await.unwrap(), None);
    assert_eq!(s.get("b").await.unwrap().unwrap().result, Some(gone));
    let c = s.counts().await.unwrap();
    assert_eq!((c.queued, c.processing, c.done), (0, 1, 2));
}
