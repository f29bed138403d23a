"""The points ledger (P2, P4): award, deduct and reverse; append-only and idempotent.

Each entry updates the kept totals (household and member; all time, year, month) in the same
transaction, with an atomic upsert, so concurrent awards to one household never lose an update.
A retried request carries the same idempotency key and gets the entry stored the first time.
A rule's cap is checked and the entry inserted under the rule's lock (``locks``), so parallel
awards under one capped rule cannot all read "room left" and all insert. ``award_points`` says
whether it stored a new entry or found the one its key stored before (``AwardResult``), and asks
for a confirmation (``NeedsConfirmation``) before an award that looks like a slip (``points_checks``).
Many awards at once (a bulk award) go through ``points_many``.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from app.errors import Conflict, NotFound, ValidationError
from app.extensions import db
from app.models import Household, PhotoPurpose, PointsEntry, PointsRule, Villager
from app.services import audit, locks, page_cache, photos, points_checks, points_notices, vocab
from app.services.photos import CleanImage
from app.services.totals import add_many_to_totals
from app.services.validators import clean_past_date, clean_text
from app.services.vocab import MAX_POINTS


@dataclass(frozen=True)
class AwardInput:
    household_id: int
    points: int | str | None
    reason: str
    occurred_on: date | str
    recorded_by: str
    category: str | None = None
    villager_id: int | None = None
    place: str | None = None
    rule_id: int | None = None
    idempotency_key: str | None = None
    source: str = "cadre"
    confirmed: bool = False  # the cadre has seen and confirmed what ``NeedsConfirmation`` asked


@dataclass(frozen=True)
class AwardResult:
    """What ``award_points`` did: stored ``entry`` now (``created``) or found it stored by the same key."""

    entry: PointsEntry
    created: bool


class NeedsConfirmation(Conflict):
    """The award looks like a slip (the same award again, an unusual amount): nothing was stored;
    sent again with ``confirmed`` it is."""

    code = "confirm"


def award_points(data: AwardInput, evidence: Sequence[CleanImage] = ()) -> AwardResult:
    """Record an award (points > 0) or a deduction (points < 0). Safe to retry with the same key.

    ``evidence`` (photos already cleaned by ``photos.clean_uploads``) is stored with the entry in
    the same transaction; a rule marked "evidence required" refuses an award without it. Without
    ``confirmed``, the same award to the household under the same rule on the same day (a Back and
    submit, or two cadres) and an amount above the village's threshold raise ``NeedsConfirmation``.
    """
    key = clean_text(data.idempotency_key, "请求编号", "idempotency_key", max_len=64) or uuid.uuid4().hex
    lock_rules([data])  # before the key lookup: a twin request that stored first is then seen here
    existing = by_key(key)
    if existing is not None:
        return AwardResult(same_or_conflict(existing, data), created=False)
    cleaned = check_award(data, has_evidence=bool(evidence))
    if not data.confirmed:
        points_checks.ask_confirmation(cleaned, NeedsConfirmation)
    return _store(PointsEntry(idempotency_key=key, **cleaned), data, evidence)


def check_award(
    data: AwardInput, *, has_evidence: bool, check_cap: bool = True, categories: frozenset[str] | None = None
) -> dict:
    """The cleaned columns of an award, or the ``ValidationError`` it would meet; nothing is written."""
    cleaned = clean_award(data, check_cap=check_cap, categories=categories)
    if not has_evidence and cleaned["rule_id"] is not None:
        rule = db.session.get(PointsRule, cleaned["rule_id"])
        if rule.evidence_required:
            raise ValidationError(f"“{rule.item}”要求上传佐证照片，请至少附一张照片。", field="photos")
    return cleaned


def lock_rules(items: Sequence[AwardInput]) -> None:
    """Take the lock of every rule the awards name, until the transaction ends.

    One lock per rule (not per household): awards under one rule come at a cadre's pace, and a
    bulk award of a thousand households then takes one lock, not a thousand.
    """
    locks.hold_all(("points-rule", data.rule_id) for data in items if data.rule_id is not None)


def clean_award(data: AwardInput, *, check_cap: bool = True, categories: frozenset[str] | None = None) -> dict:
    """The columns of an award, checked; ``categories`` (the village's, when the caller has them)
    saves a query per award in a batch."""
    household = db.session.get(Household, data.household_id)
    if household is None:
        raise NotFound("没有这一户。")
    if household.status != "active":
        raise ValidationError("这一户已注销，不能再记分。", field="household_id")
    rule = None
    if data.rule_id is not None:
        rule = db.session.get(PointsRule, data.rule_id)
        if rule is None or rule.village_id != household.village_id or not rule.active:
            raise ValidationError("积分细则里没有这一条，或已停用。", field="rule_id")
    points = _clean_points(data.points if data.points not in (None, "") else (rule.points if rule else None))
    villager_id = None
    if data.villager_id is not None:
        person = db.session.get(Villager, data.villager_id)
        if person is None or person.household_id != household.id or not person.is_current:
            raise ValidationError("记分的成员必须是这一户在册的人。", field="villager_id")
        villager_id = person.id
    occurred_on = clean_past_date(data.occurred_on, "日期", "occurred_on")
    points_checks.refuse_before_household(household, occurred_on)
    if check_cap and rule is not None and rule.cap_points and points > 0:
        _check_cap(rule, household.id, occurred_on, points)
    category = clean_text(data.category or (rule.category if rule else None), "类别", "category", max_len=32)
    if category is None:
        raise ValidationError(f"请选择积分类别，例如：{'、'.join(vocab.POINTS_CATEGORIES[:4])}。", field="category")
    if rule is None:
        points_checks.refuse_unknown_category(household.village_id, category, categories)
    return {
        "village_id": household.village_id,
        "household_id": household.id,
        "villager_id": villager_id,
        "rule_id": rule.id if rule else None,
        "kind": "award" if points > 0 else "deduct",
        "points": points,
        "category": category,
        "reason": clean_text(
            data.reason or (rule.item if rule else None), "事由", "reason", max_len=255, required=True
        ),
        "place": clean_text(data.place, "地点", "place", max_len=64),
        "occurred_on": occurred_on,
        "source": clean_text(data.source, "来源", "source", max_len=16) or "cadre",
        "recorded_by": clean_text(data.recorded_by, "记分人", "recorded_by", max_len=64, required=True),
    }


def _check_cap(rule: PointsRule, household_id: int, day: date, points: int) -> None:
    """A rule may give one household at most ``cap_points`` per month or year (P1).

    The sum is read under the rule's lock, held until the entry is committed (or a preview's
    request ends), so it counts every award that got in before this one.
    """
    locks.hold("points-rule", rule.id)
    start, end = cap_window(rule, day)
    so_far = db.session.scalar(
        select(func.coalesce(func.sum(PointsEntry.points), 0)).where(
            PointsEntry.household_id == household_id,
            PointsEntry.rule_id == rule.id,
            PointsEntry.occurred_on >= start,
            PointsEntry.occurred_on < end,
        )
    )
    refuse_over_cap(rule, so_far, points)


def cap_window(rule: PointsRule, day: date) -> tuple[date, date]:
    """The month or year (``[start, end)``) a capped rule's cap counts ``day`` in."""
    if rule.cap_period == "month":
        start = day.replace(day=1)
        return start, (start + timedelta(days=32)).replace(day=1)
    return date(day.year, 1, 1), date(day.year + 1, 1, 1)


