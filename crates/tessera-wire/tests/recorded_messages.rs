//! Every model-driven validation message in the AWS recordings
//! (`shared/aws-recorded`), reproduced exactly from the request that
//! causes it.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use tessera_wire::{iam, sts, ServiceModel};

fn params(pairs: &[(&str, String)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), v.clone()))
        .collect()
}

fn message(model: &ServiceModel, operation: &str, pairs: &[(&str, String)]) -> String {
    let error = model
        .decode_input(operation, &params(pairs))
        .expect_err("the request must be refused");
    assert_eq!(
        (error.code.as_str(), error.status),
        ("ValidationError", 400)
    );
    assert_eq!(error.fault, tessera_wire::Fault::Sender);
    error.message
}

fn s(text: &str) -> String {
    text.to_owned()
}

const ROLE_ARN: &str = "arn:aws:iam::111111111111:role/test-role";
const TRUST: &str = r#"{"Version":"2012-10-17","Statement":[]}"#;

#[test]
fn sts_role_session_name_pattern_echoes_the_value() {
    let got = message(
        sts(),
        "AssumeRole",
        &[
            ("RoleArn", s(ROLE_ARN)),
            ("RoleSessionName", s("Session1:2")),
        ],
    );
    assert_eq!(
        got,
        r"1 validation error detected: Value 'Session1:2' at 'roleSessionName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\w+=,.@-]*"
    );
}

#[test]
fn sts_role_session_name_length() {
    let name = "s".repeat(65);
    let got = message(
        sts(),
        "AssumeRole",
        &[("RoleArn", s(ROLE_ARN)), ("RoleSessionName", name.clone())],
    );
    assert_eq!(
        got,
        format!("1 validation error detected: Value '{name}' at 'roleSessionName' failed to satisfy constraint: Member must have length less than or equal to 64")
    );
}

