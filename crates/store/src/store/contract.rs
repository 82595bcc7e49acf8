//! The contract every [`JobStore`] keeps (see the module docs of
//! [`crate::store`]), as one suite: each contract is a generic function over
//! a [`Backend`], and [`contract_suite!`] makes one `#[tokio::test]` of it per
//! backend: the embedded store, the board in front of it, and Redis (a
//! private redis-server per test; skipped without redis-server, a failure
//! under `FLASH_REQUIRE_ROOT_TESTS`).
//!
//! What differs between backends, and the contract leaves open, is stated by
//! the [`Backend`] (how a store is reopened, how time passes for expiry),
//! never by a test looking at which backend it has.

use super::board::{Board, Limits};
use super::redis::{RedisConfig, RedisStore};
use super::sqlite::SqliteStore;
use super::{Counts, Deleted, JobStore, NewJob};
use crate::job::{now_ms, sample_request, JobResult, JobState};
use flash_testkit::RedisServer;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// A backend under test: a fresh store, and what the contract leaves to it.
pub trait Backend: Sized {
    /// A fresh, empty store with its files under `dir`; `None` when the
    /// backend cannot run here (skipped, having said why).
    async fn open(dir: &Path) -> Option<Self>;

    /// The store.
    fn store(&self) -> &dyn JobStore;

    /// Closes the store and opens it again from what it made durable (the
    /// embedded file; Redis restarted from its append-only file).
    async fn reopen(&mut self);

    /// From now on, keeps what is finished or put only briefly, so that
    /// [`Backend::age_out`] can let the retention period pass. By default
    /// nothing: retention is the service's expiry pass, not a store setting.
    async fn keep_briefly(&mut self) {}

    /// Makes what was finished or put until now old enough to go, as the
    /// retention period would. By default the service's expiry pass, run
    /// as if the period were over.
    async fn age_out(&mut self) {
        self.store().expire(now_ms() + 1).await.unwrap();
    }
}

/// The embedded store on a file in a temp dir.
pub struct Embedded {
    path: PathBuf,
    store: SqliteStore,
}

impl Backend for Embedded {
    async fn open(dir: &Path) -> Option<Embedded> {
        let path = dir.join("jobs.db");
        Some(Embedded { store: SqliteStore::open(&path, false).unwrap(), path })
    }

    fn store(&self) -> &dyn JobStore {
        &self.store
    }

    async fn reopen(&mut self) {
        self.store = SqliteStore::open(&self.path, false).unwrap();
    }
}

/// The board in front of the embedded store, as `flash serve` has it.
pub struct Boarded {
    inner: Embedded,
    board: Board,
}

impl Backend for Boarded {
    async fn open(dir: &Path) -> Option<Boarded> {
        let inner = Embedded::open(dir).await?;
        let board = Board::new(Arc::new(inner.store.clone()), true, Limits::default());
        Some(Boarded { inner, board })
    }

    fn store(&self) -> &dyn JobStore {
        &self.board
    }

    async fn reopen(&mut self) {
        self.inner.reopen().await;
        self.board = Board::new(Arc::new(self.inner.store.clone()), true, Limits::default());
    }
}

/// Redis on a private redis-server.
pub struct Shared {
    server: RedisServer,
    store: RedisStore,
    /// Seconds results and files are kept (Redis's TTLs); 0 keeps them.
    retention_secs: u64,
}

impl Shared {
    async fn connect(server: &RedisServer, retention_secs: u64) -> RedisStore {
        RedisStore::connect(RedisConfig {
            url: server.url(),
            prefix: "c".into(),
            consumer: "w1".into(),
            reclaim_idle: Duration::from_secs(30),
            max_deliveries: 2,
            retention_secs,
        })
        .await
        .unwrap()
    }
}

impl Backend for Shared {
    async fn open(dir: &Path) -> Option<Shared> {
        let server = flash_testkit::redis_for_tests(dir)?;
        let store = Shared::connect(&server, 0).await;
        Some(Shared { server, store, retention_secs: 0 })
    }

    fn store(&self) -> &dyn JobStore {
        &self.store
    }

    async fn reopen(&mut self) {
        self.server.restart().unwrap();
        self.store = Shared::connect(&self.server, self.retention_secs).await;
    }

    async fn keep_briefly(&mut self) {
        self.retention_secs = 1;
        self.store = Shared::connect(&self.server, self.retention_secs).await;
    }

