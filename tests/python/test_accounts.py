"""Several accounts and partitions: `tessera account create`, isolation
between accounts, and partitions that never mix."""

import configparser
import subprocess

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from conftest import ACCOUNT_ID, tessera_bin

TRUST = ('{"Version":"2012-10-17","Statement":[{"Effect":"Allow",'
         '"Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}')


def create_account(server, *args):
    return subprocess.run([tessera_bin(), "account", "create", "--data-dir", str(server.data_dir), *args],
                          capture_output=True, text=True, timeout=60)


def profile_keys(server, profile):
    cp = configparser.ConfigParser()
    cp.read(server.credentials_file)
    return cp[profile]["aws_access_key_id"], cp[profile]["aws_secret_access_key"]


def client_for(server, profile, service="iam", region="us-east-1"):
    key_id, secret = profile_keys(server, profile)
    return boto3.client(service, endpoint_url=server.endpoint, region_name=region,
                        aws_access_key_id=key_id, aws_secret_access_key=secret,
                        config=Config(retries={"max_attempts": 1}))


def wait_for_account(server, profile, region="us-east-1"):
    """The server picks up an account made by another process within its refresh interval."""
    import time
    sts = client_for(server, profile, "sts", region)
    deadline = time.time() + 10
    while True:
        try:
            return sts.get_caller_identity()
        except ClientError:
            if time.time() > deadline:
                raise
            time.sleep(0.2)


def test_a_new_account_gets_its_own_root_key_under_a_profile_named_after_it(server):
    made = create_account(server, "--id", "222233334444", "--name", "team-b")
    assert made.returncode == 0, made.stderr
    assert "222233334444" in made.stdout and "[team-b]" in made.stdout
    key_id, secret = profile_keys(server, "team-b")
    assert key_id.startswith("AKIA")
    assert secret not in made.stdout + made.stderr
    assert (server.credentials_file.stat().st_mode & 0o777) == 0o600
    # The default profile is still there, unchanged.
    assert profile_keys(server, "default") == server.root_keys()
    identity = wait_for_account(server, "team-b")
    assert identity["Account"] == "222233334444"
    assert identity["Arn"] == "arn:aws:iam::222233334444:root"


def test_accounts_are_isolated(server):
    assert create_account(server, "--id", "222233334444", "--name", "other").returncode == 0
    wait_for_account(server, "other")
    other = client_for(server, "other")
    mine = server.client("iam")
    mine.create_user(UserName="shared-name")
    created = other.create_user(UserName="shared-name")["User"]
    assert created["Arn"] == "arn:aws:iam::222233334444:user/shared-name"
    other.create_role(RoleName="only-there", AssumeRolePolicyDocument=TRUST)
    with pytest.raises(ClientError) as e:
        mine.get_role(RoleName="only-there")
    assert e.value.response["Error"]["Code"] == "NoSuchEntity"
    assert [u["Arn"] for u in mine.list_users()["Users"]] == [f"arn:aws:iam::{ACCOUNT_ID}:user/shared-name"]
    # A customer-managed policy of another account cannot be attached.
    policy = other.create_policy(PolicyName="theirs", PolicyDocument=(
        '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}'))["Policy"]
    with pytest.raises(ClientError) as e:
        mine.attach_user_policy(UserName="shared-name", PolicyArn=policy["Arn"])
    assert e.value.response["Error"]["Code"] == "NoSuchEntity"
    assert e.value.response["Error"]["Message"] == \
        f"Policy {policy['Arn']} does not exist or is not attachable."


def test_an_account_in_another_partition_has_its_partitions_arns(server):
    made = create_account(server, "--id", "555566667777", "--name", "china", "--partition", "aws-cn")
    assert made.returncode == 0, made.stderr
    identity = wait_for_account(server, "china", region="cn-north-1")
    assert identity["Arn"] == "arn:aws-cn:iam::555566667777:root"
    iam = client_for(server, "china", region="cn-north-1")
    role = iam.create_role(RoleName="r", AssumeRolePolicyDocument=TRUST)["Role"]
    assert role["Arn"] == "arn:aws-cn:iam::555566667777:role/r"
    iam.attach_role_policy(RoleName="r", PolicyArn="arn:aws-cn:iam::aws:policy/ReadOnlyAccess")
    attached = iam.list_attached_role_policies(RoleName="r")["AttachedPolicies"]
    assert attached == [{"PolicyName": "ReadOnlyAccess", "PolicyArn": "arn:aws-cn:iam::aws:policy/ReadOnlyAccess"}]
    policy = iam.get_policy(PolicyArn="arn:aws-cn:iam::aws:policy/ReadOnlyAccess")["Policy"]
    assert policy["Arn"] == "arn:aws-cn:iam::aws:policy/ReadOnlyAccess"


def test_a_key_signed_for_a_region_of_another_partition_is_refused(server):
    assert create_account(server, "--id", "555566667777", "--name", "china",
                          "--partition", "aws-cn").returncode == 0
    wait_for_account(server, "china", region="cn-north-1")
    with pytest.raises(ClientError) as e:
        client_for(server, "china", "sts", region="us-east-1").get_caller_identity()
    assert e.value.response["Error"]["Code"] == "InvalidClientTokenId"
    assert e.value.response["Error"]["Message"] == "The security token included in the request is invalid."
    # And the default account's key does not work in aws-cn.
    key_id, secret = server.root_keys()
    sts = boto3.client("sts", endpoint_url=server.endpoint, region_name="cn-north-1",
                       aws_access_key_id=key_id, aws_secret_access_key=secret,
                       config=Config(retries={"max_attempts": 1}))
    with pytest.raises(ClientError) as e:
        sts.get_caller_identity()
    assert e.value.response["Error"]["Code"] == "InvalidClientTokenId"


def test_account_create_refuses_bad_input_and_changes_nothing(server):
    before = server.credentials_file.read_text()
    for args, needle in [
        (["--id", "12345"], "12 digits"),
        (["--id", "222233334444", "--partition", "aws-moon"], "partition"),
        (["--id", "222233334444", "--name", "bad name"], "account name"),
        (["--id", ACCOUNT_ID], "already exists"),
    ]:
        made = create_account(server, *args)
        assert made.returncode != 0, args
        assert needle in made.stderr, (args, made.stderr)
    assert server.credentials_file.read_text() == before


def test_account_create_without_an_installation_says_so(tmp_path):
    made = subprocess.run([tessera_bin(), "account", "create", "--data-dir", str(tmp_path / "none")],
                          capture_output=True, text=True, timeout=60)
    assert made.returncode != 0
    assert "start `tessera serve" in made.stderr
