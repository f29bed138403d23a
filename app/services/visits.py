"""Visits and inspections (R6): 走访 of a household and 督导巡查, with photos; kept permanently.

There is no edit and no delete: a record is what was seen that day. Who may see a record follows
the household it is about; a group leader sees their group's households and the household-less
inspections they recorded themselves.
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from datetime import date, timedelta

from openpyxl import Workbook
from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import aliased, selectinload

from app.errors import NotFound, ValidationError
from app.extensions import db
from app.models import Household, Photo, PhotoPurpose, Region, Villager, Visit
from app.numbers import MAX_BIG_ID, row_id
from app.services import audit, clock, photos
from app.services.archive import local_time
from app.services.paging import page_of
from app.services.scope import Scope
from app.services.spreadsheet import xlsx_row
from app.services.validators import clean_choice, clean_past_date, clean_text

KINDS = ("走访", "督导巡查")
PAGE_SIZE = 20
# A resubmitted form (double click, browser retry) within this window files nothing new.
RESUBMIT_WINDOW = timedelta(minutes=10)
EXPORT_COLUMNS = ("村", "日期", "类型", "户号", "户主", "走访人员", "见到的人", "内容", "照片数", "登记人", "登记时间")


@dataclass(frozen=True)
class VisitInput:
    kind: str
    visited_on: str
    visitors: str
    content: str
    people_met: str | None = None
    household_number: str | None = None
    village_id: int | None = None  # needed only when the account sees several villages


@dataclass(frozen=True)
class VisitFilter:
    village_id: int | None = None
    kind: str | None = None
    date_from: date | None = None
    date_to: date | None = None
    household_number: str | None = None
    visitor: str | None = None

    def as_args(self) -> dict:
        """The filter as query-string arguments (for paging links and the export link)."""
        return {k: (v.isoformat() if isinstance(v, date) else v) for k, v in asdict(self).items() if v}


def clean_filter(args: Mapping, scope: Scope) -> tuple[VisitFilter, list[str]]:
    """A filter from query arguments; a bad date is dropped with a message instead of failing the page."""
    problems: list[str] = []
    village_id = row_id(args.get("village_id"))
    if village_id is not None:
        scope.village(village_id)  # another county's village: 404
    dates = {}
    for key, label in (("date_from", "开始日期"), ("date_to", "结束日期")):
        raw = (args.get(key) or "").strip()
        try:
            dates[key] = date.fromisoformat(raw) if raw else None
        except ValueError:
            dates[key] = None
            problems.append(f"{label}格式不对，请写成 2026-05-01 这样的日期；这一条件没有用上。")
    kind = args.get("kind") if args.get("kind") in KINDS else None
    number = (args.get("household_number") or "").strip()[:32] or None
    visitor = (args.get("visitor") or "").strip()[:32] or None
    return VisitFilter(village_id, kind, dates["date_from"], dates["date_to"], number, visitor), problems


def _visible(scope: Scope, actor: str) -> list:
    """Where-conditions holding visits to the account's scope."""
    where = [Visit.village_id.in_(scope.village_ids)]
    if scope.group_id is not None:
        in_group = select(Household.id).where(Household.group_id == scope.group_id)
        own_inspection = and_(Visit.household_id.is_(None), Visit.recorded_by == actor)
        where.append(or_(Visit.household_id.in_(in_group), own_inspection))
    return where


def _matching(scope: Scope, actor: str, f: VisitFilter) -> list:
    where = _visible(scope, actor)
    if f.village_id is not None:
        where.append(Visit.village_id == f.village_id)
    if f.kind:
        where.append(Visit.kind == f.kind)
    if f.date_from:
        where.append(Visit.visited_on >= f.date_from)
    if f.date_to:
        where.append(Visit.visited_on <= f.date_to)
    if f.household_number:
        numbered = select(Household.id).where(
            Household.number == f.household_number, Household.village_id.in_(scope.village_ids)
        )
        where.append(Visit.household_id.in_(numbered))
    if f.visitor:
        where.append(Visit.visitors.contains(f.visitor, autoescape=True))
    return where


def list_visits(scope: Scope, actor: str, f: VisitFilter, page: int) -> tuple[list[Visit], int, int, int]:
    """One page of matching visits, newest first: ``(visits, page, pages, total)``."""
    rows, page, pages, total = page_of(Visit, tuple(_matching(scope, actor, f)), _NEWEST, page, PAGE_SIZE)
    _prime_households(rows)
    return rows, page, pages, total


_NEWEST = (Visit.visited_on.desc(), Visit.id.desc())


def _prime_households(visits: list[Visit]) -> None:
    """Load the visits' households and heads in one query, so a list page is not one query per row."""
    ids = {v.household_id for v in visits if v.household_id}
    if ids:
        db.session.scalars(select(Household).options(selectinload(Household.head)).where(Household.id.in_(ids))).all()


def photo_counts(visits: list[Visit]) -> dict[int, int]:
    ids = [v.id for v in visits]
    if not ids:
        return {}
    query = select(Photo.visit_id, func.count()).where(Photo.visit_id.in_(ids)).group_by(Photo.visit_id)
    return dict(db.session.execute(query).tuples().all())


def household_timeline(household: Household) -> list[Visit]:
    """Every visit and inspection about one household, newest first."""
    query = select(Visit).where(Visit.household_id == household.id).order_by(*_NEWEST)
    return list(db.session.scalars(query))


