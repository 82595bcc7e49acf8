//! Custom checkers: how a checker is called and what its exit tells.
//!
//! - **Kattis** (the package format's output validator):
//!   `checker input answer feedback/ [args] < team_output`; exit 42 accepts,
//!   43 rejects, anything else (including 0, a signal or a limit) is a judge
//!   error. `feedback/judgemessage.txt` is the message; `score.txt` (a score)
//!   or `score_multiplier.txt` (a fraction of the test's maximum) score it.
//! - **testlib**: `checker input output answer`; exit 0 OK, 1 WA, 2 PE,
//!   3 FAIL (a judge error), 7 points with `points X` at the start of its
//!   message (X a fraction in [0, 1]), and 16+n "partially correct" with
//!   n/100 of the points (n in 0..=100); its message is on stderr.
//!
//! Each run happens in its own box that holds only the checker and these files.

use flash_sandbox::{BoxFile, Measurement, Status};

/// Which calling convention a checker follows.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(as = CheckerProtocol))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Protocol {
    /// The Kattis / ICPC output validator protocol.
    Kattis,
    /// The testlib checker protocol.
    Testlib,
}

/// What a checker said about one output.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CheckVerdict {
    Accepted,
    WrongAnswer,
    PresentationError,
    /// The checker failed: never the contestant's fault.
    JudgeError,
}

/// A score reported by a checker.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum CheckScore {
    /// An absolute score (`score.txt`).
    Absolute(f64),
    /// A fraction of the test's maximum (`score_multiplier.txt`, testlib points).
    Fraction(f64),
}

/// The checker's verdict, score and message.
#[derive(Debug, Clone, PartialEq)]
pub struct CheckOutcome {
    pub verdict: CheckVerdict,
    pub score: Option<CheckScore>,
    pub message: Option<String>,
}

impl CheckOutcome {
    fn judge_error(why: impl Into<String>) -> CheckOutcome {
        CheckOutcome { verdict: CheckVerdict::JudgeError, score: None, message: Some(why.into()) }
    }
}

/// Box paths the checker's files get.
pub const INPUT: &str = "judge/input";
pub const ANSWER: &str = "judge/answer";
pub const OUTPUT: &str = "judge/output";
pub const FEEDBACK: &str = "judge/feedback/";
const FEEDBACK_FILES: [&str; 4] = ["judgemessage.txt", "teammessage.txt", "score.txt", "score_multiplier.txt"];

/// What to put in the checker's box: files, arguments, stdin, files to collect.
pub struct Call {
    pub files: Vec<BoxFile>,
    pub args: Vec<String>,
    pub stdin: Vec<u8>,
    pub collect: Vec<String>,
}

/// How to call a checker on one test.
pub fn call(protocol: Protocol, input: &[u8], answer: &[u8], output: &[u8], flags: &[String]) -> Call {
    let file = |path: &str, data: &[u8]| BoxFile { path: path.into(), mode: 0o644, data: data.to_vec() };
    match protocol {
        Protocol::Kattis => {
            let mut args = vec![INPUT.to_string(), ANSWER.to_string(), FEEDBACK.to_string()];
            args.extend(flags.iter().cloned());
            Call {
                // The feedback directory must exist: a marker file makes it.
                files: vec![file(INPUT, input), file(ANSWER, answer), file(&format!("{FEEDBACK}.flash"), b"")],
                args,
                stdin: output.to_vec(),
                collect: FEEDBACK_FILES.iter().map(|f| format!("{FEEDBACK}{f}")).collect(),
            }
        }
        Protocol::Testlib => Call {
            files: vec![file(INPUT, input), file(OUTPUT, output), file(ANSWER, answer)],
            args: [INPUT, OUTPUT, ANSWER].iter().map(|s| s.to_string()).chain(flags.iter().cloned()).collect(),
            stdin: Vec::new(),
            collect: Vec::new(),
        },
    }
}

/// Reads a checker's run: its measurement, stdout, stderr and collected files.
pub fn interpret(protocol: Protocol, m: &Measurement, stdout: &[u8], stderr: &[u8], files: &[BoxFile]) -> CheckOutcome {
    if !matches!(m.status, Status::Ok | Status::RuntimeError) {
        let detail = m.message.clone().unwrap_or_else(|| {
            let sig = m.signal.map(|s| format!(" (signal {s})")).unwrap_or_default();
            format!("{}{sig}", m.status.describe())
        });
        return CheckOutcome::judge_error(format!("checker failed: {detail}"));
    }
    let code = m.exit_code.unwrap_or(0);
    match protocol {
        Protocol::Kattis => kattis(code, files),
        Protocol::Testlib => testlib(code, stdout, stderr),
    }
}

