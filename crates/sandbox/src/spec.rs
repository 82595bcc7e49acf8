//! What a caller asks of a box ([`RunSpec`], [`Limits`]) and what it gets back
//! ([`RunResult`], [`Status`]).
//!
//! These types cross the process boundary between the library and the helper,
//! so they are plain serde data. A verdict is data: a time limit, a memory
//! limit or a crash is a [`Status`], never an `Err`; `Err` means the sandbox
//! itself failed.

use serde::{Deserialize, Serialize};

/// Resource limits for one run. Every field has a finite default: a box is
/// never unlimited by accident.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Limits {
    /// CPU time of all the box's processes together, in seconds.
    pub cpu_time: f64,
    /// Wall-clock time from start to the main process's exit, in seconds.
    pub wall_time: f64,
    /// Memory of all the box's processes together (cgroup), in KiB.
    pub memory_kb: u64,
    /// Stack size of each process (RLIMIT_STACK), in KiB.
    pub stack_kb: u64,
    /// Processes and threads alive at once (pids cgroup and RLIMIT_NPROC).
    pub processes: u64,
    /// Largest file a process may write (RLIMIT_FSIZE), in KiB.
    pub file_size_kb: u64,
    /// Open file descriptors per process (RLIMIT_NOFILE).
    pub open_files: u64,
    /// stdout and stderr together; the run is stopped once it writes more, in KiB.
    pub output_kb: u64,
    /// Address space per process (RLIMIT_AS), in KiB; `None` leaves it
    /// unlimited, since the JVM and Node reserve far more than they use.
    pub address_space_kb: Option<u64>,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            cpu_time: 5.0,
            wall_time: 10.0,
            memory_kb: 256 * 1024,
            stack_kb: 64 * 1024,
            processes: 64,
            file_size_kb: 64 * 1024,
            open_files: 256,
            output_kb: 64 * 1024,
            address_space_kb: None,
        }
    }
}

impl Limits {
    /// Checks that every number is usable: finite, positive, not absurd.
    pub fn validate(&self) -> Result<(), String> {
        for (name, v) in [("cpu_time", self.cpu_time), ("wall_time", self.wall_time)] {
            if !v.is_finite() || v <= 0.0 || v > 24.0 * 3600.0 {
                return Err(format!("{name} must be a number of seconds in (0, 86400], got {v}"));
            }
        }
        for (name, v) in [
            ("memory_kb", self.memory_kb),
            ("stack_kb", self.stack_kb),
            ("processes", self.processes),
            ("file_size_kb", self.file_size_kb),
            ("open_files", self.open_files),
            ("output_kb", self.output_kb),
        ] {
            if v == 0 {
                return Err(format!("{name} must be positive"));
            }
        }
        if self.memory_kb < 1024 {
            return Err("memory_kb must be at least 1024".into());
        }
        Ok(())
    }
}

/// A file put into the box before the run, or named to be taken out after it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BoxFile {
    /// Path relative to the box's working directory (`/box`); no `..`, not absolute.
    pub path: String,
    /// Unix permission bits, e.g. 0o644 or 0o755 for an executable.
    pub mode: u32,
    /// The file's bytes.
    #[serde(skip)]
    pub data: Vec<u8>,
}

/// A host file shown read-only at a path of the box: bound (a mount of the
/// host's file), never copied, so a large artifact costs the box no memory
/// and the library no bytes. The program reads and executes it; writing to
/// it fails with EROFS and deleting or renaming it with EBUSY. Its mode and
/// owner are the host file's (keep it readable by others); the mount is
/// nosuid and nodev. It goes away with the box's `/box` after the run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Bind {
    /// Path relative to `/box`, as for [`BoxFile::path`]; must not also be a file's.
    pub path: String,
    /// The host file (a regular file; opened by the library, not the helper).
    pub source: std::path::PathBuf,
}

/// A file collected into [`RunSpec::collect_into`]: its bytes are on the
/// host's disk, never in a frame.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredFile {
    /// Its path in the box, relative to `/box`.
    pub path: String,
    /// Its Unix permission bits in the box (the stored file itself is 0600).
    pub mode: u32,
    /// Its size, bytes (holes of a sparse file included, as zeros).
    pub size: u64,
    /// Its name in the `collect_into` directory (a plain file name).
    pub name: String,
}