    async fn age_out(&mut self) {
        tokio::time::sleep(Duration::from_millis(self.retention_secs * 1000 + 100)).await;
        // What the service's expiry pass does besides: the listing's index.
        self.store.expire(now_ms() + 1).await.unwrap();
    }
}

fn job(token: &str, at: i64) -> NewJob {
    NewJob { token: token.into(), created_at_ms: at, request: sample_request() }
}

fn tokens(t: &[&str]) -> Vec<String> {
    t.iter().map(|s| (*s).to_owned()).collect()
}

const WAIT: Duration = Duration::from_millis(10);

/// Leases and finishes the oldest queued job, which must be `token`.
async fn lease_and_finish(s: &dyn JobStore, token: &str, at: i64) {
    assert_eq!(s.lease_wait(WAIT).await.unwrap().unwrap().token, token);
    assert!(s.finish(token, &JobResult::internal(format!("result of {token}")), at).await.unwrap());
}

/// Enqueued jobs are stored as Queued, request intact, and survive a reopen.
pub async fn enqueue_stores_durably<B: Backend>(b: &mut B) {
    b.store().enqueue(vec![job("a", 1), job("b", 2)]).await.unwrap();
    b.reopen().await;
    let s = b.store();
    let a = s.get("a").await.unwrap().expect("still there after a reopen");
    assert_eq!((a.state, a.created_at_ms, a.started_at_ms, a.finished_at_ms), (JobState::Queued, 1, None, None));
    assert_eq!(a.request, sample_request(), "bytes survive the round trip");
    assert!(a.result.is_none());
    assert_eq!(s.counts().await.unwrap(), Counts { queued: 2, processing: 0, done: 0 });
    assert_eq!(s.lease_wait(WAIT).await.unwrap().unwrap().token, "a", "the queue order survives too");
}

/// A refused batch stores none of its jobs.
pub async fn enqueue_is_all_or_none<B: Backend>(b: &mut B) {
    let s = b.store();
    s.enqueue(vec![job("a", 1)]).await.unwrap();
    assert!(s.enqueue(vec![job("b", 2), job("a", 3), job("c", 4)]).await.is_err(), "a is there already");
    assert_eq!(s.get_many(&tokens(&["b", "c"])).await.unwrap(), [None, None], "none of the batch is stored");
    assert_eq!(s.get("a").await.unwrap().unwrap().created_at_ms, 1, "the existing job is untouched");
    assert_eq!(s.counts().await.unwrap().queued, 1);
    assert!(s.enqueue(vec![job("d", 5), job("d", 6)]).await.is_err(), "a token twice in one batch");
    assert!(s.get("d").await.unwrap().is_none());
}

/// Jobs are leased oldest first, each once, and are then Processing.
pub async fn lease_takes_the_oldest<B: Backend>(b: &mut B) {
    let s = b.store();
    s.enqueue(vec![job("a", 1), job("b", 2)]).await.unwrap();
    s.enqueue(vec![job("c", 3)]).await.unwrap();
    for t in ["a", "b", "c"] {
        let j = s.lease(10).await.unwrap().expect("a queued job");
        assert_eq!((j.token.as_str(), j.state), (t, JobState::Processing));
        assert!(j.started_at_ms.is_some());
        assert_eq!(s.get(t).await.unwrap().unwrap().state, JobState::Processing);
    }
    assert!(s.lease(11).await.unwrap().is_none(), "each job is leased once");
    assert_eq!(s.counts().await.unwrap(), Counts { queued: 0, processing: 3, done: 0 });
}

/// `lease_wait` on an empty queue waits its time and returns `None`; a job
/// enqueued meanwhile wakes it at once.
pub async fn lease_wait_waits_and_wakes<B: Backend>(b: &mut B) {
    let s = b.store();
    let t = Instant::now();
    assert!(s.lease_wait(Duration::from_millis(200)).await.unwrap().is_none());
    assert!(t.elapsed() >= Duration::from_millis(150), "returned after {:?}, not after the wait", t.elapsed());
    let t = Instant::now();
    let (leased, ()) = tokio::join!(s.lease_wait(Duration::from_secs(20)), async {
        tokio::time::sleep(Duration::from_millis(100)).await;
        s.enqueue(vec![job("a", 1)]).await.unwrap();
    });
    assert_eq!(leased.unwrap().expect("woken by the enqueue").token, "a");
    assert!(t.elapsed() < Duration::from_secs(5), "woken after {:?}", t.elapsed());
}

