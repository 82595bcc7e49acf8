#!/usr/bin/env bash
# tests/vm/run.sh - boots stock Debian kernels with pure cgroup v2
# (cgroup_no_v1=all) under QEMU and judges Flash there.
#
# Each kernel boots twice: once with a tiny init running the layouts R (root
# cgroup), N (private cgroup namespace), C (plain child cgroup) and RO
# (read-only cgroupfs), once with systemd 252 as pid 1 (layout S). The guest
# sees this machine's root filesystem read-only over virtio-9p under a tmpfs
# overlay, so it runs the host's toolchains and the flash binary just built;
# nothing is installed into an image and nothing in the guest writes to the
# host. Every check prints `PASS name` or `FAIL name: reason`; this script
# exits 1 if any check failed, a guest did not finish, or a kernel could not
# be fetched or booted. What each check means: tests/vm/README.md.
#
# Usage (root, Debian 12 amd64):
#   bash tests/vm/run.sh          install what is missing, fetch kernels, build if needed, boot, judge
#   bash tests/vm/run.sh fetch    only install the host packages and fetch/extract the kernels
#
# Environment (all optional):
#   FLASH=target/release/flash      the binary under test (host path; built if missing)
#   FLASH_VM_HOSTILE=PATH           the prebuilt hostile test binary (default: the newest under
#                                   target/release/deps, built with
#                                   `cargo test --release -p flash --test hostile --no-run` if none
#                                   or older than target/release/flash)
#   FLASH_VM_HOSTILE_HELPER=PATH    the flash binary that hostile binary was built with (its
#                                   compiled-in CARGO_BIN_EXE_flash; default
#                                   target/release/flash for a binary from target/release/deps)
#   FLASH_VM_BUILD=auto             auto: build flash if missing, the hostile tests if missing or
#                                   older than target/release/flash; 1: always run both cargo
#                                   builds (a failed build falls back to the existing binaries
#                                   with a warning); 0: never build
#   FLASH_VM_KERNELS="5.10 6.1 6.12"   which kernels (Debian 11's, Debian 12's, bookworm-backports')
#   FLASH_VM_MODES="main systemd"   which boots per kernel (main: layouts R N C RO; systemd: S)
#   FLASH_VM_HOSTILE_ON="5.10 6.1 6.12"  kernels on which the hostile tests run (check R4)
#   FLASH_VM_BENCH_ON="6.1"         kernels on which `flash bench sandbox` runs (R5, recorded only)
#   FLASH_VM_BENCH_N=200            runs per cell of that bench
#   FLASH_VM_WORK=/tmp/flash-vm     logs, initramfs images, summary
#   FLASH_VM_CACHE=/var/cache/flash-vm   kernel packages and their extracted parts (kept)
#   FLASH_VM_REFRESH=0              1: ask the archive for the newest kernel of each series
#                                   again even when one is cached
#   ACCEL=auto                      kvm or tcg; auto uses tcg when /dev/kvm is missing or
#                                   is kvm_pvm (which cannot run stock kernels)
#   ICOUNT=shift=0,sleep=on         tcg only: QEMU's -icount, so the guest's clock counts
#                                   executed instructions (1 per ns) instead of host time: the
#                                   guest sees a steady ~1 GHz CPU whatever the host's load, and
#                                   CPU-time limits judge the program, not the emulator. Empty:
#                                   multi-threaded TCG on host time (CPU-time limits then
#                                   trip at random on a loaded host)
#   MEM=4G SMP=1                    guest size (SMP defaults to 2 without icount; icount runs
#                                   all vCPUs on one host thread, and with 2 the boot did not
#                                   finish in 10 minutes here)
#   CPU=max                         QEMU CPU model (kvm: host,-arch-capabilities)
#   VM_TIMEOUT=1500                 seconds per boot before it counts as hung (5.10's main
#                                   boot took 900 s on this loaded 2-core host)
#   FLASH_VM_JOBS=3                 boots at once. The guests wait on 9p often, so three
#                                   single-vCPU VMs on 2 cores finish sooner than two; with
#                                   icount their clocks do not depend on the host's load, so
#                                   parallel boots change no verdict
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT"
VMDIR=$ROOT/tests/vm
STEP=${1:-all}
KERNELS=${FLASH_VM_KERNELS:-5.10 6.1 6.12}
MODES=${FLASH_VM_MODES:-main systemd}
HOSTILE_ON=${FLASH_VM_HOSTILE_ON:-5.10 6.1 6.12}
BENCH_ON=${FLASH_VM_BENCH_ON:-6.1}
BENCH_N=${FLASH_VM_BENCH_N:-200}
BUILD=${FLASH_VM_BUILD:-auto}
WORK=${FLASH_VM_WORK:-/tmp/flash-vm}
CACHE=${FLASH_VM_CACHE:-/var/cache/flash-vm}
REFRESH=${FLASH_VM_REFRESH:-0}
MEM=${MEM:-4G}
VM_TIMEOUT=${VM_TIMEOUT:-1500}
JOBS=${FLASH_VM_JOBS:-3}
if [ -z "${ACCEL:-}" ] || [ "$ACCEL" = auto ]; then
    if [ -c /dev/kvm ] && [ ! -d /sys/module/kvm_pvm ]; then ACCEL=kvm; else ACCEL=tcg; fi
