//! The operation table, held against AWS's Service Authorization Reference
//! (vendored in `tessera-aws-data`): every operation authorizes on the
//! resource type AWS names, fills in every operation-specific condition
//! key AWS lists for it (of those Tessera knows how to fill), and asks for
//! the dependent actions AWS requires.

use std::collections::BTreeSet;

use tessera_aws_data::authorization as sar;
use tessera_iam::kind::EntityKind;
use tessera_iam::ops::{self, ConditionKey, ResourceSpec, Secondary};

/// The SAR resource type of an entity kind.
fn sar_type(kind: EntityKind) -> &'static str {
    match kind {
        EntityKind::User => "user",
        EntityKind::Group => "group",
        EntityKind::Role => "role",
        EntityKind::Policy => "policy",
        EntityKind::InstanceProfile => "instance-profile",
        EntityKind::ServerCertificate => "server-certificate",
    }
}

/// The resource type an operation's spec resolves to, if it names one.
fn spec_type(spec: ResourceSpec) -> Option<&'static str> {
    match spec {
        ResourceSpec::Star | ResourceSpec::AllOf(_) => None,
        // The member names a user, a group or a role; the reference lists
        // all three, so checking one of them checks the operation's row.
        ResourceSpec::EntityArnIn(_) => Some("user"),
        ResourceSpec::New(kind) | ResourceSpec::Named(kind) | ResourceSpec::Renamed(kind) => {
            Some(sar_type(kind))
        }
        ResourceSpec::NamedOrCaller | ResourceSpec::AccessKeyOwner => Some("user"),
        ResourceSpec::PolicyArn => Some("policy"),
        ResourceSpec::RoleArn => Some("role"),
        ResourceSpec::FederatedUser => Some("federated-user"),
        ResourceSpec::NewOidcProvider | ResourceSpec::OidcProviderArn => Some("oidc-provider"),
        ResourceSpec::NewSamlProvider | ResourceSpec::SamlProviderArn => Some("saml-provider"),
        ResourceSpec::NewMfaDevice | ResourceSpec::MfaSerial => Some("mfa"),
        ResourceSpec::ServiceLinkedRole | ResourceSpec::DeletionTaskRole => Some("role"),
        ResourceSpec::AccessReport => Some("access-report"),
        ResourceSpec::NewDelegationRequest | ResourceSpec::DelegationRequest(_) => {
            Some("delegation-request")
        }
        ResourceSpec::TargetRootUser => Some("root-user"),
    }
}

/// The SAR condition keys a column fills in.
fn keys_of(key: ConditionKey) -> &'static [&'static str] {
    match key {
        ConditionKey::RequestTags => &["aws:RequestTag/${TagKey}", "aws:TagKeys"],
        ConditionKey::TagKeys => &["aws:TagKeys"],
        ConditionKey::PermissionsBoundary | ConditionKey::CurrentBoundary(_) => {
            &["iam:PermissionsBoundary"]
        }
        ConditionKey::PolicyArn => &["iam:PolicyARN"],
        ConditionKey::AwsServiceName => &["iam:AWSServiceName"],
        ConditionKey::SamlKeys => &[
            "aws:RequestTag/${TagKey}",
            "aws:TagKeys",
            "sts:RoleSessionName",
            "sts:SourceIdentity",
            "sts:TransitiveTagKeys",
        ],
        ConditionKey::AssumeRoleKeys => &[
            "sts:ExternalId",
            "sts:RoleSessionName",
            "sts:SourceIdentity",
            "sts:TransitiveTagKeys",
        ],
        ConditionKey::OrganizationsPolicyId => &["iam:OrganizationsPolicyId"],
        ConditionKey::DelegationTerms => &[
            "iam:DelegationDuration",
            "iam:NotificationChannel",
            "iam:TemplateArn",
        ],
        ConditionKey::DelegationRequestOwner => &["iam:DelegationRequestOwner"],
        ConditionKey::WebIdentityTokenKeys => &[
            "sts:DurationSeconds",
            "sts:IdentityTokenAudience",
            "sts:SigningAlgorithm",
        ],
        ConditionKey::TaskPolicyArn => &["sts:TaskPolicyArn"],
        ConditionKey::WebIdentityKeys => &[
            "aws:RequestTag/${TagKey}",
            "aws:TagKeys",
            "sts:RoleSessionName",
            "sts:SourceIdentity",
            "sts:TransitiveTagKeys",
        ],
    }
}

