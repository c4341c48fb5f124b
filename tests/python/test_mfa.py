"""Virtual MFA devices and MFA-protected STS sessions through boto3, with
TOTP codes computed here (RFC 6238, SHA-1, 6 digits, 30 s), answered as in
responses recorded against real AWS (LocalStack's IAM parity snapshots,
test_iam_mfa)."""

import base64
import hashlib
import hmac
import json
import struct
import time

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from conftest import ACCOUNT_ID


def totp(seed_b32, step):
    key = base64.b32decode(seed_b32 + "=" * (-len(seed_b32) % 8))
    digest = hmac.new(key, struct.pack(">Q", step), hashlib.sha1).digest()
    offset = digest[19] & 15
    return f"{(struct.unpack('>I', digest[offset:offset + 4])[0] & 0x7fffffff) % 1000000:06d}"


def now_step():
    return int(time.time()) // 30


def error(excinfo):
    e = excinfo.value.response
    return e["Error"]["Code"], e["Error"]["Message"], e["ResponseMetadata"]["HTTPStatusCode"]


def doc(*statements):
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def enabled_device(iam, user, name="dev"):
    created = iam.create_virtual_mfa_device(VirtualMFADeviceName=name)["VirtualMFADevice"]
    seed = created["Base32StringSeed"].decode()
    step = now_step()
    iam.enable_mfa_device(UserName=user, SerialNumber=created["SerialNumber"],
                          AuthenticationCode1=totp(seed, step - 2), AuthenticationCode2=totp(seed, step - 1))
    return created["SerialNumber"], seed, step


def test_a_virtual_device_carries_its_seed_and_a_qr_code(server):
    iam = server.client("iam")
    created = iam.create_virtual_mfa_device(VirtualMFADeviceName="phone", Path="/team/")["VirtualMFADevice"]
    assert created["SerialNumber"] == f"arn:aws:iam::{ACCOUNT_ID}:mfa/team/phone"
    seed = created["Base32StringSeed"].decode()
    assert len(base64.b32decode(seed + "=" * (-len(seed) % 8))) == 20
    png = created["QRCodePNG"]
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", png[16:24])
    assert width == height and width > 100
    with pytest.raises(ClientError) as e:
        iam.create_virtual_mfa_device(VirtualMFADeviceName="phone", Path="/team/")
    assert error(e) == ("EntityAlreadyExists", "MFA device already exists.", 409)
    listed = iam.list_virtual_mfa_devices()["VirtualMFADevices"]
    assert listed == [{"SerialNumber": created["SerialNumber"]}]
    iam.delete_virtual_mfa_device(SerialNumber=created["SerialNumber"])
    with pytest.raises(ClientError) as e:
        iam.delete_virtual_mfa_device(SerialNumber=created["SerialNumber"])
    assert error(e) == ("NoSuchEntity", f"MFA Device with serial number {created['SerialNumber']} does not exist.", 404)


