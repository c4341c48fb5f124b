//! What the domain keeps in the store: one JSON record per entity, keyed by
//! its immutable id, plus index and edge entries that [`crate::table`] and
//! [`crate::edges`] maintain together with the records they point at.
//!
//! | namespace   | key                                   | value |
//! |-------------|---------------------------------------|-------|
//! | `account`   | account id                            | [`AccountRecord`] |
//! | `users`     | user id (`AIDA…`)                     | [`UserRecord`] |
//! | `groups`    | group id (`AGPA…`)                    | [`GroupRecord`] |
//! | `roles`     | role id (`AROA…`)                     | [`RoleRecord`] |
//! | `policies`  | policy id (`ANPA…`)                   | [`PolicyRecord`] (customer managed) |
//! | `profiles`  | instance profile id (`AIPA…`)         | [`InstanceProfileRecord`] |
//! | `names`     | `KIND|ACCOUNT|lowercased-name`        | the entity id |
//! | `edges`     | `RELATION|FROM|TO`                    | empty (see [`crate::edges`]) |
//! | `accesskey` | access key id                         | [`AccessKeyRecord`] |
//! | `ownerkey`  | `ACCOUNT/OWNER/ACCESSKEYID`           | empty (counts keys per owner) |
//! | `keyused`   | access key id                         | [`LastUsedRecord`] |
//! | `tokenkeys` | token key id                          | [`crate::sessions::TokenKeyRecord`] |
//! | `mfa`       | MFA device serial number              | [`MfaDeviceRecord`] |
//! | `oidc`      | OpenID Connect provider ARN           | [`OidcProviderRecord`] |
//! | `usercreds` | `USER_ID/FAMILY/ID`                   | [`UserCredentialRecord`] |
//! | `reports`   | account id                            | the credential report |
//! | `saml`      | SAML provider ARN                     | [`SamlProviderRecord`] |
//! | `serviceused` | `PRINCIPAL/SERVICE[/ACTION]`        | [`crate::service_usage::ServiceUsedRecord`] |
//! | `accessjobs` | `ACCOUNT/JOB_ID`                     | a service last accessed report |
//! | `delegation`| delegation request id                 | [`DelegationRequestRecord`] |
//!
//! Names are unique per kind and account case-insensitively, as in IAM,
//! which is why the name index holds the lowercased name while the record
//! keeps the name as created. A rename moves one index entry; everything
//! that refers to an entity (keys, edges) refers to its id.

use std::collections::BTreeMap;

use serde::{de::DeserializeOwned, Deserialize, Serialize};
use tessera_store::{StoreError, Transaction};

use crate::kind::EntityKind;

/// The store's namespaces, matched exhaustively wherever records are read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Ns {
    /// Installation-wide settings.
    Meta,
    /// Accounts.
    Account,
    /// The records of one entity kind.
    Entity(EntityKind),
    /// The name index of every kind.
    Names,
    /// Relations between entities.
    Edges,
    /// Access keys.
    AccessKey,
    /// The per-owner access-key index.
    OwnerKey,
    /// Access-key last-used records.
    KeyUsed,
    /// Session-token keys, sealed under the KEK.
    TokenKey,
    /// OpenID Connect identity providers, by ARN.
    OidcProvider,
    /// MFA devices, by serial number.
    Mfa,
    /// Users' SSH public keys, signing certificates and service-specific
    /// credentials, by `USER_ID/FAMILY/ID`.
    UserCredential,
    /// Credential reports, by account.
    Report,
    /// SAML identity providers, by ARN.
    SamlProvider,
    /// The latest attempt of each principal on each service and tracked
    /// action (see [`crate::service_usage`]).
    ServiceUsed,
    /// Service last accessed report jobs, by `ACCOUNT/JOB_ID`.
    AccessJob,
    /// Delegation requests (temporary delegation), by id.
    DelegationRequest,
}

