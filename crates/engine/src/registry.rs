//! The language registry: [`languages.toml`](../languages.toml) parsed,
//! validated, and filtered to the toolchains this host has, with versions
//! probed once at start-up.

use crate::Error;
use serde::Deserialize;
use std::path::Path;

/// Limit changes a language needs, each explained in the data file.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Adjust {
    /// At least this many processes/threads for runs.
    pub min_processes: Option<u64>,
    /// At least this file-size limit (RLIMIT_FSIZE), KiB, for runs: for
    /// runtimes whose own machinery is a file (BEAM's JIT keeps its code in
    /// a memfd, which the limit bounds like any file).
    pub min_file_size_kb: Option<u64>,
    /// Memory for the compile step, KiB (overrides the engine's default).
    pub compile_memory_kb: Option<u64>,
    /// CPU seconds for the compile step (the wall limit is twice that), for
    /// slow compilers; never below the engine's default.
    pub compile_cpu_time: Option<f64>,
}

/// How Piston names a language.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PistonName {
    /// Piston's language name ("go", "c++").
    pub name: String,
    /// Piston's aliases.
    #[serde(default)]
    pub aliases: Vec<String>,
    /// Piston's runtime ("gcc", "node", "mono"), when it names one.
    pub runtime: Option<String>,
}

/// A Judge0 language that this table cannot offer on any host, and why.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Missing {
    /// Judge0 id.
    pub id: u32,
    /// Judge0's name for it.
    pub name: String,
    /// Why it is not offered.
    pub reason: String,
}

/// A file the language's run command needs besides the program (e.g. a preload).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SupportFile {
    /// Name in the box (a plain file name).
    pub path: String,
    /// Its text.
    pub content: String,
}

/// One language as the data file describes it.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LanguageSpec {
    /// Judge0 id.
    pub id: u32,
    /// Short name, e.g. "C++".
    pub name: String,
    /// Display name with `{version}`, e.g. "C++ (GCC {version})".
    pub display: String,
    /// Other names users may give.
    #[serde(default)]
    pub aliases: Vec<String>,
    /// File extensions (without the dot) for `flash exec`.
    #[serde(default)]
    pub extensions: Vec<String>,
    /// Source file name in the box.
    pub source: String,
    /// Command printing the toolchain's version; its program must exist.
    pub version_cmd: Vec<String>,
    /// The toolchain's program when `version_cmd` is not run by it (Debian's
    /// Brainfuck interpreter cannot say its version, dpkg-query says it;
    /// Objective-C needs GNUstep besides gcc): it must exist for the language
    /// to be offered, and a probed version is kept until it changes.
    /// Default: `version_cmd`'s program.
    #[serde(default)]
    pub toolchain: Option<String>,
    /// Compile command, if the language is compiled.
    pub compile: Option<Vec<String>>,
    /// Run command.
    pub run: Vec<String>,
    /// Files kept from the compile box (names or "*.ext").
    #[serde(default)]
    pub artifacts: Vec<String>,
    /// An artifact that is a tar of the compile box's tree: Flash unpacks it
    /// into the run box itself, so its files are not subject to the program's
    /// file-size limit (Judge0 creates them outside the program's limits too).
    #[serde(default)]
    pub unpack: Option<String>,
    /// Limit adjustments.
    #[serde(default)]
    pub adjust: Adjust,
    /// Files every run box gets.
    #[serde(default)]
    pub support: Vec<SupportFile>,
    /// Environment for compile and run, besides the sandbox's default.
    #[serde(default)]
    pub env: std::collections::BTreeMap<String, String>,
    /// Piston's name for it (none: not offered through the Piston API).
    pub piston: Option<PistonName>,
    /// Jobe's id for it (none: not offered through the Jobe API).
    pub jobe: Option<String>,
    /// Text the runtime prints on stderr when an allocation failed (its heap
    /// is sized from the limit): such an exit is Memory Limit Exceeded.
    #[serde(default)]
    pub oom_markers: Vec<String>,
}

/// A language available on this host.
#[derive(Debug, Clone, PartialEq)]
pub struct Language {
    /// The data file's entry.
    pub spec: LanguageSpec,
    /// Probed toolchain version, e.g. "12.2.0".
    pub version: String,
    /// Display name with the version filled in.
    pub display_name: String,
}

impl Language {
    /// Judge0 id.
    pub fn id(&self) -> u32 {
        self.spec.id
    }

