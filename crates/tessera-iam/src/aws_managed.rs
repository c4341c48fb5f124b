//! The AWS-managed policies (`arn:aws:iam::aws:policy/…`): read-only,
//! shared by every account, served from the vendored catalog in
//! `tessera-aws-data`.

pub use tessera_aws_data::managed::ManagedPolicy;

/// The account segment of AWS-managed policy ARNs.
pub const AWS_ACCOUNT: &str = "aws";

/// Whether `arn` names an AWS-managed policy (whether or not it exists).
pub fn is_aws_managed(arn: &str) -> bool {
    crate::arn::split_iam(arn).is_some_and(|(account, resource)| {
        account == AWS_ACCOUNT && resource.starts_with("policy/")
    })
}

/// The AWS-managed policy with `arn`.
pub fn get(arn: &str) -> Option<&'static ManagedPolicy> {
    tessera_aws_data::managed::catalog().get(arn)
}

/// Every AWS-managed policy, in name order.
pub fn all() -> impl Iterator<Item = &'static ManagedPolicy> {
    tessera_aws_data::managed::catalog().iter()
}
