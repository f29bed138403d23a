"""One worker at a time per job: a claim in Redis across processes, or in this process without it.

A claim belongs to an owner (the Celery task id, which survives retries and the redelivery of a
task whose worker died), so a rerun of the same task takes its own claim over at once, while
another task for the same job is told to come back later. A claim expires by itself, so a dead
holder never blocks a job for long.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager

import redis
from flask import current_app

from app.extensions import redis_client

log = logging.getLogger(__name__)
PREFIX = "claim:"  # after CACHE_KEY_PREFIX, as every Redis key of the app ("cwt:claim:…" by default)
_local: dict[str, str] = {}
# Delete the claim only if it is still ours (it may have expired and been taken meanwhile).
_RELEASE = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end"


@contextmanager
def claim(name: str, owner: str, seconds: int) -> Iterator[bool]:
    """Yield True when ``owner`` holds the claim on ``name`` (for at most ``seconds``), else False."""
    r = redis_client.client
    if r is None:
        holder = _local.setdefault(name, owner)  # atomic under the GIL
        try:
            yield holder == owner
        finally:
            if holder == owner:
                _local.pop(name, None)
        return
    # Two deployments (or two test runs) sharing a Redis must not hold each other's claims.
    key = current_app.config.get("CACHE_KEY_PREFIX", "cwt:") + PREFIX + name
    try:
        held = bool(r.set(key, owner, nx=True, ex=seconds)) or (
            r.get(key) == owner.encode() and bool(r.set(key, owner, ex=seconds))  # our own, taken over
        )
    except redis.RedisError:
        log.warning("claim %s: Redis unavailable; going ahead without it", name)
        yield True
        return
    try:
        yield held
    finally:
        if held:
            try:
                r.eval(_RELEASE, 1, key, owner)
            except redis.RedisError:
                log.warning("claim %s: could not release; it expires by itself", name)
