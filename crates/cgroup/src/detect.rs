//! Finding the cgroup hierarchies Flash can use and its own place in them.
//!
//! Input is the text of `/proc/self/mountinfo` and `/proc/self/cgroup`;
//! nothing here hard-codes `/sys/fs/cgroup`. The own cgroup directory in a
//! hierarchy is the mount point joined with the own cgroup path *relative to
//! the mount's root* (the 4th mountinfo field), which is not `/` inside many
//! containers.

use std::fs;
use std::path::{Path, PathBuf};

use crate::{Controller, Error, Version};

/// The v1 controllers Flash needs, in the order their directories are kept.
pub(crate) const V1_CONTROLLERS: [Controller; 3] = [Controller::Memory, Controller::Pids, Controller::Cpuacct];

/// One mount of a cgroup filesystem, as far as detection cares.
#[derive(Debug)]
struct Mount {
    /// The path inside the hierarchy that is mounted (4th field).
    root: String,
    /// Where it is mounted (5th field), unescaped.
    mount_point: PathBuf,
    /// "cgroup" or "cgroup2" for the mounts we look at.
    fs_type: String,
    /// Super options; for v1 they name the controllers of the hierarchy.
    super_options: Vec<String>,
    /// Mounted read-only (per-mount option `ro`).
    read_only: bool,
}

/// One line of `/proc/self/cgroup`: `id:controllers:path`.
#[derive(Debug)]
struct Membership {
    id: String,
    controllers: Vec<String>,
    path: String,
}

/// Where one controller's hierarchy is and where the own cgroup is in it.
#[derive(Debug, Clone)]
pub(crate) struct Hierarchy {
    /// Which controller this hierarchy is used for.
    pub(crate) controller: Controller,
    /// Mount point as seen by this process (with any test prefix applied).
    pub(crate) mount_point: PathBuf,
    /// The own cgroup's path as `/proc/self/cgroup` lists it.
    pub(crate) own_path: String,
    /// The own cgroup's directory: Flash creates `flash-<pid>` in here.
    pub(crate) own_dir: PathBuf,
    /// The mount is read-only: nothing can be created in it.
    pub(crate) read_only: bool,
}

/// The result of detection: which cgroup version Flash uses and where.
#[derive(Debug, Clone)]
pub struct Host {
    pub(crate) version: Version,
    /// v1: memory, pids, cpuacct (in that order); v2: one unified entry.
    pub(crate) hierarchies: Vec<Hierarchy>,
    /// v1: controllers this process is in; v2: own `cgroup.controllers`.
    controllers: Vec<String>,
    /// v2 only: the own `cgroup.subtree_control` at detection time.
    subtree_control: Option<String>,
    /// The parent was named by the operator ([`Host::with_parent`]).
    pub(crate) named_parent: bool,
    /// The own cgroup is a `flash-supervisor` leaf: its parent was arranged
    /// by an earlier Flash and is used instead ([`Host::arrange`]).
    pub(crate) inherited: bool,
    /// Read-only cgroup mounts made writable by [`Host::arrange`].
    pub(crate) remounted: Vec<PathBuf>,
}

/// Detects the cgroup layout from `<proc_root>/self/mountinfo` and
/// `<proc_root>/self/cgroup`.
///
/// Prefers cgroup v1 when memory, pids and cpuacct are all v1-mounted, else
/// cgroup v2 when the own cgroup has memory and pids in `cgroup.controllers`;
/// otherwise [`Error::Unsupported`] says why neither works.
pub fn detect(proc_root: &Path) -> Result<Host, Error> {
    let read = |name: &str| {
        let path = proc_root.join("self").join(name);
        fs::read_to_string(&path).map_err(|error| Error::Read { path, error })
    };
    detect_from(&read("mountinfo")?, &read("cgroup")?, None)
}

/// Detects the cgroup layout from the given texts of `/proc/self/mountinfo`
/// and `/proc/self/cgroup`.
///
/// `fs_prefix`, when given, is prepended to every mount point, so a fake
/// cgroup tree in a temporary directory stands in for the real one.
pub fn detect_from(mountinfo: &str, proc_self_cgroup: &str, fs_prefix: Option<&Path>) -> Result<Host, Error> {
    let mounts = parse_mountinfo(mountinfo);
    let memberships = parse_proc_cgroup(proc_self_cgroup);
    let v1_reason = match detect_v1(&mounts, &memberships, fs_prefix) {
        Ok(host) => return Ok(host),
        Err(reason) => reason,
    };
    let v2_reason = match detect_v2(&mounts, &memberships, fs_prefix) {
        Ok(host) => return Ok(host),
        Err(reason) => reason,
    };
    Err(Error::Unsupported { reason: format!("cgroup v1: {v1_reason}; cgroup v2: {v2_reason}") })
}

impl Host {
    /// The cgroup version Flash uses on this host.
    pub fn version(&self) -> Version {
        self.version
    }

