#!/usr/bin/env bash
# Builds the web playground's bundle: crates/playground/web (TypeScript,
# CodeMirror 6) -> crates/playground/assets (committed; the flash-playground
# crate embeds it, so a Rust build needs no npm).
#
#   scripts/build-playground.sh           npm ci, type-check, unit tests, bundle
#   scripts/build-playground.sh --check   the same, but only fail if assets/ is stale
#                                         (.gz twins included: each must decompress
#                                         to its file and be what the build makes)
#
# Steps: `npm ci` installs the pinned packages of package-lock.json (esbuild,
# TypeScript, CodeMirror; skipped when node_modules already matches the lock),
# `tsc --noEmit` type-checks, `node build.mjs --test` runs the unit tests of
# web/test, `node build.mjs` bundles with esbuild into assets/:
# index.html, app-<hash>.js plus chunk-<hash>.js (one per grammar, loaded when a
# language is picked), app-<hash>.css, licenses.txt, and a .gz of each.
# Only the npm registry is contacted, and only by npm ci.
set -euo pipefail
cd "$(dirname "$0")/../crates/playground/web"
if ! command -v npm >/dev/null 2>&1; then
  echo "build-playground: node and npm (Node 20 or newer) are needed" >&2
  exit 1
fi
# npm ci starts from scratch; skip it when node_modules was installed from this lock.
lock=$(sha256sum package-lock.json | cut -d' ' -f1)
if [ "$(cat node_modules/.flash-lock 2>/dev/null)" != "$lock" ]; then
  npm ci --no-audit --no-fund --loglevel=error
  echo "$lock" > node_modules/.flash-lock
fi
npx --no-install tsc --noEmit -p .
node build.mjs --test
if [ "${1:-}" = --check ]; then
  node build.mjs --check
else
  node build.mjs
fi
