//! A server on port 0 with a fake judge: the API end to end over real HTTP,
//! without a sandbox or root.

#![allow(dead_code)]

use flash_engine::{Judgement, Language, Registry, RunOutcome, StatusId, Submission};
use flash_server::client::{self, Response};
use flash_server::judge::{Judge, MULTI_FILE_TOML};
use flash_server::store::sqlite::SqliteStore;
use flash_server::{ServerConfig, Service};
use serde_json::Value;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// Judges by looking at the source: `COMPILE_ERROR`, `SLEEP`, `SLEEP_LONG`, `MLE`, `BINARY`,
/// `PANIC`; otherwise echoes stdin and compares with the expected output.
pub struct FakeJudge {
    langs: Vec<Language>,
    /// Calls made.
    pub calls: AtomicUsize,
}

impl FakeJudge {
    pub fn new() -> FakeJudge {
        let text = format!("{}{}", flash_engine::registry::SHIPPED, MULTI_FILE_TOML);
        let reg = Registry::from_toml(&text, |_| Ok("1.0".into())).unwrap();
        FakeJudge { langs: reg.languages().to_vec(), calls: AtomicUsize::new(0) }
    }
}

fn outcome(stdout: Vec<u8>, expected: Option<&[u8]>) -> RunOutcome {
    let ok = expected.is_none_or(|e| e.trim_ascii_end() == stdout.trim_ascii_end());
    RunOutcome {
        status: if ok { StatusId::Accepted } else { StatusId::WrongAnswer },
        stdout,
        stderr: Vec::new(),
        message: None,
        exit_code: Some(0),
        exit_signal: None,
        time: 0.01,
        wall_time: 0.02,
        memory: 1000,
    }
}

impl Judge for FakeJudge {
    fn judge(&self, sub: &Submission) -> Result<Judgement, flash_engine::Error> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        let src = String::from_utf8_lossy(&sub.source).into_owned();
        let mut j = Judgement::internal("");
        j.message = None;
        if src.contains("PANIC") {
            panic!("the fake judge was asked to panic");
        }
        if src.contains("COMPILE_ERROR") {
            j.status = StatusId::CompilationError;
            j.compile_output = b"main.cpp:1: error: nope\n".to_vec();
            return Ok(j);
        }
        if src.contains("SLEEP_LONG") {
            std::thread::sleep(Duration::from_millis(1500));
        } else if src.contains("SLEEP") {
            std::thread::sleep(Duration::from_millis(300));
        }
        let runs: Vec<RunOutcome> = if sub.tests.is_empty() {
            vec![outcome(sub.stdin.clone(), sub.expected.as_deref())]
        } else {
            sub.tests.iter().map(|t| outcome(t.input.clone(), t.expected.as_deref())).collect()
        };
        let shown = runs.iter().find(|o| o.status != StatusId::Accepted).unwrap_or(runs.last().unwrap());
        j.status = shown.status;
        j.stdout = shown.stdout.clone();
        if src.contains("BINARY") {
            j.stdout = vec![0xff, 0xfe, b'\n'];
        }
        if src.contains("ARGS") {
            j.stdout = sub.args.join("|").into_bytes();
        }
        if src.contains("FILES") {
            let names: Vec<&str> = sub.extra_files.iter().map(|(p, _)| p.as_str()).collect();
            j.stdout = names.join(",").into_bytes();
        }
        if src.contains("MLE") {
            j.status = StatusId::MemoryLimitExceeded;
            j.message = Some("memory limit exceeded".into());
        }
        j.exit_code = Some(0);
        j.time = 0.01;
        j.wall_time = 0.02;
        j.memory = 1000;
        if !sub.tests.is_empty() {
            j.tests = runs;
        }
        Ok(j)
    }

    fn languages(&self) -> &[Language] {
        &self.langs
    }
}

/// A running server.
pub struct TestServer {
    pub addr: SocketAddr,
    pub svc: Arc<Service>,
    pub judge: Arc<FakeJudge>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<std::io::Result<()>>>,
    pub dir: tempfile::TempDir,
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
    start_in(cfg, tempfile::tempdir().unwrap()).await
}

pub async fn start_in(mut cfg: ServerConfig, dir: tempfile::TempDir) -> TestServer {
    cfg.data_dir = dir.path().to_owned();
    cfg.validate().unwrap();
    let store = SqliteStore::open(&dir.path().join("jobs.db"), false).unwrap();
    let judge = Arc::new(FakeJudge::new());
    let svc = Service::open(cfg, Arc::new(store), judge.clone()).await.unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(flash_server::run(
        listener,
        async {
            let _ = rx.await;
        },
        svc.clone(),
    ));
    TestServer { addr, svc, judge, stop: Some(tx), task: Some(task), dir }
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

    /// Stops the server gracefully and returns its data dir.
    pub async fn stop(mut self) -> tempfile::TempDir {
        self.stop.take().unwrap().send(()).ok();
        self.task.take().unwrap().await.unwrap().unwrap();
        self.dir
    }
}
