"""Importing households and villagers from the Excel template (R7).

Every row is checked first, through the same validation as the register's forms (dry run); only a
file with no bad row can be confirmed, and confirming writes it all in one transaction through
``register_household``, or nothing. The import creates households; it never updates one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from types import SimpleNamespace

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from app.errors import Conflict, ValidationError
from app.extensions import db
from app.models import AuditLog, Household, Region
from app.services import audit, page_cache, register, vocab
from app.services import register_import_files as files
from app.services.people import PersonInput, clean_person
from app.services.register import HouseholdInput
from app.services.register_workbook import HOUSEHOLD_SHEET, PEOPLE_SHEET, Row, read_sheets
from app.services.validators import clean_choice, clean_text


@dataclass(frozen=True)
class RowError:
    sheet: str
    row: int | None
    message: str
    who: str | None = None  # the person's name, so a cadre finds the row at a glance

    def __str__(self) -> str:
        if not self.row:
            return f"“{self.sheet}”表：{self.message}"
        return f"{self.sheet} 表第 {self.row} 行{f'（{self.who}）' if self.who else ''}：{self.message}"


@dataclass
class ImportPlan:
    """What a file would create, or why it cannot be imported."""

    households: list[HouseholdInput] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)

    @property
    def people(self) -> int:
        return sum(1 + len(h.members) for h in self.households)

    @property
    def ok(self) -> bool:
        return not self.errors and bool(self.households)


def plan_import(village: Region, raw: bytes) -> ImportPlan:
    """Dry run: check every row of the file against the register's rules and the database."""
    household_rows, people_rows = read_sheets(raw)
    plan = ImportPlan()
    if not household_rows:
        plan.errors.append(RowError(HOUSEHOLD_SHEET, None, "没有填任何一户。"))
        return plan
    households = _check_households(village, household_rows, plan.errors)
    people, unsure = _check_people(village, people_rows, {r.values.get("number") for r in household_rows}, plan.errors)
    for number, (row, fields_) in households.items():
        members = people.get(number, [])
        heads = [(n, p) for n, p in members if p.relation == "户主"]
        if number in unsure:  # one of its people is already reported; "no head" might just be that row
            continue
        if not heads:
            plan.errors.append(
                RowError(HOUSEHOLD_SHEET, row, f"户号“{number}”在“人”表里没有户主（与户主关系填“户主”的一行）。")
            )
        elif len(heads) > 1:
            rows = "、".join(str(n) for n, _ in heads)
            plan.errors.append(
                RowError(
                    PEOPLE_SHEET, heads[1][0], f"户号“{number}”有 {len(heads)} 个户主（第 {rows} 行），一户只能有一个。"
                )
            )
        else:
            others = tuple(p for _, p in members if p.relation != "户主")
            plan.households.append(HouseholdInput(number=number, head=heads[0][1], members=others, **fields_))
    if plan.errors:
        plan.households = []
    plan.errors.sort(key=lambda e: (e.sheet != HOUSEHOLD_SHEET, e.row or 0))
    return plan


def _check_households(village: Region, rows: list[Row], errors: list[RowError]) -> dict[str, tuple[int, dict]]:
    numbers = [r.values.get("number") for r in rows if r.values.get("number")]
    existing = set()
    for start in range(0, len(numbers), 500):
        chunk = numbers[start : start + 500]
        existing.update(
            db.session.scalars(
                select(Household.number).where(Household.village_id == village.id, Household.number.in_(chunk))
            )
        )
    seen: dict[str, int] = {}
    households: dict[str, tuple[int, dict]] = {}
    for row in rows:
        v = row.values
        try:
            number = clean_text(v.get("number"), "户号", "number", max_len=32, required=True)
            if number in seen:
                raise ValidationError(f"户号“{number}”在文件里重复了（第 {seen[number]} 行已有）。")
            seen[number] = row.number
            if number in existing:
                raise ValidationError(f"户号“{number}”在{village.name}已经有了。导入只新建户，不修改已有的户。")
            raw = {k: v.get(k) for k in _HOUSE_FIELDS}
            register.clean_household_fields(SimpleNamespace(**raw))  # register_household cleans again on write
            raw["group_number"] = _group_number(v.get("group_number"))
        except ValidationError as error:
            errors.append(RowError(HOUSEHOLD_SHEET, row.number, error.message))
            continue
        households[number] = (row.number, raw)
    return households


_HOUSE_FIELDS = ("address", "category", "living_environment", "housing", "motto")
_PERSON_FIELDS = ("name", "gender", "id_number", "phone", "relation", "education", "political_status",
                  "health", "skills", "work_status", "work_place", "ethnicity")  # fmt: skip


