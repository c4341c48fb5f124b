//! Typed tables over a store transaction: one per entity kind, keyed by the
//! entity's immutable id, with the name index maintained by the table
//! itself. Handlers never write an index entry by hand.

use std::marker::PhantomData;

use tessera_store::{Outcome, StoreError, Transaction};

use crate::error::IamError;
use crate::kind::EntityKind;
use crate::records::{self, Body, Entity, Ns};

/// The name-index key of `name` of `kind` in `account`.
pub fn name_key(kind: EntityKind, account: &str, name: &str) -> String {
    // Built in one allocation: every lookup by name (an authorization
    // target, then the operation) builds one.
    let tag = kind.index_tag();
    let mut key = String::with_capacity(tag.len() + account.len() + name.len() + 2);
    key.push_str(tag);
    key.push('|');
    key.push_str(account);
    key.push('|');
    if name.is_ascii() {
        let start = key.len();
        key.push_str(name);
        if let Some(lowered) = key.get_mut(start..) {
            lowered.make_ascii_lowercase();
        }
    } else {
        // `str::to_lowercase` (a final sigma lowercases differently).
        key.push_str(&name.to_lowercase());
    }
    key
}

/// The name-index prefix of every entity of `kind` in `account`.
pub fn name_prefix(kind: EntityKind, account: &str) -> String {
    format!("{}|{account}|", kind.index_tag())
}

/// Splits a name-index key into kind and account.
pub fn parse_name_key(key: &str) -> Option<(EntityKind, &str)> {
    let mut parts = key.splitn(3, '|');
    let kind = EntityKind::from_index_tag(parts.next()?)?;
    let account = parts.next()?;
    parts.next()?;
    Some((kind, account))
}

/// The table of entities whose body is `B`.
pub struct Table<B>(PhantomData<B>);

/// The result of a table call inside a write transaction.
pub type TxResult<T> = Result<T, Outcome<IamError>>;

impl<B: Body> Table<B> {
    fn ns() -> &'static str {
        Ns::Entity(B::KIND).as_str()
    }

    /// The entity with id `id`.
    pub fn get_by_id(tx: &mut dyn Transaction, id: &str) -> Result<Option<Entity<B>>, StoreError> {
        records::get(tx, Self::ns(), id)
    }

    /// The entity named `name` in `account` (case-insensitively).
    pub fn find(
        tx: &mut dyn Transaction,
        account: &str,
        name: &str,
    ) -> Result<Option<Entity<B>>, StoreError> {
        let Some(id) = tx.get(Ns::Names.as_str(), &name_key(B::KIND, account, name))? else {
            return Ok(None);
        };
        let id = String::from_utf8(id)
            .map_err(|_| StoreError::Backend("corrupt name index entry".into()))?;
        Self::get_by_id(tx, &id)
    }

    /// The entity named `name`, or IAM's `NoSuchEntity` for the kind.
    pub fn require(tx: &mut dyn Transaction, account: &str, name: &str) -> TxResult<Entity<B>> {
        Self::find(tx, account, name)?
            .ok_or_else(|| Outcome::Domain(IamError::no_such_entity(B::KIND, name)))
    }

    /// Inserts a new entity; `EntityAlreadyExists` when its name is taken.
    /// How many entities of the kind `account` holds, counted inside the
    /// transaction (for per-account quotas).
    pub fn count_in_account(tx: &mut dyn Transaction, account: &str) -> Result<usize, StoreError> {
        let count = tx.count(Ns::Names.as_str(), &name_prefix(B::KIND, account))?;
        Ok(usize::try_from(count).unwrap_or(usize::MAX))
    }

    pub fn insert(tx: &mut dyn Transaction, entity: &Entity<B>) -> TxResult<()> {
        let key = name_key(B::KIND, &entity.core.account_id, &entity.core.name);
        if tx.get(Ns::Names.as_str(), &key)?.is_some() {
            return Err(Outcome::Domain(IamError::already_exists(
                B::KIND,
                &entity.core.name,
            )));
        }
        tx.put(Ns::Names.as_str(), &key, entity.core.id.as_bytes())?;
        records::put(tx, Self::ns(), &entity.core.id, entity)?;
        Ok(())
    }

    /// Writes a changed entity. When its name changed (`previous_name`),
    /// the name index moves, refusing a name another entity has.
    pub fn update(
        tx: &mut dyn Transaction,
        previous_name: &str,
        entity: &Entity<B>,
    ) -> TxResult<()> {
        let account = &entity.core.account_id;
        let old = name_key(B::KIND, account, previous_name);
        let new = name_key(B::KIND, account, &entity.core.name);
        if old != new {
            if tx.get(Ns::Names.as_str(), &new)?.is_some() {
                return Err(Outcome::Domain(IamError::already_exists(
                    B::KIND,
                    &entity.core.name,
                )));
            }
            tx.delete(Ns::Names.as_str(), &old)?;
            tx.put(Ns::Names.as_str(), &new, entity.core.id.as_bytes())?;
        }
        records::put(tx, Self::ns(), &entity.core.id, entity)?;
        Ok(())
    }

    /// Writes an entity whose name did not change.
    pub fn save(tx: &mut dyn Transaction, entity: &Entity<B>) -> TxResult<()> {
        Self::update(tx, &entity.core.name.clone(), entity)
    }

    /// Deletes an entity and its name entry. Edges are the caller's to
    /// check or remove first (a delete with edges left is a conflict).
    pub fn delete(tx: &mut dyn Transaction, entity: &Entity<B>) -> TxResult<()> {
        let key = name_key(B::KIND, &entity.core.account_id, &entity.core.name);
        tx.delete(Ns::Names.as_str(), &key)?;
        tx.delete(Self::ns(), &entity.core.id)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn name_keys_lowercase_names_as_str_to_lowercase_does() {
        for name in [
            "Alice",
            "bob-Builder_2+=,.@",
            "ΟΔΥΣΣΕΥΣ",
            "Straße",
            "İstanbul",
            "",
        ] {
            assert_eq!(
                name_key(EntityKind::User, "123456789012", name),
                format!("u|123456789012|{}", name.to_lowercase()),
                "{name}"
            );
        }
        assert!(
            name_key(EntityKind::Role, "1", "A").starts_with(&name_prefix(EntityKind::Role, "1"))
        );
    }
}
