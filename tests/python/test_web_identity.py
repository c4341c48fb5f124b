"""AssumeRoleWithWebIdentity (OpenID Connect federation) with the real clients.

A real OpenID Connect issuer runs on loopback over HTTPS, its server
certificate issued by a self-signed CA made here; the CA's SHA-1 thumbprint
(the top certificate of the chain the issuer serves, as AWS's "Obtain the
thumbprint for an OpenID Connect identity provider" describes) is registered
on the IAM provider. Tokens are signed with real RSA and EC keys (PyJWT).
The issuer serves several tenants under their own paths, each an IAM
provider of its own, so that tests do not share cached key sets.

Expected answers are AWS's where documented: the error codes of the STS API
reference for AssumeRoleWithWebIdentity (InvalidIdentityToken,
ExpiredTokenException, IDPCommunicationError, AccessDenied), and the
messages AWS is known to answer ("Incorrect token audience", "No
OpenIDConnect provider found in your account for ISSUER", "Token expired:
current date/time N must be before the expiration date/timeN", "Not
authorized to perform sts:AssumeRoleWithWebIdentity", "OpenIDConnect
provider's HTTPS certificate doesn't match configured thumbprint").
"""

import base64
import datetime
import hashlib
import hmac
import http.server
import json
import os
import socket
import ssl
import subprocess
import sys
import threading
import time
import urllib.parse
import urllib.request
import uuid

import boto3
import jwt
import pytest
from botocore import UNSIGNED
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials
from botocore.exceptions import ClientError
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID

from conftest import ACCOUNT_ID, aws_cli

CLIENT_ID = "tessera-app"
INVALID = "InvalidIdentityToken"


# --- the issuer ---------------------------------------------------------------------------------

def _name(common_name):
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def make_pki(directory):
    """A self-signed CA and a server certificate for 127.0.0.1 it issued; the
    chain file holds both, so the CA is the top of the served chain."""
    now = datetime.datetime.now(datetime.timezone.utc)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = (x509.CertificateBuilder().subject_name(_name("Tessera Test IdP CA")).issuer_name(_name("Tessera Test IdP CA"))
          .public_key(ca_key.public_key()).serial_number(x509.random_serial_number())
          .not_valid_before(now - datetime.timedelta(days=1)).not_valid_after(now + datetime.timedelta(days=30))
          .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
          .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True,
                                       content_commitment=False, key_encipherment=False, data_encipherment=False,
                                       key_agreement=False, encipher_only=False, decipher_only=False), critical=True)
          .sign(ca_key, hashes.SHA256()))
    leaf_key = ec.generate_private_key(ec.SECP256R1())
    import ipaddress
    leaf = (x509.CertificateBuilder().subject_name(_name("127.0.0.1")).issuer_name(ca.subject)
            .public_key(leaf_key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(days=1)).not_valid_after(now + datetime.timedelta(days=30))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                           critical=False)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
            .sign(ca_key, hashes.SHA256()))
    chain = directory / "chain.pem"
    chain.write_bytes(leaf.public_bytes(serialization.Encoding.PEM) + ca.public_bytes(serialization.Encoding.PEM))
    key = directory / "key.pem"
    key.write_bytes(leaf_key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    thumbprint = hashlib.sha1(ca.public_bytes(serialization.Encoding.DER)).hexdigest()
    return chain, key, thumbprint


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


class Tenant:
    """One issuer (`https://127.0.0.1:PORT/NAME`) with its signing keys."""

    def __init__(self, base, name):
        self.name = name
        self.issuer = f"{base}/{name}"
        self.url = self.issuer[len("https://"):]
        self.keys = {}  # kid -> (algorithm, private key)
        self.jwks_hits = 0

    def add_rsa(self, kid, algorithm="RS256"):
        self.keys[kid] = (algorithm, rsa.generate_private_key(public_exponent=65537, key_size=2048))
        return kid

    def add_ec(self, kid, algorithm="ES256"):
        curve = ec.SECP256R1() if algorithm == "ES256" else ec.SECP384R1()
        self.keys[kid] = (algorithm, ec.generate_private_key(curve))
        return kid

    def jwks(self):
        keys = []
        for kid, (algorithm, key) in self.keys.items():
            jwk = json.loads(jwt.algorithms.get_default_algorithms()[algorithm].to_jwk(key.public_key()))
            jwk.update({"kid": kid, "use": "sig", "alg": algorithm})
            keys.append(jwk)
        return {"keys": keys}

    def claims(self, **overrides):
        now = int(time.time())
        claims = {"iss": self.issuer, "sub": "alice", "aud": CLIENT_ID, "iat": now, "exp": now + 600}
        claims.update(overrides)
        return {k: v for k, v in claims.items() if v is not None}

    def token(self, kid, key=None, **overrides):
        algorithm, own = self.keys[kid]
        return jwt.encode(self.claims(**overrides), key or own, algorithm=algorithm, headers={"kid": kid})


class Issuer:
    def __init__(self, tmp):
        chain, key, self.thumbprint = make_pki(tmp)
        self.tenants = {}
        issuer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):
                parts = self.path.strip("/").split("/", 1)
                tenant = issuer.tenants.get(parts[0])
                rest = parts[1] if len(parts) > 1 else ""
                if tenant is None:
                    return self.send_error(404)
                if rest == ".well-known/openid-configuration":
                    body = {"issuer": tenant.issuer, "jwks_uri": f"{tenant.issuer}/jwks",
                            "id_token_signing_alg_values_supported": ["RS256", "ES256"]}
                elif rest == "jwks":
                    tenant.jwks_hits += 1
                    body = tenant.jwks()
                else:
                    return self.send_error(404)
                data = json.dumps(body).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(chain, key)
        self.httpd.socket = context.wrap_socket(self.httpd.socket, server_side=True)
        self.base = f"https://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def tenant(self):
        tenant = Tenant(self.base, "t" + uuid.uuid4().hex[:10])
        self.tenants[tenant.name] = tenant
        return tenant

    def close(self):
        self.httpd.shutdown()