def get_visit(scope: Scope, actor: str, visit_id) -> Visit:
    visit = db.session.scalar(select(Visit).where(Visit.id == (row_id(visit_id) or 0), *_visible(scope, actor)))
    if visit is None:
        raise NotFound("没有找到这条走访记录。")
    return visit


def photos_of(visit: Visit) -> list[Photo]:
    query = select(Photo).where(Photo.visit_id == visit.id, Photo.purpose == PhotoPurpose.VISIT)
    return list(db.session.scalars(query.order_by(Photo.id)))


def get_visit_photo(scope: Scope, actor: str, photo_id) -> Photo:
    """A visit photo whose visit the account may see; anything else is not found."""
    photo = db.session.get(Photo, row_id(photo_id, MAX_BIG_ID) or 0)
    if photo is None or photo.purpose != PhotoPurpose.VISIT or photo.visit_id is None:
        raise NotFound("没有找到这张照片。")
    get_visit(scope, actor, photo.visit_id)
    return photo


def record_visit(data: VisitInput, images: list, *, scope: Scope, actor: str) -> tuple[Visit, bool]:
    """Validate and file a visit with its cleaned photos; ``(visit, created)``.

    The same record sent again by the same person within minutes is not filed twice: the
    earlier one is returned with ``created`` False.
    """
    kind = clean_choice(data.kind, KINDS, "类型", "kind", required=True)
    visited_on = clean_past_date(data.visited_on, "日期", "visited_on")
    visitors = clean_text(data.visitors, "走访人员", "visitors", max_len=255, required=True)
    people_met = clean_text(data.people_met, "见到的人", "people_met", max_len=255)
    content = clean_text(data.content, "情况记录", "content", max_len=5000, required=True)
    household = _household(scope, data)
    if household is None and kind == "走访":
        raise ValidationError("走访要填写走访的是哪一户（户号）。", field="household_number")
    village_id = household.village_id if household else _village_id(scope, data.village_id)
    fields = dict(
        village_id=village_id,
        household_id=household.id if household else None,
        kind=kind,
        visited_on=visited_on,
        visitors=visitors,
        people_met=people_met,
        content=content,
        recorded_by=actor,
    )
    earlier = _same_record_just_filed(fields)
    if earlier is not None:
        return earlier, False
    visit = Visit(**fields)
    db.session.add(visit)
    db.session.flush()
    for image in images:
        photos.store(
            image,
            village_id=village_id,
            purpose=PhotoPurpose.VISIT,
            uploaded_by=actor,
            visit_id=visit.id,
            household_id=visit.household_id,
        )
    audit.record(
        actor,
        "visits.create",
        target=f"visit:{visit.id}",
        village_id=village_id,
        kind=kind,
        household_id=visit.household_id,
        photos=len(images),
    )
    db.session.commit()
    return visit, True


def _household(scope: Scope, data: VisitInput) -> Household | None:
    number = (data.household_number or "").strip()
    if not number:
        return None
    query = scope.households_query().where(Household.number == number)
    if data.village_id is not None:
        query = query.where(Household.village_id == data.village_id)
    found = db.session.scalars(query.limit(2)).all()
    if not found:
        raise ValidationError(f"没有找到户号为 {number} 的户，请核对。", field="household_number")
    if len(found) > 1:
        raise ValidationError("几个村都有这个户号，请先选择是哪个村。", field="village_id")
    return found[0]


def _village_id(scope: Scope, village_id: int | None) -> int:
    if scope.is_single_village:
        return scope.village_ids[0]
    if village_id is None or not scope.contains_village(village_id):
        raise ValidationError("请选择是哪个村的巡查。", field="village_id")
    return village_id


def _same_record_just_filed(fields: dict) -> Visit | None:
    household_id = fields["household_id"]
    same = [getattr(Visit, k) == v for k, v in fields.items() if k != "household_id"]
    same.append(Visit.household_id.is_(None) if household_id is None else Visit.household_id == household_id)
    query = select(Visit).where(*same, Visit.created_at >= clock.now() - RESUBMIT_WINDOW)
    return db.session.scalars(query.order_by(Visit.id.desc()).limit(1)).first()


def export_visits(scope: Scope, actor: str, f: VisitFilter) -> bytes:
    """Matching visits as an xlsx workbook, newest first; the export is audited as a read."""
    head = aliased(Villager)
    counts = (
        select(Photo.visit_id, func.count().label("n"))
        .where(Photo.purpose == PhotoPurpose.VISIT)
        .group_by(Photo.visit_id)
        .subquery()
    )
    query = (
        select(
            Region.name,
            Visit.visited_on,
            Visit.kind,
            Household.number,
            head.name,
            Visit.visitors,
            Visit.people_met,
            Visit.content,
            func.coalesce(counts.c.n, 0),
            Visit.recorded_by,
            Visit.created_at,
        )
        .join(Region, Region.id == Visit.village_id)
        .outerjoin(Household, Household.id == Visit.household_id)
        .outerjoin(head, head.id == Household.head_id)
        .outerjoin(counts, counts.c.visit_id == Visit.id)
        .where(*_matching(scope, actor, f))
        .order_by(*_NEWEST)
    )
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("走访巡查记录")
    sheet.append(EXPORT_COLUMNS)
    rows = 0
    for row in db.session.execute(query):
        *values, created_at = row
        sheet.append(xlsx_row(sheet, values) + [local_time(created_at).strftime("%Y-%m-%d %H:%M")])
        rows += 1
    single = f.village_id or (scope.village_ids[0] if scope.is_single_village else None)
    audit.record(actor, "visits.export", target="visits:xlsx", village_id=single, rows=rows, filters=f.as_args())
    db.session.commit()
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
