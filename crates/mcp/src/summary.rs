//! A step trace (`POST /debug`'s answer) summarised for a model: the lines
//! executed in order with loops folded (`1 2 (3 2)x3 4`), the calls and what
//! they returned, which variables changed after which line, the final state
//! and the output. The whole trace stays available as a resource.
//!
//! Works on the JSON as the API sends it (see `flash_debugger::Trace`), so
//! the remote and in-process backends are summarised alike.

use crate::format::truncate;
use serde_json::Value;
use std::collections::HashMap;
use std::fmt::Write as _;

/// Longest run of tokens tried as a loop body when folding.
const MAX_PERIOD: usize = 64;
/// Characters of the folded line sequence shown.
const MAX_SEQUENCE: usize = 6000;
/// Variable changes listed before "... N more".
const MAX_CHANGES: usize = 120;
/// Calls listed before "... N more".
const MAX_CALLS: usize = 60;
/// Characters of one rendered value.
const MAX_VALUE: usize = 160;
/// Bytes of stdout and of stderr shown.
const MAX_OUTPUT: usize = 8 * 1024;

/// Types whose values are code, not data: left out of the summary (they are in the trace).
const NOISE_TYPES: [&str; 5] = ["function", "type", "module", "builtin_function_or_method", "method"];

/// The summary of `trace`; `uri` names the full trace.
pub fn summarize(trace: &Value, uri: &str) -> String {
    let empty = Vec::new();
    let steps = trace["steps"].as_array().unwrap_or(&empty);
    let mut out = String::new();
    let status = trace["status"].as_str().unwrap_or("unknown");
    let _ = write!(out, "status: {status}");
    match (trace["exit"].as_i64(), trace["signal"].as_i64()) {
        (_, Some(s)) => {
            let _ = write!(out, " (killed by signal {s})");
        }
        (Some(c), None) => {
            let _ = write!(out, " (exit code {c})");
        }
        _ => {}
    }
    let _ = writeln!(out, "; {} steps recorded", steps.len());
    if let Some(m) = trace["message"].as_str().filter(|m| !m.is_empty()) {
        let _ = writeln!(out, "message: {m}");
    }
    let compile = trace["compile_output"].as_str().unwrap_or("");
    if !compile.trim().is_empty() {
        let _ = writeln!(out, "--- compiler output ---\n{}", truncate(compile, MAX_OUTPUT));
    }
    if !steps.is_empty() {
        out.push_str("\nlines executed, in order (\"(a b)xN\": repeated N times; \">f\": f called; \"<f\": f returned; \"!E\": exception E):\n");
        out.push_str(&truncate(&fold(&tokens(steps)), MAX_SEQUENCE));
        out.push('\n');
        let (calls, changes) = history(steps);
        list(&mut out, "calls", &calls, MAX_CALLS);
        list(&mut out, "variables changed (\"after line N\": by the line that ran before)", &changes, MAX_CHANGES);
        out.push_str("\nfinal state (innermost frame first):\n");
        out.push_str(&final_state(steps.last().expect("not empty")));
    }
    for name in ["stdout", "stderr"] {
        let text = trace[name].as_str().unwrap_or("");
        if text.is_empty() {
            let _ = writeln!(out, "--- {name}: (empty) ---");
        } else {
            let shown = truncate(text, MAX_OUTPUT);
            let _ = write!(out, "--- {name} ---\n{shown}{}", if shown.ends_with('\n') { "" } else { "\n" });
        }
    }
    let _ = write!(out, "\nfull trace (every step with every frame's variables, JSON): resource {uri}");
    out
}

fn list(out: &mut String, title: &str, items: &[String], max: usize) {
    if items.is_empty() {
        return;
    }
    let _ = writeln!(out, "\n{title}:");
    for i in items.iter().take(max) {
        let _ = writeln!(out, "  {i}");
    }
    if items.len() > max {
        let _ = writeln!(out, "  ... and {} more (see the full trace)", items.len() - max);
    }
}

/// One token per step: the line number, or a call, return or exception
/// mark. The program's own entry and exit (the top frame's call and
/// return) say nothing and are left out.
fn tokens(steps: &[Value]) -> Vec<String> {
    steps
        .iter()
        .filter_map(|s| {
            let func = s["func"].as_str().unwrap_or("?");
            let event = s["event"].as_str().unwrap_or("");
            if matches!(event, "call" | "return") && depth(s) <= 1 {
                return None;
            }
            Some(match event {
                "call" => format!(">{func}"),
                "return" => format!("<{func}"),
                "exception" | "uncaught_exception" => {
                    format!("!{}", s["exception"]["type"].as_str().unwrap_or("exception"))
                }
                _ => s["line"].as_u64().unwrap_or(0).to_string(),
            })
        })
        .collect()
}

