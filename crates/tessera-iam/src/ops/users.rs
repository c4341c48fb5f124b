//! User operations: `CreateUser`, `GetUser`, `ListUsers`, `UpdateUser`,
//! `DeleteUser`.

use serde_json::{json, Map, Value};
use tessera_store::Outcome;

use super::paging::page;
use super::{boundaries, iso8601, Field, Input, Members, OpContext};
use crate::arn;
use crate::caller::Caller;
use crate::edges::{self, Direction, Relation};
use crate::ids;
use crate::records::{self, Core, Entity, KeyOwner, Tag, UserBody, UserRecord, NS_OWNER_KEY};
use crate::table::Table;
use crate::IamError;

/// The `Tags` member of an output, absent when there are none.
pub(super) fn tags_output(tags: &[Tag]) -> Value {
    tags_field(tags).into()
}

/// [`tags_output`] as an ordered field.
pub(super) fn tags_field(tags: &[Tag]) -> Field {
    Field::List(
        tags.iter()
            .map(|t| {
                let mut tag = Members::with_capacity(2);
                tag.push("Key", t.key.as_str());
                tag.push("Value", t.value.as_str());
                Field::Members(tag)
            })
            .collect(),
    )
}

/// The members every entity output starts with: `Path`, the name member,
/// the id member, `Arn`, `CreateDate`.
pub(super) fn core_output(
    core: &Core,
    kind: crate::kind::EntityKind,
    id_member: &'static str,
) -> Map<String, Value> {
    core_members(core, kind, id_member).into()
}

/// [`core_output`] as ordered members.
pub(super) fn core_members(
    core: &Core,
    kind: crate::kind::EntityKind,
    id_member: &'static str,
) -> Members {
    // Room for the five members, and the two (boundary, tags) a full
    // output may add, so the list is never grown.
    let mut out = Members::with_capacity(7);
    out.push("Path", core.path.as_str());
    out.push(kind.name_member(), core.name.as_str());
    out.push(id_member, core.id.as_str());
    out.push("Arn", core.arn(kind));
    out.push("CreateDate", iso8601(core.created));
    out
}

/// The `User` structure of IAM responses. `GetUser` and `CreateUser`
/// (`full`) carry the boundary and tags; lists leave both out, as AWS does.
pub(super) fn user_output(user: &UserRecord, full: bool) -> Value {
    user_members(user, full).into()
}

/// [`user_output`] as ordered members.
pub(super) fn user_members(user: &UserRecord, full: bool) -> Members {
    let mut out = core_members(&user.core, crate::kind::EntityKind::User, "UserId");
    if let Some(boundary) = user.body.permissions_boundary.as_ref().filter(|_| full) {
        out.push(
            "PermissionsBoundary",
            boundaries::boundary_members(boundary),
        );
    }
    if full && !user.core.tags.is_empty() {
        out.push("Tags", tags_field(&user.core.tags));
    }
    out
}

/// A new entity core with a fresh id of `kind`.
pub(super) fn new_core(
    ctx: &OpContext<'_>,
    kind: crate::kind::EntityKind,
    name: &str,
    path: &str,
    tags: Vec<Tag>,
) -> Core {
    Core {
        id: ids::new_id(ctx.random, kind.id_kind()),
        account_id: ctx.account().to_string(),
        partition: ctx.caller.partition().to_string(),
        name: name.to_string(),
        path: path.to_string(),
        created: ctx.now_secs(),
        tags,
    }
}

pub(super) fn create_user(ctx: &OpContext<'_>, input: &Value) -> Result<Members, IamError> {
    let input = Input(input);
    let name = input.required("UserName")?;
    let tags = input.tags(crate::kind::EntityKind::User)?;
    super::tags::check_count(ctx, tags.len())?;
    let boundary = input.str("PermissionsBoundary");
    let user = Entity {
        core: new_core(ctx, crate::kind::EntityKind::User, name, input.path(), tags),
        body: UserBody {
            inline_policies: Default::default(),
            permissions_boundary: boundary.map(str::to_string),
            login_profile: None,
        },
    };
    ctx.write(|tx| {
        if let Some(boundary) = boundary {
            boundaries::require_boundary_policy(tx, ctx.account(), boundary)?;
        }
        Table::insert(tx, &user)?;
        boundaries::link_boundary(tx, &user.core.id, boundary)
    })?;
    Ok(Members::one("User", user_members(&user, true)))
}

pub(super) fn get_user(ctx: &OpContext<'_>, input: &Value) -> Result<Members, IamError> {
    let input = Input(input);
    let user = match (input.str("UserName"), ctx.caller) {
        (Some(name), _) => ctx.require::<UserBody>(name)?,
        (None, Caller::User { user_id, name, .. }) => ctx
            .snapshot
            .user_by_id(user_id)
            .ok_or_else(|| IamError::no_such_user(name))?,
        (
            None,
            Caller::Root {
                account, partition, ..
            },
        ) => {
            // The root user has no IAM user entity; AWS answers with the
            // account's identity.
            let created = ctx
                .snapshot
                .account(account)
                .map(|a| a.created)
                .unwrap_or(0);
            let mut root = Members::with_capacity(3);
            root.push("UserId", account.as_str());
            root.push("Arn", arn::root(partition, account));
            root.push("CreateDate", iso8601(created));
            return Ok(Members::one("User", root));
        }
        (
            None,
            Caller::AssumedRole { .. }
            | Caller::FederatedUser { .. }
            | Caller::WebIdentity(_)
            | Caller::Saml(_),
        ) => {
            return Err(non_user_credentials());
        }
    };
    Ok(Members::one("User", user_members(user, true)))
}

