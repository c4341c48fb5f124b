//! Delegation requests (IAM temporary delegation): a partner account (the
//! requestor) asks for permissions in a customer account (the owner
//! account); the customer associates the request with one of its
//! identities (the owner), may forward it for approval, accepts or rejects
//! it, and releases the exchange token, which the partner trades for
//! temporary credentials (`sts:GetDelegatedAccessToken`, in
//! [`super::sts`]).
//!
//! The states and their lifetimes are AWS's:
//!
//! | from | operation | to | expires after |
//! |---|---|---|---|
//! | — | `CreateDelegationRequest` | `UNASSIGNED` | 1 day |
//! | `UNASSIGNED` | `AssociateDelegationRequest` | `ASSIGNED` | 7 days |
//! | `ASSIGNED`, `PENDING_APPROVAL` | `UpdateDelegationRequest` | `PENDING_APPROVAL` | 7 days |
//! | `ASSIGNED`, `PENDING_APPROVAL` | `AcceptDelegationRequest` | `ACCEPTED` | 7 days |
//! | `ASSIGNED`, `PENDING_APPROVAL`, `ACCEPTED` | `RejectDelegationRequest` | `REJECTED` | 7 days |
//! | `ACCEPTED` | `SendDelegationToken` | `FINALIZED` | 7 days |
//!
//! A request past its expiry reads as `EXPIRED` (terminal). Who may see a
//! request: its requestor account, any account while no owner account is
//! set, and afterwards only the owner account. Who may act on it: callers
//! of the owner account, with the IAM permissions for the action; the
//! owner (the identity that associated it) has default permission to get,
//! summarize, update, reject it and send its token, as a resource policy
//! of the request would grant (see [`owner_default_policy`]).
//!
//! `SendDelegationToken` cannot publish to the partner's SNS topic: it
//! keeps the exchange token, sealed under the KEK, on the request, where
//! the operator reads it for the partner with `tessera delegation token`
//! ([`sent_token`]).

use serde_json::{json, Value};
use tessera_store::{Backend, Outcome};

use super::delegation_template as template;
use super::keyed::{self, Keyed};
use super::paging;
use super::{iso8601, Input, OpContext};
use crate::caller::Caller;
use crate::crypto::{Kek, Secret};
use crate::records::{
    self, DelegationApprover, DelegationRequestRecord, DelegationState as State, Ns,
};
use crate::sessions::SessionKind;
use crate::IamError;

const DAY: i64 = 24 * 3600;
/// How long a request waits to be associated.
const UNASSIGNED_LIFETIME: i64 = DAY;
/// How long a request waits in every later state.
const ASSIGNED_LIFETIME: i64 = 7 * DAY;
/// The longest delegated session the root may approve (4 hours).
const ROOT_MAX_SESSION_SECONDS: u32 = 4 * 3600;
/// The actions the owner of a request may call on it without a policy.
const OWNER_DEFAULT_ACTIONS: [&str; 5] = [
    "iam:GetDelegationRequest",
    "iam:GetHumanReadableSummary",
    "iam:UpdateDelegationRequest",
    "iam:RejectDelegationRequest",
    "iam:SendDelegationToken",
];

impl Keyed for DelegationRequestRecord {
    const NS: Ns = Ns::DelegationRequest;
    const KEY_MEMBER: &'static str = "DelegationRequestId";
    fn key(&self) -> &str {
        &self.id
    }
    fn account(&self) -> &str {
        &self.requestor_account
    }
    fn visible_to(&self, account: &str) -> bool {
        self.requestor_account == account
            || self.owner_account.as_deref().is_none_or(|o| o == account)
    }
    fn missing(key: &str) -> IamError {
        not_found(key)
    }
    fn lookup<'s>(snapshot: &'s crate::snapshot::Snapshot, key: &str) -> Option<&'s Self> {
        snapshot.delegation_request(key)
    }
}

fn not_found(id: &str) -> IamError {
    IamError::new(
        "NoSuchEntity",
        format!("The delegation request with id {id} cannot be found."),
    )
}

