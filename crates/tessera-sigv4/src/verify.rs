//! Verification: the clock window, the canonical request, the derived
//! signing key (cached) and the constant-time signature comparison.
//!
//! **Invariant:** [`VerifiedRequest`] has private fields and no public
//! constructor; it is built only by [`Verifier::verify`] after the signature
//! matched, or by [`accept_unverified_in_emulator_mode`], which says what it
//! does in its name and records it in the value.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, SystemTime};

use hmac::{Hmac, Mac};
use sha2::Sha256;
use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

use crate::canonical::{
    canonical_headers, canonical_query, canonical_request, canonical_uri, string_to_sign,
    CanonicalInput, CanonicalUriRule, Sha256Hex,
};
use crate::error::SigV4Error;
use crate::parse::{Credential, SignedRequest, TERMINATOR};
use crate::timefmt::{format_amz_date, system_time_to_unix, unix_to_system_time};
use crate::RequestParts;

type HmacSha256 = Hmac<Sha256>;

/// A secret access key.
///
/// Its `Debug` prints only `SecretKey(..)`; its memory is zeroed on drop.
#[derive(Clone)]
pub struct SecretKey(Zeroizing<String>);

impl SecretKey {
    /// Wraps a secret access key.
    pub fn new(secret: String) -> Self {
        SecretKey(Zeroizing::new(secret))
    }

    /// The secret itself, for signing. Never log it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretKey(..)")
    }
}

/// Which canonical-URI rule the verifier applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UriRules {
    /// AWS's rule for the credential-scope service: S3 is neither normalized
    /// nor double-encoded, every other service is both.
    ByService,
    /// One rule for every request.
    Fixed(CanonicalUriRule),
}

/// How a [`Verifier`] behaves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VerifierConfig {
    /// The largest difference allowed between the request time and now, in
    /// both directions (AWS: 15 minutes). A presigned URL is valid from its
    /// date minus this skew until its date plus `X-Amz-Expires`.
    pub max_clock_skew: Duration,
    /// How many derived signing keys are kept; 0 disables the cache.
    pub signing_key_cache_capacity: usize,
    /// The canonical-URI rule.
    pub uri_rules: UriRules,
}

impl Default for VerifierConfig {
    fn default() -> Self {
        VerifierConfig {
            max_clock_skew: Duration::from_secs(15 * 60),
            signing_key_cache_capacity: 10_000,
            uri_rules: UriRules::ByService,
        }
    }
}

/// A cached derived signing key, with the secret it was derived from: a
/// lookup whose secret differs (the key's secret changed) misses, so a
/// changed secret never meets a key derived from the old one.
struct CachedSigningKey {
    secret: Zeroizing<String>,
    key: Zeroizing<[u8; 32]>,
}

impl CachedSigningKey {
    fn derived_from(&self, secret: &str) -> bool {
        bool::from(self.secret.as_bytes().ct_eq(secret.as_bytes()))
    }
}

/// A bounded two-generation cache, keyed by `keyid/date/region/service`
/// (borrowed from the request's credential, so a lookup copies nothing):
/// lookups promote entries from the previous generation; when the current
/// one is full it becomes the previous one and the oldest generation is
/// dropped (its keys and secrets zeroed).
struct SigningKeyCache {
    current: HashMap<String, CachedSigningKey>,
    previous: HashMap<String, CachedSigningKey>,
    generation_capacity: usize,
}

impl SigningKeyCache {
    fn get(&mut self, name: &str, secret: &str) -> Option<[u8; 32]> {
        if let Some(found) = self.current.get(name) {
            return found.derived_from(secret).then(|| *found.key);
        }
        let promoted = self.previous.remove(name)?;
        if !promoted.derived_from(secret) {
            return None;
        }
        let value = *promoted.key;
        self.insert(name, secret, value);
        Some(value)
    }

    fn insert(&mut self, name: &str, secret: &str, value: [u8; 32]) {
        if self.generation_capacity == 0 {
            return;
        }
        if self.current.len() >= self.generation_capacity && !self.current.contains_key(name) {
            self.previous = std::mem::take(&mut self.current);
        }
        self.current.insert(
            name.to_owned(),
            CachedSigningKey {
                secret: Zeroizing::new(secret.to_owned()),
                key: Zeroizing::new(value),
            },
        );
    }

