//! Access-key last-use tracking.
//!
//! Recording a use on every request must not put a write on the request
//! path, so uses are kept in memory and persisted in the background (and at
//! shutdown). AWS itself documents that last-used information may lag.

use std::collections::HashMap;
use std::sync::Mutex;

use tessera_iam::ops::LastUsedLookup;
use tessera_iam::records::{self, LastUsedRecord, NS_KEY_USED};
use tessera_store::{Backend, StoreError};

/// Uses recorded since the last flush, and those already persisted.
#[derive(Default)]
pub struct LastUsedTracker {
    pending: Mutex<HashMap<String, LastUsedRecord>>,
    store: Option<std::sync::Arc<dyn Backend>>,
}

impl LastUsedTracker {
    /// A tracker that reads persisted uses from `store`.
    pub fn new(store: std::sync::Arc<dyn Backend>) -> Self {
        LastUsedTracker {
            pending: Mutex::new(HashMap::new()),
            store: Some(store),
        }
    }

    /// Records a use of `access_key_id` at `date` (seconds since the epoch)
    /// for `service` in `region`. A key used again for the same service and
    /// region only has its date moved: no allocation on the request path.
    pub fn record(&self, access_key_id: &str, date: i64, service: &str, region: &str) {
        let mut pending = match self.pending.lock() {
            Ok(g) => g,
            Err(p) => p.into_inner(),
        };
        if let Some(known) = pending.get_mut(access_key_id) {
            if known.service == service && known.region == region {
                known.date = known.date.max(date);
                return;
            }
        }
        pending.insert(
            access_key_id.to_string(),
            LastUsedRecord {
                date,
                service: service.to_string(),
                region: region.to_string(),
            },
        );
    }

    /// Persists the uses recorded since the last flush. Uses of keys that
    /// were deleted meanwhile are dropped.
    pub fn flush(&self) -> Result<usize, StoreError> {
        let batch: HashMap<String, LastUsedRecord> = {
            let mut pending = match self.pending.lock() {
                Ok(g) => g,
                Err(p) => p.into_inner(),
            };
            std::mem::take(&mut *pending)
        };
        let Some(store) = &self.store else {
            return Ok(0);
        };
        if batch.is_empty() {
            return Ok(0);
        }
        let mut written = 0;
        store.write(&mut |tx| {
            written = 0;
            for (key_id, used) in &batch {
                if tx.get(records::NS_ACCESS_KEY, key_id)?.is_some() {
                    records::put(tx, NS_KEY_USED, key_id, used)?;
                    written += 1;
                }
            }
            Ok(())
        })?;
        Ok(written)
    }
}

impl LastUsedLookup for LastUsedTracker {
    fn last_used(&self, access_key_id: &str) -> Option<LastUsedRecord> {
        {
            let pending = match self.pending.lock() {
                Ok(g) => g,
                Err(p) => p.into_inner(),
            };
            if let Some(used) = pending.get(access_key_id) {
                return Some(used.clone());
            }
        }
        let store = self.store.as_ref()?;
        tessera_store::read(store.as_ref(), |tx| {
            records::get::<LastUsedRecord>(tx, NS_KEY_USED, access_key_id)
        })
        .ok()
        .flatten()
    }
}
