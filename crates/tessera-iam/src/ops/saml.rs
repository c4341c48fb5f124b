//! SAML 2.0 identity providers: `CreateSAMLProvider`, `GetSAMLProvider`,
//! `UpdateSAMLProvider`, `DeleteSAMLProvider`, `ListSAMLProviders` and
//! tags. The metadata document must parse as XML and be SAML 2.0 metadata
//! of an identity provider (an `EntityDescriptor` with an
//! `IDPSSODescriptor` in the metadata namespace); its `validUntil` becomes
//! the provider's `ValidUntil`. Private keys for encrypted assertions (at
//! most two) are sealed under the KEK and listed by id only. The
//! federation that uses providers (`AssumeRoleWithSAML`) is STS's.

use serde_json::{json, Value};
use tessera_store::Outcome;
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

use super::keyed::{self, Keyed, Tagged};
use super::users::tags_output;
use super::{iso8601, Input, OpContext};
use crate::crypto::Secret;
use crate::ids;
use crate::kind::EntityKind;
use crate::records::{Ns, SamlPrivateKey, SamlProviderRecord};
use crate::IamError;

/// The SAML 2.0 metadata namespace.
const METADATA_NS: &str = "urn:oasis:names:tc:SAML:2.0:metadata";
/// How long a provider whose metadata names no `validUntil` is valid.
const DEFAULT_VALIDITY_SECS: i64 = 100 * 365 * 86_400;
/// The most private keys a provider holds at once.
const MAX_PRIVATE_KEYS: usize = 2;

impl Keyed for SamlProviderRecord {
    const NS: Ns = Ns::SamlProvider;
    const KEY_MEMBER: &'static str = "SAMLProviderArn";
    fn key(&self) -> &str {
        &self.arn
    }
    fn account(&self) -> &str {
        &self.account_id
    }
    fn missing(key: &str) -> IamError {
        IamError::new("NoSuchEntity", format!("Manifest not found for arn {key}"))
    }
    fn lookup<'s>(snapshot: &'s crate::snapshot::Snapshot, key: &str) -> Option<&'s Self> {
        snapshot.saml_provider(key)
    }
}

impl Tagged for SamlProviderRecord {
    const TAG_RULES: EntityKind = EntityKind::Role;
    fn tags(&self) -> &[crate::records::Tag] {
        &self.tags
    }
    fn tags_mut(&mut self) -> &mut Vec<crate::records::Tag> {
        &mut self.tags
    }
}

/// The ARN of the provider named `name`.
pub(super) fn provider_arn(partition: &str, account: &str, name: &str) -> String {
    format!("arn:{partition}:iam::{account}:saml-provider/{name}")
}

/// The `validUntil` of a SAML 2.0 identity-provider metadata document (or
/// `None` when it names none), or IAM's refusal.
fn check_metadata(document: &str) -> Result<Option<i64>, IamError> {
    let refuse = || IamError::invalid_input("Could not parse metadata");
    let xml = roxmltree::Document::parse(document).map_err(|_| refuse())?;
    let root = xml.root_element();
    let in_metadata = |node: &roxmltree::Node<'_, '_>, name: &str| {
        node.is_element()
            && node.tag_name().name() == name
            && node.tag_name().namespace() == Some(METADATA_NS)
    };
    let entity = if in_metadata(&root, "EntityDescriptor") {
        root
    } else if in_metadata(&root, "EntitiesDescriptor") {
        root.children()
            .find(|c| in_metadata(c, "EntityDescriptor"))
            .ok_or_else(refuse)?
    } else {
        return Err(refuse());
    };
    if !entity
        .children()
        .any(|c| in_metadata(&c, "IDPSSODescriptor"))
    {
        return Err(refuse());
    }
    match entity
        .attribute("validUntil")
        .or_else(|| root.attribute("validUntil"))
    {
        Some(text) => OffsetDateTime::parse(text, &Rfc3339)
            .map(|t| Some(t.unix_timestamp()))
            .map_err(|_| refuse()),
        None => Ok(None),
    }
}

