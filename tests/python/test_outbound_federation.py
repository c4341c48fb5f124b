"""Outbound identity federation and AssumeRoot with the real clients.

IAM's EnableOutboundWebIdentityFederation, DisableOutboundWebIdentityFederation
and GetOutboundWebIdentityFederationInfo, and STS's GetWebIdentityToken: the
token is checked as an external service checks it, with nothing but the token
and HTTP: the issuer's OpenID discovery document and JWKS fetched from the
server without credentials, the signature verified with PyJWT and
cryptography, then the claims AWS documents ("Understanding token claims",
IAM User Guide): iss, sub (the principal's ARN, the role's for a role
session), aud, iat, nbf, exp, jti and the https://sts.amazonaws.com/
namespace (aws_account, principal_id, principal_tags, request_tags).

Error codes and statuses are the models': FeatureEnabled (409),
FeatureDisabled (404), OutboundWebIdentityFederationDisabledException (403),
SessionDurationEscalationException (403). Authorization is
sts:GetWebIdentityToken with sts:IdentityTokenAudience, sts:DurationSeconds,
sts:SigningAlgorithm, and sts:TagGetWebIdentityToken when tags are passed
(Service Authorization Reference).

AssumeRoot needs an organization with centralized root access; every Tessera
account stands outside any organization, so a request that passes validation
and authorization is refused with AccessDenied.
"""

import json
import re
import urllib.error
import urllib.request
import uuid

import boto3
import jwt
import pytest
from botocore.exceptions import ClientError

from conftest import ACCOUNT_ID, Server, unvalidated_client

AWS_NS = "https://sts.amazonaws.com/"
UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")
TASK_POLICY = "arn:aws:iam::aws:policy/root-task/IAMAuditRootUserCredentials"
TARGET = "111122223333"


# --- helpers --------------------------------------------------------------------------------------

def doc(*statements):
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def allow(actions, **extra):
    return {"Effect": "Allow", "Action": actions, "Resource": "*", **extra}


def error_of(excinfo):
    err = excinfo.value.response
    return err["Error"]["Code"], err["Error"].get("Message", ""), err["ResponseMetadata"]["HTTPStatusCode"]


def fetch_json(url):
    """GET without credentials, as an external verifier does."""
    with urllib.request.urlopen(url, timeout=10) as response:
        assert response.status == 200
        assert response.headers["Content-Type"] == "application/json"
        return json.loads(response.read())


def verify(token, issuer, audience, fetch_base=None):
    """Verifies `token` from its issuer's published documents only: the
    discovery document names the JWKS, whose key with the token's `kid`
    checks the signature; then iss, aud, exp, nbf and iat are checked."""
    base = fetch_base or issuer
    discovery = fetch_json(base + "/.well-known/openid-configuration")
    assert discovery["issuer"] == issuer
    jwks_url = discovery["jwks_uri"]
    assert jwks_url == issuer + "/.well-known/jwks.json"
    jwks = fetch_json(base + "/.well-known/jwks.json")
    header = jwt.get_unverified_header(token)
    assert header["typ"] == "JWT"
    assert header["alg"] in discovery["id_token_signing_alg_values_supported"]
    [jwk] = [k for k in jwks["keys"] if k["kid"] == header["kid"]]
    assert jwk["alg"] == header["alg"] and jwk["use"] == "sig"
    key = jwt.PyJWK(jwk).key
    return jwt.decode(token, key, algorithms=[header["alg"]], audience=audience, issuer=issuer,
                      options={"require": ["iss", "sub", "aud", "iat", "nbf", "exp", "jti"]})


def user_with_policy(server, policy=None, tags=()):
    iam = server.client("iam")
    name = "u" + uuid.uuid4().hex[:10]
    iam.create_user(UserName=name, Tags=list(tags))
    if policy:
        iam.put_user_policy(UserName=name, PolicyName="p", PolicyDocument=policy)
    key = iam.create_access_key(UserName=name)["AccessKey"]
    return name, server.client("sts", key["AccessKeyId"], key["SecretAccessKey"]), key


@pytest.fixture
def enabled(server):
    """The server, with outbound federation enabled; yields the issuer."""
    return server.client("iam").enable_outbound_web_identity_federation()["IssuerIdentifier"]


# --- enabling, disabling, info --------------------------------------------------------------------

