"""Inline user policies and their enforcement, through boto3 and the aws CLI."""

import json

import pytest
from botocore.exceptions import ClientError

from conftest import ACCOUNT_ID

ALLOW_LIST_USERS = {
    "Version": "2012-10-17",
    "Statement": [{"Sid": "List", "Effect": "Allow", "Action": "iam:ListUsers", "Resource": "*"}],
}
DENY_LIST_USERS = {
    "Version": "2012-10-17",
    "Statement": [{"Sid": "NoList", "Effect": "Deny", "Action": "iam:List*", "Resource": "*"}],
}


def error(excinfo):
    e = excinfo.value.response
    return e["Error"]["Code"], e["Error"]["Message"], e["ResponseMetadata"]["HTTPStatusCode"]


def test_inline_policy_allows_then_explicit_deny_wins(server, make_user):
    name, key_id, secret = make_user("henry")
    iam = server.client("iam")
    denied = server.cli("iam", "list-users", key_id=key_id, secret=secret, check=False)
    assert "because no identity-based policy allows the iam:ListUsers action" in denied.stderr

    server.cli("iam", "put-user-policy", "--user-name", name, "--policy-name", "list",
               "--policy-document", json.dumps(ALLOW_LIST_USERS))
    # The change takes effect on the very next request.
    listed = json.loads(server.cli("iam", "list-users", key_id=key_id, secret=secret).stdout)
    assert [u["UserName"] for u in listed["Users"]] == ["henry"]

    iam.put_user_policy(UserName=name, PolicyName="deny", PolicyDocument=json.dumps(DENY_LIST_USERS))
    result = server.cli("iam", "list-users", key_id=key_id, secret=secret, check=False)
    assert result.returncode != 0
    assert (f"User: arn:aws:iam::{ACCOUNT_ID}:user/henry is not authorized to perform: iam:ListUsers "
            f"on resource: arn:aws:iam::{ACCOUNT_ID}:user/ with an explicit deny in an identity-based policy") in result.stderr

    iam.delete_user_policy(UserName=name, PolicyName="deny")
    assert server.client("iam", key_id, secret).list_users()["Users"]


def test_policy_with_syntax_error_is_refused_with_its_location(server, make_user):
    name, _, _ = make_user()
    broken = '{"Version": "2012-10-17",\n "Statement": [{"Effect": "Allow", "Action": "iam:ListUsers" "Resource": "*"}]}'
    result = server.cli("iam", "put-user-policy", "--user-name", name, "--policy-name", "p",
                        "--policy-document", broken, check=False)
    assert result.returncode != 0
    assert "MalformedPolicyDocument" in result.stderr
    # IAM's sentence, exactly: the line and column are for `tessera policy validate`.
    assert result.stderr.strip().endswith("operation: Syntax errors in policy.")
    assert server.client("iam").list_user_policies(UserName=name)["PolicyNames"] == []


def test_policy_with_unknown_element_is_refused(server, make_user):
    name, _, _ = make_user()
    with pytest.raises(ClientError) as e:
        server.client("iam").put_user_policy(UserName=name, PolicyName="p", PolicyDocument=json.dumps({
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": "iam:ListUsers", "Resource": "*", "Principal": "*"}]}))
    code, message, status = error(e)
    assert (code, status) == ("MalformedPolicyDocument", 400)
    assert message == "Policy document should not specify a principal."


def test_source_ip_condition_decides_by_client_address(server, make_user):
    name, key_id, secret = make_user()
    iam = server.client("iam")
    user_iam = server.client("iam", key_id, secret)

    def allow_from(cidr):
        iam.put_user_policy(UserName=name, PolicyName="ip", PolicyDocument=json.dumps({
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": "iam:ListUsers", "Resource": "*",
                           "Condition": {"IpAddress": {"aws:SourceIp": cidr}}}]}))

    allow_from("10.0.0.0/8")
    with pytest.raises(ClientError) as e:
        user_iam.list_users()
    assert error(e)[0] == "AccessDenied"
    allow_from("127.0.0.0/8")
    assert user_iam.list_users()["Users"]


def test_user_policy_documents_round_trip_url_encoded(server, make_user):
    name, _, _ = make_user()
    iam = server.client("iam")
    doc = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": ["iam:Get*", "iam:List*"],
                                                   "Resource": f"arn:aws:iam::{ACCOUNT_ID}:user/${{aws:username}}"}]}
    iam.put_user_policy(UserName=name, PolicyName="read-self", PolicyDocument=json.dumps(doc))
    got = iam.get_user_policy(UserName=name, PolicyName="read-self")
    assert got["UserName"] == name and got["PolicyName"] == "read-self"
    assert got["PolicyDocument"] == doc  # botocore URL-decodes and parses it
    assert iam.list_user_policies(UserName=name)["PolicyNames"] == ["read-self"]
    with pytest.raises(ClientError) as e:
        iam.get_user_policy(UserName=name, PolicyName="nope")
    assert error(e) == ("NoSuchEntity", "The user policy with name nope cannot be found.", 404)
    with pytest.raises(ClientError) as e:
        iam.delete_user(UserName=name)
    assert error(e)[0] == "DeleteConflict"


