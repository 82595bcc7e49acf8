//! Building a slot's box, once, when its helper starts.
//!
//! The order matters and is the kernel's, not ours; [`prepare`] is the
//! checklist. After it returns the helper lives inside the box's root: it can
//! no longer see the host's filesystem, only the box, plus the cgroup files it
//! opened beforehand.

use super::Slot;
use crate::config::{Mount, SlotConfig};
use crate::sys;
use crate::Error;
use std::fs;
use std::io;
use std::os::unix::fs::{symlink, PermissionsExt};
use std::path::{Path, PathBuf};

/// The helper's nice value (see [`prepare`]).
const WATCHDOG_NICE: libc::c_int = -5;

/// Flags for read-only binds: no setuid binaries, no device nodes from the host view.
const RO_FLAGS: libc::c_ulong = libc::MS_BIND | libc::MS_REMOUNT | libc::MS_RDONLY | libc::MS_NOSUID;

/// Builds the box for `cfg` and returns the prepared slot. One step a line.
pub fn prepare(cfg: SlotConfig) -> Result<Slot, Error> {
    // No PR_SET_PDEATHSIG: it fires when the *thread* that spawned us exits, and the
    // library's threads come and go. The helper notices the library's death instead
    // by the control socket's hang-up, also while a program runs.
    // The OOM killer should pick the box's programs, not the helper that reports on them.
    // Lowering needs CAP_SYS_RESOURCE, which some hosts withhold even from root; the
    // programs raise their own score to 1000 anyway, so this is best effort.
    let _ = fs::write("/proc/self/oom_score_adj", "-1000");
    // The helper is the watchdog: it must get the CPU to check limits even while a
    // fork bomb keeps 64 processes runnable. A slightly higher priority (best
    // effort: needs CAP_SYS_NICE); every program goes back to nice 0 before exec.
    // SAFETY: setpriority takes no pointers.
    unsafe { libc::setpriority(libc::PRIO_PROCESS, 0, WATCHDOG_NICE) };
    // Compile both seccomp profiles now: installing one later allocates nothing.
    let policy = flash_seccomp::Policy::shipped().map_err(|e| Error::Setup(e.to_string()))?;
    let seccomp_default = policy.compile(flash_seccomp::Profile::Default).map_err(|e| Error::Setup(e.to_string()))?;
    let seccomp_debugger = policy.compile(flash_seccomp::Profile::Debugger).map_err(|e| Error::Setup(e.to_string()))?;
    // Open the cgroup files while /sys is still visible; after pivot_root only fds remain.
    let mut cgroup = flash_cgroup::Controls::open(&cfg.cgroup).map_err(|e| Error::Setup(e.to_string()))?;
    if let Some(ceiling) = cfg.memory_method_ceiling {
        cgroup.downgrade_memory_method(ceiling);
    }
    // A private mount namespace for the box view, and a network namespace with only loopback.
    sys::unshare(libc::CLONE_NEWNS | libc::CLONE_NEWNET).map_err(Error::setup("unshare"))?;
    // Nothing we mount may propagate back to the host.
    sys::mount(None, Path::new("/"), None, libc::MS_REC | libc::MS_PRIVATE, None)
        .map_err(Error::setup("make / private"))?;
    // Loopback up: programs (and the Java debugger) may talk to themselves, nobody else.
    sys::loopback_up().map_err(Error::setup("bring up lo"))?;
    // The new root is a tmpfs; everything in it is either a bind or made here.
    let root = cfg.scratch.join(format!("root-{}-{}", cfg.parent_pid, cfg.slot));
    fs::create_dir_all(&root).map_err(Error::io(&root))?;
    sys::mount(Some(Path::new("tmpfs")), &root, Some("tmpfs"), libc::MS_NOSUID, Some("mode=0755,size=16m"))
        .map_err(Error::setup("mount root tmpfs"))?;
    // Host toolchains, read-only.
    for m in &cfg.mounts {
        bind(&root, m, cfg.force_remount_fallback)?;
    }
    // Other judges' toolchain paths, as links under a /usr/local of the box's own.
    if !cfg.links.is_empty() {
        local_links(&root, &cfg.links, cfg.force_remount_fallback)?;
    }
    // A synthetic /etc: the box's own user names and hosts, nothing from the host.
    write_etc(&root, cfg.uid, cfg.gid)?;
    // A minimal /dev: five harmless character devices and the usual symlinks.
    make_dev(&root)?;
    // Mount points for the per-run /proc, the box and /tmp.
    for d in ["proc", "box", "tmp"] {
        mkdir(&root.join(d), 0o755)?;
    }
    // Bound over the parts of each run's /proc that show the host (child.rs).
    mkdir(&root.join(".empty"), 0o555)?;
    // Kept for signalling a live run's program (its host pid is under /proc).
    let host_proc = fs::File::open("/proc").map_err(Error::io("/proc"))?;
    // The helper's resident set, all built: what the OOM killer would score it by.
    let resident = sys::resident_bytes().map_err(Error::io("/proc/self/statm"))?;
    // Enter the new root; the old one is detached so no path leads back to the host.
    pivot(&root)?;
    // The root itself becomes read-only: writes to / fail with EROFS.
    sys::mount(None, Path::new("/"), None, RO_FLAGS | libc::MS_NODEV, None)
        .map_err(Error::setup("remount / read-only"))?;
    // The box is built: from now on the helper's own memory is not the box's.
    let slot = Slot {
        run_cgroups: cfg.run_cgroups,
        next_run: Default::default(),
        runs: Default::default(),
        box_size_kb: cfg.box_size_kb,
        tmp_size_kb: cfg.tmp_size_kb,
        uid: cfg.uid,
        gid: cfg.gid,
        cgroup,
        seccomp_default,
        seccomp_debugger,
        host_proc,
        resident,
    };
    // A fresh writable /box and /tmp.
    slot.reset_writable()?;
    if slot.run_cgroups {
        // Every run is born into a cgroup of its own (clone3 CLONE_INTO_CGROUP);
        // the helper stays where the library started it, out of the slot.
        slot.prepare_next_run()?;
    } else {
        // Join the slot's cgroup last: every process we fork from here on is born
        // in it, so no run ever pays for a cgroup migration.
        slot.cgroup.join_self().map_err(|e| Error::Setup(e.to_string()))?;
    }
    Ok(slot)
}

