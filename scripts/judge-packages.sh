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
# A checker that crashes, or exits with a code outside its protocol, is a
# judge error (JE), never the contestant's wrong answer.
work=$(mktemp -d)
trap 'rm -rf "$cache" "$work"' EXIT
for body in 'int *p = nullptr; return *p;' 'return 0;' 'return 1;'; do
  rm -rf "$work/bad"
  cp -r tests/problems/anypair "$work/bad"
  printf 'int main() { %s }\n' "$body" >"$work/bad/output_validators/pair/validate.cpp"
  out=$("$FLASH" judge --cache-dir "$cache" --json "$work/bad" "$work/bad/submissions/accepted/half.cpp")
  if ! grep -q '"verdict": "JE"' <<<"$out" || grep -q '"verdict": "WA"' <<<"$out"; then
    echo "judge-packages: a checker doing '$body' was not a judge error" >&2
    failed=1
  fi
done
# A test case linked to a file outside the package is refused with a clear error.
rm -rf "$work/bad"
cp -r tests/problems/hypot "$work/bad"
echo secret >"$work/outside.in"
ln -s "$work/outside.in" "$work/bad/data/secret/05-link.in"
cp "$work/bad/data/secret/01-small.ans" "$work/bad/data/secret/05-link.ans"
if err=$("$FLASH" judge --cache-dir "$cache" "$work/bad" "$work/bad/submissions/accepted/hypot.py" 2>&1); then
  echo "judge-packages: a package linking outside itself was judged" >&2
  failed=1
elif ! grep -q 'data/secret/05-link.in: a symlink that leads outside the package' <<<"$err"; then
  echo "judge-packages: unclear error for a link outside the package: $err" >&2
  failed=1
fi
if [[ $failed -ne 0 ]]; then
  echo "judge-packages: some submissions did not get the verdict their folder says" >&2
  exit 1
fi
echo "judge-packages: every submission as its folder says"
