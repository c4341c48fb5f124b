"""GetAccountAuthorizationDetails, GetAccountSummary and account aliases,
through boto3 and the aws CLI.

Expected answers are AWS's: responses recorded against real AWS (LocalStack's IAM parity
snapshots)
(test_iam_account_authorization_details, test_iam_account_summary,
test_iam_account_aliases) and, where those are silent, the IAM API reference.
"""

import json

import pytest
from botocore.exceptions import ClientError

from conftest import ACCOUNT_ID

TRUST = {"Version": "2012-10-17",
         "Statement": [{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]}
LIST_BUCKET = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:ListBucket", "Resource": "*"}]}
GET_OBJECT = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]}
TOP_KEYS = {"UserDetailList", "GroupDetailList", "RoleDetailList", "Policies", "IsTruncated"}
USER_KEYS = {"Path", "UserName", "UserId", "Arn", "CreateDate", "GroupList", "AttachedManagedPolicies", "Tags"}
GROUP_KEYS = {"Path", "GroupName", "GroupId", "Arn", "CreateDate", "GroupPolicyList", "AttachedManagedPolicies"}
ROLE_KEYS = {"Path", "RoleName", "RoleId", "Arn", "CreateDate", "AssumeRolePolicyDocument", "InstanceProfileList",
             "RolePolicyList", "AttachedManagedPolicies", "Tags", "RoleLastUsed"}
POLICY_KEYS = {"PolicyName", "PolicyId", "Arn", "Path", "DefaultVersionId", "AttachmentCount",
               "PermissionsBoundaryUsageCount", "IsAttachable", "CreateDate", "UpdateDate", "PolicyVersionList"}
SUMMARY_KEYS = {
    "AccessKeysPerUserQuota", "AccountAccessKeysPresent", "AccountMFAEnabled", "AccountPasswordPresent",
    "AccountSigningCertificatesPresent", "AssumeRolePolicySizeQuota", "AttachedPoliciesPerGroupQuota",
    "AttachedPoliciesPerRoleQuota", "AttachedPoliciesPerUserQuota", "GlobalEndpointTokenVersion",
    "GroupPolicySizeQuota", "Groups", "GroupsPerUserQuota", "GroupsQuota", "InstanceProfiles",
    "InstanceProfilesQuota", "MFADevices", "MFADevicesInUse", "Policies", "PoliciesQuota", "PolicySizeQuota",
    "PolicyVersionsInUse", "PolicyVersionsInUseQuota", "Providers", "RolePolicySizeQuota", "Roles", "RolesQuota",
    "ServerCertificates", "ServerCertificatesQuota", "SigningCertificatesPerUserQuota", "UserPolicySizeQuota",
    "Users", "UsersQuota", "VersionsPerPolicyQuota"}


def error(excinfo):
    e = excinfo.value.response
    return e["Error"]["Code"], e["Error"]["Message"], e["ResponseMetadata"]["HTTPStatusCode"]


def details(iam, **kwargs):
    """The whole answer, through botocore's paginator (as the recordings were made)."""
    return iam.get_paginator("get_account_authorization_details").paginate(**kwargs).build_full_result()


def make_role(iam, name, **kwargs):
    return iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(TRUST), **kwargs)["Role"]


def without_dates(value):
    if isinstance(value, dict):
        return {k: without_dates(v) for k, v in value.items() if k != "CreateDate"}
    if isinstance(value, list):
        return [without_dates(v) for v in value]
    return value


# --- GetAccountAuthorizationDetails ------------------------------------------------------

def test_every_list_is_present_even_when_filtered_out(server):
    iam = server.client("iam")
    answer = iam.get_account_authorization_details(Filter=["Role"])
    assert set(answer) - {"ResponseMetadata"} == TOP_KEYS
    assert (answer["UserDetailList"], answer["GroupDetailList"], answer["RoleDetailList"], answer["Policies"],
            answer["IsTruncated"]) == ([], [], [], [], False)
    make_role(iam, "r")
    iam.create_user(UserName="u")
    only_roles = iam.get_account_authorization_details(Filter=["Role"])
    assert [r["RoleName"] for r in only_roles["RoleDetailList"]] == ["r"]
    assert only_roles["UserDetailList"] == [] and only_roles["GroupDetailList"] == [] and only_roles["Policies"] == []


