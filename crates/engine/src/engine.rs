//! The engine: compile once (through the cache), run each test case, judge.

use crate::cache::{self, Artifact, ArtifactFile, CompileCache};
use crate::registry::{Language, Registry};
use crate::types::{Judgement, RunOutcome, StatusId, Submission, TestCase};
use crate::verdict::run_status_compared;
use crate::Error;
use flash_sandbox::{BoxFile, Limits, LiveInput, RunResult, RunSpec, Sandbox, Status, Stdin, Stream};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::Receiver;
use std::sync::Arc;
use std::time::Instant;

/// How the engine is set up.
#[derive(Debug, Clone)]
pub struct EngineConfig {
    /// Where compiled artifacts are kept (persistent when it is a data dir).
    pub cache_dir: PathBuf,
    /// Bound on the cache's total size.
    pub cache_max_bytes: u64,
    /// Limits of every compile step.
    pub compile_limits: Limits,
    /// Largest compiled file (artifact) kept, KiB, by apparent size: a
    /// larger one (say, a sparse binary from linker options) fails the
    /// compile instead of being held, cached and staged into every run box.
    pub max_artifact_kb: u64,
    /// Precompiled headers offered to C++ compiles (their directory must be
    /// mounted in the pool's boxes: [`crate::Pch::mount`]).
    pub pch: Option<crate::Pch>,
    /// Warm-runtime archives built on demand: a language's is built in the
    /// background when it is first judged ([`crate::Warm::wanted`]).
    pub warm: Option<crate::Warm>,
}

impl EngineConfig {
    /// Defaults, with the cache in `cache_dir`.
    pub fn new(cache_dir: PathBuf) -> EngineConfig {
        EngineConfig {
            cache_dir,
            cache_max_bytes: 512 << 20,
            compile_limits: Limits {
                cpu_time: 10.0,
                wall_time: 20.0,
                memory_kb: 512 * 1024,
                stack_kb: 64 * 1024,
                processes: 64,
                file_size_kb: 256 * 1024,
                open_files: 512,
                output_kb: 1024,
                address_space_kb: None,
            },
            max_artifact_kb: 64 * 1024,
            pch: None,
            warm: None,
        }
    }
}

impl EngineConfig {
    /// Applies `FLASH_COMPILE_TIME` (seconds of CPU for one compile; the wall
    /// limit is twice that), for slow machines and emulators where the
    /// default 10 s is too little. Err names the variable and the reason.
    pub fn with_env(mut self) -> Result<EngineConfig, String> {
        if let Ok(v) = std::env::var("FLASH_COMPILE_TIME") {
            match v.trim().parse::<f64>() {
                Ok(secs) if secs.is_finite() && secs > 0.0 && secs <= 3600.0 => {
                    self.compile_limits.cpu_time = secs;
                    self.compile_limits.wall_time = 2.0 * secs;
                }
                _ => return Err(format!("FLASH_COMPILE_TIME must be seconds in (0, 3600], got {v:?}")),
            }
        }
        Ok(self)
    }
}

/// Judges submissions. Share it (`Arc`); every method takes `&self` and blocks.
/// Every compile and every run goes through its [`Sandbox`]: a
/// [`flash_sandbox::Pool`] in production, a scripted fake in tests.
pub struct Engine {
    pub(crate) sandbox: Arc<dyn Sandbox>,
    registry: Registry,
    pub(crate) cache: CompileCache,
    compile_limits: Limits,
    pub(crate) max_artifact_kb: u64,
    pub(crate) compiles: AtomicU64,
    pch: Option<crate::Pch>,
    warm: Option<crate::Warm>,
    /// Precompiled headers or warm-runtime archives are being built in the
    /// background (see [`Engine::set_warming`]).
    warming: std::sync::atomic::AtomicBool,
}

