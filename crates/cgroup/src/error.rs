//! The one error type of this crate.
//!
//! Every variant is named after the operation that failed and carries the
//! path it was working on, so a message read in a log says what to look at
//! (`failed to write 1000 to /sys/fs/cgroup/pids/flash-12/slot-0/pids.max:
//! ...`). The underlying `io::Error` is part of the message and is kept in a
//! field named `error` rather than exposed as `source()`, so chains printed
//! with `{:#}` do not repeat it.

use std::io;
use std::path::PathBuf;

/// A failure of cgroup detection, set-up or control.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Neither a usable cgroup v1 layout nor a usable cgroup v2 layout was
    /// found; `reason` says what each one lacks.
    #[error("no usable cgroup setup: {reason}")]
    Unsupported {
        /// What is missing, per cgroup version.
        reason: String,
    },

    /// The own cgroup does not give `flash-<pid>` the controllers it needs
    /// on cgroup v2. Flash never writes a `cgroup.subtree_control` it did not
    /// create, so whoever owns that cgroup must enable them.
    #[error(
        "{missing} not enabled in {path}, so Flash's cgroups cannot get them; \
         the parent must delegate them (e.g. systemd Delegate=yes) and enable \
         them in that file (Flash never writes a subtree_control it did not create)"
    )]
    NotDelegated {
        /// The own cgroup's `cgroup.subtree_control`.
        path: PathBuf,
        /// The missing controllers, space-separated.
        missing: String,
    },

    /// A file could not be read.
    #[error("failed to read {path}: {error}")]
    Read {
        /// The file.
        path: PathBuf,
        /// What the kernel said.
        error: io::Error,
    },

    /// A value could not be written to a cgroup file.
    #[error("failed to write {value} to {path}: {error}")]
    Write {
        /// The value, as written.
        value: String,
        /// The file.
        path: PathBuf,
        /// What the kernel said.
        error: io::Error,
    },

    /// A cgroup file could not be opened.
    #[error("failed to open {path}: {error}")]
    Open {
        /// The file.
        path: PathBuf,
        /// What the kernel said.
        error: io::Error,
    },

    /// A file's contents were not in the expected format.
    #[error("failed to parse the contents of {path}: {content:?}")]
    Parse {
        /// The file.
        path: PathBuf,
        /// What was read (lossily decoded).
        content: String,
    },

    /// A cgroup directory could not be listed.
    #[error("failed to list {path}: {error}")]
    ReadDir {
        /// The directory.
        path: PathBuf,
        /// What the kernel said.
        error: io::Error,
    },

    /// A cgroup directory could not be created.
    #[error("failed to create cgroup {path}: {error}")]
    CreateDir {
        /// The directory.
        path: PathBuf,
        /// What the kernel said.
        error: io::Error,
    },

    /// A cgroup directory could not be removed (`EBUSY`: processes remain).
    #[error("failed to remove cgroup {path}: {error}")]
    RemoveDir {
        /// The directory.
        path: PathBuf,
        /// What the kernel said.
        error: io::Error,
    },

    /// An optional control file is needed but this kernel does not have it.
    #[error("{path} does not exist (not supported by this kernel or configuration)")]
    Unavailable {
        /// The file that would have been used.
        path: PathBuf,
    },

    /// A [`crate::SlotPaths`] does not describe a usable slot.
    #[error("invalid slot paths: {reason}")]
    InvalidSlotPaths {
        /// What is wrong with it.
        reason: String,
    },
}
