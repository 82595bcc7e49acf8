//! The library side: a pool of prepared slots, each served by one helper process.
//!
//! A slot's box (namespaces, root, cgroup) is built once when its helper starts
//! and is reset after every run, so a run costs a `clone`, an `execve` and the
//! program itself. Callers block in [`Pool::run`] until a slot is free; a slot
//! whose helper fails is rebuilt before it is used again.

use crate::config::{default_mounts, Mount, SlotConfig};
use crate::protocol::{decode_file, read_frame, write_frame, ErrorFrame, Kind};
use crate::spec::{check_box_path, BoxFile, Cancel, Measurement, RunResult, RunSpec, Stdin};
use crate::Error;
use std::os::fd::{AsRawFd, OwnedFd};
use std::os::unix::net::UnixStream;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::sync::{Condvar, Mutex};
use std::time::Duration;

/// Where the `flash` binary is visible (read-only) inside every box.
pub const BOX_FLASH: &str = "/.flash/flash";

/// Most [`RunSpec::binds`] in one run (each is a mount, made and dropped per run).
pub const MAX_BINDS: usize = crate::spec::COLLECT_ALL_MAX;

/// Most descriptors sent in one `Fds` frame (the kernel takes at most 253).
pub(crate) const FDS_PER_FRAME: usize = 128;

/// How a pool is built.
#[derive(Debug, Clone)]
pub struct PoolConfig {
    /// Number of boxes that can run at once.
    pub slots: usize,
    /// The `flash` binary, re-executed as each slot's helper.
    pub helper_exe: PathBuf,
    /// Host paths shown read-only (or read-write) in every box.
    pub mounts: Vec<Mount>,
    /// Links shown under every box's `/usr/local` (none by default).
    pub links: Vec<crate::config::Link>,
    /// Host directory for the helpers' mount points.
    pub scratch: PathBuf,
    /// Size of each box's writable `/box`, KiB.
    pub box_size_kb: u64,
    /// Size of each box's `/tmp`, KiB.
    pub tmp_size_kb: u64,
    /// First uid of this pool's boxes (slot n runs as `uid_base + n`).
    pub uid_base: u32,
    /// Where `/proc` is (tests may point elsewhere for cgroup detection).
    pub proc_root: PathBuf,
    /// A delegated cgroup to put Flash's cgroups under instead of its own
    /// (path inside the hierarchy, e.g. `/flash.service/boxes`); needed on
    /// cgroup v2 when Flash's own cgroup cannot enable controllers for
    /// children. Default: `$FLASH_CGROUP_PARENT`, else the own cgroup.
    pub cgroup_parent: Option<String>,
    /// The operator's word that Flash's own cgroup is Flash's to arrange
    /// (cgroup v2; see [`flash_cgroup::Host::arrange`]). Default:
    /// `$FLASH_CGROUP_DELEGATED` is `1` or `true`.
    pub cgroup_delegated: bool,
    /// Measure memory as if the kernel offered no more than this (tests).
    pub memory_method_ceiling: Option<flash_cgroup::MemoryMethod>,
    /// Lock read-only binds down the way kernels before 5.12 need (tests).
    pub force_remount_fallback: bool,
    /// Renew a slot (new helper, new cgroup) when more than this much memory,
    /// KiB, stays charged to its cgroup after a run. A run's memory limit is
    /// set above that leftover (page cache first read by earlier runs, which
    /// the kernel may reclaim under pressure), so a large leftover would
    /// loosen the limit by as much.
    pub renew_above_kb: u64,
}

impl PoolConfig {
    /// Defaults for `slots` boxes, re-executing the current binary.
    pub fn new(slots: usize) -> Result<PoolConfig, Error> {
        let exe = std::env::current_exe().map_err(Error::io("/proc/self/exe"))?;
        Ok(PoolConfig {
            slots,
            helper_exe: exe,
            mounts: default_mounts(),
            links: Vec::new(),
            scratch: PathBuf::from("/run/flash"),
            box_size_kb: 256 * 1024,
            tmp_size_kb: 64 * 1024,
            uid_base: default_uid_base(),
            proc_root: PathBuf::from("/proc"),
            cgroup_parent: std::env::var("FLASH_CGROUP_PARENT").ok().filter(|p| !p.is_empty()),
            cgroup_delegated: std::env::var("FLASH_CGROUP_DELEGATED").is_ok_and(|v| v == "1" || v == "true"),
            memory_method_ceiling: None,
            force_remount_fallback: false,
            renew_above_kb: 16 * 1024,
        })
    }
}

