//! The audit trail, for now as log records: every write and every refusal
//! at `info`, every read at `debug`, under the `tessera::audit` target. A
//! record names the caller, the action, the resource and the outcome; it
//! never carries the request's parameters or answer.

use tessera_iam::dispatch::{Audit, AuditEvent, Outcome};
use tessera_iam::ops::StoreUse;

/// Writes audit records to the log.
#[derive(Debug, Default, Clone, Copy)]
pub struct LogAudit;

impl Audit for LogAudit {
    fn record(&self, event: &AuditEvent<'_>) {
        let action = event.operation.name;
        let resource = event.resource;
        match (event.outcome, event.operation.store) {
            (Outcome::Denied, _) => tracing::info!(
                target: "tessera::audit", caller = %event.caller.arn(), action, resource, outcome = "denied"
            ),
            (Outcome::Failed(code), StoreUse::Write) => tracing::info!(
                target: "tessera::audit", caller = %event.caller.arn(), action, resource, outcome = "failed", code
            ),
            (Outcome::Succeeded, StoreUse::Write) => tracing::info!(
                target: "tessera::audit", caller = %event.caller.arn(), action, resource, outcome = "succeeded"
            ),
            (Outcome::Failed(code), _) => tracing::debug!(
                target: "tessera::audit", caller = %event.caller.arn(), action, resource, outcome = "failed", code
            ),
            (Outcome::Succeeded, _) => tracing::debug!(
                target: "tessera::audit", caller = %event.caller.arn(), action, resource, outcome = "succeeded"
            ),
        }
    }
}
