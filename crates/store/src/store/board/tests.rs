//! The board over a real SQLite store: what it answers from memory equals
//! what the store says, and what is gone from the store is not served.

use super::*;
use crate::job::sample_request;
use crate::store::sqlite::SqliteStore;

fn job(token: &str, at: i64) -> NewJob {
    NewJob { token: token.into(), created_at_ms: at, request: sample_request() }
}

/// A board over a fresh store; the store is returned too, to change jobs
/// behind the board's back (what another process would do).
fn open(sole: bool, limits: Limits) -> (tempfile::TempDir, Arc<SqliteStore>, Board) {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(SqliteStore::open(&dir.path().join("jobs.db"), false).unwrap());
    let board = Board::new(store.clone(), sole, limits);
    (dir, store, board)
}

/// Enqueues, leases and finishes `tokens` through the board.
async fn finish_all(b: &Board, tokens: &[&str]) {
    b.enqueue(tokens.iter().map(|t| job(t, 1)).collect()).await.unwrap();
    for t in tokens {
        let leased = b.lease(2).await.unwrap().unwrap();
        assert_eq!(leased.token, *t);
        assert!(b.finish(t, &JobResult::internal(format!("result of {t}")), 3).await.unwrap());
    }
}

fn tokens(t: &[&str]) -> Vec<String> {
    t.iter().map(|s| (*s).to_owned()).collect()
}

#[tokio::test]
async fn a_finished_record_from_memory_equals_the_stored_one() {
    let (_d, store, b) = open(true, Limits::default());
    finish_all(&b, &["a", "b"]).await;
    let stored = store.get_many(&tokens(&["a", "b"])).await.unwrap();
    assert_eq!(b.get_many(&tokens(&["a", "b", "nope"])).await.unwrap(), [stored[0].clone(), stored[1].clone(), None]);
    assert_eq!(b.kept(), 2);
    // Gone behind the board's back: still answered, so from memory, and the same.
    store.delete("a").await.unwrap();
    assert_eq!(b.get("a").await.unwrap(), stored[0]);
    match &b.look(&tokens(&["b"]), false).await.unwrap()[..] {
        [Seen::Record(r)] => assert_eq!(Some(&**r), stored[1].as_ref()),
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn unfinished_states_come_from_memory_only_when_this_process_alone_changes_jobs() {
    let (_d, _store, b) = open(true, Limits::default());
    let state = |s: &[Seen]| match s {
        [Seen::Unfinished(st)] => Some(*st),
        _ => None,
    };
    b.enqueue(vec![job("a", 1)]).await.unwrap();
    assert_eq!(state(&b.look(&tokens(&["a"]), false).await.unwrap()), Some(JobState::Queued));
    assert!(state(&b.look(&tokens(&["a"]), true).await.unwrap()).is_none(), "the record, when needed, is read");
    b.lease(2).await.unwrap().unwrap();
    assert_eq!(state(&b.look(&tokens(&["a"]), false).await.unwrap()), Some(JobState::Processing));
    b.finish("a", &JobResult::internal("x"), 3).await.unwrap();
    match &b.look(&tokens(&["a"]), false).await.unwrap()[..] {
        [Seen::Record(r)] => assert_eq!(r.state, JobState::Done),
        other => panic!("a finished job is read from the store: {other:?}"),
    }

    // Shared with other processes: unfinished jobs are the store's to tell.
    let (_d, _store, shared) = open(false, Limits::default());
    shared.enqueue(vec![job("a", 1)]).await.unwrap();
    match &shared.look(&tokens(&["a"]), false).await.unwrap()[..] {
        [Seen::Record(r)] => assert_eq!(r.state, JobState::Queued),
        other => panic!("{other:?}"),
    }
    assert_eq!(shared.kept(), 0, "unfinished records are not kept");
}

#[tokio::test]
async fn a_deleted_or_expired_submission_is_not_served_from_memory() {
    let (_d, _store, b) = open(true, Limits::default());
    finish_all(&b, &["a", "b"]).await;
    assert!(b.get_many(&tokens(&["a", "b"])).await.unwrap().iter().all(Option::is_some));
    assert!(matches!(b.delete("a").await.unwrap(), Deleted::Deleted(_)));
    assert_eq!(b.get("a").await.unwrap(), None);
    assert_eq!(b.expire(4).await.unwrap(), 1, "b finished at 3");
    assert_eq!(b.get("b").await.unwrap(), None);
    assert_eq!(b.kept(), 0);
}

#[tokio::test]
async fn a_cancelled_job_leaves_the_board() {
    let (_d, _store, b) = open(true, Limits::default());
    crate::store::contract::cancel_on(&b).await;
    // The contract cancels a and b and leaves c running.
    let live: Vec<_> = b.lock().live.iter().map(|(t, s)| (t.clone(), *s)).collect();
    assert_eq!(live, [("c".to_owned(), JobState::Processing)]);
}

#[tokio::test]
async fn kept_records_are_bounded_by_count_bytes_and_age() {
    let by_count = Limits { entries: 3, ..Limits::default() };
    let (_d, _store, b) = open(true, by_count);
    let all = ["a", "b", "c", "d", "e"];
    finish_all(&b, &all).await;
    assert!(b.get_many(&tokens(&all)).await.unwrap().iter().all(Option::is_some));
    assert_eq!(b.kept(), 3);
    assert!(b.lock().order.len() <= 3, "the eviction order is bounded too");

    let by_bytes = Limits { bytes: 100, ..Limits::default() };
    let (_d, _store, b) = open(true, by_bytes);
    finish_all(&b, &["a"]).await;
    assert!(b.get("a").await.unwrap().is_some());
    assert_eq!(b.kept(), 0, "a record over the byte limit is not kept");

    let by_age = Limits { age: Duration::ZERO, ..Limits::default() };
    let (_d, store, b) = open(true, by_age);
    finish_all(&b, &["a"]).await;
    assert!(b.get("a").await.unwrap().is_some());
    store.delete("a").await.unwrap();
    assert_eq!(b.get("a").await.unwrap(), None, "an entry past its age is not served");
}
