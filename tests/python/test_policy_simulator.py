"""The policy simulator through boto3 and the aws CLI: SimulateCustomPolicy
and SimulatePrincipalPolicy, for actions of any service, decided by the
engine that enforces requests."""

import json

import pytest
from botocore.exceptions import ClientError

from conftest import ACCOUNT_ID


def doc(*statements):
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)}, indent=2)


ALLOW_S3_PUT = {"Effect": "Allow", "Action": "s3:PutObject", "Resource": "arn:aws:s3:::bucket/*"}
DENY_SECRET = {"Sid": "NoSecret", "Effect": "Deny", "Action": "s3:*", "Resource": "arn:aws:s3:::bucket/secret/*"}


def test_custom_policies_decide_each_action_on_each_resource(server):
    iam = server.client("iam")
    out = iam.simulate_custom_policy(
        PolicyInputList=[doc(ALLOW_S3_PUT, DENY_SECRET)],
        ActionNames=["s3:PutObject", "logs:PutLogEvents"],
        ResourceArns=["arn:aws:s3:::bucket/a.txt", "arn:aws:s3:::bucket/secret/b.txt"])
    decisions = {(r["EvalActionName"], r["EvalResourceName"]): r["EvalDecision"] for r in out["EvaluationResults"]}
    assert decisions == {
        ("s3:PutObject", "arn:aws:s3:::bucket/a.txt"): "allowed",
        ("s3:PutObject", "arn:aws:s3:::bucket/secret/b.txt"): "explicitDeny",
        ("logs:PutLogEvents", "arn:aws:s3:::bucket/a.txt"): "implicitDeny",
        ("logs:PutLogEvents", "arn:aws:s3:::bucket/secret/b.txt"): "implicitDeny",
    }
    allowed = out["EvaluationResults"][0]
    [statement] = allowed["MatchedStatements"]
    assert statement["SourcePolicyId"] == "PolicyInputList.1"
    # The first statement of the indented document: lines 4 to 8.
    assert (statement["StartPosition"]["Line"], statement["EndPosition"]["Line"]) == (4, 8)
    assert allowed["OrganizationsDecisionDetail"] == {"AllowedByOrganizations": True}


def test_context_entries_satisfy_conditions_and_missing_keys_are_listed(server):
    iam = server.client("iam")
    conditional = {"Effect": "Allow", "Action": "cloudwatch:PutMetricData", "Resource": "*",
                   "Condition": {"StringEquals": {"cloudwatch:namespace": "App"}}}
    without = iam.simulate_custom_policy(PolicyInputList=[doc(conditional)], ActionNames=["cloudwatch:PutMetricData"])
    [result] = without["EvaluationResults"]
    assert result["EvalDecision"] == "implicitDeny"
    assert result["MissingContextValues"] == ["cloudwatch:namespace"]
    with_key = iam.simulate_custom_policy(
        PolicyInputList=[doc(conditional)], ActionNames=["cloudwatch:PutMetricData"],
        ContextEntries=[{"ContextKeyName": "cloudwatch:namespace", "ContextKeyValues": ["App"], "ContextKeyType": "string"}])
    [result] = with_key["EvaluationResults"]
    assert result["EvalDecision"] == "allowed" and result["MissingContextValues"] == []


def test_a_boundary_limits_what_the_identity_policies_allow(server):
    iam = server.client("iam")
    out = iam.simulate_custom_policy(
        PolicyInputList=[doc({"Effect": "Allow", "Action": "*", "Resource": "*"})],
        PermissionsBoundaryPolicyInputList=[doc({"Effect": "Allow", "Action": "s3:*", "Resource": "*"})],
        ActionNames=["s3:GetObject", "ec2:RunInstances"])
    by_action = {r["EvalActionName"]: r for r in out["EvaluationResults"]}
    assert by_action["s3:GetObject"]["EvalDecision"] == "allowed"
    assert by_action["s3:GetObject"]["PermissionsBoundaryDecisionDetail"] == {"AllowedByPermissionsBoundary": True}
    assert by_action["ec2:RunInstances"]["EvalDecision"] == "implicitDeny"
    assert by_action["ec2:RunInstances"]["PermissionsBoundaryDecisionDetail"] == {"AllowedByPermissionsBoundary": False}


