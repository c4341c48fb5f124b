//! Amazon Resource Names: parsing into their parts, and the component-wise
//! matching that the `Arn…` condition operators use.
//!
//! `arn:partition:service:region:account-id:resource` — the resource part is
//! everything after the fifth colon and may itself contain colons and
//! slashes. The `Resource` element matches the ARN as one string (a `*`
//! spans `/` and `:`); `ArnLike`/`ArnEquals` instead match each of the six
//! components separately (reference_policies_elements_condition_operators,
//! "ARN condition operators").

use crate::pattern::{Case, Pattern, Resolve, Wildcards};

/// The partitions AWS defines.
pub const KNOWN_PARTITIONS: &[&str] = &[
    "aws",
    "aws-cn",
    "aws-us-gov",
    "aws-iso",
    "aws-iso-b",
    "aws-iso-e",
    "aws-iso-f",
    "aws-eusc",
];

/// An ARN split into its parts, borrowing the text.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Arn<'a> {
    /// `aws`, `aws-cn`, …
    pub partition: &'a str,
    /// The service namespace, e.g. `iam`, `s3`.
    pub service: &'a str,
    /// The region, empty for global services.
    pub region: &'a str,
    /// The 12-digit account id, empty for some services (S3 buckets).
    pub account: &'a str,
    /// Everything after the fifth colon.
    pub resource: &'a str,
}

impl<'a> Arn<'a> {
    /// Splits `text` into its six parts; `None` when it does not start with
    /// `arn:` or has fewer than six parts.
    pub fn parse(text: &'a str) -> Option<Arn<'a>> {
        let mut parts = text.splitn(6, ':');
        if parts.next()? != "arn" {
            return None;
        }
        Some(Arn {
            partition: parts.next()?,
            service: parts.next()?,
            region: parts.next()?,
            account: parts.next()?,
            resource: parts.next()?,
        })
    }
}

/// True when `text` is a 12-digit AWS account id.
pub fn is_account_id(text: &str) -> bool {
    text.len() == 12 && text.bytes().all(|b| b.is_ascii_digit())
}

/// A compiled `ArnLike`/`ArnEquals` value: one pattern per component.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum ArnPattern {
    /// A lone `*`: any value matches.
    Anything,
    /// Six component patterns, `arn` first.
    Components(Box<[Pattern; 6]>),
    /// Not ARN-shaped: matches nothing.
    Never,
}

impl ArnPattern {
    pub(crate) fn parse(text: &str, variables: bool) -> ArnPattern {
        if text == "*" {
            return ArnPattern::Anything;
        }
        let parts = split_outside_variables(text, variables);
        let [a, b, c, d, e, f] = parts;
        match (a, b, c, d, e, f) {
            (Some(a), Some(b), Some(c), Some(d), Some(e), Some(f)) => {
                let p = |s: &str| Pattern::parse(s, Wildcards::Glob, variables);
                ArnPattern::Components(Box::new([p(a), p(b), p(c), p(d), p(e), p(f)]))
            }
            _ => ArnPattern::Never,
        }
    }

    /// Matches `value`, component by component. A component with a
    /// variable the request has no value for matches nothing, so neither
    /// does the whole pattern.
    pub(crate) fn matches<R: Resolve + ?Sized>(&self, value: &str, resolver: &R) -> bool {
        match self {
            ArnPattern::Anything => true,
            ArnPattern::Never => false,
            ArnPattern::Components(patterns) => {
                let mut parts = value.splitn(6, ':');
                patterns.iter().all(|pattern| {
                    parts
                        .next()
                        .is_some_and(|part| pattern.matches(part, Case::Sensitive, resolver))
                })
            }
        }
    }
}

/// Splits at the first five colons that are not inside a `${…}`.
fn split_outside_variables(text: &str, variables: bool) -> [Option<&str>; 6] {
    let mut out: [Option<&str>; 6] = [None; 6];
    let mut start = 0;
    let mut index = 0;
    let mut in_variable = false;
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() && index < 5 {
        let b = bytes.get(i).copied().unwrap_or(0);
        if variables && b == b'$' && bytes.get(i + 1) == Some(&b'{') {
            in_variable = true;
        } else if b == b'}' {
            in_variable = false;
        } else if b == b':' && !in_variable {
            if let Some(slot) = out.get_mut(index) {
                *slot = text.get(start..i);
            }
            index += 1;
            start = i + 1;
        }
        i += 1;
    }
    if index == 5 {
        if let Some(slot) = out.get_mut(5) {
            *slot = text.get(start..);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    struct NoVars;
    impl Resolve for NoVars {
        fn resolve(&self, _: &str) -> Option<&str> {
            None
        }
    }

    #[test]
    fn parses_resource_with_colons() {
        let arn = Arn::parse("arn:aws:sqs:us-east-2:123456789012:queue:with:colons").unwrap();
        assert_eq!(arn.resource, "queue:with:colons");
        assert_eq!(arn.account, "123456789012");
        assert!(Arn::parse("arn:aws:s3").is_none());
        assert!(Arn::parse("urn:aws:s3:::b").is_none());
    }

    // reference_policies_elements_condition_operators, ARN operators: the
    // documented example where StringLike matches but ArnLike does not.
    #[test]
    fn arn_like_matches_component_by_component() {
        let pattern = ArnPattern::parse("arn:aws:someservice:*:111122223333:finance/*", true);
        let value = "arn:aws:someservice:us-east-2:999999999999:store/abc:111122223333:finance/document.txt";
        assert!(!pattern.matches(value, &NoVars));
        let ok = "arn:aws:someservice:us-east-2:111122223333:finance/document.txt";
        assert!(pattern.matches(ok, &NoVars));
    }
}
