//! Errors of loading a policy and compiling it to BPF.
//!
//! Installing a compiled program reports a plain `io::Error` instead: it runs
//! in a forked child where only the errno is worth having.

use crate::Profile;

/// A policy that cannot be loaded or compiled.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The policy text is not TOML of the expected shape (unknown keys,
    /// wrong value types).
    #[error("seccomp policy is not valid: {0}")]
    Parse(#[from] toml::de::Error),

    /// One rule is wrong; `index` counts `[[rule]]` tables from 1.
    #[error("seccomp policy rule #{index} ({syscall}): {problem}")]
    Rule {
        index: usize,
        /// The rule's `syscall` as written, or `?` when it has none.
        syscall: String,
        problem: RuleError,
    },

    /// The compiled filter exceeds the kernel's `BPF_MAXINSNS`.
    #[error("seccomp program for profile {profile} has {len} instructions; the kernel accepts at most {max}")]
    ProgramTooLong { profile: Profile, len: usize, max: usize },

    /// A profile name that is neither `default` nor `debugger`.
    #[error("unknown seccomp profile {0:?} (expected \"default\" or \"debugger\")")]
    UnknownProfile(String),
}

/// What is wrong with one rule.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RuleError {
    #[error("missing `syscall`")]
    MissingSyscall,
    #[error("unknown syscall name (not an x86_64 syscall)")]
    UnknownSyscall,
    #[error("missing or empty `reason`; every rule must say why it exists")]
    MissingReason,
    #[error("bad `action`: {0}")]
    BadAction(String),
    #[error("bad `when` condition: {0}")]
    BadCondition(String),
    #[error("unknown profile {0:?} in `allow_in`")]
    UnknownProfile(String),
    /// The rule's conditions compile to a block longer than BPF's 8-bit
    /// conditional jumps can skip. Load-time limits keep this unreachable.
    #[error("conditions compile to more BPF than one rule may use")]
    TooLong,
}
