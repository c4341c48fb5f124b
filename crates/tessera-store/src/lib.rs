//! The storage boundary of Tessera.
//!
//! Every backend (SQLite, PostgreSQL) implements [`Backend`]: a transactional,
//! ordered key-value map split into namespaces, plus a revision log that lets
//! every node rebuild and then incrementally refresh its in-memory snapshot.
//!
//! The domain (users, keys, policies) lives above this crate and knows no SQL;
//! the backends know SQL and nothing of the domain. Keeping the boundary this
//! narrow is what lets one conformance suite (the `conformance` module,
//! behind the feature of the same name) prove both backends, and what makes a
//! snapshot a replay of the log.
//!
//! # Invariants
//!
//! - A write transaction is serializable with respect to every other write
//!   transaction on the same store, across processes and nodes: the closure
//!   sees a consistent state and either all of its writes commit or none do.
//! - Every committed write transaction that changed something gets a new
//!   revision, strictly greater than every earlier one; every item it wrote
//!   (or deleted) carries that revision. Readers of [`Backend::changes_since`]
//!   therefore never miss a change.
//! - A write transaction that changed nothing (no `put`, and no `delete`
//!   that found an item) commits no new revision.
//! - Keys within a namespace are listed in byte order of the key's UTF-8
//!   encoding (not by any locale's collation).
//! - Values are opaque bytes of any length, including zero. They never
//!   appear in errors, logs or `Debug` output, because they may hold sealed
//!   secrets.
//!
//! # Deletions and the revision log
//!
//! A deletion is kept as a tombstone carrying the revision that deleted the
//! item, so that [`Backend::changes_since`] can report it. A full read
//! (`changes_since(0)`) may or may not include tombstones; applying a
//! tombstone to a snapshot that lacks the item is harmless either way.
//!
//! Tombstones do not have to be kept forever: [`Backend::compact`] forgets
//! those at or below a revision, the *compaction horizon*, which the store
//! records. A reader asking for the changes since a revision below the
//! horizon could no longer learn of every deletion, so it is answered with
//! a full read instead, marked [`ChangeSet::full`]: it must replace its
//! state rather than apply a delta. A reader at or above the horizon gets a
//! delta as before, because every tombstone newer than the horizon is kept.
//!
//! # Usage
//!
//! Transactions are closures. The helpers [`read()`] and [`write()`] carry a
//! result (and, for writes, a domain error) out of the closure:
//!
//! ```
//! use tessera_store::{Backend, Outcome};
//!
//! struct LimitExceeded;
//!
//! fn add_key(backend: &dyn Backend, id: &str, sealed: &[u8]) -> Result<(), Outcome<LimitExceeded>> {
//!     tessera_store::write(backend, |tx| {
//!         if tx.count("accesskey", "alice/")? >= 2 {
//!             return Err(Outcome::Domain(LimitExceeded));
//!         }
//!         tx.put("accesskey", &format!("alice/{id}"), sealed)?;
//!         Ok(())
//!     })
//! }
//! ```
//!
//! A closure must not start another transaction on the same backend: the
//! inner one would wait for the outer one forever.

#![deny(missing_docs)]

#[cfg(feature = "conformance")]
pub mod conformance;
pub mod range;

use std::fmt;

/// A namespace groups keys of one kind, e.g. `"user"` or `"accesskey"`.
/// Namespaces are short ASCII identifiers chosen by the domain layer.
pub type Namespace = str;

/// The errors a backend can report. None of them carries item values, so
/// secrets stored as values can never leak through an error message.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The backend could not be reached or failed (I/O, connection, SQL).
    #[error("storage backend failure: {0}")]
    Backend(String),
    /// The database was written by a newer version of Tessera.
    #[error("the database schema version {found} is newer than this build supports ({supported})")]
    SchemaTooNew {
        /// The schema version recorded in the database.
        found: i64,
        /// The newest schema version this build knows.
        supported: i64,
    },
    /// The transaction was aborted by the closure; carries the caller's reason.
    #[error("transaction aborted")]
    Aborted,
}

/// One item as read back from the store.
#[derive(Clone, PartialEq, Eq)]
pub struct Item {
    /// The namespace the item lives in.
    pub namespace: String,
    /// The item's key, unique within its namespace.
    pub key: String,
    /// The item's value: opaque bytes.
    pub value: Vec<u8>,
}

impl fmt::Debug for Item {
    // Values may hold sealed secrets; only their size is shown.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Item")
            .field("namespace", &self.namespace)
            .field("key", &self.key)
            .field("value_len", &self.value.len())
            .finish()
    }
}

