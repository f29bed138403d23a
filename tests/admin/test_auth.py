"""Signing in to the back office (A1): password, lockout, TOTP, idle timeout, sessions, CSRF."""

from __future__ import annotations

import time

import pyotp
import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import Account, AuditLog
from tests.admin_helpers import PASSWORD, csrf_token, login, make_account, post
from tests.helpers import make_village


def _try(client, username, password):
    return client.post("/admin/login", data={"username": username, "password": password, "csrf_token": csrf_token(client)})


def _actions(account) -> list[str]:
    rows = db.session.scalars(select(AuditLog.action).where(AuditLog.target == f"account:{account.id}").order_by(AuditLog.id))
    return list(rows)


def test_back_office_needs_sign_in(client):
    response = client.get("/admin/account")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/admin/login?next=")


def test_password_is_stored_as_argon2id_hash(db):
    account = make_account(make_village())
    assert account.password_hash.startswith("$argon2id$")
    assert PASSWORD not in account.password_hash


def test_sign_in_with_password_reaches_the_dashboard_and_is_audited(client):
    account = make_account(make_village())
    response = _try(client, account.username, PASSWORD)
    assert response.status_code == 302 and response.headers["Location"] == "/admin/"
    page = client.get("/admin/").get_data(as_text=True)
    assert account.display_name in page
    assert "login" in _actions(account)


@pytest.mark.parametrize("username,password", [("nobody", PASSWORD), (None, "wrong-password-1")])
def test_wrong_name_or_password_gets_one_message(client, username, password):
    account = make_account(make_village())
    response = _try(client, username or account.username, password)
    assert response.status_code == 200
    assert "用户名或密码不对" in response.get_data(as_text=True)
    assert client.get("/admin/").status_code == 302


def test_five_failures_lock_the_account_even_for_the_right_password(client):
    account = make_account(make_village())
    for _ in range(5):
        _try(client, account.username, "wrong-password-1")
    response = _try(client, account.username, PASSWORD)  # a browser this account never signed in from
    assert "用户名或密码不对" in response.get_data(as_text=True)
    assert client.get("/admin/").status_code == 302
    assert "account.locked" in _actions(account)


def test_login_attempts_are_rate_limited(client):
    make_village()
    token = csrf_token(client)
    codes = [client.post("/admin/login", data={"username": "x", "password": "y", "csrf_token": token}).status_code for _ in range(25)]
    assert 429 in codes
    assert codes[0] == 200


def test_totp_account_needs_the_current_code_and_a_code_works_once(client):
    account = make_account(make_village(), totp=True)
    response = _try(client, account.username, PASSWORD)
    assert response.headers["Location"].startswith("/admin/login/totp")
    assert client.get("/admin/").status_code == 302  # password alone is not enough
    totp_page = "/admin/login/totp"
    wrong = client.post(totp_page, data={"code": "000000", "csrf_token": csrf_token(client, totp_page)})
    assert "动态验证码不对" in wrong.get_data(as_text=True)
    code = pyotp.TOTP(account.totp_secret).now()
    ok = client.post(totp_page, data={"code": code, "csrf_token": csrf_token(client, totp_page)})
    assert ok.status_code == 302 and ok.headers["Location"] == "/admin/"
    assert client.get("/admin/").status_code == 200
    # The same code again, in a new session, is refused: a captured code cannot be replayed.
    other = client.application.test_client()
    _try(other, account.username, PASSWORD)
    replay = other.post(totp_page, data={"code": code, "csrf_token": csrf_token(other, totp_page)})
    assert "动态验证码不对或已用过" in replay.get_data(as_text=True)


