"""Finding households and villagers in the back office (R1–R3): search, filters and pages.

Every query starts from the account's ``Scope`` so nothing outside it can match. A full ID or
phone number is matched through its keyed hash; names and household numbers by text. A page
costs a fixed handful of queries (rows, count, member counts, points totals), never one per row.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date

from sqlalchemy import Select, exists, false, func, or_, select
from sqlalchemy.orm import selectinload

from app.errors import ValidationError
from app.extensions import db
from app.models import Household, Villager
from app.privacy import lookup_hash
from app.services import clock, standings, statistics
from app.services.scope import Scope
from app.services.validators import clean_id_number, clean_phone

PAGE_SIZE = 30


def _age_bands() -> tuple[tuple[str, str, int, int | None], ...]:
    """The charts' age bands as filters: (key, label, lowest age, highest age or None)."""
    bands, low = [], 0
    for high, label in statistics.AGE_BANDS:
        bands.append((label, label, low, high))
        low = (high or 0) + 1
    return tuple(bands)


AGE_BANDS = _age_bands()
HOUSEHOLD_STATUSES = {"active": "在册", "dissolved": "已注销"}
_ID_LIKE = re.compile(r"[0-9]{17}[0-9Xx]")
_PHONE_LIKE = re.compile(r"(\+?86)?1[3-9][0-9]{9}|0[0-9]{2,3}-[0-9]{7,8}")


@dataclass(frozen=True)
class Page:
    rows: list
    page: int
    pages: int
    total: int
    note: str | None = None  # e.g. "the ID number's check digit is wrong", shown above the list


@dataclass(frozen=True)
class HouseholdRow:
    household: Household
    member_count: int
    points_year: int


@dataclass(frozen=True)
class HouseholdFilters:
    q: str = ""
    village_id: int | None = None
    group_id: int | None = None
    category: str = ""
    status: str = "active"  # "" for every status
    page: int = 1
    by_number: bool = False  # may a full ID or phone number find someone (only with register.reveal)


@dataclass(frozen=True)
class VillagerFilters:
    q: str = ""
    village_id: int | None = None
    group_id: int | None = None
    work_status: str = ""
    status: str = "current"  # "" for every status
    gender: str = ""
    age_band: str = ""
    page: int = 1
    by_number: bool = False  # may a full ID or phone number find someone (only with register.reveal)


def _normalise(q: str) -> str:
    return unicodedata.normalize("NFKC", q or "").strip()


NO_NUMBER_SEARCH = "你的角色不能按身份证号或手机号查找，请按姓名或户号查找。"


def _person_match(q: str, allowed: bool = True) -> tuple[object | None, str | None]:
    """A WHERE clause on ``Villager`` for an ID or phone number typed in full, else (None, None).

    A mistyped ID number matches nobody, and says why (a cadre copying from a card wants to know).
    Without ``allowed`` a number matches nobody: a search that confirms a guess would let a role
    that sees only the mask try the ~1,300 numbers it leaves, one search each.
    """
    compact = re.sub(r"\s", "", q)
    if not allowed and is_personal_number(compact):
        return false(), NO_NUMBER_SEARCH
    if _ID_LIKE.fullmatch(compact):
        try:
            return Villager.id_number_hash == lookup_hash("id", clean_id_number(compact)), None
        except ValidationError as error:
            return false(), error.message
    if _PHONE_LIKE.fullmatch(compact):
        try:
            return Villager.phone_hash == lookup_hash("phone", clean_phone(compact)), None
        except ValidationError as error:
            return false(), error.message
    return None, None


def is_personal_number(q: str) -> bool:
    """Whether a search looks like a full ID or phone number (kept out of URLs and logs)."""
    compact = re.sub(r"\s", "", _normalise(q))
    return bool(_ID_LIKE.fullmatch(compact) or _PHONE_LIKE.fullmatch(compact))


