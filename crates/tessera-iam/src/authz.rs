//! Authorization of a request before its operation runs, with the policy
//! engine.
//!
//! The account root may do everything in its account. An IAM user is
//! authorized by its identity policies (its own inline and attached ones
//! and each of its groups'), within its permissions boundary, evaluated by
//! `tessera-policy` (from the principal's identity policies compiled
//! together, a bundle the snapshots cache per principal) with the global
//! condition keys the server fills in
//! ([`RequestFacts`]) and the operation's own keys and resource tags
//! ([`Target`]). The `AccessDenied` message is the engine's rendering of
//! AWS's wording, naming the policy type that decided.
//!
//! [`authorize_within`] decides the same within a budget of evaluation
//! work (the engine's `PolicySet::work_bound`, read before each
//! evaluation): over it, the answer is [`OverBudget`], never a decision,
//! and the caller decides again without a budget elsewhere.

use std::net::IpAddr;

use std::sync::Arc;

use tessera_policy::{
    evaluate, CompiledPolicy, Context, Decision as EngineDecision, Effect, Evaluation, PolicySet,
    PolicyType, Principal, Reason, Request, ResourcePolicyKind,
};
use time::OffsetDateTime;

use crate::caller::Caller;
use crate::kind::EntityKind;
use crate::ops::{Operation, Target};
use crate::snapshot::{EffectivePolicies, Snapshot};

/// The outcome of authorization.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// The request may proceed.
    Allow,
    /// The request is refused; the message is AWS's `AccessDenied` wording.
    Deny {
        /// The message for the `AccessDenied` error.
        message: String,
        /// What decided it, for the operator's log (never sent to the caller).
        denial: Denial,
    },
}

/// What refused a request: an explicit Deny statement, or the absence of
/// an Allow, and in which policy type. Names policies and statements, never
/// their content.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Denial {
    /// Whether a Deny statement matched (else nothing allowed the request).
    pub explicit: bool,
    /// The policy type that decided, when a policy decided.
    pub policy_type: Option<PolicyType>,
    /// The deciding Deny statement: its policy's name or ARN, and its Sid
    /// or `#index`.
    pub statement: Option<String>,
}

impl Denial {
    /// A refusal decided before any policy was evaluated (no policy at all,
    /// a rule of STS, a role that cannot be assumed).
    fn without_policy() -> Denial {
        Denial {
            explicit: false,
            policy_type: None,
            statement: None,
        }
    }

    /// The refusal an evaluation came to.
    fn of(evaluation: &Evaluation<'_>) -> Denial {
        match evaluation.reason() {
            Reason::ExplicitDeny(policy_type) => Denial {
                explicit: true,
                policy_type: Some(policy_type),
                statement: evaluation
                    .matched_statements()
                    .find(|m| m.effect == Effect::Deny && m.policy_type == policy_type)
                    .map(|m| match m.sid() {
                        Some(sid) => format!("{}/{sid}", m.policy_name()),
                        None => format!("{}/#{}", m.policy_name(), m.statement_index),
                    }),
            },
            Reason::ImplicitDeny(policy_type) => Denial {
                explicit: false,
                policy_type: Some(policy_type),
                statement: None,
            },
            Reason::Allowed(_) => Denial::without_policy(),
        }
    }

    /// `explicitDeny` or `implicitDeny`, in the words of the policy simulator.
    pub fn decision(&self) -> &'static str {
        if self.explicit {
            EngineDecision::ExplicitDeny.as_str()
        } else {
            EngineDecision::ImplicitDeny.as_str()
        }
    }
}

/// What the server knows about a request beyond its operation and input:
/// the source of the global condition keys.
#[derive(Debug, Clone)]
pub struct RequestFacts {
    /// The request time (`aws:CurrentTime`, `aws:EpochTime`).
    pub now: OffsetDateTime,
    /// The client's address (`aws:SourceIp`).
    pub source_ip: Option<IpAddr>,
    /// The `User-Agent` header (`aws:UserAgent`).
    pub user_agent: Option<String>,
    /// Whether the request came over TLS (`aws:SecureTransport`).
    pub secure_transport: bool,
    /// The region the request was signed for (`aws:RequestedRegion`).
    pub region: String,
}