def test_policy_variable_scopes_a_user_to_itself(server, make_user):
    name, key_id, secret = make_user("ivy")
    other, _, _ = make_user("jack")
    iam = server.client("iam")
    iam.put_user_policy(UserName=name, PolicyName="self", PolicyDocument=json.dumps({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": ["iam:GetUser", "iam:ListAccessKeys"],
                       "Resource": "arn:aws:iam::*:user/${aws:username}"}]}))
    mine = server.client("iam", key_id, secret)
    assert mine.get_user(UserName=name)["User"]["UserName"] == name
    assert len(mine.list_access_keys()["AccessKeyMetadata"]) == 1
    with pytest.raises(ClientError) as e:
        mine.get_user(UserName=other)
    assert error(e)[0] == "AccessDenied"


def test_inline_policy_size_quota(server, make_user):
    name, _, _ = make_user()
    iam = server.client("iam")
    big = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": f"iam:Get{'X' * 40}{i}", "Resource": "*"} for i in range(30)]}
    with pytest.raises(ClientError) as e:
        iam.put_user_policy(UserName=name, PolicyName="big", PolicyDocument=json.dumps(big))
    code, message, status = error(e)
    assert (code, status) == ("LimitExceeded", 409)
    assert message == f"Maximum policy size of 2048 bytes exceeded for user {name}"


def test_principal_and_resource_tags_decide(server, make_user):
    name, key_id, secret = make_user("lena")
    iam = server.client("iam")
    iam.create_user(UserName="blue-target", Tags=[{"Key": "team", "Value": "blue"}])
    iam.create_user(UserName="red-target", Tags=[{"Key": "team", "Value": "red"}])
    iam.put_user_policy(UserName=name, PolicyName="same-team", PolicyDocument=json.dumps({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "iam:GetUser", "Resource": "*",
                       "Condition": {"StringEquals": {"aws:ResourceTag/team": "${aws:PrincipalTag/team}"}}}]}))
    lena = server.client("iam", key_id, secret)
    with pytest.raises(ClientError):
        lena.get_user(UserName="blue-target")  # lena has no team tag yet
    iam.tag_user(UserName=name, Tags=[{"Key": "team", "Value": "blue"}])
    assert lena.get_user(UserName="blue-target")["User"]["UserName"] == "blue-target"
    with pytest.raises(ClientError) as e:
        lena.get_user(UserName="red-target")
    assert error(e)[0] == "AccessDenied"
    iam.untag_user(UserName=name, TagKeys=["team"])
    with pytest.raises(ClientError):
        lena.get_user(UserName="blue-target")


def test_tag_quota_and_duplicates(server, make_user):
    name, _, _ = make_user()
    iam = server.client("iam")
    iam.tag_user(UserName=name, Tags=[{"Key": f"k{i}", "Value": "v"} for i in range(50)])
    with pytest.raises(ClientError) as e:
        iam.tag_user(UserName=name, Tags=[{"Key": "one-more", "Value": "v"}])
    assert error(e) == ("LimitExceeded", "The number of tags has reached the maximum limit.", 409)
    iam.tag_user(UserName=name, Tags=[{"Key": "K0", "Value": "replaced"}])  # same key, other case
    tags = {t["Key"].lower(): t["Value"] for t in iam.list_user_tags(UserName=name)["Tags"]}
    assert len(tags) == 50 and tags["k0"] == "replaced"
    with pytest.raises(ClientError) as e:
        iam.tag_user(UserName=name, Tags=[{"Key": "x", "Value": "1"}, {"Key": "X", "Value": "2"}])
    assert error(e) == ("InvalidInput", "Duplicate tag keys found.", 400)
