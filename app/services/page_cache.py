"""Village-versioned cache for public pages.

Every household page shows ranks that any award in the village can change, so pages are cached
per village version: a service bumps the version after it commits a change, and every cached
page of that village is then stale at once. Entries carry the version they were built from.
A page built from data read before a commit is stored under the old version, so it can never
outlive the bump. The TTL is only a safety net for a lost bump (Redis down at that moment).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TypeVar

from app.extensions import cache

log = logging.getLogger(__name__)
T = TypeVar("T")


def _version_key(village_id: int) -> str:
    return f"vv:{village_id}"


def village_version(village_id: int) -> int:
    try:
        return int(cache.get(_version_key(village_id)) or 0)
    except Exception:  # cache down: treat as uncached rather than failing the page
        log.warning("page cache unavailable when reading village version")
        return -1


def bump_village(village_id: int) -> None:
    """Invalidate every cached page of a village. Call after the change is committed."""
    try:
        # cachelib's inc is an atomic INCR on Redis; Flask-Caching does not wrap it.
        cache.cache.inc(_version_key(village_id))
    except Exception:
        log.warning("page cache unavailable: village %s pages stay stale until they expire", village_id)


def cached_page(key: str, locate: Callable[[], int], build: Callable[[], T]) -> T:
    """Return the cached value for ``key`` unless its village changed since; else rebuild.

    ``locate`` finds the village id (only on a miss: the id is stored with the value, so a hit
    costs two cache reads and no query). The version is read *before* ``build`` runs.
    """
    try:
        entry = cache.get(key)
    except Exception:
        entry = None
    village_id = entry[0] if entry is not None else locate()
    version = village_version(village_id)
    if entry is not None and version >= 0 and entry[1] == version:
        return entry[2]
    value = build()
    if version >= 0:
        try:
            cache.set(key, (village_id, version, value))
        except Exception:
            log.warning("page cache unavailable when storing a page")
    return value
