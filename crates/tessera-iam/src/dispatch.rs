//! The one boundary every caller of an operation goes through (the HTTP
//! pipeline, the in-process tests): resolve the target, authorize it,
//! run the handler, and after a write bring the node's snapshot up to date
//! before answering, so the caller's next request sees its own change.

use serde_json::Value;
use tessera_store::Backend;
use time::OffsetDateTime;

use crate::authz::{self, Decision, RequestFacts};
use crate::caller::Caller;
use crate::crypto::Kek;
use crate::ids::Random;
use crate::ops::{LastUsedLookup, OpContext, Operation, StoreUse};
use crate::quotas::Quotas;
use crate::snapshot::{Snapshot, SnapshotCell};
use crate::IamError;

/// What operations run against: the store, the node's snapshot and the
/// shared services.
pub struct Domain<'a> {
    /// The store.
    pub store: &'a dyn Backend,
    /// The node's snapshot.
    pub cell: &'a SnapshotCell,
    /// The random source.
    pub random: &'a dyn Random,
    /// The key-encryption key.
    pub kek: &'a Kek,
    /// The quotas in force.
    pub quotas: &'a Quotas,
    /// Access-key last-use tracking.
    pub last_used: &'a dyn LastUsedLookup,
}

impl Domain<'_> {
    /// Authorizes `caller` for `operation` with `input` against
    /// `snapshot`; a refusal is IAM's `AccessDenied` with AWS's wording.
    pub fn authorize(
        &self,
        snapshot: &Snapshot,
        caller: &Caller,
        operation: &Operation,
        input: &Value,
        facts: &RequestFacts,
    ) -> Result<(), IamError> {
        let target = operation.target(snapshot, caller, input);
        match authz::authorize(snapshot, caller, operation, &target, facts) {
            Decision::Allow => Ok(()),
            Decision::Deny { message } => Err(IamError::new("AccessDenied", message)),
        }
    }

    /// Runs an authorized operation; after a write, refreshes the node's
    /// snapshot (a failed refresh is logged: the write stands, and the
    /// periodic refresh catches up).
    pub fn execute(
        &self,
        snapshot: &Snapshot,
        caller: &Caller,
        operation: &Operation,
        input: &Value,
        now: OffsetDateTime,
    ) -> Result<Value, IamError> {
        let ctx = OpContext {
            store: self.store,
            snapshot,
            caller,
            now,
            random: self.random,
            kek: self.kek,
            quotas: self.quotas,
            last_used: self.last_used,
        };
        let result = (operation.handler)(&ctx, input);
        if operation.store == StoreUse::Write {
            if let Err(error) = self.cell.refresh(self.store) {
                tracing::error!(%error, "snapshot refresh after a write failed");
            }
        }
        result
    }

    /// [`Domain::authorize`], then [`Domain::execute`], on the current
    /// snapshot.
    pub fn call(
        &self,
        caller: &Caller,
        operation: &Operation,
        input: &Value,
        facts: &RequestFacts,
    ) -> Result<Value, IamError> {
        let snapshot = self.cell.load();
        self.authorize(&snapshot, caller, operation, input, facts)?;
        self.execute(&snapshot, caller, operation, input, facts.now)
    }
}
