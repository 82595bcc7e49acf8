//! `flash bench workloads`: what judges really send, against the plain
//! toolchain doing the same work on the same cores, in one run.
//!
//! - **Competitive-programming batch**: distinct C++ programs that start
//!   with `#include <bits/stdc++.h>`, each compiled and run on one input.
//!   Flash (two slots, precompiled header) against plain `g++` + run, two at
//!   a time (the floor: the toolchain alone, no sandbox, no service).
//! - **A 50-test problem**: one program, 50 test cases. Flash with the
//!   compile cached (what a judge sees from the second submission of the
//!   same code on, and what a rejudge costs) and uncached (one compile, 50
//!   runs), against the Judge0-style path: compile and run once per test
//!   case, two at a time, plainly (so Judge0's own sandbox costs are left
//!   out in its favour).
//! - **Java start-up**: a compiled hello world through Flash (cached compile,
//!   warm-runtime archive) against plain `java -cp . Main`, and against plain
//!   `java` with Flash's own options but without the archive.
//! - **The other JVM languages' start-up** (Kotlin, Scala, Clojure, Groovy,
//!   where installed): a hello world through Flash against plain `java` on
//!   the same class path, and Groovy's also against its `groovy` launcher.
//!
//! Figures are wall times on this machine and ratios between cells measured
//! in the same run; never assertions. The start-up rows take their samples
//! in turn and give the median of the pairwise ratios. The table is printed and written to
//! `OUT/workloads.md`, next to a plot of the ratios (`OUT/workloads.svg`).

use crate::bench::timed;
use crate::exec::{build_engine, Archives, Prebuild};
use anyhow::{bail, Context};
use flash_engine::{Engine, StatusId, Submission, TestCase};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

/// A typical accepted solution: read numbers, sort, answer queries.
fn cp_program(nonce: &str) -> String {
    format!(
        "#include <bits/stdc++.h>\nusing namespace std;\n// {nonce}\n\
         int main(){{ios::sync_with_stdio(false);cin.tie(nullptr);int n;if(!(cin>>n))return 0;\
         vector<long long> a(n);for(auto&x:a)cin>>x;sort(a.begin(),a.end());\
         map<long long,int> freq;for(auto x:a)freq[x]++;\
         long long s=accumulate(a.begin(),a.end(),0LL);\
         cout<<s<<' '<<freq.size()<<' '<<(n?a[n/2]:0)<<\"\\n\";}}\n"
    )
}

/// Test case `i` of the problem and its expected answer.
fn cp_case(i: usize) -> (String, String) {
    let n = 1000 + i * 37;
    let a: Vec<i64> = (0..n).map(|k| ((k * 7919 + i * 104_729) % 100_003) as i64 - 50_000).collect();
    let mut input = format!("{n}\n");
    input.push_str(&a.iter().map(|x| x.to_string()).collect::<Vec<_>>().join(" "));
    input.push('\n');
    let mut sorted = a.clone();
    sorted.sort();
    let distinct = {
        let mut d = sorted.clone();
        d.dedup();
        d.len()
    };
    let expected = format!("{} {} {}\n", a.iter().sum::<i64>(), distinct, sorted[n / 2]);
    (input, expected)
}

const JAVA_HELLO: &str =
    "public class Main { public static void main(String[] a) { System.out.println(\"Hello, World!\"); } }\n";

/// Flash's Java run command for a plain `java` outside any box: its options
/// (a 192 MiB heap), without the warm-runtime archive (plain runs have no
/// mount), running `Main` from the current directory.
pub(crate) fn plain_java(java: &flash_engine::Language) -> Vec<String> {
    let run = &java.spec.run;
    let mut argv = vec![run[0].clone()];
    argv.extend(
        run[1..]
            .iter()
            .take_while(|a| a.as_str() != "-cp")
            .filter(|a| !a.starts_with("-XX:SharedArchiveFile"))
            .map(|a| a.replace("{heap_mb}", "192")),
    );
    argv.extend(["-cp", ".", "Main"].map(String::from));
    argv
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[v.len() / 2]
}

/// Runs `job(i)` for i in 0..n on `threads` threads; the wall time in seconds.
fn parallel(n: usize, threads: usize, job: impl Fn(usize) -> anyhow::Result<()> + Sync) -> anyhow::Result<f64> {
    let next = AtomicUsize::new(0);
    let t = Instant::now();
    std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads)
            .map(|_| {
                s.spawn(|| -> anyhow::Result<()> {
                    loop {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        if i >= n {
                            return Ok(());
                        }
                        job(i)?;
                    }
                })
            })
            .collect();
        handles.into_iter().try_for_each(|h| h.join().map_err(|_| anyhow::anyhow!("a bench thread panicked"))?)
    })?;
    Ok(t.elapsed().as_secs_f64())
}

