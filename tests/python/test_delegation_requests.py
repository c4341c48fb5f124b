"""Delegation requests (IAM temporary delegation) between a partner account
and a customer account, and the delegated credentials the partner trades the
exchange token for (`sts:GetDelegatedAccessToken`)."""

import configparser
import json
import sqlite3
import subprocess
import time
import uuid

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from conftest import ACCOUNT_ID, tessera_bin

CUSTOMER = "222233334444"
OUTSIDER = "333344445555"
TOPIC = f"arn:aws:sns:us-east-1:{ACCOUNT_ID}:partner-topic"
TEMPLATE = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Sid": "Read", "Effect": "Allow", "Action": ["iam:GetUser", "iam:ListUsers"], "Resource": "*"},
    {"Sid": "Tag", "Effect": "Allow", "Action": "iam:TagUser", "Resource": "arn:aws:iam::*:user/@{userName}",
     "Condition": {"StringEquals": {"aws:RequestTag/team": ["@{teams}"]}}},
]})
ADMIN_POLICY = '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:*","Resource":"*"}]}'
ASSOCIATE_ONLY = ('{"Version":"2012-10-17","Statement":[{"Effect":"Allow",'
                  '"Action":"iam:AssociateDelegationRequest","Resource":"*"}]}')


def client_for(server, profile, service="iam"):
    cp = configparser.ConfigParser()
    cp.read(server.credentials_file)
    return boto3.client(service, endpoint_url=server.endpoint, region_name="us-east-1",
                        aws_access_key_id=cp[profile]["aws_access_key_id"],
                        aws_secret_access_key=cp[profile]["aws_secret_access_key"],
                        config=Config(retries={"max_attempts": 1}))


def keyed_client(server, key_id, secret, service="iam", token=None):
    return boto3.client(service, endpoint_url=server.endpoint, region_name="us-east-1",
                        aws_access_key_id=key_id, aws_secret_access_key=secret, aws_session_token=token,
                        config=Config(retries={"max_attempts": 1}))


def add_account(server, account_id, name):
    made = subprocess.run([tessera_bin(), "account", "create", "--data-dir", str(server.data_dir),
                           "--id", account_id, "--name", name], capture_output=True, text=True, timeout=60)
    assert made.returncode == 0, made.stderr
    sts = client_for(server, name, "sts")
    deadline = time.time() + 10
    while True:
        try:
            return sts.get_caller_identity()
        except ClientError:
            if time.time() > deadline:
                raise
            time.sleep(0.2)


def sent_token(server, request_id):
    out = subprocess.run([tessera_bin(), "delegation", "token", "--data-dir", str(server.data_dir), request_id],
                         capture_output=True, text=True, timeout=60)
    return out


def user_with_key(iam, name, policy):
    iam.create_user(UserName=name)
    iam.put_user_policy(UserName=name, PolicyName="p", PolicyDocument=policy)
    key = iam.create_access_key(UserName=name)["AccessKey"]
    return key["AccessKeyId"], key["SecretAccessKey"]


@pytest.fixture
def world(server):
    """The partner (the default account's root), with a policy template; the
    customer account with an `owner` who may only associate requests and an
    `admin` who may do everything in IAM."""
    add_account(server, CUSTOMER, "customer")
    partner = server.client("iam")
    template_arn = partner.create_policy(PolicyName="template", PolicyDocument=TEMPLATE)["Policy"]["Arn"]
    customer = client_for(server, "customer")
    owner = keyed_client(server, *user_with_key(customer, "owner", ASSOCIATE_ONLY))
    admin = keyed_client(server, *user_with_key(customer, "admin", ADMIN_POLICY))
    customer.create_user(UserName="alice")
    return {"partner": partner, "template": template_arn, "customer": customer, "owner": owner, "admin": admin}


def create(world, **overrides):
    args = dict(
        OwnerAccountId=CUSTOMER, Description="Set up the integration", RequestorWorkflowId="wf-" + uuid.uuid4().hex,
        NotificationChannel=TOPIC, SessionDuration=3600, RedirectUrl="https://partner.example.com/back",
        Permissions={"PolicyTemplateArn": world["template"], "Parameters": [
            {"Name": "userName", "Values": ["alice"], "Type": "string"},
            {"Name": "teams", "Values": ["red", "blue"], "Type": "stringList"}]},
    )
    args.update(overrides)
    return world["partner"].create_delegation_request(**args)["DelegationRequestId"]


def code(excinfo):
    return excinfo.value.response["Error"]["Code"]


def state(client, request_id):
    return client.get_delegation_request(DelegationRequestId=request_id)["DelegationRequest"]["State"]


