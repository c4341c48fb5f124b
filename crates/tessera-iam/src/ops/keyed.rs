//! Records that are not entity kinds (OpenID Connect and SAML providers,
//! MFA devices, delegation requests) but are named by one key member:
//! reading and changing one inside a write, and, for those that carry tags
//! ([`Tagged`]), their `Tag*`/`Untag*`/`List*Tags` operations, written
//! once.

use serde::{de::DeserializeOwned, Serialize};
use serde_json::{json, Value};
use tessera_store::{Outcome, Transaction};

use super::{Input, OpContext};
use crate::kind::EntityKind;
use crate::records::{self, Ns, Tag};
use crate::snapshot::Snapshot;
use crate::table::TxResult;
use crate::IamError;

/// What such a record kind declares.
pub(super) trait Keyed: Serialize + DeserializeOwned {
    /// Its namespace.
    const NS: Ns;
    /// The request member naming it (`OpenIDConnectProviderArn`, …).
    const KEY_MEMBER: &'static str;
    /// The store key.
    fn key(&self) -> &str;
    /// The owning account.
    fn account(&self) -> &str;
    /// Whether a caller of `account` may see it: by default only its own
    /// account's callers (a record seen by several accounts says so).
    fn visible_to(&self, account: &str) -> bool {
        self.account() == account
    }
    /// IAM's `NoSuchEntity` for a missing one.
    fn missing(key: &str) -> IamError;
    /// The record as the snapshot holds it.
    fn lookup<'s>(snapshot: &'s Snapshot, key: &str) -> Option<&'s Self>;
}

/// What a keyed record that carries tags declares besides.
pub(super) trait Tagged: Keyed {
    /// Whose tag rules (key case, duplicate wording) its tags follow.
    const TAG_RULES: EntityKind;
    /// The tags.
    fn tags(&self) -> &[Tag];
    /// The tags, to change them.
    fn tags_mut(&mut self) -> &mut Vec<Tag>;
}

/// The record `key` as a caller of `account` sees it, inside a write.
pub(super) fn require<R: Keyed>(tx: &mut dyn Transaction, account: &str, key: &str) -> TxResult<R> {
    match records::get::<R>(tx, R::NS.as_str(), key)? {
        Some(record) if record.visible_to(account) => Ok(record),
        _ => Err(Outcome::Domain(R::missing(key))),
    }
}

/// Writes a record under its key.
pub(super) fn save<R: Keyed>(tx: &mut dyn Transaction, record: &R) -> TxResult<()> {
    records::put(tx, R::NS.as_str(), record.key(), record)?;
    Ok(())
}

/// Writes a new record, refused with IAM's `EntityAlreadyExists` sentence
/// `exists` when its key is taken.
pub(super) fn insert_new<R: Keyed>(
    ctx: &OpContext<'_>,
    record: &R,
    exists: impl Fn() -> String,
) -> Result<(), IamError> {
    ctx.write(|tx| {
        if tx.get(R::NS.as_str(), record.key())?.is_some() {
            return Err(Outcome::Domain(IamError::new(
                "EntityAlreadyExists",
                exists(),
            )));
        }
        save(tx, record)
    })
}

/// The answer of a `Create…` that names the new record by its key
/// member, with its tags when it has some.
pub(super) fn created_output<R: Tagged>(record: &R) -> Value {
    let mut out = json!({ R::KEY_MEMBER: record.key() });
    if !record.tags().is_empty() {
        out["Tags"] = super::users::tags_output(record.tags());
    }
    out
}

/// The record `key` as the caller sees it, from the snapshot.
pub(super) fn get<'s, R: Keyed>(ctx: &OpContext<'s>, key: &str) -> Result<&'s R, IamError> {
    R::lookup(ctx.snapshot, key)
        .filter(|r| r.visible_to(ctx.account()))
        .ok_or_else(|| R::missing(key))
}

/// Changes record `key` in one transaction.
pub(super) fn change<R: Keyed>(
    ctx: &OpContext<'_>,
    key: &str,
    mut work: impl FnMut(&mut R) -> Result<(), IamError>,
) -> Result<Value, IamError> {
    ctx.write(|tx| {
        let mut record: R = require(tx, ctx.account(), key)?;
        work(&mut record).map_err(Outcome::Domain)?;
        save(tx, &record)
    })?;
    Ok(json!({}))
}

/// `TagOpenIDConnectProvider`, `TagMFADevice`, …
pub(super) fn tag<R: Tagged>(ctx: &OpContext<'_>, input: &Value) -> Result<Value, IamError> {
    let input = Input(input);
    let key = input.required(R::KEY_MEMBER)?;
    let tags = input.tags(R::TAG_RULES)?;
    change::<R>(ctx, key, |record| {
        super::tags::merge(R::TAG_RULES, record.tags_mut(), &tags);
        super::tags::check_count(ctx, record.tags().len())
    })
}

/// `UntagOpenIDConnectProvider`, `UntagMFADevice`, …
pub(super) fn untag<R: Tagged>(ctx: &OpContext<'_>, input: &Value) -> Result<Value, IamError> {
    let input = Input(input);
    let key = input.required(R::KEY_MEMBER)?;
    let keys = input.strings("TagKeys");
    change::<R>(ctx, key, |record| {
        super::tags::remove(R::TAG_RULES, record.tags_mut(), &keys);
        Ok(())
    })
}

/// `ListOpenIDConnectProviderTags`, `ListMFADeviceTags`, …
pub(super) fn list_tags<R: Tagged>(ctx: &OpContext<'_>, input: &Value) -> Result<Value, IamError> {
    let input = Input(input);
    let key = input.required(R::KEY_MEMBER)?;
    let record: &R = get(ctx, key)?;
    super::tags::list_output(input, record.tags())
}
