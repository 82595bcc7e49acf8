//! A job as it is queued and stored: the validated request ([`JobRequest`]),
//! its outcome ([`JobResult`]) and its place in the queue ([`JobRecord`]).
//!
//! Both APIs produce the same [`JobRequest`], so a token made by one can be
//! read through the other. Bytes (source, input, output) are kept as bytes and
//! stored base64-encoded in JSON.

use flash_engine::{Judgement, RunOutcome, StatusId};
use serde::{Deserialize, Serialize};

/// Which API created the job.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Origin {
    /// `POST /create`.
    Native,
    /// `POST /submissions`.
    Judge0,
    /// Piston's `POST /api/v2/execute` (or its WebSocket).
    Piston,
    /// Jobe's `POST runs`.
    Jobe,
}

/// What a job asks a worker to do, stored with the job, so a worker never
/// mistakes one kind for another. A kind this build does not know (written
/// by a newer server) reads as [`JobKind::Unknown`], which a worker fails
/// with an Internal Error that says so instead of judging it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum JobKind {
    /// Compile and run (every API's submissions).
    #[default]
    Submission,
    /// `POST /debug`: record a step-by-step trace of [`JobRequest::debug`].
    Debug,
    /// A kind of a newer build.
    #[serde(other)]
    Unknown,
}

impl JobKind {
    /// Every kind, for metrics.
    pub const ALL: [JobKind; 3] = [JobKind::Submission, JobKind::Debug, JobKind::Unknown];

    /// Its name on the wire and in metrics.
    pub fn name(self) -> &'static str {
        match self {
            JobKind::Submission => "submission",
            JobKind::Debug => "debug",
            JobKind::Unknown => "unknown",
        }
    }
}

/// A file put next to the source (Piston's further `files`, Jobe's
/// `file_list`, the entries of Judge0's `additional_files` zip, unpacked once
/// when the job is accepted).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StoredFile {
    /// Path in the box.
    pub path: String,
    /// Its bytes.
    #[serde(with = "b64")]
    pub data: Vec<u8>,
    /// Whether it is executable (a zip entry's bit).
    #[serde(default, skip_serializing_if = "is_default")]
    pub executable: bool,
}

/// One native test case.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StoredTest {
    /// stdin.
    #[serde(with = "b64")]
    pub input: Vec<u8>,
    /// Expected stdout, if checked.
    #[serde(with = "b64_opt", default)]
    pub expected: Option<Vec<u8>>,
}

/// A validated submission: every limit already defaulted and capped.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JobRequest {
    /// What the worker does with it (absent in jobs stored before kinds
    /// existed: those are submissions, or debug jobs when `debug` is set).
    #[serde(default)]
    pub kind: JobKind,
    /// The API that accepted it.
    pub origin: Origin,
    /// The language id as the client gave it (a Judge0 id, possibly an alias).
    pub language_id: u32,
    /// The engine's language id this runs as.
    pub engine_language: u32,
    /// Source code (`None` for a Judge0 multi-file program).
    #[serde(with = "b64_opt", default)]
    pub source_code: Option<Vec<u8>>,
    /// stdin.
    #[serde(with = "b64_opt", default)]
    pub stdin: Option<Vec<u8>>,
    /// Expected stdout.
    #[serde(with = "b64_opt", default)]
    pub expected_output: Option<Vec<u8>>,
    /// Native test cases (compile once, run each).
    #[serde(default)]
    pub tests: Vec<StoredTest>,
    /// CPU seconds.
    pub cpu_time_limit: f64,
    /// Shown to Judge0 clients.
    pub cpu_extra_time: f64,
    /// Wall seconds.
    pub wall_time_limit: f64,
    /// KB.
    pub memory_limit: u64,
    /// KB.
    pub stack_limit: u64,
    /// Processes and threads at once.
    pub max_processes_and_or_threads: u64,
    /// Shown to Judge0 clients (always false: limits are per box).
    pub enable_per_process_and_thread_time_limit: bool,
    /// See `enable_per_process_and_thread_time_limit`.
    pub enable_per_process_and_thread_memory_limit: bool,
    /// KB.
    pub max_file_size: u64,
    /// stdout + stderr, KB.
    pub output_limit: u64,
    /// Runs; time and memory are averaged over them.
    pub number_of_runs: u32,
    /// As the client sent them.
    pub compiler_options: Option<String>,
    /// As the client sent them (Judge0: one string).
    pub command_line_arguments: Option<String>,
    /// The program's arguments, split.
    #[serde(default)]
    pub args: Vec<String>,
    /// Send stderr into stdout.
    pub redirect_stderr_to_stdout: bool,
    /// Whether the runs have network (Judge0's field; see `network`).
    pub enable_network: bool,
    /// Hosts the runs may reach through the sandbox's proxy, checked against
    /// the key's allowance when accepted; empty: no network.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub network: Vec<String>,
    /// How outputs are compared with the expected ones (native `compare`;
    /// Judge0's rule by default).
    #[serde(default, skip_serializing_if = "is_default")]
    pub comparison: flash_engine::Comparison,
    /// Judge0's zip of extra files, as sent (decoded from base64), kept to
    /// be shown; its entries are in `files`, unpacked and checked once when
    /// the job was accepted (a job stored before then has the zip only: see
    /// [`crate::submission::to_submission`]).
    #[serde(with = "b64_opt", default)]
    pub additional_files: Option<Vec<u8>>,
    /// Extra files: sent one by one (Piston, Jobe) or unpacked from `additional_files`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub files: Vec<StoredFile>,
    /// Where to PUT the result.
    pub callback_url: Option<String>,
    /// The `POST /debug` request of a [`JobKind::Debug`] job: the worker
    /// records its trace instead of judging.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub debug: Option<flash_debugger::DebugRequest>,
    /// Tighter compile limits (Piston's `compile_*`), each below the engine's.
    #[serde(default, skip_serializing_if = "is_default")]
    pub compile_limits: flash_engine::CompileLimits,
    /// The name of the API key that submitted it (on its log lines and metrics).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
    /// A run in a session: the workspace travels with the job, so any worker
    /// can serve it, and comes back in [`JobResult::workspace`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session: Option<SessionJob>,
    /// A native submission judged on an uploaded problem package: the
    /// package's tests and limits replace the request's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub package: Option<PackageJob>,
}

