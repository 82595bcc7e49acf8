//! One debug request, start to end: check it, compile a debug build (C, C++,
//! Java) through the engine (so an identical build comes from its compile
//! cache), run the tracer with the program in a box of the engine's sandbox,
//! read the trace back and decide the status. Everything that goes wrong after
//! the request was accepted becomes a status, never an `Err`.

use crate::backend::{self, Backend, CONFIG, DIR, TRACE};
use crate::parse::{self, Cut, Parsed};
use crate::types::{DebugLimits, DebugRequest, Trace, TraceStatus, UsedLimits};
use crate::{jdi, Error};
use flash_engine::{cache::Artifact, CompileStep, Engine, Language};
use flash_sandbox::{Bind, BoxFile, RunResult, RunSpec, Status, Stdin};
use std::sync::Arc;

/// Largest debug build kept from the compile box, KiB by apparent size (as
/// the engine's default: a sparse binary counts whole).
const MAX_ARTIFACT_KB: u64 = 64 * 1024;

/// Runs `req` under the debugger and returns the recorded trace. Blocks.
/// The language comes from the engine's registry, the debug build from its
/// compile step (and cache), the traced run from its sandbox.
///
/// `Err` only for a request that cannot be traced: an unknown or unsupported
/// language, `max_steps` out of range, unusable limits.
pub fn debug(engine: &Engine, req: &DebugRequest, limits: &DebugLimits) -> Result<Trace, Error> {
    limits.validate().map_err(|e| Error::Invalid(format!("debug limits: {e}")))?;
    let lang = engine.registry().find(&req.language).ok_or_else(|| Error::UnknownLanguage(req.language.clone()))?;
    let backend = backend::for_language(&lang.spec.name).ok_or_else(|| Error::Unsupported(lang.spec.name.clone()))?;
    let max_steps = match req.max_steps {
        None => limits.max_steps_default,
        Some(n) if n >= 1 && n <= limits.max_steps_cap => n,
        Some(n) => return Err(Error::Invalid(format!("max_steps must be in 1..={}, got {n}", limits.max_steps_cap))),
    };
    let job = Job { engine, lang, backend, req, limits, max_steps };
    Ok(job.run())
}

/// Everything one request needs, checked.
struct Job<'a> {
    engine: &'a Engine,
    lang: &'a Language,
    backend: &'static Backend,
    req: &'a DebugRequest,
    limits: &'a DebugLimits,
    max_steps: u32,
}

/// The outcome of the compile step.
enum Build {
    /// The debug build (none for an interpreted language), and the compiler's messages.
    Ready(Option<Arc<Artifact>>, String),
    /// The trace to answer with (compile error, or Flash failed).
    Stop(Box<Trace>),
}

