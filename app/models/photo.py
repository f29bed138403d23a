"""Photos: archive documents (R5), points evidence (P2) and visit pictures (R6).

Every photo is re-encoded on upload and stored encrypted in the database, so it is backed up,
rotated and deleted with the rows it belongs to. It is served only through authorised routes.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db
from app.models.base import utcnow
from app.models.points import BigId
from app.privacy import EncryptedBytes


class PhotoPurpose:
    ID_CARD = "id_card"  # 身份证
    HOUSEHOLD_REGISTER = "hukou"  # 户口簿
    EVIDENCE = "evidence"  # 积分佐证
    VISIT = "visit"  # 走访/巡查
    ARCHIVE = frozenset({ID_CARD, HOUSEHOLD_REGISTER})


class Photo(db.Model):
    __tablename__ = "photos"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    village_id: Mapped[int] = mapped_column(ForeignKey("regions.id"), index=True)
    purpose: Mapped[str] = mapped_column(String(16))
    household_id: Mapped[int | None] = mapped_column(ForeignKey("households.id"), index=True)
    villager_id: Mapped[int | None] = mapped_column(ForeignKey("villagers.id"), index=True)
    points_entry_id: Mapped[int | None] = mapped_column(ForeignKey("points_entries.id"), index=True)
    visit_id: Mapped[int | None] = mapped_column(ForeignKey("visits.id"), index=True)
    caption: Mapped[str | None] = mapped_column(String(64))
    content_type: Mapped[str] = mapped_column(String(32))
    width: Mapped[int]
    height: Mapped[int]
    size_bytes: Mapped[int]
    # Deferred: lists of photos never pull the (large, encrypted) bytes.
    data: Mapped[bytes] = mapped_column(EncryptedBytes, deferred=True)
    uploaded_by: Mapped[str] = mapped_column(String(64))
    uploaded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    # Archive photos are kept permanently; a superseded one is retired, never deleted.
    retired_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
