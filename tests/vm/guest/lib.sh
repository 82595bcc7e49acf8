# tests/vm/guest/lib.sh - sourced by every guest script: environment,
# verdict helpers, the test programs.
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export HOME=/root LANG=C.UTF-8 XDG_CACHE_HOME=/var/tmp/flash-vm-cache
. /flash-vm/guest.env   # FLASH HOSTILE REPO KLABEL RUN_HOSTILE RUN_BENCH BENCH_N
unset FLASH_CGROUP_PARENT
F=$FLASH
W=/var/tmp/flash-vm        # programs and scratch files (the overlay's tmpfs)
RESULTS=/run/flash-vm-results
CG=/sys/fs/cgroup

sec() { echo; echo "################ $* ################ [$(up) s since boot]"; }
up() { cut -d' ' -f1 /proc/uptime; }

# Verdicts: one line each on the log, and into $RESULTS for the summary.
pass() { echo "PASS $1"; echo "PASS $1" >> "$RESULTS"; }
fail() { local n=$1; shift; echo "FAIL $n: $*"; echo "FAIL $n: $*" >> "$RESULTS"; }
judge() { # NAME REASON: PASS when REASON is empty
    if [ -z "$2" ]; then pass "$1"; else fail "$1" "$2"; fi
}

# The text of $OUT shortened to one line for a FAIL reason.
gist() {
    printf '%s\n' "$OUT" | grep -v '^\s*$' | tail -n "${1:-3}" | tr '\n' '|' | sed 's/|$//; s/|/ | /g' | cut -c1-400
}

# run CMD...: runs it (stdin /dev/null or $IN, ${T:-90} s cap), shows the
# output; sets OUT (stdout+stderr), RC and MS. Times are the guest's
# icount clock (a ~1 GHz CPU), several times slower than the host's.
run() {
    echo "+ $*"
    local s
    s=$(date +%s%N)
    OUT=$(timeout "${T:-90}" "$@" < "${IN:-/dev/null}" 2>&1)
    RC=$?
    MS=$(( ($(date +%s%N) - s) / 1000000 ))
    [ -n "$OUT" ] && printf '%s\n' "$OUT"
    echo "[rc=$RC, ${MS} ms]"
}

# show CMD-STRING: for the log only.
show() { echo "+ $*"; eval "$*" 2>&1; echo "[rc=$?]"; }

cgtree() {
    echo "+ cgroup tree under ${1:-$CG} (cgroup.procs count, subtree_control):"
    (cd "${1:-$CG}" && find . -type d | sort | while read -r d; do
        printf '    %-48s procs=%-3s subtree_control=[%s]\n' "$d" \
            "$(wc -l < "$d/cgroup.procs" 2>/dev/null)" "$(cat "$d/cgroup.subtree_control" 2>/dev/null)"
    done)
}

# The reasons `flash check` gives after "NOT OK", on one line (else gist).
problems() {
    local p
    p=$(printf '%s\n' "$OUT" | sed -n '/^NOT OK/,$p' | grep -E '^\s+- ' | sed 's/^\s*- //' | tr '\n' '|' | sed 's/|$//; s/|/ | /g' | cut -c1-500)
    if [ -n "$p" ]; then printf '%s' "$p"; else gist "${1:-3}"; fi
}

# check_ok NAME: judges $OUT/$RC of `flash check` that must succeed.
check_ok() {
    local why=
    if [ "$RC" != 0 ]; then why="flash check exited $RC: $(problems 4)"
    elif ! printf '%s\n' "$OUT" | grep -q '^OK'; then why="exit 0 but no OK line: $(gist 2)"; fi
    judge "$1" "$why"
}

# check_refuses NAME ERE: `flash check` must fail and its output match ERE.
check_refuses() {
    local why=
    if [ "$RC" = 0 ]; then why="flash check exited 0 (must refuse): $(gist 2)"
    elif [ "$RC" = 124 ]; then why="flash check timed out"
    elif ! printf '%s\n' "$OUT" | grep -Eq "$2"; then why="exit $RC but the output does not match /$2/: $(problems 3)"; fi
    judge "$1" "$why"
}

# The hello worlds: each reads a word from stdin (SQL has no stdin) and
# prints "hello <word> from <language>".
write_programs() {
    mkdir -p "$W"
    echo flash > "$W/in.txt"
    cat > "$W/hello.c" <<'X'
#include <stdio.h>
int main(void) { char s[64]; if (scanf("%63s", s) != 1) return 1; printf("hello %s from C\n", s); return 0; }
X
    cat > "$W/hello.cpp" <<'X'
#include <iostream>
#include <string>
int main() { std::string s; std::cin >> s; std::cout << "hello " << s << " from C++" << std::endl; }
X
    printf '%s\n' 'print(f"hello {input()} from Python")' > "$W/hello.py"
    printf '%s\n' 'const s = require("fs").readFileSync(0, "utf8").trim();' 'console.log(`hello ${s} from JavaScript`);' > "$W/hello.js"
    mkdir -p "$W/java"
    cat > "$W/java/Main.java" <<'X'
import java.util.Scanner;
public class Main {
    public static void main(String[] a) { System.out.println("hello " + new Scanner(System.in).next() + " from Java"); }
}
X
    printf '%s\n' "SELECT 'hello ' || 'flash' || ' from SQL';" > "$W/hello.sql"
    printf '%s\n' 'read -r s' 'echo "hello $s from Bash"' > "$W/hello.sh"
    # Python allocating and touching 150 MiB; C++ touching 200 MiB.
    printf '%s\n' 's = bytearray(150 << 20)' 'for i in range(0, len(s), 4096): s[i] = 1' 'print(len(s) >> 20)' > "$W/alloc150.py"
    printf '%s\n' 'print(3)' > "$W/print3.py"
    printf '%s\n' 'import sys' 'sys.exit(3)' > "$W/exit3.py"
    cat > "$W/touch200.cpp" <<'X'
#include <cstdio>
#include <cstdlib>
int main() {
    size_t n = (size_t)200 << 20;
    volatile char *p = (volatile char *)malloc(n);
    if (!p) { puts("malloc failed"); return 1; }
    for (size_t i = 0; i < n; i += 4096) p[i] = 1;
    printf("touched %zu MiB\n", n >> 20);
    return 0;
}
X
}

