//! Reading a SAML 2.0 `Response` as `AssumeRoleWithSAML` does: base64,
//! XML without a DTD, exactly one `Assertion` (a child of the
//! `Response`), signed either as the whole `Response` or as the
//! `Assertion` by a signing key of the provider's metadata, and then
//! the claims AWS reads from it, checked (issuer, recipient, audience,
//! validity window, `Role` and `RoleSessionName` attributes).
//!
//! What makes signature wrapping fail: the claims are read only from the
//! one `Assertion` there is, and only after a signature whose reference
//! names the `ID` of its own parent has been verified, that parent being
//! that `Assertion` or the `Response` that holds it; a document with two
//! elements of the same `ID`, or a second assertion anywhere, is refused.
//!
//! An `EncryptedAssertion` in the assertion's place is decrypted
//! ([`super::xmlenc`]) with the provider's private keys, after the
//! `Response`'s own signature (which covers it encrypted) has been
//! verified; its plaintext is then read as a document of its own, in the
//! namespace context of the `EncryptedAssertion`, and held to every rule
//! above. When the `Response` is unsigned, every refusal from the
//! decryption up to the assertion's own signature is the same one, so
//! that altered ciphertexts learn nothing of their plaintext. A provider
//! whose `AssertionEncryptionMode` is `Required`
//! refuses a plain assertion.
//!
//! Limit: the plaintext inherits the namespace declarations in scope at
//! the `EncryptedAssertion`, not those of the element the IdP serialized
//! it from (XML Encryption does not record them); IdPs that serialize the
//! assertion with its own declarations (Okta, ADFS, Keycloak, Shibboleth)
//! or under the `Response`'s are read either way.

use base64::Engine;
use roxmltree::{Document, Node, ParsingOptions};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

use super::xmldsig::{self, TrustedKey, DSIG_NS};
use super::xmlenc;
use crate::IamError;

const PROTOCOL_NS: &str = "urn:oasis:names:tc:SAML:2.0:protocol";
const ASSERTION_NS: &str = "urn:oasis:names:tc:SAML:2.0:assertion";
const METADATA_NS: &str = "urn:oasis:names:tc:SAML:2.0:metadata";
const SUCCESS: &str = "urn:oasis:names:tc:SAML:2.0:status:Success";
/// The prefix of the attributes AWS reads.
pub const AWS_ATTRIBUTES: &str = "https://aws.amazon.com/SAML/Attributes/";
/// How far the issuer's clock may be from ours.
const CLOCK_SKEW_SECS: i64 = 300;
/// The most a `SAMLAssertion` may decode to (the model allows 100,000
/// characters of base64).
const MAX_DOCUMENT_BYTES: usize = 100_000;

/// An identity provider as the metadata describes it.
#[derive(Debug, Clone)]
pub struct IdentityProvider {
    /// The metadata's `entityID`.
    pub entity_id: String,
    /// The keys of its signing certificates.
    pub keys: Vec<TrustedKey>,
}

/// The `entityID` and the signing keys of a provider's metadata
/// (`KeyDescriptor`s of the `IDPSSODescriptor` whose `use` is `signing`
/// or absent).
pub fn identity_provider(metadata: &str) -> Option<IdentityProvider> {
    let xml = Document::parse(metadata).ok()?;
    let entity = xml
        .descendants()
        .find(|n| in_ns(n, METADATA_NS, "EntityDescriptor"))?;
    let entity_id = entity.attribute("entityID")?.to_string();
    let keys = entity
        .children()
        .filter(|n| in_ns(n, METADATA_NS, "IDPSSODescriptor"))
        .flat_map(|idp| idp.children())
        .filter(|n| in_ns(n, METADATA_NS, "KeyDescriptor"))
        .filter(|n| n.attribute("use").is_none_or(|u| u == "signing"))
        .flat_map(|n| n.descendants())
        .filter(|n| in_ns(n, DSIG_NS, "X509Certificate"))
        .filter_map(|n| {
            let text: String = n
                .text()
                .unwrap_or("")
                .chars()
                .filter(|c| !c.is_whitespace())
                .collect();
            base64::engine::general_purpose::STANDARD.decode(text).ok()
        })
        .filter_map(|der| TrustedKey::from_certificate_der(&der))
        .collect();
    Some(IdentityProvider { entity_id, keys })
}

