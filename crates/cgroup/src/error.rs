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

    /// The cgroup that would be the parent of Flash's cgroups (v2) does not
    /// give memory and pids to its children, and is not Flash's to change
    /// (see [`crate::Host::arrange`] for when it is).
    #[error(
        "{missing} not enabled in {path}, and that cgroup is not Flash's to change; run Flash as a systemd \
         service with Delegate=yes, or in a container (its own cgroup namespace), or set \
         FLASH_CGROUP_DELEGATED=1 if this cgroup is Flash's alone, or name a cgroup made for it with \
         FLASH_CGROUP_PARENT"
    )]
    NotDelegated {
        /// The cgroup's `cgroup.subtree_control`.
        path: PathBuf,
        /// The missing controllers, space-separated.
        missing: String,
    },

    /// The cgroup filesystem is mounted read-only.
    #[error(
        "the cgroup filesystem at {mount_point} is read-only, so Flash cannot create cgroups for its boxes; \
         in a container whose cgroups are its own, set FLASH_CGROUP_DELEGATED=1 and Flash remounts it \
         read-write (needs CAP_SYS_ADMIN, which the sandbox needs anyway), or run the container with \
         --privileged; elsewhere, mount it read-write"
    )]
    ReadOnly {
        /// Where it is mounted.
        mount_point: PathBuf,
    },

    /// A read-only cgroup mount could not be made writable.
    #[error(
        "the cgroup filesystem at {mount_point} is read-only and remounting it read-write failed: {error}; \
         give the container CAP_SYS_ADMIN (or run it with --privileged)"
    )]
    Remount {
        /// Where it is mounted.
        mount_point: PathBuf,
        /// What the kernel said.
        error: io::Error,
    },

    /// Flash runs as a control process of a systemd `Delegate=yes` unit.
    #[error(
        "Flash runs in {dir}, systemd's cgroup for the control processes (ExecStartPre= and the like) of a \
         Delegate=yes unit; run it as the unit's main process (ExecStart=): `flash serve` checks the host \
         when it starts"
    )]
    SystemdControl {
        /// The `.control` cgroup.
        dir: PathBuf,
    },

    /// The parent cgroup itself lacks controllers Flash needs: its own
    /// parent does not delegate them.
    #[error(
        "{dir} lacks the {missing} controller(s), so Flash cannot limit its boxes there; enable them in its \
         parent (`echo +memory +pids +cpu > <parent>/cgroup.subtree_control`, or systemd's Delegate=yes)"
    )]
    ControllersMissing {
        /// The cgroup.
        dir: PathBuf,
        /// The missing controllers, space-separated.
        missing: String,
    },

    /// A named parent cgroup holds processes, so it cannot give controllers
    /// to children (cgroup v2's no-internal-processes rule).
    #[error(
        "{dir} holds {count} process(es), so cgroup v2 does not let it enable controllers for children; \
         name an empty cgroup with FLASH_CGROUP_PARENT (or move those processes into a leaf below it)"
    )]
    Busy {
        /// The cgroup.
        dir: PathBuf,
        /// How many processes it holds.
        count: usize,
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
