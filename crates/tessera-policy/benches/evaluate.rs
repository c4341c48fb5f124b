//! Decisions per second for the compiled engine, with the reference
//! evaluator (policies read straight from `serde_json::Value`, plain
//! recursive globs) measured in the same run as the naive baseline.
//!
//! Workload (see BENCHMARKS.md): a user with N identity policies of 5
//! statements each; statements mix service-specific and wildcard actions
//! (`s3:Get*`, `ec2:Describe*`, `*:List*`, …) and resources with wildcards;
//! two statements in five (40%) carry 1–3 conditions (StringEquals on a
//! principal tag, IpAddress on aws:SourceIp, Bool, ForAnyValue on
//! aws:TagKeys). The request is `s3:GetObject` on an object that the fourth
//! policy allows. A cross-account case adds a bucket policy, two SCP levels
//! and a permissions boundary.

#[path = "../tests/support/reference.rs"]
mod reference;

use criterion::{black_box, criterion_group, criterion_main, Criterion};
use reference::{reference_decide, RefKind, RefPolicies, RefRequest};
use serde_json::{json, Value};
use std::sync::Arc;
use std::time::Duration;
use tessera_policy::{
    evaluate, CompiledPolicy, ContextValue, Decision, PolicyBundle, PolicyKind, PolicySet,
    Principal, Request,
};

#[path = "support/workload.rs"]
mod workload;

use workload::ACCOUNT;

fn policy(index: usize) -> Value {
    json!({"Version": "2012-10-17", "Statement": (0..5).map(|i| workload::statement(index, i, "red")).collect::<Vec<_>>()})
}

fn compile(kind: PolicyKind, doc: &Value) -> Arc<CompiledPolicy> {
    Arc::new(
        CompiledPolicy::compile_kind("bench", &doc.to_string(), kind)
            .expect("bench policies are valid"),
    )
}

fn request(principal: &str, resource_account: &str) -> Request {
    Request::new(
        Principal::from_arn(principal)
            .expect("valid")
            .with_tag("team", "red"),
        "s3:GetObject",
        "arn:aws:s3:::bucket-3/reports/q1.csv",
    )
    .with_resource_account(resource_account)
    .with_context("aws:SourceIp", "192.0.2.7")
    .with_context("aws:SecureTransport", "true")
    .with_context("aws:CurrentTime", "2024-05-01T12:00:00Z")
    .with_context("aws:TagKeys", ContextValue::Multi(vec!["env".into()]))
}

fn reference_request(principal: &str, account: &str, resource_account: &str) -> RefRequest {
    RefRequest {
        kind: RefKind::User,
        arn: principal.into(),
        account: account.into(),
        role_arn: String::new(),
        action: "s3:GetObject".into(),
        resource: "arn:aws:s3:::bucket-3/reports/q1.csv".into(),
        resource_account: resource_account.into(),
        context: vec![
            ("aws:PrincipalTag/team".into(), vec!["red".into()]),
            ("aws:SourceIp".into(), vec!["192.0.2.7".into()]),
            ("aws:SecureTransport".into(), vec!["true".into()]),
            ("aws:TagKeys".into(), vec!["env".into()]),
        ],
    }
}

fn identity_benches(c: &mut Criterion) {
    let user = format!("arn:aws:iam::{ACCOUNT}:user/bob");
    for count in [1usize, 5, 100] {
        // With one policy the request's bucket (bucket-3) is not covered:
        // the single-policy case measures a full scan ending in implicit deny.
        let docs: Vec<Value> = (0..count)
            .map(|i| policy(if count == 1 { 0 } else { i }))
            .collect();
        let compiled: Vec<Arc<CompiledPolicy>> = docs
            .iter()
            .map(|d| compile(PolicyKind::Identity, d))
            .collect();
        let set = PolicySet {
            identity: &compiled,
            ..PolicySet::default()
        };
        let req = request(&user, ACCOUNT);
        let expected = if count == 1 {
            Decision::ImplicitDeny
        } else {
            Decision::Allowed
        };
        assert_eq!(evaluate(&set, &req).decision(), expected);
        c.bench_function(&format!("compiled/identity_{count}x5"), |b| {
            b.iter(|| black_box(evaluate(black_box(&set), black_box(&req)).decision()))
        });
        // The same policies compiled together, as the server decides.
        let bundle = PolicyBundle::new(&compiled);
        let bundled = PolicySet {
            identity: bundle.policies(),
            identity_bundle: Some(&bundle),
            ..PolicySet::default()
        };
        assert_eq!(evaluate(&bundled, &req).decision(), expected);
        c.bench_function(&format!("bundle/identity_{count}x5"), |b| {
            b.iter(|| black_box(evaluate(black_box(&bundled), black_box(&req)).decision()))
        });

        let reference = RefPolicies {
            identity: docs,
            ..RefPolicies::default()
        };
        let rreq = reference_request(&user, ACCOUNT, ACCOUNT);
        c.bench_function(&format!("baseline_reference/identity_{count}x5"), |b| {
            b.iter(|| black_box(reference_decide(black_box(&reference), black_box(&rreq))))
        });
    }
}

