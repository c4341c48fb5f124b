"""Service last accessed reports and the Organizations access report, with
boto3 and the aws CLI, on SQLite and PostgreSQL.

A user and a role session make IAM and STS calls; the server notes each
attempt in memory and writes them in the background (the test server
flushes every 100 ms), then the reports name the services the subject's
policies allow with the latest attempt on each.
"""

import json
import time
from datetime import datetime, timedelta, timezone

import pytest
from botocore.exceptions import ClientError

from conftest import ACCOUNT_ID, Server, drop_postgres_database, fresh_postgres_database

FLUSH_MS = 100


def doc(*actions):
    return json.dumps({"Version": "2012-10-17",
                       "Statement": [{"Effect": "Allow", "Action": list(actions), "Resource": "*"}]})


@pytest.fixture(params=["sqlite", "postgres"])
def sla_server(request, tmp_path):
    url = fresh_postgres_database() if request.param == "postgres" else None
    server = Server(tmp_path / "data", database_url=url,
                    extra_args=["--usage-flush-interval-ms", str(FLUSH_MS)]).start()
    yield server
    server.stop()
    if url:
        drop_postgres_database(url)


def error_code(excinfo):
    return excinfo.value.response["Error"]["Code"]


def report(iam, arn, granularity="SERVICE_LEVEL", **kwargs):
    job = iam.generate_service_last_accessed_details(Arn=arn, Granularity=granularity)["JobId"]
    assert len(job) == 36
    deadline = time.time() + 10
    while True:
        got = iam.get_service_last_accessed_details(JobId=job, **kwargs)
        if got["JobStatus"] != "IN_PROGRESS" or time.time() > deadline:
            break
        time.sleep(0.1)
    assert got["JobStatus"] == "COMPLETED"
    assert got["JobType"] == granularity
    assert got["JobCompletionDate"] >= got["JobCreationDate"]
    return job, got


def by_namespace(got):
    return {s["ServiceNamespace"]: s for s in got["ServicesLastAccessed"]}


def wait_until_recorded(iam, arn, namespace):
    """Generates reports until the background writer has recorded an
    attempt on `namespace` by the entity `arn` names."""
    deadline = time.time() + 10
    while True:
        _, got = report(iam, arn)
        entry = by_namespace(got).get(namespace, {})
        if "LastAuthenticated" in entry or time.time() > deadline:
            return got
        time.sleep(FLUSH_MS / 1000)


@pytest.fixture
def activity(sla_server):
    """alice (a user) calls IAM in us-east-1, assumes a role in us-east-1
    and calls STS in eu-west-1; the role session calls IAM in eu-west-2 and
    STS in eu-west-2. bob never calls anything."""
    server = sla_server
    iam = server.client("iam")
    started = datetime.now(timezone.utc) - timedelta(seconds=2)
    alice = iam.create_user(UserName="alice")["User"]
    iam.put_user_policy(UserName="alice", PolicyName="p",
                        PolicyDocument=doc("iam:*", "sts:*", "s3:GetObject"))
    key = iam.create_access_key(UserName="alice")["AccessKey"]
    bob = iam.create_user(UserName="bob")["User"]
    trust = json.dumps({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT_ID}:root"},
        "Action": "sts:AssumeRole"}]})
    role = iam.create_role(RoleName="deployer", Path="/ci/", AssumeRolePolicyDocument=trust)["Role"]
    iam.put_role_policy(RoleName="deployer", PolicyName="p",
                        PolicyDocument=doc("iam:List*", "sts:GetCallerIdentity"))

    as_alice = dict(key_id=key["AccessKeyId"], secret=key["SecretAccessKey"])
    server.client("iam", **as_alice).list_users()
    creds = server.client("sts", **as_alice).assume_role(
        RoleArn=role["Arn"], RoleSessionName="s1")["Credentials"]
    server.client("sts", region="eu-west-1", **as_alice).get_caller_identity()

    import boto3
    session = boto3.session.Session(
        aws_access_key_id=creds["AccessKeyId"], aws_secret_access_key=creds["SecretAccessKey"],
        aws_session_token=creds["SessionToken"], region_name="eu-west-2")
    session.client("iam", endpoint_url=server.endpoint).list_roles()
    session.client("sts", endpoint_url=server.endpoint).get_caller_identity()
    # A few flush intervals, so that every attempt above is written.
    time.sleep(5 * FLUSH_MS / 1000)
    return dict(server=server, iam=iam, alice=alice, bob=bob, role=role, started=started,
                session=session, as_alice=as_alice)


