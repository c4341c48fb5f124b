"""AssumeRoleWithSAML through boto3 and the aws CLI, with SAML 2.0
responses built and signed here (RSA-SHA256 over exclusive
canonicalization, as identity providers sign them) by an identity
provider whose certificate is registered in the provider's metadata,
and assertions encrypted here (XML Encryption: AES-GCM or AES-CBC,
the content key wrapped with RSA-OAEP) for the provider's private keys."""

import base64
import copy
import datetime
import hashlib
import json
import os
import uuid

import boto3
import pytest
from botocore import UNSIGNED
from botocore.config import Config
from botocore.exceptions import ClientError
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.x509.oid import NameOID
from lxml import etree

from conftest import ACCOUNT_ID

ISSUER = "https://idp.example.com/saml"
PROVIDER = f"arn:aws:iam::{ACCOUNT_ID}:saml-provider/corp"
ROLE = f"arn:aws:iam::{ACCOUNT_ID}:role/sso-dev"
AWS_ENDPOINT = "https://signin.aws.amazon.com/saml"
ATTR = "https://aws.amazon.com/SAML/Attributes/"
NS = {
    "samlp": "urn:oasis:names:tc:SAML:2.0:protocol",
    "saml": "urn:oasis:names:tc:SAML:2.0:assertion",
    "ds": "http://www.w3.org/2000/09/xmldsig#",
}


