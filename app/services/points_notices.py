"""积分到账 (W4): tell every bound current member of a household about a points entry.

Called by the points ledger inside the transaction that stores the entry, so the notices commit
or roll back with it; the outbox hands them to a worker after commit. The dedupe key names the
entry and the person, so a retried award (same idempotency key) never makes a second notice.
"""

from __future__ import annotations

from datetime import date

from flask import current_app
from sqlalchemy import select

from app.extensions import db
from app.models import Household, PointsEntry, PointsTotal, Region, Villager, WechatIdentity
from app.services import clock, codes, outbox

KIND = "points_awarded"
TITLES = {"award": "积分到账", "deduct": "积分扣减", "reversal": "积分更正"}


def notify_household(entry: PointsEntry, household: Household) -> int:
    """Add one notice per bound current member for ``entry`` (flushed); returns how many."""
    recipients = _bound_members(household.id)
    if not recipients:
        return 0
    village = db.session.get(Region, household.village_id)
    label = f"{village.name}{household.number}户"
    year_total = _year_total(household.id, entry.occurred_on)
    what = _what(entry)
    signed = f"{entry.points:+d}"
    member = db.session.get(Villager, entry.villager_id).name if entry.villager_id else None
    who = f"{label}{member}" if member else label
    year_word = "本年" if entry.occurred_on.year == clock.today().year else f"{entry.occurred_on.year}年"
    body = f"{who}：{signed}分（{what}），{year_word}共{year_total}分。"
    code = codes.active_code(household.id)
    link = f"{current_app.config['PUBLIC_BASE_URL']}/h/{code}" if code else None
    data = {
        # Keys are the typed keywords of the WeChat templates (thing ≤ 20 characters, free text;
        # character_string ≤ 32, ASCII only, so "+5" not "+5分"; date); push fits each value to its
        # type when sending.
        "thing1": what,
        "character_string2": signed,
        "thing3": label,
        "date4": _date_words(entry.occurred_on),
        "character_string5": str(year_total),
    }
    for villager_id in recipients:
        outbox.notify(
            villager_id, KIND, TITLES.get(entry.kind, "积分变动"), body,
            dedupe_key=f"points:{entry.id}:{villager_id}", household_id=household.id, data=data, link=link,
        )  # fmt: skip
    db.session.flush()
    return len(recipients)


def _bound_members(household_id: int) -> list[int]:
    """Current members of the household with at least one bound WeChat identity."""
    return list(
        db.session.scalars(
            select(Villager.id)
            .join(WechatIdentity, WechatIdentity.villager_id == Villager.id)
            .where(Villager.household_id == household_id, Villager.status == "current")
            .distinct()
            .order_by(Villager.id)
        )
    )


def _what(entry: PointsEntry) -> str:
    """What the entry is for; a reversal names the entry it corrects."""
    if entry.kind != "reversal" or entry.reverses_id is None:
        return entry.reason
    original = db.session.get(PointsEntry, entry.reverses_id)
    return f"更正：{original.reason}（{entry.reason}）"


def _year_total(household_id: int, day: date) -> int:
    """The household's kept total for the entry's year (already including the entry)."""
    total = db.session.scalar(
        select(PointsTotal.points).where(
            PointsTotal.subject == "household",
            PointsTotal.subject_id == household_id,
            PointsTotal.period == f"{day.year}",
        )
    )
    return total or 0


def _date_words(day: date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"
