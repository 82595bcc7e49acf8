#!/usr/bin/env bash
# Starts Flash on this machine: installs what is missing, builds the release
# binary, checks the host, then serves the HTTP API (native + Judge0-compatible)
# with workers and the embedded queue on 127.0.0.1:2358 (Judge0's port).
# Extra arguments go to `flash serve` (see `flash serve --help`).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
cargo build --release --quiet
./target/release/flash check
exec ./target/release/flash serve "$@"
