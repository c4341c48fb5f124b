//! What requests used, noted in memory and written in the background.
//!
//! Three records of use share one mechanism: access keys' last use (noted
//! at authentication), roles' last use (a successful `AssumeRole`) and the
//! service last accessed data (every attempt that reaches authorization,
//! see [`tessera_iam::service_usage`]). A request only updates an
//! in-memory map (the latest value per key); a background task writes the
//! maps every `--usage-flush-interval-ms`, and once more at shutdown, so
//! that no request waits on a store write. A failed write puts its batch
//! back for the next flush. The writes go through the store backend, so
//! every node sharing a PostgreSQL database sees them; AWS too documents
//! that this data lags.

use std::sync::{Arc, Mutex, MutexGuard};

use tessera_iam::ops::Usage;
use tessera_iam::records::{self, LastUsedRecord, NS_KEY_USED};
use tessera_iam::service_usage::{Attempt, ServiceUsedRecord};
use tessera_store::{Backend, StoreError};

/// Keys are access key ids, role ids and principal/service paths of
/// entities that exist and authenticated; foldhash's random seed still
/// keeps their placement unpredictable.
type HashMap<K, V> = foldhash::HashMap<K, V>;

/// The latest value noted per key since the last flush.
struct Latest<V> {
    pending: Mutex<HashMap<String, V>>,
}

impl<V> Default for Latest<V> {
    fn default() -> Self {
        Latest {
            pending: Mutex::new(HashMap::default()),
        }
    }
}

impl<V: Clone> Latest<V> {
    fn lock(&self) -> MutexGuard<'_, HashMap<String, V>> {
        match self.pending.lock() {
            Ok(g) => g,
            Err(p) => p.into_inner(),
        }
    }

    /// Updates the value of `key` in place with `update`, or inserts
    /// `create()`: a key noted again allocates nothing.
    fn note(&self, key: &str, update: impl FnOnce(&mut V), create: impl FnOnce() -> V) {
        let mut pending = self.lock();
        match pending.get_mut(key) {
            Some(known) => update(known),
            None => {
                pending.insert(key.to_string(), create());
            }
        }
    }

    fn get(&self, key: &str) -> Option<V> {
        self.lock().get(key).cloned()
    }

    fn take(&self) -> Vec<(String, V)> {
        self.lock().drain().collect()
    }

    /// Puts back a batch that could not be written, keeping whatever was
    /// noted meanwhile when `newer` says it supersedes the batch's value.
    fn put_back(&self, batch: Vec<(String, V)>, newer: impl Fn(&V, &V) -> bool) {
        let mut pending = self.lock();
        for (key, value) in batch {
            match pending.get_mut(&key) {
                Some(known) if newer(known, &value) => {}
                Some(known) => *known = value,
                None => {
                    pending.insert(key, value);
                }
            }
        }
    }
}

/// How many records one flush wrote.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Flushed {
    /// Access keys' last use.
    pub keys: usize,
    /// Roles' last use (the snapshot must be refreshed when non-zero).
    pub roles: usize,
    /// Services and actions last accessed.
    pub services: usize,
}

/// The server's record of use, noted by requests, written by [`flush`].
///
/// [`flush`]: UsageTracker::flush
pub struct UsageTracker {
    store: Arc<dyn Backend>,
    keys: Latest<LastUsedRecord>,
    roles: Latest<(i64, String)>,
    services: Latest<ServiceUsedRecord>,
}

impl UsageTracker {
    /// A tracker that writes to (and reads persisted uses from) `store`.
    pub fn new(store: Arc<dyn Backend>) -> Self {
        UsageTracker {
            store,
            keys: Latest::default(),
            roles: Latest::default(),
            services: Latest::default(),
        }
    }

    /// Notes a use of `access_key_id` at `date` (seconds since the epoch)
    /// for `service` in `region`.
    pub fn key_used(&self, access_key_id: &str, date: i64, service: &str, region: &str) {
        let used = || LastUsedRecord {
            date,
            service: service.to_string(),
            region: region.to_string(),
        };
        self.keys.note(
            access_key_id,
            |known| {
                if known.service == service && known.region == region {
                    known.date = known.date.max(date);
                } else if date >= known.date {
                    *known = used();
                }
            },
            used,
        );
    }

    /// Notes that `role_id` was assumed at `date` in `region`.
    pub fn role_assumed(&self, role_id: &str, date: i64, region: &str) {
        self.roles.note(
            role_id,
            |(known, known_region)| {
                if date >= *known {
                    *known = date;
                    if known_region != region {
                        *known_region = region.to_string();
                    }
                }
            },
            || (date, region.to_string()),
        );
    }

