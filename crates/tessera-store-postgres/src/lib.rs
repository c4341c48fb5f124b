//! The PostgreSQL storage backend.
//!
//! [`PostgresBackend`] keeps a Tessera store in a PostgreSQL database that
//! several stateless `tessera` nodes share. Each node holds a small pool of
//! connections; PostgreSQL (with its own replication, or a managed service)
//! carries durability and availability.
//!
//! # One writer at a time
//!
//! Every write transaction starts by taking a transaction-level advisory lock
//! (`pg_advisory_xact_lock`) keyed by the schema, then runs at `READ
//! COMMITTED`: once the lock is held no other write can commit, so every
//! statement of the transaction sees the latest state and nothing changes it
//! until commit. Write transactions are thereby serializable across
//! connections and nodes without ever failing for a serialization conflict,
//! and revisions commit in the order they were assigned, so a follower
//! reading [`Backend::changes_since`] never sees revision `n + 1` before `n`.
//!
//! The price is throughput: writes of the whole store queue on one lock, and
//! a write costs a few round trips while holding it, so a store takes at most
//! a few thousand writes per second. Tessera writes only on control-plane
//! operations (creating users, keys, policies), which are rare; reads
//! (`read`, `changes_since`) take no lock and run in parallel, each in a
//! `REPEATABLE READ, READ ONLY` transaction that sees one snapshot.
//!
//! # Connections and threads
//!
//! The backend is synchronous: the `postgres` crate drives each connection
//! with a private single-threaded runtime. Call it from blocking threads
//! (`tokio::task::spawn_blocking`), never directly from async code. The pool
//! holds at most [`MAX_CONNECTIONS`] connections per backend, opened on
//! demand; a caller waits for a free one for at most thirty seconds. Dropping
//! the backend closes its connections on a short-lived thread of its own, so
//! it may be dropped anywhere, async code included.
//!
//! # Change notices
//!
//! Every write transaction that commits a revision notifies the channel
//! `tessera_changes` from inside the transaction, so the notice is sent on
//! commit and never for a rollback. [`Backend::change_listener`] answers a
//! [`PostgresListener`], which `LISTEN`s on a connection of its own (see
//! the `listen` module); notices are hints, and followers keep polling.
//!
//! # Schema
//!
//! The same tables as the SQLite backend, in the schema the connection's
//! `search_path` selects (or the one given to
//! [`PostgresBackend::connect_with_schema`]):
//!
//! ```sql
//! CREATE TABLE schema_version (version BIGINT PRIMARY KEY, applied_at TIMESTAMPTZ NOT NULL DEFAULT now());
//! CREATE TABLE revision (
//!     id      INT PRIMARY KEY CHECK (id = 1),
//!     latest  BIGINT NOT NULL,
//!     horizon BIGINT NOT NULL DEFAULT 0   -- tombstones at or below it are gone
//! );
//! CREATE TABLE items (
//!     namespace TEXT NOT NULL,
//!     key       BYTEA NOT NULL,   -- the key's UTF-8 bytes: byte order, no collation
//!     value     BYTEA,            -- NULL marks a tombstone
//!     revision  BIGINT NOT NULL,  -- the write transaction that last changed it
//!     PRIMARY KEY (namespace, key)
//! );
//! CREATE INDEX items_by_revision ON items (revision);
//! ```
//!
//! Deleted items stay as tombstones so that followers learn of deletions;
//! `changes_since(0)` leaves them out. [`Backend::compact`] takes the
//! writer lock, deletes the tombstones at or below a horizon and records
//! it in the `revision` row; `changes_since`, whose `REPEATABLE READ`
//! snapshot reads that row with the items, answers a reader below the
//! horizon with a full read, marked
//! [`ChangeSet::full`](tessera_store::ChangeSet::full).
//!
//! # Migrations
//!
//! An ordered list of SQL scripts, applied when a backend connects, in one
//! transaction holding the writer lock (so nodes starting together migrate
//! once), recorded in `schema_version`, forward only. A database with a newer
//! version than this build knows is refused with
//! [`StoreError::SchemaTooNew`], at connection and on every later read of
//! the change log and compaction, so a node left running through another's
//! upgrade stops instead of misreading the newer schema.
//!
//! # Errors
//!
//! Errors become [`StoreError::Backend`] naming the operation, with
//! PostgreSQL's severity, SQLSTATE and primary message only: the `DETAIL`
//! part, which can quote a failing row, is left out, so item values cannot
//! leak through an error. Connection URLs (which may hold a password) are
//! never part of an error either.