class IdP:
    """A key pair and self-signed certificate standing for an identity provider."""

    def __init__(self):
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "idp.example.com")])
        now = datetime.datetime.now(datetime.timezone.utc)
        self.cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
                     .public_key(self.key.public_key()).serial_number(x509.random_serial_number())
                     .not_valid_before(now - datetime.timedelta(days=1))
                     .not_valid_after(now + datetime.timedelta(days=365))
                     .sign(self.key, hashes.SHA256()))

    def cert_b64(self):
        return base64.b64encode(self.cert.public_bytes(serialization.Encoding.DER)).decode()

    def metadata(self):
        return f"""<?xml version="1.0"?>
<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" entityID="{ISSUER}">
  <md:IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">
    <md:KeyDescriptor use="signing">
      <ds:KeyInfo xmlns:ds="http://www.w3.org/2000/09/xmldsig#"><ds:X509Data>
        <ds:X509Certificate>{self.cert_b64()}</ds:X509Certificate>
      </ds:X509Data></ds:KeyInfo>
    </md:KeyDescriptor>
    <md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" Location="https://idp.example.com/sso"/>
  </md:IDPSSODescriptor>
</md:EntityDescriptor>"""

    def sign(self, element):
        """Appends an enveloped signature to `element` (after its Issuer)."""
        ref = element.get("ID")
        digest = base64.b64encode(hashlib.sha256(
            etree.tostring(element, method="c14n", exclusive=True, with_comments=False)).digest()).decode()
        ds = NS["ds"]
        signature = etree.Element(f"{{{ds}}}Signature", nsmap={"ds": ds})
        info = etree.SubElement(signature, f"{{{ds}}}SignedInfo")
        etree.SubElement(info, f"{{{ds}}}CanonicalizationMethod",
                         Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#")
        etree.SubElement(info, f"{{{ds}}}SignatureMethod",
                         Algorithm="http://www.w3.org/2001/04/xmldsig-more#rsa-sha256")
        reference = etree.SubElement(info, f"{{{ds}}}Reference", URI=f"#{ref}")
        transforms = etree.SubElement(reference, f"{{{ds}}}Transforms")
        etree.SubElement(transforms, f"{{{ds}}}Transform",
                         Algorithm="http://www.w3.org/2000/09/xmldsig#enveloped-signature")
        etree.SubElement(transforms, f"{{{ds}}}Transform",
                         Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#")
        etree.SubElement(reference, f"{{{ds}}}DigestMethod",
                         Algorithm="http://www.w3.org/2001/04/xmlenc#sha256")
        etree.SubElement(reference, f"{{{ds}}}DigestValue").text = digest
        issuer = element.find("saml:Issuer", NS)
        issuer.addnext(signature)
        signed_info = etree.tostring(info, method="c14n", exclusive=True, with_comments=False)
        value = self.key.sign(signed_info, padding.PKCS1v15(), hashes.SHA256())
        etree.SubElement(signature, f"{{{ds}}}SignatureValue").text = base64.b64encode(value).decode()
        key_info = etree.SubElement(signature, f"{{{ds}}}KeyInfo")
        x509_data = etree.SubElement(key_info, f"{{{ds}}}X509Data")
        etree.SubElement(x509_data, f"{{{ds}}}X509Certificate").text = self.cert_b64()


def iso(t):
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def response(roles=(f"{ROLE},{PROVIDER}",), session_name="alice@example.com", audience="urn:amazon:webservices",
             recipient=AWS_ENDPOINT, lifetime=300, extra_attributes=(), issuer=ISSUER):
    """An unsigned SAML Response element with one Assertion."""
    now = datetime.datetime.now(datetime.timezone.utc)
    later = iso(now + datetime.timedelta(seconds=lifetime))
    attributes = [(f"{ATTR}Role", list(roles))]
    if session_name is not None:
        attributes.append((f"{ATTR}RoleSessionName", [session_name]))
    attributes.extend(extra_attributes)
    attrs = "".join(
        f'<saml:Attribute Name="{name}">' + "".join(
            f"<saml:AttributeValue>{v}</saml:AttributeValue>" for v in values) + "</saml:Attribute>"
        for name, values in attributes)
    xml = f"""<samlp:Response xmlns:samlp="{NS['samlp']}" xmlns:saml="{NS['saml']}" ID="_{uuid.uuid4().hex}" Version="2.0" IssueInstant="{iso(now)}" Destination="{AWS_ENDPOINT}">
  <saml:Issuer>{issuer}</saml:Issuer>
  <samlp:Status><samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Success"/></samlp:Status>
  <saml:Assertion ID="_{uuid.uuid4().hex}" Version="2.0" IssueInstant="{iso(now)}">
    <saml:Issuer>{issuer}</saml:Issuer>
    <saml:Subject>
      <saml:NameID Format="urn:oasis:names:tc:SAML:2.0:nameid-format:persistent">alice-1234</saml:NameID>
      <saml:SubjectConfirmation Method="urn:oasis:names:tc:SAML:2.0:cm:bearer">
        <saml:SubjectConfirmationData NotOnOrAfter="{later}" Recipient="{recipient}"/>
      </saml:SubjectConfirmation>
    </saml:Subject>
    <saml:Conditions NotBefore="{iso(now - datetime.timedelta(seconds=5))}" NotOnOrAfter="{later}">
      <saml:AudienceRestriction><saml:Audience>{audience}</saml:Audience></saml:AudienceRestriction>
    </saml:Conditions>
    <saml:AuthnStatement AuthnInstant="{iso(now)}"><saml:AuthnContext><saml:AuthnContextClassRef>urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport</saml:AuthnContextClassRef></saml:AuthnContext></saml:AuthnStatement>
    <saml:AttributeStatement>{attrs}</saml:AttributeStatement>
  </saml:Assertion>
</samlp:Response>"""
    return etree.fromstring(xml)


def signed_assertion(idp, **kwargs):
    root = response(**kwargs)
    idp.sign(root.find("saml:Assertion", NS))
    return root


def encode(root):
    return base64.b64encode(etree.tostring(root)).decode()


TRUST = {
    "Version": "2012-10-17",
    "Statement": [{
        "Effect": "Allow",
        "Principal": {"Federated": PROVIDER},
        "Action": ["sts:AssumeRoleWithSAML", "sts:TagSession"],
        "Condition": {"StringEquals": {"SAML:aud": AWS_ENDPOINT}},
    }],
}


@pytest.fixture
def idp(server):
    provider = IdP()
    iam = server.client("iam")
    iam.create_saml_provider(Name="corp", SAMLMetadataDocument=provider.metadata())
    iam.create_role(RoleName="sso-dev", AssumeRolePolicyDocument=json.dumps(TRUST))
    iam.put_role_policy(RoleName="sso-dev", PolicyName="read", PolicyDocument=json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "iam:ListRoles", "Resource": "*"}]}))
    return provider


def unsigned_sts(server):
    return boto3.client("sts", endpoint_url=server.endpoint, region_name="us-east-1",
                        config=Config(signature_version=UNSIGNED, retries={"max_attempts": 1}))


def assume(server, assertion, role=ROLE, **kwargs):
    return unsigned_sts(server).assume_role_with_saml(
        RoleArn=role, PrincipalArn=PROVIDER, SAMLAssertion=assertion, **kwargs)


