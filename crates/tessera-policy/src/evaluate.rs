//! The decision: combining every policy type as AWS documents it
//! (reference_policies_evaluation-logic, reference_policies_evaluation-logic-cross-account,
//! access_policies_boundaries, access_policies#policies_session).
//!
//! 1. A matching Deny in any applicable policy → explicit deny.
//! 2. SCPs (account principals): every level, root first, must have a
//!    matching Allow.
//! 3. RCPs (every caller but AWS services): every level must allow.
//! 4. Same account: a resource-policy Allow naming the user, the session,
//!    the federated-user session, a service, a provider or `*` allows
//!    outright. One naming the role (or the user behind a federated-user
//!    session) stands in for the identity-policy Allow; boundary and
//!    session policies still apply. One naming only the account has no
//!    effect. Role trust policies and KMS key policies must always allow;
//!    unless the set says otherwise, the request decides which the resource
//!    policy is (a KMS key ARN, or `sts:AssumeRole*` on a role ARN:
//!    [`ResourcePolicyKind`]).
//! 5. Identity policies must allow (unless step 4 allowed or stood in).
//! 6. A permissions boundary, when set, must allow.
//! 7. Session policies, when passed, must allow; a federated-user session
//!    without one is denied.
//! 8. Across accounts both sides must allow: steps 5–7 for the caller, and
//!    a resource-policy Allow naming the caller in any way.
//!
//! The account root skips 5–7. Evaluation reads only the compiled policies
//! and the request, allocates nothing unless more than a handful of
//! statements match, and cannot fail. What it cannot read matches nothing,
//! as AWS documents it: a missing key, an unparsable request value, a
//! policy variable with no value (AWS's null value,
//! reference_policies_variables). A positive test on it never holds; a
//! negated operator holds and a `NotResource` entry excludes nothing, as in
//! AWS, so a Deny written with them denies.

use crate::arn::Arn;
use crate::bundle::PolicyBundle;
use crate::compiled::{CompiledPolicy, PrincipalMatch, PrincipalMatcher, ResourceMatcher};
use crate::condition::ConditionTest;
use crate::document::Effect;
use crate::request::{Principal, PrincipalKind, Request};
use std::fmt;
use std::sync::Arc;

/// The three outcomes, in the words of `SimulatePrincipalPolicy`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Decision {
    /// The request is allowed.
    Allowed,
    /// A Deny statement matched.
    ExplicitDeny,
    /// Nothing allowed it.
    ImplicitDeny,
}

impl Decision {
    /// `allowed`, `explicitDeny` or `implicitDeny`.
    pub fn as_str(&self) -> &'static str {
        match self {
            Decision::Allowed => "allowed",
            Decision::ExplicitDeny => "explicitDeny",
            Decision::ImplicitDeny => "implicitDeny",
        }
    }
}

impl fmt::Display for Decision {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The role a policy plays in a decision.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum PolicyType {
    /// A policy of the user, its groups, or the role.
    Identity,
    /// The resource's policy (including a role trust policy).
    Resource,
    /// The permissions boundary.
    PermissionsBoundary,
    /// A session policy.
    Session,
    /// A service control policy.
    ServiceControl,
    /// A resource control policy.
    ResourceControl,
}

impl PolicyType {
    /// The noun AWS uses in AccessDenied messages, e.g. `identity-based policy`.
    pub fn noun(&self) -> &'static str {
        match self {
            PolicyType::Identity => "identity-based policy",
            PolicyType::Resource => "resource-based policy",
            PolicyType::PermissionsBoundary => "permissions boundary",
            PolicyType::Session => "session policy",
            PolicyType::ServiceControl => "service control policy",
            PolicyType::ResourceControl => "resource control policy",
        }
    }

    /// The noun with its article: `an identity-based policy`.
    pub fn with_article(&self) -> &'static str {
        match self {
            PolicyType::Identity => "an identity-based policy",
            PolicyType::Resource => "a resource-based policy",
            PolicyType::PermissionsBoundary => "a permissions boundary",
            PolicyType::Session => "a session policy",
            PolicyType::ServiceControl => "a service control policy",
            PolicyType::ResourceControl => "a resource control policy",
        }
    }

    /// A short camel-case name: `identity`, `resource`, `permissionsBoundary`,
    /// `session`, `serviceControl`, `resourceControl`.
    pub fn as_str(&self) -> &'static str {
        match self {
            PolicyType::Identity => "identity",
            PolicyType::Resource => "resource",
            PolicyType::PermissionsBoundary => "permissionsBoundary",
            PolicyType::Session => "session",
            PolicyType::ServiceControl => "serviceControl",
            PolicyType::ResourceControl => "resourceControl",
        }
    }
}

