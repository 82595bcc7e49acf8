"""`flash mcp` through the official MCP Python SDK (PyPI `mcp`), as a real client.

Over each transport asked for (stdio with the embedded service; Streamable
HTTP embedded; Streamable HTTP as a client of a `flash serve` started here with
a token), it lists the tools, runs Python, C++ and JavaScript, judges test
cases, records a trace and reads it back as a resource, checks that errors are
tool results a model can act on, and (with --sessions) walks a session: write
a file, run a program that reads it and writes another, read that back, delete.

--bench measures the time from a run_code call to its answer over stdio
(embedded): Python and C++ hello world, uncached (new code each time) and
cached (the same code again); then the same programs sent straight to a
`flash serve` (POST /create?wait=true), for what the MCP layer adds.

Needs root (the sandbox). Every server runs on loopback, in temporary data
directories; nothing else is contacted.
"""

import argparse
import asyncio
import json
import os
import re
import statistics
import subprocess
import shutil
import sys
import tempfile
import time
import urllib.error
import urllib.request
import uuid

from mcp import Client
from mcp.client.stdio import StdioServerParameters

TOOLS = {
    "list_languages", "run_code", "run_tests", "debug_trace",
    "session_create", "session_write_file", "session_read_file", "session_list_files",
    "session_run", "session_delete",
}

failures = []


def check(name, ok, detail=""):
    print(f"  {'ok  ' if ok else 'FAIL'} {name}" + ("" if ok else f": {detail}"), flush=True)
    if not ok:
        failures.append(name)


def text(result):
    return "\n".join(c.text for c in result.content if getattr(c, "type", "") == "text")


async def call(client, tool, args):
    r = await client.call_tool(tool, args, read_timeout_seconds=120)
    return r, text(r)


async def check_tools(client):
    tools = (await client.list_tools()).tools
    names = {t.name for t in tools}
    check("every tool is listed", TOOLS <= names, f"missing {sorted(TOOLS - names)}")
    undocumented = [
        f"{t.name}.{p}" for t in tools for p, s in t.input_schema.get("properties", {}).items()
        if not s.get("description") and "$ref" not in s and "allOf" not in s
    ]
    check("every tool and field has a description",
          all(t.description for t in tools) and not undocumented, f"undocumented: {undocumented}")


async def check_runs(client):
    r, t = await call(client, "list_languages", {})
    check("list_languages names Python and C++", not r.is_error and "Python" in t and "C++" in t, t[:300])
    programs = [
        ("python", "print(input()[::-1])", "flash", "hsalf"),
        ("cpp", "#include <iostream>\nint main(){std::string s; std::cin >> s; std::cout << s.size() * 7 << '\\n';}",
         "abcdef", "42"),
        ("javascript", "const n = require('fs').readFileSync(0, 'utf8').trim();\nconsole.log(`js:${n * 2}`);",
         "21", "js:42"),
    ]
    for lang, code, stdin, want in programs:
        r, t = await call(client, "run_code", {"language": lang, "code": code, "stdin": stdin})
        ok = not r.is_error and t.startswith("verdict: Accepted") and re.search(
            rf"--- stdout \(\d+ bytes\) ---\n{re.escape(want)}\n", t)
        check(f"run_code {lang}", bool(ok), t[:600])
    r, t = await call(client, "run_code", {"language": "python", "code": "import sys\nprint('x' * 100000)\nsys.exit(3)",
                                           "max_output_bytes": 1000})
    check("run_code truncates long output and reports the exit code",
          not r.is_error and "[truncated: 99001 more bytes]" in t and "exit code 3" in t, t[:300] + t[-300:])
    r, t = await call(client, "run_code", {"language": "python", "code": "import time\ntime.sleep(2.5)\nprint('slept')"})
    check("run_code waits for a run longer than the service's wait (url: max_wait_secs = 1)",
          not r.is_error and t.startswith("verdict: Accepted") and "slept" in t, t[:400])
    r, t = await call(client, "run_tests", {
        "language": "python", "code": "a, b = map(int, input().split())\nprint(a + b)",
        "cases": [{"input": "1 2\n", "expected_output": "3\n"}, {"input": "2 2\n", "expected_output": "5\n"}],
    })
    check("run_tests: one passes, one fails with the differing line",
          not r.is_error and "1 of 2 tests passed" in t and "1 | Accepted" in t and "2 | Wrong Answer" in t
          and 'first difference: line 1: expected "5", got "4"' in t, t)
    r, t = await call(client, "debug_trace", {
        "language": "python",
        "code": "total = 0\nfor k in range(1, 4):\n    total = total + k * 10\nprint(total)\n",
    })
    uri = re.search(r"flash://trace/[0-9a-f]+", t)
    check("debug_trace shows each value of a variable",
          not r.is_error and all(f"total = {v}" in t for v in (0, 10, 30, 60)) and "(2 3)x3" in t
          and "--- stdout ---\n60\n" in t and uri is not None, t)
    if uri:
        res = await client.read_resource(uri.group(0))
        body = res.contents[0].text if res.contents else ""
        check("the full trace is a resource", '"steps"' in body and '"total"' in body, body[:300])
        listed = [str(x.uri) for x in (await client.list_resources()).resources]
        check("the trace is listed as a resource", uri.group(0) in listed, str(listed))