    /// Whether `name` (case-insensitive) names this language.
    pub fn matches(&self, name: &str) -> bool {
        let n = name.trim().to_ascii_lowercase();
        n == self.spec.id.to_string()
            || n == self.spec.name.to_ascii_lowercase()
            || n == self.display_name.to_ascii_lowercase()
            || self.spec.aliases.iter().any(|a| a.to_ascii_lowercase() == n)
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    /// Argument lists several commands share (the JVM languages' options): an
    /// argument `"{name}"` in a `compile` or `run` command stands for the list
    /// `name`, spliced in when the table is loaded.
    #[serde(default)]
    shared: std::collections::BTreeMap<String, Vec<String>>,
    language: Vec<LanguageSpec>,
    #[serde(default)]
    missing: Vec<Missing>,
}

/// The shipped language table.
pub const SHIPPED: &str = include_str!("../languages.toml");

/// Languages available here, plus the entries that were left out and why.
#[derive(Debug, Clone, Default)]
pub struct Registry {
    languages: Vec<Language>,
    unavailable: Vec<(String, String)>,
    /// Judge0 id -> why a submission for it is refused.
    refusals: std::collections::BTreeMap<u32, String>,
}

impl Registry {
    /// Loads `path`, or the shipped table, and probes every toolchain
    /// (through the [`VersionCache`] at [`VERSION_CACHE`]).
    pub fn load(path: Option<&Path>) -> Result<Registry, Error> {
        let text = match path {
            Some(p) => std::fs::read_to_string(p).map_err(|e| Error::Registry(format!("{}: {e}", p.display())))?,
            None => SHIPPED.to_owned(),
        };
        Registry::probed(&text)
    }

    /// [`Registry::from_toml`] probing this host's toolchains through the
    /// [`VersionCache`] at [`VERSION_CACHE`].
    pub fn probed(text: &str) -> Result<Registry, Error> {
        let cache = VersionCache::open(Path::new(VERSION_CACHE));
        let reg = Registry::with_probe(text, |spec| cache.probe_spec(spec, probe_version))?;
        cache.save();
        Ok(reg)
    }

    /// Parses and validates a table; `probe` returns a toolchain's version
    /// (given its version command) or why not.
    pub fn from_toml(
        text: &str,
        probe: impl Fn(&[String]) -> Result<String, String> + Sync,
    ) -> Result<Registry, Error> {
        Registry::with_probe(text, |spec| probe(&spec.version_cmd))
    }

    /// [`Registry::from_toml`] with a probe that sees the whole entry.
    fn with_probe(
        text: &str,
        probe: impl Fn(&LanguageSpec) -> Result<String, String> + Sync,
    ) -> Result<Registry, Error> {
        let mut file: File = toml::from_str(text).map_err(|e| Error::Registry(e.to_string()))?;
        let mut reg = Registry::default();
        let mut ids = std::collections::HashSet::new();
        for spec in &mut file.language {
            splice_shared(spec, &file.shared)?;
            validate(spec, &mut ids)?;
        }
        for m in &file.missing {
            if !ids.insert(m.id) {
                return Err(Error::Registry(format!("missing language {} ({}): duplicate id", m.id, m.name)));
            }
            let why = format!("{} (id {}) is not available: {}", m.name, m.id, m.reason);
            reg.refusals.insert(m.id, why);
            reg.unavailable.push((m.name.clone(), m.reason.clone()));
        }
        // Probe every toolchain at once: some (javac) take 100 ms to say their version.
        let probes: Vec<Result<String, String>> = std::thread::scope(|s| {
            let handles: Vec<_> = file.language.iter().map(|l| s.spawn(|| probe(l))).collect();
            handles.into_iter().map(|h| h.join().unwrap_or_else(|_| Err("version probe panicked".into()))).collect()
        });
        for (spec, probed) in file.language.into_iter().zip(probes) {
            match probed {
                Ok(version) => {
                    let display_name = spec.display.replace("{version}", &version);
                    reg.languages.push(Language { spec, version, display_name });
                }
                Err(why) => {
                    let say = format!("{} (id {}) is not installed on this server", spec.name, spec.id);
                    reg.refusals.insert(spec.id, say);
                    reg.unavailable.push((spec.name.clone(), why));
                }
            }
        }
        Ok(reg)
    }

    /// The languages offered.
    pub fn languages(&self) -> &[Language] {
        &self.languages
    }