impl Engine {
    /// Builds an engine over a sandbox (an `Arc<Pool>` coerces).
    pub fn new(sandbox: Arc<dyn Sandbox>, registry: Registry, cfg: EngineConfig) -> Result<Engine, Error> {
        let cache = CompileCache::open(&cfg.cache_dir, cfg.cache_max_bytes)
            .map_err(|e| Error::Cache(format!("{}: {e}", cfg.cache_dir.display())))?;
        cfg.compile_limits.validate().map_err(Error::Invalid)?;
        Ok(Engine {
            sandbox,
            registry,
            cache,
            compile_limits: cfg.compile_limits,
            max_artifact_kb: cfg.max_artifact_kb,
            compiles: AtomicU64::new(0),
            pch: cfg.pch,
            warm: cfg.warm,
            warming: std::sync::atomic::AtomicBool::new(false),
        })
    }

    /// The languages offered.
    /// Says that precompiled headers or warm-runtime archives are being built
    /// in the background (`true`), or that the builds are over (`false`), so
    /// that a benchmark or a readiness probe can wait for a warm service.
    /// Judging is correct either way, only slower while warming.
    pub fn set_warming(&self, on: bool) {
        self.warming.store(on, Ordering::Release);
    }

    /// Whether the background builds of [`Engine::set_warming`] are running.
    pub fn warming(&self) -> bool {
        self.warming.load(Ordering::Acquire)
    }

    pub fn registry(&self) -> &Registry {
        &self.registry
    }

    /// The sandbox every compile and run goes through.
    pub fn sandbox(&self) -> &Arc<dyn Sandbox> {
        &self.sandbox
    }

    /// How many compiles actually ran (cache misses), since start.
    pub fn compiles_run(&self) -> u64 {
        self.compiles.load(Ordering::Relaxed)
    }

    /// Compile cache size in bytes and entries.
    pub fn cache_stats(&self) -> (u64, usize) {
        (self.cache.total_bytes(), self.cache.len())
    }

    /// Judges one submission. `Err` only for a request that cannot be judged
    /// (unknown language, invalid limits); failures of Flash itself come back
    /// as a judgement with status Internal Error.
    pub fn judge(&self, sub: &Submission) -> Result<Judgement, Error> {
        let cancelled = || sub.cancel.as_ref().is_some_and(flash_sandbox::Cancel::is_cancelled);
        if cancelled() {
            return Err(Error::Cancelled);
        }
        let program = match self.prepare(sub)? {
            Prepared::Ready(p) => p,
            Prepared::Failed(j) => return Ok(*j),
        };
        let cases: Vec<TestCase> = if sub.tests.is_empty() {
            vec![TestCase { input: sub.stdin.clone(), expected: sub.expected.clone() }]
        } else {
            sub.tests.clone()
        };
        let mut outcomes = Vec::with_capacity(cases.len());
        for case in &cases {
            // Checked between runs too: a run cut short answers an error,
            // which is not the program's verdict.
            if cancelled() {
                return Err(Error::Cancelled);
            }
            let o = self.run_case(&program, case);
            let stop = sub.stop_on_first_failure && o.status != StatusId::Accepted;
            outcomes.push(o);
            if stop {
                break;
            }
        }
        if cancelled() {
            return Err(Error::Cancelled);
        }
        let a = &program.artifact;
        Ok(summarize(outcomes, !sub.tests.is_empty(), a.output.clone(), program.compile_cached, program.compile_time))
    }