impl Ns {
    /// The namespace's name in the store.
    pub fn as_str(self) -> &'static str {
        match self {
            Ns::Meta => "meta",
            Ns::Account => "account",
            Ns::Entity(EntityKind::User) => "users",
            Ns::Entity(EntityKind::Group) => "groups",
            Ns::Entity(EntityKind::Role) => "roles",
            Ns::Entity(EntityKind::Policy) => "policies",
            Ns::Entity(EntityKind::InstanceProfile) => "profiles",
            Ns::Entity(EntityKind::ServerCertificate) => "servercerts",
            Ns::Names => "names",
            Ns::Edges => "edges",
            Ns::AccessKey => "accesskey",
            Ns::OwnerKey => "ownerkey",
            Ns::KeyUsed => "keyused",
            Ns::TokenKey => "tokenkeys",
            Ns::OidcProvider => "oidc",
            Ns::Mfa => "mfa",
            Ns::UserCredential => "usercreds",
            Ns::Report => "reports",
            Ns::SamlProvider => "saml",
            Ns::ServiceUsed => "serviceused",
            Ns::AccessJob => "accessjobs",
            Ns::DelegationRequest => "delegation",
        }
    }

    /// The namespace named `name`.
    pub fn parse(name: &str) -> Option<Ns> {
        let all = [
            Ns::Meta,
            Ns::Account,
            Ns::Names,
            Ns::Edges,
            Ns::AccessKey,
            Ns::OwnerKey,
            Ns::KeyUsed,
            Ns::TokenKey,
            Ns::OidcProvider,
            Ns::Mfa,
            Ns::UserCredential,
            Ns::Report,
            Ns::SamlProvider,
            Ns::ServiceUsed,
            Ns::AccessJob,
            Ns::DelegationRequest,
        ];
        all.into_iter()
            .chain(EntityKind::ALL.into_iter().map(Ns::Entity))
            .find(|ns| ns.as_str() == name)
    }
}

/// Namespace of accounts.
pub const NS_ACCOUNT: &str = "account";
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
    /// The account alias, if one is set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alias: Option<String>,
    /// The account's name, as given to `tessera account create`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The partition the account lives in (`aws` unless created in
    /// another).
    #[serde(default = "default_partition")]
    pub partition: String,
    /// The account password policy, if one is set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password_policy: Option<crate::passwords::PasswordPolicy>,
    /// The version of session tokens the global STS endpoint issues
    /// (`SetSecurityTokenServicePreferences`): 1 (the default) or 2.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub global_endpoint_token_version: Option<u8>,
    /// Outbound identity federation, once it was first enabled.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outbound: Option<crate::outbound::OutboundFederation>,
}

fn default_partition() -> String {
    crate::arn::DEFAULT_PARTITION.to_string()
}

/// A tag on an entity.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tag {
    /// The key.
    pub key: String,
    /// The value.
    pub value: String,
}

/// What every entity has: identity, place and tags.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Core {
    /// The unique id (`AIDA…`, `AROA…`, …), stable across renames.
    pub id: String,
    /// The owning account.
    pub account_id: String,
    /// The owning account's partition.
    #[serde(default = "default_partition")]
    pub partition: String,
    /// The name as created.
    pub name: String,
    /// The path, `/` or `/a/b/`.
    pub path: String,
    /// Creation time, seconds since the epoch.
    pub created: i64,
    /// Tags in the order given.
    #[serde(default)]
    pub tags: Vec<Tag>,
}

impl Core {
    /// The entity's ARN, in `kind`'s format.
    pub fn arn(&self, kind: EntityKind) -> String {
        crate::arn::entity(
            &self.partition,
            &self.account_id,
            kind,
            &self.path,
            &self.name,
        )
    }
}

/// One stored entity: the shared core and what its kind adds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entity<B> {
    /// Identity, place and tags.
    #[serde(flatten)]
    pub core: Core,
    /// What the kind adds.
    #[serde(flatten)]
    pub body: B,
}

