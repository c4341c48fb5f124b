"""Hostile and slow clients against the real binary.

Each test plays one pattern that would otherwise let a client hold the
server's descriptors, memory or time (idle sockets, trickled heads, stalled
bodies, oversize announcements, a lowered descriptor limit) and checks that
the server frees what the client held and keeps answering everyone else.
"""

import json
import os
import socket
import threading
import time
import xml.etree.ElementTree as ET

import boto3
import pytest
from botocore.config import Config

from conftest import Server

NS = "{https://iam.amazonaws.com/doc/2010-05-08/}"
MIB = 1024 * 1024


def address(server):
    host, port = server.endpoint.removeprefix("http://").rsplit(":", 1)
    return host, int(port)


def open_descriptors(server):
    return len(os.listdir(f"/proc/{server.proc.pid}/fd"))


def open_sockets(server):
    """The server's open sockets: what a client's connection holds. Other
    descriptors (a store connection the pool opens under load) are not a
    client's to free."""
    fds = f"/proc/{server.proc.pid}/fd"
    count = 0
    for fd in os.listdir(fds):
        try:
            count += os.readlink(f"{fds}/{fd}").startswith("socket:")
        except FileNotFoundError:
            pass  # closed while listing
    return count


def resident_mib(server):
    with open(f"/proc/{server.proc.pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    raise AssertionError("no VmRSS")


def wait_until(condition, seconds):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return condition()


def read_until_closed(sock, seconds):
    """Everything the server sends until it closes; None if it kept the socket open."""
    sock.settimeout(seconds)
    received = b""
    try:
        while True:
            data = sock.recv(65536)
            if not data:
                return received
            received += data
    except (ConnectionResetError, BrokenPipeError):
        return received
    except socket.timeout:
        return None


def xml_error(response):
    head, _, body = response.partition(b"\r\n\r\n")
    status_line = head.split(b"\r\n")[0].decode()
    assert b"content-type: text/xml" in head.lower(), head
    error = ET.fromstring(body).find(f"{NS}Error")
    return int(status_line.split()[1]), error.findtext(f"{NS}Code"), error.findtext(f"{NS}Message")


def answers_promptly(server):
    """A signed request from a well-behaved client, with a client-side bound."""
    key_id, secret = server.root_keys()
    sts = boto3.client(
        "sts", endpoint_url=server.endpoint, region_name="us-east-1",
        aws_access_key_id=key_id, aws_secret_access_key=secret,
        config=Config(retries={"max_attempts": 1}, connect_timeout=15, read_timeout=15),
    )
    return sts.get_caller_identity()["Account"] == server.account_id


def started(tmp_path, *args, launcher=()):
    return Server(tmp_path / "data", extra_args=list(args), launcher=launcher).start()


@pytest.fixture
def stop_after():
    servers = []
    yield servers.append
    for server in servers:
        server.stop()


def test_idle_connections_are_closed_after_the_idle_timeout(tmp_path, stop_after):
    server = started(tmp_path, "--idle-timeout-secs", "1")
    stop_after(server)
    baseline = open_sockets(server)
    idle = [socket.create_connection(address(server)) for _ in range(50)]
    assert wait_until(lambda: open_sockets(server) >= baseline + 50, 5)

    assert all(read_until_closed(sock, 10) == b"" for sock in idle)
    assert wait_until(lambda: open_sockets(server) <= baseline, 10)
    assert answers_promptly(server)
    for sock in idle:
        sock.close()


def test_a_kept_alive_connection_is_closed_once_idle_and_served_until_then(tmp_path, stop_after):
    server = started(tmp_path, "--idle-timeout-secs", "1")
    stop_after(server)
    sock = socket.create_connection(address(server))
    request = b"GET /?Action=GetCallerIdentity HTTP/1.1\r\nHost: x\r\n\r\n"
    for _ in range(3):
        sock.sendall(request)
        sock.settimeout(5)
        assert sock.recv(65536).startswith(b"HTTP/1.1 403")
        time.sleep(0.3)
    assert read_until_closed(sock, 10) == b""


def test_a_head_trickled_byte_by_byte_is_cut_off_after_the_header_read_timeout(tmp_path, stop_after):
    server = started(tmp_path, "--header-read-timeout-secs", "1", "--idle-timeout-secs", "60")
    stop_after(server)
    baseline = open_sockets(server)
    sock = socket.create_connection(address(server))
    head = b"POST / HTTP/1.1\r\nHost: x\r\nX-Slow: " + b"a" * 10_000
    cut = threading.Event()

    def trickle():
        for byte in head:
            try:
                sock.send(bytes([byte]))
            except OSError:
                cut.set()
                return
            time.sleep(0.05)

    threading.Thread(target=trickle, daemon=True).start()
    # Trickled to the end the head would take over eight minutes.
    assert wait_until(lambda: cut.is_set(), 20)
    assert answers_promptly(server)
    assert wait_until(lambda: open_sockets(server) <= baseline, 10)
    sock.close()


def test_stalled_bodies_are_answered_in_xml_and_hold_bounded_memory(tmp_path, stop_after):
    server = started(tmp_path, "--body-read-timeout-secs", "3")
    stop_after(server)
    baseline_sockets, baseline_mib = open_sockets(server), resident_mib(server)
    stalled = []
    head = (b"POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\n"
            b"Content-Length: 1048576\r\n\r\n")
    for _ in range(300):
        sock = socket.create_connection(address(server))
        sock.sendall(head)
        stalled.append(sock)
    most_of_a_body = b"a" * (900 * 1024)
    senders = [threading.Thread(target=sock.sendall, args=(most_of_a_body,)) for sock in stalled]
    for sender in senders:
        sender.start()
    for sender in senders:
        sender.join(timeout=0.05)

    # 300 bodies of 900 KiB each would be 264 MiB; the shared budget for
    # large bodies is 64 MiB, and the rest wait unread in the kernel.
    assert resident_mib(server) - baseline_mib < 160
    assert answers_promptly(server)

    answers = [read_until_closed(sock, 20) for sock in stalled]
    assert all(answer is not None for answer in answers)
    assert {xml_error(answer)[:2] for answer in answers} == {(400, "RequestTimeout")}
    assert wait_until(lambda: open_sockets(server) <= baseline_sockets, 10)
    assert resident_mib(server) - baseline_mib < 160
    for sock in stalled:
        sock.close()
    assert answers_promptly(server)


def test_an_announced_body_over_the_limit_is_refused_at_once_without_100_continue(server):
    sock = socket.create_connection(address(server))
    sock.sendall(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\n"
                 b"Content-Length: 2097152\r\nExpect: 100-continue\r\n\r\n")
    answer = read_until_closed(sock, 10)
    assert answer is not None, "the server kept waiting for the body"
    assert not answer.startswith(b"HTTP/1.1 100")
    status, code, message = xml_error(answer)
    assert (status, code) == (413, "RequestEntityTooLarge")
    assert "1048576" in message
    assert answers_promptly(server)


def test_a_chunked_body_over_the_limit_is_refused_in_xml(server):
    sock = socket.create_connection(address(server))
    sock.sendall(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\n"
                 b"Transfer-Encoding: chunked\r\n\r\n")
    chunk = b"a" * 65536
    try:
        for _ in range(20):
            sock.sendall(b"%x\r\n%s\r\n" % (len(chunk), chunk))
    except OSError:
        pass  # the server may close before the last chunks
    answer = read_until_closed(sock, 10)
    assert answer is not None
    assert xml_error(answer)[:2] == (413, "RequestEntityTooLarge")
    assert answers_promptly(server)


def test_a_head_over_the_header_cap_is_refused_and_others_are_served(server):
    sock = socket.create_connection(address(server))
    sock.sendall(b"GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * (70 * 1024) + b"\r\n\r\n")
    answer = read_until_closed(sock, 10)
    assert answer is not None and answer.startswith(b"HTTP/1.1 431")
    assert answers_promptly(server)


def test_a_head_just_under_the_cap_is_read_and_answered(server):
    sock = socket.create_connection(address(server))
    sock.sendall(b"GET /?Action=GetCallerIdentity HTTP/1.1\r\nHost: x\r\nX-Pad: "
                 + b"a" * (63 * 1024) + b"\r\n\r\n")
    sock.settimeout(10)
    assert sock.recv(65536).startswith(b"HTTP/1.1 403")


def test_the_largest_session_token_the_server_issues_fits_under_the_header_cap(server):
    iam = server.client("iam")
    iam.create_user(UserName="caller")
    iam.put_user_policy(UserName="caller", PolicyName="all", PolicyDocument=json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}))
    key = iam.create_access_key(UserName="caller")["AccessKey"]
    trust = json.dumps({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{server.account_id}:root"},
        "Action": ["sts:AssumeRole", "sts:TagSession"]}]})
    role = iam.create_role(RoleName="r" * 64, Path="/" + "p" * 400 + "/", AssumeRolePolicyDocument=trust)["Role"]
    arns = [iam.create_policy(PolicyName=f"{i}" + "m" * 127, Path="/" + "q" * 400 + "/", PolicyDocument=json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}))["Policy"]["Arn"]
            for i in range(10)]
    tags = [{"Key": f"{i:02d}" + "k" * 126, "Value": "v" * 256} for i in range(50)]
    sts = server.client("sts", key["AccessKeyId"], key["SecretAccessKey"])
    session = sts.assume_role(RoleArn=role["Arn"], RoleSessionName="s" * 64, Tags=tags,
                              TransitiveTagKeys=[t["Key"] for t in tags], PolicyArns=[{"arn": a} for a in arns],
                              Policy=json.dumps({"Version": "2012-10-17", "Statement": [
                                  {"Effect": "Allow", "Action": "*", "Resource": "*", "Sid": "x" * 1900}]}),
                              )["Credentials"]
    assert len(session["SessionToken"]) > 40_000
    assumed = boto3.client("sts", endpoint_url=server.endpoint, region_name="us-east-1",
                           aws_access_key_id=session["AccessKeyId"], aws_secret_access_key=session["SecretAccessKey"],
                           aws_session_token=session["SessionToken"], config=Config(retries={"max_attempts": 1}))
    assert "assumed-role" in assumed.get_caller_identity()["Arn"]


