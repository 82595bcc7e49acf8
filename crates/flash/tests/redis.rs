//! Split mode end to end: a private redis-server, `flash server` and
//! `flash worker` as separate processes with the real sandbox (root only:
//! `#[ignore]`d, and scripts/test.sh, as root, runs them with the ignored tests;
//! its FLASH_REQUIRE_ROOT_TESTS=1 turns a missing redis-server into a failure
//! instead of a skip).
//!
//! A worker killed with SIGKILL mid-job: another finishes the job, once. A
//! Redis restart with appendonly keeps the queue. 500 jobs over 3 workers. A
//! worker started before Redis waits for it. A bad URL is a clear error.
//! (The API tests run in split mode too: `crates/server/tests/*_split.rs`.)

use flash_server::client::{self, Response};
use flash_store::redis_server::{self, RedisServer};
use flash_testkit::require_root;
use serde_json::{json, Value};
use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// A `flash` child process, killed when dropped.
struct Proc {
    child: Child,
    /// Lines of its stdout.
    lines: mpsc::Receiver<String>,
}

impl Proc {
    fn start(args: &[&str]) -> Proc {
        let mut child = Command::new(env!("CARGO_BIN_EXE_flash"))
            .args(args)
            .args(["--log-level", "warn"])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .spawn()
            .expect("starting flash");
        let out = BufReader::new(child.stdout.take().unwrap());
        let (tx, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for l in out.lines().map_while(Result::ok) {
                let _ = tx.send(l);
            }
        });
        Proc { child, lines }
    }

    /// The first line of stdout, waiting up to `t`.
    fn line(&self, t: Duration) -> Option<String> {
        self.lines.recv_timeout(t).ok()
    }

    fn pid(&self) -> u32 {
        self.child.id()
    }

    fn signal(&self, sig: i32) {
        // SAFETY: kill has no memory-safety preconditions; the pid is our child's.
        unsafe { libc::kill(self.child.id() as i32, sig) };
    }

    /// SIGTERM, then the exit status (killed after 30 s).
    fn stop(mut self) -> std::process::ExitStatus {
        self.signal(libc::SIGTERM);
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Some(st) = self.child.try_wait().unwrap() {
                return st;
            }
            assert!(Instant::now() < deadline, "flash did not stop within 30 s of SIGTERM");
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn worker(url: &str, data: &Path, slots: usize) -> Proc {
    worker_with(url, data, slots, &[])
}

fn worker_with(url: &str, data: &Path, slots: usize, extra: &[&str]) -> Proc {
    let slots = slots.to_string();
    let data = data.to_str().unwrap();
    let mut args = vec!["worker", "--redis", url, "--workers", &slots, "--data-dir", data, "--reclaim-idle", "2"];
    args.extend_from_slice(extra);
    let p = Proc::start(&args);
    let line = p.line(Duration::from_secs(60)).expect("the worker did not start");
    assert!(line.contains("taking jobs"), "{line}");
    p
}

fn server(url: &str) -> (Proc, SocketAddr) {
    let args = ["server", "--redis", url, "--listen", "127.0.0.1:0", "--max-queue-size", "1000", "--authz-token", "a"];
    let p = Proc::start(&args);
    let line = p.line(Duration::from_secs(60)).expect("the server did not start");
    let addr = line.rsplit("http://").next().and_then(|a| a.parse().ok()).unwrap_or_else(|| panic!("{line:?}"));
    (p, addr)
}

async fn post(addr: SocketAddr, path: &str, body: &Value) -> Response {
    let b = serde_json::to_vec(body).unwrap();
    client::request(addr, "localhost", "POST", path, &[("Content-Type", "application/json")], &b).await.unwrap()
}

async fn get(addr: SocketAddr, path: &str) -> Value {
    client::request(addr, "localhost", "GET", path, &[], b"").await.unwrap().json()
}

async fn metrics(addr: SocketAddr) -> String {
    let r = client::request(addr, "localhost", "GET", "/metrics", &[], b"").await.unwrap();
    String::from_utf8(r.body).unwrap()
}

/// The sum of every `name{...} N` line.
fn sum(metrics: &str, name: &str) -> u64 {
    metrics
        .lines()
        .filter(|l| l.starts_with(&format!("{name}{{")))
        .filter_map(|l| l.rsplit(' ').next()?.parse::<u64>().ok())
        .sum()
}

/// Polls a submission until it finished.
async fn finished(addr: SocketAddr, token: &str, within: Duration) -> Value {
    let deadline = Instant::now() + within;
    loop {
        let v = get(addr, &format!("/submissions/{token}?fields=status_id,stdout,message")).await;
        if v["status_id"].as_u64() > Some(2) {
            return v;
        }
        assert!(Instant::now() < deadline, "{token} did not finish: {v}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// A private Redis in `dir`, or `None` (skip) without root or redis-server.
fn setup(dir: &Path) -> Option<RedisServer> {
    require_root();
    flash_testkit::redis_for_tests(&dir.join("redis"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs root: scripts/test.sh runs it"]
async fn every_language_and_verdict_in_split_mode() {
    let dir = tempfile::tempdir().unwrap();
    let Some(redis) = setup(dir.path()) else { return };
    let _w1 = worker(&redis.url(), &dir.path().join("w1"), 1);
    let _w2 = worker(&redis.url(), &dir.path().join("w2"), 1);
    let (_s, addr) = server(&redis.url());
    let hello = [
        (54, "#include <iostream>\nint main(){std::string s;std::cin>>s;std::cout<<\"hello \"<<s<<\"\\n\";}"),
        (50, "#include <stdio.h>\nint main(){char s[64];scanf(\"%63s\",s);printf(\"hello %s\\n\",s);}"),
        (71, "print('hello', input())"),
        (63, "const s=require('fs').readFileSync(0,'utf8').trim();console.log('hello '+s)"),
        (62, "import java.util.*;public class Main{public static void main(String[] a){System.out.println(\"hello \"+new Scanner(System.in).next());}}"),
        (46, "read s; echo \"hello $s\""),
    ];
    for (id, code) in hello {
        let body = json!({"source_code": code, "language_id": id, "stdin": "world"});
        let v = post(addr, "/submissions?wait=true&fields=stdout,status", &body).await.json();
        assert_eq!(v, json!({"stdout": "hello world\n", "status": {"id": 3, "description": "Accepted"}}), "{id}");
    }
    let cases = [
        (json!({"source_code": "int main( {", "language_id": 54}), 6),
        (json!({"source_code": "while True: pass", "language_id": 71, "cpu_time_limit": 0.5}), 5),
        (json!({"source_code": "print(1)", "language_id": 71, "expected_output": "2"}), 4),
    ];
    for (body, want) in cases {
        let v = post(addr, "/submissions?wait=true&fields=status", &body).await.json();
        assert_eq!(v["status"]["id"], want, "{body}: {v}");
    }
    let native = json!({"code": hello[2].1, "language": "python",
        "tests": [{"input": "a", "expected": "hello a"}, {"input": "b", "expected": "hello x"}]});
    let v = post(addr, "/create?wait=true", &native).await.json();
    assert_eq!((v["status"]["id"].as_u64(), v["tests"][1]["stdout"].as_str()), (Some(4), Some("hello b\n")), "{v}");
    let w = get(addr, "/workers").await;
    assert_eq!((w[0]["available"].as_u64(), w[0]["workers"].as_array().map(Vec::len)), (Some(2), Some(2)), "{w}");
    // POST /debug on a server without a sandbox: queued as a job, traced by a worker.
    let code = "def f(n):\n    return 1 if n < 2 else n * f(n - 1)\nprint(f(4))\n";
    let r = post(addr, "/debug", &json!({"code": code, "language": "python"})).await;
    let t = r.json();
    assert_eq!((r.status, t["status"].as_str(), t["stdout"].as_str()), (200, Some("ok"), Some("24\n")), "{t}");
    let returns: Vec<&str> = t["steps"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["event"] == "return" && s["func"] == "f")
        .filter_map(|s| s["return_value"]["value"].as_str())
        .collect();
    assert_eq!(returns, ["1", "2", "6", "24"], "{t}");
    // Refusals come back as the same 422 as in embedded mode.
    let r = post(addr, "/debug", &json!({"code": "select 1;", "language": "sql"})).await;
    assert_eq!(r.status, 422, "{}", String::from_utf8_lossy(&r.body));
    assert!(r.json()["language"][0].as_str().unwrap().contains("cannot be debugged"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs root: scripts/test.sh runs it"]
async fn kill_9_of_a_worker_mid_job_the_other_finishes_it_exactly_once() {
    let dir = tempfile::tempdir().unwrap();
    let Some(redis) = setup(dir.path()) else { return };
    let w1 = worker(&redis.url(), &dir.path().join("w1"), 1);
    let w2 = worker(&redis.url(), &dir.path().join("w2"), 1);
    let (_s, addr) = server(&redis.url());
    let code = "import time\ntime.sleep(3)\nprint('done', input())";
    let body = json!({"source_code": code, "language_id": 71, "stdin": "once", "wall_time_limit": 10});
    let token = post(addr, "/submissions", &body).await.json()["token"].as_str().unwrap().to_owned();
    // Find the worker running it from the heartbeats.
    let deadline = Instant::now() + Duration::from_secs(20);
    let busy = loop {
        let w = get(addr, "/workers").await;
        let busy = w[0]["workers"].as_array().unwrap().iter().find(|w| w["working"] == 1).map(|w| w["pid"].clone());
        if let Some(pid) = busy {
            break pid.as_u64().unwrap() as u32;
        }
        assert!(Instant::now() < deadline, "no worker took the job: {w}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let (victim, survivor) = if busy == w1.pid() { (w1, w2) } else { (w2, w1) };
    assert_eq!(victim.pid(), busy);
    victim.signal(libc::SIGKILL);
    drop(victim);
    let t = Instant::now();
    let v = finished(addr, &token, Duration::from_secs(60)).await;
    eprintln!("the job finished on the other worker {:?} after the kill", t.elapsed());
    assert_eq!(v["status_id"], 3, "{v}");
    assert_eq!(v["stdout"], "done once\n");
    let m = metrics(addr).await;
    assert_eq!(sum(&m, "flash_jobs_finished_total"), 1, "one visible result: {m}");
    assert!(m.contains("flash_dead_letters 0"), "{m}");
    let listed = client::request(addr, "localhost", "GET", "/submissions?per_page=10", &[("X-Auth-User", "a")], b"")
        .await
        .unwrap()
        .json();
    assert_eq!(listed["meta"]["total_count"], 1, "{listed}");
    assert!(survivor.stop().success());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs root: scripts/test.sh runs it"]
async fn sigterm_hands_back_a_job_that_outlives_the_grace_period() {
    let dir = tempfile::tempdir().unwrap();
    let Some(redis) = setup(dir.path()) else { return };
    let w1 = worker_with(&redis.url(), &dir.path().join("w1"), 1, &["--shutdown-grace", "1"]);
    let (_s, addr) = server(&redis.url());
    let code = "import time\ntime.sleep(3)\nprint('done')";
    let body = json!({"source_code": code, "language_id": 71, "wall_time_limit": 10});
    let token = post(addr, "/submissions", &body).await.json()["token"].as_str().unwrap().to_owned();
    let deadline = Instant::now() + Duration::from_secs(20);
    while get(addr, &format!("/submissions/{token}?fields=status_id")).await["status_id"] != 2 {
        assert!(Instant::now() < deadline, "the job did not start");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let t = Instant::now();
    assert!(w1.stop().success(), "SIGTERM stops the worker cleanly");
    assert!(t.elapsed() < Duration::from_secs(3), "it waited only the grace period: {:?}", t.elapsed());
    let v = get(addr, &format!("/submissions/{token}?fields=status_id")).await;
    assert_eq!(v["status_id"], 1, "handed back to the queue, not left running: {v}");
    let _w2 = worker(&redis.url(), &dir.path().join("w2"), 1);
    let v = finished(addr, &token, Duration::from_secs(30)).await;
    assert_eq!((v["status_id"].as_u64(), v["stdout"].as_str()), (Some(3), Some("done\n")), "{v}");
    assert_eq!(sum(&metrics(addr).await, "flash_jobs_finished_total"), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs root: scripts/test.sh runs it"]
async fn a_redis_restart_with_appendonly_keeps_queued_jobs() {
    let dir = tempfile::tempdir().unwrap();
    let Some(mut redis) = setup(dir.path()) else { return };
    // A worker publishes the language table for the server, then leaves.
    let w = worker(&redis.url(), &dir.path().join("w1"), 1);
    assert!(w.stop().success());
    let (_s, addr) = server(&redis.url());
    let mut tokens = Vec::new();
    for i in 0..20 {
        let body = json!({"source_code": "read s; echo \"$s\"", "language_id": 46, "stdin": format!("q{i}")});
        let r = post(addr, "/submissions", &body).await;
        assert_eq!(r.status, 201);
        tokens.push(r.json()["token"].as_str().unwrap().to_owned());
    }
    assert_eq!(get(addr, "/health").await["queued"], 20);
    redis.restart().expect("restarting Redis");
    // The server's first request after the restart already works (it reconnects by itself).
    assert_eq!(get(addr, "/health").await["queued"], 20, "the queue survived the restart");
    let _w1 = worker(&redis.url(), &dir.path().join("w1"), 1);
    let _w2 = worker(&redis.url(), &dir.path().join("w2"), 1);
    for (i, t) in tokens.iter().enumerate() {
        let v = finished(addr, t, Duration::from_secs(60)).await;
        assert_eq!((v["status_id"].as_u64(), v["stdout"].as_str()), (Some(3), Some(&*format!("q{i}\n"))), "{v}");
    }
    // The server reconnected by itself, notifications included (wait=true).
    let body = json!({"source_code": "echo after", "language_id": 46});
    let v = post(addr, "/submissions?wait=true&fields=stdout", &body).await.json();
    assert_eq!(v["stdout"], "after\n");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs root: scripts/test.sh runs it"]
async fn five_hundred_jobs_over_three_workers_all_complete() {
    let dir = tempfile::tempdir().unwrap();
    let Some(redis) = setup(dir.path()) else { return };
    let workers: Vec<Proc> = (0..3).map(|i| worker(&redis.url(), &dir.path().join(format!("w{i}")), 1)).collect();
    let (_s, addr) = server(&redis.url());
    let t = Instant::now();
    let mut tokens = Vec::new();
    for batch in 0..25 {
        let subs: Vec<Value> = (0..20)
            .map(|i| json!({"source_code": "read s; echo \"$s\"", "language_id": 46, "stdin": format!("j{}", batch * 20 + i)}))
            .collect();
        let r = post(addr, "/submissions/batch", &json!({ "submissions": subs })).await;
        assert_eq!(r.status, 201, "{:?}", r.json());
        tokens.extend(r.json().as_array().unwrap().iter().map(|v| v["token"].as_str().unwrap().to_owned()));
    }
    assert_eq!(tokens.len(), 500);
    let deadline = Instant::now() + Duration::from_secs(240);
    for (n, chunk) in tokens.chunks(20).enumerate() {
        loop {
            let v = get(addr, &format!("/submissions/batch?tokens={}&fields=status_id,stdout", chunk.join(","))).await;
            let subs = v["submissions"].as_array().unwrap();
            if subs.iter().all(|s| s["status_id"].as_u64() > Some(2)) {
                for (i, s) in subs.iter().enumerate() {
                    assert_eq!(s, &json!({"status_id": 3, "stdout": format!("j{}\n", n * 20 + i)}));
                }
                break;
            }
            assert!(Instant::now() < deadline, "batch {n} did not finish: {v}");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
    eprintln!("500 jobs over 3 workers: {:?}", t.elapsed());
    let m = metrics(addr).await;
    assert_eq!(sum(&m, "flash_jobs_finished_total"), 500, "{m}");
    // Every worker took a share (heartbeats lag by up to 2 s).
    tokio::time::sleep(Duration::from_millis(2500)).await;
    let m = metrics(addr).await;
    let per: Vec<u64> = m
        .lines()
        .filter(|l| l.starts_with("flash_worker_jobs_finished_total{"))
        .filter_map(|l| l.rsplit(' ').next()?.parse().ok())
        .collect();
    assert_eq!((per.len(), per.iter().sum::<u64>()), (3, 500), "{m}");
    assert!(per.iter().all(|&n| n > 0), "{per:?}");
    for w in workers {
        assert!(w.stop().success());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs root: scripts/test.sh runs it"]
async fn a_worker_started_before_redis_waits_and_connects() {
    require_root();
    if redis_server::binary().is_none() {
        flash_testkit::prerequisite_missing("redis-server", "apt-get install redis-server"); // or fails under CI
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let port = redis_server::free_port().unwrap();
    let url = format!("redis://127.0.0.1:{port}");
    let data = dir.path().join("w1");
    let w = Proc::start(&["worker", "--redis", &url, "--workers", "1", "--data-dir", data.to_str().unwrap()]);
    assert!(w.line(Duration::from_secs(3)).is_none(), "the worker cannot be taking jobs without Redis");
    let mut w = w;
    assert!(w.child.try_wait().unwrap().is_none(), "the worker must wait for Redis, not exit");
    let redis = RedisServer::start_on(&dir.path().join("redis"), port).unwrap();
    let line = w.line(Duration::from_secs(20)).expect("the worker did not connect once Redis was up");
    assert!(line.contains("taking jobs"), "{line}");
    let (_s, addr) = server(&redis.url());
    let v = post(addr, "/submissions?wait=true&fields=stdout", &json!({"source_code": "echo up", "language_id": 46}))
        .await
        .json();
    assert_eq!(v["stdout"], "up\n");
    assert!(w.stop().success());
}

#[test]
fn a_bad_redis_url_is_a_clear_error_at_start_up() {
    for (role, url) in [("worker", "http://127.0.0.1:6379"), ("server", "127.0.0.1:6379"), ("serve", "redis://[::1")] {
        let out = Command::new(env!("CARGO_BIN_EXE_flash")).args([role, "--redis", url]).output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{role}: {err}");
        assert!(err.contains("invalid Redis URL") && err.contains("expected redis://"), "{role}: {err}");
    }
    let out = Command::new(env!("CARGO_BIN_EXE_flash")).arg("worker").env_remove("FLASH_REDIS_URL").output().unwrap();
    assert!(String::from_utf8_lossy(&out.stderr).contains("needs Redis"));
}
