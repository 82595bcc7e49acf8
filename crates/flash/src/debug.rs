//! `flash debug FILE`: record a step-by-step trace of one source file, the
//! command-line side of `POST /debug` (same library, same limits).
//!
//! Prints the steps as text (one a line: event, line, function, the
//! innermost frame's locals, the return value) or, with `--json`, the trace
//! exactly as the HTTP API answers it. Exits 0 when the program ran to its
//! end with status ok, 1 for any other status.

use anyhow::Context;
use clap::Args;
use flash_debugger::{DebugLimits, DebugRequest, Event, Step, Trace, TraceStatus, Value};
use flash_engine::{Engine, EngineConfig, Registry};
use flash_sandbox::{Pool, PoolConfig};
use std::path::PathBuf;
use std::sync::Arc;

#[derive(Args, Debug)]
pub struct DebugArgs {
    /// The source file.
    file: PathBuf,
    /// Language name, alias or Judge0 id (default: from the file's extension).
    #[arg(long, short = 'l')]
    language: Option<String>,
    /// stdin for the program.
    #[arg(long)]
    stdin: Option<PathBuf>,
    /// Steps to record (default 1000).
    #[arg(long)]
    max_steps: Option<u32>,
    /// Trace size limit, KiB.
    #[arg(long, default_value_t = 4096)]
    trace_kb: u64,
    /// CPU time limit of the debug run, seconds.
    #[arg(long = "time", default_value_t = 10.0)]
    cpu_time: f64,
    /// Wall-clock limit of the debug run, seconds.
    #[arg(long, default_value_t = 15.0)]
    wall_time: f64,
    /// Memory limit, KiB (some languages need more and get it).
    #[arg(long = "mem", default_value_t = 512 * 1024)]
    memory_kb: u64,
    /// Print the whole trace as JSON (the `POST /debug` answer).
    #[arg(long)]
    json: bool,
}

pub fn main(a: DebugArgs) -> anyhow::Result<i32> {
    let registry = Registry::load(None)?;
    let language = crate::exec::language_of(&registry, &a.file, a.language.as_deref())?;
    let code = std::fs::read_to_string(&a.file).with_context(|| format!("reading {}", a.file.display()))?;
    let input = match &a.stdin {
        Some(p) => std::fs::read_to_string(p).with_context(|| format!("reading {}", p.display()))?,
        None => String::new(),
    };
    let mut limits = DebugLimits {
        trace_bytes: a.trace_kb.saturating_mul(1024),
        cpu_time: a.cpu_time,
        wall_time: a.wall_time,
        memory_kb: a.memory_kb,
        ..DebugLimits::default()
    };
    limits.file_size_kb = limits.file_size_kb.max(a.trace_kb + 1024);
    let req = DebugRequest { code, language, input, max_steps: a.max_steps, cancel: None };
    let pool = Pool::new(PoolConfig::new(1)?).context("cannot build the sandbox")?;
    // A compile cache for this one trace (its debug build goes through the engine).
    let cache = std::env::temp_dir().join(format!("flash-debug-{}", std::process::id()));
    let engine = Engine::new(Arc::new(pool), registry, EngineConfig::new(cache.clone()))?;
    let trace = flash_debugger::debug(&engine, &req, &limits);
    let _ = std::fs::remove_dir_all(&cache);
    let trace = trace?;
    if a.json {
        let text = serde_json::to_string_pretty(&trace)? + "\n";
        let _ = std::io::Write::write_all(&mut std::io::stdout().lock(), text.as_bytes());
    } else {
        print_text(&trace);
    }
    Ok(if trace.status == TraceStatus::Ok { 0 } else { 1 })
}

/// The trace as text; written in one go, and a closed pipe (`| head`) is not an error.
fn print_text(t: &Trace) {
    use std::fmt::Write as _;
    let mut out = String::new();
    let status = serde_json::to_value(t.status).unwrap_or_default();
    let status = status.as_str().unwrap_or("?");
    let _ = writeln!(out, "status: {status}, {} steps", t.steps.len());
    if let Some(m) = &t.message {
        let _ = writeln!(out, "  message: {m}");
    }
    if let Some(c) = t.exit {
        let _ = writeln!(out, "  exit code: {c}");
    }
    if let Some(s) = t.signal {
        let _ = writeln!(out, "  signal: {s}");
    }
    if !t.compile_output.is_empty() {
        let _ = writeln!(out, "--- compile output ---\n{}", t.compile_output.trim_end());
    }
    for (i, s) in t.steps.iter().enumerate() {
        let _ = writeln!(out, "{:>5} {}", i + 1, step_line(s));
    }
    if !t.stdout.is_empty() {
        let _ = writeln!(out, "--- stdout ---\n{}", t.stdout.trim_end());
    }
    if !t.stderr.is_empty() {
        let _ = writeln!(out, "--- stderr ---\n{}", t.stderr.trim_end());
    }
    let _ = std::io::Write::write_all(&mut std::io::stdout().lock(), out.as_bytes());
}

fn step_line(s: &Step) -> String {
    let event = match s.event {
        Event::Call => "call",
        Event::Line => "line",
        Event::Return => "return",
        Event::Exception => "exception",
        Event::UncaughtException => "uncaught",
    };
    let mut out = format!("{event:<9} {:>4}  {}", s.line, s.func);
    if let Some(f) = s.frames.first() {
        let vars: Vec<String> = f.locals.iter().map(|v| format!("{}={}", v.name, short(&v.value))).collect();
        if !vars.is_empty() {
            out.push_str(&format!("  [{}]", vars.join(", ")));
        }
    }
    if let Some(v) = &s.return_value {
        out.push_str(&format!("  -> {}", short(v)));
    }
    if let Some(v) = &s.exception {
        out.push_str(&format!("  !! {} {}", v.ty, v.value.as_deref().unwrap_or("")));
    }
    out.push_str(&format!("  (stdout {})", s.stdout_len));
    out
}

/// A one-line rendering for the terminal.
fn short(v: &Value) -> String {
    let more = |shown: usize| match v.len {
        Some(n) if n as usize > shown => ", ...".to_string(),
        _ => String::new(),
    };
    if let Some(items) = &v.items {
        let parts: Vec<String> = items.iter().map(short).collect();
        return format!("[{}{}]", parts.join(", "), more(items.len()));
    }
    if let Some(entries) = &v.entries {
        let parts: Vec<String> = entries.iter().map(|e| format!("{}: {}", short(&e.key), short(&e.value))).collect();
        return format!("{{{}{}}}", parts.join(", "), more(entries.len()));
    }
    if let Some(fields) = &v.fields {
        let parts: Vec<String> = fields.iter().map(|f| format!("{}={}", f.name, short(&f.value))).collect();
        return format!("{}({}{})", v.ty, parts.join(", "), more(fields.len()));
    }
    let mut text = v.value.clone().unwrap_or_default();
    if text.chars().count() > 40 {
        text = text.chars().take(40).collect::<String>() + "…";
    }
    let quoted = matches!(v.ty.as_str(), "str" | "string" | "String") || v.ty.contains("basic_string");
    if quoted {
        format!("{text:?}")
    } else {
        text
    }
}
