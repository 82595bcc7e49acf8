//! A compile step its caller describes in full ([`Engine::compile_step`]):
//! the debugger's debug builds and its Java tracer go through here, so they
//! share the engine's compile cache, single-flight compiles and counters with
//! ordinary submissions instead of compiling on their own every time.

use crate::cache::{self, Artifact};
use crate::engine::{artifact_of, Kept};
use crate::registry::Language;
use crate::Engine;
use flash_sandbox::{RunSpec, Stdin};
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Instant;

/// A compile box described by its caller.
#[derive(Debug, Clone)]
pub struct CompileStep<'a> {
    /// The language compiled: its name and probed toolchain version are part
    /// of the cache key, so a new compiler never serves an old build.
    pub language: &'a Language,
    /// The compile box: argv, env, limits, files, and in `collect` the
    /// artifacts to keep (names that must be there, or `*.ext` patterns);
    /// `collect_max_kb` bounds each (0: the engine's own bound).
    pub spec: RunSpec,
}

/// What a compile step gave.
#[derive(Debug, Clone)]
pub struct Compiled {
    /// The artifacts (`ok`) or the compiler's complaint, with its output.
    pub artifact: Arc<Artifact>,
    /// Whether the compile cache served it (no compiler ran).
    pub cached: bool,
}

impl CompileStep<'_> {
    /// Everything that decides the step's result, for the cache key: the
    /// whole request (limits included, so a build is reused only under the
    /// limits it was made under) and every file's name, mode and bytes.
    fn key(&self) -> cache::Key {
        let head = serde_json::to_vec(&self.spec).expect("a run spec serializes");
        let lang = &self.language;
        let mut parts: Vec<&[u8]> = vec![b"step", lang.spec.name.as_bytes(), lang.version.as_bytes(), &head];
        let modes: Vec<[u8; 4]> = self.spec.files.iter().map(|f| f.mode.to_le_bytes()).collect();
        for (f, mode) in self.spec.files.iter().zip(&modes) {
            parts.extend([f.path.as_bytes(), mode.as_slice(), f.data.as_slice()]);
        }
        if let Stdin::Bytes(b) = &self.spec.stdin {
            parts.extend([b"stdin".as_slice(), b.as_slice()]);
        }
        cache::key(&parts)
    }
}

impl Engine {
    /// Runs a compile step through the compile cache: an identical step
    /// (same language and version, request and files) compiles once, and
    /// later ones are served the artifact. A success and a compile error are
    /// cached; a compile stopped by a limit is not. `Err` when the compiler
    /// could not run at all (the sandbox failed, the compiler is missing).
    pub fn compile_step(&self, step: CompileStep<'_>) -> Result<Compiled, String> {
        let key = step.key();
        let spec = step.spec;
        let (artifact, cached) = self.cache.get_or_compile(&key, |staging| {
            self.compiles.fetch_add(1, Ordering::Relaxed);
            let required: Vec<String> = spec.collect.clone();
            let max_kb = match spec.collect_max_kb {
                0 => self.max_artifact_kb,
                kb => kb,
            };
            let spec = RunSpec { collect_max_kb: max_kb, collect_into: Some(staging.to_owned()), ..spec };
            let t = Instant::now();
            let r = self.sandbox.run(&spec).map_err(|e| e.to_string())?;
            artifact_of(r, t.elapsed().as_secs_f64(), &Kept { required: &required, unpack: None, max_kb }, staging)
        });
        Ok(Compiled { artifact: artifact?, cached })
    }
}
