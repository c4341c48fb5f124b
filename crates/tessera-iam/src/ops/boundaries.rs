//! Permissions boundaries, written once for users and roles:
//! `Put*PermissionsBoundary`, `Delete*PermissionsBoundary`, and the
//! `PermissionsBoundary` member of `CreateUser` and `CreateRole`. A
//! boundary is a managed policy (customer or AWS) named by ARN.

use serde_json::{json, Value};
use tessera_store::{Outcome, Transaction};

use super::managed;
use super::{Input, Members, OpContext};
use crate::edges::{self, Relation};
use crate::records::{Entity, HasBoundary};
use crate::snapshot::Stored;
use crate::table::{Table, TxResult};
use crate::IamError;

/// The `PermissionsBoundary` structure of IAM outputs.
pub(super) fn boundary_output(arn: &str) -> Value {
    boundary_members(arn).into()
}

/// [`boundary_output`] as ordered members.
pub(super) fn boundary_members(arn: &str) -> Members {
    let mut out = Members::with_capacity(2);
    out.push("PermissionsBoundaryType", "Policy");
    out.push("PermissionsBoundaryArn", arn);
    out
}

/// Checks that `arn` names a managed policy that can be a boundary, with
/// IAM's boundary wording (`InvalidInput` for a malformed ARN, `Scope
/// ARN: …` for a missing policy).
pub(super) fn require_boundary_policy(
    tx: &mut dyn Transaction,
    account: &str,
    arn: &str,
) -> TxResult<()> {
    match managed::require_attachable(tx, account, arn) {
        Ok(()) => Ok(()),
        Err(Outcome::Domain(e)) if e.code == "NoSuchEntity" => Err(Outcome::Domain(IamError::new(
            "NoSuchEntity",
            format!("Scope ARN: {arn} does not exist or is not attachable."),
        ))),
        Err(Outcome::Domain(e)) if e.code == "ValidationError" => {
            Err(Outcome::Domain(IamError::invalid_input(e.message)))
        }
        Err(e) => Err(e),
    }
}

/// Records that principal `id` has boundary `arn` (an edge, so the
/// policy's `PermissionsBoundaryUsageCount` and `DeletePolicy` see it).
pub(super) fn link_boundary(tx: &mut dyn Transaction, id: &str, arn: Option<&str>) -> TxResult<()> {
    if let Some(arn) = arn {
        edges::link(tx, Relation::Boundary, id, arn)?;
    }
    Ok(())
}

/// Removes the boundary edge of principal `id`.
pub(super) fn unlink_boundary(
    tx: &mut dyn Transaction,
    id: &str,
    arn: Option<&str>,
) -> TxResult<()> {
    if let Some(arn) = arn {
        edges::unlink(tx, Relation::Boundary, id, arn)?;
    }
    Ok(())
}

/// `PutUserPermissionsBoundary`, `PutRolePermissionsBoundary`.
pub(super) fn put<B: Stored + HasBoundary>(
    ctx: &OpContext<'_>,
    input: &Value,
) -> Result<Value, IamError> {
    let input = Input(input);
    let name = input.required(B::KIND.name_member())?;
    let boundary = input.required("PermissionsBoundary")?;
    ctx.write(|tx| {
        let mut entity: Entity<B> = Table::require(tx, ctx.account(), name)?;
        super::roles::refuse_service_linked::<B>(&entity)?;
        require_boundary_policy(tx, ctx.account(), boundary)?;
        unlink_boundary(tx, &entity.core.id, entity.body.boundary())?;
        link_boundary(tx, &entity.core.id, Some(boundary))?;
        entity.body.set_boundary(Some(boundary.to_string()));
        Table::save(tx, &entity)
    })?;
    Ok(json!({}))
}

/// `DeleteUserPermissionsBoundary`, `DeleteRolePermissionsBoundary`.
/// Deleting a boundary the entity does not have is not an error.
pub(super) fn delete<B: Stored + HasBoundary>(
    ctx: &OpContext<'_>,
    input: &Value,
) -> Result<Value, IamError> {
    let input = Input(input);
    let name = input.required(B::KIND.name_member())?;
    ctx.write(|tx| {
        let mut entity: Entity<B> = Table::require(tx, ctx.account(), name)?;
        super::roles::refuse_service_linked::<B>(&entity)?;
        if entity.body.boundary().is_none() {
            return Ok::<_, Outcome<IamError>>(());
        }
        unlink_boundary(tx, &entity.core.id, entity.body.boundary())?;
        entity.body.set_boundary(None);
        Table::save(tx, &entity)
    })?;
    Ok(json!({}))
}