fn encryption_mode(input: Input<'_>) -> Option<&str> {
    input.str("AssertionEncryptionMode")
}

/// Adds `key` (an RSA private key in PEM) to the provider, refusing a
/// third.
fn add_private_key(
    ctx: &OpContext<'_>,
    provider: &mut SamlProviderRecord,
    key: &str,
) -> Result<(), IamError> {
    if !key.trim_start().starts_with("-----BEGIN ") {
        return Err(IamError::invalid_input(
            "The private key is not a PEM-encoded key.",
        ));
    }
    // A key that could never decrypt an assertion is refused now rather
    // than found unusable at sign-in.
    if crate::saml::xmlenc::DecryptionKey::from_pem(key).is_none() {
        return Err(IamError::invalid_input(
            "The private key is not an unencrypted RSA private key (PKCS #8 or PKCS #1 PEM).",
        ));
    }
    if provider.private_keys.len() >= MAX_PRIVATE_KEYS {
        return Err(IamError::quota_exceeded(
            "PrivateKeysPerSAMLProvider",
            MAX_PRIVATE_KEYS,
        ));
    }
    let key_id = ids::new_upper_id(ctx.random, 26);
    let sealed = ctx.kek.seal(
        ctx.random,
        &format!("saml:{}:{key_id}", provider.arn),
        &Secret::new(key.to_string()),
    );
    provider.private_keys.push(SamlPrivateKey {
        key_id,
        added: ctx.now_secs(),
        sealed,
    });
    Ok(())
}

/// `Required` needs a key to decrypt with.
fn check_encryption(provider: &SamlProviderRecord) -> Result<(), IamError> {
    if provider.assertion_encryption == "Required" && provider.private_keys.is_empty() {
        return Err(IamError::invalid_input(
            "A private key is required when assertion encryption is required.",
        ));
    }
    Ok(())
}

pub(super) fn create(ctx: &OpContext<'_>, input: &Value) -> Result<Value, IamError> {
    let input = Input(input);
    let name = input.required("Name")?;
    let document = input.required("SAMLMetadataDocument")?;
    let valid_until = check_metadata(document)?;
    let tags = input.tags(EntityKind::Role)?;
    super::tags::check_count(ctx, tags.len())?;
    let arn = provider_arn(ctx.caller.partition(), ctx.account(), name);
    let now = ctx.now_secs();
    let mut provider = SamlProviderRecord {
        arn: arn.clone(),
        account_id: ctx.account().to_string(),
        metadata: document.to_string(),
        valid_until: valid_until.unwrap_or(now + DEFAULT_VALIDITY_SECS),
        created: now,
        uuid: ids::new_upper_id(ctx.random, 26),
        assertion_encryption: encryption_mode(input).unwrap_or("Allowed").to_string(),
        private_keys: Vec::new(),
        tags: tags.clone(),
    };
    if let Some(key) = input.str("AddPrivateKey") {
        add_private_key(ctx, &mut provider, key)?;
    }
    check_encryption(&provider)?;
    keyed::insert_new(ctx, &provider, || {
        format!("SAMLProvider {name} already exists.")
    })?;
    Ok(keyed::created_output(&provider))
}

pub(super) fn get(ctx: &OpContext<'_>, input: &Value) -> Result<Value, IamError> {
    let arn = Input(input).required("SAMLProviderArn")?;
    let provider: &SamlProviderRecord = keyed::get(ctx, arn)?;
    let keys: Vec<Value> = provider
        .private_keys
        .iter()
        .map(|k| json!({ "KeyId": k.key_id, "Timestamp": iso8601(k.added) }))
        .collect();
    Ok(json!({
        "SAMLProviderUUID": provider.uuid,
        "SAMLMetadataDocument": provider.metadata,
        "CreateDate": iso8601(provider.created),
        "ValidUntil": iso8601(provider.valid_until),
        "Tags": tags_output(&provider.tags),
        "AssertionEncryptionMode": provider.assertion_encryption,
        "PrivateKeyList": keys,
    }))
}