    /// Judges one submission while it is talked to: `on` hears the stages and
    /// every chunk of output as it comes (the compiler's, stdout and stderr
    /// together, as one stderr chunk of the compile stage), and what arrives
    /// on `input` goes to the running program (`sub.stdin` and `sub.tests` are
    /// not used: send the input there). Dropping the sender closes its stdin.
    pub fn judge_live(
        &self,
        sub: &Submission,
        input: Receiver<LiveInput>,
        on: &mut (dyn FnMut(LiveEvent<'_>) + Send),
    ) -> Result<Judgement, Error> {
        let compiled = self.registry.find(&sub.language).is_some_and(|l| l.spec.compile.is_some());
        if compiled {
            on(LiveEvent::Stage(Stage::Compile));
        }
        let program = match self.prepare(sub)? {
            Prepared::Ready(p) => p,
            Prepared::Failed(j) => {
                if !j.compile_output.is_empty() {
                    on(LiveEvent::Output(Stream::Stderr, &j.compile_output));
                }
                return Ok(*j);
            }
        };
        if compiled && !program.artifact.output.is_empty() {
            on(LiveEvent::Output(Stream::Stderr, &program.artifact.output));
        }
        on(LiveEvent::Stage(Stage::Run));
        let mut spec = self.program_spec(&program, RunExtra::default());
        spec.stdin = Stdin::Live;
        let mut output = |s: Stream, d: &[u8]| on(LiveEvent::Output(s, d));
        let o = outcome(program.lang, self.sandbox.run_live(&spec, input, &mut output), None, &sub.comparison);
        let a = &program.artifact;
        Ok(summarize(vec![o], false, a.output.clone(), program.compile_cached, program.compile_time))
    }

    /// Compiles a submission once (through the cache) so that callers that
    /// decide between runs (a problem package's grader, a checker run once per
    /// test) can run it many times: [`Engine::run_case`], [`Engine::run_program`].
    /// A compile error or a failure of the compile step comes back as
    /// [`Prepared::Failed`] with its judgement; `Err` only for an invalid request.
    pub fn prepare<'a>(&'a self, sub: &'a Submission) -> Result<Prepared<'a>, Error> {
        let lang = self.registry.find(&sub.language).ok_or_else(|| Error::UnknownLanguage(sub.language.clone()))?;
        sub.limits.validate().map_err(Error::Invalid)?;
        for f in &sub.extra_files {
            flash_sandbox::spec::check_box_path(&f.path).map_err(Error::Invalid)?;
        }
        if let Some(w) = &self.warm {
            w.wanted(&lang.spec.name);
        }
        let options = split_options(sub.compiler_options.as_deref());
        // An argv cannot carry NUL: the request's mistake, not Flash's failure.
        if options.iter().chain(&sub.args).any(|a| a.contains('\0')) {
            return Err(Error::Invalid("compiler options and arguments must not contain NUL characters".into()));
        }
        let start = Instant::now();
        let (artifact, cached) = match &lang.spec.compile {
            None => (Arc::new(Artifact::new(true, Vec::new(), Vec::new(), 0.0)), false),
            Some(cmd) => {
                let mut argv = expand(cmd, &options, &[], 0);
                // First on the include path, so g++ finds the .gch before the header.
                if let Some(arg) = self.pch.as_ref().and_then(|p| p.arg_for(lang, &sub.source)) {
                    argv.insert(1, arg);
                }
                match self.compile(lang, sub, argv) {
                    (Ok(a), hit) => (a, hit),
                    (Err(msg), _) => {
                        return Ok(Prepared::Failed(Box::new(Judgement::internal(format!(
                            "compile step failed: {msg}"
                        )))))
                    }
                }
            }
        };
        let compile_time = if cached || lang.spec.compile.is_none() { 0.0 } else { start.elapsed().as_secs_f64() };
        // A compile shared through the cache that took longer than this
        // submission allows its own.
        let asked = sub.compile_limits.wall_time.into_iter().chain(sub.compile_limits.cpu_time).reduce(f64::min);
        let artifact = match asked {
            Some(limit) if artifact.ok && artifact.compile_time > limit => {
                let mut output = artifact.output.clone();
                output.extend_from_slice(b"\ncompilation time limit exceeded\n");
                Arc::new(Artifact::new(false, output, Vec::new(), artifact.compile_time))
            }
            _ => artifact,
        };
        if !artifact.ok {
            let mut j = Judgement::internal("");
            j.run.status = StatusId::CompilationError;
            j.run.message = None;
            j.compile_output = artifact.output.clone();
            j.compile_cached = cached;
            j.compile_time = compile_time;
            return Ok(Prepared::Failed(Box::new(j)));
        }
        Ok(Prepared::Ready(Program { lang, sub, artifact, compile_cached: cached, compile_time }))
    }

    fn compile(&self, lang: &Language, sub: &Submission, argv: Vec<String>) -> (Result<Arc<Artifact>, String>, bool) {
        let mut parts: Vec<&[u8]> = vec![b"compile", lang.spec.name.as_bytes(), lang.version.as_bytes()];
        let joined = argv.join("\0");
        parts.push(joined.as_bytes());
        // An unpacked tree is cached as its files: never mix with entries cached as one archive.
        if let Some(tree) = &lang.spec.unpack {
            parts.extend([b"unpack".as_slice(), tree.as_bytes()]);
        }
        parts.push(&sub.source);
        if !sub.cache_scope.is_empty() {
            parts.extend([b"scope".as_slice(), sub.cache_scope.as_bytes()]);
        }
        let mut extra: Vec<&crate::types::ExtraFile> = sub.extra_files.iter().collect();
        extra.sort_by(|a, b| a.path.cmp(&b.path));
        for f in &extra {
            parts.push(f.path.as_bytes());
            parts.push(if f.executable { b"x" } else { b"-" });
            parts.push(&f.data);
        }
        let key = cache::key(&parts);
        self.cache.get_or_compile(&key, |staging| {
            self.compiles.fetch_add(1, Ordering::Relaxed);
            let mut limits = self.compile_limits.clone();
            if let Some(m) = lang.spec.adjust.compile_memory_kb {
                limits.memory_kb = limits.memory_kb.max(m);
            }
            if let Some(p) = lang.spec.adjust.min_processes {
                limits.processes = limits.processes.max(p);
            }
            if let Some(t) = lang.spec.adjust.compile_cpu_time {
                limits.cpu_time = limits.cpu_time.max(t);
                limits.wall_time = limits.wall_time.max(2.0 * t);
            }
            let asked = sub.compile_limits;
            limits.cpu_time = asked.cpu_time.map_or(limits.cpu_time, |c| c.min(limits.cpu_time));
            limits.wall_time = asked.wall_time.map_or(limits.wall_time, |w| w.min(limits.wall_time));
            limits.memory_kb = asked.memory_kb.map_or(limits.memory_kb, |m| m.clamp(1024, limits.memory_kb));
            let spec = RunSpec {
                argv,
                env: language_env(lang, heap_mb(&limits)),
                limits,
                // Support files (TypeScript's declarations of Node's globals) serve the compiler too.
                files: box_files(lang, sub).into_iter().chain(support_files(lang)).collect(),
                collect: lang.spec.artifacts.clone(),
                collect_max_kb: self.max_artifact_kb,
                // Straight to the cache's disk: no byte of an artifact is held here.
                collect_into: Some(staging.to_owned()),
                merge_stderr: true,
                ..RunSpec::default()
            };
            let t = Instant::now();
            let r = self.sandbox.run(&spec).map_err(|e| e.to_string())?;
            let kept = Kept {
                required: &lang.spec.artifacts,
                unpack: lang.spec.unpack.as_deref(),
                max_kb: self.max_artifact_kb,
            };
            artifact_of(r, t.elapsed().as_secs_f64(), &kept, staging)
        })
    }

    /// Runs a prepared program on one test case and judges the run (Judge0's
    /// comparison when the case has an expected output).
    pub fn run_case(&self, program: &Program, case: &TestCase) -> RunOutcome {
        let extra = RunExtra { stdin: case.input.clone(), ..RunExtra::default() };
        outcome(program.lang, self.run_program(program, extra), case.expected.as_deref(), &program.sub.comparison)
    }

    /// Runs a prepared program once in a fresh box with its submission's
    /// limits and arguments, plus `extra`: the raw sandbox result, for callers
    /// that judge it themselves (a checker's exit code and feedback files).
    pub fn run_program(&self, program: &Program, extra: RunExtra) -> Result<RunResult, flash_sandbox::Error> {
        self.sandbox.run(&self.program_spec(program, extra))
    }

    /// As [`Engine::run_program`], with the program's stdin and stdout joined
    /// to these descriptors (pipes to another box: interactive problems);
    /// `extra.stdin` must be empty.
    pub fn run_program_piped(
        &self,
        program: &Program,
        extra: RunExtra,
        stdin: std::os::fd::OwnedFd,
        stdout: std::os::fd::OwnedFd,
    ) -> Result<RunResult, flash_sandbox::Error> {
        let mut spec = self.program_spec(program, extra);
        spec.stdin = Stdin::Null;
        self.sandbox.run_piped(&spec, stdin, stdout)
    }

    pub(crate) fn program_spec(&self, program: &Program, extra: RunExtra) -> RunSpec {
        let (lang, sub, art) = (program.lang, program.sub, &program.artifact);
        let mut limits = sub.limits.clone();
        if let Some(p) = lang.spec.adjust.min_processes {
            limits.processes = limits.processes.max(p);
        }
        if let Some(f) = lang.spec.adjust.min_file_size_kb {
            limits.file_size_kb = limits.file_size_kb.max(f);
        }
        let heap_mb = heap_mb(&limits);
        // The artifacts are bound read-only from the cache's disk, never copied
        // into the box: the box's memory does not hold them and neither does ours.
        let binds = art.binds("");
        let mut files: Vec<BoxFile> = support_files(lang).collect();
        if lang.spec.compile.is_none() {
            files.extend(box_files(lang, sub));
        } else {
            // What the compile box left (an unpacked tree) wins over the files sent.
            let sent = extra_files(sub).into_iter().filter(|f| !art.files.iter().any(|a| a.path == f.path));
            files.extend(sent);
        }
        // The caller's files come last and must not replace the program's own.
        files.extend(extra.files);
        let mut args = sub.args.clone();
        args.extend(extra.args);
        RunSpec {
            argv: expand(&lang.spec.run, &[], &args, heap_mb),
            env: language_env(lang, heap_mb),
            limits,
            stdin: Stdin::Bytes(extra.stdin),
            files,
            binds,
            collect: extra.collect,
            merge_stderr: sub.redirect_stderr_to_stdout,
            network: sub.network.clone(),
            cpu: extra.cpu,
            cancel: sub.cancel.clone(),
            ..RunSpec::default()
        }
    }
}

/// What a compile box must leave, and how it is kept.
pub(crate) struct Kept<'a> {
    /// Files that must be there (`*.ext` patterns may match none).
    pub required: &'a [String],
    /// An archive to replace by the files it holds.
    pub unpack: Option<&'a str>,
    /// The largest artifact allowed, KiB (for the message when one is refused).
    pub max_kb: u64,
}

/// A compile box's result as an artifact, and whether it may be cached:
/// a success and a compile error are properties of the source; a limit or a
/// signal may be the machine's. `Err` when the compiler could not run at all.
/// The files are those the helper stored in `staging` (the compile's `collect_into`).
pub(crate) fn artifact_of(
    r: RunResult,
    compile_time: f64,
    kept: &Kept<'_>,
    staging: &Path,
) -> Result<(Artifact, bool), String> {
    let mut output = r.stdout;
    let (ok, cacheable) = match r.meas.status {
        Status::Ok => (true, true),
        // The compiler rejected the program: as deterministic as a success.
        Status::RuntimeError => (false, true),
        Status::TimeLimit | Status::WallTimeLimit => {
            output.extend_from_slice(b"\ncompilation time limit exceeded\n");
            (false, false)
        }
        Status::MemoryLimit => {
            output.extend_from_slice(b"\ncompilation memory limit exceeded\n");
            (false, false)
        }
        Status::OutputLimit | Status::FileSizeLimit => {
            output.extend_from_slice(b"\ncompilation output limit exceeded\n");
            (false, false)
        }
        Status::Signaled => {
            let sig = r.meas.signal.unwrap_or(0);
            output.extend_from_slice(format!("\ncompiler killed by signal {sig}\n").as_bytes());
            (false, false)
        }
        Status::ExecFailed | Status::InternalError => {
            return Err(r.meas.message.unwrap_or_else(|| "the compiler could not start".into()));
        }
    };
    // Deterministic for the same input, so cached like a compile error.
    for (path, len) in &r.meas.collect_refused {
        let msg = format!(
            "\ncompiled file {path} is {} KiB (its apparent size), more than the {} KiB allowed\n",
            len.div_ceil(1024),
            kept.max_kb
        );
        output.extend_from_slice(msg.as_bytes());
    }
    let ok = ok && r.meas.collect_refused.is_empty();
    let stored = r.meas.stored;
    let ok = ok && kept.required.iter().all(|a| a.starts_with("*.") || stored.iter().any(|f| &f.path == a));
    let mut files: Vec<ArtifactFile> = match ok {
        true => stored
            .into_iter()
            .map(|f| ArtifactFile { path: f.path, mode: f.mode, size: f.size, blob: staging.join(f.name) })
            .collect(),
        false => Vec::new(),
    };
    if let (true, Some(tree)) = (ok, kept.unpack) {
        files = unpack(files, tree, staging).map_err(|e| format!("unpacking the compile box's {tree}: {e}"))?;
    }
    Ok((Artifact::new(ok, output, files, compile_time), cacheable))
}

/// A run judged (Judge0's comparison when there is an expected output; a
/// runtime's own out-of-memory report is a memory verdict).
pub(crate) fn outcome(
    lang: &Language,
    result: Result<RunResult, flash_sandbox::Error>,
    expected: Option<&[u8]>,
    compare: &crate::compare::Comparison,
) -> RunOutcome {
    match result {
        Ok(r) => {
            let (mut status, mut message) = run_status_compared(&r.meas, &r.stdout, &r.stderr, expected, compare);
            if let Some(mk) = language_oom(lang, status, &r.stderr) {
                (status, message) = (StatusId::MemoryLimitExceeded, Some(format!("memory limit reached ({mk})")));
            }
            RunOutcome {
                status,
                message,
                exit_code: r.meas.exit_code,
                exit_signal: r.meas.signal,
                time: r.meas.cpu_time,
                wall_time: r.meas.wall_time,
                memory: r.meas.memory_kb,
                stdout: r.stdout,
                stderr: r.stderr,
                interleave: r.interleave,
            }
        }
        Err(e) => RunOutcome::internal(e.to_string()),
    }
}

/// The stage a live judgement is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    Compile,
    Run,
}

