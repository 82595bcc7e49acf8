//! `flash bench` (the batch benchmark): the original design's table, reproduced.
//!
//! Batches of N C++ programs go to a running service over HTTP (Judge0's batch
//! API, or the native API with `wait=true`), timed from the first request until
//! every result is in. Two workloads: `identical` (every program of a batch is
//! the same source, new for each repetition, so each batch pays one compile:
//! the original table's method) and `distinct` (every program differs, so each
//! compiles). The floor is the same work done plainly in the same run, on all
//! cores: `g++` then the runs, no sandbox, no server. The programs include
//! `<iostream>`, which the service compiles from a precompiled header; where
//! it started the service, a second floor compiles plainly from the same
//! headers, so that what is left between the two is the service's own cost.
//! Output: a Markdown table (printed and written), a JSON file with every
//! sample, and an SVG plot.

use anyhow::{bail, Context};
use clap::Args;
use flash_server::client;
use serde_json::json;
use std::io::BufRead;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The original design's published figures (seconds; other hardware).
const PUBLISHED_SIZES: [usize; 6] = [1, 5, 10, 20, 100, 200];
const PUBLISHED_FLASH: [f64; 6] = [0.423, 0.686, 1.096, 1.972, 9.772, 11.261];
const PUBLISHED_JUDGE0: [f64; 6] = [1.024, 1.067, 2.151, 3.478, 14.019, 28.140];

#[derive(Args, Debug)]
pub struct BatchArgs {
    /// Target a running service instead of starting one (e.g. http://127.0.0.1:2358).
    #[arg(long)]
    url: Option<String>,
    /// Batch sizes.
    #[arg(long, value_delimiter = ',', default_value = "1,5,10,20,100,200")]
    batches: Vec<usize>,
    /// Repetitions per batch size (the median is reported, with min and max).
    #[arg(long, default_value_t = 5)]
    repeat: usize,
    /// identical, distinct or both.
    #[arg(long, default_value = "both")]
    workload: String,
    /// judge0 (batch API) or native (POST /create?wait=true, one request per program).
    #[arg(long, default_value = "judge0")]
    api: String,
    /// Workers of the service this command starts (default: number of cores).
    #[arg(long)]
    workers: Option<usize>,
    /// Where the table, the JSON samples and the plot go.
    #[arg(long, default_value = "bench-results")]
    out: PathBuf,
}

/// One program of a batch: a tiny computation so the run is not free.
fn program(nonce: &str) -> String {
    format!(
        "// {nonce}\n#include <iostream>\nint main(){{long long s=0;for(int i=0;i<1000000;i++)s+=i%7;std::cout<<s<<\"\\n\";}}\n"
    )
}

/// The service under test: started here, or given.
struct Target {
    addr: SocketAddr,
    child: Option<Child>,
    dir: Option<tempfile::TempDir>,
}

impl Target {
    /// The directory of the C++ precompiled headers of a service started
    /// here (on the host; the boxes see it read-only), once built.
    fn headers(&self) -> Option<PathBuf> {
        let pch = self.dir.as_ref()?.path().join("pch");
        std::fs::read_dir(pch).ok()?.flatten().map(|e| e.path()).find(|p| p.join("iostream.gch").is_file())
    }
}

impl Drop for Target {
    fn drop(&mut self) {
        if let Some(c) = &mut self.child {
            // SAFETY: sending SIGTERM to our own child process.
            unsafe { libc::kill(c.id() as i32, libc::SIGTERM) };
            let _ = c.wait();
        }
    }
}

fn start_target(a: &BatchArgs, batch_max: usize) -> anyhow::Result<Target> {
    if let Some(url) = &a.url {
        let hostport = url.trim_start_matches("http://").trim_end_matches('/');
        let addr = std::net::ToSocketAddrs::to_socket_addrs(hostport)?.next().context("resolving --url")?;
        return Ok(Target { addr, child: None, dir: None });
    }
    let dir = tempfile::tempdir()?;
    let exe = std::env::current_exe()?;
    let workers = a.workers.unwrap_or_else(|| std::thread::available_parallelism().map_or(2, |n| n.get()));
    let mut child = Command::new(exe)
        .args(["serve", "--listen", "127.0.0.1:0", "--log-level", "warn"])
        .arg("--data-dir")
        .arg(dir.path())
        .args(["--workers", &workers.to_string(), "--max-batch-size", &batch_max.max(20).to_string()])
        .args(["--max-queue-size", &(batch_max * 4).max(1000).to_string()])
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .context("starting flash serve")?;
    let mut line = String::new();
    std::io::BufReader::new(child.stdout.take().context("server stdout")?).read_line(&mut line)?;
    let addr = line.trim().rsplit("http://").next().and_then(|a| a.parse().ok());
    let Some(addr) = addr else {
        let _ = child.kill();
        bail!("flash serve did not start: {line:?}");
    };
    Ok(Target { addr, child: Some(child), dir: Some(dir) })
}