def test_a_principal_is_simulated_with_its_own_and_its_groups_policies(server):
    iam = server.client("iam")
    iam.create_user(UserName="sim")
    iam.create_group(GroupName="readers")
    iam.add_user_to_group(GroupName="readers", UserName="sim")
    iam.put_group_policy(GroupName="readers", PolicyName="read", PolicyDocument=doc(
        {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}))
    iam.attach_user_policy(UserName="sim", PolicyArn="arn:aws:iam::aws:policy/AmazonDynamoDBReadOnlyAccess")
    arn = f"arn:aws:iam::{ACCOUNT_ID}:user/sim"
    out = iam.simulate_principal_policy(PolicySourceArn=arn,
                                        ActionNames=["s3:GetObject", "dynamodb:GetItem", "s3:PutObject"])
    by_action = {r["EvalActionName"]: r for r in out["EvaluationResults"]}
    assert by_action["s3:GetObject"]["EvalDecision"] == "allowed"
    assert by_action["s3:GetObject"]["MatchedStatements"][0]["SourcePolicyType"] == "group"
    assert by_action["s3:GetObject"]["MatchedStatements"][0]["SourcePolicyId"] == "read"
    dynamo = by_action["dynamodb:GetItem"]["MatchedStatements"][0]
    assert by_action["dynamodb:GetItem"]["EvalDecision"] == "allowed"
    assert (dynamo["SourcePolicyType"], dynamo["SourcePolicyId"]) == (
        "aws-managed", "arn:aws:iam::aws:policy/AmazonDynamoDBReadOnlyAccess")
    assert by_action["s3:PutObject"]["EvalDecision"] == "implicitDeny"
    with pytest.raises(ClientError) as e:
        iam.simulate_principal_policy(PolicySourceArn=f"arn:aws:iam::{ACCOUNT_ID}:user/nobody", ActionNames=["s3:GetObject"])
    assert e.value.response["Error"]["Code"] == "NoSuchEntity"


def test_results_are_paged_and_the_cli_reads_them(server):
    iam = server.client("iam")
    actions = [f"sqs:Action{i}" for i in range(5)]
    first = iam.simulate_custom_policy(PolicyInputList=[doc(ALLOW_S3_PUT)], ActionNames=actions, MaxItems=2)
    assert first["IsTruncated"] is True and len(first["EvaluationResults"]) == 2
    second = iam.simulate_custom_policy(PolicyInputList=[doc(ALLOW_S3_PUT)], ActionNames=actions, MaxItems=10,
                                        Marker=first["Marker"])
    assert [r["EvalActionName"] for r in second["EvaluationResults"]] == actions[2:]
    out = json.loads(server.cli("iam", "simulate-custom-policy", "--policy-input-list", doc(ALLOW_S3_PUT),
                                "--action-names", "s3:PutObject", "--resource-arns", "arn:aws:s3:::bucket/x").stdout)
    assert out["EvaluationResults"][0]["EvalDecision"] == "allowed"


def test_a_resource_policy_can_allow_on_its_own(server):
    iam = server.client("iam")
    bucket_policy = json.dumps({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT_ID}:user/SimulatedCaller"},
        "Action": "s3:GetObject", "Resource": "arn:aws:s3:::shared/*"}]})
    out = iam.simulate_custom_policy(PolicyInputList=[doc({"Effect": "Deny", "Action": "ec2:*", "Resource": "*"})],
                                     ResourcePolicy=bucket_policy, ActionNames=["s3:GetObject"],
                                     ResourceArns=["arn:aws:s3:::shared/file"])
    [result] = out["EvaluationResults"]
    assert result["EvalDecision"] == "allowed"
    assert [m["SourcePolicyType"] for m in result["MatchedStatements"]] == ["resource"]


def test_policies_granting_a_service_are_listed_with_their_holders(server):
    iam = server.client("iam")
    iam.create_user(UserName="lister")
    iam.create_group(GroupName="ops")
    iam.add_user_to_group(GroupName="ops", UserName="lister")
    iam.put_group_policy(GroupName="ops", PolicyName="logs", PolicyDocument=doc(
        {"Effect": "Allow", "Action": "logs:PutLogEvents", "Resource": "*"}))
    iam.put_user_policy(UserName="lister", PolicyName="everything-but-iam", PolicyDocument=doc(
        {"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"}))
    iam.attach_user_policy(UserName="lister", PolicyArn="arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess")
    out = iam.list_policies_granting_service_access(Arn=f"arn:aws:iam::{ACCOUNT_ID}:user/lister",
                                                    ServiceNamespaces=["s3", "logs", "iam"])
    by_service = {e["ServiceNamespace"]: e["Policies"] for e in out["PoliciesGrantingServiceAccess"]}
    assert {p["PolicyName"] for p in by_service["s3"]} == {"everything-but-iam", "AmazonS3ReadOnlyAccess"}
    managed = next(p for p in by_service["s3"] if p["PolicyType"] == "MANAGED")
    assert managed["PolicyArn"] == "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess" and "EntityType" not in managed
    assert {(p["PolicyName"], p.get("EntityType"), p.get("EntityName")) for p in by_service["logs"]} == {
        ("logs", "GROUP", "ops"), ("everything-but-iam", "USER", "lister")}
    assert by_service["iam"] == []
