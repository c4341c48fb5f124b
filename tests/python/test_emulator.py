"""Emulator mode: unknown keys act as the account root, known keys stay enforced."""

import pytest
from botocore.exceptions import ClientError

from conftest import ACCOUNT_ID, Server


@pytest.fixture
def emulator(tmp_path):
    server = Server(tmp_path / "data", extra_args=["--emulator"]).start()
    yield server
    server.stop()


def test_emulator_mode_warns_loudly_at_start(emulator):
    assert any("WARNING: emulator mode is on" in line for line in emulator.output)


def test_unknown_key_acts_as_root_without_signature_check(emulator):
    sts = emulator.client("sts", "AKIAANYTHINGATALL000", "not-a-real-secret")
    who = sts.get_caller_identity()
    assert who["Arn"] == f"arn:aws:iam::{ACCOUNT_ID}:root"
    iam = emulator.client("iam", "test", "test")
    iam.create_user(UserName="made-by-emulator")
    assert [u["UserName"] for u in iam.list_users()["Users"]] == ["made-by-emulator"]


def test_known_keys_are_still_verified_and_enforced(emulator):
    iam = emulator.client("iam", "test", "test")
    iam.create_user(UserName="kate")
    key = iam.create_access_key(UserName="kate")["AccessKey"]
    with pytest.raises(ClientError) as e:
        emulator.client("sts", key["AccessKeyId"], "wrong" * 8).get_caller_identity()
    assert e.value.response["Error"]["Code"] == "SignatureDoesNotMatch"
    with pytest.raises(ClientError) as e:
        emulator.client("iam", key["AccessKeyId"], key["SecretAccessKey"]).list_users()
    assert e.value.response["Error"]["Code"] == "AccessDenied"


def test_without_emulator_mode_unknown_keys_are_refused(server):
    with pytest.raises(ClientError) as e:
        server.client("sts", "test", "test").get_caller_identity()
    assert e.value.response["Error"]["Code"] == "InvalidClientTokenId"
