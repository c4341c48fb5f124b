//! One line per documented condition behaviour. Each case wraps the
//! condition in an identity policy `Allow * on *`, evaluates it for an IAM
//! user with the given request context, and expects the condition to hold
//! (allowed) or not (implicit deny).
//!
//! Source of every rule: reference_policies_elements_condition_operators
//! ("CO"), reference_policies_condition-single-vs-multi-valued-context-keys
//! ("MV"), reference_policies_variables ("VAR"; its section "Policy
//! variables with no value" is "NOVAL"), reference_policies_elements_condition
//! ("COND", keys are case-insensitive). Date cases also cite IAM's recorded
//! `CreatePolicy` answers (`test_iam_policies` valid-N / invalid-N).

use std::sync::Arc;
use tessera_policy::{
    evaluate, CompiledPolicy, ContextValue, Decision, PolicyKind, PolicySet, Principal, Request,
};

fn holds(condition: &str, context: &str, version: &str) -> bool {
    let doc = format!(
        r#"{{{version}"Statement":[{{"Effect":"Allow","Action":"*","Resource":"*","Condition":{condition}}}]}}"#,
        version = if version.is_empty() {
            String::new()
        } else {
            format!(r#""Version":"{version}","#)
        }
    );
    let policy = CompiledPolicy::compile_kind("under-test", &doc, PolicyKind::Identity)
        .unwrap_or_else(|e| panic!("{condition} does not compile: {e}"));
    let identity = [Arc::new(policy)];
    let set = PolicySet {
        identity: &identity,
        ..PolicySet::default()
    };
    let principal = Principal::from_arn("arn:aws:iam::123456789012:user/bob").unwrap();
    let mut request = Request::new(principal, "s3:GetObject", "arn:aws:s3:::bucket/key");
    let context: serde_json::Value = serde_json::from_str(context).unwrap();
    for (key, value) in context.as_object().unwrap() {
        let value = match value {
            serde_json::Value::Array(items) => ContextValue::Multi(
                items
                    .iter()
                    .map(|v| v.as_str().unwrap().to_string())
                    .collect(),
            ),
            serde_json::Value::Null => continue,
            other => ContextValue::Single(other.as_str().unwrap().to_string()),
        };
        request = request.with_context(key, value);
    }
    evaluate(&set, &request).decision() == Decision::Allowed
}

#[rustfmt::skip]
const CASES: &[(&str, &str, bool)] = &[
    // CO String: StringEquals is exact and case-sensitive.
    (r#"{"StringEquals":{"aws:PrincipalTag/job":"admin"}}"#, r#"{"aws:PrincipalTag/job":"admin"}"#, true),
    (r#"{"StringEquals":{"aws:PrincipalTag/job":"admin"}}"#, r#"{"aws:PrincipalTag/job":"Admin"}"#, false),
    // CO: a missing key makes a positive operator false.
    (r#"{"StringEquals":{"aws:PrincipalTag/job":"admin"}}"#, r#"{}"#, false),
    // CO: a missing key makes a negated operator true.
    (r#"{"StringNotEquals":{"aws:PrincipalTag/job":"admin"}}"#, r#"{}"#, true),
    (r#"{"StringNotEquals":{"aws:PrincipalTag/job":"admin"}}"#, r#"{"aws:PrincipalTag/job":"dev"}"#, true),
    (r#"{"StringNotEquals":{"aws:PrincipalTag/job":["admin","dev"]}}"#, r#"{"aws:PrincipalTag/job":"dev"}"#, false),
    // CO: StringEqualsIgnoreCase / StringNotEqualsIgnoreCase.
    (r#"{"StringEqualsIgnoreCase":{"aws:PrincipalTag/job":"ADMIN"}}"#, r#"{"aws:PrincipalTag/job":"admin"}"#, true),
    (r#"{"StringNotEqualsIgnoreCase":{"aws:PrincipalTag/job":"ADMIN"}}"#, r#"{"aws:PrincipalTag/job":"admin"}"#, false),
    (r#"{"StringNotEqualsIgnoreCase":{"aws:PrincipalTag/job":"ADMIN"}}"#, r#"{"aws:PrincipalTag/job":"dev"}"#, true),
    // CO: StringLike wildcards * and ? anywhere; case-sensitive.
    (r#"{"StringLike":{"s3:prefix":["","home/","home/bob/*"]}}"#, r#"{"s3:prefix":"home/bob/docs/a.txt"}"#, true),
    (r#"{"StringLike":{"s3:prefix":["home/bob/*"]}}"#, r#"{"s3:prefix":"home/alice/a"}"#, false),
    (r#"{"StringLike":{"ec2:InstanceType":["t1.*","t2.*","m3.*"]}}"#, r#"{"ec2:InstanceType":"t2.micro"}"#, true),
    (r#"{"StringLike":{"ec2:InstanceType":"t?.micro"}}"#, r#"{"ec2:InstanceType":"t3.micro"}"#, true),
    (r#"{"StringLike":{"ec2:InstanceType":"T2.*"}}"#, r#"{"ec2:InstanceType":"t2.micro"}"#, false),
    (r#"{"StringNotLike":{"ec2:InstanceType":"t2.*"}}"#, r#"{"ec2:InstanceType":"m5.large"}"#, true),
    (r#"{"StringNotLike":{"ec2:InstanceType":"t2.*"}}"#, r#"{"ec2:InstanceType":"t2.large"}"#, false),
    (r#"{"StringNotLike":{"ec2:InstanceType":"t2.*"}}"#, r#"{}"#, true),
    // CO: StringEquals treats * literally.
    (r#"{"StringEquals":{"s3:prefix":"home/*"}}"#, r#"{"s3:prefix":"home/x"}"#, false),
    (r#"{"StringEquals":{"s3:prefix":"home/*"}}"#, r#"{"s3:prefix":"home/*"}"#, true),
    // COND: condition key names are case-insensitive.
    (r#"{"StringEquals":{"AWS:PRINCIPALTAG/job":"admin"}}"#, r#"{"aws:principaltag/job":"admin"}"#, true),
    // CO Numeric: the six operators.
    (r#"{"NumericLessThanEquals":{"s3:max-keys":"10"}}"#, r#"{"s3:max-keys":"10"}"#, true),
    (r#"{"NumericLessThanEquals":{"s3:max-keys":"10"}}"#, r#"{"s3:max-keys":"11"}"#, false),
    (r#"{"NumericLessThan":{"s3:max-keys":"10"}}"#, r#"{"s3:max-keys":"10"}"#, false),
    (r#"{"NumericGreaterThan":{"s3:max-keys":"10"}}"#, r#"{"s3:max-keys":"10.5"}"#, true),
    (r#"{"NumericGreaterThanEquals":{"s3:max-keys":10}}"#, r#"{"s3:max-keys":"10"}"#, true),
    (r#"{"NumericEquals":{"s3:max-keys":"10"}}"#, r#"{"s3:max-keys":"10.0"}"#, true),
    (r#"{"NumericNotEquals":{"s3:max-keys":["10","20"]}}"#, r#"{"s3:max-keys":"20"}"#, false),
    (r#"{"NumericNotEquals":{"s3:max-keys":["10","20"]}}"#, r#"{"s3:max-keys":"30"}"#, true),
    (r#"{"NumericEquals":{"s3:max-keys":"10"}}"#, r#"{"s3:max-keys":"ten"}"#, false),
    (r#"{"NumericLessThan":{"s3:max-keys":"10"}}"#, r#"{}"#, false),
    // CO Date: ISO 8601 and epoch, all six operators.
    (r#"{"DateGreaterThan":{"aws:TokenIssueTime":"2020-01-01T00:00:01Z"}}"#, r#"{"aws:TokenIssueTime":"2020-06-01T00:00:00Z"}"#, true),
    (r#"{"DateGreaterThan":{"aws:TokenIssueTime":"2020-01-01T00:00:01Z"}}"#, r#"{"aws:TokenIssueTime":"2019-06-01T00:00:00Z"}"#, false),
    (r#"{"DateGreaterThan":{"aws:TokenIssueTime":"2020-01-01T00:00:01Z"}}"#, r#"{}"#, false),
    (r#"{"DateLessThan":{"aws:CurrentTime":"2017-12-31T23:59:59Z"}}"#, r#"{"aws:CurrentTime":"2017-07-01T00:00:00Z"}"#, true),
    (r#"{"DateLessThanEquals":{"aws:CurrentTime":"2017-07-01T00:00:00Z"}}"#, r#"{"aws:CurrentTime":"2017-07-01T00:00:00Z"}"#, true),
    (r#"{"DateGreaterThanEquals":{"aws:CurrentTime":"2017-07-01"}}"#, r#"{"aws:CurrentTime":"2017-06-30T23:59:59Z"}"#, false),
    (r#"{"DateEquals":{"aws:CurrentTime":"2017-07-01T00:00:00Z"}}"#, r#"{"aws:CurrentTime":"2017-07-01T02:00:00+02:00"}"#, true),
    (r#"{"DateNotEquals":{"aws:CurrentTime":"2017-07-01T00:00:00Z"}}"#, r#"{"aws:CurrentTime":"2017-07-01T00:00:01Z"}"#, true),
    (r#"{"DateGreaterThan":{"aws:EpochTime":"1577836800"}}"#, r#"{"aws:EpochTime":"1577836801"}"#, true),
    (r#"{"DateLessThan":{"aws:CurrentTime":"1577836800"}}"#, r#"{"aws:CurrentTime":"2019-12-31T23:59:59Z"}"#, true),
    // CO Date + recorded valid-30: IAM's ISO reader takes a bare year and `T`: 01T is 0001-01-01T00:00:00Z.
    (r#"{"DateGreaterThan":{"aws:CurrentTime":"01T"}}"#, r#"{"aws:CurrentTime":"2020-01-01T00:00:00Z"}"#, true),
    (r#"{"DateLessThan":{"aws:CurrentTime":"01T"}}"#, r#"{"aws:CurrentTime":"0001-01-01T00:00:00Z"}"#, false),
    // CO Date + recorded valid-36: lowercase t, a one-digit hour and an hours-only offset; 02:00+23 is 03:00Z the day before.
    (r#"{"DateEquals":{"aws:CurrentTime":"2016-12-13t2:00:00.593194+23"}}"#, r#"{"aws:CurrentTime":"2016-12-12T03:00:00.593194Z"}"#, true),
    // CO Date + recorded valid-35: a fraction and a +00:00 offset.
    (r#"{"DateLessThanEquals":{"aws:CurrentTime":"2016-12-13T21:20:37.593194+00:00"}}"#, r#"{"aws:CurrentTime":"2016-12-13T21:20:37.593194Z"}"#, true),
    // CO Date + recorded valid-37: negative epoch seconds.
    (r#"{"DateLessThan":{"aws:EpochTime":"-292275054"}}"#, r#"{"aws:EpochTime":"1577836800"}"#, false),
    (r#"{"DateGreaterThan":{"aws:EpochTime":"-292275054"}}"#, r#"{"aws:EpochTime":"1577836800"}"#, true),
    // CO Date: a date without an offset is read as UTC; one-digit months and days are read too.
    (r#"{"DateEquals":{"aws:CurrentTime":"2017-07-01T00:00:00"}}"#, r#"{"aws:CurrentTime":"2017-07-01T00:00:00Z"}"#, true),
    (r#"{"DateEquals":{"aws:CurrentTime":"2017-7-1"}}"#, r#"{"aws:CurrentTime":"2017-07-01T00:00:00Z"}"#, true),
    // CO Date: a request value the reader refuses (recorded invalid-73's offset) compares as nothing.
    (r#"{"DateLessThan":{"aws:CurrentTime":"2100-01-01T00:00:00Z"}}"#, r#"{"aws:CurrentTime":"2016-12-13t2:00:00.593194+1"}"#, false),
    // CO Bool.
    (r#"{"Bool":{"aws:SecureTransport":"false"}}"#, r#"{"aws:SecureTransport":"false"}"#, true),
    (r#"{"Bool":{"aws:SecureTransport":"false"}}"#, r#"{"aws:SecureTransport":"true"}"#, false),
    (r#"{"Bool":{"aws:MultiFactorAuthPresent":true}}"#, r#"{"aws:MultiFactorAuthPresent":"true"}"#, true),
    (r#"{"Bool":{"aws:MultiFactorAuthPresent":"true"}}"#, r#"{}"#, false),
    // CO BinaryEquals compares the base64 text.
    (r#"{"BinaryEquals":{"k":"QmluYXJ5VmFsdWVJbkJhc2U2NA=="}}"#, r#"{"k":"QmluYXJ5VmFsdWVJbkJhc2U2NA=="}"#, true),
    (r#"{"BinaryEquals":{"k":"QmluYXJ5VmFsdWVJbkJhc2U2NA=="}}"#, r#"{"k":"AAAA"}"#, false),
    // CO IP: CIDR ranges, IPv4 and IPv6, a bare address is /32.
    (r#"{"IpAddress":{"aws:SourceIp":"203.0.113.0/24"}}"#, r#"{"aws:SourceIp":"203.0.113.9"}"#, true),
    (r#"{"IpAddress":{"aws:SourceIp":"203.0.113.0/24"}}"#, r#"{"aws:SourceIp":"203.0.114.9"}"#, false),
    (r#"{"IpAddress":{"aws:SourceIp":["203.0.113.0/24","2001:DB8:1234:5678::/64"]}}"#, r#"{"aws:SourceIp":"2001:db8:1234:5678:abcd::1"}"#, true),
    (r#"{"IpAddress":{"aws:SourceIp":"203.0.113.7"}}"#, r#"{"aws:SourceIp":"203.0.113.7"}"#, true),
    (r#"{"IpAddress":{"aws:SourceIp":"203.0.113.7"}}"#, r#"{"aws:SourceIp":"203.0.113.8"}"#, false),
    (r#"{"NotIpAddress":{"aws:SourceIp":["192.0.2.0/24","203.0.113.0/24"]}}"#, r#"{"aws:SourceIp":"198.51.100.1"}"#, true),
    (r#"{"NotIpAddress":{"aws:SourceIp":["192.0.2.0/24","203.0.113.0/24"]}}"#, r#"{"aws:SourceIp":"192.0.2.1"}"#, false),
    // CO: a VPC-endpoint request has no aws:SourceIp, so IpAddress is false.
    (r#"{"IpAddress":{"aws:SourceIp":"203.0.113.0/24"}}"#, r#"{}"#, false),
    // CO ARN: component-wise matching, ArnEquals and ArnLike identical.
    (r#"{"ArnEquals":{"aws:SourceArn":"arn:aws:sns:us-east-1:123456789012:topic"}}"#, r#"{"aws:SourceArn":"arn:aws:sns:us-east-1:123456789012:topic"}"#, true),
    (r#"{"ArnLike":{"aws:SourceArn":"arn:aws:someservice:*:111122223333:finance/*"}}"#, r#"{"aws:SourceArn":"arn:aws:someservice:us-east-2:999999999999:store/abc:111122223333:finance/document.txt"}"#, false),
    (r#"{"StringLike":{"aws:SourceArn":"arn:aws:someservice:*:111122223333:finance/*"}}"#, r#"{"aws:SourceArn":"arn:aws:someservice:us-east-2:999999999999:store/abc:111122223333:finance/document.txt"}"#, true),
    (r#"{"ArnEquals":{"aws:SourceArn":"arn:aws:someservice:*:111122223333:finance/*"}}"#, r#"{"aws:SourceArn":"arn:aws:someservice:eu-west-1:111122223333:finance/x"}"#, true),
    (r#"{"ArnNotLike":{"aws:PrincipalArn":"arn:aws:iam::*:role/Admin"}}"#, r#"{"aws:PrincipalArn":"arn:aws:iam::123456789012:role/Admin"}"#, false),
    (r#"{"ArnNotEquals":{"aws:PrincipalArn":"arn:aws:iam::*:role/Admin"}}"#, r#"{"aws:PrincipalArn":"arn:aws:iam::123456789012:role/Dev"}"#, true),
    // CO IfExists: true on a missing key, evaluated normally when present.
    (r#"{"StringLikeIfExists":{"ec2:InstanceType":["t1.*","t2.*","m3.*"]}}"#, r#"{}"#, true),
    (r#"{"StringLikeIfExists":{"ec2:InstanceType":["t1.*","t2.*","m3.*"]}}"#, r#"{"ec2:InstanceType":"m5.large"}"#, false),
    (r#"{"BoolIfExists":{"aws:MultiFactorAuthPresent":"false"}}"#, r#"{}"#, true),
    (r#"{"BoolIfExists":{"aws:MultiFactorAuthPresent":"false"}}"#, r#"{"aws:MultiFactorAuthPresent":"true"}"#, false),
    (r#"{"NumericLessThanIfExists":{"s3:max-keys":"10"}}"#, r#"{}"#, true),
    (r#"{"DateLessThanIfExists":{"aws:TokenIssueTime":"2020-01-01T00:00:00Z"}}"#, r#"{}"#, true),
    (r#"{"IpAddressIfExists":{"aws:SourceIp":"10.0.0.0/8"}}"#, r#"{}"#, true),
    (r#"{"ArnLikeIfExists":{"aws:SourceArn":"arn:aws:s3:::b"}}"#, r#"{}"#, true),
    (r#"{"StringNotEqualsIfExists":{"aws:RequestTag/env":"prod"}}"#, r#"{"aws:RequestTag/env":"prod"}"#, false),
    // CO Null: true means absent, false means present.
    (r#"{"Null":{"aws:TokenIssueTime":"true"}}"#, r#"{}"#, true),
    (r#"{"Null":{"aws:TokenIssueTime":"true"}}"#, r#"{"aws:TokenIssueTime":"2020-01-01T00:00:00Z"}"#, false),
    (r#"{"Null":{"aws:TokenIssueTime":"false"}}"#, r#"{"aws:TokenIssueTime":"2020-01-01T00:00:00Z"}"#, true),
    (r#"{"Null":{"aws:TokenIssueTime":false}}"#, r#"{}"#, false),
    // COND: operator blocks AND, keys AND, values OR.
    (r#"{"StringEquals":{"a:x":"1","a:y":"2"}}"#, r#"{"a:x":"1","a:y":"2"}"#, true),
    (r#"{"StringEquals":{"a:x":"1","a:y":"2"}}"#, r#"{"a:x":"1","a:y":"3"}"#, false),
    (r#"{"StringEquals":{"a:x":["1","2"]}}"#, r#"{"a:x":"2"}"#, true),
    (r#"{"StringEquals":{"a:x":"1"},"NumericLessThan":{"a:n":"5"}}"#, r#"{"a:x":"1","a:n":"4"}"#, true),
    (r#"{"StringEquals":{"a:x":"1"},"NumericLessThan":{"a:n":"5"}}"#, r#"{"a:x":"1","a:n":"6"}"#, false),
    // MV ForAllValues: every request value must match; true when the key is missing or empty.
    (r#"{"ForAllValues:StringEquals":{"aws:TagKeys":["environment","cost-center"]}}"#, r#"{"aws:TagKeys":["environment"]}"#, true),
    (r#"{"ForAllValues:StringEquals":{"aws:TagKeys":["environment","cost-center"]}}"#, r#"{"aws:TagKeys":["environment","owner"]}"#, false),
    (r#"{"ForAllValues:StringEquals":{"aws:TagKeys":["environment","cost-center"]}}"#, r#"{}"#, true),
    (r#"{"ForAllValues:StringEquals":{"aws:TagKeys":["environment","cost-center"]}}"#, r#"{"aws:TagKeys":[]}"#, true),
    (r#"{"ForAllValues:StringLike":{"aws:TagKeys":["env*"]}}"#, r#"{"aws:TagKeys":["env","environment"]}"#, true),
    // MV ForAnyValue: at least one request value must match; false when missing or empty.
    (r#"{"ForAnyValue:StringEquals":{"aws:TagKeys":["environment","cost-center"]}}"#, r#"{"aws:TagKeys":["owner","environment"]}"#, true),
    (r#"{"ForAnyValue:StringEquals":{"aws:TagKeys":["environment","cost-center"]}}"#, r#"{"aws:TagKeys":["owner"]}"#, false),
    (r#"{"ForAnyValue:StringEquals":{"aws:TagKeys":["environment","cost-center"]}}"#, r#"{}"#, false),
    (r#"{"ForAnyValue:StringEquals":{"aws:TagKeys":["environment","cost-center"]}}"#, r#"{"aws:TagKeys":[]}"#, false),
    // MV: negated operators under set qualifiers test each request value against all policy values.
    (r#"{"ForAllValues:StringNotEquals":{"aws:TagKeys":["secret"]}}"#, r#"{"aws:TagKeys":["a","b"]}"#, true),
    (r#"{"ForAllValues:StringNotEquals":{"aws:TagKeys":["secret"]}}"#, r#"{"aws:TagKeys":["a","secret"]}"#, false),
    (r#"{"ForAnyValue:StringNotEquals":{"aws:TagKeys":["secret"]}}"#, r#"{"aws:TagKeys":["secret","a"]}"#, true),
    (r#"{"ForAnyValue:StringNotEquals":{"aws:TagKeys":["secret"]}}"#, r#"{"aws:TagKeys":["secret"]}"#, false),
    // MV + IfExists: ForAnyValue…IfExists holds on a missing key.
    (r#"{"ForAnyValue:StringEqualsIfExists":{"aws:TagKeys":["a"]}}"#, r#"{}"#, true),
    // MV: without a qualifier a multivalued key matches when any value does; a negated operator when none does.
    (r#"{"StringEquals":{"aws:TagKeys":"a"}}"#, r#"{"aws:TagKeys":["b","a"]}"#, true),
    (r#"{"StringNotEquals":{"aws:TagKeys":"a"}}"#, r#"{"aws:TagKeys":["b","a"]}"#, false),
    (r#"{"StringNotEquals":{"aws:TagKeys":"a"}}"#, r#"{"aws:TagKeys":["b","c"]}"#, true),
    // VAR: variables in condition values, with defaults.
    (r#"{"StringLike":{"s3:prefix":"home/${aws:username}/*"}}"#, r#"{"s3:prefix":"home/bob/x"}"#, true),
    (r#"{"StringLike":{"s3:prefix":"home/${aws:username}/*"}}"#, r#"{"s3:prefix":"home/alice/x"}"#, false),
    (r#"{"StringEquals":{"aws:ResourceTag/team":"${aws:PrincipalTag/team}"}}"#, r#"{"aws:ResourceTag/team":"red","aws:PrincipalTag/team":"red"}"#, true),
    (r#"{"StringEquals":{"aws:ResourceTag/team":"${aws:PrincipalTag/team}"}}"#, r#"{"aws:ResourceTag/team":"red","aws:PrincipalTag/team":"blue"}"#, false),
    (r#"{"StringEquals":{"aws:ResourceTag/team":"${aws:PrincipalTag/team, 'company-wide'}"}}"#, r#"{"aws:ResourceTag/team":"company-wide"}"#, true),
    // NOVAL: a variable with no value is null, "There is no equal or like value": positive String operators do not match...
    (r#"{"StringEquals":{"aws:ResourceTag/team":"${aws:PrincipalTag/team}"}}"#, r#"{"aws:ResourceTag/team":"red"}"#, false),
    (r#"{"StringEqualsIgnoreCase":{"aws:ResourceTag/team":"${aws:PrincipalTag/team}"}}"#, r#"{"aws:ResourceTag/team":"red"}"#, false),
    (r#"{"StringLike":{"s3:prefix":"home/${aws:PrincipalTag/team}/*"}}"#, r#"{"s3:prefix":"home/x/y"}"#, false),
    (r#"{"StringLike":{"s3:prefix":"home/${aws:PrincipalTag/team}/*"}}"#, r#"{}"#, false),
    // NOVAL: ...and "Inverted condition operators like StringNotEquals or StringNotLike do match against a null value" (AWS's own Deny example).
    (r#"{"StringNotEquals":{"aws:ResourceTag/team":"${aws:PrincipalTag/team}"}}"#, r#"{"aws:ResourceTag/team":"red"}"#, true),
    (r#"{"StringNotEqualsIgnoreCase":{"aws:ResourceTag/team":"${aws:PrincipalTag/team}"}}"#, r#"{"aws:ResourceTag/team":"red"}"#, true),
    (r#"{"StringNotLike":{"s3:prefix":"home/${aws:PrincipalTag/team}/*"}}"#, r#"{"s3:prefix":"home/x/y"}"#, true),
    (r#"{"StringNotLike":{"s3:prefix":"home/${aws:PrincipalTag/team}/*"}}"#, r#"{"s3:prefix":"other/x"}"#, true),
    // NOVAL + CO: with the key absent too, the negated operator still holds.
    (r#"{"StringNotLike":{"s3:prefix":"home/${aws:PrincipalTag/team}/*"}}"#, r#"{}"#, true),
    (r#"{"StringNotEquals":{"aws:ResourceTag/team":"${aws:PrincipalTag/team}"}}"#, r#"{}"#, true),
    // NOVAL + COND: only the null value matches nothing; the key's other values OR as usual.
    (r#"{"StringEquals":{"a:x":["${aws:PrincipalTag/team}","red"]}}"#, r#"{"a:x":"red"}"#, true),
    (r#"{"StringNotEquals":{"a:x":["${aws:PrincipalTag/team}","red"]}}"#, r#"{"a:x":"red"}"#, false),
    (r#"{"StringNotEquals":{"a:x":["${aws:PrincipalTag/team}","red"]}}"#, r#"{"a:x":"blue"}"#, true),
    // NOVAL + CO IfExists: a present key is compared with the null value as above; an absent one holds.
    (r#"{"StringNotEqualsIfExists":{"aws:ResourceTag/team":"${aws:PrincipalTag/team}"}}"#, r#"{"aws:ResourceTag/team":"red"}"#, true),
    (r#"{"StringEqualsIfExists":{"aws:ResourceTag/team":"${aws:PrincipalTag/team}"}}"#, r#"{"aws:ResourceTag/team":"red"}"#, false),
    (r#"{"StringEqualsIfExists":{"aws:ResourceTag/team":"${aws:PrincipalTag/team}"}}"#, r#"{}"#, true),
    // NOVAL + MV: each request value is compared with the null value; the absent-key rules of the qualifiers are unchanged.
    (r#"{"ForAnyValue:StringEquals":{"aws:TagKeys":"${aws:PrincipalTag/team}"}}"#, r#"{"aws:TagKeys":["a"]}"#, false),
    (r#"{"ForAnyValue:StringNotEquals":{"aws:TagKeys":"${aws:PrincipalTag/team}"}}"#, r#"{"aws:TagKeys":["a"]}"#, true),
    (r#"{"ForAllValues:StringEquals":{"aws:TagKeys":"${aws:PrincipalTag/team}"}}"#, r#"{"aws:TagKeys":["a"]}"#, false),
    (r#"{"ForAllValues:StringNotLike":{"aws:TagKeys":"${aws:PrincipalTag/team}*"}}"#, r#"{"aws:TagKeys":["a","b"]}"#, true),
    (r#"{"ForAllValues:StringEquals":{"aws:TagKeys":"${aws:PrincipalTag/team}"}}"#, r#"{}"#, true),
    (r#"{"ForAnyValue:StringNotEquals":{"aws:TagKeys":"${aws:PrincipalTag/team}"}}"#, r#"{}"#, false),
    // NOVAL + VAR: "You can't use a multivalued condition key as a variable": it has no value either.
    (r#"{"StringEquals":{"a:x":"${aws:TagKeys}"}}"#, r#"{"a:x":"a","aws:TagKeys":["a"]}"#, false),
    (r#"{"StringNotEquals":{"a:x":"${aws:TagKeys}"}}"#, r#"{"a:x":"a","aws:TagKeys":["a"]}"#, true),
    // VAR: a default is a value, not null.
    (r#"{"StringNotEquals":{"a:x":"${aws:PrincipalTag/team, 'red'}"}}"#, r#"{"a:x":"red"}"#, false),
    // NOVAL: with the variable resolved, the negated operator compares as usual.
    (r#"{"StringNotEquals":{"aws:ResourceTag/team":"${aws:PrincipalTag/team}"}}"#, r#"{"aws:ResourceTag/team":"red","aws:PrincipalTag/team":"red"}"#, false),
    (r#"{"StringNotEquals":{"aws:ResourceTag/team":"${aws:PrincipalTag/team}"}}"#, r#"{"aws:ResourceTag/team":"red","aws:PrincipalTag/team":"blue"}"#, true),
    // NOVAL + CO ARN: the ARN operators (variables allowed, VAR "Condition element") follow the same rule, component by component.
    (r#"{"ArnEquals":{"aws:SourceArn":"arn:aws:s3:::${aws:PrincipalTag/team}"}}"#, r#"{"aws:SourceArn":"arn:aws:s3:::red"}"#, false),
    (r#"{"ArnLike":{"aws:SourceArn":"arn:aws:s3:::${aws:PrincipalTag/team}*"}}"#, r#"{"aws:SourceArn":"arn:aws:s3:::red"}"#, false),
    (r#"{"ArnNotEquals":{"aws:SourceArn":"arn:aws:s3:::${aws:PrincipalTag/team}"}}"#, r#"{"aws:SourceArn":"arn:aws:s3:::red"}"#, true),
    (r#"{"ArnNotLike":{"aws:SourceArn":"arn:aws:s3:::${aws:PrincipalTag/team}*"}}"#, r#"{"aws:SourceArn":"arn:aws:s3:::red"}"#, true),
    (r#"{"ArnNotLike":{"aws:SourceArn":"arn:aws:s3:::${aws:PrincipalTag/team}"}}"#, r#"{}"#, true),
    // NOVAL + CO Boolean: Bool has no negated form, so a null value never matches; BoolIfExists still holds on an absent key.
    (r#"{"Bool":{"aws:SecureTransport":"${aws:PrincipalTag/secure}"}}"#, r#"{"aws:SecureTransport":"true"}"#, false),
    (r#"{"BoolIfExists":{"aws:SecureTransport":"${aws:PrincipalTag/secure}"}}"#, r#"{}"#, true),
    // VAR: ${*} ${?} ${$} are literal characters.
    (r#"{"StringEquals":{"a:x":"${*}${?}${$}"}}"#, r#"{"a:x":"*?$"}"#, true),
    (r#"{"StringLike":{"a:x":"a${*}"}}"#, r#"{"a:x":"abc"}"#, false),
    // VAR: variable names are case-insensitive like keys.
    (r#"{"StringEquals":{"a:x":"${AWS:USERNAME}"}}"#, r#"{"a:x":"bob"}"#, true),
];

#[test]
fn every_documented_condition_behaviour() {
    let mut failures = Vec::new();
    for (condition, context, expected) in CASES {
        if holds(condition, context, "2012-10-17") != *expected {
            failures.push(format!("{condition} with {context}: expected {expected}"));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases failed:\n{}",
        failures.len(),
        CASES.len(),
        failures.join("\n")
    );
}

// VAR: without Version 2012-10-17 (or with 2008-10-17) variables are literal text.
#[test]
fn variables_are_literal_without_the_current_version() {
    let condition = r#"{"StringEquals":{"a:x":"${aws:username}"}}"#;
    assert!(holds(condition, r#"{"a:x":"${aws:username}"}"#, ""));
    assert!(!holds(condition, r#"{"a:x":"bob"}"#, ""));
    assert!(holds(
        condition,
        r#"{"a:x":"${aws:username}"}"#,
        "2008-10-17"
    ));
    assert!(holds(condition, r#"{"a:x":"bob"}"#, "2012-10-17"));
}