/// One attribute of the assertion: its `Name` and its values.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attribute {
    /// The attribute's `Name`.
    pub name: String,
    /// Its `AttributeValue`s, as text.
    pub values: Vec<String>,
}

/// What a verified assertion says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Claims {
    /// The assertion's `Issuer`.
    pub issuer: String,
    /// The `NameID` of the `Subject`.
    pub subject: String,
    /// The `NameID`'s `Format` (AWS's short form for SAML 2.0 formats).
    pub subject_type: String,
    /// The `Recipient` of the `SubjectConfirmationData` (`saml:aud`).
    pub recipient: String,
    /// The `SessionNotOnOrAfter` of the `AuthnStatement`, if any.
    pub session_not_on_or_after: Option<i64>,
    /// The attributes, in document order.
    pub attributes: Vec<Attribute>,
}

impl Claims {
    /// The values of the attribute named `name`.
    pub fn values(&self, name: &str) -> Vec<&str> {
        self.attributes
            .iter()
            .filter(|a| a.name == name)
            .flat_map(|a| a.values.iter().map(String::as_str))
            .collect()
    }
}

fn in_ns(node: &Node<'_, '_>, ns: &str, name: &str) -> bool {
    node.is_element() && node.tag_name().name() == name && node.tag_name().namespace() == Some(ns)
}

fn invalid(message: &str) -> IamError {
    IamError::new("InvalidIdentityToken", message)
}

fn timestamp(text: &str) -> Result<i64, IamError> {
    OffsetDateTime::parse(text.trim(), &Rfc3339)
        .map(OffsetDateTime::unix_timestamp)
        .map_err(|_| invalid("Invalid SAML response received: a timestamp is not valid."))
}

/// The short form AWS reports for a `NameID` format: the SAML 2.0 prefix
/// removed, any other format as it is.
fn subject_type(format: Option<&str>) -> String {
    let format = format.unwrap_or("urn:oasis:names:tc:SAML:1.0:nameid-format:unspecified");
    format
        .strip_prefix("urn:oasis:names:tc:SAML:2.0:nameid-format:")
        .unwrap_or(format)
        .to_string()
}

/// Whether `url` is an AWS SAML endpoint: `https://signin.aws.amazon.com/saml`,
/// its regional forms, `/static/saml`, or `/saml/acs/ID` with this
/// provider's `SAMLProviderUUID`.
pub fn is_aws_endpoint(url: &str, provider_uuid: &str) -> bool {
    let Some(rest) = url.strip_prefix("https://") else {
        return false;
    };
    let (host, path) = rest.split_once('/').unwrap_or((rest, ""));
    let host_ok = [
        "signin.aws.amazon.com",
        "signin.amazonaws.cn",
        "signin.amazonaws-us-gov.com",
    ]
    .iter()
    .any(|base| {
        host == *base
            || host.strip_suffix(base).is_some_and(|region| {
                region.strip_suffix('.').is_some_and(|r| {
                    !r.is_empty()
                        && r.chars()
                            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
                })
            })
    });
    let path_ok = path == "saml"
        || path == "static/saml"
        || path
            .strip_prefix("saml/acs/")
            .is_some_and(|id| id.eq_ignore_ascii_case(provider_uuid));
    host_ok && path_ok
}

/// Whether `audience` names AWS as the service provider: its entity id
/// (`urn:amazon:webservices`, with or without a region) or a SAML
/// endpoint.
fn is_aws_audience(audience: &str, provider_uuid: &str) -> bool {
    audience == "urn:amazon:webservices"
        || audience
            .strip_prefix("urn:amazon:webservices:")
            .is_some_and(|r| !r.is_empty())
        || is_aws_endpoint(audience, provider_uuid)
}

