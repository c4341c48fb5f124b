//! Property tests: the compiled engine agrees with the reference evaluator
//! on randomly generated policy sets and requests (policy variables with
//! and without a value in conditions, `Resource` and `NotResource`; KMS
//! keys, whose resource policy is a key policy), and parsing, validation
//! and evaluation never panic on arbitrary input.

#[path = "support/reference.rs"]
mod reference;

use proptest::prelude::*;
use reference::{reference_decide, RefDecision, RefKind, RefPolicies, RefRequest};
use serde_json::{json, Value};
use std::sync::Arc;
use tessera_policy::{
    evaluate, validate, CompiledPolicy, ContextValue, Decision, PolicyKind, PolicySet, Principal,
    Request, ValidationConfig,
};

const ACCOUNT: &str = "111111111111";
const OTHER: &str = "222222222222";

const ACTIONS: &[&str] = &[
    "s3:GetObject",
    "s3:PutObject",
    "iam:ListUsers",
    "ec2:RunInstances",
    "kms:Decrypt",
];
const ACTION_PATTERNS: &[&str] = &[
    "*",
    "s3:*",
    "s3:Get*",
    "S3:getobject",
    "iam:List*",
    "ec2:RunInstances",
    "s3:?utObject",
    "*:Get*",
    "kms:*",
];
const RESOURCES: &[&str] = &[
    "arn:aws:s3:::b/k",
    "arn:aws:s3:::b/dir/k",
    "arn:aws:s3:::other/k",
    "*",
    "arn:aws:iam::111111111111:user/bob",
    "arn:aws:s3:::b/bob/k",
    "arn:aws:s3:::b/red",
    "arn:aws:s3:::b//k",
    "arn:aws:kms:us-east-1:111111111111:key/k1",
];
const RESOURCE_PATTERNS: &[&str] = &[
    "*",
    "arn:aws:s3:::b/*",
    "arn:aws:s3:::*",
    "arn:aws:s3:::b/k",
    "arn:aws:s3:::?ther/*",
    "arn:aws:iam::111111111111:user/*",
    "arn:aws:s3:::b/${aws:username}/*",
    "arn:aws:s3:::b/${aws:PrincipalTag/team}",
    "arn:aws:kms:*:111111111111:key/*",
];

