"""DecodeAuthorizationMessage: it needs `sts:DecodeAuthorizationMessage`,
and refuses any text that is not a message Tessera sealed for the caller's
account (the encoded messages of other services' denials)."""

import pytest
from botocore.exceptions import ClientError


def test_a_message_tessera_did_not_seal_is_invalid(server):
    sts = server.client("sts")
    for forged in ["AAAA", "not-a-message", "eyJhbGxvd2VkIjp0cnVlfQ"]:
        with pytest.raises(ClientError) as e:
            sts.decode_authorization_message(EncodedMessage=forged)
        assert e.value.response["Error"]["Code"] == "InvalidAuthorizationMessageException"
        assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400


def test_decoding_needs_the_permission(server, make_user):
    name, key_id, secret = make_user()
    sts = server.client("sts", key_id, secret)
    with pytest.raises(ClientError) as e:
        sts.decode_authorization_message(EncodedMessage="AAAA")
    assert e.value.response["Error"]["Code"] == "AccessDenied"
    assert "sts:DecodeAuthorizationMessage" in e.value.response["Error"]["Message"]
    server.client("iam").put_user_policy(UserName=name, PolicyName="decode", PolicyDocument=(
        '{"Version":"2012-10-17","Statement":[{"Effect":"Allow",'
        '"Action":"sts:DecodeAuthorizationMessage","Resource":"*"}]}'))
    with pytest.raises(ClientError) as e:
        sts.decode_authorization_message(EncodedMessage="AAAA")
    assert e.value.response["Error"]["Code"] == "InvalidAuthorizationMessageException"


def test_the_aws_cli_answers_the_same(server):
    result = server.cli("sts", "decode-authorization-message", "--encoded-message", "AAAA", check=False)
    assert result.returncode != 0
    assert "InvalidAuthorizationMessageException" in result.stderr
