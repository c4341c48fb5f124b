"""Several nodes on one PostgreSQL database: a change made on one node is
served by the others within the refresh interval, and keys created on one
node authenticate on every node."""

import time

import pytest
from botocore.exceptions import ClientError

from conftest import Server, fresh_postgres_database

KEK = "5" * 64


@pytest.fixture
def two_nodes(tmp_path):
    url = fresh_postgres_database()
    env = {"TESSERA_KEK": KEK}
    a = Server(tmp_path / "a", database_url=url, env=env, extra_args=["--refresh-interval-ms", "200"]).start()
    b = Server(tmp_path / "b", database_url=url, env=env, extra_args=["--refresh-interval-ms", "200"]).start()
    yield a, b
    a.stop()
    b.stop()


def wait_until_visible(iam, name, limit=10.0):
    start = time.monotonic()
    while True:
        try:
            iam.get_user(UserName=name)
            return time.monotonic() - start
        except ClientError as e:
            assert e.response["Error"]["Code"] == "NoSuchEntity"
            if time.monotonic() - start > limit:
                raise AssertionError(f"{name} not visible after {limit} s")
            time.sleep(0.02)


def test_second_node_shares_the_account_and_root_key(two_nodes):
    a, b = two_nodes
    assert not b.credentials_file.exists()  # only the node that created the account wrote it
    key_id, secret = a.root_keys()
    assert b.client("sts", key_id, secret).get_caller_identity()["Account"] == a.account_id


def test_changes_reach_the_other_node_within_the_refresh_interval(two_nodes):
    a, b = two_nodes
    key_id, secret = a.root_keys()
    iam_a = a.client("iam")
    iam_b = b.client("iam", key_id, secret)
    delays = []
    for i in range(5):
        name = f"node-user-{i}"
        iam_a.create_user(UserName=name)
        delays.append(wait_until_visible(iam_b, name))
    # 200 ms polling: every change must arrive within a few intervals.
    assert max(delays) < 2.0, delays
    print(f"propagation delays (s): {[round(d, 3) for d in delays]}")


def test_key_created_on_one_node_signs_requests_on_the_other(two_nodes):
    a, b = two_nodes
    iam_a = a.client("iam")
    iam_a.create_user(UserName="roamer")
    key = iam_a.create_access_key(UserName="roamer")["AccessKey"]
    sts_b = b.client("sts", key["AccessKeyId"], key["SecretAccessKey"])
    start = time.monotonic()
    while True:
        try:
            assert sts_b.get_caller_identity()["Arn"].endswith(":user/roamer")
            break
        except ClientError as e:
            assert e.response["Error"]["Code"] == "InvalidClientTokenId"
            assert time.monotonic() - start < 5, "key never reached the second node"
            time.sleep(0.02)


def test_quota_holds_across_nodes(two_nodes):
    import threading
    a, b = two_nodes
    key_id, secret = a.root_keys()
    a.client("iam").create_user(UserName="shared")
    wait_until_visible(b.client("iam", key_id, secret), "shared")
    outcomes = []

    def create(node):
        try:
            node.client("iam", key_id, secret).create_access_key(UserName="shared")
            outcomes.append("ok")
        except ClientError as e:
            outcomes.append(e.response["Error"]["Code"])

    threads = [threading.Thread(target=create, args=(node,)) for node in (a, b) * 4]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert outcomes.count("ok") == 2, outcomes
    assert len(a.client("iam").list_access_keys(UserName="shared")["AccessKeyMetadata"]) == 2
