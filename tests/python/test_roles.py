"""Roles, their inline policies, tags, trust policies, permissions boundaries and
service-linked roles, through boto3 and the aws CLI.

Expected answers are AWS's: responses recorded against real AWS (LocalStack's IAM parity
snapshots)
(test_iam_roles, test_iam TestIAMServiceRoles/TestIAMPolicyEncoding) and, where
those are silent, the IAM API reference.
"""

import json
import re
import time

import pytest
from botocore.exceptions import ClientError

from conftest import ACCOUNT_ID, unvalidated_client

TRUST = {"Version": "2012-10-17",
         "Statement": [{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]}
LIST_BUCKET = {"Version": "2012-10-17",
               "Statement": {"Effect": "Allow", "Action": "s3:ListBucket", "Resource": "arn:aws:s3:::example_bucket"}}
CREATE_KEYS = {"Path", "RoleName", "RoleId", "Arn", "CreateDate", "AssumeRolePolicyDocument"}
GET_KEYS = CREATE_KEYS | {"MaxSessionDuration", "RoleLastUsed"}
LIST_KEYS = CREATE_KEYS | {"MaxSessionDuration"}


def error(excinfo):
    e = excinfo.value.response
    return e["Error"]["Code"], e["Error"]["Message"], e["ResponseMetadata"]["HTTPStatusCode"]


def make_role(iam, name, **kwargs):
    return iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(TRUST), **kwargs)["Role"]


def make_policy(iam, name):
    return iam.create_policy(PolicyName=name, PolicyDocument=json.dumps(LIST_BUCKET))["Policy"]["Arn"]


def test_create_role_answers_without_description_max_session_duration_or_last_used(server):
    iam = server.client("iam")
    role = make_role(iam, "web", Description="initial description")
    assert set(role) == CREATE_KEYS
    assert role["Path"] == "/"
    assert role["Arn"] == f"arn:aws:iam::{ACCOUNT_ID}:role/web"
    assert role["RoleId"].startswith("AROA")
    assert role["AssumeRolePolicyDocument"] == TRUST
    with_path = make_role(iam, "tagged", Path="/role-with-tags/", Tags=[{"Key": "test", "Value": "value"}])
    assert set(with_path) == CREATE_KEYS | {"Tags"}
    assert with_path["Arn"] == f"arn:aws:iam::{ACCOUNT_ID}:role/role-with-tags/tagged"
    assert with_path["Tags"] == [{"Key": "test", "Value": "value"}]


def test_get_role_shows_defaults_and_description_only_when_set(server):
    iam = server.client("iam")
    created = make_role(iam, "described", Description="initial description")
    got = iam.get_role(RoleName="described")["Role"]
    assert set(got) == GET_KEYS | {"Description"}
    assert got["Description"] == "initial description"
    assert got["MaxSessionDuration"] == 3600
    assert got["RoleLastUsed"] == {}
    assert {k: got[k] for k in CREATE_KEYS} == created
    make_role(iam, "plain")
    plain = iam.get_role(RoleName="plain")["Role"]
    assert set(plain) == GET_KEYS  # no Description, no Tags, no PermissionsBoundary
    out = json.loads(server.cli("iam", "get-role", "--role-name", "plain").stdout)["Role"]
    assert out["MaxSessionDuration"] == 3600 and out["RoleLastUsed"] == {} and "Tags" not in out


def test_role_errors_name_the_role(server):
    iam = server.client("iam")
    for call in (iam.get_role, iam.update_role, iam.delete_role):
        with pytest.raises(ClientError) as e:
            call(RoleName="test-nonexistent-role")
        assert error(e) == ("NoSuchEntity", "The role with name test-nonexistent-role cannot be found.", 404)
    make_role(iam, "dup")
    with pytest.raises(ClientError) as e:
        make_role(iam, "dup")
    assert error(e) == ("EntityAlreadyExists", "Role with name dup already exists.", 409)


def test_role_names_are_unique_regardless_of_case(server):
    # CreateRole reference: "Role names are not distinguished by case."
    iam = server.client("iam")
    make_role(iam, "MyRole")
    with pytest.raises(ClientError) as e:
        make_role(iam, "myrole")
    assert error(e) == ("EntityAlreadyExists", "Role with name myrole already exists.", 409)


