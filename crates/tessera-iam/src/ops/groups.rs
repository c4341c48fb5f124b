//! Groups and membership: `CreateGroup`, `GetGroup` (with its members,
//! paged), `ListGroups`, `UpdateGroup` (rename, move), `DeleteGroup`,
//! `AddUserToGroup`, `RemoveUserFromGroup`, `ListGroupsForUser`.
//! Membership is an edge (group → user, and back), so renaming either side
//! moves nothing.

use serde_json::{json, Map, Value};
use tessera_store::Outcome;

use super::paging::page;
use super::users::{core_output, new_core, user_output};
use super::{Input, OpContext};
use crate::edges::{self, Direction, Relation};
use crate::kind::EntityKind;
use crate::records::{Entity, GroupBody, GroupRecord, UserBody, UserRecord};
use crate::table::Table;
use crate::IamError;

/// The `Group` structure of IAM outputs.
pub(super) fn group_output(group: &GroupRecord) -> Value {
    Value::Object(core_output(&group.core, EntityKind::Group, "GroupId"))
}

pub(super) fn create_group(ctx: &OpContext<'_>, input: &Value) -> Result<Value, IamError> {
    let input = Input(input);
    let name = input.required("GroupName")?;
    let group = Entity {
        core: new_core(ctx, EntityKind::Group, name, input.path(), Vec::new()),
        body: GroupBody::default(),
    };
    ctx.write(|tx| Table::insert(tx, &group))?;
    Ok(super::one_member("Group", group_output(&group)))
}

/// The members of a group, in name order.
pub(super) fn members<'s>(ctx: &OpContext<'s>, group_id: &str) -> Vec<&'s UserRecord> {
    let mut users: Vec<&UserRecord> = ctx
        .snapshot
        .targets(Relation::Member, Direction::Forward, group_id)
        .filter_map(|id| ctx.snapshot.get::<UserBody>(id))
        .collect();
    users.sort_by_key(|u| u.core.name.to_lowercase());
    users
}

/// The groups of a user, in name order.
pub(super) fn groups_of<'s>(ctx: &OpContext<'s>, user_id: &str) -> Vec<&'s GroupRecord> {
    let mut groups: Vec<&GroupRecord> = ctx
        .snapshot
        .targets(Relation::Member, Direction::Inverse, user_id)
        .filter_map(|id| ctx.snapshot.get::<GroupBody>(id))
        .collect();
    groups.sort_by_key(|g| g.core.name.to_lowercase());
    groups
}

pub(super) fn get_group(ctx: &OpContext<'_>, input: &Value) -> Result<Value, IamError> {
    let input = Input(input);
    let name = input.required("GroupName")?;
    let group = ctx.require::<GroupBody>(name)?;
    let page = page(input, members(ctx, &group.core.id), |u| {
        u.core.name.to_lowercase()
    })?;
    let mut out = Map::new();
    out.insert("Group".into(), group_output(group));
    out.insert(
        "Users".into(),
        Value::Array(page.items.iter().map(|u| user_output(u, false)).collect()),
    );
    Ok(page.finish(out))
}

pub(super) fn list_groups(ctx: &OpContext<'_>, input: &Value) -> Result<Value, IamError> {
    let input = Input(input);
    let groups = ctx
        .snapshot
        .list::<GroupBody>(ctx.account(), input.path_prefix());
    let page = page(input, groups, |g| g.core.name.to_lowercase())?;
    Ok(page.output("Groups", |g| group_output(g)))
}

pub(super) fn update_group(ctx: &OpContext<'_>, input: &Value) -> Result<Value, IamError> {
    super::users::rename_or_move::<GroupBody>(ctx, input, "NewGroupName")
}

pub(super) fn delete_group(ctx: &OpContext<'_>, input: &Value) -> Result<Value, IamError> {
    let name = Input(input).required("GroupName")?;
    ctx.write(|tx| {
        let group = Table::<GroupBody>::require(tx, ctx.account(), name)?;
        let id = &group.core.id;
        if edges::count(tx, Relation::Member, Direction::Forward, id)? > 0 {
            return Err(Outcome::Domain(IamError::delete_conflict(
                "Cannot delete entity, must remove users from group first.",
            )));
        }
        if !group.body.inline_policies.is_empty() {
            return Err(Outcome::Domain(IamError::delete_conflict(
                "Cannot delete entity, must delete policies first.",
            )));
        }
        if edges::count(tx, Relation::Attached, Direction::Forward, id)? > 0 {
            return Err(Outcome::Domain(IamError::delete_conflict(
                "Cannot delete entity, must detach all policies first.",
            )));
        }
        Table::delete(tx, &group)
    })?;
    Ok(json!({}))
}

/// Adding a user who is already a member changes nothing. A user may be in
/// at most `groups_per_user` groups.
pub(super) fn add_user_to_group(ctx: &OpContext<'_>, input: &Value) -> Result<Value, IamError> {
    let input = Input(input);
    let group_name = input.required("GroupName")?;
    let user_name = input.required("UserName")?;
    let quota = ctx.quotas.groups_per_user;
    ctx.write(|tx| {
        let group = Table::<GroupBody>::require(tx, ctx.account(), group_name)?;
        let user = Table::<UserBody>::require(tx, ctx.account(), user_name)?;
        if edges::linked(tx, Relation::Member, &group.core.id, &user.core.id)? {
            return Ok(());
        }
        if edges::count(tx, Relation::Member, Direction::Inverse, &user.core.id)? >= quota {
            return Err(Outcome::Domain(IamError::quota_exceeded(
                "GroupsPerUser",
                quota,
            )));
        }
        edges::link(tx, Relation::Member, &group.core.id, &user.core.id)?;
        Ok(())
    })?;
    Ok(json!({}))
}

/// Removing a user who is not a member is not an error. The user is
/// looked up before the group, as IAM does.
pub(super) fn remove_user_from_group(
    ctx: &OpContext<'_>,
    input: &Value,
) -> Result<Value, IamError> {
    let input = Input(input);
    let group_name = input.required("GroupName")?;
    let user_name = input.required("UserName")?;
    ctx.write(|tx| {
        let user = Table::<UserBody>::require(tx, ctx.account(), user_name)?;
        let group = Table::<GroupBody>::require(tx, ctx.account(), group_name)?;
        edges::unlink(tx, Relation::Member, &group.core.id, &user.core.id)?;
        Ok(())
    })?;
    Ok(json!({}))
}

pub(super) fn list_groups_for_user(ctx: &OpContext<'_>, input: &Value) -> Result<Value, IamError> {
    let input = Input(input);
    let user_name = input.required("UserName")?;
    let user = ctx.require::<UserBody>(user_name)?;
    let page = page(input, groups_of(ctx, &user.core.id), |g| {
        g.core.name.to_lowercase()
    })?;
    Ok(page.output("Groups", |g| group_output(g)))
}