/// Distinct uids for every pool on the host keep RLIMIT_NPROC (counted per uid,
/// host-wide) from coupling two pools' boxes: 1000 uids per pool, 100 pools per
/// process, keyed by pid (the largest value stays below 2^32 - 1).
fn default_uid_base() -> u32 {
    static NEXT: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    let seq = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed) % 100;
    1_000_000 + (std::process::id() % 40_000) * 100_000 + seq * 1000
}

/// One slot as the library sees it.
struct SlotHandle {
    index: usize,
    /// The uid (and gid) the slot's programs run as.
    uid: u32,
    /// How the slot's runs measure memory.
    memory_method: flash_cgroup::MemoryMethod,
    /// Whether each run gets a cgroup of its own.
    run_cgroups: bool,
    /// Held for its `Drop`, which removes the slot's cgroup (after the helper is gone).
    _cgroup: flash_cgroup::Slot,
    helper: Child,
    sock: UnixStream,
}

/// A free slot: ready, or waiting to be rebuilt after its helper failed.
enum Entry {
    Ready(SlotHandle),
    Broken(usize),
}

/// Where a pool's cgroups live and how it measures, for `flash check` and logs.
#[derive(Debug, Clone)]
pub struct CgroupReport {
    /// cgroup v1 or v2.
    pub version: flash_cgroup::Version,
    /// The directory (per hierarchy) Flash's `flash-<pid>-<n>` cgroups are in.
    pub parents: Vec<PathBuf>,
    /// What Flash did to make that parent usable.
    pub arranged: flash_cgroup::Arranged,
    /// How a run's peak memory is measured.
    pub memory_method: flash_cgroup::MemoryMethod,
    /// Every run gets a fresh cgroup of its own (cgroup v2 before 6.12).
    pub run_cgroups: bool,
    /// Read-only cgroup mounts Flash made writable (`cgroup_delegated`).
    pub remounted: Vec<PathBuf>,
}

/// A pool of prepared boxes.
pub struct Pool {
    cfg: PoolConfig,
    report: CgroupReport,
    root: flash_cgroup::FlashRoot,
    free: Mutex<Vec<Entry>>,
    ready: Condvar,
    renewals: std::sync::atomic::AtomicU64,
}

impl Pool {
    /// Detects cgroups, creates Flash's cgroups and starts every slot's helper.
    pub fn new(cfg: PoolConfig) -> Result<Pool, Error> {
        if cfg.slots == 0 || cfg.slots > 1000 {
            return Err(Error::Request(format!("slots must be in 1..=1000, got {}", cfg.slots)));
        }
        if cfg.uid_base < 1000 || cfg.uid_base.checked_add(cfg.slots as u32).is_none() {
            return Err(Error::Request(format!("uid_base {} is not an unprivileged uid range", cfg.uid_base)));
        }
        let unsupported = |e: flash_cgroup::Error| Error::Unsupported(e.to_string());
        let mut host = flash_cgroup::detect(&cfg.proc_root).map_err(unsupported)?;
        if let Some(parent) = &cfg.cgroup_parent {
            host = host.with_parent(parent).map_err(unsupported)?;
        }
        let arranged = host.arrange(cfg.cgroup_delegated).map_err(unsupported)?;
        let root = host.create_root(&cfg.proc_root).map_err(|e| Error::Cgroup(e.to_string()))?;
        std::fs::create_dir_all(&cfg.scratch).map_err(Error::io(&cfg.scratch))?;
        let mut parents: Vec<PathBuf> = Vec::new();
        for (_, d) in host.own_cgroups() {
            if !parents.contains(&d) {
                parents.push(d);
            }
        }
        let report = CgroupReport {
            version: host.version(),
            parents,
            arranged,
            memory_method: flash_cgroup::MemoryMethod::ResettablePeak,
            run_cgroups: false,
            remounted: host.remounted().to_vec(),
        };
        let mut pool = Pool {
            cfg,
            report,
            root,
            free: Mutex::new(Vec::new()),
            ready: Condvar::new(),
            renewals: Default::default(),
        };
        let mut slots = Vec::new();
        for i in 0..pool.cfg.slots {
            let handle = pool.spawn(i)?;
            if i == 0 {
                pool.report.memory_method = handle.memory_method;
                pool.report.run_cgroups = handle.run_cgroups;
            }
            slots.push(Entry::Ready(handle));
        }
        *pool.free.lock().unwrap() = slots;
        Ok(pool)
    }

