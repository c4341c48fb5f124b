//! Random sequences of IAM operations through the dispatch boundary, over
//! a small universe of names so that creates collide, deletes conflict and
//! quotas bite. After every step the store's invariants hold; at the end
//! of each sequence (and every few steps) the incrementally maintained
//! snapshot equals one rebuilt from the revision log.

mod support;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use support::{World, ACCOUNT};

const USERS: [&str; 4] = ["u0", "u1", "U2", "u3"];
const GROUPS: [&str; 3] = ["g0", "g1", "g2"];
const ROLES: [&str; 3] = ["r0", "r1", "r2"];
const POLICIES: [&str; 3] = ["p0", "p1", "p2"];
const PROFILES: [&str; 2] = ["i0", "i1"];
const AWS_POLICIES: [&str; 2] = [
    "arn:aws:iam::aws:policy/ReadOnlyAccess",
    "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole",
];

const ALLOW_ALL: &str =
    r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}"#;
const TRUST: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#;

fn pick<'a>(rng: &mut StdRng, names: &[&'a str]) -> &'a str {
    names[rng.gen_range(0..names.len())]
}

fn policy_arn(rng: &mut StdRng) -> String {
    if rng.gen_bool(0.3) {
        pick(rng, &AWS_POLICIES).to_string()
    } else {
        format!("arn:aws:iam::{ACCOUNT}:policy/{}", pick(rng, &POLICIES))
    }
}

/// One random step: an operation and its parameters.
fn step(rng: &mut StdRng) -> (&'static str, Vec<(String, String)>) {
    let user = pick(rng, &USERS).to_string();
    let group = pick(rng, &GROUPS).to_string();
    let role = pick(rng, &ROLES).to_string();
    let policy = pick(rng, &POLICIES).to_string();
    let profile = pick(rng, &PROFILES).to_string();
    let p = |k: &str, v: &str| (k.to_string(), v.to_string());
    match rng.gen_range(0..26) {
        0 => ("CreateUser", vec![p("UserName", &user)]),
        1 => ("DeleteUser", vec![p("UserName", &user)]),
        2 => (
            "UpdateUser",
            vec![p("UserName", &user), p("NewUserName", pick(rng, &USERS))],
        ),
        3 => ("CreateGroup", vec![p("GroupName", &group)]),
        4 => ("DeleteGroup", vec![p("GroupName", &group)]),
        5 => (
            "UpdateGroup",
            vec![
                p("GroupName", &group),
                p("NewGroupName", pick(rng, &GROUPS)),
            ],
        ),
        6 | 7 => (
            "AddUserToGroup",
            vec![p("GroupName", &group), p("UserName", &user)],
        ),
        8 => (
            "RemoveUserFromGroup",
            vec![p("GroupName", &group), p("UserName", &user)],
        ),
        9 => (
            "CreateRole",
            vec![p("RoleName", &role), p("AssumeRolePolicyDocument", TRUST)],
        ),
        10 => ("DeleteRole", vec![p("RoleName", &role)]),
        11 => (
            "PutRolePolicy",
            vec![
                p("RoleName", &role),
                p("PolicyName", "inline"),
                p("PolicyDocument", ALLOW_ALL),
            ],
        ),
        12 => (
            "DeleteRolePolicy",
            vec![p("RoleName", &role), p("PolicyName", "inline")],
        ),
        13 => (
            "CreatePolicy",
            vec![p("PolicyName", &policy), p("PolicyDocument", ALLOW_ALL)],
        ),
        14 => ("DeletePolicy", vec![p("PolicyArn", &policy_arn(rng))]),
        15 => (
            "CreatePolicyVersion",
            vec![
                p("PolicyArn", &policy_arn(rng)),
                p("PolicyDocument", ALLOW_ALL),
                p(
                    "SetAsDefault",
                    if rng.gen_bool(0.5) { "true" } else { "false" },
                ),
            ],
        ),
        16 => (
            "DeletePolicyVersion",
            vec![
                p("PolicyArn", &policy_arn(rng)),
                p("VersionId", &format!("v{}", rng.gen_range(1..4))),
            ],
        ),
        17 => (
            "AttachUserPolicy",
            vec![p("UserName", &user), p("PolicyArn", &policy_arn(rng))],
        ),
        18 => (
            "AttachGroupPolicy",
            vec![p("GroupName", &group), p("PolicyArn", &policy_arn(rng))],
        ),
        19 => (
            "AttachRolePolicy",
            vec![p("RoleName", &role), p("PolicyArn", &policy_arn(rng))],
        ),
        20 => (
            "DetachGroupPolicy",
            vec![p("GroupName", &group), p("PolicyArn", &policy_arn(rng))],
        ),
        21 => (
            "PutUserPermissionsBoundary",
            vec![
                p("UserName", &user),
                p("PermissionsBoundary", &policy_arn(rng)),
            ],
        ),
        22 => ("DeleteUserPermissionsBoundary", vec![p("UserName", &user)]),
        23 => (
            "CreateInstanceProfile",
            vec![p("InstanceProfileName", &profile)],
        ),
        24 => (
            "AddRoleToInstanceProfile",
            vec![p("InstanceProfileName", &profile), p("RoleName", &role)],
        ),
        _ => (
            if rng.gen_bool(0.5) {
                "RemoveRoleFromInstanceProfile"
            } else {
                "DeleteInstanceProfile"
            },
            vec![p("InstanceProfileName", &profile), p("RoleName", &role)],
        ),
    }
}

/// Runs one sequence; answers the actions that succeeded at least once.
fn run_sequence(seed: u64, steps: usize) -> std::collections::BTreeSet<&'static str> {
    let mut succeeded = std::collections::BTreeSet::new();
    let world = World::new(seed);
    let mut rng = StdRng::seed_from_u64(seed);
    for i in 0..steps {
        let (action, params) = step(&mut rng);
        let mut params: Vec<(&str, &str)> = params
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        if action == "DeleteInstanceProfile" {
            params.retain(|(k, _)| *k == "InstanceProfileName");
        }
        if world.call(&World::root(), action, &params).is_ok() {
            succeeded.insert(action);
        }
        world.assert_invariants();
        if i % 25 == 0 {
            world.assert_snapshot_matches_rebuild();
        }
    }
    world.assert_snapshot_matches_rebuild();
    succeeded
}

#[test]
fn random_operation_sequences_keep_invariants_and_the_snapshot_equal_to_a_rebuild() {
    let mut succeeded = std::collections::BTreeSet::new();
    for seed in 1..=6 {
        succeeded.extend(run_sequence(seed, 150));
    }
    // The sequences are only worth something if they change state.
    for action in [
        "CreateUser",
        "DeleteUser",
        "UpdateUser",
        "AddUserToGroup",
        "RemoveUserFromGroup",
        "DeleteGroup",
        "CreatePolicyVersion",
        "DeletePolicyVersion",
        "DeletePolicy",
        "AttachUserPolicy",
        "AttachGroupPolicy",
        "AttachRolePolicy",
        "DetachGroupPolicy",
        "PutUserPermissionsBoundary",
        "AddRoleToInstanceProfile",
        "DeleteRole",
    ] {
        assert!(succeeded.contains(action), "{action} never succeeded");
    }
}
