//! The IAM and STS domain of Tessera.
//!
//! This crate knows what accounts, users, groups, roles, managed policies,
//! instance profiles and access keys are ([`kind`], [`records`]), how their
//! identifiers and ARNs look, how they are kept ([`table`], [`edges`]),
//! which invariants their operations keep ([`ops`], [`invariants`]), how
//! requests are authorized ([`authz`]) through one boundary ([`dispatch`]),
//! and how the in-memory authorization snapshot is maintained from the
//! store ([`snapshot`]). It knows no HTTP (the server decodes requests into
//! [`serde_json::Value`]s shaped by the service model and hands them to
//! [`dispatch::Domain`]) and no SQL (it talks to the store only through
//! [`tessera_store::Backend`]).
//!
//! # Invariants
//!
//! - Every write goes through one store transaction that re-checks the
//!   invariant it protects (quota, uniqueness, references), so racing
//!   requests on any number of nodes cannot break it.
//! - Access-key secrets are stored only sealed under the key-encryption key
//!   ([`crypto`]); plaintext exists in memory, inside [`crypto::Secret`],
//!   whose `Debug` shows nothing.
//! - The clock and the random source come in through [`ops::OpContext`], so
//!   operations are deterministic under test.
//! - Records are keyed by immutable ids; names are an index that only
//!   [`table`] writes; relations are edges that only [`edges`] writes, both
//!   ways at once.

pub mod arn;
pub mod authorization_message;
pub mod authz;
pub mod aws_managed;
pub mod bootstrap;
pub mod bundle_cache;
pub mod caller;
pub mod certificates;
pub mod credentials;
pub mod crypto;
pub mod der;
pub mod dispatch;
pub mod edges;
pub mod error;
pub mod ids;
pub mod invariants;
pub mod jwt_signing;
pub mod jwt_verify;
pub mod kind;
pub mod mfa;
pub mod ops;
pub mod outbound;
pub mod passwords;
pub mod policies;
pub mod quotas;
pub mod records;
pub mod role_usage;
pub mod saml;
pub mod service_linked;
pub mod service_usage;
pub mod sessions;
pub mod snapshot;
pub mod ssh_keys;
pub mod table;
pub mod upgrade;
pub mod web_identity;

pub use error::IamError;
