//! Thin, checked wrappers over the raw syscalls the helper needs.
//!
//! Each wrapper turns `-1`/errno into `io::Error` and owns its `unsafe`. The
//! ones marked "fork-safe" allocate nothing and may run in a child between
//! `clone` and `execve`.

use std::ffi::{CStr, CString};
use std::io;
use std::os::fd::{FromRawFd, OwnedFd, RawFd};
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

/// Converts a libc return value into `io::Result`.
pub fn cvt(ret: libc::c_long) -> io::Result<libc::c_long> {
    if ret == -1 {
        Err(io::Error::last_os_error())
    } else {
        Ok(ret)
    }
}

/// A path as a C string (paths with NUL are refused).
pub fn cpath(p: &Path) -> io::Result<CString> {
    CString::new(p.as_os_str().as_bytes()).map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "path contains NUL"))
}

/// `mount(2)`; `fstype` and `data` optional.
pub fn mount(
    source: Option<&Path>,
    target: &Path,
    fstype: Option<&str>,
    flags: libc::c_ulong,
    data: Option<&str>,
) -> io::Result<()> {
    let src = source.map(cpath).transpose()?;
    let tgt = cpath(target)?;
    let fst = fstype.map(|s| CString::new(s).unwrap());
    let dat = data.map(|s| CString::new(s).unwrap());
    // SAFETY: every pointer is either null or a valid NUL-terminated string that
    // outlives the call.
    let r = unsafe {
        libc::mount(
            src.as_ref().map_or(std::ptr::null(), |s| s.as_ptr()),
            tgt.as_ptr(),
            fst.as_ref().map_or(std::ptr::null(), |s| s.as_ptr()),
            flags,
            dat.as_ref().map_or(std::ptr::null(), |s| s.as_ptr().cast()),
        )
    };
    cvt(r as _).map(drop)
}

/// `open_tree(2)` flags (not in every libc release for every target).
const OPEN_TREE_CLONE: libc::c_uint = 1;
/// `move_mount(2)`: the source is the descriptor itself.
const MOVE_MOUNT_F_EMPTY_PATH: libc::c_uint = 4;

/// `open_tree(2)` with `OPEN_TREE_CLONE`: a detached bind mount of `path`
/// (Linux 5.2). Its descriptor can travel to a process in another mount
/// namespace, which attaches it there with [`move_mount_to`]; a plain
/// `mount(MS_BIND)` there could not name a source outside its namespace.
pub fn open_tree_clone(path: &Path) -> io::Result<OwnedFd> {
    let p = cpath(path)?;
    let flags = OPEN_TREE_CLONE | libc::O_CLOEXEC as libc::c_uint;
    // SAFETY: `p` is a valid C string; the call takes no other pointer.
    let fd = cvt(unsafe { libc::syscall(libc::SYS_open_tree, libc::AT_FDCWD, p.as_ptr(), flags) })?;
    // SAFETY: open_tree returned a fresh descriptor that nobody else owns.
    Ok(unsafe { OwnedFd::from_raw_fd(fd as RawFd) })
}

/// `move_mount(2)`: attaches the detached mount `tree` (from
/// [`open_tree_clone`]) at `target` in this process's mount namespace.
pub fn move_mount_to(tree: &OwnedFd, target: &Path) -> io::Result<()> {
    use std::os::fd::AsRawFd;
    let t = cpath(target)?;
    // SAFETY: both strings are valid C strings that outlive the call; `tree` is our descriptor.
    cvt(unsafe {
        libc::syscall(
            libc::SYS_move_mount,
            tree.as_raw_fd(),
            c"".as_ptr(),
            libc::AT_FDCWD,
            t.as_ptr(),
            MOVE_MOUNT_F_EMPTY_PATH,
        )
    })
    .map(drop)
}

/// `mount_setattr(2)` with `AT_RECURSIVE`: sets `attrs` (`MOUNT_ATTR_*`) on the
/// mount at `target` and on every mount below it.
pub fn mount_setattr_recursive(target: &Path, attrs: u64) -> io::Result<()> {
    let t = cpath(target)?;
    let attr = libc::mount_attr { attr_set: attrs, attr_clr: 0, propagation: 0, userns_fd: 0 };
    // SAFETY: `t` is a valid C string and `attr` a valid mount_attr whose size we pass.
    cvt(unsafe {
        libc::syscall(
            libc::SYS_mount_setattr,
            libc::AT_FDCWD,
            t.as_ptr(),
            libc::AT_RECURSIVE as libc::c_uint,
            &attr as *const libc::mount_attr,
            std::mem::size_of::<libc::mount_attr>(),
        )
    })
    .map(drop)
}

