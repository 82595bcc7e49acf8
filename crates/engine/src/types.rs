//! What a caller submits ([`Submission`]) and what the engine answers
//! ([`Judgement`]), with Judge0's status table ([`StatusId`]).

use flash_sandbox::Limits;
use serde::{Deserialize, Serialize};

/// One test case: an input and, optionally, the output it must produce.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TestCase {
    /// stdin for this case.
    #[serde(default)]
    pub input: Vec<u8>,
    /// Expected stdout (compared after stripping trailing whitespace of every
    /// line and trailing blank lines); `None` accepts any output.
    #[serde(default)]
    pub expected: Option<Vec<u8>>,
}

/// A file given with a submission (Judge0's `additional_files`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExtraFile {
    /// Path relative to the box.
    pub path: String,
    /// Whether it may be executed (0755 in the box, else 0644), as its zip entry said.
    pub executable: bool,
    /// Its bytes.
    pub data: Vec<u8>,
}

/// A program to judge.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Submission {
    /// Language name, alias or Judge0 id (e.g. "cpp", "C++", "54").
    pub language: String,
    /// Source code.
    pub source: Vec<u8>,
    /// stdin and expected output when `tests` is empty.
    pub stdin: Vec<u8>,
    /// See `stdin`.
    pub expected: Option<Vec<u8>>,
    /// Compile once, run each of these (the result carries one entry per case).
    pub tests: Vec<TestCase>,
    /// Limits of each run (already capped by the caller's configuration).
    pub limits: Limits,
    /// Extra compiler flags, split on whitespace and passed as separate arguments (no shell).
    pub compiler_options: Option<String>,
    /// Command-line arguments for the program.
    pub args: Vec<String>,
    /// Stop running test cases after the first one that is not Accepted.
    pub stop_on_first_failure: bool,
    /// Send stderr into stdout.
    pub redirect_stderr_to_stdout: bool,
    /// Extra files put in the box before compiling (and into every run box).
    pub extra_files: Vec<ExtraFile>,
    /// Compiles are cached per scope: submissions of different scopes never
    /// share a compile (a cache hit is fast, so sharing lets one client tell
    /// by timing that another compiled the same source). Empty: the shared scope.
    pub cache_scope: String,
    /// Tighter limits for the compile step than the engine's (Piston's `compile_*`).
    #[serde(default)]
    pub compile_limits: CompileLimits,
    /// Hosts the program's runs may reach through the sandbox's proxy
    /// (`flash_sandbox::proxy`); empty, the default: no network. The
    /// compile never has network.
    #[serde(default)]
    pub network: Vec<String>,
    /// How each run's output is held against the expected output
    /// (default: Judge0's rule).
    #[serde(default)]
    pub comparison: crate::compare::Comparison,
    /// Fired when the submission is not wanted any more (its client left):
    /// runs carrying it end at once, no further run starts, and the
    /// judgement answers [`crate::Error::Cancelled`]. A compile under way is
    /// left to finish: it may be shared with other submissions (the compile
    /// cache), and its limits bound it.
    #[serde(skip)]
    pub cancel: Option<flash_sandbox::Cancel>,
}

/// Limits a submission asks for its compile; each applies only below the
/// engine's own. Compiles are shared through the cache: a cached compile
/// that took longer than `wall_time` (or `cpu_time`) counts as over the limit;
/// one cached under a larger memory limit is served as it is.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct CompileLimits {
    /// CPU seconds.
    pub cpu_time: Option<f64>,
    /// Wall seconds.
    pub wall_time: Option<f64>,
    /// KiB.
    pub memory_kb: Option<u64>,
}

/// Judge0's status ids, plus 15 and 16.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[repr(u8)]
pub enum StatusId {
    InQueue = 1,
    Processing = 2,
    Accepted = 3,
    WrongAnswer = 4,
    TimeLimitExceeded = 5,
    CompilationError = 6,
    RuntimeSigsegv = 7,
    RuntimeSigxfsz = 8,
    RuntimeSigfpe = 9,
    RuntimeSigabrt = 10,
    RuntimeNzec = 11,
    RuntimeOther = 12,
    InternalError = 13,
    ExecFormatError = 14,
    MemoryLimitExceeded = 15,
    OutputLimitExceeded = 16,
}

impl StatusId {
    /// Every status, in id order.
    pub const ALL: [StatusId; 16] = [
        StatusId::InQueue,
        StatusId::Processing,
        StatusId::Accepted,
        StatusId::WrongAnswer,
        StatusId::TimeLimitExceeded,
        StatusId::CompilationError,
        StatusId::RuntimeSigsegv,
        StatusId::RuntimeSigxfsz,
        StatusId::RuntimeSigfpe,
        StatusId::RuntimeSigabrt,
        StatusId::RuntimeNzec,
        StatusId::RuntimeOther,
        StatusId::InternalError,
        StatusId::ExecFormatError,
        StatusId::MemoryLimitExceeded,
        StatusId::OutputLimitExceeded,
    ];

