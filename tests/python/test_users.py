"""Users and access keys through boto3 and the aws CLI."""

import json
import threading

import pytest
from botocore.exceptions import ClientError

from conftest import ACCOUNT_ID, Server


def error(excinfo):
    return excinfo.value.response["Error"]["Code"], excinfo.value.response["Error"]["Message"], \
        excinfo.value.response["ResponseMetadata"]["HTTPStatusCode"]


def test_user_lifecycle_matches_aws_shapes(server):
    iam = server.client("iam")
    created = iam.create_user(UserName="carol", Path="/team/")["User"]
    assert created["UserName"] == "carol"
    assert created["Path"] == "/team/"
    assert created["Arn"] == f"arn:aws:iam::{ACCOUNT_ID}:user/team/carol"
    assert created["UserId"].startswith("AIDA")
    assert set(created) == {"Path", "UserName", "UserId", "Arn", "CreateDate"}
    got = iam.get_user(UserName="carol")["User"]
    assert got == created
    listed = iam.list_users()
    assert listed["IsTruncated"] is False
    assert [u["UserName"] for u in listed["Users"]] == ["carol"]
    assert iam.list_users(PathPrefix="/team/")["Users"][0]["UserName"] == "carol"
    assert iam.list_users(PathPrefix="/other/")["Users"] == []
    iam.delete_user(UserName="carol")
    with pytest.raises(ClientError) as e:
        iam.get_user(UserName="carol")
    assert error(e) == ("NoSuchEntity", "The user with name carol cannot be found.", 404)


def test_duplicate_user_names_conflict_case_insensitively(server):
    iam = server.client("iam")
    iam.create_user(UserName="Dave")
    with pytest.raises(ClientError) as e:
        iam.create_user(UserName="dave")
    assert error(e) == ("EntityAlreadyExists", "User with name dave already exists.", 409)


def test_invalid_user_name_is_a_validation_error_and_creates_nothing(server):
    iam = server.client("iam")
    with pytest.raises(ClientError) as e:
        iam.create_user(UserName="bad name!")
    code, message, status = error(e)
    assert (code, status) == ("ValidationError", 400)
    assert "at 'userName' failed to satisfy constraint: Member must satisfy regular expression pattern" in message
    with pytest.raises(ClientError) as e:
        iam.create_user(UserName="x" * 65)
    assert "Member must have length less than or equal to 64" in error(e)[1]
    assert iam.list_users()["Users"] == []


def test_user_with_keys_cannot_be_deleted(server):
    iam = server.client("iam")
    iam.create_user(UserName="erin")
    key = iam.create_access_key(UserName="erin")["AccessKey"]
    with pytest.raises(ClientError) as e:
        iam.delete_user(UserName="erin")
    assert error(e) == ("DeleteConflict", "Cannot delete entity, must delete access keys first.", 409)
    iam.delete_access_key(UserName="erin", AccessKeyId=key["AccessKeyId"])
    iam.delete_user(UserName="erin")


def test_access_key_lifecycle_and_quota(server):
    iam = server.client("iam")
    iam.create_user(UserName="frank")
    assert iam.list_access_keys(UserName="frank")["AccessKeyMetadata"] == []
    k1 = iam.create_access_key(UserName="frank")["AccessKey"]
    assert k1["AccessKeyId"].startswith("AKIA") and len(k1["AccessKeyId"]) == 20
    assert len(k1["SecretAccessKey"]) == 40
    assert k1["Status"] == "Active" and k1["UserName"] == "frank"
    iam.create_access_key(UserName="frank")
    with pytest.raises(ClientError) as e:
        iam.create_access_key(UserName="frank")
    assert error(e) == ("LimitExceeded", "Cannot exceed quota for AccessKeysPerUser: 2", 409)
    listed = iam.list_access_keys(UserName="frank")["AccessKeyMetadata"]
    assert len(listed) == 2 and all("SecretAccessKey" not in k for k in listed)
    iam.update_access_key(UserName="frank", AccessKeyId=k1["AccessKeyId"], Status="Inactive")
    statuses = {k["AccessKeyId"]: k["Status"] for k in iam.list_access_keys(UserName="frank")["AccessKeyMetadata"]}
    assert statuses[k1["AccessKeyId"]] == "Inactive"
    with pytest.raises(ClientError) as e:
        iam.update_access_key(UserName="frank", AccessKeyId="AKIAIOSFODNN7EXAMPLE", Status="Active")
    assert error(e) == ("NoSuchEntity", "The Access Key with id AKIAIOSFODNN7EXAMPLE cannot be found.", 404)
    with pytest.raises(ClientError) as e:
        iam.create_access_key(UserName="nonexistent-user")
    assert error(e) == ("NoSuchEntity", "The user with name nonexistent-user cannot be found.", 404)