def refused(server, assertion, **kwargs):
    with pytest.raises(ClientError) as e:
        assume(server, assertion, **kwargs)
    return e.value.response["Error"]["Code"], e.value.response["Error"]["Message"]


def test_a_signed_assertion_gives_role_credentials_that_work(server, idp):
    out = assume(server, encode(signed_assertion(idp)))
    assert out["AssumedRoleUser"]["Arn"] == f"arn:aws:sts::{ACCOUNT_ID}:assumed-role/sso-dev/alice@example.com"
    assert (out["Subject"], out["SubjectType"], out["Issuer"], out["Audience"]) == (
        "alice-1234", "persistent", ISSUER, AWS_ENDPOINT)
    expected = base64.b64encode(hashlib.sha1(f"{ISSUER}{ACCOUNT_ID}/corp".encode()).digest()).decode()
    assert out["NameQualifier"] == expected
    creds = out["Credentials"]
    session = boto3.client("sts", endpoint_url=server.endpoint, region_name="us-east-1",
                           aws_access_key_id=creds["AccessKeyId"], aws_secret_access_key=creds["SecretAccessKey"],
                           aws_session_token=creds["SessionToken"])
    assert session.get_caller_identity()["Arn"] == out["AssumedRoleUser"]["Arn"]
    iam = boto3.client("iam", endpoint_url=server.endpoint, region_name="us-east-1",
                       aws_access_key_id=creds["AccessKeyId"], aws_secret_access_key=creds["SecretAccessKey"],
                       aws_session_token=creds["SessionToken"])
    assert [r["RoleName"] for r in iam.list_roles()["Roles"]] == ["sso-dev"]
    with pytest.raises(ClientError) as e:
        iam.list_users()
    assert e.value.response["Error"]["Code"] == "AccessDenied"


def test_the_aws_cli_assumes_the_role_without_credentials(server, idp):
    result = server.cli("sts", "assume-role-with-saml", "--role-arn", ROLE, "--principal-arn", PROVIDER,
                        "--saml-assertion", encode(signed_assertion(idp)), "--no-sign-request")
    out = json.loads(result.stdout)
    assert out["AssumedRoleUser"]["Arn"].endswith(":assumed-role/sso-dev/alice@example.com")


def test_a_signed_request_is_answered_as_the_assertion_says(server, idp):
    out = server.client("sts").assume_role_with_saml(
        RoleArn=ROLE, PrincipalArn=PROVIDER, SAMLAssertion=encode(signed_assertion(idp)))
    assert out["AssumedRoleUser"]["Arn"].endswith(":assumed-role/sso-dev/alice@example.com")


def test_a_signed_response_is_accepted_too(server, idp):
    root = response()
    idp.sign(root)
    assert assume(server, encode(root))["Subject"] == "alice-1234"


def test_a_tampered_assertion_is_refused(server, idp):
    root = signed_assertion(idp)
    root.find(".//saml:NameID", NS).text = "mallory"
    assert refused(server, encode(root)) == ("InvalidIdentityToken", "Response signature invalid")


def test_an_assertion_signed_by_another_key_is_refused(server, idp):
    assert refused(server, encode(signed_assertion(IdP()))) == ("InvalidIdentityToken", "Response signature invalid")


def test_an_unsigned_assertion_is_refused(server, idp):
    assert refused(server, encode(response())) == ("InvalidIdentityToken", "Response signature invalid")


def test_signature_wrapping_is_refused(server, idp):
    # The signed assertion moved into an extension, an evil one in its place.
    root = signed_assertion(idp)
    genuine = root.find("saml:Assertion", NS)
    evil = copy.deepcopy(genuine)
    evil.set("ID", "_evil")
    evil.remove(evil.find("ds:Signature", NS))
    evil.find(".//saml:NameID", NS).text = "mallory"
    extensions = etree.SubElement(root, f"{{{NS['samlp']}}}Extensions")
    root.remove(genuine)
    extensions.append(genuine)
    root.append(evil)
    code, _ = refused(server, encode(root))
    assert code == "InvalidIdentityToken"
    # Two assertions side by side, only one signed.
    root = signed_assertion(idp)
    root.append(evil)
    code, message = refused(server, encode(root))
    assert (code, message) == ("InvalidIdentityToken",
                               "Invalid SAML response received: the response has more than one assertion.")


