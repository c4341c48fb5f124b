//! Verifying a JSON Web Token (RFC 7519) an identity provider signed: its
//! compact form parsed, its signature checked against the provider's JSON
//! Web Key Set (RFC 7517).
//!
//! Only asymmetric signatures are accepted: RS256, RS384, RS512 (RSASSA
//! PKCS#1 v1.5) and ES256, ES384 (ECDSA on P-256 and P-384). `alg: none`
//! and the HMAC algorithms are refused before any key is looked at, so a
//! token "signed" with a provider's public key as an HMAC secret never
//! verifies. Nothing here does I/O: the key set comes in as bytes the
//! server fetched.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use ring::signature::{self, UnparsedPublicKey};
use serde_json::{Map, Value};

/// The largest key set read; a provider's is a few kilobytes.
pub const MAX_KEY_SET_BYTES: usize = 512 * 1024;
/// The most keys a key set may hold.
const MAX_KEYS: usize = 100;

/// Why a token did not verify.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JwtError {
    /// Not three base64url parts, or a header or payload that is not a
    /// JSON object.
    Malformed,
    /// An algorithm Tessera does not accept (`none`, `HS256`, …).
    UnsupportedAlgorithm(String),
    /// No key of the set has the token's `kid` (or, without a `kid`, suits
    /// its algorithm).
    UnknownKey,
    /// A key matched, but the signature is not its.
    BadSignature,
    /// The key set is not a JSON Web Key Set.
    MalformedKeySet,
}

/// A signature algorithm Tessera accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Algorithm {
    /// RSASSA-PKCS1-v1_5 with SHA-256.
    Rs256,
    /// RSASSA-PKCS1-v1_5 with SHA-384.
    Rs384,
    /// RSASSA-PKCS1-v1_5 with SHA-512.
    Rs512,
    /// ECDSA on P-256 with SHA-256.
    Es256,
    /// ECDSA on P-384 with SHA-384.
    Es384,
}

impl Algorithm {
    fn from_name(name: &str) -> Option<Algorithm> {
        Some(match name {
            "RS256" => Algorithm::Rs256,
            "RS384" => Algorithm::Rs384,
            "RS512" => Algorithm::Rs512,
            "ES256" => Algorithm::Es256,
            "ES384" => Algorithm::Es384,
            _ => return None,
        })
    }

    fn is_rsa(self) -> bool {
        matches!(self, Algorithm::Rs256 | Algorithm::Rs384 | Algorithm::Rs512)
    }

    fn curve(self) -> Option<&'static str> {
        match self {
            Algorithm::Es256 => Some("P-256"),
            Algorithm::Es384 => Some("P-384"),
            _ => None,
        }
    }
}

/// A parsed token whose signature is not yet checked.
#[derive(Debug, Clone)]
pub struct Jwt {
    /// The signature algorithm of the header.
    pub algorithm: Algorithm,
    /// The header's key id.
    pub kid: Option<String>,
    /// The payload's claims.
    pub claims: Map<String, Value>,
    signing_input: String,
    signature: Vec<u8>,
}

fn decode_part(part: &str) -> Result<Vec<u8>, JwtError> {
    // Some issuers pad; RFC 7515 says not to, and both are read.
    URL_SAFE_NO_PAD
        .decode(part.trim_end_matches('='))
        .map_err(|_| JwtError::Malformed)
}

fn json_object(bytes: &[u8]) -> Result<Map<String, Value>, JwtError> {
    match serde_json::from_slice(bytes) {
        Ok(Value::Object(map)) => Ok(map),
        _ => Err(JwtError::Malformed),
    }
}

