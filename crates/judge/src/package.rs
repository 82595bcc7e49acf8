//! Reading a problem package (ICPC/Kattis format, `legacy` and `2023-07`).
//!
//! What is read: `problem.yaml` (`problem_format_version`, `type`,
//! `validation`, `validator_flags`, `limits`, and Flash's `checker_protocol`),
//! the `.timelimit` file, the test data tree under `data/sample` and
//! `data/secret` with `testdata.yaml` (or `test_group.yaml`) per group, and the
//! custom output validator in `output_validators/` (legacy) or
//! `output_validator/` (2023-07), and (Flash's extension) a testlib checker in
//! `testlib_checker/` that judges a testlib interactor's output file. Keys
//! Flash does not use are ignored.
//!
//! Symlinks are followed only to files inside the package, so a test case can
//! be reused in several groups; a link that leaves the package is an error.

use serde_norway::Value;
use std::path::{Path, PathBuf};

/// Why a package cannot be judged; every message names the file.
#[derive(Debug, thiserror::Error)]
#[error("{path}: {why}")]
pub struct PackageError {
    /// The file or directory, relative to the package.
    pub path: String,
    /// What is wrong with it.
    pub why: String,
}

fn err<T>(path: impl Into<String>, why: impl Into<String>) -> Result<T, PackageError> {
    Err(PackageError { path: path.into(), why: why.into() })
}

/// The package format version.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(as = PackageFormatVersion))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum Version {
    /// The legacy format.
    #[serde(rename = "legacy")]
    Legacy,
    /// The 2023-07 format.
    #[serde(rename = "2023-07")]
    V2023,
}

/// A program given as source in the package (a checker).
#[derive(Debug, Clone)]
pub struct SourceProgram {
    /// Its name (file or directory base name).
    pub name: String,
    /// The main source file's extension, which tells the language.
    pub extension: String,
    /// The main source.
    pub source: Vec<u8>,
    /// The other files of its directory (headers), relative to it.
    pub extra: Vec<(String, Vec<u8>)>,
}

/// Limits from `problem.yaml` (and `.timelimit`), in the units Flash uses.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct PackageLimits {
    /// Seconds of CPU per test, if the package says.
    pub time_limit: Option<f64>,
    /// Memory per run, MiB.
    pub memory_mib: u64,
    /// Output per run, MiB.
    pub output_mib: u64,
    /// The checker's CPU seconds per run.
    pub validation_time: f64,
    /// The checker's memory, MiB.
    pub validation_memory_mib: u64,
    /// The checker's output, MiB.
    pub validation_output_mib: u64,
    /// How a time limit is derived from the slowest accepted submission
    /// when the package gives none, and the margin a submission in
    /// `time_limit_exceeded/` must still exceed.
    pub multipliers: TimeMultipliers,
}

/// Legacy `limits.time_multiplier` / `time_safety_margin` (defaults 5 and 2);
/// 2023-07 `limits.time_multipliers.ac_to_time_limit` / `time_limit_to_tle`
/// (defaults 2 and 1.5) and `limits.time_resolution` (default 1 s, also for
/// legacy packages, whose derived limits are whole seconds).
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct TimeMultipliers {
    /// Time limit = the slowest accepted submission's time times this.
    pub ac_to_time_limit: f64,
    /// A `time_limit_exceeded/` submission must exceed the limit times this.
    pub time_limit_to_tle: f64,
    /// A derived time limit is rounded up to a multiple of this, seconds.
    pub time_resolution: f64,
}

impl TimeMultipliers {
    /// The defaults of `version`.
    pub fn default_for(version: Version) -> TimeMultipliers {
        match version {
            Version::Legacy => TimeMultipliers { ac_to_time_limit: 5.0, time_limit_to_tle: 2.0, time_resolution: 1.0 },
            Version::V2023 => TimeMultipliers { ac_to_time_limit: 2.0, time_limit_to_tle: 1.5, time_resolution: 1.0 },
        }
    }

    /// The time limit for a problem whose slowest accepted submission took
    /// `slowest` seconds: times the multiplier, rounded up to the resolution
    /// (at least one step of it), at most 60 s.
    pub fn time_limit(&self, slowest: f64) -> f64 {
        let steps = (slowest * self.ac_to_time_limit / self.time_resolution - 1e-9).ceil().max(1.0);
        (steps * self.time_resolution).min(60.0)
    }
}

