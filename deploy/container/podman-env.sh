# shellcheck shell=bash
# Sourced by build.sh and privileges.sh: works around two host quirks that stop
# podman itself (not Flash) from starting containers, and does nothing on a
# normal host. Both were met on the project's test VM (Debian 12 guest,
# cgroup v1 hybrid, root without CAP_SYS_RESOURCE):
#  1. crun refuses a hybrid host whose cgroup2 hierarchy has controllers
#     ("cgroups in hybrid mode not supported, drop all controllers from
#     cgroupv2"; here hugetlb is not mounted as v1): use runc there.
#  2. root without CAP_SYS_RESOURCE cannot raise RLIMIT_NOFILE/NPROC to the
#     values rootful podman asks for ("error setting rlimit type 7:
#     operation not permitted"): ask for the current hard limits instead.
# The fix is a containers.conf named by CONTAINERS_CONF (podman then reads
# only that file, so it repeats Debian's defaults that matter).
flash_podman_env() {
    local runtime="" ulimits="" conf=/run/flash-container/containers.conf
    if grep -q ' - cgroup2 ' /proc/self/mountinfo && grep -q ' - cgroup cgroup ' /proc/self/mountinfo &&
        [ -n "$(cat /sys/fs/cgroup/unified/cgroup.controllers 2>/dev/null)" ]; then
        command -v runc >/dev/null || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq runc >/dev/null
        runtime=runc
    fi
    local capeff
    capeff=$(awk '/^CapEff/ {print $2}' /proc/self/status)
    if (( (0x$capeff >> 24 & 1) == 0 )); then   # bit 24 = CAP_SYS_RESOURCE
        # conmon's nproc can be lower than the shell's: take the smaller.
        local nproc
        nproc=$(ulimit -Hu); [ "$nproc" = unlimited ] || [ "$nproc" -le 32768 ] || nproc=32768
        ulimits="\"nofile=$(ulimit -Hn):$(ulimit -Hn)\", \"nproc=$nproc:$nproc\""
    fi
    [ -n "$runtime$ulimits" ] || return 0
    mkdir -p "$(dirname "$conf")"
    {
        echo '[containers]'
        echo 'default_capabilities = ["CHOWN", "DAC_OVERRIDE", "FOWNER", "FSETID", "KILL", "NET_BIND_SERVICE", "SETFCAP", "SETGID", "SETPCAP", "SETUID", "SYS_CHROOT"]'
        echo 'default_sysctls = ["net.ipv4.ping_group_range=0 0"]'
        [ -z "$ulimits" ] || echo "default_ulimits = [$ulimits]"
        echo '[engine]'
        [ -z "$runtime" ] || echo "runtime = \"$runtime\""
    } > "$conf"
    export CONTAINERS_CONF=$conf
    echo "podman-env: host quirks (${runtime:+runtime $runtime }${ulimits:+ulimits $ulimits}): CONTAINERS_CONF=$conf" >&2
}
flash_podman_env
