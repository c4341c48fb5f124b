//! XML Signature verification, restricted to the profile SAML 2.0 uses
//! (SAML core §5.4): an enveloped `ds:Signature` that is a child of the
//! element it signs, with one `Reference` whose URI is `#` and that
//! element's `ID`, the enveloped-signature and exclusive-canonicalization
//! transforms, exclusive canonicalization of `SignedInfo`, and an RSA
//! PKCS #1 v1.5 signature (SHA-1, SHA-256 or SHA-512). Anything else is
//! refused rather than interpreted.
//!
//! The keys come from the caller (the provider's metadata): a `KeyInfo`
//! inside the signature is never trusted.

use base64::Engine;
use roxmltree::Node;
use rsa::pkcs8::DecodePublicKey;
use rsa::{Pkcs1v15Sign, RsaPublicKey};
use sha1::Sha1;
use sha2::{Digest, Sha256, Sha512};

use super::c14n;

/// The XML Signature namespace.
pub const DSIG_NS: &str = "http://www.w3.org/2000/09/xmldsig#";
const EXC_C14N: &str = "http://www.w3.org/2001/10/xml-exc-c14n#";
const ENVELOPED: &str = "http://www.w3.org/2000/09/xmldsig#enveloped-signature";

/// Why a signature does not hold. The variants name the step, never key
/// material or document content.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignatureError {
    /// The signature's structure is not the SAML profile's.
    Malformed,
    /// An algorithm outside the accepted ones.
    UnsupportedAlgorithm,
    /// The reference does not name the signature's parent element.
    WrongReference,
    /// The digest of the signed element does not match.
    DigestMismatch,
    /// No trusted key verifies the signature value.
    BadSignature,
}

/// A trusted RSA key, from a signing certificate.
#[derive(Clone)]
pub struct TrustedKey(RsaPublicKey);

impl std::fmt::Debug for TrustedKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TrustedKey")
    }
}

impl TrustedKey {
    /// The RSA key of a DER X.509 certificate, if it holds one.
    pub fn from_certificate_der(der: &[u8]) -> Option<TrustedKey> {
        use x509_cert::der::{Decode, Encode};
        let certificate = x509_cert::Certificate::from_der(der).ok()?;
        let spki = certificate
            .tbs_certificate
            .subject_public_key_info
            .to_der()
            .ok()?;
        RsaPublicKey::from_public_key_der(&spki)
            .ok()
            .map(TrustedKey)
    }
}

/// Digest algorithms by URI.
#[derive(Clone, Copy)]
enum Hash {
    Sha1,
    Sha256,
    Sha512,
}

impl Hash {
    fn digest_method(uri: &str) -> Option<Hash> {
        match uri {
            "http://www.w3.org/2000/09/xmldsig#sha1" => Some(Hash::Sha1),
            "http://www.w3.org/2001/04/xmlenc#sha256" => Some(Hash::Sha256),
            "http://www.w3.org/2001/04/xmlenc#sha512" => Some(Hash::Sha512),
            _ => None,
        }
    }

    fn signature_method(uri: &str) -> Option<Hash> {
        match uri {
            "http://www.w3.org/2000/09/xmldsig#rsa-sha1" => Some(Hash::Sha1),
            "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256" => Some(Hash::Sha256),
            "http://www.w3.org/2001/04/xmldsig-more#rsa-sha512" => Some(Hash::Sha512),
            _ => None,
        }
    }

    fn digest(self, data: &[u8]) -> Vec<u8> {
        match self {
            Hash::Sha1 => Sha1::digest(data).to_vec(),
            Hash::Sha256 => Sha256::digest(data).to_vec(),
            Hash::Sha512 => Sha512::digest(data).to_vec(),
        }
    }

    fn padding(self) -> Pkcs1v15Sign {
        match self {
            Hash::Sha1 => Pkcs1v15Sign::new::<Sha1>(),
            Hash::Sha256 => Pkcs1v15Sign::new::<Sha256>(),
            Hash::Sha512 => Pkcs1v15Sign::new::<Sha512>(),
        }
    }
}

fn is_dsig(node: &Node<'_, '_>, name: &str) -> bool {
    node.is_element()
        && node.tag_name().name() == name
        && node.tag_name().namespace() == Some(DSIG_NS)
}

/// The only element child of `parent` named `name` in the signature
/// namespace; two are as malformed as none.
fn only_child<'a, 'i>(parent: Node<'a, 'i>, name: &str) -> Result<Node<'a, 'i>, SignatureError> {
    let mut found = parent.children().filter(|c| is_dsig(c, name));
    match (found.next(), found.next()) {
        (Some(node), None) => Ok(node),
        _ => Err(SignatureError::Malformed),
    }
}

fn algorithm<'a>(node: Node<'a, '_>) -> Result<&'a str, SignatureError> {
    node.attribute("Algorithm").ok_or(SignatureError::Malformed)
}

/// The `PrefixList` of an exclusive-canonicalization element's
/// `InclusiveNamespaces` child.
fn inclusive_prefixes<'a>(node: Node<'a, '_>) -> Vec<&'a str> {
    node.children()
        .find(|c| c.is_element() && c.tag_name().name() == "InclusiveNamespaces")
        .and_then(|n| n.attribute("PrefixList"))
        .map(|list| list.split_whitespace().collect())
        .unwrap_or_default()
}

fn base64_text(node: Node<'_, '_>) -> Result<Vec<u8>, SignatureError> {
    let text: String = node
        .text()
        .unwrap_or("")
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect();
    base64::engine::general_purpose::STANDARD
        .decode(text)
        .map_err(|_| SignatureError::Malformed)
}

