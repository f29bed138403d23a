"""Recording that a follower was in touch, without a database round trip on every SCAN.

``identity.touch`` creates the identity on first contact and writes ``last_seen_at`` at most
once per ``identity.SEEN_EVERY``; within that window it only reads. This worker remembers whom
it touched in that window and skips the read, so a busy SCAN costs no query at all.

The memory is per worker, and that is enough: it only ever skips ``subscribed=True`` for someone
this worker recorded as following moments ago. Someone who unsubscribes (on any worker) can send
nothing more until they follow again, and a follow always goes to the database.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict

from app.services import identity

REMEMBERED = 20_000  # followers per worker; a few hundred KB

_lock = threading.Lock()
_seen: OrderedDict[str, float] = OrderedDict()


def followed(openid: str) -> None:
    """A subscribe event: always recorded (it may undo an unsubscribe another worker handled)."""
    identity.touch(openid, subscribed=True)
    _remember(openid)


def in_touch(openid: str) -> None:
    """A scan, message or menu click: only followers can send one; recorded once per window."""
    seen = _seen.get(openid)
    if seen is not None and time.monotonic() - seen < identity.SEEN_EVERY.total_seconds():
        return
    identity.touch(openid, subscribed=True)
    _remember(openid)


def unfollowed(openid: str) -> None:
    identity.touch(openid, subscribed=False)
    with _lock:
        _seen.pop(openid, None)


def forget_all() -> None:
    """Drop this worker's memory (tests that empty the database)."""
    with _lock:
        _seen.clear()


def _remember(openid: str) -> None:
    with _lock:
        _seen[openid] = time.monotonic()
        _seen.move_to_end(openid)
        while len(_seen) > REMEMBERED:
            _seen.popitem(last=False)
