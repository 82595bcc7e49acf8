//! Arranging on fake v2 trees that behave like cgroupfs where it matters:
//! a pid lives in one `cgroup.procs` at a time, a non-root cgroup with
//! processes refuses `cgroup.subtree_control` (EBUSY), controllers must be
//! available to be enabled, and a read-only tree refuses every write.

use std::cell::RefCell;
use std::collections::HashMap;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use super::*;
use crate::root::create_root_with;
use crate::testutil::{read, write};
use crate::{detect_from, Controller};

/// A fake cgroup2 tree rooted at `<tmp>/sys/fs/cgroup`.
struct Fake {
    tmp: tempfile::TempDir,
    read_only: bool,
    xattrs: RefCell<HashMap<(PathBuf, String), Vec<u8>>>,
    writes: RefCell<Vec<(PathBuf, String)>>,
    remounts: RefCell<Vec<PathBuf>>,
}

impl Fake {
    fn new() -> Fake {
        let fake = Fake {
            tmp: tempfile::tempdir().unwrap(),
            read_only: false,
            xattrs: Default::default(),
            writes: Default::default(),
            remounts: Default::default(),
        };
        let root = fake.cg("");
        write(&root.join("cgroup.controllers"), "cpuset cpu io memory hugetlb pids rdma misc\n");
        write(&root.join("cgroup.subtree_control"), "");
        write(&root.join("cgroup.procs"), "1\n");
        fs::create_dir_all(fake.tmp.path().join("proc")).unwrap();
        fake
    }

    /// The directory of cgroup `rel` ("" is the root).
    fn cg(&self, rel: &str) -> PathBuf {
        let base = self.tmp.path().join("sys/fs/cgroup");
        if rel.is_empty() {
            base
        } else {
            base.join(rel)
        }
    }

    /// Makes cgroup `rel` (not the root) with processes `procs`, and
    /// `subtree` enabled for its children.
    fn make(&self, rel: &str, procs: &[u32], subtree: &str) {
        self.mkdir(&self.cg(rel)).unwrap();
        for p in procs {
            self.write(&self.cg(rel).join("cgroup.procs"), &p.to_string()).unwrap();
        }
        write(&self.cg(rel).join("cgroup.subtree_control"), subtree);
    }

    fn host(&self, mountinfo: &str, own: &str) -> Host {
        detect_from(mountinfo, &format!("0::{own}\n"), Some(self.tmp.path())).unwrap()
    }

    fn procs(&self, rel: &str) -> Vec<u32> {
        read(&self.cg(rel).join("cgroup.procs")).split_whitespace().map(|p| p.parse().unwrap()).collect()
    }

    fn all_procs_files(&self) -> Vec<PathBuf> {
        fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
            out.push(dir.join("cgroup.procs"));
            for e in fs::read_dir(dir).unwrap().flatten() {
                if e.file_type().unwrap().is_dir() {
                    walk(&e.path(), out);
                }
            }
        }
        let mut out = Vec::new();
        walk(&self.cg(""), &mut out);
        out
    }
}

impl Fake {
    /// What the kernel puts in a new cgroup; a child's controllers are its
    /// parent's subtree_control.
    fn kernel_files(dir: &Path) -> io::Result<()> {
        let parent = fs::read_to_string(dir.parent().unwrap().join("cgroup.subtree_control"))?;
        let controllers: Vec<&str> = parent.split_whitespace().map(|c| c.trim_start_matches('+')).collect();
        fs::write(dir.join("cgroup.controllers"), controllers.join(" "))?;
        fs::write(dir.join("cgroup.subtree_control"), "")?;
        fs::write(dir.join("cgroup.procs"), "")?;
        fs::write(dir.join("cgroup.type"), "domain\n")
    }
}

fn os_err(code: i32) -> io::Error {
    io::Error::from_raw_os_error(code)
}

impl Ops for Fake {
    fn mkdir(&self, dir: &Path) -> io::Result<()> {
        if self.read_only {
            return Err(os_err(libc::EROFS));
        }
        if dir.exists() {
            return Ok(());
        }
        fs::create_dir(dir)?;
        Fake::kernel_files(dir)
    }

