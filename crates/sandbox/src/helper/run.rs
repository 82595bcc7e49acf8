//! One run inside a prepared slot: place the files, start the program in fresh
//! namespaces, watch it (output, CPU, wall time), end it, measure it.

use super::child::{self, Prepared};
use super::Slot;
use crate::protocol::{read_frame, write_frame, Kind};
use crate::spec::{check_box_path, Limits, Measurement, RunSpec, Status};
use crate::{sys, Error};
use flash_cgroup::MemoryMethod;
use std::ffi::{c_char, CString};
use std::fs::File;
use std::io::Read;
use std::os::fd::{AsRawFd, OwnedFd, RawFd};
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::Path;
use std::time::{Duration, Instant};

/// How often CPU time is checked while the program runs. With two cores a fork
/// bomb can overshoot the CPU limit by at most about twice this.
const TICK: Duration = Duration::from_millis(5);

/// A memory limit that limits nothing (the kernel clamps it to its maximum).
const UNLIMITED: u64 = 1 << 62;

/// The least memory the kernel lets a run have where the helper shares its
/// cgroup (see [`kernel_limit`]).
const SHARED_FLOOR: u64 = 8 << 20;

/// The limit the kernel enforces for a run asked to stay within `asked`
/// bytes above `base`. Where the helper shares the run's cgroup it is one of
/// the OOM killer's candidates there, and without CAP_SYS_RESOURCE it cannot
/// opt out. The killer scores each process by its resident pages, plus the
/// cgroup's limit for a process at `oom_score_adj` 1000 (every process of the
/// box, init included): so with a limit above the helper's own resident set
/// some process of the box always outscores it. A smaller limit asked is
/// judged on the measured peak instead (see [`run_memory`]). `resident` is
/// the helper's resident set; twice it leaves room for its growth.
fn kernel_limit(asked: u64, base: u64, shares_cgroup: bool, resident: u64) -> u64 {
    match shares_cgroup {
        true => asked.max(SHARED_FLOOR).max(2 * resident) + base,
        false => asked + base,
    }
}

/// Namespaces made fresh for every run. The network namespace is the slot's
/// (made once: it costs about a millisecond) and holds nothing between runs,
/// since every process of a run is dead before the next starts.
const RUN_NAMESPACES: libc::c_int =
    libc::CLONE_NEWPID | libc::CLONE_NEWNS | libc::CLONE_NEWIPC | libc::CLONE_NEWUTS | libc::CLONE_NEWCGROUP;

/// Where the program's stdin comes from, resolved by the helper.
pub enum Input {
    Null,
    Fd(OwnedFd),
    /// A pipe (read end, write end) the helper feeds from `Stdin` frames.
    Live(OwnedFd, OwnedFd),
}

/// Input of a live run not yet written into the program's stdin pipe. At most
/// this much is held; beyond it the helper stops reading the control socket
/// until the program has read some (back-pressure to the library).
const LIVE_PENDING_MAX: usize = 1 << 20;

/// The helper's side of a live run's stdin.
struct LiveIn {
    /// The pipe's write end; `None` once closed.
    pipe: Option<OwnedFd>,
    pending: Vec<u8>,
    /// Close the pipe once `pending` is written.
    close: bool,
}

impl LiveIn {
    /// Writes what the pipe takes now. A program that closed its stdin drops the rest.
    fn flush(&mut self) {
        while let (Some(fd), false) = (&self.pipe, self.pending.is_empty()) {
            // SAFETY: writing from a valid buffer of its length to our own pipe.
            let n = unsafe { libc::write(fd.as_raw_fd(), self.pending.as_ptr().cast(), self.pending.len()) };
            if n > 0 {
                self.pending.drain(..n as usize);
                continue;
            }
            let e = std::io::Error::last_os_error();
            match e.kind() {
                std::io::ErrorKind::Interrupted => continue,
                std::io::ErrorKind::WouldBlock => return,
                _ => {
                    self.pending.clear();
                    self.pipe = None;
                }
            }
        }
        if self.close && self.pending.is_empty() {
            self.pipe = None;
        }
    }
}

impl LiveIn {
    /// Sets what to poll for on `[control socket, stdin pipe]`: more input
    /// while there is room for it, and the pipe while input waits for it.
    fn poll_for(&self, fds: &mut [libc::pollfd]) {
        let room = self.pending.len() < LIVE_PENDING_MAX && !self.close;
        fds[0].events = libc::POLLRDHUP | if room { libc::POLLIN } else { 0 };
        fds[1].fd = match (&self.pipe, self.pending.is_empty()) {
            (Some(p), false) => p.as_raw_fd(),
            _ => -1,
        };
    }
}

/// The host pid of the program a box's init started (its only child), found
/// through the host's /proc (`proc` is a descriptor of it).
fn program_pid(proc: &File, init: libc::pid_t) -> Option<libc::pid_t> {
    let path = CString::new(format!("{init}/task/{init}/children")).ok()?;
    // SAFETY: openat on a directory fd we own with a valid C string.
    let fd = unsafe { libc::openat(proc.as_raw_fd(), path.as_ptr(), libc::O_RDONLY | libc::O_CLOEXEC) };
    if fd < 0 {
        return None;
    }
    // SAFETY: openat succeeded, so `fd` is a fresh descriptor that we own.
    let mut f = unsafe { <File as std::os::fd::FromRawFd>::from_raw_fd(fd) };
    let mut s = String::new();
    f.read_to_string(&mut s).ok()?;
    s.split_whitespace().next()?.parse().ok()
}

/// A file the program left in /box, as collected.
pub enum Collected {
    /// Mode and contents.
    File(u32, Vec<u8>),
    /// Mode and size: written to the `collect_into` directory.
    Stored(u32, u64),
    /// Its apparent size, over the cap: not read.
    TooLarge(u64),
}

/// Copies a file the program left in /box into `dir` (the caller's
/// `collect_into` directory, a host descriptor) as `name`, the same checks
/// and cap as [`collect_file`]: the bytes go from the box's tmpfs to the
/// host's disk in chunks, never whole through memory or the socket. Holes of
/// a sparse file become zeros (bounded by the cap). `Err` when the host side
/// fails (a full disk): the helper's failure, not the program's.
pub fn store_file(path: &str, cap: u64, dir: &OwnedFd, name: &str) -> Result<Option<Collected>, Error> {
    let Some(f) = open_box_file(path) else {
        return Ok(None);
    };
    let Ok(meta) = f.metadata() else {
        return Ok(None);
    };
    if meta.len() > cap {
        return Ok(Some(Collected::TooLarge(meta.len())));
    }
    let c = CString::new(name).map_err(|_| Error::Request(format!("bad stored name {name:?}")))?;
    let flags = libc::O_WRONLY | libc::O_CREAT | libc::O_EXCL | libc::O_NOFOLLOW | libc::O_CLOEXEC;
    // SAFETY: openat on a directory descriptor we hold, with a valid C string.
    let fd = unsafe { libc::openat(dir.as_raw_fd(), c.as_ptr(), flags, 0o600) };
    let where_ = || format!("collect_into/{name}");
    if fd < 0 {
        return Err(Error::Io(where_(), std::io::Error::last_os_error()));
    }
    // SAFETY: openat returned a fresh descriptor that we own.
    let mut out = unsafe { <File as std::os::fd::FromRawFd>::from_raw_fd(fd) };
    let size = sys::copy_sparse(&mut f.take(cap), &mut out).map_err(|e| Error::Io(where_(), e))?;
    Ok(Some(Collected::Stored(meta.permissions().mode() & 0o777, size)))
}

