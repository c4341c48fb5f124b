//! A principal's identity policies compiled together ([`PolicyBundle`])
//! decide exactly as the same policies scanned one by one: the same
//! decision, the same reason and the same matched statements in the same
//! order, on generated populations of principals.

use proptest::prelude::*;
use serde_json::{json, Value};
use std::sync::Arc;
use tessera_policy::{
    evaluate, CompiledPolicy, ContextValue, Evaluation, PolicyBundle, PolicyKind, PolicySet,
    Principal, Request,
};

const ACCOUNT: &str = "111111111111";

const ACTIONS: &[&str] = &[
    "s3:GetObject",
    "S3:LISTBUCKET",
    "s3:PutObject",
    "iam:ListUsers",
    "iam:GetUser",
    "ec2:DescribeInstances",
    "dynamodb:ListTables",
    "sqs:SendMessage",
    "kms:Decrypt",
    "lambda:GetFunction",
    "logs:PutLogEvents",
    "nocolon",
];

const ACTION_PATTERNS: &[&str] = &[
    "*",
    "s3:*",
    "s3:Get*",
    "S3:getobject",
    "s3:List*",
    "iam:List*",
    "iam:Get*",
    "s3:?utObject",
    "*:Get*",
    "*:List*",
    "ec2:Describe*",
    "dynamodb:*",
    "sqs:Send*",
    "kms:*",
    "s*:*Object",
    // More services than a bundle's inline service table holds.
    "sns:Publish",
    "lambda:Get*",
    "logs:*",
    "kinesis:Describe*",
    "tag:GetResources",
];

const RESOURCE_PATTERNS: &[&str] = &[
    "*",
    "arn:aws:s3:::b/*",
    "arn:aws:s3:::b",
    "arn:aws:s3:::*",
    "arn:aws:s3:::b/k",
    "arn:aws:iam::111111111111:user/*",
    "arn:aws:s3:::b/${aws:username}/*",
    "arn:aws:dynamodb:*:111111111111:table/app-*",
    "arn:aws:kms:*:111111111111:key/*",
    "arn:aws:s3:::b?/*",
    "arn:aws:s3:::bb*",
    // Literal text after the first star, found by a search.
    "arn:aws:dynamodb:*:111111111111:table/app-1*",
    "arn:*:dynamodb:us-east-1:111111111111:table/app-1",
    "arn:aws:s3:::*/k",
];

const RESOURCES: &[&str] = &[
    "arn:aws:s3:::b/k",
    "arn:aws:s3:::b",
    "arn:aws:s3:::b/bob/k",
    "arn:aws:s3:::other/k",
    "*",
    "arn:aws:iam::111111111111:user/bob",
    "arn:aws:dynamodb:us-east-1:111111111111:table/app-1",
    "arn:aws:kms:us-east-1:111111111111:key/k1",
    "arn:aws:s3:::bb/k",
    "arn:aws:s3",
    "arn:aws:dynamodb:eu-west-1:111111111111:table/app-10",
    "arn:aws:dynamodb:us-east-1:111111111111:table/app-2",
];

fn conditions() -> Vec<Value> {
    vec![
        json!({"StringEquals": {"aws:PrincipalTag/team": "red"}}),
        json!({"StringNotEquals": {"aws:PrincipalTag/team": "red"}}),
        json!({"StringLike": {"s3:prefix": "home/${aws:username}/*"}}),
        json!({"Bool": {"aws:SecureTransport": "true"}}),
        json!({"IpAddress": {"aws:SourceIp": ["10.0.0.0/8", "192.0.2.0/24"]}}),
        json!({"ForAnyValue:StringEquals": {"aws:TagKeys": ["env", "owner"]}}),
        json!({"Null": {"s3:prefix": "true"}}),
    ]
}

