#!/bin/bash
# tests/vm/guest/stage2.sh - pid 1 on the overlay root. Everything it prints
# goes to the second serial port (ttyS1, the host's <kernel>-<mode>.log);
# kernel messages stay on ttyS0. Kernel command line flashvm.mode=main runs
# layouts R, N, C and RO (main.sh); flashvm.mode=systemd starts systemd 252 as
# pid 1, which runs layout S (systemd.sh) as a oneshot service.
mount -t proc proc /proc
. /flash-vm/guest.env
# The hostile tests run the flash binary compiled into them: show them the
# snapshot taken at the start of the run there (run.sh).
if [ -n "$HELPER" ] && [ -e "$HELPER" ]; then mount --bind "$HELPER_SNAPSHOT" "$HELPER"; fi
echo "=== stage 2 at $(cut -d' ' -f1 /proc/uptime) s since boot: $(uname -r), $(cat /proc/cmdline)" > /dev/ttyS1
if grep -qw 'flashvm.mode=systemd' /proc/cmdline; then
    mkdir -p /etc/systemd/system
    printf '%s\n' '[Unit]' 'Description=Flash VM test' 'Requires=basic.target flash-vm-tests.service' \
        'After=basic.target flash-vm-tests.service' 'AllowIsolate=yes' > /etc/systemd/system/flash-vm.target
    printf '%s\n' '[Unit]' 'Description=Flash layout S checks under systemd' 'After=basic.target' \
        '[Service]' 'Type=oneshot' 'TimeoutStartSec=infinity' 'ExecStart=/bin/bash /flash-vm/systemd.sh' \
        'StandardOutput=tty' 'StandardError=tty' 'TTYPath=/dev/ttyS1' > /etc/systemd/system/flash-vm-tests.service
    # The host may be a container: its /.dockerenv would make systemd think
    # so too and ignore the kernel command line (the masks in run.sh).
    rm -f /.dockerenv /run/.containerenv
    umount /proc
    exec /lib/systemd/systemd --unit=flash-vm.target
fi
exec > /dev/ttyS1 2>&1
mount -t sysfs sysfs /sys
mount -t tmpfs -o mode=0755 tmpfs /run
mkdir -p /dev/pts /dev/shm
mount -t devpts devpts /dev/pts
mount -t tmpfs -o mode=1777 tmpfs /dev/shm
# A fresh cgroup2 mount: the root cgroup's subtree_control is empty.
mount -t cgroup2 none /sys/fs/cgroup
mode=$(sed -n 's/.*flashvm\.mode=\([a-z0-9]*\).*/\1/p' /proc/cmdline)
exec /bin/bash "/flash-vm/${mode:-main}.sh"
