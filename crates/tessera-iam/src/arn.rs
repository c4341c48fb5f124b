//! ARNs of IAM and STS entities, in the formats AWS gives them.

/// The partition Tessera serves.
pub const PARTITION: &str = "aws";

/// `arn:aws:iam::ACCOUNT:root`
pub fn root(account: &str) -> String {
    format!("arn:{PARTITION}:iam::{account}:root")
}

/// `arn:aws:iam::ACCOUNT:user/PATH/NAME` (the path includes its slashes).
pub fn user(account: &str, path: &str, name: &str) -> String {
    format!("arn:{PARTITION}:iam::{account}:user{path}{name}")
}

/// The resource ARN AWS names for account-wide user operations such as
/// `ListUsers`: `arn:aws:iam::ACCOUNT:user/`.
pub fn user_prefix(account: &str, path_prefix: &str) -> String {
    format!("arn:{PARTITION}:iam::{account}:user{path_prefix}")
}

/// `arn:aws:iam::ACCOUNT:KIND/PATH/NAME` for any entity kind.
pub fn entity(account: &str, kind: crate::kind::EntityKind, path: &str, name: &str) -> String {
    format!(
        "arn:{PARTITION}:iam::{account}:{}{path}{name}",
        kind.arn_type()
    )
}

/// The account-wide resource ARN of list operations of `kind`
/// (`arn:aws:iam::ACCOUNT:role/` for `ListRoles`).
pub fn kind_prefix(account: &str, kind: crate::kind::EntityKind, path_prefix: &str) -> String {
    format!(
        "arn:{PARTITION}:iam::{account}:{}{path_prefix}",
        kind.arn_type()
    )
}

/// The account of an IAM ARN and the resource part after `:`, e.g.
/// (`aws`, `policy/service-role/X`) for an AWS-managed policy.
pub fn split_iam(arn: &str) -> Option<(&str, &str)> {
    let rest = arn.strip_prefix("arn:")?;
    let (_partition, rest) = rest.split_once(':')?;
    let rest = rest.strip_prefix("iam::")?;
    rest.split_once(':')
}

/// The path and name of a resource part such as `policy/a/b/Name`:
/// (`/a/b/`, `Name`).
pub fn path_and_name(resource: &str) -> Option<(&str, &str)> {
    let slash = resource.find('/')?;
    let after_type = resource.get(slash..)?;
    let last = after_type.rfind('/')?;
    Some((after_type.get(..=last)?, after_type.get(last + 1..)?))
}
