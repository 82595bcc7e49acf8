//! Making the parent of Flash's cgroups ready on cgroup v2, without hand work.
//!
//! On v2 a cgroup can give controllers to its children only while it holds no
//! processes itself (the "no internal processes" rule; the real root cgroup is
//! exempt). Flash starts inside some cgroup that holds at least Flash itself,
//! so where that cgroup is Flash's to arrange, Flash does what a container
//! entrypoint or a systemd `DelegateSubgroup=` would do:
//!
//! ```text
//! <own>/                      cgroup.subtree_control: +memory +pids (+cpu)
//! <own>/flash-supervisor/     every process that was in <own>, Flash among them
//! <own>/flash-<pid>-<n>/      Flash's root, with its slot-<k> leaves (root.rs)
//! ```
//!
//! Whose cgroup it is decides what Flash may write. The own cgroup is Flash's
//! when it is the root of a cgroup namespace (a container's: the runtime made
//! it for this container alone), when systemd delegated it (`Delegate=yes`
//! marks it with the `trusted.delegate` or `user.delegate` extended
//! attribute), or when the operator says so (`FLASH_CGROUP_DELEGATED=1`, e.g.
//! a Kubernetes pod sharing the host's cgroup namespace). The real root cgroup
//! of a machine Flash runs on as root needs no moving: controllers are
//! enabled in it directly. A parent named with `FLASH_CGROUP_PARENT` is the
//! operator's gift to Flash: its controllers are enabled if it has none yet.
//! Anything else, such as a systemd service without `Delegate=yes` whose
//! cgroup belongs to systemd, is refused with a sentence naming the remedy.
//! Flash never writes above the cgroup it arranges.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use crate::{Error, Host, Version};

/// The leaf Flash moves its own cgroup's processes into.
pub const SUPERVISOR: &str = "flash-supervisor";

/// Controllers Flash enables for its cgroups; the first two are required
/// (cpu is optional: `cpu.stat` has `usage_usec` without it).
pub(crate) const WANTED: [&str; 3] = ["memory", "pids", "cpu"];
pub(crate) const REQUIRED: usize = 2;

/// How the parent of Flash's cgroups was made ready, for `flash check` and
/// the start-up log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Arranged {
    /// Nothing to do: cgroup v1, or the parent already gives memory and pids
    /// to its children.
    AsFound,
    /// The controllers were enabled in the parent's `cgroup.subtree_control`
    /// (`why` says why Flash may write it).
    Enabled {
        /// What was written, e.g. `+memory +pids +cpu`.
        controllers: String,
        /// Why the parent is Flash's to change.
        why: &'static str,
    },
    /// The parent's processes were moved into [`SUPERVISOR`], then the
    /// controllers were enabled.
    MovedToSupervisor {
        /// How many processes were moved (Flash among them).
        moved: usize,
        /// What was written to the parent's `cgroup.subtree_control`.
        controllers: String,
        /// Why the parent is Flash's to change.
        why: &'static str,
    },
}

impl std::fmt::Display for Arranged {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Arranged::AsFound => write!(f, "used as found"),
            Arranged::Enabled { controllers, why } => write!(f, "{controllers} enabled by Flash ({why})"),
            Arranged::MovedToSupervisor { moved, controllers, why } => {
                write!(f, "{moved} process(es) moved into {SUPERVISOR}/, then {controllers} enabled by Flash ({why})")
            }
        }
    }
}

/// The few kernel operations arranging needs, so unit tests can run them
/// against a fake tree that behaves like cgroupfs.
pub(crate) trait Ops {
    /// Creates a cgroup directory (an existing one is fine).
    fn mkdir(&self, dir: &Path) -> io::Result<()>;
    /// Writes `value` to a control file in one write.
    fn write(&self, file: &Path, value: &str) -> io::Result<()>;
    /// The value of an extended attribute, if set.
    fn xattr(&self, dir: &Path, name: &str) -> Option<Vec<u8>>;
    /// Makes the (bind) mount at `mount_point` writable.
    fn remount_rw(&self, mount_point: &Path) -> io::Result<()>;
}

/// The real kernel.
pub(crate) struct Kernel;

impl Ops for Kernel {
    fn mkdir(&self, dir: &Path) -> io::Result<()> {
        match fs::create_dir(dir) {
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => Ok(()),
            other => other,
        }
    }