/// What the resource policy is, which decides whether it must allow.
///
/// Role trust policies and KMS key policies "must explicitly allow access
/// for principals" (reference_policies_evaluation-logic): "Unless the key
/// policy explicitly allows it, you cannot use IAM policies to allow access
/// to a KMS key" (KMS Developer Guide, key-policies). Left at the default,
/// [`ResourcePolicyKind::FromRequest`], the kind comes from the request
/// ([`ResourcePolicyKind::implied_by`]); a caller that knows better says so.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum ResourcePolicyKind {
    /// Decided from the request's action and resource, by
    /// [`ResourcePolicyKind::implied_by`]: a request on a KMS key is judged
    /// by its key policy, `sts:AssumeRole*` on a role by its trust policy,
    /// with or without the policy in the set (without it nothing can allow).
    #[default]
    FromRequest,
    /// An ordinary resource-based policy: an Allow is one way among others.
    Standard,
    /// A role trust policy: the request (`sts:AssumeRole*`) is denied
    /// unless it allows explicitly.
    RoleTrust,
    /// A KMS key policy: the request is denied unless it allows
    /// explicitly; naming the account (`…:root`) lets identity policies
    /// allow, as in KMS's default key policy.
    KeyPolicy,
}

impl ResourcePolicyKind {
    /// The kind a request implies: [`ResourcePolicyKind::RoleTrust`] for an
    /// action starting `sts:AssumeRole` (`…WithSAML`, `…WithWebIdentity`;
    /// any case) on a role ARN
    /// (`arn:PARTITION:iam::ACCOUNT:role/…`); [`ResourcePolicyKind::KeyPolicy`]
    /// for a KMS key ARN (`arn:PARTITION:kms:REGION:ACCOUNT:key/…`);
    /// [`ResourcePolicyKind::Standard`] otherwise. Never `FromRequest`.
    pub fn implied_by(action: &str, resource: &str) -> ResourcePolicyKind {
        let Some(arn) = Arn::parse(resource) else {
            return ResourcePolicyKind::Standard;
        };
        let assume_role = action
            .get(..14)
            .is_some_and(|head| head.eq_ignore_ascii_case("sts:assumerole"));
        if assume_role && arn.service == "iam" && arn.resource.starts_with("role/") {
            ResourcePolicyKind::RoleTrust
        } else if arn.service == "kms" && arn.resource.starts_with("key/") {
            ResourcePolicyKind::KeyPolicy
        } else {
            ResourcePolicyKind::Standard
        }
    }

    /// This kind, or for [`ResourcePolicyKind::FromRequest`] the kind the
    /// action and resource imply.
    pub fn resolve(self, action: &str, resource: &str) -> ResourcePolicyKind {
        match self {
            ResourcePolicyKind::FromRequest => ResourcePolicyKind::implied_by(action, resource),
            other => other,
        }
    }

    /// Parses the names the CLI and case files use: `auto`, `standard`,
    /// `trust`, `key`.
    pub fn from_name(name: &str) -> Option<ResourcePolicyKind> {
        Some(match name {
            "auto" => ResourcePolicyKind::FromRequest,
            "standard" => ResourcePolicyKind::Standard,
            "trust" => ResourcePolicyKind::RoleTrust,
            "key" => ResourcePolicyKind::KeyPolicy,
            _ => return None,
        })
    }

    /// The name [`ResourcePolicyKind::from_name`] reads.
    pub fn as_str(&self) -> &'static str {
        match self {
            ResourcePolicyKind::FromRequest => "auto",
            ResourcePolicyKind::Standard => "standard",
            ResourcePolicyKind::RoleTrust => "trust",
            ResourcePolicyKind::KeyPolicy => "key",
        }
    }

    /// A phrase for explanations, e.g. `a KMS key policy, which must allow
    /// explicitly`.
    pub fn describe(&self) -> &'static str {
        match self {
            ResourcePolicyKind::FromRequest => "decided from the request",
            ResourcePolicyKind::Standard => "a resource-based policy",
            ResourcePolicyKind::RoleTrust => "a role trust policy, which must allow explicitly",
            ResourcePolicyKind::KeyPolicy => "a KMS key policy, which must allow explicitly",
        }
    }

    /// Whether the resource policy must allow the request for it to be
    /// allowed; `FromRequest` must be resolved first.
    fn requires_explicit_allow(&self) -> bool {
        matches!(
            self,
            ResourcePolicyKind::RoleTrust | ResourcePolicyKind::KeyPolicy
        )
    }
}

