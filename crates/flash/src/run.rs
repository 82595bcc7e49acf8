//! `flash run`: one sandboxed execution from the shell.
//!
//! The program's stdout and stderr pass through; the verdict and measurements
//! go as JSON to `--meta` (a file, or `-` for stderr). The exit code is 0 when
//! the sandbox worked, whatever the program did, and 2 when it did not.

use anyhow::{bail, Context};
use clap::Args;
use flash_sandbox::{BoxFile, Mount, Pool, PoolConfig, RunSpec, Stdin};
use std::io::{IsTerminal, Read, Write};
use std::path::PathBuf;

#[derive(Args, Debug)]
pub struct RunArgs {
    #[command(flatten)]
    limits: crate::limit_args::LimitArgs,
    /// Extra host directory in the box: HOST[:BOX][:rw] (read-only unless `:rw`).
    #[arg(long = "dir")]
    dirs: Vec<String>,
    /// Copy a host file into /box: HOST[:NAME].
    #[arg(long = "file")]
    files: Vec<String>,
    /// Environment variable for the program: NAME=VALUE (the default set is PATH, HOME, TMPDIR, LANG).
    #[arg(long = "env")]
    env: Vec<String>,
    /// Working directory inside the box.
    #[arg(long)]
    cwd: Option<String>,
    /// stdin for the program: a host file, or `-` for Flash's own stdin
    /// (the default when stdin is not a terminal).
    #[arg(long)]
    stdin: Option<String>,
    /// Write the result as JSON here (`-` = stderr).
    #[arg(long)]
    meta: Option<String>,
    /// Write the result as JSON to this already-open file descriptor.
    #[arg(long)]
    meta_fd: Option<i32>,
    /// The command and its arguments.
    #[arg(last = true, required = true)]
    command: Vec<String>,
}

pub fn main(a: RunArgs) -> anyhow::Result<i32> {
    let limits = a.limits.limits()?;
    let mut cfg = PoolConfig::new(1)?;
    for d in &a.dirs {
        cfg.mounts.push(parse_dir(d)?);
    }
    let mut env = flash_sandbox::default_env();
    for e in &a.env {
        let (k, v) = e.split_once('=').with_context(|| format!("--env {e:?}: expected NAME=VALUE"))?;
        env.retain(|(n, _)| n != k);
        env.push((k.to_owned(), v.to_owned()));
    }
    let mut files = Vec::new();
    for f in &a.files {
        let (host, name) = match f.split_once(':') {
            Some((h, n)) => (h.to_owned(), n.to_owned()),
            None => {
                let n =
                    PathBuf::from(f).file_name().context("--file needs a file name")?.to_string_lossy().into_owned();
                (f.clone(), n)
            }
        };
        let data = std::fs::read(&host).with_context(|| format!("reading {host}"))?;
        let mode = std::os::unix::fs::PermissionsExt::mode(&std::fs::metadata(&host)?.permissions());
        files.push(BoxFile { path: name, mode: mode & 0o777, data });
    }
    let stdin = match a.stdin.as_deref() {
        Some("-") => Stdin::Bytes(read_stdin()?),
        Some(path) => Stdin::Bytes(std::fs::read(path).with_context(|| format!("reading {path}"))?),
        None if !std::io::stdin().is_terminal() => Stdin::Bytes(read_stdin()?),
        None => Stdin::Null,
    };
    let spec = RunSpec { argv: a.command, env, cwd: a.cwd, limits, stdin, files, ..RunSpec::default() };
    let pool = Pool::new(cfg).context("cannot build the sandbox")?;
    let res = pool.run(&spec).context("the sandbox failed")?;
    std::io::stdout().write_all(&res.stdout)?;
    std::io::stderr().write_all(&res.stderr)?;
    let json = serde_json::to_string_pretty(&res.meas)? + "\n";
    match a.meta.as_deref() {
        Some("-") => std::io::stderr().write_all(json.as_bytes())?,
        Some(path) => std::fs::write(path, &json).with_context(|| format!("writing {path}"))?,
        None => {}
    }
    if let Some(fd) = a.meta_fd {
        // SAFETY: the caller handed us this descriptor for the result; we own it from here.
        let mut f = unsafe { <std::fs::File as std::os::fd::FromRawFd>::from_raw_fd(fd) };
        f.write_all(json.as_bytes()).context("writing --meta-fd")?;
    }
    Ok(0)
}

fn read_stdin() -> anyhow::Result<Vec<u8>> {
    let mut v = Vec::new();
    std::io::stdin().read_to_end(&mut v).context("reading stdin")?;
    Ok(v)
}

/// Parses `HOST[:BOX][:rw]`.
fn parse_dir(s: &str) -> anyhow::Result<Mount> {
    let mut parts: Vec<&str> = s.split(':').collect();
    let writable = parts.last() == Some(&"rw");
    if writable || parts.last() == Some(&"ro") {
        parts.pop();
    }
    let (host, inside) = match parts.as_slice() {
        [h] => (*h, *h),
        [h, b] => (*h, *b),
        _ => bail!("--dir {s:?}: expected HOST[:BOX][:rw]"),
    };
    if !inside.starts_with('/') || inside.split('/').any(|c| c == "..") {
        bail!("--dir {s:?}: the box path must be absolute, without '..'");
    }
    if ["/", "/proc", "/dev", "/box", "/tmp"].contains(&inside) {
        bail!("--dir {s:?}: {inside} is managed by the sandbox");
    }
    Ok(Mount { source: host.into(), target: inside.into(), writable, optional: false })
}

#[cfg(test)]
mod tests {
    use super::parse_dir;

    #[test]
    fn dir_flags_parse() {
        let m = parse_dir("/data:/input").unwrap();
        assert_eq!((m.source.to_str(), m.target.to_str(), m.writable), (Some("/data"), Some("/input"), false));
        assert!(parse_dir("/data:/out:rw").unwrap().writable);
        assert!(parse_dir("/data:relative").is_err());
        assert!(parse_dir("/data:/proc").is_err());
    }
}
