#!/usr/bin/env bash
# Existing clients, unchanged, against a real `flash serve` on 127.0.0.1
# (issue #14). Called by scripts/api-compat.sh (so by scripts/test.sh).
#  1. Python client libraries from PyPI, pinned in clients-compat/requirements.txt:
#     judge0api, judge0-client, judge0-api-wrapper (Judge0), aiopyston and
#     pistonapi (Piston): every language each can name (clients-compat/py_clients.py);
#  2. the npm library piston-client, pinned in clients-compat/package-lock.json;
#  3. a page on another loopback origin calling the Judge0 and Piston APIs from
#     Debian's headless Chromium (CORS and preflights for real; browser.test.mjs);
#  4. the Jobe API as CodeRunner uses it: every outcome, the file cache, a
#     Python job running gcc and sqlite3 (jobe_check.py);
#  5. a Judge0 multi-file Catch2 project bigger than the file-size limit
#     (judge0_multifile.py);
#  6. per-request cost of each API against the native one (bench_apis.py).
# Needs root (the sandbox). Uses $FLASH if set, else builds target/debug/flash.
# Installs, idempotently: chromium and catch from Debian, a virtualenv in
# target/clients-venv, the npm packages in scripts/clients-compat/node_modules.
set -euo pipefail
cd "$(dirname "$0")/.."
dir=scripts/clients-compat
FLASH=${FLASH:-target/debug/flash}
if [ "$FLASH" = target/debug/flash ]; then
  cargo build -p flash --quiet
fi
need=()
[ -x /usr/bin/chromium ] || need+=(chromium)
[ -f /usr/include/catch.hpp ] || need+=(catch) # Catch2's single header, for the multi-file check
if [ "${#need[@]}" -gt 0 ]; then
  echo "clients-compat: installing ${need[*]}"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fi
VENV=target/clients-venv
[ -x "$VENV/bin/python" ] || /usr/bin/python3 -m venv "$VENV"
"$VENV/bin/pip" install -q --disable-pip-version-check -r "$dir/requirements.txt"
lock=$(sha256sum "$dir/package-lock.json" | cut -d' ' -f1)
if [ "$(cat "$dir/node_modules/.flash-lock" 2>/dev/null)" != "$lock" ]; then
  (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error)
  echo "$lock" > "$dir/node_modules/.flash-lock"
fi

who=clients-compat
. scripts/lib-serve.sh
# No X-Auth-Token: Piston clients cannot send one (the browser's calls are
# preflighted anyway: their JSON content type). The authorization token is for
# judge0-api-wrapper, which checks /authorize; a small queue lets the Jobe
# check reach outcome 21.
start_serve --workers 2 --authz-token admin --jobe-api-key jobe-key --max-queue-size 4
export FLASH_URL=$url

failed=0
checks=0
check() { # name, command...
  local name=$1
  shift
  checks=$((checks + 1))
  if "$@"; then echo "clients-compat: $name passed"; else echo "clients-compat: $name FAILED" >&2; failed=$((failed + 1)); fi
}
check "python clients" env FLASH_AUTHZ_TOKEN=admin "$VENV/bin/python" "$dir/py_clients.py"
check "jobe" env JOBE_KEY=jobe-key "$VENV/bin/python" "$dir/jobe_check.py"
check "judge0 multi-file (Catch2)" "$VENV/bin/python" "$dir/judge0_multifile.py"
for t in piston_client browser; do
  check "$t" node --test --test-concurrency=1 --test-timeout=300000 "$dir/$t.test.mjs"
done
check "bench" env JOBE_KEY=jobe-key "$VENV/bin/python" "$dir/bench_apis.py" --requests "${BENCH_REQUESTS:-100}"
check_server_log
echo "clients-compat: $((checks - failed)) of $checks passed"
[ "$failed" -eq 0 ]
