//! A server on port 0 with a fake judge: the API end to end over real HTTP,
//! without a sandbox or root.
//!
//! Two modes, chosen by the test target's name. Embedded (`judge0_api`,
//! `native_and_ops`): one in-process server with its workers and SQLite.
//! Split (`*_split`, which include the same test files): a private
//! redis-server, an in-process HTTP-only server (what `flash server` runs) and
//! the workers as separate processes (what `flash worker` runs): this test
//! binary started again with `FLASH_TEST_WORKER` set, which runs only
//! [`split_worker_process`]. The workers' fake judge counts its calls in a
//! file, so tests can read them across processes ([`TestServer::calls`]).

#![allow(dead_code)]

use flash_debugger::{DebugRequest, Trace, TraceStatus, UsedLimits};
use flash_engine::{Comparison, Judgement, Language, Registry, RunOutcome, StatusId, Submission, WorkspaceRun};
use flash_sandbox::BoxFile;
use flash_server::client::{self, Response};
use flash_server::judge::{Judge, LanguageTable, TableJudge, MULTI_FILE_TOML};
use flash_server::store::redis::RedisStore;
use flash_server::store::sqlite::SqliteStore;
use flash_server::store::Cluster;
use flash_server::{ServerConfig, Service};
use flash_testkit::RedisServer;
use serde_json::Value;
use std::io::Write as _;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

/// Whether this test target runs the API in split mode (server + worker processes + Redis).
pub fn split() -> bool {
    env!("CARGO_CRATE_NAME").ends_with("_split")
}

/// Judges by looking at the source: `COMPILE_ERROR`, `SLEEP`, `SLEEP_LONG`, `MLE`, `BINARY`,
/// `PANIC`, verdict markers (`MLE`, `TLE`, `SEGV`, `SIGSYS`, `NZEC`, `OLE`, `INTERNAL`),
/// `LIMITS`, `FILEDATA`, `ARGS`, `FILES`, `SCOPE` (the compile cache scope); otherwise echoes stdin and compares with the expected output.
pub struct FakeJudge {
    langs: Vec<Language>,
    refusals: std::collections::BTreeMap<u32, String>,
    /// Calls made.
    pub calls: AtomicUsize,
    /// Debug traces started.
    pub debug_calls: AtomicUsize,
    /// `UNTIL_CANCELLED` judgements that saw their token fire.
    pub stopped: AtomicUsize,
    /// Split mode: one byte appended per call, for the test process to count.
    calls_file: Option<PathBuf>,
    /// What [`Judge::warming`] says.
    pub warming: std::sync::atomic::AtomicBool,
}

/// The fake judge's language table (every shipped language, version "1.0").
fn table() -> (String, Registry) {
    let text = format!("{}{}", flash_engine::registry::SHIPPED, MULTI_FILE_TOML);
    let reg = Registry::from_toml(&text, |_| Ok("1.0".into())).unwrap();
    (text, reg)
}

impl FakeJudge {
    pub fn new() -> FakeJudge {
        let reg = table().1;
        FakeJudge {
            langs: reg.languages().to_vec(),
            refusals: reg.refusals().clone(),
            calls: AtomicUsize::new(0),
            debug_calls: AtomicUsize::new(0),
            stopped: AtomicUsize::new(0),
            calls_file: None,
            warming: std::sync::atomic::AtomicBool::new(false),
        }
    }
}

fn outcome(stdout: Vec<u8>, expected: Option<&[u8]>, compare: &Comparison) -> RunOutcome {
    let checked = match expected {
        None => Ok(()),
        Some(e) if *compare == Comparison::default() => {
            if e.trim_ascii_end() == stdout.trim_ascii_end() {
                Ok(())
            } else {
                Err(None)
            }
        }
        Some(e) => compare.check(&stdout, e).map_err(Some),
    };
    RunOutcome {
        status: if checked.is_ok() { StatusId::Accepted } else { StatusId::WrongAnswer },
        stdout,
        stderr: Vec::new(),
        message: checked.err().flatten(),
        exit_code: Some(0),
        exit_signal: None,
        time: 0.01,
        wall_time: 0.02,
        memory: 1000,
        interleave: Vec::new(),
    }
}

