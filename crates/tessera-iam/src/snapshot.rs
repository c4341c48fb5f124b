//! The authorization snapshot: an immutable, in-memory view of the
//! authorization graph (accounts, access keys with their opened secrets,
//! users, groups, roles, managed policies, instance profiles, their names,
//! the edges between them, and every policy document compiled once), so
//! that authentication, authorization and reads never wait on the
//! database.
//!
//! # Structure sharing
//!
//! Every map is a persistent map (`imbl`): applying a change copies only
//! the paths to the touched entries, so a one-entity change costs
//! O(log n), not O(n), and the old snapshot, still held by in-flight
//! requests, is freed as cheaply. Policies are compiled when their record
//! changes: inline policies with their owner, a managed policy's default
//! version once by ARN. A principal's effective policies are not stored:
//! a request gathers references to its own inline set, its attached
//! policies, and its groups' (at most 10 groups, 10 attachments each), so
//! no change ever needs to recompute other principals. What decides the
//! request is those policies compiled together, taken from a cache of
//! bundles by principal ([`crate::bundle_cache`]) that checks each entry
//! against the gathered policies, so it too needs no invalidation.
//!
//! # What the snapshot holds and what is read from the store
//!
//! Everything a request decides on, and every entity's record, is here.
//! Only access-key last-use records (persisted in the background) and the
//! write transactions' own checks read the store.

use std::sync::{Arc, Mutex, OnceLock, RwLock};

use imbl::{HashMap, OrdMap, OrdSet};
use tessera_policy::{CompiledPolicy, PolicyBundle};
use tessera_store::{Backend, ChangeSet, StoreError};

use crate::bundle_cache::BundleCache;
use crate::caller::Caller;
use crate::crypto::{Kek, Secret};
use crate::edges::{self, Direction, Relation};
use crate::kind::EntityKind;
use crate::policies::{self, CompiledPolicies};
use crate::records::{
    self, AccessKeyRecord, AccountRecord, Body, Entity, GroupBody, InstanceProfileBody, KeyOwner,
    KeyStatus, Ns, PolicyBody, RoleBody, ServerCertificateBody, UserBody, UserRecord,
};
use crate::table;

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
    /// Who the key stands for, built on the first request signed with it
    /// and then read with no lock. The entry is shared by every snapshot
    /// until it or its owner's names change: [`Snapshot::apply`] replaces
    /// the entry (and so forgets the caller) when its owner's id, names,
    /// path, account or partition change.
    caller: OnceLock<Arc<Caller>>,
}

impl KeyEntry {
    /// The same key with no caller built yet.
    fn without_caller(&self) -> KeyEntry {
        KeyEntry {
            access_key_id: self.access_key_id.clone(),
            account_id: self.account_id.clone(),
            owner: self.owner.clone(),
            status: self.status,
            secret: self.secret.clone(),
            caller: OnceLock::new(),
        }
    }
}

/// The records of one kind, by id.
pub type KindMap<B> = HashMap<String, Arc<Entity<B>>>;

/// A compiled managed policy: `None` when its stored document does not
/// compile (its principals are then denied everything).
pub type CompiledManaged = Option<Arc<CompiledPolicy>>;

