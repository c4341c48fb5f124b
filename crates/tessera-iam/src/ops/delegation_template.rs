//! Policy templates of delegation requests: a managed policy whose
//! document holds `@{name}` placeholders, rendered with the request's
//! `Parameters` into the permission policy the customer reviews and the
//! delegated session is limited to.
//!
//! AWS registers partners' templates during onboarding; Tessera has no
//! such registry, so a template is a managed policy the partner can read
//! (a customer-managed policy of its own account, or an AWS-managed one)
//! and `PolicyTemplateArn` is its ARN. A placeholder in a JSON string is
//! replaced by a `string` parameter's value; a string that is exactly
//! `@{name}` of a `stringList` parameter becomes one string per value
//! (an array in place of a single value).

use serde_json::Value;

use super::managed::{resolve_in_snapshot, PolicyView};
use super::OpContext;
use crate::IamError;

/// The longest rendered policy AWS accepts, in characters.
pub const MAX_RENDERED_CHARS: usize = 2048;

/// One parameter of a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Parameter {
    /// The name the template uses in `@{name}`.
    pub name: String,
    /// The values.
    pub values: Vec<String>,
    /// Whether it is a `stringList` (several values) or a `string`.
    pub list: bool,
}

/// The parameters of a `Permissions` member, checked: unique names, one
/// value for a `string`.
pub fn parameters(permissions: &Value) -> Result<Vec<Parameter>, IamError> {
    let mut out: Vec<Parameter> = Vec::new();
    for item in permissions
        .get("Parameters")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let name = item
            .get("Name")
            .and_then(Value::as_str)
            .ok_or_else(|| IamError::invalid_input("Every policy parameter must have a Name."))?;
        let values: Vec<String> = item
            .get("Values")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .map(str::to_string)
            .collect();
        let list = match item.get("Type").and_then(Value::as_str) {
            Some("stringList") => true,
            Some("string") | None => false,
            Some(other) => {
                return Err(IamError::invalid_input(format!(
                    "Policy parameter {name} has an unknown type {other}."
                )))
            }
        };
        if values.is_empty() {
            return Err(IamError::invalid_input(format!(
                "Policy parameter {name} must have at least one value."
            )));
        }
        if !list && values.len() != 1 {
            return Err(IamError::invalid_input(format!(
                "Policy parameter {name} of type string must have exactly one value."
            )));
        }
        if out.iter().any(|p| p.name == name) {
            return Err(IamError::invalid_input(format!(
                "Policy parameter {name} is given more than once."
            )));
        }
        out.push(Parameter {
            name: name.to_string(),
            values,
            list,
        });
    }
    Ok(out)
}

/// The template document `PolicyTemplateArn` names, as the caller may
/// read it.
pub fn template_document(ctx: &OpContext<'_>, template_arn: &str) -> Result<String, IamError> {
    let missing = || {
        IamError::invalid_input(format!(
            "The policy template {template_arn} does not exist or is not available to this account."
        ))
    };
    match resolve_in_snapshot(ctx, template_arn).map_err(|_| missing())? {
        PolicyView::Customer(policy) => policy
            .body
            .default()
            .map(|v| v.document.clone())
            .ok_or_else(missing),
        PolicyView::Aws(policy) => policy
            .version_document(&policy.default_version_id)
            .map(str::to_string)
            .ok_or_else(missing),
    }
}

/// Renders `template` (a JSON policy document) with `parameters`. Every
/// placeholder must have a parameter and every parameter must be used.
pub fn render(template: &str, parameters: &[Parameter]) -> Result<String, IamError> {
    let document: Value = serde_json::from_str(template)
        .map_err(|_| IamError::invalid_input("The policy template is not valid JSON."))?;
    let mut used = vec![false; parameters.len()];
    let rendered = render_value(document, parameters, &mut used)?;
    if let Some(unused) = parameters
        .iter()
        .zip(&used)
        .find(|(_, used)| !**used)
        .map(|(p, _)| p)
    {
        return Err(IamError::invalid_input(format!(
            "Policy parameter {} is not used by the policy template.",
            unused.name
        )));
    }
    let text = serde_json::to_string(&rendered).map_err(|_| IamError::service_failure())?;
    if text.chars().count() > MAX_RENDERED_CHARS {
        return Err(IamError::invalid_input(format!(
            "The rendered permission policy exceeds the maximum of {MAX_RENDERED_CHARS} characters."
        )));
    }
    Ok(text)
}

