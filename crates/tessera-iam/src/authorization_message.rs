//! Encoded authorization messages: the details of a refused request that
//! AWS services return, encoded, with their denials, and that
//! `sts:DecodeAuthorizationMessage` turns back into AWS's JSON shape
//! (`allowed`, `explicitDeny`, `matchedStatements`, `failures`,
//! `context` with the principal, action, resource and condition values).
//!
//! A message is sealed under the KEK and bound to the account whose request
//! it describes, so it reveals nothing to whoever holds it, cannot be
//! forged or altered, and only that account's principals can have it
//! decoded. IAM's and STS's own denials keep AWS's plain messages; these
//! are for the authorization of other services' requests.

use base64::Engine as _;
use serde_json::{json, Value};

use crate::crypto::{Kek, Secret};
use crate::ids::Random;
use crate::IamError;

/// A statement that matched the request, as the message lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MatchedStatement {
    /// The statement's `Sid`, or empty.
    pub sid: String,
    /// `Allow` or `Deny`.
    pub effect: String,
    /// The policy it belongs to (its ARN or name), as the message names it.
    pub policy: String,
}

/// What one authorization decided, for the message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthorizationDetails {
    /// Whether the request was allowed.
    pub allowed: bool,
    /// Whether an explicit Deny refused it.
    pub explicit_deny: bool,
    /// The statements that matched.
    pub matched: Vec<MatchedStatement>,
    /// The principal's unique id (`AIDA…`, `AROA…:session`, the account).
    pub principal_id: String,
    /// The principal's ARN.
    pub principal_arn: String,
    /// The action, `service:Action`.
    pub action: String,
    /// The resource ARN.
    pub resource: String,
    /// The condition keys of the request with their values.
    pub conditions: Vec<(String, Vec<String>)>,
}

impl AuthorizationDetails {
    /// AWS's decoded-message document.
    pub fn to_json(&self) -> Value {
        let statements: Vec<Value> = self
            .matched
            .iter()
            .map(|s| {
                json!({
                    "statementId": s.sid,
                    "effect": s.effect,
                    "principals": {"items": [{"value": self.principal_id}]},
                    "principalGroups": {"items": []},
                    "actions": {"items": [{"value": self.action}]},
                    "resources": {"items": [{"value": self.resource}]},
                    "conditions": {"items": []},
                    "policy": s.policy,
                })
            })
            .collect();
        let conditions: Vec<Value> = self
            .conditions
            .iter()
            .map(|(key, values)| {
                let values: Vec<Value> = values.iter().map(|v| json!({ "value": v })).collect();
                json!({ "key": key, "values": { "items": values } })
            })
            .collect();
        json!({
            "allowed": self.allowed,
            "explicitDeny": self.explicit_deny,
            "matchedStatements": { "items": statements },
            "failures": { "items": [] },
            "context": {
                "principal": { "id": self.principal_id, "arn": self.principal_arn },
                "action": self.action,
                "resource": self.resource,
                "conditions": { "items": conditions },
            },
        })
    }
}

fn seal_context(account: &str) -> String {
    format!("authorization-message/{account}")
}

/// The encoded message describing `details` for a request to `account`.
pub fn encode(
    kek: &Kek,
    random: &dyn Random,
    account: &str,
    details: &AuthorizationDetails,
) -> String {
    let document = Secret::new(details.to_json().to_string());
    let sealed = kek.seal(random, &seal_context(account), &document);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(sealed)
}

/// The decoded JSON of a message Tessera encoded for `account`.
///
/// # Errors
///
/// `InvalidAuthorizationMessageException` for text that is not such a
/// message: malformed, altered, sealed under another key, or describing
/// another account's request.
pub fn decode(kek: &Kek, account: &str, encoded: &str) -> Result<String, IamError> {
    let invalid = || {
        IamError::new(
            "InvalidAuthorizationMessageException",
            "The encoded authorization message is not valid.",
        )
    };
    let sealed = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(encoded.trim().as_bytes())
        .map_err(|_| invalid())?;
    let opened = kek
        .open(&seal_context(account), &sealed)
        .map_err(|_| invalid())?;
    Ok(opened.expose().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::OsRandom;

    fn details() -> AuthorizationDetails {
        AuthorizationDetails {
            allowed: false,
            explicit_deny: true,
            matched: vec![MatchedStatement {
                sid: "NoTerminate".into(),
                effect: "Deny".into(),
                policy: "arn:aws:iam::123456789012:policy/guard".into(),
            }],
            principal_id: "AIDAEXAMPLE".into(),
            principal_arn: "arn:aws:iam::123456789012:user/bob".into(),
            action: "ec2:TerminateInstances".into(),
            resource: "arn:aws:ec2:us-east-1:123456789012:instance/i-1".into(),
            conditions: vec![("aws:username".into(), vec!["bob".into()])],
        }
    }

    #[test]
    fn a_message_decodes_to_aws_shape_for_its_account_only() {
        let kek = Kek::from_bytes(&[7; 32]);
        let encoded = encode(&kek, &OsRandom, "123456789012", &details());
        let decoded: Value =
            serde_json::from_str(&decode(&kek, "123456789012", &encoded).unwrap()).unwrap();
        assert_eq!(decoded["explicitDeny"], true);
        assert_eq!(decoded["context"]["action"], "ec2:TerminateInstances");
        assert_eq!(
            decoded["context"]["conditions"]["items"][0]["values"]["items"][0]["value"],
            "bob"
        );
        assert_eq!(
            decoded["matchedStatements"]["items"][0]["statementId"],
            "NoTerminate"
        );
        assert!(decode(&kek, "210987654321", &encoded).is_err());
        assert!(!encoded.contains("TerminateInstances"));
    }

    #[test]
    fn an_altered_or_foreign_message_is_invalid() {
        let kek = Kek::from_bytes(&[7; 32]);
        let encoded = encode(&kek, &OsRandom, "123456789012", &details());
        let mut altered = encoded.clone().into_bytes();
        let last = altered.len() - 3;
        altered[last] = if altered[last] == b'A' { b'B' } else { b'A' };
        let altered = String::from_utf8(altered).unwrap();
        let error = decode(&kek, "123456789012", &altered).unwrap_err();
        assert_eq!(error.code, "InvalidAuthorizationMessageException");
        let other = Kek::from_bytes(&[8; 32]);
        assert!(decode(&other, "123456789012", &encoded).is_err());
        assert!(decode(&kek, "123456789012", "not a message!").is_err());
    }
}
