"""Kept points totals: one row per subject and period, updated with each ledger entry."""

from __future__ import annotations

from collections import defaultdict
from datetime import date

from sqlalchemy import delete, func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from app.extensions import db
from app.models import Household, PointsEntry, PointsTotal


def period_keys(day: date) -> dict[str, str]:
    """The three periods a day counts in: all time, its year, its month."""
    return {"all": "all", "year": f"{day.year}", "month": f"{day.year}-{day.month:02d}"}


def _upsert(rows: list[dict]) -> None:
    insert = pg_insert if db.session.get_bind().dialect.name == "postgresql" else sqlite_insert
    stmt = insert(PointsTotal).values(rows)
    stmt = stmt.on_conflict_do_update(
        index_elements=["subject", "subject_id", "period"],
        set_={"points": PointsTotal.points + stmt.excluded.points, "updated_at": func.now()},
    )
    db.session.execute(stmt)


def add_to_totals(entry: PointsEntry, group_id: int) -> None:
    """Add one entry's points to its household's (and member's) totals, atomically."""
    subjects = [("household", entry.household_id)]
    if entry.villager_id is not None:
        subjects.append(("villager", entry.villager_id))
    rows = [
        {"subject": subject, "subject_id": sid, "period": period, "village_id": entry.village_id,
         "group_id": group_id, "points": entry.points}
        for subject, sid in subjects
        for period in period_keys(entry.occurred_on).values()
    ]  # fmt: skip
    _upsert(rows)


def rebuild_totals(village_id: int) -> int:
    """Recompute a village's totals from its ledger (after a bulk load, or to repair).

    This is the one place allowed to aggregate the ledger; it runs from the CLI, never a page.
    Returns the number of total rows written. The caller commits.
    """
    year = func.extract("year", PointsEntry.occurred_on)
    month = func.extract("month", PointsEntry.occurred_on)
    sums = db.session.execute(
        select(PointsEntry.household_id, PointsEntry.villager_id, year, month, func.sum(PointsEntry.points))
        .where(PointsEntry.village_id == village_id)
        .group_by(PointsEntry.household_id, PointsEntry.villager_id, year, month)
    ).all()
    household_group = dict(
        db.session.execute(select(Household.id, Household.group_id).where(Household.village_id == village_id)).all()
    )
    acc: dict[tuple[str, int, str], int] = defaultdict(int)
    group_of: dict[tuple[str, int], int] = {}
    for household_id, villager_id, y, m, points in sums:
        subjects = [("household", household_id)] + ([("villager", villager_id)] if villager_id else [])
        for subject in subjects:
            group_of[subject] = household_group[household_id]
            for period in period_keys(date(int(y), int(m), 1)).values():
                acc[(*subject, period)] += points
    db.session.execute(delete(PointsTotal).where(PointsTotal.village_id == village_id))
    rows = []
    for (subject, sid, period), points in acc.items():
        rows.append({"subject": subject, "subject_id": sid, "period": period, "village_id": village_id,
                     "group_id": group_of[(subject, sid)], "points": points})  # fmt: skip
    for start in range(0, len(rows), 500):
        _upsert(rows[start : start + 500])
    return len(rows)