/// Where the program's stdin comes from.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub enum Stdin {
    /// `/dev/null`.
    #[default]
    Null,
    /// These bytes (sent to the helper in their own frame and served from a memfd).
    Bytes(#[serde(skip)] Vec<u8>),
    /// A file inside the box (relative to `/box`), e.g. one put there with `files`.
    BoxPath(String),
    /// A pipe fed while the program runs: see [`crate::Pool::run_live`]. Through
    /// [`crate::Pool::run`] it is closed at once (the program reads EOF).
    Live,
}

/// One execution request.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct RunSpec {
    /// Program and arguments; `argv[0]` is resolved against `PATH` in the box when it has no `/`.
    pub argv: Vec<String>,
    /// Environment, exactly (nothing is inherited from Flash).
    pub env: Vec<(String, String)>,
    /// Working directory inside the box; default `/box`.
    pub cwd: Option<String>,
    /// Limits for this run.
    pub limits: Limits,
    /// stdin source.
    pub stdin: Stdin,
    /// Files written into the box before the run.
    pub files: Vec<BoxFile>,
    /// Host files bound read-only into the box before the run (see [`Bind`]).
    #[serde(default)]
    pub binds: Vec<Bind>,
    /// Box-relative paths copied out after the run (missing ones are skipped);
    /// `*.ext` takes every top-level file with that extension, and
    /// [`COLLECT_ALL`] every regular file under /box (a session's workspace).
    pub collect: Vec<String>,
    /// Largest file collected, KiB, by its apparent size (a sparse file
    /// counts whole: it is read and staged whole); 0: the box's size. Larger
    /// ones are not collected and are named in [`Measurement::collect_refused`].
    #[serde(default)]
    pub collect_max_kb: u64,
    /// A host directory (existing, empty, the caller's): collected files are
    /// written there by the helper, one file each, and told in
    /// [`Measurement::stored`], instead of coming back as bytes in
    /// [`RunResult::files`]. For compile artifacts: no byte of them crosses
    /// the helper's socket or sits in the caller's memory.
    #[serde(default)]
    pub collect_into: Option<std::path::PathBuf>,
    /// Send stderr into the same pipe as stdout (interleaved as written).
    pub merge_stderr: bool,
    /// Use the debugger's seccomp profile (ptrace allowed inside the box).
    pub debugger: bool,
    /// Set by [`crate::Pool::run_piped`] only: stdin and stdout are
    /// descriptors sent with the request, not bytes and a capture.
    #[serde(default)]
    pub stdio_fds: bool,
    /// Hosts the program may reach through the proxy on the box's loopback
    /// (see [`crate::proxy`]); empty: no network at all, the default.
    #[serde(default)]
    pub network: Vec<String>,
    /// Run the box's processes on this CPU only (when the host lets the
    /// helper use it; otherwise anywhere). Two programs that take turns, as
    /// an interactive solution and its interactor do, wake each other several
    /// times faster on one CPU than across two.
    #[serde(default)]
    pub cpu: Option<u32>,
    /// A file only the program's own process holds: made unnamed in the box
    /// (`O_TMPFILE`, owned by the box's user), given to the program as
    /// descriptor [`PRIVATE_OUTPUT_FD`], and returned after the run in
    /// [`RunResult::files`] under this name (cut at `collect_max_kb`). No path
    /// in the box leads to it: another process of the box reaches it only
    /// through a descriptor it inherited, or through `/proc/<pid>/fd` of a
    /// process that holds one, which the kernel refuses for a non-dumpable
    /// process. The debugger's tracers write their traces here, close it on
    /// exec, and (gdb, the JVM) make themselves non-dumpable, so the traced
    /// program cannot write into the trace.
    #[serde(default)]
    pub private_output: Option<String>,
    /// Record where the run's time goes, phase by phase, in
    /// [`Measurement::phases`] (`flash bench sandbox --phases`).
    #[serde(default)]
    pub phases: bool,
    /// Ends the run early when fired (the job it belongs to is not wanted any
    /// more): see [`Cancel`]. Not part of the helper's request.
    #[serde(skip)]
    pub cancel: Option<Cancel>,
}

/// A cancellation token for runs: clones share one flag. Firing it ends
/// every run that carries it (the box is killed and its slot rebuilt; the
/// run answers [`crate::Error::Cancelled`]) and makes later runs that carry
/// it answer the same without starting. Firing is idempotent and cheap: a
/// run in progress registers what ends it ([`Cancel::on_cancel`]), which
/// the firing thread calls at once; no thread waits for the token.
#[derive(Clone, Default)]
pub struct Cancel(std::sync::Arc<std::sync::Mutex<Hooks>>);

