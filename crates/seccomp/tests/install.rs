//! The real filter, installed in forked children. No root needed: `install`
//! sets `no_new_privs` itself.
//!
//! The test harness is multi-threaded, so a child makes only raw syscalls and
//! `_exit`s: it reports a failed check with a distinct exit code instead of
//! panicking (unwinding in a forked child could deadlock on a lock some other
//! thread held at fork time).

use std::arch::asm;
use std::io;

use flash_seccomp::{Policy, Profile, Program};
use libc::c_long;

fn program(profile: Profile) -> Program {
    Policy::shipped().unwrap().compile(profile).unwrap()
}

/// Forks, runs `child` in the child and `_exit`s with what it returns;
/// returns the child's wait status.
fn in_child(child: impl FnOnce() -> i32) -> libc::c_int {
    // SAFETY: the child only makes raw syscalls (no allocation, no locks)
    // before `_exit`, so the other threads' state it inherits does not matter.
    let pid = unsafe { libc::fork() };
    assert!(pid >= 0, "fork: {}", io::Error::last_os_error());
    if pid == 0 {
        // A seccomp kill would otherwise leave a core file behind.
        // SAFETY: prctl(PR_SET_DUMPABLE, 0) takes only integers.
        unsafe { libc::prctl(libc::PR_SET_DUMPABLE, 0 as libc::c_ulong) };
        let code = child();
        // SAFETY: ends the child at once, without the parent's atexit
        // handlers or destructors.
        unsafe { libc::_exit(code) };
    }
    let mut status = 0;
    // SAFETY: `status` is a valid place for waitpid to write to.
    let rc = unsafe { libc::waitpid(pid, &mut status, 0) };
    assert_eq!(rc, pid, "waitpid: {}", io::Error::last_os_error());
    status
}

/// A raw syscall with five arguments; `Err(errno)` on failure.
fn sys(nr: c_long, args: [c_long; 5]) -> Result<c_long, i32> {
    let [a, b, c, d, e] = args;
    // SAFETY: callers pass only integer or null-pointer arguments, so the
    // kernel reads and writes no memory of ours for these calls.
    let rc = unsafe { libc::syscall(nr, a, b, c, d, e) };
    if rc == -1 {
        Err(io::Error::last_os_error().raw_os_error().unwrap_or(0))
    } else {
        Ok(rc)
    }
}

fn describe(status: libc::c_int) -> String {
    if libc::WIFEXITED(status) {
        format!("exited with {}", libc::WEXITSTATUS(status))
    } else if libc::WIFSIGNALED(status) {
        format!("killed by signal {}", libc::WTERMSIG(status))
    } else {
        format!("wait status {status:#x}")
    }
}

fn assert_exit_0(status: libc::c_int) {
    assert!(
        libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0,
        "child {} (see the check with that number)",
        describe(status)
    );
}

fn assert_killed_by_sigsys(status: libc::c_int) {
    assert!(
        libc::WIFSIGNALED(status) && libc::WTERMSIG(status) == libc::SIGSYS,
        "child {}; expected SIGSYS from the seccomp filter",
        describe(status)
    );
}

const NEWNS: c_long = libc::CLONE_NEWNS as c_long;
const SIGCHLD: c_long = libc::SIGCHLD as c_long;

#[test]
fn default_filter_denies_and_allows() {
    let program = program(Profile::Default);
    let status = in_child(|| {
        if program.install().is_err() {
            return 10;
        }
        if sys(libc::SYS_unshare, [NEWNS, 0, 0, 0, 0]) != Err(libc::EPERM) {
            return 11;
        }
        if sys(libc::SYS_getpid, [0; 5]).is_err() {
            return 12;
        }
        // io_uring_setup(1, NULL): without the filter, EFAULT.
        if sys(libc::SYS_io_uring_setup, [1, 0, 0, 0, 0]) != Err(libc::ENOSYS) {
            return 13;
        }
        // clone3(NULL, 0): without the filter, EINVAL or EFAULT.
        if sys(libc::SYS_clone3, [0; 5]) != Err(libc::ENOSYS) {
            return 14;
        }
        let newuser = libc::CLONE_NEWUSER as c_long | SIGCHLD;
        if sys(libc::SYS_clone, [newuser, 0, 0, 0, 0]) != Err(libc::EPERM) {
            return 15;
        }
        let no_aslr = libc::ADDR_NO_RANDOMIZE as c_long;
        if sys(libc::SYS_personality, [no_aslr, 0, 0, 0, 0]) != Err(libc::EPERM) {
            return 16;
        }
        if sys(libc::SYS_personality, [0xffff_ffff, 0, 0, 0, 0]).is_err() {
            return 17;
        }
        // Not traced by our parent: without the filter, ESRCH.
        let ppid = sys(libc::SYS_getppid, [0; 5]).unwrap_or(1);
        let peek = [libc::PTRACE_PEEKDATA as c_long, ppid, 0, 0, 0];
        if sys(libc::SYS_ptrace, peek) != Err(libc::EPERM) {
            return 18;
        }
        plain_fork_works()
    });
    assert_exit_0(status);
}

