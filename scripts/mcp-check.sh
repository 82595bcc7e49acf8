#!/usr/bin/env bash
# `flash mcp` through the official MCP Python SDK (scripts/mcp-check.py): over
# stdio and Streamable HTTP (embedded), and over HTTP as a client of a
# `flash serve` it starts; every server on loopback, in temporary data
# directories. Needs root (the sandbox). Extra arguments go to the script:
#   --sessions   also walk a session (needs the native sessions API)
#   --bench      measure run_code latency over stdio instead (docs/mcp.md)
# Uses $FLASH if set, else target/release/flash (built if missing). The
# virtualenv (target/mcp-venv, apart from api-compat's) is made once.
set -euo pipefail
cd "$(dirname "$0")/.."
FLASH=${FLASH:-target/release/flash}
if [ "$FLASH" = target/release/flash ] && [ ! -x "$FLASH" ]; then
  cargo build --release -p flash --quiet
fi
VENV=target/mcp-venv
if [ ! -x "$VENV/bin/python" ]; then
  /usr/bin/python3 -m venv "$VENV"
fi
"$VENV/bin/pip" install -q --disable-pip-version-check -r scripts/mcp-check.requirements.txt
exec "$VENV/bin/python" scripts/mcp-check.py --flash "$FLASH" "$@"