impl<B: Body> Entity<B> {
    /// The entity's ARN.
    pub fn arn(&self) -> String {
        self.core.arn(B::KIND)
    }
}

/// What a kind adds to the core. Implemented once per kind.
pub trait Body: Serialize + DeserializeOwned + Clone + std::fmt::Debug + Send + Sync {
    /// The kind.
    const KIND: EntityKind;

    /// For a service-linked role, the service it is linked to: such roles
    /// are changed only through the service-linked-role operations.
    fn linked_service(&self) -> Option<&str> {
        None
    }
}

/// The inline policies of a principal, by name: the document as the client
/// sent it.
pub type InlinePolicies = BTreeMap<String, String>;

/// Bodies of kinds that carry inline policies (users, groups, roles).
pub trait HasInline: Body {
    /// The inline policies.
    fn inline(&self) -> &InlinePolicies;
    /// The inline policies, to change them.
    fn inline_mut(&mut self) -> &mut InlinePolicies;
}

/// Bodies of kinds that may have a permissions boundary (users, roles).
pub trait HasBoundary: Body {
    /// The boundary policy's ARN.
    fn boundary(&self) -> Option<&str>;
    /// Sets or clears the boundary.
    fn set_boundary(&mut self, arn: Option<String>);
}

/// What a user adds to the core.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserBody {
    /// Inline policies.
    #[serde(default)]
    pub inline_policies: InlinePolicies,
    /// The permissions boundary's ARN.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub permissions_boundary: Option<String>,
    /// The console password, if the user has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub login_profile: Option<LoginProfile>,
}

/// A user's console password: its argon2id hash, never the password.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LoginProfile {
    /// When the profile was created, seconds since the epoch.
    pub created: i64,
    /// The argon2id hash (PHC string).
    pub password_hash: String,
    /// Whether the user must choose a new password at next sign-in.
    pub reset_required: bool,
    /// Hashes of earlier passwords, newest first, for reuse prevention.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub previous_hashes: Vec<String>,
    /// When the password was last changed, seconds since the epoch
    /// (`None`: not since the profile was created).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub changed: Option<i64>,
}

impl std::fmt::Debug for LoginProfile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LoginProfile")
            .field("created", &self.created)
            .field("reset_required", &self.reset_required)
            .finish_non_exhaustive()
    }
}

/// What a group adds to the core. Members are edges.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct GroupBody {
    /// Inline policies.
    #[serde(default)]
    pub inline_policies: InlinePolicies,
}

/// When and where a role was last used.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoleLastUsed {
    /// Seconds since the epoch.
    pub date: i64,
    /// The region of the request.
    pub region: String,
}

/// What a role adds to the core.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoleBody {
    /// The trust policy, as the client sent it.
    pub trust_policy: String,
    /// The description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// The longest session, in seconds (3,600 to 43,200).
    pub max_session_duration: u32,
    /// Inline policies.
    #[serde(default)]
    pub inline_policies: InlinePolicies,
    /// The permissions boundary's ARN.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub permissions_boundary: Option<String>,
    /// The last use of the role's sessions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_used: Option<RoleLastUsed>,
    /// For a service-linked role, the service principal it is linked to
    /// (`elasticbeanstalk.amazonaws.com`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub linked_service: Option<String>,
}

/// One version of a managed policy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PolicyVersionRecord {
    /// `v1`, `v2`, …
    pub version_id: String,
    /// The document, as the client sent it.
    pub document: String,
    /// Creation time, seconds since the epoch.
    pub created: i64,
}

/// What a customer-managed policy adds to the core.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PolicyBody {
    /// The description, fixed at creation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// The version in force.
    pub default_version: String,
    /// The versions kept, oldest first (at most five).
    pub versions: Vec<PolicyVersionRecord>,
    /// The number the next version gets.
    pub next_version: u32,
    /// When the default version last changed, seconds since the epoch.
    pub updated: i64,
}

