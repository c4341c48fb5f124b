"""SSH public keys, signing certificates and service-specific credentials
through boto3 and the aws CLI, with keys and certificates made here by
`cryptography`, answered as in responses recorded against real AWS
(LocalStack's IAM parity snapshots: test_iam_ssh_public_keys,
test_iam_signing_certificates, TestIAMServiceSpecificCredentials)."""

import base64
import datetime
import hashlib
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


def rsa_key(bits=2048):
    return rsa.generate_private_key(public_exponent=65537, key_size=bits)


def openssh(key, comment="dev@example"):
    line = key.public_key().public_bytes(serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH)
    return line.decode() + (f" {comment}" if comment else "")


def md5_fingerprint(openssh_line):
    blob = base64.b64decode(openssh_line.split()[1])
    return ":".join(f"{b:02x}" for b in hashlib.md5(blob).digest())


def certificate(common_name, key=None):
    key = key or rsa_key()
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=365)).sign(key, hashes.SHA256()))
    return cert.public_bytes(serialization.Encoding.PEM).decode()


def test_an_ssh_key_is_stored_with_its_md5_fingerprint_and_served_in_both_encodings(server):
    iam = server.client("iam")
    iam.create_user(UserName="dev")
    key = rsa_key()
    body = openssh(key)
    uploaded = iam.upload_ssh_public_key(UserName="dev", SSHPublicKeyBody=body)["SSHPublicKey"]
    assert uploaded["Fingerprint"] == md5_fingerprint(body)
    assert uploaded["SSHPublicKeyId"].startswith("APKA") and len(uploaded["SSHPublicKeyId"]) == 20
    assert (uploaded["Status"], uploaded["UserName"], uploaded["SSHPublicKeyBody"]) == ("Active", "dev", body)
    key_id = uploaded["SSHPublicKeyId"]

    as_ssh = iam.get_ssh_public_key(UserName="dev", SSHPublicKeyId=key_id, Encoding="SSH")["SSHPublicKey"]
    assert as_ssh["SSHPublicKeyBody"] == body
    as_pem = iam.get_ssh_public_key(UserName="dev", SSHPublicKeyId=key_id, Encoding="PEM")["SSHPublicKey"]
    loaded = serialization.load_pem_public_key(as_pem["SSHPublicKeyBody"].encode())
    assert loaded.public_numbers() == key.public_key().public_numbers()

    listed = iam.list_ssh_public_keys(UserName="dev")
    assert listed["IsTruncated"] is False
    assert [set(k) for k in listed["SSHPublicKeys"]] == [{"UserName", "SSHPublicKeyId", "Status", "UploadDate"}]

    iam.update_ssh_public_key(UserName="dev", SSHPublicKeyId=key_id, Status="Inactive")
    assert iam.get_ssh_public_key(UserName="dev", SSHPublicKeyId=key_id, Encoding="SSH")["SSHPublicKey"]["Status"] == "Inactive"
    iam.delete_ssh_public_key(UserName="dev", SSHPublicKeyId=key_id)
    assert iam.list_ssh_public_keys(UserName="dev")["SSHPublicKeys"] == []


def test_a_pem_ssh_key_upload_is_the_same_key_as_its_openssh_form(server):
    iam = server.client("iam")
    iam.create_user(UserName="dev")
    key = rsa_key()
    pem = key.public_key().public_bytes(serialization.Encoding.PEM,
                                        serialization.PublicFormat.SubjectPublicKeyInfo).decode()
    uploaded = iam.upload_ssh_public_key(UserName="dev", SSHPublicKeyBody=pem)["SSHPublicKey"]
    assert uploaded["Fingerprint"] == md5_fingerprint(openssh(key))
    got = iam.get_ssh_public_key(UserName="dev", SSHPublicKeyId=uploaded["SSHPublicKeyId"], Encoding="SSH")
    assert got["SSHPublicKey"]["SSHPublicKeyBody"] == openssh(key, comment=None)
    with pytest.raises(ClientError) as e:
        iam.upload_ssh_public_key(UserName="dev", SSHPublicKeyBody=openssh(key))
    assert error(e) == ("DuplicateSSHPublicKey",
                        "The request was rejected because the SSH public key is already associated with the specified IAM user.",
                        400)


