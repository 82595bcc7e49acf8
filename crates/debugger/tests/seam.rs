//! The debugger's logic through the engine and the [`flash_sandbox::Sandbox`]
//! seam, with a scripted fake sandbox: no root, no gdb, nothing executed.
//! What the fake records is what the debugger would have run (the debug build
//! through the engine's compile step, then the tracer); what it answers is
//! what those runs "did". `contained.rs` and `languages.rs` prove the same
//! against real boxes, as root.

use flash_debugger::{DebugLimits, DebugRequest, Event, TraceStatus};
use flash_engine::{Engine, EngineConfig, Registry};
use flash_sandbox::testing::{reply, stdin_of, FakeSandbox, Reply};
use flash_sandbox::{RunResult, RunSpec, Status};
use std::sync::Arc;

const TRACE: &str = ".flash-debug/trace.jsonl";

fn engine(fake: Arc<FakeSandbox>) -> (Engine, tempfile::TempDir) {
    let reg = Registry::from_toml(flash_engine::registry::SHIPPED, |_| Ok("1".into())).unwrap();
    let dir = tempfile::tempdir().unwrap();
    (Engine::new(fake, reg, EngineConfig::new(dir.path().join("cache"))).unwrap(), dir)
}

fn is_build(spec: &RunSpec) -> bool {
    spec.argv[0].ends_with("gcc") || spec.argv[0].ends_with("g++") || spec.argv[0].ends_with("javac")
}

fn step(line: u32) -> String {
    format!(
        r#"{{"event":"line","line":{line},"func":"main","frames":[{{"func":"main","line":{line},"locals":[{{"name":"x","type":"int","value":"{line}"}}]}}],"stdout_len":0}}"#
    )
}

/// A traced run that recorded steps at `lines` and ended normally.
fn traced(lines: &[u32]) -> RunResult {
    let mut text: String = lines.iter().map(|l| step(*l) + "\n").collect();
    text.push_str("{\"end\":\"done\",\"exit\":0}\n");
    reply(Status::Ok).with_stdout(b"3\n").with_file(TRACE, 0o644, text.as_bytes())
}

/// A fake whose builds succeed and whose traced runs record `lines`.
fn debugging(lines: &'static [u32]) -> Arc<FakeSandbox> {
    Arc::new(FakeSandbox::new(move |spec| {
        Ok(match is_build(spec) {
            true => reply(Status::Ok).with_stdout(b"note: built\n").with_file("main", 0o755, b"\x7fELF"),
            false => traced(lines),
        })
    }))
}

fn req(language: &str, code: &str) -> DebugRequest {
    DebugRequest { code: code.into(), language: language.into(), input: "in\n".into(), ..Default::default() }
}

const C: &str = "int main() {\n    int x = 1;\n    return 0;\n}\n";

#[test]
fn a_c_program_is_built_through_the_engine_and_traced_under_gdb() {
    let fake = debugging(&[2, 3]);
    let (engine, _dir) = engine(fake.clone());
    let t = flash_debugger::debug(&engine, &req("c", C), &DebugLimits::default()).unwrap();
    assert_eq!(t.status, TraceStatus::Ok, "{:?}", t.message);
    assert_eq!(t.steps.iter().map(|s| (s.event, s.line)).collect::<Vec<_>>(), [(Event::Line, 2), (Event::Line, 3)]);
    assert_eq!((t.stdout.as_str(), t.compile_output.as_str(), t.exit), ("3\n", "note: built\n", Some(0)));
    let calls = fake.calls();
    assert_eq!(calls.len(), 2);
    let (build, run) = (&calls[0].spec, &calls[1].spec);
    assert!(build.argv.contains(&"-O0".to_string()) && build.argv.contains(&"-g".to_string()), "{:?}", build.argv);
    assert!(build.files.iter().any(|f| f.path == "main.c" && f.data == C.as_bytes()));
    assert!(!build.debugger, "the compiler gets the strict seccomp profile");
    assert_eq!(run.argv[0], "/usr/bin/gdb");
    assert!(run.debugger, "gdb needs ptrace: the debugger profile");
    assert!(run.collect.is_empty(), "nothing of the box is taken as the trace: {:?}", run.collect);
    assert_eq!(run.private_output.as_deref(), Some(TRACE), "the trace comes from the tracer's private descriptor");
    assert_eq!(stdin_of(run), b"in\n");
    let main = run.binds.iter().find(|b| b.path == "main").expect("the debug build is bound");
    assert_eq!(std::fs::read(&main.source).unwrap(), b"\x7fELF", "from the compile cache's disk");
    assert!(!run.files.iter().any(|f| f.path == "main"), "bound, never copied");
    assert!(run.files.iter().any(|f| f.path == "main.c"), "gdb reads the source");
    assert!(run.files.iter().any(|f| f.path == ".flash-debug/config.json"));
    assert_eq!(engine.compiles_run(), 1);
}