fn conditions() -> Vec<Value> {
    vec![
        json!({"StringEquals": {"aws:PrincipalTag/team": "red"}}),
        json!({"StringNotEquals": {"aws:PrincipalTag/team": "red"}}),
        json!({"StringEqualsIfExists": {"aws:PrincipalTag/team": ["red", "green"]}}),
        json!({"StringLike": {"s3:prefix": "home/*"}}),
        json!({"NumericLessThan": {"s3:max-keys": "5"}}),
        json!({"Bool": {"aws:SecureTransport": "true"}}),
        json!({"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}}),
        json!({"NotIpAddress": {"aws:SourceIp": ["10.0.0.0/8", "192.0.2.0/24"]}}),
        json!({"ForAllValues:StringEquals": {"aws:TagKeys": ["a", "b"]}}),
        json!({"ForAnyValue:StringEquals": {"aws:TagKeys": "a"}}),
        json!({"StringEquals": {"aws:PrincipalTag/team": "red"}, "Bool": {"aws:SecureTransport": "true"}}),
        json!({"StringLike": {"s3:prefix": "home/${aws:username}/*"}}),
        json!({"StringNotLike": {"s3:prefix": "home/${aws:username}/*"}}),
        json!({"StringNotEquals": {"aws:PrincipalTag/team": ["${aws:username}", "blue"]}}),
        json!({"StringEquals": {"s3:prefix": "${aws:PrincipalTag/team}"}}),
        json!({"ForAnyValue:StringEquals": {"aws:TagKeys": "${aws:PrincipalTag/team}"}}),
        json!({"ForAllValues:StringNotEquals": {"aws:TagKeys": "${aws:PrincipalTag/team}"}}),
        json!({"StringNotEqualsIfExists": {"s3:prefix": "home/${aws:PrincipalTag/team}"}}),
    ]
}

fn principals() -> Vec<Value> {
    vec![
        json!("*"),
        json!({"AWS": ACCOUNT}),
        json!({"AWS": format!("arn:aws:iam::{ACCOUNT}:root")}),
        json!({"AWS": format!("arn:aws:iam::{ACCOUNT}:user/bob")}),
        json!({"AWS": format!("arn:aws:iam::{ACCOUNT}:role/app")}),
        json!({"AWS": format!("arn:aws:sts::{ACCOUNT}:assumed-role/app/s1")}),
        json!({"AWS": [OTHER, format!("arn:aws:iam::{OTHER}:user/eve")]}),
    ]
}

fn statement(with_principal: bool) -> impl Strategy<Value = Value> {
    (
        prop::bool::weighted(0.75),
        prop::collection::vec(prop::sample::select(ACTION_PATTERNS), 1..3),
        prop::bool::weighted(0.15),
        prop::collection::vec(prop::sample::select(RESOURCE_PATTERNS), 1..3),
        prop::bool::weighted(0.1),
        prop::option::weighted(0.4, prop::sample::select(conditions())),
        prop::sample::select(principals()),
    )
        .prop_map(
            move |(allow, actions, not_action, resources, not_resource, condition, principal)| {
                let mut s = serde_json::Map::new();
                s.insert("Effect".into(), json!(if allow { "Allow" } else { "Deny" }));
                s.insert(
                    if not_action { "NotAction" } else { "Action" }.into(),
                    json!(actions),
                );
                s.insert(
                    if not_resource {
                        "NotResource"
                    } else {
                        "Resource"
                    }
                    .into(),
                    json!(resources),
                );
                if let Some(c) = condition {
                    s.insert("Condition".into(), c);
                }
                if with_principal {
                    s.insert("Principal".into(), principal);
                }
                Value::Object(s)
            },
        )
}

fn policy(with_principal: bool) -> impl Strategy<Value = Value> {
    prop::collection::vec(statement(with_principal), 1..4)
        .prop_map(|statements| json!({"Version": "2012-10-17", "Statement": statements}))
}

#[derive(Debug, Clone)]
struct Case {
    policies: RefPolicies,
    caller: usize,
    action: &'static str,
    resource: &'static str,
    resource_account: &'static str,
    context: Vec<(String, Vec<String>)>,
}

fn context() -> impl Strategy<Value = Vec<(String, Vec<String>)>> {
    let one = |key: &'static str, values: Vec<Vec<&'static str>>| {
        prop::option::of(prop::sample::select(values)).prop_map(move |v| {
            v.map(|v| {
                (
                    key.to_string(),
                    v.into_iter().map(String::from).collect::<Vec<_>>(),
                )
            })
        })
    };
    (
        one("aws:PrincipalTag/team", vec![vec!["red"], vec!["blue"]]),
        one(
            "s3:prefix",
            vec![
                vec!["home/x"],
                vec!["other"],
                vec!["home/bob/x"],
                vec!["home//x"],
                vec!["red"],
                vec![""],
            ],
        ),
        one("s3:max-keys", vec![vec!["3"], vec!["7"]]),
        one("aws:SecureTransport", vec![vec!["true"], vec!["false"]]),
        one(
            "aws:SourceIp",
            vec![vec!["10.1.2.3"], vec!["192.0.2.1"], vec!["203.0.113.5"]],
        ),
        one(
            "aws:TagKeys",
            vec![
                vec![],
                vec!["a"],
                vec!["a", "c"],
                vec!["b", "a"],
                vec!["red", "a"],
            ],
        ),
    )
        .prop_map(|(a, b, c, d, e, f)| [a, b, c, d, e, f].into_iter().flatten().collect())
}

fn case() -> impl Strategy<Value = Case> {
    (
        prop::collection::vec(policy(false), 0..3),
        prop::option::weighted(0.3, policy(false)),
        prop::collection::vec(policy(false), 0..2),
        prop::option::weighted(0.5, policy(true)),
        prop::collection::vec(prop::collection::vec(policy(false), 1..3), 0..3),
        0usize..5,
        prop::sample::select(ACTIONS),
        prop::sample::select(RESOURCES),
        prop::sample::select(&[ACCOUNT, ACCOUNT, OTHER][..]),
        context(),
    )
        .prop_map(
            |(
                identity,
                boundary,
                session,
                resource,
                scps,
                caller,
                action,
                resource_arn,
                resource_account,
                context,
            )| Case {
                policies: RefPolicies {
                    identity,
                    boundary,
                    session,
                    resource,
                    scps,
                },
                caller,
                action,
                resource: resource_arn,
                resource_account,
                context,
            },
        )
}

fn caller(index: usize) -> (Principal, RefKind, String, String) {
    let user = format!("arn:aws:iam::{ACCOUNT}:user/bob");
    match index {
        0 => (
            Principal::from_arn(&user).unwrap(),
            RefKind::User,
            user,
            ACCOUNT.into(),
        ),
        1 => {
            let session = format!("arn:aws:sts::{ACCOUNT}:assumed-role/app/s1");
            (
                Principal::from_arn(&session).unwrap(),
                RefKind::RoleSession,
                session,
                ACCOUNT.into(),
            )
        }
        2 => {
            let root = format!("arn:aws:iam::{ACCOUNT}:root");
            (
                Principal::from_arn(&root).unwrap(),
                RefKind::Root,
                root,
                ACCOUNT.into(),
            )
        }
        3 => {
            let eve = format!("arn:aws:iam::{OTHER}:user/eve");
            (
                Principal::from_arn(&eve).unwrap(),
                RefKind::User,
                eve,
                OTHER.into(),
            )
        }
        _ => (
            Principal::anonymous(),
            RefKind::Anonymous,
            String::new(),
            String::new(),
        ),
    }
}

fn compile_all(kind: PolicyKind, docs: &[Value]) -> Vec<Arc<CompiledPolicy>> {
    docs.iter()
        .map(|d| Arc::new(CompiledPolicy::compile_kind("generated", &d.to_string(), kind).unwrap()))
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn compiled_engine_agrees_with_reference_evaluator(case in case()) {
        let (principal, kind, arn, account) = caller(case.caller);
        let identity = compile_all(PolicyKind::Identity, &case.policies.identity);
        let boundary = case.policies.boundary.as_ref().map(|b| compile_all(PolicyKind::Boundary, std::slice::from_ref(b)));
        let session = compile_all(PolicyKind::Session, &case.policies.session);
        let resource = case.policies.resource.as_ref().map(|r| compile_all(PolicyKind::Resource, std::slice::from_ref(r)));
        let scps: Vec<Vec<Arc<CompiledPolicy>>> = case.policies.scps.iter().map(|l| compile_all(PolicyKind::ServiceControl, l)).collect();
        let set = PolicySet {
            identity: &identity,
            permissions_boundary: boundary.as_ref().and_then(|b| b.first()).map(|b| &**b),
            session: &session,
            resource: resource.as_ref().and_then(|r| r.first()).map(|r| &**r),
            service_control: &scps,
            ..PolicySet::default()
        };
        let mut request = Request::new(principal, case.action, case.resource).with_resource_account(case.resource_account);
        for (k, v) in &case.context {
            let value = if k == "aws:TagKeys" { ContextValue::Multi(v.clone()) } else { ContextValue::Single(v[0].clone()) };
            request = request.with_context(k, value);
        }
        let engine = evaluate(&set, &request).decision();
        // The engine derives aws:username from an IAM user's ARN; the reference reads it from the context.
        let mut context = case.context.clone();
        if kind == RefKind::User {
            let name = arn.rsplit('/').next().unwrap_or_default().to_string();
            context.push(("aws:username".into(), vec![name]));
        }
        let reference = reference_decide(&case.policies, &RefRequest {
            kind,
            arn,
            account,
            role_arn: format!("arn:aws:iam::{ACCOUNT}:role/app"),
            action: case.action.into(),
            resource: case.resource.into(),
            resource_account: case.resource_account.into(),
            context,
        });
        let expected = match reference {
            RefDecision::Allowed => Decision::Allowed,
            RefDecision::ExplicitDeny => Decision::ExplicitDeny,
            RefDecision::ImplicitDeny => Decision::ImplicitDeny,
        };
        prop_assert_eq!(engine, expected);
    }

    #[test]
    fn validation_never_panics_on_arbitrary_text(text in ".{0,400}") {
        for kind in [PolicyKind::Identity, PolicyKind::Resource, PolicyKind::Trust, PolicyKind::ServiceControl] {
            let _ = validate(&text, &ValidationConfig::for_kind(kind));
        }
    }

    #[test]
    fn parse_validate_evaluate_never_panic_on_policy_shaped_json(doc in arbitrary_policy_json(), action in "[a-zA-Z0-9:*?]{0,20}", resource in "[a-z0-9:/*?${}]{0,30}") {
        for kind in [PolicyKind::Identity, PolicyKind::Resource, PolicyKind::Trust, PolicyKind::ResourceControl] {
            let text = doc.to_string();
            let _ = validate(&text, &ValidationConfig::for_kind(kind));
            if let Ok(policy) = CompiledPolicy::compile_kind("fuzz", &text, kind) {
                let policies = [Arc::new(policy)];
                let set = PolicySet { identity: &policies, resource: policies.first().map(|p| &**p), ..PolicySet::default() };
                let principal = Principal::from_arn("arn:aws:iam::111111111111:user/bob").unwrap().with_tag("team", "*");
                let request = Request::new(principal, &action, &resource)
                    .with_context("aws:SourceIp", "not an ip")
                    .with_context("aws:CurrentTime", "yesterday")
                    .with_context("aws:TagKeys", ContextValue::Multi(vec!["a".into()]));
                let eval = evaluate(&set, &request);
                let _ = eval.explain();
                let _ = eval.access_denied_message(&request);
            }
        }
    }
}

/// JSON built from policy words, so generated documents reach deep into
/// validation and compilation rather than failing at the first element.
fn arbitrary_policy_json() -> impl Strategy<Value = Value> {
    let words = prop::sample::select(vec![
        "Version",
        "2012-10-17",
        "2008-10-17",
        "Statement",
        "Effect",
        "Allow",
        "Deny",
        "Action",
        "NotAction",
        "Resource",
        "NotResource",
        "Principal",
        "NotPrincipal",
        "AWS",
        "Service",
        "Condition",
        "StringLike",
        "ForAllValues:StringEquals",
        "NumericLessThanIfExists",
        "DateGreaterThan",
        "IpAddress",
        "ArnLike",
        "Null",
        "Bool",
        "BinaryEquals",
        "*",
        "s3:*",
        "arn:aws:s3:::b/${aws:username}",
        "${aws:PrincipalTag/team, 'x'}",
        "10.0.0.0/8",
        "::/0",
        "2020-01-01T00:00:00Z",
        "123456789012",
        "arn:aws:iam::123456789012:root",
        "aws:SourceIp",
        "aws:username",
        "${",
        "}",
        "Sid",
        "",
    ]);
    let leaf = prop_oneof![
        words.clone().prop_map(|w| json!(w)),
        any::<bool>().prop_map(Value::Bool),
        any::<i32>().prop_map(|n| json!(n)),
        Just(Value::Null),
    ];
    leaf.prop_recursive(5, 64, 6, move |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::vec((words.clone(), inner), 0..5).prop_map(|members| {
                Value::Object(
                    members
                        .into_iter()
                        .map(|(k, v)| (k.to_string(), v))
                        .collect(),
                )
            }),
        ]
    })
}
