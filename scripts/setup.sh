#!/usr/bin/env bash
# Installs what Flash and its tests need on Debian 12, idempotently: nothing is
# installed twice, and apt-get runs only when something is missing.
set -euo pipefail

need=()
have() { command -v "$1" >/dev/null 2>&1; }
[ -x /usr/bin/g++ ] || need+=(g++)
[ -x /usr/bin/gcc ] || need+=(gcc)
[ -f /usr/lib/x86_64-linux-gnu/libc.a ] || need+=(libc6-dev)
[ -x /usr/bin/python3 ] || need+=(python3)
/usr/bin/python3 -c 'import ensurepip' 2>/dev/null || need+=(python3-venv)
[ -x /usr/bin/node ] || need+=(nodejs)
[ -x /usr/bin/javac ] || need+=(openjdk-17-jdk-headless)
[ -x /usr/bin/sqlite3 ] || need+=(sqlite3)
[ -x /usr/bin/gdb ] || need+=(gdb)
[ -x /usr/bin/redis-server ] || need+=(redis-server)
# systemd-analyze checks the deployment's unit files (deploy/systemd/verify.sh).
[ -x /usr/bin/systemd-analyze ] || need+=(systemd)
# FLASH_SETUP_LANGUAGES=all (or `--all-languages`): every language of
# crates/engine/languages.toml, from Debian 12's packages (about 800 MB to
# download, 3.8 GB on disk; README "All languages"). The default is the core set.
langs="${FLASH_SETUP_LANGUAGES:-core}"
[ "${1:-}" = "--all-languages" ] && langs=all
case "$langs" in
  core) ;;
  all)
    # binary that proves it is installed : Debian package(s)
    while read -r bin pkgs; do
      [ -x "$bin" ] || need+=($pkgs)
    done <<'LANGS'
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
/usr/bin/gnustep-config gobjc libgnustep-base-dev
/usr/bin/Rscript r-base-core
/usr/bin/scalac scala
/usr/bin/perl perl
/usr/bin/clojure clojure
/usr/bin/groovy groovy
/usr/bin/racket racket
/usr/bin/nim nim
/usr/bin/crystal crystal
/usr/bin/gawk gawk
LANGS
    ;;
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
