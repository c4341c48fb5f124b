"""Groups, membership and group inline policies through boto3 and the aws CLI.

Expected answers are AWS's: responses recorded against real AWS (LocalStack's IAM parity
snapshots)
(test_iam_groups, test_iam_users) and, where those are silent, the IAM API
reference and the IAM quotas page.
"""

import json

import pytest
from botocore.exceptions import ClientError

from conftest import ACCOUNT_ID

GROUP_KEYS = {"Path", "GroupName", "GroupId", "Arn", "CreateDate"}
MEMBER_KEYS = {"Path", "UserName", "UserId", "Arn", "CreateDate"}
LIST_BUCKET = {"Version": "2012-10-17",
               "Statement": [{"Effect": "Allow", "Action": "s3:ListBucket",
                              "Resource": ["arn:aws:s3:::example_bucket"]}]}


def error(excinfo):
    e = excinfo.value.response
    return e["Error"]["Code"], e["Error"]["Message"], e["ResponseMetadata"]["HTTPStatusCode"]


def test_create_group_answers_the_group_and_refuses_a_duplicate(server):
    iam = server.client("iam")
    created = iam.create_group(GroupName="devs")["Group"]
    assert set(created) == GROUP_KEYS
    assert created["Path"] == "/"
    assert created["Arn"] == f"arn:aws:iam::{ACCOUNT_ID}:group/devs"
    assert created["GroupId"].startswith("AGPA")
    with_path = iam.create_group(GroupName="ops", Path="/some/location/")["Group"]
    assert with_path["Path"] == "/some/location/"
    assert with_path["Arn"] == f"arn:aws:iam::{ACCOUNT_ID}:group/some/location/ops"
    with pytest.raises(ClientError) as e:
        iam.create_group(GroupName="devs")
    assert error(e) == ("EntityAlreadyExists", "Group with name devs already exists.", 409)


def test_group_names_are_unique_regardless_of_case(server):
    # CreateGroup reference: "Group names are not distinguished by case."
    iam = server.client("iam")
    iam.create_group(GroupName="Admins")
    with pytest.raises(ClientError) as e:
        iam.create_group(GroupName="admins")
    assert error(e) == ("EntityAlreadyExists", "Group with name admins already exists.", 409)


def test_get_group_lists_members_and_unknown_group_is_no_such_entity(server):
    iam = server.client("iam")
    group = iam.create_group(GroupName="readers")["Group"]
    empty = iam.get_group(GroupName="readers")
    assert empty["Group"] == group
    assert empty["Users"] == [] and empty["IsTruncated"] is False
    assert "Marker" not in empty
    user = iam.create_user(UserName="ann", Tags=[{"Key": "team", "Value": "a"}])["User"]
    iam.add_user_to_group(GroupName="readers", UserName="ann")
    members = iam.get_group(GroupName="readers")["Users"]
    assert members == [{k: v for k, v in user.items() if k != "Tags"}]  # no Tags, no PasswordLastUsed
    assert set(members[0]) == MEMBER_KEYS
    with pytest.raises(ClientError) as e:
        iam.get_group(GroupName="non-existent-group")
    assert error(e) == ("NoSuchEntity", "The group with name non-existent-group cannot be found.", 404)


def test_get_group_members_are_paginated_by_hand_paginator_and_cli(server):
    iam = server.client("iam")
    iam.create_group(GroupName="many")
    names = [f"member{i:02d}" for i in range(7)]
    for n in names:
        iam.create_user(UserName=n)
        iam.add_user_to_group(GroupName="many", UserName=n)
    first = iam.get_group(GroupName="many", MaxItems=3)
    assert first["IsTruncated"] is True and len(first["Users"]) == 3 and first["Marker"]
    seen = [u["UserName"] for u in first["Users"]]
    marker = first["Marker"]
    while marker:
        page = iam.get_group(GroupName="many", MaxItems=3, Marker=marker)
        assert page["Group"]["GroupName"] == "many"
        seen += [u["UserName"] for u in page["Users"]]
        marker = page.get("Marker")
        assert page["IsTruncated"] is bool(marker)
    assert sorted(seen) == names and len(seen) == len(names)
    pages = list(iam.get_paginator("get_group").paginate(GroupName="many", PaginationConfig={"PageSize": 2}))
    assert len(pages) == 4
    assert sorted(u["UserName"] for p in pages for u in p["Users"]) == names
    out = json.loads(server.cli("iam", "get-group", "--group-name", "many", "--page-size", "2").stdout)
    assert sorted(u["UserName"] for u in out["Users"]) == names


