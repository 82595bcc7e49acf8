//! Root tests: one program per language with a recursive function and a loop
//! over a collection, traced for real in the sandbox, then the limits and
//! compile errors of each backend.
//!
//! Each program prints every element in the loop and then fact(5); the checks
//! are the same everywhere: the sequence of lines, a local's value at a chosen
//! step, the return values of fact, and `stdout_len` growing at the step after
//! the first print.

mod common;

use common::*;
use flash_debugger::{Event, Trace, TraceStatus};

/// The checks shared by every language. `body` is the loop body's first line,
/// `print` the loop's print line; `main_lines` the expected line steps of
/// the function that holds the loop, up to the call of fact.
fn check_program(t: &Trace, main_lines: &[u32], print: u32, total_name: &str) {
    assert_eq!(t.status, TraceStatus::Ok, "{:?}", t.message);
    assert_eq!(t.exit, Some(0));
    assert_eq!(t.stdout, "3\n1\n4\n120\n");
    // The sequence of lines of the loop's function.
    let func = t.steps.iter().find(|s| s.line == print).map(|s| s.func.clone()).expect("the print line is traced");
    let lines: Vec<u32> = t
        .steps
        .iter()
        .filter(|s| s.event == Event::Line && s.func == func)
        .map(|s| s.line)
        .take(main_lines.len())
        .collect();
    assert_eq!(lines, main_lines);
    // A local at a chosen step: the second time on the print line, x is 1 and the total 4.
    let second =
        t.steps.iter().filter(|s| s.event == Event::Line && s.line == print).nth(1).expect("the loop runs three times");
    assert_eq!(local(second, "x").and_then(|v| v.value.as_deref()), Some("1"));
    assert_eq!(local(second, total_name).and_then(|v| v.value.as_deref()), Some("4"));
    // Recursion: five calls of fact with n = 5..1, returning 1, 2, 6, 24, 120.
    let calls: Vec<&str> = t
        .steps
        .iter()
        .filter(|s| s.event == Event::Call && s.func == "fact")
        .map(|s| local(s, "n").and_then(|v| v.value.as_deref()).unwrap_or("?"))
        .collect();
    assert_eq!(calls, ["5", "4", "3", "2", "1"]);
    let returns: Vec<&str> = t
        .steps
        .iter()
        .filter(|s| s.event == Event::Return && s.func == "fact")
        .map(|s| s.return_value.as_ref().and_then(|v| v.value.as_deref()).unwrap_or("?"))
        .collect();
    assert_eq!(returns, ["1", "2", "6", "24", "120"]);
    let depth_at_base = t
        .steps
        .iter()
        .find(|s| s.event == Event::Return && s.func == "fact")
        .map(|s| s.frames.iter().filter(|f| f.func == "fact").count());
    assert_eq!(depth_at_base, Some(5), "five fact frames at the innermost return");
    // stdout_len: 0 on the first print line, 2 ("3\n") at the next step.
    let i = t.steps.iter().position(|s| s.event == Event::Line && s.line == print).unwrap();
    assert_eq!(t.steps[i].stdout_len, 0);
    assert_eq!(t.steps[i + 1].stdout_len, 2);
    assert_eq!(t.steps.last().unwrap().stdout_len as usize, t.stdout.len());
    let mut prev = 0;
    for s in &t.steps {
        assert!(s.stdout_len >= prev, "stdout_len never shrinks");
        prev = s.stdout_len;
    }
}

/// A program far longer than `max_steps` stops there, cleanly.
fn check_step_limit(t: &Trace, max: usize) {
    assert_eq!(t.status, TraceStatus::StepLimit, "{:?}", t.message);
    assert_eq!(t.steps.len(), max);
    assert_eq!(t.exit, None);
}

const PY: &str = "\
def fact(n):
    if n <= 1:
        return 1
    return n * fact(n - 1)

nums = [3, 1, 4]
total = 0
for x in nums:
    total += x
    print(x)
print(fact(5))
";

#[test]
#[ignore = "needs root: scripts/test.sh runs it"]
fn python_recursion_and_loop() {
    require_root();
    let p = pool(1);
    let t = trace(&p, "python", PY, "", None);
    check_program(&t, &[1, 6, 7, 8, 9, 10, 8, 9, 10, 8, 9, 10, 8, 11], 10, "total");
    let nums = local(&t.steps[3], "nums").unwrap();
    let items: Vec<&str> = nums.items.as_ref().unwrap().iter().filter_map(|v| v.value.as_deref()).collect();
    assert_eq!((nums.ty.as_str(), items), ("list", vec!["3", "1", "4"]));
}

