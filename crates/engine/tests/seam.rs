//! The engine's logic through the [`flash_sandbox::Sandbox`] seam, with a
//! scripted fake in place of the real pool: no root, no toolchain, nothing
//! executed. What the fake records is what the engine would have run; what it
//! answers is what the run "did". The root tests (`languages.rs`) prove the
//! same paths against real boxes.

use flash_engine::{
    Comparison, Engine, EngineConfig, LiveEvent, Prepared, Registry, RunExtra, StatusId, Submission, TestCase,
};
use flash_sandbox::testing::{reply, stdin_of, FakeSandbox, Reply, Via};
use flash_sandbox::{RunResult, RunSpec, Status};
use std::sync::Arc;

/// The shipped languages, every toolchain "found" at version 1.
fn registry() -> Registry {
    Registry::from_toml(flash_engine::registry::SHIPPED, |_| Ok("1".into())).expect("the shipped table parses")
}

/// An engine over `fake`, with its own empty compile cache.
fn engine(fake: Arc<FakeSandbox>, registry: Registry) -> (Engine, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let engine = Engine::new(fake, registry, EngineConfig::new(dir.path().join("cache"))).expect("engine");
    (engine, dir)
}

fn is_compile(spec: &RunSpec) -> bool {
    spec.argv.first().is_some_and(|a| a.ends_with("g++") || a.ends_with("gcc") || a.ends_with("javac"))
}

/// A fake whose compiles succeed (leaving `main`) and whose runs echo their stdin.
fn echoing() -> Arc<FakeSandbox> {
    Arc::new(FakeSandbox::new(|spec| {
        Ok(match is_compile(spec) {
            true => reply(Status::Ok).with_stdout(b"warning: fine\n").with_file("main", 0o755, b"\x7fELF"),
            false => reply(Status::Ok).with_stdout(stdin_of(spec)),
        })
    }))
}

/// A host file's permission bits.
fn mode(p: &std::path::Path) -> u32 {
    std::os::unix::fs::PermissionsExt::mode(&std::fs::metadata(p).unwrap().permissions()) & 0o777
}

fn cpp(source: &str) -> Submission {
    Submission { language: "cpp".into(), source: source.as_bytes().to_vec(), ..Submission::default() }
}

fn case(input: &str, expected: &str) -> TestCase {
    TestCase { input: input.as_bytes().to_vec(), expected: Some(expected.as_bytes().to_vec()) }
}

#[test]
fn a_submission_with_tests_compiles_once_and_runs_each_case() {
    let fake = echoing();
    let (engine, _dir) = engine(fake.clone(), registry());
    let sub = Submission { tests: vec![case("1\n", "1"), case("2\n", "2"), case("3\n", "3")], ..cpp("int main(){}") };
    let j = engine.judge(&sub).unwrap();
    assert_eq!(j.run.status, StatusId::Accepted, "{:?}", j.run.message);
    assert_eq!(j.tests.len(), 3);
    assert_eq!(j.compile_output, b"warning: fine\n");
    let calls = fake.calls();
    assert_eq!(calls.len(), 4, "{:?}", fake.argvs());
    let compile = &calls[0].spec;
    assert!(is_compile(compile));
    assert_eq!(compile.collect, ["main"]);
    assert!(compile.merge_stderr, "the compiler's messages are one stream");
    assert!(compile.collect_into.is_some(), "the artifacts go straight to the cache's disk");
    assert!(compile.files.iter().any(|f| f.path == "main.cpp" && f.data == b"int main(){}"));
    for (call, input) in calls[1..].iter().zip(["1\n", "2\n", "3\n"]) {
        assert_eq!(call.spec.argv, ["./main"]);
        assert_eq!(stdin_of(&call.spec), input.as_bytes());
        let main = call.spec.binds.iter().find(|b| b.path == "main").expect("the artifact is bound");
        assert_eq!(std::fs::read(&main.source).unwrap(), b"\x7fELF", "the blob on the cache's disk");
        assert_eq!(mode(&main.source), 0o555, "read-only, executable as it was in the compile box");
        assert!(!call.spec.files.iter().any(|f| f.path == "main"), "bound, never copied");
        assert!(!call.spec.files.iter().any(|f| f.path == "main.cpp"), "a compiled program's run box has no source");
    }
    assert_eq!(engine.compiles_run(), 1);
}

