"""Scenarios recorded against real AWS, replayed against Tessera.

Each test performs the calls of one recorded scenario (see recorded/README.md),
puts the same placeholders into Tessera's answers that the recording put into
AWS's, and requires the two to be equal, member for member: response shapes,
values, error codes, messages and HTTP statuses.
"""

import datetime
import json
from pathlib import Path

import pytest
from botocore.exceptions import ClientError

from conftest import ACCOUNT_ID

RECORDED = Path(__file__).parent / "recorded"
IAM_USERS = json.loads((RECORDED / "iam_users.snapshot.json").read_text())
STS = json.loads((RECORDED / "sts.snapshot.json").read_text())


def recorded(snapshot, test_suffix):
    matches = [v["recorded-content"] for k, v in snapshot.items() if k.endswith(test_suffix)]
    assert len(matches) == 1, f"no single recording for {test_suffix}"
    return matches[0]


class Recorder:
    """Calls the API and keeps each answer, normalized like the recordings."""

    def __init__(self):
        self.subs = [(ACCOUNT_ID, "111111111111"), ("arn:aws:", "arn:<partition>:")]
        self.answers = {}

    def placeholder(self, value, name):
        self.subs.insert(0, (value, name))

    def call(self, key, fn, **kwargs):
        try:
            response = fn(**kwargs)
        except ClientError as e:
            response = e.response
        self.answers[key] = self.normalize(response)
        return response

    def normalize(self, response):
        response = dict(response)
        meta = response.pop("ResponseMetadata")
        out = self._walk(response)
        if "Error" in out:
            out["Error"] = {k: out["Error"][k] for k in ("Code", "Message", "Type") if k in out["Error"]}
        out["ResponseMetadata"] = {"HTTPHeaders": {}, "HTTPStatusCode": meta["HTTPStatusCode"]}
        return out

    def _walk(self, value):
        if isinstance(value, dict):
            return {k: self._walk(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self._walk(v) for v in value]
        if isinstance(value, datetime.datetime):
            return "<datetime>"
        if isinstance(value, str):
            for real, placeholder in self.subs:
                value = value.replace(real, placeholder)
            return value
        return value

    def create_user(self, iam, name, key="create-user", **kwargs):
        """Creates a user, makes its id the `<user-id:1>` placeholder and keeps
        the answer under `key`, as the recordings begin."""
        created = iam.create_user(UserName=name, **kwargs)
        self.placeholder(created["User"]["UserId"], "<user-id:1>")
        self.answers[key] = self.normalize(created)
        return created

    def assert_matches(self, expected):
        for key, answer in self.answers.items():
            assert key in expected, f"{key} is not in the recording"
            assert answer == expected[key], f"{key} differs from AWS:\n  tessera: {answer}\n  aws:     {expected[key]}"


@pytest.fixture
def rec():
    return Recorder()


def test_user_lifecycle(server, rec):
    iam = server.client("iam")
    rec.placeholder("parity-user", "<user-name:1>")
    rec.create_user(iam, "parity-user")
    rec.call("get-user", iam.get_user, UserName="parity-user")
    rec.call("list-users", iam.list_users)
    rec.call("delete-user", iam.delete_user, UserName="parity-user")
    rec.call("get-deleted-user-error", iam.get_user, UserName="parity-user")
    rec.assert_matches(recorded(IAM_USERS, "test_user_lifecycle[None]"))


def test_user_errors(server, rec):
    iam = server.client("iam")
    rec.placeholder("parity-user", "<user-name:1>")
    rec.create_user(iam, "parity-user")
    rec.call("create-duplicate-user-error", iam.create_user, UserName="parity-user")
    rec.call("get-nonexistent-user-error", iam.get_user, UserName="nonexistent-user")
    rec.call("delete-nonexistent-user-error", iam.delete_user, UserName="nonexistent-user")
    rec.assert_matches(recorded(IAM_USERS, "test_user_errors"))


def test_delete_user_with_inline_policy(server, rec):
    iam = server.client("iam")
    rec.placeholder("parity-user", "<user-name:1>")
    rec.create_user(iam, "parity-user")
    iam.put_user_policy(UserName="parity-user", PolicyName="p", PolicyDocument=json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "iam:ListUsers", "Resource": "*"}]}))
    rec.call("delete-user-with-inline-policy-error", iam.delete_user, UserName="parity-user")
    iam.delete_user_policy(UserName="parity-user", PolicyName="p")
    rec.call("delete-user-after-policy-delete", iam.delete_user, UserName="parity-user")
    rec.call("get-deleted-user-error", iam.get_user, UserName="parity-user")
    rec.assert_matches(recorded(IAM_USERS, "test_delete_user_with_inline_policy"))


