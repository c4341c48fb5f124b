//! `GetContextKeysForCustomPolicy` and `GetContextKeysForPrincipalPolicy`:
//! the context keys policies refer to, the ones a caller of the simulator
//! must supply. A key is referred to by a condition (`"aws:CurrentTime"`
//! under an operator) or by a policy variable anywhere in a statement
//! (`${aws:username}`). Keys come in document order, each once (keys are
//! case-insensitive; the first spelling is kept), as AWS's examples show
//! them.

use serde_json::{json, Value};

use super::managed::{resolve_in_snapshot, PolicyView};
use super::{Input, OpContext};
use crate::edges::{Direction, Relation};
use crate::kind::EntityKind;
use crate::records::{GroupBody, HasInline, RoleBody, UserBody};
use crate::IamError;

/// Collects keys into `out`, once each.
#[derive(Default)]
struct Keys {
    names: Vec<String>,
}

impl Keys {
    fn add(&mut self, key: &str) {
        let key = key.trim();
        if key.is_empty() || self.names.iter().any(|k| k.eq_ignore_ascii_case(key)) {
            return;
        }
        self.names.push(key.to_string());
    }

    /// The variables `${key}` (or `${key, 'default'}`) in `text`; `${*}`,
    /// `${?}` and `${$}` are escapes, not keys.
    fn add_variables(&mut self, text: &str) {
        let mut rest = text;
        while let Some(start) = rest.find("${") {
            let after = &rest[start + 2..];
            let Some(end) = after.find('}') else { break };
            let inner = &after[..end];
            let key = inner.split(',').next().unwrap_or("");
            if !matches!(key.trim(), "*" | "?" | "$") {
                self.add(key);
            }
            rest = &after[end + 1..];
        }
    }

    /// Every key of one statement, members in document order.
    fn add_statement(&mut self, statement: &Value) {
        let Some(members) = statement.as_object() else {
            return;
        };
        for (name, value) in members {
            if name == "Condition" {
                for keys in value.as_object().into_iter().flat_map(|ops| ops.values()) {
                    for (key, values) in keys.as_object().into_iter().flatten() {
                        self.add(key);
                        self.add_strings(values);
                    }
                }
            } else {
                self.add_strings(value);
            }
        }
    }

    fn add_strings(&mut self, value: &Value) {
        match value {
            Value::String(s) => self.add_variables(s),
            Value::Array(items) => items.iter().for_each(|v| self.add_strings(v)),
            Value::Object(map) => map.values().for_each(|v| self.add_strings(v)),
            _ => {}
        }
    }

    /// Every key of one policy document.
    fn add_document(&mut self, document: &str) -> Result<(), IamError> {
        let parsed: Value = serde_json::from_str(document)
            .map_err(|_| IamError::invalid_input("Syntax errors in policy."))?;
        match parsed.get("Statement") {
            Some(Value::Array(statements)) => statements.iter().for_each(|s| self.add_statement(s)),
            Some(statement) => self.add_statement(statement),
            None => {}
        }
        Ok(())
    }

    fn output(self) -> Value {
        json!({ "ContextKeyNames": self.names })
    }
}

fn add_inputs(keys: &mut Keys, input: Input<'_>) -> Result<(), IamError> {
    for document in input.strings("PolicyInputList") {
        keys.add_document(document)?;
    }
    Ok(())
}

pub(super) fn for_custom_policy(_ctx: &OpContext<'_>, input: &Value) -> Result<Value, IamError> {
    let mut keys = Keys::default();
    add_inputs(&mut keys, Input(input))?;
    Ok(keys.output())
}

/// A policy document that bears on a principal, with where it comes from,
/// as the simulator reports it (`SourcePolicyId`, `SourcePolicyType`).
pub(super) struct SourceDocument {
    /// The inline policy's name or the managed policy's ARN.
    pub id: String,
    /// `user`, `group`, `role` (inline), `aws-managed` or `user-managed`.
    pub kind: &'static str,
    /// The document.
    pub document: String,
    /// For an inline policy, the name of the user, group or role it is in.
    pub owner: Option<String>,
}

/// The document of managed policy `arn`, as the snapshot holds it.
pub(super) fn managed_document(ctx: &OpContext<'_>, arn: &str) -> Option<SourceDocument> {
    let (kind, document) = match resolve_in_snapshot(ctx, arn).ok()? {
        PolicyView::Aws(policy) => ("aws-managed", policy.default_document()?.to_string()),
        PolicyView::Customer(policy) => ("user-managed", policy.body.default()?.document.clone()),
    };
    Some(SourceDocument {
        id: arn.to_string(),
        kind,
        document,
        owner: None,
    })
}