/// How many of the user's frames are live at a step.
fn depth(step: &Value) -> usize {
    step["frames"].as_array().map_or(0, Vec::len)
}

/// The tokens with repeated runs folded, innermost loops first:
/// `1 2 3 2 3 2 4` is `1 (2 3)x2 2 4`.
pub fn fold(tokens: &[String]) -> String {
    let mut parts = Vec::new();
    let mut i = 0;
    while i < tokens.len() {
        let (period, count) = best_repeat(tokens, i);
        if count >= 2 {
            let body = fold(&tokens[i..i + period]);
            if period == 1 {
                parts.push(format!("{body}x{count}"));
            } else {
                parts.push(format!("({body})x{count}"));
            }
            i += period * count;
        } else {
            parts.push(tokens[i].clone());
            i += 1;
        }
    }
    parts.join(" ")
}

/// The period and repeat count at `i` that cover the most tokens (the
/// shorter period on a tie).
fn best_repeat(t: &[String], i: usize) -> (usize, usize) {
    let mut best = (1, 1);
    for p in 1..=MAX_PERIOD.min((t.len() - i) / 2) {
        let mut count = 1;
        while i + (count + 1) * p <= t.len() && t[i..i + p] == t[i + count * p..i + (count + 1) * p] {
            count += 1;
        }
        if count >= 2 && p * count > best.0 * best.1 {
            best = (p, count);
        }
    }
    best
}

/// The calls (with arguments and return values) and the variable changes,
/// in order.
fn history(steps: &[Value]) -> (Vec<String>, Vec<String>) {
    // Per frame (depth, function): the last line seen and its variables.
    let mut seen: HashMap<(usize, String), (u64, Vars)> = HashMap::new();
    let (mut calls, mut changes) = (Vec::new(), Vec::new());
    for s in steps {
        let Some(frame) = s["frames"].as_array().and_then(|f| f.first()) else { continue };
        let depth = depth(s);
        seen.retain(|(d, _), _| *d <= depth);
        let func = frame["func"].as_str().unwrap_or("?").to_owned();
        let line = s["line"].as_u64().unwrap_or(0);
        let vars = variables(frame);
        let event = s["event"].as_str().unwrap_or("");
        let key = (depth, func.clone());
        match seen.get(&key) {
            Some((prev_line, before)) if event != "call" => {
                let changed: Vec<String> = vars
                    .iter()
                    .filter(|(n, v)| before.iter().find(|(bn, _)| bn == n).is_none_or(|(_, bv)| bv != v))
                    .map(|(n, v)| format!("{n} = {v}"))
                    .collect();
                if !changed.is_empty() {
                    changes.push(format!("after line {prev_line}{}: {}", place(&func), changed.join(", ")));
                }
            }
            _ => {
                if event == "call" && depth > 1 {
                    let args: Vec<String> = vars.iter().map(|(n, v)| format!("{n}={v}")).collect();
                    calls.push(format!("{func}({}) at line {line}", args.join(", ")));
                }
            }
        }
        if event == "return" {
            if let Some(rv) = s.get("return_value").filter(|v| !v.is_null()) {
                if depth > 1 {
                    calls.push(format!("{func} returned {}", render(rv)));
                }
            }
        }
        if event == "exception" || event == "uncaught_exception" {
            let e = &s["exception"];
            // The tracers put the message in `value` (an exception is a value).
            let msg = e["value"].as_str().or(e["message"].as_str()).unwrap_or("");
            let what = format!("{}: {msg}", e["type"].as_str().unwrap_or("exception"));
            changes.push(format!("line {line}{}: raised {}", place(&func), what.trim_end_matches(": ")));
        }
        seen.insert(key, (line, vars));
    }
    (calls, changes)
}

/// A frame's variables: (name, rendered value), in order.
type Vars = Vec<(String, String)>;

/// " in f" for a function, nothing for the top level.
fn place(func: &str) -> String {
    if func == "<module>" || func == "main" {
        String::new()
    } else {
        format!(" in {func}")
    }
}

/// A frame's data variables, rendered.
fn variables(frame: &Value) -> Vars {
    let empty = Vec::new();
    frame["locals"]
        .as_array()
        .unwrap_or(&empty)
        .iter()
        .filter(|v| !NOISE_TYPES.contains(&v["type"].as_str().unwrap_or("")))
        .map(|v| (v["name"].as_str().unwrap_or("?").to_owned(), render(v)))
        .collect()
}

