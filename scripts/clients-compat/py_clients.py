"""Third-party Python clients, unchanged, against a real `flash serve`.

Each client submits the programs of programs.json (every language it can
name), waits for the result its own way and checks the output: stdin
"flash" must come back reversed. Judge0: judge0api, judge0-client,
judge0-api-wrapper. Piston: aiopyston, pistonapi.

    FLASH_URL=http://127.0.0.1:2358 python py_clients.py

Prints one line per client and language; exits 1 if any failed.
"""

import asyncio
import json
import os
import pathlib
import sys
import traceback

URL = os.environ["FLASH_URL"].rstrip("/")
PROGRAMS = json.loads((pathlib.Path(__file__).parent / "programs.json").read_text())
WANT = "hsalf"
failures = []


def check(client, lang, got):
    ok = (got or "").strip() == WANT
    print(f"{'ok  ' if ok else 'FAIL'} {client:20} {lang:11} {got!r}")
    if not ok:
        failures.append(f"{client} {lang}: {got!r}")


def guarded(client, lang, fn):
    try:
        check(client, lang, fn())
    except Exception as e:  # a client's own exception is a failure of that case
        traceback.print_exc()
        failures.append(f"{client} {lang}: {type(e).__name__}: {e}")
        print(f"FAIL {client:20} {lang:11} {type(e).__name__}: {e}")


def stdin_of(p):
    return None if p.get("no_stdin") else "flash"


def judge0api_case():
    import judge0api
    client = judge0api.Client(URL)  # wait=True: POST /submissions/?wait=true
    for lang, p in PROGRAMS.items():
        def run(p=p):
            stdin = stdin_of(p)
            sub = judge0api.submission.submit(
                client, p["source"].encode(), p["judge0"], stdin=stdin.encode() if stdin else None
            )
            # Read it again through GET /submissions/{token}/ (trailing slash).
            again = judge0api.submission.get(client, sub.token)
            assert sub.stdout == again.stdout, (sub.stdout, again.stdout)
            return again.stdout.decode() if again.stdout else again.compile_output
        guarded("judge0api", lang, run)


def judge0_client_case():
    from judge0_client import Judge0Client, SingleFileSubmission

    async def main():
        async with Judge0Client(URL, timeout=60) as c:
            about = await c.get_about()
            assert about.version == "1.13.1", about
            assert (await c.get_isolate()) and (await c.get_license())
            for lang, p in PROGRAMS.items():
                try:
                    made = await c.create_submission(
                        SingleFileSubmission(source_code=p["source"], language_id=p["judge0"], stdin=stdin_of(p))
                    )
                    for _ in range(600):
                        d = await c.get_submission(made.token)
                        if d.status.id > 2:
                            break
                        await asyncio.sleep(0.1)
                    check("judge0-client", lang, d.stdout if d.stdout else d.compile_output)
                except Exception as e:
                    traceback.print_exc()
                    failures.append(f"judge0-client {lang}: {type(e).__name__}: {e}")

    asyncio.run(main())


def judge0_api_wrapper_case():
    from judge0_api_wrapper.judge0 import Judge0
    from judge0_api_wrapper.schemas import CreateSubmission

    token = os.environ.get("FLASH_AUTH_TOKEN", "")
    user = os.environ.get("FLASH_AUTHZ_TOKEN", "")
    j = Judge0(URL, token, user)  # checks /authenticate and /authorize first
    for lang, p in PROGRAMS.items():
        def run(p=p):
            sub = j.submit(CreateSubmission(source_code=p["source"], language_id=p["judge0"], stdin=stdin_of(p)))
            return j.wait_for_completion(sub, poll_interval=0.1).stdout
        guarded("judge0-api-wrapper", lang, run)


def aiopyston_case():
    import pyston

    async def main():
        client = pyston.PystonClient(base_url=f"{URL}/api/v2/")
        try:
            langs = await client.languages()
            for lang, p in PROGRAMS.items():
                assert p["piston"] in langs, (p["piston"], langs)
                try:
                    out = await client.execute(
                        p["piston"], [pyston.File(p["source"], filename="prog")], stdin=stdin_of(p) or ""
                    )
                    check("aiopyston", lang, out.run_stage.stdout if out.run_stage else out.raw_json)
                except Exception as e:
                    traceback.print_exc()
                    failures.append(f"aiopyston {lang}: {type(e).__name__}: {e}")
        finally:
            await client.close_session()

    asyncio.run(main())


def pistonapi_case():
    from pistonapi import PistonAPI

    api = PistonAPI(endpoint=f"{URL}/api/v2/piston")
    assert "python" in api.languages
    for lang, p in PROGRAMS.items():
        # pistonapi sends no stdin unless given, and a form-encoded body.
        guarded("pistonapi", lang, lambda p=p: api.execute(p["piston"], "*", p["source"], stdin=stdin_of(p) or ""))


for case in [judge0api_case, judge0_client_case, judge0_api_wrapper_case, aiopyston_case, pistonapi_case]:
    try:
        case()
    except Exception as e:
        traceback.print_exc()
        failures.append(f"{case.__name__}: {type(e).__name__}: {e}")

print(f"py_clients: {len(failures)} failures")
for f in failures:
    print("  " + f)
sys.exit(1 if failures else 0)
