#!/usr/bin/env bash
# Starts Flash on this machine: installs what is missing, builds the release
# binary, checks the host. Until the HTTP service exists (issue #4) it then
# runs a sample program in a box; afterwards this becomes `flash serve`.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
cargo build --release --quiet
./target/release/flash check
echo
echo '$ echo world | flash run --meta - -- /bin/sh -c "echo hello; cat"'
echo world | ./target/release/flash run --meta - -- /bin/sh -c 'echo hello; cat'
