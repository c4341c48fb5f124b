//! The AWS IAM policy language: parse, validate, compile and evaluate, with
//! AWS's semantics, and an explanation for every decision.
//!
//! The crate is pure and synchronous: no I/O, no clock (the request context
//! carries `aws:CurrentTime`), no async, no panics on any input. Policies
//! are validated and compiled once into immutable [`CompiledPolicy`] values
//! (`Send + Sync`, share them with `Arc`), then evaluated many times.
//!
//! # Example
//!
//! ```
//! use std::sync::Arc;
//! use tessera_policy::{evaluate, CompiledPolicy, Decision, PolicyKind, PolicySet, Principal, Request};
//!
//! let policy = CompiledPolicy::compile_kind(
//!     "AllowGetObject",
//!     r#"{"Version": "2012-10-17",
//!         "Statement": [{"Sid": "AllowGetObject", "Effect": "Allow",
//!                        "Action": "s3:GetObject", "Resource": "arn:aws:s3:::mydata/*"}]}"#,
//!     PolicyKind::Identity,
//! )
//! .expect("the policy is valid");
//! let identity = [Arc::new(policy)];
//! let set = PolicySet { identity: &identity, ..PolicySet::default() };
//!
//! let bob = Principal::from_arn("arn:aws:iam::123456789012:user/bob").expect("a user ARN");
//! let read = Request::new(bob.clone(), "s3:GetObject", "arn:aws:s3:::mydata/report.csv")
//!     .with_resource_account("123456789012")
//!     .with_context("aws:SourceIp", "192.0.2.7");
//! assert_eq!(evaluate(&set, &read).decision(), Decision::Allowed);
//!
//! let write = Request::new(bob, "s3:PutObject", "arn:aws:s3:::mydata/report.csv")
//!     .with_resource_account("123456789012");
//! let denied = evaluate(&set, &write);
//! assert_eq!(denied.decision(), Decision::ImplicitDeny);
//! assert_eq!(
//!     denied.access_denied_message(&write).as_deref(),
//!     Some("User: arn:aws:iam::123456789012:user/bob is not authorized to perform: s3:PutObject \
//!           on resource: arn:aws:s3:::mydata/report.csv because no identity-based policy allows \
//!           the s3:PutObject action"),
//! );
//! ```
//!
//! Validation alone, with positions and IAM's own wording:
//!
//! ```
//! use tessera_policy::{validate, PolicyKind, ValidationConfig};
//!
//! let report = validate(
//!     r#"{"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Action": "s3:GetObject",
//!         "Resource": "*", "Principal": "*"}}"#,
//!     &ValidationConfig::for_kind(PolicyKind::Identity),
//! );
//! let error = report.errors().next().expect("an error");
//! assert_eq!(error.path, "Statement.Principal");
//! assert_eq!(report.aws_error_message().as_deref(), Some("Policy document should not specify a principal."));
//! ```
//!
//! # Map
//!
//! - [`json`]: a JSON parser that keeps line/column positions.
//! - `document`: JSON → checked policy model, with [`Diagnostic`]s.
//! - `pattern`, `arn`, `values`, `condition`: the matching primitives.
//! - `compiled`: [`CompiledPolicy`], with its per-service action index.
//! - `bundle`: [`PolicyBundle`], a caller's identity policies compiled
//!   together, which a server builds once per principal.
//! - `request`: [`Principal`], [`Request`], [`Context`].
//! - `evaluate`: [`PolicySet`], [`evaluate`], [`Evaluation`], and the
//!   AccessDenied wording.
//! - `work`: [`PolicySet::work_bound`], an upper bound on what one
//!   evaluation can cost, read before it runs.
//!
//! **Invariant:** an evaluation never fails, and nothing it cannot read
//! makes a positive test hold: a missing key, an unparsable request value
//! or a policy variable with no value matches nothing, so no `StringEquals`,
//! `IpAddress`, `Resource` entry, … matches it. The negated forms follow
//! AWS's documented rule (reference_policies_variables, "Policy variables
//! with no value"; reference_policies_elements_condition_operators): a
//! negated operator holds on such a value and a `NotResource` entry
//! excludes nothing. That is what makes a Deny written with them deny; an
//! Allow written with them applies in the same way, as it does in AWS.
//!
//! **Resource policy kinds:** role trust policies and KMS key policies must
//! allow explicitly. [`PolicySet::resource_kind`] says which kind the
//! resource policy is; by default ([`ResourcePolicyKind::FromRequest`]) the
//! request decides: a KMS key ARN (`arn:PARTITION:kms:REGION:ACCOUNT:key/…`)
//! means a key policy, `sts:AssumeRole*` on a role ARN a trust policy.
//!
//! **Dates:** the Date operators read epoch seconds (a signed 64-bit
//! integer, optionally with a fraction; four digits or fewer are a year) or
//! an ISO 8601 date the way IAM's reader (Joda-Time's
//! `ISODateTimeFormat.dateTimeParser`) takes one: a year of one to nine
//! digits, optional `-MM` and `-DD` of one or two digits, then optionally
//! `T` with an optional time `hh[:mm[:ss[.fraction]]]` (one or two digits
//! each, a fraction of one to nine) and an optional offset `Z` or
//! `±hh[:mm]`. A date without an offset is read as UTC.
//!
//! Benchmarks and their workload are described in `BENCHMARKS.md` beside
//! this crate's manifest.

#![deny(missing_docs)]
#![forbid(unsafe_code)]
#![cfg_attr(
    not(test),
    deny(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic,
        clippy::indexing_slicing
    )
)]

mod arn;
mod bundle;
mod compiled;
mod condition;
mod diagnostics;
mod document;
mod evaluate;
pub mod json;
mod pattern;
mod prefetch;
mod request;
mod values;
mod work;

pub use arn::{is_account_id, Arn, KNOWN_PARTITIONS};
pub use bundle::PolicyBundle;
pub use compiled::{validate, CompileError, CompiledPolicy, PrincipalMatch, StatementOutcome};
pub use condition::{Operator, OperatorKind, SetQualifier};
pub use diagnostics::{
    Diagnostic, DiagnosticCode, PolicyKind, PolicyStorage, Severity, SizeLimits, ValidationConfig,
    ValidationReport, SYNTAX_ERRORS,
};
pub use document::{policy_size, Effect, LanguageVersion};
pub use evaluate::{
    access_denied_message, describe_match, describe_reason, evaluate, AllowBasis, Decision,
    Evaluation, OwnedPolicySet, PolicySet, PolicyType, Reason, ResourcePolicyKind, StatementMatch,
};
pub use json::Position;
pub use request::{
    Context, ContextValue, Principal, PrincipalKind, Request, RequestError, TYPICAL_CONTEXT_KEYS,
};

#[cfg(test)]
mod send_sync {
    use super::*;

    fn assert_send_sync<T: Send + Sync>() {}

    #[test]
    fn public_types_are_send_and_sync() {
        assert_send_sync::<CompiledPolicy>();
        assert_send_sync::<PolicyBundle>();
        assert_send_sync::<Request>();
        assert_send_sync::<PolicySet<'static>>();
        assert_send_sync::<Evaluation<'static>>();
        assert_send_sync::<ValidationReport>();
    }
}