def test_user_detail_lists_group_names_attached_and_inline_policies_and_tags(server):
    iam = server.client("iam")
    user = iam.create_user(UserName="alice", Tags=[{"Key": "somekey", "Value": "somevalue"},
                                                   {"Key": "someotherkey", "Value": "someothervalue"}])["User"]
    iam.create_group(GroupName="readers")
    iam.add_user_to_group(GroupName="readers", UserName="alice")
    arn = iam.create_policy(PolicyName="managed", PolicyDocument=json.dumps(LIST_BUCKET))["Policy"]["Arn"]
    iam.attach_user_policy(UserName="alice", PolicyArn=arn)
    iam.put_user_policy(UserName="alice", PolicyName="inline", PolicyDocument=json.dumps(LIST_BUCKET))
    iam.create_user(UserName="bare")
    users = {u["UserName"]: u for u in details(iam, Filter=["User"])["UserDetailList"]}
    alice = users["alice"]
    assert set(alice) == USER_KEYS | {"UserPolicyList"}
    assert (alice["Arn"], alice["UserId"], alice["Path"]) == (user["Arn"], user["UserId"], "/")
    assert alice["GroupList"] == ["readers"]
    assert alice["AttachedManagedPolicies"] == [{"PolicyName": "managed", "PolicyArn": arn}]
    assert alice["UserPolicyList"] == [{"PolicyName": "inline", "PolicyDocument": LIST_BUCKET}]
    assert alice["Tags"] == [{"Key": "somekey", "Value": "somevalue"}, {"Key": "someotherkey", "Value": "someothervalue"}]
    bare = users["bare"]
    assert set(bare) == USER_KEYS  # no UserPolicyList without inline policies
    assert (bare["GroupList"], bare["AttachedManagedPolicies"], bare["Tags"]) == ([], [], [])


def test_group_detail_always_lists_policies(server):
    iam = server.client("iam")
    group = iam.create_group(GroupName="with")["Group"]
    iam.create_group(GroupName="without")
    arn = iam.create_policy(PolicyName="managed", PolicyDocument=json.dumps(LIST_BUCKET))["Policy"]["Arn"]
    iam.attach_group_policy(GroupName="with", PolicyArn=arn)
    iam.put_group_policy(GroupName="with", PolicyName="inline", PolicyDocument=json.dumps(LIST_BUCKET))
    groups = {g["GroupName"]: g for g in details(iam, Filter=["Group"])["GroupDetailList"]}
    assert set(groups["with"]) == GROUP_KEYS
    assert (groups["with"]["GroupId"], groups["with"]["Arn"]) == (group["GroupId"], group["Arn"])
    assert groups["with"]["AttachedManagedPolicies"] == [{"PolicyName": "managed", "PolicyArn": arn}]
    assert groups["with"]["GroupPolicyList"] == [{"PolicyName": "inline", "PolicyDocument": LIST_BUCKET}]
    assert set(groups["without"]) == GROUP_KEYS
    assert groups["without"]["GroupPolicyList"] == [] and groups["without"]["AttachedManagedPolicies"] == []


