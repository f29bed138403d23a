"""Totals, ranks and leaderboards (P5), read from the kept totals, never from the ledger."""

from __future__ import annotations

from datetime import date

from sqlalchemy import func, select

from app.extensions import db
from app.models import Household, PointsTotal, Region, Villager
from app.services import clock
from app.services.totals import period_keys

PERIOD_NAMES = ("month", "year", "all")


def totals_for(subject: str, ids: list[int], day: date | None = None) -> dict[int, dict[str, int]]:
    """{id: {"month": n, "year": n, "all": n}} for households or villagers; missing rows are 0."""
    keys = period_keys(day or clock.today())
    by_key = {v: k for k, v in keys.items()}
    result = {i: dict.fromkeys(PERIOD_NAMES, 0) for i in ids}
    if not ids:
        return result
    rows = db.session.execute(
        select(PointsTotal.subject_id, PointsTotal.period, PointsTotal.points).where(
            PointsTotal.subject == subject,
            PointsTotal.subject_id.in_(ids),
            PointsTotal.period.in_(list(keys.values())),
        )
    )
    for sid, period, points in rows:
        result[sid][by_key[period]] = points
    return result


def _rank(scope_column, scope_id: int, period: str, points: int) -> int:
    """Competition rank: 1 + households of the scope with more points (an index range count)."""
    better = db.session.scalar(
        select(func.count())
        .select_from(PointsTotal)
        .where(
            scope_column == scope_id,
            PointsTotal.subject == "household",
            PointsTotal.period == period,
            PointsTotal.points > points,
        )
    )
    return better + 1


def household_ranks(household: Household, totals: dict[str, int], day: date | None = None) -> dict:
    """Rank in group and in village for this month and this year, with the number of households."""
    keys = period_keys(day or clock.today())
    group_size, village_size = _active_counts(household)
    ranks = {}
    for name in ("month", "year"):
        ranks[name] = {
            "group": _rank(PointsTotal.group_id, household.group_id, keys[name], totals[name]),
            "group_size": group_size,
            "village": _rank(PointsTotal.village_id, household.village_id, keys[name], totals[name]),
            "village_size": village_size,
        }
    return ranks


def _active_counts(household: Household) -> tuple[int, int]:
    rows = db.session.execute(
        select(Household.group_id, func.count())
        .where(Household.village_id == household.village_id, Household.status == "active")
        .group_by(Household.group_id)
    ).all()
    counts = dict(rows)
    return counts.get(household.group_id, 0), sum(counts.values())


def leaderboard(
    scope: Region | int, period: str = "year", *, group_id: int | None = None, limit: int = 10
) -> list[dict]:
    """Top households of a village (or one of its groups, or a town's villages) for a period.

    ``scope`` is a village or town Region (or a village id). Ties share a rank.
    """
    key = period_keys(clock.today())[period]
    query = (
        select(PointsTotal.points, Household.id, Household.number, Household.village_id, Villager.name)
        .join(Household, Household.id == PointsTotal.subject_id)
        .outerjoin(Villager, Villager.id == Household.head_id)
        .where(PointsTotal.subject == "household", PointsTotal.period == key, Household.status == "active")
        .order_by(PointsTotal.points.desc(), Household.number)
        .limit(limit)
    )
    if group_id is not None:
        query = query.where(PointsTotal.group_id == group_id)
    elif isinstance(scope, Region) and scope.level != "village":
        villages = select(Region.id).where(Region.path.startswith(scope.path), Region.level == "village")
        query = query.where(PointsTotal.village_id.in_(villages))
    else:
        query = query.where(PointsTotal.village_id == (scope.id if isinstance(scope, Region) else scope))
    board, last_points, last_rank = [], None, 0
    for position, (points, hid, number, village_id, head) in enumerate(db.session.execute(query), start=1):
        rank = last_rank if points == last_points else position
        board.append({"rank": rank, "household_id": hid, "number": number, "village_id": village_id,
                      "head_name": head, "points": points})  # fmt: skip
        last_points, last_rank = points, rank
    return board
