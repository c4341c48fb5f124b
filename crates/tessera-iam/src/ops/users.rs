//! User operations: `CreateUser`, `GetUser`, `ListUsers`, `DeleteUser`.

use serde_json::{json, Value};
use tessera_store::Outcome;

use super::{
    decode_marker, encode_marker, input_str, input_u64, iso8601, page, required_str, OpContext,
    Operation, Service, StoreUse, DEFAULT_MAX_ITEMS,
};
use crate::arn;
use crate::caller::Caller;
use crate::ids::{self, IdKind};
use crate::records::{self, KeyOwner, Tag, UserRecord, NS_OWNER_KEY, NS_USER, NS_USER_ID};
use crate::snapshot::Snapshot;
use crate::IamError;

/// The ARN of the user named by the `UserName` member, as far as the
/// snapshot knows its path (`/` for a user that does not exist).
pub(super) fn named_user_arn(snapshot: &Snapshot, caller: &Caller, name: &str) -> String {
    let account = caller.account();
    match snapshot.user_by_name(account, name) {
        Some(user) => user.arn(),
        None => arn::user(account, "/", name),
    }
}

/// The user an operation with an optional `UserName` acts on: the named
/// user, or else the caller itself.
pub(super) fn target_user_arn(snapshot: &Snapshot, caller: &Caller, input: &Value) -> String {
    match input_str(input, "UserName") {
        Some(name) => named_user_arn(snapshot, caller, name),
        None => caller.arn(),
    }
}

pub(super) const CREATE_USER: Operation = Operation {
    service: Service::Iam,
    name: "CreateUser",
    resource: |_: &Snapshot, caller: &Caller, input: &Value| {
        arn::user(
            caller.account(),
            input_str(input, "Path").unwrap_or("/"),
            input_str(input, "UserName").unwrap_or(""),
        )
    },
    always_allowed: false,
    store: StoreUse::Write,
    handler: create_user,
};

pub(super) const GET_USER: Operation = Operation {
    service: Service::Iam,
    name: "GetUser",
    resource: target_user_arn,
    always_allowed: false,
    store: StoreUse::None,
    handler: get_user,
};

pub(super) const LIST_USERS: Operation = Operation {
    service: Service::Iam,
    name: "ListUsers",
    resource: |_: &Snapshot, caller: &Caller, _: &Value| arn::user_prefix(caller.account(), "/"),
    always_allowed: false,
    store: StoreUse::Read,
    handler: list_users,
};

pub(super) const UPDATE_USER: Operation = Operation {
    service: Service::Iam,
    name: "UpdateUser",
    resource: |snapshot: &Snapshot, caller: &Caller, input: &Value| {
        named_user_arn(snapshot, caller, input_str(input, "UserName").unwrap_or(""))
    },
    always_allowed: false,
    store: StoreUse::Write,
    handler: update_user,
};

pub(super) const DELETE_USER: Operation = Operation {
    service: Service::Iam,
    name: "DeleteUser",
    resource: |snapshot: &Snapshot, caller: &Caller, input: &Value| {
        named_user_arn(snapshot, caller, input_str(input, "UserName").unwrap_or(""))
    },
    always_allowed: false,
    store: StoreUse::Write,
    handler: delete_user,
};

/// The `User` structure of IAM responses.
pub(super) fn user_output(user: &UserRecord, with_tags: bool) -> Value {
    let mut out = json!({
        "Path": user.path,
        "UserName": user.name,
        "UserId": user.user_id,
        "Arn": user.arn(),
        "CreateDate": iso8601(user.created),
    });
    if with_tags && !user.tags.is_empty() {
        out["Tags"] = tags_output(&user.tags);
    }
    out
}

pub(super) fn tags_output(tags: &[Tag]) -> Value {
    Value::Array(
        tags.iter()
            .map(|t| json!({"Key": t.key, "Value": t.value}))
            .collect(),
    )
}

/// Reads the `Tags` member, refusing duplicate keys as IAM does (IAM tag
/// keys are unique case-insensitively).
pub(super) fn input_tags(input: &Value) -> Result<Vec<Tag>, IamError> {
    let Some(list) = input.get("Tags").and_then(Value::as_array) else {
        return Ok(Vec::new());
    };
    let mut tags: Vec<Tag> = Vec::with_capacity(list.len());
    for item in list {
        let key = input_str(item, "Key").unwrap_or_default().to_string();
        let value = input_str(item, "Value").unwrap_or_default().to_string();
        if tags.iter().any(|t| t.key.eq_ignore_ascii_case(&key)) {
            return Err(IamError::invalid_input("Duplicate tag keys found."));
        }
        tags.push(Tag { key, value });
    }
    Ok(tags)
}

