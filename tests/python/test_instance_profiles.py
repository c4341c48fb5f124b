"""Instance profiles, their role and their tags, through boto3 and the aws CLI.

Expected answers are AWS's: responses recorded against real AWS (LocalStack's IAM parity
snapshots)
(test_iam_instance_profiles, test_iam_roles) and, where those are silent, the
IAM API reference.
"""

import json

import pytest
from botocore.exceptions import ClientError

from conftest import ACCOUNT_ID

TRUST = {"Version": "2012-10-17",
         "Statement": [{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]}
PROFILE_KEYS = {"Path", "InstanceProfileName", "InstanceProfileId", "Arn", "CreateDate", "Roles"}
NESTED_ROLE_KEYS = {"Path", "RoleName", "RoleId", "Arn", "CreateDate", "AssumeRolePolicyDocument"}


def error(excinfo):
    e = excinfo.value.response
    return e["Error"]["Code"], e["Error"]["Message"], e["ResponseMetadata"]["HTTPStatusCode"]


def body(response):
    return {k: v for k, v in response.items() if k != "ResponseMetadata"}


def make_role(iam, name, **kwargs):
    return iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(TRUST), **kwargs)["Role"]


def test_create_and_get_instance_profile_shapes(server):
    iam = server.client("iam")
    created = iam.create_instance_profile(InstanceProfileName="web", Path="/prefix/")["InstanceProfile"]
    assert set(created) == PROFILE_KEYS  # no Tags when none were given
    assert created["Roles"] == [] and created["Path"] == "/prefix/"
    assert created["Arn"] == f"arn:aws:iam::{ACCOUNT_ID}:instance-profile/prefix/web"
    assert created["InstanceProfileId"].startswith("AIPA")
    got = iam.get_instance_profile(InstanceProfileName="web")["InstanceProfile"]
    assert got == {**created, "Tags": []}  # Get always has Tags
    default = iam.create_instance_profile(InstanceProfileName="plain")["InstanceProfile"]
    assert default["Path"] == "/" and default["Arn"] == f"arn:aws:iam::{ACCOUNT_ID}:instance-profile/plain"


def test_delete_instance_profile_and_missing_profile_errors(server):
    iam = server.client("iam")
    iam.create_instance_profile(InstanceProfileName="gone")
    assert set(iam.delete_instance_profile(InstanceProfileName="gone")) == {"ResponseMetadata"}
    with pytest.raises(ClientError) as e:
        iam.get_instance_profile(InstanceProfileName="gone")
    assert error(e) == ("NoSuchEntity", "Instance Profile gone cannot be found.", 404)
    for call in (iam.get_instance_profile, iam.delete_instance_profile):
        with pytest.raises(ClientError) as e:
            call(InstanceProfileName="nonexistent-profile")
        assert error(e) == ("NoSuchEntity", "Instance Profile nonexistent-profile cannot be found.", 404)
    iam.create_instance_profile(InstanceProfileName="dup")
    with pytest.raises(ClientError) as e:
        iam.create_instance_profile(InstanceProfileName="dup")
    assert error(e) == ("EntityAlreadyExists", "Instance Profile dup already exists.", 409)


def test_list_instance_profiles_without_tags_filtered_by_path(server):
    iam = server.client("iam")
    assert body(iam.list_instance_profiles()) == {"InstanceProfiles": [], "IsTruncated": False}
    iam.create_instance_profile(InstanceProfileName="a", Path="/one/", Tags=[{"Key": "k", "Value": "v"}])
    iam.create_instance_profile(InstanceProfileName="b")
    role = make_role(iam, "r", Description="nested roles show no description")
    iam.add_role_to_instance_profile(InstanceProfileName="b", RoleName="r")
    listed = {p["InstanceProfileName"]: p for p in iam.list_instance_profiles()["InstanceProfiles"]}
    assert set(listed) == {"a", "b"}
    assert all(set(p) == PROFILE_KEYS for p in listed.values())
    assert listed["b"]["Roles"] == [role]
    assert set(listed["b"]["Roles"][0]) == NESTED_ROLE_KEYS
    assert [p["InstanceProfileName"] for p in iam.list_instance_profiles(PathPrefix="/one/")["InstanceProfiles"]] == ["a"]
    assert iam.list_instance_profiles(PathPrefix="/none/")["InstanceProfiles"] == []
    out = json.loads(server.cli("iam", "list-instance-profiles", "--page-size", "1").stdout)
    assert sorted(p["InstanceProfileName"] for p in out["InstanceProfiles"]) == ["a", "b"]


