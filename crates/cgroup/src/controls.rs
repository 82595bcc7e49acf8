//! [`Controls`]: a slot's control files, opened once and used by fd only.
//!
//! The sandbox helper opens these before it pivot_roots away from `/sys`;
//! from then on the open fds are its only way to its cgroups. Every method
//! is one or a few `pread`/`pwrite` calls at offset 0 and, when it succeeds,
//! allocates nothing (except [`Controls::procs`], which also reopens its
//! file; see there).

use std::path::Path;

use crate::cgfile::{parse_u64, CgDir, CgFile};
use crate::{v1, v2, Controller, Error, MemoryMethod, SlotPaths, Version};

/// Open handles to the control files of one slot.
#[derive(Debug)]
pub struct Controls {
    backend: Backend,
    /// `cgroup.procs` of each distinct slot directory, in [`SlotPaths`]
    /// order; joining writes to all of them.
    procs: Vec<CgFile>,
    /// The first slot directory, where [`Controls::procs`] opens
    /// `cgroup.procs` afresh for every listing: on v1 a kept fd would
    /// return the same cached pid list for as long as it is read more
    /// often than once a second.
    first_dir: CgDir,
    /// A weaker method than the files allow, to test the others on any
    /// kernel ([`Controls::downgrade_memory_method`]).
    ceiling: MemoryMethod,
    /// A cgroup made for one run ([`Controls::create_run`]): its lifetime
    /// peak is the run's peak.
    fresh: bool,
}

/// A cgroup made for one run below a slot's cgroup (cgroup v2), for kernels
/// whose peak cannot be reset: a program started into it with `clone3`'s
/// `CLONE_INTO_CGROUP` (no migration) is measured alone, from zero.
#[derive(Debug)]
pub struct RunCgroup {
    name: String,
    dir: CgDir,
    controls: Controls,
}

impl RunCgroup {
    /// The run's control files.
    pub fn controls(&self) -> &Controls {
        &self.controls
    }

    /// The cgroup directory's fd, for `clone3`'s `cgroup` field.
    pub fn dir_fd(&self) -> std::os::fd::RawFd {
        self.dir.fd()
    }
}

#[derive(Debug)]
enum Backend {
    V1(v1::Files),
    V2(v2::Files),
}

impl Controls {
    /// Opens the control files of the slot at `paths` (`O_CLOEXEC`, and
    /// `O_RDWR` for those written). Fails if a required file is missing.
    pub fn open(paths: &SlotPaths) -> Result<Controls, Error> {
        let dir = |c: Controller| {
            paths.dirs.iter().find(|(have, _)| *have == c).map(|(_, d)| d.as_path()).ok_or_else(|| {
                Error::InvalidSlotPaths { reason: format!("no {} directory in {:?}", c.name(), paths.dirs) }
            })
        };
        let backend = match paths.version {
            Version::V1 => Backend::V1(v1::Files::open(
                dir(Controller::Memory)?,
                dir(Controller::Pids)?,
                dir(Controller::Cpuacct)?,
            )?),
            Version::V2 => Backend::V2(v2::Files::open_in(&CgDir::open(dir(Controller::Unified)?.to_path_buf())?)?),
        };
        let mut distinct: Vec<&Path> = Vec::new();
        for (_, d) in &paths.dirs {
            if !distinct.contains(&d.as_path()) {
                distinct.push(d);
            }
        }
        let first_dir = CgDir::open(distinct[0].to_path_buf())?;
        let procs = distinct.into_iter().map(|d| CgFile::open_rw(d.join("cgroup.procs"))).collect::<Result<_, _>>()?;
        Ok(Controls { backend, procs, first_dir, ceiling: MemoryMethod::ResettablePeak, fresh: false })
    }

    /// Moves the calling process into the slot (writes "0" to every
    /// `cgroup.procs`). Only `pwrite`s on open fds, so it is safe to call
    /// between fork and exec; it allocates only when it fails.
    pub fn join_self(&self) -> Result<(), Error> {
        for f in &self.procs {
            f.write_bytes(b"0")?;
        }
        Ok(())
    }

    /// Moves the process `pid` into the slot (writes it to every
    /// `cgroup.procs`).
    pub fn add_process(&self, pid: u32) -> Result<(), Error> {
        for f in &self.procs {
            f.write_u64(u64::from(pid))?;
        }
        Ok(())
    }