/// The ARN of a delegation request as a caller of `account` names it.
/// Each party authorizes the request through its own account: the
/// partner's policies name its account, the customer's theirs.
pub(crate) fn request_arn(partition: &str, account: &str, id: &str) -> String {
    format!("arn:{partition}:iam::{account}:delegation-request/{id}")
}

/// The request id an `EntityArn` names, when it names a delegation
/// request (`arn:PARTITION:iam::ACCOUNT:delegation-request/ID`).
pub(crate) fn id_in_arn(entity_arn: &str) -> Option<&str> {
    let parts: Vec<&str> = entity_arn.splitn(6, ':').collect();
    match parts.as_slice() {
        ["arn", partition, "iam", "", account, resource]
            if !partition.is_empty()
                && account.len() == 12
                && account.bytes().all(|b| b.is_ascii_digit()) =>
        {
            let id = resource.strip_prefix("delegation-request/")?;
            let well_formed = (16..=128).contains(&id.len())
                && id
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
            well_formed.then_some(id)
        }
        _ => None,
    }
}

/// `GetHumanReadableSummary`'s check before authorization: only
/// delegation requests have summaries.
pub(crate) fn check_summary_entity(entity_arn: &str) -> Result<(), IamError> {
    match id_in_arn(entity_arn) {
        Some(_) => Ok(()),
        None => Err(IamError::invalid_input(format!(
            "Summaries are available only for delegation requests; {entity_arn} is not a delegation request ARN."
        ))),
    }
}

/// The default permissions of a request's owner, as a resource policy of
/// the request as `resource_arn` names it; none before it has an owner,
/// or for callers outside its owner account.
pub(crate) fn owner_default_policy(
    record: &DelegationRequestRecord,
    caller_account: &str,
    resource_arn: &str,
) -> Option<String> {
    let owner = record.owner_id.as_deref()?;
    if record.owner_account.as_deref() != Some(caller_account) {
        return None;
    }
    Some(
        json!({
            "Version": "2012-10-17",
            "Statement": [{
                "Sid": "DelegationRequestOwner",
                "Effect": "Allow",
                "Principal": { "AWS": owner },
                "Action": OWNER_DEFAULT_ACTIONS,
                "Resource": resource_arn,
            }],
        })
        .to_string(),
    )
}

/// The request as IAM's `DelegationRequest` shape, at `now`.
fn output(record: &DelegationRequestRecord, now: i64) -> Value {
    let mut out = json!({
        "DelegationRequestId": record.id,
        "Description": record.description,
        "Permissions": record.permissions,
        "PermissionPolicy": record.permission_policy,
        "RolePermissionRestrictionArns": boundaries_in(&record.permission_policy),
        "State": record.state_at(now).as_str(),
        "ExpirationTime": iso8601(record.expires),
        "RequestorId": record.requestor_account,
        "CreateDate": iso8601(record.created),
        "SessionDuration": record.session_duration,
        "OnlySendByOwner": record.only_send_by_owner,
        "UpdatedTime": iso8601(record.updated),
    });
    let optional = [
        ("OwnerAccountId", record.owner_account.as_deref()),
        ("OwnerId", record.owner_id.as_deref()),
        ("RequestMessage", record.request_message.as_deref()),
        ("RedirectUrl", record.redirect_url.as_deref()),
        ("Notes", record.notes.as_deref()),
        ("RejectionReason", record.rejection_reason.as_deref()),
        (
            "ApproverId",
            record.approver.as_ref().map(|a| a.arn.as_str()),
        ),
    ];
    for (member, value) in optional {
        if let Some(value) = value {
            out[member] = json!(value);
        }
    }
    out
}

