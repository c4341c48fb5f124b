//! Policy documents as the domain stores and enforces them: validation on
//! write (IAM's `MalformedPolicyDocument` and size quotas), and compilation
//! into the snapshot.

use std::sync::Arc;

use tessera_policy::{
    CompiledPolicy, PolicyKind, PolicyStorage, ValidationConfig, ValidationReport,
};

use crate::kind::EntityKind;
use crate::IamError;

/// The validation settings for one inline policy of a principal of `kind`.
/// The size quota covers all of a principal's inline policies together, so
/// the per-document check is off here; [`crate::ops`] sums them against
/// [`crate::quotas::Quotas`].
pub fn inline_config(kind: EntityKind) -> ValidationConfig {
    let mut config = ValidationConfig::for_kind(PolicyKind::Identity);
    config.storage = kind.inline_storage().unwrap_or(PolicyStorage::InlineUser);
    config.limits.inline_user = usize::MAX;
    config.limits.inline_group = usize::MAX;
    config.limits.inline_role = usize::MAX;
    config
}

/// The validation settings of a customer-managed policy version: IAM
/// requires `"Version": "2012-10-17"` there.
pub fn managed_config() -> ValidationConfig {
    let mut config = ValidationConfig::for_kind(PolicyKind::Identity);
    config.storage = PolicyStorage::Managed;
    config.require_current_version = true;
    config
}

/// The validation settings of a role trust policy.
pub fn trust_config() -> ValidationConfig {
    ValidationConfig::for_kind(PolicyKind::Trust)
}

/// The `MalformedPolicyDocument` error for a report with errors: IAM's own
/// sentence, exactly as IAM words it (clients and tests match on it). Where
/// the problem is and what is wrong is logged at debug level, and
/// `tessera policy validate` prints it with line and column.
pub fn malformed(report: &ValidationReport) -> IamError {
    let aws = report
        .aws_error_message()
        .unwrap_or_else(|| tessera_policy::SYNTAX_ERRORS.to_string());
    if let Some(d) = report.errors().next() {
        tracing::debug!(position = %d.position, path = %d.path, detail = %d.message, "policy document refused");
    }
    IamError::new("MalformedPolicyDocument", aws)
}

/// Checks a document against `config`. A document over its size quota is
/// IAM's `LimitExceeded`; any other error `MalformedPolicyDocument`.
pub fn check(document: &str, config: &ValidationConfig) -> Result<(), IamError> {
    let report = tessera_policy::validate(document, config);
    if report.is_size_error() {
        let message = report
            .aws_error_message()
            .unwrap_or_else(|| tessera_policy::SYNTAX_ERRORS.to_string());
        return Err(IamError::new("LimitExceeded", message));
    }
    if report.has_errors() {
        return Err(malformed(&report));
    }
    Ok(())
}

/// How much whitespace a stored document may carry: this many whitespace
/// characters per counted (non-whitespace) one, plus [`WHITESPACE_ALLOWANCE`].
///
/// IAM keeps a document as it was sent, indentation and all, and returns it
/// so; its quotas count only the non-whitespace characters, though, while
/// any document may be 131,072 characters long. Kept verbatim without a
/// bound, whitespace would let one principal store megabytes under a
/// 2,048-character quota. Pretty-printed documents carry well under one
/// whitespace character per counted one, so this bound refuses padding
/// only, and keeps what is stored within a small multiple of what is
/// counted.
pub const WHITESPACE_PER_COUNTED_CHARACTER: usize = 4;

/// The whitespace every stored document may carry beyond its proportional
/// share, so that short documents may be laid out freely.
pub const WHITESPACE_ALLOWANCE: usize = 1024;

/// Refuses a document to be stored whose whitespace is out of proportion to
/// its counted characters (see [`WHITESPACE_PER_COUNTED_CHARACTER`]).
fn check_whitespace(document: &str) -> Result<(), IamError> {
    let counted = tessera_policy::policy_size(document);
    let whitespace = document.chars().count() - counted;
    let allowed = counted
        .saturating_mul(WHITESPACE_PER_COUNTED_CHARACTER)
        .saturating_add(WHITESPACE_ALLOWANCE);
    if whitespace > allowed {
        return Err(IamError::new(
            "MalformedPolicyDocument",
            format!(
                "The policy document has {whitespace} whitespace characters; a document with \
                 {counted} other characters may have at most {allowed}."
            ),
        ));
    }
    Ok(())
}

/// Checks a document about to be stored (an inline policy, a managed
/// policy version, a trust policy): [`check`] first, so that what IAM
/// refuses is refused in IAM's words, then a bound on its whitespace so
/// that the stored size follows the counted size.
pub fn check_stored(document: &str, config: &ValidationConfig) -> Result<(), IamError> {
    check(document, config)?;
    check_whitespace(document)
}

/// Checks a document about to be stored as an inline policy of `kind`.
pub fn check_inline(kind: EntityKind, document: &str) -> Result<(), IamError> {
    check_stored(document, &inline_config(kind))
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
    kind: EntityKind,
    policies: impl Iterator<Item = (&'a String, &'a String)>,
) -> CompiledPolicies {
    let config = inline_config(kind);
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

/// Compiles the default version of a managed policy; `None` (logged) when
/// it does not compile.
pub fn compile_managed(name: &str, document: &str) -> Option<Arc<CompiledPolicy>> {
    let mut config = managed_config();
    // Stored and AWS-published documents are judged as they were accepted.
    config.require_current_version = false;
    config.limits.managed = usize::MAX;
    match CompiledPolicy::compile(name, document, &config) {
        Ok(policy) => Some(Arc::new(policy)),
        Err(error) => {
            tracing::error!(policy = %name, %error, "managed policy does not compile; its principals are denied everything");
            None
        }
    }
}

/// Compiles a role's trust policy; `None` (logged) when it does not
/// compile, and the role is then never assumed.
pub fn compile_trust(role_id: &str, document: &str) -> Option<Arc<CompiledPolicy>> {
    let mut config = trust_config();
    config.limits.trust = usize::MAX;
    match CompiledPolicy::compile(role_id, document, &config) {
        Ok(policy) => Some(Arc::new(policy)),
        Err(error) => {
            tracing::error!(role = %role_id, %error, "trust policy does not compile; the role cannot be assumed");
            None
        }
    }
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
