//! cgroup v1 and v2 management for the Flash sandbox.
//!
//! Flash limits and measures every run with cgroups. This crate finds the
//! cgroup layout, creates Flash's own cgroups and gives a sandbox helper
//! process cheap, pre-opened handles to the control files.
//!
//! # Life cycle
//!
//! 1. [`detect`] reads `/proc/self/mountinfo` and `/proc/self/cgroup` into a
//!    [`Host`]: cgroup v1 (memory, pids and cpuacct hierarchies) when those
//!    are v1-mounted, else cgroup v2 when the own cgroup has memory and pids.
//! 2. [`Host::create_root`] removes `flash-<pid>` cgroups left by dead Flash
//!    processes, then creates `flash-<own pid>` *under Flash's own cgroup*
//!    (in each v1 hierarchy, or once on v2 with memory, pids and cpu enabled
//!    in its `cgroup.subtree_control`). Flash never changes a setting of a
//!    cgroup it did not create.
//! 3. [`FlashRoot::create_slot`] creates the leaf `slot-<n>` for one sandbox
//!    slot; [`Slot::paths`] describes it as serializable [`SlotPaths`].
//! 4. The helper process calls [`Controls::open`] on those paths *before*
//!    it pivot_roots away from `/sys`, then only uses the open fds: join,
//!    set limits, reset and read usage.
//! 5. Dropping a [`Slot`] or [`FlashRoot`] removes its directories (best
//!    effort); [`Slot::remove`] does so with errors reported.
//!
//! # Layout
//!
//! - `detect.rs`: mountinfo and `/proc/self/cgroup` parsing, [`Host`].
//! - `root.rs`: [`FlashRoot`], [`Slot`], stale clean-up.
//! - `v1.rs`, `v2.rs`: what differs per version (v2 controller enabling,
//!   the control files of each version).
//! - `controls.rs`: [`Controls`], the version-independent face of the files.
//! - `cgfile.rs`: one kept-open control file read and written with
//!   `pread`/`pwrite` at offset 0.
//! - `error.rs`: [`Error`].
//!
//! Everything takes its roots (`/proc`, mount points) as arguments, so the
//! unit tests run without root against fake trees in temporary directories;
//! `tests/real_cgroup.rs` exercises the real kernel when run as root.

#![warn(missing_docs)]

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

mod cgfile;
mod controls;
mod delegate;
mod detect;
mod error;
mod root;
#[cfg(test)]
mod testutil;
mod v1;
mod v2;

pub use controls::{Controls, RunCgroup};
pub use delegate::{Arranged, SUPERVISOR};
pub use detect::{detect, detect_from, unescape as unescape_mountinfo, Host};
pub use error::Error;
pub use root::{FlashRoot, Slot};

/// The cgroup version in use.
#[derive(Serialize, Deserialize, Debug, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum Version {
    /// Legacy per-controller hierarchies.
    V1,
    /// The unified hierarchy.
    V2,
}

/// How a run's peak memory is measured, which depends on the kernel.
#[derive(Serialize, Deserialize, Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
#[serde(rename_all = "snake_case")]
pub enum MemoryMethod {
    /// No peak file (cgroup v2 before Linux 5.19): `memory.current` sampled
    /// at every watchdog tick, and the largest process's peak RSS (in a
    /// fresh cgroup per run on cgroup v2).
    Sampled,
    /// A peak that cannot be reset (cgroup v2, Linux 5.19 to 6.11): exact
    /// for a run that sets the slot's record, else sampled as above.
    LifetimePeak,
    /// A fresh cgroup for every run, started into with `clone3`'s
    /// `CLONE_INTO_CGROUP` (cgroup v2, Linux 5.19 to 6.11): its
    /// `memory.peak` is the run's.
    RunCgroupPeak,
    /// A peak reset before every run (cgroup v1's
    /// `memory.max_usage_in_bytes`, v2's `memory.peak` from Linux 6.12).
    ResettablePeak,
}

impl MemoryMethod {
    /// One line for `flash check`: what is read and how precise it is.
    pub fn describe(self) -> &'static str {
        match self {
            MemoryMethod::ResettablePeak => "the cgroup's peak, reset before each run: exact",
            MemoryMethod::RunCgroupPeak => {
                "a fresh cgroup for every run (clone3 CLONE_INTO_CGROUP, no migration), its memory.peak: exact"
            }
            MemoryMethod::LifetimePeak => {
                "the cgroup's lifetime peak (this kernel cannot reset it, Linux < 6.12): exact when a run sets the \
                 slot's record, else the highest of memory.current sampled every 5 ms and the largest process's \
                 peak RSS; the memory-limit verdict is exact (the run's own OOM and limit events)"
            }
            MemoryMethod::Sampled => {
                "no peak file (Linux < 5.19): a fresh cgroup per run, the highest of its memory.current sampled \
                 every 5 ms and the largest process's peak RSS (may miss spikes shorter than 5 ms in \
                 multi-process programs); the memory-limit verdict is exact (the run's own OOM and limit events)"
            }
        }
    }
}

/// Which hierarchy a directory belongs to.
#[derive(Serialize, Deserialize, Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[serde(rename_all = "lowercase")]
pub enum Controller {
    /// v1 memory hierarchy.
    Memory,
    /// v1 pids hierarchy.
    Pids,
    /// v1 cpuacct hierarchy (CPU time accounting).
    Cpuacct,
    /// The v2 unified hierarchy (all controllers).
    Unified,
}

impl Controller {
    /// The kernel's name of the controller ("unified" for v2).
    pub fn name(self) -> &'static str {
        match self {
            Controller::Memory => "memory",
            Controller::Pids => "pids",
            Controller::Cpuacct => "cpuacct",
            Controller::Unified => "unified",
        }
    }
}

/// Where a slot's cgroup directories are; sent to the helper process that
/// opens them with [`Controls::open`].
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct SlotPaths {
    /// The cgroup version the directories belong to.
    pub version: Version,
    /// v1: the memory, pids and cpuacct directories (two may be the same
    /// path when controllers share a hierarchy); v2: one `Unified` entry.
    pub dirs: Vec<(Controller, PathBuf)>,
}
