//! Parse, validate, compile and evaluate arbitrary bytes as a policy of
//! every kind: nothing may panic, and a document that compiles must
//! evaluate to some decision for several kinds of caller.

#![no_main]

use libfuzzer_sys::fuzz_target;
use std::sync::Arc;
use tessera_policy::{
    evaluate, validate, CompiledPolicy, ContextValue, PolicyKind, PolicySet, Principal, Request,
    ValidationConfig,
};

const KINDS: [PolicyKind; 7] = [
    PolicyKind::Identity,
    PolicyKind::Resource,
    PolicyKind::Trust,
    PolicyKind::Boundary,
    PolicyKind::ServiceControl,
    PolicyKind::ResourceControl,
    PolicyKind::Session,
];

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    for kind in KINDS {
        let report = validate(text, &ValidationConfig::for_kind(kind));
        let _ = report.aws_error_message();
        let Ok(policy) = CompiledPolicy::compile_kind("fuzz", text, kind) else {
            continue;
        };
        let policies = [Arc::new(policy)];
        let levels = vec![policies.to_vec()];
        let set = PolicySet {
            identity: &policies,
            permissions_boundary: policies.first().map(|p| &**p),
            session: &policies,
            resource: policies.first().map(|p| &**p),
            service_control: &levels,
            resource_control: &levels,
            ..PolicySet::default()
        };
        let callers = [
            Principal::from_arn("arn:aws:iam::123456789012:user/bob")
                .map(|p| p.with_tag("team", "red")),
            Principal::from_arn("arn:aws:sts::123456789012:assumed-role/app/s1"),
            Principal::from_arn("arn:aws:iam::123456789012:root"),
            Ok(Principal::anonymous()),
            Ok(Principal::service("lambda.amazonaws.com")),
        ];
        for caller in callers.into_iter().flatten() {
            let request = Request::new(caller, "s3:GetObject", "arn:aws:s3:::bucket/key")
                .with_context("aws:SourceIp", "192.0.2.7")
                .with_context("aws:CurrentTime", "2024-01-01T00:00:00Z")
                .with_context(
                    "aws:TagKeys",
                    ContextValue::Multi(vec!["a".into(), "b".into()]),
                );
            let evaluation = evaluate(&set, &request);
            let _ = evaluation.explain();
            let _ = evaluation.access_denied_message(&request);
        }
    }
});
