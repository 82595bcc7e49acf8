//! End-to-end tests of the engine: every language judged through the real
//! sandbox (issue #3, "Tests that must exist").
//!
//! Root only: the sandbox needs namespaces, mounts and cgroups. The tests are
//! `#[ignore]`d, so a run without root lists them as skipped (and one asked
//! for by name fails); scripts/test.sh, as root, runs them with the ignored tests.
//!
//! Layout:
//! - the harness: the helper binary, the shared engine, submissions, assertions;
//! - the cases every language shares (`hello_world`, `infinite_loop`, ...), as
//!   functions taking the language and its program, and the macros
//!   `common_tests!` and `stdin_tests!` that turn them into one `#[test]` per
//!   language, so a failure names both (`java::memory_hog_is_mle`);
//! - one module per language with its own cases (signals, exceptions, compile
//!   errors, hostile compiles);
//! - `judging`: what is not about one language (test cases, the compile
//!   cache, compiler options).
//!
//! The programs are in `tests/programs/<language>/`, built into the test with
//! `include_str!`.
//!
//! One engine with 2 slots is shared by the tests of a process. Under cargo
//! nextest every test is its own process and builds its own; the tests that
//! count compiles build a private engine with a fresh cache so the count is
//! exact. Limits are generous except the one under test: the machine is
//! shared and noisy, so no timing is asserted tightly.

use flash_engine::{Engine, EngineConfig, Judgement, Registry, StatusId, Submission, TestCase};
use flash_sandbox::{Limits, Pool, PoolConfig};
use flash_testkit::require_root;
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

// ---------------------------------------------------------------------------
// Harness
// ---------------------------------------------------------------------------

/// The `flash` binary, which the pool re-executes as each slot's helper.
///
/// An engine test cannot get it through `CARGO_BIN_EXE_*` (only a crate's own
/// binaries are named there), so it is found next to this test: the test is
/// `<target>/<profile>/deps/languages-<hash>`, the helper
/// `<target>/<profile>/flash`. `cargo build -p flash` in the same profile runs
/// first, once per process: a no-op (well under a second) when the helper is
/// fresh, and a helper older than the sandbox library linked into this test
/// could speak a stale protocol. FLASH_HELPER_EXE names a helper to use
/// instead, without building (e.g. tests run from a nextest archive).
fn helper_exe() -> &'static Path {
    static EXE: OnceLock<PathBuf> = OnceLock::new();
    EXE.get_or_init(|| {
        if let Some(exe) = std::env::var_os("FLASH_HELPER_EXE") {
            return PathBuf::from(exe);
        }
        let test_exe = std::env::current_exe().expect("the test's own path");
        let profile_dir = test_exe.parent().and_then(Path::parent).expect("the test runs from <target>/<profile>/deps");
        let target_dir = Path::new(env!("CARGO_TARGET_TMPDIR")).parent().expect("CARGO_TARGET_TMPDIR is <target>/tmp");
        let profile = match profile_dir.file_name().and_then(|n| n.to_str()) {
            Some("debug") => "dev",
            Some(p) => p,
            None => panic!("no profile in {}", profile_dir.display()),
        };
        let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
        let mut cmd = std::process::Command::new(cargo);
        cmd.current_dir(env!("CARGO_MANIFEST_DIR"))
            .args(["build", "--quiet", "-p", "flash", "--profile", profile])
            .arg("--target-dir")
            .arg(target_dir);
        // A cross build is laid out as <target>/<triple>/<profile>.
        let layout = profile_dir.parent().expect("profile dir has a parent");
        if layout != target_dir {
            cmd.arg("--target").arg(layout.file_name().expect("a triple"));
        }
        let out = cmd.output().expect("running cargo to build the flash helper");
        assert!(
            out.status.success(),
            "`cargo build -p flash` failed; the engine tests need the helper binary:\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let exe = profile_dir.join("flash");
        assert!(exe.exists(), "{} is missing after the build", exe.display());
        exe
    })
}

/// A compile cache directory for this process under the target's tmp dir.
/// Those left by test processes that have exited are removed first (a
/// static engine is never dropped, so nothing cleans up after it).
fn process_cache_dir() -> PathBuf {
    let base = Path::new(env!("CARGO_TARGET_TMPDIR")).join("engine-languages");
    for e in std::fs::read_dir(&base).into_iter().flatten().flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        let alive = Path::new("/proc").join(&name).exists();
        if name.parse::<u32>().is_ok() && !alive {
            let _ = std::fs::remove_dir_all(e.path());
        }
    }
    let dir = base.join(std::process::id().to_string());
    // A process with our pid that died before us may have left it.
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("creating the compile cache dir");
    dir
}

fn build_engine(slots: usize, cache_dir: PathBuf) -> Engine {
    let mut cfg = PoolConfig::new(slots).expect("pool configuration");
    cfg.helper_exe = helper_exe().to_owned();
    let pool = Pool::new(cfg).expect("building the sandbox pool");
    let registry = Registry::load(None).expect("the shipped language table loads");
    Engine::new(Arc::new(pool), registry, EngineConfig::new(cache_dir)).expect("building the engine")
}

/// The engine shared by this process's tests, or `None` when skipping.
fn engine() -> Option<&'static Engine> {
    require_root();
    static ENGINE: OnceLock<Engine> = OnceLock::new();
    Some(ENGINE.get_or_init(|| build_engine(2, process_cache_dir())))
}

/// An engine of its own with an empty cache, for tests that count compiles.
/// The cache directory goes away with the returned guard.
fn private_engine(slots: usize) -> Option<(Engine, tempfile::TempDir)> {
    require_root();
    let tmp = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).expect("a cache dir");
    Some((build_engine(slots, tmp.path().to_owned()), tmp))
}

/// Limits for everything a test does not test: roomy, as the machine is shared.
fn roomy() -> Limits {
    Limits { cpu_time: 10.0, wall_time: 30.0, memory_kb: 512 * 1024, ..Limits::default() }
}

fn submission(language: &str, source: impl Into<Vec<u8>>) -> Submission {
    Submission { language: language.into(), source: source.into(), limits: roomy(), ..Submission::default() }
}

/// Judges on `engine`; a missing language fails with the reason the registry gave.
fn judge_on(engine: &Engine, sub: &Submission) -> Judgement {
    let j = match engine.judge(sub) {
        Ok(j) => j,
        Err(flash_engine::Error::UnknownLanguage(l)) => {
            panic!("language {l:?} is not available on this host: {:?}", engine.registry().unavailable())
        }
        Err(e) => panic!("the engine refused the submission: {e}"),
    };
    eprintln!("judged {}:\n{}", sub.language, describe(&j));
    j
}

