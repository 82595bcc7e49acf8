//! The crate against the real kernel: detection from `/proc`, Flash's
//! cgroups under its own cgroup, limits that are enforced, usage that is
//! measured, and nothing left behind.
//!
//! Needs root and a mounted cgroup filesystem: `#[ignore]`d, so a run
//! without root lists it as skipped; scripts/test.sh (as root) runs it, and
//! it fails, with the reason, when either is missing. Everything runs in one test
//! function because a process has one `flash-<pid>` root.

use std::fs;
use std::io;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus};
use std::sync::Arc;
use std::time::{Duration, Instant};

use flash_cgroup::{detect, Controller, Controls, SlotPaths, Version};

/// Why the real tests cannot run here, if they cannot.
fn unusable() -> Option<String> {
    // SAFETY: geteuid has no preconditions and cannot fail.
    if unsafe { libc::geteuid() } != 0 {
        return Some("not running as root".into());
    }
    let mountinfo = match fs::read_to_string("/proc/self/mountinfo") {
        Ok(text) => text,
        Err(e) => return Some(format!("cannot read /proc/self/mountinfo: {e}")),
    };
    let has_cgroup = mountinfo
        .lines()
        .any(|l| l.split_once(" - ").is_some_and(|(_, t)| t.starts_with("cgroup ") || t.starts_with("cgroup2 ")));
    (!has_cgroup).then(|| "no cgroup filesystem is mounted".into())
}

/// The directory of `controller` in `paths` (v2: the one directory).
fn dir(paths: &SlotPaths, controller: Controller) -> PathBuf {
    let want = match paths.version {
        Version::V1 => controller,
        Version::V2 => Controller::Unified,
    };
    paths.dirs.iter().find(|(c, _)| *c == want).unwrap().1.clone()
}

fn read_trimmed(path: &Path) -> String {
    fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display())).trim().to_string()
}

/// Runs `sh -c script` inside the slot: the child joins it between fork
/// and exec, as the sandbox helper does.
fn run_in_slot(controls: &Arc<Controls>, script: &str) -> ExitStatus {
    let mut cmd = Command::new("sh");
    cmd.arg("-c").arg(script);
    let c = Arc::clone(controls);
    // SAFETY: the closure runs in the child between fork and exec; join_self
    // only pwrite()s to fds that are already open, and allocates only when
    // it fails (then the child reports the error and exits).
    unsafe {
        cmd.pre_exec(move || c.join_self().map_err(|e| io::Error::other(e.to_string())));
    }
    cmd.status().expect("spawn sh")
}