/// A decision that would take more evaluation work than the budget it was
/// given, left undecided: nothing was decided or recorded, and the caller
/// decides it again, without a budget, where a long decision holds no one
/// else up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OverBudget;

/// Decides whether `caller` may perform `operation` on `target`: the
/// action on its resource and on every further resource it names (a
/// rename's destination), then each secondary action (`iam:PassRole`,
/// `sts:TagSession`, …).
pub fn authorize(
    snapshot: &Snapshot,
    caller: &Caller,
    operation: &Operation,
    target: &Target,
    facts: &RequestFacts,
) -> Decision {
    // An unlimited budget is never exceeded: the decision is always made
    // (the fallback is for the type, and unreachable).
    authorize_within(snapshot, caller, operation, target, facts, UNLIMITED)
        .unwrap_or_else(|OverBudget| deny_without_policy(caller, target))
}

/// The budget that is never exceeded: every evaluation runs to its decision.
pub const UNLIMITED: u64 = u64::MAX;

/// [`authorize`], unless its evaluations' work bound
/// ([`tessera_policy::PolicySet::work_bound`], about a nanosecond a unit)
/// would exceed `budget` in all: then nothing is evaluated past that point
/// and the answer is [`OverBudget`], never a decision. With [`UNLIMITED`]
/// the bound is not even computed.
pub fn authorize_within(
    snapshot: &Snapshot,
    caller: &Caller,
    operation: &Operation,
    target: &Target,
    facts: &RequestFacts,
    budget: u64,
) -> Result<Decision, OverBudget> {
    let mut budget = budget;
    Ok(match gather(snapshot, caller, operation, target) {
        Ok(policies) => decide(snapshot, caller, &policies, target, facts, &mut budget)?,
        Err(decided) => decided,
    })
}

/// The policies that decide the request, or the decision when none needs
/// evaluating.
fn gather(
    snapshot: &Snapshot,
    caller: &Caller,
    operation: &Operation,
    target: &Target,
) -> Result<EffectivePolicies, Decision> {
    if operation.always_allowed {
        return Err(Decision::Allow);
    }
    if let Some(message) = sts_session_limit(caller, operation, target) {
        return Err(Decision::Deny {
            message,
            denial: Denial::without_policy(),
        });
    }
    if target.trust.is_some() && caller.is_root() {
        return Err(Decision::Deny {
            message: "Roles may not be assumed by root accounts.".into(),
            denial: Denial::without_policy(),
        });
    }
    let policies = match caller {
        // The root may do everything in its account; what it asks of
        // another account's resource (a role's trust) is still decided.
        // Delegated credentials of the root are limited by their
        // session policy, like any session's.
        Caller::Root { session, .. } if target.trust.is_none() && !is_delegated(session) => {
            return Err(Decision::Allow)
        }
        Caller::Root { .. } => EffectivePolicies::allow_all(),
        Caller::User { user_id, .. } => snapshot.effective_policies(EntityKind::User, user_id),
        Caller::AssumedRole { role_id, .. } => {
            snapshot.effective_policies(EntityKind::Role, role_id)
        }
        Caller::FederatedUser { session, .. } => match &session.claims.federating_user_id {
            Some(user_id) => snapshot.effective_policies(EntityKind::User, user_id),
            None => EffectivePolicies::allow_all(),
        },
        // A web identity has no identity policies: the trust policy alone
        // decides.
        Caller::WebIdentity(_) => EffectivePolicies {
            identity: Vec::new(),
            bundle: None,
            boundary: None,
            unreadable: false,
        },
        // The bearer of a SAML assertion has no identity policies: the
        // role's trust policy alone decides, and only for the call the
        // assertion was verified for.
        Caller::Saml(_) if operation.op == crate::ops::Op::AssumeRoleWithSAML => {
            EffectivePolicies::default()
        }
        Caller::Saml(_) => return Err(deny_without_policy(caller, target)),
    };
    if policies.unreadable || caller.session().is_some_and(|s| s.unreadable) {
        return Err(deny_without_policy(caller, target));
    }
    Ok(policies)
}