fn statement() -> impl Strategy<Value = Value> {
    (
        prop::bool::weighted(0.8),
        prop::collection::vec(prop::sample::select(ACTION_PATTERNS), 1..4),
        prop::bool::weighted(0.15),
        prop::collection::vec(prop::sample::select(RESOURCE_PATTERNS), 1..3),
        prop::bool::weighted(0.1),
        prop::option::weighted(0.4, prop::sample::select(conditions())),
    )
        .prop_map(
            |(allow, actions, not_action, resources, not_resource, condition)| {
                let mut s = serde_json::Map::new();
                s.insert("Effect".into(), json!(if allow { "Allow" } else { "Deny" }));
                let action_key = if not_action { "NotAction" } else { "Action" };
                s.insert(action_key.into(), json!(actions));
                let resource_key = if not_resource {
                    "NotResource"
                } else {
                    "Resource"
                };
                s.insert(resource_key.into(), json!(resources));
                if let Some(c) = condition {
                    s.insert("Condition".into(), c);
                }
                Value::Object(s)
            },
        )
}

fn policy() -> impl Strategy<Value = Value> {
    prop::collection::vec(statement(), 1..7)
        .prop_map(|statements| json!({"Version": "2012-10-17", "Statement": statements}))
}

/// A principal: its identity policies, and whether it has a boundary.
fn principal() -> impl Strategy<Value = (Vec<Value>, Option<Value>)> {
    (
        prop::collection::vec(policy(), 0..7),
        prop::option::weighted(0.2, policy()),
    )
}

/// A principal's compiled identity policies and boundary.
type CompiledPrincipal = (Vec<Arc<CompiledPolicy>>, Option<Arc<CompiledPolicy>>);

fn compile(kind: PolicyKind, doc: &Value) -> Arc<CompiledPolicy> {
    Arc::new(CompiledPolicy::compile_kind("generated", &doc.to_string(), kind).unwrap())
}

/// `count` identity policies, policy `p` holding the statements
/// `statements(p)`.
fn identity_policies(
    count: usize,
    statements: impl Fn(usize) -> Value,
) -> Vec<Arc<CompiledPolicy>> {
    (0..count)
        .map(|p| {
            compile(
                PolicyKind::Identity,
                &json!({"Version": "2012-10-17", "Statement": statements(p)}),
            )
        })
        .collect()
}

fn request(action: &str, resource: &str, team: &str, prefix: Option<&str>) -> Request {
    let principal = Principal::from_arn(&format!("arn:aws:iam::{ACCOUNT}:user/bob"))
        .unwrap()
        .with_tag("team", team);
    let mut request = Request::new(principal, action, resource)
        .with_context("aws:SourceIp", "192.0.2.7")
        .with_context("aws:SecureTransport", "true")
        .with_context("aws:TagKeys", ContextValue::Multi(vec!["env".into()]));
    if let Some(prefix) = prefix {
        request = request.with_context("s3:prefix", prefix);
    }
    request
}

/// Everything an evaluation reports, with each matched statement's policy
/// named by its address, so that the two paths must point at the same
/// compiled policy.
fn outcome(evaluation: &Evaluation<'_>) -> (String, Vec<String>) {
    let matched = evaluation
        .matched_statements()
        .map(|m| {
            format!(
                "{:?} {:p} #{} {:?} {:?} {:?}",
                m.policy_type, m.policy, m.statement_index, m.level, m.effect, m.principal_match
            )
        })
        .collect();
    (
        format!("{:?} {:?}", evaluation.decision(), evaluation.reason()),
        matched,
    )
}