fn mkdir(p: &Path, mode: u32) -> Result<(), Error> {
    fs::create_dir_all(p).map_err(Error::io(p))?;
    fs::set_permissions(p, fs::Permissions::from_mode(mode)).map_err(Error::io(p))
}

/// Binds one host path into the root, or recreates it as a symlink.
fn bind(root: &Path, m: &Mount, force_fallback: bool) -> Result<(), Error> {
    let meta = match fs::symlink_metadata(&m.source) {
        Ok(meta) => meta,
        Err(e) if e.kind() == io::ErrorKind::NotFound && m.optional => return Ok(()),
        Err(e) => return Err(Error::Io(m.source.display().to_string(), e)),
    };
    let target = root.join(m.target.strip_prefix("/").unwrap_or(&m.target));
    if let Some(parent) = target.parent() {
        mkdir(parent, 0o755)?;
    }
    if meta.file_type().is_symlink() {
        // Merged-/usr hosts: /bin -> usr/bin. Keep the link; the target is bound anyway.
        let link = fs::read_link(&m.source).map_err(Error::io(&m.source))?;
        return symlink(&link, &target).map_err(Error::io(&target));
    }
    if meta.is_dir() {
        mkdir(&target, 0o755)?;
    } else {
        fs::write(&target, b"").map_err(Error::io(&target))?;
    }
    sys::mount(Some(&m.source), &target, None, libc::MS_BIND | libc::MS_REC, None)
        .map_err(Error::setup(format!("bind {}", m.source.display())))?;
    // Read-only (unless writable), nosuid, nodev on the bind *and every mount below
    // it*: a remount would change only the top one and leave a host submount
    // (say, a separate /usr/local) as writable as it is on the host.
    let mut attrs = libc::MOUNT_ATTR_NOSUID | libc::MOUNT_ATTR_NODEV;
    if !m.writable {
        attrs |= libc::MOUNT_ATTR_RDONLY;
    }
    let locked = if force_fallback {
        Err(io::Error::from_raw_os_error(libc::ENOSYS))
    } else {
        sys::mount_setattr_recursive(&target, attrs)
    };
    match locked {
        // Before Linux 5.12 there is no mount_setattr: remount every mount at or
        // below the target, one by one, as bubblewrap does.
        Err(e) if e.raw_os_error() == Some(libc::ENOSYS) => sys::remount_tree_locked(&target, !m.writable),
        other => other,
    }
    .map_err(Error::setup(format!("lock down {}", m.target.display())))
}