/// The permissions boundaries a permission policy requires of the roles
/// it lets the partner create (`iam:PermissionsBoundary` conditions of
/// statements that allow `iam:CreateRole`).
fn boundaries_in(policy: &str) -> Vec<String> {
    let Ok(document) = serde_json::from_str::<Value>(policy) else {
        return Vec::new();
    };
    let statements = match document.get("Statement") {
        Some(Value::Array(list)) => list.clone(),
        Some(single) => vec![single.clone()],
        None => Vec::new(),
    };
    let mut out: Vec<String> = Vec::new();
    for statement in &statements {
        let creates_roles = match statement.get("Action") {
            Some(Value::String(a)) => a == "iam:CreateRole" || a == "iam:*" || a == "*",
            Some(Value::Array(list)) => list.iter().any(|a| {
                matches!(
                    a.as_str(),
                    Some("iam:CreateRole") | Some("iam:*") | Some("*")
                )
            }),
            _ => false,
        };
        let Some(Value::Object(operators)) = statement.get("Condition") else {
            continue;
        };
        if !creates_roles {
            continue;
        }
        for keys in operators.values() {
            let Some(values) = keys.get("iam:PermissionsBoundary") else {
                continue;
            };
            let values = match values {
                Value::String(v) => vec![v.clone()],
                Value::Array(list) => list
                    .iter()
                    .filter_map(Value::as_str)
                    .map(str::to_string)
                    .collect(),
                _ => Vec::new(),
            };
            for value in values {
                if !out.contains(&value) {
                    out.push(value);
                }
            }
        }
    }
    out
}

/// `CreateDelegationRequest`, by the partner. Every check (notification
/// channel, template, parameters, rendered policy, workflow id) comes
/// before the write.
pub(super) fn create(ctx: &OpContext<'_>, input: &Value) -> Result<Value, IamError> {
    let input = Input(input);
    let description = input.required("Description")?;
    let workflow_id = input.required("RequestorWorkflowId")?;
    let channel = input.required("NotificationChannel")?;
    let duration = input
        .u64("SessionDuration")
        .and_then(|d| u32::try_from(d).ok())
        .ok_or_else(|| IamError::invalid_input("SessionDuration is required."))?;
    check_channel(ctx.caller.partition(), channel)?;
    let permissions = input.0.get("Permissions").cloned().unwrap_or(json!({}));
    let template_arn = permissions
        .get("PolicyTemplateArn")
        .and_then(Value::as_str)
        .ok_or_else(|| IamError::invalid_input("Permissions must name a PolicyTemplateArn."))?;
    let parameters = template::parameters(&permissions)?;
    let document = template::template_document(ctx, template_arn)?;
    let policy = template::render(&document, &parameters)?;
    let config = tessera_policy::ValidationConfig::for_kind(tessera_policy::PolicyKind::Session);
    crate::policies::check(&policy, &config).map_err(|e| {
        IamError::invalid_input(format!(
            "The rendered permission policy is not valid: {}",
            e.message
        ))
    })?;
    let now = ctx.now_secs();
    let record = DelegationRequestRecord {
        id: crate::ids::new_request_id(ctx.random),
        partition: ctx.caller.partition().to_string(),
        requestor_account: ctx.account().to_string(),
        owner_account: input.str("OwnerAccountId").map(str::to_string),
        owner_id: None,
        description: description.to_string(),
        request_message: input.str("RequestMessage").map(str::to_string),
        permissions,
        permission_policy: policy,
        workflow_id: workflow_id.to_string(),
        redirect_url: input.str("RedirectUrl").map(str::to_string),
        notification_channel: channel.to_string(),
        session_duration: duration,
        only_send_by_owner: input.bool("OnlySendByOwner").unwrap_or(false),
        state: State::Unassigned,
        created: now,
        updated: now,
        expires: now + UNASSIGNED_LIFETIME,
        notes: None,
        rejection_reason: None,
        approver: None,
        token_sent: None,
        sealed_token: None,
    };
    ctx.write(|tx| {
        // The workflow id is unique among the requestor's requests.
        let taken = records::scan_all(tx, Ns::DelegationRequest.as_str(), "")?
            .iter()
            .filter_map(|(key, value)| {
                records::decode::<DelegationRequestRecord>(
                    Ns::DelegationRequest.as_str(),
                    key,
                    value,
                )
                .ok()
            })
            .any(|r| {
                r.requestor_account == record.requestor_account && r.workflow_id == workflow_id
            });
        if taken {
            return Err(Outcome::Domain(IamError::new(
                "EntityAlreadyExists",
                format!("A delegation request with workflow id {workflow_id} already exists."),
            )));
        }
        keyed::save(tx, &record)
    })?;
    Ok(json!({ "DelegationRequestId": record.id }))
}

