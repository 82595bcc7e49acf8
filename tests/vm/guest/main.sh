#!/bin/bash
# tests/vm/guest/main.sh - layouts R, N, C and RO on a pure cgroup v2 kernel
# without systemd (pid 1 is this script; cgroup2 freshly mounted by stage2.sh).
# Order: C9a (needs the untouched root), R, then the host-side setup every
# systemd host has (+memory +pids +cpu in the root), N, C9b/C10, RO.
. /flash-vm/lib.sh
: > "$RESULTS"
write_programs

sec "environment"
show 'uname -r; nproc; free -m | sed -n 2p'
show 'grep cgroup /proc/self/mountinfo'
show 'echo "root cgroup.controllers [$(cat $CG/cgroup.controllers)] subtree_control [$(cat $CG/cgroup.subtree_control)]"'
show 'ls -l --time-style=+%F_%T $F $HOSTILE'
show 'grep -F " ${HELPER:-none} " /proc/self/mountinfo'
show 'cat /proc/self/cgroup'

# ---------------------------------------------------------------- layout C, bare root
sec "C9a. flash check in a plain child cgroup /svc; the root enables no controllers (bare kernel)"
mkdir "$CG/svc"
(
    echo $BASHPID > "$CG/svc/cgroup.procs"
    show 'cat /proc/self/cgroup; echo "svc controllers [$(cat $CG/svc/cgroup.controllers)]"'
    run "$F" check
    check_refuses C9a-child-no-controllers-names-remedy 'Delegate=yes|FLASH_CGROUP_PARENT'
)
rmdir "$CG/svc" 2>/dev/null || echo "(could not remove /svc)"

# ---------------------------------------------------------------- layout R
sec "R0. precondition: the root cgroup's subtree_control is still empty"
sc=$(cat "$CG/cgroup.subtree_control")
judge R0-root-subtree-control-empty "$([ -z "$sc" ] || echo "root cgroup.subtree_control is [$sc] before check R1")"

sec "R1. flash check in the root cgroup, nothing prepared"
run "$F" check
check_ok R1-check
cgtree

sec "R2. flash exec of a hello world per language"
T=120
exec_hello R2-exec-c "$W/hello.c" C
exec_hello R2-exec-cpp "$W/hello.cpp" C++
exec_hello R2-exec-python "$W/hello.py" Python
exec_hello R2-exec-javascript "$W/hello.js" JavaScript
exec_hello R2-exec-java "$W/java/Main.java" Java
exec_hello R2-exec-sql "$W/hello.sql" SQL
exec_hello R2-exec-bash "$W/hello.sh" Bash
T=90
cgtree

sec "R3. memory figures through flash serve --workers 1 (one slot, reused by every run)"
"$F" serve --listen 127.0.0.1:2358 --data-dir "$W/serve-r3" --workers 1 > "$W/serve-r3.log" 2>&1 &
SP=$!
if wait_health 2358 90 $SP; then
    cgtree
    echo "--- a: Python touching 150 MiB, memory_limit 256000"
    A=$(sub 2358 71 "$W/alloc150.py" 256000); echo "$A"
    echo "--- b: print(3) right after, same slot"
    B=$(sub 2358 71 "$W/print3.py"); echo "$B"
    echo "--- c: sys.exit(3) under memory_limit 65536"
    C=$(sub 2358 71 "$W/exit3.py" 65536); echo "$C"
    echo "--- d: C++ touching 200 MiB under memory_limit 65536"
    D=$(sub 2358 54 "$W/touch200.cpp" 65536); echo "$D"
    judge R3a-python-150MiB-accepted-memory "$(jcheck "$A" '.status.id == 3 and .memory >= 150000 and .stdout == "150\n"' 'status 3, memory >= 150000 KB')"
    judge R3b-small-run-after-big-one "$(jcheck "$B" '.status.id == 3 and .memory < 30000 and .stdout == "3\n"' 'status 3, memory < 30000 KB')"
    judge R3c-exit3-is-nzec-not-mle "$(jcheck "$C" '.status.id == 11' 'status 11 (NZEC)')"
    judge R3d-cpp-200MiB-is-mle "$(jcheck "$D" '.status.id == 12' 'status 12 (memory limit)')"
else
    for n in R3a-python-150MiB-accepted-memory R3b-small-run-after-big-one R3c-exit3-is-nzec-not-mle R3d-cpp-200MiB-is-mle; do
        fail $n "flash serve did not answer /health: $(tail -n 3 "$W/serve-r3.log" | tr '\n' ' ' | cut -c1-300)"
    done
fi
kill $SP 2>/dev/null; wait $SP 2>/dev/null
echo "(serve exit status $?)"
show "tail -n 20 $W/serve-r3.log"