/// Whether a session is delegated credentials (`GetDelegatedAccessToken`).
fn is_delegated(session: &Option<Arc<crate::sessions::Session>>) -> bool {
    session
        .as_ref()
        .is_some_and(|s| s.claims.delegation_request.is_some())
}

/// The STS calls temporary credentials may not make, whatever their
/// policies: GetSessionToken sessions make only `AssumeRole` and
/// `GetCallerIdentity`, GetFederationToken sessions only
/// `GetCallerIdentity`. (`GetSessionToken` and `GetFederationToken` answer
/// their own refusal.)
fn sts_session_limit(caller: &Caller, operation: &Operation, target: &Target) -> Option<String> {
    use crate::ops::Op;
    use crate::sessions::SessionKind;
    let session = caller.session()?;
    if operation.service != crate::ops::Service::Sts
        || matches!(
            operation.op,
            Op::GetCallerIdentity | Op::GetSessionToken | Op::GetFederationToken
        )
    {
        return None;
    }
    let allowed = match session.claims.kind {
        _ if session.claims.delegation_request.is_some() => true,
        SessionKind::User | SessionKind::Root => operation.op == Op::AssumeRole,
        SessionKind::Federated => false,
        SessionKind::Role => true,
    };
    (!allowed).then(|| {
        format!(
            "User: {} is not authorized to perform: {} on resource: {}",
            caller.arn(),
            target.action,
            target.resource
        )
    })
}

fn decide(
    snapshot: &Snapshot,
    caller: &Caller,
    policies: &EffectivePolicies,
    target: &Target,
    facts: &RequestFacts,
    budget: &mut u64,
) -> Result<Decision, OverBudget> {
    let trust = target
        .trust
        .as_ref()
        .and_then(|t| snapshot.trust_policy(&t.role_id));
    if target.trust.is_some() && trust.is_none() {
        // A role that does not exist, or whose trust policy cannot be
        // read, is never assumed: AWS answers as for a refusal.
        return Ok(deny_without_policy(caller, target));
    }
    let session: &[Arc<CompiledPolicy>] = caller.session().map_or(&[], |s| &s.policies);
    // A resource's own policy (a delegation request's owner defaults),
    // compiled for this request: such requests are rare.
    let resource_policy = match (&trust, &target.resource_policy) {
        (None, Some(document)) => CompiledPolicy::compile_kind(
            "resource policy",
            document,
            tessera_policy::PolicyKind::Resource,
        )
        .ok(),
        _ => None,
    };
    let set = PolicySet {
        identity: &policies.identity,
        identity_bundle: policies.bundle.as_deref(),
        permissions_boundary: policies.boundary.as_deref(),
        session,
        resource: trust.as_deref().or(resource_policy.as_ref()),
        resource_kind: if trust.is_some() {
            ResourcePolicyKind::RoleTrust
        } else {
            ResourcePolicyKind::Standard
        },
        ..PolicySet::default()
    };
    let resources = std::iter::once(&target.resource).chain(target.also.iter());
    for resource in resources {
        let Some(request) = engine_request(snapshot, caller, target, resource, facts) else {
            return Ok(deny_without_policy(caller, target));
        };
        if *budget != UNLIMITED {
            *budget = budget
                .checked_sub(set.work_bound(&request))
                .ok_or(OverBudget)?;
        }
        let evaluation = evaluate(&set, &request);
        if evaluation.decision() != EngineDecision::Allowed {
            // STS names neither the caller nor the role to the bearer of
            // a web identity token or a SAML assertion.
            let message = if is_federated(caller) {
                federated_denial(target)
            } else {
                evaluation
                    .access_denied_message(&request)
                    .unwrap_or_else(|| no_identity_policy_message(caller, &target.action, resource))
            };
            return Ok(Decision::Deny {
                denial: Denial::of(&evaluation),
                message,
            });
        }
        // The engine holds session policies against role and federated
        // sessions only; delegated credentials of a user or the root are
        // limited by theirs too: one of them must allow the request.
        let delegated = caller
            .session()
            .is_some_and(|s| s.claims.delegation_request.is_some());
        let session_allows = evaluation
            .matched_statements()
            .any(|m| m.policy_type == PolicyType::Session && m.effect == Effect::Allow);
        if delegated && !session_allows {
            return Ok(deny_without_policy(caller, target));
        }
    }
    for secondary in &target.secondary {
        if let deny @ Decision::Deny { .. } =
            decide(snapshot, caller, policies, secondary, facts, budget)?
        {
            return Ok(deny);
        }
    }
    Ok(Decision::Allow)
}