fn assert_bundle_decides_alike(
    identity: &[Arc<CompiledPolicy>],
    boundary: Option<&CompiledPolicy>,
    request: &Request,
) {
    let bundle = PolicyBundle::new(identity);
    let per_policy = PolicySet {
        identity,
        permissions_boundary: boundary,
        ..PolicySet::default()
    };
    let bundled = PolicySet {
        identity: bundle.policies(),
        identity_bundle: Some(&bundle),
        permissions_boundary: boundary,
        ..PolicySet::default()
    };
    assert_eq!(
        outcome(&evaluate(&bundled, request)),
        outcome(&evaluate(&per_policy, request)),
        "{} on {}",
        request.action(),
        request.resource()
    );
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    #[test]
    fn bundle_decides_as_the_policies_one_by_one(
        population in prop::collection::vec(principal(), 1..6),
        requests in prop::collection::vec(
            (
                0usize..6,
                prop::sample::select(ACTIONS),
                prop::sample::select(RESOURCES),
                prop::sample::select(&["red", "blue"][..]),
                prop::option::of(prop::sample::select(&["home/bob/x", "other"][..])),
            ),
            1..20,
        ),
    ) {
        let compiled: Vec<CompiledPrincipal> = population
            .iter()
            .map(|(identity, boundary)| {
                (
                    identity.iter().map(|d| compile(PolicyKind::Identity, d)).collect(),
                    boundary.as_ref().map(|b| compile(PolicyKind::Boundary, b)),
                )
            })
            .collect();
        for (who, action, resource, team, prefix) in requests {
            let (identity, boundary) = &compiled[who % compiled.len()];
            let request = request(action, resource, team, prefix);
            assert_bundle_decides_alike(identity, boundary.as_deref(), &request);
        }
    }
}

/// A principal with more statements than the bit sets hold inline (512)
/// and more patterns than one word of them: the heap-held sets find the
/// same statements.
#[test]
fn bundle_of_many_statements_decides_as_the_policies() {
    let identity = identity_policies(12, |p| {
        let statements: Vec<Value> = (0..60)
            .map(|i| {
                let effect = if (p * 60 + i) % 97 == 0 {
                    "Deny"
                } else {
                    "Allow"
                };
                let action = ACTION_PATTERNS[(p + i) % ACTION_PATTERNS.len()];
                let key = if i % 13 == 0 { "NotAction" } else { "Action" };
                json!({"Effect": effect, key: [action, format!("svc{i}:Op{p}")],
                           "Resource": RESOURCE_PATTERNS[(p * 7 + i) % RESOURCE_PATTERNS.len()]})
            })
            .collect();
        json!(statements)
    });
    assert_eq!(PolicyBundle::new(&identity).statement_count(), 720);
    for action in ACTIONS.iter().copied().chain(["svc7:Op3", "svc59:op11"]) {
        for resource in RESOURCES {
            assert_bundle_decides_alike(&identity, None, &request(action, resource, "red", None));
        }
    }
}

#[test]
fn statements_naming_other_resources_are_passed_over_without_changing_the_decision() {
    // Each policy names its own buckets; the bundle passes over the
    // statements whose resources start with another bucket's name before
    // reading them. `NotResource` and patterns with a wildcard before any name
    // are never passed over, and a resource shorter than the names is
    // decided as the policies decide it.
    let identity = identity_policies(6, |p| {
        let statements = json!([
            {"Effect": "Allow", "Action": "s3:Get*",
             "Resource": [format!("arn:aws:s3:::bucket-{p}/*"), format!("arn:aws:s3:::bucket-{p}")]},
            {"Effect": "Deny", "Action": "s3:GetObject",
             "NotResource": format!("arn:aws:s3:::bucket-{p}*")},
            {"Effect": "Allow", "Action": "s3:List*", "Resource": "arn:aws:s3:::*bucket-3*"},
        ]);
        json!(statements)
    });
    for resource in [
        "arn:aws:s3:::bucket-3/k",
        "arn:aws:s3:::bucket-3",
        "arn:aws:s3:::bucket-9/k",
        "arn:aws:s3:::bucket-",
        "arn",
    ] {
        for action in ["s3:GetObject", "s3:GetObjectAcl", "s3:ListBucket"] {
            assert_bundle_decides_alike(&identity, None, &request(action, resource, "red", None));
        }
    }
}