/// Attaches each bind's detached mount (`trees`, in the same order) at its
/// path in the fresh /box, read-only, nosuid, nodev: the program runs the
/// host's file in place, nothing is copied into the box's memory. Parent
/// directories are made as for staged files (the box user's). The mounts
/// go with /box at the next reset (a lazy unmount takes every mount below).
pub fn place_binds(binds: &[crate::spec::Bind], trees: &[OwnedFd], uid: u32) -> Result<(), Error> {
    use std::os::unix::fs::{chown, OpenOptionsExt};
    for (b, tree) in binds.iter().zip(trees) {
        check_box_path(&b.path).map_err(Error::Request)?;
        let target = Path::new("/box").join(&b.path);
        let mut dir = target.parent().map(Path::to_path_buf);
        if let Some(d) = &dir {
            std::fs::create_dir_all(d).map_err(Error::io(d))?;
        }
        while let Some(d) = dir.filter(|d| d != Path::new("/box")) {
            chown(&d, Some(uid), Some(uid)).map_err(Error::io(&d))?;
            dir = d.parent().map(Path::to_path_buf);
        }
        // The mount point: an empty file of our own (nothing may be there yet).
        std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .custom_flags(libc::O_NOFOLLOW | libc::O_CLOEXEC)
            .open(&target)
            .map_err(Error::io(&target))?;
        sys::move_mount_to(tree, &target).map_err(Error::setup(format!("bind {}", b.path)))?;
        let flags = libc::MS_BIND | libc::MS_REMOUNT | libc::MS_RDONLY | libc::MS_NOSUID | libc::MS_NODEV;
        sys::mount(None, &target, None, flags, None).map_err(Error::setup(format!("lock down bind {}", b.path)))?;
    }
    Ok(())
}

/// Reads a file the program left in /box: regular files only, never through a
/// symlink, at most `cap` bytes by apparent size (holes of a sparse file
/// count: they would be read, and staged into boxes, as zeros).
pub fn collect_file(path: &str, cap: u64) -> Option<Collected> {
    let f = open_box_file(path)?;
    let meta = f.metadata().ok()?;
    if meta.len() > cap {
        return Some(Collected::TooLarge(meta.len()));
    }
    let mut data = Vec::with_capacity(meta.len() as usize);
    f.take(cap).read_to_end(&mut data).ok()?;
    Some(Collected::File(meta.permissions().mode() & 0o777, data))
}

/// What the program wrote to its private output file (see
/// [`RunSpec::private_output`]): at most `cap` bytes, read through the
/// helper's own descriptor (the file has no name to replace).
pub fn read_private(f: &File, cap: u64) -> std::io::Result<(u32, Vec<u8>)> {
    use std::os::unix::fs::FileExt;
    let len = f.metadata()?.len().min(cap);
    let mut data = vec![0u8; len as usize];
    let mut done = 0;
    while done < data.len() {
        match f.read_at(&mut data[done..], done as u64)? {
            0 => break,
            n => done += n,
        }
    }
    data.truncate(done);
    Ok((0o600, data))
}

/// Expands `*.ext` into the top-level files of /box with that extension
/// (sorted), and [`crate::spec::COLLECT_ALL`] into every regular file under
/// /box (sorted, symlinks neither followed nor taken, at most
/// [`crate::spec::COLLECT_ALL_MAX`]); any other path stands for itself.
pub fn expand_pattern(p: &str) -> Vec<String> {
    if p == crate::spec::COLLECT_ALL {
        let mut names = Vec::new();
        walk_box(Path::new("/box"), "", &mut names);
        names.sort();
        return names;
    }
    let Some(ext) = p.strip_prefix("*.") else {
        return vec![p.to_owned()];
    };
    let mut names: Vec<String> = std::fs::read_dir("/box")
        .map(|rd| {
            rd.flatten()
                .filter_map(|e| e.file_name().into_string().ok())
                .filter(|n| n.len() > ext.len() + 1 && n.ends_with(&format!(".{ext}")))
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}

/// Appends the regular files under `dir` (box-relative prefix `rel`) to
/// `out`, depth first, without following symlinks; stops at the cap.
fn walk_box(dir: &Path, rel: &str, out: &mut Vec<String>) {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return;
    };
    for e in rd.flatten() {
        if out.len() >= crate::spec::COLLECT_ALL_MAX {
            return;
        }
        let Ok(name) = e.file_name().into_string() else {
            continue;
        };
        let path = if rel.is_empty() { name } else { format!("{rel}/{name}") };
        match e.file_type() {
            Ok(t) if t.is_dir() => walk_box(&e.path(), &path, out),
            Ok(t) if t.is_file() => out.push(path),
            _ => {}
        }
    }
}

/// Opens a regular file in /box without following any symlink on the way.
pub fn open_box_file(path: &str) -> Option<File> {
    check_box_path(path).ok()?;
    let mut cur = Path::new("/box").to_path_buf();
    for comp in Path::new(path).components() {
        cur.push(comp);
        let meta = std::fs::symlink_metadata(&cur).ok()?;
        if meta.file_type().is_symlink() {
            return None;
        }
    }
    let f = std::fs::OpenOptions::new().read(true).custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK).open(&cur).ok()?;
    f.metadata().ok()?.is_file().then_some(f)
}

/// Finds `argv[0]` on the box's PATH (the helper sees the same files as the box).
fn resolve(argv0: &str, env: &[(String, String)], cwd: &str) -> String {
    if argv0.contains('/') {
        return argv0.to_owned();
    }
    let path = env.iter().find(|(k, _)| k == "PATH").map(|(_, v)| v.as_str()).unwrap_or("/usr/local/bin:/usr/bin:/bin");
    for dir in path.split(':') {
        let dir = if dir.is_empty() { cwd } else { dir };
        let cand = Path::new(dir).join(argv0);
        if let Ok(m) = std::fs::metadata(&cand) {
            if m.is_file() && m.permissions().mode() & 0o111 != 0 {
                return cand.to_string_lossy().into_owned();
            }
        }
    }
    argv0.to_owned()
}

fn cstrings<'a>(items: impl Iterator<Item = &'a str>) -> Result<Vec<CString>, Error> {
    items.map(|s| CString::new(s).map_err(|_| Error::Request(format!("NUL byte in {s:?}")))).collect()
}