/// Judges on the shared engine, or `None` when skipping.
fn judge(sub: &Submission) -> Option<Judgement> {
    Some(judge_on(engine()?, sub))
}

/// Judges on the shared engine, failing if no judgement comes within `limit`
/// (a hang would otherwise hold the test forever).
fn judge_within(sub: &Submission, limit: Duration) -> Option<Judgement> {
    let engine = engine()?;
    let (tx, rx) = std::sync::mpsc::channel();
    let sub = sub.clone();
    std::thread::spawn(move || {
        let _ = tx.send(judge_on(engine, &sub));
    });
    match rx.recv_timeout(limit) {
        Ok(j) => Some(j),
        Err(e) => panic!("no judgement within {limit:?} ({e}): the engine hangs"),
    }
}

/// The length of `b` and at most 500 bytes of it, lossily as text.
fn head(b: &[u8]) -> String {
    let cut = &b[..b.len().min(500)];
    let more = if b.len() > cut.len() { "..." } else { "" };
    format!("({} bytes) {:?}{more}", b.len(), String::from_utf8_lossy(cut))
}

fn describe(j: &Judgement) -> String {
    format!(
        "  status {:?} ({}), message {:?}, exit code {:?}, signal {:?}\n  \
         time {:.3} s, wall {:.3} s, memory {} KiB, compile {:.3} s (cached: {})\n  \
         stdout {}\n  stderr {}\n  compile_output {}\n  tests {:?}",
        j.run.status,
        j.run.status.id(),
        j.run.message,
        j.run.exit_code,
        j.run.exit_signal,
        j.run.time,
        j.run.wall_time,
        j.run.memory,
        j.compile_time,
        j.compile_cached,
        head(&j.run.stdout),
        head(&j.run.stderr),
        head(&j.compile_output),
        j.tests.iter().map(|t| t.status).collect::<Vec<_>>(),
    )
}

#[track_caller]
fn assert_status(j: &Judgement, want: StatusId) {
    assert_eq!(j.run.status, want, "expected {want:?} ({}), got {:?}:\n{}", want.id(), j.run.status, describe(j));
}

#[track_caller]
fn assert_contains(haystack: &[u8], needle: &str, what: &str, j: &Judgement) {
    assert!(String::from_utf8_lossy(haystack).contains(needle), "{what} should contain {needle:?}:\n{}", describe(j));
}

/// A program from `tests/programs/<dir>/<name>.<ext>`.
macro_rules! program {
    ($dir:literal, $name:literal, $ext:literal) => {
        include_str!(concat!("programs/", $dir, "/", $name, ".", $ext))
    };
}

// ---------------------------------------------------------------------------
// Cases every language shares
// ---------------------------------------------------------------------------

const HELLO: &str = "Hello, World!\n";
const UTF8_TEXT: &str = "héllo wörld ✓ 日本\nsecond line\n";
const TEN_MIB: usize = 10 << 20;

fn hello_world(lang: &str, src: &str) {
    let Some(j) = judge(&submission(lang, src)) else {
        return;
    };
    assert_status(&j, StatusId::Accepted);
    assert_eq!(String::from_utf8_lossy(&j.run.stdout), HELLO, "{}", describe(&j));
}

fn expected_output_matches_modulo_trailing_whitespace(lang: &str, src: &str) {
    let sub = Submission { expected: Some(b"Hello, World!   \n\n\n".to_vec()), ..submission(lang, src) };
    let Some(j) = judge(&sub) else { return };
    assert_status(&j, StatusId::Accepted);
}

fn expected_output_differs_is_wrong_answer(lang: &str, src: &str) {
    let sub = Submission { expected: Some(b"Hello, world!\n".to_vec()), ..submission(lang, src) };
    let Some(j) = judge(&sub) else { return };
    assert_status(&j, StatusId::WrongAnswer);
    assert_eq!(String::from_utf8_lossy(&j.run.stdout), HELLO, "{}", describe(&j));
}

fn stdin_utf8_round_trips(lang: &str, src: &str) {
    let sub = Submission { stdin: UTF8_TEXT.into(), ..submission(lang, src) };
    let Some(j) = judge(&sub) else { return };
    assert_status(&j, StatusId::Accepted);
    assert_eq!(j.run.stdout, UTF8_TEXT.as_bytes(), "{}", describe(&j));
}

/// 10 MiB of lines on stdin; the program prints how many bytes it read.
fn stdin_10_mib_is_read_whole(lang: &str, src: &str) {
    let line = b"0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ!\n";
    let input: Vec<u8> = line.iter().copied().cycle().take(TEN_MIB).collect();
    let sub = Submission { stdin: input, ..submission(lang, src) };
    let Some(j) = judge(&sub) else { return };
    assert_status(&j, StatusId::Accepted);
    assert_eq!(String::from_utf8_lossy(&j.run.stdout), format!("{TEN_MIB}\n"), "{}", describe(&j));
}

fn infinite_loop_is_tle(lang: &str, src: &str) {
    let sub = Submission { limits: Limits { cpu_time: 1.0, wall_time: 10.0, ..roomy() }, ..submission(lang, src) };
    let Some(j) = judge(&sub) else { return };
    assert_status(&j, StatusId::TimeLimitExceeded);
    assert!(j.run.time >= 0.9, "CPU time should reach the limit:\n{}", describe(&j));
}

/// A program that allocates and touches far more than 128 MiB. Returns the
/// judgement for language-specific checks.
fn memory_hog_is_mle(lang: &str, src: &str) -> Option<Judgement> {
    let sub = Submission { limits: Limits { memory_kb: 128 * 1024, ..roomy() }, ..submission(lang, src) };
    let j = judge(&sub)?;
    assert_status(&j, StatusId::MemoryLimitExceeded);
    Some(j)
}

fn output_flood_is_ole(lang: &str, src: &str) {
    let sub = Submission { limits: Limits { output_kb: 64, ..roomy() }, ..submission(lang, src) };
    let Some(j) = judge(&sub) else { return };
    assert_status(&j, StatusId::OutputLimitExceeded);
    assert!(j.run.stdout.len() + j.run.stderr.len() <= 64 * 1024, "output must be cut at the limit:\n{}", describe(&j));
}

