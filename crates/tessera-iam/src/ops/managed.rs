//! Managed policies: customer-managed ones (`CreatePolicy`, versions,
//! tags, `DeletePolicy`) and the AWS-managed catalog, which every account
//! sees under `arn:aws:iam::aws:policy/…`, may attach, and may not change.

use serde_json::{json, Map, Value};
use tessera_store::{Outcome, Transaction};

use super::paging::page;
use super::users::{new_core, tags_output};
use super::{iso8601, Input, OpContext};
use crate::arn;
use crate::aws_managed::{self, ManagedPolicy};
use crate::edges::Relation;
use crate::kind::EntityKind;
use crate::policies;
use crate::records::{Entity, PolicyBody, PolicyRecord, PolicyVersionRecord};
use crate::table::{Table, TxResult};
use crate::IamError;

/// A managed policy named by ARN, as the snapshot knows it.
pub(super) enum PolicyView<'s> {
    /// From the AWS catalog.
    Aws(&'static ManagedPolicy),
    /// A customer-managed policy of the caller's account.
    Customer(&'s PolicyRecord),
}

fn invalid_arn(policy_arn: &str) -> IamError {
    IamError::validation(format!("ARN {policy_arn} is not valid."))
}

fn not_attachable(policy_arn: &str) -> IamError {
    IamError::new(
        "NoSuchEntity",
        format!("Policy {policy_arn} does not exist or is not attachable."),
    )
}

fn not_found(policy_arn: &str) -> IamError {
    IamError::new(
        "NoSuchEntity",
        format!("Policy {policy_arn} was not found."),
    )
}

/// The account and name a policy ARN names, or `InvalidInput`.
fn split_policy_arn(policy_arn: &str) -> Result<(&str, &str), IamError> {
    let (account, resource) = arn::split_iam(policy_arn).ok_or_else(|| invalid_arn(policy_arn))?;
    if !resource.starts_with("policy/") {
        return Err(invalid_arn(policy_arn));
    }
    let (_, name) = arn::path_and_name(resource).ok_or_else(|| invalid_arn(policy_arn))?;
    Ok((account, name))
}

/// Checks, inside a write, that a policy ARN names a managed policy that
/// may be attached or used as a boundary: an AWS-managed one, or a
/// customer-managed one of the caller's account.
pub(super) fn require_attachable(
    tx: &mut dyn Transaction,
    account: &str,
    policy_arn: &str,
) -> TxResult<()> {
    let (policy_account, name) = split_policy_arn(policy_arn).map_err(Outcome::Domain)?;
    if aws_managed::is_aws_managed(policy_arn) {
        return match aws_managed::get(policy_arn) {
            Some(_) => Ok(()),
            None => Err(Outcome::Domain(not_attachable(policy_arn))),
        };
    }
    if policy_account != account {
        return Err(Outcome::Domain(not_attachable(policy_arn)));
    }
    match Table::<PolicyBody>::find(tx, account, name)? {
        Some(policy) if policy.arn() == policy_arn => Ok(()),
        _ => Err(Outcome::Domain(not_attachable(policy_arn))),
    }
}

/// Resolves a policy ARN against the snapshot, for reads.
pub(super) fn resolve_in_snapshot<'s>(
    ctx: &OpContext<'s>,
    policy_arn: &str,
) -> Result<PolicyView<'s>, IamError> {
    let (policy_account, name) = split_policy_arn(policy_arn)?;
    if aws_managed::is_aws_managed(policy_arn) {
        return aws_managed::get(policy_arn)
            .map(PolicyView::Aws)
            .ok_or_else(|| not_found(policy_arn));
    }
    if policy_account != ctx.account() {
        return Err(not_found(policy_arn));
    }
    ctx.snapshot
        .by_name::<PolicyBody>(ctx.account(), name)
        .filter(|p| p.arn() == policy_arn)
        .map(PolicyView::Customer)
        .ok_or_else(|| not_found(policy_arn))
}

/// What a change to a policy of another account (or AWS's) is refused
/// with, in IAM's words.
#[derive(Debug, Clone, Copy)]
enum Change {
    Delete,
    DeleteVersion,
    Update,
}

impl Change {
    fn outside_account(self) -> IamError {
        let message = match self {
            Change::Delete => "Cannot delete policies outside your own account.",
            Change::DeleteVersion => {
                "Cannot delete policy versions for policies outside your own account."
            }
            Change::Update => "Cannot update policies outside your own account.",
        };
        IamError::new("AccessDenied", message)
    }
}

