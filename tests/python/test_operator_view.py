"""What an operator sees: a log line per request, Prometheus metrics and
health checks on the admin listener, and every `serve` flag from the
environment.

Each test runs the real binary; the log is the server's own output.
"""

import json
import os
import re
import socket
import subprocess
import time
import urllib.error
import urllib.request
import uuid

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from conftest import ACCOUNT_ID, Server, drop_postgres_database, fresh_postgres_database, tessera_bin


def admin_endpoint(server):
    for line in server.output:
        m = re.match(r"Admin \(metrics, health checks\) on (http://\S+)", line)
        if m:
            return m.group(1)
    raise AssertionError("the server did not announce its admin listener:\n" + "".join(server.output))


def get(url):
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, response.headers.get("Content-Type", ""), response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.headers.get("Content-Type", ""), error.read().decode()


def sample(metrics_text, name, **labels):
    """The value of one series, 0 when the series is absent."""
    want = ",".join(f'{k}="{v}"' for k, v in labels.items())
    series = f"{name}{{{want}}}" if labels else name
    for line in metrics_text.splitlines():
        if line.startswith(series + " "):
            return float(line.rsplit(" ", 1)[1])
    return 0.0


def request_lines(server, settle=0.5):
    """The per-request JSON log lines written so far (the log is batched)."""
    time.sleep(settle)
    lines = []
    for line in list(server.output):
        line = line.strip()
        if line.startswith("{"):
            record = json.loads(line)
            if record.get("target") == "tessera::request":
                lines.append(record)
    return lines


def line_for(lines, request_id):
    found = [record for record in lines if record["request_id"] == request_id]
    assert len(found) == 1, f"{len(found)} lines for request {request_id} in {lines}"
    return found[0]


@pytest.fixture
def observed_server(tmp_path):
    server = Server(tmp_path / "data", extra_args=["--log-format", "json", "--admin-listen", "127.0.0.1:0"]).start()
    yield server
    server.stop()


