//! What the service needs from the engine ([`Judge`]), declared here by the
//! consumer so tests can serve the API with a fake judge and no sandbox; and
//! the language table the APIs show ([`Languages`]), with Judge0's extra ids.
//!
//! In split mode a `flash server` has no engine (and maybe no compilers): the
//! workers publish the table they judge with ([`LanguageTable`]) and the
//! server serves it through a [`TableJudge`], which lists but never judges.

use flash_debugger::{DebugLimits, DebugRequest, Trace};
use flash_engine::{Engine, Judgement, Language, LiveEvent, LiveInput, Registry, Submission, WorkspaceRun};
use flash_judge::{Package, Report};
use flash_sandbox::BoxFile;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Judges submissions (blocking) and lists the languages it can judge.
pub trait Judge: Send + Sync + 'static {
    /// Judges one submission; `Err` when it cannot be judged at all.
    fn judge(&self, sub: &Submission) -> Result<Judgement, flash_engine::Error>;
    /// The languages offered.
    fn languages(&self) -> &[Language];
    /// Why the Judge0 id `id`, known to the language table, is not offered
    /// (its toolchain is not installed, or Debian has none); `None` otherwise.
    fn refusal(&self, _id: u32) -> Option<String> {
        None
    }
    /// Compile-cache and compile counters for `/metrics`.
    fn stats(&self) -> JudgeStats {
        JudgeStats::default()
    }
    /// Whether precompiled headers or warm-runtime archives are still being
    /// built (judging works, more slowly): `/health` says `warming`.
    fn warming(&self) -> bool {
        false
    }
    /// Whether [`Judge::debug`] works in this process (a `flash server` without
    /// a sandbox queues debug requests for the workers instead).
    fn can_debug(&self) -> bool {
        false
    }
    /// Records a step-by-step trace (blocking); `Err` when it cannot be traced at all.
    fn debug(&self, req: &DebugRequest) -> Result<Trace, flash_debugger::Error> {
        Err(flash_debugger::Error::Unsupported(format!("{} (this process has no sandbox to trace in)", req.language)))
    }
    /// Whether [`Judge::judge_live`] works in this process (it needs a sandbox here).
    fn can_stream(&self) -> bool {
        false
    }
    /// Judges while talking to the program (blocking): see [`Engine::judge_live`].
    fn judge_live(
        &self,
        sub: &Submission,
        _input: std::sync::mpsc::Receiver<LiveInput>,
        _on: &mut (dyn FnMut(LiveEvent<'_>) + Send),
    ) -> Result<Judgement, flash_engine::Error> {
        Err(flash_engine::Error::Invalid(format!("{}: this process has no sandbox to stream from", sub.language)))
    }
    /// Runs once in a session's workspace (blocking): see [`Engine::run_in_workspace`].
    fn run_in_workspace(
        &self,
        sub: &Submission,
        _workspace: Vec<BoxFile>,
        _max_file_kb: u64,
    ) -> Result<WorkspaceRun, flash_engine::Error> {
        Err(flash_engine::Error::Invalid(format!("{}: this process has no sandbox to run a session in", sub.language)))
    }
    /// Judges a submission on a problem package (blocking): see [`flash_judge::judge`].
    fn judge_package(
        &self,
        _pkg: &Package,
        _language: &str,
        _source: Vec<u8>,
        _opts: &flash_judge::Options,
    ) -> Result<Report, flash_judge::JudgeError> {
        Err(flash_judge::JudgeError::Unsupported("this process has no sandbox to judge a package in".into()))
    }
}

/// Counters of the engine.
#[derive(Debug, Clone, Copy, Default)]
pub struct JudgeStats {
    /// Compiles actually run (cache misses).
    pub compiles: u64,
    /// Compile cache size.
    pub cache_bytes: u64,
    /// Compile cache entries.
    pub cache_entries: u64,
}

impl Judge for Engine {
    fn judge(&self, sub: &Submission) -> Result<Judgement, flash_engine::Error> {
        Engine::judge(self, sub)
    }

    fn languages(&self) -> &[Language] {
        self.registry().languages()
    }

    fn refusal(&self, id: u32) -> Option<String> {
        self.registry().refusal(id).map(str::to_owned)
    }

    fn can_debug(&self) -> bool {
        true
    }

    fn can_stream(&self) -> bool {
        true
    }

    fn judge_live(
        &self,
        sub: &Submission,
        input: std::sync::mpsc::Receiver<LiveInput>,
        on: &mut (dyn FnMut(LiveEvent<'_>) + Send),
    ) -> Result<Judgement, flash_engine::Error> {
        Engine::judge_live(self, sub, input, on)
    }

    fn run_in_workspace(
        &self,
        sub: &Submission,
        workspace: Vec<BoxFile>,
        max_file_kb: u64,
    ) -> Result<WorkspaceRun, flash_engine::Error> {
        Engine::run_in_workspace(self, sub, workspace, max_file_kb)
    }

    fn debug(&self, req: &DebugRequest) -> Result<Trace, flash_debugger::Error> {
        flash_debugger::debug(self, req, &DebugLimits::default())
    }

    fn judge_package(
        &self,
        pkg: &Package,
        language: &str,
        source: Vec<u8>,
        opts: &flash_judge::Options,
    ) -> Result<Report, flash_judge::JudgeError> {
        flash_judge::judge(self, pkg, language, source, opts)
    }

    fn warming(&self) -> bool {
        Engine::warming(self)
    }

    fn stats(&self) -> JudgeStats {
        let (bytes, entries) = self.cache_stats();
        JudgeStats { compiles: self.compiles_run(), cache_bytes: bytes, cache_entries: entries as u64 }
    }
}

/// A language table as a worker publishes it: the TOML it loaded and the
/// toolchain versions it probed (by version command), so a server rebuilds the
/// same [`Registry`] without probing anything itself.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LanguageTable {
    /// The table's TOML text.
    pub toml: String,
    /// Version command (joined with spaces) -> probed version, for the available languages.
    pub versions: BTreeMap<String, String>,
}

impl LanguageTable {
    /// What a worker publishes for `registry`, loaded from `toml`.
    pub fn new(toml: &str, registry: &Registry) -> LanguageTable {
        let versions = registry.languages().iter().map(|l| (l.spec.version_cmd.join(" "), l.version.clone())).collect();
        LanguageTable { toml: toml.to_owned(), versions }
    }

    /// The registry the worker had: languages whose toolchain it lacked stay unavailable.
    pub fn registry(&self) -> Result<Registry, flash_engine::Error> {
        Registry::from_toml(&self.toml, |cmd| {
            self.versions.get(&cmd.join(" ")).cloned().ok_or_else(|| "not available on the workers".to_owned())
        })
    }
}

impl LanguageTable {
    /// Waits until a worker has published its table (saying so every 10 s),
    /// for a server started before any worker.
    pub async fn wait_published(cluster: &dyn crate::store::Cluster) -> Result<LanguageTable, String> {
        let mut say = std::time::Instant::now();
        loop {
            let problem = match cluster.languages().await {
                Ok(Some(json)) => {
                    return serde_json::from_str(&json)
                        .map_err(|e| format!("the published language table is invalid: {e}"));
                }
                Ok(None) => {
                    "no worker has published its language table yet; waiting for one (start `flash worker`)".into()
                }
                Err(e) => format!("cannot read the language table ({e}); retrying"),
            };
            if std::time::Instant::now() >= say {
                tracing::warn!("{problem}");
                say += std::time::Duration::from_secs(10);
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
    }
}

/// A judge that only lists languages: what a `flash server` (HTTP only) holds.
pub struct TableJudge(pub Vec<Language>, pub BTreeMap<u32, String>);

impl TableJudge {
    /// The languages and refusals of `registry`.
    pub fn of(registry: &Registry) -> TableJudge {
        TableJudge(registry.languages().to_vec(), registry.refusals().clone())
    }
}

impl Judge for TableJudge {
    fn judge(&self, _: &Submission) -> Result<Judgement, flash_engine::Error> {
        Ok(Judgement::internal("this process does not judge (it is a server without workers)"))
    }

    fn languages(&self) -> &[Language] {
        &self.0
    }

    fn refusal(&self, id: u32) -> Option<String> {
        self.1.get(&id).cloned()
    }
}

/// Judge0's id of the multi-file program language.
pub const MULTI_FILE_ID: u32 = 89;

/// One language as the APIs show it.
#[derive(Debug, Clone, PartialEq)]
pub struct Lang {
    /// The id clients use (Judge0's).
    pub id: u32,
    /// The engine's language this runs as.
    pub engine_id: u32,
    /// Display name with version.
    pub name: String,
    /// The toolchain's probed version, e.g. "12.2.0".
    pub version: String,
    /// Judge0's "Multi-file program": sources and scripts come in `additional_files`.
    pub is_project: bool,
    /// Whether there is a compile step (compiler options are allowed only then).
    pub compiled: bool,
    /// Source file name in the box.
    pub source_file: String,
    /// Compile command, shown by `/languages/{id}`.
    pub compile_cmd: Option<String>,
    /// Run command, shown by `/languages/{id}`.
    pub run_cmd: String,
    /// Alias ids are listed but never matched by name.
    pub is_alias: bool,
    /// Shown by Judge0's `/languages` (each toolchain once); the others are
    /// archived in `/languages/all` and still take submissions.
    pub listed: bool,
}

/// The languages, sorted by name like Judge0's `/languages`.
#[derive(Debug, Clone, Default)]
pub struct Languages {
    list: Vec<Lang>,
    engine: Vec<Language>,
}

impl Languages {
    /// Builds the table from the engine's languages and Judge0 alias ids
    /// (`alias id -> engine id`; aliases of missing languages are dropped).
    pub fn new(langs: &[Language], aliases: &BTreeMap<String, u32>) -> Languages {
        Languages::with_listed(langs, aliases, &BTreeMap::new())
    }

    /// [`Languages::new`], where `listed` (`engine id -> alias id`) names the
    /// alias id under which `/languages` shows a toolchain instead of its own.
    pub fn with_listed(
        langs: &[Language],
        aliases: &BTreeMap<String, u32>,
        listed: &BTreeMap<String, u32>,
    ) -> Languages {
        let mut list: Vec<Lang> = langs.iter().map(lang).collect();
        for (alias, &target) in aliases {
            let Ok(alias) = alias.parse::<u32>() else {
                continue;
            };
            if list.iter().any(|l| l.id == alias) {
                continue;
            }
            if let Some(t) = list.iter().find(|l| l.id == target && !l.is_alias) {
                list.push(Lang { id: alias, is_alias: true, listed: false, ..t.clone() });
            }
        }
        for (engine, &shown) in listed {
            let Ok(engine) = engine.parse::<u32>() else { continue };
            if list.iter().any(|l| l.id == shown && l.engine_id == engine) {
                for l in list.iter_mut().filter(|l| l.engine_id == engine) {
                    l.listed = l.id == shown;
                }
            }
        }
        list.sort_by(|a, b| a.name.cmp(&b.name).then(a.id.cmp(&b.id)));
        Languages { list, engine: langs.to_vec() }
    }

    /// Every language, alias ids included.
    pub fn all(&self) -> &[Lang] {
        &self.list
    }

    /// By Judge0 id (aliases included).
    pub fn by_id(&self, id: u32) -> Option<&Lang> {
        self.list.iter().find(|l| l.id == id)
    }

    /// The engine's language behind `l`.
    pub fn engine_language(&self, l: &Lang) -> Option<&Language> {
        self.engine.iter().find(|e| e.id() == l.engine_id)
    }

    /// By name, alias or id, as the native API takes it.
    pub fn find(&self, name: &str) -> Option<&Lang> {
        if let Ok(id) = name.trim().parse::<u32>() {
            return self.by_id(id);
        }
        let l = self.engine.iter().find(|l| l.matches(name))?;
        self.by_id(l.id())
    }
}

fn lang(l: &Language) -> Lang {
    let join = |v: &[String]| v.join(" ");
    Lang {
        id: l.id(),
        engine_id: l.id(),
        name: l.display_name.clone(),
        version: l.version.clone(),
        is_project: l.id() == MULTI_FILE_ID,
        compiled: l.spec.compile.is_some() && l.id() != MULTI_FILE_ID,
        source_file: l.spec.source.clone(),
        compile_cmd: l.spec.compile.as_deref().map(join),
        run_cmd: join(&l.spec.run),
        is_alias: false,
        listed: true,
    }
}

/// The multi-file program language (Judge0 id 89) as a language-table entry,
/// appended to the engine's table by the binary. The zip's `compile` script
/// (if any) runs in the compile box, whose whole tree is carried to the run box
/// in one archive, unpacked by the engine (outside the program's file-size
/// limit, as Judge0 does: there compile and run share one box); `run` runs there.
pub const MULTI_FILE_TOML: &str = include_str!("../multi-file.toml");

#[cfg(test)]
mod tests {
    use super::*;
    use flash_engine::Registry;

    fn table() -> Languages {
        let text = format!("{}{}", flash_engine::registry::SHIPPED, MULTI_FILE_TOML);
        let reg = Registry::from_toml(&text, |_| Ok("1.2.3".into())).unwrap();
        let aliases = [("52", 54), ("53", 54), ("1", 999)].map(|(a, b)| (a.to_owned(), b));
        Languages::new(reg.languages(), &aliases.into())
    }

    #[test]
    fn judge0_alias_ids_resolve_to_our_languages() {
        let t = table();
        let cpp = t.by_id(52).unwrap();
        assert_eq!((cpp.engine_id, cpp.name.as_str()), (54, "C++ (GCC 1.2.3)"));
        assert!(t.by_id(1).is_none(), "an alias of a missing language is dropped");
        assert_eq!(t.find("python3").unwrap().id, 71);
        assert_eq!(t.find("53").unwrap().engine_id, 54);
        assert!(t.by_id(MULTI_FILE_ID).unwrap().is_project);
        assert!(!t.by_id(MULTI_FILE_ID).unwrap().compiled);
        let names: Vec<_> = t.all().iter().map(|l| l.name.as_str()).collect();
        let mut sorted = names.clone();
        sorted.sort();
        assert_eq!(names, sorted);
    }
}
