"""Sessions expiring and session-token keys retiring, on the real binary.

The server runs with `--clock-offset-secs` (meant only for this): it is
stopped and started again on the same data (SQLite data directory, or
PostgreSQL database) with its clock moved ahead, and the clients sign with
the same moved clock, as a client of a server that is really that much later
would. What the SDK sees is AWS's answer:

- a session used after its expiry: `ExpiredToken`, 403, "The security token
  included in the request is expired" (AWS's common errors);
- a token sealed by a token key retired past its acceptance window (a key
  seals for one rotation period, 24 h, and its tokens are opened until the
  longest session it could have sealed, 36 h, has ended, plus an hour): the
  token is no longer one the server can read, `InvalidClientTokenId`, as for
  any token it did not issue;
- two nodes on one PostgreSQL database opening each other's sessions before
  and after a token-key rotation, by the old key and by the new.
"""

import base64
from datetime import timedelta

import botocore.auth
import botocore.utils
import pytest
from botocore.exceptions import ClientError

from conftest import Server, drop_postgres_database, fresh_postgres_database
from test_sts import INVALID_TOKEN, assume, eventually, role, temp_client, trust, user_arn

EXPIRED_TOKEN = "The security token included in the request is expired"
ROTATION = 24 * 3600
LONGEST_SESSION = 129_600
# A key opens tokens until ROTATION + LONGEST_SESSION + 1 h after it was made.
KEY_WINDOW = ROTATION + LONGEST_SESSION + 3600


class Installation:
    """One installation's data, served by one server at a time, each with its own clock."""

    def __init__(self, data_dir, database_url, monkeypatch):
        self.data_dir = data_dir
        self.database_url = database_url
        self.monkeypatch = monkeypatch
        self.server = None

    def serve_at(self, offset_secs):
        """(Re)starts the server `offset_secs` ahead of now; clients sign at that time too."""
        if self.server:
            self.server.stop()
        self.server = Server(self.data_dir, database_url=self.database_url,
                             extra_args=["--clock-offset-secs", str(offset_secs)]).start()
        real = botocore.utils.get_current_datetime
        self.monkeypatch.setattr(botocore.auth, "get_current_datetime",
                                 lambda *a, **k: real(*a, **k) + timedelta(seconds=offset_secs))
        return self.server

    def stop(self):
        if self.server:
            self.server.stop()


@pytest.fixture(params=["sqlite", "postgres"])
def installation(request, tmp_path, monkeypatch):
    url = fresh_postgres_database() if request.param == "postgres" else None
    inst = Installation(tmp_path / "data", url, monkeypatch)
    yield inst
    inst.stop()
    if url:
        drop_postgres_database(url)


def refusal(call):
    with pytest.raises(ClientError) as e:
        call()
    r = e.value.response
    return r["Error"]["Code"], r["Error"]["Message"], r["ResponseMetadata"]["HTTPStatusCode"]


def token_key_id(session_token):
    """The id of the key that sealed a token: its layout is version, id length, id, nonce, sealed claims."""
    raw = base64.b64decode(session_token)
    return raw[2:2 + raw[1]].decode()


def user_with_role(server):
    iam = server.client("iam")
    iam.create_user(UserName="traveller")
    key = iam.create_access_key(UserName="traveller")["AccessKey"]
    arn = role(iam, "timed", trust({"AWS": user_arn("traveller")}))["Arn"]
    return key["AccessKeyId"], key["SecretAccessKey"], arn


def test_a_session_used_after_its_expiry_answers_expired_token(installation):
    server = installation.serve_at(0)
    key_id, secret, arn = user_with_role(server)
    creds = assume(server, key_id, secret, arn, "brief", DurationSeconds=900)["Credentials"]

    # 840 s later the session still works ...
    server = installation.serve_at(840)
    assert temp_client(server, "sts", creds).get_caller_identity()["Arn"].endswith(":assumed-role/timed/brief")

    # ... and 960 s later it is expired, for every API, while the user's
    # long-term key (signed at the same moved time) still works.
    server = installation.serve_at(960)
    expired = ("ExpiredToken", EXPIRED_TOKEN, 403)
    assert refusal(temp_client(server, "sts", creds).get_caller_identity) == expired
    assert refusal(temp_client(server, "iam", creds).list_roles) == expired
    assert server.client("sts", key_id, secret).get_caller_identity()["Arn"] == user_arn("traveller")
    # A new session issued then works.
    fresh = assume(server, key_id, secret, arn, "again", DurationSeconds=900)["Credentials"]
    assert temp_client(server, "sts", fresh).get_caller_identity()["Arn"].endswith(":assumed-role/timed/again")