    /// The own cgroup's directory in each hierarchy used (v1: memory, pids,
    /// cpuacct; v2: one unified entry). Flash only creates `flash-<pid>`
    /// in these and never changes their settings.
    pub fn own_cgroups(&self) -> Vec<(Controller, PathBuf)> {
        self.hierarchies.iter().map(|h| (h.controller, h.own_dir.clone())).collect()
    }

    /// Uses the cgroup at `path` (relative to each hierarchy's root, e.g.
    /// `/flash.service/boxes`) instead of the own cgroup as the parent of
    /// Flash's cgroups. For hosts where the own cgroup cannot delegate: on
    /// cgroup v2 a cgroup with processes cannot enable controllers for its
    /// children, so an operator creates a cgroup for Flash (e.g. systemd's
    /// `Delegate=yes` with `DelegateSubgroup=`, or `mkdir` plus
    /// `+memory +pids` in its parent's `cgroup.subtree_control`) and names it
    /// here. The directory must exist in every hierarchy used.
    pub fn with_parent(mut self, path: &str) -> Result<Host, Error> {
        let rel = path.trim_start_matches('/');
        if rel.split('/').any(|c| c == "..") {
            return Err(Error::Unsupported { reason: format!("cgroup parent {path:?} must not contain '..'") });
        }
        for h in &mut self.hierarchies {
            let dir = h.mount_point.join(rel);
            if !dir.is_dir() {
                return Err(Error::Unsupported {
                    reason: format!("cgroup parent {} does not exist (create and delegate it first)", dir.display()),
                });
            }
            h.own_path = format!("/{rel}");
            h.own_dir = dir;
        }
        self.named_parent = true;
        Ok(self)
    }

    /// The read-only cgroup mounts [`Host::arrange`] made writable.
    pub fn remounted(&self) -> &[PathBuf] {
        &self.remounted
    }

    /// Human-readable facts for `flash check`, as (label, value) pairs:
    /// the version, each hierarchy's mount point, own cgroup and directory,
    /// and the controllers available.
    pub fn describe(&self) -> Vec<(String, String)> {
        let version = match self.version {
            Version::V1 => "v1",
            Version::V2 => "v2 (unified)",
        };
        let mut facts = vec![("cgroup version".to_string(), version.to_string())];
        for h in &self.hierarchies {
            facts.push((
                format!("{} hierarchy", h.controller.name()),
                format!(
                    "mounted at {}, own cgroup {}, directory {}",
                    h.mount_point.display(),
                    h.own_path,
                    h.own_dir.display()
                ),
            ));
        }
        facts.push(("controllers available".to_string(), self.controllers.join(" ")));
        if let Some(sc) = &self.subtree_control {
            facts.push(("own cgroup.subtree_control".to_string(), sc.clone()));
        }
        facts
    }
}

fn detect_v1(mounts: &[Mount], memberships: &[Membership], prefix: Option<&Path>) -> Result<Host, String> {
    let mut hierarchies = Vec::new();
    for controller in V1_CONTROLLERS {
        let name = controller.name();
        let candidates: Vec<&Mount> =
            mounts.iter().filter(|m| m.fs_type == "cgroup" && m.super_options.iter().any(|o| o == name)).collect();
        if candidates.is_empty() {
            return Err(format!("no cgroup v1 mount with the {name} controller"));
        }
        let own = memberships
            .iter()
            .find(|m| m.id != "0" && m.controllers.iter().any(|c| c == name))
            .ok_or_else(|| format!("{name} is mounted but not listed in /proc/self/cgroup"))?;
        hierarchies.push(locate(controller, &candidates, &own.path, prefix)?);
    }
    let mut controllers: Vec<String> = memberships
        .iter()
        .filter(|m| m.id != "0")
        .flat_map(|m| m.controllers.iter())
        .filter(|c| !c.is_empty() && !c.starts_with("name="))
        .cloned()
        .collect();
    controllers.sort();
    Ok(Host {
        version: Version::V1,
        hierarchies,
        controllers,
        subtree_control: None,
        named_parent: false,
        inherited: false,
        remounted: Vec::new(),
    })
}