/// How a provider takes encrypted assertions.
#[derive(Debug, Clone, Copy)]
pub struct Decryption<'k> {
    /// The provider's private keys, opened.
    pub keys: &'k [xmlenc::DecryptionKey],
    /// `AssertionEncryptionMode` `Required`: a plain assertion is refused.
    pub required: bool,
}

/// Decodes, verifies and checks `assertion` (the request's
/// `SAMLAssertion`) for `provider` at `now`.
pub fn read(
    assertion: &str,
    provider: &IdentityProvider,
    provider_uuid: &str,
    decryption: Decryption<'_>,
    now: i64,
) -> Result<Claims, IamError> {
    let compact: String = assertion.chars().filter(|c| !c.is_whitespace()).collect();
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(compact)
        .map_err(|_| invalid("Invalid base64 SAMLResponse."))?;
    if bytes.len() > MAX_DOCUMENT_BYTES {
        return Err(invalid(
            "Invalid SAML response received: the response is too large.",
        ));
    }
    let text = String::from_utf8(bytes)
        .map_err(|_| invalid("Invalid SAML response received: the response is not UTF-8 XML."))?;
    // roxmltree refuses a DTD unless allowed, so no entity is ever
    // expanded.
    let options = ParsingOptions {
        allow_dtd: false,
        ..ParsingOptions::default()
    };
    let xml = Document::parse_with_options(&text, options).map_err(|_| {
        invalid("Invalid SAML response received: the response is not well-formed XML.")
    })?;
    let response = xml.root_element();
    if !in_ns(&response, PROTOCOL_NS, "Response") {
        return Err(invalid(
            "Invalid SAML response received: the document is not a SAML 2.0 Response.",
        ));
    }
    check_unique_ids(&[&xml])?;
    let status = response
        .children()
        .find(|n| in_ns(n, PROTOCOL_NS, "Status"))
        .and_then(|s| s.children().find(|n| in_ns(n, PROTOCOL_NS, "StatusCode")))
        .and_then(|c| c.attribute("Value"));
    if status != Some(SUCCESS) {
        return Err(invalid(
            "Invalid SAML response received: the response's status is not Success.",
        ));
    }
    let encrypted: Vec<Node<'_, '_>> = xml
        .descendants()
        .filter(|n| in_ns(n, ASSERTION_NS, "EncryptedAssertion"))
        .collect();
    let plain: Vec<Node<'_, '_>> = xml
        .descendants()
        .filter(|n| in_ns(n, ASSERTION_NS, "Assertion"))
        .collect();
    match (encrypted.as_slice(), plain.as_slice()) {
        ([], _) => {
            let assertion = sole_assertion(response, &plain)?;
            if decryption.required {
                return Err(invalid(
                    "Invalid SAML response received: the SAML provider requires encrypted assertions.",
                ));
            }
            let response_signed = verify_own_signature(response, &provider.keys)?;
            let assertion_signed = verify_own_signature(assertion, &provider.keys)?;
            require_a_signature(response_signed || assertion_signed)?;
            check_claims(response, assertion, provider, provider_uuid, now)
        }
        ([one], []) if one.parent_element() == Some(response) => {
            // The response's signature covers the assertion as received,
            // encrypted: it holds before anything is decrypted.
            let response_signed = verify_own_signature(response, &provider.keys)?;
            // Without it the ciphertext is unauthenticated (CBC), and what
            // becomes of an altered one (bad padding, text that is not
            // XML, a broken signature) must not be told apart, or the
            // answers decrypt it a byte at a time: until the assertion's
            // own signature holds, every failure is the one answer.
            let conceal = |error: IamError| {
                if response_signed {
                    error
                } else {
                    tracing::debug!(step = %error.message, "decrypted SAML assertion refused");
                    undecryptable()
                }
            };
            let plaintext = decrypt(*one, decryption.keys)?;
            let text = decrypted_in_context(*one, plaintext).map_err(conceal)?;
            let inner = Document::parse_with_options(&text, options)
                .map_err(|_| {
                    invalid("Invalid SAML response received: the decrypted assertion is not well-formed XML.")
                })
                .map_err(conceal)?;
            let assertion = decrypted_assertion(&xml, &inner).map_err(conceal)?;
            let assertion_signed =
                verify_own_signature(assertion, &provider.keys).map_err(conceal)?;
            require_a_signature(response_signed || assertion_signed).map_err(conceal)?;
            check_claims(response, assertion, provider, provider_uuid, now)
        }
        ([_], []) => Err(invalid(
            "Invalid SAML response received: the assertion is not a child of the response.",
        )),
        _ => Err(invalid(
            "Invalid SAML response received: the response has more than one assertion.",
        )),
    }
}

