"""Drive the stand-in platform (wechat/sandbox) from tests: reset it, arm faults, read its counters."""

from __future__ import annotations

import uuid
from contextlib import contextmanager

import requests


def control(base: str, what: str, **body) -> dict:
    answer = requests.post(f"{base}/sandbox/_control/{what}", json=body, timeout=5)
    assert answer.status_code == 200, answer.text
    return answer.json()


def state(base: str) -> dict:
    return requests.get(f"{base}/sandbox/_control/state", timeout=5).json()


def stable_fetches(base: str, appid: str) -> int:
    return state(base)["counters"]["stable_token"].get(appid, 0)


def calls(base: str, api: str) -> int:
    return state(base)["counters"]["calls"].get(api, 0)


@contextmanager
def fresh_platform(app, base: str, monkeypatch):
    """A reset sandbox and a token store of our own (other test runs may share the Redis)."""
    control(base, "reset")
    monkeypatch.setitem(app.config, "WECHAT_TOKEN_PREFIX", f"cwt-test:wx:{uuid.uuid4().hex[:8]}")
    monkeypatch.setitem(app.config, "WECHAT_RATE_LIMIT_BACKOFF", 0.01)
    yield base
