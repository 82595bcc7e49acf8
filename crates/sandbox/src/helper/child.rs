//! The two processes of a run, on the far side of `clone`.
//!
//! `box_init` is pid 1 of the run's fresh pid namespace: it mounts /proc, starts
//! the program, waits for it and reports its wait status. When it exits, the
//! kernel kills every process left in the namespace, which is how a run's
//! daemons and fork bombs end. `exec_program` turns the second process into the
//! untrusted program: fds, limits, identity, seccomp, then `execve`.
//!
//! Nothing here allocates: everything was prepared in [`Prepared`] before the
//! clone, and every call is a raw syscall.

use flash_seccomp::Program;
use std::ffi::{c_char, CString};
use std::os::fd::RawFd;

/// Everything the child side needs, built before `clone`.
pub struct Prepared<'a> {
    pub path: CString,
    pub argv: Vec<*const c_char>,
    pub envp: Vec<*const c_char>,
    pub cwd: CString,
    pub stdin: RawFd,
    pub stdout: RawFd,
    pub stderr: RawFd,
    /// Write end of the pipe that carries `[wait status, exec errno]` to the helper.
    pub status_w: RawFd,
    /// The helper's end of a live run's stdin pipe (-1 if none): init must not
    /// hold it, or the program never reads EOF.
    pub live_w: RawFd,
    /// stdin is a pipe from another box (`stdio_fds`): init keeps its read
    /// end and, when the program ends, tells whether every writer had
    /// already closed it (the other side ended or hung up first).
    pub watch_stdin: bool,
    /// (resource, soft, hard)
    pub rlimits: Vec<(libc::__rlimit_resource_t, u64, u64)>,
    pub uid: u32,
    pub gid: u32,
    pub seccomp: &'a Program,
    /// The CPU the box's processes run on, if pinned (see `RunSpec::cpu`).
    pub cpu: Option<u32>,
    /// The run's private output file (see `RunSpec::private_output`), given
    /// to the program as [`crate::spec::PRIVATE_OUTPUT_FD`]; -1 if none.
    pub private: RawFd,
    /// A page shared with the helper where the run's phases end
    /// ([`stamp`]); null unless the request asked ([`crate::RunSpec::phases`]).
    pub stamps: *mut u64,
}

/// Where a traced run's phases end, as slots of [`Prepared::stamps`]: each
/// holds CLOCK_MONOTONIC (ns) when it was reached, written by the helper,
/// the box's init, or the program's process before its `execve` (the page
/// is not mapped in the program itself).
pub mod at {
    pub const CLONE: usize = 0;
    pub const INIT: usize = 1;
    pub const PROC: usize = 2;
    pub const MASKED: usize = 3;
    pub const FORK: usize = 4;
    pub const PROGRAM: usize = 5;
    pub const FDS_AND_LIMITS: usize = 6;
    pub const IDENTITY: usize = 7;
    pub const SECCOMP: usize = 8;
    pub const ENDED: usize = 9;
    pub const REPORTED: usize = 10;
    pub const REAPED: usize = 11;
    /// How many there are.
    pub const ALL: usize = 12;
}

/// What happens between each stamp of [`at`] and the next.
pub const PHASES: [&str; at::ALL - 1] = [
    "clone into fresh namespaces, until init runs",
    "init mounts /proc",
    "init masks /proc",
    "init: hostname, OOM score, CPU",
    "fork, until the program's process runs",
    "its descriptors, session, directory, limits",
    "its capabilities and identity dropped",
    "its seccomp filter installed",
    "execve until init sees the program's end",
    "init's report reaches the helper",
    "init's end (the namespaces torn down)",
];

/// Marks stamp `i` of a traced run (nothing when `page` is null).
///
/// # Safety
/// `page` is null or a writable page of at least [`at::ALL`] slots.
pub unsafe fn stamp(page: *mut u64, i: usize) {
    if !page.is_null() {
        // SAFETY: as the caller promises; volatile, as other processes read it.
        unsafe { page.add(i).write_volatile(monotonic_ns()) };
    }
}