fi
ICOUNT=${ICOUNT-shift=0,sleep=on}
[ "$ACCEL" = tcg ] || ICOUNT=
if [ -n "$ICOUNT" ]; then SMP=${SMP:-1}; else SMP=${SMP:-2}; fi

log() { echo "[vm] $*" >&2; }
die() { echo "[vm] FATAL: $*" >&2; exit 1; }
in_list() { case " $2 " in *" $1 "*) return 0 ;; *) return 1 ;; esac; }

[ "$(id -u)" = 0 ] || die "run as root"
mkdir -p "$WORK" "$CACHE"
# One run per work directory: two would write into the same logs.
exec 9> "$WORK/.lock"
if ! flock -n 9; then
    log "another run is using $WORK; waiting for it (or set FLASH_VM_WORK)"
    flock 9
fi

# ------------------------------------------------------------------ packages
# The VM tools and the toolchains the guest borrows from the host.
install_packages() {
    local need=() p
    for p in qemu-system-x86 busybox-static cpio kmod xz-utils zstd util-linux mount curl jq systemd; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || need+=("$p")
    done
    [ -x /usr/bin/g++ ] || need+=(g++)
    [ -x /usr/bin/gcc ] || need+=(gcc)
    [ -f /usr/lib/x86_64-linux-gnu/libc.a ] || need+=(libc6-dev)
    [ -x /usr/bin/python3 ] || need+=(python3)
    [ -x /usr/bin/node ] || need+=(nodejs)
    [ -x /usr/bin/javac ] || need+=(openjdk-17-jdk-headless)
    [ -x /usr/bin/sqlite3 ] || need+=(sqlite3)
    if [ ${#need[@]} -gt 0 ]; then
        log "apt-get install ${need[*]}"
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
    fi
}

# ------------------------------------------------------------------- kernels
# A private apt configuration (the host's sources stay untouched) that sees
# bullseye (5.10), bookworm (6.1) and bookworm-backports (6.12).
APT=$CACHE/apt
APT_OPTS=(-o Dir::Etc::SourceList="$APT/sources.list" -o Dir::Etc::SourceParts="$APT/none"
          -o Dir::State::Lists="$APT/lists" -o Dir::Cache="$APT/cache" -o APT::Sandbox::User=root)
APT_STAMP=$WORK/.apt-updated.$$   # fetch_kernel runs in a subshell: a file, not a variable
# On exit (also ^C): no VM left running (each boot runs in a background
# subshell that kills its QEMU when terminated), no stamp left behind.
SNAP=
cleanup() {
    local rc=$?
    set +e
    rm -f "$APT_STAMP"
    for j in $(jobs -p); do kill "$j" 2>/dev/null; done
    wait
    [ -z "$SNAP" ] || rm -rf "$SNAP"
    exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM
apt_private_update() {
    [ -f "$APT_STAMP" ] && return 0
    mkdir -p "$APT/lists/partial" "$APT/cache/archives/partial" "$APT/none"
    printf '%s\n' \
        'deb http://deb.debian.org/debian bookworm main' \
        'deb http://deb.debian.org/debian bookworm-updates main' \
        'deb http://deb.debian.org/debian-security bookworm-security main' \
        'deb http://deb.debian.org/debian bookworm-backports main' \
        'deb http://deb.debian.org/debian bullseye main' \
        'deb http://deb.debian.org/debian-security bullseye-security main' > "$APT/sources.list"
    log "apt-get update (private lists in $APT)"
    apt-get "${APT_OPTS[@]}" update -qq
    touch "$APT_STAMP"
}

# The file-name glob of a series' kernel image package.
series_glob() {
    case $1 in
        5.10) echo 'linux-image-5.10.*-amd64_*.deb' ;;
        6.1) echo 'linux-image-6.1.0-*-amd64_*.deb' ;;
        6.12) echo 'linux-image-6.12.*-amd64_*.deb' ;;
        *) return 1 ;;
    esac
}

