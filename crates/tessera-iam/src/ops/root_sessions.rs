//! STS `AssumeRoot`: a privileged root session on a member account of an
//! organization, scoped by one of AWS's task policies.
//!
//! AWS grants it only to the management account of an organization (or
//! its delegated administrator) that has centralized root access. Tessera
//! has no organizations: every account stands outside any, so once the
//! input is checked and the caller authorized (`sts:AssumeRoot` on the
//! target's `root-user` ARN, with `sts:TaskPolicyArn`), the request is
//! refused as it is for a caller that is no organization's management
//! account.

use serde_json::Value;

use super::{Input, OpContext};
use crate::IamError;

/// The AWS managed policies a root session may be scoped to
/// (`arn:aws:iam::aws:policy/root-task/NAME`).
pub const TASK_POLICIES: [&str; 5] = [
    "IAMAuditRootUserCredentials",
    "IAMCreateRootUserPassword",
    "IAMDeleteRootUserCredentials",
    "S3UnlockBucketPolicy",
    "SQSUnlockQueuePolicy",
];

/// The account a `TargetPrincipal` names: an account id, or the ARN of an
/// account's root user (`arn:PARTITION:iam::ACCOUNT:root`).
pub(super) fn target_account(target: &str) -> Option<&str> {
    let is_account = |s: &str| s.len() == 12 && s.bytes().all(|b| b.is_ascii_digit());
    if is_account(target) {
        return Some(target);
    }
    let parts: Vec<&str> = target.split(':').collect();
    match parts.as_slice() {
        ["arn", partition, "iam", "", account, "root"]
            if !partition.is_empty() && is_account(account) =>
        {
            Some(account)
        }
        _ => None,
    }
}

fn task_policy_arn(input: Input<'_>) -> &str {
    input
        .0
        .get("TaskPolicyArn")
        .and_then(|p| p.get("arn"))
        .and_then(Value::as_str)
        .unwrap_or("")
}

/// Whether `arn` names one of the task policies, in any partition.
fn is_task_policy(arn: &str) -> bool {
    let parts: Vec<&str> = arn.splitn(6, ':').collect();
    match parts.as_slice() {
        ["arn", partition, "iam", "", "aws", resource] if !partition.is_empty() => resource
            .strip_prefix("policy/root-task/")
            .is_some_and(|name| TASK_POLICIES.contains(&name)),
        _ => false,
    }
}

/// The checks the model cannot express, made before authorization: the
/// target names an account, and the task policy is one of AWS's five.
/// (`DurationSeconds` ≤ 900 is the model's own constraint.)
pub(super) fn check_input(input: &Value) -> Result<(), IamError> {
    let input = Input(input);
    let target = input.str("TargetPrincipal").unwrap_or("");
    if target_account(target).is_none() {
        return Err(IamError::validation(format!(
            "The TargetPrincipal {target} is invalid: give the member account's id (12 digits) or the ARN of its root user."
        )));
    }
    let policy = task_policy_arn(input);
    if !is_task_policy(policy) {
        return Err(IamError::validation(format!(
            "The TaskPolicyArn {policy} is invalid: it must be one of the AWS managed policies arn:aws:iam::aws:policy/root-task/{}.",
            TASK_POLICIES.join(", arn:aws:iam::aws:policy/root-task/")
        )));
    }
    Ok(())
}

/// The `root-user` ARN `AssumeRoot` is authorized on.
pub(super) fn target_root_arn(partition: &str, input: Input<'_>) -> String {
    let account = target_account(input.str("TargetPrincipal").unwrap_or("")).unwrap_or("");
    crate::arn::root(partition, account)
}

/// `AssumeRoot`: the caller's account is in no organization, so it is no
/// organization's management account and has no centralized root access.
pub(super) fn assume_root(ctx: &OpContext<'_>, input: &Value) -> Result<Value, IamError> {
    check_input(input)?;
    let resource = target_root_arn(ctx.caller.partition(), Input(input));
    Err(IamError::new(
        "AccessDenied",
        format!(
            "User: {} is not authorized to perform: sts:AssumeRoot on resource: {resource} because no organization is associated with your account",
            ctx.caller.arn()
        ),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_target_is_an_account_id_or_a_root_arn() {
        assert_eq!(target_account("111122223333"), Some("111122223333"));
        assert_eq!(
            target_account("arn:aws:iam::111122223333:root"),
            Some("111122223333")
        );
        assert_eq!(target_account("11112222333"), None);
        assert_eq!(target_account("arn:aws:iam::111122223333:user/bob"), None);
        assert_eq!(target_account("arn:aws:sts::111122223333:root"), None);
    }

    #[test]
    fn only_the_five_root_task_policies_scope_a_session() {
        for name in TASK_POLICIES {
            assert!(is_task_policy(&format!(
                "arn:aws:iam::aws:policy/root-task/{name}"
            )));
        }
        assert!(!is_task_policy(
            "arn:aws:iam::aws:policy/AdministratorAccess"
        ));
        assert!(!is_task_policy(
            "arn:aws:iam::123456789012:policy/root-task/S3UnlockBucketPolicy"
        ));
        assert!(!is_task_policy(""));
    }
}
