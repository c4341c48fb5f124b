//! STS operations.

use serde_json::{json, Value};

use super::OpContext;
use crate::IamError;

/// `GetCallerIdentity`: answered from the snapshot alone, and allowed for
/// every authenticated caller, as in AWS.
pub(super) fn get_caller_identity(ctx: &OpContext<'_>, _input: &Value) -> Result<Value, IamError> {
    Ok(json!({
        "UserId": ctx.caller.user_id(),
        "Account": ctx.caller.account(),
        "Arn": ctx.caller.arn(),
    }))
}
