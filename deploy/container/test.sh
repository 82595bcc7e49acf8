#!/usr/bin/env bash
# The container recipes, run for real, in both flavours: builds the images
# (deploy/container/build.sh; `core` and `full`), starts compose.yaml (single
# node) with each and compose.split.yaml (server, two workers, Redis) with
# `core`, and checks each with `flash check` inside a container,
# deploy/smoke.py (the core languages, the limits, the debugger) and
# deploy/container/languages.py (a hello world per listed language; for
# `full`, every language of languages.toml must be listed). Exits non-zero on
# the first failure. Root; what is missing (podman, podman-compose,
# debootstrap) is installed by build.sh and here. Part of scripts/test.sh.
# FLASH_CONTAINER_FLAVOURS="core full" (the default) picks the flavours.
set -euo pipefail
cd "$(dirname "$0")/../.."
[ -x target/release/flash ] || cargo build --release -p flash
command -v podman-compose >/dev/null ||
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends podman-compose >/dev/null
say() { printf '[container-test %(%T)T] %s\n' -1 "$*" >&2; }

flavours=${FLASH_CONTAINER_FLAVOURS:-core full}
for flavour in $flavours; do
    say "building localhost/flash:$flavour"
    t0=$(date +%s)
    # Redis (for compose.split.yaml) once, with the core image.
    redis=; [ "$flavour" != core ] || redis=localhost/redis:7-bookworm
    FLASH_FLAVOUR=$flavour REDIS_IMAGE=$redis bash deploy/container/build.sh \
        >"/tmp/flash-container-build-$flavour.log" 2>&1 || {
        tail -30 "/tmp/flash-container-build-$flavour.log" >&2
        exit 1
    }
    say "localhost/flash:$flavour: $(podman image inspect -f '{{.Size}}' "localhost/flash:$flavour" | numfmt --to=si) built in $(($(date +%s) - t0)) s"
done
# shellcheck source=podman-env.sh
. deploy/container/podman-env.sh >/dev/null

export REDIS_PASSWORD=${REDIS_PASSWORD:-$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')}
current=
# podman-compose 1.0.3 leaves the project's network behind: one made before
# name resolution between containers was installed (build.sh) would keep
# lacking it, so each run starts without one.
forget_networks() {
    podman network ls -q --filter label=io.podman.compose.project=container |
        xargs -r podman network rm -f >/dev/null 2>&1 || true
}
down() {
    if [ -n "$current" ]; then
        # -v: each run starts with an empty data volume (job database and
        # compile cache), the same for both flavours.
        podman-compose -f "$current" down -v -t 40 >/dev/null 2>&1 || true
        forget_networks
    fi
    current=
}
trap down EXIT
forget_networks

# (compose file, flavour): the single node in each flavour, split mode in core.
runs=()
for flavour in $flavours; do runs+=("deploy/container/compose.yaml $flavour"); done
case " $flavours " in *" core "*) runs+=("deploy/container/compose.split.yaml core") ;; esac
for run in "${runs[@]}"; do
    read -r file flavour <<<"$run"
    export FLASH_FLAVOUR=$flavour
    say "$file ($flavour): up"
    current=$file
    t0=$(date +%s%N)
    podman-compose -f "$file" up -d >/tmp/flash-compose.log 2>&1 || {
        cat /tmp/flash-compose.log >&2
        exit 1
    }
    python3 deploy/smoke.py http://127.0.0.1:2358
    all=; [ "$flavour" = full ] && all=--all
    python3 deploy/container/languages.py http://127.0.0.1:2358 $all
    say "$file ($flavour): all Accepted $(( ($(date +%s%N) - t0) / 1000000 )) ms after up"
    # flash check inside a sandboxing container (the single node, or a worker).
    ctr=$(podman ps --format '{{.Names}}' | grep -E 'flash_1$|worker' | head -1)
    podman exec "$ctr" flash check | tail -4
    down
done
say "OK"