/// The operation-specific keys Tessera knows how to fill in.
const FILLABLE: [&str; 18] = [
    "aws:RequestTag/${TagKey}",
    "aws:TagKeys",
    "iam:PermissionsBoundary",
    "iam:PolicyARN",
    "iam:AWSServiceName",
    "sts:ExternalId",
    "sts:RoleSessionName",
    "sts:SourceIdentity",
    "sts:TransitiveTagKeys",
    "iam:OrganizationsPolicyId",
    "iam:DelegationDuration",
    "iam:NotificationChannel",
    "iam:TemplateArn",
    "iam:DelegationRequestOwner",
    "sts:DurationSeconds",
    "sts:IdentityTokenAudience",
    "sts:SigningAlgorithm",
    "sts:TaskPolicyArn",
];

/// Operations of the IAM model that the vendored reference does not list
/// yet. `UpdateDelegationRequest` is authorized like its siblings, on the
/// `delegation-request` resource type.
const NOT_YET_IN_THE_REFERENCE: [&str; 1] = ["UpdateDelegationRequest"];

#[test]
fn every_operation_authorizes_on_the_resource_type_aws_names() {
    let mut problems = Vec::new();
    for op in ops::all() {
        let Some(info) = sar::action(op.service.prefix(), op.name) else {
            if !NOT_YET_IN_THE_REFERENCE.contains(&op.name) {
                problems.push(format!("{}: not in the reference", op.name));
            }
            continue;
        };
        let required: BTreeSet<&str> = info
            .resource_types
            .iter()
            .filter(|r| r.required)
            .map(|r| r.name.as_str())
            .collect();
        let any: BTreeSet<&str> = info
            .resource_types
            .iter()
            .map(|r| r.name.as_str())
            .collect();
        match spec_type(op.resource) {
            Some(kind) if !required.is_empty() && !required.contains(kind) => {
                problems.push(format!(
                    "{}: authorized on {kind}, the reference requires {required:?}",
                    op.name
                ))
            }
            Some(kind) if !any.contains(kind) => problems.push(format!(
                "{}: authorized on {kind}, the reference requires {required:?}",
                op.name
            )),
            None if !required.is_empty() => problems.push(format!(
                "{}: authorized on *, the reference requires {required:?}",
                op.name
            )),
            _ => {}
        }
    }
    assert!(problems.is_empty(), "{problems:#?}");
}

#[test]
fn every_operation_fills_in_the_condition_keys_aws_lists_for_it() {
    let mut problems = Vec::new();
    for op in ops::all() {
        let Some(info) = sar::action(op.service.prefix(), op.name) else {
            continue;
        };
        let listed: BTreeSet<&str> = info
            .condition_keys
            .iter()
            .map(String::as_str)
            .filter(|k| FILLABLE.contains(k))
            .collect();
        let filled: BTreeSet<&str> = op
            .condition_keys
            .iter()
            .flat_map(|k| keys_of(*k).iter().copied())
            .collect();
        if listed != filled {
            problems.push(format!(
                "{}: the reference lists {listed:?}, the table fills {filled:?}",
                op.name
            ));
        }
    }
    assert!(problems.is_empty(), "{problems:#?}");
}

#[test]
fn operations_ask_for_the_dependent_actions_aws_requires() {
    for op in ops::all() {
        let Some(info) = sar::action(op.service.prefix(), op.name) else {
            continue;
        };
        let required: BTreeSet<&str> = info
            .dependent_actions
            .iter()
            .map(String::as_str)
            .filter(|a| a.starts_with("iam:"))
            .collect();
        let asked: BTreeSet<&str> = op
            .secondary
            .iter()
            .map(|s| match s {
                Secondary::PassRole { .. } => "iam:PassRole",
                // Asked for only when the request tags the session or
                // sets a source identity: not dependent actions.
                Secondary::TagSession => "",
                Secondary::SetSourceIdentity => "",
                Secondary::TagGetWebIdentityToken => "",
            })
            .filter(|a| !a.is_empty())
            .collect();
        assert_eq!(required, asked, "{}", op.name);
    }
}
