use std::path::{Path, PathBuf};

use super::*;
use crate::testutil::{write, HYBRID_CGROUP, HYBRID_MOUNTINFO, V2_MOUNTINFO};

fn own_dirs(host: &Host) -> Vec<(Controller, PathBuf)> {
    host.own_cgroups()
}

fn unsupported_reason(result: Result<Host, Error>) -> String {
    match result {
        Err(Error::Unsupported { reason }) => reason,
        other => panic!("expected Unsupported, got {other:?}"),
    }
}

#[test]
fn hybrid_with_separate_cpu_and_cpuacct_uses_v1() {
    let host = detect_from(HYBRID_MOUNTINFO, HYBRID_CGROUP, None).unwrap();
    assert_eq!(host.version(), Version::V1);
    assert_eq!(
        own_dirs(&host),
        vec![
            (Controller::Memory, PathBuf::from("/sys/fs/cgroup/memory/process_api/173121430f24331bf9fdf7083f618b18")),
            (Controller::Pids, PathBuf::from("/sys/fs/cgroup/pids")),
            (Controller::Cpuacct, PathBuf::from("/sys/fs/cgroup/cpuacct")),
        ]
    );
}

#[test]
fn hybrid_with_joined_cpu_cpuacct_uses_v1() {
    let mountinfo = "\
32 31 0:29 / /sys/fs/cgroup/cpu,cpuacct rw,nosuid shared:9 - cgroup cgroup rw,cpu,cpuacct
35 31 0:32 / /sys/fs/cgroup/memory rw,nosuid shared:12 - cgroup cgroup rw,memory
39 31 0:36 / /sys/fs/cgroup/pids rw,nosuid shared:16 - cgroup cgroup rw,pids
41 31 0:38 / /sys/fs/cgroup/unified rw,nosuid shared:18 - cgroup2 cgroup2 rw
";
    let cgroup = "\
8:pids:/user.slice/user-0.slice
4:memory:/user.slice/user-0.slice
2:cpu,cpuacct:/user.slice
0::/user.slice/user-0.slice
";
    let host = detect_from(mountinfo, cgroup, None).unwrap();
    assert_eq!(host.version(), Version::V1);
    assert_eq!(host.hierarchies[2].own_dir, PathBuf::from("/sys/fs/cgroup/cpu,cpuacct/user.slice"));
    assert_eq!(host.hierarchies[0].own_dir, PathBuf::from("/sys/fs/cgroup/memory/user.slice/user-0.slice"));
}

#[test]
fn pure_v2_uses_the_unified_hierarchy() {
    let tmp = tempfile::tempdir().unwrap();
    let own = tmp.path().join("sys/fs/cgroup/system.slice/flash.service");
    write(&own.join("cgroup.controllers"), "cpuset cpu io memory pids\n");
    write(&own.join("cgroup.subtree_control"), "memory pids\n");
    let host = detect_from(V2_MOUNTINFO, "0::/system.slice/flash.service\n", Some(tmp.path())).unwrap();
    assert_eq!(host.version(), Version::V2);
    assert_eq!(own_dirs(&host), vec![(Controller::Unified, own)]);
    let facts = host.describe();
    assert!(facts.contains(&("cgroup version".into(), "v2 (unified)".into())));
    assert!(facts.contains(&("controllers available".into(), "cpuset cpu io memory pids".into())));
    assert!(facts.contains(&("own cgroup.subtree_control".into(), "memory pids".into())));
}

#[test]
fn container_mount_root_is_stripped_from_the_own_path() {
    let mountinfo = "\
700 690 0:32 /docker/abc /sys/fs/cgroup/memory ro,nosuid - cgroup cgroup rw,memory
701 690 0:36 /docker/abc /sys/fs/cgroup/pids ro,nosuid - cgroup cgroup rw,pids
702 690 0:30 /docker/abc /sys/fs/cgroup/cpu,cpuacct ro,nosuid - cgroup cgroup rw,cpu,cpuacct
";
    let cgroup = "4:memory:/docker/abc\n8:pids:/docker/abc/sub\n2:cpu,cpuacct:/docker/abc\n";
    let host = detect_from(mountinfo, cgroup, None).unwrap();
    assert_eq!(
        own_dirs(&host),
        vec![
            (Controller::Memory, PathBuf::from("/sys/fs/cgroup/memory")),
            (Controller::Pids, PathBuf::from("/sys/fs/cgroup/pids/sub")),
            (Controller::Cpuacct, PathBuf::from("/sys/fs/cgroup/cpu,cpuacct")),
        ]
    );
}