def test_update_group_renames_keeping_group_id_and_members(server):
    iam = server.client("iam")
    original = iam.create_group(GroupName="old-name")["Group"]
    iam.create_user(UserName="bob")
    iam.add_user_to_group(GroupName="old-name", UserName="bob")
    assert iam.update_group(GroupName="old-name", NewGroupName="new-name")["ResponseMetadata"]["HTTPStatusCode"] == 200
    with pytest.raises(ClientError) as e:
        iam.get_group(GroupName="old-name")
    assert error(e) == ("NoSuchEntity", "The group with name old-name cannot be found.", 404)
    renamed = iam.get_group(GroupName="new-name")
    assert renamed["Group"]["GroupId"] == original["GroupId"]
    assert renamed["Group"]["Arn"] == f"arn:aws:iam::{ACCOUNT_ID}:group/new-name"
    assert renamed["Group"]["CreateDate"] == original["CreateDate"]
    assert [u["UserName"] for u in renamed["Users"]] == ["bob"]
    assert [g["GroupName"] for g in iam.list_groups_for_user(UserName="bob")["Groups"]] == ["new-name"]


def test_update_group_moves_to_a_new_path_through_the_cli(server):
    iam = server.client("iam")
    original = iam.create_group(GroupName="movers")["Group"]
    server.cli("iam", "update-group", "--group-name", "movers", "--new-path", "/new-path/")
    got = json.loads(server.cli("iam", "get-group", "--group-name", "movers").stdout)["Group"]
    assert got["Path"] == "/new-path/"
    assert got["Arn"] == f"arn:aws:iam::{ACCOUNT_ID}:group/new-path/movers"
    assert got["GroupId"] == original["GroupId"]


def test_update_group_errors_match_aws(server):
    iam = server.client("iam")
    iam.create_group(GroupName="first")
    iam.create_group(GroupName="second")
    with pytest.raises(ClientError) as e:
        iam.update_group(GroupName="first", NewGroupName="second")
    assert error(e) == ("EntityAlreadyExists", "Group with name second already exists.", 409)
    with pytest.raises(ClientError) as e:
        iam.update_group(GroupName="nonexisting", NewGroupName="new-name")
    assert error(e) == ("NoSuchEntity", "The group with name nonexisting cannot be found.", 404)
    assert sorted(g["GroupName"] for g in iam.list_groups()["Groups"]) == ["first", "second"]


def test_delete_group_removes_it_and_unknown_group_is_no_such_entity(server):
    iam = server.client("iam")
    iam.create_group(GroupName="temp")
    answer = iam.delete_group(GroupName="temp")
    assert set(answer) == {"ResponseMetadata"}
    with pytest.raises(ClientError) as e:
        iam.get_group(GroupName="temp")
    assert error(e) == ("NoSuchEntity", "The group with name temp cannot be found.", 404)
    with pytest.raises(ClientError) as e:
        iam.delete_group(GroupName="unknown-group")
    assert error(e) == ("NoSuchEntity", "The group with name unknown-group cannot be found.", 404)


def test_list_groups_filters_by_path_prefix_and_paginates(server):
    iam = server.client("iam")
    names = [f"g{i:02d}" for i in range(6)]
    for i, n in enumerate(names):
        iam.create_group(GroupName=n, Path="/eng/" if i % 2 else "/")
    listed = iam.list_groups()
    assert listed["IsTruncated"] is False and "Marker" not in listed
    assert sorted(g["GroupName"] for g in listed["Groups"]) == names
    assert all(set(g) == GROUP_KEYS for g in listed["Groups"])
    eng = iam.list_groups(PathPrefix="/eng/")["Groups"]
    assert sorted(g["GroupName"] for g in eng) == ["g01", "g03", "g05"]
    assert iam.list_groups(PathPrefix="/nonexistent/")["Groups"] == []
    first = iam.list_groups(MaxItems=4)
    assert first["IsTruncated"] is True and len(first["Groups"]) == 4
    rest = iam.list_groups(MaxItems=4, Marker=first["Marker"])
    assert rest["IsTruncated"] is False and "Marker" not in rest
    assert sorted(g["GroupName"] for g in first["Groups"] + rest["Groups"]) == names
    out = json.loads(server.cli("iam", "list-groups", "--page-size", "2").stdout)
    assert sorted(g["GroupName"] for g in out["Groups"]) == names


