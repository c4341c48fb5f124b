//! The policy simulator: `SimulateCustomPolicy` and
//! `SimulatePrincipalPolicy`, decided by the same engine that enforces
//! requests (`tessera_policy::evaluate`), for actions of any service.
//!
//! Each action is simulated on each resource (`*` when none is given) with
//! the identity policies (the principal's, and/or `PolicyInputList`), the
//! permissions boundary (the principal's, and/or
//! `PermissionsBoundaryPolicyInputList`), the `ResourcePolicy` and the
//! `ContextEntries`. An answer carries the decision, the statements that
//! matched with where they sit in their document (1-based line and
//! column of the statement's first and last character), the context keys
//! the policies name but the request did not supply, and whether the
//! boundary allowed. Tessera has no organizations, so
//! `AllowedByOrganizations` is always true.

use std::sync::Arc;

use serde_json::{json, Value};
use tessera_policy::json::{self as policy_json, JsonValue};
use tessera_policy::{
    evaluate, CompiledPolicy, ContextValue, Decision, PolicyBundle, PolicyKind, PolicySet,
    PolicyType, Principal, Request, ValidationConfig,
};

use super::context_keys::{keys_of, managed_document, principal_documents, SourceDocument};
use super::paging::page;
use super::{Input, OpContext};
use crate::IamError;

/// One policy the simulation reads.
struct Source {
    document: SourceDocument,
    compiled: Arc<CompiledPolicy>,
}

fn compile(document: SourceDocument, kind: PolicyKind) -> Result<Source, IamError> {
    let config = ValidationConfig::for_kind(kind);
    let compiled =
        CompiledPolicy::compile(&document.id, &document.document, &config).map_err(|error| {
            IamError::new(
                "MalformedPolicyDocument",
                error
                    .report
                    .aws_error_message()
                    .unwrap_or_else(|| "Syntax errors in policy.".to_string()),
            )
        })?;
    Ok(Source {
        document,
        compiled: Arc::new(compiled),
    })
}

/// The input documents of member `member` (`PolicyInputList`, …), named
/// as AWS names them: `PolicyInputList.1`, ….
fn input_documents(input: Input<'_>, member: &str) -> Vec<SourceDocument> {
    input
        .strings(member)
        .into_iter()
        .enumerate()
        .map(|(i, text)| SourceDocument {
            id: format!("{member}.{}", i + 1),
            kind: "none",
            document: text.to_string(),
            owner: None,
        })
        .collect()
}

/// The `ContextEntries` of the request.
fn context_entries(input: &Value) -> Vec<(String, ContextValue)> {
    let entries = input
        .get("ContextEntries")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    entries
        .iter()
        .filter_map(|entry| {
            let key = entry.get("ContextKeyName")?.as_str()?.to_string();
            let values: Vec<String> = entry
                .get("ContextKeyValues")
                .and_then(Value::as_array)
                .map(|v| {
                    v.iter()
                        .filter_map(|s| s.as_str().map(str::to_string))
                        .collect()
                })
                .unwrap_or_default();
            let is_list = entry
                .get("ContextKeyType")
                .and_then(Value::as_str)
                .is_some_and(|t| t.ends_with("List"));
            let value = match (is_list, values.as_slice()) {
                (false, [one]) => ContextValue::Single(one.clone()),
                _ => ContextValue::Multi(values),
            };
            Some((key, value))
        })
        .collect()
}

/// The 1-based line and column of character offset `at` of `text`.
fn position_of(text: &str, at: usize) -> (u32, u32) {
    let mut line = 1u32;
    let mut column = 1u32;
    for c in text.chars().take(at) {
        if c == '\n' {
            line += 1;
            column = 1;
        } else {
            column += 1;
        }
    }
    (line, column)
}

/// The character offset of a 1-based line and column.
fn offset_of(text: &str, line: u32, column: u32) -> usize {
    let mut current = (1u32, 1u32);
    for (i, c) in text.chars().enumerate() {
        if current == (line, column) {
            return i;
        }
        if c == '\n' {
            current = (current.0 + 1, 1);
        } else {
            current.1 += 1;
        }
    }
    text.chars().count()
}