async def check_errors(client):
    r, t = await call(client, "run_code", {"language": "klingon", "code": "print(1)"})
    check("an unknown language is a tool error naming list_languages",
          r.is_error and "unknown language" in t and "list_languages" in t, t)
    r, t = await call(client, "run_code", {"language": "cpp", "code": "int main() { return undefined_name; }"})
    check("a compile error is a tool error with the compiler's words",
          r.is_error and "Compilation Error" in t and "undefined_name" in t, t[:500])
    r, t = await call(client, "run_code", {"language": "python", "code": "while True: pass", "time_limit": 0.5})
    check("a time limit is a tool error", r.is_error and "Time Limit Exceeded" in t, t[:300])
    r, t = await call(client, "run_code", {"language": "python", "code": "print(1)", "time_limit": 1000})
    check("a limit above the service's maximum is a tool error naming the field",
          r.is_error and "time_limit" in t, t)
    r, t = await call(client, "run_tests", {"language": "python", "code": "print(1)", "cases": []})
    check("run_tests without cases is a tool error", r.is_error and "at least one case" in t, t)


async def check_sessions(client):
    r, t = await call(client, "session_create", {"idle_timeout": 600})
    m = re.search(r"^id: (\S+)$", t, re.M)
    check("session_create", not r.is_error and m is not None, t)
    if not m:
        return
    sid = m.group(1)
    r, t = await call(client, "session_write_file", {"session_id": sid, "path": "data/in.txt", "content": "3\n4\n"})
    check("session_write_file", not r.is_error and "data/in.txt" in t, t)
    code = ("nums = [int(x) for x in open('data/in.txt')]\n"
            "open('out.txt', 'w').write(f'sum={sum(nums)}\\n')\nprint('wrote', len(nums))\n")
    r, t = await call(client, "session_run", {"session_id": sid, "language": "python", "code": code})
    check("session_run reads one file and writes another",
          not r.is_error and "wrote 2" in t and re.search(r"files created: .*out\.txt", t), t)
    r, t = await call(client, "session_read_file", {"session_id": sid, "path": "out.txt"})
    check("session_read_file returns what the run wrote", not r.is_error and "sum=7" in t, t)
    r, t = await call(client, "session_list_files", {"session_id": sid})
    check("session_list_files", not r.is_error and "data/in.txt" in t and "out.txt" in t, t)
    r, t = await call(client, "session_run", {"session_id": sid, "command": "cat out.txt data/in.txt | wc -l"})
    check("session_run runs a shell command", not r.is_error and re.search(r"---\n3\n", t), t)
    r, t = await call(client, "session_delete", {"session_id": sid})
    check("session_delete", not r.is_error, t)
    r, t = await call(client, "session_list_files", {"session_id": sid})
    check("a deleted session is a tool error saying not found", r.is_error and "not found" in t, t)


