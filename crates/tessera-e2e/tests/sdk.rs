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
);