/// Waits until `/health` no longer says `warming` (at most ten minutes).
async fn wait_until_warm(addr: SocketAddr) -> anyhow::Result<()> {
    let start = Instant::now();
    let mut said = false;
    loop {
        let health = http(addr, "GET", "/health", &serde_json::Value::Null).await?;
        if health["warming"] != json!(true) {
            if said {
                eprintln!("warm after {:.0} s", start.elapsed().as_secs_f64());
            }
            return Ok(());
        }
        if start.elapsed() > Duration::from_secs(600) {
            bail!("the service was still building its precompiled headers and archives after 10 minutes");
        }
        if !said {
            eprintln!("waiting for the service's precompiled headers and class-data archives ...");
            said = true;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

async fn http(
    addr: SocketAddr,
    method: &str,
    path: &str,
    body: &serde_json::Value,
) -> anyhow::Result<serde_json::Value> {
    let body = if body.is_null() { Vec::new() } else { serde_json::to_vec(body)? };
    let r = client::request(addr, "localhost", method, path, &[("Content-Type", "application/json")], &body).await?;
    if r.status >= 300 {
        bail!("{method} {path}: {} {}", r.status, String::from_utf8_lossy(&r.body));
    }
    Ok(r.json())
}

/// Judges `sources` through the Judge0 batch API; returns when all are done,
/// with their tokens.
async fn batch_judge0(addr: SocketAddr, sources: &[String], chunk: usize) -> anyhow::Result<Vec<String>> {
    let mut tokens = Vec::new();
    for part in sources.chunks(chunk) {
        let subs: Vec<_> = part.iter().map(|s| json!({"source_code": s, "language_id": 54})).collect();
        let resp =
            http(addr, "POST", "/submissions/batch?base64_encoded=false", &json!({ "submissions": subs })).await?;
        for t in resp.as_array().context("batch answer is a list")? {
            tokens.push(t["token"].as_str().context("a token per submission")?.to_owned());
        }
    }
    let all = tokens.clone();
    // Poll only what is still pending, and less often as the batch goes on: the
    // polls share the machine with the compilers, and a batch that takes 20 s
    // does not need a look every 5 ms (the last result is seen at most 1/20 of
    // the elapsed time, and never more than 50 ms, late).
    let start = Instant::now();
    while !tokens.is_empty() {
        let mut pending = Vec::new();
        for part in tokens.chunks(chunk) {
            let path = format!("/submissions/batch?tokens={}&base64_encoded=false&fields=token,status", part.join(","));
            let resp = http(addr, "GET", &path, &serde_json::Value::Null).await?;
            for s in resp["submissions"].as_array().context("submissions list")? {
                let id = s["status"]["id"].as_u64().unwrap_or(0);
                if id <= 2 {
                    pending.push(s["token"].as_str().context("token field")?.to_owned());
                } else if id != 3 {
                    bail!("a benchmark program was not accepted: {s}");
                }
            }
        }
        tokens = pending;
        if !tokens.is_empty() {
            let interval = (start.elapsed() / 20).clamp(Duration::from_millis(5), Duration::from_millis(50));
            tokio::time::sleep(interval).await;
        }
    }
    Ok(all)
}

/// Where a Judge0 batch's time went, from the service's own timestamps
/// (`created_at`, `finished_at`; milliseconds), in seconds after the client
/// began sending: (all accepted, the last finished).
async fn judge0_phases(addr: SocketAddr, tokens: &[String], sent_ms: i64) -> anyhow::Result<(f64, f64)> {
    let (mut accepted, mut finished) = (0i64, 0i64);
    for part in tokens.chunks(20) {
        let path = format!("/submissions/batch?tokens={}&fields=created_at,finished_at", part.join(","));
        let resp = http(addr, "GET", &path, &serde_json::Value::Null).await?;
        for s in resp["submissions"].as_array().context("submissions list")? {
            let at = |f: &str| s[f].as_str().and_then(epoch_ms).with_context(|| format!("{f} of {s}"));
            accepted = accepted.max(at("created_at")?);
            finished = finished.max(at("finished_at")?);
        }
    }
    Ok(((accepted - sent_ms) as f64 / 1000.0, (finished - sent_ms) as f64 / 1000.0))
}

/// Milliseconds since the epoch of Judge0's `2026-11-30T14:13:00.123Z`.
fn epoch_ms(t: &str) -> Option<i64> {
    let num = |r: std::ops::Range<usize>| t.get(r)?.parse::<i64>().ok();
    let (y, m, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (hh, mm, ss, ms) = (num(11..13)?, num(14..16)?, num(17..19)?, num(20..23)?);
    // Days since 1970-01-01 of a civil date (Howard Hinnant's algorithm).
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    Some(((days * 24 + hh) * 60 + mm) * 60_000 + ss * 1000 + ms)
}

/// Judges `sources` through the native API, one `wait=true` request each, all at once.
async fn batch_native(addr: SocketAddr, sources: &[String]) -> anyhow::Result<()> {
    let tasks: Vec<_> = sources
        .iter()
        .map(|s| {
            let body = json!({"code": s, "language": "cpp"});
            tokio::spawn(async move { http(addr, "POST", "/create?wait=true", &body).await })
        })
        .collect();
    for t in tasks {
        let r = t.await??;
        if r["status"]["id"] != 3 {
            bail!("a benchmark program was not accepted: {r}");
        }
    }
    Ok(())
}

/// The floor: the same programs compiled and run plainly on all cores (with
/// `headers`, from those precompiled headers, as the service's boxes do).
fn floor(sources: &[String], identical: bool, work: &Path, headers: Option<&Path>) -> anyhow::Result<f64> {
    let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
    let include = headers.map(|h| format!("-I{}", h.display()));
    let compile = |src: &str, dir: &Path| -> anyhow::Result<PathBuf> {
        std::fs::create_dir_all(dir)?;
        std::fs::write(dir.join("main.cpp"), src)?;
        let st = Command::new("/usr/bin/g++")
            .args(include.iter())
            .args(["-std=c++17", "-O2", "-pipe", "-o", "main", "main.cpp"])
            .current_dir(dir)
            .status()?;
        if !st.success() {
            bail!("g++ failed");
        }
        Ok(dir.join("main"))
    };
    let run = |bin: &Path| -> anyhow::Result<()> {
        let o = Command::new(bin).stdin(Stdio::null()).output()?;
        if !o.status.success() {
            bail!("run failed");
        }
        Ok(())
    };
    let t = Instant::now();
    if identical {
        let bin = compile(&sources[0], &work.join("one"))?;
        std::thread::scope(|s| -> anyhow::Result<()> {
            let per = sources.len().div_ceil(cores);
            let handles: Vec<_> =
                sources.chunks(per).map(|c| s.spawn(|| c.iter().try_for_each(|_| run(&bin)))).collect();
            handles.into_iter().try_for_each(|h| h.join().map_err(|_| anyhow::anyhow!("thread panicked"))?)
        })?;
    } else {
        std::thread::scope(|s| -> anyhow::Result<()> {
            let per = sources.len().div_ceil(cores);
            let handles: Vec<_> = sources
                .chunks(per)
                .enumerate()
                .map(|(i, c)| {
                    let dir = work.join(format!("t{i}"));
                    s.spawn(move || c.iter().try_for_each(|src| run(&compile(src, &dir)?)))
                })
                .collect();
            handles.into_iter().try_for_each(|h| h.join().map_err(|_| anyhow::anyhow!("thread panicked"))?)
        })?;
    }
    Ok(t.elapsed().as_secs_f64())
}

/// min, median, max
fn summary(v: &[f64]) -> (f64, f64, f64) {
    let mut s = v.to_vec();
    s.sort_by(|a, b| a.total_cmp(b));
    (s[0], s[s.len() / 2], s[s.len() - 1])
}

/// Samples of one workload at one batch size.
struct Cell {
    workload: &'static str,
    size: usize,
    flash: Vec<f64>,
    floor: Vec<f64>,
    /// The floor compiling from the service's precompiled headers (empty
    /// against a service given by `--url`).
    floor_headers: Vec<f64>,
    /// Judge0 only: when the service had accepted every program and when it
    /// had finished the last, seconds after the client began sending.
    accepted: Vec<f64>,
    finished: Vec<f64>,
}

pub fn run(a: BatchArgs) -> anyhow::Result<i32> {
    let workloads: Vec<&'static str> = match a.workload.as_str() {
        "identical" => vec!["identical"],
        "distinct" => vec!["distinct"],
        "both" => vec!["identical", "distinct"],
        w => bail!("--workload must be identical, distinct or both, not {w:?}"),
    };
    if !["judge0", "native"].contains(&a.api.as_str()) {
        bail!("--api must be judge0 or native");
    }
    if a.batches.is_empty() || a.batches.contains(&0) || a.repeat == 0 {
        bail!("--batches must be positive sizes and --repeat at least 1");
    }
    let batch_max = *a.batches.iter().max().unwrap();
    let target = start_target(&a, batch_max)?;
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    // A service started here builds its precompiled headers and class-data
    // archives in the background: measured meanwhile, batches would share the
    // machine with those builds (and compile without the headers).
    rt.block_on(wait_until_warm(target.addr))?;
    let headers = target.headers();
    let chunk = if a.url.is_some() { 20 } else { batch_max.max(20) };
    let work = tempfile::tempdir()?;
    let total = (workloads.len() * a.batches.len() * a.repeat) as u64;
    let bar = indicatif::ProgressBar::new(total);
    bar.set_style(
        indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len} {msg}")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    let run_id = format!(
        "{}-{}",
        std::process::id(),
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH)?.as_millis()
    );
    let mut cells = Vec::new();
    for &workload in &workloads {
        for &size in &a.batches {
            let mut cell = Cell {
                workload,
                size,
                flash: Vec::new(),
                floor: Vec::new(),
                floor_headers: Vec::new(),
                accepted: Vec::new(),
                finished: Vec::new(),
            };
            for rep in 0..a.repeat {
                bar.set_message(format!("{workload} batch of {size}, repetition {}", rep + 1));
                let sources: Vec<String> = (0..size)
                    .map(|i| match workload {
                        "identical" => program(&format!("{run_id} {size} {rep}")),
                        _ => program(&format!("{run_id} {size} {rep} {i}")),
                    })
                    .collect();
                let sent_ms = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH)?.as_millis() as i64;
                let t = Instant::now();
                let tokens = rt.block_on(async {
                    match a.api.as_str() {
                        "native" => batch_native(target.addr, &sources).await.map(|()| Vec::new()),
                        _ => batch_judge0(target.addr, &sources, chunk).await,
                    }
                })?;
                cell.flash.push(t.elapsed().as_secs_f64());
                if !tokens.is_empty() {
                    let (accepted, finished) = rt.block_on(judge0_phases(target.addr, &tokens, sent_ms))?;
                    cell.accepted.push(accepted);
                    cell.finished.push(finished);
                }
                // The floor needs its own never-seen sources too, or g++ is no slower than a cache.
                let plain: Vec<String> = sources.iter().map(|s| format!("// floor\n{s}")).collect();
                cell.floor.push(floor(&plain, workload == "identical", work.path(), None)?);
                if let Some(h) = &headers {
                    let plain: Vec<String> = sources.iter().map(|s| format!("// floor, headers\n{s}")).collect();
                    cell.floor_headers.push(floor(&plain, workload == "identical", work.path(), Some(h))?);
                }
                bar.inc(1);
            }
            cells.push(cell);
        }
    }
    bar.finish_and_clear();
    drop(target);
    write_outputs(&a, &cells)
}