    /// Number of slots.
    pub fn size(&self) -> usize {
        self.cfg.slots
    }

    /// Where the pool's cgroups are and how it measures memory.
    pub fn cgroup_report(&self) -> &CgroupReport {
        &self.report
    }

    /// How many slots were renewed because memory stayed charged to them.
    pub fn renewals(&self) -> u64 {
        self.renewals.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// How many boxes can run at once.
    pub fn slots(&self) -> usize {
        self.cfg.slots
    }

    /// The uids this pool's boxes run as.
    pub fn uids(&self) -> std::ops::Range<u32> {
        self.cfg.uid_base..self.cfg.uid_base + self.cfg.slots as u32
    }

    fn spawn(&self, index: usize) -> Result<SlotHandle, Error> {
        let cgroup = self.root.create_slot(index).map_err(|e| Error::Cgroup(e.to_string()))?;
        let uid = self.cfg.uid_base + index as u32;
        let cfg = SlotConfig {
            slot: index,
            uid,
            gid: uid,
            cgroup: cgroup.paths(),
            mounts: self.box_mounts(),
            links: self.cfg.links.clone(),
            scratch: self.cfg.scratch.clone(),
            box_size_kb: self.cfg.box_size_kb,
            tmp_size_kb: self.cfg.tmp_size_kb,
            parent_pid: std::process::id() as i32,
            memory_method_ceiling: self.cfg.memory_method_ceiling,
            force_remount_fallback: self.cfg.force_remount_fallback,
            run_cgroups: false,
        };
        // The files of this slot tell how its runs' memory will be measured. On
        // cgroup v2 without a resettable peak every run gets a fresh cgroup.
        let mut cfg = cfg;
        let memory_method = {
            use flash_cgroup::MemoryMethod;
            let cgerr = |e: flash_cgroup::Error| Error::Cgroup(e.to_string());
            let mut c = flash_cgroup::Controls::open(&cfg.cgroup).map_err(cgerr)?;
            if let Some(ceiling) = cfg.memory_method_ceiling {
                c.downgrade_memory_method(ceiling);
            }
            let method = c.memory_method();
            cfg.run_cgroups = cfg.cgroup.version == flash_cgroup::Version::V2 && method < MemoryMethod::ResettablePeak;
            if cfg.run_cgroups {
                c.enable_run_cgroups().map_err(cgerr)?;
            }
            match method {
                MemoryMethod::LifetimePeak if cfg.run_cgroups => MemoryMethod::RunCgroupPeak,
                m => m,
            }
        };
        let (mine, theirs) = UnixStream::pair().map_err(Error::io("socketpair"))?;
        // argv[0] "flash", not the host path: every box's /proc/1/cmdline shows it.
        let helper = Command::new(&self.cfg.helper_exe)
            .arg0("flash")
            .arg("__sandbox-helper")
            .env_clear()
            .stdin(Stdio::from(std::os::fd::OwnedFd::from(theirs)))
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .map_err(Error::io(&self.cfg.helper_exe))?;
        let run_cgroups = cfg.run_cgroups;
        let mut handle = SlotHandle { index, uid, memory_method, run_cgroups, _cgroup: cgroup, helper, sock: mine };
        let config = serde_json::to_vec(&cfg).expect("config serializes");
        if let Err(e) = write_frame(&mut handle.sock, Kind::Config, &config) {
            handle.kill();
            return Err(Error::Helper(format!("slot {index} helper did not take its config: {e}")));
        }
        handle.sock.set_read_timeout(Some(Duration::from_secs(30))).map_err(Error::io("socket"))?;
        match read_frame(&mut handle.sock) {
            Ok((Kind::Ready, _)) => Ok(handle),
            Ok((Kind::Error, msg)) => {
                handle.kill();
                Err(ErrorFrame::decode(&msg))
            }
            Ok((k, _)) => {
                handle.kill();
                Err(Error::Protocol(format!("expected Ready, got {k:?}")))
            }
            Err(e) => {
                handle.kill();
                Err(Error::Helper(format!("slot {index} helper did not start: {e}")))
            }
        }
    }

    /// The configured mounts plus the `flash` binary itself at [`BOX_FLASH`]:
    /// the debugger starts the traced program through `flash __seccomp-exec`,
    /// which installs the strict filter that the tracer itself cannot have.
    fn box_mounts(&self) -> Vec<Mount> {
        let mut m = self.cfg.mounts.clone();
        m.push(Mount {
            source: self.cfg.helper_exe.clone(),
            target: BOX_FLASH.into(),
            writable: false,
            optional: false,
        });
        m
    }

    /// Runs `spec` in the next free box. Blocks while all boxes are busy.
    /// A [`Stdin::Live`] program reads EOF at once here: see [`Pool::run_live`].
    pub fn run(&self, spec: &RunSpec) -> Result<RunResult, Error> {
        if spec.stdio_fds {
            return Err(Error::Request("stdio_fds is set by run_piped only".into()));
        }
        self.run_with(spec, None, None)
    }

    /// Runs `spec` while it is talked to: `output` gets every chunk of stdout
    /// and stderr as the program writes it (they are also in the result), and
    /// what arrives on `input` goes to the program (its stdin must be
    /// [`Stdin::Live`] for [`LiveInput::Stdin`] to reach it). Dropping the
    /// sender closes the program's stdin. Blocks while all boxes are busy.
    pub fn run_live(
        &self,
        spec: &RunSpec,
        input: Receiver<LiveInput>,
        output: &mut (dyn FnMut(Stream, &[u8]) + Send),
    ) -> Result<RunResult, Error> {
        if spec.stdio_fds {
            return Err(Error::Request("stdio_fds is set by run_piped only".into()));
        }
        self.run_with(spec, None, Some((input, output)))
    }

    /// Runs `spec` with the program's stdin reading from `stdin` and its
    /// stdout writing to `stdout` (pipe ends, typically joined to another
    /// run's box: an interactive problem) instead of bytes and a capture;
    /// stderr is still captured. The descriptors go to the slot's helper
    /// (SCM_RIGHTS) and are closed here once sent, so the other side sees
    /// end-of-file when this program is gone. `spec.stdin` must be `Null`
    /// and `merge_stderr` off.
    pub fn run_piped(&self, spec: &RunSpec, stdin: OwnedFd, stdout: OwnedFd) -> Result<RunResult, Error> {
        if !matches!(spec.stdin, Stdin::Null) || spec.merge_stderr {
            return Err(Error::Request("a piped run takes no stdin bytes and keeps stderr apart".into()));
        }
        let spec = RunSpec { stdio_fds: true, ..spec.clone() };
        self.run_with(&spec, Some([stdin, stdout]), None)
    }

    fn run_with(&self, spec: &RunSpec, fds: Option<[OwnedFd; 2]>, live: Option<Live<'_>>) -> Result<RunResult, Error> {
        validate(spec)?;
        let cancelled = || spec.cancel.as_ref().is_some_and(Cancel::is_cancelled);
        if cancelled() {
            return Err(Error::Cancelled);
        }
        // Opened before a slot is taken: a missing file fails this request only.
        let mounts = open_mounts(spec)?;
        let mut handle = self.take()?;
        let mut result = handle.exchange(spec, fds, mounts, live);
        // A run ended by its token answers so, not with the broken socket's error.
        if result.is_err() && cancelled() {
            result = Err(Error::Cancelled);
        }
        let leftover = result.as_ref().map_or(0, |r| r.meas.slot_leftover_kb);
        if leftover > self.cfg.renew_above_kb {
            self.renewals.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            let index = handle.index;
            drop(handle);
            self.put(Entry::Broken(index));
        } else if matches!(result, Ok(_) | Err(Error::Request(_))) {
            self.put(Entry::Ready(handle));
        } else {
            // The helper is in an unknown state: end it; the slot is rebuilt on next use.
            let index = handle.index;
            // A helper that died on its own says how (a signal, an exit code):
            // part of the error, so the log tells what happened.
            let died = (0..10).find_map(|_| {
                let s = handle.helper.try_wait().ok().flatten();
                if s.is_none() {
                    std::thread::sleep(Duration::from_millis(5));
                }
                s
            });
            handle.kill();
            drop(handle);
            self.put(Entry::Broken(index));
            if let (Some(status), Err(Error::Helper(msg))) = (died, &result) {
                return Err(Error::Helper(format!("{msg} (the helper had ended: {status})")));
            }
        }
        result
    }

    /// Takes a free slot, rebuilding it first if its last helper failed.
    fn take(&self) -> Result<SlotHandle, Error> {
        let mut free = self.free.lock().unwrap();
        let entry = loop {
            match free.pop() {
                Some(e) => break e,
                None => free = self.ready.wait(free).unwrap(),
            }
        };
        drop(free);
        match entry {
            Entry::Ready(h) => Ok(h),
            Entry::Broken(index) => self.spawn(index).inspect_err(|_| self.put(Entry::Broken(index))),
        }
    }

    fn put(&self, e: Entry) {
        self.free.lock().unwrap().push(e);
        self.ready.notify_one();
    }
}

impl Drop for Pool {
    fn drop(&mut self) {
        let slots = std::mem::take(&mut *self.free.lock().unwrap());
        for e in slots {
            if let Entry::Ready(mut h) = e {
                h.kill();
            }
        }
        // `root` drops after this, removing Flash's cgroups.
    }
}

/// Where a live run's output goes as it comes.
type OutputSink<'a> = &'a mut (dyn FnMut(Stream, &[u8]) + Send);

/// A live run's two directions.
type Live<'a> = (Receiver<LiveInput>, OutputSink<'a>);

