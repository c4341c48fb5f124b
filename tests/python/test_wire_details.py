"""Wire details answered as AWS answers them: raw signed requests that SDKs
never send (odd methods, versions, list indexes, signatures), so the server's
own handling is what answers."""

import urllib.error
import urllib.parse
import urllib.request
import xml.etree.ElementTree as ET

import botocore.auth
import botocore.awsrequest
import botocore.credentials

IAM_NS = "{https://iam.amazonaws.com/doc/2010-05-08/}"
STS_NS = "{https://sts.amazonaws.com/doc/2011-06-15/}"
IAM = "Version=2010-05-08"
STS = "Version=2011-06-15"


def send(server, body="", *, method="POST", query="", service="iam", credentials=None, edit_headers=None):
    """Signs and sends a raw request; returns (status, body text)."""
    if credentials is None:
        credentials = server.root_keys()
    url = server.endpoint + "/" + (f"?{query}" if query else "")
    headers = {"Content-Type": "application/x-www-form-urlencoded"} if body else {}
    request = botocore.awsrequest.AWSRequest(method=method, url=url, data=body, headers=headers)
    botocore.auth.SigV4Auth(botocore.credentials.Credentials(*credentials), service, "us-east-1").add_auth(request)
    prepared = request.prepare()
    headers = dict(prepared.headers)
    if edit_headers:
        edit_headers(headers)
    data = prepared.body.encode() if isinstance(prepared.body, str) else prepared.body
    raw = urllib.request.Request(prepared.url, data=data or None, headers=headers, method=method)
    try:
        with urllib.request.urlopen(raw, timeout=30) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def error_of(body, ns=IAM_NS):
    """(code, message) of an error document; the document must be well-formed XML."""
    error = ET.fromstring(body).find(f"{ns}Error")
    return error.findtext(f"{ns}Code"), error.findtext(f"{ns}Message")


def test_control_characters_echoed_in_a_message_come_back_as_well_formed_xml(server):
    status, body = send(server, f"Action=Get%01User%00&{IAM}")
    assert status == 400
    assert error_of(body) == ("InvalidAction", "Could not find operation Get\ufffdUser\ufffd for version 2010-05-08")


def test_a_scope_for_another_service_is_signature_does_not_match_naming_the_right_one(server):
    status, body = send(server, f"Action=ListUsers&{IAM}", service="ec2")
    assert status == 403
    assert error_of(body) == ("SignatureDoesNotMatch", "Credential should be scoped to correct service: 'iam'. ")
    status, body = send(server, f"Action=GetCallerIdentity&{STS}", service="s3")
    assert status == 403
    assert error_of(body, STS_NS) == ("SignatureDoesNotMatch", "Credential should be scoped to correct service: 'sts'. ")


def test_a_missing_empty_or_other_version_is_invalid_action_naming_it(server):
    for version, named in [(None, "NO_VERSION_SPECIFIED"), ("", ""), ("2009-01-01", "2009-01-01"),
                           ("2011-06-15", "2011-06-15")]:
        body = "Action=ListUsers" + ("" if version is None else f"&Version={version}")
        status, answer = send(server, body)
        assert status == 400, version
        assert error_of(answer) == ("InvalidAction", f"Could not find operation ListUsers for version {named}")


def test_the_first_version_given_is_the_one_that_counts(server):
    assert send(server, f"Action=ListUsers&{IAM}&Version=2000-01-01")[0] == 200
    status, body = send(server, f"Action=ListUsers&Version=2000-01-01&{IAM}")
    assert status == 400
    assert error_of(body) == ("InvalidAction", "Could not find operation ListUsers for version 2000-01-01")


def test_put_delete_and_patch_are_not_served(server):
    for method in ["PUT", "DELETE", "PATCH"]:
        status, body = send(server, method=method, query=f"Action=ListUsers&{IAM}")
        assert status == 405, method
        assert error_of(body) == ("MethodNotAllowed", "The specified method is not allowed against this resource.")
    assert send(server, method="GET", query=f"Action=ListUsers&{IAM}")[0] == 200


