//! The one boundary every caller of an operation goes through (the HTTP
//! pipeline, the in-process tests): resolve the target, authorize it,
//! run the handler, after a write bring the node's snapshot up to date
//! before answering (so the caller's next request sees its own change),
//! and hand every outcome to the audit hook.

use serde_json::Value;
use tessera_store::Backend;
use time::OffsetDateTime;

use crate::authz::{self, Decision, Denial, RequestFacts};
use crate::caller::Caller;
use crate::crypto::Kek;
use crate::ids::Random;
use crate::ops::{OpContext, Operation, Output, StoreUse, Target, Usage};
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
    /// The server's record of use: access keys' last use, and every
    /// authorized or refused attempt on an action.
    pub usage: &'a dyn Usage,
    /// Where every decision and outcome is reported.
    pub audit: &'a dyn Audit,
    /// The server's public base URL (see [`OpContext::public_url`]).
    pub public_url: &'a str,
}

/// How a call ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome<'e> {
    /// Refused by authorization.
    Denied,
    /// Ran and succeeded.
    Succeeded,
    /// Ran and failed with this error code.
    Failed(&'e str),
}

/// One audited call. It names the caller, the action and the resource;
/// it never carries the request's input or output (which may hold
/// secrets such as a new access key's).
#[derive(Debug, Clone, Copy)]
pub struct AuditEvent<'e> {
    /// The caller.
    pub caller: &'e Caller,
    /// The operation.
    pub operation: &'e Operation,
    /// The resource it was authorized on.
    pub resource: &'e str,
    /// How it ended.
    pub outcome: Outcome<'e>,
}

/// Why a request was not authorized.
#[derive(Debug, Clone)]
pub struct Refusal {
    /// The error the caller is answered with.
    pub error: IamError,
    /// What denied it; `None` when the input was refused before
    /// authorization.
    pub denial: Option<Denial>,
}

/// Receives every audited call.
pub trait Audit: Send + Sync {
    /// Records one call.
    fn record(&self, event: &AuditEvent<'_>);
}

/// An audit hook that records nothing.
#[derive(Debug, Default, Clone, Copy)]
pub struct NoAudit;

impl Audit for NoAudit {
    fn record(&self, _: &AuditEvent<'_>) {}
}

impl Domain<'_> {
    /// Authorizes `caller` for `operation` with `input` against
    /// `snapshot`, answering the target it was authorized as; a refusal is
    /// IAM's `AccessDenied` with AWS's wording.
    pub fn authorize(
        &self,
        snapshot: &Snapshot,
        caller: &Caller,
        operation: &Operation,
        input: &Value,
        facts: &RequestFacts,
    ) -> Result<Target, IamError> {
        self.authorize_explained(snapshot, caller, operation, input, facts)
            .map_err(|refusal| refusal.error)
    }

    /// [`Domain::authorize`], answering with a refusal what decided it
    /// (for the operator's log; the caller sees only the error).
    pub fn authorize_explained(
        &self,
        snapshot: &Snapshot,
        caller: &Caller,
        operation: &Operation,
        input: &Value,
        facts: &RequestFacts,
    ) -> Result<Target, Refusal> {
        self.authorize_within(snapshot, caller, operation, input, facts, authz::UNLIMITED)
            .unwrap_or_else(|authz::OverBudget| {
                // Unreachable: an unlimited budget is never exceeded.
                Err(Refusal {
                    error: IamError::service_failure(),
                    denial: None,
                })
            })
    }

    /// [`Domain::authorize_explained`] within a budget of evaluation work
    /// (see [`authz::authorize_within`]): [`authz::OverBudget`], with
    /// nothing decided or recorded, when the request's policy evaluation
    /// could take longer, so that the caller can decide it again, without
    /// a budget, on threads where a long decision holds no one else up.
    pub fn authorize_within(
        &self,
        snapshot: &Snapshot,
        caller: &Caller,
        operation: &Operation,
        input: &Value,
        facts: &RequestFacts,
        budget: u64,
    ) -> Result<Result<Target, Refusal>, authz::OverBudget> {
        if let Err(error) = crate::ops::precheck(operation, input) {
            return Ok(Err(Refusal {
                error,
                denial: None,
            }));
        }
        let target = operation.target(snapshot, caller, input);
        let decision =
            authz::authorize_within(snapshot, caller, operation, &target, facts, budget)?;
        // AWS's last-accessed data counts every attempt that reaches
        // authorization, allowed or denied.
        if let Some(attempt) = crate::service_usage::Attempt::of(
            caller,
            &target.action,
            facts.now.unix_timestamp(),
            &facts.region,
        ) {
            self.usage.attempted(attempt);
        }
        match decision {
            Decision::Allow => Ok(Ok(target)),
            Decision::Deny { message, denial } => {
                self.audit.record(&AuditEvent {
                    caller,
                    operation,
                    resource: &target.resource,
                    outcome: Outcome::Denied,
                });
                Ok(Err(Refusal {
                    error: IamError::new("AccessDenied", message),
                    denial: Some(denial),
                }))
            }
        }
    }

    /// Runs an authorized operation; after a write, refreshes the node's
    /// snapshot (a failed refresh is logged: the write stands, and the
    /// periodic refresh catches up). The answer as a JSON value; see
    /// [`Domain::execute_output`] for the answer as the handler gave it.
    pub fn execute(
        &self,
        snapshot: &Snapshot,
        caller: &Caller,
        operation: &Operation,
        target: &Target,
        input: &Value,
        now: OffsetDateTime,
    ) -> Result<Value, IamError> {
        self.execute_output(snapshot, caller, operation, target, input, now)
            .map(Output::into_value)
    }

    /// [`Domain::execute`], answering what the handler gave: a JSON value
    /// or ordered members, which the protocol's encoder writes without a
    /// JSON value in between.
    pub fn execute_output(
        &self,
        snapshot: &Snapshot,
        caller: &Caller,
        operation: &Operation,
        target: &Target,
        input: &Value,
        now: OffsetDateTime,
    ) -> Result<Output, IamError> {
        let ctx = OpContext {
            store: self.store,
            snapshot,
            caller,
            now,
            random: self.random,
            kek: self.kek,
            quotas: self.quotas,
            usage: self.usage,
            public_url: self.public_url,
        };
        let result = (operation.handler)(&ctx, input);
        if operation.store == StoreUse::Write {
            if let Err(error) = self.cell.refresh(self.store) {
                tracing::error!(%error, "snapshot refresh after a write failed");
            }
        }
        self.audit.record(&AuditEvent {
            caller,
            operation,
            resource: &target.resource,
            outcome: match &result {
                Ok(_) => Outcome::Succeeded,
                Err(e) => Outcome::Failed(e.code),
            },
        });
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
        let target = self.authorize(&snapshot, caller, operation, input, facts)?;
        self.execute(&snapshot, caller, operation, &target, input, facts.now)
    }
}
