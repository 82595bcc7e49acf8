#!/bin/bash
# tests/vm/guest/ns.sh - layout N: the only process of /ctr, in its own
# cgroup and mount namespaces, like a container's entrypoint with Docker's
# default private cgroup namespace. No hand work, no FLASH_CGROUP_PARENT.
. /flash-vm/lib.sh
# A fresh cgroup2 mount as a container runtime gives (the inherited mount must
# go first: the kernel refuses the same superblock twice on one mount point).
umount /sys/fs/cgroup
mount -t cgroup2 none /sys/fs/cgroup
show 'cat /proc/self/cgroup; grep cgroup2 /proc/self/mountinfo'
show 'echo "namespace root controllers [$(cat $CG/cgroup.controllers)] subtree_control [$(cat $CG/cgroup.subtree_control)] procs [$(tr "\n" " " < $CG/cgroup.procs)]"'

sec "N6. flash check in the namespace's root cgroup (holds this process)"
run "$F" check
check_ok N6-check

sec "N7. flash exec in the namespace"
exec_hello N7-exec-python "$W/hello.py" Python
exec_hello N7-exec-cpp "$W/hello.cpp" C++
cgtree

sec "N8. Flash moved the namespace root's processes into the leaf flash-supervisor"
why=
if [ ! -d "$CG/flash-supervisor" ]; then
    why="no $CG/flash-supervisor after flash check/exec (the namespace's tree: $(cd $CG && find . -mindepth 1 -type d | tr '\n' ' '))"
else
    sub_dirs=$(find "$CG/flash-supervisor" -mindepth 1 -type d | wc -l)
    in_root=$(tr '\n' ' ' < "$CG/cgroup.procs")
    mine=$(sed -n 's/^0:://p' /proc/self/cgroup)
    [ "$sub_dirs" = 0 ] || why="flash-supervisor is not a leaf ($sub_dirs sub-cgroups)"
    [ -z "$in_root" ] || why="${why:+$why; }processes still in the namespace root: $in_root"
    [ "$mine" = /flash-supervisor ] || why="${why:+$why; }this shell (the entrypoint) is in $mine, not /flash-supervisor"
fi
judge N8-supervisor-leaf "$why"

sec "N8b. while flash serve runs: it is in /flash-supervisor, its slots in flash-<pid>-<n>/slot-<k> next to it"
"$F" serve --listen 127.0.0.1:2361 --data-dir "$W/serve-n" --workers 1 > "$W/serve-n.log" 2>&1 &
SP=$!
if wait_health 2361 90 $SP; then
    cgtree
    why=
    cg=$(sed -n 's/^0:://p' /proc/$SP/cgroup)
    [ "$cg" = /flash-supervisor ] || why="flash serve (pid $SP) is in $cg"
    slots=$(ls -d "$CG"/flash-"$SP"-*/slot-* 2>/dev/null | tr '\n' ' ')
    [ -n "$slots" ] || why="${why:+$why; }no $CG/flash-$SP-*/slot-* cgroup"
    R=$(sub 2361 71 "$W/print3.py"); echo "$R"
    r=$(jcheck "$R" '.status.id == 3 and .stdout == "3\n"' 'a Python submission Accepted')
    [ -z "$r" ] || why="${why:+$why; }$r"
    judge N8b-serve-layout "$why"
else
    fail N8b-serve-layout "flash serve did not answer /health: $(tail -n 3 "$W/serve-n.log" | tr '\n' ' ' | cut -c1-300)"
fi
kill $SP 2>/dev/null; wait $SP 2>/dev/null
show "tail -n 5 $W/serve-n.log"
cgtree