def recent(activity, when):
    assert activity["started"] <= when <= datetime.now(timezone.utc) + timedelta(seconds=2)


def test_a_users_report_names_its_allowed_services_with_the_latest_attempt_on_each(activity):
    iam, alice = activity["iam"], activity["alice"]
    got = wait_until_recorded(iam, alice["Arn"], "sts")
    services = by_namespace(got)
    # Allowed by alice's policy, sorted by namespace.
    assert [s["ServiceNamespace"] for s in got["ServicesLastAccessed"]] == ["iam", "s3", "sts"]
    assert services["iam"]["ServiceName"] == "AWS Identity and Access Management (IAM)"
    assert services["iam"]["LastAuthenticatedEntity"] == alice["Arn"]
    assert services["iam"]["LastAuthenticatedRegion"] == "us-east-1"
    assert services["iam"]["TotalAuthenticatedEntities"] == 1
    recent(activity, services["iam"]["LastAuthenticated"])
    assert services["sts"]["LastAuthenticatedRegion"] == "eu-west-1"
    recent(activity, services["sts"]["LastAuthenticated"])
    # Allowed but never used: no last attempt.
    assert services["s3"]["ServiceName"] == "Amazon S3"
    assert "LastAuthenticated" not in services["s3"]
    assert "LastAuthenticatedEntity" not in services["s3"]
    assert services["s3"]["TotalAuthenticatedEntities"] == 0
    assert "TrackedActionsLastAccessed" not in services["iam"]


def test_a_role_session_counts_for_its_role(activity):
    iam, role = activity["iam"], activity["role"]
    got = wait_until_recorded(iam, role["Arn"], "sts")
    services = by_namespace(got)
    assert sorted(services) == ["iam", "sts"]
    assert services["iam"]["LastAuthenticatedEntity"] == role["Arn"]
    assert services["iam"]["LastAuthenticatedRegion"] == "eu-west-2"
    assert services["sts"]["LastAuthenticatedEntity"] == role["Arn"]
    recent(activity, services["sts"]["LastAuthenticated"])


def test_action_level_reports_track_each_iam_action(activity):
    iam, alice = activity["iam"], activity["alice"]
    wait_until_recorded(iam, alice["Arn"], "sts")
    _, got = report(iam, alice["Arn"], "ACTION_LEVEL", MaxItems=1000)
    tracked = {a["ActionName"]: a for a in by_namespace(got)["iam"]["TrackedActionsLastAccessed"]}
    assert tracked["ListUsers"]["LastAccessedEntity"] == alice["Arn"]
    assert tracked["ListUsers"]["LastAccessedRegion"] == "us-east-1"
    recent(activity, tracked["ListUsers"]["LastAccessedTime"])
    # Allowed (iam:*) but never called.
    assert tracked["CreateUser"] == {"ActionName": "CreateUser"}
    sts = {a["ActionName"]: a for a in by_namespace(got)["sts"]["TrackedActionsLastAccessed"]}
    assert sts["AssumeRole"]["LastAccessedRegion"] == "us-east-1"
    assert sts["GetCallerIdentity"]["LastAccessedRegion"] == "eu-west-1"
    assert "TrackedActionsLastAccessed" not in by_namespace(got)["s3"]