impl Job<'_> {
    fn run(&self) -> Trace {
        // Held until the run is over: they keep the bound files on disk.
        let (build, compile_output) = match self.build() {
            Build::Ready(b, out) => (b, out),
            Build::Stop(t) => return *t,
        };
        let (mut files, mut binds) = match &build {
            Some(a) => self.artifacts(a),
            None => (Vec::new(), Vec::new()),
        };
        let mut _classes = None;
        if self.backend.jdi {
            match jdi::tracer_classes(self.engine, self.lang, &self.limits.compile) {
                Ok(classes) => {
                    binds.extend(classes.binds(DIR));
                    _classes = Some(classes);
                }
                Err(e) => return self.empty(TraceStatus::InternalError, Some(e), compile_output),
            }
        }
        files.extend(self.tracer_files());
        let mut spec = self.run_spec(files);
        spec.binds = binds;
        spec.cancel = self.req.cancel.clone();
        match self.engine.sandbox().run(&spec) {
            Ok(r) => self.finish(r, compile_output),
            Err(e) => self.empty(TraceStatus::InternalError, Some(format!("sandbox: {e}")), compile_output),
        }
    }

    fn source_file(&self) -> BoxFile {
        BoxFile { path: self.lang.spec.source.clone(), mode: 0o644, data: self.req.code.as_bytes().to_vec() }
    }

    /// Compiles the debug build, if the language has one, through the
    /// engine's compile step: an identical build is served from its cache.
    fn build(&self) -> Build {
        let Some(cmd) = self.backend.compile else {
            return Build::Ready(None, String::new());
        };
        let mut limits = self.limits.compile.clone();
        if let Some(m) = self.lang.spec.adjust.compile_memory_kb {
            limits.memory_kb = limits.memory_kb.max(m);
        }
        let mut files = vec![self.source_file()];
        files.extend(self.tracer_files());
        let spec = RunSpec {
            argv: backend::expand(cmd, &self.lang.spec.source, 0),
            env: flash_sandbox::default_env(),
            limits,
            files,
            collect: self.backend.artifacts.iter().map(|s| s.to_string()).collect(),
            collect_max_kb: MAX_ARTIFACT_KB,
            merge_stderr: true,
            ..RunSpec::default()
        };
        let built = match self.engine.compile_step(CompileStep { language: self.lang, spec }) {
            Ok(b) => b,
            Err(e) => {
                let msg = Some(format!("compile step: {e}"));
                return Build::Stop(Box::new(self.empty(TraceStatus::InternalError, msg, String::new())));
            }
        };
        let output = String::from_utf8_lossy(&built.artifact.output).into_owned();
        match built.artifact.ok {
            true => Build::Ready(Some(built.artifact), output),
            // The compiler's complaint, or why the compile stopped (a limit), is in its output.
            false => Build::Stop(Box::new(self.empty(TraceStatus::CompileError, None, output))),
        }
    }

    /// The compile box's files for the run box: artifacts (bound read-only),
    /// plus the source (gdb reads it; it is harmless elsewhere).
    fn artifacts(&self, build: &Artifact) -> (Vec<BoxFile>, Vec<Bind>) {
        let binds = build.binds("").into_iter().filter(|b| b.path != self.lang.spec.source).collect();
        (vec![self.source_file()], binds)
    }

    fn tracer_files(&self) -> Vec<BoxFile> {
        self.backend
            .files
            .iter()
            .map(|(name, text)| BoxFile { path: format!("{DIR}/{name}"), mode: 0o644, data: text.as_bytes().to_vec() })
            .collect()
    }

    /// The run box: the program (source or build), the tracer, its settings.
    fn run_spec(&self, mut files: Vec<BoxFile>) -> RunSpec {
        let b = self.backend;
        let limits = self
            .limits
            .run_limits(b.min_memory_kb, b.min_processes.max(self.lang.spec.adjust.min_processes.unwrap_or(0)));
        if b.compile.is_none() {
            files.push(self.source_file());
        }
        let config = serde_json::json!({
            "source": format!("/box/{}", self.lang.spec.source),
            // The trace goes to a descriptor the program does not inherit
            // (see `RunSpec::private_output`), never to a file of the box.
            "trace_fd": flash_sandbox::spec::PRIVATE_OUTPUT_FD,
            "max_steps": self.max_steps,
            "trace_bytes": self.limits.trace_bytes,
            // The tracer stops itself a little before the sandbox would, so the
            // steps so far are written out and the status is exact.
            "deadline": (limits.cpu_time.min(limits.wall_time) * 0.9 - 0.5).max(0.5),
            "program": b.program,
            "wrapper": [flash_sandbox::BOX_FLASH, "__seccomp-exec"],
        });
        files.push(BoxFile { path: CONFIG.into(), mode: 0o644, data: config.to_string().into_bytes() });
        // Java: two JVMs share the memory; the program's heap gets half of what the tracer leaves.
        let heap_mb = ((limits.memory_kb / 1024).saturating_sub(256) / 2).max(64);
        let mut env = flash_sandbox::default_env();
        env.push(("FLASH_DEBUG_CONFIG".into(), format!("/box/{CONFIG}")));
        RunSpec {
            argv: backend::expand(b.run, &self.lang.spec.source, heap_mb),
            env,
            limits,
            stdin: Stdin::Bytes(self.req.input.as_bytes().to_vec()),
            files,
            private_output: Some(TRACE.into()),
            // The parser reads at most `trace_bytes` and one line more.
            collect_max_kb: (self.limits.trace_bytes / 1024).saturating_add(1024),
            merge_stderr: false,
            debugger: b.ptrace,
            ..RunSpec::default()
        }
    }

    fn used_limits(&self) -> UsedLimits {
        let l = self.limits.run_limits(self.backend.min_memory_kb, 0);
        UsedLimits {
            max_steps: self.max_steps,
            trace_bytes: self.limits.trace_bytes,
            cpu_time: l.cpu_time,
            wall_time: l.wall_time,
            memory_kb: l.memory_kb,
            output_kb: l.output_kb,
        }
    }

    /// A trace with no run behind it.
    fn empty(&self, status: TraceStatus, message: Option<String>, compile_output: String) -> Trace {
        Trace {
            status,
            message,
            stdout: String::new(),
            stderr: String::new(),
            exit: None,
            signal: None,
            compile_output,
            limits: self.used_limits(),
            steps: Vec::new(),
        }
    }

    /// The trace from a finished run.
    fn finish(&self, r: RunResult, mut compile_output: String) -> Trace {
        let data = r.files.iter().find(|f| f.path == TRACE).map_or(&[][..], |f| &f.data[..]);
        let mut parsed = parse::parse(data, self.max_steps as usize, self.limits.trace_bytes);
        let v = verdict(&r, &parsed);
        if v.status == TraceStatus::CompileError {
            if let Some(m) = parsed.end.as_mut().and_then(|e| e.message.take()) {
                compile_output = m;
            }
        }
        let stdout_len = r.stdout.len() as u64;
        for s in &mut parsed.steps {
            s.stdout_len = s.stdout_len.min(stdout_len);
        }
        let mut message = v.message;
        if parsed.malformed > 0 {
            let note = format!("{} malformed trace lines skipped", parsed.malformed);
            message = Some(message.map_or(note.clone(), |m| format!("{m}; {note}")));
        }
        Trace {
            status: v.status,
            message,
            stdout: String::from_utf8_lossy(&r.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&r.stderr).into_owned(),
            exit: v.exit,
            signal: v.signal,
            compile_output,
            limits: self.used_limits(),
            steps: parsed.steps,
        }
    }
}

