//! Tests of what the conformance suite cannot see: migrations, schema
//! handling, and use from a tokio runtime. They need the database named by
//! `TESSERA_TEST_POSTGRES_URL` and fail without it.

use std::hash::{BuildHasher, Hasher};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::*;

const URL_VARIABLE: &str = "TESSERA_TEST_POSTGRES_URL";

fn url() -> String {
    match std::env::var(URL_VARIABLE) {
        Ok(url) if !url.trim().is_empty() => url,
        _ => panic!(
            "{URL_VARIABLE} is not set: set {URL_VARIABLE} or run scripts/test.sh, \
             which starts a throwaway PostgreSQL"
        ),
    }
}

/// A schema with a random name, dropped with everything in it at the end.
struct Schema {
    url: String,
    name: String,
}

impl Schema {
    fn new() -> Self {
        static COUNTER: AtomicU64 = AtomicU64::new(0);
        let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
        hasher.write_u32(std::process::id());
        hasher.write_u64(COUNTER.fetch_add(1, Ordering::SeqCst));
        Schema {
            url: url(),
            name: format!("tessera_unit_{:016x}", hasher.finish()),
        }
    }

    fn client(&self) -> Client {
        let mut client =
            Client::connect(&self.url, NoTls).expect("the test database accepts connections");
        client
            .batch_execute(&format!("SET search_path TO \"{}\"", self.name))
            .expect("the search_path is set");
        client
    }

    fn versions(&self) -> Vec<i64> {
        self.client()
            .query("SELECT version FROM schema_version ORDER BY version", &[])
            .expect("schema_version is readable")
            .iter()
            .map(|row| row.get(0))
            .collect()
    }

    fn has_index(&self, index: &str) -> bool {
        self.client()
            .query_one(
                "SELECT COUNT(*) FROM pg_indexes WHERE schemaname = $1 AND indexname = $2",
                &[&self.name, &index],
            )
            .expect("pg_indexes is readable")
            .get::<_, i64>(0)
            == 1
    }
}

impl Drop for Schema {
    fn drop(&mut self) {
        if let Ok(mut client) = Client::connect(&self.url, NoTls) {
            let _ =
                client.batch_execute(&format!("DROP SCHEMA IF EXISTS \"{}\" CASCADE", self.name));
        }
    }
}

fn latest() -> Vec<i64> {
    (1..=MIGRATIONS.len() as i64).collect()
}

fn put(backend: &PostgresBackend, key: &str, value: &[u8]) {
    backend
        .write(&mut |tx| tx.put("test", key, value))
        .expect("the write commits");
}

fn get(backend: &PostgresBackend, key: &str) -> Option<Vec<u8>> {
    tessera_store::read(backend, |tx| tx.get("test", key)).expect("the read succeeds")
}

#[test]
fn a_fresh_schema_reaches_the_latest_version() {
    let schema = Schema::new();
    let backend =
        PostgresBackend::connect_with_schema(&schema.url, &schema.name).expect("the store opens");
    assert_eq!(schema.versions(), latest());
    assert!(schema.has_index("items_by_revision"));
    put(&backend, "k", b"v");
    assert_eq!(get(&backend, "k").as_deref(), Some(&b"v"[..]));
}

#[test]
fn reconnecting_is_idempotent_and_keeps_the_data() {
    let schema = Schema::new();
    let first =
        PostgresBackend::connect_with_schema(&schema.url, &schema.name).expect("the store opens");
    put(&first, "k", b"v");
    let revision = first
        .changes_since(0)
        .expect("changes are readable")
        .revision;
    drop(first);
    for _ in 0..3 {
        let again = PostgresBackend::connect_with_schema(&schema.url, &schema.name)
            .expect("the store opens again");
        assert_eq!(get(&again, "k").as_deref(), Some(&b"v"[..]));
        assert_eq!(
            again
                .changes_since(0)
                .expect("changes are readable")
                .revision,
            revision
        );
    }
    assert_eq!(schema.versions(), latest(), "no migration ran twice");
}

