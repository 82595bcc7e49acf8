#!/usr/bin/env bash
# An interactive problem with 1000 rounds of dialogue (the interactor sends a
# number, the solution answers it plus one), measured in one run, nothing
# asserted: the dialogue inside Flash (the solution's box and the
# interactor's joined by pipes; from when both programs were running to the
# solution's end, so box set-up is excluded) against the same two programs
# joined by plain pipes outside any sandbox (from spawning both to the
# solution's end). Best of 9 each. Prints seconds and the ratio.
set -euo pipefail
cd "$(dirname "$0")/.."
FLASH=${FLASH:-target/release/flash}
[[ -x $FLASH ]] || cargo build -q --release -p flash
ROUNDS=${ROUNDS:-1000}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
pkg=$work/echo
mkdir -p "$pkg/data/sample" "$pkg/data/secret" "$pkg/output_validator" "$pkg/submissions/accepted"
printf 'problem_format_version: 2023-07-draft\ntype: interactive\nname: Echo\nlimits:\n  time_limit: 5\n' >"$pkg/problem.yaml"
echo "$ROUNDS" >"$pkg/data/secret/1.in"
echo "$ROUNDS" >"$pkg/data/secret/1.ans"
cat >"$pkg/output_validator/echo.cpp" <<'CPP'
#include <cstdio>
int main(int argc, char **argv) {
    FILE *in = fopen(argv[1], "r");
    int n;
    if (!in || fscanf(in, "%d", &n) != 1) return 1;
    for (int i = 1; i <= n; i++) {
        printf("%d\n", i);
        fflush(stdout);
        int r;
        if (scanf("%d", &r) != 1 || r != i + 1) return 43;
    }
    printf("0\n");
    fflush(stdout);
    return 42;
}
CPP
cat >"$pkg/submissions/accepted/echo.cpp" <<'CPP'
#include <cstdio>
int main() {
    int x;
    while (scanf("%d", &x) == 1 && x != 0) {
        printf("%d\n", x + 1);
        fflush(stdout);
    }
}
CPP
g++ -O2 -o "$work/interactor" "$pkg/output_validator/echo.cpp"
g++ -O2 -o "$work/solution" "$pkg/submissions/accepted/echo.cpp"
mkdir -p "$work/feedback"
plain=$(python3 - "$work" "$pkg/data/secret/1.in" <<'PY'
import os, subprocess, sys, time
work, inp = sys.argv[1], sys.argv[2]
best = None
for _ in range(9):
    a_r, a_w = os.pipe()  # solution -> interactor
    b_r, b_w = os.pipe()  # interactor -> solution
    t = time.monotonic()
    v = subprocess.Popen([f"{work}/interactor", inp, inp, f"{work}/feedback/"], stdin=a_r, stdout=b_w)
    s = subprocess.Popen([f"{work}/solution"], stdin=b_r, stdout=a_w)
    for fd in (a_r, a_w, b_r, b_w):
        os.close(fd)
    s.wait()
    took = time.monotonic() - t
    assert v.wait() == 42, "the plain run did not finish its dialogue"
    best = took if best is None else min(best, took)
print(f"{best:.4f}")
PY
)
best=""
for _ in 1 2 3 4 5 6 7 8 9; do
  wall=$("$FLASH" judge --cache-dir "$work/cache" --json "$pkg" "$pkg/submissions/accepted/echo.cpp" \
    | python3 -c 'import json,sys; r=json.load(sys.stdin); assert r["verdict"]=="AC", r; print(r["tests"][0]["dialogue_wall"])')
  best=$(python3 -c "print(min(x for x in [$wall, ${best:-$wall}]))")
done
python3 -c "p=$plain; f=$best; print(f'$ROUNDS rounds: plain pipes {p*1000:.1f} ms | in two Flash boxes {f*1000:.1f} ms | ratio {f/p:.2f}x')"