fn render_value(
    value: Value,
    parameters: &[Parameter],
    used: &mut [bool],
) -> Result<Value, IamError> {
    match value {
        Value::String(text) => {
            let mut values = render_string(&text, parameters, used)?;
            if values.len() == 1 {
                Ok(Value::String(values.remove(0)))
            } else {
                Ok(Value::Array(
                    values.into_iter().map(Value::String).collect(),
                ))
            }
        }
        Value::Array(items) => {
            let mut out = Vec::with_capacity(items.len());
            for item in items {
                match item {
                    // A list parameter inside an array adds its values to
                    // the array rather than nesting one.
                    Value::String(text) => out.extend(
                        render_string(&text, parameters, used)?
                            .into_iter()
                            .map(Value::String),
                    ),
                    other => out.push(render_value(other, parameters, used)?),
                }
            }
            Ok(Value::Array(out))
        }
        Value::Object(map) => {
            let mut out = serde_json::Map::with_capacity(map.len());
            for (key, item) in map {
                let key = match render_string(&key, parameters, used)?.as_slice() {
                    [single] => single.clone(),
                    _ => {
                        return Err(IamError::invalid_input(
                            "A stringList parameter cannot name a policy element.",
                        ))
                    }
                };
                out.insert(key, render_value(item, parameters, used)?);
            }
            Ok(Value::Object(out))
        }
        other => Ok(other),
    }
}

/// One template string rendered: one string, or one per value when the
/// whole string is a `stringList` placeholder.
fn render_string(
    text: &str,
    parameters: &[Parameter],
    used: &mut [bool],
) -> Result<Vec<String>, IamError> {
    let find = |name: &str| parameters.iter().position(|p| p.name == name);
    if let Some(name) = text.strip_prefix("@{").and_then(|t| t.strip_suffix('}')) {
        if !name.contains(['{', '}']) {
            let index = find(name).ok_or_else(|| unfilled(name))?;
            if let (Some(flag), Some(parameter)) = (used.get_mut(index), parameters.get(index)) {
                *flag = true;
                return Ok(parameter.values.clone());
            }
        }
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find("@{") {
        out.push_str(rest.get(..start).unwrap_or_default());
        let after = rest.get(start + 2..).unwrap_or_default();
        let end = after.find('}').ok_or_else(|| {
            IamError::invalid_input("The policy template has an unterminated @{ placeholder.")
        })?;
        let name = after.get(..end).unwrap_or_default();
        let index = find(name).ok_or_else(|| unfilled(name))?;
        let parameter = parameters.get(index).ok_or_else(|| unfilled(name))?;
        if parameter.list {
            return Err(IamError::invalid_input(format!(
                "Policy parameter {name} of type stringList must stand alone in a value."
            )));
        }
        if let Some(flag) = used.get_mut(index) {
            *flag = true;
        }
        out.push_str(parameter.values.first().map_or("", String::as_str));
        rest = after.get(end + 1..).unwrap_or_default();
    }
    out.push_str(rest);
    Ok(vec![out])
}

fn unfilled(name: &str) -> IamError {
    IamError::invalid_input(format!(
        "The policy template requires parameter {name}, which the request does not give."
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn string(name: &str, value: &str) -> Parameter {
        Parameter {
            name: name.into(),
            values: vec![value.into()],
            list: false,
        }
    }

    #[test]
    fn a_string_parameter_is_substituted_inside_a_value() {
        let template = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::@{bucketName}/*"}]}"#;
        let rendered = render(template, &[string("bucketName", "data")]).expect("render");
        assert!(
            rendered.contains(r#""Resource":"arn:aws:s3:::data/*""#),
            "{rendered}"
        );
    }

    #[test]
    fn a_list_parameter_expands_into_the_array_it_stands_in() {
        let template =
            r#"{"Statement":[{"Effect":"Allow","Action":["@{actions}"],"Resource":"*"}]}"#;
        let actions = Parameter {
            name: "actions".into(),
            values: vec!["iam:GetRole".into(), "iam:ListRoles".into()],
            list: true,
        };
        let rendered = render(template, &[actions]).expect("render");
        assert!(
            rendered.contains(r#""Action":["iam:GetRole","iam:ListRoles"]"#),
            "{rendered}"
        );
    }

    #[test]
    fn missing_unused_and_misplaced_parameters_are_refused() {
        let template = r#"{"Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"@{a}"}]}"#;
        assert_eq!(
            render(template, &[]).map_err(|e| e.code),
            Err("InvalidInput")
        );
        let extra = [string("a", "x"), string("b", "y")];
        assert_eq!(
            render(template, &extra).map_err(|e| e.code),
            Err("InvalidInput")
        );
        let inside = r#"{"Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"arn:@{a}"}]}"#;
        let list = Parameter {
            name: "a".into(),
            values: vec!["x".into(), "y".into()],
            list: true,
        };
        assert_eq!(
            render(inside, &[list]).map_err(|e| e.code),
            Err("InvalidInput")
        );
    }
}
