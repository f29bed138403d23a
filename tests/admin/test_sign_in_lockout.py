"""Sign-in tells a stranger nothing and a lock cannot keep a cadre out (issue 9, item 7).

A locked, a wrong-password and an unknown account get the same page after the same work (one
Argon2 verification, counted, not timed). The lock holds in browsers the account never signed
in from; in the cadre's own browser the right password still works, however often strangers
re-lock the account.
"""

from __future__ import annotations

import re

import pyotp
import pytest
from argon2 import PasswordHasher

from app.extensions import db
from app.models import Account
from tests.admin_helpers import PASSWORD, csrf_token, login, make_account
from tests.helpers import make_village

_TOKEN = re.compile(r'(name="csrf_token"[^>]*value=")[^"]+|(name="csrf-token" content=")[^"]+')


def attempt(client, username: str, password: str):
    token = csrf_token(client)
    return client.post("/admin/login", data={"username": username, "password": password, "csrf_token": token})


def page(response, username: str) -> str:
    """The answer without its per-session CSRF token and the name the form gives back as typed."""
    html = _TOKEN.sub(lambda m: m.group(1) or m.group(2), response.get_data(as_text=True))
    return html.replace(f'value="{username}"', 'value="…"')


def stranger(app):
    """A browser elsewhere (its own address, so the per-address rate limit is its own)."""
    stranger.seen += 1
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = f"203.0.113.{stranger.seen % 250}"
    return client


stranger.seen = 0


def lock(app, account: Account) -> None:
    stranger = globals()["stranger"](app)
    for _ in range(5):
        attempt(stranger, account.username, "wrong-password-1")
    db.session.refresh(account)
    assert account.locked_until is not None


@pytest.fixture
def hash_work(monkeypatch):
    """Every Argon2 call the sign-in makes, by kind."""
    calls: list[str] = []
    for name in ("verify", "hash"):
        real = getattr(PasswordHasher, name)

        def spy(self, *args, _real=real, _name=name, **kwargs):
            calls.append(_name)
            return _real(self, *args, **kwargs)

        monkeypatch.setattr(PasswordHasher, name, spy)
    return calls


def test_locked_wrong_and_unknown_get_the_same_answer_after_the_same_work(app, client, hash_work):
    village = make_village()
    locked, other = make_account(village), make_account(village)
    lock(app, locked)
    answers, work = [], []
    for username, password in [
        (locked.username, PASSWORD),  # the right password, in a browser the account never used
        (locked.username, "wrong-password-2"),
        (other.username, "wrong-password-2"),
        ("nobody-here", "wrong-password-2"),
    ]:
        hash_work.clear()
        response = attempt(stranger(app), username, password)
        answers.append((response.status_code, page(response, username)))
        work.append(list(hash_work))
    assert answers[0][0] == 200 and "用户名或密码不对" in answers[0][1] and "锁定" not in answers[0][1]
    for answer in answers[1:]:
        assert answer == answers[0]
    assert work == [["verify"]] * 4


def test_the_cadre_s_own_browser_still_signs_in_while_strangers_keep_the_account_locked(app, client):
    account = make_account(make_village())
    login(client, account)  # the office computer, signed in before
    client.post("/admin/logout", data={"csrf_token": csrf_token(client, "/admin/")})
    for _ in range(3):  # strangers re-lock it, again and again
        lock(app, account)
        assert attempt(stranger(app), account.username, PASSWORD).status_code == 200  # not in
        response = attempt(client, account.username, PASSWORD)
        assert response.status_code == 302 and response.headers["Location"] == "/admin/"
        assert client.get("/admin/").status_code == 200
        client.post("/admin/logout", data={"csrf_token": csrf_token(client, "/admin/")})
    db.session.refresh(account)
    assert account.locked_until is not None  # signing in there did not reopen guessing elsewhere


def test_a_trusted_browser_passes_the_second_factor_step_while_locked(app, client):
    account = make_account(make_village(), totp=True)
    login(client, account)
    client.post("/admin/logout", data={"csrf_token": csrf_token(client, "/admin/")})
    lock(app, account)
    db.session.refresh(account)
    account.totp_last_step = None  # a fresh code for the second sign-in in the same 30 seconds
    db.session.commit()
    assert attempt(client, account.username, PASSWORD).headers["Location"].startswith("/admin/login/totp")
    code = pyotp.TOTP(account.totp_secret).now()
    token = csrf_token(client, "/admin/login/totp")
    done = client.post("/admin/login/totp", data={"code": code, "csrf_token": token})
    assert done.status_code == 302 and done.headers["Location"] == "/admin/"


def test_another_account_s_or_a_forged_device_cookie_opens_no_lock(app, client):
    village = make_village()
    mine, theirs = make_account(village), make_account(village)
    login(client, mine)
    lock(app, theirs)
    assert attempt(client, theirs.username, PASSWORD).status_code == 200  # my browser is not theirs
    forged = app.test_client()
    forged.set_cookie("cwt_device", "WzEsMiwzXQ.forged.signature", path="/admin/")
    assert attempt(forged, theirs.username, PASSWORD).status_code == 200
