//! The AWS SDK for Rust against the real `tessera` binary, on both stores.

use aws_credential_types::Credentials;
use aws_sdk_iam::error::ProvideErrorMetadata;
use tessera_e2e::{Backend, TesseraProcess, ACCOUNT_ID};

fn user_credentials(key: &aws_sdk_iam::types::AccessKey) -> Credentials {
    Credentials::new(
        key.access_key_id(),
        key.secret_access_key(),
        None,
        None,
        "tessera-user",
    )
}

async fn root_identity_is_the_account_root(backend: Backend) {
    let server = TesseraProcess::start(backend);
    let sts = server.sts(server.root_credentials()).await;
    let who = sts
        .get_caller_identity()
        .send()
        .await
        .expect("GetCallerIdentity");
    assert_eq!(who.account(), Some(ACCOUNT_ID));
    assert_eq!(
        who.arn(),
        Some(format!("arn:aws:iam::{ACCOUNT_ID}:root").as_str())
    );
}

async fn user_lifecycle_with_keys_and_denial(backend: Backend) {
    let server = TesseraProcess::start(backend);
    let iam = server.iam(server.root_credentials()).await;

    let user = iam
        .create_user()
        .user_name("alice")
        .path("/engineering/")
        .send()
        .await
        .expect("CreateUser")
        .user
        .expect("user in response");
    assert!(user.user_id().starts_with("AIDA"));
    assert_eq!(
        user.arn(),
        format!("arn:aws:iam::{ACCOUNT_ID}:user/engineering/alice")
    );

    let duplicate = iam.create_user().user_name("ALICE").send().await;
    let err = duplicate.expect_err("names are unique case-insensitively");
    assert_eq!(err.code(), Some("EntityAlreadyExists"));

    let got = iam
        .get_user()
        .user_name("alice")
        .send()
        .await
        .expect("GetUser");
    assert_eq!(got.user.expect("user").user_name(), "alice");

    let key = iam
        .create_access_key()
        .user_name("alice")
        .send()
        .await
        .expect("CreateAccessKey")
        .access_key
        .expect("key");
    assert!(key.access_key_id().starts_with("AKIA"));
    iam.create_access_key()
        .user_name("alice")
        .send()
        .await
        .expect("second key");
    let third = iam.create_access_key().user_name("alice").send().await;
    let err = third.expect_err("quota of two keys");
    assert_eq!(err.code(), Some("LimitExceeded"));
    assert_eq!(
        err.message(),
        Some("Cannot exceed quota for AccessKeysPerUser: 2")
    );

    let alice_sts = server.sts(user_credentials(&key)).await;
    let who = alice_sts
        .get_caller_identity()
        .send()
        .await
        .expect("alice's identity");
    assert_eq!(
        who.arn(),
        Some(format!("arn:aws:iam::{ACCOUNT_ID}:user/engineering/alice").as_str())
    );
    assert_eq!(who.user_id(), Some(user.user_id()));

    let alice_iam = server.iam(user_credentials(&key)).await;
    let denied = alice_iam
        .list_users()
        .send()
        .await
        .expect_err("no policy allows it");
    assert_eq!(denied.code(), Some("AccessDenied"));
    assert_eq!(
        denied.message(),
        Some(format!(
            "User: arn:aws:iam::{ACCOUNT_ID}:user/engineering/alice is not authorized to perform: iam:ListUsers on resource: arn:aws:iam::{ACCOUNT_ID}:user/ because no identity-based policy allows the iam:ListUsers action"
        ).as_str())
    );

    let conflict = iam.delete_user().user_name("alice").send().await;
    assert_eq!(
        conflict.expect_err("user has keys").code(),
        Some("DeleteConflict")
    );

    let keys = iam
        .list_access_keys()
        .user_name("alice")
        .send()
        .await
        .expect("ListAccessKeys");
    assert_eq!(keys.access_key_metadata().len(), 2);
    for k in keys.access_key_metadata() {
        iam.delete_access_key()
            .user_name("alice")
            .access_key_id(k.access_key_id().expect("id"))
            .send()
            .await
            .expect("DeleteAccessKey");
    }
    let after_delete = alice_sts.get_caller_identity().send().await;
    assert_eq!(
        after_delete.expect_err("deleted key").code(),
        Some("InvalidClientTokenId")
    );
    iam.delete_user()
        .user_name("alice")
        .send()
        .await
        .expect("DeleteUser");
    let gone = iam.get_user().user_name("alice").send().await;
    assert_eq!(gone.expect_err("deleted").code(), Some("NoSuchEntity"));
}

async fn wrong_secret_is_refused(backend: Backend) {
    let server = TesseraProcess::start(backend);
    let root = server.root_credentials();
    let wrong = Credentials::new(
        root.access_key_id(),
        "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        None,
        None,
        "wrong",
    );
    let err = server
        .sts(wrong)
        .await
        .get_caller_identity()
        .send()
        .await
        .expect_err("bad signature");
    assert_eq!(err.code(), Some("SignatureDoesNotMatch"));
}