/// CLOCK_MONOTONIC, ns. Does not allocate.
pub fn monotonic_ns() -> u64 {
    let mut ts = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: `ts` is a valid out-pointer; clock_gettime does not allocate.
    unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC, &mut ts) };
    (ts.tv_sec as u64).saturating_mul(1_000_000_000).saturating_add(ts.tv_nsec as u64)
}

/// World-readable files of /proc that tell about the host, not the box: the
/// host's kernel command line (which carries agent ports and secrets on some
/// hosts), every user's key counts and the boot id. Each reads as empty.
/// (Root-only files such as kcore, kallsyms addresses or timer_list are
/// already closed to the box's user; /proc/keys shows only the reader's keys.)
const MASKED_FILES: [&std::ffi::CStr; 3] = [c"/proc/cmdline", c"/proc/key-users", c"/proc/sys/kernel/random/boot_id"];

/// Directories of /proc with host-wide state: the machine's pressure stall
/// figures. Each shows as empty.
const MASKED_DIRS: [&std::ffi::CStr; 1] = [c"/proc/pressure"];

/// An empty directory of the box's read-only root, bound over [`MASKED_DIRS`].
pub const EMPTY_DIR: &std::ffi::CStr = c"/.empty";

/// Hides [`MASKED_FILES`] behind /dev/null and [`MASKED_DIRS`] behind the
/// box's empty read-only directory, as container runtimes mask /proc. Bind
/// mounts only (a new tmpfs costs more, and this runs for every run): about
/// 20 us each. What a kernel does not have is skipped. Raw syscalls only:
/// runs in the box's pid 1.
unsafe fn mask_proc() {
    // SAFETY: static NUL-terminated strings; a failed mount changes nothing.
    unsafe {
        for f in MASKED_FILES {
            libc::mount(c"/dev/null".as_ptr(), f.as_ptr(), std::ptr::null(), libc::MS_BIND, std::ptr::null());
        }
        for d in MASKED_DIRS {
            libc::mount(EMPTY_DIR.as_ptr(), d.as_ptr(), std::ptr::null(), libc::MS_BIND, std::ptr::null());
        }
    }
}

/// Writes the whole buffer or gives up (nothing useful to do on failure here).
fn write_all(fd: RawFd, buf: &[u8]) {
    // SAFETY: `buf` is valid for `buf.len()` bytes.
    unsafe { libc::write(fd, buf.as_ptr().cast(), buf.len()) };
}

