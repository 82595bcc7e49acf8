//! The tests of `debug_jobs.rs` again, in split mode: a private redis-server,
//! an HTTP-only server and two worker processes (see `common/mod.rs`).

#[path = "debug_jobs.rs"]
mod tests;
