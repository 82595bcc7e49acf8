"""The Jobe API of a real `flash serve`, against Jobe's documented behaviour
(restapi.pdf of trampgeek/jobe), as Moodle CodeRunner uses it: every
outcome code Flash can produce for real, the file cache (PUT, HEAD, a run
with file_list, 404 for an unknown id), X-API-KEY, CodeRunner's file names,
and a Python job that compiles and runs a C program (and sqlite3) through
subprocess inside the box, under the job's limits.

    FLASH_URL=http://127.0.0.1:2358 JOBE_KEY=... python jobe_check.py

Outcome 20 (Flash's own failure) cannot be provoked from outside; the API
tests (crates/server/tests/clients_api.rs) cover its mapping.
The server must have a small queue (max_queue_size 4, 2 workers) for 21.
"""

import base64
import concurrent.futures
import hashlib
import os
import sys

import requests

URL = os.environ["FLASH_URL"].rstrip("/") + "/jobe/index.php/restapi"
KEY = {"X-API-KEY": os.environ.get("JOBE_KEY", "")}
failures = []


def expect(what, cond, detail=""):
    print(f"{'ok  ' if cond else 'FAIL'} {what}" + ("" if cond else f": {detail}"))
    if not cond:
        failures.append(what)


def run(lang, src, **spec):
    body = {"run_spec": {"language_id": lang, "sourcecode": src, **spec}}
    return requests.post(f"{URL}/runs", json=body, headers=KEY, timeout=120)


def outcome(lang, src, **spec):
    r = run(lang, src, **spec)
    return r.json() if r.status_code == 200 else {"http": r.status_code, "body": r.text}


# Languages: Jobe's ids with versions.
langs = requests.get(f"{URL}/languages", headers=KEY, timeout=30).json()
ids = [l[0] for l in langs]
# The core five always; octave, pascal and php too where installed (CI installs every language).
core = {"c", "cpp", "python3", "java", "nodejs"}
expect("languages lists c, cpp, python3, java, nodejs", core <= set(ids) <= core | {"octave", "pascal", "php"}, langs)
expect("languages carry versions", all(l[1][0].isdigit() for l in langs), langs)
expect("X-API-KEY is required", requests.get(f"{URL}/languages", timeout=30).status_code == 403)

# Every outcome.
r = outcome("python3", "print(input()[::-1])", input="flash\n", sourcefilename="__tester__.python3")
expect("15 success (CodeRunner's __tester__.python3)", r.get("outcome") == 15 and r["stdout"] == "hsalf\n", r)
expect("run_id is null, cmpinfo empty", r.get("run_id", 0) is None and r.get("cmpinfo") == "", r)
r = outcome("c", "int main() { return nope; }")
expect("11 compile error, with cmpinfo", r.get("outcome") == 11 and "nope" in r.get("cmpinfo", ""), r)
r = outcome("python3", "import sys\nprint('x', file=sys.stderr)\nsys.exit(3)")
expect("12 runtime error (exit 3), stderr kept", r.get("outcome") == 12 and r["stderr"] == "x\n", r)
r = outcome("c", "int main() { int *p = 0; return *p; }")
expect("12 runtime error (SIGSEGV)", r.get("outcome") == 12, r)
r = outcome("cpp", "int main() { for (;;); }", parameters={"cputime": 1})
expect("13 time limit", r.get("outcome") == 13, r)
mem = "#include <stdlib.h>\n#include <string.h>\nint main(){for(;;){char*p=malloc(1<<20);memset(p,1,1<<20);}}"
r = outcome("c", mem, parameters={"memorylimit": 64})
expect("17 memory limit", r.get("outcome") == 17, r)
r = outcome("c", 'int main(){ __asm__ volatile("mov $20, %eax; int $0x80"); return 0; }')
expect("19 illegal system call (32-bit syscall entry)", r.get("outcome") == 19, r)
r = outcome("java", 'public class Prog { public static void main(String[] a) { System.out.println("prog"); } }',
            sourcefilename="Prog.java")
expect("Java class named by sourcefilename", r.get("outcome") == 15 and r["stdout"] == "prog\n", r)
r = outcome("nodejs", "console.log(require('fs').readFileSync(0, 'utf8').trim().length)", input="abc")
expect("nodejs", r.get("outcome") == 15 and r["stdout"] == "3\n", r)
r = outcome("cpp", "#include <cstdio>\nint main(int c, char**v){ printf(\"%d %s\\n\", FOO, v[1]); }",
            parameters={"compileargs": ["-DFOO=7"], "runargs": ["arg"], "unknown_key": 1})
expect("compileargs and runargs; unknown parameters ignored", r.get("stdout") == "7 arg\n", r)

# A Python job that compiles and runs C, and runs sqlite3, through subprocess, in the box.
tool = r'''
import subprocess
open("t.c", "w").write('#include <stdio.h>\nint main(){puts("from C");return 0;}\n')
cc = subprocess.run(["gcc", "-o", "t", "t.c"], capture_output=True, text=True)
print("gcc", cc.returncode, cc.stderr.strip())
print(subprocess.run(["./t"], capture_output=True, text=True).stdout, end="")
print(subprocess.run(["sqlite3", ":memory:", "select 6*7;"], capture_output=True, text=True).stdout, end="")
'''
r = outcome("python3", tool, parameters={"cputime": 10, "memorylimit": 500, "numprocs": 30})
expect("python3 runs gcc and sqlite3 as subprocesses", r.get("stdout") == "gcc 0 \nfrom C\n42\n", r)
r = outcome("python3", "import subprocess\nprint(subprocess.run(['gcc', '--version']).returncode)",
            parameters={"numprocs": 1})
expect("the subprocesses count against numprocs", r.get("outcome") == 12 and "BlockingIOError" in r.get("stderr", ""), r)

# The file cache.
data = b"cached file\n"
fid = hashlib.md5(data).hexdigest()
other = hashlib.md5(b"never put").hexdigest()
expect("HEAD unknown file: 404", requests.head(f"{URL}/files/{other}", headers=KEY, timeout=30).status_code == 404)
put = requests.put(f"{URL}/files/{fid}", json={"file_contents": base64.b64encode(data).decode()}, headers=KEY, timeout=30)
expect("PUT file: 204", put.status_code == 204, put.text)
expect("HEAD file: 204", requests.head(f"{URL}/files/{fid}", headers=KEY, timeout=30).status_code == 204)
r = outcome("python3", "print(open('data.txt').read(), end='')", file_list=[[fid, "data.txt"]])
expect("a run with file_list reads the file", r.get("stdout") == data.decode(), r)
r = run("python3", "print(1)", file_list=[[other, "x.txt"]])
expect("a run with an unknown file id: 404", r.status_code == 404, (r.status_code, r.text))
r = run("klingon", "x")
expect("an unknown language: 400 naming it", r.status_code == 400 and "klingon" in r.json(), r.text)

# 21: more runs than the queue holds at once.
with concurrent.futures.ThreadPoolExecutor(16) as ex:
    got = list(ex.map(lambda _: outcome("python3", "import time; time.sleep(1)").get("outcome"), range(16)))
expect("21 server overload when the queue is full", 21 in got and 15 in got, got)

print(f"jobe_check: {len(failures)} failures")
sys.exit(1 if failures else 0)
