//! Tags, written once for every kind: `Tag*`, `Untag*`, `List*Tags`. A
//! tag whose key the entity already has (in any case) replaces that tag's
//! value; untagging a key the entity lacks is not an error. Tags feed the
//! `aws:PrincipalTag/…` keys of a principal's own requests and the
//! `aws:ResourceTag/…` keys of requests that act on the entity.

use serde_json::{json, Value};
use tessera_store::Outcome;

use super::paging::page;
use super::users::tags_output;
use super::{Input, OpContext};
use crate::kind::EntityKind;
use crate::records::{Entity, Tag};
use crate::snapshot::Stored;
use crate::table::Table;
use crate::IamError;

/// `LimitExceeded` when an entity would carry more tags than allowed.
pub(super) fn check_count(ctx: &OpContext<'_>, count: usize) -> Result<(), IamError> {
    if count > ctx.quotas.tags_per_entity {
        return Err(IamError::new(
            "LimitExceeded",
            "The number of tags has reached the maximum limit.",
        ));
    }
    Ok(())
}

/// Whether two tag keys are the same key for `kind`.
pub(super) fn same_key(kind: EntityKind, a: &str, b: &str) -> bool {
    if kind.tag_keys_case_sensitive() {
        a == b
    } else {
        a.eq_ignore_ascii_case(b)
    }
}

/// Merges `new` into `tags`: the same key replaces the value, and takes
/// the new key's spelling.
pub(super) fn merge(kind: EntityKind, tags: &mut Vec<Tag>, new: &[Tag]) {
    for tag in new {
        match tags.iter_mut().find(|t| same_key(kind, &t.key, &tag.key)) {
            Some(existing) => *existing = tag.clone(),
            None => tags.push(tag.clone()),
        }
    }
}

/// Removes the tags whose keys are named.
pub(super) fn remove(kind: EntityKind, tags: &mut Vec<Tag>, keys: &[&str]) {
    tags.retain(|t| !keys.iter().any(|k| same_key(kind, k, &t.key)));
}

/// `TagUser`, `TagRole`, `TagInstanceProfile`, … for the kind of `B`.
pub(super) fn tag<B: Stored>(ctx: &OpContext<'_>, input: &Value) -> Result<Value, IamError> {
    let input = Input(input);
    let name = input.required(B::KIND.name_member())?;
    let tags = input.tags(B::KIND)?;
    check_count(ctx, tags.len())?;
    ctx.write(|tx| {
        let mut entity: Entity<B> = Table::require(tx, ctx.account(), name)?;
        merge(B::KIND, &mut entity.core.tags, &tags);
        check_count(ctx, entity.core.tags.len()).map_err(Outcome::Domain)?;
        Table::save(tx, &entity)
    })?;
    Ok(json!({}))
}

/// `UntagUser`, `UntagRole`, … for the kind of `B`.
pub(super) fn untag<B: Stored>(ctx: &OpContext<'_>, input: &Value) -> Result<Value, IamError> {
    let input = Input(input);
    let name = input.required(B::KIND.name_member())?;
    let keys = input.strings("TagKeys");
    ctx.write(|tx| {
        let mut entity: Entity<B> = Table::require(tx, ctx.account(), name)?;
        remove(B::KIND, &mut entity.core.tags, &keys);
        Table::save(tx, &entity)
    })?;
    Ok(json!({}))
}

/// `ListUserTags`, `ListRoleTags`, … for the kind of `B`, in the order the
/// tags were added.
pub(super) fn list<B: Stored>(ctx: &OpContext<'_>, input: &Value) -> Result<Value, IamError> {
    let input = Input(input);
    let name = input.required(B::KIND.name_member())?;
    let entity = ctx.require::<B>(name)?;
    list_output(input, &entity.core.tags)
}

/// One page of tags, keyed by position so the order as added is kept.
pub(super) fn list_output(input: Input<'_>, tags: &[Tag]) -> Result<Value, IamError> {
    let page = page(input, tags.iter().enumerate(), |(i, _)| format!("{i:08}"))?;
    let tags: Vec<Tag> = page.items.iter().map(|(_, t)| (*t).clone()).collect();
    let mut out = serde_json::Map::new();
    out.insert("Tags".into(), tags_output(&tags));
    Ok(page.finish(out))
}
