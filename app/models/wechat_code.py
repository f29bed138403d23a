"""Per-household WeChat codes (H4): the official account's parametric QR, the mini-program code."""

from __future__ import annotations

from sqlalchemy import ForeignKey, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db
from app.models.base import Timestamped


class WechatCode(Timestamped, db.Model):
    __tablename__ = "wechat_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    household_id: Mapped[int] = mapped_column(ForeignKey("households.id"), index=True)
    code: Mapped[str] = mapped_column(String(32))  # the household code it carries
    kind: Mapped[str] = mapped_column(String(8))  # oa_qr | mp_code
    scene: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(10), default="pending")  # pending|ready|failed|revoked
    ticket: Mapped[str | None] = mapped_column(String(255))
    url: Mapped[str | None] = mapped_column(String(255))  # what the QR encodes (official account)
    image: Mapped[bytes | None] = mapped_column(LargeBinary)  # mini-program code PNG
    error: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (UniqueConstraint("code", "kind", name="uq_wechat_codes_code_kind"),)