def test_add_user_to_group_is_idempotent(server):
    iam = server.client("iam")
    iam.create_group(GroupName="twice")
    iam.create_user(UserName="carl")
    iam.add_user_to_group(GroupName="twice", UserName="carl")
    again = iam.add_user_to_group(GroupName="twice", UserName="carl")
    assert again["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert [g["GroupName"] for g in iam.list_groups_for_user(UserName="carl")["Groups"]] == ["twice"]
    assert len(iam.get_group(GroupName="twice")["Users"]) == 1
    iam.remove_user_from_group(GroupName="twice", UserName="carl")
    assert iam.list_groups_for_user(UserName="carl")["Groups"] == []


def test_add_user_to_group_names_the_missing_entity(server):
    iam = server.client("iam")
    iam.create_group(GroupName="exists")
    iam.create_user(UserName="dora")
    with pytest.raises(ClientError) as e:
        iam.add_user_to_group(GroupName="exists", UserName="non-existent-user")
    assert error(e) == ("NoSuchEntity", "The user with name non-existent-user cannot be found.", 404)
    with pytest.raises(ClientError) as e:
        iam.add_user_to_group(GroupName="non-existent-group", UserName="dora")
    assert error(e) == ("NoSuchEntity", "The group with name non-existent-group cannot be found.", 404)


def test_remove_user_from_group_succeeds_for_non_member_and_checks_user_first(server):
    iam = server.client("iam")
    iam.create_group(GroupName="club")
    iam.create_user(UserName="member")
    iam.create_user(UserName="outsider")
    iam.add_user_to_group(GroupName="club", UserName="member")
    answer = iam.remove_user_from_group(GroupName="club", UserName="outsider")
    assert set(answer) == {"ResponseMetadata"} and answer["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert [u["UserName"] for u in iam.get_group(GroupName="club")["Users"]] == ["member"]
    iam.remove_user_from_group(GroupName="club", UserName="member")
    assert iam.get_group(GroupName="club")["Users"] == []
    with pytest.raises(ClientError) as e:
        iam.remove_user_from_group(GroupName="nonexistent-group", UserName="member")
    assert error(e) == ("NoSuchEntity", "The group with name nonexistent-group cannot be found.", 404)
    with pytest.raises(ClientError) as e:  # both missing: the user is named
        iam.remove_user_from_group(GroupName="non-existent-group", UserName="any-user")
    assert error(e) == ("NoSuchEntity", "The user with name any-user cannot be found.", 404)


def test_list_groups_for_user_lists_each_group_once(server):
    iam = server.client("iam")
    iam.create_user(UserName="eve")
    empty = iam.list_groups_for_user(UserName="eve")
    assert empty["Groups"] == [] and empty["IsTruncated"] is False
    made = {n: iam.create_group(GroupName=n, Path="/p/")["Group"] for n in ("alpha", "beta")}
    for n in made:
        iam.add_user_to_group(GroupName=n, UserName="eve")
    groups = iam.list_groups_for_user(UserName="eve")["Groups"]
    assert sorted(groups, key=lambda g: g["GroupName"]) == [made["alpha"], made["beta"]]
    out = json.loads(server.cli("iam", "list-groups-for-user", "--user-name", "eve").stdout)
    assert sorted(g["GroupName"] for g in out["Groups"]) == ["alpha", "beta"]
    with pytest.raises(ClientError) as e:
        iam.list_groups_for_user(UserName="nobody")
    assert error(e) == ("NoSuchEntity", "The user with name nobody cannot be found.", 404)


def test_user_rename_keeps_group_membership(server):
    iam = server.client("iam")
    iam.create_group(GroupName="team")
    user = iam.create_user(UserName="before")["User"]
    iam.add_user_to_group(GroupName="team", UserName="before")
    iam.update_user(UserName="before", NewUserName="after")
    members = iam.get_group(GroupName="team")["Users"]
    assert [(u["UserName"], u["UserId"]) for u in members] == [("after", user["UserId"])]
    assert [g["GroupName"] for g in iam.list_groups_for_user(UserName="after")["Groups"]] == ["team"]
    with pytest.raises(ClientError) as e:
        iam.list_groups_for_user(UserName="before")
    assert error(e) == ("NoSuchEntity", "The user with name before cannot be found.", 404)


def test_group_inline_policy_lifecycle(server):
    iam = server.client("iam")
    iam.create_group(GroupName="pol")
    assert iam.list_group_policies(GroupName="pol")["PolicyNames"] == []
    put = iam.put_group_policy(GroupName="pol", PolicyName="policy-1", PolicyDocument=json.dumps(LIST_BUCKET))
    assert set(put) == {"ResponseMetadata"}
    got = iam.get_group_policy(GroupName="pol", PolicyName="policy-1")
    assert {k: v for k, v in got.items() if k != "ResponseMetadata"} == {
        "GroupName": "pol", "PolicyName": "policy-1", "PolicyDocument": LIST_BUCKET}
    server.cli("iam", "put-group-policy", "--group-name", "pol", "--policy-name", "policy-2",
               "--policy-document", json.dumps(LIST_BUCKET))
    listed = iam.list_group_policies(GroupName="pol")
    assert listed["PolicyNames"] == ["policy-1", "policy-2"] and listed["IsTruncated"] is False
    assert set(iam.delete_group_policy(GroupName="pol", PolicyName="policy-1")) == {"ResponseMetadata"}
    assert iam.list_group_policies(GroupName="pol")["PolicyNames"] == ["policy-2"]
    with pytest.raises(ClientError) as e:
        iam.get_group_policy(GroupName="pol", PolicyName="policy-1")
    assert error(e) == ("NoSuchEntity", "The group policy with name policy-1 cannot be found.", 404)
    with pytest.raises(ClientError) as e:
        iam.delete_group_policy(GroupName="pol", PolicyName="policy-1")
    assert error(e) == ("NoSuchEntity", "The group policy with name policy-1 cannot be found.", 404)
    with pytest.raises(ClientError) as e:
        iam.put_group_policy(GroupName="nonexistent-group", PolicyName="p", PolicyDocument=json.dumps(LIST_BUCKET))
    assert error(e) == ("NoSuchEntity", "The group with name nonexistent-group cannot be found.", 404)


def test_group_inline_policy_document_keeps_percent_escapes(server):
    # iam TestIAMPolicyEncoding::test_put_group_policy_encoding: a literal %3A comes back as %3A.
    iam = server.client("iam")
    iam.create_group(GroupName="enc")
    doc = {"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Action": ["apigatway:PUT"],
        "Resource": ["arn:aws:apigateway:us-east-1::/tags/arn%3Aaws%3Aapigateway%3Aus-east-1%3A%3A%2Frestapis%2Faaeeieije"]}]}
    iam.put_group_policy(GroupName="enc", PolicyName="p", PolicyDocument=json.dumps(doc))
    assert iam.get_group_policy(GroupName="enc", PolicyName="p")["PolicyDocument"] == doc