/// The first result stored is the one every reader sees; a later finish is
/// refused, and so is one of an unknown job.
pub async fn finish_first_result_wins<B: Backend>(b: &mut B) {
    let s = b.store();
    s.enqueue(vec![job("a", 1)]).await.unwrap();
    s.lease_wait(WAIT).await.unwrap().unwrap();
    let first = JobResult::internal("first");
    assert!(s.finish("a", &first, 20).await.unwrap());
    assert!(!s.finish("a", &JobResult::internal("second"), 21).await.unwrap(), "a result is stored once");
    let got = s.get("a").await.unwrap().unwrap();
    assert_eq!((got.state, got.finished_at_ms, got.result), (JobState::Done, Some(20), Some(first)));
    assert!(!s.finish("nope", &JobResult::internal("x"), 22).await.unwrap(), "no such job");
    assert!(s.get("nope").await.unwrap().is_none(), "a refused finish creates nothing");
    assert_eq!(s.counts().await.unwrap(), Counts { queued: 0, processing: 0, done: 1 });
}

/// A cancelled job leaves the queue at once (no worker starts it); a
/// running one that is cancelled has its worker's result refused; a
/// finished or unknown job cannot be cancelled.
pub async fn cancel<B: Backend>(b: &mut B) {
    cancel_on(b.store()).await;
}

/// [`cancel`] on a store: the board's own tests run it and then look inside.
pub async fn cancel_on(s: &dyn JobStore) {
    s.enqueue(vec![job("a", 1), job("b", 2), job("c", 3)]).await.unwrap();
    let gone = JobResult::internal("cancelled: test");
    assert_eq!(s.cancel("b", &gone, 5).await.unwrap(), Some(JobState::Queued));
    let a = s.lease_wait(WAIT).await.unwrap().unwrap();
    assert_eq!(a.token, "a");
    assert_eq!(s.cancel("a", &gone, 6).await.unwrap(), Some(JobState::Processing));
    assert!(!s.finish("a", &JobResult::internal("late"), 7).await.unwrap(), "the cancel's result wins");
    let got = s.get("a").await.unwrap().unwrap();
    assert_eq!((got.state, got.finished_at_ms, got.result.as_ref()), (JobState::Done, Some(6), Some(&gone)));
    assert_eq!(s.lease_wait(WAIT).await.unwrap().unwrap().token, "c", "the cancelled job is skipped");
    assert!(s.lease_wait(WAIT).await.unwrap().is_none());
    assert_eq!(s.cancel("b", &gone, 8).await.unwrap(), None, "already finished");
    assert_eq!(s.cancel("nope", &gone, 8).await.unwrap(), None);
    assert_eq!(s.get("b").await.unwrap().unwrap().result, Some(gone));
    assert_eq!(s.counts().await.unwrap(), Counts { queued: 0, processing: 1, done: 2 });
}

/// What this process leased and will not finish goes back in the queue, to
/// be leased again; finished and queued jobs are not touched.
pub async fn requeue_leased_puts_jobs_back<B: Backend>(b: &mut B) {
    let s = b.store();
    assert_eq!(s.requeue_leased().await.unwrap(), 0, "nothing leased");
    s.enqueue(vec![job("a", 1), job("b", 2), job("c", 3)]).await.unwrap();
    lease_and_finish(s, "a", 5).await;
    assert_eq!(s.lease_wait(WAIT).await.unwrap().unwrap().token, "b");
    assert_eq!(s.requeue_leased().await.unwrap(), 1);
    let b_ = s.get("b").await.unwrap().unwrap();
    assert_eq!((b_.state, b_.result), (JobState::Queued, None));
    assert_eq!(s.get("a").await.unwrap().unwrap().state, JobState::Done, "a finished job stays finished");
    assert_eq!(s.counts().await.unwrap(), Counts { queued: 2, processing: 0, done: 1 });
    let mut again =
        vec![s.lease_wait(WAIT).await.unwrap().unwrap().token, s.lease_wait(WAIT).await.unwrap().unwrap().token];
    again.sort();
    assert_eq!(again, ["b", "c"], "the requeued job is leased again");
}