/// The notification channel must be an SNS topic ARN of the caller's
/// partition, as AWS accepts only those.
fn check_channel(partition: &str, channel: &str) -> Result<(), IamError> {
    let parts: Vec<&str> = channel.splitn(6, ':').collect();
    let topic = match parts.as_slice() {
        ["arn", p, "sns", region, account, topic] => {
            *p == partition
                && !region.is_empty()
                && account.len() == 12
                && account.bytes().all(|b| b.is_ascii_digit())
                && !topic.is_empty()
        }
        _ => false,
    };
    if topic {
        Ok(())
    } else {
        Err(IamError::invalid_input(format!(
            "NotificationChannel must be an SNS topic ARN, not {channel}."
        )))
    }
}

/// `GetDelegationRequest`.
pub(super) fn get(ctx: &OpContext<'_>, input: &Value) -> Result<Value, IamError> {
    let input = Input(input);
    let id = input.required("DelegationRequestId")?;
    let record: &DelegationRequestRecord = keyed::get(ctx, id)?;
    let mut out = json!({ "DelegationRequest": output(record, ctx.now_secs()) });
    if input.bool("DelegationPermissionCheck") == Some(true) {
        let (status, result) = permission_check(ctx.caller);
        out["PermissionCheckStatus"] = json!(status);
        if let Some(result) = result {
            out["PermissionCheckResult"] = json!(result);
        }
    }
    Ok(out)
}

/// Whether the caller's permissions cover the request: known for the
/// root (who may do everything in its account); for any other identity
/// Tessera does not compute it and says so.
fn permission_check(caller: &Caller) -> (&'static str, Option<&'static str>) {
    if caller.is_root() {
        ("COMPLETE", Some("ALLOWED"))
    } else {
        ("COMPLETE", Some("UNSURE"))
    }
}

/// `ListDelegationRequests`: the requests owned in the caller's account
/// (a request without an owner is not listed, even when it targets the
/// account), optionally of one owner, in id order, paged.
pub(super) fn list(ctx: &OpContext<'_>, input: &Value) -> Result<Value, IamError> {
    let input = Input(input);
    let owner = input.str("OwnerId");
    let now = ctx.now_secs();
    let owned = ctx.snapshot.delegation_requests().into_iter().filter(|r| {
        r.owner_account.as_deref() == Some(ctx.account())
            && r.owner_id.is_some()
            && owner.is_none_or(|o| r.owner_id.as_deref() == Some(o))
    });
    let page = paging::page(input, owned, |r| r.id.clone())?;
    let mut out = serde_json::Map::new();
    out.insert(
        "DelegationRequests".into(),
        Value::Array(page.items.iter().map(|r| output(r, now)).collect()),
    );
    // This output writes its truncation flag `isTruncated`.
    let mut out = page.finish(out);
    if let Some(object) = out.as_object_mut() {
        if let Some(flag) = object.remove("IsTruncated") {
            object.insert("isTruncated".into(), flag);
        }
    }
    Ok(out)
}

/// What one state change requires and does.
struct Transition {
    /// The action, for refusals (`iam:AcceptDelegationRequest`).
    action: &'static str,
    /// The verb, for wrong-state refusals (`accepted`).
    verb: &'static str,
    /// The states it leaves from.
    from: &'static [State],
    /// The state it leads to.
    to: State,
    /// The error code a request in another state is refused with: the
    /// model's `InvalidInput`, or `ConcurrentModification` where the
    /// operation has no `InvalidInput`.
    wrong_state: &'static str,
}

