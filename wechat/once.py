"""Short-lived marks shared by every worker: "this was done already" for the next N seconds.

Redis in production (one atomic ``SET key 1 NX EX n``); the in-memory cache in the embedded
default, which is one process. Keys carry the cache's prefix, so clearing the cache clears them.
Every call degrades to "not claimed yet" when the store is down: doing something twice is the
lesser harm for the callback than refusing to do it.
"""

from __future__ import annotations

import logging

from flask import current_app

from app.extensions import cache, redis_client

log = logging.getLogger(__name__)


def claim(key: str, seconds: int) -> bool:
    """Set the mark unless it is set; True for the one caller that set it."""
    try:
        client = redis_client.client
        if client is None:
            return bool(cache.add(key, 1, timeout=seconds))
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
            cache.set(key, 1, timeout=seconds)
        else:
            client.set(_prefixed(key), 1, ex=seconds)
    except Exception:
        log.warning("wechat: shared marks unavailable; %s not marked", key.split(":", 2)[1])


def release(key: str) -> None:
    """Remove the mark, so the next claim succeeds."""
    try:
        cache.delete(key)
    except Exception:
        log.warning("wechat: shared marks unavailable; %s not released", key.split(":", 2)[1])


def _prefixed(key: str) -> str:
    return current_app.config.get("CACHE_KEY_PREFIX", "cwt:") + key
