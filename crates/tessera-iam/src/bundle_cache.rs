//! Each principal's identity policies compiled together
//! ([`tessera_policy::PolicyBundle`]), kept between requests.
//!
//! A request gathers its principal's identity policies from the snapshot
//! (its own, its groups', the attached managed ones); the bundle compiled
//! from them is what decides it. Building one costs a few microseconds, so
//! it is built on a principal's first request and reused until its
//! policies change. Entries are keyed by principal id and checked against
//! the gathered policies (the same compiled values, in the same order)
//! before use, so a change to a policy, an attachment or a group
//! membership is picked up on the next request without any invalidation,
//! and one cache can be shared by every snapshot.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use tessera_policy::{CompiledPolicy, PolicyBundle};

/// Entries kept before the cache starts over: bounds the memory held for
/// principals that no longer exist or whose policies changed.
const MAX_ENTRIES: usize = 1 << 20;

/// Bundles by principal id.
#[derive(Default)]
pub struct BundleCache {
    entries: RwLock<HashMap<String, Arc<PolicyBundle>>>,
}

impl std::fmt::Debug for BundleCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let len = self.entries.read().map_or(0, |e| e.len());
        f.debug_struct("BundleCache")
            .field("entries", &len)
            .finish()
    }
}

impl BundleCache {
    /// The bundle of principal `id`'s `identity` policies: the cached one
    /// when it was compiled from exactly these, otherwise a new one, cached.
    pub fn get(&self, id: &str, identity: &[Arc<CompiledPolicy>]) -> Arc<PolicyBundle> {
        if let Ok(entries) = self.entries.read() {
            if let Some(bundle) = entries.get(id) {
                if bundle.is_compiled_from(identity) {
                    return Arc::clone(bundle);
                }
            }
        }
        let bundle = Arc::new(PolicyBundle::new(identity));
        if let Ok(mut entries) = self.entries.write() {
            if entries.len() >= MAX_ENTRIES && !entries.contains_key(id) {
                entries.clear();
            }
            entries.insert(id.to_string(), Arc::clone(&bundle));
        }
        bundle
    }

    /// How many principals have a cached bundle.
    pub fn len(&self) -> usize {
        self.entries.read().map_or(0, |e| e.len())
    }

    /// True when no bundle is cached.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tessera_policy::PolicyKind;

    fn policy(action: &str) -> Arc<CompiledPolicy> {
        let text = format!(
            r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Action":"{action}","Resource":"*"}}]}}"#
        );
        Arc::new(CompiledPolicy::compile_kind("p", &text, PolicyKind::Identity).expect("valid"))
    }

    #[test]
    fn a_bundle_is_reused_until_the_principal_policies_change() {
        let cache = BundleCache::default();
        let (a, b) = (policy("s3:*"), policy("iam:*"));
        let first = cache.get("u1", &[Arc::clone(&a)]);
        let again = cache.get("u1", &[Arc::clone(&a)]);
        assert!(Arc::ptr_eq(&first, &again));
        let changed = cache.get("u1", &[Arc::clone(&a), Arc::clone(&b)]);
        assert!(!Arc::ptr_eq(&first, &changed));
        assert!(changed.is_compiled_from(&[a, b]));
        assert_eq!(cache.len(), 1);
    }
}
