//! Turning the native API's JSON answers into text a model reads well: the
//! verdict first, then time and memory, then the outputs, each bounded
//! ("[truncated: N more bytes]"), and for a failed test the first line
//! that differs from what was expected.

use serde_json::Value;
use std::fmt::Write as _;

/// Bytes of stdout (and, separately, of stderr or compiler output) shown by default.
pub const OUTPUT_SHOWN: usize = 16 * 1024;

/// Bytes of a line shown when two lines are compared.
const LINE_SHOWN: usize = 200;

/// Status ids (Judge0's, as the native API reports them).
pub mod status {
    /// Not started yet.
    pub const IN_QUEUE: u64 = 1;
    /// Running.
    pub const PROCESSING: u64 = 2;
    /// The program ran and exited 0 (and matched, when an expected output was given).
    pub const ACCEPTED: u64 = 3;
    /// The output differs from the expected one.
    pub const WRONG_ANSWER: u64 = 4;
    /// CPU or wall time limit.
    pub const TIME_LIMIT: u64 = 5;
    /// The program did not compile.
    pub const COMPILATION_ERROR: u64 = 6;
    /// Flash failed.
    pub const INTERNAL_ERROR: u64 = 13;
    /// The program could not be executed.
    pub const EXEC_FORMAT_ERROR: u64 = 14;
    /// The memory limit.
    pub const MEMORY_LIMIT: u64 = 15;
    /// The output limit.
    pub const OUTPUT_LIMIT: u64 = 16;
}

/// `text` cut to at most `max` bytes (on a character boundary), with a note
/// saying how much was left out.
pub fn truncate(text: &str, max: usize) -> String {
    if text.len() <= max {
        return text.to_owned();
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    let mut out = text[..end].to_owned();
    if !out.ends_with('\n') {
        out.push('\n');
    }
    let _ = write!(out, "[truncated: {} more bytes]", text.len() - end);
    out
}

/// The status id and description of a native answer (or of one test in it).
pub fn verdict(v: &Value) -> (u64, String) {
    let id = v["status"]["id"].as_u64().unwrap_or(0);
    let desc = v["status"]["description"].as_str().unwrap_or("unknown").to_owned();
    (id, desc)
}

/// Whether a verdict means the run could not do what was asked: the
/// program did not compile, hit a limit, or Flash failed. A non-zero exit
/// or a wrong answer is the program's own behaviour, not a tool error.
pub fn is_failure(id: u64) -> bool {
    matches!(
        id,
        status::TIME_LIMIT
            | status::COMPILATION_ERROR
            | status::INTERNAL_ERROR
            | status::MEMORY_LIMIT
            | status::OUTPUT_LIMIT
            | status::EXEC_FORMAT_ERROR
    )
}

/// "0.012 s CPU, 0.020 s wall, 8.3 MB" from a native answer's `time`,
/// `wall_time` and `memory` (KB).
pub fn usage(v: &Value) -> String {
    let mut parts = Vec::new();
    if let Some(t) = v["time"].as_f64() {
        parts.push(format!("{t:.3} s CPU"));
    }
    if let Some(t) = v["wall_time"].as_f64() {
        parts.push(format!("{t:.3} s wall"));
    }
    if let Some(kb) = v["memory"].as_f64() {
        parts.push(format!("{:.1} MB memory", kb / 1024.0));
    }
    if parts.is_empty() {
        "not measured".into()
    } else {
        parts.join(", ")
    }
}

/// How the program ended: "exit code 0", "killed by signal 9 (SIGKILL)".
pub fn ending(v: &Value) -> Option<String> {
    if let Some(sig) = v["exit_signal"].as_i64() {
        return Some(format!(
            "killed by signal {sig}{}",
            signal_name(sig).map(|n| format!(" ({n})")).unwrap_or_default()
        ));
    }
    v["exit_code"].as_i64().map(|c| format!("exit code {c}"))
}

fn signal_name(sig: i64) -> Option<&'static str> {
    Some(match sig {
        4 => "SIGILL",
        6 => "SIGABRT",
        8 => "SIGFPE",
        9 => "SIGKILL",
        11 => "SIGSEGV",
        13 => "SIGPIPE",
        15 => "SIGTERM",
        24 => "SIGXCPU",
        25 => "SIGXFSZ",
        _ => return None,
    })
}