def _policy_of_size(non_whitespace_chars):
    """A valid document whose JSON text, without whitespace, has exactly that many characters."""
    base = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": ""}]}
    overhead = len(json.dumps(base, separators=(",", ":")))
    pad = non_whitespace_chars - overhead - len("arn:aws:s3:::")
    base["Statement"][0]["Resource"] = "arn:aws:s3:::" + "b" * pad
    assert len(json.dumps(base, separators=(",", ":"))) == non_whitespace_chars
    return base


def test_group_inline_policies_share_a_5120_character_quota(server):
    # IAM quotas: "Group policy size cannot exceed 5,120 characters", the sum over the
    # group's inline policies; white space is not counted.
    iam = server.client("iam")
    iam.create_group(GroupName="quota")
    exact = _policy_of_size(5120)
    iam.put_group_policy(GroupName="quota", PolicyName="all", PolicyDocument=json.dumps(exact, indent=8))
    iam.delete_group_policy(GroupName="quota", PolicyName="all")
    with pytest.raises(ClientError) as e:
        iam.put_group_policy(GroupName="quota", PolicyName="big", PolicyDocument=json.dumps(_policy_of_size(5121)))
    assert error(e) == ("LimitExceeded", "Maximum policy size of 5120 bytes exceeded for group quota", 409)
    iam.put_group_policy(GroupName="quota", PolicyName="half-1", PolicyDocument=json.dumps(_policy_of_size(3000)))
    with pytest.raises(ClientError) as e:
        iam.put_group_policy(GroupName="quota", PolicyName="half-2", PolicyDocument=json.dumps(_policy_of_size(3000)))
    assert error(e) == ("LimitExceeded", "Maximum policy size of 5120 bytes exceeded for group quota", 409)
    assert iam.list_group_policies(GroupName="quota")["PolicyNames"] == ["half-1"]