/// What a live judgement tells while it goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LiveEvent<'a> {
    /// A stage begins (no compile stage for interpreted languages).
    Stage(Stage),
    /// A chunk of output of the current stage.
    Output(Stream, &'a [u8]),
}

/// A submission compiled and ready to run many times ([`Engine::prepare`]).
pub struct Program<'a> {
    lang: &'a Language,
    sub: &'a Submission,
    artifact: Arc<Artifact>,
    /// Whether the compile step was served from the cache.
    pub compile_cached: bool,
    /// Seconds spent compiling (0 when cached or interpreted).
    pub compile_time: f64,
}

impl Program<'_> {
    /// The compiler's output (warnings), empty for interpreted languages.
    pub fn compile_output(&self) -> &[u8] {
        &self.artifact.output
    }

    /// The language it is written in.
    pub fn language(&self) -> &Language {
        self.lang
    }
}

/// What [`Engine::prepare`] made of a submission.
pub enum Prepared<'a> {
    /// Compiled (or interpreted): ready to run.
    Ready(Program<'a>),
    /// A compile error, or the compile step failed: the whole judgement.
    Failed(Box<Judgement>),
}

/// What one [`Engine::run_program`] adds to the program's own box.
#[derive(Debug, Clone, Default)]
pub struct RunExtra {
    /// stdin of the run.
    pub stdin: Vec<u8>,
    /// Arguments after the submission's own.
    pub args: Vec<String>,
    /// Files written into the box besides the program's.
    pub files: Vec<BoxFile>,
    /// Box paths copied out after the run.
    pub collect: Vec<String>,
    /// The CPU to run on (see [`flash_sandbox::RunSpec::cpu`]).
    pub cpu: Option<u32>,
}