/// Status, message, exit code and signal of a traced run.
#[derive(Debug, PartialEq)]
pub(crate) struct Verdict {
    pub status: TraceStatus,
    pub message: Option<String>,
    pub exit: Option<i32>,
    pub signal: Option<i32>,
}

/// Decides the status. In order: the library's own cuts, the tracer's
/// limits, the sandbox's limits and failures, then how the program ended.
pub(crate) fn verdict(r: &RunResult, parsed: &Parsed) -> Verdict {
    let v = |status, message: Option<&str>| Verdict {
        status,
        message: message.map(str::to_owned),
        exit: None,
        signal: None,
    };
    match parsed.cut {
        Some(Cut::Steps) => return v(TraceStatus::StepLimit, None),
        Some(Cut::Bytes) => return v(TraceStatus::TraceSizeLimit, None),
        None => {}
    }
    let end = parsed.end.as_ref().map(|e| e.end.as_str());
    match end {
        Some("step_limit") => return v(TraceStatus::StepLimit, None),
        Some("trace_size_limit") => return v(TraceStatus::TraceSizeLimit, None),
        Some("time_limit") => return v(TraceStatus::TimeLimit, Some("time limit (stopped by the tracer)")),
        _ => {}
    }
    let m = &r.meas;
    match m.status {
        Status::TimeLimit | Status::WallTimeLimit => return v(TraceStatus::TimeLimit, Some(m.status.describe())),
        Status::OutputLimit => return v(TraceStatus::OutputLimit, None),
        Status::MemoryLimit => return v(TraceStatus::RuntimeError, Some("memory limit exceeded")),
        Status::FileSizeLimit => return v(TraceStatus::RuntimeError, Some("file size limit exceeded")),
        Status::ExecFailed | Status::InternalError => {
            let msg = m.message.clone().unwrap_or_else(|| m.status.describe().into());
            return v(TraceStatus::InternalError, Some(&format!("the tracer could not run: {msg}")));
        }
        Status::Ok | Status::RuntimeError | Status::Signaled => {}
    }
    match parsed.end.as_ref() {
        Some(e) if e.end == "compile_error" => v(TraceStatus::CompileError, None),
        Some(e) if e.end == "done" => ended(e.exit, e.signal, None),
        Some(e) => {
            let msg = e.message.clone().unwrap_or_else(|| format!("tracer ended with {:?}", e.end));
            v(TraceStatus::InternalError, Some(&msg))
        }
        // The tracer never wrote its end: the program left without it (os._exit, a crash of the
        // runtime), so the process's own exit is all there is.
        None => ended(m.exit_code, m.signal, Some("the trace has no end record")),
    }
}