def test_idle_sockets_past_a_low_descriptor_limit_do_not_shut_out_other_clients(tmp_path, stop_after):
    server = started(tmp_path, launcher=("prlimit", "--nofile=256"))
    stop_after(server)
    flood = [socket.create_connection(address(server)) for _ in range(400)]
    time.sleep(1)
    assert open_descriptors(server) < 256
    assert answers_promptly(server)
    assert answers_promptly(server)
    assert not any("Too many open files" in line for line in server.output)
    for sock in flood:
        sock.close()


def test_at_the_cap_idle_connections_make_room_for_a_newcomer_and_only_then(tmp_path, stop_after):
    server = started(tmp_path, "--max-connections", "5")
    stop_after(server)
    idle = [socket.create_connection(address(server)) for _ in range(5)]
    # Nobody is waiting: the idle connections are left alone.
    time.sleep(1.5)
    assert all(read_until_closed(sock, 0.2) is None for sock in idle)
    assert answers_promptly(server)
    assert all(read_until_closed(sock, 5) == b"" for sock in idle)
    for sock in idle:
        sock.close()


def test_a_descriptor_limit_that_leaves_no_room_for_clients_is_refused_at_start(tmp_path):
    server = Server(tmp_path / "data", launcher=("prlimit", "--nofile=100"))
    with pytest.raises(RuntimeError) as refused:
        server.start()
    assert "ulimit -n" in str(refused.value)


