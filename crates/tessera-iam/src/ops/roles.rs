//! Roles: `CreateRole`, `GetRole`, `ListRoles`, `UpdateRole`,
//! `UpdateRoleDescription`, `UpdateAssumeRolePolicy`, `DeleteRole`, and
//! service-linked roles (`CreateServiceLinkedRole`,
//! `DeleteServiceLinkedRole`, `GetServiceLinkedRoleDeletionStatus`).
//! Roles are stored and listed as AWS does; assuming them is STS's work.

use serde_json::{json, Map, Value};
use tessera_store::{Outcome, Transaction};

use super::paging::page;
use super::users::{core_output, new_core, tags_output};
use super::{boundaries, iso8601, Input, OpContext};
use crate::edges::{self, Direction, Relation};
use crate::kind::EntityKind;
use crate::policies;
use crate::records::{Body, Entity, RoleBody, RoleRecord};
use crate::service_linked;
use crate::table::{Table, TxResult};
use crate::IamError;

/// The default `MaxSessionDuration`, in seconds.
const DEFAULT_MAX_SESSION: u32 = 3600;

/// Which members a `Role` output carries: IAM answers each operation with
/// a different subset.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum RoleView {
    /// `CreateRole`: no description, session duration or last use.
    Created,
    /// `GetRole`: everything.
    Full,
    /// `ListRoles`: no tags, boundary or last use.
    Listed,
    /// `UpdateRoleDescription`: the description, no duration or last use.
    DescriptionUpdated,
    /// Nested in an instance profile: the core and the trust policy.
    Nested,
}

/// The `Role` structure of IAM outputs.
pub(super) fn role_output(role: &RoleRecord, view: RoleView) -> Value {
    let mut out: Map<String, Value> = core_output(&role.core, EntityKind::Role, "RoleId");
    out.insert(
        "AssumeRolePolicyDocument".into(),
        json!(policies::url_encode_document(&role.body.trust_policy)),
    );
    if matches!(
        view,
        RoleView::Full | RoleView::Listed | RoleView::DescriptionUpdated
    ) {
        if let Some(description) = &role.body.description {
            out.insert("Description".into(), json!(description));
        }
    }
    if matches!(view, RoleView::Full | RoleView::Listed) {
        out.insert(
            "MaxSessionDuration".into(),
            json!(role.body.max_session_duration),
        );
    }
    if matches!(view, RoleView::Created | RoleView::Full) {
        if let Some(boundary) = &role.body.permissions_boundary {
            out.insert(
                "PermissionsBoundary".into(),
                boundaries::boundary_output(boundary),
            );
        }
        if !role.core.tags.is_empty() {
            out.insert("Tags".into(), tags_output(&role.core.tags));
        }
    }
    if view == RoleView::Full {
        out.insert("RoleLastUsed".into(), role_last_used(role));
    }
    Value::Object(out)
}

/// `RoleLastUsed`: empty for a role never used.
pub(super) fn role_last_used(role: &RoleRecord) -> Value {
    match &role.body.last_used {
        Some(used) => json!({"LastUsedDate": iso8601(used.date), "Region": used.region}),
        None => json!({}),
    }
}

/// Checks a trust policy as IAM does on `CreateRole` and
/// `UpdateAssumeRolePolicy`.
fn check_trust_policy(ctx: &OpContext<'_>, document: &str) -> Result<(), IamError> {
    let mut config = policies::trust_config();
    config.limits.trust = ctx.quotas.trust_policy_chars;
    policies::check_stored(document, &config)
}

/// Refuses changes to a service-linked role through the ordinary
/// operations, as IAM does.
pub(super) fn refuse_service_linked<B: Body>(entity: &Entity<B>) -> TxResult<()> {
    if entity.body.linked_service().is_some() {
        return Err(Outcome::Domain(IamError::unmodifiable(format!(
            "Cannot perform the operation on the protected role '{}' - this role is only modifiable by AWS",
            entity.core.name
        ))));
    }
    Ok(())
}