#[test]
fn a_second_debug_of_the_same_program_does_not_recompile() {
    let fake = debugging(&[2]);
    let (engine, _dir) = engine(fake.clone());
    for _ in 0..3 {
        let t = flash_debugger::debug(&engine, &req("cpp", C), &DebugLimits::default()).unwrap();
        assert_eq!(t.status, TraceStatus::Ok, "{:?}", t.message);
        assert_eq!(t.compile_output, "note: built\n", "a cached build keeps its compiler output");
    }
    assert_eq!(engine.compiles_run(), 1);
    let builds = fake.argvs().iter().filter(|a| a[0].ends_with("g++")).count();
    assert_eq!((builds, fake.calls().len()), (1, 4), "{:?}", fake.argvs());
    // Another program is another build.
    flash_debugger::debug(&engine, &req("cpp", "int main() {}\n"), &DebugLimits::default()).unwrap();
    assert_eq!(engine.compiles_run(), 2);
}

#[test]
fn a_debug_build_and_a_normal_build_are_not_confused() {
    let fake = debugging(&[2]);
    let (engine, _dir) = engine(fake.clone());
    let sub = flash_engine::Submission { language: "c".into(), source: C.into(), ..Default::default() };
    engine.judge(&sub).unwrap();
    flash_debugger::debug(&engine, &req("c", C), &DebugLimits::default()).unwrap();
    assert_eq!(engine.compiles_run(), 2, "-O2 and -g -O0 builds of one source are two entries");
}

#[test]
fn a_compile_error_is_answered_with_the_compilers_output_and_no_run() {
    let fake = Arc::new(FakeSandbox::new(|spec| {
        assert!(is_build(spec), "nothing is traced after a compile error");
        Ok(reply(Status::RuntimeError).with_stdout(b"main.c:2:5: error: expected ';'\n"))
    }));
    let (engine, _dir) = engine(fake.clone());
    for _ in 0..2 {
        let t = flash_debugger::debug(&engine, &req("c", "int main() {\n    x\n}\n"), &DebugLimits::default()).unwrap();
        assert_eq!((t.status, t.message.as_deref()), (TraceStatus::CompileError, None));
        assert_eq!(t.compile_output, "main.c:2:5: error: expected ';'\n");
        assert!(t.steps.is_empty());
    }
    assert_eq!(fake.calls().len(), 1, "a compile error is cached like a build");
}

#[test]
fn a_build_stopped_by_a_limit_is_a_compile_error_that_says_why() {
    let fake = Arc::new(FakeSandbox::new(|_| Ok(reply(Status::TimeLimit))));
    let (engine, _dir) = engine(fake.clone());
    let t = flash_debugger::debug(&engine, &req("cpp", C), &DebugLimits::default()).unwrap();
    assert_eq!(t.status, TraceStatus::CompileError);
    assert!(t.compile_output.contains("compilation time limit exceeded"), "{}", t.compile_output);
}

#[test]
fn a_failing_sandbox_is_an_internal_error() {
    let fake = Arc::new(FakeSandbox::new(|spec| match is_build(spec) {
        true => Err(flash_sandbox::Error::Helper("slot 0: gone".into())),
        false => unreachable!("no build, no run"),
    }));
    let (engine, _dir) = engine(fake);
    let t = flash_debugger::debug(&engine, &req("c", C), &DebugLimits::default()).unwrap();
    assert_eq!(t.status, TraceStatus::InternalError);
    assert_eq!(t.message.as_deref(), Some("compile step: helper failed: slot 0: gone"));

    let fake = Arc::new(FakeSandbox::new(|_| Err(flash_sandbox::Error::Helper("slot 0: gone".into()))));
    let (engine, _dir) = self::engine(fake);
    let t = flash_debugger::debug(&engine, &req("python", "print(1)\n"), &DebugLimits::default()).unwrap();
    assert_eq!(t.status, TraceStatus::InternalError);
    assert_eq!(t.message.as_deref(), Some("sandbox: helper failed: slot 0: gone"));
}

