//! Sealing of long-term secrets under the key-encryption key (KEK).
//!
//! SigV4 needs the plaintext secret access key to check a signature, so the
//! secret cannot be hashed: it is sealed with ChaCha20-Poly1305 under a
//! 256-bit KEK that never enters the store. The access key id is the
//! associated data, so a sealed secret moved to another key id fails to open.
//!
//! The KEK comes from the environment (`TESSERA_KEK`, 64 hex digits) or from
//! a file created at first start with mode 0600.

use std::fmt;

use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{ChaCha20Poly1305, Key, Nonce};

use crate::ids::Random;

const NONCE_LEN: usize = 12;
const SEAL_VERSION: u8 = 1;

/// A plaintext secret held in memory. `Debug` never shows it.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps a plaintext secret.
    pub fn new(value: String) -> Self {
        Secret(value)
    }

    /// The plaintext, for signature checks and for the one response that
    /// hands a new secret to its owner.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(..)")
    }
}

/// Why a KEK could not be loaded, or a secret not opened.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum CryptoError {
    /// The KEK text is not 64 hexadecimal digits.
    #[error("the key-encryption key must be 64 hexadecimal digits (32 bytes)")]
    MalformedKek,
    /// The sealed value was altered, belongs to another key id, or was
    /// sealed under another KEK.
    #[error("a sealed secret could not be opened: wrong key-encryption key or corrupted data")]
    CannotOpen,
}

/// The key-encryption key. `Debug` never shows it.
#[derive(Clone)]
pub struct Kek {
    cipher: ChaCha20Poly1305,
}

impl fmt::Debug for Kek {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Kek(..)")
    }
}

impl Kek {
    /// A KEK from 32 raw bytes.
    pub fn from_bytes(bytes: &[u8; 32]) -> Self {
        Kek {
            cipher: ChaCha20Poly1305::new(Key::from_slice(bytes)),
        }
    }

    /// A KEK from its text form: 64 hex digits, surrounding whitespace ignored.
    pub fn from_hex(text: &str) -> Result<Self, CryptoError> {
        let text = text.trim();
        if text.len() != 64 {
            return Err(CryptoError::MalformedKek);
        }
        let mut bytes = [0u8; 32];
        for (i, out) in bytes.iter_mut().enumerate() {
            let pair = text
                .get(i * 2..i * 2 + 2)
                .ok_or(CryptoError::MalformedKek)?;
            *out = u8::from_str_radix(pair, 16).map_err(|_| CryptoError::MalformedKek)?;
        }
        Ok(Self::from_bytes(&bytes))
    }

    /// A new random KEK and its text form, for writing to the KEK file.
    pub fn generate(random: &dyn Random) -> (Self, String) {
        let mut bytes = [0u8; 32];
        random.fill(&mut bytes);
        let text: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
        (Self::from_bytes(&bytes), text)
    }

    /// Seals `secret`, bound to `context` (the access key id).
    pub fn seal(&self, random: &dyn Random, context: &str, secret: &Secret) -> Vec<u8> {
        let mut nonce = [0u8; NONCE_LEN];
        random.fill(&mut nonce);
        let sealed = self
            .cipher
            .encrypt(
                Nonce::from_slice(&nonce),
                Payload {
                    msg: secret.expose().as_bytes(),
                    aad: context.as_bytes(),
                },
            )
            // Encryption fails only for messages longer than 2^38 bytes.
            .unwrap_or_default();
        let mut out = Vec::with_capacity(1 + NONCE_LEN + sealed.len());
        out.push(SEAL_VERSION);
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&sealed);
        out
    }

    /// Opens a value sealed by [`Kek::seal`] for the same `context`.
    pub fn open(&self, context: &str, sealed: &[u8]) -> Result<Secret, CryptoError> {
        let (version, rest) = sealed.split_first().ok_or(CryptoError::CannotOpen)?;
        if *version != SEAL_VERSION || rest.len() < NONCE_LEN {
            return Err(CryptoError::CannotOpen);
        }
        let (nonce, body) = rest.split_at(NONCE_LEN);
        let plain = self
            .cipher
            .decrypt(
                Nonce::from_slice(nonce),
                Payload {
                    msg: body,
                    aad: context.as_bytes(),
                },
            )
            .map_err(|_| CryptoError::CannotOpen)?;
        String::from_utf8(plain)
            .map(Secret)
            .map_err(|_| CryptoError::CannotOpen)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::SeededRandom;

    #[test]
    fn sealed_secret_opens_with_same_kek_and_key_id() {
        let r = SeededRandom::new(7);
        let (kek, _) = Kek::generate(&r);
        let secret = Secret::new("wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY".into());
        let sealed = kek.seal(&r, "AKIAEXAMPLE", &secret);
        assert!(!String::from_utf8_lossy(&sealed).contains("wJalr"));
        assert_eq!(kek.open("AKIAEXAMPLE", &sealed), Ok(secret));
    }

    #[test]
    fn sealed_secret_does_not_open_for_another_key_id_or_kek() {
        let r = SeededRandom::new(8);
        let (kek, _) = Kek::generate(&r);
        let (other, _) = Kek::generate(&r);
        let sealed = kek.seal(&r, "AKIAONE", &Secret::new("s".into()));
        assert_eq!(kek.open("AKIATWO", &sealed), Err(CryptoError::CannotOpen));
        assert_eq!(other.open("AKIAONE", &sealed), Err(CryptoError::CannotOpen));
        assert_eq!(kek.open("AKIAONE", &[]), Err(CryptoError::CannotOpen));
    }

    #[test]
    fn kek_text_round_trips_and_malformed_text_is_refused() {
        let r = SeededRandom::new(9);
        let (kek, text) = Kek::generate(&r);
        let again = Kek::from_hex(&format!("{text}\n")).expect("valid hex");
        let sealed = kek.seal(&r, "k", &Secret::new("v".into()));
        assert!(again.open("k", &sealed).is_ok());
        assert_eq!(Kek::from_hex("zz").err(), Some(CryptoError::MalformedKek));
    }

    #[test]
    fn debug_output_hides_secrets_and_keys() {
        let r = SeededRandom::new(10);
        let (kek, text) = Kek::generate(&r);
        assert!(!format!("{kek:?}").contains(&text));
        assert_eq!(format!("{:?}", Secret::new("hunter2".into())), "Secret(..)");
    }
}
