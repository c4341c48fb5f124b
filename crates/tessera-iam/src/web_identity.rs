//! The caller of `AssumeRoleWithWebIdentity`: an OpenID Connect token,
//! checked the way STS checks one.
//!
//! It happens in two steps around the one thing the domain cannot do,
//! fetching the provider's keys over HTTPS (the server does it):
//! [`begin`] parses the token, finds the IAM OpenID Connect provider of
//! the role's account that issued it (by `iss`) and refuses what no key
//! could save (a token that is not a JWT, `alg: none`, an HMAC
//! algorithm); its [`PendingWebIdentity::endpoint`] names what to fetch
//! and which certificate thumbprints may vouch for it. The server fetches
//! the provider's key set and hands it to [`PendingWebIdentity::finish`],
//! which checks the signature, the audience against the provider's client
//! ids (`azp` when the token has one, else `aud`, as AWS documents), the
//! expiry, `nbf` and `iat` with a clock skew, and answers the
//! [`WebIdentity`] the trust policy is evaluated for.

use std::sync::Arc;

use serde_json::Value;

use crate::caller::Caller;
use crate::jwt_verify::{Jwt, JwtError, KeySet};
use crate::records::{OidcProviderRecord, Tag};
use crate::snapshot::Snapshot;
use crate::IamError;

/// How far a token's times may stray from the server's clock.
pub const CLOCK_SKEW_SECONDS: i64 = 300;
/// The claim that carries session tags.
pub const TAGS_CLAIM: &str = "https://aws.amazon.com/tags";
/// The claim that carries the source identity.
pub const SOURCE_IDENTITY_CLAIM: &str = "https://aws.amazon.com/source_identity";
/// The most session tags a token may carry.
const MAX_SESSION_TAGS: usize = 50;

/// A verified web identity: who the provider says the caller is, and the
/// condition keys it brings (`PROVIDER:aud`, `:sub`, `:amr`, `:oaud`,
/// `:azp`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebIdentity {
    /// The partition of the role's account.
    pub partition: String,
    /// The role's account, which owns the provider.
    pub account: String,
    /// The IAM provider's ARN (`arn:aws:iam::ACCOUNT:oidc-provider/HOST/PATH`).
    pub provider_arn: String,
    /// The provider's URL without `https://` (the condition keys' prefix).
    pub provider_url: String,
    /// The `sub` claim.
    pub subject: String,
    /// The client id the token was issued to (`azp`, else the matching
    /// `aud`).
    pub audience: String,
    /// The provider's condition keys and their values.
    pub keys: Vec<(String, Vec<String>)>,
    /// Session tags from the tags claim.
    pub tags: Vec<Tag>,
    /// Which of them pass to chained sessions.
    pub transitive_tag_keys: Vec<String>,
    /// The source identity claim.
    pub source_identity: Option<String>,
}

/// What the server fetches for a pending token: the issuer's discovery
/// document and key set, over HTTPS, trusting the system's roots or one
/// of the thumbprints.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProviderEndpoint {
    /// The issuer URL (`https://HOST/PATH`), as registered.
    pub issuer_url: String,
    /// The provider's certificate thumbprints (SHA-1, hex).
    pub thumbprints: Vec<String>,
}

/// A parsed token whose issuer is a registered provider, waiting for the
/// provider's keys.
#[derive(Debug)]
pub struct PendingWebIdentity {
    provider: OidcProviderRecord,
    partition: String,
    jwt: Jwt,
}

/// A provider key's value in a request context: `amr` is multivalued (as
/// AWS documents it), the others single-valued unless the token gave a
/// list.
pub fn key_value(key: &str, values: &[String]) -> tessera_policy::ContextValue {
    match values {
        [one] if !key.ends_with(":amr") => tessera_policy::ContextValue::Single(one.clone()),
        _ => tessera_policy::ContextValue::Multi(values.to_vec()),
    }
}

fn invalid(message: impl Into<String>) -> IamError {
    IamError::new("InvalidIdentityToken", message)
}

fn not_a_jwt() -> IamError {
    invalid("The ID Token provided is not a valid JWT. (You may see this error if you sent an Access Token)")
}