    fn len(&self) -> usize {
        self.current.len() + self.previous.len()
    }
}

/// Verifies SigV4 signatures and request times.
///
/// Thread-safe: share one verifier (behind an `Arc`) across request handlers.
/// It caches derived signing keys per access key id, date, region, service
/// and secret (the secret kept with the key and compared on every hit),
/// bounded by [`VerifierConfig::signing_key_cache_capacity`].
pub struct Verifier {
    config: VerifierConfig,
    cache: Mutex<SigningKeyCache>,
}

impl Default for Verifier {
    fn default() -> Self {
        Verifier::new()
    }
}

impl std::fmt::Debug for Verifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Verifier")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl Verifier {
    /// A verifier with AWS's behaviour: ±15 minutes, rules by service.
    pub fn new() -> Self {
        Verifier::with_config(VerifierConfig::default())
    }

    /// A verifier with the given configuration.
    pub fn with_config(config: VerifierConfig) -> Self {
        let generation_capacity = config.signing_key_cache_capacity.div_ceil(2);
        Verifier {
            config,
            cache: Mutex::new(SigningKeyCache {
                current: HashMap::new(),
                previous: HashMap::new(),
                generation_capacity,
            }),
        }
    }

    /// The configuration in force.
    pub fn config(&self) -> &VerifierConfig {
        &self.config
    }

    /// How many derived signing keys are cached now.
    pub fn cached_signing_keys(&self) -> usize {
        self.lock_cache().len()
    }

    fn lock_cache(&self) -> std::sync::MutexGuard<'_, SigningKeyCache> {
        match self.cache.lock() {
            Ok(guard) => guard,
            Err(poisoned) => poisoned.into_inner(),
        }
    }

    /// The canonical-URI rule applied to `request`.
    pub fn uri_rule_for(&self, request: &SignedRequest) -> CanonicalUriRule {
        match self.config.uri_rules {
            UriRules::ByService => CanonicalUriRule::for_service(request.service()),
            UriRules::Fixed(rule) => rule,
        }
    }

    /// Verifies the time and the signature of `request`, parsed from `parts`
    /// (the same parts), with the secret of its access key, at time `now`.
    ///
    /// # Errors
    ///
    /// `SignatureDoesNotMatch` (expired, not yet current, or a wrong
    /// signature) and `XAmzContentSHA256Mismatch` (a signed payload hash that
    /// is not the body's).
    pub fn verify(
        &self,
        request: SignedRequest,
        parts: &RequestParts,
        secret: &SecretKey,
        now: SystemTime,
    ) -> Result<VerifiedRequest, SigV4Error> {
        self.verify_with_secret(request, parts, secret.expose(), now)
    }

    /// [`Verifier::verify`] with the secret borrowed from wherever the
    /// caller keeps it, so it is not copied per request. Never log it.
    ///
    /// # Errors
    ///
    /// As [`Verifier::verify`].
    pub fn verify_with_secret(
        &self,
        request: SignedRequest,
        parts: &RequestParts,
        secret: &str,
        now: SystemTime,
    ) -> Result<VerifiedRequest, SigV4Error> {
        check_time(
            &request,
            system_time_to_unix(now),
            self.config.max_clock_skew,
        )?;
        let rule = self.uri_rule_for(&request);
        let (canonical, declared_payload_hash) = build_canonical_request(&request, parts, rule);
        let to_sign = string_to_sign(&request.amz_date, request.credential_scope(), &canonical);
        let signing_key = self.signing_key(&request, secret);
        let expected = Zeroizing::new(hmac(&signing_key[..], to_sign.as_bytes()));
        let Some(provided) = request.signature else {
            return Err(SigV4Error::SignatureDoesNotMatch);
        };
        if !bool::from(expected.ct_eq(&provided)) {
            return Err(SigV4Error::SignatureDoesNotMatch);
        }
        if let Some(declared) = declared_payload_hash {
            if !declared.eq_ignore_ascii_case(Sha256Hex::of(parts.body).as_str()) {
                return Err(SigV4Error::ContentSha256Mismatch);
            }
        }
        Ok(VerifiedRequest::from_signed(request, true))
    }

    fn signing_key(&self, request: &SignedRequest, secret: &str) -> Zeroizing<[u8; 32]> {
        let credential = &request.credential;
        let derive = || {
            derive_signing_key(
                secret,
                credential.date(),
                credential.region(),
                credential.service(),
            )
        };
        if self.config.signing_key_cache_capacity == 0 {
            return derive();
        }
        let name = credential.signing_key_name();
        if let Some(found) = self.lock_cache().get(name, secret) {
            return Zeroizing::new(found);
        }
        let derived = derive();
        self.lock_cache().insert(name, secret, *derived);
        derived
    }
}

