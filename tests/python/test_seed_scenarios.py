"""The IAM scenarios of the seed articles (shared/seeds/), with boto3 and the aws CLI.

Groups with AWS-managed policies, a read-only group, a delegated administrator
held by a permissions boundary, iam:PassRole limited to one role, the Lambda
service role created with the aws CLI as the article shows, renames that
cannot escalate, enforcement on the very next request, and an
infrastructure-as-code read-back without drift.

Expected answers are AWS's: the response shapes and NoSuchEntity/DeleteConflict
wording recorded against real AWS, and the AccessDenied wording of the IAM User
Guide ("Troubleshoot access denied error messages"):
  User: <caller> is not authorized to perform: <action> on resource: <arn>
    because no identity-based policy allows the <action> action
    because no permissions boundary allows the <action> action
    with an explicit deny in an identity-based policy
"""

import json

import pytest
from botocore.exceptions import ClientError

from conftest import ACCOUNT_ID

S3_FULL = "arn:aws:iam::aws:policy/AmazonS3FullAccess"
LAMBDA_FULL = "arn:aws:iam::aws:policy/AWSLambda_FullAccess"
IAM_READ_ONLY = "arn:aws:iam::aws:policy/IAMReadOnlyAccess"
ADMIN = "arn:aws:iam::aws:policy/AdministratorAccess"
LAMBDA_BASIC = "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"
CLOUDWATCH_FULL = "arn:aws:iam::aws:policy/CloudWatchFullAccess"