fn create_user(ctx: &OpContext<'_>, input: &Value) -> Result<Value, IamError> {
    let name = required_str(input, "UserName")?;
    let path = input_str(input, "Path").unwrap_or("/");
    let tags = input_tags(input)?;
    if input.get("PermissionsBoundary").is_some() {
        return Err(IamError::new(
            "NotImplemented",
            "Permissions boundaries are not supported by this server yet; create the user without PermissionsBoundary.",
        ));
    }
    let account = ctx.caller.account();
    let key = records::user_key(account, name);
    let now = ctx.now.unix_timestamp();
    let user = tessera_store::write(ctx.store, |tx| {
        if tx.get(NS_USER, &key)?.is_some() {
            return Err(Outcome::Domain(IamError::new(
                "EntityAlreadyExists",
                format!("User with name {name} already exists."),
            )));
        }
        let user = UserRecord {
            user_id: ids::new_id(ctx.random, IdKind::User),
            account_id: account.to_string(),
            name: name.to_string(),
            path: path.to_string(),
            created: now,
            tags: tags.clone(),
            inline_policies: Default::default(),
        };
        records::put(tx, NS_USER, &key, &user)?;
        tx.put(NS_USER_ID, &user.user_id, key.as_bytes())?;
        Ok(user)
    })?;
    Ok(json!({ "User": user_output(&user, true) }))
}

fn get_user(ctx: &OpContext<'_>, input: &Value) -> Result<Value, IamError> {
    let account = ctx.caller.account();
    let user = match (input_str(input, "UserName"), ctx.caller) {
        (Some(name), _) => ctx
            .snapshot
            .user_by_name(account, name)
            .ok_or_else(|| IamError::no_such_user(name))?,
        (None, Caller::User { user_id, name, .. }) => ctx
            .snapshot
            .user_by_id(user_id)
            .ok_or_else(|| IamError::no_such_user(name))?,
        (None, Caller::Root { account }) => {
            // The root user has no IAM user entity; AWS answers with the
            // account's identity.
            let created = ctx
                .snapshot
                .account(account)
                .map(|a| a.created)
                .unwrap_or(0);
            return Ok(json!({ "User": {
                "UserId": account,
                "Arn": arn::root(account),
                "CreateDate": iso8601(created),
            }}));
        }
    };
    Ok(json!({ "User": user_output(user, true) }))
}

fn list_users(ctx: &OpContext<'_>, input: &Value) -> Result<Value, IamError> {
    let account = ctx.caller.account();
    let path_prefix = input_str(input, "PathPrefix").unwrap_or("/").to_string();
    let max_items = input_u64(input, "MaxItems").unwrap_or(DEFAULT_MAX_ITEMS) as usize;
    let marker = input_str(input, "Marker").map(decode_marker).transpose()?;
    let prefix = format!("{account}/");
    let (users, next) = tessera_store::read(ctx.store, |tx| {
        page(
            tx,
            NS_USER,
            &prefix,
            marker.as_deref(),
            max_items,
            |key, value| {
                let user: UserRecord = records::decode(NS_USER, key, value)?;
                Ok(user.path.starts_with(&path_prefix).then_some(user))
            },
        )
    })?;
    let mut out = json!({
        "Users": users.iter().map(|u| user_output(u, false)).collect::<Vec<_>>(),
        "IsTruncated": next.is_some(),
    });
    if let Some(next) = next {
        out["Marker"] = Value::String(encode_marker(&next));
    }
    Ok(out)
}

fn delete_user(ctx: &OpContext<'_>, input: &Value) -> Result<Value, IamError> {
    let name = required_str(input, "UserName")?;
    let account = ctx.caller.account();
    tessera_store::write(ctx.store, |tx| {
        let user = records::require_user(tx, account, name)?;
        let owner = KeyOwner::User {
            user_id: user.user_id.clone(),
        };
        if tx.count(NS_OWNER_KEY, &records::owner_key_prefix(account, &owner))? > 0 {
            return Err(Outcome::Domain(IamError::new(
                "DeleteConflict",
                "Cannot delete entity, must delete access keys first.",
            )));
        }
        if !user.inline_policies.is_empty() {
            return Err(Outcome::Domain(IamError::new(
                "DeleteConflict",
                "Cannot delete entity, must delete policies first.",
            )));
        }
        tx.delete(NS_USER, &records::user_key(account, name))?;
        tx.delete(NS_USER_ID, &user.user_id)?;
        Ok(())
    })?;
    Ok(json!({}))
}

/// `UpdateUser`: a new name and/or path. The user id, keys and policies stay
/// with the user; keys and policies follow because they refer to the id.
fn update_user(ctx: &OpContext<'_>, input: &Value) -> Result<Value, IamError> {
    let name = required_str(input, "UserName")?;
    let new_name = input_str(input, "NewUserName");
    let new_path = input_str(input, "NewPath");
    let account = ctx.caller.account();
    tessera_store::write(ctx.store, |tx| {
        let mut user = records::require_user(tx, account, name)?;
        let old_key = records::user_key(account, name);
        if let Some(new_name) = new_name {
            let new_key = records::user_key(account, new_name);
            if new_key != old_key && tx.get(NS_USER, &new_key)?.is_some() {
                return Err(Outcome::Domain(IamError::new(
                    "EntityAlreadyExists",
                    format!("User with name {new_name} already exists."),
                )));
            }
            user.name = new_name.to_string();
        }
        if let Some(path) = new_path {
            user.path = path.to_string();
        }
        let new_key = records::user_key(account, &user.name);
        if new_key != old_key {
            tx.delete(NS_USER, &old_key)?;
        }
        records::put(tx, NS_USER, &new_key, &user)?;
        tx.put(NS_USER_ID, &user.user_id, new_key.as_bytes())?;
        Ok(())
    })?;
    Ok(json!({}))
}
