//! `flash exec FILE`: judge one source file from the shell through the engine.

use anyhow::{bail, Context};
use clap::Args;
use flash_engine::{Engine, EngineConfig, Judgement, Registry, StatusId, Submission, TestCase};
use flash_sandbox::{Pool, PoolConfig};
use std::path::PathBuf;
use std::sync::Arc;

#[derive(Args, Debug)]
pub struct ExecArgs {
    /// The source file.
    file: PathBuf,
    /// Language name, alias or Judge0 id (default: from the file's extension).
    #[arg(long, short = 'l')]
    language: Option<String>,
    /// stdin for the program.
    #[arg(long)]
    stdin: Option<PathBuf>,
    /// Expected output: Accepted or Wrong Answer.
    #[arg(long)]
    expected: Option<PathBuf>,
    /// A test case: INPUT_FILE EXPECTED_FILE (repeat for several; compiles once).
    #[arg(long = "test", num_args = 2, value_names = ["INPUT", "EXPECTED"])]
    tests: Vec<PathBuf>,
    /// Stop at the first test case that is not Accepted.
    #[arg(long)]
    stop_on_failure: bool,
    /// Extra compiler options (split on whitespace; no shell).
    #[arg(long)]
    compiler_options: Option<String>,
    #[command(flatten)]
    limits: crate::limit_args::LimitArgs,
    /// Compile cache directory (default: a per-user cache dir).
    #[arg(long, env = "FLASH_CACHE_DIR")]
    cache_dir: Option<PathBuf>,
    /// Print the result as JSON.
    #[arg(long)]
    json: bool,
    /// Arguments for the program.
    #[arg(last = true)]
    args: Vec<String>,
}

/// The language a source file is in: `--language` if given (checked), else
/// from the file's extension.
pub fn language_of(registry: &Registry, file: &std::path::Path, given: Option<&str>) -> anyhow::Result<String> {
    let language = match given {
        Some(l) => l.to_owned(),
        None => {
            let ext = file.extension().and_then(|e| e.to_str()).unwrap_or("");
            match registry.by_extension(ext) {
                Some(l) => l.spec.name.clone(),
                None => bail!("cannot tell the language of {} from its extension; use --language", file.display()),
            }
        }
    };
    if registry.find(&language).is_none() {
        let known: Vec<String> = registry.languages().iter().map(|l| l.spec.name.clone()).collect();
        bail!("unknown language {language:?}; available here: {}", known.join(", "));
    }
    Ok(language)
}

/// The default place for the compile cache: `$XDG_CACHE_HOME/flash` or `~/.cache/flash`.
pub fn default_cache_dir() -> PathBuf {
    if let Some(x) = std::env::var_os("XDG_CACHE_HOME") {
        return PathBuf::from(x).join("flash");
    }
    match std::env::var_os("HOME") {
        Some(h) => PathBuf::from(h).join(".cache/flash"),
        None => std::env::temp_dir().join("flash-cache"),
    }
}

fn read(p: &PathBuf) -> anyhow::Result<Vec<u8>> {
    std::fs::read(p).with_context(|| format!("reading {}", p.display()))
}

pub fn main(a: ExecArgs) -> anyhow::Result<i32> {
    let registry = Registry::load(None)?;
    let language = language_of(&registry, &a.file, a.language.as_deref())?;
    let mut tests = Vec::new();
    for pair in a.tests.chunks(2) {
        tests.push(TestCase { input: read(&pair[0])?, expected: Some(read(&pair[1])?) });
    }
    let sub = Submission {
        language,
        source: read(&a.file)?,
        stdin: a.stdin.as_ref().map(read).transpose()?.unwrap_or_default(),
        expected: a.expected.as_ref().map(read).transpose()?,
        tests,
        limits: a.limits.limits()?,
        compiler_options: a.compiler_options,
        args: a.args,
        stop_on_first_failure: a.stop_on_failure,
        ..Submission::default()
    };
    let prebuild = Prebuild {
        pch: flash_engine::pch::first_include(&sub.source).is_some(),
        warm: match registry.find(&sub.language) {
            Some(l) if flash_engine::warm::uses_archive(l) => Archives::Of(l.spec.name.clone()),
            _ => Archives::None,
        },
    };
    let engine = build_engine(a.cache_dir, prebuild, 1)?;
    let j = engine.judge(&sub)?;
    if a.json {
        println!("{}", serde_json::to_string_pretty(&json(&j))?);
    } else {
        print_text(&j);
    }
    Ok(0)
}

