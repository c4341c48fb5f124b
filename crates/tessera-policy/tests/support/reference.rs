//! A small, obviously-correct reference evaluator, used only by tests and
//! as the naive baseline in the benchmarks.
//!
//! It reads policies straight from `serde_json::Value` on every call, matches
//! globs by plain recursion, and writes the combining rules of
//! reference_policies_evaluation-logic as a direct transcription. It covers
//! the operators the generators and benchmarks use: StringEquals,
//! StringNotEquals, StringLike, StringNotLike, NumericLessThan, Bool and
//! IpAddress (IPv4), with IfExists and ForAllValues/ForAnyValue.
//!
//! Policy variables (`${key}`, well formed, without defaults, as the
//! generators write them) are substituted as text from the request's
//! single-valued keys; a variable without a value makes its policy value
//! null, which is equal to or like no request value and matches no
//! resource (reference_policies_variables, "Policy variables with no
//! value"). Substituted values are never wildcards in the generated
//! requests, so substituting before globbing is exact.
//!
//! A request on a KMS key (`arn:aws:kms:…:key/…`) is judged by a key
//! policy, which must allow explicitly (KMS key-policies).

#![allow(dead_code)]

use serde_json::Value;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RefDecision {
    Allowed,
    ExplicitDeny,
    ImplicitDeny,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RefKind {
    User,
    RoleSession,
    Root,
    Anonymous,
}

#[derive(Clone, Debug)]
pub struct RefRequest {
    pub kind: RefKind,
    pub arn: String,
    pub account: String,
    pub role_arn: String,
    pub action: String,
    pub resource: String,
    pub resource_account: String,
    pub context: Vec<(String, Vec<String>)>,
}

#[derive(Clone, Debug, Default)]
pub struct RefPolicies {
    pub identity: Vec<Value>,
    pub boundary: Option<Value>,
    pub session: Vec<Value>,
    pub resource: Option<Value>,
    pub scps: Vec<Vec<Value>>,
}

/// `*` any run, `?` one character, everything else literal.
pub fn glob(pattern: &[char], text: &[char]) -> bool {
    match (pattern.first(), text.first()) {
        (None, None) => true,
        (None, Some(_)) => false,
        (Some('*'), _) => {
            glob(&pattern[1..], text) || (!text.is_empty() && glob(pattern, &text[1..]))
        }
        (Some('?'), Some(_)) => glob(&pattern[1..], &text[1..]),
        (Some(p), Some(t)) => p == t && glob(&pattern[1..], &text[1..]),
        (Some(_), None) => false,
    }
}

fn glob_str(pattern: &str, text: &str) -> bool {
    glob(
        &pattern.chars().collect::<Vec<_>>(),
        &text.chars().collect::<Vec<_>>(),
    )
}

fn list(v: Option<&Value>) -> Vec<String> {
    match v {
        Some(Value::String(s)) => vec![s.clone()],
        Some(Value::Array(a)) => a
            .iter()
            .map(|x| match x {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            })
            .collect(),
        Some(Value::Bool(b)) => vec![b.to_string()],
        Some(Value::Number(n)) => vec![n.to_string()],
        _ => vec![],
    }
}

fn statements(policy: &Value) -> Vec<&Value> {
    match policy.get("Statement") {
        Some(Value::Array(a)) => a.iter().collect(),
        Some(s @ Value::Object(_)) => vec![s],
        _ => vec![],
    }
}

fn context_values<'a>(request: &'a RefRequest, key: &str) -> Option<&'a Vec<String>> {
    request
        .context
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(key))
        .map(|(_, v)| v)
}

fn ipv4(text: &str) -> Option<u32> {
    let mut out = 0u32;
    let parts: Vec<&str> = text.split('.').collect();
    if parts.len() != 4 {
        return None;
    }
    for p in parts {
        out = out * 256 + p.parse::<u8>().ok()? as u32;
    }
    Some(out)
}

fn in_cidr(ip: &str, cidr: &str) -> bool {
    let (net, bits) = cidr.split_once('/').unwrap_or((cidr, "32"));
    let (Some(ip), Some(net), Ok(bits)) = (ipv4(ip), ipv4(net), bits.parse::<u32>()) else {
        return false;
    };
    let mask = if bits == 0 {
        0
    } else {
        u32::MAX << (32 - bits)
    };
    ip & mask == net & mask
}