/// Without `mount_setattr` (Linux < 5.12): remounts the bind at `target` and
/// every mount below it (from `/proc/self/mountinfo`) nosuid, nodev and,
/// if `read_only`, read-only, keeping the flags each already has (noexec,
/// atime). A plain remount changes only the one mount it names, so every
/// submount is named in turn.
pub fn remount_tree_locked(target: &Path, read_only: bool) -> io::Result<()> {
    let info = std::fs::read_to_string("/proc/self/mountinfo")?;
    let mut done = 0;
    for (point, opts) in mounts_below(&info, target) {
        let mut flags = libc::MS_BIND | libc::MS_REMOUNT | libc::MS_NOSUID | libc::MS_NODEV;
        if read_only || opts.iter().any(|o| o == "ro") {
            flags |= libc::MS_RDONLY;
        }
        for (name, flag) in [
            ("noexec", libc::MS_NOEXEC),
            ("noatime", libc::MS_NOATIME),
            ("nodiratime", libc::MS_NODIRATIME),
            ("relatime", libc::MS_RELATIME),
            ("strictatime", libc::MS_STRICTATIME),
        ] {
            if opts.iter().any(|o| o == name) {
                flags |= flag;
            }
        }
        mount(None, Path::new(&point), None, flags, None)?;
        done += 1;
    }
    if done == 0 {
        return Err(io::Error::new(io::ErrorKind::NotFound, format!("no mount at {}", target.display())));
    }
    Ok(())
}

/// The mount points at or below `target` in a mountinfo text, with their
/// per-mount options.
pub fn mounts_below(mountinfo: &str, target: &Path) -> Vec<(String, Vec<String>)> {
    let target = target.to_string_lossy();
    let target = target.trim_end_matches('/');
    mountinfo
        .lines()
        .filter_map(|line| {
            let mut f = line.split(' ');
            let point = flash_cgroup::unescape_mountinfo(f.nth(4)?);
            let opts = f.next()?.split(',').map(str::to_owned).collect();
            let below = point == target || point.strip_prefix(target).is_some_and(|rest| rest.starts_with('/'));
            below.then_some((point, opts))
        })
        .collect()
}

/// `clone3(2)` like `fork`, with namespace `flags`, the child born straight
/// into the cgroup whose directory fd is `cgroup` (`CLONE_INTO_CGROUP`,
/// Linux 5.7): no migration afterwards. Returns the child's pid in the
/// parent and 0 in the child, or -1 with errno set.
///
/// # Safety
/// As for `fork`: the caller must be single-threaded, and the child may only
/// do what is safe after a fork.
pub unsafe fn clone3_into_cgroup(flags: u64, cgroup: std::os::fd::RawFd) -> libc::c_long {
    /// `struct clone_args` as of Linux 5.7 (its size tells the kernel the version).
    #[repr(C)]
    struct CloneArgs {
        flags: u64,
        pidfd: u64,
        child_tid: u64,
        parent_tid: u64,
        exit_signal: u64,
        stack: u64,
        stack_size: u64,
        tls: u64,
        set_tid: u64,
        set_tid_size: u64,
        cgroup: u64,
    }
    const CLONE_INTO_CGROUP: u64 = 0x2_0000_0000;
    let args = CloneArgs {
        flags: flags | CLONE_INTO_CGROUP,
        pidfd: 0,
        child_tid: 0,
        parent_tid: 0,
        exit_signal: libc::SIGCHLD as u64,
        stack: 0,
        stack_size: 0,
        tls: 0,
        set_tid: 0,
        set_tid_size: 0,
        cgroup: cgroup as u64,
    };
    // SAFETY: `args` is a valid clone_args of the size passed; with no stack the
    // child continues on a copy of ours, as after fork (the caller's contract).
    unsafe { libc::syscall(libc::SYS_clone3, &args as *const CloneArgs, std::mem::size_of::<CloneArgs>()) }
}

/// `umount2(2)`.
pub fn umount2(target: &Path, flags: libc::c_int) -> io::Result<()> {
    let t = cpath(target)?;
    // SAFETY: `t` is a valid C string for the duration of the call.
    cvt(unsafe { libc::umount2(t.as_ptr(), flags) } as _).map(drop)
}

