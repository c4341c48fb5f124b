//! The storage boundary of Tessera.
//!
//! Every backend (SQLite, PostgreSQL) implements [`Backend`]: a transactional,
//! ordered key-value map split into namespaces, plus a revision log that lets
//! every node rebuild and then incrementally refresh its in-memory snapshot.
//!
//! The domain (users, keys, policies) lives above this crate and knows no SQL;
//! the backends know SQL and nothing of the domain. Keeping the boundary this
//! narrow is what lets one conformance suite ([`conformance`]) prove both
//! backends, and what makes a snapshot a replay of the log.
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
//! - Keys within a namespace are listed in byte order of the key.

pub mod conformance;

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
    SchemaTooNew { found: i64, supported: i64 },
    /// The transaction was aborted by the closure; carries the caller's reason.
    #[error("transaction aborted")]
    Aborted,
}

/// One item as read back from the store.
#[derive(Clone, PartialEq, Eq)]
pub struct Item {
    pub namespace: String,
    pub key: String,
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
    pub revision: u64,
    pub namespace: String,
    pub key: String,
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
    /// Sorted by revision.
    pub changes: Vec<Change>,
}

/// Operations available inside a transaction.
pub trait Transaction {
    /// Reads one item.
    fn get(&mut self, namespace: &Namespace, key: &str) -> Result<Option<Vec<u8>>, StoreError>;

    /// Lists items of `namespace` whose key starts with `prefix`, in key
    /// order, starting strictly after `start_after` when given, at most
    /// `limit` items.
    fn scan(
        &mut self,
        namespace: &Namespace,
        prefix: &str,
        start_after: Option<&str>,
        limit: usize,
    ) -> Result<Vec<(String, Vec<u8>)>, StoreError>;

    /// Counts the items of `namespace` whose key starts with `prefix`.
    fn count(&mut self, namespace: &Namespace, prefix: &str) -> Result<u64, StoreError>;

    /// Inserts or replaces an item. Fails with [`StoreError::Backend`] in a
    /// read-only transaction.
    fn put(&mut self, namespace: &Namespace, key: &str, value: &[u8]) -> Result<(), StoreError>;

    /// Deletes an item; answers whether it existed.
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
    fn write(
        &self,
        work: &mut dyn FnMut(&mut dyn Transaction) -> Result<(), StoreError>,
    ) -> Result<(), StoreError>;

    /// The changes committed after `revision` (0 reads everything that
    /// exists). Deleted items appear with `value: None` when they were
    /// deleted after `revision`.
    fn changes_since(&self, revision: u64) -> Result<ChangeSet, StoreError>;
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
    Store(StoreError),
    Domain(E),
}

impl<E> From<StoreError> for Outcome<E> {
    fn from(e: StoreError) -> Self {
        Outcome::Store(e)
    }
}