# Prints the cached .deb of a series, downloading the newest one if needed.
fetch_kernel() {
    local s=$1 glob deb
    glob=$(series_glob "$s") || { log "unknown kernel series $s (known: 5.10 6.1 6.12)"; return 1; }
    mkdir -p "$CACHE/debs"
    # shellcheck disable=SC2086
    deb=$(cd "$CACHE/debs" && ls -1 $glob 2>/dev/null | sort -V | tail -1 || true)
    if [ -n "$deb" ] && [ "$REFRESH" != 1 ]; then
        echo "$CACHE/debs/$deb"
        return 0
    fi
    apt_private_update >&2 || return 1
    # The newest linux-image-amd64 of the series, and the image package it depends on.
    local pat ver pkg
    case $s in
        5.10) pat='^5\.10\.' ;;
        6.1) pat='^6\.1\.[0-9]+-[0-9]+$|^6\.1\.[0-9]+-[0-9]+~deb12' ;;
        6.12) pat='^6\.12\..*bpo12' ;;
    esac
    ver=$(apt-cache "${APT_OPTS[@]}" madison linux-image-amd64 | awk -F'|' '{gsub(/ /, "", $2); print $2}' \
        | grep -E "$pat" | sort -V | tail -1 || true)
    [ -n "$ver" ] || { log "no linux-image-amd64 of series $s in the archive"; return 1; }
    pkg=$(apt-cache "${APT_OPTS[@]}" depends "linux-image-amd64=$ver" | awk '/Depends: linux-image-/{print $2; exit}')
    [ -n "$pkg" ] || { log "cannot resolve linux-image-amd64=$ver"; return 1; }
    log "kernel $s: downloading $pkg (linux-image-amd64 $ver)"
    (cd "$CACHE/debs" && apt-get "${APT_OPTS[@]}" download "$pkg" >&2) || return 1
    deb=$(cd "$CACHE/debs" && ls -1 "${pkg}"_*.deb | sort -V | tail -1)
    echo "$CACHE/debs/$deb"
}