#[test]
fn an_identical_submission_is_served_from_the_compile_cache() {
    let fake = echoing();
    let (engine, _dir) = engine(fake.clone(), registry());
    let first = engine.judge(&cpp("int main(){return 0;}")).unwrap();
    let second = engine.judge(&cpp("int main(){return 0;}")).unwrap();
    assert!(!first.compile_cached && second.compile_cached);
    assert_eq!(engine.compiles_run(), 1);
    assert_eq!(fake.argvs().iter().filter(|a| a[0].ends_with("g++")).count(), 1, "{:?}", fake.argvs());
    // Other compiler options are another compile.
    let opts = Submission { compiler_options: Some("-O0".into()), ..cpp("int main(){return 0;}") };
    assert!(!engine.judge(&opts).unwrap().compile_cached);
    assert_eq!(engine.compiles_run(), 2);
    let last_compile = fake.argvs().into_iter().rfind(|a| a[0].ends_with("g++")).unwrap();
    assert!(last_compile.contains(&"-O0".to_string()), "{last_compile:?}");
}

#[test]
fn a_compile_error_is_a_verdict_and_is_cached() {
    let fake = Arc::new(FakeSandbox::new(|spec| {
        assert!(is_compile(spec), "a program that did not compile is never run");
        Ok(reply(Status::RuntimeError).with_stdout(b"main.cpp:1:1: error: expected ';'\n"))
    }));
    let (engine, _dir) = engine(fake.clone(), registry());
    for cached in [false, true] {
        let j = engine.judge(&cpp("int main(){")).unwrap();
        assert_eq!(j.run.status, StatusId::CompilationError);
        assert_eq!(j.compile_output, b"main.cpp:1:1: error: expected ';'\n");
        assert_eq!((j.compile_cached, j.run.message.as_deref()), (cached, None));
    }
    assert_eq!(fake.calls().len(), 1);
}

#[test]
fn a_compile_stopped_by_a_limit_says_so_and_is_not_cached() {
    let fake = Arc::new(FakeSandbox::new(|_| Ok(reply(Status::TimeLimit).with_stdout(b"partial\n"))));
    let (engine, _dir) = engine(fake.clone(), registry());
    for _ in 0..2 {
        let j = engine.judge(&cpp("template bomb")).unwrap();
        assert_eq!(j.run.status, StatusId::CompilationError);
        assert_eq!(j.compile_output, b"partial\n\ncompilation time limit exceeded\n");
        assert!(!j.compile_cached);
    }
    assert_eq!(engine.compiles_run(), 2, "a limit is not a property of the source: compile again");
}

#[test]
fn a_compiler_that_cannot_start_is_an_internal_error() {
    let fake = Arc::new(FakeSandbox::new(|_| {
        Ok(reply(Status::ExecFailed).with_message("execve failed: No such file or directory (os error 2)"))
    }));
    let (engine, _dir) = engine(fake, registry());
    let j = engine.judge(&cpp("int main(){}")).unwrap();
    assert_eq!(j.run.status, StatusId::InternalError);
    assert_eq!(
        j.run.message.as_deref(),
        Some("compile step failed: execve failed: No such file or directory (os error 2)")
    );
}

#[test]
fn a_failing_sandbox_is_an_internal_error_with_its_message() {
    let fake = Arc::new(FakeSandbox::new(|spec| match is_compile(spec) {
        true => Ok(reply(Status::Ok).with_file("main", 0o755, b"bin")),
        false => Err(flash_sandbox::Error::Helper("slot 0: the helper hung up".into())),
    }));
    let (engine, _dir) = engine(fake, registry());
    let j = engine.judge(&cpp("int main(){}")).unwrap();
    assert_eq!(j.run.status, StatusId::InternalError);
    assert_eq!(j.run.message.as_deref(), Some("helper failed: slot 0: the helper hung up"));
}