/// `unshare(2)`.
pub fn unshare(flags: libc::c_int) -> io::Result<()> {
    // SAFETY: unshare takes no pointers.
    cvt(unsafe { libc::unshare(flags) } as _).map(drop)
}

/// `pivot_root(2)`.
pub fn pivot_root(new_root: &Path, put_old: &Path) -> io::Result<()> {
    let n = cpath(new_root)?;
    let o = cpath(put_old)?;
    // SAFETY: both are valid C strings; the raw syscall has no libc wrapper.
    cvt(unsafe { libc::syscall(libc::SYS_pivot_root, n.as_ptr(), o.as_ptr()) }).map(drop)
}

/// `pipe2(O_CLOEXEC)`: (read end, write end).
pub fn pipe() -> io::Result<(OwnedFd, OwnedFd)> {
    let mut fds = [0 as RawFd; 2];
    // SAFETY: `fds` has room for the two descriptors pipe2 writes.
    cvt(unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) } as _)?;
    // SAFETY: pipe2 succeeded, so both descriptors are fresh and owned by us.
    Ok(unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) })
}

/// A sealed-size memfd holding `data`, positioned at 0 (used as stdin).
pub fn memfd_with(name: &CStr, data: &[u8]) -> io::Result<OwnedFd> {
    // SAFETY: `name` is a valid C string.
    let fd = cvt(unsafe { libc::memfd_create(name.as_ptr(), libc::MFD_CLOEXEC) } as _)?;
    // SAFETY: memfd_create returned a fresh descriptor that we now own.
    let owned = unsafe { OwnedFd::from_raw_fd(fd as RawFd) };
    let mut f = std::fs::File::from(owned);
    io::Write::write_all(&mut f, data)?;
    io::Seek::seek(&mut f, io::SeekFrom::Start(0))?;
    Ok(f.into())
}

/// `kill(2)`; ESRCH is not an error (the process is already gone).
pub fn kill(pid: libc::pid_t, sig: libc::c_int) {
    // SAFETY: kill takes no pointers; a failure only means the target is gone.
    unsafe { libc::kill(pid, sig) };
}

/// CPU time this process has used so far, in nanoseconds.
pub fn self_cpu_ns() -> u64 {
    let mut ts = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: `ts` is a valid out-pointer.
    unsafe { libc::clock_gettime(libc::CLOCK_PROCESS_CPUTIME_ID, &mut ts) };
    ts.tv_sec as u64 * 1_000_000_000 + ts.tv_nsec as u64
}

/// This process's resident set now, bytes (from /proc/self/statm).
pub fn resident_bytes() -> io::Result<u64> {
    let statm = std::fs::read_to_string("/proc/self/statm")?;
    let pages: u64 = statm.split_whitespace().nth(1).and_then(|p| p.parse().ok()).unwrap_or(0);
    // SAFETY: sysconf takes no pointers.
    Ok(pages * unsafe { libc::sysconf(libc::_SC_PAGESIZE) }.max(0) as u64)
}

/// Brings the loopback interface of the current network namespace up.
pub fn loopback_up() -> io::Result<()> {
    // SAFETY: plain socket creation; the descriptor is wrapped right away.
    let fd = cvt(unsafe { libc::socket(libc::AF_INET, libc::SOCK_DGRAM | libc::SOCK_CLOEXEC, 0) } as _)?;
    // SAFETY: socket returned a fresh descriptor we own.
    let sock = unsafe { OwnedFd::from_raw_fd(fd as RawFd) };
    // SAFETY: ifreq is plain data; all-zero is a valid value.
    let mut req: libc::ifreq = unsafe { std::mem::zeroed() };
    for (d, s) in req.ifr_name.iter_mut().zip(b"lo\0") {
        *d = *s as libc::c_char;
    }
    use std::os::fd::AsRawFd;
    // SAFETY: `req` is a valid ifreq naming "lo"; SIOCGIFFLAGS fills ifru_flags.
    cvt(unsafe { libc::ioctl(sock.as_raw_fd(), libc::SIOCGIFFLAGS, &mut req) } as _)?;
    // SAFETY: the union member ifru_flags was just written by the kernel.
    unsafe { req.ifr_ifru.ifru_flags |= libc::IFF_UP as libc::c_short };
    // SAFETY: as above, with the flags to set.
    cvt(unsafe { libc::ioctl(sock.as_raw_fd(), libc::SIOCSIFFLAGS, &req) } as _).map(drop)
}

