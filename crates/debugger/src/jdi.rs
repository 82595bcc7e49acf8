//! The Java tracer's classes: `Tracer.java` is compiled with javac, and its
//! guard `nodump.c` with gcc, through the engine's compile step (so its cache
//! keeps them across restarts) the first time a Java program is debugged; the
//! compiled artifact is held for the life of the process (its files stay on
//! the cache's disk, bound into each run box). A failed compile is not
//! remembered, so the next request tries again.

use flash_engine::{cache::Artifact, CompileStep, Engine, Language};
use flash_sandbox::{BoxFile, Limits, RunSpec};
use std::sync::{Arc, Mutex};

const SOURCE: &str = include_str!("tracers/Tracer.java");
/// Loaded first by the tracer: makes its JVM non-dumpable (see the file).
const NODUMP: &str = include_str!("tracers/nodump.c");

/// javac for the tracer, then gcc for its guard library, in one compile box.
const BUILD: &str = "/usr/bin/javac -J-Xmx512m -J-XX:+UseSerialGC -J-XX:TieredStopAtLevel=1 \
    -encoding UTF-8 -g:none Tracer.java && /usr/bin/gcc -O2 -shared -fPIC -o libnodump.so nodump.c";

static CLASSES: Mutex<Option<Arc<Artifact>>> = Mutex::new(None);

/// The tracer's class files, compiled by `java`'s javac (bind them under
/// [`DIR`]: [`Artifact::binds`]).
///
/// [`DIR`]: crate::backend::DIR
pub fn tracer_classes(engine: &Engine, java: &Language, limits: &Limits) -> Result<Arc<Artifact>, String> {
    // Held while compiling: concurrent first requests wait for one compile.
    let mut cached = CLASSES.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(c) = &*cached {
        return Ok(c.clone());
    }
    let mut limits = limits.clone();
    limits.memory_kb = limits.memory_kb.max(1024 * 1024);
    limits.processes = limits.processes.max(128);
    let spec = RunSpec {
        argv: ["/bin/sh", "-c", BUILD].map(String::from).to_vec(),
        env: flash_sandbox::default_env(),
        limits,
        files: vec![
            BoxFile { path: "Tracer.java".into(), mode: 0o644, data: SOURCE.as_bytes().to_vec() },
            BoxFile { path: "nodump.c".into(), mode: 0o644, data: NODUMP.as_bytes().to_vec() },
        ],
        collect: vec!["*.class".into(), "libnodump.so".into()],
        merge_stderr: true,
        ..RunSpec::default()
    };
    let built = engine
        .compile_step(CompileStep { language: java, spec })
        .map_err(|e| format!("compiling the Java tracer: {e}"))?;
    let a = built.artifact;
    if !a.ok || a.files.is_empty() {
        return Err(format!("compiling the Java tracer: {}", String::from_utf8_lossy(&a.output)));
    }
    *cached = Some(a.clone());
    Ok(a)
}
