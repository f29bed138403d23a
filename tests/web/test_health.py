"""GET /healthz and /livez."""

from __future__ import annotations

from tests.conftest import production_stack


def test_healthz_reports_database_redis_and_workers(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.get_json()
    assert body["status"] in ("ok", "degraded")
    assert body["database"]["status"] == "ok"
    if production_stack():
        assert body["database"]["backend"] == "postgresql"
        assert body["redis"]["status"] == "ok"
    else:
        assert body["database"]["backend"] == "sqlite"
        assert body["redis"]["status"] == "not_configured"
    assert body["workers"]["status"] in (("ok", "none") if production_stack() else ("inline",))


def test_healthz_says_degraded_when_redis_is_unreachable(app, client, monkeypatch):
    import redis

    from app.extensions import redis_client

    monkeypatch.setattr(redis_client, "client", redis.Redis(host="127.0.0.1", port=1, socket_connect_timeout=0.2))
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.get_json()["redis"]["status"] == "down"


def test_livez_is_trivial(client):
    assert client.get("/livez").get_json() == {"ok": True}


def test_error_page_speaks_chinese(app):
    from flask import render_template

    with app.test_request_context("/"):
        html = render_template("web/error.html", message="系统出了点问题，请稍后再试。")
    assert "出了点问题" in html and "系统出了点问题" in html


# --- readiness without a denial-of-service lever ------------------------------------------------


class _Pings:
    """Stands in for Celery's control.ping: counts the pings, each held until released."""

    def __init__(self):
        import threading

        self.count, self.started, self.release = 0, threading.Event(), threading.Event()

    def __call__(self, timeout):
        self.count += 1
        self.started.set()
        self.release.wait(10)
        return [{"celery@worker-1": {"ok": "pong"}}]


def _with_workers(app, monkeypatch):
    """A node whose tasks go to Celery workers (production), with the worker ping stubbed."""
    pings = _Pings()
    monkeypatch.setitem(app.config, "TASKS_INLINE", False)
    monkeypatch.setattr(app.extensions["celery"].control, "ping", pings)
    monkeypatch.delitem(app.extensions, "health_workers", raising=False)
    return pings


class _Clock:
    def __init__(self):
        self.now = 1000.0

    def monotonic(self):
        return self.now


def test_concurrent_and_repeated_healthz_calls_share_one_worker_ping(app, db, monkeypatch):
    import threading

    from app.web import health

    pings, clock = _with_workers(app, monkeypatch), _Clock()
    monkeypatch.setattr(health, "time", clock)
    answers = []

    def call():
        answers.append(app.test_client().get("/healthz").get_json()["workers"])

    first = [threading.Thread(target=call) for _ in range(8)]
    for thread in first:
        thread.start()
    assert pings.started.wait(10)
    pings.release.set()
    for thread in first:
        thread.join(10)
    for _ in range(5):  # within HEALTH_WORKERS_CACHE_SECONDS: the same answer, no new ping
        call()
    assert pings.count == 1
    assert answers == [{"status": "ok", "count": 1}] * 13

    # Once it is stale, one caller pings again while the others answer with the last result.
    clock.now += app.config["HEALTH_WORKERS_CACHE_SECONDS"] + 1
    pings.started.clear()
    pings.release.clear()
    refresher = threading.Thread(target=call)
    refresher.start()
    assert pings.started.wait(10)
    meanwhile = [app.test_client().get("/healthz").get_json()["workers"] for _ in range(3)]
    pings.release.set()
    refresher.join(10)
    assert pings.count == 2 and meanwhile == [{"status": "ok", "count": 1}] * 3


def test_with_redis_down_healthz_sends_no_worker_ping_and_uses_the_short_timeout(app, db, monkeypatch):
    import redis

    from app.extensions import redis_client, redis_timeouts

    pings = _with_workers(app, monkeypatch)
    pings.release.set()
    down = "redis://127.0.0.1:1/0"
    monkeypatch.setitem(app.config, "REDIS_URL", down)
    monkeypatch.setitem(app.config, "CELERY_BROKER_URL", down)
    monkeypatch.setattr(redis_client, "client", redis.Redis.from_url(down, **redis_timeouts(app.config)))
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.get_json()["workers"] == {"status": "down", "error": "broker unreachable"}
    assert pings.count == 0
    kwargs = redis_client.client.connection_pool.connection_kwargs
    assert kwargs["socket_connect_timeout"] == kwargs["socket_timeout"] == app.config["REDIS_SOCKET_TIMEOUT"] <= 0.5


def test_healthz_details_go_to_the_operator_only(app, db, monkeypatch):
    monkeypatch.setitem(app.config, "HEALTH_TOKEN", "op-token-0123456789")
    client = app.test_client()
    public = {"REMOTE_ADDR": "203.0.113.9"}
    words = client.get("/healthz", environ_base=public).get_json()
    assert set(words) == {"status", "database", "redis", "workers"}
    assert all(set(words[name]) == {"status"} for name in ("database", "redis", "workers"))
    assert "backend" not in str(words) and "sqlite" not in str(words) and "postgresql" not in str(words)
    # A proxy on this machine forwards the public: loopback with X-Forwarded-For is not the operator.
    forwarded = client.get("/healthz", headers={"X-Forwarded-For": "203.0.113.9"}).get_json()
    assert set(forwarded["database"]) == {"status"}
    wrong = client.get("/healthz", environ_base=public, headers={"X-Health-Token": "wrong"}).get_json()
    assert set(wrong["database"]) == {"status"}
    for details in (
        client.get("/healthz", environ_base=public, headers={"X-Health-Token": "op-token-0123456789"}).get_json(),
        client.get("/healthz").get_json(),  # the loopback itself
    ):
        assert details["database"]["backend"] in ("sqlite", "postgresql")
