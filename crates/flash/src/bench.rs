//! `flash bench`: benchmarks that print figures and ratios against a baseline
//! measured in the same run (never assertions: machines are noisy).
//!
//! - `flash bench`: C++ batches over HTTP against the plain toolchain (see `bench_batch`).
//! - `flash bench workloads`: judges' workloads (see `bench_workloads`).
//! - `flash bench interactive`: a dialogue in two boxes against plain pipes.
//! - `flash bench sandbox`: per-run overhead of the sandbox against a plain
//!   fork+exec of the same static binary, back to back and with idle gaps (the
//!   idle regime exposes costs such as cgroup v1 migration that a tight loop hides).

use anyhow::{bail, Context};
use clap::{Args, Subcommand};
use flash_sandbox::{BoxFile, Mount, Pool, PoolConfig, RunSpec, Status};
use std::path::Path;
use std::time::{Duration, Instant};

/// Without a subcommand: the batch benchmark (the original design's table).
#[derive(Args, Debug)]
#[command(args_conflicts_with_subcommands = true)]
pub struct BenchArgs {
    #[command(subcommand)]
    what: Option<BenchKind>,
    #[command(flatten)]
    batch: crate::bench_batch::BatchArgs,
}

#[derive(Subcommand, Debug)]
enum BenchKind {
    /// Sandbox overhead per run against plain exec of a static hello world.
    Sandbox {
        /// Runs per regime and per mode.
        #[arg(short = 'n', long, default_value_t = 200)]
        runs: usize,
        /// Idle time before each run in the idle regime, milliseconds.
        #[arg(long, default_value_t = 100)]
        idle_ms: u64,
        /// Also where a box run's time goes: the median of each phase, from
        /// timestamps taken in the helper, the box's init and the program's
        /// process before its execve.
        #[arg(long)]
        phases: bool,
    },
    /// HTTP + queue overhead: `POST /submissions?wait=true` vs the engine directly, and throughput.
    Http {
        /// Samples for the latency comparison.
        #[arg(short = 'n', long, default_value_t = 200)]
        runs: usize,
        /// Cached submissions for the throughput figure.
        #[arg(long, default_value_t = 1000)]
        jobs: usize,
        /// Workers (and sandbox slots) of the server under test.
        #[arg(long, default_value_t = 2)]
        workers: usize,
    },
    /// Redis mode against embedded mode: queue overhead per job and throughput with 1 and 2 workers.
    Redis {
        /// Samples for the latency comparison.
        #[arg(short = 'n', long, default_value_t = 200)]
        runs: usize,
        /// Cached submissions for the throughput figures.
        #[arg(long, default_value_t = 1000)]
        jobs: usize,
    },
    /// The debugger: a 1000-step trace per language and the cost per step.
    Debug {
        /// Samples per language.
        #[arg(short = 'n', long, default_value_t = 5)]
        runs: usize,
    },
    /// Judges' workloads against the plain toolchain: a `bits/stdc++.h` batch, a 50-test problem, Java start-up.
    Workloads {
        /// Distinct programs in the C++ batch.
        #[arg(long, default_value_t = 100)]
        programs: usize,
        /// Test cases of the problem.
        #[arg(long, default_value_t = 50)]
        tests: usize,
        /// Samples of the short cells.
        #[arg(short = 'n', long, default_value_t = 20)]
        runs: usize,
        /// Where the table (workloads.md) and the plot of the ratios (workloads.svg) go.
        #[arg(long, default_value = "bench-results")]
        out: std::path::PathBuf,
    },
    /// An interactive problem's dialogue in two boxes against plain pipes.
    Interactive {
        /// Exchanges in the dialogue.
        #[arg(long, default_value_t = 1000)]
        rounds: u64,
        /// Samples per cell.
        #[arg(short = 'n', long, default_value_t = 15)]
        runs: usize,
    },
    /// The engine against the plain toolchain: compile, cached run, hello world per language.
    Engine {
        /// Samples per cell.
        #[arg(short = 'n', long, default_value_t = 20)]
        runs: usize,
    },
}