/// What a worker needs to judge a submission on a package.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PackageJob {
    /// The package's id (flash-server's `packages` module keeps them).
    pub id: String,
    /// CPU seconds per test, when the client overrides the package's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time_limit: Option<f64>,
    /// Judge every test even after a failure.
    #[serde(default)]
    pub all_tests: bool,
    /// Interactive problems: keep what each side wrote (bounded) per test.
    #[serde(default)]
    pub transcript: bool,
}

/// A file of a session's workspace, with its permission bits.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WorkspaceFile {
    /// Path relative to the workspace (and to the box's `/box`).
    pub path: String,
    /// Unix permission bits (0o644, 0o755 for an executable).
    pub mode: u32,
    /// Its bytes.
    #[serde(with = "b64")]
    pub data: Vec<u8>,
}

/// What a worker needs to run a job in a session's workspace.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SessionJob {
    /// The session (for the log).
    pub id: String,
    /// The workspace before the run.
    pub files: Vec<WorkspaceFile>,
    /// Largest file the workspace may take back, KiB.
    pub max_file_kb: u64,
}

/// The workspace as a session's run left it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WorkspaceOutcome {
    /// Every file after the run; `None` when the run did not happen (the
    /// workspace stays as it was).
    pub files: Option<Vec<WorkspaceFile>>,
    /// Files the run made that are over the per-file limit, with their sizes (bytes).
    #[serde(default)]
    pub refused: Vec<(String, u64)>,
    /// The box held more files than could be taken back.
    #[serde(default)]
    pub truncated: bool,
}

/// One run as a job stores it: the run a [`JobResult`] shows, and each of
/// its native test cases (the job layer's one run type, as
/// `flash_engine::RunOutcome` is the engine's).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StoredRun {
    /// Status (stored as its id, 1..=16; Judge0 views fold 15 and 16).
    #[serde(with = "status_id")]
    pub status: StatusId,
    /// stdout.
    #[serde(with = "b64")]
    pub stdout: Vec<u8>,
    /// stderr.
    #[serde(with = "b64")]
    pub stderr: Vec<u8>,
    /// Why, when not Accepted.
    pub message: Option<String>,
    /// Exit code.
    pub exit_code: Option<i32>,
    /// Signal.
    pub exit_signal: Option<i32>,
    /// CPU seconds; `None` when nothing ran (a compile error, or Flash
    /// failed before the program started). A test case always ran.
    pub time: Option<f64>,
    /// Wall seconds (as `time`).
    pub wall_time: Option<f64>,
    /// Peak KB (as `time`).
    pub memory: Option<u64>,
    /// The order of `stdout` and `stderr` as they were written (Piston's
    /// `output`): see `flash_sandbox::RunResult::interleave`. Kept for the
    /// shown run only.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub interleave: Vec<i64>,
}

