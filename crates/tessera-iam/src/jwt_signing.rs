//! Signing keys for the JSON Web Tokens of outbound identity federation
//! (`GetWebIdentityToken`), and the compact JWS they sign.
//!
//! Each account that enables the feature gets one key per algorithm AWS
//! offers: RSA 2048 for `RS256` (RSASSA-PKCS1-v1_5 with SHA-256) and P-384
//! for `ES384` (ECDSA with SHA-384, the signature as the 96 bytes of `r`
//! and `s`, RFC 7518 §3.4). The private key is kept only sealed under the
//! KEK (its PKCS #8 DER, hex, with `jwt-signing-key:ACCOUNT:KID` as the
//! associated data, so a sealed key moved to another account or key id
//! does not open); the public key is kept in the clear as the JWK the
//! account's JWKS publishes.
//!
//! This module knows nothing of claims or of who asks: it makes keys,
//! publishes them and signs bytes.

use std::fmt;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use p384::pkcs8::{DecodePrivateKey as _, EncodePrivateKey as _};
use rsa::signature::{SignatureEncoding as _, Signer as _};
use rsa::traits::PublicKeyParts as _;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::crypto::{Kek, Secret};
use crate::ids::Random;
use crate::IamError;

/// The RSA modulus size: 2048 bits, what RS256 verifiers expect at least.
const RSA_BITS: usize = 2048;

/// A JWS signing algorithm `GetWebIdentityToken` offers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Algorithm {
    /// RSASSA-PKCS1-v1_5 with SHA-256.
    RS256,
    /// ECDSA on P-384 with SHA-384.
    ES384,
}

impl Algorithm {
    /// Every algorithm, in the order the documents list them.
    pub const ALL: [Algorithm; 2] = [Algorithm::RS256, Algorithm::ES384];

    /// The JWA name, as in the `alg` header and the request.
    pub fn name(self) -> &'static str {
        match self {
            Algorithm::RS256 => "RS256",
            Algorithm::ES384 => "ES384",
        }
    }

    /// The algorithm a request names, if it is one of them.
    pub fn from_name(name: &str) -> Option<Algorithm> {
        Algorithm::ALL.into_iter().find(|a| a.name() == name)
    }
}

/// One signing key as stored: its public JWK in the clear, its private key
/// sealed under the KEK.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SigningKeyRecord {
    /// The key id, the JWK's and the JWS header's `kid`.
    pub kid: String,
    /// The algorithm the key signs with.
    pub alg: Algorithm,
    /// When the key was made, seconds since the epoch.
    pub created: i64,
    /// The public key's JWK members (`kty`, `n`/`e` or `crv`/`x`/`y`).
    pub public_jwk: Value,
    /// The PKCS #8 DER private key, hex, sealed under the KEK.
    #[serde(with = "crate::records::base64_bytes")]
    pub sealed_private: Vec<u8>,
}

impl fmt::Debug for SigningKeyRecord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SigningKeyRecord")
            .field("kid", &self.kid)
            .field("alg", &self.alg)
            .field("created", &self.created)
            .finish_non_exhaustive()
    }
}

/// The project's random source as the `rand_core` generator the key
/// generators take. The production source is a CSPRNG (see
/// [`crate::ids::OsRandom`]).
struct KeyRng<'a>(&'a dyn Random);

impl rand::RngCore for KeyRng<'_> {
    fn next_u32(&mut self) -> u32 {
        let mut b = [0u8; 4];
        self.0.fill(&mut b);
        u32::from_le_bytes(b)
    }

    fn next_u64(&mut self) -> u64 {
        let mut b = [0u8; 8];
        self.0.fill(&mut b);
        u64::from_le_bytes(b)
    }

    fn fill_bytes(&mut self, dest: &mut [u8]) {
        self.0.fill(dest);
    }

    fn try_fill_bytes(&mut self, dest: &mut [u8]) -> Result<(), rand::Error> {
        self.0.fill(dest);
        Ok(())
    }
}

impl rand::CryptoRng for KeyRng<'_> {}

fn seal_context(account: &str, kid: &str) -> String {
    format!("jwt-signing-key:{account}:{kid}")
}