fn cross_account_bench(c: &mut Criterion) {
    let user = "arn:aws:iam::987654321001:user/eve";
    let identity_docs: Vec<Value> = (0..5).map(policy).collect();
    let bucket_policy = json!({"Version": "2012-10-17", "Statement": [
        {"Sid": "TeamRead", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::987654321001:root"}, "Action": ["s3:GetObject", "s3:ListBucket"],
         "Resource": ["arn:aws:s3:::bucket-3", "arn:aws:s3:::bucket-3/*"], "Condition": {"IpAddress": {"aws:SourceIp": "192.0.2.0/24"}}},
        {"Sid": "DenyInsecure", "Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": "arn:aws:s3:::bucket-3/*",
         "Condition": {"Bool": {"aws:SecureTransport": "false"}}}
    ]});
    let scp_root = json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]});
    let scp_ou = json!({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": ["s3:*", "ec2:*", "iam:Get*", "iam:List*", "dynamodb:*", "sqs:*", "sns:*"], "Resource": "*"},
        {"Effect": "Deny", "Action": "iam:AttachRolePolicy", "Resource": "*", "Condition": {"StringEquals": {"iam:PolicyARN": "arn:aws:iam::aws:policy/AdministratorAccess"}}}
    ]});
    let boundary = json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": ["s3:*", "ec2:*", "cloudwatch:*"], "Resource": "*"}]});

    let identity: Vec<Arc<CompiledPolicy>> = identity_docs
        .iter()
        .map(|d| compile(PolicyKind::Identity, d))
        .collect();
    let resource = compile(PolicyKind::Resource, &bucket_policy);
    let boundary_compiled = compile(PolicyKind::Boundary, &boundary);
    let scps = vec![
        vec![compile(PolicyKind::ServiceControl, &scp_root)],
        vec![compile(PolicyKind::ServiceControl, &scp_ou)],
    ];
    let set = PolicySet {
        identity: &identity,
        permissions_boundary: Some(&boundary_compiled),
        resource: Some(&resource),
        service_control: &scps,
        ..PolicySet::default()
    };
    let req = request(user, ACCOUNT);
    assert_eq!(evaluate(&set, &req).decision(), Decision::Allowed);
    c.bench_function("compiled/cross_account_5x5_resource_scp_boundary", |b| {
        b.iter(|| black_box(evaluate(black_box(&set), black_box(&req)).decision()))
    });

    let reference = RefPolicies {
        identity: identity_docs,
        boundary: Some(boundary),
        session: Vec::new(),
        resource: Some(bucket_policy),
        scps: vec![vec![scp_root], vec![scp_ou]],
    };
    let rreq = reference_request(user, "987654321001", ACCOUNT);
    c.bench_function(
        "baseline_reference/cross_account_5x5_resource_scp_boundary",
        |b| b.iter(|| black_box(reference_decide(black_box(&reference), black_box(&rreq)))),
    );
}

fn compile_bench(c: &mut Criterion) {
    let text = policy(0).to_string();
    c.bench_function("compile/one_policy_5_statements", |b| {
        b.iter(|| {
            black_box(
                CompiledPolicy::compile_kind("bench", black_box(&text), PolicyKind::Identity)
                    .is_ok(),
            )
        })
    });
}