def test_a_signature_in_upper_case_hex_does_not_match(server):
    def upper_signature(headers):
        head, signature = headers["Authorization"].rsplit("Signature=", 1)
        headers["Authorization"] = head + "Signature=" + signature.upper()

    assert send(server, f"Action=ListUsers&{IAM}")[0] == 200
    status, body = send(server, f"Action=ListUsers&{IAM}", edit_headers=upper_signature)
    assert status == 403
    assert error_of(body)[0] == "SignatureDoesNotMatch"


def test_a_session_token_in_the_query_of_a_header_signed_request_is_used(server, make_user):
    name, key_id, secret = make_user()
    session = server.client("sts", key_id, secret).get_session_token()["Credentials"]
    token = urllib.parse.quote(session["SessionToken"], safe="")
    status, body = send(server, method="GET", query=f"Action=GetCallerIdentity&{STS}&X-Amz-Security-Token={token}",
                        service="sts", credentials=(session["AccessKeyId"], session["SecretAccessKey"]))
    assert status == 200, body
    assert f"user/{name}" in body


def test_list_indexes_that_are_not_positive_32_bit_integers_are_malformed_input(server):
    for index in ["0", "-1", "4294967296"]:
        body = f"Action=CreateUser&UserName=idx&Tags.member.{index}.Key=k&Tags.member.{index}.Value=v&{IAM}"
        status, answer = send(server, body)
        assert status == 400, index
        assert error_of(answer) == ("MalformedInput", f"{index} is not a valid index")
    assert send(server, f"Action=GetUser&UserName=idx&{IAM}")[0] == 404


def test_member_1_and_member_01_are_one_element(server):
    iam = server.client("iam")
    iam.create_user(UserName="zeros")
    body = ("Action=TagUser&UserName=zeros&Tags.member.1.Key=a&Tags.member.1.Value=1"
            f"&Tags.member.01.Key=b&Tags.member.01.Value=2&{IAM}")
    assert send(server, body)[0] == 200
    assert iam.list_user_tags(UserName="zeros")["Tags"] == [{"Key": "b", "Value": "2"}]


def test_more_than_a_thousand_parameters_are_refused(server):
    many = "&".join(f"P{i}=x" for i in range(998))
    assert send(server, f"Action=ListUsers&{IAM}&{many}")[0] == 200
    status, body = send(server, f"Action=ListUsers&{IAM}&{many}&One=more")
    assert status == 400
    assert error_of(body) == ("InvalidQueryParameter", "The request has more than 1000 parameters.")


def test_an_unauthenticated_body_is_refused_before_its_parameters_are_decoded(server):
    request = urllib.request.Request(server.endpoint + "/", data=f"Action=%zz&{IAM}".encode(), method="POST",
                                     headers={"Content-Type": "application/x-www-form-urlencoded"})
    try:
        urllib.request.urlopen(request, timeout=30)
        raise AssertionError("an unsigned request was answered")
    except urllib.error.HTTPError as error:
        assert error.code == 403
        assert error_of(error.read().decode())[0] == "MissingAuthenticationToken"

    status, body = send(server, f"Action=%zz&{IAM}", credentials=(server.root_keys()[0], "not the secret"))
    assert status == 403
    assert error_of(body)[0] == "SignatureDoesNotMatch"


def test_signature_parameters_in_a_post_body_do_not_authenticate(server):
    key_id, _ = server.root_keys()
    body = urllib.parse.urlencode({
        "Action": "ListUsers", "Version": "2010-05-08", "X-Amz-Algorithm": "AWS4-HMAC-SHA256",
        "X-Amz-Credential": f"{key_id}/20260101/us-east-1/iam/aws4_request", "X-Amz-Date": "20260101T000000Z",
        "X-Amz-SignedHeaders": "host", "X-Amz-Signature": "0" * 64,
    })
    request = urllib.request.Request(server.endpoint + "/", data=body.encode(), method="POST",
                                     headers={"Content-Type": "application/x-www-form-urlencoded"})
    try:
        urllib.request.urlopen(request, timeout=30)
        raise AssertionError("a request authenticated by its body was answered")
    except urllib.error.HTTPError as error:
        assert error.code == 403
        assert error_of(error.read().decode())[0] == "MissingAuthenticationToken"
