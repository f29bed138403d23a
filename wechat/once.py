"""Short-lived marks shared by every worker: "this was done already" for the next N seconds.

Redis in production (one atomic ``SET key 1 NX EX n``, keys under the cache's prefix); in the
embedded default, which is one process, a dict with expiry times in this process.
Every call degrades to "not claimed yet" when the store is down: doing something twice is the
lesser harm for the callback than refusing to do it.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict

from flask import current_app

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
        return bool(client.set(_prefixed(key), 1, nx=True, ex=seconds))
    except Exception:
        log.warning("wechat: shared marks unavailable; %s not claimed", key.split(":", 2)[1])
        return True


def mark(key: str, seconds: int) -> None:
    """Set (or renew) the mark."""
    try:
        client = redis_client.client
        if client is None:
            _local.mark(key, seconds)
        else:
            client.set(_prefixed(key), 1, ex=seconds)
    except Exception:
        log.warning("wechat: shared marks unavailable; %s not marked", key.split(":", 2)[1])


def release(key: str) -> None:
    """Remove the mark, so the next claim succeeds."""
    try:
        client = redis_client.client
        if client is None:
            _local.release(key)
        else:
            client.delete(_prefixed(key))
    except Exception:
        log.warning("wechat: shared marks unavailable; %s not released", key.split(":", 2)[1])


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

    def mark(self, key: str, seconds: int) -> None:
        with self._lock:
            self._set(key, time.monotonic() + seconds)

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
