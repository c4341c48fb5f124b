//! X.509 certificates as IAM takes them: PEM-encoded, parsed as DER
//! certificates (RFC 5280), with the validity period, the subject public
//! key, a digest that identifies the certificate (for `Duplicate…`
//! refusals), and, for server certificates, whether a PEM private key
//! (PKCS #1, SEC 1 or PKCS #8) belongs to the certificate's public key.

use sha2::{Digest, Sha256};
use x509_cert::der::{DecodePem, Encode};
use x509_cert::Certificate;

use crate::der::{self, Reader};

/// What IAM keeps of a certificate.
#[derive(Debug, Clone)]
pub struct ParsedCertificate {
    /// The validity period's end, seconds since the epoch.
    pub not_after: i64,
    /// The validity period's start, seconds since the epoch.
    pub not_before: i64,
    /// The SHA-256 digest of the DER certificate, in hex.
    pub digest: String,
    /// The subject public key's algorithm (an OID in dotted form).
    key_algorithm: String,
    /// The subject public key's bits.
    key_bits: Vec<u8>,
}

impl ParsedCertificate {
    fn from_certificate(certificate: &Certificate) -> Option<ParsedCertificate> {
        let tbs = &certificate.tbs_certificate;
        let der = certificate.to_der().ok()?;
        let spki = &tbs.subject_public_key_info;
        Some(ParsedCertificate {
            not_after: seconds(tbs.validity.not_after.to_unix_duration()),
            not_before: seconds(tbs.validity.not_before.to_unix_duration()),
            digest: hex::encode(Sha256::digest(&der)),
            key_algorithm: spki.algorithm.oid.to_string(),
            key_bits: spki.subject_public_key.raw_bytes().to_vec(),
        })
    }
}

fn seconds(duration: std::time::Duration) -> i64 {
    i64::try_from(duration.as_secs()).unwrap_or(i64::MAX)
}

/// One PEM certificate (`-----BEGIN CERTIFICATE-----`), or nothing when
/// the text is not exactly that.
pub fn parse_pem(body: &str) -> Option<ParsedCertificate> {
    let certificate = Certificate::from_pem(body.trim().as_bytes()).ok()?;
    ParsedCertificate::from_certificate(&certificate)
}

/// A chain of one or more PEM certificates.
pub fn parse_pem_chain(body: &str) -> Option<Vec<ParsedCertificate>> {
    let chain = Certificate::load_pem_chain(body.trim().as_bytes()).ok()?;
    if chain.is_empty() {
        return None;
    }
    chain
        .iter()
        .map(ParsedCertificate::from_certificate)
        .collect()
}

/// `rsaEncryption` and `id-ecPublicKey`.
const RSA_ENCRYPTION: &str = "1.2.840.113549.1.1.1";
const EC_PUBLIC_KEY: &str = "1.2.840.10045.2.1";
const RSA_ENCRYPTION_DER: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01];
const EC_PUBLIC_KEY_DER: &[u8] = &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01];

/// What a private key reveals of its public half.
#[derive(Debug, PartialEq, Eq)]
enum PublicHalf {
    /// An RSA modulus.
    RsaModulus(Vec<u8>),
    /// An EC public point, as the certificate's key bits hold it.
    EcPoint(Vec<u8>),
}

/// Whether `private_key` (PEM) is the private half of `certificate`'s
/// key; `None` when the key cannot be parsed.
pub fn private_key_matches(private_key: &str, certificate: &ParsedCertificate) -> Option<bool> {
    let (label, bytes) = pem_block(private_key)?;
    let half = match label.as_str() {
        "RSA PRIVATE KEY" => rsa_private(&bytes)?,
        "EC PRIVATE KEY" => ec_private(&bytes)?,
        "PRIVATE KEY" => pkcs8_private(&bytes)?,
        _ => return None,
    };
    Some(match (half, certificate.key_algorithm.as_str()) {
        (PublicHalf::RsaModulus(modulus), RSA_ENCRYPTION) => {
            crate::ssh_keys::parse_pkcs1(&certificate.key_bits)
                .is_some_and(|key| key.modulus() == modulus.as_slice())
        }
        (PublicHalf::EcPoint(point), EC_PUBLIC_KEY) => point == certificate.key_bits,
        _ => false,
    })
}

