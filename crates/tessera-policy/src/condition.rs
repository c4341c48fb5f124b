//! Condition operators and their evaluation.
//!
//! The rules, from reference_policies_elements_condition_operators and
//! reference_policies_condition-single-vs-multi-valued-context-keys:
//!
//! - operator blocks AND together, keys within a block AND, the values of
//!   one key OR;
//! - a key absent from the request makes a positive operator false and a
//!   negated one (`StringNotEquals`, `NotIpAddress`, …) true;
//! - a negated operator holds when *no* policy value matches;
//! - `…IfExists` holds when the key is absent;
//! - `Null: true` holds when the key is absent (an empty set counts as
//!   absent), `Null: false` when it is present;
//! - `ForAllValues:` holds when every request value satisfies the operator,
//!   and on an absent key or an empty set; `ForAnyValue:` holds when at least
//!   one does, and not on an absent key or empty set;
//! - without a set qualifier, a multivalued request key satisfies a positive
//!   operator when any of its values matches, and a negated one when none
//!   does;
//! - a policy value whose variable has no value in the request (the key is
//!   absent, multivalued, and no default is given) is null, "There is no
//!   equal or like value" (reference_policies_variables, "Policy variables
//!   with no value"): it matches no request value. A positive operator
//!   (`StringEquals`, `StringLike`, `ArnLike`, `Bool`, …) therefore does not
//!   hold through it, and a negated one (`StringNotEquals`, `StringNotLike`,
//!   `ArnNotLike`, …) does: "Inverted condition operators like
//!   StringNotEquals or StringNotLike do match against a null value". The
//!   key's other values, the absent-key rule, `…IfExists` and the set
//!   qualifiers apply unchanged. Variables appear only in String, Arn and
//!   Bool values; validation refuses them elsewhere.
//!
//! The same rules as a table, per operator family. "Null value" is a policy
//! value whose variable has no value; the key's other policy values still
//! OR with it.
//!
//! | Operator                                   | key absent (or empty set) | key present, policy value null        |
//! |--------------------------------------------|---------------------------|---------------------------------------|
//! | `StringEquals`, `…IgnoreCase`, `StringLike` | false                     | that value matches nothing: false     |
//! | `ArnEquals`, `ArnLike`                      | false                     | that value matches nothing: false     |
//! | `Bool` (no negated form)                    | false                     | that value matches nothing: false     |
//! | `StringNot…`, `ArnNot…`                     | true                      | no value matches: true                |
//! | any of the above `…IfExists`                | true                      | as without `IfExists`                 |
//! | `ForAllValues:` + any of the above          | true                      | every request value tested as above   |
//! | `ForAnyValue:` + any of the above           | false                     | some request value tested as above    |
//! | `Null`                                      | `true` holds              | variables refused by validation       |
//! | Numeric, Date, `BinaryEquals`, IP address   | positive false, `Not…` true | variables refused by validation     |
//!
//! Sources: reference_policies_variables ("Policy variables with no value",
//! "Where you can use policy variables"), reference_policies_elements_condition_operators
//! (the absent-key rule, `…IfExists`, `Null`, ARN and Boolean operators) and
//! reference_policies_condition-single-vs-multi-valued-context-keys (the set
//! qualifiers on an absent key or empty set).

use crate::arn::ArnPattern;
use crate::compiled::Few;
use crate::pattern::{Case, Pattern, Wildcards};
use crate::request::{ContextValue, Request};
use crate::values::{is_base64, parse_bool, parse_date, parse_number, Cidr, Instant};

/// The comparison an operator makes, before negation and qualifiers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OperatorKind {
    /// `StringEquals` / `StringNotEquals`.
    StringEquals,
    /// `StringEqualsIgnoreCase` / `StringNotEqualsIgnoreCase`.
    StringEqualsIgnoreCase,
    /// `StringLike` / `StringNotLike`.
    StringLike,
    /// `NumericEquals` / `NumericNotEquals`.
    NumericEquals,
    /// `NumericLessThan`.
    NumericLessThan,
    /// `NumericLessThanEquals`.
    NumericLessThanEquals,
    /// `NumericGreaterThan`.
    NumericGreaterThan,
    /// `NumericGreaterThanEquals`.
    NumericGreaterThanEquals,
    /// `DateEquals` / `DateNotEquals`.
    DateEquals,
    /// `DateLessThan`.
    DateLessThan,
    /// `DateLessThanEquals`.
    DateLessThanEquals,
    /// `DateGreaterThan`.
    DateGreaterThan,
    /// `DateGreaterThanEquals`.
    DateGreaterThanEquals,
    /// `Bool`.
    Bool,
    /// `BinaryEquals`.
    BinaryEquals,
    /// `IpAddress` / `NotIpAddress`.
    IpAddress,
    /// `ArnEquals`, `ArnLike` / `ArnNotEquals`, `ArnNotLike` (identical pairs).
    ArnLike,
    /// `Null`.
    Null,
}