/// Settings of one test data group.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct GroupSettings {
    /// Legacy `on_reject`: keep judging the group after a rejection.
    pub on_reject_continue: bool,
    /// Legacy `grader_flags`, split.
    pub grader_flags: Vec<String>,
    /// Legacy `accept_score`.
    pub accept_score: f64,
    /// Legacy `reject_score`.
    pub reject_score: f64,
    /// Output validator arguments of this group's tests.
    pub validator_args: Vec<String>,
    /// 2023-07 `scoring.score`: `None` = inferred, `Some(None)` = unbounded.
    pub max_score: Option<Option<f64>>,
    /// 2023-07 `scoring.aggregation`: `pass-fail`, `sum` or `min`.
    pub aggregation: Option<String>,
    /// 2023-07 `scoring.require_pass`: paths relative to `data/`.
    pub require_pass: Vec<String>,
}

impl Default for GroupSettings {
    fn default() -> Self {
        GroupSettings {
            on_reject_continue: false,
            grader_flags: Vec::new(),
            accept_score: 1.0,
            reject_score: 0.0,
            validator_args: Vec::new(),
            max_score: None,
            aggregation: None,
            require_pass: Vec::new(),
        }
    }
}

/// One test case.
#[derive(Debug, Clone)]
pub struct Case {
    /// Path relative to `data/`, without `.in` (e.g. `secret/group1/03`).
    pub path: String,
    /// The `.in` file (symlinks resolved).
    pub input: PathBuf,
    /// The `.ans` file (symlinks resolved).
    pub answer: PathBuf,
}

/// A node of the test data tree.
#[derive(Debug, Clone)]
pub enum Item {
    Case(Case),
    Group(Group),
}

/// A test data group: its settings and its items in lexicographic order.
#[derive(Debug, Clone)]
pub struct Group {
    /// Path relative to `data/` (`""` for the root).
    pub path: String,
    pub settings: GroupSettings,
    pub items: Vec<Item>,
}

impl Group {
    /// Every case in this group and its subgroups, in judging order.
    pub fn cases(&self) -> Vec<&Case> {
        let mut out = Vec::new();
        for item in &self.items {
            match item {
                Item::Case(c) => out.push(c),
                Item::Group(g) => out.extend(g.cases()),
            }
        }
        out
    }
}

/// A problem package, read and checked.
#[derive(Debug, Clone)]
pub struct Package {
    /// The package directory.
    pub root: PathBuf,
    /// Its short name (directory name).
    pub name: String,
    pub version: Version,
    /// A scoring problem (else pass-fail).
    pub scoring: bool,
    /// An interactive problem.
    pub interactive: bool,
    /// The custom output validator, if any.
    pub checker: Option<SourceProgram>,
    /// How the custom checker is called.
    pub protocol: crate::checker::Protocol,
    /// A testlib checker run after a testlib interactor accepted, on the
    /// output file the interactor wrote (`testlib_checker/`, Flash's extension).
    pub testlib_checker: Option<SourceProgram>,
    /// Arguments for every output validator call (legacy `validator_flags`).
    pub validator_flags: Vec<String>,
    pub limits: PackageLimits,
    /// The root `data` group (children `sample` then `secret`).
    pub data: Group,
}

/// Bounds on what a package may hold, so a hostile one cannot exhaust memory.
const MAX_CASES: usize = 10_000;
const MAX_DEPTH: usize = 16;

