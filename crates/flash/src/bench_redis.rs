//! `flash bench redis`: split mode against embedded mode, in one run, on a
//! private redis-server (127.0.0.1, appendonly on) that the bench starts.
//!
//! - Queue overhead per job: the median of `POST /submissions?wait=true` for
//!   a cached C++ hello world, one at a time, minus the median of the engine
//!   judging it directly. Embedded: HTTP, SQLite, a worker task, the waiter.
//!   Redis: HTTP, the admission script, XREADGROUP, the start and finish
//!   scripts, the pub/sub notification back to the server.
//! - Throughput: `jobs` such submissions from 64 clients at once, with 1 and
//!   then 2 workers, in both modes.
//!
//! The split roles run in this process (one server, one or two workers, each
//! with its own Redis connections, sharing one engine and its sandbox pool),
//! so every Redis round trip is real while the measurement stays simple.

use crate::bench_http::{median, submit, throughput};
use anyhow::{bail, Context};
use flash_engine::{Engine, EngineConfig, Registry, StatusId, Submission};
use flash_sandbox::{Pool, PoolConfig};
use flash_server::judge::Judge;
use flash_server::store::redis::RedisStore;
use flash_server::store::sqlite::SqliteStore;
use flash_server::{ServerConfig, Service};
use flash_store::redis_server::{self, RedisServer};
use serde_json::json;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::Instant;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

const CPP: &str = "#include <iostream>\nint main(){std::cout<<\"hello\"<<std::endl;}\n";

