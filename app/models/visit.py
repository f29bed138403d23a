"""Visits and inspections (R6): 走访 and 督导巡查 records, kept permanently."""

from __future__ import annotations

from datetime import date

from sqlalchemy import Date, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.base import Timestamped


class Visit(Timestamped, db.Model):
    __tablename__ = "visits"

    id: Mapped[int] = mapped_column(primary_key=True)
    village_id: Mapped[int] = mapped_column(ForeignKey("regions.id"))
    household_id: Mapped[int | None] = mapped_column(ForeignKey("households.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))  # 走访 | 督导巡查
    visited_on: Mapped[date] = mapped_column(Date)
    visitors: Mapped[str] = mapped_column(String(255))  # who went
    people_met: Mapped[str | None] = mapped_column(String(255))  # whom they saw
    content: Mapped[str] = mapped_column(Text)
    recorded_by: Mapped[str] = mapped_column(String(64))

    household = relationship("Household")

    __table_args__ = (Index("ix_visits_village_date", "village_id", "visited_on"),)
