//! What Flash's tests share, and only tests: this crate is a dev-dependency
//! of the others and never part of the `flash` binary.
//!
//! - [`require_root`]: the first line of every test that needs root
//!   (namespaces, mounts, cgroups); such tests are `#[ignore]`d and run as
//!   root by `scripts/test.sh`.

/// Panics, with a clear message, unless this process runs as root.
pub fn require_root() {
    assert_eq!(effective_uid(), Some(0), "this test needs root (namespaces, mounts, cgroups)");
}

/// The effective uid, from `/proc` (no libc, so no unsafe, needed for it).
fn effective_uid() -> Option<u32> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("Uid:"))?;
    line.split_whitespace().nth(2)?.parse().ok()
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_effective_uid_is_read() {
        let uid = super::effective_uid().expect("a Uid line in /proc/self/status");
        let mine = std::fs::metadata("/proc/self").map(|m| std::os::unix::fs::MetadataExt::uid(&m)).unwrap();
        assert_eq!(uid, mine, "/proc/self belongs to the effective uid");
    }
}