/// Runs the benchmark: `runs` samples per latency figure, `jobs` per throughput figure.
pub fn run(runs: usize, jobs: usize) -> anyhow::Result<i32> {
    if redis_server::binary().is_none() {
        bail!("redis-server is not installed (apt-get install redis-server, or bash scripts/setup.sh)");
    }
    let dir = std::env::temp_dir().join(format!("flash-bench-redis-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let result = measure(&dir, runs.max(1), jobs.max(1));
    let _ = std::fs::remove_dir_all(&dir);
    result
}

/// One configuration's figures.
struct Row {
    mode: &'static str,
    workers: usize,
    latency_ms: f64,
    jobs_per_s: f64,
}

fn measure(dir: &Path, runs: usize, jobs: usize) -> anyhow::Result<i32> {
    let pool = Pool::new(PoolConfig::new(2)?).context("building the sandbox (root needed)")?;
    let engine = Arc::new(Engine::new(Arc::new(pool), Registry::load(None)?, EngineConfig::new(dir.join("cache")))?);
    let sub = Submission { language: "54".into(), source: CPP.into(), ..Submission::default() };
    let first = engine.judge(&sub)?;
    if first.run.status != StatusId::Accepted {
        bail!("the C++ hello world did not pass: {first:?}");
    }
    let direct: Vec<f64> = (0..runs)
        .map(|_| {
            let t = Instant::now();
            let ok = engine.judge(&sub).is_ok_and(|j| j.run.status == StatusId::Accepted);
            assert!(ok, "the engine failed the hello world");
            t.elapsed().as_secs_f64() * 1e3
        })
        .collect();
    let direct = median(direct);
    let redis = RedisServer::start(&dir.join("redis")).context("starting redis-server")?;
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    let url = redis.url();
    let mut rows = Vec::new();
    for workers in [1, 2] {
        let e = embedded(engine.clone(), dir, workers);
        rows.push(rt.block_on(async { load(e.await?, "embedded (SQLite)", workers, runs, jobs).await })?);
        let r = split(engine.clone(), &url, workers);
        rows.push(rt.block_on(async { load(r.await?, "split (Redis)", workers, runs, jobs).await })?);
    }
    println!("C++ hello world, cached compile; engine alone: {direct:.2} ms (median of {runs})");
    println!("latency: median of {runs} sequential wait=true requests; throughput: {jobs} requests, 64 clients\n");
    println!("| mode | workers | wait=true median ms | queue overhead ms | jobs/s |");
    println!("|---|---|---|---|---|");
    for r in &rows {
        println!(
            "| {} | {} | {:.2} | {:.2} | {:.0} |",
            r.mode,
            r.workers,
            r.latency_ms,
            r.latency_ms - direct,
            r.jobs_per_s
        );
    }
    let over =
        |mode: &str| rows.iter().filter(|r| r.mode == mode).map(|r| r.latency_ms - direct).fold(f64::MAX, f64::min);
    let tput =
        |mode: &str, w: usize| rows.iter().find(|r| r.mode == mode && r.workers == w).map_or(0.0, |r| r.jobs_per_s);
    println!(
        "\nqueue overhead per job: embedded {:.2} ms, Redis {:.2} ms; Redis throughput 2 workers / 1 worker: {:.2}x",
        over("embedded (SQLite)"),
        over("split (Redis)"),
        tput("split (Redis)", 2) / tput("split (Redis)", 1).max(f64::MIN_POSITIVE)
    );
    Ok(0)
}

fn config(dir: &Path, workers: usize, jobs: usize) -> ServerConfig {
    ServerConfig {
        data_dir: dir.to_owned(),
        workers,
        max_queue_size: jobs + 100,
        log_level: "warn".into(),
        ..ServerConfig::default()
    }
}

/// Running services: the HTTP address, and how to stop everything.
struct Running {
    addr: SocketAddr,
    stops: Vec<oneshot::Sender<()>>,
    tasks: Vec<JoinHandle<()>>,
}

fn stopper() -> (oneshot::Sender<()>, impl std::future::Future<Output = ()> + Send + 'static) {
    let (tx, rx) = oneshot::channel::<()>();
    (tx, async {
        let _ = rx.await;
    })
}

async fn embedded(engine: Arc<Engine>, dir: &Path, workers: usize) -> anyhow::Result<Running> {
    let data = dir.join(format!("embedded-{workers}"));
    std::fs::create_dir_all(&data)?;
    let store = SqliteStore::open(&data.join("jobs.db"), false)?;
    let svc = Service::open(config(&data, workers, 100_000), Arc::new(store), engine).await?;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let (tx, stop) = stopper();
    let task = tokio::spawn(async move {
        let _ = flash_server::run(listener, stop, svc).await;
    });
    Ok(Running { addr, stops: vec![tx], tasks: vec![task] })
}

async fn split(engine: Arc<Engine>, url: &str, workers: usize) -> anyhow::Result<Running> {
    let mut cfg = config(Path::new("."), 1, 100_000);
    cfg.redis_url = Some(url.to_owned());
    cfg.redis_prefix = format!("bench{workers}");
    let connect = |cfg: &ServerConfig| RedisStore::connect(flash_server::redis_config(cfg).expect("a Redis URL"));
    let (mut stops, mut tasks) = (Vec::new(), Vec::new());
    for _ in 0..workers {
        let store = Arc::new(connect(&cfg).await?);
        let judge: Arc<dyn Judge> = engine.clone();
        let svc = Service::open_with(cfg.clone(), store.clone(), judge, Some(store)).await?;
        let (tx, stop) = stopper();
        stops.push(tx);
        tasks.push(tokio::spawn(flash_server::run_worker(stop, svc)));
    }
    let store = Arc::new(connect(&cfg).await?);
    let svc = Service::open_with(cfg, store.clone(), engine, Some(store)).await?;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let (tx, stop) = stopper();
    stops.push(tx);
    tasks.push(tokio::spawn(async move {
        let _ = flash_server::run_http(listener, stop, svc).await;
    }));
    Ok(Running { addr, stops, tasks })
}

/// Measures latency and throughput against `r`, then stops it.
async fn load(r: Running, mode: &'static str, workers: usize, runs: usize, jobs: usize) -> anyhow::Result<Row> {
    let addr = r.addr;
    let body = Arc::new(serde_json::to_vec(&json!({"source_code": CPP, "language_id": 54}))?);
    submit(addr, &body).await?;
    let mut lat = Vec::with_capacity(runs);
    for _ in 0..runs {
        let t = Instant::now();
        submit(addr, &body).await?;
        lat.push(t.elapsed().as_secs_f64() * 1e3);
    }
    let secs = throughput(addr, body.clone(), jobs).await?;
    for s in r.stops {
        let _ = s.send(());
    }
    for t in r.tasks {
        t.await?;
    }
    Ok(Row { mode, workers, latency_ms: median(lat), jobs_per_s: jobs as f64 / secs })
}