def test_racing_create_access_key_never_exceeds_quota(server):
    iam = server.client("iam")
    iam.create_user(UserName="racer")
    outcomes = []

    def create():
        client = server.client("iam")
        try:
            client.create_access_key(UserName="racer")
            outcomes.append("ok")
        except ClientError as e:
            outcomes.append(e.response["Error"]["Code"])

    threads = [threading.Thread(target=create) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert outcomes.count("ok") == 2
    assert outcomes.count("LimitExceeded") == 6
    assert len(iam.list_access_keys(UserName="racer")["AccessKeyMetadata"]) == 2


def test_user_manages_own_keys_without_user_name_only_with_permission(server, make_user):
    name, key_id, secret = make_user()
    own = server.client("iam", key_id, secret)
    with pytest.raises(ClientError) as e:
        own.list_access_keys()
    assert error(e)[0] == "AccessDenied"
    assert f"user/{name}" in error(e)[1]


def test_get_access_key_last_used(server, make_user):
    iam = server.client("iam")
    name, key_id, secret = make_user()
    unused = iam.get_access_key_last_used(AccessKeyId=key_id)
    assert unused["UserName"] == name
    assert unused["AccessKeyLastUsed"] == {"ServiceName": "N/A", "Region": "N/A"}
    server.client("sts", key_id, secret, region="eu-west-1").get_caller_identity()
    used = iam.get_access_key_last_used(AccessKeyId=key_id)["AccessKeyLastUsed"]
    assert used["ServiceName"] == "sts" and used["Region"] == "eu-west-1"
    assert "LastUsedDate" in used
    with pytest.raises(ClientError) as e:
        iam.get_access_key_last_used(AccessKeyId="AKIAIOSFODNN7EXAMPLE")
    assert error(e)[0] == "AccessDenied"
    assert error(e)[1].endswith("is not authorized to perform iam:GetAccessKeyLastUsed on resource: access key AKIAIOSFODNN7EXAMPLE")


def test_pagination_over_250_users(server):
    iam = server.client("iam")
    names = sorted(f"user{i:03d}" for i in range(250))
    for n in names:
        iam.create_user(UserName=n)
    first = iam.list_users(MaxItems=100)
    assert first["IsTruncated"] is True and len(first["Users"]) == 100
    pages = list(iam.get_paginator("list_users").paginate(PaginationConfig={"PageSize": 40}))
    assert len(pages) == 7
    seen = [u["UserName"] for p in pages for u in p["Users"]]
    assert seen == names
    # The CLI paginates by itself too.
    out = json.loads(server.cli("iam", "list-users", "--page-size", "60").stdout)
    assert [u["UserName"] for u in out["Users"]] == names


def test_restart_keeps_users_and_keys(tmp_path):
    server = Server(tmp_path / "data").start()
    iam = server.client("iam")
    iam.create_user(UserName="persistent")
    key = iam.create_access_key(UserName="persistent")["AccessKey"]
    assert server.stop() == 0
    again = Server(tmp_path / "data").start()
    try:
        assert again.client("iam").get_user(UserName="persistent")["User"]["UserName"] == "persistent"
        who = again.client("sts", key["AccessKeyId"], key["SecretAccessKey"]).get_caller_identity()
        assert who["Arn"].endswith(":user/persistent")
        assert not any("Created the account's root access key" in line for line in again.output)
    finally:
        again.stop()


def test_credentials_file_is_private_and_secret_never_printed(server):
    import stat
    mode = stat.S_IMODE(server.credentials_file.stat().st_mode)
    assert mode == 0o600
    _, secret = server.root_keys()
    assert all(secret not in line for line in server.output)
    kek = server.data_dir / "kek"
    assert stat.S_IMODE(kek.stat().st_mode) == 0o600


def test_both_backends_serve_the_same_behaviour(any_backend_server):
    server = any_backend_server
    iam = server.client("iam")
    iam.create_user(UserName="grace")
    key = iam.create_access_key(UserName="grace")["AccessKey"]
    who = server.client("sts", key["AccessKeyId"], key["SecretAccessKey"]).get_caller_identity()
    assert who["Arn"] == f"arn:aws:iam::{ACCOUNT_ID}:user/grace"
    with pytest.raises(ClientError) as e:
        iam.create_user(UserName="GRACE")
    assert error(e)[0] == "EntityAlreadyExists"


def test_a_lost_key_encryption_key_stops_the_server_instead_of_locking_out_keys(tmp_path):
    server = Server(tmp_path / "data").start()
    server.client("iam").create_user(UserName="keeper")
    assert server.stop() == 0
    kek = (tmp_path / "data" / "kek")
    original = kek.read_text()
    kek.unlink()
    refused = Server(tmp_path / "data")
    with pytest.raises(RuntimeError) as e:
        refused.start()
    assert "key-encryption key" in str(e.value) and "is missing" in str(e.value)
    # A different KEK is refused too: it would not open the stored secrets.
    kek.write_text("0" * 64 + "\n")
    with pytest.raises(RuntimeError) as e:
        Server(tmp_path / "data").start()
    assert "cannot be opened with this key-encryption key" in str(e.value)
    kek.write_text(original)
    again = Server(tmp_path / "data").start()
    try:
        assert again.client("iam").get_user(UserName="keeper")["User"]["UserName"] == "keeper"
    finally:
        again.stop()
