"""Checks of an award beyond its fields' format (P2): what a cadre at a form gets wrong.

Refused outright: a date before the household was registered, and a free-text category that is
neither one of the usual ones nor one of the village's rules (a typo would split a category's
totals and the 积分榜). Asked to confirm (``ask_confirmation``): the same award to the household
under the same rule (or, without a rule, for the same reason) on the same day, which is what going
Back and submitting again, or two cadres recording one good deed, looks like; and an amount above
the village's ``points_confirm_above`` setting (村务设置).
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import exists, select
from sqlalchemy.orm import aliased

from app.errors import AppError, ValidationError
from app.extensions import db
from app.models import Household, PointsEntry, PointsRule
from app.services import clock, village_settings, vocab

CONFIRM_HINT = "如确实要记这一笔，请勾选“我已核对，确认记入”后再提交。"


def registered_on(household: Household) -> date:
    """The day the household entered the register, on the villages' calendar."""
    return household.created_at.astimezone(clock.VILLAGE_TZ).date()


def refuse_before_household(household: Household, day: date) -> None:
    start = registered_on(household)
    if day < start:
        raise ValidationError(
            f"{household.number}户是{start:%Y-%m-%d}建档的，不能记在这之前（{day:%Y-%m-%d}）的分，请核对日期。",
            field="occurred_on",
        )


def village_categories(village_id: int) -> frozenset[str]:
    """The categories an award may have: the usual ones and those of the village's rules."""
    own = db.session.scalars(select(PointsRule.category).where(PointsRule.village_id == village_id).distinct())
    return frozenset(vocab.POINTS_CATEGORIES) | frozenset(own)


def refuse_unknown_category(village_id: int, category: str, known: frozenset[str] | None = None) -> None:
    known = known if known is not None else village_categories(village_id)
    if category not in known:
        usual = "、".join(vocab.POINTS_CATEGORIES)
        raise ValidationError(
            f"没有“{category}”这个积分类别。请从列表里选一个：{usual}，或本村积分细则里的类别。", field="category"
        )


def ask_confirmation(cleaned: dict, error: type[AppError]) -> None:
    """Raise ``error`` naming every reason to look again, if there is any."""
    reasons = []
    threshold = village_settings.setting(cleaned["village_id"], "points_confirm_above")
    if abs(cleaned["points"]) > threshold:
        reasons.append(f"这一笔是{cleaned['points']:+d}分，超过了本村设定的{threshold}分，请核对分值。")
    twin = same_award_that_day(cleaned)
    if twin is not None:
        who = f"{twin.recorded_by}已于{twin.recorded_at.astimezone(clock.VILLAGE_TZ):%m月%d日%H:%M}"
        reasons.append(
            f"{who}给这一户记过一笔同样的分（{twin.occurred_on:%Y-%m-%d}，{twin.reason}，{twin.points:+d}分），"
            "这次可能是重复提交。"
        )
    if reasons:
        raise error("".join(reasons) + CONFIRM_HINT, field="confirmed")


def same_award_that_day(cleaned: dict) -> PointsEntry | None:
    """A standing (not reversed) entry of the household for the same rule or reason on the same day."""
    return db.session.scalar(
        _standing_twins(cleaned, [cleaned["household_id"]]).order_by(PointsEntry.id.desc()).limit(1)
    )


def households_awarded_that_day(cleaned: dict, household_ids: list[int]) -> set[int]:
    """Which of the households already have the same award that day (a bulk preview's repeats)."""
    if not household_ids:
        return set()
    query = _standing_twins(cleaned, household_ids).with_only_columns(PointsEntry.household_id).distinct()
    return set(db.session.scalars(query))


def _standing_twins(cleaned: dict, household_ids: list[int]):
    reversal = aliased(PointsEntry)
    same = (
        PointsEntry.rule_id == cleaned["rule_id"]
        if cleaned["rule_id"] is not None
        else PointsEntry.rule_id.is_(None) & (PointsEntry.reason == cleaned["reason"])
    )
    return select(PointsEntry).where(
        PointsEntry.household_id.in_(household_ids),
        PointsEntry.occurred_on == cleaned["occurred_on"],
        PointsEntry.kind != "reversal",
        same,
        ~exists().where(reversal.reverses_id == PointsEntry.id),
    )
