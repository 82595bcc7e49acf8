use std::path::{Path, PathBuf};

use super::*;
use crate::testutil::{read, write};

/// A fake v2 slot directory holding the files the kernel would create.
fn fake_v2_slot(dir: &Path, with_optional: bool) -> SlotPaths {
    for (name, content) in [
        ("cgroup.procs", "12\n34\n"),
        ("memory.max", ""),
        ("memory.current", "4096\n"),
        ("memory.events", "low 0\nhigh 0\nmax 7\noom 1\noom_kill 1\noom_group_kill 0\n"),
        ("pids.max", ""),
        ("pids.current", "3\n"),
        ("cpu.stat", "usage_usec 1500\nuser_usec 1000\nsystem_usec 500\nnr_periods 0\n"),
    ] {
        write(&dir.join(name), content);
    }
    if with_optional {
        write(&dir.join("memory.swap.max"), "");
        write(&dir.join("memory.peak"), "");
    }
    SlotPaths { version: Version::V2, dirs: vec![(Controller::Unified, dir.to_path_buf())] }
}

/// A fake v1 slot: one directory per hierarchy.
fn fake_v1_slot(root: &Path, oom_control: &str) -> SlotPaths {
    let memory = root.join("memory/slot-0");
    let pids = root.join("pids/slot-0");
    let cpuacct = root.join("cpuacct/slot-0");
    for (dir, name, content) in [
        (&memory, "memory.limit_in_bytes", "0\n"),
        (&memory, "memory.memsw.limit_in_bytes", "0\n"),
        (&memory, "memory.max_usage_in_bytes", "8192\n"),
        (&memory, "memory.usage_in_bytes", "4096\n"),
        (&memory, "memory.oom_control", oom_control),
        (&memory, "memory.failcnt", "3\n"),
        (&memory, "memory.memsw.failcnt", "4\n"),
        (&pids, "pids.max", ""),
        (&pids, "pids.current", "1\n"),
        (&cpuacct, "cpuacct.usage", "123456789\n"),
        (&cpuacct, "cpuacct.usage_sys", "23456789\n"),
    ] {
        write(&dir.join(name), content);
    }
    for dir in [&memory, &pids, &cpuacct] {
        write(&dir.join("cgroup.procs"), "");
    }
    SlotPaths {
        version: Version::V1,
        dirs: vec![(Controller::Memory, memory), (Controller::Pids, pids), (Controller::Cpuacct, cpuacct)],
    }
}

#[test]
fn v2_limits_are_written_to_the_right_files() {
    let tmp = tempfile::tempdir().unwrap();
    let c = Controls::open(&fake_v2_slot(tmp.path(), true)).unwrap();
    c.set_memory_limit(268_435_456).unwrap();
    c.set_pids_max(64).unwrap();
    assert_eq!(read(&tmp.path().join("memory.max")), "268435456");
    assert_eq!(read(&tmp.path().join("memory.swap.max")), "0");
    assert_eq!(read(&tmp.path().join("pids.max")), "64");
}

#[test]
fn v2_readings_are_parsed() {
    let tmp = tempfile::tempdir().unwrap();
    let c = Controls::open(&fake_v2_slot(tmp.path(), true)).unwrap();
    assert_eq!(c.memory_usage().unwrap(), 4096);
    assert_eq!(c.oom_kills().unwrap(), 1);
    assert_eq!(c.cpu_usage_ns().unwrap(), 1_500_000);
    assert_eq!(c.cpu_system_ns().unwrap(), Some(500_000));
    assert_eq!(c.pids_current().unwrap(), 3);
    assert_eq!(c.procs().unwrap(), vec![12, 34]);
    // Readings repeat on the same fds.
    assert_eq!(c.cpu_usage_ns().unwrap(), 1_500_000);
    assert_eq!(c.memory_limit_events().unwrap(), 7);
    write(&tmp.path().join("memory.events"), "low 0\noom 0\n");
    assert_eq!(c.oom_kills().unwrap(), 0, "absent oom_kill line means 0");
    assert_eq!(c.memory_limit_events().unwrap(), 0, "absent max line means 0");
}

#[test]
fn v2_peak_is_reset_through_the_fd_that_reads_it() {
    let tmp = tempfile::tempdir().unwrap();
    let c = Controls::open(&fake_v2_slot(tmp.path(), true)).unwrap();
    assert!(c.peak_is_resettable());
    assert_eq!(c.memory_method(), MemoryMethod::ResettablePeak);
    c.reset_memory_peak().unwrap();
    assert_eq!(read(&tmp.path().join("memory.peak")), "1");
    assert_eq!(c.memory_peak().unwrap(), 1);
}

#[test]
fn v2_without_swap_and_peak_files() {
    let tmp = tempfile::tempdir().unwrap();
    let c = Controls::open(&fake_v2_slot(tmp.path(), false)).unwrap();
    c.set_memory_limit(1 << 20).unwrap();
    assert_eq!(read(&tmp.path().join("memory.max")), "1048576");
    assert!(!tmp.path().join("memory.swap.max").exists());
    c.reset_memory_peak().unwrap();
    assert!(!c.peak_is_resettable());
    assert_eq!(c.memory_method(), MemoryMethod::Sampled);
    let msg = c.memory_peak().unwrap_err().to_string();
    assert!(msg.contains("memory.peak does not exist"), "{msg}");
}

