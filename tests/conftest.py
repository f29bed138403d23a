"""Fixtures: one app per session on the stack chosen by the environment.

``make test`` runs the suite twice: on the embedded default (SQLite file, in-memory cache) and
with TEST_DATABASE_URL / TEST_REDIS_URL on PostgreSQL + Redis.
"""

from __future__ import annotations

import atexit
import logging
import os
import tempfile
from datetime import date, datetime
from datetime import time as dt_time

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import text


def _private_database(url: str) -> str:
    """A database of this test run's own beside ``url``, so parallel runs never collide."""
    import psycopg

    base, _, _ = url.rpartition("/")
    name = f"cwt_test_{os.getpid()}"
    with psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://"), autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name}")
        conn.execute(f"CREATE DATABASE {name}")
    atexit.register(_drop_database, url, name)
    return f"{base}/{name}"


def _drop_database(url: str, name: str) -> None:
    import psycopg

    with psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://"), autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def _prepare_environment() -> None:
    """Point the app at this run's stack. Worker subprocesses started by tests inherit it."""
    os.environ["INSTANCE_PATH"] = tempfile.mkdtemp(prefix="cwt-test-instance-")
    os.environ.pop("DATABASE_URL", None)
    os.environ.pop("REDIS_URL", None)
    if os.environ.get("TEST_DATABASE_URL"):
        os.environ["TEST_DATABASE_URL"] = _private_database(os.environ["TEST_DATABASE_URL"])
        os.environ["DATABASE_URL"] = os.environ["TEST_DATABASE_URL"]
    if os.environ.get("TEST_REDIS_URL"):
        os.environ["REDIS_URL"] = os.environ["TEST_REDIS_URL"]
    os.environ["CWT_TEST_ENV_READY"] = str(os.getpid())


# Test modules import this file a second time as ``tests.conftest``: prepare only once.
if os.environ.get("CWT_TEST_ENV_READY") != str(os.getpid()):
    _prepare_environment()

from tests.timetravel import start_from_env  # noqa: E402

start_from_env()

from app import create_app  # noqa: E402  (after the environment is set)
from app.extensions import cache, limiter  # noqa: E402
from app.extensions import db as _db  # noqa: E402
from app.services import clock, page_cache  # noqa: E402
from wechat import once  # noqa: E402

# Through the environment, so the second import as ``tests.conftest`` (and worker processes
# started by tests) see the same key as the session app.
TEST_KEY = os.environ.setdefault("CWT_TEST_DATA_KEY", Fernet.generate_key().decode())
PUBLIC_BASE_URL = "https://cun.example.cn"
# The ``chromium`` fixture for every page test.
pytest_plugins = ["tests.browser"]


def production_stack() -> bool:
    return bool(os.environ.get("TEST_DATABASE_URL"))


@pytest.fixture(scope="session")
def app():
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "test-secret",
            "DATA_ENCRYPTION_KEY": TEST_KEY,
            "PUBLIC_BASE_URL": PUBLIC_BASE_URL,
            # Per run, so parallel runs sharing one Redis database never see each other's keys.
            "CACHE_KEY_PREFIX": f"cwt-test-{os.getpid()}:",
            # Deterministic tests: in-process tasks run right after the commit that queued them.
            "TASKS_INLINE_SYNC": True,
            # Until a test starts ``live_server``, WeChat calls fail at once (nothing listens on
            # port 9) instead of looking up a host name.
            "WECHAT_API_BASE": "http://127.0.0.1:9/sandbox",
            "WECHAT_OPEN_BASE": "http://127.0.0.1:9/sandbox",
            "RATELIMIT_ENABLED": True,
            # Argon2 at its production cost would make every test login take a noticeable moment.
            "PASSWORD_HASH_FAST": True,
            # Rate-limit counters of this run only, so wiping them never touches a parallel run's.
            "RATELIMIT_STORAGE_OPTIONS": {"key_prefix": f"cwt-test-{os.getpid()}-limits"},
        }
    )
    if os.environ.get("REQUIRE_PRODUCTION_STACK") and production_stack():
        assert app.config["REDIS_URL"], "CI must test against Redis"
    with app.app_context():
        _reset_schema()
    yield app


def _reset_schema():
    """Drop everything, then build the schema with the real migrations (so they are tested too)."""
    from flask_migrate import upgrade

    _db.drop_all()
    _db.session.execute(text("DROP TABLE IF EXISTS alembic_version"))
    _db.session.commit()
    upgrade()


def wipe():
    """Empty every table and the cache between tests."""
    _db.session.remove()
    tables = [t.name for t in _db.metadata.sorted_tables]
    if _db.engine.dialect.name == "postgresql":
        _db.session.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
    else:
        _db.session.execute(text("PRAGMA foreign_keys=OFF"))
        for name in reversed(tables):
            _db.session.execute(text(f"DELETE FROM {name}"))
        _db.session.execute(text("PRAGMA foreign_keys=ON"))
    _db.session.commit()
    cache.clear()
    limiter.reset()
    page_cache.forget_local()
    once.forget_local()


@pytest.fixture
def db(app):
    """A clean database for one test, inside an app context."""
    with app.app_context():
        wipe()
        yield _db
        wipe()


@pytest.fixture
def travel():
    """``travel("2026-03-02")`` sets the clock to 10:00 Beijing time of that day for one test."""
    import time_machine

    from app.services.clock import VILLAGE_TZ

    started = []

    def go(day: str) -> None:
        moment = datetime.combine(date.fromisoformat(day), dt_time(10, 0), tzinfo=VILLAGE_TZ)
        started.append(time_machine.travel(moment, tick=True))
        started[-1].start()

    yield go
    for trip in reversed(started):
        trip.stop()


@pytest.fixture
def client(app, db):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture(scope="module")
def demo(app):
    """The demo village loaded once per module; tests using it must not change it."""
    from app.services import demo_loader

    with app.app_context():
        wipe()
        demo_loader.load_demo(clock.today())
        yield _db
        wipe()


@pytest.fixture(scope="session")
def live_server(app):
    """The session app on a real HTTP server; the WeChat sandbox is reached through it.

    Yields the base URL. WeChat clients read ``WECHAT_API_BASE`` at call time, so pointing it at
    this server makes production client code talk to the sandbox over real HTTP.
    """
    import threading

    from werkzeug.serving import make_server

    # The dev server logs each request line, query strings (sandbox tokens) included: keep quiet.
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    base = f"http://127.0.0.1:{server.server_port}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    saved = {k: app.config[k] for k in ("WECHAT_API_BASE", "WECHAT_OPEN_BASE")}
    app.config.update(WECHAT_API_BASE=f"{base}/sandbox", WECHAT_OPEN_BASE=f"{base}/sandbox", LIVE_BASE_URL=base)
    yield base
    app.config.update(saved)
    server.shutdown()