/// Replaces the artifact `tree` (a tar) with the regular files it holds, so
/// they are bound into each run box by Flash rather than extracted there by
/// the program under its limits. Each entry is streamed from the tar on disk
/// into a file of its own in `staging` (never the whole tar in memory), and
/// the tar is removed. Directories are recreated for the files in them; links
/// and other special entries are left out.
fn unpack(files: Vec<ArtifactFile>, tree: &str, staging: &Path) -> Result<Vec<ArtifactFile>, String> {
    let mut out = Vec::new();
    for f in files {
        if f.path != tree {
            out.push(f);
            continue;
        }
        let tar = std::fs::File::open(&f.blob).map_err(|e| e.to_string())?;
        let mut archive = tar::Archive::new(std::io::BufReader::new(tar));
        for (i, entry) in archive.entries().map_err(|e| e.to_string())?.enumerate() {
            let mut entry = entry.map_err(|e| e.to_string())?;
            if !entry.header().entry_type().is_file() {
                continue;
            }
            let path = entry.path().map_err(|e| e.to_string())?.to_string_lossy().into_owned();
            let path = path.trim_start_matches("./").to_owned();
            flash_sandbox::spec::check_box_path(&path)?;
            let mode = entry.header().mode().map_err(|e| e.to_string())? & 0o777;
            let blob = staging.join(format!("t{i}"));
            let mut file = std::fs::File::create_new(&blob).map_err(|e| e.to_string())?;
            let size = std::io::copy(&mut entry, &mut file).map_err(|e| e.to_string())?;
            out.push(ArtifactFile { path, mode, size, blob });
        }
        let _ = std::fs::remove_file(&f.blob);
    }
    Ok(out)
}

