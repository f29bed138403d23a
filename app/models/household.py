"""Households, their plaque codes and their honours."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, DateTime, ForeignKey, Index, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.base import Timestamped, utcnow


class Household(Timestamped, db.Model):
    __tablename__ = "households"

    id: Mapped[int] = mapped_column(primary_key=True)
    village_id: Mapped[int] = mapped_column(ForeignKey("regions.id"), index=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("villager_groups.id"), index=True)
    number: Mapped[str] = mapped_column(String(32))  # 户号, unique within the village
    address: Mapped[str | None] = mapped_column(String(255))
    category: Mapped[str] = mapped_column(String(16), default="一般户")
    living_environment: Mapped[str | None] = mapped_column(String(16))
    housing: Mapped[str | None] = mapped_column(String(16))
    motto: Mapped[str | None] = mapped_column(String(255))  # 家风家训
    status: Mapped[str] = mapped_column(String(16), default="active")  # active | dissolved
    # use_alter: households and villagers point at each other.
    head_id: Mapped[int | None] = mapped_column(
        ForeignKey("villagers.id", use_alter=True, name="fk_households_head_id_villagers")
    )

    village = relationship("Region")
    group = relationship("VillagerGroup")
    head = relationship("Villager", foreign_keys=[head_id], post_update=True)
    people = relationship(
        "Villager",
        foreign_keys="Villager.household_id",
        back_populates="household",
        order_by="Villager.id",
    )
    honours = relationship("HouseholdHonour", back_populates="household", order_by="HouseholdHonour.awarded_on.desc()")

    __table_args__ = (UniqueConstraint("village_id", "number", name="uq_households_number"),)

    @property
    def members(self) -> list:
        """Current members only: people who left or died keep their history but stop counting."""
        return [p for p in self.people if p.status == "current"]

    @property
    def current_honours(self) -> list[HouseholdHonour]:
        return [h for h in self.honours if h.revoked_at is None]


class HouseholdCode(db.Model):
    """The opaque code printed on a plaque. Re-issuing revokes the old one; rows are kept."""

    __tablename__ = "household_codes"

    code: Mapped[str] = mapped_column(String(32), primary_key=True)
    household_id: Mapped[int] = mapped_column(ForeignKey("households.id"), index=True)
    status: Mapped[str] = mapped_column(String(16), default="active")  # active | revoked
    issued_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    household: Mapped[Household] = relationship()

    __table_args__ = (
        # At most one active code per household, enforced by the database.
        Index(
            "uq_household_codes_active",
            "household_id",
            unique=True,
            sqlite_where=text("status = 'active'"),
            postgresql_where=text("status = 'active'"),
        ),
    )


class HouseholdHonour(Timestamped, db.Model):
    """An honour title such as 道德模范之家, kept with its history (P6 computes them later)."""

    __tablename__ = "household_honours"

    id: Mapped[int] = mapped_column(primary_key=True)
    household_id: Mapped[int] = mapped_column(ForeignKey("households.id"), index=True)
    title: Mapped[str] = mapped_column(String(32))
    period: Mapped[str | None] = mapped_column(String(16))  # "2025", "2025-06" …
    awarded_on: Mapped[date] = mapped_column(Date)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    source: Mapped[str] = mapped_column(String(16), default="manual")
    note: Mapped[str | None] = mapped_column(Text)

    household: Mapped[Household] = relationship(back_populates="honours")
