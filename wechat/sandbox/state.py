"""The sandbox's memory: everything lives in the app cache under ``sandbox:`` keys.

With Redis every process (gunicorn workers, the Celery worker, the test's live server) sees the
same platform; in the embedded default it is the in-process SimpleCache. A reset does not delete
keys: it bumps a generation number that is part of every key, so it is one atomic step and the
old generation simply ages out. The sandbox has its own clock (real time plus an offset a test
can advance) so expiry rules can be exercised without waiting.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable
from typing import Any

from app.extensions import cache

KEEP = 7 * 24 * 3600  # every sandbox record outlives any realistic session
_GEN = "sandbox:gen"
_local_lock = threading.Lock()  # SimpleCache's inc would reset a key's timeout; we do it by hand


def _redis() -> bool:
    return hasattr(cache.cache, "_write_client")


def _generation() -> int:
    return int(cache.get(_GEN) or 0)


def _prefix() -> str:
    return f"sandbox:{_generation()}:"


def key(*parts: Any, prefix: str | None = None) -> str:
    """The cache key of one sandbox record in the current generation."""
    return (prefix or _prefix()) + ":".join(str(p) for p in parts)


def get(*parts: Any) -> Any:
    """Read a record, or None."""
    return cache.get(key(*parts))


def put(value: Any, *parts: Any) -> None:
    """Write a record."""
    cache.set(key(*parts), value, timeout=KEEP)


def add(value: Any, *parts: Any) -> bool:
    """Write a record only if absent; True when this call created it (atomic with Redis)."""
    return bool(cache.add(key(*parts), value, timeout=KEEP))


def delete(*parts: Any) -> None:
    """Forget a record."""
    cache.delete(key(*parts))


def _incr_raw(full_key: str, delta: int) -> int:
    if _redis():
        return int(cache.cache.inc(full_key, delta))
    with _local_lock:
        value = int(cache.get(full_key) or 0) + delta
        cache.set(full_key, value, timeout=KEEP)
        return value


def incr(*parts: Any, delta: int = 1) -> int:
    """Add ``delta`` to a counter and return the new value (atomic across processes with Redis)."""
    return _incr_raw(key(*parts), delta)


def count(*parts: Any) -> int:
    """A counter's value (0 when never counted)."""
    return int(get(*parts) or 0)


def reset() -> int:
    """Start a fresh, empty platform; returns the new generation."""
    return _incr_raw(_GEN, 1)


def now() -> float:
    """The sandbox clock: real time plus the offset set through ``_control/clock``."""
    return time.time() + float(get("clock") or 0)


def advance(seconds: float) -> float:
    """Move the sandbox clock forward; returns the total offset."""
    offset = float(get("clock") or 0) + float(seconds)
    put(offset, "clock")
    return offset


def append(value: Any, *parts: Any) -> int:
    """Append to a list kept as numbered records; returns the item's index (1-based)."""
    index = incr(*parts, "n")
    put(value, *parts, index)
    return index


def items(*parts: Any, last: int | None = None) -> list[Any]:
    """The items of a list kept by ``append``, oldest first (only the ``last`` ones if given)."""
    total = count(*parts, "n")
    first = max(1, total - last + 1) if last else 1
    prefix = _prefix()
    keys = [key(*parts, i, prefix=prefix) for i in range(first, total + 1)]
    return [v for v in (cache.get_many(*keys) if keys else []) if v is not None]


def counters(names: Iterable[str], *scope: Any) -> dict[str, int]:
    """Several counters at once, as a mapping name → value."""
    names = list(names)
    prefix = _prefix()
    values = cache.get_many(*[key(*scope, n, prefix=prefix) for n in names]) if names else []
    return {n: int(v or 0) for n, v in zip(names, values, strict=True)}
