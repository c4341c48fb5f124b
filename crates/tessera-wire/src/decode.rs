//! Decoding a Query request's parameters into a JSON value that follows the
//! operation's input shape, checking the model's constraints on the way.
//!
//! Encoding rules (botocore's `QuerySerializer` is the reference for what
//! clients send):
//!
//! - structure members are `Name` (or their `locationName`), nested
//!   structures `Outer.Inner`;
//! - lists are `Name.member.N` (`N` from 1; the list member's `locationName`
//!   replaces `member`), flattened lists `Name.N`; an empty list is sent as
//!   `Name=` and decodes to `[]`;
//! - maps are `Name.entry.N.key` / `Name.entry.N.value` (with the key's and
//!   value's `locationName`s), flattened maps `Name.N.key`;
//! - integers become JSON numbers, booleans JSON booleans (`true`/`false`,
//!   in any case), timestamps RFC 3339 text in UTC, blobs the base64 text as
//!   sent.
//!
//! Parameters the input shape does not define (`Action`, `Version`, signing
//! parameters, unknown names) are ignored. A value that cannot be read as
//! its type (`MaxItems=ten`) is an `InvalidParameterValue` error at once;
//! constraint failures are collected and reported together as one
//! `ValidationError` (see the `validate` module).

use serde_json::{Map, Number, Value};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

use crate::errors::{common_error, ApiError};
use crate::model::{ServiceModel, ShapeKind, ShapeRef};
use crate::query::ParamTree;
use crate::validate::{self, Shown, Violation, NOT_NULL};

/// Where a value sits: its query name (for type errors) and its AWS
/// validation path (for constraint messages).
#[derive(Clone)]
struct Location {
    wire: String,
    validation: String,
}

impl Location {
    fn root() -> Location {
        Location {
            wire: String::new(),
            validation: String::new(),
        }
    }

    fn join(left: &str, right: &str) -> String {
        if left.is_empty() {
            right.to_owned()
        } else {
            format!("{left}.{right}")
        }
    }
}

struct Decoder<'m> {
    model: &'m ServiceModel,
    violations: Vec<Violation>,
}

fn invalid_value(location: &Location, raw: &str, expected: &str) -> ApiError {
    common_error(
        "InvalidParameterValue",
        format!(
            "Value '{raw}' for parameter {} is invalid. Expected {expected}.",
            location.wire
        ),
    )
}

/// Parses a Query timestamp: ISO 8601 / RFC 3339 text (botocore sends
/// `2024-05-01T12:34:56Z`, with microseconds when it has them) or epoch
/// seconds. Returns RFC 3339 text in UTC.
fn parse_timestamp(raw: &str) -> Option<String> {
    let parsed = match OffsetDateTime::parse(raw, &Rfc3339) {
        Ok(parsed) => parsed,
        Err(_) => {
            let seconds: f64 = raw.parse().ok().filter(|s: &f64| s.is_finite())?;
            let nanos = (seconds * 1e9).round();
            if nanos.abs() > 1e28 {
                return None;
            }
            OffsetDateTime::from_unix_timestamp_nanos(nanos as i128).ok()?
        }
    };
    parsed.to_offset(time::UtcOffset::UTC).format(&Rfc3339).ok()
}

