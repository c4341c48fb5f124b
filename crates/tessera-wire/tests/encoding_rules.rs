//! One test per Query-protocol rule: how requests decode, how responses
//! encode, and AWS's error envelope.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use serde_json::json;
use tessera_wire::{common_error, iam, parse_query_pairs, sts, ApiError, EncodeError, Fault};

fn decode(
    model: &tessera_wire::ServiceModel,
    operation: &str,
    query: &str,
) -> Result<serde_json::Value, ApiError> {
    model.decode_input(operation, &parse_query_pairs(query.as_bytes()).unwrap())
}

#[test]
fn model_metadata() {
    assert_eq!(iam().api_version(), "2010-05-08");
    assert_eq!(
        iam().xml_namespace(),
        "https://iam.amazonaws.com/doc/2010-05-08/"
    );
    assert_eq!(sts().api_version(), "2011-06-15");
    assert_eq!(
        sts().xml_namespace(),
        "https://sts.amazonaws.com/doc/2011-06-15/"
    );
    assert!(iam().has_operation("CreateUser"));
    assert!(!iam().has_operation("createuser"));
    assert!(sts().has_operation("GetCallerIdentity"));
    assert_eq!(iam().operation_names().count(), 176);
    assert_eq!(sts().operation_names().count(), 11);
}

#[test]
fn only_the_lookahead_pattern_is_skipped() {
    let skipped: Vec<&str> = iam()
        .skipped_patterns()
        .chain(sts().skipped_patterns())
        .collect();
    assert_eq!(skipped, [r"^[a-z0-9]([a-z0-9]|-(?!-)){1,61}[a-z0-9]$"]);
}

#[test]
fn action_version_and_unknown_parameters_are_ignored() {
    let got = decode(
        iam(),
        "GetUser",
        "Action=GetUser&Version=2010-05-08&UserName=bob&Bogus=1&X-Amz-Date=x",
    )
    .unwrap();
    assert_eq!(got, json!({"UserName": "bob"}));
}

#[test]
fn an_operation_without_input_decodes_to_an_empty_object() {
    assert_eq!(
        decode(sts(), "GetCallerIdentity", "Action=GetCallerIdentity").unwrap(),
        json!({})
    );
    assert_eq!(decode(iam(), "GetAccountSummary", "").unwrap(), json!({}));
}

#[test]
fn lists_are_member_n_in_numeric_order() {
    let got = decode(
        iam(),
        "TagUser",
        "UserName=bob&Tags.member.2.Key=k2&Tags.member.2.Value=v2&Tags.member.10.Key=k10&Tags.member.10.Value=v10&Tags.member.1.Key=k1&Tags.member.1.Value=",
    )
    .unwrap();
    assert_eq!(
        got,
        json!({"UserName": "bob", "Tags": [
            {"Key": "k1", "Value": ""}, {"Key": "k2", "Value": "v2"}, {"Key": "k10", "Value": "v10"}]})
    );
}

#[test]
fn an_empty_list_is_sent_as_an_empty_value() {
    let got = decode(iam(), "UntagUser", "UserName=bob&TagKeys=").unwrap();
    assert_eq!(got, json!({"UserName": "bob", "TagKeys": []}));
}

#[test]
fn nested_structures_are_dotted() {
    let got = decode(
        sts(),
        "AssumeRole",
        "RoleArn=arn%3Aaws%3Aiam%3A%3A111111111111%3Arole%2Fr&RoleSessionName=session&PolicyArns.member.1.arn=arn%3Aaws%3Aiam%3A%3Aaws%3Apolicy%2FReadOnlyAccess",
    )
    .unwrap();
    assert_eq!(
        got["PolicyArns"],
        json!([{"arn": "arn:aws:iam::aws:policy/ReadOnlyAccess"}])
    );
}

#[test]
fn integers_booleans_and_their_errors() {
    let got = decode(iam(), "ListUsers", "MaxItems=5&Marker=abc").unwrap();
    assert_eq!(got, json!({"Marker": "abc", "MaxItems": 5}));
    let got = decode(
        iam(),
        "CreateLoginProfile",
        "UserName=bob&Password=pw&PasswordResetRequired=TRUE",
    )
    .unwrap();
    assert_eq!(got["PasswordResetRequired"], json!(true));

    let error = decode(iam(), "ListUsers", "MaxItems=ten").unwrap_err();
    assert_eq!(
        (error.code.as_str(), error.status),
        ("InvalidParameterValue", 400)
    );
    assert_eq!(
        error.message,
        "Value 'ten' for parameter MaxItems is invalid. Expected an integer."
    );
    let error = decode(iam(), "ListUsers", "MaxItems=99999999999").unwrap_err();
    assert_eq!(error.code, "InvalidParameterValue");
    let error = decode(
        iam(),
        "CreateLoginProfile",
        "UserName=bob&Password=pw&PasswordResetRequired=yes",
    )
    .unwrap_err();
    assert_eq!(
        error.message,
        "Value 'yes' for parameter PasswordResetRequired is invalid. Expected true or false."
    );
}