async fn list_users_paginates(backend: Backend) {
    let server = TesseraProcess::start(backend);
    let iam = server.iam(server.root_credentials()).await;
    for i in 0..25 {
        iam.create_user()
            .user_name(format!("p{i:02}"))
            .send()
            .await
            .expect("CreateUser");
    }
    let mut names = Vec::new();
    let mut pages = iam.list_users().max_items(10).into_paginator().send();
    let mut page_count = 0;
    while let Some(page) = pages.next().await {
        let page = page.expect("page");
        page_count += 1;
        names.extend(page.users().iter().map(|u| u.user_name().to_string()));
    }
    assert_eq!(page_count, 3);
    let expected: Vec<String> = (0..25).map(|i| format!("p{i:02}")).collect();
    assert_eq!(names, expected);
}

/// The document of a policy as IAM returns it (URL-encoded JSON), decoded.
fn url_decoded(encoded: &str) -> String {
    let bytes = encoded.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).expect("ASCII escape");
            out.push(u8::from_str_radix(hex, 16).expect("hex escape"));
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).expect("UTF-8 document")
}

/// `json` without the whitespace outside its strings.
fn compact(json: &str) -> String {
    let mut out = String::with_capacity(json.len());
    let (mut in_string, mut escaped) = (false, false);
    for c in json.chars() {
        if in_string {
            out.push(c);
            match (escaped, c) {
                (true, _) => escaped = false,
                (false, '\\') => escaped = true,
                (false, '"') => in_string = false,
                _ => {}
            }
        } else if c == '"' {
            in_string = true;
            out.push(c);
        } else if !c.is_whitespace() {
            out.push(c);
        }
    }
    out
}