/// A run ending with `want`; `stderr_has` must appear in its stderr.
fn runtime_error(lang: &str, src: &str, want: StatusId, stderr_has: Option<&str>) -> Option<Judgement> {
    let j = judge(&submission(lang, src))?;
    assert_status(&j, want);
    if let Some(text) = stderr_has {
        assert_contains(&j.run.stderr, text, "stderr", &j);
    }
    Some(j)
}

/// A rejected program: Compilation Error, nothing run, and the compiler's
/// words (every one of `compiler_says`; quotes vary with the locale) shown.
fn compile_error(lang: &str, src: &str, compiler_says: &[&str]) {
    let Some(j) = judge(&submission(lang, src)) else {
        return;
    };
    assert_status(&j, StatusId::CompilationError);
    for text in compiler_says {
        assert_contains(&j.compile_output, text, "compile_output", &j);
    }
    assert!(j.tests.is_empty() && j.run.stdout.is_empty(), "nothing ran:\n{}", describe(&j));
}

/// The tests every language has; `$dir` and `$ext` locate its programs.
macro_rules! common_tests {
    ($dir:literal, $ext:literal) => {
        #[test]
        #[ignore = "needs root: scripts/test.sh runs it"]
        fn hello_world() {
            super::hello_world(LANG, program!($dir, "hello", $ext));
        }

        #[test]
        #[ignore = "needs root: scripts/test.sh runs it"]
        fn expected_output_matches_modulo_trailing_whitespace() {
            super::expected_output_matches_modulo_trailing_whitespace(LANG, program!($dir, "hello", $ext));
        }

        #[test]
        #[ignore = "needs root: scripts/test.sh runs it"]
        fn expected_output_differs_is_wrong_answer() {
            super::expected_output_differs_is_wrong_answer(LANG, program!($dir, "hello", $ext));
        }

        #[test]
        #[ignore = "needs root: scripts/test.sh runs it"]
        fn infinite_loop_is_tle() {
            super::infinite_loop_is_tle(LANG, program!($dir, "infinite_loop", $ext));
        }

        #[test]
        #[ignore = "needs root: scripts/test.sh runs it"]
        fn output_flood_is_ole() {
            super::output_flood_is_ole(LANG, program!($dir, "output_flood", $ext));
        }
    };
}

/// The stdin tests, for every language that reads stdin (all but SQL).
macro_rules! stdin_tests {
    ($dir:literal, $ext:literal) => {
        #[test]
        #[ignore = "needs root: scripts/test.sh runs it"]
        fn stdin_utf8_round_trips() {
            super::stdin_utf8_round_trips(LANG, program!($dir, "echo", $ext));
        }

        #[test]
        #[ignore = "needs root: scripts/test.sh runs it"]
        fn stdin_10_mib_is_read_whole() {
            super::stdin_10_mib_is_read_whole(LANG, program!($dir, "stdin_length", $ext));
        }
    };
}

// ---------------------------------------------------------------------------
// Languages
// ---------------------------------------------------------------------------

/// C and C++ share their signal cases.
macro_rules! signal_tests {
    ($dir:literal, $ext:literal) => {
        #[test]
        #[ignore = "needs root: scripts/test.sh runs it"]
        fn integer_division_by_zero_is_sigfpe() {
            let src = program!($dir, "div_by_zero", $ext);
            runtime_error(LANG, src, StatusId::RuntimeSigfpe, None);
        }

        #[test]
        #[ignore = "needs root: scripts/test.sh runs it"]
        fn abort_is_sigabrt() {
            runtime_error(LANG, program!($dir, "abort", $ext), StatusId::RuntimeSigabrt, None);
        }

        #[test]
        #[ignore = "needs root: scripts/test.sh runs it"]
        fn null_dereference_is_sigsegv() {
            let src = program!($dir, "null_deref", $ext);
            runtime_error(LANG, src, StatusId::RuntimeSigsegv, None);
        }
    };
}

mod cpp {
    use super::*;
    const LANG: &str = "54";
    common_tests!("cpp", "cpp");
    stdin_tests!("cpp", "cpp");
    signal_tests!("cpp", "cpp");

    #[test]
    #[ignore = "needs root: scripts/test.sh runs it"]
    fn growing_vector_is_mle() {
        memory_hog_is_mle(LANG, program!("cpp", "memory_hog", "cpp"));
    }

    #[test]
    #[ignore = "needs root: scripts/test.sh runs it"]
    fn compile_error_shows_the_compiler_message() {
        let src = program!("cpp", "compile_error", "cpp");
        compile_error(LANG, src, &["error:", "undeclared_name", "was not declared"]);
    }

    /// A hostile compile: the verdict is Compilation Error, within the compile
    /// limits (20 s wall by default) plus slack, never a hang.
    fn hostile_compile(src: &str, options: Option<&str>) {
        let sub = Submission { compiler_options: options.map(str::to_owned), ..submission(LANG, src) };
        let Some(j) = judge_within(&sub, Duration::from_secs(90)) else {
            return;
        };
        assert_status(&j, StatusId::CompilationError);
        assert!(!j.compile_output.is_empty(), "say why:\n{}", describe(&j));
    }

    #[test]
    #[ignore = "needs root: scripts/test.sh runs it"]
    fn include_dev_zero_is_a_compile_error_not_a_hang() {
        hostile_compile(program!("cpp", "include_dev_zero", "cpp"), None);
    }

    #[test]
    #[ignore = "needs root: scripts/test.sh runs it"]
    fn include_dev_random_is_a_compile_error_not_a_hang() {
        hostile_compile(program!("cpp", "include_dev_random", "cpp"), None);
    }

    #[test]
    #[ignore = "needs root: scripts/test.sh runs it"]
    fn template_recursion_bomb_is_a_compile_error_not_a_hang() {
        let src = program!("cpp", "template_bomb", "cpp");
        hostile_compile(src, Some("-ftemplate-depth=100000000"));
    }

    /// Issue #3's `static char a[1L << 34]; int main(){return a[5];}`. GCC
    /// folds the read of a never-written static to 0 and drops the 16 GiB
    /// array, so this is `return 0`, and Accepted is the right verdict (the
    /// issue expected a failure). Should a toolchain keep the array, the
    /// 16 GiB .bss either loads untouched (Accepted, a few KiB used: limits
    /// count memory used, not reserved) or cannot be mapped (SIGSEGV at
    /// exec). What must never happen: a hang, an Internal Error, or a memory
    /// figure that is not what was used.
    #[test]
    #[ignore = "needs root: scripts/test.sh runs it"]
    fn a_16_gib_static_array_as_issue_3_gives_it_is_judged_honestly() {
        let src = program!("cpp", "huge_static", "cpp");
        let Some(j) = judge_within(&submission(LANG, src), Duration::from_secs(90)) else {
            return;
        };
        assert_ne!(j.run.status, StatusId::InternalError, "{}", describe(&j));
        if j.run.status == StatusId::Accepted {
            assert!(j.run.memory < 64 * 1024, "only used pages count:\n{}", describe(&j));
        }
    }

