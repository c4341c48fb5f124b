//! What validation reports: errors and warnings with a JSON path, a line and
//! column, a message that says what is wrong and what would be right, and —
//! where IAM has a known wording — the message IAM itself gives in its
//! `MalformedPolicyDocument` error.

use crate::json::Position;
use std::fmt;

/// What a policy document is used as; decides the grammar and size limit.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum PolicyKind {
    /// A managed or inline policy attached to a user, group or role.
    Identity,
    /// A resource-based policy (bucket policy, queue policy, key policy, …).
    Resource,
    /// A role trust policy (`AssumeRolePolicyDocument`).
    Trust,
    /// A permissions boundary (a managed policy used as a boundary).
    Boundary,
    /// An Organizations service control policy.
    ServiceControl,
    /// An Organizations resource control policy.
    ResourceControl,
    /// A session policy passed to `AssumeRole*` or `GetFederationToken`.
    Session,
}

impl PolicyKind {
    /// Parses the names the CLI uses: `identity`, `resource`, `trust`,
    /// `boundary`, `scp`, `rcp`, `session`.
    pub fn from_name(name: &str) -> Option<PolicyKind> {
        Some(match name {
            "identity" => PolicyKind::Identity,
            "resource" => PolicyKind::Resource,
            "trust" => PolicyKind::Trust,
            "boundary" => PolicyKind::Boundary,
            "scp" => PolicyKind::ServiceControl,
            "rcp" => PolicyKind::ResourceControl,
            "session" => PolicyKind::Session,
            _ => return None,
        })
    }

    /// Whether statements name a `Principal` (resource-based kinds).
    pub fn has_principal(&self) -> bool {
        matches!(
            self,
            PolicyKind::Resource | PolicyKind::Trust | PolicyKind::ResourceControl
        )
    }

    /// A phrase naming the kind, for messages.
    pub fn describe(&self) -> &'static str {
        match self {
            PolicyKind::Identity => "an identity-based policy",
            PolicyKind::Resource => "a resource-based policy",
            PolicyKind::Trust => "a role trust policy",
            PolicyKind::Boundary => "a permissions boundary",
            PolicyKind::ServiceControl => "a service control policy",
            PolicyKind::ResourceControl => "a resource control policy",
            PolicyKind::Session => "a session policy",
        }
    }
}

/// Where a policy is stored, which decides its size quota.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum PolicyStorage {
    /// A customer managed policy (also used for permissions boundaries).
    Managed,
    /// Inline policies of a user (the quota covers all of them together).
    InlineUser,
    /// Inline policies of a group.
    InlineGroup,
    /// Inline policies of a role.
    InlineRole,
    /// A role trust policy.
    Trust,
    /// A service control policy.
    ServiceControl,
    /// A resource control policy.
    ResourceControl,
    /// A session policy.
    Session,
    /// A resource-based policy: its service sets the limit.
    ResourceBased,
}

impl PolicyStorage {
    /// The usual storage of a kind of policy.
    pub fn default_for(kind: PolicyKind) -> PolicyStorage {
        match kind {
            PolicyKind::Identity | PolicyKind::Boundary => PolicyStorage::Managed,
            PolicyKind::Resource => PolicyStorage::ResourceBased,
            PolicyKind::Trust => PolicyStorage::Trust,
            PolicyKind::ServiceControl => PolicyStorage::ServiceControl,
            PolicyKind::ResourceControl => PolicyStorage::ResourceControl,
            PolicyKind::Session => PolicyStorage::Session,
        }
    }
}

/// Size quotas in characters, whitespace not counted (AWS defaults).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SizeLimits {
    /// Customer managed policy: 6,144.
    pub managed: usize,
    /// All inline policies of a user: 2,048.
    pub inline_user: usize,
    /// All inline policies of a group: 5,120.
    pub inline_group: usize,
    /// All inline policies of a role: 10,240.
    pub inline_role: usize,
    /// Role trust policy: 2,048.
    pub trust: usize,
    /// Service control policy: 5,120.
    pub service_control: usize,
    /// Resource control policy: 5,120.
    pub resource_control: usize,
    /// Session policy: 2,048.
    pub session: usize,
    /// Resource-based policy: none by default (`usize::MAX`).
    pub resource_based: usize,
}

impl Default for SizeLimits {
    fn default() -> Self {
        SizeLimits {
            managed: 6_144,
            inline_user: 2_048,
            inline_group: 5_120,
            inline_role: 10_240,
            trust: 2_048,
            service_control: 5_120,
            resource_control: 5_120,
            session: 2_048,
            resource_based: usize::MAX,
        }
    }
}

impl SizeLimits {
    /// The quota for a storage.
    pub fn limit_for(&self, storage: PolicyStorage) -> usize {
        match storage {
            PolicyStorage::Managed => self.managed,
            PolicyStorage::InlineUser => self.inline_user,
            PolicyStorage::InlineGroup => self.inline_group,
            PolicyStorage::InlineRole => self.inline_role,
            PolicyStorage::Trust => self.trust,
            PolicyStorage::ServiceControl => self.service_control,
            PolicyStorage::ResourceControl => self.resource_control,
            PolicyStorage::Session => self.session,
            PolicyStorage::ResourceBased => self.resource_based,
        }
    }
}