fn no_identity_policy_message(caller: &Caller, action: &str, resource: &str) -> String {
    format!(
        "User: {} is not authorized to perform: {action} on resource: {resource} because no identity-based policy allows the {action} action",
        caller.arn(),
    )
}

/// STS's refusal to a federated caller, which names neither the caller
/// nor the role.
fn federated_denial(target: &Target) -> String {
    format!("Not authorized to perform {}", target.action)
}

/// Whether the caller is the bearer of a federation token or assertion.
fn is_federated(caller: &Caller) -> bool {
    matches!(caller, Caller::WebIdentity(_) | Caller::Saml(_))
}

fn deny_without_policy(caller: &Caller, target: &Target) -> Decision {
    Decision::Deny {
        message: if is_federated(caller) {
            federated_denial(target)
        } else {
            no_identity_policy_message(caller, &target.action, &target.resource)
        },
        denial: Denial::without_policy(),
    }
}

/// The engine's view of the request: principal, action, resource and the
/// context keys AWS fills in for IAM and STS requests.
pub fn engine_request(
    snapshot: &Snapshot,
    caller: &Caller,
    target: &Target,
    resource: &str,
    facts: &RequestFacts,
) -> Option<Request> {
    let mut context = Context::with_capacity(
        tessera_policy::TYPICAL_CONTEXT_KEYS
            + 2 * target.resource_tags.len()
            + target.context.len()
            + caller
                .session()
                .map_or(0, |session| session.claims.tags.len()),
    );
    let mut principal = match caller {
        Caller::AssumedRole {
            partition,
            account,
            role_name,
            role_path,
            session_name,
            ..
        } => Principal::role_session(
            &crate::arn::entity(partition, account, EntityKind::Role, role_path, role_name),
            session_name,
        )
        .ok()?,
        Caller::WebIdentity(identity) => Principal::identity_provider(&identity.provider_arn),
        Caller::Saml(identity) => Principal::identity_provider(&identity.provider_arn),
        _ => Principal::from_arn(&caller.arn()).ok()?,
    };
    principal = principal.with_user_id(&caller.user_id());
    let mut tags: Vec<(String, String)> = Vec::new();
    match caller {
        Caller::User { user_id, name, .. } => {
            context.insert("aws:username", name.as_str());
            if let Some(user) = snapshot.user_by_id(user_id) {
                tags.extend(
                    user.core
                        .tags
                        .iter()
                        .map(|t| (t.key.clone(), t.value.clone())),
                );
            }
        }
        Caller::AssumedRole { role_id, .. } => {
            if let Some(role) = snapshot.get::<crate::records::RoleBody>(role_id) {
                tags.extend(
                    role.core
                        .tags
                        .iter()
                        .map(|t| (t.key.clone(), t.value.clone())),
                );
            }
        }
        Caller::FederatedUser { session, .. } => {
            if let Some(user) = session
                .claims
                .federating_user_id
                .as_deref()
                .and_then(|id| snapshot.user_by_id(id))
            {
                principal = principal.with_federating_user(&user.arn());
            }
        }
        Caller::Root { .. } | Caller::WebIdentity(_) | Caller::Saml(_) => {}
    }
    if let Some(session) = caller.session() {
        let claims = &session.claims;
        // A session tag overrides a tag of the role with the same key.
        for tag in &claims.tags {
            tags.retain(|(k, _)| !k.eq_ignore_ascii_case(&tag.key));
            tags.push((tag.key.clone(), tag.value.clone()));
        }
        context.insert("aws:TokenIssueTime", crate::ops::iso8601(claims.issued));
        context.insert(
            "aws:MultiFactorAuthPresent",
            if claims.mfa_time.is_some() {
                "true"
            } else {
                "false"
            },
        );
        if let Some(mfa) = claims.mfa_time {
            context.insert(
                "aws:MultiFactorAuthAge",
                (facts.now.unix_timestamp() - mfa).max(0).to_string(),
            );
        }
        if let Some(source) = &claims.source_identity {
            context.insert("aws:SourceIdentity", source.as_str());
        }
        if let Some(federated) = &claims.web_identity {
            context.insert("aws:FederatedProvider", federated.provider_arn.as_str());
            for (key, values) in &federated.keys {
                context.insert(key, crate::web_identity::key_value(key, values));
            }
        }
    }
    for (key, value) in &tags {
        principal = principal.with_tag(key, value);
        context.insert(&format!("aws:PrincipalTag/{key}"), value.as_str());
    }
    context.insert("aws:userid", caller.user_id());
    let principal_arn = principal
        .principal_arn()
        .map(str::to_string)
        .unwrap_or_else(|| caller.arn());
    context.insert("aws:PrincipalArn", principal_arn);
    context.insert("aws:PrincipalAccount", caller.account());
    context.insert("aws:PrincipalType", caller.principal_type());
    context.insert(
        "aws:CurrentTime",
        crate::ops::iso8601(facts.now.unix_timestamp()),
    );
    context.insert("aws:EpochTime", facts.now.unix_timestamp().to_string());
    context.insert(
        "aws:SecureTransport",
        if facts.secure_transport {
            "true"
        } else {
            "false"
        },
    );
    context.insert("aws:RequestedRegion", facts.region.as_str());
    if let Some(ip) = facts.source_ip {
        context.insert("aws:SourceIp", ip_text(ip));
    }
    if let Some(agent) = &facts.user_agent {
        context.insert("aws:UserAgent", agent.as_str());
    }
    // Tags of the entity the request acts on (aws:ResourceTag,
    // iam:ResourceTag), and the operation's own keys.
    for tag in &target.resource_tags {
        context.insert(&format!("aws:ResourceTag/{}", tag.key), tag.value.as_str());
        context.insert(&format!("iam:ResourceTag/{}", tag.key), tag.value.as_str());
    }
    for (key, values) in &target.context {
        context.insert(key, values.clone());
    }
    let resource_account = target
        .trust
        .as_ref()
        .map_or(caller.account(), |t| t.account.as_str());
    // The context is whole: the principal-derived keys `Request::new`
    // would add are set above as AWS sets them for this caller.
    Some(
        Request::with_whole_context(principal, &target.action, resource, context)
            .with_resource_account(resource_account),
    )
}

