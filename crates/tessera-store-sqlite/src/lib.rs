//! The embedded SQLite storage backend.
//!
//! [`SqliteBackend`] keeps a Tessera store in one SQLite database file (plus
//! its `-wal` and `-shm` companions) in WAL mode: readers never wait for the
//! writer, and nothing needs installing, because SQLite is compiled in.
//!
//! # Connections
//!
//! One writer connection sits behind a mutex, so write transactions of one
//! process queue there; each starts with `BEGIN IMMEDIATE`, which takes
//! SQLite's write lock at once, so write transactions are serializable across
//! processes too (another process waits up to the busy timeout, ten seconds).
//! Read transactions use a small pool of read-only connections, each reading
//! one WAL snapshot for the whole transaction. An in-memory store
//! ([`SqliteBackend::open_in_memory`]) has only the writer connection, and
//! reads queue behind writes.
//!
//! A database file the backend creates is readable by its owner only (mode
//! `0600` on Unix, which SQLite gives its `-wal` and `-shm` files too); an
//! existing file keeps the mode it has.
//!
//! Commits are durable (`synchronous = FULL`): writes are rare control-plane
//! operations, so the cost of one `fsync` per commit is paid gladly.
//!
//! # Schema
//!
//! ```sql
//! CREATE TABLE schema_version (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL);
//! CREATE TABLE revision (
//!     id      INTEGER PRIMARY KEY CHECK (id = 1),
//!     latest  INTEGER NOT NULL,
//!     horizon INTEGER NOT NULL DEFAULT 0   -- tombstones at or below it are gone
//! );
//! CREATE TABLE items (
//!     namespace TEXT NOT NULL,
//!     key       BLOB NOT NULL,     -- the key's UTF-8 bytes: compared with memcmp
//!     value     BLOB,              -- NULL marks a tombstone
//!     revision  INTEGER NOT NULL,  -- the write transaction that last changed it
//!     PRIMARY KEY (namespace, key)
//! );
//! CREATE INDEX items_by_revision ON items (revision);
//! ```
//!
//! The single `revision` row holds the latest committed revision. A write
//! transaction that changes something stamps every item it touches with
//! `latest + 1` and stores that as the new latest; one that changes nothing
//! leaves it alone. A deletion keeps the row as a tombstone (`value` NULL) so
//! that [`Backend::changes_since`] can report it; `changes_since(0)` leaves
//! tombstones out.
//!
//! [`Backend::compact`] deletes the tombstone rows at or below a horizon and
//! stores the horizon in the `revision` row, in one `BEGIN IMMEDIATE`
//! transaction. `changes_since` reads `latest` and `horizon` from the same
//! row and snapshot as the items: asked from below the horizon, it answers
//! the full read that `changes_since(0)` gives, marked
//! [`ChangeSet::full`](tessera_store::ChangeSet::full).
//!
//! # Migrations
//!
//! Migrations are an ordered list of SQL scripts, applied at open in one
//! `BEGIN IMMEDIATE` transaction and recorded in `schema_version`; they only
//! go forward. A database whose version is newer than this build knows is
//! refused with [`StoreError::SchemaTooNew`], at open and on every later
//! read of the change log and compaction, so a process left running
//! through another's upgrade stops instead of misreading the newer schema.
//!
//! # Errors
//!
//! SQLite errors become [`StoreError::Backend`] with the operation and
//! SQLite's own message, which names tables and columns but never bound
//! values, so item values cannot leak through an error.

#![deny(missing_docs)]

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use rusqlite::{params, Connection, OpenFlags, OptionalExtension, TransactionBehavior};
use tessera_store::range::KeyRange;
use tessera_store::{Backend, Change, ChangeSet, Namespace, StoreError, Transaction};

/// How long a connection waits for another process's lock before failing.
const BUSY_TIMEOUT: Duration = Duration::from_secs(10);

/// How many idle reader connections are kept open.
const IDLE_READERS: usize = 4;

