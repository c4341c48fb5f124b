//! XML Encryption as SAML's `EncryptedAssertion` uses it: an
//! `EncryptedData` whose content key travels in an `EncryptedKey`
//! (inside the data's `KeyInfo`, or beside the data in the
//! `EncryptedAssertion`), wrapped for one of the SAML provider's private
//! keys.
//!
//! Accepted key transport: RSA-OAEP, both as XML Encryption 1.0's
//! `rsa-oaep-mgf1p` (MGF1 with SHA-1, the digest from `DigestMethod`) and
//! as 1.1's `rsa-oaep` (digest and MGF1 digest named, SHA-1 by default).
//! Accepted data encryption: AES-128/256 in GCM (1.1) and in CBC (1.0).
//! RSA PKCS #1 v1.5 key transport is refused (it is the padding oracle
//! XML Encryption 1.1 deprecates), as is anything else.
//!
//! Every failure to decrypt is the one [`DecryptError::Failed`]: which
//! key was tried, which step failed and any padding detail stay inside,
//! so an answer can never serve as an oracle. RSA decryption is blinded.

use base64::Engine;
use roxmltree::Node;
use rsa::pkcs1::DecodeRsaPrivateKey;
use rsa::pkcs8::DecodePrivateKey;
use rsa::{Oaep, RsaPrivateKey};
use sha2::digest::DynDigest;

use super::xmldsig::DSIG_NS;

/// The XML Encryption 1.0 namespace.
pub const XMLENC_NS: &str = "http://www.w3.org/2001/04/xmlenc#";
/// The XML Encryption 1.1 namespace.
pub const XMLENC11_NS: &str = "http://www.w3.org/2009/xmlenc11#";

/// The most `EncryptedKey`s one assertion may carry.
const MAX_ENCRYPTED_KEYS: usize = 4;

/// A SAML provider's private key, opened. `Debug` never shows it.
#[derive(Clone)]
pub struct DecryptionKey(RsaPrivateKey);

impl std::fmt::Debug for DecryptionKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("DecryptionKey(..)")
    }
}

impl DecryptionKey {
    /// The RSA key of a PEM document: PKCS #8 (`PRIVATE KEY`) or
    /// PKCS #1 (`RSA PRIVATE KEY`). `None` for anything else, including
    /// a passphrase-protected key.
    pub fn from_pem(pem: &str) -> Option<DecryptionKey> {
        let pem = pem.trim();
        RsaPrivateKey::from_pkcs8_pem(pem)
            .or_else(|_| RsaPrivateKey::from_pkcs1_pem(pem))
            .ok()
            .map(DecryptionKey)
    }
}

/// Why an encrypted assertion gave no plaintext.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DecryptError {
    /// An algorithm outside the accepted ones (its URI, which is public).
    Unsupported(String),
    /// No key opened it, or it is malformed or altered: one answer for
    /// all of these.
    Failed,
}

/// Digests by URI, for OAEP's digest and its MGF1.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Hash {
    Sha1,
    Sha256,
    Sha384,
    Sha512,
}

impl Hash {
    fn digest_method(uri: &str) -> Option<Hash> {
        match uri {
            "http://www.w3.org/2000/09/xmldsig#sha1" => Some(Hash::Sha1),
            "http://www.w3.org/2001/04/xmlenc#sha256" => Some(Hash::Sha256),
            "http://www.w3.org/2001/04/xmldsig-more#sha384" => Some(Hash::Sha384),
            "http://www.w3.org/2001/04/xmlenc#sha512" => Some(Hash::Sha512),
            _ => None,
        }
    }

    fn mgf(uri: &str) -> Option<Hash> {
        match uri.strip_prefix(XMLENC11_NS)? {
            "mgf1sha1" => Some(Hash::Sha1),
            "mgf1sha256" => Some(Hash::Sha256),
            "mgf1sha384" => Some(Hash::Sha384),
            "mgf1sha512" => Some(Hash::Sha512),
            _ => None,
        }
    }

