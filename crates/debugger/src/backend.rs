//! The debugger's own commands, as data: for each language the registry
//! offers, how a debug build is made and which tracer runs it, with the
//! reason for every choice. The registry still decides names, aliases and
//! the source file's name; nothing here replaces it.
//!
//! Placeholders in `compile` and `run`: `{source}` is the registry's source
//! file name, `{heap_mb}` the target JVM's heap.

/// Where the tracer's files live inside the box (next to the user's file).
pub const DIR: &str = ".flash-debug";
/// The tracer's settings, as JSON (named by `$FLASH_DEBUG_CONFIG`).
pub const CONFIG: &str = ".flash-debug/config.json";
/// The trace the tracer writes: JSON lines.
pub const TRACE: &str = ".flash-debug/trace.jsonl";

/// How one language is traced.
#[derive(Debug)]
pub struct Backend {
    /// The registry's name of the language (`LanguageSpec::name`).
    pub language: &'static str,
    /// Debug build, if the language is compiled; its diagnostics are the compile output.
    pub compile: Option<&'static [&'static str]>,
    /// Files the compile step keeps ("*.ext" or names).
    pub artifacts: &'static [&'static str],
    /// The tracer's command line in the run box.
    pub run: &'static [&'static str],
    /// The program as the tracer starts it (after the seccomp wrapper, for gdb).
    pub program: &'static [&'static str],
    /// Tracer files put under [`DIR`]: name and contents.
    pub files: &'static [(&'static str, &'static str)],
    /// Whether the tracer needs ptrace (the sandbox's debugger seccomp profile).
    pub ptrace: bool,
    /// Whether the JDI tracer's compiled classes go into the box.
    pub jdi: bool,
    /// At least this much memory for the run, KiB.
    pub min_memory_kb: u64,
    /// At least this many processes/threads for the run.
    pub min_processes: u64,
    /// Why the entry looks the way it does.
    pub reason: &'static str,
}

const TRACER_GDB: (&str, &str) = ("tracer_gdb.py", include_str!("tracers/tracer_gdb.py"));

const GDB_RUN: &[&str] = &["/usr/bin/gdb", "-nx", "-q", "-batch", "-x", ".flash-debug/tracer_gdb.py"];

/// Every traced language.
pub const BACKENDS: &[Backend] = &[
    Backend {
        language: "C++",
        compile: Some(&[
            "/usr/bin/g++",
            "-std=c++17",
            "-g",
            "-O0",
            "-pipe",
            "-o",
            "main",
            "{source}",
            ".flash-debug/unbuffered.cpp",
        ]),
        artifacts: &["main"],
        run: GDB_RUN,
        program: &["./main"],
        files: &[TRACER_GDB, ("unbuffered.cpp", include_str!("tracers/unbuffered.cpp"))],
        ptrace: true,
        jdi: false,
        min_memory_kb: 512 * 1024,
        min_processes: 16,
        reason: "-O0 keeps every line and variable where the source says; gdb's Python API \
                 puts a breakpoint on each line-table address of the user's file and reads \
                 frames with the libstdc++ pretty printers. gdb needs ptrace, so the run uses \
                 the debugger seccomp profile and the program is started through \
                 `flash __seccomp-exec`, which denies it ptrace. unbuffered.cpp, a separate \
                 translation unit, makes stdout unbuffered without touching the user's lines.",
    },
    Backend {
        language: "C",
        compile: Some(&[
            "/usr/bin/gcc",
            "-std=gnu17",
            "-g",
            "-O0",
            "-pipe",
            "-o",
            "main",
            "{source}",
            ".flash-debug/unbuffered.c",
            "-lm",
        ]),
        artifacts: &["main"],
        run: GDB_RUN,
        program: &["./main"],
        files: &[TRACER_GDB, ("unbuffered.c", include_str!("tracers/unbuffered.c"))],
        ptrace: true,
        jdi: false,
        min_memory_kb: 512 * 1024,
        min_processes: 16,
        reason: "The C++ backend with gcc: the same gdb tracer and seccomp arrangement.",
    },
    Backend {
        language: "Python",
        compile: None,
        artifacts: &[],
        run: &["/usr/bin/python3", "-u", ".flash-debug/tracer.py"],
        program: &[],
        files: &[("tracer.py", include_str!("tracers/tracer.py"))],
        ptrace: false,
        jdi: false,
        min_memory_kb: 0,
        min_processes: 0,
        reason: "sys.settrace in the program's own interpreter (Debian's, never a pyenv \
                 shim): microseconds a step, no ptrace. -u as in a normal run.",
    },
    Backend {
        language: "JavaScript",
        compile: None,
        artifacts: &[],
        run: &["/usr/bin/node", ".flash-debug/tracer.js"],
        program: &[],
        files: &[("tracer.js", include_str!("tracers/tracer.js"))],
        ptrace: false,
        jdi: false,
        min_memory_kb: 0,
        min_processes: 32,
        reason: "An in-process inspector session with a breakpoint on every location of \
                 the user's file (stepping alone would miss timer and promise callbacks). \
                 V8 starts worker threads before any code runs.",
    },
    Backend {
        language: "Java",
        compile: Some(&[
            "/usr/bin/javac",
            "-J-Xmx512m",
            "-J-XX:+UseSerialGC",
            "-J-XX:TieredStopAtLevel=1",
            "-g",
            "-encoding",
            "UTF-8",
            "{source}",
        ]),
        artifacts: &["*.class"],
        run: &[
            "/usr/bin/java",
            "-XX:+UseSerialGC",
            "-Xmx128m",
            "-XX:TieredStopAtLevel=1",
            "-Xshare:auto",
            "-XX:-UsePerfData",
            "-cp",
            ".flash-debug",
            "Tracer",
            "--",
            "/usr/bin/java",
            "-XX:+UseSerialGC",
            "-Xss64m",
            "-Xmx{heap_mb}m",
            "-XX:TieredStopAtLevel=1",
            "-Xshare:auto",
            "-XX:-UsePerfData",
            "-cp",
            ".",
            "Main",
        ],
        program: &[],
        files: &[],
        ptrace: false,
        jdi: true,
        min_memory_kb: 1024 * 1024,
        min_processes: 256,
        reason: "javac -g for line and local variable tables; a JDI tracer VM launches the \
                 user's Main with a JDWP agent that connects back over the box's loopback \
                 (no ptrace). Two JVMs need the memory and threads of two. The tracer's VM \
                 first loads libnodump.so (built once with gcc next to Tracer.class), which \
                 makes it non-dumpable: the program, same user, cannot reach its /proc files. \
                 The program's VM has a run's stack and heap (the registry's [shared] jvm \
                 list: it recurses and allocates as far as in a run) but the serial GC (two \
                 VMs' threads in one box) and the JDK's own class archive (a debug box does \
                 not show the warm-runtime directory).",
    },
];