    /// A static array that is really used, a write per page: the pages are
    /// memory like any other and the verdict is Memory Limit Exceeded.
    #[test]
    #[ignore = "needs root: scripts/test.sh runs it"]
    fn a_huge_static_array_really_used_is_mle() {
        memory_hog_is_mle(LANG, program!("cpp", "huge_static_touched", "cpp"));
    }
}

mod c {
    use super::*;
    const LANG: &str = "50";
    common_tests!("c", "c");
    stdin_tests!("c", "c");
    signal_tests!("c", "c");

    #[test]
    #[ignore = "needs root: scripts/test.sh runs it"]
    fn memory_hog_is_mle() {
        super::memory_hog_is_mle(LANG, program!("c", "memory_hog", "c"));
    }

    #[test]
    #[ignore = "needs root: scripts/test.sh runs it"]
    fn compile_error_shows_the_compiler_message() {
        let src = program!("c", "compile_error", "c");
        compile_error(LANG, src, &["error:", "undeclared_name", "undeclared"]);
    }
}

mod python {
    use super::*;
    const LANG: &str = "71";
    common_tests!("python", "py");
    stdin_tests!("python", "py");

    #[test]
    #[ignore = "needs root: scripts/test.sh runs it"]
    fn memory_hog_is_mle() {
        super::memory_hog_is_mle(LANG, program!("python", "memory_hog", "py"));
    }

    #[test]
    #[ignore = "needs root: scripts/test.sh runs it"]
    fn uncaught_exception_is_nzec_with_the_traceback() {
        let src = program!("python", "exception", "py");
        let Some(j) = runtime_error(LANG, src, StatusId::RuntimeNzec, Some("ZeroDivisionError")) else {
            return;
        };
        assert_contains(&j.run.stderr, "Traceback (most recent call last)", "stderr", &j);
    }

    #[test]
    #[ignore = "needs root: scripts/test.sh runs it"]
    fn standard_library_imports_work() {
        let Some(j) = judge(&submission(LANG, program!("python", "stdlib", "py"))) else {
            return;
        };
        assert_status(&j, StatusId::Accepted);
        let want = "[[\"b\", 3]]\n['1', '22', '333']\n[1, 3, 6, 10]\n6 9\n\
                    2024-02-29\n0.3\n[1, 2]\n120\n";
        assert_eq!(String::from_utf8_lossy(&j.run.stdout), want, "{}", describe(&j));
    }
}

mod javascript {
    use super::*;
    const LANG: &str = "63";
    common_tests!("javascript", "js");
    stdin_tests!("javascript", "js");

    #[test]
    #[ignore = "needs root: scripts/test.sh runs it"]
    fn memory_hog_is_mle() {
        super::memory_hog_is_mle(LANG, program!("javascript", "memory_hog", "js"));
    }

    #[test]
    #[ignore = "needs root: scripts/test.sh runs it"]
    fn uncaught_exception_is_nzec_with_the_stack() {
        let src = program!("javascript", "exception", "js");
        let has = Some("Error: negative input: -1");
        let Some(j) = runtime_error(LANG, src, StatusId::RuntimeNzec, has) else {
            return;
        };
        assert_contains(&j.run.stderr, "at check", "stderr", &j);
    }
}

mod java {
    use super::*;
    const LANG: &str = "62";
    common_tests!("java", "java");
    stdin_tests!("java", "java");

    /// The heap is sized from the limit, so the JVM itself reports the
    /// exhaustion as OutOfMemoryError and exits; that too is 15.
    #[test]
    #[ignore = "needs root: scripts/test.sh runs it"]
    fn memory_hog_is_mle() {
        let src = program!("java", "memory_hog", "java");
        let Some(j) = super::memory_hog_is_mle(LANG, src) else {
            return;
        };
        assert_contains(&j.run.stderr, "java.lang.OutOfMemoryError", "stderr", &j);
    }

    #[test]
    #[ignore = "needs root: scripts/test.sh runs it"]
    fn uncaught_exception_is_nzec_with_the_stack_trace() {
        let src = program!("java", "exception", "java");
        let has = Some("java.lang.ArithmeticException: / by zero");
        let Some(j) = runtime_error(LANG, src, StatusId::RuntimeNzec, has) else {
            return;
        };
        assert_contains(&j.run.stderr, "at Main.divide", "stderr", &j);
    }

    #[test]
    #[ignore = "needs root: scripts/test.sh runs it"]
    fn sixty_four_threads_work_under_the_default_limits() {
        let sub = Submission { limits: Limits::default(), ..submission(LANG, program!("java", "threads", "java")) };
        let Some(j) = judge(&sub) else { return };
        assert_status(&j, StatusId::Accepted);
        assert_eq!(String::from_utf8_lossy(&j.run.stdout), "64 2047968000\n", "{}", describe(&j));
    }

    #[test]
    #[ignore = "needs root: scripts/test.sh runs it"]
    fn compile_error_shows_the_compiler_message() {
        let src = program!("java", "compile_error", "java");
        compile_error(LANG, src, &["error:", "incompatible types"]);
    }
}

/// SQL reads no stdin: the script runs against a fresh database with
/// `.read main.sql`, and the submission's stdin is never given to sqlite3
/// (see languages.toml). The stdin cases become data carried in the script.
mod sql {
    use super::*;
    const LANG: &str = "82";
    common_tests!("sql", "sql");

    #[test]
    #[ignore = "needs root: scripts/test.sh runs it"]
    fn utf8_data_in_the_script_round_trips() {
        let Some(j) = judge(&submission(LANG, program!("sql", "utf8", "sql"))) else {
            return;
        };
        assert_status(&j, StatusId::Accepted);
        let want = "héllo wörld ✓ 日本|16\n";
        assert_eq!(String::from_utf8_lossy(&j.run.stdout), want, "{}", describe(&j));
    }

