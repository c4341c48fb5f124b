//! The operations, in process, on an in-memory SQLite store: the invariants
//! that end-to-end tests can only see from outside.

mod support;

use std::sync::Arc;

use serde_json::{json, Value};
use support::{World as Support, ACCOUNT};
use tessera_iam::authz::{authorize, Decision};
use tessera_iam::bootstrap;
use tessera_iam::caller::Caller;
use tessera_iam::ops::{self, Service};

/// The shared world, called with decoded JSON inputs.
struct World(Support);

impl std::ops::Deref for World {
    type Target = Support;
    fn deref(&self) -> &Support {
        &self.0
    }
}

impl World {
    fn new() -> World {
        World(Support::new(42))
    }

    fn root() -> Caller {
        Support::root()
    }

    fn call(
        &self,
        caller: &Caller,
        name: &str,
        input: Value,
    ) -> Result<Value, tessera_iam::IamError> {
        self.0.call_json(caller, name, input)
    }
}

#[test]
fn bootstrap_is_idempotent_and_keeps_the_first_account() {
    let world = World::new();
    let again = bootstrap::ensure_default_account(
        world.store.as_ref(),
        "999999999999",
        1_800_000_000,
        &world.random,
        &world.kek,
    )
    .expect("second bootstrap");
    assert_eq!(again.account_id, ACCOUNT);
    assert!(again.new_root_key.is_none());
}

#[test]
fn secrets_are_never_stored_in_plaintext() {
    let world = World::new();
    world
        .call(&World::root(), "CreateUser", json!({"UserName": "alice"}))
        .expect("create user");
    let created = world
        .call(
            &World::root(),
            "CreateAccessKey",
            json!({"UserName": "alice"}),
        )
        .expect("create key");
    let secret = created["AccessKey"]["SecretAccessKey"]
        .as_str()
        .expect("secret")
        .to_string();
    let stored = world.all_stored_bytes();
    for needle in [secret.as_bytes(), world.root_secret.as_bytes()] {
        assert!(
            !stored.windows(needle.len()).any(|w| w == needle),
            "a secret was found in the store"
        );
    }
    // The snapshot opened it, so the key can sign.
    let key_id = created["AccessKey"]["AccessKeyId"].as_str().expect("id");
    let entry = world
        .cell
        .load()
        .access_key(key_id)
        .cloned()
        .expect("key in snapshot");
    assert_eq!(entry.secret.expose(), secret);
}

#[test]
fn racing_create_access_key_never_leaves_three_keys() {
    let world = Arc::new(World::new());
    world
        .call(&World::root(), "CreateUser", json!({"UserName": "racer"}))
        .expect("create user");
    let threads: Vec<_> = (0..8)
        .map(|_| {
            let world = Arc::clone(&world);
            std::thread::spawn(move || {
                world
                    .call(
                        &World::root(),
                        "CreateAccessKey",
                        json!({"UserName": "racer"}),
                    )
                    .map(|_| ())
                    .map_err(|e| e.code)
            })
        })
        .collect();
    let outcomes: Vec<_> = threads
        .into_iter()
        .map(|t| t.join().expect("thread"))
        .collect();
    assert_eq!(outcomes.iter().filter(|o| o.is_ok()).count(), 2);
    assert!(outcomes
        .iter()
        .all(|o| o.is_ok() || *o == Err("LimitExceeded")));
    let listed = world
        .call(
            &World::root(),
            "ListAccessKeys",
            json!({"UserName": "racer"}),
        )
        .expect("list");
    assert_eq!(
        listed["AccessKeyMetadata"].as_array().map(Vec::len),
        Some(2)
    );
}

#[test]
fn a_refused_write_changes_nothing() {
    let world = World::new();
    world
        .call(&World::root(), "CreateUser", json!({"UserName": "bob"}))
        .expect("create");
    let before = world.store.changes_since(0).expect("read").revision;
    let err = world
        .call(&World::root(), "CreateUser", json!({"UserName": "BOB"}))
        .expect_err("duplicate");
    assert_eq!(err.code, "EntityAlreadyExists");
    let err = world
        .call(
            &World::root(),
            "PutUserPolicy",
            json!({"UserName": "bob", "PolicyName": "p", "PolicyDocument": "{"}),
        )
        .expect_err("malformed");
    assert_eq!(err.code, "MalformedPolicyDocument");
    assert_eq!(world.store.changes_since(0).expect("read").revision, before);
}

