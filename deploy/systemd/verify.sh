#!/usr/bin/env bash
# Checks the unit files offline with `systemd-analyze verify` (and prints
# `systemd-analyze security` exposure). verify exits 0 on unknown keys or
# bad values (it only warns), so any output at all counts as a failure here.
# Runs against a scratch root so /usr/local/bin/flash need not be installed:
#   bash deploy/systemd/verify.sh [path/to/flash]   # default: target/release/flash
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
bin=${1:-$here/../../target/release/flash}
root=$(mktemp -d /tmp/flash-unit-root.XXXXXX)
trap 'rm -rf "$root"' EXIT
mkdir -p "$root/usr/local/bin" "$root/usr/lib/systemd" "$root/etc/systemd/system"
ln -s usr/lib "$root/lib"; ln -s usr/bin "$root/bin"
if [ -x "$bin" ]; then cp "$bin" "$root/usr/local/bin/flash"; else
    echo "verify.sh: no binary at $bin; using a stand-in" >&2
    printf '#!/bin/sh\n' > "$root/usr/local/bin/flash"; chmod +x "$root/usr/local/bin/flash"
fi
cp -a /usr/lib/systemd/system "$root/usr/lib/systemd/"
cp "$here"/*.service "$root/etc/systemd/system/"
fail=0
for unit in "$here"/*.service; do
    u=$(basename "$unit")
    out=$(systemd-analyze verify --root="$root" "$u" 2>&1) || fail=1
    if [ -n "$out" ]; then echo "$out"; fail=1; echo "FAIL $u"; else
        echo "ok   $u ($(systemd-analyze security --offline=true --root="$root" "$u" 2>&1 | tail -1 | sed 's/.*: //'))"
    fi
done
exit $fail