impl Jwt {
    /// Parses a token in compact serialization (`HEADER.PAYLOAD.SIGNATURE`).
    pub fn parse(token: &str) -> Result<Jwt, JwtError> {
        let mut parts = token.split('.');
        let (Some(header), Some(payload), Some(signature), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(JwtError::Malformed);
        };
        let header_json = json_object(&decode_part(header)?)?;
        let claims = json_object(&decode_part(payload)?)?;
        let alg = header_json
            .get("alg")
            .and_then(Value::as_str)
            .ok_or(JwtError::Malformed)?;
        let algorithm = Algorithm::from_name(alg)
            .ok_or_else(|| JwtError::UnsupportedAlgorithm(alg.to_string()))?;
        let kid = header_json
            .get("kid")
            .and_then(Value::as_str)
            .map(str::to_string);
        let signature = decode_part(signature)?;
        Ok(Jwt {
            algorithm,
            kid,
            claims,
            signing_input: format!("{header}.{payload}"),
            signature,
        })
    }

    /// A string claim.
    pub fn claim_str(&self, name: &str) -> Option<&str> {
        self.claims.get(name).and_then(Value::as_str)
    }
}

/// One public key of a key set.
#[derive(Debug, Clone, PartialEq, Eq)]
enum PublicKey {
    /// An RSA key: modulus and exponent, big-endian.
    Rsa { n: Vec<u8>, e: Vec<u8> },
    /// An EC key as an uncompressed SEC1 point (`04 || x || y`).
    Ec { curve: String, point: Vec<u8> },
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Jwk {
    kid: Option<String>,
    alg: Option<String>,
    key: PublicKey,
}

/// A provider's JSON Web Key Set: the signing keys it publishes. Keys of
/// other types (symmetric `oct` keys among them) and encryption keys
/// (`use: enc`) are left out: they never verify a token.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct KeySet {
    keys: Vec<Jwk>,
}

fn b64_field(object: &Map<String, Value>, name: &str) -> Option<Vec<u8>> {
    decode_part(object.get(name)?.as_str()?).ok()
}

impl KeySet {
    /// Parses a JWKS document (`{"keys": [...]}`).
    pub fn parse(bytes: &[u8]) -> Result<KeySet, JwtError> {
        if bytes.len() > MAX_KEY_SET_BYTES {
            return Err(JwtError::MalformedKeySet);
        }
        let document = json_object(bytes).map_err(|_| JwtError::MalformedKeySet)?;
        let list = document
            .get("keys")
            .and_then(Value::as_array)
            .ok_or(JwtError::MalformedKeySet)?;
        let mut keys = Vec::new();
        for entry in list.iter().take(MAX_KEYS) {
            let Some(object) = entry.as_object() else {
                continue;
            };
            if object.get("use").and_then(Value::as_str) == Some("enc") {
                continue;
            }
            let key = match object.get("kty").and_then(Value::as_str) {
                Some("RSA") => match (b64_field(object, "n"), b64_field(object, "e")) {
                    (Some(n), Some(e)) => PublicKey::Rsa { n, e },
                    _ => continue,
                },
                Some("EC") => {
                    let curve = object.get("crv").and_then(Value::as_str).unwrap_or("");
                    let len = match curve {
                        "P-256" => 32,
                        "P-384" => 48,
                        _ => continue,
                    };
                    match (b64_field(object, "x"), b64_field(object, "y")) {
                        (Some(x), Some(y)) if x.len() == len && y.len() == len => {
                            let mut point = Vec::with_capacity(1 + 2 * len);
                            point.push(4);
                            point.extend_from_slice(&x);
                            point.extend_from_slice(&y);
                            PublicKey::Ec {
                                curve: curve.to_string(),
                                point,
                            }
                        }
                        _ => continue,
                    }
                }
                _ => continue,
            };
            keys.push(Jwk {
                kid: object
                    .get("kid")
                    .and_then(Value::as_str)
                    .map(str::to_string),
                alg: object
                    .get("alg")
                    .and_then(Value::as_str)
                    .map(str::to_string),
                key,
            });
        }
        Ok(KeySet { keys })
    }

