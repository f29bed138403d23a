"""Liveness and readiness (O3)."""

from __future__ import annotations

from flask import current_app, jsonify
from sqlalchemy import text

from app.extensions import db, redis_client
from app.web import web


@web.get("/livez")
def livez():
    """The process is up. Also the trivial endpoint the page benchmark compares against."""
    return jsonify(ok=True)


@web.get("/healthz")
def healthz():
    """State of the database, Redis and background workers; 503 if a required one is down."""
    checks = {"database": _database(), "redis": _redis(), "workers": _workers()}
    # Without the database or Redis nothing works: 503 takes the node out of rotation. Without
    # workers pages still work and notifications wait in the outbox: degraded, but serving.
    serving = all(checks[name]["status"] in ("ok", "not_configured") for name in ("database", "redis"))
    healthy = serving and checks["workers"]["status"] in ("ok", "inline")
    return jsonify(status="ok" if healthy else "degraded", **checks), 200 if serving else 503


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


def _workers() -> dict:
    if current_app.config["TASKS_INLINE"]:
        return {"status": "inline"}  # the embedded default runs tasks in this process
    try:
        replies = current_app.extensions["celery"].control.ping(timeout=0.5)
    except Exception as exc:
        return {"status": "down", "error": type(exc).__name__}
    return {"status": "ok" if replies else "none", "count": len(replies)}
