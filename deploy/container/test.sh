#!/usr/bin/env bash
# The container recipes, run for real: builds the images (deploy/container/
# build.sh), starts compose.yaml (single node) and compose.split.yaml (server,
# two workers, Redis) with podman-compose, and checks each with `flash check`
# inside a container and deploy/smoke.py (one submission per language, the
# limits, the debugger). Exits non-zero on the first failure. Root; what is
# missing (podman, podman-compose, debootstrap) is installed by build.sh and
# here. Part of scripts/test.sh.
set -euo pipefail
cd "$(dirname "$0")/../.."
[ -x target/release/flash ] || cargo build --release -p flash
command -v podman-compose >/dev/null ||
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends podman-compose >/dev/null
say() { printf '[container-test %(%T)T] %s\n' -1 "$*" >&2; }

bash deploy/container/build.sh >/tmp/flash-container-build.log 2>&1 || {
    tail -30 /tmp/flash-container-build.log >&2
    exit 1
}
# shellcheck source=podman-env.sh
. deploy/container/podman-env.sh >/dev/null

export REDIS_PASSWORD=${REDIS_PASSWORD:-$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')}
current=
down() {
    if [ -n "$current" ]; then
        podman-compose -f "$current" down -t 40 >/dev/null 2>&1 || true
    fi
    current=
}
trap down EXIT

for file in deploy/container/compose.yaml deploy/container/compose.split.yaml; do
    say "$file: up"
    current=$file
    t0=$(date +%s%N)
    podman-compose -f "$file" up -d >/tmp/flash-compose.log 2>&1 || {
        cat /tmp/flash-compose.log >&2
        exit 1
    }
    python3 deploy/smoke.py http://127.0.0.1:2358
    say "$file: all Accepted $(( ($(date +%s%N) - t0) / 1000000 )) ms after up"
    # flash check inside a sandboxing container (the single node, or a worker).
    ctr=$(podman ps --format '{{.Names}}' | grep -E 'flash_1$|worker' | head -1)
    podman exec "$ctr" flash check | tail -4
    down
done
say "OK"