#[test]
fn a_schema_from_migration_1_upgrades() {
    let schema = Schema::new();
    let old =
        PostgresBackend::connect_with_migrations(&schema.url, Some(&schema.name), &MIGRATIONS[..1])
            .expect("the store opens");
    put(&old, "kept", b"from the old schema");
    put(&old, "deleted", b"soon gone");
    old.write(&mut |tx| tx.delete("test", "deleted").map(|_| ()))
        .expect("the delete commits");
    // One revision per changing write; reading the log needs the newer schema.
    let old_revision = 3;
    drop(old);
    assert_eq!(schema.versions(), vec![1]);
    assert!(!schema.has_index("items_by_revision"));

    let upgraded = PostgresBackend::connect_with_schema(&schema.url, &schema.name)
        .expect("the store upgrades");
    assert_eq!(schema.versions(), latest());
    assert!(schema.has_index("items_by_revision"));
    assert_eq!(
        get(&upgraded, "kept").as_deref(),
        Some(&b"from the old schema"[..])
    );
    assert_eq!(get(&upgraded, "deleted"), None);
    let changes = upgraded.changes_since(1).expect("changes are readable");
    assert_eq!(changes.revision, old_revision);
    assert!(changes
        .changes
        .iter()
        .any(|c| c.key == "deleted" && c.value.is_none()));
}

#[test]
fn a_newer_schema_is_refused() {
    let schema = Schema::new();
    drop(PostgresBackend::connect_with_schema(&schema.url, &schema.name).expect("the store opens"));
    schema
        .client()
        .execute("INSERT INTO schema_version (version) VALUES (99)", &[])
        .expect("the version is recorded");
    match PostgresBackend::connect_with_schema(&schema.url, &schema.name) {
        Err(StoreError::SchemaTooNew { found, supported }) => {
            assert_eq!(found, 99);
            assert_eq!(supported, MIGRATIONS.len() as i64);
        }
        other => panic!("a newer schema was not refused: {other:?}"),
    }
}

#[test]
fn a_connected_store_migrated_past_this_build_refuses_to_read_changes_or_compact() {
    let schema = Schema::new();
    let running =
        PostgresBackend::connect_with_schema(&schema.url, &schema.name).expect("the store opens");
    running.changes_since(0).expect("changes are readable");
    schema
        .client()
        .execute("INSERT INTO schema_version (version) VALUES (99)", &[])
        .expect("the version is recorded");
    for refused in [running.changes_since(0).err(), running.compact(1).err()] {
        match refused {
            Some(StoreError::SchemaTooNew { found, supported }) => {
                assert_eq!((found, supported), (99, MIGRATIONS.len() as i64));
            }
            other => panic!("a newer schema was not refused: {other:?}"),
        }
    }
}

#[test]
fn a_failing_migration_leaves_the_schema_as_it_was() {
    let schema = Schema::new();
    drop(
        PostgresBackend::connect_with_migrations(&schema.url, Some(&schema.name), &MIGRATIONS[..1])
            .expect("the store opens"),
    );
    let broken = [MIGRATIONS[0], MIGRATIONS[1], "CREATE TABLE broken (;"];
    let error = PostgresBackend::connect_with_migrations(&schema.url, Some(&schema.name), &broken)
        .expect_err("the broken migration fails");
    assert!(error.to_string().contains("migration 3"), "{error}");
    assert_eq!(
        schema.versions(),
        vec![1],
        "migration 2 was not rolled back with 3"
    );
    assert!(!schema.has_index("items_by_revision"));
}

#[test]
fn nodes_starting_together_migrate_once() {
    let schema = Schema::new();
    std::thread::scope(|scope| {
        let nodes: Vec<_> = (0..4)
            .map(|_| {
                scope.spawn(|| PostgresBackend::connect_with_schema(&schema.url, &schema.name))
            })
            .collect();
        for node in nodes {
            node.join()
                .expect("the node thread ran")
                .expect("every node opens the store");
        }
    });
    assert_eq!(schema.versions(), latest());
}

#[test]
fn schema_names_must_be_plain_identifiers() {
    for bad in [
        "",
        "1abc",
        "a-b",
        "a\"b",
        "a;DROP SCHEMA public",
        "ü",
        &"x".repeat(64),
    ] {
        let error = PostgresBackend::connect_with_schema(&url(), bad)
            .expect_err("a bad schema name is refused");
        assert!(
            error.to_string().contains("not a plain schema name"),
            "{error}"
        );
    }
}