def test_access_key_lifecycle_status_limit_and_last_used(server, rec):
    iam = server.client("iam")
    rec.placeholder("parity-user", "<user-name:1>")
    iam.create_user(UserName="parity-user")
    rec.call("list-access-keys-empty", iam.list_access_keys, UserName="parity-user")
    key = iam.create_access_key(UserName="parity-user")["AccessKey"]
    rec.placeholder(key["AccessKeyId"], "<access-key-id:1>")
    rec.placeholder(key["SecretAccessKey"], "<secret-access-key:1>")
    rec.call("list-access-keys", iam.list_access_keys, UserName="parity-user")
    lifecycle = recorded(IAM_USERS, "test_access_key_lifecycle")
    assert rec.normalize({"AccessKey": key, "ResponseMetadata": {"HTTPStatusCode": 200}}) == lifecycle["create-access-key"]
    rec.assert_matches(lifecycle)

    rec.answers = {}
    iam.update_access_key(UserName="parity-user", AccessKeyId=key["AccessKeyId"], Status="Inactive")
    rec.call("list-access-keys-inactive", iam.list_access_keys, UserName="parity-user")
    iam.update_access_key(UserName="parity-user", AccessKeyId=key["AccessKeyId"], Status="Active")
    rec.call("list-access-keys-active", iam.list_access_keys, UserName="parity-user")
    rec.assert_matches(recorded(IAM_USERS, "test_access_key_update_status"))

    rec.answers = {}
    rec.call("get-access-key-last-used-unused", iam.get_access_key_last_used, AccessKeyId=key["AccessKeyId"])
    # AWS recorded a use through IAM in us-east-1: make one, then ask.
    try:
        server.client("iam", key["AccessKeyId"], key["SecretAccessKey"]).list_users()
    except ClientError:
        pass  # denied, but the key was used
    rec.call("get-access-key-last-used-used", iam.get_access_key_last_used, AccessKeyId=key["AccessKeyId"])
    rec.assert_matches(recorded(IAM_USERS, "test_access_key_last_used"))

    rec.answers = {}
    iam.create_access_key(UserName="parity-user")
    rec.call("create-third-access-key-error", iam.create_access_key, UserName="parity-user")
    rec.assert_matches(recorded(IAM_USERS, "test_access_key_limit"))


def test_access_key_errors(server, rec):
    iam = server.client("iam")
    rec.placeholder(f"arn:aws:iam::{ACCOUNT_ID}:root", "<caller>")
    rec.call("create-access-key-unknown-user-error", iam.create_access_key, UserName="nonexistent-user")
    iam.create_user(UserName="parity-user")
    rec.call("update-nonexistent-access-key-error", iam.update_access_key, UserName="parity-user",
             AccessKeyId="AKIAIOSFODNN7EXAMPLE", Status="Active")
    rec.call("get-last-used-nonexistent-key-error", iam.get_access_key_last_used, AccessKeyId="AKIAIOSFODNN7EXAMPLE")
    rec.assert_matches(recorded(IAM_USERS, "test_access_key_errors"))


def test_user_inline_policy_lifecycle(server, rec):
    iam = server.client("iam")
    rec.placeholder("parity-user", "<user-name:1>")
    rec.placeholder("parity-policy", "<policy-name:1>")
    iam.create_user(UserName="parity-user")
    rec.call("list-user-policies-empty", iam.list_user_policies, UserName="parity-user")
    document = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "iam:ListUsers", "Resource": "*"}]}
    rec.call("put-user-policy", iam.put_user_policy, UserName="parity-user", PolicyName="parity-policy",
             PolicyDocument=json.dumps(document))
    rec.call("get-user-policy", iam.get_user_policy, UserName="parity-user", PolicyName="parity-policy")
    rec.call("list-user-policies", iam.list_user_policies, UserName="parity-user")
    rec.call("delete-user-policy", iam.delete_user_policy, UserName="parity-user", PolicyName="parity-policy")
    rec.assert_matches(recorded(IAM_USERS, "test_user_inline_policy_lifecycle"))


