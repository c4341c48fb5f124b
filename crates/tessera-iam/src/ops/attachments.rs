//! Managed-policy attachments, written once for users, groups and roles:
//! `Attach*Policy`, `Detach*Policy`, `ListAttached*Policies`, and the
//! reverse view `ListEntitiesForPolicy`. An attachment is an edge
//! (principal id → policy ARN) written both ways in one transaction, so a
//! policy still attached is seen by `DeletePolicy` and counted by
//! `AttachmentCount`.

use serde_json::{json, Map, Value};
use tessera_store::Outcome;

use super::managed;
use super::paging::page;
use super::{Input, OpContext};
use crate::arn;
use crate::edges::{self, Direction, Relation};
use crate::kind::EntityKind;
use crate::records::{Entity, HasInline};
use crate::snapshot::Stored;
use crate::table::Table;
use crate::IamError;

/// `AttachUserPolicy`, `AttachGroupPolicy`, `AttachRolePolicy`. Attaching
/// a policy that is already attached changes nothing.
pub(super) fn attach<B: Stored + HasInline>(
    ctx: &OpContext<'_>,
    input: &Value,
) -> Result<Value, IamError> {
    let input = Input(input);
    let name = input.required(B::KIND.name_member())?;
    let policy_arn = input.required("PolicyArn")?;
    let quota = ctx.quotas.attached_policies_per_principal;
    ctx.write(|tx| {
        let entity: Entity<B> = Table::require(tx, ctx.account(), name)?;
        super::roles::refuse_service_linked::<B>(&entity)?;
        managed::require_attachable(tx, ctx.account(), policy_arn)?;
        let id = &entity.core.id;
        if edges::linked(tx, Relation::Attached, id, policy_arn)? {
            return Ok(());
        }
        if edges::count(tx, Relation::Attached, Direction::Forward, id)? >= quota {
            return Err(Outcome::Domain(IamError::quota_exceeded(
                &format!("PoliciesPer{}", B::KIND.quota_noun()),
                quota,
            )));
        }
        edges::link(tx, Relation::Attached, id, policy_arn)?;
        Ok(())
    })?;
    Ok(json!({}))
}

/// `DetachUserPolicy`, `DetachGroupPolicy`, `DetachRolePolicy`.
pub(super) fn detach<B: Stored + HasInline>(
    ctx: &OpContext<'_>,
    input: &Value,
) -> Result<Value, IamError> {
    let input = Input(input);
    let name = input.required(B::KIND.name_member())?;
    let policy_arn = input.required("PolicyArn")?;
    ctx.write(|tx| {
        let entity: Entity<B> = Table::require(tx, ctx.account(), name)?;
        super::roles::refuse_service_linked::<B>(&entity)?;
        if !edges::unlink(tx, Relation::Attached, &entity.core.id, policy_arn)? {
            return Err(Outcome::Domain(IamError::new(
                "NoSuchEntity",
                format!("Policy {policy_arn} was not found."),
            )));
        }
        Ok(())
    })?;
    Ok(json!({}))
}

/// The name and path of an attached policy, by ARN.
pub(super) fn policy_name_and_path(policy_arn: &str) -> (String, String) {
    let resource = arn::split_iam(policy_arn).map(|(_, r)| r).unwrap_or("");
    match arn::path_and_name(resource) {
        Some((path, name)) => (name.to_string(), path.to_string()),
        None => (policy_arn.to_string(), "/".to_string()),
    }
}

/// The `AttachedPolicies` entries of principal `id`, in policy-name order.
pub(super) fn attached_of(ctx: &OpContext<'_>, id: &str) -> Vec<(String, String, String)> {
    let mut attached: Vec<(String, String, String)> = ctx
        .snapshot
        .targets(Relation::Attached, Direction::Forward, id)
        .map(|policy_arn| {
            let (name, path) = policy_name_and_path(policy_arn);
            (name, path, policy_arn.to_string())
        })
        .collect();
    attached.sort();
    attached
}

