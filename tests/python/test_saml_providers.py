"""SAML identity providers through boto3 and the aws CLI, answered as in
responses recorded against real AWS (LocalStack's IAM parity snapshots,
test_iam_saml_providers)."""

import datetime
import json
from pathlib import Path

import pytest
from botocore.exceptions import ClientError

from conftest import ACCOUNT_ID

FIXTURES = Path(__file__).resolve().parents[2] / "crates/tessera-iam/tests/scenarios/fixtures"
METADATA = (FIXTURES / "saml-metadata.xml").read_text()
ARN = f"arn:aws:iam::{ACCOUNT_ID}:saml-provider/corp"


def error(excinfo):
    e = excinfo.value.response
    return e["Error"]["Code"], e["Error"]["Message"], e["ResponseMetadata"]["HTTPStatusCode"]


def test_a_provider_is_created_read_listed_and_deleted(server):
    iam = server.client("iam")
    created = iam.create_saml_provider(Name="corp", SAMLMetadataDocument=METADATA,
                                       Tags=[{"Key": "team", "Value": "sso"}])
    assert created["SAMLProviderArn"] == ARN
    got = iam.get_saml_provider(SAMLProviderArn=ARN)
    assert got["SAMLMetadataDocument"] == METADATA
    assert got["ValidUntil"] == datetime.datetime(2035, 6, 1, tzinfo=datetime.timezone.utc)
    assert (got["AssertionEncryptionMode"], got["PrivateKeyList"]) == ("Allowed", [])
    assert got["Tags"] == [{"Key": "team", "Value": "sso"}]
    assert len(got["SAMLProviderUUID"]) >= 22
    listed = iam.list_saml_providers()["SAMLProviderList"]
    assert [p["Arn"] for p in listed] == [ARN]
    assert iam.get_account_summary()["SummaryMap"]["Providers"] == 1
    iam.delete_saml_provider(SAMLProviderArn=ARN)
    with pytest.raises(ClientError) as e:
        iam.get_saml_provider(SAMLProviderArn=ARN)
    assert error(e) == ("NoSuchEntity", f"Manifest not found for arn {ARN}", 404)


def test_a_document_that_is_not_identity_provider_metadata_is_refused(server):
    iam = server.client("iam")
    for document in [METADATA.replace("IDPSSODescriptor", "SPSSODescriptor"), "<not-xml" + " " * 1000]:
        with pytest.raises(ClientError) as e:
            iam.create_saml_provider(Name="bad", SAMLMetadataDocument=document)
        assert error(e) == ("InvalidInput", "Could not parse metadata", 400)
    assert iam.list_saml_providers()["SAMLProviderList"] == []


def test_private_keys_are_listed_by_id_and_never_returned(server):
    iam = server.client("iam")
    key = (FIXTURES / "server-pkcs1.key").read_text()
    iam.create_saml_provider(Name="corp", SAMLMetadataDocument=METADATA, AddPrivateKey=key,
                             AssertionEncryptionMode="Required")
    got = iam.get_saml_provider(SAMLProviderArn=ARN)
    assert got["AssertionEncryptionMode"] == "Required"
    [entry] = got["PrivateKeyList"]
    assert set(entry) == {"KeyId", "Timestamp"}
    assert "PRIVATE KEY" not in json.dumps(got, default=str)
    iam.update_saml_provider(SAMLProviderArn=ARN, AssertionEncryptionMode="Allowed", RemovePrivateKey=entry["KeyId"])
    assert iam.get_saml_provider(SAMLProviderArn=ARN)["PrivateKeyList"] == []


def test_the_cli_creates_and_lists_a_provider(server):
    server.cli("iam", "create-saml-provider", "--name", "corp",
               "--saml-metadata-document", f"file://{FIXTURES / 'saml-metadata.xml'}")
    listed = json.loads(server.cli("iam", "list-saml-providers").stdout)
    assert [p["Arn"] for p in listed["SAMLProviderList"]] == [ARN]