#[test]
fn python_is_traced_in_its_own_interpreter_with_no_build() {
    let fake = debugging(&[1]);
    let (engine, _dir) = engine(fake.clone());
    let t = flash_debugger::debug(&engine, &req("python", "x = 1\n"), &DebugLimits::default()).unwrap();
    assert_eq!(t.status, TraceStatus::Ok, "{:?}", t.message);
    let calls = fake.calls();
    assert_eq!(calls.len(), 1);
    let run = &calls[0].spec;
    assert_eq!(run.argv, ["/usr/bin/python3", "-u", ".flash-debug/tracer.py"]);
    assert!(!run.debugger, "sys.settrace needs no ptrace");
    assert!(run.files.iter().any(|f| f.path == "main.py" && f.data == b"x = 1\n"));
    assert_eq!(engine.compiles_run(), 0);
}

#[test]
fn the_traced_runs_verdicts_become_trace_statuses() {
    for (status, want) in [
        (Status::TimeLimit, TraceStatus::TimeLimit),
        (Status::WallTimeLimit, TraceStatus::TimeLimit),
        (Status::OutputLimit, TraceStatus::OutputLimit),
        (Status::MemoryLimit, TraceStatus::RuntimeError),
        (Status::InternalError, TraceStatus::InternalError),
    ] {
        let fake = Arc::new(FakeSandbox::new(move |_| Ok(reply(status))));
        let (engine, _dir) = engine(fake);
        let t = flash_debugger::debug(&engine, &req("python", "x = 1\n"), &DebugLimits::default()).unwrap();
        assert_eq!(t.status, want, "{status:?}");
    }
    // No end record: the program's own exit decides.
    let fake = Arc::new(FakeSandbox::new(|_| Ok(reply(Status::Signaled).with_signal(11))));
    let (engine, _dir) = engine(fake);
    let t = flash_debugger::debug(&engine, &req("python", "x = 1\n"), &DebugLimits::default()).unwrap();
    assert_eq!((t.status, t.signal), (TraceStatus::RuntimeError, Some(11)));
    assert_eq!(t.message.as_deref(), Some("killed by signal 11 (the trace has no end record)"));
}

#[test]
fn a_step_limit_is_reported_and_bad_requests_are_refused() {
    let fake = debugging(&[1, 2, 3, 4, 5]);
    let (engine, _dir) = engine(fake.clone());
    let r = DebugRequest { max_steps: Some(3), ..req("python", "x = 1\n") };
    let t = flash_debugger::debug(&engine, &r, &DebugLimits::default()).unwrap();
    assert_eq!((t.status, t.steps.len()), (TraceStatus::StepLimit, 3));
    for (language, max_steps) in [("klingon", None), ("sql", None), ("python", Some(0))] {
        let r = DebugRequest { max_steps, ..req(language, "x") };
        assert!(flash_debugger::debug(&engine, &r, &DebugLimits::default()).is_err(), "{language}");
    }
    assert_eq!(fake.calls().len(), 1, "a refused request runs nothing");
}

#[test]
fn java_builds_the_program_and_the_tracer_through_the_engine() {
    let fake = Arc::new(FakeSandbox::new(|spec| {
        let tracer = spec.files.iter().any(|f| f.path == "Tracer.java");
        Ok(match (tracer, spec.argv[0].ends_with("javac")) {
            (true, _) => reply(Status::Ok).with_file("Tracer.class", 0o644, b"\xca\xfe").with_file(
                "libnodump.so",
                0o644,
                b"\x7fELF",
            ),
            (false, true) => reply(Status::Ok).with_file("Main.class", 0o644, b"\xca\xfe\xba\xbe"),
            (false, false) => traced(&[3]),
        })
    }));
    let (engine, _dir) = engine(fake.clone());
    let code = "public class Main { public static void main(String[] a) { int x = 1; } }\n";
    let t = flash_debugger::debug(&engine, &req("java", code), &DebugLimits::default()).unwrap();
    assert_eq!(t.status, TraceStatus::Ok, "{:?}", t.message);
    let run = fake.calls().pop().unwrap().spec;
    assert!(run.binds.iter().any(|b| b.path == "Main.class"));
    assert!(run.binds.iter().any(|b| b.path == ".flash-debug/Tracer.class"));
    assert!(run.binds.iter().any(|b| b.path == ".flash-debug/libnodump.so"), "the tracer's guard is bound");
    assert!(run.argv.contains(&"Tracer".to_string()));
}