fn published(size: usize) -> Option<(f64, f64)> {
    PUBLISHED_SIZES.iter().position(|&s| s == size).map(|i| (PUBLISHED_FLASH[i], PUBLISHED_JUDGE0[i]))
}

fn write_outputs(a: &BatchArgs, cells: &[Cell]) -> anyhow::Result<i32> {
    std::fs::create_dir_all(&a.out)?;
    let mut md = String::new();
    md.push_str(&format!(
        "C++ batches through the {} API, {} repetitions, seconds (median, min-max); floor = plain g++ + runs on all cores in the same run.\n\
         Published figures were measured on other hardware.\n\n",
        a.api, a.repeat
    ));
    md.push_str("| workload | batch | Flash | floor | Flash / floor | jobs/s | published Flash | published Judge0 |\n");
    md.push_str("|---|---|---|---|---|---|---|---|\n");
    for c in cells {
        let (fmin, fmed, fmax) = summary(&c.flash);
        let (_, floor, _) = summary(&c.floor);
        let (pf, pj) =
            published(c.size).map_or(("".into(), "".into()), |(f, j)| (format!("{f:.3}"), format!("{j:.3}")));
        md.push_str(&format!(
            "| {} | {} | {fmed:.3} ({fmin:.3}-{fmax:.3}) | {floor:.3} | {:.2}x | {:.1} | {pf} | {pj} |\n",
            c.workload,
            c.size,
            fmed / floor,
            c.size as f64 / fmed
        ));
    }
    if cells.iter().any(|c| !c.finished.is_empty()) {
        md.push_str(
            "\nWhere the time goes (medians, seconds after the client began sending; from the service's \
             `created_at` and `finished_at`, millisecond precision): every program accepted, the last one \
             finished, and the client's sight of it (it polls `GET /submissions/batch`).\n\n",
        );
        md.push_str(
            "| workload | batch | all accepted | last finished | seen by the client | floor | finished / floor |\n",
        );
        md.push_str("|---|---|---|---|---|---|---|\n");
        for c in cells.iter().filter(|c| !c.finished.is_empty()) {
            let (_, accepted, _) = summary(&c.accepted);
            let (_, finished, _) = summary(&c.finished);
            let (_, seen, _) = summary(&c.flash);
            let (_, floor, _) = summary(&c.floor);
            md.push_str(&format!(
                "| {} | {} | {accepted:.3} | {finished:.3} | {seen:.3} | {floor:.3} | {:.2}x |\n",
                c.workload,
                c.size,
                finished / floor
            ));
        }
    }
    if cells.iter().any(|c| !c.floor_headers.is_empty()) {
        md.push_str(
            "\nThe service's own cost: the floor again, compiling from the service's precompiled headers \
             (the programs include `<iostream>`), against Flash's time as the client saw it.\n\n",
        );
        md.push_str("| workload | batch | Flash | floor, same headers | Flash / it |\n");
        md.push_str("|---|---|---|---|---|\n");
        for c in cells.iter().filter(|c| !c.floor_headers.is_empty()) {
            let (_, seen, _) = summary(&c.flash);
            let (_, floor, _) = summary(&c.floor_headers);
            md.push_str(&format!("| {} | {} | {seen:.3} | {floor:.3} | {:.2}x |\n", c.workload, c.size, seen / floor));
        }
    }
    print!("{md}");
    std::fs::write(a.out.join("bench.md"), &md)?;
    let samples: Vec<_> = cells
        .iter()
        .map(|c| {
            json!({"workload": c.workload, "batch": c.size, "flash_seconds": c.flash, "floor_seconds": c.floor,
                "floor_same_headers_seconds": c.floor_headers,
                "accepted_seconds": c.accepted, "finished_seconds": c.finished})
        })
        .collect();
    let doc = json!({
        "api": a.api, "repeat": a.repeat, "cores": std::thread::available_parallelism().map_or(0, |n| n.get()),
        "samples": samples,
        "published": {"batches": PUBLISHED_SIZES, "flash": PUBLISHED_FLASH, "judge0": PUBLISHED_JUDGE0, "note": "other hardware"},
    });
    std::fs::write(a.out.join("bench.json"), serde_json::to_string_pretty(&doc)?)?;
    std::fs::write(a.out.join("bench.svg"), crate::plot::svg(&series(cells)))?;
    eprintln!("\nwrote {0}/bench.md, {0}/bench.json, {0}/bench.svg", a.out.display());
    Ok(0)
}