/// What a caller sends to a live run while it goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LiveInput {
    /// Bytes for the program's stdin.
    Stdin(Vec<u8>),
    /// End of the program's stdin.
    CloseStdin,
    /// A signal (1-31) for the program and its process group.
    Signal(i32),
    /// End the run now (the caller is gone): the slot is rebuilt afterwards,
    /// and the run answers an error.
    Cancel,
}

/// Which of the program's pipes a chunk of output came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stream {
    Stdout,
    Stderr,
}

/// Largest stdin chunk per frame: big inputs go as several frames.
const LIVE_CHUNK: usize = 64 << 10;

/// Forwards a live run's input to the helper until the run is `done`; the
/// helper drops whatever of it arrives after the run ended. Without a
/// receiver (or once its sender is gone) the program's stdin is closed.
/// [`LiveInput::Cancel`] is honoured even while a write waits on a helper
/// that reads no more: the socket is shut down, which ends the run.
fn feed(mut sock: UnixStream, input: Option<Receiver<LiveInput>>, done: &AtomicBool) {
    use std::io::Write;
    // Short write waits, so a cancel is seen while the helper does not read
    // (it stops at a full pipe: back-pressure). Restored before returning.
    let _ = sock.set_write_timeout(Some(Duration::from_millis(20)));
    let mut queue = std::collections::VecDeque::new();
    let mut open = true;
    let mut frames = Vec::new();
    if input.is_none() {
        queue.push_back(LiveInput::CloseStdin);
    }
    // Once the run is over, what is left is dropped (a caller that keeps
    // sending cannot keep the slot).
    'run: while !done.load(Ordering::Relaxed) {
        let next = match (queue.pop_front(), &input) {
            (Some(m), _) => m,
            (None, Some(rx)) if open => match rx.recv_timeout(Duration::from_millis(20)) {
                Ok(m) => m,
                Err(RecvTimeoutError::Timeout) => continue,
                Err(RecvTimeoutError::Disconnected) => {
                    open = false;
                    LiveInput::CloseStdin
                }
            },
            (None, _) => break,
        };
        frames.clear();
        let r = match next {
            LiveInput::Stdin(b) => b.chunks(LIVE_CHUNK).try_for_each(|c| write_frame(&mut frames, Kind::Stdin, c)),
            LiveInput::CloseStdin => write_frame(&mut frames, Kind::Stdin, &[]),
            LiveInput::Signal(n) => write_frame(&mut frames, Kind::Signal, &n.to_le_bytes()),
            LiveInput::Cancel => {
                let _ = sock.shutdown(std::net::Shutdown::Write);
                break;
            }
        };
        if r.is_err() {
            break;
        }
        // A frame is written whole, or the socket is shut down: never half of
        // one, which would garble the next run's request.
        let mut off = 0;
        while off < frames.len() {
            match sock.write(&frames[off..]) {
                Ok(n) => off += n,
                Err(e) if matches!(e.kind(), std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut) => {
                    if let Some(rx) = &input {
                        queue.extend(rx.try_iter());
                    }
                    if queue.contains(&LiveInput::Cancel) {
                        let _ = sock.shutdown(std::net::Shutdown::Write);
                        break 'run;
                    }
                }
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(_) => break 'run,
            }
        }
    }
    let _ = sock.set_write_timeout(None);
}