impl Package {
    /// Reads the package in `root`.
    pub fn load(root: &Path) -> Result<Package, PackageError> {
        let root = root.canonicalize().or_else(|e| err(root.display().to_string(), e.to_string()))?;
        let name = root.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        let yaml = read_yaml(&root, "problem.yaml")?.unwrap_or(Value::Null);
        let y = |k: &str| yaml.get(k);
        let version = match y("problem_format_version") {
            None => Version::Legacy,
            Some(Value::String(v)) if v == "legacy" => Version::Legacy,
            Some(Value::String(v)) if v.starts_with("2023-07") => Version::V2023,
            Some(v) => {
                let v = serde_norway::to_string(v).unwrap_or_default();
                return err(
                    "problem.yaml",
                    format!("problem_format_version {} is not supported (legacy, 2023-07)", v.trim()),
                );
            }
        };
        let types: Vec<String> = match y("type") {
            None => vec!["pass-fail".into()],
            Some(Value::String(s)) => s.split_whitespace().map(str::to_owned).collect(),
            Some(Value::Sequence(v)) => v.iter().filter_map(|t| t.as_str().map(str::to_owned)).collect(),
            Some(_) => return err("problem.yaml", "type must be a string or a list of strings"),
        };
        for t in &types {
            if !["pass-fail", "scoring", "interactive", "multi-pass", "submit-answer"].contains(&t.as_str()) {
                return err("problem.yaml", format!("unknown type {t:?}"));
            }
        }
        let validation = y("validation").and_then(Value::as_str).unwrap_or("default").to_owned();
        let vwords: Vec<&str> = validation.split_whitespace().collect();
        match vwords.first() {
            Some(&"default") if vwords.len() == 1 => {}
            Some(&"custom") if vwords[1..].iter().all(|w| ["score", "interactive"].contains(w)) => {}
            _ => {
                return err(
                    "problem.yaml",
                    format!("validation {validation:?} is not default or custom [score] [interactive]"),
                )
            }
        }
        let interactive = types.iter().any(|t| t == "interactive") || vwords.contains(&"interactive");
        let scoring = types.iter().any(|t| t == "scoring") || vwords.contains(&"score");
        if types.iter().any(|t| t == "multi-pass" || t == "submit-answer") {
            return err("problem.yaml", "multi-pass and submit-answer problems are not supported");
        }
        let validator_flags = match y("validator_flags") {
            None | Some(Value::Null) => Vec::new(),
            Some(v) => args_of(v).ok_or_else(|| PackageError {
                path: "problem.yaml".into(),
                why: "validator_flags must be a string or a list of strings".into(),
            })?,
        };
        let protocol = match y("checker_protocol").and_then(Value::as_str) {
            None | Some("kattis") => crate::checker::Protocol::Kattis,
            Some("testlib") => crate::checker::Protocol::Testlib,
            Some(p) => return err("problem.yaml", format!("checker_protocol {p:?} is not kattis or testlib")),
        };
        let limits = limits(&root, y("limits"), version)?;
        let checker = find_checker(&root, version)?;
        let testlib_checker = find_program(&root, &["testlib_checker"], Version::V2023)?;
        if testlib_checker.is_some() && !(interactive && protocol == crate::checker::Protocol::Testlib) {
            return err(
                "testlib_checker/",
                "is for an interactive problem whose interactor is a testlib one (checker_protocol: testlib)",
            );
        }
        if vwords.first() == Some(&"custom") && checker.is_none() {
            return err("output_validators/", "validation is custom but there is no output validator");
        }
        let mut count = 0;
        let data = read_group(&root, "", &GroupSettings::default(), version, 0, &mut count)?;
        if !data.items.iter().any(|i| matches!(i, Item::Group(g) if g.path == "secret")) {
            return err("data/secret", "missing: a package needs secret test data");
        }
        Ok(Package {
            root,
            name,
            version,
            scoring,
            interactive,
            checker,
            protocol,
            testlib_checker,
            validator_flags,
            limits,
            data,
        })
    }
}

fn read_yaml(root: &Path, rel: &str) -> Result<Option<Value>, PackageError> {
    let p = root.join(rel);
    if !p.exists() {
        return Ok(None);
    }
    let text = read_inside(root, &p, rel)?;
    match serde_norway::from_slice::<Value>(&text) {
        Ok(v) => Ok(Some(v)),
        Err(e) => err(rel, format!("not valid YAML: {e}")),
    }
}

/// Reads a file, refusing symlinks that lead outside the package.
pub fn read_inside(root: &Path, p: &Path, rel: &str) -> Result<Vec<u8>, PackageError> {
    let real = resolve_inside(root, p, rel)?;
    std::fs::read(&real).or_else(|e| err(rel, e.to_string()))
}

fn resolve_inside(root: &Path, p: &Path, rel: &str) -> Result<PathBuf, PackageError> {
    let real = p.canonicalize().or_else(|e| err(rel, format!("cannot resolve: {e}")))?;
    if !real.starts_with(root) {
        return err(rel, "a symlink that leads outside the package");
    }
    Ok(real)
}

/// A string split on whitespace, or a list of strings.
fn args_of(v: &Value) -> Option<Vec<String>> {
    match v {
        Value::String(s) => Some(s.split_whitespace().map(str::to_owned).collect()),
        Value::Sequence(items) => items
            .iter()
            .map(|i| match i {
                Value::String(s) => Some(s.clone()),
                Value::Number(n) => Some(n.to_string()),
                _ => None,
            })
            .collect(),
        _ => None,
    }
}