    /// Entries whose toolchain is missing, with the reason.
    pub fn unavailable(&self) -> &[(String, String)] {
        &self.unavailable
    }

    /// Why a Judge0 id this table knows is not offered here (a toolchain that
    /// is not installed, or one no Debian package provides); `None` for an
    /// offered or unknown id. Names no host path.
    pub fn refusal(&self, id: u32) -> Option<&str> {
        self.refusals.get(&id).map(String::as_str)
    }

    /// Every refusal by Judge0 id (see [`Registry::refusal`]).
    pub fn refusals(&self) -> &std::collections::BTreeMap<u32, String> {
        &self.refusals
    }

    /// Finds a language by id, name, display name or alias.
    pub fn find(&self, name: &str) -> Option<&Language> {
        self.languages.iter().find(|l| l.matches(name))
    }

    /// Finds a language by a file extension (for `flash exec`).
    pub fn by_extension(&self, ext: &str) -> Option<&Language> {
        let ext = ext.to_ascii_lowercase();
        self.languages.iter().find(|l| l.spec.extensions.contains(&ext))
    }
}

/// The whole-argument placeholders filled per submission (see the table's
/// header); any other `"{name}"` argument must name a shared list.
const PER_RUN: [&str; 3] = ["{options}", "{args}", "{heap_mb}"];

/// Replaces each `"{name}"` argument of `spec`'s commands by the shared list
/// `name` (see [`File::shared`]).
fn splice_shared(
    spec: &mut LanguageSpec,
    shared: &std::collections::BTreeMap<String, Vec<String>>,
) -> Result<(), Error> {
    for cmd in std::iter::once(&mut spec.run).chain(spec.compile.as_mut()) {
        let mut out = Vec::with_capacity(cmd.len());
        for arg in cmd.drain(..) {
            let name = arg.strip_prefix('{').and_then(|a| a.strip_suffix('}'));
            match name.filter(|_| !PER_RUN.contains(&arg.as_str())) {
                Some(name) => match shared.get(name) {
                    Some(list) => out.extend(list.iter().cloned()),
                    None => {
                        return Err(Error::Registry(format!(
                            "language {} ({}): \"{arg}\" names no list of [shared]",
                            spec.id, spec.name
                        )))
                    }
                },
                None => out.push(arg),
            }
        }
        *cmd = out;
    }
    Ok(())
}

fn validate(spec: &LanguageSpec, ids: &mut std::collections::HashSet<u32>) -> Result<(), Error> {
    let bad = |why: &str| Err(Error::Registry(format!("language {} ({}): {why}", spec.id, spec.name)));
    if spec.name.trim().is_empty() || spec.run.is_empty() || spec.version_cmd.is_empty() {
        return bad("name, run and version_cmd must not be empty");
    }
    if flash_sandbox::spec::check_box_path(&spec.source).is_err() || spec.source.contains('/') {
        return bad("source must be a plain file name");
    }
    if spec.compile.as_ref().is_some_and(|c| c.is_empty()) {
        return bad("compile, when present, must not be empty");
    }
    if !ids.insert(spec.id) {
        return bad("duplicate id");
    }
    for f in &spec.support {
        if f.path.is_empty() || f.path.contains('/') || f.path == spec.source {
            return bad("support files are plain file names other than the source");
        }
    }
    if spec.env.keys().any(|k| k.is_empty() || k.contains(['=', '\0'])) || spec.env.values().any(|v| v.contains('\0')) {
        return bad("env names are non-empty without '=' or NUL, values without NUL");
    }
    if spec.adjust.compile_cpu_time.is_some_and(|t| !(t.is_finite() && t > 0.0 && t <= 600.0)) {
        return bad("compile_cpu_time is seconds in (0, 600]");
    }
    for a in &spec.artifacts {
        let name = a.strip_prefix("*.").unwrap_or(a);
        if name.is_empty() || name.contains('/') {
            return bad("artifacts are plain file names or \"*.ext\"");
        }
    }
    if let Err(why) = crate::warm::check_spec(spec) {
        return bad(&why);
    }
    Ok(())
}

/// Where probed versions are kept between starts (when it can be written).
pub const VERSION_CACHE: &str = "/var/cache/flash/toolchain-versions.json";

/// Versions probed before, kept in a file: probing runs every toolchain's
/// version command at each start, and some are slow (kotlinc starts a JVM: a
/// second here, tens of seconds under emulation). A version is reused while
/// the command's program (its resolved file) keeps its device, inode, size
/// and modification time, which an upgrade changes. Best effort: a cache that
/// cannot be read or written only means probing again.
pub struct VersionCache {
    path: std::path::PathBuf,
    known: std::sync::Mutex<std::collections::BTreeMap<String, String>>,
    changed: std::sync::atomic::AtomicBool,
}

impl VersionCache {
    /// The cache in `path` (empty when missing or unreadable).
    pub fn open(path: &Path) -> VersionCache {
        let known = std::fs::read(path).ok().and_then(|b| serde_json::from_slice(&b).ok()).unwrap_or_default();
        VersionCache { path: path.to_owned(), known: std::sync::Mutex::new(known), changed: Default::default() }
    }

