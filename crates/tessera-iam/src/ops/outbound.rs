//! Outbound identity federation: IAM's `EnableOutboundWebIdentityFederation`,
//! `DisableOutboundWebIdentityFederation`,
//! `GetOutboundWebIdentityFederationInfo`, and STS's `GetWebIdentityToken`,
//! which signs a JSON Web Token for the caller with the account's keys
//! (see [`crate::outbound`] and [`crate::jwt_signing`]).

use serde_json::{json, Map, Value};
use tessera_store::Outcome;

use super::account::require_account;
use super::{iso8601, Input, OpContext};
use crate::caller::Caller;
use crate::jwt_signing::{self, Algorithm};
use crate::kind::EntityKind;
use crate::outbound::{self, OutboundFederation, AWS_CLAIMS_NAMESPACE};
use crate::records::{RoleBody, Tag, NS_ACCOUNT};
use crate::IamError;

/// A token's lifetime when the request gives none (AWS: five minutes).
pub(super) const DEFAULT_DURATION_SECONDS: u64 = 300;

/// The largest token payload (the claims' JSON) Tessera signs. AWS
/// documents a limit but not its size; this one admits the fifty request
/// tags and fifty principal tags of ordinary length the API allows.
const MAX_PAYLOAD_BYTES: usize = 16 * 1024;

fn feature_enabled() -> IamError {
    IamError::new(
        "FeatureEnabled",
        "Outbound identity federation is already enabled for your account.",
    )
}

fn feature_disabled(message: &str) -> IamError {
    IamError::new("FeatureDisabled", message)
}

/// The caller's account's federation, from the snapshot.
fn federation<'c>(ctx: &'c OpContext<'_>) -> Option<&'c OutboundFederation> {
    ctx.snapshot
        .account(ctx.account())
        .and_then(|a| a.outbound.as_ref())
}

/// `EnableOutboundWebIdentityFederation`: the first time, makes the
/// account's issuer id and signing keys; afterwards turns it back on with
/// the same issuer and keys.
pub(super) fn enable(ctx: &OpContext<'_>, _input: &Value) -> Result<Value, IamError> {
    let account = ctx.account();
    let current = federation(ctx);
    if current.is_some_and(|f| f.enabled) {
        return Err(feature_enabled());
    }
    // Keys are made before the transaction: RSA key generation takes a
    // while, and no write waits for it.
    let fresh = match current {
        Some(_) => None,
        None => Some(OutboundFederation {
            issuer_id: crate::ids::new_request_id(ctx.random),
            enabled: true,
            keys: Algorithm::ALL
                .into_iter()
                .map(|alg| jwt_signing::generate(account, alg, ctx.now_secs(), ctx.random, ctx.kek))
                .collect::<Result<_, _>>()?,
        }),
    };
    let issuer_id = ctx.write(|tx| {
        let mut record = require_account(tx, account)?;
        let federation = match record.outbound.take() {
            Some(f) if f.enabled => return Err(Outcome::Domain(feature_enabled())),
            Some(f) => OutboundFederation { enabled: true, ..f },
            // A federation another node made since the snapshot was
            // taken is kept (the arm above); none is stored here, so the
            // fresh one becomes the account's.
            None => fresh
                .clone()
                .ok_or_else(|| Outcome::Domain(IamError::service_failure()))?,
        };
        let issuer_id = federation.issuer_id.clone();
        record.outbound = Some(federation);
        crate::records::put(tx, NS_ACCOUNT, account, &record)?;
        Ok(issuer_id)
    })?;
    Ok(json!({
        "IssuerIdentifier": outbound::issuer_url(ctx.public_url, &issuer_id),
    }))
}

/// `DisableOutboundWebIdentityFederation`: principals get no more tokens;
/// the issuer keeps publishing its keys for the tokens already issued.
pub(super) fn disable(ctx: &OpContext<'_>, _input: &Value) -> Result<Value, IamError> {
    let account = ctx.account();
    let already =
        || feature_disabled("Outbound identity federation is already disabled for your account.");
    ctx.write(|tx| {
        let mut record = require_account(tx, account)?;
        match record.outbound.as_mut() {
            Some(f) if f.enabled => f.enabled = false,
            _ => return Err(Outcome::Domain(already())),
        }
        crate::records::put(tx, NS_ACCOUNT, account, &record)?;
        Ok(())
    })?;
    Ok(json!({}))
}

/// `GetOutboundWebIdentityFederationInfo`: the issuer and that the feature
/// is on; `FeatureDisabled` while it is off.
pub(super) fn info(ctx: &OpContext<'_>, _input: &Value) -> Result<Value, IamError> {
    match federation(ctx) {
        Some(f) if f.enabled => Ok(json!({
            "IssuerIdentifier": outbound::issuer_url(ctx.public_url, &f.issuer_id),
            "JwtVendingEnabled": true,
        })),
        _ => Err(feature_disabled(
            "Outbound identity federation is not enabled for your account.",
        )),
    }
}

/// `SigningAlgorithm` checked before authorization, as the model's other
/// constraints are: the model gives only its length.
pub(super) fn check_signing_algorithm(input: Input<'_>) -> Result<(), IamError> {
    let name = input.str("SigningAlgorithm").unwrap_or("");
    match Algorithm::from_name(name) {
        Some(_) => Ok(()),
        None => Err(IamError::validation(format!(
            "1 validation error detected: Value '{name}' at 'signingAlgorithm' failed to satisfy constraint: Member must satisfy enum value set: [RS256, ES384]"
        ))),
    }
}