/// The inline documents and attached managed policies of one entity.
fn entity_documents<B: crate::snapshot::Stored + HasInline>(
    ctx: &OpContext<'_>,
    entity: &crate::records::Entity<B>,
    kind: &'static str,
    out: &mut Vec<SourceDocument>,
) {
    for (name, document) in entity.body.inline() {
        out.push(SourceDocument {
            id: name.clone(),
            kind,
            document: document.clone(),
            owner: Some(entity.core.name.clone()),
        });
    }
    let attached: Vec<String> = ctx
        .snapshot
        .targets(Relation::Attached, Direction::Forward, &entity.core.id)
        .map(str::to_string)
        .collect();
    out.extend(attached.iter().filter_map(|arn| managed_document(ctx, arn)));
}

/// A user, group or role named by ARN, with its identity documents (a
/// user's groups' included) and its permissions boundary's ARN.
pub(super) struct PrincipalDocuments {
    /// The identity-based documents.
    pub documents: Vec<SourceDocument>,
    /// The permissions boundary, when one is set.
    pub boundary: Option<String>,
    /// The principal's ARN, when it can be a caller (a user or a role).
    pub caller_arn: Option<String>,
}

/// The documents of the user, group or role `source` names.
pub(super) fn principal_documents(
    ctx: &OpContext<'_>,
    source: &str,
) -> Result<PrincipalDocuments, IamError> {
    let invalid = || IamError::invalid_input(format!("Invalid ARN: {source}"));
    let (account, resource) = crate::arn::split_iam(source).ok_or_else(invalid)?;
    let (kind_name, rest) = resource.split_once('/').ok_or_else(invalid)?;
    let name = rest.rsplit('/').next().unwrap_or(rest);
    let missing = |kind: EntityKind| IamError::no_such_entity(kind, name);
    if account != ctx.account() {
        return Err(IamError::no_such_entity(EntityKind::User, name));
    }
    let mut documents = Vec::new();
    let (boundary, caller_arn) = match kind_name {
        "user" => {
            let user = ctx
                .snapshot
                .by_name::<UserBody>(account, name)
                .filter(|u| u.arn() == source)
                .ok_or_else(|| missing(EntityKind::User))?;
            entity_documents(ctx, user, "user", &mut documents);
            let groups: Vec<String> = ctx
                .snapshot
                .targets(Relation::Member, Direction::Inverse, &user.core.id)
                .map(str::to_string)
                .collect();
            for group_id in groups {
                if let Some(group) = ctx.snapshot.get::<GroupBody>(&group_id) {
                    entity_documents(ctx, group, "group", &mut documents);
                }
            }
            (user.body.permissions_boundary.clone(), Some(user.arn()))
        }
        "group" => {
            let group = ctx
                .snapshot
                .by_name::<GroupBody>(account, name)
                .filter(|g| g.arn() == source)
                .ok_or_else(|| missing(EntityKind::Group))?;
            entity_documents(ctx, group, "group", &mut documents);
            (None, None)
        }
        "role" => {
            let role = ctx
                .snapshot
                .by_name::<RoleBody>(account, name)
                .filter(|r| r.arn() == source)
                .ok_or_else(|| missing(EntityKind::Role))?;
            entity_documents(ctx, role, "role", &mut documents);
            (role.body.permissions_boundary.clone(), Some(role.arn()))
        }
        _ => return Err(invalid()),
    };
    Ok(PrincipalDocuments {
        documents,
        boundary,
        caller_arn,
    })
}

pub(super) fn for_principal_policy(ctx: &OpContext<'_>, input: &Value) -> Result<Value, IamError> {
    let input = Input(input);
    let source = input.required("PolicySourceArn")?;
    let principal = principal_documents(ctx, source)?;
    let mut keys = Keys::default();
    for document in &principal.documents {
        keys.add_document(&document.document)?;
    }
    add_inputs(&mut keys, input)?;
    Ok(keys.output())
}

/// The context keys `documents` refer to, in document order.
pub(super) fn keys_of<'d>(documents: impl IntoIterator<Item = &'d str>) -> Vec<String> {
    let mut keys = Keys::default();
    for document in documents {
        // A document that does not parse was refused before.
        let _ = keys.add_document(document);
    }
    keys.names
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_come_from_variables_and_conditions_in_document_order_once_each() {
        // AWS's own example (get-context-keys-for-custom-policy).
        let mut keys = Keys::default();
        keys.add_document(r#"{"Version":"2012-10-17", "Statement":{"Effect":"Allow","Action":"dynamodb:*","Resource":"arn:aws:dynamodb:us-west-2:123456789012:table/${aws:username}","Condition":{"DateGreaterThan":{"aws:CurrentTime":"2015-08-16T12:00:00Z"}}}}"#).unwrap();
        keys.add_document(r#"{"Statement":[{"Effect":"Deny","Action":"s3:*","Resource":"*","Condition":{"StringNotEquals":{"AWS:Username":"${aws:PrincipalTag/team, 'none'}${*}"}}}]}"#).unwrap();
        assert_eq!(
            keys.names,
            ["aws:username", "aws:CurrentTime", "aws:PrincipalTag/team"]
        );
    }
}
