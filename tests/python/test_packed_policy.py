"""The packed size of session policies and tags, with boto3 against the real binary.

AWS compresses a session's inline policy, managed policy ARNs and session tags
into a packed form with a limit of its own: `PackedPolicySize` is the
percentage of it used, and over 100 % the request fails with
`PackedPolicyTooLarge` (400), "Packed size of session tags consumes n% of
allotted space." for tags (AWS knowledge center, "iam-role-aws-sts-error"),
"even if your plaintext meets the other requirements" (STS API reference).
Every form that mints a session with policies or tags measures it the same
way: AssumeRole, AssumeRoleWithSAML and GetFederationToken here (and
AssumeRoleWithWebIdentity, which shares AssumeRole's path).
"""

import json
import random
import re
import string

import pytest

from conftest import ACCOUNT_ID
from test_saml_federation import ATTR, assume as assume_with_saml, encode, idp, signed_assertion  # noqa: F401
from test_sts import assume, denied, federating_user, role, trust, user_arn

TAGS_TOO_LARGE = re.compile(r"Packed size of session tags consumes (\d+)% of allotted space\.")
READ_ONLY = ["ReadOnlyAccess", "IAMReadOnlyAccess", "AmazonS3ReadOnlyAccess", "AmazonEC2ReadOnlyAccess",
             "AWSLambda_ReadOnlyAccess", "AmazonDynamoDBReadOnlyAccess", "AmazonSQSReadOnlyAccess",
             "AmazonSNSReadOnlyAccess", "CloudWatchReadOnlyAccess", "AmazonRDSReadOnlyAccess"]


def text(rng, length):
    """Letters and digits that compress poorly, as real identifiers do."""
    return "".join(rng.choice(string.ascii_letters + string.digits) for _ in range(length))


def longest_tags(seed=7):
    """The documented maximum: 50 tags, keys of 128 and values of 256 characters."""
    rng = random.Random(seed)
    return [{"Key": text(rng, 128), "Value": text(rng, 256)} for _ in range(50)]


def longest_policy(seed=11):
    """A valid policy of exactly 2,048 characters, its resources too random to compress."""
    rng = random.Random(seed)
    policy = {"Version": "2012-10-17",
              "Statement": [{"Effect": "Allow", "Action": "iam:ListRoles", "Resource": []}]}
    resources = policy["Statement"][0]["Resource"]
    while len(json.dumps(policy, separators=(",", ":"))) < 2048 - 60:
        resources.append(f"arn:aws:iam::{ACCOUNT_ID}:role/{text(rng, 24)}")
    resources.append("")
    short = 2048 - len(json.dumps(policy, separators=(",", ":")))
    resources[-1] = f"arn:aws:iam::{ACCOUNT_ID}:role/" + text(rng, short - len(f"arn:aws:iam::{ACCOUNT_ID}:role/"))
    document = json.dumps(policy, separators=(",", ":"))
    assert len(document) == 2048
    return document


def too_large_share(message):
    m = TAGS_TOO_LARGE.fullmatch(message)
    assert m, message
    return int(m.group(1))


@pytest.fixture
def tagging(server, make_user):
    iam = server.client("iam")
    name, key_id, secret = make_user()
    arn = role(iam, "packed", trust({"AWS": user_arn(name)}, ["sts:AssumeRole", "sts:TagSession"]))["Arn"]
    return key_id, secret, arn


def test_a_small_session_reports_a_small_share(server, tagging):
    key_id, secret, arn = tagging
    policy = json.dumps({"Version": "2012-10-17",
                         "Statement": [{"Effect": "Allow", "Action": "iam:ListRoles", "Resource": "*"}]})
    answer = assume(server, key_id, secret, arn, "small", Policy=policy, Tags=[{"Key": "team", "Value": "blue"}])
    assert 1 <= answer["PackedPolicySize"] <= 10


def test_the_longest_policies_the_plaintext_limits_allow_are_accepted(server, tagging):
    key_id, secret, arn = tagging
    small = assume(server, key_id, secret, arn, "one", PolicyArns=[
        {"arn": f"arn:aws:iam::aws:policy/{READ_ONLY[0]}"}])["PackedPolicySize"]
    answer = assume(server, key_id, secret, arn, "widest", Policy=longest_policy(),
                    PolicyArns=[{"arn": f"arn:aws:iam::aws:policy/{name}"} for name in READ_ONLY],
                    Tags=[{"Key": "team", "Value": "blue"}])
    assert small < answer["PackedPolicySize"] <= 100


def test_the_longest_session_tags_are_refused_as_too_large_to_pack(server, tagging):
    key_id, secret, arn = tagging
    sts = server.client("sts", key_id, secret)
    code, message, status = denied(sts.assume_role, RoleArn=arn, RoleSessionName="tagged", Tags=longest_tags())
    assert (code, status) == ("PackedPolicyTooLarge", 400)
    assert too_large_share(message) > 100
    # A tenth of them fits.
    answer = sts.assume_role(RoleArn=arn, RoleSessionName="tagged", Tags=longest_tags()[:5])
    assert 1 <= answer["PackedPolicySize"] <= 100


def test_a_federation_token_with_the_longest_tags_is_refused_the_same_way(server, make_user):
    _, sts = federating_user(server, make_user)
    policy = json.dumps({"Version": "2012-10-17",
                         "Statement": [{"Effect": "Allow", "Action": "iam:ListRoles", "Resource": "*"}]})
    code, message, status = denied(sts.get_federation_token, Name="jane", Policy=policy, Tags=longest_tags())
    assert (code, status) == ("PackedPolicyTooLarge", 400)
    assert too_large_share(message) > 100
    assert 1 <= sts.get_federation_token(Name="jane", Policy=policy)["PackedPolicySize"] <= 10


def test_a_saml_session_with_the_longest_principal_tags_is_refused_the_same_way(server, idp):  # noqa: F811
    tags = [(f"{ATTR}PrincipalTag:{t['Key']}", [t["Value"]]) for t in longest_tags()]
    code, message, status = denied(assume_with_saml, server=server,
                                   assertion=encode(signed_assertion(idp, extra_attributes=tags)))
    assert (code, status) == ("PackedPolicyTooLarge", 400)
    assert too_large_share(message) > 100
    fits = assume_with_saml(server, encode(signed_assertion(idp, extra_attributes=tags[:5])))
    assert 1 <= fits["PackedPolicySize"] <= 100
