"""What the charts and the dashboard show (R8), read from kept rows only.

Register numbers come from ``register_stats`` (one grouped query, whatever the number of
villages) and points from the village rows of ``points_totals``; neither the register nor the
ledger is read here. A view that rolls up several villages, or is opened by someone from beyond
the village, shows any cell under 5 as "<5" and, where that would leave a single hidden cell
that the total gives away, hides the next smallest cell too (secondary suppression).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime

from sqlalchemy import func, select

from app.errors import NotFound
from app.extensions import db
from app.models import PointsTotal, Region, RegionLevel, RegisterStat
from app.services import clock
from app.services.clock import VILLAGE_TZ
from app.services.scope import Scope
from app.services.statistics import DIMENSIONS, TOTAL
from app.services.totals import period_keys

SMALL = 5  # cells under this many people (or households) are not shown beyond the village
MONTHS = 12
SMALL_LABEL = "<5"
SECONDARY_LABEL = "隐去"


@dataclass
class Cell:
    label: str
    value: int | None  # None when suppressed
    shown: str  # what a reader sees: "412", "<5" or "隐去"


@dataclass
class Headline:
    households: Cell
    people: Cell
    points_month: int
    counted: bool  # False until the statistics of at least one village exist


@dataclass
class ChartsView:
    title: str
    exact: bool  # False: small cells are suppressed
    village_id: int | None  # the one village shown, or None for a roll-up
    villages_total: int
    villages_counted: int  # villages whose statistics exist yet
    as_of: datetime | None  # when the oldest statistics in the view were counted (village time)
    headline: Headline
    charts: list[dict] = field(default_factory=list)
    points: dict = field(default_factory=dict)
    parts: list[dict] = field(default_factory=list)  # roll-ups: one line per town (county) or village (town)
    choices: list[tuple[str, list[tuple[int, str]]]] = field(default_factory=list)  # (town, villages) to pick

    def data(self) -> dict:
        """The blob the page's script draws from (the tables show the very same numbers)."""
        return {"charts": self.charts, "points": self.points}


def suppress(cells: list[tuple[str, int]], exact: bool) -> list[Cell]:
    """Small cells as "<5"; a lone small cell takes the next smallest one with it."""
    if exact:
        return [Cell(label, n, str(n)) for label, n in cells]
    small = {i for i, (_, n) in enumerate(cells) if 0 < n < SMALL}
    secondary: set[int] = set()
    if len(small) == 1:
        rest = sorted((n, i) for i, (_, n) in enumerate(cells) if i not in small and n > 0)
        secondary = {rest[0][1]} if rest else set()
    return [
        Cell(label, None, SMALL_LABEL) if i in small else
        Cell(label, None, SECONDARY_LABEL) if i in secondary else Cell(label, n, str(n))
        for i, (label, n) in enumerate(cells)
    ]  # fmt: skip


def small_cell(label: str, n: int, exact: bool) -> Cell:
    """One number on its own (no total to subtract it from): only hidden when small."""
    return suppress([(label, n)], exact)[0]


def _ordered(order: tuple[str, ...], counts: dict[str, int]) -> list[tuple[str, int]]:
    """The dimension's own order first (zeros included, so the chart keeps its shape), then the rest."""
    rest = sorted((b for b in counts if b not in order), key=lambda b: (-counts[b], b))
    return [(b, counts.get(b, 0)) for b in order] + [(b, counts[b]) for b in rest]


def _choose(scope: Scope, village_id) -> tuple[Region | None, bool]:
    """The one village to show (or None: roll up the scope), and whether numbers may be exact."""
    if village_id not in (None, ""):
        try:
            village = scope.village(int(village_id))
        except (TypeError, ValueError):
            raise NotFound("没有找到这个村。") from None
    else:
        village = scope.region if scope.is_single_village else None
    # Exact numbers only for the village's own cadres; a group leader's scope ends at the group.
    exact = village is not None and scope.is_single_village and scope.group_id is None
    return village, exact


