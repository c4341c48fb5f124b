//! Resolving an operation's row of the table into what the request is
//! authorized as: the resource ARN(s) from its [`ResourceSpec`], the tags
//! of the entity it resolves to, its condition keys and its secondary
//! actions.

use serde_json::Value;
use tessera_policy::ContextValue;

use super::{ConditionKey, Input, Operation, ResourceSpec, Secondary, Target, TrustTarget};
use crate::arn;
use crate::caller::Caller;
use crate::kind::EntityKind;
use crate::records::{Core, GroupBody, InstanceProfileBody, RoleBody, Tag, UserBody};
use crate::snapshot::Snapshot;

/// The core of the entity of `kind` named `name` in `account`.
fn core_by_name<'s>(
    snapshot: &'s Snapshot,
    kind: EntityKind,
    account: &str,
    name: &str,
) -> Option<&'s Core> {
    match kind {
        EntityKind::User => snapshot.by_name::<UserBody>(account, name).map(|e| &e.core),
        EntityKind::Group => snapshot
            .by_name::<GroupBody>(account, name)
            .map(|e| &e.core),
        EntityKind::Role => snapshot.by_name::<RoleBody>(account, name).map(|e| &e.core),
        EntityKind::InstanceProfile => snapshot
            .by_name::<InstanceProfileBody>(account, name)
            .map(|e| &e.core),
        EntityKind::Policy => snapshot
            .by_name::<crate::records::PolicyBody>(account, name)
            .map(|e| &e.core),
        EntityKind::ServerCertificate => snapshot
            .by_name::<crate::records::ServerCertificateBody>(account, name)
            .map(|e| &e.core),
    }
}

/// The ARN and tags of the entity named by the kind's member: as the
/// snapshot knows it, or with path `/` when it does not exist.
fn named(
    snapshot: &Snapshot,
    kind: EntityKind,
    (partition, account): (&str, &str),
    name: &str,
) -> (String, Vec<Tag>) {
    match core_by_name(snapshot, kind, account, name) {
        Some(core) => (core.arn(kind), core.tags.clone()),
        None => (arn::entity(partition, account, kind, "/", name), Vec::new()),
    }
}

/// The tags of a customer-managed policy named by ARN.
fn policy_tags(snapshot: &Snapshot, policy_arn: &str) -> Vec<Tag> {
    let Some((account, resource)) = arn::split_iam(policy_arn) else {
        return Vec::new();
    };
    let Some((_, name)) = arn::path_and_name(resource) else {
        return Vec::new();
    };
    snapshot
        .by_name::<crate::records::PolicyBody>(account, name)
        .filter(|p| p.arn() == policy_arn)
        .map(|p| p.core.tags.clone())
        .unwrap_or_default()
}