    /// Writes everything noted since the last flush: each record of use in
    /// its own transaction, so that one failing does not hold back the
    /// others; a failed batch is kept for the next flush.
    pub fn flush(&self) -> Result<Flushed, StoreError> {
        let mut flushed = Flushed::default();
        let mut first_error = None;

        let keys = self.keys.take();
        match write_key_uses(self.store.as_ref(), &keys) {
            Ok(n) => flushed.keys = n,
            Err(error) => {
                self.keys
                    .put_back(keys, |known, lost| known.date >= lost.date);
                first_error.get_or_insert(error);
            }
        }

        let roles = self.roles.take();
        let batch: Vec<(String, i64, String)> = roles
            .iter()
            .map(|(id, (date, region))| (id.clone(), *date, region.clone()))
            .collect();
        match tessera_iam::role_usage::record_role_uses(self.store.as_ref(), &batch) {
            Ok(n) => flushed.roles = n,
            Err(error) => {
                self.roles.put_back(roles, |known, lost| known.0 >= lost.0);
                first_error.get_or_insert(StoreError::Backend(error.message));
            }
        }

        let services = self.services.take();
        match tessera_iam::service_usage::record_attempts(self.store.as_ref(), &services) {
            Ok(n) => flushed.services = n,
            Err(error) => {
                self.services
                    .put_back(services, |known, lost| known.date >= lost.date);
                first_error.get_or_insert(StoreError::Backend(error.message));
            }
        }

        match first_error {
            None => Ok(flushed),
            Some(error) => Err(error),
        }
    }
}

/// Writes access keys' last use; uses of keys deleted meanwhile are
/// dropped.
fn write_key_uses(
    store: &dyn Backend,
    batch: &[(String, LastUsedRecord)],
) -> Result<usize, StoreError> {
    if batch.is_empty() {
        return Ok(0);
    }
    let mut written = 0;
    store.write(&mut |tx| {
        written = 0;
        for (key_id, used) in batch {
            if tx.get(records::NS_ACCESS_KEY, key_id)?.is_some() {
                records::put(tx, NS_KEY_USED, key_id, used)?;
                written += 1;
            }
        }
        Ok(())
    })?;
    Ok(written)
}

impl Usage for UsageTracker {
    fn last_used(&self, access_key_id: &str) -> Option<LastUsedRecord> {
        if let Some(used) = self.keys.get(access_key_id) {
            return Some(used);
        }
        tessera_store::read(self.store.as_ref(), |tx| {
            records::get::<LastUsedRecord>(tx, NS_KEY_USED, access_key_id)
        })
        .ok()
        .flatten()
    }

    fn attempted(&self, attempt: Attempt<'_>) {
        let date = attempt.date;
        attempt.for_each_key(|key| {
            self.services.note(
                key,
                |known| {
                    if date >= known.date {
                        if known.region != attempt.region {
                            attempt.region.clone_into(&mut known.region);
                        }
                        if known.entity_arn != attempt.entity_arn {
                            known.entity_arn.clone_from(&attempt.entity_arn);
                        }
                        known.date = date;
                    }
                },
                || attempt.record(),
            );
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tracker() -> UsageTracker {
        let store: Arc<dyn Backend> =
            Arc::new(tessera_store_sqlite::SqliteBackend::open_in_memory().unwrap());
        UsageTracker::new(store)
    }

    /// Stores a user record for `user_id`: attempts are written only for
    /// principals that exist.
    fn create_user(usage: &UsageTracker, user_id: &str) {
        usage
            .store
            .write(&mut |tx| tx.put("users", user_id, b"{}"))
            .unwrap();
    }

    fn alice() -> tessera_iam::caller::Caller {
        tessera_iam::caller::Caller::User {
            account: "123456789012".into(),
            partition: "aws".into(),
            user_id: "AIDAALICE".into(),
            name: "alice".into(),
            path: "/".into(),
            session: None,
        }
    }

    #[test]
    fn attempts_of_a_principal_deleted_before_the_flush_are_dropped() {
        let usage = tracker();
        usage.attempted(Attempt::of(&alice(), "iam:ListUsers", 20, "eu-west-1").unwrap());
        assert_eq!(usage.flush().unwrap().services, 0);
        let read = tessera_store::read(usage.store.as_ref(), |tx| {
            tessera_iam::service_usage::principal_usage(tx, "AIDAALICE", 0)
        })
        .unwrap();
        assert!(read.services.is_empty() && read.actions.is_empty());
    }

    #[test]
    fn the_latest_attempt_per_service_and_action_is_written_at_flush() {
        let usage = tracker();
        create_user(&usage, "AIDAALICE");
        let alice = alice();
        for (action, date, region) in [
            ("iam:ListUsers", 20, "eu-west-1"),
            ("iam:ListUsers", 10, "us-east-1"),
            ("iam:GetUser", 15, "us-west-2"),
        ] {
            usage.attempted(Attempt::of(&alice, action, date, region).unwrap());
        }
        let flushed = usage.flush().unwrap();
        assert_eq!(flushed.services, 3);
        let read = tessera_store::read(usage.store.as_ref(), |tx| {
            tessera_iam::service_usage::principal_usage(tx, "AIDAALICE", 0)
        })
        .unwrap();
        let iam = &read.services["iam"];
        assert_eq!((iam.date, iam.region.as_str()), (20, "eu-west-1"));
        assert_eq!(read.actions["iam/ListUsers"].date, 20);
        assert_eq!(read.actions["iam/GetUser"].region, "us-west-2");
        assert_eq!(usage.flush().unwrap(), Flushed::default());
    }
}