/// The source and extra files, as put in a compile box (or an interpreter's run box).
fn box_files(lang: &Language, sub: &Submission) -> Vec<BoxFile> {
    let mut v = vec![BoxFile { path: lang.spec.source.clone(), mode: 0o644, data: sub.source.clone() }];
    v.extend(extra_files(sub));
    v
}

fn extra_files(sub: &Submission) -> Vec<BoxFile> {
    sub.extra_files
        .iter()
        .map(|f| BoxFile { path: f.path.clone(), mode: if f.executable { 0o755 } else { 0o644 }, data: f.data.clone() })
        .collect()
}

/// Splits compiler options on whitespace: each becomes one argument, no shell.
pub fn split_options(opts: Option<&str>) -> Vec<String> {
    opts.map(|o| o.split_whitespace().map(str::to_owned).collect()).unwrap_or_default()
}

/// Fills the placeholders of a command template.
/// The language's own out-of-memory text in the stderr of a run that failed
/// (a runtime whose heap is sized from the limit says so and exits).
fn language_oom<'l>(lang: &'l Language, status: StatusId, stderr: &[u8]) -> Option<&'l str> {
    let failed = matches!(
        status,
        StatusId::RuntimeNzec | StatusId::RuntimeSigabrt | StatusId::RuntimeSigsegv | StatusId::RuntimeOther
    );
    if !failed || lang.spec.oom_markers.is_empty() {
        return None;
    }
    let text = String::from_utf8_lossy(stderr);
    lang.spec.oom_markers.iter().find(|m| text.contains(m.as_str())).map(String::as_str)
}

