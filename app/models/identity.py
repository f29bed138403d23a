"""WeChat identities (A2): an openid, and once verified, the villager it belongs to."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, DateTime, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.base import Timestamped


class WechatIdentity(Timestamped, db.Model):
    """One openid of one app (official account ``oa`` or mini-program ``mp``).

    An openid maps to at most one villager (unique openid); a villager may have one identity per
    app. ``villager_id`` is set only by the binding service, after verification or approval.
    """

    __tablename__ = "wechat_identities"

    id: Mapped[int] = mapped_column(primary_key=True)
    app: Mapped[str] = mapped_column(String(4))  # oa | mp
    openid: Mapped[str] = mapped_column(String(64), unique=True)
    unionid: Mapped[str | None] = mapped_column(String(64), index=True)
    villager_id: Mapped[int | None] = mapped_column(ForeignKey("villagers.id"), index=True)
    subscribed: Mapped[bool] = mapped_column(Boolean, default=False)  # follows the official account
    bound_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_seen_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    villager = relationship("Villager")

    __table_args__ = (UniqueConstraint("app", "villager_id", name="uq_wechat_identities_app_villager"),)


class BindingRequest(Timestamped, db.Model):
    """A villager asks a cadre to confirm who they are (when self-verification is not possible)."""

    __tablename__ = "binding_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    identity_id: Mapped[int] = mapped_column(ForeignKey("wechat_identities.id"), index=True)
    village_id: Mapped[int] = mapped_column(ForeignKey("regions.id"), index=True)
    villager_id: Mapped[int] = mapped_column(ForeignKey("villagers.id"))
    status: Mapped[str] = mapped_column(String(10), default="pending")  # pending|approved|rejected
    note: Mapped[str | None] = mapped_column(Text)
    decided_by: Mapped[str | None] = mapped_column(String(64))
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    identity = relationship("WechatIdentity")
    villager = relationship("Villager")