def test_a_request_goes_from_creation_to_delegated_credentials_limited_by_its_policy(server, world):
    request_id = create(world, OnlySendByOwner=True)
    got = world["partner"].get_delegation_request(DelegationRequestId=request_id)["DelegationRequest"]
    assert got["State"] == "UNASSIGNED"
    assert got["RequestorId"] == ACCOUNT_ID and got["OwnerAccountId"] == CUSTOMER
    policy = json.loads(got["PermissionPolicy"])
    assert policy["Statement"][1]["Resource"] == "arn:aws:iam::*:user/alice"
    assert policy["Statement"][1]["Condition"]["StringEquals"]["aws:RequestTag/team"] == ["red", "blue"]
    # Not owned yet: not listed for the customer.
    assert world["customer"].list_delegation_requests()["DelegationRequests"] == []

    world["owner"].associate_delegation_request(DelegationRequestId=request_id)
    owner_arn = f"arn:aws:iam::{CUSTOMER}:user/owner"
    # The owner reads and updates it by default, without a policy for it.
    got = world["owner"].get_delegation_request(DelegationRequestId=request_id)["DelegationRequest"]
    assert (got["State"], got["OwnerId"]) == ("ASSIGNED", owner_arn)
    world["owner"].update_delegation_request(DelegationRequestId=request_id, Notes="please approve")
    assert state(world["owner"], request_id) == "PENDING_APPROVAL"
    # Accepting needs the permission the owner lacks.
    with pytest.raises(ClientError) as e:
        world["owner"].accept_delegation_request(DelegationRequestId=request_id)
    assert code(e) == "AccessDenied"

    world["admin"].accept_delegation_request(DelegationRequestId=request_id)
    got = world["admin"].get_delegation_request(DelegationRequestId=request_id)["DelegationRequest"]
    assert got["State"] == "ACCEPTED" and got["ApproverId"] == f"arn:aws:iam::{CUSTOMER}:user/admin"
    assert got["Notes"] == "please approve"
    # Only the owner may release the token of this request.
    with pytest.raises(ClientError) as e:
        world["admin"].send_delegation_token(DelegationRequestId=request_id)
    assert code(e) == "AccessDenied"
    assert sent_token(server, request_id).returncode != 0
    world["owner"].send_delegation_token(DelegationRequestId=request_id)
    assert state(world["owner"], request_id) == "FINALIZED"

    token = sent_token(server, request_id)
    assert token.returncode == 0, token.stderr
    partner_sts = server.client("sts")
    out = partner_sts.get_delegated_access_token(TradeInToken=token.stdout.strip())
    assert out["AssumedPrincipal"] == f"arn:aws:iam::{CUSTOMER}:user/admin"
    creds = out["Credentials"]
    delegated = keyed_client(server, creds["AccessKeyId"], creds["SecretAccessKey"], token=creds["SessionToken"])
    assert {u["UserName"] for u in delegated.list_users()["Users"]} >= {"alice", "admin", "owner"}
    delegated.tag_user(UserName="alice", Tags=[{"Key": "team", "Value": "red"}])
    # The admin may do all of IAM, the delegated session only what the request grants.
    for call in (lambda: delegated.tag_user(UserName="alice", Tags=[{"Key": "team", "Value": "green"}]),
                 lambda: delegated.create_user(UserName="mallory")):
        with pytest.raises(ClientError) as e:
            call()
        assert code(e) == "AccessDenied"
    assert "mallory" not in {u["UserName"] for u in world["customer"].list_users()["Users"]}


def test_the_aws_cli_lists_and_reads_requests(server, world):
    request_id = create(world)
    world["owner"].associate_delegation_request(DelegationRequestId=request_id)
    customer = client_for(server, "customer")
    cp = configparser.ConfigParser()
    cp.read(server.credentials_file)
    key, secret = cp["customer"]["aws_access_key_id"], cp["customer"]["aws_secret_access_key"]
    listed = json.loads(server.cli("iam", "list-delegation-requests", key_id=key, secret=secret).stdout)
    assert [r["DelegationRequestId"] for r in listed["DelegationRequests"]] == [request_id]
    got = json.loads(server.cli("iam", "get-delegation-request", "--delegation-request-id", request_id,
                                key_id=key, secret=secret).stdout)
    assert got["DelegationRequest"]["State"] == "ASSIGNED"
    assert customer.list_delegation_requests(OwnerId=f"arn:aws:iam::{CUSTOMER}:user/nobody")["DelegationRequests"] == []


def test_lists_are_paged(server, world):
    ids = sorted(create(world) for _ in range(3))
    for request_id in ids:
        world["owner"].associate_delegation_request(DelegationRequestId=request_id)
    first = world["customer"].list_delegation_requests(MaxItems=2)
    assert first["isTruncated"] is True
    second = world["customer"].list_delegation_requests(MaxItems=2, Marker=first["Marker"])
    assert second["isTruncated"] is False
    assert [r["DelegationRequestId"] for r in first["DelegationRequests"] + second["DelegationRequests"]] == ids