# exec_hello NAME FILE LANGUAGE-WORD: `flash exec FILE --stdin in.txt --json`
# must say Accepted with stdout "hello flash from LANGUAGE-WORD".
exec_hello() {
    local name=$1 file=$2 lang=$3 want verdict
    want="hello flash from $lang"
    echo "+ $F exec $file --stdin $W/in.txt --json"
    local s err
    s=$(date +%s%N)
    err=$W/exec.err
    OUT=$(timeout "${T:-90}" "$F" exec "$file" --stdin "$W/in.txt" --json < /dev/null 2> "$err")
    RC=$?
    MS=$(( ($(date +%s%N) - s) / 1000000 ))
    printf '%s\n' "$OUT"
    [ -s "$err" ] && { echo "--- stderr"; cat "$err"; }
    echo "[rc=$RC, ${MS} ms]"
    # jq, not python3: on 5.10 every python3 start costs a second of emulation.
    verdict=$(printf '%s' "$OUT" | jq -r --arg want "$want" '
        if .status.id != 3 then
            "status \(.status.id) \(.status.description): " + ([.message // "", (.compile_output // "")[:160], (.stderr // "")[:160]] | join(" ") | gsub("\\s+"; " "))
        elif ((.stdout // "") | sub("\\s+$"; "")) != $want then
            "Accepted but stdout \((.stdout // "")[:120] | tojson), want \($want | tojson)"
        else "" end' 2>&1) || verdict="no JSON result: $(printf '%s' "$OUT" | head -c 200)"
    if [ "$RC" != 0 ] && [ -z "$verdict" ]; then verdict="flash exec exited $RC"; fi
    if [ "$RC" != 0 ]; then verdict="flash exec exited $RC: $(tail -n 2 "$err" | tr '\n' ' ' | cut -c1-300) ${verdict}"; fi
    judge "$name" "$verdict"
}

# Judge0 submission to a local `flash serve`: sub PORT LANGUAGE_ID FILE [MEMORY_LIMIT_KB];
# prints the JSON answer (or {"error": ...}).
sub() {
    local body
    body=$(jq -Rs --argjson lang "$2" --arg mem "${4:-}" \
        '{source_code: ., language_id: $lang} + (if $mem == "" then {} else {memory_limit: ($mem | tonumber)} end)' < "$3")
    curl -s -m 170 -X POST -H 'Content-Type: application/json' --data-binary "$body" \
        "http://127.0.0.1:$1/submissions?wait=true&fields=status,memory,stdout,time,message" \
        || echo '{"error": "curl failed"}'
    echo
}

# jcheck JSON JQ-CONDITION WANT: prints nothing when the condition holds on
# the answer, else "want WANT: <what the answer says>".
JQ_DESCRIBE='"status \(.status.id) \(.status.description), memory \(.memory) KB, stdout \(.stdout | tojson), message \(.message | tojson)" + (if .error then ", error: " + .error else "" end)'
jcheck() {
    printf '%s' "$1" | jq -r --arg want "$3" "if ($2) then \"\" else \"want \" + \$want + \": \" + ($JQ_DESCRIBE) end" 2>/dev/null \
        || echo "want $3: not a JSON answer: $(printf '%s' "$1" | head -c 200)"
}

# wait_health PORT [SECONDS [PID|unit:NAME]]: until /health answers; gives up
# at once when process PID (the server) has exited, or unit NAME has failed or
# been restarted.
wait_health() {
    local i
    for i in $(seq 1 $((${2:-60} * 5))); do
        curl -sf "127.0.0.1:$1/health" > /dev/null 2>&1 && { echo "(serve up after ~$((i / 5)) s)"; return 0; }
        case ${3:-} in
            "") ;;
            unit:*) if [ "$(systemctl show -p ActiveState --value "${3#unit:}")" = failed ] ||
                       [ "$(systemctl show -p NRestarts --value "${3#unit:}")" != 0 ]; then
                        echo "(${3#unit:} failed)"; return 1
                    fi ;;
            *) kill -0 "$3" 2>/dev/null || { echo "(the server exited)"; return 1; } ;;
        esac
        sleep 0.2
    done
    return 1
}

# summary MODE: counts the verdicts, prints the end marker and powers off.
summary() {
    local np nf
    np=$(grep -c '^PASS' "$RESULTS" 2>/dev/null || true)
    nf=$(grep -c '^FAIL' "$RESULTS" 2>/dev/null || true)
    echo
    echo "=== SUMMARY kernel $(uname -r) ($KLABEL), $1 boot: $np passed, $nf failed (stage 2 ran $(up) s since boot)"
    sed -n 's/^FAIL/  failed:/p' "$RESULTS" 2>/dev/null || true
    echo "=== FLASH-VM DONE"
    sync
    echo o > /proc/sysrq-trigger
    sleep 30
}