impl Judge for FakeJudge {
    fn judge(&self, sub: &Submission) -> Result<Judgement, flash_engine::Error> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        if let Some(f) = &self.calls_file {
            let mut f = std::fs::OpenOptions::new().create(true).append(true).open(f).unwrap();
            f.write_all(b".").unwrap();
        }
        let src = String::from_utf8_lossy(&sub.source).into_owned();
        let mut j = Judgement::internal("");
        j.run.message = None;
        if src.contains("PANIC") {
            panic!("the fake judge was asked to panic");
        }
        if src.contains("COMPILE_ERROR") {
            j.run.status = StatusId::CompilationError;
            j.compile_output = b"main.cpp:1: error: nope\n".to_vec();
            return Ok(j);
        }
        if src.contains("UNTIL_CANCELLED") {
            // Runs until the job's token fires (at most 30 s).
            let start = Instant::now();
            while start.elapsed() < Duration::from_secs(30) {
                if sub.cancel.as_ref().is_some_and(|c| c.is_cancelled()) {
                    self.stopped.fetch_add(1, Ordering::SeqCst);
                    if let Some(f) = &self.calls_file {
                        let mut f =
                            std::fs::OpenOptions::new().create(true).append(true).open(stopped_file(f)).unwrap();
                        f.write_all(b".").unwrap();
                    }
                    return Err(flash_engine::Error::Cancelled);
                }
                std::thread::sleep(Duration::from_millis(10));
            }
        }
        if src.contains("SLEEP_LONG") {
            std::thread::sleep(Duration::from_millis(1500));
        } else if src.contains("SLEEP") {
            std::thread::sleep(Duration::from_millis(300));
        }
        let runs: Vec<RunOutcome> = if sub.tests.is_empty() {
            vec![outcome(sub.stdin.clone(), sub.expected.as_deref(), &sub.comparison)]
        } else {
            sub.tests.iter().map(|t| outcome(t.input.clone(), t.expected.as_deref(), &sub.comparison)).collect()
        };
        let shown = runs.iter().find(|o| o.status != StatusId::Accepted).unwrap_or(runs.last().unwrap());
        j.run.status = shown.status;
        j.run.stdout = shown.stdout.clone();
        j.run.message = shown.message.clone();
        if src.contains("BINARY") {
            j.run.stdout = vec![0xff, 0xfe, b'\n'];
        }
        if src.contains("ARGS") {
            j.run.stdout = sub.args.join("|").into_bytes();
        }
        if src.contains("FILES") {
            let names: Vec<&str> = sub.extra_files.iter().map(|f| f.path.as_str()).collect();
            j.run.stdout = names.join(",").into_bytes();
        }
        if src.contains("LIMITS") {
            let l = &sub.limits;
            j.run.stdout = format!("cpu={} wall={} mem={} procs={}", l.cpu_time, l.wall_time, l.memory_kb, l.processes)
                .into_bytes();
        }
        if src.contains("SCOPE") {
            j.run.stdout = format!("scope={}", sub.cache_scope).into_bytes();
        }
        if src.contains("FILEDATA") {
            let all: Vec<String> =
                sub.extra_files.iter().map(|f| format!("{}={}", f.path, String::from_utf8_lossy(&f.data))).collect();
            j.run.stdout = all.join(";").into_bytes();
        }
        j.run.exit_code = Some(0);
        // Verdicts by marker, for the APIs that map them to their own codes.
        let verdicts = [
            ("MLE", StatusId::MemoryLimitExceeded, None, None),
            ("TLE", StatusId::TimeLimitExceeded, None, Some(9)),
            ("SEGV", StatusId::RuntimeSigsegv, None, Some(11)),
            ("SIGSYS", StatusId::RuntimeOther, None, Some(31)),
            ("NZEC", StatusId::RuntimeNzec, Some(3), None),
            ("OLE", StatusId::OutputLimitExceeded, None, None),
            ("INTERNAL", StatusId::InternalError, None, None),
        ];
        if let Some((m, status, code, signal)) = verdicts.iter().find(|v| src.contains(v.0)) {
            j.run.status = *status;
            j.run.message = Some(if *m == "MLE" { "memory limit exceeded".into() } else { format!("{m} (fake)") });
            j.run.exit_code = *code;
            j.run.exit_signal = *signal;
            j.run.stderr = format!("{m} on stderr").into_bytes();
        }
        j.run.time = 0.01;
        j.run.wall_time = 0.02;
        j.run.memory = 1000;
        if !sub.tests.is_empty() {
            j.tests = runs;
        }
        Ok(j)
    }

    fn languages(&self) -> &[Language] {
        &self.langs
    }

    fn can_debug(&self) -> bool {
        true
    }

    /// Like the engine: blocks for one of two sandbox slots, then holds it
    /// for 800 ms (the trace of a program that sleeps).
    fn debug(&self, req: &DebugRequest) -> Result<Trace, flash_debugger::Error> {
        static SLOTS: (Mutex<usize>, Condvar) = (Mutex::new(2), Condvar::new());
        self.debug_calls.fetch_add(1, Ordering::SeqCst);
        if let Some(f) = &self.calls_file {
            let mut f = std::fs::OpenOptions::new().create(true).append(true).open(debug_calls_file(f)).unwrap();
            f.write_all(b".").unwrap();
        }
        let mut free = SLOTS.0.lock().unwrap();
        while *free == 0 {
            free = SLOTS.1.wait(free).unwrap();
        }
        *free -= 1;
        drop(free);
        std::thread::sleep(Duration::from_millis(800));
        *SLOTS.0.lock().unwrap() += 1;
        SLOTS.1.notify_one();
        Ok(Trace {
            status: TraceStatus::Ok,
            message: None,
            stdout: req.input.clone(),
            stderr: String::new(),
            exit: Some(0),
            signal: None,
            compile_output: String::new(),
            limits: UsedLimits {
                max_steps: 1,
                trace_bytes: 1,
                cpu_time: 1.0,
                wall_time: 1.0,
                memory_kb: 1,
                output_kb: 1,
            },
            steps: Vec::new(),
        })
    }

    fn refusal(&self, id: u32) -> Option<String> {
        self.refusals.get(&id).cloned()
    }

    fn warming(&self) -> bool {
        self.warming.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// A package's report without running anything: every test accepted
    /// with a full score, except the first secret test when the source says
    /// `WA`; the worker's process id in the message (which process judged).
    fn judge_package(
        &self,
        pkg: &flash_judge::Package,
        _language: &str,
        source: Vec<u8>,
        opts: &flash_judge::Options,
    ) -> Result<flash_judge::Report, flash_judge::JudgeError> {
        use flash_judge::interactive::{Message, Transcript};
        use flash_judge::{GroupRow, TestRow, Verdict};
        self.calls.fetch_add(1, Ordering::SeqCst);
        if let Some(f) = &self.calls_file {
            let mut f = std::fs::OpenOptions::new().create(true).append(true).open(f).unwrap();
            f.write_all(b".").unwrap();
        }
        let wa = String::from_utf8_lossy(&source).contains("WA");
        let mut first_secret = true;
        let tests: Vec<TestRow> = pkg
            .data
            .cases()
            .iter()
            .map(|c| {
                let mut row = TestRow::skipped(&c.path, c.path.rsplit_once('/').map_or("", |(g, _)| g), "");
                let reject = wa && c.path.starts_with("secret") && std::mem::take(&mut first_secret);
                row.verdict = if reject { Verdict::WA } else { Verdict::AC };
                row.detail = None;
                row.message = reject.then(|| format!("expected {:?}", std::fs::read_to_string(&c.answer).unwrap()));
                row.time = 0.01;
                row.memory_kb = 1000;
                row
            })
            .collect();
        let mut tests = tests;
        if opts.transcript {
            let said = |side, text: &str| Message { side, text: text.into() };
            tests[0].transcript = Some(Transcript {
                messages: vec![said("solution", "5\n"), said("interactor", "=\n")],
                ..Transcript::default()
            });
        }
        let verdict = if wa { Verdict::WA } else { Verdict::AC };
        let score = if wa { 50.0 } else { 100.0 };
        Ok(flash_judge::Report {
            package: pkg.name.clone(),
            version: pkg.version,
            verdict,
            message: None,
            score: pkg.scoring.then_some(score),
            max_score: pkg.scoring.then_some(100.0),
            time_limit: 1.0,
            tests,
            groups: vec![GroupRow {
                path: "secret".into(),
                verdict,
                score: pkg.scoring.then_some(score),
                max_score: pkg.scoring.then_some(100.0),
                aggregation: "sum".into(),
            }],
            compile_output: String::new(),
            compile_cached: false,
            compile_time: 0.1,
            checker_cached: None,
        })
    }

    /// A session's run, like the engine's: the source is a script of lines
    /// `write PATH TEXT`, `upper SRC DST`, `rm PATH`, `big PATH BYTES`, `cat
    /// PATH` and `ls` (stdout: the sorted paths), run against the
    /// workspace's files; `COMPILE_ERROR` fails before running.
    fn run_in_workspace(
        &self,
        sub: &Submission,
        workspace: Vec<BoxFile>,
        max_file_kb: u64,
    ) -> Result<WorkspaceRun, flash_engine::Error> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        let mut j = Judgement::internal("");
        j.run.message = None;
        let src = String::from_utf8_lossy(&sub.source).into_owned();
        if src.contains("COMPILE_ERROR") {
            j.run.status = StatusId::CompilationError;
            return Ok(WorkspaceRun { judgement: j, files: None, refused: vec![], truncated: false });
        }
        let mut files: std::collections::BTreeMap<String, Vec<u8>> =
            workspace.into_iter().map(|f| (f.path, f.data)).collect();
        for line in src.lines() {
            let w: Vec<&str> = line.splitn(3, ' ').collect();
            match w.as_slice() {
                ["write", p, text] => drop(files.insert(p.to_string(), text.as_bytes().to_vec())),
                ["upper", a, b] => {
                    let d = files.get(*a).map(|d| d.to_ascii_uppercase()).unwrap_or_default();
                    files.insert(b.to_string(), d);
                }
                ["rm", p] => drop(files.remove(*p)),
                ["big", p, n] => drop(files.insert(p.to_string(), vec![b'x'; n.parse().unwrap()])),
                ["cat", p] => j.run.stdout.extend(files.get(*p).cloned().unwrap_or_default()),
                ["ls"] => j.run.stdout.extend(files.keys().map(|k| format!("{k}\n")).collect::<String>().bytes()),
                _ => {}
            }
        }
        let refused: Vec<(String, u64)> = files
            .iter()
            .filter(|(_, d)| d.len() as u64 > max_file_kb * 1024)
            .map(|(p, d)| (p.clone(), d.len() as u64))
            .collect();
        files.retain(|_, d| d.len() as u64 <= max_file_kb * 1024);
        j.run.status = StatusId::Accepted;
        j.run.exit_code = Some(0);
        let files = files.into_iter().map(|(path, data)| BoxFile { path, mode: 0o644, data }).collect();
        Ok(WorkspaceRun { judgement: j, files: Some(files), refused, truncated: false })
    }
}

