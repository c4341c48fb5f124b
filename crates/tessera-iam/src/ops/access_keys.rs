//! Access-key operations: `CreateAccessKey`, `ListAccessKeys`,
//! `UpdateAccessKey`, `DeleteAccessKey`, `GetAccessKeyLastUsed`.
//!
//! Without `UserName`, an operation acts on the caller's own keys: the
//! user's, or the account root's when root calls.

use serde_json::{json, Value};
use tessera_store::{Outcome, Transaction};

use super::paging::page as page_of;
use super::{iso8601, Input, OpContext};
use crate::caller::Caller;
use crate::crypto::Secret;
use crate::ids::{self, IdKind};
use crate::records::{
    self, AccessKeyRecord, KeyOwner, KeyStatus, UserBody, NS_ACCESS_KEY, NS_OWNER_KEY,
};
use crate::table::Table;
use crate::IamError;

/// Whose keys an operation acts on, and the user name to report.
struct KeyTarget {
    owner: KeyOwner,
    user_name: Option<String>,
}

/// Resolves the `UserName` member (or the caller) inside the transaction,
/// so the user's existence is checked in the same state the write sees.
fn resolve_target(
    tx: &mut dyn Transaction,
    caller: &Caller,
    input: &Value,
) -> Result<KeyTarget, Outcome<IamError>> {
    let account = caller.account();
    match (Input(input).str("UserName"), caller) {
        (Some(name), _) => {
            let user = Table::<UserBody>::require(tx, account, name)?;
            Ok(KeyTarget {
                owner: KeyOwner::User {
                    user_id: user.core.id,
                },
                user_name: Some(user.core.name),
            })
        }
        (None, Caller::User { user_id, name, .. }) => {
            // The caller's own record, re-read so a concurrent delete is
            // seen.
            let user = Table::<UserBody>::get_by_id(tx, user_id)?
                .ok_or_else(|| Outcome::Domain(IamError::no_such_user(name)))?;
            Ok(KeyTarget {
                owner: KeyOwner::User {
                    user_id: user.core.id,
                },
                user_name: Some(user.core.name),
            })
        }
        (
            None,
            Caller::AssumedRole { .. }
            | Caller::FederatedUser { .. }
            | Caller::WebIdentity(_)
            | Caller::Saml(_),
        ) => Err(Outcome::Domain(super::users::non_user_credentials())),
        (None, Caller::Root { .. }) => Ok(KeyTarget {
            owner: KeyOwner::Root,
            user_name: None,
        }),
    }
}

/// Reads a key that must belong to `target`; IAM answers `NoSuchEntity`
/// for a key of someone else, exactly as for a key that does not exist.
fn require_key_of(
    tx: &mut dyn Transaction,
    account: &str,
    target: &KeyTarget,
    access_key_id: &str,
) -> Result<AccessKeyRecord, Outcome<IamError>> {
    match records::get::<AccessKeyRecord>(tx, NS_ACCESS_KEY, access_key_id)? {
        Some(key) if key.account_id == account && key.owner == target.owner => Ok(key),
        _ => Err(Outcome::Domain(IamError::no_such_access_key(access_key_id))),
    }
}

fn key_metadata(key: &AccessKeyRecord, user_name: Option<&str>) -> Value {
    let mut out = json!({});
    if let Some(name) = user_name {
        out["UserName"] = Value::String(name.to_string());
    }
    out["AccessKeyId"] = Value::String(key.access_key_id.clone());
    out["Status"] = Value::String(key.status.as_str().to_string());
    out["CreateDate"] = Value::String(iso8601(key.created));
    out
}

pub(super) fn create_access_key(ctx: &OpContext<'_>, input: &Value) -> Result<Value, IamError> {
    let account = ctx.caller.account();
    let now = ctx.now.unix_timestamp();
    let limit = ctx.quotas.access_keys_per_user;
    let (record, secret, user_name) = tessera_store::write(ctx.store, |tx| {
        let target = resolve_target(tx, ctx.caller, input)?;
        let prefix = records::owner_key_prefix(account, &target.owner);
        // The count is read inside the write transaction, which is
        // serialized with every other write: two racing calls cannot both
        // see room for one more key.
        if tx.count(NS_OWNER_KEY, &prefix)? >= limit {
            return Err(Outcome::Domain(IamError::new(
                "LimitExceeded",
                format!("Cannot exceed quota for AccessKeysPerUser: {limit}"),
            )));
        }
        let key_id = ids::new_access_key_id(ctx.random, IdKind::AccessKey, account);
        let secret = Secret::new(ids::new_secret(ctx.random));
        let record = AccessKeyRecord {
            access_key_id: key_id.clone(),
            account_id: account.to_string(),
            owner: target.owner.clone(),
            status: KeyStatus::Active,
            created: now,
            sealed_secret: ctx.kek.seal(ctx.random, &key_id, &secret),
        };
        records::put(tx, NS_ACCESS_KEY, &key_id, &record)?;
        tx.put(NS_OWNER_KEY, &format!("{prefix}{key_id}"), b"")?;
        Ok((record, secret, target.user_name))
    })?;
    let mut key = key_metadata(&record, user_name.as_deref());
    key["SecretAccessKey"] = Value::String(secret.expose().to_string());
    Ok(json!({ "AccessKey": key }))
}

