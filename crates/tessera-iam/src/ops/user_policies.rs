//! Inline user policies: `PutUserPolicy`, `GetUserPolicy`,
//! `ListUserPolicies`, `DeleteUserPolicy`.

use serde_json::{json, Value};
use tessera_store::Outcome;

use super::users::named_user_arn;
use super::{
    decode_marker, encode_marker, input_str, input_u64, required_str, OpContext, Operation,
    Service, StoreUse, DEFAULT_MAX_ITEMS,
};
use crate::caller::Caller;
use crate::policies;
use crate::records::{self, NS_USER};
use crate::snapshot::Snapshot;
use crate::IamError;

fn user_arn(snapshot: &Snapshot, caller: &Caller, input: &Value) -> String {
    named_user_arn(snapshot, caller, input_str(input, "UserName").unwrap_or(""))
}

pub(super) const PUT_USER_POLICY: Operation = Operation {
    service: Service::Iam,
    name: "PutUserPolicy",
    resource: user_arn,
    always_allowed: false,
    store: StoreUse::Write,
    handler: put_user_policy,
};

pub(super) const GET_USER_POLICY: Operation = Operation {
    service: Service::Iam,
    name: "GetUserPolicy",
    resource: user_arn,
    always_allowed: false,
    store: StoreUse::None,
    handler: get_user_policy,
};

pub(super) const LIST_USER_POLICIES: Operation = Operation {
    service: Service::Iam,
    name: "ListUserPolicies",
    resource: user_arn,
    always_allowed: false,
    store: StoreUse::None,
    handler: list_user_policies,
};

pub(super) const DELETE_USER_POLICY: Operation = Operation {
    service: Service::Iam,
    name: "DeleteUserPolicy",
    resource: user_arn,
    always_allowed: false,
    store: StoreUse::Write,
    handler: delete_user_policy,
};

fn no_such_policy(name: &str) -> IamError {
    IamError::new(
        "NoSuchEntity",
        format!("The user policy with name {name} cannot be found."),
    )
}

fn put_user_policy(ctx: &OpContext<'_>, input: &Value) -> Result<Value, IamError> {
    let user_name = required_str(input, "UserName")?;
    let policy_name = required_str(input, "PolicyName")?;
    let document = required_str(input, "PolicyDocument")?;
    policies::check_inline_user_policy(document)?;
    let account = ctx.caller.account();
    let quota = ctx.quotas.user_inline_policy_chars;
    tessera_store::write(ctx.store, |tx| {
        let mut user = records::require_user(tx, account, user_name)?;
        user.inline_policies
            .insert(policy_name.to_string(), document.to_string());
        // The quota covers all inline policies of the user together,
        // whitespace not counted, as IAM counts it.
        let total: usize = user
            .inline_policies
            .values()
            .map(|d| tessera_policy::policy_size(d))
            .sum();
        if total > quota {
            return Err(Outcome::Domain(IamError::new(
                "LimitExceeded",
                format!(
                    "Maximum policy size of {quota} bytes exceeded for user {}",
                    user.name
                ),
            )));
        }
        records::put(tx, NS_USER, &records::user_key(account, user_name), &user)?;
        Ok(())
    })?;
    Ok(json!({}))
}

fn get_user_policy(ctx: &OpContext<'_>, input: &Value) -> Result<Value, IamError> {
    let user_name = required_str(input, "UserName")?;
    let policy_name = required_str(input, "PolicyName")?;
    let user = ctx
        .snapshot
        .user_by_name(ctx.caller.account(), user_name)
        .ok_or_else(|| IamError::no_such_user(user_name))?;
    let document = user
        .inline_policies
        .get(policy_name)
        .ok_or_else(|| no_such_policy(policy_name))?;
    Ok(json!({
        "UserName": user.name,
        "PolicyName": policy_name,
        "PolicyDocument": policies::url_encode_document(document),
    }))
}

fn list_user_policies(ctx: &OpContext<'_>, input: &Value) -> Result<Value, IamError> {
    let user_name = required_str(input, "UserName")?;
    let max_items = input_u64(input, "MaxItems").unwrap_or(DEFAULT_MAX_ITEMS) as usize;
    let marker = input_str(input, "Marker").map(decode_marker).transpose()?;
    let user = ctx
        .snapshot
        .user_by_name(ctx.caller.account(), user_name)
        .ok_or_else(|| IamError::no_such_user(user_name))?;
    let mut names = user
        .inline_policies
        .keys()
        .filter(|name| marker.as_deref().is_none_or(|m| name.as_str() > m));
    let page: Vec<&String> = names.by_ref().take(max_items).collect();
    let truncated = names.next().is_some();
    let mut out = json!({
        "PolicyNames": page,
        "IsTruncated": truncated,
    });
    if truncated {
        if let Some(last) = page.last() {
            out["Marker"] = Value::String(encode_marker(last));
        }
    }
    Ok(out)
}

fn delete_user_policy(ctx: &OpContext<'_>, input: &Value) -> Result<Value, IamError> {
    let user_name = required_str(input, "UserName")?;
    let policy_name = required_str(input, "PolicyName")?;
    let account = ctx.caller.account();
    tessera_store::write(ctx.store, |tx| {
        let mut user = records::require_user(tx, account, user_name)?;
        if user.inline_policies.remove(policy_name).is_none() {
            return Err(Outcome::Domain(no_such_policy(policy_name)));
        }
        records::put(tx, NS_USER, &records::user_key(account, user_name), &user)?;
        Ok(())
    })?;
    Ok(json!({}))
}