pub(super) fn create_role(ctx: &OpContext<'_>, input: &Value) -> Result<Value, IamError> {
    let input = Input(input);
    let name = input.required("RoleName")?;
    let trust = input.required("AssumeRolePolicyDocument")?;
    check_trust_policy(ctx, trust)?;
    let tags = input.tags(EntityKind::Role)?;
    super::tags::check_count(ctx, tags.len())?;
    let boundary = input.str("PermissionsBoundary");
    let max_session = input
        .u64("MaxSessionDuration")
        .and_then(|d| u32::try_from(d).ok())
        .unwrap_or(DEFAULT_MAX_SESSION);
    let role = Entity {
        core: new_core(ctx, EntityKind::Role, name, input.path(), tags),
        body: RoleBody {
            trust_policy: trust.to_string(),
            description: input.str("Description").map(str::to_string),
            max_session_duration: max_session,
            permissions_boundary: boundary.map(str::to_string),
            ..RoleBody::default()
        },
    };
    ctx.write(|tx| {
        if let Some(boundary) = boundary {
            boundaries::require_boundary_policy(tx, ctx.account(), boundary)?;
        }
        Table::insert(tx, &role)?;
        boundaries::link_boundary(tx, &role.core.id, boundary)
    })?;
    Ok(super::one_member(
        "Role",
        role_output(&role, RoleView::Created),
    ))
}

pub(super) fn get_role(ctx: &OpContext<'_>, input: &Value) -> Result<Value, IamError> {
    let name = Input(input).required("RoleName")?;
    let role = ctx.require::<RoleBody>(name)?;
    Ok(super::one_member("Role", role_output(role, RoleView::Full)))
}

pub(super) fn list_roles(ctx: &OpContext<'_>, input: &Value) -> Result<Value, IamError> {
    let input = Input(input);
    let roles = ctx
        .snapshot
        .list::<RoleBody>(ctx.account(), input.path_prefix());
    let page = page(input, roles, |r| r.core.name.to_lowercase())?;
    Ok(page.output("Roles", |r| role_output(r, RoleView::Listed)))
}

/// `UpdateRole`: the description and/or the longest session; members not
/// given keep their values.
pub(super) fn update_role(ctx: &OpContext<'_>, input: &Value) -> Result<Value, IamError> {
    let input = Input(input);
    let name = input.required("RoleName")?;
    let description = input.str("Description");
    let max_session = input
        .u64("MaxSessionDuration")
        .and_then(|d| u32::try_from(d).ok());
    ctx.write(|tx| {
        let mut role = Table::<RoleBody>::require(tx, ctx.account(), name)?;
        refuse_service_linked(&role)?;
        if let Some(description) = description {
            role.body.description = Some(description.to_string());
        }
        if let Some(max_session) = max_session {
            role.body.max_session_duration = max_session;
        }
        Table::save(tx, &role)
    })?;
    Ok(json!({}))
}

pub(super) fn update_role_description(
    ctx: &OpContext<'_>,
    input: &Value,
) -> Result<Value, IamError> {
    let input = Input(input);
    let name = input.required("RoleName")?;
    let description = input.str("Description").unwrap_or("");
    let role = ctx.write(|tx| {
        let mut role = Table::<RoleBody>::require(tx, ctx.account(), name)?;
        role.body.description = Some(description.to_string());
        Table::save(tx, &role)?;
        Ok(role)
    })?;
    Ok(super::one_member(
        "Role",
        role_output(&role, RoleView::DescriptionUpdated),
    ))
}

