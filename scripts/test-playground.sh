#!/usr/bin/env bash
# End-to-end tests of the web playground (crates/playground/e2e) in Debian's
# headless Chromium, driven by playwright-core: run and debug Python and C++
# from the page, links, local storage, errors in words.
#
#   scripts/test-playground.sh               against a real `flash serve` started here
#                                            ($FLASH, default target/release/flash, built if missing)
#   FLASH_URL=http://127.0.0.1:2358 scripts/test-playground.sh    against a running server
#   scripts/test-playground.sh --mock        against e2e/mock-server.mjs (canned answers)
#   scripts/test-playground.sh --screenshot  also save the debugger view to docs/playground-debugger.png
#
# Installs, idempotently: Debian's chromium and chromium-driver (never a
# downloaded browser) and the pinned npm packages of e2e/package-lock.json.
# Starting flash serve needs root (the sandbox). Only loopback is contacted.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
mock=0
shot=
for arg in "$@"; do
  case "$arg" in
    --mock) mock=1 ;;
    --screenshot) shot="$root/docs/playground-debugger.png" ;;
    *) echo "usage: $0 [--mock] [--screenshot]" >&2; exit 2 ;;
  esac
done

# 1. The browser, from Debian.
if [ ! -x /usr/bin/chromium ] || [ ! -x /usr/bin/chromedriver ]; then
  echo "test-playground: installing chromium and chromium-driver"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq chromium chromium-driver
fi
if ! command -v npm >/dev/null 2>&1 || [ "$(node -p 'process.versions.node.split(".")[0]')" -lt 20 ]; then
  echo "test-playground: Node 20 or newer with npm is needed" >&2
  exit 1
fi

# 2. playwright-core (no browser download: playwright-core has no install step).
e2e=crates/playground/e2e
lock=$(sha256sum "$e2e/package-lock.json" | cut -d' ' -f1)
if [ "$(cat "$e2e/node_modules/.flash-lock" 2>/dev/null)" != "$lock" ]; then
  (cd "$e2e" && npm ci --no-audit --no-fund --loglevel=error)
  echo "$lock" > "$e2e/node_modules/.flash-lock"
fi

# 3. The server under test.
tmp=$(mktemp -d)
pid=
cleanup() {
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid"
    wait "$pid" 2>/dev/null || true
  fi
  rm -rf "$tmp"
}
trap cleanup EXIT
wait_for_address() { # $1: what prints "listening on http://127.0.0.1:PORT"
  for _ in $(seq 1 300); do
    grep -q 'listening on' "$tmp/out" 2>/dev/null && break
    kill -0 "$pid" 2>/dev/null || { cat "$tmp/log" >&2; echo "test-playground: $1 did not start" >&2; exit 1; }
    sleep 0.1
  done
  grep -o 'http://127\.0\.0\.1:[0-9]*' "$tmp/out" | head -n1
}
if [ -n "${FLASH_URL:-}" ]; then
  url=$FLASH_URL
elif [ "$mock" = 1 ]; then
  node "$e2e/mock-server.mjs" 0 >"$tmp/out" 2>"$tmp/log" &
  pid=$!
  url=$(wait_for_address "the mock server")
else
  FLASH=${FLASH:-target/release/flash}
  if [ "$FLASH" = target/release/flash ]; then
    cargo build --release -p flash --quiet
  fi
  "$FLASH" serve --listen 127.0.0.1:0 --data-dir "$tmp/data" --log-level warn >"$tmp/out" 2>"$tmp/log" &
  pid=$!
  url=$(wait_for_address "flash serve")
  # Read the whole page first: `curl | grep -q` under pipefail fails whenever grep
  # stops reading before curl has written everything (curl then exits 23).
  page=$(curl -fsS "$url/" 2>/dev/null || true)
  if ! grep -q '<title>Flash playground</title>' <<<"$page"; then
    echo "test-playground: $FLASH serve does not serve the playground at / (is flash_playground::router() merged?)" >&2
    echo "test-playground: use --mock to test the page against the mock server" >&2
    exit 1
  fi
fi
[ -n "$url" ] || { echo "test-playground: no server address" >&2; exit 1; }
echo "test-playground: testing $url"

# 4. The tests.
cd "$e2e"
FLASH_URL="$url" PLAYGROUND_SCREENSHOT="$shot" node --test --test-concurrency=1 --test-timeout=300000 playground.test.mjs
[ -z "$shot" ] || echo "test-playground: saved $shot"
