//! Judging one submission against a package: compile once, run each test,
//! validate its output, and grade the tree of groups by the package's rules.

use crate::checker::{self, CheckScore, CheckVerdict, Protocol};
use crate::package::{Case, Group, Item, Package, Version};
use crate::validate::DefaultValidator;
use crate::verdict::{GroupRow, TestRow, Verdict};
use flash_engine::{Engine, Prepared, Program, RunExtra, StatusId, Submission, TestCase};
use flash_sandbox::Limits;
use serde::Serialize;

/// How to judge.
#[derive(Debug, Clone)]
pub struct Options {
    /// Stop where the rules allow after a failure (legacy `on_reject: break`,
    /// a failed pass-fail group, a `min` group); off judges every test.
    pub stop_on_failure: bool,
    /// CPU seconds per test when the package gives none.
    pub default_time_limit: f64,
    /// Overrides the package's time limit.
    pub time_limit: Option<f64>,
    /// Interactive problems: keep what each side wrote ([`crate::interactive::Transcript`]).
    pub transcript: bool,
    /// Fired when the judgement is not wanted any more: every run of the
    /// solution, checker and interactor carrying it ends at once, later ones
    /// do not start, and [`judge`] answers [`flash_engine::Error::Cancelled`].
    pub cancel: Option<flash_sandbox::Cancel>,
}

impl Default for Options {
    fn default() -> Self {
        Options { stop_on_failure: true, default_time_limit: 2.0, time_limit: None, transcript: false, cancel: None }
    }
}

/// The result of judging one submission on a package.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(as = JudgeReport))]
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// The package's short name.
    pub package: String,
    /// Its format version.
    pub version: Version,
    /// Overall verdict.
    pub verdict: Verdict,
    /// Why, for CE and JE.
    pub message: Option<String>,
    /// Total score (scoring problems).
    pub score: Option<f64>,
    /// Its maximum, when bounded.
    pub max_score: Option<f64>,
    /// CPU seconds per test used.
    pub time_limit: f64,
    /// One row per test, in order.
    pub tests: Vec<TestRow>,
    /// One row per test data group.
    pub groups: Vec<GroupRow>,
    /// The compiler's output.
    pub compile_output: String,
    /// Whether the compile came from the cache.
    pub compile_cached: bool,
    /// Seconds the compile took.
    pub compile_time: f64,
    /// Whether the checker's compile came from the cache.
    pub checker_cached: Option<bool>,
}