    fn boxed(self) -> Box<dyn DynDigest + Send + Sync> {
        match self {
            Hash::Sha1 => Box::new(sha1::Sha1::default()),
            Hash::Sha256 => Box::new(sha2::Sha256::default()),
            Hash::Sha384 => Box::new(sha2::Sha384::default()),
            Hash::Sha512 => Box::new(sha2::Sha512::default()),
        }
    }
}

/// How one `EncryptedKey` wraps the content key.
struct KeyTransport {
    digest: Hash,
    mgf: Hash,
    label: Option<String>,
    wrapped: Vec<u8>,
}

impl KeyTransport {
    fn oaep(&self) -> Oaep {
        Oaep {
            digest: self.digest.boxed(),
            mgf_digest: self.mgf.boxed(),
            label: self.label.clone(),
        }
    }
}

/// The content encryption algorithms.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum DataCipher {
    Aes128Cbc,
    Aes256Cbc,
    Aes128Gcm,
    Aes256Gcm,
}

impl DataCipher {
    fn from_uri(uri: &str) -> Option<DataCipher> {
        match uri {
            "http://www.w3.org/2001/04/xmlenc#aes128-cbc" => Some(DataCipher::Aes128Cbc),
            "http://www.w3.org/2001/04/xmlenc#aes256-cbc" => Some(DataCipher::Aes256Cbc),
            "http://www.w3.org/2009/xmlenc11#aes128-gcm" => Some(DataCipher::Aes128Gcm),
            "http://www.w3.org/2009/xmlenc11#aes256-gcm" => Some(DataCipher::Aes256Gcm),
            _ => None,
        }
    }

    fn key_len(self) -> usize {
        match self {
            DataCipher::Aes128Cbc | DataCipher::Aes128Gcm => 16,
            DataCipher::Aes256Cbc | DataCipher::Aes256Gcm => 32,
        }
    }

    /// The plaintext of `data` (IV first) under `key`, or `None`.
    fn open(self, key: &[u8], data: &[u8]) -> Option<Vec<u8>> {
        if key.len() != self.key_len() {
            return None;
        }
        match self {
            DataCipher::Aes128Cbc => cbc_open::<aes::Aes128>(key, data),
            DataCipher::Aes256Cbc => cbc_open::<aes::Aes256>(key, data),
            DataCipher::Aes128Gcm => gcm_open(&ring::aead::AES_128_GCM, key, data),
            DataCipher::Aes256Gcm => gcm_open(&ring::aead::AES_256_GCM, key, data),
        }
    }
}

/// AES-CBC with XML Encryption's padding: a 16-byte IV, then whole
/// blocks; the last byte of the plaintext counts the padding bytes
/// (1 to 16), whose other values are arbitrary.
fn cbc_open<C>(key: &[u8], data: &[u8]) -> Option<Vec<u8>>
where
    C: aes::cipher::BlockDecryptMut + aes::cipher::BlockCipher + aes::cipher::KeyInit,
{
    use aes::cipher::block_padding::NoPadding;
    use aes::cipher::{BlockDecryptMut, KeyIvInit};
    const BLOCK: usize = 16;
    if data.len() < 2 * BLOCK || !data.len().is_multiple_of(BLOCK) {
        return None;
    }
    let (iv, body) = data.split_at(BLOCK);
    let mut buffer = body.to_vec();
    let plain_len = cbc::Decryptor::<C>::new_from_slices(key, iv)
        .ok()?
        .decrypt_padded_mut::<NoPadding>(&mut buffer)
        .ok()?
        .len();
    let padding = usize::from(*buffer.get(plain_len.checked_sub(1)?)?);
    if !(1..=BLOCK).contains(&padding) {
        return None;
    }
    buffer.truncate(plain_len - padding);
    Some(buffer)
}

