//! An in-process world for tests at the dispatch boundary: a fresh
//! in-memory SQLite store, the default account, and calls that go through
//! the service model's decoding, `Domain::call`, and the model's encoding,
//! as the HTTP pipeline does.

#![allow(dead_code)]

use std::sync::Arc;

use serde_json::Value;
use tessera_iam::authz::RequestFacts;
use tessera_iam::caller::Caller;
use tessera_iam::crypto::Kek;
use tessera_iam::dispatch::Domain;
use tessera_iam::ids::SeededRandom;
use tessera_iam::ops::{self, Service, Usage};
use tessera_iam::quotas::Quotas;
use tessera_iam::records::LastUsedRecord;
use tessera_iam::snapshot::SnapshotCell;
use tessera_iam::{bootstrap, IamError};
use tessera_store::Backend;
use tessera_store_sqlite::SqliteBackend;
use time::OffsetDateTime;

pub const ACCOUNT: &str = "123456789012";

/// The public base URL the in-process world's issuers live under.
pub const PUBLIC_URL: &str = "http://tessera.test:7177";

pub struct NoUses;

impl Usage for NoUses {
    fn last_used(&self, _: &str) -> Option<LastUsedRecord> {
        None
    }

    fn attempted(&self, _: tessera_iam::service_usage::Attempt<'_>) {}
}

/// An audit hook that keeps what it is told, as `Action outcome resource`.
#[derive(Default)]
pub struct Recorded(pub std::sync::Mutex<Vec<String>>);

impl tessera_iam::dispatch::Audit for Recorded {
    fn record(&self, event: &tessera_iam::dispatch::AuditEvent<'_>) {
        let line = format!(
            "{} {:?} {} by {}",
            event.operation.name,
            event.outcome,
            event.resource,
            event.caller.arn()
        );
        self.0.lock().expect("audit lock").push(line);
    }
}

pub struct World {
    pub store: Arc<dyn Backend>,
    pub cell: SnapshotCell,
    pub kek: Kek,
    pub random: SeededRandom,
    pub quotas: Quotas,
    /// The default account's root secret, handed out at bootstrap.
    pub root_secret: String,
    /// What the dispatch boundary reported.
    pub audit: Recorded,
}

/// What a call answered: the output, or the error's code and message.
pub type Answer = Result<Value, IamError>;

impl World {
    pub fn new(seed: u64) -> World {
        let store: Arc<dyn Backend> = Arc::new(SqliteBackend::open_in_memory().expect("store"));
        let random = SeededRandom::new(seed);
        let (kek, _) = Kek::generate(&random);
        let boot = bootstrap::ensure_default_account(
            store.as_ref(),
            ACCOUNT,
            1_700_000_000,
            &random,
            &kek,
        )
        .expect("bootstrap");
        let (_, secret) = boot.new_root_key.expect("a new root key");
        tessera_iam::sessions::ensure_token_key(store.as_ref(), 1_700_000_000, &random, &kek)
            .expect("token key");
        let cell = SnapshotCell::new(kek.clone());
        cell.refresh(store.as_ref()).expect("refresh");
        World {
            store,
            cell,
            kek,
            random,
            quotas: Quotas::default(),
            root_secret: secret.expose().to_string(),
            audit: Recorded::default(),
        }
    }

    pub fn root() -> Caller {
        Caller::Root {
            account: ACCOUNT.into(),
            partition: "aws".into(),
            session: None,
        }
    }

    pub fn domain(&self) -> Domain<'_> {
        Domain {
            store: self.store.as_ref(),
            cell: &self.cell,
            random: &self.random,
            kek: &self.kek,
            quotas: &self.quotas,
            usage: &NoUses,
            audit: &self.audit,
            public_url: PUBLIC_URL,
        }
    }

    pub fn facts() -> RequestFacts {
        RequestFacts {
            now: OffsetDateTime::from_unix_timestamp(1_700_000_100).expect("time"),
            source_ip: Some("192.0.2.7".parse().expect("ip")),
            user_agent: Some("test".into()),
            secure_transport: false,
            region: "us-east-1".into(),
        }
    }