impl Decoder<'_> {
    /// Decodes a structure's members from `node`.
    fn structure(
        &mut self,
        shape_ref: &ShapeRef,
        node: &ParamTree<'_>,
        at: &Location,
    ) -> Result<Value, ApiError> {
        let model = self.model;
        let Some(ShapeKind::Structure { members }) = model.shape(shape_ref.shape).map(|s| &s.kind)
        else {
            return Ok(Value::Object(Map::new()));
        };
        let mut object = Map::new();
        for member in members {
            let child = node.child(member.wire_name());
            // An optional member not sent needs no location: most of an
            // input's members are usually absent.
            if child.is_none() && !member.required {
                continue;
            }
            let location = Location {
                wire: Location::join(&at.wire, member.wire_name()),
                validation: Location::join(&at.validation, &member.validation_name),
            };
            let decoded = match child {
                Some(child) => self.value(&member.target, child, &location)?,
                None => None,
            };
            match decoded {
                Some(value) => {
                    object.insert(member.name.clone(), value);
                }
                None if member.required => self.violations.push(Violation {
                    path: location.validation,
                    shown: Shown::Null,
                    constraint: NOT_NULL.to_owned(),
                }),
                None => {}
            }
        }
        Ok(Value::Object(object))
    }

    /// Decodes the value at `node` (`None` when nothing was sent for it) and
    /// records its constraint violations.
    fn value(
        &mut self,
        target: &ShapeRef,
        node: &ParamTree<'_>,
        at: &Location,
    ) -> Result<Option<Value>, ApiError> {
        let model = self.model;
        let Some(shape) = model.shape(target.shape) else {
            return Ok(None);
        };
        let decoded = match &shape.kind {
            ShapeKind::Structure { .. } => {
                if node.children.is_empty() {
                    // `Name=` for a structure: present and empty.
                    node.value.map(|_| Value::Object(Map::new()))
                } else {
                    Some(self.structure(target, node, at)?)
                }
            }
            ShapeKind::List { member } => {
                let flattened = shape.flattened || target.flattened || member.flattened;
                let container = if flattened {
                    Some(node)
                } else {
                    node.child(member.location_name.as_deref().unwrap_or("member"))
                };
                let entries = container
                    .map(ParamTree::indexed_children)
                    .transpose()?
                    .unwrap_or_default();
                if entries.is_empty() {
                    // An empty list is sent as `Name=`.
                    node.value
                        .filter(|v| v.is_empty())
                        .map(|_| Value::Array(Vec::new()))
                } else {
                    let mut items = Vec::with_capacity(entries.len());
                    for (position, (index, entry)) in entries.iter().enumerate() {
                        let element_at = Location {
                            wire: if flattened {
                                format!("{}.{index}", at.wire)
                            } else {
                                format!(
                                    "{}.{}.{index}",
                                    at.wire,
                                    member.location_name.as_deref().unwrap_or("member")
                                )
                            },
                            validation: format!("{}.{}.member", at.validation, position + 1),
                        };
                        if let Some(item) = self.element(member, entry, &element_at)? {
                            items.push(item);
                        }
                    }
                    Some(Value::Array(items))
                }
            }
            ShapeKind::Map { key, value } => {
                let flattened = shape.flattened || target.flattened;
                let container = if flattened {
                    Some(node)
                } else {
                    node.child("entry")
                };
                let entries = container
                    .map(ParamTree::indexed_children)
                    .transpose()?
                    .unwrap_or_default();
                if entries.is_empty() {
                    node.value
                        .filter(|v| v.is_empty())
                        .map(|_| Value::Object(Map::new()))
                } else {
                    let key_name = key.location_name.as_deref().unwrap_or("key");
                    let value_name = value.location_name.as_deref().unwrap_or("value");
                    let mut object = Map::new();
                    for (position, (index, entry)) in entries.iter().enumerate() {
                        let Some(map_key) = entry.child(key_name).and_then(|k| k.value) else {
                            continue;
                        };
                        let prefix = if flattened {
                            at.wire.clone()
                        } else {
                            format!("{}.entry", at.wire)
                        };
                        let value_at = Location {
                            wire: format!("{prefix}.{index}.{value_name}"),
                            validation: format!("{}.{}.member.value", at.validation, position + 1),
                        };
                        let decoded = match entry.child(value_name) {
                            Some(value_node) => self.value(value, value_node, &value_at)?,
                            None => None,
                        };
                        object.insert(map_key.to_owned(), decoded.unwrap_or(Value::Null));
                    }
                    Some(Value::Object(object))
                }
            }
            _ => match node.value {
                Some(raw) => Some(self.scalar(&shape.kind, raw, at)?),
                None => None,
            },
        };
        if let Some(value) = &decoded {
            self.check(target, value, at);
        }
        Ok(decoded)
    }

    /// Decodes one list element. Elements that are structures are checked
    /// member by member at `tags.N.member.key`; scalar elements are checked
    /// together by the list (see [`validate::element_violation`]).
    fn element(
        &mut self,
        member: &ShapeRef,
        entry: &ParamTree<'_>,
        at: &Location,
    ) -> Result<Option<Value>, ApiError> {
        let model = self.model;
        let Some(shape) = model.shape(member.shape) else {
            return Ok(None);
        };
        if validate::is_scalar(shape) {
            return match entry.value {
                Some(raw) => Ok(Some(self.scalar(&shape.kind, raw, at)?)),
                None => Ok(None),
            };
        }
        match self.value(member, entry, at)? {
            Some(value) => Ok(Some(value)),
            // An element named but empty (`Tags.member.1.Foo=x` with no known
            // member) is an empty structure, so its required members are
            // reported.
            None if matches!(shape.kind, ShapeKind::Structure { .. }) => {
                Ok(Some(self.structure(member, entry, at)?))
            }
            None => Ok(None),
        }
    }

    fn scalar(&mut self, kind: &ShapeKind, raw: &str, at: &Location) -> Result<Value, ApiError> {
        Ok(match kind {
            ShapeKind::String | ShapeKind::Blob => Value::String(raw.to_owned()),
            ShapeKind::Integer => Value::from(
                raw.parse::<i32>()
                    .map_err(|_| invalid_value(at, raw, "an integer"))?,
            ),
            ShapeKind::Long => Value::from(
                raw.parse::<i64>()
                    .map_err(|_| invalid_value(at, raw, "an integer"))?,
            ),
            ShapeKind::Float => {
                let number = raw.parse::<f64>().ok().and_then(Number::from_f64);
                Value::Number(number.ok_or_else(|| invalid_value(at, raw, "a number"))?)
            }
            ShapeKind::Boolean => {
                if raw.eq_ignore_ascii_case("true") {
                    Value::Bool(true)
                } else if raw.eq_ignore_ascii_case("false") {
                    Value::Bool(false)
                } else {
                    return Err(invalid_value(at, raw, "true or false"));
                }
            }
            ShapeKind::Timestamp => Value::String(
                parse_timestamp(raw)
                    .ok_or_else(|| invalid_value(at, raw, "an ISO 8601 timestamp"))?,
            ),
            ShapeKind::Structure { .. } | ShapeKind::List { .. } | ShapeKind::Map { .. } => {
                Value::Null
            }
        })
    }

    /// Records the violation of `value`'s own constraints, if any.
    fn check(&mut self, target: &ShapeRef, value: &Value, at: &Location) {
        let model = self.model;
        let Some(shape) = model.shape(target.shape) else {
            return;
        };
        let pattern = shape.pattern.and_then(|id| model.pattern(id));
        let mut constraint = validate::first_failure(shape, pattern, value);
        if constraint.is_none() {
            if let (ShapeKind::List { member }, Value::Array(items)) = (&shape.kind, value) {
                if let Some(element) = model.shape(member.shape).filter(|s| validate::is_scalar(s))
                {
                    let element_pattern = element.pattern.and_then(|id| model.pattern(id));
                    constraint = validate::element_violation(element, element_pattern, items);
                }
            }
        }
        if let Some(constraint) = constraint {
            let shown = if model.style.echo_values && !shape.sensitive {
                validate::echo(value).map_or(Shown::Hidden, Shown::Echoed)
            } else {
                Shown::Hidden
            };
            self.violations.push(Violation {
                path: at.validation.clone(),
                shown,
                constraint,
            });
        }
    }
}

