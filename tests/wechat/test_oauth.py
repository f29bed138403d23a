"""Web OAuth (W2) against the sandbox over real HTTP: silent login, signed state, single-use codes."""

from __future__ import annotations

import hashlib
import secrets
import time
import uuid
from urllib.parse import parse_qs, unquote, urlsplit

import pytest
import requests
from itsdangerous import TimestampSigner, URLSafeTimedSerializer

from app.extensions import cache
from app.services import identity
from config import load_config
from tests.wechat.sandbox_control import calls, control

SALT = "wechat-oauth-state"


@pytest.fixture
def base(live_server, db):
    return live_server


def wechat_user(base: str) -> tuple[requests.Session, str]:
    """A browser inside WeChat: the sandbox acts as this user (cookie ``sandbox_user``)."""
    openid = "oSbxT" + uuid.uuid4().hex[:20]
    created = requests.post(
        f"{base}/sandbox/_control/users", json={"openid": openid, "nickname": "测试村民"}, timeout=5
    )
    assert created.ok, created.text
    browser = requests.Session()
    browser.cookies.set("sandbox_user", openid, domain="127.0.0.1", path="/sandbox")
    return browser, openid


def query(url: str) -> dict:
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}


def state_for(app, target: str, nonce: str, signer=TimestampSigner) -> str:
    return URLSafeTimedSerializer(app.secret_key, salt=SALT, signer=signer).dumps([target, nonce])


def test_silent_login_round_trip_lands_on_my_page(app, base):
    browser, openid = wechat_user(base)
    page = browser.get(f"{base}/me", timeout=10)
    assert page.status_code == 200 and "未绑定" in page.text and urlsplit(page.url).path == "/me"
    hops = [urlsplit(r.url).path for r in page.history]
    assert hops == ["/me", "/wechat/oauth/start", "/sandbox/connect/oauth2/authorize", "/wechat/oauth/callback"]
    authorize = query(page.history[2].url)
    assert authorize["scope"] == "snsapi_base" and authorize["appid"] == app.config["WECHAT_APPID"]
    assert authorize["redirect_uri"] == f"{base}/wechat/oauth/callback" and len(authorize["state"].encode()) <= 128
    assert identity.find_identity(openid) is not None
    cookie = page.history[3].headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie  # not production
    assert browser.get(f"{base}/me", allow_redirects=False, timeout=10).status_code == 200  # remembered


def test_start_sends_only_local_paths_through_a_short_signed_state(app, client):
    for unsafe in ("https://evil.example/x", "//evil.example/x", "/\\evil.example", "javascript:alert(1)",
                   "/wechat/oauth/callback", "", "/h/" + secrets.token_urlsafe(96)):  # fmt: skip
        location = client.get("/wechat/oauth/start", query_string={"next": unsafe}).headers["Location"]
        state = query(location)["state"]
        assert len(state.encode()) <= 128
        assert URLSafeTimedSerializer(app.secret_key, salt=SALT).loads(state)[0] == "/me"
    location = client.get("/wechat/oauth/start?next=/me/bind%3Fcode%3Dabc").headers["Location"]
    assert location.startswith(app.config["WECHAT_OPEN_BASE"] + "/connect/oauth2/authorize?appid=")
    assert location.endswith("#wechat_redirect") and "response_type=code&scope=snsapi_base" in location
    assert URLSafeTimedSerializer(app.secret_key, salt=SALT).loads(query(location)["state"])[0] == "/me/bind?code=abc"


def test_a_spent_code_is_refused_without_asking_the_platform(app, base):
    browser, openid = wechat_user(base)
    callback = browser.get(f"{base}/me", timeout=10).history[3].url
    spent = query(callback)["code"]
    # Someone replays the code with a fresh state of their own.
    other = requests.Session()
    state = query(
        other.get(f"{base}/wechat/oauth/start?next=/me", allow_redirects=False, timeout=10).headers["Location"]
    )["state"]
    before = calls(base, "oauth_access_token")
    again = other.get(
        f"{base}/wechat/oauth/callback", params={"code": spent, "state": state}, allow_redirects=False, timeout=10
    )
    assert again.status_code == 400 and "失效" in again.text
    assert calls(base, "oauth_access_token") == before
    assert other.get(f"{base}/me", allow_redirects=False, timeout=10).status_code == 302  # still nobody

    # Had we forgotten the code, the platform's 40163 is handled the same way.
    cache.delete(f"oauth:code:{hashlib.sha256(spent.encode()).hexdigest()}")
    state = query(other.get(f"{base}/wechat/oauth/start", allow_redirects=False, timeout=10).headers["Location"])[
        "state"
    ]
    again = other.get(
        f"{base}/wechat/oauth/callback", params={"code": spent, "state": state}, allow_redirects=False, timeout=10
    )
    assert again.status_code == 400 and "失效" in again.text
    assert calls(base, "oauth_access_token") == before + 1
    assert other.get(f"{base}/me", allow_redirects=False, timeout=10).status_code == 302