def test_a_group_reports_over_its_members_and_lists_them_with_entities(activity):
    iam, alice, bob = activity["iam"], activity["alice"], activity["bob"]
    wait_until_recorded(iam, alice["Arn"], "sts")
    iam.create_group(GroupName="devs")
    iam.put_group_policy(GroupName="devs", PolicyName="p", PolicyDocument=doc("iam:ListUsers"))
    iam.add_user_to_group(GroupName="devs", UserName="alice")
    iam.add_user_to_group(GroupName="devs", UserName="bob")
    group_arn = f"arn:aws:iam::{ACCOUNT_ID}:group/devs"
    job, got = report(iam, group_arn)
    services = by_namespace(got)
    assert list(services) == ["iam"]
    assert services["iam"]["LastAuthenticatedEntity"] == alice["Arn"]
    assert services["iam"]["TotalAuthenticatedEntities"] == 1

    entities = iam.get_service_last_accessed_details_with_entities(JobId=job, ServiceNamespace="iam")
    assert entities["JobStatus"] == "COMPLETED"
    details = entities["EntityDetailsList"]
    # The most recent access first; bob never accessed IAM.
    assert [d["EntityInfo"]["Name"] for d in details] == ["alice", "bob"]
    assert details[0]["EntityInfo"] == {"Arn": alice["Arn"], "Name": "alice", "Type": "USER",
                                         "Id": alice["UserId"], "Path": "/"}
    recent(activity, details[0]["LastAuthenticated"])
    assert "LastAuthenticated" not in details[1]
    first = iam.get_service_last_accessed_details_with_entities(
        JobId=job, ServiceNamespace="iam", MaxItems=1)
    assert first["IsTruncated"] is True
    rest = iam.get_service_last_accessed_details_with_entities(
        JobId=job, ServiceNamespace="iam", Marker=first["Marker"])
    assert [d["EntityInfo"]["Name"] for d in first["EntityDetailsList"] + rest["EntityDetailsList"]] == \
        ["alice", "bob"]
    assert rest["IsTruncated"] is False


def test_a_managed_policy_reports_over_every_entity_it_is_attached_to(activity):
    iam, role, bob = activity["iam"], activity["role"], activity["bob"]
    wait_until_recorded(iam, role["Arn"], "sts")
    policy = iam.create_policy(PolicyName="whoami", PolicyDocument=doc("sts:GetCallerIdentity"))["Policy"]
    iam.attach_role_policy(RoleName="deployer", PolicyArn=policy["Arn"])
    iam.attach_user_policy(UserName="bob", PolicyArn=policy["Arn"])
    job, got = report(iam, policy["Arn"])
    services = by_namespace(got)
    assert list(services) == ["sts"]
    assert services["sts"]["LastAuthenticatedEntity"] == role["Arn"]
    assert services["sts"]["LastAuthenticatedRegion"] == "eu-west-2"
    assert services["sts"]["TotalAuthenticatedEntities"] == 1
    details = iam.get_service_last_accessed_details_with_entities(
        JobId=job, ServiceNamespace="sts")["EntityDetailsList"]
    assert [(d["EntityInfo"]["Type"], d["EntityInfo"]["Name"]) for d in details] == \
        [("ROLE", "deployer"), ("USER", "bob")]
    assert details[0]["EntityInfo"]["Path"] == "/ci/"


def test_services_are_paged_in_namespace_order(activity):
    iam = activity["iam"]
    iam.create_user(UserName="admin")
    iam.attach_user_policy(UserName="admin", PolicyArn="arn:aws:iam::aws:policy/AdministratorAccess")
    job, full = report(iam, f"arn:aws:iam::{ACCOUNT_ID}:user/admin", MaxItems=1000)
    everything = [s["ServiceNamespace"] for s in full["ServicesLastAccessed"]]
    # "*" allows every service the Service Authorization Reference lists.
    assert len(everything) > 300 and everything == sorted(everything)
    assert full["IsTruncated"] is False
    first = iam.get_service_last_accessed_details(JobId=job)
    assert len(first["ServicesLastAccessed"]) == 100 and first["IsTruncated"] is True
    paged, marker = [], None
    while True:
        page = iam.get_service_last_accessed_details(JobId=job, MaxItems=150,
                                                     **({"Marker": marker} if marker else {}))
        paged += [s["ServiceNamespace"] for s in page["ServicesLastAccessed"]]
        if not page["IsTruncated"]:
            break
        marker = page["Marker"]
    assert paged == everything


