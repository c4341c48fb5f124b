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
