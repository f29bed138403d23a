"""The access log of gunicorn as ``make run`` starts it never holds the callback's signed query."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[2]
GUNICORN = Path(sys.executable).with_name("gunicorn")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_gunicorn_from_the_project_root_logs_no_query_string(tmp_path):
    """Started the way the Makefile starts it (no -c: gunicorn reads ./gunicorn.conf.py itself),
    with a captured callback query: the log line has the path and status, not the secrets."""
    port, log = _free_port(), tmp_path / "access.log"
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL", "APP_ENV")}
    env["INSTANCE_PATH"] = str(tmp_path)
    # As make run's flags, plus --no-control-socket: gunicorn's default one in ~/.gunicorn would
    # clash with another gunicorn on this machine (bench/server.py says the same).
    flags = ["--workers", "1", "--bind", f"127.0.0.1:{port}", "--no-control-socket", "--access-logfile", str(log)]
    cmd = [str(GUNICORN), *flags, "wsgi:app"]
    server = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    query = {
        "signature": "5f4dcc3b5aa765d61d8327deb882cf99deadbeef",
        "timestamp": "1764400000",
        "nonce": "1357924680",
        "openid": "oSecretOpenid0123456789abcd",
        "encrypt_type": "aes",
        "msg_signature": "0123456789abcdef0123456789abcdef01234567",
    }
    try:
        base = f"http://127.0.0.1:{port}"
        for _ in range(300):  # the app's import takes a few seconds on a busy machine
            try:
                requests.get(base + "/livez", timeout=2)
                break
            except requests.RequestException:
                time.sleep(0.1)
        answer = requests.post(base + "/wechat/callback", params=query, data=b"<xml/>", timeout=10)
        assert answer.status_code == 403  # made-up signature; logged all the same
        requests.get(base + "/wechat/callback", params={**query, "echostr": "echo-secret"}, timeout=10)
    finally:
        server.terminate()
        server.wait(timeout=30)
    text = log.read_text()
    assert '"POST /wechat/callback HTTP/1.1" 403' in text and '"GET /wechat/callback HTTP/1.1" 403' in text
    for secret in (*query.values(), "echo-secret", "signature="):
        assert secret not in text