    fn write(&self, file: &Path, value: &str) -> io::Result<()> {
        if self.read_only {
            return Err(os_err(libc::EROFS));
        }
        self.writes.borrow_mut().push((file.to_path_buf(), value.to_string()));
        let dir = file.parent().unwrap();
        match file.file_name().unwrap().to_str().unwrap() {
            "cgroup.procs" => {
                // A pid lives in exactly one cgroup.
                for f in self.all_procs_files() {
                    let kept: Vec<String> =
                        read(&f).split_whitespace().filter(|p| *p != value).map(str::to_string).collect();
                    fs::write(&f, kept.iter().map(|p| format!("{p}\n")).collect::<String>())?;
                }
                let mut now = read(file);
                now.push_str(&format!("{value}\n"));
                fs::write(file, now)
            }
            "cgroup.subtree_control" => {
                let is_root = !dir.join("cgroup.type").exists();
                if !is_root && !read(&dir.join("cgroup.procs")).trim().is_empty() {
                    return Err(os_err(libc::EBUSY));
                }
                let available = read(&dir.join("cgroup.controllers"));
                let mut enabled: Vec<String> = read(file).split_whitespace().map(str::to_string).collect();
                for c in value.split_whitespace() {
                    let name = c.trim_start_matches('+');
                    if !available.split_whitespace().any(|a| a == name) {
                        return Err(os_err(libc::ENOENT));
                    }
                    if !enabled.iter().any(|e| e == name) {
                        enabled.push(name.to_string());
                    }
                }
                fs::write(file, enabled.join(" "))?;
                // Children see the new set in their cgroup.controllers at once.
                for e in fs::read_dir(dir)?.flatten() {
                    if e.file_type()?.is_dir() {
                        fs::write(e.path().join("cgroup.controllers"), enabled.join(" "))?;
                    }
                }
                Ok(())
            }
            _ => fs::write(file, value),
        }
    }

    fn xattr(&self, dir: &Path, name: &str) -> Option<Vec<u8>> {
        self.xattrs.borrow().get(&(dir.to_path_buf(), name.to_string())).cloned()
    }

    fn remount_rw(&self, mount_point: &Path) -> io::Result<()> {
        self.remounts.borrow_mut().push(mount_point.to_path_buf());
        Ok(())
    }
}

const V2: &str = "30 23 0:26 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:4 - cgroup2 cgroup2 rw\n";
/// A container's private cgroup namespace: the mount's root is the
/// namespace root, which /proc/self/cgroup calls "/".
const V2_NS: &str = "1200 1100 0:26 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime - cgroup2 cgroup2 rw\n";
const V2_RO: &str = "30 23 0:26 / /sys/fs/cgroup ro,nosuid,nodev,noexec,relatime shared:4 - cgroup2 cgroup2 rw\n";
/// Read-only as a filesystem (super options), writable as a mount.
const V2_RO_SB: &str = "30 23 0:26 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:4 - cgroup2 cgroup2 ro\n";

/// After arranging, Flash's root and a slot can be made where expected.
fn assert_boxes_under(fake: &Fake, host: &Host, rel: &str) {
    static SEQ: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    let seq = SEQ.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let proc_root = fake.tmp.path().join("proc");
    let root = create_root_with(host, &proc_root, 77, seq, &|d| Fake::kernel_files(d).unwrap()).unwrap();
    assert_eq!(root.dirs(), &[(Controller::Unified, fake.cg(rel).join(format!("flash-77-{seq}")))]);
    // The fake's control files are plain files that rmdir cannot take.
    std::mem::forget(root);
}

#[test]
fn the_real_root_cgroup_enables_controllers_in_place_and_moves_nobody() {
    let fake = Fake::new();
    let mut host = fake.host(V2, "/");
    let got = host.arrange_with(false, &fake).unwrap();
    assert_eq!(got, Arranged::Enabled { controllers: "+memory +pids +cpu".into(), why: "the machine's root cgroup" });
    assert_eq!(read(&fake.cg("").join("cgroup.subtree_control")), "memory pids cpu");
    assert_eq!(fake.procs(""), [1]);
    assert!(!fake.cg(SUPERVISOR).exists());
    assert_boxes_under(&fake, &host, "");
}

#[test]
fn a_cgroup_namespace_root_moves_its_processes_to_the_supervisor_leaf() {
    // Docker's default on v2: the container's cgroup is "/" inside; it has
    // the entrypoint and Flash in it, and nothing enabled for children. Seen
    // from inside, the namespace root is not the machine's root: it has a
    // cgroup.type, and the no-internal-processes rule applies to it.
    let fake = Fake::new();
    write(&fake.cg("").join("cgroup.type"), "domain\n");
    write(&fake.cg("").join("cgroup.controllers"), "cpu io memory pids\n");
    write(&fake.cg("").join("cgroup.procs"), "1\n7\n");
    let mut host = fake.host(V2_NS, "/");
    let got = host.arrange_with(false, &fake).unwrap();
    assert_eq!(
        got,
        Arranged::MovedToSupervisor {
            moved: 2,
            controllers: "+memory +pids +cpu".into(),
            why: "the root of this cgroup namespace, e.g. a container's"
        }
    );
    assert_eq!(fake.procs(""), Vec::<u32>::new());
    assert_eq!(fake.procs(SUPERVISOR), [1, 7]);
    assert_eq!(read(&fake.cg("").join("cgroup.subtree_control")), "memory pids cpu");
    assert_boxes_under(&fake, &host, "");
    // A second Flash started from inside the supervisor leaf uses the
    // arranged parent and changes nothing.
    let mut again = fake.host(V2_NS, &format!("/{SUPERVISOR}"));
    assert_eq!(again.arrange_with(false, &fake).unwrap(), Arranged::AsFound);
    assert_boxes_under(&fake, &again, "");
}