def refuse_over_cap(rule: PointsRule, so_far: int, points: int) -> None:
    if so_far + points > rule.cap_points:
        period = "本月" if rule.cap_period == "month" else "本年"
        raise ValidationError(
            f"“{rule.item}”{period}每户最多{rule.cap_points}分，这一户已得{so_far}分，不能再加{points}分。",
            field="points",
        )


def _clean_points(value) -> int:
    try:
        points = int(str(value).strip())
    except (TypeError, ValueError):
        raise ValidationError("分值要填整数，例如 5 或 -2。", field="points") from None
    if points == 0:
        raise ValidationError("分值不能是0。", field="points")
    if abs(points) > MAX_POINTS:
        raise ValidationError(f"一次最多加减{MAX_POINTS}分，请核对分值。", field="points")
    return points


def reverse_entry(entry_id: int, *, reason: str, recorded_by: str, idempotency_key: str | None = None) -> PointsEntry:
    """Correct a mistaken entry with an opposite entry pointing at it (never edit or delete)."""
    original = db.session.get(PointsEntry, entry_id)
    if original is None:
        raise NotFound("没有这条积分记录。")
    key = clean_text(idempotency_key, "请求编号", "idempotency_key", max_len=64) or f"reverse:{entry_id}"
    existing = by_key(key) or db.session.scalar(select(PointsEntry).where(PointsEntry.reverses_id == entry_id))
    if existing is not None:
        if existing.reverses_id == entry_id:
            return existing  # the same correction asked for again
        raise Conflict("这个请求编号已用于另一笔记录。")
    if original.kind == "reversal":
        raise ValidationError("这条本身就是更正记录，不能再撤销。", field="entry_id")
    entry = PointsEntry(
        idempotency_key=key,
        village_id=original.village_id,
        household_id=original.household_id,
        villager_id=original.villager_id,
        rule_id=original.rule_id,
        kind="reversal",
        points=-original.points,
        category=original.category,
        reason=clean_text(reason, "撤销原因", "reason", max_len=255, required=True),
        place=original.place,
        occurred_on=original.occurred_on,  # counts in the same month as the mistake it undoes
        reverses_id=original.id,
        source="correction",
        recorded_by=clean_text(recorded_by, "记分人", "recorded_by", max_len=64, required=True),
    )
    return _store(entry, None).entry