/// `ForAllValues:` or `ForAnyValue:`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SetQualifier {
    /// `ForAllValues:`.
    ForAllValues,
    /// `ForAnyValue:`.
    ForAnyValue,
}

/// A parsed condition operator such as `ForAnyValue:StringNotLikeIfExists`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Operator {
    /// The comparison.
    pub kind: OperatorKind,
    /// The `Not` form: holds when no policy value matches.
    pub negated: bool,
    /// The `…IfExists` form.
    pub if_exists: bool,
    /// The set qualifier, if any.
    pub set: Option<SetQualifier>,
}

const BASE_OPERATORS: &[(&str, OperatorKind, bool)] = &[
    ("StringEquals", OperatorKind::StringEquals, false),
    ("StringNotEquals", OperatorKind::StringEquals, true),
    (
        "StringEqualsIgnoreCase",
        OperatorKind::StringEqualsIgnoreCase,
        false,
    ),
    (
        "StringNotEqualsIgnoreCase",
        OperatorKind::StringEqualsIgnoreCase,
        true,
    ),
    ("StringLike", OperatorKind::StringLike, false),
    ("StringNotLike", OperatorKind::StringLike, true),
    ("NumericEquals", OperatorKind::NumericEquals, false),
    ("NumericNotEquals", OperatorKind::NumericEquals, true),
    ("NumericLessThan", OperatorKind::NumericLessThan, false),
    (
        "NumericLessThanEquals",
        OperatorKind::NumericLessThanEquals,
        false,
    ),
    (
        "NumericGreaterThan",
        OperatorKind::NumericGreaterThan,
        false,
    ),
    (
        "NumericGreaterThanEquals",
        OperatorKind::NumericGreaterThanEquals,
        false,
    ),
    ("DateEquals", OperatorKind::DateEquals, false),
    ("DateNotEquals", OperatorKind::DateEquals, true),
    ("DateLessThan", OperatorKind::DateLessThan, false),
    (
        "DateLessThanEquals",
        OperatorKind::DateLessThanEquals,
        false,
    ),
    ("DateGreaterThan", OperatorKind::DateGreaterThan, false),
    (
        "DateGreaterThanEquals",
        OperatorKind::DateGreaterThanEquals,
        false,
    ),
    ("Bool", OperatorKind::Bool, false),
    ("BinaryEquals", OperatorKind::BinaryEquals, false),
    ("IpAddress", OperatorKind::IpAddress, false),
    ("NotIpAddress", OperatorKind::IpAddress, true),
    ("ArnEquals", OperatorKind::ArnLike, false),
    ("ArnLike", OperatorKind::ArnLike, false),
    ("ArnNotEquals", OperatorKind::ArnLike, true),
    ("ArnNotLike", OperatorKind::ArnLike, true),
    ("Null", OperatorKind::Null, false),
];

impl Operator {
    /// Parses an operator name; `None` when it is not one IAM knows.
    /// Operator names are case-sensitive, as IAM reads them.
    pub fn parse(name: &str) -> Option<Operator> {
        let (set, rest) = if let Some(rest) = name.strip_prefix("ForAllValues:") {
            (Some(SetQualifier::ForAllValues), rest)
        } else if let Some(rest) = name.strip_prefix("ForAnyValue:") {
            (Some(SetQualifier::ForAnyValue), rest)
        } else {
            (None, name)
        };
        let (if_exists, base) = match rest.strip_suffix("IfExists") {
            Some(base) => (true, base),
            None => (false, rest),
        };
        let &(_, kind, negated) = BASE_OPERATORS.iter().find(|(n, _, _)| *n == base)?;
        if kind == OperatorKind::Null && (if_exists || set.is_some()) {
            return None;
        }
        Some(Operator {
            kind,
            negated,
            if_exists,
            set,
        })
    }

    /// Whether policy variables may appear in this operator's values
    /// (reference_policies_variables: string and ARN operators, and Bool).
    pub fn accepts_variables(&self) -> bool {
        matches!(
            self.kind,
            OperatorKind::StringEquals
                | OperatorKind::StringEqualsIgnoreCase
                | OperatorKind::StringLike
                | OperatorKind::ArnLike
                | OperatorKind::Bool
        )
    }
}

/// Why a condition value was refused at compile time.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum ValueError {
    Number,
    Date,
    Ip,
    Bool,
    Base64,
    Null,
}

