"""Run by tests/web/test_redis_down.py in a process of its own, with REDIS_URL at a port where
nothing listens: the app is built the way production builds it (Redis for the page cache, rate
limits, callback marks, binding counters and the Celery broker), on this test run's database.
It shows a household page, signs in, binds, floods both limits, takes callbacks (one resent) and
asks /healthz, and prints each answer as JSON. A process of its own, because the extensions are
bound to one app per process."""

from __future__ import annotations

import json
import os
import re
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

# Not tests.conftest: importing it would prepare a test environment of its own for this process.
PUBLIC_BASE_URL = "https://cun.example.cn"


def main() -> None:
    from app import create_app
    from app.extensions import cache, db, limiter, redis_client
    from app.services import clock
    from tests.admin_helpers import _TOKEN, PASSWORD, make_account
    from tests.helpers import code_of, make_household
    from tests.wechat.wx import WeChat, event_xml, openid, text_xml

    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "probe-secret",
            "DATA_ENCRYPTION_KEY": os.environ["CWT_TEST_DATA_KEY"],
            "PUBLIC_BASE_URL": PUBLIC_BASE_URL,
            "CACHE_KEY_PREFIX": f"cwt-probe-{os.getpid()}:",
            "RATELIMIT_ENABLED": True,
            "PASSWORD_HASH_FAST": True,
            "WECHAT_API_BASE": "http://127.0.0.1:9/sandbox",
            "WECHAT_OPEN_BASE": "http://127.0.0.1:9/sandbox",
        }
    )
    out: dict = {"statuses": {}}

    def csrf_token(client, url: str = "/admin/login") -> str:
        match = _TOKEN.search(client.get(url).get_data(as_text=True))
        return match.group(1) or match.group(2)

    def record(name: str, response) -> None:
        out["statuses"].setdefault(name, []).append(response.status_code)
        out[name] = {"status": response.status_code, "text": response.get_data(as_text=True)}

    with app.app_context():
        household = make_household()
        account = make_account(household.village, "cadre")
        head = household.members[0]
        name, last6, code, username = head.name, head.id_number[-6:], code_of(household), account.username
        db.session.commit()
        pools = {
            "redis_client": redis_client.client.connection_pool,
            "page_cache": cache.cache._read_client.connection_pool,
            "rate_limits": limiter._storage.storage.connection_pool,
        }
        out["timeouts"] = {
            name: [pool.connection_kwargs.get(k) for k in ("socket_connect_timeout", "socket_timeout")]
            for name, pool in pools.items()
        }
    # Requests outside that context: inside it they would share one flask.g (and CSRF token).
    record("household", app.test_client().get(f"/h/{code}"))

    cadre = app.test_client()
    form = {"username": username, "password": PASSWORD, "csrf_token": csrf_token(cadre)}
    record("login", cadre.post("/admin/login", data=form))
    stranger = app.test_client()
    for _ in range(21):  # the sign-in limit is 20 a minute
        form = {"username": "nobody", "password": "wrong-password", "csrf_token": csrf_token(stranger)}
        record("login_flood", stranger.post("/admin/login", data=form))

    villager = app.test_client()
    out["openid"] = openid()
    with villager.session_transaction() as session:
        session["openid"] = out["openid"]
        session["openid_at"] = int(clock.timestamp())  # as the OAuth callback writes it (VILLAGER_SESSION_MAX)
    page = villager.get("/me/bind").get_data(as_text=True)
    csrf = re.search(r'name="id-csrf_token"[^>]*value="([^"]+)"', page).group(1)
    for label, digits in (("bind", last6), *(("bind_flood", "000000"),) * 10):  # BIND_LIMIT: 10 a minute
        form = {"id-csrf_token": csrf, "id-name": name, "id-id_last6": digits, "id-submit": "核对并绑定"}
        record(label, villager.post("/me/bind", data=form))

    wechat = WeChat(app.test_client(), app.config, aes_key=app.config["WECHAT_AES_KEY"])
    record("callback_scan", wechat.post(event_xml(openid(), "subscribe", f"qrscene_h_{code}")))
    out["callback_scan"]["reply"] = wechat.reply(app.response_class(out["callback_scan"]["text"]))
    text = text_xml(openid(), "帮助")
    for label in ("callback_text", "callback_text_resent"):  # WeChat's retry of the same MsgId
        record(label, wechat.post(text))

    started = time.monotonic()
    record("healthz", app.test_client().get("/healthz"))
    out["healthz"]["seconds"] = time.monotonic() - started  # shown on failure, not asserted
    print(json.dumps(out, ensure_ascii=False))


if __name__ == "__main__":
    main()