/// Step one: the token parsed and its provider found in the account of
/// the role `RoleArn` names.
pub fn begin(snapshot: &Snapshot, input: &Value) -> Result<PendingWebIdentity, IamError> {
    let input = crate::ops::Input(input);
    let role_arn = input.required("RoleArn")?;
    let token = input.required("WebIdentityToken")?;
    if input.str("ProviderId").is_some() {
        // AWS takes ProviderId only with OAuth 2.0 access tokens of
        // www.amazon.com and graph.facebook.com, which are not federated
        // here.
        return Err(IamError::new(
            "InvalidParameterValue",
            "ProviderId is only for OAuth 2.0 access tokens, which this service does not accept; pass an OpenID Connect ID token without ProviderId.",
        ));
    }
    // arn:PARTITION:iam::ACCOUNT:role/NAME (checked before authorization).
    let parts: Vec<&str> = role_arn.splitn(6, ':').collect();
    let partition = parts.get(1).copied().unwrap_or("aws").to_string();
    let account = parts.get(4).copied().unwrap_or("").to_string();
    let jwt = Jwt::parse(token).map_err(|e| match e {
        JwtError::UnsupportedAlgorithm(alg) => invalid(format!(
            "The ID Token is signed with {alg}, which is not accepted: use RS256, RS384, RS512, ES256 or ES384."
        )),
        _ => not_a_jwt(),
    })?;
    let issuer = jwt.claim_str("iss").ok_or_else(not_a_jwt)?;
    let provider = crate::ops::oidc_provider_arn(&partition, &account, issuer)
        .and_then(|arn| snapshot.oidc_provider(&arn))
        .ok_or_else(|| {
            invalid(format!(
                "No OpenIDConnect provider found in your account for {issuer}"
            ))
        })?;
    Ok(PendingWebIdentity {
        provider: provider.clone(),
        partition,
        jwt,
    })
}

fn times_claim(jwt: &Jwt, name: &str) -> Result<Option<i64>, IamError> {
    match jwt.claims.get(name) {
        None => Ok(None),
        Some(value) => value
            .as_i64()
            .or_else(|| value.as_f64().map(|f| f as i64))
            .map(Some)
            .ok_or_else(not_a_jwt),
    }
}

fn strings_claim(value: Option<&Value>) -> Vec<String> {
    match value {
        Some(Value::String(s)) => vec![s.clone()],
        Some(Value::Array(items)) => items
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_string)
            .collect(),
        _ => Vec::new(),
    }
}

/// The session tags and transitive keys of the tags claim: each principal
/// tag's value is a one-element array, as AWS documents.
fn session_tags(jwt: &Jwt) -> Result<(Vec<Tag>, Vec<String>), IamError> {
    let Some(claim) = jwt.claims.get(TAGS_CLAIM) else {
        return Ok((Vec::new(), Vec::new()));
    };
    let malformed = || {
        invalid(format!(
            "The {TAGS_CLAIM} claim of the ID Token is malformed."
        ))
    };
    let claim = claim.as_object().ok_or_else(malformed)?;
    let mut tags = Vec::new();
    if let Some(principal) = claim.get("principal_tags") {
        for (key, value) in principal.as_object().ok_or_else(malformed)? {
            let value = match value {
                Value::Array(items) if items.len() == 1 => items.first().and_then(Value::as_str),
                Value::String(s) => Some(s.as_str()),
                _ => None,
            }
            .ok_or_else(malformed)?;
            tags.push(Tag {
                key: key.clone(),
                value: value.to_string(),
            });
        }
    }
    if tags.len() > MAX_SESSION_TAGS {
        return Err(invalid(format!(
            "The ID Token carries more than {MAX_SESSION_TAGS} session tags."
        )));
    }
    let transitive = strings_claim(claim.get("transitive_tag_keys"));
    if transitive
        .iter()
        .any(|k| !tags.iter().any(|t| t.key.eq_ignore_ascii_case(k)))
    {
        return Err(IamError::new(
            "InvalidParameterValue",
            "The specified transitive tag key must be included in the requested tags.",
        ));
    }
    Ok((tags, transitive))
}

impl PendingWebIdentity {
    /// What to fetch the provider's keys from.
    pub fn endpoint(&self) -> ProviderEndpoint {
        ProviderEndpoint {
            issuer_url: format!("https://{}", self.provider.url),
            thumbprints: self.provider.thumbprints.clone(),
        }
    }

    /// The key id the token names.
    pub fn kid(&self) -> Option<&str> {
        self.jwt.kid.as_deref()
    }