def test_enabling_makes_an_issuer_under_the_server_url_that_info_reports(server):
    iam = server.client("iam")
    issuer = iam.enable_outbound_web_identity_federation()["IssuerIdentifier"]
    assert issuer.startswith(server.endpoint + "/tokens/")
    assert UUID.match(issuer.rsplit("/", 1)[1])
    info = iam.get_outbound_web_identity_federation_info()
    assert info["IssuerIdentifier"] == issuer
    assert info["JwtVendingEnabled"] is True
    cli = json.loads(server.cli("iam", "get-outbound-web-identity-federation-info").stdout)
    assert cli == {"IssuerIdentifier": issuer, "JwtVendingEnabled": True}


def test_enabling_twice_is_refused_and_keeps_the_issuer(server, enabled):
    iam = server.client("iam")
    with pytest.raises(ClientError) as e:
        iam.enable_outbound_web_identity_federation()
    code, message, status = error_of(e)
    assert (code, status) == ("FeatureEnabled", 409)
    assert "already enabled" in message
    assert iam.get_outbound_web_identity_federation_info()["IssuerIdentifier"] == enabled


def test_disabling_turns_it_off_and_disabling_again_is_refused(server, enabled):
    iam = server.client("iam")
    iam.disable_outbound_web_identity_federation()
    for call in (iam.disable_outbound_web_identity_federation,
                 iam.get_outbound_web_identity_federation_info):
        with pytest.raises(ClientError) as e:
            call()
        code, _, status = error_of(e)
        assert (code, status) == ("FeatureDisabled", 404)
    failed = server.cli("iam", "disable-outbound-web-identity-federation", check=False)
    assert failed.returncode != 0 and "FeatureDisabled" in failed.stderr
    # Enabled again, the account keeps its issuer.
    assert iam.enable_outbound_web_identity_federation()["IssuerIdentifier"] == enabled


def test_a_never_enabled_account_has_no_info_and_nothing_to_disable(server):
    iam = server.client("iam")
    for call in (iam.get_outbound_web_identity_federation_info,
                 iam.disable_outbound_web_identity_federation):
        with pytest.raises(ClientError) as e:
            call()
        assert error_of(e)[0] == "FeatureDisabled"


# --- tokens ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("algorithm", ["RS256", "ES384"])
def test_a_token_verifies_from_the_issuers_published_keys_and_carries_awss_claims(server, enabled, algorithm):
    name, sts, _ = user_with_policy(server, doc(allow(["sts:GetWebIdentityToken", "sts:TagGetWebIdentityToken"])),
                                    tags=[{"Key": "team", "Value": "data"}])
    out = sts.get_web_identity_token(Audience=["https://api.example.com"], SigningAlgorithm=algorithm,
                                     DurationSeconds=600, Tags=[{"Key": "job", "Value": "42"}])
    token = out["WebIdentityToken"]
    claims = verify(token, enabled, "https://api.example.com")
    assert jwt.get_unverified_header(token)["alg"] == algorithm
    user_arn = f"arn:aws:iam::{ACCOUNT_ID}:user/{name}"
    assert claims["sub"] == user_arn
    assert claims["aud"] == "https://api.example.com"
    assert claims["exp"] - claims["iat"] == 600
    assert claims["nbf"] == claims["iat"]
    assert int(out["Expiration"].timestamp()) == claims["exp"]
    assert UUID.match(claims["jti"])
    assert claims[AWS_NS] == {
        "aws_account": ACCOUNT_ID,
        "principal_id": user_arn,
        "principal_tags": {"team": "data"},
        "request_tags": {"job": "42"},
    }
    # A token altered after signing no longer verifies.
    head, payload, signature = token.split(".")
    forged = json.loads(jwt.utils.base64url_decode(payload))
    forged["sub"] = f"arn:aws:iam::{ACCOUNT_ID}:user/someone-else"
    forged = jwt.utils.base64url_encode(json.dumps(forged).encode()).decode()
    with pytest.raises(jwt.InvalidSignatureError):
        verify(f"{head}.{forged}.{signature}", enabled, "https://api.example.com")


def test_tokens_of_several_audiences_name_each_and_two_tokens_differ(server, enabled):
    _, sts, _ = user_with_policy(server, doc(allow("sts:GetWebIdentityToken")))
    one = sts.get_web_identity_token(Audience=["a", "b"], SigningAlgorithm="ES384")["WebIdentityToken"]
    two = sts.get_web_identity_token(Audience=["a", "b"], SigningAlgorithm="ES384")["WebIdentityToken"]
    first, second = verify(one, enabled, "b"), verify(two, enabled, "a")
    assert first["aud"] == ["a", "b"]
    assert first["exp"] - first["iat"] == 300, "the default lifetime is five minutes"
    assert first["jti"] != second["jti"]
    with pytest.raises(jwt.InvalidAudienceError):
        verify(one, enabled, "c")


