//! `flash bench http`: what the HTTP service adds on top of the engine, in one run.
//!
//! - Latency: a cached C++ hello world judged by the engine directly (what
//!   `flash exec` does once its pool is up) against the same program through
//!   `POST /submissions?wait=true` on a server in this process (HTTP parsing,
//!   validation, the durable queue, a worker, the stored result, the answer).
//!   The difference of the medians is the HTTP + queue overhead.
//! - Throughput: 1000 cached submissions over HTTP with many clients at once.

use anyhow::{bail, Context};
use flash_engine::{Engine, EngineConfig, Registry, StatusId, Submission};
use flash_sandbox::{Pool, PoolConfig};
use flash_server::store::sqlite::SqliteStore;
use flash_server::{client, ServerConfig, Service};
use serde_json::json;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Instant;

const CPP: &str = "#include <iostream>\nint main(){std::cout<<\"hello\"<<std::endl;}\n";

/// The median of the samples.
pub fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[v.len() / 2]
}

/// Runs the benchmark: `runs` samples per latency cell, `jobs` for throughput.
pub fn run(runs: usize, jobs: usize, workers: usize) -> anyhow::Result<i32> {
    let dir = std::env::temp_dir().join(format!("flash-bench-http-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let result = measure(&dir, runs, jobs, workers);
    let _ = std::fs::remove_dir_all(&dir);
    result
}

fn measure(dir: &std::path::Path, runs: usize, jobs: usize, workers: usize) -> anyhow::Result<i32> {
    let pool = Pool::new(PoolConfig::new(workers)?).context("building the sandbox (root needed)")?;
    let reg = Registry::load(None)?;
    let engine = Arc::new(Engine::new(Arc::new(pool), reg, EngineConfig::new(dir.join("cache")))?);
    let sub = Submission { language: "54".into(), source: CPP.into(), ..Submission::default() };
    // Warm the compile cache, then time the engine alone.
    let first = engine.judge(&sub)?;
    if first.run.status != StatusId::Accepted {
        bail!("the C++ hello world did not pass: {first:?}");
    }
    let direct: Vec<f64> = (0..runs)
        .map(|_| {
            let t = Instant::now();
            let j = engine.judge(&sub);
            assert!(j.is_ok_and(|j| j.run.status == StatusId::Accepted));
            t.elapsed().as_secs_f64() * 1e3
        })
        .collect();
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    let (http, tput) = rt.block_on(over_http(engine, dir, runs, jobs, workers))?;
    let (d, h) = (median(direct), median(http));
    println!("C++ hello world, cached compile, {workers} sandbox slots, {runs} samples");
    println!("| path | median ms |");
    println!("|---|---|");
    println!("| engine directly (as `flash exec` once its pool is up) | {d:.2} |");
    println!("| POST /submissions?wait=true | {h:.2} |");
    println!("| HTTP + queue overhead | {:.2} |", h - d);
    println!("throughput: {jobs} cached submissions over HTTP in {tput:.2} s = {:.0} jobs/s", jobs as f64 / tput);
    Ok(0)
}

async fn over_http(
    engine: Arc<Engine>,
    data: &std::path::Path,
    runs: usize,
    jobs: usize,
    workers: usize,
) -> anyhow::Result<(Vec<f64>, f64)> {
    let cfg = ServerConfig {
        data_dir: data.to_owned(),
        workers,
        max_queue_size: jobs + 100,
        log_level: "warn".into(),
        ..ServerConfig::default()
    };
    let store = SqliteStore::open(&data.join("jobs.db"), false)?;
    let svc = Service::open(cfg, Arc::new(store), engine).await?;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(flash_server::run(
        listener,
        async {
            let _ = stopped.await;
        },
        svc,
    ));
    let body = serde_json::to_vec(&json!({"source_code": CPP, "language_id": 54}))?;
    submit(addr, &body).await?;
    let mut lat = Vec::with_capacity(runs);
    for _ in 0..runs {
        let t = Instant::now();
        submit(addr, &body).await?;
        lat.push(t.elapsed().as_secs_f64() * 1e3);
    }
    let tput = throughput(addr, Arc::new(body), jobs).await?;
    let _ = stop.send(());
    server.await??;
    Ok((lat, tput))
}

/// Sends `jobs` copies of `body` (each `wait=true`) from 64 clients at once;
/// returns the seconds until the last answer.
pub async fn throughput(addr: SocketAddr, body: Arc<Vec<u8>>, jobs: usize) -> anyhow::Result<f64> {
    let t = Instant::now();
    let clients = 64.min(jobs.max(1));
    let mut tasks = Vec::new();
    for c in 0..clients {
        let body = body.clone();
        let n = jobs / clients + usize::from(c < jobs % clients);
        tasks.push(tokio::spawn(async move {
            for _ in 0..n {
                submit(addr, &body).await?;
            }
            anyhow::Ok(())
        }));
    }
    for task in tasks {
        task.await??;
    }
    Ok(t.elapsed().as_secs_f64())
}

/// One `POST /submissions?wait=true`, which must come back Accepted.
pub async fn submit(addr: SocketAddr, body: &[u8]) -> anyhow::Result<()> {
    let headers = [("Content-Type", "application/json")];
    let r =
        client::request(addr, "localhost", "POST", "/submissions?wait=true&fields=status_id", &headers, body).await?;
    if r.status != 201 || r.json()["status_id"] != 3 {
        bail!("unexpected answer {}: {}", r.status, String::from_utf8_lossy(&r.body));
    }
    Ok(())
}