/// The policies that bear on one request. Borrowed, so a server can keep
/// each part in its snapshot and assemble a set per request for free.
#[derive(Clone, Copy, Debug, Default)]
pub struct PolicySet<'a> {
    /// The caller's identity policies (user, its groups, or the role).
    /// Ignored when [`PolicySet::identity_bundle`] is set.
    pub identity: &'a [Arc<CompiledPolicy>],
    /// The caller's identity policies compiled together, which decides the
    /// same as [`PolicySet::identity`] holding [`PolicyBundle::policies`],
    /// faster. When set, `identity` is not read.
    pub identity_bundle: Option<&'a PolicyBundle>,
    /// The caller's permissions boundary.
    pub permissions_boundary: Option<&'a CompiledPolicy>,
    /// Session policies passed when the session was created; together they
    /// act as one policy (any of them may allow).
    pub session: &'a [Arc<CompiledPolicy>],
    /// The resource's policy, if it has one.
    pub resource: Option<&'a CompiledPolicy>,
    /// What kind of resource policy it is. The default,
    /// [`ResourcePolicyKind::FromRequest`], reads it from the request: a
    /// KMS key's policy is a key policy, a role's a trust policy for
    /// `sts:AssumeRole*`; set [`ResourcePolicyKind::Standard`] to judge by
    /// identity policies alone where AWS would not.
    pub resource_kind: ResourcePolicyKind,
    /// SCPs of the caller's account, one entry per level, root first.
    /// Leave empty for the management account and for service-linked
    /// roles, which SCPs do not restrict. SCPs apply only to account
    /// principals (users, role and federated-user sessions, the root).
    pub service_control: &'a [Vec<Arc<CompiledPolicy>>],
    /// RCPs of the resource's account, one entry per level, root first.
    /// Leave empty for resources of the management account. RCPs apply to
    /// every caller except AWS service principals.
    pub resource_control: &'a [Vec<Arc<CompiledPolicy>>],
}

/// An owned [`PolicySet`]: for callers that keep compiled policies (a case
/// file, a principal in a snapshot) and evaluate against them many times.
/// [`OwnedPolicySet::as_set`] borrows it at no cost.
#[derive(Clone, Debug, Default)]
pub struct OwnedPolicySet {
    /// Identity-based policies.
    pub identity: Vec<Arc<CompiledPolicy>>,
    /// The permissions boundary, if one is set.
    pub permissions_boundary: Option<Arc<CompiledPolicy>>,
    /// Session policies.
    pub session: Vec<Arc<CompiledPolicy>>,
    /// The resource-based policy, if any.
    pub resource: Option<Arc<CompiledPolicy>>,
    /// What the resource policy is (by default, decided from the request).
    pub resource_kind: ResourcePolicyKind,
    /// SCPs, one list per level, root first.
    pub service_control: Vec<Vec<Arc<CompiledPolicy>>>,
    /// RCPs, one list per level, root first.
    pub resource_control: Vec<Vec<Arc<CompiledPolicy>>>,
}

impl OwnedPolicySet {
    /// The set as [`evaluate`] takes it.
    pub fn as_set(&self) -> PolicySet<'_> {
        PolicySet {
            identity: &self.identity,
            identity_bundle: None,
            permissions_boundary: self.permissions_boundary.as_deref(),
            session: &self.session,
            resource: self.resource.as_deref(),
            resource_kind: self.resource_kind,
            service_control: &self.service_control,
            resource_control: &self.resource_control,
        }
    }
}

/// Why the decision came out as it did.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Reason {
    /// Allowed; says what granted it.
    Allowed(AllowBasis),
    /// A Deny matched in a policy of this type.
    ExplicitDeny(PolicyType),
    /// No Allow in a policy of this type, which had to allow.
    ImplicitDeny(PolicyType),
}