def test_the_cli_gets_a_token_that_verifies(server, enabled):
    _, _, key = user_with_policy(server, doc(allow("sts:GetWebIdentityToken")))
    # Not an https:// audience: the CLI would fetch it as a parameter file.
    out = server.cli("sts", "get-web-identity-token", "--audience", "urn:example:svc",
                     "--signing-algorithm", "RS256", key_id=key["AccessKeyId"], secret=key["SecretAccessKey"])
    token = json.loads(out.stdout)["WebIdentityToken"]
    assert verify(token, enabled, "urn:example:svc")["sub"].endswith(":user/" + key["UserName"])


def test_a_role_session_token_names_the_role_and_cannot_outlive_the_session(server, enabled):
    iam = server.client("iam")
    role = "r" + uuid.uuid4().hex[:8]
    iam.create_role(RoleName=role, AssumeRolePolicyDocument=json.dumps({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT_ID}:root"},
                       "Action": ["sts:AssumeRole", "sts:TagSession"]}]}),
        Tags=[{"Key": "tier", "Value": "gold"}])
    iam.put_role_policy(RoleName=role, PolicyName="p", PolicyDocument=doc(allow("sts:GetWebIdentityToken")))
    _, assumer, _ = user_with_policy(server, doc(allow(["sts:AssumeRole", "sts:TagSession"])))
    creds = assumer.assume_role(RoleArn=f"arn:aws:iam::{ACCOUNT_ID}:role/{role}",
                                             RoleSessionName="s1", DurationSeconds=900,
                                             Tags=[{"Key": "tier", "Value": "platinum"}])["Credentials"]
    sts = boto3.client("sts", endpoint_url=server.endpoint, region_name="us-east-1",
                       aws_access_key_id=creds["AccessKeyId"], aws_secret_access_key=creds["SecretAccessKey"],
                       aws_session_token=creds["SessionToken"])
    token = sts.get_web_identity_token(Audience=["x"], SigningAlgorithm="ES384")["WebIdentityToken"]
    claims = verify(token, enabled, "x")
    assert claims["sub"] == f"arn:aws:iam::{ACCOUNT_ID}:role/{role}"
    assert claims[AWS_NS]["principal_tags"] == {"tier": "platinum"}, "a session tag overrides the role's"
    with pytest.raises(ClientError) as e:
        sts.get_web_identity_token(Audience=["x"], SigningAlgorithm="ES384", DurationSeconds=3600)
    code, _, status = error_of(e)
    assert (code, status) == ("SessionDurationEscalationException", 403)


def test_no_token_while_disabled_but_issued_tokens_stay_verifiable(server, enabled):
    _, sts, _ = user_with_policy(server, doc(allow("sts:GetWebIdentityToken")))
    token = sts.get_web_identity_token(Audience=["x"], SigningAlgorithm="RS256")["WebIdentityToken"]
    server.client("iam").disable_outbound_web_identity_federation()
    with pytest.raises(ClientError) as e:
        sts.get_web_identity_token(Audience=["x"], SigningAlgorithm="RS256")
    code, message, status = error_of(e)
    assert (code, status) == ("OutboundWebIdentityFederationDisabledException", 403)
    assert "not enabled" in message
    assert verify(token, enabled, "x")["aud"] == "x"


def test_an_account_that_never_enabled_it_gets_no_token(server):
    with pytest.raises(ClientError) as e:
        server.client("sts").get_web_identity_token(Audience=["x"], SigningAlgorithm="RS256")
    assert error_of(e)[0] == "OutboundWebIdentityFederationDisabledException"


def test_input_outside_the_models_bounds_is_a_validation_error(server, enabled):
    sts = unvalidated_client(server, "sts")
    for bad in ({"SigningAlgorithm": "HS256"}, {"SigningAlgorithm": "RS256", "DurationSeconds": 59},
                {"SigningAlgorithm": "RS256", "DurationSeconds": 3601}):
        with pytest.raises(ClientError) as e:
            sts.get_web_identity_token(Audience=["x"], **bad)
        assert error_of(e)[0] == "ValidationError", bad
    with pytest.raises(ClientError) as e:
        sts.get_web_identity_token(Audience=["x"], SigningAlgorithm="HS256")
    assert "[RS256, ES384]" in error_of(e)[1]


