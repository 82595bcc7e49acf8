//! Warm runtimes: a class-data-sharing (CDS) archive for each JVM language,
//! so a program starts from mapped, pre-parsed classes (the JDK's, with G1
//! the JDK's pre-built module graph, and for Kotlin, Scala, Clojure and
//! Groovy their library's) instead of loading and linking them at every
//! start. The run commands also map the archive where it was built to be
//! (`-XX:ArchiveRelocationMode=0`: Debian's JDK 17 otherwise maps it at a
//! random address and relocates every pointer in it, about 6 ms per start;
//! that randomness protects nothing here, where the program in the JVM is
//! the untrusted party and the box is the boundary). Measured with
//! `flash bench workloads`: a compiled Java hello world starts in about 0.7
//! of the time of a plain `java -cp . Main`; Kotlin's, Scala's, Clojure's
//! and Groovy's in about half of a plain `java` on the same class path.
//!
//! A language asks for an archive by naming it in its run command:
//! `-XX:SharedArchiveFile=/.flash/warm/<name>.jsa`, or two layers of one,
//! `.../<base>.jsa:.../<name>.jsa` ([`Layers`]; Java's). For each such language
//! the archive is built once per JVM version, flag set and library jars, on
//! the host, into `<dir>/<name>.jsa` with a stamp of what it was built from.
//! Its inputs are the system's JDK and libraries and a fixed corpus of
//! ordinary programs below, never a submission: Java's is compiled by the
//! `javac` next to the JVM; the other languages' by their own compile
//! command, the archive then holding the jars their run's class path starts
//! with. Java's is built when a server starts; the others' need their own
//! compilers (seconds each), so a server builds each the first time that
//! language is judged ([`Warm::wanted`]).
//!
//! The directory is shown read-only in every box at [`BOX_DIR`]. Nothing of
//! a run can reach another: every run maps the same read-only file, and the
//! JVM checks the archive against itself (version, flags, class path and
//! jars) and ignores it silently when it does not match, so a run without
//! it is only slower, never different; a top layer holds a checksum of its
//! base's header, and the JVM maps the base alone under a top layer made
//! over another base. Until it is built the name (a base's) links to the
//! JDK's default archive ([`stand_in`]) and no top layer is there; where no
//! directory is mounted at all, the JVM shares nothing.
//!
//! A compiler written in JavaScript gets the same treatment: a compile
//! command naming a V8 code cache, `/.flash/warm/<name>.v8cache` followed by
//! the script it is of ([`V8Cache`]; TypeScript's `tsc.js`), runs that script
//! through a loader (a support file of the language) that takes V8's
//! compiled code from the cache instead of parsing and compiling 6 MB of
//! JavaScript at every compile. The cache is built on the host, from the
//! language's own compile of a corpus program, the first time the language
//! is judged; the loader uses it only when it was made from the same script
//! file by the same Node, and V8 checks its version and flags besides.
//!
//! Bounded on disk: one archive (10-25 MB) per JVM language of the
//! registry, one cache (3 MB) per such compiler; files of languages no
//! longer planned are removed when the archives are planned.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use crate::registry::Registry;

/// Where the archives are in every box.
pub const BOX_DIR: &str = "/.flash/warm";

/// The run-command argument that names an archive.
const ARCHIVE_ARG: &str = "-XX:SharedArchiveFile=";

/// The programs whose loaded JDK classes go into the archive: what
/// judge submissions use (input parsing, collections, formatting, lambdas
/// and streams, big numbers, exceptions). Each is run once with the input
/// below while the JVM lists the classes it loads.
const CORPUS: &[(&str, &str)] = &[
    (
        "WarmScanner",
        r#"import java.util.*;
public class WarmScanner {
    public static void main(String[] args) {
        Scanner in = new Scanner(System.in);
        int n = in.nextInt();
        long sum = 0;
        for (int i = 0; i < n; i++) sum += in.nextLong();
        String w = in.next();
        System.out.println("sum " + sum + " " + w);
        System.out.printf("%d %.3f %s%n", n, sum / 3.0, w);
        System.out.println(String.format("%5d|%-5s|", n, w));
    }
}
"#,
    ),
    (
        "WarmReader",
        r#"import java.io.*;
import java.util.*;
public class WarmReader {
    public static void main(String[] args) throws IOException {
        BufferedReader br = new BufferedReader(new InputStreamReader(System.in));
        PrintWriter out = new PrintWriter(new BufferedWriter(new OutputStreamWriter(System.out)));
        StringTokenizer st = new StringTokenizer(br.readLine());
        int n = Integer.parseInt(st.nextToken());
        String[] parts = br.readLine().trim().split("\\s+");
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < n; i++) sb.append(Long.parseLong(parts[i]) * 2).append(' ');
        out.println(sb.toString().trim());
        out.flush();
    }
}
"#,
    ),
    (
        "WarmCollections",
        r#"import java.util.*;
import java.util.function.*;
import java.util.stream.*;
public class WarmCollections {
    record Pair(int a, int b) {}
    public static void main(String[] args) {
        List<Integer> list = new ArrayList<>(List.of(5, 3, 1, 4, 2));
        Collections.sort(list);
        list.sort(Comparator.reverseOrder());
        Map<String, Integer> map = new HashMap<>();
        map.merge("a", 1, Integer::sum);
        TreeMap<Integer, String> tree = new TreeMap<>();
        tree.put(2, "b");
        Deque<Integer> dq = new ArrayDeque<>();
        dq.push(1);
        PriorityQueue<int[]> pq = new PriorityQueue<>((x, y) -> Integer.compare(x[0], y[0]));
        pq.add(new int[] {3, 1});
        Set<Long> set = new HashSet<>();
        set.add(7L);
        TreeSet<Integer> ts = new TreeSet<>(list);
        int[] arr = {4, 2, 9};
        Arrays.sort(arr);
        long[][] grid = new long[3][3];
        Arrays.fill(grid[0], -1);
        Integer[] boxed = {3, 1, 2};
        Arrays.sort(boxed, (x, y) -> y - x);
        List<Pair> pairs = new ArrayList<>();
        pairs.add(new Pair(1, 2));
        pairs.sort(Comparator.comparingInt(Pair::a).thenComparingInt(Pair::b));
        String joined = list.stream().map(String::valueOf).collect(Collectors.joining(" "));
        int total = IntStream.range(0, 10).filter(i -> i % 2 == 0).sum();
        Map<Boolean, List<Integer>> parts = list.stream().collect(Collectors.partitioningBy(i -> i > 2));
        Optional<Integer> max = list.stream().max(Integer::compare);
        Function<Integer, Integer> sq = x -> x * x;
        BiFunction<Integer, Integer, Integer> add = Integer::sum;
        System.out.println(joined + " " + total + " " + parts + " " + max.orElse(0) + " " + sq.apply(3)
            + " " + add.apply(1, 2) + " " + map + tree + dq + pq.size() + set + ts + Arrays.toString(arr)
            + Arrays.deepToString(grid) + Arrays.toString(boxed) + pairs + Math.max(1, 2) + Math.abs(-3L)
            + Math.sqrt(2.0) + Long.MAX_VALUE + Character.isDigit('1'));
    }
}
"#,
    ),
    (
        "WarmNumbers",
        r#"import java.math.*;
import java.util.*;
public class WarmNumbers {
    public static void main(String[] args) {
        BigInteger f = BigInteger.ONE;
        for (int i = 2; i <= 30; i++) f = f.multiply(BigInteger.valueOf(i));
        BigDecimal d = new BigDecimal("1.10").add(new BigDecimal("2.205")).setScale(2, RoundingMode.HALF_UP);
        try {
            int[] a = new int[1];
            a[2] = 1;
        } catch (ArrayIndexOutOfBoundsException e) {
            System.out.println("caught " + e.getClass().getSimpleName());
        }
        try {
            Object o = "x";
            Integer bad = (Integer) o;
            System.out.println(bad);
        } catch (ClassCastException | NumberFormatException e) {
            System.out.println("caught");
        }
        Random r = new Random(1);
        System.out.println(f + " " + d + " " + r.nextInt(10) + " " + Integer.toBinaryString(10)
            + " " + Long.toHexString(255L) + " " + Double.parseDouble("1e3") + " " + "abc".toUpperCase()
            + " " + String.join(",", "a", "b") + " " + "a,b".split(",").length + " " + "x".repeat(3)
            + " " + new StringBuilder("ab").reverse() + " " + "abc".chars().sum());
        System.err.println("done");
        System.exit(0);
    }
}
"#,
    ),
];