#[test]
fn connection_errors_name_no_password() {
    let error = PostgresBackend::connect("postgres://someone:hunter2-secret@127.0.0.1:1/nothing")
        .expect_err("nothing listens on port 1");
    let message = error.to_string();
    assert!(
        message.starts_with("storage backend failure: postgres: connecting"),
        "{message}"
    );
    assert!(!message.contains("hunter2-secret"), "{message}");
}

#[test]
fn debug_output_holds_no_values_nor_the_url() {
    // Errors and the change log are covered by the conformance suite; this
    // is the backend's own Debug output, which must not show the URL.
    let schema = Schema::new();
    let backend =
        PostgresBackend::connect_with_schema(&schema.url, &schema.name).expect("the store opens");
    put(&backend, "k", b"sk-very-secret-value");
    let debug = format!("{backend:?}");
    assert!(!debug.contains("sk-very-secret-value"), "{debug}");
    assert!(!debug.contains(&url()), "{debug}");
}

/// The server calls the backend from `spawn_blocking` threads of a
/// multi-thread runtime, and may drop it on an async thread.
#[test]
fn works_from_spawn_blocking_and_drops_in_async_code() {
    let schema = Schema::new();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a runtime");
    runtime.block_on(async {
        let url = schema.url.clone();
        let name = schema.name.clone();
        let backend: Arc<dyn Backend> = tokio::task::spawn_blocking(move || {
            Arc::new(PostgresBackend::connect_with_schema(&url, &name).expect("the store opens"))
                as Arc<dyn Backend>
        })
        .await
        .expect("the blocking task ran");
        let tasks: Vec<_> = (0..8)
            .map(|i| {
                let backend = Arc::clone(&backend);
                tokio::task::spawn_blocking(move || {
                    backend.write(&mut |tx| tx.put("test", &format!("k{i}"), b"v"))?;
                    tessera_store::read(&*backend, |tx| tx.count("test", ""))
                })
            })
            .collect();
        for task in tasks {
            let counted = task
                .await
                .expect("the blocking task ran")
                .expect("the store answers");
            assert!((1..=8).contains(&counted));
        }
        let backend_for_read = Arc::clone(&backend);
        let changes = tokio::task::spawn_blocking(move || backend_for_read.changes_since(0))
            .await
            .expect("the blocking task ran")
            .expect("changes are readable");
        assert_eq!(changes.changes.len(), 8);
        // The last handle goes away on an async worker thread.
        drop(backend);
        tokio::task::yield_now().await;
    });
}

/// Connections the server closed (a restart, an idle timeout in a proxy)
/// are replaced without failing the next call.
#[test]
fn closed_connections_are_replaced() {
    let schema = Schema::new();
    // Name this backend's sessions, so as to end only them.
    let separator = if schema.url.contains('?') { '&' } else { '?' };
    let url = format!("{}{separator}application_name={}", schema.url, schema.name);
    let backend =
        PostgresBackend::connect_with_schema(&url, &schema.name).expect("the store opens");
    put(&backend, "k", b"v");
    let mut admin =
        Client::connect(&schema.url, NoTls).expect("the test database accepts connections");
    for _ in 0..3 {
        let ended = admin
            .query(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity
                 WHERE application_name = $1 AND pid <> pg_backend_pid()",
                &[&schema.name],
            )
            .expect("connections can be ended");
        assert!(!ended.is_empty(), "the pool held no connection to end");
        // Give the ended sessions' sockets time to close.
        std::thread::sleep(std::time::Duration::from_millis(100));
        assert_eq!(get(&backend, "k").as_deref(), Some(&b"v"[..]));
        put(&backend, "k2", b"v");
    }
}