fn ended(exit: Option<i32>, signal: Option<i32>, note: Option<&str>) -> Verdict {
    let status = if exit == Some(0) && signal.is_none() { TraceStatus::Ok } else { TraceStatus::RuntimeError };
    let message = match (signal, exit) {
        (Some(s), _) => Some(format!("killed by signal {s}")),
        (None, Some(c)) if c != 0 => Some(format!("exited with code {c}")),
        _ => None,
    };
    let message = match (message, note) {
        (Some(m), Some(n)) => Some(format!("{m} ({n})")),
        (m, n) => m.or(n.map(str::to_owned)),
    };
    Verdict { status, message, exit: if signal.is_some() { None } else { exit }, signal }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::End;
    use flash_sandbox::Measurement;

    fn result(status: Status, exit: Option<i32>) -> RunResult {
        // Through serde, so fields the sandbox adds later (with defaults) need no change here.
        let meas: Measurement = serde_json::from_value(serde_json::json!({
            "status": status, "exit_code": exit, "signal": null, "cpu_time": 0.0,
            "wall_time": 0.0, "memory_kb": 0, "memory_limit_hit": false,
            "message": null, "exec_errno": null,
        }))
        .unwrap();
        RunResult { meas, stdout: Vec::new(), stderr: Vec::new(), files: Vec::new(), interleave: Vec::new() }
    }

    fn end(why: &str, exit: Option<i32>, signal: Option<i32>) -> Parsed {
        Parsed { end: Some(End { end: why.into(), exit, signal, message: None }), ..Parsed::default() }
    }

    #[test]
    fn cuts_and_tracer_limits_come_first() {
        let p = Parsed { cut: Some(Cut::Steps), ..end("done", Some(0), None) };
        let r = result(Status::TimeLimit, None);
        assert_eq!(verdict(&r, &p).status, TraceStatus::StepLimit);
        let r = result(Status::Ok, Some(0));
        assert_eq!(verdict(&r, &end("trace_size_limit", None, None)).status, TraceStatus::TraceSizeLimit);
        assert_eq!(verdict(&r, &end("time_limit", None, None)).status, TraceStatus::TimeLimit);
    }

    #[test]
    fn sandbox_limits_map_to_statuses() {
        let p = Parsed::default();
        for (s, want) in [
            (Status::WallTimeLimit, TraceStatus::TimeLimit),
            (Status::TimeLimit, TraceStatus::TimeLimit),
            (Status::OutputLimit, TraceStatus::OutputLimit),
            (Status::MemoryLimit, TraceStatus::RuntimeError),
            (Status::InternalError, TraceStatus::InternalError),
        ] {
            assert_eq!(verdict(&result(s, None), &p).status, want, "{s:?}");
        }
    }

    #[test]
    fn the_end_record_gives_the_programs_exit() {
        let r = result(Status::RuntimeError, Some(1));
        let v = verdict(&r, &end("done", Some(0), None));
        assert_eq!((v.status, v.exit), (TraceStatus::Ok, Some(0)));
        let v = verdict(&r, &end("done", None, Some(11)));
        assert_eq!((v.status, v.exit, v.signal), (TraceStatus::RuntimeError, None, Some(11)));
        let v = verdict(&r, &end("compile_error", None, None));
        assert_eq!(v.status, TraceStatus::CompileError);
        let v = verdict(&r, &end("error", None, None));
        assert_eq!(v.status, TraceStatus::InternalError);
        let v = verdict(&result(Status::RuntimeError, Some(3)), &Parsed::default());
        assert_eq!((v.status, v.exit), (TraceStatus::RuntimeError, Some(3)));
    }
}