/// How to validate a document.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ValidationConfig {
    /// What the document is used as.
    pub kind: PolicyKind,
    /// Where it is stored (decides the size quota).
    pub storage: PolicyStorage,
    /// The quotas.
    pub limits: SizeLimits,
    /// Refuse documents without `"Version": "2012-10-17"`, as IAM's
    /// `CreatePolicy` and `CreatePolicyVersion` do. Otherwise a missing or
    /// old Version is a warning.
    pub require_current_version: bool,
}

impl ValidationConfig {
    /// Defaults for a kind: its usual storage, AWS's quotas, and a missing
    /// Version reported as a warning.
    pub fn for_kind(kind: PolicyKind) -> ValidationConfig {
        ValidationConfig {
            kind,
            storage: PolicyStorage::default_for(kind),
            limits: SizeLimits::default(),
            require_current_version: false,
        }
    }
}

/// How serious a finding is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    /// The document is refused.
    Error,
    /// The document is accepted but probably not what was meant.
    Warning,
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
        })
    }
}

/// A stable identifier for each kind of finding.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum DiagnosticCode {
    /// The text is not JSON.
    InvalidJson,
    /// An element IAM does not know.
    UnknownElement,
    /// An element appears twice in one object.
    DuplicateElement,
    /// An element has the wrong JSON type.
    WrongType,
    /// Version is not `2012-10-17` or `2008-10-17`.
    InvalidVersion,
    /// Version is missing.
    MissingVersion,
    /// Version is `2008-10-17`.
    OldVersion,
    /// Statement is missing or empty.
    MissingStatement,
    /// Effect is missing or not `Allow`/`Deny`.
    InvalidEffect,
    /// Neither Action nor NotAction, or an empty list.
    MissingAction,
    /// Both Action and NotAction.
    ActionAndNotAction,
    /// An action not of the form `service:Action`.
    InvalidAction,
    /// Neither Resource nor NotResource where one is required.
    MissingResource,
    /// Both Resource and NotResource.
    ResourceAndNotResource,
    /// A resource that is not an ARN or `*`.
    InvalidResource,
    /// Principal or NotPrincipal in a policy kind that cannot have one.
    PrincipalNotAllowed,
    /// No Principal in a resource-based statement.
    MissingPrincipal,
    /// Both Principal and NotPrincipal.
    PrincipalAndNotPrincipal,
    /// A principal value IAM does not accept.
    InvalidPrincipal,
    /// A condition operator IAM does not know.
    UnknownOperator,
    /// A condition key that is empty or malformed.
    InvalidConditionKey,
    /// A condition value the operator cannot read.
    InvalidConditionValue,
    /// A policy variable where variables are not allowed.
    VariableNotAllowed,
    /// A `${` that does not open a well-formed variable.
    MalformedVariable,
    /// Two statements with one Sid.
    DuplicateSid,
    /// A Sid with characters IAM refuses.
    InvalidSid,
    /// Resource or NotResource in a trust policy.
    ProhibitedResource,
    /// A trust policy action other than the STS actions it may grant.
    TrustActionNotAllowed,
    /// The document exceeds its size quota.
    PolicyTooLarge,
    /// Allow with NotAction on every resource: grants nearly everything.
    AllowNotActionAllResources,
    /// Allow with NotPrincipal: grants everyone else, anonymous included.
    AllowWithNotPrincipal,
    /// Variables under an old or missing Version: read as literal text.
    VariablesAreLiteral,
}

/// One finding.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostic {
    /// Error or warning.
    pub severity: Severity,
    /// What kind of finding.
    pub code: DiagnosticCode,
    /// What is wrong, where, and what would be right.
    pub message: String,
    /// JSON path of the element, e.g. `Statement[0].Action[1]`.
    pub path: String,
    /// Line and column where the element starts.
    pub position: Position,
    /// IAM's own message for this problem, when known.
    pub aws_message: Option<String>,
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}: {}", self.position, self.severity, self.message)?;
        if !self.path.is_empty() {
            write!(f, " (at {})", self.path)?;
        }
        Ok(())
    }
}

/// The findings for one document.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ValidationReport {
    /// Every finding, in document order.
    pub diagnostics: Vec<Diagnostic>,
}

impl ValidationReport {
    /// True when there is at least one error.
    pub fn has_errors(&self) -> bool {
        self.diagnostics
            .iter()
            .any(|d| d.severity == Severity::Error)
    }

    /// The errors.
    pub fn errors(&self) -> impl Iterator<Item = &Diagnostic> {
        self.diagnostics
            .iter()
            .filter(|d| d.severity == Severity::Error)
    }

    /// The warnings.
    pub fn warnings(&self) -> impl Iterator<Item = &Diagnostic> {
        self.diagnostics
            .iter()
            .filter(|d| d.severity == Severity::Warning)
    }

    /// The message for IAM's `MalformedPolicyDocument` error: IAM's own
    /// wording for the first error when it is known, `Syntax errors in
    /// policy.` otherwise; `None` when there is no error.
    pub fn aws_error_message(&self) -> Option<String> {
        let first = self.errors().next()?;
        Some(
            first
                .aws_message
                .clone()
                .unwrap_or_else(|| SYNTAX_ERRORS.to_string()),
        )
    }

    /// True when the first error is a size quota (IAM answers
    /// `LimitExceeded` for those, not `MalformedPolicyDocument`).
    pub fn is_size_error(&self) -> bool {
        self.errors()
            .next()
            .is_some_and(|d| d.code == DiagnosticCode::PolicyTooLarge)
    }
}

/// IAM's generic message for a malformed document.
pub const SYNTAX_ERRORS: &str = "Syntax errors in policy.";
