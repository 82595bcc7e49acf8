//! The promise of each `submissions/<folder>/`, checked against a report.
//!
//! Verdicts are classed as the format does (AC, WA, TLE, RTE; MLE and OLE
//! count as RTE, PE as WA). A judge error or a compile error never meets a
//! promise. Only judged tests count: judge with `stop_on_failure` off to
//! check every test.

use crate::judge::Report;
use crate::package::Version;
use crate::verdict::Verdict;
use Verdict::{AC, RTE, TLE, WA};

/// (permitted, required) verdict classes of a folder; `None` for an unknown folder.
pub fn rule(folder: &str, version: Version) -> Option<(&'static [Verdict], &'static [Verdict])> {
    Some(match (folder, version) {
        ("accepted", _) => (&[AC], &[]),
        ("partially_accepted", _) => (&[AC, WA, TLE, RTE], &[]),
        ("wrong_answer", _) => (&[AC, WA], &[WA]),
        // Legacy: "too slow for some test case; may also give wrong answer".
        ("time_limit_exceeded", Version::Legacy) => (&[AC, WA, TLE], &[TLE]),
        ("time_limit_exceeded", Version::V2023) => (&[AC, TLE], &[TLE]),
        ("run_time_error", Version::Legacy) => (&[AC, WA, TLE, RTE], &[RTE]),
        ("run_time_error", Version::V2023) => (&[AC, RTE], &[RTE]),
        ("rejected", _) => (&[AC, WA, TLE, RTE], &[WA, TLE, RTE]),
        ("brute_force", _) => (&[AC, TLE, RTE], &[TLE, RTE]),
        _ => return None,
    })
}

/// Ok when the report keeps the folder's promise; Err says how it does not.
pub fn check(folder: &str, report: &Report) -> Result<(), String> {
    let (permitted, required) =
        rule(folder, report.version).ok_or_else(|| format!("unknown submissions folder {folder:?}"))?;
    if matches!(report.verdict, Verdict::CE | Verdict::JE) {
        let why = report.message.clone().or_else(|| {
            let t = report.tests.iter().find(|t| t.verdict == Verdict::JE)?;
            Some(format!("{}: {}", t.name, t.message.as_deref().or(t.detail.as_deref()).unwrap_or("")))
        });
        return Err(format!("{:?}: {}", report.verdict, why.unwrap_or_default()));
    }
    let judged: Vec<_> = report.tests.iter().filter(|t| t.verdict != Verdict::Skipped).collect();
    for t in &judged {
        match t.verdict.class() {
            Some(c) if permitted.contains(&c) => {}
            _ => return Err(format!("{} got {:?}, which {folder} does not permit", t.name, t.verdict)),
        }
    }
    if !required.is_empty() && !judged.iter().any(|t| t.verdict.class().is_some_and(|c| required.contains(&c))) {
        return Err(format!("no test got any of {required:?}, which {folder} requires"));
    }
    if folder == "partially_accepted" {
        if report.version == Version::Legacy && report.verdict != AC {
            return Err(format!("overall {:?}: legacy partially_accepted must be accepted overall", report.verdict));
        }
        let (score, max) = (report.score.unwrap_or(0.0), report.max_score);
        let full = match max {
            Some(m) => score >= m - 1e-9,
            None => judged.iter().all(|t| t.verdict == AC),
        };
        if report.score.is_none() || full || score <= 0.0 {
            return Err(format!("score {score} is not a partial score (max {max:?})"));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::verdict::TestRow;

    fn report(verdicts: &[Verdict], score: Option<f64>, max: Option<f64>) -> Report {
        let tests = verdicts
            .iter()
            .enumerate()
            .map(|(i, v)| {
                let mut r = TestRow::skipped(&format!("secret/{i}"), "secret", "");
                r.verdict = *v;
                r
            })
            .collect();
        Report {
            package: "p".into(),
            version: Version::V2023,
            verdict: verdicts.iter().copied().find(|v| *v != AC).unwrap_or(AC),
            message: None,
            score,
            max_score: max,
            time_limit: 1.0,
            tests,
            groups: Vec::new(),
            compile_output: String::new(),
            compile_cached: false,
            compile_time: 0.0,
            checker_cached: None,
        }
    }

    #[test]
    fn folders_check_permitted_and_required() {
        assert!(check("accepted", &report(&[AC, AC], None, None)).is_ok());
        assert!(check("accepted", &report(&[AC, WA], None, None)).is_err());
        assert!(check("wrong_answer", &report(&[AC, Verdict::PE], None, None)).is_ok(), "PE is a WA");
        assert!(check("wrong_answer", &report(&[AC, AC], None, None)).unwrap_err().contains("requires"));
        assert!(check("wrong_answer", &report(&[WA, TLE], None, None)).is_err());
        assert!(check("run_time_error", &report(&[AC, Verdict::MLE], None, None)).is_ok(), "MLE is an RTE");
        assert!(check("time_limit_exceeded", &report(&[TLE, Verdict::Skipped], None, None)).is_ok());
        assert!(check("accepted", &report(&[AC, Verdict::JE], None, None)).is_err());
        assert!(check("mystery", &report(&[AC], None, None)).unwrap_err().contains("unknown"));
    }

    #[test]
    fn partially_accepted_needs_a_partial_score() {
        assert!(check("partially_accepted", &report(&[AC, WA], Some(40.0), Some(100.0))).is_ok());
        assert!(check("partially_accepted", &report(&[AC, AC], Some(100.0), Some(100.0))).is_err());
        assert!(check("partially_accepted", &report(&[WA, WA], Some(0.0), Some(100.0))).is_err());
        let mut legacy = report(&[AC, WA], Some(20.0), None);
        legacy.version = Version::Legacy;
        assert!(check("partially_accepted", &legacy).unwrap_err().contains("accepted overall"));
        legacy.verdict = AC;
        assert!(check("partially_accepted", &legacy).is_ok());
    }
}