impl PolicyBody {
    /// The version in force.
    pub fn default(&self) -> Option<&PolicyVersionRecord> {
        self.versions
            .iter()
            .find(|v| v.version_id == self.default_version)
    }
}

/// What an instance profile adds to the core: nothing; its role is an edge.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct InstanceProfileBody {}

/// What a server certificate adds to the core: the certificate, its chain,
/// its expiry, and its private key sealed under the KEK (never returned).
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServerCertificateBody {
    /// The PEM certificate as uploaded.
    pub certificate_body: String,
    /// The PEM chain, when one was uploaded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub certificate_chain: Option<String>,
    /// The certificate's `notAfter`, seconds since the epoch.
    pub expiration: i64,
    /// The PEM private key, sealed with `servercert:ID` as context.
    #[serde(with = "base64_bytes")]
    pub sealed_private_key: Vec<u8>,
}

impl std::fmt::Debug for ServerCertificateBody {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServerCertificateBody")
            .field("expiration", &self.expiration)
            .field("has_chain", &self.certificate_chain.is_some())
            .finish_non_exhaustive()
    }
}

impl Body for UserBody {
    const KIND: EntityKind = EntityKind::User;
}
impl Body for GroupBody {
    const KIND: EntityKind = EntityKind::Group;
}
impl Body for RoleBody {
    const KIND: EntityKind = EntityKind::Role;

    fn linked_service(&self) -> Option<&str> {
        self.linked_service.as_deref()
    }
}
impl Body for PolicyBody {
    const KIND: EntityKind = EntityKind::Policy;
}
impl Body for InstanceProfileBody {
    const KIND: EntityKind = EntityKind::InstanceProfile;
}
impl Body for ServerCertificateBody {
    const KIND: EntityKind = EntityKind::ServerCertificate;
}

macro_rules! has_inline {
    ($($body:ty),*) => {$(
        impl HasInline for $body {
            fn inline(&self) -> &InlinePolicies {
                &self.inline_policies
            }
            fn inline_mut(&mut self) -> &mut InlinePolicies {
                &mut self.inline_policies
            }
        }
    )*};
}
has_inline!(UserBody, GroupBody, RoleBody);

macro_rules! has_boundary {
    ($($body:ty),*) => {$(
        impl HasBoundary for $body {
            fn boundary(&self) -> Option<&str> {
                self.permissions_boundary.as_deref()
            }
            fn set_boundary(&mut self, arn: Option<String>) {
                self.permissions_boundary = arn;
            }
        }
    )*};
}
has_boundary!(UserBody, RoleBody);

/// An IAM user.
pub type UserRecord = Entity<UserBody>;
/// A group.
pub type GroupRecord = Entity<GroupBody>;
/// A role.
pub type RoleRecord = Entity<RoleBody>;
/// A customer-managed policy.
pub type PolicyRecord = Entity<PolicyBody>;
/// An instance profile.
pub type InstanceProfileRecord = Entity<InstanceProfileBody>;
/// A server certificate.
pub type ServerCertificateRecord = Entity<ServerCertificateBody>;

/// An OpenID Connect identity provider.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OidcProviderRecord {
    /// The provider's ARN (`arn:aws:iam::ACCOUNT:oidc-provider/HOST/PATH`).
    pub arn: String,
    /// The owning account.
    pub account_id: String,
    /// The issuer URL without its `https://`, as IAM reports it.
    pub url: String,
    /// The audiences (client ids) tokens may name.
    #[serde(default)]
    pub client_ids: Vec<String>,
    /// SHA-1 thumbprints of the issuer's certificates, hex.
    #[serde(default)]
    pub thumbprints: Vec<String>,
    /// Creation time, seconds since the epoch.
    pub created: i64,
    /// Tags in the order given.
    #[serde(default)]
    pub tags: Vec<Tag>,
}