/// The customer-managed policy named by ARN, inside a write; AWS-managed
/// policies and other accounts' are refused as IAM refuses them.
fn require_customer(
    tx: &mut dyn Transaction,
    account: &str,
    policy_arn: &str,
    change: Change,
) -> TxResult<PolicyRecord> {
    let (policy_account, name) = split_policy_arn(policy_arn).map_err(Outcome::Domain)?;
    if policy_account != account {
        return Err(Outcome::Domain(change.outside_account()));
    }
    match Table::<PolicyBody>::find(tx, account, name)? {
        Some(policy) if policy.arn() == policy_arn => Ok(policy),
        _ => Err(Outcome::Domain(not_found(policy_arn))),
    }
}

/// How many principals of the caller's account use a policy, by relation.
fn usage(ctx: &OpContext<'_>, relation: Relation, policy_arn: &str) -> usize {
    ctx.snapshot
        .policy_users(relation, ctx.account(), policy_arn)
        .count()
}

/// The ARN of a policy as the caller's partition names it.
fn view_arn(ctx: &OpContext<'_>, view: &PolicyView<'_>) -> String {
    match view {
        PolicyView::Aws(p) => p.arn_in_partition(ctx.caller.partition()),
        PolicyView::Customer(p) => p.arn(),
    }
}

/// The `Policy` structure of IAM outputs.
fn policy_output(ctx: &OpContext<'_>, view: &PolicyView<'_>, full: bool) -> Value {
    let mut out = Map::new();
    let policy_arn = view_arn(ctx, view);
    match view {
        PolicyView::Aws(p) => {
            out.insert("PolicyName".into(), json!(p.name));
            out.insert("PolicyId".into(), json!(p.id));
            out.insert("Arn".into(), json!(policy_arn));
            out.insert("Path".into(), json!(p.path));
            out.insert("DefaultVersionId".into(), json!(p.default_version_id));
        }
        PolicyView::Customer(p) => {
            out.insert("PolicyName".into(), json!(p.core.name));
            out.insert("PolicyId".into(), json!(p.core.id));
            out.insert("Arn".into(), json!(policy_arn));
            out.insert("Path".into(), json!(p.core.path));
            out.insert("DefaultVersionId".into(), json!(p.body.default_version));
        }
    }
    out.insert(
        "AttachmentCount".into(),
        json!(usage(ctx, Relation::Attached, &policy_arn)),
    );
    out.insert(
        "PermissionsBoundaryUsageCount".into(),
        json!(usage(ctx, Relation::Boundary, &policy_arn)),
    );
    out.insert("IsAttachable".into(), json!(true));
    match view {
        PolicyView::Aws(p) => {
            if full && !p.description.is_empty() {
                out.insert("Description".into(), json!(p.description));
            }
            out.insert("CreateDate".into(), json!(p.create_date));
            out.insert("UpdateDate".into(), json!(p.update_date));
            if full {
                out.insert("Tags".into(), json!([]));
            }
        }
        PolicyView::Customer(p) => {
            if full {
                if let Some(description) = &p.body.description {
                    out.insert("Description".into(), json!(description));
                }
            }
            out.insert("CreateDate".into(), json!(iso8601(p.core.created)));
            out.insert("UpdateDate".into(), json!(iso8601(p.body.updated)));
            if full {
                // GetPolicy always carries Tags, empty or not.
                out.insert("Tags".into(), tags_output(&p.core.tags));
            }
        }
    }
    Value::Object(out)
}

/// Checks a document about to become a managed policy version.
fn check_document(ctx: &OpContext<'_>, document: &str) -> Result<(), IamError> {
    let mut config = policies::managed_config();
    config.limits.managed = ctx.quotas.managed_policy_chars;
    policies::check_stored(document, &config)
}

pub(super) fn create_policy(ctx: &OpContext<'_>, input: &Value) -> Result<Value, IamError> {
    let input = Input(input);
    let name = input.required("PolicyName")?;
    let document = input.required("PolicyDocument")?;
    check_document(ctx, document)?;
    let tags = input.tags(EntityKind::Policy)?;
    super::tags::check_count(ctx, tags.len())?;
    let now = ctx.now_secs();
    let policy = Entity {
        core: new_core(ctx, EntityKind::Policy, name, input.path(), tags),
        body: PolicyBody {
            description: input.str("Description").map(str::to_string),
            default_version: "v1".into(),
            versions: vec![PolicyVersionRecord {
                version_id: "v1".into(),
                document: document.to_string(),
                created: now,
            }],
            next_version: 2,
            updated: now,
        },
    };
    ctx.write(|tx| Table::insert(tx, &policy))?;
    let mut out = policy_output(ctx, &PolicyView::Customer(&policy), true);
    if let Some(out) = out.as_object_mut() {
        // CreatePolicy echoes neither the description nor empty tags.
        out.remove("Description");
        if policy.core.tags.is_empty() {
            out.remove("Tags");
        }
    }
    Ok(json!({ "Policy": out }))
}

