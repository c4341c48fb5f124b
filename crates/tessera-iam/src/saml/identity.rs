//! The caller of an `AssumeRoleWithSAML`: the identity a verified SAML
//! assertion vouches for, decided before authorization (the request
//! needs no AWS credentials, so the assertion is its authentication).
//! It carries what the trust policy is evaluated with (the `saml:*`
//! condition keys) and what the session is minted with (session name,
//! tags, source identity, duration cap).

use std::sync::Arc;

use base64::Engine;
use serde_json::Value;
use sha1::{Digest, Sha1};
use tessera_policy::ContextValue;

use super::response::{self, Claims, AWS_ATTRIBUTES};
use crate::caller::Caller;
use crate::ops::Input;
use crate::records::Tag;
use crate::snapshot::Snapshot;
use crate::IamError;

/// The most session tags an assertion may carry.
const MAX_SESSION_TAGS: usize = 50;

/// What a verified assertion vouches for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SamlIdentity {
    /// The SAML provider's ARN (the trust policy's `Federated` principal).
    pub provider_arn: String,
    /// The provider's account.
    pub account: String,
    /// The provider's partition.
    pub partition: String,
    /// The role the assertion lets this request assume (its `Role`
    /// attribute pairs it with the provider).
    pub role_arn: String,
    /// The verified claims.
    pub claims: Claims,
    /// AWS's `NameQualifier`: base64 of the SHA-1 of issuer, account id
    /// and `/` + provider name.
    pub name_qualifier: String,
    /// The `RoleSessionName` attribute.
    pub session_name: String,
    /// The `SessionDuration` attribute, which caps the session.
    pub session_duration: Option<u64>,
    /// The `PrincipalTag:*` attributes.
    pub tags: Vec<Tag>,
    /// The `TransitiveTagKeys` attribute.
    pub transitive_tag_keys: Vec<String>,
    /// The `SourceIdentity` attribute.
    pub source_identity: Option<String>,
}

/// The `saml:*` keys AWS fills from attributes, by attribute name.
const ATTRIBUTE_KEYS: [(&str, &str); 25] = [
    (
        "urn:oid:1.3.6.1.4.1.5923.1.1.1.1",
        "saml:edupersonaffiliation",
    ),
    ("urn:oid:1.3.6.1.4.1.5923.1.1.1.2", "saml:edupersonnickname"),
    ("urn:oid:1.3.6.1.4.1.5923.1.1.1.3", "saml:edupersonorgdn"),
    (
        "urn:oid:1.3.6.1.4.1.5923.1.1.1.4",
        "saml:edupersonorgunitdn",
    ),
    (
        "urn:oid:1.3.6.1.4.1.5923.1.1.1.5",
        "saml:edupersonprimaryaffiliation",
    ),
    (
        "urn:oid:1.3.6.1.4.1.5923.1.1.1.6",
        "saml:edupersonprincipalname",
    ),
    (
        "urn:oid:1.3.6.1.4.1.5923.1.1.1.7",
        "saml:edupersonentitlement",
    ),
    (
        "urn:oid:1.3.6.1.4.1.5923.1.1.1.8",
        "saml:edupersonprimaryorgunitdn",
    ),
    (
        "urn:oid:1.3.6.1.4.1.5923.1.1.1.9",
        "saml:edupersonscopedaffiliation",
    ),
    (
        "urn:oid:1.3.6.1.4.1.5923.1.1.1.10",
        "saml:edupersontargetedid",
    ),
    (
        "urn:oid:1.3.6.1.4.1.5923.1.1.1.11",
        "saml:edupersonassurance",
    ),
    ("urn:oid:1.3.6.1.4.1.5923.1.2.1.2", "saml:eduorghomepageuri"),
    (
        "urn:oid:1.3.6.1.4.1.5923.1.2.1.3",
        "saml:eduorgidentityauthnpolicyuri",
    ),
    ("urn:oid:1.3.6.1.4.1.5923.1.2.1.4", "saml:eduorglegalname"),
    ("urn:oid:1.3.6.1.4.1.5923.1.2.1.5", "saml:eduorgsuperioruri"),
    (
        "urn:oid:1.3.6.1.4.1.5923.1.2.1.6",
        "saml:eduorgwhitepagesuri",
    ),
    ("urn:oid:2.5.4.3", "saml:cn"),
    ("urn:oid:2.5.4.3", "saml:commonName"),
    ("urn:oid:2.5.4.42", "saml:givenName"),
    ("urn:oid:2.5.4.4", "saml:surname"),
    ("urn:oid:2.5.4.41", "saml:name"),
    ("urn:oid:2.5.4.45", "saml:x500UniqueIdentifier"),
    ("urn:oid:0.9.2342.19200300.100.1.3", "saml:mail"),
    ("urn:oid:0.9.2342.19200300.100.1.1", "saml:uid"),
    (
        "http://schemas.microsoft.com/ws/2008/06/identity/claims/primarygroupsid",
        "saml:primaryGroupSID",
    ),
];