def test_town_admin_must_enrol_totp_before_anything_else(client):
    village = make_village()
    account = make_account(village.parent, "town_admin")
    login(client, account)
    response = client.get("/admin/")
    assert response.status_code == 302 and response.headers["Location"] == "/admin/account/totp"
    page = client.get("/admin/account/totp").get_data(as_text=True)
    secret = page.split('id="totp-secret">')[1].split("<")[0]
    bad = post(client, "/admin/account/totp", {"code": "123456"}, form_url="/admin/account/totp")
    assert "验证码不对" in bad.get_data(as_text=True)
    good = post(client, "/admin/account/totp", {"code": pyotp.TOTP(secret).now()}, form_url="/admin/account/totp")
    assert good.status_code == 302
    assert client.get("/admin/").status_code == 200
    db.session.refresh(account)
    assert account.totp_enabled and account.totp_secret == secret
    assert "account.totp_on" in _actions(account)


def test_town_admin_cannot_turn_totp_off(client):
    account = make_account(make_village().parent, "town_admin", totp=True)
    login(client, account)
    response = post(client, "/admin/account/totp/off", follow_redirects=True)
    assert "必须使用动态验证码" in response.get_data(as_text=True)
    db.session.refresh(account)
    assert account.totp_enabled


def test_idle_for_thirty_minutes_signs_out(client, monkeypatch):
    account = make_account(make_village())
    login(client, account)
    assert client.get("/admin/").status_code == 200
    later = time.time() + 31 * 60
    monkeypatch.setattr(time, "time", lambda: later)
    response = client.get("/admin/", follow_redirects=True)
    assert "超过 30 分钟没有操作" in response.get_data(as_text=True)


def test_activity_keeps_the_session_alive(client, monkeypatch):
    account = make_account(make_village())
    login(client, account)
    start = time.time()
    for minutes in (20, 40, 60):  # a request every 20 minutes: never idle for 30
        monkeypatch.setattr(time, "time", lambda m=minutes: start + m * 60)
        assert client.get("/admin/").status_code == 200


def test_password_change_ends_other_sessions_but_keeps_this_one(client, app):
    account = make_account(make_village())
    other = app.test_client()
    login(client, account)
    login(other, account)
    new = "a-new-pass-2027"
    response = post(client, "/admin/account", {"current": PASSWORD, "new": new, "confirm": new}, form_url="/admin/account")
    assert response.status_code == 302
    assert client.get("/admin/").status_code == 200
    assert other.get("/admin/").status_code == 302


def test_weak_new_password_is_refused_and_nothing_changes(client):
    account = make_account(make_village())
    login(client, account)
    before = account.password_hash
    response = post(client, "/admin/account", {"current": PASSWORD, "new": "12345678901", "confirm": "12345678901"}, form_url="/admin/account")
    assert "字母和数字" in response.get_data(as_text=True)
    db.session.refresh(account)
    assert account.password_hash == before


def test_forms_without_csrf_token_are_refused(client):
    account = make_account(make_village())
    response = client.post("/admin/login", data={"username": account.username, "password": PASSWORD})
    assert response.status_code == 400 and "请刷新页面后再提交" in response.get_data(as_text=True)
    assert client.get("/admin/").status_code == 302  # not signed in
    login(client, account)
    response = client.post("/admin/logout")
    assert response.status_code == 400
    assert client.get("/admin/").status_code == 200  # still signed in: the forged logout did nothing


def test_logout_is_a_post_and_ends_the_session(client):
    account = make_account(make_village())
    login(client, account)
    assert client.get("/admin/logout").status_code == 405
    post(client, "/admin/logout")
    assert client.get("/admin/").status_code == 302


def test_next_never_leaves_the_back_office(client):
    account = make_account(make_village())
    token = csrf_token(client)
    response = client.post(
        "/admin/login?next=https://evil.example/admin/",
        data={"username": account.username, "password": PASSWORD, "csrf_token": token},
    )
    assert response.headers["Location"] == "/admin/"


def test_disabled_account_cannot_sign_in(client):
    account = make_account(make_village())
    account.active = False
    db.session.commit()
    assert "用户名或密码不对" in _try(client, account.username, PASSWORD).get_data(as_text=True)


def test_back_office_pages_are_never_cached_or_framed(client):
    login(client, make_account(make_village()))
    response = client.get("/admin/")
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["X-Frame-Options"] == "DENY"


def test_accounts_are_kept(db):
    account = make_account(make_village())
    assert db.session.get(Account, account.id).username == account.username
