//! Service last accessed reports: `GenerateServiceLastAccessedDetails`,
//! `GetServiceLastAccessedDetails` and
//! `GetServiceLastAccessedDetailsWithEntities`.
//!
//! A report is about a user, a group, a role or a managed policy. It lists
//! every service the subject's permissions policies allow (a user's own and
//! its groups'; a group's; a role's; the policy itself: no boundaries, no
//! resource policies, as AWS documents), and for each the latest attempt
//! by the entities the subject covers (the user; the group's members; the
//! role; every user and role the policy is attached to, directly or
//! through a group), read from [`crate::service_usage`] within the
//! tracking period.
//!
//! Generating a report reads the store and writes the job, complete, under
//! a new job id: the data is at hand, so no job is ever seen in progress.
//! The job keeps the facts (the allowed services and actions, each
//! entity's latest attempts); `Get…` aggregates and pages them. A job is
//! answered only to the principal that generated it (a role session's
//! role), as AWS documents, and kept for [`JOB_RETENTION_SECS`].

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};

use super::context_keys::{managed_document, principal_documents};
use super::paging::page;
use super::service_access::Grants;
use super::{iso8601, Input, OpContext};
use crate::edges::{Direction, Relation};
use crate::kind::EntityKind;
use crate::records::{self, Core, GroupBody, Ns, RoleBody, UserBody};
use crate::service_usage::{self, ACTION_TRACKED, TRACKING_PERIOD_SECS};
use crate::IamError;

/// How long a job's results are kept.
pub const JOB_RETENTION_SECS: i64 = 7 * 24 * 3600;

/// One attempt as a report keeps it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct Used {
    date: i64,
    region: String,
}

/// A service the subject's policies allow.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct AllowedService {
    namespace: String,
    name: String,
    /// The tracked actions allowed, for an `ACTION_LEVEL` job.
    #[serde(default)]
    actions: Vec<String>,
}

/// A user or role the subject covers, with its latest attempts.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct CoveredEntity {
    kind: String,
    arn: String,
    name: String,
    id: String,
    path: String,
    /// Service namespace → latest attempt.
    services: BTreeMap<String, Used>,
    /// `service/Action` → latest attempt.
    actions: BTreeMap<String, Used>,
}

/// A generated report.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct AccessJob {
    /// The ARN of the principal that generated it.
    owner: String,
    created: i64,
    completed: i64,
    granularity: String,
    services: Vec<AllowedService>,
    entities: Vec<CoveredEntity>,
}

fn job_key(account: &str, job_id: &str) -> String {
    format!("{account}/{job_id}")
}

/// The ARN jobs are kept under for the caller.
fn owner_arn(ctx: &OpContext<'_>) -> String {
    service_usage::principal_of(ctx.caller)
        .map(|(_, arn)| arn)
        .unwrap_or_else(|| ctx.caller.arn())
}

/// What a report is about: the documents that decide what is allowed,
/// and the users and roles whose activity counts.
struct Subject {
    documents: Vec<String>,
    entities: Vec<(EntityKind, Core)>,
}

fn subject(ctx: &OpContext<'_>, arn: &str) -> Result<Subject, IamError> {
    let invalid = || IamError::invalid_input(format!("Invalid ARN: {arn}"));
    let (_, resource) = crate::arn::split_iam(arn).ok_or_else(invalid)?;
    let (kind, _) = resource.split_once('/').ok_or_else(invalid)?;
    if kind == "policy" {
        let document = managed_document(ctx, arn)
            .ok_or_else(|| IamError::new("NoSuchEntity", format!("Policy {arn} was not found.")))?;
        return Ok(Subject {
            documents: vec![document.document],
            entities: policy_entities(ctx, arn),
        });
    }
    let principal = principal_documents(ctx, arn)?;
    let documents = principal
        .documents
        .into_iter()
        .map(|d| d.document)
        .collect();
    let snapshot = ctx.snapshot;
    let entities = match kind {
        "group" => {
            let name = resource.rsplit('/').next().unwrap_or(resource);
            let group = snapshot
                .by_name::<GroupBody>(ctx.account(), name)
                .ok_or_else(|| IamError::no_such_entity(EntityKind::Group, name))?;
            snapshot
                .targets(Relation::Member, Direction::Forward, &group.core.id)
                .filter_map(|id| snapshot.get::<UserBody>(id))
                .map(|user| (EntityKind::User, user.core.clone()))
                .collect()
        }
        // A user or a role (`principal_documents` refused anything
        // else): the report covers it alone.
        _ => {
            let name = resource.rsplit('/').next().unwrap_or(resource);
            let user = snapshot
                .by_name::<UserBody>(ctx.account(), name)
                .filter(|u| kind == "user" && u.arn() == arn)
                .map(|u| (EntityKind::User, u.core.clone()));
            let role = snapshot
                .by_name::<RoleBody>(ctx.account(), name)
                .filter(|r| kind == "role" && r.arn() == arn)
                .map(|r| (EntityKind::Role, r.core.clone()));
            user.into_iter().chain(role).collect()
        }
    };
    Ok(Subject {
        documents,
        entities,
    })
}