# --- authorization --------------------------------------------------------------------------------

def test_a_principal_without_permission_is_denied(server, enabled):
    name, sts, _ = user_with_policy(server)
    with pytest.raises(ClientError) as e:
        sts.get_web_identity_token(Audience=["x"], SigningAlgorithm="RS256")
    code, message, status = error_of(e)
    assert (code, status) == ("AccessDenied", 403)
    assert message == (f"User: arn:aws:iam::{ACCOUNT_ID}:user/{name} is not authorized to perform: "
                       "sts:GetWebIdentityToken on resource: * because no identity-based policy allows "
                       "the sts:GetWebIdentityToken action")


def test_policies_limit_audience_lifetime_algorithm_and_tags(server, enabled):
    _, sts, _ = user_with_policy(server, doc(allow("sts:GetWebIdentityToken", Condition={
        "ForAllValues:StringEquals": {"sts:IdentityTokenAudience": "https://api.example.com"},
        "NumericLessThanEquals": {"sts:DurationSeconds": "300"},
        "StringEquals": {"sts:SigningAlgorithm": "ES384"},
    })))
    ok = sts.get_web_identity_token(Audience=["https://api.example.com"], SigningAlgorithm="ES384")
    assert verify(ok["WebIdentityToken"], enabled, "https://api.example.com")
    for refused in (
        {"Audience": ["https://api.example.com", "https://other"], "SigningAlgorithm": "ES384"},
        {"Audience": ["https://api.example.com"], "SigningAlgorithm": "ES384", "DurationSeconds": 900},
        {"Audience": ["https://api.example.com"], "SigningAlgorithm": "RS256"},
        # Tags need sts:TagGetWebIdentityToken as well.
        {"Audience": ["https://api.example.com"], "SigningAlgorithm": "ES384",
         "Tags": [{"Key": "k", "Value": "v"}]},
    ):
        with pytest.raises(ClientError) as e:
            sts.get_web_identity_token(**refused)
        assert error_of(e)[0] == "AccessDenied", refused
    with pytest.raises(ClientError) as e:
        sts.get_web_identity_token(Audience=["https://api.example.com"], SigningAlgorithm="ES384",
                                   Tags=[{"Key": "k", "Value": "v"}])
    assert "sts:TagGetWebIdentityToken" in error_of(e)[1]


def test_enabling_needs_permission(server):
    name, _, key = user_with_policy(server)
    iam = server.client("iam", key["AccessKeyId"], key["SecretAccessKey"])
    with pytest.raises(ClientError) as e:
        iam.enable_outbound_web_identity_federation()
    assert error_of(e)[0] == "AccessDenied"
    assert "iam:EnableOutboundWebIdentityFederation" in error_of(e)[1]


# --- the published documents ----------------------------------------------------------------------

def test_an_unknown_issuer_has_no_documents(server, enabled):
    unknown = server.endpoint + "/tokens/" + str(uuid.uuid4())
    for path in ("/.well-known/openid-configuration", "/.well-known/jwks.json"):
        with pytest.raises(urllib.error.HTTPError) as e:
            urllib.request.urlopen(unknown + path, timeout=10)
        assert e.value.code == 404
    jwks = fetch_json(enabled + "/.well-known/jwks.json")
    assert sorted(k["kty"] for k in jwks["keys"]) == ["EC", "RSA"]
    assert all("d" not in k and "p" not in k for k in jwks["keys"]), "no private part is published"


def test_the_issuer_lives_under_the_configured_public_url(tmp_path):
    server = Server(tmp_path / "data", extra_args=["--public-url", "https://iam.example.test/"]).start()
    try:
        issuer = server.client("iam").enable_outbound_web_identity_federation()["IssuerIdentifier"]
        assert issuer.startswith("https://iam.example.test/tokens/")
        token = server.client("sts").get_web_identity_token(Audience=["x"],
                                                           SigningAlgorithm="RS256")["WebIdentityToken"]
        # Served at the same path on the server's own address.
        local = server.endpoint + "/tokens/" + issuer.rsplit("/", 1)[1]
        claims = verify(token, issuer, "x", fetch_base=local)
        assert claims["iss"] == issuer
        assert claims["sub"] == f"arn:aws:iam::{ACCOUNT_ID}:root"
    finally:
        server.stop()