def test_an_expired_assertion_is_refused(server, idp):
    code, _ = refused(server, encode(signed_assertion(idp, lifetime=-600)))
    assert code == "ExpiredTokenException"


def test_an_assertion_for_another_audience_or_recipient_is_refused(server, idp):
    code, message = refused(server, encode(signed_assertion(idp, audience="https://other.example.com")))
    assert code == "InvalidIdentityToken" and "audience" in message
    code, message = refused(server, encode(signed_assertion(idp, recipient="https://other.example.com/acs")))
    assert code == "InvalidIdentityToken" and "Recipient" in message


def test_another_issuer_is_refused(server, idp):
    code, message = refused(server, encode(signed_assertion(idp, issuer="https://evil.example.com")))
    assert code == "InvalidIdentityToken" and "Issuer" in message


def test_a_role_the_assertion_does_not_name_is_refused(server, idp):
    server.client("iam").create_role(RoleName="other", AssumeRolePolicyDocument=json.dumps(TRUST))
    other = f"arn:aws:iam::{ACCOUNT_ID}:role/other"
    assert refused(server, encode(signed_assertion(idp)), role=other) == (
        "AccessDenied", "Not authorized to perform sts:AssumeRoleWithSAML")
    # The pair may be written provider first.
    out = assume(server, encode(signed_assertion(idp, roles=(f"{PROVIDER},{other}",))), role=other)
    assert out["AssumedRoleUser"]["Arn"].endswith(":assumed-role/other/alice@example.com")


def test_an_unmet_trust_condition_is_refused(server, idp):
    trust = copy.deepcopy(TRUST)
    trust["Statement"][0]["Condition"] = {"StringEquals": {"saml:sub": "bob-5678"}}
    server.client("iam").update_assume_role_policy(RoleName="sso-dev", PolicyDocument=json.dumps(trust))
    assert refused(server, encode(signed_assertion(idp))) == (
        "AccessDenied", "Not authorized to perform sts:AssumeRoleWithSAML")
    trust["Statement"][0]["Condition"] = {"StringEquals": {"saml:sub": "alice-1234", "saml:iss": ISSUER,
                                                           "saml:sub_type": "persistent",
                                                           "saml:doc": f"{ACCOUNT_ID}/corp"}}
    server.client("iam").update_assume_role_policy(RoleName="sso-dev", PolicyDocument=json.dumps(trust))
    assert assume(server, encode(signed_assertion(idp)))["Subject"] == "alice-1234"


def test_malformed_assertions_are_refused(server, idp):
    assert refused(server, "not base64!!") == ("InvalidIdentityToken", "Invalid base64 SAMLResponse.")
    code, _ = refused(server, base64.b64encode(b"<samlp:Response").decode())
    assert code == "InvalidIdentityToken"
    doctype = b'<!DOCTYPE r [<!ENTITY e "x">]><samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol">&e;</samlp:Response>'
    code, _ = refused(server, base64.b64encode(doctype).decode())
    assert code == "InvalidIdentityToken"


def test_a_missing_or_invalid_session_name_is_refused(server, idp):
    code, _ = refused(server, encode(signed_assertion(idp, session_name=None)))
    assert code == "InvalidIdentityToken"
    assert refused(server, encode(signed_assertion(idp, session_name="has space"))) == (
        "InvalidIdentityToken", "RoleSessionName in AuthnResponse must match [a-zA-Z_0-9+=,.@-]{2,64}")


