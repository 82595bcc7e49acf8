#!/usr/bin/env bash
# The whole test suite: formatting, lints, and every test, including the
# root-only sandbox tests (which fail rather than skip here, see
# FLASH_REQUIRE_ROOT_TESTS). This is what CI runs.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export FLASH_REQUIRE_ROOT_TESTS=1
export CARGO_TERM_COLOR=never
cargo fmt --all -- --check
cargo clippy --workspace --all-targets -- -D warnings
if command -v cargo-nextest >/dev/null 2>&1; then
  cargo nextest run --workspace --no-fail-fast
  # nextest does not run doctests
  cargo test --workspace --doc
else
  cargo test --workspace --no-fail-fast
fi
# The Judge0 Python SDK and a schema-driven fuzz against a real `flash serve` (root, PyPI).
bash scripts/api-compat.sh
# The playground: its committed bundle matches its sources, and the page works in
# Debian's headless Chromium against a real `flash serve` (run, debug, errors).
bash scripts/build-playground.sh --check
FLASH=target/debug/flash bash scripts/test-playground.sh