impl SamlIdentity {
    /// The provider's friendly name (the last part of its ARN).
    pub fn provider_name(&self) -> &str {
        self.provider_arn
            .rsplit_once('/')
            .map_or(self.provider_arn.as_str(), |(_, name)| name)
    }

    /// The condition keys the trust policy is evaluated with.
    pub fn context(&self) -> Vec<(String, ContextValue)> {
        let single = |v: &str| ContextValue::Single(v.to_string());
        let mut keys = vec![
            ("saml:aud".to_string(), single(&self.claims.recipient)),
            ("saml:iss".to_string(), single(&self.claims.issuer)),
            ("saml:sub".to_string(), single(&self.claims.subject)),
            (
                "saml:sub_type".to_string(),
                single(&self.claims.subject_type),
            ),
            (
                "saml:namequalifier".to_string(),
                single(&self.name_qualifier),
            ),
            (
                "saml:doc".to_string(),
                single(&format!("{}/{}", self.account, self.provider_name())),
            ),
            (
                "sts:RoleSessionName".to_string(),
                single(&self.session_name),
            ),
            (
                "aws:FederatedProvider".to_string(),
                single(&self.provider_arn),
            ),
        ];
        for (attribute, key) in ATTRIBUTE_KEYS {
            let values = self.claims.values(attribute);
            match values.as_slice() {
                [] => {}
                [one] => keys.push((key.to_string(), single(one))),
                many => keys.push((
                    key.to_string(),
                    ContextValue::Multi(many.iter().map(|v| v.to_string()).collect()),
                )),
            }
        }
        if !self.tags.is_empty() {
            for tag in &self.tags {
                keys.push((format!("aws:RequestTag/{}", tag.key), single(&tag.value)));
            }
            keys.push((
                "aws:TagKeys".to_string(),
                ContextValue::Multi(self.tags.iter().map(|t| t.key.clone()).collect()),
            ));
        }
        if !self.transitive_tag_keys.is_empty() {
            keys.push((
                "sts:TransitiveTagKeys".to_string(),
                ContextValue::Multi(self.transitive_tag_keys.clone()),
            ));
        }
        if let Some(source) = &self.source_identity {
            keys.push(("sts:SourceIdentity".to_string(), single(source)));
        }
        keys
    }
}

fn invalid(message: impl Into<String>) -> IamError {
    IamError::new("InvalidIdentityToken", message)
}

/// Whether `value` is 2 to 64 of `[a-zA-Z_0-9+=,.@-]`, as AWS requires
/// of a role session name and a source identity.
fn is_session_name(value: &str) -> bool {
    (2..=64).contains(&value.len())
        && value
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "_+=,.@-".contains(c))
}

/// AWS's `NameQualifier` for `issuer` at the provider `provider_name` of
/// `account`.
pub fn name_qualifier(issuer: &str, account: &str, provider_name: &str) -> String {
    let digest = Sha1::digest(format!("{issuer}{account}/{provider_name}").as_bytes());
    base64::engine::general_purpose::STANDARD.encode(digest)
}

