//! The sandbox's own failures. A program's verdict is never one of these.

use std::path::Path;

/// Something in the sandbox machinery failed.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A file or device operation failed; the first field says on what.
    #[error("{0}: {1}")]
    Io(String, #[source] std::io::Error),
    /// Building the box failed (namespaces, mounts, cgroup, seccomp).
    #[error("sandbox set-up failed: {0}")]
    Setup(String),
    /// A cgroup file could not be read or written.
    #[error("cgroup: {0}")]
    Cgroup(String),
    /// The request itself is unusable (bad path, bad limits, empty argv).
    #[error("invalid run request: {0}")]
    Request(String),
    /// The helper and the library disagree about the protocol.
    #[error("helper protocol error: {0}")]
    Protocol(String),
    /// The helper reported a failure of its own.
    #[error("helper failed: {0}")]
    Helper(String),
    /// The host cannot give a safe sandbox.
    #[error("unsupported host: {0}")]
    Unsupported(String),
    /// The run's [`crate::Cancel`] fired: the box was ended before the run's end.
    #[error("the run was cancelled")]
    Cancelled,
}

impl Error {
    /// `map_err` adapter for I/O on a path.
    pub fn io(path: impl AsRef<Path>) -> impl FnOnce(std::io::Error) -> Error {
        let p = path.as_ref().display().to_string();
        move |e| Error::Io(p, e)
    }

    /// `map_err` adapter for a set-up step.
    pub fn setup(step: impl Into<String>) -> impl FnOnce(std::io::Error) -> Error {
        let s = step.into();
        move |e| Error::Setup(format!("{s}: {e}"))
    }
}