/// A plain command in `dir` with the box's environment and `input` on stdin;
/// its stdout.
fn plain(dir: &Path, argv: &[&str], input: &[u8]) -> anyhow::Result<Vec<u8>> {
    use std::io::Write as _;
    let mut child = Command::new(argv[0])
        .args(&argv[1..])
        .current_dir(dir)
        .env_clear()
        .envs(flash_sandbox::default_env())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .with_context(|| format!("starting {}", argv[0]))?;
    let mut stdin = child.stdin.take().expect("piped");
    let input = input.to_vec();
    let feeder = std::thread::spawn(move || {
        let _ = stdin.write_all(&input);
    });
    let out = child.wait_with_output()?;
    let _ = feeder.join();
    if !out.status.success() {
        bail!("{argv:?} failed: {}", String::from_utf8_lossy(&out.stderr));
    }
    Ok(out.stdout)
}

/// Plain g++ with the flags of Flash's C++ entry, then a run on `input`.
fn plain_cpp(dir: &Path, src: &str, input: &str) -> anyhow::Result<Vec<u8>> {
    std::fs::create_dir_all(dir)?;
    std::fs::write(dir.join("main.cpp"), src)?;
    plain(dir, &["/usr/bin/g++", "-std=c++17", "-O2", "-pipe", "-o", "main", "main.cpp"], b"")?;
    plain(dir, &["./main"], input.as_bytes())
}

fn judged(engine: &Engine, sub: &Submission) -> anyhow::Result<flash_engine::Judgement> {
    let j = engine.judge(sub)?;
    if j.run.status != StatusId::Accepted {
        bail!(
            "{}: {:?} {:?} {}",
            sub.language,
            j.run.status,
            j.run.message,
            String::from_utf8_lossy(&j.compile_output)
        );
    }
    Ok(j)
}