    /// Step two: the signature checked with the provider's `keys`, then
    /// the claims at `now` (seconds since the epoch).
    pub fn finish(self, keys: &KeySet, now: i64) -> Result<Caller, IamError> {
        let jwt = &self.jwt;
        keys.verify(jwt).map_err(|e| match e {
            JwtError::UnknownKey => invalid(format!(
                "The identity provider's key set has no key{} for this token.",
                jwt.kid
                    .as_deref()
                    .map(|kid| format!(" with kid {kid}"))
                    .unwrap_or_default()
            )),
            _ => invalid("The signature of the ID Token could not be verified."),
        })?;
        let expires = times_claim(jwt, "exp")?.ok_or_else(not_a_jwt)?;
        if now > expires + CLOCK_SKEW_SECONDS {
            return Err(IamError::new(
                "ExpiredTokenException",
                format!(
                    "Token expired: current date/time {now} must be before the expiration date/time{expires}"
                ),
            ));
        }
        if let Some(not_before) = times_claim(jwt, "nbf")? {
            if not_before > now + CLOCK_SKEW_SECONDS {
                return Err(invalid(format!(
                    "Token is not yet valid: current date/time {now} must be after the not-before date/time {not_before}"
                )));
            }
        }
        if let Some(issued) = times_claim(jwt, "iat")? {
            if issued > now + CLOCK_SKEW_SECONDS {
                return Err(invalid(format!(
                    "Token used before issued: current date/time {now} must be after the issue date/time {issued}"
                )));
            }
        }
        let aud = strings_claim(jwt.claims.get("aud"));
        let azp = jwt.claim_str("azp").map(str::to_string);
        let client_ids = &self.provider.client_ids;
        let audience = match &azp {
            Some(azp) => client_ids.contains(azp).then(|| azp.clone()),
            None => aud.iter().find(|a| client_ids.contains(a)).cloned(),
        }
        .ok_or_else(|| invalid("Incorrect token audience"))?;
        let subject = jwt
            .claim_str("sub")
            .ok_or_else(|| invalid("The ID Token has no sub claim."))?
            .to_string();
        let (tags, transitive_tag_keys) = session_tags(jwt)?;
        let source_identity = jwt.claim_str(SOURCE_IDENTITY_CLAIM).map(str::to_string);

        let url = &self.provider.url;
        let mut keys = vec![
            (format!("{url}:aud"), vec![audience.clone()]),
            (format!("{url}:sub"), vec![subject.clone()]),
        ];
        if let Some(azp) = &azp {
            keys.push((format!("{url}:azp"), vec![azp.clone()]));
            keys.push((format!("{url}:oaud"), aud.clone()));
        }
        let amr = strings_claim(jwt.claims.get("amr"));
        if !amr.is_empty() {
            keys.push((format!("{url}:amr"), amr));
        }
        Ok(Caller::WebIdentity(Arc::new(WebIdentity {
            partition: self.partition,
            account: self.provider.account_id.clone(),
            provider_arn: self.provider.arn.clone(),
            provider_url: url.clone(),
            subject,
            audience,
            keys,
            tags,
            transitive_tag_keys,
            source_identity,
        })))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::jwt_verify::test_signer::EcIssuer;
    use serde_json::json;

    const NOW: i64 = 1_800_000_000;
    const URL: &str = "idp.example.com/tenant";

    fn provider() -> OidcProviderRecord {
        OidcProviderRecord {
            arn: format!("arn:aws:iam::123456789012:oidc-provider/{URL}"),
            account_id: "123456789012".into(),
            url: URL.into(),
            client_ids: vec!["app".into()],
            thumbprints: Vec::new(),
            created: 0,
            tags: Vec::new(),
        }
    }

    fn check(claims: Value) -> Result<WebIdentity, IamError> {
        let issuer = EcIssuer::new("k");
        let token = issuer.sign(&json!({"alg": "ES256", "kid": "k"}), &claims);
        let keys =
            KeySet::parse(json!({ "keys": [issuer.jwk()] }).to_string().as_bytes()).expect("jwks");
        let pending = PendingWebIdentity {
            provider: provider(),
            partition: "aws".into(),
            jwt: Jwt::parse(&token).expect("parse"),
        };
        match pending.finish(&keys, NOW)? {
            Caller::WebIdentity(identity) => Ok((*identity).clone()),
            other => panic!("not a web identity: {other:?}"),
        }
    }

    fn claims(extra: Value) -> Value {
        let mut claims = json!({
            "iss": format!("https://{URL}"), "sub": "alice", "aud": "app",
            "iat": NOW - 10, "exp": NOW + 600,
        });
        for (k, v) in extra.as_object().expect("object") {
            claims[k] = v.clone();
        }
        claims
    }

    fn key<'w>(identity: &'w WebIdentity, name: &str) -> Option<&'w [String]> {
        let wanted = format!("{URL}:{name}");
        identity
            .keys
            .iter()
            .find(|(k, _)| *k == wanted)
            .map(|(_, v)| v.as_slice())
    }

    #[test]
    fn azp_is_the_audience_when_present_and_aud_becomes_oaud() {
        let identity = check(claims(json!({"aud": ["other", "more"], "azp": "app"}))).expect("ok");
        assert_eq!(identity.audience, "app");
        assert_eq!(key(&identity, "aud"), Some(&["app".to_string()][..]));
        assert_eq!(
            key(&identity, "oaud"),
            Some(&["other".to_string(), "more".to_string()][..])
        );
        assert_eq!(key(&identity, "sub"), Some(&["alice".to_string()][..]));
    }

    #[test]
    fn an_audience_among_several_matches_a_client_id() {
        let identity = check(claims(json!({"aud": ["other", "app"]}))).expect("ok");
        assert_eq!(identity.audience, "app");
        assert!(key(&identity, "oaud").is_none());
        let refused = check(claims(json!({"aud": ["other"]}))).expect_err("refused");
        assert_eq!(
            (refused.code, refused.message.as_str()),
            ("InvalidIdentityToken", "Incorrect token audience")
        );
    }

    #[test]
    fn expiry_and_not_before_allow_the_clock_skew_and_no_more() {
        assert!(check(claims(json!({"exp": NOW - CLOCK_SKEW_SECONDS}))).is_ok());
        let expired = check(claims(json!({"exp": NOW - CLOCK_SKEW_SECONDS - 1}))).expect_err("x");
        assert_eq!(expired.code, "ExpiredTokenException");
        assert!(check(claims(json!({"nbf": NOW + CLOCK_SKEW_SECONDS}))).is_ok());
        let early = check(claims(json!({"nbf": NOW + CLOCK_SKEW_SECONDS + 1}))).expect_err("x");
        assert_eq!(early.code, "InvalidIdentityToken");
        let future = check(claims(json!({"iat": NOW + CLOCK_SKEW_SECONDS + 1}))).expect_err("x");
        assert_eq!(future.code, "InvalidIdentityToken");
        let no_expiry = claims(json!({}));
        let mut no_expiry = no_expiry.as_object().cloned().expect("object");
        no_expiry.remove("exp");
        assert!(check(Value::Object(no_expiry)).is_err());
    }

    #[test]
    fn session_tags_and_source_identity_come_from_their_claims() {
        let identity = check(claims(json!({
            TAGS_CLAIM: {"principal_tags": {"team": ["blue"], "cost": ["42"]},
                         "transitive_tag_keys": ["team"]},
            SOURCE_IDENTITY_CLAIM: "alice@example.com",
            "amr": "mfa",
        })))
        .expect("ok");
        let mut tags: Vec<(String, String)> = identity
            .tags
            .iter()
            .map(|t| (t.key.clone(), t.value.clone()))
            .collect();
        tags.sort();
        assert_eq!(
            tags,
            [("cost".into(), "42".into()), ("team".into(), "blue".into())]
        );
        assert_eq!(identity.transitive_tag_keys, ["team"]);
        assert_eq!(
            identity.source_identity.as_deref(),
            Some("alice@example.com")
        );
        assert!(matches!(
            key_value(&format!("{URL}:amr"), key(&identity, "amr").expect("amr")),
            tessera_policy::ContextValue::Multi(_)
        ));
        let bad = check(claims(
            json!({TAGS_CLAIM: {"principal_tags": {"team": ["a", "b"]}}}),
        ));
        assert_eq!(bad.expect_err("x").code, "InvalidIdentityToken");
        let loose = check(claims(
            json!({TAGS_CLAIM: {"principal_tags": {"team": ["a"]},
                                                     "transitive_tag_keys": ["other"]}}),
        ));
        assert_eq!(loose.expect_err("x").code, "InvalidParameterValue");
    }
}
