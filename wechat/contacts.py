"""Recording that a follower was in touch, without a database write inside the callback.

A scan, message or menu click says the sender follows the account and was here just now
(``identity.touch``). On the production stack the callback only adds the openid to a Redis set
(one round trip, and a set holds each follower once however often they scan); ``flush``, a
periodic task, takes the set and writes the contacts. Each worker also remembers whom it
recorded in the last ``identity.SEEN_EVERY``, so a follower's scans then cost nothing at all.
In the embedded default (no Redis) the contact is written at once.

Following and unfollowing are always written at once: the first may create the identity and
undo an unsubscribe, the second takes the openid out of the waiting set, so a flush that runs
after it cannot mark a follower who just left as following again (``flush`` never sets
``subscribed`` on an identity that exists).
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict

from app.services import identity
from wechat import once

REMEMBERED = 20_000  # followers per worker; a few hundred KB
PENDING = "wx:contacts:pending"  # openids heard from, waiting for ``flush``

_lock = threading.Lock()
_seen: OrderedDict[str, float] = OrderedDict()


def followed(openid: str) -> None:
    """A subscribe event: always recorded (it may undo an unsubscribe another worker handled)."""
    identity.touch(openid, subscribed=True)
    _remember(openid)


def in_touch(openid: str) -> None:
    """A scan, message or menu click (only followers can send one): recorded once per window."""
    seen = _seen.get(openid)
    if seen is not None and time.monotonic() - seen < _window():
        return
    if not once.add_member(PENDING, openid) and once.claim(f"wx:contact:{openid}", _window()):
        identity.touch(openid, subscribed=True)  # no Redis: at once, still once per window
    _remember(openid)


def unfollowed(openid: str) -> None:
    identity.touch(openid, subscribed=False)
    once.remove_member(PENDING, openid)
    with _lock:
        _seen.pop(openid, None)


def flush(batch: int = 2000) -> int:
    """Write the contacts waiting in the shared set (the periodic ``contacts.flush`` task): a few
    statements per batch, however many followers scanned (``identity.touch_many``)."""
    written = 0
    while openids := once.pop_members(PENDING, batch):
        written += identity.touch_many(openids)
        if len(openids) < batch:
            break
    return written


def forget_all() -> None:
    """Drop this worker's memory (tests that empty the database)."""
    with _lock:
        _seen.clear()


def _window() -> int:
    return int(identity.SEEN_EVERY.total_seconds())


def _remember(openid: str) -> None:
    with _lock:
        _seen[openid] = time.monotonic()
        _seen.move_to_end(openid)
        while len(_seen) > REMEMBERED:
            _seen.popitem(last=False)