impl ValueError {
    pub(crate) fn expected(&self) -> &'static str {
        match self {
            ValueError::Number => "a number such as `10` or `2.5`",
            ValueError::Date => "an ISO 8601 date such as `2024-01-31T12:00:00Z` or epoch seconds",
            ValueError::Ip => {
                "an IP address or CIDR range such as `203.0.113.0/24` or `2001:db8::/32`"
            }
            ValueError::Bool => "`true` or `false`",
            ValueError::Base64 => "base64-encoded bytes",
            ValueError::Null => "`true` (the key is absent) or `false` (the key is present)",
        }
    }
}

/// The pre-parsed values of one condition key. Up to two are held inline
/// ([`Few`]), so a test reads no other memory for them: across a large
/// population the policies are seldom in cache and each pointer followed
/// is a likely cache miss. ARN patterns, which are large, stay boxed.
#[derive(Clone, Debug)]
pub(crate) enum Values {
    Strings(Few<Pattern>),
    Numbers(Few<f64>),
    Dates(Few<Instant>),
    Bools(Few<Pattern>),
    Binary(Few<Box<str>>),
    Cidrs(Few<Cidr>),
    Arns(Box<[ArnPattern]>),
    Null(Few<bool>),
}

/// One compiled `operator: { key: values }` test.
#[derive(Clone, Debug)]
pub(crate) struct ConditionTest {
    pub(crate) operator: Operator,
    /// The operator as written, for explanations.
    pub(crate) operator_name: Box<str>,
    /// The key as written, for explanations.
    pub(crate) key: Box<str>,
    /// The key lowercased, for lookup.
    pub(crate) key_lower: Box<str>,
    pub(crate) values: Values,
}

impl ConditionTest {
    pub(crate) fn compile(
        operator_name: &str,
        operator: Operator,
        key: &str,
        raw: &[String],
        variables: bool,
    ) -> Result<ConditionTest, (usize, ValueError)> {
        let values = match operator.kind {
            OperatorKind::StringEquals | OperatorKind::StringEqualsIgnoreCase => Values::Strings(
                raw.iter()
                    .map(|v| Pattern::parse(v, Wildcards::Literal, variables))
                    .collect(),
            ),
            OperatorKind::StringLike => Values::Strings(
                raw.iter()
                    .map(|v| Pattern::parse(v, Wildcards::Glob, variables))
                    .collect(),
            ),
            OperatorKind::NumericEquals
            | OperatorKind::NumericLessThan
            | OperatorKind::NumericLessThanEquals
            | OperatorKind::NumericGreaterThan
            | OperatorKind::NumericGreaterThanEquals => {
                let mut out = Vec::with_capacity(raw.len());
                for (i, v) in raw.iter().enumerate() {
                    out.push(parse_number(v).ok_or((i, ValueError::Number))?);
                }
                Values::Numbers(Few::from_vec(out))
            }
            OperatorKind::DateEquals
            | OperatorKind::DateLessThan
            | OperatorKind::DateLessThanEquals
            | OperatorKind::DateGreaterThan
            | OperatorKind::DateGreaterThanEquals => {
                let mut out = Vec::with_capacity(raw.len());
                for (i, v) in raw.iter().enumerate() {
                    out.push(parse_date(v).ok_or((i, ValueError::Date))?);
                }
                Values::Dates(Few::from_vec(out))
            }
            OperatorKind::Bool => {
                let mut out = Vec::with_capacity(raw.len());
                for (i, v) in raw.iter().enumerate() {
                    let pattern = Pattern::parse(v, Wildcards::Literal, variables);
                    if !pattern.has_variables() && parse_bool(v).is_none() {
                        return Err((i, ValueError::Bool));
                    }
                    out.push(pattern);
                }
                Values::Bools(Few::from_vec(out))
            }
            OperatorKind::BinaryEquals => {
                if let Some(i) = raw.iter().position(|v| !is_base64(v)) {
                    return Err((i, ValueError::Base64));
                }
                Values::Binary(raw.iter().map(|v| v.as_str().into()).collect())
            }
            OperatorKind::IpAddress => {
                let mut out = Vec::with_capacity(raw.len());
                for (i, v) in raw.iter().enumerate() {
                    out.push(Cidr::parse(v).ok_or((i, ValueError::Ip))?);
                }
                Values::Cidrs(Few::from_vec(out))
            }
            OperatorKind::ArnLike => Values::Arns(
                raw.iter()
                    .map(|v| ArnPattern::parse(v, variables))
                    .collect(),
            ),
            OperatorKind::Null => {
                let mut out = Vec::with_capacity(raw.len());
                for (i, v) in raw.iter().enumerate() {
                    out.push(parse_bool(v).ok_or((i, ValueError::Null))?);
                }
                Values::Null(Few::from_vec(out))
            }
        };
        Ok(ConditionTest {
            operator,
            operator_name: operator_name.into(),
            key: key.into(),
            key_lower: key.to_ascii_lowercase().into_boxed_str(),
            values,
        })
    }

