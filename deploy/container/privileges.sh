#!/usr/bin/env bash
# Which container privileges Flash really needs: runs `flash check` (and, for
# the attempts that pass it, `flash serve` with deploy/smoke.py: 7 languages,
# the limits, the debugger) in localhost/flash:core under each attempt and
# prints one line per attempt with the first error. As root, after build.sh.
#   bash deploy/container/privileges.sh [--quick]    # --quick: flash check only
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 1
# shellcheck source=deploy/container/podman-env.sh
. deploy/container/podman-env.sh
image=${FLASH_IMAGE:-localhost/flash:core}
port=${PORT:-23581}
quick=${1:-}
# The container's own cgroup mounts are read-only (podman, Docker and
# containerd mount them so unless --privileged); with CAP_SYS_ADMIN a process
# in the container may make them writable in place. Nothing else changes.
# shellcheck disable=SC2016  # expanded inside the container
remount='for m in $(findmnt -rn -t cgroup,cgroup2 -o TARGET); do mount -o remount,bind,rw "$m"; done'
caps7=SYS_ADMIN,NET_ADMIN,SETPCAP,DAC_OVERRIDE,CHOWN,SETUID,SETGID

attempt() {  # attempt NAME REMOUNT(0/1) PODMAN-ARGS...
    local name=$1 rm=$2; shift 2
    local pre=""; [ "$rm" = 1 ] && pre="$remount; "
    local out rc
    out=$(timeout 120 podman run --rm --no-healthcheck "$@" --entrypoint /bin/sh "$image" -c "${pre}exec flash check" 2>&1)
    rc=$?
    if [ $rc != 0 ]; then
        printf '%-4s %-70s check: %s\n' FAIL "$name" "$(grep -E '^  - |Error|error' <<<"$out" | head -1 | sed 's/^  - //')"
        return
    fi
    if [ "$quick" = --quick ]; then printf '%-4s %-70s check: OK\n' ok "$name"; return; fi
    podman rm -f -v flash-priv >/dev/null 2>&1
    podman run -d --name flash-priv --no-healthcheck "$@" -p "127.0.0.1:$port:2358" --entrypoint /bin/sh "$image" \
        -c "${pre}exec flash serve" >/dev/null
    out=$(python3 deploy/smoke.py "http://127.0.0.1:$port" 2>&1)
    rc=$?
    podman rm -f -v -t 5 flash-priv >/dev/null 2>&1
    local first=""
    [ $rc = 0 ] || first="; first failure: $(grep -m1 '^FAIL' <<<"$out" | grep -o "message=.*" | cut -c1-120)"
    printf '%-4s %-70s check: OK, smoke: %s%s\n' "$([ $rc = 0 ] && echo ok || echo FAIL)" "$name" "$(tail -1 <<<"$out")" "$first"
}

echo "host: $(uname -r), cgroup $(stat -fc %T /sys/fs/cgroup), podman $(podman version -f '{{.Client.Version}}'), runtime $(podman info -f '{{.Host.OCIRuntime.Name}}')"
attempt "--privileged" 0 --privileged
attempt "(no options)" 0
attempt "--cap-add SYS_ADMIN" 0 --cap-add SYS_ADMIN
attempt "--cap-add SYS_ADMIN,NET_ADMIN --security-opt seccomp=unconfined" 0 --cap-add SYS_ADMIN,NET_ADMIN --security-opt seccomp=unconfined
attempt "--cap-add SYS_ADMIN,NET_ADMIN --security-opt apparmor=unconfined" 0 --cap-add SYS_ADMIN,NET_ADMIN --security-opt apparmor=unconfined
attempt "--cap-add SYS_ADMIN,NET_ADMIN --security-opt unmask=/sys/fs/cgroup" 0 --cap-add SYS_ADMIN,NET_ADMIN --security-opt unmask=/sys/fs/cgroup
attempt "--cap-add SYS_ADMIN,NET_ADMIN --security-opt unmask=ALL" 0 --cap-add SYS_ADMIN,NET_ADMIN --security-opt unmask=ALL
attempt "--cap-add SYS_ADMIN,NET_ADMIN --cgroupns=private" 0 --cap-add SYS_ADMIN,NET_ADMIN --cgroupns=private
attempt "--cap-add SYS_ADMIN -v /sys/fs/cgroup:/sys/fs/cgroup:rw" 0 --cap-add SYS_ADMIN -v /sys/fs/cgroup:/sys/fs/cgroup:rw
attempt "--cap-add SYS_ADMIN,NET_ADMIN -v /sys/fs/cgroup:/sys/fs/cgroup:rw" 0 --cap-add SYS_ADMIN,NET_ADMIN -v /sys/fs/cgroup:/sys/fs/cgroup:rw
attempt "--cap-add SYS_ADMIN,NET_ADMIN --cgroupns=private -v /sys/fs/cgroup:rw" 0 --cap-add SYS_ADMIN,NET_ADMIN --cgroupns=private -v /sys/fs/cgroup:/sys/fs/cgroup:rw
attempt "--cap-add SYS_ADMIN,NET_ADMIN + remount cgroup rw" 1 --cap-add SYS_ADMIN,NET_ADMIN
attempt "--cap-add SYS_ADMIN,NET_ADMIN --cgroupns=private + remount" 1 --cap-add SYS_ADMIN,NET_ADMIN --cgroupns=private
attempt "--cap-drop ALL --cap-add $caps7 + remount" 1 --cap-drop ALL --cap-add $caps7
for c in ${caps7//,/ }; do
    attempt "  the same without $c" 1 --cap-drop ALL --cap-add "$(tr , '\n' <<<"$caps7" | grep -vx "$c" | paste -sd,)"
done
