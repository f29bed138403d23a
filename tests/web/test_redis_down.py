"""Redis unreachable: every path a villager, a cadre or WeChat takes still answers, none with 500.

The app under test is built in a process of its own (tests/redis_down_probe.py) with REDIS_URL at
a port where nothing listens, on this run's database: on the production stack that is
PostgreSQL with the app's Redis gone, on the embedded stack the same SQLite file with a Redis
configured and down. (Built here, it would rebind the extensions the session app uses.)
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

from sqlalchemy import select

from app.extensions import db as database
from app.models import WechatIdentity
from app.services.identity_proof import COUNTERS_DOWN

PROBE = Path(__file__).resolve().parents[1] / "redis_down_probe.py"


def _dead_redis_url() -> str:
    with socket.socket() as probe:  # a port the kernel just handed out, now closed: nobody listens
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"redis://127.0.0.1:{port}/0"


def test_with_redis_unreachable_pages_sign_in_binding_and_the_callback_answer(db):
    env = {**os.environ, "REDIS_URL": _dead_redis_url()}
    run = subprocess.run([sys.executable, str(PROBE)], env=env, capture_output=True, text=True, timeout=240)
    assert run.returncode == 0, run.stderr[-4000:]
    out = json.loads(run.stdout.strip().splitlines()[-1])
    statuses = out["statuses"]
    answered = {name: codes for name, codes in statuses.items() if name != "healthz"}  # 503 by design
    assert not any(500 <= code for codes in answered.values() for code in codes), statuses

    # The household page is built fresh (no cache to read or fill) and served.
    assert statuses["household"] == [200] and "我家积分" in out["household"]["text"]
    # Sign-in works, and its limit still holds, counted in this process's memory.
    assert statuses["login"] == [302]
    assert statuses["login_flood"][:19] == [200] * 19 and statuses["login_flood"][19:] == [429, 429]
    assert "尝试太频繁" in out["login_flood"]["text"]
    # Binding by proof fails closed (no counters, no guessing), says so, and stays limited.
    assert statuses["bind"] == [200] and COUNTERS_DOWN in out["bind"]["text"]
    assert statuses["bind_flood"][-1] == 429 and "操作太频繁" in out["bind_flood"]["text"]
    database.session.expire_all()
    row = database.session.scalar(select(WechatIdentity).where(WechatIdentity.openid == out["openid"]))
    assert row is None or row.villager_id is None
    # The callback answers the scan with the household's card; a resend in the same process is
    # still recognised (marks fall back to this process's memory).
    assert out["callback_scan"]["reply"]["MsgType"] == "news"
    assert statuses["callback_text"] == [200] and out["callback_text"]["text"].startswith("<xml>")
    assert (statuses["callback_text_resent"], out["callback_text_resent"]["text"]) == ([200], "success")
    # /healthz: out of rotation, and no worker ping waited on a broker that is not there.
    health = json.loads(out["healthz"]["text"])
    assert statuses["healthz"] == [503] and health["redis"]["status"] == "down"
    assert health["workers"] == {"status": "down", "error": "broker unreachable"}
    # Every Redis connection a request makes gives up after REDIS_SOCKET_TIMEOUT (0.5 s).
    assert out["timeouts"] == {name: [0.5, 0.5] for name in ("redis_client", "page_cache", "rate_limits")}
