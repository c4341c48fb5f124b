//! AWS's validation messages: the wording of each model constraint, and how
//! several violations are joined into one `ValidationError`.
//!
//! The wording is the one real AWS answers with (see the recordings):
//!
//! ```text
//! 1 validation error detected: Value 'Session1:2' at 'roleSessionName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\w+=,.@-]*
//! 3 validation errors detected: Value at 'minimumPasswordLength' failed to satisfy constraint: Member must have value less than or equal to 128; Value at …; Value at …
//! ```
//!
//! - STS quotes the value (`Value 'x' at`); IAM never does (`Value at`). A
//!   missing required member is `Value null at '…' … Member must not be null`.
//! - Paths are member names with a lower-case first letter; a member of the
//!   N-th element of a list of structures is `tags.N.member.key`.
//! - A list of strings or numbers with a bad element gets one violation for
//!   the whole list, listing every constraint of the element shape:
//!   `Member must satisfy constraint: [Member must have length less than or
//!   equal to 128, Member must have length greater than or equal to 1, …]`.
//! - Several violations are listed in the iteration order of a Java
//!   `HashMap` keyed by path (16 buckets, growing at three quarters full),
//!   which is the order both multi-error recordings show
//!   (`minimumPasswordLength`, `passwordReusePrevention`, `maxPasswordAge`;
//!   `clientIDList`, `thumbprintList`, `url`), and never the model's order.

use serde_json::Value;

use crate::errors::{common_error, ApiError};
use crate::model::{Shape, ShapeKind};
use crate::pattern::Pattern;

/// How a violation shows the offending value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Shown {
    /// The member is missing: `Value null at`.
    Null,
    /// Not echoed: `Value at`.
    Hidden,
    /// Echoed: `Value 'text' at`.
    Echoed(String),
}

/// One failed constraint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Violation {
    pub path: String,
    pub shown: Shown,
    pub constraint: String,
}

impl Violation {
    fn message(&self) -> String {
        let value = match &self.shown {
            Shown::Null => "Value null at".to_owned(),
            Shown::Hidden => "Value at".to_owned(),
            Shown::Echoed(text) => format!("Value '{text}' at"),
        };
        format!(
            "{value} '{}' failed to satisfy constraint: {}",
            self.path, self.constraint
        )
    }
}

/// The constraint text AWS gives a missing required member.
pub(crate) const NOT_NULL: &str = "Member must not be null";

/// Element shapes whose constraint list, in a list-element violation, ends
/// with `Member must not be null`. AWS's own models mark some list members
/// non-null where the published models cannot say so; the recordings show it
/// for tag keys (`tagKeys`) and not for OIDC client ids or thumbprints.
const NON_NULL_ELEMENT_SHAPES: &[&str] = &["tagKeyType"];

/// Length in UTF-16 code units, as AWS (Java) counts string lengths.
pub(crate) fn java_length(text: &str) -> i64 {
    i64::try_from(text.encode_utf16().count()).unwrap_or(i64::MAX)
}

fn max_length(max: i64) -> String {
    format!("Member must have length less than or equal to {max}")
}

fn min_length(min: i64) -> String {
    format!("Member must have length greater than or equal to {min}")
}

fn max_value(max: i64) -> String {
    format!("Member must have value less than or equal to {max}")
}

fn min_value(min: i64) -> String {
    format!("Member must have value greater than or equal to {min}")
}

fn pattern_constraint(pattern: &Pattern) -> String {
    format!(
        "Member must satisfy regular expression pattern: {}",
        pattern.source
    )
}

const ENUM_CONSTRAINT: &str = "Member must satisfy enum value set";

/// Whether a shape's values are scalars (strings, numbers, booleans, …).
pub(crate) fn is_scalar(shape: &Shape) -> bool {
    !matches!(
        shape.kind,
        ShapeKind::Structure { .. } | ShapeKind::List { .. } | ShapeKind::Map { .. }
    )
}

/// The first constraint of `shape` that the decoded `value` fails, checked
/// in the order AWS lists them: maximum, minimum, pattern, enum. Lists are
/// checked for their length only; their elements by [`element_violation`].
pub(crate) fn first_failure(
    shape: &Shape,
    pattern: Option<&Pattern>,
    value: &Value,
) -> Option<String> {
    match (&shape.kind, value) {
        (ShapeKind::String, Value::String(text)) => {
            let length = java_length(text);
            if let Some(max) = shape.max.filter(|&max| length > max) {
                return Some(max_length(max));
            }
            if let Some(min) = shape.min.filter(|&min| length < min) {
                return Some(min_length(min));
            }
            if let Some(pattern) = pattern.filter(|p| !p.matches(text)) {
                return Some(pattern_constraint(pattern));
            }
            if let Some(values) = &shape.enum_values {
                if !values.iter().any(|v| v == text) {
                    return Some(ENUM_CONSTRAINT.to_owned());
                }
            }
            None
        }
        (ShapeKind::Integer | ShapeKind::Long, Value::Number(number)) => {
            let number = number.as_i64()?;
            if let Some(max) = shape.max.filter(|&max| number > max) {
                return Some(max_value(max));
            }
            shape.min.filter(|&min| number < min).map(min_value)
        }
        (ShapeKind::Float, Value::Number(number)) => {
            let number = number.as_f64()?;
            if let Some(max) = shape.max.filter(|&max| number > max as f64) {
                return Some(max_value(max));
            }
            shape.min.filter(|&min| number < min as f64).map(min_value)
        }
        (ShapeKind::List { .. }, Value::Array(items)) => {
            let length = i64::try_from(items.len()).unwrap_or(i64::MAX);
            if let Some(max) = shape.max.filter(|&max| length > max) {
                return Some(max_length(max));
            }
            shape.min.filter(|&min| length < min).map(min_length)
        }
        (ShapeKind::Map { .. }, Value::Object(entries)) => {
            let length = i64::try_from(entries.len()).unwrap_or(i64::MAX);
            if let Some(max) = shape.max.filter(|&max| length > max) {
                return Some(max_length(max));
            }
            shape.min.filter(|&min| length < min).map(min_length)
        }
        _ => None,
    }
}