def test_role_detail_has_instance_profiles_inline_and_attached_policies_tags_and_last_used(server):
    iam = server.client("iam")
    role = make_role(iam, "worker", Path="/my-path/", Description="testing role",
                     Tags=[{"Key": "somekey", "Value": "somevalue"}, {"Key": "someotherkey", "Value": "someothervalue"}])
    arn = iam.create_policy(PolicyName="managed", PolicyDocument=json.dumps(LIST_BUCKET))["Policy"]["Arn"]
    iam.attach_role_policy(RoleName="worker", PolicyArn=arn)
    iam.put_role_policy(RoleName="worker", PolicyName="inline", PolicyDocument=json.dumps(LIST_BUCKET))
    profile = iam.create_instance_profile(InstanceProfileName="prof")["InstanceProfile"]
    iam.add_role_to_instance_profile(InstanceProfileName="prof", RoleName="worker")
    make_role(iam, "idle")
    answer = details(iam, Filter=["Role"])
    assert answer["Policies"] == []  # policies only with a policy filter
    roles = {r["RoleName"]: r for r in answer["RoleDetailList"]}
    worker = roles["worker"]
    assert set(worker) == ROLE_KEYS
    assert worker["Arn"] == f"arn:aws:iam::{ACCOUNT_ID}:role/my-path/worker" and worker["RoleId"] == role["RoleId"]
    assert worker["AssumeRolePolicyDocument"] == TRUST
    assert worker["RoleLastUsed"] == {}
    assert worker["AttachedManagedPolicies"] == [{"PolicyName": "managed", "PolicyArn": arn}]
    assert worker["RolePolicyList"] == [{"PolicyName": "inline", "PolicyDocument": LIST_BUCKET}]
    assert worker["Tags"] == [{"Key": "somekey", "Value": "somevalue"}, {"Key": "someotherkey", "Value": "someothervalue"}]
    assert worker["InstanceProfileList"] == [{
        "Path": "/", "InstanceProfileName": "prof", "InstanceProfileId": profile["InstanceProfileId"],
        "Arn": profile["Arn"], "CreateDate": profile["CreateDate"], "Roles": [{k: v for k, v in role.items() if k != "Tags"}]}]
    nested = worker["InstanceProfileList"][0]["Roles"][0]
    assert set(nested) == {"Path", "RoleName", "RoleId", "Arn", "CreateDate", "AssumeRolePolicyDocument"}
    idle = roles["idle"]
    assert (idle["InstanceProfileList"], idle["RolePolicyList"], idle["AttachedManagedPolicies"], idle["Tags"],
            idle["RoleLastUsed"]) == ([], [], [], [], {})


def test_local_policies_list_every_version_newest_first(server):
    iam = server.client("iam")
    policy = iam.create_policy(PolicyName="versioned", PolicyDocument=json.dumps(LIST_BUCKET))["Policy"]
    iam.create_policy_version(PolicyArn=policy["Arn"], PolicyDocument=json.dumps(GET_OBJECT), SetAsDefault=True)
    iam.create_policy_version(PolicyArn=policy["Arn"], PolicyDocument=json.dumps(LIST_BUCKET))
    answer = details(iam, Filter=["LocalManagedPolicy"])
    assert answer["UserDetailList"] == [] and answer["RoleDetailList"] == [] and answer["GroupDetailList"] == []
    [detail] = answer["Policies"]
    assert set(detail) == POLICY_KEYS
    assert (detail["Arn"], detail["PolicyId"], detail["DefaultVersionId"], detail["AttachmentCount"]) == (
        policy["Arn"], policy["PolicyId"], "v2", 0)
    assert without_dates(detail["PolicyVersionList"]) == [
        {"VersionId": "v3", "IsDefaultVersion": False, "Document": LIST_BUCKET},
        {"VersionId": "v2", "IsDefaultVersion": True, "Document": GET_OBJECT},
        {"VersionId": "v1", "IsDefaultVersion": False, "Document": LIST_BUCKET}]


