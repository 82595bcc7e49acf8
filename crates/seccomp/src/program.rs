//! A compiled filter: installing it, and running it without installing it.

use std::fmt;
use std::io;

use libc::sock_filter;

use crate::bpf;
use crate::Profile;

/// A seccomp filter ready to install, compiled by [`crate::Policy::compile`].
/// It is never empty and never longer than the kernel's `BPF_MAXINSNS`.
#[derive(Clone)]
pub struct Program {
    profile: Profile,
    code: Vec<sock_filter>,
}

impl Program {
    pub(crate) fn new(profile: Profile, code: Vec<sock_filter>) -> Program {
        Program { profile, code }
    }

    /// The profile this program was compiled for.
    pub fn profile(&self) -> Profile {
        self.profile
    }

    /// Number of BPF instructions.
    pub fn len(&self) -> usize {
        self.code.len()
    }

    /// Always false; present because `len` is.
    pub fn is_empty(&self) -> bool {
        self.code.is_empty()
    }

    /// The raw instructions, e.g. for writing out or comparing.
    pub fn instructions(&self) -> &[sock_filter] {
        &self.code
    }

    /// Installs the filter on the calling thread (and so on everything it
    /// later executes). Sets `PR_SET_NO_NEW_PRIVS` first, which the kernel
    /// requires of callers without `CAP_SYS_ADMIN`; setting it again is
    /// harmless. No `SECCOMP_FILTER_FLAG_TSYNC`: the caller is the
    /// single-threaded child about to `execve`.
    ///
    /// Allocates nothing, so it is safe between `fork` and `execve`.
    pub fn install(&self) -> io::Result<()> {
        let prog = libc::sock_fprog {
            // `compile` caps the length at BPF_MAXINSNS (4096), so it fits.
            len: self.code.len() as libc::c_ushort,
            filter: self.code.as_ptr().cast_mut(),
        };
        let one: libc::c_ulong = 1;
        let zero: libc::c_ulong = 0;
        // SAFETY: prctl(PR_SET_NO_NEW_PRIVS) takes only integers; the unused
        // arguments are passed as zeros of the width the kernel reads.
        if unsafe { libc::prctl(libc::PR_SET_NO_NEW_PRIVS, one, zero, zero, zero) } != 0 {
            return Err(io::Error::last_os_error());
        }
        let op = libc::SECCOMP_SET_MODE_FILTER as libc::c_ulong;
        // SAFETY: `prog` points at `len` initialised instructions owned by
        // `self`, both alive for the whole call; the kernel copies the program
        // and never writes through `filter`.
        let rc = unsafe { libc::syscall(libc::SYS_seccomp, op, zero, &prog) };
        if rc != 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(())
    }

    /// Runs the filter in a classic-BPF interpreter on a made-up syscall and
    /// returns the `SECCOMP_RET_*` value the kernel would act on.
    ///
    /// A test and inspection aid (unit tests, `flash check`): it never touches
    /// the real filter. `nr` is cut to 32 bits as the kernel does; an
    /// instruction the interpreter does not know yields
    /// `SECCOMP_RET_KILL_PROCESS`.
    pub fn evaluate(&self, arch: u32, nr: i64, args: [u64; 6]) -> u32 {
        bpf::run(&self.code, arch, nr, args)
    }
}

impl fmt::Debug for Program {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Program").field("profile", &self.profile).field("len", &self.code.len()).finish_non_exhaustive()
    }
}

/// A disassembly, one instruction a line with absolute jump targets.
impl fmt::Display for Program {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        bpf::disassemble(&self.code, f)
    }
}
