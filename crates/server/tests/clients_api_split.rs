//! The client-compatibility tests of `clients_api.rs` again, in split mode
//! (see `common/mod.rs`): Jobe's file cache must reach workers in other
//! processes through Redis.

#[path = "clients_api.rs"]
mod tests;