/// Pid 1 of the run. Never returns.
///
/// # Safety
/// Must run in the child of a `clone(CLONE_NEWPID|CLONE_NEWNS|...)` from the
/// single-threaded helper, with `p` built for this run.
pub unsafe fn box_init(p: &Prepared) -> ! {
    // SAFETY: raw syscalls on valid C strings and our own fds; nothing allocates.
    unsafe {
        stamp(p.stamps, at::INIT);
        // A /proc that shows only this namespace's processes.
        let flags = libc::MS_NOSUID | libc::MS_NODEV | libc::MS_NOEXEC;
        if libc::mount(c"proc".as_ptr(), c"/proc".as_ptr(), c"proc".as_ptr(), flags, std::ptr::null()) != 0 {
            report(p.status_w, 0, *libc::__errno_location() | 0x1000_0000);
        }
        stamp(p.stamps, at::PROC);
        mask_proc();
        stamp(p.stamps, at::MASKED);
        libc::sethostname(c"box".as_ptr(), 3);
        // The OOM killer should prefer the box's processes over anything else
        // on the host, init included: the helper may share its cgroup (see
        // `run::kernel_limit`). The program inherits the score.
        let fd = libc::open(c"/proc/self/oom_score_adj".as_ptr(), libc::O_WRONLY | libc::O_CLOEXEC);
        if fd >= 0 {
            libc::write(fd, b"1000".as_ptr().cast(), 4);
            libc::close(fd);
        }
        // A CPU the helper may not use (another cpuset) leaves the box unpinned.
        if let Some(cpu) = p.cpu.filter(|&c| (c as usize) < libc::CPU_SETSIZE as usize) {
            let mut set: libc::cpu_set_t = std::mem::zeroed();
            libc::CPU_SET(cpu as usize, &mut set);
            libc::sched_setaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &set);
        }
        let (mut errp, mut errp_w) = ([0; 2], 0);
        if libc::pipe2(errp.as_mut_ptr(), libc::O_CLOEXEC) == 0 {
            errp_w = errp[1];
        }
        stamp(p.stamps, at::FORK);
        let pid = libc::fork();
        if pid == 0 {
            stamp(p.stamps, at::PROGRAM);
            exec_program(p, errp_w);
        }
        if pid < 0 {
            report(p.status_w, 0, *libc::__errno_location() | 0x2000_0000);
        }
        // Hold nothing of the run's: the program's pipes must see EOF when it
        // is gone. (A read end of stdin kept here changes nothing for the
        // writer while the program lives, and init ends right after it.)
        let watched = if p.watch_stdin { p.stdin } else { -1 };
        for fd in [errp_w, p.stdin, p.stdout, p.stderr, p.live_w, p.private, 0] {
            if fd != watched {
                libc::close(fd);
            }
        }
        let mut status = 0;
        loop {
            let r = libc::wait4(-1, &mut status, libc::__WALL, std::ptr::null_mut());
            if r == pid || r < 0 {
                break;
            }
        }
        stamp(p.stamps, at::ENDED);
        let mut errno = [0u8; 4];
        let n = libc::read(errp[0], errno.as_mut_ptr().cast(), 4);
        let mut flags = 0;
        if watched >= 0 {
            let mut pfd = libc::pollfd { fd: watched, events: libc::POLLIN, revents: 0 };
            if libc::poll(&mut pfd, 1, 0) == 1 && pfd.revents & libc::POLLHUP != 0 {
                flags |= REPORT_STDIN_HUNG_UP;
            }
        }
        report_flags(p.status_w, status, if n == 4 { i32::from_ne_bytes(errno) } else { 0 }, flags);
    }
}

/// Bytes of init's report: wait status, exec errno, end time, flags.
pub const REPORT_LEN: usize = 20;

/// Report flag: when the program ended, its stdin pipe had no writer left.
pub const REPORT_STDIN_HUNG_UP: u32 = 1;

fn report(fd: RawFd, status: i32, errno: i32) -> ! {
    report_flags(fd, status, errno, 0)
}

/// Sends `[status, errno, now]` to the helper and exits, which ends the
/// namespace. `now` (CLOCK_MONOTONIC, ns) is when the program's end was seen
/// here, at once: the helper learns of it only when it next wakes, and two
/// boxes joined by pipes are ordered by it (which ended first).
fn report_flags(fd: RawFd, status: i32, errno: i32, flags: u32) -> ! {
    let now = monotonic_ns();
    let mut msg = [0u8; REPORT_LEN];
    msg[..4].copy_from_slice(&status.to_ne_bytes());
    msg[4..8].copy_from_slice(&errno.to_ne_bytes());
    msg[8..16].copy_from_slice(&now.to_ne_bytes());
    msg[16..].copy_from_slice(&flags.to_ne_bytes());
    write_all(fd, &msg);
    // SAFETY: _exit is always safe; it does not run destructors or atexit hooks.
    unsafe { libc::_exit(0) }
}