/// [`read_frame`], also taking the descriptors sent with the frame's head.
fn read_frame_with_fds(s: &mut UnixStream) -> std::io::Result<(Kind, Vec<u8>, Vec<OwnedFd>)> {
    use std::io::Read;
    let mut head = [0u8; 5];
    let (got, fds) = crate::sys::recv_upto_fds(s.as_raw_fd(), &mut head, 4)?;
    if got == 0 {
        return Err(std::io::ErrorKind::UnexpectedEof.into());
    }
    s.read_exact(&mut head[got..])?;
    let (kind, payload) = read_frame(&mut (&head[..]).chain(&mut *s))?;
    Ok((kind, payload, fds))
}

/// The descriptors a run's helper needs from the host, in the order it takes
/// them: a detached mount of each bind's source (the helper attaches it in
/// the box), then the `collect_into` directory.
fn open_mounts(spec: &RunSpec) -> Result<Vec<OwnedFd>, Error> {
    use std::os::unix::fs::OpenOptionsExt;
    let mut fds = Vec::with_capacity(spec.binds.len() + 1);
    for b in &spec.binds {
        // Only a regular file: a directory bound over a box path would be
        // another way into the host.
        let meta = std::fs::symlink_metadata(&b.source).map_err(Error::io(&b.source))?;
        if !meta.is_file() {
            return Err(Error::Request(format!("bind {}: {} is not a regular file", b.path, b.source.display())));
        }
        fds.push(crate::sys::open_tree_clone(&b.source).map_err(Error::io(&b.source))?);
    }
    if let Some(dir) = &spec.collect_into {
        let d = std::fs::OpenOptions::new()
            .read(true)
            .custom_flags(libc::O_DIRECTORY | libc::O_NOFOLLOW | libc::O_CLOEXEC)
            .open(dir)
            .map_err(Error::io(dir))?;
        fds.push(d.into());
    }
    Ok(fds)
}

