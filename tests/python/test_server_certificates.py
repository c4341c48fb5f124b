"""Server certificates through boto3 and the aws CLI, with certificates and
keys made here by `cryptography`, answered as in responses recorded against
real AWS (LocalStack's IAM parity snapshots, test_iam_server_certificates)."""

import datetime
import json

import pytest
from botocore.exceptions import ClientError
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID

from conftest import ACCOUNT_ID


def error(excinfo):
    e = excinfo.value.response
    return e["Error"]["Code"], e["Error"]["Message"], e["ResponseMetadata"]["HTTPStatusCode"]


def pem_key(key, fmt=serialization.PrivateFormat.PKCS8):
    return key.private_bytes(serialization.Encoding.PEM, fmt, serialization.NoEncryption()).decode()


def issue(subject, key, issuer=None, issuer_key=None, days=365):
    now = datetime.datetime.now(datetime.timezone.utc)
    subject_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)])
    cert = (x509.CertificateBuilder().subject_name(subject_name)
            .issuer_name(issuer.subject if issuer else subject_name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(days=2))
            .not_valid_after(now + datetime.timedelta(days=days))
            .sign(issuer_key or key, hashes.SHA256()))
    return cert


def pem(cert):
    return cert.public_bytes(serialization.Encoding.PEM).decode()


@pytest.fixture
def signed():
    ca_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    ca = issue("Example CA", ca_key)
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    leaf = issue("www.example.com", key, ca, ca_key, days=90)
    return leaf, key, ca


@pytest.mark.parametrize("path", [None, "/", "/test-path/"])
def test_a_server_certificate_follows_the_recorded_lifecycle(server, signed, path):
    iam = server.client("iam")
    leaf, key, _ = signed
    args = {"Path": path} if path else {}
    meta = iam.upload_server_certificate(ServerCertificateName="web", CertificateBody=pem(leaf),
                                         PrivateKey=pem_key(key), **args)["ServerCertificateMetadata"]
    shown_path = path or "/"
    assert meta["Arn"] == f"arn:aws:iam::{ACCOUNT_ID}:server-certificate{shown_path}web"
    assert meta["ServerCertificateId"].startswith("ASCA") and len(meta["ServerCertificateId"]) == 21
    assert meta["Expiration"] == leaf.not_valid_after_utc
    listed = iam.list_server_certificates()["ServerCertificateMetadataList"]
    assert listed == [meta]
    got = iam.get_server_certificate(ServerCertificateName="web")["ServerCertificate"]
    assert got["CertificateBody"] == pem(leaf).strip()
    assert got["ServerCertificateMetadata"] == meta and got["Tags"] == []
    assert "CertificateChain" not in got
    iam.delete_server_certificate(ServerCertificateName="web")
    with pytest.raises(ClientError) as e:
        iam.get_server_certificate(ServerCertificateName="web")
    assert error(e) == ("NoSuchEntity", "The Server Certificate with name web cannot be found.", 404)


def test_a_chain_is_kept_and_a_duplicate_name_refused(server, signed):
    iam = server.client("iam")
    leaf, key, ca = signed
    iam.upload_server_certificate(ServerCertificateName="web", CertificateBody=pem(leaf),
                                  PrivateKey=pem_key(key, serialization.PrivateFormat.TraditionalOpenSSL),
                                  CertificateChain=pem(ca))
    got = iam.get_server_certificate(ServerCertificateName="web")["ServerCertificate"]
    assert got["CertificateChain"] == pem(ca).strip()
    with pytest.raises(ClientError) as e:
        iam.upload_server_certificate(ServerCertificateName="web", CertificateBody=pem(leaf), PrivateKey=pem_key(key))
    assert error(e) == ("EntityAlreadyExists", "The Server Certificate with name web already exists.", 409)


def test_a_key_of_another_certificate_an_expired_certificate_and_garbage_are_refused(server, signed):
    iam = server.client("iam")
    leaf, key, _ = signed
    other = ec.generate_private_key(ec.SECP256R1())
    with pytest.raises(ClientError) as e:
        iam.upload_server_certificate(ServerCertificateName="x", CertificateBody=pem(leaf), PrivateKey=pem_key(other))
    assert error(e)[0] == "KeyPairMismatch"
    expired = issue("old", key, days=-1)
    with pytest.raises(ClientError) as e:
        iam.upload_server_certificate(ServerCertificateName="x", CertificateBody=pem(expired), PrivateKey=pem_key(key))
    assert error(e)[0] == "MalformedCertificate"
    with pytest.raises(ClientError) as e:
        iam.upload_server_certificate(ServerCertificateName="x", CertificateBody="certificate-body", PrivateKey=pem_key(key))
    assert error(e)[0] == "MalformedCertificate"
    assert iam.list_server_certificates()["ServerCertificateMetadataList"] == []


def test_an_ec_certificate_is_renamed_and_tagged(server):
    iam = server.client("iam")
    key = ec.generate_private_key(ec.SECP384R1())
    cert = issue("ec.example.com", key)
    iam.upload_server_certificate(ServerCertificateName="ec", CertificateBody=pem(cert), PrivateKey=pem_key(key),
                                  Tags=[{"Key": "team", "Value": "web"}])
    iam.update_server_certificate(ServerCertificateName="ec", NewServerCertificateName="ec2", NewPath="/edge/")
    meta = iam.get_server_certificate(ServerCertificateName="ec2")["ServerCertificate"]["ServerCertificateMetadata"]
    assert meta["Arn"] == f"arn:aws:iam::{ACCOUNT_ID}:server-certificate/edge/ec2"
    assert [c["ServerCertificateName"] for c in iam.list_server_certificates(PathPrefix="/edge/")["ServerCertificateMetadataList"]] == ["ec2"]
    assert iam.list_server_certificate_tags(ServerCertificateName="ec2")["Tags"] == [{"Key": "team", "Value": "web"}]
    iam.untag_server_certificate(ServerCertificateName="ec2", TagKeys=["team"])
    assert iam.list_server_certificate_tags(ServerCertificateName="ec2")["Tags"] == []


def test_the_cli_uploads_and_lists_a_server_certificate(server, signed, tmp_path):
    leaf, key, _ = signed
    (tmp_path / "cert.pem").write_text(pem(leaf))
    (tmp_path / "key.pem").write_text(pem_key(key))
    server.cli("iam", "upload-server-certificate", "--server-certificate-name", "cli-cert",
               "--certificate-body", f"file://{tmp_path / 'cert.pem'}", "--private-key", f"file://{tmp_path / 'key.pem'}")
    listed = json.loads(server.cli("iam", "list-server-certificates").stdout)
    assert [c["ServerCertificateName"] for c in listed["ServerCertificateMetadataList"]] == ["cli-cert"]