def _in_view(column, scope: Scope, village: Region | None):
    """A filter on a village-id column: the one village, or every village under the scope's region."""
    if village is not None:
        return [column == village.id]
    return [column == Region.id, Region.level == RegionLevel.VILLAGE, Region.path.startswith(scope.region.path)]


def charts_for(scope: Scope, village_id=None, *, today: date | None = None) -> ChartsView:
    """Every register chart and the points of the last 12 months, for one village or a roll-up."""
    village, exact = _choose(scope, village_id)
    today = today or clock.today()
    rows = db.session.execute(
        select(RegisterStat.dimension, RegisterStat.bucket, func.sum(RegisterStat.count),
               func.count(RegisterStat.village_id), func.min(RegisterStat.computed_at))
        .where(*_in_view(RegisterStat.village_id, scope, village))
        .group_by(RegisterStat.dimension, RegisterStat.bucket)
    ).all()  # fmt: skip
    by_dimension: dict[str, dict[str, int]] = {}
    counted, as_of = 0, None
    for dimension, bucket, total, villages, oldest in rows:
        by_dimension.setdefault(dimension, {})[bucket] = int(total)
        if (dimension, bucket) == (TOTAL, "households"):
            counted, as_of = villages, _local(oldest)
    totals = by_dimension.get(TOTAL, {})
    choices = village_choices(scope)
    in_scope = sum(len(villages) for _, villages in choices) or 1
    view = ChartsView(
        title=village.name if village is not None else f"{scope.region.name}（{in_scope}个村汇总）",
        exact=exact,
        village_id=village.id if village is not None else None,
        villages_total=1 if village is not None else in_scope,
        villages_counted=counted,
        as_of=as_of,
        headline=_headline(totals, exact, 0),
        choices=choices,
    )
    for dim in DIMENSIONS:
        counts = by_dimension.get(dim.key, {})
        cells = suppress(_ordered(dim.order, counts), exact)
        # Shares only where the buckets split a whole (one skill each person is not the case).
        whole = sum(counts.values()) if dim.key != "skills" else 0
        view.charts.append({
            "key": dim.key, "title": dim.title, "unit": dim.unit, "kind": dim.chart, "note": dim.note,
            "cells": [{"label": c.label, "value": c.value, "shown": c.shown,
                       "share": round(100 * c.value / whole, 1) if whole and c.value is not None else None}
                      for c in cells],
            "suppressed": any(c.value is None for c in cells),
        })  # fmt: skip
    view.points = points_by_month(scope, village, today)
    view.headline.points_month = view.points["net"][-1]
    if village is None:
        view.parts = _part_lines(scope, today)
    return view


def _local(moment: datetime | None) -> datetime | None:
    if moment is None:
        return None
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).astimezone(VILLAGE_TZ)


def _headline(totals: dict[str, int], exact: bool, points_month: int) -> Headline:
    return Headline(
        households=small_cell("户数", totals.get("households", 0), exact),
        people=small_cell("人数", totals.get("people", 0), exact),
        points_month=points_month,
        counted=bool(totals),
    )


def _months(today: date, count: int = MONTHS) -> list[str]:
    year, month = today.year, today.month
    keys = []
    for _ in range(count):
        keys.append(period_keys(date(year, month, 1))["month"])
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return keys[::-1]


def points_by_month(scope: Scope, village: Region | None, today: date) -> dict:
    """Awarded, deducted and net points per month for the last 12 months (from kept totals)."""
    months = _months(today)
    rows = db.session.execute(
        select(PointsTotal.subject, PointsTotal.period, func.sum(PointsTotal.points))
        .where(
            PointsTotal.subject.in_(("village", "v_deduct")), PointsTotal.period.in_(months),
            *_in_view(PointsTotal.subject_id, scope, village),
        )
        .group_by(PointsTotal.subject, PointsTotal.period)
    ).all()  # fmt: skip
    found = {(subject, period): int(points) for subject, period, points in rows}
    net = [found.get(("village", m), 0) for m in months]
    deducted = [-found.get(("v_deduct", m), 0) for m in months]
    awarded = [n + d for n, d in zip(net, deducted, strict=True)]
    labels = [f"{int(m[:4])}年{int(m[5:])}月" for m in months]
    return {"months": labels, "awarded": awarded, "deducted": deducted, "net": net}