/// The character offset of the brace closing the object opening at
/// `start`, strings skipped.
fn closing_brace(text: &str, start: usize) -> usize {
    let mut depth = 0usize;
    let mut in_string = false;
    let mut escaped = false;
    for (i, c) in text.chars().enumerate().skip(start) {
        if in_string {
            match c {
                _ if escaped => escaped = false,
                '\\' => escaped = true,
                '"' => in_string = false,
                _ => {}
            }
            continue;
        }
        match c {
            '"' => in_string = true,
            '{' => depth += 1,
            '}' => {
                depth = depth.saturating_sub(1);
                if depth == 0 {
                    return i;
                }
            }
            _ => {}
        }
    }
    start
}

/// Where statement `index` of `document` starts and ends.
fn statement_span(document: &str, index: usize) -> Option<((u32, u32), (u32, u32))> {
    let parsed = policy_json::parse(document).ok()?;
    let JsonValue::Object(members) = parsed.value else {
        return None;
    };
    let statement = members.iter().find(|m| m.key == "Statement")?;
    let node = match &statement.value.value {
        JsonValue::Array(items) => items.get(index)?,
        JsonValue::Object(_) if index == 0 => &statement.value,
        _ => return None,
    };
    let start = offset_of(document, node.position.line, node.position.column);
    let end = closing_brace(document, start);
    Some((position_of(document, start), position_of(document, end)))
}

fn policy_type_name(policy_type: PolicyType, source: Option<&SourceDocument>) -> &'static str {
    match policy_type {
        PolicyType::Resource => "resource",
        _ => source.map_or("none", |s| s.kind),
    }
}

/// What one simulation reads.
struct Simulation {
    identity: Vec<Source>,
    boundary: Vec<Source>,
    resource: Option<Source>,
    caller: Principal,
    resource_owner: String,
    context: Vec<(String, ContextValue)>,
    missing_keys: Vec<String>,
}

impl Simulation {
    fn source_of(&self, policy: &CompiledPolicy) -> Option<&Source> {
        self.identity
            .iter()
            .chain(&self.boundary)
            .chain(&self.resource)
            .find(|s| std::ptr::eq(s.compiled.as_ref(), policy))
    }

    fn run(&self, action: &str, resource: &str) -> Value {
        let identity: Vec<Arc<CompiledPolicy>> = self
            .identity
            .iter()
            .map(|s| Arc::clone(&s.compiled))
            .collect();
        // Decided as the server decides requests: the identity policies
        // compiled together.
        let bundle = PolicyBundle::new(&identity);
        let boundary = self.boundary.first().map(|s| s.compiled.as_ref());
        let set = PolicySet {
            identity: bundle.policies(),
            identity_bundle: Some(&bundle),
            permissions_boundary: boundary,
            resource: self.resource.as_ref().map(|s| s.compiled.as_ref()),
            ..PolicySet::default()
        };
        let mut request = Request::new(self.caller.clone(), action, resource)
            .with_resource_account(&self.resource_owner);
        for (key, value) in &self.context {
            request = request.with_context(key, value.clone());
        }
        let evaluation = evaluate(&set, &request);
        let decision = match evaluation.decision() {
            Decision::Allowed => "allowed",
            Decision::ExplicitDeny => "explicitDeny",
            Decision::ImplicitDeny => "implicitDeny",
        };
        let mut boundary_allows = boundary.is_none();
        let mut matched = Vec::new();
        for m in evaluation.matched_statements() {
            if m.policy_type == PolicyType::PermissionsBoundary
                && m.effect == tessera_policy::Effect::Allow
            {
                boundary_allows = true;
            }
            let source = self.source_of(m.policy);
            let mut entry = json!({
                "SourcePolicyId": source.map_or(m.policy_name(), |s| s.document.id.as_str()),
                "SourcePolicyType": policy_type_name(m.policy_type, source.map(|s| &s.document)),
            });
            if let Some(((sl, sc), (el, ec))) =
                source.and_then(|s| statement_span(&s.document.document, m.statement_index))
            {
                entry["StartPosition"] = json!({ "Line": sl, "Column": sc });
                entry["EndPosition"] = json!({ "Line": el, "Column": ec });
            }
            matched.push(entry);
        }
        let mut out = json!({
            "EvalActionName": action,
            "EvalResourceName": resource,
            "EvalDecision": decision,
            "MatchedStatements": matched,
            "MissingContextValues": self.missing_keys,
            "OrganizationsDecisionDetail": { "AllowedByOrganizations": true },
        });
        if boundary.is_some() {
            out["PermissionsBoundaryDecisionDetail"] =
                json!({ "AllowedByPermissionsBoundary": boundary_allows });
        }
        out
    }
}

