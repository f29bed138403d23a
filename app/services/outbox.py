"""The transactional outbox: notifications written with the change that causes them.

``notify`` adds a ``Notification`` to the caller's transaction. When that transaction commits,
the new ids are handed to the ``push.deliver`` task; if it rolls back, nothing is sent. A
periodic sweep (tasks/schedule.py) picks up anything still pending, so a crash between commit
and hand-off loses nothing.
"""

from __future__ import annotations

from sqlalchemy import event, select
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
    existing = db.session.scalar(select(Notification).where(Notification.dedupe_key == dedupe_key))
    if existing is not None:
        return existing
    notification = Notification(
        villager_id=villager_id, household_id=household_id, kind=kind, title=title[:64], body=body,
        data=data or {}, link=link, dedupe_key=dedupe_key,
    )  # fmt: skip
    db.session.add(notification)
    return notification


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
