#!/usr/bin/env bash
# Installs what Flash and its tests need on Debian 12, idempotently: nothing is
# installed twice, and apt-get runs only when something is missing.
set -euo pipefail

need=()
have() { command -v "$1" >/dev/null 2>&1; }
[ -x /usr/bin/g++ ] || need+=(g++)
[ -x /usr/bin/gcc ] || need+=(gcc)
[ -f /usr/lib/x86_64-linux-gnu/libc.a ] || need+=(libc6-dev)
[ -x /usr/bin/python3 ] || need+=(python3)
/usr/bin/python3 -c 'import ensurepip' 2>/dev/null || need+=(python3-venv)
[ -x /usr/bin/node ] || need+=(nodejs)
[ -x /usr/bin/javac ] || need+=(openjdk-17-jdk-headless)
[ -x /usr/bin/sqlite3 ] || need+=(sqlite3)
[ -x /usr/bin/gdb ] || need+=(gdb)
[ -x /usr/bin/redis-server ] || need+=(redis-server)
# systemd-analyze checks the deployment's unit files (deploy/systemd/verify.sh).
[ -x /usr/bin/systemd-analyze ] || need+=(systemd)
if [ ${#need[@]} -gt 0 ]; then
  echo "setup: installing ${need[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${need[@]}"
fi
if ! have cargo; then
  echo "setup: cargo is missing; install Rust (rustup) first" >&2
  exit 1
fi