    /// The version `cmd` prints, from the cache or from `probe`.
    pub fn probe(&self, cmd: &[String], probe: impl Fn(&[String]) -> Result<String, String>) -> Result<String, String> {
        let Some(prog) = cmd.first() else { return probe(cmd) };
        self.probe_for(prog, cmd, probe)
    }

    /// The version of `spec`'s toolchain: none when its `toolchain` is
    /// missing, else what its version command prints (through the cache).
    pub fn probe_spec(
        &self,
        spec: &LanguageSpec,
        probe: impl Fn(&[String]) -> Result<String, String>,
    ) -> Result<String, String> {
        match &spec.toolchain {
            Some(t) if !Path::new(t).exists() => Err(format!("{t} not found")),
            Some(t) => self.probe_for(t, &spec.version_cmd, probe),
            None => self.probe(&spec.version_cmd, probe),
        }
    }

    /// The version `cmd` prints of the toolchain `prog`, from the cache
    /// (while `prog` is unchanged) or from `probe`.
    pub fn probe_for(
        &self,
        prog: &str,
        cmd: &[String],
        probe: impl Fn(&[String]) -> Result<String, String>,
    ) -> Result<String, String> {
        let Some(key) = Self::key(prog, cmd) else { return probe(cmd) };
        if let Some(v) = self.known.lock().unwrap_or_else(|p| p.into_inner()).get(&key) {
            return Ok(v.clone());
        }
        let v = probe(cmd)?;
        self.known.lock().unwrap_or_else(|p| p.into_inner()).insert(key, v.clone());
        self.changed.store(true, std::sync::atomic::Ordering::Relaxed);
        Ok(v)
    }

    /// Writes what is new (atomically: a temporary file renamed over it).
    pub fn save(&self) {
        if !self.changed.load(std::sync::atomic::Ordering::Relaxed) {
            return;
        }
        let known = self.known.lock().unwrap_or_else(|p| p.into_inner());
        let Ok(json) = serde_json::to_vec_pretty(&*known) else { return };
        let Some(dir) = self.path.parent() else { return };
        let tmp = self.path.with_extension(format!("tmp.{}", std::process::id()));
        let written = std::fs::create_dir_all(dir).and_then(|()| std::fs::write(&tmp, json));
        if written.and_then(|()| std::fs::rename(&tmp, &self.path)).is_err() {
            let _ = std::fs::remove_file(&tmp);
        }
    }