/// `get` and `get_many` answer in the order asked, `None` for unknown tokens.
pub async fn get_and_get_many<B: Backend>(b: &mut B) {
    let s = b.store();
    s.enqueue(vec![job("a", 1), job("b", 2), job("c", 3)]).await.unwrap();
    lease_and_finish(s, "a", 7).await;
    assert!(s.get("nope").await.unwrap().is_none());
    let got = s.get_many(&tokens(&["c", "nope", "a", "b"])).await.unwrap();
    let seen: Vec<_> = got.iter().map(|r| r.as_ref().map(|r| (r.token.as_str(), r.state))).collect();
    assert_eq!(seen, [Some(("c", JobState::Queued)), None, Some(("a", JobState::Done)), Some(("b", JobState::Queued))]);
    assert_eq!(got[2], s.get("a").await.unwrap(), "the same record both ways");
    assert!(s.get_many(&[]).await.unwrap().is_empty());
}

/// `list` pages through every job, newest first, with the total count.
pub async fn list_pages_newest_first<B: Backend>(b: &mut B) {
    let s = b.store();
    assert_eq!(s.list(0, 10).await.unwrap(), (Vec::new(), 0));
    s.enqueue((0..5).map(|i| job(&format!("t{i}"), i)).collect()).await.unwrap();
    lease_and_finish(s, "t0", 9).await;
    let names = |p: &[crate::job::JobRecord]| p.iter().map(|j| j.token.clone()).collect::<Vec<_>>();
    let (page, total) = s.list(1, 2).await.unwrap();
    assert_eq!((names(&page), total), (tokens(&["t3", "t2"]), 5));
    let (page, total) = s.list(0, 100).await.unwrap();
    assert_eq!((names(&page), total), (tokens(&["t4", "t3", "t2", "t1", "t0"]), 5), "finished jobs are listed too");
    assert_eq!(page[4].state, JobState::Done);
    assert_eq!(s.list(5, 10).await.unwrap(), (Vec::new(), 5), "past the end");
    assert_eq!(s.list(0, 0).await.unwrap(), (Vec::new(), 5), "no room, still the count");
}

/// `delete` removes a finished job only.
pub async fn delete_only_finished<B: Backend>(b: &mut B) {
    let s = b.store();
    s.enqueue(vec![job("a", 1), job("b", 2), job("c", 3)]).await.unwrap();
    lease_and_finish(s, "a", 5).await;
    s.lease_wait(WAIT).await.unwrap().unwrap();
    assert_eq!(s.delete("nope").await.unwrap(), Deleted::NotFound);
    assert_eq!(s.delete("b").await.unwrap(), Deleted::NotFinished(JobState::Processing));
    assert_eq!(s.delete("c").await.unwrap(), Deleted::NotFinished(JobState::Queued));
    let before = s.get("a").await.unwrap().unwrap();
    assert_eq!(s.delete("a").await.unwrap(), Deleted::Deleted(Box::new(before)), "what it was");
    assert!(s.get("a").await.unwrap().is_none());
    assert_eq!(s.delete("a").await.unwrap(), Deleted::NotFound, "gone");
    assert_eq!(s.list(0, 10).await.unwrap().1, 2);
    assert_eq!(s.counts().await.unwrap(), Counts { queued: 1, processing: 1, done: 0 });
}

/// `expire` deletes the jobs finished before a time, and only those.
pub async fn expire_deletes_old_results<B: Backend>(b: &mut B) {
    let s = b.store();
    s.enqueue(vec![job("a", 1), job("b", 2), job("c", 3), job("d", 4)]).await.unwrap();
    lease_and_finish(s, "a", 100).await;
    lease_and_finish(s, "b", 200).await;
    s.lease_wait(WAIT).await.unwrap().unwrap();
    assert_eq!(s.expire(150).await.unwrap(), 1);
    assert!(s.get("a").await.unwrap().is_none());
    assert_eq!(s.get("b").await.unwrap().unwrap().state, JobState::Done);
    assert_eq!(s.expire(150).await.unwrap(), 0, "nothing more that old");
    assert_eq!(s.expire(i64::MAX).await.unwrap(), 1, "b; never an unfinished job");
    let left: Vec<_> = s.list(0, 10).await.unwrap().0.into_iter().map(|j| (j.token, j.state)).collect();
    assert_eq!(left, [("d".to_owned(), JobState::Queued), ("c".to_owned(), JobState::Processing)]);
}