/// What granted an allowed request.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum AllowBasis {
    /// The caller's identity policies (within boundary and session policies).
    IdentityPolicy,
    /// The resource policy, on its own.
    ResourcePolicy,
    /// Both sides of a cross-account request.
    IdentityAndResourcePolicy,
    /// The account root user, in its own account.
    AccountRoot,
}

/// One statement that matched the request.
#[derive(Clone, Copy, Debug)]
pub struct StatementMatch<'a> {
    /// The role the policy played.
    pub policy_type: PolicyType,
    /// The policy.
    pub policy: &'a CompiledPolicy,
    /// The statement's position in the policy, from 0.
    pub statement_index: usize,
    /// For SCPs and RCPs, the level (0 = root).
    pub level: Option<usize>,
    /// Allow or Deny.
    pub effect: Effect,
    /// For resource policies, how the caller was named.
    pub principal_match: Option<PrincipalMatch>,
}

impl<'a> StatementMatch<'a> {
    /// The statement's Sid, if it has one.
    pub fn sid(&self) -> Option<&'a str> {
        self.policy.sid(self.statement_index)
    }

    /// The policy's name or ARN.
    pub fn policy_name(&self) -> &'a str {
        self.policy.name()
    }
}

const INLINE_MATCHES: usize = 4;

/// Matched statements, stored inline while there are few.
#[derive(Clone, Debug)]
struct Matches<'a> {
    inline: [Option<StatementMatch<'a>>; INLINE_MATCHES],
    len: usize,
    overflow: Vec<StatementMatch<'a>>,
}

impl<'a> Matches<'a> {
    fn new() -> Self {
        Matches {
            inline: [None; INLINE_MATCHES],
            len: 0,
            overflow: Vec::new(),
        }
    }

    fn push(&mut self, m: StatementMatch<'a>) {
        match self.inline.get_mut(self.len) {
            Some(slot) => {
                *slot = Some(m);
                self.len += 1;
            }
            None => self.overflow.push(m),
        }
    }

    fn iter(&self) -> impl Iterator<Item = &StatementMatch<'a>> {
        self.inline.iter().flatten().chain(self.overflow.iter())
    }
}

/// A decision with its explanation.
#[derive(Clone, Debug)]
pub struct Evaluation<'a> {
    decision: Decision,
    reason: Reason,
    matches: Matches<'a>,
}

impl<'a> Evaluation<'a> {
    /// The decision.
    pub fn decision(&self) -> Decision {
        self.decision
    }

    /// Why.
    pub fn reason(&self) -> Reason {
        self.reason
    }

    /// Every statement that matched the request (action, resource,
    /// principal and conditions), in evaluation order.
    pub fn matched_statements(&self) -> impl Iterator<Item = &StatementMatch<'a>> {
        self.matches.iter()
    }

    /// The AccessDenied message AWS would give, or `None` when allowed.
    pub fn access_denied_message(&self, request: &Request) -> Option<String> {
        access_denied_message(
            self.reason,
            request.principal().display_arn(),
            request.action(),
            request.resource(),
        )
    }

    /// A readable, multi-line account of the decision.
    pub fn explain(&self) -> String {
        let mut out = String::new();
        out.push_str(&format!("decision: {}\n", self.decision));
        out.push_str(&format!("reason: {}\n", describe_reason(self.reason)));
        let mut any = false;
        for m in self.matched_statements() {
            if !any {
                out.push_str("matched statements:\n");
                any = true;
            }
            out.push_str(&format!("  - {}\n", describe_match(m)));
        }
        if !any {
            out.push_str("matched statements: none\n");
        }
        out
    }
}

/// One sentence for a reason.
pub fn describe_reason(reason: Reason) -> String {
    match reason {
        Reason::Allowed(AllowBasis::IdentityPolicy) => "allowed by an identity-based policy, and no policy denies it".into(),
        Reason::Allowed(AllowBasis::ResourcePolicy) => "allowed by the resource-based policy, and no policy denies it".into(),
        Reason::Allowed(AllowBasis::IdentityAndResourcePolicy) => {
            "allowed across accounts: an identity-based policy and the resource-based policy both allow it".into()
        }
        Reason::Allowed(AllowBasis::AccountRoot) => "the account root user may do anything in its own account that no policy denies".into(),
        Reason::ExplicitDeny(t) => format!("explicitly denied by {}", t.with_article()),
        Reason::ImplicitDeny(t) => format!("implicitly denied: no {} allows it", t.noun()),
    }
}