/// Why a submission could not be judged at all (bad request, not a verdict).
#[derive(Debug, thiserror::Error)]
pub enum JudgeError {
    #[error(transparent)]
    Engine(#[from] flash_engine::Error),
    #[error("{0}")]
    Unsupported(String),
}

/// Judges `source` in `language` on the package.
pub fn judge(
    engine: &Engine,
    pkg: &Package,
    language: &str,
    source: Vec<u8>,
    opts: &Options,
) -> Result<Report, JudgeError> {
    if pkg.interactive && pkg.checker.is_none() {
        return Err(JudgeError::Unsupported("an interactive problem needs its interactor (output validator)".into()));
    }
    if pkg.interactive && engine.sandbox().slots() < 2 {
        return Err(JudgeError::Unsupported("an interactive problem needs a pool of at least two boxes".into()));
    }
    let time_limit = opts.time_limit.or(pkg.limits.time_limit).unwrap_or(opts.default_time_limit);
    let sub = Submission {
        language: language.into(),
        source,
        limits: limits(time_limit, pkg.limits.memory_mib, pkg.limits.output_mib),
        cancel: opts.cancel.clone(),
        ..Submission::default()
    };
    let mut report = Report {
        package: pkg.name.clone(),
        version: pkg.version,
        verdict: Verdict::AC,
        message: None,
        score: None,
        max_score: None,
        time_limit,
        tests: Vec::new(),
        groups: Vec::new(),
        compile_output: String::new(),
        compile_cached: false,
        compile_time: 0.0,
        checker_cached: None,
    };
    let program = match engine.prepare(&sub)? {
        Prepared::Ready(p) => p,
        Prepared::Failed(j) => {
            report.verdict = if j.run.status == StatusId::CompilationError { Verdict::CE } else { Verdict::JE };
            report.compile_output = String::from_utf8_lossy(&j.compile_output).into_owned();
            report.message = j.run.message.clone();
            return Ok(report);
        }
    };
    report.compile_output = String::from_utf8_lossy(program.compile_output()).into_owned();
    report.compile_cached = program.compile_cached;
    report.compile_time = program.compile_time;
    let checker_sub = match &pkg.checker {
        None => None,
        Some(c) => Some(program_submission(engine, c, "checker", checker_limits(pkg, sub.limits.wall_time), opts)?),
    };
    let checker = match &checker_sub {
        None => None,
        Some(s) => match engine.prepare(s)? {
            Prepared::Ready(p) => {
                report.checker_cached = Some(p.compile_cached);
                Some(p)
            }
            Prepared::Failed(j) => return Ok(uncompiled(report, "checker", &j)),
        },
    };
    // A testlib checker after a testlib interactor keeps the checker's own limits.
    let l = &pkg.limits;
    let after_sub = match &pkg.testlib_checker {
        None => None,
        Some(c) => Some(program_submission(
            engine,
            c,
            "testlib checker",
            limits(l.validation_time, l.validation_memory_mib, l.validation_output_mib),
            opts,
        )?),
    };
    let after = match &after_sub {
        None => None,
        Some(s) => match engine.prepare(s)? {
            Prepared::Ready(p) => Some(p),
            Prepared::Failed(j) => return Ok(uncompiled(report, "testlib checker", &j)),
        },
    };
    let mut g = Grader {
        engine,
        pkg,
        program: &program,
        checker: checker.as_ref(),
        after_interactor: after.as_ref(),
        opts,
        report: &mut report,
    };
    match pkg.version {
        Version::Legacy => g.legacy(),
        Version::V2023 => g.v2023(),
    }
    // Runs cut short answered errors, not verdicts: no report then.
    if opts.cancel.as_ref().is_some_and(flash_sandbox::Cancel::is_cancelled) {
        return Err(flash_engine::Error::Cancelled.into());
    }
    Ok(report)
}

/// The submission that compiles a program of the package (`what`: its role, for messages).
fn program_submission(
    engine: &Engine,
    c: &crate::package::SourceProgram,
    what: &str,
    limits: Limits,
    opts: &Options,
) -> Result<Submission, JudgeError> {
    let lang = engine
        .registry()
        .by_extension(&c.extension)
        .ok_or_else(|| JudgeError::Unsupported(format!("no language here for the {what}'s .{} source", c.extension)))?;
    Ok(Submission {
        language: lang.spec.name.clone(),
        source: c.source.clone(),
        extra_files: c
            .extra
            .iter()
            .map(|(p, d)| flash_engine::ExtraFile { path: p.clone(), executable: false, data: d.clone() })
            .collect(),
        limits,
        cancel: opts.cancel.clone(),
        ..Submission::default()
    })
}

/// The report of a package whose `what` does not compile: a judge error.
fn uncompiled(mut report: Report, what: &str, j: &flash_engine::Judgement) -> Report {
    report.verdict = Verdict::JE;
    let out = String::from_utf8_lossy(&j.compile_output).into_owned();
    report.message = Some(format!("the {what} does not compile: {}", j.run.message.clone().unwrap_or(out)));
    report
}

/// A checker's verdict as a test's.
fn verdict_of(v: CheckVerdict) -> Verdict {
    match v {
        CheckVerdict::Accepted => Verdict::AC,
        CheckVerdict::WrongAnswer => Verdict::WA,
        CheckVerdict::PresentationError => Verdict::PE,
        CheckVerdict::JudgeError => Verdict::JE,
    }
}

/// The checker's limits. An interactor waits on the solution, so it may
/// stay at least as long as the solution can (never a JE for a slow solution).
fn checker_limits(pkg: &Package, solution_wall: f64) -> Limits {
    let l = &pkg.limits;
    let mut lim = limits(l.validation_time, l.validation_memory_mib, l.validation_output_mib);
    if pkg.interactive {
        lim.wall_time = lim.wall_time.max(solution_wall + 1.0);
    }
    lim
}

fn limits(cpu: f64, memory_mib: u64, output_mib: u64) -> Limits {
    Limits {
        cpu_time: cpu,
        wall_time: cpu * 2.0 + 1.0,
        memory_kb: memory_mib * 1024,
        output_kb: output_mib * 1024,
        file_size_kb: output_mib * 1024,
        ..Limits::default()
    }
}

struct Grader<'a> {
    engine: &'a Engine,
    pkg: &'a Package,
    program: &'a Program<'a>,
    checker: Option<&'a Program<'a>>,
    /// The testlib checker run on a testlib interactor's output file.
    after_interactor: Option<&'a Program<'a>>,
    opts: &'a Options,
    report: &'a mut Report,
}

