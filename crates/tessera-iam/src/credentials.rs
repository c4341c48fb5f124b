//! Credential resolution: what the access key of a signed request stands
//! for, decided from the snapshot alone, before the signature is checked
//! with the key's secret. The server keeps the protocol (SigV4); which keys
//! exist, which may sign, and whose they are is decided here, so that STS
//! session credentials join in one place.

use crate::arn;
use crate::caller::Caller;
use crate::crypto::Secret;
use crate::records::KeyStatus;
use crate::snapshot::Snapshot;

/// What a request's credentials claim.
#[derive(Debug, Clone, Copy)]
pub struct Presented<'r> {
    /// The access key id of the credential scope.
    pub access_key_id: &'r str,
    /// The region the request was signed for.
    pub region: &'r str,
    /// Whether the request carries a session token.
    pub has_session_token: bool,
}

/// The outcome of resolving presented credentials.
#[derive(Debug)]
pub enum Resolved<'s> {
    /// A key Tessera knows and that may sign: check the signature with
    /// `secret`, then act as `caller`.
    Key {
        /// Who the request is from, once the signature holds.
        caller: Caller,
        /// The key's secret.
        secret: &'s Secret,
    },
    /// A key Tessera has never issued (emulator mode may accept it).
    Unknown,
    /// A key that exists but may not sign this request: inactive, sent
    /// with a session token although it is long-term, owned by a deleted
    /// user, or used for a region outside its account's partition. AWS
    /// answers all of these as an invalid security token.
    Refused,
}

/// Resolves `presented` against `snapshot`.
pub fn resolve<'s>(snapshot: &'s Snapshot, presented: &Presented<'_>) -> Resolved<'s> {
    let Some(key) = snapshot.access_key(presented.access_key_id) else {
        return Resolved::Unknown;
    };
    if key.status != KeyStatus::Active || presented.has_session_token {
        return Resolved::Refused;
    }
    let Some(caller) = snapshot.caller_for_key(key) else {
        return Resolved::Refused;
    };
    // Keys live in one partition, as in AWS: a request signed for a region
    // of another partition names a key that partition does not have.
    if arn::partition_of_region(presented.region) != caller.partition() {
        return Resolved::Refused;
    }
    Resolved::Key {
        caller,
        secret: &key.secret,
    }
}

/// The caller an unknown key stands for in emulator mode: the root of the
/// default account.
pub fn emulator_caller(snapshot: &Snapshot, default_account: &str) -> Caller {
    Caller::Root {
        account: default_account.to_string(),
        partition: snapshot
            .account(default_account)
            .map(|a| a.partition.clone())
            .unwrap_or_else(|| arn::DEFAULT_PARTITION.to_string()),
    }
}