def test_principal_tags_become_session_tags_and_need_tag_session(server, idp):
    tags = [(f"{ATTR}PrincipalTag:team", ["platform"]), (f"{ATTR}TransitiveTagKeys", ["team"]),
            (f"{ATTR}SessionDuration", ["1200"])]
    out = assume(server, encode(signed_assertion(idp, extra_attributes=tags)))
    assert out["PackedPolicySize"] >= 0
    expires = out["Credentials"]["Expiration"]
    assert expires - datetime.datetime.now(datetime.timezone.utc) <= datetime.timedelta(seconds=1210)
    creds = out["Credentials"]
    iam = boto3.client("iam", endpoint_url=server.endpoint, region_name="us-east-1",
                       aws_access_key_id=creds["AccessKeyId"], aws_secret_access_key=creds["SecretAccessKey"],
                       aws_session_token=creds["SessionToken"])
    server.client("iam").put_role_policy(RoleName="sso-dev", PolicyName="tagged", PolicyDocument=json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "iam:ListUsers", "Resource": "*",
                                                 "Condition": {"StringEquals": {"aws:PrincipalTag/team": "platform"}}}]}))
    iam.list_users()
    trust = copy.deepcopy(TRUST)
    trust["Statement"][0]["Action"] = "sts:AssumeRoleWithSAML"
    server.client("iam").update_assume_role_policy(RoleName="sso-dev", PolicyDocument=json.dumps(trust))
    assert refused(server, encode(signed_assertion(idp, extra_attributes=tags))) == (
        "AccessDenied", "Not authorized to perform sts:TagSession")
    # Without tags the same trust policy lets the assertion in.
    assert assume(server, encode(signed_assertion(idp)))["Subject"] == "alice-1234"


def test_an_unknown_provider_is_refused(server, idp):
    with pytest.raises(ClientError) as e:
        unsigned_sts(server).assume_role_with_saml(
            RoleArn=ROLE, PrincipalArn=f"arn:aws:iam::{ACCOUNT_ID}:saml-provider/none",
            SAMLAssertion=encode(signed_assertion(idp)))
    assert e.value.response["Error"]["Code"] == "InvalidIdentityToken"


def test_other_operations_still_need_a_signature(server, idp):
    with pytest.raises(ClientError) as e:
        unsigned_sts(server).get_caller_identity()
    assert e.value.response["Error"]["Code"] == "MissingAuthenticationToken"


def test_federation_works_on_every_backend(any_backend_server):
    server = any_backend_server
    provider = IdP()
    iam = server.client("iam")
    iam.create_saml_provider(Name="corp", SAMLMetadataDocument=provider.metadata())
    iam.create_role(RoleName="sso-dev", AssumeRolePolicyDocument=json.dumps(TRUST))
    out = assume(server, encode(signed_assertion(provider)))
    assert out["AssumedRoleUser"]["Arn"].endswith(":assumed-role/sso-dev/alice@example.com")
    assert refused(server, encode(signed_assertion(IdP()))) == ("InvalidIdentityToken", "Response signature invalid")


def test_a_comment_cannot_shorten_a_signed_value(server, idp):
    # The identity provider signs an issuer that merely starts with the
    # trusted one; a comment inside it must not make it compare equal.
    root = response(issuer=ISSUER)
    assertion = root.find("saml:Assertion", NS)
    issuer = assertion.find("saml:Issuer", NS)
    issuer.text = ISSUER
    issuer.append(etree.Comment(" x "))
    issuer[-1].tail = ".evil"
    idp.sign(assertion)
    code, message = refused(server, encode(root))
    assert code == "InvalidIdentityToken" and "Issuer" in message


def test_a_saml_session_carries_no_federated_provider_key(server, idp):
    # AWS documents aws:FederatedProvider in the sessions of roles assumed
    # with an OIDC provider (AssumeRoleWithWebIdentity) only (IAM User Guide,
    # global condition context keys): a SAML session's request context has
    # none, so a condition naming the SAML provider matches nothing, and a
    # Null check finds the key absent.
    admin = server.client("iam")
    admin.put_role_policy(RoleName="sso-dev", PolicyName="by-provider", PolicyDocument=json.dumps(
        {"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": "iam:ListUsers", "Resource": "*",
             "Condition": {"StringEquals": {"aws:FederatedProvider": PROVIDER}}},
            {"Effect": "Allow", "Action": "iam:ListGroups", "Resource": "*",
             "Condition": {"Null": {"aws:FederatedProvider": "true"}}}]}))
    creds = assume(server, encode(signed_assertion(idp)))["Credentials"]
    iam = boto3.client("iam", endpoint_url=server.endpoint, region_name="us-east-1",
                       aws_access_key_id=creds["AccessKeyId"], aws_secret_access_key=creds["SecretAccessKey"],
                       aws_session_token=creds["SessionToken"], config=Config(retries={"max_attempts": 1}))
    with pytest.raises(ClientError) as e:
        iam.list_users()
    assert e.value.response["Error"]["Code"] == "AccessDenied"
    assert iam.list_groups()["Groups"] == []


# Encrypted assertions: the IdP encrypts the assertion for a private key
# uploaded to the SAML provider (XML Encryption: a fresh content key
# encrypts the assertion, RSA-OAEP wraps the content key).

