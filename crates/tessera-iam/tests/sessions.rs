//! Temporary credentials at the dispatch boundary: minted by `AssumeRole`,
//! resolved from the token alone, and used with the store unavailable.

mod support;

use serde_json::json;
use support::{World, ACCOUNT};
use tessera_iam::credentials::{self, Presented, Resolved, SessionCache};
use tessera_iam::dispatch::{Domain, NoAudit};
use tessera_iam::ops::{self, Service};
use tessera_iam::snapshot::SnapshotCell;
use tessera_store::{Backend, ChangeSet, StoreError, Transaction};

/// A store that is down: every call fails.
struct Unavailable;

impl Backend for Unavailable {
    fn kind(&self) -> &'static str {
        "unavailable"
    }
    fn read(
        &self,
        _: &mut dyn FnMut(&mut dyn Transaction) -> Result<(), StoreError>,
    ) -> Result<(), StoreError> {
        Err(StoreError::Backend("down".into()))
    }
    fn write(
        &self,
        _: &mut dyn FnMut(&mut dyn Transaction) -> Result<(), StoreError>,
    ) -> Result<(), StoreError> {
        Err(StoreError::Backend("down".into()))
    }
    fn changes_since(&self, _: u64) -> Result<ChangeSet, StoreError> {
        Err(StoreError::Backend("down".into()))
    }
}

/// A user `u` whose identity policy allows `sts:AssumeRole`, as a caller.
fn user_who_may_assume_roles(world: &World) -> tessera_iam::caller::Caller {
    world.ok("CreateUser", &[("UserName", "u")]);
    world.ok(
        "PutUserPolicy",
        &[
            ("UserName", "u"),
            ("PolicyName", "assume"),
            (
                "PolicyDocument",
                r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"*"}]}"#,
            ),
        ],
    );
    let snapshot = world.cell.load();
    let user = snapshot.user_by_name(ACCOUNT, "u").expect("user");
    tessera_iam::caller::Caller::User {
        account: ACCOUNT.into(),
        partition: "aws".into(),
        user_id: user.core.id.clone(),
        name: "u".into(),
        path: "/".into(),
        session: None,
    }
}

const TRUST: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:root"},"Action":"sts:AssumeRole"}]}"#;

#[test]
fn a_role_session_is_resolved_and_served_without_the_store() {
    let world = World::new(31);
    world.ok(
        "CreateRole",
        &[("RoleName", "r"), ("AssumeRolePolicyDocument", TRUST)],
    );
    let caller = user_who_may_assume_roles(&world);
    let snapshot = world.cell.load();
    let assume = ops::find(Service::Sts, "AssumeRole").expect("op");
    let answer = world
        .domain()
        .call(
            &caller,
            assume,
            &json!({"RoleArn": format!("arn:aws:iam::{ACCOUNT}:role/r"), "RoleSessionName": "s"}),
            &World::facts(),
        )
        .expect("assumed");
    let key = answer["Credentials"]["AccessKeyId"].as_str().expect("key");
    let token = answer["Credentials"]["SessionToken"]
        .as_str()
        .expect("token");
    let secret = answer["Credentials"]["SecretAccessKey"]
        .as_str()
        .expect("secret");

    // Resolution needs nothing but the snapshot's token keys.
    let cache = SessionCache::default();
    let presented = Presented {
        access_key_id: key,
        region: "us-east-1",
        service: "sts",
        session_token: Some(token),
        now: 1_700_000_200,
    };
    let Resolved::Key {
        caller: session,
        secret: derived,
    } = credentials::resolve(&snapshot, &presented, &cache)
    else {
        panic!("the session did not resolve");
    };
    assert_eq!(derived.expose(), secret);
    assert_eq!(
        session.arn(),
        format!("arn:aws:sts::{ACCOUNT}:assumed-role/r/s")
    );
    // The cache now holds the token and its secret; neither is shown.
    let shown = format!("{cache:?}");
    assert!(!shown.contains(token) && !shown.contains(secret), "{shown}");

    // The store is down; GetCallerIdentity answers all the same.
    let down = Unavailable;
    let domain = Domain {
        store: &down,
        cell: &world.cell,
        random: &world.random,
        kek: &world.kek,
        quotas: &world.quotas,
        usage: &support::NoUses,
        audit: &NoAudit,
        public_url: "http://127.0.0.1:7177",
    };
    let identity = domain
        .call(
            &session,
            ops::find(Service::Sts, "GetCallerIdentity").expect("op"),
            &json!({}),
            &World::facts(),
        )
        .expect("identity without the store");
    assert_eq!(
        identity["Arn"],
        json!(format!("arn:aws:sts::{ACCOUNT}:assumed-role/r/s"))
    );

    // Expired, tampered and foreign-key presentations are refused.
    let expired = Presented {
        now: 1_700_000_100 + 3_600,
        ..presented
    };
    assert!(matches!(
        credentials::resolve(&snapshot, &expired, &cache),
        Resolved::Expired
    ));
    // Changed far from its end, the tampered token has the cached token's
    // map key (its last characters): only the whole-text comparison tells
    // them apart.
    let mut bad = token.to_string();
    bad.replace_range(20..21, if &token[20..21] == "A" { "B" } else { "A" });
    let tampered = Presented {
        session_token: Some(&bad),
        ..presented
    };
    assert!(matches!(
        credentials::resolve(&snapshot, &tampered, &cache),
        Resolved::Refused
    ));
    let other_key = Presented {
        access_key_id: "ASIAAAAAAAAAAAAAAAAA",
        ..presented
    };
    assert!(matches!(
        credentials::resolve(&snapshot, &other_key, &cache),
        Resolved::Refused
    ));
    // A token seen before is refused by a snapshot whose token key is not
    // the one that sealed it, even under the same key id.
    let elsewhere = World::new(32);
    assert!(matches!(
        credentials::resolve(&elsewhere.cell.load(), &presented, &cache),
        Resolved::Refused
    ));
    // A session may not call IAM with credentials from GetSessionToken
    // without MFA; a role session may.
    let iam = Presented {
        service: "iam",
        ..presented
    };
    assert!(matches!(
        credentials::resolve(&snapshot, &iam, &cache),
        Resolved::Key { .. }
    ));
}