#[test]
fn integer_ranges_use_value_wording() {
    let error = decode(iam(), "ListUsers", "MaxItems=0").unwrap_err();
    assert_eq!(
        error.message,
        "1 validation error detected: Value at 'maxItems' failed to satisfy constraint: Member must have value greater than or equal to 1"
    );
    let error = decode(sts(), "GetSessionToken", "DurationSeconds=100").unwrap_err();
    assert_eq!(
        error.message,
        "1 validation error detected: Value '100' at 'durationSeconds' failed to satisfy constraint: Member must have value greater than or equal to 900"
    );
}

#[test]
fn lengths_count_utf16_units_like_java() {
    // 32 characters outside the BMP are 64 UTF-16 units: the limit exactly.
    let name = "😀".repeat(32);
    let query = format!("RoleArn=arn%3Aaws%3Aiam%3A%3A1%3Arole%2Fr12345&RoleSessionName={name}");
    let error = decode(sts(), "AssumeRole", &query).unwrap_err();
    // The name fails the pattern, not the length.
    assert!(
        error
            .message
            .ends_with(r"Member must satisfy regular expression pattern: [\w+=,.@-]*"),
        "{}",
        error.message
    );
    let query = format!(
        "UserName=bob&Tags.member.1.Key={}&Tags.member.1.Value=v",
        "é".repeat(128)
    );
    assert!(decode(iam(), "TagUser", &query).is_ok());
}

#[test]
fn an_unknown_operation_is_invalid_action() {
    let error = iam()
        .decode_input::<&str, &str>("NoSuchOperation", &[])
        .unwrap_err();
    assert_eq!(error, iam().invalid_action("NoSuchOperation"));
    assert_eq!(error.code, "InvalidAction");
    assert_eq!(error.status, 400);
    assert_eq!(
        error.message,
        "Could not find operation NoSuchOperation for version 2010-05-08"
    );
    assert_eq!(
        sts().invalid_action("X").message,
        "Could not find operation X for version 2011-06-15"
    );
}

#[test]
fn not_implemented_names_the_operation() {
    let error = iam().not_implemented("GenerateOrganizationsAccessReport");
    assert_eq!(
        (error.code.as_str(), error.status, error.fault),
        ("NotImplemented", 501, Fault::Receiver)
    );
    assert!(error.message.contains("GenerateOrganizationsAccessReport"));
}

#[test]
fn error_kinds_come_from_the_model_then_the_common_table() {
    let kind = |model: &tessera_wire::ServiceModel, code: &str| {
        let k = model.error_kind(code);
        (k.status, k.fault)
    };
    assert_eq!(kind(iam(), "NoSuchEntity"), (404, Fault::Sender));
    assert_eq!(kind(iam(), "EntityAlreadyExists"), (409, Fault::Sender));
    assert_eq!(kind(iam(), "LimitExceeded"), (409, Fault::Sender));
    assert_eq!(kind(iam(), "DeleteConflict"), (409, Fault::Sender));
    assert_eq!(kind(iam(), "ReportNotPresent"), (410, Fault::Sender));
    assert_eq!(kind(iam(), "MalformedPolicyDocument"), (400, Fault::Sender));
    assert_eq!(kind(iam(), "ServiceFailure"), (500, Fault::Receiver));
    assert_eq!(kind(iam(), "AccessDenied"), (403, Fault::Sender));
    assert_eq!(kind(iam(), "ValidationError"), (400, Fault::Sender));
    assert_eq!(kind(sts(), "PackedPolicyTooLarge"), (400, Fault::Sender));
    assert_eq!(kind(sts(), "IDPRejectedClaim"), (403, Fault::Sender));
    assert_eq!(kind(sts(), "InvalidParameterValue"), (400, Fault::Sender));
    assert_eq!(kind(sts(), "ExpiredToken"), (403, Fault::Sender));
    assert_eq!(kind(sts(), "SomethingUnheardOf"), (400, Fault::Sender));
}