@pytest.fixture(scope="module")
def issuer(tmp_path_factory):
    issuer = Issuer(tmp_path_factory.mktemp("idp"))
    yield issuer
    issuer.close()


# --- helpers -------------------------------------------------------------------------------------

def trust_policy(provider_arn, url, sub="alice", actions=("sts:AssumeRoleWithWebIdentity",)):
    return json.dumps({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"Federated": provider_arn}, "Action": list(actions),
        "Condition": {"StringEquals": {f"{url}:aud": CLIENT_ID, f"{url}:sub": sub}}}]})


def federate(server, tenant, thumbprint, sub="alice", actions=("sts:AssumeRoleWithWebIdentity",), policy=None):
    """An IAM provider for `tenant` and a role it may assume; answers (provider ARN, role ARN)."""
    iam = server.client("iam")
    provider = iam.create_open_id_connect_provider(Url=tenant.issuer, ClientIDList=[CLIENT_ID],
                                                   ThumbprintList=[thumbprint])["OpenIDConnectProviderArn"]
    name = "web-" + uuid.uuid4().hex[:8]
    role = iam.create_role(RoleName=name, AssumeRolePolicyDocument=trust_policy(provider, tenant.url, sub, actions))
    if policy:
        iam.put_role_policy(RoleName=name, PolicyName="p", PolicyDocument=json.dumps(policy))
    return provider, role["Role"]["Arn"]


def unsigned_sts(server):
    return boto3.client("sts", endpoint_url=server.endpoint, region_name="us-east-1",
                        config=Config(signature_version=UNSIGNED, retries={"max_attempts": 1}))


def assume(server, role_arn, token, **extra):
    return unsigned_sts(server).assume_role_with_web_identity(
        RoleArn=role_arn, RoleSessionName="web-session", WebIdentityToken=token, **extra)


def refused(server, role_arn, token):
    with pytest.raises(ClientError) as e:
        assume(server, role_arn, token)
    error = e.value.response
    return error["Error"]["Code"], error["Error"]["Message"], error["ResponseMetadata"]["HTTPStatusCode"]


def session_client(server, service, credentials):
    return boto3.client(service, endpoint_url=server.endpoint, region_name="us-east-1",
                        aws_access_key_id=credentials["AccessKeyId"],
                        aws_secret_access_key=credentials["SecretAccessKey"],
                        aws_session_token=credentials["SessionToken"],
                        config=Config(retries={"max_attempts": 1}))


def role_name(role_arn):
    return role_arn.rsplit("/", 1)[1]


# --- success -------------------------------------------------------------------------------------

def test_rsa_token_assumes_the_role_and_its_credentials_work(any_backend_server, issuer):
    server = any_backend_server
    tenant = issuer.tenant()
    kid = tenant.add_rsa("rsa-1")
    provider, role_arn = federate(server, tenant, issuer.thumbprint)
    out = assume(server, role_arn, tenant.token(kid))
    assert out["SubjectFromWebIdentityToken"] == "alice"
    assert out["Audience"] == CLIENT_ID
    assert out["Provider"] == provider
    assert out["AssumedRoleUser"]["Arn"] == \
        f"arn:aws:sts::{ACCOUNT_ID}:assumed-role/{role_name(role_arn)}/web-session"
    assert out["Credentials"]["AccessKeyId"].startswith("ASIA")
    assert "PackedPolicySize" not in out
    identity = session_client(server, "sts", out["Credentials"]).get_caller_identity()
    assert identity["Arn"] == out["AssumedRoleUser"]["Arn"]
    assert identity["Account"] == ACCOUNT_ID