/// Waits until the slot has no processes (exited children may take a moment
/// to be reaped by init when their parent died first).
fn wait_empty(c: &Controls) {
    let start = Instant::now();
    loop {
        let procs = c.procs().unwrap();
        if procs.is_empty() {
            return;
        }
        if start.elapsed() > Duration::from_secs(5) {
            let states: Vec<String> =
                procs.iter().map(|p| fs::read_to_string(format!("/proc/{p}/stat")).unwrap_or_default()).collect();
            panic!("slot not empty: {states:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
#[ignore = "needs root: scripts/test.sh runs it"]
fn real_cgroup_lifecycle() {
    assert_eq!(unusable(), None, "the real cgroup tests need root and a cgroup filesystem");
    let proc_root = Path::new("/proc");
    let host = detect(proc_root).expect("cgroups are mounted, detection must work");
    for (label, value) in host.describe() {
        eprintln!("{label}: {value}");
    }

    let own_dirs: Vec<PathBuf> = host.own_cgroups().into_iter().map(|(_, d)| d).collect();
    let settings_before = settings(&own_dirs);
    assert!(!settings_before.is_empty());

    let root = host.create_root(proc_root).unwrap();
    let root_dirs: Vec<PathBuf> = root.dirs().iter().map(|(_, d)| d.clone()).collect();
    let own_prefix = format!("flash-{}-", std::process::id());
    for d in &root_dirs {
        assert!(d.is_dir(), "{}", d.display());
        let name = d.file_name().unwrap().to_str().unwrap();
        assert!(name.starts_with(&own_prefix), "{name}");
    }

    let slot = root.create_slot(0).unwrap();
    let paths = slot.paths();
    assert_eq!(paths.version, host.version());
    let c = Arc::new(Controls::open(&paths).unwrap());

    // Raising and lowering exercise the v1 rule memsw >= limit.
    let (memory, pids) = (dir(&paths, Controller::Memory), dir(&paths, Controller::Pids));
    let limit_file = match paths.version {
        Version::V1 => memory.join("memory.limit_in_bytes"),
        Version::V2 => memory.join("memory.max"),
    };
    for mib in [256u64, 64, 512] {
        c.set_memory_limit(mib << 20).unwrap();
        assert_eq!(read_trimmed(&limit_file), (mib << 20).to_string());
    }
    c.set_pids_max(64).unwrap();
    assert_eq!(read_trimmed(&pids.join("pids.max")), "64");

    // A process moved in from outside shows up, and leaves when it dies.
    let mut sleeper = Command::new("sleep").arg("5").spawn().unwrap();
    c.add_process(sleeper.id()).unwrap();
    assert_eq!(c.procs().unwrap(), vec![sleeper.id() as i32]);
    assert_eq!(c.pids_current().unwrap(), 1);
    sleeper.kill().unwrap();
    sleeper.wait().unwrap();
    // Regression: a kept v1 cgroup.procs fd kept listing the dead sleeper.
    assert_eq!(c.procs().unwrap(), Vec::<i32>::new());
    assert_eq!(c.pids_current().unwrap(), 0);

    // A busy process that joined itself is measured.
    c.reset_memory_peak().unwrap();
    let cpu_before = c.cpu_usage_ns().unwrap();
    let status = run_in_slot(&c, "i=0; while [ $i -lt 200000 ]; do i=$((i+1)); done");
    assert!(status.success(), "{status}");
    let cpu = c.cpu_usage_ns().unwrap() - cpu_before;
    assert!(cpu > 10_000_000, "busy loop used only {cpu} ns");
    let peak = c.memory_peak().unwrap();
    assert!(peak > 0, "peak {peak}");
    eprintln!("busy loop: {cpu} ns CPU, peak {peak} bytes");
    c.memory_usage().unwrap();
    assert_eq!(c.oom_kills().unwrap(), 0);

    // pids.max is enforced: the shell cannot fork its eighth sleeper.
    c.set_pids_max(4).unwrap();
    let status = run_in_slot(&c, "for i in 1 2 3 4 5 6 7 8; do sleep 0.2 & done; wait");
    assert!(!status.success(), "forks beyond pids.max must fail");
    wait_empty(&c);
    c.set_pids_max(64).unwrap();

    // The memory limit is enforced by the OOM killer, and counted.
    c.set_memory_limit(32 << 20).unwrap();
    // tail keeps the one endless "line" in memory.
    let status = run_in_slot(&c, "head -c 500000000 /dev/zero | tail > /dev/null");
    assert!(!status.success(), "memory hog must be killed");
    assert!(c.oom_kills().unwrap() >= 1);
    wait_empty(&c);

    // Nothing is left behind.
    drop(c);
    slot.remove().unwrap();
    for (_, d) in &paths.dirs {
        assert!(!d.exists(), "{}", d.display());
    }
    drop(root);
    for d in &root_dirs {
        assert!(!d.exists(), "{}", d.display());
    }
    assert_eq!(settings(&own_dirs), settings_before, "own cgroups untouched");
}

/// The limits and controller settings of the cgroups Flash did not create.
fn settings(dirs: &[PathBuf]) -> Vec<(PathBuf, String)> {
    let mut out = Vec::new();
    for dir in dirs {
        for entry in fs::read_dir(dir).unwrap().flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            let is_setting =
                name.ends_with("limit_in_bytes") || name.ends_with(".max") || name == "cgroup.subtree_control";
            if is_setting {
                if let Ok(value) = fs::read_to_string(entry.path()) {
                    out.push((entry.path(), value));
                }
            }
        }
    }
    out.sort();
    out
}
