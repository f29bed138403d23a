"""A long URL through a real gunicorn started as ``make run`` starts it (reading
./gunicorn.conf.py): the app answers in Chinese instead of gunicorn's "Request Line is too large"."""

from __future__ import annotations

import os
import subprocess
import time

import requests

from tests.wechat.test_access_log import GUNICORN, ROOT, _free_port


def test_a_query_longer_than_gunicorns_default_limit_reaches_the_app(tmp_path):
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL", "APP_ENV")}
    env["INSTANCE_PATH"] = str(tmp_path)
    flags = ["--workers", "1", "--bind", f"127.0.0.1:{port}", "--no-control-socket"]
    server = subprocess.Popen([str(GUNICORN), *flags, "wsgi:app"], cwd=ROOT, env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    try:
        base = f"http://127.0.0.1:{port}"
        for _ in range(300):  # the app's import takes a few seconds on a busy machine
            try:
                requests.get(base + "/livez", timeout=2)
                break
            except requests.RequestException:
                time.sleep(0.1)
        # 600 Chinese characters: 5,400 bytes once percent-encoded, over gunicorn's default 4094.
        answer = requests.get(base + "/h/anycode", params={"page": "页" * 600}, timeout=10)
    finally:
        server.terminate()
        server.wait(timeout=30)
    answer.encoding = "utf-8"
    assert answer.status_code == 400, answer.text[:300]
    assert "Request Line is too large" not in answer.text
    assert "太长" in answer.text