impl SignedRequest {
    /// The canonical request Tessera computes for this request under `rule`.
    /// A diagnostic for tools and tests; it is never put into an error.
    pub fn canonical_request(&self, parts: &RequestParts, rule: CanonicalUriRule) -> String {
        build_canonical_request(self, parts, rule).0
    }

    /// The string to sign Tessera computes for this request under `rule`.
    /// A diagnostic for tools and tests; it is never put into an error.
    pub fn string_to_sign(&self, parts: &RequestParts, rule: CanonicalUriRule) -> String {
        string_to_sign(
            &self.amz_date,
            self.credential_scope(),
            &self.canonical_request(parts, rule),
        )
    }
}

/// The canonical request, and the signed `x-amz-content-sha256` value when
/// that header was signed (it then stands for the body and must match it).
fn build_canonical_request(
    request: &SignedRequest,
    parts: &RequestParts,
    rule: CanonicalUriRule,
) -> (String, Option<String>) {
    let uri = canonical_uri(parts.path, rule);
    let query = canonical_query(&request.query, request.is_presigned());
    let headers = canonical_headers(parts.headers, request.signed_header_names());
    let declared = if request
        .signed_header_names()
        .any(|name| name == "x-amz-content-sha256")
    {
        parts
            .headers
            .iter()
            .find(|(name, _)| name.eq_ignore_ascii_case("x-amz-content-sha256"))
            .map(|(_, value)| value.trim().to_owned())
    } else {
        None
    };
    let body_hash;
    let payload_hash = match &declared {
        Some(value) => value.as_str(),
        None => {
            body_hash = Sha256Hex::of(parts.body);
            body_hash.as_str()
        }
    };
    let canonical = canonical_request(&CanonicalInput {
        method: parts.method,
        canonical_uri: &uri,
        canonical_query: &query,
        canonical_headers: &headers,
        signed_headers: &request.signed_headers_line,
        payload_hash,
    });
    (canonical, declared)
}

fn window_text(seconds: u64) -> String {
    if seconds.is_multiple_of(60) {
        format!("{} min.", seconds / 60)
    } else {
        format!("{seconds} sec.")
    }
}

fn check_time(request: &SignedRequest, now: i64, skew: Duration) -> Result<(), SigV4Error> {
    let skew_seconds = skew.as_secs();
    let skew_signed = i64::try_from(skew_seconds).unwrap_or(i64::MAX);
    let signed_at = request.signed_at;
    let latest_allowed = now.saturating_add(skew_signed);
    if signed_at > latest_allowed {
        return Err(SigV4Error::SignatureNotYetCurrent {
            message: format!(
                "Signature not yet current: {} is still later than {} ({} + {})",
                request.amz_date,
                format_amz_date(latest_allowed),
                format_amz_date(now),
                window_text(skew_seconds)
            ),
        });
    }
    let window = request.presigned_expires.unwrap_or(skew_seconds);
    let window_signed = i64::try_from(window).unwrap_or(i64::MAX);
    let earliest_allowed = now.saturating_sub(window_signed);
    if signed_at < earliest_allowed {
        return Err(SigV4Error::SignatureExpired {
            message: format!(
                "Signature expired: {} is now earlier than {} ({} - {})",
                request.amz_date,
                format_amz_date(earliest_allowed),
                format_amz_date(now),
                window_text(window)
            ),
        });
    }
    Ok(())
}

