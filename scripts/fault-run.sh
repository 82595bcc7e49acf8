#!/usr/bin/env bash
# The fault run (issue 13): mixed traffic (every language, every verdict,
# hostile programs, debug requests, clients that hang up) for a fixed time
# while the service is killed and restarted; then every accepted job must
# have exactly one result and the service's memory, fds and threads must be
# back at their starting level. A benchmark: it prints its figures.
#   FAULT_SECONDS=600 bash scripts/fault-run.sh           # embedded (flash serve)
#   FAULT_MODE=split FAULT_SECONDS=600 bash scripts/fault-run.sh   # Redis, server, workers
# Needs root (the sandbox) and, in split mode, redis-server. Uses $FLASH if
# set, else builds target/debug/flash.
set -euo pipefail
cd "$(dirname "$0")/.."
FLASH=${FLASH:-target/debug/flash}
if [ "$FLASH" = target/debug/flash ]; then
  cargo build -p flash --quiet
fi
exec /usr/bin/python3 scripts/fault-run/run.py --flash "$FLASH" --seconds "${FAULT_SECONDS:-600}" \
  --mode "${FAULT_MODE:-embedded}" --fault-every "${FAULT_EVERY:-20}"
