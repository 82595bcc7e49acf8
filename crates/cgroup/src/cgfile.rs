//! A kept-open cgroup control file, read and written at offset 0.
//!
//! cgroup files are seq files: every `pread(fd, .., 0)` re-generates the
//! contents, and every `pwrite(fd, .., 0)` is one command to the kernel. So
//! the same fd can be reused thousands of times without seeking, and a value
//! must go out in exactly one write syscall (a split write would be two
//! commands). Reads of single numbers and flat-keyed files use stack buffers
//! because [`crate::Controls`] is polled every few milliseconds.

use std::ffi::CStr;
use std::fs::{File, OpenOptions};
use std::io;
use std::os::fd::{AsRawFd, FromRawFd};
use std::os::unix::fs::{FileExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

use crate::Error;

/// Big enough for any flat-keyed file we read (`cpu.stat`, `memory.events`,
/// `memory.oom_control`); larger contents fall back to a heap read.
const KEYED_BUF: usize = 1024;

/// An open cgroup file and its path (for error messages).
#[derive(Debug)]
pub(crate) struct CgFile {
    file: File,
    path: PathBuf,
}

impl CgFile {
    /// Opens for reading and writing (std opens with `O_CLOEXEC`).
    pub(crate) fn open_rw(path: PathBuf) -> Result<Self, Error> {
        Self::open(path, true)
    }

    /// Opens read-only (`O_CLOEXEC`).
    pub(crate) fn open_ro(path: PathBuf) -> Result<Self, Error> {
        Self::open(path, false)
    }

    /// Like [`CgFile::open_rw`], but a file that does not exist is `None`.
    pub(crate) fn open_rw_optional(path: PathBuf) -> Result<Option<Self>, Error> {
        Self::open_optional(path, true)
    }

    /// Like [`CgFile::open_ro`], but a file that does not exist is `None`.
    pub(crate) fn open_ro_optional(path: PathBuf) -> Result<Option<Self>, Error> {
        Self::open_optional(path, false)
    }

    fn open_optional(path: PathBuf, write: bool) -> Result<Option<Self>, Error> {
        match Self::open(path, write) {
            Ok(f) => Ok(Some(f)),
            Err(Error::Open { error, .. }) if error.kind() == io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e),
        }
    }

    fn open(path: PathBuf, write: bool) -> Result<Self, Error> {
        match OpenOptions::new().read(true).write(write).open(&path) {
            Ok(file) => Ok(CgFile { file, path }),
            Err(error) => Err(Error::Open { path, error }),
        }
    }

    pub(crate) fn path(&self) -> &Path {
        &self.path
    }

    /// Writes `value` with a single `pwrite` at offset 0.
    pub(crate) fn write_bytes(&self, value: &[u8]) -> Result<(), Error> {
        match self.file.write_at(value, 0) {
            Ok(n) if n == value.len() => Ok(()),
            Ok(n) => Err(self.write_error(
                value,
                io::Error::new(io::ErrorKind::WriteZero, format!("short write: {n} of {} bytes", value.len())),
            )),
            Err(error) => Err(self.write_error(value, error)),
        }
    }

    /// Writes a decimal number without allocating.
    pub(crate) fn write_u64(&self, value: u64) -> Result<(), Error> {
        let mut buf = [0u8; 20];
        self.write_bytes(format_u64(value, &mut buf))
    }

    fn write_error(&self, value: &[u8], error: io::Error) -> Error {
        Error::Write { value: String::from_utf8_lossy(value).into_owned(), path: self.path.clone(), error }
    }

    /// Reads a file holding one decimal number.
    pub(crate) fn read_u64(&self) -> Result<u64, Error> {
        let mut buf = [0u8; 64];
        let n = self.read_into(&mut buf, true)?;
        parse_u64(&buf[..n]).ok_or_else(|| self.parse_error(&buf[..n]))
    }

    /// Reads a flat-keyed file (`key value` lines) and returns the value of
    /// `key`, or `None` if the key is absent.
    pub(crate) fn read_keyed(&self, key: &str) -> Result<Option<u64>, Error> {
        let mut buf = [0u8; KEYED_BUF];
        let n = self.read_into(&mut buf, true)?;
        if n < buf.len() {
            return keyed_value(&buf[..n], key).map_err(|()| self.parse_error(&buf[..n]));
        }
        let all = self.read_all()?;
        keyed_value(&all, key).map_err(|()| self.parse_error(&all))
    }

    /// Reads the whole file onto the heap.
    pub(crate) fn read_all(&self) -> Result<Vec<u8>, Error> {
        let mut out = Vec::new();
        let mut chunk = [0u8; 4096];
        loop {
            let n = self.file.read_at(&mut chunk, out.len() as u64).map_err(|error| self.read_error(error))?;
            if n == 0 {
                return Ok(out);
            }
            out.extend_from_slice(&chunk[..n]);
        }
    }

    /// Fills `buf` from offset 0; returns the length read.
    ///
    /// With `single_show`, a short read ending in a newline is taken as the
    /// whole file, saving the second (empty) `pread`: the files read this
    /// way are produced by a single `show()` call in the kernel and come out
    /// whole in one read.
    fn read_into(&self, buf: &mut [u8], single_show: bool) -> Result<usize, Error> {
        let mut len = 0;
        while len < buf.len() {
            let n = self.file.read_at(&mut buf[len..], len as u64).map_err(|error| self.read_error(error))?;
            if n == 0 {
                break;
            }
            len += n;
            if single_show && buf[len - 1] == b'\n' && len < buf.len() {
                break;
            }
        }
        Ok(len)
    }

    fn read_error(&self, error: io::Error) -> Error {
        Error::Read { path: self.path.clone(), error }
    }

    pub(crate) fn parse_error(&self, content: &[u8]) -> Error {
        Error::Parse { path: self.path.clone(), content: String::from_utf8_lossy(content).into_owned() }
    }
}