/// Applies `transition` to request `id` for the caller, with `work` for
/// what the operation changes besides the state.
fn transition(
    ctx: &OpContext<'_>,
    id: &str,
    transition: &Transition,
    mut work: impl FnMut(&mut DelegationRequestRecord) -> Result<(), IamError>,
) -> Result<DelegationRequestRecord, IamError> {
    let now = ctx.now_secs();
    ctx.write(|tx| {
        let mut record: DelegationRequestRecord = keyed::require(tx, ctx.account(), id)?;
        let state = record.state_at(now);
        // Every change but the association is made from the owner account.
        if transition.to != State::Assigned
            && record.owner_account.as_deref() != Some(ctx.account())
        {
            return Err(Outcome::Domain(not_authorized(ctx, transition.action, id)));
        }
        if !transition.from.contains(&state) {
            let message = if state == State::Expired {
                format!("Delegation request {id} has expired.")
            } else {
                format!(
                    "Delegation request {id} is in state {} and cannot be {}.",
                    state.as_str(),
                    transition.verb
                )
            };
            return Err(Outcome::Domain(IamError::new(
                transition.wrong_state,
                message,
            )));
        }
        work(&mut record).map_err(Outcome::Domain)?;
        record.state = transition.to;
        record.updated = now;
        record.expires = now + ASSIGNED_LIFETIME;
        keyed::save(tx, &record)?;
        Ok(record.clone())
    })
}

/// IAM's refusal of an action on a request the caller sees but may not
/// change.
fn not_authorized(ctx: &OpContext<'_>, action: &str, id: &str) -> IamError {
    IamError::new(
        "AccessDenied",
        format!(
            "User: {} is not authorized to perform: {action} on resource: {}",
            ctx.caller.arn(),
            request_arn(ctx.caller.partition(), ctx.account(), id)
        ),
    )
}

/// `AssociateDelegationRequest`: the caller becomes the owner.
pub(super) fn associate(ctx: &OpContext<'_>, input: &Value) -> Result<Value, IamError> {
    let id = Input(input).required("DelegationRequestId")?;
    let owner = ctx.caller.arn();
    transition(
        ctx,
        id,
        &Transition {
            action: "iam:AssociateDelegationRequest",
            verb: "associated",
            from: &[State::Unassigned],
            to: State::Assigned,
            wrong_state: "InvalidInput",
        },
        |record| {
            if let Some(target) = &record.owner_account {
                if target != ctx.account() {
                    return Err(not_found(id));
                }
            }
            record.owner_account = Some(ctx.account().to_string());
            record.owner_id = Some(owner.clone());
            Ok(())
        },
    )?;
    Ok(json!({}))
}

/// `UpdateDelegationRequest`: notes added, forwarded for approval.
pub(super) fn update(ctx: &OpContext<'_>, input: &Value) -> Result<Value, IamError> {
    let input = Input(input);
    let id = input.required("DelegationRequestId")?;
    let notes = input.str("Notes").map(str::to_string);
    transition(
        ctx,
        id,
        &Transition {
            action: "iam:UpdateDelegationRequest",
            verb: "updated",
            from: &[State::Assigned, State::PendingApproval],
            to: State::PendingApproval,
            wrong_state: "InvalidInput",
        },
        |record| {
            if notes.is_some() {
                record.notes = notes.clone();
            }
            Ok(())
        },
    )?;
    Ok(json!({}))
}

/// `AcceptDelegationRequest`: the caller's identity is recorded as the
/// one the delegated credentials act as.
pub(super) fn accept(ctx: &OpContext<'_>, input: &Value) -> Result<Value, IamError> {
    let id = Input(input).required("DelegationRequestId")?;
    let approver = approver_of(ctx.caller)
        .ok_or_else(|| not_authorized(ctx, "iam:AcceptDelegationRequest", id))?;
    transition(
        ctx,
        id,
        &Transition {
            action: "iam:AcceptDelegationRequest",
            verb: "accepted",
            from: &[State::Assigned, State::PendingApproval],
            to: State::Accepted,
            wrong_state: "ConcurrentModification",
        },
        |record| {
            if ctx.caller.is_root() && record.session_duration > ROOT_MAX_SESSION_SECONDS {
                return Err(IamError::new(
                    "AccessDenied",
                    "The root user can only approve delegation requests with a session duration of 4 hours or less.",
                ));
            }
            record.approver = Some(approver.clone());
            Ok(())
        },
    )?;
    Ok(json!({}))
}

