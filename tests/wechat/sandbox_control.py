"""A fresh stand-in platform for client, code and menu tests (driven through tests/push_helpers.Sandbox)."""

from __future__ import annotations

import uuid

from tests.push_helpers import Sandbox


def fresh_platform(app, base: str, monkeypatch) -> Sandbox:
    """Reset the sandbox; give the test a token store of its own (other runs may share the Redis)."""
    platform = Sandbox(base)
    platform.reset()
    monkeypatch.setitem(app.config, "WECHAT_TOKEN_PREFIX", f"cwt-test:wx:{uuid.uuid4().hex[:8]}")
    monkeypatch.setitem(app.config, "WECHAT_RATE_LIMIT_BACKOFF", 0.01)
    return platform


def stable_fetches(platform: Sandbox, appid: str) -> int:
    """How many times ``cgi-bin/stable_token`` was called for ``appid``."""
    return platform.state()["counters"]["stable_token"].get(appid, 0)


# Plain functions on the live server's base URL (used by the OAuth tests).
def control(base: str, what: str, **body) -> dict:
    """POST ``/sandbox/_control/<what>`` and return its JSON answer."""
    return Sandbox(base)._post(what, **body)


def state(base: str) -> dict:
    return Sandbox(base).state()


def calls(base: str, api: str) -> int:
    return Sandbox(base).calls(api)
