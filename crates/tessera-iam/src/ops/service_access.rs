//! `ListPoliciesGrantingServiceAccess`: for a user, group or role and a
//! list of service namespaces, the policies that allow some action of each
//! service, as IAM lists them: inline policies with the entity that holds
//! them (a user's groups' included), managed policies with their ARN.
//!
//! A policy grants access to a service when one of its `Allow` statements
//! names an action of it: an `Action` pattern whose service part matches
//! the namespace (`s3:Get*`, `s3*:*`, `*`), or a `NotAction` that does not
//! exclude the whole service (`s3:*` or `*`).

use serde_json::{json, Value};

use super::context_keys::{principal_documents, SourceDocument};
use super::{Input, OpContext};
use crate::IamError;

/// Whether the glob `pattern` (`*` and `?`, ignoring case) matches `text`.
fn glob(pattern: &str, text: &str) -> bool {
    let pattern: Vec<char> = pattern.to_lowercase().chars().collect();
    let text: Vec<char> = text.to_lowercase().chars().collect();
    let (mut p, mut t) = (0, 0);
    let (mut star, mut resume) = (None, 0);
    while t < text.len() {
        match pattern.get(p) {
            Some('*') => {
                star = Some(p);
                resume = t;
                p += 1;
            }
            Some(&c) if c == '?' || c == text[t] => {
                p += 1;
                t += 1;
            }
            _ => match star {
                Some(s) => {
                    p = s + 1;
                    resume += 1;
                    t = resume;
                }
                None => return false,
            },
        }
    }
    pattern[p..].iter().all(|&c| c == '*')
}

fn strings(value: Option<&Value>) -> Vec<&str> {
    match value {
        Some(Value::String(s)) => vec![s.as_str()],
        Some(Value::Array(items)) => items.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    }
}

/// Whether an action pattern can name an action of `service`.
fn names_service(pattern: &str, service: &str) -> bool {
    match pattern.split_once(':') {
        Some((prefix, _)) => glob(prefix, service),
        None => pattern == "*",
    }
}

/// Whether one statement allows some action of `service`.
fn statement_grants(statement: &Value, service: &str) -> bool {
    if statement.get("Effect").and_then(Value::as_str) != Some("Allow") {
        return false;
    }
    if let Some(actions) = statement.get("Action") {
        return strings(Some(actions))
            .iter()
            .any(|a| names_service(a, service));
    }
    let excluded = strings(statement.get("NotAction"));
    !excluded
        .iter()
        .any(|a| *a == "*" || a.eq_ignore_ascii_case(&format!("{service}:*")))
}

/// Whether one statement allows the action `service:action`.
fn statement_grants_action(statement: &Value, qualified: &str) -> bool {
    if statement.get("Effect").and_then(Value::as_str) != Some("Allow") {
        return false;
    }
    if let Some(actions) = statement.get("Action") {
        return strings(Some(actions)).iter().any(|a| glob(a, qualified));
    }
    !strings(statement.get("NotAction"))
        .iter()
        .any(|a| glob(a, qualified))
}

/// The statements of a policy document; none when it does not parse.
fn statements(document: &str) -> Vec<Value> {
    match serde_json::from_str::<Value>(document) {
        Ok(mut parsed) => match parsed.get_mut("Statement").map(Value::take) {
            Some(Value::Array(statements)) => statements,
            Some(statement) => vec![statement],
            None => Vec::new(),
        },
        Err(_) => Vec::new(),
    }
}

/// Whether `document` allows some action of `service`.
pub(super) fn grants(document: &str, service: &str) -> bool {
    statements(document)
        .iter()
        .any(|s| statement_grants(s, service))
}

/// A policy document's statements, parsed once, asked which services and
/// actions they allow.
pub(super) struct Grants {
    statements: Vec<Value>,
}

impl Grants {
    /// The statements of every document.
    pub(super) fn of<'d>(documents: impl IntoIterator<Item = &'d str>) -> Grants {
        Grants {
            statements: documents.into_iter().flat_map(statements).collect(),
        }
    }

    /// Whether some statement allows some action of `service`.
    pub(super) fn service(&self, service: &str) -> bool {
        self.statements.iter().any(|s| statement_grants(s, service))
    }

    /// Whether some statement allows `service:action`.
    pub(super) fn action(&self, service: &str, action: &str) -> bool {
        let qualified = format!("{service}:{action}");
        self.statements
            .iter()
            .any(|s| statement_grants_action(s, &qualified))
    }
}

fn policy_entry(source: &SourceDocument) -> Value {
    match &source.owner {
        Some(owner) => json!({
            "PolicyName": source.id,
            "PolicyType": "INLINE",
            "EntityType": source.kind.to_uppercase(),
            "EntityName": owner,
        }),
        None => json!({
            "PolicyName": source.id.rsplit('/').next().unwrap_or(&source.id),
            "PolicyType": "MANAGED",
            "PolicyArn": source.id,
        }),
    }
}

pub(super) fn list_policies_granting_service_access(
    ctx: &OpContext<'_>,
    input: &Value,
) -> Result<Value, IamError> {
    let input = Input(input);
    let arn = input.required("Arn")?;
    let principal = principal_documents(ctx, arn)?;
    let entries: Vec<Value> = input
        .strings("ServiceNamespaces")
        .into_iter()
        .map(|service| {
            let policies: Vec<Value> = principal
                .documents
                .iter()
                .filter(|d| grants(&d.document, service))
                .map(policy_entry)
                .collect();
            json!({ "ServiceNamespace": service, "Policies": policies })
        })
        .collect();
    Ok(json!({ "PoliciesGrantingServiceAccess": entries, "IsTruncated": false }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn allow_statements_grant_the_services_their_actions_name() {
        let doc = r#"{"Statement":[{"Effect":"Allow","Action":["s3:Get*","dynamo*:Query"],"Resource":"*"},
                      {"Effect":"Deny","Action":"ec2:*","Resource":"*"}]}"#;
        assert!(grants(doc, "s3"));
        assert!(grants(doc, "dynamodb"));
        assert!(!grants(doc, "ec2"));
        assert!(grants(
            r#"{"Statement":{"Effect":"Allow","Action":"*","Resource":"*"}}"#,
            "kms"
        ));
        let not_action = r#"{"Statement":{"Effect":"Allow","NotAction":"iam:*","Resource":"*"}}"#;
        assert!(grants(not_action, "s3"));
        assert!(!grants(not_action, "iam"));
    }

    #[test]
    fn allow_statements_grant_the_actions_their_patterns_match() {
        let grants = Grants::of([
            r#"{"Statement":[{"Effect":"Allow","Action":"iam:List*","Resource":"*"}]}"#,
            r#"{"Statement":{"Effect":"Allow","NotAction":["iam:Delete*","s3:*"],"Resource":"*"}}"#,
        ]);
        assert!(grants.action("iam", "ListUsers"));
        assert!(grants.action("iam", "CreateUser"));
        assert!(!grants.action("iam", "DeleteUser"));
        assert!(grants.service("sts"));
        assert!(!grants.service("s3"));
        assert!(!Grants::of(["not json"]).service("iam"));
    }
}
