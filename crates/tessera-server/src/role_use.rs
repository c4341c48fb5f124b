//! Role last-use tracking: each successful `AssumeRole` is noted in memory
//! and the latest use per role written in the background (and at
//! shutdown), so that minting a session stays free of store writes.

use std::collections::HashMap;
use std::sync::Mutex;

use tessera_store::Backend;

/// Role uses noted since the last flush.
#[derive(Default)]
pub struct RoleUseTracker {
    pending: Mutex<HashMap<String, (i64, String)>>,
}

impl RoleUseTracker {
    /// Notes that `role_id` was assumed at `date` in `region`.
    pub fn record(&self, role_id: &str, date: i64, region: &str) {
        let mut pending = match self.pending.lock() {
            Ok(g) => g,
            Err(p) => p.into_inner(),
        };
        match pending.get_mut(role_id) {
            Some((known, known_region)) => {
                if date >= *known {
                    *known = date;
                    if known_region != region {
                        *known_region = region.to_string();
                    }
                }
            }
            None => {
                pending.insert(role_id.to_string(), (date, region.to_string()));
            }
        }
    }

    /// Writes the uses noted since the last flush; a failed write keeps
    /// them for the next one.
    pub fn flush(&self, store: &dyn Backend) -> Result<usize, tessera_iam::IamError> {
        let batch: Vec<(String, i64, String)> = {
            let mut pending = match self.pending.lock() {
                Ok(g) => g,
                Err(p) => p.into_inner(),
            };
            pending
                .drain()
                .map(|(id, (date, region))| (id, date, region))
                .collect()
        };
        match tessera_iam::role_usage::record_role_uses(store, &batch) {
            Ok(changed) => Ok(changed),
            Err(error) => {
                for (id, date, region) in batch {
                    self.record(&id, date, &region);
                }
                Err(error)
            }
        }
    }
}
