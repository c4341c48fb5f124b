//! Authorization of a request before its operation runs.
//!
//! The account root may do everything in its account. Every other principal
//! is authorized by its policies; until policies are attached to principals,
//! no identity-based policy allows anything, so they are denied everything
//! but the operations AWS allows to every caller.

use crate::caller::Caller;
use crate::ops::{Operation, Target};
use crate::snapshot::Snapshot;

/// The outcome of authorization.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// The request may proceed.
    Allow,
    /// The request is refused; the message is AWS's `AccessDenied` wording.
    Deny {
        /// The message for the `AccessDenied` error.
        message: String,
    },
}

/// Decides whether `caller` may perform `operation` on `target`.
pub fn authorize(
    _snapshot: &Snapshot,
    caller: &Caller,
    operation: &Operation,
    target: &Target,
) -> Decision {
    if operation.always_allowed || caller.is_root() {
        return Decision::Allow;
    }
    Decision::Deny {
        message: format!(
            "User: {} is not authorized to perform: {} on resource: {} because no identity-based policy allows the {} action",
            caller.arn(),
            target.action,
            target.resource,
            target.action
        ),
    }
}