@pytest.mark.parametrize("algorithm", ["RS384", "RS512", "ES256", "ES384"])
def test_every_accepted_algorithm_verifies(server, issuer, algorithm):
    tenant = issuer.tenant()
    kid = tenant.add_rsa("k", algorithm) if algorithm.startswith("RS") else tenant.add_ec("k", algorithm)
    _, role_arn = federate(server, tenant, issuer.thumbprint)
    assert assume(server, role_arn, tenant.token(kid))["SubjectFromWebIdentityToken"] == "alice"


def test_a_signed_request_is_accepted_too(server, issuer):
    tenant = issuer.tenant()
    kid = tenant.add_ec("ec-1")
    _, role_arn = federate(server, tenant, issuer.thumbprint)
    body = urllib.parse.urlencode({"Action": "AssumeRoleWithWebIdentity", "Version": "2011-06-15",
                                   "RoleArn": role_arn, "RoleSessionName": "signed",
                                   "WebIdentityToken": tenant.token(kid)})
    request = AWSRequest(method="POST", url=server.endpoint + "/", data=body,
                         headers={"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"})
    SigV4Auth(Credentials(*server.root_keys()), "sts", "us-east-1").add_auth(request)
    prepared = request.prepare()
    answer = urllib.request.urlopen(urllib.request.Request(prepared.url, data=body.encode(),
                                                           headers=dict(prepared.headers), method="POST"))
    text = answer.read().decode()
    assert answer.status == 200
    assert f"assumed-role/{role_name(role_arn)}/signed" in text


def test_aws_cli_assume_role_with_web_identity(server, issuer):
    tenant = issuer.tenant()
    kid = tenant.add_rsa("cli")
    _, role_arn = federate(server, tenant, issuer.thumbprint)
    out = json.loads(server.cli("sts", "assume-role-with-web-identity", "--role-arn", role_arn,
                                "--role-session-name", "from-cli", "--web-identity-token",
                                tenant.token(kid)).stdout)
    assert out["AssumedRoleUser"]["Arn"].endswith(f"assumed-role/{role_name(role_arn)}/from-cli")
    assert out["SubjectFromWebIdentityToken"] == "alice"


def web_identity_env(server, tmp_path, token, role_arn):
    token_file = tmp_path / "token"
    token_file.write_text(token)
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update({"AWS_WEB_IDENTITY_TOKEN_FILE": str(token_file), "AWS_ROLE_ARN": role_arn,
                "AWS_ROLE_SESSION_NAME": "from-env", "AWS_ENDPOINT_URL": server.endpoint,
                "AWS_DEFAULT_REGION": "us-east-1", "AWS_CONFIG_FILE": os.devnull,
                "AWS_SHARED_CREDENTIALS_FILE": os.devnull, "AWS_EC2_METADATA_DISABLED": "true"})
    return env


def test_sdk_web_identity_provider_from_the_environment(server, issuer, tmp_path):
    tenant = issuer.tenant()
    kid = tenant.add_rsa("env")
    _, role_arn = federate(server, tenant, issuer.thumbprint)
    env = web_identity_env(server, tmp_path, tenant.token(kid), role_arn)
    expected = f"arn:aws:sts::{ACCOUNT_ID}:assumed-role/{role_name(role_arn)}/from-env"
    script = "import boto3; print(boto3.client('sts').get_caller_identity()['Arn'])"
    from_boto3 = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=60)
    assert from_boto3.returncode == 0, from_boto3.stderr
    assert from_boto3.stdout.strip() == expected
    from_cli = subprocess.run([aws_cli(), "sts", "get-caller-identity", "--output", "json"], env=env,
                              capture_output=True, text=True, timeout=60)
    assert from_cli.returncode == 0, from_cli.stderr
    assert json.loads(from_cli.stdout)["Arn"] == expected


# --- refusals ------------------------------------------------------------------------------------

def test_a_signature_by_another_key_is_refused(server, issuer):
    tenant = issuer.tenant()
    kid = tenant.add_rsa("rsa")
    _, role_arn = federate(server, tenant, issuer.thumbprint)
    forger = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    code, _, status = refused(server, role_arn, tenant.token(kid, key=forger))
    assert (code, status) == (INVALID, 400)