/// The judgement of one run that the fake answers with `run`.
fn verdict_of(run: RunResult, expected: Option<&str>) -> (StatusId, Option<String>) {
    let run = std::sync::Mutex::new(Some(run));
    let fake = Arc::new(FakeSandbox::new(move |spec| match is_compile(spec) {
        true => Ok(reply(Status::Ok).with_file("main", 0o755, b"bin")),
        false => Ok(run.lock().unwrap().take().expect("one run")),
    }));
    let (engine, _dir) = engine(fake, registry());
    let sub = Submission { expected: expected.map(|e| e.as_bytes().to_vec()), ..cpp("int main(){}") };
    let j = engine.judge(&sub).unwrap();
    (j.run.status, j.run.message)
}

#[test]
fn sandbox_statuses_become_judge0_verdicts() {
    let cases: Vec<(RunResult, StatusId, Option<&str>)> = vec![
        (reply(Status::Ok).with_stdout(b"42\n"), StatusId::Accepted, None),
        (reply(Status::TimeLimit), StatusId::TimeLimitExceeded, Some("CPU time limit exceeded")),
        (reply(Status::WallTimeLimit), StatusId::TimeLimitExceeded, Some("wall time limit exceeded")),
        (reply(Status::MemoryLimit), StatusId::MemoryLimitExceeded, Some("memory limit exceeded")),
        (reply(Status::OutputLimit), StatusId::OutputLimitExceeded, Some("output limit exceeded")),
        (reply(Status::FileSizeLimit), StatusId::RuntimeSigxfsz, Some("file size limit exceeded")),
        (reply(Status::RuntimeError).with_exit(3), StatusId::RuntimeNzec, Some("exited with code 3")),
        (reply(Status::Signaled).with_signal(11), StatusId::RuntimeSigsegv, Some("killed by signal 11 (SIGSEGV)")),
        (reply(Status::Signaled).with_signal(8), StatusId::RuntimeSigfpe, Some("killed by signal 8 (SIGFPE)")),
        (reply(Status::Signaled).with_signal(6), StatusId::RuntimeSigabrt, Some("killed by signal 6 (SIGABRT)")),
        (reply(Status::InternalError).with_message("boom"), StatusId::InternalError, Some("boom")),
    ];
    for (run, want, message) in cases {
        let what = format!("{:?}", run.meas.status);
        assert_eq!(verdict_of(run, Some("42")), (want, message.map(str::to_owned)), "{what}");
    }
}

#[test]
fn output_is_compared_as_judge0_does() {
    let ok = |out: &[u8]| verdict_of(reply(Status::Ok).with_stdout(out), Some("1 2\n3")).0;
    assert_eq!(ok(b"1 2  \n3\n\n\n"), StatusId::Accepted, "trailing spaces and blank lines do not count");
    assert_eq!(ok(b"1 2\n4\n"), StatusId::WrongAnswer);
    assert_eq!(ok(b" 1 2\n3\n"), StatusId::WrongAnswer, "leading spaces count");
    // A memory limit reached and a runtime's own out-of-memory report are a memory verdict.
    let mut hit = reply(Status::RuntimeError);
    hit.meas.memory_limit_hit = true;
    assert_eq!(verdict_of(hit, None).0, StatusId::MemoryLimitExceeded);
    let bad_alloc = reply(Status::Signaled).with_signal(6).with_stderr(b"terminate called after std::bad_alloc");
    assert_eq!(verdict_of(bad_alloc, None).0, StatusId::MemoryLimitExceeded);
}

#[test]
fn a_submissions_comparison_judges_every_test_and_says_where_it_differs() {
    let fake = echoing();
    let (engine, _dir) = engine(fake, registry());
    let tests = vec![case("0.3333333 x", "0.333333333 x"), case("1.5", "1.4")];
    let judge0 = engine.judge(&Submission { tests: tests.clone(), ..cpp("int main(){}") }).unwrap();
    assert_eq!(judge0.tests[0].status, StatusId::WrongAnswer, "Judge0's rule compares text");
    let float = Comparison::Float { relative: None, absolute: Some(1e-6) };
    let j = engine.judge(&Submission { tests, comparison: float, ..cpp("int main(){}") }).unwrap();
    assert_eq!(j.tests[0].status, StatusId::Accepted);
    assert_eq!(j.tests[1].status, StatusId::WrongAnswer);
    let why = j.tests[1].message.as_deref().unwrap();
    assert!(why.starts_with("token 1: expected \"1.4\", got \"1.5\""), "{why}");
    assert_eq!(judge0.tests[1].message, None, "Judge0's rule says nothing, as Judge0 does");
}