fn number(v: Option<&Value>, key: &str, file: &str) -> Result<Option<f64>, PackageError> {
    match v {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(n)) => match n.as_f64() {
            Some(x) if x.is_finite() && x > 0.0 => Ok(Some(x)),
            _ => err(file, format!("{key} must be a positive number")),
        },
        Some(_) => err(file, format!("{key} must be a number")),
    }
}

fn limits(root: &Path, v: Option<&Value>, version: Version) -> Result<PackageLimits, PackageError> {
    let get = |k: &str| v.and_then(|l| l.get(k));
    let num = |k: &str| number(get(k), &format!("limits.{k}"), "problem.yaml");
    let mib = |k: &str, default: u64, max: u64| -> Result<u64, PackageError> {
        match num(k)? {
            None => Ok(default),
            Some(x) if x <= max as f64 => Ok(x.ceil() as u64),
            Some(x) => err("problem.yaml", format!("limits.{k} is {x} MiB; at most {max} MiB is allowed")),
        }
    };
    let mut time_limit = num("time_limit")?;
    if time_limit.is_none() {
        let p = root.join(".timelimit");
        if p.exists() {
            let text = read_inside(root, &p, ".timelimit")?;
            match String::from_utf8_lossy(&text).trim().parse::<f64>() {
                Ok(t) if t.is_finite() && t > 0.0 => time_limit = Some(t),
                _ => return err(".timelimit", "must hold a positive number of seconds"),
            }
        }
    }
    if time_limit.is_some_and(|t| t > 60.0) {
        return err("problem.yaml", "the time limit must be at most 60 seconds");
    }
    let mut multipliers = TimeMultipliers::default_for(version);
    let factor = |key: &str, x: Option<f64>, min: f64| -> Result<Option<f64>, PackageError> {
        match x {
            Some(x) if !(x >= min && x <= 100.0) => {
                err("problem.yaml", format!("{key} must be in [{min}, 100], got {x}"))
            }
            x => Ok(x),
        }
    };
    match version {
        Version::Legacy => {
            if let Some(x) = factor("limits.time_multiplier", num("time_multiplier")?, 1.0)? {
                multipliers.ac_to_time_limit = x;
            }
            if let Some(x) = factor("limits.time_safety_margin", num("time_safety_margin")?, 1.0)? {
                multipliers.time_limit_to_tle = x;
            }
        }
        Version::V2023 => {
            let m = get("time_multipliers");
            let key = |k: &str| format!("limits.time_multipliers.{k}");
            if let Some(x) = factor(
                &key("ac_to_time_limit"),
                number(m.and_then(|m| m.get("ac_to_time_limit")), &key("ac_to_time_limit"), "problem.yaml")?,
                1.0,
            )? {
                multipliers.ac_to_time_limit = x;
            }
            if let Some(x) = factor(
                &key("time_limit_to_tle"),
                number(m.and_then(|m| m.get("time_limit_to_tle")), &key("time_limit_to_tle"), "problem.yaml")?,
                1.0,
            )? {
                multipliers.time_limit_to_tle = x;
            }
            if let Some(x) = factor("limits.time_resolution", num("time_resolution")?, 0.001)? {
                multipliers.time_resolution = x;
            }
        }
    }
    Ok(PackageLimits {
        multipliers,
        time_limit,
        memory_mib: mib("memory", 1024, 8192)?,
        output_mib: mib("output", 8, 1024)?,
        validation_time: num("validation_time")?.unwrap_or(10.0).min(60.0),
        validation_memory_mib: mib("validation_memory", 1024, 8192)?,
        validation_output_mib: mib("validation_output", 8, 1024)?,
    })
}

fn find_checker(root: &Path, version: Version) -> Result<Option<SourceProgram>, PackageError> {
    let dirs: &[&str] = match version {
        Version::Legacy => &["output_validators", "output_validator"],
        Version::V2023 => &["output_validator", "output_validators"],
    };
    find_program(root, dirs, version)
}