def test_a_token_for_another_audience_is_refused(server, issuer):
    tenant = issuer.tenant()
    kid = tenant.add_rsa("rsa")
    _, role_arn = federate(server, tenant, issuer.thumbprint)
    assert refused(server, role_arn, tenant.token(kid, aud="someone-else")) == \
        (INVALID, "Incorrect token audience", 400)


def test_a_token_of_an_unregistered_issuer_is_refused(server, issuer):
    tenant = issuer.tenant()
    kid = tenant.add_rsa("rsa")
    _, role_arn = federate(server, tenant, issuer.thumbprint)
    stranger = f"{issuer.base}/not-registered"
    assert refused(server, role_arn, tenant.token(kid, iss=stranger)) == \
        (INVALID, f"No OpenIDConnect provider found in your account for {stranger}", 400)


def test_an_expired_token_is_refused(server, issuer):
    tenant = issuer.tenant()
    kid = tenant.add_rsa("rsa")
    _, role_arn = federate(server, tenant, issuer.thumbprint)
    now = int(time.time())
    code, message, status = refused(server, role_arn, tenant.token(kid, iat=now - 7200, exp=now - 3600))
    assert (code, status) == ("ExpiredTokenException", 400)
    assert message.startswith("Token expired: current date/time ")
    assert message.endswith(f"must be before the expiration date/time{now - 3600}")


def test_a_token_not_yet_valid_is_refused(server, issuer):
    tenant = issuer.tenant()
    kid = tenant.add_rsa("rsa")
    _, role_arn = federate(server, tenant, issuer.thumbprint)
    now = int(time.time())
    code, _, status = refused(server, role_arn, tenant.token(kid, nbf=now + 3600, exp=now + 7200))
    assert (code, status) == (INVALID, 400)


def test_a_token_naming_an_unknown_key_is_refused_after_one_refetch(server, issuer):
    tenant = issuer.tenant()
    tenant.add_rsa("published")
    _, role_arn = federate(server, tenant, issuer.thumbprint)
    assert assume(server, role_arn, tenant.token("published"))
    hits = tenant.jwks_hits
    # Signed by a key the issuer never published.
    unpublished = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    token = jwt.encode(tenant.claims(), unpublished, algorithm="RS256", headers={"kid": "unpublished"})
    for _ in range(3):
        code, message, _ = refused(server, role_arn, token)
        assert code == INVALID
        assert "unpublished" in message
    # Unknown keys may not drive fetches: at most one refetch in the interval.
    assert tenant.jwks_hits - hits <= 1


def test_alg_none_is_refused(server, issuer):
    tenant = issuer.tenant()
    tenant.add_rsa("rsa")
    _, role_arn = federate(server, tenant, issuer.thumbprint)
    token = jwt.encode(tenant.claims(), None, algorithm="none", headers={"kid": "rsa"})
    code, message, status = refused(server, role_arn, token)
    assert (code, status) == (INVALID, 400)
    assert "none" in message


def test_hs256_signed_with_the_public_key_is_refused(server, issuer):
    tenant = issuer.tenant()
    kid = tenant.add_rsa("rsa")
    _, role_arn = federate(server, tenant, issuer.thumbprint)
    public_pem = tenant.keys[kid][1].public_key().public_bytes(serialization.Encoding.PEM,
                                                                serialization.PublicFormat.SubjectPublicKeyInfo)
    header = b64url(json.dumps({"alg": "HS256", "kid": kid, "typ": "JWT"}).encode())
    payload = b64url(json.dumps(tenant.claims()).encode())
    signature = b64url(hmac.new(public_pem, f"{header}.{payload}".encode(), hashlib.sha256).digest())
    code, message, status = refused(server, role_arn, f"{header}.{payload}.{signature}")
    assert (code, status) == (INVALID, 400)
    assert "HS256" in message


def test_a_certificate_whose_thumbprint_is_not_registered_is_refused(server, issuer):
    tenant = issuer.tenant()
    kid = tenant.add_rsa("rsa")
    provider, role_arn = federate(server, tenant, "0" * 40)
    assert refused(server, role_arn, tenant.token(kid)) == \
        (INVALID, "OpenIDConnect provider's HTTPS certificate doesn't match configured thumbprint", 400)
    # Registering the right thumbprint lets the same token in.
    server.client("iam").update_open_id_connect_provider_thumbprint(OpenIDConnectProviderArn=provider,
                                                                    ThumbprintList=[issuer.thumbprint])
    assert assume(server, role_arn, tenant.token(kid))["SubjectFromWebIdentityToken"] == "alice"