XENC = "http://www.w3.org/2001/04/xmlenc#"
XENC11 = "http://www.w3.org/2009/xmlenc11#"
MGF1P = f"{XENC}rsa-oaep-mgf1p"


def new_private_key():
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def pem(key):
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption()).decode()


def add_key(server, key, mode=None):
    extra = {"AssertionEncryptionMode": mode} if mode else {}
    server.client("iam").update_saml_provider(SAMLProviderArn=PROVIDER, AddPrivateKey=pem(key), **extra)


def encrypt_assertion(root, public_key, data=f"{XENC11}aes256-gcm", transport=MGF1P,
                      plaintext_edit=lambda text: text):
    """Replaces the Response's Assertion by an EncryptedAssertion for `public_key`."""
    assertion = root.find("saml:Assertion", NS)
    # lxml serializes the element with the namespace declarations it uses,
    # as Okta, ADFS and Keycloak encrypt it.
    plaintext = plaintext_edit(etree.tostring(assertion).decode()).encode()
    key_len = 16 if "128" in data else 32
    content_key = os.urandom(key_len)
    if data.endswith("-gcm"):
        iv = os.urandom(12)
        body = iv + AESGCM(content_key).encrypt(iv, plaintext, None)
    else:
        iv = os.urandom(16)
        pad = 16 - len(plaintext) % 16
        padded = plaintext + bytes([pad]) * pad
        encryptor = Cipher(algorithms.AES(content_key), modes.CBC(iv)).encryptor()
        body = iv + encryptor.update(padded) + encryptor.finalize()
    digest_xml = ""
    if transport == MGF1P:
        wrapped = public_key.encrypt(content_key, padding.OAEP(
            mgf=padding.MGF1(hashes.SHA1()), algorithm=hashes.SHA1(), label=None))
        digest_xml = '<ds:DigestMethod Algorithm="http://www.w3.org/2000/09/xmldsig#sha1"/>'
    elif transport == f"{XENC11}rsa-oaep":
        wrapped = public_key.encrypt(content_key, padding.OAEP(
            mgf=padding.MGF1(hashes.SHA256()), algorithm=hashes.SHA256(), label=None))
        digest_xml = (f'<ds:DigestMethod Algorithm="{XENC}sha256"/>'
                      f'<xenc11:MGF xmlns:xenc11="{XENC11}" Algorithm="{XENC11}mgf1sha256"/>')
    else:  # RSA PKCS #1 v1.5
        wrapped = public_key.encrypt(content_key, padding.PKCS1v15())
    b64 = lambda b: base64.b64encode(b).decode()
    encrypted = etree.fromstring(f"""<saml:EncryptedAssertion xmlns:saml="{NS['saml']}">
  <xenc:EncryptedData xmlns:xenc="{XENC}" Type="{XENC}Element">
    <xenc:EncryptionMethod Algorithm="{data}"/>
    <ds:KeyInfo xmlns:ds="{NS['ds']}">
      <xenc:EncryptedKey>
        <xenc:EncryptionMethod Algorithm="{transport}">{digest_xml}</xenc:EncryptionMethod>
        <xenc:CipherData><xenc:CipherValue>{b64(wrapped)}</xenc:CipherValue></xenc:CipherData>
      </xenc:EncryptedKey>
    </ds:KeyInfo>
    <xenc:CipherData><xenc:CipherValue>{b64(body)}</xenc:CipherValue></xenc:CipherData>
  </xenc:EncryptedData>
</saml:EncryptedAssertion>""")
    assertion.addprevious(encrypted)
    root.remove(assertion)
    return root


def tamper_ciphertext(root):
    value = root.findall(".//{%s}CipherValue" % XENC)[-1]
    raw = bytearray(base64.b64decode(value.text))
    raw[20] ^= 0x01
    value.text = base64.b64encode(bytes(raw)).decode()
    return root


UNDECRYPTABLE = ("InvalidIdentityToken",
                 "Invalid SAML response received: the encrypted assertion could not be decrypted.")


