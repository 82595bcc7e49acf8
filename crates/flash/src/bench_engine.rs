//! `flash bench engine`: the engine against the plain toolchain, in one run.
//!
//! - C++ compile through the engine (a cache miss every time) vs plain `g++`.
//! - A cached C++ submission end to end vs running the compiled binary plainly.
//! - Hello world per language through the engine vs the plain interpreter or binary.

use crate::exec::{Archives, Prebuild};
use anyhow::bail;
use flash_engine::{Engine, StatusId, Submission};
use std::path::Path;
use std::process::{Command, Stdio};

const CPP: &str = "#include <iostream>\nint main(){std::cout<<\"hello\"<<std::endl;}\n";

/// Hello world per language: (language, source file, source, plain command).
const HELLO: &[(&str, &str, &str, &[&str])] = &[
    ("C++", "main.cpp", CPP, &["./main"]),
    ("C", "main.c", "#include <stdio.h>\nint main(){puts(\"hello\");}\n", &["./main"]),
    ("Python", "main.py", "print('hello')\n", &["/usr/bin/python3", "-u", "main.py"]),
    ("JavaScript", "main.js", "console.log('hello')\n", &["/usr/bin/node", "main.js"]),
    (
        "Java",
        "Main.java",
        "public class Main{public static void main(String[] a){System.out.println(\"hello\");}}\n",
        // Flash's own run command, from the language table (`plain_java`).
        &[],
    ),
    ("SQL", "main.sql", "select 'hello';\n", &["/usr/bin/sqlite3", "-batch", "-bail", "db.sqlite", ".read main.sql"]),
    ("Bash", "main.sh", "echo hello\n", &["/usr/bin/bash", "main.sh"]),
];

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[v.len() / 2]
}

/// How long `f` took, milliseconds.
fn timed(f: impl FnOnce() -> anyhow::Result<()>) -> anyhow::Result<f64> {
    Ok(crate::bench::timed(f)? * 1e3)
}

fn plain(dir: &Path, argv: &[&str]) -> anyhow::Result<()> {
    // The box's environment, so both sides do the same work (a host variable such
    // as NODE_EXTRA_CA_CERTS alone costs Node 30 ms at start-up).
    let o = Command::new(argv[0])
        .args(&argv[1..])
        .current_dir(dir)
        .env_clear()
        .envs(flash_sandbox::default_env())
        .stdin(Stdio::null())
        .output()?;
    if !o.status.success() {
        bail!("{argv:?} failed: {}", String::from_utf8_lossy(&o.stderr));
    }
    Ok(())
}

fn judge(engine: &Engine, lang: &str, src: &str) -> anyhow::Result<flash_engine::Judgement> {
    let sub = Submission { language: lang.into(), source: src.as_bytes().to_vec(), ..Submission::default() };
    let j = engine.judge(&sub)?;
    if j.run.status != StatusId::Accepted {
        bail!("{lang}: {:?} {:?} {}", j.run.status, j.run.message, String::from_utf8_lossy(&j.compile_output));
    }
    Ok(j)
}

pub fn run(n: usize) -> anyhow::Result<i32> {
    let tmp = std::env::temp_dir().join(format!("flash-bench-engine-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&tmp);
    std::fs::create_dir_all(&tmp)?;
    // Java's class-data archive built and shown in the box, as a server has it
    // (without it the JVM in the box would share no classes at all, while the
    // plain `java` maps the JDK's default archive). No precompiled header: the
    // compile row measures a plain compile in a box.
    let prebuild = Prebuild { pch: false, warm: Archives::Of("Java".into()) };
    let engine = crate::exec::build_engine(Some(tmp.join("cache")), prebuild, 1)?;
    let work = tmp.join("plain");
    std::fs::create_dir_all(&work)?;

    // 1. Compile: every sample a new source (a nonce comment), so the cache always misses.
    let mut plain_c = Vec::new();
    let mut engine_c = Vec::new();
    for i in 0..n {
        let src = format!("// {i} {}\n{CPP}", std::process::id());
        std::fs::write(work.join("main.cpp"), &src)?;
        plain_c
            .push(timed(|| plain(&work, &["/usr/bin/g++", "-std=c++17", "-O2", "-pipe", "-o", "main", "main.cpp"]))?);
        let src = format!("// engine {i} {}\n{CPP}", std::process::id());
        engine_c.push(judge(&engine, "C++", &src)?.compile_time * 1e3);
    }
    let (pc, ec) = (median(plain_c), median(engine_c));
    println!("C++ hello world, medians of {n} samples (ms)\n");
    println!("| what | plain | through the engine | overhead |");
    println!("|---|---|---|---|");
    println!("| compile (cache miss) | {pc:.1} | {ec:.1} | {:+.1}% |", (ec / pc - 1.0) * 100.0);

    // 2. A cache hit end to end vs running the binary plainly.
    judge(&engine, "C++", CPP)?;
    std::fs::write(work.join("main.cpp"), CPP)?;
    plain(&work, &["/usr/bin/g++", "-std=c++17", "-O2", "-pipe", "-o", "main", "main.cpp"])?;
    let mut pr = Vec::new();
    let mut er = Vec::new();
    for _ in 0..n.max(20) {
        pr.push(timed(|| plain(&work, &["./main"]))?);
        er.push(timed(|| judge(&engine, "C++", CPP).map(drop))?);
    }
    let (pr, er) = (median(pr), median(er));
    println!("| cached submission vs plain run | {pr:.2} | {er:.2} | {:+.2} ms |", er - pr);

    // 3. Hello world per language (cached compiles).
    println!("\nHello world per language, medians of {n} runs (ms; compiled languages cached)\n");
    println!("| language | plain | through the engine | overhead |");
    println!("|---|---|---|---|");
    for (lang, file, src, cmd) in HELLO {
        if engine.registry().find(lang).is_none() {
            println!("| {lang} | not installed | | |");
            continue;
        }
        let dir = work.join(lang);
        std::fs::create_dir_all(&dir)?;
        std::fs::write(dir.join(file), src)?;
        match *lang {
            "C++" => plain(&dir, &["/usr/bin/g++", "-std=c++17", "-O2", "-o", "main", "main.cpp"])?,
            "C" => plain(&dir, &["/usr/bin/gcc", "-O2", "-o", "main", "main.c"])?,
            "Java" => plain(&dir, &["/usr/bin/javac", "Main.java"])?,
            _ => {}
        }
        let _ = std::fs::remove_file(dir.join("db.sqlite"));
        judge(&engine, lang, src)?;
        let java = match *lang {
            "Java" => crate::bench_workloads::plain_java(engine.registry().find("Java").expect("checked above")),
            _ => Vec::new(),
        };
        let cmd: Vec<&str> = if java.is_empty() { cmd.to_vec() } else { java.iter().map(String::as_str).collect() };
        let mut p = Vec::new();
        let mut e = Vec::new();
        for _ in 0..n {
            let _ = std::fs::remove_file(dir.join("db.sqlite"));
            p.push(timed(|| plain(&dir, &cmd))?);
            e.push(timed(|| judge(&engine, lang, src).map(drop))?);
        }
        let (p, e) = (median(p), median(e));
        println!("| {lang} | {p:.2} | {e:.2} | {:+.2} ms |", e - p);
    }
    let _ = std::fs::remove_dir_all(&tmp);
    Ok(0)
}