/// AES-GCM as XML Encryption 1.1 lays it out: a 12-byte IV, the
/// ciphertext, a 16-byte tag; no additional data.
fn gcm_open(algorithm: &'static ring::aead::Algorithm, key: &[u8], data: &[u8]) -> Option<Vec<u8>> {
    use ring::aead::{Aad, LessSafeKey, Nonce, UnboundKey, NONCE_LEN};
    if data.len() < NONCE_LEN + algorithm.tag_len() {
        return None;
    }
    let (iv, sealed) = data.split_at(NONCE_LEN);
    let key = LessSafeKey::new(UnboundKey::new(algorithm, key).ok()?);
    let nonce = Nonce::try_assume_unique_for_key(iv).ok()?;
    let mut buffer = sealed.to_vec();
    let plain_len = key
        .open_in_place(nonce, Aad::empty(), &mut buffer)
        .ok()?
        .len();
    buffer.truncate(plain_len);
    Some(buffer)
}

fn in_ns(node: &Node<'_, '_>, ns: &str, name: &str) -> bool {
    node.is_element() && node.tag_name().name() == name && node.tag_name().namespace() == Some(ns)
}

fn child<'a, 'i>(node: Node<'a, 'i>, ns: &str, name: &str) -> Option<Node<'a, 'i>> {
    node.children().find(|n| in_ns(n, ns, name))
}

/// The bytes of an element's base64 text, whitespace ignored.
fn base64_text(node: Node<'_, '_>) -> Option<Vec<u8>> {
    let text: String = node
        .descendants()
        .filter(Node::is_text)
        .filter_map(|n| n.text())
        .flat_map(str::chars)
        .filter(|c| !c.is_whitespace())
        .collect();
    base64::engine::general_purpose::STANDARD.decode(text).ok()
}

/// The `CipherData/CipherValue` of an `EncryptedData` or `EncryptedKey`
/// (a `CipherReference` to elsewhere is not followed).
fn cipher_value(node: Node<'_, '_>) -> Option<Vec<u8>> {
    child(node, XMLENC_NS, "CipherData")
        .and_then(|data| child(data, XMLENC_NS, "CipherValue"))
        .and_then(base64_text)
}

fn algorithm<'a>(method: Option<Node<'a, '_>>) -> &'a str {
    method.and_then(|m| m.attribute("Algorithm")).unwrap_or("")
}

/// What an `EncryptedKey` says: its transport, an unsupported
/// algorithm, or a structure that cannot be read.
fn key_transport(encrypted_key: Node<'_, '_>) -> Result<KeyTransport, DecryptError> {
    let method = child(encrypted_key, XMLENC_NS, "EncryptionMethod");
    let uri = algorithm(method);
    let digest_uri = algorithm(method.and_then(|m| child(m, DSIG_NS, "DigestMethod")));
    let digest = if digest_uri.is_empty() {
        Hash::Sha1
    } else {
        Hash::digest_method(digest_uri)
            .ok_or_else(|| DecryptError::Unsupported(digest_uri.to_string()))?
    };
    let mgf = match uri {
        "http://www.w3.org/2001/04/xmlenc#rsa-oaep-mgf1p" => Hash::Sha1,
        "http://www.w3.org/2009/xmlenc11#rsa-oaep" => {
            let mgf_uri = algorithm(method.and_then(|m| child(m, XMLENC11_NS, "MGF")));
            if mgf_uri.is_empty() {
                Hash::Sha1
            } else {
                Hash::mgf(mgf_uri).ok_or_else(|| DecryptError::Unsupported(mgf_uri.to_string()))?
            }
        }
        other => return Err(DecryptError::Unsupported(other.to_string())),
    };
    let label = match method.and_then(|m| child(m, XMLENC_NS, "OAEPparams")) {
        None => None,
        // The OAEP crate takes its label as text; a label that is not
        // UTF-8 cannot have been produced for it.
        Some(params) => Some(
            base64_text(params)
                .and_then(|bytes| String::from_utf8(bytes).ok())
                .ok_or(DecryptError::Failed)?,
        ),
    };
    let wrapped = cipher_value(encrypted_key).ok_or(DecryptError::Failed)?;
    Ok(KeyTransport {
        digest,
        mgf,
        label,
        wrapped,
    })
}