def test_an_encrypted_signed_assertion_assumes_the_role(server, idp):
    key = new_private_key()
    add_key(server, key)
    out = assume(server, encode(encrypt_assertion(signed_assertion(idp), key.public_key())))
    assert out["AssumedRoleUser"]["Arn"] == f"arn:aws:sts::{ACCOUNT_ID}:assumed-role/sso-dev/alice@example.com"
    assert (out["Subject"], out["Issuer"], out["Audience"]) == ("alice-1234", ISSUER, AWS_ENDPOINT)
    creds = out["Credentials"]
    session = boto3.client("sts", endpoint_url=server.endpoint, region_name="us-east-1",
                           aws_access_key_id=creds["AccessKeyId"], aws_secret_access_key=creds["SecretAccessKey"],
                           aws_session_token=creds["SessionToken"])
    assert session.get_caller_identity()["Arn"] == out["AssumedRoleUser"]["Arn"]
    # XML Encryption 1.1's RSA-OAEP with SHA-256 wraps the key as well.
    out = assume(server, encode(encrypt_assertion(signed_assertion(idp), key.public_key(),
                                                  transport=f"{XENC11}rsa-oaep")))
    assert out["Subject"] == "alice-1234"


def test_aes_cbc_with_rsa_oaep_mgf1p_works(server, idp):
    key = new_private_key()
    add_key(server, key)
    root = encrypt_assertion(signed_assertion(idp), key.public_key(), data=f"{XENC}aes128-cbc")
    assert assume(server, encode(root))["Subject"] == "alice-1234"


def test_a_response_signed_over_its_encrypted_assertion_is_accepted(server, idp):
    # Only the Response is signed, and its signature covers the assertion
    # as sent (encrypted); a change to the ciphertext breaks it.
    key = new_private_key()
    add_key(server, key)
    root = encrypt_assertion(response(), key.public_key())
    idp.sign(root)
    assert assume(server, encode(root))["Subject"] == "alice-1234"
    root = encrypt_assertion(response(), key.public_key())
    idp.sign(root)
    assert refused(server, encode(tamper_ciphertext(root))) == ("InvalidIdentityToken", "Response signature invalid")


def test_an_assertion_relying_on_the_responses_namespace_declarations_is_read_in_its_context(server, idp):
    key = new_private_key()
    add_key(server, key)
    # The plaintext uses the saml: prefix the Response declares.
    drop_declaration = lambda text: text.replace(f' xmlns:saml="{NS["saml"]}"', "", 1)
    root = encrypt_assertion(signed_assertion(idp), key.public_key(), plaintext_edit=drop_declaration)
    assert assume(server, encode(root))["Subject"] == "alice-1234"


def test_an_encrypted_assertion_still_needs_a_valid_signature(server, idp):
    key = new_private_key()
    add_key(server, key)
    # With the Response unsigned, the ciphertext is unauthenticated: until
    # the assertion's own signature holds, every refusal is the same one,
    # so the answers cannot serve as a decryption oracle.
    assert refused(server, encode(encrypt_assertion(response(), key.public_key()))) == UNDECRYPTABLE
    root = signed_assertion(idp)
    root.find(".//saml:NameID", NS).text = "mallory"
    assert refused(server, encode(encrypt_assertion(root, key.public_key()))) == UNDECRYPTABLE
    # With the Response signed over the ciphertext, the refusal is told.
    root = signed_assertion(idp)
    root.find(".//saml:NameID", NS).text = "mallory"
    root = encrypt_assertion(root, key.public_key())
    idp.sign(root)
    assert refused(server, encode(root)) == ("InvalidIdentityToken", "Response signature invalid")
    # The claims of a genuinely signed assertion are checked as ever.
    code, message = refused(server, encode(encrypt_assertion(
        signed_assertion(idp, audience="https://other.example.com"), key.public_key())))
    assert code == "InvalidIdentityToken" and "audience" in message


def test_an_assertion_encrypted_for_another_key_is_refused(server, idp):
    add_key(server, new_private_key())
    root = encrypt_assertion(signed_assertion(idp), new_private_key().public_key())
    assert refused(server, encode(root)) == UNDECRYPTABLE


def test_a_provider_without_private_keys_refuses_an_encrypted_assertion(server, idp):
    root = encrypt_assertion(signed_assertion(idp), new_private_key().public_key())
    assert refused(server, encode(root)) == (
        "InvalidIdentityToken",
        "Invalid SAML response received: the SAML provider has no private key to decrypt the assertion.")