def test_a_trust_policy_condition_on_sub_not_met_is_access_denied(server, issuer):
    tenant = issuer.tenant()
    kid = tenant.add_rsa("rsa")
    _, role_arn = federate(server, tenant, issuer.thumbprint, sub="bob")
    assert refused(server, role_arn, tenant.token(kid)) == \
        ("AccessDenied", "Not authorized to perform sts:AssumeRoleWithWebIdentity", 403)
    assert assume(server, role_arn, tenant.token(kid, sub="bob"))["SubjectFromWebIdentityToken"] == "bob"


def test_an_unreachable_identity_provider_is_an_idp_communication_error(server, issuer):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        closed_port = s.getsockname()[1]
    tenant = Tenant(f"https://127.0.0.1:{closed_port}", "gone")
    kid = tenant.add_rsa("rsa")
    _, role_arn = federate(server, tenant, issuer.thumbprint)
    code, _, status = refused(server, role_arn, tenant.token(kid))
    assert (code, status) == ("IDPCommunicationError", 400)


def test_duration_beyond_the_role_maximum_is_refused(server, issuer):
    tenant = issuer.tenant()
    kid = tenant.add_rsa("rsa")
    _, role_arn = federate(server, tenant, issuer.thumbprint)
    with pytest.raises(ClientError) as e:
        assume(server, role_arn, tenant.token(kid), DurationSeconds=7200)
    assert e.value.response["Error"]["Code"] == "ValidationError"
    out = assume(server, role_arn, tenant.token(kid), DurationSeconds=900)
    expires = out["Credentials"]["Expiration"]
    assert 800 < (expires - datetime.datetime.now(datetime.timezone.utc)).total_seconds() <= 900


# --- rotation, tags, provider keys in the session -------------------------------------------------

def test_a_rotated_key_is_picked_up(server, issuer):
    tenant = issuer.tenant()
    tenant.add_rsa("before")
    _, role_arn = federate(server, tenant, issuer.thumbprint)
    assert assume(server, role_arn, tenant.token("before"))
    # The issuer rotates: the old key is withdrawn, a new one published.
    del tenant.keys["before"]
    tenant.add_ec("after")
    time.sleep(5.2)  # the refetch interval
    assert assume(server, role_arn, tenant.token("after"))["SubjectFromWebIdentityToken"] == "alice"


def test_session_tags_from_the_claim_need_tag_session_and_reach_the_session(server, issuer):
    tenant = issuer.tenant()
    kid = tenant.add_rsa("rsa")
    policy = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "iam:ListUsers", "Resource": "*",
         "Condition": {"StringEquals": {"aws:PrincipalTag/team": "blue"}}},
        {"Effect": "Allow", "Action": "iam:ListRoles", "Resource": "*",
         "Condition": {"StringEquals": {"aws:FederatedProvider": "PROVIDER", f"{tenant.url}:sub": "alice"}}}]}
    tags = {"https://aws.amazon.com/tags": {"principal_tags": {"team": ["blue"]}, "transitive_tag_keys": ["team"]}}
    # Without sts:TagSession in the trust policy, a token with tags is refused.
    _, untaggable = federate(server, tenant, issuer.thumbprint)
    assert refused(server, untaggable, tenant.token(kid, **tags))[0] == "AccessDenied"

    iam = server.client("iam")
    provider = f"arn:aws:iam::{ACCOUNT_ID}:oidc-provider/{tenant.url}"
    name = "tagged-" + uuid.uuid4().hex[:8]
    role_arn = iam.create_role(RoleName=name, AssumeRolePolicyDocument=trust_policy(
        provider, tenant.url, actions=("sts:AssumeRoleWithWebIdentity", "sts:TagSession")))["Role"]["Arn"]
    iam.put_role_policy(RoleName=name, PolicyName="p",
                        PolicyDocument=json.dumps(policy).replace("PROVIDER", provider))
    out = assume(server, role_arn, tenant.token(kid, **tags))
    assert "PackedPolicySize" in out
    session_iam = session_client(server, "iam", out["Credentials"])
    session_iam.list_users()
    session_iam.list_roles()

    # The same role without tags: the tag condition no longer holds.
    untagged = assume(server, role_arn, tenant.token(kid))
    with pytest.raises(ClientError) as e:
        session_client(server, "iam", untagged["Credentials"]).list_users()
    assert e.value.response["Error"]["Code"] == "AccessDenied"
    session_client(server, "iam", untagged["Credentials"]).list_roles()
