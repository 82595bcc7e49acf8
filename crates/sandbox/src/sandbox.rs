//! The seam between the engine and the isolator: what a judge needs from a
//! sandbox, as a trait. [`crate::Pool`] is the real one (namespaces, cgroups,
//! seccomp; root needed). The `testing` feature adds a scripted fake
//! ([`crate::testing::FakeSandbox`]) so the engine's and the debugger's logic
//! is tested without root.
//!
//! The trait lives here, next to [`RunSpec`] and [`RunResult`], because it
//! speaks only in those types: the engine and the debugger depend on this
//! crate already, and a `Pool` implements it without a third crate between.
//! Nothing in this module touches the host.

use crate::pool::{LiveInput, Stream};
use crate::spec::{RunResult, RunSpec};
use crate::Error;
use std::os::fd::OwnedFd;
use std::sync::mpsc::Receiver;

/// Runs programs in boxes: each call prepares a fresh box, stages
/// `spec.files` into it, runs `spec.argv` under `spec.limits`, and answers
/// the measurement, the output and the collected files. A verdict (time
/// limit, crash, ...) is a [`crate::Status`] in the result; `Err` means the
/// sandbox itself failed or the request is unusable. Every method blocks
/// while all boxes are busy.
pub trait Sandbox: Send + Sync {
    /// Runs `spec` once; a [`crate::Stdin::Live`] program reads end-of-file at once.
    fn run(&self, spec: &RunSpec) -> Result<RunResult, Error>;

    /// Runs `spec` while it is talked to: `output` hears every chunk of stdout
    /// and stderr as it is written (it is also in the result), and what
    /// arrives on `input` goes to the program. See [`crate::Pool::run_live`].
    fn run_live(
        &self,
        spec: &RunSpec,
        input: Receiver<LiveInput>,
        output: &mut (dyn FnMut(Stream, &[u8]) + Send),
    ) -> Result<RunResult, Error>;

    /// Runs `spec` with its stdin and stdout joined to these descriptors
    /// (pipe ends to another box). See [`crate::Pool::run_piped`].
    fn run_piped(&self, spec: &RunSpec, stdin: OwnedFd, stdout: OwnedFd) -> Result<RunResult, Error>;

    /// How many boxes can run at once (an interactive problem needs two).
    fn slots(&self) -> usize;
}

impl Sandbox for crate::Pool {
    fn run(&self, spec: &RunSpec) -> Result<RunResult, Error> {
        crate::Pool::run(self, spec)
    }

    fn run_live(
        &self,
        spec: &RunSpec,
        input: Receiver<LiveInput>,
        output: &mut (dyn FnMut(Stream, &[u8]) + Send),
    ) -> Result<RunResult, Error> {
        crate::Pool::run_live(self, spec, input, output)
    }

    fn run_piped(&self, spec: &RunSpec, stdin: OwnedFd, stdout: OwnedFd) -> Result<RunResult, Error> {
        crate::Pool::run_piped(self, spec, stdin, stdout)
    }

    fn slots(&self) -> usize {
        crate::Pool::slots(self)
    }
}