#[test]
fn stop_on_first_failure_stops_and_names_the_test() {
    let fake = echoing();
    let (engine, _dir) = engine(fake.clone(), registry());
    let sub = Submission {
        tests: vec![case("1", "1"), case("2", "X"), case("3", "3")],
        stop_on_first_failure: true,
        ..cpp("int main(){}")
    };
    let j = engine.judge(&sub).unwrap();
    assert_eq!(j.run.status, StatusId::WrongAnswer);
    assert_eq!(j.tests.len(), 2);
    assert_eq!(j.run.message.as_deref(), Some("test 2: Wrong Answer"));
    assert_eq!(fake.calls().len(), 3, "one compile and two runs");
}

#[test]
fn an_interpreted_language_runs_its_source_with_no_compile() {
    let fake = echoing();
    let (engine, _dir) = engine(fake.clone(), registry());
    let sub = Submission {
        language: "python".into(),
        source: b"print(input())".to_vec(),
        stdin: b"hi\n".to_vec(),
        args: vec!["a b".into()],
        ..Submission::default()
    };
    let j = engine.judge(&sub).unwrap();
    assert_eq!((j.run.status, j.run.stdout.as_slice()), (StatusId::Accepted, b"hi\n".as_slice()));
    let calls = fake.calls();
    assert_eq!(calls.len(), 1);
    assert_eq!(calls[0].spec.argv, ["/usr/bin/python3", "-u", "main.py", "a b"]);
    assert!(calls[0].spec.files.iter().any(|f| f.path == "main.py" && f.data == b"print(input())"));
    assert_eq!(engine.compiles_run(), 0);
}

#[test]
fn limits_reach_the_box_with_the_languages_adjustments() {
    let fake = echoing();
    let (engine, _dir) = engine(fake.clone(), registry());
    let mut sub = cpp("int main(){}");
    sub.limits.cpu_time = 1.5;
    sub.limits.memory_kb = 64 * 1024;
    engine.judge(&sub).unwrap();
    let run = fake.calls().pop().unwrap().spec;
    assert_eq!((run.limits.cpu_time, run.limits.memory_kb), (1.5, 64 * 1024));
    // Java needs threads: its minimum wins over a smaller limit asked.
    let java = Submission { language: "java".into(), source: b"class Main {}".to_vec(), ..sub.clone() };
    let fake = Arc::new(FakeSandbox::new(|spec| {
        Ok(match is_compile(spec) {
            true => reply(Status::Ok).with_file("Main.class", 0o644, b"\xca\xfe"),
            false => reply(Status::Ok),
        })
    }));
    let (engine, _dir) = self::engine(fake.clone(), registry());
    let mut java = java;
    java.limits.processes = 2;
    assert_eq!(engine.judge(&java).unwrap().run.status, StatusId::Accepted);
    let run = fake.calls().pop().unwrap().spec;
    assert!(run.limits.processes > 2, "{}", run.limits.processes);
    assert!(run.binds.iter().any(|b| b.path == "Main.class"));
}