def _check_people(village: Region, rows: list[Row], listed: set, errors: list[RowError]) -> tuple[dict, set]:
    """Each person checked alone and against the rest of the file: the good ones grouped by
    household number, and the numbers of households with a bad row."""
    ids: dict[str, int] = {}
    people: dict[str, list[tuple[int, PersonInput]]] = {}
    unsure: set = set()
    for row in rows:
        v = row.values
        name = v.get("name")
        try:
            number = clean_text(v.get("household_number"), "户号", "household_number", max_len=32, required=True)
            if number not in listed:
                raise ValidationError(f"户号“{number}”在“户”表里没有，请先在“户”表填这一户。")
            if "e+" in (v.get("id_number") or "").lower():
                raise ValidationError("身份证号被 Excel 存成了数字，后几位已经丢失；请把这一列设为“文本”后重新输入。")
            clean_choice(v.get("relation"), vocab.RELATIONS, "与户主关系", "relation", required=True)
            person = PersonInput(**{k: v.get(k) for k in _PERSON_FIELDS}, birth_date=_iso_date(v.get("birth_date")))
            cleaned = clean_person(person, village_id=village.id)
            id_hash = cleaned.get("id_number_hash")
            if id_hash and id_hash in ids:
                raise ValidationError(f"身份证号和第 {ids[id_hash]} 行的人重复了，同一个人不能登记两次。")
            if id_hash:
                ids[id_hash] = row.number
        except ValidationError as error:
            errors.append(RowError(PEOPLE_SHEET, row.number, error.message, name))
            unsure.add(v.get("household_number"))
            continue
        people.setdefault(number, []).append((row.number, person))
    return people, unsure


def _group_number(value) -> int:
    match = re.fullmatch(r"第?\s*(\d{1,2})\s*组?", str(value or "").strip())
    if not match or not 1 <= int(match.group(1)) <= 99:
        raise ValidationError("组号请填 1 到 99 的数字，例如 3。", field="group_number")
    return int(match.group(1))


def _iso_date(value) -> str | None:
    """2026/5/1, 2026.5.1, 2026年5月1日 and 20260501 all mean 2026-05-01."""
    if value is None:
        return None
    text = str(value).strip()
    match = re.fullmatch(r"(\d{4})\D{1,2}(\d{1,2})\D{1,2}(\d{1,2})\D?", text) or re.fullmatch(
        r"(\d{4})(\d{2})(\d{2})", text
    )
    return f"{match.group(1)}-{int(match.group(2)):02d}-{int(match.group(3)):02d}" if match else text


# ---- upload → preview → confirm ---------------------------------------------------------------


@dataclass
class ImportState:
    """What the preview page shows for an upload."""

    plan: ImportPlan | None = None
    done: dict | None = None  # the audit detail of the import that already happened
    busy: bool = False


def upload(account_id: int, village: Region, filename: str, raw: bytes) -> tuple[ImportPlan, str | None]:
    """Dry-run an uploaded file; a clean one is kept for confirmation and its token returned."""
    plan = plan_import(village, raw)
    if not plan.ok:
        return plan, None
    return plan, files.save(account_id, village.id, filename, raw).token


def state(pending: files.PendingUpload, village: Region) -> ImportState:
    done = _done(pending.token)
    if done is not None:
        return ImportState(done=done)
    raw = files.read(pending)
    if raw is None:
        return ImportState(busy=True)
    return ImportState(plan=plan_import(village, raw))


def confirm(pending: files.PendingUpload, village: Region, *, actor: str) -> tuple[dict, bool]:
    """Write the whole file in one transaction; returns (counts, True) or, for a repeat, (counts, False)."""
    done = _done(pending.token)
    if done is not None:
        return done, False
    raw = files.claim(pending)
    if raw is None:
        done = _done(pending.token)
        if done is not None:
            return done, False
        raise Conflict("这份文件正在导入，请稍候刷新本页查看结果。")
    try:
        counts = _write(pending.token, village, plan_import(village, raw), actor)
    except Exception:
        files.release(pending)
        raise
    files.finish(pending)
    page_cache.bump_village(village.id)
    return counts, True


def _write(token: str, village: Region, plan: ImportPlan, actor: str) -> dict:
    if not plan.ok:
        raise ValidationError(
            "确认导入前再检查了一遍，发现有的行现在不能导入了（可能刚有人登记了相同的户号或身份证号）。什么都没有写入。"
        )
    counts = {"households": len(plan.households), "people": plan.people}
    try:
        for data in plan.households:
            register.register_household(village, data, recorded_by=actor, commit=False)
        audit.record(actor, "register.import", target=f"import:{token}", village_id=village.id, **counts)
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        raise Conflict("有人同时导入或登记了相同的户号或身份证号，这次什么都没有写入，请刷新后再看。") from None
    except Exception:
        db.session.rollback()
        raise
    return counts


def _done(token: str) -> dict | None:
    detail = db.session.scalar(
        select(AuditLog.detail).where(AuditLog.action == "register.import", AuditLog.target == f"import:{token}")
    )
    return dict(detail) if detail is not None else None