async def run_all(target, sessions):
    async with Client(target, read_timeout_seconds=180) as client:
        await check_tools(client)
        await check_runs(client)
        await check_errors(client)
        if sessions:
            await check_sessions(client)
        else:
            print("  (sessions not checked: pass --sessions)")


async def check_unreachable(flash, serve_url):
    """--url errors: a service that is not there, a wrong token."""
    for url, token, want in (("http://127.0.0.1:1", None, "is unreachable"), (serve_url, "wrong", "--token")):
        args = ["mcp", "--url", url, "--log-level", "warn"] + (["--token", token] if token else [])
        async with Client(StdioServerParameters(command=flash, args=args), read_timeout_seconds=60) as client:
            r, t = await call(client, "run_code", {"language": "python", "code": "print(1)"})
            check(f"--url {url} {'token ' + token if token else ''}: a tool error saying what to fix",
                  r.is_error and want in t, t)


def check_host_guard(url):
    """A request naming another host (DNS rebinding from a web page) is refused."""
    body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": "ping"}).encode()
    req = urllib.request.Request(url, body, {"Content-Type": "application/json", "Host": "evil.example",
                                             "Accept": "application/json, text/event-stream"})
    try:
        with urllib.request.urlopen(req, timeout=30) as resp:
            status = resp.status
    except urllib.error.HTTPError as e:
        status = e.code
    check("HTTP: a request for another Host is refused (403)", status == 403, f"HTTP {status}")


def start(cmd, log):
    """Starts a server that prints its URL on stdout; returns (process, url)."""
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=log, text=True)
    line = p.stdout.readline()
    m = re.search(r"http://\S+", line)
    if not m:
        p.kill()
        sys.exit(f"mcp-check: {' '.join(cmd)} did not start: {line!r} (log: {log.name})")
    return p, m.group(0)


def stop(p):
    p.terminate()
    try:
        p.wait(timeout=30)
    except subprocess.TimeoutExpired:
        p.kill()


HELLO = {
    "python": "print('hello, world')  # {tag}",
    "cpp": "#include <iostream>\n// {tag}\nint main() {{ std::cout << \"hello, world\" << std::endl; }}",
}


async def timed(run, rounds):
    """Rows (language, kind, median, min, max, n) of `run(language, code)` in ms, uncached and cached."""
    for lang, code in HELLO.items():
        await run(lang, code.format(tag="warm-up"))  # the pool, the first compile, the page cache
    rows = []
    for lang, code in HELLO.items():
        for kind in ("uncached", "cached"):
            times = []
            for _ in range(rounds + (kind == "cached")):
                tag = uuid.uuid4().hex if kind == "uncached" else "cached"
                t0 = time.perf_counter()
                out = await run(lang, code.format(tag=tag))
                times.append((time.perf_counter() - t0) * 1000)
                if "hello, world" not in out:
                    sys.exit(f"mcp-check: bench run failed: {out}")
            if kind == "cached":
                times = times[1:]  # the first one fills the cache
            rows.append((lang, kind, statistics.median(times), min(times), max(times), len(times)))
    return rows