/// A token's state: fired, or the hooks to call when it fires.
#[derive(Default)]
struct Hooks {
    fired: bool,
    next: u64,
    waiting: Vec<(u64, Box<dyn FnOnce() + Send>)>,
}

/// A hook registered by [`Cancel::on_cancel`].
#[derive(Clone, Copy)]
pub(crate) struct HookId(u64);

impl std::fmt::Debug for Cancel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Cancel").field("fired", &self.is_cancelled()).finish()
    }
}

impl Cancel {
    /// A token that has not fired.
    pub fn new() -> Cancel {
        Cancel::default()
    }

    fn hooks(&self) -> std::sync::MutexGuard<'_, Hooks> {
        self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Fires the token: runs carrying it end (their hooks are called here).
    pub fn cancel(&self) {
        let waiting = {
            let mut h = self.hooks();
            h.fired = true;
            std::mem::take(&mut h.waiting)
        };
        for (_, hook) in waiting {
            hook();
        }
    }

    /// Whether it fired.
    pub fn is_cancelled(&self) -> bool {
        self.hooks().fired
    }

    /// Registers `hook`, called once when the token fires; `None` (and
    /// `hook` dropped) when it has fired already.
    pub(crate) fn on_cancel(&self, hook: impl FnOnce() + Send + 'static) -> Option<HookId> {
        let mut h = self.hooks();
        if h.fired {
            return None;
        }
        h.next += 1;
        let id = h.next;
        h.waiting.push((id, Box::new(hook)));
        Some(HookId(id))
    }

    /// Takes a hook back: `true` if it was never called, `false` if the
    /// token fired first (the hook ran, or is running).
    pub(crate) fn remove(&self, id: HookId) -> bool {
        let mut h = self.hooks();
        let before = h.waiting.len();
        h.waiting.retain(|(i, _)| *i != id.0);
        h.waiting.len() < before
    }
}

/// The same token (clones of one another).
impl PartialEq for Cancel {
    fn eq(&self, other: &Cancel) -> bool {
        std::sync::Arc::ptr_eq(&self.0, &other.0)
    }
}

/// The descriptor of [`RunSpec::private_output`] in the program.
pub const PRIVATE_OUTPUT_FD: i32 = 4;

/// Why a run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Exited with code 0.
    Ok,
    /// Exited with a non-zero code.
    RuntimeError,
    /// Killed by a signal that no limit explains.
    Signaled,
    /// Used more CPU time than allowed.
    TimeLimit,
    /// Ran longer than the wall-time limit.
    WallTimeLimit,
    /// Hit the memory limit (the OOM killer acted in the box's cgroup).
    MemoryLimit,
    /// Wrote more than the output limit.
    OutputLimit,
    /// Tried to write a file larger than the file size limit (SIGXFSZ).
    FileSizeLimit,
    /// The program could not be started (exec failed), e.g. not found or bad format.
    ExecFailed,
    /// The sandbox failed; see `message`.
    InternalError,
}

impl Status {
    /// Short human description.
    pub fn describe(self) -> &'static str {
        match self {
            Status::Ok => "ok",
            Status::RuntimeError => "runtime error (non-zero exit code)",
            Status::Signaled => "killed by a signal",
            Status::TimeLimit => "CPU time limit exceeded",
            Status::WallTimeLimit => "wall time limit exceeded",
            Status::MemoryLimit => "memory limit exceeded",
            Status::OutputLimit => "output limit exceeded",
            Status::FileSizeLimit => "file size limit exceeded",
            Status::ExecFailed => "could not execute the program",
            Status::InternalError => "internal sandbox error",
        }
    }
}

