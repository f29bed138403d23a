"""A long URL through a real gunicorn started as ``make run`` starts it (reading
./gunicorn.conf.py): the app answers in Chinese instead of gunicorn's "Request Line is too large"."""

from __future__ import annotations

import requests

from tests.gunicorn_server import gunicorn


def test_a_query_longer_than_gunicorns_default_limit_reaches_the_app(tmp_path):
    with gunicorn(tmp_path) as base:
        # 600 Chinese characters: 5,400 bytes once percent-encoded, over gunicorn's default 4094.
        answer = requests.get(base + "/h/anycode", params={"page": "页" * 600}, timeout=10)
    answer.encoding = "utf-8"
    assert answer.status_code == 400, answer.text[:300]
    assert "Request Line is too large" not in answer.text
    assert "太长" in answer.text
