#!/usr/bin/env bash
# Starts a private redis-server for trying split mode by hand (the tests start
# their own): installs redis-server if missing, starts it on 127.0.0.1 and a
# free port with appendonly on and no RDB snapshots, in a temporary directory,
# and prints its URL. Idempotent: a server this script started and that still
# runs is reused. Stop it with: redis-cli -u "$(bash scripts/redis-test-setup.sh)" shutdown
set -euo pipefail
state=${FLASH_REDIS_STATE:-/tmp/flash-redis-test}
if ! command -v redis-server >/dev/null 2>&1; then
  echo "redis-test-setup: installing redis-server" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends redis-server >&2
fi
mkdir -p "$state"
if [ -f "$state/port" ] && redis-cli -p "$(cat "$state/port")" ping >/dev/null 2>&1; then
  echo "redis://127.0.0.1:$(cat "$state/port")"
  exit 0
fi
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
redis-server --bind 127.0.0.1 --port "$port" --protected-mode yes --save '' --appendonly yes \
  --dir "$state" --daemonize yes --logfile "$state/redis.log" --pidfile "$state/redis.pid" >&2
for _ in $(seq 100); do
  redis-cli -p "$port" ping >/dev/null 2>&1 && break
  sleep 0.05
done
redis-cli -p "$port" ping >/dev/null
echo "$port" > "$state/port"
echo "redis://127.0.0.1:$port"
