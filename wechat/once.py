"""Short-lived marks shared by every worker: "this was done already" for the next N seconds.

Redis in production (one atomic ``SET key 1 NX EX n``, keys under the cache's prefix), sent on a
connection each thread keeps to itself (``_Line``); in the embedded default, which is one
process, a dict with expiry times in this process.
When Redis is down, marks fall back to this process's memory (the embedded default's dict):
a retry that reaches the same worker is still recognised, one that reaches another worker is
handled again. Doing something twice is the lesser harm for the callback than refusing to do it.

Also a shared set (``add_member`` / ``pop_members``, Redis only): the callback notes followers
there and a periodic task writes them (``wechat.contacts``).
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections import OrderedDict

from flask import current_app
from redis.exceptions import ConnectionError as ConnectionError_

from app.extensions import redis_client

log = logging.getLogger(__name__)


def claim(key: str, seconds: int) -> bool:
    """Set the mark unless it is set; True for the one caller that set it."""
    try:
        client = redis_client.client
        if client is None:
            return _local.claim(key, seconds)
        # One round trip, atomic. (cachelib's add is SETNX then EXPIRE: two round trips, and a
        # mark that never expires if the worker dies between them.)
        return _line.command(client, "SET", _prefixed(key), 1, "NX", "EX", seconds) is not None
    except Exception:
        log.warning("wechat: shared marks unavailable; %s claimed in this process only", key.split(":", 2)[1])
        return _local.claim(key, seconds)


def add_member(key: str, member: str) -> bool:
    """Add ``member`` to the shared set ``key`` (one round trip). False when there is no Redis
    (or it is down): the caller then records at once instead of later."""
    client = redis_client.client
    if client is None:
        return False
    try:
        _line.command(client, "SADD", _prefixed(key), member)
        return True
    except Exception:
        log.warning("wechat: shared marks unavailable; recording at once")
        return False


def remove_member(key: str, member: str) -> None:
    client = redis_client.client
    if client is not None:
        try:
            _line.command(client, "SREM", _prefixed(key), member)
        except Exception:
            log.warning("wechat: shared marks unavailable; set member not removed")


def pop_members(key: str, count: int) -> list[str]:
    """Take up to ``count`` members out of the shared set (atomically: two takers never get the
    same one). Empty without Redis."""
    client = redis_client.client
    if client is None:
        return []
    members = client.spop(_prefixed(key), count) or []
    return [m.decode() if isinstance(m, bytes) else m for m in members]


def release(key: str) -> None:
    """Remove the mark, so the next claim succeeds."""
    _local.release(key)  # the embedded default's mark, or one a claim fell back to
    client = redis_client.client
    if client is None:
        return
    try:
        _line.command(client, "DEL", _prefixed(key))
    except Exception:
        log.warning("wechat: shared marks unavailable; %s released in this process only", key.split(":", 2)[1])


class _Line(threading.local):
    """One Redis connection per thread (and process), made from the client's pool settings,
    used for nothing but these marks. The callback sends one command per request: redis-py's
    per-command machinery (pool checkout, retry wrapper, observability hooks) cost more CPU than
    the round trip itself.

    A reused connection that turns out closed (Redis restarted, idle timeout) is reconnected and
    the command sent once more: the server closed it before reading our command, so nothing was
    set. Any other failure (a timeout, say) drops the connection and raises, and the caller
    degrades as documented above: never a retry that could find our own first SET and report
    the mark as someone else's."""

    client = None
    pid = 0
    connection = None

    def command(self, client, *args):
        connection = self._connection(client)
        fresh = connection._sock is None
        try:
            connection.send_command(*args)
            return connection.read_response()
        except ConnectionError_:  # not a TimeoutError, which redis-py does not derive from it
            connection.disconnect()
            if fresh:
                raise
        except BaseException:
            connection.disconnect()
            raise
        try:  # once more on a new socket
            connection.send_command(*args)
            return connection.read_response()
        except BaseException:
            connection.disconnect()
            raise

    def _connection(self, client):
        if self.client is not client or self.pid != os.getpid():
            pool = client.connection_pool
            if self.connection is not None and self.pid == os.getpid():
                self.connection.disconnect()
            self.connection = pool.connection_class(**pool.connection_kwargs)
            self.client, self.pid = client, os.getpid()
        return self.connection


_line = _Line()


class _LocalMarks:
    """The embedded default's marks: one process, so a dict with expiry times will do. (A
    general-purpose cache here would prune by sorting all its keys once it fills up.)"""

    LIMIT = 100_000

    def __init__(self):
        self._lock = threading.Lock()
        self._until: OrderedDict[str, float] = OrderedDict()

    def claim(self, key: str, seconds: int) -> bool:
        now = time.monotonic()
        with self._lock:
            until = self._until.get(key)
            if until is not None and until > now:
                return False
            self._set(key, now + seconds)
            return True

    def release(self, key: str) -> None:
        with self._lock:
            self._until.pop(key, None)

    def clear(self) -> None:
        with self._lock:
            self._until.clear()

    def _set(self, key: str, until: float) -> None:
        self._until[key] = until
        self._until.move_to_end(key)
        while len(self._until) > self.LIMIT:  # oldest first; they expire first too
            self._until.popitem(last=False)


_local = _LocalMarks()


def forget_local() -> None:
    """Drop this process's marks (tests that empty the database and cache)."""
    _local.clear()


def _prefixed(key: str) -> str:
    return current_app.config.get("CACHE_KEY_PREFIX", "cwt:") + key