fn detect_v2(mounts: &[Mount], memberships: &[Membership], prefix: Option<&Path>) -> Result<Host, String> {
    let candidates: Vec<&Mount> = mounts.iter().filter(|m| m.fs_type == "cgroup2").collect();
    if candidates.is_empty() {
        return Err("no cgroup2 mount".to_string());
    }
    let own = memberships.iter().find(|m| m.id == "0").ok_or("no 0:: line in /proc/self/cgroup")?;
    let hierarchy = locate(Controller::Unified, &candidates, &own.path, prefix)?;
    // systemd runs ExecStartPre= and the like of a Delegate=yes unit in its own
    // ".control" leaf: systemd's, and enabling controllers above it would keep
    // the unit's main process out of the unit's cgroup.
    if hierarchy.own_dir.file_name().is_some_and(|n| n == ".control") {
        return Err(Error::SystemdControl { dir: hierarchy.own_dir.clone() }.to_string());
    }
    let path = hierarchy.own_dir.join("cgroup.controllers");
    let text = fs::read_to_string(&path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let controllers: Vec<String> = text.split_whitespace().map(str::to_string).collect();
    let missing: Vec<&str> =
        ["memory", "pids"].into_iter().filter(|c| !controllers.iter().any(|have| have == c)).collect();
    if !missing.is_empty() {
        return Err(format!(
            "{} lacks {} (has: {:?}): the parent cgroup must enable them for it in its \
             cgroup.subtree_control (`echo +memory +pids > <parent>/cgroup.subtree_control`, or systemd's Delegate=yes)",
            path.display(),
            missing.join(" and "),
            text.trim()
        ));
    }
    let subtree_control = fs::read_to_string(hierarchy.own_dir.join("cgroup.subtree_control"))
        .map(|s| s.trim().to_string())
        .unwrap_or_else(|e| format!("(unreadable: {e})"));
    Ok(Host {
        version: Version::V2,
        hierarchies: vec![hierarchy],
        controllers,
        subtree_control: Some(subtree_control),
        named_parent: false,
        inherited: false,
        remounted: Vec::new(),
    })
}

/// Picks the first mount whose root contains the own cgroup path and
/// computes the own directory under it.
fn locate(
    controller: Controller,
    candidates: &[&Mount],
    own_path: &str,
    prefix: Option<&Path>,
) -> Result<Hierarchy, String> {
    for mount in candidates {
        if let Some(rel) = relative_to_root(own_path, &mount.root) {
            let mount_point = match prefix {
                Some(p) => p.join(mount.mount_point.strip_prefix("/").unwrap_or(&mount.mount_point)),
                None => mount.mount_point.clone(),
            };
            let own_dir = if rel.is_empty() { mount_point.clone() } else { mount_point.join(rel) };
            return Ok(Hierarchy {
                controller,
                mount_point,
                own_path: own_path.to_string(),
                own_dir,
                read_only: mount.read_only,
            });
        }
    }
    let roots: Vec<&str> = candidates.iter().map(|m| m.root.as_str()).collect();
    Err(format!(
        "own {} cgroup {own_path} is not inside any mount of it (mount roots: {})",
        controller.name(),
        roots.join(", ")
    ))
}

/// `own_path` relative to a mount `root`, without a leading '/', or None
/// when the own cgroup is outside the mounted subtree.
fn relative_to_root<'a>(own_path: &'a str, root: &str) -> Option<&'a str> {
    let root = root.trim_end_matches('/');
    let rest = own_path.strip_prefix(root)?;
    if !rest.is_empty() && !rest.starts_with('/') {
        return None; // "/docker/ab" must not match root "/docker/a"
    }
    Some(rest.trim_start_matches('/'))
}

fn parse_mountinfo(text: &str) -> Vec<Mount> {
    text.lines().filter_map(parse_mountinfo_line).collect()
}

/// `36 35 98:0 /root /mnt/point rw,noatime shared:1 - fstype source super,opts`
fn parse_mountinfo_line(line: &str) -> Option<Mount> {
    let (before, after) = line.split_once(" - ")?;
    let mut fields = before.split(' ');
    let root = unescape(fields.nth(3)?);
    let mount_point = PathBuf::from(unescape(fields.next()?));
    let read_only = fields.next().is_some_and(|opts| opts.split(',').any(|o| o == "ro"));
    let mut after = after.split(' ');
    let fs_type = after.next()?.to_string();
    let _source = after.next()?;
    let super_options: Vec<String> = after.next().unwrap_or("").split(',').map(str::to_string).collect();
    // Read-only as a mount, or as a whole filesystem (super options).
    let read_only = read_only || super_options.iter().any(|o| o == "ro");
    Some(Mount { root, mount_point, fs_type, super_options, read_only })
}

/// Undoes mountinfo's octal escapes (`\040` for a space, etc.). Public for
/// the sandbox, which reads mountinfo too.
pub fn unescape(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let octal = bytes
            .get(i + 1..i + 4)
            .filter(|d| d.iter().all(|b| (b'0'..=b'7').contains(b)))
            .map(|d| d.iter().fold(0u32, |acc, b| acc * 8 + u32::from(b - b'0')))
            .and_then(|v| u8::try_from(v).ok());
        match (bytes[i], octal) {
            (b'\\', Some(byte)) => {
                out.push(byte);
                i += 4;
            }
            (b, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn parse_proc_cgroup(text: &str) -> Vec<Membership> {
    text.lines()
        .filter_map(|line| {
            let mut parts = line.splitn(3, ':');
            let id = parts.next()?.to_string();
            let controllers = parts.next()?.split(',').map(str::to_string).collect();
            let path = parts.next()?.to_string();
            Some(Membership { id, controllers, path })
        })
        .collect()
}

#[cfg(test)]
#[path = "detect_tests.rs"]
mod tests;