#[test]
#[ignore = "needs root: scripts/test.sh runs it"]
fn python_limits_input_and_errors() {
    require_root();
    let p = pool(1);
    check_step_limit(&trace(&p, "python", PY, "", Some(10)), 10);
    check_step_limit(&trace(&p, "python", "i = 0\nwhile True:\n    i += 1\n", "", Some(200)), 200);
    // input() reads the request's input.
    let t = trace(&p, "python", "name = input()\nprint('hi', name)\n", "bob\n", None);
    assert_eq!((t.status, t.stdout.as_str()), (TraceStatus::Ok, "hi bob\n"));
    let t = trace(&p, "python", "x = 1\ndef f(:\n", "", None);
    assert_eq!(t.status, TraceStatus::CompileError);
    assert!(t.compile_output.contains("SyntaxError"), "{}", t.compile_output);
    assert!(t.steps.is_empty());
    // An uncaught exception: its own event, the traceback on stderr, exit code 1.
    let t = trace(&p, "python", "def f(d):\n    return d['k']\nf({})\n", "", None);
    assert_eq!((t.status, t.exit), (TraceStatus::RuntimeError, Some(1)));
    let last = t.steps.last().unwrap();
    assert_eq!((last.event, last.line), (Event::UncaughtException, 2));
    assert_eq!(last.exception.as_ref().unwrap().ty, "KeyError");
    assert!(t.stderr.contains("KeyError: 'k'"), "{}", t.stderr);
    assert!(!t.stderr.contains("tracer.py"), "{}", t.stderr);
}

const CPP: &str = "\
#include <iostream>
#include <vector>
long long fact(int n) {
    if (n <= 1) return 1;
    return n * fact(n - 1);
}
int main() {
    std::vector<int> nums = {3, 1, 4};
    int total = 0;
    for (int x : nums) {
        total += x;
        std::cout << x << std::endl;
    }
    std::cout << fact(5) << std::endl;
    return 0;
}
";

#[test]
#[ignore = "needs root: scripts/test.sh runs it"]
fn cpp_recursion_and_loop() {
    require_root();
    let p = pool(1);
    let t = trace(&p, "cpp", CPP, "", None);
    check_program(&t, &[8, 9, 10, 11, 12, 10, 11, 12, 10, 11, 12, 10, 14], 12, "total");
    // The pretty printers: std::vector reads as its elements.
    let at9 = t.steps.iter().find(|s| s.line == 9).unwrap();
    let nums = local(at9, "nums").unwrap();
    let items: Vec<&str> = nums.items.as_ref().unwrap().iter().filter_map(|v| v.value.as_deref()).collect();
    assert_eq!(items, ["3", "1", "4"]);
    assert!(nums.ty.starts_with("std::vector<int"), "{}", nums.ty);
}

#[test]
#[ignore = "needs root: scripts/test.sh runs it"]
fn cpp_limits_and_compile_error() {
    require_root();
    let p = pool(1);
    check_step_limit(&trace(&p, "cpp", CPP, "", Some(10)), 10);
    let forever = "int main() {\n    volatile int i = 0;\n    for (;;) {\n        i++;\n    }\n}\n";
    check_step_limit(&trace(&p, "cpp", forever, "", Some(300)), 300);
    let t = trace(&p, "cpp", "int main() {\n    int x = 1\n    return x;\n}\n", "", None);
    assert_eq!(t.status, TraceStatus::CompileError);
    assert!(t.compile_output.contains("error:"), "{}", t.compile_output);
    assert!(t.compile_output.contains("main.cpp:"), "{}", t.compile_output);
}

const JS: &str = "\
function fact(n) {
  if (n <= 1) return 1;
  return n * fact(n - 1);
}
const nums = [3, 1, 4];
let total = 0;
for (const x of nums) {
  total += x;
  console.log(x);
}
console.log(fact(5));
setTimeout(() => {
  total = -1;
}, 0);
";