#![deny(missing_docs)]

mod listen;

pub use listen::PostgresListener;

use std::fmt;
use std::str::FromStr;
use std::sync::{Condvar, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use postgres::{Client, Config, IsolationLevel, NoTls};
use tessera_store::range::KeyRange;
use tessera_store::{Backend, Change, ChangeSet, Namespace, StoreError, Transaction};

/// The most connections one backend opens at once.
pub const MAX_CONNECTIONS: usize = 8;

/// How long a caller waits for a free connection.
const CHECKOUT_TIMEOUT: Duration = Duration::from_secs(30);

/// How long opening a connection may take, unless the URL says otherwise.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// Takes the writer lock of the store in the current schema. The first key
/// is Tessera's ("TESS"); the second tells schemas (and so stores) apart, so
/// stores sharing one database do not queue on each other.
const TAKE_WRITER_LOCK: &str =
    "SELECT pg_advisory_xact_lock(1414828883, hashtext(current_schema()))";

/// The schema migrations, in order; migration `n` is `MIGRATIONS[n - 1]`.
/// Only ever append to this list.
const MIGRATIONS: &[&str] = &[
    // 1: the items and the revision counter.
    "CREATE TABLE revision (
         id INT PRIMARY KEY CHECK (id = 1),
         latest BIGINT NOT NULL
     );
     INSERT INTO revision (id, latest) VALUES (1, 0);
     CREATE TABLE items (
         namespace TEXT NOT NULL,
         key BYTEA NOT NULL,
         value BYTEA,
         revision BIGINT NOT NULL,
         PRIMARY KEY (namespace, key)
     );",
    // 2: followers read the log by revision.
    "CREATE INDEX items_by_revision ON items (revision);",
    // 3: the compaction horizon: tombstones at or below it are forgotten.
    "ALTER TABLE revision ADD COLUMN horizon BIGINT NOT NULL DEFAULT 0;",
];

/// A Tessera store in a PostgreSQL database.
pub struct PostgresBackend {
    pool: Pool,
    /// The newest schema version this build knows; a database migrated
    /// past it by a newer build is refused on every read of the change log.
    supported_schema: i64,
}

impl fmt::Debug for PostgresBackend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The configuration may hold a password: show only the schema.
        f.debug_struct("PostgresBackend")
            .field("schema", &self.pool.schema)
            .finish_non_exhaustive()
    }
}

impl PostgresBackend {
    /// Connects to the database at `url` (`postgres://user:password@host:port/db`
    /// or a `key=value` connection string) and applies pending migrations in
    /// the schema the connection's `search_path` selects.
    pub fn connect(url: &str) -> Result<Self, StoreError> {
        Self::connect_with_migrations(url, None, MIGRATIONS)
    }

    /// Like [`connect`](Self::connect), but keeps the store in `schema`,
    /// creating it when missing, and sets every connection's `search_path`
    /// to it. Several stores can share one database this way; tests use it
    /// to isolate themselves. `schema` must be a plain identifier: ASCII
    /// letters, digits and `_`, not starting with a digit, at most 63 bytes.
    pub fn connect_with_schema(url: &str, schema: &str) -> Result<Self, StoreError> {
        Self::connect_with_migrations(url, Some(schema), MIGRATIONS)
    }