    /// The command and what identifies the toolchain's file now: its real
    /// path, size and modification time (to the nanosecond), which every
    /// upgrade changes. Not the device and inode: they differ where the same
    /// files are seen through another filesystem (the VM test's guests read
    /// the host's root over 9p) and would make the cache useless there.
    fn key(prog: &str, cmd: &[String]) -> Option<String> {
        use std::os::unix::fs::MetadataExt;
        let prog = std::fs::canonicalize(prog).ok()?;
        let m = std::fs::metadata(&prog).ok()?;
        Some(format!("{cmd:?} {} {} {}.{}", prog.display(), m.size(), m.mtime(), m.mtime_nsec()))
    }
}

/// Runs the version command (outside any box: it only prints a version) and
/// takes the first `N.N[.N]` in its output (the first line that has one).
pub fn probe_version(cmd: &[String]) -> Result<String, String> {
    let (prog, args) = cmd.split_first().ok_or("empty version command")?;
    if !Path::new(prog).exists() {
        return Err(format!("{prog} not found"));
    }
    let out = std::process::Command::new(prog)
        .args(args)
        .env_clear()
        .env("PATH", "/usr/bin:/bin")
        .output()
        .map_err(|e| format!("{prog}: {e}"))?;
    let text = if out.stdout.is_empty() { out.stderr } else { out.stdout };
    // The first line that has one: a JVM may warn before kotlinc says its version.
    let text = String::from_utf8_lossy(&text);
    let first = text.lines().next().unwrap_or("").to_owned();
    text.lines().find_map(parse_version).ok_or_else(|| format!("no version in {first:?}"))
}

/// The first dotted number (`12.2.0`, `3.11`) in `line`.
pub fn parse_version(line: &str) -> Option<String> {
    let b = line.as_bytes();
    let mut i = 0;
    while i < b.len() {
        // A number starts a word, or follows "v" or "go" ("v20.1", "go1.19.8").
        let after = |p: &[u8]| {
            i >= p.len() && &b[i - p.len()..i] == p && (i == p.len() || !b[i - p.len() - 1].is_ascii_alphanumeric())
        };
        if b[i].is_ascii_digit() && (i == 0 || !b[i - 1].is_ascii_alphanumeric() || after(b"v") || after(b"go")) {
            let start = i;
            let mut dots = 0;
            while i < b.len()
                && (b[i].is_ascii_digit() || (b[i] == b'.' && i + 1 < b.len() && b[i + 1].is_ascii_digit()))
            {
                dots += usize::from(b[i] == b'.');
                i += 1;
            }
            if dots > 0 {
                return Some(line[start..i].to_owned());
            }
        }
        i += 1;
    }
    None
}

#[cfg(test)]
mod version_cache_tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    #[test]
    fn a_version_is_probed_once_until_the_program_changes() {
        let dir = tempfile::tempdir().unwrap();
        let prog = dir.path().join("tool");
        std::fs::write(&prog, "v1").unwrap();
        let cmd = vec![prog.to_string_lossy().into_owned(), "--version".to_owned()];
        let cache_file = dir.path().join("cache/versions.json");
        let calls = AtomicUsize::new(0);
        let probe = |_: &[String]| {
            calls.fetch_add(1, Ordering::SeqCst);
            Ok::<_, String>("1.2.3".to_owned())
        };
        for _ in 0..2 {
            let c = VersionCache::open(&cache_file);
            assert_eq!(c.probe(&cmd, probe).unwrap(), "1.2.3");
            c.save();
        }
        assert_eq!(calls.load(Ordering::SeqCst), 1, "the second start reads the file");
        // An upgrade (here: another size) probes again; a failure is not kept.
        std::fs::write(&prog, "version 2").unwrap();
        let c = VersionCache::open(&cache_file);
        assert_eq!(c.probe(&cmd, probe).unwrap(), "1.2.3");
        assert_eq!(calls.load(Ordering::SeqCst), 2);
        let failing = |_: &[String]| Err::<String, _>("no".to_owned());
        let other = vec![dir.path().join("missing").to_string_lossy().into_owned()];
        assert!(c.probe(&other, failing).is_err());
        c.save();
        let text = std::fs::read_to_string(&cache_file).unwrap();
        assert!(!text.contains("missing"), "{text}");
    }