/// A virtual MFA device. The seed is sealed (see [`crate::crypto`]).
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MfaDeviceRecord {
    /// The serial number: `arn:aws:iam::ACCOUNT:mfa/PATH/NAME`.
    pub serial: String,
    /// The owning account.
    pub account_id: String,
    /// The device name.
    pub name: String,
    /// The path.
    pub path: String,
    /// Creation time, seconds since the epoch.
    pub created: i64,
    /// Tags in the order given.
    #[serde(default)]
    pub tags: Vec<Tag>,
    /// The TOTP seed, sealed under the KEK with `mfa:SERIAL` as context.
    #[serde(with = "base64_bytes")]
    pub sealed_seed: Vec<u8>,
    /// The user the device is enabled for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_id: Option<String>,
    /// When it was enabled, seconds since the epoch.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enabled: Option<i64>,
    /// The last TOTP step accepted: codes of it or before are refused.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_step: Option<i64>,
}

impl std::fmt::Debug for MfaDeviceRecord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MfaDeviceRecord")
            .field("serial", &self.serial)
            .field("account_id", &self.account_id)
            .field("user_id", &self.user_id)
            .field("enabled", &self.enabled)
            .field("last_step", &self.last_step)
            .finish_non_exhaustive()
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

/// Bytes stored as standard base64 text (`#[serde(with = ...)]`), for
/// every record that holds raw bytes.
pub(crate) mod base64_bytes {
    use base64::{engine::general_purpose::STANDARD, Engine};
    use serde::{Deserialize, Deserializer, Serializer};

    /// Writes `bytes` as base64.
    pub fn serialize<S: Serializer>(bytes: &[u8], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&STANDARD.encode(bytes))
    }

    /// Reads base64 back into bytes.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
        let text = String::deserialize(d)?;
        STANDARD.decode(text).map_err(serde::de::Error::custom)
    }
}

/// The `ownerkey` prefix of all keys of one owner.
pub fn owner_key_prefix(account: &str, owner: &KeyOwner) -> String {
    format!("{account}/{}/", owner.index_segment())
}

/// Every item of `namespace` under `prefix`, in key order, read in batches.
pub fn scan_all(
    tx: &mut dyn Transaction,
    namespace: &str,
    prefix: &str,
) -> Result<Vec<(String, Vec<u8>)>, StoreError> {
    const BATCH: usize = 512;
    let mut out = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let batch = tx.scan(namespace, prefix, after.as_deref(), BATCH)?;
        let exhausted = batch.len() < BATCH;
        after = batch.last().map(|(k, _)| k.clone());
        out.extend(batch);
        if exhausted {
            return Ok(out);
        }
    }
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

/// A credential of an IAM user other than its access keys and password:
/// an SSH public key, a signing certificate or a service-specific
/// credential. Stored under `USER_ID/FAMILY/ID`, so a user's credentials of
/// one family are one prefix scan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserCredentialRecord {
    /// Its id: `APKA…`, a certificate id, or `ACCA…`.
    pub id: String,
    /// The owning account.
    pub account_id: String,
    /// The owning user's id.
    pub user_id: String,
    /// `Active` or `Inactive`.
    pub status: KeyStatus,
    /// Upload or creation time, seconds since the epoch.
    pub created: i64,
    /// What differs per family.
    pub detail: CredentialDetail,
}

/// The family-specific part of a [`UserCredentialRecord`].
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "family", rename_all = "snake_case")]
pub enum CredentialDetail {
    /// An SSH public key for CodeCommit.
    SshPublicKey {
        /// The body as uploaded (OpenSSH or PEM).
        body: String,
        /// The MD5 fingerprint, `aa:bb:…`.
        fingerprint: String,
    },
    /// An X.509 signing certificate.
    SigningCertificate {
        /// The PEM body as uploaded.
        body: String,
        /// The SHA-256 digest of the DER certificate, for duplicates.
        digest: String,
    },
    /// A user name and password (or API key) for one service.
    ServiceSpecific {
        /// `codecommit.amazonaws.com`, …
        service: String,
        /// The service user name (`alice-at-123456789012`), or for API
        /// keys the credential alias.
        service_user_name: String,
        /// The argon2id hash of the password or API-key secret.
        secret_hash: String,
        /// When an API key expires, seconds since the epoch.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        expires: Option<i64>,
    },
}

