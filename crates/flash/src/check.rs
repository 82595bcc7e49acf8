//! `flash check`: what this host gives, and a real run in a box to prove it.

use clap::Args;
use flash_sandbox::{Pool, PoolConfig, RunSpec, Status};
use std::path::Path;

#[derive(Args, Debug)]
pub struct CheckArgs {
    /// The data directory of the `flash serve` whose precompiled headers and
    /// warm-runtime archives to report [default: as `flash serve`'s].
    #[arg(long, env = "FLASH_DATA_DIR")]
    data_dir: Option<std::path::PathBuf>,
}

/// The debugger's toolchain, which no language entry names.
const GDB: (&str, &str) = ("gdb", "/usr/bin/gdb");

fn line(k: &str, v: impl std::fmt::Display) {
    println!("{k:<22} {v}");
}

/// The oldest kernel Flash is tested on (Debian 11's): cgroup v2 with
/// `memory.events` oom_kill, seccomp's kill_process, cgroup namespaces, and
/// the remount fallback for `mount_setattr` (5.12) all hold from here on.
const MIN_KERNEL: (u32, u32) = (5, 10);

/// `major.minor` of a kernel release string such as `6.1.0-26-amd64`.
fn kernel_version(release: &str) -> Option<(u32, u32)> {
    let mut parts = release.split(|c: char| !c.is_ascii_digit());
    Some((parts.next()?.parse().ok()?, parts.next()?.parse().ok()?))
}

pub fn main(a: CheckArgs) -> anyhow::Result<i32> {
    let mut problems = Vec::new();
    let release = std::fs::read_to_string("/proc/sys/kernel/osrelease").unwrap_or_default();
    let release = release.trim();
    match kernel_version(release) {
        Some(v) if v >= MIN_KERNEL => {
            line("kernel", format!("{release} (Flash needs {}.{} or later)", MIN_KERNEL.0, MIN_KERNEL.1))
        }
        _ => {
            line("kernel", release);
            problems.push(format!(
                "kernel {release} is older than {}.{}, the oldest Flash supports (it needs cgroup v2's memory \
                 events, seccomp's kill_process and cgroup namespaces as they are from there on); upgrade the kernel",
                MIN_KERNEL.0, MIN_KERNEL.1
            ));
        }
    }
    // SAFETY: geteuid has no preconditions.
    let euid = unsafe { libc::geteuid() };
    line("user", if euid == 0 { "root (euid 0)".to_string() } else { format!("euid {euid}") });
    if euid != 0 {
        problems.push("Flash must run as root to build namespaces, mounts and cgroups".to_string());
    }
    let ns: Vec<&str> = ["pid", "mnt", "net", "ipc", "uts", "cgroup"]
        .into_iter()
        .filter(|n| Path::new("/proc/self/ns").join(n).exists())
        .collect();
    line("namespaces", ns.join(" "));
    if ns.len() < 6 {
        problems.push("the kernel lacks some namespaces (need pid mnt net ipc uts cgroup)".into());
    }
    let seccomp = std::fs::read_to_string("/proc/sys/kernel/seccomp/actions_avail").unwrap_or_default();
    line("seccomp actions", seccomp.trim());
    if !seccomp.contains("kill_process") || !seccomp.contains("errno") {
        problems.push("seccomp filters with kill_process and errno are required".into());
    }
    match flash_seccomp::Policy::shipped() {
        Ok(p) => line("seccomp policy", format!("{} deny rules", p.rules().len())),
        Err(e) => problems.push(format!("seccomp policy: {e}")),
    }
    match flash_cgroup::detect(Path::new("/proc")) {
        Ok(host) => {
            for (k, v) in host.describe() {
                line(&format!("cgroup {k}"), v);
            }
        }
        Err(e) => problems.push(format!("cgroups: {e}")),
    }
    if let Ok(p) = std::env::var("FLASH_CGROUP_PARENT") {
        line("FLASH_CGROUP_PARENT", p);
    }
    // The shipped language table: what this host offers, and what it does not and why.
    match flash_engine::Registry::load(None) {
        Ok(reg) => {
            line("languages", format!("{} offered", reg.languages().len()));
            for l in reg.languages() {
                line(&format!("  {}", l.id()), &l.display_name);
            }
            for (name, why) in reg.unavailable() {
                line("  not offered", format!("{name}: {why}"));
            }
            prebuilt(&reg, &a.data_dir.clone().unwrap_or_else(flash_server::config::default_data_dir));
        }
        Err(e) => problems.push(format!("language table: {e}")),
    }
    let gdb = std::process::Command::new(GDB.1).arg("--version").output();
    let gdb = gdb.map(|o| String::from_utf8_lossy(&o.stdout).lines().next().unwrap_or("").to_string());
    line(GDB.0, gdb.unwrap_or_else(|_| "not found (the debugger needs it)".into()));
    if problems.is_empty() {
        match live_check() {
            Ok(s) => line("sandbox", s),
            Err(e) => problems.push(format!("a test run in a box failed: {e:#}")),
        }
    }
    if problems.is_empty() {
        println!("\nOK: a safe sandbox can be built on this host.");
        Ok(0)
    } else {
        println!("\nNOT OK: a safe sandbox cannot be built here:");
        for p in problems {
            println!("  - {p}");
        }
        Ok(1)
    }
}

