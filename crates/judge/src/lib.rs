//! Flash as an online judge: problem packages in the ICPC/Kattis problem
//! package format (`legacy` and `2023-07`), judged on top of `flash-engine`.
//!
//! - [`package`]: reads `problem.yaml`, the test data tree with its group
//!   settings, and the custom output validator.
//! - [`validate`]: the format's default output validator.
//! - [`checker`]: custom checkers, in the Kattis and the testlib protocols.
//! - [`judge`]: compiles the submission and the checker once (the engine's
//!   compile cache), runs each test, grades groups (legacy default grader;
//!   2023-07 pass-fail, sum and min with inferred maxima and `require_pass`).
//! - [`interactive`]: a solution and an interactor in two boxes joined by
//!   pipes, and the verdict precedence between them.
//! - [`expect`]: what a `submissions/<folder>/` promises, checked against a
//!   report, as a problem-setter's tool does.
//! - [`verdict`]: per-test verdicts and the rows of the result table.

pub mod checker;
pub mod expect;
pub mod interactive;
pub mod judge;
pub mod package;
/// The default output validator (it lives in the engine, which also compares
/// the native API's outputs with it).
pub mod validate {
    pub use flash_engine::compare::DefaultValidator;
}
pub mod verdict;

pub use judge::{judge, JudgeError, Options, Report};
pub use package::{Package, PackageError};
pub use verdict::{GroupRow, TestRow, Verdict};
