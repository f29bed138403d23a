"""Back-office sessions live on the server (A1): logging out ends them for every copy of the cookie,
and nothing secret rides in the cookie, which is signed but readable by whoever holds it."""

from __future__ import annotations

import base64
import json
import zlib

import pyotp
from sqlalchemy import func, select

from app.extensions import db
from app.models import AdminSession
from tests.admin_helpers import login, make_account, post
from tests.helpers import make_household, make_village


def _cookie(client) -> str:
    return client.get_cookie("session").value


def _read_without_the_key(cookie: str) -> dict:
    """What anyone holding the cookie can read: Flask signs it, it does not encrypt it."""
    compressed = cookie.startswith(".")
    payload = cookie.lstrip(".").split(".")[0]
    raw = base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
    return json.loads(zlib.decompress(raw) if compressed else raw)


def test_a_cookie_saved_before_logout_is_refused_after_it(client, app):
    household = make_household()
    account = make_account(household.village)
    login(client, account)
    page = f"/admin/villagers/{household.head_id}"
    assert client.get(page).status_code == 200
    saved = _cookie(client)
    post(client, "/admin/logout")
    thief = app.test_client()
    thief.set_cookie("session", saved)
    replay = thief.get(page)
    assert replay.status_code == 302 and replay.headers["Location"].startswith("/admin/login")
    assert "刘建华" not in thief.get(page, follow_redirects=True).get_data(as_text=True)


def test_logging_out_ends_only_that_session(client, app):
    account = make_account(make_village())
    other = app.test_client()
    login(client, account)
    login(other, account)
    saved = _cookie(client)
    post(client, "/admin/logout")
    thief = app.test_client()
    thief.set_cookie("session", saved)
    assert thief.get("/admin/").status_code == 302
    assert other.get("/admin/").status_code == 200  # the phone stays signed in when the desk PC logs out


def test_signing_in_again_does_not_revive_the_old_cookie(client, app):
    account = make_account(make_village())
    login(client, account)
    old = _cookie(client)
    post(client, "/admin/logout")
    login(client, account)
    thief = app.test_client()
    thief.set_cookie("session", old)
    assert thief.get("/admin/").status_code == 302


def test_sessions_idle_past_thirty_minutes_are_swept_at_the_next_sign_in(client, app):
    import time_machine

    account = make_account(make_village())
    with time_machine.travel("2026-03-02 09:00 +0800", tick=False) as clock:
        login(client, account)
        clock.shift(32 * 60)
        login(app.test_client(), account)
        assert db.session.scalar(select(func.count()).select_from(AdminSession)) == 1


def test_the_totp_secret_being_enrolled_is_not_in_the_cookie(client):
    account = make_account(make_village().parent, "town_admin")
    login(client, account)
    page = client.get("/admin/account/totp").get_data(as_text=True)
    secret = page.split('id="totp-secret">')[1].split("<")[0]
    readable = _read_without_the_key(_cookie(client))
    assert "admin_sid" in readable  # the decoding is right: this is the session cookie
    assert secret not in json.dumps(readable)
    # The page can be reloaded (same secret) and the code from it turns TOTP on.
    again = client.get("/admin/account/totp").get_data(as_text=True)
    assert secret in again
    done = post(client, "/admin/account/totp", {"code": pyotp.TOTP(secret).now()}, form_url="/admin/account/totp")
    assert done.status_code == 302 and client.get("/admin/").status_code == 200
    db.session.refresh(account)
    assert account.totp_enabled and account.totp_secret == secret
