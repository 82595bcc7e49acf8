//! Flash's durable queue and result store: what a job is as it is stored
//! ([`job`]), the contract every store keeps ([`store::JobStore`], and
//! [`store::Cluster`] for a store shared by several processes), and its two
//! backends: [`store::sqlite`] (embedded, one process) and [`store::redis`]
//! (shared by any number of servers and workers).
//!
//! Layout:
//! - [`job`]: [`job::JobRequest`] (a validated submission), [`job::JobResult`]
//!   (its outcome) and [`job::JobRecord`] (a job in the queue), stored as JSON;
//! - [`store`]: the traits and their contract (`store/contract.rs` is the
//!   one test suite every backend passes, run against both), the backends,
//!   and [`store::board::Board`], the in-memory front the service puts
//!   before either;
//! - [`redis_server`]: a private redis-server, for `flash bench redis` and
//!   for tests.
//!
//! The service (flash-server) re-exports [`job`] and [`store`], so its
//! `crate::store::...` paths are these.

pub mod job;
pub mod redis_server;
pub mod store;