def test_ssh_keys_that_iam_refuses_answer_its_codes_and_the_quota_is_five(server):
    iam = server.client("iam")
    iam.create_user(UserName="dev")
    ed25519_line = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIG3bO8Qc3w0vY2L1ZbJwH2z2a6r4Hn6lC7wYy3Q0Z0aB dev"
    for body, code in [(openssh(rsa_key(1024)), "InvalidPublicKey"), (ed25519_line, "InvalidPublicKey"),
                       ("hello", "UnrecognizedPublicKeyEncoding")]:
        with pytest.raises(ClientError) as e:
            iam.upload_ssh_public_key(UserName="dev", SSHPublicKeyBody=body)
        assert error(e)[0] == code, body
    for _ in range(5):
        iam.upload_ssh_public_key(UserName="dev", SSHPublicKeyBody=openssh(rsa_key()))
    with pytest.raises(ClientError) as e:
        iam.upload_ssh_public_key(UserName="dev", SSHPublicKeyBody=openssh(rsa_key()))
    assert error(e) == ("LimitExceeded", "Cannot exceed quota for PublicKeysPerUser: 5", 409)


def test_missing_ssh_keys_and_users_are_answered_as_aws_words_them(server):
    iam = server.client("iam")
    iam.create_user(UserName="dev")
    for call in [lambda: iam.get_ssh_public_key(UserName="dev", SSHPublicKeyId="APKAXXXXXXXXXXXXXXXXX", Encoding="SSH"),
                 lambda: iam.update_ssh_public_key(UserName="dev", SSHPublicKeyId="APKAXXXXXXXXXXXXXXXXX", Status="Active"),
                 lambda: iam.delete_ssh_public_key(UserName="dev", SSHPublicKeyId="APKAXXXXXXXXXXXXXXXXX")]:
        with pytest.raises(ClientError) as e:
            call()
        assert error(e) == ("NoSuchEntity", "The Public Key with id APKAXXXXXXXXXXXXXXXXX cannot be found.", 404)
    with pytest.raises(ClientError) as e:
        iam.upload_ssh_public_key(UserName="nobody", SSHPublicKeyBody=openssh(rsa_key()))
    assert error(e) == ("NoSuchEntity", "The user with name nobody cannot be found.", 404)


def test_a_key_of_one_user_is_not_found_through_another(server):
    iam = server.client("iam")
    iam.create_user(UserName="a")
    iam.create_user(UserName="b")
    key_id = iam.upload_ssh_public_key(UserName="a", SSHPublicKeyBody=openssh(rsa_key()))["SSHPublicKey"]["SSHPublicKeyId"]
    with pytest.raises(ClientError) as e:
        iam.delete_ssh_public_key(UserName="b", SSHPublicKeyId=key_id)
    assert error(e)[0] == "NoSuchEntity"
    assert len(iam.list_ssh_public_keys(UserName="a")["SSHPublicKeys"]) == 1


