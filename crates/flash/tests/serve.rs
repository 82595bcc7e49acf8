//! `flash serve` end to end with the real sandbox (root only: `#[ignore]`d, and
//! scripts/test.sh, as root, runs them with the ignored tests):
//! every language over both APIs, verdicts, 200 concurrent submissions, and
//! a `kill -9` in the middle of 50 jobs followed by a restart.

use flash_engine::{Engine, EngineConfig, Registry};
use flash_sandbox::{Pool, PoolConfig};
use flash_server::client::{self, Response};
use flash_server::judge::MULTI_FILE_TOML;
use flash_server::store::sqlite::SqliteStore;
use flash_server::store::JobStore;
use flash_server::{ServerConfig, Service};
use flash_testkit::require_root;
use serde_json::{json, Value};
use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// An in-process server over a real engine and sandbox pool.
struct Server {
    addr: SocketAddr,
    /// The pool's box uids (no process may run as one after a run).
    uids: std::ops::Range<u32>,
    svc: Arc<Service>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<std::io::Result<()>>,
    _dir: tempfile::TempDir,
}

async fn start(cfg: ServerConfig) -> Server {
    let dir = tempfile::tempdir().unwrap();
    let mut cfg = cfg;
    cfg.data_dir = dir.path().to_owned();
    cfg.validate().unwrap();
    let mut pc = PoolConfig::new(cfg.workers).unwrap();
    pc.helper_exe = PathBuf::from(env!("CARGO_BIN_EXE_flash"));
    let pool = Pool::new(pc).expect("building the pool");
    let uids = pool.uids();
    let text = format!("{}{}", flash_engine::registry::SHIPPED, MULTI_FILE_TOML);
    let reg = Registry::from_toml(&text, flash_engine::registry::probe_version).unwrap();
    let engine = Engine::new(Arc::new(pool), reg, EngineConfig::new(dir.path().join("cache"))).unwrap();
    let store = SqliteStore::open(&dir.path().join("jobs.db"), false).unwrap();
    let svc = Service::open(cfg, Arc::new(store), Arc::new(engine)).await.unwrap();
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
    Server { addr, uids, svc, stop: Some(tx), task, _dir: dir }
}

impl Server {
    async fn post(&self, path: &str, body: &Value) -> Response {
        post(self.addr, path, body).await
    }

    async fn stop(mut self) {
        self.stop.take().unwrap().send(()).ok();
        self.task.await.unwrap().unwrap();
    }
}

async fn post(addr: SocketAddr, path: &str, body: &Value) -> Response {
    let b = serde_json::to_vec(body).unwrap();
    client::request(addr, "localhost", "POST", path, &[("Content-Type", "application/json")], &b).await.unwrap()
}

async fn get(addr: SocketAddr, path: &str) -> Response {
    client::request(addr, "localhost", "GET", path, &[], b"").await.unwrap()
}

fn config(workers: usize) -> ServerConfig {
    ServerConfig { workers, max_queue_size: 1000, shutdown_grace_secs: 10, ..ServerConfig::default() }
}

const HELLO: [(u32, &str); 7] = [
    (54, "#include <iostream>\nint main(){std::string s;std::cin>>s;std::cout<<\"hello \"<<s<<\"\\n\";}"),
    (50, "#include <stdio.h>\nint main(){char s[64];scanf(\"%63s\",s);printf(\"hello %s\\n\",s);}"),
    (71, "print('hello', input())"),
    (63, "const s=require('fs').readFileSync(0,'utf8').trim();console.log('hello '+s)"),
    (62, "import java.util.*;public class Main{public static void main(String[] a){System.out.println(\"hello \"+new Scanner(System.in).next());}}"),
    (46, "read s; echo \"hello $s\""),
    (82, "SELECT 'hello world';"),
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs root: scripts/test.sh runs it"]
async fn every_language_over_both_apis() {
    require_root();
    let s = start(config(2)).await;
    for (id, code) in HELLO {
        let r = s
            .post("/submissions?wait=true&fields=*", &json!({"source_code": code, "language_id": id, "stdin": "world"}))
            .await;
        assert_eq!(r.status, 201);
        let v = r.json();
        assert_eq!(v["stdout"], "hello world\n", "language {id}: {v}");
        assert_eq!(v["status"]["id"], 3, "language {id}: {v}");
    }
    let native = json!({"code": HELLO[0].1, "language": "c++",
        "tests": [{"input": "a", "expected": "hello a"}, {"input": "b", "expected": "hello x"}]});
    let v = s.post("/create?wait=true", &native).await.json();
    assert_eq!(v["status"]["id"], 4, "{v}");
    assert_eq!(v["tests"][0]["status"]["id"], 3);
    assert_eq!(v["tests"][1]["stdout"], "hello b\n");
    let token = v["token"].as_str().unwrap();
    let c = get(s.addr, &format!("/check/{token}")).await.json();
    assert_eq!(c["tests"].as_array().unwrap().len(), 2);
    s.stop().await;
}

/// `tests/problems/NAME` as a tar.gz (made by tar(1)), and a submission's source.
fn problem_archive(name: &str) -> Vec<u8> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/problems");
    let out = Command::new("tar").arg("-C").arg(&dir).args(["-cz", name]).output().unwrap();
    assert!(out.status.success(), "tar: {}", String::from_utf8_lossy(&out.stderr));
    out.stdout
}