/// An immutable view of the authorization graph at one store revision.
#[derive(Debug, Default, Clone)]
pub struct Snapshot {
    revision: u64,
    accounts: HashMap<String, Arc<AccountRecord>>,
    users: KindMap<UserBody>,
    groups: KindMap<GroupBody>,
    roles: KindMap<RoleBody>,
    policies: KindMap<PolicyBody>,
    profiles: KindMap<InstanceProfileBody>,
    server_certificates: KindMap<ServerCertificateBody>,
    /// The name index: [`table::name_key`] → entity id.
    names: OrdMap<String, String>,
    /// Every edge key, both directions.
    edges: OrdSet<String>,
    /// Compiled inline policies by principal id.
    inline: HashMap<String, Arc<CompiledPolicies>>,
    /// Compiled trust policies by role id (`None`: does not compile).
    trust: HashMap<String, CompiledManaged>,
    /// Compiled managed policies (customer and AWS) by ARN, for every
    /// policy that exists (customer) or is in use (AWS).
    managed: HashMap<String, CompiledManaged>,
    keys: HashMap<String, Arc<KeyEntry>>,
    /// Session-token keys, opened.
    token_keys: HashMap<String, Arc<crate::sessions::TokenKey>>,
    /// OpenID Connect providers by ARN.
    oidc: HashMap<String, Arc<records::OidcProviderRecord>>,
    saml: HashMap<String, Arc<records::SamlProviderRecord>>,
    /// SAML providers' private keys, opened, by provider ARN (a key the
    /// KEK cannot open, or that is no RSA key, is left out).
    saml_keys: HashMap<String, Arc<[crate::saml::xmlenc::DecryptionKey]>>,
    /// Delegation requests by id.
    delegation: HashMap<String, Arc<records::DelegationRequestRecord>>,
    /// MFA devices by serial number (seeds stay sealed).
    mfa: HashMap<String, Arc<records::MfaDeviceRecord>>,
    /// Access keys whose sealed secret the KEK could not open.
    unopenable_keys: usize,
    /// Each principal's identity policies compiled together, shared by
    /// every snapshot (an entry is checked against the policies it was
    /// built from before use).
    bundles: Arc<BundleCache>,
}

/// Where each kind's records live in the snapshot.
pub trait Stored: Body {
    /// The kind's map.
    fn map(snapshot: &Snapshot) -> &KindMap<Self>;
    /// The kind's map, to change it.
    fn map_mut(snapshot: &mut Snapshot) -> &mut KindMap<Self>;
}

macro_rules! stored {
    ($($body:ty => $field:ident),*) => {$(
        impl Stored for $body {
            fn map(snapshot: &Snapshot) -> &KindMap<Self> {
                &snapshot.$field
            }
            fn map_mut(snapshot: &mut Snapshot) -> &mut KindMap<Self> {
                &mut snapshot.$field
            }
        }
    )*};
}
stored!(UserBody => users, GroupBody => groups, RoleBody => roles,
        PolicyBody => policies, InstanceProfileBody => profiles,
        ServerCertificateBody => server_certificates);

/// The policies a request is decided by, gathered for one principal.
#[derive(Debug, Default)]
pub struct EffectivePolicies {
    /// Identity policies: own inline and attached, and for a user each of
    /// its groups' inline and attached.
    pub identity: Vec<Arc<CompiledPolicy>>,
    /// `identity` compiled together, which is what requests are decided
    /// with (`None` only for a set gathered by hand: then `identity` is).
    pub bundle: Option<Arc<PolicyBundle>>,
    /// The permissions boundary, if one is set.
    pub boundary: Option<Arc<CompiledPolicy>>,
    /// True when one of them could not be read: the principal is then
    /// denied everything, since an unreadable policy might have been a
    /// Deny.
    pub unreadable: bool,
}

