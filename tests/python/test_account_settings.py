"""Account-wide settings through boto3: the global STS endpoint's token
version, and IAM's Organizations features, which AWS refuses for an
account outside an organization (every Tessera account)."""

import pytest
from botocore.exceptions import ClientError


def test_the_token_version_preference_shows_in_the_account_summary(server):
    iam = server.client("iam")
    assert iam.get_account_summary()["SummaryMap"]["GlobalEndpointTokenVersion"] == 1
    iam.set_security_token_service_preferences(GlobalEndpointTokenVersion="v2Token")
    assert iam.get_account_summary()["SummaryMap"]["GlobalEndpointTokenVersion"] == 2


@pytest.mark.parametrize("call", ["list_organizations_features", "enable_organizations_root_sessions",
                                  "disable_organizations_root_sessions",
                                  "enable_organizations_root_credentials_management",
                                  "disable_organizations_root_credentials_management"])
def test_organizations_features_answer_that_no_organization_exists(server, call):
    iam = server.client("iam")
    with pytest.raises(ClientError) as e:
        getattr(iam, call)()
    err = e.value.response["Error"]
    assert err["Code"] == "OrganizationNotFoundException"
    assert err["Message"] == "The request was rejected because no organization is associated with your account."
    assert isinstance(e.value, iam.exceptions.OrganizationNotFoundException)


def test_context_keys_of_a_custom_policy_match_awss_example(server):
    # AWS's example of get-context-keys-for-custom-policy, through the CLI.
    policy = ('{"Version":"2012-10-17", "Statement":{"Effect":"Allow","Action":"dynamodb:*",'
              '"Resource":"arn:aws:dynamodb:us-west-2:123456789012:table/${aws:username}",'
              '"Condition":{"DateGreaterThan":{"aws:CurrentTime":"2015-08-16T12:00:00Z"}}}}')
    import json
    out = json.loads(server.cli("iam", "get-context-keys-for-custom-policy", "--policy-input-list", policy).stdout)
    assert out == {"ContextKeyNames": ["aws:username", "aws:CurrentTime"]}


def test_context_keys_of_a_principal_include_its_groups_policies(server):
    import json
    iam = server.client("iam")
    iam.create_user(UserName="u")
    iam.create_group(GroupName="g")
    iam.add_user_to_group(GroupName="g", UserName="u")
    doc = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:ListBucket", "Resource": "*",
                                                   "Condition": {"StringLike": {"s3:prefix": "${aws:username}/*"}}}]}
    iam.put_group_policy(GroupName="g", PolicyName="p", PolicyDocument=json.dumps(doc))
    arn = iam.get_user(UserName="u")["User"]["Arn"]
    keys = iam.get_context_keys_for_principal_policy(PolicySourceArn=arn)["ContextKeyNames"]
    assert keys == ["s3:prefix", "aws:username"]
