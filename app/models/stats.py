"""Register statistics per village (R8), kept up to date so charts never scan the register."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db
from app.models.base import utcnow


class RegisterStat(db.Model):
    """How many people (or households) of one village fall in one bucket of one dimension,
    e.g. (大苍村, "education", "初中") → 412."""

    __tablename__ = "register_stats"

    id: Mapped[int] = mapped_column(primary_key=True)
    village_id: Mapped[int] = mapped_column(ForeignKey("regions.id"))
    dimension: Mapped[str] = mapped_column(String(32))
    bucket: Mapped[str] = mapped_column(String(64))
    count: Mapped[int] = mapped_column(default=0)
    computed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    __table_args__ = (UniqueConstraint("village_id", "dimension", "bucket", name="uq_register_stats_bucket"),)