#[test]
fn a_live_judgement_tells_its_stages_and_output() {
    let fake = Arc::new(FakeSandbox::new(|spec| {
        Ok(match is_compile(spec) {
            true => reply(Status::Ok).with_stdout(b"note\n").with_file("main", 0o755, b"bin"),
            false => reply(Status::Ok).with_stdout(b"out").with_stderr(b"err"),
        })
    }));
    let (engine, _dir) = engine(fake.clone(), registry());
    let (_tx, rx) = std::sync::mpsc::channel();
    let mut events = Vec::new();
    let j = engine
        .judge_live(&cpp("int main(){}"), rx, &mut |e| {
            events.push(match e {
                LiveEvent::Stage(s) => format!("{s:?}"),
                LiveEvent::Output(s, d) => format!("{s:?}:{}", String::from_utf8_lossy(d)),
            })
        })
        .unwrap();
    assert_eq!(j.run.status, StatusId::Accepted);
    assert_eq!(events, ["Compile", "Stderr:note\n", "Run", "Stdout:out", "Stderr:err"]);
    let calls = fake.calls();
    let vias: Vec<Via> = calls.iter().map(|c| c.via).collect();
    assert_eq!(vias, [Via::Run, Via::Live]);
    assert_eq!(calls[1].spec.stdin, flash_sandbox::Stdin::Live);
}

#[test]
fn a_prepared_program_runs_many_times_and_piped() {
    let fake = echoing();
    let (engine, _dir) = engine(fake.clone(), registry());
    let sub = Submission { args: vec!["x".into()], ..cpp("int main(){}") };
    let Prepared::Ready(program) = engine.prepare(&sub).unwrap() else { panic!("compiles") };
    for i in 0..3 {
        let extra = RunExtra { stdin: format!("{i}").into_bytes(), args: vec!["y".into()], ..RunExtra::default() };
        let r = engine.run_program(&program, extra).unwrap();
        assert_eq!(r.stdout, format!("{i}").into_bytes());
    }
    let (a, b) = std::os::unix::net::UnixStream::pair().unwrap();
    let r = engine.run_program_piped(&program, RunExtra::default(), a.into(), b.into()).unwrap();
    assert_eq!(r.meas.status, Status::Ok);
    let calls = fake.calls();
    assert_eq!(calls.len(), 5);
    assert_eq!(calls[1].spec.argv, ["./main", "x", "y"]);
    assert_eq!((calls[4].via, &calls[4].spec.stdin), (Via::Piped, &flash_sandbox::Stdin::Null));
    assert_eq!(engine.compiles_run(), 1);
}

/// A language whose compile box's whole tree comes back as one archive,
/// unpacked by the engine into the run box (as the multi-file language does).
const TREE_LANGUAGE: &str = r#"
[[language]]
id = 1089
name = "Tree"
display = "Tree"
source = "main.sh"
version_cmd = ["/usr/bin/bash", "--version"]
compile = ["/usr/bin/bash", "-c", "tar -cf .tree.tar ."]
run = ["/usr/bin/bash", "run"]
artifacts = [".tree.tar"]
unpack = ".tree.tar"
"#;

#[test]
fn a_tree_artifact_is_unpacked_into_the_run_box() {
    let mut b = tar::Builder::new(Vec::new());
    for (path, mode, data) in [("./run", 0o755, &b"echo hi"[..]), ("./lib/data.txt", 0o644, b"d")] {
        let mut h = tar::Header::new_gnu();
        h.set_size(data.len() as u64);
        h.set_mode(mode);
        h.set_cksum();
        b.append_data(&mut h, path, data).unwrap();
    }
    let tar = b.into_inner().unwrap();
    let fake = Arc::new(FakeSandbox::new(move |spec| {
        Ok(match spec.argv[0].as_str() {
            "/usr/bin/bash" if spec.argv[1] == "-c" => reply(Status::Ok).with_file(".tree.tar", 0o644, &tar),
            _ => reply(Status::Ok).with_stdout(b"hi\n"),
        })
    }));
    let reg = Registry::from_toml(TREE_LANGUAGE, |_| Ok("1".into())).unwrap();
    let (engine, _dir) = engine(fake.clone(), reg);
    let sub = Submission { language: "Tree".into(), source: b"x".to_vec(), ..Submission::default() };
    assert_eq!(engine.judge(&sub).unwrap().run.status, StatusId::Accepted);
    let run = fake.calls().pop().unwrap().spec;
    let files: Vec<(&str, u32)> = run.binds.iter().map(|b| (b.path.as_str(), mode(&b.source))).collect();
    assert_eq!(files, [("run", 0o555), ("lib/data.txt", 0o444)]);
    assert_eq!(std::fs::read(&run.binds[0].source).unwrap(), b"echo hi");
}