def test_the_cli_generates_and_reads_a_report(activity):
    server, alice = activity["server"], activity["alice"]
    wait_until_recorded(activity["iam"], alice["Arn"], "iam")
    job = json.loads(server.cli("iam", "generate-service-last-accessed-details",
                                "--arn", alice["Arn"]).stdout)["JobId"]
    got = json.loads(server.cli("iam", "get-service-last-accessed-details", "--job-id", job).stdout)
    iam_entry = next(s for s in got["ServicesLastAccessed"] if s["ServiceNamespace"] == "iam")
    assert got["JobStatus"] == "COMPLETED"
    assert iam_entry["LastAuthenticatedEntity"] == alice["Arn"]


def test_a_job_is_answered_only_to_the_principal_that_generated_it(activity):
    iam, alice = activity["iam"], activity["alice"]
    job, _ = report(iam, alice["Arn"])
    as_alice = activity["server"].client("iam", **activity["as_alice"])
    with pytest.raises(ClientError) as excinfo:
        as_alice.get_service_last_accessed_details(JobId=job)
    assert error_code(excinfo) == "NoSuchEntity"


def test_bad_input_is_refused_with_aws_errors(sla_server):
    iam = sla_server.client("iam")
    with pytest.raises(ClientError) as excinfo:
        iam.generate_service_last_accessed_details(Arn="not-an-arn-at-all-really")
    assert error_code(excinfo) == "InvalidInput"
    with pytest.raises(ClientError) as excinfo:
        iam.generate_service_last_accessed_details(Arn=f"arn:aws:iam::{ACCOUNT_ID}:user/nobody")
    assert error_code(excinfo) == "NoSuchEntity"
    with pytest.raises(ClientError) as excinfo:
        iam.generate_service_last_accessed_details(
            Arn=f"arn:aws:iam::{ACCOUNT_ID}:policy/nothing-here")
    assert error_code(excinfo) == "NoSuchEntity"
    iam.create_user(UserName="carol")
    with pytest.raises(ClientError) as excinfo:
        iam.generate_service_last_accessed_details(
            Arn=f"arn:aws:iam::{ACCOUNT_ID}:user/carol", Granularity="EVERYTHING")
    assert error_code(excinfo) == "ValidationError"
    unknown = "00000000-0000-4000-8000-000000000000"
    for call in (lambda: iam.get_service_last_accessed_details(JobId=unknown),
                 lambda: iam.get_service_last_accessed_details_with_entities(
                     JobId=unknown, ServiceNamespace="iam")):
        with pytest.raises(ClientError) as excinfo:
            call()
        assert error_code(excinfo) == "NoSuchEntity"
        assert excinfo.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404


def test_the_organizations_access_report_answers_an_account_outside_any_organization(sla_server):
    iam = sla_server.client("iam")
    with pytest.raises(ClientError) as excinfo:
        iam.generate_organizations_access_report(
            EntityPath=f"o-a1b2c3d4e5/r-f6g7h8i9j0example/{ACCOUNT_ID}")
    assert error_code(excinfo) == "OrganizationNotFoundException"
    # The entity path is checked against the model first.
    with pytest.raises(ClientError) as excinfo:
        iam.generate_organizations_access_report(EntityPath="x-a1b2c3d4e5/r-f6g7h8i9j0")
    assert error_code(excinfo) == "ValidationError"
    with pytest.raises(ClientError) as excinfo:
        iam.get_organizations_access_report(JobId="00000000-0000-4000-8000-000000000000")
    assert error_code(excinfo) == "NoSuchEntity"
    cli = sla_server.cli("iam", "generate-organizations-access-report",
                         "--entity-path", f"o-a1b2c3d4e5/r-f6g7h8i9j0example/{ACCOUNT_ID}", check=False)
    assert cli.returncode != 0 and "OrganizationNotFoundException" in cli.stderr
