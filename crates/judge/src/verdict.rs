//! Per-test verdicts of a judged package, and the rows of the result table.

use flash_engine::{RunOutcome, StatusId};
use serde::Serialize;

/// The verdict of one test case (or a group, or the whole submission).
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(as = JudgeVerdict))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum Verdict {
    /// Accepted.
    AC,
    /// Wrong answer.
    WA,
    /// Presentation error (testlib checkers).
    PE,
    /// Time limit exceeded (CPU or wall).
    TLE,
    /// Memory limit exceeded.
    MLE,
    /// Output limit exceeded.
    OLE,
    /// Run-time error: a signal or a non-zero exit code.
    RTE,
    /// Compilation error of the submission.
    CE,
    /// Judge error: the checker or Flash failed; never the contestant's fault.
    JE,
    /// Not judged (after a failure where the rules allow stopping, or a
    /// group whose required groups failed).
    Skipped,
}

impl Verdict {
    /// Rank for "worst error" (legacy default grader): JE, RTE, MLE, TLE, OLE, WA, PE.
    pub fn severity(self) -> u8 {
        match self {
            Verdict::JE => 9,
            Verdict::CE => 8,
            Verdict::RTE => 7,
            Verdict::MLE => 6,
            Verdict::TLE => 5,
            Verdict::OLE => 4,
            Verdict::WA => 3,
            Verdict::PE => 2,
            Verdict::Skipped => 1,
            Verdict::AC => 0,
        }
    }

    /// The class used by `submissions/` folders: AC, WA, TLE or RTE (MLE and
    /// OLE count as RTE, PE as WA); `None` for JE, CE and Skipped.
    pub fn class(self) -> Option<Verdict> {
        match self {
            Verdict::AC => Some(Verdict::AC),
            Verdict::WA | Verdict::PE => Some(Verdict::WA),
            Verdict::TLE => Some(Verdict::TLE),
            Verdict::RTE | Verdict::MLE | Verdict::OLE => Some(Verdict::RTE),
            Verdict::CE | Verdict::JE | Verdict::Skipped => None,
        }
    }

    /// From the engine's status of a run that did not end normally.
    pub fn of_run(o: &RunOutcome) -> (Verdict, Option<String>) {
        let v = match o.status {
            StatusId::Accepted => Verdict::AC,
            StatusId::WrongAnswer => Verdict::WA,
            StatusId::TimeLimitExceeded => Verdict::TLE,
            StatusId::MemoryLimitExceeded => Verdict::MLE,
            StatusId::OutputLimitExceeded => Verdict::OLE,
            StatusId::CompilationError => Verdict::CE,
            StatusId::InternalError | StatusId::InQueue | StatusId::Processing => Verdict::JE,
            StatusId::RuntimeSigsegv
            | StatusId::RuntimeSigxfsz
            | StatusId::RuntimeSigfpe
            | StatusId::RuntimeSigabrt
            | StatusId::RuntimeNzec
            | StatusId::RuntimeOther
            | StatusId::ExecFormatError => Verdict::RTE,
        };
        let detail = match (v, o.exit_signal, o.exit_code) {
            (Verdict::RTE, Some(s), _) => Some(format!("{} ({s})", flash_engine::verdict::signal_name(s))),
            (Verdict::RTE, None, Some(c)) => Some(format!("exit code {c}")),
            _ => o.message.clone(),
        };
        (v, detail)
    }
}

/// One row of the per-test table.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(as = JudgeTestRow))]
#[derive(Debug, Clone, Serialize)]
pub struct TestRow {
    /// Path relative to `data/` (e.g. `secret/group1/03`).
    pub name: String,
    /// Its group (e.g. `secret/group1`).
    pub group: String,
    /// Its verdict.
    pub verdict: Verdict,
    /// Signal or exit code of a run-time error, or why a limit was hit.
    pub detail: Option<String>,
    /// CPU seconds.
    pub time: f64,
    /// Wall seconds.
    pub wall_time: f64,
    /// Peak memory, KiB.
    pub memory_kb: u64,
    /// The checker's message (judgemessage.txt, testlib's comment) or the
    /// default validator's explanation.
    pub message: Option<String>,
    /// Score of this test (scoring problems).
    pub score: Option<f64>,
    /// Its maximum, when bounded (2023-07 scoring).
    pub max_score: Option<f64>,
    /// Interactive tests: the interactor's own CPU seconds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub interactor_time: Option<f64>,
    /// Interactive tests: wall seconds from when both sides were running
    /// until the solution ended (the dialogue, box start-up excluded).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dialogue_wall: Option<f64>,
    /// Interactive tests, when asked for: what each side wrote.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub transcript: Option<crate::interactive::Transcript>,
}

impl TestRow {
    /// A row for a test that was not judged.
    pub fn skipped(name: &str, group: &str, why: &str) -> TestRow {
        TestRow {
            name: name.into(),
            group: group.into(),
            verdict: Verdict::Skipped,
            detail: Some(why.into()),
            time: 0.0,
            wall_time: 0.0,
            memory_kb: 0,
            message: None,
            score: None,
            max_score: None,
            interactor_time: None,
            dialogue_wall: None,
            transcript: None,
        }
    }
}

/// One row per test data group.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(as = JudgeGroupRow))]
#[derive(Debug, Clone, Serialize)]
pub struct GroupRow {
    /// Path relative to `data/` (e.g. `secret/group1`).
    pub path: String,
    /// Its verdict.
    pub verdict: Verdict,
    /// Its score (scoring problems).
    pub score: Option<f64>,
    /// Its maximum, when bounded.
    pub max_score: Option<f64>,
    /// How its score was aggregated (`sum`, `min`, `pass-fail`, `avg`, `max`).
    pub aggregation: String,
}