pub(super) fn update_assume_role_policy(
    ctx: &OpContext<'_>,
    input: &Value,
) -> Result<Value, IamError> {
    let input = Input(input);
    let name = input.required("RoleName")?;
    let document = input.required("PolicyDocument")?;
    check_trust_policy(ctx, document)?;
    ctx.write(|tx| {
        let mut role = Table::<RoleBody>::require(tx, ctx.account(), name)?;
        refuse_service_linked(&role)?;
        role.body.trust_policy = document.to_string();
        Table::save(tx, &role)
    })?;
    Ok(json!({}))
}

/// Why a role cannot be deleted yet, in IAM's words.
fn role_delete_conflict(
    tx: &mut dyn Transaction,
    role: &RoleRecord,
) -> Result<Option<&'static str>, tessera_store::StoreError> {
    let id = &role.core.id;
    if edges::count(tx, Relation::ProfileRole, Direction::Inverse, id)? > 0 {
        return Ok(Some(
            "Cannot delete entity, must remove roles from instance profile first.",
        ));
    }
    if !role.body.inline_policies.is_empty() {
        return Ok(Some("Cannot delete entity, must delete policies first."));
    }
    if edges::count(tx, Relation::Attached, Direction::Forward, id)? > 0 {
        return Ok(Some(
            "Cannot delete entity, must detach all policies first.",
        ));
    }
    Ok(None)
}

pub(super) fn delete_role(ctx: &OpContext<'_>, input: &Value) -> Result<Value, IamError> {
    let name = Input(input).required("RoleName")?;
    ctx.write(|tx| {
        let role = Table::<RoleBody>::require(tx, ctx.account(), name)?;
        refuse_service_linked(&role)?;
        if let Some(conflict) = role_delete_conflict(tx, &role)? {
            return Err(Outcome::Domain(IamError::delete_conflict(conflict)));
        }
        boundaries::unlink_boundary(tx, &role.core.id, role.body.permissions_boundary.as_deref())?;
        crate::service_usage::forget_principal(tx, &role.core.id)?;
        Table::delete(tx, &role)
    })?;
    Ok(json!({}))
}

/// The path and name of the service-linked role of `service`, with the
/// optional suffix: `/aws-service-role/batch.amazonaws.com/` and
/// `AWSServiceRoleForBatch`.
pub(crate) fn service_linked_role_name(service: &str, suffix: Option<&str>) -> (String, String) {
    let base = match service_linked::find(service) {
        Some(known) => known.role_name.to_string(),
        None => {
            // A service Tessera has no record of: AWS's pattern, from the
            // service's first label.
            let label = service.split('.').next().unwrap_or(service);
            let mut chars = label.chars();
            let capitalised: String = match chars.next() {
                Some(first) => first.to_uppercase().chain(chars).collect(),
                None => String::new(),
            };
            format!("AWSServiceRoleFor{capitalised}")
        }
    };
    let name = match suffix {
        Some(suffix) => format!("{base}_{suffix}"),
        None => base,
    };
    (format!("/aws-service-role/{service}/"), name)
}

/// The trust policy of a service-linked role.
fn service_trust_policy(service: &str) -> String {
    format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":{{"Service":"{service}"}},"Action":"sts:AssumeRole"}}]}}"#
    )
}