/// The schema migrations, in order; migration `n` is `MIGRATIONS[n - 1]`.
/// Only ever append to this list.
const MIGRATIONS: &[&str] = &[
    // 1: the items and the revision counter.
    "CREATE TABLE revision (
         id INTEGER PRIMARY KEY CHECK (id = 1),
         latest INTEGER NOT NULL
     );
     INSERT INTO revision (id, latest) VALUES (1, 0);
     CREATE TABLE items (
         namespace TEXT NOT NULL,
         key BLOB NOT NULL,
         value BLOB,
         revision INTEGER NOT NULL,
         PRIMARY KEY (namespace, key)
     );",
    // 2: followers read the log by revision.
    "CREATE INDEX items_by_revision ON items (revision);",
    // 3: the compaction horizon: tombstones at or below it are forgotten.
    "ALTER TABLE revision ADD COLUMN horizon INTEGER NOT NULL DEFAULT 0;",
];

/// A Tessera store in an SQLite database.
pub struct SqliteBackend {
    writer: Mutex<Connection>,
    /// `None` for an in-memory database, whose only connection is the writer.
    readers: Option<ReaderPool>,
    location: String,
    /// The newest schema version this build knows; a store migrated past
    /// it by a newer build is refused on every read of the change log.
    supported_schema: i64,
}

struct ReaderPool {
    path: PathBuf,
    idle: Mutex<Vec<Connection>>,
}

impl fmt::Debug for SqliteBackend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SqliteBackend")
            .field("location", &self.location)
            .finish_non_exhaustive()
    }
}

impl SqliteBackend {
    /// Opens (creating it and its parent directories when missing) the
    /// database at `path`, switches it to WAL mode and applies pending
    /// migrations.
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        Self::open_with_migrations(path, MIGRATIONS)
    }

    /// Opens a new, private, empty in-memory database, for tests.
    pub fn open_in_memory() -> Result<Self, StoreError> {
        let mut connection =
            Connection::open_in_memory().map_err(failed("opening an in-memory database"))?;
        configure(&connection)?;
        migrate(&mut connection, MIGRATIONS)?;
        Ok(SqliteBackend {
            writer: Mutex::new(connection),
            readers: None,
            location: ":memory:".to_owned(),
            supported_schema: schema_count(MIGRATIONS),
        })
    }

    fn open_with_migrations(path: &Path, migrations: &[&str]) -> Result<Self, StoreError> {
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent).map_err(|e| {
                StoreError::Backend(format!(
                    "sqlite: creating directory `{}`: {e}",
                    parent.display()
                ))
            })?;
        }
        let created = !path.exists();
        let mut connection = Connection::open(path).map_err(|e| {
            StoreError::Backend(format!("sqlite: opening `{}`: {e}", path.display()))
        })?;
        if created {
            restrict_to_owner(path)?;
        }
        configure(&connection)?;
        let mode: String = connection
            .query_row("PRAGMA journal_mode = WAL", [], |row| row.get(0))
            .map_err(failed("switching to WAL mode"))?;
        if !mode.eq_ignore_ascii_case("wal") {
            return Err(StoreError::Backend(format!(
                "sqlite: `{}` refused WAL mode (journal mode is `{mode}`)",
                path.display()
            )));
        }
        migrate(&mut connection, migrations)?;
        Ok(SqliteBackend {
            writer: Mutex::new(connection),
            readers: Some(ReaderPool {
                path: path.to_owned(),
                idle: Mutex::new(Vec::new()),
            }),
            location: path.display().to_string(),
            supported_schema: schema_count(migrations),
        })
    }

    /// The writer connection, rolled back to a clean state if a panic in an
    /// earlier transaction left it inside one.
    fn writer(&self) -> Result<MutexGuard<'_, Connection>, StoreError> {
        let connection = self.writer.lock().unwrap_or_else(PoisonError::into_inner);
        if !connection.is_autocommit() {
            connection
                .execute_batch("ROLLBACK")
                .map_err(failed("rolling back an abandoned transaction"))?;
        }
        Ok(connection)
    }

    fn run_read<T>(
        &self,
        work: impl FnOnce(&mut SqliteTransaction<'_>) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let Some(pool) = &self.readers else {
            let mut connection = self.writer()?;
            return read_on(&mut connection, work);
        };
        let mut connection = pool.take()?;
        let result = read_on(&mut connection, work);
        if connection.is_autocommit() {
            pool.give_back(connection);
        }
        result
    }
}