# `*` then `a?` 900 times then `b*`: against `a`s, the segment between the
# stars almost matches at every position, the worst case of the matcher.
HOSTILE_PATTERN = "*" + "a?" * 900 + "b*"


def hostile_document(patterns):
    return json.dumps({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Action": "iam:GetUser", "Resource": "*",
        "Condition": {"StringLike": {"aws:UserAgent": [HOSTILE_PATTERN] * patterns}}}]})


def give_the_most_hostile_policies_the_quotas_allow(iam, user):
    """A user's inline quota (2,048) holds one pattern, a group's (5,120) two,
    a managed policy (6,144) three; ten managed policies attached to the user
    and to each of its ten groups, distinct ones."""
    assert len(hostile_document(1)) <= 2048 and len(hostile_document(2)) <= 5120
    assert len(hostile_document(3)) <= 6144
    iam.put_user_policy(UserName=user, PolicyName="agent", PolicyDocument=hostile_document(1))
    patterns = 1
    for holder in [None] + [f"g{i}" for i in range(10)]:
        if holder:
            iam.create_group(GroupName=holder)
            iam.add_user_to_group(GroupName=holder, UserName=user)
            iam.put_group_policy(GroupName=holder, PolicyName="agent", PolicyDocument=hostile_document(2))
            patterns += 2
        for i in range(10):
            arn = iam.create_policy(PolicyName=f"agent-{holder or 'user'}-{i}",
                                    PolicyDocument=hostile_document(3))["Policy"]["Arn"]
            if holder:
                iam.attach_group_policy(GroupName=holder, PolicyArn=arn)
            else:
                iam.attach_user_policy(UserName=user, PolicyArn=arn)
            patterns += 3
    return patterns


