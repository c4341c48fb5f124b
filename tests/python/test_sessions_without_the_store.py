"""Temporary credentials are authenticated and authorized from the session
token and the node's in-memory snapshot: with the server's PostgreSQL
database made unreachable, requests signed with a session's credentials
(and with long-term keys) keep being answered, while an operation that must
write answers `ServiceFailure`, which shows the store really is gone."""

import subprocess
import urllib.parse

import pytest
from botocore.exceptions import ClientError

from conftest import Server, drop_postgres_database, fresh_postgres_database, postgres_url
from test_sts import allow, doc, role, role_arn, session_arn, temp_client, trust, user_arn


def psql(sql):
    done = subprocess.run(["psql", postgres_url(), "-v", "ON_ERROR_STOP=1", "-qAtc", sql],
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    return done.stdout


@pytest.fixture
def node(tmp_path):
    url = fresh_postgres_database()
    name = urllib.parse.urlparse(url).path.lstrip("/")
    node = Server(tmp_path / "node", database_url=url).start()
    yield node, name
    node.stop()
    psql(f"ALTER DATABASE {name} ALLOW_CONNECTIONS true")
    drop_postgres_database(url)


def cut_off(database):
    """Makes `database` unreachable: no new connection is allowed and every
    open one is ended."""
    psql(f"ALTER DATABASE {database} ALLOW_CONNECTIONS false")
    psql(f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{database}'")


def test_sessions_are_served_with_the_store_unreachable(node):
    server, database = node
    iam = server.client("iam")
    iam.create_user(UserName="offline")
    key = iam.create_access_key(UserName="offline")["AccessKey"]
    role(iam, "offline-role", trust({"AWS": user_arn("offline")}), policy=doc(allow("iam:GetRole")))
    sts = server.client("sts", key["AccessKeyId"], key["SecretAccessKey"])
    session = sts.assume_role(RoleArn=role_arn("offline-role"), RoleSessionName="cut")["Credentials"]
    federated_policy = doc(allow("sts:GetCallerIdentity"))
    iam.put_user_policy(UserName="offline", PolicyName="federate",
                        PolicyDocument=doc(allow("sts:GetFederationToken")))

    cut_off(database)

    # The store is gone: a write cannot be made.
    with pytest.raises(ClientError) as refused:
        iam.create_user(UserName="never")
    assert refused.value.response["Error"]["Code"] == "ServiceFailure"

    # A role session still authenticates, is authorized from its role's
    # policies, and a new session is minted, all without the store.
    for _ in range(3):
        who = temp_client(server, "sts", session).get_caller_identity()
        assert who["Arn"] == session_arn("offline-role", "cut")
    got = temp_client(server, "iam", session).get_role(RoleName="offline-role")
    assert got["Role"]["Arn"] == role_arn("offline-role")
    again = sts.assume_role(RoleArn=role_arn("offline-role"), RoleSessionName="again")["Credentials"]
    assert temp_client(server, "sts", again).get_caller_identity()["Arn"] == session_arn("offline-role", "again")
    federated = sts.get_federation_token(Name="fed", Policy=federated_policy)["Credentials"]
    assert temp_client(server, "sts", federated).get_caller_identity()["Arn"].endswith(":federated-user/fed")
