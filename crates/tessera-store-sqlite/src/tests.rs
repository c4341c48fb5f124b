//! Tests of what the conformance suite cannot see: files, WAL mode and
//! schema migrations.

use super::*;

fn schema_versions(path: &Path) -> Vec<i64> {
    let connection = Connection::open(path).expect("the database opens");
    let mut statement = connection
        .prepare("SELECT version FROM schema_version ORDER BY version")
        .expect("schema_version exists");
    let versions = statement
        .query_map([], |row| row.get(0))
        .expect("versions are readable")
        .collect::<Result<Vec<i64>, _>>()
        .expect("versions are integers");
    versions
}

fn has_index(path: &Path, name: &str) -> bool {
    let connection = Connection::open(path).expect("the database opens");
    connection
        .query_row(
            "SELECT COUNT(*) FROM sqlite_master WHERE type = 'index' AND name = ?1",
            [name],
            |row| row.get::<_, i64>(0),
        )
        .expect("sqlite_master is readable")
        == 1
}

fn put(backend: &SqliteBackend, key: &str, value: &[u8]) {
    backend
        .write(&mut |tx| tx.put("test", key, value))
        .expect("the write commits");
}

fn get(backend: &SqliteBackend, key: &str) -> Option<Vec<u8>> {
    tessera_store::read(backend, |tx| tx.get("test", key)).expect("the read succeeds")
}

#[test]
fn a_fresh_database_reaches_the_latest_schema() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let path = dir.path().join("a").join("b").join("tessera.db");
    let backend = SqliteBackend::open(&path).expect("the database opens");
    assert!(
        path.exists(),
        "the file and its parent directories are created"
    );
    let expected: Vec<i64> = (1..=MIGRATIONS.len() as i64).collect();
    assert_eq!(schema_versions(&path), expected);
    assert!(has_index(&path, "items_by_revision"));
    put(&backend, "k", b"v");
    assert_eq!(get(&backend, "k").as_deref(), Some(&b"v"[..]));
}

#[test]
fn the_database_is_in_wal_mode() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let path = dir.path().join("tessera.db");
    let _backend = SqliteBackend::open(&path).expect("the database opens");
    let connection = Connection::open(&path).expect("the database opens");
    let mode: String = connection
        .query_row("PRAGMA journal_mode", [], |row| row.get(0))
        .expect("the journal mode is readable");
    assert_eq!(mode, "wal");
}

#[test]
fn reopening_is_idempotent_and_keeps_the_data() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let path = dir.path().join("tessera.db");
    let first = SqliteBackend::open(&path).expect("the database opens");
    put(&first, "k", b"v");
    let revision = first
        .changes_since(0)
        .expect("changes are readable")
        .revision;
    drop(first);
    for _ in 0..3 {
        let again = SqliteBackend::open(&path).expect("the database opens again");
        assert_eq!(get(&again, "k").as_deref(), Some(&b"v"[..]));
        assert_eq!(
            again
                .changes_since(0)
                .expect("changes are readable")
                .revision,
            revision
        );
    }
    let expected: Vec<i64> = (1..=MIGRATIONS.len() as i64).collect();
    assert_eq!(schema_versions(&path), expected, "no migration ran twice");
}

#[test]
fn a_database_from_migration_1_upgrades() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let path = dir.path().join("tessera.db");
    let old =
        SqliteBackend::open_with_migrations(&path, &MIGRATIONS[..1]).expect("the database opens");
    put(&old, "kept", b"from the old schema");
    put(&old, "deleted", b"soon gone");
    old.write(&mut |tx| tx.delete("test", "deleted").map(|_| ()))
        .expect("the delete commits");
    // One revision per changing write; reading the log needs the newer schema.
    let old_revision = 3;
    drop(old);
    assert_eq!(schema_versions(&path), vec![1]);
    assert!(!has_index(&path, "items_by_revision"));

    let upgraded = SqliteBackend::open(&path).expect("the database upgrades");
    let expected: Vec<i64> = (1..=MIGRATIONS.len() as i64).collect();
    assert_eq!(schema_versions(&path), expected);
    assert!(has_index(&path, "items_by_revision"));
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
    put(&upgraded, "new", b"after the upgrade");
    assert!(
        upgraded
            .changes_since(0)
            .expect("changes are readable")
            .revision
            > old_revision
    );
}

#[test]
fn a_newer_schema_is_refused() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let path = dir.path().join("tessera.db");
    drop(SqliteBackend::open(&path).expect("the database opens"));
    let connection = Connection::open(&path).expect("the database opens");
    connection
        .execute("INSERT INTO schema_version (version) VALUES (?1)", [99])
        .expect("the version is recorded");
    drop(connection);
    match SqliteBackend::open(&path) {
        Err(StoreError::SchemaTooNew { found, supported }) => {
            assert_eq!(found, 99);
            assert_eq!(supported, MIGRATIONS.len() as i64);
        }
        other => panic!("a newer schema was not refused: {other:?}"),
    }
}

#[test]
fn an_open_store_migrated_past_this_build_refuses_to_read_changes_or_compact() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let path = dir.path().join("tessera.db");
    let running = SqliteBackend::open(&path).expect("the database opens");
    running.changes_since(0).expect("changes are readable");
    let newer = Connection::open(&path).expect("the database opens");
    newer
        .execute("INSERT INTO schema_version (version) VALUES (?1)", [99])
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
fn a_failing_migration_leaves_the_database_as_it_was() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let path = dir.path().join("tessera.db");
    drop(SqliteBackend::open_with_migrations(&path, &MIGRATIONS[..1]).expect("the database opens"));
    let broken = [MIGRATIONS[0], MIGRATIONS[1], "CREATE TABLE broken (;"];
    let error = SqliteBackend::open_with_migrations(&path, &broken)
        .expect_err("the broken migration fails");
    assert!(error.to_string().contains("migration 3"), "{error}");
    assert_eq!(
        schema_versions(&path),
        vec![1],
        "migration 2 was not rolled back with 3"
    );
    assert!(!has_index(&path, "items_by_revision"));
}

#[test]
fn a_directory_is_not_a_database() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let error = SqliteBackend::open(dir.path()).expect_err("a directory cannot be opened");
    assert!(matches!(error, StoreError::Backend(_)), "{error:?}");
}

#[test]
fn debug_output_holds_no_values() {
    // Errors and the change log are covered by the conformance suite; this
    // is the backend's own Debug output.
    let backend = SqliteBackend::open_in_memory().expect("the database opens");
    put(&backend, "k", b"sk-very-secret-value");
    let debug = format!("{backend:?}");
    assert!(!debug.contains("sk-very-secret-value"), "{debug}");
}

#[cfg(unix)]
#[test]
fn a_new_database_is_readable_by_its_owner_only() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().expect("a temporary directory");
    let path = dir.path().join("tessera.db");
    let backend = SqliteBackend::open(&path).expect("the database opens");
    put(&backend, "k", b"v");
    for name in ["tessera.db", "tessera.db-wal", "tessera.db-shm"] {
        let mode = std::fs::metadata(dir.path().join(name))
            .expect("the file exists")
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600, "{name} has mode {:o}", mode & 0o777);
    }
}