/// How many descriptors [`open_mounts`] gives for `spec`.
pub(crate) fn mount_fds(spec: &RunSpec) -> usize {
    spec.binds.len() + usize::from(spec.collect_into.is_some())
}

fn validate(spec: &RunSpec) -> Result<(), Error> {
    if spec.argv.is_empty() {
        return Err(Error::Request("argv is empty".into()));
    }
    spec.limits.validate().map_err(Error::Request)?;
    let mut seen = std::collections::HashSet::new();
    let paths: Vec<&str> =
        spec.files.iter().map(|f| f.path.as_str()).chain(spec.binds.iter().map(|b| b.path.as_str())).collect();
    for p in &paths {
        check_box_path(p).map_err(Error::Request)?;
        if let Some(c) = p.split('/').find(|c| c.len() > crate::spec::NAME_MAX) {
            return Err(Error::Request(format!("file {p}: the name {c:?} is longer than 255 bytes")));
        }
        if !seen.insert(p.trim_end_matches('/')) {
            return Err(Error::Request(format!("file {p} given twice")));
        }
    }
    if spec.binds.len() > MAX_BINDS {
        return Err(Error::Request(format!("{} binds: at most {MAX_BINDS}", spec.binds.len())));
    }
    if let Some((dir, path)) = crate::spec::file_and_directory(&paths) {
        return Err(Error::Request(format!("file {dir} is also the directory of file {path}")));
    }
    for p in spec.collect.iter().filter(|p| *p != crate::spec::COLLECT_ALL) {
        check_box_path(p.strip_prefix("*.").unwrap_or(p)).map_err(Error::Request)?;
    }
    if let Stdin::BoxPath(p) = &spec.stdin {
        check_box_path(p).map_err(Error::Request)?;
    }
    if let Some(p) = &spec.private_output {
        check_box_path(p).map_err(|e| Error::Request(format!("private output: {e}")))?;
    }
    crate::proxy::Allow::parse(&spec.network).map_err(|e| Error::Request(format!("network: {e}")))?;
    Ok(())
}