    fn connect_with_migrations(
        url: &str,
        schema: Option<&str>,
        migrations: &[&str],
    ) -> Result<Self, StoreError> {
        let mut config = Config::from_str(url).map_err(|e| {
            StoreError::Backend(format!("postgres: the connection URL is invalid: {e}"))
        })?;
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(CONNECT_TIMEOUT);
        }
        if config.get_application_name().is_none() {
            config.application_name("tessera");
        }
        if let Some(schema) = schema {
            check_schema_name(schema)?;
        }
        let pool = Pool {
            config,
            schema: schema.map(str::to_owned),
            state: Mutex::new(PoolState {
                idle: Vec::new(),
                open: 0,
            }),
            freed: Condvar::new(),
        };
        if let Some(schema) = schema {
            let mut client = pool.connect_raw()?;
            create_schema(&mut client, schema)?;
            close_elsewhere(vec![client]);
        }
        let backend = PostgresBackend {
            pool,
            supported_schema: schema_count(migrations),
        };
        {
            let mut connection = backend.pool.checkout()?;
            migrate(connection.client()?, migrations)?;
        }
        Ok(backend)
    }
}

fn check_schema_name(schema: &str) -> Result<(), StoreError> {
    let mut chars = schema.chars();
    let plain = chars
        .next()
        .is_some_and(|first| first.is_ascii_alphabetic() || first == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
        && schema.len() <= 63;
    if plain {
        Ok(())
    } else {
        Err(StoreError::Backend(format!(
            "postgres: `{schema}` is not a plain schema name (ASCII letters, digits and `_`)"
        )))
    }
}

/// Creates `schema` unless it exists, under the writer lock's first key so
/// that nodes starting together do not collide creating it.
fn create_schema(client: &mut Client, schema: &str) -> Result<(), StoreError> {
    let mut tx = client
        .transaction()
        .map_err(failed("starting to create the schema"))?;
    tx.batch_execute(&format!(
        "SELECT pg_advisory_xact_lock(1414828883, 0); CREATE SCHEMA IF NOT EXISTS \"{schema}\""
    ))
    .map_err(failed("creating the schema"))?;
    tx.commit().map_err(failed("creating the schema"))
}

/// Applies the migrations the database lacks, in one transaction holding
/// the writer lock.
fn migrate(client: &mut Client, migrations: &[&str]) -> Result<(), StoreError> {
    let supported = schema_count(migrations);
    let mut tx = client
        .build_transaction()
        .isolation_level(IsolationLevel::ReadCommitted)
        .start()
        .map_err(failed("starting the migration transaction"))?;
    let schema: Option<String> = tx
        .query_one("SELECT current_schema()", &[])
        .and_then(|row| row.try_get(0))
        .map_err(failed("finding the current schema"))?;
    if schema.is_none() {
        return Err(StoreError::Backend(
            "postgres: no schema of the search_path exists; create one or connect with a schema"
                .to_owned(),
        ));
    }
    tx.batch_execute(TAKE_WRITER_LOCK)
        .map_err(failed("taking the writer lock for migrations"))?;
    tx.batch_execute(
        "CREATE TABLE IF NOT EXISTS schema_version (
             version BIGINT PRIMARY KEY,
             applied_at TIMESTAMPTZ NOT NULL DEFAULT now()
         )",
    )
    .map_err(failed("creating the schema_version table"))?;
    let found: i64 = tx
        .query_one("SELECT COALESCE(MAX(version), 0) FROM schema_version", &[])
        .and_then(|row| row.try_get(0))
        .map_err(failed("reading the schema version"))?;
    if found > supported {
        return Err(StoreError::SchemaTooNew { found, supported });
    }
    for (version, script) in (1..)
        .zip(migrations)
        .skip(usize::try_from(found).unwrap_or(0))
    {
        let version: i64 = version;
        tx.batch_execute(script).map_err(|e| {
            StoreError::Backend(format!(
                "postgres: applying migration {version}: {}",
                describe(&e)
            ))
        })?;
        tx.execute(
            "INSERT INTO schema_version (version) VALUES ($1)",
            &[&version],
        )
        .map_err(failed("recording a migration"))?;
    }
    tx.commit().map_err(failed("committing the migrations"))
}

