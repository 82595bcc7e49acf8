"""The fault run (issue 13): mixed traffic against a real Flash for a fixed
time while the service is killed and restarted, then checks that every
accepted job has exactly one result and that the service's memory, file
descriptors and threads come back to their starting level. Prints figures.

A benchmark, not a unit test. Standard library only. Usage (root):
  python3 run.py --flash target/release/flash --seconds 600 [--mode split]

Embedded mode: one `flash serve`; faults: SIGKILL and SIGTERM of it.
Split mode: redis-server, one `flash server`, two `flash worker`s; faults:
SIGKILL of a worker, SIGKILL of the server, SIGTERM of Redis (restarted on
its append-only file), each restarted after a pause.

"Exactly one result": every token answered 201/200 ends finished (status
id > 2) and was stored once: the log shows at most one "job finished"
for it (a second judging of a job whose result was already stored logs
"already had a result").
"""
import argparse, collections, http.client, json, os, random, re, signal, socket
import subprocess, sys, tempfile, threading, time

ap = argparse.ArgumentParser()
ap.add_argument("--flash", required=True)
ap.add_argument("--seconds", type=float, default=600)
ap.add_argument("--mode", choices=["embedded", "split"], default="embedded")
ap.add_argument("--clients", type=int, default=6)
ap.add_argument("--fault-every", type=float, default=20.0)
args = ap.parse_args()
FLASH = os.path.abspath(args.flash)
work = tempfile.mkdtemp(prefix="flash-fault-")


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


PORT = free_port()
REDIS_PORT = free_port()
CONFIG = os.path.join(work, "flash.toml")
with open(CONFIG, "w") as f:
    f.write("max_queue_size = 400\nmax_wait_secs = 20\nshutdown_grace_secs = 5\nlog_format = \"json\"\n")
    f.write("max_debug_waiting = 8\ndebug_wait_secs = 5\nreclaim_idle_secs = 10\n")
    if args.mode == "split":
        f.write(f'redis_url = "redis://127.0.0.1:{REDIS_PORT}"\n')

procs = {}
logs = []


def start(name):
    common = ["--config", CONFIG, "--data-dir", os.path.join(work, "data"), "--workers", "2"]
    if name == "redis":
        cmd = ["redis-server", "--bind", "127.0.0.1", "--port", str(REDIS_PORT), "--save", "",
               "--appendonly", "yes", "--appendfsync", "always", "--dir", work]
    elif name == "serve":
        cmd = [FLASH, "serve", "--listen", f"127.0.0.1:{PORT}"] + common
    elif name == "server":
        cmd = [FLASH, "server", "--listen", f"127.0.0.1:{PORT}"] + common
    else:  # worker-N
        cmd = [FLASH, "worker"] + common
    log = os.path.join(work, f"{name}-{len(logs)}.log")
    logs.append(log)
    procs[name] = subprocess.Popen(cmd, stdout=open(log, "w"), stderr=subprocess.STDOUT)


def call(method, path, body=None, timeout=30):
    c = http.client.HTTPConnection("127.0.0.1", PORT, timeout=timeout)
    try:
        data = json.dumps(body).encode() if body is not None else None
        c.request(method, path, data, {"Content-Type": "application/json"} if data else {})
        r = c.getresponse()
        return r.status, r.read()
    finally:
        c.close()


def wait_healthy(limit=60):
    end = time.time() + limit
    while time.time() < end:
        try:
            if call("GET", "/health", timeout=2)[0] == 200:
                return True
        except OSError:
            pass
        time.sleep(0.1)
    return False


def service_pids():
    names = ["serve"] if args.mode == "embedded" else ["server", "worker-0", "worker-1"]
    return [procs[n].pid for n in names if procs.get(n) and procs[n].poll() is None]


def usage(pid):
    """RSS KiB, fds, threads of one process and its children (the sandbox helpers)."""
    def one(p):
        try:
            rss = int(re.search(r"VmRSS:\s+(\d+)", open(f"/proc/{p}/status").read()).group(1))
            thr = int(re.search(r"Threads:\s+(\d+)", open(f"/proc/{p}/status").read()).group(1))
            return rss, len(os.listdir(f"/proc/{p}/fd")), thr
        except (OSError, AttributeError):
            return 0, 0, 0
    tot = list(one(pid))
    try:
        kids = open(f"/proc/{pid}/task/{pid}/children").read().split()
    except OSError:
        kids = []
    for k in kids:
        for i, v in enumerate(one(k)):
            tot[i] += v
    return tot


