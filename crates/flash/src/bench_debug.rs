//! `flash bench debug`: what a step costs under each language's tracer.
//!
//! Per language, one program of well over 1000 steps (a loop calling a small
//! function over a collection), timed three ways, `n` times each (medians):
//! - plain: a normal sandboxed run through the engine (compiled once, cached);
//! - a 1-step trace: the debug build (C++, Java; from the compile cache after
//!   the warm-up) plus tracer start-up, almost no tracing;
//! - a 1000-step trace: the same plus 999 more steps.
//!
//! The per-step cost is (1000-step − 1-step) / 999, which cancels compile,
//! box and tracer start-up; the plain run shows what the program costs
//! without any debugger.

use anyhow::{bail, Context};
use flash_debugger::{DebugLimits, DebugRequest, TraceStatus};
use flash_engine::{Engine, EngineConfig, Registry, StatusId, Submission};
use flash_sandbox::{Pool, PoolConfig};
use std::sync::Arc;
use std::time::Instant;

const STEPS: u32 = 1000;

/// (language, program): each runs far past 1000 steps and prints one line.
const PROGRAMS: &[(&str, &str)] = &[
    (
        "Python",
        "def sq(x):\n    return x * x\n\ndata = list(range(50))\ntotal = 0\nfor i in range(400):\n    total += sq(data[i % 50])\nprint(total)\n",
    ),
    (
        "C++",
        "#include <iostream>\n#include <vector>\nlong sq(long x) {\n    return x * x;\n}\nint main() {\n    std::vector<long> data(50);\n    for (int i = 0; i < 50; i++) data[i] = i;\n    long total = 0;\n    for (int i = 0; i < 400; i++) {\n        total += sq(data[i % 50]);\n    }\n    std::cout << total << std::endl;\n}\n",
    ),
    (
        "JavaScript",
        "function sq(x) {\n  return x * x;\n}\nconst data = Array.from({ length: 50 }, (_, i) => i);\nlet total = 0;\nfor (let i = 0; i < 400; i++) {\n  total += sq(data[i % 50]);\n}\nconsole.log(total);\n",
    ),
    (
        "Java",
        "public class Main {\n    static long sq(long x) {\n        return x * x;\n    }\n    public static void main(String[] args) {\n        long[] data = new long[50];\n        for (int i = 0; i < 50; i++) data[i] = i;\n        long total = 0;\n        for (int i = 0; i < 400; i++) {\n            total += sq(data[i % 50]);\n        }\n        System.out.println(total);\n    }\n}\n",
    ),
];

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[v.len() / 2]
}

/// Milliseconds of one debug run; checks it recorded `steps` steps.
fn trace_ms(engine: &Engine, lang: &str, code: &str, steps: u32) -> anyhow::Result<f64> {
    let req = DebugRequest { code: code.into(), language: lang.into(), max_steps: Some(steps), ..Default::default() };
    let t = Instant::now();
    let trace = flash_debugger::debug(engine, &req, &DebugLimits::default())?;
    let ms = t.elapsed().as_secs_f64() * 1e3;
    if trace.status != TraceStatus::StepLimit || trace.steps.len() != steps as usize {
        bail!(
            "{lang}: expected {steps} steps and step_limit, got {} steps, {:?} ({:?}) {}",
            trace.steps.len(),
            trace.status,
            trace.message,
            trace.stderr
        );
    }
    Ok(ms)
}

/// Milliseconds of one plain sandboxed run through the engine.
fn plain_ms(engine: &Engine, lang: &str, code: &str) -> anyhow::Result<f64> {
    let sub = Submission { language: lang.into(), source: code.as_bytes().to_vec(), ..Submission::default() };
    let t = Instant::now();
    let j = engine.judge(&sub)?;
    let ms = t.elapsed().as_secs_f64() * 1e3;
    if j.run.status != StatusId::Accepted {
        bail!("{lang}: plain run: {:?} {:?}", j.run.status, j.run.message);
    }
    Ok(ms)
}

pub fn run(n: usize) -> anyhow::Result<i32> {
    let n = n.max(1);
    let registry = Registry::load(None)?;
    let pool = Arc::new(Pool::new(PoolConfig::new(1)?).context("building the sandbox pool")?);
    let cache = std::env::temp_dir().join(format!("flash-bench-debug-{}", std::process::id()));
    let engine = Engine::new(pool, registry.clone(), EngineConfig::new(cache.clone()))?;
    println!("debugger: a {STEPS}-step trace per language against a plain run of the same program");
    println!("(sandboxed, medians of {n} runs; per step = (1000-step trace - 1-step trace) / 999)\n");
    println!("| language | plain run (ms) | 1-step trace (ms) | {STEPS}-step trace (ms) | per step (µs) |");
    println!("|---|---|---|---|---|");
    for (lang, code) in PROGRAMS {
        if registry.find(lang).is_none() {
            println!("| {lang} | not installed here | | | |");
            continue;
        }
        // Warm up: the compile cache, the Java tracer's classes, the page cache.
        plain_ms(&engine, lang, code)?;
        trace_ms(&engine, lang, code, 1)?;
        let mut plain = Vec::new();
        let mut one = Vec::new();
        let mut full = Vec::new();
        for _ in 0..n {
            plain.push(plain_ms(&engine, lang, code)?);
            one.push(trace_ms(&engine, lang, code, 1)?);
            full.push(trace_ms(&engine, lang, code, STEPS)?);
        }
        let (p, o, f) = (median(plain), median(one), median(full));
        let per_step_us = (f - o) / f64::from(STEPS - 1) * 1e3;
        println!("| {lang} | {p:.1} | {o:.1} | {f:.1} | {per_step_us:.1} |");
    }
    let _ = std::fs::remove_dir_all(&cache);
    Ok(0)
}