/// The most expensive `StringLike` patterns a policy can hold cheaply (`a?`
/// 900 times after a `*`, 1,802 characters, and the same between two
/// stars) against a long client-controlled `User-Agent`: every position of
/// the text starts a candidate match, which is what a matcher without a
/// bound on its cost pays for. The first is matched by a text of `a`s; the
/// second (a segment between stars that the text keeps almost matching) is
/// refused by a text of `a`s, and the third by `aab` repeated, each after
/// reading all of it.
fn hostile_pattern_bench(c: &mut Criterion) {
    let mut group = c.benchmark_group("hostile_pattern");
    group.sample_size(10);
    let shapes = [
        (
            "star_a_question_x900",
            format!("*{}", "a?".repeat(900)),
            "a",
            Decision::Allowed,
        ),
        (
            "star_a_question_x900_b_star",
            format!("*{}b*", "a?".repeat(900)),
            "a",
            Decision::ImplicitDeny,
        ),
        (
            "star_a_question_x900_star",
            format!("*{}*", "a?".repeat(900)),
            "aab",
            Decision::ImplicitDeny,
        ),
    ];
    for (shape, pattern, unit, expected) in shapes {
        let doc = json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*",
            "Condition": {"StringLike": {"aws:UserAgent": pattern}}}]});
        let compiled = vec![compile(PolicyKind::Identity, &doc)];
        let set = PolicySet {
            identity: &compiled,
            ..PolicySet::default()
        };
        for (name, len) in [("16KB", 16 * 1024), ("200KB", 200 * 1024)] {
            let agent = unit.repeat(len / unit.len());
            let req = request(&format!("arn:aws:iam::{ACCOUNT}:user/bob"), ACCOUNT)
                .with_context("aws:UserAgent", agent);
            assert_eq!(evaluate(&set, &req).decision(), expected);
            group.bench_function(format!("{shape}_vs_{name}_user_agent"), |b| {
                b.iter(|| black_box(evaluate(black_box(&set), black_box(&req)).decision()))
            });
        }
    }
    group.finish();
}

/// `count` copies of `pattern` on `aws:UserAgent`, at most three to a
/// policy, as a managed policy's 6,144 characters allow for the longest.
fn hostile_policies(pattern: &str, count: usize) -> Vec<Arc<CompiledPolicy>> {
    let patterns = vec![pattern; count];
    patterns
        .chunks(3)
        .map(|chunk| {
            let doc = json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*",
                "Condition": {"StringLike": {"aws:UserAgent": chunk}}}]});
            compile(PolicyKind::Identity, &doc)
        })
        .collect()
}

/// The server decides a request inline when [`PolicySet::work_bound`] is at
/// most 200,000 units (`tessera-server`'s `INLINE_WORK_BUDGET`), else on
/// its pool of costly decisions. `work_bound/*` measures what an inline
/// decision costs at that budget for the shapes that cost the most per
/// unit, and what the costliest request a user's quotas allow costs in
/// all (351 of the patterns above against a 62 KiB `User-Agent`).
fn work_bound_bench(c: &mut Criterion) {
    const BUDGET: u64 = 200_000;
    let mut group = c.benchmark_group("work_bound");
    group.sample_size(10);
    let question_run = format!("*{}b*", "a?".repeat(900));
    let literal = format!("*{}b*", "a".repeat(31));
    let cases: [(&str, &str, usize, usize); 3] = [
        ("at_budget_one_1800_char_question_run", &question_run, 1, 0),
        ("at_budget_100_literals_of_32_bytes", &literal, 100, 0),
        (
            "worst_request_351_question_runs_62KiB",
            &question_run,
            351,
            62 * 1024,
        ),
    ];
    for (name, pattern, count, fixed_len) in cases {
        let compiled = hostile_policies(pattern, count);
        let set = PolicySet {
            identity: &compiled,
            ..PolicySet::default()
        };
        let with_agent = |len: usize| {
            request(&format!("arn:aws:iam::{ACCOUNT}:user/bob"), ACCOUNT)
                .with_context("aws:UserAgent", "a".repeat(len))
        };
        // The longest User-Agent still within the budget, unless fixed.
        let len = if fixed_len > 0 {
            fixed_len
        } else {
            let (mut low, mut high) = (1usize, 1 << 20);
            while low < high {
                let mid = (low + high).div_ceil(2);
                if set.work_bound(&with_agent(mid)) <= BUDGET {
                    low = mid;
                } else {
                    high = mid - 1;
                }
            }
            low
        };
        let req = with_agent(len);
        eprintln!(
            "work_bound/{name}: {len}-byte User-Agent, bound {} units",
            set.work_bound(&req)
        );
        assert_eq!(evaluate(&set, &req).decision(), Decision::ImplicitDeny);
        group.bench_function(name, |b| {
            b.iter(|| black_box(evaluate(black_box(&set), black_box(&req)).decision()))
        });
    }
    group.bench_function("bound_of_the_worst_request", |b| {
        let compiled = hostile_policies(&question_run, 351);
        let set = PolicySet {
            identity: &compiled,
            ..PolicySet::default()
        };
        let req = request(&format!("arn:aws:iam::{ACCOUNT}:user/bob"), ACCOUNT)
            .with_context("aws:UserAgent", "a".repeat(62 * 1024));
        b.iter(|| black_box(black_box(&set).work_bound(black_box(&req))))
    });
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().warm_up_time(Duration::from_millis(500)).measurement_time(Duration::from_secs(2)).sample_size(30);
    targets = identity_benches, cross_account_bench, compile_bench, hostile_pattern_bench, work_bound_bench
}
criterion_main!(benches);