def user_with_key(server, deny_sid=None):
    iam = server.client("iam")
    name = "u" + uuid.uuid4().hex[:10]
    iam.create_user(UserName=name)
    statements = [{"Effect": "Allow", "Action": ["iam:GetUser", "sts:GetSessionToken"], "Resource": "*"}]
    if deny_sid:
        statements.append({"Sid": deny_sid, "Effect": "Deny", "Action": "iam:ListRoles", "Resource": "*"})
    iam.put_user_policy(UserName=name, PolicyName="operator-view",
                        PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": statements}))
    key = iam.create_access_key(UserName=name)["AccessKey"]
    return name, key["AccessKeyId"], key["SecretAccessKey"]


def test_each_request_has_one_log_line_naming_caller_action_and_outcome(observed_server):
    server = observed_server
    name, key_id, secret = user_with_key(server, deny_sid="NoRoleListing")
    iam = server.client("iam", key_id, secret)

    allowed = iam.get_user(UserName=name)["ResponseMetadata"]["RequestId"]
    with pytest.raises(ClientError) as explicit:
        iam.list_roles()
    with pytest.raises(ClientError) as implicit:
        iam.list_users()
    with pytest.raises(ClientError) as missing:
        iam.get_user(UserName="nobody-" + uuid.uuid4().hex[:6])
    lines = request_lines(server)

    ok = line_for(lines, allowed)
    assert ok["caller"] == f"arn:aws:iam::{ACCOUNT_ID}:user/{name}"
    assert ok["account"] == ACCOUNT_ID
    assert (ok["service"], ok["action"], ok["decision"], ok["status"]) == ("iam", "GetUser", "allowed", 200)
    assert "code" not in ok
    assert ok["source_ip"] == "127.0.0.1"
    assert isinstance(ok["latency_us"], int) and isinstance(ok["store_us"], int)
    assert ok["level"] == "INFO"

    denied = line_for(lines, explicit.value.response["ResponseMetadata"]["RequestId"])
    assert (denied["action"], denied["decision"], denied["code"], denied["status"]) == \
        ("ListRoles", "explicitDeny", "AccessDenied", 403)
    assert denied["policy_type"] == "identity"
    assert denied["statement"] == "operator-view/NoRoleListing"

    nothing_allows = line_for(lines, implicit.value.response["ResponseMetadata"]["RequestId"])
    assert (nothing_allows["decision"], nothing_allows["policy_type"]) == ("implicitDeny", "identity")
    assert "statement" not in nothing_allows

    failed = line_for(lines, missing.value.response["ResponseMetadata"]["RequestId"])
    assert (failed["decision"], failed["code"], failed["status"]) == ("allowed", "NoSuchEntity", 404)


def test_a_request_refused_before_authentication_is_logged_without_a_caller(observed_server):
    server = observed_server
    iam = server.client("iam", "AKIA" + "Z" * 16, "not-a-secret")
    with pytest.raises(ClientError) as refused:
        iam.list_users()
    record = line_for(request_lines(server), refused.value.response["ResponseMetadata"]["RequestId"])
    assert (record["service"], record["code"], record["status"]) == ("iam", "InvalidClientTokenId", 403)
    assert "caller" not in record and "decision" not in record
    assert record["action"] == "unknown"


def test_no_secret_token_or_signature_reaches_the_log(observed_server):
    server = observed_server
    root_key, root_secret = server.root_keys()
    name, key_id, secret = user_with_key(server)
    sts = server.client("sts", key_id, secret)
    credentials = sts.get_session_token()["Credentials"]
    temporary = boto3.client(
        "iam", endpoint_url=server.endpoint, region_name="us-east-1",
        aws_access_key_id=credentials["AccessKeyId"],
        aws_secret_access_key=credentials["SecretAccessKey"],
        aws_session_token=credentials["SessionToken"],
        config=Config(retries={"max_attempts": 1}),
    )
    with pytest.raises(ClientError):
        temporary.get_user(UserName=name)  # GetSessionToken sessions may not call IAM
    lines = request_lines(server)
    assert any(record["action"] == "GetSessionToken" for record in lines)
    output = "".join(server.output)
    for value in (root_secret, secret, credentials["SecretAccessKey"], credentials["SessionToken"]):
        assert value not in output
    assert "Signature=" not in output and "X-Amz-Security-Token" not in output


def test_metrics_move_with_requests_and_health_checks_answer(observed_server):
    server = observed_server
    admin = admin_endpoint(server)
    assert get(admin + "/healthz")[0] == 200
    status, _, body = get(admin + "/readyz")
    assert (status, body.strip()) == (200, "ready")

    status, content_type, before = get(admin + "/metrics")
    assert status == 200 and content_type.startswith("text/plain; version=0.0.4")

    name, key_id, secret = user_with_key(server, deny_sid="NoRoleListing")
    iam = server.client("iam", key_id, secret)
    for _ in range(3):
        iam.get_user(UserName=name)
    with pytest.raises(ClientError):
        iam.list_roles()
    server.client("sts", key_id, secret).get_session_token()

    # A connection held open is counted open.
    host, port = server.endpoint.removeprefix("http://").rsplit(":", 1)
    held = socket.create_connection((host, int(port)))
    try:
        time.sleep(0.2)
        _, _, after = get(admin + "/metrics")
    finally:
        held.close()

    def moved(name, **labels):
        return sample(after, name, **labels) - sample(before, name, **labels)

    assert moved("tessera_requests_total", service="iam", action="GetUser", code="") == 3
    assert moved("tessera_requests_total", service="iam", action="ListRoles", code="AccessDenied") == 1
    assert moved("tessera_request_duration_seconds_count", service="iam", action="GetUser") == 3
    assert moved("tessera_authorization_decisions_total", decision="explicitDeny", policy_type="identity") == 1
    assert moved("tessera_authorization_decisions_total", decision="allowed", policy_type="") >= 4
    assert moved("tessera_sessions_issued_total", action="GetSessionToken") == 1
    assert moved("tessera_store_call_duration_seconds_count", call="write") >= 3
    assert sample(after, "tessera_open_connections") >= 1
    assert sample(after, "tessera_connections_total") >= 1
    assert sample(after, "tessera_snapshot_revision") > 0
    assert 0 <= sample(after, "tessera_snapshot_age_seconds") < 30
    assert sample(after, "tessera_snapshot_refresh_duration_seconds_count") >= 1
    # The metrics are not served on the data port.
    assert "tessera_requests_total" not in get(server.endpoint + "/metrics")[2]


def test_the_admin_listener_is_off_unless_asked_for(server):
    assert not any(line.startswith("Admin ") for line in server.output)


def test_text_log_format_from_the_environment_logs_the_request_line(tmp_path):
    server = Server(tmp_path / "data", env={"TESSERA_LOG_FORMAT": "text"}).start()
    try:
        request_id = server.client("iam").list_users()["ResponseMetadata"]["RequestId"]
        time.sleep(0.5)
        line = next(l for l in server.output if request_id in l)
        assert "tessera::request" in line, line
        assert 'action="ListUsers"' in line and 'decision="allowed"' in line and "status=200" in line, line
    finally:
        server.stop()


def run_serve_until_listening(tmp_path, env):
    """Starts `tessera serve` configured only through `env`; answers its start-up lines."""
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("TESSERA_")}
    full_env.update({"TESSERA_DATA_DIR": str(tmp_path / "data"), "TESSERA_LISTEN": "127.0.0.1:0", **env})
    proc = subprocess.Popen([tessera_bin(), "serve"], env=full_env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)
    lines = []
    try:
        for line in proc.stdout:
            lines.append(line)
            if line.startswith("Listening on"):
                break
    finally:
        proc.terminate()
        proc.wait(timeout=15)
    return "".join(lines)


