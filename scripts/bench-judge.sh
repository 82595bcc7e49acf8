#!/usr/bin/env bash
# Grading cost, measured in one run (nothing asserted): a C++ solution on a
# generated package with 50 test cases, judged by `flash judge` with a cold and
# a warm compile cache, against the plain floor (g++ once, then the 50 runs and
# a diff each, outside any sandbox) and the Judge0 way (one compile per test
# case: `flash exec` with an empty cache per test). Prints seconds and ratios.
set -euo pipefail
cd "$(dirname "$0")/.."
FLASH=${FLASH:-target/release/flash}
[[ -x $FLASH ]] || cargo build -q --release -p flash
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
pkg=$work/sum50
mkdir -p "$pkg/data/sample" "$pkg/data/secret" "$pkg/submissions/accepted"
printf 'name: Sum\n' >"$pkg/problem.yaml"
echo 2 >"$pkg/.timelimit"
cat >"$pkg/submissions/accepted/sum.cpp" <<'CPP'
#include <cstdio>
int main() {
    int n;
    long long s = 0, x;
    if (scanf("%d", &n) != 1) return 1;
    while (n-- && scanf("%lld", &x) == 1) s += x;
    printf("%lld\n", s);
}
CPP
python3 - "$pkg" <<'PY'
import random, sys
random.seed(50)
for i in range(50):
    v = [random.randint(-10**9, 10**9) for _ in range(1000)]
    d = "sample" if i == 0 else "secret"
    open(f"{sys.argv[1]}/data/{d}/{i:02}.in", "w").write(f"{len(v)}\n{' '.join(map(str, v))}\n")
    open(f"{sys.argv[1]}/data/{d}/{i:02}.ans", "w").write(f"{sum(v)}\n")
PY
sol=$pkg/submissions/accepted/sum.cpp
now() { date +%s.%N; }
t0=$(now)
g++ -std=c++17 -O2 -pipe -o "$work/plain" "$sol"
for f in "$pkg"/data/*/*.in; do "$work/plain" <"$f" | diff -q - "${f%.in}.ans" >/dev/null; done
t1=$(now)
"$FLASH" judge --cache-dir "$work/cache" "$pkg" "$sol" >/dev/null
t2=$(now)
"$FLASH" judge --cache-dir "$work/cache" "$pkg" "$sol" >/dev/null
t3=$(now)
for f in "$pkg"/data/*/*.in; do
  rm -rf "$work/j0"
  "$FLASH" exec --cache-dir "$work/j0" "$sol" --stdin "$f" --expected "${f%.in}.ans" >/dev/null
done
t4=$(now)
python3 - "$t0" "$t1" "$t2" "$t3" "$t4" <<'PY'
import sys
t = [float(x) for x in sys.argv[1:]]
plain, cold, warm, j0 = t[1] - t[0], t[2] - t[1], t[3] - t[2], t[4] - t[3]
print(f"50 tests, C++: plain floor {plain:.2f} s | flash judge cold {cold:.2f} s ({cold/plain:.2f}x) "
      f"| warm cache {warm:.2f} s ({warm/plain:.2f}x) | Judge0 way, a compile per test {j0:.2f} s ({j0/cold:.1f}x flash cold)")
PY
