//! `AssumeRoleWithWebIdentity`: a role session for the bearer of an
//! OpenID Connect token. The token was verified before authorization (see
//! [`crate::web_identity`]), so the caller is the verified
//! [`crate::web_identity::WebIdentity`], and the role's trust policy has
//! allowed it (with `sts:TagSession` for the token's session tags and
//! `sts:SetSourceIdentity` for its source identity); this checks the
//! request and mints the session.

use serde_json::{json, Value};

use super::sts::{check_role_duration, role_session_answer, role_session_claims, session_policies};
use super::{Input, OpContext};
use crate::sessions::{Claims, FederatedClaims};
use crate::IamError;

fn not_authorized() -> IamError {
    IamError::new(
        "AccessDenied",
        "Not authorized to perform sts:AssumeRoleWithWebIdentity",
    )
}

pub(super) fn assume_role_with_web_identity(
    ctx: &OpContext<'_>,
    input: &Value,
) -> Result<Value, IamError> {
    let input = Input(input);
    let identity = ctx.caller.web_identity().ok_or_else(not_authorized)?;
    let role_arn = input.required("RoleArn")?;
    let session_name = input.required("RoleSessionName")?;
    let role =
        super::authorization::role_by_arn(ctx.snapshot, role_arn).ok_or_else(not_authorized)?;
    let duration = input.u64("DurationSeconds").unwrap_or(3600);
    check_role_duration(role, duration)?;
    let (policy, policy_arns) = session_policies(input)?;
    let now = ctx.now_secs();
    let expires = now + i64::try_from(duration).unwrap_or(3600);
    let claims = Claims {
        source_identity: identity.source_identity.clone(),
        tags: identity.tags.clone(),
        transitive_tag_keys: identity.transitive_tag_keys.clone(),
        policy,
        policy_arns,
        web_identity: Some(FederatedClaims {
            provider_arn: identity.provider_arn.clone(),
            keys: identity.keys.clone(),
        }),
        ..role_session_claims(role, session_name, now, expires)
    };
    let mut out = role_session_answer(ctx, role, claims)?;
    out["SubjectFromWebIdentityToken"] = json!(identity.subject);
    out["Provider"] = json!(identity.provider_arn);
    out["Audience"] = json!(identity.audience);
    Ok(out)
}
