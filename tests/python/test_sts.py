"""STS with the real clients: AssumeRole (trust policies, cross-account, chaining,
session policies, session tags, source identity), GetSessionToken,
GetFederationToken and GetCallerIdentity for every kind of principal, the
credentials they return used by boto3 and the aws CLI, tokens that are
refused, session revocation, and sessions served by a second node.

Expected answers are AWS's: response shapes, error codes and messages recorded
against real AWS (STS parity snapshots: AssumeRole, tag validation, transitive
tags in role chains, invalid RoleArn and session names, GetSessionToken,
GetFederationToken, GetCallerIdentity), the error messages of the STS API
reference for DurationSeconds, session credentials and root callers, and the
AccessDenied wording of the IAM User Guide ("Troubleshoot access denied error
messages"):
  User: <caller> is not authorized to perform: <action> on resource: <arn>
    because no identity-based policy allows the <action> action
    because no session policy allows the <action> action
    with an explicit deny in an identity-based policy
"""

import json
import os
import re
import subprocess
import time
from datetime import datetime, timedelta, timezone

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from conftest import ACCOUNT_ID, aws_cli
from test_accounts import client_for, create_account, wait_for_account
from test_multinode import two_nodes  # noqa: F401  (fixture)

OTHER_ACCOUNT = "222233334444"
INVALID_TOKEN = "The security token included in the request is invalid."


# --- helpers --------------------------------------------------------------------------------------

def doc(*statements):
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def allow(actions, resource="*", **extra):
    return {"Effect": "Allow", "Action": actions, "Resource": resource, **extra}


def trust(principal, actions="sts:AssumeRole", condition=None):
    statement = {"Effect": "Allow", "Principal": principal, "Action": actions}
    if condition:
        statement["Condition"] = condition
    return json.dumps({"Version": "2012-10-17", "Statement": [statement]})


def user_arn(name, account=ACCOUNT_ID):
    return f"arn:aws:iam::{account}:user/{name}"


def role_arn(name, account=ACCOUNT_ID):
    return f"arn:aws:iam::{account}:role/{name}"


def session_arn(role, session, account=ACCOUNT_ID):
    return f"arn:aws:sts::{account}:assumed-role/{role}/{session}"


def no_identity_policy(caller, action, resource):
    return (f"User: {caller} is not authorized to perform: {action} on resource: {resource} "
            f"because no identity-based policy allows the {action} action")


def no_session_policy(caller, action, resource):
    return (f"User: {caller} is not authorized to perform: {action} on resource: {resource} "
            f"because no session policy allows the {action} action")


def explicit_deny(caller, action, resource):
    return (f"User: {caller} is not authorized to perform: {action} on resource: {resource} "
            f"with an explicit deny in an identity-based policy")


def not_authorized_to_assume(caller, role):
    return f"User: {caller} is not authorized to perform: sts:AssumeRole on resource: {role}"


def error(excinfo):
    r = excinfo.value.response
    return r["Error"]["Code"], r["Error"]["Message"], r["ResponseMetadata"]["HTTPStatusCode"]


def denied(call, **kwargs):
    """Runs a boto3 call that must fail; returns (code, message, status)."""
    with pytest.raises(ClientError) as e:
        call(**kwargs)
    return error(e)


def assume_denied(call, caller, role, **kwargs):
    """An AssumeRole that AWS refuses: AccessDenied naming the caller and the role."""
    code, message, status = denied(call, RoleArn=role, **kwargs)
    assert (code, status) == ("AccessDenied", 403), message
    assert message.startswith(not_authorized_to_assume(caller, role)), message


def strip(response):
    return {k: v for k, v in response.items() if k != "ResponseMetadata"}


def temp_client(server, service, creds, region="us-east-1"):
    """A boto3 client signing with temporary credentials (a `Credentials` answer)."""
    return boto3.client(
        service,
        endpoint_url=server.endpoint,
        region_name=region,
        aws_access_key_id=creds["AccessKeyId"],
        aws_secret_access_key=creds["SecretAccessKey"],
        aws_session_token=creds["SessionToken"],
        config=Config(retries={"max_attempts": 1}),
    )


def role(iam, name, trust_doc, policy=None, **extra):
    """Creates a role, with an inline policy when `policy` is given; returns its description."""
    created = iam.create_role(RoleName=name, AssumeRolePolicyDocument=trust_doc, **extra)["Role"]
    if policy:
        iam.put_role_policy(RoleName=name, PolicyName="permissions", PolicyDocument=policy)
    return created


def assume(server, key_id, secret, arn, session="sess", **kwargs):
    """AssumeRole with a user's long-term key; returns the whole answer."""
    return server.client("sts", key_id, secret).assume_role(RoleArn=arn, RoleSessionName=session, **kwargs)


def assert_temporary_credentials(creds, lifetime, issued_after):
    assert re.fullmatch(r"ASIA[A-Z0-9]{16}", creds["AccessKeyId"]), creds["AccessKeyId"]
    assert len(creds["SecretAccessKey"]) == 40
    assert isinstance(creds["SessionToken"], str) and len(creds["SessionToken"]) > 20
    remaining = creds["Expiration"] - issued_after
    assert lifetime - timedelta(seconds=5) <= remaining <= lifetime + timedelta(seconds=5), remaining


