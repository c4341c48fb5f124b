//! A node whose snapshot fell behind the store's compaction horizon can no
//! longer learn of the deletions it missed from the revision log; its next
//! refresh reloads in full and converges to a fresh rebuild.

mod support;

use support::{World, ACCOUNT};
use tessera_iam::snapshot::SnapshotCell;

const ALLOW: &str =
    r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}"#;

fn canonical_rebuild(world: &World) -> String {
    let rebuilt = SnapshotCell::new(world.kek.clone());
    rebuilt.refresh(world.store.as_ref()).expect("rebuild");
    rebuilt.load().canonical()
}

#[test]
fn a_node_behind_the_compaction_horizon_reloads_and_matches_a_rebuild() {
    let world = World::new(41);
    for name in ["kept", "doomed", "also-doomed"] {
        world.ok("CreateUser", &[("UserName", name)]);
        world.ok(
            "PutUserPolicy",
            &[
                ("UserName", name),
                ("PolicyName", "s3"),
                ("PolicyDocument", ALLOW),
            ],
        );
    }
    world.ok("CreateGroup", &[("GroupName", "team")]);
    world.ok(
        "AddUserToGroup",
        &[("GroupName", "team"), ("UserName", "doomed")],
    );
    world.ok("CreateAccessKey", &[("UserName", "doomed")]);

    // Node B loads now and then stops refreshing.
    let behind = SnapshotCell::new(world.kek.clone());
    let old = behind.refresh(world.store.as_ref()).expect("first load");
    assert!(behind.load().user_by_name(ACCOUNT, "doomed").is_some());

    // Node A deletes, and compaction forgets those deletions.
    let keys = world.ok("ListAccessKeys", &[("UserName", "doomed")]);
    let key_id = keys["AccessKeyMetadata"][0]["AccessKeyId"]
        .as_str()
        .expect("a key id")
        .to_string();
    world.ok(
        "DeleteAccessKey",
        &[("UserName", "doomed"), ("AccessKeyId", &key_id)],
    );
    world.ok(
        "RemoveUserFromGroup",
        &[("GroupName", "team"), ("UserName", "doomed")],
    );
    for name in ["doomed", "also-doomed"] {
        world.ok(
            "DeleteUserPolicy",
            &[("UserName", name), ("PolicyName", "s3")],
        );
        world.ok("DeleteUser", &[("UserName", name)]);
    }
    world.ok("DeleteGroup", &[("GroupName", "team")]);
    world.ok("CreateUser", &[("UserName", "newcomer")]);
    let horizon = world.store.changes_since(0).expect("read").revision;
    assert_eq!(world.store.compact(horizon).expect("compact"), horizon);
    assert!(
        world.store.changes_since(old).expect("read").full,
        "the store did not report node B as behind the horizon"
    );

    let now = behind.refresh(world.store.as_ref()).expect("catching up");
    assert_eq!(now, horizon);
    let snapshot = behind.load();
    assert!(snapshot.user_by_name(ACCOUNT, "doomed").is_none());
    assert!(snapshot.user_by_name(ACCOUNT, "also-doomed").is_none());
    assert!(snapshot.user_by_name(ACCOUNT, "newcomer").is_some());
    assert!(snapshot.access_key(&key_id).is_none());
    assert_eq!(snapshot.canonical(), canonical_rebuild(&world));

    // Node A, which kept up, converges too, and later deltas still apply.
    world.assert_snapshot_matches_rebuild();
    world.ok("DeleteUser", &[("UserName", "newcomer")]);
    behind.refresh(world.store.as_ref()).expect("a delta");
    assert!(behind.load().user_by_name(ACCOUNT, "newcomer").is_none());
    assert_eq!(behind.load().canonical(), canonical_rebuild(&world));
}
