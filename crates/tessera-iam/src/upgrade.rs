//! Brings a store written by an earlier layout up to the current one, in
//! one write transaction at start, before the snapshot is built.
//!
//! Layout 1 kept users under `user` (`ACCOUNT/lowercased-name` → record
//! with `user_id`) with a `userid` index. Layout 2 keys every entity by id
//! (`users`) with a shared name index (`names`); see [`crate::records`].

use std::collections::BTreeMap;

use serde::Deserialize;
use tessera_store::{Backend, Outcome};

use crate::records::{Core, Entity, Tag, UserBody};
use crate::table::Table;
use crate::IamError;

const OLD_USERS: &str = "user";
const OLD_USER_IDS: &str = "userid";

#[derive(Deserialize)]
struct OldUser {
    user_id: String,
    account_id: String,
    name: String,
    path: String,
    created: i64,
    #[serde(default)]
    tags: Vec<Tag>,
    #[serde(default)]
    inline_policies: BTreeMap<String, String>,
}

/// Moves layout-1 users into layout 2. Answers how many were moved; a
/// store already in layout 2 is left untouched (no revision is used).
pub fn upgrade(store: &dyn Backend) -> Result<usize, IamError> {
    let moved = tessera_store::write(store, |tx| {
        let old = crate::records::scan_all(tx, OLD_USERS, "")?;
        for (key, value) in &old {
            let user: OldUser = crate::records::decode(OLD_USERS, key, value)?;
            let entity = Entity {
                core: Core {
                    id: user.user_id.clone(),
                    account_id: user.account_id,
                    partition: crate::arn::DEFAULT_PARTITION.to_string(),
                    name: user.name,
                    path: user.path,
                    created: user.created,
                    tags: user.tags,
                },
                body: UserBody {
                    inline_policies: user.inline_policies,
                    permissions_boundary: None,
                    login_profile: None,
                },
            };
            Table::<UserBody>::insert(tx, &entity)?;
            tx.delete(OLD_USERS, key)?;
            tx.delete(OLD_USER_IDS, &user.user_id)?;
        }
        Ok::<_, Outcome<IamError>>(old.len())
    })?;
    if moved > 0 {
        tracing::info!(
            users = moved,
            "store upgraded to the id-keyed entity layout"
        );
    }
    Ok(moved)
}
