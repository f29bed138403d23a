"""Register statistics (R8): each village's counts kept in ``register_stats``.

A village (about 2,000 people) is recounted from its own rows after every commit that changed
one of its households or villagers, and every night (age bands move with the calendar). Charts
and dashboards then read a few hundred stat rows (``statistics_rollup``) and never scan the
register or the ledger in a request.
"""

from __future__ import annotations

import logging
import re
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, date

from sqlalchemy import delete, event, func, insert, inspect, select
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session

from app.extensions import db
from app.models import Household, Region, RegionLevel, RegisterStat, Villager
from app.privacy import age_on
from app.services import clock, dispatch, vocab

log = logging.getLogger(__name__)

REFRESH_TASK = "stats.refresh"
UNSET = "未填"
MIGRANT_STATUSES = frozenset({"务工", "外出务工"})
SKILL_SEPARATORS = re.compile(r"[,，、;；/\s]+")
AGE_BANDS = ((6, "0-6岁"), (17, "7-17岁"), (35, "18-35岁"), (59, "36-59岁"), (79, "60-79岁"), (None, "80岁及以上"))
HOUSEHOLD_SIZES = ("1人户", "2人户", "3人户", "4人户", "5人户", "6人及以上")
# A queued refresh is skipped when a refresh that started this long after it was queued has
# already run (it saw the change); the margin covers clock differences between servers.
CLOCK_MARGIN_SECONDS = 2.0


@dataclass(frozen=True)
class Dimension:
    """One chart's worth of buckets: what it counts (户 or 人) and how it is drawn."""

    key: str
    title: str
    unit: str  # 户 | 人
    chart: str  # bar | pie
    order: tuple[str, ...] = ()  # buckets in this order first; any others follow, largest first
    note: str = ""


DIMENSIONS: tuple[Dimension, ...] = (
    Dimension("household_size", "家庭人口规模", "户", "bar", HOUSEHOLD_SIZES),
    Dimension("household_category", "户类别", "户", "pie", vocab.HOUSEHOLD_CATEGORIES),
    Dimension("living_environment", "人居环境", "户", "pie", vocab.LIVING_ENVIRONMENTS),
    Dimension("age_band", "年龄结构", "人", "bar", tuple(label for _, label in AGE_BANDS)),
    Dimension("gender", "性别", "人", "pie", vocab.GENDERS),
    Dimension("education", "文化程度", "人", "bar", vocab.EDUCATIONS),
    Dimension("political_status", "政治面貌", "人", "pie", vocab.POLITICAL_STATUSES),
    Dimension("health", "健康状况", "人", "bar", vocab.HEALTH),
    Dimension("work_status", "就业状况", "人", "bar", vocab.WORK_STATUSES),
    Dimension("migrant_place", "外出务工去向", "人", "bar", note="就业状况为“务工”的人，按务工地点"),
    Dimension("skills", "技能特长", "人", "bar", note="一人有几门技能时每门各算一次"),
)
TOTAL = "total"  # buckets "households" and "people"


def age_band(birth_date: date | None, today: date) -> str:
    if birth_date is None:
        return UNSET
    age = age_on(birth_date, today)  # by month, like every age shown: a band change gives no day away
    return next(label for top, label in AGE_BANDS if top is None or age <= top)


def split_skills(text: str | None) -> set[str]:
    """Skills as a set, e.g. 木工、泥瓦匠 → {木工, 泥瓦匠}: the register keeps them as free text."""
    return {s[:64] for s in SKILL_SEPARATORS.split(text or "") if s}


def count_village(village_id: int, today: date) -> Counter:
    """(dimension, bucket) → count for one village's active households and current people."""
    households = db.session.execute(
        select(Household.id, Household.category, Household.living_environment).where(
            Household.village_id == village_id, Household.status == "active"
        )
    ).all()
    people = db.session.execute(
        select(
            Villager.household_id, Villager.gender, Villager.birth_date, Villager.education,
            Villager.political_status, Villager.health, Villager.skills, Villager.work_status, Villager.work_place,
        ).where(Villager.village_id == village_id, Villager.status == "current")
    ).all()  # fmt: skip
    counts: Counter = Counter({(TOTAL, "households"): len(households), (TOTAL, "people"): len(people)})
    size_of = Counter(p.household_id for p in people)
    for h in households:
        if size_of[h.id]:
            counts[("household_size", HOUSEHOLD_SIZES[min(size_of[h.id], 6) - 1])] += 1
        counts[("household_category", h.category or UNSET)] += 1
        counts[("living_environment", h.living_environment or UNSET)] += 1
    for p in people:
        counts[("age_band", age_band(p.birth_date, today))] += 1
        for key in ("gender", "education", "political_status", "health", "work_status"):
            counts[(key, getattr(p, key) or UNSET)] += 1
        if p.work_status in MIGRANT_STATUSES:
            counts[("migrant_place", (p.work_place or "").strip()[:64] or UNSET)] += 1
        for skill in split_skills(p.skills):
            counts[("skills", skill)] += 1
    return counts


