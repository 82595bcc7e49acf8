//! Flash's isolator: runs an untrusted command in a box and measures it.
//!
//! Layout:
//! - [`spec`]: what a caller asks ([`RunSpec`], [`Limits`]) and gets ([`RunResult`]).
//! - [`sandbox`]: the [`Sandbox`] trait, what the engine needs from an isolator;
//!   `testing` (feature `testing`): a scripted fake of it for tests without root.
//! - [`pool`]: the library side, a [`Pool`] of prepared slots, the real [`Sandbox`].
//! - [`helper`]: the hidden `flash __sandbox-helper` process that builds one
//!   slot's box and forks every run in it (single-threaded, no tokio).
//! - [`config`]: the box's view of the host (policy as data).
//! - [`protocol`]: frames between the two.
//! - `sys`: checked wrappers over raw syscalls.
//!
//! How a run is isolated: the helper built, once, a mount namespace whose root
//! is a tmpfs with read-only binds of the host toolchains, a network namespace
//! with only loopback, and joined the slot's cgroup. Each run is a `clone` into
//! fresh pid, mount, ipc, uts and cgroup namespaces; pid 1 there mounts /proc and
//! forks the program, which sets its rlimits, drops to an unprivileged uid with
//! no capabilities, sets no_new_privs, installs the seccomp filter and execs.
//! When the program exits or a limit is hit, pid 1 dies and the kernel kills
//! everything else in the namespace; /box and /tmp are then replaced by empty
//! tmpfs mounts.

pub mod config;
mod error;
pub mod helper;
pub mod pool;
pub mod protocol;
pub mod proxy;
pub mod sandbox;
pub mod spec;
mod sys;
#[cfg(feature = "testing")]
pub mod testing;

pub use config::{default_mounts, Link, Mount, SlotConfig};
pub use error::Error;
pub use flash_cgroup::MemoryMethod;
pub use pool::{CgroupReport, LiveInput, Pool, PoolConfig, Stream, BOX_FLASH};
pub use sandbox::Sandbox;
pub use spec::{interleave, Bind, BoxFile, Cancel, Limits, Measurement, RunResult, RunSpec, Status, Stdin, StoredFile};

/// The default environment for a program in the box.
pub fn default_env() -> Vec<(String, String)> {
    [
        ("PATH", "/usr/local/bin:/usr/bin:/bin"),
        ("HOME", "/box"),
        ("TMPDIR", "/tmp"),
        ("LANG", "C.UTF-8"),
        ("LC_ALL", "C.UTF-8"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect()
}

/// `flash __seccomp-exec PROG [ARGS]`: installs the default (strict) seccomp
/// profile on itself and execs the program. A debugger inside a box runs with
/// the debugger profile (ptrace allowed for the tracer); it starts the traced
/// program through this so the program itself cannot ptrace. Returns only on
/// failure, with the exit code to use.
pub fn seccomp_exec(argv: &[String]) -> i32 {
    let Some(prog) = argv.first() else {
        eprintln!("flash __seccomp-exec: no program given");
        return 127;
    };
    let program = flash_seccomp::Policy::shipped().and_then(|p| p.compile(flash_seccomp::Profile::Default));
    let program = match program {
        Ok(p) => p,
        Err(e) => {
            eprintln!("flash __seccomp-exec: {e}");
            return 127;
        }
    };
    if let Err(e) = program.install() {
        eprintln!("flash __seccomp-exec: cannot install the seccomp filter: {e}");
        return 127;
    }
    let err = std::os::unix::process::CommandExt::exec(std::process::Command::new(prog).args(&argv[1..]));
    eprintln!("flash __seccomp-exec: {prog}: {err}");
    127
}
