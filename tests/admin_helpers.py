"""Back-office test helpers: accounts, signing in through the real forms, CSRF tokens."""

from __future__ import annotations

import itertools
import re

import pyotp
from flask import g

from app.extensions import db
from app.models import Account, Region
from app.services import accounts

PASSWORD = "cadre-pass-2026"
_seq = itertools.count(1)
_TOKEN = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"|name="csrf-token" content="([^"]+)"')


def make_account(region: Region, role: str = "cadre", *, username: str | None = None, group_id=None, totp=False) -> Account:
    """An account of ``role`` scoped to ``region``; with ``totp`` it has a second factor on."""
    username = username or f"{role.replace('_', '')}{next(_seq)}"
    account = accounts.create_account(
        accounts.AccountInput(username, f"测试{username}", role, region.id, PASSWORD, group_id), created_by="测试"
    )
    if totp:
        account.totp_secret = pyotp.random_base32()
        account.totp_enabled = True
        db.session.commit()
    return account


def csrf_token(client, url: str = "/admin/login") -> str:
    """The CSRF token from a page's form (the session cookie that goes with it stays in ``client``)."""
    # Test requests share the ``db`` fixture's app context, where Flask-WTF caches the token in
    # ``g``; a second client in the same test would be handed the first one's token.
    g.pop("csrf_token", None)
    html = client.get(url).get_data(as_text=True)
    match = _TOKEN.search(html)
    assert match, f"no CSRF token on {url}"
    return match.group(1) or match.group(2)


def login(client, account: Account, password: str = PASSWORD) -> None:
    """Sign in through the real forms, answering the TOTP step when the account has one."""
    response = client.post("/admin/login", data={"username": account.username, "password": password, "csrf_token": csrf_token(client)})
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    if "/admin/login/totp" in response.headers["Location"]:
        code = pyotp.TOTP(account.totp_secret).now()
        response = client.post("/admin/login/totp", data={"code": code, "csrf_token": csrf_token(client, "/admin/login/totp")})
        assert response.status_code == 302, response.get_data(as_text=True)[:500]


def post(client, url: str, data: dict | None = None, *, form_url: str | None = None, **kwargs):
    """POST with a fresh CSRF token taken from ``form_url`` (default: the dashboard)."""
    payload = dict(data or {})
    payload["csrf_token"] = csrf_token(client, form_url or "/admin/")
    return client.post(url, data=payload, **kwargs)