fn ptrs(v: &[CString]) -> Vec<*const c_char> {
    v.iter().map(|c| c.as_ptr()).chain(std::iter::once(std::ptr::null())).collect()
}

fn set_nonblocking(fd: RawFd) {
    // SAFETY: fcntl on a descriptor we own; flags are plain integers.
    unsafe {
        let fl = libc::fcntl(fd, libc::F_GETFL);
        libc::fcntl(fd, libc::F_SETFL, fl | libc::O_NONBLOCK);
    }
}

/// The output side of a run: forwards pipe data to the library within the budget.
struct Output<'a> {
    ctl: &'a mut File,
    budget: u64,
    used: u64,
    exceeded: bool,
}

impl Output<'_> {
    /// Reads what is available on `fd`; returns false at EOF.
    fn pump(&mut self, fd: RawFd, kind: Kind) -> Result<bool, Error> {
        let mut buf = [0u8; 65536];
        loop {
            // SAFETY: `buf` is a valid writable buffer of its length.
            let n = unsafe { libc::read(fd, buf.as_mut_ptr().cast(), buf.len()) };
            if n == 0 {
                return Ok(false);
            }
            if n < 0 {
                let e = std::io::Error::last_os_error();
                return match e.kind() {
                    std::io::ErrorKind::WouldBlock => Ok(true),
                    std::io::ErrorKind::Interrupted => continue,
                    _ => Err(Error::Io("output pipe".into(), e)),
                };
            }
            let n = n as u64;
            let room = self.budget.saturating_sub(self.used);
            let take = n.min(room) as usize;
            if take > 0 {
                write_frame(self.ctl, kind, &buf[..take]).map_err(Error::io("control socket"))?;
            }
            self.used += take as u64;
            if n > room {
                self.exceeded = true;
                return Ok(true);
            }
        }
    }

    /// Every writer is dead: drains what is left in the pipes still open
    /// (-1: at end-of-file already), within the budget.
    fn drain(&mut self, open: [RawFd; 2]) -> Result<(), Error> {
        for (fd, kind) in open.into_iter().zip([Kind::Stdout, Kind::Stderr]) {
            if fd >= 0 && !self.exceeded {
                self.pump(fd, kind)?;
            }
        }
        Ok(())
    }
}

/// `map_err` adapter for the cgroup's errors.
fn cgerr(e: flash_cgroup::Error) -> Error {
    Error::Cgroup(e.to_string())
}

/// KiB to bytes.
fn kb(v: u64) -> u64 {
    v.saturating_mul(1024)
}

/// The rlimits of every process of the run: (resource, soft, hard).
fn rlimits(lim: &Limits) -> Vec<(libc::__rlimit_resource_t, u64, u64)> {
    let cpu_rl = lim.cpu_time.ceil() as u64 + 1;
    let mut rlimits = vec![
        (libc::RLIMIT_STACK, kb(lim.stack_kb), kb(lim.stack_kb)),
        (libc::RLIMIT_FSIZE, kb(lim.file_size_kb), kb(lim.file_size_kb)),
        (libc::RLIMIT_NOFILE, lim.open_files, lim.open_files),
        (libc::RLIMIT_NPROC, lim.processes, lim.processes),
        (libc::RLIMIT_CORE, 0, 0),
        (libc::RLIMIT_CPU, cpu_rl, cpu_rl + 1),
    ];
    if let Some(a) = lim.address_space_kb {
        rlimits.push((libc::RLIMIT_AS, kb(a), kb(a)));
    }
    rlimits
}

/// With network, the proxy's listener on the box's loopback (see [`crate::proxy`]).
fn open_proxy(spec: &RunSpec) -> Result<Option<std::net::TcpListener>, Error> {
    if spec.network.is_empty() {
        return Ok(None);
    }
    let l = std::net::TcpListener::bind(crate::proxy::PROXY_ADDR).map_err(Error::io("proxy listener"))?;
    l.set_nonblocking(true).map_err(Error::io("proxy listener"))?;
    Ok(Some(l))
}

/// The program's argv and environment as C strings, made before the clone
/// (the child side must not allocate).
struct ChildArgs {
    argv: Vec<CString>,
    envp: Vec<CString>,
}

impl ChildArgs {
    /// With a proxy, the variables that point HTTP clients at it join the environment.
    fn new(spec: &RunSpec, proxied: bool) -> Result<ChildArgs, Error> {
        let argv = cstrings(spec.argv.iter().map(String::as_str))?;
        let proxy_env = if proxied { crate::proxy::proxy_env() } else { Vec::new() };
        let env: Vec<String> = spec.env.iter().chain(&proxy_env).map(|(k, v)| format!("{k}={v}")).collect();
        let envp = cstrings(env.iter().map(String::as_str))?;
        Ok(ChildArgs { argv, envp })
    }
}

/// The program's ends of its descriptors: held by the helper only until the
/// child has them, then closed here.
struct ChildEnds {
    /// Its stdin: bytes in a memfd, a file of the box, a pipe from another
    /// box, a live pipe's read end, or /dev/null.
    stdin: OwnedFd,
    /// Its stdout when that is a pipe to another box (`stdio_fds`).
    stdout: Option<OwnedFd>,
    out_w: OwnedFd,
    err_w: OwnedFd,
    /// The write end of init's report pipe.
    st_w: OwnedFd,
}

/// The helper's ends of a run's descriptors.
struct RunIo {
    out_r: OwnedFd,
    err_r: OwnedFd,
    /// The read end of init's report pipe.
    st_r: OwnedFd,
    live: Option<LiveIn>,
    proxy: Option<std::net::TcpListener>,
}

impl RunIo {
    /// What the watch polls, in this order: stdout, stderr, init's report,
    /// the control socket, a live run's stdin pipe, the proxy's listener.
    /// The pipes become non-blocking.
    fn poll_set(&self, ctl: &File) -> [libc::pollfd; 6] {
        for fd in [&self.out_r, &self.err_r, &self.st_r] {
            set_nonblocking(fd.as_raw_fd());
        }
        [
            libc::pollfd { fd: self.out_r.as_raw_fd(), events: libc::POLLIN, revents: 0 },
            libc::pollfd { fd: self.err_r.as_raw_fd(), events: libc::POLLIN, revents: 0 },
            libc::pollfd { fd: self.st_r.as_raw_fd(), events: libc::POLLIN, revents: 0 },
            // The library's end: a hang-up means Flash is gone, and so must the run be.
            libc::pollfd { fd: ctl.as_raw_fd(), events: libc::POLLRDHUP, revents: 0 },
            // A live run's stdin pipe, while it has input waiting.
            libc::pollfd { fd: -1, events: libc::POLLOUT, revents: 0 },
            // The proxy's listener, in a run with network.
            libc::pollfd { fd: self.proxy.as_ref().map_or(-1, |l| l.as_raw_fd()), events: libc::POLLIN, revents: 0 },
        ]
    }
}