def test_list_roles_hides_tags_boundary_and_last_used(server):
    iam = server.client("iam")
    boundary = make_policy(iam, "boundary")
    make_role(iam, "r-tagged", Tags=[{"Key": "k", "Value": "v"}], Description="Role with tags")
    make_role(iam, "r-bounded", PermissionsBoundary=boundary)
    roles = {r["RoleName"]: r for r in iam.list_roles()["Roles"]}
    assert set(roles) == {"r-tagged", "r-bounded"}
    assert set(roles["r-tagged"]) == LIST_KEYS | {"Description"}
    assert roles["r-tagged"]["Description"] == "Role with tags"
    assert set(roles["r-bounded"]) == LIST_KEYS
    assert roles["r-bounded"]["MaxSessionDuration"] == 3600


def test_list_roles_filters_by_path_prefix(server):
    iam = server.client("iam")
    make_role(iam, "no-path")
    with_path = make_role(iam, "with-path", Path="/team/a/")
    listed = iam.list_roles(PathPrefix="/team/")
    assert [r["RoleName"] for r in listed["Roles"]] == ["with-path"]
    assert listed["Roles"][0]["Arn"] == with_path["Arn"]
    empty = iam.list_roles(PathPrefix="/nonexistent-path/")
    assert empty["Roles"] == [] and empty["IsTruncated"] is False


def test_list_roles_paginates_by_hand_paginator_and_cli(server):
    iam = server.client("iam")
    names = [f"role-{i:02d}" for i in range(5)]
    for i, n in enumerate(names):
        make_role(iam, n, Path="/paged/", **({"Description": f"Role {i}"} if i % 2 == 0 else {}))
    first = iam.list_roles(PathPrefix="/paged/", MaxItems=2)
    assert first["IsTruncated"] is True and len(first["Roles"]) == 2 and first["Marker"]
    rest = iam.list_roles(PathPrefix="/paged/", Marker=first["Marker"])
    assert rest["IsTruncated"] is False and "Marker" not in rest and len(rest["Roles"]) == 3
    seen = [r["RoleName"] for r in first["Roles"] + rest["Roles"]]
    assert sorted(seen) == names and len(set(seen)) == 5
    described = {r["RoleName"]: r.get("Description") for r in first["Roles"] + rest["Roles"]}
    assert described == {"role-00": "Role 0", "role-01": None, "role-02": "Role 2", "role-03": None, "role-04": "Role 4"}
    pages = list(iam.get_paginator("list_roles").paginate(PaginationConfig={"PageSize": 2}))
    assert len(pages) == 3
    assert sorted(r["RoleName"] for p in pages for r in p["Roles"]) == names
    out = json.loads(server.cli("iam", "list-roles", "--page-size", "2").stdout)
    assert sorted(r["RoleName"] for r in out["Roles"]) == names


def test_update_role_changes_description_and_max_session_duration(server):
    iam = server.client("iam")
    make_role(iam, "upd", Description="initial description")
    answer = iam.update_role(RoleName="upd", Description="updated description", MaxSessionDuration=7200)
    assert set(answer) == {"ResponseMetadata"}
    got = iam.get_role(RoleName="upd")["Role"]
    assert got["Description"] == "updated description" and got["MaxSessionDuration"] == 7200
    # Neither parameter given: both stay as they were.
    assert set(iam.update_role(RoleName="upd")) == {"ResponseMetadata"}
    again = iam.get_role(RoleName="upd")["Role"]
    assert again["Description"] == "updated description" and again["MaxSessionDuration"] == 7200
    server.cli("iam", "update-role", "--role-name", "upd", "--max-session-duration", "43200")
    assert iam.get_role(RoleName="upd")["Role"]["MaxSessionDuration"] == 43200


def test_update_role_description_answers_the_role_without_session_duration(server):
    iam = server.client("iam")
    created = make_role(iam, "desc", Description="initial description")
    iam.update_role(RoleName="desc", MaxSessionDuration=7200)
    role = iam.update_role_description(RoleName="desc", Description="description via update_role_description")["Role"]
    assert set(role) == CREATE_KEYS | {"Description"}
    assert role["Description"] == "description via update_role_description"
    assert {k: role[k] for k in CREATE_KEYS} == created
    got = iam.get_role(RoleName="desc")["Role"]
    assert got["Description"] == "description via update_role_description" and got["MaxSessionDuration"] == 7200
    with pytest.raises(ClientError) as e:
        iam.update_role_description(RoleName="test-nonexistent-role", Description="x")
    assert error(e) == ("NoSuchEntity", "The role with name test-nonexistent-role cannot be found.", 404)


