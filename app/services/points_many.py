"""Many awards in one transaction (a group event, P2): all are stored, or none.

A batch costs a fixed number of statements whatever its size (about a dozen: the rule lock, one
key lookup, the households, one cap sum per capped rule, one insert of the entries, one totals
upsert, the notices' recipients, totals, codes and stored keys, one insert of the notices and one
of the audit rows), not a handful per household: a thousand-household batch would otherwise run
six thousand statements while holding the rule's lock.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import date

from sqlalchemy import func, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from app.errors import AppError
from app.extensions import db
from app.models import Household, PointsEntry, PointsRule
from app.services import audit, page_cache, points, points_checks
from app.services.validators import clean_text


def award_many(items: Sequence[points.AwardInput]) -> list[PointsEntry]:
    """Store every award, or none; each item needs its own idempotency key, so a retried batch
    returns the entries it stored the first time. An error names the household it is about."""
    try:
        points.lock_rules(items)
        # Held here until the commit: the session keeps loaded rows only while something refers
        # to them, and each later ``session.get`` would otherwise load a household or rule again.
        households, rules = _load(items)
        entries, fresh = _prepare(items, households, rules)
        if not fresh:
            return entries
        # One multi-row INSERT and one read back (ids for the notices and the audit), rather than
        # the unit of work's one INSERT … RETURNING per row.
        db.session.execute(insert(PointsEntry), fresh)
        stored = _stored([row["idempotency_key"] for row in fresh])
        entries = [stored[e] if isinstance(e, str) else e for e in entries]
        fresh = [stored[row["idempotency_key"]] for row in fresh]
        points.follow_up_many(fresh)
        audit.record_many([points.audit_row(entry) for entry in fresh])
        villages = {entry.village_id for entry in fresh}  # read before the commit expires the entries
        db.session.commit()
    except AppError:
        db.session.rollback()
        raise
    except IntegrityError:
        # The same batch submitted twice at once: the other request stored it; return its entries.
        db.session.rollback()
        stored = _stored([data.idempotency_key for data in items])
        if any(data.idempotency_key not in stored for data in items):
            raise
        return [stored[data.idempotency_key] for data in items]
    for village_id in villages:
        page_cache.bump_village(village_id)
    return entries


def _load(items: Sequence[points.AwardInput]) -> tuple[dict[int, Household], dict[int, PointsRule]]:
    """The batch's households (with their villages) and rules, one query each."""
    households = {
        h.id: h
        for h in db.session.scalars(
            select(Household)
            .options(joinedload(Household.village))
            .where(Household.id.in_({d.household_id for d in items}))
        )
    }
    rule_ids = {d.rule_id for d in items if d.rule_id is not None}
    rules = (
        {r.id: r for r in db.session.scalars(select(PointsRule).where(PointsRule.id.in_(rule_ids)))} if rule_ids else {}
    )
    return households, rules


def _prepare(
    items: Sequence[points.AwardInput], households: dict[int, Household], rules: dict[int, PointsRule]
) -> tuple[list, list[dict]]:
    """Every item's stored entry (or the key of its new one, in order) and the new ones' columns, checked."""
    categories = {village_id: points_checks.village_categories(village_id) for village_id in _villages(households)}
    keys = []
    for data in items:
        with _naming(households.get(data.household_id)):
            keys.append(clean_text(data.idempotency_key, "请求编号", "idempotency_key", max_len=64, required=True))
    stored = _stored(keys)
    entries, fresh = [], []
    for data, key in zip(items, keys, strict=True):
        household = households.get(data.household_id)
        known = categories.get(household.village_id) if household else None
        with _naming(household):
            if key in stored:
                entries.append(points.same_or_conflict(stored[key], data, known))
                continue
            # Caps are checked for the whole batch at once, below.
            row = points.check_award(data, has_evidence=False, check_cap=False, categories=known)
        entries.append(key)  # stands for the entry until it is stored
        fresh.append({"idempotency_key": key, **row})
    _check_caps(fresh, households, rules)
    return entries, fresh


def _villages(households: dict[int, Household]) -> set[int]:
    return {h.village_id for h in households.values()}


def _stored(keys: list[str]) -> dict[str, PointsEntry]:
    found = db.session.scalars(select(PointsEntry).where(PointsEntry.idempotency_key.in_(set(keys))))
    return {entry.idempotency_key: entry for entry in found}


@contextmanager
def _naming(household: Household | None) -> Iterator[None]:
    """Prefix an error with the household it is about."""
    try:
        yield
    except AppError as error:
        label = f"{household.number}户：" if household else ""
        raise type(error)(f"{label}{error.message}", field=error.field) from None


def _check_caps(fresh: list[dict], households: dict[int, Household], rules: dict[int, PointsRule]) -> None:
    """Each capped rule's cap (P1), for every household of the batch, with one sum per rule and period.

    Runs under the rules' locks (taken by ``award_many``), so the sums count every award before.
    """
    by_rule: dict[tuple[int, date, date], list[dict]] = defaultdict(list)
    for row in fresh:
        rule = rules.get(row["rule_id"])
        if rule is not None and rule.cap_points and row["points"] > 0:
            by_rule[(rule.id, *points.cap_window(rule, row["occurred_on"]))].append(row)
    for (rule_id, start, end), group in by_rule.items():
        rule = rules[rule_id]
        so_far = dict(
            db.session.execute(
                select(PointsEntry.household_id, func.sum(PointsEntry.points))
                .where(
                    PointsEntry.household_id.in_({row["household_id"] for row in group}),
                    PointsEntry.rule_id == rule_id,
                    PointsEntry.occurred_on >= start,
                    PointsEntry.occurred_on < end,
                )
                .group_by(PointsEntry.household_id)
            ).all()
        )
        for row in group:
            had = so_far.get(row["household_id"], 0)
            with _naming(households[row["household_id"]]):
                points.refuse_over_cap(rule, had, row["points"])
            so_far[row["household_id"]] = had + row["points"]  # a household twice in one batch
