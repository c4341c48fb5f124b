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

/// The AWS-managed policy with `arn`, in whichever partition the ARN
/// names (`arn:aws-cn:iam::aws:policy/…` is the same policy in `aws-cn`).
pub fn get(arn: &str) -> Option<&'static ManagedPolicy> {
    let (partition, _, _) = crate::arn::split_iam_with_partition(arn)?;
    tessera_aws_data::managed::catalog().get_in_partition(arn, partition)
}

/// Every AWS-managed policy, in name order.
pub fn all() -> impl Iterator<Item = &'static ManagedPolicy> {
    tessera_aws_data::managed::catalog().iter()
}

/// The compiled default version of an AWS-managed policy, compiled once
/// per process the first time any snapshot needs it; `None` when the
/// catalog lacks it or it does not compile.
pub fn compiled(arn: &str) -> Option<std::sync::Arc<tessera_policy::CompiledPolicy>> {
    use std::collections::HashMap;
    use std::sync::{Arc, Mutex, OnceLock};
    type Cache = Mutex<HashMap<String, Option<Arc<tessera_policy::CompiledPolicy>>>>;
    static CACHE: OnceLock<Cache> = OnceLock::new();
    let cache = CACHE.get_or_init(|| Mutex::new(HashMap::new()));
    let mut cache = match cache.lock() {
        Ok(guard) => guard,
        Err(poisoned) => poisoned.into_inner(),
    };
    cache
        .entry(arn.to_string())
        .or_insert_with(|| {
            get(arn).and_then(|p| {
                p.default_document()
                    .and_then(|doc| crate::policies::compile_managed(&p.name, doc))
            })
        })
        .clone()
}