def test_max_session_duration_out_of_range_is_a_validation_error(server):
    # The API model: MaxSessionDuration is 3600..43200.
    raw = unvalidated_client(server)
    with pytest.raises(ClientError) as e:
        raw.create_role(RoleName="short", AssumeRolePolicyDocument=json.dumps(TRUST), MaxSessionDuration=3599)
    code, message, status = error(e)
    assert (code, status) == ("ValidationError", 400)
    assert message.startswith("1 validation error detected: Value ")
    assert "at 'maxSessionDuration' failed to satisfy constraint: Member must have value greater than or equal to 3600" in message
    with pytest.raises(ClientError) as e:
        raw.create_role(RoleName="long", AssumeRolePolicyDocument=json.dumps(TRUST), MaxSessionDuration=43201)
    code, message, status = error(e)
    assert (code, status) == ("ValidationError", 400)
    assert "at 'maxSessionDuration' failed to satisfy constraint: Member must have value less than or equal to 43200" in message
    assert raw.list_roles()["Roles"] == []
    make_role(raw, "ok")
    with pytest.raises(ClientError) as e:
        raw.update_role(RoleName="ok", MaxSessionDuration=43201)
    assert error(e)[0] == "ValidationError"
    assert raw.get_role(RoleName="ok")["Role"]["MaxSessionDuration"] == 3600


def test_update_assume_role_policy_replaces_the_document_verbatim(server):
    iam = server.client("iam")
    listed_form = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"Service": ["ec2.amazonaws.com"]}, "Action": ["sts:AssumeRole"]}]}
    created = iam.create_role(RoleName="trust", AssumeRolePolicyDocument=json.dumps(listed_form))["Role"]
    assert created["AssumeRolePolicyDocument"] == listed_form
    new = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole",
         "Condition": {"StringEquals": {"aws:SourceArn": "arn%3Aaws%3Aapigateway%3Aus-east-1%3A%3A%2Frestapis%2Fx"}}}]}
    answer = iam.update_assume_role_policy(RoleName="trust", PolicyDocument=json.dumps(new))
    assert set(answer) == {"ResponseMetadata"}
    assert iam.get_role(RoleName="trust")["Role"]["AssumeRolePolicyDocument"] == new
    assert iam.list_roles()["Roles"][0]["AssumeRolePolicyDocument"] == new


def test_trust_policy_that_is_not_json_is_refused(server):
    iam = server.client("iam")
    trailing_comma = ('{"Version": "2012-10-17", "Statement": [{"Action": "sts:AssumeRole", '
                      '"Principal": {"Service": "ec2.amazonaws.com"}, "Effect": "Allow",}]}')
    with pytest.raises(ClientError) as e:
        iam.create_role(RoleName="bad", AssumeRolePolicyDocument=trailing_comma)
    assert error(e) == ("MalformedPolicyDocument", "This policy contains invalid Json", 400)
    assert iam.list_roles()["Roles"] == []
    make_role(iam, "target")
    with pytest.raises(ClientError) as e:
        iam.update_assume_role_policy(RoleName="target", PolicyDocument="not valid json")
    assert error(e) == ("MalformedPolicyDocument", "This policy contains invalid Json", 400)
    assert iam.get_role(RoleName="target")["Role"]["AssumeRolePolicyDocument"] == TRUST


def test_trust_policy_may_only_allow_sts_actions(server):
    iam = server.client("iam")
    make_role(iam, "target")
    invalid_action = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:InvalidAction"}]}
    with pytest.raises(ClientError) as e:
        iam.update_assume_role_policy(RoleName="target", PolicyDocument=json.dumps(invalid_action))
    assert error(e) == ("MalformedPolicyDocument", "AssumeRole policy may only specify STS AssumeRole actions.", 400)
    assert iam.get_role(RoleName="target")["Role"]["AssumeRolePolicyDocument"] == TRUST