pub(super) fn update(ctx: &OpContext<'_>, input: &Value) -> Result<Value, IamError> {
    let input = Input(input);
    let arn = input.required("SAMLProviderArn")?;
    let document = input.str("SAMLMetadataDocument");
    let valid_until = document.map(check_metadata).transpose()?;
    keyed::change(ctx, arn, |provider: &mut SamlProviderRecord| {
        if let Some(document) = document {
            provider.metadata = document.to_string();
            provider.valid_until = valid_until
                .flatten()
                .unwrap_or(provider.created + DEFAULT_VALIDITY_SECS);
        }
        if let Some(mode) = encryption_mode(input) {
            provider.assertion_encryption = mode.to_string();
        }
        if let Some(key_id) = input.str("RemovePrivateKey") {
            let before = provider.private_keys.len();
            provider.private_keys.retain(|k| k.key_id != key_id);
            if provider.private_keys.len() == before {
                return Err(IamError::invalid_input(format!(
                    "The private key {key_id} does not exist for this SAML provider."
                )));
            }
        }
        if let Some(key) = input.str("AddPrivateKey") {
            add_private_key(ctx, provider, key)?;
        }
        check_encryption(provider)
    })?;
    Ok(json!({ "SAMLProviderArn": arn }))
}

pub(super) fn delete(ctx: &OpContext<'_>, input: &Value) -> Result<Value, IamError> {
    let arn = Input(input).required("SAMLProviderArn")?;
    ctx.write(|tx| {
        keyed::require::<SamlProviderRecord>(tx, ctx.account(), arn)?;
        tx.delete(Ns::SamlProvider.as_str(), arn)?;
        Ok::<_, Outcome<IamError>>(())
    })?;
    Ok(json!({}))
}

pub(super) fn list(ctx: &OpContext<'_>, _input: &Value) -> Result<Value, IamError> {
    let providers: Vec<Value> = ctx
        .snapshot
        .saml_providers(ctx.account())
        .into_iter()
        .map(|p| {
            json!({
                "Arn": p.arn,
                "ValidUntil": iso8601(p.valid_until),
                "CreateDate": iso8601(p.created),
            })
        })
        .collect();
    Ok(json!({ "SAMLProviderList": providers }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn metadata(root_attrs: &str, body: &str) -> String {
        format!(
            r#"<?xml version="1.0"?><md:EntityDescriptor xmlns:md="{METADATA_NS}" entityID="https://idp.example.com" {root_attrs}>{body}</md:EntityDescriptor>"#
        )
    }

    #[test]
    fn identity_provider_metadata_is_accepted_with_its_valid_until() {
        let doc = metadata(
            r#"validUntil="2030-01-02T03:04:05Z""#,
            r#"<md:IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol"/>"#,
        );
        assert_eq!(check_metadata(&doc), Ok(Some(1_893_553_445)));
        let doc = metadata("", "<md:IDPSSODescriptor/>");
        assert_eq!(check_metadata(&doc), Ok(None));
    }

    #[test]
    fn documents_that_are_not_idp_metadata_are_refused() {
        let refused = Err(IamError::invalid_input("Could not parse metadata"));
        assert_eq!(check_metadata("not xml"), refused);
        assert_eq!(
            check_metadata(&metadata("", "<md:SPSSODescriptor/>")),
            refused
        );
        assert_eq!(
            check_metadata("<EntityDescriptor><IDPSSODescriptor/></EntityDescriptor>"),
            refused
        );
        let bad_date = metadata(r#"validUntil="soon""#, "<md:IDPSSODescriptor/>");
        assert_eq!(check_metadata(&bad_date), refused);
    }
}
