//! Inline policies, written once for users, groups and roles:
//! `Put*Policy`, `Get*Policy`, `List*Policies`, `Delete*Policy`. Each kind
//! has its own size quota, covering all of one principal's inline policies
//! together, whitespace not counted, as IAM counts it.

use serde_json::{json, Value};
use tessera_store::Outcome;

use super::paging::page;
use super::{Input, OpContext};
use crate::policies;
use crate::records::{Entity, HasInline};
use crate::snapshot::Stored;
use crate::table::Table;
use crate::IamError;

/// `PutUserPolicy`, `PutGroupPolicy`, `PutRolePolicy`.
pub(super) fn put<B: Stored + HasInline>(
    ctx: &OpContext<'_>,
    input: &Value,
) -> Result<Value, IamError> {
    let input = Input(input);
    let owner = input.required(B::KIND.name_member())?;
    let policy_name = input.required("PolicyName")?;
    let document = input.required("PolicyDocument")?;
    policies::check_inline(B::KIND, document)?;
    let quota = ctx.quotas.inline_chars(B::KIND);
    ctx.write(|tx| {
        let mut entity: Entity<B> = Table::require(tx, ctx.account(), owner)?;
        super::roles::refuse_service_linked(&entity)?;
        entity
            .body
            .inline_mut()
            .insert(policy_name.to_string(), document.to_string());
        let total: usize = entity
            .body
            .inline()
            .values()
            .map(|d| tessera_policy::policy_size(d))
            .sum();
        if total > quota {
            return Err(Outcome::Domain(IamError::new(
                "LimitExceeded",
                format!(
                    "Maximum policy size of {quota} bytes exceeded for {} {}",
                    B::KIND.noun(),
                    entity.core.name
                ),
            )));
        }
        Table::save(tx, &entity)
    })?;
    Ok(json!({}))
}

/// `GetUserPolicy`, `GetGroupPolicy`, `GetRolePolicy`: the document
/// URL-encoded, as IAM returns it.
pub(super) fn get<B: Stored + HasInline>(
    ctx: &OpContext<'_>,
    input: &Value,
) -> Result<Value, IamError> {
    let input = Input(input);
    let owner = input.required(B::KIND.name_member())?;
    let policy_name = input.required("PolicyName")?;
    let entity = ctx.require::<B>(owner)?;
    let document = entity
        .body
        .inline()
        .get(policy_name)
        .ok_or_else(|| IamError::no_such_inline_policy(B::KIND, policy_name))?;
    let mut out = serde_json::Map::new();
    out.insert(B::KIND.name_member().into(), json!(entity.core.name));
    out.insert("PolicyName".into(), json!(policy_name));
    out.insert(
        "PolicyDocument".into(),
        json!(policies::url_encode_document(document)),
    );
    Ok(Value::Object(out))
}

/// `ListUserPolicies`, `ListGroupPolicies`, `ListRolePolicies`, in name
/// order.
pub(super) fn list<B: Stored + HasInline>(
    ctx: &OpContext<'_>,
    input: &Value,
) -> Result<Value, IamError> {
    let input = Input(input);
    let owner = input.required(B::KIND.name_member())?;
    let entity = ctx.require::<B>(owner)?;
    let page = page(input, entity.body.inline().keys(), |name| (*name).clone())?;
    Ok(page.output("PolicyNames", |name| json!(name)))
}

/// `DeleteUserPolicy`, `DeleteGroupPolicy`, `DeleteRolePolicy`.
pub(super) fn delete<B: Stored + HasInline>(
    ctx: &OpContext<'_>,
    input: &Value,
) -> Result<Value, IamError> {
    let input = Input(input);
    let owner = input.required(B::KIND.name_member())?;
    let policy_name = input.required("PolicyName")?;
    ctx.write(|tx| {
        let mut entity: Entity<B> = Table::require(tx, ctx.account(), owner)?;
        super::roles::refuse_service_linked(&entity)?;
        if entity.body.inline_mut().remove(policy_name).is_none() {
            return Err(Outcome::Domain(IamError::no_such_inline_policy(
                B::KIND,
                policy_name,
            )));
        }
        Table::save(tx, &entity)
    })?;
    Ok(json!({}))
}
