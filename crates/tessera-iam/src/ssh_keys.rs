//! SSH public keys as IAM accepts them for CodeCommit: RSA keys of 2,048 to
//! 16,384 bits, uploaded in OpenSSH encoding (`ssh-rsa AAAA… comment`) or
//! PEM (`-----BEGIN PUBLIC KEY-----`, an X.509 SubjectPublicKeyInfo, or
//! `-----BEGIN RSA PUBLIC KEY-----`, PKCS #1); their fingerprint, the MD5
//! digest of the key's OpenSSH wire form written as colon-separated hex
//! (what `ssh-keygen -l -E md5` prints); and the same key in either
//! encoding, as `GetSSHPublicKey` answers with `Encoding=SSH` or `PEM`.

use base64::{engine::general_purpose::STANDARD, Engine};
use md5::{Digest, Md5};

use crate::der::{self, Reader};

/// The smallest and largest key sizes IAM accepts, in bits.
const MIN_BITS: usize = 2048;
const MAX_BITS: usize = 16384;

/// `rsaEncryption`, 1.2.840.113549.1.1.1.
const RSA_ENCRYPTION: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01];

/// Why a key body was refused, in IAM's two error codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyError {
    /// Neither OpenSSH nor PEM: `UnrecognizedPublicKeyEncoding`.
    UnrecognizedEncoding,
    /// The encoding is known but the key is not a usable RSA key:
    /// `InvalidPublicKey`.
    Invalid,
}

/// An RSA public key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RsaPublicKey {
    /// The modulus, big-endian, without leading zeros.
    modulus: Vec<u8>,
    /// The public exponent, big-endian, without leading zeros.
    exponent: Vec<u8>,
}

impl RsaPublicKey {
    /// Parses an uploaded key body.
    pub fn parse(body: &str) -> Result<RsaPublicKey, KeyError> {
        let body = body.trim();
        let key = if body.starts_with("-----BEGIN ") {
            parse_pem(body)?
        } else if let Some(rest) = body.strip_prefix("ssh-") {
            if !rest.starts_with("rsa ") {
                // A well-formed key of another type (ed25519, dss, ecdsa).
                return Err(KeyError::Invalid);
            }
            parse_openssh(body)?
        } else if body.starts_with("ecdsa-") {
            return Err(KeyError::Invalid);
        } else {
            return Err(KeyError::UnrecognizedEncoding);
        };
        let bits = key.bits();
        if !(MIN_BITS..=MAX_BITS).contains(&bits) || key.exponent.is_empty() {
            return Err(KeyError::Invalid);
        }
        Ok(key)
    }

    /// The modulus, big-endian, without leading zeros.
    pub fn modulus(&self) -> &[u8] {
        &self.modulus
    }

    /// The size of the modulus in bits.
    pub fn bits(&self) -> usize {
        match self.modulus.first() {
            Some(&top) => self.modulus.len() * 8 - top.leading_zeros() as usize,
            None => 0,
        }
    }

    /// The OpenSSH wire form: `string "ssh-rsa"`, `mpint e`, `mpint n`.
    fn wire(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.modulus.len() + 32);
        put_string(&mut out, b"ssh-rsa");
        put_mpint(&mut out, &self.exponent);
        put_mpint(&mut out, &self.modulus);
        out
    }

    /// IAM's fingerprint: MD5 of the wire form, as `aa:bb:…`.
    pub fn fingerprint(&self) -> String {
        let digest = Md5::digest(self.wire());
        digest
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect::<Vec<_>>()
            .join(":")
    }

    /// `ssh-rsa BASE64`, without a comment.
    pub fn to_openssh(&self) -> String {
        format!("ssh-rsa {}", STANDARD.encode(self.wire()))
    }

    /// `-----BEGIN PUBLIC KEY-----`: the SubjectPublicKeyInfo, base64 in
    /// lines of 64 characters.
    pub fn to_pem(&self) -> String {
        let rsa_key = der::element(
            der::SEQUENCE,
            &[
                der::unsigned_integer(&self.modulus),
                der::unsigned_integer(&self.exponent),
            ]
            .concat(),
        );
        let algorithm = der::element(
            der::SEQUENCE,
            &[
                der::element(der::OID, RSA_ENCRYPTION),
                der::element(der::NULL, &[]),
            ]
            .concat(),
        );
        let bits = der::element(der::BIT_STRING, &[&[0u8][..], &rsa_key].concat());
        let spki = der::element(der::SEQUENCE, &[algorithm, bits].concat());
        let text = STANDARD.encode(spki);
        let mut out = String::from("-----BEGIN PUBLIC KEY-----\n");
        for line in text.as_bytes().chunks(64) {
            out.push_str(&String::from_utf8_lossy(line));
            out.push('\n');
        }
        out.push_str("-----END PUBLIC KEY-----");
        out
    }
}