#[test]
fn deleted_users_leave_the_snapshot_and_their_policies_with_them() {
    let world = World::new();
    let user = world
        .call(&World::root(), "CreateUser", json!({"UserName": "carol"}))
        .expect("create");
    let user_id = user["User"]["UserId"].as_str().expect("id").to_string();
    world
        .call(
            &World::root(),
            "PutUserPolicy",
            json!({"UserName": "carol", "PolicyName": "p",
                   "PolicyDocument": r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"*"}}"#}),
        )
        .expect("policy");
    assert_eq!(
        world
            .cell
            .load()
            .user_policies(&user_id)
            .map(|p| p.identity.len()),
        Some(1)
    );
    let conflict = world
        .call(&World::root(), "DeleteUser", json!({"UserName": "carol"}))
        .expect_err("has a policy");
    assert_eq!(
        conflict.message,
        "Cannot delete entity, must delete policies first."
    );
    world
        .call(
            &World::root(),
            "DeleteUserPolicy",
            json!({"UserName": "carol", "PolicyName": "p"}),
        )
        .expect("delete policy");
    world
        .call(&World::root(), "DeleteUser", json!({"UserName": "carol"}))
        .expect("delete user");
    let snapshot = world.cell.load();
    assert!(snapshot.user_by_name(ACCOUNT, "carol").is_none());
    assert!(snapshot.user_by_id(&user_id).is_none());
    assert!(snapshot.user_policies(&user_id).is_none());
}

fn decide(world: &World, caller: &Caller, operation: &str, input: Value) -> Decision {
    let op = ops::find(Service::Iam, operation).expect("implemented");
    let snapshot = world.cell.load();
    let target = op.target(&snapshot, caller, &input);
    authorize(&snapshot, caller, op, &target, &Support::facts())
}

#[test]
fn identity_policies_decide_with_conditions_and_explicit_deny_wins() {
    let world = World::new();
    let user = world
        .call(
            &World::root(),
            "CreateUser",
            json!({"UserName": "dave", "Tags": [{"Key": "team", "Value": "blue"}]}),
        )
        .expect("create");
    let dave = Caller::User {
        account: ACCOUNT.into(),
        partition: "aws".into(),
        user_id: user["User"]["UserId"].as_str().expect("id").into(),
        name: "dave".into(),
        path: "/".into(),
        session: None,
    };
    assert!(matches!(
        decide(&world, &dave, "ListUsers", json!({})),
        Decision::Deny { .. }
    ));
    let put = |name: &str, doc: &str| {
        world
            .call(
                &World::root(),
                "PutUserPolicy",
                json!({"UserName": "dave", "PolicyName": name, "PolicyDocument": doc}),
            )
            .expect("put policy");
    };
    put(
        "by-ip-and-tag",
        r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"iam:List*","Resource":"*",
            "Condition":{"IpAddress":{"aws:SourceIp":"192.0.2.0/24"},"StringEquals":{"aws:PrincipalTag/team":"blue"}}}}"#,
    );
    assert_eq!(
        decide(&world, &dave, "ListUsers", json!({})),
        Decision::Allow
    );
    put(
        "deny-keys",
        r#"{"Version":"2012-10-17","Statement":{"Effect":"Deny","Action":"iam:ListAccessKeys","Resource":"*"}}"#,
    );
    match decide(&world, &dave, "ListAccessKeys", json!({})) {
        Decision::Deny { message, denial } => {
            assert!(
                message.ends_with("with an explicit deny in an identity-based policy"),
                "{message}"
            );
            // The operator's log names the deciding statement: the policy and,
            // without a Sid, the statement's position.
            assert!(denial.explicit);
            assert_eq!(
                denial.policy_type,
                Some(tessera_policy::PolicyType::Identity)
            );
            assert_eq!(denial.statement.as_deref(), Some("deny-keys/#0"));
            assert_eq!(denial.decision(), "explicitDeny");
        }
        Decision::Allow => panic!("explicit deny must win"),
    }
    assert_eq!(
        decide(&world, &dave, "ListUsers", json!({})),
        Decision::Allow
    );
}

