"""The transactional outbox: notifications written with the change that causes them.

``notify`` (one) and ``notify_many`` (a batch: one lookup of the keys already stored, one
multi-row INSERT) add notifications to the caller's transaction. When that transaction commits,
the new ids are handed to the ``push.deliver`` task; if it rolls back, nothing is sent. A
periodic sweep (tasks/schedule.py) picks up anything still pending, so a crash between commit
and hand-off loses nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import event, insert, select
from sqlalchemy.orm import Session

from app.extensions import db
from app.models import Notification
from app.services import dispatch

DELIVER_TASK = "push.deliver"
_KEY = "outbox_ids"


def notify(
    villager_id: int, kind: str, title: str, body: str, *, dedupe_key: str,
    household_id: int | None = None, data: dict | None = None, link: str | None = None,
) -> Notification:  # fmt: skip
    """Add a notification for one villager to the current transaction (idempotent by key)."""
    return notify_many([Notice(villager_id, kind, title, body, dedupe_key, household_id, data, link)])[0]


@dataclass(frozen=True)
class Notice:
    """One notification to add: who, what, and the key that makes adding it twice harmless."""

    villager_id: int
    kind: str
    title: str
    body: str
    dedupe_key: str
    household_id: int | None = None
    data: dict | None = None
    link: str | None = None


def notify_many(notices: Sequence[Notice]) -> list[Notification]:
    """Add several notifications at once, in order; the keys already stored cost one SELECT in all."""
    if not notices:
        return []
    keys = [n.dedupe_key for n in notices]
    stored = _by_keys(keys)
    new = {}
    for n in notices:
        if n.dedupe_key not in stored and n.dedupe_key not in new:
            new[n.dedupe_key] = {
                "villager_id": n.villager_id, "household_id": n.household_id, "kind": n.kind, "title": n.title[:64],
                "body": n.body, "data": n.data or {}, "link": n.link, "dedupe_key": n.dedupe_key,
            }  # fmt: skip
    if new:
        # One multi-row INSERT and one read back for the ids (the unit of work would run one
        # INSERT … RETURNING per notice); the ids are handed off after commit like flushed ones.
        db.session.execute(insert(Notification), list(new.values()))
        added = _by_keys(list(new))
        db.session.info.setdefault(_KEY, []).extend(added[key].id for key in new)
        stored.update(added)
    return [stored[key] for key in keys]


def _by_keys(keys: list[str]) -> dict[str, Notification]:
    found = db.session.scalars(select(Notification).where(Notification.dedupe_key.in_(set(keys))))
    return {row.dedupe_key: row for row in found}


@event.listens_for(Session, "after_flush")
def _collect(session: Session, _context) -> None:
    ids = [obj.id for obj in session.new if isinstance(obj, Notification)]
    if ids:
        session.info.setdefault(_KEY, []).extend(ids)


@event.listens_for(Session, "after_commit")
def _hand_off(session: Session) -> None:
    for notification_id in session.info.pop(_KEY, []):
        dispatch.send(DELIVER_TASK, notification_id)


@event.listens_for(Session, "after_rollback")
def _forget(session: Session) -> None:
    session.info.pop(_KEY, None)