pub(super) fn get_policy(ctx: &OpContext<'_>, input: &Value) -> Result<Value, IamError> {
    let policy_arn = Input(input).required("PolicyArn")?;
    let view = resolve_in_snapshot(ctx, policy_arn)?;
    Ok(super::one_member("Policy", policy_output(ctx, &view, true)))
}

/// `ListPolicies`: `Scope` (`All`, `AWS`, `Local`), `OnlyAttached`,
/// `PathPrefix`, `PolicyUsageFilter`; customer policies in name order, then
/// the AWS catalog in name order.
pub(super) fn list_policies(ctx: &OpContext<'_>, input: &Value) -> Result<Value, IamError> {
    let input = Input(input);
    let scope = input.str("Scope").unwrap_or("All");
    let only_attached = input.bool("OnlyAttached").unwrap_or(false);
    let usage_filter = input.str("PolicyUsageFilter");
    let path_prefix = input.path_prefix();
    let mut views: Vec<(String, PolicyView<'_>)> = Vec::new();
    if scope != "AWS" {
        for p in ctx.snapshot.list::<PolicyBody>(ctx.account(), path_prefix) {
            views.push((
                format!("1|{}", p.core.name.to_lowercase()),
                PolicyView::Customer(p),
            ));
        }
    }
    if scope != "Local" {
        for p in aws_managed::all().filter(|p| p.path.starts_with(path_prefix)) {
            views.push((format!("2|{}", p.name), PolicyView::Aws(p)));
        }
    }
    let in_use = |view: &PolicyView<'_>| {
        let policy_arn = view_arn(ctx, view);
        let attached = usage(ctx, Relation::Attached, &policy_arn) > 0;
        let boundary = usage(ctx, Relation::Boundary, &policy_arn) > 0;
        match usage_filter {
            Some("PermissionsPolicy") => attached,
            Some("PermissionsBoundary") => boundary,
            _ => attached || boundary,
        }
    };
    let views = views
        .into_iter()
        .filter(|(_, view)| !only_attached && usage_filter.is_none() || in_use(view));
    let page = page(input, views, |(key, _)| key.clone())?;
    Ok(page.output("Policies", |(_, view)| policy_output(ctx, view, false)))
}

pub(super) fn delete_policy(ctx: &OpContext<'_>, input: &Value) -> Result<Value, IamError> {
    let policy_arn = Input(input).required("PolicyArn")?;
    ctx.write(|tx| {
        let policy = require_customer(tx, ctx.account(), policy_arn, Change::Delete)?;
        let attached = crate::edges::count(
            tx,
            Relation::Attached,
            crate::edges::Direction::Inverse,
            policy_arn,
        )?;
        let boundary = crate::edges::count(
            tx,
            Relation::Boundary,
            crate::edges::Direction::Inverse,
            policy_arn,
        )?;
        if attached + boundary > 0 {
            return Err(Outcome::Domain(IamError::delete_conflict(
                "Cannot delete a policy attached to entities.",
            )));
        }
        if policy.body.versions.len() > 1 {
            return Err(Outcome::Domain(IamError::delete_conflict(
                "This policy has more than one version. Before you delete a policy, you must delete the policy's versions. The default version is deleted with the policy.",
            )));
        }
        Table::delete(tx, &policy)
    })?;
    Ok(json!({}))
}

fn version_output(version: &PolicyVersionRecord, default: &str, with_document: bool) -> Value {
    let mut out = Map::new();
    if with_document {
        out.insert(
            "Document".into(),
            json!(policies::url_encode_document(&version.document)),
        );
    }
    out.insert("VersionId".into(), json!(version.version_id));
    out.insert(
        "IsDefaultVersion".into(),
        json!(version.version_id == default),
    );
    out.insert("CreateDate".into(), json!(iso8601(version.created)));
    Value::Object(out)
}