impl ReaderPool {
    fn take(&self) -> Result<Connection, StoreError> {
        let idle = self
            .idle
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .pop();
        if let Some(connection) = idle {
            return Ok(connection);
        }
        let connection = Connection::open_with_flags(&self.path, OpenFlags::SQLITE_OPEN_READ_WRITE)
            .map_err(|e| {
                StoreError::Backend(format!("sqlite: opening `{}`: {e}", self.path.display()))
            })?;
        configure(&connection)?;
        connection
            .execute_batch("PRAGMA query_only = ON")
            .map_err(failed("making a reader connection read-only"))?;
        Ok(connection)
    }

    fn give_back(&self, connection: Connection) {
        let mut idle = self.idle.lock().unwrap_or_else(PoisonError::into_inner);
        if idle.len() < IDLE_READERS {
            idle.push(connection);
        }
    }
}

/// Makes a newly created database file readable by its owner only, before
/// SQLite creates its `-wal` and `-shm` files, which take the same mode:
/// the values may hold sealed secrets.
#[cfg(unix)]
fn restrict_to_owner(path: &Path) -> Result<(), StoreError> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600)).map_err(|e| {
        StoreError::Backend(format!(
            "sqlite: restricting `{}` to its owner: {e}",
            path.display()
        ))
    })
}

#[cfg(not(unix))]
fn restrict_to_owner(_path: &Path) -> Result<(), StoreError> {
    Ok(())
}

/// Settings every connection needs.
fn configure(connection: &Connection) -> Result<(), StoreError> {
    connection
        .busy_timeout(BUSY_TIMEOUT)
        .map_err(failed("setting the busy timeout"))?;
    connection
        .execute_batch("PRAGMA synchronous = FULL")
        .map_err(failed("setting synchronous mode"))
}

/// Applies the migrations the database lacks, all in one transaction.
fn migrate(connection: &mut Connection, migrations: &[&str]) -> Result<(), StoreError> {
    let supported = schema_count(migrations);
    let tx = connection
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(failed("starting the migration transaction"))?;
    tx.execute_batch(
        "CREATE TABLE IF NOT EXISTS schema_version (
             version INTEGER PRIMARY KEY,
             applied_at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP
         )",
    )
    .map_err(failed("creating the schema_version table"))?;
    let found: i64 = tx
        .query_row(
            "SELECT COALESCE(MAX(version), 0) FROM schema_version",
            [],
            |row| row.get(0),
        )
        .map_err(failed("reading the schema version"))?;
    if found > supported {
        return Err(StoreError::SchemaTooNew { found, supported });
    }
    for (version, script) in (1..)
        .zip(migrations)
        .skip(usize::try_from(found).unwrap_or(0))
    {
        let version: i64 = version;
        tx.execute_batch(script).map_err(|e| {
            StoreError::Backend(format!("sqlite: applying migration {version}: {e}"))
        })?;
        tx.execute(
            "INSERT INTO schema_version (version) VALUES (?1)",
            [version],
        )
        .map_err(failed("recording a migration"))?;
    }
    tx.commit().map_err(failed("committing the migrations"))
}