    /// Limits memory to `bytes` without swap. v1: `memory.limit_in_bytes`
    /// and, if present, `memory.memsw.limit_in_bytes` (written in the order
    /// the kernel accepts); v2: `memory.max` and, if present,
    /// `memory.swap.max` = 0.
    pub fn set_memory_limit(&self, bytes: u64) -> Result<(), Error> {
        match &self.backend {
            Backend::V1(f) => f.set_memory_limit(bytes),
            Backend::V2(f) => f.set_memory_limit(bytes),
        }
    }

    /// Limits the number of tasks (`pids.max`).
    pub fn set_pids_max(&self, n: u64) -> Result<(), Error> {
        match &self.backend {
            Backend::V1(f) => f.set_pids_max(n),
            Backend::V2(f) => f.set_pids_max(n),
        }
    }

    /// Starts a new peak measurement. v1: writes 0 to
    /// `memory.max_usage_in_bytes`; v2: writes 1 to `memory.peak` through
    /// the fd later read (Linux >= 6.12). Where v2 cannot reset, this is
    /// not an error: [`Controls::memory_peak`] then reports the slot's
    /// lifetime peak (see [`Controls::peak_is_resettable`]).
    pub fn reset_memory_peak(&self) -> Result<(), Error> {
        if self.ceiling < MemoryMethod::ResettablePeak {
            return Ok(());
        }
        match &self.backend {
            Backend::V1(f) => f.reset_memory_peak(),
            Backend::V2(f) => f.reset_memory_peak(),
        }
    }

    /// Whether [`Controls::reset_memory_peak`] really resets the peak
    /// (always on v1; on v2 until a reset has failed).
    pub fn peak_is_resettable(&self) -> bool {
        match &self.backend {
            Backend::V1(_) => true,
            Backend::V2(f) => f.peak_is_resettable(),
        }
    }

    /// Creates the sub-cgroup `run-<seq>` of this slot (cgroup v2; the slot
    /// must enable memory and pids for children and hold no process) and
    /// opens its files, relative to the slot's directory fd, so it works
    /// after pivot_root.
    pub fn create_run(&self, seq: u64) -> Result<RunCgroup, Error> {
        if !matches!(self.backend, Backend::V2(_)) {
            return Err(Error::InvalidSlotPaths { reason: "a cgroup per run needs cgroup v2".into() });
        }
        let name = format!("run-{seq}");
        // A leftover of a helper that died mid-run goes first.
        let _ = self.first_dir.rmdir(&name);
        self.first_dir.mkdir(&name)?;
        let opened = self.first_dir.open_dir(&name).and_then(|dir| {
            let files = v2::Files::open_in(&dir)?;
            let procs = vec![dir.open_file("cgroup.procs", true)?];
            let first_dir = self.first_dir.open_dir(&name)?;
            let controls =
                Controls { backend: Backend::V2(files), procs, first_dir, ceiling: self.ceiling, fresh: true };
            Ok(RunCgroup { name: name.clone(), dir, controls })
        });
        if opened.is_err() {
            let _ = self.first_dir.rmdir(&name);
        }
        opened
    }

    /// Removes a run's cgroup; every process of the run must be gone.
    pub fn remove_run(&self, run: RunCgroup) -> Result<(), Error> {
        let name = run.name.clone();
        drop(run);
        self.first_dir.rmdir(&name)
    }

    /// Lets this slot's cgroup give memory, pids and (if available) cpu to
    /// children, for [`Controls::create_run`] (v2; the slot must hold no
    /// process). Writes only to the slot, a cgroup Flash created.
    pub fn enable_run_cgroups(&self) -> Result<(), Error> {
        let available = self.first_dir.open_file("cgroup.controllers", false)?.read_all()?;
        let available = String::from_utf8_lossy(&available);
        let plus: Vec<String> = crate::delegate::WANTED
            .iter()
            .filter(|c| available.split_whitespace().any(|a| a == **c))
            .map(|c| format!("+{c}"))
            .collect();
        self.first_dir.open_file("cgroup.subtree_control", true)?.write_bytes(plus.join(" ").as_bytes())
    }

