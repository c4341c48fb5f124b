//! STS operations.

use serde_json::{json, Value};

use super::{OpContext, Operation, Service, StoreUse};
use crate::caller::Caller;
use crate::snapshot::Snapshot;
use crate::IamError;

/// `GetCallerIdentity`: answered from the snapshot alone, and allowed for
/// every authenticated caller, as in AWS.
pub(super) const GET_CALLER_IDENTITY: Operation = Operation {
    service: Service::Sts,
    name: "GetCallerIdentity",
    resource: |_: &Snapshot, _: &Caller, _: &Value| "*".to_string(),
    always_allowed: true,
    store: StoreUse::None,
    handler: get_caller_identity,
};

fn get_caller_identity(ctx: &OpContext<'_>, _input: &Value) -> Result<Value, IamError> {
    Ok(json!({
        "UserId": ctx.caller.user_id(),
        "Account": ctx.caller.account(),
        "Arn": ctx.caller.arn(),
    }))
}
