"""WeChat tests: a signing stand-in for the platform, and no contacts remembered between tests."""

from __future__ import annotations

import pytest

from tests.wechat.wx import WeChat
from wechat import contacts


@pytest.fixture
def wechat(client, app, monkeypatch):
    """Posts plain-mode callbacks, signed as WeChat signs them, to an account without an AES key
    (the console's 明文模式): with a key the callback takes encrypted messages only."""
    monkeypatch.setitem(app.config, "WECHAT_AES_KEY", None)
    return WeChat(client, app.config)


@pytest.fixture
def safe_wechat(client, app):
    """Posts encrypted ("safe mode") callbacks with the current AES key."""
    return WeChat(client, app.config, aes_key=app.config["WECHAT_AES_KEY"])


@pytest.fixture(autouse=True)
def _forget_contacts():
    """The database is emptied between tests; the callback's memory of recent contacts too."""
    contacts.forget_all()
    yield
    contacts.forget_all()
