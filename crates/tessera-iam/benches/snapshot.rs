//! What one write costs the snapshot, as the number of entities grows.
//!
//! Workload: N users, each with one inline policy and a name entry, one
//! group per 100 users with every user a member, and one access key per
//! 10 users. The measured step applies a one-user change (a new inline
//! policy on one user: the record rewritten, its policies recompiled) to
//! the N-user snapshot, and drops the old snapshot, as a node does after
//! each write. The baseline in the same run is the layout Tessera had
//! before persistent maps: a full copy of std `HashMap`s of `Arc` records
//! per change (three maps of N entries), plus the same recompilation.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use criterion::{black_box, criterion_group, criterion_main, BatchSize, Criterion};
use tessera_iam::crypto::Kek;
use tessera_iam::edges::{self, Direction, Relation};
use tessera_iam::ids::SeededRandom;
use tessera_iam::kind::EntityKind;
use tessera_iam::records::{Core, Entity, GroupBody, UserBody, UserRecord};
use tessera_iam::snapshot::Snapshot;
use tessera_iam::table;
use tessera_store::{Change, ChangeSet};

const ACCOUNT: &str = "123456789012";
const POLICY: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:Get*","s3:List*"],"Resource":"arn:aws:s3:::bucket/*"}]}"#;

fn put(revision: u64, namespace: &str, key: String, value: Vec<u8>) -> Change {
    Change {
        revision,
        namespace: namespace.into(),
        key,
        value: Some(value),
    }
}

fn user(i: usize, policies: usize) -> UserRecord {
    let mut user = Entity {
        core: Core {
            id: format!("AIDA{i:017}"),
            account_id: ACCOUNT.into(),
            partition: "aws".into(),
            name: format!("user-{i}"),
            path: "/".into(),
            created: 1_700_000_000,
            tags: Vec::new(),
        },
        body: UserBody::default(),
    };
    for p in 0..policies {
        user.body
            .inline_policies
            .insert(format!("policy-{p}"), POLICY.into());
    }
    user
}

fn user_changes(revision: u64, user: &UserRecord) -> Vec<Change> {
    vec![
        put(
            revision,
            "users",
            user.core.id.clone(),
            serde_json::to_vec(user).expect("encode"),
        ),
        put(
            revision,
            "names",
            table::name_key(EntityKind::User, ACCOUNT, &user.core.name),
            user.core.id.clone().into_bytes(),
        ),
    ]
}

fn world(n: usize) -> (Snapshot, Kek) {
    let random = SeededRandom::new(7);
    let (kek, _) = Kek::generate(&random);
    let mut changes = vec![put(
        1,
        "account",
        ACCOUNT.into(),
        format!(r#"{{"account_id":"{ACCOUNT}","created":0}}"#).into_bytes(),
    )];
    for i in 0..n {
        changes.extend(user_changes(1, &user(i, 1)));
        let group = format!("AGPA{:017}", i / 100);
        if i % 100 == 0 {
            let record = Entity {
                core: Core {
                    id: group.clone(),
                    account_id: ACCOUNT.into(),
                    partition: "aws".into(),
                    name: format!("group-{}", i / 100),
                    path: "/".into(),
                    created: 0,
                    tags: Vec::new(),
                },
                body: GroupBody::default(),
            };
            changes.push(put(
                1,
                "groups",
                group.clone(),
                serde_json::to_vec(&record).expect("encode"),
            ));
        }
        let id = format!("AIDA{i:017}");
        for (direction, from, to) in [
            (Direction::Forward, &group, &id),
            (Direction::Inverse, &id, &group),
        ] {
            changes.push(put(
                1,
                "edges",
                edges::edge_key(Relation::Member, direction, from, to),
                Vec::new(),
            ));
        }
    }
    let snapshot = Snapshot::default().apply(
        &ChangeSet {
            revision: 1,
            changes,
            full: true,
        },
        &kek,
    );
    (snapshot, kek)
}

/// The pre-persistent-map layout: std maps copied whole on every change.
#[derive(Clone, Default)]
struct CopyingSnapshot {
    users_by_key: HashMap<String, Arc<UserRecord>>,
    users_by_id: HashMap<String, Arc<UserRecord>>,
    policies: HashMap<String, Arc<Vec<Arc<tessera_policy::CompiledPolicy>>>>,
}

fn copying_world(n: usize) -> CopyingSnapshot {
    let mut s = CopyingSnapshot::default();
    for i in 0..n {
        let u = Arc::new(user(i, 1));
        s.users_by_key
            .insert(format!("{ACCOUNT}/{}", u.core.name), Arc::clone(&u));
        s.users_by_id.insert(u.core.id.clone(), Arc::clone(&u));
        s.policies.insert(u.core.id.clone(), Arc::new(Vec::new()));
    }
    s
}

fn bench(c: &mut Criterion) {
    let mut group = c.benchmark_group("snapshot: one-user change");
    group.measurement_time(Duration::from_secs(4));
    group.sample_size(20);
    for n in [1_000usize, 10_000, 100_000] {
        let (snapshot, kek) = world(n);
        let changed = user(n / 2, 2);
        let change = ChangeSet {
            revision: 2,
            changes: user_changes(2, &changed),
            full: false,
        };
        group.bench_function(format!("persistent maps, {n} users"), |b| {
            b.iter_batched(
                || snapshot.clone(),
                |before| {
                    let after = before.apply(black_box(&change), &kek);
                    drop(before);
                    after
                },
                BatchSize::LargeInput,
            )
        });
        let copying = copying_world(n);
        group.bench_function(format!("baseline: full copy, {n} users"), |b| {
            b.iter_batched(
                || copying.clone(),
                |before| {
                    let mut after = before.clone();
                    let u = Arc::new(changed.clone());
                    let compiled: Vec<Arc<tessera_policy::CompiledPolicy>> = u
                        .body
                        .inline_policies
                        .iter()
                        .filter_map(|(name, doc)| {
                            tessera_policy::CompiledPolicy::compile_kind(
                                name,
                                doc,
                                tessera_policy::PolicyKind::Identity,
                            )
                            .ok()
                            .map(Arc::new)
                        })
                        .collect();
                    after
                        .users_by_key
                        .insert(format!("{ACCOUNT}/{}", u.core.name), Arc::clone(&u));
                    after.users_by_id.insert(u.core.id.clone(), Arc::clone(&u));
                    after.policies.insert(u.core.id.clone(), Arc::new(compiled));
                    drop(before);
                    after
                },
                BatchSize::LargeInput,
            )
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