    /// Calls `action` with Query parameters, decoded and encoded by the
    /// IAM model exactly as the server does. An output the model cannot
    /// encode, or an error code the model does not know, fails the test.
    pub fn call(&self, caller: &Caller, action: &str, params: &[(&str, &str)]) -> Answer {
        let model = tessera_wire::iam();
        let pairs: Vec<(String, String)> = params
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let input = match model.decode_input(action, &pairs) {
            Ok(input) => input,
            Err(e) => return Err(IamError::new("ValidationError", e.message)),
        };
        let operation = ops::find(Service::Iam, action).expect("implemented operation");
        let answer = self
            .domain()
            .call(caller, operation, &input, &Self::facts());
        match &answer {
            Ok(output) => {
                model
                    .encode_output(action, output, "00000000-0000-4000-8000-000000000000")
                    .unwrap_or_else(|e| panic!("{action} output does not fit the model: {e}"));
            }
            Err(e) => assert!(
                model.knows_error(e.code),
                "{action} answered an error code the model does not know: {}",
                e.code
            ),
        }
        answer
    }

    /// Calls `action` (IAM, or STS for `GetCallerIdentity`) with an input
    /// already in the model's decoded form.
    pub fn call_json(&self, caller: &Caller, action: &str, input: Value) -> Answer {
        let service = if action == "GetCallerIdentity" {
            Service::Sts
        } else {
            Service::Iam
        };
        let operation = ops::find(service, action).expect("implemented operation");
        self.domain()
            .call(caller, operation, &input, &Self::facts())
    }

    /// Every value in the store, concatenated.
    pub fn all_stored_bytes(&self) -> Vec<u8> {
        let changes = self.store.changes_since(0).expect("read");
        changes
            .changes
            .into_iter()
            .flat_map(|c| c.value.unwrap_or_default())
            .collect()
    }

    /// Like [`World::call`] as root, expecting success.
    pub fn ok(&self, action: &str, params: &[(&str, &str)]) -> Value {
        self.call(&Self::root(), action, params)
            .unwrap_or_else(|e| panic!("{action} {params:?} failed: {e}"))
    }

    /// Like [`World::call`] as root, expecting an error; answers its code
    /// and message.
    pub fn err(&self, action: &str, params: &[(&str, &str)]) -> (String, String) {
        match self.call(&Self::root(), action, params) {
            Ok(out) => panic!("{action} {params:?} succeeded: {out}"),
            Err(e) => (e.code.to_string(), e.message),
        }
    }

    /// The store's invariants hold.
    pub fn assert_invariants(&self) {
        let violations =
            tessera_iam::invariants::check(self.store.as_ref(), &self.quotas).expect("check");
        assert!(violations.is_empty(), "invariants broken: {violations:#?}");
    }

    /// The node's incrementally maintained snapshot equals one rebuilt
    /// from the whole revision log.
    pub fn assert_snapshot_matches_rebuild(&self) {
        let rebuilt = SnapshotCell::new(self.kek.clone());
        rebuilt.refresh(self.store.as_ref()).expect("rebuild");
        let incremental = self.cell.load().canonical();
        let full = rebuilt.load().canonical();
        if incremental != full {
            let diff: Vec<String> = diff_lines(&incremental, &full);
            panic!(
                "incremental snapshot differs from a rebuild:\n{}",
                diff.join("\n")
            );
        }
    }
}

fn diff_lines(a: &str, b: &str) -> Vec<String> {
    let a_lines: std::collections::BTreeSet<&str> = a.lines().collect();
    let b_lines: std::collections::BTreeSet<&str> = b.lines().collect();
    let mut out: Vec<String> = a_lines
        .difference(&b_lines)
        .map(|l| format!("- {l}"))
        .collect();
    out.extend(b_lines.difference(&a_lines).map(|l| format!("+ {l}")));
    out
}