/// A bounded pool of connections, opened on demand.
struct Pool {
    config: Config,
    schema: Option<String>,
    state: Mutex<PoolState>,
    freed: Condvar,
}

struct PoolState {
    idle: Vec<Client>,
    /// Connections that exist, idle or checked out.
    open: usize,
}

impl Pool {
    fn state(&self) -> MutexGuard<'_, PoolState> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Opens a connection outside the pool's accounting.
    fn connect_raw(&self) -> Result<Client, StoreError> {
        open_connection(&self.config, self.schema.as_deref())
    }

    fn checkout(&self) -> Result<Pooled<'_>, StoreError> {
        let deadline = Instant::now() + CHECKOUT_TIMEOUT;
        let mut state = self.state();
        loop {
            if let Some(client) = state.idle.pop() {
                if client.is_closed() {
                    state.open = state.open.saturating_sub(1);
                    close_elsewhere(vec![client]);
                    continue;
                }
                return Ok(Pooled {
                    pool: self,
                    client: Some(client),
                });
            }
            if state.open < MAX_CONNECTIONS {
                state.open += 1;
                drop(state);
                return match self.connect_raw() {
                    Ok(client) => Ok(Pooled {
                        pool: self,
                        client: Some(client),
                    }),
                    Err(e) => {
                        let mut state = self.state();
                        state.open = state.open.saturating_sub(1);
                        drop(state);
                        self.freed.notify_one();
                        Err(e)
                    }
                };
            }
            let now = Instant::now();
            if now >= deadline {
                return Err(StoreError::Backend(format!(
                    "postgres: all {MAX_CONNECTIONS} connections stayed busy for {} seconds",
                    CHECKOUT_TIMEOUT.as_secs()
                )));
            }
            state = self
                .freed
                .wait_timeout(state, deadline - now)
                .unwrap_or_else(PoisonError::into_inner)
                .0;
        }
    }
}

impl Drop for Pool {
    fn drop(&mut self) {
        let idle = std::mem::take(&mut self.state().idle);
        close_elsewhere(idle);
    }
}

/// Opens a connection whose `search_path` is `schema`, when given.
fn open_connection(config: &Config, schema: Option<&str>) -> Result<Client, StoreError> {
    let mut client = config.connect(NoTls).map_err(failed("connecting"))?;
    if let Some(schema) = schema {
        client
            .batch_execute(&format!("SET search_path TO \"{schema}\""))
            .map_err(failed("setting the search_path"))?;
    }
    Ok(client)
}

/// Closes connections on a thread of their own: closing one runs its private
/// runtime, which must not happen on an async runtime's thread.
fn close_elsewhere(clients: Vec<Client>) {
    if clients.is_empty() {
        return;
    }
    // A failure to spawn or a panic while closing leaves nothing to undo:
    // the server ends the sessions of dropped connections.
    let _ = std::thread::Builder::new()
        .name("tessera-pg-close".to_owned())
        .spawn(move || drop(clients))
        .map(std::thread::JoinHandle::join);
}

/// A checked-out connection; goes back to the pool when dropped, unless it
/// broke.
struct Pooled<'p> {
    pool: &'p Pool,
    client: Option<Client>,
}

impl Pooled<'_> {
    /// The connection, present from checkout until drop.
    fn client(&mut self) -> Result<&mut Client, StoreError> {
        self.client.as_mut().ok_or_else(|| {
            StoreError::Backend(
                "postgres: a pooled connection was used after its return".to_owned(),
            )
        })
    }
}