/// Opens the run's pipes and resolves its stdin.
fn open_io(spec: &RunSpec, input: Input, output: Option<OwnedFd>) -> Result<(RunIo, ChildEnds), Error> {
    let proxy = open_proxy(spec)?;
    let (stdin, live) = match input {
        Input::Live(r, w) => {
            set_nonblocking(w.as_raw_fd());
            (r, Some(LiveIn { pipe: Some(w), pending: Vec::new(), close: false }))
        }
        Input::Fd(fd) => (fd, None),
        Input::Null => (OwnedFd::from(File::open("/dev/null").map_err(Error::io("/dev/null"))?), None),
    };
    let (out_r, out_w) = sys::pipe().map_err(Error::io("pipe"))?;
    let (err_r, err_w) = sys::pipe().map_err(Error::io("pipe"))?;
    let (st_r, st_w) = sys::pipe().map_err(Error::io("pipe"))?;
    let io = RunIo { out_r, err_r, st_r, live, proxy };
    Ok((io, ChildEnds { stdin, stdout: output, out_w, err_w, st_w }))
}

/// The run's cgroup before the run: what the run's own figures are measured
/// against.
struct Baseline {
    /// The run's own cgroup, where the slot's peak cannot be reset.
    run_cg: Option<flash_cgroup::RunCgroup>,
    method: MemoryMethod,
    /// The peak before the run (read only where it cannot be reset).
    peak0: u64,
    /// Memory charged before the run.
    mem_base: u64,
    /// The memory limit as set (base included).
    mem_limit: u64,
    /// The helper sits in the run's cgroup: its own CPU time is subtracted.
    shares_cgroup: bool,
    oom0: u64,
    limit_events0: u64,
    cpu0: u64,
    /// The kernel-mode part of `cpu0`, where the kernel says.
    sys0: Option<u64>,
    /// The helper's own CPU time before the run.
    self0: u64,
}

impl Baseline {
    /// CPU time of the run so far, ns: the cgroup's, less the helper's own
    /// where it shares the cgroup.
    fn cpu_used(&self, cg: &flash_cgroup::Controls) -> u64 {
        let cg_ns = cg.cpu_usage_ns().unwrap_or(self.cpu0).saturating_sub(self.cpu0);
        match self.shares_cgroup {
            true => cg_ns.saturating_sub(sys::self_cpu_ns() - self.self0),
            false => cg_ns,
        }
    }
}

/// Clones the box's init into fresh namespaces (and into the run's own
/// cgroup, if it has one). The child never returns from here.
fn start_box(prepared: &Prepared, run_cg: Option<&flash_cgroup::RunCgroup>) -> Result<libc::pid_t, Error> {
    // SAFETY: the helper is single-threaded, so a fork-style clone is sound;
    // the child only runs `box_init`, which makes raw syscalls on `prepared`.
    let pid = unsafe {
        match run_cg {
            Some(r) => sys::clone3_into_cgroup(RUN_NAMESPACES as u64, r.dir_fd()),
            None => libc::syscall(
                libc::SYS_clone,
                (RUN_NAMESPACES | libc::SIGCHLD) as libc::c_ulong,
                0usize,
                0usize,
                0usize,
                0usize,
            ),
        }
    };
    if pid == 0 {
        // SAFETY: we are the freshly cloned child.
        unsafe { child::box_init(prepared) }
    }
    if pid < 0 {
        return Err(Error::Io("clone".into(), std::io::Error::last_os_error()));
    }
    Ok(pid as libc::pid_t)
}

/// The page a traced run's phases are stamped in ([`child::at`]), shared
/// with the box's init and the program's process until its `execve`.
struct StampPage(*mut u64);

impl StampPage {
    fn new() -> std::io::Result<StampPage> {
        // SAFETY: a fresh anonymous shared mapping; checked below.
        let p = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                4096,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_SHARED | libc::MAP_ANONYMOUS,
                -1,
                0,
            )
        };
        if p == libc::MAP_FAILED {
            return Err(std::io::Error::last_os_error());
        }
        Ok(StampPage(p.cast()))
    }

    /// The phases from `begun` (the run's start in the helper) on, in
    /// microseconds; none if a stamp is missing or out of order (the run
    /// did not get through every phase).
    fn phases(&self, begun: u64) -> Vec<(String, f64)> {
        // SAFETY: the page holds `at::ALL` slots; volatile, as other processes wrote them.
        let t: Vec<u64> = (0..child::at::ALL).map(|i| unsafe { self.0.add(i).read_volatile() }).collect();
        let mut ends = vec![begun];
        ends.extend(&t);
        if ends.windows(2).any(|w| w[1] < w[0]) {
            return Vec::new();
        }
        let names = std::iter::once("pipes, arguments and cgroup limits set").chain(child::PHASES);
        names.zip(ends.windows(2)).map(|(n, w)| (n.to_string(), (w[1] - w[0]) as f64 / 1e3)).collect()
    }
}

impl Drop for StampPage {
    fn drop(&mut self) {
        // SAFETY: our own mapping of 4096 bytes, unmapped once.
        unsafe { libc::munmap(self.0.cast(), 4096) };
    }
}

/// How the watch of a run ended.
struct Watched {
    /// The limit the helper stopped the run for (CPU, wall, output), if any.
    reason: Option<Status>,
    /// Init's report (see [`child::REPORT_LEN`]), when `got_report`.
    report: [u8; child::REPORT_LEN],
    got_report: bool,
    wall: Duration,
    /// The highest `memory.current` seen at a tick (0 if not sampled).
    sampled: u64,
    /// The program's stdout and stderr pipes not yet at end-of-file (-1 once there).
    open: [RawFd; 2],
    /// When the program ended, on the clock every process of this host
    /// shares: as init saw it, else (a limit ended it) when the watch did.
    ended: f64,
}

/// Reads init's report; whether it was whole.
fn read_report(st_r: &OwnedFd, report: &mut [u8; child::REPORT_LEN]) -> bool {
    // SAFETY: `report` is a writable buffer of its length.
    let n = unsafe { libc::read(st_r.as_raw_fd(), report.as_mut_ptr().cast(), report.len()) };
    n == report.len() as isize
}

/// Hands every waiting connection to the proxy over to the library, which relays it.
fn relay_connections(proxy: &std::net::TcpListener, ctl: &File) -> Result<(), Error> {
    while let Ok((conn, _)) = proxy.accept() {
        let head = [Kind::Connection as u8, 0, 0, 0, 0];
        sys::send_fds(ctl.as_raw_fd(), &head, &[conn.as_raw_fd()]).map_err(Error::io("control socket"))?;
    }
    Ok(())
}