impl std::fmt::Debug for CredentialDetail {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CredentialDetail::SshPublicKey { fingerprint, .. } => f
                .debug_struct("SshPublicKey")
                .field("fingerprint", fingerprint)
                .finish_non_exhaustive(),
            CredentialDetail::SigningCertificate { digest, .. } => f
                .debug_struct("SigningCertificate")
                .field("digest", digest)
                .finish_non_exhaustive(),
            CredentialDetail::ServiceSpecific {
                service,
                service_user_name,
                expires,
                ..
            } => f
                .debug_struct("ServiceSpecific")
                .field("service", service)
                .field("service_user_name", service_user_name)
                .field("expires", expires)
                .finish_non_exhaustive(),
        }
    }
}

/// A SAML 2.0 identity provider.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SamlProviderRecord {
    /// `arn:aws:iam::ACCOUNT:saml-provider/NAME`.
    pub arn: String,
    /// The owning account.
    pub account_id: String,
    /// The metadata document as uploaded.
    pub metadata: String,
    /// The metadata's `validUntil`, seconds since the epoch.
    pub valid_until: i64,
    /// Creation time, seconds since the epoch.
    pub created: i64,
    /// IAM's `SAMLProviderUUID`.
    pub uuid: String,
    /// `Allowed` or `Required`.
    pub assertion_encryption: String,
    /// Private keys for decrypting assertions, sealed.
    #[serde(default)]
    pub private_keys: Vec<SamlPrivateKey>,
    /// Tags in the order given.
    #[serde(default)]
    pub tags: Vec<Tag>,
}

/// A SAML provider's private key, sealed under the KEK with
/// `saml:ARN:KEY_ID` as context.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SamlPrivateKey {
    /// The key id IAM reports.
    pub key_id: String,
    /// When it was added, seconds since the epoch.
    pub added: i64,
    /// The sealed PEM key.
    #[serde(with = "base64_bytes")]
    pub sealed: Vec<u8>,
}

impl std::fmt::Debug for SamlPrivateKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SamlPrivateKey")
            .field("key_id", &self.key_id)
            .field("added", &self.added)
            .finish_non_exhaustive()
    }
}

/// Where a delegation request is in its life, as IAM names the states.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum DelegationState {
    /// Created, not yet associated with a customer identity.
    Unassigned,
    /// Associated with a customer account and identity, awaiting review.
    Assigned,
    /// Forwarded (`UpdateDelegationRequest`) to an approver.
    PendingApproval,
    /// Approved; the exchange token is not yet released.
    Accepted,
    /// The exchange token was released; the delegation period runs.
    Finalized,
    /// Rejected by the customer.
    Rejected,
    /// Expired for want of action (or at the end of its life).
    Expired,
}

impl DelegationState {
    /// IAM's name of the state (`PENDING_APPROVAL`, …).
    pub fn as_str(self) -> &'static str {
        match self {
            DelegationState::Unassigned => "UNASSIGNED",
            DelegationState::Assigned => "ASSIGNED",
            DelegationState::PendingApproval => "PENDING_APPROVAL",
            DelegationState::Accepted => "ACCEPTED",
            DelegationState::Finalized => "FINALIZED",
            DelegationState::Rejected => "REJECTED",
            DelegationState::Expired => "EXPIRED",
        }
    }
}