impl Drop for Pooled<'_> {
    fn drop(&mut self) {
        let Some(client) = self.client.take() else {
            return;
        };
        let mut state = self.pool.state();
        if client.is_closed() || std::thread::panicking() {
            state.open = state.open.saturating_sub(1);
            drop(state);
            close_elsewhere(vec![client]);
        } else {
            state.idle.push(client);
            drop(state);
        }
        self.pool.freed.notify_one();
    }
}

/// Maps a PostgreSQL error to a [`StoreError`] naming what was being done.
fn failed(doing: &'static str) -> impl Fn(postgres::Error) -> StoreError {
    move |e| StoreError::Backend(format!("postgres: {doing}: {}", describe(&e)))
}

/// A description of `e` without the parts that can quote row data.
fn describe(e: &postgres::Error) -> String {
    match e.as_db_error() {
        Some(db) => format!("{} {}: {}", db.severity(), db.code().code(), db.message()),
        None => e.to_string(),
    }
}

fn to_revision(stored: i64) -> Result<u64, StoreError> {
    u64::try_from(stored)
        .map_err(|_| StoreError::Backend("postgres: a stored revision is negative".to_owned()))
}

fn to_key(stored: Vec<u8>) -> Result<String, StoreError> {
    String::from_utf8(stored)
        .map_err(|_| StoreError::Backend("postgres: a stored key is not UTF-8".to_owned()))
}

enum Mode {
    Read,
    Write {
        /// The revision this transaction's changes carry.
        revision: i64,
        changed: bool,
    },
}

struct PostgresTransaction<'t, 'c> {
    tx: &'t mut postgres::Transaction<'c>,
    mode: Mode,
}

impl PostgresTransaction<'_, '_> {
    fn revision_for_change(&self) -> Result<i64, StoreError> {
        match self.mode {
            Mode::Read => Err(StoreError::Backend(
                "postgres: a read transaction cannot write".to_owned(),
            )),
            Mode::Write { revision, .. } => Ok(revision),
        }
    }

    fn mark_changed(&mut self) {
        if let Mode::Write { changed, .. } = &mut self.mode {
            *changed = true;
        }
    }
}

impl Transaction for PostgresTransaction<'_, '_> {
    fn get(&mut self, namespace: &Namespace, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        let row = self
            .tx
            .query_opt(
                "SELECT value FROM items WHERE namespace = $1 AND key = $2 AND value IS NOT NULL",
                &[&namespace, &key.as_bytes()],
            )
            .map_err(failed("reading an item"))?;
        row.map(|row| row.try_get(0))
            .transpose()
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
            Some(upper) => self.tx.query(
                &format!(
                    "SELECT key, value FROM items
                     WHERE namespace = $1 AND key {lower} $2 AND key < $3 AND value IS NOT NULL
                     ORDER BY key LIMIT $4"
                ),
                &[&namespace, &range.lower, &upper.as_slice(), &limit],
            ),
            None => self.tx.query(
                &format!(
                    "SELECT key, value FROM items
                     WHERE namespace = $1 AND key {lower} $2 AND value IS NOT NULL
                     ORDER BY key LIMIT $3"
                ),
                &[&namespace, &range.lower, &limit],
            ),
        }
        .map_err(failed("listing items"))?;
        rows.into_iter()
            .map(|row| {
                let key: Vec<u8> = row.try_get(0).map_err(failed("listing items"))?;
                let value: Vec<u8> = row.try_get(1).map_err(failed("listing items"))?;
                Ok((to_key(key)?, value))
            })
            .collect()
    }

    fn count(&mut self, namespace: &Namespace, prefix: &str) -> Result<u64, StoreError> {
        let range = KeyRange::new(prefix, None);
        let row = match &range.upper {
            Some(upper) => self.tx.query_one(
                "SELECT COUNT(*) FROM items
                 WHERE namespace = $1 AND key >= $2 AND key < $3 AND value IS NOT NULL",
                &[&namespace, &range.lower, &upper.as_slice()],
            ),
            None => self.tx.query_one(
                "SELECT COUNT(*) FROM items WHERE namespace = $1 AND key >= $2 AND value IS NOT NULL",
                &[&namespace, &range.lower],
            ),
        }
        .map_err(failed("counting items"))?;
        let counted: i64 = row.try_get(0).map_err(failed("counting items"))?;
        u64::try_from(counted)
            .map_err(|_| StoreError::Backend("postgres: a count is negative".to_owned()))
    }

    fn put(&mut self, namespace: &Namespace, key: &str, value: &[u8]) -> Result<(), StoreError> {
        let revision = self.revision_for_change()?;
        self.tx
            .execute(
                "INSERT INTO items (namespace, key, value, revision) VALUES ($1, $2, $3, $4)
                 ON CONFLICT (namespace, key) DO UPDATE
                 SET value = excluded.value, revision = excluded.revision",
                &[&namespace, &key.as_bytes(), &value, &revision],
            )
            .map_err(failed("writing an item"))?;
        self.mark_changed();
        Ok(())
    }

    fn delete(&mut self, namespace: &Namespace, key: &str) -> Result<bool, StoreError> {
        let revision = self.revision_for_change()?;
        let deleted = self
            .tx
            .execute(
                "UPDATE items SET value = NULL, revision = $3
                 WHERE namespace = $1 AND key = $2 AND value IS NOT NULL",
                &[&namespace, &key.as_bytes(), &revision],
            )
            .map_err(failed("deleting an item"))?;
        if deleted > 0 {
            self.mark_changed();
        }
        Ok(deleted > 0)
    }
}