pub fn main(a: BenchArgs) -> anyhow::Result<i32> {
    let Some(what) = a.what else {
        return crate::bench_batch::run(a.batch);
    };
    match what {
        BenchKind::Sandbox { runs, idle_ms, phases } => sandbox(runs, Duration::from_millis(idle_ms), phases),
        BenchKind::Workloads { programs, tests, runs, out } => {
            crate::bench_workloads::run(programs.max(1), tests.max(1), runs.max(1), &out)
        }
        BenchKind::Interactive { rounds, runs } => crate::bench_interactive::run(rounds.max(1), runs.max(1)),
        BenchKind::Engine { runs } => crate::bench_engine::run(runs.max(1)),
        BenchKind::Debug { runs } => crate::bench_debug::run(runs.max(1)),
        BenchKind::Redis { runs, jobs } => crate::bench_redis::run(runs.max(1), jobs.max(1)),
        BenchKind::Http { runs, jobs, workers } => crate::bench_http::run(runs.max(1), jobs.max(1), workers.max(1)),
    }
}

const HELLO: &str = "#include <unistd.h>\nint main(void){write(1,\"hello\\n\",6);return 0;}\n";

/// Builds a static hello world in `dir` and returns its path.
fn static_hello(dir: &Path) -> anyhow::Result<std::path::PathBuf> {
    let src = dir.join("hello.c");
    let bin = dir.join("hello");
    std::fs::write(&src, HELLO)?;
    let st = std::process::Command::new("gcc")
        .args(["-O2", "-static", "-o"])
        .arg(&bin)
        .arg(&src)
        .status()
        .context("running gcc")?;
    if !st.success() {
        bail!("gcc -static failed (is libc6-dev installed?)");
    }
    Ok(bin)
}

/// Median and 90th percentile in milliseconds.
fn stats(mut v: Vec<f64>) -> (f64, f64) {
    v.sort_by(|a, b| a.total_cmp(b));
    let at = |q: f64| v[((v.len() - 1) as f64 * q).round() as usize];
    (at(0.5), at(0.9))
}

fn time_runs(runs: usize, idle: Duration, mut f: impl FnMut() -> anyhow::Result<()>) -> anyhow::Result<Vec<f64>> {
    let mut out = Vec::with_capacity(runs);
    for _ in 0..runs {
        if !idle.is_zero() {
            std::thread::sleep(idle);
        }
        let t = Instant::now();
        f()?;
        out.push(t.elapsed().as_secs_f64() * 1e3);
    }
    Ok(out)
}

