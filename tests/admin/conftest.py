"""Back-office fixtures: ``auth`` (sign in on the test client through the real forms), and a
headless Chromium at an office screen's size, signed in through the real login form (and the
TOTP step when the account has one)."""

from __future__ import annotations

import pyotp
import pytest

from tests.admin_helpers import PASSWORD, login, make_account
from tests.browser import needs_chromium  # noqa: F401  (the mark the admin browser tests import from here)


class Auth:
    """Sign ``client`` in as a new account: ``auth.login(village, "cadre")`` returns the account."""

    def __init__(self, client):
        self.client = client

    def login(self, region, role: str = "cadre", **account) -> object:
        signed_in = make_account(region, role, **account)
        login(self.client, signed_in)
        return signed_in


@pytest.fixture
def auth(client) -> Auth:
    """The one back-office sign-in of the test client (Flask's tutorial calls it AuthActions)."""
    return Auth(client)


@pytest.fixture
def office_page(chromium, live_server, db):
    """A fresh 1366×768 browser tab (the cadres' usual screen); yields (page, base_url)."""
    context = chromium.new_context(viewport={"width": 1366, "height": 768}, locale="zh-CN", accept_downloads=True)
    context.set_default_timeout(15_000)
    page = context.new_page()
    yield page, live_server
    context.close()


def browser_login(page, base: str, account, password: str = PASSWORD) -> None:
    """Sign in as a cadre would: type name and password, then the 6-digit code if asked."""
    page.goto(f"{base}/admin/login")
    page.fill("#username", account.username)
    page.fill("#password", password)
    page.click("button[type=submit]")
    if "/admin/login/totp" in page.url:
        page.fill("#code", pyotp.TOTP(account.totp_secret).now())
        page.click("button[type=submit]")
    page.wait_for_url(f"{base}/admin/**")
    assert "/admin/login" not in page.url, page.content()[:1000]


@pytest.fixture
def cadre(auth, village):
    """A cadre of the test module's ``village``, signed in; modules whose ``village`` is not a
    region, or who want another role, declare their own ``cadre`` with ``auth``."""
    return auth.login(village)
