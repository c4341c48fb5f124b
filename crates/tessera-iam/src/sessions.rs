//! Temporary credentials: self-contained session tokens.
//!
//! A session token is the session's claims (who, until when, with which
//! session policies, tags, MFA state and source identity) sealed with
//! ChaCha20-Poly1305 under a token key. The temporary secret access key is
//! derived from the token key and the token's nonce, so a node checks a
//! request signed with temporary credentials without any lookup: it opens
//! the token, derives the secret, and verifies the signature.
//!
//! Token keys live in the store sealed under the KEK (namespace
//! `tokenkeys`), so every node shares them; a new one is made when the
//! newest is older than the rotation period, and an old one opens tokens
//! until the longest session it could have sealed has expired.
//!
//! Token layout (then standard base64): version `1`, the key id's length
//! and bytes, a 12-byte nonce, the sealed claims (JSON); the version and key
//! id are the associated data.

use std::sync::Arc;

use base64::{engine::general_purpose::STANDARD, Engine};
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{ChaCha20Poly1305, Key, Nonce};
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;
use tessera_policy::CompiledPolicy;
use tessera_store::{Backend, Outcome, StoreError};

use crate::crypto::{Kek, Secret};
use crate::ids::{self, IdKind, Random};
use crate::records::{self, Ns, Tag};
use crate::IamError;

const TOKEN_VERSION: u8 = 1;
const NONCE_LEN: usize = 12;

/// How often a new token key is made.
pub const ROTATION_SECONDS: i64 = 24 * 3600;
/// The longest session any token may carry (GetSessionToken's maximum).
pub const LONGEST_SESSION_SECONDS: i64 = 129_600;

/// A token key as stored: sealed under the KEK.
#[derive(Clone, Serialize, Deserialize)]
pub struct TokenKeyRecord {
    /// The key id, e.g. `k1733100000`.
    pub key_id: String,
    /// Creation time, seconds since the epoch.
    pub created: i64,
    /// The key, sealed under the KEK with `token-key:ID` as context (stored
    /// as base64).
    #[serde(with = "crate::records::base64_bytes")]
    pub sealed_key: Vec<u8>,
}

impl std::fmt::Debug for TokenKeyRecord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenKeyRecord")
            .field("key_id", &self.key_id)
            .field("created", &self.created)
            .finish_non_exhaustive()
    }
}

/// An opened token key. `Debug` never shows the key.
#[derive(Clone)]
pub struct TokenKey {
    /// The key id.
    pub key_id: String,
    /// Creation time, seconds since the epoch.
    pub created: i64,
    cipher: ChaCha20Poly1305,
    derive: [u8; 32],
}

impl std::fmt::Debug for TokenKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenKey")
            .field("key_id", &self.key_id)
            .field("created", &self.created)
            .finish_non_exhaustive()
    }
}

impl TokenKey {
    /// Opens a stored token key with the KEK.
    pub fn open(record: &TokenKeyRecord, kek: &Kek) -> Option<TokenKey> {
        let secret = kek
            .open(&format!("token-key:{}", record.key_id), &record.sealed_key)
            .ok()?;
        let bytes = hex::decode(secret.expose()).ok()?;
        let bytes: [u8; 32] = bytes.try_into().ok()?;
        Some(TokenKey::from_bytes(&record.key_id, record.created, &bytes))
    }

    fn from_bytes(key_id: &str, created: i64, bytes: &[u8; 32]) -> TokenKey {
        // One key, two uses kept apart: sealing claims, and deriving
        // secrets (with a separate key hashed from it).
        use sha2::Digest;
        let mut hasher = Sha256::new();
        hasher.update(b"tessera session secret derivation");
        hasher.update(bytes);
        let derive: [u8; 32] = hasher.finalize().into();
        TokenKey {
            key_id: key_id.to_string(),
            created,
            cipher: ChaCha20Poly1305::new(Key::from_slice(bytes)),
            derive,
        }
    }

    /// Whether `other` is this very key (the same id and the same key
    /// bytes), as when a newer snapshot holds the key again.
    pub fn is_same_key(&self, other: &TokenKey) -> bool {
        self.key_id == other.key_id && self.created == other.created && self.derive == other.derive
    }

    /// Whether this key may still open tokens at `now`: it sealed tokens
    /// until the next key took over (one rotation period), and those
    /// live at most the longest session.
    pub fn accepts_at(&self, now: i64) -> bool {
        now < self.created + ROTATION_SECONDS + LONGEST_SESSION_SECONDS + 3600
    }

