"""Reading the points ledger in the back office (P2, P4): filtered lists and one entry's detail.

Every query is held to a ``Scope`` and ordered newest recorded first, which the index
``(village_id, id)`` serves without sorting; the count behind the page numbers is bounded so a
county-wide list never counts ten million rows.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from app.errors import NotFound, ValidationError
from app.extensions import db
from app.models import Household, Photo, PhotoPurpose, PointsEntry
from app.numbers import MAX_BIG_ID, row_id
from app.services.scope import Scope

PAGE_SIZE = 50
COUNT_LIMIT = 10_000  # beyond this the list says "10000+" instead of counting on
KINDS = {"award": "加分", "deduct": "扣分", "reversal": "更正"}


@dataclass(frozen=True)
class LedgerFilter:
    village_id: int | None = None
    group_id: int | None = None
    household_id: int | None = None
    household_number: str | None = None
    category: str | None = None
    rule_id: int | None = None
    kind: str | None = None
    date_from: date | str | None = None
    date_to: date | str | None = None
    recorded_by: str | None = None
    page: int = 1


@dataclass
class LedgerPage:
    rows: list[PointsEntry]
    page: int
    has_next: bool
    total: int
    total_capped: bool
    photo_counts: dict[int, int] = field(default_factory=dict)
    reversals: dict[int, PointsEntry] = field(default_factory=dict)  # original id → its reversal


def list_entries(scope: Scope, f: LedgerFilter, size: int = PAGE_SIZE) -> LedgerPage:
    """One page of entries matching ``f`` inside ``scope``, with photo counts and reversal marks."""
    where = _conditions(scope, f)
    base = select(PointsEntry.id).where(*where)
    if _needs_household_join(scope, f):
        base = base.join(Household, Household.id == PointsEntry.household_id)
    total = db.session.scalar(select(func.count()).select_from(base.limit(COUNT_LIMIT + 1).subquery()))
    page = max(1, f.page)
    ids = list(db.session.scalars(base.order_by(PointsEntry.id.desc()).offset((page - 1) * size).limit(size + 1)))
    has_next = len(ids) > size
    ids = ids[:size]
    rows = _load(ids)
    return LedgerPage(
        rows=rows,
        page=page,
        has_next=has_next,
        total=min(total, COUNT_LIMIT),
        total_capped=total > COUNT_LIMIT,
        photo_counts=photo_counts(ids),
        reversals=reversals_of(ids),
    )


def entry_in_scope(scope: Scope, entry_id) -> PointsEntry:
    """One entry, or NotFound when it is outside the scope (a group leader's ends at the group)."""
    entry = db.session.get(PointsEntry, _int(entry_id))
    if entry is None or not scope.contains_village(entry.village_id):
        raise NotFound("没有找到这条积分记录。")
    scope.household(entry.household_id)
    return entry


def evidence_photos(entry_id: int) -> list[Photo]:
    query = select(Photo).where(Photo.points_entry_id == entry_id, Photo.purpose == PhotoPurpose.EVIDENCE)
    return list(db.session.scalars(query.order_by(Photo.id)))


def evidence_photo_in_scope(scope: Scope, photo_id) -> Photo:
    """An evidence photo this scope may see; archive and visit photos never come out this way."""
    photo = db.session.get(Photo, _int(photo_id))
    if photo is None or photo.purpose != PhotoPurpose.EVIDENCE or not scope.contains_village(photo.village_id):
        raise NotFound("没有找到这张照片。")
    if photo.household_id is not None:
        scope.household(photo.household_id)
    return photo


def photo_counts(entry_ids: list[int]) -> dict[int, int]:
    if not entry_ids:
        return {}
    rows = db.session.execute(
        select(Photo.points_entry_id, func.count())
        .where(Photo.points_entry_id.in_(entry_ids), Photo.purpose == PhotoPurpose.EVIDENCE)
        .group_by(Photo.points_entry_id)
    )
    return dict(rows.all())


def reversals_of(entry_ids: list[int]) -> dict[int, PointsEntry]:
    if not entry_ids:
        return {}
    found = db.session.scalars(select(PointsEntry).where(PointsEntry.reverses_id.in_(entry_ids)))
    return {e.reverses_id: e for e in found}


def _conditions(scope: Scope, f: LedgerFilter) -> list:
    village_ids = scope.village_ids
    if f.village_id is not None:
        scope.require_village(f.village_id)
        village_ids = [f.village_id]
    where = [PointsEntry.village_id.in_(village_ids)]
    if scope.group_id is not None:
        where.append(Household.group_id == scope.group_id)
    if f.group_id is not None:
        where.append(Household.group_id == f.group_id)
    if f.household_id is not None:
        where.append(PointsEntry.household_id == scope.household(f.household_id).id)
    if f.household_number:
        number = f.household_number.strip()
        numbered = select(Household.id).where(Household.village_id.in_(village_ids), Household.number == number)
        where.append(PointsEntry.household_id.in_(numbered))
    if f.category:
        where.append(PointsEntry.category == f.category)
    if f.rule_id is not None:
        where.append(PointsEntry.rule_id == f.rule_id)
    if f.kind:
        if f.kind not in KINDS:
            raise ValidationError("记录类型只能是加分、扣分或更正。", field="kind")
        where.append(PointsEntry.kind == f.kind)
    start = _date(f.date_from, "开始日期", "date_from")
    end = _date(f.date_to, "结束日期", "date_to")
    if start and end and start > end:
        raise ValidationError("开始日期不能晚于结束日期。", field="date_from")
    if start:
        where.append(PointsEntry.occurred_on >= start)
    if end:
        where.append(PointsEntry.occurred_on <= end)
    if f.recorded_by:
        where.append(PointsEntry.recorded_by.contains(f.recorded_by.strip(), autoescape=True))
    return where


def _needs_household_join(scope: Scope, f: LedgerFilter) -> bool:
    return scope.group_id is not None or f.group_id is not None


def _load(ids: list[int]) -> list[PointsEntry]:
    if not ids:
        return []
    rows = db.session.scalars(
        select(PointsEntry)
        .where(PointsEntry.id.in_(ids))
        .options(selectinload(PointsEntry.household).selectinload(Household.head), selectinload(PointsEntry.villager))
    )
    by_id = {e.id: e for e in rows}
    return [by_id[i] for i in ids]


def _date(value: date | str | None, label: str, field: str) -> date | None:
    if not value or isinstance(value, date):
        return value or None
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise ValidationError(f"{label}格式不对，请写成 2026-05-01 这样的日期。", field=field) from None


def _int(value) -> int:
    return row_id(value, MAX_BIG_ID) or 0  # no row has id 0: a plain "not found"
