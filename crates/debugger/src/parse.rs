//! Reading the tracer's output, which is untrusted: the tracer shares its
//! process (Python, JavaScript) or its box with the user's program, which may
//! write anything to the trace file.
//!
//! The trace is JSON lines: one [`Step`] per line, then one end record
//! (`{"end": why, "exit": code, "signal": n, "message": text}`). Parsing goes
//! line by line within a byte budget and a step budget; a line that does not
//! parse is counted and skipped, a torn last line (the run was killed while
//! writing) is dropped, and every step is bounded again here (depth, items,
//! string length, frames, locals) whatever the tracer claims. The whole
//! trace is bounded too, by what it answers (bytes of the steps as JSON, not
//! only of the lines read: terse forged values answer several times their
//! size) and by what it builds (values; a line that would build more than is
//! left is not parsed). The program can still replace the trace file (Python
//! and JavaScript trace in its own process, so no placement could stop it):
//! these bounds are what keep a forged trace as cheap as an honest one.

use crate::types::{Entry, Step, Value, Var};
use serde::Deserialize;

/// Nesting below a local at which containers lose their children.
pub const MAX_DEPTH: usize = 3;
/// Items (entries, fields) kept per container.
pub const MAX_ITEMS: usize = 50;
/// Characters kept per string.
pub const MAX_STR: usize = 200;
/// Frames kept per step (innermost first).
pub const MAX_FRAMES: usize = 64;
/// Locals kept per frame.
pub const MAX_LOCALS: usize = 50;
/// Values and named values kept in a whole trace, and the most a line may
/// make the parser build before it is bounded (counted by its `{` and `[`):
/// a forged trace of tiny values cannot make a huge tree.
pub const MAX_NODES: usize = 200_000;

/// The tracer's last word.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
pub struct End {
    /// `done`, `step_limit`, `trace_size_limit`, `time_limit`,
    /// `compile_error` or `error`.
    pub end: String,
    /// The program's exit code (`done` only).
    #[serde(default)]
    pub exit: Option<i32>,
    /// The signal that ended the program (`done` only).
    #[serde(default)]
    pub signal: Option<i32>,
    /// Details (compile diagnostics for `compile_error`).
    #[serde(default)]
    pub message: Option<String>,
}

/// Which of the library's own bounds cut the trace.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cut {
    /// More steps than allowed.
    Steps,
    /// More bytes than allowed.
    Bytes,
}

/// A parsed trace.
#[derive(Debug, Default)]
pub struct Parsed {
    /// The steps, bounded.
    pub steps: Vec<Step>,
    /// The end record, if the tracer wrote one.
    pub end: Option<End>,
    /// Set when the library's own bounds stopped the parse.
    pub cut: Option<Cut>,
    /// Lines that were not a step or an end record.
    pub malformed: usize,
}

/// Parses `data` within `max_steps` steps, `max_bytes` bytes of step lines,
/// `max_bytes` bytes of steps as answered (a terse forged line such as `{}`
/// answers as `{"name":"","type":""}`) and [`MAX_NODES`] values.
pub fn parse(data: &[u8], max_steps: usize, max_bytes: u64) -> Parsed {
    let mut out = Parsed::default();
    let mut used: u64 = 0;
    let mut answered: u64 = 0;
    let mut nodes: usize = 0;
    let mut rest = data;
    while let Some(nl) = rest.iter().position(|&b| b == b'\n') {
        let line = &rest[..nl];
        rest = &rest[nl + 1..];
        if line.starts_with(b"{\"end\"") {
            match serde_json::from_slice::<End>(line) {
                Ok(mut end) => {
                    end.end.truncate(64);
                    if let Some(m) = &mut end.message {
                        truncate_chars(m, 65536);
                    }
                    out.end = Some(end);
                    return out;
                }
                Err(_) => out.malformed += 1,
            }
            continue;
        }
        used += line.len() as u64 + 1;
        if used > max_bytes {
            out.cut = Some(Cut::Bytes);
            return out;
        }
        // An upper bound of the values parsing this line builds.
        let built = line.iter().filter(|&&b| b == b'{' || b == b'[').count();
        if nodes + built > MAX_NODES {
            out.cut = Some(Cut::Bytes);
            return out;
        }
        match serde_json::from_slice::<Step>(line) {
            Ok(mut step) => {
                if out.steps.len() >= max_steps {
                    out.cut = Some(Cut::Steps);
                    return out;
                }
                bound_step(&mut step);
                nodes += step_nodes(&step);
                answered += answered_len(&step);
                if answered > max_bytes {
                    out.cut = Some(Cut::Bytes);
                    return out;
                }
                out.steps.push(step);
            }
            Err(_) => out.malformed += 1,
        }
    }
    // Whatever follows the last newline was torn off by a kill: not a line.
    out
}

