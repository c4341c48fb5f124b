//! STS operations: `GetCallerIdentity`, `AssumeRole`, `GetSessionToken`,
//! `GetFederationToken`, `GetDelegatedAccessToken`. Credentials are minted with no store write: the
//! session token carries the session (see [`crate::sessions`]).

use serde_json::{json, Value};

use super::packed::PackedSize;
use super::{iso8601, Input, Members, OpContext};
use crate::caller::Caller;
use crate::kind::EntityKind;
use crate::records::Tag;
use crate::sessions::{self, Claims, SessionKind};
use crate::IamError;

/// `GetCallerIdentity`: answered from the credentials alone, and allowed
/// for every authenticated caller, as in AWS.
pub(super) fn get_caller_identity(
    ctx: &OpContext<'_>,
    _input: &Value,
) -> Result<Members, IamError> {
    let mut out = Members::with_capacity(3);
    out.push("UserId", ctx.caller.user_id());
    out.push("Account", ctx.caller.account());
    out.push("Arn", ctx.caller.arn());
    Ok(out)
}

/// `GetAccessKeyInfo`: the account an access key id belongs to, read from
/// the id itself (as AWS does, so it answers for any key, including
/// temporary and deleted ones), or from the key's record for ids issued
/// before ids carried their account.
pub(super) fn get_access_key_info(ctx: &OpContext<'_>, input: &Value) -> Result<Value, IamError> {
    let access_key_id = Input(input).required("AccessKeyId")?;
    let account = match ctx.snapshot.access_key(access_key_id) {
        Some(key) => Some(key.account_id.clone()),
        None => crate::ids::account_of_access_key_id(access_key_id),
    };
    let account = account.ok_or_else(|| {
        IamError::new(
            "InvalidParameterValue",
            format!("The access key ID {access_key_id} is not valid."),
        )
    })?;
    Ok(json!({ "Account": account }))
}

/// `DecodeAuthorizationMessage`: the JSON of a message Tessera encoded
/// for a request to the caller's account.
pub(super) fn decode_authorization_message(
    ctx: &OpContext<'_>,
    input: &Value,
) -> Result<Value, IamError> {
    let encoded = Input(input).required("EncodedMessage")?;
    let decoded = crate::authorization_message::decode(ctx.kek, ctx.caller.account(), encoded)?;
    Ok(json!({ "DecodedMessage": decoded }))
}

/// The most session tags a request may pass.
pub(super) const MAX_SESSION_TAGS: usize = 50;

/// IAM's checks on a role ARN before anything else: six colon-separated
/// parts with a partition, a service and a resource.
pub(super) fn check_role_arn(role_arn: &str) -> Result<(), IamError> {
    let parts: Vec<&str> = role_arn.splitn(6, ':').collect();
    let well_formed = parts.len() == 6
        && parts.first() == Some(&"arn")
        && parts.get(1).is_some_and(|p| !p.is_empty())
        && parts.get(2).is_some_and(|s| !s.is_empty())
        && parts.get(5).is_some_and(|r| !r.is_empty());
    if well_formed {
        Ok(())
    } else {
        Err(IamError::validation(format!("{role_arn} is invalid")))
    }
}

fn invalid_parameter(message: &str) -> IamError {
    IamError::new("InvalidParameterValue", message)
}