/// clone(SIGCHLD), as fork() makes it, still works under the filter.
fn plain_fork_works() -> i32 {
    match sys(libc::SYS_clone, [SIGCHLD, 0, 0, 0, 0]) {
        // SAFETY: the grandchild ends at once.
        Ok(0) => unsafe { libc::_exit(0) },
        Ok(pid) => {
            let mut status = 0;
            // SAFETY: `status` is a valid place for wait4 to write to.
            let rc = unsafe { libc::wait4(pid as i32, &mut status, 0, std::ptr::null_mut()) };
            if rc as c_long != pid || !libc::WIFEXITED(status) || libc::WEXITSTATUS(status) != 0 {
                return 20;
            }
            0
        }
        Err(_) => 21,
    }
}

#[test]
fn debugger_filter_allows_ptrace_and_personality() {
    let program = program(Profile::Debugger);
    let status = in_child(|| {
        if program.install().is_err() {
            return 10;
        }
        let ppid = sys(libc::SYS_getppid, [0; 5]).unwrap_or(1);
        let peek = [libc::PTRACE_PEEKDATA as c_long, ppid, 0, 0, 0];
        if sys(libc::SYS_ptrace, peek) != Err(libc::ESRCH) {
            return 11;
        }
        let no_aslr = libc::ADDR_NO_RANDOMIZE as c_long;
        if sys(libc::SYS_personality, [no_aslr, 0, 0, 0, 0]).is_err() {
            return 12;
        }
        if sys(libc::SYS_unshare, [NEWNS, 0, 0, 0, 0]) != Err(libc::EPERM) {
            return 13;
        }
        0
    });
    assert_exit_0(status);
}

/// The i386 `getpid` (number 20) through the 32-bit `int 0x80` entry.
fn int80_getpid() -> i32 {
    let ret: i32;
    // SAFETY: i386 getpid takes no arguments and touches no memory. The
    // kernel's compat entry zeroes r8-r11 on return, so they are declared
    // clobbered.
    unsafe {
        asm!(
            "int 0x80",
            inlateout("eax") 20 => ret,
            out("r8") _, out("r9") _, out("r10") _, out("r11") _,
            options(nostack),
        );
    }
    ret
}

#[test]
fn int80_syscalls_are_killed() {
    // Without a filter first: if this kernel has no IA32 emulation, int 0x80
    // faults and there is nothing for the filter to stop.
    let control = in_child(|| {
        let pid = sys(libc::SYS_getpid, [0; 5]).unwrap_or(-1);
        i32::from(c_long::from(int80_getpid()) != pid)
    });
    if libc::WIFSIGNALED(control) && libc::WTERMSIG(control) == libc::SIGSEGV {
        eprintln!("skipped: int 0x80 faults on this kernel (IA32 emulation off)");
        return;
    }
    assert_exit_0(control);

    let program = program(Profile::Default);
    let status = in_child(|| {
        if program.install().is_err() {
            return 10;
        }
        int80_getpid();
        11 // the filter let it through
    });
    assert_killed_by_sigsys(status);
}

#[test]
fn x32_syscalls_are_killed() {
    let program = program(Profile::Default);
    let status = in_child(|| {
        if program.install().is_err() {
            return 10;
        }
        let x32_getpid = libc::SYS_getpid | flash_seccomp::X32_SYSCALL_BIT as c_long;
        let _ = sys(x32_getpid, [0; 5]);
        11 // the filter let it through
    });
    assert_killed_by_sigsys(status);
}
