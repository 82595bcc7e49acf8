//! A scripted [`Sandbox`] for tests that need no root (feature `testing`).
//!
//! [`FakeSandbox`] records every [`RunSpec`] it is given ([`Call`]) and
//! answers each with what its script returns, so a test of the engine or the
//! debugger checks what would have been run (argv, files, limits, stdin)
//! and decides what the run "did" (a status, output, collected files).
//! Nothing is executed. Collected files of a request with `collect_into`
//! are written into that directory, as the helper would.

use crate::pool::{LiveInput, Stream};
use crate::sandbox::Sandbox;
use crate::spec::{BoxFile, Measurement, RunResult, RunSpec, Status, StoredFile};
use crate::Error;
use std::os::fd::OwnedFd;
use std::sync::mpsc::Receiver;
use std::sync::Mutex;

/// Which [`Sandbox`] method a call came through.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Via {
    /// [`Sandbox::run`].
    Run,
    /// [`Sandbox::run_live`].
    Live,
    /// [`Sandbox::run_piped`].
    Piped,
}

/// One request the fake received.
#[derive(Debug, Clone)]
pub struct Call {
    /// The method it came through.
    pub via: Via,
    /// The request, files and stdin bytes included.
    pub spec: RunSpec,
}

/// What a script answers for one request.
pub type Script = dyn FnMut(&RunSpec) -> Result<RunResult, Error> + Send;

/// A sandbox that runs nothing: see the module docs.
pub struct FakeSandbox {
    slots: usize,
    script: Mutex<Box<Script>>,
    calls: Mutex<Vec<Call>>,
}

impl FakeSandbox {
    /// A fake with one slot answering every request with `script`.
    pub fn new(script: impl FnMut(&RunSpec) -> Result<RunResult, Error> + Send + 'static) -> FakeSandbox {
        FakeSandbox { slots: 1, script: Mutex::new(Box::new(script)), calls: Mutex::new(Vec::new()) }
    }

    /// The same fake, claiming `slots` boxes.
    pub fn with_slots(mut self, slots: usize) -> FakeSandbox {
        self.slots = slots;
        self
    }

    /// Every request so far, in order.
    pub fn calls(&self) -> Vec<Call> {
        self.calls.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// The argv of every request so far, in order.
    pub fn argvs(&self) -> Vec<Vec<String>> {
        self.calls().into_iter().map(|c| c.spec.argv).collect()
    }

    fn answer(&self, via: Via, spec: &RunSpec) -> Result<RunResult, Error> {
        self.calls.lock().unwrap_or_else(|e| e.into_inner()).push(Call { via, spec: spec.clone() });
        let mut script = self.script.lock().unwrap_or_else(|e| e.into_inner());
        let mut r = script(spec)?;
        if let Some(dir) = &spec.collect_into {
            store(&mut r, dir)?;
        }
        Ok(r)
    }
}

impl Sandbox for FakeSandbox {
    fn run(&self, spec: &RunSpec) -> Result<RunResult, Error> {
        self.answer(Via::Run, spec)
    }

    /// Answers from the script, then tells `output` the answer's stdout and
    /// stderr (one chunk each). `input` is not read.
    fn run_live(
        &self,
        spec: &RunSpec,
        _input: Receiver<LiveInput>,
        output: &mut (dyn FnMut(Stream, &[u8]) + Send),
    ) -> Result<RunResult, Error> {
        let r = self.answer(Via::Live, spec)?;
        if !r.stdout.is_empty() {
            output(Stream::Stdout, &r.stdout);
        }
        if !r.stderr.is_empty() {
            output(Stream::Stderr, &r.stderr);
        }
        Ok(r)
    }

    /// Answers from the script; the descriptors are closed at once.
    fn run_piped(&self, spec: &RunSpec, stdin: OwnedFd, stdout: OwnedFd) -> Result<RunResult, Error> {
        drop((stdin, stdout));
        self.answer(Via::Piped, spec)
    }

    fn slots(&self) -> usize {
        self.slots
    }
}

/// What the helper does for a request with `collect_into`: the files the
/// script "collected" are written into that host directory (named by their
/// index, as the helper names them) and told in `meas.stored`, not returned.
fn store(r: &mut RunResult, dir: &std::path::Path) -> Result<(), Error> {
    for (i, f) in std::mem::take(&mut r.files).into_iter().enumerate() {
        let name = i.to_string();
        let path = dir.join(&name);
        std::fs::write(&path, &f.data).map_err(Error::io(&path))?;
        r.meas.stored.push(StoredFile { path: f.path, mode: f.mode, size: f.data.len() as u64, name });
    }
    Ok(())
}

/// A result with this status and nothing else: build on it with the
/// `with_*` methods of [`Reply`].
pub fn reply(status: Status) -> RunResult {
    let mut meas = Measurement::new(status);
    match status {
        Status::Ok => meas.exit_code = Some(0),
        Status::RuntimeError => meas.exit_code = Some(1),
        _ => {}
    }
    RunResult { meas, stdout: Vec::new(), stderr: Vec::new(), files: Vec::new(), interleave: Vec::new() }
}

/// Builders for scripted results.
pub trait Reply {
    /// With this stdout.
    fn with_stdout(self, out: &[u8]) -> Self;
    /// With this stderr.
    fn with_stderr(self, err: &[u8]) -> Self;
    /// With this file collected from the box.
    fn with_file(self, path: &str, mode: u32, data: &[u8]) -> Self;
    /// Ended by this signal.
    fn with_signal(self, signal: i32) -> Self;
    /// Exited with this code.
    fn with_exit(self, code: i32) -> Self;
    /// With this message.
    fn with_message(self, message: &str) -> Self;
}

impl Reply for RunResult {
    fn with_stdout(mut self, out: &[u8]) -> Self {
        self.stdout = out.to_vec();
        self
    }
    fn with_stderr(mut self, err: &[u8]) -> Self {
        self.stderr = err.to_vec();
        self
    }
    fn with_file(mut self, path: &str, mode: u32, data: &[u8]) -> Self {
        self.files.push(BoxFile { path: path.into(), mode, data: data.to_vec() });
        self
    }
    fn with_signal(mut self, signal: i32) -> Self {
        self.meas.signal = Some(signal);
        self.meas.exit_code = None;
        self
    }
    fn with_exit(mut self, code: i32) -> Self {
        self.meas.exit_code = Some(code);
        self
    }
    fn with_message(mut self, message: &str) -> Self {
        self.meas.message = Some(message.into());
        self
    }
}

/// The stdin bytes of a request (empty unless [`crate::Stdin::Bytes`]).
pub fn stdin_of(spec: &RunSpec) -> &[u8] {
    match &spec.stdin {
        crate::Stdin::Bytes(b) => b,
        _ => &[],
    }
}