    /// The temporary secret access key of a token's credentials.
    fn secret_for(&self, access_key_id: &str, nonce: &[u8]) -> Secret {
        // HMAC takes keys of any length; should it ever refuse, the empty
        // secret matches no signature.
        let Ok(mut mac) = <Hmac<Sha256> as Mac>::new_from_slice(&self.derive) else {
            return Secret::new(String::new());
        };
        mac.update(access_key_id.as_bytes());
        mac.update(b"|");
        mac.update(nonce);
        let out = mac.finalize().into_bytes();
        let text = STANDARD.encode(out.get(..30).unwrap_or_default());
        Secret::new(text)
    }
}

/// What kind of session a token carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum SessionKind {
    /// `AssumeRole`: a role session.
    Role,
    /// `GetFederationToken`: a federated-user session.
    Federated,
    /// `GetSessionToken` by an IAM user.
    User,
    /// `GetSessionToken` by the account root.
    Root,
}

/// The claims a session token carries.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claims {
    /// The temporary access key id (`ASIA…`) the token belongs to.
    pub access_key_id: String,
    /// The session's kind.
    pub kind: SessionKind,
    /// The account.
    pub account: String,
    /// The account's partition.
    pub partition: String,
    /// The role or user id, for role and user sessions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub principal_id: Option<String>,
    /// The role's or user's name (federated: the federated user's name).
    pub name: String,
    /// The role's or user's path.
    #[serde(default = "root_path")]
    pub path: String,
    /// The role session name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session_name: Option<String>,
    /// For a federated-user session, the IAM user who asked for it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub federating_user_id: Option<String>,
    /// Issue time, seconds since the epoch (`aws:TokenIssueTime`).
    pub issued: i64,
    /// Expiry, seconds since the epoch.
    pub expires: i64,
    /// When MFA was presented, if it was.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mfa_time: Option<i64>,
    /// The source identity, immutable along a chain.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_identity: Option<String>,
    /// Session tags.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<Tag>,
    /// Keys of the session tags that pass to chained sessions.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub transitive_tag_keys: Vec<String>,
    /// The inline session policy.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub policy: Option<String>,
    /// Managed session policies, by ARN.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub policy_arns: Vec<String>,
    /// Whether this role session was assumed by another role session.
    #[serde(default)]
    pub chained: bool,
    /// For delegated credentials (`GetDelegatedAccessToken`), the
    /// delegation request they were exchanged for: the session is then
    /// limited by its permission policy, whatever its kind.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delegation_request: Option<String>,
    /// For a session from `AssumeRoleWithWebIdentity`: the provider and
    /// the condition keys its token brought, available to the session's
    /// policies (`aws:FederatedProvider`, `PROVIDER:sub`, …).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub web_identity: Option<FederatedClaims>,
}

impl Claims {
    /// The claims of a `kind` session of `name` in `account`, issued at
    /// `issued` until `expires`, with nothing else: path `/`, no ids, MFA,
    /// tags, source identity, session policies, delegation or federation.
    /// Each way of minting a session sets what it carries on top; the
    /// access key id is filled in by [`mint`].
    pub fn new(
        kind: SessionKind,
        account: String,
        partition: String,
        name: String,
        issued: i64,
        expires: i64,
    ) -> Claims {
        Claims {
            access_key_id: String::new(),
            kind,
            account,
            partition,
            principal_id: None,
            name,
            path: root_path(),
            session_name: None,
            federating_user_id: None,
            issued,
            expires,
            mfa_time: None,
            source_identity: None,
            tags: Vec::new(),
            transitive_tag_keys: Vec::new(),
            policy: None,
            policy_arns: Vec::new(),
            chained: false,
            delegation_request: None,
            web_identity: None,
        }
    }
}

/// The identity provider behind a federated role session.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FederatedClaims {
    /// The provider's ARN (`aws:FederatedProvider`).
    pub provider_arn: String,
    /// The provider's condition keys (`HOST/PATH:aud`, `:sub`, …) and
    /// their values.
    pub keys: Vec<(String, Vec<String>)>,
}

fn root_path() -> String {
    "/".into()
}

/// An opened session: its claims and its session policies compiled once.
#[derive(Debug)]
pub struct Session {
    /// The claims.
    pub claims: Claims,
    /// The session policies (inline then managed), compiled; empty when
    /// none was passed.
    pub policies: Vec<Arc<CompiledPolicy>>,
    /// True when a session policy could not be read: the session is then
    /// denied everything.
    pub unreadable: bool,
}