    /// The 10 MiB case: a script carrying a 10 MiB string literal.
    #[test]
    #[ignore = "needs root: scripts/test.sh runs it"]
    fn a_10_mib_script_is_read_whole() {
        let src = format!("SELECT length('{}');\n", "x".repeat(TEN_MIB));
        let Some(j) = judge(&submission(LANG, src)) else {
            return;
        };
        assert_status(&j, StatusId::Accepted);
        let want = format!("{TEN_MIB}\n");
        assert_eq!(String::from_utf8_lossy(&j.run.stdout), want, "{}", describe(&j));
    }

    #[test]
    #[ignore = "needs root: scripts/test.sh runs it"]
    fn memory_hog_is_mle() {
        super::memory_hog_is_mle(LANG, program!("sql", "memory_hog", "sql"));
    }

    /// `-bail` stops at the first error: the statement before it ran, the one after did not.
    #[test]
    #[ignore = "needs root: scripts/test.sh runs it"]
    fn an_sql_error_is_nzec_with_the_sqlite_message() {
        let src = program!("sql", "missing_table", "sql");
        let has = Some("no such table: missing_table");
        let Some(j) = runtime_error(LANG, src, StatusId::RuntimeNzec, has) else {
            return;
        };
        assert_eq!(String::from_utf8_lossy(&j.run.stdout), "1\n", "{}", describe(&j));
    }
}

mod bash {
    use super::*;
    const LANG: &str = "46";
    common_tests!("bash", "sh");
    stdin_tests!("bash", "sh");

    #[test]
    #[ignore = "needs root: scripts/test.sh runs it"]
    fn memory_hog_is_mle() {
        super::memory_hog_is_mle(LANG, program!("bash", "memory_hog", "sh"));
    }

    #[test]
    #[ignore = "needs root: scripts/test.sh runs it"]
    fn exit_3_is_nzec_with_its_code() {
        let src = program!("bash", "exit_code", "sh");
        let Some(j) = runtime_error(LANG, src, StatusId::RuntimeNzec, Some("about to fail")) else {
            return;
        };
        assert_eq!(j.run.exit_code, Some(3), "{}", describe(&j));
    }
}

// ---------------------------------------------------------------------------
// Judging: test cases, the compile cache, compiler options
// ---------------------------------------------------------------------------

mod judging {
    use super::*;

    const DOUBLE: &str = program!("cpp", "double", "cpp");

    fn case(input: &str, expected: &str) -> TestCase {
        TestCase { input: input.into(), expected: Some(expected.into()) }
    }

    fn statuses(j: &Judgement) -> Vec<StatusId> {
        j.tests.iter().map(|t| t.status).collect()
    }

    /// Extra files keep their executable bit (Judge0 unpacks its zip with
    /// `unzip`, which does): an executable script runs, a plain one does not.
    #[test]
    #[ignore = "needs root: scripts/test.sh runs it"]
    fn extra_files_keep_their_executable_bit() {
        let tool = |executable| flash_engine::ExtraFile {
            path: "bin/tool.sh".into(),
            executable,
            data: b"#!/bin/sh\necho tool ran\n".to_vec(),
        };
        let sub =
            |executable| Submission { extra_files: vec![tool(executable)], ..submission("bash", "./bin/tool.sh") };
        let Some(j) = judge(&sub(true)) else { return };
        assert_status(&j, StatusId::Accepted);
        assert_eq!(j.run.stdout, b"tool ran\n", "{}", describe(&j));
        let Some(j) = judge(&sub(false)) else { return };
        assert_status(&j, StatusId::RuntimeNzec);
        assert!(String::from_utf8_lossy(&j.run.stderr).contains("Permission denied"), "{}", describe(&j));
    }

    /// Three tests, the second wrong: one compile, three results, and the
    /// overall verdict (with stdout) is the failing test's.
    #[test]
    #[ignore = "needs root: scripts/test.sh runs it"]
    fn three_tests_compile_once_and_report_each() {
        let Some((engine, _cache)) = private_engine(1) else {
            return;
        };
        let sub =
            Submission { tests: vec![case("1", "2"), case("2", "5"), case("3", "6")], ..submission("cpp", DOUBLE) };
        let j = judge_on(&engine, &sub);
        assert_eq!(engine.compiles_run(), 1, "{}", describe(&j));
        use StatusId::{Accepted, WrongAnswer};
        assert_eq!(statuses(&j), [Accepted, WrongAnswer, Accepted], "{}", describe(&j));
        assert_status(&j, WrongAnswer);
        assert_eq!(j.run.stdout, b"4\n", "the failing test's stdout:\n{}", describe(&j));
        assert!(j.run.message.as_deref().is_some_and(|m| m.starts_with("test 2")), "{}", describe(&j));
        let outs: Vec<&[u8]> = j.tests.iter().map(|t| t.stdout.as_slice()).collect();
        assert_eq!(outs, [b"2\n".as_slice(), b"4\n", b"6\n"], "{}", describe(&j));
    }

    /// The overall status is the first failure's even when a later test fails
    /// differently; `stop_on_first_failure` runs nothing after it.
    #[test]
    #[ignore = "needs root: scripts/test.sh runs it"]
    fn the_first_failure_decides_and_can_stop_the_run() {
        let tests = vec![case("1", "2"), case("0", "0"), case("2", "5")];
        let sub = Submission { tests, ..submission("cpp", DOUBLE) };
        let Some(j) = judge(&sub) else { return };
        use StatusId::{Accepted, RuntimeNzec, WrongAnswer};
        assert_eq!(statuses(&j), [Accepted, RuntimeNzec, WrongAnswer], "{}", describe(&j));
        assert_status(&j, RuntimeNzec);
        assert_eq!(j.run.exit_code, Some(3), "{}", describe(&j));

        let stop = Submission { stop_on_first_failure: true, ..sub };
        let Some(j) = judge(&stop) else { return };
        assert_eq!(statuses(&j), [Accepted, RuntimeNzec], "{}", describe(&j));
        assert_status(&j, RuntimeNzec);
    }