/// A kept-open cgroup directory, for files that must be opened afresh for
/// each read even after the process has pivot_rooted away from `/sys`.
#[derive(Debug)]
pub(crate) struct CgDir {
    dir: File,
    path: PathBuf,
}

impl CgDir {
    /// Opens the directory (`O_RDONLY | O_DIRECTORY | O_CLOEXEC`).
    pub(crate) fn open(path: PathBuf) -> Result<Self, Error> {
        match OpenOptions::new().read(true).custom_flags(libc::O_DIRECTORY).open(&path) {
            Ok(dir) => Ok(CgDir { dir, path }),
            Err(error) => Err(Error::Open { path, error }),
        }
    }

    /// Opens `name` in the directory read-only, with `openat`.
    pub(crate) fn open_ro(&self, name: &CStr) -> Result<CgFile, Error> {
        self.openat(name, libc::O_RDONLY)
    }

    /// Opens the control file `name`, read-write if `write`.
    pub(crate) fn open_file(&self, name: &str, write: bool) -> Result<CgFile, Error> {
        let c = std::ffi::CString::new(name).map_err(|_| self.bad_name(name))?;
        self.openat(&c, if write { libc::O_RDWR } else { libc::O_RDONLY })
    }

    /// Like [`CgDir::open_file`], but a file that does not exist is `None`.
    pub(crate) fn open_file_optional(&self, name: &str, write: bool) -> Result<Option<CgFile>, Error> {
        match self.open_file(name, write) {
            Ok(f) => Ok(Some(f)),
            Err(Error::Open { error, .. }) if error.kind() == io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Opens the sub-cgroup `name` as a directory.
    pub(crate) fn open_dir(&self, name: &str) -> Result<CgDir, Error> {
        let c = std::ffi::CString::new(name).map_err(|_| self.bad_name(name))?;
        let f = self.openat(&c, libc::O_RDONLY | libc::O_DIRECTORY)?;
        Ok(CgDir { dir: f.file, path: f.path })
    }

    /// Creates the sub-cgroup `name` (`mkdirat`).
    pub(crate) fn mkdir(&self, name: &str) -> Result<(), Error> {
        let c = std::ffi::CString::new(name).map_err(|_| self.bad_name(name))?;
        // SAFETY: `c` is NUL-terminated and `self.dir` an open directory fd.
        let r = unsafe { libc::mkdirat(self.dir.as_raw_fd(), c.as_ptr(), 0o755) };
        if r != 0 {
            return Err(Error::CreateDir { path: self.path.join(name), error: io::Error::last_os_error() });
        }
        Ok(())
    }

    /// Removes the sub-cgroup `name` (`unlinkat` with `AT_REMOVEDIR`).
    pub(crate) fn rmdir(&self, name: &str) -> Result<(), Error> {
        let c = std::ffi::CString::new(name).map_err(|_| self.bad_name(name))?;
        // SAFETY: `c` is NUL-terminated and `self.dir` an open directory fd.
        let r = unsafe { libc::unlinkat(self.dir.as_raw_fd(), c.as_ptr(), libc::AT_REMOVEDIR) };
        if r != 0 {
            return Err(Error::RemoveDir { path: self.path.join(name), error: io::Error::last_os_error() });
        }
        Ok(())
    }

    /// The directory's fd (for `clone3`'s `CLONE_INTO_CGROUP`).
    pub(crate) fn fd(&self) -> std::os::fd::RawFd {
        self.dir.as_raw_fd()
    }

    fn bad_name(&self, name: &str) -> Error {
        Error::Open { path: self.path.join(name), error: io::Error::from(io::ErrorKind::InvalidInput) }
    }

    fn openat(&self, name: &CStr, flags: libc::c_int) -> Result<CgFile, Error> {
        // SAFETY: `name` is NUL-terminated and `self.dir` is an open
        // directory fd for the whole call; openat touches nothing else.
        let fd = unsafe { libc::openat(self.dir.as_raw_fd(), name.as_ptr(), flags | libc::O_CLOEXEC) };
        let path = self.path.join(name.to_string_lossy().as_ref());
        if fd < 0 {
            let error = io::Error::last_os_error();
            return Err(Error::Open { path, error });
        }
        // SAFETY: `fd` was just returned by openat, is valid and owned by
        // nothing else, so the File may take ownership and close it.
        let file = unsafe { File::from_raw_fd(fd) };
        Ok(CgFile { file, path })
    }
}

/// Formats `value` in decimal into the end of `buf`.
fn format_u64(mut value: u64, buf: &mut [u8; 20]) -> &[u8] {
    let mut i = buf.len();
    loop {
        i -= 1;
        buf[i] = b'0' + (value % 10) as u8;
        value /= 10;
        if value == 0 {
            return &buf[i..];
        }
    }
}

/// Parses one decimal number surrounded by optional whitespace.
pub(crate) fn parse_u64(bytes: &[u8]) -> Option<u64> {
    std::str::from_utf8(bytes).ok()?.trim().parse().ok()
}

/// The value of `key` in `key value` lines; `Err` if that line's value is
/// not a number.
pub(crate) fn keyed_value(bytes: &[u8], key: &str) -> Result<Option<u64>, ()> {
    for line in bytes.split(|&b| b == b'\n') {
        let mut fields = line.split(|&b| b == b' ').filter(|f| !f.is_empty());
        if fields.next() == Some(key.as_bytes()) {
            return fields.next().and_then(parse_u64).map(Some).ok_or(());
        }
    }
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_numbers() {
        let mut buf = [0u8; 20];
        assert_eq!(format_u64(0, &mut buf), b"0");
        assert_eq!(format_u64(1000, &mut buf), b"1000");
        assert_eq!(format_u64(u64::MAX, &mut buf), b"18446744073709551615");
    }

    #[test]
    fn parses_keyed_lines() {
        let text = b"oom_kill_disable 0\nunder_oom 0\noom_kill 3\n";
        assert_eq!(keyed_value(text, "oom_kill"), Ok(Some(3)));
        assert_eq!(keyed_value(text, "under_oom"), Ok(Some(0)));
        assert_eq!(keyed_value(text, "oom"), Ok(None));
        assert_eq!(keyed_value(b"oom_kill x\n", "oom_kill"), Err(()));
    }

    #[test]
    fn rereads_and_rewrites_at_offset_zero() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("pids.current");
        std::fs::write(&path, "17\n").unwrap();
        let f = CgFile::open_rw(path.clone()).unwrap();
        assert_eq!(f.read_u64().unwrap(), 17);
        assert_eq!(f.read_u64().unwrap(), 17);
        f.write_u64(42).unwrap();
        assert_eq!(f.read_u64().unwrap(), 42);
        std::fs::write(&path, "junk\n").unwrap();
        let err = f.read_u64().unwrap_err().to_string();
        assert!(err.contains("pids.current") && err.contains("junk"), "{err}");
    }
}