/// The Query protocol's own parameters, which name the operation.
const PROTOCOL_NAMES: [&str; 2] = ["Action", "Version"];

impl ServiceModel {
    /// Decodes the Query parameters of `operation` (already form-decoded
    /// pairs; `Action`, `Version` and names the input shape does not define
    /// are ignored) into a JSON object keyed by the input shape's member
    /// names, e.g. `{"UserName": "bob", "Tags": [{"Key": "a", "Value": "b"}]}`,
    /// and checks the model's constraints: required members, string length
    /// and pattern, enums, integer range, list length.
    ///
    /// An operation without an input shape decodes to `{}`. An operation
    /// the model does not define is an `InvalidAction` error.
    pub fn decode_input<K: AsRef<str>, V: AsRef<str>>(
        &self,
        operation: &str,
        params: &[(K, V)],
    ) -> Result<Value, ApiError> {
        let op = self
            .operation(operation)
            .ok_or_else(|| self.invalid_action(operation))?;
        let Some(input) = op.input else {
            return Ok(Value::Object(Map::new()));
        };
        let members = match self.shape(input).map(|shape| &shape.kind) {
            Some(ShapeKind::Structure { members }) => members.as_slice(),
            _ => &[],
        };
        // An input without members (`GetCallerIdentity`'s) reads no
        // parameter: no tree to build.
        if members.is_empty() {
            return Ok(Value::Object(Map::new()));
        }
        // `Action` and `Version` name the operation; an input that has no
        // member of those names never reads them, so they stay out of the
        // tree (two of a typical request's few parameters).
        let reads_protocol_names = members
            .iter()
            .any(|member| PROTOCOL_NAMES.contains(&member.wire_name()));
        let skipped: &[&str] = if reads_protocol_names {
            &[]
        } else {
            &PROTOCOL_NAMES
        };
        let tree = ParamTree::build(params, skipped);
        let mut decoder = Decoder {
            model: self,
            violations: Vec::new(),
        };
        let root = ShapeRef {
            shape: input,
            location_name: None,
            flattened: false,
        };
        let value = decoder.structure(&root, &tree, &Location::root())?;
        if decoder.violations.is_empty() {
            Ok(value)
        } else {
            Err(validate::validation_error(decoder.violations))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::parse_timestamp;

    #[test]
    fn timestamps_become_rfc3339_utc() {
        assert_eq!(
            parse_timestamp("2024-05-01T12:34:56Z").as_deref(),
            Some("2024-05-01T12:34:56Z")
        );
        assert_eq!(
            parse_timestamp("2024-05-01T14:34:56.250+02:00").as_deref(),
            Some("2024-05-01T12:34:56.25Z")
        );
        assert_eq!(
            parse_timestamp("1714566896").as_deref(),
            Some("2024-05-01T12:34:56Z")
        );
        assert_eq!(parse_timestamp("yesterday"), None);
        assert_eq!(parse_timestamp("1e300"), None);
    }
}