/// CLOCK_MONOTONIC now, in seconds.
pub fn monotonic_secs() -> f64 {
    // SAFETY: an all-zero timespec is valid and clock_gettime only writes it.
    let mut ts: libc::timespec = unsafe { std::mem::zeroed() };
    // SAFETY: `ts` is a valid timespec to write.
    unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC, &mut ts) };
    ts.tv_sec as f64 + ts.tv_nsec as f64 / 1e9
}

/// Sends `data` on a Unix stream socket with `fds` attached (SCM_RIGHTS).
pub fn send_fds(sock: RawFd, data: &[u8], fds: &[RawFd]) -> io::Result<()> {
    let fd_bytes = std::mem::size_of_val(fds);
    // SAFETY: CMSG_SPACE only computes a size.
    let space = unsafe { libc::CMSG_SPACE(fd_bytes as u32) } as usize;
    let mut cbuf = vec![0u64; space.div_ceil(8)];
    let mut iov = libc::iovec { iov_base: data.as_ptr() as *mut _, iov_len: data.len() };
    // SAFETY: an all-zero msghdr is valid; the pointers set below outlive the call.
    let mut msg: libc::msghdr = unsafe { std::mem::zeroed() };
    msg.msg_iov = &mut iov;
    msg.msg_iovlen = 1;
    msg.msg_control = cbuf.as_mut_ptr().cast();
    msg.msg_controllen = space as _;
    // SAFETY: msg_control points at a buffer of CMSG_SPACE(fd_bytes) bytes, so
    // the first header and its data fit; the data copy is of exactly fd_bytes.
    unsafe {
        let c = libc::CMSG_FIRSTHDR(&msg);
        (*c).cmsg_level = libc::SOL_SOCKET;
        (*c).cmsg_type = libc::SCM_RIGHTS;
        (*c).cmsg_len = libc::CMSG_LEN(fd_bytes as u32) as _;
        std::ptr::copy_nonoverlapping(fds.as_ptr().cast::<u8>(), libc::CMSG_DATA(c), fd_bytes);
    }
    // SAFETY: `msg` is fully initialised and its buffers are alive.
    let n = cvt(unsafe { libc::sendmsg(sock, &msg, libc::MSG_NOSIGNAL) } as libc::c_long)?;
    if n as usize != data.len() {
        return Err(io::Error::new(io::ErrorKind::WriteZero, "short sendmsg"));
    }
    Ok(())
}

/// Receives exactly `data.len()` bytes from a Unix stream socket and the `n`
/// descriptors sent with them (SCM_RIGHTS); fewer descriptors is an error.
pub fn recv_fds(sock: RawFd, data: &mut [u8], n: usize) -> io::Result<Vec<OwnedFd>> {
    let (got, fds) = recv_upto_fds(sock, data, n)?;
    if got != data.len() || fds.len() != n {
        return Err(io::Error::new(io::ErrorKind::InvalidData, format!("expected {n} descriptors, got {}", fds.len())));
    }
    Ok(fds)
}

/// Receives `data.len()` bytes (fewer only at end of file, a timeout or a
/// descriptor boundary) and up to `n` descriptors sent with them.
pub fn recv_upto_fds(sock: RawFd, data: &mut [u8], n: usize) -> io::Result<(usize, Vec<OwnedFd>)> {
    let fd_bytes = n * std::mem::size_of::<RawFd>();
    // SAFETY: CMSG_SPACE only computes a size.
    let space = unsafe { libc::CMSG_SPACE(fd_bytes as u32) } as usize;
    let mut cbuf = vec![0u64; space.div_ceil(8)];
    let mut iov = libc::iovec { iov_base: data.as_mut_ptr().cast(), iov_len: data.len() };
    // SAFETY: an all-zero msghdr is valid; the pointers set below outlive the call.
    let mut msg: libc::msghdr = unsafe { std::mem::zeroed() };
    msg.msg_iov = &mut iov;
    msg.msg_iovlen = 1;
    msg.msg_control = cbuf.as_mut_ptr().cast();
    msg.msg_controllen = space as _;
    // SAFETY: `msg` is fully initialised and its buffers are alive; received
    // descriptors are marked close-on-exec.
    let got =
        cvt(unsafe { libc::recvmsg(sock, &mut msg, libc::MSG_CMSG_CLOEXEC | libc::MSG_WAITALL) } as libc::c_long)?;
    let mut fds = Vec::new();
    // SAFETY: walking the control messages the kernel wrote into `cbuf`; every
    // SCM_RIGHTS descriptor is now ours and is owned exactly once.
    unsafe {
        let mut c = libc::CMSG_FIRSTHDR(&msg);
        while !c.is_null() {
            if (*c).cmsg_level == libc::SOL_SOCKET && (*c).cmsg_type == libc::SCM_RIGHTS {
                let count = ((*c).cmsg_len as usize - libc::CMSG_LEN(0) as usize) / std::mem::size_of::<RawFd>();
                let p = libc::CMSG_DATA(c).cast::<RawFd>();
                for i in 0..count {
                    fds.push(OwnedFd::from_raw_fd(std::ptr::read_unaligned(p.add(i))));
                }
            }
            c = libc::CMSG_NXTHDR(&msg, c);
        }
    }
    if msg.msg_flags & libc::MSG_CTRUNC != 0 {
        return Err(io::Error::new(io::ErrorKind::InvalidData, format!("more than {n} descriptors sent")));
    }
    Ok((got as usize, fds))
}