def cli_env(tmp_path, **extra):
    """The environment of an aws CLI run: no AWS_* of the test runner, no instance metadata."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update({"AWS_DEFAULT_REGION": "us-east-1", "AWS_EC2_METADATA_DISABLED": "true",
                "AWS_CONFIG_FILE": os.devnull, "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
                "HOME": str(tmp_path)})
    env.update(extra)
    return env


def run_cli(server, env, *args):
    result = subprocess.run([aws_cli(), "--endpoint-url", server.endpoint, "--output", "json", *args],
                            capture_output=True, text=True, env=env, timeout=60)
    return result


def cli_json(server, env, *args):
    result = run_cli(server, env, *args)
    assert result.returncode == 0, f"aws {' '.join(args)} failed:\n{result.stderr}"
    return json.loads(result.stdout)


# --- 1. a user named in the trust policy --------------------------------------------------------

def test_a_user_named_in_the_trust_policy_assumes_the_role_with_no_identity_policy(server, make_user):
    iam = server.client("iam")
    name, key_id, secret = make_user()
    created = role(iam, "deployer", trust({"AWS": user_arn(name)}))
    assert iam.list_user_policies(UserName=name)["PolicyNames"] == []
    assert iam.list_attached_user_policies(UserName=name)["AttachedPolicies"] == []

    before = datetime.now(timezone.utc)
    answer = assume(server, key_id, secret, created["Arn"], "alice-session")
    # Recorded: Credentials and AssumedRoleUser only, without session policies or tags.
    assert set(strip(answer)) == {"Credentials", "AssumedRoleUser"}
    assert_temporary_credentials(answer["Credentials"], timedelta(hours=1), before)
    assert answer["AssumedRoleUser"] == {
        "AssumedRoleId": f"{created['RoleId']}:alice-session",
        "Arn": session_arn("deployer", "alice-session"),
    }
    assert created["RoleId"].startswith("AROA")

    who = temp_client(server, "sts", answer["Credentials"]).get_caller_identity()
    assert strip(who) == {
        "UserId": f"{created['RoleId']}:alice-session",
        "Account": ACCOUNT_ID,
        "Arn": session_arn("deployer", "alice-session"),
    }
    # The role has no permissions policy: its session may do nothing in IAM.
    session_iam = temp_client(server, "iam", answer["Credentials"])
    assert denied(session_iam.list_roles) == (
        "AccessDenied",
        no_identity_policy(session_arn("deployer", "alice-session"), "iam:ListRoles", role_arn("")), 403)


# --- 2. a trust policy naming the account --------------------------------------------------------

@pytest.mark.parametrize("principal", [ACCOUNT_ID, f"arn:aws:iam::{ACCOUNT_ID}:root"])
def test_a_trust_naming_only_the_account_needs_an_identity_policy_allowing_sts_assume_role(
        server, make_user, principal):
    iam = server.client("iam")
    name, key_id, secret = make_user()
    arn = role(iam, "account-trusted", trust({"AWS": principal}))["Arn"]
    sts = server.client("sts", key_id, secret)
    assume_denied(sts.assume_role, user_arn(name), arn, RoleSessionName="sess")

    # A policy allowing sts:AssumeRole on another role does not do.
    iam.put_user_policy(UserName=name, PolicyName="other",
                        PolicyDocument=doc(allow("sts:AssumeRole", role_arn("someone-else"))))
    assume_denied(sts.assume_role, user_arn(name), arn, RoleSessionName="sess")

    iam.put_user_policy(UserName=name, PolicyName="assume", PolicyDocument=doc(allow("sts:AssumeRole", arn)))
    answer = sts.assume_role(RoleArn=arn, RoleSessionName="now-allowed")
    assert answer["AssumedRoleUser"]["Arn"] == session_arn("account-trusted", "now-allowed")


# --- 3. cross-account ----------------------------------------------------------------------------

def test_a_user_of_another_account_gets_only_the_roles_permissions(server):
    made = create_account(server, "--id", OTHER_ACCOUNT, "--name", "team-b")
    assert made.returncode == 0, made.stderr
    wait_for_account(server, "team-b")
    iam_b = client_for(server, "team-b")
    iam_b.create_user(UserName="bob")
    key = iam_b.create_access_key(UserName="bob")["AccessKey"]
    # Bob's own permissions in account B: IAM user administration.
    iam_b.put_user_policy(UserName="bob", PolicyName="own",
                          PolicyDocument=doc(allow(["iam:ListUsers", "iam:CreateUser", "iam:GetUser"])))

    iam_a = server.client("iam")
    arn = role(iam_a, "shared-reader", trust({"AWS": OTHER_ACCOUNT}),
               policy=doc(allow(["iam:ListRoles", "iam:GetRole"])))["Arn"]
    sts_bob = server.client("sts", key["AccessKeyId"], key["SecretAccessKey"])

    # The trust names account B, but no identity policy in B allows the call yet.
    assume_denied(sts_bob.assume_role, user_arn("bob", OTHER_ACCOUNT), arn, RoleSessionName="bob")
    iam_b.put_user_policy(UserName="bob", PolicyName="assume", PolicyDocument=doc(allow("sts:AssumeRole", arn)))
    answer = sts_bob.assume_role(RoleArn=arn, RoleSessionName="bob")
    me = session_arn("shared-reader", "bob")
    assert answer["AssumedRoleUser"]["Arn"] == me
    assert temp_client(server, "sts", answer["Credentials"]).get_caller_identity()["Account"] == ACCOUNT_ID

    session = temp_client(server, "iam", answer["Credentials"])
    # What the role allows, in the role's account.
    roles = session.list_roles()["Roles"]
    assert "shared-reader" in [r["RoleName"] for r in roles]
    assert all(r["Arn"].startswith(f"arn:aws:iam::{ACCOUNT_ID}:") for r in roles)
    assert session.get_role(RoleName="shared-reader")["Role"]["Arn"] == arn
    # What only Bob's own policies allow is refused to the session.
    assert denied(session.list_users) == (
        "AccessDenied", no_identity_policy(me, "iam:ListUsers", f"arn:aws:iam::{ACCOUNT_ID}:user/"), 403)
    assert denied(session.create_user, UserName="intruder") == (
        "AccessDenied", no_identity_policy(me, "iam:CreateUser", user_arn("intruder")), 403)
    # Bob himself still has his permissions in B.
    assert [u["UserName"] for u in iam_b.list_users()["Users"]] == ["bob"]
    assert [u["UserName"] for u in server.client("iam", key["AccessKeyId"], key["SecretAccessKey"])
            .list_users()["Users"]] == ["bob"]


# --- 4. a service role ---------------------------------------------------------------------------

def test_a_role_trusting_a_service_cannot_be_assumed_by_a_user(server, make_user):
    iam = server.client("iam")
    name, key_id, secret = make_user()
    arn = role(iam, "lambda-exec", trust({"Service": "lambda.amazonaws.com"}))["Arn"]
    # Even a user allowed sts:AssumeRole on everything.
    iam.put_user_policy(UserName=name, PolicyName="assume-all", PolicyDocument=doc(allow("sts:AssumeRole")))
    assume_denied(server.client("sts", key_id, secret).assume_role, user_arn(name), arn, RoleSessionName="sess")


# --- 5. ExternalId -------------------------------------------------------------------------------

def test_external_id_condition_admits_only_the_right_external_id(server, make_user):
    iam = server.client("iam")
    name, key_id, secret = make_user()
    arn = role(iam, "vendor", trust({"AWS": user_arn(name)},
                                    condition={"StringEquals": {"sts:ExternalId": "ext-4711"}}))["Arn"]
    sts = server.client("sts", key_id, secret)
    assume_denied(sts.assume_role, user_arn(name), arn, RoleSessionName="sess")
    assume_denied(sts.assume_role, user_arn(name), arn, RoleSessionName="sess", ExternalId="ext-4712")
    assume_denied(sts.assume_role, user_arn(name), arn, RoleSessionName="sess", ExternalId="EXT-4711")
    answer = sts.assume_role(RoleArn=arn, RoleSessionName="sess", ExternalId="ext-4711")
    assert answer["AssumedRoleUser"]["Arn"] == session_arn("vendor", "sess")


# --- 6. durations and role chaining --------------------------------------------------------------

def test_role_chaining_is_limited_to_one_hour(server, make_user):
    iam = server.client("iam")
    name, key_id, secret = make_user()
    first = role(iam, "first", trust({"AWS": user_arn(name)}))
    second = role(iam, "second", trust({"AWS": [user_arn(name), first["Arn"]]}), MaxSessionDuration=43200)
    session = temp_client(server, "sts", assume(server, key_id, secret, first["Arn"], "hop1")["Credentials"])

    assert denied(session.assume_role, RoleArn=second["Arn"], RoleSessionName="hop2", DurationSeconds=7200) == (
        "ValidationError",
        "The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining.", 400)
    before = datetime.now(timezone.utc)
    chained = session.assume_role(RoleArn=second["Arn"], RoleSessionName="hop2", DurationSeconds=3600)
    assert_temporary_credentials(chained["Credentials"], timedelta(hours=1), before)
    assert chained["AssumedRoleUser"] == {"AssumedRoleId": f"{second['RoleId']}:hop2",
                                          "Arn": session_arn("second", "hop2")}
    assert temp_client(server, "sts", chained["Credentials"]).get_caller_identity()["Arn"] == \
        session_arn("second", "hop2")

    # The user (not chaining) may ask for up to the role's MaxSessionDuration.
    before = datetime.now(timezone.utc)
    long = assume(server, key_id, secret, second["Arn"], "long", DurationSeconds=43200)
    assert_temporary_credentials(long["Credentials"], timedelta(hours=12), before)


def test_duration_above_the_roles_max_session_duration_is_refused(server, make_user):
    iam = server.client("iam")
    name, key_id, secret = make_user()
    arn = role(iam, "short", trust({"AWS": user_arn(name)}), MaxSessionDuration=7200)["Arn"]
    sts = server.client("sts", key_id, secret)
    assert denied(sts.assume_role, RoleArn=arn, RoleSessionName="sess", DurationSeconds=7201) == (
        "ValidationError", "The requested DurationSeconds exceeds the MaxSessionDuration set for this role.", 400)
    before = datetime.now(timezone.utc)
    answer = sts.assume_role(RoleArn=arn, RoleSessionName="sess", DurationSeconds=7200)
    assert_temporary_credentials(answer["Credentials"], timedelta(hours=2), before)


# --- 7. the credentials in the aws CLI and in profiles --------------------------------------------

def test_exported_session_credentials_work_with_the_aws_cli(server, make_user, tmp_path):
    iam = server.client("iam")
    name, key_id, secret = make_user()
    role(iam, "cli-role", trust({"AWS": user_arn(name)}), policy=doc(allow("iam:ListRoles")))
    # The session is made by the CLI itself, from the user's exported key.
    answer = cli_json(server, cli_env(tmp_path, AWS_ACCESS_KEY_ID=key_id, AWS_SECRET_ACCESS_KEY=secret),
                      "sts", "assume-role", "--role-arn", role_arn("cli-role"), "--role-session-name", "from-cli")
    creds = answer["Credentials"]
    assert creds["AccessKeyId"].startswith("ASIA")
    env = cli_env(tmp_path, AWS_ACCESS_KEY_ID=creds["AccessKeyId"],
                  AWS_SECRET_ACCESS_KEY=creds["SecretAccessKey"], AWS_SESSION_TOKEN=creds["SessionToken"])
    who = cli_json(server, env, "sts", "get-caller-identity")
    assert who["Arn"] == session_arn("cli-role", "from-cli")
    assert who["Account"] == ACCOUNT_ID
    roles = cli_json(server, env, "iam", "list-roles")["Roles"]
    assert [r["RoleName"] for r in roles] == ["cli-role"]
    refused = run_cli(server, env, "iam", "list-users")
    assert refused.returncode != 0
    assert "AccessDenied" in refused.stderr
    assert no_identity_policy(session_arn("cli-role", "from-cli"), "iam:ListUsers",
                              f"arn:aws:iam::{ACCOUNT_ID}:user/") in refused.stderr
    # Without the token, the temporary key id is unknown.
    no_token = run_cli(server, cli_env(tmp_path, AWS_ACCESS_KEY_ID=creds["AccessKeyId"],
                                       AWS_SECRET_ACCESS_KEY=creds["SecretAccessKey"]),
                       "sts", "get-caller-identity")
    assert no_token.returncode != 0 and "InvalidClientTokenId" in no_token.stderr


def write_role_profile(tmp_path, key_id, secret, arn):
    config = tmp_path / "config"
    config.write_text(
        "[profile base]\nregion = us-east-1\n\n"
        f"[profile deploy]\nrole_arn = {arn}\nsource_profile = base\n"
        "role_session_name = profile-session\nregion = us-east-1\n")
    credentials = tmp_path / "credentials"
    credentials.write_text(f"[base]\naws_access_key_id = {key_id}\naws_secret_access_key = {secret}\n")
    return config, credentials


def test_an_assume_role_profile_works_with_the_aws_cli(server, make_user, tmp_path):
    iam = server.client("iam")
    name, key_id, secret = make_user()
    arn = role(iam, "profile-role", trust({"AWS": user_arn(name)}), policy=doc(allow("iam:ListRoles")))["Arn"]
    config, credentials = write_role_profile(tmp_path, key_id, secret, arn)
    env = cli_env(tmp_path, AWS_CONFIG_FILE=str(config), AWS_SHARED_CREDENTIALS_FILE=str(credentials),
                  AWS_ENDPOINT_URL=server.endpoint)
    who = cli_json(server, env, "--profile", "deploy", "sts", "get-caller-identity")
    assert who["Arn"] == session_arn("profile-role", "profile-session")
    roles = cli_json(server, env, "--profile", "deploy", "iam", "list-roles")["Roles"]
    assert [r["Arn"] for r in roles] == [arn]
    # The source profile is the user himself.
    assert cli_json(server, env, "--profile", "base", "sts", "get-caller-identity")["Arn"] == user_arn(name)


def test_an_assume_role_profile_works_with_a_boto3_session(server, make_user, tmp_path, monkeypatch):
    iam = server.client("iam")
    name, key_id, secret = make_user()
    arn = role(iam, "profile-role", trust({"AWS": user_arn(name)}), policy=doc(allow("iam:ListRoles")))["Arn"]
    config, credentials = write_role_profile(tmp_path, key_id, secret, arn)
    for variable in [v for v in os.environ if v.startswith("AWS_")]:
        monkeypatch.delenv(variable)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(config))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(credentials))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    # The credential provider's own STS client finds the endpoint here.
    monkeypatch.setenv("AWS_ENDPOINT_URL", server.endpoint)
    session = boto3.Session(profile_name="deploy")
    config_retries = Config(retries={"max_attempts": 1})
    sts = session.client("sts", endpoint_url=server.endpoint, config=config_retries)
    assert sts.get_caller_identity()["Arn"] == session_arn("profile-role", "profile-session")
    frozen = session.get_credentials().get_frozen_credentials()
    assert frozen.access_key.startswith("ASIA") and frozen.token
    roles = session.client("iam", endpoint_url=server.endpoint, config=config_retries).list_roles()["Roles"]
    assert [r["Arn"] for r in roles] == [arn]


# --- 8. session policies -------------------------------------------------------------------------

def test_a_session_policy_narrows_the_roles_permissions(server, make_user):
    iam = server.client("iam")
    name, key_id, secret = make_user()
    arn = role(iam, "reader", trust({"AWS": user_arn(name)}),
               policy=doc(allow(["iam:ListRoles", "iam:GetRole"])))["Arn"]
    answer = assume(server, key_id, secret, arn, "narrow", Policy=doc(allow("iam:ListRoles")))
    assert isinstance(answer["PackedPolicySize"], int) and 0 < answer["PackedPolicySize"] <= 100
    me = session_arn("reader", "narrow")
    session = temp_client(server, "iam", answer["Credentials"])
    assert [r["RoleName"] for r in session.list_roles()["Roles"]] == ["reader"]
    assert denied(session.get_role, RoleName="reader") == (
        "AccessDenied", no_session_policy(me, "iam:GetRole", arn), 403)
    # Without the session policy the role's permissions hold.
    full = temp_client(server, "iam", assume(server, key_id, secret, arn, "full")["Credentials"])
    assert full.get_role(RoleName="reader")["Role"]["Arn"] == arn


def test_a_managed_session_policy_narrows_the_roles_permissions(server, make_user):
    iam = server.client("iam")
    name, key_id, secret = make_user()
    arn = role(iam, "admin", trust({"AWS": user_arn(name)}), policy=doc(allow("iam:*")))["Arn"]
    answer = assume(server, key_id, secret, arn, "readonly",
                    PolicyArns=[{"arn": "arn:aws:iam::aws:policy/IAMReadOnlyAccess"}])
    assert "PackedPolicySize" in answer
    session = temp_client(server, "iam", answer["Credentials"])
    assert [r["RoleName"] for r in session.list_roles()["Roles"]] == ["admin"]
    assert denied(session.create_user, UserName="nope") == (
        "AccessDenied", no_session_policy(session_arn("admin", "readonly"), "iam:CreateUser", user_arn("nope")), 403)


# --- 9. session tags -----------------------------------------------------------------------------

def test_session_tags_need_sts_tag_session_in_the_trust_policy(server, make_user):
    iam = server.client("iam")
    name, key_id, secret = make_user()
    arn = role(iam, "tagged", trust({"AWS": user_arn(name)}))["Arn"]
    sts = server.client("sts", key_id, secret)
    tags = [{"Key": "team", "Value": "blue"}]
    code, message, status = denied(sts.assume_role, RoleArn=arn, RoleSessionName="sess", Tags=tags)
    assert (code, status) == ("AccessDenied", 403)
    assert message.startswith(f"User: {user_arn(name)} is not authorized to perform: sts:TagSession "
                              f"on resource: {arn}"), message
    # Untagged, sts:AssumeRole alone is enough.
    sts.assume_role(RoleArn=arn, RoleSessionName="sess")
    iam.update_assume_role_policy(RoleName="tagged", PolicyDocument=trust(
        {"AWS": user_arn(name)}, ["sts:AssumeRole", "sts:TagSession"]))
    answer = sts.assume_role(RoleArn=arn, RoleSessionName="sess", Tags=tags)
    assert isinstance(answer["PackedPolicySize"], int)
    assert answer["AssumedRoleUser"]["Arn"] == session_arn("tagged", "sess")


def tagging_role(server, make_user, *names):
    """Roles trusting the account for sts:AssumeRole and sts:TagSession (as recorded), and a
    user allowed both on them."""
    iam = server.client("iam")
    user, key_id, secret = make_user()
    arns = [role(iam, n, trust({"AWS": ACCOUNT_ID}, ["sts:AssumeRole", "sts:TagSession"]),
                 policy=doc(allow(["sts:AssumeRole", "sts:TagSession"])))["Arn"] for n in names]
    iam.put_user_policy(UserName=user, PolicyName="assume",
                        PolicyDocument=doc(allow(["sts:AssumeRole", "sts:TagSession"], arns)))
    return server.client("sts", key_id, secret), arns


def test_session_tag_validation_answers_as_recorded(server, make_user):
    sts, [arn] = tagging_role(server, make_user, "tag-validation")
    assert denied(sts.assume_role, RoleArn=arn, RoleSessionName="sess",
                  Tags=[{"Key": "SessionTag1", "Value": "SessionValue1"}],
                  TransitiveTagKeys=["SessionTag2"]) == (
        "InvalidParameterValue", "The specified transitive tag key must be included in the requested tags.", 400)
    assert denied(sts.assume_role, RoleArn=arn, RoleSessionName="sess",
                  Tags=[{"Key": "SessionTag1", "Value": "SessionValue1"},
                        {"Key": "sessiontag1", "Value": "SessionValue2"}]) == (
        "InvalidParameterValue", "Duplicate tag keys found. Please note that Tag keys are case insensitive.", 400)
    sts.assume_role(RoleArn=arn, RoleSessionName="sess", Tags=[{"Key": "SessionTag1", "Value": "SessionValue1"}],
                    TransitiveTagKeys=["SessionTag1"])


def test_a_chained_session_cannot_set_a_transitive_tag_key_of_the_calling_session(server, make_user):
    sts, [first, second] = tagging_role(server, make_user, "chain-1", "chain-2")
    hop1 = sts.assume_role(RoleArn=first, RoleSessionName="hop1",
                           Tags=[{"Key": "project", "Value": "apollo"}, {"Key": "other", "Value": "x"}],
                           TransitiveTagKeys=["project"])
    session = temp_client(server, "sts", hop1["Credentials"])
    conflict = ("InvalidParameterValue",
                "One of the specified transitive tag keys can't be set because it conflicts with a transitive tag "
                "key from the calling session.", 400)
    assert denied(session.assume_role, RoleArn=second, RoleSessionName="hop2",
                  Tags=[{"Key": "project", "Value": "gemini"}], TransitiveTagKeys=["project"]) == conflict
    assert denied(session.assume_role, RoleArn=second, RoleSessionName="hop2",
                  Tags=[{"Key": "PROJECT", "Value": "gemini"}]) == conflict
    # A key that was not transitive may be set again.
    hop2 = session.assume_role(RoleArn=second, RoleSessionName="hop2", Tags=[{"Key": "other", "Value": "y"}])
    assert hop2["AssumedRoleUser"]["Arn"] == session_arn("chain-2", "hop2")


def test_session_tags_are_principal_tags_in_the_sessions_authorization(server, make_user):
    iam = server.client("iam")
    name, key_id, secret = make_user()
    arn = role(iam, "team-only", trust({"AWS": user_arn(name)}, ["sts:AssumeRole", "sts:TagSession"]),
               policy=doc(allow("iam:ListRoles", Condition={"StringEquals": {"aws:PrincipalTag/team": "blue"}})))["Arn"]

    def session(tags, session_name):
        return temp_client(server, "iam", assume(server, key_id, secret, arn, session_name, Tags=tags)["Credentials"])

    assert [r["RoleName"] for r in session([{"Key": "team", "Value": "blue"}], "blue").list_roles()["Roles"]] \
        == ["team-only"]
    assert denied(session([{"Key": "team", "Value": "red"}], "red").list_roles) == (
        "AccessDenied", no_identity_policy(session_arn("team-only", "red"), "iam:ListRoles", role_arn("")), 403)
    untagged = temp_client(server, "iam", assume(server, key_id, secret, arn, "none")["Credentials"])
    assert denied(untagged.list_roles)[0] == "AccessDenied"


def test_a_transitive_session_tag_carries_into_the_chained_session(server, make_user):
    iam = server.client("iam")
    name, key_id, secret = make_user()
    first = role(iam, "hop-a", trust({"AWS": user_arn(name)}, ["sts:AssumeRole", "sts:TagSession"]))["Arn"]
    second = role(iam, "hop-b", trust({"AWS": first}, ["sts:AssumeRole", "sts:TagSession"]),
                  policy=doc(allow("iam:ListRoles", Condition={"StringEquals": {"aws:PrincipalTag/team": "blue"}})))
    hop1 = assume(server, key_id, secret, first, "hop1", Tags=[{"Key": "team", "Value": "blue"}],
                  TransitiveTagKeys=["team"])
    hop2 = temp_client(server, "sts", hop1["Credentials"]).assume_role(RoleArn=second["Arn"], RoleSessionName="hop2")
    listed = temp_client(server, "iam", hop2["Credentials"]).list_roles()["Roles"]
    assert sorted(r["RoleName"] for r in listed) == ["hop-a", "hop-b"]


# --- 10. SourceIdentity --------------------------------------------------------------------------

def test_source_identity_needs_sts_set_source_identity_in_the_trust_policy(server, make_user):
    iam = server.client("iam")
    name, key_id, secret = make_user()
    arn = role(iam, "audited", trust({"AWS": user_arn(name)}))["Arn"]
    sts = server.client("sts", key_id, secret)
    code, message, status = denied(sts.assume_role, RoleArn=arn, RoleSessionName="sess", SourceIdentity="alice")
    assert (code, status) == ("AccessDenied", 403)
    assert message.startswith(f"User: {user_arn(name)} is not authorized to perform: sts:SetSourceIdentity "
                              f"on resource: {arn}"), message
    iam.update_assume_role_policy(RoleName="audited", PolicyDocument=trust(
        {"AWS": user_arn(name)}, ["sts:AssumeRole", "sts:SetSourceIdentity"]))
    answer = sts.assume_role(RoleArn=arn, RoleSessionName="sess", SourceIdentity="alice")
    assert answer["SourceIdentity"] == "alice"
    assert temp_client(server, "sts", answer["Credentials"]).get_caller_identity()["Arn"] == \
        session_arn("audited", "sess")


# --- 11. the root --------------------------------------------------------------------------------

def test_the_account_root_cannot_assume_roles(server):
    iam = server.client("iam")
    arn = role(iam, "for-everyone", trust({"AWS": f"arn:aws:iam::{ACCOUNT_ID}:root"}))["Arn"]
    assert denied(server.client("sts").assume_role, RoleArn=arn, RoleSessionName="root") == (
        "AccessDenied", "Roles may not be assumed by root accounts.", 403)


# --- 12. invalid parameters ----------------------------------------------------------------------

@pytest.mark.parametrize("bad_arn", [
    "nothing-valid-in-here",
    "arn::b:::something/test-role",
    "arn:a::::something/test-role",
    "arn:a:::something/test-role",
    "arn:a:a::aaaaaaaaaa:",
])
def test_an_invalid_role_arn_is_a_validation_error(server, make_user, bad_arn):
    iam = server.client("iam")
    name, key_id, secret = make_user()
    iam.put_user_policy(UserName=name, PolicyName="assume-all", PolicyDocument=doc(allow("sts:AssumeRole")))
    sts = server.client("sts", key_id, secret)
    assert denied(sts.assume_role, RoleArn=bad_arn, RoleSessionName="Session1") == (
        "ValidationError", f"{bad_arn} is invalid", 400)


def test_invalid_session_names_are_validation_errors(server, make_user):
    iam = server.client("iam")
    name, key_id, secret = make_user()
    arn = role(iam, "named", trust({"AWS": user_arn(name)}))["Arn"]
    sts = server.client("sts", key_id, secret)
    assert denied(sts.assume_role, RoleArn=arn, RoleSessionName="Session1:2") == (
        "ValidationError",
        "1 validation error detected: Value 'Session1:2' at 'roleSessionName' failed to satisfy constraint: "
        r"Member must satisfy regular expression pattern: [\w+=,.@-]*", 400)
    assert denied(sts.assume_role, RoleArn=arn, RoleSessionName="s" * 65) == (
        "ValidationError",
        f"1 validation error detected: Value '{'s' * 65}' at 'roleSessionName' failed to satisfy constraint: "
        "Member must have length less than or equal to 64", 400)
    assert sts.assume_role(RoleArn=arn, RoleSessionName="s" * 64)["AssumedRoleUser"]["Arn"] == \
        session_arn("named", "s" * 64)


# --- 13. GetSessionToken -------------------------------------------------------------------------

def test_get_session_token_credentials_are_the_users_outside_iam(server, make_user):
    iam = server.client("iam")
    name, key_id, secret = make_user()
    user_id = iam.get_user(UserName=name)["User"]["UserId"]
    arn = role(iam, "after-sts", trust({"AWS": user_arn(name)}))["Arn"]
    iam.put_user_policy(UserName=name, PolicyName="iam-read", PolicyDocument=doc(allow("iam:ListRoles")))
    before = datetime.now(timezone.utc)
    answer = server.client("sts", key_id, secret).get_session_token()
    assert set(strip(answer)) == {"Credentials"}  # recorded
    assert_temporary_credentials(answer["Credentials"], timedelta(hours=12), before)
    creds = answer["Credentials"]

    sts = temp_client(server, "sts", creds)
    assert strip(sts.get_caller_identity()) == {"UserId": user_id, "Account": ACCOUNT_ID, "Arn": user_arn(name)}
    assumed = sts.assume_role(RoleArn=arn, RoleSessionName="via-session-token")
    assert assumed["AssumedRoleUser"]["Arn"] == session_arn("after-sts", "via-session-token")

    # Without MFA, IAM refuses the session token even for what the user may do. (AWS's IAM has
    # been seen to send this message with and without the final period.)
    code, message, status = denied(temp_client(server, "iam", creds).list_roles)
    assert (code, status) == ("InvalidClientTokenId", 403), message
    assert message.rstrip(".") == INVALID_TOKEN.rstrip("."), message
    assert server.client("iam", key_id, secret).list_roles()["Roles"]

    assert denied(sts.get_session_token) == (
        "AccessDenied", "Cannot call GetSessionToken with session credentials", 403)
    role_session = temp_client(server, "sts", assumed["Credentials"])
    assert denied(role_session.get_session_token) == (
        "AccessDenied", "Cannot call GetSessionToken with session credentials", 403)


# --- 14. GetFederationToken ----------------------------------------------------------------------

def test_get_federation_token_answer_and_caller_identity(server, make_user):
    iam = server.client("iam")
    name, key_id, secret = make_user()
    iam.put_user_policy(UserName=name, PolicyName="federate", PolicyDocument=doc(allow("sts:GetFederationToken")))
    before = datetime.now(timezone.utc)
    answer = server.client("sts", key_id, secret).get_federation_token(Name="jane", DurationSeconds=900)
    assert set(strip(answer)) == {"Credentials", "FederatedUser", "PackedPolicySize"}
    assert answer["FederatedUser"] == {"Arn": f"arn:aws:sts::{ACCOUNT_ID}:federated-user/jane",
                                       "FederatedUserId": f"{ACCOUNT_ID}:jane"}
    assert answer["PackedPolicySize"] == 0  # recorded, without session policies
    assert_temporary_credentials(answer["Credentials"], timedelta(seconds=900), before)
    who = temp_client(server, "sts", answer["Credentials"]).get_caller_identity()
    assert strip(who) == {"UserId": f"{ACCOUNT_ID}:jane", "Account": ACCOUNT_ID,
                          "Arn": f"arn:aws:sts::{ACCOUNT_ID}:federated-user/jane"}


def federating_user(server, make_user):
    """A user allowed GetFederationToken, IAM reads and every STS action."""
    iam = server.client("iam")
    name, key_id, secret = make_user()
    iam.put_user_policy(UserName=name, PolicyName="own", PolicyDocument=doc(
        allow(["sts:*", "iam:ListRoles", "iam:ListUsers"])))
    return name, server.client("sts", key_id, secret)


def test_a_federated_session_may_call_no_iam_operation_whatever_its_policies(server, make_user):
    # STS API reference, GetFederationToken, "Permissions": "You cannot call any IAM operations
    # using the CLI or the AWS API." Such a call is answered as an unusable token, as for
    # GetSessionToken credentials without MFA.
    _, sts = federating_user(server, make_user)
    role(server.client("iam"), "visible", trust({"Service": "ec2.amazonaws.com"}))
    federated = f"arn:aws:sts::{ACCOUNT_ID}:federated-user/"
    for fed_name, kwargs in [("bare", {}), ("scoped", {"Policy": doc(allow(["iam:ListRoles", "iam:ListUsers"]))})]:
        creds = sts.get_federation_token(Name=fed_name, **kwargs)["Credentials"]
        assert temp_client(server, "sts", creds).get_caller_identity()["Arn"] == federated + fed_name
        session = temp_client(server, "iam", creds)
        for call in (session.list_roles, session.list_users):
            code, message, status = denied(call)
            assert (code, status) == ("InvalidClientTokenId", 403), (fed_name, code, message)
            assert message.rstrip(".") == INVALID_TOKEN.rstrip("."), message


def test_a_federated_session_may_call_no_sts_operation_but_get_caller_identity(server, make_user):
    # STS API reference, GetFederationToken, "Permissions": "You cannot call any STS operations
    # except GetCallerIdentity." The session policy and the user's policy both allow sts:*.
    name, sts = federating_user(server, make_user)
    arn = role(server.client("iam"), "target", trust({"AWS": user_arn(name)}))["Arn"]
    creds = sts.get_federation_token(Name="fed", Policy=doc(allow("sts:*")))["Credentials"]
    session = temp_client(server, "sts", creds)
    assert session.get_caller_identity()["Arn"] == f"arn:aws:sts::{ACCOUNT_ID}:federated-user/fed"
    assert denied(session.get_federation_token, Name="again") == (
        "AccessDenied", "Cannot call GetFederationToken with session credentials", 403)
    assert denied(session.get_session_token) == (
        "AccessDenied", "Cannot call GetSessionToken with session credentials", 403)
    trusting_account = role(server.client("iam"), "account-wide", trust({"AWS": ACCOUNT_ID}))["Arn"]
    for target in (arn, trusting_account):
        with pytest.raises(ClientError) as e:
            session.assume_role(RoleArn=target, RoleSessionName="from-federated")
        assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403, e.value.response["Error"]


def test_a_federation_policy_longer_than_2048_characters_is_a_validation_error(server, make_user):
    iam = server.client("iam")
    name, key_id, secret = make_user()
    iam.put_user_policy(UserName=name, PolicyName="federate", PolicyDocument=doc(allow("sts:GetFederationToken")))
    policy = json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": ["s3:GetObject", "s3:PutObject"],
         "Resource": f"arn:aws:s3:::my-example-bucket-with-long-name/folder-name-{i}/*"} for i in range(30)]})
    assert denied(server.client("sts", key_id, secret).get_federation_token, Name="long", Policy=policy) == (
        "ValidationError",
        f"1 validation error detected: Value '{policy}' at 'policy' failed to satisfy constraint: "
        "Member must have length less than or equal to 2048", 400)


# --- 15. refused tokens --------------------------------------------------------------------------

def test_tampered_or_mismatched_session_tokens_are_refused(server, make_user):
    iam = server.client("iam")
    name, key_id, secret = make_user()
    arn = role(iam, "guarded", trust({"AWS": user_arn(name)}))["Arn"]
    one = assume(server, key_id, secret, arn, "one")["Credentials"]
    two = assume(server, key_id, secret, arn, "two")["Credentials"]
    assert temp_client(server, "sts", one).get_caller_identity()["Arn"] == session_arn("guarded", "one")
    refused = ("InvalidClientTokenId", INVALID_TOKEN, 403)

    token = one["SessionToken"]
    for position in (len(token) // 3, len(token) // 2, len(token) - 10):
        changed = "A" if token[position] != "A" else "B"
        tampered = dict(one, SessionToken=token[:position] + changed + token[position + 1:])
        assert denied(temp_client(server, "sts", tampered).get_caller_identity) == refused, position

    # One session's token with another session's key id (and either secret).
    assert denied(temp_client(server, "sts", dict(one, AccessKeyId=two["AccessKeyId"])).get_caller_identity) == refused
    assert denied(temp_client(server, "sts", dict(two, SessionToken=one["SessionToken"])).get_caller_identity) \
        == refused
    # A long-term key sent with a session token.
    long_term = {"AccessKeyId": key_id, "SecretAccessKey": secret, "SessionToken": one["SessionToken"]}
    assert denied(temp_client(server, "sts", long_term).get_caller_identity) == refused
    assert denied(temp_client(server, "iam", long_term).list_roles) == refused
    # The untouched credentials still work.
    assert temp_client(server, "sts", two).get_caller_identity()["Arn"] == session_arn("guarded", "two")


# --- 16. revoking sessions -----------------------------------------------------------------------

def test_revoking_older_sessions_denies_sessions_issued_before_and_allows_later_ones(server, make_user):
    iam = server.client("iam")
    name, key_id, secret = make_user()
    arn = role(iam, "revocable", trust({"AWS": user_arn(name)}), policy=doc(allow("iam:ListRoles")))["Arn"]
    old = temp_client(server, "iam", assume(server, key_id, secret, arn, "old")["Credentials"])
    assert [r["RoleName"] for r in old.list_roles()["Roles"]] == ["revocable"]

    time.sleep(1.1)  # token issue times have a resolution of one second
    revoked_at = datetime.now(timezone.utc).replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")
    # The policy the console's "Revoke active sessions" adds.
    iam.put_role_policy(RoleName="revocable", PolicyName="AWSRevokeOlderSessions", PolicyDocument=doc(
        {"Effect": "Deny", "Action": ["*"], "Resource": ["*"],
         "Condition": {"DateLessThan": {"aws:TokenIssueTime": revoked_at}}}))
    assert denied(old.list_roles) == (
        "AccessDenied", explicit_deny(session_arn("revocable", "old"), "iam:ListRoles", role_arn("")), 403)

    time.sleep(1.1)
    new = temp_client(server, "iam", assume(server, key_id, secret, arn, "new")["Credentials"])
    assert [r["RoleName"] for r in new.list_roles()["Roles"]] == ["revocable"]
    assert denied(old.list_roles)[0] == "AccessDenied"


# --- 17. two nodes -------------------------------------------------------------------------------

def eventually(call, limit=10.0):
    """Retries `call` while the other node has not yet caught up; returns its answer."""
    deadline = time.monotonic() + limit
    while True:
        try:
            return call()
        except ClientError as e:
            if time.monotonic() > deadline:
                raise AssertionError(f"still refused after {limit} s: {e}") from e
            time.sleep(0.05)


def test_credentials_minted_on_one_node_work_on_the_other(two_nodes):  # noqa: F811
    a, b = two_nodes
    iam_a = a.client("iam")
    iam_a.create_user(UserName="roamer")
    key = iam_a.create_access_key(UserName="roamer")["AccessKey"]
    role(iam_a, "roaming", trust({"AWS": user_arn("roamer")}), policy=doc(allow("iam:ListRoles")))
    iam_a.put_user_policy(UserName="roamer", PolicyName="federate", PolicyDocument=doc(
        allow("sts:GetFederationToken"), allow("iam:ListRoles")))
    # Let node B see the user, its key and policies, and the role.
    sts_b_user = b.client("sts", key["AccessKeyId"], key["SecretAccessKey"])
    eventually(sts_b_user.get_caller_identity)
    eventually(lambda: b.client("iam", *a.root_keys()).get_role(RoleName="roaming"))

    sts_a = a.client("sts", key["AccessKeyId"], key["SecretAccessKey"])
    assumed = sts_a.assume_role(RoleArn=role_arn("roaming"), RoleSessionName="across")["Credentials"]
    who = eventually(temp_client(b, "sts", assumed).get_caller_identity)
    assert who["Arn"] == session_arn("roaming", "across")
    assert [r["RoleName"] for r in temp_client(b, "iam", assumed).list_roles()["Roles"]] == ["roaming"]

    federated = sts_a.get_federation_token(Name="fed", Policy=doc(allow("iam:ListRoles")))["Credentials"]
    assert eventually(temp_client(b, "sts", federated).get_caller_identity)["Arn"] == \
        f"arn:aws:sts::{ACCOUNT_ID}:federated-user/fed"
    session = sts_a.get_session_token()["Credentials"]
    assert eventually(temp_client(b, "sts", session).get_caller_identity)["Arn"] == user_arn("roamer")
    # And the other way round.
    back = b.client("sts", key["AccessKeyId"], key["SecretAccessKey"]).assume_role(
        RoleArn=role_arn("roaming"), RoleSessionName="back")["Credentials"]
    assert eventually(temp_client(a, "sts", back).get_caller_identity)["Arn"] == session_arn("roaming", "back")


# --- GetAccessKeyInfo ---------------------------------------------------------------------------

def test_get_access_key_info_names_the_account_of_any_key(server, make_user):
    iam = server.client("iam")
    sts = server.client("sts")
    name, key_id, secret = make_user()
    root_key, _ = server.root_keys()
    assert sts.get_access_key_info(AccessKeyId=root_key)["Account"] == ACCOUNT_ID
    assert sts.get_access_key_info(AccessKeyId=key_id)["Account"] == ACCOUNT_ID
    arn = role(iam, "infoed", trust({"AWS": user_arn(name)}))["Arn"]
    temporary = assume(server, key_id, secret, arn, "info")["Credentials"]["AccessKeyId"]
    assert temporary.startswith("ASIA")
    assert sts.get_access_key_info(AccessKeyId=temporary)["Account"] == ACCOUNT_ID
    # A deleted key still names its account, as AWS's ids do.
    iam.delete_access_key(UserName=name, AccessKeyId=key_id)
    assert sts.get_access_key_info(AccessKeyId=key_id)["Account"] == ACCOUNT_ID


def test_assuming_a_role_is_recorded_as_its_last_use(server, make_user):
    iam = server.client("iam")
    name, key_id, secret = make_user()
    arn = role(iam, "used", trust({"AWS": user_arn(name)}))["Arn"]
    assert iam.get_role(RoleName="used")["Role"]["RoleLastUsed"] == {}
    assume(server, key_id, secret, arn, "first")
    # Uses are written in the background and at shutdown; a restart shows them.
    assert server.stop() == 0
    server.start()
    used = server.client("iam").get_role(RoleName="used")["Role"]["RoleLastUsed"]
    assert used["Region"] == "us-east-1"
    assert abs((datetime.now(timezone.utc) - used["LastUsedDate"]).total_seconds()) < 120
