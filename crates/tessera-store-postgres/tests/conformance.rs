//! Runs the store conformance suite against PostgreSQL. Every check gets a
//! fresh schema with a random name, dropped when its last handle is; two
//! handles are two backends with their own connections, as two nodes.
//!
//! The database comes from `TESSERA_TEST_POSTGRES_URL`; without it every
//! check fails, saying how to get one.

use std::sync::Arc;

use tessera_store::{Backend, ChangeSet, StoreError, Transaction};
use tessera_store_postgres::PostgresBackend;

mod common;

/// A backend that keeps its schema alive for as long as it lives.
struct Handle {
    backend: PostgresBackend,
    _schema: Arc<common::Schema>,
}

impl Backend for Handle {
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

fn fixture(handles: usize) -> Vec<Box<dyn Backend>> {
    let schema = Arc::new(common::Schema::new());
    (0..handles)
        .map(|_| {
            let backend = PostgresBackend::connect_with_schema(&schema.url, &schema.name)
                .unwrap_or_else(|e| panic!("cannot connect to the test database: {e}"));
            Box::new(Handle {
                backend,
                _schema: Arc::clone(&schema),
            }) as Box<dyn Backend>
        })
        .collect()
}

tessera_store::conformance_tests!(fixture);