/// A run (native `POST /create?wait=true` answer, or a session run) as a
/// report; `max_output` bounds stdout and stderr each.
pub fn run_report(v: &Value, max_output: usize) -> String {
    let (id, desc) = verdict(v);
    let mut out = format!("verdict: {desc}");
    if let Some(e) = ending(v) {
        let _ = write!(out, " ({e})");
    }
    out.push('\n');
    if let Some(lang) = v["language"]["name"].as_str() {
        let _ = writeln!(out, "language: {lang}");
    }
    let _ = writeln!(out, "usage: {}", usage(v));
    if let Some(m) = v["message"].as_str().filter(|m| !m.is_empty()) {
        let _ = writeln!(out, "message: {m}");
    }
    let compile = v["compile_output"].as_str().unwrap_or("");
    if id == status::COMPILATION_ERROR || !compile.trim().is_empty() {
        section(&mut out, "compiler output", compile, max_output);
    }
    if id != status::COMPILATION_ERROR {
        section(&mut out, "stdout", v["stdout"].as_str().unwrap_or(""), max_output);
        section(&mut out, "stderr", v["stderr"].as_str().unwrap_or(""), max_output);
    }
    out
}

fn section(out: &mut String, name: &str, text: &str, max: usize) {
    if text.is_empty() {
        let _ = writeln!(out, "--- {name}: (empty) ---");
        return;
    }
    let _ = writeln!(out, "--- {name} ({} bytes) ---", text.len());
    out.push_str(&truncate(text, max));
    if !out.ends_with('\n') {
        out.push('\n');
    }
}

/// Where `got` first differs from `expected`, line by line, ignoring
/// trailing spaces on a line and trailing blank lines (as judges do):
/// `None` when they agree.
pub fn first_difference(expected: &str, got: &str) -> Option<String> {
    let lines = |s: &str| -> Vec<String> {
        let mut v: Vec<String> = s.lines().map(|l| l.trim_end().to_owned()).collect();
        while v.last().is_some_and(|l| l.is_empty()) {
            v.pop();
        }
        v
    };
    let (e, g) = (lines(expected), lines(got));
    let n = e.len().max(g.len());
    (0..n).find(|&i| e.get(i) != g.get(i)).map(|i| {
        let show = |l: Option<&String>| match l {
            Some(l) => format!("{:?}", truncate(l, LINE_SHOWN)),
            None => "(no line: the output ends here)".to_owned(),
        };
        format!("line {}: expected {}, got {}", i + 1, show(e.get(i)), show(g.get(i)))
    })
}