def test_other_accounts_neither_see_nor_change_a_request(server, world):
    add_account(server, OUTSIDER, "outsider")
    outsider = client_for(server, "outsider")
    request_id = create(world)
    for call in (outsider.get_delegation_request, outsider.associate_delegation_request):
        with pytest.raises(ClientError) as e:
            call(DelegationRequestId=request_id)
        assert code(e) == "NoSuchEntity"
    world["owner"].associate_delegation_request(DelegationRequestId=request_id)
    # The partner sees its request but does not decide it.
    with pytest.raises(ClientError) as e:
        world["partner"].accept_delegation_request(DelegationRequestId=request_id)
    assert code(e) == "AccessDenied"
    assert state(world["customer"], request_id) == "ASSIGNED"
    # A request without a target account is associated by whoever claims it first.
    open_id = world["partner"].create_delegation_request(
        Description="open", RequestorWorkflowId="wf-open", NotificationChannel=TOPIC, SessionDuration=900,
        Permissions={"PolicyTemplateArn": world["template"], "Parameters": [
            {"Name": "userName", "Values": ["bob"], "Type": "string"},
            {"Name": "teams", "Values": ["red"], "Type": "stringList"}]})["DelegationRequestId"]
    outsider.associate_delegation_request(DelegationRequestId=open_id)
    got = outsider.get_delegation_request(DelegationRequestId=open_id)["DelegationRequest"]
    assert got["OwnerAccountId"] == OUTSIDER and got["OwnerId"] == f"arn:aws:iam::{OUTSIDER}:root"
    with pytest.raises(ClientError) as e:
        world["customer"].get_delegation_request(DelegationRequestId=open_id)
    assert code(e) == "NoSuchEntity"


def test_each_state_refuses_the_operations_it_does_not_allow(server, world):
    request_id = create(world)
    customer = world["customer"]
    with pytest.raises(ClientError) as e:
        customer.accept_delegation_request(DelegationRequestId=request_id)
    assert code(e) == "ConcurrentModification"
    assert "UNASSIGNED" in e.value.response["Error"]["Message"]
    customer.associate_delegation_request(DelegationRequestId=request_id)
    for call in (customer.associate_delegation_request, customer.send_delegation_token):
        with pytest.raises(ClientError) as e:
            call(DelegationRequestId=request_id)
        assert code(e) == "InvalidInput"
    customer.accept_delegation_request(DelegationRequestId=request_id)
    customer.reject_delegation_request(DelegationRequestId=request_id, Notes="changed my mind")
    got = customer.get_delegation_request(DelegationRequestId=request_id)["DelegationRequest"]
    assert (got["State"], got["RejectionReason"]) == ("REJECTED", "changed my mind")
    with pytest.raises(ClientError) as e:
        customer.accept_delegation_request(DelegationRequestId=request_id)
    assert code(e) == "ConcurrentModification"
    for call in (customer.send_delegation_token, customer.update_delegation_request):
        with pytest.raises(ClientError) as e:
            call(DelegationRequestId=request_id)
        assert code(e) == "InvalidInput"
    assert state(customer, request_id) == "REJECTED"


def test_the_root_approves_at_most_four_hours(server, world):
    request_id = create(world, SessionDuration=4 * 3600 + 1)
    world["customer"].associate_delegation_request(DelegationRequestId=request_id)
    with pytest.raises(ClientError) as e:
        world["customer"].accept_delegation_request(DelegationRequestId=request_id)
    assert code(e) == "AccessDenied"
    assert state(world["customer"], request_id) == "ASSIGNED"
    world["admin"].accept_delegation_request(DelegationRequestId=request_id)


def rewrite_request(server, request_id, change):
    """Moves a request's times back as if time had passed: rewrites its
    record in the store as a committed write, which the server picks up."""
    db = sqlite3.connect(server.data_dir / "tessera.db", isolation_level=None)
    db.execute("BEGIN IMMEDIATE")
    (value,) = db.execute("SELECT value FROM items WHERE namespace='delegation' AND key=?",
                          (request_id.encode(),)).fetchone()
    record = json.loads(value)
    change(record)
    db.execute("UPDATE revision SET latest = latest + 1")
    db.execute("UPDATE items SET value=?, revision=(SELECT latest FROM revision) WHERE namespace='delegation' AND key=?",
               (json.dumps(record).encode(), request_id.encode()))
    db.execute("COMMIT")
    db.close()
    time.sleep(2)