pub(super) fn create_policy_version(ctx: &OpContext<'_>, input: &Value) -> Result<Value, IamError> {
    let input = Input(input);
    let policy_arn = input.required("PolicyArn")?;
    let document = input.required("PolicyDocument")?;
    let set_as_default = input.bool("SetAsDefault").unwrap_or(false);
    check_document(ctx, document)?;
    let limit = ctx.quotas.versions_per_policy;
    let now = ctx.now_secs();
    let (version, default) = ctx.write(|tx| {
        let mut policy = require_customer(tx, ctx.account(), policy_arn, Change::Update)?;
        if policy.body.versions.len() >= limit {
            return Err(Outcome::Domain(IamError::new(
                "LimitExceeded",
                format!("A managed policy can have up to {limit} versions. Before you create a new version, you must delete an existing version."),
            )));
        }
        let version = PolicyVersionRecord {
            version_id: format!("v{}", policy.body.next_version),
            document: document.to_string(),
            created: now,
        };
        policy.body.next_version += 1;
        policy.body.versions.push(version.clone());
        if set_as_default {
            policy.body.default_version = version.version_id.clone();
            policy.body.updated = now;
        }
        Table::save(tx, &policy)?;
        Ok((version, policy.body.default_version))
    })?;
    Ok(super::one_member(
        "PolicyVersion",
        version_output(&version, &default, false),
    ))
}

/// A version of an AWS-managed policy, in the shape of a stored one.
fn aws_version(policy: &ManagedPolicy, version_id: &str) -> Option<(PolicyVersionRecord, String)> {
    let version = policy.version(version_id)?;
    let document = policy.version_document(version_id)?;
    let created = time::OffsetDateTime::parse(
        &version.create_date,
        &time::format_description::well_known::Rfc3339,
    )
    .map(|t| t.unix_timestamp())
    .unwrap_or(0);
    Some((
        PolicyVersionRecord {
            version_id: version.version_id.clone(),
            document: document.to_string(),
            created,
        },
        policy.default_version_id.clone(),
    ))
}

pub(super) fn get_policy_version(ctx: &OpContext<'_>, input: &Value) -> Result<Value, IamError> {
    let input = Input(input);
    let policy_arn = input.required("PolicyArn")?;
    let version_id = input.required("VersionId")?;
    let missing = || {
        IamError::new(
            "NoSuchEntity",
            format!(
                "Policy {policy_arn} version {version_id} does not exist or is not attachable."
            ),
        )
    };
    // A missing policy is answered as a missing version, as IAM does.
    let view = resolve_in_snapshot(ctx, policy_arn).map_err(|e| match e.code {
        "NoSuchEntity" => missing(),
        _ => e,
    })?;
    let (version, default) = match view {
        PolicyView::Aws(p) => aws_version(p, version_id).ok_or_else(missing)?,
        PolicyView::Customer(p) => (
            p.body
                .versions
                .iter()
                .find(|v| v.version_id == version_id)
                .cloned()
                .ok_or_else(missing)?,
            p.body.default_version.clone(),
        ),
    };
    Ok(super::one_member(
        "PolicyVersion",
        version_output(&version, &default, true),
    ))
}

pub(super) fn list_policy_versions(ctx: &OpContext<'_>, input: &Value) -> Result<Value, IamError> {
    let input = Input(input);
    let policy_arn = input.required("PolicyArn")?;
    let (versions, default): (Vec<PolicyVersionRecord>, String) =
        match resolve_in_snapshot(ctx, policy_arn)? {
            PolicyView::Aws(p) => (
                p.versions
                    .iter()
                    .filter_map(|v| aws_version(p, &v.version_id).map(|(v, _)| v))
                    .collect(),
                p.default_version_id.clone(),
            ),
            PolicyView::Customer(p) => (p.body.versions.clone(), p.body.default_version.clone()),
        };
    // Newest first, as IAM lists them.
    let mut versions = versions;
    versions.sort_by_key(|v| std::cmp::Reverse(version_number(&v.version_id)));
    let page = page(input, versions, |v| {
        format!("{:010}", u32::MAX - version_number(&v.version_id))
    })?;
    Ok(page.output("Versions", |v| version_output(v, &default, false)))
}

/// IAM answers a version operation on a missing policy as if only the
/// version were missing.
fn missing_policy_as_missing_version(
    error: Outcome<IamError>,
    policy_arn: &str,
    version_id: &str,
) -> Outcome<IamError> {
    match error {
        Outcome::Domain(e) if e.code == "NoSuchEntity" => Outcome::Domain(IamError::new(
            "NoSuchEntity",
            format!(
                "Policy {policy_arn} version {version_id} does not exist or is not attachable."
            ),
        )),
        other => other,
    }
}