/// A finished job's outcome.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JobResult {
    /// The run it shows: the only run, or the first failing test's (the
    /// last test's when all passed), with the overall status and the largest
    /// time and memory over the tests (the average over `number_of_runs`).
    /// Its fields are the result's own in JSON (flattened).
    #[serde(flatten)]
    pub run: StoredRun,
    /// Compiler output.
    #[serde(with = "b64")]
    pub compile_output: Vec<u8>,
    /// One per native test case.
    #[serde(default)]
    pub tests: Vec<StoredRun>,
    /// Seconds spent compiling (0 when cached or interpreted).
    #[serde(default)]
    pub compile_time: f64,
    /// Whether the compile was served from the cache.
    #[serde(default)]
    pub compile_cached: bool,
    /// The trace of a debug job (see [`JobRequest::debug`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trace: Option<serde_json::Value>,
    /// Why a debug job could not be traced (the request's fault: the API
    /// answers 422 naming the field).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub debug_refusal: Option<DebugRefusal>,
    /// A session's run: the workspace it left.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub workspace: Option<WorkspaceOutcome>,
    /// A package job: flash-judge's report (per-test table, groups, score) as JSON.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub package: Option<serde_json::Value>,
}

impl JobResult {
    /// A result for a failure of Flash itself.
    pub fn internal(message: impl Into<String>) -> JobResult {
        JobResult::from_judgement(&Judgement::internal(message))
    }

    /// Converts the engine's judgement.
    pub fn from_judgement(j: &Judgement) -> JobResult {
        let ran = !matches!(j.run.status, StatusId::CompilationError | StatusId::InternalError)
            || !j.run.stdout.is_empty()
            || j.run.time > 0.0;
        let mut run = StoredRun::from_outcome(&j.run);
        if !ran {
            (run.time, run.wall_time, run.memory) = (None, None, None);
        }
        run.interleave = j.run.interleave.clone();
        JobResult {
            run,
            compile_output: j.compile_output.clone(),
            tests: j.tests.iter().map(StoredRun::from_outcome).collect(),
            compile_time: j.compile_time,
            compile_cached: j.compile_cached,
            trace: None,
            debug_refusal: None,
            workspace: None,
            package: None,
        }
    }
    /// The status.
    pub fn status_id(&self) -> StatusId {
        self.run.status
    }
}

/// A package job's result: the overall verdict as a status (the table
/// itself in [`JobResult::package`]), the largest time and memory of a test.
pub fn from_report(r: &flash_judge::Report) -> JobResult {
    use flash_judge::Verdict as V;
    let failed = r.tests.iter().find(|t| t.verdict == r.verdict && t.verdict != V::AC);
    let status = match r.verdict {
        V::AC | V::Skipped => StatusId::Accepted,
        V::WA | V::PE => StatusId::WrongAnswer,
        V::TLE => StatusId::TimeLimitExceeded,
        V::MLE => StatusId::MemoryLimitExceeded,
        V::OLE => StatusId::OutputLimitExceeded,
        V::CE => StatusId::CompilationError,
        V::JE => StatusId::InternalError,
        V::RTE => runtime_status(failed.and_then(|t| t.detail.as_deref()).unwrap_or("")),
    };
    let max = |f: fn(&flash_judge::TestRow) -> f64| r.tests.iter().map(f).fold(0.0, f64::max);
    let ran = !r.tests.is_empty();
    let mut out = JobResult::internal("");
    out.run.status = status;
    out.run.message = r.message.clone().or_else(|| {
        failed.map(|t| {
            let why = [t.detail.as_deref(), t.message.as_deref()].into_iter().flatten().collect::<Vec<_>>().join(": ");
            format!(
                "{:?} on test {}{}",
                t.verdict,
                t.name,
                if why.is_empty() { String::new() } else { format!(" ({why})") }
            )
        })
    });
    out.compile_output = r.compile_output.clone().into_bytes();
    out.compile_time = r.compile_time;
    out.compile_cached = r.compile_cached;
    out.run.time = ran.then(|| max(|t| t.time));
    out.run.wall_time = ran.then(|| max(|t| t.wall_time));
    out.run.memory = ran.then(|| r.tests.iter().map(|t| t.memory_kb).max().unwrap_or(0));
    out.package = Some(serde_json::to_value(r).unwrap_or_default());
    out
}