/// The identity a caller is, as the delegated session will be. A
/// federated user cannot be delegated (its sessions never call IAM).
fn approver_of(caller: &Caller) -> Option<DelegationApprover> {
    let arn = caller.arn();
    match caller {
        Caller::Root { .. } => Some(DelegationApprover {
            arn,
            kind: SessionKind::Root,
            principal_id: None,
            name: String::new(),
            path: "/".into(),
            session_name: None,
        }),
        Caller::User {
            user_id,
            name,
            path,
            ..
        } => Some(DelegationApprover {
            arn,
            kind: SessionKind::User,
            principal_id: Some(user_id.clone()),
            name: name.clone(),
            path: path.clone(),
            session_name: None,
        }),
        Caller::AssumedRole {
            role_id,
            role_name,
            role_path,
            session_name,
            ..
        } => Some(DelegationApprover {
            arn,
            kind: SessionKind::Role,
            principal_id: Some(role_id.clone()),
            name: role_name.clone(),
            path: role_path.clone(),
            session_name: Some(session_name.clone()),
        }),
        // A web identity only ever assumes a role.
        Caller::FederatedUser { .. } | Caller::WebIdentity(_) | Caller::Saml(_) => None,
    }
}

/// `RejectDelegationRequest`, with the notes as the reason.
pub(super) fn reject(ctx: &OpContext<'_>, input: &Value) -> Result<Value, IamError> {
    let input = Input(input);
    let id = input.required("DelegationRequestId")?;
    let notes = input.str("Notes").map(str::to_string);
    transition(
        ctx,
        id,
        &Transition {
            action: "iam:RejectDelegationRequest",
            verb: "rejected",
            from: &[State::Assigned, State::PendingApproval, State::Accepted],
            to: State::Rejected,
            wrong_state: "InvalidInput",
        },
        |record| {
            record.rejection_reason = notes.clone();
            Ok(())
        },
    )?;
    Ok(json!({}))
}

/// The KEK context the exchange token of request `id` is sealed under.
fn token_context(id: &str) -> String {
    format!("delegation-token:{id}")
}

/// `SendDelegationToken`: the exchange token is made and kept for the
/// partner; the delegation period starts.
pub(super) fn send_token(ctx: &OpContext<'_>, input: &Value) -> Result<Value, IamError> {
    let id = Input(input).required("DelegationRequestId")?;
    let secret = Secret::new(crate::ids::new_base64_secret(ctx.random, 32));
    let sealed = ctx.kek.seal(ctx.random, &token_context(id), &secret);
    let caller_arn = ctx.caller.arn();
    transition(
        ctx,
        id,
        &Transition {
            action: "iam:SendDelegationToken",
            verb: "finalized",
            from: &[State::Accepted],
            to: State::Finalized,
            wrong_state: "InvalidInput",
        },
        |record| {
            if record.only_send_by_owner && record.owner_id.as_deref() != Some(caller_arn.as_str())
            {
                return Err(not_authorized(ctx, "iam:SendDelegationToken", id));
            }
            record.token_sent = Some(ctx.now_secs());
            record.sealed_token = Some(sealed.clone());
            Ok(())
        },
    )?;
    Ok(json!({}))
}

/// The exchange token as the partner receives it: the request id and the
/// secret, so that the token names its request.
fn token_text(id: &str, secret: &Secret) -> String {
    format!("{id}.{}", secret.expose())
}

/// The exchange token `SendDelegationToken` released for request `id`,
/// opened with the KEK: what the partner's notification would carry.
/// `None` when the request does not exist or its token was not sent.
pub fn sent_token(store: &dyn Backend, kek: &Kek, id: &str) -> Result<Option<Secret>, IamError> {
    let record = tessera_store::read(store, |tx| {
        records::get::<DelegationRequestRecord>(tx, Ns::DelegationRequest.as_str(), id)
    })?;
    let Some(sealed) = record.and_then(|r| r.sealed_token) else {
        return Ok(None);
    };
    let secret = kek
        .open(&token_context(id), &sealed)
        .map_err(|_| IamError::service_failure())?;
    Ok(Some(Secret::new(token_text(id, &secret))))
}

