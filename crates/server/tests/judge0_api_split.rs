//! The Judge0 API tests of `judge0_api.rs` again, in split mode: a private
//! redis-server, an HTTP-only server and two worker processes (see
//! `common/mod.rs`). Skipped, with the reason, without redis-server; failed
//! instead when FLASH_REQUIRE_ROOT_TESTS is set.

#[path = "judge0_api.rs"]
mod tests;