fn latest_revision(tx: &mut postgres::Transaction<'_>) -> Result<i64, StoreError> {
    tx.query_one("SELECT latest FROM revision WHERE id = 1", &[])
        .and_then(|row| row.try_get(0))
        .map_err(failed("reading the latest revision"))
}

/// The latest revision and the compaction horizon, read together so that
/// both come from one state.
/// The schema version `migrations` bring a database to.
fn schema_count(migrations: &[&str]) -> i64 {
    i64::try_from(migrations.len()).unwrap_or(i64::MAX)
}

/// The latest revision and the compaction horizon, refused with
/// [`StoreError::SchemaTooNew`] once a newer build has migrated the
/// database past `supported`: this build would misread what the newer one
/// writes (an older node ignoring a full read after compaction would keep
/// deleted entities), so it must stop rather than serve from it.
fn revision_and_horizon(
    tx: &mut postgres::Transaction<'_>,
    supported: i64,
) -> Result<(i64, i64), StoreError> {
    let (latest, horizon, found): (i64, i64, i64) = tx
        .query_one(
            "SELECT latest, horizon, (SELECT COALESCE(MAX(version), 0) FROM schema_version)
             FROM revision WHERE id = 1",
            &[],
        )
        .and_then(|row| Ok((row.try_get(0)?, row.try_get(1)?, row.try_get(2)?)))
        .map_err(failed(
            "reading the latest revision and the compaction horizon",
        ))?;
    if found > supported {
        return Err(StoreError::SchemaTooNew { found, supported });
    }
    Ok((latest, horizon))
}

impl PostgresBackend {
    fn run_read<T>(
        &self,
        work: impl FnOnce(&mut PostgresTransaction<'_, '_>) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        self.transact(IsolationLevel::RepeatableRead, true, |mut tx| {
            let mut handle = PostgresTransaction {
                tx: &mut tx,
                mode: Mode::Read,
            };
            let out = work(&mut handle)?;
            tx.commit().map_err(failed("ending a read transaction"))?;
            Ok(out)
        })
    }