pub(super) fn list_access_keys(ctx: &OpContext<'_>, input: &Value) -> Result<Value, IamError> {
    let account = ctx.caller.account();
    let result = tessera_store::read(ctx.store, |tx| {
        let target = match resolve_target(tx, ctx.caller, input) {
            Ok(target) => target,
            Err(Outcome::Domain(e)) => return Ok(Err(e)),
            Err(Outcome::Store(e)) => return Err(e),
        };
        let prefix = records::owner_key_prefix(account, &target.owner);
        // An owner has at most a handful of keys (the quota is 2).
        let entries = tx.scan(NS_OWNER_KEY, &prefix, None, 1024)?;
        let mut keys = Vec::with_capacity(entries.len());
        for (entry, _) in entries {
            let id = entry.strip_prefix(prefix.as_str()).unwrap_or(&entry);
            if let Some(key) = records::get::<AccessKeyRecord>(tx, NS_ACCESS_KEY, id)? {
                keys.push(key);
            }
        }
        Ok(Ok((keys, target.user_name)))
    })?;
    let (keys, user_name) = result?;
    let page = page_of(Input(input), keys, |k| k.access_key_id.clone())?;
    Ok(page.output("AccessKeyMetadata", |k| {
        key_metadata(k, user_name.as_deref())
    }))
}

pub(super) fn update_access_key(ctx: &OpContext<'_>, input: &Value) -> Result<Value, IamError> {
    let account = ctx.caller.account();
    let access_key_id = Input(input).required("AccessKeyId")?;
    let status = match Input(input).required("Status")? {
        "Active" => KeyStatus::Active,
        "Inactive" => KeyStatus::Inactive,
        other => {
            return Err(IamError::validation(format!(
                "1 validation error detected: Value '{other}' at 'status' failed to satisfy constraint: Member must satisfy enum value set: [Active, Inactive]"
            )))
        }
    };
    tessera_store::write(ctx.store, |tx| {
        let target = resolve_target(tx, ctx.caller, input)?;
        let mut key = require_key_of(tx, account, &target, access_key_id)?;
        if key.status != status {
            key.status = status;
            records::put(tx, NS_ACCESS_KEY, access_key_id, &key)?;
        }
        Ok(())
    })?;
    Ok(json!({}))
}

pub(super) fn delete_access_key(ctx: &OpContext<'_>, input: &Value) -> Result<Value, IamError> {
    let account = ctx.caller.account();
    let access_key_id = Input(input).required("AccessKeyId")?;
    tessera_store::write(ctx.store, |tx| {
        let target = resolve_target(tx, ctx.caller, input)?;
        let key = require_key_of(tx, account, &target, access_key_id)?;
        tx.delete(NS_ACCESS_KEY, &key.access_key_id)?;
        let prefix = records::owner_key_prefix(account, &target.owner);
        tx.delete(NS_OWNER_KEY, &format!("{prefix}{access_key_id}"))?;
        tx.delete(records::NS_KEY_USED, access_key_id)?;
        Ok(())
    })?;
    Ok(json!({}))
}

pub(super) fn get_access_key_last_used(
    ctx: &OpContext<'_>,
    input: &Value,
) -> Result<Value, IamError> {
    let access_key_id = Input(input).required("AccessKeyId")?;
    let key = ctx
        .snapshot
        .access_key(access_key_id)
        .filter(|k| k.account_id == ctx.caller.account())
        .ok_or_else(|| {
            // AWS answers a key it cannot find with this AccessDenied
            // rather than NoSuchEntity, so key ids cannot be probed.
            IamError::new(
                "AccessDenied",
                format!(
                    "User: {} is not authorized to perform iam:GetAccessKeyLastUsed on resource: access key {access_key_id}",
                    ctx.caller.arn()
                ),
            )
        })?;
    let user_name = match &key.owner {
        KeyOwner::User { user_id } => ctx
            .snapshot
            .user_by_id(user_id)
            .map(|u| u.core.name.clone()),
        KeyOwner::Root => None,
    };
    let last_used = match ctx.usage.last_used(access_key_id) {
        Some(used) => json!({
            "LastUsedDate": iso8601(used.date),
            "ServiceName": used.service,
            "Region": used.region,
        }),
        None => json!({ "ServiceName": "N/A", "Region": "N/A" }),
    };
    let mut out = json!({});
    if let Some(name) = user_name {
        out["UserName"] = Value::String(name);
    }
    out["AccessKeyLastUsed"] = last_used;
    Ok(out)
}