fn series(cells: &[Cell]) -> Vec<crate::plot::Series> {
    let mut out = Vec::new();
    for (workload, colour) in [("identical", "#d62728"), ("distinct", "#1f77b4")] {
        let mine: Vec<&Cell> = cells.iter().filter(|c| c.workload == workload).collect();
        if mine.is_empty() {
            continue;
        }
        let pts = |f: fn(&Cell) -> &Vec<f64>| mine.iter().map(|c| (c.size as f64, summary(f(c)).1)).collect();
        out.push(crate::plot::Series {
            label: format!("Flash, {workload}"),
            colour,
            dashed: false,
            points: pts(|c| &c.flash),
        });
        out.push(crate::plot::Series {
            label: format!("floor, {workload}"),
            colour,
            dashed: true,
            points: pts(|c| &c.floor),
        });
    }
    let published = |v: [f64; 6]| PUBLISHED_SIZES.iter().zip(v).map(|(&s, t)| (s as f64, t)).collect();
    out.push(crate::plot::Series {
        label: "published Flash (other hardware)".into(),
        colour: "#2ca02c",
        dashed: true,
        points: published(PUBLISHED_FLASH),
    });
    out.push(crate::plot::Series {
        label: "published Judge0 (other hardware)".into(),
        colour: "#7f7f7f",
        dashed: true,
        points: published(PUBLISHED_JUDGE0),
    });
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn judge0_timestamps_read_back() {
        assert_eq!(super::epoch_ms("1970-01-01T00:00:00.000Z"), Some(0));
        assert_eq!(super::epoch_ms("2026-11-30T14:13:00.123Z"), Some(1_796_047_980_123));
        assert_eq!(super::epoch_ms("2000-02-29T23:59:59.999Z"), Some(951_868_799_999));
        assert_eq!(super::epoch_ms("garbage"), None);
    }
}
