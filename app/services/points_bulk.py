"""Bulk award for a group event (P2): one rule or reason, many households, all or nothing.

A cadre picks the households (whole villager groups and/or a list of household numbers),
previews the batch with every household that would be refused named, then confirms. The
confirmed batch is exactly the households previewed; each gets an idempotency key derived from
the batch key, so a resubmitted confirmation awards nobody twice.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import select

from app.errors import AppError, ValidationError
from app.extensions import db
from app.models import Household, PointsEntry, PointsRule, Region
from app.services import points, points_checks, points_many
from app.services.scope import Scope

MAX_HOUSEHOLDS = 1000
_SEPARATORS = re.compile(r"[\s,，、;；]+")


@dataclass(frozen=True)
class BulkInput:
    village_id: int
    recorded_by: str
    occurred_on: date | str | None
    rule_id: int | None = None
    points: int | str | None = None
    category: str | None = None
    reason: str | None = None
    place: str | None = None
    group_ids: tuple[int, ...] = ()
    numbers: str = ""  # household numbers as typed: spaces, commas or new lines between them
    household_ids: tuple[int, ...] = ()  # at confirmation: the households previewed
    batch_key: str | None = None


@dataclass
class BulkPlan:
    village: Region
    households: list[Household]
    rule: PointsRule | None
    points: int
    category: str
    reason: str
    occurred_on: date
    problems: dict[int, str] = field(default_factory=dict)  # household id → why it would be refused
    # Households that already have this award that day (a Back and preview again, or a second
    # cadre): shown unticked, so only a cadre who ticks them again awards them twice.
    repeats: set[int] = field(default_factory=set)

    @property
    def ready(self) -> list[Household]:
        return [h for h in self.households if h.id not in self.problems]

    @property
    def total(self) -> int:
        return self.points * len(self.ready)


def plan(scope: Scope, data: BulkInput) -> BulkPlan:
    """Resolve and check the batch without writing anything."""
    village = scope.village(data.village_id)
    households = _chosen(scope, village, data)
    rule = _rule(village, data.rule_id)
    cleaned = None
    problems: dict[int, str] = {}
    known = points_checks.village_categories(village.id)
    for household in households:
        try:
            cleaned = points.check_award(_award_input(data, household, ""), has_evidence=False, categories=known)
        except AppError as error:
            problems[household.id] = error.message
    if cleaned is None:  # every household refused, usually for one shared reason (points, date …)
        raise ValidationError(next(iter(problems.values())))
    repeats = points_checks.households_awarded_that_day(cleaned, [h.id for h in households if h.id not in problems])
    return BulkPlan(
        village=village, households=households, rule=rule, points=cleaned["points"], category=cleaned["category"],
        reason=cleaned["reason"], occurred_on=cleaned["occurred_on"], problems=problems, repeats=repeats,
    )  # fmt: skip


def award(scope: Scope, data: BulkInput) -> list[PointsEntry]:
    """Award every previewed household in one transaction; one refusal stores nothing."""
    if not data.batch_key or not re.fullmatch(r"[0-9a-f]{32}", data.batch_key):
        raise ValidationError("页面已过期，请重新预览后再确认。")
    village = scope.village(data.village_id)
    if not data.household_ids:
        raise ValidationError("请先预览，再确认发放。")
    wanted = list(dict.fromkeys(data.household_ids))
    db.session.scalars(select(Household).where(Household.id.in_(wanted))).all()  # one query, not one per household
    households = [scope.household(hid) for hid in wanted]  # each from the session, checked against the scope
    if any(h.village_id != village.id for h in households):
        raise ValidationError("一次只能给同一个村的户发放。")
    _rule(village, data.rule_id)
    if len(households) > MAX_HOUSEHOLDS:
        raise ValidationError(f"一批最多{MAX_HOUSEHOLDS}户，请分几批发放。")
    # Every entry is audited by the ledger; the shared key prefix ties the batch together.
    return points_many.award_many([_award_input(data, h, f"bulk:{data.batch_key}:{h.id}") for h in households])


def _chosen(scope: Scope, village: Region, data: BulkInput) -> list[Household]:
    numbers = parse_numbers(data.numbers)
    if not numbers and not data.group_ids:
        raise ValidationError("请勾选村民小组，或填写户号。", field="households")
    query = scope.households_query().where(Household.village_id == village.id, Household.status == "active")
    found: dict[int, Household] = {}
    if data.group_ids:
        for h in db.session.scalars(query.where(Household.group_id.in_(data.group_ids))):
            found[h.id] = h
    if numbers:
        by_number = {h.number: h for h in db.session.scalars(query.where(Household.number.in_(set(numbers))))}
        missing = [n for n in numbers if n not in by_number]
        if missing:
            shown = "、".join(missing[:10]) + ("等" if len(missing) > 10 else "")
            raise ValidationError(
                f"{village.name}没有这些在册户号：{shown}。请核对后再预览，这一批一户都没有发放。", field="numbers"
            )
        found.update({h.id: h for h in by_number.values()})
    if not found:
        raise ValidationError("勾选的小组里没有在册的户。", field="households")
    if len(found) > MAX_HOUSEHOLDS:
        raise ValidationError(f"一批最多{MAX_HOUSEHOLDS}户，请分几批发放。", field="households")
    return sorted(found.values(), key=lambda h: (h.group_id, h.number))


def _rule(village: Region, rule_id: int | None) -> PointsRule | None:
    if rule_id is None:
        return None
    rule = db.session.get(PointsRule, rule_id)
    if rule is None or rule.village_id != village.id or not rule.active:
        raise ValidationError("积分细则里没有这一条，或已停用。", field="rule_id")
    if rule.evidence_required:
        raise ValidationError(f"“{rule.item}”要求每户附佐证照片，不能批量发放，请逐户发放。", field="rule_id")
    return rule


def _award_input(data: BulkInput, household: Household, key: str) -> points.AwardInput:
    return points.AwardInput(
        household_id=household.id, points=data.points, reason=data.reason or "", category=data.category,
        occurred_on=data.occurred_on, recorded_by=data.recorded_by, place=data.place, rule_id=data.rule_id,
        idempotency_key=key, source="cadre",
    )  # fmt: skip


def parse_numbers(raw: str | None) -> list[str]:
    """Household numbers typed in a box, in order, without repeats."""
    return list(dict.fromkeys(n for n in _SEPARATORS.split(raw or "") if n))
