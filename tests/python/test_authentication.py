"""SigV4 authentication and identity, through the aws CLI, boto3 and plain HTTP."""

import json
import time
import urllib.error
import urllib.request

import pytest
from botocore.exceptions import ClientError

from conftest import ACCOUNT_ID


def error_code(excinfo):
    return excinfo.value.response["Error"]["Code"]


def test_root_get_caller_identity_with_cli(server):
    out = json.loads(server.cli("sts", "get-caller-identity").stdout)
    assert out == {"UserId": ACCOUNT_ID, "Account": ACCOUNT_ID, "Arn": f"arn:aws:iam::{ACCOUNT_ID}:root"}


def test_new_user_get_caller_identity_names_the_user(server, make_user):
    name, key_id, secret = make_user("alice")
    out = json.loads(server.cli("sts", "get-caller-identity", key_id=key_id, secret=secret).stdout)
    assert out["Arn"] == f"arn:aws:iam::{ACCOUNT_ID}:user/alice"
    assert out["Account"] == ACCOUNT_ID
    assert out["UserId"].startswith("AIDA") and len(out["UserId"]) == 21


def test_wrong_secret_is_signature_does_not_match(server):
    key_id, secret = server.root_keys()
    sts = server.client("sts", key_id, secret[:-1] + ("A" if secret[-1] != "A" else "B"))
    with pytest.raises(ClientError) as e:
        sts.get_caller_identity()
    assert error_code(e) == "SignatureDoesNotMatch"
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403
    assert "The request signature we calculated does not match the signature you provided" in str(e.value)


def test_unknown_key_is_invalid_client_token_id(server):
    result = server.cli("sts", "get-caller-identity", key_id="AKIAIOSFODNN7EXAMPLE",
                        secret="wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", check=False)
    assert result.returncode != 0
    assert "InvalidClientTokenId" in result.stderr
    assert "The security token included in the request is invalid" in result.stderr


def test_user_without_policies_is_denied_list_users_in_aws_wording(server, make_user):
    name, key_id, secret = make_user("bob")
    result = server.cli("iam", "list-users", key_id=key_id, secret=secret, check=False)
    assert result.returncode != 0
    expected = (f"An error occurred (AccessDenied) when calling the ListUsers operation: "
                f"User: arn:aws:iam::{ACCOUNT_ID}:user/bob is not authorized to perform: iam:ListUsers "
                f"on resource: arn:aws:iam::{ACCOUNT_ID}:user/ because no identity-based policy allows "
                f"the iam:ListUsers action")
    assert expected in result.stderr


def test_inactive_key_is_refused(server, make_user):
    name, key_id, secret = make_user()
    server.client("iam").update_access_key(UserName=name, AccessKeyId=key_id, Status="Inactive")
    with pytest.raises(ClientError) as e:
        server.client("sts", key_id, secret).get_caller_identity()
    assert error_code(e) == "InvalidClientTokenId"


def test_unsigned_request_is_missing_authentication_token(server):
    req = urllib.request.Request(server.endpoint + "/?Action=GetCallerIdentity&Version=2011-06-15")
    with pytest.raises(urllib.error.HTTPError) as e:
        urllib.request.urlopen(req)
    body = e.value.read().decode()
    assert e.value.code == 403
    assert "<Code>MissingAuthenticationToken</Code>" in body


def test_presigned_get_caller_identity_works_until_it_expires(server):
    sts = server.client("sts")
    url = sts.generate_presigned_url("get_caller_identity", ExpiresIn=3, HttpMethod="GET")
    with urllib.request.urlopen(url) as response:
        body = response.read().decode()
    assert response.status == 200
    assert f"<Arn>arn:aws:iam::{ACCOUNT_ID}:root</Arn>" in body
    assert "<GetCallerIdentityResult>" in body
    time.sleep(4.5)
    with pytest.raises(urllib.error.HTTPError) as e:
        urllib.request.urlopen(url)
    assert e.value.code in (400, 403)
    assert "<Code>" in e.value.read().decode()


