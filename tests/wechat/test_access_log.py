"""The access log of gunicorn as ``make run`` starts it never holds the callback's signed query."""

from __future__ import annotations

import requests

from tests.gunicorn_server import gunicorn


def test_gunicorn_from_the_project_root_logs_no_query_string(tmp_path):
    """Started the way the Makefile starts it (no -c: gunicorn reads ./gunicorn.conf.py itself),
    with a captured callback query: the log line has the path and status, not the secrets."""
    log = tmp_path / "access.log"
    query = {
        "signature": "5f4dcc3b5aa765d61d8327deb882cf99deadbeef",
        "timestamp": "1764400000",
        "nonce": "1357924680",
        "openid": "oSecretOpenid0123456789abcd",
        "encrypt_type": "aes",
        "msg_signature": "0123456789abcdef0123456789abcdef01234567",
    }
    with gunicorn(tmp_path, "--access-logfile", str(log)) as base:
        answer = requests.post(base + "/wechat/callback", params=query, data=b"<xml/>", timeout=10)
        assert answer.status_code == 403  # made-up signature; logged all the same
        requests.get(base + "/wechat/callback", params={**query, "echostr": "echo-secret"}, timeout=10)
    text = log.read_text()
    assert '"POST /wechat/callback HTTP/1.1" 403' in text and '"GET /wechat/callback HTTP/1.1" 403' in text
    for secret in (*query.values(), "echo-secret", "signature="):
        assert secret not in text