#[test]
fn resource_tags_of_the_target_user_reach_conditions() {
    let world = World::new();
    let admin = world
        .call(&World::root(), "CreateUser", json!({"UserName": "erin"}))
        .expect("create");
    world
        .call(
            &World::root(),
            "CreateUser",
            json!({"UserName": "blue", "Tags": [{"Key": "team", "Value": "blue"}]}),
        )
        .expect("create");
    world
        .call(
            &World::root(),
            "CreateUser",
            json!({"UserName": "red", "Tags": [{"Key": "team", "Value": "red"}]}),
        )
        .expect("create");
    world
        .call(
            &World::root(),
            "PutUserPolicy",
            json!({"UserName": "erin", "PolicyName": "blue-only", "PolicyDocument":
                r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"iam:GetUser","Resource":"*",
                    "Condition":{"StringEquals":{"aws:ResourceTag/team":"blue"}}}}"#}),
        )
        .expect("policy");
    let erin = Caller::User {
        account: ACCOUNT.into(),
        partition: "aws".into(),
        user_id: admin["User"]["UserId"].as_str().expect("id").into(),
        name: "erin".into(),
        path: "/".into(),
        session: None,
    };
    assert_eq!(
        decide(&world, &erin, "GetUser", json!({"UserName": "blue"})),
        Decision::Allow
    );
    assert!(matches!(
        decide(&world, &erin, "GetUser", json!({"UserName": "red"})),
        Decision::Deny { .. }
    ));
}

#[test]
fn renaming_to_a_name_that_sorts_first_keeps_the_user_and_its_policies() {
    let world = World::new();
    let created = world
        .call(&World::root(), "CreateUser", json!({"UserName": "zed"}))
        .expect("create");
    let user_id = created["User"]["UserId"].as_str().expect("id").to_string();
    world
        .call(
            &World::root(),
            "PutUserPolicy",
            json!({"UserName": "zed", "PolicyName": "p", "PolicyDocument":
                r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"*"}}"#}),
        )
        .expect("policy");
    world
        .call(
            &World::root(),
            "UpdateUser",
            json!({"UserName": "zed", "NewUserName": "amy", "NewPath": "/ops/"}),
        )
        .expect("rename");
    let snapshot = world.cell.load();
    assert!(snapshot.user_by_name(ACCOUNT, "zed").is_none());
    let renamed = snapshot.user_by_id(&user_id).expect("still known by id");
    assert_eq!(
        (renamed.core.name.as_str(), renamed.core.path.as_str()),
        ("amy", "/ops/")
    );
    assert_eq!(
        snapshot.user_policies(&user_id).map(|p| p.identity.len()),
        Some(1)
    );
    let taken = world
        .call(&World::root(), "CreateUser", json!({"UserName": "bea"}))
        .and_then(|_| {
            world.call(
                &World::root(),
                "UpdateUser",
                json!({"UserName": "amy", "NewUserName": "BEA"}),
            )
        })
        .expect_err("name taken");
    assert_eq!(taken.message, "User with name BEA already exists.");
}

