"""Recording that a follower was in touch, without a database round trip on every SCAN.

``identity.touch`` creates the identity on first contact and writes ``last_seen_at`` at most
once per ``identity.SEEN_EVERY``; within that window it only reads. So within the window the
callback skips it: this worker remembers whom it recorded, and a mark shared by all workers
(``wechat.once``) says someone was recorded by any of them. A follower's scans then cost no SQL
but one touch a minute.

Skipping is safe because it only ever skips ``subscribed=True`` for a current follower: someone
who unsubscribes (on any worker) can send nothing more until they follow again, and following
always goes to the database.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict

from app.services import identity
from wechat import once

REMEMBERED = 20_000  # followers per worker; a few hundred KB

_lock = threading.Lock()
_seen: OrderedDict[str, float] = OrderedDict()


def followed(openid: str) -> None:
    """A subscribe event: always recorded (it may undo an unsubscribe another worker handled)."""
    identity.touch(openid, subscribed=True)
    once.mark(_key(openid), _window())
    _remember(openid)


def in_touch(openid: str) -> None:
    """A scan, message or menu click (only followers can send one): recorded once per window."""
    seen = _seen.get(openid)
    if seen is not None and time.monotonic() - seen < _window():
        return
    if once.claim(_key(openid), _window()):
        identity.touch(openid, subscribed=True)
    _remember(openid)


def unfollowed(openid: str) -> None:
    identity.touch(openid, subscribed=False)
    once.release(_key(openid))
    with _lock:
        _seen.pop(openid, None)


def forget_all() -> None:
    """Drop this worker's memory (tests that empty the database)."""
    with _lock:
        _seen.clear()


def _key(openid: str) -> str:
    return f"wx:contact:{openid}"


def _window() -> int:
    return int(identity.SEEN_EVERY.total_seconds())


def _remember(openid: str) -> None:
    with _lock:
        _seen[openid] = time.monotonic()
        _seen.move_to_end(openid)
        while len(_seen) > REMEMBERED:
            _seen.popitem(last=False)