/// What the helper measured. Output and collected files travel separately.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Measurement {
    /// Why the run ended.
    pub status: Status,
    /// Exit code of the main process when it exited normally.
    pub exit_code: Option<i32>,
    /// Signal that killed the main process, if any.
    pub signal: Option<i32>,
    /// CPU seconds of all the box's processes (cgroup accounting).
    pub cpu_time: f64,
    /// Wall seconds from start to the main process's exit (or its kill).
    pub wall_time: f64,
    /// Peak memory of the box's processes during this run, in KiB.
    pub memory_kb: u64,
    /// Whether the cgroup memory limit was reached at any point (evidence
    /// for a `bad_alloc`/`OutOfMemoryError` that ended in a normal exit code).
    pub memory_limit_hit: bool,
    /// Explanation for limits and internal errors.
    pub message: Option<String>,
    /// errno of a failed execve.
    pub exec_errno: Option<i32>,
    /// Memory still charged to the slot's cgroup once the run is over and
    /// /box and /tmp are gone, KiB: mostly page cache of files the run read
    /// first. The pool renews a slot whose leftover grows too large, since
    /// the next run's memory limit is set on top of it.
    #[serde(default)]
    pub slot_leftover_kb: u64,
    /// When the program ended, in seconds of CLOCK_MONOTONIC (shared by every
    /// process of the host): which of two runs side by side ended first.
    #[serde(default)]
    pub ended_monotonic: f64,
    /// A run whose stdin was a pipe from another box (`stdio_fds`): when the
    /// program ended, nothing held that pipe's write end any more. Which
    /// side of a dialogue ended first, told without clocks: the other side
    /// had ended (or closed its output) before this program's end was seen.
    #[serde(default)]
    pub stdin_hung_up: bool,
    /// Files `collect` named that were larger than the collect limit, with
    /// their apparent sizes in bytes (not collected).
    #[serde(default)]
    pub collect_refused: Vec<(String, u64)>,
    /// With [`RunSpec::collect_into`]: the files collected there.
    #[serde(default)]
    pub stored: Vec<StoredFile>,
    /// With [`RunSpec::phases`]: (phase, microseconds), in order, from the
    /// helper's start of the run to its box's reset. Empty when the run did
    /// not end by itself (a limit, an error).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub phases: Vec<(String, f64)>,
}

impl Measurement {
    /// A measurement with this status and nothing measured yet.
    pub fn new(status: Status) -> Measurement {
        Measurement {
            status,
            exit_code: None,
            signal: None,
            cpu_time: 0.0,
            wall_time: 0.0,
            memory_kb: 0,
            memory_limit_hit: false,
            message: None,
            exec_errno: None,
            slot_leftover_kb: 0,
            ended_monotonic: 0.0,
            stdin_hung_up: false,
            collect_refused: Vec::new(),
            stored: Vec::new(),
            phases: Vec::new(),
        }
    }
}

/// The full outcome of a run as the library returns it.
#[derive(Debug, Clone, PartialEq)]
pub struct RunResult {
    /// Measurements and verdict.
    pub meas: Measurement,
    /// Captured stdout (cut at the output limit).
    pub stdout: Vec<u8>,
    /// Captured stderr (cut at the output limit).
    pub stderr: Vec<u8>,
    /// Files collected from the box after the run.
    pub files: Vec<BoxFile>,
    /// The order stdout and stderr came in, as the helper read them: runs of
    /// bytes, positive for stdout and negative for stderr (see [`interleave`]).
    /// At most [`INTERLEAVE_MAX`] runs; what comes after is in stream order.
    pub interleave: Vec<i64>,
}

/// Most runs kept in [`RunResult::interleave`] (a program alternating
/// one-byte writes would otherwise cost 8 bytes per byte of output).
pub const INTERLEAVE_MAX: usize = 1 << 16;

/// Adds `n` bytes of stdout (or stderr) to an interleave record.
pub fn record_interleave(order: &mut Vec<i64>, stderr: bool, n: usize) {
    let n = if stderr { -(n as i64) } else { n as i64 };
    if n == 0 {
        return;
    }
    let same = order.last().is_some_and(|l| (*l < 0) == (n < 0));
    if !same && order.len() < INTERLEAVE_MAX {
        order.push(n);
    } else if let Some(last) = order.iter_mut().rev().find(|l| (**l < 0) == (n < 0)) {
        // The last run of its own stream (when full, the rest counts there).
        *last += n;
    }
}

#[cfg(test)]
mod interleave_tests {
    use super::*;

    #[test]
    fn runs_merge_and_replay_in_order() {
        let mut order = Vec::new();
        for (err, n) in [(false, 2), (false, 1), (true, 2), (false, 1), (true, 0)] {
            record_interleave(&mut order, err, n);
        }
        assert_eq!(order, [3, -2, 1]);
        assert_eq!(interleave(b"abcd", b"XY", &order), b"abcXYd");
        // Bytes the record does not cover follow, stdout first.
        assert_eq!(interleave(b"abcdef", b"XYZ", &order), b"abcXYdefZ");
        assert_eq!(interleave(b"ab", b"", &[]), b"ab");
    }

    #[test]
    fn a_full_record_still_counts_every_byte() {
        let mut order = Vec::new();
        for i in 0..INTERLEAVE_MAX + 10 {
            record_interleave(&mut order, i % 2 == 1, 1);
        }
        assert_eq!(order.len(), INTERLEAVE_MAX);
        let total: i64 = order.iter().map(|n| n.abs()).sum();
        assert_eq!(total as usize, INTERLEAVE_MAX + 10);
    }
}