def test_trust_policy_with_a_resource_element_is_refused(server):
    iam = server.client("iam")
    make_role(iam, "target")
    with_resource = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole",
         "Resource": "arn:aws:s3:::example_bucket"}]}
    result = server.cli("iam", "update-assume-role-policy", "--role-name", "target",
                        "--policy-document", json.dumps(with_resource), check=False)
    assert result.returncode != 0
    assert ("An error occurred (MalformedPolicyDocument) when calling the UpdateAssumeRolePolicy operation: "
            "Has prohibited field Resource") in result.stderr
    with pytest.raises(ClientError) as e:
        iam.update_assume_role_policy(RoleName="target", PolicyDocument=json.dumps(with_resource))
    assert error(e) == ("MalformedPolicyDocument", "Has prohibited field Resource", 400)
    assert iam.get_role(RoleName="target")["Role"]["AssumeRolePolicyDocument"] == TRUST


def test_delete_role_refuses_while_inline_policy_exists(server):
    iam = server.client("iam")
    make_role(iam, "inl")
    iam.put_role_policy(RoleName="inl", PolicyName="p", PolicyDocument=json.dumps(LIST_BUCKET))
    with pytest.raises(ClientError) as e:
        iam.delete_role(RoleName="inl")
    assert error(e) == ("DeleteConflict", "Cannot delete entity, must delete policies first.", 409)
    iam.delete_role_policy(RoleName="inl", PolicyName="p")
    assert set(iam.delete_role(RoleName="inl")) == {"ResponseMetadata"}
    with pytest.raises(ClientError) as e:
        iam.get_role(RoleName="inl")
    assert error(e) == ("NoSuchEntity", "The role with name inl cannot be found.", 404)


def test_delete_role_refuses_while_managed_policy_attached(server):
    iam = server.client("iam")
    make_role(iam, "att")
    arn = make_policy(iam, "mp")
    iam.attach_role_policy(RoleName="att", PolicyArn=arn)
    with pytest.raises(ClientError) as e:
        iam.delete_role(RoleName="att")
    assert error(e) == ("DeleteConflict", "Cannot delete entity, must detach all policies first.", 409)
    iam.detach_role_policy(RoleName="att", PolicyArn=arn)
    iam.delete_role(RoleName="att")
    with pytest.raises(ClientError) as e:
        iam.get_role(RoleName="att")
    assert error(e)[0] == "NoSuchEntity"


def test_delete_role_refuses_while_in_an_instance_profile(server):
    iam = server.client("iam")
    make_role(iam, "prof")
    iam.create_instance_profile(InstanceProfileName="ip")
    iam.add_role_to_instance_profile(InstanceProfileName="ip", RoleName="prof")
    with pytest.raises(ClientError) as e:
        iam.delete_role(RoleName="prof")
    assert error(e) == ("DeleteConflict", "Cannot delete entity, must remove roles from instance profile first.", 409)
    iam.remove_role_from_instance_profile(InstanceProfileName="ip", RoleName="prof")
    iam.delete_role(RoleName="prof")
    assert iam.get_instance_profile(InstanceProfileName="ip")["InstanceProfile"]["Roles"] == []


def test_role_inline_policy_lifecycle(server):
    iam = server.client("iam")
    make_role(iam, "holder")
    assert iam.list_role_policies(RoleName="holder")["PolicyNames"] == []
    assert set(iam.put_role_policy(RoleName="holder", PolicyName="policy-1",
                                   PolicyDocument=json.dumps(LIST_BUCKET))) == {"ResponseMetadata"}
    got = iam.get_role_policy(RoleName="holder", PolicyName="policy-1")
    # The Statement was an object and stays one.
    assert {k: v for k, v in got.items() if k != "ResponseMetadata"} == {
        "RoleName": "holder", "PolicyName": "policy-1", "PolicyDocument": LIST_BUCKET}
    server.cli("iam", "put-role-policy", "--role-name", "holder", "--policy-name", "policy-2",
               "--policy-document", json.dumps(LIST_BUCKET))
    listed = iam.list_role_policies(RoleName="holder")
    assert listed["PolicyNames"] == ["policy-1", "policy-2"] and listed["IsTruncated"] is False
    iam.delete_role_policy(RoleName="holder", PolicyName="policy-1")
    assert iam.list_role_policies(RoleName="holder")["PolicyNames"] == ["policy-2"]
    for call in (iam.get_role_policy, iam.delete_role_policy):
        with pytest.raises(ClientError) as e:
            call(RoleName="holder", PolicyName="policy-1")
        assert error(e) == ("NoSuchEntity", "The role policy with name policy-1 cannot be found.", 404)
        with pytest.raises(ClientError) as e:
            call(RoleName="holder", PolicyName="non-existent-policy")
        assert error(e) == ("NoSuchEntity", "The role policy with name non-existent-policy cannot be found.", 404)
        with pytest.raises(ClientError) as e:
            call(RoleName="nonexistent-role", PolicyName="policy-2")
        assert error(e) == ("NoSuchEntity", "The role with name nonexistent-role cannot be found.", 404)
    with pytest.raises(ClientError) as e:
        iam.put_role_policy(RoleName="nonexistent-role", PolicyName="p", PolicyDocument=json.dumps(LIST_BUCKET))
    assert error(e) == ("NoSuchEntity", "The role with name nonexistent-role cannot be found.", 404)