def caller_identity_latencies(server, count):
    key_id, secret = server.root_keys()
    sts = boto3.client(
        "sts", endpoint_url=server.endpoint, region_name="us-east-1",
        aws_access_key_id=key_id, aws_secret_access_key=secret,
        config=Config(retries={"max_attempts": 1}, connect_timeout=30, read_timeout=30),
    )
    sts.get_caller_identity()
    latencies = []
    for _ in range(count):
        started_at = time.perf_counter()
        assert sts.get_caller_identity()["Account"] == server.account_id
        latencies.append(time.perf_counter() - started_at)
    return sorted(latencies)


def summary(latencies):
    median = latencies[len(latencies) // 2]
    p99 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))]
    return f"median {median * 1000:.1f} ms, p99 {p99 * 1000:.1f} ms"


def test_a_user_with_the_worst_patterns_and_a_huge_user_agent_does_not_stall_others(server):
    iam = server.client("iam")
    iam.create_user(UserName="hostile")
    patterns = give_the_most_hostile_policies_the_quotas_allow(iam, "hostile")
    assert patterns == 351
    key = iam.create_access_key(UserName="hostile")["AccessKey"]
    # The longest User-Agent the 64 KiB head cap leaves room for beside a
    # signed request's other headers.
    agent = "a" * (62 * 1024)

    def hostile_client(user_agent):
        return boto3.client(
            "iam", endpoint_url=server.endpoint, region_name="us-east-1",
            aws_access_key_id=key["AccessKeyId"], aws_secret_access_key=key["SecretAccessKey"],
            config=Config(retries={"max_attempts": 1}, read_timeout=900, user_agent=user_agent),
        )

    # The decision is the policies', however long it took: a User-Agent that
    # fits the pattern is allowed, the near miss refused.
    fits = "a" * 1800 + "b"
    assert hostile_client(fits).get_user()["User"]["UserName"] == "hostile"

    quiet = caller_identity_latencies(server, 100)

    stop = threading.Event()
    answers = []

    def hostile_loop():
        client = hostile_client(agent)
        while not stop.is_set():
            try:
                client.get_user()
                answers.append("allowed")
            except client.exceptions.ClientError as error:
                answers.append(error.response["Error"]["Code"])
            except Exception as error:  # noqa: BLE001 - the server stopping ends the loop
                answers.append(type(error).__name__)
                return

    hostile = [threading.Thread(target=hostile_loop, daemon=True) for _ in range(4)]
    for thread in hostile:
        thread.start()
    time.sleep(1)
    loaded = caller_identity_latencies(server, 100)
    stop.set()
    print(f"\nGetCallerIdentity without hostile load: {summary(quiet)}; "
          f"with 4 hostile clients ({patterns} patterns, {len(agent)}-byte User-Agent): {summary(loaded)}; "
          f"hostile requests answered meanwhile: {len(answers)}")
    assert len(loaded) == 100
    for thread in hostile:
        thread.join(timeout=900)
    assert answers and set(answers) == {"AccessDenied"}, answers