/// stdout and stderr merged in the order of `order` (from
/// [`RunResult::interleave`]); bytes the record does not cover follow, stdout first.
pub fn interleave(stdout: &[u8], stderr: &[u8], order: &[i64]) -> Vec<u8> {
    let mut out = Vec::with_capacity(stdout.len() + stderr.len());
    let (mut o, mut e) = (0usize, 0usize);
    for &n in order {
        let (src, at) = if n < 0 { (stderr, &mut e) } else { (stdout, &mut o) };
        let end = (*at + n.unsigned_abs() as usize).min(src.len());
        out.extend_from_slice(&src[*at..end]);
        *at = end;
    }
    out.extend_from_slice(&stdout[o..]);
    out.extend_from_slice(&stderr[e..]);
    out
}

/// The `collect` pattern for every regular file under /box, at any depth
/// (symlinks and other special files are left out).
pub const COLLECT_ALL: &str = "**";

/// Most files [`COLLECT_ALL`] takes (a run that made more is told by the
/// caller's own file-count limit, which is lower).
pub const COLLECT_ALL_MAX: usize = 10_000;

/// The longest name one path component may have on a Linux filesystem, bytes.
pub const NAME_MAX: usize = 255;

/// A path of `paths` that is also the directory of another (`a` and `a/b`:
/// no filesystem holds both), as (the directory, the path below it).
pub fn file_and_directory<'a>(paths: &[&'a str]) -> Option<(&'a str, &'a str)> {
    let all: std::collections::HashSet<&str> = paths.iter().map(|p| p.trim_end_matches('/')).collect();
    paths.iter().find_map(|&p| {
        let mut prefix = p.trim_end_matches('/');
        while let Some((dir, _)) = prefix.rsplit_once('/') {
            if all.contains(dir) {
                return Some((dir, p));
            }
            prefix = dir;
        }
        None
    })
}

/// Checks a box-relative path: not empty, not absolute, no `..`, no NUL.
pub fn check_box_path(p: &str) -> Result<(), String> {
    if p.is_empty() || p.starts_with('/') || p.contains('\0') {
        return Err(format!("invalid box path {p:?}: must be relative and non-empty"));
    }
    if p.split('/').any(|c| c == "..") {
        return Err(format!("invalid box path {p:?}: '..' is not allowed"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::Cancel;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;

    /// A hook runs once, in the firing thread; one taken back never runs;
    /// none is kept once the token has fired.
    #[test]
    fn a_cancel_hook_runs_once_when_fired_and_not_once_removed() {
        let c = Cancel::new();
        let calls = Arc::new(AtomicUsize::new(0));
        let hook = |n: &Arc<AtomicUsize>| {
            let n = n.clone();
            move || {
                n.fetch_add(1, Ordering::SeqCst);
            }
        };
        let removed = c.on_cancel(hook(&calls)).unwrap();
        assert!(c.remove(removed), "taken back before the token fired");
        let kept = c.on_cancel(hook(&calls)).unwrap();
        let other = c.clone();
        std::thread::spawn(move || other.cancel()).join().unwrap();
        assert_eq!(calls.load(Ordering::SeqCst), 1, "the kept hook ran, the removed one did not");
        assert!(!c.remove(kept), "a hook that ran cannot be taken back");
        c.cancel();
        assert_eq!(calls.load(Ordering::SeqCst), 1, "firing again calls nothing");
        assert!(c.on_cancel(hook(&calls)).is_none() && c.is_cancelled());
        assert_eq!(calls.load(Ordering::SeqCst), 1);
    }

    use super::*;

    #[test]
    fn default_limits_are_valid() {
        Limits::default().validate().unwrap();
    }

    #[test]
    fn nan_and_negative_limits_are_refused() {
        let l = Limits { cpu_time: f64::NAN, ..Limits::default() };
        assert!(l.validate().unwrap_err().contains("cpu_time"));
        let l = Limits { wall_time: -1.0, ..Limits::default() };
        assert!(l.validate().unwrap_err().contains("wall_time"));
        let l = Limits { processes: 0, ..Limits::default() };
        assert!(l.validate().unwrap_err().contains("processes"));
    }

    #[test]
    fn box_paths_cannot_escape() {
        assert!(check_box_path("a/b.txt").is_ok());
        assert!(check_box_path("/etc/passwd").is_err());
        assert!(check_box_path("a/../../x").is_err());
        assert!(check_box_path("").is_err());
    }
}
