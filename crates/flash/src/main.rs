//! The `flash` binary: one executable, many roles.
//!
//! - `flash run`: one sandboxed command from the shell (like `isolate --run`).
//! - `flash check`: what this host supports, and whether a safe box can be built.
//! - `flash exec FILE`: judge one source file through the engine.
//! - `flash debug FILE`: a step-by-step trace of one source file.
//! - `flash bench sandbox`: the sandbox's per-run overhead against plain exec.
//! - `flash serve`: the HTTP APIs with workers (embedded store, or `--redis`);
//!   `flash server` / `flash worker`: the same split over Redis (HTTP only / jobs only).
//! - `flash __sandbox-helper`: hidden; a slot's helper process (see `flash_sandbox::helper`).
//! - `flash __seccomp-exec PROG`: hidden; used inside a box by the debugger (see `flash_sandbox::seccomp_exec`).

mod bench;
mod bench_batch;
mod bench_debug;
mod bench_engine;
mod bench_http;
mod bench_interactive;
mod bench_redis;
mod bench_workloads;
mod check;
mod debug;
mod exec;
mod judge_cmd;
mod limit_args;
mod mcp;
mod plot;
mod run;
mod serve;
mod server_role;
mod worker_role;

use clap::{Parser, Subcommand};

/// Flash: fast, safe execution of untrusted code.
#[derive(Parser)]
#[command(name = "flash", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run one command in a sandbox and report what it used.
    Run(Box<run::RunArgs>),
    /// Report what this host supports; exit non-zero if a safe sandbox cannot be built.
    Check(check::CheckArgs),
    /// Compile and run one source file through the engine (language from the extension).
    Exec(Box<exec::ExecArgs>),
    /// Judge a solution on an ICPC/Kattis problem package (or every one of its submissions/).
    Judge(Box<judge_cmd::JudgeArgs>),
    /// Record a step-by-step trace of one source file (Python, C, C++, JavaScript, Java).
    Debug(Box<debug::DebugArgs>),
    /// Benchmarks.
    Bench(bench::BenchArgs),
    /// Serve the native and Judge0-compatible HTTP APIs, with workers and an embedded queue.
    Serve(Box<serve::ServeArgs>),
    /// Serve the HTTP APIs only, over Redis (stateless; run any number behind a load balancer).
    Server(Box<server_role::ServerArgs>),
    /// Judge jobs from Redis, N at a time, with no HTTP (run one per machine).
    Worker(Box<worker_role::WorkerArgs>),
    /// Serve the tools of a Model Context Protocol server (stdio or --http), for LLM agents.
    Mcp(Box<mcp::McpArgs>),
}

fn main() {
    // The helper must start before anything else runs (and before any thread
    // exists): it forks untrusted code and must stay single-threaded.
    let args: Vec<String> = std::env::args().collect();
    if args.get(1).map(String::as_str) == Some("__sandbox-helper") {
        let code = flash_sandbox::helper::main();
        std::process::exit(code);
    }
    if args.get(1).map(String::as_str) == Some("__seccomp-exec") {
        std::process::exit(flash_sandbox::seccomp_exec(&args[2..]));
    }
    let cli = Cli::parse();
    if matches!(
        cli.command,
        Command::Run(_)
            | Command::Exec(_)
            | Command::Judge(_)
            | Command::Check(_)
            | Command::Debug(_)
            | Command::Bench(_)
    ) {
        default_sigpipe();
    }
    let result = match cli.command {
        Command::Run(a) => run::main(*a),
        Command::Check(a) => check::main(a),
        Command::Exec(a) => exec::main(*a),
        Command::Judge(a) => judge_cmd::main(*a),
        Command::Debug(a) => debug::main(*a),
        Command::Bench(a) => bench::main(a),
        Command::Serve(a) => serve::main(*a),
        Command::Server(a) => server_role::main(*a),
        Command::Worker(a) => worker_role::main(*a),
        Command::Mcp(a) => mcp::main(*a),
    };
    match result {
        Ok(code) => std::process::exit(code),
        Err(e) => {
            eprintln!("flash: error: {e:#}");
            std::process::exit(2);
        }
    }
}

/// Shell commands die quietly when their reader goes away (`flash exec x | head`),
/// as Unix tools do; Rust ignores SIGPIPE by default and would panic instead.
fn default_sigpipe() {
    // SAFETY: resetting a signal disposition to its default has no preconditions.
    unsafe { libc::signal(libc::SIGPIPE, libc::SIG_DFL) };
}