fn put_string(out: &mut Vec<u8>, bytes: &[u8]) {
    out.extend_from_slice(&(bytes.len() as u32).to_be_bytes());
    out.extend_from_slice(bytes);
}

fn put_mpint(out: &mut Vec<u8>, magnitude: &[u8]) {
    let magnitude = der::trim_leading_zeros(magnitude);
    let sign = magnitude.first().is_some_and(|&b| b & 0x80 != 0);
    let len = magnitude.len() + usize::from(sign);
    out.extend_from_slice(&(len as u32).to_be_bytes());
    if sign {
        out.push(0);
    }
    out.extend_from_slice(magnitude);
}

/// `ssh-rsa BASE64 [comment]`.
fn parse_openssh(body: &str) -> Result<RsaPublicKey, KeyError> {
    let mut words = body.split_whitespace();
    let (Some("ssh-rsa"), Some(blob)) = (words.next(), words.next()) else {
        return Err(KeyError::Invalid);
    };
    let blob = STANDARD.decode(blob).map_err(|_| KeyError::Invalid)?;
    let mut rest = &blob[..];
    let mut take = || -> Option<&[u8]> {
        let len = u32::from_be_bytes(rest.get(..4)?.try_into().ok()?) as usize;
        let end = len.checked_add(4)?;
        let value = rest.get(4..end)?;
        rest = rest.get(end..)?;
        Some(value)
    };
    let (Some(b"ssh-rsa"), Some(exponent), Some(modulus)) = (take(), take(), take()) else {
        return Err(KeyError::Invalid);
    };
    let (exponent, modulus) = (exponent.to_vec(), modulus.to_vec());
    if !rest.is_empty() {
        return Err(KeyError::Invalid);
    }
    Ok(RsaPublicKey {
        modulus: der::trim_leading_zeros(&modulus).to_vec(),
        exponent: der::trim_leading_zeros(&exponent).to_vec(),
    })
}

/// PEM: a SubjectPublicKeyInfo or a PKCS #1 `RSAPublicKey`.
fn parse_pem(body: &str) -> Result<RsaPublicKey, KeyError> {
    let mut lines = body.lines().map(str::trim).filter(|l| !l.is_empty());
    let label = lines
        .next()
        .and_then(|l| l.strip_prefix("-----BEGIN "))
        .and_then(|l| l.strip_suffix("-----"))
        .ok_or(KeyError::UnrecognizedEncoding)?;
    let end = format!("-----END {label}-----");
    let mut text = String::new();
    let mut ended = false;
    for line in lines {
        if line == end {
            ended = true;
            break;
        }
        text.push_str(line);
    }
    if !ended {
        return Err(KeyError::Invalid);
    }
    let bytes = STANDARD.decode(text).map_err(|_| KeyError::Invalid)?;
    match label {
        "PUBLIC KEY" => parse_spki(&bytes).ok_or(KeyError::Invalid),
        "RSA PUBLIC KEY" => parse_pkcs1(&bytes).ok_or(KeyError::Invalid),
        _ => Err(KeyError::UnrecognizedEncoding),
    }
}