/// The heap the archive is built for: its object encoding then matches
/// that of any heap up to 4 GB (the JVM relocates the archived objects
/// otherwise, about 10 ms at every start).
const DUMP_HEAP: &str = "-Xmx256m";

/// What every corpus program reads.
const CORPUS_INPUT: &str = "3\n1 2 3\nword\n";

/// One archive or code cache: a language and what it is built from.
#[derive(Debug)]
struct Entry {
    /// The language it serves (its name).
    language: String,
    /// What is built, and from what.
    kind: Kind,
    /// What it was built from, hashed: for an archive the JVM, its version,
    /// the flags, the jars and the layers' names; for a code cache the
    /// compiler's version, its script, the compile command, the support
    /// files and the environment.
    stamp: String,
    /// Built and in place.
    ready: AtomicBool,
    /// Where [`Warm::wanted`]'s background builds are.
    state: Mutex<BuildState>,
}

/// [`Warm::wanted`]'s builds of one archive.
#[derive(Debug, Clone, Copy, PartialEq)]
enum BuildState {
    /// None running, and none failed lately.
    Idle,
    /// One is running.
    Building,
    /// The last failed then: the next waits [`RETRY_AFTER`].
    FailedAt(Instant),
}

/// What an [`Entry`] builds.
#[derive(Debug)]
enum Kind {
    /// A JVM language's class-data-sharing archive.
    Jvm(Jvm),
    /// A V8 code cache of the script a compile command runs ([`V8Cache`]).
    V8(V8Build),
}

/// A JVM language's archive and what it is built from.
#[derive(Debug)]
struct Jvm {
    /// The JVM, as the run command names it.
    java: String,
    /// The run command's JVM options that shape an archive.
    flags: Vec<String>,
    /// The archive's file names in the directory.
    layers: Layers,
    /// The programs whose loaded classes go into the archive, and how they
    /// are built and run.
    corpus: Corpus,
}

/// A V8 code cache: one program in the language's own source
/// ([`OWN_CORPUS`]) compiled by its compile command, whose loader writes
/// the cache of the script it runs when the compile ends.
#[derive(Debug)]
struct V8Build {
    /// The cache's file name in the directory.
    file: String,
    /// The source file's name (the language's `source`).
    source: String,
    /// The program.
    program: &'static str,
    /// The compile command, `{options}` left out.
    compile: Vec<String>,
    /// The language's support files (the loader among them) and environment.
    support: Vec<(String, String)>,
    env: Vec<(String, String)>,
}

impl Entry {
    fn state(&self) -> std::sync::MutexGuard<'_, BuildState> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The file that names the entry: an archive's top (or only) layer, or the cache.
    fn file(&self) -> &String {
        match &self.kind {
            Kind::Jvm(j) => &j.layers.file,
            Kind::V8(v) => &v.file,
        }
    }

    /// Every file the entry builds, a base layer first.
    fn files(&self) -> Vec<&String> {
        match &self.kind {
            Kind::Jvm(j) => j.layers.files().collect(),
            Kind::V8(v) => vec![&v.file],
        }
    }
}

#[cfg(test)]
impl Jvm {
    /// The JVM option that names this archive's files in `dir`.
    fn archive_arg(&self, dir: &Path) -> String {
        let files: Vec<String> = self.layers.files().map(|f| dir.join(f).display().to_string()).collect();
        format!("{ARCHIVE_ARG}{}", files.join(":"))
    }
}

/// How long after a failed build [`Warm::wanted`] tries again: a failure
/// (a full disk, a toolchain being upgraded) may pass, and until the
/// archive is built every run of the language starts slower; a build costs
/// seconds of CPU, so not at every run either.
const RETRY_AFTER: Duration = Duration::from_secs(60);

/// How an archive's corpus is built and run.
#[derive(Debug)]
enum Corpus {
    /// Java: [`CORPUS`], compiled by the `javac` next to the JVM and run
    /// from a directory (so the corpus's own classes stay out).
    Java { javac: PathBuf },
    /// Another JVM language: one program in its own source ([`OWN_CORPUS`]),
    /// compiled and run by the language's own commands. The archive holds
    /// the JDK's classes and those of the jars the run's class path starts
    /// with (the language's library); the program's own jar follows them.
    Own {
        /// The source file's name (the language's `source`).
        source: String,
        /// The program.
        program: &'static str,
        /// The compile command, `{options}` left out (none: run from source).
        compile: Vec<String>,
        /// The run command from its class path on, `{args}` left out.
        run: Vec<String>,
        /// The jars the archive holds: the installed start of the run's class path.
        class_path: Vec<String>,
    },
}