#[test]
fn common_errors_have_their_documented_statuses() {
    for (code, status, fault) in [
        ("AccessDenied", 403, Fault::Sender),
        ("IncompleteSignature", 400, Fault::Sender),
        ("InternalFailure", 500, Fault::Receiver),
        ("InvalidAction", 400, Fault::Sender),
        ("InvalidClientTokenId", 403, Fault::Sender),
        ("InvalidParameterCombination", 400, Fault::Sender),
        ("InvalidParameterValue", 400, Fault::Sender),
        ("InvalidQueryParameter", 400, Fault::Sender),
        ("MalformedQueryString", 404, Fault::Sender),
        ("MissingAction", 400, Fault::Sender),
        ("MissingAuthenticationToken", 403, Fault::Sender),
        ("MissingParameter", 400, Fault::Sender),
        ("NotAuthorized", 400, Fault::Sender),
        ("OptInRequired", 403, Fault::Sender),
        ("RequestExpired", 400, Fault::Sender),
        ("ServiceUnavailable", 503, Fault::Receiver),
        ("ThrottlingException", 400, Fault::Sender),
        ("ValidationError", 400, Fault::Sender),
        ("SignatureDoesNotMatch", 403, Fault::Sender),
        ("ExpiredToken", 403, Fault::Sender),
    ] {
        let error = common_error(code, "m");
        assert_eq!((error.status, error.fault), (status, fault), "{code}");
    }
}

#[test]
fn error_envelope() {
    let error = iam().error("NoSuchEntity", "The user with name <a&b> cannot be found.");
    assert_eq!(
        error.to_xml(iam().xml_namespace(), "req-1"),
        "<ErrorResponse xmlns=\"https://iam.amazonaws.com/doc/2010-05-08/\"><Error><Type>Sender</Type><Code>NoSuchEntity</Code><Message>The user with name &lt;a&amp;b&gt; cannot be found.</Message></Error><RequestId>req-1</RequestId></ErrorResponse>"
    );
    let report = iam().error("ReportNotPresent", "");
    assert_eq!(
        report.to_xml(iam().xml_namespace(), "r"),
        "<ErrorResponse xmlns=\"https://iam.amazonaws.com/doc/2010-05-08/\"><Error><Type>Sender</Type><Code>ReportNotPresent</Code></Error><RequestId>r</RequestId></ErrorResponse>"
    );
    assert_eq!(report.status, 410);
    assert!(iam()
        .error("ServiceFailure", "x")
        .to_xml("ns", "r")
        .contains("<Type>Receiver</Type>"));
}

#[test]
fn response_wrapper_and_member_order() {
    let output = json!({"User": {
        "CreateDate": "2024-05-01T12:34:56Z", "Arn": "arn:aws:iam::1:user/bob",
        "UserId": "AIDA1", "UserName": "bob", "Path": "/",
        "Tags": [{"Key": "k", "Value": "a<b"}]}});
    let xml = iam().encode_output("CreateUser", &output, "rid").unwrap();
    assert_eq!(
        xml,
        "<CreateUserResponse xmlns=\"https://iam.amazonaws.com/doc/2010-05-08/\"><CreateUserResult><User><Path>/</Path><UserName>bob</UserName><UserId>AIDA1</UserId><Arn>arn:aws:iam::1:user/bob</Arn><CreateDate>2024-05-01T12:34:56Z</CreateDate><Tags><member><Key>k</Key><Value>a&lt;b</Value></member></Tags></User></CreateUserResult><ResponseMetadata><RequestId>rid</RequestId></ResponseMetadata></CreateUserResponse>"
    );
}

#[test]
fn an_operation_without_output_has_no_result_element() {
    let xml = iam()
        .encode_output("DeleteUser", &json!(null), "rid")
        .unwrap();
    assert_eq!(
        xml,
        "<DeleteUserResponse xmlns=\"https://iam.amazonaws.com/doc/2010-05-08/\"><ResponseMetadata><RequestId>rid</RequestId></ResponseMetadata></DeleteUserResponse>"
    );
}

#[test]
fn absent_and_null_members_are_omitted_and_empty_ones_kept() {
    let output = json!({"Role": {
        "Path": "/", "RoleName": "r", "RoleId": "AROA1", "Arn": "arn", "CreateDate": 1714566896,
        "AssumeRolePolicyDocument": "%7B%7D", "Description": null, "RoleLastUsed": {}, "Tags": []}});
    let xml = sts_free_get_role(&output);
    assert!(
        xml.contains("<CreateDate>2024-05-01T12:34:56Z</CreateDate>"),
        "{xml}"
    );
    assert!(!xml.contains("Description"), "{xml}");
    assert!(xml.contains("<Tags></Tags>"), "{xml}");
    assert!(xml.contains("<RoleLastUsed></RoleLastUsed>"), "{xml}");
}

fn sts_free_get_role(output: &serde_json::Value) -> String {
    iam().encode_output("GetRole", output, "rid").unwrap()
}