/// One line for a matched statement: type, policy, statement and effect.
pub fn describe_match(m: &StatementMatch<'_>) -> String {
    let statement = match m.sid() {
        Some(sid) => format!("statement `{sid}` (#{})", m.statement_index),
        None => format!("statement #{}", m.statement_index),
    };
    let level = m
        .level
        .map(|l| format!(" at level {l}"))
        .unwrap_or_default();
    let effect = match m.effect {
        Effect::Allow => "Allow",
        Effect::Deny => "Deny",
    };
    format!(
        "{} `{}`{level}, {statement}: {effect}",
        m.policy_type.noun(),
        m.policy_name()
    )
}

/// Renders AWS's AccessDenied message for a denial, e.g.
/// `User: arn:aws:iam::123456789012:user/bob is not authorized to perform:
/// iam:ListUsers on resource: arn:aws:iam::123456789012:user/ because no
/// identity-based policy allows the iam:ListUsers action`. `None` for an
/// allowed request.
pub fn access_denied_message(
    reason: Reason,
    principal_arn: &str,
    action: &str,
    resource: &str,
) -> Option<String> {
    let head = format!(
        "User: {principal_arn} is not authorized to perform: {action} on resource: {resource}"
    );
    match reason {
        Reason::Allowed(_) => None,
        Reason::ExplicitDeny(t) => Some(format!(
            "{head} with an explicit deny in {}",
            t.with_article()
        )),
        Reason::ImplicitDeny(t) => Some(format!(
            "{head} because no {} allows the {action} action",
            t.noun()
        )),
    }
}

/// Notes a statement that applies: its effect in `into`, the statement in
/// `matches`.
fn record<'a>(into: &mut Scan, matches: &mut Matches<'a>, m: StatementMatch<'a>) {
    match m.effect {
        Effect::Allow => {
            into.allow = true;
            if let Some(n) = m.principal_match {
                into.best_naming = Some(into.best_naming.map_or(n, |b| b.max(n)));
            }
        }
        Effect::Deny => into.deny = true,
    }
    matches.push(m);
}

/// The elements of a statement checked after its action: one rule for
/// policies scanned one by one and for a [`PolicyBundle`].
pub(crate) struct StatementParts<'s> {
    pub(crate) effect: Effect,
    pub(crate) principal: Option<&'s PrincipalMatcher>,
    pub(crate) resources: Option<&'s ResourceMatcher>,
    pub(crate) conditions: &'s [ConditionTest],
}

impl StatementParts<'_> {
    /// `None` when the statement does not apply to `request` (whose action
    /// it matches); otherwise how its `Principal` named the caller, if it
    /// has one.
    pub(crate) fn applies(
        &self,
        request: &Request,
        principal: &Principal,
        has_boundary: bool,
    ) -> Option<Option<PrincipalMatch>> {
        if let Some(resources) = self.resources {
            if !resources.admits(request) {
                return None;
            }
        }
        let mut naming = None;
        if let Some(p) = self.principal {
            if p.negated {
                // access_policies_boundaries: a Deny with NotPrincipal always
                // denies a principal that has a permissions boundary.
                let boundary_quirk = has_boundary && self.effect == Effect::Deny;
                if !boundary_quirk && !p.not_principal_applies(principal) {
                    return None;
                }
                naming = Some(PrincipalMatch::Direct);
            } else {
                let n = p.naming(principal);
                if n == PrincipalMatch::None {
                    return None;
                }
                naming = Some(n);
            }
        }
        if !self.conditions.iter().all(|c| c.holds(request)) {
            return None;
        }
        Some(naming)
    }
}

/// What one pass over some policies found.
#[derive(Clone, Copy, Default)]
struct Scan {
    allow: bool,
    deny: bool,
    best_naming: Option<PrincipalMatch>,
}

struct Evaluator<'a, 'r> {
    request: &'r Request,
    has_boundary: bool,
    matches: Matches<'a>,
}