/// Programs of the other JVM languages and of the languages with a V8 code
/// cache, by language name: what their judge submissions use (reading lines,
/// numbers, collections, formatting).
const OWN_CORPUS: &[(&str, &str)] = &[
    (
        "TypeScript",
        r#"const lines: string[] = require("fs").readFileSync(0, "utf8").split("\n");
const n: number = parseInt(lines[0], 10);
const xs: number[] = lines[1].trim().split(/\s+/).map(Number);
interface Pair { a: number; b: string }
class Counter<T> {
    private counts = new Map<T, number>();
    add(x: T): void { this.counts.set(x, (this.counts.get(x) ?? 0) + 1); }
    get size(): number { return this.counts.size; }
}
const c = new Counter<number>();
xs.forEach((x) => c.add(x % 2));
const pairs: Pair[] = xs.map((a, i) => ({ a, b: String(i) })).sort((p, q) => q.a - p.a);
const sum = xs.reduce((s, x) => s + x, 0);
const big: bigint = BigInt(sum) * 10n;
const seen = new Set<string>(lines.map((l) => l.trim()));
enum Dir { Up, Down }
type Shape = { kind: "sq"; side: number } | { kind: "rect"; w: number; h: number };
const area = (s: Shape): number => (s.kind === "sq" ? s.side * s.side : s.w * s.h);
console.log(`${n} ${sum} ${big} ${c.size} ${pairs.map((p) => p.b).join(",")} ${seen.size} ${Dir[Dir.Down]}`);
console.log([...xs].sort((a, b) => a - b).join(" "), area({ kind: "rect", w: 2, h: 3 }), (sum / 3).toFixed(3));
"#,
    ),
    (
        "Kotlin",
        r#"import java.io.*
import java.util.*
fun main() {
    val unused = BufferedReader(InputStreamReader(System.`in`))
    val n = readLine()!!.trim().toInt()
    val xs = readLine()!!.trim().split(" ").map { it.toLong() }
    val w = readLine()!!
    val sorted = xs.sorted().toMutableList()
    val m = mutableMapOf<String, Int>()
    m["a"] = (m["a"] ?: 0) + 1
    val hs = hashSetOf(1, 2)
    val dq = ArrayDeque<Int>()
    dq.addLast(1)
    val sb = StringBuilder()
    for (x in sorted) sb.append(x).append(' ')
    val pairs = listOf(1 to "a", 2 to "bb").sortedByDescending { it.first }
    val arr = IntArray(n) { it * 2 }
    arr.sort()
    println("$n ${sorted.sum()} ${sb.toString().trim()} $m ${hs.size} ${dq.first()} ${"%.3f".format(1.0 / 3)}")
    println("${xs.joinToString(",")} $w ${pairs.map { it.second }.filter { it.isNotEmpty() }.groupBy { it.length }}")
    println("${arr.toList()} ${(1..n).map { it.toLong() }.sum()} ${maxOf(1, 2)} ${unused.hashCode() != 0}")
}
"#,
    ),
    (
        "Scala",
        r#"import scala.io.StdIn
import scala.collection.mutable
object Main {
  def main(args: Array[String]): Unit = {
    val n = StdIn.readLine().trim.toInt
    val xs = StdIn.readLine().trim.split(" ").map(_.toLong)
    val w = StdIn.readLine()
    val sorted = xs.sorted
    val m = mutable.HashMap[String, Int]()
    m("a") = m.getOrElse("a", 0) + 1
    val buf = mutable.ArrayBuffer[Int]()
    buf += n
    val q = mutable.Queue[Int]()
    q.enqueue(1)
    val l = List(3, 1, 2).sorted.map(_ * 2).filter(_ > 0)
    val sb = new StringBuilder
    sb.append(w)
    println(s"$n ${sorted.sum} ${sorted.mkString(" ")} $m $buf ${q.head} $l ${l.groupBy(_ % 2)} $sb")
    println(f"${1.0 / 3}%.3f ${(1 to n).map(_.toLong).sum} ${Vector(1, 2).reverse} ${Set(1, 2)} ${Map(1 -> 2)}")
  }
}
"#,
    ),
    (
        "Groovy",
        r#"def r = System.in.newReader()
int n = r.readLine().trim() as int
def xs = r.readLine().trim().split(/\s+/).collect { it as long }
String w = r.readLine()
def m = [:].withDefault { 0 }
xs.each { m[it % 2] += 1 }
def sorted = xs.sort(false)
def q = new ArrayDeque<Integer>([1, 2])
def sb = new StringBuilder()
(1..n).each { sb << it << ' ' }
println "$n ${xs.sum()} ${sorted.join(' ')} $m ${q.peekFirst()} ${sb.toString().trim()} ${String.format('%.3f', 1.0d / 3)}"
println "${xs.findAll { it > 1 }.collect { it * 2 }} ${xs.groupBy { it % 2 }} ${w.reverse()} ${[a: 1].collectEntries { k, v -> [v, k] }}"
printf("%d %s%n", xs.max(), xs.inject(0) { a, b -> a + b })
"#,
    ),
    (
        "Clojure",
        r#"(require '[clojure.string :as str])
(let [n (Integer/parseInt (str/trim (read-line)))
      xs (map #(Long/parseLong %) (str/split (str/trim (read-line)) #"\s+"))
      w (read-line)]
  (println n (reduce + xs) (sort xs) (frequencies xs) (format "%.3f" (/ 1.0 3)) w)
  (println (into {} (map vector [:a :b] [1 2])) (vec (range n)) (set xs) (apply str (reverse w))
           (sort-by - xs) (group-by odd? xs) (assoc {} :k 1) (conj [] 1) (str/join "," xs)))
"#,
    ),
];

/// The corpus of `lang`'s archive, or none (the language is not one this
/// module has programs for, or its toolchain is not installed).
fn corpus_of(lang: &crate::Language, java: &str) -> Option<Corpus> {
    if lang.spec.name == "Java" {
        return Some(Corpus::Java { javac: Path::new(java).with_file_name("javac") });
    }
    let program = own_program(lang)?;
    let spec = &lang.spec;
    let from = class_path_at(&spec.run)?;
    let run: Vec<String> = spec.run[from..].iter().filter(|a| *a != "{args}").cloned().collect();
    // The run's class path may go on with jars that are not installed (the
    // JVM skips them): the archive's stops before the first.
    let installed = |p: &str| Path::new(p).exists();
    let class_path: Vec<String> =
        run.get(1)?.split(':').take_while(|p| p.starts_with('/') && installed(p)).map(str::to_string).collect();
    let compile = compile_of(spec);
    if class_path.is_empty() || !compile.first().is_none_or(|c| installed(c)) {
        return None;
    }
    Some(Corpus::Own { source: spec.source.clone(), program, compile, run, class_path })
}

/// `lang`'s program in [`OWN_CORPUS`].
fn own_program(lang: &crate::Language) -> Option<&'static str> {
    OWN_CORPUS.iter().find(|(name, _)| *name == lang.spec.name).map(|p| p.1)
}

/// `spec`'s compile command without `{options}` (none: an empty one).
fn compile_of(spec: &crate::registry::LanguageSpec) -> Vec<String> {
    spec.compile.iter().flatten().filter(|a| *a != "{options}").cloned().collect()
}

/// Size and modification time of the jars an archive holds: the JVM checks
/// them, so an upgraded library means a new archive.
fn jars_stamp(class_path: &[String]) -> String {
    class_path
        .iter()
        .map(|p| {
            let m = std::fs::metadata(p).ok();
            let mtime =
                m.as_ref().and_then(|m| m.modified().ok()).and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok());
            format!("{p}:{}:{}", m.map_or(0, |m| m.len()), mtime.map_or(0, |d| d.as_nanos()))
        })
        .collect::<Vec<_>>()
        .join(";")
}

/// The warm-runtime archives of an engine.
#[derive(Debug, Clone)]
pub struct Warm {
    host_dir: PathBuf,
    entries: Arc<Vec<Entry>>,
}

impl Warm {
    /// Plans one archive per language of `registry` whose run command names
    /// one under [`BOX_DIR`], kept in `host_dir` (created). Nothing is built
    /// yet: see [`Warm::build`].
    pub fn plan(registry: &Registry, host_dir: &Path) -> std::io::Result<Warm> {
        std::fs::create_dir_all(host_dir)?;
        let mut entries: Vec<Entry> = Vec::new();
        // The files to keep: the planned archives, their stamps and the
        // stand-ins of archives with nothing to build them from.
        let mut keep: Vec<String> = Vec::new();
        for lang in registry.languages() {
            if let Ok(Some(v8)) = v8_cache_of(&lang.spec) {
                keep.extend([v8.file.clone(), stamp_name(&v8.file)]);
                if let Some(entry) = plan_v8(lang, v8, host_dir) {
                    entries.push(entry);
                }
                continue;
            }
            // The registry refused a malformed archive argument when it loaded.
            let Ok(Some((layers, java, flags))) = archive_of(&lang.spec.run) else { continue };
            if entries.iter().any(|e| *e.file() == layers.file) {
                continue;
            }
            let path = host_dir.join(&layers.file);
            keep.extend(layers.files().cloned().chain([stamp_name(&layers.file)]));
            let stand_ins = || match &layers.base {
                Some(base) => {
                    // The base stands in; no top layer until one is built.
                    stand_in(&java, &host_dir.join(base));
                    let _ = std::fs::remove_file(&path);
                }
                None => stand_in(&java, &path),
            };
            let Some(corpus) = corpus_of(lang, &java) else {
                // Nothing to build it from: the JDK's own archive stands in.
                stand_ins();
                continue;
            };
            let jars = match &corpus {
                Corpus::Own { class_path, .. } => jars_stamp(class_path),
                Corpus::Java { .. } => String::new(),
            };
            // The layers' names too: a top layer alone is no archive, and a
            // file that was one archive is no top layer.
            let names = layers.files().map(String::as_str).collect::<Vec<_>>().join(":");
            let mut parts: Vec<&[u8]> =
                vec![b"warm", DUMP_HEAP.as_bytes(), java.as_bytes(), lang.version.as_bytes(), names.as_bytes()];
            if !jars.is_empty() {
                parts.push(jars.as_bytes());
            }
            for f in &flags {
                parts.push(f.as_bytes());
            }
            let stamp = stamp_of(&parts);
            let ready = layers.files().all(|f| is_file(host_dir, f)) && stamped(host_dir, &layers.file, &stamp);
            if !ready {
                stand_ins();
            }
            entries.push(Entry {
                language: lang.spec.name.clone(),
                kind: Kind::Jvm(Jvm { java, flags, layers, corpus }),
                stamp,
                ready: AtomicBool::new(ready),
                state: Mutex::new(BuildState::Idle),
            });
        }
        // Files of archives no longer planned, and builds a stopped process
        // left half done.
        for d in std::fs::read_dir(host_dir)?.flatten() {
            if !d.file_name().to_str().is_some_and(|n| keep.iter().any(|k| k == n)) {
                let p = d.path();
                let _ = std::fs::remove_dir_all(&p).or_else(|_| std::fs::remove_file(&p));
            }
        }
        Ok(Warm { host_dir: host_dir.to_path_buf(), entries: Arc::new(entries) })
    }

