"""Per-request cost of each API surface against the native one, same run.

The same cached C++ program (compiled once, before timing) is submitted
synchronously through each API in turn, round-robin, so every API sees the
same machine state: native `POST /create?wait=true`, Judge0
`POST /submissions?wait=true`, Piston `POST /api/v2/execute`, Jobe
`POST runs`. One keep-alive connection per API. Prints the median and p90
per API and the median's ratio and difference to the native one.

    FLASH_URL=http://127.0.0.1:2358 JOBE_KEY=... python bench_apis.py --requests 200
"""

import argparse
import http.client
import json
import os
import statistics
import time
import urllib.parse

SRC = '#include <cstdio>\nint main(){ puts("bench"); }\n'
APIS = {
    "native": ("/create?wait=true", {"code": SRC, "language": "cpp"}),
    "judge0": ("/submissions?wait=true", {"source_code": SRC, "language_id": 54}),
    "piston": ("/api/v2/execute", {"language": "c++", "version": "*", "files": [{"content": SRC}]}),
    "jobe": ("/jobe/index.php/restapi/runs", {"run_spec": {"language_id": "cpp", "sourcecode": SRC}}),
}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--requests", type=int, default=200, help="requests per API")
    args = ap.parse_args()
    u = urllib.parse.urlparse(os.environ["FLASH_URL"])
    headers = {"Content-Type": "application/json", "X-API-KEY": os.environ.get("JOBE_KEY", "")}
    conns = {name: http.client.HTTPConnection(u.hostname, u.port, timeout=60) for name in APIS}

    def once(name):
        path, body = APIS[name]
        t = time.perf_counter()
        conns[name].request("POST", path, json.dumps(body), headers)
        r = conns[name].getresponse()
        data = r.read()
        took = time.perf_counter() - t
        assert r.status in (200, 201), (name, r.status, data[:300])
        assert b"bench" in data, (name, data[:300])
        return took

    for name in APIS:  # compile once, warm every path
        for _ in range(3):
            once(name)
    times = {name: [] for name in APIS}
    names = list(APIS)
    for i in range(args.requests):
        for name in names[i % len(names):] + names[: i % len(names)]:
            times[name].append(once(name))
    base = statistics.median(times["native"])
    print(f"bench_apis: a cached C++ program, {args.requests} synchronous requests per API, round-robin")
    print(f"{'api':8} {'median ms':>10} {'p90 ms':>8} {'vs native':>10} {'extra ms':>9}")
    for name in APIS:
        t = sorted(times[name])
        med = statistics.median(t)
        p90 = t[int(len(t) * 0.9) - 1]
        print(f"{name:8} {med * 1000:10.2f} {p90 * 1000:8.2f} {med / base:9.2f}x {(med - base) * 1000:9.2f}")


main()