def test_a_user_is_in_at_most_ten_groups(server):
    # IAM quotas: "Groups an IAM user can be a member of: 10" (GroupsPerUserQuota 10 in GetAccountSummary).
    iam = server.client("iam")
    iam.create_user(UserName="joiner")
    for i in range(11):
        iam.create_group(GroupName=f"g{i}")
    for i in range(10):
        iam.add_user_to_group(GroupName=f"g{i}", UserName="joiner")
    with pytest.raises(ClientError) as e:
        iam.add_user_to_group(GroupName="g10", UserName="joiner")
    assert error(e) == ("LimitExceeded", "Cannot exceed quota for GroupsPerUser: 10", 409)
    assert len(iam.list_groups_for_user(UserName="joiner")["Groups"]) == 10
    assert iam.get_group(GroupName="g10")["Users"] == []


def test_group_with_members_cannot_be_deleted(server):
    iam = server.client("iam")
    iam.create_group(GroupName="busy")
    iam.create_user(UserName="fay")
    iam.add_user_to_group(GroupName="busy", UserName="fay")
    with pytest.raises(ClientError) as e:
        iam.delete_group(GroupName="busy")
    assert error(e) == ("DeleteConflict", "Cannot delete entity, must remove users from group first.", 409)
    result = server.cli("iam", "delete-group", "--group-name", "busy", check=False)
    assert result.returncode != 0 and "DeleteConflict" in result.stderr
    iam.remove_user_from_group(GroupName="busy", UserName="fay")
    iam.delete_group(GroupName="busy")
    assert iam.list_groups()["Groups"] == []


def test_group_with_policies_cannot_be_deleted(server):
    iam = server.client("iam")
    iam.create_group(GroupName="inline")
    iam.put_group_policy(GroupName="inline", PolicyName="p", PolicyDocument=json.dumps(LIST_BUCKET))
    with pytest.raises(ClientError) as e:
        iam.delete_group(GroupName="inline")
    assert error(e) == ("DeleteConflict", "Cannot delete entity, must delete policies first.", 409)
    iam.delete_group_policy(GroupName="inline", PolicyName="p")
    iam.delete_group(GroupName="inline")
    iam.create_group(GroupName="attached")
    arn = iam.create_policy(PolicyName="mp", PolicyDocument=json.dumps(LIST_BUCKET))["Policy"]["Arn"]
    iam.attach_group_policy(GroupName="attached", PolicyArn=arn)
    with pytest.raises(ClientError) as e:
        iam.delete_group(GroupName="attached")
    assert error(e) == ("DeleteConflict", "Cannot delete entity, must detach all policies first.", 409)
    iam.detach_group_policy(GroupName="attached", PolicyArn=arn)
    iam.delete_group(GroupName="attached")


def test_user_in_a_group_cannot_be_deleted(server):
    iam = server.client("iam")
    iam.create_group(GroupName="keep")
    iam.create_user(UserName="gus")
    iam.add_user_to_group(GroupName="keep", UserName="gus")
    with pytest.raises(ClientError) as e:
        iam.delete_user(UserName="gus")
    assert error(e) == ("DeleteConflict", "Cannot delete entity, must remove users from group first.", 409)
    assert iam.get_user(UserName="gus")["User"]["UserName"] == "gus"
    iam.remove_user_from_group(GroupName="keep", UserName="gus")
    iam.delete_user(UserName="gus")
    assert iam.get_group(GroupName="keep")["Users"] == []