def reverse_once(entry_id: int, *, reason: str, recorded_by: str, idempotency_key: str) -> PointsEntry:
    """``reverse_entry`` for a person at a form: the same form sent twice reverses once and says
    nothing, but a second, separate request to reverse an entry is refused with who did it first."""
    done = db.session.scalar(select(PointsEntry).where(PointsEntry.reverses_id == entry_id))
    if done is not None and done.idempotency_key != idempotency_key:
        raise Conflict(
            f"这条记录已于{done.recorded_at:%Y-%m-%d}由{done.recorded_by}撤销（原因：{done.reason}），不能重复撤销。"
        )
    return reverse_entry(entry_id, reason=reason, recorded_by=recorded_by, idempotency_key=idempotency_key)


def by_key(key: str) -> PointsEntry | None:
    return db.session.scalar(select(PointsEntry).where(PointsEntry.idempotency_key == key))


def same_or_conflict(
    existing: PointsEntry, data: AwardInput | None, categories: frozenset[str] | None = None
) -> PointsEntry:
    """The entry a key stored, if ``data`` asks for that same entry; else the key was reused: ``Conflict``."""
    if data is None:
        return existing
    # The stored entry itself may have reached the cap; and its category was checked when stored.
    asked = clean_award(data, check_cap=False, categories=categories or frozenset({existing.category}))
    stored = {k: getattr(existing, k) for k in asked}
    if stored != asked:
        raise Conflict("这个请求编号已用于另一笔不同的记分，未重复记入。")
    return existing


def _store(entry: PointsEntry, data: AwardInput | None, evidence: Sequence[CleanImage] = ()) -> AwardResult:
    try:
        db.session.add(entry)
        db.session.flush()
        _follow_up(entry, evidence)
        db.session.commit()
    except IntegrityError:
        # A concurrent request with the same key (or reversal) won the race: return its entry.
        db.session.rollback()
        winner = by_key(entry.idempotency_key)
        if winner is None and entry.reverses_id is not None:
            winner = db.session.scalar(select(PointsEntry).where(PointsEntry.reverses_id == entry.reverses_id))
        if winner is None:
            raise
        return AwardResult(same_or_conflict(winner, data), created=False)
    page_cache.bump_village(entry.village_id)
    return AwardResult(entry, created=True)


def _follow_up(entry: PointsEntry, evidence: Sequence[CleanImage]) -> None:
    """What goes with every new (flushed) entry in its transaction: totals, photos, notice, audit."""
    follow_up_many([entry])
    for image in evidence:
        photos.store(
            image, village_id=entry.village_id, purpose=PhotoPurpose.EVIDENCE, uploaded_by=entry.recorded_by,
            household_id=entry.household_id, villager_id=entry.villager_id, points_entry_id=entry.id,
        )  # fmt: skip
    audit_entry(entry, photos=len(evidence))


def follow_up_many(entries: Sequence[PointsEntry]) -> None:
    """Totals and 积分到账 notices of new (flushed) entries: a fixed number of statements for any count.

    Their households must be in the session already (the caller loaded them to check the awards).
    """
    households = [db.session.get(Household, entry.household_id) for entry in entries]
    add_many_to_totals([(entry, household.group_id) for entry, household in zip(entries, households, strict=True)])
    points_notices.notify_entries(list(zip(entries, households, strict=True)))  # in the same transaction


def audit_entry(entry: PointsEntry, *, photos: int = 0) -> None:
    audit.record_many([audit_row(entry, photos=photos)])


def audit_row(entry: PointsEntry, *, photos: int = 0) -> dict:
    """The audit row of a new entry (for ``audit.record_many``)."""
    household = db.session.get(Household, entry.household_id)
    return {
        "actor": entry.recorded_by, "action": f"points.{entry.kind}", "target": f"points_entry:{entry.id}",
        "village_id": entry.village_id,
        "detail": {"household": household.number, "points": entry.points, "rule_id": entry.rule_id,
                   "photos": photos, "reverses": entry.reverses_id},
    }  # fmt: skip
