"""The official Judge0 Python SDK, unchanged, against `flash serve`.

The server is found the way the SDK finds a self-hosted Judge0:
JUDGE0_CE_ENDPOINT and JUDGE0_CE_AUTH_HEADERS (set by scripts/api-compat.sh).
Each check prints one line; the last line is "sdk: N passed, N failed".
"""

import json
import os
import sys

import judge0
from judge0 import Status, Submission

checks = []


def check(name, ok, detail=""):
    checks.append(ok)
    print(f"{'ok  ' if ok else 'FAIL'} {name}{'' if ok else ': ' + str(detail)}", flush=True)


HELLO = {
    "python": (judge0.PYTHON, 'print("hello from python")'),
    "c++": (judge0.CPP, '#include <iostream>\nint main(){std::cout << "hello from c++" << std::endl;}'),
    "java": (
        judge0.JAVA,
        'public class Main { public static void main(String[] a) { System.out.println("hello from java"); } }',
    ),
    "javascript": (judge0.JAVASCRIPT, 'console.log("hello from javascript")'),
}


def single_runs():
    for name, (lang, code) in HELLO.items():
        r = judge0.run(source_code=code, language=lang)
        ok = r.status == Status.ACCEPTED and r.stdout == f"hello from {name}\n"
        check(f"judge0.run {name}", ok, r)


def test_cases():
    code = "print(int(input()) * 2)"
    cases = [("1", "2"), ("21", "42"), ("3", "7")]
    rs = judge0.run(source_code=code, language=judge0.PYTHON, test_cases=cases)
    got = [r.status for r in rs]
    check(
        "judge0.run with test cases (batch)",
        got == [Status.ACCEPTED, Status.ACCEPTED, Status.WRONG_ANSWER],
        got,
    )
    cpp = '#include <iostream>\nint main(){long a,b; std::cin>>a>>b; std::cout<<a+b<<"\\n";}'
    rs = judge0.run(
        source_code=cpp,
        language=judge0.CPP,
        test_cases=[("1 2", "3"), ("40 2", "42")],
    )
    check("c++ test cases", all(r.status == Status.ACCEPTED for r in rs), rs)


def mixed_batch():
    subs = [Submission(source_code=code, language=lang) for lang, code in HELLO.values()]
    rs = judge0.run(submissions=subs)
    outs = [r.stdout for r in rs]
    check("batch of four languages", outs == [f"hello from {n}\n" for n in HELLO], outs)


def verdicts():
    r = judge0.run(source_code="int main( {", language=judge0.CPP)
    check(
        "compilation error",
        r.status == Status.COMPILATION_ERROR and "error" in (r.compile_output or ""),
        r,
    )
    r = judge0.run(source_code="while True: pass", language=judge0.PYTHON, cpu_time_limit=0.5)
    check("time limit exceeded", r.status == Status.TIME_LIMIT_EXCEEDED, r)
    r = judge0.run(source_code="import sys; print('x'); sys.exit(4)", language=judge0.PYTHON)
    check("runtime error (NZEC)", r.status == Status.RUNTIME_ERROR_NZEC and r.exit_code == 4, r)
    r = judge0.run(source_code="print(input())", language=judge0.PYTHON, stdin="ünïcode ✓")
    check("unicode through base64", r.stdout == "ünïcode ✓\n", r.stdout)


def client_api():
    headers = json.loads(os.environ["JUDGE0_CE_AUTH_HEADERS"])
    client = judge0.Client(os.environ["JUDGE0_CE_ENDPOINT"], headers=dict(headers))
    check("about version", client.get_about()["version"] == "1.13.1")
    check("config_info parses", client.config.max_submission_batch_size >= 1)
    ids = {lang.id for lang in client.languages}
    check("languages include the SDK's ids", {52, 62, 63, 71} <= ids, ids)
    sub = judge0.async_run(client=client, source_code="print(40 + 2)", language=judge0.PYTHON)
    judge0.wait(client=client, submissions=sub)
    check("async_run then wait", sub.stdout == "42\n" and sub.time is not None, sub)
    check("created_at parses", sub.created_at is not None and sub.finished_at is not None, sub)


def main():
    for f in (single_runs, test_cases, mixed_batch, verdicts, client_api):
        try:
            f()
        except Exception as e:  # a crash of the SDK is a failed check, not a stop
            check(f.__name__, False, repr(e))
    passed = sum(checks)
    print(f"sdk: {passed} passed, {len(checks) - passed} failed")
    return 0 if all(checks) else 1


if __name__ == "__main__":
    sys.exit(main())