def test_a_token_sealed_by_a_key_retired_past_its_window_is_refused(installation):
    server = installation.serve_at(0)
    key_id, secret, _ = user_with_role(server)
    first = server.client("sts", key_id, secret).get_session_token(DurationSeconds=LONGEST_SESSION)["Credentials"]

    # A day later a new key seals new tokens; the old key still opens the
    # older, unexpired session.
    server = installation.serve_at(ROTATION + 600)
    assert temp_client(server, "sts", first).get_caller_identity()["Arn"] == user_arn("traveller")
    second = server.client("sts", key_id, secret).get_session_token(DurationSeconds=LONGEST_SESSION)["Credentials"]
    assert token_key_id(second["SessionToken"]) != token_key_id(first["SessionToken"])

    # Past the first key's window its token is no token of this server's,
    # while the second key, still within its window, reads its own (expired)
    # token and says so.
    server = installation.serve_at(KEY_WINDOW + 600)
    assert refusal(temp_client(server, "sts", first).get_caller_identity) == \
        ("InvalidClientTokenId", INVALID_TOKEN, 403)
    assert refusal(temp_client(server, "sts", second).get_caller_identity) == \
        ("ExpiredToken", EXPIRED_TOKEN, 403)


def test_two_nodes_accept_each_others_sessions_across_a_token_key_rotation(tmp_path, monkeypatch):
    # Two nodes on one PostgreSQL database share the session-token keys
    # through the store: a session sealed by either is opened by the other,
    # before a rotation, after it (by the new key), and the sessions sealed
    # by the old key keep working on both until they expire.
    url = fresh_postgres_database()
    nodes = []

    def serve_both_at(offset_secs):
        for node in nodes:
            node.stop()
        nodes.clear()
        for name in ("a", "b"):
            nodes.append(Server(tmp_path / name, database_url=url, env={"TESSERA_KEK": "7" * 64},
                                extra_args=["--clock-offset-secs", str(offset_secs)]).start())
        real = botocore.utils.get_current_datetime
        monkeypatch.setattr(botocore.auth, "get_current_datetime",
                            lambda *a, **k: real(*a, **k) + timedelta(seconds=offset_secs))
        return nodes

    def session_of(node, key_id, secret):
        return node.client("sts", key_id, secret).get_session_token(DurationSeconds=LONGEST_SESSION)["Credentials"]

    def caller(node, creds):
        return eventually(temp_client(node, "sts", creds).get_caller_identity)["Arn"]

    try:
        a, b = serve_both_at(0)
        iam = a.client("iam")
        iam.create_user(UserName="commuter")
        key = iam.create_access_key(UserName="commuter")["AccessKey"]
        key_id, secret = key["AccessKeyId"], key["SecretAccessKey"]
        eventually(b.client("sts", key_id, secret).get_caller_identity)
        old_a, old_b = session_of(a, key_id, secret), session_of(b, key_id, secret)
        old_key = token_key_id(old_a["SessionToken"])
        assert token_key_id(old_b["SessionToken"]) == old_key
        assert caller(b, old_a) == caller(a, old_b) == user_arn("commuter")

        # A day and more later both nodes run past the rotation period: one
        # of them makes the next key, and both seal with it.
        a, b = serve_both_at(ROTATION + 600)
        new_a = eventually(lambda: fresh_session(a, key_id, secret, old_key))
        new_b = eventually(lambda: fresh_session(b, key_id, secret, old_key))
        assert token_key_id(new_a["SessionToken"]) == token_key_id(new_b["SessionToken"]) != old_key
        for node in (a, b):
            for creds in (old_a, old_b, new_a, new_b):
                assert caller(node, creds) == user_arn("commuter")
    finally:
        for node in nodes:
            node.stop()
        drop_postgres_database(url)


def fresh_session(node, key_id, secret, old_key):
    """A 36-hour session sealed by a key other than `old_key` (refused while the node has not seen the new key)."""
    creds = node.client("sts", key_id, secret).get_session_token(DurationSeconds=LONGEST_SESSION)["Credentials"]
    if token_key_id(creds["SessionToken"]) == old_key:
        raise ClientError({"Error": {"Code": "OldKey", "Message": "sealed by the old key"}}, "GetSessionToken")
    return creds