async def bench(flash, tmp, rounds, log):
    """run_code latency over stdio (embedded), uncached and cached; then the
    same programs straight to a `flash serve`'s POST /create?wait=true, for
    what the MCP layer adds."""
    params = StdioServerParameters(command=flash, args=["mcp", "--data-dir", os.path.join(tmp, "mcp"),
                                                        "--workers", "2", "--log-level", "warn"])
    async with Client(params, read_timeout_seconds=180) as client:
        async def mcp_run(lang, code):
            r = await client.call_tool("run_code", {"language": lang, "code": code})
            return "" if r.is_error else text(r)
        mcp_rows = await timed(mcp_run, rounds)
    p, url = start([flash, "serve", "--listen", "127.0.0.1:0", "--data-dir", os.path.join(tmp, "serve"),
                    "--workers", "2", "--log-level", "warn"], log)
    try:
        async def http_run(lang, code):
            body = json.dumps({"language": lang, "code": code}).encode()
            req = urllib.request.Request(f"{url}/create?wait=true", body, {"Content-Type": "application/json"})
            with urllib.request.urlopen(req, timeout=120) as resp:
                return json.load(resp).get("stdout") or ""
        http_rows = await timed(http_run, rounds)
    finally:
        stop(p)
    print(f"\nms from the request to the answer, hello world ({os.cpu_count()} cores, "
          f"load average {os.getloadavg()[0]:.1f})")
    print("path                           | language | code     | median | min   | max   | runs")
    for name, rows in (("MCP run_code, stdio, embedded", mcp_rows), ("native POST /create?wait=true", http_rows)):
        for lang, kind, med, lo, hi, n in rows:
            print(f"{name:30} | {lang:8} | {kind:8} | {med:6.1f} | {lo:5.1f} | {hi:5.1f} | {n}")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--flash", default="target/release/flash", help="the flash binary")
    ap.add_argument("--transports", default="stdio,http,url",
                    help="comma-separated: stdio (embedded), http (embedded), url (HTTP, --url to a flash serve)")
    ap.add_argument("--sessions", action="store_true", help="also walk a session (needs the sessions API)")
    ap.add_argument("--bench", action="store_true", help="measure run_code latency over stdio instead")
    ap.add_argument("--rounds", type=int, default=5, help="runs per bench figure")
    a = ap.parse_args()
    flash = os.path.abspath(a.flash)
    tmp = tempfile.mkdtemp(prefix="mcp-check-")
    log = open(os.path.join(tmp, "servers.log"), "w")
    common = ["--workers", "2", "--log-level", "warn"]
    if a.bench:
        asyncio.run(bench(flash, tmp, a.rounds, log))
        shutil.rmtree(tmp, ignore_errors=True)
        return
    for transport in a.transports.split(","):
        data = os.path.join(tmp, transport)
        print(f"mcp-check: {transport}", flush=True)
        procs = []
        try:
            if transport == "stdio":
                target = StdioServerParameters(command=flash, args=["mcp", "--data-dir", data] + common)
            elif transport == "http":
                p, target = start([flash, "mcp", "--http", "127.0.0.1:0", "--data-dir", data] + common, log)
                procs.append(p)
            elif transport == "url":
                token = uuid.uuid4().hex
                # A short wait: answers to runs longer than a second come unfinished,
                # and the tools must look them up until they are.
                os.makedirs(data, exist_ok=True)
                conf = os.path.join(data, "flash.toml")
                with open(conf, "w") as f:
                    f.write("max_wait_secs = 1\n")
                p, serve_url = start([flash, "serve", "--listen", "127.0.0.1:0", "--data-dir", data,
                                      "--config", conf, "--auth-token", token] + common, log)
                procs.append(p)
                p, target = start([flash, "mcp", "--http", "127.0.0.1:0", "--url", serve_url, "--token", token,
                                   "--log-level", "warn"], log)
                procs.append(p)
            else:
                sys.exit(f"mcp-check: unknown transport {transport!r}")
            asyncio.run(run_all(target, a.sessions))
            if transport == "http":
                check_host_guard(target)
            if transport == "url":
                asyncio.run(check_unreachable(flash, serve_url))
        finally:
            for p in reversed(procs):
                stop(p)
    log.close()
    with open(log.name) as f:
        logged = [l for l in f if re.search(r"panicked|ERROR|fatal runtime error", l)]
    check("the servers logged no errors", not logged, "".join(logged[:20]))
    # The data directories hold each server's compile cache and warm archives
    # (about 300 MB): kept only when something failed, for the post-mortem.
    if failures:
        print(f"mcp-check: servers' data and log kept in {tmp}")
    else:
        shutil.rmtree(tmp, ignore_errors=True)
    print(f"mcp-check: {len(failures)} failed" if failures else "mcp-check: all passed")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
