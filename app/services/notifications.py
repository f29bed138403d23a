"""The villager's in-app inbox (消息中心): every notification lands here, delivered by WeChat or not."""

from __future__ import annotations

from sqlalchemy import func, select, update

from app.errors import NotFound
from app.extensions import db
from app.models import Notification
from app.services import clock
from app.services.paging import page_of

PAGE_SIZE = 20


def inbox(villager_id: int, page: int = 1, size: int = PAGE_SIZE) -> dict:
    """One page of a villager's notifications, newest first, with the unread count."""
    rows, page, pages, total = page_of(
        Notification,
        (Notification.villager_id == villager_id,),
        (Notification.created_at.desc(), Notification.id.desc()),
        page,
        size,
    )
    items = [
        {
            "id": n.id,
            "kind": n.kind,
            "title": n.title,
            "body": n.body,
            "link": n.link,
            "created_at": n.created_at,
            "read": n.read_at is not None,
        }
        for n in rows
    ]
    return {"items": items, "page": page, "pages": pages, "total": total, "unread": unread_count(villager_id)}


def unread_count(villager_id: int) -> int:
    """How many of the villager's notifications are still unread (the badge on the inbox)."""
    return db.session.scalar(
        select(func.count())
        .select_from(Notification)
        .where(Notification.villager_id == villager_id, Notification.read_at.is_(None))
    )


def mark_read(villager_id: int, notification_id: int) -> Notification:
    """Mark one of the villager's own notifications read (someone else's is "not found")."""
    notification = db.session.get(Notification, notification_id)
    if notification is None or notification.villager_id != villager_id:
        raise NotFound("没有这条消息。")
    if notification.read_at is None:
        notification.read_at = clock.now()
        db.session.commit()
    return notification


def mark_all_read(villager_id: int) -> int:
    """Mark every unread notification of the villager read; returns how many changed."""
    result = db.session.execute(
        update(Notification)
        .where(Notification.villager_id == villager_id, Notification.read_at.is_(None))
        .values(read_at=clock.now())
    )
    db.session.commit()
    return result.rowcount
