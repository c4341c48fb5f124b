//! The authorization snapshot: an immutable, in-memory view of everything a
//! request needs before it reaches an operation (access keys with their
//! opened secrets, principals, their policies), so that authentication and
//! authorization never wait on the database.
//!
//! A node builds its snapshot from the store's revision log and swaps in a
//! new one after every change it makes and whenever polling finds changes
//! made by other nodes. Readers hold an `Arc<Snapshot>` for the duration of a
//! request and never see a half-applied change.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, RwLock};

use tessera_store::{Backend, ChangeSet, StoreError};

use crate::caller::Caller;
use crate::crypto::{Kek, Secret};
use crate::policies::{self, CompiledPolicies};
use crate::records::{
    self, AccessKeyRecord, AccountRecord, KeyOwner, KeyStatus, UserRecord, NS_ACCESS_KEY,
    NS_ACCOUNT, NS_USER,
};

/// An access key as the request path needs it.
#[derive(Debug)]
pub struct KeyEntry {
    /// The key id.
    pub access_key_id: String,
    /// The owning account.
    pub account_id: String,
    /// The owner.
    pub owner: KeyOwner,
    /// Whether the key may sign requests.
    pub status: KeyStatus,
    /// The opened secret.
    pub secret: Secret,
}

/// An immutable view of the authorization graph at one store revision.
#[derive(Debug, Default, Clone)]
pub struct Snapshot {
    revision: u64,
    accounts: HashMap<String, Arc<AccountRecord>>,
    users_by_key: HashMap<String, Arc<UserRecord>>,
    users_by_id: HashMap<String, Arc<UserRecord>>,
    /// Compiled identity policies by user id.
    user_policies: HashMap<String, Arc<CompiledPolicies>>,
    keys: HashMap<String, Arc<KeyEntry>>,
    /// Access keys whose sealed secret the KEK could not open.
    unopenable_keys: usize,
}

impl Snapshot {
    /// How many stored access keys could not be opened with the KEK: a
    /// wrong or replaced KEK, or corrupted data. Such keys cannot sign.
    pub fn unopenable_keys(&self) -> usize {
        self.unopenable_keys
    }

    /// The store revision this snapshot reflects.
    pub fn revision(&self) -> u64 {
        self.revision
    }

    /// An account by id.
    pub fn account(&self, account_id: &str) -> Option<&AccountRecord> {
        self.accounts.get(account_id).map(Arc::as_ref)
    }

    /// A user by account and name (case-insensitive, as IAM names are).
    pub fn user_by_name(&self, account: &str, name: &str) -> Option<&UserRecord> {
        self.users_by_key
            .get(&records::user_key(account, name))
            .map(Arc::as_ref)
    }

    /// A user by unique id.
    pub fn user_by_id(&self, user_id: &str) -> Option<&UserRecord> {
        self.users_by_id.get(user_id).map(Arc::as_ref)
    }

    /// The compiled identity policies of a user (empty when it has none).
    pub fn user_policies(&self, user_id: &str) -> Option<&CompiledPolicies> {
        self.user_policies.get(user_id).map(Arc::as_ref)
    }

    /// An access key by id.
    pub fn access_key(&self, access_key_id: &str) -> Option<&Arc<KeyEntry>> {
        self.keys.get(access_key_id)
    }

    /// The principal an access key belongs to, if the key and its owner
    /// exist. Inactive keys resolve too; the caller decides what to do.
    pub fn caller_for_key(&self, key: &KeyEntry) -> Option<Caller> {
        match &key.owner {
            KeyOwner::Root => Some(Caller::Root {
                account: key.account_id.clone(),
            }),
            KeyOwner::User { user_id } => self.user_by_id(user_id).map(|u| Caller::User {
                account: u.account_id.clone(),
                user_id: u.user_id.clone(),
                name: u.name.clone(),
                path: u.path.clone(),
            }),
        }
    }