    /// The numeric id.
    pub fn id(self) -> u8 {
        self as u8
    }

    /// From a numeric id.
    pub fn from_id(id: u8) -> Option<StatusId> {
        StatusId::ALL.get(id.checked_sub(1)? as usize).copied()
    }

    /// Judge0's description (and ours for 15 and 16).
    pub fn description(self) -> &'static str {
        match self {
            StatusId::InQueue => "In Queue",
            StatusId::Processing => "Processing",
            StatusId::Accepted => "Accepted",
            StatusId::WrongAnswer => "Wrong Answer",
            StatusId::TimeLimitExceeded => "Time Limit Exceeded",
            StatusId::CompilationError => "Compilation Error",
            StatusId::RuntimeSigsegv => "Runtime Error (SIGSEGV)",
            StatusId::RuntimeSigxfsz => "Runtime Error (SIGXFSZ)",
            StatusId::RuntimeSigfpe => "Runtime Error (SIGFPE)",
            StatusId::RuntimeSigabrt => "Runtime Error (SIGABRT)",
            StatusId::RuntimeNzec => "Runtime Error (NZEC)",
            StatusId::RuntimeOther => "Runtime Error (Other)",
            StatusId::InternalError => "Internal Error",
            StatusId::ExecFormatError => "Exec Format Error",
            StatusId::MemoryLimitExceeded => "Memory Limit Exceeded",
            StatusId::OutputLimitExceeded => "Output Limit Exceeded",
        }
    }

    /// The closest status in Judge0's own table (ids 1..=14): Judge0 clients
    /// know no 15 or 16.
    pub fn judge0_compatible(self) -> StatusId {
        match self {
            StatusId::MemoryLimitExceeded => StatusId::RuntimeOther,
            StatusId::OutputLimitExceeded => StatusId::RuntimeSigxfsz,
            s => s,
        }
    }
}

/// The outcome of one run of the program (one test case, or the only run).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunOutcome {
    /// Verdict of this run.
    pub status: StatusId,
    /// Captured stdout (cut at the output limit).
    pub stdout: Vec<u8>,
    /// Captured stderr.
    pub stderr: Vec<u8>,
    /// Why, in words, when not Accepted (or a note such as a memory limit reached).
    pub message: Option<String>,
    /// Exit code, when the program exited.
    pub exit_code: Option<i32>,
    /// Signal that ended it, if any.
    pub exit_signal: Option<i32>,
    /// CPU seconds (all processes).
    pub time: f64,
    /// Wall seconds.
    pub wall_time: f64,
    /// Peak memory, KiB.
    pub memory: u64,
    /// The order of stdout and stderr: see [`flash_sandbox::RunResult::interleave`].
    #[serde(default)]
    pub interleave: Vec<i64>,
}

/// The whole verdict on a submission: the run it shows, and what the
/// submission adds to a run (its compile, its tests). One result type for the
/// engine: a run's fields are [`RunOutcome`]'s, here and in every test.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Judgement {
    /// The shown run: the only run, or the first non-Accepted test's (the
    /// last test's when all passed), with the overall status (Compilation
    /// Error included), the message naming the failed test, and `time`,
    /// `wall_time` and `memory` the largest over the tests. Its fields are
    /// the judgement's own in JSON (flattened).
    #[serde(flatten)]
    pub run: RunOutcome,
    /// Compiler output (empty for interpreted languages).
    pub compile_output: Vec<u8>,
    /// One entry per test case when the submission had tests.
    pub tests: Vec<RunOutcome>,
    /// Whether the compile step was served from the cache.
    pub compile_cached: bool,
    /// Time spent compiling (0 when cached or interpreted), seconds.
    pub compile_time: f64,
}

impl RunOutcome {
    /// A run that did not happen because Flash failed (or the run was cancelled).
    pub fn internal(message: impl Into<String>) -> RunOutcome {
        RunOutcome {
            status: StatusId::InternalError,
            stdout: Vec::new(),
            stderr: Vec::new(),
            message: Some(message.into()),
            exit_code: None,
            exit_signal: None,
            time: 0.0,
            wall_time: 0.0,
            memory: 0,
            interleave: Vec::new(),
        }
    }
}

impl Judgement {
    /// A judgement for a failure of Flash itself.
    pub fn internal(message: impl Into<String>) -> Judgement {
        Judgement {
            run: RunOutcome::internal(message),
            compile_output: Vec::new(),
            tests: Vec::new(),
            compile_cached: false,
            compile_time: 0.0,
        }
    }
}
