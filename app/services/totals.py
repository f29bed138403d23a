"""Kept points totals: one row per subject and period, updated with each ledger entry."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import date

from sqlalchemy import and_, case, delete, func, or_, select
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


def counts_as_deduction(kind: str, points: int) -> bool:
    """A deduction, or the reversal of an award, lowers "deducted"; the rest is "awarded".

    A reversal carries the opposite sign of the entry it undoes and lands in that entry's side,
    so an award reversed is no longer awarded (rather than looking like a deduction).
    """
    return (points < 0) != (kind == "reversal")


def _village_rows(village_id: int, period: str, net: int, deducted: int) -> list[dict]:
    rows = [{"subject": "village", "subject_id": village_id, "period": period, "village_id": village_id,
             "group_id": None, "points": net}]  # fmt: skip
    if deducted:
        rows.append({**rows[0], "subject": "v_deduct", "points": deducted})
    return rows


def add_to_totals(entry: PointsEntry, group_id: int) -> None:
    """Add one entry's points to its household's (and member's) and its village's totals, atomically."""
    add_many_to_totals([(entry, group_id)])


def add_many_to_totals(pairs: Sequence[tuple[PointsEntry, int]]) -> None:
    """Add entries (with their households' group ids) to the kept totals in one upsert.

    Rows for the same subject and period are summed first: one statement may not update a row twice.
    """
    village: dict[tuple[str, int, str], int] = defaultdict(int)
    others: dict[tuple[str, int, str], int] = defaultdict(int)
    where: dict[tuple[str, int], tuple[int, int]] = {}
    for entry, group_id in pairs:
        periods = period_keys(entry.occurred_on).values()
        deducted = entry.points if counts_as_deduction(entry.kind, entry.points) else 0
        subjects = [("household", entry.household_id)]
        if entry.villager_id is not None:
            subjects.append(("villager", entry.villager_id))
        for period in periods:
            village[("village", entry.village_id, period)] += entry.points
            if deducted:
                village[("v_deduct", entry.village_id, period)] += deducted
            for subject, sid in subjects:
                others[(subject, sid, period)] += entry.points
                where[(subject, sid)] = (entry.village_id, group_id)
    # The village's rows first: every writer then takes the shared rows' locks before any
    # household's, so a bulk award and a single award cannot wait on each other in a cycle.
    rows = [
        {"subject": subject, "subject_id": sid, "period": period, "village_id": sid, "group_id": None,
         "points": points}
        for (subject, sid, period), points in village.items()
    ]  # fmt: skip
    rows += [
        {"subject": subject, "subject_id": sid, "period": period, "village_id": where[(subject, sid)][0],
         "group_id": where[(subject, sid)][1], "points": points}
        for (subject, sid, period), points in others.items()
    ]  # fmt: skip
    if rows:
        _upsert(rows)


def rebuild_totals(village_id: int) -> int:
    """Recompute a village's totals from its ledger (after a bulk load, or to repair).

    This is the one place allowed to aggregate the ledger; it runs from the CLI, never a page.
    Returns the number of total rows written. The caller commits.
    """
    year = func.extract("year", PointsEntry.occurred_on)
    month = func.extract("month", PointsEntry.occurred_on)
    deduction = or_(
        and_(PointsEntry.points < 0, PointsEntry.kind != "reversal"),
        and_(PointsEntry.points > 0, PointsEntry.kind == "reversal"),
    )
    sums = db.session.execute(
        select(
            PointsEntry.household_id, PointsEntry.villager_id, year, month, func.sum(PointsEntry.points),
            func.sum(case((deduction, PointsEntry.points), else_=0)),
        )
        .where(PointsEntry.village_id == village_id)
        .group_by(PointsEntry.household_id, PointsEntry.villager_id, year, month)
    ).all()  # fmt: skip
    household_group = dict(
        db.session.execute(select(Household.id, Household.group_id).where(Household.village_id == village_id)).all()
    )
    acc: dict[tuple[str, int, str], int] = defaultdict(int)
    group_of: dict[tuple[str, int], int] = {}
    village_acc: dict[str, list[int]] = defaultdict(lambda: [0, 0])  # period → [net, deducted]
    for household_id, villager_id, y, m, points, deducted in sums:
        subjects = [("household", household_id)] + ([("villager", villager_id)] if villager_id else [])
        periods = period_keys(date(int(y), int(m), 1)).values()
        for subject in subjects:
            group_of[subject] = household_group[household_id]
            for period in periods:
                acc[(*subject, period)] += points
        for period in periods:
            village_acc[period][0] += points
            village_acc[period][1] += deducted
    db.session.execute(delete(PointsTotal).where(PointsTotal.village_id == village_id))
    rows = []
    for (subject, sid, period), points in acc.items():
        rows.append({"subject": subject, "subject_id": sid, "period": period, "village_id": village_id,
                     "group_id": group_of[(subject, sid)], "points": points})  # fmt: skip
    for period, (net, deducted) in village_acc.items():
        rows.extend(_village_rows(village_id, period, net, deducted))
    for start in range(0, len(rows), 500):
        _upsert(rows[start : start + 500])
    return len(rows)