impl<'a> Evaluator<'a, '_> {
    fn scan(
        &mut self,
        policy: &'a CompiledPolicy,
        policy_type: PolicyType,
        level: Option<usize>,
        into: &mut Scan,
    ) {
        let request = self.request;
        let principal = request.principal();
        let has_boundary = self.has_boundary;
        let matches = &mut self.matches;
        policy.for_each_candidate(request, |index| {
            let Some(statement) = policy.statement(index) else {
                return;
            };
            if !statement.actions.matches(request) {
                return;
            }
            let parts = StatementParts {
                effect: statement.effect,
                principal: statement.principal.as_deref(),
                resources: statement.resources.as_ref(),
                conditions: &statement.conditions,
            };
            if let Some(naming) = parts.applies(request, principal, has_boundary) {
                record(
                    into,
                    matches,
                    StatementMatch {
                        policy_type,
                        policy,
                        statement_index: index as usize,
                        level,
                        effect: statement.effect,
                        principal_match: naming,
                    },
                );
            }
        });
    }

    /// Scans a caller's identity policies compiled together.
    fn scan_bundle(&mut self, bundle: &'a PolicyBundle) -> Scan {
        let mut scan = Scan::default();
        let request = self.request;
        let principal = request.principal();
        let has_boundary = self.has_boundary;
        let matches = &mut self.matches;
        bundle.for_each_applicable(
            request,
            principal,
            has_boundary,
            |policy, index, effect, naming| {
                record(
                    &mut scan,
                    matches,
                    StatementMatch {
                        policy_type: PolicyType::Identity,
                        policy,
                        statement_index: index,
                        level: None,
                        effect,
                        principal_match: naming,
                    },
                );
            },
        );
        scan
    }

    fn scan_all(
        &mut self,
        policies: &'a [Arc<CompiledPolicy>],
        policy_type: PolicyType,
        level: Option<usize>,
    ) -> Scan {
        let mut scan = Scan::default();
        for p in policies {
            self.scan(p, policy_type, level, &mut scan);
        }
        scan
    }

    /// Scans SCP/RCP levels: returns whether any denies, and the first level
    /// without an Allow.
    fn scan_levels(
        &mut self,
        levels: &'a [Vec<Arc<CompiledPolicy>>],
        policy_type: PolicyType,
    ) -> (bool, bool) {
        let mut deny = false;
        let mut every_level_allows = true;
        for (level, policies) in levels.iter().enumerate() {
            let scan = self.scan_all(policies, policy_type, Some(level));
            deny |= scan.deny;
            every_level_allows &= scan.allow;
        }
        (deny, every_level_allows)
    }
}

/// Decides `request` against `set`.
pub fn evaluate<'a>(set: &PolicySet<'a>, request: &Request) -> Evaluation<'a> {
    if let Some(bundle) = set.identity_bundle {
        bundle.prefetch();
    }
    let principal = request.principal();
    let kind = principal.kind();
    let mut ev = Evaluator {
        request,
        has_boundary: set.permissions_boundary.is_some(),
        matches: Matches::new(),
    };

    let scps_apply = kind.is_account_principal() && !set.service_control.is_empty();
    let rcps_apply = kind != PrincipalKind::Service && !set.resource_control.is_empty();
    let (scp_deny, scp_allows) = if scps_apply {
        ev.scan_levels(set.service_control, PolicyType::ServiceControl)
    } else {
        (false, true)
    };
    let (rcp_deny, rcp_allows) = if rcps_apply {
        ev.scan_levels(set.resource_control, PolicyType::ResourceControl)
    } else {
        (false, true)
    };

    let mut resource = Scan::default();
    if let Some(policy) = set.resource {
        ev.scan(policy, PolicyType::Resource, None, &mut resource);
    }
    let identity = match set.identity_bundle {
        Some(bundle) => ev.scan_bundle(bundle),
        None => ev.scan_all(set.identity, PolicyType::Identity, None),
    };
    let mut boundary = Scan::default();
    if let Some(policy) = set.permissions_boundary {
        ev.scan(policy, PolicyType::PermissionsBoundary, None, &mut boundary);
    }
    let session = ev.scan_all(set.session, PolicyType::Session, None);

    let reason = decide(
        set,
        request,
        kind,
        DecisionInputs {
            scp_deny,
            scp_allows,
            rcp_deny,
            rcp_allows,
            resource,
            identity,
            boundary,
            session,
        },
    );
    let decision = match reason {
        Reason::Allowed(_) => Decision::Allowed,
        Reason::ExplicitDeny(_) => Decision::ExplicitDeny,
        Reason::ImplicitDeny(_) => Decision::ImplicitDeny,
    };
    Evaluation {
        decision,
        reason,
        matches: ev.matches,
    }
}

