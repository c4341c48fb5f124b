//! Credential resolution: what the access key of a signed request stands
//! for, decided from the snapshot alone, before the signature is checked
//! with the key's secret. The server keeps the protocol (SigV4); which keys
//! exist, which may sign, and whose they are is decided here, so that STS
//! session credentials join in one place.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use tessera_policy::{CompiledPolicy, PolicyKind};

use crate::arn;
use crate::caller::Caller;
use crate::crypto::Secret;
use crate::records::KeyStatus;
use crate::sessions::{self, Claims, Session, SessionKind, TokenError, TokenKey};
use crate::snapshot::Snapshot;

/// What a request's credentials claim.
#[derive(Debug, Clone, Copy)]
pub struct Presented<'r> {
    /// The access key id of the credential scope.
    pub access_key_id: &'r str,
    /// The region the request was signed for.
    pub region: &'r str,
    /// The service the request was signed for (`iam`, `sts`).
    pub service: &'r str,
    /// The session token, if the request carries one.
    pub session_token: Option<&'r str>,
    /// The request time, seconds since the epoch.
    pub now: i64,
}

/// The outcome of resolving presented credentials.
#[derive(Debug)]
pub enum Resolved {
    /// A key Tessera knows and that may sign: check the signature with
    /// `secret`, then act as `caller`.
    Key {
        /// Who the request is from, once the signature holds. Shared: a
        /// cached session hands out the caller it built when its token
        /// was opened, instead of copying its names per request.
        caller: Arc<Caller>,
        /// The key's secret.
        secret: Secret,
    },
    /// Temporary credentials whose session has expired (AWS's
    /// `ExpiredToken`).
    Expired,
    /// A key Tessera has never issued (emulator mode may accept it).
    Unknown,
    /// A key that exists but may not sign this request: inactive, sent
    /// with a session token although it is long-term, owned by a deleted
    /// user, or used for a region outside its account's partition. AWS
    /// answers all of these as an invalid security token.
    Refused,
}

/// Sessions opened recently, by token: opening a token (its AEAD, its
/// claims, its secret's derivation), compiling its session policies and
/// building its caller happen once per token, not once per request. Only a
/// token that opened is ever cached, and a hit needs the token's exact
/// text, so a tampered token misses and is opened (and refused) in full;
/// what `sessions::open` checks per request beyond the seal (the token key
/// still present and accepting, the access key id, the expiry) is checked
/// again on every hit.
///
/// The map is keyed by the token's last 24 characters, not its whole
/// text: they encode the AEAD tag, which is random for every token, so
/// hashing them finds the entry as surely as hashing the ~700 characters
/// before them, for a fraction of the work. The entry keeps the whole
/// text, compared on every hit.
///
/// A long-term key's caller is not kept here but in the snapshot's key
/// entry ([`Snapshot::shared_caller_for_key`]), read with no lock.
#[derive(Default)]
pub struct SessionCache {
    sessions: Mutex<HashMap<Box<str>, Arc<OpenedToken>>>,
}

/// Shows only how many sessions are held: the map is keyed by session
/// tokens, which are credentials.
impl std::fmt::Debug for SessionCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let held = self.sessions.lock().map(|s| s.len()).unwrap_or(0);
        f.debug_struct("SessionCache")
            .field("held", &held)
            .finish_non_exhaustive()
    }
}

/// A token that opened: its exact text, its session, the caller it stands
/// for, the token key that sealed it, and the credentials' secret.
struct OpenedToken {
    token: Box<str>,
    session: Arc<Session>,
    caller: Arc<Caller>,
    token_key: Arc<TokenKey>,
    secret: Secret,
}

impl SessionCache {
    /// The most sessions kept; past it the cache starts over.
    const CAPACITY: usize = 10_000;

    /// How many of a token's last characters key the map: the last 24
    /// characters of padded base64 encode at least the last 16 bytes, which
    /// are the AEAD tag of the sealed claims (unpredictable without the
    /// token key, and different for every token, each sealed under a fresh
    /// nonce).
    const KEY_CHARS: usize = 24;

    /// The map key of `token`: its last [`Self::KEY_CHARS`] characters, or
    /// the whole text when it is shorter or does not split there.
    fn key_of(token: &str) -> &str {
        token
            .get(token.len().saturating_sub(Self::KEY_CHARS)..)
            .unwrap_or(token)
    }

    fn get(&self, token: &str) -> Option<Arc<OpenedToken>> {
        let sessions = match self.sessions.lock() {
            Ok(guard) => guard,
            Err(poisoned) => poisoned.into_inner(),
        };
        sessions
            .get(Self::key_of(token))
            .filter(|opened| *opened.token == *token)
            .cloned()
    }

    fn put(&self, opened: Arc<OpenedToken>) {
        let mut sessions = match self.sessions.lock() {
            Ok(guard) => guard,
            Err(poisoned) => poisoned.into_inner(),
        };
        if sessions.len() >= Self::CAPACITY {
            sessions.clear();
        }
        let key = Box::from(Self::key_of(&opened.token));
        sessions.insert(key, opened);
    }
}

/// Resolves `presented` against `snapshot`.
pub fn resolve(snapshot: &Snapshot, presented: &Presented<'_>, cache: &SessionCache) -> Resolved {
    if let Some(token) = presented.session_token {
        if snapshot.access_key(presented.access_key_id).is_none() {
            return resolve_session(snapshot, presented, token, cache);
        }
    }
    let Some(key) = snapshot.access_key(presented.access_key_id) else {
        return Resolved::Unknown;
    };
    if key.status != KeyStatus::Active || presented.session_token.is_some() {
        return Resolved::Refused;
    }
    let Some(caller) = snapshot.shared_caller_for_key(key) else {
        return Resolved::Refused;
    };
    // Keys live in one partition, as in AWS: a request signed for a region
    // of another partition names a key that partition does not have.
    if arn::partition_of_region(presented.region) != caller.partition() {
        return Resolved::Refused;
    }
    Resolved::Key {
        caller,
        secret: key.secret.clone(),
    }
}