fn read_on<T>(
    connection: &mut Connection,
    work: impl FnOnce(&mut SqliteTransaction<'_>) -> Result<T, StoreError>,
) -> Result<T, StoreError> {
    let tx = connection
        .transaction_with_behavior(TransactionBehavior::Deferred)
        .map_err(failed("starting a read transaction"))?;
    let mut handle = SqliteTransaction {
        tx: &tx,
        mode: Mode::Read,
    };
    let result = work(&mut handle);
    // Nothing to keep; ending the transaction releases the snapshot.
    tx.rollback().map_err(failed("ending a read transaction"))?;
    result
}

/// Maps an SQLite error to a [`StoreError`] naming what was being done.
fn failed(doing: &'static str) -> impl Fn(rusqlite::Error) -> StoreError {
    move |e| StoreError::Backend(format!("sqlite: {doing}: {e}"))
}

fn to_revision(stored: i64) -> Result<u64, StoreError> {
    u64::try_from(stored)
        .map_err(|_| StoreError::Backend("sqlite: a stored revision is negative".to_owned()))
}

fn to_key(stored: Vec<u8>) -> Result<String, StoreError> {
    String::from_utf8(stored)
        .map_err(|_| StoreError::Backend("sqlite: a stored key is not UTF-8".to_owned()))
}

enum Mode {
    Read,
    Write {
        /// The revision this transaction's changes carry.
        revision: i64,
        changed: bool,
    },
}

struct SqliteTransaction<'c> {
    tx: &'c rusqlite::Transaction<'c>,
    mode: Mode,
}

impl SqliteTransaction<'_> {
    /// The revision to stamp on a change, marking the transaction as changed.
    fn revision_for_change(&mut self) -> Result<i64, StoreError> {
        match &mut self.mode {
            Mode::Read => Err(StoreError::Backend(
                "sqlite: a read transaction cannot write".to_owned(),
            )),
            Mode::Write { revision, .. } => Ok(*revision),
        }
    }

    fn mark_changed(&mut self) {
        if let Mode::Write { changed, .. } = &mut self.mode {
            *changed = true;
        }
    }
}

impl Transaction for SqliteTransaction<'_> {
    fn get(&mut self, namespace: &Namespace, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        self.tx
            .prepare_cached(
                "SELECT value FROM items WHERE namespace = ?1 AND key = ?2 AND value IS NOT NULL",
            )
            .and_then(|mut statement| {
                statement
                    .query_row(params![namespace, key.as_bytes()], |row| row.get(0))
                    .optional()
            })
            .map_err(failed("reading an item"))
    }

    fn scan(
        &mut self,
        namespace: &Namespace,
        prefix: &str,
        start_after: Option<&str>,
        limit: usize,
    ) -> Result<Vec<(String, Vec<u8>)>, StoreError> {
        if limit == 0 {
            return Ok(Vec::new());
        }
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let range = KeyRange::new(prefix, start_after);
        let lower = if range.lower_inclusive { ">=" } else { ">" };
        let rows = match &range.upper {
            Some(upper) => {
                let sql = format!(
                    "SELECT key, value FROM items
                     WHERE namespace = ?1 AND key {lower} ?2 AND key < ?3 AND value IS NOT NULL
                     ORDER BY key LIMIT ?4"
                );
                self.tx.prepare_cached(&sql).and_then(|mut statement| {
                    statement
                        .query_map(params![namespace, range.lower, upper, limit], |row| {
                            Ok((row.get::<_, Vec<u8>>(0)?, row.get::<_, Vec<u8>>(1)?))
                        })?
                        .collect::<Result<Vec<_>, _>>()
                })
            }
            None => {
                let sql = format!(
                    "SELECT key, value FROM items
                     WHERE namespace = ?1 AND key {lower} ?2 AND value IS NOT NULL
                     ORDER BY key LIMIT ?3"
                );
                self.tx.prepare_cached(&sql).and_then(|mut statement| {
                    statement
                        .query_map(params![namespace, range.lower, limit], |row| {
                            Ok((row.get::<_, Vec<u8>>(0)?, row.get::<_, Vec<u8>>(1)?))
                        })?
                        .collect::<Result<Vec<_>, _>>()
                })
            }
        }
        .map_err(failed("listing items"))?;
        rows.into_iter()
            .map(|(key, value)| Ok((to_key(key)?, value)))
            .collect()
    }

    fn count(&mut self, namespace: &Namespace, prefix: &str) -> Result<u64, StoreError> {
        let range = KeyRange::new(prefix, None);
        let counted: i64 = match &range.upper {
            Some(upper) => self
                .tx
                .prepare_cached(
                    "SELECT COUNT(*) FROM items
                     WHERE namespace = ?1 AND key >= ?2 AND key < ?3 AND value IS NOT NULL",
                )
                .and_then(|mut statement| {
                    statement.query_row(params![namespace, range.lower, upper], |row| row.get(0))
                }),
            None => self
                .tx
                .prepare_cached(
                    "SELECT COUNT(*) FROM items
                     WHERE namespace = ?1 AND key >= ?2 AND value IS NOT NULL",
                )
                .and_then(|mut statement| {
                    statement.query_row(params![namespace, range.lower], |row| row.get(0))
                }),
        }
        .map_err(failed("counting items"))?;
        u64::try_from(counted)
            .map_err(|_| StoreError::Backend("sqlite: a count is negative".to_owned()))
    }

    fn put(&mut self, namespace: &Namespace, key: &str, value: &[u8]) -> Result<(), StoreError> {
        let revision = self.revision_for_change()?;
        self.tx
            .prepare_cached(
                "INSERT INTO items (namespace, key, value, revision) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT (namespace, key) DO UPDATE
                 SET value = excluded.value, revision = excluded.revision",
            )
            .and_then(|mut statement| {
                statement.execute(params![namespace, key.as_bytes(), value, revision])
            })
            .map_err(failed("writing an item"))?;
        self.mark_changed();
        Ok(())
    }

    fn delete(&mut self, namespace: &Namespace, key: &str) -> Result<bool, StoreError> {
        let revision = self.revision_for_change()?;
        let deleted = self
            .tx
            .prepare_cached(
                "UPDATE items SET value = NULL, revision = ?3
                 WHERE namespace = ?1 AND key = ?2 AND value IS NOT NULL",
            )
            .and_then(|mut statement| {
                statement.execute(params![namespace, key.as_bytes(), revision])
            })
            .map_err(failed("deleting an item"))?;
        if deleted > 0 {
            self.mark_changed();
        }
        Ok(deleted > 0)
    }
}