/// The language's support files, as box files.
fn support_files(lang: &Language) -> impl Iterator<Item = BoxFile> + '_ {
    lang.spec.support.iter().map(|f| BoxFile {
        path: f.path.clone(),
        mode: 0o644,
        data: f.content.clone().into_bytes(),
    })
}

/// `{heap_mb}`: 3/4 of the memory limit, in MiB, for runtimes that size their own heap.
fn heap_mb(limits: &Limits) -> u64 {
    (limits.memory_kb * 3 / 4 / 1024).max(16)
}

/// The sandbox's default environment with the language's own on top.
fn language_env(lang: &Language, heap_mb: u64) -> Vec<(String, String)> {
    let mut env = flash_sandbox::default_env();
    for (k, v) in &lang.spec.env {
        env.retain(|(name, _)| name != k);
        env.push((k.clone(), v.replace("{heap_mb}", &heap_mb.to_string())));
    }
    env
}

fn expand(template: &[String], options: &[String], args: &[String], heap_mb: u64) -> Vec<String> {
    let mut out = Vec::new();
    for t in template {
        match t.as_str() {
            "{options}" => out.extend(options.iter().cloned()),
            "{args}" => out.extend(args.iter().cloned()),
            _ => out.push(t.replace("{heap_mb}", &heap_mb.to_string())),
        }
    }
    out
}