/// A program given as source in the first of `dirs` that exists: in
/// `legacy` layout a directory holding one program (a file or a directory),
/// in `2023-07` layout the directory itself.
fn find_program(root: &Path, dirs: &[&str], version: Version) -> Result<Option<SourceProgram>, PackageError> {
    let Some(dir) = dirs.iter().find(|d| root.join(d).is_dir()) else { return Ok(None) };
    let mut entries = list(root, &root.join(dir), dir)?;
    // Legacy: a directory holding one program (a file or a directory); 2023-07:
    // the directory is the program itself.
    let (prog_path, prog_rel) = if entries.len() == 1 && entries[0].1.is_dir() {
        let (name, p) = entries.remove(0);
        (p, format!("{dir}/{name}"))
    } else if entries.len() == 1 || version == Version::V2023 {
        (root.join(dir), dir.to_string())
    } else {
        return err(*dir, "holds more than one program; Flash runs one output validator");
    };
    let name = prog_path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let files: Vec<(String, PathBuf)> =
        if prog_path.is_dir() { list(root, &prog_path, &prog_rel)? } else { vec![(name.clone(), prog_path.clone())] };
    if files.iter().any(|(n, _)| n == "build" || n == "run") {
        return err(prog_rel, "a validator with build/run scripts is not supported; give it as source files");
    }
    let mut main = None;
    let mut extra = Vec::new();
    for (n, p) in &files {
        if p.is_dir() {
            return err(format!("{prog_rel}/{n}"), "subdirectories in a validator are not supported");
        }
        let data = read_inside(root, p, &format!("{prog_rel}/{n}"))?;
        let ext = n.rsplit_once('.').map(|(_, e)| e.to_ascii_lowercase()).unwrap_or_default();
        let is_main = ["cpp", "cc", "cxx", "c", "py", "java", "js"].contains(&ext.as_str())
            && !matches!(ext.as_str(), "h" | "hpp");
        if is_main {
            if main.is_some() {
                return err(prog_rel, "more than one source file; Flash compiles one");
            }
            main = Some((ext, data));
        } else {
            extra.push((n.clone(), data));
        }
    }
    let Some((extension, source)) = main else {
        return err(prog_rel, "no source file (.cpp, .c, .py, .java, .js)");
    };
    Ok(Some(SourceProgram { name, extension, source, extra }))
}

/// Directory entries (name, path), sorted by name, hidden files skipped.
fn list(root: &Path, dir: &Path, rel: &str) -> Result<Vec<(String, PathBuf)>, PackageError> {
    let real = resolve_inside(root, dir, rel)?;
    let rd = std::fs::read_dir(&real).or_else(|e| err(rel, e.to_string()))?;
    let mut out = Vec::new();
    for e in rd {
        let e = e.or_else(|e| err(rel, e.to_string()))?;
        let name = e.file_name().to_string_lossy().into_owned();
        if !name.starts_with('.') {
            out.push((name, e.path()));
        }
    }
    out.sort();
    Ok(out)
}

fn read_group(
    root: &Path,
    path: &str,
    inherited: &GroupSettings,
    version: Version,
    depth: usize,
    count: &mut usize,
) -> Result<Group, PackageError> {
    if depth > MAX_DEPTH {
        return err(format!("data/{path}"), format!("test groups nested deeper than {MAX_DEPTH}"));
    }
    let rel = if path.is_empty() { "data".to_string() } else { format!("data/{path}") };
    let dir = root.join(&rel);
    let settings = group_settings(root, &rel, inherited, version)?;
    let mut items = Vec::new();
    let entries = list(root, &dir, &rel)?;
    for (name, p) in &entries {
        let child = if path.is_empty() { name.clone() } else { format!("{path}/{name}") };
        if p.is_dir() {
            // At the root only `sample` and `secret` are judged (others are
            // for validating the validators).
            if path.is_empty() && name != "sample" && name != "secret" {
                continue;
            }
            items.push(Item::Group(read_group(root, &child, &settings, version, depth + 1, count)?));
        } else if let Some(base) = name.strip_suffix(".in") {
            if path.is_empty() {
                continue;
            }
            let case_rel = format!("{rel}/{base}");
            let input = resolve_inside(root, p, &format!("{case_rel}.in"))?;
            let ans = dir.join(format!("{base}.ans"));
            if !ans.exists() {
                return err(format!("{case_rel}.ans"), "missing: every .in needs its .ans");
            }
            let answer = resolve_inside(root, &ans, &format!("{case_rel}.ans"))?;
            *count += 1;
            if *count > MAX_CASES {
                return err("data", format!("more than {MAX_CASES} test cases"));
            }
            let case_path = if path.is_empty() { base.to_string() } else { format!("{path}/{base}") };
            items.push(Item::Case(Case { path: case_path, input, answer }));
        }
    }
    Ok(Group { path: path.to_string(), settings, items })
}

