//! Racing writers never break a quota nor leave a dangling relation: every
//! check runs inside the serialized write transaction that would break it.

mod support;

use std::sync::Arc;

use support::{World, ACCOUNT};

const ALLOW: &str =
    r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}"#;
const TRUST: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#;

/// Runs `calls` on as many threads, each one call; answers how many
/// succeeded, and checks every failure has the expected code.
fn race(
    world: &Arc<World>,
    calls: Vec<(&'static str, Vec<(String, String)>)>,
    refusal: &str,
) -> usize {
    let threads: Vec<_> = calls
        .into_iter()
        .map(|(action, params)| {
            let world = Arc::clone(world);
            std::thread::spawn(move || {
                let params: Vec<(&str, &str)> = params
                    .iter()
                    .map(|(k, v)| (k.as_str(), v.as_str()))
                    .collect();
                world
                    .call(&World::root(), action, &params)
                    .map(|_| ())
                    .map_err(|e| e.code)
            })
        })
        .collect();
    let outcomes: Vec<_> = threads
        .into_iter()
        .map(|t| t.join().expect("thread"))
        .collect();
    for outcome in &outcomes {
        if let Err(code) = outcome {
            assert_eq!(*code, refusal);
        }
    }
    outcomes.iter().filter(|o| o.is_ok()).count()
}

fn p(k: &str, v: &str) -> (String, String) {
    (k.to_string(), v.to_string())
}

#[test]
fn racing_group_joins_never_put_a_user_in_more_than_ten_groups() {
    let world = Arc::new(World::new(11));
    world.ok("CreateUser", &[("UserName", "joiner")]);
    for g in 0..14 {
        world.ok("CreateGroup", &[("GroupName", &format!("g{g}"))]);
    }
    let calls = (0..14)
        .map(|g| {
            (
                "AddUserToGroup",
                vec![p("GroupName", &format!("g{g}")), p("UserName", "joiner")],
            )
        })
        .collect();
    assert_eq!(race(&world, calls, "LimitExceeded"), 10);
    let groups = world.ok("ListGroupsForUser", &[("UserName", "joiner")]);
    assert_eq!(groups["Groups"].as_array().map(Vec::len), Some(10));
    world.assert_invariants();
    world.assert_snapshot_matches_rebuild();
}

#[test]
fn racing_attachments_never_exceed_ten_per_role() {
    let world = Arc::new(World::new(12));
    world.ok(
        "CreateRole",
        &[("RoleName", "busy"), ("AssumeRolePolicyDocument", TRUST)],
    );
    for i in 0..13 {
        world.ok(
            "CreatePolicy",
            &[("PolicyName", &format!("p{i}")), ("PolicyDocument", ALLOW)],
        );
    }
    let calls = (0..13)
        .map(|i| {
            (
                "AttachRolePolicy",
                vec![
                    p("RoleName", "busy"),
                    p("PolicyArn", &format!("arn:aws:iam::{ACCOUNT}:policy/p{i}")),
                ],
            )
        })
        .collect();
    assert_eq!(race(&world, calls, "LimitExceeded"), 10);
    world.assert_invariants();
    world.assert_snapshot_matches_rebuild();
}

#[test]
fn racing_policy_versions_never_keep_more_than_five() {
    let world = Arc::new(World::new(13));
    world.ok(
        "CreatePolicy",
        &[("PolicyName", "v"), ("PolicyDocument", ALLOW)],
    );
    let arn = format!("arn:aws:iam::{ACCOUNT}:policy/v");
    let calls = (0..8)
        .map(|_| {
            (
                "CreatePolicyVersion",
                vec![p("PolicyArn", &arn), p("PolicyDocument", ALLOW)],
            )
        })
        .collect();
    assert_eq!(race(&world, calls, "LimitExceeded"), 4);
    let versions = world.ok("ListPolicyVersions", &[("PolicyArn", &arn)]);
    assert_eq!(versions["Versions"].as_array().map(Vec::len), Some(5));
    world.assert_invariants();
}

#[test]
fn a_group_deleted_while_users_join_leaves_no_dangling_membership() {
    let world = Arc::new(World::new(14));
    world.ok("CreateGroup", &[("GroupName", "doomed")]);
    for u in 0..6 {
        world.ok("CreateUser", &[("UserName", &format!("u{u}"))]);
    }
    let mut calls: Vec<(&'static str, Vec<(String, String)>)> = (0..6)
        .map(|u| {
            (
                "AddUserToGroup",
                vec![p("GroupName", "doomed"), p("UserName", &format!("u{u}"))],
            )
        })
        .collect();
    calls.insert(3, ("DeleteGroup", vec![p("GroupName", "doomed")]));
    let threads: Vec<_> = calls
        .into_iter()
        .map(|(action, params)| {
            let world = Arc::clone(&world);
            std::thread::spawn(move || {
                let params: Vec<(&str, &str)> = params
                    .iter()
                    .map(|(k, v)| (k.as_str(), v.as_str()))
                    .collect();
                let _ = world.call(&World::root(), action, &params);
            })
        })
        .collect();
    for t in threads {
        t.join().expect("thread");
    }
    world.assert_invariants();
    world.assert_snapshot_matches_rebuild();
}
