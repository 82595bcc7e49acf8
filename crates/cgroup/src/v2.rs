//! cgroup v2 specifics: enabling controllers in `flash-<pid>`, and the
//! control files of a slot in the unified hierarchy.

use std::fs;
use std::io;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};

use crate::cgfile::{CgDir, CgFile};
use crate::Error;

use crate::delegate::{REQUIRED, WANTED};

/// Reads (never writes) the own cgroup's `cgroup.subtree_control` and
/// returns what to write into `flash-<pid>/cgroup.subtree_control`, e.g.
/// `"+memory +pids +cpu"`.
///
/// The kernel makes a child's `cgroup.controllers` equal to its parent's
/// `cgroup.subtree_control`, so this is exactly what `flash-<pid>` can
/// enable, known before it exists.
pub(crate) fn controllers_to_enable(own_dir: &Path) -> Result<String, Error> {
    let path = own_dir.join("cgroup.subtree_control");
    let text = fs::read_to_string(&path).map_err(|error| Error::Read { path: path.clone(), error })?;
    let enabled = |c: &str| text.split_whitespace().any(|have| have == c);
    let missing: Vec<&str> = WANTED[..REQUIRED].iter().copied().filter(|c| !enabled(c)).collect();
    if !missing.is_empty() {
        return Err(Error::NotDelegated { path, missing: missing.join(" and ") });
    }
    let plus: Vec<String> = WANTED.iter().copied().filter(|c| enabled(c)).map(|c| format!("+{c}")).collect();
    Ok(plus.join(" "))
}

/// Writes `enable` (from [`controllers_to_enable`]) into the
/// `cgroup.subtree_control` of `flash_dir`, a cgroup Flash created.
pub(crate) fn enable_controllers(flash_dir: &Path, enable: &str) -> Result<(), Error> {
    CgFile::open_rw(flash_dir.join("cgroup.subtree_control"))?.write_bytes(enable.as_bytes())
}

/// The kept-open control files of a v2 slot.
#[derive(Debug)]
pub(crate) struct Files {
    memory_max: CgFile,
    /// Absent without swap accounting.
    swap_max: Option<CgFile>,
    /// Absent before Linux 5.19.
    peak: Option<CgFile>,
    /// Whether writing to `peak` resets it for that fd (Linux >= 6.12);
    /// cleared the first time opening it writable or writing fails.
    peak_resettable: AtomicBool,
    current: CgFile,
    events: CgFile,
    pids_max: CgFile,
    pids_current: CgFile,
    cpu_stat: CgFile,
}

impl Files {
    /// Opens the files of the cgroup at `dir`, relative to its directory fd
    /// (so it works after pivot_root, for cgroups made then).
    pub(crate) fn open_in(dir: &CgDir) -> Result<Self, Error> {
        let (peak, peak_resettable) = open_peak(dir)?;
        Ok(Files {
            memory_max: dir.open_file("memory.max", true)?,
            swap_max: dir.open_file_optional("memory.swap.max", true)?,
            peak,
            peak_resettable: AtomicBool::new(peak_resettable),
            current: dir.open_file("memory.current", false)?,
            events: dir.open_file("memory.events", false)?,
            pids_max: dir.open_file("pids.max", true)?,
            pids_current: dir.open_file("pids.current", false)?,
            cpu_stat: dir.open_file("cpu.stat", false)?,
        })
    }

    pub(crate) fn set_memory_limit(&self, bytes: u64) -> Result<(), Error> {
        self.memory_max.write_u64(bytes)?;
        match &self.swap_max {
            Some(swap) => swap.write_bytes(b"0"),
            None => Ok(()),
        }
    }

    pub(crate) fn set_pids_max(&self, n: u64) -> Result<(), Error> {
        self.pids_max.write_u64(n)
    }

    pub(crate) fn reset_memory_peak(&self) -> Result<(), Error> {
        let Some(peak) = &self.peak else {
            return Ok(());
        };
        if self.peak_resettable.load(Ordering::Relaxed) && peak.write_bytes(b"1").is_err() {
            // Older kernel: memory_peak() reports the cgroup's lifetime peak.
            self.peak_resettable.store(false, Ordering::Relaxed);
        }
        Ok(())
    }

    pub(crate) fn has_peak(&self) -> bool {
        self.peak.is_some()
    }

    pub(crate) fn max_events(&self) -> Result<u64, Error> {
        Ok(self.events.read_keyed("max")?.unwrap_or(0))
    }

    pub(crate) fn peak_is_resettable(&self) -> bool {
        self.peak.is_some() && self.peak_resettable.load(Ordering::Relaxed)
    }

    pub(crate) fn memory_peak(&self) -> Result<u64, Error> {
        match &self.peak {
            Some(peak) => peak.read_u64(),
            None => Err(Error::Unavailable { path: self.current.path().with_file_name("memory.peak") }),
        }
    }

    pub(crate) fn memory_usage(&self) -> Result<u64, Error> {
        self.current.read_u64()
    }

    pub(crate) fn oom_kills(&self) -> Result<u64, Error> {
        Ok(self.events.read_keyed("oom_kill")?.unwrap_or(0))
    }

    pub(crate) fn cpu_usage_ns(&self) -> Result<u64, Error> {
        match self.cpu_stat.read_keyed("usage_usec")? {
            Some(usec) => Ok(usec.saturating_mul(1000)),
            None => Err(self.cpu_stat.parse_error(b"(no usage_usec line)")),
        }
    }

    pub(crate) fn cpu_system_ns(&self) -> Result<Option<u64>, Error> {
        Ok(self.cpu_stat.read_keyed("system_usec")?.map(|usec| usec.saturating_mul(1000)))
    }

    pub(crate) fn pids_current(&self) -> Result<u64, Error> {
        self.pids_current.read_u64()
    }
}

/// Opens `memory.peak` and finds out whether it can be reset: Linux >= 6.12
/// resets the peak seen through an fd when "1" is written to it; older
/// kernels let root open it writable but refuse the write (EINVAL), or
/// refuse a writable open (EACCES). `None` if it does not exist (< 5.19).
fn open_peak(dir: &CgDir) -> Result<(Option<CgFile>, bool), Error> {
    match dir.open_file_optional("memory.peak", true) {
        Ok(Some(f)) => {
            // Harmless where it works: it only starts this fd's measurement afresh.
            let resettable = f.write_bytes(b"1").is_ok();
            Ok((Some(f), resettable))
        }
        Ok(None) => Ok((None, false)),
        Err(Error::Open { error, .. }) if error.kind() == io::ErrorKind::PermissionDenied => {
            Ok((Some(dir.open_file("memory.peak", false)?), false))
        }
        Err(e) => Err(e),
    }
}
