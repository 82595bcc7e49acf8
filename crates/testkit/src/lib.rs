//! What Flash's tests share, and only tests: this crate is a dev-dependency
//! of the others and never part of the `flash` binary.
//!
//! - [`require_root`]: the first line of every test that needs root
//!   (namespaces, mounts, cgroups); such tests are `#[ignore]`d and run as
//!   root by `scripts/test.sh`.
//! - [`prerequisite_missing`]: the one rule for a tool a test needs that is
//!   not installed: skip, saying why, or fail when `FLASH_REQUIRE_ROOT_TESTS`
//!   is set (CI, whose set-up installs every tool).
//! - `redis_for_tests` (feature `redis`): a private redis-server for one
//!   test, by that rule. The server itself ([`flash_store::redis_server`])
//!   lives in flash-store because `flash bench redis` starts one in
//!   production; only the skip-or-fail policy is test-only.

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

/// Whether CI asked for every test to really run (`FLASH_REQUIRE_ROOT_TESTS`).
pub fn everything_required() -> bool {
    std::env::var_os("FLASH_REQUIRE_ROOT_TESTS").is_some()
}

/// A tool the test needs is missing: panics when [`everything_required`],
/// else says on stderr that the test is skipped and why. `what` names the
/// tool, `install` says how to get it.
pub fn prerequisite_missing(what: &str, install: &str) {
    if everything_required() {
        panic!("FLASH_REQUIRE_ROOT_TESTS is set but {what} is not installed ({install})");
    }
    eprintln!("SKIP: {what} is not installed ({install})");
}

/// A private redis-server for a test, with its files in `dir`, or `None`
/// (after [`prerequisite_missing`]: skipped, or a failure under CI) when
/// redis-server is not installed.
#[cfg(feature = "redis")]
pub fn redis_for_tests(dir: &std::path::Path) -> Option<RedisServer> {
    if flash_store::redis_server::binary().is_none() {
        prerequisite_missing("redis-server", "apt-get install redis-server, or bash scripts/setup.sh");
        return None;
    }
    Some(RedisServer::start(dir).expect("starting a private redis-server"))
}

/// The type [`redis_for_tests`] returns. flash-store's own unit tests name
/// it through here: they see the crate under test as `crate`, a copy apart
/// from the flash-store this crate links, so its types are not the same.
#[cfg(feature = "redis")]
pub use flash_store::redis_server::RedisServer;

#[cfg(test)]
mod tests {
    #[test]
    fn the_effective_uid_is_read() {
        let uid = super::effective_uid().expect("a Uid line in /proc/self/status");
        let mine = std::fs::metadata("/proc/self").map(|m| std::os::unix::fs::MetadataExt::uid(&m)).unwrap();
        assert_eq!(uid, mine, "/proc/self belongs to the effective uid");
    }

    #[test]
    #[should_panic(expected = "FLASH_REQUIRE_ROOT_TESTS is set but tool-x is not installed (get it)")]
    fn a_missing_tool_fails_the_test_when_everything_is_required() {
        // Each test is a process of its own under nextest; under `cargo test`
        // no other test here reads the variable.
        std::env::set_var("FLASH_REQUIRE_ROOT_TESTS", "1");
        super::prerequisite_missing("tool-x", "get it");
    }
}