/// The ARN a token names its subject by: the user, the role (not the role
/// session), the federated user or the root.
fn subject_arn(caller: &Caller) -> String {
    match caller {
        Caller::AssumedRole {
            partition,
            account,
            role_name,
            role_path,
            ..
        } => crate::arn::entity(partition, account, EntityKind::Role, role_path, role_name),
        _ => caller.arn(),
    }
}

/// The caller's principal tags (`aws:PrincipalTag`): the user's or role's
/// tags, overridden by session tags of the same key.
fn principal_tags(ctx: &OpContext<'_>) -> Vec<Tag> {
    let mut tags: Vec<Tag> = match ctx.caller {
        Caller::User { user_id, .. } => ctx
            .snapshot
            .user_by_id(user_id)
            .map(|u| u.core.tags.clone())
            .unwrap_or_default(),
        Caller::AssumedRole { role_id, .. } => ctx
            .snapshot
            .get::<RoleBody>(role_id)
            .map(|r| r.core.tags.clone())
            .unwrap_or_default(),
        Caller::Root { .. }
        | Caller::FederatedUser { .. }
        | Caller::WebIdentity(_)
        | Caller::Saml(_) => Vec::new(),
    };
    if let Some(session) = ctx.caller.session() {
        for tag in &session.claims.tags {
            tags.retain(|t| !t.key.eq_ignore_ascii_case(&tag.key));
            tags.push(tag.clone());
        }
    }
    tags
}

fn tag_map(tags: &[Tag]) -> Value {
    Value::Object(
        tags.iter()
            .map(|t| (t.key.clone(), json!(t.value)))
            .collect::<Map<_, _>>(),
    )
}

/// `GetWebIdentityToken`: a JWT signed with the account's key for the
/// algorithm asked, naming the caller, for the audiences asked.
/// Authorization (`sts:GetWebIdentityToken` with its condition keys, and
/// `sts:TagGetWebIdentityToken` when the request passes tags) has decided.
pub(super) fn get_web_identity_token(
    ctx: &OpContext<'_>,
    input: &Value,
) -> Result<Value, IamError> {
    let input = Input(input);
    check_signing_algorithm(input)?;
    let alg = Algorithm::from_name(input.required("SigningAlgorithm")?)
        .ok_or_else(IamError::service_failure)?;
    let audiences = input.strings("Audience");
    let duration = input
        .u64("DurationSeconds")
        .unwrap_or(DEFAULT_DURATION_SECONDS);
    let request_tags = input
        .tags(EntityKind::User)
        .map_err(|e| IamError::new("InvalidParameterValue", e.message))?;
    let federation = federation(ctx).filter(|f| f.enabled).ok_or_else(|| {
        IamError::new(
            "OutboundWebIdentityFederationDisabledException",
            "The outbound web identity federation feature is not enabled for this account.",
        )
    })?;
    let issued = ctx.now_secs();
    let expires = issued.saturating_add(i64::try_from(duration).unwrap_or(i64::MAX));
    if let Some(session) = ctx.caller.session() {
        if expires > session.claims.expires {
            return Err(IamError::new(
                "SessionDurationEscalationException",
                "The requested token duration would extend the session beyond its original expiration time.",
            ));
        }
    }
    let key = federation.key(alg).ok_or_else(|| {
        tracing::error!(
            alg = alg.name(),
            "the account has no token signing key for the algorithm"
        );
        IamError::service_failure()
    })?;

    let subject = subject_arn(ctx.caller);
    let mut aws = Map::new();
    aws.insert("aws_account".into(), json!(ctx.account()));
    aws.insert("principal_id".into(), json!(subject));
    let principal_tags = principal_tags(ctx);
    if !principal_tags.is_empty() {
        aws.insert("principal_tags".into(), tag_map(&principal_tags));
    }
    if !request_tags.is_empty() {
        aws.insert("request_tags".into(), tag_map(&request_tags));
    }
    // One audience is a string, several an array (RFC 7519 §4.1.3), as
    // AWS's sample token shows for one.
    let audience = match audiences.as_slice() {
        [one] => json!(one),
        many => json!(many),
    };
    let claims = json!({
        "iss": outbound::issuer_url(ctx.public_url, &federation.issuer_id),
        "sub": subject,
        "aud": audience,
        "iat": issued,
        "nbf": issued,
        "exp": expires,
        "jti": crate::ids::new_request_id(ctx.random),
        AWS_CLAIMS_NAMESPACE: aws,
    });
    let payload = serde_json::to_vec(&claims).map_err(|_| IamError::service_failure())?;
    if payload.len() > MAX_PAYLOAD_BYTES {
        return Err(IamError::new(
            "JWTPayloadSizeExceededException",
            format!(
                "The token payload is {} bytes, more than the {MAX_PAYLOAD_BYTES} allowed. Pass fewer or shorter request tags.",
                payload.len()
            ),
        ));
    }
    let token = jwt_signing::sign(ctx.account(), key, ctx.kek, &payload)?;
    Ok(json!({
        "WebIdentityToken": token,
        "Expiration": iso8601(expires),
    }))
}