def test_any_region_is_accepted(server):
    for region in ("us-east-1", "eu-west-3", "ap-southeast-2"):
        out = server.client("sts", region=region).get_caller_identity()
        assert out["Account"] == ACCOUNT_ID


def test_unknown_action_is_invalid_action(server):
    # botocore only sends modelled actions; sign a raw request instead.
    import botocore.auth
    import botocore.awsrequest
    import botocore.credentials
    key_id, secret = server.root_keys()
    request = botocore.awsrequest.AWSRequest(method="POST", url=server.endpoint + "/",
                                             data="Action=FlyToTheMoon&Version=2010-05-08",
                                             headers={"Content-Type": "application/x-www-form-urlencoded"})
    botocore.auth.SigV4Auth(botocore.credentials.Credentials(key_id, secret), "iam", "us-east-1").add_auth(request)
    prepared = request.prepare()
    req = urllib.request.Request(prepared.url, data=prepared.body.encode() if isinstance(prepared.body, str) else prepared.body,
                                 headers=dict(prepared.headers), method="POST")
    with pytest.raises(urllib.error.HTTPError) as e:
        urllib.request.urlopen(req)
    body = e.value.read().decode()
    assert e.value.code == 400
    assert "<Code>InvalidAction</Code>" in body
    assert "FlyToTheMoon" in body


def test_an_action_in_neither_model_is_invalid_action_naming_it_and_the_version(server):
    # botocore only sends modelled actions; sign raw requests instead.
    import botocore.auth
    import botocore.awsrequest
    import botocore.credentials
    key_id, secret = server.root_keys()
    for service, version in (("iam", "2010-05-08"), ("sts", "2011-06-15")):
        request = botocore.awsrequest.AWSRequest(method="POST", url=server.endpoint + "/",
                                                 data=f"Action=NoSuchOperation&Version={version}",
                                                 headers={"Content-Type": "application/x-www-form-urlencoded"})
        botocore.auth.SigV4Auth(botocore.credentials.Credentials(key_id, secret), service,
                                "us-east-1").add_auth(request)
        prepared = request.prepare()
        status, body = raw_post(server, prepared.body if isinstance(prepared.body, str) else prepared.body.decode(),
                                dict(prepared.headers))
        assert status == 400, service
        assert "<Code>InvalidAction</Code>" in body
        assert f"<Message>Could not find operation NoSuchOperation for version {version}</Message>" in body


def raw_post(server, body, headers):
    req = urllib.request.Request(server.endpoint + "/", data=body.encode(), headers=headers, method="POST")
    try:
        with urllib.request.urlopen(req) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


def test_malformed_authorization_header_is_incomplete_signature(server):
    key_id, _ = server.root_keys()
    status, body = raw_post(server, "Action=GetCallerIdentity&Version=2011-06-15", {
        "Content-Type": "application/x-www-form-urlencoded",
        "X-Amz-Date": "20260101T000000Z",
        "Authorization": f"AWS4-HMAC-SHA256 Credential={key_id}/20260101/us-east-1/sts/aws4_request",
    })
    import xml.etree.ElementTree as ET
    ns = {"a": "https://sts.amazonaws.com/doc/2011-06-15/"}
    error = ET.fromstring(body).find("a:Error", ns)
    assert status == 400
    assert error.find("a:Code", ns).text == "IncompleteSignature"
    message = error.find("a:Message", ns).text
    assert "Authorization header requires 'Signature' parameter." in message
    assert "Authorization header requires 'SignedHeaders' parameter." in message


def test_request_signed_twenty_minutes_ago_has_expired(server, monkeypatch):
    import datetime as dt
    import botocore.auth
    real = botocore.auth.get_current_datetime
    monkeypatch.setattr(botocore.auth, "get_current_datetime", lambda: real() - dt.timedelta(minutes=20))
    with pytest.raises(ClientError) as e:
        server.client("sts").get_caller_identity()
    assert error_code(e) == "SignatureDoesNotMatch"
    message = e.value.response["Error"]["Message"]
    assert message.startswith("Signature expired: ") and message.endswith(" - 15 min.)")