impl Slot {
    /// Runs `spec` once. Output frames go to `ctl` as they come.
    /// With `output`, the program's stdout is that descriptor (a pipe to
    /// another box) rather than the captured pipe.
    ///
    /// The phases, in order: everything the child needs is made (no
    /// allocation after the clone); the cgroup's limits are set and its
    /// baselines read; the box's init is cloned; the run is watched until it
    /// ends or a limit is hit; the box is ended and its output drained; the
    /// run is measured against the baselines and judged.
    pub fn run(
        &self,
        spec: &RunSpec,
        input: Input,
        output: Option<OwnedFd>,
        private: RawFd,
        ctl: &mut File,
    ) -> Result<Measurement, Error> {
        let lim = &spec.limits;
        lim.validate().map_err(Error::Request)?;
        if spec.argv.is_empty() {
            return Err(Error::Request("argv is empty".into()));
        }
        let begun = child::monotonic_ns();
        let stamps = match spec.phases {
            true => Some(StampPage::new().map_err(Error::io("phase stamps"))?),
            false => None,
        };
        let (mut io, ends) = open_io(spec, input, output)?;
        let args = ChildArgs::new(spec, io.proxy.is_some())?;
        let mut prepared = self.prepare_child(spec, &args, &ends, io.live.as_ref(), private)?;
        prepared.stamps = stamps.as_ref().map_or(std::ptr::null_mut(), |s| s.0);
        let base = self.set_limits(lim)?;
        let cg = self.run_controls(&base);
        let start = Instant::now();
        // SAFETY: null or a page of `child::at::ALL` slots, alive until the run ends.
        unsafe { child::stamp(prepared.stamps, child::at::CLONE) };
        let pid = start_box(&prepared, base.run_cg.as_ref())?;
        // The child's ends of the pipes are the child's alone now.
        drop(ends);
        let mut out = Output { ctl, budget: kb(lim.output_kb), used: 0, exceeded: false };
        let watched = match self.watch(pid, &mut io, &mut out, &base, lim, start) {
            Ok(w) => w,
            Err(e) => {
                // The library hung up (a cancel) or the run cannot go on: the
                // box ends before the error is told, so when the library
                // hears it (or sees this helper exit) no process of the box
                // is left, whatever becomes of this helper next.
                end_box(pid);
                return Err(e);
            }
        };
        // SAFETY: as above.
        unsafe { child::stamp(prepared.stamps, child::at::REPORTED) };
        let usage = end_box(pid);
        // SAFETY: as above.
        unsafe { child::stamp(prepared.stamps, child::at::REAPED) };
        // Every process of the run is gone (init's end waits for them all), but
        // what it left in the box's tmpfs is still charged here, and the helper
        // shares this cgroup: it may need memory now (to drain the pipes, to
        // collect files). Where it cannot make itself unkillable (no
        // CAP_SYS_RESOURCE) the kernel would take it for an OOM victim. Lift
        // the limit; the next run sets its own.
        if base.shares_cgroup {
            cg.set_memory_limit(UNLIMITED).map_err(cgerr)?;
        }
        out.drain(watched.open)?;
        let output_exceeded = out.exceeded;
        let got_report = watched.got_report;
        let mut m = self.measure(base, lim, watched, &usage, output_exceeded)?;
        if let (Some(s), true) = (&stamps, got_report) {
            m.phases = s.phases(begun);
        }
        Ok(m)
    }

    /// The cgroup the run is limited and measured in.
    fn run_controls<'a>(&'a self, base: &'a Baseline) -> &'a flash_cgroup::Controls {
        base.run_cg.as_ref().map_or(&self.cgroup, |r| r.controls())
    }