def test_signing_certificates_follow_the_recorded_lifecycle_with_a_quota_of_two(server):
    iam = server.client("iam")
    iam.create_user(UserName="signer")
    body = certificate("one")
    uploaded = iam.upload_signing_certificate(UserName="signer", CertificateBody=body)["Certificate"]
    assert (uploaded["Status"], uploaded["UserName"], uploaded["CertificateBody"]) == ("Active", "signer", body.strip())
    cert_id = uploaded["CertificateId"]
    assert len(cert_id) >= 24
    with pytest.raises(ClientError) as e:
        iam.upload_signing_certificate(UserName="signer", CertificateBody=body)
    assert error(e)[0] == "DuplicateCertificate"
    iam.upload_signing_certificate(UserName="signer", CertificateBody=certificate("two", ec.generate_private_key(ec.SECP256R1())))
    with pytest.raises(ClientError) as e:
        iam.upload_signing_certificate(UserName="signer", CertificateBody=certificate("three"))
    assert error(e) == ("LimitExceeded", "Cannot exceed quota for CertificatesPerUser: 2", 409)

    iam.update_signing_certificate(UserName="signer", CertificateId=cert_id, Status="Inactive")
    statuses = {c["CertificateId"]: c["Status"] for c in iam.list_signing_certificates(UserName="signer")["Certificates"]}
    assert statuses[cert_id] == "Inactive" and len(statuses) == 2
    with pytest.raises(ClientError) as e:
        iam.delete_user(UserName="signer")
    assert error(e) == ("DeleteConflict", "Cannot delete entity, must delete certificates first.", 409)
    for cid in statuses:
        iam.delete_signing_certificate(UserName="signer", CertificateId=cid)
    assert iam.list_signing_certificates(UserName="signer")["Certificates"] == []
    iam.delete_user(UserName="signer")


def test_malformed_and_missing_certificates_are_answered_as_recorded(server):
    iam = server.client("iam")
    iam.create_user(UserName="signer")
    with pytest.raises(ClientError) as e:
        iam.upload_signing_certificate(UserName="signer", CertificateBody="invalid-certificate-body")
    assert error(e) == ("MalformedCertificate", "Certificate invalid-certificate-body is malformed.", 400)
    with pytest.raises(ClientError) as e:
        iam.update_signing_certificate(UserName="signer", CertificateId="NONEXISTENTCERTID12345678901", Status="Inactive")
    assert error(e) == ("NoSuchEntity", "The Certificate with id NONEXISTENTCERTID12345678901 cannot be found.", 404)
    with pytest.raises(ClientError) as e:
        iam.list_signing_certificates(UserName="nonexistent-user")
    assert error(e) == ("NoSuchEntity", "The user with name nonexistent-user cannot be found.", 404)


def test_a_user_lists_and_uploads_its_own_certificates_without_naming_itself(server, make_user):
    iam = server.client("iam")
    name, key_id, secret = make_user()
    iam.put_user_policy(UserName=name, PolicyName="own", PolicyDocument=json.dumps({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": ["iam:UploadSigningCertificate", "iam:ListSigningCertificates"],
                       "Resource": f"arn:aws:iam::{ACCOUNT_ID}:user/{name}"}]}))
    own = server.client("iam", key_id, secret)
    uploaded = own.upload_signing_certificate(CertificateBody=certificate("self"))["Certificate"]
    assert uploaded["UserName"] == name
    assert [c["CertificateId"] for c in own.list_signing_certificates()["Certificates"]] == [uploaded["CertificateId"]]
    with pytest.raises(ClientError) as e:
        own.list_ssh_public_keys()
    assert error(e)[0] == "AccessDenied"


@pytest.mark.parametrize("service", ["codecommit.amazonaws.com", "cassandra.amazonaws.com"])
def test_a_service_specific_credential_follows_the_recorded_lifecycle(server, service):
    iam = server.client("iam")
    iam.create_user(UserName="git")
    created = iam.create_service_specific_credential(UserName="git", ServiceName=service)["ServiceSpecificCredential"]
    assert created["ServiceUserName"] == f"git-at-{ACCOUNT_ID}"
    assert (created["ServiceName"], created["Status"], created["UserName"]) == (service, "Active", "git")
    assert len(created["ServicePassword"]) >= 40
    cred_id = created["ServiceSpecificCredentialId"]
    listed = iam.list_service_specific_credentials(UserName="git")["ServiceSpecificCredentials"]
    assert [c["ServiceSpecificCredentialId"] for c in listed] == [cred_id]
    assert "ServicePassword" not in listed[0]
    iam.update_service_specific_credential(UserName="git", ServiceSpecificCredentialId=cred_id, Status="Inactive")
    reset = iam.reset_service_specific_credential(UserName="git", ServiceSpecificCredentialId=cred_id)["ServiceSpecificCredential"]
    assert reset["Status"] == "Inactive" and reset["ServicePassword"] != created["ServicePassword"]
    with pytest.raises(ClientError) as e:
        iam.delete_user(UserName="git")
    assert error(e) == ("DeleteConflict", "Cannot delete entity, must remove referenced objects first.", 409)
    iam.delete_service_specific_credential(UserName="git", ServiceSpecificCredentialId=cred_id)
    assert iam.list_service_specific_credentials(UserName="git")["ServiceSpecificCredentials"] == []
    iam.delete_user(UserName="git")


