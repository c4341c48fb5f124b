//! Runs the store conformance suite against SQLite: on database files (every
//! handle its own connections, as separate processes would have) and in
//! memory (handles share one backend).

use std::sync::Arc;

use tessera_store::{Backend, ChangeSet, StoreError, Transaction};
use tessera_store_sqlite::SqliteBackend;

/// A backend that keeps alive what it needs, such as its temporary
/// directory, for as long as the handle lives.
struct Handle<B, K> {
    backend: B,
    _keep: K,
}

impl<B, K> Backend for Handle<B, K>
where
    B: std::ops::Deref<Target = SqliteBackend> + Send + Sync + 'static,
    K: Send + Sync + 'static,
{
    fn kind(&self) -> &'static str {
        self.backend.kind()
    }

    fn read(
        &self,
        work: &mut dyn FnMut(&mut dyn Transaction) -> Result<(), StoreError>,
    ) -> Result<(), StoreError> {
        self.backend.read(work)
    }

    fn write(
        &self,
        work: &mut dyn FnMut(&mut dyn Transaction) -> Result<(), StoreError>,
    ) -> Result<(), StoreError> {
        self.backend.write(work)
    }

    fn changes_since(&self, revision: u64) -> Result<ChangeSet, StoreError> {
        self.backend.changes_since(revision)
    }
}

mod file {
    use super::*;

    fn fixture(handles: usize) -> Vec<Box<dyn Backend>> {
        let dir = Arc::new(tempfile::tempdir().expect("a temporary directory"));
        let path = dir.path().join("data").join("tessera.db");
        (0..handles)
            .map(|_| {
                let backend = SqliteBackend::open(&path).expect("the database opens");
                Box::new(Handle {
                    backend: Box::new(backend),
                    _keep: Arc::clone(&dir),
                }) as Box<dyn Backend>
            })
            .collect()
    }

    tessera_store::conformance_tests!(fixture);
}

mod memory {
    use super::*;

    fn fixture(handles: usize) -> Vec<Box<dyn Backend>> {
        let backend = Arc::new(SqliteBackend::open_in_memory().expect("the database opens"));
        (0..handles)
            .map(|_| {
                Box::new(Handle {
                    backend: Arc::clone(&backend),
                    _keep: (),
                }) as Box<dyn Backend>
            })
            .collect()
    }

    tessera_store::conformance_tests!(fixture);
}