fn problem_source(name: &str, sub: &str) -> String {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/problems").join(name).join("submissions");
    std::fs::read_to_string(dir.join(sub)).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs root: scripts/test.sh runs it"]
async fn packages_uploaded_once_judge_submissions_by_id() {
    require_root();
    let s = start(config(2)).await;
    let mut ids = std::collections::HashMap::new();
    for name in ["primecount", "guess"] {
        let up = client::request(s.addr, "localhost", "POST", "/packages", &[], &problem_archive(name)).await.unwrap();
        assert_eq!(up.status, 201, "{name}: {:?}", up.json());
        ids.insert(name, up.json()["id"].as_str().unwrap().to_owned());
    }
    let cases = [
        ("primecount", "accepted/sieve.cpp", "cpp", 3, Some(100.0)),
        ("primecount", "wrong_answer/off_by_one.cpp", "cpp", 4, None),
        ("guess", "accepted/binary.py", "python", 3, None),
        ("guess", "wrong_answer/exits_early.py", "python", 4, None),
    ];
    for (name, file, language, status, score) in cases {
        let body = json!({"code": problem_source(name, file), "language": language, "package": ids[name],
            "transcript": true});
        let v = s.post("/create?wait=true", &body).await.json();
        assert_eq!(v["status"]["id"], status, "{name} {file}: {v}");
        assert!(!v["package"]["tests"].as_array().unwrap().is_empty(), "{v}");
        // Interactive tests carry the dialogue, the solution speaking first.
        let said = &v["package"]["tests"][0]["transcript"]["messages"];
        assert_eq!(said.is_array(), name == "guess", "{v}");
        if name == "guess" {
            assert_eq!(said[0]["side"], "solution", "{v}");
        }
        if let Some(score) = score {
            assert_eq!(v["package"]["score"], score, "{v}");
        }
    }
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs root: scripts/test.sh runs it"]
async fn verdicts_reach_clients_in_each_apis_terms() {
    require_root();
    let s = start(config(2)).await;
    let cases = [
        (json!({"source_code": "int main( {", "language_id": 54}), 6),
        (json!({"source_code": "while True: pass", "language_id": 71, "cpu_time_limit": 0.5}), 5),
        (json!({"source_code": "import sys; sys.exit(3)", "language_id": 71}), 11),
        (json!({"source_code": "int main(){int*p=0;return *p;}", "language_id": 54}), 7),
        (json!({"source_code": "print(1)", "language_id": 71, "expected_output": "2"}), 4),
        (json!({"source_code": "x = bytearray(400 << 20)", "language_id": 71, "memory_limit": 65536}), 12),
        (json!({"source_code": "print('x' * 5000000)", "language_id": 71}), 8),
    ];
    for (body, want) in cases {
        let v = s.post("/submissions?wait=true&fields=status,message,compile_output,token", &body).await.json();
        assert_eq!(v["status"]["id"], want, "{body}: {v}");
        if want == 6 {
            assert!(v["compile_output"].as_str().unwrap().contains("error"), "{v}");
        }
        if want == 12 {
            let token = v["token"].as_str().unwrap();
            let n = get(s.addr, &format!("/check/{token}")).await.json();
            assert_eq!(n["status"]["id"], 15, "native keeps Memory Limit Exceeded: {n}");
        }
    }
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs root: scripts/test.sh runs it"]
async fn two_hundred_concurrent_submissions_all_complete() {
    require_root();
    let s = start(config(2)).await;
    let addr = s.addr;
    let t = Instant::now();
    let mut tasks = Vec::new();
    for i in 0..200 {
        tasks.push(tokio::spawn(async move {
            let body = json!({"source_code": HELLO[0].1, "language_id": 54, "stdin": format!("n{i}")});
            let r = post(addr, "/submissions?wait=true", &body).await;
            assert_eq!(r.status, 201, "{:?}", r.json());
            assert_eq!(r.json()["stdout"], format!("hello n{i}\n"));
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    eprintln!("200 concurrent C++ submissions over HTTP: {:?}", t.elapsed());
    s.stop().await;
}

/// `flash serve` as a child process on a free port.
fn spawn_server(data: &Path) -> (Child, SocketAddr) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_flash"))
        .args(["serve", "--listen", "127.0.0.1:0", "--workers", "2", "--log-level", "warn"])
        .arg("--data-dir")
        .arg(data)
        .stdout(Stdio::piped())
        .spawn()
        .expect("starting flash serve");
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
    let addr = line
        .trim()
        .rsplit("http://")
        .next()
        .and_then(|a| a.parse().ok())
        .unwrap_or_else(|| panic!("no address in {line:?}"));
    (child, addr)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs root: scripts/test.sh runs it"]
async fn kill_9_mid_way_then_restart_finishes_every_job_exactly_once() {
    require_root();
    let dir = tempfile::tempdir().unwrap();
    let (mut child, addr) = spawn_server(dir.path());
    // Each job sleeps a little so the kill lands while some run and most wait.
    let code = "import time\ntime.sleep(0.05)\nprint(input())";
    let mut tokens = Vec::new();
    for i in 0..50 {
        let r =
            post(addr, "/submissions", &json!({"source_code": code, "language_id": 71, "stdin": format!("job{i}")}))
                .await;
        assert_eq!(r.status, 201);
        tokens.push(r.json()["token"].as_str().unwrap().to_owned());
    }
    tokio::time::sleep(Duration::from_millis(600)).await;
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    let done_before = {
        let store = SqliteStore::open(&dir.path().join("jobs.db"), false).unwrap();
        let c = store.counts().await.unwrap();
        assert_eq!(c.queued + c.processing + c.done, 50, "every accepted job is on disk");
        assert!(c.done < 50, "the kill must land mid-way ({c:?})");
        c.done
    };
    let (mut child, addr) = spawn_server(dir.path());
    let deadline = Instant::now() + Duration::from_secs(120);
    for (i, t) in tokens.iter().enumerate() {
        loop {
            let v = get(addr, &format!("/submissions/{t}?fields=status_id,stdout")).await.json();
            if v["status_id"].as_u64() > Some(2) {
                assert_eq!(v, json!({"status_id": 3, "stdout": format!("job{i}\n")}));
                break;
            }
            assert!(Instant::now() < deadline, "{t} never finished");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
    // The new process finished exactly the jobs the old one had not: none twice.
    let metrics = String::from_utf8(get(addr, "/metrics").await.body).unwrap();
    let finished: u64 = metrics
        .lines()
        .filter(|l| l.starts_with("flash_jobs_finished_total{"))
        .filter_map(|l| l.rsplit(' ').next()?.parse::<u64>().ok())
        .sum();
    assert_eq!(finished + done_before, 50, "{metrics}");
    // SAFETY: kill has no memory-safety preconditions; the pid is our child's.
    unsafe { libc::kill(child.id() as i32, libc::SIGTERM) };
    assert!(child.wait().unwrap().success(), "SIGTERM stops the server cleanly");
}

/// A WebSocket to a live endpoint of `addr`.
type Ws = tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

async fn ws_connect(addr: SocketAddr, path: &str) -> Ws {
    tokio_tungstenite::connect_async(format!("ws://{addr}{path}")).await.expect("the WebSocket opens").0
}

async fn ws_send(ws: &mut Ws, v: Value) {
    use futures_util::SinkExt;
    ws.send(tokio_tungstenite::tungstenite::Message::text(v.to_string())).await.unwrap();
}

/// The next JSON message, or `Err(close code)` when the server closes.
async fn ws_next(ws: &mut Ws) -> Result<Value, u16> {
    use futures_util::StreamExt;
    use tokio_tungstenite::tungstenite::Message;
    loop {
        let m = tokio::time::timeout(Duration::from_secs(60), ws.next()).await.expect("a message within a minute");
        match m {
            Some(Ok(Message::Text(t))) => return Ok(serde_json::from_str(t.as_str()).unwrap()),
            Some(Ok(Message::Close(c))) => return Err(c.map_or(1005, |c| u16::from(c.code))),
            Some(Ok(_)) => continue,
            Some(Err(e)) => panic!("websocket error: {e}"),
            None => return Err(1006),
        }
    }
}

/// Messages until one of `kind` (returned) or the close (Err).
async fn ws_until(ws: &mut Ws, kind: &str, seen: &mut Vec<Value>) -> Result<Value, u16> {
    loop {
        let v = ws_next(ws).await.inspect_err(|c| eprintln!("closed {c} after {seen:?}"))?;
        seen.push(v.clone());
        if v["type"] == kind {
            return Ok(v);
        }
    }
}

/// Output text of `stream` until it ends with `want` (a program's one line
/// may come in several writes).
async fn ws_output(ws: &mut Ws, stream: &str, want: &str, seen: &mut Vec<Value>) -> String {
    let mut text = String::new();
    while !text.ends_with(want) {
        let d = ws_until(ws, "data", seen).await.unwrap_or_else(|c| panic!("closed {c} before {want:?}: {seen:?}"));
        if d["stream"] == stream {
            text += d["data"].as_str().unwrap();
        }
    }
    text
}

/// Opens a live run with `init`, waiting while the service says it is busy
/// (a slot freed by a run that just ended comes back within moments): the
/// socket, once the `runtime` message came. None if still busy after 10 s,
/// shorter than the 15 s runs of these tests: a slot that frees only when its
/// run times out does not count.
async fn ws_start(addr: SocketAddr, path: &str, init: &Value) -> Option<Ws> {
    let t = Instant::now();
    loop {
        // A key at its cap is refused at the door (429) until a place frees.
        let mut ws = match tokio_tungstenite::connect_async(format!("ws://{addr}{path}")).await {
            Ok((ws, _)) => ws,
            Err(tokio_tungstenite::tungstenite::Error::Http(r)) if r.status() == 429 => {
                if t.elapsed() > Duration::from_secs(10) {
                    return None;
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
            Err(e) => panic!("the WebSocket opens: {e}"),
        };
        ws_send(&mut ws, init.clone()).await;
        let first = ws_next(&mut ws).await.unwrap_or_else(|c| panic!("closed {c} at init"));
        if first["type"] == "runtime" {
            return Some(ws);
        }
        assert!(first["message"].as_str().unwrap().contains("busy"), "{first}");
        if t.elapsed() > Duration::from_secs(10) {
            return None;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs root: scripts/test.sh runs it"]
async fn piston_connect_streams_output_takes_stdin_and_signals() {
    require_root();
    let s = start(config(2)).await;
    let mut ws = ws_connect(s.addr, "/api/v2/connect").await;
    // The program answers only after input that is sent once "ready" has come:
    // output flows while it runs, and stdin reaches it; then it waits forever.
    let prog = "import sys,time\nprint('ready',flush=True)\nprint('got',sys.stdin.readline().strip(),flush=True)\ntime.sleep(60)";
    ws_send(
        &mut ws,
        json!({"type": "init", "language": "python", "version": "*", "files": [{"content": prog}], "run_timeout": 15000}),
    )
    .await;
    let mut seen = Vec::new();
    let rt = ws_until(&mut ws, "runtime", &mut seen).await.unwrap();
    assert_eq!(rt["language"], "python", "{rt}");
    assert_eq!(ws_until(&mut ws, "stage", &mut seen).await.unwrap()["stage"], "run");
    assert_eq!(ws_output(&mut ws, "stdout", "\n", &mut seen).await, "ready\n");
    ws_send(&mut ws, json!({"type": "data", "stream": "stdin", "data": "héllo\n"})).await;
    assert_eq!(ws_output(&mut ws, "stdout", "\n", &mut seen).await, "got héllo\n");
    ws_send(&mut ws, json!({"type": "signal", "signal": "SIGKILL"})).await;
    let exit = ws_until(&mut ws, "exit", &mut seen).await.unwrap();
    assert_eq!((exit["stage"].as_str(), exit["signal"].as_str()), (Some("run"), Some("SIGKILL")), "{exit}");
    assert_eq!(ws_next(&mut ws).await, Err(4999));

    // A compiled language: a compile stage with its own exit, then the run.
    let mut ws = ws_connect(s.addr, "/api/v2/piston/connect").await;
    let cpp = "#include <cstdio>\nint main(){int x;if(scanf(\"%d\",&x)==1)printf(\"%d\\n\",x*2);}";
    ws_send(
        &mut ws,
        json!({"type": "init", "language": "c++", "version": "*", "files": [{"content": cpp}], "stdin": "21\n"}),
    )
    .await;
    let mut seen = Vec::new();
    assert_eq!(ws_until(&mut ws, "stage", &mut seen).await.unwrap()["stage"], "compile");
    let exit = ws_until(&mut ws, "exit", &mut seen).await.unwrap();
    assert_eq!((exit["stage"].as_str(), exit["code"].as_i64()), (Some("compile"), Some(0)), "{exit}");
    assert_eq!(ws_until(&mut ws, "stage", &mut seen).await.unwrap()["stage"], "run");
    assert_eq!(ws_output(&mut ws, "stdout", "\n", &mut seen).await, "42\n");
    ws_send(&mut ws, json!({"type": "eof"})).await;
    let exit = ws_until(&mut ws, "exit", &mut seen).await.unwrap();
    assert_eq!((exit["stage"].as_str(), exit["code"].as_i64()), (Some("run"), Some(0)), "{exit}");
    assert_eq!(ws_next(&mut ws).await, Err(4999));

    // A compile error: the compiler's message on stderr, the compile stage's exit 1.
    let mut ws = ws_connect(s.addr, "/api/v2/connect").await;
    ws_send(&mut ws, json!({"type": "init", "language": "cpp", "version": "*", "files": [{"content": "int main( {"}]}))
        .await;
    let mut seen = Vec::new();
    let exit = ws_until(&mut ws, "exit", &mut seen).await.unwrap();
    assert_eq!((exit["stage"].as_str(), exit["code"].as_i64()), (Some("compile"), Some(1)), "{exit}");
    assert!(seen.iter().any(|m| m["type"] == "data" && m["stream"] == "stderr"), "{seen:?}");
    assert_eq!(ws_next(&mut ws).await, Err(4999));
    s.stop().await;
}

/// A client still sending when its run ends gets the exit and the close:
/// the server reads what came meanwhile before it hangs up (a connection
/// closed with unread data ends with a reset, which loses what the client
/// had not read yet).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs root: scripts/test.sh runs it"]
async fn a_client_still_sending_when_the_run_ends_gets_the_exit_and_the_close() {
    require_root();
    let s = start(config(2)).await;
    for _ in 0..5 {
        let mut ws = ws_connect(s.addr, "/api/v2/connect").await;
        let init =
            json!({"type": "init", "language": "python", "version": "*", "files": [{"content": "print('bye')"}]});
        ws_send(&mut ws, init).await;
        // stdin the program never reads, sent while it starts and ends.
        for _ in 0..300 {
            ws_send(&mut ws, json!({"type": "data", "stream": "stdin", "data": "x".repeat(1000)})).await;
        }
        let mut seen = Vec::new();
        let exit = ws_until(&mut ws, "exit", &mut seen).await.unwrap();
        assert_eq!((exit["stage"].as_str(), exit["code"].as_i64()), (Some("run"), Some(0)), "{exit}");
        assert_eq!(ws_next(&mut ws).await, Err(4999));
    }
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs root: scripts/test.sh runs it"]
async fn live_protocol_mistakes_get_pistons_close_codes_and_a_leaving_client_frees_its_slot() {
    require_root();
    // One worker: one live run at a time.
    let s = start(config(1)).await;
    let init = json!({"type": "init", "language": "bash", "version": "*", "files": [{"content": "echo ready; read x; sleep 60"}], "run_timeout": 15000});
    // No init within a second.
    let mut ws = ws_connect(s.addr, "/api/v2/connect").await;
    assert_eq!(ws_next(&mut ws).await, Err(4001));
    // Data before init.
    let mut ws = ws_connect(s.addr, "/api/v2/connect").await;
    ws_send(&mut ws, json!({"type": "data", "stream": "stdin", "data": "x"})).await;
    assert_eq!(ws_next(&mut ws).await, Err(4003));
    // A bad init: told why, then 4002.
    let mut ws = ws_connect(s.addr, "/api/v2/connect").await;
    ws_send(&mut ws, json!({"type": "init", "language": "klingon", "version": "*", "files": [{"content": "x"}]})).await;
    let e = ws_next(&mut ws).await.unwrap();
    assert!(e["type"] == "error" && e["message"].as_str().unwrap().contains("klingon"), "{e}");
    assert_eq!(ws_next(&mut ws).await, Err(4002));
    for (msg, code) in [
        (json!({"type": "init"}), 4000),
        (json!({"type": "data", "stream": "stdout", "data": "x"}), 4004),
        (json!({"type": "signal", "signal": "SIGNOPE"}), 4005),
    ] {
        let mut ws = ws_start(s.addr, "/api/v2/connect", &init).await.expect("a live slot");
        let mut seen = Vec::new();
        ws_until(&mut ws, "data", &mut seen).await.unwrap();
        ws_send(&mut ws, msg.clone()).await;
        assert_eq!(ws_until(&mut ws, "never", &mut seen).await, Err(code), "{msg}: {seen:?}");
    }
    // A client that leaves mid-run: its run ends and the one live slot frees
    // (not after the program's minute of sleep), and the service answers.
    let mut ws = ws_start(s.addr, "/api/v2/connect", &init).await.expect("a live slot");
    ws_until(&mut ws, "data", &mut Vec::new()).await.unwrap();
    drop(ws);
    assert!(ws_start(s.addr, "/api/v2/connect", &init).await.is_some(), "the left run still held its slot after 10 s");
    let r = get(s.addr, "/health").await;
    assert_eq!(r.status, 200);
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs root: scripts/test.sh runs it"]
async fn native_live_runs_end_with_the_submission_as_the_api_shows_it() {
    require_root();
    let s = start(config(1)).await;
    let mut ws = ws_connect(s.addr, "/live").await;
    ws_send(&mut ws, json!({"type": "init", "language": 71, "code": "print(input()[::-1])", "time_limit": 2})).await;
    let mut seen = Vec::new();
    let rt = ws_until(&mut ws, "runtime", &mut seen).await.unwrap();
    assert_eq!(rt["language"], 71, "{rt}");
    ws_send(&mut ws, json!({"type": "data", "stream": "stdin", "data": "hsalf\n"})).await;
    assert_eq!(ws_output(&mut ws, "stdout", "\n", &mut seen).await, "flash\n");
    let r = ws_until(&mut ws, "result", &mut seen).await.unwrap();
    assert_eq!(r["result"]["stdout"], "flash\n", "{r}");
    assert_eq!(r["result"]["status"]["id"], 3, "{r}");
    assert_eq!(ws_next(&mut ws).await, Err(4999));
    // A native mistake names the field.
    let mut ws = ws_connect(s.addr, "/live").await;
    ws_send(&mut ws, json!({"type": "init", "language": 71, "code": "x", "time_limit": -1})).await;
    let e = ws_next(&mut ws).await.unwrap();
    assert!(e["message"].as_str().unwrap().contains("time_limit"), "{e}");
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs root: scripts/test.sh runs it"]
async fn piston_output_interleaves_stdout_and_stderr_in_the_order_written() {
    require_root();
    let s = start(config(1)).await;
    // After each write the program waits until the sandbox has read the
    // pipe empty (FIONREAD), so the two pipes are read in the order written,
    // however busy the machine.
    let prog = "import sys,time,fcntl,termios,array\n\
                def drained(fd):\n \
                 n=array.array('i',[1])\n \
                 while n[0]:\n  fcntl.ioctl(fd,termios.FIONREAD,n);time.sleep(0.001)\n\
                for i in range(3):\n \
                 print('out',i,flush=True);drained(1)\n \
                 print('err',i,file=sys.stderr,flush=True);drained(2)\n";
    let r =
        s.post("/api/v2/execute", &json!({"language": "python", "version": "*", "files": [{"content": prog}]})).await;
    assert_eq!(r.status, 200);
    let run = &r.json()["run"];
    assert_eq!(run["stdout"], "out 0\nout 1\nout 2\n");
    assert_eq!(run["stderr"], "err 0\nerr 1\nerr 2\n");
    assert_eq!(run["output"], "out 0\nerr 0\nout 1\nerr 1\nout 2\nerr 2\n", "{run}");
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs root: scripts/test.sh runs it"]
async fn piston_compile_limits_apply_also_to_a_cached_compile() {
    require_root();
    let s = start(config(1)).await;
    let cpp = "#include <iostream>\nint main(){std::cout<<\"ok\\n\";}";
    let body = |extra: Value| {
        let mut b = json!({"language": "c++", "version": "*", "files": [{"content": cpp}]});
        b.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
        b
    };
    // No g++ compiles in a millisecond: over the limit, first uncached, then
    // served from the cache by the one below.
    for _ in 0..2 {
        let r = s.post("/api/v2/execute", &body(json!({"compile_timeout": 1}))).await.json();
        assert_eq!(r["compile"]["code"], 1, "{r}");
        assert!(r["compile"]["output"].as_str().unwrap().contains("time limit"), "{r}");
        assert!(r.get("run").is_none(), "{r}");
        let r =
            s.post("/api/v2/execute", &body(json!({"compile_timeout": 20000, "compile_cpu_time": 10000}))).await.json();
        assert_eq!(r["run"]["stdout"], "ok\n", "{r}");
    }
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs root: scripts/test.sh runs it"]
async fn a_live_run_counts_against_its_keys_requests_in_flight() {
    require_root();
    let mut cfg = config(2);
    cfg.api_keys = vec![flash_server::config::ApiKey {
        name: "course".into(),
        key: "s3cret-course-key".into(),
        requests_per_minute: 0,
        max_concurrent: 1,
        network: Vec::new(),
    }];
    let s = start(cfg).await;
    let init = json!({"type": "init", "language": "bash", "version": "*", "files": [{"content": "echo ready; sleep 60"}], "run_timeout": 15000});
    // Without the key: refused at the door.
    let refused = tokio_tungstenite::connect_async(format!("ws://{}/api/v2/connect", s.addr)).await;
    assert!(refused.is_err(), "a live run without a key");
    let path = "/api/v2/connect?X-Auth-Token=s3cret-course-key";
    let mut first = ws_start(s.addr, path, &init).await.expect("the key's first live run");
    ws_until(&mut first, "data", &mut Vec::new()).await.unwrap();
    // The key's one place in flight is the running program's: the next
    // upgrade is refused at the door, a 429 like any request over the cap.
    match tokio_tungstenite::connect_async(format!("ws://{}{path}", s.addr)).await {
        Err(tokio_tungstenite::tungstenite::Error::Http(r)) => assert_eq!(r.status(), 429),
        other => panic!("a second live run of the key: {:?}", other.map(|_| "opened")),
    }
    drop(first);
    assert!(ws_start(s.addr, path, &init).await.is_some(), "the place frees when the first run's client leaves");
    s.stop().await;
}

/// A plain HTTP server on the host's loopback answering `body` to every connection.
fn http_server(body: &'static str) -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for mut c in l.incoming().flatten() {
            use std::io::{Read, Write};
            let _ = c.read(&mut [0u8; 4096]);
            let _ = write!(c, "HTTP/1.0 200 OK\r\nContent-Length: {}\r\n\r\n{body}", body.len());
        }
    });
    port
}

// Network is off unless the operator allows it for a key; a request of that
// key may then ask for it (all its hosts, or some), through the native API or
// Judge0's enable_network; a key without network, or a host outside the
// key's list, is a 422 naming the field.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs root: scripts/test.sh runs it"]
async fn network_is_per_key_and_per_request() {
    require_root();
    let (port, other) = (http_server("through-the-proxy"), http_server("not-allowed"));
    let key = |name: &str, secret: &str, network: Vec<String>| flash_server::config::ApiKey {
        name: name.into(),
        key: secret.into(),
        requests_per_minute: 0,
        max_concurrent: 0,
        network,
    };
    let mut cfg = config(1);
    cfg.api_keys = vec![
        key("agent", "agent-secret-0123456", vec![format!("127.0.0.1:{port}")]),
        key("course", "course-secret-012345", Vec::new()),
    ];
    let s = start(cfg).await;
    let code = format!(
        "import urllib.request\nfor p in ({port}, {other}):\n    try:\n        print(urllib.request.urlopen('http://127.0.0.1:%d/' % p, timeout=10).read().decode())\n    except Exception as e:\n        print('refused', getattr(e, 'code', e))"
    );
    let ask = |secret: &'static str, body: Value| {
        let b = serde_json::to_vec(&body).unwrap();
        let addr = s.addr;
        async move {
            let h = [("Content-Type", "application/json"), ("X-Auth-Token", secret)];
            client::request(addr, "localhost", "POST", "/create?wait=true", &h, &b).await.unwrap()
        }
    };
    let body = |network: Value| json!({"language": "python", "code": code, "network": network});
    let r = ask("agent-secret-0123456", body(json!(true))).await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    let v = r.json();
    assert_eq!(v["stdout"], "through-the-proxy\nrefused 403\n", "{v}");
    let r = ask("agent-secret-0123456", body(json!([format!("127.0.0.1:{port}")]))).await;
    assert_eq!(r.json()["stdout"], "through-the-proxy\nrefused 403\n");
    // Off unless asked, even for a key that may.
    let v = ask("agent-secret-0123456", json!({"language": "python", "code": code})).await.json();
    assert!(v["stdout"].as_str().unwrap().starts_with("refused"), "{v}");
    // Outside the key's list, or a key without network: refused, naming the field.
    let r = ask("agent-secret-0123456", body(json!([format!("127.0.0.1:{other}")]))).await;
    assert_eq!(r.status, 422);
    assert!(
        String::from_utf8_lossy(&r.body).contains("network")
            && String::from_utf8_lossy(&r.body).contains(&other.to_string()),
        "{}",
        String::from_utf8_lossy(&r.body)
    );
    let r = ask("course-secret-012345", body(json!(true))).await;
    assert_eq!(r.status, 422);
    assert!(String::from_utf8_lossy(&r.body).contains("network"), "{}", String::from_utf8_lossy(&r.body));
    let r = ask("agent-secret-0123456", body(json!("yes"))).await;
    assert_eq!(r.status, 422);
    // Judge0's enable_network maps onto the key's list.
    let j0 = |secret: &'static str| {
        let b = serde_json::to_vec(&json!({"language_id": 71, "source_code": code, "enable_network": true})).unwrap();
        let addr = s.addr;
        async move {
            let h = [("Content-Type", "application/json"), ("X-Auth-Token", secret)];
            client::request(addr, "localhost", "POST", "/submissions?wait=true", &h, &b).await.unwrap()
        }
    };
    let v = j0("agent-secret-0123456").await.json();
    assert_eq!(v["stdout"], "through-the-proxy\nrefused 403\n", "{v}");
    assert_eq!(v["status"]["id"], 3);
    let r = j0("course-secret-012345").await;
    assert_eq!(r.status, 422);
    assert!(String::from_utf8_lossy(&r.body).contains("enable_network"), "{}", String::from_utf8_lossy(&r.body));
    s.stop().await;
}

/// A session over the real sandbox (issue 17): a program reads an uploaded
/// file and writes another, a shell command in the next (fresh) box sees it,
/// a background process does not survive into the next run, and the file is
/// downloaded. Prints a session run's cost over a plain `/create` run of the
/// same program (the median of 15 each, measured, not asserted).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs root: scripts/test.sh runs it"]
async fn a_session_keeps_files_not_processes_across_sandboxed_runs() {
    require_root();
    let s = start(config(2)).await;
    let id = s.post("/sessions", &json!({})).await.json()["id"].as_str().unwrap().to_owned();
    let put = |path: String, body: &'static [u8]| async move {
        client::request(s.addr, "localhost", "PUT", &path, &[], body).await.unwrap()
    };
    assert_eq!(put(format!("/sessions/{id}/files/data.csv"), b"3\n4\n5\n").await.status, 201);
    let code = "import csv\nrows = [int(r[0]) for r in csv.reader(open('data.csv'))]\n\
                open('report.csv', 'w').write('sum,%d\\n' % sum(rows))\nprint(len(rows))";
    let run = json!({"language": "python", "code": code, "copy_out": ["report.csv"]});
    let v = s.post(&format!("/sessions/{id}/run"), &run).await.json();
    assert_eq!((v["status"]["id"].as_u64(), v["stdout"].as_str()), (Some(3), Some("3\n")), "{v}");
    assert_eq!(v["workspace"]["saved"], true, "{v}");
    assert_eq!(v["copy_out"][0]["content_base64"], "c3VtLDEyCg==", "{v}");
    let cmd = json!({"command": "sleep 1000 & echo started > bg.txt; cat report.csv"});
    let v = s.post(&format!("/sessions/{id}/run"), &cmd).await.json();
    assert_eq!(v["stdout"], "sum,12\n", "{v}");
    let cmd = json!({"command": "ls; pgrep sleep || echo 'no sleep'"});
    let v = s.post(&format!("/sessions/{id}/run"), &cmd).await.json();
    // The script itself (main.sh) is in the box while it runs, never in the workspace.
    assert_eq!(v["stdout"], "bg.txt\ndata.csv\nmain.sh\nreport.csv\nno sleep\n", "{v}");
    let files = get(s.addr, &format!("/sessions/{id}/files")).await.json();
    let names: Vec<&str> = files["files"].as_array().unwrap().iter().map(|f| f["path"].as_str().unwrap()).collect();
    assert_eq!(names, ["bg.txt", "data.csv", "report.csv"]);
    let r = get(s.addr, &format!("/sessions/{id}/files/report.csv")).await;
    assert_eq!((r.status, r.body.as_slice()), (200, &b"sum,12\n"[..]));

    let hello = json!({"language": "python", "code": "print('hi')"});
    let median = |mut v: Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    let (mut plain, mut session) = (Vec::new(), Vec::new());
    for _ in 0..15 {
        let t = Instant::now();
        assert_eq!(s.post("/create?wait=true", &hello).await.json()["stdout"], "hi\n");
        plain.push(t.elapsed().as_secs_f64() * 1000.0);
        let t = Instant::now();
        assert_eq!(s.post(&format!("/sessions/{id}/run"), &hello).await.json()["stdout"], "hi\n");
        session.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    let (p, q) = (median(plain), median(session));
    println!("python hello, median of 15: plain /create?wait=true {p:.1} ms, session run {q:.1} ms ({:+.1} ms)", q - p);
    s.stop().await;
}

/// Processes running as one of `uids`, anywhere on the host.
fn box_processes(uids: &std::ops::Range<u32>) -> Vec<String> {
    let mut found = Vec::new();
    for e in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(status) = std::fs::read_to_string(e.path().join("status")) else { continue };
        let uid = status.lines().find_map(|l| l.strip_prefix("Uid:")).and_then(|l| l.split_whitespace().next());
        if uid.and_then(|u| u.parse().ok()).is_some_and(|u: u32| uids.contains(&u)) {
            found.push(status.lines().next().unwrap_or("").to_owned());
        }
    }
    found
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs root: scripts/test.sh runs it"]
async fn a_running_program_whose_client_hangs_up_is_stopped_and_its_box_emptied() {
    require_root();
    let s = start(config(1)).await;
    // A busy loop with a child, allowed 15 s of CPU: it holds the only worker.
    let body = json!({
        "source_code": "import os, time\nif os.fork() == 0:\n    time.sleep(100)\nwhile True: pass\n",
        "language_id": 71, "cpu_time_limit": 15, "wall_time_limit": 20,
    });
    let hung = tokio::time::timeout(Duration::from_secs(2), s.post("/submissions?wait=true", &body)).await;
    assert!(hung.is_err(), "answered before the client hung up");
    // Its box is emptied at once (not at the 15 s limit) ...
    let start = Instant::now();
    while !box_processes(&s.uids).is_empty() && start.elapsed() < Duration::from_secs(10) {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(box_processes(&s.uids), Vec::<String>::new(), "the box's processes outlived the cancel");
    eprintln!("box emptied {:?} after the hang-up", start.elapsed());
    // ... and the only worker judges the next job.
    let r = tokio::time::timeout(
        Duration::from_secs(10),
        s.post("/submissions?wait=true", &json!({"source_code": "print(42)", "language_id": 71})),
    )
    .await
    .expect("the worker was still busy with the cancelled program");
    assert_eq!(r.json()["stdout"], "42\n", "{:?}", r.json());
    eprintln!("next job judged {:?} after the hang-up", start.elapsed());
    let (jobs, _) = s.svc.store.list(0, 2).await.unwrap();
    let cancelled = jobs[1].result.as_ref().expect("the cancelled job has its result");
    assert_eq!(cancelled.run.status.id(), 13, "{cancelled:?}");
    assert!(cancelled.run.message.as_deref().unwrap_or("").starts_with("cancelled"), "{cancelled:?}");
    s.stop().await;
}
