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