#[test]
fn a_systemd_delegated_service_is_arranged_below_itself_only() {
    let fake = Fake::new();
    write(&fake.cg("").join("cgroup.subtree_control"), "memory pids cpu");
    fake.make("system.slice", &[], "memory pids cpu");
    fake.make("system.slice/flash.service", &[412, 413], "");
    fake.xattrs.borrow_mut().insert((fake.cg("system.slice/flash.service"), "trusted.delegate".into()), b"1".to_vec());
    fake.writes.borrow_mut().clear();
    let mut host = fake.host(V2, "/system.slice/flash.service");
    let got = host.arrange_with(false, &fake).unwrap();
    assert!(matches!(got, Arranged::MovedToSupervisor { moved: 2, why: "delegated by systemd (Delegate=yes)", .. }));
    assert_eq!(fake.procs(&format!("system.slice/flash.service/{SUPERVISOR}")), [412, 413]);
    // Nothing outside the service's own subtree was written.
    for (file, _) in fake.writes.borrow().iter() {
        assert!(file.starts_with(fake.cg("system.slice/flash.service")), "wrote {}", file.display());
    }
    assert_boxes_under(&fake, &host, "system.slice/flash.service");
}

#[test]
fn a_service_without_delegation_is_refused_with_the_remedy_and_left_alone() {
    let fake = Fake::new();
    write(&fake.cg("").join("cgroup.subtree_control"), "memory pids cpu");
    fake.make("system.slice", &[], "memory pids cpu");
    fake.make("system.slice/flash.service", &[412], "");
    fake.writes.borrow_mut().clear();
    let mut host = fake.host(V2, "/system.slice/flash.service");
    let err = host.arrange_with(false, &fake).unwrap_err();
    assert!(matches!(err, Error::NotDelegated { .. }), "{err:?}");
    let msg = err.to_string();
    assert!(msg.contains("Delegate=yes"), "{msg}");
    assert!(msg.contains("FLASH_CGROUP_PARENT"), "{msg}");
    assert!(msg.contains("FLASH_CGROUP_DELEGATED=1"), "{msg}");
    assert!(fake.writes.borrow().iter().all(|(f, _)| !f.starts_with(fake.cg("system.slice/flash.service"))));
    assert_eq!(fake.procs("system.slice/flash.service"), [412]);
    assert!(!fake.cg("system.slice/flash.service").join(SUPERVISOR).exists());
    // The operator's word (a Kubernetes pod in the host's cgroup namespace) makes it Flash's.
    let got = host.arrange_with(true, &fake).unwrap();
    assert!(matches!(got, Arranged::MovedToSupervisor { why: "declared Flash's by FLASH_CGROUP_DELEGATED", .. }));
}

#[test]
fn a_named_parent_gets_its_controllers_enabled_when_empty_and_is_refused_when_busy() {
    // The README's recipe: mkdir /sys/fs/cgroup/flash, enable in the root only.
    let fake = Fake::new();
    write(&fake.cg("").join("cgroup.subtree_control"), "memory pids cpu");
    fake.make("svc", &[500], "");
    fake.make("flash", &[], "");
    let mut host = fake.host(V2, "/svc").with_parent("/flash").unwrap();
    let got = host.arrange_with(false, &fake).unwrap();
    assert!(matches!(got, Arranged::Enabled { why: "named by FLASH_CGROUP_PARENT", .. }), "{got:?}");
    assert_eq!(read(&fake.cg("flash/cgroup.subtree_control")), "memory pids cpu");
    assert_eq!(fake.procs("svc"), [500], "the own cgroup is untouched");
    assert_boxes_under(&fake, &host, "flash");

    fake.make("busy", &[600], "");
    let mut host = fake.host(V2, "/svc").with_parent("/busy").unwrap();
    let msg = host.arrange_with(false, &fake).unwrap_err().to_string();
    assert!(msg.contains("holds 1 process(es)"), "{msg}");
    assert_eq!(fake.procs("busy"), [600]);
}