def test_an_expired_request_and_an_expired_token_are_refused(server, world):
    request_id = create(world)
    rewrite_request(server, request_id, lambda r: r.update(expires=r["created"] - 1))
    assert state(world["partner"], request_id) == "EXPIRED"
    with pytest.raises(ClientError) as e:
        world["customer"].associate_delegation_request(DelegationRequestId=request_id)
    assert code(e) == "InvalidInput" and "expired" in e.value.response["Error"]["Message"]

    request_id = create(world)
    customer = world["customer"]
    customer.associate_delegation_request(DelegationRequestId=request_id)
    customer.accept_delegation_request(DelegationRequestId=request_id)
    customer.send_delegation_token(DelegationRequestId=request_id)
    token = sent_token(server, request_id).stdout.strip()
    rewrite_request(server, request_id, lambda r: r.update(token_sent=r["token_sent"] - 3600))
    with pytest.raises(ClientError) as e:
        server.client("sts").get_delegated_access_token(TradeInToken=token)
    assert code(e) == "ExpiredTradeInTokenException"
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400


def test_a_token_is_traded_only_by_its_partner_and_only_as_released(server, world):
    request_id = create(world)
    customer = world["customer"]
    customer.associate_delegation_request(DelegationRequestId=request_id)
    customer.accept_delegation_request(DelegationRequestId=request_id)
    customer.send_delegation_token(DelegationRequestId=request_id)
    token = sent_token(server, request_id).stdout.strip()
    for sts, presented in ((client_for(server, "customer", "sts"), token),
                           (server.client("sts"), token[:-2] + ("AA" if not token.endswith("AA") else "BB")),
                           (server.client("sts"), "no-such-token")):
        with pytest.raises(ClientError) as e:
            sts.get_delegated_access_token(TradeInToken=presented)
        assert code(e) == "InvalidParameterValue"
    # The root approved: the session is the root's, limited all the same.
    creds = server.client("sts").get_delegated_access_token(TradeInToken=token)["Credentials"]
    delegated = keyed_client(server, creds["AccessKeyId"], creds["SecretAccessKey"], token=creds["SessionToken"])
    delegated.get_user(UserName="alice")
    with pytest.raises(ClientError) as e:
        delegated.delete_user(UserName="alice")
    assert code(e) == "AccessDenied"


def test_bad_input_is_refused_and_changes_nothing(server, world):
    workflow = "wf-reused"
    template = world["template"]
    bad = [
        dict(NotificationChannel="not-an-sns-topic"),
        dict(Permissions={"PolicyTemplateArn": f"arn:aws:iam::{ACCOUNT_ID}:policy/missing"}),
        dict(Permissions={"PolicyTemplateArn": template, "Parameters": [
            {"Name": "userName", "Values": ["alice"], "Type": "string"}]}),
        dict(Permissions={"PolicyTemplateArn": template, "Parameters": [
            {"Name": "userName", "Values": ["alice"], "Type": "string"},
            {"Name": "teams", "Values": ["red"], "Type": "stringList"},
            {"Name": "unused", "Values": ["x"], "Type": "string"}]}),
        dict(Permissions={"PolicyTemplateArn": template, "Parameters": [
            {"Name": "userName", "Values": ["a", "b"], "Type": "string"},
            {"Name": "teams", "Values": ["red"], "Type": "stringList"}]}),
    ]
    for overrides in bad:
        with pytest.raises(ClientError) as e:
            create(world, RequestorWorkflowId=workflow, **overrides)
        assert code(e) == "InvalidInput", overrides
    # None of them was stored: the workflow id is still free, once.
    create(world, RequestorWorkflowId=workflow)
    with pytest.raises(ClientError) as e:
        create(world, RequestorWorkflowId=workflow)
    assert code(e) == "EntityAlreadyExists"


def test_the_summary_describes_each_statement(server, world):
    request_id = create(world)
    arn = f"arn:aws:iam::{ACCOUNT_ID}:delegation-request/{request_id}"
    out = world["partner"].get_human_readable_summary(EntityArn=arn)
    assert out["SummaryState"] == "AVAILABLE" and out["Locale"] == "en-US"
    text = out["SummaryContent"]
    assert f"Account {ACCOUNT_ID} requests temporary access to account {CUSTOMER} for 1 hour." in text
    assert "1. Allows iam:GetUser and iam:ListUsers on every resource." in text
    assert ("2. Allows iam:TagUser on arn:aws:iam::*:user/alice when aws:RequestTag/team matches "
            "one of red and blue (StringEquals).") in text
    assert world["partner"].get_human_readable_summary(EntityArn=arn, Locale="fr-FR")["SummaryState"] == "NOT_SUPPORTED"
    with pytest.raises(ClientError) as e:
        world["partner"].get_human_readable_summary(EntityArn=f"arn:aws:iam::{ACCOUNT_ID}:user/alice")
    assert code(e) == "InvalidInput"
    add_account(server, OUTSIDER, "outsider")
    with pytest.raises(ClientError) as e:
        client_for(server, "outsider").get_human_readable_summary(EntityArn=arn)
    assert code(e) == "NoSuchEntity"