/// Judge0's run-time error status from flash-judge's detail ("SIGSEGV (11)", "exit code 3").
fn runtime_status(detail: &str) -> StatusId {
    let table = [
        ("SIGSEGV", StatusId::RuntimeSigsegv),
        ("SIGXFSZ", StatusId::RuntimeSigxfsz),
        ("SIGFPE", StatusId::RuntimeSigfpe),
        ("SIGABRT", StatusId::RuntimeSigabrt),
        ("exit code", StatusId::RuntimeNzec),
    ];
    table.iter().find(|(k, _)| detail.contains(k)).map_or(StatusId::RuntimeOther, |(_, s)| *s)
}

/// A debugger refusal: the request field at fault and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DebugRefusal {
    /// `language` or `max_steps`.
    pub field: String,
    /// The debugger's message.
    pub message: String,
}

impl DebugRefusal {
    /// The field a debugger error is about.
    pub fn of(e: &flash_debugger::Error) -> DebugRefusal {
        let field = match e {
            flash_debugger::Error::UnknownLanguage(_) | flash_debugger::Error::Unsupported(_) => "language",
            flash_debugger::Error::Invalid(_) => "max_steps",
        };
        DebugRefusal { field: field.to_owned(), message: e.to_string() }
    }
}

impl JobRequest {
    /// A submission from `origin` in the language of these ids, with nothing
    /// else asked yet: no source, input or tests, every limit 0 (the caller
    /// sets them from its request and the server's configuration), no
    /// options, files, network, callback or package, one run. Parsers fill
    /// in what their API carries with struct update syntax.
    pub fn submission(origin: Origin, language_id: u32, engine_language: u32) -> JobRequest {
        JobRequest {
            kind: JobKind::Submission,
            origin,
            language_id,
            engine_language,
            source_code: None,
            stdin: None,
            expected_output: None,
            tests: Vec::new(),
            cpu_time_limit: 0.0,
            cpu_extra_time: 0.0,
            wall_time_limit: 0.0,
            memory_limit: 0,
            stack_limit: 0,
            max_processes_and_or_threads: 0,
            enable_per_process_and_thread_time_limit: false,
            enable_per_process_and_thread_memory_limit: false,
            max_file_size: 0,
            output_limit: 0,
            number_of_runs: 1,
            compiler_options: None,
            command_line_arguments: None,
            args: Vec::new(),
            redirect_stderr_to_stdout: false,
            enable_network: false,
            network: Vec::new(),
            comparison: Default::default(),
            additional_files: None,
            files: Vec::new(),
            callback_url: None,
            debug: None,
            compile_limits: Default::default(),
            key: None,
            session: None,
            package: None,
        }
    }

    /// What a worker does with it. A job stored before kinds existed, with a
    /// debug request, is a debug job.
    pub fn kind(&self) -> JobKind {
        match (self.kind, &self.debug) {
            (JobKind::Submission, Some(_)) => JobKind::Debug,
            (k, _) => k,
        }
    }
}

impl StoredRun {
    /// The engine's run as stored (without its interleave: see the field).
    fn from_outcome(o: &RunOutcome) -> StoredRun {
        StoredRun {
            status: o.status,
            stdout: o.stdout.clone(),
            stderr: o.stderr.clone(),
            message: o.message.clone(),
            exit_code: o.exit_code,
            exit_signal: o.exit_signal,
            time: Some(o.time),
            wall_time: Some(o.wall_time),
            memory: Some(o.memory),
            interleave: Vec::new(),
        }
    }
}

/// Where a job is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum JobState {
    /// Waiting for a worker.
    Queued = 1,
    /// Leased by a worker.
    Processing = 2,
    /// Result stored.
    Done = 3,
}

impl JobState {
    /// From the stored number.
    pub fn from_i64(v: i64) -> Option<JobState> {
        match v {
            1 => Some(JobState::Queued),
            2 => Some(JobState::Processing),
            3 => Some(JobState::Done),
            _ => None,
        }
    }
}

/// A job as the store returns it.
#[derive(Debug, Clone, PartialEq)]
pub struct JobRecord {
    /// UUID v4.
    pub token: String,
    /// Queue state.
    pub state: JobState,
    /// Unix milliseconds.
    pub created_at_ms: i64,
    /// When a worker took it (the last time).
    pub started_at_ms: Option<i64>,
    /// When its result was stored.
    pub finished_at_ms: Option<i64>,
    /// What was asked.
    pub request: JobRequest,
    /// The outcome, once done.
    pub result: Option<JobResult>,
}

impl JobRecord {
    /// Status id for display: In Queue, Processing, or the result's.
    pub fn status(&self) -> StatusId {
        match (&self.result, self.state) {
            (Some(r), _) => r.status_id(),
            (None, JobState::Processing) => StatusId::Processing,
            _ => StatusId::InQueue,
        }
    }
}