def figures():
    tot = [0, 0, 0]
    for p in service_pids():
        for i, v in enumerate(usage(p)):
            tot[i] += v
    return tot


# Programs: (language id, source, stdin, expected, what).
PROGRAMS = [
    (71, "print(input())", "hi", "hi", "py ok"),
    (71, "print('no')", "", "yes", "py wrong answer"),
    (71, "while True: pass", "", None, "py tle"),
    (71, "raise SystemExit(3)", "", None, "py nzec"),
    (71, "x = bytearray(1 << 30)", "", None, "py mle"),
    (50, "#include <stdio.h>\nint main(){int a,b;scanf(\"%d %d\",&a,&b);printf(\"%d\\n\",a+b);}", "2 3", "5", "c ok"),
    (50, "int main(){ return *(volatile int*)0; }", "", None, "c segv"),
    (50, "int main(){ syntax error }", "", None, "c ce"),
    (54, "#include <iostream>\nint main(){std::cout<<\"hey\\n\";}", "", "hey", "cpp ok"),
    (54, "#include <unistd.h>\nint main(){ while(1) fork(); }", "", None, "cpp fork bomb"),
    (63, "console.log(require('fs').readFileSync(0,'utf8').trim())", "js", "js", "js ok"),
    (62, "public class Main{public static void main(String[] a){System.out.println(42);}}", "", "42", "java ok"),
    (50, "#include <stdlib.h>\n#include <string.h>\nint main(){for(;;){char*p=malloc(1<<20);if(!p)return 1;memset(p,1,1<<20);}}", "", None, "c mle"),
]

lock = threading.Lock()
accepted = {}          # token -> what
stats = collections.Counter()
stop = threading.Event()