/// The users and roles a managed policy applies to: attached to them, or
/// to a group they are members of.
fn policy_entities(ctx: &OpContext<'_>, policy_arn: &str) -> Vec<(EntityKind, Core)> {
    let snapshot = ctx.snapshot;
    let mut out: BTreeMap<String, (EntityKind, Core)> = BTreeMap::new();
    for (kind, core) in snapshot.policy_users(Relation::Attached, ctx.account(), policy_arn) {
        match kind {
            EntityKind::Group => {
                for user in snapshot
                    .targets(Relation::Member, Direction::Forward, &core.id)
                    .filter_map(|id| snapshot.get::<UserBody>(id))
                {
                    out.insert(user.core.id.clone(), (EntityKind::User, user.core.clone()));
                }
            }
            _ => {
                out.insert(core.id.clone(), (kind, core.clone()));
            }
        }
    }
    out.into_values().collect()
}

fn entity_type(kind: EntityKind) -> &'static str {
    match kind {
        EntityKind::Role => "ROLE",
        EntityKind::Group => "GROUP",
        _ => "USER",
    }
}

pub(super) fn generate(ctx: &OpContext<'_>, input: &Value) -> Result<Value, IamError> {
    let input = Input(input);
    let arn = input.required("Arn")?;
    let granularity = input.str("Granularity").unwrap_or("SERVICE_LEVEL");
    let action_level = granularity == "ACTION_LEVEL";
    let subject = subject(ctx, arn)?;
    let grants = Grants::of(subject.documents.iter().map(String::as_str));
    let services: Vec<AllowedService> = tessera_aws_data::authorization::all_services()
        .filter(|(namespace, _)| grants.service(namespace))
        .map(|(namespace, name)| AllowedService {
            namespace: namespace.to_string(),
            name: name.to_string(),
            actions: if action_level && ACTION_TRACKED.contains(&namespace) {
                tessera_aws_data::authorization::actions(namespace)
                    .filter(|a| grants.action(namespace, &a.name))
                    .map(|a| a.name.clone())
                    .collect()
            } else {
                Vec::new()
            },
        })
        .collect();

    let now = ctx.now_secs();
    let since = now - TRACKING_PERIOD_SECS;
    let account = ctx.account().to_string();
    let job_id = crate::ids::new_request_id(ctx.random);
    let owner = owner_arn(ctx);
    ctx.write(|tx| {
        let mut entities = Vec::with_capacity(subject.entities.len());
        for (kind, core) in &subject.entities {
            let usage = service_usage::principal_usage(tx, &core.id, since)?;
            let keep = |map: BTreeMap<String, service_usage::ServiceUsedRecord>| {
                map.into_iter()
                    .map(|(key, r)| {
                        (
                            key,
                            Used {
                                date: r.date,
                                region: r.region,
                            },
                        )
                    })
                    .collect()
            };
            entities.push(CoveredEntity {
                kind: entity_type(*kind).to_string(),
                arn: core.arn(*kind),
                name: core.name.clone(),
                id: core.id.clone(),
                path: core.path.clone(),
                services: keep(usage.services),
                actions: if action_level {
                    keep(usage.actions)
                } else {
                    BTreeMap::new()
                },
            });
        }
        let ns = Ns::AccessJob.as_str();
        // Jobs past their retention are forgotten as new ones come.
        for (key, bytes) in records::scan_all(tx, ns, &format!("{account}/"))? {
            let job: AccessJob = records::decode(ns, &key, &bytes)?;
            if job.created + JOB_RETENTION_SECS <= now {
                tx.delete(ns, &key)?;
            }
        }
        let job = AccessJob {
            owner: owner.clone(),
            created: now,
            completed: now,
            granularity: granularity.to_string(),
            services: services.clone(),
            entities,
        };
        records::put(tx, ns, &job_key(&account, &job_id), &job)?;
        Ok(())
    })?;
    Ok(json!({ "JobId": job_id }))
}

/// The job `JobId` names, if the caller generated it and it is kept.
fn load_job(ctx: &OpContext<'_>, job_id: &str) -> Result<AccessJob, IamError> {
    let key = job_key(ctx.account(), job_id);
    let job: Option<AccessJob> =
        ctx.read(|tx| Ok(records::get(tx, Ns::AccessJob.as_str(), &key)?))?;
    job.filter(|job| job.owner == owner_arn(ctx))
        .filter(|job| job.created + JOB_RETENTION_SECS > ctx.now_secs())
        .ok_or_else(|| IamError::new("NoSuchEntity", format!("No job with id {job_id} exists.")))
}