/// The caller an `AssumeRoleWithSAML` request stands for: its assertion
/// verified against the provider `PrincipalArn` names, and paired by
/// the `Role` attribute with the `RoleArn` asked for.
pub fn caller(snapshot: &Snapshot, input: &Value, now: i64) -> Result<Caller, IamError> {
    let input = Input(input);
    let provider_arn = input.required("PrincipalArn")?;
    let role_arn = input.required("RoleArn")?;
    let assertion = input.required("SAMLAssertion")?;
    let provider = snapshot
        .saml_provider(provider_arn)
        .ok_or_else(|| invalid(format!("SAML provider {provider_arn} does not exist.")))?;
    if provider.valid_until <= now {
        return Err(invalid("The SAML provider's metadata is no longer valid."));
    }
    let idp = response::identity_provider(&provider.metadata)
        .ok_or_else(|| invalid("The SAML provider's metadata names no identity provider."))?;
    let decryption = response::Decryption {
        keys: snapshot.saml_decryption_keys(provider_arn),
        required: provider.assertion_encryption == "Required",
    };
    let claims = response::read(assertion, &idp, &provider.uuid, decryption, now)?;

    let pairs_with = |value: &str| {
        let mut parts = value.split(',').map(str::trim);
        match (parts.next(), parts.next(), parts.next()) {
            (Some(a), Some(b), None) => {
                (a == role_arn && b == provider_arn) || (a == provider_arn && b == role_arn)
            }
            _ => false,
        }
    };
    if !claims
        .values(&format!("{AWS_ATTRIBUTES}Role"))
        .into_iter()
        .any(pairs_with)
    {
        return Err(IamError::new(
            "AccessDenied",
            "Not authorized to perform sts:AssumeRoleWithSAML",
        ));
    }

    let session_name = match claims
        .values(&format!("{AWS_ATTRIBUTES}RoleSessionName"))
        .as_slice()
    {
        [name] if is_session_name(name) => name.to_string(),
        [] => return Err(invalid("RoleSessionName is required in AuthnResponse")),
        _ => {
            return Err(invalid(
                "RoleSessionName in AuthnResponse must match [a-zA-Z_0-9+=,.@-]{2,64}",
            ))
        }
    };
    let session_duration = match claims
        .values(&format!("{AWS_ATTRIBUTES}SessionDuration"))
        .as_slice()
    {
        [] => None,
        [value] => match value.parse::<u64>() {
            Ok(seconds) if (900..=43_200).contains(&seconds) => Some(seconds),
            _ => return Err(invalid(
                "SessionDuration in AuthnResponse must be a number of seconds from 900 to 43200",
            )),
        },
        _ => {
            return Err(invalid(
                "SessionDuration in AuthnResponse must have one value",
            ))
        }
    };
    let tag_prefix = format!("{AWS_ATTRIBUTES}PrincipalTag:");
    let mut tags: Vec<Tag> = Vec::new();
    for attribute in &claims.attributes {
        let Some(key) = attribute.name.strip_prefix(&tag_prefix) else {
            continue;
        };
        let [value] = attribute.values.as_slice() else {
            return Err(invalid(format!(
                "PrincipalTag:{key} in AuthnResponse must have one value"
            )));
        };
        if key.is_empty() || key.len() > 128 || value.len() > 256 {
            return Err(invalid(
                "Session tag keys must be 1 to 128 characters and values at most 256",
            ));
        }
        if tags.iter().any(|t| t.key.eq_ignore_ascii_case(key)) {
            return Err(invalid(
                "Duplicate tag keys found. Please note that Tag keys are case insensitive.",
            ));
        }
        tags.push(Tag {
            key: key.to_string(),
            value: value.clone(),
        });
    }
    if tags.len() > MAX_SESSION_TAGS {
        return Err(invalid(format!(
            "The AuthnResponse carries more than {MAX_SESSION_TAGS} session tags"
        )));
    }
    let transitive_tag_keys: Vec<String> = claims
        .values(&format!("{AWS_ATTRIBUTES}TransitiveTagKeys"))
        .into_iter()
        .map(str::to_string)
        .collect();
    if transitive_tag_keys
        .iter()
        .any(|k| !tags.iter().any(|t| t.key.eq_ignore_ascii_case(k)))
    {
        return Err(invalid(
            "The specified transitive tag key must be included in the requested tags.",
        ));
    }
    let source_identity = match claims
        .values(&format!("{AWS_ATTRIBUTES}SourceIdentity"))
        .as_slice()
    {
        [] => None,
        [value] if is_session_name(value) => Some(value.to_string()),
        _ => {
            return Err(invalid(
                "SourceIdentity in AuthnResponse must match [a-zA-Z_0-9+=,.@-]{2,64}",
            ))
        }
    };
    let provider_name = provider_arn
        .rsplit_once('/')
        .map_or(provider_arn, |(_, name)| name);
    let name_qualifier = name_qualifier(&claims.issuer, &provider.account_id, provider_name);
    let partition = provider_arn.split(':').nth(1).unwrap_or("aws").to_string();
    Ok(Caller::Saml(Arc::new(SamlIdentity {
        provider_arn: provider_arn.to_string(),
        account: provider.account_id.clone(),
        partition,
        role_arn: role_arn.to_string(),
        claims,
        name_qualifier,
        session_name,
        session_duration,
        tags,
        transitive_tag_keys,
        source_identity,
    })))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_name_qualifier_is_awss_documented_hash() {
        // BASE64 ( SHA1 ( "https://example.com/saml" + "123456789012" + "/MySAMLIdP" ) )
        // computed independently (Python's hashlib and base64)
        assert_eq!(
            name_qualifier("https://example.com/saml", "123456789012", "MySAMLIdP"),
            "1uAJanUnBc2XeUkHURMht+xam2c="
        );
    }

    #[test]
    fn session_names_follow_awss_pattern() {
        assert!(is_session_name("alice@example.com"));
        assert!(!is_session_name("a"));
        assert!(!is_session_name("has space"));
        assert!(!is_session_name(&"x".repeat(65)));
    }
}
