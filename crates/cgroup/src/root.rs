//! Flash's own cgroups: `flash-<pid>` under the own cgroup of each
//! hierarchy, and `slot-<n>` leaves under that.
//!
//! Only directories with these names are ever created or removed, and only
//! under Flash's own cgroup; settings are written only inside them.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use crate::{v2, Controller, Error, Host, SlotPaths, Version};

/// The `flash-<pid>` cgroup(s) of this Flash process.
///
/// Dropping it removes every slot directory still under it, then itself
/// (best effort: a cgroup with processes left is kept).
#[derive(Debug)]
pub struct FlashRoot {
    version: Version,
    /// `flash-<pid>` per controller; v1 controllers sharing a hierarchy
    /// share a path.
    dirs: Vec<(Controller, PathBuf)>,
}

/// One sandbox slot's `slot-<n>` cgroup(s).
///
/// Dropping it removes the directories (best effort); use [`Slot::remove`]
/// to learn whether that worked.
#[derive(Debug)]
pub struct Slot {
    version: Version,
    /// `slot-<n>` per controller; emptied once removed.
    dirs: Vec<(Controller, PathBuf)>,
}

impl Host {
    /// Removes stale `flash-<pid>[-<n>]` cgroups of dead Flash processes (pid not
    /// in `proc_root`), then creates `flash-<getpid()>-<n>` (n counts the roots
    /// made by this process) under the own cgroup
    /// of each hierarchy; on v2 also enables memory, pids and (if available)
    /// cpu in its `cgroup.subtree_control`.
    ///
    /// On v2 this fails with [`Error::NotDelegated`] when the own cgroup's
    /// `cgroup.subtree_control` lacks memory or pids.
    pub fn create_root(&self, proc_root: &Path) -> Result<FlashRoot, Error> {
        // Several pools may live in one process (tests do this): number them.
        static NEXT: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
        let seq = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        create_root_with(self, proc_root, std::process::id(), seq, &|_| {})
    }
}

/// [`Host::create_root`] with the pid given and a hook called after each
/// `mkdir`, with which unit tests put the files the kernel would create
/// into a fake tree.
pub(crate) fn create_root_with(
    host: &Host,
    proc_root: &Path,
    pid: u32,
    seq: u32,
    after_mkdir: &dyn Fn(&Path),
) -> Result<FlashRoot, Error> {
    let name = format!("flash-{pid}-{seq}");
    let own_dirs = unique(host.hierarchies.iter().map(|h| h.own_dir.as_path()));
    // Reclaim what crashed Flash processes left, before adding our own.
    for own in &own_dirs {
        remove_stale(own, proc_root, pid)?;
    }
    // v2: check delegation before creating anything, so a refusal leaves
    // no trace.
    let enable = match host.version {
        Version::V2 => Some(v2::controllers_to_enable(own_dirs[0])?),
        Version::V1 => None,
    };
    // From here on, a failure drops `root`, which removes what was made.
    let mut root = FlashRoot { version: host.version, dirs: Vec::new() };
    for h in &host.hierarchies {
        let dir = h.own_dir.join(&name);
        if !root.dirs.iter().any(|(_, d)| *d == dir) {
            create_fresh(&dir)?;
            after_mkdir(&dir);
        }
        root.dirs.push((h.controller, dir));
    }
    // v2: slots get controllers only if their parent enables them.
    if let Some(enable) = enable {
        v2::enable_controllers(&root.dirs[0].1, &enable)?;
    }
    Ok(root)
}

impl FlashRoot {
    /// The cgroup version of these directories.
    pub fn version(&self) -> Version {
        self.version
    }

    /// The `flash-<pid>` directory per controller.
    pub fn dirs(&self) -> &[(Controller, PathBuf)] {
        &self.dirs
    }

    /// Creates `slot-<n>` in every hierarchy, first removing a leftover
    /// (empty) one of that name. Creating the same `n` twice while the first
    /// [`Slot`] is alive is a caller bug.
    pub fn create_slot(&self, n: usize) -> Result<Slot, Error> {
        let name = format!("slot-{n}");
        // A failure drops `slot`, which removes what was made.
        let mut slot = Slot { version: self.version, dirs: Vec::new() };
        for (controller, parent) in &self.dirs {
            let dir = parent.join(&name);
            if !slot.dirs.iter().any(|(_, d)| *d == dir) {
                create_fresh(&dir)?;
            }
            slot.dirs.push((*controller, dir));
        }
        Ok(slot)
    }
}

impl Drop for FlashRoot {
    fn drop(&mut self) {
        for dir in unique(self.dirs.iter().map(|(_, d)| d.as_path())) {
            let _ = remove_tree(dir);
        }
    }
}