/// The job's status members, as every `Get…` answers them.
fn job_header(job: &AccessJob) -> Map<String, Value> {
    let mut out = Map::new();
    out.insert("JobStatus".into(), json!("COMPLETED"));
    out.insert("JobCreationDate".into(), json!(iso8601(job.created)));
    out.insert("JobCompletionDate".into(), json!(iso8601(job.completed)));
    out
}

/// The latest of the entities' attempts that `pick` finds, with how many
/// entities made one.
fn latest<'j>(
    entities: &'j [CoveredEntity],
    pick: impl Fn(&'j CoveredEntity) -> Option<&'j Used>,
) -> (Option<(&'j CoveredEntity, &'j Used)>, usize) {
    let mut best: Option<(&CoveredEntity, &Used)> = None;
    let mut count = 0;
    for entity in entities {
        if let Some(used) = pick(entity) {
            count += 1;
            if best.is_none_or(|(_, b)| used.date > b.date) {
                best = Some((entity, used));
            }
        }
    }
    (best, count)
}

fn service_entry(job: &AccessJob, service: &AllowedService) -> Value {
    let (last, total) = latest(&job.entities, |e| e.services.get(&service.namespace));
    let mut entry = Map::new();
    entry.insert("ServiceName".into(), json!(service.name));
    entry.insert("ServiceNamespace".into(), json!(service.namespace));
    if let Some((entity, used)) = last {
        entry.insert("LastAuthenticated".into(), json!(iso8601(used.date)));
        entry.insert("LastAuthenticatedEntity".into(), json!(entity.arn));
        entry.insert("LastAuthenticatedRegion".into(), json!(used.region));
    }
    entry.insert("TotalAuthenticatedEntities".into(), json!(total));
    if job.granularity == "ACTION_LEVEL" && !service.actions.is_empty() {
        let tracked: Vec<Value> = service
            .actions
            .iter()
            .map(|action| {
                let key = format!("{}/{action}", service.namespace);
                let mut tracked = Map::new();
                tracked.insert("ActionName".into(), json!(action));
                if let (Some((entity, used)), _) = latest(&job.entities, |e| e.actions.get(&key)) {
                    tracked.insert("LastAccessedEntity".into(), json!(entity.arn));
                    tracked.insert("LastAccessedTime".into(), json!(iso8601(used.date)));
                    tracked.insert("LastAccessedRegion".into(), json!(used.region));
                }
                Value::Object(tracked)
            })
            .collect();
        entry.insert("TrackedActionsLastAccessed".into(), Value::Array(tracked));
    }
    Value::Object(entry)
}

pub(super) fn get(ctx: &OpContext<'_>, input: &Value) -> Result<Value, IamError> {
    let input = Input(input);
    let job = load_job(ctx, input.required("JobId")?)?;
    // Sorted by service namespace, as AWS sorts them by default.
    let page = page(input, job.services.iter(), |s| s.namespace.clone())?;
    let mut out = job_header(&job);
    out.insert("JobType".into(), json!(job.granularity));
    out.insert(
        "ServicesLastAccessed".into(),
        Value::Array(page.items.iter().map(|s| service_entry(&job, s)).collect()),
    );
    Ok(page.finish(out))
}

pub(super) fn get_with_entities(ctx: &OpContext<'_>, input: &Value) -> Result<Value, IamError> {
    let input = Input(input);
    let job = load_job(ctx, input.required("JobId")?)?;
    let namespace = input.required("ServiceNamespace")?.to_ascii_lowercase();
    // The most recent access first, then the entities that made none; ties
    // by ARN. The sort key orders the same way, for the marker.
    let mut entities: Vec<(&CoveredEntity, Option<&Used>)> = job
        .entities
        .iter()
        .map(|e| (e, e.services.get(&namespace)))
        .collect();
    let sort_key = |(entity, used): &(&CoveredEntity, Option<&Used>)| {
        let rank = used.map_or(0, |u| u.date.saturating_add(1));
        format!("{:020}|{}", i64::MAX - rank, entity.arn)
    };
    entities.sort_by_key(|e| sort_key(e));
    let page = page(input, entities, sort_key)?;
    let details: Vec<Value> = page
        .items
        .iter()
        .map(|(entity, used)| {
            let mut detail = Map::new();
            detail.insert(
                "EntityInfo".into(),
                json!({
                    "Arn": entity.arn,
                    "Name": entity.name,
                    "Type": entity.kind,
                    "Id": entity.id,
                    "Path": entity.path,
                }),
            );
            if let Some(used) = used {
                detail.insert("LastAuthenticated".into(), json!(iso8601(used.date)));
            }
            Value::Object(detail)
        })
        .collect();
    let mut out = job_header(&job);
    out.insert("EntityDetailsList".into(), Value::Array(details));
    Ok(page.finish(out))
}
