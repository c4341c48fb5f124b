//! Account-wide operations: `GetAccountAuthorizationDetails`,
//! `GetAccountSummary`, and the account alias
//! (`CreateAccountAlias`, `DeleteAccountAlias`, `ListAccountAliases`).

use serde_json::{json, Map, Value};
use tessera_store::Outcome;

use super::attachments::{attached_of, attached_output};
use super::groups::groups_of;
use super::managed::PolicyView;
use super::paging::page;
use super::profiles::profile_output;
use super::roles::role_last_used;
use super::users::{core_output, tags_output};
use super::{boundaries, iso8601, Input, OpContext};
use crate::aws_managed;
use crate::edges::{Direction, Relation};
use crate::kind::EntityKind;
use crate::policies::url_encode_document;
use crate::records::{
    AccountRecord, GroupBody, GroupRecord, InlinePolicies, InstanceProfileBody, KeyOwner,
    PolicyBody, RoleBody, RoleRecord, UserBody, UserRecord, NS_ACCOUNT,
};
use crate::IamError;

/// One entry of the combined, paged answer.
enum Detail<'s> {
    User(&'s UserRecord),
    Group(&'s GroupRecord),
    Role(&'s RoleRecord),
    Policy(PolicyView<'s>),
}

fn inline_list(policies: &InlinePolicies) -> Value {
    Value::Array(
        policies
            .iter()
            .map(|(name, document)| {
                json!({"PolicyName": name, "PolicyDocument": url_encode_document(document)})
            })
            .collect(),
    )
}

fn user_detail(ctx: &OpContext<'_>, user: &UserRecord) -> Value {
    let mut out = core_output(&user.core, EntityKind::User, "UserId");
    if !user.body.inline_policies.is_empty() {
        out.insert(
            "UserPolicyList".into(),
            inline_list(&user.body.inline_policies),
        );
    }
    let groups: Vec<Value> = groups_of(ctx, &user.core.id)
        .iter()
        .map(|g| json!(g.core.name))
        .collect();
    out.insert("GroupList".into(), Value::Array(groups));
    out.insert(
        "AttachedManagedPolicies".into(),
        attached_output(&attached_of(ctx, &user.core.id)),
    );
    if let Some(boundary) = &user.body.permissions_boundary {
        out.insert(
            "PermissionsBoundary".into(),
            boundaries::boundary_output(boundary),
        );
    }
    out.insert("Tags".into(), tags_output(&user.core.tags));
    Value::Object(out)
}

fn group_detail(ctx: &OpContext<'_>, group: &GroupRecord) -> Value {
    let mut out = core_output(&group.core, EntityKind::Group, "GroupId");
    out.insert(
        "GroupPolicyList".into(),
        inline_list(&group.body.inline_policies),
    );
    out.insert(
        "AttachedManagedPolicies".into(),
        attached_output(&attached_of(ctx, &group.core.id)),
    );
    Value::Object(out)
}

fn role_detail(ctx: &OpContext<'_>, role: &RoleRecord) -> Value {
    let mut out = core_output(&role.core, EntityKind::Role, "RoleId");
    out.insert(
        "AssumeRolePolicyDocument".into(),
        json!(url_encode_document(&role.body.trust_policy)),
    );
    let profiles: Vec<Value> = ctx
        .snapshot
        .targets(Relation::ProfileRole, Direction::Inverse, &role.core.id)
        .filter_map(|id| ctx.snapshot.get::<InstanceProfileBody>(id))
        .map(|p| profile_output(ctx, p, false))
        .collect();
    out.insert("InstanceProfileList".into(), Value::Array(profiles));
    out.insert(
        "RolePolicyList".into(),
        inline_list(&role.body.inline_policies),
    );
    out.insert(
        "AttachedManagedPolicies".into(),
        attached_output(&attached_of(ctx, &role.core.id)),
    );
    if let Some(boundary) = &role.body.permissions_boundary {
        out.insert(
            "PermissionsBoundary".into(),
            boundaries::boundary_output(boundary),
        );
    }
    out.insert("Tags".into(), tags_output(&role.core.tags));
    out.insert("RoleLastUsed".into(), role_last_used(role));
    Value::Object(out)
}

fn policy_detail(ctx: &OpContext<'_>, view: &PolicyView<'_>) -> Value {
    let mut out = super::managed::policy_output_for(ctx, view)
        .as_object()
        .cloned()
        .unwrap_or_default();
    out.remove("Tags");
    let versions: Vec<Value> = match view {
        PolicyView::Customer(p) => {
            let mut versions: Vec<_> = p.body.versions.iter().collect();
            versions.reverse();
            versions
                .into_iter()
                .map(|v| {
                    json!({
                        "Document": url_encode_document(&v.document),
                        "VersionId": v.version_id,
                        "IsDefaultVersion": v.version_id == p.body.default_version,
                        "CreateDate": iso8601(v.created),
                    })
                })
                .collect()
        }
        PolicyView::Aws(p) => {
            let mut versions: Vec<_> = p.versions.iter().collect();
            versions.reverse();
            versions
                .into_iter()
                .filter_map(|v| {
                    p.version_document(&v.version_id).map(|document| {
                        json!({
                            "Document": url_encode_document(document),
                            "VersionId": v.version_id,
                            "IsDefaultVersion": v.is_default,
                            "CreateDate": v.create_date,
                        })
                    })
                })
                .collect()
        }
    };
    out.insert("PolicyVersionList".into(), Value::Array(versions));
    Value::Object(out)
}

/// `GetAccountAuthorizationDetails`: users, groups, roles and managed
/// policies with everything attached to them, filtered by `Filter`, paged
/// as one list. AWS-managed policies appear when something in the account
/// uses them.
pub(super) fn get_account_authorization_details(
    ctx: &OpContext<'_>,
    input: &Value,
) -> Result<Value, IamError> {
    let input = Input(input);
    let filter = input.strings("Filter");
    let wants = |name: &str| filter.is_empty() || filter.contains(&name);
    let account = ctx.account();
    let snapshot = ctx.snapshot;
    let mut entries: Vec<(String, Detail<'_>)> = Vec::new();
    if wants("User") {
        for u in snapshot.list::<UserBody>(account, "/") {
            entries.push((format!("1|{}", u.core.name.to_lowercase()), Detail::User(u)));
        }
    }
    if wants("Group") {
        for g in snapshot.list::<GroupBody>(account, "/") {
            entries.push((
                format!("2|{}", g.core.name.to_lowercase()),
                Detail::Group(g),
            ));
        }
    }
    if wants("Role") {
        for r in snapshot.list::<RoleBody>(account, "/") {
            entries.push((format!("3|{}", r.core.name.to_lowercase()), Detail::Role(r)));
        }
    }
    if wants("LocalManagedPolicy") {
        for p in snapshot.list::<PolicyBody>(account, "/") {
            entries.push((
                format!("4|{}", p.core.name.to_lowercase()),
                Detail::Policy(PolicyView::Customer(p)),
            ));
        }
    }
    if wants("AWSManagedPolicy") {
        for p in aws_managed::all() {
            let arn = p.arn_in_partition(ctx.caller.partition());
            let used = snapshot
                .policy_users(Relation::Attached, account, &arn)
                .next()
                .is_some()
                || snapshot
                    .policy_users(Relation::Boundary, account, &arn)
                    .next()
                    .is_some();
            if used {
                entries.push((format!("5|{}", p.name), Detail::Policy(PolicyView::Aws(p))));
            }
        }
    }
    let page = page(input, entries, |(key, _)| key.clone())?;
    let (mut users, mut groups, mut roles, mut policies) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for (_, detail) in &page.items {
        match detail {
            Detail::User(u) => users.push(user_detail(ctx, u)),
            Detail::Group(g) => groups.push(group_detail(ctx, g)),
            Detail::Role(r) => roles.push(role_detail(ctx, r)),
            Detail::Policy(p) => policies.push(policy_detail(ctx, p)),
        }
    }
    let mut out = Map::new();
    out.insert("UserDetailList".into(), Value::Array(users));
    out.insert("GroupDetailList".into(), Value::Array(groups));
    out.insert("RoleDetailList".into(), Value::Array(roles));
    out.insert("Policies".into(), Value::Array(policies));
    Ok(page.finish(out))
}

/// `GetAccountSummary`: every counter of IAM's summary map, counted from
/// the snapshot, and the quotas in force.
pub(super) fn get_account_summary(ctx: &OpContext<'_>, _input: &Value) -> Result<Value, IamError> {
    let account = ctx.account();
    let snapshot = ctx.snapshot;
    let quotas = ctx.quotas;
    let policies: Vec<_> = snapshot.list::<PolicyBody>(account, "/").collect();
    let versions: usize = policies.iter().map(|p| p.body.versions.len()).sum();
    let root_keys = snapshot
        .access_keys()
        .filter(|k| k.account_id == account && k.owner == KeyOwner::Root)
        .count();
    let summary = json!({
        "AccessKeysPerUserQuota": quotas.access_keys_per_user,
        "AccountAccessKeysPresent": root_keys,
        "AccountMFAEnabled": 0,
        "AccountPasswordPresent": 0,
        "AccountSigningCertificatesPresent": 0,
        "AssumeRolePolicySizeQuota": quotas.trust_policy_chars,
        "AttachedPoliciesPerGroupQuota": quotas.attached_policies_per_principal,
        "AttachedPoliciesPerRoleQuota": quotas.attached_policies_per_principal,
        "AttachedPoliciesPerUserQuota": quotas.attached_policies_per_principal,
        "GlobalEndpointTokenVersion": snapshot.account(account).and_then(|a| a.global_endpoint_token_version).unwrap_or(1),
        "GroupPolicySizeQuota": quotas.group_inline_policy_chars,
        "Groups": snapshot.count::<GroupBody>(account),
        "GroupsPerUserQuota": quotas.groups_per_user,
        "GroupsQuota": 300,
        "InstanceProfiles": snapshot.count::<InstanceProfileBody>(account),
        "InstanceProfilesQuota": 1000,
        "MFADevices": snapshot.mfa_devices(account).len(),
        "MFADevicesInUse": snapshot
            .mfa_devices(account)
            .iter()
            .filter(|d| d.user_id.is_some())
            .count(),
        "Policies": policies.len(),
        "PoliciesQuota": 1500,
        "PolicySizeQuota": quotas.managed_policy_chars,
        "PolicyVersionsInUse": versions,
        "PolicyVersionsInUseQuota": 10000,
        "Providers": snapshot.oidc_providers(account).len() + snapshot.saml_providers(account).len(),
        "RolePolicySizeQuota": quotas.role_inline_policy_chars,
        "Roles": snapshot.count::<RoleBody>(account),
        "RolesQuota": 1000,
        "ServerCertificates": snapshot.count::<crate::records::ServerCertificateBody>(account),
        "ServerCertificatesQuota": 20,
        "SigningCertificatesPerUserQuota": 2,
        "UserPolicySizeQuota": quotas.user_inline_policy_chars,
        "Users": snapshot.count::<UserBody>(account),
        "UsersQuota": 5000,
        "VersionsPerPolicyQuota": quotas.versions_per_policy,
    });
    Ok(json!({ "SummaryMap": summary }))
}

/// The `meta` key that reserves an alias across accounts.
fn alias_key(alias: &str) -> String {
    format!("alias|{alias}")
}

pub(super) fn require_account(
    tx: &mut dyn tessera_store::Transaction,
    account: &str,
) -> Result<AccountRecord, Outcome<IamError>> {
    crate::records::get::<AccountRecord>(tx, NS_ACCOUNT, account)?
        .ok_or_else(|| Outcome::Domain(IamError::service_failure()))
}

/// `CreateAccountAlias`: an account has at most one alias, which replaces
/// the previous one; an alias another account has is refused.
pub(super) fn create_account_alias(ctx: &OpContext<'_>, input: &Value) -> Result<Value, IamError> {
    let alias = Input(input).required("AccountAlias")?;
    let account = ctx.account();
    ctx.write(|tx| {
        let meta = crate::records::Ns::Meta.as_str();
        if let Some(owner) = tx.get(meta, &alias_key(alias))? {
            if owner != account.as_bytes() {
                return Err(Outcome::Domain(IamError::new(
                    "EntityAlreadyExists",
                    format!("The account alias {alias} already exists."),
                )));
            }
            return Ok(());
        }
        let mut record = require_account(tx, account)?;
        if let Some(previous) = record.alias.take() {
            tx.delete(meta, &alias_key(&previous))?;
        }
        record.alias = Some(alias.to_string());
        tx.put(meta, &alias_key(alias), account.as_bytes())?;
        crate::records::put(tx, NS_ACCOUNT, account, &record)?;
        Ok(())
    })?;
    Ok(json!({}))
}

pub(super) fn delete_account_alias(ctx: &OpContext<'_>, input: &Value) -> Result<Value, IamError> {
    let alias = Input(input).required("AccountAlias")?;
    let account = ctx.account();
    ctx.write(|tx| {
        let mut record = require_account(tx, account)?;
        if record.alias.as_deref() != Some(alias) {
            return Err(Outcome::Domain(IamError::new(
                "NoSuchEntity",
                format!("The account alias {alias} cannot be found."),
            )));
        }
        record.alias = None;
        tx.delete(crate::records::Ns::Meta.as_str(), &alias_key(alias))?;
        crate::records::put(tx, NS_ACCOUNT, account, &record)?;
        Ok(())
    })?;
    Ok(json!({}))
}

pub(super) fn list_account_aliases(ctx: &OpContext<'_>, input: &Value) -> Result<Value, IamError> {
    let aliases: Vec<String> = ctx
        .snapshot
        .account(ctx.account())
        .and_then(|a| a.alias.clone())
        .into_iter()
        .collect();
    let page = page(Input(input), aliases, Clone::clone)?;
    Ok(page.output("AccountAliases", |a| json!(a)))
}

/// `SetSecurityTokenServicePreferences`: which session-token version the
/// global STS endpoint issues, reported by `GetAccountSummary`.
pub(super) fn set_security_token_service_preferences(
    ctx: &OpContext<'_>,
    input: &Value,
) -> Result<Value, IamError> {
    let version = match Input(input).required("GlobalEndpointTokenVersion")? {
        "v1Token" => 1,
        "v2Token" => 2,
        other => {
            return Err(IamError::validation(format!(
                "1 validation error detected: Value '{other}' at 'globalEndpointTokenVersion' failed to satisfy constraint: Member must satisfy enum value set: [v1Token, v2Token]"
            )))
        }
    };
    let account = ctx.account();
    ctx.write(|tx| {
        let mut record = require_account(tx, account)?;
        record.global_endpoint_token_version = Some(version);
        crate::records::put(tx, NS_ACCOUNT, account, &record)?;
        Ok(())
    })?;
    Ok(json!({}))
}

/// The Organizations features of IAM (`ListOrganizationsFeatures`,
/// `Enable/DisableOrganizationsRootCredentialsManagement`,
/// `Enable/DisableOrganizationsRootSessions`): every Tessera account stands
/// outside any organization, and AWS answers such an account so.
pub(super) fn organizations_feature(
    _ctx: &OpContext<'_>,
    _input: &Value,
) -> Result<Value, IamError> {
    Err(IamError::new(
        "OrganizationNotFoundException",
        "The request was rejected because no organization is associated with your account.",
    ))
}

/// `GenerateOrganizationsAccessReport`: a report over an Organizations
/// entity. The input was checked against the model (the entity path's and
/// the policy id's patterns); no Tessera account belongs to an
/// organization, so no entity path can name one, and the account is
/// answered as AWS answers an account outside any organization.
pub(super) fn generate_organizations_access_report(
    ctx: &OpContext<'_>,
    input: &Value,
) -> Result<Value, IamError> {
    organizations_feature(ctx, input)
}

/// `GetOrganizationsAccessReport`: since no report can have been
/// generated, every job id is unknown.
pub(super) fn get_organizations_access_report(
    _ctx: &OpContext<'_>,
    input: &Value,
) -> Result<Value, IamError> {
    let job_id = super::Input(input).required("JobId")?;
    Err(IamError::new(
        "NoSuchEntity",
        format!("No job with id {job_id} exists."),
    ))
}