    /// The mount that shows the archives in every box.
    pub fn mount(&self) -> flash_sandbox::Mount {
        flash_sandbox::Mount { source: self.host_dir.clone(), target: BOX_DIR.into(), writable: false, optional: false }
    }

    /// Builds the archives not built yet. Blocks (a few seconds per
    /// archive); returns what it did, per language.
    pub fn build(&self) -> Vec<(String, Result<(), String>)> {
        self.build_where(|_| true)
    }

    /// [`Warm::build`] for `language`'s archive only (what one `flash exec`
    /// needs).
    pub fn build_for(&self, language: &str) -> Vec<(String, Result<(), String>)> {
        self.build_where(|e| e.language == language)
    }

    /// Builds, in the caller's thread, the archives a server builds when it
    /// starts: Java's (its corpus compiles in a second or two). The other
    /// languages' need their own compilers (kotlinc, scalac: seconds each),
    /// so a server builds each when that language is first judged
    /// ([`Warm::wanted`]), and never for a language it is not sent.
    pub fn build_eager(&self) -> Vec<(String, Result<(), String>)> {
        self.build_where(|e| matches!(&e.kind, Kind::Jvm(Jvm { corpus: Corpus::Java { .. }, .. })))
    }

    /// `language` is being judged: if its archive is not built nor being
    /// built, it is built in a background thread (its runs start without it
    /// until then, as before it existed). A failed build is tried again by
    /// the first call [`RETRY_AFTER`] after it. Returns the build's thread,
    /// if one was started.
    pub fn wanted(&self, language: &str) -> Option<std::thread::JoinHandle<()>> {
        let e = self.entries.iter().find(|e| e.language == language)?;
        {
            let mut state = e.state();
            let idle = match *state {
                BuildState::Idle => true,
                BuildState::Building => false,
                BuildState::FailedAt(t) => t.elapsed() >= RETRY_AFTER,
            };
            if e.ready.load(Ordering::Acquire) || !idle {
                return None;
            }
            *state = BuildState::Building;
        }
        let warm = self.clone();
        let language = language.to_string();
        Some(std::thread::spawn(move || {
            let built = warm.build_for(&language);
            if let Some(e) = warm.entries.iter().find(|e| e.language == language) {
                *e.state() = match e.ready.load(Ordering::Acquire) {
                    true => BuildState::Idle,
                    false => BuildState::FailedAt(Instant::now()),
                };
            }
            log_built(built);
        }))
    }

    fn build_where(&self, wanted: impl Fn(&Entry) -> bool) -> Vec<(String, Result<(), String>)> {
        let mut done = Vec::new();
        for e in self.entries.iter().filter(|e| wanted(e) && !e.ready.load(Ordering::Acquire)) {
            let tmp = self.host_dir.join(format!(".tmp-{}-{}", e.file(), std::process::id()));
            let r = self.build_one(e, &tmp);
            let _ = std::fs::remove_dir_all(&tmp);
            if r.is_ok() {
                e.ready.store(true, Ordering::Release);
            }
            done.push((e.language.clone(), r));
        }
        done
    }

    fn build_one(&self, e: &Entry, tmp: &Path) -> Result<(), String> {
        let _ = std::fs::remove_dir_all(tmp);
        match &e.kind {
            Kind::Jvm(j) => build_jvm(j, tmp)?,
            Kind::V8(v) => build_v8(v, tmp)?,
        }
        self.install(e, tmp)
    }

    /// Puts `e`'s files built in `tmp` in place, with their stamp. The base
    /// first: a top layer left from an older base does not match it, and the
    /// JVM then maps the base alone.
    fn install(&self, e: &Entry, tmp: &Path) -> Result<(), String> {
        std::fs::write(self.host_dir.join(stamp_name(e.file())), format!("{}\n", e.stamp))
            .map_err(|err| err.to_string())?;
        for f in e.files() {
            std::fs::rename(tmp.join(f), self.host_dir.join(f)).map_err(|err| err.to_string())?;
        }
        Ok(())
    }

    /// (language, archive file, ready) of every planned archive, for
    /// `flash check` and logs.
    pub fn describe(&self) -> Vec<(String, String, bool)> {
        self.entries.iter().map(|e| (e.language.clone(), e.file().clone(), e.ready.load(Ordering::Acquire))).collect()
    }
}

/// A JVM archive, in `tmp`.
fn build_jvm(e: &Jvm, tmp: &Path) -> Result<(), String> {
    let classes = tmp.join("classes");
    let empty = tmp.join("empty");
    for d in [&classes, &empty] {
        std::fs::create_dir_all(d).map_err(|err| err.to_string())?;
    }
    let listed = tmp.join("all.classlist");
    let class_path = match &e.corpus {
        Corpus::Java { javac } => {
            compile_java_corpus(javac, &classes)?;
            match &e.layers.base {
                // The base: what a program loads to start and print.
                Some(_) => class_list(e, &classes, &[START], &listed)?,
                None => {
                    let names: Vec<&str> = CORPUS.iter().map(|(name, _)| *name).collect();
                    class_list(e, &classes, &names, &listed)?;
                }
            }
            None
        }
        Corpus::Own { source, program, compile, run: tail, class_path } => {
            // Written, compiled and run like a submission, but on the
            // host: the program is this module's, never a user's.
            std::fs::write(classes.join(source), program).map_err(|err| err.to_string())?;
            if let Some((compiler, args)) = compile.split_first() {
                run(tool(Path::new(compiler), &classes).args(args))?;
            }
            let mut cmd = tool(Path::new(&e.java), &classes);
            cmd.args(&e.flags).arg(DUMP_HEAP).arg(format!("-XX:DumpLoadedClassList={}", listed.display()));
            cmd.args(tail);
            run_with_input(cmd, CORPUS_INPUT)?;
            Some(class_path.join(":"))
        }
    };
    let archive = tmp.join(e.layers.files().next().expect("one layer at least"));
    let mut dump = tool(Path::new(&e.java), &empty);
    dump.args(&e.flags).arg(DUMP_HEAP).arg("-Xshare:dump");
    dump.arg(format!("-XX:SharedClassListFile={}", listed.display()));
    dump.arg(format!("{ARCHIVE_ARG}{}", archive.display()));
    if let Some(cp) = class_path {
        dump.args(["-cp", &cp]);
    }
    run(&mut dump)?;
    if e.layers.base.is_some() {
        // The top layer: what the whole corpus loads besides, written by
        // the JVM when one run of all of it ends.
        let mut top = tool(Path::new(&e.java), &classes);
        top.args(&e.flags).arg(DUMP_HEAP).arg(format!("{ARCHIVE_ARG}{}", archive.display()));
        top.arg(format!("-XX:ArchiveClassesAtExit={}", tmp.join(&e.layers.file).display()));
        top.args(["-cp", ".", DRIVER]);
        run(&mut top)?;
    }
    Ok(())
}

