use std::fs;
use std::path::{Path, PathBuf};

use super::*;
use crate::testutil::{read, write, HYBRID_CGROUP, HYBRID_MOUNTINFO, V2_MOUNTINFO};
use crate::{detect_from, Controller, Error, Version};

/// A fake v2 tree whose own cgroup `/app` has `subtree_control` as given,
/// and a fake /proc with the listed pids alive.
struct FakeV2 {
    tmp: tempfile::TempDir,
    host: Host,
}

impl FakeV2 {
    fn new(subtree_control: &str) -> Self {
        let tmp = tempfile::tempdir().unwrap();
        let own = tmp.path().join("sys/fs/cgroup/app");
        write(&own.join("cgroup.controllers"), "cpuset cpu io memory pids\n");
        write(&own.join("cgroup.subtree_control"), subtree_control);
        fs::create_dir_all(tmp.path().join("proc")).unwrap();
        let host = detect_from(V2_MOUNTINFO, "0::/app\n", Some(tmp.path())).unwrap();
        FakeV2 { tmp, host }
    }

    fn own(&self) -> PathBuf {
        self.tmp.path().join("sys/fs/cgroup/app")
    }

    fn proc_root(&self) -> PathBuf {
        self.tmp.path().join("proc")
    }

    /// What the kernel does on mkdir: control files appear.
    fn kernel_files(dir: &Path) {
        write(&dir.join("cgroup.subtree_control"), "");
        write(&dir.join("cgroup.procs"), "");
    }

    fn create_root(&self, pid: u32) -> Result<FlashRoot, Error> {
        create_root_with(&self.host, &self.proc_root(), pid, 0, &Self::kernel_files)
    }
}

fn fake_v1() -> (tempfile::TempDir, Host) {
    let tmp = tempfile::tempdir().unwrap();
    let host = detect_from(HYBRID_MOUNTINFO, HYBRID_CGROUP, Some(tmp.path())).unwrap();
    for h in &host.hierarchies {
        fs::create_dir_all(&h.own_dir).unwrap();
    }
    fs::create_dir_all(tmp.path().join("proc")).unwrap();
    (tmp, host)
}

#[test]
fn v2_root_enables_memory_pids_and_cpu_in_its_own_subtree_control() {
    let fake = FakeV2::new("cpu memory pids\n");
    let root = fake.create_root(4242).unwrap();
    let flash = fake.own().join("flash-4242-0");
    assert_eq!(root.dirs(), &[(Controller::Unified, flash.clone())]);
    assert_eq!(read(&flash.join("cgroup.subtree_control")), "+memory +pids +cpu");
    assert_eq!(read(&fake.own().join("cgroup.subtree_control")), "cpu memory pids\n");
}

#[test]
fn v2_root_without_cpu_enables_memory_and_pids() {
    let fake = FakeV2::new("memory pids io\n");
    let _root = fake.create_root(4242).unwrap();
    let flash = fake.own().join("flash-4242-0");
    assert_eq!(read(&flash.join("cgroup.subtree_control")), "+memory +pids");
}

#[test]
fn v2_refuses_when_the_parent_did_not_delegate_and_never_writes_it() {
    let fake = FakeV2::new("memory cpu\n");
    let err = fake.create_root(4242).unwrap_err();
    assert!(matches!(err, Error::NotDelegated { .. }), "{err:?}");
    let msg = err.to_string();
    assert!(msg.starts_with("pids not enabled in "), "{msg}");
    assert!(msg.contains("app/cgroup.subtree_control"), "{msg}");
    assert!(msg.contains("Delegate=yes"), "{msg}");
    assert_eq!(read(&fake.own().join("cgroup.subtree_control")), "memory cpu\n");
    assert!(!fake.own().join("flash-4242-0").exists());
}

#[test]
fn v2_slots_are_leaves_of_flash_root() {
    let fake = FakeV2::new("memory pids\n");
    let root = fake.create_root(7).unwrap();
    let slot = root.create_slot(3).unwrap();
    let dir = fake.own().join("flash-7-0/slot-3");
    assert!(dir.is_dir());
    let paths = slot.paths();
    assert_eq!(paths.version, Version::V2);
    assert_eq!(paths.dirs, vec![(Controller::Unified, dir.clone())]);
    slot.remove().unwrap();
    assert!(!dir.exists());
}

#[test]
fn stale_roots_of_dead_processes_are_removed_and_others_kept() {
    let fake = FakeV2::new("memory pids\n");
    let own = fake.own();
    fs::create_dir_all(own.join("flash-999999/slot-3")).unwrap();
    fs::create_dir_all(own.join("flash-77/slot-0")).unwrap();
    fs::create_dir_all(fake.proc_root().join("77")).unwrap();
    // Still has a "task": rmdir fails, clean-up continues.
    write(&own.join("flash-555/slot-1/tasks"), "");
    fs::create_dir_all(own.join("flash-abc")).unwrap();
    fs::create_dir_all(own.join("other")).unwrap();

    let _root = fake.create_root(4242).unwrap();

    assert!(!own.join("flash-999999").exists());
    assert!(own.join("flash-77/slot-0").is_dir(), "live Flash kept");
    assert!(own.join("flash-555/slot-1/tasks").exists(), "busy one kept");
    assert!(own.join("flash-abc").is_dir());
    assert!(own.join("other").is_dir());
    assert!(own.join("flash-4242-0").is_dir());
}

#[test]
fn a_leftover_root_with_our_own_pid_is_replaced() {
    let (tmp, host) = fake_v1();
    let leftover = host.hierarchies[0].own_dir.join("flash-31-0/slot-2");
    fs::create_dir_all(&leftover).unwrap();
    let root = create_root_with(&host, &tmp.path().join("proc"), 31, 0, &|_| {}).unwrap();
    assert!(!leftover.exists());
    assert!(root.dirs()[0].1.is_dir());
}