    /// Eight identical submissions at once compile once (single flight);
    /// a different source compiles again, and a repeat is a cache hit.
    #[test]
    #[ignore = "needs root: scripts/test.sh runs it"]
    fn concurrent_identical_submissions_compile_once() {
        let Some((engine, _cache)) = private_engine(2) else {
            return;
        };
        let hello = program!("cpp", "hello", "cpp");
        let start = std::sync::Barrier::new(8);
        let judgements: Vec<Judgement> = std::thread::scope(|s| {
            let threads: Vec<_> = (0..8)
                .map(|_| {
                    s.spawn(|| {
                        start.wait();
                        judge_on(&engine, &submission("cpp", hello))
                    })
                })
                .collect();
            threads.into_iter().map(|t| t.join().unwrap()).collect()
        });
        for j in &judgements {
            assert_status(j, StatusId::Accepted);
            assert_eq!(j.run.stdout, HELLO.as_bytes(), "{}", describe(j));
        }
        assert_eq!(engine.compiles_run(), 1);
        let fresh = judgements.iter().filter(|j| !j.compile_cached).count();
        assert_eq!(fresh, 1, "exactly one judgement did the compile");

        let other = format!("// another source\n{hello}");
        let j = judge_on(&engine, &submission("cpp", other));
        assert_status(&j, StatusId::Accepted);
        assert_eq!(engine.compiles_run(), 2, "a different source compiles again");
        let j = judge_on(&engine, &submission("cpp", hello));
        assert!(j.compile_cached, "{}", describe(&j));
        assert_eq!(engine.compiles_run(), 2);
    }

    /// Options are split on whitespace into separate arguments: as one
    /// argument, "-DVALUE=42 -DOTHER=7" would define VALUE as "42 -DOTHER=7".
    #[test]
    #[ignore = "needs root: scripts/test.sh runs it"]
    fn compiler_options_are_separate_arguments() {
        let src = program!("cpp", "options", "cpp");
        let Some(plain) = judge(&submission("cpp", src)) else {
            return;
        };
        assert_status(&plain, StatusId::Accepted);
        assert_eq!(plain.run.stdout, b"0 0\n", "{}", describe(&plain));

        let sub = Submission { compiler_options: Some("  -DVALUE=42   -DOTHER=7 ".into()), ..submission("cpp", src) };
        let Some(j) = judge(&sub) else { return };
        assert_status(&j, StatusId::Accepted);
        assert_eq!(j.run.stdout, b"42 7\n", "{}", describe(&j));
    }
}

// ---------------------------------------------------------------------------
// Precompiled headers: the same verdicts and outputs with and without them
// ---------------------------------------------------------------------------

mod precompiled_headers {
    use super::*;

    /// Competitive-programming style programs (name, source, stdin, whether
    /// g++ takes a precompiled header). A macro the header uses, defined
    /// before the include, makes g++ refuse it; so does an include before.
    const CORPUS: [(&str, &str, &str, bool); 14] = [
        (
            "sort",
            "#include <bits/stdc++.h>\nusing namespace std;\nint main(){int n;cin>>n;vector<long long>v(n);for(auto&x:v)cin>>x;sort(v.begin(),v.end());for(auto x:v)cout<<x<<' ';cout<<'\\n';}\n",
            "5\n5 3 9 1 7\n",
            true,
        ),
        (
            "map_and_strings",
            "#include <bits/stdc++.h>\nusing namespace std;\nint main(){map<string,int>m;string w;while(cin>>w)m[w]++;for(auto&[k,c]:m)printf(\"%s %d\\n\",k.c_str(),c);}\n",
            "b a b c a b\n",
            true,
        ),
        (
            "dp_and_math",
            "#include <bits/stdc++.h>\nint main(){const int M=1e9+7;std::vector<long long>f(91,0);f[1]=1;for(int i=2;i<=90;i++)f[i]=(f[i-1]+f[i-2])%M;std::cout<<f[90]<<' '<<std::gcd(84,36)<<' '<<std::setprecision(10)<<std::sqrt(2.0)<<'\\n';}\n",
            "",
            true,
        ),
        (
            "runtime_error",
            "#include <bits/stdc++.h>\n#include <bits/stdc++.h>\nint main(){std::vector<int>v;return v.empty()?3:0;}\n",
            "",
            true,
        ),
        (
            "macro_before_include",
            "#define _GLIBCXX_DEBUG\n#include <bits/stdc++.h>\nint main(){std::vector<int>v(2);std::cout<<v.size()<<'\\n';}\n",
            "",
            false,
        ),
        (
            "iostream",
            "#include <iostream>\nint main(){long long s=0;int n;std::cin>>n;for(int i=0;i<n;i++)s+=i%7;std::cout<<s<<std::endl;}\n",
            "1000\n",
            true,
        ),
        (
            "iostream_then_more",
            "#include <iostream>\n#include <vector>\n#include <algorithm>\nint main(){std::vector<int>v{3,1,2};std::sort(v.begin(),v.end());for(int x:v)std::cout<<x;std::cout<<'\\n';}\n",
            "",
            true,
        ),
        (
            "vector_first",
            "// a comment first\n#include <vector>\n#include <cstdio>\nint main(){std::vector<long long>v(10,7);long long s=0;for(auto x:v)s+=x;printf(\"%lld\\n\",s);}\n",
            "",
            true,
        ),
        (
            "string_and_map",
            "#include <string>\n#include <map>\n#include <iostream>\nint main(){std::map<std::string,int>m;std::string w;while(std::cin>>w)m[w]++;for(auto&p:m)std::cout<<p.first<<p.second;}\n",
            "x y x\n",
            true,
        ),
        (
            "cmath_queue_set",
            "#include <cmath>\n#include <queue>\n#include <set>\n#include <cstdio>\nint main(){std::priority_queue<int>q;std::set<int>s{4,1};for(int x:s)q.push(x);printf(\"%d %.3f\\n\",q.top(),std::sqrt(2.0));}\n",
            "",
            true,
        ),
        (
            "cstdio_first",
            "#include <cstdio>\n#include <iostream>\nint main(){std::cout<<\"plain\"<<std::endl;}\n",
            "",
            false,
        ),
        (
            "macro_before_iostream",
            "#define _GLIBCXX_DEBUG\n#include <iostream>\n#include <vector>\nint main(){std::vector<int>v(2);std::cout<<v.size()<<'\\n';}\n",
            "",
            false,
        ),
        (
            "compile_error_inside_the_library",
            "#include <vector>\n#include <algorithm>\nstruct P{int a;};\nint main(){std::vector<P>v(2);std::sort(v.begin(),v.end());}\n",
            "",
            true,
        ),
        (
            "own_definition_the_header_would_not_have",
            "#include <vector>\nint max(int a,int b){return a>b?a:b;}\nint main(){std::vector<int>v{1,2};return max(v[0],v[1])==2?0:1;}\n",
            "",
            true,
        ),
    ];

