//! cgroup v1 specifics: the control files of a slot in the memory, pids and
//! cpuacct hierarchies.

use std::path::Path;

use crate::cgfile::CgFile;
use crate::Error;

/// A v1 slot's TCP buffer accounting (`memory.kmem.tcp.*`).
#[derive(Debug)]
struct Tcp {
    limit: CgFile,
    max_usage: CgFile,
    failcnt: CgFile,
}

/// The kept-open control files of a v1 slot.
#[derive(Debug)]
pub(crate) struct Files {
    limit: CgFile,
    /// `memory.memsw.limit_in_bytes`: memory+swap; absent without swap
    /// accounting. The kernel keeps it >= `limit` at all times.
    memsw_limit: Option<CgFile>,
    /// `memory.max_usage_in_bytes`: the peak, reset by writing 0.
    max_usage: CgFile,
    usage: CgFile,
    /// `memory.failcnt`: how often usage hit the limit.
    failcnt: CgFile,
    /// `memory.memsw.failcnt`: how often memory+swap hit its limit. The
    /// kernel charges memory+swap first, so with both limits equal a run at
    /// its limit counts here and `failcnt` stays 0.
    memsw_failcnt: Option<CgFile>,
    /// `memory.kmem.tcp.*`: v1 charges TCP socket buffers apart from
    /// `memory.usage_in_bytes`, and only once a limit is set; absent without
    /// kernel memory accounting.
    tcp: Option<Tcp>,
    oom_control: CgFile,
    pids_max: CgFile,
    pids_current: CgFile,
    cpuacct_usage: CgFile,
    /// `cpuacct.usage_sys` (Linux >= 4.7): the kernel-mode part of it.
    cpuacct_usage_sys: Option<CgFile>,
}

impl Files {
    pub(crate) fn open(memory: &Path, pids: &Path, cpuacct: &Path) -> Result<Self, Error> {
        Ok(Files {
            limit: CgFile::open_rw(memory.join("memory.limit_in_bytes"))?,
            memsw_limit: CgFile::open_rw_optional(memory.join("memory.memsw.limit_in_bytes"))?,
            max_usage: CgFile::open_rw(memory.join("memory.max_usage_in_bytes"))?,
            usage: CgFile::open_ro(memory.join("memory.usage_in_bytes"))?,
            failcnt: CgFile::open_ro(memory.join("memory.failcnt"))?,
            memsw_failcnt: CgFile::open_ro_optional(memory.join("memory.memsw.failcnt"))?,
            tcp: match CgFile::open_rw_optional(memory.join("memory.kmem.tcp.limit_in_bytes"))? {
                Some(limit) => Some(Tcp {
                    limit,
                    max_usage: CgFile::open_rw(memory.join("memory.kmem.tcp.max_usage_in_bytes"))?,
                    failcnt: CgFile::open_ro(memory.join("memory.kmem.tcp.failcnt"))?,
                }),
                None => None,
            },
            oom_control: CgFile::open_ro(memory.join("memory.oom_control"))?,
            pids_max: CgFile::open_rw(pids.join("pids.max"))?,
            pids_current: CgFile::open_ro(pids.join("pids.current"))?,
            cpuacct_usage: CgFile::open_ro(cpuacct.join("cpuacct.usage"))?,
            cpuacct_usage_sys: CgFile::open_ro_optional(cpuacct.join("cpuacct.usage_sys"))?,
        })
    }

    /// Sets the memory limit and, with swap accounting, the same
    /// memory+swap limit (no swap at all). The kernel rejects any moment
    /// where memsw < limit, so when raising memsw goes first and when
    /// lowering the limit goes first.
    pub(crate) fn set_memory_limit(&self, bytes: u64) -> Result<(), Error> {
        // Socket buffers get the same limit (and, once it is set, are counted
        // at all): loopback TCP could otherwise hold many times the limit.
        if let Some(tcp) = &self.tcp {
            tcp.limit.write_u64(bytes)?;
        }
        let Some(memsw) = &self.memsw_limit else {
            return self.limit.write_u64(bytes);
        };
        if bytes >= self.limit.read_u64()? {
            memsw.write_u64(bytes)?;
            self.limit.write_u64(bytes)
        } else {
            self.limit.write_u64(bytes)?;
            memsw.write_u64(bytes)
        }
    }

    pub(crate) fn set_pids_max(&self, n: u64) -> Result<(), Error> {
        self.pids_max.write_u64(n)
    }

    pub(crate) fn reset_memory_peak(&self) -> Result<(), Error> {
        if let Some(tcp) = &self.tcp {
            tcp.max_usage.write_bytes(b"0")?;
        }
        self.max_usage.write_bytes(b"0")
    }

    /// The memory peak plus the socket buffers' peak (charged apart on v1).
    pub(crate) fn memory_peak(&self) -> Result<u64, Error> {
        let tcp = match &self.tcp {
            Some(tcp) => tcp.max_usage.read_u64()?,
            None => 0,
        };
        Ok(self.max_usage.read_u64()? + tcp)
    }

    pub(crate) fn memory_usage(&self) -> Result<u64, Error> {
        self.usage.read_u64()
    }

    /// The `oom_kill N` line of `memory.oom_control` (Linux >= 4.13), 0 on
    /// kernels without it.
    pub(crate) fn oom_kills(&self) -> Result<u64, Error> {
        Ok(self.oom_control.read_keyed("oom_kill")?.unwrap_or(0))
    }

    /// Limit hits of memory, of memory+swap and of socket buffers.
    pub(crate) fn failcnt(&self) -> Result<u64, Error> {
        let mut hits = self.failcnt.read_u64()?;
        for other in [self.memsw_failcnt.as_ref(), self.tcp.as_ref().map(|t| &t.failcnt)].into_iter().flatten() {
            hits = hits.saturating_add(other.read_u64()?);
        }
        Ok(hits)
    }

    pub(crate) fn cpu_usage_ns(&self) -> Result<u64, Error> {
        self.cpuacct_usage.read_u64()
    }

    pub(crate) fn cpu_system_ns(&self) -> Result<Option<u64>, Error> {
        self.cpuacct_usage_sys.as_ref().map(CgFile::read_u64).transpose()
    }

    pub(crate) fn pids_current(&self) -> Result<u64, Error> {
        self.pids_current.read_u64()
    }
}
