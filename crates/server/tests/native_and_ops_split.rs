//! The native API and operations tests of `native_and_ops.rs` again, in split
//! mode: a private redis-server, an HTTP-only server and two worker processes
//! (see `common/mod.rs`).

#[path = "native_and_ops.rs"]
mod tests;
