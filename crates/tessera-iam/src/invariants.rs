//! The store's structural invariants, checked from outside the handlers:
//! every name-index entry points at a record of its kind whose name and
//! account it matches; every record has its name entry; every edge has its
//! inverse and live endpoints; quotas that transactions enforce hold.
//! The in-process tests run it after every step.

use std::collections::{BTreeMap, BTreeSet};

use tessera_store::{Backend, StoreError, Transaction};

use crate::edges::{self, Direction, Relation};
use crate::kind::EntityKind;
use crate::quotas::Quotas;
use crate::records::{self, Core, Ns};
use crate::table;

/// Checks every invariant; answers the violations found (empty when the
/// store is sound).
pub fn check(store: &dyn Backend, quotas: &Quotas) -> Result<Vec<String>, StoreError> {
    tessera_store::read(store, |tx| {
        let mut violations = Vec::new();
        // Entities, by kind and id.
        let mut cores: BTreeMap<(EntityKind, String), Core> = BTreeMap::new();
        for kind in EntityKind::ALL {
            for (id, value) in records::scan_all(tx, Ns::Entity(kind).as_str(), "")? {
                match serde_json::from_slice::<Core>(&value) {
                    Ok(core) if core.id == id => {
                        cores.insert((kind, id), core);
                    }
                    Ok(core) => {
                        violations.push(format!("{kind:?} record {id} carries id {}", core.id))
                    }
                    Err(_) => violations.push(format!("{kind:?} record {id} does not decode")),
                }
            }
        }
        // The name index, both ways.
        let mut named: BTreeSet<(EntityKind, String)> = BTreeSet::new();
        for (key, value) in records::scan_all(tx, Ns::Names.as_str(), "")? {
            let id = String::from_utf8_lossy(&value).to_string();
            let Some((kind, account)) = table::parse_name_key(&key) else {
                violations.push(format!("name entry {key} is malformed"));
                continue;
            };
            match cores.get(&(kind, id.clone())) {
                Some(core)
                    if core.account_id == account
                        && table::name_key(kind, account, &core.name) == key => {}
                Some(_) => violations.push(format!("name entry {key} does not match record {id}")),
                None => violations.push(format!("name entry {key} points at missing {id}")),
            }
            if !named.insert((kind, id.clone())) {
                violations.push(format!("{kind:?} {id} has two name entries"));
            }
        }
        for (kind, id) in cores.keys() {
            if !named.contains(&(*kind, id.clone())) {
                violations.push(format!("{kind:?} {id} has no name entry"));
            }
        }
        // Edges: inverse present, endpoints alive.
        let edge_keys: BTreeSet<String> = records::scan_all(tx, Ns::Edges.as_str(), "")?
            .into_iter()
            .map(|(k, _)| k)
            .collect();
        let exists = |kinds: &[EntityKind], id: &str| {
            kinds
                .iter()
                .any(|k| cores.contains_key(&(*k, id.to_string())))
        };
        let mut per_source: BTreeMap<(Relation, String), u64> = BTreeMap::new();
        let mut per_target: BTreeMap<(Relation, String), u64> = BTreeMap::new();
        for key in &edge_keys {
            let Some((relation, direction, from, to)) = edges::parse_edge_key(key) else {
                violations.push(format!("edge {key} is malformed"));
                continue;
            };
            let inverse = match direction {
                Direction::Forward => edges::edge_key(relation, Direction::Inverse, to, from),
                Direction::Inverse => edges::edge_key(relation, Direction::Forward, to, from),
            };
            if !edge_keys.contains(&inverse) {
                violations.push(format!("edge {key} has no inverse"));
            }
            if direction == Direction::Inverse {
                continue;
            }
            *per_source.entry((relation, from.to_string())).or_default() += 1;
            *per_target.entry((relation, to.to_string())).or_default() += 1;
            let (source_kinds, target_kinds): (&[EntityKind], &[EntityKind]) = match relation {
                Relation::Member => (&[EntityKind::Group], &[EntityKind::User]),
                Relation::Attached => (
                    &[EntityKind::User, EntityKind::Group, EntityKind::Role],
                    &[],
                ),
                Relation::Boundary => (&[EntityKind::User, EntityKind::Role], &[]),
                Relation::ProfileRole => (&[EntityKind::InstanceProfile], &[EntityKind::Role]),
            };
            if !exists(source_kinds, from) {
                violations.push(format!("edge {key} starts at a missing entity"));
            }
            if !target_kinds.is_empty() && !exists(target_kinds, to) {
                violations.push(format!("edge {key} ends at a missing entity"));
            }
            if matches!(relation, Relation::Attached | Relation::Boundary)
                && !policy_exists(tx, to)?
            {
                violations.push(format!("edge {key} names a missing policy"));
            }
        }
        for ((relation, from), count) in &per_source {
            let limit = match relation {
                Relation::Attached => quotas.attached_policies_per_principal,
                Relation::Boundary => 1,
                Relation::ProfileRole => quotas.roles_per_instance_profile,
                Relation::Member => u64::MAX,
            };
            if *count > limit {
                violations.push(format!(
                    "{from} has {count} {relation:?} edges, over {limit}"
                ));
            }
        }
        for ((relation, to), count) in &per_target {
            if *relation == Relation::Member && *count > quotas.groups_per_user {
                violations.push(format!("user {to} is in {count} groups"));
            }
        }
        // Managed policy versions.
        for (id, value) in records::scan_all(tx, Ns::Entity(EntityKind::Policy).as_str(), "")? {
            if let Ok(policy) = records::decode::<records::PolicyRecord>("policies", &id, &value) {
                if policy.body.versions.len() > quotas.versions_per_policy {
                    violations.push(format!("policy {id} keeps too many versions"));
                }
                if policy.body.default().is_none() {
                    violations.push(format!("policy {id} has no default version"));
                }
            }
        }
        Ok(violations)
    })
}

/// Whether a managed policy ARN names an AWS-managed policy of the catalog
/// or a stored customer-managed policy.
fn policy_exists(tx: &mut dyn Transaction, policy_arn: &str) -> Result<bool, StoreError> {
    if crate::aws_managed::is_aws_managed(policy_arn) {
        return Ok(crate::aws_managed::get(policy_arn).is_some());
    }
    let Some((account, resource)) = crate::arn::split_iam(policy_arn) else {
        return Ok(false);
    };
    let Some((_, name)) = crate::arn::path_and_name(resource) else {
        return Ok(false);
    };
    Ok(
        crate::table::Table::<records::PolicyBody>::find(tx, account, name)?
            .is_some_and(|p| p.arn() == policy_arn),
    )
}