pub(super) fn create_service_linked_role(
    ctx: &OpContext<'_>,
    input: &Value,
) -> Result<Value, IamError> {
    let input = Input(input);
    let service = input.required("AWSServiceName")?;
    let suffix = input.str("CustomSuffix");
    let known = service_linked::find(service);
    if suffix.is_some() && known.is_some_and(|k| !k.custom_suffix) {
        return Err(IamError::invalid_input(format!(
            "Custom suffix is not allowed for {service}"
        )));
    }
    let (path, name) = service_linked_role_name(service, suffix);
    let policy_arn = known.map(|k| {
        format!(
            "arn:{}:iam::aws:policy/aws-service-role/{}",
            ctx.caller.partition(),
            k.policy_name
        )
    });
    let role = Entity {
        core: new_core(ctx, EntityKind::Role, &name, &path, Vec::new()),
        body: RoleBody {
            trust_policy: service_trust_policy(service),
            description: input.str("Description").map(str::to_string),
            max_session_duration: DEFAULT_MAX_SESSION,
            linked_service: Some(service.to_string()),
            ..RoleBody::default()
        },
    };
    ctx.write(|tx| {
        if Table::<RoleBody>::find(tx, ctx.account(), &name)?.is_some() {
            return Err(Outcome::Domain(IamError::invalid_input(format!(
                "Service role name {name} has been taken in this account, please try a different suffix."
            ))));
        }
        Table::insert(tx, &role)?;
        if let Some(policy_arn) = policy_arn
            .as_deref()
            .filter(|arn| crate::aws_managed::get(arn).is_some())
        {
            edges::link(tx, Relation::Attached, &role.core.id, policy_arn)?;
        }
        Ok(())
    })?;
    Ok(super::one_member(
        "Role",
        role_output(&role, RoleView::Full),
    ))
}

/// The `meta` key of a service-linked-role deletion task.
fn deletion_task_key(account: &str, task_id: &str) -> String {
    format!("slr-deletion|{account}|{task_id}")
}

/// `DeleteServiceLinkedRole`: Tessera has no resources that use the role,
/// so the deletion completes at once; its task is kept so that
/// `GetServiceLinkedRoleDeletionStatus` answers `SUCCEEDED`.
pub(super) fn delete_service_linked_role(
    ctx: &OpContext<'_>,
    input: &Value,
) -> Result<Value, IamError> {
    let name = Input(input).required("RoleName")?;
    let uuid = crate::ids::new_request_id(ctx.random);
    let task_id = ctx.write(|tx| {
        let role = Table::<RoleBody>::require(tx, ctx.account(), name)?;
        let Some(service) = role.body.linked_service.clone() else {
            return Err(Outcome::Domain(IamError::invalid_input(format!(
                "Role {name} is not a service-linked role."
            ))));
        };
        if let Some(conflict) = role_delete_conflict_ignoring_policies(tx, &role)? {
            return Err(Outcome::Domain(IamError::delete_conflict(conflict)));
        }
        for policy_arn in edges::targets(tx, Relation::Attached, Direction::Forward, &role.core.id)?
        {
            edges::unlink(tx, Relation::Attached, &role.core.id, &policy_arn)?;
        }
        Table::delete(tx, &role)?;
        let task_id = format!("task/aws-service-role/{service}/{}/{uuid}", role.core.name);
        tx.put(
            crate::records::Ns::Meta.as_str(),
            &deletion_task_key(ctx.account(), &task_id),
            b"SUCCEEDED",
        )?;
        Ok(task_id)
    })?;
    Ok(json!({ "DeletionTaskId": task_id }))
}

fn role_delete_conflict_ignoring_policies(
    tx: &mut dyn Transaction,
    role: &RoleRecord,
) -> Result<Option<&'static str>, tessera_store::StoreError> {
    if edges::count(tx, Relation::ProfileRole, Direction::Inverse, &role.core.id)? > 0 {
        return Ok(Some(
            "Cannot delete entity, must remove roles from instance profile first.",
        ));
    }
    Ok(None)
}

pub(super) fn get_service_linked_role_deletion_status(
    ctx: &OpContext<'_>,
    input: &Value,
) -> Result<Value, IamError> {
    let task_id = Input(input).required("DeletionTaskId")?;
    let key = deletion_task_key(ctx.account(), task_id);
    let status = tessera_store::read(ctx.store, |tx| {
        tx.get(crate::records::Ns::Meta.as_str(), &key)
    })?;
    match status.and_then(|s| String::from_utf8(s).ok()) {
        Some(status) => Ok(json!({ "Status": status })),
        None => Err(IamError::new(
            "NoSuchEntity",
            format!("The deletion task with id {task_id} cannot be found."),
        )),
    }
}
