//! When each principal last attempted each service (and, for the services
//! tracked at action level, each action): the data behind IAM's service
//! last accessed reports.
//!
//! AWS counts every authenticated request that reaches authorization,
//! allowed or denied ("last authenticated"), for the principal that made
//! it: a user, a role (a role session counts for its role), or the account
//! root. [`crate::dispatch::Domain`] hands each such attempt to the
//! server's [`crate::ops::Usage`], which keeps the latest per key in memory
//! and writes them here in the background, as it does access keys' and
//! roles' last use: no request waits on a write.
//!
//! | namespace     | key                          | value |
//! |---------------|------------------------------|-------|
//! | `serviceused` | `PRINCIPAL/SERVICE`          | [`ServiceUsedRecord`] |
//! | `serviceused` | `PRINCIPAL/SERVICE/ACTION`   | [`ServiceUsedRecord`] (tracked services only) |
//!
//! `PRINCIPAL` is the user id, the role id, or the account id for the root:
//! a deleted and recreated entity of the same name starts afresh. Deleting
//! a user or role deletes its records, and an attempt flushed after its
//! principal is gone is dropped.

use std::borrow::Cow;
use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use tessera_store::{Backend, Outcome, StoreError, Transaction};

use crate::caller::Caller;
use crate::ids::IdKind;
use crate::kind::EntityKind;
use crate::records::{self, Ns};
use crate::IamError;

/// The services whose actions are tracked one by one (`ACTION_LEVEL`
/// reports). AWS lists IAM among its action-tracked services; STS, the
/// other service Tessera answers, is tracked likewise.
pub const ACTION_TRACKED: &[&str] = &["iam", "sts"];

/// How far back a report looks: AWS reports activity for at least the last
/// 400 days.
pub const TRACKING_PERIOD_SECS: i64 = 400 * 24 * 3600;

/// The latest attempt on one service or action.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServiceUsedRecord {
    /// Seconds since the epoch.
    pub date: i64,
    /// The region the request was signed for.
    pub region: String,
    /// The ARN of the user, role or root that made it.
    pub entity_arn: String,
}

/// One authenticated request's attempt on an action, as recorded. It
/// borrows from the caller and the request: one is made for every request
/// that reaches authorization, and most only update a record already noted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attempt<'a> {
    /// The principal's id: user id, role id, or account id for the root.
    pub principal_id: &'a str,
    /// The principal's ARN (a role's, not its session's).
    pub entity_arn: String,
    /// The service namespace, lowercased, e.g. `iam`.
    pub service: Cow<'a, str>,
    /// The action's name within the service, e.g. `CreateUser`.
    pub action: &'a str,
    /// Seconds since the epoch.
    pub date: i64,
    /// The region the request was signed for.
    pub region: &'a str,
}

/// The principal AWS reports a caller's activity under, as (id, ARN): the
/// user, the role of a role session, the account for the root. `None` for
/// a federated user.
pub fn principal_of(caller: &Caller) -> Option<(&str, String)> {
    match caller {
        Caller::Root {
            account, partition, ..
        } => Some((account, crate::arn::root(partition, account))),
        Caller::User { user_id, .. } => Some((user_id, caller.arn())),
        Caller::AssumedRole {
            account,
            partition,
            role_id,
            role_name,
            role_path,
            ..
        } => Some((
            role_id,
            crate::arn::entity(
                partition,
                account,
                crate::kind::EntityKind::Role,
                role_path,
                role_name,
            ),
        )),
        Caller::FederatedUser { .. } | Caller::WebIdentity(_) | Caller::Saml(_) => None,
    }
}

impl<'a> Attempt<'a> {
    /// The attempt `caller` makes on `action` (`service:Action`), or `None`
    /// when the caller is not a principal AWS reports on (a federated
    /// user) or the action is malformed.
    pub fn of(
        caller: &'a Caller,
        action: &'a str,
        date: i64,
        region: &'a str,
    ) -> Option<Attempt<'a>> {
        let (service, name) = action.split_once(':')?;
        if service.is_empty() || name.is_empty() || service.contains('/') || name.contains('/') {
            return None;
        }
        let (principal_id, entity_arn) = principal_of(caller)?;
        let service = if service.bytes().any(|b| b.is_ascii_uppercase()) {
            Cow::Owned(service.to_ascii_lowercase())
        } else {
            Cow::Borrowed(service)
        };
        Some(Attempt {
            principal_id,
            entity_arn,
            service,
            action: name,
            date,
            region,
        })
    }

    /// Hands `each` the store keys this attempt updates, in one buffer:
    /// the service's, and then the action's for a tracked service.
    pub fn for_each_key(&self, mut each: impl FnMut(&str)) {
        let mut key = String::with_capacity(
            self.principal_id.len() + self.service.len() + self.action.len() + 2,
        );
        key.push_str(self.principal_id);
        key.push('/');
        key.push_str(&self.service);
        each(&key);
        if ACTION_TRACKED.contains(&&*self.service) {
            key.push('/');
            key.push_str(self.action);
            each(&key);
        }
    }

    /// The store keys this attempt updates: the service's, and the
    /// action's for a tracked service.
    pub fn keys(&self) -> Vec<String> {
        let mut keys = Vec::with_capacity(2);
        self.for_each_key(|key| keys.push(key.to_string()));
        keys
    }

    /// The record this attempt leaves.
    pub fn record(&self) -> ServiceUsedRecord {
        ServiceUsedRecord {
            date: self.date,
            region: self.region.to_string(),
            entity_arn: self.entity_arn.clone(),
        }
    }
}