/// The plaintext of `encrypted` (an `EncryptedAssertion`), opened with
/// whichever of `keys` its content key was wrapped for.
///
/// Every `EncryptedKey` is tried with every key: an IdP's `KeyInfo`
/// naming the certificate is not needed, and a key that does not open
/// one is no error while another remains.
pub fn decrypt(encrypted: Node<'_, '_>, keys: &[DecryptionKey]) -> Result<Vec<u8>, DecryptError> {
    let data_elements: Vec<Node<'_, '_>> = encrypted
        .children()
        .filter(|n| in_ns(n, XMLENC_NS, "EncryptedData"))
        .collect();
    let [data] = data_elements.as_slice() else {
        return Err(DecryptError::Failed);
    };
    let data_uri = algorithm(child(*data, XMLENC_NS, "EncryptionMethod"));
    let cipher = DataCipher::from_uri(data_uri)
        .ok_or_else(|| DecryptError::Unsupported(data_uri.to_string()))?;
    let ciphertext = cipher_value(*data).ok_or(DecryptError::Failed)?;

    let inside = child(*data, DSIG_NS, "KeyInfo")
        .into_iter()
        .flat_map(|info| info.children())
        .filter(|n| in_ns(n, XMLENC_NS, "EncryptedKey"));
    let beside = encrypted
        .children()
        .filter(|n| in_ns(n, XMLENC_NS, "EncryptedKey"));
    let encrypted_keys: Vec<Node<'_, '_>> = inside.chain(beside).collect();
    // Each is an RSA decryption per provider key, for a caller who need
    // not be signed yet: an IdP sends one per recipient, and a
    // response with many is refused before any is tried.
    if encrypted_keys.len() > MAX_ENCRYPTED_KEYS {
        return Err(DecryptError::Failed);
    }
    let mut transports = Vec::new();
    let mut unsupported = None;
    for encrypted_key in encrypted_keys {
        match key_transport(encrypted_key) {
            Ok(transport) => transports.push(transport),
            Err(DecryptError::Unsupported(uri)) => {
                unsupported.get_or_insert(uri);
            }
            Err(DecryptError::Failed) => {}
        }
    }
    if transports.is_empty() {
        return Err(unsupported.map_or(DecryptError::Failed, DecryptError::Unsupported));
    }
    for transport in &transports {
        for key in keys {
            let Ok(content_key) =
                key.0
                    .decrypt_blinded(&mut rand::rngs::OsRng, transport.oaep(), &transport.wrapped)
            else {
                continue;
            };
            if let Some(plain) = cipher.open(&content_key, &ciphertext) {
                return Ok(plain);
            }
        }
    }
    Err(DecryptError::Failed)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use aes::cipher::block_padding::NoPadding;
    use aes::cipher::{BlockEncryptMut, KeyIvInit};
    use rsa::pkcs8::{EncodePrivateKey, LineEnding};
    use rsa::RsaPublicKey;

    /// A 1024-bit key keeps the tests quick; nothing here depends on
    /// its size.
    pub(crate) fn test_key() -> (RsaPrivateKey, String) {
        let key = RsaPrivateKey::new(&mut rand::rngs::OsRng, 1024).expect("key");
        let pem = key.to_pkcs8_pem(LineEnding::LF).expect("pem").to_string();
        (key, pem)
    }

    /// `plain` encrypted as an IdP would: `data_uri` with a fresh key,
    /// wrapped with `transport` (built by the caller) for `public`.
    pub(crate) fn encrypt(
        plain: &[u8],
        data_uri: &str,
        transport_xml: &str,
        wrap: impl Fn(&[u8]) -> Vec<u8>,
    ) -> String {
        let cipher = DataCipher::from_uri(data_uri).expect("known cipher");
        let key: Vec<u8> = (0..cipher.key_len()).map(|i| i as u8 ^ 0x5a).collect();
        let data = match cipher {
            DataCipher::Aes128Cbc | DataCipher::Aes256Cbc => {
                let iv = [7u8; 16];
                let pad = 16 - plain.len() % 16;
                let mut buffer = plain.to_vec();
                buffer.extend(std::iter::repeat_n(pad as u8, pad));
                let len = buffer.len();
                let body = if cipher == DataCipher::Aes128Cbc {
                    cbc::Encryptor::<aes::Aes128>::new_from_slices(&key, &iv)
                        .expect("key")
                        .encrypt_padded_mut::<NoPadding>(&mut buffer, len)
                        .expect("whole blocks")
                        .to_vec()
                } else {
                    cbc::Encryptor::<aes::Aes256>::new_from_slices(&key, &iv)
                        .expect("key")
                        .encrypt_padded_mut::<NoPadding>(&mut buffer, len)
                        .expect("whole blocks")
                        .to_vec()
                };
                [iv.as_slice(), &body].concat()
            }
            DataCipher::Aes128Gcm | DataCipher::Aes256Gcm => {
                use ring::aead::{Aad, LessSafeKey, Nonce, UnboundKey};
                let algorithm = if cipher == DataCipher::Aes128Gcm {
                    &ring::aead::AES_128_GCM
                } else {
                    &ring::aead::AES_256_GCM
                };
                let iv = [9u8; 12];
                let sealing = LessSafeKey::new(UnboundKey::new(algorithm, &key).expect("key"));
                let mut buffer = plain.to_vec();
                sealing
                    .seal_in_place_append_tag(
                        Nonce::assume_unique_for_key(iv),
                        Aad::empty(),
                        &mut buffer,
                    )
                    .expect("seal");
                [iv.as_slice(), &buffer].concat()
            }
        };
        let b64 = |bytes: &[u8]| base64::engine::general_purpose::STANDARD.encode(bytes);
        format!(
            r#"<saml:EncryptedAssertion xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion"><xenc:EncryptedData xmlns:xenc="{XMLENC_NS}" Type="http://www.w3.org/2001/04/xmlenc#Element"><xenc:EncryptionMethod Algorithm="{data_uri}"/><ds:KeyInfo xmlns:ds="{DSIG_NS}"><xenc:EncryptedKey>{transport_xml}<xenc:CipherData><xenc:CipherValue>{}</xenc:CipherValue></xenc:CipherData></xenc:EncryptedKey></ds:KeyInfo><xenc:CipherData><xenc:CipherValue>{}</xenc:CipherValue></xenc:CipherData></xenc:EncryptedData></saml:EncryptedAssertion>"#,
            b64(&wrap(&key)),
            b64(&data)
        )
    }

    pub(crate) fn oaep_wrap(
        public: &RsaPublicKey,
        oaep: fn() -> Oaep,
    ) -> impl Fn(&[u8]) -> Vec<u8> + '_ {
        move |key| {
            public
                .encrypt(&mut rand::rngs::OsRng, oaep(), key)
                .expect("wrap")
        }
    }

    const MGF1P: &str = r#"<xenc:EncryptionMethod Algorithm="http://www.w3.org/2001/04/xmlenc#rsa-oaep-mgf1p"><ds:DigestMethod xmlns:ds="http://www.w3.org/2000/09/xmldsig#" Algorithm="http://www.w3.org/2000/09/xmldsig#sha1"/></xenc:EncryptionMethod>"#;
    const OAEP11_SHA256: &str = r#"<xenc:EncryptionMethod Algorithm="http://www.w3.org/2009/xmlenc11#rsa-oaep"><ds:DigestMethod xmlns:ds="http://www.w3.org/2000/09/xmldsig#" Algorithm="http://www.w3.org/2001/04/xmlenc#sha256"/><xenc11:MGF xmlns:xenc11="http://www.w3.org/2009/xmlenc11#" Algorithm="http://www.w3.org/2009/xmlenc11#mgf1sha256"/></xenc:EncryptionMethod>"#;

    fn open(xml: &str, keys: &[DecryptionKey]) -> Result<Vec<u8>, DecryptError> {
        let doc = roxmltree::Document::parse(xml).expect("xml");
        decrypt(doc.root_element(), keys)
    }

    /// `xml` with the byte `at(len)` of the encrypted data XORed with
    /// `mask`.
    fn flip_data_bit(xml: &str, at: impl Fn(usize) -> usize, mask: u8) -> String {
        let doc = roxmltree::Document::parse(xml).expect("xml");
        let value = doc
            .descendants()
            .rfind(|n| in_ns(n, XMLENC_NS, "CipherValue"))
            .and_then(|n| n.text())
            .expect("cipher value")
            .to_string();
        let mut bytes = base64::engine::general_purpose::STANDARD
            .decode(&value)
            .expect("b64");
        let index = at(bytes.len());
        bytes[index] ^= mask;
        xml.replace(
            &value,
            &base64::engine::general_purpose::STANDARD.encode(&bytes),
        )
    }

    const PLAIN: &[u8] = b"<saml:Assertion ID=\"_a\">hello, encrypted world</saml:Assertion>";

    #[test]
    fn every_accepted_cipher_and_transport_round_trips() {
        let (key, pem) = test_key();
        let public = key.to_public_key();
        let keys = [DecryptionKey::from_pem(&pem).expect("pem")];
        for data_uri in [
            "http://www.w3.org/2001/04/xmlenc#aes128-cbc",
            "http://www.w3.org/2001/04/xmlenc#aes256-cbc",
            "http://www.w3.org/2009/xmlenc11#aes128-gcm",
            "http://www.w3.org/2009/xmlenc11#aes256-gcm",
        ] {
            let sha1 = encrypt(
                PLAIN,
                data_uri,
                MGF1P,
                oaep_wrap(&public, Oaep::new::<sha1::Sha1>),
            );
            assert_eq!(open(&sha1, &keys).as_deref(), Ok(PLAIN), "{data_uri} mgf1p");
            let sha256 = encrypt(
                PLAIN,
                data_uri,
                OAEP11_SHA256,
                oaep_wrap(&public, Oaep::new::<sha2::Sha256>),
            );
            assert_eq!(
                open(&sha256, &keys).as_deref(),
                Ok(PLAIN),
                "{data_uri} oaep 1.1"
            );
        }
    }

    #[test]
    fn the_second_key_opens_what_the_first_cannot() {
        let (first, first_pem) = test_key();
        let (second, second_pem) = test_key();
        drop(first);
        let xml = encrypt(
            PLAIN,
            "http://www.w3.org/2009/xmlenc11#aes256-gcm",
            MGF1P,
            oaep_wrap(&second.to_public_key(), Oaep::new::<sha1::Sha1>),
        );
        let first_key = DecryptionKey::from_pem(&first_pem).expect("pem");
        let second_key = DecryptionKey::from_pem(&second_pem).expect("pem");
        assert_eq!(
            open(&xml, std::slice::from_ref(&first_key)),
            Err(DecryptError::Failed)
        );
        assert_eq!(open(&xml, &[first_key, second_key]).as_deref(), Ok(PLAIN));
    }

    #[test]
    fn altered_ciphertext_and_mismatched_digests_fail_alike() {
        let (key, pem) = test_key();
        let keys = [DecryptionKey::from_pem(&pem).expect("pem")];
        let public = key.to_public_key();
        for data_uri in [
            "http://www.w3.org/2001/04/xmlenc#aes128-cbc",
            "http://www.w3.org/2009/xmlenc11#aes256-gcm",
        ] {
            let xml = encrypt(
                PLAIN,
                data_uri,
                MGF1P,
                oaep_wrap(&public, Oaep::new::<sha1::Sha1>),
            );
            // The last byte: for CBC it garbles the padding byte.
            let tampered = flip_data_bit(&xml, |len| len - 1, 0x01);
            // CBC is unauthenticated: a flipped bit may still leave valid
            // padding; then the plaintext differs (and its signature
            // check refuses it later). Never the original.
            match open(&tampered, &keys) {
                Err(e) => assert_eq!(e, DecryptError::Failed),
                Ok(plain) => assert_ne!(plain, PLAIN, "{data_uri}"),
            }
        }
        // Wrapped with SHA-256 but labelled SHA-1: the same uniform failure.
        let xml = encrypt(
            PLAIN,
            "http://www.w3.org/2009/xmlenc11#aes128-gcm",
            MGF1P,
            oaep_wrap(&public, Oaep::new::<sha2::Sha256>),
        );
        assert_eq!(open(&xml, &keys), Err(DecryptError::Failed));
    }

    #[test]
    fn gcm_tampering_is_always_detected() {
        let (key, pem) = test_key();
        let keys = [DecryptionKey::from_pem(&pem).expect("pem")];
        let xml = encrypt(
            PLAIN,
            "http://www.w3.org/2009/xmlenc11#aes128-gcm",
            MGF1P,
            oaep_wrap(&key.to_public_key(), Oaep::new::<sha1::Sha1>),
        );
        let tampered = flip_data_bit(&xml, |_| 14, 0x80);
        assert_eq!(open(&tampered, &keys), Err(DecryptError::Failed));
    }

    #[test]
    fn rsa_v15_transport_and_unknown_ciphers_are_unsupported() {
        let (key, pem) = test_key();
        let keys = [DecryptionKey::from_pem(&pem).expect("pem")];
        let public = key.to_public_key();
        let v15 = encrypt(
            PLAIN,
            "http://www.w3.org/2009/xmlenc11#aes256-gcm",
            r#"<xenc:EncryptionMethod Algorithm="http://www.w3.org/2001/04/xmlenc#rsa-1_5"/>"#,
            |k| {
                public
                    .encrypt(&mut rand::rngs::OsRng, rsa::Pkcs1v15Encrypt, k)
                    .expect("wrap")
            },
        );
        assert_eq!(
            open(&v15, &keys),
            Err(DecryptError::Unsupported(
                "http://www.w3.org/2001/04/xmlenc#rsa-1_5".to_string()
            ))
        );
        let gcm = encrypt(
            PLAIN,
            "http://www.w3.org/2009/xmlenc11#aes256-gcm",
            MGF1P,
            oaep_wrap(&public, Oaep::new::<sha1::Sha1>),
        );
        let triple_des = gcm.replace(
            "http://www.w3.org/2009/xmlenc11#aes256-gcm",
            "http://www.w3.org/2001/04/xmlenc#tripledes-cbc",
        );
        assert_eq!(
            open(&triple_des, &keys),
            Err(DecryptError::Unsupported(
                "http://www.w3.org/2001/04/xmlenc#tripledes-cbc".to_string()
            ))
        );
    }

    #[test]
    fn more_encrypted_keys_than_recipients_need_are_refused_untried() {
        let (key, pem) = test_key();
        let keys = [DecryptionKey::from_pem(&pem).expect("pem")];
        let xml = encrypt(
            PLAIN,
            "http://www.w3.org/2009/xmlenc11#aes256-gcm",
            MGF1P,
            oaep_wrap(&key.to_public_key(), Oaep::new::<sha1::Sha1>),
        );
        let (head, tail) = xml.split_once("</xenc:EncryptedData>").expect("data");
        let extra = format!(
            r#"<xenc:EncryptedKey xmlns:xenc="{XMLENC_NS}">{MGF1P}<xenc:CipherData><xenc:CipherValue>AAAA</xenc:CipherValue></xenc:CipherData></xenc:EncryptedKey>"#
        );
        let four = format!("{head}</xenc:EncryptedData>{}{tail}", extra.repeat(3));
        assert_eq!(open(&four, &keys).as_deref(), Ok(PLAIN));
        let five = format!("{head}</xenc:EncryptedData>{}{tail}", extra.repeat(4));
        assert_eq!(open(&five, &keys), Err(DecryptError::Failed));
    }

    #[test]
    fn keys_load_from_pkcs8_and_pkcs1_pem_and_never_show() {
        use rsa::pkcs1::EncodeRsaPrivateKey;
        let (key, pem) = test_key();
        let pkcs1 = key.to_pkcs1_pem(LineEnding::LF).expect("pem").to_string();
        assert!(DecryptionKey::from_pem(&pem).is_some());
        let loaded = DecryptionKey::from_pem(&pkcs1).expect("pkcs1");
        assert_eq!(format!("{loaded:?}"), "DecryptionKey(..)");
        assert!(DecryptionKey::from_pem(
            "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----"
        )
        .is_none());
    }
}