#[test]
fn an_interactive_judge_sees_the_sandboxes_slots() {
    let fake = Arc::new(FakeSandbox::new(|_| Ok(reply(Status::Ok))).with_slots(3));
    let (engine, _dir) = engine(fake, registry());
    assert_eq!(engine.sandbox().slots(), 3);
}

#[test]
fn a_cancelled_submission_stops_between_runs_and_never_cancels_its_compile() {
    // The second run "is cut short": the token fires while it runs.
    let fake = Arc::new(FakeSandbox::new(|spec| {
        if is_compile(spec) {
            return Ok(reply(Status::Ok).with_file("main", 0o755, b"\x7fELF"));
        }
        if stdin_of(spec) == b"2\n" {
            spec.cancel.as_ref().expect("runs carry the token").cancel();
            return Err(flash_sandbox::Error::Cancelled);
        }
        Ok(reply(Status::Ok).with_stdout(stdin_of(spec)))
    }));
    let (eng, _dir) = engine(fake.clone(), registry());
    let cancel = flash_sandbox::Cancel::new();
    let sub = Submission {
        tests: vec![case("1\n", "1"), case("2\n", "2"), case("3\n", "3")],
        cancel: Some(cancel.clone()),
        ..cpp("int main(){}")
    };
    let e = eng.judge(&sub).unwrap_err();
    assert!(matches!(e, flash_engine::Error::Cancelled), "{e}");
    let calls = fake.calls();
    assert_eq!(calls.len(), 3, "the compile and two runs; the third never starts");
    assert_eq!(calls[0].spec.cancel, None, "a compile may be shared: it is not cancelled");
    assert!(calls[1..].iter().all(|c| c.spec.cancel.as_ref() == Some(&cancel)));
    // A token that fired before: nothing runs, not even the compile.
    let again = Arc::new(FakeSandbox::new(|_| Ok(reply(Status::Ok))));
    let (fresh, _dir2) = engine(again.clone(), registry());
    assert!(matches!(fresh.judge(&sub), Err(flash_engine::Error::Cancelled)));
    assert!(again.calls().is_empty());
}

/// A server builds a JVM language's class-data-sharing archive the first time
/// that language is judged, in the background, and no other language's: the
/// archive of a language it is never sent costs nothing. The build is real
/// (kotlinc and the JVM on the host); the judged runs are the fake's.
#[test]
fn a_jvm_languages_archive_is_built_when_it_is_first_judged_and_only_its() {
    let dir = tempfile::tempdir().unwrap();
    let warm = flash_engine::Warm::plan(&registry(), &dir.path().join("warm")).unwrap();
    let ready = |language: &str| warm.describe().iter().any(|(l, _, ready)| l == language && *ready);
    if !warm.describe().iter().any(|(l, _, _)| l == "Kotlin") {
        flash_testkit::prerequisite_missing("Kotlin", "FLASH_SETUP_LANGUAGES=all bash scripts/setup.sh");
        return;
    }
    let mut cfg = EngineConfig::new(dir.path().join("cache"));
    cfg.warm = Some(warm.clone());
    let engine = Engine::new(echoing(), registry(), cfg).expect("engine");
    assert!(!ready("Kotlin") && !ready("Java"));
    let sub =
        Submission { language: "Kotlin".into(), source: b"fun main() { println(1) }".to_vec(), ..Default::default() };
    let _ = engine.judge(&sub);
    let _ = engine.judge(&sub);
    let start = std::time::Instant::now();
    while !ready("Kotlin") {
        assert!(start.elapsed() < std::time::Duration::from_secs(300), "Kotlin's archive was not built");
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    let archive = dir.path().join("warm/kotlin.jsa");
    assert!(std::fs::symlink_metadata(&archive).unwrap().is_file(), "the build replaced the stand-in");
    for never in ["Java", "Scala"] {
        assert!(!ready(never), "{never} was never judged, so its archive is not built");
    }
}