def _paginate(query: Select, order_by: tuple, page: int, options: tuple = ()) -> tuple[list, int, int, int]:
    """``(rows, page, pages, total)`` of a scoped select; the page is clamped like ``page_of``."""
    total = db.session.scalar(select(func.count()).select_from(query.order_by(None).subquery()))
    pages = max(1, -(-total // PAGE_SIZE))
    page = min(max(page, 1), pages)
    rows = db.session.scalars(
        query.options(*options).order_by(*order_by).offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE)
    ).all()
    return list(rows), page, pages, total


def search_households(scope: Scope, f: HouseholdFilters) -> Page:
    """Households in scope matching the search and filters, one page, with counts and points."""
    query = scope.households_query()
    note = None
    q = _normalise(f.q)
    if q:
        by_number, note = _person_match(q, f.by_number)
        if by_number is not None:
            query = query.where(Household.id.in_(select(Villager.household_id).where(by_number)))
        else:
            named = Villager.name.contains(q, autoescape=True)
            anyone_named = exists().where(Villager.household_id == Household.id, named)
            query = query.where(or_(Household.number.startswith(q, autoescape=True), anyone_named))
    if f.village_id:
        query = query.where(Household.village_id == f.village_id)
    if f.group_id:
        query = query.where(Household.group_id == f.group_id)
    if f.category:
        query = query.where(Household.category == f.category)
    if f.status:
        query = query.where(Household.status == f.status)
    households, page, pages, total = _paginate(
        query,
        (Household.village_id, Household.group_id, Household.number),
        f.page,
        (selectinload(Household.head), selectinload(Household.group), selectinload(Household.village)),
    )
    ids = [h.id for h in households]
    counts = member_counts(ids)
    points = standings.totals_for("household", ids)
    rows = [HouseholdRow(h, counts.get(h.id, 0), points[h.id]["year"]) for h in households]
    return Page(rows, page, pages, total, note)


def member_counts(household_ids: list[int]) -> dict[int, int]:
    """Current members per household, in one grouped query."""
    if not household_ids:
        return {}
    rows = db.session.execute(
        select(Villager.household_id, func.count())
        .where(Villager.household_id.in_(household_ids), Villager.status == "current")
        .group_by(Villager.household_id)
    )
    return dict(rows.all())


def members_named(household_ids: list[int], q: str) -> dict[int, int]:
    """The one current member of each household whose name is exactly ``q`` (a search for a person,
    not a surname): the points form then awards that member rather than the whole household."""
    name = _normalise(q)
    if not household_ids or not name:
        return {}
    rows = db.session.execute(
        select(Villager.household_id, Villager.id).where(
            Villager.household_id.in_(household_ids), Villager.status == "current", Villager.name == name
        )
    ).all()
    found: dict[int, list[int]] = {}
    for household_id, villager_id in rows:
        found.setdefault(household_id, []).append(villager_id)
    return {household_id: ids[0] for household_id, ids in found.items() if len(ids) == 1}


def _born_between(band: str, today: date):
    """Birth-date bounds for an age band: aged ``low``..``high`` today, ages counted by month
    (``privacy.age_on``), so the people a band holds change only on the 1st of a month."""
    for key, _label, low, high in AGE_BANDS:
        if key == band:
            clause = Villager.birth_date < _month_after(today, low)
            if high is not None:
                clause = clause & (Villager.birth_date >= _month_after(today, high + 1))
            return clause
    return None


def _month_after(day: date, years: int) -> date:
    """The 1st of the month after ``day``'s month, ``years`` earlier: the first birth date not
    yet ``years`` old in ``day``'s month."""
    year, month = day.year - years, day.month + 1
    return date(year + month // 13, (month - 1) % 12 + 1, 1)


def search_villagers(scope: Scope, f: VillagerFilters) -> Page:
    """Villagers in scope matching the search and filters, one page, with their households."""
    query = scope.villagers_query()
    note = None
    q = _normalise(f.q)
    if q:
        by_number, note = _person_match(q, f.by_number)
        if by_number is not None:
            query = query.where(by_number)
        else:
            numbered = select(Household.id).where(Household.number == q)
            query = query.where(or_(Villager.name.contains(q, autoescape=True), Villager.household_id.in_(numbered)))
    if f.village_id:
        query = query.where(Villager.village_id == f.village_id)
    if f.group_id:
        query = query.where(Villager.household_id.in_(select(Household.id).where(Household.group_id == f.group_id)))
    chosen = ((Villager.work_status, f.work_status), (Villager.status, f.status), (Villager.gender, f.gender))
    for column, value in chosen:
        if value:
            query = query.where(column == value)
    if f.age_band:
        band = _born_between(f.age_band, clock.today())
        if band is not None:
            query = query.where(band)
    rows, page, pages, total = _paginate(
        query,
        (Villager.village_id, Villager.household_id, Villager.id),
        f.page,
        (selectinload(Villager.household).selectinload(Household.group),),
    )
    return Page(rows, page, pages, total, note)


def find_people_to_join(scope: Scope, q: str, *, exclude_household_id: int, statuses=("current",), limit=20):
    """People in scope who could join a household (marrying in, moving back): a short list."""
    q = _normalise(q)
    if not q:
        return [], None
    query = scope.villagers_query().where(Villager.household_id != exclude_household_id, Villager.status.in_(statuses))
    by_number, note = _person_match(q)
    query = query.where(by_number if by_number is not None else Villager.name.contains(q, autoescape=True))
    people = db.session.scalars(
        query.options(selectinload(Villager.household)).order_by(Villager.name, Villager.id).limit(limit)
    ).all()
    return list(people), note