/// Temporary credentials: the token is opened (or found in the cache),
/// checked against the key id, the clock and the partition, and turned
/// into the session's caller.
fn resolve_session(
    snapshot: &Snapshot,
    presented: &Presented<'_>,
    token: &str,
    cache: &SessionCache,
) -> Resolved {
    let opened = match cache.get(token) {
        Some(opened) => match recheck(snapshot, presented, &opened) {
            Ok(()) => opened,
            Err(TokenError::Expired) => return Resolved::Expired,
            Err(TokenError::Invalid) => return Resolved::Refused,
        },
        None => {
            let lookup = |key_id: &str| snapshot.token_key(key_id);
            let (claims, secret) =
                match sessions::open(&lookup, token, presented.access_key_id, presented.now) {
                    Ok(opened) => opened,
                    Err(TokenError::Expired) => return Resolved::Expired,
                    Err(TokenError::Invalid) => return Resolved::Refused,
                };
            let Some(token_key) = sessions::token_key_id(token).and_then(|id| lookup(&id)) else {
                return Resolved::Refused;
            };
            let session = Arc::new(open_session(snapshot, claims));
            let opened = Arc::new(OpenedToken {
                token: Box::from(token),
                caller: Arc::new(caller_of(Arc::clone(&session))),
                session,
                token_key,
                secret,
            });
            cache.put(Arc::clone(&opened));
            opened
        }
    };
    let claims = &opened.session.claims;
    if arn::partition_of_region(presented.region) != claims.partition {
        return Resolved::Refused;
    }
    // GetSessionToken credentials call IAM only with MFA, and
    // GetFederationToken credentials never (AWS answers both as an
    // invalid token).
    // Delegated credentials are made to call the customer's IAM, limited
    // by the request's permission policy.
    let iam_refused = match claims.kind {
        _ if claims.delegation_request.is_some() => false,
        SessionKind::User | SessionKind::Root => claims.mfa_time.is_none(),
        SessionKind::Federated => true,
        SessionKind::Role => false,
    };
    if presented.service == "iam" && iam_refused {
        return Resolved::Refused;
    }
    Resolved::Key {
        caller: Arc::clone(&opened.caller),
        secret: opened.secret.clone(),
    }
}

/// The checks `sessions::open` makes on every opening that do not depend
/// on the seal, made again for a cached token, in the same order: the
/// token key that sealed it (the same key, not only the same id) is still
/// in the snapshot and still accepts tokens, the token was issued to the presented access key id, and it
/// has not expired.
fn recheck(
    snapshot: &Snapshot,
    presented: &Presented<'_>,
    opened: &OpenedToken,
) -> Result<(), TokenError> {
    let key_holds = snapshot
        .token_key(&opened.token_key.key_id)
        .is_some_and(|key| key.is_same_key(&opened.token_key) && key.accepts_at(presented.now));
    let claims = &opened.session.claims;
    if !key_holds || claims.access_key_id != presented.access_key_id {
        return Err(TokenError::Invalid);
    }
    if presented.now >= claims.expires {
        return Err(TokenError::Expired);
    }
    Ok(())
}

/// Compiles a session's policies once.
fn open_session(snapshot: &Snapshot, claims: Claims) -> Session {
    let mut policies: Vec<Arc<CompiledPolicy>> = Vec::new();
    let mut unreadable = false;
    if let Some(document) = &claims.policy {
        match CompiledPolicy::compile_kind("session policy", document, PolicyKind::Session) {
            Ok(policy) => policies.push(Arc::new(policy)),
            Err(_) => unreadable = true,
        }
    }
    for policy_arn in &claims.policy_arns {
        let compiled = match snapshot.managed_policy(policy_arn) {
            Some(compiled) => compiled.clone(),
            None => crate::aws_managed::compiled(policy_arn),
        };
        // A managed session policy that no longer exists grants nothing.
        if let Some(policy) = compiled {
            policies.push(policy);
        }
    }
    Session {
        claims,
        policies,
        unreadable,
    }
}

/// The caller a session stands for.
fn caller_of(session: Arc<Session>) -> Caller {
    let claims = &session.claims;
    let account = claims.account.clone();
    let partition = claims.partition.clone();
    match claims.kind {
        SessionKind::Role => Caller::AssumedRole {
            account,
            partition,
            role_id: claims.principal_id.clone().unwrap_or_default(),
            role_name: claims.name.clone(),
            role_path: claims.path.clone(),
            session_name: claims.session_name.clone().unwrap_or_default(),
            session,
        },
        SessionKind::Federated => Caller::FederatedUser {
            account,
            partition,
            name: claims.name.clone(),
            session,
        },
        SessionKind::User => Caller::User {
            account,
            partition,
            user_id: claims.principal_id.clone().unwrap_or_default(),
            name: claims.name.clone(),
            path: claims.path.clone(),
            session: Some(session),
        },
        SessionKind::Root => Caller::Root {
            account,
            partition,
            session: Some(session),
        },
    }
}

/// The caller an unknown key stands for in emulator mode: the root of the
/// default account.
pub fn emulator_caller(snapshot: &Snapshot, default_account: &str) -> Caller {
    Caller::Root {
        account: default_account.to_string(),
        partition: snapshot
            .account(default_account)
            .map(|a| a.partition.clone())
            .unwrap_or_else(|| arn::DEFAULT_PARTITION.to_string()),
        session: None,
    }
}