    /// Evaluates the test against the request.
    pub(crate) fn holds(&self, request: &Request) -> bool {
        self.holds_with(request.context().get_lower(&self.key_lower), request)
    }

    /// Evaluates the test given `found`, the request's value of the
    /// test's key (looked up by the caller, who may share one lookup
    /// between every test of the same key).
    pub(crate) fn holds_with(&self, found: Option<&ContextValue>, request: &Request) -> bool {
        self.values.hold(self.operator, found, request)
    }
}

impl Values {
    /// Whether `operator` holds between these policy values and `found`,
    /// the request's value of the key.
    pub(crate) fn hold(
        &self,
        operator: Operator,
        found: Option<&ContextValue>,
        request: &Request,
    ) -> bool {
        let request_values: &[String] = match found {
            Some(ContextValue::Single(v)) => std::slice::from_ref(v),
            Some(ContextValue::Multi(vs)) => vs,
            None => &[],
        };
        let absent = found.is_none();
        if let Values::Null(expect_absent) = self {
            let is_null = absent || request_values.is_empty();
            return expect_absent.contains(&is_null);
        }
        if absent && operator.if_exists {
            return true;
        }
        let negated = operator.negated;
        match operator.set {
            Some(SetQualifier::ForAllValues) => request_values
                .iter()
                .all(|v| self.any_policy_value_matches(operator, v, request) != negated),
            Some(SetQualifier::ForAnyValue) => request_values
                .iter()
                .any(|v| self.any_policy_value_matches(operator, v, request) != negated),
            // A positive operator holds when some request value matches, a
            // negated one when none does; with nothing to compare (absent
            // key, empty set) positive operators fail and negated ones hold.
            None => {
                request_values
                    .iter()
                    .any(|v| self.any_policy_value_matches(operator, v, request))
                    != negated
            }
        }
    }

    /// Whether any policy value matches one request value. A value whose
    /// variable has no value in the request is null and matches nothing.
    fn any_policy_value_matches(&self, operator: Operator, value: &str, request: &Request) -> bool {
        match self {
            Values::Strings(patterns) => {
                let case = if operator.kind == OperatorKind::StringEqualsIgnoreCase {
                    Case::Insensitive
                } else {
                    Case::Sensitive
                };
                patterns.iter().any(|p| p.matches(value, case, request))
            }
            Values::Numbers(numbers) => {
                let Some(n) = parse_number(value) else {
                    return false;
                };
                numbers
                    .iter()
                    .any(|&p| compare(operator.kind, n.partial_cmp(&p)))
            }
            Values::Dates(dates) => {
                let Some(d) = parse_date(value) else {
                    return false;
                };
                dates
                    .iter()
                    .any(|&p| compare(operator.kind, Some(d.cmp(&p))))
            }
            Values::Bools(patterns) => {
                let Some(b) = parse_bool(value) else {
                    return false;
                };
                let wanted = if b { "true" } else { "false" };
                patterns
                    .iter()
                    .any(|p| p.matches(wanted, Case::Insensitive, request))
            }
            Values::Binary(encoded) => encoded.iter().any(|p| **p == *value),
            Values::Cidrs(ranges) => {
                let Some(ip) = Cidr::parse(value) else {
                    return false;
                };
                ranges.iter().any(|r| r.contains(&ip))
            }
            Values::Arns(arns) => arns.iter().any(|a| a.matches(value, request)),
            Values::Null(_) => false,
        }
    }
}

/// Applies a numeric or date comparison: request value `ordering` policy value.
fn compare(kind: OperatorKind, ordering: Option<std::cmp::Ordering>) -> bool {
    use std::cmp::Ordering::{Equal, Greater, Less};
    let Some(o) = ordering else {
        return false;
    };
    match kind {
        OperatorKind::NumericEquals | OperatorKind::DateEquals => o == Equal,
        OperatorKind::NumericLessThan | OperatorKind::DateLessThan => o == Less,
        OperatorKind::NumericLessThanEquals | OperatorKind::DateLessThanEquals => o != Greater,
        OperatorKind::NumericGreaterThan | OperatorKind::DateGreaterThan => o == Greater,
        OperatorKind::NumericGreaterThanEquals | OperatorKind::DateGreaterThanEquals => o != Less,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn operator_names_parse_with_qualifiers() {
        let op = Operator::parse("ForAnyValue:StringNotLikeIfExists").unwrap();
        assert_eq!(op.kind, OperatorKind::StringLike);
        assert!(op.negated && op.if_exists);
        assert_eq!(op.set, Some(SetQualifier::ForAnyValue));
        assert!(Operator::parse("NullIfExists").is_none());
        assert!(Operator::parse("stringequals").is_none());
        assert!(Operator::parse("ForAnyValue::StringEquals").is_none());
    }
}