/// The one assertion of `assertions`, which must be a child of `parent`
/// (the `Response`, or the context a decrypted assertion is read in).
fn sole_assertion<'a, 'i>(
    parent: Node<'a, 'i>,
    assertions: &[Node<'a, 'i>],
) -> Result<Node<'a, 'i>, IamError> {
    match assertions {
        [one] if one.parent_element() == Some(parent) => Ok(*one),
        [_] => Err(invalid(
            "Invalid SAML response received: the assertion is not a child of the response.",
        )),
        [] => Err(invalid(
            "Invalid SAML response received: the response has no assertion.",
        )),
        _ => Err(invalid(
            "Invalid SAML response received: the response has more than one assertion.",
        )),
    }
}

/// The one assertion of the decrypted document `inner` (of the response
/// `xml`), held to the wrapping defences: the assertion alone, no nested
/// encrypted one, `ID`s unique across both documents.
fn decrypted_assertion<'a, 'i>(
    xml: &Document<'_>,
    inner: &'a Document<'i>,
) -> Result<Node<'a, 'i>, IamError> {
    let context = inner.root_element();
    if inner
        .descendants()
        .any(|n| in_ns(&n, ASSERTION_NS, "EncryptedAssertion"))
    {
        return Err(invalid(
            "Invalid SAML response received: the response has more than one assertion.",
        ));
    }
    let decrypted: Vec<Node<'a, 'i>> = inner
        .descendants()
        .filter(|n| in_ns(n, ASSERTION_NS, "Assertion"))
        .collect();
    let assertion = sole_assertion(context, &decrypted)?;
    if context.children().filter(Node::is_element).count() != 1 {
        return Err(invalid(
            "Invalid SAML response received: the encrypted assertion holds more than an assertion.",
        ));
    }
    check_unique_ids(&[xml, inner])?;
    Ok(assertion)
}

/// The one answer to an encrypted assertion that cannot be opened.
fn undecryptable() -> IamError {
    invalid("Invalid SAML response received: the encrypted assertion could not be decrypted.")
}

/// The wrapper element a decrypted assertion is parsed inside.
const CONTEXT_ELEMENT: &str = "EncryptedAssertionContext";

/// The plaintext of `encrypted`, opened with `keys`. What it answers
/// says nothing of the plaintext: the algorithms are the sender's
/// choice, and every failure to decrypt is the one answer.
fn decrypt(encrypted: Node<'_, '_>, keys: &[xmlenc::DecryptionKey]) -> Result<Vec<u8>, IamError> {
    if keys.is_empty() {
        return Err(invalid(
            "Invalid SAML response received: the SAML provider has no private key to decrypt the assertion.",
        ));
    }
    xmlenc::decrypt(encrypted, keys).map_err(|e| match e {
        xmlenc::DecryptError::Unsupported(uri) => invalid(&format!(
            "Invalid SAML response received: the encryption algorithm {uri} is not supported."
        )),
        xmlenc::DecryptError::Failed => undecryptable(),
    })
}

