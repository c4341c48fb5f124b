//! The Tessera server: one HTTP listener answering the IAM and STS Query
//! APIs, told apart by the SigV4 credential scope.
//!
//! This is the only crate that knows HTTP. A request travels
//! [`listener`] (connections under the bounds of [`limits`]), [`http`]
//! (the body, read by [`body`]), then [`pipeline::handle`]: SigV4 parse →
//! key lookup in the snapshot → signature check → query decoding →
//! operation lookup → model-driven input decoding and validation →
//! authorization → the operation (in `tessera-iam`) → model-driven
//! encoding.
//!
//! # Invariants
//!
//! - An operation runs only for a request whose signature was verified, or,
//!   in emulator mode, for a key the server does not know, which is then
//!   treated as the default account's root. Both paths go through
//!   `tessera_sigv4::VerifiedRequest`, which only the verifier builds.
//! - A policy evaluation whose work bound exceeds
//!   [`costly::INLINE_WORK_BUDGET`] never runs on an async worker: it is
//!   decided on a small bounded set of blocking threads ([`costly`]).
//! - Authentication and authorization read only the in-memory snapshot; SQL
//!   runs only inside operations, on blocking threads.
//! - After an operation that wrote to the store, the node refreshes its
//!   snapshot before answering, so the caller's next request sees the change.

pub mod accounts;
pub mod admin;
pub mod audit;
pub mod body;
pub mod clock;
pub mod compaction;
pub mod costly;
pub mod delegation_tokens;
pub mod http;
pub mod limits;
pub mod listener;
pub mod metered_store;
pub mod metrics;
pub mod notified_refresh;
pub mod oidc_keys;
pub mod pipeline;
pub mod request_log;
pub mod startup;
pub mod state;
pub mod usage;

pub use startup::{serve, ServeOptions};