/// The per-test table of a native answer with `tests`; `cases` are the
/// (input, expected) pairs sent, in order.
pub fn tests_report(v: &Value, cases: &[(String, String)], max_output: usize) -> String {
    let (id, desc) = verdict(v);
    let empty = Vec::new();
    let tests = v["tests"].as_array().unwrap_or(&empty);
    let passed = tests.iter().filter(|t| verdict(t).0 == status::ACCEPTED).count();
    let mut out = format!("overall: {desc}; {passed} of {} tests passed\n", cases.len());
    if let Some(lang) = v["language"]["name"].as_str() {
        let _ = writeln!(out, "language: {lang}");
    }
    if id == status::COMPILATION_ERROR {
        section(&mut out, "compiler output", v["compile_output"].as_str().unwrap_or(""), max_output);
        return out;
    }
    if let Some(m) = v["message"].as_str().filter(|m| !m.is_empty()) {
        let _ = writeln!(out, "message: {m}");
    }
    out.push_str("test | verdict | time (s) | memory (MB)\n");
    for (i, t) in tests.iter().enumerate() {
        let (_, d) = verdict(t);
        let time = t["time"].as_f64().map_or("-".into(), |x| format!("{x:.3}"));
        let mem = t["memory"].as_f64().map_or("-".into(), |kb| format!("{:.1}", kb / 1024.0));
        let _ = writeln!(out, "{} | {d} | {time} | {mem}", i + 1);
    }
    for (i, t) in tests.iter().enumerate() {
        let (tid, d) = verdict(t);
        if tid == status::ACCEPTED {
            continue;
        }
        let _ = writeln!(out, "\ntest {} failed: {d}", i + 1);
        if let Some(e) = ending(t) {
            let _ = writeln!(out, "ended: {e}");
        }
        let stdout = t["stdout"].as_str().unwrap_or("");
        if tid == status::WRONG_ANSWER {
            if let Some((_, expected)) = cases.get(i) {
                let diff = first_difference(expected, stdout).unwrap_or_else(|| "outputs differ in whitespace".into());
                let _ = writeln!(out, "first difference: {diff}");
            }
        }
        if let Some(m) = t["message"].as_str().filter(|m| !m.is_empty()) {
            let _ = writeln!(out, "message: {m}");
        }
        if let Some((input, _)) = cases.get(i) {
            section(&mut out, "input", input, 1024);
        }
        section(&mut out, "stdout", stdout, max_output.min(4096));
        let stderr = t["stderr"].as_str().unwrap_or("");
        if !stderr.is_empty() {
            section(&mut out, "stderr", stderr, max_output.min(4096));
        }
    }
    out
}