/// Bytes of `step` as JSON in the answer.
fn answered_len(step: &Step) -> u64 {
    struct Count(u64);
    impl std::io::Write for Count {
        fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
            self.0 += b.len() as u64;
            Ok(b.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let mut c = Count(0);
    serde_json::to_writer(&mut c, step).expect("a step serializes");
    c.0 + 1
}

/// Values and named values in a (bounded) step.
fn step_nodes(step: &Step) -> usize {
    fn value(v: &Value) -> usize {
        1 + v.items.iter().flatten().map(value).sum::<usize>()
            + v.entries.iter().flatten().map(|e| value(&e.key) + value(&e.value)).sum::<usize>()
            + v.fields.iter().flatten().map(|f| value(&f.value)).sum::<usize>()
    }
    let frames: usize = step.frames.iter().map(|f| 1 + f.locals.iter().map(|v| value(&v.value)).sum::<usize>()).sum();
    1 + frames + [&step.return_value, &step.exception].into_iter().flatten().map(value).sum::<usize>()
}

fn truncate_chars(s: &mut String, max: usize) -> Option<u64> {
    if s.len() <= max {
        return None; // no more characters than bytes
    }
    let n = s.chars().count();
    if n <= max {
        return None;
    }
    let cut = s.char_indices().nth(max).map_or(s.len(), |(i, _)| i);
    s.truncate(cut);
    Some(n as u64)
}

fn bound_step(step: &mut Step) {
    truncate_chars(&mut step.func, MAX_STR);
    step.frames.truncate(MAX_FRAMES);
    for f in &mut step.frames {
        truncate_chars(&mut f.func, MAX_STR);
        f.locals.truncate(MAX_LOCALS);
        for v in &mut f.locals {
            bound_var(v, 0);
        }
    }
    for v in [&mut step.return_value, &mut step.exception].into_iter().flatten() {
        bound(v, 0);
    }
}

fn bound_var(v: &mut Var, depth: usize) {
    truncate_chars(&mut v.name, MAX_STR);
    bound(&mut v.value, depth);
}

/// Bounds one value in place: `depth` is how deep it sits below a local.
pub fn bound(v: &mut Value, depth: usize) {
    truncate_chars(&mut v.ty, MAX_STR);
    if let Some(s) = &mut v.value {
        if let Some(n) = truncate_chars(s, MAX_STR) {
            v.len.get_or_insert(n);
        }
    }
    if depth >= MAX_DEPTH && (v.items.is_some() || v.entries.is_some() || v.fields.is_some()) {
        let n = v.items.as_ref().map(Vec::len);
        let n = n.or(v.entries.as_ref().map(Vec::len)).or(v.fields.as_ref().map(Vec::len));
        v.items = None;
        v.entries = None;
        v.fields = None;
        v.value = Some("...".into());
        if v.len.is_none() {
            v.len = n.map(|n| n as u64);
        }
        return;
    }
    let cut = |n: usize| {
        if n > MAX_ITEMS && v.len.is_none() {
            Some(n as u64)
        } else {
            None
        }
    };
    let mut true_len = None;
    if let Some(items) = &mut v.items {
        true_len = cut(items.len());
        items.truncate(MAX_ITEMS);
        items.iter_mut().for_each(|x| bound(x, depth + 1));
    }
    if let Some(entries) = &mut v.entries {
        true_len = true_len.or(cut(entries.len()));
        entries.truncate(MAX_ITEMS);
        for Entry { key, value } in entries.iter_mut() {
            bound(key, depth + 1);
            bound(value, depth + 1);
        }
    }
    if let Some(fields) = &mut v.fields {
        true_len = true_len.or(cut(fields.len()));
        fields.truncate(MAX_ITEMS);
        fields.iter_mut().for_each(|f| bound_var(f, depth + 1));
    }
    if true_len.is_some() {
        v.len = true_len;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::Event;

    fn step_line(line: u32) -> String {
        format!(
            r#"{{"event":"line","line":{line},"func":"f","frames":[{{"func":"f","line":{line},"locals":[{{"name":"n","type":"int","value":"7"}}]}}],"stdout_len":0}}"#
        )
    }

    #[test]
    fn steps_and_the_end_record_are_read() {
        let text = format!("{}\n{}\n{{\"end\":\"done\",\"exit\":3}}\n", step_line(1), step_line(2));
        let p = parse(text.as_bytes(), 10, 1 << 20);
        assert_eq!(p.steps.len(), 2);
        assert_eq!(p.steps[1].line, 2);
        assert_eq!(p.steps[0].event, Event::Line);
        assert_eq!(p.steps[0].frames[0].locals[0].name, "n");
        assert_eq!(p.steps[0].frames[0].locals[0].value.value.as_deref(), Some("7"));
        assert_eq!(p.end.unwrap().exit, Some(3));
        assert_eq!(p.malformed, 0);
        assert!(p.cut.is_none());
    }

    #[test]
    fn garbage_lines_are_skipped_and_a_torn_last_line_dropped() {
        let text = format!(
            "not json\n{{\"event\":\"fly\"}}\n\u{0}\u{1}\n{}\n[1,2\n{{\"end\":1}}\n{}",
            step_line(5),
            &step_line(6)[..30]
        );
        let p = parse(text.as_bytes(), 10, 1 << 20);
        assert_eq!(p.steps.len(), 1);
        assert_eq!(p.malformed, 5);
        assert!(p.end.is_none());
    }

    #[test]
    fn more_steps_than_allowed_is_a_cut() {
        let text: String = (1..=5).map(|i| step_line(i) + "\n").collect();
        let p = parse(text.as_bytes(), 3, 1 << 20);
        assert_eq!(p.steps.len(), 3);
        assert_eq!(p.cut, Some(Cut::Steps));
    }

    #[test]
    fn more_bytes_than_allowed_is_a_cut() {
        let text: String = (1..=5).map(|i| step_line(i) + "\n").collect();
        let one = step_line(1).len() as u64 + 1;
        let p = parse(text.as_bytes(), 100, one * 2 + 5);
        assert_eq!(p.steps.len(), 2);
        assert_eq!(p.cut, Some(Cut::Bytes));
    }

    #[test]
    fn terse_forged_values_are_cut_by_what_they_answer_and_build() {
        // `{}` locals answer as `{"name":"","type":""}`: seven times the input.
        let locals = vec!["{}"; MAX_LOCALS].join(",");
        let frame = format!(r#"{{"func":"f","line":1,"locals":[{locals}]}}"#);
        let line =
            format!(r#"{{"event":"line","line":1,"func":"f","frames":[{}]}}"#, vec![frame; MAX_FRAMES].join(","));
        let text: String = (0..10).map(|_| line.clone() + "\n").collect();
        let budget = 200 * 1024;
        assert!((text.len() as u64) < budget, "the input alone is within the byte budget");
        let p = parse(text.as_bytes(), 1000, budget);
        assert_eq!(p.cut, Some(Cut::Bytes));
        let answered: u64 = p.steps.iter().map(answered_len).sum();
        assert!(answered <= budget, "{answered} bytes answered for a budget of {budget}");
        // One line of a million empty values is not parsed at all.
        let huge = format!(
            r#"{{"event":"line","line":1,"func":"f","return_value":{{"items":[{}]}}}}"#,
            vec!["{}"; 1_000_000].join(",")
        );
        let p = parse(format!("{huge}\n").as_bytes(), 1000, 1 << 30);
        assert!(p.steps.is_empty());
        assert_eq!(p.cut, Some(Cut::Bytes));
    }

    #[test]
    fn deep_nesting_does_not_overflow_the_stack() {
        let deep = "[".repeat(100_000);
        let p = parse(format!("{deep}\n").as_bytes(), 10, 1 << 30);
        assert_eq!(p.malformed, 1);
    }

    #[test]
    fn values_are_bounded_whatever_the_tracer_sent() {
        let long = "x".repeat(1000);
        let inner = r#"{"type":"int","value":"1"}"#;
        let deep = format!(
            r#"{{"type":"list","items":[{{"type":"list","items":[{{"type":"list","items":[{{"type":"list","items":[{inner}]}}]}}]}}]}}"#
        );
        let many: Vec<String> = (0..80).map(|_| inner.to_string()).collect();
        let line = format!(
            r#"{{"event":"return","line":1,"func":"{long}","frames":[{{"func":"f","line":1,"locals":[{{"name":"s","type":"str","value":"{long}"}},{{"name":"d","type":"list","items":[{deep}]}},{{"name":"m","type":"list","items":[{}]}}]}}],"return_value":{{"type":"str","value":"{long}"}},"stdout_len":0}}"#,
            many.join(",")
        );
        let p = parse(format!("{line}\n").as_bytes(), 10, 1 << 20);
        let step = &p.steps[0];
        assert_eq!(step.func.len(), MAX_STR);
        let locals = &step.frames[0].locals;
        assert_eq!(locals[0].value.value.as_ref().unwrap().len(), MAX_STR);
        assert_eq!(locals[0].value.len, Some(1000));
        // d (depth 0) > list (1) > list (2) > list (3): cut to "...".
        let d1 = &locals[1].value.items.as_ref().unwrap()[0];
        let d2 = &d1.items.as_ref().unwrap()[0];
        let d3 = &d2.items.as_ref().unwrap()[0];
        assert_eq!(d3.value.as_deref(), Some("..."));
        assert!(d3.items.is_none());
        assert_eq!(locals[2].value.items.as_ref().unwrap().len(), MAX_ITEMS);
        assert_eq!(locals[2].value.len, Some(80));
        assert_eq!(step.return_value.as_ref().unwrap().len, Some(1000));
    }
}