/// Writes the latest attempts (store key → record), in one transaction;
/// an older attempt never overwrites a newer one (another node may have
/// written since; of two in the same second the later flushed wins).
/// Answers how many records changed.
pub fn record_attempts(
    store: &dyn Backend,
    latest: &[(String, ServiceUsedRecord)],
) -> Result<usize, IamError> {
    if latest.is_empty() {
        return Ok(0);
    }
    let ns = Ns::ServiceUsed.as_str();
    tessera_store::write(store, |tx| {
        let mut changed = 0;
        for (key, record) in latest {
            let principal = key.split('/').next().unwrap_or(key);
            if !principal_exists(tx, principal)? {
                continue;
            }
            let known: Option<ServiceUsedRecord> = records::get(tx, ns, key)?;
            if known.is_some_and(|k| k.date > record.date) {
                continue;
            }
            records::put(tx, ns, key, record)?;
            changed += 1;
        }
        Ok::<_, Outcome<IamError>>(changed)
    })
    .map_err(IamError::from)
}

/// Whether the user or role a record's key names still exists: an attempt
/// noted just before its principal was deleted is dropped, so that a
/// deleted entity leaves nothing behind. The root (an account id) always
/// exists: an account need not have a record of its own.
fn principal_exists(tx: &mut dyn Transaction, principal_id: &str) -> Result<bool, StoreError> {
    let kind = if principal_id.starts_with(IdKind::User.prefix()) {
        EntityKind::User
    } else if principal_id.starts_with(IdKind::Role.prefix()) {
        EntityKind::Role
    } else {
        return Ok(true);
    };
    Ok(tx.get(Ns::Entity(kind).as_str(), principal_id)?.is_some())
}

/// Deletes every record of `principal_id`, in the transaction that deletes
/// the user or role: its service last accessed data goes with it, as in
/// IAM, and the store keeps nothing of entities that are gone.
pub(crate) fn forget_principal(
    tx: &mut dyn Transaction,
    principal_id: &str,
) -> Result<(), StoreError> {
    let ns = Ns::ServiceUsed.as_str();
    let prefix = format!("{principal_id}/");
    for (key, _) in records::scan_all(tx, ns, &prefix)? {
        tx.delete(ns, &key)?;
    }
    Ok(())
}

/// What one principal attempted: per service its latest attempt, and per
/// tracked action (`service/Action`) its latest.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PrincipalUsage {
    /// Service namespace → latest attempt.
    pub services: BTreeMap<String, ServiceUsedRecord>,
    /// `service/Action` → latest attempt.
    pub actions: BTreeMap<String, ServiceUsedRecord>,
}

/// Reads what `principal_id` attempted since `since` (seconds).
pub fn principal_usage(
    tx: &mut dyn Transaction,
    principal_id: &str,
    since: i64,
) -> Result<PrincipalUsage, StoreError> {
    let ns = Ns::ServiceUsed.as_str();
    let prefix = format!("{principal_id}/");
    let mut usage = PrincipalUsage::default();
    for (key, bytes) in records::scan_all(tx, ns, &prefix)? {
        let record: ServiceUsedRecord = records::decode(ns, &key, &bytes)?;
        if record.date < since {
            continue;
        }
        let rest = key.strip_prefix(&prefix).unwrap_or(&key).to_string();
        if rest.contains('/') {
            usage.actions.insert(rest, record);
        } else {
            usage.services.insert(rest, record);
        }
    }
    Ok(usage)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deleting_a_principal_forgets_its_records_and_keeps_everyone_elses() {
        let store = tessera_store_sqlite::SqliteBackend::open_in_memory().unwrap();
        let record = ServiceUsedRecord {
            date: 10,
            region: "us-east-1".into(),
            entity_arn: "arn:aws:iam::123456789012:user/alice".into(),
        };
        let ns = Ns::ServiceUsed.as_str();
        tessera_store::write(&store, |tx| {
            for key in ["AIDAALICE/iam", "AIDAALICE/iam/GetUser", "AIDAALICEX/iam"] {
                records::put(tx, ns, key, &record)?;
            }
            forget_principal(tx, "AIDAALICE")?;
            Ok::<_, Outcome<IamError>>(())
        })
        .unwrap();
        let left = tessera_store::read(&store, |tx| records::scan_all(tx, ns, "")).unwrap();
        let keys: Vec<&str> = left.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(keys, ["AIDAALICEX/iam"]);
    }

    #[test]
    fn tracked_services_keep_their_actions_and_the_root_counts_for_the_account() {
        let user = Caller::User {
            account: "123456789012".into(),
            partition: "aws".into(),
            user_id: "AIDAEXAMPLE".into(),
            name: "alice".into(),
            path: "/ops/".into(),
            session: None,
        };
        let attempt = Attempt::of(&user, "iam:ListUsers", 10, "eu-west-1").unwrap();
        assert_eq!(
            attempt.entity_arn,
            "arn:aws:iam::123456789012:user/ops/alice"
        );
        assert_eq!(
            attempt.keys(),
            ["AIDAEXAMPLE/iam", "AIDAEXAMPLE/iam/ListUsers"]
        );
        let s3 = Attempt::of(&user, "S3:GetObject", 10, "eu-west-1").unwrap();
        assert_eq!(s3.keys(), ["AIDAEXAMPLE/s3"]);
        let root = Caller::root("123456789012", "aws");
        let root = Attempt::of(&root, "sts:GetCallerIdentity", 1, "us-east-1").unwrap();
        assert_eq!(root.principal_id, "123456789012");
        assert_eq!(root.entity_arn, "arn:aws:iam::123456789012:root");
        assert!(Attempt::of(&user, "nocolon", 1, "r").is_none());
    }
}