fn final_state(step: &Value) -> String {
    let mut out = String::new();
    let empty = Vec::new();
    for f in step["frames"].as_array().unwrap_or(&empty) {
        let vars: Vec<String> = variables(f).into_iter().map(|(n, v)| format!("{n} = {v}")).collect();
        let _ = writeln!(
            out,
            "  {} (line {}): {}",
            f["func"].as_str().unwrap_or("?"),
            f["line"].as_u64().unwrap_or(0),
            if vars.is_empty() { "no variables".to_owned() } else { vars.join(", ") }
        );
    }
    out
}

/// A value as a model reads it: `5`, `"hi"`, `[1, 2]`, `{"k": 1}`, `P{a: 1}`.
pub fn render(v: &Value) -> String {
    let s = render_inner(v);
    if s.chars().count() > MAX_VALUE {
        let cut: String = s.chars().take(MAX_VALUE).collect();
        format!("{cut}…")
    } else {
        s
    }
}

fn render_inner(v: &Value) -> String {
    let ty = v["type"].as_str().unwrap_or("");
    let more = |shown: usize| match v["len"].as_u64() {
        Some(n) if n as usize > shown => format!(", … ({n} in all)"),
        _ => String::new(),
    };
    if let Some(items) = v["items"].as_array() {
        let inner: Vec<String> = items.iter().map(render_inner).collect();
        let prefix = if matches!(ty, "list" | "Array" | "array" | "") { "" } else { ty };
        return format!("{prefix}[{}{}]", inner.join(", "), more(items.len()));
    }
    if let Some(entries) = v["entries"].as_array() {
        let inner: Vec<String> =
            entries.iter().map(|e| format!("{}: {}", render_inner(&e["key"]), render_inner(&e["value"]))).collect();
        return format!("{{{}{}}}", inner.join(", "), more(entries.len()));
    }
    if let Some(fields) = v["fields"].as_array() {
        let inner: Vec<String> =
            fields.iter().map(|f| format!("{}: {}", f["name"].as_str().unwrap_or("?"), render_inner(f))).collect();
        return format!("{ty}{{{}{}}}", inner.join(", "), more(fields.len()));
    }
    match v["value"].as_str() {
        Some(s) if is_string_type(ty) => {
            let q = format!("{s:?}");
            match v["len"].as_u64() {
                Some(n) if n as usize > s.chars().count() => format!("{q}… ({n} characters)"),
                _ => q,
            }
        }
        Some(s) => s.to_owned(),
        None => "?".to_owned(),
    }
}