/// Verifies `signature`, a `ds:Signature` element, as the enveloped
/// signature of its parent element (whose `ID` attribute is `id`),
/// against `keys`.
pub fn verify_enveloped(
    signature: Node<'_, '_>,
    id: &str,
    keys: &[TrustedKey],
) -> Result<(), SignatureError> {
    let signed = signature
        .parent_element()
        .ok_or(SignatureError::Malformed)?;
    let signed_info = only_child(signature, "SignedInfo")?;
    let canonicalization = only_child(signed_info, "CanonicalizationMethod")?;
    if algorithm(canonicalization)? != EXC_C14N {
        return Err(SignatureError::UnsupportedAlgorithm);
    }
    let signature_hash =
        Hash::signature_method(algorithm(only_child(signed_info, "SignatureMethod")?)?)
            .ok_or(SignatureError::UnsupportedAlgorithm)?;

    let reference = only_child(signed_info, "Reference")?;
    if reference.attribute("URI") != Some(&format!("#{id}")) || id.is_empty() {
        return Err(SignatureError::WrongReference);
    }
    let mut enveloped = false;
    let mut inclusive = Vec::new();
    if let Ok(transforms) = only_child(reference, "Transforms") {
        for transform in transforms.children().filter(Node::is_element) {
            if !is_dsig(&transform, "Transform") {
                return Err(SignatureError::Malformed);
            }
            match algorithm(transform)? {
                ENVELOPED => enveloped = true,
                EXC_C14N => inclusive = inclusive_prefixes(transform),
                _ => return Err(SignatureError::UnsupportedAlgorithm),
            }
        }
    }
    if !enveloped {
        // A signature inside the element it signs that does not remove
        // itself could never verify.
        return Err(SignatureError::Malformed);
    }
    let digest_hash = Hash::digest_method(algorithm(only_child(reference, "DigestMethod")?)?)
        .ok_or(SignatureError::UnsupportedAlgorithm)?;
    let expected_digest = base64_text(only_child(reference, "DigestValue")?)?;
    let canonical = c14n::canonicalize(signed, Some(signature.id()), &inclusive);
    if digest_hash.digest(canonical.as_bytes()) != expected_digest {
        return Err(SignatureError::DigestMismatch);
    }

    let signature_value = base64_text(only_child(signature, "SignatureValue")?)?;
    let signed_info_text =
        c14n::canonicalize(signed_info, None, &inclusive_prefixes(canonicalization));
    let hashed = signature_hash.digest(signed_info_text.as_bytes());
    if keys.iter().any(|key| {
        key.0
            .verify(signature_hash.padding(), &hashed, &signature_value)
            .is_ok()
    }) {
        Ok(())
    } else {
        Err(SignatureError::BadSignature)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // A response whose assertion an identity provider signed (made by
    // the Python tests' signer: lxml's exclusive canonicalization and
    // the `cryptography` package's RSA-SHA256), with its certificate and
    // another provider's.
    const SIGNED: &str = include_str!("testdata/signed-assertion.xml");
    const CERT: &str = include_str!("testdata/idp-cert.b64");
    const OTHER_CERT: &str = include_str!("testdata/other-cert.b64");

    fn key(b64: &str) -> TrustedKey {
        let der = base64::engine::general_purpose::STANDARD
            .decode(b64.trim())
            .unwrap();
        TrustedKey::from_certificate_der(&der).unwrap()
    }

    fn verify(xml: &str, keys: &[TrustedKey]) -> Result<(), SignatureError> {
        let doc = roxmltree::Document::parse(xml).unwrap();
        let signature = doc.descendants().find(|n| is_dsig(n, "Signature")).unwrap();
        let id = signature.parent_element().unwrap().attribute("ID").unwrap();
        verify_enveloped(signature, id, keys)
    }

    #[test]
    fn a_signature_made_by_another_implementation_verifies() {
        assert_eq!(verify(SIGNED, &[key(CERT)]), Ok(()));
        assert_eq!(verify(SIGNED, &[key(OTHER_CERT), key(CERT)]), Ok(()));
    }

    #[test]
    fn a_changed_signed_element_fails_its_digest() {
        let tampered = SIGNED.replace("alice-1234", "mallory-99");
        assert_ne!(tampered, SIGNED);
        assert_eq!(
            verify(&tampered, &[key(CERT)]),
            Err(SignatureError::DigestMismatch)
        );
    }

    #[test]
    fn another_key_does_not_verify() {
        assert_eq!(
            verify(SIGNED, &[key(OTHER_CERT)]),
            Err(SignatureError::BadSignature)
        );
        assert_eq!(verify(SIGNED, &[]), Err(SignatureError::BadSignature));
    }

    #[test]
    fn a_reference_to_another_element_is_refused() {
        let doc = roxmltree::Document::parse(SIGNED).unwrap();
        let signature = doc.descendants().find(|n| is_dsig(n, "Signature")).unwrap();
        let response_id = doc.root_element().attribute("ID").unwrap();
        assert_eq!(
            verify_enveloped(signature, response_id, &[key(CERT)]),
            Err(SignatureError::WrongReference)
        );
    }

    #[test]
    fn other_algorithms_are_refused() {
        let weakened = SIGNED.replace(
            "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256",
            "http://www.w3.org/2000/09/xmldsig#dsa-sha1",
        );
        assert_eq!(
            verify(&weakened, &[key(CERT)]),
            Err(SignatureError::UnsupportedAlgorithm)
        );
    }
}