def _part_lines(scope: Scope, today: date) -> list[dict]:
    """A roll-up's parts, one line each: a county's towns or a town's villages (kept rows only)."""
    region = scope.region
    # County › town › village (R1): a village's town is its parent.
    part = Region.parent_id if region.level == RegionLevel.COUNTY else Region.id
    month = period_keys(today)["month"]
    stats = db.session.execute(
        select(part, RegisterStat.bucket, func.sum(RegisterStat.count))
        .where(RegisterStat.dimension == TOTAL, *_in_view(RegisterStat.village_id, scope, None))
        .group_by(part, RegisterStat.bucket)
    ).all()
    points = dict(
        db.session.execute(
            select(part, func.sum(PointsTotal.points))
            .where(PointsTotal.subject == "village", PointsTotal.period == month,
                   *_in_view(PointsTotal.subject_id, scope, None))
            .group_by(part)
        ).all()
    )  # fmt: skip
    counts: dict[int, dict[str, int]] = {}
    for part_id, bucket, count in stats:
        counts.setdefault(part_id, {})[bucket] = int(count)
    level = RegionLevel.TOWN if region.level == RegionLevel.COUNTY else RegionLevel.VILLAGE
    under = Region.path.startswith(region.path)
    parts = db.session.execute(select(Region.id, Region.name).where(Region.level == level, under).order_by(Region.path))
    return [
        {"id": pid, "name": name, "is_village": level == RegionLevel.VILLAGE, "points_month": int(points.get(pid) or 0),
         "headline": _headline(counts[pid], False, 0) if pid in counts else None}
        for pid, name in parts
    ]  # fmt: skip


def village_choices(scope: Scope) -> list[tuple[str, list[tuple[int, str]]]]:
    """The villages a town or county account may pick, grouped by town (two light queries)."""
    if scope.is_single_village:
        return []
    under = Region.path.startswith(scope.region.path)
    town_rows = db.session.execute(select(Region.id, Region.name).where(Region.level == RegionLevel.TOWN, under))
    towns = {town_id: name for town_id, name in town_rows}
    if scope.region.level == RegionLevel.TOWN:
        towns[scope.region.id] = scope.region.name
    groups: dict[str, list[tuple[int, str]]] = {}
    villages = select(Region.id, Region.name, Region.parent_id).where(Region.level == RegionLevel.VILLAGE, under)
    rows = db.session.execute(villages.order_by(Region.path))
    for vid, name, town_id in rows:
        groups.setdefault(towns.get(town_id, ""), []).append((vid, name))
    return list(groups.items())


def headline_for(scope: Scope, *, today: date | None = None) -> Headline:
    """Households, people and points this month for the dashboard (roll-up for town and county)."""
    village, exact = _choose(scope, None)
    today = today or clock.today()
    totals = dict(
        db.session.execute(
            select(RegisterStat.bucket, func.sum(RegisterStat.count))
            .where(RegisterStat.dimension == TOTAL, *_in_view(RegisterStat.village_id, scope, village))
            .group_by(RegisterStat.bucket)
        ).all()
    )
    month = period_keys(today)["month"]
    points = db.session.scalar(
        select(func.coalesce(func.sum(PointsTotal.points), 0)).where(
            PointsTotal.subject == "village", PointsTotal.period == month,
            *_in_view(PointsTotal.subject_id, scope, village),
        )
    )  # fmt: skip
    return _headline({k: int(v) for k, v in totals.items()}, exact, int(points or 0))