#[test]
fn statements_naming_other_tables_after_a_wildcard_are_passed_over_without_changing_the_decision() {
    // Every principal's tables share the literal start
    // `arn:aws:dynamodb:`; what tells them apart comes after the region's
    // wildcard, so the bundle searches the resource for it. Resources hold
    // the table's name at the earliest place it can start, later, only
    // before that place, cut short, or in a different case, and a statement
    // names two patterns with different text after the star.
    let identity = identity_policies(6, |p| {
        let statements = json!([
            {"Effect": "Allow", "Action": "dynamodb:*",
             "Resource": format!("arn:aws:dynamodb:*:{ACCOUNT}:table/app-{p}-*")},
            {"Effect": "Allow", "Action": "sqs:Send*",
             "Resource": format!("arn:aws:sqs:*:{ACCOUNT}:queue-{p}*")},
            {"Effect": "Deny", "Action": "dynamodb:DeleteTable",
             "Resource": [format!("arn:aws:dynamodb:*table/app-{p}-x*"), format!("arn:aws:dynamodb:*:{ACCOUNT}:table/app-{p}-y")]},
            {"Effect": "Allow", "Action": "dynamodb:Get*", "Resource": format!("arn:*:table/app-{p}-*")},
            // An S3 prefix that names the principal's bucket before a
            // wildcard and a shared suffix after it.
            {"Effect": "Allow", "Action": "s3:GetObject", "Resource": format!("arn:aws:s3:::bucket-{p}/*.json")},
            // Literal starts and floating literals too far in for the
            // tests' one-byte offsets.
            {"Effect": "Allow", "Action": "dynamodb:Query",
             "Resource": format!("arn:aws:dynamodb:{}*:{ACCOUNT}:table/app-{p}-*", "r".repeat(232))},
            {"Effect": "Allow", "Action": "dynamodb:Scan",
             "Resource": format!("arn:aws:dynamodb:{}*:{ACCOUNT}:table/app-{p}-*", "r".repeat(260))},
        ]);
        json!(statements)
    });
    let mut resources = Vec::new();
    for p in ["3", "5", "9"] {
        resources.extend([
            format!("arn:aws:dynamodb:us-east-1:{ACCOUNT}:table/app-{p}-orders"),
            format!("arn:aws:dynamodb::{ACCOUNT}:table/app-{p}-"),
            format!("arn:aws:dynamodb:a:b:c:{ACCOUNT}:table/app-{p}-x1"),
            format!("arn:aws:dynamodb:eu-west-1:{ACCOUNT}:table/app-{p}-y"),
            format!("arn:aws:dynamodb:eu-west-1:{ACCOUNT}:table/APP-{p}-y"),
            format!("arn:aws:dynamodb:-{p}-:{ACCOUNT}:table/app-0-x"),
            format!("arn:aws:dynamodb:us-east-1:{ACCOUNT}:table/app-{p}"),
            format!("arn:aws:sqs:us-east-1:{ACCOUNT}:queue-{p}-in"),
            format!("arn:aws:sqs::{ACCOUNT}:queue-{p}"),
            format!("-{p}-"),
        ]);
    }
    for p in ["3", "5"] {
        for width in [232, 260] {
            let region = "r".repeat(width);
            resources.extend([
                format!("arn:aws:dynamodb:{region}:{ACCOUNT}:table/app-{p}-orders"),
                format!("arn:aws:dynamodb:{region}x:{ACCOUNT}:table/app-{p}-"),
                format!("arn:aws:dynamodb:{region}:{ACCOUNT}:table/app-9{p}-"),
            ]);
        }
        resources.extend([
            format!("arn:aws:s3:::bucket-{p}/k.json"),
            format!("arn:aws:s3:::bucket-{p}/.json"),
            format!("arn:aws:s3:::bucket-9/k{p}.json"),
            format!("arn:aws:s3:::bucket-{p}/k.jso"),
        ]);
    }
    resources.extend([
        "arn:aws:dynamodb:".to_string(),
        "arn".to_string(),
        "*".to_string(),
    ]);
    for resource in &resources {
        for action in [
            "s3:GetObject",
            "dynamodb:Query",
            "dynamodb:Scan",
            "dynamodb:GetItem",
            "dynamodb:DeleteTable",
            "sqs:SendMessage",
        ] {
            assert_bundle_decides_alike(&identity, None, &request(action, resource, "red", None));
        }
    }
}

