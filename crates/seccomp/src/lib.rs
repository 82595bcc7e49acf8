//! Flash's seccomp filter: a deny-list kept as data with a reason per rule
//! (`policy.toml`, compiled into the binary), turned into classic BPF by a
//! small generator of our own.
//!
//! Why not `seccompiler`: it does not kill x32-ABI syscall numbers
//! (`nr | 0x40000000`) and its arch check is fixed; we need both, and the
//! generator is small enough to test completely.
//!
//! ```no_run
//! use flash_seccomp::{Policy, Profile};
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let program = Policy::shipped()?.compile(Profile::Default)?; // before fork
//! // ... in the child, last step before execve (allocates nothing):
//! program.install()?;
//! # Ok(()) }
//! ```
//!
//! Layout:
//! - `policy.rs`: the TOML format, [`Policy`], [`Rule`], [`Profile`] and the
//!   validation that makes every rule name a real syscall and give a reason.
//! - `syscalls.rs`: x86_64 syscall names to numbers, from `libc::SYS_*`.
//! - `compile.rs`: [`Policy::compile`]; the program's shape is described there.
//!   Its tests (`compile_tests.rs`) run the shipped policy through the
//!   interpreter; `tests/install.rs` installs it for real in forked children.
//! - `bpf.rs`: the BPF assembler (labels, 8-bit jump checks), interpreter and
//!   disassembler.
//! - `program.rs`: [`Program`]: `install` for real, `evaluate` for tests.
//! - `error.rs`: [`Error`] and [`RuleError`].
//!
//! x86_64 Linux only: the syscall numbers and the arch check are for it.

#[cfg(not(all(target_os = "linux", target_arch = "x86_64")))]
compile_error!("flash-seccomp supports x86_64 Linux only");

mod bpf;
mod compile;
mod error;
mod policy;
mod program;
mod syscalls;

pub use bpf::{AUDIT_ARCH_I386, AUDIT_ARCH_X86_64, X32_SYSCALL_BIT};
pub use error::{Error, RuleError};
pub use policy::{Action, ArgTest, Condition, Policy, Profile, Rule};
pub use program::Program;

/// The x86_64 number of a syscall name (`"mount"` gives 165), as the policy
/// resolves it.
pub fn syscall_number(name: &str) -> Option<i64> {
    syscalls::number(name)
}
