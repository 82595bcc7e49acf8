#!/usr/bin/env bash
# API compatibility and fuzzing against a real `flash serve` on 127.0.0.1:
#  1. the official Judge0 Python SDK (pinned, unchanged) runs Python, C++, Java
#     and JavaScript programs, a batch, and test cases (scripts/api-compat/sdk_check.py);
#  2. schemathesis (pinned) generates requests for every HTTP operation in
#     /openapi.json (derived from the router: /debug included) and fails on
#     any 5xx; the WebSocket routes are left out (see below);
#  3. scripts/clients-compat.sh: third-party client libraries, a browser, the
#     Jobe API and the per-API cost, against a server of its own.
# Needs root (the sandbox). Uses $FLASH if set, else builds target/debug/flash.
# The virtualenv lives in target/py-venv; nothing but loopback is contacted
# (callbacks are off on this server).
set -euo pipefail
cd "$(dirname "$0")/.."
FLASH=${FLASH:-target/debug/flash}
if [ "$FLASH" = target/debug/flash ]; then
  cargo build -p flash --quiet
fi
VENV=target/py-venv
if [ ! -x "$VENV/bin/python" ]; then
  /usr/bin/python3 -m venv "$VENV"
fi
"$VENV/bin/pip" install -q --disable-pip-version-check -r scripts/api-compat/requirements.txt

who=api-compat
. scripts/lib-serve.sh
token=$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')
# Short waits keep the fuzz moving: a wait=true request answers with the job
# as it is after 2 s. A deep queue keeps fuzzed submissions from filling it.
cat > "$data/flash.toml" <<TOML
max_wait_secs = 2
max_queue_size = 100000
TOML
start_serve --config "$data/flash.toml" --workers 2 --auth-token "$token" --authz-token "$token-admin" \
  --enable-submission-delete

failed=0
JUDGE0_CE_ENDPOINT="$url" JUDGE0_CE_AUTH_HEADERS="{\"X-Auth-Token\": \"$token\"}" \
  JUDGE0_SUPPRESS_PREVIEW_WARNING=1 "$VENV/bin/python" scripts/api-compat/sdk_check.py || failed=$((failed + 1))

# One worker: hypothesis in threads trips a CPython 3.11 ast.parse bug ("AST constructor
# recursion depth mismatch") inside schemathesis itself.
# Run from the temp dir: schemathesis leaves a .schemathesis/ cache in its working directory.
venv_abs=$(pwd)/$VENV
# The WebSocket routes (/live, /api/v2/connect, /api/v2/piston/connect) are
# excluded: schemathesis speaks plain HTTP, so it would only ever test the
# refused upgrade; tests/live.rs (crates/flash) and api/live.rs test them.
# filter_too_much is hypothesis's own health check on the generator, not on
# the API: for one random seed of many (FUZZ_SEED=184641532501000037943984204656620017761)
# it stopped the fuzzing of PUT /sessions/{id}/files/{path}, whose path
# parameter (a pattern of segments inside a URL path) hypothesis mostly
# generates and then throws away; the examples it keeps still all run.
# FUZZ_SEED replays a run's seed (schemathesis prints it).
(cd "$data" && "$venv_abs/bin/schemathesis" run "$url/openapi.json" -H "X-Auth-Token: $token" -H "X-Auth-User: $token-admin" \
  --exclude-path-regex '^/live$|/connect$' \
  --checks not_a_server_error --max-examples "${FUZZ_EXAMPLES:-100}" --request-timeout 30 \
  --suppress-health-check filter_too_much ${FUZZ_SEED:+--seed "$FUZZ_SEED"} \
  --workers 1 --no-color) || failed=$((failed + 1))

check_server_log
# Three checks: the SDK, the fuzz, a clean server log.
echo "api-compat: $((3 - failed)) passed, $failed failed"
# Third-party Judge0, Piston and Jobe clients, a browser, Jobe, the per-API cost: on a
# server of their own, once this one (and what the fuzz queued) is gone.
cleanup
clients=0
bash scripts/clients-compat.sh || clients=1
[ "$failed" -eq 0 ] && [ "$clients" -eq 0 ]