def test_aws_managed_policies_in_use_appear_with_their_versions(server):
    iam = server.client("iam")
    s3_full = "arn:aws:iam::aws:policy/AmazonS3FullAccess"
    make_role(iam, "r")
    iam.create_user(UserName="u")
    iam.attach_role_policy(RoleName="r", PolicyArn=s3_full)
    iam.attach_user_policy(UserName="u", PolicyArn=s3_full)
    answer = details(iam, Filter=["AWSManagedPolicy"])
    by_arn = {p["Arn"]: p for p in answer["Policies"]}
    assert s3_full in by_arn
    assert "arn:aws:iam::aws:policy/AdministratorAccess" not in by_arn  # not attached anywhere
    assert all(arn.startswith("arn:aws:iam::aws:policy/") for arn in by_arn)
    s3 = by_arn[s3_full]
    assert (s3["AttachmentCount"], s3["DefaultVersionId"], s3["Path"], s3["IsAttachable"]) == (2, "v2", "/", True)
    assert without_dates(s3["PolicyVersionList"]) == [
        {"VersionId": "v2", "IsDefaultVersion": True, "Document": {"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": ["s3:*", "s3-object-lambda:*"], "Resource": "*"}]}},
        {"VersionId": "v1", "IsDefaultVersion": False, "Document": {"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}}]
    local_only = details(iam, Filter=["LocalManagedPolicy"])["Policies"]
    assert local_only == []


def test_no_filter_answers_users_groups_roles_and_local_policies_together(server):
    iam = server.client("iam")
    iam.create_user(UserName="u")
    iam.create_group(GroupName="g")
    make_role(iam, "r")
    arn = iam.create_policy(PolicyName="p", PolicyDocument=json.dumps(LIST_BUCKET))["Policy"]["Arn"]
    answer = details(iam)
    assert [u["UserName"] for u in answer["UserDetailList"]] == ["u"]
    assert [g["GroupName"] for g in answer["GroupDetailList"]] == ["g"]
    assert [r["RoleName"] for r in answer["RoleDetailList"]] == ["r"]
    assert arn in [p["Arn"] for p in answer["Policies"]]
    out = json.loads(server.cli("iam", "get-account-authorization-details").stdout)
    assert [u["UserName"] for u in out["UserDetailList"]] == ["u"]
    assert [r["RoleName"] for r in out["RoleDetailList"]] == ["r"]
    assert arn in [p["Arn"] for p in out["Policies"]]


def test_max_items_paginates_by_hand_and_through_the_paginator(server):
    iam = server.client("iam")
    users = [f"user{i}" for i in range(3)]
    groups = [f"group{i}" for i in range(2)]
    roles = [f"role{i}" for i in range(3)]
    for n in users:
        iam.create_user(UserName=n)
    for n in groups:
        iam.create_group(GroupName=n)
    for n in roles:
        make_role(iam, n)
    for i in range(2):
        iam.create_policy(PolicyName=f"pol{i}", PolicyDocument=json.dumps(LIST_BUCKET))
    filters = ["User", "Group", "Role", "LocalManagedPolicy"]
    seen = {"UserDetailList": [], "GroupDetailList": [], "RoleDetailList": [], "Policies": []}
    first = iam.get_account_authorization_details(Filter=filters, MaxItems=3)
    assert first["IsTruncated"] is True and first["Marker"]
    assert sum(len(first[k]) for k in seen) == 3
    page, pages = first, 1
    while True:
        assert set(page) - {"ResponseMetadata", "Marker"} == TOP_KEYS  # every list on every page
        for k in seen:
            seen[k] += page[k]
        if not page["IsTruncated"]:
            assert "Marker" not in page
            break
        page = iam.get_account_authorization_details(Filter=filters, MaxItems=3, Marker=page["Marker"])
        pages += 1
    assert pages == 4
    assert sorted(u["UserName"] for u in seen["UserDetailList"]) == users
    assert sorted(g["GroupName"] for g in seen["GroupDetailList"]) == groups
    assert sorted(r["RoleName"] for r in seen["RoleDetailList"]) == roles
    assert sorted(p["PolicyName"] for p in seen["Policies"]) == ["pol0", "pol1"]
    full = details(iam, Filter=filters, PaginationConfig={"PageSize": 2})
    assert sorted(u["UserName"] for u in full["UserDetailList"]) == users
    assert sorted(g["GroupName"] for g in full["GroupDetailList"]) == groups
    assert sorted(r["RoleName"] for r in full["RoleDetailList"]) == roles
    assert sorted(p["PolicyName"] for p in full["Policies"]) == ["pol0", "pol1"]


# --- GetAccountSummary -------------------------------------------------------------------

def test_account_summary_has_the_34_keys_and_aws_quotas(server):
    iam = server.client("iam")
    summary = iam.get_account_summary()["SummaryMap"]
    assert set(summary) == SUMMARY_KEYS and len(summary) == 34
    assert all(isinstance(v, int) for v in summary.values())
    quotas = {"AccessKeysPerUserQuota": 2, "AssumeRolePolicySizeQuota": 2048, "AttachedPoliciesPerGroupQuota": 10,
              "AttachedPoliciesPerRoleQuota": 10, "AttachedPoliciesPerUserQuota": 10, "GlobalEndpointTokenVersion": 1,
              "GroupPolicySizeQuota": 5120, "GroupsPerUserQuota": 10, "GroupsQuota": 300,
              "InstanceProfilesQuota": 1000, "PoliciesQuota": 1500, "PolicySizeQuota": 6144,
              "PolicyVersionsInUseQuota": 10000, "RolePolicySizeQuota": 10240, "RolesQuota": 1000,
              "ServerCertificatesQuota": 20, "SigningCertificatesPerUserQuota": 2, "UserPolicySizeQuota": 2048,
              "UsersQuota": 5000, "VersionsPerPolicyQuota": 5}
    assert {k: summary[k] for k in quotas} == quotas
    assert (summary["AccountMFAEnabled"], summary["AccountSigningCertificatesPresent"]) == (0, 0)
    counts = ("Users", "Groups", "Roles", "Policies", "InstanceProfiles", "PolicyVersionsInUse", "MFADevices",
              "MFADevicesInUse", "Providers", "ServerCertificates")
    assert {k: summary[k] for k in counts} == dict.fromkeys(counts, 0)
    out = json.loads(server.cli("iam", "get-account-summary").stdout)["SummaryMap"]
    assert out == summary


def test_account_summary_counts_go_up_by_one_per_entity(server):
    iam = server.client("iam")
    before = iam.get_account_summary()["SummaryMap"]
    iam.create_user(UserName="u")
    iam.create_group(GroupName="g")
    make_role(iam, "r")
    arn = iam.create_policy(PolicyName="p", PolicyDocument=json.dumps(LIST_BUCKET))["Policy"]["Arn"]
    iam.attach_role_policy(RoleName="r", PolicyArn=arn)
    iam.create_instance_profile(InstanceProfileName="ip")
    after = iam.get_account_summary()["SummaryMap"]
    deltas = {k: after[k] - before[k] for k in after if after[k] != before[k]}
    assert deltas == {"Users": 1, "Groups": 1, "Roles": 1, "Policies": 1, "PolicyVersionsInUse": 1,
                      "InstanceProfiles": 1}


# --- Account aliases ---------------------------------------------------------------------

def test_account_alias_lifecycle(server):
    iam = server.client("iam")
    assert {k: v for k, v in iam.list_account_aliases().items() if k != "ResponseMetadata"} == {
        "AccountAliases": [], "IsTruncated": False}
    answer = iam.create_account_alias(AccountAlias="alias-tessera-1")
    assert set(answer) == {"ResponseMetadata"} and answer["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert iam.list_account_aliases()["AccountAliases"] == ["alias-tessera-1"]
    out = json.loads(server.cli("iam", "list-account-aliases").stdout)
    assert out["AccountAliases"] == ["alias-tessera-1"]
    assert set(iam.delete_account_alias(AccountAlias="alias-tessera-1")) == {"ResponseMetadata"}
    assert iam.list_account_aliases()["AccountAliases"] == []

