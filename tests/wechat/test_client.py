"""The WeChat API client (W5): one shared token, bounded retries, a timeout on every call."""

from __future__ import annotations

import logging
import os
import socket
import subprocess
import sys
import threading
import time
import uuid

import pytest

from tests.conftest import production_stack
from tests.wechat.sandbox_control import fresh_platform, stable_fetches
from wechat.client import WechatError, WechatUnavailable, get_client

QR = {"action_name": "QR_LIMIT_STR_SCENE", "action_info": {"scene": {"scene_str": "h_test-client"}}}


@pytest.fixture
def sandbox(app, live_server, monkeypatch):
    platform = fresh_platform(app, live_server, monkeypatch)
    with app.app_context():
        yield platform


def test_threads_get_one_shared_token_fetched_once(app, sandbox):
    barrier, tokens = threading.Barrier(4), []

    def fetch():
        with app.app_context():
            barrier.wait()
            tokens.append(get_client().access_token)

    workers = [threading.Thread(target=fetch) for _ in range(4)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(10)
    assert len(tokens) == 4 and len(set(tokens)) == 1
    assert stable_fetches(sandbox, app.config["WECHAT_APPID"]) == 1
    assert get_client().qrcode.create(QR)["ticket"]  # and the platform accepts it


PROCESS = """
import json, sys
from app import create_app
app = create_app({"WECHAT_TOKEN_PREFIX": sys.argv[1]})
with app.app_context():
    from wechat.client import get_client
    client = get_client()
    print("ready", flush=True)
    sys.stdin.readline()
    print(json.dumps({"token": client.access_token}), flush=True)
"""


@pytest.mark.skipif(not production_stack(), reason="two processes share a token only through Redis (production stack)")
def test_two_processes_share_one_token(app, sandbox, live_server):
    assert app.config["REDIS_URL"], "the production stack runs with Redis"
    env = {**os.environ, "PUBLIC_BASE_URL": live_server, "REDIS_URL": app.config["REDIS_URL"], "PYTHONPATH": "."}
    prefix = app.config["WECHAT_TOKEN_PREFIX"]
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", PROCESS, prefix], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env
        )
        for _ in range(2)
    ]
    try:
        for proc in procs:
            assert proc.stdout.readline().strip() == "ready"
        for proc in procs:  # both go at once
            proc.stdin.write("go\n")
            proc.stdin.flush()
        tokens = {proc.stdout.readline().strip() for proc in procs}
    finally:
        for proc in procs:
            proc.wait(20)
    assert len(tokens) == 1 and "token" in tokens.pop()
    assert stable_fetches(sandbox, app.config["WECHAT_APPID"]) == 1
    assert get_client().access_token  # the test process reads the same stored token, no new fetch
    assert stable_fetches(sandbox, app.config["WECHAT_APPID"]) == 1


def test_persistent_invalid_token_stops_after_two_attempts(app, sandbox):
    get_client().access_token  # noqa: B018  (a token first, so the retry has one to replace)
    sandbox.fail("qrcode_create", 40001, times=10)
    with pytest.raises(WechatError) as raised:
        get_client().qrcode.create(QR)
    assert raised.value.errcode == 40001
    assert sandbox.calls("qrcode_create") == 2
    assert stable_fetches(sandbox, app.config["WECHAT_APPID"]) == 2  # the first and one forced refresh


def test_an_expired_token_is_refreshed_once_and_the_call_succeeds(app, sandbox):
    stale = get_client().access_token
    sandbox.fail("qrcode_create", 42001, times=1)
    assert get_client().qrcode.create(QR)["ticket"]
    assert get_client().access_token != stale


def test_rate_limit_is_retried_once_then_raised(app, sandbox):
    sandbox.fail("qrcode_create", 45009, times=2)
    with pytest.raises(WechatError) as raised:
        get_client().qrcode.create(QR)
    assert raised.value.errcode == 45009 and raised.value.retryable
    assert sandbox.calls("qrcode_create") == 2
    sandbox.fail("qrcode_create", 45009, times=1)
    assert get_client().qrcode.create(QR)["ticket"]  # one backoff was enough this time