def test_list_instance_profiles_paginates(server):
    iam = server.client("iam")
    names = [f"ip-{i}" for i in range(5)]
    for n in names:
        iam.create_instance_profile(InstanceProfileName=n)
    first = iam.list_instance_profiles(MaxItems=2)
    assert first["IsTruncated"] is True and len(first["InstanceProfiles"]) == 2
    pages = list(iam.get_paginator("list_instance_profiles").paginate(PaginationConfig={"PageSize": 2}))
    assert len(pages) == 3
    assert sorted(p["InstanceProfileName"] for page in pages for p in page["InstanceProfiles"]) == names


def test_add_and_remove_role(server):
    iam = server.client("iam")
    iam.create_instance_profile(InstanceProfileName="holder")
    role = make_role(iam, "member")
    assert set(iam.add_role_to_instance_profile(InstanceProfileName="holder", RoleName="member")) == {"ResponseMetadata"}
    got = iam.get_instance_profile(InstanceProfileName="holder")["InstanceProfile"]
    assert got["Roles"] == [role] and got["Tags"] == []
    assert set(iam.remove_role_from_instance_profile(InstanceProfileName="holder", RoleName="member")) == {"ResponseMetadata"}
    assert iam.get_instance_profile(InstanceProfileName="holder")["InstanceProfile"]["Roles"] == []


def test_an_instance_profile_holds_one_role(server):
    iam = server.client("iam")
    iam.create_instance_profile(InstanceProfileName="single")
    make_role(iam, "first")
    make_role(iam, "second")
    iam.add_role_to_instance_profile(InstanceProfileName="single", RoleName="first")
    with pytest.raises(ClientError) as e:
        iam.add_role_to_instance_profile(InstanceProfileName="single", RoleName="second")
    assert error(e) == ("LimitExceeded", "Cannot exceed quota for InstanceSessionsPerInstanceProfile: 1", 409)
    roles = iam.get_instance_profile(InstanceProfileName="single")["InstanceProfile"]["Roles"]
    assert [r["RoleName"] for r in roles] == ["first"]


def test_role_and_profile_errors_name_what_is_missing(server):
    iam = server.client("iam")
    iam.create_instance_profile(InstanceProfileName="prof")
    make_role(iam, "loose")
    for call in (iam.add_role_to_instance_profile, iam.remove_role_from_instance_profile):
        with pytest.raises(ClientError) as e:
            call(InstanceProfileName="nonexistent-profile", RoleName="loose")
        assert error(e) == ("NoSuchEntity", "Instance Profile nonexistent-profile cannot be found.", 404)
        with pytest.raises(ClientError) as e:
            call(InstanceProfileName="prof", RoleName="nonexistent-role")
        assert error(e) == ("NoSuchEntity", "The role with name nonexistent-role cannot be found.", 404)
    with pytest.raises(ClientError) as e:
        iam.remove_role_from_instance_profile(InstanceProfileName="prof", RoleName="loose")
    assert error(e) == ("NoSuchEntity", "Role loose in Instance Profile prof cannot be found.", 404)
    with pytest.raises(ClientError) as e:
        iam.list_instance_profiles_for_role(RoleName="nonexistent-role")
    assert error(e) == ("NoSuchEntity", "The role with name nonexistent-role cannot be found.", 404)


def test_list_instance_profiles_for_role(server):
    iam = server.client("iam")
    make_role(iam, "shared")
    make_role(iam, "alone")
    for n in ("p1", "p2"):
        iam.create_instance_profile(InstanceProfileName=n, Path="/pp/")
        iam.add_role_to_instance_profile(InstanceProfileName=n, RoleName="shared")
    iam.create_instance_profile(InstanceProfileName="other")
    listed = iam.list_instance_profiles_for_role(RoleName="shared")
    assert listed["IsTruncated"] is False
    assert sorted(p["InstanceProfileName"] for p in listed["InstanceProfiles"]) == ["p1", "p2"]
    assert all(set(p) == PROFILE_KEYS and [r["RoleName"] for r in p["Roles"]] == ["shared"]
               for p in listed["InstanceProfiles"])
    assert body(iam.list_instance_profiles_for_role(RoleName="alone")) == {"InstanceProfiles": [], "IsTruncated": False}
    out = json.loads(server.cli("iam", "list-instance-profiles-for-role", "--role-name", "shared").stdout)
    assert sorted(p["InstanceProfileName"] for p in out["InstanceProfiles"]) == ["p1", "p2"]