/// The backend for a registry language name, if it can be traced.
pub fn for_language(name: &str) -> Option<&'static Backend> {
    BACKENDS.iter().find(|b| b.language == name)
}

/// Fills the placeholders of a command template.
pub fn expand(template: &[&str], source: &str, heap_mb: u64) -> Vec<String> {
    template.iter().map(|t| t.replace("{source}", source).replace("{heap_mb}", &heap_mb.to_string())).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_backend_names_a_shipped_language_and_says_why() {
        let reg = flash_engine::Registry::from_toml(flash_engine::registry::SHIPPED, |_| Ok("1".into())).unwrap();
        for b in BACKENDS {
            assert!(reg.languages().iter().any(|l| l.spec.name == b.language), "{} is not in the registry", b.language);
            assert!(b.reason.len() > 20, "{} needs a reason", b.language);
            assert!(!b.run.is_empty());
            assert_eq!(b.ptrace, b.run[0].ends_with("gdb"), "{}", b.language);
        }
        assert!(for_language("SQL").is_none());
    }

    /// The traced Java program gets the stack and heap options of a run, so
    /// a program that recurses deeply in a run does so under the debugger.
    #[test]
    fn the_traced_java_program_has_a_runs_stack_and_heap() {
        let reg = flash_engine::Registry::from_toml(flash_engine::registry::SHIPPED, |_| Ok("1".into())).unwrap();
        let run = &reg.find("Java").unwrap().spec.run;
        let java = for_language("Java").unwrap();
        let program = &java.run[java.run.iter().position(|a| *a == "--").unwrap() + 1..];
        for option in ["-Xss", "-Xmx"] {
            let in_run: Vec<&str> = run.iter().map(String::as_str).filter(|a| a.starts_with(option)).collect();
            let traced: Vec<&str> = program.iter().copied().filter(|a| a.starts_with(option)).collect();
            assert_eq!(in_run.len(), 1, "{option} in {run:?}");
            assert_eq!(traced, in_run, "{option}");
        }
    }

    #[test]
    fn placeholders_fill_in() {
        let got = expand(&["-o", "{source}", "-Xmx{heap_mb}m"], "main.cpp", 96);
        assert_eq!(got, ["-o", "main.cpp", "-Xmx96m"]);
    }
}