impl EffectivePolicies {
    /// The identity of the account root: every action on every resource.
    pub fn allow_all() -> EffectivePolicies {
        use std::sync::OnceLock;
        type AllowAll = Option<(Arc<CompiledPolicy>, Arc<PolicyBundle>)>;
        static ALL: OnceLock<AllowAll> = OnceLock::new();
        let all = ALL.get_or_init(|| {
            let policy = policies::compile_managed(
                "root",
                r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}"#,
            )?;
            let bundle = Arc::new(PolicyBundle::new(std::slice::from_ref(&policy)));
            Some((policy, bundle))
        });
        match all {
            Some((policy, bundle)) => EffectivePolicies {
                identity: vec![Arc::clone(policy)],
                bundle: Some(Arc::clone(bundle)),
                boundary: None,
                unreadable: false,
            },
            None => EffectivePolicies {
                unreadable: true,
                ..EffectivePolicies::default()
            },
        }
    }
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

    /// Every account, in no particular order.
    pub fn accounts(&self) -> impl Iterator<Item = &AccountRecord> {
        self.accounts.values().map(Arc::as_ref)
    }

    /// An entity by id.
    pub fn get<B: Stored>(&self, id: &str) -> Option<&Entity<B>> {
        B::map(self).get(id).map(Arc::as_ref)
    }

    /// An entity by account and name (case-insensitive, as IAM names are).
    pub fn by_name<B: Stored>(&self, account: &str, name: &str) -> Option<&Entity<B>> {
        let id = self.names.get(&table::name_key(B::KIND, account, name))?;
        self.get::<B>(id)
    }

    /// The entities of a kind in `account` whose path starts with
    /// `path_prefix`, in the order of their lowercased names.
    pub fn list<'s, B: Stored + 's>(
        &'s self,
        account: &str,
        path_prefix: &'s str,
    ) -> impl Iterator<Item = &'s Entity<B>> + 's {
        let prefix = table::name_prefix(B::KIND, account);
        self.names
            .range(prefix.clone()..)
            .take_while(move |(key, _)| key.starts_with(&prefix))
            .filter_map(|(_, id)| self.get::<B>(id))
            .filter(move |e| e.core.path.starts_with(path_prefix))
    }

    /// How many entities of a kind `account` has.
    pub fn count<B: Stored>(&self, account: &str) -> usize {
        self.list::<B>(account, "").count()
    }

    /// A user by account and name.
    pub fn user_by_name(&self, account: &str, name: &str) -> Option<&UserRecord> {
        self.by_name::<UserBody>(account, name)
    }

    /// A user by unique id.
    pub fn user_by_id(&self, user_id: &str) -> Option<&UserRecord> {
        self.get::<UserBody>(user_id)
    }

    /// The endpoints linked from `from` in one direction of a relation, in
    /// key order.
    pub fn targets<'s>(
        &'s self,
        relation: Relation,
        direction: Direction,
        from: &str,
    ) -> impl Iterator<Item = &'s str> + 's {
        let prefix = edges::edge_prefix(relation, direction, from);
        let skip = prefix.len();
        self.edges
            .range(prefix.clone()..)
            .take_while(move |key| key.starts_with(&prefix))
            .filter_map(move |key| key.get(skip..))
    }

    /// The compiled inline policies of a principal (empty when it has
    /// none).
    pub fn inline_policies(&self, principal_id: &str) -> Option<&CompiledPolicies> {
        self.inline.get(principal_id).map(Arc::as_ref)
    }

    /// The compiled identity policies of a user: kept under its old name
    /// for callers that only need the user's own inline policies.
    pub fn user_policies(&self, user_id: &str) -> Option<&CompiledPolicies> {
        self.inline_policies(user_id)
    }

    /// The compiled trust policy of a role.
    pub fn trust_policy(&self, role_id: &str) -> Option<Arc<CompiledPolicy>> {
        self.trust.get(role_id).cloned().flatten()
    }

    /// A managed policy as compiled, by ARN; `None` when the snapshot does
    /// not know it.
    pub fn managed_policy(&self, arn: &str) -> Option<&CompiledManaged> {
        self.managed.get(arn)
    }

    /// Gathers the policies that decide requests of principal `id`, a user
    /// or a role.
    pub fn effective_policies(&self, kind: EntityKind, id: &str) -> EffectivePolicies {
        let mut out = EffectivePolicies::default();
        self.add_principal_policies(id, &mut out);
        let boundary = match kind {
            EntityKind::User => self
                .get::<UserBody>(id)
                .and_then(|u| u.body.permissions_boundary.clone()),
            EntityKind::Role => self
                .get::<RoleBody>(id)
                .and_then(|r| r.body.permissions_boundary.clone()),
            _ => None,
        };
        if kind == EntityKind::User {
            for group in self.targets(Relation::Member, Direction::Inverse, id) {
                self.add_principal_policies(group, &mut out);
            }
        }
        if let Some(arn) = boundary {
            match self.managed.get(&arn) {
                Some(Some(policy)) => out.boundary = Some(Arc::clone(policy)),
                _ => out.unreadable = true,
            }
        }
        out.bundle = Some(self.bundles.get(id, &out.identity));
        out
    }

    /// How many principals have their identity policies compiled together
    /// in the cache the snapshots share.
    pub fn cached_bundles(&self) -> usize {
        self.bundles.len()
    }

    fn add_principal_policies(&self, id: &str, out: &mut EffectivePolicies) {
        if let Some(inline) = self.inline.get(id) {
            out.identity.extend(inline.identity.iter().cloned());
            out.unreadable |= inline.unreadable;
        }
        for arn in self.targets(Relation::Attached, Direction::Forward, id) {
            match self.managed.get(arn) {
                Some(Some(policy)) => out.identity.push(Arc::clone(policy)),
                _ => out.unreadable = true,
            }
        }
    }

    /// The kind and core of the principal (user, group or role) with `id`.
    pub fn principal_core(&self, id: &str) -> Option<(EntityKind, &records::Core)> {
        if let Some(user) = self.get::<UserBody>(id) {
            return Some((EntityKind::User, &user.core));
        }
        if let Some(group) = self.get::<GroupBody>(id) {
            return Some((EntityKind::Group, &group.core));
        }
        self.get::<RoleBody>(id)
            .map(|role| (EntityKind::Role, &role.core))
    }

    /// The principals of `account` a managed policy is attached to
    /// (`Relation::Attached`) or is the boundary of (`Relation::Boundary`).
    pub fn policy_users<'s>(
        &'s self,
        relation: Relation,
        account: &'s str,
        policy_arn: &str,
    ) -> impl Iterator<Item = (EntityKind, &'s records::Core)> + 's {
        self.targets(relation, Direction::Inverse, policy_arn)
            .filter_map(|id| self.principal_core(id))
            .filter(move |(_, core)| core.account_id == account)
    }

    /// An MFA device by serial number.
    pub fn mfa_device(&self, serial: &str) -> Option<&records::MfaDeviceRecord> {
        self.mfa.get(serial).map(Arc::as_ref)
    }

    /// The MFA devices of `account`, in serial order.
    pub fn mfa_devices(&self, account: &str) -> Vec<&records::MfaDeviceRecord> {
        owned_by(&self.mfa, account, |d| &d.account_id)
    }

    /// A delegation request by id.
    pub fn delegation_request(&self, id: &str) -> Option<&records::DelegationRequestRecord> {
        self.delegation.get(id).map(Arc::as_ref)
    }

    /// Every delegation request, in id order.
    pub fn delegation_requests(&self) -> Vec<&records::DelegationRequestRecord> {
        let mut all: Vec<&records::DelegationRequestRecord> =
            self.delegation.values().map(Arc::as_ref).collect();
        all.sort_by(|a, b| a.id.cmp(&b.id));
        all
    }

    /// A SAML provider by ARN.
    pub fn saml_provider(&self, arn: &str) -> Option<&records::SamlProviderRecord> {
        self.saml.get(arn).map(Arc::as_ref)
    }

    /// The SAML providers of `account`, in ARN order.
    pub fn saml_providers(&self, account: &str) -> Vec<&records::SamlProviderRecord> {
        owned_by(&self.saml, account, |p| &p.account_id)
    }

    /// An OpenID Connect provider by ARN.
    pub fn oidc_provider(&self, arn: &str) -> Option<&records::OidcProviderRecord> {
        self.oidc.get(arn).map(Arc::as_ref)
    }

    /// The OpenID Connect providers of `account`, in ARN order.
    pub fn oidc_providers(&self, account: &str) -> Vec<&records::OidcProviderRecord> {
        owned_by(&self.oidc, account, |p| &p.account_id)
    }

    /// A session-token key by id.
    pub fn token_key(&self, key_id: &str) -> Option<Arc<crate::sessions::TokenKey>> {
        self.token_keys.get(key_id).cloned()
    }

    /// The newest session-token key: the one new tokens are sealed with.
    pub fn newest_token_key(&self) -> Option<Arc<crate::sessions::TokenKey>> {
        self.token_keys
            .values()
            .max_by_key(|k| (k.created, k.key_id.clone()))
            .cloned()
    }

    /// Every access key.
    pub fn access_keys(&self) -> impl Iterator<Item = &KeyEntry> {
        self.keys.values().map(Arc::as_ref)
    }

    /// An access key by id.
    pub fn access_key(&self, access_key_id: &str) -> Option<&Arc<KeyEntry>> {
        self.keys.get(access_key_id)
    }

    /// [`Self::caller_for_key`], built once per key entry: later requests
    /// signed with the key share it. An owner that does not exist is not
    /// remembered, so that the key resolves as soon as it does.
    pub fn shared_caller_for_key(&self, key: &KeyEntry) -> Option<Arc<Caller>> {
        if let Some(caller) = key.caller.get() {
            return Some(Arc::clone(caller));
        }
        let built = Arc::new(self.caller_for_key(key)?);
        // Two requests may build it at once; both answers are the same.
        Some(Arc::clone(key.caller.get_or_init(|| built)))
    }

    /// Replaces the entries of the keys `owned` selects with copies that
    /// have no caller built, after their owner's names changed. Every such
    /// entry is replaced, built or not: one left shared with the older
    /// snapshot could still get its caller from a request reading that
    /// snapshot, with the old names, and this one would then keep them.
    fn forget_key_callers(&mut self, owned: impl Fn(&KeyEntry) -> bool) {
        let stale: Vec<(String, Arc<KeyEntry>)> = self
            .keys
            .iter()
            .filter(|(_, entry)| owned(entry))
            .map(|(id, entry)| (id.clone(), Arc::new(entry.without_caller())))
            .collect();
        for (id, entry) in stale {
            self.keys.insert(id, entry);
        }
    }

    /// The principal an access key belongs to, if the key and its owner
    /// exist. Inactive keys resolve too; the caller decides what to do.
    pub fn caller_for_key(&self, key: &KeyEntry) -> Option<Caller> {
        match &key.owner {
            KeyOwner::Root => Some(self.root_caller(&key.account_id)),
            KeyOwner::User { user_id } => self.user_caller(user_id),
        }
    }

    /// The caller of `account`'s root keys: what [`Snapshot::apply`]
    /// compares before and after a write to the account's record.
    fn root_caller(&self, account: &str) -> Caller {
        Caller::Root {
            account: account.to_string(),
            partition: self
                .account(account)
                .map(|a| a.partition.clone())
                .unwrap_or_else(|| crate::arn::DEFAULT_PARTITION.to_string()),
            session: None,
        }
    }

    /// The caller of the keys of the user with id `user_id`, if it exists:
    /// what [`Snapshot::apply`] compares before and after a write to it.
    fn user_caller(&self, user_id: &str) -> Option<Caller> {
        self.user_by_id(user_id).map(|u| Caller::User {
            account: u.core.account_id.clone(),
            partition: u.core.partition.clone(),
            session: None,
            user_id: u.core.id.clone(),
            name: u.core.name.clone(),
            path: u.core.path.clone(),
        })
    }

    /// A canonical text of everything the snapshot holds, for tests that
    /// compare an incrementally maintained snapshot with a rebuilt one.
    pub fn canonical(&self) -> String {
        use std::fmt::Write;
        let mut out = String::new();
        let mut lines: Vec<String> = Vec::new();
        for (id, a) in &self.accounts {
            lines.push(format!("account {id} {a:?}"));
        }
        fn entities<B: Stored>(s: &Snapshot, lines: &mut Vec<String>) {
            for (id, e) in B::map(s) {
                lines.push(format!("{:?} {id} {e:?}", B::KIND));
            }
        }
        entities::<UserBody>(self, &mut lines);
        entities::<GroupBody>(self, &mut lines);
        entities::<RoleBody>(self, &mut lines);
        entities::<PolicyBody>(self, &mut lines);
        entities::<InstanceProfileBody>(self, &mut lines);
        entities::<ServerCertificateBody>(self, &mut lines);
        for (k, v) in &self.names {
            lines.push(format!("name {k} {v}"));
        }
        for e in &self.edges {
            lines.push(format!("edge {e}"));
        }
        for (id, p) in &self.inline {
            let names: Vec<&str> = p.identity.iter().map(|c| c.name()).collect();
            lines.push(format!("inline {id} {names:?} {}", p.unreadable));
        }
        for (id, p) in &self.trust {
            lines.push(format!("trust {id} {}", p.is_some()));
        }
        for (arn, p) in &self.managed {
            lines.push(format!("managed {arn} {}", p.is_some()));
        }
        for (serial, d) in &self.mfa {
            lines.push(format!("mfa {serial} {d:?}"));
        }
        for (arn, p) in &self.oidc {
            lines.push(format!("oidc {arn} {p:?}"));
        }
        for (arn, p) in &self.saml {
            lines.push(format!("saml {arn} {p:?}"));
        }
        for (id, r) in &self.delegation {
            lines.push(format!("delegation {id} {r:?}"));
        }
        for id in self.token_keys.keys() {
            lines.push(format!("token key {id}"));
        }
        for (id, k) in &self.keys {
            lines.push(format!(
                "key {id} {} {:?} {:?}",
                k.account_id, k.owner, k.status
            ));
        }
        lines.sort();
        for line in lines {
            let _ = writeln!(out, "{line}");
        }
        let _ = writeln!(out, "unopenable {}", self.unopenable_keys);
        out
    }

    /// A new snapshot with `changes` applied. Access-key secrets are opened
    /// and policies compiled here, once per change, rather than on every
    /// request. Only the touched entries are copied.
    ///
    /// A full change set (see [`ChangeSet::full`]) is the whole state, not
    /// a delta: the result is built from it alone, so that entities this
    /// snapshot holds but whose deletion was compacted away are dropped.
    pub fn apply(&self, changes: &ChangeSet, kek: &Kek) -> Snapshot {
        let mut next = if changes.full {
            Snapshot {
                // Entries are checked before use, so they survive a reload.
                bundles: Arc::clone(&self.bundles),
                ..Snapshot::default()
            }
        } else {
            self.clone()
        };
        // AWS-managed policies whose use changed: compiled into the
        // snapshot while something uses them, dropped when nothing does.
        let mut touched_aws: Vec<String> = Vec::new();
        for change in &changes.changes {
            let key = change.key.as_str();
            let value = change.value.as_deref();
            let Some(ns) = Ns::parse(&change.namespace) else {
                continue;
            };
            match ns {
                Ns::Account => {
                    let before = next.root_caller(key);
                    match value.and_then(|v| decode_logged(ns, key, v)) {
                        Some(account) => {
                            next.accounts.insert(key.to_string(), Arc::new(account));
                        }
                        None => {
                            next.accounts.remove(key);
                        }
                    }
                    if next.root_caller(key) != before {
                        next.forget_key_callers(|entry| {
                            entry.owner == KeyOwner::Root && entry.account_id == key
                        });
                    }
                }
                Ns::Names => match value.and_then(|v| std::str::from_utf8(v).ok()) {
                    Some(id) => {
                        next.names.insert(key.to_string(), id.to_string());
                    }
                    None => {
                        next.names.remove(key);
                    }
                },
                Ns::Edges => {
                    if value.is_some() {
                        next.edges.insert(key.to_string());
                    } else {
                        next.edges.remove(key);
                    }
                    if let Some((
                        Relation::Attached | Relation::Boundary,
                        Direction::Forward,
                        _,
                        arn,
                    )) = edges::parse_edge_key(key)
                    {
                        if crate::aws_managed::is_aws_managed(arn) {
                            touched_aws.push(arn.to_string());
                        }
                    }
                }
                Ns::Entity(EntityKind::User) => {
                    let before = next.user_caller(key);
                    next.apply_principal::<UserBody>(key, value);
                    if next.user_caller(key) != before {
                        next.forget_key_callers(|entry| {
                            matches!(&entry.owner, KeyOwner::User { user_id } if user_id == key)
                        });
                    }
                }
                Ns::Entity(EntityKind::Group) => next.apply_principal::<GroupBody>(key, value),
                Ns::Entity(EntityKind::Role) => {
                    next.apply_principal::<RoleBody>(key, value);
                    match next
                        .get::<RoleBody>(key)
                        .map(|r| r.body.trust_policy.clone())
                    {
                        Some(document) => {
                            let compiled = policies::compile_trust(key, &document);
                            next.trust.insert(key.to_string(), compiled);
                        }
                        None => {
                            next.trust.remove(key);
                        }
                    }
                }
                Ns::Entity(EntityKind::Policy) => next.apply_policy(key, value),
                Ns::Entity(EntityKind::InstanceProfile) => {
                    next.apply_entity::<InstanceProfileBody>(key, value);
                }
                Ns::Entity(EntityKind::ServerCertificate) => {
                    next.apply_entity::<ServerCertificateBody>(key, value);
                }
                Ns::AccessKey => next.apply_access_key(key, value, kek),
                Ns::Mfa => apply_keyed(&mut next.mfa, ns, key, value),
                Ns::OidcProvider => apply_keyed(&mut next.oidc, ns, key, value),
                Ns::SamlProvider => {
                    apply_keyed(&mut next.saml, ns, key, value);
                    next.apply_saml_keys(key, kek);
                }
                Ns::DelegationRequest => apply_keyed(&mut next.delegation, ns, key, value),
                Ns::TokenKey => {
                    let opened = value
                        .and_then(|v| crate::sessions::decode_key(key, v).ok())
                        .and_then(|record| crate::sessions::TokenKey::open(&record, kek));
                    match opened {
                        Some(token_key) => {
                            next.token_keys.insert(key.to_string(), Arc::new(token_key));
                        }
                        None => {
                            if value.is_some() {
                                tracing::error!(key_id = %key, "session-token key cannot be opened");
                            }
                            next.token_keys.remove(key);
                        }
                    }
                }
                Ns::Meta
                | Ns::OwnerKey
                | Ns::KeyUsed
                | Ns::UserCredential
                | Ns::Report
                | Ns::ServiceUsed
                | Ns::AccessJob => {}
            }
        }
        for arn in touched_aws {
            let in_use = [Relation::Attached, Relation::Boundary]
                .into_iter()
                .any(|r| next.targets(r, Direction::Inverse, &arn).next().is_some());
            if !in_use {
                next.managed.remove(&arn);
            } else if !next.managed.contains_key(&arn) {
                let compiled = crate::aws_managed::compiled(&arn);
                next.managed.insert(arn, compiled);
            }
        }
        next.revision = next.revision.max(changes.revision);
        next
    }

    fn apply_entity<B: Stored>(
        &mut self,
        id: &str,
        value: Option<&[u8]>,
    ) -> Option<Arc<Entity<B>>> {
        match value.and_then(|v| decode_logged::<Entity<B>>(Ns::Entity(B::KIND), id, v)) {
            Some(entity) => {
                let entity = Arc::new(entity);
                B::map_mut(self).insert(id.to_string(), Arc::clone(&entity));
                Some(entity)
            }
            None => {
                B::map_mut(self).remove(id);
                None
            }
        }
    }

    fn apply_principal<B: Stored + records::HasInline>(&mut self, id: &str, value: Option<&[u8]>) {
        match self.apply_entity::<B>(id, value) {
            Some(entity) => {
                // Inline policies are compiled once here, not per request.
                let compiled = policies::compile_inline(B::KIND, entity.body.inline().iter());
                self.inline.insert(id.to_string(), Arc::new(compiled));
            }
            None => {
                self.inline.remove(id);
            }
        }
    }

    fn apply_policy(&mut self, id: &str, value: Option<&[u8]>) {
        let old_arn = self.get::<PolicyBody>(id).map(Entity::arn);
        match self.apply_entity::<PolicyBody>(id, value) {
            Some(policy) => {
                let compiled = policy
                    .body
                    .default()
                    .and_then(|v| policies::compile_managed(&policy.core.name, &v.document));
                self.managed.insert(policy.arn(), compiled);
            }
            None => {
                if let Some(arn) = old_arn {
                    self.managed.remove(&arn);
                }
            }
        }
    }

    fn apply_saml_keys(&mut self, arn: &str, kek: &Kek) {
        let Some(provider) = self.saml.get(arn) else {
            self.saml_keys.remove(arn);
            return;
        };
        let opened: Vec<crate::saml::xmlenc::DecryptionKey> = provider
            .private_keys
            .iter()
            .filter_map(|key| {
                let opened = kek
                    .open(&format!("saml:{arn}:{}", key.key_id), &key.sealed)
                    .ok()
                    .and_then(|pem| crate::saml::xmlenc::DecryptionKey::from_pem(pem.expose()));
                if opened.is_none() {
                    tracing::error!(
                        saml_provider = %arn,
                        key_id = %key.key_id,
                        "SAML provider private key cannot be used"
                    );
                }
                opened
            })
            .collect();
        self.saml_keys.insert(arn.to_string(), opened.into());
    }

    /// The opened private keys of the SAML provider `arn`.
    pub fn saml_decryption_keys(&self, arn: &str) -> &[crate::saml::xmlenc::DecryptionKey] {
        self.saml_keys.get(arn).map_or(&[], |keys| keys.as_ref())
    }

    fn apply_access_key(&mut self, key: &str, value: Option<&[u8]>, kek: &Kek) {
        self.keys.remove(key);
        let Some(record) =
            value.and_then(|v| decode_logged::<AccessKeyRecord>(Ns::AccessKey, key, v))
        else {
            return;
        };
        match kek.open(&record.access_key_id, &record.sealed_secret) {
            Ok(secret) => {
                self.keys.insert(
                    key.to_string(),
                    Arc::new(KeyEntry {
                        access_key_id: record.access_key_id,
                        account_id: record.account_id,
                        owner: record.owner,
                        status: record.status,
                        secret,
                        caller: OnceLock::new(),
                    }),
                );
            }
            Err(error) => {
                self.unopenable_keys += 1;
                tracing::error!(
                    access_key_id = %record.access_key_id,
                    %error,
                    "access key cannot be used"
                );
            }
        }
    }
}