def test_instance_profile_with_a_role_cannot_be_deleted(server):
    iam = server.client("iam")
    iam.create_instance_profile(InstanceProfileName="busy")
    make_role(iam, "inside")
    iam.add_role_to_instance_profile(InstanceProfileName="busy", RoleName="inside")
    with pytest.raises(ClientError) as e:
        iam.delete_instance_profile(InstanceProfileName="busy")
    assert error(e) == ("DeleteConflict", "Cannot delete entity, must remove roles from instance profile first.", 409)
    result = server.cli("iam", "delete-instance-profile", "--instance-profile-name", "busy", check=False)
    assert result.returncode != 0 and "DeleteConflict" in result.stderr
    iam.remove_role_from_instance_profile(InstanceProfileName="busy", RoleName="inside")
    iam.delete_instance_profile(InstanceProfileName="busy")
    with pytest.raises(ClientError) as e:
        iam.get_instance_profile(InstanceProfileName="busy")
    assert error(e) == ("NoSuchEntity", "Instance Profile busy cannot be found.", 404)


def test_instance_profile_created_with_tags_echoes_them(server):
    iam = server.client("iam")
    created = iam.create_instance_profile(InstanceProfileName="tagged",
                                          Tags=[{"Key": "InitialKey", "Value": "InitialValue"}])["InstanceProfile"]
    assert created["Tags"] == [{"Key": "InitialKey", "Value": "InitialValue"}]
    assert iam.get_instance_profile(InstanceProfileName="tagged")["InstanceProfile"]["Tags"] == [
        {"Key": "InitialKey", "Value": "InitialValue"}]


def test_instance_profile_tag_lifecycle(server):
    iam = server.client("iam")
    iam.create_instance_profile(InstanceProfileName="tags")
    assert body(iam.list_instance_profile_tags(InstanceProfileName="tags")) == {"Tags": [], "IsTruncated": False}
    assert set(iam.tag_instance_profile(InstanceProfileName="tags",
                                        Tags=[{"Key": "MyKey", "Value": "myValue"}])) == {"ResponseMetadata"}
    assert iam.list_instance_profile_tags(InstanceProfileName="tags")["Tags"] == [{"Key": "MyKey", "Value": "myValue"}]
    assert iam.get_instance_profile(InstanceProfileName="tags")["InstanceProfile"]["Tags"] == [
        {"Key": "MyKey", "Value": "myValue"}]
    server.cli("iam", "tag-instance-profile", "--instance-profile-name", "tags", "--tags", "Key=MyKey2,Value=myValue2")
    assert sorted(iam.list_instance_profile_tags(InstanceProfileName="tags")["Tags"], key=lambda t: t["Key"]) == [
        {"Key": "MyKey", "Value": "myValue"}, {"Key": "MyKey2", "Value": "myValue2"}]
    assert set(iam.untag_instance_profile(InstanceProfileName="tags", TagKeys=["MyKey"])) == {"ResponseMetadata"}
    assert iam.list_instance_profile_tags(InstanceProfileName="tags")["Tags"] == [{"Key": "MyKey2", "Value": "myValue2"}]
    iam.untag_instance_profile(InstanceProfileName="tags", TagKeys=["MyKey2"])
    assert iam.list_instance_profile_tags(InstanceProfileName="tags")["Tags"] == []
    assert all("Tags" not in p for p in iam.list_instance_profiles()["InstanceProfiles"])


def test_instance_profile_tag_operations_on_a_missing_profile(server):
    iam = server.client("iam")
    for call, kwargs in ((iam.tag_instance_profile, {"Tags": [{"Key": "k", "Value": "v"}]}),
                         (iam.untag_instance_profile, {"TagKeys": ["k"]}), (iam.list_instance_profile_tags, {})):
        with pytest.raises(ClientError) as e:
            call(InstanceProfileName="nonexistent-profile", **kwargs)
        assert error(e) == ("NoSuchEntity", "Instance Profile nonexistent-profile cannot be found.", 404)
