"""The credential report through boto3 and the aws CLI: AWS's states, its
CSV header row and value formats (responses recorded against real AWS,
LocalStack's IAM parity snapshots, test_iam_credential_report)."""

import base64
import csv
import io
import json
import re

import pytest
from botocore.exceptions import ClientError

from conftest import ACCOUNT_ID

HEADER = ["user", "arn", "user_creation_time", "password_enabled", "password_last_used",
          "password_last_changed", "password_next_rotation", "mfa_active",
          "access_key_1_active", "access_key_1_last_rotated", "access_key_1_last_used_date",
          "access_key_1_last_used_region", "access_key_1_last_used_service",
          "access_key_2_active", "access_key_2_last_rotated", "access_key_2_last_used_date",
          "access_key_2_last_used_region", "access_key_2_last_used_service",
          "cert_1_active", "cert_1_last_rotated", "cert_2_active", "cert_2_last_rotated"]
TIMESTAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00$")


def report_rows(iam):
    report = iam.get_credential_report()
    assert report["ReportFormat"] == "text/csv"
    rows = list(csv.reader(io.StringIO(report["Content"].decode())))
    assert rows[0] == HEADER
    return {row[0]: dict(zip(HEADER, row)) for row in rows[1:]}


def test_no_report_is_present_before_one_is_generated(server):
    with pytest.raises(ClientError) as e:
        server.client("iam").get_credential_report()
    err = e.value.response
    assert (err["Error"]["Code"], err["ResponseMetadata"]["HTTPStatusCode"]) == ("ReportNotPresent", 410)
    assert "Message" not in err["Error"]


def test_a_report_shows_each_users_credentials_in_awss_formats(server, make_user):
    iam = server.client("iam")
    name, key_id, secret = make_user()
    iam.create_login_profile(UserName=name, Password="Correct-Horse-9")
    second = iam.create_access_key(UserName=name)["AccessKey"]["AccessKeyId"]
    iam.update_access_key(UserName=name, AccessKeyId=second, Status="Inactive")
    server.client("iam", key_id, secret)  # a client, no call: the key stays unused
    iam.create_user(UserName="bare")

    first = iam.generate_credential_report()
    assert (first["State"], first["Description"]) == ("STARTED", "No report exists. Starting a new report generation task")
    again = iam.generate_credential_report()
    assert again["State"] == "COMPLETE" and "Description" not in again

    rows = report_rows(iam)
    user = rows[name]
    assert user["arn"] == f"arn:aws:iam::{ACCOUNT_ID}:user/{name}"
    assert TIMESTAMP.match(user["user_creation_time"])
    assert (user["password_enabled"], user["password_last_used"], user["password_next_rotation"]) == ("true", "no_information", "N/A")
    assert TIMESTAMP.match(user["password_last_changed"])
    assert user["mfa_active"] == "false"
    # Both keys were made within one second: either may be key 1.
    assert sorted([user["access_key_1_active"], user["access_key_2_active"]]) == ["false", "true"]
    assert TIMESTAMP.match(user["access_key_1_last_rotated"]) and TIMESTAMP.match(user["access_key_2_last_rotated"])
    assert (user["cert_1_active"], user["cert_1_last_rotated"]) == ("false", "N/A")

    bare = rows["bare"]
    assert [bare[c] for c in ["password_enabled", "password_last_used", "password_last_changed",
                              "access_key_1_active", "access_key_1_last_rotated",
                              "access_key_1_last_used_date", "access_key_1_last_used_region",
                              "access_key_1_last_used_service"]] == ["false", "N/A", "N/A", "false", "N/A", "N/A", "N/A", "N/A"]

    root = rows["<root_account>"]
    assert root["arn"] == f"arn:aws:iam::{ACCOUNT_ID}:root"
    assert (root["password_enabled"], root["password_last_changed"]) == ("not_supported", "not_supported")
    assert root["access_key_1_active"] == "true"  # the key the test itself signs with


def test_a_used_key_shows_its_last_use_and_the_password_policy_sets_the_next_rotation(server, make_user):
    iam = server.client("iam")
    name, key_id, secret = make_user()
    iam.put_user_policy(UserName=name, PolicyName="read", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "iam:GetUser", "Resource": "*"}]}))
    server.client("iam", key_id, secret).get_user()
    iam.update_account_password_policy(MaxPasswordAge=90)
    iam.create_login_profile(UserName=name, Password="Correct-Horse-9")
    iam.generate_credential_report()
    user = report_rows(iam)[name]
    assert TIMESTAMP.match(user["access_key_1_last_used_date"])
    assert user["access_key_1_last_used_service"] == "iam"
    assert TIMESTAMP.match(user["password_next_rotation"])
    assert user["password_next_rotation"] > user["password_last_changed"]


def test_the_cli_generates_and_reads_the_report(server):
    server.client("iam").create_user(UserName="cli-user")
    state = json.loads(server.cli("iam", "generate-credential-report").stdout)["State"]
    assert state == "STARTED"
    out = json.loads(server.cli("iam", "get-credential-report").stdout)
    content = base64.b64decode(out["Content"]).decode()
    assert content.splitlines()[0] == ",".join(HEADER)
    assert any(line.startswith("cli-user,") for line in content.splitlines())