#[test]
fn tokens_sealed_before_a_key_rotation_still_open_and_new_ones_use_the_new_key() {
    let world = World::new(32);
    world.ok(
        "CreateRole",
        &[("RoleName", "r"), ("AssumeRolePolicyDocument", TRUST)],
    );
    let root = World::root();
    let assume = ops::find(Service::Sts, "AssumeRole").expect("op");
    let input =
        json!({"RoleArn": format!("arn:aws:iam::{ACCOUNT}:role/r"), "RoleSessionName": "s"});
    // The root may not assume roles; a user of the account may.
    let caller = user_who_may_assume_roles(&world);
    let snapshot = world.cell.load();
    assert!(world
        .domain()
        .call(&root, assume, &input, &World::facts())
        .is_err());
    let before = world
        .domain()
        .call(&caller, assume, &input, &World::facts())
        .expect("assumed");
    let old_key = snapshot.newest_token_key().expect("a key").key_id.clone();

    // A day later a node rotates; every node sees the new key.
    let later = 1_700_000_000 + tessera_iam::sessions::ROTATION_SECONDS + 1;
    assert!(tessera_iam::sessions::ensure_token_key(
        world.store.as_ref(),
        later,
        &world.random,
        &world.kek
    )
    .expect("rotate"));
    assert!(!tessera_iam::sessions::ensure_token_key(
        world.store.as_ref(),
        later,
        &world.random,
        &world.kek
    )
    .expect("once"));
    world.cell.refresh(world.store.as_ref()).expect("refresh");
    let snapshot = world.cell.load();
    let new_key = snapshot.newest_token_key().expect("a key").key_id.clone();
    assert_ne!(new_key, old_key);

    let cache = SessionCache::default();
    let presented = |answer: &serde_json::Value| {
        let key = answer["Credentials"]["AccessKeyId"]
            .as_str()
            .expect("key")
            .to_string();
        let token = answer["Credentials"]["SessionToken"]
            .as_str()
            .expect("token")
            .to_string();
        (key, token)
    };
    let (key, token) = presented(&before);
    let old = Presented {
        access_key_id: &key,
        region: "us-east-1",
        service: "sts",
        session_token: Some(&token),
        now: 1_700_000_200,
    };
    assert!(matches!(
        credentials::resolve(&snapshot, &old, &cache),
        Resolved::Key { .. }
    ));
    let after = world
        .domain()
        .call(&caller, assume, &input, &World::facts())
        .expect("assumed after the rotation");
    let (key, token) = presented(&after);
    let fresh = Presented {
        access_key_id: &key,
        region: "us-east-1",
        service: "sts",
        session_token: Some(&token),
        now: 1_700_000_200,
    };
    assert!(matches!(
        credentials::resolve(&snapshot, &fresh, &cache),
        Resolved::Key { .. }
    ));
    // The new token names the new key: the old snapshot cannot open it.
    let stale = SnapshotCell::new(world.kek.clone());
    tessera_store::write(world.store.as_ref(), |tx| {
        tx.delete("tokenkeys", &new_key)?;
        Ok::<_, tessera_store::Outcome<()>>(())
    })
    .expect("drop the new key");
    stale.refresh(world.store.as_ref()).expect("refresh");
    assert!(matches!(
        credentials::resolve(&stale.load(), &fresh, &cache),
        Resolved::Refused
    ));
}

