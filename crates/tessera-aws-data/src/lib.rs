//! Reference data that AWS publishes, vendored with its licence notices
//! (see `data/NOTICE.md`), and the small typed API over it.
//!
//! - [`managed`]: the AWS-managed policy catalog (every policy's ARN, path,
//!   id, description, default version and version history).
//! - [`authorization`]: the Service Authorization Reference for IAM and STS
//!   (per action: access level, resource types, condition keys).
//!
//! *Invariant:* pure data and lookups; no I/O beyond `include_bytes!`, no
//! knowledge of HTTP, SQL or the rest of Tessera.

pub mod authorization;
pub mod managed;
