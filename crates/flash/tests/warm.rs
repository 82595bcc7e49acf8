//! Warm runtimes in the real sandbox (root only: `#[ignore]`d, and
//! scripts/test.sh, as root, runs them with the ignored tests): `flash exec` of a Java
//! program builds the JVM's class-data-sharing archive once, judges the
//! program with it, and the archive shown in a box is one the JVM there
//! can map (with sharing forced on, a JVM that cannot use it fails), with
//! the JDK's pre-built module graph.

use flash_testkit::require_root;
use std::path::Path;
use std::process::Command;

const MAIN: &str = "import java.util.*;\npublic class Main { public static void main(String[] a) { \
                    Scanner s = new Scanner(System.in); System.out.println(\"n=\" + s.nextInt() * 2); } }\n";

fn flash(args: &[&str], dir: &Path) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_flash")).args(args).current_dir(dir).output().expect("running flash")
}

#[test]
#[ignore = "needs root: scripts/test.sh runs it"]
fn a_java_run_maps_the_archive_built_once_for_its_jdk() {
    require_root();
    let t = tempfile::tempdir().unwrap();
    let dir = t.path();
    std::fs::write(dir.join("Main.java"), MAIN).unwrap();
    std::fs::write(dir.join("in.txt"), "21\n").unwrap();
    let cache = dir.join("cache");
    let cache_arg = cache.display().to_string();
    let exec = flash(&["exec", "--cache-dir", &cache_arg, "--json", "Main.java", "--stdin", "in.txt"], dir);
    let j: serde_json::Value = serde_json::from_slice(&exec.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&exec.stderr)));
    assert_eq!(j["status"]["description"], "Accepted", "{j}");
    assert_eq!(j["stdout"], "n=42\n", "{j}");
    let archive = cache.with_extension("warm").join("java.jsa");
    let built = std::fs::metadata(&archive).expect("the archive is built").modified().unwrap();

    // Judged again: the archive is kept, not rebuilt.
    let again = flash(&["exec", "--cache-dir", &cache_arg, "--json", "Main.java", "--stdin", "in.txt"], dir);
    assert!(again.status.success(), "{}", String::from_utf8_lossy(&again.stderr));
    assert_eq!(std::fs::metadata(&archive).unwrap().modified().unwrap(), built);

    // In a box, with the run command's options and sharing forced on.
    let javac = Command::new("/usr/bin/javac").args(["-d", "classes", "Main.java"]).current_dir(dir).output().unwrap();
    assert!(javac.status.success(), "{}", String::from_utf8_lossy(&javac.stderr));
    let registry = flash_engine::Registry::from_toml(flash_engine::registry::SHIPPED, |_| Ok("x".into())).unwrap();
    let java = registry.find("Java").unwrap();
    let mut argv: Vec<String> = Vec::new();
    for a in &java.spec.run {
        match a.as_str() {
            "-Xshare:auto" => argv.extend(["-Xshare:on".into(), "-Xlog:cds=info".into()]),
            "-Xmx{heap_mb}m" => argv.push("-Xmx128m".into()),
            "{args}" => {}
            _ => argv.push(a.clone()),
        }
    }
    let warm = format!("{}:/.flash/warm", cache.with_extension("warm").display());
    let mut args = vec!["run", "--dir", &warm, "--file", "classes/Main.class", "--stdin", "in.txt"];
    args.extend(["--processes", "128", "--"]);
    args.extend(argv.iter().map(String::as_str));
    let run = flash(&args, dir);
    let out = String::from_utf8_lossy(&run.stdout);
    assert!(out.contains("full module graph: enabled"), "{out}\n{}", String::from_utf8_lossy(&run.stderr));
    assert!(out.trim_end().ends_with("n=42"), "{out}");
}
