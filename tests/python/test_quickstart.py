"""The README's quick start, run exactly as written.

The server command and the client block are read from README.md (the code
blocks after the `quickstart:server` and `quickstart:client` markers) and run
unchanged but for the port. Only the environment differs from a newcomer's:
the server keeps its data in a temporary directory (TESSERA_DATA_DIR) instead
of the checkout's ./tessera-data, and the client block runs in that
directory's parent, so `./tessera-data/credentials` resolves to the server's
file. The server listens on a free port (TESSERA_LISTEN) rather than the
README's 7177, which the reader's own server may hold; the client block's
endpoint is rewritten to that port.
"""

import os
import re
import subprocess
import sys
import time
from pathlib import Path

from conftest import ROOT


def readme_block(marker):
    text = (ROOT / "README.md").read_text()
    m = re.search(r"<!-- " + re.escape(marker) + r" -->\s*```sh\n(.*?)```", text, re.S)
    assert m, f"README.md has no code block after <!-- {marker} -->"
    return m.group(1)


README_ENDPOINT = "http://127.0.0.1:7177"


def test_readme_quick_start_as_written(tmp_path):
    server_cmd = readme_block("quickstart:server").strip()
    client_script = readme_block("quickstart:client")
    assert README_ENDPOINT in client_script

    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_") and not k.startswith("TESSERA_")}
    env["TESSERA_DATA_DIR"] = str(tmp_path / "tessera-data")
    env["TESSERA_LISTEN"] = "127.0.0.1:0"
    # The venv's aws CLI comes first on PATH, as for someone who installed it.
    env["PATH"] = str(Path(sys.executable).parent) + os.pathsep + env.get("PATH", "")
    server = subprocess.Popen(["bash", "-c", "exec " + server_cmd], cwd=ROOT, env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        lines = []
        endpoint = None
        for line in server.stdout:
            lines.append(line)
            m = re.match(r"Listening on (http://127\.0\.0\.1:\d+)", line)
            if m:
                endpoint = m.group(1)
                break
        else:
            raise AssertionError("the server did not start:\n" + "".join(lines))
        client_script = client_script.replace(README_ENDPOINT, endpoint)
        printed = "".join(lines)
        assert "AWS_SHARED_CREDENTIALS_FILE=" in printed
        assert str(tmp_path / "tessera-data" / "credentials") in printed

        client = subprocess.run(["bash", "-c", client_script], cwd=tmp_path, env=env,
                                capture_output=True, text=True, timeout=300)
        out, err = client.stdout, client.stderr
        assert '"Arn": "arn:aws:iam::' in out and ':root"' in out, out + err
        assert re.search(r'"Arn": "arn:aws:iam::\d{12}:user/alice"', out), out + err
        assert "An error occurred (AccessDenied) when calling the ListUsers operation: User: arn:aws:iam::" in err
        assert ":user/alice is not authorized to perform: iam:ListUsers on resource: arn:aws:iam::" in err
        # After put-user-policy, alice's next list-users succeeds and shows her.
        assert out.rstrip().endswith("}")
        assert out.count('"UserName": "alice"') >= 1
        assert client.returncode == 0
        assert not (tmp_path / "alice.keys").exists()
        secret = (tmp_path / "tessera-data" / "alice.keys").read_text().split()[1]
        assert secret not in printed
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