    #[test]
    #[ignore = "needs root: scripts/test.sh runs it"]
    fn outputs_and_verdicts_match_a_plain_compile() {
        require_root();
        let base = process_cache_dir();
        let registry = Registry::load(None).expect("the shipped language table loads");
        let pch = flash_engine::Pch::plan(&registry, &base.join("pch")).unwrap();
        for (language, built) in pch.build() {
            assert!(built.is_ok(), "{language}: {built:?}");
        }
        let mut cfg = PoolConfig::new(1).expect("pool configuration");
        cfg.helper_exe = helper_exe().to_owned();
        cfg.mounts.push(pch.mount());
        let pool = Arc::new(Pool::new(cfg).expect("building the sandbox pool"));
        let mut with_cfg = EngineConfig::new(base.join("with"));
        with_cfg.pch = Some(pch);
        let with = Engine::new(pool.clone(), registry.clone(), with_cfg).unwrap();
        let plain = Engine::new(pool, registry, EngineConfig::new(base.join("plain"))).unwrap();
        for (name, source, stdin, takes_header) in CORPUS {
            // -H makes g++ list the headers it reads; "! <file>.gch" is a used
            // precompiled header.
            let sub = Submission {
                language: "cpp".into(),
                source: source.into(),
                stdin: stdin.into(),
                compiler_options: Some("-H".into()),
                ..Submission::default()
            };
            let a = with.judge(&sub).unwrap();
            let b = plain.judge(&sub).unwrap();
            assert_eq!(
                (a.run.status, &a.run.stdout, a.run.exit_code),
                (b.run.status, &b.run.stdout, b.run.exit_code),
                "{name}"
            );
            let used = String::from_utf8_lossy(&a.compile_output).contains("! /.flash/pch/");
            assert_eq!(used, takes_header, "{name}: {}", String::from_utf8_lossy(&a.compile_output));
            assert!(!String::from_utf8_lossy(&b.compile_output).contains("/.flash/pch"), "{name}");
        }
    }
}

// ---------------------------------------------------------------------------
// The corpus: every other language, as data
// ---------------------------------------------------------------------------

/// Languages beyond the core set (issue #16), each a directory of
/// `tests/corpus/<dir>/` with the same cases: `hello` (reads a name from
/// stdin; run with ASCII and with UTF-8 input), `compile_error` (exactly when
/// the language compiles), `runtime_error` (NZEC, its text on stderr),
/// `infinite_loop` (TLE) and `memory_hog` (MLE at 128 MiB); `expect.toml`
/// names the language and what the compiler and the runtime error say.
/// Where a toolchain reads host configuration, a `toolchain` case prints
/// what the box must show of it as the host does (`expect.toml`'s
/// `toolchain`): PHP's extensions, Racket's compiled collections.
/// One test per language runs every case and reports every failing one.
mod corpus {
    use super::*;

    #[derive(serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Expect {
        language: String,
        extension: String,
        #[serde(default)]
        compile_error: Vec<String>,
        runtime_error: String,
        /// What the `toolchain` case prints, exactly.
        #[serde(default)]
        toolchain: Option<String>,
    }

    fn read(dir: &Path, name: &str) -> Option<String> {
        std::fs::read_to_string(dir.join(name)).ok()
    }

    /// Runs every case of `tests/corpus/<name>`; `Err` lists the failures.
    fn run_corpus(name: &str) {
        let Some(engine) = engine() else { return };
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus").join(name);
        let expect: Expect = toml::from_str(&read(&dir, "expect.toml").expect("expect.toml")).expect("expect.toml");
        let lang = engine.registry().find(&expect.language).unwrap_or_else(|| {
            panic!("language {} is not available on this host: {:?}", expect.language, engine.registry().unavailable())
        });
        let file = |stem: &str| read(&dir, &format!("{stem}.{}", expect.extension));
        let mut failures = Vec::new();
        let compile_case = file("compile_error");
        if compile_case.is_some() != lang.spec.compile.is_some() {
            failures.push(format!(
                "{name}: a compile_error case is needed exactly when the language compiles (compiles: {})",
                lang.spec.compile.is_some()
            ));
        }
        let mut check = |case: &str, sub: Submission, ok: &dyn Fn(&Judgement) -> bool| {
            let j = judge_on(engine, &sub);
            if !ok(&j) {
                failures.push(format!("{name}/{case}:\n{}", describe(&j)));
            }
            j
        };
        let hello = file("hello").expect("every language has hello");
        for (case, input) in [("hello", "World"), ("utf8", "héllo wörld ✓ 日本")] {
            let sub =
                Submission { stdin: format!("{input}\n").into_bytes(), ..submission(&expect.language, hello.as_str()) };
            let want = format!("Hello, {input}!\n");
            let j = check(case, sub, &|j| j.run.status == StatusId::Accepted && j.run.stdout == want.as_bytes());
            if case == "hello" {
                // For the README's table (scripts/languages-bench.sh measures it too).
                eprintln!("MEASURE {name}: hello world memory {} KiB, time {:.3} s", j.run.memory, j.run.time);
            }
        }
        if let Some(src) = compile_case {
            let says = expect.compile_error.clone();
            check("compile_error", submission(&expect.language, src), &move |j| {
                j.run.status == StatusId::CompilationError
                    && j.run.stdout.is_empty()
                    && says.iter().all(|s| String::from_utf8_lossy(&j.compile_output).contains(s.as_str()))
            });
        }
        match (file("toolchain"), &expect.toolchain) {
            (Some(src), Some(want)) => {
                let want = want.clone();
                check("toolchain", submission(&expect.language, src), &move |j| {
                    j.run.status == StatusId::Accepted && j.run.stdout == want.as_bytes()
                });
            }
            (None, None) => {}
            _ => panic!("{name}: a toolchain case and expect.toml's toolchain go together"),
        }
        let says = expect.runtime_error.clone();
        check(
            "runtime_error",
            submission(&expect.language, file("runtime_error").expect("runtime_error")),
            &move |j| {
                j.run.status == StatusId::RuntimeNzec && String::from_utf8_lossy(&j.run.stderr).contains(says.as_str())
            },
        );
        let tle = Submission {
            limits: Limits { cpu_time: 1.0, wall_time: 10.0, ..roomy() },
            ..submission(&expect.language, file("infinite_loop").expect("infinite_loop"))
        };
        check("infinite_loop", tle, &|j| j.run.status == StatusId::TimeLimitExceeded);
        let mle = Submission {
            limits: Limits { memory_kb: 128 * 1024, ..roomy() },
            ..submission(&expect.language, file("memory_hog").expect("memory_hog"))
        };
        check("memory_hog", mle, &|j| j.run.status == StatusId::MemoryLimitExceeded);
        assert!(failures.is_empty(), "{} case(s) failed:\n{}", failures.len(), failures.join("\n"));
    }

    macro_rules! corpus {
        ($($name:ident),* $(,)?) => {
            $(#[test] #[ignore = "needs root: scripts/test.sh runs it"] fn $name() { run_corpus(stringify!($name)); })*

            /// Every directory of the corpus has its test above.
            #[test]
            fn every_corpus_directory_is_tested() {
                let listed = [$(stringify!($name)),*];
                let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus");
                for e in std::fs::read_dir(&dir).expect("tests/corpus") {
                    let n = e.expect("entry").file_name().to_string_lossy().into_owned();
                    assert!(listed.contains(&n.as_str()), "tests/corpus/{n} has no test in corpus!()");
                }
            }
        };
    }

    /// BEAM under Judge0's default file-size limit (1 MiB): its JIT keeps
    /// code in a memfd that the limit bounds (SIGXFSZ before the first line
    /// without the table's `min_file_size_kb`).
    #[test]
    #[ignore = "needs root: scripts/test.sh runs it"]
    fn beam_runs_under_judge0s_default_file_size_limit() {
        for (lang, dir, ext) in [("58", "erlang", "erl"), ("57", "elixir", "exs")] {
            let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("tests/corpus/{dir}/hello.{ext}"));
            let src = std::fs::read_to_string(&path).expect("the corpus's hello");
            let limits = Limits { file_size_kb: 1024, ..roomy() };
            let sub = Submission { stdin: b"flash\n".to_vec(), limits, ..submission(lang, src) };
            let Some(j) = judge(&sub) else { return };
            assert_status(&j, StatusId::Accepted);
            assert_eq!(j.run.stdout, b"Hello, flash!\n", "{}", describe(&j));
        }
    }

    corpus!(
        nasm, csharp, lisp, d, elixir, erlang, fortran, go, haskell, lua, ocaml, octave, pascal, php, prolog, ruby,
        rust, typescript, c_clang, cpp_clang, cobol, kotlin, objc, r, scala, perl, clojure, groovy, racket, nim,
        crystal, awk, brainfuck,
    );
}