fn hmac(key: &[u8], message: &[u8]) -> [u8; 32] {
    // HMAC accepts keys of any length, so this never fails.
    let mut mac = match HmacSha256::new_from_slice(key) {
        Ok(mac) => mac,
        Err(_) => return [0u8; 32],
    };
    mac.update(message);
    mac.finalize().into_bytes().into()
}

/// Derives the SigV4 signing key for one day, region and service.
pub(crate) fn derive_signing_key(
    secret: &str,
    date: &str,
    region: &str,
    service: &str,
) -> Zeroizing<[u8; 32]> {
    let mut first_key = Zeroizing::new(Vec::with_capacity(secret.len() + 4));
    first_key.extend_from_slice(b"AWS4");
    first_key.extend_from_slice(secret.as_bytes());
    let date_key = Zeroizing::new(hmac(&first_key, date.as_bytes()));
    let region_key = Zeroizing::new(hmac(&date_key[..], region.as_bytes()));
    let service_key = Zeroizing::new(hmac(&region_key[..], service.as_bytes()));
    Zeroizing::new(hmac(&service_key[..], TERMINATOR.as_bytes()))
}

/// The signature of `string_to_sign` under `secret` for the given scope.
pub(crate) fn signature_hex(
    secret: &SecretKey,
    date: &str,
    region: &str,
    service: &str,
    string_to_sign: &str,
) -> String {
    let key = derive_signing_key(secret.expose(), date, region, service);
    hex::encode(hmac(&key[..], string_to_sign.as_bytes()))
}

/// A request whose SigV4 signature and time were verified: the only type
/// that lets a request reach an operation.
///
/// Built only by [`Verifier::verify`] or, in emulator mode, by
/// [`accept_unverified_in_emulator_mode`] (then
/// [`VerifiedRequest::signature_checked`] is false).
#[derive(Clone)]
pub struct VerifiedRequest {
    credential: Credential,
    security_token: Option<String>,
    signed_at: i64,
    presigned: bool,
    signature_checked: bool,
}

impl std::fmt::Debug for VerifiedRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VerifiedRequest")
            .field("access_key_id", &self.access_key_id())
            .field("region", &self.region())
            .field("service", &self.service())
            .field(
                "security_token",
                &self.security_token.as_ref().map(|_| ".."),
            )
            .field("signed_at", &format_amz_date(self.signed_at))
            .field("presigned", &self.presigned)
            .field("signature_checked", &self.signature_checked)
            .finish()
    }
}

impl VerifiedRequest {
    fn from_signed(request: SignedRequest, signature_checked: bool) -> Self {
        VerifiedRequest {
            presigned: request.is_presigned(),
            credential: request.credential,
            security_token: request.security_token,
            signed_at: request.signed_at,
            signature_checked,
        }
    }

    /// The access key id that signed the request.
    pub fn access_key_id(&self) -> &str {
        self.credential.access_key_id()
    }

    /// The credential scope region.
    pub fn region(&self) -> &str {
        self.credential.region()
    }

    /// The credential scope service, e.g. `iam` or `sts`.
    pub fn service(&self) -> &str {
        self.credential.service()
    }

    /// The session token the request carried, if any.
    pub fn security_token(&self) -> Option<&str> {
        self.security_token.as_deref()
    }

    /// The request time the client signed (`X-Amz-Date` or `Date`).
    pub fn signed_at(&self) -> SystemTime {
        unix_to_system_time(self.signed_at)
    }

    /// Whether the request used the presigned query form.
    pub fn is_presigned(&self) -> bool {
        self.presigned
    }

    /// False only for a request accepted by
    /// [`accept_unverified_in_emulator_mode`].
    pub fn signature_checked(&self) -> bool {
        self.signature_checked
    }
}

/// Emulator mode only: accepts a request signed by a key Tessera does not
/// know, without checking its signature or its time. Named loudly on purpose;
/// the result reports `signature_checked() == false`.
pub fn accept_unverified_in_emulator_mode(request: SignedRequest) -> VerifiedRequest {
    VerifiedRequest::from_signed(request, false)
}