pub(super) fn target(
    operation: &Operation,
    snapshot: &Snapshot,
    caller: &Caller,
    input: &Value,
) -> Target {
    let input = Input(input);
    let account = caller.account();
    let partition = caller.partition();
    let member = |kind: EntityKind| input.str(kind.name_member()).unwrap_or("");
    let mut also = Vec::new();
    let mut trust = None;
    let mut resource_policy = None;
    let mut context: Vec<(String, ContextValue)> = Vec::new();
    let (resource, resource_tags) = match operation.resource {
        ResourceSpec::Star => ("*".to_string(), Vec::new()),
        ResourceSpec::AllOf(kind) => (
            arn::kind_prefix(
                partition,
                account,
                kind,
                input.str("PathPrefix").unwrap_or("/"),
            ),
            Vec::new(),
        ),
        ResourceSpec::New(kind) => (
            arn::entity(partition, account, kind, input.path(), member(kind)),
            Vec::new(),
        ),
        ResourceSpec::Named(kind) => named(snapshot, kind, (partition, account), member(kind)),
        ResourceSpec::NamedOrCaller => match input.str("UserName") {
            Some(name) => named(snapshot, EntityKind::User, (partition, account), name),
            None => caller_resource(snapshot, caller),
        },
        ResourceSpec::PolicyArn => {
            let policy = input.str("PolicyArn").unwrap_or("").to_string();
            let tags = policy_tags(snapshot, &policy);
            (policy, tags)
        }
        ResourceSpec::AccessKeyOwner => {
            let key = input
                .str("AccessKeyId")
                .and_then(|id| snapshot.access_key(id));
            match key.map(|k| &k.owner) {
                Some(crate::records::KeyOwner::User { user_id }) => {
                    match snapshot.user_by_id(user_id) {
                        Some(user) => (user.arn(), user.core.tags.clone()),
                        None => (caller.arn(), Vec::new()),
                    }
                }
                Some(crate::records::KeyOwner::Root) => (arn::root(partition, account), Vec::new()),
                None => (caller.arn(), Vec::new()),
            }
        }
        ResourceSpec::Renamed(kind) => {
            let name = member(kind);
            let (source, tags) = named(snapshot, kind, (partition, account), name);
            let current_path = core_by_name(snapshot, kind, account, name)
                .map(|c| c.path.clone())
                .unwrap_or_else(|| "/".into());
            let new_name_member = match kind {
                EntityKind::User => "NewUserName",
                EntityKind::Group => "NewGroupName",
                EntityKind::ServerCertificate => "NewServerCertificateName",
                _ => "NewName",
            };
            let new_name = input.str(new_name_member).unwrap_or(name);
            let new_path = input.str("NewPath").unwrap_or(&current_path);
            let destination = arn::entity(partition, account, kind, new_path, new_name);
            if destination != source {
                also.push(destination);
            }
            (source, tags)
        }
        ResourceSpec::ServiceLinkedRole => {
            let service = input.str("AWSServiceName").unwrap_or("");
            let (path, name) =
                crate::ops::roles::service_linked_role_name(service, input.str("CustomSuffix"));
            (
                arn::entity(partition, account, EntityKind::Role, &path, &name),
                Vec::new(),
            )
        }
        ResourceSpec::RoleArn => {
            let role_arn = input.str("RoleArn").unwrap_or("").to_string();
            match role_by_arn(snapshot, &role_arn) {
                Some(role) => {
                    trust = Some(TrustTarget {
                        role_id: role.core.id.clone(),
                        account: role.core.account_id.clone(),
                    });
                    (role_arn, role.core.tags.clone())
                }
                None => (role_arn, Vec::new()),
            }
        }
        ResourceSpec::NewMfaDevice => (
            super::mfa::serial(
                partition,
                account,
                input.path(),
                input.str("VirtualMFADeviceName").unwrap_or(""),
            ),
            Vec::new(),
        ),
        ResourceSpec::MfaSerial => {
            let serial = input.str("SerialNumber").unwrap_or("");
            let tags = snapshot
                .mfa_device(serial)
                .map(|d| d.tags.clone())
                .unwrap_or_default();
            (serial.to_string(), tags)
        }
        ResourceSpec::NewOidcProvider => (
            super::oidc::provider_arn(partition, account, input.str("Url").unwrap_or(""))
                .unwrap_or_else(|| format!("arn:{partition}:iam::{account}:oidc-provider/")),
            Vec::new(),
        ),
        ResourceSpec::OidcProviderArn => {
            let provider_arn = input.str("OpenIDConnectProviderArn").unwrap_or("");
            let tags = snapshot
                .oidc_provider(provider_arn)
                .map(|p| p.tags.clone())
                .unwrap_or_default();
            (provider_arn.to_string(), tags)
        }
        ResourceSpec::EntityArnIn(member) => {
            (input.str(member).unwrap_or("").to_string(), Vec::new())
        }
        ResourceSpec::NewSamlProvider => (
            super::saml::provider_arn(partition, account, input.str("Name").unwrap_or("")),
            Vec::new(),
        ),
        ResourceSpec::SamlProviderArn => {
            let provider_arn = input.str("SAMLProviderArn").unwrap_or("");
            let tags = snapshot
                .saml_provider(provider_arn)
                .map(|p| p.tags.clone())
                .unwrap_or_default();
            (provider_arn.to_string(), tags)
        }
        ResourceSpec::FederatedUser => (
            format!(
                "arn:{partition}:sts::{account}:federated-user/{}",
                input.str("Name").unwrap_or("")
            ),
            Vec::new(),
        ),
        ResourceSpec::AccessReport => (
            format!(
                "arn:{partition}:iam::{account}:access-report/{}",
                input.str("EntityPath").unwrap_or("")
            ),
            Vec::new(),
        ),
        ResourceSpec::NewDelegationRequest => (
            super::delegation::request_arn(partition, account, "*"),
            Vec::new(),
        ),
        ResourceSpec::DelegationRequest(member) => {
            let named = input.str(member).unwrap_or("");
            let id = super::delegation::id_in_arn(named).unwrap_or(named);
            let resource = super::delegation::request_arn(partition, account, id);
            if let Some(request) = snapshot.delegation_request(id) {
                resource_policy =
                    super::delegation::owner_default_policy(request, account, &resource);
                if let Some(owner) = &request.owner_id {
                    context.push((
                        "iam:DelegationRequestOwner".into(),
                        ContextValue::Single(owner.clone()),
                    ));
                }
            }
            (resource, Vec::new())
        }
        ResourceSpec::TargetRootUser => (
            super::root_sessions::target_root_arn(partition, input),
            Vec::new(),
        ),
        ResourceSpec::DeletionTaskRole => {
            let task = input.str("DeletionTaskId").unwrap_or("");
            let mut parts = task.split('/');
            let service = parts.nth(2).unwrap_or("");
            let role = parts.next().unwrap_or("");
            (
                arn::entity(
                    partition,
                    account,
                    EntityKind::Role,
                    &format!("/aws-service-role/{service}/"),
                    role,
                ),
                Vec::new(),
            )
        }
    };

    for key in operation.condition_keys {
        match *key {
            ConditionKey::RequestTags => {
                if let Ok(tags) = input.tags(operation_kind(operation)) {
                    let mut keys = Vec::with_capacity(tags.len());
                    for tag in tags {
                        context.push((
                            format!("aws:RequestTag/{}", tag.key),
                            ContextValue::Single(tag.value),
                        ));
                        keys.push(tag.key);
                    }
                    context.push(("aws:TagKeys".into(), ContextValue::Multi(keys)));
                }
            }
            ConditionKey::TagKeys => {
                let keys = input
                    .strings("TagKeys")
                    .into_iter()
                    .map(str::to_string)
                    .collect();
                context.push(("aws:TagKeys".into(), ContextValue::Multi(keys)));
            }
            ConditionKey::PermissionsBoundary => {
                if let Some(boundary) = input.str("PermissionsBoundary") {
                    context.push((
                        "iam:PermissionsBoundary".into(),
                        ContextValue::Single(boundary.to_string()),
                    ));
                }
            }
            ConditionKey::CurrentBoundary(kind) => {
                let name = member(kind);
                let boundary = match kind {
                    EntityKind::User => snapshot
                        .by_name::<UserBody>(account, name)
                        .and_then(|u| u.body.permissions_boundary.clone()),
                    EntityKind::Role => snapshot
                        .by_name::<RoleBody>(account, name)
                        .and_then(|r| r.body.permissions_boundary.clone()),
                    _ => None,
                };
                if let Some(boundary) = boundary {
                    context.push((
                        "iam:PermissionsBoundary".into(),
                        ContextValue::Single(boundary),
                    ));
                }
            }
            ConditionKey::PolicyArn => {
                if let Some(policy) = input.str("PolicyArn") {
                    context.push((
                        "iam:PolicyARN".into(),
                        ContextValue::Single(policy.to_string()),
                    ));
                }
            }
            ConditionKey::AssumeRoleKeys => {
                for (member, key) in [
                    ("ExternalId", "sts:ExternalId"),
                    ("RoleSessionName", "sts:RoleSessionName"),
                    ("SourceIdentity", "sts:SourceIdentity"),
                ] {
                    if let Some(value) = input.str(member) {
                        context.push((key.into(), ContextValue::Single(value.to_string())));
                    }
                }
                // MFA presented with the request counts for the trust
                // policy; the handler then checks the code (and refuses
                // the request when it is not valid).
                if input.str("SerialNumber").is_some() && input.str("TokenCode").is_some() {
                    context.push((
                        "aws:MultiFactorAuthPresent".into(),
                        ContextValue::Single("true".into()),
                    ));
                    context.push((
                        "aws:MultiFactorAuthAge".into(),
                        ContextValue::Single("0".into()),
                    ));
                }
                let transitive = input.strings("TransitiveTagKeys");
                if !transitive.is_empty() {
                    context.push((
                        "sts:TransitiveTagKeys".into(),
                        ContextValue::Multi(transitive.into_iter().map(str::to_string).collect()),
                    ));
                }
            }
            ConditionKey::DelegationTerms => {
                let template = input
                    .0
                    .get("Permissions")
                    .and_then(|p| p.get("PolicyTemplateArn"))
                    .and_then(Value::as_str);
                let duration = input.u64("SessionDuration").map(|d| d.to_string());
                let channel = input.str("NotificationChannel").map(str::to_string);
                for (key, value) in [
                    ("iam:DelegationDuration", duration),
                    ("iam:NotificationChannel", channel),
                    ("iam:TemplateArn", template.map(str::to_string)),
                ] {
                    if let Some(value) = value {
                        context.push((key.into(), ContextValue::Single(value)));
                    }
                }
            }
            ConditionKey::DelegationRequestOwner => {
                if let Some(owner) = input.str("OwnerId") {
                    context.push((
                        "iam:DelegationRequestOwner".into(),
                        ContextValue::Single(owner.to_string()),
                    ));
                }
            }
            ConditionKey::WebIdentityTokenKeys => {
                let audiences = input.strings("Audience");
                context.push((
                    "sts:IdentityTokenAudience".into(),
                    ContextValue::Multi(audiences.into_iter().map(str::to_string).collect()),
                ));
                if let Some(alg) = input.str("SigningAlgorithm") {
                    context.push((
                        "sts:SigningAlgorithm".into(),
                        ContextValue::Single(alg.to_string()),
                    ));
                }
                let duration = input
                    .u64("DurationSeconds")
                    .unwrap_or(super::outbound::DEFAULT_DURATION_SECONDS);
                context.push((
                    "sts:DurationSeconds".into(),
                    ContextValue::Single(duration.to_string()),
                ));
            }
            ConditionKey::TaskPolicyArn => {
                if let Some(arn) = input
                    .0
                    .get("TaskPolicyArn")
                    .and_then(|p| p.get("arn"))
                    .and_then(Value::as_str)
                {
                    context.push((
                        "sts:TaskPolicyArn".into(),
                        ContextValue::Single(arn.to_string()),
                    ));
                }
            }
            ConditionKey::WebIdentityKeys => {
                if let Some(name) = input.str("RoleSessionName") {
                    context.push((
                        "sts:RoleSessionName".into(),
                        ContextValue::Single(name.to_string()),
                    ));
                }
                if let Some(identity) = caller.web_identity() {
                    web_identity_context(identity, &mut context);
                }
            }
            ConditionKey::SamlKeys => {
                if let Some(identity) = caller.saml() {
                    context.extend(identity.context());
                }
            }
            ConditionKey::AwsServiceName => {
                if let Some(service) = input.str("AWSServiceName") {
                    context.push((
                        "iam:AWSServiceName".into(),
                        ContextValue::Single(service.to_string()),
                    ));
                }
            }
            ConditionKey::OrganizationsPolicyId => {
                if let Some(policy_id) = input.str("OrganizationsPolicyId") {
                    context.push((
                        "iam:OrganizationsPolicyId".into(),
                        ContextValue::Single(policy_id.to_string()),
                    ));
                }
            }
        }
    }

    let action = crate::arn::joined(&[operation.service.prefix(), ":", operation.name]);
    let same_resource = |secondary_action: &str| Target {
        action: secondary_action.to_string(),
        resource: resource.clone(),
        also: Vec::new(),
        resource_tags: resource_tags.clone(),
        context: context.clone(),
        secondary: Vec::new(),
        trust: trust.clone(),
        resource_policy: None,
    };
    let secondary = operation
        .secondary
        .iter()
        .filter_map(|s| match *s {
            Secondary::TagGetWebIdentityToken => input
                .0
                .get("Tags")
                .is_some()
                .then(|| same_resource("sts:TagGetWebIdentityToken")),
            Secondary::TagSession => (input.0.get("Tags").is_some()
                || caller.web_identity().is_some_and(|w| !w.tags.is_empty())
                || caller.saml().is_some_and(|s| !s.tags.is_empty()))
            .then(|| same_resource("sts:TagSession")),
            Secondary::SetSourceIdentity => (input.str("SourceIdentity").is_some()
                || caller
                    .web_identity()
                    .is_some_and(|w| w.source_identity.is_some())
                || caller.saml().is_some_and(|s| s.source_identity.is_some()))
            .then(|| same_resource("sts:SetSourceIdentity")),
            Secondary::PassRole {
                role_member,
                service,
            } => {
                let (role, tags) = named(
                    snapshot,
                    EntityKind::Role,
                    (partition, account),
                    input.str(role_member).unwrap_or(""),
                );
                Some(Target {
                    action: "iam:PassRole".into(),
                    resource: role,
                    also: Vec::new(),
                    resource_tags: tags,
                    context: vec![(
                        "iam:PassedToService".into(),
                        ContextValue::Single(service.to_string()),
                    )],
                    secondary: Vec::new(),
                    trust: None,
                    resource_policy: None,
                })
            }
        })
        .collect();

    Target {
        action,
        resource,
        also,
        resource_tags,
        context,
        secondary,
        trust,
        resource_policy,
    }
}

