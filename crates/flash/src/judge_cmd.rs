//! `flash judge PACKAGE [SOLUTION]`: judge a solution on an ICPC/Kattis
//! problem package, or (`--submissions`) every program under the package's
//! `submissions/<folder>/` and check it gets what its folder promises.

use anyhow::{bail, Context};
use clap::Args;
use flash_judge::{expect, Options, Package, Report, Verdict};
use std::path::{Path, PathBuf};

#[derive(Args, Debug)]
pub struct JudgeArgs {
    /// The problem package directory.
    package: PathBuf,
    /// The solution's source file (language from its extension).
    solution: Option<PathBuf>,
    /// Judge every file under submissions/*/ and check its verdict matches
    /// its folder; exits 1 on any mismatch.
    #[arg(long, conflicts_with = "solution")]
    submissions: bool,
    /// Language name, alias or Judge0 id (default: from the extension).
    #[arg(long, short = 'l')]
    language: Option<String>,
    /// CPU seconds per test, overriding the package.
    #[arg(long)]
    time_limit: Option<f64>,
    /// Judge every test even after a failure (always on with --submissions).
    #[arg(long)]
    all_tests: bool,
    /// Compile cache directory (default: a per-user cache dir).
    #[arg(long, env = "FLASH_CACHE_DIR")]
    cache_dir: Option<PathBuf>,
    /// Print the result as JSON.
    #[arg(long)]
    json: bool,
    /// Interactive problems: keep what each side wrote (at most 64 KiB a side
    /// per test), in the JSON report's `transcript` of each test.
    #[arg(long)]
    transcript: bool,
}

pub fn main(a: JudgeArgs) -> anyhow::Result<i32> {
    let pkg = Package::load(&a.package)?;
    if let Some(t) = a.time_limit {
        if !(t.is_finite() && t > 0.0 && t <= 60.0) {
            bail!("--time-limit must be seconds in (0, 60], got {t}");
        }
    }
    // An interactive problem runs the solution and its interactor side by side.
    let slots = if pkg.interactive { 2 } else { 1 };
    let engine = crate::exec::build_engine(a.cache_dir.clone(), crate::exec::Prebuild::default(), slots)?;
    let mut opts = Options {
        stop_on_failure: !(a.all_tests || a.submissions),
        time_limit: a.time_limit,
        transcript: a.transcript,
        ..Options::default()
    };
    if a.submissions {
        return judge_submissions(&engine, &pkg, &mut opts, a.json);
    }
    let Some(file) = &a.solution else { bail!("give a SOLUTION file, or --submissions") };
    let language = crate::exec::language_of(engine.registry(), file, a.language.as_deref())?;
    let source = std::fs::read(file).with_context(|| format!("reading {}", file.display()))?;
    let report = flash_judge::judge(&engine, &pkg, &language, source, &opts)?;
    if a.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print_report(&report, &file.display().to_string());
    }
    Ok(0)
}

/// The programs under `submissions/<folder>/`: (folder, file), sorted.
fn submissions(pkg: &Package) -> anyhow::Result<Vec<(String, PathBuf)>> {
    let dir = pkg.root.join("submissions");
    let mut out = Vec::new();
    let mut folders: Vec<_> = std::fs::read_dir(&dir)
        .with_context(|| format!("{}: no submissions/ folder", pkg.name))?
        .flatten()
        .filter(|e| e.path().is_dir())
        .collect();
    folders.sort_by_key(|e| e.file_name());
    for f in folders {
        let folder = f.file_name().to_string_lossy().into_owned();
        let mut files: Vec<PathBuf> = std::fs::read_dir(f.path())?
            .flatten()
            .map(|e| e.path())
            .filter(|p| !p.file_name().is_some_and(|n| n.to_string_lossy().starts_with('.')))
            .collect();
        // A program given as a directory is not judged yet: say so rather than pass it by.
        for d in files.iter().filter(|p| p.is_dir()) {
            eprintln!(
                "skip {}/{folder}/{}: directory programs are not supported",
                pkg.name,
                d.file_name().unwrap_or_default().to_string_lossy()
            );
        }
        files.retain(|p| p.is_file());
        files.sort();
        out.extend(files.into_iter().map(|p| (folder.clone(), p)));
    }
    Ok(out)
}

fn judge_submissions(
    engine: &flash_engine::Engine,
    pkg: &Package,
    opts: &mut Options,
    json: bool,
) -> anyhow::Result<i32> {
    let subs = submissions(pkg)?;
    if subs.is_empty() {
        bail!("{}: submissions/ holds no programs", pkg.name);
    }
    if opts.time_limit.is_none() && pkg.limits.time_limit.is_none() {
        let (limit, why) = derive_time_limit(engine, pkg, &subs, opts)?;
        if !json {
            println!("{}: time limit {} s ({why})", pkg.name, num(limit));
        }
        opts.time_limit = Some(limit);
    }
    let time_limit = opts.time_limit.or(pkg.limits.time_limit).unwrap_or(opts.default_time_limit);
    let mut failed = 0;
    let mut all = Vec::new();
    for (folder, file) in &subs {
        let name = format!("{folder}/{}", file.file_name().unwrap_or_default().to_string_lossy());
        // A submission that must time out must do so with the safety margin too.
        let mut opts = opts.clone();
        if folder == "time_limit_exceeded" {
            opts.time_limit = Some((time_limit * pkg.limits.multipliers.time_limit_to_tle).min(60.0));
        }
        let outcome = judge_one(engine, pkg, file, &opts).map(|r| {
            let check = expect::check(folder, &r);
            (r, check)
        });
        match outcome {
            Ok((report, check)) => {
                if !json {
                    let mark = if check.is_ok() { "ok  " } else { "FAIL" };
                    let secs: f64 = report.tests.iter().map(|t| t.time).fold(0.0, f64::max);
                    println!(
                        "{mark} {}/{name}: {:?}{} (max {secs:.3} s){}",
                        pkg.name,
                        report.verdict,
                        score_text(&report),
                        check.as_ref().err().map(|e| format!(": {e}")).unwrap_or_default()
                    );
                }
                failed += usize::from(check.is_err());
                all.push(serde_json::json!({"submission": name, "ok": check.is_ok(), "error": check.err(), "report": report}));
            }
            Err(e) => {
                failed += 1;
                if !json {
                    println!("FAIL {}/{name}: {e:#}", pkg.name);
                }
                all.push(serde_json::json!({"submission": name, "ok": false, "error": format!("{e:#}")}));
            }
        }
    }
    if json {
        println!("{}", serde_json::to_string_pretty(&all)?);
    } else {
        println!("{}: {} of {} submissions as their folders say", pkg.name, subs.len() - failed, subs.len());
    }
    Ok(i32::from(failed > 0))
}

