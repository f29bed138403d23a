"""The notification outbox and in-app inbox (W4), with a delivery log per attempt.

A service that must tell somebody something adds a ``Notification`` in its own transaction;
after commit it is handed to a worker by task name, and a periodic sweep picks up whatever is
still pending. The row itself is the villager's inbox entry (消息中心), so nothing is lost when
WeChat cannot deliver. Its id travels as the platform's ``client_msg_id``, so a retry after a
crash is dropped by WeChat instead of reaching the villager twice.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, DateTime, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.base import utcnow
from app.models.points import BigId


class Notification(db.Model):
    __tablename__ = "notifications"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    villager_id: Mapped[int] = mapped_column(ForeignKey("villagers.id"))
    household_id: Mapped[int | None] = mapped_column(ForeignKey("households.id"))
    kind: Mapped[str] = mapped_column(String(32))  # points_awarded | welcome | …
    title: Mapped[str] = mapped_column(String(64))
    body: Mapped[str] = mapped_column(Text)
    data: Mapped[dict] = mapped_column(JSON, default=dict)  # fields for templates
    link: Mapped[str | None] = mapped_column(String(255))
    # One notification per cause and person, however often the cause is retried.
    dedupe_key: Mapped[str] = mapped_column(String(96), unique=True)
    status: Mapped[str] = mapped_column(String(12), default="pending")  # pending|sent|inbox_only|failed
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    read_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    deliveries = relationship("NotificationDelivery", back_populates="notification", order_by="NotificationDelivery.id")

    __table_args__ = (
        Index("ix_notifications_inbox", "villager_id", "created_at"),
        Index("ix_notifications_status", "status", "created_at"),
    )


class NotificationDelivery(db.Model):
    """One attempt on one channel: what was sent, what the platform answered."""

    __tablename__ = "notification_deliveries"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    notification_id: Mapped[int] = mapped_column(ForeignKey("notifications.id"), index=True)
    channel: Mapped[str] = mapped_column(String(16))  # oa_template | mp_subscribe
    openid: Mapped[str | None] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(12))  # sending | sent | error | skipped
    errcode: Mapped[int | None] = mapped_column(Integer)
    errmsg: Mapped[str | None] = mapped_column(String(255))
    msgid: Mapped[str | None] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    notification = relationship("Notification", back_populates="deliveries")