/// Runs the simulation `input` asks for, with the principal's documents
/// when there is one.
fn simulate(
    ctx: &OpContext<'_>,
    input: &Value,
    principal_identity: Vec<SourceDocument>,
    principal_boundary: Option<SourceDocument>,
    default_caller: Option<String>,
) -> Result<Value, IamError> {
    let request = Input(input);
    let mut identity = Vec::new();
    for document in principal_identity
        .into_iter()
        .chain(input_documents(request, "PolicyInputList"))
    {
        identity.push(compile(document, PolicyKind::Identity)?);
    }
    let mut boundary = Vec::new();
    for document in principal_boundary.into_iter().chain(input_documents(
        request,
        "PermissionsBoundaryPolicyInputList",
    )) {
        boundary.push(compile(document, PolicyKind::Identity)?);
    }
    let resource = match request.str("ResourcePolicy") {
        Some(text) => Some(compile(
            SourceDocument {
                id: "ResourcePolicy".into(),
                kind: "resource",
                document: text.to_string(),
                owner: None,
            },
            PolicyKind::Resource,
        )?),
        None => None,
    };
    let partition = ctx.caller.partition();
    let caller_arn = request
        .str("CallerArn")
        .map(str::to_string)
        .or(default_caller)
        .unwrap_or_else(|| crate::arn::user(partition, ctx.account(), "/", "SimulatedCaller"));
    let caller = Principal::from_arn(&caller_arn)
        .map_err(|_| IamError::invalid_input(format!("Invalid CallerArn: {caller_arn}")))?;
    let context = context_entries(input);
    let documents: Vec<&str> = identity
        .iter()
        .chain(&boundary)
        .chain(&resource)
        .map(|s| s.document.document.as_str())
        .collect();
    let missing_keys: Vec<String> = keys_of(documents)
        .into_iter()
        .filter(|key| !context.iter().any(|(k, _)| k.eq_ignore_ascii_case(key)))
        .collect();
    let simulation = Simulation {
        identity,
        boundary,
        resource,
        caller,
        resource_owner: request
            .str("ResourceOwner")
            .and_then(|owner| crate::arn::split_iam(owner).map(|(account, _)| account))
            .or(request.str("ResourceOwner"))
            .unwrap_or(ctx.account())
            .to_string(),
        context,
        missing_keys,
    };
    let resources: Vec<&str> = match request.strings("ResourceArns") {
        r if r.is_empty() => vec!["*"],
        r => r,
    };
    let mut results = Vec::new();
    for action in request.strings("ActionNames") {
        for resource in &resources {
            results.push(simulation.run(action, resource));
        }
    }
    let numbered: Vec<(usize, Value)> = results.into_iter().enumerate().collect();
    let page = page(request, numbered, |(i, _)| format!("{i:010}"))?;
    Ok(page.output("EvaluationResults", |(_, result)| result.clone()))
}

pub(super) fn simulate_custom_policy(
    ctx: &OpContext<'_>,
    input: &Value,
) -> Result<Value, IamError> {
    simulate(ctx, input, Vec::new(), None, None)
}

pub(super) fn simulate_principal_policy(
    ctx: &OpContext<'_>,
    input: &Value,
) -> Result<Value, IamError> {
    let source = Input(input).required("PolicySourceArn")?;
    let principal = principal_documents(ctx, source)?;
    let boundary = principal
        .boundary
        .as_deref()
        .and_then(|arn| managed_document(ctx, arn));
    simulate(
        ctx,
        input,
        principal.documents,
        boundary,
        principal.caller_arn,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_statement_span_runs_from_its_opening_to_its_closing_brace() {
        let doc = "{\n  \"Version\": \"2012-10-17\",\n  \"Statement\": [\n    {\"Effect\": \"Allow\", \"Action\": \"s3:*\", \"Resource\": \"*\"},\n    {\"Effect\": \"Deny\",\n     \"Action\": \"s3:Delete*\", \"Resource\": \"arn:aws:s3:::a/{x}\"}\n  ]\n}";
        assert_eq!(statement_span(doc, 0), Some(((4, 5), (4, 58))));
        assert_eq!(statement_span(doc, 1), Some(((5, 5), (6, 62))));
        assert_eq!(statement_span(doc, 2), None);
    }
}