/// What [`build_engine`] builds before it returns, when not built yet
/// (otherwise the engine works without them, only slower).
#[derive(Debug, Clone, Default)]
pub struct Prebuild {
    /// The precompiled headers of the C++ languages.
    pub pch: bool,
    /// The JVM languages' class-data-sharing archives.
    pub warm: Archives,
}

/// Which class-data-sharing archives [`build_engine`] builds.
#[derive(Debug, Clone, Default)]
pub enum Archives {
    #[default]
    None,
    /// That language's.
    Of(String),
    /// Every JVM language's.
    All,
}

/// An engine over a pool of `slots` boxes, with the compile cache in
/// `cache_dir` (or the default), the precompiled header offered to C++ and
/// the JVM's class-data-sharing archive shown in every box (each built here
/// the first time when `prebuild` says so).
pub fn build_engine(cache_dir: Option<PathBuf>, prebuild: Prebuild, slots: usize) -> anyhow::Result<Engine> {
    let registry = Registry::load(None)?;
    let cache_dir = cache_dir.unwrap_or_else(default_cache_dir);
    let pch = flash_engine::Pch::plan(&registry, &cache_dir.with_extension("pch"))?;
    let warm = flash_engine::Warm::plan(&registry, &cache_dir.with_extension("warm"))?;
    let mut pool_cfg = PoolConfig::new(slots)?;
    pool_cfg.mounts.push(pch.mount());
    pool_cfg.mounts.push(warm.mount());
    let pool = Arc::new(Pool::new(pool_cfg).context("cannot build the sandbox")?);
    let mut cfg = EngineConfig::new(cache_dir).with_env().map_err(anyhow::Error::msg)?;
    if prebuild.pch {
        for (language, result) in pch.build() {
            if let Err(e) = result {
                eprintln!("flash: no precompiled header for {language} ({e}); compiling plainly");
            }
        }
    }
    let built = match &prebuild.warm {
        Archives::None => Vec::new(),
        Archives::Of(language) => warm.build_for(language),
        Archives::All => warm.build(),
    };
    for (language, result) in built {
        if let Err(e) = result {
            eprintln!("flash: no class-data-sharing archive for {language} ({e}); starting plainly");
        }
    }
    cfg.pch = Some(pch);
    Ok(Engine::new(pool, registry, cfg)?)
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// The judgement as JSON with text fields (not byte arrays).
pub fn json(j: &Judgement) -> serde_json::Value {
    let run = |o: &flash_engine::RunOutcome| {
        serde_json::json!({
            "status": {"id": o.status.id(), "description": o.status.description()},
            "stdout": text(&o.stdout), "stderr": text(&o.stderr), "message": o.message,
            "exit_code": o.exit_code, "exit_signal": o.exit_signal,
            "time": o.time, "wall_time": o.wall_time, "memory": o.memory,
        })
    };
    let mut v = serde_json::json!({
        "status": {"id": j.run.status.id(), "description": j.run.status.description()},
        "stdout": text(&j.run.stdout), "stderr": text(&j.run.stderr), "compile_output": text(&j.compile_output),
        "message": j.run.message, "exit_code": j.run.exit_code, "exit_signal": j.run.exit_signal,
        "time": j.run.time, "wall_time": j.run.wall_time, "memory": j.run.memory,
        "compile_cached": j.compile_cached, "compile_time": j.compile_time,
    });
    if !j.tests.is_empty() {
        v["tests"] = j.tests.iter().map(run).collect();
    }
    v
}

fn print_text(j: &Judgement) {
    let mark = if j.run.status == StatusId::Accepted { "✔" } else { "✘" };
    println!("{mark} {} (id {})", j.run.status.description(), j.run.status.id());
    if let Some(m) = &j.run.message {
        println!("  message: {m}");
    }
    println!("  time {:.3} s CPU, {:.3} s wall, memory {} KiB", j.run.time, j.run.wall_time, j.run.memory);
    if !j.compile_output.is_empty() {
        println!("--- compile output ---\n{}", text(&j.compile_output).trim_end());
    }
    for (i, t) in j.tests.iter().enumerate() {
        println!("  test {}: {} ({:.3} s, {} KiB)", i + 1, t.status.description(), t.time, t.memory);
    }
    if !j.run.stdout.is_empty() {
        println!("--- stdout ---\n{}", text(&j.run.stdout).trim_end());
    }
    if !j.run.stderr.is_empty() {
        println!("--- stderr ---\n{}", text(&j.run.stderr).trim_end());
    }
}