/// The identity that accepted a delegation request, recorded at
/// acceptance: the delegated credentials are a session of it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DelegationApprover {
    /// The approver's ARN as `GetCallerIdentity` reports it.
    pub arn: String,
    /// What kind of session the delegated credentials are.
    pub kind: crate::sessions::SessionKind,
    /// The user or role id (none for the root).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub principal_id: Option<String>,
    /// The user's or role's name.
    pub name: String,
    /// The user's or role's path.
    pub path: String,
    /// The role session name, for an approver who was a role session.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session_name: Option<String>,
}

/// A delegation request: a partner (the requestor) asks for permissions
/// in a customer's account (the owner account); see
/// `crate::ops` (`CreateDelegationRequest` and the operations after it).
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DelegationRequestRecord {
    /// The request id.
    pub id: String,
    /// The requestor's partition.
    pub partition: String,
    /// The account that created the request (the partner).
    pub requestor_account: String,
    /// The customer account, once targeted or associated.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner_account: Option<String>,
    /// The ARN of the customer identity that associated the request.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner_id: Option<String>,
    /// The partner's description.
    pub description: String,
    /// The partner's message for this request.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_message: Option<String>,
    /// The permissions asked for, as the request gave them
    /// (`PolicyTemplateArn`, `Parameters`).
    pub permissions: serde_json::Value,
    /// The template rendered with the parameters: the policy the
    /// delegated session is limited to.
    pub permission_policy: String,
    /// The partner's workflow id, unique per requestor account.
    pub workflow_id: String,
    /// Where the console sends the customer back.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub redirect_url: Option<String>,
    /// The partner's notification channel (an SNS topic ARN).
    pub notification_channel: String,
    /// The delegated session's length, seconds.
    pub session_duration: u32,
    /// Whether only the owner may release the token.
    pub only_send_by_owner: bool,
    /// The state as last written; past `expires` it reads as expired.
    pub state: DelegationState,
    /// Creation time, seconds since the epoch.
    pub created: i64,
    /// Last change, seconds since the epoch.
    pub updated: i64,
    /// When the request in its current state expires.
    pub expires: i64,
    /// Notes of the last `UpdateDelegationRequest`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notes: Option<String>,
    /// Notes of the rejection.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rejection_reason: Option<String>,
    /// Who accepted it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub approver: Option<DelegationApprover>,
    /// When the exchange token was released (the delegation period
    /// starts then).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token_sent: Option<i64>,
    /// The exchange token's secret, sealed under the KEK with
    /// `delegation-token:ID` as context: the notification Tessera keeps
    /// for the partner in place of publishing it.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "optional_base64"
    )]
    pub sealed_token: Option<Vec<u8>>,
}

impl std::fmt::Debug for DelegationRequestRecord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DelegationRequestRecord")
            .field("id", &self.id)
            .field("requestor_account", &self.requestor_account)
            .field("owner_account", &self.owner_account)
            .field("owner_id", &self.owner_id)
            .field("state", &self.state)
            .field("created", &self.created)
            .field("updated", &self.updated)
            .field("expires", &self.expires)
            .field("approver", &self.approver)
            .field("token_sent", &self.token_sent)
            .finish_non_exhaustive()
    }
}

impl DelegationRequestRecord {
    /// The state at `now`: a request past its expiry reads as expired.
    pub fn state_at(&self, now: i64) -> DelegationState {
        if now >= self.expires {
            DelegationState::Expired
        } else {
            self.state
        }
    }
}

mod optional_base64 {
    use base64::{engine::general_purpose::STANDARD, Engine};
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(bytes: &Option<Vec<u8>>, s: S) -> Result<S::Ok, S::Error> {
        match bytes {
            Some(bytes) => s.serialize_some(&STANDARD.encode(bytes)),
            None => s.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Vec<u8>>, D::Error> {
        let text = Option::<String>::deserialize(d)?;
        text.map(|t| STANDARD.decode(t).map_err(serde::de::Error::custom))
            .transpose()
    }
}
