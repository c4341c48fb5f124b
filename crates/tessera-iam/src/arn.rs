//! ARNs of IAM and STS entities, in the formats AWS gives them. Every ARN
//! carries its account's partition (`aws`, `aws-cn`, `aws-us-gov`, …).

use crate::kind::EntityKind;

/// The partition of accounts created without one.
pub const DEFAULT_PARTITION: &str = "aws";

/// The partitions an account may be created in.
pub const PARTITIONS: [&str; 7] = [
    "aws",
    "aws-cn",
    "aws-us-gov",
    "aws-iso",
    "aws-iso-b",
    "aws-iso-e",
    "aws-iso-f",
];

/// The partition a region belongs to, from its name, as AWS names them:
/// `cn-north-1` is in `aws-cn`, `us-gov-west-1` in `aws-us-gov`, …;
/// every other region name is in `aws`.
pub fn partition_of_region(region: &str) -> &'static str {
    const PREFIXES: [(&str, &str); 6] = [
        ("cn-", "aws-cn"),
        ("us-gov-", "aws-us-gov"),
        ("us-isob-", "aws-iso-b"),
        ("us-isof-", "aws-iso-f"),
        ("eu-isoe-", "aws-iso-e"),
        ("us-iso-", "aws-iso"),
    ];
    PREFIXES
        .iter()
        .find(|(prefix, _)| region.starts_with(prefix))
        .map(|(_, partition)| *partition)
        .unwrap_or(DEFAULT_PARTITION)
}

/// `parts` end to end, in one allocation of the right size: ARNs are
/// built on every request (the caller's, the resource's, the principal's
/// whose use is recorded), and `format!` grows its buffer a piece at a
/// time.
pub(crate) fn joined(parts: &[&str]) -> String {
    let mut out = String::with_capacity(parts.iter().map(|p| p.len()).sum());
    for part in parts {
        out.push_str(part);
    }
    out
}

/// `arn:PARTITION:iam::ACCOUNT:root`
pub fn root(partition: &str, account: &str) -> String {
    joined(&["arn:", partition, ":iam::", account, ":root"])
}

/// `arn:PARTITION:iam::ACCOUNT:user/PATH/NAME` (the path includes its
/// slashes).
pub fn user(partition: &str, account: &str, path: &str, name: &str) -> String {
    entity(partition, account, EntityKind::User, path, name)
}

/// `arn:PARTITION:iam::ACCOUNT:KIND/PATH/NAME` for any entity kind.
pub fn entity(partition: &str, account: &str, kind: EntityKind, path: &str, name: &str) -> String {
    joined(&[
        "arn:",
        partition,
        ":iam::",
        account,
        ":",
        kind.arn_type(),
        path,
        name,
    ])
}

/// The account-wide resource ARN of list operations of `kind`
/// (`arn:aws:iam::ACCOUNT:role/` for `ListRoles`).
pub fn kind_prefix(partition: &str, account: &str, kind: EntityKind, path_prefix: &str) -> String {
    entity(partition, account, kind, path_prefix, "")
}

/// The account of an IAM ARN and the resource part after `:`, e.g.
/// (`aws`, `policy/service-role/X`) for an AWS-managed policy.
pub fn split_iam(arn: &str) -> Option<(&str, &str)> {
    let (_, account, resource) = split_iam_with_partition(arn)?;
    Some((account, resource))
}

/// The partition, account and resource part of an IAM ARN.
pub fn split_iam_with_partition(arn: &str) -> Option<(&str, &str, &str)> {
    let rest = arn.strip_prefix("arn:")?;
    let (partition, rest) = rest.split_once(':')?;
    let rest = rest.strip_prefix("iam::")?;
    let (account, resource) = rest.split_once(':')?;
    Some((partition, account, resource))
}

/// The path and name of a resource part such as `policy/a/b/Name`:
/// (`/a/b/`, `Name`).
pub fn path_and_name(resource: &str) -> Option<(&str, &str)> {
    let slash = resource.find('/')?;
    let after_type = resource.get(slash..)?;
    let last = after_type.rfind('/')?;
    Some((after_type.get(..=last)?, after_type.get(last + 1..)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn regions_map_to_their_partitions() {
        assert_eq!(partition_of_region("us-east-1"), "aws");
        assert_eq!(partition_of_region("eu-west-3"), "aws");
        assert_eq!(partition_of_region("cn-north-1"), "aws-cn");
        assert_eq!(partition_of_region("us-gov-west-1"), "aws-us-gov");
        assert_eq!(partition_of_region("us-iso-east-1"), "aws-iso");
        assert_eq!(partition_of_region("us-isob-east-1"), "aws-iso-b");
    }

    #[test]
    fn entity_arns_join_partition_account_kind_path_and_name() {
        assert_eq!(
            root("aws-cn", "123456789012"),
            "arn:aws-cn:iam::123456789012:root"
        );
        assert_eq!(
            user("aws", "123456789012", "/a/b/", "alice"),
            "arn:aws:iam::123456789012:user/a/b/alice"
        );
        assert_eq!(
            kind_prefix("aws", "123456789012", EntityKind::Role, "/x/"),
            "arn:aws:iam::123456789012:role/x/"
        );
        assert_eq!(joined(&[]), "");
    }

    #[test]
    fn paths_and_names_split_at_the_last_slash() {
        assert_eq!(path_and_name("policy/a/b/Name"), Some(("/a/b/", "Name")));
        assert_eq!(path_and_name("role/r"), Some(("/", "r")));
    }
}