def test_other_platform_errors_raise_at_once(app, sandbox):
    sandbox.fail("qrcode_create", 40053, times=1)
    with pytest.raises(WechatError) as raised:
        get_client().qrcode.create(QR)
    assert (raised.value.errcode, raised.value.retryable) == (40053, False)
    assert "invalid action info" in raised.value.errmsg
    assert sandbox.calls("qrcode_create") == 1


def test_a_refused_token_fetch_is_a_platform_error(app, sandbox):
    sandbox.fail("stable_token", 40125, times=1)  # as for a wrong AppSecret
    with pytest.raises(WechatError) as raised:
        get_client().access_token  # noqa: B018
    assert (raised.value.errcode, raised.value.errmsg) == (40125, "invalid appsecret")
    assert get_client().access_token  # nothing was stored; the next fetch works


def test_mini_program_calls_go_to_the_wxa_base(app, sandbox):
    body = {"scene": "abc", "page": "pages/household/index", "check_path": False, "env_version": "release"}
    answer = get_client("mp").post("/wxa/getwxacodeunlimit", data=body)
    assert answer.content.startswith(b"\x89PNG")
    answer = get_client("mp").wxa.get_wxa_code_unlimited("abc", page="pages/household/index")  # wechatpy's own
    assert answer.content.startswith(b"\x89PNG")
    assert stable_fetches(sandbox, app.config["MP_APPID"]) == 1


@pytest.fixture
def silent_server():
    """A socket that accepts connections and never answers."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    yield f"http://127.0.0.1:{server.getsockname()[1]}"
    server.close()


def test_every_call_has_a_timeout(app, db, silent_server, monkeypatch):
    monkeypatch.setitem(app.config, "WECHAT_TOKEN_PREFIX", f"cwt-test:wx:{uuid.uuid4().hex[:8]}")
    monkeypatch.setitem(app.config, "WECHAT_API_BASE", silent_server)
    monkeypatch.setitem(app.config, "WECHAT_HTTP_TIMEOUT", 0.5)
    started = time.monotonic()
    with pytest.raises(WechatUnavailable) as raised:  # the token fetch itself
        get_client().menu.create({"button": []})
    assert time.monotonic() - started < 2
    assert "stable_token" in raised.value.errmsg
    get_client().session.set(get_client().access_token_key, "a-stored-token", 60)
    started = time.monotonic()
    with pytest.raises(WechatUnavailable):  # an API call with a stored token
        get_client().menu.create({"button": []})
    assert time.monotonic() - started < 2


def test_unreachable_platform_is_unavailable_not_a_crash(app, db, monkeypatch):
    monkeypatch.setitem(app.config, "WECHAT_TOKEN_PREFIX", f"cwt-test:wx:{uuid.uuid4().hex[:8]}")
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    monkeypatch.setitem(app.config, "WECHAT_API_BASE", f"http://127.0.0.1:{port}")
    with pytest.raises(WechatUnavailable):
        get_client().access_token  # noqa: B018


def test_logs_never_show_the_token_or_secret(app, sandbox, caplog):
    caplog.set_level(logging.INFO)
    sandbox.fail("qrcode_create", 40001, times=1)
    get_client().qrcode.create(QR)
    token, secret = get_client().access_token, app.config["WECHAT_SECRET"]
    ours = [r for r in caplog.records if r.name != "werkzeug"]  # not the stand-in platform's access log
    assert ours, "the refresh is logged"
    assert not [r for r in ours if token in r.getMessage() or secret in r.getMessage()]


def test_missing_credentials_are_a_clear_error(app, db, monkeypatch):
    monkeypatch.setitem(app.config, "MP_APPID", None)
    with pytest.raises(WechatError, match="没有配置小程序"):
        get_client("mp")
