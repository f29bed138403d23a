"""The village's points rules catalogue (积分细则, P1): create, edit, stop and restart a rule.

A rule is a template for awards: ledger entries copy its category, item and points when they are
recorded, so editing or stopping a rule never changes the history already in the ledger.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select

from app.errors import ValidationError
from app.extensions import db
from app.models import PointsRule
from app.numbers import whole
from app.services import audit, vocab
from app.services.validators import clean_text
from app.services.vocab import MAX_POINTS

CAP_PERIODS = {"month": "每月", "year": "每年"}


@dataclass(frozen=True)
class RuleInput:
    category: str | None
    item: str | None
    points: int | str | None
    evidence_required: bool = False
    cap_points: int | str | None = None
    cap_period: str | None = None


def rules_of(village_ids: list[int], *, include_inactive: bool = True) -> list[PointsRule]:
    """The rules of these villages, by village, category and item (active ones first within a category)."""
    query = select(PointsRule).where(PointsRule.village_id.in_(village_ids))
    if not include_inactive:
        query = query.where(PointsRule.active.is_(True))
    # Within a category: rules in use first, awards before deductions, larger ones first.
    query = query.order_by(PointsRule.village_id, PointsRule.category, PointsRule.active.desc())
    return list(db.session.scalars(query.order_by(PointsRule.points.desc(), PointsRule.id)))


def by_category(rules: list[PointsRule]) -> list[tuple[str, list[PointsRule]]]:
    """Rules grouped under their category, categories in the order of the usual list, then the rest."""
    groups: dict[str, list[PointsRule]] = {}
    for rule in rules:
        groups.setdefault(rule.category, []).append(rule)
    known = [c for c in vocab.POINTS_CATEGORIES if c in groups]
    return [(c, groups[c]) for c in known + sorted(set(groups) - set(known))]


def category_choices(village_ids: list[int]) -> list[str]:
    """The usual categories plus any a village has made its own (for a suggestion list)."""
    own = db.session.scalars(select(PointsRule.category).where(PointsRule.village_id.in_(village_ids)).distinct())
    extra = sorted(set(own) - set(vocab.POINTS_CATEGORIES))
    return [*vocab.POINTS_CATEGORIES, *extra]


def create_rule(village_id: int, data: RuleInput, *, actor: str) -> PointsRule:
    """Add a rule to a village's catalogue."""
    fields = _clean(data)
    _refuse_duplicate(village_id, fields, None)
    rule = PointsRule(village_id=village_id, active=True, **fields)
    db.session.add(rule)
    db.session.flush()
    audit.record(actor, "rules.create", target=f"points_rule:{rule.id}", village_id=village_id, **fields)
    db.session.commit()
    return rule


def update_rule(rule: PointsRule, data: RuleInput, *, actor: str) -> PointsRule:
    """Change a rule; entries already recorded under it keep what they were given."""
    fields = _clean(data)
    _refuse_duplicate(rule.village_id, fields, rule.id)
    before = {k: getattr(rule, k) for k in fields}
    changed = {k: v for k, v in fields.items() if before[k] != v}
    if not changed:
        return rule
    for name, value in changed.items():
        setattr(rule, name, value)
    audit.record(
        actor, "rules.update", target=f"points_rule:{rule.id}", village_id=rule.village_id,
        before={k: before[k] for k in changed}, after=changed,
    )  # fmt: skip
    db.session.commit()
    return rule


def set_active(rule: PointsRule, active: bool, *, actor: str) -> PointsRule:
    """Stop a rule (it leaves the award form; its entries stay) or bring it back."""
    if rule.active == active:
        return rule
    if active:
        _refuse_duplicate(rule.village_id, {"category": rule.category, "item": rule.item}, rule.id)
    rule.active = active
    action = "rules.activate" if active else "rules.deactivate"
    audit.record(actor, action, target=f"points_rule:{rule.id}", village_id=rule.village_id, item=rule.item)
    db.session.commit()
    return rule


def _clean(data: RuleInput) -> dict:
    category = clean_text(data.category, "类别", "category", max_len=16, required=True)
    item = clean_text(data.item, "细则内容", "item", max_len=128, required=True)
    points = _int(data.points, "分值", "points", required=True)
    if points == 0:
        raise ValidationError("分值不能是0：加分填正数，扣分填负数。", field="points")
    if abs(points) > MAX_POINTS:
        raise ValidationError(f"分值最多{MAX_POINTS}分，请核对。", field="points")
    cap_points = _int(data.cap_points, "上限分值", "cap_points")
    cap_period = (data.cap_period or "").strip() or None
    if cap_points is None:
        cap_period = None  # a period alone means nothing
    else:
        if points < 0:
            raise ValidationError("扣分细则不设上限，请把上限留空。", field="cap_points")
        if cap_points < points:
            raise ValidationError(
                f"上限{cap_points}分比一次的分值{points}分还小，这条细则将永远加不上分。", field="cap_points"
            )
        if cap_period not in CAP_PERIODS:
            raise ValidationError("设了上限，请选择按月还是按年计算。", field="cap_period")
    return {
        "category": category,
        "item": item,
        "points": points,
        "evidence_required": bool(data.evidence_required),
        "cap_points": cap_points,
        "cap_period": cap_period,
    }


def _int(value, label: str, field: str, *, required: bool = False) -> int | None:
    text = str(value).strip() if value is not None else ""
    if not text:
        if required:
            raise ValidationError(f"请填写{label}。", field=field)
        return None
    number = whole(text, signed=True)
    if number is None:
        raise ValidationError(f"{label}要填整数，例如 5 或 -2。", field=field)
    return number


def _refuse_duplicate(village_id: int, fields: dict, rule_id: int | None) -> None:
    """Two active rules with the same category and item would make the award form ambiguous."""
    query = (
        select(func.count())
        .select_from(PointsRule)
        .where(
            PointsRule.village_id == village_id,
            PointsRule.active.is_(True),
            PointsRule.category == fields["category"],
            PointsRule.item == fields["item"],
        )
    )
    if rule_id is not None:
        query = query.where(PointsRule.id != rule_id)
    if db.session.scalar(query):
        raise ValidationError(f"“{fields['category']}”里已有“{fields['item']}”这一条，请直接修改那一条。", field="item")
