//! `flash bench interactive`: an interactive problem's dialogue through
//! Flash (solution and interactor each in its own box, joined by pipes)
//! against the same two programs joined by plain pipes outside any sandbox,
//! in the same run.
//!
//! The dialogue is `rounds` exchanges: the interactor writes a number, the
//! solution answers it plus one, each side flushing every line. Start-up is
//! taken out on both sides the same way: the wall time of a test with
//! `rounds` exchanges minus that of a test with one. Flash's own figure for
//! a test (`dialogue_wall`, from when both programs run to the solution's
//! end) is printed beside it.

use crate::exec::{build_engine, Prebuild};
use anyhow::{bail, Context};
use flash_judge::{Options, Package, Verdict};
use std::os::fd::OwnedFd;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Instant;

/// The Kattis-protocol interactor: `interactor input answer feedback_dir`,
/// the round count in the input; 42 accepts, 43 rejects.
const INTERACTOR: &str = r#"#include <cstdio>
#include <cstdlib>
int main(int argc, char** argv) {
    if (argc < 4) return 1;
    FILE* in = std::fopen(argv[1], "r");
    long rounds = 0;
    if (!in || std::fscanf(in, "%ld", &rounds) != 1) return 1;
    std::printf("%ld\n", rounds);
    std::fflush(stdout);
    for (long i = 0; i < rounds; i++) {
        std::printf("%ld\n", i * 7);
        std::fflush(stdout);
        long got;
        if (std::scanf("%ld", &got) != 1 || got != i * 7 + 1) return 43;
    }
    return 42;
}
"#;

const SOLUTION: &str = r#"#include <cstdio>
int main() {
    long rounds;
    if (std::scanf("%ld", &rounds) != 1) return 1;
    for (long i = 0; i < rounds; i++) {
        long x;
        if (std::scanf("%ld", &x) != 1) return 1;
        std::printf("%ld\n", x + 1);
        std::fflush(stdout);
    }
    return 0;
}
"#;

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[v.len() / 2]
}

/// A legacy interactive package with one secret test of `rounds` exchanges.
fn package(dir: &Path, rounds: u64) -> anyhow::Result<Package> {
    std::fs::create_dir_all(dir.join("data/secret"))?;
    std::fs::create_dir_all(dir.join("output_validators/interactor"))?;
    std::fs::write(
        dir.join("problem.yaml"),
        "name: Echo\nvalidation: custom interactive\nlimits:\n  time_limit: 10\n  memory: 256\n  validation_time: 20\n",
    )?;
    std::fs::write(dir.join("data/secret/1.in"), format!("{rounds}\n"))?;
    std::fs::write(dir.join("data/secret/1.ans"), "\n")?;
    std::fs::write(dir.join("output_validators/interactor/interactor.cpp"), INTERACTOR)?;
    Ok(Package::load(dir)?)
}

fn pipe() -> anyhow::Result<(OwnedFd, OwnedFd)> {
    let (r, w) = std::io::pipe()?;
    Ok((r.into(), w.into()))
}

/// The two programs joined by plain pipes; wall seconds from the first
/// start to both ends.
fn plain_dialogue(bin: &Path, work: &Path, rounds: u64) -> anyhow::Result<f64> {
    let input = work.join(format!("plain-{rounds}.in"));
    std::fs::write(&input, format!("{rounds}\n"))?;
    let answer = work.join("plain.ans");
    std::fs::write(&answer, "\n")?;
    let feedback = work.join("feedback");
    std::fs::create_dir_all(&feedback)?;
    let (to_sol_r, to_sol_w) = pipe()?;
    let (to_int_r, to_int_w) = pipe()?;
    let t = Instant::now();
    let mut interactor = Command::new(bin.join("interactor"))
        .args([&input, &answer, &feedback])
        .stdin(Stdio::from(to_int_r))
        .stdout(Stdio::from(to_sol_w))
        .stderr(Stdio::null())
        .spawn()?;
    let mut solution = Command::new(bin.join("solution"))
        .stdin(Stdio::from(to_sol_r))
        .stdout(Stdio::from(to_int_w))
        .stderr(Stdio::null())
        .spawn()?;
    let s = solution.wait()?;
    let i = interactor.wait()?;
    let wall = t.elapsed().as_secs_f64();
    if !s.success() || i.code() != Some(42) {
        bail!("plain dialogue of {rounds} rounds: solution {s}, interactor {i}");
    }
    Ok(wall)
}

/// `flash bench interactive`: `rounds` exchanges, `runs` samples per cell.
pub fn run(rounds: u64, runs: usize) -> anyhow::Result<i32> {
    let tmp = std::env::temp_dir().join(format!("flash-bench-interactive-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&tmp);
    std::fs::create_dir_all(&tmp)?;
    let result = measure(&tmp, rounds, runs);
    let _ = std::fs::remove_dir_all(&tmp);
    result
}

fn measure(tmp: &Path, rounds: u64, runs: usize) -> anyhow::Result<i32> {
    let bin = tmp.join("bin");
    std::fs::create_dir_all(&bin)?;
    for (name, src) in [("interactor", INTERACTOR), ("solution", SOLUTION)] {
        let file = bin.join(format!("{name}.cpp"));
        std::fs::write(&file, src)?;
        let out = Command::new("/usr/bin/g++")
            .args(["-std=c++17", "-O2", "-o"])
            .arg(bin.join(name))
            .arg(&file)
            .output()
            .context("running g++")?;
        if !out.status.success() {
            bail!("g++ {name}: {}", String::from_utf8_lossy(&out.stderr));
        }
    }
    let engine = build_engine(Some(tmp.join("cache")), Prebuild::default(), 2)?;
    let one = package(&tmp.join("one"), 1)?;
    let many = package(&tmp.join("many"), rounds)?;
    let opts = Options::default();
    let judged = |pkg: &Package| -> anyhow::Result<(f64, f64)> {
        let t = Instant::now();
        let r = flash_judge::judge(&engine, pkg, "C++", SOLUTION.as_bytes().to_vec(), &opts)?;
        let wall = t.elapsed().as_secs_f64();
        if r.verdict != Verdict::AC {
            bail!("the echo solution got {:?}: {:?}", r.verdict, r.message);
        }
        Ok((wall, r.tests.first().and_then(|t| t.dialogue_wall).unwrap_or(0.0)))
    };
    // Compiles (solution and interactor) out of the way.
    judged(&one)?;
    let (mut p1, mut pn, mut f1, mut fn_, mut fd) = (Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for _ in 0..runs {
        p1.push(plain_dialogue(&bin, tmp, 1)?);
        pn.push(plain_dialogue(&bin, tmp, rounds)?);
        f1.push(judged(&one)?.0);
        let (wall, dialogue) = judged(&many)?;
        fn_.push(wall);
        fd.push(dialogue);
    }
    let plain = (median(pn) - median(p1)).max(1e-6);
    let flash = median(fn_) - median(f1);
    println!("Interactive dialogue of {rounds} rounds, medians of {runs} samples (ms; start-up taken out)\n");
    println!("| what | plain pipes | Flash (two boxes) | ratio |");
    println!("|---|---|---|---|");
    println!("| {rounds} rounds minus 1 round | {:.1} | {:.1} | {:.2}x |", plain * 1e3, flash * 1e3, flash / plain);
    println!("| Flash's own dialogue figure ({rounds} rounds) | | {:.1} | |", median(fd) * 1e3);
    Ok(0)
}
