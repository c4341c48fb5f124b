//! Instance profiles: `CreateInstanceProfile`, `GetInstanceProfile`,
//! `ListInstanceProfiles`, `DeleteInstanceProfile`,
//! `AddRoleToInstanceProfile` (one role per profile; the caller needs
//! `iam:PassRole` on the role), `RemoveRoleFromInstanceProfile`,
//! `ListInstanceProfilesForRole`. The role is an edge (profile → role).

use serde_json::{json, Map, Value};
use tessera_store::Outcome;

use super::paging::page;
use super::roles::{role_output, RoleView};
use super::users::{core_output, new_core, tags_output};
use super::{Input, OpContext};
use crate::edges::{self, Direction, Relation};
use crate::kind::EntityKind;
use crate::records::{Entity, InstanceProfileBody, InstanceProfileRecord, RoleBody};
use crate::table::Table;
use crate::IamError;

/// The `InstanceProfile` structure, with its roles; `Tags` when
/// `with_tags` (`GetInstanceProfile` always, `CreateInstanceProfile` when
/// given, lists never).
pub(super) fn profile_output(
    ctx: &OpContext<'_>,
    profile: &InstanceProfileRecord,
    with_tags: bool,
) -> Value {
    let mut out: Map<String, Value> = core_output(
        &profile.core,
        EntityKind::InstanceProfile,
        "InstanceProfileId",
    );
    let roles: Vec<Value> = ctx
        .snapshot
        .targets(Relation::ProfileRole, Direction::Forward, &profile.core.id)
        .filter_map(|id| ctx.snapshot.get::<RoleBody>(id))
        .map(|role| role_output(role, RoleView::Nested))
        .collect();
    out.insert("Roles".into(), Value::Array(roles));
    if with_tags {
        out.insert("Tags".into(), tags_output(&profile.core.tags));
    }
    Value::Object(out)
}

pub(super) fn create_instance_profile(
    ctx: &OpContext<'_>,
    input: &Value,
) -> Result<Value, IamError> {
    let input = Input(input);
    let name = input.required("InstanceProfileName")?;
    let tags = input.tags(EntityKind::InstanceProfile)?;
    super::tags::check_count(ctx, tags.len())?;
    let profile = Entity {
        core: new_core(ctx, EntityKind::InstanceProfile, name, input.path(), tags),
        body: InstanceProfileBody {},
    };
    ctx.write(|tx| Table::insert(tx, &profile))?;
    let with_tags = !profile.core.tags.is_empty();
    Ok(super::one_member(
        "InstanceProfile",
        profile_output(ctx, &profile, with_tags),
    ))
}

pub(super) fn get_instance_profile(ctx: &OpContext<'_>, input: &Value) -> Result<Value, IamError> {
    let name = Input(input).required("InstanceProfileName")?;
    let profile = ctx.require::<InstanceProfileBody>(name)?;
    Ok(super::one_member(
        "InstanceProfile",
        profile_output(ctx, profile, true),
    ))
}

pub(super) fn list_instance_profiles(
    ctx: &OpContext<'_>,
    input: &Value,
) -> Result<Value, IamError> {
    let input = Input(input);
    let profiles = ctx
        .snapshot
        .list::<InstanceProfileBody>(ctx.account(), input.path_prefix());
    let page = page(input, profiles, |p| p.core.name.to_lowercase())?;
    Ok(page.output("InstanceProfiles", |p| profile_output(ctx, p, false)))
}

pub(super) fn delete_instance_profile(
    ctx: &OpContext<'_>,
    input: &Value,
) -> Result<Value, IamError> {
    let name = Input(input).required("InstanceProfileName")?;
    ctx.write(|tx| {
        let profile = Table::<InstanceProfileBody>::require(tx, ctx.account(), name)?;
        if edges::count(
            tx,
            Relation::ProfileRole,
            Direction::Forward,
            &profile.core.id,
        )? > 0
        {
            return Err(Outcome::Domain(IamError::delete_conflict(
                "Cannot delete entity, must remove roles from instance profile first.",
            )));
        }
        Table::delete(tx, &profile)
    })?;
    Ok(json!({}))
}

pub(super) fn add_role_to_instance_profile(
    ctx: &OpContext<'_>,
    input: &Value,
) -> Result<Value, IamError> {
    let input = Input(input);
    let profile_name = input.required("InstanceProfileName")?;
    let role_name = input.required("RoleName")?;
    let quota = ctx.quotas.roles_per_instance_profile;
    ctx.write(|tx| {
        let profile = Table::<InstanceProfileBody>::require(tx, ctx.account(), profile_name)?;
        let role = Table::<RoleBody>::require(tx, ctx.account(), role_name)?;
        if edges::count(
            tx,
            Relation::ProfileRole,
            Direction::Forward,
            &profile.core.id,
        )? >= quota
        {
            return Err(Outcome::Domain(IamError::quota_exceeded(
                "InstanceSessionsPerInstanceProfile",
                quota,
            )));
        }
        edges::link(tx, Relation::ProfileRole, &profile.core.id, &role.core.id)?;
        Ok(())
    })?;
    Ok(json!({}))
}

pub(super) fn remove_role_from_instance_profile(
    ctx: &OpContext<'_>,
    input: &Value,
) -> Result<Value, IamError> {
    let input = Input(input);
    let profile_name = input.required("InstanceProfileName")?;
    let role_name = input.required("RoleName")?;
    ctx.write(|tx| {
        let profile = Table::<InstanceProfileBody>::require(tx, ctx.account(), profile_name)?;
        let role = Table::<RoleBody>::require(tx, ctx.account(), role_name)?;
        if !edges::unlink(tx, Relation::ProfileRole, &profile.core.id, &role.core.id)? {
            return Err(Outcome::Domain(IamError::new(
                "NoSuchEntity",
                format!(
                    "Role {} in Instance Profile {} cannot be found.",
                    role.core.name, profile.core.name
                ),
            )));
        }
        Ok(())
    })?;
    Ok(json!({}))
}

pub(super) fn list_instance_profiles_for_role(
    ctx: &OpContext<'_>,
    input: &Value,
) -> Result<Value, IamError> {
    let input = Input(input);
    let role_name = input.required("RoleName")?;
    let role = ctx.require::<RoleBody>(role_name)?;
    let mut profiles: Vec<&InstanceProfileRecord> = ctx
        .snapshot
        .targets(Relation::ProfileRole, Direction::Inverse, &role.core.id)
        .filter_map(|id| ctx.snapshot.get::<InstanceProfileBody>(id))
        .collect();
    profiles.sort_by_key(|p| p.core.name.to_lowercase());
    let page = page(input, profiles, |p| p.core.name.to_lowercase())?;
    Ok(page.output("InstanceProfiles", |p| profile_output(ctx, p, false)))
}