/// A V8 code cache, in `tmp`: the corpus program compiled, on the host, by
/// the language's compile command with [`V8_CACHE_OUT`] set, so its loader
/// writes the cache of what the compile ran when it ends.
fn build_v8(v: &V8Build, tmp: &Path) -> Result<(), String> {
    let dir = tmp.join("program");
    std::fs::create_dir_all(&dir).map_err(|err| err.to_string())?;
    let files = v.support.iter().map(|(n, t)| (n.as_str(), t.as_str())).chain([(v.source.as_str(), v.program)]);
    for (name, text) in files {
        std::fs::write(dir.join(name), text).map_err(|err| err.to_string())?;
    }
    let out = tmp.join(&v.file);
    let (node, args) = v.compile.split_first().ok_or("an empty compile command")?;
    let mut cmd = tool(Path::new(node), &dir);
    cmd.args(args).envs(v.env.iter().map(|(k, val)| (k, val))).env(V8_CACHE_OUT, &out);
    run(&mut cmd)?;
    if !out.is_file() {
        return Err(format!("the compile wrote no code cache ({V8_CACHE_OUT})"));
    }
    Ok(())
}

/// Writes [`CORPUS`], [`START`] and the [`DRIVER`] that runs the corpus
/// into `classes` and compiles them there with `javac`.
fn compile_java_corpus(javac: &Path, classes: &Path) -> Result<(), String> {
    let driver = driver_source();
    let mut sources = Vec::new();
    let all = CORPUS.iter().copied().chain([(START, START_SOURCE), (DRIVER, driver.as_str())]);
    for (name, text) in all {
        let p = classes.join(format!("{name}.java"));
        std::fs::write(&p, text).map_err(|err| err.to_string())?;
        sources.push(p);
    }
    run(tool(javac, classes).args(["-encoding", "UTF-8", "-d", "."]).args(&sources)).map(drop)
}

/// The classes the programs `names` (compiled in `classes`) load, each run
/// once, written to `listed`. Those of the programs themselves (from a
/// directory) are left out of an archive by the JVM.
fn class_list(e: &Jvm, classes: &Path, names: &[&str], listed: &Path) -> Result<(), String> {
    let mut list = String::new();
    for (i, name) in names.iter().enumerate() {
        let part = listed.with_extension(format!("{i}"));
        let mut cmd = tool(Path::new(&e.java), classes);
        cmd.args(&e.flags).arg(DUMP_HEAP).arg(format!("-XX:DumpLoadedClassList={}", part.display()));
        cmd.args(["-cp", ".", name]);
        run_with_input(cmd, CORPUS_INPUT)?;
        list.push_str(&std::fs::read_to_string(&part).map_err(|err| err.to_string())?);
    }
    std::fs::write(listed, list).map_err(|err| err.to_string())
}

/// The program whose classes make a two-layer archive's base: every Java
/// program loads them before and while it prints its first line.
const START: &str = "WarmStart";
const START_SOURCE: &str =
    "public class WarmStart { public static void main(String[] args) { System.out.println(\"warm\"); } }\n";

/// The program that runs every [`CORPUS`] program in one JVM, each reading
/// [`CORPUS_INPUT`]: a top layer holds the classes of one run.
const DRIVER: &str = "WarmAll";

fn driver_source() -> String {
    let calls: String = CORPUS
        .iter()
        .map(|(name, _)| {
            format!("        System.setIn(new java.io.ByteArrayInputStream(INPUT.getBytes()));\n        {name}.main(args);\n")
        })
        .collect();
    // A Java string literal: Rust's debug form of this ASCII text is one.
    let input = format!("{CORPUS_INPUT:?}");
    format!(
        "public class {DRIVER} {{\n    static final String INPUT = {input};\n    \
         public static void main(String[] args) throws Exception {{\n{calls}    }}\n}}\n"
    )
}

/// The files of the archive a run command names: one, or a static base and
/// a top layer over it (`-XX:SharedArchiveFile=BASE:TOP`). A top layer
/// holds only what its base does not, and maps only when a program loads
/// one of its classes: Java's base holds what every program loads to start,
/// so a short program touches one small archive, not one with all of the
/// corpus's classes (measured: a hello world starts in about 0.96 of the
/// time from the one big archive).
#[derive(Debug, PartialEq)]
struct Layers {
    /// A static base layer, under [`Layers::file`].
    base: Option<String>,
    /// The archive, or with a base its top layer.
    file: String,
}

impl Layers {
    /// The files, base first.
    fn files(&self) -> impl Iterator<Item = &String> {
        self.base.iter().chain([&self.file])
    }
}

/// The archive a run command names under [`BOX_DIR`], if it names one:
/// (its files, the JVM, the options that shape the archive). The options
/// are those between the JVM and its class path, without templated ones
/// (`-Xmx{heap_mb}m`: the archive holds for any heap under 32 GB), the
/// archive's own and `-Xshare`. An archive argument of another shape is an
/// error, in words.
type Archive = (Layers, String, Vec<String>);
fn archive_of(run: &[String]) -> Result<Option<Archive>, String> {
    let Some(arg) = run.iter().find_map(|a| a.strip_prefix(ARCHIVE_ARG)) else { return Ok(None) };
    let shape = || format!("{ARCHIVE_ARG} names one archive {BOX_DIR}/NAME.jsa or two layers of one, BASE:TOP");
    let mut files = Vec::new();
    for path in arg.split(':') {
        let file = path.strip_prefix(BOX_DIR).and_then(|p| p.strip_prefix('/')).ok_or_else(shape)?;
        if file.is_empty() || file.contains('/') || !file.ends_with(".jsa") {
            return Err(shape());
        }
        files.push(file.to_string());
    }
    let layers = match <[String; 2]>::try_from(files) {
        Ok([base, file]) if base != file => Layers { base: Some(base), file },
        Err(mut one) if one.len() == 1 => Layers { base: None, file: one.remove(0) },
        _ => return Err(shape()),
    };
    let java = &run[0];
    let flags = run[1..class_path_at(run).unwrap_or(run.len()).max(1)]
        .iter()
        .filter(|a| !a.contains('{') && !a.starts_with(ARCHIVE_ARG) && !a.starts_with("-Xshare"))
        .cloned()
        .collect();
    Ok(Some((layers, java.clone(), flags)))
}

/// Refuses, when the registry loads, an archive or cache this module cannot
/// build: a V8 cache of another shape ([`v8_cache_of`]), an archive
/// argument of another shape ([`archive_of`]), or two layers for a
/// language other than Java (a base holds what [`START`], a Java program,
/// loads; other languages have one program each, [`OWN_CORPUS`]).
pub(crate) fn check_spec(spec: &crate::registry::LanguageSpec) -> Result<(), String> {
    v8_cache_of(spec).map_err(|e| format!("compile: {e}"))?;
    check_run(&spec.name, &spec.run).map_err(|e| format!("run: {e}"))
}