/// A judged test: its row and the checker's score, if any.
struct Judged {
    verdict: Verdict,
    score: Option<CheckScore>,
}

impl Grader<'_> {
    /// Runs an interactive test: the solution and the interactor in two
    /// boxes, each one's stdout the other's stdin; pushes its row.
    fn run_interactive(&mut self, case: &Case, group: &Group, input: &[u8], answer: &[u8]) -> Judged {
        let checker = self.checker.expect("an interactive package has its interactor");
        let mut args = self.pkg.validator_flags.clone();
        args.extend(group.settings.validator_args.iter().cloned());
        let test = crate::interactive::Test { input, answer, flags: &args, transcript: self.opts.transcript };
        let mut out = crate::interactive::run(self.engine, self.program, checker, self.pkg.protocol, &test);
        if let (Verdict::AC, Some(after)) = (out.verdict, self.after_interactor) {
            // The interactor accepted the dialogue; the checker judges what it wrote.
            let Some(tout) = out.interactor_output.take() else {
                out.verdict = Verdict::JE;
                out.message = Some("the interactor wrote no output file for the testlib checker".into());
                return self.push_interactive(case, group, out);
            };
            let c = self.check(after, Protocol::Testlib, input, answer, &tout, &args);
            out.verdict = verdict_of(c.verdict);
            out.message = c.message;
            out.score = c.score;
        }
        self.push_interactive(case, group, out)
    }

    fn push_interactive(&mut self, case: &Case, group: &Group, out: crate::interactive::Interaction) -> Judged {
        self.report.tests.push(TestRow {
            name: case.path.clone(),
            group: group.path.clone(),
            verdict: out.verdict,
            detail: out.detail,
            time: out.solution_time,
            wall_time: out.solution_wall,
            memory_kb: out.solution_memory,
            message: out.message,
            score: None,
            max_score: None,
            interactor_time: Some(out.interactor_time),
            dialogue_wall: Some(out.dialogue_wall),
            transcript: out.transcript,
        });
        Judged { verdict: out.verdict, score: out.score }
    }

    /// Runs one test and validates its output; pushes its row.
    fn run(&mut self, case: &Case, group: &Group) -> Judged {
        let group_path = group.path.clone();
        let read = |p: &std::path::Path| std::fs::read(p);
        let (input, answer) = match (read(&case.input), read(&case.answer)) {
            (Ok(i), Ok(a)) => (i, a),
            (Err(e), _) | (_, Err(e)) => {
                let mut row = TestRow::skipped(&case.path, &group_path, "");
                row.verdict = Verdict::JE;
                row.detail = Some(format!("cannot read the test files: {}", e.kind()));
                self.report.tests.push(row);
                return Judged { verdict: Verdict::JE, score: None };
            }
        };
        if self.pkg.interactive {
            return self.run_interactive(case, group, &input, &answer);
        }
        let o = self.engine.run_case(self.program, &TestCase { input: input.clone(), expected: None });
        let (mut verdict, detail) = Verdict::of_run(&o);
        let mut message = None;
        let mut score = None;
        if verdict == Verdict::AC {
            let mut args = self.pkg.validator_flags.clone();
            args.extend(group.settings.validator_args.iter().cloned());
            match self.checker {
                None => match DefaultValidator::from_args(&args) {
                    Err(e) => (verdict, message) = (Verdict::JE, Some(format!("validator flags: {e}"))),
                    Ok(v) => {
                        if let Err(e) = v.check(&o.stdout, &answer) {
                            (verdict, message) = (Verdict::WA, Some(e));
                        }
                    }
                },
                Some(c) => {
                    let out = self.check(c, self.pkg.protocol, &input, &answer, &o.stdout, &args);
                    verdict = verdict_of(out.verdict);
                    message = out.message;
                    score = out.score;
                }
            }
        }
        self.report.tests.push(TestRow {
            name: case.path.clone(),
            group: group_path,
            verdict,
            detail,
            time: o.time,
            wall_time: o.wall_time,
            memory_kb: o.memory,
            message,
            score: None,
            max_score: None,
            interactor_time: None,
            dialogue_wall: None,
            transcript: None,
        });
        Judged { verdict, score }
    }

    /// Runs a checker on one output in its own box.
    fn check(
        &self,
        c: &Program,
        protocol: Protocol,
        input: &[u8],
        answer: &[u8],
        output: &[u8],
        args: &[String],
    ) -> checker::CheckOutcome {
        let call = checker::call(protocol, input, answer, output, args);
        let extra =
            RunExtra { stdin: call.stdin, args: call.args, files: call.files, collect: call.collect, cpu: None };
        match self.engine.run_program(c, extra) {
            Ok(r) => checker::interpret(protocol, &r.meas, &r.stdout, &r.stderr, &r.files),
            Err(e) => checker::CheckOutcome {
                verdict: CheckVerdict::JudgeError,
                score: None,
                message: Some(format!("checker could not run: {e}")),
            },
        }
    }

    fn skip_all(&mut self, item: &Item, parent: &str, why: &str) {
        match item {
            Item::Case(c) => self.report.tests.push(TestRow::skipped(&c.path, parent, why)),
            Item::Group(g) => {
                for i in &g.items {
                    self.skip_all(i, &g.path, why);
                }
            }
        }
    }

    fn set_last_score(&mut self, score: Option<f64>, max: Option<f64>) {
        if let Some(row) = self.report.tests.last_mut() {
            (row.score, row.max_score) = (score, max);
        }
    }

    /// Legacy: the default grader on every group, bottom-up.
    fn legacy(&mut self) {
        let (verdict, score) = self.legacy_group(&self.pkg.data);
        self.report.verdict = verdict;
        if self.pkg.scoring {
            self.report.score = Some(score);
        }
    }

    fn legacy_group(&mut self, g: &Group) -> (Verdict, f64) {
        let s = &g.settings;
        let mut results: Vec<(String, Verdict, f64)> = Vec::new();
        let mut stopped = false;
        for item in &g.items {
            if stopped {
                self.skip_all(item, &g.path, "after a rejection (on_reject: break)");
                continue;
            }
            let (name, v, score) = match item {
                Item::Case(c) => {
                    let j = self.run(c, g);
                    let score = match (j.verdict, j.score) {
                        (Verdict::AC, Some(CheckScore::Absolute(x))) => x,
                        (Verdict::AC, Some(CheckScore::Fraction(f))) => f * s.accept_score,
                        (Verdict::AC, None) => s.accept_score,
                        _ => s.reject_score,
                    };
                    if self.pkg.scoring {
                        self.set_last_score(Some(score), None);
                    }
                    (c.path.clone(), j.verdict, score)
                }
                Item::Group(sub) => {
                    let (v, sc) = self.legacy_group(sub);
                    (sub.path.clone(), v, sc)
                }
            };
            results.push((name, v, score));
            if v != Verdict::AC && !s.on_reject_continue && self.opts.stop_on_failure {
                stopped = true;
            }
        }
        let (verdict, score, score_mode) = legacy_grade(&s.grader_flags, g.path.is_empty(), results);
        if !g.path.is_empty() {
            self.report.groups.push(GroupRow {
                path: g.path.clone(),
                verdict,
                score: self.pkg.scoring.then_some(score),
                max_score: None,
                aggregation: score_mode.into(),
            });
        }
        (verdict, score)
    }

    /// 2023-07: pass-fail needs every test accepted; scoring scores `secret`
    /// only, with `pass-fail`, `sum` and `min` groups and inferred maxima.
    fn v2023(&mut self) {
        let items = self.pkg.data.items.clone();
        let mut stop = false;
        for item in &items {
            let Item::Group(g) = item else { continue };
            if stop {
                self.skip_all(item, "", "after a rejection");
                continue;
            }
            if !self.pkg.scoring {
                let v = self.pass_fail(g);
                stop = v != Verdict::AC && self.opts.stop_on_failure;
            } else if g.path == "sample" {
                // Samples are judged and shown but never scored.
                self.pass_fail(g);
            } else {
                let max = match g.settings.max_score {
                    None => Some(100.0),
                    Some(m) => m,
                };
                let (_, score) = self.scored(g, max, true);
                self.report.score = Some(score);
                self.report.max_score = max;
            }
        }
        let judged = self.report.tests.iter().map(|t| t.verdict).filter(|v| *v != Verdict::Skipped);
        let worst_je = self.report.tests.iter().any(|t| t.verdict == Verdict::JE);
        self.report.verdict =
            if worst_je { Verdict::JE } else { judged.clone().find(|v| *v != Verdict::AC).unwrap_or(Verdict::AC) };
    }

    /// Every test of `g` must pass; stops at the first failure when allowed.
    fn pass_fail(&mut self, g: &Group) -> Verdict {
        let mut verdict = Verdict::AC;
        for item in &g.items {
            if verdict != Verdict::AC && self.opts.stop_on_failure {
                self.skip_all(item, &g.path, "after a rejection");
                continue;
            }
            let v = match item {
                Item::Case(c) => {
                    let j = self.run(c, g);
                    if j.score.is_some() && self.pkg.scoring && j.verdict == Verdict::AC {
                        self.mark_judge_error("the checker wrote a score in a pass-fail group");
                        Verdict::JE
                    } else {
                        j.verdict
                    }
                }
                Item::Group(sub) => self.pass_fail(sub),
            };
            if verdict == Verdict::AC {
                verdict = v;
            }
        }
        self.report.groups.push(GroupRow {
            path: g.path.clone(),
            verdict,
            score: None,
            max_score: None,
            aggregation: "pass-fail".into(),
        });
        verdict
    }

    fn mark_judge_error(&mut self, why: &str) {
        if let Some(row) = self.report.tests.last_mut() {
            row.verdict = Verdict::JE;
            row.message = Some(why.into());
        }
    }

    /// Whether every test under each `require_pass` path was accepted.
    fn requirements_met(&self, g: &Group) -> Result<(), String> {
        for req in &g.settings.require_pass {
            let prefix = format!("{req}/");
            let rows: Vec<&TestRow> =
                self.report.tests.iter().filter(|t| t.name == *req || t.name.starts_with(&prefix)).collect();
            if rows.is_empty() {
                return Err(format!("required {req} has no judged test (it must come earlier)"));
            }
            if let Some(bad) = rows.iter().find(|t| t.verdict != Verdict::AC) {
                return Err(format!("required {req} not passed ({} on {})", verdict_name(bad.verdict), bad.name));
            }
        }
        Ok(())
    }

    /// A scored group of `secret`: (verdict, score), with `max` its maximum
    /// (`None` = unbounded).
    fn scored(&mut self, g: &Group, max: Option<f64>, is_secret: bool) -> (Verdict, f64) {
        let agg = g.settings.aggregation.clone().unwrap_or_else(|| if is_secret { "sum" } else { "pass-fail" }.into());
        if let Err(why) = self.requirements_met(g) {
            for item in &g.items {
                self.skip_all(item, &g.path, &why);
            }
            self.push_group(g, Verdict::Skipped, 0.0, max, &agg);
            return (Verdict::Skipped, 0.0);
        }
        if agg == "pass-fail" {
            let before = self.report.groups.len();
            let v = self.pass_fail(g);
            self.report.groups.truncate(before);
            let score = if v == Verdict::AC { max.unwrap_or(0.0) } else { 0.0 };
            if max.is_none() {
                self.push_group(g, Verdict::JE, 0.0, max, &agg);
                return (Verdict::JE, 0.0);
            }
            self.push_group(g, v, score, max, &agg);
            return (v, score);
        }
        // Maximum score inference for children without an explicit score.
        let explicit: f64 = g
            .items
            .iter()
            .filter_map(|i| match i {
                Item::Group(s) => s.settings.max_score.flatten(),
                Item::Case(_) => None,
            })
            .sum();
        let unspecified =
            g.items.iter().filter(|i| !matches!(i, Item::Group(s) if s.settings.max_score.is_some())).count();
        let child_default = match (max, agg.as_str()) {
            (None, _) => None,
            (Some(m), "min") => Some(m),
            (Some(m), _) if explicit > m + 1e-9 => {
                self.push_group(g, Verdict::JE, 0.0, max, &agg);
                return (Verdict::JE, 0.0);
            }
            (Some(m), _) => Some(if unspecified == 0 { 0.0 } else { (m - explicit) / unspecified as f64 }),
        };
        let mut scores = Vec::new();
        let mut verdict = Verdict::AC;
        for item in &g.items {
            if agg == "min" && verdict != Verdict::AC && self.opts.stop_on_failure {
                self.skip_all(item, &g.path, "after a rejection in a min group");
                continue;
            }
            let (v, sc) = match item {
                Item::Case(c) => {
                    let j = self.run(c, g);
                    let (v, sc) = case_score(j, child_default);
                    if v == Verdict::JE {
                        self.mark_judge_error(
                            "invalid score for this test (missing for an unbounded group, or above its maximum)",
                        );
                    }
                    self.set_last_score(Some(sc), child_default);
                    (v, sc)
                }
                Item::Group(sub) => {
                    let m = match sub.settings.max_score {
                        Some(m) => m,
                        None => child_default,
                    };
                    self.scored(sub, m, false)
                }
            };
            if verdict == Verdict::AC && v != Verdict::AC {
                verdict = v;
            }
            scores.push(sc);
        }
        let score = match agg.as_str() {
            "min" if !scores.is_empty() => scores.iter().copied().fold(f64::INFINITY, f64::min),
            "min" => 0.0,
            _ => scores.iter().sum(),
        };
        if max.is_some_and(|m| score > m + 1e-6) {
            self.push_group(g, Verdict::JE, score, max, &agg);
            return (Verdict::JE, score);
        }
        self.push_group(g, verdict, score, max, &agg);
        (verdict, score)
    }

    fn push_group(&mut self, g: &Group, verdict: Verdict, score: f64, max: Option<f64>, agg: &str) {
        self.report.groups.push(GroupRow {
            path: g.path.clone(),
            verdict,
            score: Some(score),
            max_score: max,
            aggregation: agg.into(),
        });
    }
}