impl Slot {
    /// The serializable description of this slot, for [`crate::Controls::open`].
    pub fn paths(&self) -> SlotPaths {
        SlotPaths { version: self.version, dirs: self.dirs.clone() }
    }

    /// Removes the slot's directories, reporting the first failure (after
    /// trying all). A directory already gone counts as removed.
    pub fn remove(mut self) -> Result<(), Error> {
        let dirs = std::mem::take(&mut self.dirs);
        let mut first_error = None;
        for dir in unique(dirs.iter().map(|(_, d)| d.as_path())) {
            match fs::remove_dir(dir) {
                Err(error) if error.kind() != io::ErrorKind::NotFound => {
                    first_error.get_or_insert(Error::RemoveDir { path: dir.to_path_buf(), error });
                }
                _ => {}
            }
        }
        first_error.map_or(Ok(()), Err)
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        for dir in unique(self.dirs.iter().map(|(_, d)| d.as_path())) {
            let _ = fs::remove_dir(dir);
        }
    }
}

/// Creates `dir`; if it already exists (left over by an earlier process),
/// removes it with its sub-cgroups first.
fn create_fresh(dir: &Path) -> Result<(), Error> {
    match fs::create_dir(dir) {
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
            remove_tree(dir)?;
            fs::create_dir(dir)
        }
        other => other,
    }
    .map_err(|error| match error.raw_os_error() {
        Some(libc::EROFS) => Error::ReadOnly { mount_point: dir.to_path_buf() },
        _ => Error::CreateDir { path: dir.to_path_buf(), error },
    })
}

/// Removes `flash-<pid>` directories under `own` whose process is gone.
/// Ones that cannot be removed (processes remain) are left alone.
fn remove_stale(own: &Path, proc_root: &Path, own_pid: u32) -> Result<(), Error> {
    let entries = fs::read_dir(own).map_err(|error| Error::ReadDir { path: own.to_path_buf(), error })?;
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(pid) = name
            .to_str()
            .and_then(|n| n.strip_prefix("flash-"))
            .and_then(|p| p.split('-').next().unwrap_or(p).parse::<u32>().ok())
        else {
            continue;
        };
        let is_dir = entry.file_type().is_ok_and(|t| t.is_dir());
        // Our own pid is handled by create_fresh; a live pid is another Flash.
        if !is_dir || pid == own_pid || proc_root.join(pid.to_string()).exists() {
            continue;
        }
        let _ = remove_tree(&entry.path());
    }
    Ok(())
}

/// Removes the sub-cgroups of `dir` (best effort, depth first), then `dir`.
/// cgroupfs has only directories to remove: control files go with them.
fn remove_tree(dir: &Path) -> Result<(), Error> {
    if let Ok(entries) = fs::read_dir(dir) {
        for entry in entries.flatten() {
            if entry.file_type().is_ok_and(|t| t.is_dir()) {
                let _ = remove_tree(&entry.path());
            }
        }
    }
    match fs::remove_dir(dir) {
        // Processes remain: the last run of a slot whose helper was killed
        // (they die with its box, but not at once). The cgroup is ours: end
        // them, and wait for the kernel to let them go (at most a second or so).
        Err(e) if e.raw_os_error() == Some(libc::EBUSY) => {
            for _ in 0..200 {
                let procs = fs::read_to_string(dir.join("cgroup.procs")).unwrap_or_default();
                for pid in procs.lines().filter_map(|l| l.trim().parse::<libc::pid_t>().ok()) {
                    // SAFETY: kill takes no pointers; the pid is in our own cgroup.
                    unsafe { libc::kill(pid, libc::SIGKILL) };
                }
                match fs::remove_dir(dir) {
                    Err(e) if e.raw_os_error() == Some(libc::EBUSY) => {
                        std::thread::sleep(std::time::Duration::from_millis(5))
                    }
                    other => return other.map_err(|error| Error::RemoveDir { path: dir.to_path_buf(), error }),
                }
            }
            fs::remove_dir(dir).map_err(|error| Error::RemoveDir { path: dir.to_path_buf(), error })
        }
        other => other.map_err(|error| Error::RemoveDir { path: dir.to_path_buf(), error }),
    }
}

/// The distinct paths, in first-seen order.
fn unique<'a>(paths: impl Iterator<Item = &'a Path>) -> Vec<&'a Path> {
    let mut out: Vec<&Path> = Vec::new();
    for p in paths {
        if !out.contains(&p) {
            out.push(p);
        }
    }
    out
}

#[cfg(test)]
#[path = "root_tests.rs"]
mod tests;
