//! The limit flags shared by `flash run` and `flash exec`.

use clap::Args;
use flash_sandbox::Limits;

/// Resource limits as command-line flags (defaults: the sandbox's).
#[derive(Args, Debug, Clone)]
pub struct LimitArgs {
    /// CPU time limit of all processes together, seconds.
    #[arg(long = "time", default_value_t = 5.0)]
    cpu_time: f64,
    /// Wall-clock limit, seconds.
    #[arg(long, default_value_t = 10.0)]
    wall_time: f64,
    /// Memory limit, KiB.
    #[arg(long = "mem", default_value_t = 256 * 1024)]
    memory_kb: u64,
    /// Stack limit per process, KiB.
    #[arg(long = "stack", default_value_t = 64 * 1024)]
    stack_kb: u64,
    /// Processes and threads at once.
    #[arg(long, default_value_t = 64)]
    processes: u64,
    /// Largest file the program may write, KiB.
    #[arg(long = "fsize", default_value_t = 64 * 1024)]
    file_size_kb: u64,
    /// Open files per process.
    #[arg(long, default_value_t = 256)]
    open_files: u64,
    /// stdout + stderr limit, KiB.
    #[arg(long = "output", default_value_t = 64 * 1024)]
    output_kb: u64,
    /// Address-space limit per process, KiB (default: none).
    #[arg(long = "as")]
    address_space_kb: Option<u64>,
}

impl LimitArgs {
    /// The flags as sandbox limits, validated.
    pub fn limits(&self) -> anyhow::Result<Limits> {
        let l = Limits {
            cpu_time: self.cpu_time,
            wall_time: self.wall_time,
            memory_kb: self.memory_kb,
            stack_kb: self.stack_kb,
            processes: self.processes,
            file_size_kb: self.file_size_kb,
            open_files: self.open_files,
            output_kb: self.output_kb,
            address_space_kb: self.address_space_kb,
        };
        l.validate().map_err(|e| anyhow::anyhow!("invalid limit: {e}"))?;
        Ok(l)
    }
}