/// The time limit of a package that gives none, as the format derives it:
/// the slowest accepted submission's time (each judged first under
/// [`PROBE_TIME_LIMIT`]) times `ac_to_time_limit`, rounded up to the time
/// resolution. Without accepted submissions, or when one is not accepted
/// under the probe limit, the default limit and why.
fn derive_time_limit(
    engine: &flash_engine::Engine,
    pkg: &Package,
    subs: &[(String, PathBuf)],
    opts: &Options,
) -> anyhow::Result<(f64, String)> {
    let m = pkg.limits.multipliers;
    let probe = Options { time_limit: Some(PROBE_TIME_LIMIT), ..opts.clone() };
    let mut slowest = None::<(f64, String)>;
    for (_, file) in subs.iter().filter(|(folder, _)| folder == "accepted") {
        let name = file.file_name().unwrap_or_default().to_string_lossy().into_owned();
        let r = judge_one(engine, pkg, file, &probe)?;
        if r.verdict != Verdict::AC {
            let why = format!("the default: accepted/{name} is {:?} under {PROBE_TIME_LIMIT} s", r.verdict);
            return Ok((opts.default_time_limit, why));
        }
        let t = r.tests.iter().map(|t| t.time).fold(0.0, f64::max);
        if slowest.as_ref().is_none_or(|(s, _)| t > *s) {
            slowest = Some((t, name));
        }
    }
    Ok(match slowest {
        Some((t, name)) => (
            m.time_limit(t),
            format!(
                "slowest accepted: {name}, {t:.3} s; times {} rounded up to {} s",
                num(m.ac_to_time_limit),
                num(m.time_resolution)
            ),
        ),
        None => (opts.default_time_limit, "the default: no accepted submissions to derive it from".into()),
    })
}

/// The time limit accepted submissions are first judged under, to derive
/// the problem's.
const PROBE_TIME_LIMIT: f64 = 10.0;

fn judge_one(engine: &flash_engine::Engine, pkg: &Package, file: &Path, opts: &Options) -> anyhow::Result<Report> {
    let language = crate::exec::language_of(engine.registry(), file, None)?;
    let source = std::fs::read(file).with_context(|| format!("reading {}", file.display()))?;
    Ok(flash_judge::judge(engine, pkg, &language, source, opts)?)
}

fn score_text(r: &Report) -> String {
    match (r.score, r.max_score) {
        (Some(s), Some(m)) => format!(", score {} / {}", num(s), num(m)),
        (Some(s), None) => format!(", score {}", num(s)),
        _ => String::new(),
    }
}

fn num(x: f64) -> String {
    let s = format!("{x:.3}");
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

fn print_report(r: &Report, solution: &str) {
    let mark = if r.verdict == Verdict::AC { "✔" } else { "✘" };
    println!(
        "{mark} {:?}{}  ({solution} on {}, time limit {} s)",
        r.verdict,
        score_text(r),
        r.package,
        num(r.time_limit)
    );
    if let Some(m) = &r.message {
        println!("  {m}");
    }
    if !r.compile_output.trim().is_empty() {
        println!("--- compile output ---\n{}", r.compile_output.trim_end());
    }
    if r.tests.is_empty() {
        return;
    }
    println!(
        "{:<28} {:<20} {:<8} {:<14} {:>7} {:>9} {:>9}  message",
        "test", "group", "verdict", "detail", "time", "mem KiB", "score"
    );
    for t in &r.tests {
        let score = match (t.score, t.max_score) {
            (Some(s), Some(m)) => format!("{}/{}", num(s), num(m)),
            (Some(s), None) => num(s),
            _ => "-".into(),
        };
        let detail: String = t.detail.clone().unwrap_or_default().chars().take(14).collect();
        let msg: String = t.message.clone().unwrap_or_default().replace('\n', " ⏎ ").chars().take(60).collect();
        println!(
            "{:<28} {:<20} {:<8} {:<14} {:>7.3} {:>9} {:>9}  {msg}",
            t.name,
            t.group,
            format!("{:?}", t.verdict),
            detail,
            t.time,
            t.memory_kb,
            score
        );
    }
    let scored: Vec<_> = r.groups.iter().filter(|g| g.score.is_some()).collect();
    if !scored.is_empty() {
        println!("{:<28} {:<10} {:<8} {:>12}", "group", "aggregate", "verdict", "score");
        for g in scored {
            let s = match (g.score, g.max_score) {
                (Some(s), Some(m)) => format!("{}/{}", num(s), num(m)),
                (Some(s), None) => num(s),
                _ => "-".into(),
            };
            println!("{:<28} {:<10} {:<8} {:>12}", g.path, g.aggregation, format!("{:?}", g.verdict), s);
        }
    }
}