#[test]
fn own_cgroup_outside_the_mounted_subtree_is_unsupported() {
    let mountinfo = "\
700 690 0:32 /docker/abc /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory
701 690 0:36 /docker/abc /sys/fs/cgroup/pids rw - cgroup cgroup rw,pids
702 690 0:30 /docker/abc /sys/fs/cgroup/cpuacct rw - cgroup cgroup rw,cpuacct
";
    // "/docker/abcd" shares a string prefix with the root but is a sibling.
    let cgroup = "4:memory:/docker/abcd\n8:pids:/docker/abc\n2:cpuacct:/docker/abc\n";
    let reason = unsupported_reason(detect_from(mountinfo, cgroup, None));
    assert!(reason.contains("own memory cgroup /docker/abcd is not inside any mount"), "{reason}");
}

#[test]
fn missing_v1_pids_and_no_cgroup2_is_unsupported() {
    let mountinfo = "\
35 31 0:32 / /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory
33 31 0:30 / /sys/fs/cgroup/cpuacct rw - cgroup cgroup rw,cpuacct
";
    let reason = unsupported_reason(detect_from(mountinfo, "4:memory:/\n2:cpuacct:/\n", None));
    assert!(reason.contains("no cgroup v1 mount with the pids controller"), "{reason}");
    assert!(reason.contains("no cgroup2 mount"), "{reason}");
}

#[test]
fn this_machines_hybrid_without_v1_pids_falls_to_a_controllerless_v2() {
    let tmp = tempfile::tempdir().unwrap();
    write(&tmp.path().join("sys/fs/cgroup/unified/cgroup.controllers"), "\n");
    let mountinfo: String =
        HYBRID_MOUNTINFO.lines().filter(|l| !l.contains("rw,pids")).map(|l| format!("{l}\n")).collect();
    let reason = unsupported_reason(detect_from(&mountinfo, HYBRID_CGROUP, Some(tmp.path())));
    assert!(reason.contains("lacks memory and pids"), "{reason}");
}

#[test]
fn v2_without_pids_in_cgroup_controllers_is_unsupported() {
    let tmp = tempfile::tempdir().unwrap();
    write(&tmp.path().join("sys/fs/cgroup/app/cgroup.controllers"), "cpu memory\n");
    let reason = unsupported_reason(detect_from(V2_MOUNTINFO, "0::/app\n", Some(tmp.path())));
    assert!(reason.contains("lacks pids"), "{reason}");
    assert!(reason.contains("app/cgroup.controllers"), "{reason}");
}

#[test]
fn v1_is_preferred_only_when_complete() {
    // memory and cpuacct on v1, pids only on v2: use v2.
    let tmp = tempfile::tempdir().unwrap();
    write(&tmp.path().join("sys/fs/cgroup/unified/cgroup.controllers"), "memory pids\n");
    let mountinfo: String =
        HYBRID_MOUNTINFO.lines().filter(|l| !l.contains("rw,pids")).map(|l| format!("{l}\n")).collect();
    let host = detect_from(&mountinfo, HYBRID_CGROUP, Some(tmp.path())).unwrap();
    assert_eq!(host.version(), Version::V2);
}

#[test]
fn fs_prefix_is_prepended_to_mount_points() {
    let host = detect_from(HYBRID_MOUNTINFO, HYBRID_CGROUP, Some(Path::new("/tmp/fake"))).unwrap();
    assert_eq!(host.hierarchies[1].own_dir, PathBuf::from("/tmp/fake/sys/fs/cgroup/pids"));
}

#[test]
fn escaped_mount_points_are_unescaped() {
    let mountinfo = "\
35 31 0:32 / /mnt/cg\\040mem rw - cgroup cgroup rw,memory
39 31 0:36 / /mnt/pids rw - cgroup cgroup rw,pids
33 31 0:30 / /mnt/acct rw - cgroup cgroup rw,cpuacct
";
    let host = detect_from(mountinfo, "4:memory:/\n8:pids:/\n2:cpuacct:/\n", None).unwrap();
    assert_eq!(host.hierarchies[0].own_dir, PathBuf::from("/mnt/cg mem"));
}

#[test]
fn detect_reads_the_given_proc_root() {
    let proc_root = tempfile::tempdir().unwrap();
    write(&proc_root.path().join("self/mountinfo"), HYBRID_MOUNTINFO);
    write(&proc_root.path().join("self/cgroup"), HYBRID_CGROUP);
    let host = detect(proc_root.path()).unwrap();
    assert_eq!(host.version(), Version::V1);
    let facts = host.describe();
    assert!(facts.contains(&("cgroup version".into(), "v1".into())));
    let pids = facts.iter().find(|(k, _)| k == "pids hierarchy").unwrap();
    assert!(pids.1.contains("mounted at /sys/fs/cgroup/pids"), "{pids:?}");
    let controllers = facts.iter().find(|(k, _)| k == "controllers available").unwrap();
    assert_eq!(controllers.1, "blkio cpu cpuacct cpuset devices freezer memory pids");

    let err = detect(&proc_root.path().join("missing")).unwrap_err().to_string();
    assert!(err.contains("missing/self/mountinfo"), "{err}");
}
