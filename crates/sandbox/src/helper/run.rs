//! One run inside a prepared slot: place the files, start the program in fresh
//! namespaces, watch it (output, CPU, wall time), end it, measure it.

use super::child::{self, Prepared};
use super::Slot;
use crate::protocol::{write_frame, Kind};
use crate::spec::{check_box_path, Measurement, RunSpec, Status};
use crate::{sys, Error};
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

/// Namespaces made fresh for every run. The network namespace is the slot's
/// (made once: it costs about a millisecond) and holds nothing between runs,
/// since every process of a run is dead before the next starts.
const RUN_NAMESPACES: libc::c_int =
    libc::CLONE_NEWPID | libc::CLONE_NEWNS | libc::CLONE_NEWIPC | libc::CLONE_NEWUTS | libc::CLONE_NEWCGROUP;

/// Where the program's stdin comes from, resolved by the helper.
pub enum Input {
    Null,
    Fd(OwnedFd),
}

/// Reads a file the program left in /box: regular files only, never through a
/// symlink, at most `cap` bytes.
pub fn collect_file(path: &str, cap: u64) -> Option<(u32, Vec<u8>)> {
    let f = open_box_file(path)?;
    let meta = f.metadata().ok()?;
    if meta.len() > cap {
        return None;
    }
    let mut data = Vec::with_capacity(meta.len() as usize);
    f.take(cap).read_to_end(&mut data).ok()?;
    Some((meta.permissions().mode() & 0o777, data))
}

/// Expands `*.ext` into the top-level files of /box with that extension
/// (sorted); any other path stands for itself.
pub fn expand_pattern(p: &str) -> Vec<String> {
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
}

