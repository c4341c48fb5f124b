//! Runs the store conformance suite against SQLite: on database files (every
//! handle its own connections, as separate processes would have) and in
//! memory (handles share one backend).

use std::sync::Arc;

use tessera_store::conformance::Guarded;
use tessera_store::Backend;
use tessera_store_sqlite::SqliteBackend;

mod file {
    use super::*;

    fn fixture(handles: usize) -> Vec<Box<dyn Backend>> {
        let dir = Arc::new(tempfile::tempdir().expect("a temporary directory"));
        let path = dir.path().join("data").join("tessera.db");
        (0..handles)
            .map(|_| {
                let backend = SqliteBackend::open(&path).expect("the database opens");
                Guarded::boxed(backend, Arc::clone(&dir))
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
            .map(|_| Box::new(Arc::clone(&backend)) as Box<dyn Backend>)
            .collect()
    }

    tessera_store::conformance_tests!(fixture);
}
