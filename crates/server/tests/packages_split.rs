//! The package tests of `packages.rs` again, in split mode: a private
//! redis-server, an HTTP-only server and two worker processes (see
//! `common/mod.rs`): the upload reaches the workers through Redis.

#[path = "packages.rs"]
mod tests;