def _policy_of_size(non_whitespace_chars):
    base = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": ""}]}
    overhead = len(json.dumps(base, separators=(",", ":")))
    base["Statement"][0]["Resource"] = "arn:aws:s3:::" + "b" * (non_whitespace_chars - overhead - len("arn:aws:s3:::"))
    assert len(json.dumps(base, separators=(",", ":"))) == non_whitespace_chars
    return base


def test_role_inline_policies_share_a_10240_character_quota(server):
    # IAM quotas: "Role policy size cannot exceed 10,240 characters" (all inline policies
    # of the role together); white space is not counted.
    iam = server.client("iam")
    make_role(iam, "sized")
    iam.put_role_policy(RoleName="sized", PolicyName="all", PolicyDocument=json.dumps(_policy_of_size(10240), indent=6))
    iam.delete_role_policy(RoleName="sized", PolicyName="all")
    with pytest.raises(ClientError) as e:
        iam.put_role_policy(RoleName="sized", PolicyName="big", PolicyDocument=json.dumps(_policy_of_size(10241)))
    assert error(e) == ("LimitExceeded", "Maximum policy size of 10240 bytes exceeded for role sized", 409)
    iam.put_role_policy(RoleName="sized", PolicyName="one", PolicyDocument=json.dumps(_policy_of_size(6000)))
    with pytest.raises(ClientError) as e:
        iam.put_role_policy(RoleName="sized", PolicyName="two", PolicyDocument=json.dumps(_policy_of_size(6000)))
    assert error(e) == ("LimitExceeded", "Maximum policy size of 10240 bytes exceeded for role sized", 409)
    assert iam.list_role_policies(RoleName="sized")["PolicyNames"] == ["one"]


def test_role_inline_policy_keeps_percent_escapes(server):
    # iam TestIAMPolicyEncoding::test_put_role_policy_encoding
    iam = server.client("iam")
    make_role(iam, "enc", Path="/enc/")
    doc = {"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Action": ["apigatway:PUT"],
        "Resource": ["arn:aws:apigateway:us-east-1::/tags/arn%3Aaws%3Aapigateway%3Aus-east-1%3A%3A%2Frestapis%2Faaeeieije"]}]}
    iam.put_role_policy(RoleName="enc", PolicyName="p", PolicyDocument=json.dumps(doc))
    assert iam.get_role_policy(RoleName="enc", PolicyName="p")["PolicyDocument"] == doc


def test_role_tags_lifecycle(server):
    iam = server.client("iam")
    make_role(iam, "tagme")
    assert "Tags" not in iam.get_role(RoleName="tagme")["Role"]
    assert set(iam.tag_role(RoleName="tagme", Tags=[{"Key": "somekey", "Value": "somevalue"},
                                                    {"Key": "someotherkey", "Value": "someothervalue"}])) == {"ResponseMetadata"}
    expected = [{"Key": "somekey", "Value": "somevalue"}, {"Key": "someotherkey", "Value": "someothervalue"}]
    assert iam.get_role(RoleName="tagme")["Role"]["Tags"] == expected
    listed = iam.list_role_tags(RoleName="tagme")
    assert listed["Tags"] == expected and listed["IsTruncated"] is False
    iam.tag_role(RoleName="tagme", Tags=[{"Key": "somekey", "Value": "updatedvalue"}])
    assert iam.list_role_tags(RoleName="tagme")["Tags"] == [
        {"Key": "somekey", "Value": "updatedvalue"}, {"Key": "someotherkey", "Value": "someothervalue"}]
    iam.tag_role(RoleName="tagme", Tags=[{"Key": "somekey", "Value": ""}])
    assert iam.list_role_tags(RoleName="tagme")["Tags"][0] == {"Key": "somekey", "Value": ""}
    assert set(iam.untag_role(RoleName="tagme", TagKeys=["somekey"])) == {"ResponseMetadata"}
    assert iam.list_role_tags(RoleName="tagme")["Tags"] == [{"Key": "someotherkey", "Value": "someothervalue"}]
    server.cli("iam", "untag-role", "--role-name", "tagme", "--tag-keys", "someotherkey")
    assert iam.list_role_tags(RoleName="tagme")["Tags"] == []
    assert "Tags" not in iam.get_role(RoleName="tagme")["Role"]


