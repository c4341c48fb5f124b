"""Every operation of the vendored IAM and STS models answers as an
implemented operation: a signed request naming it with no parameters gets
the operation's own answer or its own validation error, never
`NotImplemented` and never a server fault."""

import json
import urllib.error
import urllib.request
import xml.etree.ElementTree as ET
from pathlib import Path

import botocore.auth
import botocore.awsrequest
import botocore.credentials
import pytest

MODELS = Path(__file__).resolve().parents[2] / "crates" / "tessera-wire" / "models"
SERVICES = {
    "iam": ("iam-2010-05-08.json", "2010-05-08", 176),
    "sts": ("sts-2011-06-15.json", "2011-06-15", 11),
}


def send(server, service, body):
    request = botocore.awsrequest.AWSRequest(
        method="POST", url=server.endpoint + "/", data=body,
        headers={"Content-Type": "application/x-www-form-urlencoded"})
    botocore.auth.SigV4Auth(botocore.credentials.Credentials(*server.root_keys()), service,
                            "us-east-1").add_auth(request)
    prepared = request.prepare()
    raw = urllib.request.Request(prepared.url, data=prepared.body.encode(), headers=dict(prepared.headers),
                                 method="POST")
    try:
        with urllib.request.urlopen(raw, timeout=30) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def error_code(body):
    """The `Code` of an AWS error document, or None for a success document."""
    root = ET.fromstring(body)
    code = next((e.text for e in root.iter() if e.tag.endswith("}Code") or e.tag == "Code"), None)
    return code if root.tag.endswith("ErrorResponse") else None


@pytest.mark.parametrize("service", sorted(SERVICES))
def test_no_operation_of_the_model_answers_not_implemented(server, service):
    file, version, expected_count = SERVICES[service]
    operations = sorted(json.loads((MODELS / file).read_text())["operations"])
    assert len(operations) == expected_count
    answers = {}
    for name in operations:
        status, body = send(server, service, f"Action={name}&Version={version}")
        answers[name] = (status, error_code(body))
    not_implemented = {n: a for n, a in answers.items() if a[1] == "NotImplemented" or a[0] == 501}
    assert not_implemented == {}
    faults = {n: a for n, a in answers.items() if a[0] >= 500}
    assert faults == {}
    # Each answer is the operation's own: a success, or an error of the
    # kind a request without parameters earns (validation, missing entity,
    # a refused feature) — never an unknown action.
    assert {n: a for n, a in answers.items() if a[1] == "InvalidAction"} == {}