/// Becomes the untrusted program. On failure writes errno to `errfd` and exits 127.
unsafe fn exec_program(p: &Prepared, errfd: RawFd) -> ! {
    // SAFETY: raw syscalls with valid pointers prepared before clone; nothing allocates.
    unsafe {
        let fail = |step: i32| -> ! {
            let e = *libc::__errno_location();
            let code = if step == 0 { e } else { e | (step << 24) };
            write_all(errfd, &code.to_ne_bytes());
            libc::_exit(127)
        };
        // stdio first: the pipes are fds >= 3, so the dups cannot clobber each other.
        if libc::dup2(p.stdin, 0) < 0 || libc::dup2(p.stdout, 1) < 0 || libc::dup2(p.stderr, 2) < 0 {
            fail(1);
        }
        // The private output file out of the way of the next dups (it may be fd 3 or 4).
        let private = match p.private {
            -1 => -1,
            fd => libc::fcntl(fd, libc::F_DUPFD_CLOEXEC, 16),
        };
        // Keep only stdio, the exec-error pipe (moved to fd 3, close-on-exec)
        // and the private output file (fd 4, inherited).
        let err3 = if errfd == 3 { 3 } else { libc::dup3(errfd, 3, libc::O_CLOEXEC) };
        if err3 != 3 {
            fail(2);
        }
        let keep = if p.private == -1 { 3u32 } else { crate::spec::PRIVATE_OUTPUT_FD as u32 };
        if keep > 3 && (private < 0 || libc::dup3(private, keep as i32, 0) != keep as i32) {
            fail(9);
        }
        libc::syscall(libc::SYS_close_range, keep + 1, u32::MAX, 0u32);
        let errfd = 3;
        let fail = |step: i32| -> ! {
            let e = *libc::__errno_location();
            write_all(errfd, &(e | (step << 24)).to_ne_bytes());
            libc::_exit(127)
        };
        // The OOM killer prefers the program over anything else on the host:
        // it inherits init's `oom_score_adj` of 1000.
        // A session of its own: no controlling terminal, its own process group.
        libc::setsid();
        // Back to normal priority: only the helper, the watchdog, runs above it.
        libc::setpriority(libc::PRIO_PROCESS, 0, 0);
        if libc::chdir(p.cwd.as_ptr()) != 0 {
            fail(3);
        }
        for &(res, soft, hard) in &p.rlimits {
            let r = libc::rlimit { rlim_cur: soft, rlim_max: hard };
            if libc::setrlimit(res, &r) != 0 {
                fail(4);
            }
        }
        stamp(p.stamps, at::FDS_AND_LIMITS);
        // Drop every capability from the bounding set while we still may.
        // Capabilities are numbered from 0 to the kernel's last without a
        // gap, so the first EINVAL (a number it does not know) ends the list
        // (23 calls fewer than trying all 64 on a 6.x kernel).
        for cap in 0..=63 {
            let z: libc::c_ulong = 0;
            if libc::prctl(libc::PR_CAPBSET_DROP, cap as libc::c_ulong, z, z, z) != 0 {
                if *libc::__errno_location() == libc::EINVAL && cap > 0 {
                    break;
                }
                fail(5);
            }
        }
        // Identity: no supplementary groups, then gid, then uid (which clears all capabilities).
        if libc::setgroups(0, std::ptr::null()) != 0 {
            fail(6);
        }
        if libc::setresgid(p.gid, p.gid, p.gid) != 0 || libc::setresuid(p.uid, p.uid, p.uid) != 0 {
            fail(7);
        }
        // Last before exec: no_new_privs and the seccomp filter.
        stamp(p.stamps, at::IDENTITY);
        if p.seccomp.install().is_err() {
            fail(8);
        }
        stamp(p.stamps, at::SECCOMP);
        libc::execve(p.path.as_ptr(), p.argv.as_ptr(), p.envp.as_ptr());
        fail(0)
    }
}

/// Which step of starting the program failed: the program itself could not
/// be executed (a verdict: Exec Format Error and the like), or the box's
/// set-up failed (an internal error), in words.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExecStep {
    Execve,
    SetUp(&'static str),
}

impl ExecStep {
    /// The step in words, for messages.
    pub fn describe(self) -> &'static str {
        match self {
            ExecStep::Execve => "execve",
            ExecStep::SetUp(what) => what,
        }
    }
}

/// Turns the step tag added by `exec_program` into (errno, step).
pub fn describe_exec_error(code: i32) -> (i32, ExecStep) {
    let step = (code >> 24) & 0x7f;
    let errno = code & 0x00ff_ffff;
    let what = match step {
        0 => return (errno, ExecStep::Execve),
        1 => "dup2 stdio",
        2 => "dup3 error pipe",
        3 => "chdir to the working directory",
        4 => "setrlimit",
        5 => "drop capability bounding set",
        6 => "setgroups",
        7 => "setresgid/setresuid",
        8 => "install seccomp filter",
        9 => "dup3 private output",
        0x10 => "mount /proc",
        0x20 => "fork",
        _ => "unknown step",
    };
    (errno, ExecStep::SetUp(what))
}