/// IAM's answer when an operation that defaults to "the calling user" is
/// called with the credentials of a role or federated session.
pub(super) fn non_user_credentials() -> IamError {
    IamError::validation("Must specify userName when calling with non-User credentials")
}

pub(super) fn list_users(ctx: &OpContext<'_>, input: &Value) -> Result<Value, IamError> {
    let input = Input(input);
    let users = ctx
        .snapshot
        .list::<UserBody>(ctx.account(), input.path_prefix());
    let page = page(input, users, |u| u.core.name.to_lowercase())?;
    Ok(page.output("Users", |u| user_output(u, false)))
}

/// Why an entity with dependents cannot be deleted, in IAM's words, or
/// nothing when it can.
fn user_delete_conflict(
    tx: &mut dyn tessera_store::Transaction,
    user: &UserRecord,
) -> Result<Option<&'static str>, tessera_store::StoreError> {
    let owner = KeyOwner::User {
        user_id: user.core.id.clone(),
    };
    let keys = tx.count(
        NS_OWNER_KEY,
        &records::owner_key_prefix(&user.core.account_id, &owner),
    )?;
    if keys > 0 {
        return Ok(Some("Cannot delete entity, must delete access keys first."));
    }
    if !user.body.inline_policies.is_empty() {
        return Ok(Some("Cannot delete entity, must delete policies first."));
    }
    if edges::count(tx, Relation::Attached, Direction::Forward, &user.core.id)? > 0 {
        return Ok(Some(
            "Cannot delete entity, must detach all policies first.",
        ));
    }
    if user.body.login_profile.is_some() {
        return Ok(Some(
            "Cannot delete entity, must delete login profile first.",
        ));
    }
    let has_mfa = records::scan_all(tx, crate::records::Ns::Mfa.as_str(), "")?
        .into_iter()
        .filter_map(|(k, v)| records::decode::<crate::records::MfaDeviceRecord>("mfa", &k, &v).ok())
        .any(|d| d.user_id.as_deref() == Some(user.core.id.as_str()));
    if has_mfa {
        return Ok(Some("Cannot delete entity, must delete MFA device first."));
    }
    use super::user_credentials::{count_of_user, Family};
    if count_of_user(tx, &user.core.id, Family::SigningCertificate)? > 0 {
        return Ok(Some(
            "Cannot delete entity, must delete certificates first.",
        ));
    }
    // SSH public keys and service-specific credentials: AWS's wording.
    if count_of_user(tx, &user.core.id, Family::SshPublicKey)? > 0
        || count_of_user(tx, &user.core.id, Family::ServiceSpecific)? > 0
    {
        return Ok(Some(
            "Cannot delete entity, must remove referenced objects first.",
        ));
    }
    if edges::count(tx, Relation::Member, Direction::Inverse, &user.core.id)? > 0 {
        return Ok(Some(
            "Cannot delete entity, must remove users from group first.",
        ));
    }
    Ok(None)
}

pub(super) fn delete_user(ctx: &OpContext<'_>, input: &Value) -> Result<Value, IamError> {
    let name = Input(input).required("UserName")?;
    ctx.write(|tx| {
        let user = Table::<UserBody>::require(tx, ctx.account(), name)?;
        if let Some(conflict) = user_delete_conflict(tx, &user)? {
            return Err(Outcome::Domain(IamError::delete_conflict(conflict)));
        }
        boundaries::unlink_boundary(tx, &user.core.id, user.body.permissions_boundary.as_deref())?;
        crate::service_usage::forget_principal(tx, &user.core.id)?;
        Table::delete(tx, &user)
    })?;
    Ok(json!({}))
}

/// `UpdateUser`: a new name and/or path. The user id, keys, policies and
/// memberships stay with the user, since they refer to its id.
pub(super) fn update_user(ctx: &OpContext<'_>, input: &Value) -> Result<Value, IamError> {
    rename_or_move::<UserBody>(ctx, input, "NewUserName")
}

/// A rename (`new_name_member`) and/or a move (`NewPath`) of an entity of
/// kind `B`: the table moves its name entry; nothing else refers to names.
pub(super) fn rename_or_move<B: crate::snapshot::Stored>(
    ctx: &OpContext<'_>,
    input: &Value,
    new_name_member: &str,
) -> Result<Value, IamError> {
    let input = Input(input);
    let name = input.required(B::KIND.name_member())?;
    let new_name = input.str(new_name_member);
    let new_path = input.str("NewPath");
    ctx.write(|tx| {
        let mut entity: Entity<B> = Table::require(tx, ctx.account(), name)?;
        let previous = entity.core.name.clone();
        if let Some(new_name) = new_name {
            entity.core.name = new_name.to_string();
        }
        if let Some(path) = new_path {
            entity.core.path = path.to_string();
        }
        Table::update(tx, &previous, &entity)
    })?;
    Ok(json!({}))
}
