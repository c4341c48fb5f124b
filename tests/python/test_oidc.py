"""OpenID Connect identity providers through boto3 and the aws CLI, answered
as in responses recorded against real AWS (LocalStack's IAM parity
snapshots, test_iam_oidc)."""

import json

import pytest
from botocore.exceptions import ClientError

from conftest import ACCOUNT_ID

THUMB = "b" * 40


def error(excinfo):
    e = excinfo.value.response
    return e["Error"]["Code"], e["Error"]["Message"], e["ResponseMetadata"]["HTTPStatusCode"]


def test_provider_lifecycle_with_client_ids_thumbprints_and_tags(server):
    iam = server.client("iam")
    created = iam.create_open_id_connect_provider(Url="https://oidc.example.com/path",
                                                  ClientIDList=["client-id-1"], ThumbprintList=[THUMB])
    arn = created["OpenIDConnectProviderArn"]
    assert arn == f"arn:aws:iam::{ACCOUNT_ID}:oidc-provider/oidc.example.com/path"
    assert "Tags" not in created
    got = iam.get_open_id_connect_provider(OpenIDConnectProviderArn=arn)
    assert (got["Url"], got["ClientIDList"], got["ThumbprintList"], got["Tags"]) == \
        ("oidc.example.com/path", ["client-id-1"], [THUMB], [])
    iam.add_client_id_to_open_id_connect_provider(OpenIDConnectProviderArn=arn, ClientID="sts.amazonaws.com")
    iam.add_client_id_to_open_id_connect_provider(OpenIDConnectProviderArn=arn, ClientID="sts.amazonaws.com")
    iam.remove_client_id_from_open_id_connect_provider(OpenIDConnectProviderArn=arn, ClientID="client-id-1")
    iam.update_open_id_connect_provider_thumbprint(OpenIDConnectProviderArn=arn, ThumbprintList=["c" * 40, "d" * 40])
    got = iam.get_open_id_connect_provider(OpenIDConnectProviderArn=arn)
    assert got["ClientIDList"] == ["sts.amazonaws.com"]
    assert got["ThumbprintList"] == ["c" * 40, "d" * 40]
    iam.tag_open_id_connect_provider(OpenIDConnectProviderArn=arn, Tags=[{"Key": "k1", "Value": "v1"},
                                                                         {"Key": "k2", "Value": "v2"}])
    iam.untag_open_id_connect_provider(OpenIDConnectProviderArn=arn, TagKeys=["k2"])
    tags = iam.list_open_id_connect_provider_tags(OpenIDConnectProviderArn=arn)
    assert (tags["Tags"], tags["IsTruncated"]) == ([{"Key": "k1", "Value": "v1"}], False)
    listed = json.loads(server.cli("iam", "list-open-id-connect-providers").stdout)
    assert listed == {"OpenIDConnectProviderList": [{"Arn": arn}]}
    assert iam.get_account_summary()["SummaryMap"]["Providers"] == 1
    iam.delete_open_id_connect_provider(OpenIDConnectProviderArn=arn)
    with pytest.raises(ClientError) as e:
        iam.get_open_id_connect_provider(OpenIDConnectProviderArn=arn)
    assert error(e) == ("NoSuchEntity", f"OpenIDConnect Provider not found for arn {arn}", 404)
    with pytest.raises(ClientError) as e:
        iam.delete_open_id_connect_provider(OpenIDConnectProviderArn=arn)
    assert error(e) == ("NoSuchEntity", f"OpenId connect Provider {arn} cannot be found.", 404)


def test_provider_errors_match_aws(server):
    iam = server.client("iam")
    iam.create_open_id_connect_provider(Url="https://dup.example.com", ThumbprintList=[THUMB])
    with pytest.raises(ClientError) as e:
        iam.create_open_id_connect_provider(Url="https://dup.example.com", ThumbprintList=[THUMB])
    assert error(e) == ("EntityAlreadyExists", "Provider with url https://dup.example.com already exists.", 409)
    with pytest.raises(ClientError) as e:
        iam.create_open_id_connect_provider(Url="http://plain.example.com", ThumbprintList=[THUMB])
    assert error(e) == ("ValidationError", "Invalid Open ID Connect Provider URL", 400)
    with pytest.raises(ClientError) as e:
        iam.create_open_id_connect_provider(Url="https://many.example.com",
                                            ThumbprintList=[c * 40 for c in "abcdef"])
    assert error(e) == ("InvalidInput", "Thumbprint list must contain fewer than 5 entries.", 400)
    with pytest.raises(ClientError) as e:
        iam.create_open_id_connect_provider(Url="https://ids.example.com", ThumbprintList=[THUMB],
                                            ClientIDList=[f"client-{i}" for i in range(101)])
    assert error(e) == ("LimitExceeded", "Cannot exceed quota for ClientIdsPerOpenIdConnectProvider: 100", 409)
    # Fifty tags, then one more.
    arn = iam.create_open_id_connect_provider(
        Url="https://tags.example.com", ThumbprintList=[THUMB],
        Tags=[{"Key": f"k{i}", "Value": "v"} for i in range(50)])["OpenIDConnectProviderArn"]
    with pytest.raises(ClientError) as e:
        iam.tag_open_id_connect_provider(OpenIDConnectProviderArn=arn, Tags=[{"Key": "extra", "Value": "v"}])
    assert error(e) == ("LimitExceeded", "The number of tags has reached the maximum limit.", 409)
    iam.delete_open_id_connect_provider(OpenIDConnectProviderArn=arn)
    assert [p["Arn"] for p in iam.list_open_id_connect_providers()["OpenIDConnectProviderList"]] == \
        [f"arn:aws:iam::{ACCOUNT_ID}:oidc-provider/dup.example.com"]
