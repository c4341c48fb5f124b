//! User tags: `TagUser`, `UntagUser`, `ListUserTags`. Tags feed the
//! `aws:PrincipalTag/…` keys of the user's own requests and the
//! `aws:ResourceTag/…` keys of requests that act on the user.

use serde_json::{json, Value};
use tessera_store::Outcome;

use super::users::{input_tags, named_user_arn, tags_output};
use super::{
    decode_marker, encode_marker, input_str, input_u64, required_str, OpContext, Operation,
    Service, StoreUse, DEFAULT_MAX_ITEMS,
};
use crate::caller::Caller;
use crate::records::{self, NS_USER};
use crate::snapshot::Snapshot;
use crate::IamError;

/// The most tags an IAM entity may carry.
const MAX_TAGS: usize = 50;

fn user_arn(snapshot: &Snapshot, caller: &Caller, input: &Value) -> String {
    named_user_arn(snapshot, caller, input_str(input, "UserName").unwrap_or(""))
}

pub(super) const TAG_USER: Operation = Operation {
    service: Service::Iam,
    name: "TagUser",
    resource: user_arn,
    always_allowed: false,
    store: StoreUse::Write,
    handler: tag_user,
};

pub(super) const UNTAG_USER: Operation = Operation {
    service: Service::Iam,
    name: "UntagUser",
    resource: user_arn,
    always_allowed: false,
    store: StoreUse::Write,
    handler: untag_user,
};

pub(super) const LIST_USER_TAGS: Operation = Operation {
    service: Service::Iam,
    name: "ListUserTags",
    resource: user_arn,
    always_allowed: false,
    store: StoreUse::None,
    handler: list_user_tags,
};

/// Adds tags; a tag whose key the user already has (in any case) replaces
/// that tag's value.
fn tag_user(ctx: &OpContext<'_>, input: &Value) -> Result<Value, IamError> {
    let name = required_str(input, "UserName")?;
    let tags = input_tags(input)?;
    let account = ctx.caller.account();
    tessera_store::write(ctx.store, |tx| {
        let mut user = records::require_user(tx, account, name)?;
        for tag in &tags {
            match user
                .tags
                .iter_mut()
                .find(|t| t.key.eq_ignore_ascii_case(&tag.key))
            {
                Some(existing) => existing.value = tag.value.clone(),
                None => user.tags.push(tag.clone()),
            }
        }
        if user.tags.len() > MAX_TAGS {
            return Err(Outcome::Domain(IamError::new(
                "LimitExceeded",
                "The number of tags has reached the maximum limit.",
            )));
        }
        records::put(tx, NS_USER, &records::user_key(account, name), &user)?;
        Ok(())
    })?;
    Ok(json!({}))
}

/// Removes the named tags; keys the user does not have are ignored.
fn untag_user(ctx: &OpContext<'_>, input: &Value) -> Result<Value, IamError> {
    let name = required_str(input, "UserName")?;
    let keys: Vec<&str> = input
        .get("TagKeys")
        .and_then(Value::as_array)
        .map(|list| list.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let account = ctx.caller.account();
    tessera_store::write(ctx.store, |tx| {
        let mut user = records::require_user(tx, account, name)?;
        user.tags
            .retain(|t| !keys.iter().any(|k| k.eq_ignore_ascii_case(&t.key)));
        records::put(tx, NS_USER, &records::user_key(account, name), &user)?;
        Ok(())
    })?;
    Ok(json!({}))
}

fn list_user_tags(ctx: &OpContext<'_>, input: &Value) -> Result<Value, IamError> {
    let name = required_str(input, "UserName")?;
    let max_items = input_u64(input, "MaxItems").unwrap_or(DEFAULT_MAX_ITEMS) as usize;
    let start = match input_str(input, "Marker") {
        Some(marker) => decode_marker(marker)?
            .parse::<usize>()
            .map_err(|_| IamError::validation("Invalid Marker."))?,
        None => 0,
    };
    let user = ctx
        .snapshot
        .user_by_name(ctx.caller.account(), name)
        .ok_or_else(|| IamError::no_such_user(name))?;
    let page: Vec<_> = user
        .tags
        .iter()
        .skip(start)
        .take(max_items)
        .cloned()
        .collect();
    let next = start + page.len();
    let mut out = json!({
        "Tags": tags_output(&page),
        "IsTruncated": next < user.tags.len(),
    });
    if next < user.tags.len() {
        out["Marker"] = Value::String(encode_marker(&next.to_string()));
    }
    Ok(out)
}