// ---------------------------------------------------------------------------
// Sessions: one run in a workspace (issue 17)
// ---------------------------------------------------------------------------

mod workspace {
    use super::*;
    use flash_sandbox::BoxFile;

    fn file(path: &str, data: &[u8]) -> BoxFile {
        BoxFile { path: path.into(), mode: 0o644, data: data.to_vec() }
    }

    fn paths(files: &[BoxFile]) -> Vec<&str> {
        files.iter().map(|f| f.path.as_str()).collect()
    }

    /// A program reads a workspace file and writes others (one nested); what
    /// comes back is the whole box less the program's own source, and a file
    /// the program deleted is gone.
    #[test]
    #[ignore = "needs root: scripts/test.sh runs it"]
    fn a_run_reads_the_workspace_and_its_files_come_back() {
        let Some(engine) = engine() else { return };
        let src = "import os\n\
                   d = open('data/in.csv').read()\n\
                   os.makedirs('out', exist_ok=True)\n\
                   open('out/total.txt', 'w').write(str(sum(int(x) for x in d.split(','))))\n\
                   os.remove('old.txt')\n\
                   print(sorted(os.listdir('.')))\n";
        let ws = vec![file("data/in.csv", b"1,2,39"), file("old.txt", b"bye")];
        let run = engine.run_in_workspace(&submission("python", src), ws, 1024).unwrap();
        assert_status(&run.judgement, StatusId::Accepted);
        let files = run.files.expect("the program ran");
        assert_eq!(paths(&files), ["data/in.csv", "out/total.txt"], "{}", describe(&run.judgement));
        assert_eq!(files[1].data, b"42");
        assert!(run.refused.is_empty() && !run.truncated);
    }

    /// A workspace file named like the program's source is not put over it
    /// and comes back as it was; an executable bit survives the round trip.
    #[test]
    #[ignore = "needs root: scripts/test.sh runs it"]
    fn the_programs_own_files_are_not_the_workspaces() {
        let Some(engine) = engine() else { return };
        let lang = engine.registry().find("bash").unwrap().spec.source.clone();
        let tool = BoxFile { path: "tool.sh".into(), mode: 0o755, data: b"#!/bin/sh\necho tool\n".to_vec() };
        let ws = vec![file(&lang, b"not the program"), tool];
        let run = engine.run_in_workspace(&submission("bash", "./tool.sh > said.txt"), ws, 1024).unwrap();
        assert_status(&run.judgement, StatusId::Accepted);
        let files = run.files.unwrap();
        let own = files.iter().find(|f| f.path == lang).unwrap();
        assert_eq!(own.data, b"not the program");
        assert_eq!(files.iter().find(|f| f.path == "said.txt").unwrap().data, b"tool\n");
        assert_eq!(files.iter().find(|f| f.path == "tool.sh").unwrap().mode & 0o111, 0o111);
    }

    /// A compiled program's binary stays out of the workspace too; a file over
    /// the per-file limit is named, not taken.
    #[test]
    #[ignore = "needs root: scripts/test.sh runs it"]
    fn compiled_artifacts_stay_out_and_large_files_are_refused() {
        let Some(engine) = engine() else { return };
        let src = "#include <fstream>\nint main(){ std::ofstream a(\"small.txt\"); a << \"hi\"; \
                   std::ofstream b(\"big.bin\"); for (int i = 0; i < 3000; i++) b << 'x'; }\n";
        let run = engine.run_in_workspace(&submission("cpp", src), Vec::new(), 2).unwrap();
        assert_status(&run.judgement, StatusId::Accepted);
        assert_eq!(paths(&run.files.unwrap()), ["small.txt"]);
        assert_eq!(run.refused, vec![("big.bin".to_owned(), 3000)]);
    }

    /// A compile error runs nothing: no workspace comes back.
    #[test]
    #[ignore = "needs root: scripts/test.sh runs it"]
    fn a_compile_error_leaves_no_workspace() {
        let Some(engine) = engine() else { return };
        let run = engine.run_in_workspace(&submission("cpp", "int main( {"), vec![file("a", b"1")], 1024).unwrap();
        assert_status(&run.judgement, StatusId::CompilationError);
        assert!(run.files.is_none());
    }
}