    /// Checks out a connection, starts a transaction on it and hands it to
    /// `body`. When the connection turns out to be closed (the server
    /// restarted, or something in between ended idle connections), a
    /// second connection is tried: nothing had run yet, so that is safe.
    fn transact<T>(
        &self,
        isolation: IsolationLevel,
        read_only: bool,
        body: impl FnOnce(postgres::Transaction<'_>) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let mut body = Some(body);
        let mut attempt = 0;
        loop {
            attempt += 1;
            let mut connection = self.pool.checkout()?;
            let error = match connection
                .client()?
                .build_transaction()
                .isolation_level(isolation)
                .read_only(read_only)
                .start()
            {
                Ok(tx) => {
                    let body = body.take().ok_or_else(|| {
                        StoreError::Backend("postgres: a transaction body ran twice".to_owned())
                    })?;
                    return body(tx);
                }
                Err(error) => error,
            };
            if attempt < 2 && connection.client()?.is_closed() {
                continue;
            }
            return Err(failed("starting a transaction")(error));
        }
    }
}

impl Backend for PostgresBackend {
    fn kind(&self) -> &'static str {
        "postgres"
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
        // READ COMMITTED, whatever the server's default: each statement
        // must see what the previous lock holder committed.
        self.transact(IsolationLevel::ReadCommitted, false, |mut tx| {
            tx.batch_execute(TAKE_WRITER_LOCK)
                .map_err(failed("taking the writer lock"))?;
            let latest = latest_revision(&mut tx)?;
            let next = latest.checked_add(1).ok_or_else(|| {
                StoreError::Backend("postgres: revisions are exhausted".to_owned())
            })?;
            let mut handle = PostgresTransaction {
                tx: &mut tx,
                mode: Mode::Write {
                    revision: next,
                    changed: false,
                },
            };
            // On an error the transaction is dropped, which rolls it back.
            work(&mut handle)?;
            if let Mode::Write { changed: true, .. } = handle.mode {
                // The notice is delivered on commit, and not at all on
                // a rollback.
                tx.batch_execute(&listen::record_and_notify(next))
                    .map_err(failed("recording the new revision"))?;
            }
            tx.commit()
                .map_err(failed("committing a write transaction"))
        })
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
                 WHERE revision > $1 AND value IS NOT NULL
                 ORDER BY revision, namespace COLLATE \"C\", key"
            } else {
                "SELECT revision, namespace, key, value FROM items
                 WHERE revision > $1
                 ORDER BY revision, namespace COLLATE \"C\", key"
            };
            let rows = handle
                .tx
                .query(sql, &[&after])
                .map_err(failed("reading changes"))?;
            let changes = rows
                .into_iter()
                .map(|row| {
                    let revision: i64 = row.try_get(0).map_err(failed("reading changes"))?;
                    let namespace: String = row.try_get(1).map_err(failed("reading changes"))?;
                    let key: Vec<u8> = row.try_get(2).map_err(failed("reading changes"))?;
                    let value: Option<Vec<u8>> =
                        row.try_get(3).map_err(failed("reading changes"))?;
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
        self.transact(IsolationLevel::ReadCommitted, false, |mut tx| {
            // Under the writer lock no revision commits between reading the
            // latest one and recording the horizon.
            tx.batch_execute(TAKE_WRITER_LOCK)
                .map_err(failed("taking the writer lock"))?;
            let (latest, recorded) = revision_and_horizon(&mut tx, self.supported_schema)?;
            // A horizon beyond the latest revision would send readers that
            // are up to date to full reads for nothing.
            let horizon = wanted.min(latest);
            if horizon <= recorded {
                return to_revision(recorded);
            }
            tx.execute(
                "DELETE FROM items WHERE value IS NULL AND revision <= $1",
                &[&horizon],
            )
            .map_err(failed("forgetting old tombstones"))?;
            tx.execute("UPDATE revision SET horizon = $1 WHERE id = 1", &[&horizon])
                .map_err(failed("recording the compaction horizon"))?;
            tx.commit().map_err(failed("committing a compaction"))?;
            to_revision(horizon)
        })
    }

    fn change_listener(&self) -> Option<Box<dyn tessera_store::ChangeListener>> {
        Some(Box::new(PostgresListener::new(
            &self.pool.config,
            self.pool.schema.as_deref(),
        )))
    }
}

#[cfg(test)]
mod tests;