/// The legacy default grader: a group's verdict and score from its items'
/// (name, verdict, score), by `grader_flags` (the last of conflicting modes
/// wins). Returns the score mode too.
fn legacy_grade(
    flags: &[String],
    is_root: bool,
    mut results: Vec<(String, Verdict, f64)>,
) -> (Verdict, f64, &'static str) {
    let flag = |f: &str| flags.iter().rposition(|x| x == f);
    // ignore_sample applies at the root only: grade secret alone.
    if is_root && flag("ignore_sample").is_some() {
        results.retain(|(n, _, _)| n != "sample");
    }
    let verdict_mode = ["worst_error", "first_error", "always_accept"]
        .into_iter()
        .filter_map(|m| flag(m).map(|i| (i, m)))
        .max()
        .map_or("worst_error", |(_, m)| m);
    let score_mode = ["sum", "avg", "min", "max"]
        .into_iter()
        .filter_map(|m| flag(m).map(|i| (i, m)))
        .max()
        .map_or("sum", |(_, m)| m);
    let first_bad = results.iter().map(|r| r.1).find(|v| *v != Verdict::AC);
    let mut verdict = match verdict_mode {
        "always_accept" => Verdict::AC,
        "first_error" => first_bad.unwrap_or(Verdict::AC),
        _ => results.iter().map(|r| r.1).max_by_key(|v| v.severity()).unwrap_or(Verdict::AC),
    };
    if flag("accept_if_any_accepted").is_some() && results.iter().any(|r| r.1 == Verdict::AC) {
        verdict = Verdict::AC;
    }
    // Judge errors are never hidden by a lenient grader.
    if results.iter().any(|r| r.1 == Verdict::JE) {
        verdict = Verdict::JE;
    }
    let scores: Vec<f64> = results.iter().map(|r| r.2).collect();
    let score = match (score_mode, scores.is_empty()) {
        (_, true) => 0.0,
        ("avg", _) => scores.iter().sum::<f64>() / scores.len() as f64,
        ("min", _) => scores.iter().copied().fold(f64::INFINITY, f64::min),
        ("max", _) => scores.iter().copied().fold(f64::NEG_INFINITY, f64::max),
        _ => scores.iter().sum(),
    };
    (verdict, score, score_mode)
}