fn is_string_type(ty: &str) -> bool {
    matches!(ty, "str" | "string" | "String" | "std::string" | "std::__cxx11::string" | "java.lang.String")
        || ty.starts_with("std::basic_string")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn toks(s: &str) -> Vec<String> {
        s.split_whitespace().map(str::to_owned).collect()
    }

    #[test]
    fn loops_fold_into_counted_runs_inner_first() {
        assert_eq!(fold(&toks("1 2 3 2 3 2 3 2 4")), "1 (2 3)x3 2 4");
        assert_eq!(fold(&toks("5 5 5 6")), "5x3 6");
        assert_eq!(fold(&toks("1 2 3 2 3 4 1 2 3 2 3 4 9")), "(1 (2 3)x2 4)x2 9");
        assert_eq!(fold(&toks("1 2 3")), "1 2 3");
        assert_eq!(fold(&[]), "");
    }

    fn var(name: &str, ty: &str, value: &str) -> Value {
        json!({"name": name, "type": ty, "value": value})
    }

    fn step(event: &str, line: u64, frames: Value) -> Value {
        json!({"event": event, "line": line, "func": frames[0]["func"], "frames": frames})
    }

    /// `x = 1; for i in range(2): x = x * 2; f(x)` with `def f(n): return n + 1`.
    fn trace() -> Value {
        let m = |line: u64, vars: Vec<Value>| json!([{"func": "<module>", "line": line, "locals": vars}]);
        let f = |line: u64, n: &str, outer: Vec<Value>| {
            json!([{"func": "f", "line": line, "locals": [var("n", "int", n)]},
                   {"func": "<module>", "line": 5, "locals": outer}])
        };
        let x = |v: &str| var("x", "int", v);
        let i = |v: &str| var("i", "int", v);
        let fun = var("f", "function", "f(n)");
        let mut ret = step("return", 2, f(2, "4", vec![x("4"), i("1"), fun.clone()]));
        ret["return_value"] = json!({"type": "int", "value": "5"});
        json!({
            "status": "ok", "exit": 0, "signal": null, "message": null, "compile_output": "",
            "stdout": "5\n", "stderr": "",
            "steps": [
                step("call", 1, m(1, vec![])),
                step("line", 3, m(3, vec![fun.clone()])),
                step("line", 4, m(4, vec![fun.clone(), x("1")])),
                step("line", 3, m(3, vec![fun.clone(), x("2"), i("0")])),
                step("line", 4, m(4, vec![fun.clone(), x("2"), i("0")])),
                step("line", 3, m(3, vec![fun.clone(), x("4"), i("1")])),
                step("line", 5, m(5, vec![fun.clone(), x("4"), i("1")])),
                step("call", 1, f(1, "4", vec![x("4"), i("1"), fun.clone()])),
                step("line", 2, f(2, "4", vec![x("4"), i("1"), fun.clone()])),
                ret,
                step("line", 6, m(6, vec![fun.clone(), x("4"), i("1"), var("s", "str", "done")])),
                step("return", 6, m(6, vec![fun.clone(), x("4"), i("1"), var("s", "str", "done")])),
            ],
        })
    }

    #[test]
    fn a_trace_summary_has_the_path_the_calls_the_changes_and_the_end() {
        let s = summarize(&trace(), "flash://trace/abc");
        assert!(s.starts_with("status: ok (exit code 0); 12 steps recorded\n"), "{s}");
        assert!(s.contains("\n(3 4)x2 3 5 >f 2 <f 6\n"), "the program's own entry and exit are left out: {s}");
        assert!(s.contains("\ncalls:\n  f(n=4) at line 1\n  f returned 5\n\n"), "only f: {s}");
        assert!(s.contains("  f(n=4) at line 1\n  f returned 5\n"), "{s}");
        assert!(s.contains("  after line 3: x = 1\n"), "{s}");
        assert!(s.contains("  after line 4: x = 2, i = 0\n"), "{s}");
        assert!(s.contains("  after line 4: x = 4, i = 1\n"), "{s}");
        assert!(s.contains("  after line 5: s = \"done\"\n"), "the caller's frame is compared with itself: {s}");
        assert!(s.contains("<module> (line 6): x = 4, i = 1, s = \"done\"\n"), "{s}");
        assert!(!s.contains("f(n)"), "functions are code, left out: {s}");
        assert!(s.contains("--- stdout ---\n5\n--- stderr: (empty) ---\n"), "{s}");
        assert!(s.ends_with("resource flash://trace/abc"), "{s}");
    }

    #[test]
    fn values_render_compactly_and_say_when_they_were_cut() {
        let l =
            json!({"type": "list", "len": 5, "items": [{"type": "int", "value": "1"}, {"type": "str", "value": "a"}]});
        assert_eq!(render(&l), "[1, \"a\", … (5 in all)]");
        let d = json!({"type": "dict", "entries": [{"key": {"type": "str", "value": "k"}, "value": {"type": "int", "value": "1"}}]});
        assert_eq!(render(&d), "{\"k\": 1}");
        let o = json!({"type": "P", "fields": [{"name": "a", "type": "int", "value": "1"}]});
        assert_eq!(render(&o), "P{a: 1}");
        let long = json!({"type": "str", "value": "y".repeat(500)});
        assert!(render(&long).chars().count() <= MAX_VALUE + 1);
    }

    #[test]
    fn exceptions_are_marked_in_the_path_and_listed_with_their_message() {
        let frames = json!([{"func": "f", "line": 2, "locals": [var("x", "int", "0")]},
                            {"func": "<module>", "line": 4, "locals": []}]);
        let mut raised = step("exception", 2, frames.clone());
        raised["exception"] = json!({"type": "ZeroDivisionError", "value": "division by zero"});
        let t = json!({"status": "runtime_error", "exit": 1, "stdout": "", "stderr": "Traceback ...",
                       "steps": [step("call", 1, frames.clone()), step("line", 2, frames.clone()), raised]});
        let s = summarize(&t, "flash://trace/1");
        assert!(s.contains("\n>f 2 !ZeroDivisionError\n"), "{s}");
        assert!(s.contains("  line 2 in f: raised ZeroDivisionError: division by zero\n"), "{s}");
        assert!(s.contains("--- stderr ---\nTraceback ...\n"), "{s}");
    }

    #[test]
    fn a_compile_error_trace_shows_the_diagnostics() {
        let t = json!({"status": "compile_error", "exit": null, "signal": null, "compile_output": "a.c:1: error: x",
                       "stdout": "", "stderr": "", "steps": []});
        let s = summarize(&t, "flash://trace/1");
        assert!(s.starts_with("status: compile_error; 0 steps recorded\n"), "{s}");
        assert!(s.contains("--- compiler output ---\na.c:1: error: x"), "{s}");
    }
}