fn text(b: &[u8]) -> Option<String> {
    let s = String::from_utf8_lossy(b).trim().to_string();
    let s: String = s.chars().take(2000).collect();
    (!s.is_empty()).then_some(s)
}

fn kattis(code: i32, files: &[BoxFile]) -> CheckOutcome {
    let get = |name: &str| files.iter().find(|f| f.path == format!("{FEEDBACK}{name}")).map(|f| f.data.as_slice());
    let message = get("judgemessage.txt").and_then(text).or_else(|| get("teammessage.txt").and_then(text));
    let verdict = match code {
        42 => CheckVerdict::Accepted,
        43 => CheckVerdict::WrongAnswer,
        c => {
            let why = format!("checker exited with code {c} (expected 42 or 43)");
            return CheckOutcome::judge_error(match message {
                Some(m) => format!("{why}: {m}"),
                None => why,
            });
        }
    };
    let number = |name: &str| -> Result<Option<f64>, String> {
        let Some(data) = get(name) else { return Ok(None) };
        let s = String::from_utf8_lossy(data);
        match s.trim().parse::<f64>() {
            Ok(v) if v.is_finite() && v >= 0.0 => Ok(Some(v)),
            _ => Err(format!("checker wrote an invalid {name}: {:?}", s.chars().take(40).collect::<String>())),
        }
    };
    let score = match (number("score.txt"), number("score_multiplier.txt")) {
        (Err(e), _) | (_, Err(e)) => return CheckOutcome::judge_error(e),
        (Ok(Some(_)), Ok(Some(_))) => {
            return CheckOutcome::judge_error("checker wrote both score.txt and score_multiplier.txt")
        }
        (Ok(Some(s)), Ok(None)) => Some(CheckScore::Absolute(s)),
        (Ok(None), Ok(Some(f))) if f <= 1.0 => Some(CheckScore::Fraction(f)),
        (Ok(None), Ok(Some(f))) => {
            return CheckOutcome::judge_error(format!("score_multiplier.txt must be in [0, 1], got {f}"))
        }
        (Ok(None), Ok(None)) => None,
    };
    if score.is_some() && verdict != CheckVerdict::Accepted {
        return CheckOutcome::judge_error("checker rejected the output but wrote a score");
    }
    CheckOutcome { verdict, score, message }
}