    /// How a run's peak can be measured with these files.
    pub fn memory_method(&self) -> MemoryMethod {
        let found = match &self.backend {
            Backend::V1(_) => MemoryMethod::ResettablePeak,
            Backend::V2(f) if self.fresh && f.has_peak() => MemoryMethod::ResettablePeak,
            Backend::V2(f) if f.peak_is_resettable() => MemoryMethod::ResettablePeak,
            Backend::V2(f) if f.has_peak() => MemoryMethod::LifetimePeak,
            Backend::V2(_) => MemoryMethod::Sampled,
        };
        found.min(self.ceiling)
    }

    /// Measures as if the kernel offered no more than `to` (never more than
    /// it does): tests use it to exercise the methods of older kernels on
    /// any host. With [`MemoryMethod::LifetimePeak`] the peak is no longer
    /// reset; with [`MemoryMethod::Sampled`] it is not read either.
    pub fn downgrade_memory_method(&mut self, to: MemoryMethod) {
        self.ceiling = self.ceiling.min(to);
    }

    /// How often memory use reached the limit and had to be reclaimed
    /// (v2: `max` of `memory.events`; v1: `memory.failcnt` and `memory.memsw.failcnt`). Its growth
    /// during a run is evidence that this run hit its limit.
    pub fn memory_limit_events(&self) -> Result<u64, Error> {
        match &self.backend {
            Backend::V1(f) => f.failcnt(),
            Backend::V2(f) => f.max_events(),
        }
    }

    /// Peak memory use in bytes since the last reset (v1
    /// `memory.max_usage_in_bytes`, v2 `memory.peak`).
    pub fn memory_peak(&self) -> Result<u64, Error> {
        match &self.backend {
            Backend::V1(f) => f.memory_peak(),
            Backend::V2(f) => f.memory_peak(),
        }
    }

    /// Current memory use in bytes (v1 `memory.usage_in_bytes`, v2
    /// `memory.current`).
    pub fn memory_usage(&self) -> Result<u64, Error> {
        match &self.backend {
            Backend::V1(f) => f.memory_usage(),
            Backend::V2(f) => f.memory_usage(),
        }
    }

    /// How many processes the OOM killer has killed in the slot (v1
    /// `oom_kill` of `memory.oom_control`, 0 if absent; v2 `oom_kill` of
    /// `memory.events`).
    pub fn oom_kills(&self) -> Result<u64, Error> {
        match &self.backend {
            Backend::V1(f) => f.oom_kills(),
            Backend::V2(f) => f.oom_kills(),
        }
    }

    /// CPU time used by the slot in nanoseconds (v1 `cpuacct.usage`, v2
    /// `usage_usec` of `cpu.stat` times 1000).
    pub fn cpu_usage_ns(&self) -> Result<u64, Error> {
        match &self.backend {
            Backend::V1(f) => f.cpu_usage_ns(),
            Backend::V2(f) => f.cpu_usage_ns(),
        }
    }

    /// The part of [`Controls::cpu_usage_ns`] spent in the kernel, ns (v1
    /// `cpuacct.usage_sys`, v2 `system_usec` of `cpu.stat`); `None` where the
    /// kernel does not say.
    pub fn cpu_system_ns(&self) -> Result<Option<u64>, Error> {
        match &self.backend {
            Backend::V1(f) => f.cpu_system_ns(),
            Backend::V2(f) => f.cpu_system_ns(),
        }
    }

    /// Number of tasks in the slot (`pids.current`).
    pub fn pids_current(&self) -> Result<u64, Error> {
        match &self.backend {
            Backend::V1(f) => f.pids_current(),
            Backend::V2(f) => f.pids_current(),
        }
    }

    /// The process ids in the slot (`cgroup.procs` of the first directory).
    ///
    /// Unlike the other readings this opens the file anew (relative to a
    /// kept directory fd, so it works after pivot_root): the v1 kernel
    /// caches the pid list per open file.
    pub fn procs(&self) -> Result<Vec<i32>, Error> {
        let file = self.first_dir.open_ro(c"cgroup.procs")?;
        let text = file.read_all()?;
        text.split(|&b| b == b'\n')
            .filter(|line| !line.is_empty())
            .map(|line| parse_u64(line).and_then(|p| i32::try_from(p).ok()).ok_or_else(|| file.parse_error(&text)))
            .collect()
    }
}

#[cfg(test)]
#[path = "controls_tests.rs"]
mod tests;