fn group_settings(
    root: &Path,
    rel: &str,
    inherited: &GroupSettings,
    version: Version,
) -> Result<GroupSettings, PackageError> {
    let (file, yaml) = match read_yaml(root, &format!("{rel}/testdata.yaml"))? {
        Some(v) => (format!("{rel}/testdata.yaml"), v),
        None => match read_yaml(root, &format!("{rel}/test_group.yaml"))? {
            Some(v) => (format!("{rel}/test_group.yaml"), v),
            // Legacy: the closest ancestor's file applies; 2023-07: the
            // inherited keys carry over and scoring falls back to defaults.
            None => {
                let mut s = inherited.clone();
                if version == Version::V2023 {
                    (s.max_score, s.aggregation, s.require_pass) = (None, None, Vec::new());
                }
                return Ok(s);
            }
        },
    };
    let mut s = match version {
        Version::Legacy => GroupSettings::default(),
        Version::V2023 => {
            GroupSettings { validator_args: inherited.validator_args.clone(), ..GroupSettings::default() }
        }
    };
    let bad = |key: &str, what: &str| err(file.clone(), format!("{key} must be {what}"));
    if let Some(v) = yaml.get("on_reject") {
        s.on_reject_continue = match v.as_str() {
            Some("continue") => true,
            Some("break") => false,
            _ => return bad("on_reject", "break or continue"),
        };
    }
    if let Some(v) = yaml.get("grader_flags") {
        s.grader_flags = match args_of(v) {
            Some(a) => a,
            None => return bad("grader_flags", "a string"),
        };
        for f in &s.grader_flags {
            const KNOWN: [&str; 9] = [
                "worst_error",
                "first_error",
                "always_accept",
                "sum",
                "avg",
                "min",
                "max",
                "ignore_sample",
                "accept_if_any_accepted",
            ];
            if !KNOWN.contains(&f.as_str()) {
                return err(file.clone(), format!("unknown grader flag {f:?}"));
            }
        }
    }
    if yaml.get("grading").and_then(Value::as_str).is_some_and(|g| g != "default") {
        return err(file.clone(), "custom graders are not supported");
    }
    for (key, slot) in [("accept_score", &mut s.accept_score), ("reject_score", &mut s.reject_score)] {
        if let Some(v) = yaml.get(key) {
            match v.as_f64() {
                Some(x) if x.is_finite() => *slot = x,
                _ => return bad(key, "a number"),
            }
        }
    }
    for key in ["output_validator_flags", "output_validator_args"] {
        if let Some(v) = yaml.get(key) {
            s.validator_args = match args_of(v) {
                Some(a) => a,
                None => return bad(key, "a string or a list of strings"),
            };
        }
    }
    if let Some(sc) = yaml.get("scoring") {
        if let Some(score) = sc.get("score") {
            s.max_score = Some(match score {
                Value::String(u) if u == "unbounded" => None,
                v => match v.as_f64() {
                    Some(x) if x.is_finite() && x >= 0.0 => Some(x),
                    _ => return bad("scoring.score", "a non-negative number or unbounded"),
                },
            });
        }
        if let Some(a) = sc.get("aggregation") {
            match a.as_str() {
                Some(x @ ("pass-fail" | "sum" | "min")) => s.aggregation = Some(x.to_owned()),
                _ => return bad("scoring.aggregation", "pass-fail, sum or min"),
            }
        }
        if let Some(r) = sc.get("require_pass") {
            s.require_pass = match args_of(r) {
                Some(a) => a,
                None => return bad("scoring.require_pass", "a string or a list of strings"),
            };
        }
    }
    Ok(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(root: &Path, rel: &str, text: &str) {
        let p = root.join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }

    fn case(root: &Path, rel: &str) {
        write(root, &format!("data/{rel}.in"), "1\n");
        write(root, &format!("data/{rel}.ans"), "1\n");
    }

    fn paths(g: &Group) -> Vec<String> {
        g.cases().iter().map(|c| c.path.clone()).collect()
    }

    #[test]
    fn a_legacy_package_reads_in_order_with_inherited_settings() {
        let d = tempfile::tempdir().unwrap();
        let r = d.path();
        write(r, "problem.yaml", "validation: custom score\nvalidator_flags: a b\nlimits:\n  memory: 300\n");
        write(r, ".timelimit", "1.5\n");
        write(r, "output_validators/v/v.cpp", "int main() {}\n");
        write(r, "output_validators/v/util.h", "\n");
        case(r, "sample/1");
        case(r, "secret/b/2");
        case(r, "secret/a/10");
        case(r, "secret/a/09");
        write(r, "data/invalid_input/x.in", "");
        write(r, "data/secret/testdata.yaml", "on_reject: continue\ngrader_flags: min\naccept_score: 5\n");
        let p = Package::load(r).unwrap();
        assert_eq!(p.version, Version::Legacy);
        assert!(p.scoring && !p.interactive);
        assert_eq!(p.validator_flags, ["a", "b"]);
        assert_eq!((p.limits.time_limit, p.limits.memory_mib), (Some(1.5), 300));
        let c = p.checker.unwrap();
        assert_eq!((c.extension.as_str(), c.extra.len()), ("cpp", 1));
        assert_eq!(paths(&p.data), ["sample/1", "secret/a/09", "secret/a/10", "secret/b/2"]);
        // Legacy: subgroups without a testdata.yaml use their closest ancestor's.
        let Item::Group(secret) = &p.data.items[1] else { panic!() };
        let Item::Group(a) = &secret.items[0] else { panic!() };
        assert!(a.settings.on_reject_continue);
        assert_eq!((a.settings.accept_score, a.settings.grader_flags.clone()), (5.0, vec!["min".to_string()]));
    }

    #[test]
    fn a_testlib_checker_is_read_only_after_a_testlib_interactor() {
        let d = tempfile::tempdir().unwrap();
        let r = d.path();
        let yaml = "validation: custom interactive\nchecker_protocol: testlib\n";
        write(r, "problem.yaml", yaml);
        write(r, "output_validators/i/i.cpp", "int main() {}\n");
        write(r, "testlib_checker/check.cpp", "int main() {}\n");
        case(r, "secret/1");
        let p = Package::load(r).unwrap();
        assert_eq!(p.testlib_checker.unwrap().name, "testlib_checker");
        write(r, "problem.yaml", "validation: custom interactive\n");
        let e = Package::load(r).unwrap_err();
        assert_eq!(e.path, "testlib_checker/");
        assert!(e.why.contains("checker_protocol: testlib"), "{e}");
    }

    #[test]
    fn a_2023_package_reads_scoring_and_inherits_only_arguments() {
        let d = tempfile::tempdir().unwrap();
        let r = d.path();
        write(r, "problem.yaml", "problem_format_version: 2023-07-draft\ntype: scoring\nlimits:\n  time_limit: 3\n");
        write(r, "output_validator/check.py", "\n");
        case(r, "secret/g1/1");
        write(r, "data/secret/test_group.yaml", "scoring:\n  score: 50\noutput_validator_args: [x]\n");
        write(
            r,
            "data/secret/g1/test_group.yaml",
            "scoring:\n  score: unbounded\n  aggregation: min\n  require_pass: [sample]\n",
        );
        let p = Package::load(r).unwrap();
        assert_eq!((p.version, p.scoring, p.limits.time_limit), (Version::V2023, true, Some(3.0)));
        let Item::Group(secret) = &p.data.items[0] else { panic!() };
        assert_eq!(secret.settings.max_score, Some(Some(50.0)));
        let Item::Group(g1) = &secret.items[0] else { panic!() };
        assert_eq!(g1.settings.max_score, Some(None), "unbounded");
        assert_eq!(g1.settings.aggregation.as_deref(), Some("min"));
        assert_eq!(g1.settings.require_pass, ["sample"]);
        assert_eq!(g1.settings.validator_args, ["x"], "inherited");
    }

    #[test]
    fn time_multipliers_have_each_versions_defaults_and_derive_a_limit() {
        let t = tempfile::tempdir().unwrap();
        let r = t.path();
        write(r, "problem.yaml", "name: x\n");
        case(r, "secret/1");
        let legacy = Package::load(r).unwrap().limits.multipliers;
        assert_eq!(legacy, TimeMultipliers::default_for(Version::Legacy));
        assert_eq!((legacy.ac_to_time_limit, legacy.time_limit_to_tle), (5.0, 2.0));
        // 0.31 s x 5 = 1.55 s, rounded up to whole seconds; never below one step.
        assert_eq!(legacy.time_limit(0.31), 2.0);
        assert_eq!(legacy.time_limit(0.0), 1.0);
        assert_eq!(legacy.time_limit(0.2), 1.0);
        assert_eq!(legacy.time_limit(30.0), 60.0);
        write(r, "problem.yaml", "name: x\nlimits:\n  time_multiplier: 3\n  time_safety_margin: 1.2\n");
        let m = Package::load(r).unwrap().limits.multipliers;
        assert_eq!((m.ac_to_time_limit, m.time_limit_to_tle), (3.0, 1.2));
        write(
            r,
            "problem.yaml",
            "problem_format_version: 2023-07-draft\nname: x\nlimits:\n  time_resolution: 0.1\n  \
             time_multipliers:\n    ac_to_time_limit: 2.5\n",
        );
        let m = Package::load(r).unwrap().limits.multipliers;
        assert_eq!((m.ac_to_time_limit, m.time_limit_to_tle, m.time_resolution), (2.5, 1.5, 0.1));
        assert!((m.time_limit(0.31) - 0.8).abs() < 1e-9, "{}", m.time_limit(0.31));
        write(r, "problem.yaml", "problem_format_version: 2023-07-draft\nname: x\nlimits:\n  time_multipliers:\n    time_limit_to_tle: 0.5\n");
        let e = Package::load(r).unwrap_err().to_string();
        assert!(e.contains("limits.time_multipliers.time_limit_to_tle must be in [1, 100], got 0.5"), "{e}");
    }

    #[test]
    fn symlinked_cases_are_followed_inside_the_package_only() {
        let d = tempfile::tempdir().unwrap();
        let r = d.path().join("pkg");
        write(&r, "problem.yaml", "name: x\n");
        case(&r, "secret/a/1");
        std::fs::create_dir_all(r.join("data/secret/b")).unwrap();
        std::os::unix::fs::symlink("../a/1.in", r.join("data/secret/b/1.in")).unwrap();
        std::os::unix::fs::symlink("../a/1.ans", r.join("data/secret/b/1.ans")).unwrap();
        let p = Package::load(&r).unwrap();
        let cases = p.data.cases();
        assert_eq!(cases.len(), 2);
        assert_eq!(cases[1].input, cases[0].input, "the link resolves to the same file");
        write(d.path(), "outside.in", "secret\n");
        std::os::unix::fs::symlink("../../../../outside.in", r.join("data/secret/b/2.in")).unwrap();
        write(&r, "data/secret/b/2.ans", "\n");
        let e = Package::load(&r).unwrap_err();
        assert_eq!(e.path, "data/secret/b/2.in");
        assert!(e.why.contains("outside the package"), "{e}");
    }

    #[test]
    fn broken_packages_are_refused_naming_the_file() {
        let cases: &[(&str, &str, &str)] = &[
            ("problem.yaml", "validation: fancy\n", "validation"),
            ("problem.yaml", "type: [interactive, weird]\n", "unknown type"),
            ("problem.yaml", "problem_format_version: 2031\n", "not supported"),
            ("problem.yaml", "limits: {memory: -5}\n", "positive"),
            ("problem.yaml", "limits: {memory: 100000}\n", "at most"),
            ("problem.yaml", "validation: custom\n", "no output validator"),
            ("problem.yaml", "name: [unclosed\n", "not valid YAML"),
            ("data/secret/testdata.yaml", "grader_flags: shuffle\n", "unknown grader flag"),
            ("data/secret/testdata.yaml", "on_reject: maybe\n", "on_reject"),
            ("data/secret/testdata.yaml", "grading: custom\n", "custom graders"),
            ("data/secret/testdata.yaml", "scoring: {aggregation: max}\n", "aggregation"),
        ];
        for (file, text, want) in cases {
            let d = tempfile::tempdir().unwrap();
            write(d.path(), "problem.yaml", "name: x\n");
            case(d.path(), "secret/1");
            write(d.path(), file, text);
            let e = match Package::load(d.path()) {
                Ok(_) => panic!("{file}: {text:?} was accepted"),
                Err(e) => e.to_string(),
            };
            assert!(e.contains(want), "{file}: {text:?} gave {e}");
            assert!(!e.contains(&d.path().display().to_string()), "no host path in {e}");
        }
        let d = tempfile::tempdir().unwrap();
        write(d.path(), "data/secret/1.in", "");
        let e = Package::load(d.path()).unwrap_err();
        assert_eq!((e.path.as_str(), e.why.contains("missing")), ("data/secret/1.ans", true));
        let d = tempfile::tempdir().unwrap();
        case(d.path(), "sample/1");
        assert!(Package::load(d.path()).unwrap_err().to_string().contains("data/secret"));
    }
}