def test_enabling_takes_two_consecutive_codes_and_assigns_the_device(server):
    iam = server.client("iam")
    iam.create_user(UserName="mia")
    created = iam.create_virtual_mfa_device(VirtualMFADeviceName="mia-phone")["VirtualMFADevice"]
    serial, seed = created["SerialNumber"], created["Base32StringSeed"].decode()
    step = now_step()
    with pytest.raises(ClientError) as e:
        iam.enable_mfa_device(UserName="mia", SerialNumber=serial,
                              AuthenticationCode1=totp(seed, step), AuthenticationCode2=totp(seed, step))
    assert error(e)[0] == "InvalidAuthenticationCode"
    with pytest.raises(ClientError) as e:
        iam.enable_mfa_device(UserName="nonexistent-user", SerialNumber=serial,
                              AuthenticationCode1=totp(seed, step - 1), AuthenticationCode2=totp(seed, step))
    assert error(e) == ("NoSuchEntity", "The user with name nonexistent-user cannot be found.", 404)
    iam.enable_mfa_device(UserName="mia", SerialNumber=serial,
                          AuthenticationCode1=totp(seed, step - 1), AuthenticationCode2=totp(seed, step))
    devices = iam.list_mfa_devices(UserName="mia")["MFADevices"]
    assert [(d["UserName"], d["SerialNumber"]) for d in devices] == [("mia", serial)]
    assigned = iam.list_virtual_mfa_devices(AssignmentStatus="Assigned")["VirtualMFADevices"]
    assert assigned[0]["User"]["UserName"] == "mia" and "EnableDate" in assigned[0]
    assert iam.list_virtual_mfa_devices(AssignmentStatus="Unassigned")["VirtualMFADevices"] == []
    iam.create_user(UserName="other")
    with pytest.raises(ClientError) as e:
        iam.enable_mfa_device(UserName="other", SerialNumber=serial,
                              AuthenticationCode1=totp(seed, step - 1), AuthenticationCode2=totp(seed, step))
    assert error(e) == ("EntityAlreadyExists", "MFA Device is already in use.", 409)
    with pytest.raises(ClientError) as e:
        iam.delete_user(UserName="mia")
    assert error(e) == ("DeleteConflict", "Cannot delete entity, must delete MFA device first.", 409)
    summary = iam.get_account_summary()["SummaryMap"]
    assert (summary["MFADevices"], summary["MFADevicesInUse"]) == (1, 1)
    # Deactivating a virtual device removes it, as AWS does.
    iam.deactivate_mfa_device(UserName="mia", SerialNumber=serial)
    assert iam.list_mfa_devices(UserName="mia")["MFADevices"] == []
    assert iam.list_virtual_mfa_devices()["VirtualMFADevices"] == []
    with pytest.raises(ClientError) as e:
        iam.deactivate_mfa_device(UserName="mia", SerialNumber=f"arn:aws:iam::{ACCOUNT_ID}:mfa/nonexistent-mfa")
    assert error(e) == ("NoSuchEntity",
                        f"MFA Device with serial number arn:aws:iam::{ACCOUNT_ID}:mfa/nonexistent-mfa does not exist.",
                        404)
    iam.delete_user(UserName="mia")


def test_mfa_sessions_carry_mfa_and_a_code_is_accepted_once(server, make_user):
    iam = server.client("iam")
    name, key_id, secret = make_user()
    serial, seed, step = enabled_device(iam, name)
    iam.put_user_policy(UserName=name, PolicyName="mfa-only", PolicyDocument=doc(
        {"Effect": "Allow", "Action": ["iam:ListUsers", "sts:AssumeRole"], "Resource": "*",
         "Condition": {"Bool": {"aws:MultiFactorAuthPresent": "true"}}}))
    sts = server.client("sts", key_id, secret)
    with pytest.raises(ClientError) as e:
        sts.get_session_token(SerialNumber=serial, TokenCode="000000" if totp(seed, step) != "000000" else "111111")
    assert error(e) == ("AccessDenied", "MultiFactorAuthentication failed with invalid MFA one time pass code.", 403)
    creds = sts.get_session_token(SerialNumber=serial, TokenCode=totp(seed, step))["Credentials"]
    mfa_iam = boto3.client("iam", endpoint_url=server.endpoint, region_name="us-east-1",
                           aws_access_key_id=creds["AccessKeyId"], aws_secret_access_key=creds["SecretAccessKey"],
                           aws_session_token=creds["SessionToken"], config=Config(retries={"max_attempts": 1}))
    assert any(u["UserName"] == name for u in mfa_iam.list_users()["Users"])
    # The same code again is refused.
    with pytest.raises(ClientError) as e:
        sts.get_session_token(SerialNumber=serial, TokenCode=totp(seed, step))
    assert error(e)[0] == "AccessDenied"
    # A role whose trust requires MFA: refused without, assumed with a fresh code.
    role_arn = iam.create_role(RoleName="guarded", AssumeRolePolicyDocument=doc(
        {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT_ID}:user/{name}"},
         "Action": "sts:AssumeRole", "Condition": {"Bool": {"aws:MultiFactorAuthPresent": "true"}}}))["Role"]["Arn"]
    with pytest.raises(ClientError) as e:
        sts.assume_role(RoleArn=role_arn, RoleSessionName="no-mfa")
    assert e.value.response["Error"]["Code"] == "AccessDenied"
    assumed = sts.assume_role(RoleArn=role_arn, RoleSessionName="with-mfa", SerialNumber=serial,
                              TokenCode=totp(seed, step + 1))
    assert assumed["AssumedRoleUser"]["Arn"] == f"arn:aws:sts::{ACCOUNT_ID}:assumed-role/guarded/with-mfa"