fn latest_revision(tx: &rusqlite::Transaction<'_>) -> Result<i64, StoreError> {
    tx.prepare_cached("SELECT latest FROM revision WHERE id = 1")
        .and_then(|mut statement| statement.query_row([], |row| row.get(0)))
        .map_err(failed("reading the latest revision"))
}

/// The latest revision and the compaction horizon, read together so that
/// both come from one state.
/// The schema version `migrations` bring a store to.
fn schema_count(migrations: &[&str]) -> i64 {
    i64::try_from(migrations.len()).unwrap_or(i64::MAX)
}

/// The latest revision and the compaction horizon, refused with
/// [`StoreError::SchemaTooNew`] once a newer build has migrated the store
/// past `supported`: this build would misread what the newer one writes
/// (an older node ignoring a full read after compaction would keep
/// deleted entities), so it must stop rather than serve from it.
fn revision_and_horizon(
    tx: &rusqlite::Transaction<'_>,
    supported: i64,
) -> Result<(i64, i64), StoreError> {
    let (latest, horizon, found): (i64, i64, i64) = tx
        .prepare_cached(
            "SELECT latest, horizon, (SELECT COALESCE(MAX(version), 0) FROM schema_version)
             FROM revision WHERE id = 1",
        )
        .and_then(|mut statement| {
            statement.query_row([], |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)))
        })
        .map_err(failed(
            "reading the latest revision and the compaction horizon",
        ))?;
    if found > supported {
        return Err(StoreError::SchemaTooNew { found, supported });
    }
    Ok((latest, horizon))
}