/// `flash bench workloads`: `programs` distinct programs in the batch,
/// `tests` test cases in the problem, `runs` samples of the short cells.
/// The table and the plot go to `out`.
pub fn run(programs: usize, tests: usize, runs: usize, out: &Path) -> anyhow::Result<i32> {
    let tmp = std::env::temp_dir().join(format!("flash-bench-workloads-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&tmp);
    std::fs::create_dir_all(&tmp)?;
    let mut report = Report::default();
    let result = measure(&tmp, programs, tests, runs, &mut report);
    let _ = std::fs::remove_dir_all(&tmp);
    result?;
    std::fs::create_dir_all(out)?;
    std::fs::write(out.join("workloads.md"), &report.table)?;
    let title = "Judges' workloads: Flash against the plain toolchain, 2 at a time";
    std::fs::write(out.join("workloads.svg"), crate::plot::ratios(title, &report.bars))?;
    eprintln!("\nwrote {0}/workloads.md, {0}/workloads.svg", out.display());
    Ok(0)
}

/// The table as it is printed, and a bar per row for the plot.
#[derive(Default)]
struct Report {
    table: String,
    bars: Vec<crate::plot::Ratio>,
}

impl Report {
    /// Prints and keeps a line of the table.
    fn line(&mut self, s: &str) {
        println!("{s}");
        self.table.push_str(s);
        self.table.push('\n');
    }

    /// A row: what, against what, the seconds of each to `digits` places, and the ratio as shown.
    fn row(&mut self, what: &str, baseline: &str, (base_s, flash_s): (f64, f64), digits: (usize, usize), shown: &str) {
        let (bd, fd) = digits;
        self.line(&format!("| {what} | {baseline} | {base_s:.bd$} | {flash_s:.fd$} | {shown} |"));
        let plain = |s: &str| s.replace('`', "");
        self.bars.push(crate::plot::Ratio { label: plain(what), against: plain(baseline), ratio: flash_s / base_s });
    }

    /// A row of start-up samples taken in turn (baseline, Flash, baseline, ...):
    /// the medians of each side, and the median of the pairwise ratios, which
    /// holds when the machine's speed drifts during the run (a ratio of the
    /// medians would mix samples from different moments).
    fn paired(&mut self, what: &str, baseline: &str, base: &[f64], flash: &[f64]) {
        let ratio = median(base.iter().zip(flash).map(|(b, f)| f / b).collect());
        let (base_s, flash_s) = (median(base.to_vec()), median(flash.to_vec()));
        self.line(&format!("| {what} | {baseline} | {base_s:.3} | {flash_s:.3} | {ratio:.2}x |"));
        let plain = |s: &str| s.replace('`', "");
        self.bars.push(crate::plot::Ratio { label: plain(what), against: plain(baseline), ratio });
    }
}

fn measure(tmp: &Path, programs: usize, tests: usize, runs: usize, report: &mut Report) -> anyhow::Result<()> {
    let threads = 2;
    eprintln!("building the engine (precompiled header and JVM archive included, once) ...");
    let engine = build_engine(Some(tmp.join("cache")), Prebuild { pch: true, warm: Archives::All }, threads)?;
    let nonce = format!("{}-{}", std::process::id(), Instant::now().elapsed().as_nanos());
    let (input, expected) = cp_case(0);

    // 1. The competitive-programming batch.
    eprintln!("batch of {programs} distinct bits/stdc++.h programs ...");
    let floor = parallel(programs, threads, |i| {
        let out = plain_cpp(&tmp.join(format!("plain/{i}")), &cp_program(&format!("plain {nonce} {i}")), &input)?;
        if out != expected.as_bytes() {
            bail!("plain program {i} printed {:?}", String::from_utf8_lossy(&out));
        }
        Ok(())
    })?;
    let flash = parallel(programs, threads, |i| {
        let sub = Submission {
            language: "C++".into(),
            source: cp_program(&format!("flash {nonce} {i}")).into_bytes(),
            stdin: input.clone().into_bytes(),
            expected: Some(expected.clone().into_bytes()),
            ..Submission::default()
        };
        judged(&engine, &sub).map(drop)
    })?;
    report.line(&format!("Workloads, {threads} at a time (wall seconds; ratio = Flash / baseline, same run)\n"));
    report.line("| workload | baseline | baseline s | Flash s | ratio |");
    report.line("|---|---|---|---|---|");
    report.row(
        &format!("{programs} distinct `bits/stdc++.h` C++ programs, compile + run"),
        "plain g++",
        (floor, flash),
        (2, 2),
        &format!("{:.2}x", flash / floor),
    );

    // 2. The 50-test problem.
    eprintln!("a problem with {tests} test cases ...");
    let cases: Vec<(String, String)> = (0..tests).map(cp_case).collect();
    let problem = |source: String| Submission {
        language: "C++".into(),
        source: source.into_bytes(),
        tests: cases
            .iter()
            .map(|(i, e)| TestCase { input: i.clone().into_bytes(), expected: Some(e.clone().into_bytes()) })
            .collect(),
        ..Submission::default()
    };
    let judge0 = parallel(tests, threads, |i| {
        let (input, expected) = &cases[i];
        let out = plain_cpp(&tmp.join(format!("judge0/{i}")), &cp_program(&format!("judge0 {nonce}")), input)?;
        if out != expected.as_bytes() {
            bail!("test {i}: wrong output");
        }
        Ok(())
    })?;
    let t = Instant::now();
    let first = judged(&engine, &problem(cp_program(&format!("problem {nonce}"))))?;
    let uncached = t.elapsed().as_secs_f64();
    if first.tests.len() != tests {
        bail!("{} test results for {tests} tests", first.tests.len());
    }
    let mut cached = Vec::new();
    for _ in 0..runs {
        let t = Instant::now();
        let j = judged(&engine, &problem(cp_program(&format!("problem {nonce}"))))?;
        if !j.compile_cached {
            bail!("the second judging of the same program was not a cache hit");
        }
        cached.push(t.elapsed().as_secs_f64());
    }
    let cached = median(cached);
    let judge0_path = "compile + run per test (Judge0's path), plain";
    report.row(
        &format!("{tests}-test problem, first judging (one compile)"),
        judge0_path,
        (judge0, uncached),
        (2, 2),
        &format!("{:.3}x ({:.1}x faster)", uncached / judge0, judge0 / uncached),
    );
    report.row(
        &format!("{tests}-test problem, compile cached"),
        judge0_path,
        (judge0, cached),
        (2, 3),
        &format!("{:.3}x ({:.0}x faster)", cached / judge0, judge0 / cached),
    );

    java_startup(&engine, tmp, runs, report)?;
    other_jvm_startups(&engine, tmp, runs, report)
}

/// Java start-up (the third workload): a compiled hello world through Flash against plain
/// `java`, with and without Flash's options.
fn java_startup(engine: &Engine, tmp: &Path, runs: usize, report: &mut Report) -> anyhow::Result<()> {
    if engine.registry().find("Java").is_none() {
        report.line("| Java hello world | not installed | | | |");
        return Ok(());
    }
    eprintln!("Java start-up, {runs} samples ...");
    let dir = tmp.join("java");
    std::fs::create_dir_all(&dir)?;
    std::fs::write(dir.join("Main.java"), JAVA_HELLO)?;
    plain(&dir, &["/usr/bin/javac", "Main.java"], b"")?;
    let sub = Submission { language: "Java".into(), source: JAVA_HELLO.as_bytes().to_vec(), ..Submission::default() };
    judged(engine, &sub)?;
    let own = plain_java(engine.registry().find("Java").expect("checked"));
    let own_argv: Vec<&str> = own.iter().map(String::as_str).collect();
    let (mut p, mut o, mut f) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..runs.max(10) {
        p.push(timed(|| plain(&dir, &["/usr/bin/java", "-cp", ".", "Main"], b"").map(drop))?);
        o.push(timed(|| plain(&dir, &own_argv, b"").map(drop))?);
        f.push(timed(|| judged(engine, &sub).map(drop))?);
    }
    let java = "Java hello world (compiled), start to end";
    report.paired(java, "plain `java -cp . Main`", &p, &f);
    report.paired(java, "plain `java` with Flash's options, no archive", &o, &f);
    Ok(())
}

/// The other JVM languages' start-up (the fourth), against plain `java` on the same
/// class path (the compile done plainly once, outside the measure).
fn other_jvm_startups(engine: &Engine, tmp: &Path, runs: usize, report: &mut Report) -> anyhow::Result<()> {
    for (name, hello, launcher) in OTHER_JVM_HELLOS {
        let Some(lang) = engine.registry().find(name) else {
            report.line(&format!("| {name} hello world | not installed | | | |"));
            continue;
        };
        eprintln!("{name} start-up, {runs} samples ...");
        let dir = tmp.join(name.to_lowercase());
        std::fs::create_dir_all(&dir)?;
        std::fs::write(dir.join(&lang.spec.source), hello)?;
        let compile: Vec<&str> =
            lang.spec.compile.iter().flatten().filter(|a| *a != "{options}").map(String::as_str).collect();
        if !compile.is_empty() {
            plain(&dir, &compile, b"")?;
        }
        let baseline = plain_jvm(lang);
        let argv: Vec<&str> = baseline.iter().map(String::as_str).collect();
        let sub = Submission { language: (*name).into(), source: hello.as_bytes().to_vec(), ..Submission::default() };
        judged(engine, &sub)?;
        let (mut p, mut l, mut f) = (Vec::new(), Vec::new(), Vec::new());
        for _ in 0..runs.max(10) {
            p.push(timed(|| plain(&dir, &argv, b"").map(drop))?);
            if let Some(launcher) = launcher {
                l.push(timed(|| plain(&dir, launcher, b"").map(drop))?);
            }
            f.push(timed(|| judged(engine, &sub).map(drop))?);
        }
        let what = format!("{name} hello world{}, start to end", if compile.is_empty() { "" } else { " (compiled)" });
        for (cmd, samples) in [(argv, p), (launcher.map(<[&str]>::to_vec).unwrap_or_default(), l)] {
            if !samples.is_empty() {
                report.paired(&what, &format!("plain `{}`", cmd.join(" ")), &samples, &f);
            }
        }
    }
    Ok(())
}

/// Hello worlds of the JVM languages besides Java, and the language's own
/// launcher where users start programs with one (a second baseline).
const OTHER_JVM_HELLOS: [(&str, &str, Option<&[&str]>); 4] = [
    ("Kotlin", "fun main() { println(\"Hello, World!\") }\n", None),
    ("Scala", "object Main { def main(args: Array[String]): Unit = println(\"Hello, World!\") }\n", None),
    ("Clojure", "(println \"Hello, World!\")\n", None),
    ("Groovy", "println \"Hello, World!\"\n", Some(&["/usr/bin/groovy", "main.groovy"])),
];

/// A JVM language's program run plainly: the JVM with no options, on the
/// class path and main class of Flash's run command.
fn plain_jvm(lang: &flash_engine::Language) -> Vec<String> {
    let run = &lang.spec.run;
    let from = run.iter().position(|a| a == "-cp").unwrap_or(run.len());
    std::iter::once(&run[0]).chain(&run[from..]).filter(|a| *a != "{args}").cloned().collect()
}
