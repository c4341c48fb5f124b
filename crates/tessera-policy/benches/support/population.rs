//! The population workload shared by `benches/population.rs` and
//! `examples/decisions.rs`: principal `p`'s five distinct 5×5 identity
//! policies, and random requests drawn over a population (see
//! BENCHMARKS.md, "A population of principals").

use serde_json::json;
use std::sync::Arc;
use tessera_policy::{CompiledPolicy, ContextValue, PolicyKind, Principal, Request};

use super::workload::{statement, ACCOUNT};

pub fn policy_text(index: usize, team: &str) -> String {
    json!({"Version": "2012-10-17", "Statement": (0..5).map(|i| statement(index, i, team)).collect::<Vec<_>>()})
        .to_string()
}

pub fn compile(text: &str) -> Arc<CompiledPolicy> {
    Arc::new(
        CompiledPolicy::compile_kind("bench", text, PolicyKind::Identity)
            .expect("bench policies are valid"),
    )
}

/// Principal `p`'s five compiled identity policies.
pub fn principal_policies(p: usize) -> Vec<Arc<CompiledPolicy>> {
    let team = format!("team-{p}");
    (0..5)
        .map(|k| compile(&policy_text(p * 5 + k, &team)))
        .collect()
}

/// xorshift64*: a fixed-seed generator, so every run draws the same requests.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// `count` random requests over a population of `n`, each with its
/// principal, drawn from a seed fixed by `n`.
pub fn random_requests(n: usize, count: usize) -> Vec<(usize, Request)> {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15 ^ n as u64);
    (0..count)
        .map(|_| {
            let p = rng.below(n);
            (p, random_request(&mut rng, p, n))
        })
        .collect()
}

/// A random request from principal `p` of a population of `n`.
fn random_request(rng: &mut Rng, p: usize, n: usize) -> Request {
    let own = p * 5 + rng.below(5);
    let other = ((p + 1 + rng.below(n.max(2) - 1)) % n.max(1)) * 5 + rng.below(5);
    let (action, resource) = match rng.below(10) {
        0 | 1 => (
            "s3:GetObject".to_string(),
            format!("arn:aws:s3:::bucket-{own}/reports/q{}.csv", rng.below(4)),
        ),
        2 => (
            "s3:ListBucket".to_string(),
            format!("arn:aws:s3:::bucket-{own}"),
        ),
        3 => (
            "s3:GetObject".to_string(),
            format!("arn:aws:s3:::bucket-{other}/reports/q1.csv"),
        ),
        4 => ("ec2:DescribeInstances".to_string(), "*".to_string()),
        5 => (
            "dynamodb:GetItem".to_string(),
            format!("arn:aws:dynamodb:us-east-1:{ACCOUNT}:table/app-{own}-orders"),
        ),
        6 => (
            "sqs:SendMessage".to_string(),
            format!("arn:aws:sqs:us-east-1:{ACCOUNT}:queue-{own}-in"),
        ),
        7 => (
            "iam:GetUser".to_string(),
            format!("arn:aws:iam::{ACCOUNT}:user/team-{own}/u{p}"),
        ),
        8 => (
            "dynamodb:ListTables".to_string(),
            format!("arn:aws:dynamodb:eu-west-1:{ACCOUNT}:table/app-{own}-x"),
        ),
        _ => (
            "kms:Decrypt".to_string(),
            format!("arn:aws:kms:us-east-1:{ACCOUNT}:key/{p}"),
        ),
    };
    Request::new(
        Principal::from_arn(&format!("arn:aws:iam::{ACCOUNT}:user/u{p}"))
            .expect("valid")
            .with_tag("team", &format!("team-{p}")),
        &action,
        &resource,
    )
    .with_resource_account(ACCOUNT)
    .with_context("aws:SourceIp", "192.0.2.7")
    .with_context("aws:SecureTransport", "true")
    .with_context("aws:CurrentTime", "2024-05-01T12:00:00Z")
    .with_context("aws:TagKeys", ContextValue::Multi(vec!["env".into()]))
}

/// The fixed single-principal 5×5 case of `benches/evaluate.rs`: policies
/// `0 … 4` for the team `red`.
pub fn single_principal_policies() -> Vec<Arc<CompiledPolicy>> {
    (0..5).map(|i| compile(&policy_text(i, "red"))).collect()
}

/// Its request, allowed by policy 3.
pub fn single_principal_request() -> Request {
    Request::new(
        Principal::from_arn(&format!("arn:aws:iam::{ACCOUNT}:user/bob"))
            .expect("valid")
            .with_tag("team", "red"),
        "s3:GetObject",
        "arn:aws:s3:::bucket-3/reports/q1.csv",
    )
    .with_resource_account(ACCOUNT)
    .with_context("aws:SourceIp", "192.0.2.7")
    .with_context("aws:SecureTransport", "true")
    .with_context("aws:CurrentTime", "2024-05-01T12:00:00Z")
    .with_context("aws:TagKeys", ContextValue::Multi(vec!["env".into()]))
}