#[test]
fn sts_federation_token_policy_length_echoes_the_policy() {
    let statements: Vec<String> = (0..30)
        .map(|i| format!(r#"{{"Effect": "Allow", "Action": ["s3:GetObject", "s3:PutObject"], "Resource": "arn:aws:s3:::my-example-bucket-with-long-name/folder-name-{i}/*"}}"#))
        .collect();
    let policy = format!(
        r#"{{"Version": "2012-10-17", "Statement": [{}]}}"#,
        statements.join(", ")
    );
    assert!(policy.len() > 2048);
    let got = message(
        sts(),
        "GetFederationToken",
        &[("Name", s("federated")), ("Policy", policy.clone())],
    );
    assert_eq!(
        got,
        format!("1 validation error detected: Value '{policy}' at 'policy' failed to satisfy constraint: Member must have length less than or equal to 2048")
    );
}

#[test]
fn iam_service_specific_credential_id_pattern() {
    for operation in [
        "UpdateServiceSpecificCredential",
        "ResetServiceSpecificCredential",
        "DeleteServiceSpecificCredential",
    ] {
        let mut pairs = vec![(
            "ServiceSpecificCredentialId",
            s("totally-wrong-credential-id-with-hyphens"),
        )];
        if operation == "UpdateServiceSpecificCredential" {
            pairs.push(("Status", s("Active")));
        }
        assert_eq!(
            message(iam(), operation, &pairs),
            r"1 validation error detected: Value at 'serviceSpecificCredentialId' failed to satisfy constraint: Member must satisfy regular expression pattern: [\w]+",
            "{operation}"
        );
    }
}

#[test]
fn iam_status_enum() {
    let got = message(
        iam(),
        "UpdateServiceSpecificCredential",
        &[
            ("ServiceSpecificCredentialId", s("ACCAEXAMPLE123EXAMPLE")),
            ("Status", s("Invalid")),
        ],
    );
    assert_eq!(
        got,
        "1 validation error detected: Value at 'status' failed to satisfy constraint: Member must satisfy enum value set"
    );
}

#[test]
fn iam_password_policy_three_errors_in_aws_order() {
    let got = message(
        iam(),
        "UpdateAccountPasswordPolicy",
        &[
            ("MinimumPasswordLength", s("129")),
            ("MaxPasswordAge", s("1096")),
            ("PasswordReusePrevention", s("25")),
        ],
    );
    assert_eq!(
        got,
        "3 validation errors detected: Value at 'minimumPasswordLength' failed to satisfy constraint: Member must have value less than or equal to 128; Value at 'passwordReusePrevention' failed to satisfy constraint: Member must have value less than or equal to 24; Value at 'maxPasswordAge' failed to satisfy constraint: Member must have value less than or equal to 1095"
    );
}

#[test]
fn iam_policy_version_id_pattern() {
    let arn = s("arn:aws:iam::111111111111:policy/p");
    for operation in ["GetPolicyVersion", "SetDefaultPolicyVersion"] {
        assert_eq!(
            message(
                iam(),
                operation,
                &[("PolicyArn", arn.clone()), ("VersionId", s("version1"))]
            ),
            r"1 validation error detected: Value at 'versionId' failed to satisfy constraint: Member must satisfy regular expression pattern: v[1-9][0-9]*(\.[A-Za-z0-9-]*)?",
        );
    }
}

#[test]
fn iam_virtual_mfa_path_length() {
    let path = format!("/{}/", "a".repeat(511));
    let got = message(
        iam(),
        "CreateVirtualMFADevice",
        &[("VirtualMFADeviceName", s("mfa")), ("Path", path)],
    );
    assert_eq!(
        got,
        "1 validation error detected: Value at 'path' failed to satisfy constraint: Member must have length less than or equal to 512"
    );
}

#[test]
fn iam_oidc_provider_three_errors_with_list_element_constraints() {
    let url = format!("https://{}.example.com", "a".repeat(250));
    let got = message(
        iam(),
        "CreateOpenIDConnectProvider",
        &[
            ("Url", url),
            ("ClientIDList.member.1", "c".repeat(256)),
            ("ThumbprintList.member.1", s("tooshort")),
        ],
    );
    assert_eq!(
        got,
        "3 validation errors detected: Value at 'clientIDList' failed to satisfy constraint: Member must satisfy constraint: [Member must have length less than or equal to 255, Member must have length greater than or equal to 1]; Value at 'thumbprintList' failed to satisfy constraint: Member must satisfy constraint: [Member must have length less than or equal to 40, Member must have length greater than or equal to 40]; Value at 'url' failed to satisfy constraint: Member must have length less than or equal to 255"
    );
}

fn tagging_requests(tags: &[(&str, String)]) -> Vec<(&'static str, Vec<(&'static str, String)>)> {
    let mut with_tags: Vec<(&str, String)> = Vec::new();
    for (k, v) in tags {
        with_tags.push((Box::leak(format!("Tags.{k}").into_boxed_str()), v.clone()));
    }
    let policy_arn = s("arn:aws:iam::111111111111:policy/p");
    let mut requests = Vec::new();
    let mut create_policy = vec![("PolicyName", s("p")), ("PolicyDocument", s(TRUST))];
    create_policy.extend(with_tags.iter().cloned());
    requests.push(("CreatePolicy", create_policy));
    let mut tag_policy = vec![("PolicyArn", policy_arn)];
    tag_policy.extend(with_tags.iter().cloned());
    requests.push(("TagPolicy", tag_policy));
    let mut create_role = vec![("RoleName", s("r")), ("AssumeRolePolicyDocument", s(TRUST))];
    create_role.extend(with_tags.iter().cloned());
    requests.push(("CreateRole", create_role));
    let mut tag_role = vec![("RoleName", s("r"))];
    tag_role.extend(with_tags.iter().cloned());
    requests.push(("TagRole", tag_role));
    requests
}

fn assert_tagging(tags: &[(&str, String)], expected: &str) {
    for (operation, pairs) in tagging_requests(tags) {
        assert_eq!(message(iam(), operation, &pairs), expected, "{operation}");
    }
}

#[test]
fn iam_too_many_tags() {
    let tags: Vec<(String, String)> = (1..=51)
        .flat_map(|i| {
            [
                (format!("member.{i}.Key"), format!("k{i}")),
                (format!("member.{i}.Value"), format!("v{i}")),
            ]
        })
        .collect();
    let tags: Vec<(&str, String)> = tags.iter().map(|(k, v)| (k.as_str(), v.clone())).collect();
    assert_tagging(
        &tags,
        "1 validation error detected: Value at 'tags' failed to satisfy constraint: Member must have length less than or equal to 50",
    );
}

#[test]
fn iam_tag_key_too_long() {
    assert_tagging(
        &[("member.1.Key", "k".repeat(129)), ("member.1.Value", s("v"))],
        "1 validation error detected: Value at 'tags.1.member.key' failed to satisfy constraint: Member must have length less than or equal to 128",
    );
}

#[test]
fn iam_tag_value_too_long() {
    assert_tagging(
        &[("member.1.Key", s("k")), ("member.1.Value", "v".repeat(257))],
        "1 validation error detected: Value at 'tags.1.member.value' failed to satisfy constraint: Member must have length less than or equal to 256",
    );
}

#[test]
fn iam_tag_key_invalid_character() {
    assert_tagging(
        &[
            ("member.1.Key", s("invalid!key")),
            ("member.1.Value", s("v")),
        ],
        r"1 validation error detected: Value at 'tags.1.member.key' failed to satisfy constraint: Member must satisfy regular expression pattern: [\p{L}\p{Z}\p{N}_.:/=+\-@]+",
    );
}

fn untag_requests(keys: &[String]) -> Vec<(&'static str, Vec<(String, String)>)> {
    let mut key_pairs: Vec<(String, String)> = keys
        .iter()
        .enumerate()
        .map(|(i, key)| (format!("TagKeys.member.{}", i + 1), key.clone()))
        .collect();
    let mut policy = vec![(s("PolicyArn"), s("arn:aws:iam::111111111111:policy/p"))];
    policy.append(&mut key_pairs.clone());
    let mut role = vec![(s("RoleName"), s("r"))];
    role.append(&mut key_pairs);
    vec![("UntagPolicy", policy), ("UntagRole", role)]
}

#[test]
fn iam_untag_too_many_keys() {
    let keys: Vec<String> = (1..=51).map(|i| format!("k{i}")).collect();
    for (operation, pairs) in untag_requests(&keys) {
        let error = iam().decode_input(operation, &pairs).unwrap_err();
        assert_eq!(
            error.message,
            "1 validation error detected: Value at 'tagKeys' failed to satisfy constraint: Member must have length less than or equal to 50"
        );
    }
}

#[test]
fn iam_untag_key_too_long_lists_every_element_constraint() {
    for keys in [vec!["k".repeat(129)], vec![s("invalid!key")]] {
        for (operation, pairs) in untag_requests(&keys) {
            let error = iam().decode_input(operation, &pairs).unwrap_err();
            assert_eq!(
                error.message,
                r"1 validation error detected: Value at 'tagKeys' failed to satisfy constraint: Member must satisfy constraint: [Member must have length less than or equal to 128, Member must have length greater than or equal to 1, Member must satisfy regular expression pattern: [\p{L}\p{Z}\p{N}_.:/=+\-@]+, Member must not be null]"
            );
        }
    }
}

#[test]
fn missing_required_members_are_null() {
    assert_eq!(
        message(iam(), "CreateUser", &[]),
        "1 validation error detected: Value null at 'userName' failed to satisfy constraint: Member must not be null"
    );
    let got = message(sts(), "AssumeRole", &[]);
    assert!(got.starts_with("2 validation errors detected: "), "{got}");
    assert!(
        got.contains(
            "Value null at 'roleArn' failed to satisfy constraint: Member must not be null"
        ),
        "{got}"
    );
    assert!(
        got.contains(
            "Value null at 'roleSessionName' failed to satisfy constraint: Member must not be null"
        ),
        "{got}"
    );
}