struct DecisionInputs {
    scp_deny: bool,
    scp_allows: bool,
    rcp_deny: bool,
    rcp_allows: bool,
    resource: Scan,
    identity: Scan,
    boundary: Scan,
    session: Scan,
}

fn decide(
    set: &PolicySet<'_>,
    request: &Request,
    kind: PrincipalKind,
    i: DecisionInputs,
) -> Reason {
    // Step 1: any explicit deny, reported in the order AWS's messages favour.
    let denials = [
        (i.scp_deny, PolicyType::ServiceControl),
        (i.rcp_deny, PolicyType::ResourceControl),
        (i.resource.deny, PolicyType::Resource),
        (i.identity.deny, PolicyType::Identity),
        (i.boundary.deny, PolicyType::PermissionsBoundary),
        (i.session.deny, PolicyType::Session),
    ];
    if let Some((_, t)) = denials.iter().find(|(d, _)| *d) {
        return Reason::ExplicitDeny(*t);
    }
    // Steps 2 and 3: organization guardrails.
    if !i.scp_allows {
        return Reason::ImplicitDeny(PolicyType::ServiceControl);
    }
    if !i.rcp_allows {
        return Reason::ImplicitDeny(PolicyType::ResourceControl);
    }
    let naming = if i.resource.allow {
        i.resource.best_naming.unwrap_or(PrincipalMatch::Direct)
    } else {
        PrincipalMatch::None
    };
    let kind_of_resource_policy = match set.resource_kind {
        ResourcePolicyKind::FromRequest => request.implied_resource_kind(),
        other => other,
    };
    let must_allow = kind_of_resource_policy.requires_explicit_allow();
    let principal = request.principal();
    let same_account =
        principal.account().is_some() && principal.account() == request.resource_account();

    match kind {
        PrincipalKind::Anonymous | PrincipalKind::Service | PrincipalKind::IdentityProvider => {
            if naming != PrincipalMatch::None {
                Reason::Allowed(AllowBasis::ResourcePolicy)
            } else {
                Reason::ImplicitDeny(PolicyType::Resource)
            }
        }
        PrincipalKind::Root => {
            if must_allow && naming == PrincipalMatch::None {
                Reason::ImplicitDeny(PolicyType::Resource)
            } else if same_account {
                Reason::Allowed(AllowBasis::AccountRoot)
            } else if naming != PrincipalMatch::None {
                Reason::Allowed(AllowBasis::IdentityAndResourcePolicy)
            } else {
                Reason::ImplicitDeny(PolicyType::Resource)
            }
        }
        PrincipalKind::User | PrincipalKind::RoleSession | PrincipalKind::FederatedUser => {
            if same_account && naming == PrincipalMatch::Direct {
                return Reason::Allowed(AllowBasis::ResourcePolicy);
            }
            if must_allow && naming == PrincipalMatch::None {
                return Reason::ImplicitDeny(PolicyType::Resource);
            }
            let stands_in = same_account && naming == PrincipalMatch::Parent;
            if !i.identity.allow && !stands_in {
                return Reason::ImplicitDeny(PolicyType::Identity);
            }
            if set.permissions_boundary.is_some() && !i.boundary.allow {
                return Reason::ImplicitDeny(PolicyType::PermissionsBoundary);
            }
            let is_session = matches!(
                kind,
                PrincipalKind::RoleSession | PrincipalKind::FederatedUser
            );
            if is_session {
                if !set.session.is_empty() {
                    if !i.session.allow {
                        return Reason::ImplicitDeny(PolicyType::Session);
                    }
                } else if kind == PrincipalKind::FederatedUser {
                    return Reason::ImplicitDeny(PolicyType::Session);
                }
            }
            if same_account {
                if i.identity.allow {
                    Reason::Allowed(AllowBasis::IdentityPolicy)
                } else {
                    Reason::Allowed(AllowBasis::ResourcePolicy)
                }
            } else if naming != PrincipalMatch::None {
                Reason::Allowed(AllowBasis::IdentityAndResourcePolicy)
            } else {
                Reason::ImplicitDeny(PolicyType::Resource)
            }
        }
    }
}