/// Every constraint of a scalar element shape, in AWS's order, as listed in
/// a list-element violation.
pub(crate) fn all_constraints(shape: &Shape, pattern: Option<&Pattern>) -> Vec<String> {
    let mut constraints = Vec::new();
    match shape.kind {
        ShapeKind::String => {
            constraints.extend(shape.max.map(max_length));
            constraints.extend(shape.min.map(min_length));
            constraints.extend(pattern.map(pattern_constraint));
            if shape.enum_values.is_some() {
                constraints.push(ENUM_CONSTRAINT.to_owned());
            }
        }
        ShapeKind::Integer | ShapeKind::Long | ShapeKind::Float => {
            constraints.extend(shape.max.map(max_value));
            constraints.extend(shape.min.map(min_value));
        }
        _ => {}
    }
    if NON_NULL_ELEMENT_SHAPES.contains(&shape.name.as_str()) {
        constraints.push(NOT_NULL.to_owned());
    }
    constraints
}

/// The constraint text of a list whose scalar elements do not all satisfy
/// `element`'s constraints, or `None` when they all do.
pub(crate) fn element_violation(
    element: &Shape,
    pattern: Option<&Pattern>,
    items: &[Value],
) -> Option<String> {
    if items
        .iter()
        .any(|item| first_failure(element, pattern, item).is_some())
    {
        Some(format!(
            "Member must satisfy constraint: [{}]",
            all_constraints(element, pattern).join(", ")
        ))
    } else {
        None
    }
}

/// How a value is echoed in an STS message: strings as they are, numbers
/// and booleans as text, lists of those as Java prints a list
/// (`[a, b]`); anything else is not echoed.
pub(crate) fn echo(value: &Value) -> Option<String> {
    match value {
        Value::String(text) => Some(text.clone()),
        Value::Number(number) => Some(number.to_string()),
        Value::Bool(flag) => Some(flag.to_string()),
        Value::Array(items) => {
            let texts: Option<Vec<String>> = items
                .iter()
                .map(|item| if item.is_array() { None } else { echo(item) })
                .collect();
            texts.map(|texts| format!("[{}]", texts.join(", ")))
        }
        _ => None,
    }
}

/// Java's `String.hashCode`.
fn java_hash(text: &str) -> u32 {
    text.encode_utf16().fold(0u32, |hash, unit| {
        hash.wrapping_mul(31).wrapping_add(u32::from(unit))
    })
}

/// Orders violations as a Java `HashMap<String, _>` keyed by path iterates:
/// by bucket of the spread hash in a table of 16 buckets doubled while more
/// than three quarters full, in insertion order within a bucket. A repeated
/// path keeps its first violation, as a map would keep one entry.
pub(crate) fn java_hash_map_order(violations: Vec<Violation>) -> Vec<Violation> {
    let mut unique: Vec<Violation> = Vec::with_capacity(violations.len());
    for violation in violations {
        if !unique.iter().any(|kept| kept.path == violation.path) {
            unique.push(violation);
        }
    }
    let mut capacity: usize = 16;
    while unique.len() > capacity / 4 * 3 {
        capacity = capacity.saturating_mul(2);
    }
    let mask = capacity.saturating_sub(1);
    unique.sort_by_key(|violation| {
        let hash = java_hash(&violation.path);
        usize::try_from(hash ^ (hash >> 16)).unwrap_or(0) & mask
    });
    unique
}

/// The `ValidationError` listing the violations, in AWS's order.
pub(crate) fn validation_error(violations: Vec<Violation>) -> ApiError {
    let ordered = java_hash_map_order(violations);
    let count = ordered.len();
    let noun = if count == 1 { "error" } else { "errors" };
    let details: Vec<String> = ordered.iter().map(Violation::message).collect();
    common_error(
        "ValidationError",
        format!("{count} validation {noun} detected: {}", details.join("; ")),
    )
}

#[cfg(test)]
mod tests {
    use super::{java_hash, java_hash_map_order, Shown, Violation};

    fn violation(path: &str) -> Violation {
        Violation {
            path: path.to_owned(),
            shown: Shown::Hidden,
            constraint: String::new(),
        }
    }

    #[test]
    fn java_string_hash_codes() {
        // Known values of Java's "".hashCode(), "a".hashCode(), "hello".hashCode().
        assert_eq!(java_hash(""), 0);
        assert_eq!(java_hash("a"), 97);
        assert_eq!(java_hash("hello") as i32, 99_162_322);
        assert_eq!(java_hash("polygenelubricants") as i32, i32::MIN);
    }

    #[test]
    fn orders_like_a_java_hash_map() {
        let ordered = java_hash_map_order(vec![
            violation("minimumPasswordLength"),
            violation("maxPasswordAge"),
            violation("passwordReusePrevention"),
        ]);
        let paths: Vec<_> = ordered.iter().map(|v| v.path.as_str()).collect();
        assert_eq!(
            paths,
            [
                "minimumPasswordLength",
                "passwordReusePrevention",
                "maxPasswordAge"
            ]
        );
    }
}