    /// `toolchain`: the program a version command speaks for (dpkg-query
    /// for beef). Missing, the language is not offered although the command
    /// works; changed, it is probed again although the command's program is
    /// the same.
    #[test]
    fn a_toolchain_other_than_the_version_command_gates_and_keys_the_probe() {
        let dir = tempfile::tempdir().unwrap();
        let tool = dir.path().join("tool");
        let spec = |toolchain: &Path| LanguageSpec {
            toolchain: Some(toolchain.to_string_lossy().into_owned()),
            ..toml::from_str(
                "id = 1\nname = \"T\"\ndisplay = \"T\"\nsource = \"t\"\n\
                 version_cmd = [\"/bin/echo\", \"4.5.6\"]\nrun = [\"t\"]\n",
            )
            .unwrap()
        };
        let cache = VersionCache::open(&dir.path().join("versions.json"));
        let calls = AtomicUsize::new(0);
        let probe = |cmd: &[String]| {
            calls.fetch_add(1, Ordering::SeqCst);
            probe_version(cmd)
        };
        let err = cache.probe_spec(&spec(&tool), probe).unwrap_err();
        assert!(err.contains("not found"), "{err}");
        assert_eq!(calls.load(Ordering::SeqCst), 0, "a missing toolchain is never probed");
        std::fs::write(&tool, "v1").unwrap();
        assert_eq!(cache.probe_spec(&spec(&tool), probe).unwrap(), "4.5.6");
        assert_eq!(cache.probe_spec(&spec(&tool), probe).unwrap(), "4.5.6");
        assert_eq!(calls.load(Ordering::SeqCst), 1, "kept while the toolchain is unchanged");
        std::fs::write(&tool, "version 2").unwrap();
        assert_eq!(cache.probe_spec(&spec(&tool), probe).unwrap(), "4.5.6");
        assert_eq!(calls.load(Ordering::SeqCst), 2, "an upgraded toolchain is probed again");
        std::fs::remove_file(&tool).unwrap();
        assert!(cache.probe_spec(&spec(&tool), probe).is_err(), "a removed toolchain is not offered from the cache");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_are_found_in_real_banners() {
        let cases = [
            ("g++ (Debian 12.2.0-14+deb12u1) 12.2.0", "12.2.0"),
            ("Python 3.11.2", "3.11.2"),
            ("v20.20.2", "20.20.2"),
            ("javac 17.0.15", "17.0.15"),
            ("3.40.1 2022-12-28 14:03:47 df5c253c0b3dd24916e4ec7cf77d3db5294cc9fd45ae7b9c5e82ad8197f3alt1", "3.40.1"),
            ("GNU bash, version 5.2.15(1)-release (x86_64-pc-linux-gnu)", "5.2.15"),
            ("go version go1.19.8 linux/amd64", "1.19.8"),
            ("SBCL 2.2.9.debian", "2.2.9"),
            ("ruby 3.1.2p20 (2022-04-12 revision 4491bb740a) [x86_64-linux-gnu]", "3.1.2"),
        ];
        for (line, want) in cases {
            assert_eq!(parse_version(line).as_deref(), Some(want), "{line}");
        }
        assert_eq!(parse_version("no digits here"), None);
    }

    #[test]
    fn shipped_table_loads_and_names_resolve() {
        let reg = Registry::from_toml(SHIPPED, |_| Ok("1.2.3".into())).unwrap();
        assert_eq!(reg.languages().len(), 40);
        assert_eq!(reg.refusal(47).map(|r| r.contains("FreeBASIC")), Some(true));
        assert_eq!(reg.find("golang").map(Language::id), Some(60));
        assert_eq!(reg.by_extension("kt").map(Language::id), Some(78));
        for (name, id) in [
            ("cpp", 54),
            ("C++", 54),
            ("54", 54),
            ("python3", 71),
            ("JS", 63),
            ("java", 62),
            ("sqlite", 82),
            ("bash", 46),
            ("c", 50),
        ] {
            assert_eq!(reg.find(name).map(Language::id), Some(id), "{name}");
        }
        assert_eq!(reg.find("C++ (GCC 1.2.3)").map(Language::id), Some(54));
        assert_eq!(reg.by_extension("py").map(Language::id), Some(71));
        assert!(reg.find("fsharp").is_none());
    }

    /// A split-mode server learns what its workers offer by version command
    /// (the server's LanguageTable): an entry gated by its own `toolchain`
    /// must not share its version command with another entry, or it would
    /// be offered wherever that one is (Objective-C wherever C is).
    #[test]
    fn a_gated_language_has_a_version_command_of_its_own() {
        let reg = Registry::from_toml(SHIPPED, |_| Ok("1".into())).unwrap();
        for l in reg.languages().iter().filter(|l| l.spec.toolchain.is_some()) {
            let same: Vec<u32> = reg
                .languages()
                .iter()
                .filter(|o| o.id() != l.id() && o.spec.version_cmd == l.spec.version_cmd)
                .map(Language::id)
                .collect();
            assert!(same.is_empty(), "{} shares its version command with {same:?}", l.id());
        }
    }

    /// A name, alias, extension or Piston name means one language only
    /// (Prolog once took Perl's "pl": the first match would have won).
    #[test]
    fn no_two_languages_share_a_name_an_extension_or_a_piston_name() {
        let reg = Registry::from_toml(SHIPPED, |_| Ok("1".into())).unwrap();
        let mut seen = std::collections::HashMap::new();
        for l in reg.languages() {
            let s = &l.spec;
            let names = std::iter::once(&s.name).chain(&s.aliases).map(|n| format!("name {}", n.to_lowercase()));
            let exts = s.extensions.iter().map(|e| format!("extension {}", e.to_lowercase()));
            let piston = s.piston.iter().flat_map(|p| std::iter::once(&p.name).chain(&p.aliases));
            let piston = piston.map(|n| format!("piston {}", n.to_lowercase()));
            for key in names.chain(exts).chain(piston).collect::<std::collections::BTreeSet<_>>() {
                if let Some(other) = seen.insert(key.clone(), l.id()) {
                    panic!("{key} is both language {other}'s and {}'s", l.id());
                }
            }
        }
    }

    #[test]
    fn missing_toolchains_are_left_out_with_a_reason() {
        let reg = Registry::from_toml(SHIPPED, |cmd| {
            if cmd[0] == "/usr/bin/javac" {
                Err("/usr/bin/javac not found".into())
            } else {
                Ok("1".into())
            }
        })
        .unwrap();
        assert!(reg.find("java").is_none());
        assert!(reg.unavailable().contains(&("Java".to_string(), "/usr/bin/javac not found".to_string())));
        // Judge0's ids no Debian package serves are listed too, with the reason.
        assert!(reg.unavailable().iter().any(|(n, why)| n.starts_with("Swift") && why.contains("Debian 12")));
        // A refusal says what is missing, never where the host looked.
        let why = reg.refusal(62).unwrap();
        assert_eq!(why, "Java (id 62) is not installed on this server");
        assert!(reg.refusal(71).is_none() && reg.refusal(9999).is_none());
    }

    #[test]
    fn broken_entries_are_reported_clearly() {
        let dup = format!("{SHIPPED}\n[[language]]\nid = 54\nname = \"X\"\ndisplay = \"X\"\nsource = \"x\"\nversion_cmd = [\"x\"]\nrun = [\"x\"]\n");
        let e = Registry::from_toml(&dup, |_| Ok("1".into())).unwrap_err().to_string();
        assert!(e.contains("language 54 (X): duplicate id"), "{e}");
        let e = Registry::from_toml("[[language]]\nid = 1\n", |_| Ok("1".into())).unwrap_err().to_string();
        assert!(e.contains("missing field"), "{e}");
        let bad_src =
            "[[language]]\nid=1\nname=\"X\"\ndisplay=\"X\"\nsource=\"../x\"\nversion_cmd=[\"x\"]\nrun=[\"x\"]\n";
        let e = Registry::from_toml(bad_src, |_| Ok("1".into())).unwrap_err().to_string();
        assert!(e.contains("source must be a plain file name"), "{e}");
        let unknown = "[[language]]\nid=1\nname=\"X\"\ndisplay=\"X\"\nsource=\"x\"\nversion_cmd=[\"x\"]\nrun=[\"x\", \"{jvm}\"]\n";
        let e = Registry::from_toml(unknown, |_| Ok("1".into())).unwrap_err().to_string();
        assert!(e.contains("language 1 (X): \"{jvm}\" names no list of [shared]"), "{e}");
        let layers = "[[language]]\nid=1\nname=\"X\"\ndisplay=\"X\"\nsource=\"x\"\nversion_cmd=[\"x\"]\n\
                      run=[\"java\", \"-XX:SharedArchiveFile=/.flash/warm/b.jsa:/.flash/warm/x.jsa\"]\n";
        let e = Registry::from_toml(layers, |_| Ok("1".into())).unwrap_err().to_string();
        assert!(e.contains("language 1 (X): run: an archive in two layers is built for Java only"), "{e}");
    }

    #[test]
    fn a_shared_list_is_spliced_where_a_command_names_it() {
        let text = "[shared]\nvm = [\"-a\", \"-Xmx{heap_mb}m\"]\n[[language]]\nid=1\nname=\"X\"\ndisplay=\"X\"\n\
                    source=\"x\"\nversion_cmd=[\"x\"]\ncompile=[\"c\", \"{vm}\", \"{options}\"]\n\
                    run=[\"x\", \"{vm}\", \"-b\", \"{args}\"]\n";
        let reg = Registry::from_toml(text, |_| Ok("1".into())).unwrap();
        let spec = &reg.languages()[0].spec;
        assert_eq!(spec.run, ["x", "-a", "-Xmx{heap_mb}m", "-b", "{args}"]);
        assert_eq!(spec.compile.as_deref().unwrap(), ["c", "-a", "-Xmx{heap_mb}m", "{options}"]);
    }
}