    /// How many signing keys the set holds.
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    /// Whether the set holds no signing key.
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// Whether the set has the key a token names by `kid` (any key, for a
    /// token without one): when not, the provider may have rotated its
    /// keys since the set was fetched.
    pub fn has_key(&self, kid: Option<&str>) -> bool {
        match kid {
            Some(kid) => self.keys.iter().any(|k| k.kid.as_deref() == Some(kid)),
            None => !self.keys.is_empty(),
        }
    }

    /// The keys that may have signed `jwt`: those with its `kid` (every
    /// key without one, when the token names none), of its algorithm's
    /// type and curve, and not published for another algorithm.
    fn candidates<'k>(&'k self, jwt: &'k Jwt) -> impl Iterator<Item = &'k Jwk> + 'k {
        self.keys.iter().filter(move |k| {
            let kid_matches = match (&jwt.kid, &k.kid) {
                (Some(wanted), Some(kid)) => wanted == kid,
                (Some(_), None) => false,
                (None, _) => true,
            };
            let type_matches = match &k.key {
                PublicKey::Rsa { .. } => jwt.algorithm.is_rsa(),
                PublicKey::Ec { curve, .. } => jwt.algorithm.curve() == Some(curve.as_str()),
            };
            let alg_matches = k
                .alg
                .as_deref()
                .is_none_or(|alg| Algorithm::from_name(alg) == Some(jwt.algorithm));
            kid_matches && type_matches && alg_matches
        })
    }

    /// Checks `jwt`'s signature against the set.
    pub fn verify(&self, jwt: &Jwt) -> Result<(), JwtError> {
        let mut any = false;
        for jwk in self.candidates(jwt) {
            any = true;
            if verify_with(jwt, &jwk.key) {
                return Ok(());
            }
        }
        Err(if any {
            JwtError::BadSignature
        } else {
            JwtError::UnknownKey
        })
    }
}

fn verify_with(jwt: &Jwt, key: &PublicKey) -> bool {
    let message = jwt.signing_input.as_bytes();
    match key {
        PublicKey::Rsa { n, e } => {
            let parameters = match jwt.algorithm {
                Algorithm::Rs256 => &signature::RSA_PKCS1_2048_8192_SHA256,
                Algorithm::Rs384 => &signature::RSA_PKCS1_2048_8192_SHA384,
                Algorithm::Rs512 => &signature::RSA_PKCS1_2048_8192_SHA512,
                _ => return false,
            };
            signature::RsaPublicKeyComponents { n, e }
                .verify(parameters, message, &jwt.signature)
                .is_ok()
        }
        PublicKey::Ec { point, .. } => {
            let algorithm: &dyn signature::VerificationAlgorithm = match jwt.algorithm {
                Algorithm::Es256 => &signature::ECDSA_P256_SHA256_FIXED,
                Algorithm::Es384 => &signature::ECDSA_P384_SHA384_FIXED,
                _ => return false,
            };
            UnparsedPublicKey::new(algorithm, point)
                .verify(message, &jwt.signature)
                .is_ok()
        }
    }
}

/// An ES256 signer for tests of token verification.
#[cfg(test)]
pub(crate) mod test_signer {
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use base64::Engine;
    use ring::rand::SystemRandom;
    use ring::signature::{EcdsaKeyPair, KeyPair, ECDSA_P256_SHA256_FIXED_SIGNING};
    use serde_json::Value;

    pub(crate) fn b64(bytes: &[u8]) -> String {
        URL_SAFE_NO_PAD.encode(bytes)
    }

    pub(crate) struct EcIssuer {
        pair: EcdsaKeyPair,
        kid: &'static str,
    }