/// SubjectPublicKeyInfo with the `rsaEncryption` algorithm.
pub(crate) fn parse_spki(bytes: &[u8]) -> Option<RsaPublicKey> {
    let mut outer = Reader::new(bytes);
    let mut spki = Reader::new(outer.expect(der::SEQUENCE)?);
    let mut algorithm = Reader::new(spki.expect(der::SEQUENCE)?);
    if algorithm.expect(der::OID)? != RSA_ENCRYPTION {
        return None;
    }
    let bits = spki.expect(der::BIT_STRING)?;
    let (&0, key) = bits.split_first()? else {
        return None;
    };
    (outer.is_empty() && spki.is_empty()).then_some(())?;
    parse_pkcs1(key)
}

/// PKCS #1 `RSAPublicKey ::= SEQUENCE { modulus INTEGER, publicExponent
/// INTEGER }`.
pub(crate) fn parse_pkcs1(bytes: &[u8]) -> Option<RsaPublicKey> {
    let mut outer = Reader::new(bytes);
    let mut key = Reader::new(outer.expect(der::SEQUENCE)?);
    let modulus = key.expect(der::INTEGER)?;
    let exponent = key.expect(der::INTEGER)?;
    (outer.is_empty() && key.is_empty()).then_some(())?;
    // A negative integer is not a key.
    if modulus.first().is_some_and(|&b| b & 0x80 != 0) {
        return None;
    }
    Some(RsaPublicKey {
        modulus: der::trim_leading_zeros(modulus).to_vec(),
        exponent: der::trim_leading_zeros(exponent).to_vec(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str = include_str!("../tests/scenarios/fixtures/ssh-rsa-2048.pub");
    const KEY_B: &str = include_str!("../tests/scenarios/fixtures/ssh-rsa-2048-b.pub");
    const KEY_B_PEM: &str = include_str!("../tests/scenarios/fixtures/ssh-rsa-2048-b.pem");

    #[test]
    fn the_fingerprint_is_what_ssh_keygen_prints_for_md5() {
        // `ssh-keygen -l -E md5 -f ssh-rsa-2048.pub`
        let key = RsaPublicKey::parse(KEY).unwrap();
        assert_eq!(
            key.fingerprint(),
            "23:f1:06:57:12:df:09:30:a7:3a:63:91:ce:0a:c5:fb"
        );
        assert_eq!(key.bits(), 2048);
    }

    #[test]
    fn a_pem_upload_is_the_same_key_as_its_openssh_form() {
        // `ssh-keygen -e -m PKCS8` wrote the PEM file from the .pub file.
        let from_pem = RsaPublicKey::parse(KEY_B_PEM).unwrap();
        let from_ssh = RsaPublicKey::parse(KEY_B).unwrap();
        assert_eq!(from_pem, from_ssh);
        assert_eq!(from_ssh.to_pem().trim(), KEY_B_PEM.trim());
        let words: Vec<&str> = KEY_B.split_whitespace().collect();
        assert_eq!(from_pem.to_openssh(), format!("{} {}", words[0], words[1]));
    }

    #[test]
    fn short_keys_other_key_types_and_garbage_are_refused_with_their_codes() {
        let short = include_str!("../tests/scenarios/fixtures/ssh-rsa-1024.pub");
        let ed25519 = include_str!("../tests/scenarios/fixtures/ssh-ed25519.pub");
        assert_eq!(RsaPublicKey::parse(short), Err(KeyError::Invalid));
        assert_eq!(RsaPublicKey::parse(ed25519), Err(KeyError::Invalid));
        assert_eq!(RsaPublicKey::parse("ssh-rsa AAAA"), Err(KeyError::Invalid));
        assert_eq!(
            RsaPublicKey::parse("not a key"),
            Err(KeyError::UnrecognizedEncoding)
        );
        assert_eq!(
            RsaPublicKey::parse("-----BEGIN PUBLIC KEY-----\nAAAA\n"),
            Err(KeyError::Invalid)
        );
    }
}