#[test]
fn missing_controllers_name_the_parent_to_fix() {
    let fake = Fake::new();
    write(&fake.cg("").join("cgroup.subtree_control"), "cpu memory");
    fake.make("svc", &[500], "");
    // detect() itself already needs memory and pids in cgroup.controllers.
    let err = detect_from(V2, "0::/svc\n", Some(fake.tmp.path())).unwrap_err().to_string();
    assert!(err.contains("lacks pids"), "{err}");
    assert!(err.contains("cgroup.subtree_control"), "{err}");
    // A named parent whose own parent gives no pids.
    fake.make("svc/boxes", &[], "");
    write(&fake.cg("svc").join("cgroup.controllers"), "cpu memory pids");
    let mut host = fake.host(V2, "/svc").with_parent("/svc/boxes").unwrap();
    let msg = host.arrange_with(false, &fake).unwrap_err().to_string();
    assert!(msg.contains("lacks the memory and pids controller(s)"), "{msg}");
    assert!(msg.contains("+memory +pids"), "{msg}");
}

#[test]
fn a_read_only_cgroup_mount_is_refused_with_the_remedy() {
    let fake = Fake::new();
    let mut host = fake.host(V2_RO, "/");
    let msg = host.arrange_with(false, &fake).unwrap_err().to_string();
    assert!(msg.contains("is read-only"), "{msg}");
    assert!(msg.contains("--privileged"), "{msg}");
    assert!(msg.contains("FLASH_CGROUP_DELEGATED=1"), "{msg}");
    assert!(fake.remounts.borrow().is_empty());
    // On the operator's word, Flash makes the mount writable, then goes on.
    let got = host.arrange_with(true, &fake).unwrap();
    assert_eq!(*fake.remounts.borrow(), [fake.cg("")]);
    assert_eq!(host.remounted(), [fake.cg("")]);
    assert!(matches!(got, Arranged::Enabled { why: "the machine's root cgroup", .. }), "{got:?}");
    let mut host = fake.host(V2_RO_SB, "/");
    let msg = host.arrange_with(false, &fake).unwrap_err().to_string();
    assert!(msg.contains("is read-only"), "{msg}");
    // A tree that refuses writes without saying so in mountinfo.
    let mut ro = Fake::new();
    ro.read_only = true;
    let mut host = ro.host(V2, "/");
    let msg = host.arrange_with(false, &ro).unwrap_err().to_string();
    assert!(msg.contains("is read-only"), "{msg}");
    // ...also where Flash would move its processes first (a namespace root).
    write(&ro.cg("").join("cgroup.type"), "domain\n");
    let mut host = ro.host(V2, "/");
    let msg = host.arrange_with(false, &ro).unwrap_err().to_string();
    assert!(msg.contains("is read-only"), "{msg}");
}

#[test]
fn cgroup_v1_needs_no_arranging() {
    let tmp = tempfile::tempdir().unwrap();
    let mut host =
        detect_from(crate::testutil::HYBRID_MOUNTINFO, crate::testutil::HYBRID_CGROUP, Some(tmp.path())).unwrap();
    assert_eq!(host.arrange_with(false, &Kernel).unwrap(), Arranged::AsFound);
}

#[test]
fn an_already_delegating_parent_is_used_as_found() {
    let fake = Fake::new();
    write(&fake.cg("").join("cgroup.subtree_control"), "memory pids");
    fake.make("app", &[3], "memory pids");
    let mut host = fake.host(V2, "/app");
    assert_eq!(host.arrange_with(false, &fake).unwrap(), Arranged::AsFound);
    assert!(fake.writes.borrow().iter().all(|(f, _)| f.file_name().unwrap() == "cgroup.procs"));
}

#[test]
fn a_systemd_control_process_is_told_to_run_as_the_main_process() {
    let fake = Fake::new();
    write(&fake.cg("").join("cgroup.subtree_control"), "memory pids cpu");
    fake.make("system.slice", &[], "memory pids cpu");
    fake.make("system.slice/flash.service", &[], "");
    fake.make("system.slice/flash.service/.control", &[77], "");
    fake.xattrs.borrow_mut().insert((fake.cg("system.slice/flash.service"), "trusted.delegate".into()), b"1".to_vec());
    fake.writes.borrow_mut().clear();
    // As systemd leaves it: nothing enabled for .control, so detection stops.
    let own = "0::/system.slice/flash.service/.control\n";
    let msg = detect_from(V2, own, Some(fake.tmp.path())).unwrap_err().to_string();
    assert!(msg.contains("ExecStart="), "{msg}");
    assert!(fake.writes.borrow().is_empty());
}
