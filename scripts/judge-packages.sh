#!/usr/bin/env bash
# Judges every submission of every problem package under tests/problems with
# `flash judge --submissions` (as root: real sandboxes) and fails when any
# verdict does not match its submissions/<folder>/. Uses $FLASH if set, else
# builds the debug binary.
set -euo pipefail
cd "$(dirname "$0")/.."
if [[ -z "${FLASH:-}" ]]; then
  cargo build -q -p flash
  FLASH=target/debug/flash
fi
cache=$(mktemp -d)
trap 'rm -rf "$cache"' EXIT
failed=0
for pkg in tests/problems/*/; do
  if ! "$FLASH" judge --cache-dir "$cache" "$pkg" --submissions; then
    failed=1
  fi
done
# The compile cache serves a second judging of the same solution.
pkg=tests/problems/hypot
out=$("$FLASH" judge --cache-dir "$cache" --json "$pkg" "$pkg/submissions/accepted/hypot.cpp")
if ! grep -q '"compile_cached": true' <<<"$out"; then
  echo "judge-packages: a second judging of hypot.cpp compiled again" >&2
  failed=1
fi
if [[ $failed -ne 0 ]]; then
  echo "judge-packages: some submissions did not get the verdict their folder says" >&2
  exit 1
fi
echo "judge-packages: every submission as its folder says"
