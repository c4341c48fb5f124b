//! A store written by the earlier user-only layout comes up with every
//! user, tag, inline policy and access key intact.

mod support;

use support::{World, ACCOUNT};
use tessera_iam::snapshot::SnapshotCell;

#[test]
fn users_of_the_first_layout_move_to_id_keyed_records_with_everything_they_had() {
    let world = World::new(21);
    // A user as layout 1 wrote it, and its key (owned by the user id).
    let old = serde_json::json!({
        "user_id": "AIDAOLDLAYOUTUSER0001",
        "account_id": ACCOUNT,
        "name": "Legacy",
        "path": "/old/",
        "created": 1_600_000_000,
        "tags": [{"key": "team", "value": "blue"}],
        "inline_policies": {"p": r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"*"}}"#},
    });
    tessera_store::write(world.store.as_ref(), |tx| {
        tx.put(
            "user",
            &format!("{ACCOUNT}/legacy"),
            &serde_json::to_vec(&old).expect("encode"),
        )?;
        tx.put(
            "userid",
            "AIDAOLDLAYOUTUSER0001",
            format!("{ACCOUNT}/legacy").as_bytes(),
        )?;
        Ok::<_, tessera_store::Outcome<()>>(())
    })
    .expect("write layout 1");

    assert_eq!(
        tessera_iam::upgrade::upgrade(world.store.as_ref()).expect("upgrade"),
        1
    );
    // A second start finds nothing to move.
    let revision = world.store.changes_since(0).expect("read").revision;
    assert_eq!(
        tessera_iam::upgrade::upgrade(world.store.as_ref()).expect("again"),
        0
    );
    assert_eq!(
        world.store.changes_since(0).expect("read").revision,
        revision
    );

    world.assert_invariants();
    let cell = SnapshotCell::new(world.kek.clone());
    cell.refresh(world.store.as_ref()).expect("refresh");
    let snapshot = cell.load();
    let user = snapshot
        .user_by_name(ACCOUNT, "LEGACY")
        .expect("found by name");
    assert_eq!(user.core.id, "AIDAOLDLAYOUTUSER0001");
    assert_eq!(
        user.arn(),
        format!("arn:aws:iam::{ACCOUNT}:user/old/Legacy")
    );
    assert_eq!(user.core.tags[0].value, "blue");
    assert_eq!(
        snapshot
            .user_policies(&user.core.id)
            .map(|p| p.identity.len()),
        Some(1)
    );
    let old_entries = tessera_store::read(world.store.as_ref(), |tx| {
        Ok(tx.count("user", "")? + tx.count("userid", "")?)
    })
    .expect("count");
    assert_eq!(old_entries, 0);
}
