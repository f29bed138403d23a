"""Register exports (R7): one row per household for cadres' spreadsheets (CLI), and the back
office's register workbook (households and people, personal numbers masked)."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass

from openpyxl import Workbook
from sqlalchemy import Select, func, select
from sqlalchemy.orm import selectinload

from app.extensions import db
from app.models import Household, HouseholdCode, PointsTotal, Region, Villager, VillagerGroup
from app.privacy import birth_month, mask_id_number, mask_phone
from app.services import audit, clock
from app.services import register_workbook as sheets
from app.services.spreadsheet import csv_row, xlsx_row
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
    keys = period_keys(clock.today())
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
        writer.writerows(csv_row(row) for row in rows)
        return ("\ufeff" + buffer.getvalue()).encode("utf-8")
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("户籍登记")
    sheet.append(HOUSEHOLD_COLUMNS)
    for row in rows:
        sheet.append(xlsx_row(sheet, row))
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


@dataclass(frozen=True)
class RegisterExport:
    data: bytes
    households: int
    people: int


_EXPORT_HOUSEHOLD_HEADERS = ("村", *(c.header for c in sheets.HOUSEHOLD_COLUMNS), "村民小组", "户主", "在册人口")
# Exports are copied and forwarded: the birth date goes out as year and month, like on the pages
# of a cadre who cannot reveal (the day is part of the ID number that the mask hides).
_EXPORT_PERSON_HEADERS = (
    "村",
    *("出生年月" if c.field == "birth_date" else c.header for c in sheets.PERSON_COLUMNS),
    "婚姻状况",
    "年龄",
)


def export_register(village: Region, households: Select, villagers: Select, *, actor: str) -> RegisterExport:
    """One village's live register as xlsx: households and current people, ID and phone numbers
    masked. ``households`` / ``villagers`` are the caller's scoped ``select(...)`` statements."""
    household_query = (
        households.where(Household.village_id == village.id, Household.status == "active")
        .options(selectinload(Household.group), selectinload(Household.head))
        .order_by(Household.number)
    )
    counts = dict(
        db.session.execute(
            select(Villager.household_id, func.count())
            .where(Villager.village_id == village.id, Villager.status == "current")
            .group_by(Villager.household_id)
        ).all()
    )
    book = Workbook(write_only=True)
    house_sheet = book.create_sheet(sheets.HOUSEHOLD_SHEET)
    house_sheet.append(_EXPORT_HOUSEHOLD_HEADERS)
    numbers: dict[int, str] = {}
    for h in db.session.scalars(household_query):
        numbers[h.id] = h.number
        house_sheet.append(xlsx_row(house_sheet,
            [village.name, h.number, h.group.number, h.address, h.category, h.living_environment, h.housing, h.motto,
             h.group.label, h.head.name if h.head else "", counts.get(h.id, 0)]
        ))  # fmt: skip
    people_sheet = book.create_sheet(sheets.PEOPLE_SHEET)
    people_sheet.append(_EXPORT_PERSON_HEADERS)
    today, people = clock.today(), 0
    person_query = villagers.where(Villager.village_id == village.id, Villager.status == "current").order_by(
        Villager.household_id, Villager.id
    )
    for p in db.session.scalars(person_query):
        if p.household_id not in numbers:  # a person of a dissolved household is not in the live register
            continue
        people += 1
        people_sheet.append(xlsx_row(people_sheet,
            [village.name, numbers[p.household_id], p.name, p.relation, p.gender,
             birth_month(p.birth_date, today), mask_id_number(p.id_number), mask_phone(p.phone),
             p.ethnicity, p.education, p.political_status, p.health, p.skills, p.work_status, p.work_place,
             p.marital_status, p.age_on(today)]
        ))  # fmt: skip
    notes = book.create_sheet(sheets.GUIDE_SHEET)
    notes.append([f"{village.name} 户籍名册，{clock.local_now():%Y-%m-%d %H:%M} 由 {actor} 导出。"])
    notes.append([f"共 {len(numbers)} 户、{people} 人（只含在册的户和人）。"])
    notes.append(["身份证号和手机号已打码。本文件含村民个人信息，请妥善保管，不要转发到群里。"])
    audit.record(
        actor, "register.export", target="register:xlsx", village_id=village.id, households=len(numbers), people=people
    )
    db.session.commit()
    return RegisterExport(sheets.save_workbook(book), len(numbers), people)