def test_tag_role_replaces_a_key_case_insensitively_and_new_casing_wins(server):
    iam = server.client("iam")
    make_role(iam, "casing", Tags=[{"Key": "somekey", "Value": "somevalue"}])
    iam.tag_role(RoleName="casing", Tags=[{"Key": "Somekey", "Value": "updatedvalue"}])
    assert iam.list_role_tags(RoleName="casing")["Tags"] == [{"Key": "Somekey", "Value": "updatedvalue"}]


def test_role_tag_errors_match_aws(server):
    iam = server.client("iam")
    dup = "Duplicate tag keys found. Please note that Tag keys are case insensitive."
    for tags in ([{"Key": "dupkey", "Value": "a"}, {"Key": "dupkey", "Value": "b"}],
                 [{"Key": "mykey", "Value": "a"}, {"Key": "MyKey", "Value": "b"}]):
        with pytest.raises(ClientError) as e:
            make_role(iam, "dup-tags", Tags=tags)
        assert error(e) == ("InvalidInput", dup, 400)
    make_role(iam, "tags")
    with pytest.raises(ClientError) as e:
        iam.tag_role(RoleName="tags", Tags=[{"Key": "mykey", "Value": "a"}, {"Key": "MyKey", "Value": "b"}])
    assert error(e) == ("InvalidInput", dup, 400)
    with pytest.raises(ClientError) as e:
        make_role(iam, "many-tags", Tags=[{"Key": f"k{i}", "Value": "v"} for i in range(51)])
    assert error(e) == ("ValidationError", "1 validation error detected: Value at 'tags' failed to satisfy "
                                           "constraint: Member must have length less than or equal to 50", 400)
    with pytest.raises(ClientError) as e:
        iam.tag_role(RoleName="tags", Tags=[{"Key": "invalid!key", "Value": "v"}])
    assert error(e) == ("ValidationError", "1 validation error detected: Value at 'tags.1.member.key' failed to "
                                           "satisfy constraint: Member must satisfy regular expression pattern: "
                                           "[\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]+", 400)
    with pytest.raises(ClientError) as e:
        iam.tag_role(RoleName="tags", Tags=[{"Key": "k", "Value": "v" * 257}])
    assert error(e) == ("ValidationError", "1 validation error detected: Value at 'tags.1.member.value' failed to "
                                           "satisfy constraint: Member must have length less than or equal to 256", 400)
    for call, kwargs in ((iam.tag_role, {"Tags": [{"Key": "a", "Value": "b"}]}),
                         (iam.untag_role, {"TagKeys": ["a"]}), (iam.list_role_tags, {})):
        with pytest.raises(ClientError) as e:
            call(RoleName="test-nonexistent-role", **kwargs)
        assert error(e) == ("NoSuchEntity", "The role with name test-nonexistent-role cannot be found.", 404)
    assert sorted(r["RoleName"] for r in iam.list_roles()["Roles"]) == ["tags"]
    assert iam.list_role_tags(RoleName="tags")["Tags"] == []