/// A refusal of the native API (4xx/5xx) in words: `{"error": msg}` or
/// Rails-style `{"field": ["msg", ...]}`.
pub fn api_error(status: u16, body: &Value, raw: &[u8]) -> String {
    if let Some(e) = body["error"].as_str() {
        return format!("{e} (HTTP {status})");
    }
    if let Some(m) = body.as_object().filter(|m| !m.is_empty()) {
        let parts: Vec<String> = m
            .iter()
            .map(|(field, msgs)| {
                let text = match msgs {
                    Value::Array(a) => a.iter().filter_map(Value::as_str).collect::<Vec<_>>().join("; "),
                    Value::String(s) => s.clone(),
                    other => other.to_string(),
                };
                format!("{field}: {text}")
            })
            .collect();
        return format!("{} (HTTP {status})", parts.join(", "));
    }
    let text = String::from_utf8_lossy(raw);
    let text = text.trim();
    if text.is_empty() {
        format!("HTTP {status} with no explanation")
    } else {
        format!("{} (HTTP {status})", truncate(text, 500))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn long_text_is_cut_on_a_character_and_says_how_much_is_left() {
        assert_eq!(truncate("short", 10), "short");
        let t = truncate("héllo world", 2);
        assert_eq!(t, "h\n[truncated: 11 more bytes]", "é is two bytes: the cut moves back before it");
        let big = "x".repeat(100_000);
        let t = truncate(&big, 16 * 1024);
        assert!(t.ends_with(&format!("[truncated: {} more bytes]", 100_000 - 16 * 1024)));
        assert!(t.len() < 17 * 1024);
    }

    #[test]
    fn the_first_differing_line_is_found_and_trailing_space_ignored() {
        assert_eq!(first_difference("1\n2\n", "1  \n2\n\n"), None);
        assert_eq!(first_difference("1\n2\n3\n", "1\n5\n3\n").unwrap(), r#"line 2: expected "2", got "5""#);
        assert_eq!(
            first_difference("1\n2\n", "1\n").unwrap(),
            r#"line 2: expected "2", got (no line: the output ends here)"#
        );
        assert_eq!(
            first_difference("1\n", "1\nextra\n").unwrap(),
            r#"line 2: expected (no line: the output ends here), got "extra""#
        );
    }

    #[test]
    fn a_run_report_leads_with_the_verdict_and_bounds_outputs() {
        let v = json!({
            "status": {"id": 11, "description": "Runtime Error (NZEC)"},
            "stdout": "y".repeat(50), "stderr": "boom\n", "compile_output": "",
            "time": 0.0123, "wall_time": 0.02, "memory": 8192, "exit_code": 1, "exit_signal": null,
            "language": {"id": 71, "name": "Python (3.11.2)"}, "message": null,
        });
        let r = run_report(&v, 10);
        assert!(r.starts_with("verdict: Runtime Error (NZEC) (exit code 1)\n"), "{r}");
        assert!(r.contains("usage: 0.012 s CPU, 0.020 s wall, 8.0 MB memory"), "{r}");
        assert!(r.contains("--- stdout (50 bytes) ---\nyyyyyyyyyy\n[truncated: 40 more bytes]"), "{r}");
        assert!(r.contains("--- stderr (5 bytes) ---\nboom\n"), "{r}");
        let ce = json!({"status": {"id": 6, "description": "Compilation Error"}, "compile_output": "a.cpp:1: error"});
        let r = run_report(&ce, 100);
        assert!(r.contains("--- compiler output (14 bytes) ---\na.cpp:1: error") && !r.contains("stdout"), "{r}");
        let sig = json!({"status": {"id": 7, "description": "Runtime Error (SIGSEGV)"}, "exit_signal": 11});
        assert!(run_report(&sig, 100).starts_with("verdict: Runtime Error (SIGSEGV) (killed by signal 11 (SIGSEGV))"));
    }

    #[test]
    fn the_test_table_shows_every_case_and_why_one_failed() {
        let v = json!({
            "status": {"id": 4, "description": "Wrong Answer"},
            "language": {"name": "Python"},
            "tests": [
                {"status": {"id": 3, "description": "Accepted"}, "stdout": "2\n", "time": 0.01, "memory": 4096},
                {"status": {"id": 4, "description": "Wrong Answer"}, "stdout": "3\n7\n", "time": 0.02, "memory": 2048,
                 "exit_code": 0},
            ],
        });
        let cases = vec![("1 1\n".to_owned(), "2\n".to_owned()), ("2 2\n".to_owned(), "3\n4\n".to_owned())];
        let r = tests_report(&v, &cases, 1000);
        assert!(r.starts_with("overall: Wrong Answer; 1 of 2 tests passed\n"), "{r}");
        assert!(r.contains("1 | Accepted | 0.010 | 4.0\n2 | Wrong Answer | 0.020 | 2.0\n"), "{r}");
        assert!(r.contains("test 2 failed: Wrong Answer"), "{r}");
        assert!(r.contains(r#"first difference: line 2: expected "4", got "7""#), "{r}");
        assert!(!r.contains("test 1 failed"), "{r}");
    }

    #[test]
    fn api_refusals_become_sentences() {
        let v = json!({"language": ["unknown language (see GET /languages)"]});
        assert_eq!(api_error(422, &v, b""), "language: unknown language (see GET /languages) (HTTP 422)");
        assert_eq!(api_error(404, &json!({"error": "session not found"}), b""), "session not found (HTTP 404)");
        assert_eq!(api_error(502, &Value::Null, b"bad gateway"), "bad gateway (HTTP 502)");
        assert_eq!(api_error(500, &Value::Null, b""), "HTTP 500 with no explanation");
    }

    #[test]
    fn limits_and_compile_errors_are_failures_a_non_zero_exit_is_not() {
        for id in [5, 6, 13, 15, 16] {
            assert!(is_failure(id), "{id}");
        }
        for id in [3, 4, 7, 11] {
            assert!(!is_failure(id), "{id}");
        }
    }
}
