//! The session tests of `sessions.rs` again, in split mode: the workspace
//! travels to worker processes through Redis (see `common/mod.rs`).

#[path = "sessions.rs"]
mod tests;