/// The records of a keyed map (MFA devices, identity providers) owned by
/// `account`, in key order (serial number or ARN).
fn owned_by<'s, R>(
    map: &'s HashMap<String, Arc<R>>,
    account: &str,
    owner: impl Fn(&R) -> &str,
) -> Vec<&'s R> {
    let mut owned: Vec<(&String, &R)> = map
        .iter()
        .map(|(key, record)| (key, record.as_ref()))
        .filter(|(_, record)| owner(record) == account)
        .collect();
    owned.sort_by(|a, b| a.0.cmp(b.0));
    owned.into_iter().map(|(_, record)| record).collect()
}

/// Applies one change to a keyed map: the record decoded, or removed when
/// deleted (or unreadable, which is logged).
fn apply_keyed<R: serde::de::DeserializeOwned>(
    map: &mut HashMap<String, Arc<R>>,
    ns: Ns,
    key: &str,
    value: Option<&[u8]>,
) {
    match value.and_then(|v| decode_logged::<R>(ns, key, v)) {
        Some(record) => {
            map.insert(key.to_string(), Arc::new(record));
        }
        None => {
            map.remove(key);
        }
    }
}

fn decode_logged<T: serde::de::DeserializeOwned>(ns: Ns, key: &str, value: &[u8]) -> Option<T> {
    match records::decode(ns.as_str(), key, value) {
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
    ///
    /// A snapshot older than the store's compaction horizon is answered
    /// with a full read, which replaces it rather than being applied to it.
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
        // The previous snapshot is dropped here, outside the write lock.
        drop(current);
        Ok(revision)
    }
}
