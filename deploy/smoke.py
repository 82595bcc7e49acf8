#!/usr/bin/env python3
"""One Judge0 submission per shipped language against a running Flash;
exits 0 only when all seven are Accepted.

    python3 deploy/smoke.py [http://127.0.0.1:2358] [--token X-Auth-Token]

Standard library only, so it runs anywhere python3 does (also inside the
Flash image). Waits up to 120 s for /health first."""
import json
import sys
import time
import urllib.error
import urllib.request

PROGRAMS = [
    (50, "C", '#include <stdio.h>\nint main(void){char s[64];scanf("%63s",s);printf("hello %s\\n",s);return 0;}\n'),
    (54, "C++", '#include <iostream>\n#include <string>\nint main(){std::string s;std::cin>>s;std::cout<<"hello "<<s<<"\\n";}\n'),
    (71, "Python", "print('hello', input())\n"),
    (63, "JavaScript", "const s=require('fs').readFileSync(0,'utf8').trim();console.log('hello '+s);\n"),
    (62, "Java", "import java.util.*;\npublic class Main{public static void main(String[] a){System.out.println(\"hello \"+new Scanner(System.in).next());}}\n"),
    (82, "SQL", "SELECT 'hello flash';\n"),
    (46, "Bash", "read s; echo \"hello $s\"\n"),
]

# (name, language, source, accepted status ids, extra request fields)
LIMITS = [
    ("cpu loop", 71, "while True: pass\n", {5}, {"cpu_time_limit": 1, "wall_time_limit": 5}),
    ("sleep", 46, "sleep 30\n", {5}, {"cpu_time_limit": 1, "wall_time_limit": 2}),
    ("memory", 54, "#include <vector>\nint main(){std::vector<char*> v;for(;;){char*p=new char[1<<20];for(int i=0;i<(1<<20);i+=4096)p[i]=1;v.push_back(p);}}\n",
     {12, 15}, {"memory_limit": 65536}),  # Judge0 API: MLE is 12 (Runtime Error) with message "memory limit exceeded"
    ("fork bomb", 46, "f(){ f | f & }; f; sleep 5\n", {3, 5, 11, 12}, {"cpu_time_limit": 1, "wall_time_limit": 3}),
]

DEBUG = [
    ("c", '#include <stdio.h>\nint main(void){int x=1;x+=2;printf("%d\\n",x);return 0;}\n'),
    ("python", "x = 1\nx += 2\nprint(x)\n"),
]


def main():
    args = [a for a in sys.argv[1:]]
    headers = {"Content-Type": "application/json"}
    if "--token" in args:
        i = args.index("--token")
        headers["X-Auth-Token"] = args[i + 1]
        del args[i : i + 2]
    base = (args[0] if args else "http://127.0.0.1:2358").rstrip("/")
    deadline = time.time() + 120
    while True:
        try:
            with urllib.request.urlopen(base + "/health", timeout=5) as r:
                if r.status == 200:
                    break
        except (urllib.error.URLError, OSError):
            pass
        if time.time() > deadline:
            print(f"FAIL: {base}/health did not answer 200 within 120 s")
            return 1
        time.sleep(1)
    failed, total = 0, len(PROGRAMS)
    for lang, name, src in PROGRAMS:
        body = json.dumps({"source_code": src, "language_id": lang, "stdin": "flash", "expected_output": "hello flash\n"})
        req = urllib.request.Request(base + "/submissions?wait=true", data=body.encode(), headers=headers, method="POST")
        t0 = time.time()
        try:
            with urllib.request.urlopen(req, timeout=120) as r:
                res = json.load(r)
        except urllib.error.HTTPError as e:
            res = {"status": {"id": -1, "description": f"HTTP {e.code}: {e.read().decode(errors='replace')[:200]}"}}
        ok = res.get("status", {}).get("id") == 3
        failed += not ok
        extra = "" if ok else f" stdout={res.get('stdout')!r} stderr={res.get('stderr')!r} compile={res.get('compile_output')!r} message={res.get('message')!r}"
        print(f"{'ok  ' if ok else 'FAIL'} {name:<10} ({lang}) {res.get('status', {}).get('description')} time={res.get('time')} memory={res.get('memory')} in {time.time() - t0:.2f}s{extra}")
    # The sandbox's limits, with the same privileges: a verdict that needs the
    # cgroup (CPU of all processes, memory) or killing a program of another uid.
    for name, lang, src, want, extra in LIMITS:
        body = dict(source_code=src, language_id=lang, **extra)
        req = urllib.request.Request(base + "/submissions?wait=true", data=json.dumps(body).encode(), headers=headers, method="POST")
        t0 = time.time()
        try:
            with urllib.request.urlopen(req, timeout=120) as r:
                res = json.load(r)
        except urllib.error.HTTPError as e:
            res = {"status": {"id": -1, "description": f"HTTP {e.code}"}}
        sid = res.get("status", {}).get("id")
        ok = sid in want
        failed += not ok
        total += 1
        print(f"{'ok  ' if ok else 'FAIL'} {name:<10} {res.get('status', {}).get('description')} time={res.get('time')} wall={res.get('wall_time')} memory={res.get('memory')} in {time.time() - t0:.2f}s{'' if ok else ' message=' + repr(res.get('message'))}")
    # The debugger (gdb, ptrace inside the box for C; a tracer for Python).
    for lang, code in DEBUG:
        req = urllib.request.Request(base + "/debug", data=json.dumps({"code": code, "language": lang}).encode(), headers=headers, method="POST")
        t0 = time.time()
        try:
            with urllib.request.urlopen(req, timeout=120) as r:
                res = json.load(r)
        except urllib.error.HTTPError as e:
            res = {"status": f"HTTP {e.code}: {e.read().decode(errors='replace')[:200]}"}
        ok = res.get("status") == "ok" and res.get("stdout") == "3\n" and len(res.get("steps") or []) >= 2
        failed += not ok
        total += 1
        print(f"{'ok  ' if ok else 'FAIL'} debug {lang:<4} status={res.get('status')} steps={len(res.get('steps') or [])} in {time.time() - t0:.2f}s{'' if ok else ' message=' + repr(res.get('message'))}")
    print(f"{total - failed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
