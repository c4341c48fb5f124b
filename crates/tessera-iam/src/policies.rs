//! Policy documents as the domain stores and enforces them: validation on
//! write (IAM's `MalformedPolicyDocument` and size quotas), and compilation
//! into the snapshot.

use std::sync::Arc;

use tessera_policy::{
    CompiledPolicy, PolicyKind, PolicyStorage, ValidationConfig, ValidationReport,
};

use crate::IamError;

/// The validation settings for one inline policy of a user. The size quota
/// covers all of a user's inline policies together, so the per-document
/// check is off here; [`crate::ops`] sums the user's policies against
/// [`crate::quotas::Quotas`].
pub fn inline_user_config() -> ValidationConfig {
    let mut config = ValidationConfig::for_kind(PolicyKind::Identity);
    config.storage = PolicyStorage::InlineUser;
    config.limits.inline_user = usize::MAX;
    config
}

/// The `MalformedPolicyDocument` error for a report with errors: IAM's own
/// sentence first, so clients that match on it keep working, then where the
/// problem is and what is wrong.
pub fn malformed(report: &ValidationReport) -> IamError {
    let aws = report
        .aws_error_message()
        .unwrap_or_else(|| tessera_policy::SYNTAX_ERRORS.to_string());
    let detail = match report.errors().next() {
        Some(d) if d.path.is_empty() => format!(" ({}: {})", d.position, d.message),
        Some(d) => format!(" ({}, at {}: {})", d.position, d.path, d.message),
        None => String::new(),
    };
    IamError::new("MalformedPolicyDocument", format!("{aws}{detail}"))
}

/// Checks a document about to be stored as an inline user policy.
pub fn check_inline_user_policy(document: &str) -> Result<(), IamError> {
    let report = tessera_policy::validate(document, &inline_user_config());
    if report.has_errors() {
        return Err(malformed(&report));
    }
    Ok(())
}

/// The policies of one principal, compiled for the snapshot.
#[derive(Debug, Default)]
pub struct CompiledPolicies {
    /// The identity policies, in name order.
    pub identity: Vec<Arc<CompiledPolicy>>,
    /// True when a stored policy failed to compile. Such a principal is
    /// denied everything: a policy that cannot be read might have been a
    /// Deny, and an error must never turn into an allow.
    pub unreadable: bool,
}

/// Compiles a principal's inline policies (name, document).
pub fn compile_inline<'a>(
    policies: impl Iterator<Item = (&'a String, &'a String)>,
) -> CompiledPolicies {
    let config = inline_user_config();
    let mut compiled = CompiledPolicies::default();
    for (name, document) in policies {
        match CompiledPolicy::compile(name, document, &config) {
            Ok(policy) => compiled.identity.push(Arc::new(policy)),
            Err(error) => {
                tracing::error!(policy = %name, %error, "stored policy does not compile; its principal is denied everything");
                compiled.unreadable = true;
            }
        }
    }
    compiled
}

/// A policy document as IAM returns it: URL-encoded (RFC 3986).
pub fn url_encode_document(document: &str) -> String {
    use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
    const ENCODE: &AsciiSet = &NON_ALPHANUMERIC
        .remove(b'-')
        .remove(b'_')
        .remove(b'.')
        .remove(b'~');
    utf8_percent_encode(document, ENCODE).to_string()
}