#[test]
#[ignore = "needs root: scripts/test.sh runs it"]
fn javascript_recursion_loop_and_timer() {
    require_root();
    let p = pool(1);
    let t = trace(&p, "javascript", JS, "", None);
    check_program(&t, &[5, 6, 7, 8, 9, 7, 8, 9, 7, 8, 9, 7, 11, 12], 9, "total");
    // The timer's callback runs after the script and is traced too (breakpoints, not stepping).
    assert!(t.steps.iter().any(|s| s.line == 13 && s.event == Event::Line));
}

#[test]
#[ignore = "needs root: scripts/test.sh runs it"]
fn javascript_limits_and_syntax_error() {
    require_root();
    let p = pool(1);
    check_step_limit(&trace(&p, "javascript", JS, "", Some(10)), 10);
    check_step_limit(&trace(&p, "javascript", "let i = 0;\nwhile (true) {\n  i++;\n}\n", "", Some(200)), 200);
    let t = trace(&p, "javascript", "let x = 1;\nfunction f( {\n", "", None);
    assert_eq!(t.status, TraceStatus::CompileError);
    assert!(t.compile_output.contains("SyntaxError"), "{}", t.compile_output);
}

const JAVA: &str = "\
import java.util.*;

public class Main {
    static long fact(int n) {
        if (n <= 1) return 1;
        return n * fact(n - 1);
    }

    public static void main(String[] args) {
        List<Integer> nums = new ArrayList<>(List.of(3, 1, 4));
        int total = 0;
        for (int x : nums) {
            total += x;
            System.out.println(x);
        }
        System.out.println(fact(5));
    }
}
";

#[test]
#[ignore = "needs root: scripts/test.sh runs it"]
fn java_recursion_and_loop() {
    require_root();
    let p = pool(1);
    let t = trace(&p, "java", JAVA, "", None);
    check_program(&t, &[10, 11, 12, 13, 14, 12, 13, 14, 12, 13, 14, 12, 16], 14, "total");
    let at11 = t.steps.iter().find(|s| s.line == 11).unwrap();
    let nums = local(at11, "nums").unwrap();
    let items: Vec<&str> = nums.items.as_ref().unwrap().iter().filter_map(|v| v.value.as_deref()).collect();
    assert_eq!((nums.ty.as_str(), items), ("ArrayList", vec!["3", "1", "4"]));
}

#[test]
#[ignore = "needs root: scripts/test.sh runs it"]
fn java_limits_and_compile_error() {
    require_root();
    let p = pool(1);
    check_step_limit(&trace(&p, "java", JAVA, "", Some(10)), 10);
    let forever = "public class Main {\n    public static void main(String[] a) {\n        int i = 0;\n        while (true) {\n            i++;\n        }\n    }\n}\n";
    check_step_limit(&trace(&p, "java", forever, "", Some(200)), 200);
    let t = trace(&p, "java", "public class Main {\n    int x = \n}\n", "", None);
    assert_eq!(t.status, TraceStatus::CompileError);
    assert!(t.compile_output.contains("error:"), "{}", t.compile_output);
}

/// Issue 12: the debug build goes through the engine's compile step, so a
/// second `/debug` of the same C program is served from the compile cache
/// (no compiler runs) and traces the same.
#[test]
#[ignore = "needs root: scripts/test.sh runs it"]
fn a_second_debug_of_the_same_c_program_does_not_recompile() {
    require_root();
    let p = pool(1);
    let code = "#include <stdio.h>\nint main() {\n    int x = 6 * 7;\n    printf(\"%d\\n\", x);\n    return 0;\n}\n";
    let clock = std::time::Instant::now();
    let first = trace(&p, "c", code, "", None);
    let first_ms = clock.elapsed().as_millis();
    assert_eq!(first.status, TraceStatus::Ok, "{:?}", first.message);
    assert_eq!(p.engine.compiles_run(), 1);
    let clock = std::time::Instant::now();
    let second = trace(&p, "c", code, "", None);
    let second_ms = clock.elapsed().as_millis();
    eprintln!("first /debug {first_ms} ms (compiled), second {second_ms} ms (cached build)");
    assert_eq!(second.status, TraceStatus::Ok, "{:?}", second.message);
    assert_eq!(p.engine.compiles_run(), 1, "the second debug build came from the cache");
    assert_eq!(second.compile_output, first.compile_output);
    let lines = |t: &Trace| t.steps.iter().map(|s| (s.event, s.line)).collect::<Vec<_>>();
    assert_eq!(lines(&second), lines(&first));
    assert_eq!(second.stdout, "42\n");
}
