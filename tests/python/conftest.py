"""Fixtures that run the real `tessera` binary for the Python tests.

The binary is found through TESSERA_BIN (set by scripts/test.sh) or at
target/debug/tessera. PostgreSQL-backed servers use TESSERA_TEST_POSTGRES_URL;
a test that asks for PostgreSQL without it fails rather than skips.
"""

import configparser
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import uuid
from pathlib import Path

import boto3
import pytest
from botocore.config import Config

ROOT = Path(__file__).resolve().parents[2]
ACCOUNT_ID = "123456789012"


def tessera_bin() -> str:
    path = os.environ.get("TESSERA_BIN") or str(ROOT / "target" / "debug" / "tessera")
    if not os.access(path, os.X_OK):
        raise RuntimeError(f"tessera binary not found at {path}: run `cargo build -p tessera` or scripts/test.sh")
    return path


def aws_cli() -> str:
    venv_aws = Path(sys.executable).parent / "aws"
    if venv_aws.exists():
        return str(venv_aws)
    found = shutil.which("aws")
    if not found:
        raise RuntimeError("the aws CLI is not installed: run scripts/test.sh, which installs it in .venv")
    return found


class Server:
    """A running `tessera serve` process."""

    def __init__(self, data_dir: Path, database_url=None, extra_args=(), account_id=ACCOUNT_ID, env=None,
                 launcher=()):
        self.extra_env = dict(env or {})
        # A command the binary runs under, e.g. ("prlimit", "--nofile=256").
        self.launcher = list(launcher)
        self.data_dir = Path(data_dir)
        self.database_url = database_url
        self.extra_args = list(extra_args)
        self.account_id = account_id
        self.proc = None
        self.endpoint = None
        self.output = []

    def start(self):
        args = [*self.launcher, tessera_bin(), "serve", "--listen", "127.0.0.1:0", "--data-dir", str(self.data_dir),
                "--account-id", self.account_id, *self.extra_args]
        env = dict(os.environ)
        env.pop("TESSERA_DATABASE_URL", None)
        env.pop("TESSERA_KEK", None)
        env.update(self.extra_env)
        if self.database_url:
            args += ["--database-url", self.database_url]
        self.proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)
        deadline_lines = []
        for line in self.proc.stdout:
            self.output.append(line)
            deadline_lines.append(line)
            m = re.match(r"Listening on (http://\S+)", line)
            if m:
                self.endpoint = m.group(1)
                break
        if self.endpoint is None:
            self.proc.wait(timeout=10)
            raise RuntimeError("tessera did not start:\n" + "".join(self.output))
        # Keep draining output so the server never blocks on a full pipe.
        threading.Thread(target=self._drain, daemon=True).start()
        return self

    def _drain(self):
        for line in self.proc.stdout:
            self.output.append(line)

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                raise
        return self.proc.returncode if self.proc else None

    @property
    def credentials_file(self) -> Path:
        return self.data_dir / "credentials"

    def root_keys(self):
        cp = configparser.ConfigParser()
        cp.read(self.credentials_file)
        return cp["default"]["aws_access_key_id"], cp["default"]["aws_secret_access_key"]

    def client(self, service, key_id=None, secret=None, region="us-east-1"):
        if key_id is None:
            key_id, secret = self.root_keys()
        return boto3.client(
            service,
            endpoint_url=self.endpoint,
            region_name=region,
            aws_access_key_id=key_id,
            aws_secret_access_key=secret,
            config=Config(retries={"max_attempts": 1}),
        )

    def cli(self, *args, key_id=None, secret=None, check=True):
        """Runs the aws CLI against this server; returns CompletedProcess."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
        env.update({"AWS_DEFAULT_REGION": "us-east-1", "AWS_EC2_METADATA_DISABLED": "true"})
        if key_id is None:
            env["AWS_SHARED_CREDENTIALS_FILE"] = str(self.credentials_file)
            env["AWS_CONFIG_FILE"] = os.devnull
        else:
            env.update({"AWS_ACCESS_KEY_ID": key_id, "AWS_SECRET_ACCESS_KEY": secret})
        result = subprocess.run([aws_cli(), "--endpoint-url", self.endpoint, *args],
                                capture_output=True, text=True, env=env, timeout=60)
        if check and result.returncode != 0:
            raise AssertionError(f"aws {' '.join(args)} failed ({result.returncode}):\n{result.stderr}")
        return result


def postgres_url():
    url = os.environ.get("TESSERA_TEST_POSTGRES_URL")
    if not url:
        raise RuntimeError("TESSERA_TEST_POSTGRES_URL is not set: run scripts/test.sh, which starts a throwaway PostgreSQL")
    return url


def fresh_postgres_database():
    """A new, empty database on the test cluster, so servers never share state."""
    import urllib.parse
    base = postgres_url()
    name = "t_" + uuid.uuid4().hex[:12]
    parsed = urllib.parse.urlparse(base)
    admin = subprocess.run(["psql", base, "-v", "ON_ERROR_STOP=1", "-qc", f"CREATE DATABASE {name}"],
                           capture_output=True, text=True)
    if admin.returncode != 0:
        raise RuntimeError("cannot create a test database: " + admin.stderr)
    return urllib.parse.urlunparse(parsed._replace(path="/" + name))


def drop_postgres_database(url):
    """Drops a database made by fresh_postgres_database, so runs against a
    user's own PostgreSQL leave nothing behind."""
    import urllib.parse
    name = urllib.parse.urlparse(url).path.lstrip("/")
    assert re.fullmatch(r"t_[0-9a-f]{12}", name), f"not a test database: {name}"
    dropped = subprocess.run(["psql", postgres_url(), "-v", "ON_ERROR_STOP=1", "-qc",
                              f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"], capture_output=True, text=True)
    if dropped.returncode != 0:
        raise RuntimeError(f"cannot drop the test database {name}: " + dropped.stderr)


@pytest.fixture(params=["sqlite", "postgres"])
def any_backend_server(request, tmp_path):
    url = fresh_postgres_database() if request.param == "postgres" else None
    server = Server(tmp_path / "data", database_url=url).start()
    yield server
    server.stop()
    if url:
        drop_postgres_database(url)


@pytest.fixture
def server(tmp_path):
    server = Server(tmp_path / "data").start()
    yield server
    server.stop()


@pytest.fixture
def make_user(server):
    """Creates a user with an access key; returns (name, key_id, secret)."""
    iam = server.client("iam")

    def make(name=None):
        name = name or "u" + uuid.uuid4().hex[:10]
        iam.create_user(UserName=name)
        key = iam.create_access_key(UserName=name)["AccessKey"]
        return name, key["AccessKeyId"], key["SecretAccessKey"]

    return make


def unvalidated_client(server, service="iam"):
    """A client of `server` whose botocore does not check parameters locally.

    botocore refuses some out-of-range values (a MaxSessionDuration below its
    minimum, an ARN shorter than 20 characters) before sending them; this
    client sends them, so the server's own validation answers.
    """
    key_id, secret = server.root_keys()
    return boto3.client(
        service,
        endpoint_url=server.endpoint,
        region_name="us-east-1",
        aws_access_key_id=key_id,
        aws_secret_access_key=secret,
        config=Config(retries={"max_attempts": 1}, parameter_validation=False),
    )


def raw_bodies(client, operation):
    """Collects the undecoded XML bodies of `operation`'s answers to `client`."""
    bodies = []

    def keep(response_dict=None, **_):
        bodies.append(response_dict["body"].decode("utf-8"))

    client.meta.events.register(f"before-parse.{client.meta.service_model.endpoint_prefix}.{operation}", keep)
    return bodies