fn sandbox(runs: usize, idle: Duration, phases: bool) -> anyhow::Result<i32> {
    if runs == 0 {
        bail!("--runs must be positive");
    }
    let dir = std::env::temp_dir().join(format!("flash-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let bin = static_hello(&dir)?;
    let data = std::fs::read(&bin)?;
    let mut cfg = PoolConfig::new(1)?;
    // The same binary is also visible read-only at /bench, to show the cost of
    // copying it into the box apart from the cost of the box itself.
    cfg.mounts.push(Mount { source: dir.clone(), target: "/bench".into(), writable: false, optional: false });
    let pool = Pool::new(cfg).context("building the sandbox pool")?;
    let copied = RunSpec {
        argv: vec!["./hello".into()],
        env: flash_sandbox::default_env(),
        files: vec![BoxFile { path: "hello".into(), mode: 0o755, data }],
        ..RunSpec::default()
    };
    let bound = RunSpec { argv: vec!["/bench/hello".into()], files: vec![], ..copied.clone() };
    // As the engine runs a compiled artifact: bound read-only at ./hello for this run only.
    let binds = vec![flash_sandbox::Bind { path: "hello".into(), source: bin.clone() }];
    let per_run = RunSpec { files: vec![], binds, ..copied.clone() };
    let plain = || -> anyhow::Result<()> {
        let o = std::process::Command::new(&bin).output()?;
        if o.stdout != b"hello\n" {
            bail!("plain run printed {:?}", o.stdout);
        }
        Ok(())
    };
    let boxed = |spec: &RunSpec| -> anyhow::Result<()> {
        let r = pool.run(spec)?;
        if r.meas.status != Status::Ok || r.stdout != b"hello\n" {
            bail!("sandboxed run: {:?} {:?}", r.meas, r.stdout);
        }
        Ok(())
    };
    // Warm up every path (page cache, the pool's first run).
    for _ in 0..5 {
        plain()?;
        boxed(&copied)?;
        boxed(&bound)?;
        boxed(&per_run)?;
    }
    let size_kb = copied.files[0].data.len() / 1024;
    println!("static hello world ({size_kb} KiB), {runs} runs per cell, medians (p90) in ms\n");
    println!(
        "| regime | plain exec | sandboxed, binary bound read-only | overhead | sandboxed, binary copied into the box \
         | overhead | sandboxed, binary bound for the run (as artifacts are) | overhead |"
    );
    println!("|---|---|---|---|---|---|---|---|");
    for (name, gap) in [("back to back", Duration::ZERO), ("idle before each run", idle)] {
        let (pm, p9) = stats(time_runs(runs, gap, plain)?);
        let (bm, b9) = stats(time_runs(runs, gap, || boxed(&bound))?);
        let (cm, c9) = stats(time_runs(runs, gap, || boxed(&copied))?);
        let (rm, r9) = stats(time_runs(runs, gap, || boxed(&per_run))?);
        let label = if gap.is_zero() { name.to_string() } else { format!("{name} ({} ms)", gap.as_millis()) };
        println!(
            "| {label} | {pm:.2} ({p9:.2}) | {bm:.2} ({b9:.2}) | {:.2} | {cm:.2} ({c9:.2}) | {:.2} | {rm:.2} ({r9:.2}) | {:.2} |",
            bm - pm,
            cm - pm,
            rm - pm
        );
    }
    if phases {
        sandbox_phases(&pool, &RunSpec { phases: true, ..bound }, runs)?;
    }
    let _ = std::fs::remove_dir_all(&dir);
    Ok(0)
}

/// Where a box run's time goes: `runs` back-to-back runs of `spec`, the
/// median of each phase the helper reports.
fn sandbox_phases(pool: &Pool, spec: &RunSpec, runs: usize) -> anyhow::Result<()> {
    let mut names: Vec<String> = Vec::new();
    let mut samples: Vec<Vec<f64>> = Vec::new();
    for _ in 0..runs {
        let r = pool.run(spec)?;
        if r.meas.status != Status::Ok || r.meas.phases.is_empty() {
            bail!("a traced run: {:?}", r.meas);
        }
        if names.is_empty() {
            names = r.meas.phases.iter().map(|(n, _)| n.clone()).collect();
            samples = vec![Vec::with_capacity(runs); names.len()];
        }
        for (s, (_, us)) in samples.iter_mut().zip(&r.meas.phases) {
            s.push(*us);
        }
    }
    println!("\nwhere a box run's time goes ({runs} back-to-back runs, binary bound read-only; medians in µs)\n");
    println!("| phase | median | p90 |");
    println!("|---|---|---|");
    let mut total = 0.0;
    for (name, s) in names.iter().zip(samples) {
        let (m, p9) = stats(s);
        total += m;
        println!("| {name} | {m:.0} | {p9:.0} |");
    }
    println!("| sum of the medians | {total:.0} | |");
    Ok(())
}

/// How long `f` took, seconds.
pub(crate) fn timed(f: impl FnOnce() -> anyhow::Result<()>) -> anyhow::Result<f64> {
    let t = std::time::Instant::now();
    f()?;
    Ok(t.elapsed().as_secs_f64())
}