#[test]
fn every_write_and_every_refusal_reaches_the_audit_hook() {
    let world = World::new();
    world
        .call(&World::root(), "CreateUser", json!({"UserName": "audited"}))
        .expect("create");
    let user = world
        .cell
        .load()
        .user_by_name(ACCOUNT, "audited")
        .map(|u| u.core.id.clone());
    let caller = Caller::User {
        account: ACCOUNT.into(),
        partition: "aws".into(),
        user_id: user.expect("user"),
        name: "audited".into(),
        path: "/".into(),
        session: None,
    };
    let denied = world
        .call(&caller, "DeleteUser", json!({"UserName": "audited"}))
        .expect_err("no policy allows it");
    assert_eq!(denied.code, "AccessDenied");
    let _ = world.call(&World::root(), "GetRole", json!({"RoleName": "none"}));
    let events = world.audit.0.lock().expect("lock").clone();
    assert_eq!(
        events,
        [
            format!("CreateUser Succeeded arn:aws:iam::{ACCOUNT}:user/audited by arn:aws:iam::{ACCOUNT}:root"),
            format!("DeleteUser Denied arn:aws:iam::{ACCOUNT}:user/audited by arn:aws:iam::{ACCOUNT}:user/audited"),
            format!("GetRole Failed(\"NoSuchEntity\") arn:aws:iam::{ACCOUNT}:role/none by arn:aws:iam::{ACCOUNT}:root"),
        ]
    );
}

/// A document laid out as people write them, with four-space indentation.
const PRETTY: &str = "{\n    \"Version\": \"2012-10-17\",\n    \"Statement\": [\n        {\n            \"Effect\": \"Allow\",\n            \"Action\": \"s3:GetObject\",\n            \"Resource\": \"*\"\n        }\n    ]\n}\n";

const PRETTY_TRUST: &str = "{\n    \"Version\": \"2012-10-17\",\n    \"Statement\": [\n        {\n            \"Effect\": \"Allow\",\n            \"Principal\": {\"Service\": \"ec2.amazonaws.com\"},\n            \"Action\": \"sts:AssumeRole\"\n        }\n    ]\n}\n";

#[test]
fn stored_policy_documents_come_back_verbatim_with_their_layout() {
    let world = World::new();
    let root = World::root();
    world
        .call(&root, "CreateUser", json!({"UserName": "pretty"}))
        .unwrap();
    world
        .call(
            &root,
            "PutUserPolicy",
            json!({"UserName": "pretty", "PolicyName": "p", "PolicyDocument": PRETTY}),
        )
        .unwrap();
    let got = world
        .call(
            &root,
            "GetUserPolicy",
            json!({"UserName": "pretty", "PolicyName": "p"}),
        )
        .unwrap();
    assert_eq!(
        got["PolicyDocument"],
        json!(tessera_iam::policies::url_encode_document(PRETTY))
    );
}

#[test]
fn whitespace_padding_cannot_store_more_than_a_small_multiple_of_the_counted_size() {
    let world = World::new();
    let root = World::root();
    world
        .call(&root, "CreateUser", json!({"UserName": "padded"}))
        .unwrap();
    // 131,072 characters, as the model allows, of which 114 count.
    let padded = format!("{PRETTY}{}", " ".repeat(131_072 - PRETTY.len()));
    let trust = format!("{PRETTY_TRUST}{}", "\n".repeat(100_000));
    let refusals = [
        world.call(
            &root,
            "PutUserPolicy",
            json!({"UserName": "padded", "PolicyName": "p", "PolicyDocument": padded}),
        ),
        world.call(
            &root,
            "CreatePolicy",
            json!({"PolicyName": "padded", "PolicyDocument": padded}),
        ),
        world.call(
            &root,
            "CreateRole",
            json!({"RoleName": "padded", "AssumeRolePolicyDocument": trust}),
        ),
    ];
    for refused in refusals {
        let error = refused.unwrap_err();
        assert_eq!(error.code, "MalformedPolicyDocument");
        assert!(error.message.contains("whitespace"), "{}", error.message);
    }

    // At the bound the document is stored: four whitespace characters per
    // counted one, and the fixed allowance.
    let counted = tessera_policy::policy_size(PRETTY);
    let layout = PRETTY.len() - counted;
    let at_bound = format!(
        "{PRETTY}{}",
        " ".repeat(
            counted * tessera_iam::policies::WHITESPACE_PER_COUNTED_CHARACTER
                + tessera_iam::policies::WHITESPACE_ALLOWANCE
                - layout
        )
    );
    world
        .call(
            &root,
            "PutUserPolicy",
            json!({"UserName": "padded", "PolicyName": "p", "PolicyDocument": at_bound}),
        )
        .unwrap();
    let over = format!("{at_bound} ");
    assert!(world
        .call(
            &root,
            "PutUserPolicy",
            json!({"UserName": "padded", "PolicyName": "q", "PolicyDocument": over}),
        )
        .is_err());
}

