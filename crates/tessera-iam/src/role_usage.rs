//! When roles were last used: recorded in memory by the server when a role
//! is assumed and written to the role records in the background, so that
//! minting a session never waits on a write. `GetRole` then answers
//! `RoleLastUsed` from the record, as AWS does (AWS too reports it with a
//! lag).

use tessera_store::{Backend, Outcome};

use crate::records::{RoleBody, RoleLastUsed};
use crate::table::Table;
use crate::IamError;

/// Writes the latest use of each role (`role id`, seconds since the epoch,
/// region) to its record, in one transaction; roles deleted meanwhile are
/// skipped, and older uses never overwrite newer ones. Answers how many
/// records changed.
pub fn record_role_uses(
    store: &dyn Backend,
    uses: &[(String, i64, String)],
) -> Result<usize, IamError> {
    if uses.is_empty() {
        return Ok(0);
    }
    tessera_store::write(store, |tx| {
        let mut changed = 0;
        for (role_id, date, region) in uses {
            let Some(mut role) = Table::<RoleBody>::get_by_id(tx, role_id)? else {
                continue;
            };
            if role
                .body
                .last_used
                .as_ref()
                .is_some_and(|used| used.date >= *date)
            {
                continue;
            }
            role.body.last_used = Some(RoleLastUsed {
                date: *date,
                region: region.clone(),
            });
            Table::save(tx, &role)?;
            changed += 1;
        }
        Ok::<_, Outcome<IamError>>(changed)
    })
    .map_err(IamError::from)
}
