"""Security headers on every response (issue 9, item 7); the browser side is tests/admin/test_csp_browser.py."""

from __future__ import annotations

import pytest

from tests.helpers import code_of, make_household


@pytest.fixture
def paths(db):
    household = make_household()
    return [
        f"/h/{code_of(household)}", "/h/nosuchcode", f"/api/mp/v1/households/{code_of(household)}", "/me",
        "/me/bind", "/admin/login", "/admin/", "/static/css/villager.css", "/sandbox/", "/livez",
    ]  # fmt: skip


def test_every_response_carries_the_security_headers(client, paths):
    # The callback's verification (bad signature: 403) gets the same headers, fixed, without Talisman.
    for path in [*paths, "/wechat/callback?signature=x&timestamp=1&nonce=2&echostr=e"]:
        response = client.get(path)
        headers = response.headers
        csp = dict(part.strip().split(" ", 1) for part in headers["Content-Security-Policy"].split(";"))
        assert csp["script-src"] == "'self'" and csp["frame-ancestors"] == "'none'", path
        assert csp["object-src"] == "'none'" and csp["base-uri"] == "'self'", path
        assert headers["X-Frame-Options"] == "DENY", path
        assert headers["X-Content-Type-Options"] == "nosniff", path
        assert headers["Referrer-Policy"] == "same-origin", path
        assert "Strict-Transport-Security" not in headers, path  # plain http: the embedded default


def test_hsts_is_sent_over_https_only(client, paths):
    response = client.get(paths[0], base_url="https://cun.example.cn")
    assert response.headers["Strict-Transport-Security"] == "max-age=31556926"  # a year (Talisman's ONE_YEAR_IN_SECS)
    assert "Strict-Transport-Security" not in client.get(paths[0]).headers


def test_the_session_cookie_keeps_the_app_s_own_settings(app, client):
    """Talisman would force Secure cookies; on the embedded default's plain http that would sign
    nobody in, so the app's settings (Secure in production only) must win."""
    assert app.config["SESSION_COOKIE_SECURE"] is False and app.config["SESSION_COOKIE_SAMESITE"] == "Lax"
    client.get("/admin/login")
    cookie = client.get_cookie("session")
    assert cookie is not None and not cookie.secure


def test_only_the_api_docs_page_may_run_inline_script(client, db):
    docs = client.get("/api/mp/v1/docs")
    assert docs.status_code == 200 and "script-src 'self' 'unsafe-inline'" in docs.headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in docs.headers["Content-Security-Policy"]
