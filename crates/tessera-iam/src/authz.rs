//! Authorization of a request before its operation runs, with the policy
//! engine.
//!
//! The account root may do everything in its account. An IAM user is
//! authorized by its identity policies (its own inline and attached ones
//! and each of its groups'), within its permissions boundary, evaluated by
//! `tessera-policy` with the global condition keys the server fills in
//! ([`RequestFacts`]) and the operation's own keys and resource tags
//! ([`Target`]). The `AccessDenied` message is the engine's rendering of
//! AWS's wording, naming the policy type that decided.

use std::net::IpAddr;

use tessera_policy::{
    evaluate, Context, Decision as EngineDecision, PolicySet, Principal, Request,
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
    },
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

/// Decides whether `caller` may perform `operation` on `target`: the
/// action on its resource and on every further resource it names (a
/// rename's destination), then each secondary action (`iam:PassRole`).
pub fn authorize(
    snapshot: &Snapshot,
    caller: &Caller,
    operation: &Operation,
    target: &Target,
    facts: &RequestFacts,
) -> Decision {
    if operation.always_allowed || caller.is_root() {
        return Decision::Allow;
    }
    let Caller::User { user_id, .. } = caller else {
        return deny_without_policy(caller, target);
    };
    let policies = snapshot.effective_policies(EntityKind::User, user_id);
    if policies.unreadable {
        return deny_without_policy(caller, target);
    }
    decide(snapshot, caller, &policies, target, facts)
}

fn decide(
    snapshot: &Snapshot,
    caller: &Caller,
    policies: &EffectivePolicies,
    target: &Target,
    facts: &RequestFacts,
) -> Decision {
    let set = PolicySet {
        identity: &policies.identity,
        permissions_boundary: policies.boundary.as_deref(),
        ..PolicySet::default()
    };
    let resources = std::iter::once(&target.resource).chain(target.also.iter());
    for resource in resources {
        let Some(request) = engine_request(snapshot, caller, target, resource, facts) else {
            return deny_without_policy(caller, target);
        };
        let evaluation = evaluate(&set, &request);
        if evaluation.decision() != EngineDecision::Allowed {
            return Decision::Deny {
                message: evaluation
                    .access_denied_message(&request)
                    .unwrap_or_else(|| {
                        no_identity_policy_message(caller, &target.action, resource)
                    }),
            };
        }
    }
    for secondary in &target.secondary {
        if let Decision::Deny { message } = decide(snapshot, caller, policies, secondary, facts) {
            return Decision::Deny { message };
        }
    }
    Decision::Allow
}

fn no_identity_policy_message(caller: &Caller, action: &str, resource: &str) -> String {
    format!(
        "User: {} is not authorized to perform: {action} on resource: {resource} because no identity-based policy allows the {action} action",
        caller.arn(),
    )
}

fn deny_without_policy(caller: &Caller, target: &Target) -> Decision {
    Decision::Deny {
        message: no_identity_policy_message(caller, &target.action, &target.resource),
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
    let mut principal = Principal::from_arn(&caller.arn()).ok()?;
    principal = principal.with_user_id(caller.user_id());
    let mut context = Context::new();
    if let Caller::User { user_id, name, .. } = caller {
        context.insert("aws:username", name.as_str());
        if let Some(user) = snapshot.user_by_id(user_id) {
            for tag in &user.core.tags {
                principal = principal.with_tag(&tag.key, &tag.value);
                context.insert(&format!("aws:PrincipalTag/{}", tag.key), tag.value.as_str());
            }
        }
    }
    context.insert("aws:userid", caller.user_id());
    context.insert("aws:PrincipalArn", caller.arn());
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
        context.insert("aws:SourceIp", ip.to_string());
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
    let mut request =
        Request::new(principal, &target.action, resource).with_resource_account(caller.account());
    *request.context_mut() = context;
    Some(request)
}