#[test]
fn bundle_knows_the_policies_it_was_compiled_from() {
    let doc = json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]});
    let a = compile(PolicyKind::Identity, &doc);
    let b = compile(PolicyKind::Identity, &doc);
    let bundle = PolicyBundle::new(&[Arc::clone(&a), Arc::clone(&b)]);
    assert!(bundle.is_compiled_from(&[Arc::clone(&a), Arc::clone(&b)]));
    assert!(!bundle.is_compiled_from(&[Arc::clone(&b), Arc::clone(&a)]));
    assert!(!bundle.is_compiled_from(&[a]));
}

/// A principal whose statements test more distinct condition keys than a
/// decision remembers on the stack (16), some keys shared between
/// statements and policies, some absent from the request, through positive,
/// negated and `…IfExists` operators and with three values per key (more
/// than are held inline): each key is looked up once per decision or, past
/// the sixteenth, each time, and both give the per-policy result.
#[test]
fn bundle_with_many_condition_keys_decides_as_the_policies() {
    let identity = identity_policies(3, |p| {
        let statements: Vec<Value> = (0..10)
            .map(|i| {
                let key = format!("svc:Key{}", (p * 7 + i) % 24);
                let operator = ["StringEquals", "StringNotEquals", "StringLikeIfExists"][i % 3];
                let effect = if i == 9 { "Deny" } else { "Allow" };
                json!({"Effect": effect, "Action": ["s3:Get*", "*:List*"], "Resource": "*",
                "Condition": {
                    operator: {key: ["v1", "v2", format!("v{p}")]},
                    "StringEquals": {"aws:PrincipalTag/team": "red"}
                }})
            })
            .collect();
        json!(statements)
    });
    for action in ["s3:GetObject", "iam:ListUsers", "kms:Decrypt"] {
        for team in ["red", "blue"] {
            for present in [0usize, 5, 24] {
                let mut request = request(action, "arn:aws:s3:::b/k", team, None);
                for k in 0..present {
                    let value = if k % 2 == 0 { "v1" } else { "v9" };
                    request = request.with_context(&format!("svc:key{k}"), value);
                }
                assert_bundle_decides_alike(&identity, None, &request);
            }
        }
    }
}

/// A bundle whose policies name more services than its inline service
/// table holds finds each service's statements through its sorted index
/// (as `AmazonDynamoDBReadOnlyAccess` does, with a dozen services in one
/// statement).
#[test]
fn a_bundle_naming_more_services_than_its_inline_table_allows_each_of_them() {
    let services = [
        "application-autoscaling",
        "cloudwatch",
        "datapipeline",
        "dynamodb",
        "dax",
        "ec2",
        "iam",
        "kms",
        "sns",
        "lambda",
        "kinesis",
        "tag",
    ];
    let actions: Vec<String> = services.iter().map(|s| format!("{s}:Get*")).collect();
    let wide = compile(
        PolicyKind::Identity,
        &json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": actions, "Resource": "*"}]}),
    );
    let narrow = compile(
        PolicyKind::Identity,
        &json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]}),
    );
    let identity = vec![wide, narrow];
    let bundle = PolicyBundle::new(&identity);
    let set = PolicySet {
        identity: bundle.policies(),
        identity_bundle: Some(&bundle),
        ..PolicySet::default()
    };
    for action in ["dynamodb:GetItem", "tag:GetResources", "s3:GetObject"] {
        let request = request(action, "*", "red", None);
        assert_eq!(
            evaluate(&set, &request).decision(),
            tessera_policy::Decision::Allowed,
            "{action}"
        );
        assert_bundle_decides_alike(&identity, None, &request);
    }
}