/// The `AttachedPolicies` member value.
pub(super) fn attached_output(attached: &[(String, String, String)]) -> Value {
    Value::Array(
        attached
            .iter()
            .map(|(name, _, policy_arn)| json!({"PolicyName": name, "PolicyArn": policy_arn}))
            .collect(),
    )
}

/// `ListAttachedUserPolicies`, `ListAttachedGroupPolicies`,
/// `ListAttachedRolePolicies`, with `PathPrefix` on the policies' paths.
pub(super) fn list<B: Stored + HasInline>(
    ctx: &OpContext<'_>,
    input: &Value,
) -> Result<Value, IamError> {
    let input = Input(input);
    let name = input.required(B::KIND.name_member())?;
    let entity = ctx.require::<B>(name)?;
    let path_prefix = input.path_prefix();
    let attached: Vec<_> = attached_of(ctx, &entity.core.id)
        .into_iter()
        .filter(|(_, path, _)| path.starts_with(path_prefix))
        .collect();
    let page = page(input, attached, |(name, _, policy_arn)| {
        format!("{name}|{policy_arn}")
    })?;
    Ok(page.output(
        "AttachedPolicies",
        |(name, _, policy_arn)| json!({"PolicyName": name, "PolicyArn": policy_arn}),
    ))
}

/// `ListEntitiesForPolicy`: the users, groups and roles a policy is
/// attached to (`PolicyUsageFilter=PermissionsPolicy`, the default lists
/// both) or is the boundary of (`PermissionsBoundary`), filtered by
/// `EntityFilter` and `PathPrefix`, paged as one list.
pub(super) fn list_entities_for_policy(
    ctx: &OpContext<'_>,
    input: &Value,
) -> Result<Value, IamError> {
    let input = Input(input);
    let policy_arn = input.required("PolicyArn")?;
    managed::resolve_in_snapshot(ctx, policy_arn).map_err(|_| {
        IamError::new(
            "NoSuchEntity",
            format!("Policy {policy_arn} does not exist or is not attachable."),
        )
    })?;
    let filter = input.str("EntityFilter");
    let usage = input.str("PolicyUsageFilter");
    let path_prefix = input.path_prefix();
    let wants = |kind: EntityKind| match filter {
        None => true,
        Some("User") => kind == EntityKind::User,
        Some("Group") => kind == EntityKind::Group,
        Some("Role") => kind == EntityKind::Role,
        Some(_) => false,
    };
    let mut relations = Vec::new();
    if usage != Some("PermissionsBoundary") {
        relations.push(Relation::Attached);
    }
    if usage != Some("PermissionsPolicy") {
        relations.push(Relation::Boundary);
    }
    let mut entities: Vec<(EntityKind, String, String)> = relations
        .into_iter()
        .flat_map(|relation| {
            ctx.snapshot
                .policy_users(relation, ctx.account(), policy_arn)
        })
        .filter(|(kind, core)| wants(*kind) && core.path.starts_with(path_prefix))
        .map(|(kind, core)| (kind, core.name.clone(), core.id.clone()))
        .collect();
    entities.sort();
    entities.dedup();
    let page = page(input, entities, |(kind, name, _)| {
        format!("{}|{}", kind.index_tag(), name.to_lowercase())
    })?;
    let mut out = Map::new();
    for (kind, member, name_member, id_member) in [
        (EntityKind::Group, "PolicyGroups", "GroupName", "GroupId"),
        (EntityKind::User, "PolicyUsers", "UserName", "UserId"),
        (EntityKind::Role, "PolicyRoles", "RoleName", "RoleId"),
    ] {
        let list: Vec<Value> = page
            .items
            .iter()
            .filter(|(k, _, _)| *k == kind)
            .map(|(_, name, id)| json!({ name_member: name, id_member: id }))
            .collect();
        out.insert(member.into(), Value::Array(list));
    }
    Ok(page.finish(out))
}