#[test]
fn maps_are_entry_key_value() {
    let output = json!({"SummaryMap": {"Users": 3, "Groups": 1}});
    let xml = iam()
        .encode_output("GetAccountSummary", &output, "rid")
        .unwrap();
    assert!(xml.contains(
        "<SummaryMap><entry><key>Users</key><value>3</value></entry><entry><key>Groups</key><value>1</value></entry></SummaryMap>"
    ), "{xml}");
}

#[test]
fn sts_credentials_timestamps_and_integers() {
    let output = json!({
        "Credentials": {"AccessKeyId": "ASIA1", "SecretAccessKey": "s", "SessionToken": "t", "Expiration": "2024-05-01T13:34:56.5+01:00"},
        "AssumedRoleUser": {"AssumedRoleId": "AROA1:s", "Arn": "arn:aws:sts::1:assumed-role/r/s"},
        "PackedPolicySize": 6});
    let xml = sts().encode_output("AssumeRole", &output, "rid").unwrap();
    assert!(xml.starts_with("<AssumeRoleResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><AssumeRoleResult><Credentials>"));
    assert!(
        xml.contains("<Expiration>2024-05-01T12:34:56.5Z</Expiration>"),
        "{xml}"
    );
    assert!(
        xml.contains("<PackedPolicySize>6</PackedPolicySize>"),
        "{xml}"
    );
}

#[test]
fn outputs_that_do_not_follow_the_shape_are_refused() {
    let error = iam()
        .encode_output("GetUser", &json!({"User": {"UserName": 5}}), "r")
        .unwrap_err();
    assert_eq!(
        error,
        EncodeError::TypeMismatch {
            path: "User.UserName".into(),
            expected: "a string"
        }
    );
    let error = iam()
        .encode_output("GetUser", &json!({"Usr": {}}), "r")
        .unwrap_err();
    assert_eq!(
        error,
        EncodeError::UnknownMember {
            path: "".into(),
            member: "Usr".into()
        }
    );
    let error = iam()
        .encode_output("ListUsers", &json!({"Users": [], "IsTruncated": "no"}), "r")
        .unwrap_err();
    assert_eq!(
        error,
        EncodeError::TypeMismatch {
            path: "IsTruncated".into(),
            expected: "a boolean"
        }
    );
    let error = iam().encode_output("Nope", &json!({}), "r").unwrap_err();
    assert_eq!(error, EncodeError::UnknownOperation("Nope".into()));
    let error = iam()
        .encode_output(
            "GetUser",
            &json!({"User": {"CreateDate": "yesterday"}}),
            "r",
        )
        .unwrap_err();
    assert!(matches!(error, EncodeError::InvalidTimestamp { .. }));
}

#[test]
fn iam_never_echoes_values_but_sts_does() {
    let error = decode(iam(), "GetUser", "UserName=bad%3Aname").unwrap_err();
    assert_eq!(
        error.message,
        r"1 validation error detected: Value at 'userName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\w+=,.@-]+"
    );
    let error = decode(sts(), "GetFederationToken", "Name=a").unwrap_err();
    assert_eq!(
        error.message,
        "1 validation error detected: Value 'a' at 'name' failed to satisfy constraint: Member must have length greater than or equal to 2"
    );
}

#[test]
fn an_empty_value_is_present_and_checked_for_length() {
    let error = decode(iam(), "GetRole", "RoleName=").unwrap_err();
    assert_eq!(
        error.message,
        "1 validation error detected: Value at 'roleName' failed to satisfy constraint: Member must have length greater than or equal to 1"
    );
}

#[test]
fn required_members_of_list_elements_are_reported_with_their_path() {
    let error = decode(iam(), "TagUser", "UserName=bob&Tags.member.1.Key=k").unwrap_err();
    assert_eq!(
        error.message,
        "1 validation error detected: Value null at 'tags.1.member.value' failed to satisfy constraint: Member must not be null"
    );
}

#[test]
fn an_input_member_named_action_or_version_is_still_read() {
    let model = tessera_wire::ServiceModel::from_json(
        &json!({
            "metadata": {"apiVersion": "2020-01-01", "xmlNamespace": "https://example.com/doc/"},
            "operations": {"Launch": {"name": "Launch", "input": {"shape": "LaunchRequest"}}},
            "shapes": {
                "LaunchRequest": {"type": "structure", "members": {
                    "Action": {"shape": "Text"}, "Version": {"shape": "Text"}, "Name": {"shape": "Text"}
                }},
                "Text": {"type": "string"}
            }
        })
        .to_string(),
    )
    .unwrap();
    let got = decode(&model, "Launch", "Action=Launch&Version=2020-01-01&Name=n").unwrap();
    assert_eq!(
        got,
        json!({"Action": "Launch", "Version": "2020-01-01", "Name": "n"})
    );
}
