"""Console passwords and the account password policy through boto3 and the
aws CLI, answered as in responses recorded against real AWS (LocalStack's
IAM parity snapshots: test_iam_users, test_iam_account_password_policy)."""

import json

import pytest
from botocore.exceptions import ClientError

from conftest import ACCOUNT_ID


def error(excinfo):
    e = excinfo.value.response
    return e["Error"]["Code"], e["Error"]["Message"], e["ResponseMetadata"]["HTTPStatusCode"]


def test_password_policy_defaults_custom_values_and_deletion(server):
    iam = server.client("iam")
    with pytest.raises(ClientError) as e:
        iam.get_account_password_policy()
    assert error(e) == ("NoSuchEntity", f"The Password Policy with domain name {ACCOUNT_ID} cannot be found.", 404)
    iam.update_account_password_policy()
    assert iam.get_account_password_policy()["PasswordPolicy"] == {
        "AllowUsersToChangePassword": False, "ExpirePasswords": False, "MinimumPasswordLength": 6,
        "RequireLowercaseCharacters": False, "RequireNumbers": False, "RequireSymbols": False,
        "RequireUppercaseCharacters": False}
    iam.update_account_password_policy(MinimumPasswordLength=10, RequireSymbols=True, RequireNumbers=True,
                                       RequireUppercaseCharacters=True, RequireLowercaseCharacters=True,
                                       AllowUsersToChangePassword=True, MaxPasswordAge=60,
                                       PasswordReusePrevention=3, HardExpiry=True)
    assert iam.get_account_password_policy()["PasswordPolicy"] == {
        "AllowUsersToChangePassword": True, "ExpirePasswords": True, "HardExpiry": True, "MaxPasswordAge": 60,
        "MinimumPasswordLength": 10, "PasswordReusePrevention": 3, "RequireLowercaseCharacters": True,
        "RequireNumbers": True, "RequireSymbols": True, "RequireUppercaseCharacters": True}
    iam.delete_account_password_policy()
    with pytest.raises(ClientError) as e:
        iam.delete_account_password_policy()
    assert error(e) == ("NoSuchEntity", "The account policy with name PasswordPolicy cannot be found.", 404)


def test_login_profile_lifecycle_keeps_only_a_hash(server):
    iam = server.client("iam")
    iam.create_user(UserName="lena")
    password = "Tessera-Sekret-42!"
    created = iam.create_login_profile(UserName="lena", Password=password)["LoginProfile"]
    assert (created["UserName"], created["PasswordResetRequired"]) == ("lena", False)
    with pytest.raises(ClientError) as e:
        iam.create_login_profile(UserName="lena", Password=password)
    assert error(e) == ("EntityAlreadyExists", "Login Profile for user lena already exists.", 409)
    iam.update_login_profile(UserName="lena", PasswordResetRequired=True)
    assert iam.get_login_profile(UserName="lena")["LoginProfile"]["PasswordResetRequired"] is True
    # The password is nowhere in the store, only its argon2id hash.
    stored = (server.data_dir / "tessera.db").read_bytes()
    for path in server.data_dir.glob("tessera.db*"):
        stored += path.read_bytes()
    assert password.encode() not in stored
    assert b"$argon2id$" in stored
    assert password not in "".join(server.output)
    # A rename carries the profile; deleting the user needs it gone first.
    iam.update_user(UserName="lena", NewUserName="lena2")
    assert iam.get_login_profile(UserName="lena2")["LoginProfile"]["UserName"] == "lena2"
    with pytest.raises(ClientError) as e:
        iam.delete_user(UserName="lena2")
    assert error(e) == ("DeleteConflict", "Cannot delete entity, must delete login profile first.", 409)
    iam.delete_login_profile(UserName="lena2")
    with pytest.raises(ClientError) as e:
        iam.get_login_profile(UserName="lena2")
    assert error(e) == ("NoSuchEntity", "Login Profile for User lena2 cannot be found.", 404)
    iam.delete_user(UserName="lena2")


def test_passwords_are_held_to_the_policy_and_users_change_their_own(server, make_user):
    iam = server.client("iam")
    name, key_id, secret = make_user()
    iam.update_account_password_policy(MinimumPasswordLength=12, RequireNumbers=True, PasswordReusePrevention=2)
    with pytest.raises(ClientError) as e:
        iam.create_login_profile(UserName=name, Password="Short1!")
    assert error(e) == ("PasswordPolicyViolation", "Password should have a minimum length of 12", 400)
    with pytest.raises(ClientError) as e:
        iam.create_login_profile(UserName=name, Password="no-digits-at-all")
    assert error(e) == ("PasswordPolicyViolation", "Password should have at least one number", 400)
    iam.create_login_profile(UserName=name, Password="first-password-1")
    iam.put_user_policy(UserName=name, PolicyName="own", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "iam:ChangePassword",
                                                "Resource": "arn:aws:iam::*:user/${aws:username}"}]}))
    user = server.client("iam", key_id, secret)
    user.change_password(OldPassword="first-password-1", NewPassword="second-password-2")
    with pytest.raises(ClientError) as e:
        user.change_password(OldPassword="second-password-2", NewPassword="first-password-1")
    assert error(e) == ("PasswordPolicyViolation", "Password cannot be one of your 2 previous passwords", 400)
    with pytest.raises(ClientError) as e:
        user.change_password(OldPassword="wrong-password-9", NewPassword="third-password-3")
    assert error(e)[0] == "InvalidUserType"
    with pytest.raises(ClientError) as e:
        server.client("iam").change_password(OldPassword="x" * 12, NewPassword="y1" * 6)
    assert error(e)[0] == "InvalidUserType"