    fn write(&self, file: &Path, value: &str) -> io::Result<()> {
        use std::io::Write;
        let mut f = fs::OpenOptions::new().write(true).open(file)?;
        // One write: cgroup files take one command per write(2).
        let n = f.write(value.as_bytes())?;
        if n != value.len() {
            return Err(io::Error::new(io::ErrorKind::WriteZero, "short write"));
        }
        Ok(())
    }

    fn xattr(&self, dir: &Path, name: &str) -> Option<Vec<u8>> {
        use std::os::unix::ffi::OsStrExt;
        let path = std::ffi::CString::new(dir.as_os_str().as_bytes()).ok()?;
        let name = std::ffi::CString::new(name).ok()?;
        let mut buf = [0u8; 64];
        // SAFETY: both strings are NUL-terminated and `buf` is writable for its length.
        let n = unsafe { libc::getxattr(path.as_ptr(), name.as_ptr(), buf.as_mut_ptr().cast(), buf.len()) };
        (n >= 0).then(|| buf[..n as usize].to_vec())
    }

    fn remount_rw(&self, mount_point: &Path) -> io::Result<()> {
        use std::os::unix::ffi::OsStrExt;
        let target = std::ffi::CString::new(mount_point.as_os_str().as_bytes())?;
        let flags = libc::MS_REMOUNT | libc::MS_BIND | libc::MS_NOSUID | libc::MS_NODEV | libc::MS_NOEXEC;
        // SAFETY: `target` is NUL-terminated; the other pointers may be null for a remount.
        let r = unsafe { libc::mount(std::ptr::null(), target.as_ptr(), std::ptr::null(), flags, std::ptr::null()) };
        if r == 0 {
            Ok(())
        } else {
            Err(io::Error::last_os_error())
        }
    }
}

impl Host {
    /// Makes the parent of Flash's cgroups able to give memory and pids to
    /// children (see the module docs for when Flash may change it, and how).
    /// `declared` is the operator's word that the own cgroup is Flash's
    /// (`FLASH_CGROUP_DELEGATED=1`). A no-op on cgroup v1.
    pub fn arrange(&mut self, declared: bool) -> Result<Arranged, Error> {
        self.arrange_with(declared, &Kernel)
    }

