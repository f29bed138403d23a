"""Liveness (``/livez``) and readiness (``/healthz``) (O3).

``/livez`` says only that the process answers. ``/healthz`` says whether this node should get
traffic: the database and Redis are checked on every call (one quick round trip each, Redis with
the short REDIS_SOCKET_TIMEOUT), the background workers from a cached ping. A worker ping waits
its whole timeout for replies, so it is the one slow check: it runs at most once per
HEALTH_WORKERS_CACHE_SECONDS per process, by one caller at a time, while other callers answer
with the last result; with Redis (the broker) down it is not sent at all. Nobody can make the
node wait on pings by calling ``/healthz`` often.

Everyone gets the status words; the details (database backend, error names, worker count) go to
the operator only: a request with the HEALTH_TOKEN in ``X-Health-Token``, or one from the
loopback that no proxy forwarded.
"""

from __future__ import annotations

import hmac
import ipaddress
import threading
import time

from flask import current_app, jsonify, request
from sqlalchemy import text

from app.extensions import db, redis_client
from app.web import web

PING_TIMEOUT = 0.5  # seconds a worker ping waits for replies
_PROXY_HEADERS = ("X-Forwarded-For", "Forwarded", "X-Real-IP")


@web.get("/livez")
def livez():
    """The process is up. Also the trivial endpoint the page benchmark compares against."""
    return jsonify(ok=True)


@web.get("/healthz")
def healthz():
    """State of the database, Redis and background workers; 503 if a required one is down."""
    checks = {"database": _database(), "redis": _redis()}
    checks["workers"] = _workers(broker_down=checks["redis"]["status"] == "down")
    # Without the database or Redis nothing works: 503 takes the node out of rotation. Without
    # workers pages still work and notifications wait in the outbox: degraded, but serving.
    serving = all(checks[name]["status"] in ("ok", "not_configured") for name in ("database", "redis"))
    healthy = serving and checks["workers"]["status"] in ("ok", "inline")
    if not _operator():
        checks = {name: {"status": check["status"]} for name, check in checks.items()}
    return jsonify(status="ok" if healthy else "degraded", **checks), 200 if serving else 503


def _operator() -> bool:
    """The HEALTH_TOKEN in ``X-Health-Token``, or the loopback itself (not a proxy in front)."""
    token, given = current_app.config.get("HEALTH_TOKEN"), request.headers.get("X-Health-Token", "")
    if token and given:
        return hmac.compare_digest(given.encode(), token.encode())
    if any(header in request.headers for header in _PROXY_HEADERS):
        return False  # a reverse proxy on this machine forwards the public's requests
    try:
        return ipaddress.ip_address(request.remote_addr or "").is_loopback
    except ValueError:
        return False


def _database() -> dict:
    try:
        db.session.execute(text("SELECT 1"))
        return {"status": "ok", "backend": db.engine.dialect.name}
    except Exception as exc:  # report, don't crash: this is what health checks are for
        current_app.logger.warning("health: database check failed: %s", type(exc).__name__)
        return {"status": "down", "error": type(exc).__name__}


def _redis() -> dict:
    if redis_client.client is None:
        return {"status": "not_configured"}
    try:
        redis_client.client.ping()
        return {"status": "ok"}
    except Exception as exc:
        current_app.logger.warning("health: redis check failed: %s", type(exc).__name__)
        return {"status": "down", "error": type(exc).__name__}


def _workers(*, broker_down: bool) -> dict:
    config = current_app.config
    if config["TASKS_INLINE"]:
        return {"status": "inline"}  # the embedded default runs tasks in this process
    if broker_down and config.get("CELERY_BROKER_URL") == config.get("REDIS_URL"):
        return {"status": "down", "error": "broker unreachable"}  # no ping can get through
    cached = current_app.extensions.get("health_workers")
    if cached is None:
        cached = current_app.extensions.setdefault("health_workers", LastResult(_ping_workers))
    return cached.get(config["HEALTH_WORKERS_CACHE_SECONDS"])


def _ping_workers() -> dict:
    try:
        replies = current_app.extensions["celery"].control.ping(timeout=PING_TIMEOUT)
    except Exception as exc:
        return {"status": "down", "error": type(exc).__name__}
    return {"status": "ok" if replies else "none", "count": len(replies)}


class LastResult:
    """A slow check's last result, recomputed once it is older than ``seconds`` by one caller
    at a time. While it is recomputed the others take the previous result at once; only before
    the first result exists do they wait, for that one computation, not one each."""

    def __init__(self, compute):
        self._compute = compute
        self._lock = threading.Lock()
        self._value: dict | None = None
        self._at = 0.0

    def get(self, seconds: float) -> dict:
        if self._value is not None and time.monotonic() - self._at < seconds:
            return self._value
        if not self._lock.acquire(blocking=self._value is None):
            return self._value  # someone is refreshing it right now
        try:
            if self._value is None or time.monotonic() - self._at >= seconds:  # not done meanwhile
                self._value, self._at = self._compute(), time.monotonic()
            return self._value
        finally:
            self._lock.release()
