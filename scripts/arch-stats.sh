#!/usr/bin/env bash
# Figures for the architecture issue's before/after notes, for the checkout it
# runs in:
#   - the crates, and lines of Rust in each (src/ and tests/ apart; unit tests
#     inside src/ count as src);
#   - the 15 longest functions of crates/*/src (approximate: a brace counter
#     that skips strings, chars and comments but knows no macros);
#   - tests that need root (ignored: scripts/test.sh runs them as root) against
#     tests that run without root, from `cargo nextest list` (builds the tests,
#     in release mode; ARCH_STATS_TESTS=0 leaves this out);
#   - the size of the release binary (target/release/flash, or $FLASH), as built.
#
#   bash scripts/arch-stats.sh
set -euo pipefail
cd "$(dirname "$0")/.."

lines() { # lines of the .rs files under a folder (0 if there is none)
  if [ -d "$1" ]; then find "$1" -name '*.rs' -print0 | xargs -0 -r cat | wc -l; else echo 0; fi
}

echo "== crates: $(ls -d crates/*/ | wc -l)"
printf '%-12s %8s %8s\n' crate src tests
total_src=0 total_tests=0
for c in crates/*/; do
  name=$(basename "$c")
  s=$(lines "$c/src")
  t=$(lines "$c/tests")
  total_src=$((total_src + s)) total_tests=$((total_tests + t))
  printf '%-12s %8d %8d\n' "$name" "$s" "$t"
done
printf '%-12s %8d %8d\n' total "$total_src" "$total_tests"

echo
echo "== the 15 longest functions in crates/*/src (lines, approximate)"
python3 - <<'EOF'
import glob, re

FN = re.compile(r'^\s*(pub(\([^)]*\))?\s+)?((const|async|unsafe|extern\s+"[^"]*")\s+)*fn\s+(\w+)')

def code_only(text):
    """The text with strings, chars and comments blanked (newlines kept)."""
    out, i, n = [], 0, len(text)
    while i < n:
        c = text[i]
        if text.startswith('//', i):
            j = text.find('\n', i)
            j = n if j < 0 else j
            out.append(' ' * (j - i)); i = j
        elif text.startswith('/*', i):
            j = text.find('*/', i + 2)
            j = n if j < 0 else j + 2
            out.append(re.sub(r'[^\n]', ' ', text[i:j])); i = j
        elif c == 'r' and re.match(r'r#*"', text[i:i + 10]) and (i == 0 or not (text[i - 1].isalnum() or text[i - 1] == '_')):
            hashes = re.match(r'r(#*)"', text[i:]).group(1)
            end = '"' + hashes
            j = text.find(end, i + len(hashes) + 2)
            j = n if j < 0 else j + len(end)
            out.append(re.sub(r'[^\n]', ' ', text[i:j])); i = j
        elif c == '"':
            j = i + 1
            while j < n and text[j] != '"':
                j += 2 if text[j] == '\\' else 1
            out.append(re.sub(r'[^\n]', ' ', text[i:j + 1])); i = j + 1
        elif c == "'" and re.match(r"'(\\[^']{1,10}|[^\\'])'", text[i:i + 13]):
            j = re.match(r"'(\\[^']{1,10}|[^\\'])'", text[i:i + 13]).end()
            out.append(' ' * j); i += j
        else:
            out.append(c); i += 1
    return ''.join(out)

funcs = []
for path in sorted(glob.glob('crates/*/src/**/*.rs', recursive=True)):
    lines = code_only(open(path, encoding='utf-8', errors='replace').read()).split('\n')
    for k, line in enumerate(lines):
        m = FN.match(line)
        if not m:
            continue
        depth, opened = 0, False
        for j in range(k, len(lines)):
            if not opened and ';' in lines[j] and '{' not in lines[j]:
                break  # a declaration without a body
            depth += lines[j].count('{') - lines[j].count('}')
            opened = opened or '{' in lines[j]
            if opened and depth <= 0:
                funcs.append((j - k + 1, f'{path}:{k + 1}', m.group(5)))
                break
for length, where, name in sorted(funcs, reverse=True)[:15]:
    print(f'{length:6d}  {name}  {where}')
print(f'({len(funcs)} functions in all)')
EOF

echo
if [ "${ARCH_STATS_TESTS:-1}" = 1 ]; then
  echo "== tests (cargo nextest list --release --workspace)"
  list() { cargo nextest list --release --workspace --message-format oneline --run-ignored "$1" 2>/dev/null; }
  all=$(list all | grep -c . || true)
  ignored=$(list only | grep -c . || true)
  echo "all tests:                 $all"
  echo "ignored (need root):       $ignored"
  echo "run without root:          $((all - ignored))"
  echo "(plus doctests, which nextest does not list)"
  echo
fi

bin=${FLASH:-target/release/flash}
echo "== release binary"
if [ -f "$bin" ]; then
  echo "$bin: $(stat -c %s "$bin") bytes ($(( $(stat -c %s "$bin") / 1048576 )) MiB), built $(date -u -r "$bin" '+%F %T UTC')"
else
  echo "$bin: not built (cargo build --release -p flash)"
fi