/// Copies `from` to the start of `to`, leaving its all-zero pages as holes:
/// a sparse binary (say, from linker options that pad its segments) takes
/// only the room of its contents, in the compile cache (the helper collects
/// into it) and in a box's tmpfs (the library stages into it), however large
/// its apparent size. Returns the bytes copied.
pub fn copy_sparse(from: &mut impl std::io::Read, to: &mut std::fs::File) -> io::Result<u64> {
    use std::io::{Seek, SeekFrom, Write};
    const PAGE: usize = 4096;
    let mut buf = vec![0u8; 16 * PAGE];
    let mut total = 0u64;
    loop {
        // Whole pages where the reader gives them, so holes line up with pages.
        let mut n = 0;
        while n < buf.len() {
            match from.read(&mut buf[n..]) {
                Ok(0) => break,
                Ok(k) => n += k,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        if n == 0 {
            break;
        }
        for page in buf[..n].chunks(PAGE) {
            if page.iter().all(|&b| b == 0) {
                to.seek(SeekFrom::Current(page.len() as i64))?;
            } else {
                to.write_all(page)?;
            }
        }
        total += n as u64;
    }
    to.set_len(total)?;
    Ok(total)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mounts_below_finds_the_bind_and_every_submount_only() {
        let info = "\
1 0 8:1 / / rw,relatime - ext4 /dev/sda1 rw
2 1 8:1 /usr /r/usr rw,relatime - ext4 /dev/sda1 rw
3 2 8:2 / /r/usr/local rw,noexec,nosuid - ext4 /dev/sda2 rw
4 2 0:5 / /r/usr/my\\040dir ro,noatime - tmpfs tmpfs rw
5 1 8:1 /usr2 /r/usr2 rw,relatime - ext4 /dev/sda1 rw
";
        let got = mounts_below(info, Path::new("/r/usr"));
        let points: Vec<&str> = got.iter().map(|(p, _)| p.as_str()).collect();
        assert_eq!(points, ["/r/usr", "/r/usr/local", "/r/usr/my dir"]);
        assert!(got[1].1.contains(&"noexec".to_string()));
        assert!(got[2].1.contains(&"ro".to_string()));
        assert!(mounts_below(info, Path::new("/nope")).is_empty());
    }

    #[test]
    fn a_sparse_copy_keeps_its_holes() {
        use std::os::unix::fs::MetadataExt;
        // 8 MiB apparent: a page of code, zeros, a page of data at the end, and a tail.
        let mut data = vec![0u8; 8 << 20];
        data[..4096].fill(0x90);
        data[(8 << 20) - 8192..(8 << 20) - 4096].fill(7);
        data.extend_from_slice(b"tail");
        let dir = tempfile::tempdir().unwrap();
        let mut out = std::fs::File::create(dir.path().join("blob")).unwrap();
        let n = copy_sparse(&mut data.as_slice(), &mut out).unwrap();
        assert_eq!(n, data.len() as u64);
        assert_eq!(std::fs::read(dir.path().join("blob")).unwrap(), data);
        let used = out.metadata().unwrap().blocks() * 512;
        assert!(used < 1 << 20, "{used} bytes allocated for 3 pages of contents");
    }
}
