//! Relations between entities, kept as edges in both directions: one call
//! writes (or removes) `RELATION|FROM|TO` and its inverse `INVERSE|TO|FROM`
//! together, so each side can be listed and counted with a prefix scan.
//!
//! Endpoints are ids, except managed policies, which are named by ARN
//! (AWS-managed policies have no stored record; policy ARNs never change).
//! No id or ARN contains `|`.

use tessera_store::{StoreError, Transaction};

use crate::records::Ns;

/// The relations Tessera keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Relation {
    /// Group id → user id: the user is a member of the group.
    Member,
    /// Principal id (user, group or role) → managed policy ARN.
    Attached,
    /// Instance profile id → role id.
    ProfileRole,
    /// Principal id (user or role) → the managed policy ARN that is its
    /// permissions boundary.
    Boundary,
}

/// One direction of a relation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Direction {
    /// From the relation's first endpoint (group → users).
    Forward,
    /// From its second endpoint (user → groups).
    Inverse,
}

impl Relation {
    /// Every relation.
    pub const ALL: [Relation; 4] = [
        Relation::Member,
        Relation::Attached,
        Relation::ProfileRole,
        Relation::Boundary,
    ];

    /// The tag of one direction in edge keys.
    pub fn tag(self, direction: Direction) -> &'static str {
        match (self, direction) {
            (Relation::Member, Direction::Forward) => "member",
            (Relation::Member, Direction::Inverse) => "memberof",
            (Relation::Attached, Direction::Forward) => "attached",
            (Relation::Attached, Direction::Inverse) => "attachedto",
            (Relation::ProfileRole, Direction::Forward) => "profilerole",
            (Relation::ProfileRole, Direction::Inverse) => "roleprofile",
            (Relation::Boundary, Direction::Forward) => "boundary",
            (Relation::Boundary, Direction::Inverse) => "boundaryof",
        }
    }

    /// The relation and direction of an edge tag.
    pub fn parse_tag(tag: &str) -> Option<(Relation, Direction)> {
        Relation::ALL.into_iter().find_map(|r| {
            [Direction::Forward, Direction::Inverse]
                .into_iter()
                .find(|d| r.tag(*d) == tag)
                .map(|d| (r, d))
        })
    }
}

/// The key of one directed edge.
pub fn edge_key(relation: Relation, direction: Direction, from: &str, to: &str) -> String {
    format!("{}|{from}|{to}", relation.tag(direction))
}

/// The prefix of every edge leaving `from` in one direction.
pub fn edge_prefix(relation: Relation, direction: Direction, from: &str) -> String {
    // Built by hand: every authorization of a user builds two (its
    // attached policies, its groups), and `format!` costs ten times more.
    let tag = relation.tag(direction);
    let mut prefix = String::with_capacity(tag.len() + from.len() + 2);
    prefix.push_str(tag);
    prefix.push('|');
    prefix.push_str(from);
    prefix.push('|');
    prefix
}

/// Splits an edge key into its relation, direction and endpoints.
pub fn parse_edge_key(key: &str) -> Option<(Relation, Direction, &str, &str)> {
    let mut parts = key.splitn(3, '|');
    let (relation, direction) = Relation::parse_tag(parts.next()?)?;
    Some((relation, direction, parts.next()?, parts.next()?))
}

/// Links `from` to `to` (and `to` back to `from`). Answers whether the
/// link is new.
pub fn link(
    tx: &mut dyn Transaction,
    relation: Relation,
    from: &str,
    to: &str,
) -> Result<bool, StoreError> {
    let forward = edge_key(relation, Direction::Forward, from, to);
    if tx.get(Ns::Edges.as_str(), &forward)?.is_some() {
        return Ok(false);
    }
    tx.put(Ns::Edges.as_str(), &forward, b"")?;
    tx.put(
        Ns::Edges.as_str(),
        &edge_key(relation, Direction::Inverse, to, from),
        b"",
    )?;
    Ok(true)
}

/// Removes the link between `from` and `to`, both ways. Answers whether it
/// existed.
pub fn unlink(
    tx: &mut dyn Transaction,
    relation: Relation,
    from: &str,
    to: &str,
) -> Result<bool, StoreError> {
    let existed = tx.delete(
        Ns::Edges.as_str(),
        &edge_key(relation, Direction::Forward, from, to),
    )?;
    tx.delete(
        Ns::Edges.as_str(),
        &edge_key(relation, Direction::Inverse, to, from),
    )?;
    Ok(existed)
}

/// Whether `from` is linked to `to`.
pub fn linked(
    tx: &mut dyn Transaction,
    relation: Relation,
    from: &str,
    to: &str,
) -> Result<bool, StoreError> {
    Ok(tx
        .get(
            Ns::Edges.as_str(),
            &edge_key(relation, Direction::Forward, from, to),
        )?
        .is_some())
}

/// How many edges leave `from` in one direction.
pub fn count(
    tx: &mut dyn Transaction,
    relation: Relation,
    direction: Direction,
    from: &str,
) -> Result<u64, StoreError> {
    tx.count(Ns::Edges.as_str(), &edge_prefix(relation, direction, from))
}

/// The endpoints linked from `from` in one direction, in key order.
pub fn targets(
    tx: &mut dyn Transaction,
    relation: Relation,
    direction: Direction,
    from: &str,
) -> Result<Vec<String>, StoreError> {
    let prefix = edge_prefix(relation, direction, from);
    Ok(crate::records::scan_all(tx, Ns::Edges.as_str(), &prefix)?
        .into_iter()
        .filter_map(|(key, _)| key.strip_prefix(prefix.as_str()).map(str::to_string))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_edge_key_starts_with_the_prefix_of_its_endpoint_and_direction() {
        for relation in [Relation::Member, Relation::Attached] {
            for direction in [Direction::Forward, Direction::Inverse] {
                let key = edge_key(relation, direction, "AIDAEXAMPLE", "AGPAEXAMPLE");
                let prefix = edge_prefix(relation, direction, "AIDAEXAMPLE");
                assert_eq!(key.strip_prefix(&prefix), Some("AGPAEXAMPLE"));
                assert_eq!(
                    parse_edge_key(&key),
                    Some((relation, direction, "AIDAEXAMPLE", "AGPAEXAMPLE"))
                );
            }
        }
    }
}