#[test]
fn join_self_and_add_process_write_to_cgroup_procs() {
    let tmp = tempfile::tempdir().unwrap();
    let paths = fake_v1_slot(tmp.path(), "");
    let c = Controls::open(&paths).unwrap();
    c.join_self().unwrap();
    for (_, dir) in &paths.dirs {
        assert_eq!(read(&dir.join("cgroup.procs")), "0");
    }
    c.add_process(4242).unwrap();
    for (_, dir) in &paths.dirs {
        assert_eq!(read(&dir.join("cgroup.procs")), "4242");
    }
    assert_eq!(c.procs().unwrap(), vec![4242]);
}

#[test]
fn v1_limits_and_readings() {
    let tmp = tempfile::tempdir().unwrap();
    let paths = fake_v1_slot(tmp.path(), "oom_kill_disable 0\nunder_oom 0\noom_kill 2\n");
    let c = Controls::open(&paths).unwrap();
    let memory = &paths.dirs[0].1;
    c.set_memory_limit(1 << 30).unwrap();
    assert_eq!(read(&memory.join("memory.limit_in_bytes")), "1073741824");
    assert_eq!(read(&memory.join("memory.memsw.limit_in_bytes")), "1073741824");
    c.set_pids_max(32).unwrap();
    assert_eq!(read(&paths.dirs[1].1.join("pids.max")), "32");
    assert_eq!(c.memory_peak().unwrap(), 8192);
    c.reset_memory_peak().unwrap();
    // A regular file is overwritten in place, not truncated like a seq file.
    assert!(read(&memory.join("memory.max_usage_in_bytes")).starts_with('0'));
    assert_eq!(c.memory_usage().unwrap(), 4096);
    assert_eq!(c.oom_kills().unwrap(), 2);
    assert_eq!(c.memory_limit_events().unwrap(), 7, "memory and memory+swap hits");
    assert_eq!(c.memory_method(), MemoryMethod::ResettablePeak);
    assert_eq!(c.cpu_usage_ns().unwrap(), 123_456_789);
    assert_eq!(c.cpu_system_ns().unwrap(), Some(23_456_789));
    assert_eq!(c.pids_current().unwrap(), 1);
}

#[test]
fn kernel_time_is_none_where_the_kernel_does_not_say() {
    let tmp = tempfile::tempdir().unwrap();
    let paths = fake_v1_slot(tmp.path(), "");
    std::fs::remove_file(paths.dirs[2].1.join("cpuacct.usage_sys")).unwrap();
    assert_eq!(Controls::open(&paths).unwrap().cpu_system_ns().unwrap(), None);
    let tmp = tempfile::tempdir().unwrap();
    let paths = fake_v2_slot(tmp.path(), false);
    write(&tmp.path().join("cpu.stat"), "usage_usec 1500\n");
    assert_eq!(Controls::open(&paths).unwrap().cpu_system_ns().unwrap(), None);
}

#[test]
fn v1_oom_control_without_oom_kill_line_counts_zero() {
    let tmp = tempfile::tempdir().unwrap();
    let c = Controls::open(&fake_v1_slot(tmp.path(), "oom_kill_disable 0\nunder_oom 0\n")).unwrap();
    assert_eq!(c.oom_kills().unwrap(), 0);
}

#[test]
fn v1_without_memsw_sets_only_the_limit() {
    let tmp = tempfile::tempdir().unwrap();
    let paths = fake_v1_slot(tmp.path(), "");
    std::fs::remove_file(paths.dirs[0].1.join("memory.memsw.limit_in_bytes")).unwrap();
    std::fs::remove_file(paths.dirs[0].1.join("memory.memsw.failcnt")).unwrap();
    let c = Controls::open(&paths).unwrap();
    c.set_memory_limit(4096).unwrap();
    assert_eq!(read(&paths.dirs[0].1.join("memory.limit_in_bytes")), "4096");
    assert_eq!(c.memory_limit_events().unwrap(), 3);
}

#[test]
fn errors_name_the_file() {
    let tmp = tempfile::tempdir().unwrap();
    let paths = fake_v2_slot(tmp.path(), true);
    std::fs::remove_file(tmp.path().join("pids.max")).unwrap();
    let msg = Controls::open(&paths).unwrap_err().to_string();
    assert!(msg.starts_with("failed to open "), "{msg}");
    assert!(msg.contains("pids.max"), "{msg}");

    write(&tmp.path().join("pids.max"), "");
    let c = Controls::open(&paths).unwrap();
    write(&tmp.path().join("memory.current"), "lots\n");
    let msg = c.memory_usage().unwrap_err().to_string();
    assert!(msg.contains("memory.current") && msg.contains("lots"), "{msg}");
}

#[test]
fn slot_paths_must_name_the_needed_directories() {
    let paths = SlotPaths { version: Version::V1, dirs: vec![(Controller::Memory, PathBuf::from("/nonexistent"))] };
    let msg = Controls::open(&paths).unwrap_err().to_string();
    assert!(msg.starts_with("invalid slot paths: no pids directory"), "{msg}");
}

#[test]
fn a_downgraded_method_stops_resetting_the_peak() {
    let tmp = tempfile::tempdir().unwrap();
    let paths = fake_v1_slot(tmp.path(), "");
    let mut c = Controls::open(&paths).unwrap();
    c.downgrade_memory_method(MemoryMethod::LifetimePeak);
    assert_eq!(c.memory_method(), MemoryMethod::LifetimePeak);
    c.reset_memory_peak().unwrap();
    assert_eq!(c.memory_peak().unwrap(), 8192, "not reset");
    // Never upgraded again.
    c.downgrade_memory_method(MemoryMethod::ResettablePeak);
    assert_eq!(c.memory_method(), MemoryMethod::LifetimePeak);
    c.downgrade_memory_method(MemoryMethod::Sampled);
    assert_eq!(c.memory_method(), MemoryMethod::Sampled);
}