/// The session policies a request passes: the inline `Policy` (validated
/// as a session policy) and the `PolicyArns` (AWS-managed or of the
/// account `account`).
pub(super) fn session_policies(
    input: Input<'_>,
) -> Result<(Option<String>, Vec<String>), IamError> {
    let policy = input.str("Policy").map(str::to_string);
    if let Some(document) = &policy {
        let config =
            tessera_policy::ValidationConfig::for_kind(tessera_policy::PolicyKind::Session);
        crate::policies::check(document, &config)?;
    }
    let arns = input
        .0
        .get("PolicyArns")
        .and_then(Value::as_array)
        .map(|list| {
            list.iter()
                .filter_map(|item| item.get("arn").and_then(Value::as_str))
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default();
    Ok((policy, arns))
}

fn credentials_output(minted: &sessions::Minted, expires: i64) -> Value {
    json!({
        "AccessKeyId": minted.access_key_id,
        "SecretAccessKey": minted.secret.expose(),
        "SessionToken": minted.token,
        "Expiration": iso8601(expires),
    })
}

fn newest_key(ctx: &OpContext<'_>) -> Result<std::sync::Arc<sessions::TokenKey>, IamError> {
    ctx.snapshot.newest_token_key().ok_or_else(|| {
        tracing::error!("no session-token key: temporary credentials cannot be issued");
        IamError::service_failure()
    })
}

/// `AssumeRole`. Authorization (the trust policy, the caller's identity
/// policies for another account's role, `sts:TagSession`,
/// `sts:SetSourceIdentity`) has already decided; this checks the request
/// and mints the session.
pub(super) fn assume_role(ctx: &OpContext<'_>, input: &Value) -> Result<Value, IamError> {
    let input = Input(input);
    let role_arn = input.required("RoleArn")?;
    let session_name = input.required("RoleSessionName")?;
    let role = super::authorization::role_by_arn(ctx.snapshot, role_arn).ok_or_else(|| {
        IamError::new(
            "AccessDenied",
            format!(
                "User: {} is not authorized to perform: sts:AssumeRole on resource: {role_arn}",
                ctx.caller.arn()
            ),
        )
    })?;
    let parent = ctx.caller.session().map(|s| &s.claims);
    let chained = matches!(ctx.caller, Caller::AssumedRole { .. });
    let duration = input.u64("DurationSeconds").unwrap_or(3600);
    if chained && duration > 3600 {
        return Err(IamError::validation(
            "The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining.",
        ));
    }
    check_role_duration(role, duration)?;
    let (policy, policy_arns) = session_policies(input)?;
    let mut tags = input
        .tags(EntityKind::Role)
        .map_err(|e| invalid_parameter(&e.message))?;
    if tags.len() > MAX_SESSION_TAGS {
        return Err(IamError::validation(format!(
            "1 validation error detected: Value at 'tags' failed to satisfy constraint: Member must have length less than or equal to {MAX_SESSION_TAGS}"
        )));
    }
    let mut transitive: Vec<String> = input
        .strings("TransitiveTagKeys")
        .into_iter()
        .map(str::to_string)
        .collect();
    if transitive
        .iter()
        .any(|k| !tags.iter().any(|t| t.key.eq_ignore_ascii_case(k)))
    {
        return Err(invalid_parameter(
            "The specified transitive tag key must be included in the requested tags.",
        ));
    }
    // Transitive tags of the calling session pass on, and cannot be
    // set again.
    if let Some(parent) = parent.filter(|_| chained) {
        let inherited: Vec<&Tag> = parent
            .tags
            .iter()
            .filter(|t| {
                parent
                    .transitive_tag_keys
                    .iter()
                    .any(|k| k.eq_ignore_ascii_case(&t.key))
            })
            .collect();
        if inherited
            .iter()
            .any(|t| tags.iter().any(|new| new.key.eq_ignore_ascii_case(&t.key)))
        {
            return Err(invalid_parameter(
                "One of the specified transitive tag keys can't be set because it conflicts with a transitive tag key from the calling session.",
            ));
        }
        for tag in inherited {
            tags.push(tag.clone());
            transitive.push(tag.key.clone());
        }
    }
    let source_identity = match (
        parent.and_then(|p| p.source_identity.clone()),
        input.str("SourceIdentity"),
    ) {
        (Some(existing), Some(asked)) if existing != asked => {
            return Err(IamError::validation(
                "The source identity of a role session cannot be changed.",
            ))
        }
        (Some(existing), _) => Some(existing),
        (None, asked) => asked.map(str::to_string),
    };
    let now = ctx.now_secs();
    let mfa_time = match presented_mfa(ctx, input)? {
        Some(at) => Some(at),
        None => parent.and_then(|p| p.mfa_time),
    };
    let expires = now + i64::try_from(duration).unwrap_or(3600);
    let claims = Claims {
        mfa_time,
        source_identity,
        tags,
        transitive_tag_keys: transitive,
        policy,
        policy_arns,
        chained,
        ..role_session_claims(role, session_name, now, expires)
    };
    role_session_answer(ctx, role, claims)
}

/// AWS's refusal of a `DurationSeconds` above the role's
/// `MaxSessionDuration`, for every way of assuming a role.
pub(super) fn check_role_duration(
    role: &crate::records::RoleRecord,
    duration: u64,
) -> Result<(), IamError> {
    if duration > u64::from(role.body.max_session_duration) {
        return Err(IamError::validation(
            "The requested DurationSeconds exceeds the MaxSessionDuration set for this role.",
        ));
    }
    Ok(())
}

/// The claims of a session of `role` named `session_name`, issued at
/// `issued` until `expires`, with nothing else: no MFA, tags, source
/// identity, session policies or federation. Each way of assuming a role
/// sets what it carries on top.
pub(super) fn role_session_claims(
    role: &crate::records::RoleRecord,
    session_name: &str,
    issued: i64,
    expires: i64,
) -> Claims {
    Claims {
        principal_id: Some(role.core.id.clone()),
        path: role.core.path.clone(),
        session_name: Some(session_name.to_string()),
        ..Claims::new(
            SessionKind::Role,
            role.core.account_id.clone(),
            role.core.partition.clone(),
            role.core.name.clone(),
            issued,
            expires,
        )
    }
}

/// Mints a role session of `role` for `claims` and answers what
/// `AssumeRole` and its federated forms share: the credentials, the
/// assumed-role user, the packed size of the session policies and tags,
/// the source identity.
pub(super) fn role_session_answer(
    ctx: &OpContext<'_>,
    role: &crate::records::RoleRecord,
    claims: Claims,
) -> Result<Value, IamError> {
    let session_name = claims.session_name.clone().unwrap_or_default();
    let expires = claims.expires;
    let carries_policies_or_tags =
        claims.policy.is_some() || !claims.policy_arns.is_empty() || !claims.tags.is_empty();
    let packed = PackedSize::of(
        claims.policy.as_deref(),
        &claims.policy_arns,
        &claims.tags,
        &claims.transitive_tag_keys,
    )
    .check()?;
    let source_identity = claims.source_identity.clone();
    let minted = sessions::mint(&*newest_key(ctx)?, claims, ctx.random)?;
    let mut out = json!({
        "Credentials": credentials_output(&minted, expires),
        "AssumedRoleUser": {
            "AssumedRoleId": format!("{}:{session_name}", role.core.id),
            "Arn": format!(
                "arn:{}:sts::{}:assumed-role/{}/{session_name}",
                role.core.partition, role.core.account_id, role.core.name
            ),
        },
    });
    if carries_policies_or_tags {
        out["PackedPolicySize"] = json!(packed);
    }
    if let Some(source) = source_identity {
        out["SourceIdentity"] = json!(source);
    }
    Ok(out)
}

/// The MFA a request presents (`SerialNumber` and `TokenCode`): the code
/// checked against the calling user's device, once. Answers when MFA was
/// presented (now), or `None` when the request presents none.
fn presented_mfa(ctx: &OpContext<'_>, input: Input<'_>) -> Result<Option<i64>, IamError> {
    let (serial, code) = match (input.str("SerialNumber"), input.str("TokenCode")) {
        (None, None) => return Ok(None),
        (Some(serial), Some(code)) => (serial, code),
        _ => {
            return Err(IamError::new(
                "AccessDenied",
                "MultiFactorAuthentication failed with invalid MFA one time pass code.",
            ))
        }
    };
    let Caller::User { user_id, .. } = ctx.caller else {
        return Err(IamError::new(
            "AccessDenied",
            "MultiFactorAuthentication failed with invalid MFA one time pass code.",
        ));
    };
    super::mfa::check_code(ctx, user_id, serial, code)?;
    Ok(Some(ctx.now_secs()))
}

/// The duration of a `GetSessionToken` or `GetFederationToken` session:
/// 12 hours by default, at most 36 (1 for the root).
fn long_session_duration(ctx: &OpContext<'_>, input: Input<'_>) -> Result<i64, IamError> {
    let duration = input.u64("DurationSeconds").unwrap_or(43_200);
    if ctx.caller.is_root() && duration > 3600 {
        return Err(IamError::validation(
            "The requested DurationSeconds exceeds the 1 hour session limit for the root user.",
        ));
    }
    Ok(i64::try_from(duration).unwrap_or(43_200))
}

/// The long-term caller behind a `GetSessionToken`/`GetFederationToken`,
/// which must not be called with session credentials.
fn require_long_term(ctx: &OpContext<'_>, operation: &str) -> Result<(), IamError> {
    if ctx.caller.session().is_some() {
        return Err(IamError::new(
            "AccessDenied",
            format!("Cannot call {operation} with session credentials"),
        ));
    }
    Ok(())
}

/// `GetSessionToken`: a session of the calling user (or root), with MFA
/// when a code is given.
pub(super) fn get_session_token(ctx: &OpContext<'_>, input: &Value) -> Result<Value, IamError> {
    let input = Input(input);
    require_long_term(ctx, "GetSessionToken")?;
    let duration = long_session_duration(ctx, input)?;
    let mfa_time = presented_mfa(ctx, input)?;
    let now = ctx.now_secs();
    let (kind, principal_id, name, path) = match ctx.caller {
        Caller::User {
            user_id,
            name,
            path,
            ..
        } => (
            SessionKind::User,
            Some(user_id.clone()),
            name.clone(),
            path.clone(),
        ),
        _ => (SessionKind::Root, None, String::new(), "/".to_string()),
    };
    let claims = Claims {
        principal_id,
        path,
        mfa_time,
        ..Claims::new(
            kind,
            ctx.account().to_string(),
            ctx.caller.partition().to_string(),
            name,
            now,
            now + duration,
        )
    };
    let minted = sessions::mint(&*newest_key(ctx)?, claims, ctx.random)?;
    Ok(super::one_member(
        "Credentials",
        credentials_output(&minted, now + duration),
    ))
}

/// `GetFederationToken`: a federated-user session whose permissions are
/// the caller's intersected with the session policies passed.
pub(super) fn get_federation_token(ctx: &OpContext<'_>, input: &Value) -> Result<Value, IamError> {
    let input = Input(input);
    require_long_term(ctx, "GetFederationToken")?;
    let name = input.required("Name")?;
    let duration = long_session_duration(ctx, input)?;
    let (policy, policy_arns) = session_policies(input)?;
    let tags = input
        .tags(EntityKind::Role)
        .map_err(|e| invalid_parameter(&e.message))?;
    let packed = PackedSize::of(policy.as_deref(), &policy_arns, &tags, &[]).check()?;
    let now = ctx.now_secs();
    let federating_user_id = match ctx.caller {
        Caller::User { user_id, .. } => Some(user_id.clone()),
        _ => None,
    };
    let claims = Claims {
        federating_user_id,
        tags,
        policy,
        policy_arns,
        ..Claims::new(
            SessionKind::Federated,
            ctx.account().to_string(),
            ctx.caller.partition().to_string(),
            name.to_string(),
            now,
            now + duration,
        )
    };
    let minted = sessions::mint(&*newest_key(ctx)?, claims, ctx.random)?;
    let account = ctx.account();
    Ok(json!({
        "Credentials": credentials_output(&minted, now + duration),
        "FederatedUser": {
            "FederatedUserId": format!("{account}:{name}"),
            "Arn": format!("arn:{}:sts::{account}:federated-user/{name}", ctx.caller.partition()),
        },
        "PackedPolicySize": packed,
    }))
}

/// `GetDelegatedAccessToken`: the partner trades the exchange token of a
/// finalized delegation request for a session of the identity that
/// accepted it, limited by the request's permission policy (a session
/// policy) and ending with the delegation period.
pub(super) fn get_delegated_access_token(
    ctx: &OpContext<'_>,
    input: &Value,
) -> Result<Value, IamError> {
    let token = Input(input).required("TradeInToken")?;
    let redeemed = super::delegation::redeem(ctx, token)?;
    let (request, approver) = (redeemed.request, redeemed.approver);
    let account = request
        .owner_account
        .clone()
        .ok_or_else(IamError::service_failure)?;
    let claims = Claims {
        principal_id: approver.principal_id.clone(),
        path: approver.path.clone(),
        session_name: approver.session_name.clone(),
        policy: Some(request.permission_policy.clone()),
        delegation_request: Some(request.id.clone()),
        ..Claims::new(
            approver.kind,
            account,
            request.partition.clone(),
            approver.name.clone(),
            ctx.now_secs(),
            redeemed.ends,
        )
    };
    let minted = sessions::mint(&*newest_key(ctx)?, claims, ctx.random)?;
    Ok(json!({
        "Credentials": credentials_output(&minted, redeemed.ends),
        "AssumedPrincipal": approver.arn,
    }))
}