impl Drop for SlotHandle {
    fn drop(&mut self) {
        // The helper must be gone before its cgroup can be removed.
        self.kill();
    }
}

impl SlotHandle {
    /// Writes the input files straight into the slot's fresh /box through the
    /// helper's root (`/proc/<helper>/root`): one copy, no trip through the
    /// socket. Safe because /box was replaced by an empty tmpfs after the last
    /// run and no box process has run since; `create_new` and `O_NOFOLLOW`
    /// refuse anything already there. A failure here is not a `Request` error:
    /// the slot may hold a partial set of files, so it is rebuilt.
    fn stage_files(&self, files: &[BoxFile]) -> Result<(), Error> {
        use std::os::unix::fs::{chown, OpenOptionsExt};
        let root = PathBuf::from(format!("/proc/{}/root/box", self.helper.id()));
        // Errors name the file as the box sees it, never the host's path to it.
        let in_box = |p: &Path| Path::new("/box").join(p.strip_prefix(&root).unwrap_or(p));
        for f in files {
            let path = root.join(&f.path);
            let mut dir = path.parent().map(Path::to_path_buf);
            if let Some(d) = &dir {
                std::fs::create_dir_all(d).map_err(Error::io(in_box(d)))?;
            }
            // Directories the library made belong to the box user too.
            while let Some(d) = dir.filter(|d| d != &root) {
                chown(&d, Some(self.uid), Some(self.uid)).map_err(Error::io(in_box(&d)))?;
                dir = d.parent().map(Path::to_path_buf);
            }
            let mut file = std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .mode(f.mode & 0o777)
                .custom_flags(libc::O_NOFOLLOW | libc::O_CLOEXEC)
                .open(&path)
                .map_err(Error::io(in_box(&path)))?;
            crate::sys::copy_sparse(&mut &f.data[..], &mut file).map_err(Error::io(in_box(&path)))?;
            std::os::unix::fs::fchown(&file, Some(self.uid), Some(self.uid)).map_err(Error::io(in_box(&path)))?;
        }
        Ok(())
    }

    fn kill(&mut self) {
        let _ = self.sock.shutdown(std::net::Shutdown::Both);
        let _ = self.helper.kill();
        let _ = self.helper.wait();
    }

    /// Sends one request and reads the answer; a live run's input goes to the
    /// helper from a second thread meanwhile.
    fn exchange(
        &mut self,
        spec: &RunSpec,
        fds: Option<[OwnedFd; 2]>,
        mounts: Vec<OwnedFd>,
        live: Option<Live<'_>>,
    ) -> Result<RunResult, Error> {
        let head = serde_json::to_vec(spec).expect("a run spec serializes");
        self.stage_files(&spec.files)?;
        let (input, output) = match live {
            Some((i, o)) => (Some(i), Some(o)),
            None => (None, None),
        };
        let writer = match spec.stdin {
            Stdin::Live => Some(self.sock.try_clone().map_err(Error::io("helper socket"))?),
            _ => None,
        };
        let s = &mut self.sock;
        write_frame(s, Kind::Request, &head).map_err(Error::io("helper socket"))?;
        if let Some(fds) = fds {
            let raw = [fds[0].as_raw_fd(), fds[1].as_raw_fd()];
            crate::sys::send_fds(s.as_raw_fd(), &[Kind::Fds as u8, 0, 0, 0, 0], &raw)
                .map_err(Error::io("helper socket"))?;
            // Ours close now: only the box holds these ends from here.
            drop(fds);
        }
        for chunk in mounts.chunks(FDS_PER_FRAME) {
            let raw: Vec<i32> = chunk.iter().map(AsRawFd::as_raw_fd).collect();
            crate::sys::send_fds(s.as_raw_fd(), &[Kind::Fds as u8, 0, 0, 0, 0], &raw)
                .map_err(Error::io("helper socket"))?;
        }
        drop(mounts);
        if let Stdin::Bytes(b) = &spec.stdin {
            write_frame(s, Kind::Stdin, b).map_err(Error::io("helper socket"))?;
        }
        write_frame(s, Kind::Go, &[]).map_err(Error::io("helper socket"))?;
        // A fired token stops the run: the helper watches its socket during
        // a run, and when our side stops writing it ends the box's init, and
        // with it every process of the box's pid namespace, waits for them,
        // and only then answers an error, which the read below waits for
        // (our reading side stays open for it). The slot is then rebuilt.
        // The firing thread does the shutdown itself: no thread waits here.
        let hook = match &spec.cancel {
            None => None,
            Some(c) => {
                let sock = self.sock.try_clone().map_err(Error::io("helper socket"))?;
                let id = c.on_cancel(move || {
                    let _ = sock.shutdown(std::net::Shutdown::Write);
                });
                if id.is_none() {
                    // Fired since the run was asked for.
                    let _ = self.sock.shutdown(std::net::Shutdown::Write);
                }
                Some((c, id))
            }
        };
        // Only now may the feeder write: after `Go`, never between frames of ours.
        let done = AtomicBool::new(false);
        let r = std::thread::scope(|scope| {
            if let Some(w) = writer {
                let done = &done;
                scope.spawn(move || feed(w, input, done));
            }
            let r = self.read_answer(spec, output);
            done.store(true, Ordering::SeqCst);
            r
        });
        match hook {
            // Stopped, even just after a whole answer: the helper may have
            // seen the shutdown, so the slot is not reusable and the run
            // counts as cancelled.
            Some((c, Some(id))) if !c.remove(id) => Err(Error::Cancelled),
            Some((_, None)) => Err(Error::Cancelled),
            _ => r,
        }
    }