#[test]
fn an_encoded_authorization_message_decodes_for_its_account_and_nothing_else_does() {
    use tessera_iam::authorization_message::{encode, AuthorizationDetails};
    let world = World::new();
    let details = AuthorizationDetails {
        allowed: false,
        explicit_deny: false,
        matched: Vec::new(),
        principal_id: "AIDAEXAMPLE".into(),
        principal_arn: format!("arn:aws:iam::{ACCOUNT}:user/bob"),
        action: "s3:GetObject".into(),
        resource: "arn:aws:s3:::reports/q1.csv".into(),
        conditions: vec![("aws:SecureTransport".into(), vec!["true".into()])],
    };
    let encoded = encode(&world.kek, &world.random, ACCOUNT, &details);
    let operation = ops::find(Service::Sts, "DecodeAuthorizationMessage").expect("implemented");
    let decode = |message: &str| {
        world.domain().call(
            &World::root(),
            operation,
            &json!({ "EncodedMessage": message }),
            &Support::facts(),
        )
    };
    let decoded = decode(&encoded).expect("decoded");
    let document: Value =
        serde_json::from_str(decoded["DecodedMessage"].as_str().unwrap()).unwrap();
    assert_eq!(document["allowed"], false);
    assert_eq!(
        document["context"]["resource"],
        "arn:aws:s3:::reports/q1.csv"
    );
    let other_account = encode(&world.kek, &world.random, "210987654321", &details);
    for refused in [other_account.as_str(), "AAAA", &encoded[1..]] {
        let error = decode(refused).unwrap_err();
        assert_eq!(error.code, "InvalidAuthorizationMessageException");
    }
}

#[test]
fn a_decision_over_its_work_budget_is_left_undecided_and_decided_the_same_without_one() {
    use tessera_iam::authz::{authorize_within, OverBudget};
    let world = World::new();
    let user = world
        .call(&World::root(), "CreateUser", json!({"UserName": "erin"}))
        .expect("create");
    let erin = Caller::User {
        account: ACCOUNT.into(),
        partition: "aws".into(),
        user_id: user["User"]["UserId"].as_str().expect("id").into(),
        name: "erin".into(),
        path: "/".into(),
        session: None,
    };
    let pattern = format!("*{}b*", "a?".repeat(900));
    let doc = json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "iam:GetUser",
        "Resource": "*", "Condition": {"StringLike": {"aws:UserAgent": pattern}}}]});
    world
        .call(
            &World::root(),
            "PutUserPolicy",
            json!({"UserName": "erin", "PolicyName": "agent", "PolicyDocument": doc.to_string()}),
        )
        .expect("put policy");
    let op = ops::find(Service::Iam, "GetUser").expect("implemented");
    let snapshot = world.cell.load();
    let target = op.target(&snapshot, &erin, &json!({}));
    let with_agent = |agent: String| tessera_iam::authz::RequestFacts {
        user_agent: Some(agent),
        ..Support::facts()
    };
    let budget = 200_000;
    // An ordinary User-Agent is decided within the budget.
    let short = with_agent("aws-cli/2".into());
    assert!(matches!(
        authorize_within(&snapshot, &erin, op, &target, &short, budget),
        Ok(Decision::Deny { .. })
    ));
    // A long one is not decided at all within it, and is decided without.
    for (agent, allowed) in [
        (format!("{}b", "a".repeat(60_000)), true),
        ("a".repeat(60_000), false),
    ] {
        let facts = with_agent(agent);
        assert_eq!(
            authorize_within(&snapshot, &erin, op, &target, &facts, budget),
            Err(OverBudget)
        );
        let decided = authorize(&snapshot, &erin, op, &target, &facts);
        assert_eq!(decided == Decision::Allow, allowed, "{decided:?}");
    }
}