    /// A new snapshot with `changes` applied. Access-key secrets are opened
    /// here, once per change, rather than on every request.
    pub fn apply(&self, changes: &ChangeSet, kek: &Kek) -> Snapshot {
        let mut next = self.clone();
        for change in &changes.changes {
            let key = change.key.as_str();
            let value = change.value.as_deref();
            match change.namespace.as_str() {
                NS_ACCOUNT => {
                    match value.and_then(|v| decode_logged::<AccountRecord>(NS_ACCOUNT, key, v)) {
                        Some(account) => {
                            next.accounts.insert(key.to_string(), Arc::new(account));
                        }
                        None => {
                            next.accounts.remove(key);
                        }
                    }
                }
                NS_USER => {
                    if let Some(old) = next.users_by_key.remove(key) {
                        // A rename puts the new key and deletes the old one
                        // in the same revision, in key order: only drop the
                        // id entry if it is still this record's.
                        let still_this_record = next
                            .users_by_id
                            .get(&old.user_id)
                            .is_some_and(|current| Arc::ptr_eq(current, &old));
                        if still_this_record {
                            next.users_by_id.remove(&old.user_id);
                            next.user_policies.remove(&old.user_id);
                        }
                    }
                    if let Some(user) =
                        value.and_then(|v| decode_logged::<UserRecord>(NS_USER, key, v))
                    {
                        let user = Arc::new(user);
                        // Policies are compiled once here, not per request.
                        let compiled = policies::compile_inline(user.inline_policies.iter());
                        next.user_policies
                            .insert(user.user_id.clone(), Arc::new(compiled));
                        next.users_by_id
                            .insert(user.user_id.clone(), Arc::clone(&user));
                        next.users_by_key.insert(key.to_string(), user);
                    }
                }
                NS_ACCESS_KEY => {
                    next.keys.remove(key);
                    if let Some(record) =
                        value.and_then(|v| decode_logged::<AccessKeyRecord>(NS_ACCESS_KEY, key, v))
                    {
                        match kek.open(&record.access_key_id, &record.sealed_secret) {
                            Ok(secret) => {
                                next.keys.insert(
                                    key.to_string(),
                                    Arc::new(KeyEntry {
                                        access_key_id: record.access_key_id,
                                        account_id: record.account_id,
                                        owner: record.owner,
                                        status: record.status,
                                        secret,
                                    }),
                                );
                            }
                            Err(error) => {
                                next.unopenable_keys += 1;
                                tracing::error!(
                                    access_key_id = %record.access_key_id,
                                    %error,
                                    "access key cannot be used"
                                );
                            }
                        }
                    }
                }
                _ => {}
            }
        }
        next.revision = next.revision.max(changes.revision);
        next
    }
}

fn decode_logged<T: serde::de::DeserializeOwned>(
    namespace: &str,
    key: &str,
    value: &[u8],
) -> Option<T> {
    match records::decode(namespace, key, value) {
        Ok(v) => Some(v),
        Err(error) => {
            tracing::error!(%error, "record skipped while building the snapshot");
            None
        }
    }
}

/// The current snapshot of a node, and the means to bring it up to date.
pub struct SnapshotCell {
    current: RwLock<Arc<Snapshot>>,
    refresh_lock: Mutex<()>,
    kek: Kek,
}

impl SnapshotCell {
    /// An empty cell; call [`SnapshotCell::refresh`] before serving.
    pub fn new(kek: Kek) -> Self {
        SnapshotCell {
            current: RwLock::new(Arc::new(Snapshot::default())),
            refresh_lock: Mutex::new(()),
            kek,
        }
    }

    /// The current snapshot.
    pub fn load(&self) -> Arc<Snapshot> {
        match self.current.read() {
            Ok(guard) => Arc::clone(&guard),
            Err(poisoned) => Arc::clone(&poisoned.into_inner()),
        }
    }

    /// Reads the changes committed since the current snapshot and swaps in
    /// a new snapshot if there are any. Answers the revision now current.
    pub fn refresh(&self, backend: &dyn Backend) -> Result<u64, StoreError> {
        // One refresh at a time: a second caller waits and then usually
        // finds nothing new to read.
        let _guard = match self.refresh_lock.lock() {
            Ok(g) => g,
            Err(poisoned) => poisoned.into_inner(),
        };
        let current = self.load();
        let changes = backend.changes_since(current.revision())?;
        if changes.changes.is_empty() && changes.revision <= current.revision() {
            return Ok(current.revision());
        }
        let next = Arc::new(current.apply(&changes, &self.kek));
        let revision = next.revision();
        match self.current.write() {
            Ok(mut guard) => *guard = next,
            Err(poisoned) => *poisoned.into_inner() = next,
        }
        Ok(revision)
    }
}