sec "R4. the hostile tests ($HOSTILE)"
if [ "$RUN_HOSTILE" = 1 ]; then
    listed=$("$HOSTILE" --list --skip runtimes:: 2>/dev/null | grep -c ': test$')
    echo "+ $HOSTILE --include-ignored --test-threads=1 --skip runtimes::   ($listed tests listed)"
    s=$(date +%s)
    # The per-runtime-family tests (JVM, Mono, BEAM, Ruby) test the box, not the
    # cgroup layout, and run on the host in CI: under emulation they cost minutes.
    # The tests are #[ignore]d ("needs root"): --include-ignored runs them.
    (cd "$W" && FLASH_TEST_THRASH_FILE=$THRASH_FILE timeout 240 "$HOSTILE" --include-ignored --test-threads=1 --skip runtimes:: 2>&1 < /dev/null | tee "$W/hostile.log"; exit "${PIPESTATUS[0]}")
    RC=$?
    echo "[rc=$RC, $(( $(date +%s) - s )) s]"
    res=$(grep -E '^test result:' "$W/hostile.log" | tail -1)
    npassed=$(echo "$res" | sed -n 's/.* \([0-9]*\) passed.*/\1/p')
    nignored=$(echo "$res" | sed -n 's/.* \([0-9]*\) ignored.*/\1/p')
    failed=$(grep -E '^test .* \.\.\. FAILED$' "$W/hostile.log" | awk '{print $2}' | tr '\n' ' ')
    first=$(grep -m1 -A3 "panicked at" "$W/hostile.log" | tail -n +2 | grep -v '^note:' | tr '\n' ' ' | cut -c1-240)
    why=
    if [ "$RC" = 124 ]; then why="timed out after 240 s (guest clock); last: $(grep '^test ' "$W/hostile.log" | tail -n 1)"
    elif [ "$RC" != 0 ]; then why="exit $RC; ${npassed:-?}/$listed passed; failed: ${failed:-?}; first panic: $first"
    elif [ "${npassed:-0}" != "$listed" ] || [ "${nignored:-0}" != 0 ]; then why="$res (listed $listed)"
    elif grep -q '^SKIP' "$W/hostile.log"; then why="a test skipped"; fi
    judge R4-hostile-tests "$why"
else
    echo "(not on this kernel: FLASH_VM_HOSTILE_ON)"
fi

sec "R5. flash bench sandbox -n $BENCH_N (recorded, not judged)"
if [ "$RUN_BENCH" = 1 ]; then
    echo "=== BENCH BEGIN"
    T=400 run "$F" bench sandbox -n "$BENCH_N"
    echo "=== BENCH END ($MS ms, rc=$RC)"
else
    echo "(not on this kernel: FLASH_VM_BENCH_ON)"
fi
cgtree

# ---------------------------------------------------------------- the host's part
sec "host setup for the next layouts: +memory +pids +cpu in the root (what systemd does on every v2 host)"
show "echo '+memory +pids +cpu' > $CG/cgroup.subtree_control; cat $CG/cgroup.subtree_control"

# ---------------------------------------------------------------- layout N
sec "N. private cgroup namespace (Docker's default): /ctr, unshare --cgroup --mount, fresh cgroup2 mount"
mkdir "$CG/ctr"
(
    echo $BASHPID > "$CG/ctr/cgroup.procs"
    exec unshare --cgroup --mount --propagation private /bin/bash /flash-vm/ns.sh
)
echo "(host view after layout N)"
cgtree "$CG/ctr"

# ---------------------------------------------------------------- layout C
sec "C9b. flash check in a plain child cgroup /svc; the root enables +memory +pids +cpu (like system.slice)"
mkdir "$CG/svc"
(
    echo $BASHPID > "$CG/svc/cgroup.procs"
    show 'cat /proc/self/cgroup; echo "svc controllers [$(cat $CG/svc/cgroup.controllers)] subtree_control [$(cat $CG/svc/cgroup.subtree_control)]"'
    run "$F" check
    check_refuses C9b-child-names-remedy 'Delegate=yes|FLASH_CGROUP_PARENT'

    sec "C10. the README recipe: mkdir $CG/flash, +memory +pids +cpu in the ROOT only, FLASH_CGROUP_PARENT=/flash"
    show "mkdir $CG/flash && echo '+memory +pids +cpu' > $CG/cgroup.subtree_control"
    show 'echo "flash controllers [$(cat $CG/flash/cgroup.controllers)] subtree_control [$(cat $CG/flash/cgroup.subtree_control)]"'
    FLASH_CGROUP_PARENT=/flash run "$F" check
    check_ok C10-readme-recipe-flash-cgroup-parent
    cgtree "$CG/flash"
)
rmdir "$CG/flash" "$CG/svc" 2>/dev/null || echo "(could not remove /flash or /svc)"

# ---------------------------------------------------------------- layout RO
sec "RO11. read-only cgroupfs (Docker's default without --privileged): /ro, private cgroup namespace, cgroup2 bound read-only"
mkdir "$CG/ro"
(
    echo $BASHPID > "$CG/ro/cgroup.procs"
    exec unshare --cgroup --mount --propagation private /bin/bash -c '
        . /flash-vm/lib.sh
        # One read-only cgroup2 mount, as runc makes it.
        umount /sys/fs/cgroup
        mount -t cgroup2 -o ro,nosuid,nodev,noexec none /sys/fs/cgroup
        show "grep cgroup2 /proc/self/mountinfo; cat /proc/self/cgroup"
        if mkdir /sys/fs/cgroup/probe 2>/dev/null; then
            rmdir /sys/fs/cgroup/probe
            fail RO11-read-only-cgroupfs-says-so "setup: the cgroup2 mount is writable"
        else
            run "$F" check
            # Flash must say "read-only" itself: the errno text "Read-only file
            # system" of a failed mkdir alone does not count.
            own=$(printf "%s\n" "$OUT" | sed "s/Read-only file system//g")
            if [ "$RC" = 0 ]; then fail RO11-read-only-cgroupfs-says-so "flash check exited 0 (must refuse): $(gist 2)"
            elif ! printf "%s\n" "$own" | grep -qi "read-only"; then
                fail RO11-read-only-cgroupfs-says-so "exit $RC but no sentence saying read-only: $(problems 3)"
            else pass RO11-read-only-cgroupfs-says-so; fi
        fi'
)
cgtree "$CG/ro"

sec "end"
cgtree
summary main