    /// Reads the helper's frames up to the run's end.
    fn read_answer(&mut self, spec: &RunSpec, mut output: Option<OutputSink<'_>>) -> Result<RunResult, Error> {
        let s = &mut self.sock;
        // The helper enforces the wall limit itself; this only catches a stuck helper.
        let guard = Duration::from_secs_f64(spec.limits.wall_time) + Duration::from_secs(30);
        s.set_read_timeout(Some(guard)).map_err(Error::io("helper socket"))?;
        let mut out = RunResult {
            meas: Measurement::new(crate::Status::InternalError),
            stdout: Vec::new(),
            stderr: Vec::new(),
            files: Vec::new(),
            interleave: Vec::new(),
        };
        // With network, connections to the proxy arrive as descriptors
        // attached to frame heads, which a plain read would drop.
        let proxy = match spec.network.is_empty() {
            true => None,
            false => Some(crate::proxy::Proxy::new(crate::proxy::Allow::parse(&spec.network).map_err(Error::Request)?)),
        };
        loop {
            let helper_err = |e: std::io::Error| Error::Helper(format!("slot {}: {e}", self.index));
            let (kind, payload) = match &proxy {
                None => read_frame(s).map_err(helper_err)?,
                Some(p) => {
                    let (kind, payload, fds) = read_frame_with_fds(s).map_err(helper_err)?;
                    if kind == Kind::Connection {
                        fds.into_iter().for_each(|c| p.serve(c));
                        continue;
                    }
                    (kind, payload)
                }
            };
            match kind {
                Kind::Stdout => {
                    if let Some(f) = output.as_mut() {
                        f(Stream::Stdout, &payload);
                    }
                    crate::spec::record_interleave(&mut out.interleave, false, payload.len());
                    out.stdout.extend_from_slice(&payload)
                }
                Kind::Stderr => {
                    if let Some(f) = output.as_mut() {
                        f(Stream::Stderr, &payload);
                    }
                    crate::spec::record_interleave(&mut out.interleave, true, payload.len());
                    out.stderr.extend_from_slice(&payload)
                }
                Kind::File => {
                    let (path, mode, data) = decode_file(payload).map_err(Error::io("helper socket"))?;
                    out.files.push(BoxFile { path, mode, data });
                    continue;
                }
                Kind::Result => {
                    out.meas =
                        serde_json::from_slice(&payload).map_err(|e| Error::Protocol(format!("bad result: {e}")))?;
                    return Ok(out);
                }
                Kind::Error => return Err(ErrorFrame::decode(&payload)),
                k => return Err(Error::Protocol(format!("unexpected {k:?} frame"))),
            }
        }
    }
}