/// `counts` follows every change of state.
pub async fn counts_follow_each_state<B: Backend>(b: &mut B) {
    let s = b.store();
    let counts = async || {
        let c = s.counts().await.unwrap();
        (c.queued, c.processing, c.done)
    };
    assert_eq!(counts().await, (0, 0, 0));
    s.enqueue(vec![job("a", 1), job("b", 2), job("c", 3)]).await.unwrap();
    assert_eq!(counts().await, (3, 0, 0));
    s.lease_wait(WAIT).await.unwrap().unwrap();
    assert_eq!(counts().await, (2, 1, 0));
    assert!(s.finish("a", &JobResult::internal("x"), 5).await.unwrap());
    assert_eq!(counts().await, (2, 0, 1));
    s.cancel("b", &JobResult::internal("gone"), 6).await.unwrap();
    assert_eq!(counts().await, (1, 0, 2));
    s.delete("a").await.unwrap();
    assert_eq!(counts().await, (1, 0, 1));
}

/// Files are kept by id, replaced when put again, and `file_exists` agrees
/// with `get_file`.
pub async fn files_put_replace_and_get<B: Backend>(b: &mut B) {
    let s = b.store();
    assert_eq!(s.get_file("f").await.unwrap(), None);
    assert!(!s.file_exists("f").await.unwrap());
    let big: Vec<u8> = (0..=255u8).cycle().take(1 << 20).collect();
    s.put_file("f", &big, now_ms()).await.unwrap();
    assert_eq!(s.get_file("f").await.unwrap().as_deref(), Some(&big[..]), "bytes intact");
    assert!(s.file_exists("f").await.unwrap());
    s.put_file("f", b"\0new", now_ms()).await.unwrap();
    assert_eq!(s.get_file("f").await.unwrap().as_deref(), Some(&b"\0new"[..]), "replaced");
    assert!(!s.file_exists("g").await.unwrap(), "another id");
    assert_eq!(s.get_file("g").await.unwrap(), None);
    assert!(s.get("f").await.unwrap().is_none(), "files are not jobs");
}

/// Files and results go once the retention period has passed, and
/// `file_exists` says so like `get_file`; unfinished jobs stay.
pub async fn files_and_results_expire<B: Backend>(b: &mut B) {
    b.keep_briefly().await;
    let s = b.store();
    s.put_file("f", b"data", now_ms()).await.unwrap();
    s.enqueue(vec![job("a", 1), job("b", 2)]).await.unwrap();
    lease_and_finish(s, "a", now_ms()).await;
    b.age_out().await;
    let s = b.store();
    assert!(!s.file_exists("f").await.unwrap(), "an expired file does not exist");
    assert_eq!(s.get_file("f").await.unwrap(), None);
    assert!(s.get("a").await.unwrap().is_none(), "an old result is gone");
    assert_eq!(s.get("b").await.unwrap().unwrap().state, JobState::Queued, "a queued job is not");
    s.put_file("f", b"again", now_ms()).await.unwrap();
    assert!(s.file_exists("f").await.unwrap(), "put again after expiry");
}

/// One `#[tokio::test]` per contract and backend (`sqlite::cancel`,
/// `redis::cancel`, ...), each on a fresh store in a temp dir.
macro_rules! contract_suite {
    ($($contract:ident),* $(,)?) => {
        contract_suite!(@backend sqlite, Embedded, $($contract),*);
        contract_suite!(@backend board, Boarded, $($contract),*);
        contract_suite!(@backend redis, Shared, $($contract),*);
    };
    (@backend $module:ident, $backend:ident, $($contract:ident),*) => {
        mod $module {
            $(
                #[tokio::test]
                async fn $contract() {
                    let dir = tempfile::tempdir().unwrap();
                    let Some(mut b) = <super::$backend as super::Backend>::open(dir.path()).await else { return };
                    super::$contract(&mut b).await;
                }
            )*
        }
    };
}

contract_suite!(
    enqueue_stores_durably,
    enqueue_is_all_or_none,
    lease_takes_the_oldest,
    lease_wait_waits_and_wakes,
    finish_first_result_wins,
    cancel,
    requeue_leased_puts_jobs_back,
    get_and_get_many,
    list_pages_newest_first,
    delete_only_finished,
    expire_deletes_old_results,
    counts_follow_each_state,
    files_put_replace_and_get,
    files_and_results_expire,
);