# 003: "A trust policy for a Lambda function would look like this" (Statement as an object).
LAMBDA_TRUST_INLINE = {
    "Version": "2012-10-17",
    "Statement": {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"},
}
# 003, "Using the AWS CLI": trust-policy.json, as printed in the article.
TRUST_POLICY_JSON = """{
"Version": "2012-10-17",
"Statement": [
{
"Effect": "Allow",
"Principal": {
"Service": "lambda.amazonaws.com"
},
"Action": "sts:AssumeRole"
}
]
}
"""
EC2_TRUST = {"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]}


def arn(kind, name, path="/"):
    return f"arn:aws:iam::{ACCOUNT_ID}:{kind}{path}{name}"


def policy_arn(name, path="/"):
    return arn("policy", name, path)


def user_arn(name, path="/"):
    return arn("user", name, path)


def role_arn(name, path="/"):
    return arn("role", name, path)


def no_identity_policy(caller, action, resource):
    return (f"User: {caller} is not authorized to perform: {action} on resource: {resource} "
            f"because no identity-based policy allows the {action} action")


def no_boundary(caller, action, resource):
    return (f"User: {caller} is not authorized to perform: {action} on resource: {resource} "
            f"because no permissions boundary allows the {action} action")


def explicit_deny(caller, action, resource):
    return (f"User: {caller} is not authorized to perform: {action} on resource: {resource} "
            f"with an explicit deny in an identity-based policy")


def error(excinfo):
    r = excinfo.value.response
    return r["Error"]["Code"], r["Error"]["Message"], r["ResponseMetadata"]["HTTPStatusCode"]


def denied(call, **kwargs):
    """Runs a boto3 call that must fail; returns (code, message, status)."""
    with pytest.raises(ClientError) as e:
        call(**kwargs)
    return error(e)


def doc(*statements):
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def allow(actions, resource="*", **extra):
    return {"Effect": "Allow", "Action": actions, "Resource": resource, **extra}


def deny(actions, resource="*", **extra):
    return {"Effect": "Deny", "Action": actions, "Resource": resource, **extra}


def strip(response):
    return {k: v for k, v in response.items() if k != "ResponseMetadata"}


def all_authorization_details(iam, filters):
    merged = {"UserDetailList": [], "GroupDetailList": [], "RoleDetailList": [], "Policies": []}
    for page in iam.get_paginator("get_account_authorization_details").paginate(Filter=filters):
        for key in merged:
            merged[key].extend(page[key])
    return merged


def cli_error(result):
    assert result.returncode != 0, result.stdout
    return result.stderr


# --- a. group `dev` with two AWS-managed policies (004) -----------------------------------------

def make_dev_group_member(server, make_user, name="devon"):
    iam = server.client("iam")
    iam.create_group(GroupName="dev")
    iam.attach_group_policy(GroupName="dev", PolicyArn=S3_FULL)
    iam.attach_group_policy(GroupName="dev", PolicyArn=LAMBDA_FULL)
    user = make_user(name)
    iam.add_user_to_group(GroupName="dev", UserName=name)
    return iam, user


def test_dev_group_member_effective_policies_show_in_account_authorization_details(server, make_user):
    iam, _ = make_dev_group_member(server, make_user)

    users = all_authorization_details(iam, ["User"])
    assert users["GroupDetailList"] == [] and users["RoleDetailList"] == [] and users["Policies"] == []
    [member] = [u for u in users["UserDetailList"] if u["UserName"] == "devon"]
    assert member["GroupList"] == ["dev"]
    assert member["AttachedManagedPolicies"] == []  # its permissions come from the group
    assert member["Tags"] == []
    assert "UserPolicyList" not in member  # absent, not [], without inline policies
    assert member["Arn"] == user_arn("devon") and member["Path"] == "/"

    groups = all_authorization_details(iam, ["Group"])
    [dev] = [g for g in groups["GroupDetailList"] if g["GroupName"] == "dev"]
    assert sorted(dev["AttachedManagedPolicies"], key=lambda p: p["PolicyName"]) == [
        {"PolicyName": "AWSLambda_FullAccess", "PolicyArn": LAMBDA_FULL},
        {"PolicyName": "AmazonS3FullAccess", "PolicyArn": S3_FULL},
    ]
    assert dev["GroupPolicyList"] == []
    assert dev["Arn"] == arn("group", "dev") and dev["GroupId"].startswith("AGPA")

    managed = all_authorization_details(iam, ["AWSManagedPolicy"])
    assert managed["UserDetailList"] == [] and managed["GroupDetailList"] == [] and managed["RoleDetailList"] == []
    policies = {p["Arn"]: p for p in managed["Policies"]}
    assert {S3_FULL, LAMBDA_FULL} <= set(policies)
    s3 = policies[S3_FULL]
    assert s3["PolicyName"] == "AmazonS3FullAccess" and s3["Path"] == "/"
    assert s3["DefaultVersionId"] == "v2" and s3["IsAttachable"] is True
    assert s3["AttachmentCount"] == 1 and s3["PermissionsBoundaryUsageCount"] == 0
    # Recorded: all versions, newest first; v2 is the default.
    versions = [(v["VersionId"], v["IsDefaultVersion"], v["Document"]["Statement"][0]["Action"])
                for v in s3["PolicyVersionList"]]
    assert versions == [("v2", True, ["s3:*", "s3-object-lambda:*"]), ("v1", False, "s3:*")]
    lam = policies[LAMBDA_FULL]
    assert lam["AttachmentCount"] == 1
    [default] = [v for v in lam["PolicyVersionList"] if v["IsDefaultVersion"]]
    assert default["VersionId"] == lam["DefaultVersionId"]
    assert "lambda:*" in default["Document"]["Statement"][0]["Action"]

    # The same picture through the list APIs.
    assert [g["GroupName"] for g in iam.list_groups_for_user(UserName="devon")["Groups"]] == ["dev"]
    assert iam.list_attached_user_policies(UserName="devon")["AttachedPolicies"] == []
    attached = iam.list_attached_group_policies(GroupName="dev")["AttachedPolicies"]
    assert {p["PolicyArn"] for p in attached} == {S3_FULL, LAMBDA_FULL}


def test_dev_group_member_sees_the_lambda_role_but_does_not_get_its_cloudwatch_permissions(server, make_user):
    # 004: a Lambda role with CloudWatch access does not give the dev group's users CloudWatch.
    iam, (name, key_id, secret) = make_dev_group_member(server, make_user)
    iam.create_role(RoleName="lambda-cloudwatch", AssumeRolePolicyDocument=json.dumps(LAMBDA_TRUST_INLINE))
    iam.attach_role_policy(RoleName="lambda-cloudwatch", PolicyArn=CLOUDWATCH_FULL)

    dev = server.client("iam", key_id, secret)
    # AWSLambda_FullAccess allows iam:ListRoles, iam:GetRole and iam:ListAttachedRolePolicies.
    assert "lambda-cloudwatch" in [r["RoleName"] for r in dev.list_roles()["Roles"]]
    assert dev.get_role(RoleName="lambda-cloudwatch")["Role"]["AssumeRolePolicyDocument"] == LAMBDA_TRUST_INLINE
    assert [p["PolicyArn"] for p in dev.list_attached_role_policies(RoleName="lambda-cloudwatch")["AttachedPolicies"]] \
        == [CLOUDWATCH_FULL]
    # ...but neither of the group's policies allows iam:ListUsers or attaching policies.
    assert denied(dev.list_users) == (
        "AccessDenied", no_identity_policy(user_arn(name), "iam:ListUsers", arn("user", "")), 403)
    assert denied(dev.attach_user_policy, UserName=name, PolicyArn=CLOUDWATCH_FULL) == (
        "AccessDenied", no_identity_policy(user_arn(name), "iam:AttachUserPolicy", user_arn(name)), 403)
    # The role's policy is not among the member's effective policies.
    details = all_authorization_details(iam, ["User"])
    [member] = [u for u in details["UserDetailList"] if u["UserName"] == name]
    assert member["AttachedManagedPolicies"] == [] and member["GroupList"] == ["dev"]


# --- b. IAMReadOnlyAccess group ----------------------------------------------------------------

def test_read_only_group_member_reads_roles_and_users_but_cannot_create_a_role(server, make_user):
    iam = server.client("iam")
    iam.create_group(GroupName="auditors")
    iam.attach_group_policy(GroupName="auditors", PolicyArn=IAM_READ_ONLY)
    iam.create_role(RoleName="app", AssumeRolePolicyDocument=json.dumps(EC2_TRUST))
    name, key_id, secret = make_user("rita")
    iam.add_user_to_group(GroupName="auditors", UserName=name)

    roles = json.loads(server.cli("iam", "list-roles", key_id=key_id, secret=secret).stdout)
    assert [r["RoleName"] for r in roles["Roles"]] == ["app"]
    role = json.loads(server.cli("iam", "get-role", "--role-name", "app", key_id=key_id, secret=secret).stdout)
    assert role["Role"]["Arn"] == role_arn("app")
    assert role["Role"]["AssumeRolePolicyDocument"] == EC2_TRUST
    reader = server.client("iam", key_id, secret)
    assert [u["UserName"] for u in reader.list_users()["Users"]] == ["rita"]

    result = server.cli("iam", "create-role", "--role-name", "X", "--assume-role-policy-document",
                        json.dumps(EC2_TRUST), key_id=key_id, secret=secret, check=False)
    stderr = cli_error(result)
    assert "An error occurred (AccessDenied) when calling the CreateRole operation: " + \
        no_identity_policy(user_arn(name), "iam:CreateRole", role_arn("X")) in stderr
    assert denied(reader.create_role, RoleName="X", AssumeRolePolicyDocument=json.dumps(EC2_TRUST)) == (
        "AccessDenied", no_identity_policy(user_arn(name), "iam:CreateRole", role_arn("X")), 403)
    assert [r["RoleName"] for r in iam.list_roles()["Roles"]] == ["app"]


# --- c. delegated administrator held by a permissions boundary (003) ------------------------------

DEV_BOUNDARY = policy_arn("DeveloperBoundary")
ADMIN_BOUNDARY = policy_arn("DelegatedAdminBoundary")
DELEGATE = "delegate"


@pytest.fixture
def delegated_admin(server, make_user):
    """A user who may create users and roles only with DeveloperBoundary, and cannot escape it."""
    iam = server.client("iam")
    iam.create_policy(PolicyName="DeveloperBoundary", PolicyDocument=doc(
        allow(["s3:*", "logs:*", "lambda:*", "iam:GetUser"])))
    iam.create_policy(PolicyName="DelegatedAdminBoundary", PolicyDocument=doc(allow("iam:*")))
    iam.create_policy(PolicyName="DelegatedAdmin", PolicyDocument=json.dumps({
        "Version": "2012-10-17",
        "Statement": [
            {"Sid": "CreateOnlyWithBoundary", "Effect": "Allow", "Action": ["iam:CreateUser", "iam:CreateRole"],
             "Resource": "*", "Condition": {"StringEquals": {"iam:PermissionsBoundary": DEV_BOUNDARY}}},
            {"Sid": "ManageIdentities", "Effect": "Allow", "Action": [
                "iam:AttachUserPolicy", "iam:DetachUserPolicy", "iam:AttachRolePolicy", "iam:DetachRolePolicy",
                "iam:PutUserPermissionsBoundary", "iam:DeleteUserPermissionsBoundary",
                "iam:CreatePolicy", "iam:CreatePolicyVersion", "iam:SetDefaultPolicyVersion",
                "iam:DeletePolicyVersion", "iam:CreateAccessKey", "iam:Get*", "iam:List*"], "Resource": "*"},
            {"Sid": "NoBoundaryChangeOnSelf", "Effect": "Deny",
             "Action": ["iam:DeleteUserPermissionsBoundary", "iam:PutUserPermissionsBoundary"],
             "Resource": user_arn(DELEGATE)},
            {"Sid": "NoAdministratorAccess", "Effect": "Deny",
             "Action": ["iam:AttachUserPolicy", "iam:AttachRolePolicy", "iam:AttachGroupPolicy"], "Resource": "*",
             "Condition": {"StringEquals": {"iam:PolicyARN": ADMIN}}},
            {"Sid": "NoBoundaryPolicyEdit", "Effect": "Deny",
             "Action": ["iam:CreatePolicyVersion", "iam:SetDefaultPolicyVersion", "iam:DeletePolicyVersion",
                        "iam:DeletePolicy"],
             "Resource": [DEV_BOUNDARY, ADMIN_BOUNDARY, policy_arn("DelegatedAdmin")]},
        ]}))
    name, key_id, secret = make_user(DELEGATE)
    iam.attach_user_policy(UserName=name, PolicyArn=policy_arn("DelegatedAdmin"))
    iam.put_user_permissions_boundary(UserName=name, PermissionsBoundary=ADMIN_BOUNDARY)
    return iam, server.client("iam", key_id, secret)


def test_delegated_admin_creates_users_and_roles_only_with_the_boundary(server, delegated_admin):
    iam, delegate = delegated_admin
    me = user_arn(DELEGATE)

    assert denied(delegate.create_user, UserName="no-boundary") == (
        "AccessDenied", no_identity_policy(me, "iam:CreateUser", user_arn("no-boundary")), 403)
    assert denied(delegate.create_user, UserName="own-boundary", PermissionsBoundary=ADMIN_BOUNDARY) == (
        "AccessDenied", no_identity_policy(me, "iam:CreateUser", user_arn("own-boundary")), 403)
    assert denied(iam.get_user, UserName="no-boundary")[0] == "NoSuchEntity"

    created = delegate.create_user(UserName="dana", PermissionsBoundary=DEV_BOUNDARY)["User"]
    assert created["Arn"] == user_arn("dana")
    got = iam.get_user(UserName="dana")["User"]
    assert got["PermissionsBoundary"] == {"PermissionsBoundaryType": "Policy", "PermissionsBoundaryArn": DEV_BOUNDARY}

    trust = json.dumps(LAMBDA_TRUST_INLINE)
    assert denied(delegate.create_role, RoleName="fn", AssumeRolePolicyDocument=trust) == (
        "AccessDenied", no_identity_policy(me, "iam:CreateRole", role_arn("fn")), 403)
    role = delegate.create_role(RoleName="fn", AssumeRolePolicyDocument=trust,
                                PermissionsBoundary=DEV_BOUNDARY)["Role"]
    assert role["PermissionsBoundary"] == {"PermissionsBoundaryType": "Policy", "PermissionsBoundaryArn": DEV_BOUNDARY}
    assert iam.get_role(RoleName="fn")["Role"]["PermissionsBoundary"]["PermissionsBoundaryArn"] == DEV_BOUNDARY


def test_delegated_admin_cannot_remove_or_change_its_own_boundary(server, delegated_admin):
    iam, delegate = delegated_admin
    me = user_arn(DELEGATE)
    assert denied(delegate.delete_user_permissions_boundary, UserName=DELEGATE) == (
        "AccessDenied", explicit_deny(me, "iam:DeleteUserPermissionsBoundary", me), 403)
    for boundary in (DEV_BOUNDARY, ADMIN):
        assert denied(delegate.put_user_permissions_boundary, UserName=DELEGATE, PermissionsBoundary=boundary) == (
            "AccessDenied", explicit_deny(me, "iam:PutUserPermissionsBoundary", me), 403)
    assert iam.get_user(UserName=DELEGATE)["User"]["PermissionsBoundary"]["PermissionsBoundaryArn"] == ADMIN_BOUNDARY
    # On the users it manages, the same actions are allowed.
    delegate.create_user(UserName="dana", PermissionsBoundary=DEV_BOUNDARY)
    delegate.delete_user_permissions_boundary(UserName="dana")
    assert "PermissionsBoundary" not in iam.get_user(UserName="dana")["User"]


def test_delegated_admin_cannot_attach_administrator_access(server, delegated_admin):
    iam, delegate = delegated_admin
    me = user_arn(DELEGATE)
    assert denied(delegate.attach_user_policy, UserName=DELEGATE, PolicyArn=ADMIN) == (
        "AccessDenied", explicit_deny(me, "iam:AttachUserPolicy", me), 403)
    delegate.create_role(RoleName="fn", AssumeRolePolicyDocument=json.dumps(LAMBDA_TRUST_INLINE),
                         PermissionsBoundary=DEV_BOUNDARY)
    assert denied(delegate.attach_role_policy, RoleName="fn", PolicyArn=ADMIN) == (
        "AccessDenied", explicit_deny(me, "iam:AttachRolePolicy", role_arn("fn")), 403)
    assert [p["PolicyArn"] for p in iam.list_attached_user_policies(UserName=DELEGATE)["AttachedPolicies"]] \
        == [policy_arn("DelegatedAdmin")]
    assert iam.list_attached_role_policies(RoleName="fn")["AttachedPolicies"] == []
    # Other policies may be attached.
    delegate.attach_role_policy(RoleName="fn", PolicyArn=LAMBDA_BASIC)
    assert [p["PolicyArn"] for p in iam.list_attached_role_policies(RoleName="fn")["AttachedPolicies"]] \
        == [LAMBDA_BASIC]


def test_delegated_admin_cannot_rewrite_the_boundary_policy(server, delegated_admin):
    iam, delegate = delegated_admin
    me = user_arn(DELEGATE)
    wider = doc(allow("*"))
    assert denied(delegate.create_policy_version, PolicyArn=DEV_BOUNDARY, PolicyDocument=wider, SetAsDefault=True) \
        == ("AccessDenied", explicit_deny(me, "iam:CreatePolicyVersion", DEV_BOUNDARY), 403)
    assert denied(delegate.set_default_policy_version, PolicyArn=DEV_BOUNDARY, VersionId="v1") == (
        "AccessDenied", explicit_deny(me, "iam:SetDefaultPolicyVersion", DEV_BOUNDARY), 403)
    assert denied(delegate.create_policy_version, PolicyArn=policy_arn("DelegatedAdmin"), PolicyDocument=wider) \
        == ("AccessDenied", explicit_deny(me, "iam:CreatePolicyVersion", policy_arn("DelegatedAdmin")), 403)
    versions = iam.list_policy_versions(PolicyArn=DEV_BOUNDARY)["Versions"]
    assert [(v["VersionId"], v["IsDefaultVersion"]) for v in versions] == [("v1", True)]
    # Its own policies it may version.
    mine = delegate.create_policy(PolicyName="team-logs", PolicyDocument=doc(allow("logs:*")))["Policy"]
    v2 = delegate.create_policy_version(PolicyArn=mine["Arn"], PolicyDocument=doc(allow("logs:Get*")),
                                        SetAsDefault=True)["PolicyVersion"]
    assert (v2["VersionId"], v2["IsDefaultVersion"]) == ("v2", True)


def test_user_created_by_delegated_admin_is_capped_by_its_boundary(server, delegated_admin):
    iam, delegate = delegated_admin
    delegate.create_user(UserName="dana", PermissionsBoundary=DEV_BOUNDARY)
    delegate.attach_user_policy(UserName="dana", PolicyArn=IAM_READ_ONLY)
    key = delegate.create_access_key(UserName="dana")["AccessKey"]
    dana = server.client("iam", key["AccessKeyId"], key["SecretAccessKey"])
    assert dana.get_user(UserName="dana")["User"]["UserName"] == "dana"  # both allow iam:GetUser
    assert denied(dana.list_users) == (
        "AccessDenied", no_boundary(user_arn("dana"), "iam:ListUsers", arn("user", "")), 403)


# --- d. iam:PassRole limited to one role (003) ----------------------------------------------------

def test_pass_role_is_limited_to_the_one_allowed_role(server, make_user):
    iam = server.client("iam")
    for role in ("lambda-role", "admin-role"):
        iam.create_role(RoleName=role, AssumeRolePolicyDocument=json.dumps(EC2_TRUST))
    iam.attach_role_policy(RoleName="admin-role", PolicyArn=ADMIN)
    name, key_id, secret = make_user("paul")
    iam.put_user_policy(UserName=name, PolicyName="pass-one-role", PolicyDocument=doc(
        allow(["iam:CreateInstanceProfile", "iam:AddRoleToInstanceProfile", "iam:GetInstanceProfile"]),
        allow("iam:PassRole", role_arn("lambda-role"))))
    paul = server.client("iam", key_id, secret)
    paul.create_instance_profile(InstanceProfileName="good")
    paul.create_instance_profile(InstanceProfileName="bad")

    paul.add_role_to_instance_profile(InstanceProfileName="good", RoleName="lambda-role")
    assert [r["RoleName"] for r in paul.get_instance_profile(InstanceProfileName="good")["InstanceProfile"]["Roles"]] \
        == ["lambda-role"]

    assert denied(paul.add_role_to_instance_profile, InstanceProfileName="bad", RoleName="admin-role") == (
        "AccessDenied", no_identity_policy(user_arn(name), "iam:PassRole", role_arn("admin-role")), 403)
    assert iam.get_instance_profile(InstanceProfileName="bad")["InstanceProfile"]["Roles"] == []
    result = server.cli("iam", "add-role-to-instance-profile", "--instance-profile-name", "bad",
                        "--role-name", "admin-role", key_id=key_id, secret=secret, check=False)
    assert no_identity_policy(user_arn(name), "iam:PassRole", role_arn("admin-role")) in cli_error(result)


def test_lambda_full_access_pass_role_condition_does_not_cover_ec2_instance_profiles(server, make_user):
    # AWSLambda_FullAccess allows iam:PassRole only with iam:PassedToService = lambda.amazonaws.com;
    # AddRoleToInstanceProfile passes the role to EC2.
    iam = server.client("iam")
    iam.create_role(RoleName="lambda-role", AssumeRolePolicyDocument=json.dumps(LAMBDA_TRUST_INLINE))
    iam.create_instance_profile(InstanceProfileName="web")
    name, key_id, secret = make_user("lou")
    iam.attach_user_policy(UserName=name, PolicyArn=LAMBDA_FULL)
    iam.put_user_policy(UserName=name, PolicyName="profiles", PolicyDocument=doc(
        allow("iam:AddRoleToInstanceProfile")))
    lou = server.client("iam", key_id, secret)
    assert denied(lou.add_role_to_instance_profile, InstanceProfileName="web", RoleName="lambda-role") == (
        "AccessDenied", no_identity_policy(user_arn(name), "iam:PassRole", role_arn("lambda-role")), 403)
    iam.put_user_policy(UserName=name, PolicyName="pass-to-ec2", PolicyDocument=doc(
        allow("iam:PassRole", role_arn("lambda-role"),
              Condition={"StringEquals": {"iam:PassedToService": "ec2.amazonaws.com"}})))
    lou.add_role_to_instance_profile(InstanceProfileName="web", RoleName="lambda-role")
    assert [r["RoleName"] for r in iam.get_instance_profile(InstanceProfileName="web")["InstanceProfile"]["Roles"]] \
        == ["lambda-role"]


# --- e. the Lambda service role with the aws CLI (003) --------------------------------------------

def test_lambda_role_created_with_the_cli_as_the_article_shows(server, tmp_path, monkeypatch):
    (tmp_path / "trust-policy.json").write_text(TRUST_POLICY_JSON)
    monkeypatch.chdir(tmp_path)
    created = json.loads(server.cli("iam", "create-role", "--role-name", "lambda-role",
                                    "--assume-role-policy-document", "file://trust-policy.json").stdout)["Role"]
    trust = json.loads(TRUST_POLICY_JSON)
    assert created["RoleName"] == "lambda-role" and created["Path"] == "/"
    assert created["Arn"] == role_arn("lambda-role") and created["RoleId"].startswith("AROA")
    assert created["AssumeRolePolicyDocument"] == trust
    # Recorded CreateRole answer: no MaxSessionDuration, RoleLastUsed, Description or Tags.
    assert set(created) == {"Path", "RoleName", "RoleId", "Arn", "CreateDate", "AssumeRolePolicyDocument"}

    # The article's ARN lacks the service-role/ path: AWS has no such policy.
    wrong = server.cli("iam", "attach-role-policy", "--role-name", "lambda-role", "--policy-arn",
                       "arn:aws:iam::aws:policy/AWSLambdaBasicExecutionRole", check=False)
    assert ("An error occurred (NoSuchEntity) when calling the AttachRolePolicy operation: Policy "
            "arn:aws:iam::aws:policy/AWSLambdaBasicExecutionRole does not exist or is not attachable.") \
        in cli_error(wrong)

    attach = server.cli("iam", "attach-role-policy", "--role-name", "lambda-role", "--policy-arn", LAMBDA_BASIC)
    assert attach.stdout.strip() == ""

    got = json.loads(server.cli("iam", "get-role", "--role-name", "lambda-role").stdout)["Role"]
    assert got["RoleId"] == created["RoleId"] and got["CreateDate"] == created["CreateDate"]
    assert got["AssumeRolePolicyDocument"] == trust
    assert got["MaxSessionDuration"] == 3600 and got["RoleLastUsed"] == {}
    assert "Tags" not in got and "Description" not in got and "PermissionsBoundary" not in got
    attached = json.loads(server.cli("iam", "list-attached-role-policies", "--role-name", "lambda-role").stdout)
    # The CLI pages through the answer itself and prints only the merged list.
    assert attached == {"AttachedPolicies": [{"PolicyName": "AWSLambdaBasicExecutionRole",
                                              "PolicyArn": LAMBDA_BASIC}]}


def test_lambda_role_with_inline_trust_policy_keeps_the_statement_object(server):
    created = json.loads(server.cli("iam", "create-role", "--role-name", "lambda-inline",
                                    "--assume-role-policy-document", json.dumps(LAMBDA_TRUST_INLINE)).stdout)
    assert created["Role"]["AssumeRolePolicyDocument"] == LAMBDA_TRUST_INLINE  # AWS does not normalise
    server.cli("iam", "attach-role-policy", "--role-name", "lambda-inline", "--policy-arn", LAMBDA_BASIC)
    got = json.loads(server.cli("iam", "get-role", "--role-name", "lambda-inline").stdout)["Role"]
    assert got["AssumeRolePolicyDocument"] == LAMBDA_TRUST_INLINE
    listed = json.loads(server.cli("iam", "list-roles").stdout)["Roles"]
    assert [r["AssumeRolePolicyDocument"] for r in listed if r["RoleName"] == "lambda-inline"] == [LAMBDA_TRUST_INLINE]
    conflict = server.cli("iam", "delete-role", "--role-name", "lambda-inline", check=False)
    assert ("An error occurred (DeleteConflict) when calling the DeleteRole operation: "
            "Cannot delete entity, must detach all policies first.") in cli_error(conflict)
    server.cli("iam", "detach-role-policy", "--role-name", "lambda-inline", "--policy-arn", LAMBDA_BASIC)
    server.cli("iam", "delete-role", "--role-name", "lambda-inline")
    gone = server.cli("iam", "get-role", "--role-name", "lambda-inline", check=False)
    assert "The role with name lambda-inline cannot be found." in cli_error(gone)


# --- f. a rename cannot escalate ---------------------------------------------------------------

def test_user_allowed_to_update_only_itself_cannot_rename_itself_into_admins(server, make_user):
    iam = server.client("iam")
    name, key_id, secret = make_user("mallory")
    iam.put_user_policy(UserName=name, PolicyName="self-only", PolicyDocument=doc(
        allow("iam:UpdateUser", user_arn(name))))
    mallory = server.client("iam", key_id, secret)
    assert denied(mallory.update_user, UserName=name, NewUserName="root-admin", NewPath="/admins/") == (
        "AccessDenied", no_identity_policy(user_arn(name), "iam:UpdateUser", user_arn("root-admin", "/admins/")), 403)
    user = iam.get_user(UserName=name)["User"]
    assert (user["UserName"], user["Path"]) == (name, "/")
    assert denied(iam.get_user, UserName="root-admin")[0] == "NoSuchEntity"
    # Moving only the path is a new destination ARN as well.
    assert denied(mallory.update_user, UserName=name, NewPath="/admins/") == (
        "AccessDenied", no_identity_policy(user_arn(name), "iam:UpdateUser", user_arn(name, "/admins/")), 403)


def test_rename_allowed_on_source_and_target_succeeds_and_keeps_the_user(server, make_user):
    iam = server.client("iam")
    name, key_id, secret = make_user("trent")
    before = iam.get_user(UserName=name)["User"]
    iam.put_user_policy(UserName=name, PolicyName="rename", PolicyDocument=doc(
        allow("iam:UpdateUser", [user_arn(name), user_arn("trent-ops", "/ops/")])))
    server.client("iam", key_id, secret).update_user(UserName=name, NewUserName="trent-ops", NewPath="/ops/")
    after = iam.get_user(UserName="trent-ops")["User"]
    assert after["UserId"] == before["UserId"] and after["CreateDate"] == before["CreateDate"]
    assert (after["Path"], after["Arn"]) == ("/ops/", user_arn("trent-ops", "/ops/"))
    assert denied(iam.get_user, UserName=name) == ("NoSuchEntity", f"The user with name {name} cannot be found.", 404)
    who = server.client("sts", key_id, secret).get_caller_identity()
    assert who["Arn"] == user_arn("trent-ops", "/ops/") and who["UserId"] == before["UserId"]
    assert iam.list_user_policies(UserName="trent-ops")["PolicyNames"] == ["rename"]


def test_group_rename_into_another_path_needs_permission_on_the_destination(server, make_user):
    iam = server.client("iam")
    iam.create_group(GroupName="dev")
    name, key_id, secret = make_user("gus")
    iam.put_user_policy(UserName=name, PolicyName="dev-only", PolicyDocument=doc(
        allow("iam:UpdateGroup", arn("group", "dev"))))
    gus = server.client("iam", key_id, secret)
    assert denied(gus.update_group, GroupName="dev", NewGroupName="admins", NewPath="/admins/") == (
        "AccessDenied", no_identity_policy(user_arn(name), "iam:UpdateGroup", arn("group", "admins", "/admins/")),
        403)
    assert iam.get_group(GroupName="dev")["Group"]["Path"] == "/"
    assert denied(iam.get_group, GroupName="admins")[0] == "NoSuchEntity"


# --- g. enforcement takes effect on the very next request ---------------------------------------

def test_group_policy_and_membership_changes_apply_to_the_next_request(server, make_user):
    iam = server.client("iam")
    name, key_id, secret = make_user("gina")
    gina = server.client("iam", key_id, secret)
    listing = no_identity_policy(user_arn(name), "iam:ListUsers", arn("user", ""))
    iam.create_group(GroupName="ops")
    iam.add_user_to_group(GroupName="ops", UserName=name)
    policy = iam.create_policy(PolicyName="list-users", PolicyDocument=doc(allow("iam:ListUsers")))["Policy"]
    assert denied(gina.list_users) == ("AccessDenied", listing, 403)

    iam.attach_group_policy(GroupName="ops", PolicyArn=policy["Arn"])
    assert [u["UserName"] for u in gina.list_users()["Users"]] == [name]

    iam.remove_user_from_group(GroupName="ops", UserName=name)
    assert denied(gina.list_users) == ("AccessDenied", listing, 403)

    iam.add_user_to_group(GroupName="ops", UserName=name)
    assert gina.list_users()["Users"]
    iam.detach_group_policy(GroupName="ops", PolicyArn=policy["Arn"])
    assert denied(gina.list_users) == ("AccessDenied", listing, 403)


def test_new_default_policy_version_and_group_deny_apply_to_the_next_request(server, make_user):
    iam = server.client("iam")
    name, key_id, secret = make_user("hugo")
    hugo = server.client("iam", key_id, secret)
    iam.create_group(GroupName="ops")
    iam.add_user_to_group(GroupName="ops", UserName=name)
    policy = iam.create_policy(PolicyName="list-users", PolicyDocument=doc(allow("iam:ListUsers")))["Policy"]
    iam.attach_group_policy(GroupName="ops", PolicyArn=policy["Arn"])
    assert hugo.list_users()["Users"]

    iam.create_policy_version(PolicyArn=policy["Arn"], PolicyDocument=doc(allow("iam:GetUser")), SetAsDefault=True)
    assert denied(hugo.list_users)[0] == "AccessDenied"
    iam.set_default_policy_version(PolicyArn=policy["Arn"], VersionId="v1")
    assert hugo.list_users()["Users"]

    # 003: a Deny always overrides an Allow, here from an inline group policy.
    iam.put_group_policy(GroupName="ops", PolicyName="freeze", PolicyDocument=doc(deny("iam:List*")))
    assert denied(hugo.list_users) == (
        "AccessDenied", explicit_deny(user_arn(name), "iam:ListUsers", arn("user", "")), 403)
    iam.delete_group_policy(GroupName="ops", PolicyName="freeze")
    assert hugo.list_users()["Users"]


def test_group_requiring_mfa_denies_long_term_keys_everything_but_the_listed_actions(server, make_user):
    # 003, "Enforcing MFA for Users": DenyAllExceptListedIfNoMFA, linked to a group.
    iam = server.client("iam")
    iam.create_group(GroupName="mfa-required")
    iam.put_group_policy(GroupName="mfa-required", PolicyName="require-mfa", PolicyDocument=doc(
        allow(["iam:GetUser", "iam:ListUsers"]),
        {"Sid": "DenyAllExceptListedIfNoMFA", "Effect": "Deny",
         "NotAction": ["iam:CreateVirtualMFADevice", "iam:EnableMFADevice", "iam:GetUser", "iam:ListMFADevices",
                       "iam:ListVirtualMFADevices", "iam:ResyncMFADevice", "sts:GetSessionToken"],
         "Resource": "*", "Condition": {"BoolIfExists": {"aws:MultiFactorAuthPresent": "false"}}}))
    name, key_id, secret = make_user("ned")
    ned = server.client("iam", key_id, secret)
    assert denied(ned.list_users) == (  # not a member yet: nothing allows it
        "AccessDenied", no_identity_policy(user_arn(name), "iam:ListUsers", arn("user", "")), 403)
    iam.add_user_to_group(GroupName="mfa-required", UserName=name)
    assert ned.get_user(UserName=name)["User"]["UserName"] == name
    assert denied(ned.list_users) == (
        "AccessDenied", explicit_deny(user_arn(name), "iam:ListUsers", arn("user", "")), 403)


# --- h. infrastructure-as-code read-back without drift (003, Terraform) ----------------------------

def read_back(iam):
    """What an IaC tool reads to compare with its state (responses without ResponseMetadata)."""
    p_arn = policy_arn("app-logs", "/iac/")
    return {
        "get_role": strip(iam.get_role(RoleName="lambda-role")),
        "list_roles": strip(iam.list_roles(PathPrefix="/iac/")),
        "list_role_tags": strip(iam.list_role_tags(RoleName="lambda-role")),
        "list_attached_role_policies": strip(iam.list_attached_role_policies(RoleName="lambda-role")),
        "list_role_policies": strip(iam.list_role_policies(RoleName="lambda-role")),
        "list_instance_profiles_for_role": strip(iam.list_instance_profiles_for_role(RoleName="lambda-role")),
        "get_policy": strip(iam.get_policy(PolicyArn=p_arn)),
        "get_policy_version": strip(iam.get_policy_version(PolicyArn=p_arn, VersionId="v1")),
        "list_policy_versions": strip(iam.list_policy_versions(PolicyArn=p_arn)),
        "list_policies": strip(iam.list_policies(Scope="Local", PathPrefix="/iac/")),
        "list_policy_tags": strip(iam.list_policy_tags(PolicyArn=p_arn)),
        "get_group": strip(iam.get_group(GroupName="developers")),
        "list_groups": strip(iam.list_groups(PathPrefix="/iac/")),
        "list_attached_group_policies": strip(iam.list_attached_group_policies(GroupName="developers")),
        "get_instance_profile": strip(iam.get_instance_profile(InstanceProfileName="lambda-profile")),
        "list_instance_profiles": strip(iam.list_instance_profiles(PathPrefix="/iac/")),
        "list_instance_profile_tags": strip(iam.list_instance_profile_tags(InstanceProfileName="lambda-profile")),
    }


def test_infrastructure_as_code_read_back_is_identical_and_matches_what_was_created(server, make_user):
    iam = server.client("iam")
    # Terraform's jsonencode(): compact, keys sorted.
    trust = json.dumps({"Statement": [{"Action": "sts:AssumeRole", "Effect": "Allow",
                                       "Principal": {"Service": "lambda.amazonaws.com"}}],
                        "Version": "2012-10-17"}, separators=(",", ":"))
    role_tags = [{"Key": "team", "Value": "platform"}, {"Key": "env", "Value": "test"}]
    role = iam.create_role(RoleName="lambda-role", Path="/iac/", AssumeRolePolicyDocument=trust,
                           Description="Lambda execution role", MaxSessionDuration=7200, Tags=role_tags)["Role"]
    assert "Description" not in role and "MaxSessionDuration" not in role  # recorded CreateRole answer
    policy_doc = {"Version": "2012-10-17", "Statement": [
        {"Sid": "Logs", "Effect": "Allow", "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
         "Resource": "arn:aws:logs:*:*:log-group:/aws/lambda/*"}]}
    policy_tags = [{"Key": "owner", "Value": "iac"}]
    policy = iam.create_policy(PolicyName="app-logs", Path="/iac/", PolicyDocument=json.dumps(policy_doc),
                               Description="Lambda log writing", Tags=policy_tags)["Policy"]
    assert "Description" not in policy and policy["Tags"] == policy_tags  # recorded CreatePolicy answer
    iam.attach_role_policy(RoleName="lambda-role", PolicyArn=policy["Arn"])
    iam.attach_role_policy(RoleName="lambda-role", PolicyArn=LAMBDA_BASIC)
    group = iam.create_group(GroupName="developers", Path="/iac/")["Group"]
    iam.attach_group_policy(GroupName="developers", PolicyArn=policy["Arn"])
    member, _, _ = make_user("ivan")
    iam.add_user_to_group(GroupName="developers", UserName=member)
    profile_tags = [{"Key": "MyKey", "Value": "myValue"}]
    profile = iam.create_instance_profile(InstanceProfileName="lambda-profile", Path="/iac/",
                                          Tags=profile_tags)["InstanceProfile"]
    assert profile["Roles"] == [] and profile["Tags"] == profile_tags
    iam.add_role_to_instance_profile(InstanceProfileName="lambda-profile", RoleName="lambda-role")

    first = read_back(iam)
    second = read_back(iam)
    assert first == second

    got = first["get_role"]["Role"]
    assert (got["RoleId"], got["Arn"], got["CreateDate"]) == (role["RoleId"], role["Arn"], role["CreateDate"])
    assert got["Arn"] == role_arn("lambda-role", "/iac/")
    assert got["AssumeRolePolicyDocument"] == json.loads(trust)
    assert got["Description"] == "Lambda execution role" and got["MaxSessionDuration"] == 7200
    assert sorted(got["Tags"], key=lambda t: t["Key"]) == sorted(role_tags, key=lambda t: t["Key"])
    assert got["RoleLastUsed"] == {}
    [listed_role] = first["list_roles"]["Roles"]
    assert listed_role["RoleId"] == role["RoleId"] and listed_role["Description"] == "Lambda execution role"
    assert "Tags" not in listed_role and "RoleLastUsed" not in listed_role
    assert sorted(first["list_role_tags"]["Tags"], key=lambda t: t["Key"]) == \
        sorted(role_tags, key=lambda t: t["Key"])
    assert {p["PolicyArn"] for p in first["list_attached_role_policies"]["AttachedPolicies"]} == \
        {policy["Arn"], LAMBDA_BASIC}
    assert first["list_role_policies"] == {"PolicyNames": [], "IsTruncated": False}

    got_policy = first["get_policy"]["Policy"]
    assert (got_policy["PolicyId"], got_policy["CreateDate"]) == (policy["PolicyId"], policy["CreateDate"])
    assert got_policy["Description"] == "Lambda log writing" and got_policy["Tags"] == policy_tags
    assert got_policy["AttachmentCount"] == 2 and got_policy["DefaultVersionId"] == "v1"
    version = first["get_policy_version"]["PolicyVersion"]
    assert version["Document"] == policy_doc and version["IsDefaultVersion"] is True
    [listed_policy] = first["list_policies"]["Policies"]
    assert listed_policy["PolicyId"] == policy["PolicyId"]
    assert "Tags" not in listed_policy and "Description" not in listed_policy
    assert first["list_policy_tags"]["Tags"] == policy_tags

    got_group = first["get_group"]
    assert got_group["Group"] == group
    assert [u["UserName"] for u in got_group["Users"]] == [member]
    assert first["list_groups"]["Groups"] == [group]
    assert first["list_attached_group_policies"]["AttachedPolicies"] == [
        {"PolicyName": "app-logs", "PolicyArn": policy["Arn"]}]

    got_profile = first["get_instance_profile"]["InstanceProfile"]
    assert (got_profile["InstanceProfileId"], got_profile["CreateDate"]) == \
        (profile["InstanceProfileId"], profile["CreateDate"])
    assert got_profile["Tags"] == profile_tags
    [nested] = got_profile["Roles"]
    # Recorded: a role nested in an instance profile has only these members.
    assert set(nested) == {"Path", "RoleName", "RoleId", "Arn", "CreateDate", "AssumeRolePolicyDocument"}
    assert nested["RoleId"] == role["RoleId"]
    [listed_profile] = first["list_instance_profiles"]["InstanceProfiles"]
    assert "Tags" not in listed_profile and listed_profile["InstanceProfileId"] == profile["InstanceProfileId"]
    assert first["list_instance_profiles_for_role"]["InstanceProfiles"] == [listed_profile]
    assert first["list_instance_profile_tags"]["Tags"] == profile_tags

    # A second apply that changes the description; an UpdateRole without members changes nothing.
    iam.update_role(RoleName="lambda-role", Description="Lambda execution role, v2")
    iam.update_role(RoleName="lambda-role")
    third = read_back(iam)
    assert third == read_back(iam)
    changed = third["get_role"]["Role"]
    assert changed["Description"] == "Lambda execution role, v2" and changed["MaxSessionDuration"] == 7200
    assert {k: v for k, v in changed.items() if k != "Description"} == \
        {k: v for k, v in got.items() if k != "Description"}
    assert {k: v for k, v in third.items() if k not in ("get_role", "list_roles")} == \
        {k: v for k, v in first.items() if k not in ("get_role", "list_roles")}


def test_terraform_destroy_order_meets_aws_delete_conflicts(server):
    # Destroying in the wrong order meets AWS's DeleteConflict answers; the right order succeeds.
    iam = server.client("iam")
    iam.create_role(RoleName="lambda-role", AssumeRolePolicyDocument=json.dumps(LAMBDA_TRUST_INLINE))
    policy = iam.create_policy(PolicyName="app", PolicyDocument=doc(allow("logs:*")))["Policy"]
    iam.attach_role_policy(RoleName="lambda-role", PolicyArn=policy["Arn"])
    iam.create_instance_profile(InstanceProfileName="lambda-profile")
    iam.add_role_to_instance_profile(InstanceProfileName="lambda-profile", RoleName="lambda-role")

    assert denied(iam.delete_policy, PolicyArn=policy["Arn"]) == (
        "DeleteConflict", "Cannot delete a policy attached to entities.", 409)
    assert denied(iam.delete_instance_profile, InstanceProfileName="lambda-profile") == (
        "DeleteConflict", "Cannot delete entity, must remove roles from instance profile first.", 409)
    iam.detach_role_policy(RoleName="lambda-role", PolicyArn=policy["Arn"])
    assert denied(iam.detach_role_policy, RoleName="lambda-role", PolicyArn=policy["Arn"]) == (
        "NoSuchEntity", f"Policy {policy['Arn']} was not found.", 404)
    assert denied(iam.delete_role, RoleName="lambda-role") == (
        "DeleteConflict", "Cannot delete entity, must remove roles from instance profile first.", 409)
    iam.remove_role_from_instance_profile(InstanceProfileName="lambda-profile", RoleName="lambda-role")
    iam.delete_instance_profile(InstanceProfileName="lambda-profile")
    iam.delete_role(RoleName="lambda-role")
    iam.delete_policy(PolicyArn=policy["Arn"])
    assert denied(iam.get_role, RoleName="lambda-role") == (
        "NoSuchEntity", "The role with name lambda-role cannot be found.", 404)
    assert denied(iam.get_instance_profile, InstanceProfileName="lambda-profile") == (
        "NoSuchEntity", "Instance Profile lambda-profile cannot be found.", 404)


def test_reading_a_version_of_a_destroyed_policy_names_the_missing_version(server):
    # What an IaC refresh reads after the policy was deleted out of band. Recorded AWS answer for
    # GetPolicyVersion and SetDefaultPolicyVersion when the policy itself is missing.
    iam = server.client("iam")
    policy = iam.create_policy(PolicyName="app", PolicyDocument=doc(allow("logs:*")))["Policy"]
    iam.delete_policy(PolicyArn=policy["Arn"])
    missing = f"Policy {policy['Arn']} version v1 does not exist or is not attachable."
    assert denied(iam.get_policy_version, PolicyArn=policy["Arn"], VersionId="v1") == ("NoSuchEntity", missing, 404)
    assert denied(iam.set_default_policy_version, PolicyArn=policy["Arn"], VersionId="v1") == (
        "NoSuchEntity", missing, 404)
