//! Shared set-up of the debugger's root tests: the root check, the `flash`
//! binary the sandbox needs as its helper, and a [`Rig`]: a pool and an
//! engine over it (the debugger compiles through the engine).
//!
//! The sandbox re-executes the `flash` binary as each slot's helper and binds
//! it into every box (the gdb backend starts programs through its
//! `__seccomp-exec`). A test of this crate has no `CARGO_BIN_EXE_flash` (the
//! binary belongs to another package), so [`flash_binary`] finds it next to
//! the test executable (`target/<profile>/deps/x` -> `target/<profile>/flash`).
//! When it is missing, or older than the test executable (sources changed
//! since it was built: a stale helper could speak an older protocol), it runs
//! `cargo build -p flash` with the same profile and target directory, once
//! per test process (a `OnceLock`). If that build fails but a binary exists,
//! the binary is used with a warning.

#![allow(dead_code)]

use flash_debugger::{DebugLimits, DebugRequest, Trace};
use flash_engine::{Engine, EngineConfig};
use flash_sandbox::{Pool, PoolConfig};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::sync::OnceLock;

/// Fails unless root. The tests that call it are `#[ignore]`d, so a run without
/// root lists them as skipped; scripts/test.sh (as root) runs them all.
pub use flash_testkit::require_root;

/// The `flash` binary of this build profile, built if needed (see the module docs).
pub fn flash_binary() -> &'static Path {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(|| {
        let exe = std::env::current_exe().expect("current_exe");
        let profile_dir = exe.parent().and_then(Path::parent).expect("the test binary lives in target/<profile>/deps");
        let bin = profile_dir.join("flash");
        let modified = |p: &Path| std::fs::metadata(p).and_then(|m| m.modified()).ok();
        if matches!((modified(&bin), modified(&exe)), (Some(b), Some(t)) if b >= t) {
            return bin;
        }
        let profile = profile_dir.file_name().and_then(|n| n.to_str()).unwrap_or("debug");
        let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
        let mut cmd = Command::new(cargo);
        cmd.args(["build", "--quiet", "-p", "flash", "--bin", "flash"]);
        match profile {
            "debug" => {}
            "release" => {
                cmd.arg("--release");
            }
            other => {
                cmd.args(["--profile", other]);
            }
        }
        if let Some(target) = profile_dir.parent() {
            cmd.env("CARGO_TARGET_DIR", target);
        }
        cmd.current_dir(env!("CARGO_MANIFEST_DIR"));
        match cmd.status() {
            Ok(s) if s.success() => {}
            other if bin.exists() => {
                eprintln!("warning: `cargo build -p flash` failed ({other:?}); using the existing {}", bin.display());
            }
            other => panic!("cannot build the flash binary ({other:?}) and {} does not exist", bin.display()),
        }
        bin
    })
}

/// A pool of boxes and an engine over it, with a compile cache of its own.
pub struct Rig {
    /// The real sandbox.
    pub pool: Arc<Pool>,
    /// The engine the debugger compiles and runs through.
    pub engine: Engine,
    /// The engine's compile cache, removed with the rig.
    _cache: tempfile::TempDir,
}

/// A pool of `slots` boxes with the `flash` helper, and an engine over it.
pub fn pool(slots: usize) -> Rig {
    let mut cfg = PoolConfig::new(slots).expect("pool config");
    cfg.helper_exe = flash_binary().to_path_buf();
    let pool = Arc::new(Pool::new(cfg).expect("building the pool"));
    let cache = tempfile::tempdir().expect("a cache directory");
    let engine = Engine::new(pool.clone(), registry().clone(), EngineConfig::new(cache.path().join("cache")))
        .expect("building the engine");
    Rig { pool, engine, _cache: cache }
}

/// The registry of this host's languages.
pub fn registry() -> &'static flash_engine::Registry {
    static REG: OnceLock<flash_engine::Registry> = OnceLock::new();
    REG.get_or_init(|| flash_engine::Registry::load(None).expect("registry"))
}

/// Traces `code` with default limits (and `max_steps` if given).
pub fn trace(rig: &Rig, language: &str, code: &str, input: &str, max_steps: Option<u32>) -> Trace {
    let req =
        DebugRequest { code: code.into(), language: language.into(), input: input.into(), max_steps, cancel: None };
    let t = flash_debugger::debug(&rig.engine, &req, &DebugLimits::default()).expect("the request is valid");
    eprintln!(
        "{language}: {:?} {:?} exit {:?}, {} steps\nstdout: {}\nstderr: {}\ncompile: {}",
        t.status,
        t.message,
        t.exit,
        t.steps.len(),
        t.stdout,
        t.stderr,
        t.compile_output
    );
    t
}

/// The lines of the steps with `event`, in order.
pub fn lines_of(t: &Trace, event: flash_debugger::Event) -> Vec<u32> {
    t.steps.iter().filter(|s| s.event == event).map(|s| s.line).collect()
}

/// A local's value (scalar rendering) in the innermost frame of a step.
pub fn local<'a>(step: &'a flash_debugger::Step, name: &str) -> Option<&'a flash_debugger::Value> {
    step.frames.first()?.locals.iter().find(|v| v.name == name).map(|v| &v.value)
}

/// No process on the whole host runs as one of the pool's box uids.
pub fn assert_nothing_left(rig: &Rig) {
    for e in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(status) = std::fs::read_to_string(e.path().join("status")) else {
            continue;
        };
        let Some(uid_line) = status.lines().find(|l| l.starts_with("Uid:")) else {
            continue;
        };
        let uid: u32 = uid_line.split_whitespace().nth(1).unwrap().parse().unwrap();
        assert!(
            !rig.pool.uids().contains(&uid),
            "process {:?} of box uid {uid} is still alive on the host",
            e.file_name()
        );
    }
}

/// Traces with the given limits.
pub fn trace_with(rig: &Rig, language: &str, code: &str, limits: &DebugLimits) -> Trace {
    let req = DebugRequest { code: code.into(), language: language.into(), ..Default::default() };
    let t = flash_debugger::debug(&rig.engine, &req, limits).expect("the request is valid");
    eprintln!(
        "{language}: {:?} {:?} exit {:?}, {} steps\nstdout: {}\nstderr: {}",
        t.status,
        t.message,
        t.exit,
        t.steps.len(),
        t.stdout.chars().take(2000).collect::<String>(),
        t.stderr.chars().take(2000).collect::<String>()
    );
    t
}