def test_permissions_boundary_lifecycle(server):
    iam = server.client("iam")
    arn = make_policy(iam, "boundary")
    expected = {"PermissionsBoundaryArn": arn, "PermissionsBoundaryType": "Policy"}
    created = make_role(iam, "bounded", Description="Role with permissions boundary", PermissionsBoundary=arn)
    assert set(created) == CREATE_KEYS | {"PermissionsBoundary"}
    assert created["PermissionsBoundary"] == expected
    assert iam.get_role(RoleName="bounded")["Role"]["PermissionsBoundary"] == expected
    assert set(iam.delete_role_permissions_boundary(RoleName="bounded")) == {"ResponseMetadata"}
    assert "PermissionsBoundary" not in iam.get_role(RoleName="bounded")["Role"]
    assert set(iam.put_role_permissions_boundary(RoleName="bounded", PermissionsBoundary=arn)) == {"ResponseMetadata"}
    assert iam.get_role(RoleName="bounded")["Role"]["PermissionsBoundary"] == expected
    assert "PermissionsBoundary" not in iam.list_roles()["Roles"][0]
    aws_boundary = "arn:aws:iam::aws:policy/PowerUserAccess"
    server.cli("iam", "put-role-permissions-boundary", "--role-name", "bounded", "--permissions-boundary", aws_boundary)
    assert iam.get_role(RoleName="bounded")["Role"]["PermissionsBoundary"]["PermissionsBoundaryArn"] == aws_boundary


def test_permissions_boundary_errors_match_aws(server):
    iam = server.client("iam")
    make_role(iam, "target")
    make_policy(iam, "exists")
    invalid = f"arn:aws:iam::{ACCOUNT_ID}:not_a_policy/invalid"
    missing = f"arn:aws:iam::{ACCOUNT_ID}:policy/nonexistent-policy"
    with pytest.raises(ClientError) as e:
        iam.put_role_permissions_boundary(RoleName="target", PermissionsBoundary=invalid)
    assert error(e) == ("InvalidInput", f"ARN {invalid} is not valid.", 400)
    with pytest.raises(ClientError) as e:
        make_role(iam, "new", PermissionsBoundary=invalid)
    assert error(e) == ("InvalidInput", f"ARN {invalid} is not valid.", 400)
    with pytest.raises(ClientError) as e:
        iam.put_role_permissions_boundary(RoleName="target", PermissionsBoundary=missing)
    assert error(e) == ("NoSuchEntity", f"Scope ARN: {missing} does not exist or is not attachable.", 404)
    with pytest.raises(ClientError) as e:
        make_role(iam, "new", PermissionsBoundary=missing)
    assert error(e) == ("NoSuchEntity", f"Scope ARN: {missing} does not exist or is not attachable.", 404)
    with pytest.raises(ClientError) as e:
        iam.put_role_permissions_boundary(RoleName="nonexistent-role",
                                          PermissionsBoundary=f"arn:aws:iam::{ACCOUNT_ID}:policy/exists")
    assert error(e) == ("NoSuchEntity", "The role with name nonexistent-role cannot be found.", 404)
    assert [r["RoleName"] for r in iam.list_roles()["Roles"]] == ["target"]
    assert "PermissionsBoundary" not in iam.get_role(RoleName="target")["Role"]


