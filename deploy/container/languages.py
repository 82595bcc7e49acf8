#!/usr/bin/env python3
"""Every language a running Flash lists (Judge0's /languages), judged once
under the id it is listed with: hello world reading stdin. The programs are
the engine corpus's (crates/engine/tests/corpus/<dir>/hello.<ext>: reads a
name, prints "Hello, <name>!"); the core languages, which have none there,
are deploy/smoke.py's; Judge0's multi-file program (89) gets a zip with a
`run` script. A listed name is matched to its languages.toml entry by the
entry's display name (the Judge0 surface may list a language under another
id: C++ as 52). A listed language with no program fails, and so does a
language of languages.toml missing from the list when --all is given (the
`full` image must offer every one).

    python3 deploy/container/languages.py [http://127.0.0.1:2358] [--all] [--token T]

Standard library only (tomllib: Python 3.11, Debian 12's). Exits 0 only when
every listed language is Accepted."""
import base64
import concurrent.futures
import io
import json
import os
import re
import sys
import time
import tomllib
import urllib.error
import urllib.request
import zipfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CORPUS = os.path.join(ROOT, "crates/engine/tests/corpus")
sys.dont_write_bytecode = True  # no __pycache__ in the checkout
sys.path.insert(0, os.path.join(ROOT, "deploy"))
import smoke  # noqa: E402  (its PROGRAMS: the core languages' hello worlds)


def programs():
    """Judge0 id -> (source, stdin, expected stdout)."""
    out = {}
    for lang, _name, src in smoke.PROGRAMS:
        out[lang] = (src, "flash", "hello flash\n")
    for d in sorted(os.listdir(CORPUS)):
        with open(os.path.join(CORPUS, d, "expect.toml"), "rb") as f:
            expect = tomllib.load(f)
        with open(os.path.join(CORPUS, d, "hello." + expect["extension"]), encoding="utf-8") as f:
            out[int(expect["language"])] = (f.read(), "flash\n", "Hello, flash!\n")
    return out


MULTI_FILE = 89


def table():
    with open(os.path.join(ROOT, "crates/engine/languages.toml"), "rb") as f:
        return tomllib.load(f)["language"]


def table_id(listed_name, entries):
    """The languages.toml id whose display name ("C++ (GCC {version})") is `listed_name`."""
    for l in entries:
        pattern = re.escape(l["display"]).replace(re.escape("{version}"), ".+")
        if re.fullmatch(pattern, listed_name):
            return l["id"]
    return None


def multi_file_zip():
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("run", 'read -r s\necho "hello $s"\n')
    return base64.b64encode(buf.getvalue()).decode()


# Roomy run limits (the limits themselves are smoke.py's to test): Racket
# takes over 2 s of CPU for hello world in a box on a loaded 2-core machine.
LIMITS = {"cpu_time_limit": 10, "wall_time_limit": 20}


def request(base, headers, path, body=None, timeout=600):
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(base + path, data=data, headers=headers, method="GET" if body is None else "POST")
    with urllib.request.urlopen(req, timeout=timeout) as r:
        return json.load(r)


def main():
    args = sys.argv[1:]
    headers = {"Content-Type": "application/json"}
    if "--token" in args:
        i = args.index("--token")
        headers["X-Auth-Token"] = args[i + 1]
        del args[i : i + 2]
    want_all = "--all" in args
    args = [a for a in args if a != "--all"]
    base = (args[0] if args else "http://127.0.0.1:2358").rstrip("/")
    listed = {l["id"]: l["name"] for l in request(base, headers, "/languages")}
    entries = table()
    progs = programs()
    failed = 0
    if want_all:
        offered = {table_id(name, entries) for name in listed.values()}
        for l in entries:
            if l["id"] not in offered:
                failed += 1
                print(f"FAIL {l['name']} ({l['id']}) is in languages.toml but not offered")

    def judge(lang):
        if lang == MULTI_FILE:
            body = {"source_code": "", "language_id": lang, "additional_files": multi_file_zip(), "stdin": "flash",
                    "expected_output": "hello flash\n", **LIMITS}
        else:
            ours = table_id(listed[lang], entries)
            if ours not in progs:
                return lang, False, f"no hello-world program for it (languages.toml id {ours})", 0.0
            src, stdin, want = progs[ours]
            body = {"source_code": src, "language_id": lang, "stdin": stdin, "expected_output": want, **LIMITS}
        t0 = time.time()
        try:
            res = request(base, headers, "/submissions?wait=true", body)
        except urllib.error.HTTPError as e:
            res = {"status": {"id": -1, "description": f"HTTP {e.code}: {e.read().decode(errors='replace')[:200]}"}}
        ok = res.get("status", {}).get("id") == 3
        what = f"{res.get('status', {}).get('description')} time={res.get('time')} memory={res.get('memory')}"
        if not ok:
            what += f" stdout={res.get('stdout')!r} stderr={res.get('stderr')!r} compile={res.get('compile_output')!r}"
        return lang, ok, what, time.time() - t0

    # Two at a time: the compose file runs two jobs at once.
    with concurrent.futures.ThreadPoolExecutor(max_workers=2) as pool:
        for lang, ok, what, secs in pool.map(judge, sorted(listed)):
            failed += not ok
            print(f"{'ok  ' if ok else 'FAIL'} {listed[lang]} ({lang}) {what} in {secs:.1f}s")
    print(f"{len(listed)} languages listed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