    impl EcIssuer {
        pub(crate) fn new(kid: &'static str) -> EcIssuer {
            let rng = SystemRandom::new();
            let pkcs8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &rng)
                .expect("key generation");
            let pair =
                EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, pkcs8.as_ref(), &rng)
                    .expect("key");
            EcIssuer { pair, kid }
        }

        pub(crate) fn jwk(&self) -> Value {
            let point = self.pair.public_key().as_ref();
            serde_json::json!({
                "kty": "EC", "crv": "P-256", "kid": self.kid, "use": "sig",
                "x": b64(&point[1..33]), "y": b64(&point[33..65]),
            })
        }

        pub(crate) fn sign(&self, header: &Value, claims: &Value) -> String {
            let input = format!(
                "{}.{}",
                b64(header.to_string().as_bytes()),
                b64(claims.to_string().as_bytes())
            );
            let sig = self
                .pair
                .sign(&SystemRandom::new(), input.as_bytes())
                .expect("sign");
            format!("{input}.{}", b64(sig.as_ref()))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::test_signer::{b64, EcIssuer};
    use super::*;

    fn key_set(keys: &[Value]) -> KeySet {
        KeySet::parse(serde_json::json!({ "keys": keys }).to_string().as_bytes()).expect("jwks")
    }

    #[test]
    fn es256_token_verifies_against_its_key_and_not_another() {
        let issuer = EcIssuer::new("one");
        let other = EcIssuer::new("one");
        let token = issuer.sign(
            &serde_json::json!({"alg": "ES256", "kid": "one"}),
            &serde_json::json!({"sub": "alice"}),
        );
        let jwt = Jwt::parse(&token).expect("parse");
        assert_eq!(jwt.claim_str("sub"), Some("alice"));
        assert_eq!(key_set(&[issuer.jwk()]).verify(&jwt), Ok(()));
        assert_eq!(
            key_set(&[other.jwk()]).verify(&jwt),
            Err(JwtError::BadSignature)
        );
    }

    #[test]
    fn a_kid_the_set_lacks_is_an_unknown_key() {
        let issuer = EcIssuer::new("old");
        let token = issuer.sign(
            &serde_json::json!({"alg": "ES256", "kid": "new"}),
            &serde_json::json!({}),
        );
        let jwt = Jwt::parse(&token).expect("parse");
        let set = key_set(&[issuer.jwk()]);
        assert!(!set.has_key(Some("new")));
        assert_eq!(set.verify(&jwt), Err(JwtError::UnknownKey));
    }

    #[test]
    fn none_and_hmac_algorithms_are_refused_at_parse() {
        for alg in ["none", "HS256", "HS512"] {
            let token = format!(
                "{}.{}.",
                b64(serde_json::json!({ "alg": alg }).to_string().as_bytes()),
                b64(b"{}")
            );
            assert_eq!(
                Jwt::parse(&token).map(|_| ()),
                Err(JwtError::UnsupportedAlgorithm(alg.to_string()))
            );
        }
    }

    #[test]
    fn tampered_payload_fails_the_signature() {
        let issuer = EcIssuer::new("k");
        let token = issuer.sign(
            &serde_json::json!({"alg": "ES256", "kid": "k"}),
            &serde_json::json!({"sub": "alice"}),
        );
        let mut parts: Vec<String> = token.split('.').map(str::to_string).collect();
        parts[1] = b64(serde_json::json!({"sub": "mallory"}).to_string().as_bytes());
        let jwt = Jwt::parse(&parts.join(".")).expect("parse");
        assert_eq!(
            key_set(&[issuer.jwk()]).verify(&jwt),
            Err(JwtError::BadSignature)
        );
    }

    #[test]
    fn malformed_tokens_and_key_sets_are_refused() {
        assert_eq!(Jwt::parse("a.b").map(|_| ()), Err(JwtError::Malformed));
        assert_eq!(Jwt::parse("!!.??.x").map(|_| ()), Err(JwtError::Malformed));
        assert_eq!(KeySet::parse(b"[]"), Err(JwtError::MalformedKeySet));
        let set = key_set(&[serde_json::json!({"kty": "oct", "k": "c2VjcmV0"})]);
        assert!(set.is_empty());
    }
}