async fn group_policy_and_role_lifecycle(backend: Backend) {
    const GROUP_DOC: &str = r#"{"Version":"2012-10-17","Statement":[{"Sid":"ReadIdentities","Effect":"Allow","Action":["iam:ListUsers","iam:GetGroup"],"Resource":"*"}]}"#;
    const TRUST_DOC: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#;
    const LAMBDA_BASIC: &str = "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole";
    let server = TesseraProcess::start(backend);
    let iam = server.iam(server.root_credentials()).await;

    let group = iam
        .create_group()
        .group_name("dev")
        .path("/teams/")
        .send()
        .await
        .expect("CreateGroup")
        .group
        .expect("group");
    assert!(group.group_id().starts_with("AGPA"));
    assert_eq!(
        group.arn(),
        format!("arn:aws:iam::{ACCOUNT_ID}:group/teams/dev")
    );
    let user = iam
        .create_user()
        .user_name("dora")
        .send()
        .await
        .expect("CreateUser")
        .user
        .expect("user");
    iam.add_user_to_group()
        .group_name("dev")
        .user_name("dora")
        .send()
        .await
        .expect("AddUserToGroup");

    let policy = iam
        .create_policy()
        .policy_name("dev-read-identities")
        .policy_document(GROUP_DOC)
        .send()
        .await
        .expect("CreatePolicy")
        .policy
        .expect("policy");
    let policy_arn = policy.arn().expect("policy ARN").to_string();
    assert_eq!(
        policy_arn,
        format!("arn:aws:iam::{ACCOUNT_ID}:policy/dev-read-identities")
    );
    assert_eq!(policy.default_version_id(), Some("v1"));
    assert_eq!(policy.attachment_count(), Some(0));
    iam.attach_group_policy()
        .group_name("dev")
        .policy_arn(&policy_arn)
        .send()
        .await
        .expect("AttachGroupPolicy");

    let role = iam
        .create_role()
        .role_name("lambda-role")
        .assume_role_policy_document(TRUST_DOC)
        .send()
        .await
        .expect("CreateRole")
        .role
        .expect("role");
    assert!(role.role_id().starts_with("AROA"));
    iam.attach_role_policy()
        .role_name("lambda-role")
        .policy_arn(LAMBDA_BASIC)
        .send()
        .await
        .expect("AttachRolePolicy");

    // Read everything back.
    let got = iam
        .get_group()
        .group_name("dev")
        .send()
        .await
        .expect("GetGroup");
    assert_eq!(got.group().map(|g| g.group_id()), Some(group.group_id()));
    let members: Vec<(&str, &str)> = got
        .users()
        .iter()
        .map(|u| (u.user_name(), u.user_id()))
        .collect();
    assert_eq!(members, [("dora", user.user_id())]);
    assert!(!got.is_truncated());

    let attached = iam
        .list_attached_group_policies()
        .group_name("dev")
        .send()
        .await
        .expect("ListAttachedGroupPolicies");
    let attached: Vec<(Option<&str>, Option<&str>)> = attached
        .attached_policies()
        .iter()
        .map(|p| (p.policy_name(), p.policy_arn()))
        .collect();
    assert_eq!(
        attached,
        [(Some("dev-read-identities"), Some(policy_arn.as_str()))]
    );
    let got_policy = iam
        .get_policy()
        .policy_arn(&policy_arn)
        .send()
        .await
        .expect("GetPolicy")
        .policy
        .expect("policy");
    assert_eq!(got_policy.attachment_count(), Some(1));
    let version = iam
        .get_policy_version()
        .policy_arn(&policy_arn)
        .version_id("v1")
        .send()
        .await
        .expect("GetPolicyVersion")
        .policy_version
        .expect("version");
    assert_eq!(version.version_id(), Some("v1"));
    assert!(version.is_default_version());
    assert_eq!(
        compact(&url_decoded(version.document().expect("document"))),
        GROUP_DOC
    );

    let got_role = iam
        .get_role()
        .role_name("lambda-role")
        .send()
        .await
        .expect("GetRole")
        .role
        .expect("role");
    assert_eq!(got_role.role_id(), role.role_id());
    assert_eq!(
        got_role.arn(),
        format!("arn:aws:iam::{ACCOUNT_ID}:role/lambda-role")
    );
    assert_eq!(got_role.max_session_duration(), Some(3600));
    assert_eq!(
        compact(&url_decoded(
            got_role
                .assume_role_policy_document()
                .expect("trust policy")
        )),
        TRUST_DOC
    );
    let role_policies = iam
        .list_attached_role_policies()
        .role_name("lambda-role")
        .send()
        .await
        .expect("ListAttachedRolePolicies");
    let role_policies: Vec<Option<&str>> = role_policies
        .attached_policies()
        .iter()
        .map(|p| p.policy_arn())
        .collect();
    assert_eq!(role_policies, [Some(LAMBDA_BASIC)]);

    // The group's policy is in force for its member.
    let key = iam
        .create_access_key()
        .user_name("dora")
        .send()
        .await
        .expect("CreateAccessKey")
        .access_key
        .expect("key");
    let dora = server.iam(user_credentials(&key)).await;
    let listed = dora
        .list_users()
        .send()
        .await
        .expect("allowed by the group");
    assert_eq!(listed.users().len(), 1);

    // Clean up, meeting AWS's DeleteConflict answers in the wrong order.
    let err = iam
        .delete_policy()
        .policy_arn(&policy_arn)
        .send()
        .await
        .expect_err("policy is attached");
    assert_eq!(err.code(), Some("DeleteConflict"));
    assert_eq!(
        err.message(),
        Some("Cannot delete a policy attached to entities.")
    );
    let err = iam
        .delete_role()
        .role_name("lambda-role")
        .send()
        .await
        .expect_err("role has a policy");
    assert_eq!(err.code(), Some("DeleteConflict"));
    assert_eq!(
        err.message(),
        Some("Cannot delete entity, must detach all policies first.")
    );
    let err = iam
        .delete_group()
        .group_name("dev")
        .send()
        .await
        .expect_err("group has a member and a policy");
    assert_eq!(err.code(), Some("DeleteConflict"));

    iam.remove_user_from_group()
        .group_name("dev")
        .user_name("dora")
        .send()
        .await
        .expect("RemoveUserFromGroup");
    dora.list_users()
        .send()
        .await
        .expect_err("no longer a member");
    let err = iam
        .delete_group()
        .group_name("dev")
        .send()
        .await
        .expect_err("group has a policy");
    assert_eq!(err.code(), Some("DeleteConflict"));
    iam.detach_group_policy()
        .group_name("dev")
        .policy_arn(&policy_arn)
        .send()
        .await
        .expect("DetachGroupPolicy");
    iam.delete_group()
        .group_name("dev")
        .send()
        .await
        .expect("DeleteGroup");
    iam.detach_role_policy()
        .role_name("lambda-role")
        .policy_arn(LAMBDA_BASIC)
        .send()
        .await
        .expect("DetachRolePolicy");
    iam.delete_role()
        .role_name("lambda-role")
        .send()
        .await
        .expect("DeleteRole");
    iam.delete_policy()
        .policy_arn(&policy_arn)
        .send()
        .await
        .expect("DeletePolicy");

    let err = iam
        .get_group()
        .group_name("dev")
        .send()
        .await
        .expect_err("deleted");
    assert_eq!(err.code(), Some("NoSuchEntity"));
    assert_eq!(
        err.message(),
        Some("The group with name dev cannot be found.")
    );
    let err = iam
        .get_role()
        .role_name("lambda-role")
        .send()
        .await
        .expect_err("deleted");
    assert_eq!(
        err.message(),
        Some("The role with name lambda-role cannot be found.")
    );
    let groups = iam
        .list_groups_for_user()
        .user_name("dora")
        .send()
        .await
        .expect("ListGroupsForUser");
    assert!(groups.groups().is_empty());
    // AWS (recorded): GetPolicyVersion of a deleted policy names the version, as for a missing one.
    let err = iam
        .get_policy_version()
        .policy_arn(&policy_arn)
        .version_id("v1")
        .send()
        .await
        .expect_err("deleted");
    assert_eq!(err.code(), Some("NoSuchEntity"));
    assert_eq!(
        err.message(),
        Some(
            format!("Policy {policy_arn} version v1 does not exist or is not attachable.").as_str()
        )
    );
}

