#!/usr/bin/env bash
# The whole test suite: formatting, lints, dependency checks, and every test,
# including the root-only ones. This is what CI runs, as root.
set -euo pipefail
cd "$(dirname "$0")/.."
# Every language: the engine's corpus tests judge each one (README "Languages").
FLASH_SETUP_LANGUAGES=all bash scripts/setup.sh
# A missing redis-server fails the tests that need it instead of skipping them
# (flash_testkit::redis_for_tests, crates/testkit; setup.sh installs it).
export FLASH_REQUIRE_ROOT_TESTS=1
export CARGO_TERM_COLOR=never
cargo fmt --all -- --check
# Clippy also holds the code to the workspace's rust-version (incompatible_msrv).
cargo clippy --workspace --all-targets -- -D warnings
# Offline dependency checks (both installed by setup.sh): no unused
# dependencies; licenses, bans and sources as deny.toml says (its advisories
# need GitHub, see there).
cargo machete
# cargo-deny reads the metadata of every platform's dependencies, which a
# build for this one never downloads (android_system_properties, ...): fetch
# them from the registry first (a no-op once they are here).
cargo fetch --locked
cargo deny --offline check licenses bans sources
# The root-only tests are #[ignore]d ("needs root"), so that a run without root
# reports them as skipped instead of passed; here, as root, they all run (and
# fail, not skip, if this is not root). No test is ignored for another reason.
if command -v cargo-nextest >/dev/null 2>&1; then
  cargo nextest run --workspace --no-fail-fast --run-ignored all
  # nextest does not run doctests
  cargo test --workspace --doc
else
  cargo test --workspace --no-fail-fast -- --include-ignored
fi
# The Judge0 Python SDK and a schema-driven fuzz against a real `flash serve` (root, PyPI).
bash scripts/api-compat.sh
# The fault run, short: traffic while flash serve is killed and restarted, then
# every accepted job has one result and fds/threads/memory are back at their
# level (scripts/fault-run.sh; the 10-minute runs are a benchmark).
FLASH=target/debug/flash FAULT_SECONDS=60 FAULT_EVERY=15 bash scripts/fault-run.sh
# The playground: its committed bundle matches its sources, and the page works in
# Debian's headless Chromium against a real `flash serve` (run, debug, errors).
bash scripts/build-playground.sh --check
FLASH=target/debug/flash bash scripts/test-playground.sh
# Problem packages (ICPC/Kattis format): every submission of every package in
# tests/problems gets the verdict its submissions/<folder>/ says.
FLASH=target/debug/flash bash scripts/judge-packages.sh
# Deployment recipes: the systemd units (systemd-analyze, warnings fail), the
# Kubernetes manifests (their schemas, offline), and the container image and
# compose files built and run with podman (flash check and a submission per
# language inside). They ship the release binary.
cargo build --release -p flash
bash deploy/systemd/verify.sh
bash deploy/k8s/validate.sh
# CI builds the core flavour (single node and split); the full one (every
# language: 1.1 GB of packages, 5 to 8.5 minutes to build from nothing) is
# built and checked with FLASH_CONTAINER_FLAVOURS="core full".
FLASH_CONTAINER_FLAVOURS=${FLASH_CONTAINER_FLAVOURS:-core} bash deploy/container/test.sh
# `flash mcp` through the official MCP Python SDK (the release binary built above):
# stdio and Streamable HTTP, embedded and as a client of a `flash serve`, sessions
# included (docs/mcp.md).
FLASH=target/release/flash bash scripts/mcp-check.sh --sessions
# Pure cgroup v2 on stock Debian kernels (Debian 11's 5.10, Debian 12's 6.1,
# bookworm-backports' 6.12) in QEMU: every layout, the hostile tests, a run per
# language and the memory figures (tests/vm/README.md). The sandbox bench in
# the guest is recorded, not judged: CI leaves it out (about 2 minutes).
FLASH_VM_BENCH_ON=none bash tests/vm/run.sh
