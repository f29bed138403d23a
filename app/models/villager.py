"""Villagers: the people of the register (R3). ID and phone numbers are encrypted at rest."""

from __future__ import annotations

from datetime import date

from sqlalchemy import Date, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.base import Timestamped
from app.privacy import EncryptedString, age_on, birth_month

# Fields never shown on public pages and never written to logs.
SENSITIVE_FIELDS = frozenset({"id_number", "phone", "health", "political_status"})


class Villager(Timestamped, db.Model):
    __tablename__ = "villagers"

    id: Mapped[int] = mapped_column(primary_key=True)
    household_id: Mapped[int] = mapped_column(ForeignKey("households.id"), index=True)
    village_id: Mapped[int] = mapped_column(ForeignKey("regions.id"), index=True)
    name: Mapped[str] = mapped_column(String(32), index=True)
    gender: Mapped[str] = mapped_column(String(2))  # 男 | 女
    birth_date: Mapped[date | None] = mapped_column(Date)
    ethnicity: Mapped[str] = mapped_column(String(16), default="汉族")
    id_number: Mapped[str | None] = mapped_column(EncryptedString)
    id_number_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    phone: Mapped[str | None] = mapped_column(EncryptedString)
    phone_hash: Mapped[str | None] = mapped_column(String(64), index=True)
    relation: Mapped[str] = mapped_column(String(16), default="其他")  # relation to the head
    education: Mapped[str | None] = mapped_column(String(16))
    political_status: Mapped[str | None] = mapped_column(String(16))
    health: Mapped[str | None] = mapped_column(String(32))
    skills: Mapped[str | None] = mapped_column(String(255))
    work_status: Mapped[str | None] = mapped_column(String(16))
    work_place: Mapped[str | None] = mapped_column(String(64))
    marital_status: Mapped[str | None] = mapped_column(String(8))
    status: Mapped[str] = mapped_column(String(16), default="current")  # current|moved_out|deceased
    left_on: Mapped[date | None] = mapped_column(Date)

    household = relationship("Household", foreign_keys=[household_id], back_populates="people")

    @property
    def is_current(self) -> bool:
        return self.status == "current"

    def age_on(self, day: date) -> int | None:
        """Age by month (``privacy.age_on``): what pages show, never the day of birth."""
        return age_on(self.birth_date, day)

    def born_on(self, today: date) -> str:
        """Year and month of birth as a cadre without reveal sees it on ``today``: ``1958年3月``,
        or "" for a baby whose month would still narrow the day (``privacy.birth_month``)."""
        month = birth_month(self.birth_date, today)
        return f"{int(month[:4])}年{int(month[5:])}月" if month else ""