def test_get_caller_identity_with_iam_user_credentials(server, rec):
    iam = server.client("iam")
    rec.placeholder("parity-user", "<user-name:1>")
    rec.create_user(iam, "parity-user")
    key = iam.create_access_key(UserName="parity-user")["AccessKey"]
    sts = server.client("sts", key["AccessKeyId"], key["SecretAccessKey"])
    rec.call("caller-identity-user", sts.get_caller_identity)
    rec.assert_matches(recorded(STS, "test_get_caller_identity_with_iam_user_credentials"))


def test_user_update(server, rec):
    iam = server.client("iam")
    rec.placeholder("alpha-user", "<user-name:1>")
    rec.placeholder("beta-user", "<user-name:2>")
    rec.placeholder("moved-here", "<new-path>")
    rec.create_user(iam, "alpha-user")
    rec.call("update-user", iam.update_user, UserName="alpha-user", NewUserName="beta-user", NewPath="/moved-here/")
    rec.call("get-updated-user", iam.get_user, UserName="beta-user")
    rec.call("get-old-user-error", iam.get_user, UserName="alpha-user")
    rec.assert_matches(recorded(IAM_USERS, "test_user_update"))


def test_user_rename_preserves_access_key_identity_and_metadata(server, rec):
    iam = server.client("iam")
    rec.placeholder("alpha-user", "<user-name:1>")
    rec.placeholder("beta-user", "<user-name:2>")
    rec.create_user(iam, "alpha-user")
    key = iam.create_access_key(UserName="alpha-user")["AccessKey"]
    rec.placeholder(key["AccessKeyId"], "<access-key-id:1>")
    sts = server.client("sts", key["AccessKeyId"], key["SecretAccessKey"])
    rec.call("identity-before-rename", sts.get_caller_identity)
    rec.call("list-access-keys-before-rename", iam.list_access_keys, UserName="alpha-user")
    iam.update_user(UserName="alpha-user", NewUserName="beta-user")
    rec.call("get-user-after-update", iam.get_user, UserName="beta-user")
    rec.call("identity-after-rename", sts.get_caller_identity)
    rec.call("list-access-keys-after-rename", iam.list_access_keys, UserName="beta-user")
    identity = {k: rec.answers[k] for k in ("create-user", "identity-before-rename", "get-user-after-update", "identity-after-rename")}
    metadata = {k: rec.answers[k] for k in ("create-user", "list-access-keys-before-rename", "get-user-after-update", "list-access-keys-after-rename")}
    rec.answers = identity
    rec.assert_matches(recorded(IAM_USERS, "test_user_rename_preserves_access_key_identity"))
    rec.answers = metadata
    rec.assert_matches(recorded(IAM_USERS, "test_user_rename_updates_access_key_metadata"))


def test_user_tags(server, rec):
    iam = server.client("iam")
    rec.placeholder("alpha-user", "<user-name:1>")
    tags = [{"Key": "Environment", "Value": "Test"}, {"Key": "Team", "Value": "Platform"}]
    rec.create_user(iam, "alpha-user", key="create-user-with-tags", Tags=tags)
    rec.call("list-user-tags", iam.list_user_tags, UserName="alpha-user")
    rec.call("get-user-with-tags", iam.get_user, UserName="alpha-user")
    rec.assert_matches(recorded(IAM_USERS, "test_user_tag_lifecycle"))

    rec.answers = {}
    iam.create_user(UserName="beta-user")
    rec.placeholder("beta-user", "<user-name:1>")
    rec.call("list-user-tags-before-tag", iam.list_user_tags, UserName="beta-user")
    rec.call("tag-user", iam.tag_user, UserName="beta-user",
             Tags=[{"Key": "key-1", "Value": "value-1"}, {"Key": "key-2", "Value": "value-2"}])
    rec.call("list-user-tags-after-tag", iam.list_user_tags, UserName="beta-user")
    rec.call("untag-user", iam.untag_user, UserName="beta-user", TagKeys=["key-2"])
    rec.call("list-user-tags-after-untag", iam.list_user_tags, UserName="beta-user")
    rec.assert_matches(recorded(IAM_USERS, "test_user_tag_operations"))

    rec.answers = {}
    rec.call("tag-nonexistent-user-error", iam.tag_user, UserName="nonexistent-user", Tags=[{"Key": "k", "Value": "v"}])
    rec.call("untag-nonexistent-user-error", iam.untag_user, UserName="nonexistent-user", TagKeys=["k"])
    rec.call("list-tags-nonexistent-user-error", iam.list_user_tags, UserName="nonexistent-user")
    rec.assert_matches(recorded(IAM_USERS, "test_user_tag_errors"))