/// `ip` as `Display` writes it, an IPv4 address without the formatting
/// machinery (it is written on every authorization).
fn ip_text(ip: std::net::IpAddr) -> String {
    let std::net::IpAddr::V4(v4) = ip else {
        return ip.to_string();
    };
    let mut text = String::with_capacity(15);
    for (index, octet) in v4.octets().into_iter().enumerate() {
        if index > 0 {
            text.push('.');
        }
        if octet >= 100 {
            text.push(char::from(b'0' + octet / 100));
        }
        if octet >= 10 {
            text.push(char::from(b'0' + octet / 10 % 10));
        }
        text.push(char::from(b'0' + octet % 10));
    }
    text
}

#[cfg(test)]
mod ip_text_tests {
    use super::ip_text;

    #[test]
    fn a_source_address_is_written_as_display_writes_it() {
        for text in [
            "0.0.0.0",
            "127.0.0.1",
            "192.0.2.7",
            "10.100.9.255",
            "255.255.255.255",
            "::1",
            "2001:db8::7",
            "::ffff:192.0.2.7",
        ] {
            let ip: std::net::IpAddr = text.parse().unwrap_or(std::net::IpAddr::from([0, 0, 0, 0]));
            assert_eq!(ip_text(ip), ip.to_string(), "{text}");
            assert_eq!(ip_text(ip), text);
        }
    }
}