impl PartialEq for Session {
    fn eq(&self, other: &Self) -> bool {
        self.claims == other.claims
    }
}

impl Eq for Session {}

/// Newly minted credentials.
#[derive(Debug)]
pub struct Minted {
    /// The temporary access key id.
    pub access_key_id: String,
    /// Its secret.
    pub secret: Secret,
    /// The session token.
    pub token: String,
}

/// Mints credentials for `claims` (whose `access_key_id` is replaced by a
/// new one) with `key`.
pub fn mint(key: &TokenKey, mut claims: Claims, random: &dyn Random) -> Result<Minted, IamError> {
    let access_key_id = ids::new_access_key_id(random, IdKind::TemporaryAccessKey, &claims.account);
    claims.access_key_id = access_key_id.clone();
    let plaintext = serde_json::to_vec(&claims).map_err(|_| IamError::service_failure())?;
    let mut nonce = [0u8; NONCE_LEN];
    random.fill(&mut nonce);
    let aad = associated_data(&key.key_id);
    let sealed = key
        .cipher
        .encrypt(
            Nonce::from_slice(&nonce),
            Payload {
                msg: &plaintext,
                aad: &aad,
            },
        )
        .map_err(|_| IamError::service_failure())?;
    let mut raw = aad;
    raw.extend_from_slice(&nonce);
    raw.extend_from_slice(&sealed);
    let secret = key.secret_for(&access_key_id, &nonce);
    Ok(Minted {
        access_key_id,
        secret,
        token: STANDARD.encode(raw),
    })
}

fn associated_data(key_id: &str) -> Vec<u8> {
    let mut aad = vec![TOKEN_VERSION, u8::try_from(key_id.len()).unwrap_or(u8::MAX)];
    aad.extend_from_slice(key_id.as_bytes());
    aad
}

/// Why a token was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenError {
    /// Not a token this installation sealed, altered, sealed by a key no
    /// longer accepted, or not the token of the presented key id.
    Invalid,
    /// A genuine token past its expiry.
    Expired,
}

/// The id of the token key a token names (unauthenticated: only a token
/// that [`open`] accepted tells which key sealed it).
pub fn token_key_id(token: &str) -> Option<String> {
    let raw = STANDARD.decode(token).ok()?;
    let (&version, rest) = raw.split_first()?;
    if version != TOKEN_VERSION {
        return None;
    }
    let (&id_len, rest) = rest.split_first()?;
    let key_id = rest.get(..usize::from(id_len))?;
    std::str::from_utf8(key_id).ok().map(str::to_string)
}

/// Opens a token presented with `access_key_id` at `now`, answering its
/// claims and the credentials' secret.
pub fn open(
    keys: &dyn Fn(&str) -> Option<Arc<TokenKey>>,
    token: &str,
    access_key_id: &str,
    now: i64,
) -> Result<(Claims, Secret), TokenError> {
    let raw = STANDARD.decode(token).map_err(|_| TokenError::Invalid)?;
    let (&version, rest) = raw.split_first().ok_or(TokenError::Invalid)?;
    if version != TOKEN_VERSION {
        return Err(TokenError::Invalid);
    }
    let (&id_len, rest) = rest.split_first().ok_or(TokenError::Invalid)?;
    let id_len = usize::from(id_len);
    let key_id = rest.get(..id_len).ok_or(TokenError::Invalid)?;
    let key_id = std::str::from_utf8(key_id).map_err(|_| TokenError::Invalid)?;
    let nonce = rest
        .get(id_len..id_len + NONCE_LEN)
        .ok_or(TokenError::Invalid)?;
    let sealed = rest.get(id_len + NONCE_LEN..).ok_or(TokenError::Invalid)?;
    let key = keys(key_id).ok_or(TokenError::Invalid)?;
    if !key.accepts_at(now) {
        return Err(TokenError::Invalid);
    }
    let aad = associated_data(key_id);
    let plaintext = key
        .cipher
        .decrypt(
            Nonce::from_slice(nonce),
            Payload {
                msg: sealed,
                aad: &aad,
            },
        )
        .map_err(|_| TokenError::Invalid)?;
    let claims: Claims = serde_json::from_slice(&plaintext).map_err(|_| TokenError::Invalid)?;
    if claims.access_key_id != access_key_id {
        return Err(TokenError::Invalid);
    }
    if now >= claims.expires {
        return Err(TokenError::Expired);
    }
    let secret = key.secret_for(access_key_id, nonce);
    Ok((claims, secret))
}