impl Slot {
    /// Runs `spec` once. Output frames go to `ctl` as they come.
    pub fn run(&self, spec: &RunSpec, input: Input, ctl: &mut File) -> Result<Measurement, Error> {
        let lim = &spec.limits;
        lim.validate().map_err(Error::Request)?;
        if spec.argv.is_empty() {
            return Err(Error::Request("argv is empty".into()));
        }
        let cwd = spec.cwd.clone().unwrap_or_else(|| "/box".into());
        let path = resolve(&spec.argv[0], &spec.env, &cwd);

        // Everything the child needs, allocated now.
        let argv = cstrings(spec.argv.iter().map(String::as_str))?;
        let env: Vec<String> = spec.env.iter().map(|(k, v)| format!("{k}={v}")).collect();
        let envp = cstrings(env.iter().map(String::as_str))?;
        let null;
        let stdin_fd = match &input {
            Input::Fd(fd) => fd.as_raw_fd(),
            Input::Null => {
                null = File::open("/dev/null").map_err(Error::io("/dev/null"))?;
                null.as_raw_fd()
            }
        };
        let (out_r, out_w) = sys::pipe().map_err(Error::io("pipe"))?;
        let (err_r, err_w) = sys::pipe().map_err(Error::io("pipe"))?;
        let (st_r, st_w) = sys::pipe().map_err(Error::io("pipe"))?;
        let kb = |v: u64| v.saturating_mul(1024);
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
        let prepared = Prepared {
            path: CString::new(path).map_err(|_| Error::Request("NUL in program path".into()))?,
            argv: ptrs(&argv),
            envp: ptrs(&envp),
            cwd: CString::new(cwd).map_err(|_| Error::Request("NUL in cwd".into()))?,
            stdin: stdin_fd,
            stdout: out_w.as_raw_fd(),
            stderr: if spec.merge_stderr { out_w.as_raw_fd() } else { err_w.as_raw_fd() },
            status_w: st_w.as_raw_fd(),
            rlimits,
            uid: self.uid,
            gid: self.gid,
            seccomp: if spec.debugger { &self.seccomp_debugger } else { &self.seccomp_default },
        };

        // Limits and baselines. The helper sits in this cgroup too: its own CPU
        // time is subtracted, and memory is reported above the starting level.
        let cg = &self.cgroup;
        let cgerr = |e: flash_cgroup::Error| Error::Cgroup(e.to_string());
        cg.reset_memory_peak().map_err(cgerr)?;
        let mem_base = cg.memory_usage().map_err(cgerr)?;
        let mem_limit = kb(lim.memory_kb) + mem_base;
        cg.set_memory_limit(mem_limit).map_err(cgerr)?;
        cg.set_pids_max(lim.processes + 2).map_err(cgerr)?;
        let oom0 = cg.oom_kills().map_err(cgerr)?;
        let cpu0 = cg.cpu_usage_ns().map_err(cgerr)?;
        let self0 = sys::self_cpu_ns();
        let start = Instant::now();

        // SAFETY: the helper is single-threaded, so a fork-style clone is sound;
        // the child only runs `box_init`, which makes raw syscalls on `prepared`.
        let pid = unsafe {
            libc::syscall(
                libc::SYS_clone,
                (RUN_NAMESPACES | libc::SIGCHLD) as libc::c_ulong,
                0usize,
                0usize,
                0usize,
                0usize,
            )
        };
        if pid == 0 {
            // SAFETY: we are the freshly cloned child.
            unsafe { child::box_init(&prepared) }
        }
        if pid < 0 {
            return Err(Error::Io("clone".into(), std::io::Error::last_os_error()));
        }
        let pid = pid as libc::pid_t;
        // The child's ends of the pipes are the child's alone now.
        drop((out_w, err_w, st_w, input));

        let mut out = Output { ctl, budget: kb(lim.output_kb), used: 0, exceeded: false };
        let cpu_used = || {
            let cg_ns = cg.cpu_usage_ns().unwrap_or(cpu0).saturating_sub(cpu0);
            cg_ns.saturating_sub(sys::self_cpu_ns() - self0)
        };
        let cpu_limit_ns = (lim.cpu_time * 1e9) as u64;
        let wall_limit = Duration::from_secs_f64(lim.wall_time);
        for fd in [&out_r, &err_r, &st_r] {
            set_nonblocking(fd.as_raw_fd());
        }
        let mut fds = [
            libc::pollfd { fd: out_r.as_raw_fd(), events: libc::POLLIN, revents: 0 },
            libc::pollfd { fd: err_r.as_raw_fd(), events: libc::POLLIN, revents: 0 },
            libc::pollfd { fd: st_r.as_raw_fd(), events: libc::POLLIN, revents: 0 },
            // The library's end: a hang-up means Flash is gone, and so must the run be.
            libc::pollfd { fd: out.ctl.as_raw_fd(), events: libc::POLLRDHUP, revents: 0 },
        ];
        let mut reason = None;
        let mut report = [0u8; 8];
        let mut got_report = false;
        let mut wall;
        loop {
            wall = start.elapsed();
            if cpu_used() > cpu_limit_ns {
                reason = Some(Status::TimeLimit);
                break;
            }
            if wall >= wall_limit {
                reason = Some(Status::WallTimeLimit);
                break;
            }
            let timeout = TICK.min(wall_limit - wall).as_millis().max(1) as libc::c_int;
            // SAFETY: `fds` is a valid array of pollfd of the given length.
            unsafe { libc::poll(fds.as_mut_ptr(), fds.len() as _, timeout) };
            for (i, kind) in [(0, Kind::Stdout), (1, Kind::Stderr)] {
                if fds[i].fd >= 0 && fds[i].revents != 0 && !out.pump(fds[i].fd, kind)? {
                    fds[i].fd = -1;
                }
            }
            if out.exceeded {
                reason = Some(Status::OutputLimit);
                break;
            }
            if fds[3].revents != 0 {
                sys::kill(pid, libc::SIGKILL);
                return Err(Error::Helper("the library hung up during a run".into()));
            }
            if fds[2].revents != 0 {
                wall = start.elapsed();
                // SAFETY: `report` is a writable buffer of 8 bytes.
                let n = unsafe { libc::read(st_r.as_raw_fd(), report.as_mut_ptr().cast(), 8) };
                got_report = n == 8;
                break;
            }
        }
        // End the namespace: pid 1's death takes every other process with it.
        sys::kill(pid, libc::SIGKILL);
        let mut init_status = 0;
        // SAFETY: waiting for our own child.
        unsafe { libc::waitpid(pid, &mut init_status, libc::__WALL) };
        // Every writer is dead: drain what is left in the pipes, within the budget.
        for (i, kind) in [(0, Kind::Stdout), (1, Kind::Stderr)] {
            if fds[i].fd >= 0 && !out.exceeded {
                out.pump(fds[i].fd, kind)?;
            }
        }
        if out.exceeded && reason.is_none() {
            reason = Some(Status::OutputLimit);
        }
        let cpu_ns = cpu_used();
        let peak = cg.memory_peak().map_err(cgerr)?;
        let oom = cg.oom_kills().map_err(cgerr)?.saturating_sub(oom0);
        let leftover = cg.pids_current().map_err(cgerr)?;
        if leftover > 1 {
            return Err(Error::Setup(format!("{leftover} processes left in the box's cgroup after the run")));
        }
        let status = i32::from_ne_bytes(report[..4].try_into().unwrap());
        let exec_err = i32::from_ne_bytes(report[4..].try_into().unwrap());
        Ok(verdict(Verdict {
            reason,
            got_report,
            status,
            exec_err,
            cpu_ns,
            cpu_limit_ns,
            wall,
            mem_kb: peak.saturating_sub(mem_base) / 1024,
            memory_limit_hit: oom > 0 || peak >= mem_limit.saturating_sub(mem_limit / 50),
            oom,
        }))
    }
}

/// The facts a verdict is made from.
struct Verdict {
    reason: Option<Status>,
    got_report: bool,
    status: i32,
    exec_err: i32,
    cpu_ns: u64,
    cpu_limit_ns: u64,
    wall: Duration,
    mem_kb: u64,
    memory_limit_hit: bool,
    oom: u64,
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
    } else if !v.got_report {
        m.message = Some("the box's init process ended without a report".into());
        Status::InternalError
    } else if v.exec_err != 0 {
        let (errno, step) = child::describe_exec_error(v.exec_err);
        m.exec_errno = Some(errno);
        m.message = Some(format!("{step} failed: {}", std::io::Error::from_raw_os_error(errno)));
        if step == "execve" {
            Status::ExecFailed
        } else {
            Status::InternalError
        }
    } else if v.oom > 0 && m.exit_code != Some(0) {
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
    if m.message.is_none() && m.status != Status::Ok {
        m.message = Some(match m.status {
            Status::RuntimeError => format!("exited with code {}", m.exit_code.unwrap_or(-1)),
            Status::Signaled => format!("killed by signal {sig}"),
            s => s.describe().to_owned(),
        });
    }
    m
}
