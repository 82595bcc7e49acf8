//! How a box is laid out: the read-only view of the host and the sizes of the
//! writable parts. This is policy as data: each default mount says why it is there.

use serde::{Deserialize, Serialize};
use std::path::PathBuf;

/// One bind mount from the host into the box.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Mount {
    /// Host path.
    pub source: PathBuf,
    /// Path inside the box (absolute).
    pub target: PathBuf,
    /// Read-write (only for directories the caller owns); read-only otherwise.
    pub writable: bool,
    /// Skip silently when the host path does not exist.
    pub optional: bool,
}

impl Mount {
    /// A read-only mount at the same path inside the box.
    pub fn ro(path: &str, optional: bool) -> Mount {
        Mount { source: path.into(), target: path.into(), writable: false, optional }
    }
}

/// A symbolic link shown in every box under `/usr/local`, where other judges
/// keep their toolchains (Judge0's `/usr/local/gcc-9.2.0/bin/g++`), pointing
/// at this host's (`/usr/bin/g++`). With any link, the box's `/usr/local` is a
/// small read-only tmpfs holding the host's `/usr/local` entries (bound
/// read-only, as before) and the links.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Link {
    /// Path inside the box: absolute, under `/usr/local/`.
    pub path: PathBuf,
    /// What the link points to (a path inside the box).
    pub target: PathBuf,
}

/// The default read-only view of the host: the toolchains, nothing personal.
///
/// - `/usr`: every compiler, interpreter and shared library on Debian (merged /usr).
/// - `/bin`, `/sbin`, `/lib`, `/lib64`: symlinks into /usr on merged-usr hosts
///   (recreated as symlinks), real directories on older ones (bound read-only).
/// - `/etc/ld.so.cache`, `/etc/ld.so.conf*`: the dynamic loader's search path.
/// - `/etc/alternatives`: Debian's `java`, `cc`, ... symlinks point through here.
/// - `/etc/java-17-openjdk`: the JDK's `conf` and `security` directories live here.
/// - `/etc/localtime`: so programs print the host's time zone instead of guessing.
/// - `/etc/ssl/certs`: CA bundle some runtimes load at start-up even offline.
/// - `/etc/mono`, `/etc/R`, `/etc/GNUstep`, `/etc/gnucobol`, `/etc/groovy`, `/etc/nim`,
///   `/etc/fpc*.cfg`, `/var/lib/ghc`: Mono's machine.config, R's Renviron,
///   GNUstep's paths, cobc's dialects, Groovy's starter, Nim's and Free Pascal's library
///   paths and GHC's package database; those toolchains do not start without
///   them (each is optional: absent when the language is not installed).
/// - `/etc/php`, `/etc/racket`: toolchains that start without them, but not as
///   on the host. PHP loads its Debian extensions (ctype, tokenizer, iconv,
///   posix, ...) from `conf.d`: without it, `ctype_digit` is an undefined
///   function. Racket finds its compiled collections through
///   `config.rktd`: without it, it compiled `racket/base` from source at every
///   start (4.5 s of CPU for a hello world against 0.2 s).
///
/// `/etc/passwd`, `/etc/group` and `/etc/hosts` are written fresh in the box,
/// so host user names never show. `/etc/shadow`, `/root`, `/home`, `/var` and
/// Flash's data directory are simply not there.
pub fn default_mounts() -> Vec<Mount> {
    vec![
        Mount::ro("/usr", false),
        Mount::ro("/bin", true),
        Mount::ro("/sbin", true),
        Mount::ro("/lib", true),
        Mount::ro("/lib64", true),
        Mount::ro("/lib32", true),
        Mount::ro("/libx32", true),
        Mount::ro("/etc/ld.so.cache", true),
        Mount::ro("/etc/ld.so.conf", true),
        Mount::ro("/etc/ld.so.conf.d", true),
        Mount::ro("/etc/alternatives", true),
        Mount::ro("/etc/java-17-openjdk", true),
        Mount::ro("/etc/localtime", true),
        Mount::ro("/etc/ssl/certs", true),
        Mount::ro("/etc/mono", true),
        Mount::ro("/etc/R", true),
        Mount::ro("/etc/GNUstep", true),
        Mount::ro("/etc/gnucobol", true),
        Mount::ro("/etc/groovy", true),
        Mount::ro("/etc/nim", true),
        Mount::ro("/etc/fpc.cfg", true),
        Mount::ro("/etc/fpc-3.2.2.cfg", true),
        Mount::ro("/etc/php", true),
        Mount::ro("/etc/racket", true),
        Mount::ro("/var/lib/ghc", true),
    ]
}

/// Everything a slot's helper needs to build its box. Sent on its command line.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SlotConfig {
    /// Slot number (names the box in logs).
    pub slot: usize,
    /// Unprivileged uid/gid the programs run as.
    pub uid: u32,
    /// See `uid`.
    pub gid: u32,
    /// The slot's cgroup, created by the library.
    pub cgroup: flash_cgroup::SlotPaths,
    /// Host paths shown in the box.
    pub mounts: Vec<Mount>,
    /// Links shown under the box's `/usr/local` (see [`Link`]).
    #[serde(default)]
    pub links: Vec<Link>,
    /// Host directory where the root is assembled (only inside the helper's
    /// private mount namespace; nothing shows on the host).
    pub scratch: PathBuf,
    /// Size of the writable `/box` (tmpfs), KiB.
    pub box_size_kb: u64,
    /// Size of the private `/tmp` (tmpfs), KiB.
    pub tmp_size_kb: u64,
    /// The library's pid: the helper exits if its parent changes.
    pub parent_pid: i32,
    /// Measure memory as if the kernel offered no more than this (tests
    /// use it to exercise older kernels' methods on any host).
    #[serde(default)]
    pub memory_method_ceiling: Option<flash_cgroup::MemoryMethod>,
    /// Lock read-only binds down by remounting each mount below them, as on
    /// kernels without `mount_setattr` (before 5.12), even where it exists
    /// (tests use it to prove that path on any host).
    #[serde(default)]
    pub force_remount_fallback: bool,
    /// Start every run in a fresh cgroup below the slot's (cgroup v2 where
    /// the peak cannot be reset); the helper then stays out of the slot.
    #[serde(default)]
    pub run_cgroups: bool,
}