/// Replaces each `${key}` in `text` with the request's single value of
/// `key`; `None` (AWS's null) when a key has no single value.
fn substitute(text: &str, request: &RefRequest) -> Option<String> {
    let mut out = String::new();
    let mut rest = text;
    while let Some(at) = rest.find("${") {
        out.push_str(&rest[..at]);
        let after = &rest[at + 2..];
        let Some(close) = after.find('}') else {
            out.push_str(&rest[at..]);
            return Some(out);
        };
        match context_values(request, &after[..close]).map(Vec::as_slice) {
            Some([value]) => out.push_str(value),
            _ => return None,
        }
        rest = &after[close + 1..];
    }
    out.push_str(rest);
    Some(out)
}

/// True for a KMS key ARN: its resource policy is a key policy.
fn is_kms_key(resource: &str) -> bool {
    let parts: Vec<&str> = resource.splitn(6, ':').collect();
    parts.len() == 6 && parts[0] == "arn" && parts[2] == "kms" && parts[5].starts_with("key/")
}

fn value_matches(op: &str, request_value: &str, policy_value: &str) -> bool {
    match op {
        "StringEquals" => request_value == policy_value,
        "StringLike" => glob_str(policy_value, request_value),
        "NumericLessThan" => match (request_value.parse::<f64>(), policy_value.parse::<f64>()) {
            (Ok(a), Ok(b)) => a < b,
            _ => false,
        },
        "Bool" => request_value.eq_ignore_ascii_case(policy_value),
        "IpAddress" => in_cidr(request_value, policy_value),
        _ => false,
    }
}

fn condition_holds(operator: &str, key: &str, values: &[String], request: &RefRequest) -> bool {
    let (set, rest) = if let Some(r) = operator.strip_prefix("ForAllValues:") {
        ("all", r)
    } else if let Some(r) = operator.strip_prefix("ForAnyValue:") {
        ("any", r)
    } else {
        ("", operator)
    };
    let (if_exists, base) = match rest.strip_suffix("IfExists") {
        Some(b) => (true, b),
        None => (false, rest),
    };
    let (negated, positive) = match base {
        "StringNotEquals" => (true, "StringEquals"),
        "StringNotLike" => (true, "StringLike"),
        "NotIpAddress" => (true, "IpAddress"),
        other => (false, other),
    };
    let present = context_values(request, key);
    if present.is_none() && if_exists {
        return true;
    }
    let request_values: Vec<String> = present.cloned().unwrap_or_default();
    // A null policy value (a variable without a value) is dropped: it is
    // equal to and like nothing.
    let values: Vec<String> = values
        .iter()
        .filter_map(|v| substitute(v, request))
        .collect();
    let matches = |rv: &str| values.iter().any(|pv| value_matches(positive, rv, pv));
    match set {
        "all" => request_values.iter().all(|rv| matches(rv) != negated),
        "any" => request_values.iter().any(|rv| matches(rv) != negated),
        _ => request_values.iter().any(|rv| matches(rv)) != negated,
    }
}

/// How a resource-policy statement names the caller: 0 none, 1 account, 2 role, 3 direct.
fn naming(principal: Option<&Value>, request: &RefRequest) -> u8 {
    let Some(p) = principal else { return 3 };
    if p == "*" {
        return 3;
    }
    let mut best = 0;
    for entry in list(p.get("AWS")) {
        let level = if entry == "*" {
            3
        } else if request.kind == RefKind::Anonymous {
            0
        } else if entry == request.arn {
            3
        } else if request.kind == RefKind::RoleSession && entry == request.role_arn {
            2
        } else if entry == request.account
            || entry == format!("arn:aws:iam::{}:root", request.account)
        {
            if request.kind == RefKind::Root {
                3
            } else {
                1
            }
        } else {
            0
        };
        best = best.max(level);
    }
    best
}