/// The label and decoded bytes of the first PEM block.
fn pem_block(text: &str) -> Option<(String, Vec<u8>)> {
    use base64::{engine::general_purpose::STANDARD, Engine};
    let mut lines = text.lines().map(str::trim).filter(|l| !l.is_empty());
    let label = lines
        .next()?
        .strip_prefix("-----BEGIN ")?
        .strip_suffix("-----")?
        .to_string();
    let end = format!("-----END {label}-----");
    let mut body = String::new();
    for line in lines {
        if line == end {
            return Some((label, STANDARD.decode(body).ok()?));
        }
        if line.contains(':') {
            // An encrypted key's `Proc-Type:` headers: IAM refuses those.
            return None;
        }
        body.push_str(line);
    }
    None
}

/// PKCS #1 `RSAPrivateKey ::= SEQUENCE { version, modulus, … }`.
fn rsa_private(bytes: &[u8]) -> Option<PublicHalf> {
    let mut key = Reader::new(Reader::new(bytes).expect(der::SEQUENCE)?);
    key.expect(der::INTEGER)?;
    let modulus = key.expect(der::INTEGER)?;
    Some(PublicHalf::RsaModulus(
        der::trim_leading_zeros(modulus).to_vec(),
    ))
}

/// SEC 1 `ECPrivateKey ::= SEQUENCE { version, privateKey, [0] parameters
/// OPTIONAL, [1] publicKey OPTIONAL }`: without the public key there is
/// nothing to compare.
fn ec_private(bytes: &[u8]) -> Option<PublicHalf> {
    let mut key = Reader::new(Reader::new(bytes).expect(der::SEQUENCE)?);
    key.expect(der::INTEGER)?;
    key.expect(der::OCTET_STRING)?;
    while let Some((tag, contents)) = key.any() {
        if tag == 0xa1 {
            let bits = Reader::new(contents).expect(der::BIT_STRING)?;
            let (&0, point) = bits.split_first()? else {
                return None;
            };
            return Some(PublicHalf::EcPoint(point.to_vec()));
        }
    }
    None
}

/// PKCS #8 `PrivateKeyInfo ::= SEQUENCE { version, algorithm, privateKey
/// OCTET STRING, … }` around an RSA or EC key.
fn pkcs8_private(bytes: &[u8]) -> Option<PublicHalf> {
    let mut info = Reader::new(Reader::new(bytes).expect(der::SEQUENCE)?);
    info.expect(der::INTEGER)?;
    let oid = Reader::new(info.expect(der::SEQUENCE)?).expect(der::OID)?;
    let key = info.expect(der::OCTET_STRING)?;
    match oid {
        RSA_ENCRYPTION_DER => rsa_private(key),
        EC_PUBLIC_KEY_DER => ec_private(key),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SIGNING_A: &str = include_str!("../tests/scenarios/fixtures/signing-a.pem");
    const SIGNING_B: &str = include_str!("../tests/scenarios/fixtures/signing-b.pem");

    #[test]
    fn a_pem_certificate_is_parsed_with_its_validity_and_digest() {
        let a = parse_pem(SIGNING_A).unwrap();
        let b = parse_pem(SIGNING_B).unwrap();
        assert!(a.not_after > a.not_before);
        assert_ne!(a.digest, b.digest);
        assert_eq!(
            a.digest,
            parse_pem(&format!("\n{SIGNING_A}\n")).unwrap().digest
        );
    }

    #[test]
    fn text_that_is_not_one_pem_certificate_is_refused() {
        assert!(parse_pem("invalid-certificate-body").is_none());
        assert!(
            parse_pem("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----").is_none()
        );
        assert_eq!(
            parse_pem_chain(&format!("{SIGNING_A}\n{SIGNING_B}"))
                .unwrap()
                .len(),
            2
        );
    }
}
