//! `AssumeRoleWithSAML`. The caller is the verified assertion
//! ([`crate::saml::identity`]), resolved before authorization; the
//! role's trust policy has allowed its `Federated` principal with the
//! `saml:*` keys (and `sts:TagSession` when the assertion carries
//! session tags). This checks the request and mints the role session.

use serde_json::{json, Value};

use super::sts::{check_role_duration, role_session_answer, role_session_claims, session_policies};
use super::{Input, OpContext};
use crate::sessions::Claims;
use crate::IamError;

/// The longest session the request may ask for when neither the role
/// nor the assertion says less.
const DEFAULT_DURATION_SECS: u64 = 3600;

pub(super) fn assume_role_with_saml(ctx: &OpContext<'_>, input: &Value) -> Result<Value, IamError> {
    let input = Input(input);
    let Some(identity) = ctx.caller.saml() else {
        // Only a verified assertion reaches here (the table's caller for
        // this operation); anything else is refused as AWS refuses a
        // trust it cannot establish.
        return Err(IamError::new(
            "AccessDenied",
            "Not authorized to perform sts:AssumeRoleWithSAML",
        ));
    };
    let role_arn = input.required("RoleArn")?;
    let role = super::authorization::role_by_arn(ctx.snapshot, role_arn)
        .filter(|_| identity.role_arn == role_arn)
        .filter(|r| r.core.account_id == identity.account)
        .ok_or_else(|| {
            IamError::new(
                "AccessDenied",
                "Not authorized to perform sts:AssumeRoleWithSAML",
            )
        })?;
    let requested = input
        .u64("DurationSeconds")
        .unwrap_or(DEFAULT_DURATION_SECS);
    check_role_duration(role, requested)?;
    let now = ctx.now_secs();
    // The assertion's SessionDuration and the authentication session's
    // end both shorten the session; neither lengthens it.
    let mut duration = i64::try_from(requested).unwrap_or(3600);
    if let Some(cap) = identity.session_duration {
        duration = duration.min(i64::try_from(cap).unwrap_or(duration));
    }
    if let Some(end) = identity.claims.session_not_on_or_after {
        duration = duration.min(end - now);
    }
    if duration <= 0 {
        return Err(IamError::new(
            "ExpiredTokenException",
            "The SAML assertion is expired or not yet valid.",
        ));
    }
    let (policy, policy_arns) = session_policies(input).map_err(|e| {
        if e.code == "MalformedPolicyDocument" {
            e
        } else {
            IamError::new("MalformedPolicyDocument", e.message)
        }
    })?;
    // No `web_identity` claims: AWS documents `aws:FederatedProvider` in
    // the sessions of roles assumed through an OIDC provider only (IAM
    // User Guide, global condition context keys), so a SAML session's
    // requests carry neither it nor the `saml:*` keys of its trust policy.
    let claims = Claims {
        source_identity: identity.source_identity.clone(),
        tags: identity.tags.clone(),
        transitive_tag_keys: identity.transitive_tag_keys.clone(),
        policy,
        policy_arns,
        ..role_session_claims(role, &identity.session_name, now, now + duration)
    };
    let mut out = role_session_answer(ctx, role, claims)?;
    let saml = json!({
        "Subject": identity.claims.subject,
        "SubjectType": identity.claims.subject_type,
        "Issuer": identity.claims.issuer,
        "Audience": identity.claims.recipient,
        "NameQualifier": identity.name_qualifier,
    });
    if let (Some(out), Value::Object(saml)) = (out.as_object_mut(), saml) {
        out.extend(saml);
    }
    Ok(out)
}
