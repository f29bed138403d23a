"""A county admin signs in with a password and the TOTP code in a real headless Chromium."""

from __future__ import annotations

import pyotp

from tests.admin.conftest import browser_login, needs_chromium
from tests.admin_helpers import PASSWORD, make_account
from tests.helpers import make_village

pytestmark = needs_chromium


def test_county_admin_signs_in_with_totp_in_chromium(office_page):
    page, base = office_page
    village = make_village()
    county = village.parent.parent
    account = make_account(county, "county_admin", totp=True)

    page.goto(f"{base}/admin/login")
    page.fill("#username", account.username)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/admin/login/totp**")
    page.fill("#code", "000000")
    page.click("button[type=submit]")
    assert "动态验证码不对" in page.inner_text(".alert")

    page.fill("#code", pyotp.TOTP(account.totp_secret).now())
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/admin/")
    assert account.display_name in page.inner_text("header")
    assert county.name in page.inner_text("header")
    # Fits an office screen: nothing wider than 1366 px.
    assert page.evaluate("document.documentElement.scrollWidth") <= 1366


def test_new_town_admin_enrols_totp_then_reaches_the_dashboard(office_page):
    page, base = office_page
    account = make_account(make_village().parent, "town_admin")
    browser_login(page, base, account)  # lands on the enrolment page: TOTP is required
    assert page.url.endswith("/admin/account/totp")
    secret = page.inner_text("#totp-secret").strip()
    page.fill("input[name=code]", pyotp.TOTP(secret).now())
    page.click("form button[type=submit]:has-text('开启')")
    page.wait_for_url(f"{base}/admin/")
    assert "动态验证码已开启" in page.inner_text(".alert")
