"""The points ledger (P2, P4), its kept totals (P5) and the village's rules catalogue (P1).

``PointsEntry`` rows are append-only: nothing updates or deletes them. A mistake is undone by a
reversal entry pointing at the original. ``PointsTotal`` holds running sums per household and
per villager for each period, updated in the same transaction as the entry, so pages and
leaderboards never aggregate the ledger. Spending at the co-op store (P7) will get its own
balance ledger, so spending never lowers an earned total or a rank.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
    event,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.base import Timestamped, utcnow

# BigInteger on PostgreSQL, but SQLite only auto-increments an INTEGER primary key.
BigId = BigInteger().with_variant(Integer(), "sqlite")


class PointsRule(Timestamped, db.Model):
    """One line of the village's 积分细则."""

    __tablename__ = "points_rules"

    id: Mapped[int] = mapped_column(primary_key=True)
    village_id: Mapped[int] = mapped_column(ForeignKey("regions.id"), index=True)
    category: Mapped[str] = mapped_column(String(32))
    item: Mapped[str] = mapped_column(String(128))
    points: Mapped[int]
    evidence_required: Mapped[bool] = mapped_column(Boolean, default=False)
    cap_points: Mapped[int | None]  # most points this rule may give one household per period
    cap_period: Mapped[str | None] = mapped_column(String(8))  # month | year
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class PointsEntry(db.Model):
    __tablename__ = "points_entries"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    village_id: Mapped[int] = mapped_column(ForeignKey("regions.id"), index=True)
    household_id: Mapped[int] = mapped_column(ForeignKey("households.id"))
    villager_id: Mapped[int | None] = mapped_column(ForeignKey("villagers.id"), index=True)
    rule_id: Mapped[int | None] = mapped_column(ForeignKey("points_rules.id"))
    kind: Mapped[str] = mapped_column(String(10))  # award | deduct | reversal
    points: Mapped[int]
    category: Mapped[str] = mapped_column(String(32))
    reason: Mapped[str] = mapped_column(String(255))  # what was done
    place: Mapped[str | None] = mapped_column(String(64))  # where
    occurred_on: Mapped[date] = mapped_column(Date)  # when; decides the period it counts in
    reverses_id: Mapped[int | None] = mapped_column(ForeignKey("points_entries.id"), unique=True)
    source: Mapped[str] = mapped_column(String(16), default="cadre")
    recorded_by: Mapped[str] = mapped_column(String(64))
    recorded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    idempotency_key: Mapped[str] = mapped_column(String(64), unique=True)

    household = relationship("Household")
    villager = relationship("Villager")
    reverses: Mapped[PointsEntry | None] = relationship(remote_side=[id], foreign_keys=[reverses_id])
    reversed_by: Mapped[PointsEntry | None] = relationship(
        foreign_keys=[reverses_id], viewonly=True, uselist=False, overlaps="reverses"
    )

    __table_args__ = (
        Index("ix_points_entries_household_history", "household_id", "occurred_on", "id"),
        # The back-office ledger lists a village's entries newest first: an index range, no sort.
        Index("ix_points_entries_village_recent", "village_id", "id"),
    )


class PointsTotal(db.Model):
    """Running sum for one subject in one period ("all", "2026", "2026-11").

    Subjects: "household" and "villager" (for pages and leaderboards); "village" (the village's
    net points) and "v_deduct" (the part of it that was deducted), so charts of points over time
    read a handful of rows instead of the ledger.
    """

    __tablename__ = "points_totals"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    subject: Mapped[str] = mapped_column(String(10))  # household | villager
    subject_id: Mapped[int]
    period: Mapped[str] = mapped_column(String(8))
    village_id: Mapped[int] = mapped_column(ForeignKey("regions.id"))
    # None for a village's own rows (subjects "village" / "v_deduct"), which belong to no group.
    group_id: Mapped[int | None] = mapped_column(ForeignKey("villager_groups.id"))
    points: Mapped[int] = mapped_column(default=0)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, onupdate=utcnow)

    __table_args__ = (
        UniqueConstraint("subject", "subject_id", "period", name="uq_points_totals_subject_period"),
        # Rank and leaderboards: an index range per village or group, never a ledger scan.
        Index("ix_points_totals_village_rank", "village_id", "subject", "period", "points"),
        Index("ix_points_totals_group_rank", "group_id", "subject", "period", "points"),
    )


@event.listens_for(PointsEntry, "before_update")
@event.listens_for(PointsEntry, "before_delete")
def _ledger_is_append_only(_mapper, _connection, target: PointsEntry):
    """A ledger entry is never edited or deleted: corrections are reversal entries."""
    raise PermissionError(f"points entry {target.id} is append-only; record a reversal instead")