/// Current time, unix milliseconds.
pub fn now_ms() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_millis() as i64)
}

/// serde for a [`StatusId`] as its number, as results were always stored
/// (an id this build does not know reads as Internal Error).
pub(crate) mod status_id {
    use flash_engine::StatusId;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(v: &StatusId, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_u8(v.id())
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<StatusId, D::Error> {
        Ok(StatusId::from_id(u8::deserialize(d)?).unwrap_or(StatusId::InternalError))
    }
}

/// serde for `Vec<u8>` as standard base64.
pub(crate) mod b64 {
    use base64::Engine as _;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(v: &[u8], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&base64::engine::general_purpose::STANDARD.encode(v))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
        let s = String::deserialize(d)?;
        base64::engine::general_purpose::STANDARD.decode(s).map_err(serde::de::Error::custom)
    }
}

/// serde for `Option<Vec<u8>>` as standard base64 or null.
pub(crate) mod b64_opt {
    use base64::Engine as _;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(v: &Option<Vec<u8>>, s: S) -> Result<S::Ok, S::Error> {
        match v {
            Some(v) => s.serialize_str(&base64::engine::general_purpose::STANDARD.encode(v)),
            None => s.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Vec<u8>>, D::Error> {
        Option::<String>::deserialize(d)?
            .map(|s| base64::engine::general_purpose::STANDARD.decode(s))
            .transpose()
            .map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
pub(crate) fn sample_request() -> JobRequest {
    JobRequest {
        source_code: Some(b"print(input())".to_vec()),
        stdin: Some(b"hi\xff".to_vec()),
        cpu_time_limit: 5.0,
        cpu_extra_time: 1.0,
        wall_time_limit: 10.0,
        memory_limit: 128_000,
        stack_limit: 64_000,
        max_processes_and_or_threads: 60,
        max_file_size: 1024,
        output_limit: 1024,
        ..JobRequest::submission(Origin::Judge0, 71, 71)
    }
}

fn is_default<T: Default + PartialEq>(v: &T) -> bool {
    *v == T::default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_kind_this_build_does_not_know_reads_as_unknown() {
        let mut v = serde_json::to_value(sample_request()).unwrap();
        assert_eq!(v["kind"], "submission");
        v["kind"] = "quantum".into();
        let r: JobRequest = serde_json::from_value(v.clone()).unwrap();
        assert_eq!(r.kind(), JobKind::Unknown);
        assert_eq!(serde_json::to_value(JobResult::internal("x")).unwrap()["status"], 13, "stored as before");
        v.as_object_mut().unwrap().remove("kind");
        let r: JobRequest = serde_json::from_value(v).unwrap();
        assert_eq!(r.kind(), JobKind::Submission, "jobs stored before kinds are submissions");
    }

    #[test]
    fn a_result_stored_before_the_shown_run_was_a_field_reads_and_writes_the_same() {
        // Exactly what an earlier build stored: the shown run's fields at the
        // top, a test's times as plain numbers, nothing ran -> nulls.
        let old = serde_json::json!({
            "status": 4, "stdout": "aGk=", "stderr": "", "compile_output": "", "message": "test 1: Wrong Answer",
            "exit_code": 0, "exit_signal": null, "time": 0.01, "wall_time": 0.02, "memory": 1000,
            "tests": [{"status": 4, "stdout": "aGk=", "stderr": "", "message": null, "exit_code": 0,
                       "exit_signal": null, "time": 0.01, "wall_time": 0.02, "memory": 1000}],
            "compile_time": 0.5, "compile_cached": false, "interleave": [2],
        });
        let r: JobResult = serde_json::from_value(old.clone()).unwrap();
        assert_eq!(
            (r.run.status, r.run.stdout.as_slice(), r.run.time),
            (StatusId::WrongAnswer, b"hi".as_slice(), Some(0.01))
        );
        assert_eq!(r.tests[0].memory, Some(1000));
        assert_eq!(serde_json::to_value(&r).unwrap(), old, "written back in the same form");
        let ce = serde_json::json!({
            "status": 6, "stdout": "", "stderr": "", "compile_output": "b29wcw==", "message": null,
            "exit_code": null, "exit_signal": null, "time": null, "wall_time": null, "memory": null,
            "tests": [], "compile_time": 0.2, "compile_cached": true,
        });
        let r: JobResult = serde_json::from_value(ce.clone()).unwrap();
        assert_eq!((r.run.time, r.run.memory), (None, None));
        assert_eq!(serde_json::to_value(&r).unwrap(), ce);
    }
}
