//! The test database: its URL from the environment, and fresh schemas that
//! drop themselves.

use std::hash::{BuildHasher, Hasher};
use std::sync::atomic::{AtomicU64, Ordering};

/// The variable naming the test database.
pub const URL_VARIABLE: &str = "TESSERA_TEST_POSTGRES_URL";

/// The test database's URL. Fails the test when the variable is missing:
/// a PostgreSQL test never passes by not running.
pub fn url() -> String {
    match std::env::var(URL_VARIABLE) {
        Ok(url) if !url.trim().is_empty() => url,
        _ => panic!(
            "{URL_VARIABLE} is not set: set {URL_VARIABLE} or run scripts/test.sh, \
             which starts a throwaway PostgreSQL"
        ),
    }
}

/// A schema with a random name in the test database, dropped (with
/// everything in it) when this value is.
pub struct Schema {
    pub url: String,
    pub name: String,
}

impl Schema {
    pub fn new() -> Self {
        static COUNTER: AtomicU64 = AtomicU64::new(0);
        let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
        hasher.write_u32(std::process::id());
        hasher.write_u64(COUNTER.fetch_add(1, Ordering::SeqCst));
        hasher.write_u128(
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_nanos())
                .unwrap_or(0),
        );
        Schema {
            url: url(),
            name: format!("tessera_test_{:016x}", hasher.finish()),
        }
    }
}

impl Drop for Schema {
    fn drop(&mut self) {
        let dropped =
            postgres::Client::connect(&self.url, postgres::NoTls).and_then(|mut client| {
                client.batch_execute(&format!("DROP SCHEMA IF EXISTS \"{}\" CASCADE", self.name))
            });
        if let Err(e) = dropped {
            eprintln!("could not drop the test schema {}: {e}", self.name);
        }
    }
}