/// Makes a new token key when the newest is older than the rotation
/// period (or there is none). Answers whether one was made.
pub fn ensure_token_key(
    store: &dyn Backend,
    now: i64,
    random: &dyn Random,
    kek: &Kek,
) -> Result<bool, IamError> {
    tessera_store::write(store, |tx| {
        let existing = records::scan_all(tx, Ns::TokenKey.as_str(), "")?;
        let newest = existing
            .iter()
            .filter_map(|(k, v)| records::decode::<TokenKeyRecord>("tokenkeys", k, v).ok())
            .map(|r| r.created)
            .max();
        if newest.is_some_and(|created| now - created < ROTATION_SECONDS) {
            return Ok::<_, Outcome<IamError>>(false);
        }
        let mut bytes = [0u8; 32];
        random.fill(&mut bytes);
        let key_id = format!("k{now}");
        let record = TokenKeyRecord {
            key_id: key_id.clone(),
            created: now,
            sealed_key: kek.seal(
                random,
                &format!("token-key:{key_id}"),
                &Secret::new(hex::encode(bytes)),
            ),
        };
        records::put(tx, Ns::TokenKey.as_str(), &key_id, &record)?;
        Ok(true)
    })
    .map_err(|e: Outcome<IamError>| match e {
        Outcome::Domain(e) => e,
        Outcome::Store(e) => IamError::from(e),
    })
}

/// Reads a stored token key record (for the snapshot).
pub fn decode_key(key: &str, value: &[u8]) -> Result<TokenKeyRecord, StoreError> {
    records::decode(Ns::TokenKey.as_str(), key, value)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::SeededRandom;

    fn key() -> Arc<TokenKey> {
        Arc::new(TokenKey::from_bytes("k1", 1_000, &[7u8; 32]))
    }

    fn claims() -> Claims {
        Claims {
            principal_id: Some("AROAEXAMPLE".into()),
            session_name: Some("s".into()),
            ..Claims::new(
                SessionKind::Role,
                "123456789012".into(),
                "aws".into(),
                "r".into(),
                1_000,
                4_600,
            )
        }
    }

    #[test]
    fn a_minted_token_opens_to_its_claims_and_secret() {
        let key = key();
        let random = SeededRandom::new(1);
        let minted = mint(&key, claims(), &random).expect("mint");
        assert!(minted.access_key_id.starts_with("ASIA"));
        assert_eq!(minted.secret.expose().len(), 40);
        let lookup = |id: &str| (id == "k1").then(|| Arc::clone(&key));
        let (opened, secret) =
            open(&lookup, &minted.token, &minted.access_key_id, 2_000).expect("open");
        assert_eq!(opened.name, "r");
        assert_eq!(secret, minted.secret);
    }

    #[test]
    fn tampered_foreign_expired_and_mismatched_tokens_are_refused() {
        let key = key();
        let random = SeededRandom::new(2);
        let minted = mint(&key, claims(), &random).expect("mint");
        let lookup = |id: &str| (id == "k1").then(|| Arc::clone(&key));
        let raw = STANDARD.decode(&minted.token).expect("base64");
        for i in 0..raw.len() {
            let mut bad = raw.clone();
            bad[i] ^= 0x01;
            let bad = STANDARD.encode(bad);
            assert_eq!(
                open(&lookup, &bad, &minted.access_key_id, 2_000).map(|_| ()),
                Err(TokenError::Invalid),
                "byte {i}"
            );
        }
        assert_eq!(
            open(&lookup, &minted.token, "ASIAOTHERKEY00000000", 2_000).map(|_| ()),
            Err(TokenError::Invalid)
        );
        assert_eq!(
            open(&lookup, &minted.token, &minted.access_key_id, 4_600).map(|_| ()),
            Err(TokenError::Expired)
        );
        let other = Arc::new(TokenKey::from_bytes("k1", 1_000, &[8u8; 32]));
        let other_lookup = |_: &str| Some(Arc::clone(&other));
        assert_eq!(
            open(&other_lookup, &minted.token, &minted.access_key_id, 2_000).map(|_| ()),
            Err(TokenError::Invalid)
        );
        let far_future = 1_000 + ROTATION_SECONDS + LONGEST_SESSION_SECONDS + 7_200;
        assert_eq!(
            open(&lookup, &minted.token, &minted.access_key_id, far_future).map(|_| ()),
            Err(TokenError::Invalid),
            "a retired key opens nothing"
        );
    }
}