/// The `plaintext` of `encrypted` as a document of its own: the assertion
/// inside an element that declares every namespace in scope at the
/// `EncryptedAssertion`, so an assertion that uses a prefix its
/// `Response` declared (as one serialized without its own declarations
/// does) reads exactly as it was signed, and one that declares its own
/// is unaffected (its declarations take precedence).
fn decrypted_in_context(encrypted: Node<'_, '_>, plaintext: Vec<u8>) -> Result<String, IamError> {
    let not_xml = || {
        invalid("Invalid SAML response received: the decrypted assertion is not well-formed XML.")
    };
    let text = String::from_utf8(plaintext).map_err(|_| not_xml())?;
    // An XML declaration may lead the plaintext; inside the wrapper it
    // would not be well-formed.
    let body = match text.trim_start().strip_prefix("<?xml") {
        Some(rest) => rest
            .split_once("?>")
            .map(|(_, body)| body)
            .ok_or_else(not_xml)?,
        None => text.as_str(),
    };
    let mut out = format!("<{CONTEXT_ELEMENT}");
    for namespace in encrypted.namespaces() {
        let uri = escape_attribute(namespace.uri());
        match namespace.name() {
            Some("xml") => {}
            Some(prefix) => out.push_str(&format!(" xmlns:{prefix}=\"{uri}\"")),
            None => out.push_str(&format!(" xmlns=\"{uri}\"")),
        }
    }
    out.push('>');
    out.push_str(body);
    out.push_str(&format!("</{CONTEXT_ELEMENT}>"));
    Ok(out)
}

fn escape_attribute(value: &str) -> String {
    value
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('"', "&quot;")
}

/// The claims of the verified `assertion` of `response`, checked.
fn check_claims(
    response: Node<'_, '_>,
    assertion: Node<'_, '_>,
    provider: &IdentityProvider,
    provider_uuid: &str,
    now: i64,
) -> Result<Claims, IamError> {
    let issuer = child_text(assertion, ASSERTION_NS, "Issuer")
        .ok_or_else(|| invalid("Invalid SAML response received: the assertion has no Issuer."))?;
    let response_issuer = child_text(response, ASSERTION_NS, "Issuer");
    if issuer != provider.entity_id || response_issuer.is_some_and(|i| i != provider.entity_id) {
        return Err(invalid(
            "Issuer of the SAML response does not match the entity ID of the identity provider.",
        ));
    }
    let subject = assertion
        .children()
        .find(|n| in_ns(n, ASSERTION_NS, "Subject"))
        .ok_or_else(|| invalid("Invalid SAML response received: the assertion has no Subject."))?;
    let name_id = subject
        .children()
        .find(|n| in_ns(n, ASSERTION_NS, "NameID"));
    let confirmations: Vec<Node<'_, '_>> = subject
        .children()
        .filter(|n| in_ns(n, ASSERTION_NS, "SubjectConfirmation"))
        .collect();
    let [confirmation] = confirmations.as_slice() else {
        return Err(invalid(
            "Invalid SAML response received: the subject must have exactly one SubjectConfirmation.",
        ));
    };
    let data = confirmation
        .children()
        .find(|n| in_ns(n, ASSERTION_NS, "SubjectConfirmationData"));
    let (Some(recipient), Some(not_on_or_after)) = (
        data.and_then(|d| d.attribute("Recipient")),
        data.and_then(|d| d.attribute("NotOnOrAfter")),
    ) else {
        return Err(invalid(
            "Invalid SAML response received: SubjectConfirmationData needs a Recipient and a NotOnOrAfter.",
        ));
    };
    if !is_aws_endpoint(recipient, provider_uuid) {
        return Err(invalid(
            "Invalid SAML response received: the Recipient is not an AWS SAML endpoint.",
        ));
    }
    let expired = || {
        IamError::new(
            "ExpiredTokenException",
            "The SAML assertion is expired or not yet valid.",
        )
    };
    if now >= timestamp(not_on_or_after)? + CLOCK_SKEW_SECS {
        return Err(expired());
    }
    if let Some(conditions) = assertion
        .children()
        .find(|n| in_ns(n, ASSERTION_NS, "Conditions"))
    {
        if let Some(before) = conditions.attribute("NotBefore") {
            if now + CLOCK_SKEW_SECS < timestamp(before)? {
                return Err(expired());
            }
        }
        if let Some(after) = conditions.attribute("NotOnOrAfter") {
            if now >= timestamp(after)? + CLOCK_SKEW_SECS {
                return Err(expired());
            }
        }
        for restriction in conditions
            .children()
            .filter(|n| in_ns(n, ASSERTION_NS, "AudienceRestriction"))
        {
            let allows_aws = restriction
                .children()
                .filter(|n| in_ns(n, ASSERTION_NS, "Audience"))
                .any(|a| is_aws_audience(text_content(a).trim(), provider_uuid));
            if !allows_aws {
                return Err(invalid(
                    "Invalid SAML response received: the audience restriction does not include AWS.",
                ));
            }
        }
    }
    let session_not_on_or_after = assertion
        .children()
        .filter(|n| in_ns(n, ASSERTION_NS, "AuthnStatement"))
        .find_map(|n| n.attribute("SessionNotOnOrAfter"))
        .map(timestamp)
        .transpose()?;
    let attributes = assertion
        .children()
        .filter(|n| in_ns(n, ASSERTION_NS, "AttributeStatement"))
        .flat_map(|s| s.children())
        .filter(|n| in_ns(n, ASSERTION_NS, "Attribute"))
        .map(|a| Attribute {
            name: a.attribute("Name").unwrap_or("").to_string(),
            values: a
                .children()
                .filter(|v| in_ns(v, ASSERTION_NS, "AttributeValue"))
                .map(|v| text_content(v).trim().to_string())
                .collect(),
        })
        .collect();
    Ok(Claims {
        issuer,
        subject: name_id
            .map(|n| text_content(n).trim().to_string())
            .unwrap_or_default(),
        subject_type: subject_type(name_id.and_then(|n| n.attribute("Format"))),
        recipient: recipient.to_string(),
        session_not_on_or_after,
        attributes,
    })
}