    pub(crate) fn arrange_with(&mut self, declared: bool, ops: &dyn Ops) -> Result<Arranged, Error> {
        // A read-only cgroup mount (a container's default) is made writable
        // only on the operator's word that the cgroups below are Flash's.
        for h in self.hierarchies.iter_mut().filter(|h| h.read_only) {
            if !declared {
                return Err(Error::ReadOnly { mount_point: h.mount_point.clone() });
            }
            ops.remount_rw(&h.mount_point)
                .map_err(|error| Error::Remount { mount_point: h.mount_point.clone(), error })?;
            h.read_only = false;
            self.remounted.push(h.mount_point.clone());
        }
        if self.version != Version::V2 {
            return Ok(Arranged::AsFound);
        }
        // Started from inside an arranged cgroup (a second Flash, or `flash
        // check` run by the service): the supervisor's parent is the one.
        if !self.named_parent && self.hierarchies[0].own_dir.file_name().is_some_and(|n| n == SUPERVISOR) {
            let h = &mut self.hierarchies[0];
            if let Some(parent) = h.own_dir.parent().map(Path::to_path_buf) {
                h.own_dir = parent;
                h.own_path = match h.own_path.rsplit_once('/') {
                    Some(("", _)) | None => "/".to_string(),
                    Some((p, _)) => p.to_string(),
                };
                self.inherited = true;
            }
        }
        let h = &self.hierarchies[0];
        let dir = h.own_dir.clone();
        let available = read_words(&dir.join("cgroup.controllers"))?;
        let missing: Vec<&str> =
            WANTED[..REQUIRED].iter().copied().filter(|c| !available.iter().any(|a| a == c)).collect();
        if !missing.is_empty() {
            return Err(Error::ControllersMissing { dir, missing: missing.join(" and ") });
        }
        let enabled = read_words(&dir.join("cgroup.subtree_control"))?;
        if WANTED[..REQUIRED].iter().all(|c| enabled.iter().any(|e| e == c)) {
            return Ok(Arranged::AsFound);
        }
        let controllers: Vec<String> =
            WANTED.iter().filter(|c| available.iter().any(|a| a == *c)).map(|c| format!("+{c}")).collect();
        let controllers = controllers.join(" ");
        let real_root = !dir.join("cgroup.type").exists();
        let procs = read_procs(&dir)?;
        let why = if real_root {
            "the machine's root cgroup"
        } else if self.named_parent {
            "named by FLASH_CGROUP_PARENT"
        } else if self.inherited {
            "arranged by Flash before"
        } else if h.own_path == "/" || h.own_path.is_empty() {
            "the root of this cgroup namespace, e.g. a container's"
        } else if is_delegated(ops, &dir) {
            "delegated by systemd (Delegate=yes)"
        } else if declared {
            "declared Flash's by FLASH_CGROUP_DELEGATED"
        } else {
            return Err(Error::NotDelegated {
                path: dir.join("cgroup.subtree_control"),
                missing: missing_of(&enabled),
            });
        };
        if real_root || procs.is_empty() {
            enable(ops, &dir, &controllers)?;
            return Ok(Arranged::Enabled { controllers, why });
        }
        if self.named_parent {
            return Err(Error::Busy { dir, count: procs.len() });
        }
        let supervisor = dir.join(SUPERVISOR);
        ops.mkdir(&supervisor).map_err(|error| match error.raw_os_error() {
            Some(libc::EROFS) => Error::ReadOnly { mount_point: self.hierarchies[0].mount_point.clone() },
            _ => Error::CreateDir { path: supervisor.clone(), error },
        })?;
        // Processes may fork while they are moved: move, try, and move the
        // newcomers again, a few times.
        let mut moved = 0;
        let mut pending = procs;
        for _ in 0..5 {
            for pid in &pending {
                match ops.write(&supervisor.join("cgroup.procs"), &pid.to_string()) {
                    Ok(()) => moved += 1,
                    // Gone meanwhile.
                    Err(e) if e.raw_os_error() == Some(libc::ESRCH) => {}
                    Err(error) => {
                        return Err(Error::Write {
                            value: pid.to_string(),
                            path: supervisor.join("cgroup.procs"),
                            error,
                        })
                    }
                }
            }
            match enable(ops, &dir, &controllers) {
                Err(Error::Write { error, .. }) if error.raw_os_error() == Some(libc::EBUSY) => {
                    pending = read_procs(&dir)?;
                }
                Err(e) => return Err(e),
                Ok(()) => return Ok(Arranged::MovedToSupervisor { moved, controllers, why }),
            }
        }
        Err(Error::Busy { dir, count: pending.len() })
    }
}

fn missing_of(enabled: &[String]) -> String {
    let m: Vec<&str> = WANTED[..REQUIRED].iter().copied().filter(|c| !enabled.iter().any(|e| e == c)).collect();
    m.join(" and ")
}

fn enable(ops: &dyn Ops, dir: &Path, controllers: &str) -> Result<(), Error> {
    let path = dir.join("cgroup.subtree_control");
    ops.write(&path, controllers).map_err(|error| match error.raw_os_error() {
        Some(libc::EROFS) => Error::ReadOnly { mount_point: dir.to_path_buf() },
        _ => Error::Write { value: controllers.to_string(), path, error },
    })
}

/// systemd marks the cgroup of a `Delegate=yes` unit (v251 and later).
fn is_delegated(ops: &dyn Ops, dir: &Path) -> bool {
    ["trusted.delegate", "user.delegate"].iter().any(|name| ops.xattr(dir, name).is_some_and(|v| v == b"1"))
}

fn read_words(path: &Path) -> Result<Vec<String>, Error> {
    let text = fs::read_to_string(path).map_err(|error| Error::Read { path: path.to_path_buf(), error })?;
    Ok(text.split_whitespace().map(str::to_string).collect())
}

fn read_procs(dir: &Path) -> Result<Vec<u32>, Error> {
    let path: PathBuf = dir.join("cgroup.procs");
    let text = fs::read_to_string(&path).map_err(|error| Error::Read { path: path.clone(), error })?;
    Ok(text.split_whitespace().filter_map(|p| p.parse().ok()).collect())
}

#[cfg(test)]
#[path = "delegate_tests.rs"]
mod tests;