/// A test's score in a `sum`/`min` group whose tests are worth `max`.
fn case_score(j: Judged, max: Option<f64>) -> (Verdict, f64) {
    if j.verdict != Verdict::AC {
        return (j.verdict, 0.0);
    }
    match (j.score, max) {
        (Some(CheckScore::Absolute(x)), Some(m)) if x > m + 1e-9 => (Verdict::JE, 0.0),
        (Some(CheckScore::Absolute(x)), _) => (Verdict::AC, x),
        (Some(CheckScore::Fraction(f)), Some(m)) => (Verdict::AC, f * m),
        (None, Some(m)) => (Verdict::AC, m),
        (Some(CheckScore::Fraction(_)), None) | (None, None) => (Verdict::JE, 0.0),
    }
}

fn verdict_name(v: Verdict) -> String {
    format!("{v:?}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use Verdict::{AC, JE, RTE, TLE, WA};

    fn flags(s: &str) -> Vec<String> {
        s.split_whitespace().map(str::to_owned).collect()
    }

    fn items(v: &[(&str, Verdict, f64)]) -> Vec<(String, Verdict, f64)> {
        v.iter().map(|(n, v, s)| (n.to_string(), *v, *s)).collect()
    }

    #[test]
    fn legacy_verdict_modes() {
        let r = items(&[("a", WA, 0.0), ("b", RTE, 0.0), ("c", AC, 1.0)]);
        assert_eq!(legacy_grade(&flags(""), false, r.clone()).0, RTE, "worst error by default");
        assert_eq!(legacy_grade(&flags("first_error"), false, r.clone()).0, WA);
        assert_eq!(legacy_grade(&flags("always_accept"), false, r.clone()).0, AC);
        assert_eq!(legacy_grade(&flags("accept_if_any_accepted"), false, r.clone()).0, AC);
        assert_eq!(legacy_grade(&flags("first_error worst_error"), false, r.clone()).0, RTE, "the last mode wins");
        assert_eq!(legacy_grade(&flags("always_accept"), false, items(&[("a", JE, 0.0)])).0, JE, "JE is never hidden");
        assert_eq!(legacy_grade(&flags(""), false, Vec::new()).0, AC, "an empty group");
        let tle_wa = items(&[("a", WA, 0.0), ("b", TLE, 0.0)]);
        assert_eq!(legacy_grade(&flags(""), false, tle_wa).0, TLE);
    }

    #[test]
    fn legacy_score_modes_and_ignore_sample() {
        let r = items(&[("sample", AC, 2.0), ("secret", AC, 6.0), ("x", WA, 1.0)]);
        let score = |f: &str, root| legacy_grade(&flags(f), root, r.clone()).1;
        assert_eq!(score("", false), 9.0);
        assert_eq!(score("avg", false), 3.0);
        assert_eq!(score("min", false), 1.0);
        assert_eq!(score("max", false), 6.0);
        assert_eq!(score("sum min max", false), 6.0);
        assert_eq!(score("ignore_sample", true), 7.0, "sample left out at the root");
        assert_eq!(score("ignore_sample", false), 9.0, "only at the root");
        assert_eq!(
            legacy_grade(&flags("ignore_sample"), true, items(&[("sample", WA, 0.0), ("secret", AC, 5.0)])).0,
            AC
        );
    }

    #[test]
    fn scores_of_a_test_in_a_sum_or_min_group() {
        let j = |verdict, score| Judged { verdict, score };
        assert_eq!(case_score(j(AC, None), Some(10.0)), (AC, 10.0), "full marks");
        assert_eq!(case_score(j(WA, None), Some(10.0)), (WA, 0.0));
        assert_eq!(case_score(j(AC, Some(CheckScore::Fraction(0.25))), Some(8.0)), (AC, 2.0));
        assert_eq!(case_score(j(AC, Some(CheckScore::Absolute(3.0))), Some(8.0)), (AC, 3.0));
        assert_eq!(case_score(j(AC, Some(CheckScore::Absolute(9.0))), Some(8.0)).0, JE, "above its maximum");
        assert_eq!(case_score(j(AC, Some(CheckScore::Absolute(1e6))), None), (AC, 1e6), "unbounded");
        assert_eq!(case_score(j(AC, None), None).0, JE, "unbounded needs score.txt");
        assert_eq!(case_score(j(AC, Some(CheckScore::Fraction(0.5))), None).0, JE, "no multiplier when unbounded");
    }
}
