#!/usr/bin/env bash
# Installs what Flash and its tests need on Debian 12, idempotently: nothing is
# installed twice, and apt-get runs only when something is missing.
set -euo pipefail

need=()
have() { command -v "$1" >/dev/null 2>&1; }

# The languages of crates/engine/languages.toml, as "file that proves it is
# installed : Debian package(s)". The core set (installed by default, and in
# the `core` container image) and the rest (FLASH_SETUP_LANGUAGES=all, and
# the `full` image). Bash is part of every Debian system. Objective-C's
# gnustep-config asks make for the flags, and prints nothing without it.
CORE_LANGS='
/usr/bin/g++ g++
/usr/bin/gcc gcc
/usr/include/stdio.h libc6-dev
/usr/bin/python3 python3
/usr/bin/node nodejs
/usr/bin/javac openjdk-17-jdk-headless
/usr/bin/sqlite3 sqlite3
'
MORE_LANGS='
/usr/bin/nasm nasm
/usr/bin/mcs mono-mcs
/usr/bin/sbcl sbcl
/usr/bin/gdc gdc
/usr/bin/escript erlang-base
/usr/bin/elixir elixir
/usr/bin/gfortran gfortran
/usr/bin/go golang-go
/usr/bin/ghc ghc
/usr/bin/lua5.4 lua5.4
/usr/bin/ocamlopt ocaml-nox
/usr/bin/octave-cli octave
/usr/bin/fpc fp-compiler
/usr/bin/php php-cli
/usr/bin/gplc gprolog
/usr/bin/ruby ruby
/usr/bin/rustc rustc
/usr/bin/tsc node-typescript
/usr/bin/clang clang
/usr/bin/cobc gnucobol3
/usr/bin/kotlinc kotlin
/usr/bin/gnustep-config gobjc gnustep-make libgnustep-base-dev make
/usr/bin/Rscript r-base-core
/usr/bin/scalac scala
/usr/bin/perl perl
/usr/bin/clojure clojure
/usr/bin/groovy groovy
/usr/bin/racket racket
/usr/bin/nim nim
/usr/bin/crystal crystal
/usr/bin/gawk gawk
/usr/bin/beef beef
'
# `setup.sh --packages core|all`: print the Debian packages of a language set
# (one a line) and exit, installing nothing; deploy/container/Containerfile
# installs its flavour from this list.
if [ "${1:-}" = "--packages" ]; then
  case "${2:-}" in
    core) printf '%s\n' "$CORE_LANGS" ;;
    all) printf '%s\n' "$CORE_LANGS" "$MORE_LANGS" ;;
    *) echo "setup: --packages takes core or all" >&2; exit 2 ;;
  esac | awk 'NF > 1 { for (i = 2; i <= NF; i++) print $i }'
  exit 0
fi
missing_of() { # the packages of a table whose proof file is missing
  while read -r -a row; do
    [ ${#row[@]} -eq 0 ] || [ -e "${row[0]}" ] || need+=("${row[@]:1}")
  done <<<"$1"
}
missing_of "$CORE_LANGS"
/usr/bin/python3 -c 'import ensurepip' 2>/dev/null || need+=(python3-venv)
[ -x /usr/bin/gdb ] || need+=(gdb)
[ -x /usr/bin/redis-server ] || need+=(redis-server)
# systemd-analyze checks the deployment's unit files (deploy/systemd/verify.sh).
[ -x /usr/bin/systemd-analyze ] || need+=(systemd)
# FLASH_SETUP_LANGUAGES=all (or `--all-languages`): every language of
# crates/engine/languages.toml, from Debian 12's packages (on a bare Debian 12,
# 0.9 GB to download and 4.3 GB on disk beyond the core set's 229 MB and
# 712 MB; README "All languages"). The default is the core set.
langs="${FLASH_SETUP_LANGUAGES:-core}"
[ "${1:-}" = "--all-languages" ] && langs=all
case "$langs" in
  core) ;;
  all) missing_of "$MORE_LANGS" ;;
  *) echo "setup: FLASH_SETUP_LANGUAGES must be core or all, not '$langs'" >&2; exit 2 ;;
esac
if [ ${#need[@]} -gt 0 ]; then
  echo "setup: installing ${need[*]}"
  export DEBIAN_FRONTEND=noninteractive
  # man-db's index rebuild after each package is most of a big install's time.
  echo 'man-db man-db/auto-update boolean false' | debconf-set-selections 2>/dev/null || true
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${need[@]}"
fi
if ! have cargo; then
  echo "setup: cargo is missing; install Rust (rustup) first" >&2
  exit 1
fi
# The offline dependency checks of scripts/test.sh, from crates.io at the
# versions they were tried with (their own lock files: --locked). Each builds
# from source once, without the fat LTO and single codegen unit cargo-deny's
# own release profile asks for (they make its build 4 times longer; these
# checks take under a second either way): about 105 s and 224 s on a busy
# 2-core machine (952 s for cargo-deny with its own profile).
tool_profile=(env CARGO_PROFILE_RELEASE_LTO=off CARGO_PROFILE_RELEASE_CODEGEN_UNITS=16
  CARGO_PROFILE_RELEASE_OPT_LEVEL=1 CARGO_PROFILE_RELEASE_DEBUG=0)
have cargo-machete || "${tool_profile[@]}" cargo install --locked cargo-machete@0.9.2
have cargo-deny || "${tool_profile[@]}" cargo install --locked cargo-deny@0.20.2