def test_replaying_the_whole_callback_is_refused(base):
    browser, openid = wechat_user(base)
    callback = browser.get(f"{base}/me", timeout=10).history[3].url
    replay = browser.get(callback, allow_redirects=False, timeout=10)
    assert replay.status_code == 400 and "登录链接" in replay.text


class OldSigner(TimestampSigner):
    def get_timestamp(self) -> int:
        return int(time.time()) - 601


@pytest.mark.parametrize("how", ["tampered", "other key", "expired", "not this browser", "no code"])
def test_forged_or_stale_state_is_refused_and_sets_nothing(app, client, how):
    with client.session_transaction() as session:
        session["oauth_nonces"] = ["n0nce"]
    state = {
        "tampered": state_for(app, "/me", "n0nce")[:-2] + "xx",
        "other key": URLSafeTimedSerializer("another-secret", salt=SALT).dumps(["/me", "n0nce"]),
        "expired": state_for(app, "/me", "n0nce", OldSigner),
        "not this browser": state_for(app, "/me", "someone-elses"),
        "no code": state_for(app, "/me", "n0nce"),
    }[how]
    params = {"state": state} if how == "no code" else {"state": state, "code": "sbxoa" + uuid.uuid4().hex}
    response = client.get("/wechat/oauth/callback", query_string=params)
    assert response.status_code == 400 and "登录" in response.get_data(as_text=True)
    with client.session_transaction() as session:
        assert "openid" not in session


def test_session_cookie_is_secure_in_production(app, base, client, monkeypatch):
    monkeypatch.setenv("REDIS_URL", "redis://127.0.0.1:6379/15")
    production = load_config(
        {"APP_ENV": "production", "SECRET_KEY": "s", "DATA_ENCRYPTION_KEY": app.config["DATA_ENCRYPTION_KEY"]}
    )
    assert production["SESSION_COOKIE_SECURE"] and production["SESSION_COOKIE_HTTPONLY"]
    monkeypatch.setitem(app.config, "SESSION_COOKIE_SECURE", True)
    browser, openid = wechat_user(base)
    code = control(base, "oauth_code", openid=openid)["code"]
    with client.session_transaction() as session:
        session["oauth_nonces"] = ["n0nce"]
    response = client.get(
        "/wechat/oauth/callback", query_string={"code": code, "state": state_for(app, "/me", "n0nce")}
    )
    assert response.status_code == 302 and response.headers["Location"] == "/me"
    cookie = response.headers["Set-Cookie"]
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_platform_unreachable_gives_a_chinese_page(app, client, monkeypatch):
    monkeypatch.setitem(app.config, "WECHAT_API_BASE", "http://127.0.0.1:9")
    with client.session_transaction() as session:
        session["oauth_nonces"] = ["n0nce"]
    response = client.get(
        "/wechat/oauth/callback", query_string={"code": "abc", "state": state_for(app, "/me", "n0nce")}
    )
    assert response.status_code == 502 and "微信暂时连不上" in response.get_data(as_text=True)


def test_accounts_without_web_oauth_point_to_the_mini_program(app, client, monkeypatch):
    monkeypatch.setitem(app.config, "WECHAT_ACCOUNT_TYPE", "subscription")
    start = client.get(unquote(client.get("/me").headers["Location"]))
    assert start.status_code == 200 and "小程序" in start.get_data(as_text=True)
    assert "小程序" in client.get("/wechat/oauth/callback?code=x&state=y").get_data(as_text=True)


def test_with_the_code_memory_down_sign_in_works_and_the_platform_still_refuses_a_spent_code(base, monkeypatch):
    """Redis down: the callback cannot remember spent codes, so WeChat's one-use rule decides."""
    import redis

    from wechat import oauth

    class Unreachable:
        def add(self, *args, **kwargs):
            raise redis.exceptions.ConnectionError("Error 111 connecting to 127.0.0.1:1. Connection refused.")

    monkeypatch.setattr(oauth, "cache", Unreachable())
    browser, openid = wechat_user(base)
    page = browser.get(f"{base}/me", timeout=10)
    assert page.status_code == 200 and urlsplit(page.url).path == "/me"
    spent = query(page.history[3].url)["code"]
    other = requests.Session()
    state = query(other.get(f"{base}/wechat/oauth/start", allow_redirects=False, timeout=10).headers["Location"])[
        "state"
    ]
    again = other.get(
        f"{base}/wechat/oauth/callback", params={"code": spent, "state": state}, allow_redirects=False, timeout=10
    )
    assert again.status_code == 400 and "失效" in again.text
    assert other.get(f"{base}/me", allow_redirects=False, timeout=10).status_code == 302