fn version_number(version_id: &str) -> u32 {
    version_id
        .strip_prefix('v')
        .and_then(|n| n.parse().ok())
        .unwrap_or(0)
}

pub(super) fn set_default_policy_version(
    ctx: &OpContext<'_>,
    input: &Value,
) -> Result<Value, IamError> {
    let input = Input(input);
    let policy_arn = input.required("PolicyArn")?;
    let version_id = input.required("VersionId")?;
    let now = ctx.now_secs();
    ctx.write(|tx| {
        let mut policy = require_customer(tx, ctx.account(), policy_arn, Change::Update)
            .map_err(|e| missing_policy_as_missing_version(e, policy_arn, version_id))?;
        if !policy
            .body
            .versions
            .iter()
            .any(|v| v.version_id == version_id)
        {
            return Err(Outcome::Domain(IamError::new(
                "NoSuchEntity",
                format!(
                    "Policy {policy_arn} version {version_id} does not exist or is not attachable."
                ),
            )));
        }
        if policy.body.default_version != version_id {
            policy.body.default_version = version_id.to_string();
            policy.body.updated = now;
            Table::save(tx, &policy)?;
        }
        Ok(())
    })?;
    Ok(json!({}))
}

pub(super) fn delete_policy_version(ctx: &OpContext<'_>, input: &Value) -> Result<Value, IamError> {
    let input = Input(input);
    let policy_arn = input.required("PolicyArn")?;
    let version_id = input.required("VersionId")?;
    ctx.write(|tx| {
        let mut policy = require_customer(tx, ctx.account(), policy_arn, Change::DeleteVersion)
            .map_err(|e| missing_policy_as_missing_version(e, policy_arn, version_id))?;
        if policy.body.default_version == version_id {
            return Err(Outcome::Domain(IamError::delete_conflict(
                "Cannot delete the default version of a policy.",
            )));
        }
        let before = policy.body.versions.len();
        policy.body.versions.retain(|v| v.version_id != version_id);
        if policy.body.versions.len() == before {
            return Err(Outcome::Domain(IamError::new(
                "NoSuchEntity",
                format!(
                    "Policy {policy_arn} version {version_id} does not exist or is not attachable."
                ),
            )));
        }
        Table::save(tx, &policy)
    })?;
    Ok(json!({}))
}

pub(super) fn tag_policy(ctx: &OpContext<'_>, input: &Value) -> Result<Value, IamError> {
    let input = Input(input);
    let policy_arn = input.required("PolicyArn")?;
    let tags = input.tags(EntityKind::Policy)?;
    ctx.write(|tx| {
        let mut policy = require_customer(tx, ctx.account(), policy_arn, Change::Update)?;
        super::tags::merge(EntityKind::Policy, &mut policy.core.tags, &tags);
        super::tags::check_count(ctx, policy.core.tags.len()).map_err(Outcome::Domain)?;
        Table::save(tx, &policy)
    })?;
    Ok(json!({}))
}

pub(super) fn untag_policy(ctx: &OpContext<'_>, input: &Value) -> Result<Value, IamError> {
    let input = Input(input);
    let policy_arn = input.required("PolicyArn")?;
    let keys = input.strings("TagKeys");
    ctx.write(|tx| {
        let mut policy = require_customer(tx, ctx.account(), policy_arn, Change::Update)?;
        super::tags::remove(EntityKind::Policy, &mut policy.core.tags, &keys);
        Table::save(tx, &policy)
    })?;
    Ok(json!({}))
}

pub(super) fn list_policy_tags(ctx: &OpContext<'_>, input: &Value) -> Result<Value, IamError> {
    let input = Input(input);
    let policy_arn = input.required("PolicyArn")?;
    match resolve_in_snapshot(ctx, policy_arn)? {
        PolicyView::Aws(_) => super::tags::list_output(input, &[]),
        PolicyView::Customer(p) => {
            // IAM lists policy tags shortest key first, then by code point.
            let mut tags = p.core.tags.clone();
            tags.sort_by(|a, b| (a.key.len(), &a.key).cmp(&(b.key.len(), &b.key)));
            super::tags::list_output(input, &tags)
        }
    }
}

/// The default document of a managed policy by ARN, for outputs that
/// carry whole policies.
pub(super) fn policy_output_for(ctx: &OpContext<'_>, view: &PolicyView<'_>) -> Value {
    policy_output(ctx, view, true)
}