/// `connect` keeps the store where the connection's `search_path` points,
/// here set through the URL.
#[test]
fn connect_uses_the_search_path_of_the_url() {
    let schema = Schema::new();
    let mut admin =
        Client::connect(&schema.url, NoTls).expect("the test database accepts connections");
    admin
        .batch_execute(&format!("CREATE SCHEMA \"{}\"", schema.name))
        .expect("the schema is created");
    let separator = if schema.url.contains('?') { '&' } else { '?' };
    let url = format!(
        "{}{separator}options=-c%20search_path%3D{}",
        schema.url, schema.name
    );
    let backend = PostgresBackend::connect(&url).expect("the store opens");
    assert_eq!(backend.kind(), "postgres");
    put(&backend, "k", b"v");
    assert_eq!(schema.versions(), latest());
    let stored: i64 = schema
        .client()
        .query_one("SELECT COUNT(*) FROM items", &[])
        .expect("the items table is in the schema")
        .get(0);
    assert_eq!(stored, 1);
}

/// Waits on `listener` until it reports a change or `limit` passes.
fn woken_within(listener: &mut dyn tessera_store::ChangeListener, limit: Duration) -> bool {
    let deadline = Instant::now() + limit;
    while Instant::now() < deadline {
        if listener
            .wait(Duration::from_millis(200))
            .expect("the listener waits")
        {
            return true;
        }
    }
    false
}

#[test]
fn a_commit_on_one_handle_wakes_the_listener_of_another() {
    let schema = Schema::new();
    let writer = PostgresBackend::connect_with_schema(&schema.url, &schema.name).expect("opens");
    let follower = PostgresBackend::connect_with_schema(&schema.url, &schema.name).expect("opens");
    let mut listener = follower.change_listener().expect("postgres can listen");
    // The first answer after connecting is always "maybe changed".
    assert!(listener.wait(Duration::from_secs(5)).expect("connects"));
    assert!(!listener.wait(Duration::from_millis(300)).expect("waits"));
    put(&writer, "k", b"v");
    assert!(woken_within(listener.as_mut(), Duration::from_secs(5)));
    // A write that changed nothing, and one that rolled back, send no notice.
    writer
        .write(&mut |_| Ok(()))
        .expect("the empty write commits");
    let _ = writer.write(&mut |tx| {
        tx.put("test", "gone", b"v")?;
        Err(StoreError::Aborted)
    });
    assert!(!listener.wait(Duration::from_millis(500)).expect("waits"));
}

#[test]
fn commits_in_another_schema_do_not_wake_the_listener() {
    let ours = Schema::new();
    let theirs = Schema::new();
    let follower = PostgresBackend::connect_with_schema(&ours.url, &ours.name).expect("opens");
    let other = PostgresBackend::connect_with_schema(&theirs.url, &theirs.name).expect("opens");
    let mut listener = follower.change_listener().expect("postgres can listen");
    assert!(listener.wait(Duration::from_secs(5)).expect("connects"));
    put(&other, "k", b"v");
    assert!(!listener.wait(Duration::from_millis(500)).expect("waits"));
}

#[test]
fn a_listener_whose_connection_ended_reconnects_and_reports_a_change() {
    let schema = Schema::new();
    let separator = if schema.url.contains('?') { '&' } else { '?' };
    let url = format!("{}{separator}application_name={}", schema.url, schema.name);
    let follower = PostgresBackend::connect_with_schema(&url, &schema.name).expect("opens");
    let writer = PostgresBackend::connect_with_schema(&schema.url, &schema.name).expect("opens");
    let mut listener = follower.change_listener().expect("postgres can listen");
    assert!(listener.wait(Duration::from_secs(5)).expect("connects"));
    let mut admin =
        Client::connect(&schema.url, NoTls).expect("the test database accepts connections");
    admin
        .query(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity
             WHERE application_name = $1 AND pid <> pg_backend_pid()",
            &[&schema.name],
        )
        .expect("connections can be ended");
    // The ended connection shows as an error (or, at worst, one quiet wait).
    let failed = (0..10).any(|_| listener.wait(Duration::from_millis(200)).is_err());
    assert!(failed, "the ended connection went unnoticed");
    // The next wait reconnects and reports a possible change ...
    assert!(listener.wait(Duration::from_secs(5)).expect("reconnects"));
    // ... and notices flow again.
    put(&writer, "k", b"v");
    assert!(woken_within(listener.as_mut(), Duration::from_secs(5)));
}
