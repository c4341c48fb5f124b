//! What the domain keeps in the store: one JSON record per entity, under
//! namespaced keys, plus index entries that transactions maintain together
//! with the records they point at.
//!
//! | namespace   | key                                   | value |
//! |-------------|---------------------------------------|-------|
//! | `account`   | account id                            | [`AccountRecord`] |
//! | `user`      | `ACCOUNT/lowercased-name`             | [`UserRecord`] |
//! | `userid`    | user id (`AIDA…`)                     | the `user` key |
//! | `accesskey` | access key id                         | [`AccessKeyRecord`] |
//! | `ownerkey`  | `ACCOUNT/OWNER/ACCESSKEYID`           | empty (counts keys per owner) |
//! | `keyused`   | access key id                         | [`LastUsedRecord`] |
//!
//! Names are unique case-insensitively, as in IAM, which is why the user key
//! holds the lowercased name while the record keeps the name as created.

use std::collections::BTreeMap;

use serde::{de::DeserializeOwned, Deserialize, Serialize};
use tessera_store::{Outcome, StoreError, Transaction};

use crate::IamError;

/// Namespace of accounts.
pub const NS_ACCOUNT: &str = "account";
/// Namespace of users.
pub const NS_USER: &str = "user";
/// Namespace of the user-id index.
pub const NS_USER_ID: &str = "userid";
/// Namespace of access keys.
pub const NS_ACCESS_KEY: &str = "accesskey";
/// Namespace of the per-owner access-key index.
pub const NS_OWNER_KEY: &str = "ownerkey";
/// Namespace of access-key last-used records.
pub const NS_KEY_USED: &str = "keyused";

/// The owner segment of `ownerkey` entries for the account root.
pub const ROOT_OWNER: &str = "root";

/// An account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountRecord {
    /// The 12-digit account id.
    pub account_id: String,
    /// When the account was created, in seconds since the epoch.
    pub created: i64,
}

/// A tag on an entity.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tag {
    /// The key.
    pub key: String,
    /// The value.
    pub value: String,
}

/// An IAM user.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserRecord {
    /// The unique id (`AIDA…`), stable across renames.
    pub user_id: String,
    /// The owning account.
    pub account_id: String,
    /// The name as created.
    pub name: String,
    /// The path, `/` or `/a/b/`.
    pub path: String,
    /// Creation time, seconds since the epoch.
    pub created: i64,
    /// Tags in the order given.
    #[serde(default)]
    pub tags: Vec<Tag>,
    /// Inline policies by name: the document as the client sent it.
    #[serde(default)]
    pub inline_policies: BTreeMap<String, String>,
}

impl UserRecord {
    /// The user's ARN.
    pub fn arn(&self) -> String {
        crate::arn::user(&self.account_id, &self.path, &self.name)
    }
}

/// Who an access key belongs to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "lowercase")]
pub enum KeyOwner {
    /// The account's root user.
    Root,
    /// An IAM user, by id so that renames need no key rewrite.
    User {
        /// The user id.
        user_id: String,
    },
}

impl KeyOwner {
    /// The owner segment of `ownerkey` index entries.
    pub fn index_segment(&self) -> &str {
        match self {
            KeyOwner::Root => ROOT_OWNER,
            KeyOwner::User { user_id } => user_id,
        }
    }
}

/// Whether an access key may be used.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum KeyStatus {
    /// The key signs requests.
    Active,
    /// The key is refused.
    Inactive,
}

impl KeyStatus {
    /// AWS's word for the status.
    pub fn as_str(self) -> &'static str {
        match self {
            KeyStatus::Active => "Active",
            KeyStatus::Inactive => "Inactive",
        }
    }
}

/// A long-term access key. The secret is sealed (see [`crate::crypto`]).
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessKeyRecord {
    /// The key id (`AKIA…`).
    pub access_key_id: String,
    /// The owning account.
    pub account_id: String,
    /// The owner.
    pub owner: KeyOwner,
    /// Active or inactive.
    pub status: KeyStatus,
    /// Creation time, seconds since the epoch.
    pub created: i64,
    /// The secret, sealed under the KEK with the key id as context.
    #[serde(with = "base64_bytes")]
    pub sealed_secret: Vec<u8>,
}

impl std::fmt::Debug for AccessKeyRecord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AccessKeyRecord")
            .field("access_key_id", &self.access_key_id)
            .field("account_id", &self.account_id)
            .field("owner", &self.owner)
            .field("status", &self.status)
            .field("created", &self.created)
            .finish_non_exhaustive()
    }
}

/// When and where an access key was last used.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LastUsedRecord {
    /// Seconds since the epoch.
    pub date: i64,
    /// The service the request was signed for, e.g. `iam`.
    pub service: String,
    /// The region the request was signed for.
    pub region: String,
}

mod base64_bytes {
    use base64::{engine::general_purpose::STANDARD, Engine};
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(bytes: &[u8], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&STANDARD.encode(bytes))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
        let text = String::deserialize(d)?;
        STANDARD.decode(text).map_err(serde::de::Error::custom)
    }
}

/// The `user` key of a user name.
pub fn user_key(account: &str, name: &str) -> String {
    format!("{account}/{}", name.to_lowercase())
}

/// The `ownerkey` prefix of all keys of one owner.
pub fn owner_key_prefix(account: &str, owner: &KeyOwner) -> String {
    format!("{account}/{}/", owner.index_segment())
}

/// Reads and decodes one record.
pub fn get<T: DeserializeOwned>(
    tx: &mut dyn Transaction,
    namespace: &str,
    key: &str,
) -> Result<Option<T>, StoreError> {
    match tx.get(namespace, key)? {
        None => Ok(None),
        Some(bytes) => decode(namespace, key, &bytes).map(Some),
    }
}

/// Decodes a record read from the store.
pub fn decode<T: DeserializeOwned>(
    namespace: &str,
    key: &str,
    bytes: &[u8],
) -> Result<T, StoreError> {
    serde_json::from_slice(bytes).map_err(|e| {
        // The key is an identifier, never a secret; the value is not shown.
        StoreError::Backend(format!(
            "corrupt record {namespace}/{key}: {}",
            e.classify_name()
        ))
    })
}

/// Encodes and writes one record.
pub fn put<T: Serialize>(
    tx: &mut dyn Transaction,
    namespace: &str,
    key: &str,
    record: &T,
) -> Result<(), StoreError> {
    let bytes = serde_json::to_vec(record)
        .map_err(|_| StoreError::Backend(format!("cannot encode record {namespace}/{key}")))?;
    tx.put(namespace, key, &bytes)
}

/// Reads a user by name or fails with IAM's `NoSuchEntity`.
pub fn require_user(
    tx: &mut dyn Transaction,
    account: &str,
    name: &str,
) -> Result<UserRecord, Outcome<IamError>> {
    get(tx, NS_USER, &user_key(account, name))?
        .ok_or_else(|| Outcome::Domain(IamError::no_such_user(name)))
}

trait ClassifyName {
    fn classify_name(&self) -> &'static str;
}

impl ClassifyName for serde_json::Error {
    fn classify_name(&self) -> &'static str {
        match self.classify() {
            serde_json::error::Category::Io => "i/o error",
            serde_json::error::Category::Syntax => "syntax error",
            serde_json::error::Category::Data => "unexpected shape",
            serde_json::error::Category::Eof => "truncated",
        }
    }
}