#[test]
fn v1_root_and_slots_live_in_every_hierarchy_and_are_removed_on_drop() {
    let (tmp, host) = fake_v1();
    let root = create_root_with(&host, &tmp.path().join("proc"), 12, 0, &|_| {}).unwrap();
    let prefix = tmp.path().join("sys/fs/cgroup");
    let memory = prefix.join("memory/process_api/173121430f24331bf9fdf7083f618b18/flash-12-0");
    assert_eq!(
        root.dirs(),
        &[
            (Controller::Memory, memory.clone()),
            (Controller::Pids, prefix.join("pids/flash-12-0")),
            (Controller::Cpuacct, prefix.join("cpuacct/flash-12-0")),
        ]
    );
    // A leftover empty slot-0 is replaced.
    fs::create_dir(memory.join("slot-0")).unwrap();
    let slot0 = root.create_slot(0).unwrap();
    let slot1 = root.create_slot(1).unwrap();
    assert_eq!(slot0.paths().version, Version::V1);
    assert_eq!(
        slot0.paths().dirs.iter().map(|(c, _)| *c).collect::<Vec<_>>(),
        [Controller::Memory, Controller::Pids, Controller::Cpuacct]
    );
    for (_, dir) in slot0.paths().dirs.iter().chain(&slot1.paths().dirs) {
        assert!(dir.is_dir(), "{}", dir.display());
    }
    drop(slot0);
    assert!(!memory.join("slot-0").exists());
    // Without slot1's own Drop, the root's Drop must remove it.
    std::mem::forget(slot1);
    drop(root);
    for dir in ["pids/flash-12-0", "cpuacct/flash-12-0"] {
        assert!(!prefix.join(dir).exists(), "{dir}");
    }
    assert!(!memory.exists());
}

#[test]
fn joined_v1_hierarchies_are_created_once() {
    let tmp = tempfile::tempdir().unwrap();
    let mountinfo = "\
35 31 0:32 / /sys/fs/cgroup/memory,pids rw - cgroup cgroup rw,memory,pids
33 31 0:30 / /sys/fs/cgroup/cpu,cpuacct rw - cgroup cgroup rw,cpu,cpuacct
";
    let host = detect_from(mountinfo, "4:memory,pids:/\n2:cpu,cpuacct:/\n", Some(tmp.path())).unwrap();
    for h in &host.hierarchies {
        fs::create_dir_all(&h.own_dir).unwrap();
    }
    let root = create_root_with(&host, tmp.path(), 5, 0, &|_| {}).unwrap();
    assert_eq!(root.dirs().len(), 3);
    assert_eq!(root.dirs()[0].1, root.dirs()[1].1);
    let slot = root.create_slot(0).unwrap();
    let dirs = slot.paths().dirs;
    assert_eq!(dirs[0].1, dirs[1].1);
    slot.remove().unwrap();
    assert!(!dirs[0].1.exists() && !dirs[2].1.exists());
}

#[test]
fn slot_remove_reports_a_busy_cgroup_with_its_path() {
    let (tmp, host) = fake_v1();
    let root = create_root_with(&host, &tmp.path().join("proc"), 8, 0, &|_| {}).unwrap();
    let slot = root.create_slot(4).unwrap();
    let pids_dir = slot.paths().dirs[1].1.clone();
    write(&pids_dir.join("tasks"), "1\n"); // rmdir now fails
    let msg = slot.remove().unwrap_err().to_string();
    assert!(msg.starts_with("failed to remove cgroup "), "{msg}");
    assert!(msg.contains("pids/flash-8-0/slot-4"), "{msg}");
    // The other hierarchies were still removed.
    assert!(!root.dirs()[0].1.join("slot-4").exists());
}

#[test]
fn missing_own_cgroup_directory_is_a_clear_error() {
    let tmp = tempfile::tempdir().unwrap();
    let host = detect_from(HYBRID_MOUNTINFO, HYBRID_CGROUP, Some(tmp.path())).unwrap();
    let msg = create_root_with(&host, tmp.path(), 1, 0, &|_| {}).unwrap_err().to_string();
    assert!(msg.starts_with("failed to list "), "{msg}");
    assert!(msg.contains("memory/process_api"), "{msg}");
}

#[test]
fn an_undelegated_v2_cgroup_can_be_replaced_by_a_named_parent() {
    // The own cgroup has processes and no controllers for children: refused...
    let fake = FakeV2::new("");
    assert!(matches!(fake.create_root(9), Err(Error::NotDelegated { .. })));
    // ...but an operator-made, delegated cgroup works, and the own one is untouched.
    let delegated = fake.tmp.path().join("sys/fs/cgroup/flash-boxes");
    write(&delegated.join("cgroup.subtree_control"), "memory pids\n");
    let host = fake.host.clone().with_parent("/flash-boxes").unwrap();
    let root = create_root_with(&host, &fake.proc_root(), 9, 0, &FakeV2::kernel_files).unwrap();
    assert_eq!(root.dirs()[0].1, delegated.join("flash-9-0"));
    assert_eq!(read(&delegated.join("flash-9-0/cgroup.subtree_control")), "+memory +pids");
    assert_eq!(read(&fake.own().join("cgroup.subtree_control")), "");
    // A parent that does not exist, or climbs out, is refused with the reason.
    let e = fake.host.clone().with_parent("/nope").unwrap_err().to_string();
    assert!(e.contains("does not exist"), "{e}");
    assert!(fake.host.clone().with_parent("/../etc").is_err());
}