async fn assumed_role_session_reads_iam_but_cannot_write(backend: Backend) {
    const READ_ROLES: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:ListRoles","Resource":"*"}]}"#;
    let server = TesseraProcess::start(backend);
    let iam = server.iam(server.root_credentials()).await;
    let user = iam
        .create_user()
        .user_name("ursula")
        .send()
        .await
        .expect("CreateUser")
        .user
        .expect("user");
    let key = iam
        .create_access_key()
        .user_name("ursula")
        .send()
        .await
        .expect("CreateAccessKey")
        .access_key
        .expect("key");
    let trust = format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":{{"AWS":"{}"}},"Action":"sts:AssumeRole"}}]}}"#,
        user.arn()
    );
    let role = iam
        .create_role()
        .role_name("reader")
        .assume_role_policy_document(trust)
        .send()
        .await
        .expect("CreateRole")
        .role
        .expect("role");
    iam.put_role_policy()
        .role_name("reader")
        .policy_name("read-roles")
        .policy_document(READ_ROLES)
        .send()
        .await
        .expect("PutRolePolicy");

    // The user, with no policy of its own, assumes the role that trusts it.
    let assumed = server
        .sts(user_credentials(&key))
        .await
        .assume_role()
        .role_arn(role.arn())
        .role_session_name("sdk-session")
        .send()
        .await
        .expect("AssumeRole");
    let session_arn = format!("arn:aws:sts::{ACCOUNT_ID}:assumed-role/reader/sdk-session");
    let assumed_user = assumed.assumed_role_user().expect("AssumedRoleUser");
    assert_eq!(assumed_user.arn(), session_arn);
    assert_eq!(
        assumed_user.assumed_role_id(),
        format!("{}:sdk-session", role.role_id())
    );
    let issued = assumed.credentials().expect("Credentials");
    assert!(issued.access_key_id().starts_with("ASIA"));
    assert_eq!(issued.secret_access_key().len(), 40);
    let session = Credentials::new(
        issued.access_key_id(),
        issued.secret_access_key(),
        Some(issued.session_token().to_string()),
        None,
        "tessera-session",
    );

    let who = server
        .sts(session.clone())
        .await
        .get_caller_identity()
        .send()
        .await
        .expect("the session's identity");
    assert_eq!(who.arn(), Some(session_arn.as_str()));
    assert_eq!(who.account(), Some(ACCOUNT_ID));

    let session_iam = server.iam(session).await;
    let roles = session_iam
        .list_roles()
        .send()
        .await
        .expect("the role allows ListRoles");
    let names: Vec<&str> = roles.roles().iter().map(|r| r.role_name()).collect();
    assert_eq!(names, ["reader"]);
    let denied = session_iam
        .create_user()
        .user_name("intruder")
        .send()
        .await
        .expect_err("the role does not allow CreateUser");
    assert_eq!(denied.code(), Some("AccessDenied"));
    assert_eq!(
        denied.message(),
        Some(format!(
            "User: {session_arn} is not authorized to perform: iam:CreateUser on resource: arn:aws:iam::{ACCOUNT_ID}:user/intruder because no identity-based policy allows the iam:CreateUser action"
        ).as_str())
    );
    let users = iam.list_users().send().await.expect("ListUsers");
    let names: Vec<&str> = users.users().iter().map(|u| u.user_name()).collect();
    assert_eq!(names, ["ursula"]);
}

/// Runs each scenario once per store, as its own test.
macro_rules! on_both_stores {
    ($($scenario:ident),* $(,)?) => {
        mod sqlite {
            $(#[tokio::test]
            async fn $scenario() {
                super::$scenario(tessera_e2e::Backend::Sqlite).await;
            })*
        }
        mod postgres {
            $(#[tokio::test]
            async fn $scenario() {
                super::$scenario(tessera_e2e::Backend::Postgres).await;
            })*
        }
    };
}

on_both_stores!(
    root_identity_is_the_account_root,
    user_lifecycle_with_keys_and_denial,
    wrong_secret_is_refused,
    list_users_paginates,
    group_policy_and_role_lifecycle,
    assumed_role_session_reads_iam_but_cannot_write,
);
