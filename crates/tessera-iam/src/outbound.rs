//! Outbound identity federation: an account's issuer of JSON Web Tokens
//! for external services, and the two documents an external service reads
//! to verify them (OpenID Connect discovery and the JWKS).
//!
//! AWS's issuer is an AWS-hosted URL unique to the account. Tessera hosts
//! its own: the server's public base URL, then [`ISSUER_PATH_PREFIX`] and
//! the account's issuer id (a random UUID made when the feature is first
//! enabled, kept across disabling, so tokens issued before stay
//! verifiable). The server serves, without authentication,
//! `ISSUER/.well-known/openid-configuration` and
//! `ISSUER/.well-known/jwks.json`; this module gives their contents.

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::jwt_signing::{self, Algorithm, SigningKeyRecord};
use crate::snapshot::Snapshot;

/// The path under the public base URL where issuers live:
/// `PUBLIC_URL/tokens/ISSUER_ID`.
pub const ISSUER_PATH_PREFIX: &str = "/tokens/";

/// The discovery document's path under an issuer.
pub const DISCOVERY_PATH: &str = "/.well-known/openid-configuration";

/// The JWKS's path under an issuer.
pub const JWKS_PATH: &str = "/.well-known/jwks.json";

/// The namespace AWS nests its own claims under.
pub const AWS_CLAIMS_NAMESPACE: &str = "https://sts.amazonaws.com/";

/// An account's outbound federation, as its account record keeps it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutboundFederation {
    /// The issuer id, the last segment of the issuer URL.
    pub issuer_id: String,
    /// Whether principals may get tokens now.
    pub enabled: bool,
    /// The signing keys, one per algorithm.
    pub keys: Vec<SigningKeyRecord>,
}

impl OutboundFederation {
    /// The key that signs with `alg`.
    pub fn key(&self, alg: Algorithm) -> Option<&SigningKeyRecord> {
        self.keys.iter().find(|k| k.alg == alg)
    }
}

/// The issuer URL of issuer `issuer_id` under `public_url`.
pub fn issuer_url(public_url: &str, issuer_id: &str) -> String {
    format!(
        "{}{ISSUER_PATH_PREFIX}{issuer_id}",
        public_url.trim_end_matches('/')
    )
}

/// A document an issuer publishes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Document {
    /// `/.well-known/openid-configuration`.
    Discovery,
    /// `/.well-known/jwks.json`.
    Jwks,
}

/// The issuer id and document a request path names, if it names one:
/// `/tokens/ISSUER_ID/.well-known/openid-configuration` or
/// `…/.well-known/jwks.json`.
pub fn document_path(path: &str) -> Option<(&str, Document)> {
    let rest = path.strip_prefix(ISSUER_PATH_PREFIX)?;
    let (issuer_id, document) = if let Some(id) = rest.strip_suffix(DISCOVERY_PATH) {
        (id, Document::Discovery)
    } else {
        (rest.strip_suffix(JWKS_PATH)?, Document::Jwks)
    };
    let plausible = !issuer_id.is_empty()
        && issuer_id
            .bytes()
            .all(|b| b.is_ascii_hexdigit() || b == b'-');
    plausible.then_some((issuer_id, document))
}

/// The federation whose issuer id is `issuer_id`, in whichever account.
fn by_issuer<'s>(snapshot: &'s Snapshot, issuer_id: &str) -> Option<&'s OutboundFederation> {
    snapshot
        .accounts()
        .filter_map(|a| a.outbound.as_ref())
        .find(|f| f.issuer_id == issuer_id)
}

/// The document `document` of issuer `issuer_id`, as JSON text; `None`
/// when no account has that issuer. Published while the feature is
/// disabled too: disabling does not affect tokens already issued.
pub fn document(
    snapshot: &Snapshot,
    public_url: &str,
    issuer_id: &str,
    document: Document,
) -> Option<String> {
    let federation = by_issuer(snapshot, issuer_id)?;
    let value = match document {
        Document::Discovery => discovery(&issuer_url(public_url, issuer_id)),
        Document::Jwks => json!({
            "keys": federation.keys.iter().map(jwt_signing::jwk).collect::<Vec<_>>(),
        }),
    };
    Some(value.to_string())
}

/// The OpenID Connect discovery document of `issuer`: what a verifier
/// needs (the issuer, where its keys are, the algorithms it signs with).
fn discovery(issuer: &str) -> Value {
    json!({
        "issuer": issuer,
        "jwks_uri": format!("{issuer}{JWKS_PATH}"),
        "response_types_supported": ["id_token"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported":
            Algorithm::ALL.iter().map(|a| a.name()).collect::<Vec<_>>(),
        "claims_supported": ["aud", "exp", "iat", "iss", "jti", "nbf", "sub", AWS_CLAIMS_NAMESPACE],
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn document_paths_name_an_issuer_and_a_document() {
        assert_eq!(
            document_path("/tokens/0a1b-2c/.well-known/openid-configuration"),
            Some(("0a1b-2c", Document::Discovery))
        );
        assert_eq!(
            document_path("/tokens/0a1b/.well-known/jwks.json"),
            Some(("0a1b", Document::Jwks))
        );
        assert_eq!(document_path("/tokens//.well-known/jwks.json"), None);
        assert_eq!(document_path("/tokens/../.well-known/jwks.json"), None);
        assert_eq!(document_path("/tokens/0a1b/jwks.json"), None);
        assert_eq!(document_path("/"), None);
    }

    #[test]
    fn the_issuer_url_joins_the_public_url_without_a_double_slash() {
        assert_eq!(
            issuer_url("http://h:1/", "ab-cd"),
            "http://h:1/tokens/ab-cd"
        );
        assert_eq!(issuer_url("http://h:1", "ab"), "http://h:1/tokens/ab");
    }
}
