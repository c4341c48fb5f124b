//! Validation: one line per rule. Each case gives the policy kind, the
//! document, the expected finding code, and IAM's own message where the
//! recorded IAM responses (`MalformedPolicyDocument`) show it.

use tessera_policy::{
    validate, DiagnosticCode as C, PolicyKind as K, Position, Severity, ValidationConfig,
};

const V: &str = r#""Version":"2012-10-17","#;

fn first_error(kind: K, doc: &str) -> Option<(C, Option<String>)> {
    let report = validate(doc, &ValidationConfig::for_kind(kind));
    let first = report.errors().next().map(|d| d.code);
    first.map(|code| (code, report.aws_error_message()))
}

#[rustfmt::skip]
fn error_cases() -> Vec<(K, String, C, Option<&'static str>)> {
    let s = |body: &str| format!(r#"{{{V}"Statement":{body}}}"#);
    vec![
        (K::Identity, "This is not a json document".into(), C::InvalidJson, Some("Syntax errors in policy.")),
        (K::Trust, "{".into(), C::InvalidJson, Some("This policy contains invalid Json")),
        (K::Identity, r#"{"Version":"2013-10-17","Statement":{"Effect":"Allow","Action":"s3:ListBucket","Resource":"*"}}"#.into(), C::InvalidVersion, Some("Syntax errors in policy.")),
        (K::Identity, r#"{"Version":"2012-10-17"}"#.into(), C::MissingStatement, Some("Syntax errors in policy.")),
        (K::Identity, s("[]"), C::MissingStatement, Some("Syntax errors in policy.")),
        (K::Identity, s(r#"["afd"]"#), C::WrongType, Some("Syntax errors in policy.")),
        (K::Identity, format!(r#"{{{V}"Statement":{{"Effect":"Allow","Action":"s3:ListBucket","Resource":"*"}},"Extra field":"value"}}"#), C::UnknownElement, Some("Syntax errors in policy.")),
        (K::Identity, s(r#"{"Effect":"Allow","Action":"s3:ListBucket","Resource":"*","Extra field":"value"}"#), C::UnknownElement, Some("Syntax errors in policy.")),
        (K::Identity, format!(r#"{{{V}"Id":{{}},"Statement":{{"Effect":"Allow","Action":"s3:ListBucket","Resource":"*"}}}}"#), C::WrongType, Some("Syntax errors in policy.")),
        (K::Identity, s(r#"{"Effect":"invalid","Action":"s3:ListBucket","Resource":"*"}"#), C::InvalidEffect, Some("Syntax errors in policy.")),
        (K::Identity, s(r#"{"Effect":"denY","Action":"s3:ListBucket","Resource":"*"}"#), C::InvalidEffect, Some("The policy failed legacy parsing")),
        (K::Identity, s(r#"{"Action":"s3:ListBucket","Resource":"*"}"#), C::InvalidEffect, Some("Syntax errors in policy.")),
        (K::Identity, s(r#"{"Effect":"Allow","Action":"invalid","Resource":"*"}"#), C::InvalidAction, Some("Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc.")),
        (K::Identity, s(r#"{"Effect":"Allow","NotAction":"","Resource":"*"}"#), C::InvalidAction, Some("Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc.")),
        (K::Identity, s(r#"{"Effect":"Allow","Action":"a a:ListBucket","Resource":"*"}"#), C::InvalidAction, Some("Vendor a a is not valid")),
        (K::Identity, s(r#"{"Effect":"Allow","Action":"s3:List:Bucket","Resource":"*"}"#), C::InvalidAction, Some("Actions/Condition can contain only one colon.")),
        (K::Identity, s(r#"{"Effect":"Allow","Resource":"*"}"#), C::MissingAction, Some("Policy statement must contain actions.")),
        (K::Identity, s(r#"{"Effect":"Allow","Action":[],"Resource":"*"}"#), C::MissingAction, Some("Policy statement must contain actions.")),
        (K::Identity, s(r#"{"Effect":"Allow","Action":"s3:ListBucket","NotAction":"iam:dsf","Resource":"*"}"#), C::ActionAndNotAction, Some("Syntax errors in policy.")),
        (K::Identity, s(r#"{"Effect":"Allow","Action":"s3:ListBucket"}"#), C::MissingResource, Some("Policy statement must contain resources.")),
        (K::Identity, s(r#"{"Effect":"Allow","Action":"s3:ListBucket","Resource":[]}"#), C::MissingResource, Some("Policy statement must contain resources.")),
        (K::Identity, s(r#"{"Effect":"Allow","Action":"s3:ListBucket","Resource":"*","NotResource":"*"}"#), C::ResourceAndNotResource, Some("Syntax errors in policy.")),
        (K::Identity, s(r#"{"Effect":"Allow","Action":"s3:ListBucket","Resource":"invalid resource"}"#), C::InvalidResource, Some(r#"Resource invalid resource must be in ARN format or "*"."#)),
        (K::Identity, s(r#"{"Effect":"Allow","Action":"s3:ListBucket","Resource":""}"#), C::InvalidResource, Some(r#"Resource  must be in ARN format or "*"."#)),
        (K::Identity, s(r#"{"Effect":"Allow","NotAction":"s3s:ListBucket","Resource":"a:bsdfdsafsad"}"#), C::InvalidResource, Some(r#"Partition "bsdfdsafsad" is not valid for resource "arn:bsdfdsafsad:*:*:*:*"."#)),
        (K::Identity, s(r#"{"Effect":"Allow","NotAction":"s3s:ListBucket","Resource":"a:b:c:d:e:f:g:h"}"#), C::InvalidResource, Some(r#"Partition "b" is not valid for resource "arn:b:c:d:e:f:g:h"."#)),
        (K::Identity, s(r#"{"Effect":"Allow","Action":"s3:ListBucket","Resource":"aws:s3:::example_bucket"}"#), C::InvalidResource, Some(r#"Partition "s3" is not valid for resource "arn:s3:::example_bucket:*"."#)),
        (K::Identity, s(r#"{"Effect":"Allow","Action":"s3:ListBucket","Resource":"arn:error:s3:::example_bucket"}"#), C::InvalidResource, Some(r#"Partition "error" is not valid for resource "arn:error:s3:::example_bucket"."#)),
        (K::Identity, s(r#"{"Effect":"Allow","Action":"s3:ListBucket","Resource":"arn:aws"}"#), C::InvalidResource, Some("Resource vendor must be fully qualified and cannot contain regexes.")),
        (K::Identity, s(r#"{"Effect":"Allow","Action":"s3:ListBucket","Resource":"arn:aws:s3::example_bucket"}"#), C::InvalidResource, Some("The policy failed legacy parsing")),
        (K::Identity, s(r#"{"Effect":"Allow","Action":"s3:ListBucket","Resource":"arn:aws:iam:us-east-1::example_bucket"}"#), C::InvalidResource, Some("IAM resource arn:aws:iam:us-east-1::example_bucket cannot contain region information.")),
        (K::Identity, s(r#"{"Effect":"Allow","Action":"s3:ListBucket","Resource":"arn:aws:s3:us-east-1::example_bucket"}"#), C::InvalidResource, Some("Resource arn:aws:s3:us-east-1::example_bucket can not contain region information.")),
        (K::Identity, s(r#"{"Effect":"Allow","Action":"s3:ListBucket","Resource":"arn:aws:iam:::example_bucket"}"#), C::InvalidResource, Some(r#"IAM resource path must either be "*", root, or start with user/, federated-user/, role/, group/, instance-profile/, mfa/, server-certificate/, policy/, sms-mfa/, saml-provider/, oidc-provider/, report/, access-report/."#)),
        // reference-arns, "Incorrect wildcard usage": IAM refuses a wildcard in the resource type (`u*` is AWS's example); its check is a literal prefix.
        (K::Identity, s(r#"{"Effect":"Allow","Action":"iam:GetUser","Resource":"arn:aws:iam::123456789012:u*"}"#), C::InvalidResource, Some(r#"IAM resource path must either be "*", root, or start with user/, federated-user/, role/, group/, instance-profile/, mfa/, server-certificate/, policy/, sms-mfa/, saml-provider/, oidc-provider/, report/, access-report/."#)),
        (K::Identity, s(r#"{"Effect":"Allow","Action":"iam:GetUser","Resource":"arn:aws:iam::123456789012:*/bob"}"#), C::InvalidResource, Some(r#"IAM resource path must either be "*", root, or start with user/, federated-user/, role/, group/, instance-profile/, mfa/, server-certificate/, policy/, sms-mfa/, saml-provider/, oidc-provider/, report/, access-report/."#)),
        (K::Identity, s(r#"{"Effect":"Allow","Action":"iam:GetUser","Resource":"arn:aws:iam::123456789012:*name*"}"#), C::InvalidResource, Some(r#"IAM resource path must either be "*", root, or start with user/, federated-user/, role/, group/, instance-profile/, mfa/, server-certificate/, policy/, sms-mfa/, saml-provider/, oidc-provider/, report/, access-report/."#)),
        (K::Identity, s(r#"{"Effect":"Allow","Action":"iam:GetUser","Resource":"arn:aws:iam::123456789012:*alice"}"#), C::InvalidResource, Some(r#"IAM resource path must either be "*", root, or start with user/, federated-user/, role/, group/, instance-profile/, mfa/, server-certificate/, policy/, sms-mfa/, saml-provider/, oidc-provider/, report/, access-report/."#)),
        (K::Identity, s(r#"{"Effect":"Deny","Action":"iam:GetUser","NotResource":"arn:aws:iam::*:?ser/bob"}"#), C::InvalidResource, Some(r#"IAM resource path must either be "*", root, or start with user/, federated-user/, role/, group/, instance-profile/, mfa/, server-certificate/, policy/, sms-mfa/, saml-provider/, oidc-provider/, report/, access-report/."#)),
        (K::Identity, s(r#"{"Effect":"Allow","Action":"iam:GetUser","Resource":"arn:aws:iam::123456789012:${aws:username}"}"#), C::InvalidResource, Some(r#"IAM resource path must either be "*", root, or start with user/, federated-user/, role/, group/, instance-profile/, mfa/, server-certificate/, policy/, sms-mfa/, saml-provider/, oidc-provider/, report/, access-report/."#)),
        (K::Identity, s(r#"{"Effect":"Allow","Action":"s3:ListBucket","Resource":{"a":"arn:aws:s3:::example_bucket"}}"#), C::WrongType, Some("Syntax errors in policy.")),
        (K::Identity, s(r#"{"Effect":"Deny","Action":[[]],"Resource":"*"}"#), C::WrongType, Some("Syntax errors in policy.")),
        (K::Identity, s(r#"{"Effect":"Allow","Action":"s3:ListBucket","Resource":"*","Condition":[]}"#), C::WrongType, Some("Syntax errors in policy.")),
        (K::Identity, s(r#"{"Effect":"Allow","Action":"s3:ListBucket","Resource":"*","Condition":{"a":"b"}}"#), C::UnknownOperator, Some("Syntax errors in policy.")),
        (K::Identity, s(r#"{"Effect":"Allow","Action":"s3:ListBucket","Resource":"*","Condition":{"DateGreaterThan":"b"}}"#), C::WrongType, Some("Syntax errors in policy.")),
        (K::Identity, s(r#"{"Effect":"Allow","Action":"s3:ListBucket","Resource":"*","Condition":{"DateGreaterThan":{"a":{}}}}"#), C::WrongType, Some("Syntax errors in policy.")),
        (K::Identity, s(r#"{"Effect":"Allow","Action":"s3:ListBucket","Resource":"*","Condition":{"ForAnyValue::StringEqualsIfExists":{"a":"asf"}}}"#), C::UnknownOperator, Some("Syntax errors in policy.")),
        (K::Identity, s(r#"{"Effect":"Allow","Action":"s3:ListBucket","Resource":"*","Condition":{"DateGreaterThan":{"a":"sdfdsf"}}}"#), C::InvalidConditionValue, Some("The policy failed legacy parsing")),
        (K::Identity, s(r#"{"Effect":"Allow","Action":"s3:ListBucket","Resource":"*","Condition":{"IpAddress":{"aws:SourceIp":"10.0.0.0/33"}}}"#), C::InvalidConditionValue, Some("Syntax errors in policy.")),
        // reference_policies_elements_condition_operators (Date) and IAM's recorded answers (test_iam_policies invalid-72..75): dates IAM's reader refuses.
        (K::Identity, s(r#"{"Effect":"Allow","Action":"s3:ListBucket","Resource":"*","Condition":{"DateLessThanEquals":{"a":"234-13"}}}"#), C::InvalidConditionValue, Some("The policy failed legacy parsing")),
        (K::Identity, s(r#"{"Effect":"Allow","Action":"s3:ListBucket","Resource":"*","Condition":{"DateLessThanEquals":{"a":"2016-12-13t2:00:00.593194+1"}}}"#), C::InvalidConditionValue, Some("The policy failed legacy parsing")),
        (K::Identity, s(r#"{"Effect":"Allow","Action":"s3:ListBucket","Resource":"*","Condition":{"DateLessThanEquals":{"a":"2016-12-13t2:00:00.1999999999+10:59"}}}"#), C::InvalidConditionValue, Some("The policy failed legacy parsing")),
        (K::Identity, s(r#"{"Effect":"Allow","Action":"s3:ListBucket","Resource":"*","Condition":{"DateLessThan":{"a":"9223372036854775808"}}}"#), C::InvalidConditionValue, Some("The policy failed legacy parsing")),
        // reference_policies_variables, "Condition element": no variables with Numeric, Date, Binary, IP address or Null operators.
        (K::Identity, s(r#"{"Effect":"Allow","Action":"s3:ListBucket","Resource":"*","Condition":{"DateLessThan":{"aws:CurrentTime":"${aws:TokenIssueTime}"}}}"#), C::VariableNotAllowed, Some("Syntax errors in policy.")),
        (K::Identity, s(r#"{"Effect":"Allow","Action":"s3:ListBucket","Resource":"*","Condition":{"NotIpAddress":{"aws:SourceIp":"${aws:PrincipalTag/net}"}}}"#), C::VariableNotAllowed, Some("Syntax errors in policy.")),
        (K::Identity, s(r#"{"Effect":"Allow","Action":"s3:ListBucket","Resource":"*","Condition":{"BinaryEquals":{"k":"${aws:PrincipalTag/k}"}}}"#), C::VariableNotAllowed, Some("Syntax errors in policy.")),
        (K::Identity, s(r#"{"Effect":"Allow","Action":"s3:ListBucket","Resource":"*","Condition":{"Null":{"k":"${aws:PrincipalTag/k}"}}}"#), C::VariableNotAllowed, Some("Syntax errors in policy.")),
        (K::Identity, s(r#"{"Effect":"Allow","Action":"s3:ListBucket","Resource":"*","Condition":{"NumericLessThan":{"s3:max-keys":"${aws:username}"}}}"#), C::VariableNotAllowed, Some("Syntax errors in policy.")),
        (K::Identity, s(r#"{"Effect":"Allow","Action":"s3:ListBucket","Resource":"arn:aws:iam::${aws:username}:user/x"}"#), C::VariableNotAllowed, Some("Syntax errors in policy.")),
        // reference_policies_variables, "Where you can use policy variables": Resource and Condition only, so a NotPrincipal is never left with a variable to resolve.
        (K::Resource, s(r#"{"Effect":"Deny","NotPrincipal":{"AWS":"arn:aws:iam::123456789012:user/${aws:username}"},"Action":"s3:GetObject","Resource":"*"}"#), C::VariableNotAllowed, Some(r#"Invalid principal in policy: "AWS":"arn:aws:iam::123456789012:user/${aws:username}""#)),
        (K::Identity, s(r#"{"Sid":{},"Effect":"Allow","Action":"s3:ListBucket","Resource":"*"}"#), C::WrongType, Some("Syntax errors in policy.")),
        (K::Identity, s(r#"[{"Sid":"sdf","Effect":"Allow","Action":"s3:ListBucket","Resource":"*"},{"Sid":"sdf","Effect":"Allow","Action":"s3:ListBucket","Resource":"*"}]"#), C::DuplicateSid, Some("Statement IDs (SID) in a single policy must be unique.")),
        (K::Identity, s(r#"{"Sid":"has space","Effect":"Allow","Action":"s3:ListBucket","Resource":"*"}"#), C::InvalidSid, Some("Statement IDs (SID) must be alpha-numeric. Check that your input satisfies the regular expression [0-9A-Za-z]*")),
        (K::Identity, s(r#"{"Effect":"Allow","Principal":"*","Action":"s3:ListBucket","Resource":"*"}"#), C::PrincipalNotAllowed, Some("Policy document should not specify a principal.")),
        (K::ServiceControl, s(r#"{"Effect":"Allow","Principal":"*","Action":"s3:ListBucket","Resource":"*"}"#), C::PrincipalNotAllowed, Some("Policy document should not specify a principal.")),
        (K::Resource, s(r#"{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}"#), C::MissingPrincipal, Some("Missing required field Principal")),
        (K::Trust, s(r#"{"Effect":"Allow","Action":"sts:AssumeRole"}"#), C::MissingPrincipal, Some("Missing required field Principal")),
        (K::Trust, s(r#"{"Effect":"Allow","Principal":{"AWS":"123456789012"},"Action":"sts:AssumeRole","Resource":"*"}"#), C::ProhibitedResource, Some("Has prohibited field Resource")),
        (K::Trust, s(r#"{"Effect":"Allow","Principal":{"AWS":"123456789012"},"Action":"s3:GetObject"}"#), C::TrustActionNotAllowed, Some("AssumeRole policy may only specify STS AssumeRole actions.")),
        (K::Resource, s(r#"{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:user/*"},"Action":"s3:GetObject","Resource":"*"}"#), C::InvalidPrincipal, Some(r#"Invalid principal in policy: "AWS":"arn:aws:iam::123456789012:user/*""#)),
        (K::Resource, s(r#"{"Effect":"Allow","Principal":{"AWS":"bob"},"Action":"s3:GetObject","Resource":"*"}"#), C::InvalidPrincipal, Some(r#"Invalid principal in policy: "AWS":"bob""#)),
        (K::Resource, s(r#"{"Effect":"Allow","Principal":{"Robot":"x"},"Action":"s3:GetObject","Resource":"*"}"#), C::UnknownElement, Some("Syntax errors in policy.")),
    ]
}

#[test]
fn each_malformed_document_gets_its_code_and_iam_message() {
    let mut failures = Vec::new();
    for (kind, doc, code, aws) in error_cases() {
        let got = first_error(kind, &doc);
        let want = Some((code, aws.map(str::to_string)));
        if got != want {
            failures.push(format!("{kind:?} {doc}\n  got  {got:?}\n  want {want:?}"));
        }
    }
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn valid_documents_have_no_errors() {
    let docs = [
        // IAM's legacy parser accepts a partition and a service alone.
        (
            K::Identity,
            r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:ListBucket","Resource":"arn:aws:fdsasf"}}"#,
        ),
        (
            K::Identity,
            r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:ListBucket","Resource":["arn:aws:s3:::example_bucket","*"]}}"#,
        ),
        (
            K::Identity,
            r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"arn:aws:iam:::user/example"}}"#,
        ),
        (
            K::Identity,
            r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:ListBucket","Resource":"*","Condition":{}}}"#,
        ),
        (
            K::Identity,
            r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:ListBucket","Resource":"*","Condition":{"DateGreaterThan":{"a":[]}}}}"#,
        ),
        (
            K::Identity,
            r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:ListBucket","Resource":"*","Condition":{"ForAllValues:StringEquals":{"aws:TagKeys":"Department"}}}}"#,
        ),
        (
            K::Identity,
            r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3:::b/${aws:username}/*"}}"#,
        ),
        (
            K::Trust,
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#,
        ),
        (
            K::Trust,
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Federated":"arn:aws:iam::123456789012:saml-provider/Okta"},"Action":["sts:AssumeRoleWithSAML","sts:TagSession"]}]}"#,
        ),
        (
            K::Resource,
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Deny","NotPrincipal":{"AWS":["arn:aws:iam::123456789012:root","arn:aws:sts::123456789012:assumed-role/R/s"]},"Action":"s3:*","Resource":"*"}]}"#,
        ),
        (
            K::ResourceControl,
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Principal":"*","Action":"s3:*","Resource":"*","Condition":{"BoolIfExists":{"aws:SecureTransport":"false"}}}]}"#,
        ),
    ];
    for (kind, doc) in docs {
        let report = validate(doc, &ValidationConfig::for_kind(kind));
        assert!(!report.has_errors(), "{doc}: {:?}", report.diagnostics);
    }
}

/// Resource values IAM accepts in an identity policy, one per line.
#[rustfmt::skip]
const ACCEPTED_RESOURCES: &[&str] = &[
    // reference-arns: `*`, root, and wildcards after the resource type (`user/*`, `user/division_abc*`).
    "arn:aws:iam::123456789012:*",
    "arn:aws:iam::123456789012:root",
    "arn:aws:iam::123456789012:user/*",
    "arn:aws:iam::123456789012:user/division_abc*",
    "arn:aws:iam::*:*",
    // reference_policies_variables, "Resource element": a variable after the resource type.
    "arn:aws:iam::123456789012:user/${aws:username}",
    "arn:aws:iam::*:mfa/${aws:username}",
];

/// Date condition values IAM accepts, one per line: reference_policies_elements_condition_operators
/// (Date: ISO 8601 or epoch) as IAM's recorded answers show its reader (test_iam_policies valid-N).
#[rustfmt::skip]
const ACCEPTED_DATES: &[&str] = &[
    "01T",                                  // valid-30: a bare year and `T`
    "2019-07-01T13:20:15Z",                 // valid-34
    "2016-12-13T21:20:37.593194+00:00",     // valid-35
    "2016-12-13t2:00:00.593194+23",         // valid-36: lowercase t, one-digit hour, hours-only offset
    "-292275054",                           // valid-37: negative epoch seconds
    "9223372036854775807",                  // the largest epoch a signed 64-bit integer holds
    "2017-07-01",                           // W3C profiles
    "2017-07",
    "2017",
    "2017-07-01T00:00",
    "2017-07-01T00:00:00",                  // no offset: read as UTC
];

#[test]
fn iam_resource_paths_and_dates_iam_accepts_are_valid() {
    let doc = |statement: String| format!(r#"{{"Version":"2012-10-17","Statement":{statement}}}"#);
    let mut failures = Vec::new();
    for resource in ACCEPTED_RESOURCES {
        let text = doc(format!(
            r#"{{"Effect":"Allow","Action":"iam:GetUser","Resource":"{resource}"}}"#
        ));
        let report = validate(&text, &ValidationConfig::for_kind(K::Identity));
        if report.has_errors() {
            failures.push(format!("{resource}: {:?}", report.diagnostics));
        }
    }
    for date in ACCEPTED_DATES {
        let text = doc(format!(
            r#"{{"Effect":"Allow","Action":"s3:ListBucket","Resource":"*","Condition":{{"DateGreaterThan":{{"a":"{date}"}}}}}}"#
        ));
        let report = validate(&text, &ValidationConfig::for_kind(K::Identity));
        if report.has_errors() {
            failures.push(format!("{date}: {:?}", report.diagnostics));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn errors_point_at_line_and_column_with_a_json_path() {
    let doc = "{\n  \"Version\": \"2012-10-17\",\n  \"Statement\": [\n    {\"Effect\": \"Allow\", \"Action\": [\"s3:GetObject\", \"s3:Get:Object\"], \"Resource\": \"*\"}\n  ]\n}";
    let report = validate(doc, &ValidationConfig::for_kind(K::Identity));
    let e = report.errors().next().unwrap();
    assert_eq!(e.path, "Statement[0].Action[1]");
    assert_eq!(
        e.position,
        Position {
            line: 4,
            column: 52
        }
    );
    assert!(e.message.contains("`s3:Get:Object`"), "{}", e.message);
}

#[test]
fn warnings_for_missing_version_trust_not_action_and_not_principal_allow() {
    let codes = |kind, doc: &str| -> Vec<(Severity, C)> {
        validate(doc, &ValidationConfig::for_kind(kind))
            .diagnostics
            .iter()
            .map(|d| (d.severity, d.code))
            .collect()
    };
    assert_eq!(
        codes(
            K::Identity,
            r#"{"Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*"}}"#
        ),
        vec![(Severity::Warning, C::MissingVersion)]
    );
    assert_eq!(
        codes(
            K::Identity,
            r#"{"Version":"2008-10-17","Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*"}}"#
        ),
        vec![(Severity::Warning, C::OldVersion)]
    );
    assert_eq!(
        codes(
            K::Identity,
            r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","NotAction":"iam:*","Resource":"*"}}"#
        ),
        vec![(Severity::Warning, C::AllowNotActionAllResources)]
    );
    assert_eq!(
        codes(
            K::Resource,
            r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","NotPrincipal":{"AWS":"123456789012"},"Action":"s3:*","Resource":"*"}}"#
        ),
        vec![(Severity::Warning, C::AllowWithNotPrincipal)]
    );
    assert_eq!(
        codes(
            K::Identity,
            r#"{"Statement":{"Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3:::b/${aws:username}"}}"#
        ),
        vec![
            (Severity::Warning, C::MissingVersion),
            (Severity::Warning, C::VariablesAreLiteral)
        ]
    );
}

// CreatePolicy refuses documents without Version 2012-10-17 (recorded IAM responses).
#[test]
fn managed_policies_can_require_the_current_version() {
    let config = ValidationConfig {
        require_current_version: true,
        ..ValidationConfig::for_kind(K::Identity)
    };
    let report = validate(
        r#"{"Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*"}}"#,
        &config,
    );
    assert_eq!(
        report.aws_error_message().as_deref(),
        Some("Policy document must be version 2012-10-17 or greater.")
    );
}

// Size quotas per policy type, whitespace not counted.
#[test]
fn size_limits_per_policy_type() {
    let statement = r#"{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::bucket-with-a-long-name/*"}"#;
    let doc = |n: usize| {
        format!(
            r#"{{"Version":"2012-10-17","Statement":[{}]}}"#,
            vec![statement; n].join(",\n    ")
        )
    };
    let size = |n: usize| tessera_policy::policy_size(&doc(n));
    let fits = |kind: K, limit: usize| {
        let n = (1..200).take_while(|&n| size(n) <= limit).last().unwrap();
        let ok = validate(&doc(n), &ValidationConfig::for_kind(kind));
        let too_big = validate(&doc(n + 1), &ValidationConfig::for_kind(kind));
        !ok.has_errors() && too_big.is_size_error()
    };
    assert!(fits(K::Identity, 6_144));
    assert!(fits(K::Session, 2_048));
    assert!(fits(K::ServiceControl, 5_120));
    let inline_user = ValidationConfig {
        storage: tessera_policy::PolicyStorage::InlineUser,
        ..ValidationConfig::for_kind(K::Identity)
    };
    assert!(validate(&doc(30), &inline_user).is_size_error());
    let report = validate(&doc(100), &ValidationConfig::for_kind(K::Identity));
    assert_eq!(
        report.aws_error_message().as_deref(),
        Some("Cannot exceed quota for PolicySize: 6144")
    );
    // Whitespace does not count.
    assert_eq!(tessera_policy::policy_size("{ \"a\" :\n\t1 }"), 7);
}