def client(seed):
    rnd = random.Random(seed)
    while not stop.is_set():
        kind = rnd.random()
        try:
            if kind < 0.70:
                lang, src, stdin, exp, what = rnd.choice(PROGRAMS)
                body = {"source_code": src, "language_id": lang, "stdin": stdin, "cpu_time_limit": 1,
                        "wall_time_limit": 3, "memory_limit": 128000}
                if exp is not None:
                    body["expected_output"] = exp
                wait = rnd.random() < 0.3
                st, out = call("POST", "/submissions?wait=true" if wait else "/submissions", body)
                stats[f"submit {st}"] += 1
                if st in (200, 201):
                    tok = json.loads(out)["token"]
                    with lock:
                        accepted[tok] = what
            elif kind < 0.80:
                st, _ = call("POST", "/debug", {"code": "for i in range(3):\n    print(i)\n", "language": "python3"})
                stats[f"debug {st}"] += 1
            elif kind < 0.90:
                # A client that hangs up: a wait=true submission or a debug request, dropped.
                s = socket.create_connection(("127.0.0.1", PORT), timeout=5)
                path = rnd.choice(["/submissions?wait=true", "/debug"])
                body = json.dumps({"source_code": "import time; time.sleep(2)", "language_id": 71} if "sub" in path
                                  else {"code": "import time\ntime.sleep(2)\n", "language": "python3"}).encode()
                s.sendall(f"POST {path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                          f"Content-Length: {len(body)}\r\n\r\n".encode() + body)
                time.sleep(rnd.random() * 0.5)
                s.close()
                stats["hang-up"] += 1
                # Its job (if a submission) may or may not be accepted: not counted either way.
            else:
                st, _ = call("GET", "/health", timeout=10)
                stats[f"health {st}"] += 1
        except (OSError, http.client.HTTPException, ValueError) as e:
            stats[f"error {type(e).__name__}"] += 1
            time.sleep(0.2)


def fault_loop():
    rnd = random.Random(7)
    n = 0
    while not stop.wait(args.fault_every):
        if args.mode == "embedded":
            how = [signal.SIGKILL, signal.SIGTERM][n % 2]
            victim = "serve"
        else:
            victim, how = [("worker-0", signal.SIGKILL), ("server", signal.SIGKILL), ("redis", signal.SIGTERM),
                           ("worker-1", signal.SIGKILL)][n % 4]
        n += 1
        p = procs[victim]
        p.send_signal(how)
        try:
            p.wait(timeout=30)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()
        stats[f"fault {victim} {signal.Signals(how).name}"] += 1
        time.sleep(rnd.random() * 2)
        start(victim)
        if not wait_healthy():
            print(f"fault-run: {victim} did not come back", file=sys.stderr)


def start_all():
    if args.mode == "embedded":
        start("serve")
    else:
        start("redis")
        time.sleep(0.5)
        start("worker-0")
        start("worker-1")
        start("server")
    if not wait_healthy(120):
        sys.exit("fault-run: the service did not start")


start_all()
# Warm up (compiles cached, pools built), then the starting level.
for lang, src, stdin, exp, what in PROGRAMS[:1] + PROGRAMS[5:6] + PROGRAMS[8:9] + PROGRAMS[10:12]:
    call("POST", "/submissions?wait=true", {"source_code": src, "language_id": lang, "stdin": stdin}, timeout=60)
time.sleep(2)
base = figures()
t0 = time.time()
threads = [threading.Thread(target=client, args=(i,), daemon=True) for i in range(args.clients)]
faults = threading.Thread(target=fault_loop, daemon=True)
for t in threads + [faults]:
    t.start()
time.sleep(args.seconds)
stop.set()
for t in threads:
    t.join(60)
faults.join(120)
wait_healthy()
traffic_s = time.time() - t0

# Every accepted job ends with a result.
pending = dict(accepted)
verdicts = collections.Counter()
deadline = time.time() + 600
while pending and time.time() < deadline:
    for tok in list(pending):
        try:
            st, out = call("GET", f"/submissions/{tok}?fields=status", timeout=10)
        except OSError:
            time.sleep(0.5)
            continue
        if st == 200 and json.loads(out)["status"]["id"] > 2:
            verdicts[json.loads(out)["status"]["description"]] += 1
            del pending[tok]
    if pending:
        time.sleep(1)

# Each stored once: "job finished" at most once per token over every log.
finished = collections.Counter()
for log in logs:
    for line in open(log, errors="replace"):
        if '"job finished"' in line:
            m = re.search(r'"token":"([0-9a-f-]{36})"', line)
            if m:
                finished[m.group(1)] += 1
twice = [t for t in accepted if finished[t] > 1]

# Back to the starting level: the service idle for a while (after the last restart, warmed up again).
time.sleep(10)
end = figures()
print(f"fault-run ({args.mode}): {args.seconds:.0f} s of traffic ({traffic_s:.0f} s until it stopped), {args.clients} clients, a fault every {args.fault_every:.0f} s")
for k, v in sorted(stats.items()):
    print(f"  {k}: {v}")
print(f"  accepted jobs: {len(accepted)}, without a result: {len(pending)}, stored twice: {len(twice)}"
      f" (a 'job finished' log line found for {sum(1 for t in accepted if finished[t])})")
print("  verdicts: " + ", ".join(f"{k} {v}" for k, v in verdicts.most_common()))
print(f"  service (all its processes) at start: RSS {base[0] // 1024} MiB, {base[1]} fds, {base[2]} threads")
print(f"  service (all its processes) at end:   RSS {end[0] // 1024} MiB, {end[1]} fds, {end[2]} threads")
# Refusals while the service restarts are 503s; a 500 (or any other 5xx) is a failure.
errors5xx = sum(v for k, v in stats.items() if re.search(r" 5\d\d$", k) and not k.endswith(" 503"))
print(f"  5xx answers other than 503: {errors5xx}")
ok = not pending and not twice and errors5xx == 0
# Level: fds and threads within a small margin, memory within 1.5x + 32 MiB (caches warm up).
level = end[1] <= base[1] + 8 and end[2] <= base[2] + 8 and end[0] <= base[0] * 1.5 + 32 * 1024
print(f"  back to the starting level: {'yes' if level else 'NO'}")
for p in procs.values():
    if p.poll() is None:
        p.terminate()
        try:
            p.wait(timeout=30)
        except subprocess.TimeoutExpired:
            p.kill()
if pending:
    print("  without a result:", list(pending)[:10], file=sys.stderr)
if twice:
    print("  stored twice:", twice[:10], file=sys.stderr)
print(f"  logs in {work}")
sys.exit(0 if ok and level else 1)