def test_unsupported_services_and_unknown_credentials_are_answered_as_recorded(server):
    iam = server.client("iam")
    iam.create_user(UserName="git")
    with pytest.raises(ClientError) as e:
        iam.create_service_specific_credential(UserName="git", ServiceName="lambda.amazonaws.com")
    assert error(e) == ("NoSuchEntity", "No such service lambda.amazonaws.com is supported for Service Specific Credentials", 404)
    with pytest.raises(ClientError) as e:
        iam.create_service_specific_credential(UserName="non-existent-user", ServiceName="lambda.amazonaws.com")
    assert error(e) == ("NoSuchEntity", "The user with name non-existent-user cannot be found.", 404)
    with pytest.raises(ClientError) as e:
        iam.reset_service_specific_credential(UserName="git", ServiceSpecificCredentialId="satisfiesregexbutstillinvalid")
    assert error(e) == ("NoSuchEntity", "No such credential satisfiesregexbutstillinvalid exists", 404)
    with pytest.raises(ClientError) as e:
        iam.update_service_specific_credential(UserName="git", ServiceSpecificCredentialId="totally-wrong-credential-id-with-hyphens", Status="Active")
    assert error(e) == ("ValidationError",
                        "1 validation error detected: Value at 'serviceSpecificCredentialId' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w]+",
                        400)


def test_a_bedrock_api_key_has_an_alias_a_secret_and_an_expiry(server):
    iam = server.client("iam")
    iam.create_user(UserName="ml")
    created = iam.create_service_specific_credential(UserName="ml", ServiceName="bedrock.amazonaws.com",
                                                     CredentialAgeDays=30)["ServiceSpecificCredential"]
    assert created["ServiceCredentialAlias"].startswith("BedrockAPIKey-")
    assert created["ServiceCredentialAlias"].endswith(f"-at-{ACCOUNT_ID}")
    assert created["ServiceCredentialSecret"].startswith("ABSK")
    assert "ServicePassword" not in created
    lifetime = created["ExpirationDate"] - created["CreateDate"]
    assert lifetime == datetime.timedelta(days=30)
    every = iam.list_service_specific_credentials(AllUsers=True, ServiceName="bedrock.amazonaws.com")
    assert [c["UserName"] for c in every["ServiceSpecificCredentials"]] == ["ml"]


def test_the_cli_uploads_lists_and_deletes_an_ssh_key(server, tmp_path):
    server.client("iam").create_user(UserName="cli")
    path = tmp_path / "key.pub"
    path.write_text(openssh(rsa_key()))
    out = json.loads(server.cli("iam", "upload-ssh-public-key", "--user-name", "cli",
                                "--ssh-public-key-body", f"file://{path}").stdout)
    key_id = out["SSHPublicKey"]["SSHPublicKeyId"]
    listed = json.loads(server.cli("iam", "list-ssh-public-keys", "--user-name", "cli").stdout)
    assert [k["SSHPublicKeyId"] for k in listed["SSHPublicKeys"]] == [key_id]
    server.cli("iam", "delete-ssh-public-key", "--user-name", "cli", "--ssh-public-key-id", key_id)
    listed = json.loads(server.cli("iam", "list-ssh-public-keys", "--user-name", "cli").stdout)
    assert listed["SSHPublicKeys"] == []