fn testlib(code: i32, stdout: &[u8], stderr: &[u8]) -> CheckOutcome {
    let message = text(stderr).or_else(|| text(stdout));
    let msg = message.clone().unwrap_or_default();
    let plain = |verdict| CheckOutcome { verdict, score: None, message: message.clone() };
    match code {
        0 => plain(CheckVerdict::Accepted),
        1 => plain(CheckVerdict::WrongAnswer),
        2 => plain(CheckVerdict::PresentationError),
        3 => CheckOutcome::judge_error(format!("checker reported FAIL: {msg}")),
        7 => {
            let points = msg.strip_prefix("points ").and_then(|r| r.split_whitespace().next()).map(str::parse::<f64>);
            match points {
                Some(Ok(p)) if (0.0..=1.0).contains(&p) => CheckOutcome {
                    verdict: CheckVerdict::Accepted,
                    score: Some(CheckScore::Fraction(p)),
                    message: message.clone(),
                },
                _ => CheckOutcome::judge_error(format!("checker exited 7 without \"points X\" (X in [0, 1]): {msg}")),
            }
        }
        c @ 16..=116 => CheckOutcome {
            verdict: CheckVerdict::Accepted,
            score: Some(CheckScore::Fraction(f64::from(c - 16) / 100.0)),
            message: message.clone(),
        },
        c => CheckOutcome::judge_error(format!("checker exited with unknown code {c}: {msg}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn exited(code: i32) -> Measurement {
        let mut m = Measurement::new(if code == 0 { Status::Ok } else { Status::RuntimeError });
        m.exit_code = Some(code);
        m
    }

    fn fb(name: &str, data: &str) -> BoxFile {
        BoxFile { path: format!("{FEEDBACK}{name}"), mode: 0o644, data: data.as_bytes().to_vec() }
    }

    #[test]
    fn kattis_exit_codes() {
        let k = |code, files: &[BoxFile]| interpret(Protocol::Kattis, &exited(code), b"", b"", files);
        assert_eq!(k(42, &[]).verdict, CheckVerdict::Accepted);
        let wa = k(43, &[fb("judgemessage.txt", "line 3: expected 7\n")]);
        assert_eq!((wa.verdict, wa.message.as_deref()), (CheckVerdict::WrongAnswer, Some("line 3: expected 7")));
        // 0 and 1 (an uncaught exception) are judge errors, never Wrong Answer.
        for c in [0, 1, 2, 44] {
            let o = k(c, &[]);
            assert_eq!(o.verdict, CheckVerdict::JudgeError, "exit {c}");
            assert!(o.message.unwrap().contains(&format!("code {c}")));
        }
    }

    #[test]
    fn kattis_scores() {
        let k = |code, files: &[BoxFile]| interpret(Protocol::Kattis, &exited(code), b"", b"", files);
        assert_eq!(k(42, &[fb("score.txt", "17.5\n")]).score, Some(CheckScore::Absolute(17.5)));
        assert_eq!(k(42, &[fb("score_multiplier.txt", "0.25")]).score, Some(CheckScore::Fraction(0.25)));
        for bad in [
            vec![fb("score.txt", "lots")],
            vec![fb("score.txt", "-1")],
            vec![fb("score_multiplier.txt", "1.5")],
            vec![fb("score.txt", "1"), fb("score_multiplier.txt", "1")],
        ] {
            assert_eq!(k(42, &bad).verdict, CheckVerdict::JudgeError, "{bad:?}");
        }
        assert_eq!(k(43, &[fb("score.txt", "3")]).verdict, CheckVerdict::JudgeError, "a score on a rejection");
    }

    #[test]
    fn a_crashed_or_limited_checker_is_a_judge_error() {
        let mut m = Measurement::new(Status::Signaled);
        m.signal = Some(11);
        for p in [Protocol::Kattis, Protocol::Testlib] {
            let o = interpret(p, &m, b"", b"", &[]);
            assert_eq!(o.verdict, CheckVerdict::JudgeError);
            assert!(o.message.unwrap().contains("signal 11"));
            let tle = interpret(p, &Measurement::new(Status::TimeLimit), b"", b"", &[]);
            assert_eq!(tle.verdict, CheckVerdict::JudgeError);
        }
    }

    #[test]
    fn testlib_exit_codes() {
        let t = |code, err: &str| interpret(Protocol::Testlib, &exited(code), b"", err.as_bytes(), &[]);
        assert_eq!(t(0, "ok 3 numbers").verdict, CheckVerdict::Accepted);
        assert_eq!(t(0, "ok 3 numbers").message.as_deref(), Some("ok 3 numbers"));
        assert_eq!(t(1, "wrong answer 2nd differs").verdict, CheckVerdict::WrongAnswer);
        assert_eq!(t(2, "wrong output format").verdict, CheckVerdict::PresentationError);
        assert_eq!(t(3, "answer file is broken").verdict, CheckVerdict::JudgeError);
        assert_eq!(t(7, "points 0.5 half").score, Some(CheckScore::Fraction(0.5)));
        assert_eq!(t(7, "points 2").verdict, CheckVerdict::JudgeError, "points above 1");
        assert_eq!(t(7, "half").verdict, CheckVerdict::JudgeError, "points without a value");
        assert_eq!(t(16 + 40, "").score, Some(CheckScore::Fraction(0.4)));
        assert_eq!(t(5, "").verdict, CheckVerdict::JudgeError);
        assert_eq!(t(200, "").verdict, CheckVerdict::JudgeError);
    }

    #[test]
    fn calls_follow_each_protocol() {
        let k = call(Protocol::Kattis, b"in", b"ans", b"out", &["x".into()]);
        assert_eq!(k.args, [INPUT, ANSWER, FEEDBACK, "x"]);
        assert_eq!(k.stdin, b"out");
        assert!(FEEDBACK.ends_with('/'), "the spec wants a trailing separator");
        let t = call(Protocol::Testlib, b"in", b"ans", b"out", &[]);
        assert_eq!(t.args, [INPUT, OUTPUT, ANSWER]);
        assert_eq!(t.files.iter().find(|f| f.path == OUTPUT).unwrap().data, b"out");
    }
}