/// Every `ID` attribute in the documents (the response, and the
/// assertion decrypted from it) is unique, so a reference names one
/// element only.
fn check_unique_ids(documents: &[&Document<'_>]) -> Result<(), IamError> {
    let mut ids: Vec<&str> = documents
        .iter()
        .flat_map(|xml| xml.descendants())
        .filter_map(|n| n.attribute("ID"))
        .collect();
    ids.sort_unstable();
    let total = ids.len();
    ids.dedup();
    if ids.len() == total {
        Ok(())
    } else {
        Err(invalid(
            "Invalid SAML response received: an ID is used twice.",
        ))
    }
}

/// Whether `element` carries its own signature, which must then hold
/// (at most one). A signature anywhere else (inside an attribute value,
/// an extension) signs nothing we read: it is not counted.
fn verify_own_signature(element: Node<'_, '_>, keys: &[TrustedKey]) -> Result<bool, IamError> {
    let signatures: Vec<Node<'_, '_>> = element
        .children()
        .filter(|n| in_ns(n, DSIG_NS, "Signature"))
        .collect();
    match signatures.as_slice() {
        [] => Ok(false),
        [signature] => {
            let id = element.attribute("ID").unwrap_or("");
            xmldsig::verify_enveloped(*signature, id, keys).map_err(|e| {
                tracing::debug!(step = ?e, "SAML signature refused");
                signature_refused()
            })?;
            Ok(true)
        }
        _ => Err(signature_refused()),
    }
}

fn signature_refused() -> IamError {
    invalid("Response signature invalid")
}

/// At least one of the response and the assertion is signed.
fn require_a_signature(signed: bool) -> Result<(), IamError> {
    if signed {
        Ok(())
    } else {
        Err(signature_refused())
    }
}

/// The whole text of the child `name`: every text node, so a comment
/// inside it cannot cut what is compared short of what was signed.
fn child_text(node: Node<'_, '_>, ns: &str, name: &str) -> Option<String> {
    node.children()
        .find(|n| in_ns(n, ns, name))
        .map(|n| text_content(n).trim().to_string())
}

/// All the text inside `node`, as an attribute value's content.
fn text_content(node: Node<'_, '_>) -> String {
    node.descendants()
        .filter(Node::is_text)
        .filter_map(|n| n.text())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::saml::xmlenc::tests::{encrypt, oaep_wrap, test_key};
    use crate::saml::xmlenc::DecryptionKey;

    const MGF1P: &str =
        r#"<xenc:EncryptionMethod Algorithm="http://www.w3.org/2001/04/xmlenc#rsa-oaep-mgf1p"/>"#;

    /// A response declaring `saml` whose encrypted assertion is `plain`.
    fn response_with(plain: &str) -> (String, DecryptionKey) {
        let (key, pem) = test_key();
        let encrypted = encrypt(
            plain.as_bytes(),
            "http://www.w3.org/2009/xmlenc11#aes128-gcm",
            MGF1P,
            oaep_wrap(&key.to_public_key(), rsa::Oaep::new::<sha1::Sha1>),
        );
        let encrypted = encrypted.replacen(&format!(r#" xmlns:saml="{ASSERTION_NS}""#), "", 1);
        let xml = format!(
            r#"<samlp:Response xmlns:samlp="{PROTOCOL_NS}" xmlns:saml="{ASSERTION_NS}" ID="_r">{encrypted}</samlp:Response>"#
        );
        (xml, DecryptionKey::from_pem(&pem).expect("pem"))
    }

    fn context_of(plain: &str) -> String {
        let (xml, key) = response_with(plain);
        let doc = Document::parse(&xml).expect("xml");
        let encrypted = doc
            .descendants()
            .find(|n| in_ns(n, ASSERTION_NS, "EncryptedAssertion"))
            .expect("encrypted assertion");
        let plaintext = decrypt(encrypted, &[key]).expect("decrypts");
        decrypted_in_context(encrypted, plaintext).expect("in context")
    }

    #[test]
    fn a_decrypted_assertion_inherits_the_responses_prefixes() {
        let text =
            context_of(r#"<saml:Assertion ID="_a"><saml:Issuer>x</saml:Issuer></saml:Assertion>"#);
        let doc = Document::parse(&text).expect("well-formed in context");
        let assertion = doc.root_element().first_element_child().expect("child");
        assert!(in_ns(&assertion, ASSERTION_NS, "Assertion"));
        assert_eq!(
            child_text(assertion, ASSERTION_NS, "Issuer").as_deref(),
            Some("x")
        );
    }

    #[test]
    fn an_assertion_declaring_its_own_namespaces_and_an_xml_declaration_reads_alike() {
        let text = context_of(&format!(
            r#"<?xml version="1.0" encoding="UTF-8"?><saml2:Assertion xmlns:saml2="{ASSERTION_NS}" ID="_a"><saml2:Issuer>y</saml2:Issuer></saml2:Assertion>"#
        ));
        let doc = Document::parse(&text).expect("well-formed in context");
        let assertion = doc.root_element().first_element_child().expect("child");
        assert!(in_ns(&assertion, ASSERTION_NS, "Assertion"));
        assert_eq!(
            child_text(assertion, ASSERTION_NS, "Issuer").as_deref(),
            Some("y")
        );
    }

    #[test]
    fn no_key_and_a_wrong_key_are_refused_without_detail() {
        let (xml, _) = response_with("<saml:Assertion/>");
        let doc = Document::parse(&xml).expect("xml");
        let encrypted = doc
            .descendants()
            .find(|n| in_ns(n, ASSERTION_NS, "EncryptedAssertion"))
            .expect("encrypted assertion");
        let (_, other) = test_key();
        let other = DecryptionKey::from_pem(&other).expect("pem");
        let error = decrypt(encrypted, &[other]).expect_err("wrong key");
        assert_eq!(
            error.message,
            "Invalid SAML response received: the encrypted assertion could not be decrypted."
        );
        assert!(decrypt(encrypted, &[]).is_err());
    }
}