fn b64(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// Makes a new key for `alg` in `account`, sealed under `kek`. RSA key
/// generation searches for primes: call it outside any store transaction.
pub fn generate(
    account: &str,
    alg: Algorithm,
    now: i64,
    random: &dyn Random,
    kek: &Kek,
) -> Result<SigningKeyRecord, IamError> {
    let mut rng = KeyRng(random);
    let (private_der, public_jwk) = match alg {
        Algorithm::RS256 => {
            let key = rsa::RsaPrivateKey::new(&mut rng, RSA_BITS).map_err(|error| {
                tracing::error!(%error, "an RSA signing key could not be generated");
                IamError::service_failure()
            })?;
            let der = rsa::pkcs8::EncodePrivateKey::to_pkcs8_der(&key)
                .map_err(|_| IamError::service_failure())?;
            let jwk = json!({
                "kty": "RSA",
                "n": b64(&key.n().to_bytes_be()),
                "e": b64(&key.e().to_bytes_be()),
            });
            (der.as_bytes().to_vec(), jwk)
        }
        Algorithm::ES384 => {
            let key = p384::ecdsa::SigningKey::random(&mut rng);
            let der = key
                .to_pkcs8_der()
                .map_err(|_| IamError::service_failure())?;
            let point = key.verifying_key().to_encoded_point(false);
            let (Some(x), Some(y)) = (point.x(), point.y()) else {
                return Err(IamError::service_failure());
            };
            let jwk = json!({"kty": "EC", "crv": "P-384", "x": b64(x), "y": b64(y)});
            (der.as_bytes().to_vec(), jwk)
        }
    };
    let kid = key_id(alg, &public_jwk);
    let sealed_private = kek.seal(
        random,
        &seal_context(account, &kid),
        &Secret::new(hex::encode(private_der)),
    );
    Ok(SigningKeyRecord {
        kid,
        alg,
        created: now,
        public_jwk,
        sealed_private,
    })
}

/// The key id: the RFC 7638 thumbprint of the public key (SHA-256 of its
/// required members in lexicographic order), so it names the key itself.
fn key_id(alg: Algorithm, jwk: &Value) -> String {
    use sha2::{Digest, Sha256};
    let member = |name: &str| jwk.get(name).and_then(Value::as_str).unwrap_or("");
    let canonical = match alg {
        Algorithm::RS256 => format!(
            r#"{{"e":"{}","kty":"RSA","n":"{}"}}"#,
            member("e"),
            member("n")
        ),
        Algorithm::ES384 => format!(
            r#"{{"crv":"P-384","kty":"EC","x":"{}","y":"{}"}}"#,
            member("x"),
            member("y")
        ),
    };
    b64(&Sha256::digest(canonical.as_bytes()))
}

/// The key's entry in a JWKS.
pub fn jwk(key: &SigningKeyRecord) -> Value {
    let mut out = key.public_jwk.clone();
    if let Some(map) = out.as_object_mut() {
        map.insert("kid".into(), json!(key.kid));
        map.insert("use".into(), json!("sig"));
        map.insert("alg".into(), json!(key.alg.name()));
    }
    out
}

/// Signs `claims` with `key` (opened with `kek`) as a compact JWS:
/// `header.payload.signature`, each base64url without padding.
pub fn sign(
    account: &str,
    key: &SigningKeyRecord,
    kek: &Kek,
    claims: &[u8],
) -> Result<String, IamError> {
    let header = json!({"alg": key.alg.name(), "typ": "JWT", "kid": key.kid});
    let header = serde_json::to_vec(&header).map_err(|_| IamError::service_failure())?;
    let signing_input = format!("{}.{}", b64(&header), b64(claims));
    let opened = kek
        .open(&seal_context(account, &key.kid), &key.sealed_private)
        .map_err(|_| {
            tracing::error!(
                kid = %key.kid,
                "a token signing key cannot be opened with this key-encryption key"
            );
            IamError::service_failure()
        })?;
    let der = hex::decode(opened.expose()).map_err(|_| IamError::service_failure())?;
    let signature = match key.alg {
        Algorithm::RS256 => {
            let private = rsa::RsaPrivateKey::from_pkcs8_der(&der)
                .map_err(|_| IamError::service_failure())?;
            let signer = rsa::pkcs1v15::SigningKey::<sha2::Sha256>::new(private);
            signer.sign(signing_input.as_bytes()).to_vec()
        }
        Algorithm::ES384 => {
            let private = p384::ecdsa::SigningKey::from_pkcs8_der(&der)
                .map_err(|_| IamError::service_failure())?;
            let signature: p384::ecdsa::Signature = private.sign(signing_input.as_bytes());
            signature.to_bytes().to_vec()
        }
    };
    Ok(format!("{signing_input}.{}", b64(&signature)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::SeededRandom;
    use rsa::signature::Verifier as _;

    fn decode(part: &str) -> Vec<u8> {
        URL_SAFE_NO_PAD.decode(part).expect("base64url")
    }

    fn parts(token: &str) -> (String, Vec<u8>, Vec<u8>) {
        let mut it = token.split('.');
        let header = it.next().expect("header");
        let payload = it.next().expect("payload");
        let signature = it.next().expect("signature");
        assert!(it.next().is_none());
        (
            format!("{header}.{payload}"),
            decode(payload),
            decode(signature),
        )
    }

    #[test]
    fn an_es384_token_verifies_with_the_published_point() {
        let random = SeededRandom::new(3);
        let (kek, _) = Kek::generate(&random);
        let key = generate("123456789012", Algorithm::ES384, 1, &random, &kek).expect("key");
        let token = sign("123456789012", &key, &kek, br#"{"sub":"x"}"#).expect("sign");
        let (input, payload, signature) = parts(&token);
        assert_eq!(payload, br#"{"sub":"x"}"#);
        let jwk = jwk(&key);
        let mut sec1 = vec![4u8];
        sec1.extend(decode(jwk["x"].as_str().expect("x")));
        sec1.extend(decode(jwk["y"].as_str().expect("y")));
        let public = p384::ecdsa::VerifyingKey::from_sec1_bytes(&sec1).expect("point");
        let signature = p384::ecdsa::Signature::from_slice(&signature).expect("r||s");
        assert!(public.verify(input.as_bytes(), &signature).is_ok());
        assert!(public.verify(b"other", &signature).is_err());
        assert_eq!(jwk["kid"], json!(key.kid));
    }

    #[test]
    fn an_rs256_token_verifies_with_the_published_modulus() {
        let random = SeededRandom::new(4);
        let (kek, _) = Kek::generate(&random);
        let key = generate("123456789012", Algorithm::RS256, 1, &random, &kek).expect("key");
        let token = sign("123456789012", &key, &kek, b"{}").expect("sign");
        let (input, _, signature) = parts(&token);
        let jwk = jwk(&key);
        let n = rsa::BigUint::from_bytes_be(&decode(jwk["n"].as_str().expect("n")));
        let e = rsa::BigUint::from_bytes_be(&decode(jwk["e"].as_str().expect("e")));
        let public = rsa::RsaPublicKey::new(n, e).expect("public key");
        let verifier = rsa::pkcs1v15::VerifyingKey::<sha2::Sha256>::new(public);
        let signature = rsa::pkcs1v15::Signature::try_from(signature.as_slice()).expect("sig");
        assert!(verifier.verify(input.as_bytes(), &signature).is_ok());
        assert!(verifier.verify(b"other", &signature).is_err());
    }

    #[test]
    fn a_sealed_key_opens_only_for_its_account_and_kek() {
        let random = SeededRandom::new(5);
        let (kek, _) = Kek::generate(&random);
        let (other_kek, _) = Kek::generate(&random);
        let key = generate("123456789012", Algorithm::ES384, 1, &random, &kek).expect("key");
        assert!(sign("210987654321", &key, &kek, b"{}").is_err());
        assert!(sign("123456789012", &key, &other_kek, b"{}").is_err());
        let debug = format!("{key:?}");
        assert!(!debug.contains("sealed"), "{debug}");
    }
}