BATCH_TRUST = {"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"Service": "batch.amazonaws.com"}, "Action": "sts:AssumeRole"}]}
BATCH_ARN = f"arn:aws:iam::{ACCOUNT_ID}:role/aws-service-role/batch.amazonaws.com/AWSServiceRoleForBatch"


def test_service_linked_role_for_batch_matches_aws(server):
    iam = server.client("iam")
    created = iam.create_service_linked_role(AWSServiceName="batch.amazonaws.com")["Role"]
    assert created["RoleName"] == "AWSServiceRoleForBatch"
    assert created["Path"] == "/aws-service-role/batch.amazonaws.com/"
    assert created["Arn"] == BATCH_ARN
    got = iam.get_role(RoleName="AWSServiceRoleForBatch")["Role"]
    assert set(got) == GET_KEYS
    assert got["AssumeRolePolicyDocument"] == BATCH_TRUST
    assert got["MaxSessionDuration"] == 3600 and got["RoleLastUsed"] == {}
    assert got["RoleId"] == created["RoleId"]
    assert iam.list_role_policies(RoleName="AWSServiceRoleForBatch")["PolicyNames"] == []
    assert iam.list_attached_role_policies(RoleName="AWSServiceRoleForBatch")["AttachedPolicies"] == [
        {"PolicyName": "BatchServiceRolePolicy",
         "PolicyArn": "arn:aws:iam::aws:policy/aws-service-role/BatchServiceRolePolicy"}]
    with pytest.raises(ClientError) as e:
        iam.create_service_linked_role(AWSServiceName="batch.amazonaws.com")
    assert error(e) == ("InvalidInput", "Service role name AWSServiceRoleForBatch has been taken in this account, "
                                        "please try a different suffix.", 400)


def test_service_linked_role_custom_suffix_only_where_the_service_allows_it(server):
    iam = server.client("iam")
    with pytest.raises(ClientError) as e:
        iam.create_service_linked_role(AWSServiceName="batch.amazonaws.com", CustomSuffix="testsuffix")
    assert error(e) == ("InvalidInput", "Custom suffix is not allowed for batch.amazonaws.com", 400)
    assert iam.list_roles()["Roles"] == []
    role = iam.create_service_linked_role(AWSServiceName="autoscaling.amazonaws.com", CustomSuffix="testsuffix")["Role"]
    assert role["RoleName"] == "AWSServiceRoleForAutoScaling_testsuffix"
    assert role["Path"] == "/aws-service-role/autoscaling.amazonaws.com/"
    assert iam.list_attached_role_policies(RoleName=role["RoleName"])["AttachedPolicies"] == [
        {"PolicyName": "AutoScalingServiceRolePolicy",
         "PolicyArn": "arn:aws:iam::aws:policy/aws-service-role/AutoScalingServiceRolePolicy"}]


PROTECTED = ("Cannot perform the operation on the protected role 'AWSServiceRoleForBatch' - "
             "this role is only modifiable by AWS")


def test_delete_role_refuses_a_service_linked_role(server):
    # UnmodifiableEntity is HTTP 400 in the API model; the sentence is AWS's "protected role" one.
    iam = server.client("iam")
    iam.create_service_linked_role(AWSServiceName="batch.amazonaws.com")
    with pytest.raises(ClientError) as e:
        iam.delete_role(RoleName="AWSServiceRoleForBatch")
    assert error(e) == ("UnmodifiableEntity", PROTECTED, 400)
    assert iam.get_role(RoleName="AWSServiceRoleForBatch")["Role"]["Arn"] == BATCH_ARN


def test_update_assume_role_policy_refuses_a_service_linked_role(server):
    iam = server.client("iam")
    iam.create_service_linked_role(AWSServiceName="batch.amazonaws.com")
    with pytest.raises(ClientError) as e:
        iam.update_assume_role_policy(RoleName="AWSServiceRoleForBatch", PolicyDocument=json.dumps(TRUST))
    assert error(e) == ("UnmodifiableEntity", PROTECTED, 400)
    assert iam.get_role(RoleName="AWSServiceRoleForBatch")["Role"]["AssumeRolePolicyDocument"] == BATCH_TRUST


def test_put_role_policy_refuses_a_service_linked_role(server):
    iam = server.client("iam")
    iam.create_service_linked_role(AWSServiceName="batch.amazonaws.com")
    with pytest.raises(ClientError) as e:
        iam.put_role_policy(RoleName="AWSServiceRoleForBatch", PolicyName="p", PolicyDocument=json.dumps(LIST_BUCKET))
    assert error(e) == ("UnmodifiableEntity", PROTECTED, 400)
    assert iam.list_role_policies(RoleName="AWSServiceRoleForBatch")["PolicyNames"] == []


def test_delete_service_linked_role_reports_a_task_that_succeeds(server):
    iam = server.client("iam")
    iam.create_service_linked_role(AWSServiceName="batch.amazonaws.com")
    answer = iam.delete_service_linked_role(RoleName="AWSServiceRoleForBatch")
    task = answer["DeletionTaskId"]
    assert re.fullmatch(r"task/aws-service-role/batch\.amazonaws\.com/AWSServiceRoleForBatch/"
                        r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", task), task
    status = None
    for _ in range(10):
        status = iam.get_service_linked_role_deletion_status(DeletionTaskId=task)
        if status["Status"] == "SUCCEEDED":
            break
        assert status["Status"] in ("NOT_STARTED", "IN_PROGRESS")
        time.sleep(1)
    assert {k: v for k, v in status.items() if k != "ResponseMetadata"} == {"Status": "SUCCEEDED"}
    with pytest.raises(ClientError) as e:
        iam.get_role(RoleName="AWSServiceRoleForBatch")
    assert error(e) == ("NoSuchEntity", "The role with name AWSServiceRoleForBatch cannot be found.", 404)
    # Deleted: the name is free again.
    again = iam.create_service_linked_role(AWSServiceName="batch.amazonaws.com")["Role"]
    assert again["Arn"] == BATCH_ARN
