"""Register exports (R7): one row per household, for cadres' spreadsheets."""

from __future__ import annotations

import csv
import io

from openpyxl import Workbook
from sqlalchemy import func, select

from app.extensions import db
from app.models import Household, HouseholdCode, PointsTotal, Region, Villager, VillagerGroup
from app.services import audit, standings
from app.services.totals import period_keys

HOUSEHOLD_COLUMNS = (
    "村",
    "户号",
    "户码",
    "村民小组",
    "户主",
    "人口",
    "住址",
    "户类别",
    "本月积分",
    "本年积分",
    "累计积分",
)


def household_rows(village: Region | None = None) -> list[tuple]:
    """Active households with head, current member count and points; a handful of queries."""
    keys = period_keys(standings.today())
    members = (
        select(Villager.household_id, func.count().label("n"))
        .where(Villager.status == "current")
        .group_by(Villager.household_id)
        .subquery()
    )
    head = Villager.__table__.alias("head")
    query = (
        select(
            Region.name,
            Household.id,
            Household.number,
            HouseholdCode.code,
            VillagerGroup.number,
            VillagerGroup.name,
            head.c.name,
            func.coalesce(members.c.n, 0),
            Household.address,
            Household.category,
        )  # fmt: skip
        .join(Region, Region.id == Household.village_id)
        .join(VillagerGroup, VillagerGroup.id == Household.group_id)
        .outerjoin(head, head.c.id == Household.head_id)
        .outerjoin(members, members.c.household_id == Household.id)
        .outerjoin(HouseholdCode, (HouseholdCode.household_id == Household.id) & (HouseholdCode.status == "active"))
        .where(Household.status == "active")
        .order_by(Region.name, VillagerGroup.number, Household.number)
    )
    if village is not None:
        query = query.where(Household.village_id == village.id)
    rows = db.session.execute(query).all()
    totals = {}
    for sid, period, points in db.session.execute(
        select(PointsTotal.subject_id, PointsTotal.period, PointsTotal.points).where(
            PointsTotal.subject == "household",
            PointsTotal.period.in_(list(keys.values())),
            *([PointsTotal.village_id == village.id] if village is not None else []),
        )
    ):
        totals[(sid, period)] = points
    return [
        (vname, number, code, group_name or f"第{gnum}组", head_name, count, address, category,
         totals.get((hid, keys["month"]), 0), totals.get((hid, keys["year"]), 0), totals.get((hid, keys["all"]), 0))
        for vname, hid, number, code, gnum, group_name, head_name, count, address, category in rows
    ]  # fmt: skip


def export_households(fmt: str, *, village: Region | None, actor: str) -> bytes:
    """The household register as CSV (UTF-8 with BOM, opens cleanly in Excel) or xlsx bytes."""
    rows = household_rows(village)
    audit.record(
        actor, "register.export", target=f"households:{fmt}", village_id=village.id if village else None, rows=len(rows)
    )
    db.session.commit()
    if fmt == "csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(HOUSEHOLD_COLUMNS)
        writer.writerows(rows)
        return ("\ufeff" + buffer.getvalue()).encode("utf-8")
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("户籍登记")
    sheet.append(HOUSEHOLD_COLUMNS)
    for row in rows:
        sheet.append(list(row))
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