def test_a_malformed_public_url_stops_the_server(tmp_path):
    server = Server(tmp_path / "data", extra_args=["--public-url", "ftp://x"])
    with pytest.raises(RuntimeError) as e:
        server.start()
    assert "--public-url" in str(e.value)


# --- AssumeRoot -----------------------------------------------------------------------------------

def test_assume_root_is_refused_outside_an_organization(server):
    name, sts, key = user_with_policy(server, doc(allow("sts:AssumeRoot")))
    for target in (TARGET, f"arn:aws:iam::{TARGET}:root"):
        with pytest.raises(ClientError) as e:
            sts.assume_root(TargetPrincipal=target, TaskPolicyArn={"arn": TASK_POLICY}, DurationSeconds=900)
        code, message, status = error_of(e)
        assert (code, status) == ("AccessDenied", 403)
        assert message == (f"User: arn:aws:iam::{ACCOUNT_ID}:user/{name} is not authorized to perform: "
                           f"sts:AssumeRoot on resource: arn:aws:iam::{TARGET}:root "
                           "because no organization is associated with your account")
    failed = server.cli("sts", "assume-root", "--target-principal", TARGET, "--task-policy-arn",
                        f"arn={TASK_POLICY}", key_id=key["AccessKeyId"], secret=key["SecretAccessKey"],
                        check=False)
    assert failed.returncode != 0 and "AccessDenied" in failed.stderr
    assert "no organization is associated" in failed.stderr


def test_assume_root_is_authorized_on_the_targets_root_user_with_the_task_policy(server):
    name, sts, _ = user_with_policy(server, doc(allow("sts:AssumeRoot", Condition={
        "StringEquals": {"sts:TaskPolicyArn": "arn:aws:iam::aws:policy/root-task/S3UnlockBucketPolicy"}})))
    with pytest.raises(ClientError) as e:
        sts.assume_root(TargetPrincipal=TARGET, TaskPolicyArn={"arn": TASK_POLICY})
    assert error_of(e)[1] == (f"User: arn:aws:iam::{ACCOUNT_ID}:user/{name} is not authorized to perform: "
                              f"sts:AssumeRoot on resource: arn:aws:iam::{TARGET}:root because no "
                              "identity-based policy allows the sts:AssumeRoot action")
    with pytest.raises(ClientError) as e:
        sts.assume_root(TargetPrincipal=TARGET,
                        TaskPolicyArn={"arn": "arn:aws:iam::aws:policy/root-task/S3UnlockBucketPolicy"})
    assert "no organization is associated" in error_of(e)[1]


@pytest.mark.parametrize("bad", [
    {"TargetPrincipal": "not-an-account", "TaskPolicyArn": {"arn": TASK_POLICY}},
    {"TargetPrincipal": f"arn:aws:iam::{TARGET}:user/bob", "TaskPolicyArn": {"arn": TASK_POLICY}},
    {"TargetPrincipal": TARGET, "TaskPolicyArn": {"arn": "arn:aws:iam::aws:policy/AdministratorAccess"}},
    {"TargetPrincipal": TARGET,
     "TaskPolicyArn": {"arn": f"arn:aws:iam::{ACCOUNT_ID}:policy/root-task/IAMAuditRootUserCredentials"}},
    {"TargetPrincipal": TARGET, "TaskPolicyArn": {"arn": TASK_POLICY}, "DurationSeconds": 901},
])
def test_assume_root_validates_its_input_first(server, bad):
    with pytest.raises(ClientError) as e:
        unvalidated_client(server, "sts").assume_root(**bad)
    code, _, status = error_of(e)
    assert (code, status) == ("ValidationError", 400)


# --- both stores ----------------------------------------------------------------------------------

def test_the_federation_lifecycle_is_kept_by_either_store(any_backend_server):
    server = any_backend_server
    iam, sts = server.client("iam"), server.client("sts")
    issuer = iam.enable_outbound_web_identity_federation()["IssuerIdentifier"]
    token = sts.get_web_identity_token(Audience=["x"], SigningAlgorithm="ES384")["WebIdentityToken"]
    assert verify(token, issuer, "x")["sub"] == f"arn:aws:iam::{ACCOUNT_ID}:root"
    iam.disable_outbound_web_identity_federation()
    with pytest.raises(ClientError) as e:
        iam.get_outbound_web_identity_federation_info()
    assert error_of(e)[0] == "FeatureDisabled"
    assert iam.enable_outbound_web_identity_federation()["IssuerIdentifier"] == issuer
    assert verify(token, issuer, "x")["aud"] == "x"
