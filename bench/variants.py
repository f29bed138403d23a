"""Experiments, not production code: the app with the hot path of GET /h/<code> changed in place.

`make bench` never loads this module. It exists so a proposed change to the cache-hit path can be
measured on the same stack before anyone edits app code:

    BENCH_APP=bench.variants:app BENCH_VARIANT=mget,etag bash bench/run.sh

BENCH_VARIANT is a comma-separated list of:

- ``mget``:  one Redis round trip per hit instead of two. The page key and the village-version key
  are read with one MGET; the village id needed to name the version key is remembered per process
  (a code never changes village). Same semantics as app/services/page_cache.cached_page.
- ``local``: no Redis round trip on most hits. Each worker keeps the pages it served and reads the
  village version from Redis at most once per BENCH_VERSION_TTL seconds (default 1.0). A bump is
  then seen up to that long after it happens, in each worker: a (small) change of the documented
  "stale at once" rule, which is why it is a separate option. Misses fall through to ``mget``.
- ``etag``:  the ETag is computed once when the page is built and cached with it, instead of a SHA-1
  over the whole page on every request; the response is built in one constructor call.
"""

from __future__ import annotations

import hashlib
import os
import time

from flask import Response, request

from app.extensions import cache
from app.services import household_page, page_cache
from app.web.household import _render, page_arg
from wsgi import app

VARIANTS = {v.strip() for v in os.environ.get("BENCH_VARIANT", "").split(",") if v.strip()}
VERSION_TTL = float(os.environ.get("BENCH_VERSION_TTL", "1.0"))

_village_of: dict[str, int] = {}  # cache key -> village id (per process)
_local_pages: dict[str, tuple] = {}  # cache key -> (village id, version, value)   (``local`` only)
_local_versions: dict[int, tuple[int, float]] = {}  # village id -> (version, read at)


def _store(key, village_id, version, value):
    if version >= 0:
        try:
            cache.set(key, (village_id, version, value))
        except Exception:
            pass
    return value


def cached_page_mget(key, locate, build):
    village_id = _village_of.get(key)
    if village_id is None:  # first request for this key in this process: the original path
        try:
            entry = cache.get(key)
        except Exception:
            entry = None
        village_id = entry[0] if entry is not None else locate()
        _village_of[key] = village_id
        version = page_cache.village_version(village_id)
    else:
        try:
            entry, raw = cache.get_many(key, f"vv:{village_id}")
            version = int(raw or 0)
        except Exception:
            entry, version = None, -1
    if entry is not None and version >= 0 and entry[0] == village_id and entry[1] == version:
        return entry[2]
    return _store(key, village_id, version, build())


def cached_page_local(key, locate, build):
    village_id = _village_of.get(key)
    if village_id is not None:
        known = _local_versions.get(village_id)
        now = time.monotonic()
        if known is None or now - known[1] > VERSION_TTL:
            known = (page_cache.village_version(village_id), now)
            _local_versions[village_id] = known
        mine = _local_pages.get(key)
        if mine is not None and known[0] >= 0 and mine[1] == known[0]:
            return mine[2]
    value = cached_page_mget(key, locate, build)  # learns the village id on first use
    village_id = _village_of.get(key)
    if village_id is not None and village_id in _local_versions:
        _local_pages[key] = (village_id, _local_versions[village_id][0], value)
    return value


def _render_with_etag(view: dict) -> tuple[bytes, str]:
    body = _render(view)
    return body, hashlib.sha1(body).hexdigest()


def household_with_etag(code: str):
    body, etag = household_page.cached_view(code, page_arg(), "html+etag", _render_with_etag)
    response = Response(
        body,
        content_type="text/html; charset=utf-8",
        headers={"Cache-Control": "no-cache", "X-Robots-Tag": "noindex"},
    )
    response.set_etag(etag)
    return response.make_conditional(request)


unknown = VARIANTS - {"mget", "local", "etag"}
if unknown:
    raise RuntimeError(f"unknown BENCH_VARIANT {sorted(unknown)}")
if "local" in VARIANTS:
    page_cache.cached_page = cached_page_local
elif "mget" in VARIANTS:
    page_cache.cached_page = cached_page_mget
if "etag" in VARIANTS:
    app.view_functions["web.household"] = household_with_etag