/// [`check_spec`] of a run command.
fn check_run(language: &str, run: &[String]) -> Result<(), String> {
    match archive_of(run)? {
        Some((Layers { base: Some(_), .. }, ..)) if language != "Java" => {
            Err("an archive in two layers is built for Java only; name one, /.flash/warm/NAME.jsa".into())
        }
        _ => Ok(()),
    }
}

/// The environment variable that asks a V8 cache's loader to write the
/// cache (to the path it names) when the compile ends; set only by
/// [`Warm::build`], on the host.
pub const V8_CACHE_OUT: &str = "FLASH_V8_CACHE_OUT";

/// A V8 code cache a compile command names: `/.flash/warm/NAME.v8cache`,
/// followed by the (absolute) script it is of. The command's loader (a
/// support file of the language: `.flash-v8.js` in the shipped table) runs
/// that script from the cache when the cache was made from the same file
/// by the same Node, and compiles it as usual otherwise; V8 itself also
/// checks the cache against its version and flags and ignores it when they
/// differ. TypeScript's: `tsc.js` is 6 MB of JavaScript that V8 otherwise
/// parses and compiles at every compile.
#[derive(Debug, PartialEq)]
struct V8Cache {
    /// The cache's file name in the directory.
    file: String,
    /// The script it is of, on the host and in every box.
    script: String,
}

const V8_EXT: &str = ".v8cache";

/// The V8 code cache `spec`'s compile command names, if it names one; one
/// of another shape is an error, in words.
fn v8_cache_of(spec: &crate::registry::LanguageSpec) -> Result<Option<V8Cache>, String> {
    let Some(compile) = &spec.compile else { return Ok(None) };
    let Some(at) = compile.iter().position(|a| a.ends_with(V8_EXT)) else { return Ok(None) };
    let shape = || format!("a V8 code cache is {BOX_DIR}/NAME{V8_EXT}, followed by the absolute path of its script");
    let file = compile[at].strip_prefix(BOX_DIR).and_then(|p| p.strip_prefix('/')).ok_or_else(shape)?;
    let script = compile.get(at + 1).filter(|s| s.starts_with('/') && !s.contains('{')).ok_or_else(shape)?;
    if file.len() <= V8_EXT.len() || file.contains('/') {
        return Err(shape());
    }
    Ok(Some(V8Cache { file: file.to_string(), script: script.clone() }))
}

/// The planned entry of a V8 code cache, or none (no corpus program for the
/// language, or its toolchain is not installed). A cache not built from
/// what is installed now is removed: until it is rebuilt, compiles start
/// without one.
fn plan_v8(lang: &crate::Language, v8: V8Cache, host_dir: &Path) -> Option<Entry> {
    let spec = &lang.spec;
    let compile = compile_of(spec);
    if !Path::new(compile.first()?).exists() {
        return None;
    }
    let support: Vec<(String, String)> = spec.support.iter().map(|f| (f.path.clone(), f.content.clone())).collect();
    let env: Vec<(String, String)> = spec.env.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
    let script = jars_stamp(std::slice::from_ref(&v8.script));
    let mut parts: Vec<&[u8]> = vec![b"v8", lang.version.as_bytes(), script.as_bytes()];
    parts.extend(compile.iter().map(|a| a.as_bytes()));
    for (k, v) in support.iter().chain(&env) {
        parts.extend([k.as_bytes(), v.as_bytes()]);
    }
    let stamp = stamp_of(&parts);
    let ready = is_file(host_dir, &v8.file) && stamped(host_dir, &v8.file, &stamp);
    if !ready {
        let _ = std::fs::remove_file(host_dir.join(&v8.file));
    }
    Some(Entry {
        language: lang.spec.name.clone(),
        kind: Kind::V8(V8Build {
            file: v8.file,
            source: spec.source.clone(),
            program: own_program(lang)?,
            compile,
            support,
            env,
        }),
        stamp,
        ready: AtomicBool::new(ready),
        state: Mutex::new(BuildState::Idle),
    })
}

/// A stamp: what an archive or cache was built from, hashed.
fn stamp_of(parts: &[&[u8]]) -> String {
    crate::cache::key(parts)[..8].iter().map(|b| format!("{b:02x}")).collect()
}

/// Whether `file`'s stamp in `dir` is `stamp`.
fn stamped(dir: &Path, file: &str, stamp: &str) -> bool {
    std::fs::read_to_string(dir.join(stamp_name(file))).is_ok_and(|s| s.trim() == stamp)
}

/// Whether `name` in `dir` is a file (not a link to a stand-in).
fn is_file(dir: &Path, name: &str) -> bool {
    std::fs::symlink_metadata(dir.join(name)).is_ok_and(|m| m.is_file())
}

/// Where a run command's class path option is.
fn class_path_at(run: &[String]) -> Option<usize> {
    run.iter().position(|a| matches!(a.as_str(), "-cp" | "-classpath" | "--class-path"))
}

/// Until its archive is built, the name points at the JDK's own default
/// archive: a JVM told to use an archive that is missing runs with no class
/// sharing at all (about 25 ms slower than a plain start), not with the
/// default one. The build's rename replaces the link.
fn stand_in(java: &str, path: &Path) {
    let Ok(real) = Path::new(java).canonicalize() else { return };
    let Some(home) = real.parent().and_then(Path::parent) else { return };
    let default = home.join("lib/server/classes.jsa");
    if default.is_file() {
        let _ = std::fs::remove_file(path);
        let _ = std::os::unix::fs::symlink(default, path);
    }
}

/// Logs what a build did, per language.
pub fn log_built(built: Vec<(String, Result<(), String>)>) {
    for (language, r) in built {
        match r {
            Ok(()) => tracing::info!(%language, "class-data-sharing archive ready"),
            Err(e) => tracing::warn!(%language, error = %e, "class-data-sharing archive not built; starting plainly"),
        }
    }
}

/// Whether `lang` starts from a warm-runtime archive, or compiles from a V8
/// code cache (when one is built).
pub fn uses_archive(lang: &crate::Language) -> bool {
    matches!(archive_of(&lang.spec.run), Ok(Some(_))) || matches!(v8_cache_of(&lang.spec), Ok(Some(_)))
}

fn stamp_name(file: &str) -> String {
    format!("{file}.stamp")
}

/// A JVM or Node tool run in `dir`, with no environment that could add
/// options (nor a code cache to read).
fn tool(program: &Path, dir: &Path) -> Command {
    let mut c = Command::new(program);
    c.current_dir(dir);
    for var in ["CLASSPATH", "JAVA_TOOL_OPTIONS", "_JAVA_OPTIONS", "JDK_JAVA_OPTIONS", "NODE_OPTIONS", V8_CACHE_OUT] {
        c.env_remove(var);
    }
    c
}

fn run(cmd: &mut Command) -> Result<(), String> {
    let out =
        cmd.stdin(Stdio::null()).output().map_err(|err| format!("{}: {err}", cmd.get_program().to_string_lossy()))?;
    check(cmd, &out)
}

fn run_with_input(mut cmd: Command, input: &str) -> Result<(), String> {
    use std::io::Write as _;
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|err| format!("{}: {err}", cmd.get_program().to_string_lossy()))?;
    if let Some(mut stdin) = child.stdin.take() {
        let _ = stdin.write_all(input.as_bytes());
    }
    let out = child.wait_with_output().map_err(|err| err.to_string())?;
    check(&cmd, &out)
}