def test_rsa_v15_key_transport_is_refused(server, idp):
    key = new_private_key()
    add_key(server, key)
    root = encrypt_assertion(signed_assertion(idp), key.public_key(), transport=f"{XENC}rsa-1_5")
    assert refused(server, encode(root)) == (
        "InvalidIdentityToken",
        f"Invalid SAML response received: the encryption algorithm {XENC}rsa-1_5 is not supported.")


def test_required_encryption_refuses_a_plain_assertion_and_accepts_an_encrypted_one(server, idp):
    key = new_private_key()
    add_key(server, key, mode="Required")
    assert refused(server, encode(signed_assertion(idp))) == (
        "InvalidIdentityToken",
        "Invalid SAML response received: the SAML provider requires encrypted assertions.")
    out = assume(server, encode(encrypt_assertion(signed_assertion(idp), key.public_key())))
    assert out["Subject"] == "alice-1234"
    # Allowed again: both are accepted.
    server.client("iam").update_saml_provider(SAMLProviderArn=PROVIDER, AssertionEncryptionMode="Allowed")
    assert assume(server, encode(signed_assertion(idp)))["Subject"] == "alice-1234"
    assert assume(server, encode(encrypt_assertion(signed_assertion(idp), key.public_key())))["Subject"] == "alice-1234"


def test_the_second_of_two_provider_keys_decrypts(server, idp):
    first, second = new_private_key(), new_private_key()
    add_key(server, first)
    add_key(server, second)
    root = encrypt_assertion(signed_assertion(idp), second.public_key())
    assert assume(server, encode(root))["Subject"] == "alice-1234"
    # Once the second key is removed, its assertions no longer decrypt.
    iam = server.client("iam")
    key_ids = [k["KeyId"] for k in iam.get_saml_provider(SAMLProviderArn=PROVIDER)["PrivateKeyList"]]
    iam.update_saml_provider(SAMLProviderArn=PROVIDER, RemovePrivateKey=key_ids[1])
    root = encrypt_assertion(signed_assertion(idp), second.public_key())
    assert refused(server, encode(root)) == UNDECRYPTABLE


def test_a_tampered_ciphertext_is_refused(server, idp):
    key = new_private_key()
    add_key(server, key)
    for data in (f"{XENC11}aes256-gcm", f"{XENC}aes256-cbc", f"{XENC}aes128-cbc"):
        root = tamper_ciphertext(encrypt_assertion(signed_assertion(idp), key.public_key(), data=data))
        # GCM detects it; a CBC block changed garbles the XML or breaks the
        # assertion's signature: the answer is the same either way.
        assert refused(server, encode(root)) == UNDECRYPTABLE, data


def test_encrypted_assertions_work_on_every_backend(any_backend_server):
    server = any_backend_server
    provider = IdP()
    iam = server.client("iam")
    key = new_private_key()
    iam.create_saml_provider(Name="corp", SAMLMetadataDocument=provider.metadata(), AddPrivateKey=pem(key),
                             AssertionEncryptionMode="Required")
    iam.create_role(RoleName="sso-dev", AssumeRolePolicyDocument=json.dumps(TRUST))
    out = assume(server, encode(encrypt_assertion(signed_assertion(provider), key.public_key())))
    assert out["AssumedRoleUser"]["Arn"].endswith(":assumed-role/sso-dev/alice@example.com")
    assert refused(server, encode(signed_assertion(provider)))[1] == (
        "Invalid SAML response received: the SAML provider requires encrypted assertions.")
    other = new_private_key()
    assert refused(server, encode(encrypt_assertion(signed_assertion(provider), other.public_key()))) == UNDECRYPTABLE
    # The key is stored sealed: after a restart it is opened from the store.
    server.stop()
    server.start()
    out = assume(server, encode(encrypt_assertion(signed_assertion(provider), key.public_key())))
    assert out["AssumedRoleUser"]["Arn"].endswith(":assumed-role/sso-dev/alice@example.com")


def test_a_private_key_that_cannot_decrypt_is_refused_at_upload(server, idp):
    iam = server.client("iam")
    not_rsa = "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n"
    with pytest.raises(ClientError) as e:
        iam.update_saml_provider(SAMLProviderArn=PROVIDER, AddPrivateKey=not_rsa)
    assert e.value.response["Error"]["Code"] == "InvalidInput"
    assert iam.get_saml_provider(SAMLProviderArn=PROVIDER)["PrivateKeyList"] == []