/// One entry of the revision log: an item written (`value: Some`) or
/// deleted (`value: None`) at `revision`.
#[derive(Clone, PartialEq, Eq)]
pub struct Change {
    /// The revision of the write transaction that made this change.
    pub revision: u64,
    /// The namespace of the changed item.
    pub namespace: String,
    /// The key of the changed item.
    pub key: String,
    /// The item's new value, or `None` when the change deleted it.
    pub value: Option<Vec<u8>>,
}

impl fmt::Debug for Change {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Change")
            .field("revision", &self.revision)
            .field("namespace", &self.namespace)
            .field("key", &self.key)
            .field("value_len", &self.value.as_ref().map(Vec::len))
            .finish()
    }
}

/// The changes committed after some revision, and the revision they bring
/// the reader to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChangeSet {
    /// The latest revision in the store when the changes were read. A reader
    /// that applies `changes` is up to date as of this revision.
    pub revision: u64,
    /// Only the latest change of each (namespace, key) is guaranteed to be
    /// present; earlier changes of the same item may have been compacted.
    /// Sorted by revision, then namespace, then key.
    pub changes: Vec<Change>,
    /// Whether `changes` is the whole current state rather than a delta:
    /// always for `changes_since(0)`, and whenever the asked revision is
    /// below the compaction horizon (see [`Backend::compact`]). A reader
    /// given a full set must drop everything it holds that the set lacks.
    pub full: bool,
}

/// Operations available inside a transaction.
pub trait Transaction {
    /// Reads one item.
    fn get(&mut self, namespace: &Namespace, key: &str) -> Result<Option<Vec<u8>>, StoreError>;

    /// Lists items of `namespace` whose key starts with `prefix`, in key
    /// order, starting strictly after `start_after` when given, at most
    /// `limit` items (none when `limit` is 0). An empty prefix lists the
    /// whole namespace.
    fn scan(
        &mut self,
        namespace: &Namespace,
        prefix: &str,
        start_after: Option<&str>,
        limit: usize,
    ) -> Result<Vec<(String, Vec<u8>)>, StoreError>;

    /// Counts the items of `namespace` whose key starts with `prefix`.
    fn count(&mut self, namespace: &Namespace, prefix: &str) -> Result<u64, StoreError>;

    /// Inserts or replaces an item. Replacing an item with an identical value
    /// still counts as a change. Fails with [`StoreError::Backend`] in a
    /// read-only transaction.
    fn put(&mut self, namespace: &Namespace, key: &str, value: &[u8]) -> Result<(), StoreError>;

    /// Deletes an item; answers whether it existed. Deleting an absent item
    /// changes nothing. Fails with [`StoreError::Backend`] in a read-only
    /// transaction.
    fn delete(&mut self, namespace: &Namespace, key: &str) -> Result<bool, StoreError>;
}

/// A storage backend. Implementations are synchronous; the server calls them
/// from blocking threads.
pub trait Backend: Send + Sync + 'static {
    /// A short name for logs: `"sqlite"` or `"postgres"`.
    fn kind(&self) -> &'static str;

    /// Runs `work` in a read-only transaction that sees one consistent state.
    fn read(
        &self,
        work: &mut dyn FnMut(&mut dyn Transaction) -> Result<(), StoreError>,
    ) -> Result<(), StoreError>;

    /// Runs `work` in a serializable write transaction. If `work` returns an
    /// error, nothing it wrote is kept and the error is returned. A backend
    /// may call `work` more than once when it must retry after a conflict,
    /// so `work` must not have side effects outside the transaction.
    ///
    /// When `work` succeeds and changed something, the transaction commits
    /// under a new revision; when it changed nothing, no revision is used.
    fn write(
        &self,
        work: &mut dyn FnMut(&mut dyn Transaction) -> Result<(), StoreError>,
    ) -> Result<(), StoreError>;

    /// The changes committed after `revision` (0 reads everything that
    /// exists). Deleted items appear with `value: None` when they were
    /// deleted after `revision`. The whole answer is read from one
    /// consistent state.
    ///
    /// When `revision` is below the compaction horizon, the deletions since
    /// then may have been forgotten, so the answer is a full read (as for
    /// 0) with [`ChangeSet::full`] set.
    fn changes_since(&self, revision: u64) -> Result<ChangeSet, StoreError>;

    /// Forgets the tombstones of deletions at revisions up to `horizon`
    /// (capped at the latest revision) and records the horizon, in one
    /// transaction, so that [`changes_since`](Self::changes_since) answers
    /// a reader below it with a full read. The recorded horizon never goes
    /// down: a lower `horizon` than the recorded one changes nothing.
    /// Compaction commits no revision, as it changes no live item. Answers
    /// the recorded horizon.
    ///
    /// The default keeps every tombstone and answers 0, the horizon of a
    /// store that never compacts.
    fn compact(&self, horizon: u64) -> Result<u64, StoreError> {
        let _ = horizon;
        Ok(0)
    }

    /// A way to learn of commits (by any node) without polling, when the
    /// backend has one; `None` (the default) means the caller must poll
    /// [`changes_since`](Self::changes_since). Commits by this handle are
    /// reported too.
    fn change_listener(&self) -> Option<Box<dyn ChangeListener>> {
        None
    }
}