def refresh_village(village_id: int, *, queued_at: float | None = None, today: date | None = None) -> bool:
    """Recount one village and replace its stat rows in one transaction.

    ``queued_at`` (epoch seconds) is when the change that asked for this was handed off; if a
    refresh has started since then it already saw the change, and this one is skipped. Returns
    whether the rows were rewritten.
    """
    for attempt in range(3):
        try:
            return _replace(village_id, queued_at, today or clock.today())
        except (IntegrityError, OperationalError):
            # Two refreshes of one village at once on SQLite (no row locks): the later one retries.
            db.session.rollback()
            if attempt == 2:
                raise
    return False  # pragma: no cover


def _replace(village_id: int, queued_at: float | None, today: date) -> bool:
    started = clock.now()
    # Refreshes of one village take turns. NO KEY UPDATE, so inserts that merely reference the
    # village (households, ledger entries) are not held up meanwhile.
    village = select(Region.id).where(Region.id == village_id, Region.level == RegionLevel.VILLAGE)
    region = db.session.scalar(village.with_for_update(key_share=True))
    if region is None:
        db.session.rollback()
        return False
    if queued_at is not None and (last := _last_computed(village_id)) is not None:
        if last.timestamp() > queued_at + CLOCK_MARGIN_SECONDS:
            db.session.rollback()
            return False
    counts = count_village(village_id, today)
    db.session.execute(delete(RegisterStat).where(RegisterStat.village_id == village_id))
    rows = [
        {"village_id": village_id, "dimension": dim, "bucket": bucket, "count": n, "computed_at": started}
        for (dim, bucket), n in counts.items()
        if n or dim == TOTAL
    ]
    db.session.execute(insert(RegisterStat), rows)
    db.session.commit()
    return True


def _last_computed(village_id: int):
    last = db.session.scalar(select(func.max(RegisterStat.computed_at)).where(RegisterStat.village_id == village_id))
    if last is not None and last.tzinfo is None:  # SQLite hands back naive UTC
        last = last.replace(tzinfo=UTC)
    return last


def refresh_all(today: date | None = None) -> int:
    """Recount every village, one transaction each (the nightly job). Returns how many."""
    village_ids = db.session.scalars(select(Region.id).where(Region.level == RegionLevel.VILLAGE)).all()
    db.session.rollback()
    done = 0
    for village_id in village_ids:
        try:
            done += refresh_village(village_id, today=today)
        except Exception:  # one broken village must not stop the others' night
            db.session.rollback()
            log.exception("statistics of village %s could not be refreshed", village_id)
    return done


# --- keeping them fresh: after a commit that changed the register, recount the villages it touched


_KEY = "stats_villages"


@event.listens_for(Session, "after_flush")
def _collect(session: Session, _context) -> None:
    touched: set[int] = set()
    for obj in (*session.new, *session.dirty, *session.deleted):
        if isinstance(obj, Household | Villager):
            touched.add(obj.village_id)
            touched.update(inspect(obj).attrs.village_id.history.deleted or ())  # moved from
    touched.discard(None)
    if touched:
        session.info.setdefault(_KEY, set()).update(touched)


@event.listens_for(Session, "after_commit")
def _hand_off(session: Session) -> None:
    villages = session.info.pop(_KEY, None)
    if villages:
        queued_at = clock.timestamp()
        for village_id in sorted(villages):
            dispatch.send(REFRESH_TASK, village_id, queued_at)


@event.listens_for(Session, "after_rollback")
def _forget(session: Session) -> None:
    session.info.pop(_KEY, None)
