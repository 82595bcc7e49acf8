//! `flash check`: what this host gives, and a real run in a box to prove it.

use clap::Args;
use flash_sandbox::{Pool, PoolConfig, RunSpec, Status};
use std::path::Path;

#[derive(Args, Debug)]
pub struct CheckArgs {}

/// Toolchains Flash can use, with the command that prints each one's version.
const TOOLCHAINS: &[(&str, &str, &[&str])] = &[
    ("C++ (g++)", "/usr/bin/g++", &["--version"]),
    ("C (gcc)", "/usr/bin/gcc", &["--version"]),
    ("Python 3", "/usr/bin/python3", &["--version"]),
    ("JavaScript (node)", "/usr/bin/node", &["--version"]),
    ("Java (javac)", "/usr/bin/javac", &["-version"]),
    ("SQLite", "/usr/bin/sqlite3", &["--version"]),
    ("Bash", "/usr/bin/bash", &["--version"]),
    ("gdb", "/usr/bin/gdb", &["--version"]),
];

fn line(k: &str, v: impl std::fmt::Display) {
    println!("{k:<22} {v}");
}

pub fn main(_a: CheckArgs) -> anyhow::Result<i32> {
    let mut problems = Vec::new();
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
    for (name, path, args) in TOOLCHAINS {
        let v = std::process::Command::new(path).args(*args).output();
        let text = match v {
            Ok(o) => {
                let s = if o.stdout.is_empty() { o.stderr } else { o.stdout };
                String::from_utf8_lossy(&s).lines().next().unwrap_or("").to_string()
            }
            Err(_) => "not found".to_string(),
        };
        line(name, text);
    }
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
fn live_check() -> anyhow::Result<String> {
    let pool = Pool::new(PoolConfig::new(1)?)?;
    let spec = RunSpec { argv: vec!["/bin/true".into()], env: flash_sandbox::default_env(), ..RunSpec::default() };
    let t = std::time::Instant::now();
    let r = pool.run(&spec)?;
    if r.meas.status != Status::Ok {
        anyhow::bail!("/bin/true in a box: {:?} {:?}", r.meas.status, r.meas.message);
    }
    Ok(format!("ok (/bin/true ran in a box in {:.1} ms)", t.elapsed().as_secs_f64() * 1e3))
}