/// Makes the box's `/usr/local` a small tmpfs (a mount point needs no write
/// access to the read-only `/usr` below it), binds the host's `/usr/local`
/// entries back read-only, adds the links, and makes the tmpfs read-only.
fn local_links(root: &Path, links: &[crate::config::Link], force_fallback: bool) -> Result<(), Error> {
    let local = root.join("usr/local");
    sys::mount(
        Some(Path::new("tmpfs")),
        &local,
        Some("tmpfs"),
        libc::MS_NOSUID | libc::MS_NODEV,
        Some("mode=0755,size=1m"),
    )
    .map_err(Error::setup("mount /usr/local tmpfs"))?;
    let host = fs::read_dir("/usr/local").map_err(Error::io("/usr/local"))?;
    for entry in host.flatten() {
        if let Some(p) = entry.path().to_str() {
            bind(root, &Mount::ro(p, true), force_fallback)?;
        }
    }
    for l in links {
        let rel = l.path.strip_prefix("/usr/local/").ok().filter(|r| !r.as_os_str().is_empty());
        let Some(rel) = rel.filter(|r| r.components().all(|c| matches!(c, std::path::Component::Normal(_)))) else {
            return Err(Error::Setup(format!("link {}: must be a path under /usr/local/", l.path.display())));
        };
        let at = local.join(rel);
        if let Some(parent) = at.parent() {
            mkdir(parent, 0o755)?;
        }
        symlink(&l.target, &at).map_err(Error::io(&at))?;
    }
    sys::mount(None, &local, None, libc::MS_REMOUNT | libc::MS_RDONLY | libc::MS_NOSUID | libc::MS_NODEV, None)
        .map_err(Error::setup("remount /usr/local read-only"))
}

fn write_etc(root: &Path, uid: u32, gid: u32) -> Result<(), Error> {
    let etc = root.join("etc");
    mkdir(&etc, 0o755)?;
    let files = [
        ("passwd", format!("root:x:0:0:root:/:/bin/false\nbox:x:{uid}:{gid}:box:/box:/bin/sh\n")),
        ("group", format!("root:x:0:\nbox:x:{gid}:\n")),
        ("hosts", "127.0.0.1 localhost box\n::1 localhost\n".to_owned()),
        ("hostname", "box\n".to_owned()),
    ];
    for (name, body) in files {
        let p = etc.join(name);
        fs::write(&p, body).map_err(Error::io(&p))?;
    }
    Ok(())
}

fn make_dev(root: &Path) -> Result<(), Error> {
    let dev = root.join("dev");
    mkdir(&dev, 0o755)?;
    for name in ["null", "zero", "full", "random", "urandom"] {
        let target = dev.join(name);
        fs::write(&target, b"").map_err(Error::io(&target))?;
        let source = PathBuf::from("/dev").join(name);
        sys::mount(Some(&source), &target, None, libc::MS_BIND, None)
            .map_err(Error::setup(format!("bind /dev/{name}")))?;
        sys::mount(None, &target, None, libc::MS_BIND | libc::MS_REMOUNT | libc::MS_NOSUID, None)
            .map_err(Error::setup(format!("remount /dev/{name}")))?;
    }
    let links = [
        ("fd", "/proc/self/fd"),
        ("stdin", "/proc/self/fd/0"),
        ("stdout", "/proc/self/fd/1"),
        ("stderr", "/proc/self/fd/2"),
        ("shm", "/tmp"),
    ];
    for (name, to) in links {
        symlink(to, dev.join(name)).map_err(Error::io(dev.join(name)))?;
    }
    Ok(())
}

/// `pivot_root(root, root)` stacks the old root on top of the new one; detaching
/// it leaves only the new root, with no directory left to climb out through.
fn pivot(root: &Path) -> Result<(), Error> {
    std::env::set_current_dir(root).map_err(Error::io(root))?;
    sys::pivot_root(Path::new("."), Path::new(".")).map_err(Error::setup("pivot_root"))?;
    sys::umount2(Path::new("."), libc::MNT_DETACH).map_err(Error::setup("detach old root"))?;
    std::env::set_current_dir("/").map_err(Error::io("/"))
}

impl Slot {
    /// Replaces /box and /tmp with empty tmpfs mounts: nothing survives a run.
    pub fn reset_writable(&self) -> Result<(), Error> {
        for (dir, size, mode) in [("/box", self.box_size_kb, "0755"), ("/tmp", self.tmp_size_kb, "1777")] {
            let p = Path::new(dir);
            // The first reset finds nothing mounted; later ones find the last run's tmpfs.
            let _ = sys::umount2(p, libc::MNT_DETACH);
            let opts = format!("size={size}k,mode={mode},uid={},gid={},nr_inodes=65536", self.uid, self.gid);
            sys::mount(Some(Path::new("tmpfs")), p, Some("tmpfs"), libc::MS_NOSUID | libc::MS_NODEV, Some(&opts))
                .map_err(Error::setup(format!("mount tmpfs on {dir}")))?;
        }
        Ok(())
    }
}
