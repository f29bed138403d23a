"""Village-versioned cache for public pages, in two tiers: this worker's memory, then Redis.

Every household page shows ranks that any award in the village can change, so pages are cached
per village version: a service bumps the version after it commits a change, and every cached
page of that village is stale from then on. Entries carry the version they were built from, and
the version is read *before* building, so a page built from pre-commit data can never outlive
the bump.

A cache hit must cost far less than rendering (the household page budget is 80% of a trivial
endpoint's throughput), so each worker keeps recently served pages in memory and re-reads a
village's version from Redis at most once per ``VERSION_RECHECK_SECONDS``. The worker that
commits a change sees it at once; other workers see it within that second. Redis holds the
shared copy, so a change costs one rebuild per page, not one per worker.

The versions must be shared by every process that changes a village, not only by the web
workers: ``flask points award`` runs in a process of its own. With Redis they live there; on the
embedded default (an in-memory cache no other process sees) they live in a small file store under
``instance/``, so a command-line award shows on the page within a second, as a back-office one does.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import TypeVar

from cachelib import FileSystemCache
from flask import current_app

from app.extensions import cache

log = logging.getLogger(__name__)
T = TypeVar("T")

VERSION_RECHECK_SECONDS = 1.0
LOCAL_PAGES = 4000  # per worker; a village's first pages are ~10 KB each

_lock = threading.Lock()
_pages: OrderedDict[str, tuple[int, int, object]] = OrderedDict()
_versions: dict[int, tuple[int, float]] = {}


def _version_key(village_id: int) -> str:
    return f"vv:{village_id}"


def _version_store():
    """Redis (the app's cache) when configured; else files under instance/page-versions."""
    app = current_app._get_current_object()
    store = app.extensions.get("page_versions")
    if store is None:
        if app.config.get("REDIS_URL"):
            store = cache.cache
        else:  # never expire, never pruned: a lost version would let a stale page pass as fresh
            store = FileSystemCache(os.path.join(app.instance_path, "page-versions"), threshold=0, default_timeout=0)
        app.extensions["page_versions"] = store
    return store


def village_version(village_id: int) -> int:
    """The village's current version (-1 when the cache is unreachable: build, don't store)."""
    known = _versions.get(village_id)
    now = time.monotonic()
    if known is not None and now - known[1] < VERSION_RECHECK_SECONDS:
        return known[0]
    try:
        version = int(_version_store().get(_version_key(village_id)) or 0)
    except Exception:  # cache down: serve freshly built pages rather than fail
        log.warning("page cache unavailable when reading village version")
        return -1
    _versions[village_id] = (version, now)
    return version


def bump_village(village_id: int) -> None:
    """Invalidate every cached page of a village. Call after the change is committed."""
    try:
        # cachelib's inc is an atomic INCR on Redis; Flask-Caching does not wrap it.
        version = int(_version_store().inc(_version_key(village_id)))
    except Exception:
        log.warning("page cache unavailable: village %s pages stay stale until they expire", village_id)
        _versions.pop(village_id, None)
        return
    _versions[village_id] = (version, time.monotonic())


def forget_local() -> None:
    """Drop this worker's copies (tests, or after the shared cache was flushed)."""
    with _lock:
        _pages.clear()
        _versions.clear()


def _remember(key: str, entry: tuple[int, int, object]) -> None:
    with _lock:
        _pages[key] = entry
        _pages.move_to_end(key)
        while len(_pages) > LOCAL_PAGES:
            _pages.popitem(last=False)


def cached_page(key: str, locate: Callable[[], int], build: Callable[[], T]) -> T:
    """Return the cached value for ``key`` unless its village changed since; else rebuild.

    ``locate`` finds the village id, and runs only when neither tier knows the key (the id is
    stored with the value, so a hit needs no database query).
    """
    entry = _pages.get(key)
    if entry is not None and entry[1] >= 0 and entry[1] == village_version(entry[0]):
        return entry[2]
    try:
        shared = cache.get(key)
    except Exception:
        shared = None
    if shared is not None:
        entry = shared
    village_id = entry[0] if entry is not None else locate()
    version = village_version(village_id)
    if entry is not None and version >= 0 and entry[1] == version:
        _remember(key, entry)
        return entry[2]
    value = build()
    if version >= 0:
        entry = (village_id, version, value)
        _remember(key, entry)
        try:
            cache.set(key, entry)
        except Exception:
            log.warning("page cache unavailable when storing a page")
    return value