/// A running server.
pub struct TestServer {
    pub addr: SocketAddr,
    pub svc: Arc<Service>,
    pub judge: Arc<FakeJudge>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<std::io::Result<()>>>,
    pub dir: Data,
    /// Split mode: the worker processes.
    workers: Workers,
    /// Split mode: where the workers count judge calls.
    calls_file: PathBuf,
}

/// What outlives a server for a restart: its directory and (split mode) its Redis.
pub struct Data {
    pub dir: tempfile::TempDir,
    redis: Option<RedisServer>,
}

impl std::ops::Deref for Data {
    type Target = tempfile::TempDir;
    fn deref(&self) -> &tempfile::TempDir {
        &self.dir
    }
}

/// Test defaults: small, quick.
pub fn config() -> ServerConfig {
    ServerConfig {
        workers: 2,
        max_queue_size: 50,
        max_body_size: 64 * 1024,
        shutdown_grace_secs: 5,
        max_wait_secs: 30,
        ..ServerConfig::default()
    }
}

pub async fn start(cfg: ServerConfig) -> TestServer {
    start_in(cfg, Data { dir: tempfile::tempdir().unwrap(), redis: None }).await
}

pub async fn start_in(mut cfg: ServerConfig, mut data: Data) -> TestServer {
    cfg.data_dir = data.dir.path().to_owned();
    cfg.validate().unwrap();
    let judge = Arc::new(FakeJudge::new());
    let calls_file = data.dir.path().join(format!("calls-{}", uuid::Uuid::new_v4()));
    let mut workers = Vec::new();
    let svc = if split() {
        let redis = data.redis.get_or_insert_with(|| {
            let r = flash_testkit::redis_for_tests(&data.dir.path().join("redis"));
            r.expect("split-mode tests need redis-server (apt-get install redis-server)")
        });
        cfg.redis_url = Some(redis.url());
        cfg.reclaim_idle_secs = 5;
        workers = spawn_workers(&cfg, &calls_file);
        let store = Arc::new(RedisStore::connect(flash_server::redis_config(&cfg).unwrap()).await.unwrap());
        // What `flash server` does: serve the table the workers published.
        let table = LanguageTable::wait_published(&*store).await.unwrap();
        let langs = TableJudge::of(&table.registry().unwrap());
        let deadline = Instant::now() + Duration::from_secs(20);
        while store.live_workers().await.unwrap().len() < workers.len() {
            assert!(Instant::now() < deadline, "the worker processes did not all start");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        Service::open_with(cfg, store.clone(), Arc::new(langs), Some(store)).await.unwrap()
    } else {
        let store = SqliteStore::open(&data.dir.path().join("jobs.db"), false).unwrap();
        Service::open(cfg, Arc::new(store), judge.clone()).await.unwrap()
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let stopped = async {
        let _ = rx.await;
    };
    let task = if split() {
        tokio::spawn(flash_server::run_http(listener, stopped, svc.clone()))
    } else {
        tokio::spawn(flash_server::run(listener, stopped, svc.clone()))
    };
    TestServer { addr, svc, judge, stop: Some(tx), task: Some(task), dir: data, workers: Workers(workers), calls_file }
}

/// Split mode: the workers, `cfg.workers` slots over at most two processes.
fn spawn_workers(cfg: &ServerConfig, calls_file: &std::path::Path) -> Vec<Child> {
    let procs = cfg.workers.min(2);
    let module = module_path!().split_once("::").map_or("", |(_, m)| m);
    (0..procs)
        .map(|i| {
            let mut c = cfg.clone();
            c.workers = cfg.workers / procs + usize::from(i < cfg.workers % procs);
            Command::new(std::env::current_exe().unwrap())
                .args(["--exact", &format!("{module}::split_worker_process"), "--nocapture", "--test-threads", "1"])
                .env("FLASH_TEST_WORKER", toml::to_string(&c).unwrap())
                .env("FLASH_TEST_CALLS", calls_file)
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .spawn()
                .expect("starting a worker process")
        })
        .collect()
}

/// Split mode: the body of a worker process (a no-op test otherwise). What
/// `flash worker` does, with the fake judge: connect, publish the language
/// table, run the workers until SIGTERM.
#[test]
fn split_worker_process() {
    let Ok(cfg) = std::env::var("FLASH_TEST_WORKER") else { return };
    let cfg: ServerConfig = toml::from_str(&cfg).unwrap();
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    rt.block_on(async move {
        let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).unwrap();
        let (text, reg) = table();
        let judge = FakeJudge {
            langs: reg.languages().to_vec(),
            refusals: reg.refusals().clone(),
            calls: AtomicUsize::new(0),
            debug_calls: AtomicUsize::new(0),
            calls_file: std::env::var_os("FLASH_TEST_CALLS").map(PathBuf::from),
            ..FakeJudge::new()
        };
        let store = Arc::new(RedisStore::connect_waiting(flash_server::redis_config(&cfg).unwrap()).await.unwrap());
        let table = serde_json::to_string(&LanguageTable::new(&text, &reg)).unwrap();
        store.publish_languages(&table).await.unwrap();
        let svc = Service::open_with(cfg, store.clone(), Arc::new(judge), Some(store)).await.unwrap();
        flash_server::run_worker(
            async move {
                term.recv().await;
            },
            svc,
        )
        .await;
    });
}

impl TestServer {
    pub async fn req(&self, method: &str, path: &str, headers: &[(&str, &str)], body: &[u8]) -> Response {
        client::request(self.addr, "localhost", method, path, headers, body).await.unwrap()
    }

    pub async fn get(&self, path: &str) -> Response {
        self.req("GET", path, &[], b"").await
    }

    pub async fn post(&self, path: &str, body: &Value) -> Response {
        let b = serde_json::to_vec(body).unwrap();
        self.req("POST", path, &[("Content-Type", "application/json")], &b).await
    }

    /// Calls the judge received (in every worker process, in split mode).
    pub fn calls(&self) -> usize {
        if split() {
            std::fs::metadata(&self.calls_file).map_or(0, |m| m.len() as usize)
        } else {
            self.judge.calls.load(Ordering::SeqCst)
        }
    }

    /// Debug traces the judge started (in every worker process, in split mode).
    pub fn debug_calls(&self) -> usize {
        if split() {
            std::fs::metadata(debug_calls_file(&self.calls_file)).map_or(0, |m| m.len() as usize)
        } else {
            self.judge.debug_calls.load(Ordering::SeqCst)
        }
    }

    /// `UNTIL_CANCELLED` judgements stopped by their token (in every worker process, in split mode).
    pub fn stopped(&self) -> usize {
        if split() {
            std::fs::metadata(stopped_file(&self.calls_file)).map_or(0, |m| m.len() as usize)
        } else {
            self.judge.stopped.load(Ordering::SeqCst)
        }
    }

    /// Polls `/health` until `pred` holds for it (at most 5 s); returns it.
    pub async fn health_until(&self, what: &str, pred: impl Fn(&Value) -> bool) -> Value {
        let mut v = Value::Null;
        for _ in 0..250 {
            v = self.get("/health").await.json();
            if pred(&v) {
                return v;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        panic!("/health never showed {what}: {v}");
    }

    /// Polls until the submission is finished (status id > 2).
    pub async fn finished(&self, token: &str) -> Value {
        for _ in 0..200 {
            let r = self.get(&format!("/submissions/{token}?fields=*")).await;
            let v = r.json();
            if v["status"]["id"].as_u64().is_some_and(|s| s > 2) {
                return v;
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        panic!("{token} did not finish");
    }

    /// Stops the server (and its workers) gracefully and returns its data.
    pub async fn stop(mut self) -> Data {
        for w in &self.workers.0 {
            // SAFETY: kill has no memory-safety preconditions; the pid is our child's.
            unsafe { libc::kill(w.id() as i32, libc::SIGTERM) };
        }
        self.stop.take().unwrap().send(()).ok();
        self.task.take().unwrap().await.unwrap().unwrap();
        for mut w in std::mem::take(&mut self.workers.0) {
            let st = tokio::task::spawn_blocking(move || w.wait()).await.unwrap().unwrap();
            assert!(st.success(), "a worker process did not stop cleanly: {st}");
        }
        self.dir
    }
}

/// Split mode: where the workers count stopped judgements.
fn stopped_file(calls: &std::path::Path) -> PathBuf {
    calls.with_extension("stopped")
}

/// Split mode: where the workers count debug traces.
fn debug_calls_file(calls: &std::path::Path) -> PathBuf {
    calls.with_extension("debug")
}

/// Worker processes, killed if a test ends without stopping them.
struct Workers(Vec<Child>);

impl Drop for Workers {
    fn drop(&mut self) {
        for w in &mut self.0 {
            let _ = w.kill();
            let _ = w.wait();
        }
    }
}