    /// Everything the child side needs, as raw pointers and descriptors.
    fn prepare_child<'a>(
        &'a self,
        spec: &RunSpec,
        args: &ChildArgs,
        ends: &ChildEnds,
        live: Option<&LiveIn>,
        private: RawFd,
    ) -> Result<Prepared<'a>, Error> {
        let cwd = spec.cwd.clone().unwrap_or_else(|| "/box".into());
        let path = resolve(&spec.argv[0], &spec.env, &cwd);
        Ok(Prepared {
            path: CString::new(path).map_err(|_| Error::Request("NUL in program path".into()))?,
            argv: ptrs(&args.argv),
            envp: ptrs(&args.envp),
            cwd: CString::new(cwd).map_err(|_| Error::Request("NUL in cwd".into()))?,
            stdin: ends.stdin.as_raw_fd(),
            stdout: ends.stdout.as_ref().map_or(ends.out_w.as_raw_fd(), |o| o.as_raw_fd()),
            stderr: if spec.merge_stderr { ends.out_w.as_raw_fd() } else { ends.err_w.as_raw_fd() },
            status_w: ends.st_w.as_raw_fd(),
            live_w: live.and_then(|l| l.pipe.as_ref()).map_or(-1, |p| p.as_raw_fd()),
            watch_stdin: spec.stdio_fds,
            rlimits: rlimits(&spec.limits),
            uid: self.uid,
            gid: self.gid,
            seccomp: if spec.debugger { &self.seccomp_debugger } else { &self.seccomp_default },
            cpu: spec.cpu,
            private,
            stamps: std::ptr::null_mut(),
        })
    }

    /// Sets the run's memory and pids limits and reads the baselines. The
    /// helper sits in the slot's cgroup too: its own CPU time is subtracted,
    /// and memory is reported above the starting level. Where the slot's
    /// peak cannot be reset, the run gets a fresh cgroup of its own.
    fn set_limits(&self, lim: &Limits) -> Result<Baseline, Error> {
        let run_cg = if self.run_cgroups {
            self.prepare_next_run()?;
            self.next_run.borrow_mut().take()
        } else {
            None
        };
        let cg = run_cg.as_ref().map_or(&self.cgroup, |r| r.controls());
        let method = cg.memory_method();
        cg.reset_memory_peak().map_err(cgerr)?;
        // Where the peak cannot be reset, only a new record says something of this run.
        let peak0 = match method {
            MemoryMethod::LifetimePeak => cg.memory_peak().map_err(cgerr)?,
            _ => 0,
        };
        let mem_base = cg.memory_usage().map_err(cgerr)?;
        // The helper's own CPU time and memory count only where it shares the cgroup.
        let shares_cgroup = run_cg.is_none();
        let mem_limit = kernel_limit(kb(lim.memory_kb), mem_base, shares_cgroup, self.resident);
        cg.set_memory_limit(mem_limit).map_err(cgerr)?;
        cg.set_pids_max(lim.processes + 2).map_err(cgerr)?;
        let oom0 = cg.oom_kills().map_err(cgerr)?;
        let limit_events0 = cg.memory_limit_events().map_err(cgerr)?;
        let cpu0 = cg.cpu_usage_ns().map_err(cgerr)?;
        let sys0 = cg.cpu_system_ns().map_err(cgerr)?;
        let self0 = sys::self_cpu_ns();
        Ok(Baseline {
            run_cg,
            method,
            peak0,
            mem_base,
            mem_limit,
            shares_cgroup,
            oom0,
            limit_events0,
            cpu0,
            sys0,
            self0,
        })
    }

    /// Watches the run until init reports the program's end or a limit is
    /// hit: forwards its output, feeds a live run's stdin, serves its
    /// signals and proxy connections, checks CPU and wall time every tick.
    fn watch(
        &self,
        pid: libc::pid_t,
        io: &mut RunIo,
        out: &mut Output,
        base: &Baseline,
        lim: &Limits,
        start: Instant,
    ) -> Result<Watched, Error> {
        let cg = self.run_controls(base);
        let cpu_limit_ns = (lim.cpu_time * 1e9) as u64;
        let wall_limit = Duration::from_secs_f64(lim.wall_time);
        let mut fds = io.poll_set(out.ctl);
        let mut w = Watched {
            reason: None,
            report: [0u8; child::REPORT_LEN],
            got_report: false,
            wall: Duration::ZERO,
            sampled: 0,
            open: [-1, -1],
            ended: 0.0,
        };
        // Without a resettable peak, memory.current is sampled at every tick.
        let sample = base.method != MemoryMethod::ResettablePeak;
        loop {
            w.wall = start.elapsed();
            if sample {
                w.sampled = w.sampled.max(cg.memory_usage().unwrap_or(0));
            }
            if base.cpu_used(cg) > cpu_limit_ns {
                w.reason = Some(Status::TimeLimit);
                break;
            }
            if w.wall >= wall_limit {
                w.reason = Some(Status::WallTimeLimit);
                break;
            }
            if let Some(l) = &io.live {
                l.poll_for(&mut fds[3..5]);
            }
            let timeout = TICK.min(wall_limit - w.wall).as_millis().max(1) as libc::c_int;
            // SAFETY: `fds` is a valid array of pollfd of the given length.
            unsafe { libc::poll(fds.as_mut_ptr(), fds.len() as _, timeout) };
            for (i, kind) in [(0, Kind::Stdout), (1, Kind::Stderr)] {
                if fds[i].fd >= 0 && fds[i].revents != 0 && !out.pump(fds[i].fd, kind)? {
                    fds[i].fd = -1;
                }
            }
            if out.exceeded {
                w.reason = Some(Status::OutputLimit);
                break;
            }
            if let (Some(l), true) = (&mut io.live, fds[3].revents & libc::POLLIN != 0) {
                self.serve_live_frame(pid, l, out.ctl)?;
            }
            if fds[3].revents & (libc::POLLRDHUP | libc::POLLHUP | libc::POLLERR) != 0 {
                sys::kill(pid, libc::SIGKILL);
                return Err(Error::Helper("the library hung up during a run".into()));
            }
            if let (Some(l), true) = (&mut io.live, fds[4].revents != 0) {
                l.flush();
            }
            if let (Some(l), true) = (&io.proxy, fds[5].revents != 0) {
                relay_connections(l, out.ctl)?;
            }
            if fds[2].revents != 0 {
                w.wall = start.elapsed();
                w.got_report = read_report(&io.st_r, &mut w.report);
                break;
            }
        }
        w.open = [fds[0].fd, fds[1].fd];
        w.ended = match w.got_report {
            true => u64::from_ne_bytes(w.report[8..16].try_into().unwrap()) as f64 / 1e9,
            false => sys::monotonic_secs(),
        };
        Ok(w)
    }

    /// Reads one frame of a live run's input (stdin bytes, its end, a
    /// signal) and writes what the pipe takes. Anything else, or a library
    /// that hung up, ends the run.
    fn serve_live_frame(&self, pid: libc::pid_t, live: &mut LiveIn, ctl: &mut File) -> Result<(), Error> {
        match read_frame(ctl) {
            Ok((Kind::Stdin, data)) if data.is_empty() => live.close = true,
            Ok((Kind::Stdin, data)) => live.pending.extend_from_slice(&data),
            Ok((Kind::Signal, n)) => {
                let sig = n.get(..4).map_or(0, |b| i32::from_le_bytes(b.try_into().unwrap()));
                if (1..32).contains(&sig) {
                    // The program leads its own process group (setsid): signal all of it.
                    if let Some(p) = program_pid(&self.host_proc, pid) {
                        sys::kill(-p, sig);
                    }
                }
            }
            Ok((k, _)) => {
                sys::kill(pid, libc::SIGKILL);
                return Err(Error::Protocol(format!("unexpected {k:?} frame during a run")));
            }
            Err(_) => {
                sys::kill(pid, libc::SIGKILL);
                return Err(Error::Helper("the library hung up during a run".into()));
            }
        }
        live.flush();
        Ok(())
    }

    /// The run's figures and verdict, from the cgroup's counters against the
    /// baseline; the run's own cgroup, if any, is removed.
    fn measure(
        &self,
        base: Baseline,
        lim: &Limits,
        w: Watched,
        usage: &libc::rusage,
        output_exceeded: bool,
    ) -> Result<Measurement, Error> {
        let cg = self.run_controls(&base);
        let reason = match (w.reason, output_exceeded) {
            (None, true) => Some(Status::OutputLimit),
            (r, _) => r,
        };
        let cpu_ns = base.cpu_used(cg);
        let sys_ns = match (cg.cpu_system_ns().map_err(cgerr)?, base.sys0) {
            (Some(now), Some(before)) => now.saturating_sub(before),
            _ => 0,
        };
        let peak = match base.method {
            MemoryMethod::Sampled => 0,
            _ => cg.memory_peak().map_err(cgerr)?,
        };
        let oom = cg.oom_kills().map_err(cgerr)?.saturating_sub(base.oom0);
        let limit_events = cg.memory_limit_events().map_err(cgerr)?.saturating_sub(base.limit_events0);
        let memory = run_memory(MemoryFacts {
            method: base.method,
            peak0: base.peak0,
            peak,
            base: base.mem_base,
            sampled: w.sampled,
            max_rss: (usage.ru_maxrss.max(0) as u64).saturating_mul(1024),
            limit: base.mem_limit,
            asked: kb(lim.memory_kb),
            oom,
            limit_events,
        });
        let leftover = cg.pids_current().map_err(cgerr)?;
        if leftover > u64::from(base.shares_cgroup) {
            return Err(Error::Setup(format!("{leftover} processes left in the box's cgroup after the run")));
        }
        if let Some(r) = base.run_cg {
            self.cgroup.remove_run(r).map_err(cgerr)?;
        }
        let mut m = verdict(Verdict {
            reason,
            got_report: w.got_report,
            status: i32::from_ne_bytes(w.report[..4].try_into().unwrap()),
            exec_err: i32::from_ne_bytes(w.report[4..8].try_into().unwrap()),
            cpu_ns,
            sys_ns,
            cpu_limit_ns: (lim.cpu_time * 1e9) as u64,
            wall: w.wall,
            mem_kb: memory.bytes / 1024,
            memory_limit_hit: memory.limit_hit,
            over_asked: memory.over_asked,
            oom,
        });
        m.ended_monotonic = w.ended;
        m.stdin_hung_up =
            w.got_report && u32::from_ne_bytes(w.report[16..20].try_into().unwrap()) & child::REPORT_STDIN_HUNG_UP != 0;
        Ok(m)
    }
}

