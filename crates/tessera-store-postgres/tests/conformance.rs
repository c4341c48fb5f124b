//! Runs the store conformance suite against PostgreSQL. Every check gets a
//! fresh schema with a random name, dropped when its last handle is; two
//! handles are two backends with their own connections, as two nodes.
//!
//! The database comes from `TESSERA_TEST_POSTGRES_URL`; without it every
//! check fails, saying how to get one.

use std::sync::Arc;

use tessera_store::conformance::Guarded;
use tessera_store::Backend;
use tessera_store_postgres::PostgresBackend;

mod common;

fn fixture(handles: usize) -> Vec<Box<dyn Backend>> {
    let schema = Arc::new(common::Schema::new());
    (0..handles)
        .map(|_| {
            let backend = PostgresBackend::connect_with_schema(&schema.url, &schema.name)
                .unwrap_or_else(|e| panic!("cannot connect to the test database: {e}"));
            Guarded::boxed(backend, Arc::clone(&schema))
        })
        .collect()
}

tessera_store::conformance_tests!(fixture);
