"""Extensions, created unbound and bound to the app in ``create_app``."""

import secrets

from cachelib import SimpleCache
from flask import g
from flask_caching import Cache
from flask_compress import Compress
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from sqlalchemy import MetaData, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase

# Stable constraint names so Alembic migrations diff cleanly on SQLite and PostgreSQL.
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


db = SQLAlchemy(model_class=Base)
migrate = Migrate()
cache = Cache()
csrf = CSRFProtect()
# Compression only where a view asks for it (``@compress.compressed()``): the public household
# page, which villagers open on weak 4G. Not app-wide: a compressed HTTPS page that holds a
# secret (a CSRF token, a session's data) beside text an attacker can inject leaks the secret
# through its length (BREACH); the household page holds neither.
compress = Compress()


def compressed_copies() -> SimpleCache:
    """Flask-Compress's cache (COMPRESS_CACHE_BACKEND): this worker's compressed copies of pages,
    keyed by the page's ETag (a digest of its bytes), so a copy can never be stale. A cached
    household page is served from memory in well under a millisecond; compressing it again for
    each visit (brotli ~0.7 ms for 12 KB here) would cost more than the rest of the request."""
    return SimpleCache(threshold=2000, default_timeout=3600)


def compressed_copy_key(_request) -> str:
    """COMPRESS_CACHE_KEY: the ETag the view put in ``g.compress_key``; without one, a key of its
    own, so nothing is shared."""
    return g.get("compress_key") or secrets.token_hex(16)


# Limits are declared per view; storage is Redis in production (RATELIMIT_STORAGE_URI).
limiter = Limiter(key_func=get_remote_address, default_limits=[])


class RedisClient:
    """A redis-py client bound to the app, or None in the embedded default (no Redis)."""

    def __init__(self):
        self.client = None

    def init_app(self, app):
        import redis

        url = app.config.get("REDIS_URL")
        self.client = redis.Redis.from_url(url, **redis_timeouts(app.config)) if url else None


def redis_timeouts(config) -> dict:
    """Connect and read timeouts for every Redis connection a request makes (REDIS_SOCKET_TIMEOUT):
    short, so an unreachable Redis costs a request a fraction of a second, not seconds."""
    seconds = config.get("REDIS_SOCKET_TIMEOUT", 0.5)
    return {"socket_timeout": seconds, "socket_connect_timeout": seconds}


redis_client = RedisClient()


@event.listens_for(Engine, "connect")
def _sqlite_foreign_keys(dbapi_connection, _record):
    """SQLite checks foreign keys only when asked, per connection; the embedded default asks."""
    if type(dbapi_connection).__module__.startswith("sqlite3"):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()