/// The overall judgement from the runs.
pub(crate) fn summarize(
    outcomes: Vec<RunOutcome>,
    had_tests: bool,
    compile_output: Vec<u8>,
    cached: bool,
    compile_time: f64,
) -> Judgement {
    let shown = outcomes.iter().position(|o| o.status != StatusId::Accepted).unwrap_or(outcomes.len() - 1);
    let o = &outcomes[shown];
    let max = |f: fn(&RunOutcome) -> f64| outcomes.iter().map(f).fold(0.0, f64::max);
    let mut j = Judgement {
        run: RunOutcome {
            time: max(|o| o.time),
            wall_time: max(|o| o.wall_time),
            memory: outcomes.iter().map(|o| o.memory).max().unwrap_or(0),
            ..o.clone()
        },
        compile_output,
        tests: Vec::new(),
        compile_cached: cached,
        compile_time,
    };
    if had_tests {
        if o.status != StatusId::Accepted {
            j.run.message =
                Some(format!("test {}: {}", shown + 1, o.message.as_deref().unwrap_or(o.status.description())));
        }
        j.tests = outcomes;
    }
    j
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_tree_artifact_is_unpacked_into_its_files() {
        let mut b = tar::Builder::new(Vec::new());
        let mut add = |path: &str, mode: u32, data: &[u8]| {
            let mut h = tar::Header::new_gnu();
            h.set_size(data.len() as u64);
            h.set_mode(mode);
            h.set_cksum();
            b.append_data(&mut h, path, data).unwrap();
        };
        add("./main", 0o755, &[7u8; 3 << 20]);
        add("./sub/data.txt", 0o644, b"x");
        let staging = tempfile::tempdir().unwrap();
        let at = |n: &str| staging.path().join(n);
        std::fs::write(at("0"), b.into_inner().unwrap()).unwrap();
        std::fs::write(at("1"), b"k").unwrap();
        let file = |path: &str, mode, size, blob| ArtifactFile { path: path.into(), mode, size, blob };
        let files = vec![file(".tree.tar", 0o644, 0, at("0")), file("keep", 0o600, 1, at("1"))];
        let got = unpack(files, ".tree.tar", staging.path()).unwrap();
        let names: Vec<(&str, u32, u64)> = got.iter().map(|f| (f.path.as_str(), f.mode, f.size)).collect();
        assert_eq!(names, [("main", 0o755, 3 << 20), ("sub/data.txt", 0o644, 1), ("keep", 0o600, 1)]);
        assert_eq!(std::fs::read(&got[0].blob).unwrap(), vec![7u8; 3 << 20]);
        assert!(!at("0").exists(), "the tar itself is not kept");
    }

    #[test]
    fn options_are_separate_arguments_and_placeholders_fill_in() {
        let t: Vec<String> =
            ["g++", "{options}", "-o", "main", "x{heap_mb}", "{args}"].iter().map(|s| s.to_string()).collect();
        let opts = split_options(Some("  -O3   -DX=1 ;rm -rf / "));
        assert_eq!(opts, ["-O3", "-DX=1", ";rm", "-rf", "/"]);
        let got = expand(&t, &opts, &["a b".into()], 96);
        assert_eq!(got, ["g++", "-O3", "-DX=1", ";rm", "-rf", "/", "-o", "main", "x96", "a b"]);
    }
}
