//! Authorization of a request before its operation runs, with the policy
//! engine.
//!
//! The account root may do everything in its account. An IAM user is
//! authorized by its identity policies, evaluated by `tessera-policy` with
//! the global condition keys the server fills in ([`RequestFacts`]). The
//! `AccessDenied` message is the engine's rendering of AWS's wording, naming
//! the policy type that decided.

use std::net::IpAddr;

use serde_json::Value;
use tessera_policy::{
    evaluate, Context, Decision as EngineDecision, PolicySet, Principal, Request,
};
use time::OffsetDateTime;

use crate::caller::Caller;
use crate::ops::{Operation, Target};
use crate::snapshot::Snapshot;

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

/// Decides whether `caller` may perform `operation` on `target`.
pub fn authorize(
    snapshot: &Snapshot,
    caller: &Caller,
    operation: &Operation,
    target: &Target,
    input: &Value,
    facts: &RequestFacts,
) -> Decision {
    if operation.always_allowed || caller.is_root() {
        return Decision::Allow;
    }
    let Caller::User { user_id, .. } = caller else {
        return deny_without_policy(caller, target);
    };
    let Some(policies) = snapshot.user_policies(user_id) else {
        return deny_without_policy(caller, target);
    };
    if policies.unreadable {
        return deny_without_policy(caller, target);
    }
    let Some(request) = engine_request(snapshot, caller, target, input, facts) else {
        return deny_without_policy(caller, target);
    };
    let set = PolicySet {
        identity: &policies.identity,
        ..PolicySet::default()
    };
    let evaluation = evaluate(&set, &request);
    match evaluation.decision() {
        EngineDecision::Allowed => Decision::Allow,
        _ => Decision::Deny {
            message: evaluation
                .access_denied_message(&request)
                .unwrap_or_else(|| no_identity_policy_message(caller, target)),
        },
    }
}

/// The existing user a resource ARN names, if any.
fn user_of_resource<'s>(
    snapshot: &'s Snapshot,
    account: &str,
    resource: &str,
) -> Option<&'s crate::records::UserRecord> {
    let rest = resource.strip_prefix(&format!("arn:aws:iam::{account}:user/"))?;
    let name = rest.rsplit('/').next()?;
    snapshot
        .user_by_name(account, name)
        .filter(|user| user.arn() == resource)
}

fn no_identity_policy_message(caller: &Caller, target: &Target) -> String {
    format!(
        "User: {} is not authorized to perform: {} on resource: {} because no identity-based policy allows the {} action",
        caller.arn(),
        target.action,
        target.resource,
        target.action
    )
}

fn deny_without_policy(caller: &Caller, target: &Target) -> Decision {
    Decision::Deny {
        message: no_identity_policy_message(caller, target),
    }
}

/// The engine's view of the request: principal, action, resource and the
/// context keys AWS fills in for IAM and STS requests.
pub fn engine_request(
    snapshot: &Snapshot,
    caller: &Caller,
    target: &Target,
    input: &Value,
    facts: &RequestFacts,
) -> Option<Request> {
    let mut principal = Principal::from_arn(&caller.arn()).ok()?;
    principal = principal.with_user_id(caller.user_id());
    let mut context = Context::new();
    if let Caller::User { user_id, name, .. } = caller {
        context.insert("aws:username", name.as_str());
        if let Some(user) = snapshot.user_by_id(user_id) {
            for tag in &user.tags {
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
    // Tags of the user the request acts on (aws:ResourceTag, iam:ResourceTag).
    if let Some(user) = user_of_resource(snapshot, caller.account(), &target.resource) {
        for tag in &user.tags {
            context.insert(&format!("aws:ResourceTag/{}", tag.key), tag.value.as_str());
            context.insert(&format!("iam:ResourceTag/{}", tag.key), tag.value.as_str());
        }
    }
    // Tags in the request (CreateUser, TagUser, …).
    if let Some(tags) = input.get("Tags").and_then(Value::as_array) {
        let mut keys = Vec::with_capacity(tags.len());
        for tag in tags {
            if let (Some(k), Some(v)) = (
                tag.get("Key").and_then(Value::as_str),
                tag.get("Value").and_then(Value::as_str),
            ) {
                context.insert(&format!("aws:RequestTag/{k}"), v);
                keys.push(k.to_string());
            }
        }
        context.insert("aws:TagKeys", keys);
    } else if let Some(keys) = input.get("TagKeys").and_then(Value::as_array) {
        // UntagUser and friends name only the keys.
        let keys: Vec<String> = keys
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_string)
            .collect();
        context.insert("aws:TagKeys", keys);
    }
    let mut request = Request::new(principal, &target.action, &target.resource)
        .with_resource_account(caller.account());
    *request.context_mut() = context;
    Some(request)
}