def test_every_serve_flag_is_read_from_the_environment(tmp_path):
    printed = run_serve_until_listening(tmp_path, {
        "TESSERA_ACCOUNT_ID": "210987654321",
        "TESSERA_EMULATOR": "true",
        "TESSERA_REFRESH_INTERVAL_MS": "250",
        "TESSERA_ADMIN_LISTEN": "127.0.0.1:0",
        "TESSERA_LOG_FORMAT": "json",
    })
    assert "Tessera: account 210987654321" in printed, printed
    assert "WARNING: emulator mode is on" in printed, printed
    assert "Admin (metrics, health checks) on http://127.0.0.1:" in printed, printed


def test_a_malformed_refresh_interval_in_the_environment_is_refused(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("TESSERA_")}
    env.update({"TESSERA_DATA_DIR": str(tmp_path / "data"), "TESSERA_REFRESH_INTERVAL_MS": "soon"})
    result = subprocess.run([tessera_bin(), "serve"], env=env, capture_output=True, text=True, timeout=30)
    assert result.returncode != 0
    assert "refresh-interval-ms" in result.stderr


def test_serve_help_names_the_environment_variables_but_not_a_database_password():
    env = dict(os.environ, TESSERA_DATABASE_URL="postgres://tessera:pw-never-shown@db.example/iam")
    result = subprocess.run([tessera_bin(), "serve", "--help"], capture_output=True, text=True, timeout=30, env=env)
    assert "pw-never-shown" not in result.stdout + result.stderr
    assert result.returncode == 0
    for variable in ("TESSERA_KEK", "TESSERA_LOG", "TESSERA_LISTEN", "TESSERA_DATA_DIR", "TESSERA_DATABASE_URL",
                     "TESSERA_ACCOUNT_ID", "TESSERA_EMULATOR", "TESSERA_REFRESH_INTERVAL_MS",
                     "TESSERA_ADMIN_LISTEN", "TESSERA_LOG_FORMAT"):
        assert variable in result.stdout, variable


def test_readyz_fails_when_the_store_is_gone_while_healthz_still_answers(tmp_path):
    url = fresh_postgres_database()
    server = Server(tmp_path / "data", database_url=url, extra_args=["--admin-listen", "127.0.0.1:0"]).start()
    try:
        admin = admin_endpoint(server)
        assert get(admin + "/readyz")[0] == 200
        drop_postgres_database(url)
        status, _, body = get(admin + "/readyz")
        assert (status, body.strip()) == (503, "store unreachable")
        assert get(admin + "/healthz")[0] == 200
    finally:
        server.stop()
        drop_postgres_database(url)