/// Returns (allow naming level or None, deny) for one policy.
fn scan(policy: &Value, request: &RefRequest) -> (Option<u8>, bool) {
    let mut allow: Option<u8> = None;
    let mut deny = false;
    for s in statements(policy) {
        let action = request.action.to_ascii_lowercase();
        let action_hit = |key: &str| {
            list(s.get(key))
                .iter()
                .any(|a| glob_str(&a.to_ascii_lowercase(), &action))
        };
        let action_ok = if s.get("NotAction").is_some() {
            !action_hit("NotAction")
        } else {
            action_hit("Action")
        };
        // An entry with a variable without a value matches no resource.
        let resource_hit = |key: &str| {
            list(s.get(key))
                .iter()
                .filter_map(|r| substitute(r, request))
                .any(|r| glob_str(&r, &request.resource))
        };
        let resource_ok = if s.get("NotResource").is_some() {
            !resource_hit("NotResource")
        } else if s.get("Resource").is_some() {
            resource_hit("Resource")
        } else {
            true
        };
        let level = naming(s.get("Principal"), request);
        let conditions_ok = match s.get("Condition") {
            Some(Value::Object(blocks)) => blocks.iter().all(|(op, keys)| {
                keys.as_object().is_some_and(|keys| {
                    keys.iter()
                        .all(|(k, v)| condition_holds(op, k, &list(Some(v)), request))
                })
            }),
            _ => true,
        };
        if action_ok && resource_ok && level > 0 && conditions_ok {
            if s.get("Effect") == Some(&Value::from("Deny")) {
                deny = true;
            } else {
                allow = Some(allow.map_or(level, |a: u8| a.max(level)));
            }
        }
    }
    (allow, deny)
}

fn any_allows(policies: &[Value], request: &RefRequest) -> (bool, bool) {
    let mut allow = false;
    let mut deny = false;
    for p in policies {
        let (a, d) = scan(p, request);
        allow |= a.is_some();
        deny |= d;
    }
    (allow, deny)
}

/// The combining rules, transcribed from the evaluation-logic page.
pub fn reference_decide(policies: &RefPolicies, request: &RefRequest) -> RefDecision {
    let (identity_allow, identity_deny) = any_allows(&policies.identity, request);
    let (boundary_allow, boundary_deny) = match &policies.boundary {
        Some(b) => any_allows(std::slice::from_ref(b), request),
        None => (true, false),
    };
    let (session_allow, session_deny) = any_allows(&policies.session, request);
    let (resource_level, resource_deny) = match &policies.resource {
        Some(r) => scan(r, request),
        None => (None, false),
    };
    let scps_apply = request.kind != RefKind::Anonymous;
    let mut scp_deny = false;
    let mut scp_ok = true;
    if scps_apply {
        for level in &policies.scps {
            let (a, d) = any_allows(level, request);
            scp_deny |= d;
            scp_ok &= a;
        }
    }
    // 1. Any explicit deny wins.
    if identity_deny || boundary_deny || session_deny || resource_deny || scp_deny {
        return RefDecision::ExplicitDeny;
    }
    // 2. Every SCP level must allow.
    if !scp_ok {
        return RefDecision::ImplicitDeny;
    }
    let level = resource_level.unwrap_or(0);
    // KMS key policies must allow explicitly, whoever the caller.
    if is_kms_key(&request.resource) && level == 0 {
        return RefDecision::ImplicitDeny;
    }
    match request.kind {
        RefKind::Anonymous => {
            return if level > 0 {
                RefDecision::Allowed
            } else {
                RefDecision::ImplicitDeny
            }
        }
        RefKind::Root => {
            return if request.account == request.resource_account || level > 0 {
                RefDecision::Allowed
            } else {
                RefDecision::ImplicitDeny
            };
        }
        _ => {}
    }
    let same_account = request.account == request.resource_account;
    // 3. Same account: a resource policy naming the user or session allows outright.
    if same_account && level == 3 {
        return RefDecision::Allowed;
    }
    // 4. Identity policies (or a resource policy naming the role, same account).
    if !(identity_allow || (same_account && level == 2)) {
        return RefDecision::ImplicitDeny;
    }
    // 5. Permissions boundary.
    if !boundary_allow {
        return RefDecision::ImplicitDeny;
    }
    // 6. Session policies, for sessions that have them.
    if request.kind == RefKind::RoleSession && !policies.session.is_empty() && !session_allow {
        return RefDecision::ImplicitDeny;
    }
    // 7. Across accounts the resource policy must also allow.
    if !same_account && level == 0 {
        return RefDecision::ImplicitDeny;
    }
    RefDecision::Allowed
}