/// The keys a verified web identity brings to its trust policy.
fn web_identity_context(
    identity: &crate::web_identity::WebIdentity,
    context: &mut Vec<(String, ContextValue)>,
) {
    for (key, values) in &identity.keys {
        context.push((key.clone(), crate::web_identity::key_value(key, values)));
    }
    context.push((
        "aws:FederatedProvider".into(),
        ContextValue::Single(identity.provider_arn.clone()),
    ));
    if !identity.tags.is_empty() {
        for tag in &identity.tags {
            context.push((
                format!("aws:RequestTag/{}", tag.key),
                ContextValue::Single(tag.value.clone()),
            ));
        }
        let keys = identity.tags.iter().map(|t| t.key.clone()).collect();
        context.push(("aws:TagKeys".into(), ContextValue::Multi(keys)));
    }
    if !identity.transitive_tag_keys.is_empty() {
        context.push((
            "sts:TransitiveTagKeys".into(),
            ContextValue::Multi(identity.transitive_tag_keys.clone()),
        ));
    }
    if let Some(source) = &identity.source_identity {
        context.push((
            "sts:SourceIdentity".into(),
            ContextValue::Single(source.clone()),
        ));
    }
}

/// The role a role ARN names, in whichever account it lives.
pub(crate) fn role_by_arn<'s>(
    snapshot: &'s Snapshot,
    role_arn: &str,
) -> Option<&'s crate::records::RoleRecord> {
    let (account, resource) = arn::split_iam(role_arn)?;
    if !resource.starts_with("role/") {
        return None;
    }
    let (_, name) = arn::path_and_name(resource)?;
    snapshot
        .by_name::<RoleBody>(account, name)
        .filter(|r| r.arn() == role_arn)
}

/// The kind an operation's tags belong to, for the duplicate-key rule.
fn operation_kind(operation: &Operation) -> EntityKind {
    match operation.resource {
        ResourceSpec::New(kind) | ResourceSpec::Named(kind) | ResourceSpec::AllOf(kind) => kind,
        ResourceSpec::PolicyArn => EntityKind::Policy,
        _ => EntityKind::User,
    }
}

/// The calling user as a resource (its own ARN and tags), or the root.
fn caller_resource(snapshot: &Snapshot, caller: &Caller) -> (String, Vec<Tag>) {
    match caller {
        Caller::User { user_id, .. } => match snapshot.user_by_id(user_id) {
            Some(user) => (user.arn(), user.core.tags.clone()),
            None => (caller.arn(), Vec::new()),
        },
        Caller::Root { .. }
        | Caller::AssumedRole { .. }
        | Caller::FederatedUser { .. }
        | Caller::WebIdentity(_)
        | Caller::Saml(_) => (caller.arn(), Vec::new()),
    }
}