/// Ends the namespace (pid 1's death takes every other process with it)
/// and reaps init. Its usage covers the descendants it reaped: `ru_maxrss`
/// is the largest one's peak.
fn end_box(pid: libc::pid_t) -> libc::rusage {
    sys::kill(pid, libc::SIGKILL);
    let mut init_status = 0;
    // SAFETY: an all-zero rusage is valid.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: waiting for our own child; both pointers are valid.
    unsafe { libc::wait4(pid, &mut init_status, libc::__WALL, &mut usage) };
    usage
}

/// What a run's memory figures are made from.
struct MemoryFacts {
    method: MemoryMethod,
    /// The peak before the run (only read where it cannot be reset).
    peak0: u64,
    /// The peak after the run (0 where there is none).
    peak: u64,
    /// Memory charged to the slot before the run.
    base: u64,
    /// The highest `memory.current` seen at a tick (0 if not sampled).
    sampled: u64,
    /// The largest peak RSS among the processes the box's init reaped.
    max_rss: u64,
    /// The memory limit as set (base included).
    limit: u64,
    /// The memory asked for (base excluded): less than the limit less the
    /// base where the kernel could not be asked for so little.
    asked: u64,
    /// OOM kills during the run.
    oom: u64,
    /// Limit hits (reclaim at the limit) during the run.
    limit_events: u64,
}

struct RunMemory {
    /// The run's peak, bytes.
    bytes: u64,
    /// Evidence that this run reached its limit.
    limit_hit: bool,
    /// The run's peak went above a limit smaller than the kernel's.
    over_asked: bool,
}

/// The run's peak and whether it hit its limit, from the evidence this kernel
/// gives (see [`MemoryMethod`]): an exact peak where there is one for the run
/// alone, else the best sampled figure; the limit verdict from the run's own
/// OOM kills and limit events, and from an exact peak near the limit.
fn run_memory(f: MemoryFacts) -> RunMemory {
    let exact = match f.method {
        MemoryMethod::ResettablePeak => Some(f.peak),
        MemoryMethod::LifetimePeak if f.peak > f.peak0 => Some(f.peak),
        _ => None,
    };
    let bytes = match exact {
        Some(p) => p.saturating_sub(f.base),
        None => f.sampled.saturating_sub(f.base).max(f.max_rss),
    };
    let near_limit = exact.is_some_and(|p| p >= f.limit.saturating_sub(f.limit / 50));
    let over_asked = f.limit > f.asked + f.base && bytes > f.asked;
    RunMemory { bytes, limit_hit: f.oom > 0 || f.limit_events > 0 || near_limit || over_asked, over_asked }
}

/// The facts a verdict is made from.
struct Verdict {
    reason: Option<Status>,
    got_report: bool,
    status: i32,
    exec_err: i32,
    cpu_ns: u64,
    /// The kernel-mode part of `cpu_ns` (0 where the kernel does not say).
    sys_ns: u64,
    cpu_limit_ns: u64,
    wall: Duration,
    mem_kb: u64,
    memory_limit_hit: bool,
    /// The peak went above a limit smaller than the kernel's (see [`kernel_limit`]).
    over_asked: bool,
    oom: u64,
}

impl Verdict {
    /// Whether the run spent its time thrashing at its memory limit: it
    /// reached the limit, and the kernel kept reclaiming (the run's own file
    /// pages: its program's code, read back at once) instead of calling the
    /// OOM killer, so that most of its CPU time was kernel time, and it was
    /// busy (CPU time at least a tenth of the wall time: not a program that
    /// filled its memory and then slept). A program that grows to the limit
    /// on a cold page cache can do this until its time runs out (an R loop
    /// of `runif(1e6)` under 128 MiB: 0.26 s of user time, 6.9 s of kernel
    /// time, no OOM kill); what stopped it is memory, not an endless loop.
    fn thrashed(&self) -> bool {
        let busy = self.cpu_ns.saturating_mul(10) >= self.wall.as_nanos() as u64;
        self.memory_limit_hit && busy && self.sys_ns > 0 && self.sys_ns.saturating_mul(2) >= self.cpu_ns
    }
}

fn verdict(v: Verdict) -> Measurement {
    let mut m = Measurement {
        cpu_time: v.cpu_ns as f64 / 1e9,
        wall_time: v.wall.as_secs_f64(),
        memory_kb: v.mem_kb,
        memory_limit_hit: v.memory_limit_hit,
        ..Measurement::new(Status::Ok)
    };
    if v.got_report {
        if libc::WIFEXITED(v.status) {
            m.exit_code = Some(libc::WEXITSTATUS(v.status));
        } else if libc::WIFSIGNALED(v.status) {
            m.signal = Some(libc::WTERMSIG(v.status));
        }
    }
    let sig = m.signal.unwrap_or(0);
    m.status = if let Some(r) = v.reason {
        r
    } else if !v.got_report && v.oom > 0 {
        // The OOM killer chose the box's init: the whole run ended with it.
        Status::MemoryLimit
    } else if !v.got_report {
        m.message = Some("the box's init process ended without a report".into());
        Status::InternalError
    } else if v.exec_err != 0 {
        let (errno, step) = child::describe_exec_error(v.exec_err);
        m.exec_errno = Some(errno);
        m.message = Some(format!("{} failed: {}", step.describe(), std::io::Error::from_raw_os_error(errno)));
        if step == child::ExecStep::Execve {
            Status::ExecFailed
        } else {
            Status::InternalError
        }
    } else if (v.oom > 0 && m.exit_code != Some(0)) || v.over_asked {
        Status::MemoryLimit
    } else if v.cpu_ns > v.cpu_limit_ns || sig == libc::SIGXCPU {
        Status::TimeLimit
    } else if sig == libc::SIGXFSZ {
        Status::FileSizeLimit
    } else if sig != 0 {
        Status::Signaled
    } else if m.exit_code != Some(0) {
        Status::RuntimeError
    } else {
        Status::Ok
    };
    if matches!(m.status, Status::TimeLimit | Status::WallTimeLimit) && v.thrashed() {
        let clock = if m.status == Status::WallTimeLimit { "wall time" } else { "CPU time" };
        m.status = Status::MemoryLimit;
        m.message =
            Some(format!("memory limit exceeded: the {clock} ran out while the kernel reclaimed memory at the limit"));
    }
    if m.message.is_none() && m.status != Status::Ok {
        m.message = Some(match m.status {
            Status::RuntimeError => format!("exited with code {}", m.exit_code.unwrap_or(-1)),
            Status::Signaled => format!("killed by signal {sig}"),
            s => s.describe().to_owned(),
        });
    }
    m
}

#[cfg(test)]
mod tests {
    use super::*;

    const MB: u64 = 1 << 20;

