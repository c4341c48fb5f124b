//! `GetHumanReadableSummary` of a delegation request. AWS writes the
//! summary with a language model; Tessera writes it from the request
//! itself, deterministically: who asks, for how long, and each statement
//! of the permission policy (effect, actions, resources, conditions) in
//! plain English. Only English is written.

use serde_json::Value;

use crate::records::DelegationRequestRecord;

/// The summary of `request`.
pub fn summary(request: &DelegationRequestRecord) -> String {
    let mut out = String::new();
    let target = match &request.owner_account {
        Some(account) => format!("account {account}"),
        None => "the account that accepts it".to_string(),
    };
    out.push_str(&format!(
        "Account {} requests temporary access to {target} for {}.",
        request.requestor_account,
        duration(request.session_duration)
    ));
    let statements = statements(&request.permission_policy);
    out.push_str(&format!(
        " The delegated session is limited to a permission policy of {} statement{}:",
        statements.len(),
        if statements.len() == 1 { "" } else { "s" }
    ));
    for (index, statement) in statements.iter().enumerate() {
        out.push_str(&format!("\n{}. {}", index + 1, describe(statement)));
    }
    out
}

/// A duration in seconds as words: `1 hour 30 minutes`.
fn duration(seconds: u32) -> String {
    let hours = seconds / 3600;
    let minutes = (seconds % 3600) / 60;
    let rest = seconds % 60;
    let mut parts = Vec::new();
    for (amount, unit) in [(hours, "hour"), (minutes, "minute"), (rest, "second")] {
        if amount > 0 {
            parts.push(format!(
                "{amount} {unit}{}",
                if amount == 1 { "" } else { "s" }
            ));
        }
    }
    if parts.is_empty() {
        "0 seconds".into()
    } else {
        parts.join(" ")
    }
}

/// The statements of a policy document (one statement may be written
/// without an array).
fn statements(document: &str) -> Vec<Value> {
    let Ok(parsed) = serde_json::from_str::<Value>(document) else {
        return Vec::new();
    };
    match parsed.get("Statement") {
        Some(Value::Array(list)) => list.clone(),
        Some(single @ Value::Object(_)) => vec![single.clone()],
        _ => Vec::new(),
    }
}

/// The strings of an element that is a string or a list of strings.
fn strings(value: Option<&Value>) -> Vec<String> {
    match value {
        Some(Value::String(s)) => vec![s.clone()],
        Some(Value::Array(items)) => items
            .iter()
            .map(|v| match v {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            })
            .collect(),
        Some(other) => vec![other.to_string()],
        None => Vec::new(),
    }
}

fn list(items: &[String]) -> String {
    match items {
        [] => "nothing".into(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

fn describe(statement: &Value) -> String {
    let verb = match statement.get("Effect").and_then(Value::as_str) {
        Some("Deny") => "Denies",
        _ => "Allows",
    };
    let actions = if statement.get("NotAction").is_some() {
        format!(
            "every action except {}",
            list(&strings(statement.get("NotAction")))
        )
    } else {
        let actions = strings(statement.get("Action"));
        if actions.iter().any(|a| a == "*") {
            "every action".to_string()
        } else {
            list(&actions)
        }
    };
    let resources = if statement.get("NotResource").is_some() {
        format!(
            "every resource except {}",
            list(&strings(statement.get("NotResource")))
        )
    } else {
        let resources = strings(statement.get("Resource"));
        if resources.iter().any(|r| r == "*") {
            "every resource".to_string()
        } else {
            list(&resources)
        }
    };
    let mut text = format!("{verb} {actions} on {resources}");
    let conditions = conditions(statement.get("Condition"));
    if !conditions.is_empty() {
        text.push_str(" when ");
        text.push_str(&conditions.join(" and "));
    }
    text.push('.');
    text
}

/// Each condition as `OPERATOR KEY is VALUE(S)`, in document order.
fn conditions(condition: Option<&Value>) -> Vec<String> {
    let Some(Value::Object(operators)) = condition else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for (operator, keys) in operators {
        let Value::Object(keys) = keys else { continue };
        for (key, values) in keys {
            let values = strings(Some(values));
            let values = if values.len() == 1 {
                values.into_iter().next().unwrap_or_default()
            } else {
                format!("one of {}", list(&values))
            };
            out.push(format!("{key} matches {values} ({operator})"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_as_words() {
        assert_eq!(duration(3600), "1 hour");
        assert_eq!(duration(5400), "1 hour 30 minutes");
        assert_eq!(duration(301), "5 minutes 1 second");
    }

    #[test]
    fn a_statement_names_its_effect_actions_resources_and_conditions() {
        let statement: Value = serde_json::from_str(
            r#"{"Effect":"Allow","Action":["iam:CreateRole","iam:TagRole"],"Resource":"arn:aws:iam::1:role/app-*","Condition":{"StringEquals":{"iam:PermissionsBoundary":"arn:aws:iam::1:policy/b"}}}"#,
        )
        .expect("json");
        assert_eq!(
            describe(&statement),
            "Allows iam:CreateRole and iam:TagRole on arn:aws:iam::1:role/app-* when iam:PermissionsBoundary matches arn:aws:iam::1:policy/b (StringEquals)."
        );
        let deny: Value =
            serde_json::from_str(r#"{"Effect":"Deny","NotAction":"s3:*","Resource":"*"}"#)
                .expect("json");
        assert_eq!(
            describe(&deny),
            "Denies every action except s3:* on every resource."
        );
    }
}