/// Creates user `name` with an access key; answers the key's id.
fn user_with_key(world: &World, name: &str) -> String {
    world.ok("CreateUser", &[("UserName", name)]);
    let created = world.ok("CreateAccessKey", &[("UserName", name)]);
    created["AccessKey"]["AccessKeyId"]
        .as_str()
        .expect("an access key id")
        .to_string()
}

/// A long-term key presented for IAM, with no session token.
fn long_term(key: &str) -> Presented<'_> {
    Presented {
        access_key_id: key,
        region: "us-east-1",
        service: "iam",
        session_token: None,
        now: 1_700_000_200,
    }
}

/// The caller `key` resolves to in `snapshot`; a key that does not
/// resolve fails the test.
fn key_caller(
    snapshot: &tessera_iam::snapshot::Snapshot,
    key: &str,
    cache: &SessionCache,
) -> std::sync::Arc<tessera_iam::caller::Caller> {
    match credentials::resolve(snapshot, &long_term(key), cache) {
        Resolved::Key { caller, .. } => caller,
        other => panic!("the key did not resolve: {other:?}"),
    }
}

#[test]
fn a_long_term_keys_caller_is_kept_until_its_owners_names_change() {
    let world = World::new(37);
    let key = user_with_key(&world, "kept");
    let cache = SessionCache::default();
    let resolve = |snapshot: &tessera_iam::snapshot::Snapshot| key_caller(snapshot, &key, &cache);
    let before = world.cell.load();
    let first = resolve(&before);
    let second = resolve(&before);
    assert!(std::sync::Arc::ptr_eq(&first, &second));
    assert_eq!(first.arn(), format!("arn:aws:iam::{ACCOUNT}:user/kept"));

    // A write that does not touch the owner's names keeps the caller.
    world.ok("CreateUser", &[("UserName", "unrelated")]);
    world.ok(
        "TagUser",
        &[
            ("UserName", "kept"),
            ("Tags.member.1.Key", "k"),
            ("Tags.member.1.Value", "v"),
        ],
    );
    let unrelated = world.cell.load();
    assert_ne!(unrelated.revision(), before.revision());
    assert!(std::sync::Arc::ptr_eq(&first, &resolve(&unrelated)));

    world.ok(
        "UpdateUser",
        &[
            ("UserName", "kept"),
            ("NewUserName", "moved"),
            ("NewPath", "/p/"),
        ],
    );
    let after = world.cell.load();
    assert_eq!(
        resolve(&after).arn(),
        format!("arn:aws:iam::{ACCOUNT}:user/p/moved")
    );
    // The older snapshot still answers as it was.
    assert_eq!(
        resolve(&before).arn(),
        format!("arn:aws:iam::{ACCOUNT}:user/kept")
    );

    world.ok(
        "DeleteAccessKey",
        &[("UserName", "moved"), ("AccessKeyId", &key)],
    );
    assert!(matches!(
        credentials::resolve(&world.cell.load(), &long_term(&key), &cache),
        Resolved::Unknown
    ));
}

#[test]
fn a_caller_first_built_through_an_older_snapshot_does_not_reach_a_newer_one() {
    let world = World::new(38);
    let key = user_with_key(&world, "early");
    let cache = SessionCache::default();
    let arn = |snapshot: &tessera_iam::snapshot::Snapshot| key_caller(snapshot, &key, &cache).arn();
    // A request holds the older snapshot, and no request has used the key
    // yet, when the user is renamed.
    let older = world.cell.load();
    world.ok(
        "UpdateUser",
        &[("UserName", "early"), ("NewUserName", "renamed")],
    );
    let newer = world.cell.load();
    // That request builds the key's caller first, with the old name.
    assert_eq!(arn(&older), format!("arn:aws:iam::{ACCOUNT}:user/early"));
    assert_eq!(arn(&newer), format!("arn:aws:iam::{ACCOUNT}:user/renamed"));
}