fn check(cmd: &Command, out: &std::process::Output) -> Result<(), String> {
    if out.status.success() {
        return Ok(());
    }
    let args: Vec<String> = cmd.get_args().map(|a| a.to_string_lossy().into_owned()).collect();
    let err: String = String::from_utf8_lossy(&out.stderr).chars().take(2000).collect();
    Err(format!("{} {} failed ({}): {err}", cmd.get_program().to_string_lossy(), args.join(" "), out.status))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(args: &[&str]) -> Vec<String> {
        args.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn the_archive_and_its_flags_come_from_the_run_command() {
        let run = v(&[
            "/usr/bin/java",
            "-XX:+UseG1GC",
            "-Xmx{heap_mb}m",
            "-Xshare:auto",
            "-XX:SharedArchiveFile=/.flash/warm/java.jsa",
            "-cp",
            ".",
            "Main",
            "{args}",
        ]);
        let (layers, java, flags) = archive_of(&run).unwrap().unwrap();
        assert_eq!(layers, Layers { base: None, file: "java.jsa".into() });
        assert_eq!(java, "/usr/bin/java");
        assert_eq!(flags, v(&["-XX:+UseG1GC"]));
        let two = v(&["/usr/bin/java", "-XX:SharedArchiveFile=/.flash/warm/b.jsa:/.flash/warm/t.jsa", "-cp", "."]);
        assert_eq!(archive_of(&two).unwrap().unwrap().0, Layers { base: Some("b.jsa".into()), file: "t.jsa".into() });
        assert!(check_run("Java", &two).is_ok());
        let refused = check_run("Kotlin", &two).unwrap_err();
        assert!(refused.contains("two layers is built for Java only"), "{refused}");
        assert!(archive_of(&v(&["/usr/bin/java", "-cp", ".", "Main"])).unwrap().is_none());
        for bad in [
            "/tmp/x.jsa",
            "/.flash/warm/../x.jsa",
            "/.flash/warmer/x.jsa",
            "/.flash/warm/b.jsa:/tmp/t.jsa",
            "/.flash/warm/t.jsa:/.flash/warm/t.jsa",
            "/.flash/warm/a.jsa:/.flash/warm/b.jsa:/.flash/warm/c.jsa",
        ] {
            let e = archive_of(&v(&["/usr/bin/java", &format!("{ARCHIVE_ARG}{bad}")])).unwrap_err();
            assert!(e.contains("names one archive /.flash/warm/NAME.jsa"), "{bad}: {e}");
        }
    }

    /// A build [`Warm::wanted`] started that fails is not tried again at
    /// once, but is once [`RETRY_AFTER`] has passed.
    #[test]
    fn a_failed_build_is_tried_again_after_a_while() {
        let dir = tempfile::tempdir().unwrap();
        let entry = Entry {
            language: "X".into(),
            kind: Kind::Jvm(Jvm {
                java: "/nonexistent/java".into(),
                flags: Vec::new(),
                layers: Layers { base: None, file: "x.jsa".into() },
                corpus: Corpus::Java { javac: "/nonexistent/javac".into() },
            }),
            stamp: "0".into(),
            ready: AtomicBool::new(false),
            state: Mutex::new(BuildState::Idle),
        };
        let warm = Warm { host_dir: dir.path().to_owned(), entries: Arc::new(vec![entry]) };
        let failed_at = || match *warm.entries[0].state() {
            BuildState::FailedAt(t) => t,
            other => panic!("the build failed and ended, but: {other:?}"),
        };
        warm.wanted("X").expect("a first build").join().unwrap();
        let first = failed_at();
        assert!(warm.wanted("X").is_none(), "no second build right after a failure");
        *warm.entries[0].state() =
            BuildState::FailedAt(first.checked_sub(RETRY_AFTER).expect("a clock older than a minute"));
        warm.wanted("X").expect("a build once the wait passed").join().unwrap();
        assert!(failed_at() > first, "tried again, failed again");
        assert!(warm.wanted("Y").is_none(), "a language with no archive");
    }

    /// The real JDK: the archive is built from the shipped Java entry, the
    /// JVM accepts it with sharing forced on (`-Xshare:on` fails when an
    /// archive cannot be used) with the JDK's module graph in it, the
    /// program's output is the same with and without it, and a second plan
    /// finds it built. Then the same for the other JVM languages.
    #[test]
    fn the_shipped_jvm_languages_get_archives_the_jvm_uses() {
        let registry = Registry::from_toml(crate::registry::SHIPPED, |_| Ok("test".into())).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let warm = Warm::plan(&registry, dir.path()).unwrap();
        let entry = warm.entries.iter().find(|e| e.language == "Java").expect("the shipped Java names an archive");
        assert!(!entry.ready.load(Ordering::Acquire));
        let Kind::Jvm(java) = &entry.kind else { panic!("Java's is a JVM archive") };
        let base = java.layers.base.as_ref().expect("Java's archive has two layers");
        let stand_in = std::fs::read_link(dir.path().join(base)).expect("until built, a link to the JDK's archive");
        assert!(stand_in.ends_with("lib/server/classes.jsa"), "{}", stand_in.display());
        assert!(!dir.path().join(&java.layers.file).exists(), "and no top layer");
        for (language, r) in warm.build() {
            assert!(r.is_ok(), "{language}: {r:?}");
        }
        for f in java.layers.files() {
            assert!(std::fs::symlink_metadata(dir.path().join(f)).unwrap().is_file(), "{f} built");
        }
        let prog = tempfile::tempdir().unwrap();
        let src = "public class Main { public static void main(String[] a) { \
                   java.util.Scanner s = new java.util.Scanner(System.in); \
                   System.out.println(\"n=\" + s.nextInt() * 2); } }";
        std::fs::write(prog.path().join("Main.java"), src).unwrap();
        let Corpus::Java { javac } = &java.corpus else { panic!("Java's corpus is Java's") };
        run(tool(javac, prog.path()).arg("Main.java")).unwrap();
        let output = |extra: &[String]| {
            let mut c = tool(Path::new(&java.java), prog.path());
            c.args(&java.flags).args(extra).args(["-cp", ".", "Main"]);
            c.stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped());
            let mut child = c.spawn().unwrap();
            use std::io::Write as _;
            child.stdin.take().unwrap().write_all(b"21\n").unwrap();
            let out = child.wait_with_output().unwrap();
            assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
            String::from_utf8(out.stdout).unwrap()
        };
        let log = prog.path().join("cds.log");
        let shared = output(&[
            "-Xshare:on".into(),
            java.archive_arg(dir.path()),
            format!("-Xlog:cds=info,class+load=info:file={}", log.display()),
        ]);
        let log = std::fs::read_to_string(log).unwrap();
        assert!(log.contains("full module graph: enabled"), "{log}");
        // What a program loads to start comes from the base; the Scanner it
        // reads with, from the top layer.
        let from = |class: &str| {
            let line = log.lines().find(|l| l.contains(&format!(" {class} source: "))).unwrap_or("");
            line.rsplit("source: ").next().unwrap_or("").to_string()
        };
        assert_eq!(from("java.lang.Object"), "shared objects file", "{log}");
        assert_eq!(from("java.util.Scanner"), "shared objects file (top)", "{log}");
        assert_eq!(shared, output(&["-Xshare:off".into()]));
        assert_eq!(shared, "n=42\n");
        let again = Warm::plan(&registry, dir.path()).unwrap();
        assert!(again.describe().iter().any(|(l, _, ready)| l == "Java" && *ready));
        the_other_jvm_languages_start_from_their_archives(&warm, dir.path());
    }

    fn spec_compiling(compile: &[&str]) -> crate::registry::LanguageSpec {
        let text = format!(
            "[[language]]\nid=1\nname=\"X\"\ndisplay=\"X\"\nsource=\"x\"\nversion_cmd=[\"x\"]\nrun=[\"x\"]\ncompile={compile:?}\n"
        );
        #[derive(serde::Deserialize)]
        struct File {
            language: Vec<crate::registry::LanguageSpec>,
        }
        toml::from_str::<File>(&text).unwrap().language.remove(0)
    }

    #[test]
    fn a_v8_cache_and_its_script_come_from_the_compile_command() {
        let spec = spec_compiling(&["/usr/bin/node", ".flash-v8.js", "/.flash/warm/t.v8cache", "/s/tsc.js", "a.ts"]);
        let want = V8Cache { file: "t.v8cache".into(), script: "/s/tsc.js".into() };
        assert_eq!(v8_cache_of(&spec).unwrap(), Some(want));
        assert_eq!(v8_cache_of(&spec_compiling(&["/usr/bin/node", "/usr/bin/tsc", "a.ts"])).unwrap(), None);
        for bad in [
            ["/tmp/t.v8cache", "/s/tsc.js"],
            ["/.flash/warm/.v8cache", "/s/tsc.js"],
            ["/.flash/warm/a/t.v8cache", "/s/tsc.js"],
            ["/.flash/warm/t.v8cache", "tsc.js"],
            ["/.flash/warm/t.v8cache", "{options}"],
        ] {
            let spec = spec_compiling(&["/usr/bin/node", ".flash-v8.js", bad[0], bad[1]]);
            let e = v8_cache_of(&spec).unwrap_err();
            assert!(e.contains("a V8 code cache is /.flash/warm/NAME.v8cache"), "{bad:?}: {e}");
            assert!(check_spec(&spec).unwrap_err().starts_with("compile: "), "{bad:?}");
        }
        let last = spec_compiling(&["/usr/bin/node", ".flash-v8.js", "/.flash/warm/t.v8cache"]);
        assert!(v8_cache_of(&last).is_err(), "a cache with no script after it");
    }

    /// The real Node and tsc: TypeScript's code cache is built from the
    /// shipped entry, its loader runs tsc from it (V8 accepts it), the
    /// JavaScript written is the same with and without it, a type error is
    /// still one, and a second plan finds it built.
    #[test]
    fn typescript_compiles_from_a_code_cache_v8_accepts() {
        let registry = Registry::from_toml(crate::registry::SHIPPED, |_| Ok("test".into())).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let warm = Warm::plan(&registry, dir.path()).unwrap();
        let Some(ts) = warm.entries.iter().find(|e| e.language == "TypeScript") else {
            flash_testkit::prerequisite_missing("TypeScript", "FLASH_SETUP_LANGUAGES=all bash scripts/setup.sh");
            return;
        };
        assert!(!ts.ready.load(Ordering::Acquire));
        for (language, r) in warm.build_for("TypeScript") {
            assert!(r.is_ok(), "{language}: {r:?}");
        }
        let Kind::V8(v8) = &ts.kind else { panic!("TypeScript's is a V8 code cache") };
        let cache = dir.path().join(&v8.file);
        let head = std::fs::read(&cache).unwrap();
        assert!(head.starts_with(b"flash-v8 v"), "the loader's first line");
        let (compile, support) = (&v8.compile, &v8.support);
        let compile_with = |cache_file: &Path, source: &str| {
            let prog = tempfile::tempdir().unwrap();
            for (name, text) in support {
                std::fs::write(prog.path().join(name), text).unwrap();
            }
            std::fs::write(prog.path().join("main.ts"), source).unwrap();
            let in_box = format!("{BOX_DIR}/{}", v8.file);
            let args =
                compile[1..].iter().map(|a| if *a == in_box { cache_file.display().to_string() } else { a.clone() });
            let out = tool(Path::new(&compile[0]), prog.path()).args(args).env("FLASH_V8_CHECK", "1").output().unwrap();
            let js = std::fs::read_to_string(prog.path().join("main.js")).ok();
            (
                out.status.success(),
                String::from_utf8_lossy(&out.stderr).into_owned(),
                String::from_utf8_lossy(&out.stdout).into_owned(),
                js,
            )
        };
        let program = "const xs: number[] = [3, 1, 2];\nconsole.log(xs.sort((a, b) => a - b).join(\" \"));\n";
        let (ok, err, _, cached_js) = compile_with(&cache, program);
        assert!(ok && err.contains("code cache: used"), "{err}");
        let (ok, err, _, plain_js) = compile_with(&dir.path().join("none.v8cache"), program);
        assert!(ok && err.contains("code cache: not used"), "{err}");
        assert_eq!(cached_js, plain_js);
        assert!(cached_js.is_some_and(|js| js.contains("xs.sort(")));
        let (ok, err, out, js) = compile_with(&cache, "const x: number = \"s\";\nconsole.log(x);\n");
        assert!(!ok && err.contains("code cache: used") && out.contains("TS2322") && js.is_none(), "{err}{out}");
        let again = Warm::plan(&registry, dir.path()).unwrap();
        assert!(again.describe().iter().any(|(l, f, ready)| l == "TypeScript" && f == "typescript.v8cache" && *ready));
    }

    /// A class of each language's own library: loaded at every start.
    const LIBRARY_CLASS: [(&str, &str); 4] = [
        ("Kotlin", "kotlin.jvm.internal.Intrinsics"),
        ("Scala", "scala.Predef$"),
        ("Clojure", "clojure.lang.RT"),
        ("Groovy", "groovy.lang.GroovyObject"),
    ];

    /// Kotlin, Scala, Clojure and Groovy (those installed; under CI all must be): a
    /// program compiled and run by the language's own commands maps its
    /// library's classes from the archive with sharing forced on, and prints
    /// the same as with sharing off.
    fn the_other_jvm_languages_start_from_their_archives(warm: &Warm, dir: &Path) {
        let mut tried = 0;
        for (language, class) in LIBRARY_CLASS {
            let Some(e) = warm.entries.iter().find(|e| e.language == language) else {
                flash_testkit::prerequisite_missing(language, "FLASH_SETUP_LANGUAGES=all bash scripts/setup.sh");
                continue;
            };
            let Kind::Jvm(e) = &e.kind else { panic!("{language}: a JVM archive") };
            let Corpus::Own { source, program, compile, run: tail, .. } = &e.corpus else { panic!("{language}") };
            let prog = tempfile::tempdir().unwrap();
            std::fs::write(prog.path().join(source), program).unwrap();
            if let Some((compiler, args)) = compile.split_first() {
                run(tool(Path::new(compiler), prog.path()).args(args)).unwrap();
            }
            let output = |extra: &[String]| {
                let mut c = tool(Path::new(&e.java), prog.path());
                c.args(&e.flags).args(extra).args(tail);
                c.stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped());
                let mut child = c.spawn().unwrap();
                use std::io::Write as _;
                child.stdin.take().unwrap().write_all(CORPUS_INPUT.as_bytes()).unwrap();
                let out = child.wait_with_output().unwrap();
                assert!(out.status.success(), "{language}: {}", String::from_utf8_lossy(&out.stderr));
                String::from_utf8(out.stdout).unwrap()
            };
            let log = prog.path().join("load.log");
            let shared = output(&[
                "-Xshare:on".into(),
                e.archive_arg(dir),
                format!("-Xlog:class+load=info:file={}", log.display()),
            ]);
            let loaded = std::fs::read_to_string(&log).unwrap();
            let line =
                loaded.lines().find(|l| l.contains(&format!(" {class} "))).unwrap_or_else(|| panic!("{language}"));
            assert!(line.contains("shared objects file"), "{language}: {line}");
            assert_eq!(shared, output(&["-Xshare:off".into()]), "{language}");
            tried += 1;
        }
        eprintln!("{tried} other JVM languages start from their archives");
    }
}
