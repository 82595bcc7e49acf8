#!/bin/bash
# tests/vm/guest/systemd.sh - layout S: runs as a oneshot service under
# systemd 252 (Debian 12's) as pid 1 on a pure cgroup v2 kernel.
# S12: the project's unit deploy/systemd/flash.service (Delegate=yes, no
# wrapper), installed as its header says; S13: `flash check` in a unit
# without Delegate=yes.
. /flash-vm/lib.sh
: > "$RESULTS"
write_programs
echo "=== systemd test service started at $(up) s since boot"

sec "S0. systemd environment"
show 'systemctl --version | head -1; systemctl is-system-running'
show 'cat /proc/self/cgroup; grep cgroup /proc/self/mountinfo'
show 'echo "root subtree_control [$(cat $CG/cgroup.subtree_control)]; system.slice subtree_control [$(cat $CG/system.slice/cgroup.subtree_control)]"'

sec "S12. flash serve in a Delegate=yes unit, no wrapper"
UNIT=$REPO/deploy/systemd/flash.service
if [ -f "$UNIT" ]; then
    echo "(the project's unit $UNIT, installed as its header says: install -m 0755 $F /usr/local/bin/flash)"
    # A copy, not a link: the unit has PrivateTmp=yes, which hides a binary
    # under the host's /tmp (where CI clones the repository) from the service.
    mkdir -p /usr/local/bin
    install -m 0755 "$F" /usr/local/bin/flash
    cp "$UNIT" /etc/systemd/system/flash.service
    systemctl daemon-reload
    show 'systemctl show -p Delegate,ExecStartPre,ExecStart,Environment flash.service | cut -c1-200'
    [ "$(systemctl show -p Delegate --value flash.service)" = yes ] || fail S12-unit-has-delegate "the project's unit does not say Delegate=yes"
    T=150 run systemctl start flash.service
else
    echo "(no $UNIT: a transient unit with Delegate=yes)"
    T=150 run systemd-run --unit=flash -p Delegate=yes -p Type=exec -E FLASH_LISTEN=127.0.0.1:2358 \
        -E FLASH_DATA_DIR=/var/lib/flash-vm "$F" serve
fi
why=
[ "$RC" = 0 ] || why="starting the unit: rc=$RC $(gist 2)"
if [ -z "$why" ] && ! wait_health 2358 90 unit:flash.service; then why="no /health answer"; fi
if [ -n "$why" ]; then
    show 'systemctl status --no-pager -n 0 flash.service'
    why="$why; journal: $(journalctl --no-pager -o cat -u flash.service | grep -v '^\s*$' | tail -n 4 | tr '\n' '|' | cut -c1-500)"
fi
judge S12a-delegated-unit-serves "$why"
served=$([ -z "$why" ] && echo yes)
show 'systemd-cgls --no-pager -u flash.service'
show "cat /proc/\$(systemctl show -p MainPID --value flash.service)/cgroup"
if [ -z "$why" ]; then
    P=$(sub 2358 71 "$W/print3.py"); echo "$P"
    judge S12b-python-submission "$(jcheck "$P" '.status.id == 3 and .stdout == "3\n"' 'status 3, stdout "3"')"
    C=$(sub 2358 54 "$W/touch200.cpp" 512000); echo "$C"
    judge S12c-cpp-submission "$(jcheck "$C" '.status.id == 3 and .stdout == "touched 200 MiB\n"' 'status 3, stdout "touched 200 MiB"')"
    show 'systemd-cgls --no-pager -u flash.service'
else
    fail S12b-python-submission "the unit did not serve"
    fail S12c-cpp-submission "the unit did not serve"
fi
cg=$(systemctl show -p ControlGroup --value flash.service)
T=90 run systemctl stop flash.service
why=
[ "$RC" = 0 ] || why="systemctl stop: rc=$RC $(gist 2)"
[ "$MS" -lt 60000 ] || why="${why:+$why; }stop took $MS ms"
res=$(systemctl show -p ActiveState,Result,ExecMainStatus flash.service | tr '\n' ' ')
echo "after stop: $res"
case $res in *ActiveState=inactive*Result=success*|*Result=success*ActiveState=inactive*) ;; *) why="${why:+$why; }after stop: $res" ;; esac
if [ -n "$cg" ] && [ -d "$CG$cg" ]; then why="${why:+$why; }its cgroup $cg is still there: $(find "$CG$cg" -name cgroup.procs -exec cat {} + | tr '\n' ' ')"; fi
[ -n "$served" ] || why="${why:+$why; }the unit never served (S12a), so there was nothing to stop cleanly"
judge S12d-stop-is-clean "$why"
show 'journalctl --no-pager -o cat -u flash.service | tail -n 15'

sec "S13. flash check in a unit without Delegate=yes"
T=150 run systemd-run --quiet --wait --pipe --collect --unit=flash-nodelegate "$F" check
check_refuses S13-undelegated-unit-names-Delegate 'Delegate=yes'

sec "end"
cgtree
summary systemd
