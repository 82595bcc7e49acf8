#!/usr/bin/env python3
"""Per-language figures for the README's table, engine and plain toolchain in
the same run: compile time (the engine with an empty compile cache, then the
same compile command run directly, both after an unmeasured plain compile
and run that brings the toolchain into the page cache), hello-world run time
(best of 3, wall) and
its peak memory (the engine: the box's cgroup peak; plain: the largest
process's max RSS, which leaves out what a runtime's helper processes use).

Needs GNU time (/usr/bin/time, Debian's `time` package) for the plain max RSS.
Usage: sudo python3 scripts/languages-bench.py [FLASH] [LANGUAGE_DIR...]
(FLASH defaults to target/debug/flash; languages default to every directory
of crates/engine/tests/corpus plus the core set's hello worlds there.)
Prints a Markdown table; nothing is asserted (timings vary with the machine).
"""
import json, os, shutil, subprocess, sys, tempfile, time, tomllib

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CORPUS = os.path.join(ROOT, "crates/engine/tests/corpus")
MEM_KB = 262144
HEAP_MB = MEM_KB * 3 // 4 // 1024
RUNS = 3


def table():
    with open(os.path.join(ROOT, "crates/engine/languages.toml"), "rb") as f:
        data = tomllib.load(f)
    shared = data.get("shared", {})

    def splice(argv):
        """The table's shared lists in place of the "{name}" arguments naming them."""
        out = []
        for a in argv:
            out += shared.get(a[1:-1], [a]) if a.startswith("{") and a.endswith("}") else [a]
        return out

    for lang in data["language"]:
        for key in ("compile", "run"):
            if key in lang:
                lang[key] = splice(lang[key])
    return {str(l["id"]): l for l in data["language"]}


def expand(argv, args=()):
    out = []
    for a in argv:
        if a in ("{options}", "{args}"):
            continue
        out.append(a.replace("{heap_mb}", str(HEAP_MB)))
    return out


def plain(lang, src, stdin):
    """Compile and run outside any box; returns (compile s, best run s, max RSS KiB, ok)."""
    d = tempfile.mkdtemp(prefix="flash-plain-")
    try:
        with open(os.path.join(d, lang["source"]), "w") as f:
            f.write(src)
        for s in lang.get("support", []):
            with open(os.path.join(d, s["path"]), "w") as f:
                f.write(s["content"])
        env = {"PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": d, "TMPDIR": d, "LANG": "C.UTF-8", "LC_ALL": "C.UTF-8"}
        # The box's /tmp is the plain run's work dir.
        env.update({k: v.replace("{heap_mb}", str(HEAP_MB)).replace("/tmp/", d + "/") for k, v in lang.get("env", {}).items()})
        ctime = 0.0
        if "compile" in lang:
            t = time.monotonic()
            r = subprocess.run(expand(lang["compile"]), cwd=d, env=env, capture_output=True)
            ctime = time.monotonic() - t
            if r.returncode != 0:
                sys.stderr.write(f"plain compile of {lang['name']} failed:\n{r.stdout.decode(errors='replace')}{r.stderr.decode(errors='replace')}\n")
                return ctime, 0.0, 0, False
        best, rss, ok = None, 0, True
        inp = os.path.join(d, ".stdin")
        maxrss = os.path.join(d, ".maxrss")
        with open(inp, "wb") as f:
            f.write(stdin)
        for _ in range(RUNS):
            with open(inp, "rb") as i, tempfile.TemporaryFile() as o:
                t = time.monotonic()
                # GNU time forks the program from a small process: a child forked
                # from Python would count Python's pages in its max RSS.
                p = subprocess.run(["/usr/bin/time", "-f", "%M", "-o", maxrss] + expand(lang["run"]), cwd=d, env=env,
                                   stdin=i, stdout=o, stderr=subprocess.DEVNULL)
                took = time.monotonic() - t
                o.seek(0)
                out = o.read()
            with open(maxrss) as f:
                rss = max(rss, int(f.read().split()[-1]))
            ok = ok and p.returncode == 0 and out.startswith(b"Hello")
            best = took if best is None else min(best, took)
        return ctime, best, rss, ok
    finally:
        shutil.rmtree(d, ignore_errors=True)


def engine(flash, lang_id, path, stdin_path):
    """Compile (empty cache) and run through `flash exec`; (compile s, best run s, peak KiB, ok)."""
    cache = tempfile.mkdtemp(prefix="flash-bench-cache-")
    try:
        best, peak, ctime, ok = None, 0, 0.0, True
        for i in range(RUNS):
            r = subprocess.run([flash, "exec", "-l", lang_id, "--json", "--stdin", stdin_path, "--mem", str(MEM_KB),
                                "--time", "10", "--wall-time", "60", "--cache-dir", cache, path], capture_output=True)
            try:
                j = json.loads(r.stdout)
            except ValueError:
                return 0.0, 0.0, 0, False
            if i == 0:
                ctime = j.get("compile_time") or 0.0
            ok = ok and j["status"]["id"] == 3
            best = j["wall_time"] if best is None else min(best, j["wall_time"])
            peak = max(peak, j["memory"])
        return ctime, best, peak, ok
    finally:
        shutil.rmtree(cache, ignore_errors=True)


def main():
    flash = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "target/debug/flash")
    dirs = sys.argv[2:] or sorted(os.listdir(CORPUS))
    langs = table()
    stdin_path = tempfile.mktemp(prefix="flash-bench-in-")
    with open(stdin_path, "w") as f:
        f.write("World\n")
    print("| language | compile: engine / plain (s) | hello run: engine / plain (s) | hello peak memory: engine (cgroup) / plain (max RSS) KiB |")
    print("|---|---|---|---|")
    for d in dirs:
        with open(os.path.join(CORPUS, d, "expect.toml"), "rb") as f:
            exp = tomllib.load(f)
        lang = langs[exp["language"]]
        path = os.path.join(CORPUS, d, "hello." + exp["extension"])
        with open(path) as f:
            src = f.read()
        # A plain compile and run first, not measured: the toolchain's files
        # are then in the page cache for both sides (the side measured first
        # read them from disk, which once made some compiles look 4x slower).
        plain(lang, src, b"World\n")
        ec, er, em, eok = engine(flash, exp["language"], path, stdin_path)
        pc, pr, pm, pok = plain(lang, src, b"World\n")
        flag = "" if eok and pok else " (failed: " + ("engine " if not eok else "") + ("plain" if not pok else "") + ")"
        comp = f"{ec:.2f} / {pc:.2f}" if "compile" in lang else "-"
        print(f"| {lang['name']} ({exp['language']}){flag} | {comp} | {er:.3f} / {pr:.3f} | {em} / {pm} |", flush=True)
    os.unlink(stdin_path)


if __name__ == "__main__":
    main()
