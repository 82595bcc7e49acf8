//! Flash's judge engine: turns "run a command in a box" into "judge a submission".
//!
//! - [`registry`]: languages as data (`languages.toml`), probed at start-up.
//! - [`links`]: other judges' toolchain paths as links in every box (`toolchain-links.toml`).
//! - [`cache`]: the content-addressed compile cache with single-flight compiles.
//! - [`engine`]: compile once, run the input or each test case, build the [`Judgement`];
//!   every box through the [`flash_sandbox::Sandbox`] seam (a `Pool`, or a fake in tests).
//! - [`step`]: a compile step described by its caller (the debugger's builds), cached too.
//! - [`verdict`]: sandbox measurement to Judge0 status; Judge0's output comparison.
//! - [`workspace`]: one run in a session's workspace: its files in, every file out.
//! - [`types`]: [`Submission`], [`Judgement`], [`StatusId`].

pub mod cache;
pub mod compare;
pub mod engine;
pub mod links;
pub mod pch;
pub mod registry;
pub mod step;
pub mod types;
pub mod verdict;
pub mod warm;
pub mod workspace;

pub use compare::Comparison;
pub use engine::{Engine, EngineConfig, LiveEvent, Prepared, Program, RunExtra, Stage};
pub use flash_sandbox::{LiveInput, Stream};
pub use pch::Pch;
pub use registry::{Language, Registry};
pub use step::{CompileStep, Compiled};
pub use types::{CompileLimits, ExtraFile, Judgement, RunOutcome, StatusId, Submission, TestCase};
pub use warm::Warm;
pub use workspace::WorkspaceRun;

/// Why a submission could not be judged, or the engine could not start.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// No language by that name, alias or id.
    #[error("unknown language {0:?}")]
    UnknownLanguage(String),
    /// A limit or path in the submission is unusable.
    #[error("invalid submission: {0}")]
    Invalid(String),
    /// The language table is broken.
    #[error("language registry: {0}")]
    Registry(String),
    /// The compile cache directory cannot be used.
    #[error("compile cache: {0}")]
    Cache(String),
    /// The submission's [`flash_sandbox::Cancel`] fired before its judgement ended.
    #[error("the submission was cancelled")]
    Cancelled,
}
