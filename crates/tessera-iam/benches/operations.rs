//! Latency of IAM operations through the dispatch boundary (authorize,
//! the store transaction, the snapshot refresh) with many entities in the
//! store, on SQLite (a file, `synchronous=FULL`) and on PostgreSQL when
//! `TESSERA_TEST_POSTGRES_URL` names one.
//!
//! Workload: N users (and N/10 roles) written in bulk, then the measured
//! operations: `CreateUser` (a new name each time), `AttachUserPolicy`
//! (an AWS-managed policy to a different existing user each time; after a
//! lap over every user, `DetachUserPolicy` in the same way, so that every
//! call writes) and
//! `GetRole` (a read, answered from the snapshot). The same operations
//! at 1,000 entities are the baseline measured in the same run: a cost
//! that does not grow with N shows in the two rows being equal.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion};
use serde_json::json;
use tessera_iam::authz::RequestFacts;
use tessera_iam::caller::Caller;
use tessera_iam::crypto::Kek;
use tessera_iam::dispatch::Domain;
use tessera_iam::ids::SeededRandom;
use tessera_iam::ops::{self, Service, Usage};
use tessera_iam::quotas::Quotas;
use tessera_iam::records::{Core, Entity, LastUsedRecord, RoleBody, UserBody};
use tessera_iam::snapshot::SnapshotCell;
use tessera_iam::table::Table;
use tessera_store::{Backend, Outcome};
use time::OffsetDateTime;

const ACCOUNT: &str = "123456789012";
const TRUST: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#;

struct NoUses;

impl Usage for NoUses {
    fn last_used(&self, _: &str) -> Option<LastUsedRecord> {
        None
    }

    fn attempted(&self, _: tessera_iam::service_usage::Attempt<'_>) {}
}

struct Bench {
    store: Arc<dyn Backend>,
    cell: SnapshotCell,
    kek: Kek,
    random: SeededRandom,
    quotas: Quotas,
}

fn core(id: String, name: String) -> Core {
    Core {
        id,
        account_id: ACCOUNT.into(),
        partition: "aws".into(),
        name,
        path: "/".into(),
        created: 1_700_000_000,
        tags: Vec::new(),
    }
}

impl Bench {
    fn new(store: Arc<dyn Backend>, n: usize) -> Bench {
        let random = SeededRandom::new(5);
        let (kek, _) = Kek::generate(&random);
        tessera_iam::bootstrap::ensure_default_account(
            store.as_ref(),
            ACCOUNT,
            1_700_000_000,
            &random,
            &kek,
        )
        .expect("bootstrap");
        for chunk in (0..n).collect::<Vec<_>>().chunks(5_000) {
            tessera_store::write(store.as_ref(), |tx| {
                for &i in chunk {
                    let user = Entity {
                        core: core(format!("AIDA{i:017}"), format!("user-{i}")),
                        body: UserBody::default(),
                    };
                    Table::insert(tx, &user)?;
                    if i % 10 == 0 {
                        let role = Entity {
                            core: core(format!("AROA{i:017}"), format!("role-{i}")),
                            body: RoleBody {
                                trust_policy: TRUST.into(),
                                max_session_duration: 3600,
                                ..RoleBody::default()
                            },
                        };
                        Table::insert(tx, &role)?;
                    }
                }
                Ok::<_, Outcome<tessera_iam::IamError>>(())
            })
            .expect("populate");
        }
        let cell = SnapshotCell::new(kek.clone());
        cell.refresh(store.as_ref()).expect("refresh");
        Bench {
            store,
            cell,
            kek,
            random,
            quotas: Quotas::default(),
        }
    }

    fn call(&self, action: &str, input: serde_json::Value) {
        let domain = Domain {
            store: self.store.as_ref(),
            cell: &self.cell,
            random: &self.random,
            kek: &self.kek,
            quotas: &self.quotas,
            usage: &NoUses,
            audit: &tessera_iam::dispatch::NoAudit,
            public_url: "http://127.0.0.1:7177",
        };
        let caller = Caller::root(ACCOUNT, "aws");
        let facts = RequestFacts {
            now: OffsetDateTime::from_unix_timestamp(1_700_000_100).expect("time"),
            source_ip: None,
            user_agent: None,
            secure_transport: false,
            region: "us-east-1".into(),
        };
        let op = ops::find(Service::Iam, action).expect("operation");
        domain
            .call(&caller, op, &input, &facts)
            .unwrap_or_else(|e| panic!("{action}: {e}"));
    }
}

/// Opens a fresh, empty store.
type OpenStore = Box<dyn Fn() -> Arc<dyn Backend>>;

fn stores() -> Vec<(&'static str, OpenStore)> {
    let mut out: Vec<(&'static str, OpenStore)> = vec![(
        "sqlite",
        Box::new(|| {
            let dir = tempfile::tempdir().expect("tempdir").keep();
            Arc::new(
                tessera_store_sqlite::SqliteBackend::open(&dir.join("bench.db")).expect("open"),
            ) as Arc<dyn Backend>
        }),
    )];
    match std::env::var("TESSERA_TEST_POSTGRES_URL") {
        Ok(url) => {
            let schemas = Arc::new(AtomicUsize::new(0));
            out.push((
                "postgres",
                Box::new(move || {
                    let n = schemas.fetch_add(1, Ordering::Relaxed);
                    let schema = format!("bench_{}_{n}", std::process::id());
                    Arc::new(
                        tessera_store_postgres::PostgresBackend::connect_with_schema(&url, &schema)
                            .expect("connect"),
                    ) as Arc<dyn Backend>
                }),
            ));
        }
        Err(_) => eprintln!("TESSERA_TEST_POSTGRES_URL is not set: PostgreSQL is not measured"),
    }
    out
}

fn bench(c: &mut Criterion) {
    let mut group = c.benchmark_group("operations");
    group.sample_size(20);
    group.measurement_time(Duration::from_secs(5));
    for (store_name, open) in stores() {
        for n in [1_000usize, 100_000] {
            let world = Bench::new(open(), n);
            let next = AtomicUsize::new(0);
            group.bench_function(format!("{store_name}, {n} users: CreateUser"), |b| {
                b.iter(|| {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    world.call("CreateUser", json!({"UserName": format!("new-{i}")}));
                })
            });
            let next = AtomicUsize::new(0);
            group.bench_function(format!("{store_name}, {n} users: AttachUserPolicy"), |b| {
                b.iter(|| {
                    // Every call changes something: the first lap over the
                    // users attaches, the next detaches, and so on.
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let action = if (i / n) & 1 == 0 {
                        "AttachUserPolicy"
                    } else {
                        "DetachUserPolicy"
                    };
                    world.call(
                        action,
                        json!({"UserName": format!("user-{}", i % n),
                               "PolicyArn": "arn:aws:iam::aws:policy/ReadOnlyAccess"}),
                    );
                })
            });
            group.bench_function(format!("{store_name}, {n} users: GetRole"), |b| {
                b.iter(|| world.call("GetRole", json!({"RoleName": "role-0"})))
            });
        }
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