# Extracts vmlinuz and the modules the initramfs needs (virtio-9p, overlay)
# from a kernel .deb into $CACHE/kernels/<version>/ once; prints that dir.
extract_kernel() {
    local deb=$1 name kd tmp moddir kv modbase m f b
    name=$(basename "$deb" .deb)
    kd=$CACHE/kernels/$name
    if [ -f "$kd/ok" ]; then echo "$kd"; return 0; fi
    tmp=$CACHE/kernels/$name.tmp
    rm -rf "$tmp" "$kd"
    mkdir -p "$tmp" "$kd/mods"
    dpkg -x "$deb" "$tmp"
    moddir=$( (ls -d "$tmp"/lib/modules/* "$tmp"/usr/lib/modules/* 2>/dev/null || true) | head -1)
    [ -n "$moddir" ] || { log "no modules in $deb"; return 1; }
    kv=$(basename "$moddir")
    modbase=${moddir%/lib/modules/*}
    depmod -b "$modbase" "$kv"
    : > "$kd/mods/order"
    for m in virtio_pci 9pnet_virtio 9p overlay; do
        modprobe -d "$modbase" -S "$kv" --show-depends "$m" | awk '$1 == "insmod" {print $2}'
    done | awk '!seen[$0]++' | while read -r f; do
        b=$(basename "$f")
        case $f in
            *.ko.xz) xz -dc "$f" > "$kd/mods/${b%.xz}"; b=${b%.xz} ;;
            *.ko.zst) zstd -qdc "$f" > "$kd/mods/${b%.zst}"; b=${b%.zst} ;;
            *.ko.gz) gzip -dc "$f" > "$kd/mods/${b%.gz}"; b=${b%.gz} ;;
            *) cp "$f" "$kd/mods/$b" ;;
        esac
        echo "$b" >> "$kd/mods/order"
    done
    cp "$tmp/boot/vmlinuz-$kv" "$kd/vmlinuz"
    echo "$kv" > "$kd/version"
    rm -rf "$tmp"
    touch "$kd/ok"
    echo "$kd"
}

# ------------------------------------------------------------------ binaries
newest_hostile() {
    local f
    for f in $(ls -1t target/release/deps/hostile-* 2>/dev/null); do
        case $f in *.d) continue ;; esac
        [ -x "$f" ] && { echo "$ROOT/$f"; return 0; }
    done
    return 1
}

build_binaries() {
    FLASH=${FLASH:-target/release/flash}
    case $FLASH in /*) ;; *) FLASH=$ROOT/$FLASH ;; esac
    if [ "$BUILD" = 1 ] || { [ "$BUILD" = auto ] && [ ! -x "$FLASH" ]; }; then
        log "cargo build --release -p flash"
        cargo build --release -p flash >&2 || log "WARNING: the build failed; using the existing $FLASH"
    fi
    [ -x "$FLASH" ] || die "no flash binary at $FLASH"
    if [ -n "${FLASH_VM_HOSTILE:-}" ]; then
        HOSTILE=$FLASH_VM_HOSTILE
    else
        HOSTILE=
        # The test binary holds the pool's code and runs target/release/flash
        # as its helper: both must come from one build. Rebuild when it is older.
        local old
        old=$(newest_hostile || true)
        if [ "$BUILD" = 1 ] || { [ "$BUILD" = auto ] && { [ -z "$old" ] || [ "$ROOT/target/release/flash" -nt "$old" ]; }; }; then
            log "cargo test --release -p flash --test hostile --no-run"
            HOSTILE=$(cargo test --release -p flash --test hostile --no-run --message-format=json 2>/dev/null \
                | python3 -c 'import json, sys
for l in sys.stdin:
    m = json.loads(l)
    if m.get("reason") == "compiler-artifact" and m.get("executable") and m["target"]["name"] == "hostile":
        print(m["executable"])' | tail -1 || true)
            [ -n "$HOSTILE" ] || log "WARNING: building the hostile tests failed; using the newest existing binary"
        fi
        [ -n "$HOSTILE" ] || HOSTILE=$(newest_hostile || true)
    fi
    [ -n "$HOSTILE" ] && [ -x "$HOSTILE" ] || die "no hostile test binary (set FLASH_VM_HOSTILE or let it build)"
    FLASH_DESC="$FLASH ($(date -r "$FLASH" '+%F %T'))"
    log "flash under test: $FLASH_DESC"
    log "hostile tests:    $HOSTILE ($(date -r "$HOSTILE" '+%F %T'))"
    # Snapshots: the guest reads the host's files live over 9p, and a rebuild
    # during the run (cargo replaces target/release/flash) must not mix two
    # builds. Not under /tmp: flash.service has PrivateTmp=yes.
    SNAP=$CACHE/bin/run-$$
    find "$CACHE/bin" -mindepth 1 -maxdepth 1 -name 'run-*' -mmin +1440 -exec rm -rf {} + 2>/dev/null || true
    mkdir -p "$SNAP"
    cp "$FLASH" "$SNAP/flash"
    cp "$HOSTILE" "$SNAP/hostile"
    # The thrashing test needs a file whose page cache the guest can reclaim;
    # the guest's own writable filesystems are tmpfs.
    head -c $((96 << 20)) /dev/zero | tr '\0' 't' > "$SNAP/thrash.data"
    # The hostile binary runs the flash it was built with (CARGO_BIN_EXE_flash,
    # compiled in); the guest binds the snapshot over that path.
    HELPER=${FLASH_VM_HOSTILE_HELPER:-}
    if [ -z "$HELPER" ] && [[ $HOSTILE == "$ROOT"/target/release/deps/* ]]; then HELPER=$ROOT/target/release/flash; fi
    if [ -n "$HELPER" ]; then
        if [ "$(realpath "$HELPER")" = "$(realpath "$FLASH")" ]; then ln "$SNAP/flash" "$SNAP/helper"; else cp "$HELPER" "$SNAP/helper"; fi
    fi
    # The toolchains' versions, probed once here where it takes seconds: the
    # guests read the host's cache over 9p. Probing 39 toolchains under
    # emulation took each boot about 4 minutes of its first `flash check`.
    "$SNAP/flash" check > "$WORK/host-check.txt" 2>&1 || log "flash check on the host failed (see $WORK/host-check.txt); the guests will probe versions themselves"
}

# ---------------------------------------------------------------------- boot
# make_initramfs KDIR OUT LABEL: busybox, the modules, /init and the guest scripts.
make_initramfs() {
    local kd=$1 out=$2 label=$3 ird
    ird=$out.d
    rm -rf "$ird"
    mkdir -p "$ird"/{bin,mods,proc,sys,dev,host,rw,newroot,flash-vm}
    cp /bin/busybox "$ird/bin/busybox"
    cp "$kd"/mods/* "$ird/mods/"
    cp "$VMDIR/guest/init" "$ird/init"
    cp "$VMDIR"/guest/*.sh "$ird/flash-vm/"
    local hostile_on=0 bench_on=0
    in_list "$label" "$HOSTILE_ON" && hostile_on=1
    in_list "$label" "$BENCH_ON" && bench_on=1
    {
        printf 'FLASH=%q\nHOSTILE=%q\nREPO=%q\nKLABEL=%q\n' "$SNAP/flash" "$SNAP/hostile" "$ROOT" "$label"
        printf 'HELPER=%q\nHELPER_SNAPSHOT=%q\nTHRASH_FILE=%q\n' "$HELPER" "$SNAP/helper" "$SNAP/thrash.data"
        printf 'RUN_HOSTILE=%s\nRUN_BENCH=%s\nBENCH_N=%s\n' "$hostile_on" "$bench_on" "$BENCH_N"
    } > "$ird/flash-vm/guest.env"
    chmod +x "$ird/init" "$ird"/flash-vm/*.sh
    (cd "$ird" && find . | cpio -o -H newc --quiet | gzip -1) > "$out"
    rm -rf "$ird"
}

RESULTS=$WORK/results.txt
TIMES=$WORK/times.txt

# boot LABEL MODE KDIR: one boot; writes its PASS/FAIL lines to
# $WORK/<label>-<mode>.results and its time to <label>-<mode>.time.
boot() {
    local label=$1 mode=$2 kd=$3 kv tag glog clog initrd
    kv=$(cat "$kd/version")
    tag=$label-$mode
    glog=$WORK/$tag.log
    clog=$WORK/$tag.console.log
    initrd=$WORK/initramfs-$tag.cpio.gz
    make_initramfs "$kd" "$initrd" "$label"
    local accel=(-accel kvm -cpu "${CPU:-host,-arch-capabilities}")
    if [ -n "$ICOUNT" ]; then
        accel=(-accel tcg,thread=single,tb-size=512 -cpu "${CPU:-max}" -icount "$ICOUNT")
    elif [ "$ACCEL" = tcg ]; then
        accel=(-accel tcg,thread=multi,tb-size=512 -cpu "${CPU:-max}")
    fi
    local append="console=ttyS0 loglevel=4 panic=-1 cgroup_no_v1=all rdinit=/init flashvm.mode=$mode ${FLASH_VM_APPEND:-}"
    if [ "$mode" = systemd ]; then
        # Units of the host's own boot that would walk the host's trees over
        # 9p (systemd-tmpfiles-setup empties /tmp: minutes under emulation)
        # or only cost time in a throwaway guest.
        append="$append systemd.show_status=false fstab=no"
        local u
        for u in systemd-tmpfiles-setup.service systemd-tmpfiles-clean.timer ldconfig.service \
                 systemd-hwdb-update.service systemd-journal-catalog-update.service systemd-update-done.service \
                 systemd-timesyncd.service systemd-pstore.service timers.target e2scrub_reap.service podman.socket; do
            append="$append systemd.mask=$u"
        done
    fi
    log "[$tag] booting $kv ($ACCEL${ICOUNT:+ icount $ICOUNT}, $SMP vCPU, $MEM); guest log $glog, console $clog"
    : > "$glog"
    local t0 t1 rc=0
    t0=$(date +%s.%N)
    timeout "$VM_TIMEOUT" qemu-system-x86_64 "${accel[@]}" -m "$MEM" -smp "$SMP" \
        -no-user-config -nodefaults -display none -no-reboot -monitor none -nic none \
        -serial "file:$clog" -serial "file:$glog" \
        -kernel "$kd/vmlinuz" -initrd "$initrd" -append "$append" \
        -virtfs local,path=/,mount_tag=hostroot,security_model=none,readonly=on,multidevs=remap \
        < /dev/null > "$WORK/$tag.qemu.log" 2>&1 &
    local qpid=$!
    trap 'kill $qpid 2>/dev/null; exit 143' TERM
    # Progress: the verdict lines as the guest prints them, with the host's
    # seconds since this boot started.
    local start=$SECONDS
    tail -n +1 -F --pid=$qpid "$glog" 2>/dev/null | grep --line-buffered -E '^(PASS|FAIL|=== )' \
        | while IFS= read -r l; do printf '[%s +%ds] %s\n' "$tag" $((SECONDS - start)) "$l"; done >&2 &
    local tpid=$!
    wait $qpid || rc=$?
    t1=$(date +%s.%N)
    wait $tpid 2>/dev/null || true
    local secs res=$WORK/$tag.results
    secs=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.0f", b - a }')
    echo "$label $mode $kv ${secs}s qemu_rc=$rc" > "$WORK/$tag.time"
    tr -d '\r' < "$glog" | grep -E '^(PASS|FAIL) ' | sed "s/^/$tag /" > "$res" || true
    if [ $rc = 124 ]; then
        echo "$tag FAIL boot: no end after ${VM_TIMEOUT}s (timeout); see $glog and $clog" >> "$res"
    elif ! grep -q '^=== FLASH-VM DONE' "$glog"; then
        echo "$tag FAIL boot: the guest did not finish (qemu rc=$rc); see $glog and $clog" >> "$res"
    fi
    log "[$tag] done in ${secs}s (qemu rc=$rc): $(grep -c ' PASS ' "$res") passed, $(grep -c ' FAIL ' "$res") failed"
}

# ---------------------------------------------------------------------- main
install_packages
declare -A KDIR
FETCH_FAILED=()
exec 8> "$CACHE/.lock"   # runs with other work directories share the cache
flock 8
for k in $KERNELS; do
    deb=$(fetch_kernel "$k") && kd=$(extract_kernel "$deb") && KDIR[$k]=$kd || FETCH_FAILED+=("$k")
    [ -n "${KDIR[$k]:-}" ] && log "kernel $k: $(cat "${KDIR[$k]}/version") from $(basename "$deb")"
done
flock -u 8
exec 8>&-
if [ "$STEP" = fetch ]; then
    [ ${#FETCH_FAILED[@]} = 0 ] || die "could not fetch: ${FETCH_FAILED[*]}"
    exit 0
fi
[ "$STEP" = all ] || die "usage: $0 [all|fetch]"
build_binaries

: > "$RESULTS"
: > "$TIMES"
for k in "${FETCH_FAILED[@]+"${FETCH_FAILED[@]}"}"; do
    echo "$k-main FAIL fetch: kernel series $k could not be fetched or extracted" >> "$RESULTS"
done
T0=$(date +%s)
# All main boots first (the longest), FLASH_VM_JOBS at a time.
TAGS=()
for mode in $MODES; do
    for k in $KERNELS; do
        [ -n "${KDIR[$k]:-}" ] || continue
        rm -f "$WORK/$k-$mode.results" "$WORK/$k-$mode.time"
        TAGS+=("$k-$mode")
        while [ "$(jobs -rp | wc -l)" -ge "$JOBS" ]; do wait -n || true; done
        boot "$k" "$mode" "${KDIR[$k]}" &
        sleep 1
    done
done
wait
T1=$(date +%s)
for t in "${TAGS[@]+"${TAGS[@]}"}"; do
    if [ -f "$WORK/$t.results" ]; then cat "$WORK/$t.results" >> "$RESULTS"; else echo "$t FAIL boot: no result (the boot was interrupted)" >> "$RESULTS"; fi
    cat "$WORK/$t.time" >> "$TIMES" 2>/dev/null || true
done

npass=$(grep -c ' PASS ' "$RESULTS" || true)
nfail=$(grep -c ' FAIL ' "$RESULTS" || true)
{
    echo "flash: $FLASH_DESC"
    echo "boots (label mode kernel wall-time):"
    sed 's/^/  /' "$TIMES"
    echo "total $((T1 - T0))s; $npass passed, $nfail failed"
    grep ' FAIL ' "$RESULTS" || true
} | tee "$WORK/summary.txt"
log "summary: $WORK/summary.txt; every verdict: $RESULTS; guest logs: $WORK/<kernel>-<mode>.log"
[ "$nfail" = 0 ] && [ "$npass" -gt 0 ]