impl Backend for SqliteBackend {
    fn kind(&self) -> &'static str {
        "sqlite"
    }

    fn read(
        &self,
        work: &mut dyn FnMut(&mut dyn Transaction) -> Result<(), StoreError>,
    ) -> Result<(), StoreError> {
        self.run_read(|tx| work(tx))
    }

    fn write(
        &self,
        work: &mut dyn FnMut(&mut dyn Transaction) -> Result<(), StoreError>,
    ) -> Result<(), StoreError> {
        let mut connection = self.writer()?;
        let tx = connection
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(failed("starting a write transaction"))?;
        let latest = latest_revision(&tx)?;
        let next = latest
            .checked_add(1)
            .ok_or_else(|| StoreError::Backend("sqlite: revisions are exhausted".to_owned()))?;
        let mut handle = SqliteTransaction {
            tx: &tx,
            mode: Mode::Write {
                revision: next,
                changed: false,
            },
        };
        // On an error the transaction is dropped, which rolls it back.
        work(&mut handle)?;
        if let Mode::Write { changed: true, .. } = handle.mode {
            tx.execute("UPDATE revision SET latest = ?1 WHERE id = 1", [next])
                .map_err(failed("recording the new revision"))?;
        }
        tx.commit()
            .map_err(failed("committing a write transaction"))
    }

    fn changes_since(&self, revision: u64) -> Result<ChangeSet, StoreError> {
        let asked = i64::try_from(revision).unwrap_or(i64::MAX);
        self.run_read(|handle| {
            let (latest, horizon) = revision_and_horizon(handle.tx, self.supported_schema)?;
            // Below the horizon some deletions since `asked` are forgotten,
            // so only a full read brings the reader up to date.
            let full = asked == 0 || asked < horizon;
            let after = if full { 0 } else { asked };
            if !full && after >= latest {
                return Ok(ChangeSet {
                    revision: to_revision(latest)?,
                    changes: Vec::new(),
                    full,
                });
            }
            // A full read leaves tombstones out: there is nothing to delete
            // from an empty snapshot.
            let sql = if full {
                "SELECT revision, namespace, key, value FROM items
                 WHERE revision > ?1 AND value IS NOT NULL
                 ORDER BY revision, namespace, key"
            } else {
                "SELECT revision, namespace, key, value FROM items
                 WHERE revision > ?1
                 ORDER BY revision, namespace, key"
            };
            let rows = handle
                .tx
                .prepare_cached(sql)
                .and_then(|mut statement| {
                    statement
                        .query_map([after], |row| {
                            Ok((
                                row.get::<_, i64>(0)?,
                                row.get::<_, String>(1)?,
                                row.get::<_, Vec<u8>>(2)?,
                                row.get::<_, Option<Vec<u8>>>(3)?,
                            ))
                        })?
                        .collect::<Result<Vec<_>, _>>()
                })
                .map_err(failed("reading changes"))?;
            let changes = rows
                .into_iter()
                .map(|(revision, namespace, key, value)| {
                    Ok(Change {
                        revision: to_revision(revision)?,
                        namespace,
                        key: to_key(key)?,
                        value,
                    })
                })
                .collect::<Result<Vec<_>, StoreError>>()?;
            Ok(ChangeSet {
                revision: to_revision(latest)?,
                changes,
                full,
            })
        })
    }

    fn compact(&self, horizon: u64) -> Result<u64, StoreError> {
        let wanted = i64::try_from(horizon).unwrap_or(i64::MAX);
        let mut connection = self.writer()?;
        // The write lock keeps writers out, so no revision commits between
        // reading the latest one and recording the horizon.
        let tx = connection
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(failed("starting a compaction"))?;
        let (latest, recorded) = revision_and_horizon(&tx, self.supported_schema)?;
        // A horizon beyond the latest revision would send readers that are
        // up to date to full reads for nothing.
        let horizon = wanted.min(latest);
        if horizon <= recorded {
            return to_revision(recorded);
        }
        tx.execute(
            "DELETE FROM items WHERE value IS NULL AND revision <= ?1",
            [horizon],
        )
        .map_err(failed("forgetting old tombstones"))?;
        tx.execute("UPDATE revision SET horizon = ?1 WHERE id = 1", [horizon])
            .map_err(failed("recording the compaction horizon"))?;
        tx.commit().map_err(failed("committing a compaction"))?;
        to_revision(horizon)
    }
}

#[cfg(test)]
mod tests;