/// Builds a one-slot pool and runs `/bin/true` in it.
/// The precompiled headers and warm-runtime archives a `flash serve` with
/// `data_dir` uses: built, or built in the background at its next start.
/// Looks only: a directory that does not exist is not created.
fn prebuilt(reg: &flash_engine::Registry, data_dir: &Path) {
    let later = "not built yet: `flash serve` builds it at start (until then: plain)";
    let (pch_dir, warm_dir) = (data_dir.join("pch"), data_dir.join("warm"));
    if pch_dir.is_dir() {
        if let Ok(pch) = flash_engine::Pch::plan(reg, &pch_dir) {
            for (language, flags, ready) in pch.describe() {
                let headers = flash_engine::pch::HEADERS.join(" ");
                let state = if ready { format!("ready ({flags}: {headers})") } else { later.into() };
                line(&format!("  pch {language}"), state);
            }
        }
    } else {
        line("  pch", format!("{later} ({})", pch_dir.display()));
    }
    if warm_dir.is_dir() {
        if let Ok(warm) = flash_engine::Warm::plan(reg, &warm_dir) {
            for (language, file, ready) in warm.describe() {
                line(&format!("  warm {language}"), if ready { format!("ready ({file})") } else { later.into() });
            }
        }
    } else {
        line("  warm", format!("{later} ({})", warm_dir.display()));
    }
}

fn live_check() -> anyhow::Result<String> {
    let pool = Pool::new(PoolConfig::new(1)?)?;
    let report = pool.cgroup_report();
    let parents: Vec<String> = report.parents.iter().map(|p| p.display().to_string()).collect();
    line("cgroup parent used", parents.join(" "));
    line("cgroup parent setup", &report.arranged);
    if !report.remounted.is_empty() {
        let points: Vec<String> = report.remounted.iter().map(|p| p.display().to_string()).collect();
        line("cgroup remounted rw", format!("{} (FLASH_CGROUP_DELEGATED=1)", points.join(" ")));
    }
    line("memory measurement", format!("{:?}: {}", report.memory_method, report.memory_method.describe()));
    // A job's path: a file staged into /box, run by the box user, who writes next to it.
    let script = b"echo ok > out && cat out\n".to_vec();
    let spec = RunSpec {
        argv: vec!["/bin/sh".into(), "check.sh".into()],
        env: flash_sandbox::default_env(),
        files: vec![flash_sandbox::BoxFile { path: "check.sh".into(), mode: 0o644, data: script }],
        ..RunSpec::default()
    };
    let t = std::time::Instant::now();
    let r = pool.run(&spec)?;
    if r.meas.status != Status::Ok || r.stdout != b"ok\n" {
        anyhow::bail!(
            "a script staged into a box: {:?} {:?}, stdout {:?}, stderr {:?}",
            r.meas.status,
            r.meas.message,
            String::from_utf8_lossy(&r.stdout),
            String::from_utf8_lossy(&r.stderr)
        );
    }
    Ok(format!("ok (a file staged into a box, run and written next to in {:.1} ms)", t.elapsed().as_secs_f64() * 1e3))
}