/// Wakes a follower when a write transaction may have committed, so that it
/// reads [`Backend::changes_since`] at once instead of at its next poll.
///
/// A notice is a hint, never a guarantee: notices can be lost (a broken
/// connection), so a follower keeps polling as well, and may be woken for
/// a commit it has already read.
pub trait ChangeListener: Send {
    /// Blocks until a commit may have happened (`Ok(true)`) or `timeout`
    /// passes without one (`Ok(false)`). After an error the next call
    /// reconnects; its first answer after reconnecting is `Ok(true)`,
    /// because commits made while disconnected were not heard.
    fn wait(&mut self, timeout: std::time::Duration) -> Result<bool, StoreError>;
}

/// A shared backend is a backend: several handles (an `Arc` per node
/// component, or per test handle) use one store.
impl<T: Backend + ?Sized> Backend for std::sync::Arc<T> {
    fn kind(&self) -> &'static str {
        (**self).kind()
    }

    fn read(
        &self,
        work: &mut dyn FnMut(&mut dyn Transaction) -> Result<(), StoreError>,
    ) -> Result<(), StoreError> {
        (**self).read(work)
    }

    fn write(
        &self,
        work: &mut dyn FnMut(&mut dyn Transaction) -> Result<(), StoreError>,
    ) -> Result<(), StoreError> {
        (**self).write(work)
    }

    fn changes_since(&self, revision: u64) -> Result<ChangeSet, StoreError> {
        (**self).changes_since(revision)
    }

    fn compact(&self, horizon: u64) -> Result<u64, StoreError> {
        (**self).compact(horizon)
    }

    fn change_listener(&self) -> Option<Box<dyn ChangeListener>> {
        (**self).change_listener()
    }
}

/// Runs a read transaction and returns what the closure produced.
pub fn read<T>(
    backend: &dyn Backend,
    mut work: impl FnMut(&mut dyn Transaction) -> Result<T, StoreError>,
) -> Result<T, StoreError> {
    let mut out = None;
    backend.read(&mut |tx| {
        out = Some(work(tx)?);
        Ok(())
    })?;
    out.ok_or(StoreError::Aborted)
}

/// Runs a write transaction and returns what the closure produced.
///
/// Domain errors are carried out of the closure through `E`, which the
/// closure returns as `Err(Outcome::Domain(e))`: the transaction rolls back
/// and the domain error reaches the caller unchanged.
pub fn write<T, E>(
    backend: &dyn Backend,
    mut work: impl FnMut(&mut dyn Transaction) -> Result<T, Outcome<E>>,
) -> Result<T, Outcome<E>> {
    let mut out: Option<Result<T, Outcome<E>>> = None;
    let result = backend.write(&mut |tx| match work(tx) {
        Ok(v) => {
            out = Some(Ok(v));
            Ok(())
        }
        Err(Outcome::Store(e)) => Err(e),
        Err(Outcome::Domain(e)) => {
            out = Some(Err(Outcome::Domain(e)));
            Err(StoreError::Aborted)
        }
    });
    match (result, out) {
        (Ok(()), Some(Ok(v))) => Ok(v),
        (_, Some(Err(e))) => Err(e),
        (Err(e), _) => Err(Outcome::Store(e)),
        (Ok(()), _) => Err(Outcome::Store(StoreError::Aborted)),
    }
}

/// The failure of a domain write: either the store failed or the domain
/// refused the change (and the transaction rolled back).
#[derive(Debug)]
pub enum Outcome<E> {
    /// The store failed; the transaction did not commit.
    Store(StoreError),
    /// The closure refused the change; the transaction rolled back.
    Domain(E),
}

impl<E> From<StoreError> for Outcome<E> {
    fn from(e: StoreError) -> Self {
        Outcome::Store(e)
    }
}