/// What a trade-in token stands for, checked: the finalized request, its
/// approver, and when the delegation period ends.
pub(super) struct Redeemed<'s> {
    /// The request.
    pub request: &'s DelegationRequestRecord,
    /// Who accepted it.
    pub approver: &'s DelegationApprover,
    /// The end of the delegation period.
    pub ends: i64,
}

/// Checks a trade-in token presented by a caller of the requestor
/// account. A token that is not one this installation released for the
/// caller's account is invalid; one past its delegation period expired.
pub(super) fn redeem<'s>(ctx: &OpContext<'s>, token: &str) -> Result<Redeemed<'s>, IamError> {
    let invalid = || IamError::new("InvalidParameterValue", "The trade-in token is not valid.");
    let (id, presented) = token.split_once('.').ok_or_else(invalid)?;
    let request = ctx
        .snapshot
        .delegation_request(id)
        .filter(|r| r.requestor_account == ctx.account())
        .ok_or_else(invalid)?;
    let (Some(sealed), Some(sent), Some(approver)) =
        (&request.sealed_token, request.token_sent, &request.approver)
    else {
        return Err(invalid());
    };
    let secret = ctx
        .kek
        .open(&token_context(id), sealed)
        .map_err(|_| IamError::service_failure())?;
    if !same_secret(secret.expose(), presented) {
        return Err(invalid());
    }
    let ends = sent + i64::from(request.session_duration);
    if request.state != State::Finalized || ctx.now_secs() >= ends {
        return Err(IamError::new(
            "ExpiredTradeInTokenException",
            "The trade-in token has expired.",
        ));
    }
    Ok(Redeemed {
        request,
        approver,
        ends,
    })
}

/// Compares two secrets through their digests, so that the time taken
/// says nothing about how much of a guess was right.
fn same_secret(a: &str, b: &str) -> bool {
    use sha2::{Digest, Sha256};
    Sha256::digest(a.as_bytes()) == Sha256::digest(b.as_bytes())
}

/// `GetHumanReadableSummary` of a delegation request.
pub(super) fn summary(ctx: &OpContext<'_>, input: &Value) -> Result<Value, IamError> {
    let input = Input(input);
    let entity_arn = input.required("EntityArn")?;
    check_summary_entity(entity_arn)?;
    let id = id_in_arn(entity_arn).unwrap_or_default();
    let record: &DelegationRequestRecord = keyed::get(ctx, id)?;
    let locale = input.str("Locale").unwrap_or("en-US");
    // Summaries are written in English only.
    if !locale.to_ascii_lowercase().starts_with("en") {
        return Ok(json!({
            "SummaryContent": "",
            "Locale": locale,
            "SummaryState": "NOT_SUPPORTED",
        }));
    }
    Ok(json!({
        "SummaryContent": super::delegation_summary::summary(record),
        "Locale": locale,
        "SummaryState": "AVAILABLE",
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_delegation_request_arns_name_a_request() {
        let id = "0f8e4c1a-1111-4222-8333-444455556666";
        assert_eq!(
            id_in_arn(&format!(
                "arn:aws:iam::123456789012:delegation-request/{id}"
            )),
            Some(id)
        );
        assert_eq!(id_in_arn("arn:aws:iam::123456789012:role/r"), None);
        assert_eq!(
            id_in_arn("arn:aws:iam::123456789012:delegation-request/short"),
            None
        );
        assert_eq!(
            id_in_arn(&format!("arn:aws:s3:::delegation-request/{id}")),
            None
        );
    }

    #[test]
    fn boundaries_come_from_role_creating_statements() {
        let policy = r#"{"Statement":[
            {"Effect":"Allow","Action":["iam:CreateRole"],"Resource":"*","Condition":{"StringEquals":{"iam:PermissionsBoundary":"arn:aws:iam::1:policy/b"}}},
            {"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"StringEquals":{"iam:PermissionsBoundary":"arn:aws:iam::1:policy/other"}}}
        ]}"#;
        assert_eq!(
            boundaries_in(policy),
            vec!["arn:aws:iam::1:policy/b".to_string()]
        );
    }
}
