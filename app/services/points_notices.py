"""积分到账 (W4): tell every bound current member of a household about a points entry.

Called by the points ledger inside the transaction that stores the entry, so the notices commit
or roll back with it; the outbox hands them to a worker after commit. The dedupe key names the
entry and the person, so a retried award (same idempotency key) never makes a second notice.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
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
    return notify_entries([(entry, household)])


def notify_entries(pairs: Sequence[tuple[PointsEntry, Household]]) -> int:
    """``notify_household`` for many entries at once (a bulk award): a fixed handful of queries
    (recipients, year totals, plaque codes, stored notices) whatever the number of households."""
    household_ids = list({household.id for _, household in pairs})
    recipients = _bound_members(household_ids)
    pairs = [(entry, household) for entry, household in pairs if recipients.get(household.id)]
    if not pairs:
        return 0
    years = _year_totals(household_ids, {entry.occurred_on.year for entry, _ in pairs})
    codes_of = codes.active_codes(household_ids)
    base = current_app.config["PUBLIC_BASE_URL"]
    notices = []
    for entry, household in pairs:
        village = db.session.get(Region, household.village_id)  # one village per batch: the identity map
        label = f"{village.name}{household.number}户"
        year_total = years.get((household.id, entry.occurred_on.year), 0)
        what = _what(entry)
        signed = f"{entry.points:+d}"
        member = db.session.get(Villager, entry.villager_id).name if entry.villager_id else None
        who = f"{label}{member}" if member else label
        year_word = "本年" if entry.occurred_on.year == clock.today().year else f"{entry.occurred_on.year}年"
        body = f"{who}：{signed}分（{what}），{year_word}共{year_total}分。"
        code = codes_of.get(household.id)
        link = f"{base}/h/{code}" if code else None
        data = {
            # Keys are the typed keywords of the WeChat templates (thing ≤ 20 characters, free text;
            # character_string ≤ 32, ASCII only, so "+5" not "+5分"; date); push fits each value to
            # its type when sending.
            "thing1": what,
            "character_string2": signed,
            "thing3": label,
            "date4": _date_words(entry.occurred_on),
            "character_string5": str(year_total),
        }
        title = TITLES.get(entry.kind, "积分变动")
        notices += [
            outbox.Notice(villager_id, KIND, title, body, f"points:{entry.id}:{villager_id}", household.id, data, link)
            for villager_id in recipients[household.id]
        ]
    outbox.notify_many(notices)
    db.session.flush()
    return len(notices)


def _bound_members(household_ids: list[int]) -> dict[int, list[int]]:
    """Current members of each household with at least one bound WeChat identity."""
    rows = db.session.execute(
        select(Villager.household_id, Villager.id)
        .join(WechatIdentity, WechatIdentity.villager_id == Villager.id)
        .where(Villager.household_id.in_(household_ids), Villager.status == "current")
        .distinct()
        .order_by(Villager.household_id, Villager.id)
    )
    members: dict[int, list[int]] = defaultdict(list)
    for household_id, villager_id in rows:
        members[household_id].append(villager_id)
    return members


def _what(entry: PointsEntry) -> str:
    """What the entry is for; a reversal names the entry it corrects."""
    if entry.kind != "reversal" or entry.reverses_id is None:
        return entry.reason
    original = db.session.get(PointsEntry, entry.reverses_id)
    return f"更正：{original.reason}（{entry.reason}）"


def _year_totals(household_ids: list[int], years: set[int]) -> dict[tuple[int, int], int]:
    """The households' kept totals for the entries' years (already including the entries)."""
    rows = db.session.execute(
        select(PointsTotal.subject_id, PointsTotal.period, PointsTotal.points).where(
            PointsTotal.subject == "household",
            PointsTotal.subject_id.in_(household_ids),
            PointsTotal.period.in_([str(year) for year in years]),
        )
    )
    return {(household_id, int(period)): points for household_id, period, points in rows}


def _date_words(day: date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"