    fn facts(method: MemoryMethod) -> MemoryFacts {
        MemoryFacts {
            method,
            peak0: 0,
            peak: 0,
            base: MB,
            sampled: 0,
            max_rss: 0,
            limit: 65 * MB,
            asked: 64 * MB,
            oom: 0,
            limit_events: 0,
        }
    }

    #[test]
    fn a_limit_below_the_kernels_is_judged_on_the_peak() {
        // Asked 2 MB, the kernel enforced 9 MB: a 3 MB peak is over the limit asked.
        let small = MemoryFacts { limit: 10 * MB, asked: 2 * MB, ..facts(MemoryMethod::ResettablePeak) };
        let m = run_memory(MemoryFacts { peak: 4 * MB, ..small });
        assert!(m.over_asked && m.limit_hit);
        let m = run_memory(MemoryFacts { peak: 2 * MB, ..small });
        assert!(!m.over_asked && !m.limit_hit);
        // Where the kernel enforces what was asked, a resident set above it
        // (file pages charged elsewhere) is no evidence.
        let m = run_memory(MemoryFacts { max_rss: 80 * MB, ..facts(MemoryMethod::Sampled) });
        assert!(!m.over_asked && !m.limit_hit);
    }

    #[test]
    fn the_shared_floor_keeps_the_helper_below_every_box_process() {
        let base = 3 * MB;
        assert_eq!(kernel_limit(2 * MB, base, false, 5 * MB), 5 * MB);
        assert_eq!(kernel_limit(2 * MB, base, true, MB), SHARED_FLOOR + base);
        assert_eq!(kernel_limit(2 * MB, base, true, 6 * MB), 15 * MB);
        assert_eq!(kernel_limit(512 * MB, base, true, 6 * MB), 515 * MB);
    }

    fn facts_of(got_report: bool, status: i32, oom: u64, over_asked: bool) -> Verdict {
        Verdict {
            reason: None,
            got_report,
            status,
            exec_err: 0,
            cpu_ns: 0,
            sys_ns: 0,
            cpu_limit_ns: 1,
            wall: Duration::ZERO,
            mem_kb: 0,
            memory_limit_hit: oom > 0 || over_asked,
            over_asked,
            oom,
        }
    }

    fn verdict_of(got_report: bool, status: i32, oom: u64, over_asked: bool) -> Status {
        verdict(facts_of(got_report, status, oom, over_asked)).status
    }

    #[test]
    fn a_run_out_of_time_thrashing_at_its_memory_limit_is_a_memory_verdict() {
        const S: u64 = 1_000_000_000;
        // Stopped by the CPU limit, 10 s: 9.6 s of it in the kernel, reclaiming at the limit.
        let thrash = Verdict {
            reason: Some(Status::TimeLimit),
            cpu_ns: 10 * S,
            sys_ns: 96 * S / 10,
            wall: Duration::from_secs(11),
            memory_limit_hit: true,
            ..facts_of(false, 0, 0, false)
        };
        let m = verdict(Verdict { ..thrash });
        assert_eq!(m.status, Status::MemoryLimit);
        assert!(m.message.as_deref().unwrap().contains("CPU time ran out"), "{:?}", m.message);
        let wall = verdict(Verdict { reason: Some(Status::WallTimeLimit), wall: Duration::from_secs(19), ..thrash });
        assert_eq!(wall.status, Status::MemoryLimit);
        assert!(wall.message.as_deref().unwrap().contains("wall time ran out"), "{:?}", wall.message);
        // An endless loop in user mode that once touched the limit is a time verdict.
        let spin = Verdict { sys_ns: S / 10, ..thrash };
        assert_eq!(verdict(spin).status, Status::TimeLimit);
        // Kernel time without the limit ever reached (a syscall loop) is a time verdict.
        assert_eq!(verdict(Verdict { memory_limit_hit: false, ..thrash }).status, Status::TimeLimit);
        // Allocated to the limit, then slept: little CPU against the wall time.
        let sleeper = Verdict {
            reason: Some(Status::WallTimeLimit),
            cpu_ns: S / 5,
            sys_ns: S / 6,
            wall: Duration::from_secs(20),
            ..thrash
        };
        assert_eq!(verdict(sleeper).status, Status::WallTimeLimit);
        // A kernel that does not report kernel time changes nothing.
        assert_eq!(verdict(Verdict { sys_ns: 0, ..thrash }).status, Status::TimeLimit);
    }

    #[test]
    fn memory_verdicts() {
        assert_eq!(verdict_of(true, 0, 0, false), Status::Ok);
        assert_eq!(verdict_of(true, 0, 0, true), Status::MemoryLimit, "exit 0 above the limit asked");
        assert_eq!(verdict_of(true, 9, 1, false), Status::MemoryLimit);
        assert_eq!(verdict_of(false, 0, 1, false), Status::MemoryLimit, "init was the OOM victim");
        assert_eq!(verdict_of(false, 0, 0, false), Status::InternalError);
    }

    #[test]
    fn a_resettable_peak_is_the_figure_and_near_the_limit_is_evidence() {
        let m = run_memory(MemoryFacts { peak: 11 * MB, sampled: 40 * MB, ..facts(MemoryMethod::ResettablePeak) });
        assert_eq!((m.bytes, m.limit_hit), (10 * MB, false));
        let m = run_memory(MemoryFacts { peak: 64 * MB + MB / 2, ..facts(MemoryMethod::ResettablePeak) });
        assert!(m.limit_hit);
    }

    #[test]
    fn a_lifetime_peak_counts_only_when_the_run_sets_a_record() {
        // After a 150 MB run: the peak stays at 151 MB, the run used ~8 MB.
        let old = MemoryFacts {
            peak0: 151 * MB,
            peak: 151 * MB,
            sampled: 6 * MB,
            max_rss: 8 * MB,
            ..facts(MemoryMethod::LifetimePeak)
        };
        let m = run_memory(old);
        assert_eq!((m.bytes, m.limit_hit), (8 * MB, false), "sampled figure, no MLE from the old peak");
        let record = MemoryFacts { peak0: 20 * MB, peak: 41 * MB, ..facts(MemoryMethod::LifetimePeak) };
        assert_eq!(run_memory(record).bytes, 40 * MB);
    }

    #[test]
    fn without_a_peak_the_best_sample_wins_and_events_decide_the_limit() {
        let m = run_memory(MemoryFacts { sampled: 30 * MB, max_rss: 12 * MB, ..facts(MemoryMethod::Sampled) });
        assert_eq!((m.bytes, m.limit_hit), (29 * MB, false));
        let m = run_memory(MemoryFacts { sampled: 2 * MB, max_rss: 12 * MB, ..facts(MemoryMethod::Sampled) });
        assert_eq!(m.bytes, 12 * MB);
        assert!(run_memory(MemoryFacts { oom: 1, ..facts(MemoryMethod::Sampled) }).limit_hit);
        assert!(run_memory(MemoryFacts { limit_events: 3, ..facts(MemoryMethod::Sampled) }).limit_hit);
    }
}
