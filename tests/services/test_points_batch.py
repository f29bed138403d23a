"""Issue 10 item 3: a bulk award costs the same handful of statements for five households or
forty (not ~six per household: 6,000 at the 1,000-household cap, under the rule's lock), and
``outbox.notify_many`` looks the stored notices up once, not once per recipient."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import Notification, PointsEntry, PointsRule
from app.services import clock, dispatch, outbox, standings
from app.services.points import AwardInput
from app.services.points_many import award_many
from tests.helpers import make_household, make_village, statements
from tests.push_helpers import bind


def user(n: int) -> dict:
    return {"openid": f"oTestBatch{n:019d}", "mp_openid": f"oMpBatch{n:021d}", "unionid": None}


@pytest.fixture
def handed_off(monkeypatch):
    """The after-commit hand-offs, recorded instead of delivered: this counts the award's statements."""
    sent = []
    monkeypatch.setattr(dispatch, "send", lambda name, *args: name.startswith("push.") and sent.append(args[0]))
    return sent


@pytest.fixture
def village(db, handed_off):
    v = make_village("大苍村")
    rule = PointsRule(village_id=v.id, category="志愿服务", item="参加防汛值守", points=6, cap_points=12,
                      cap_period="month")  # fmt: skip
    db.session.add(rule)
    db.session.commit()
    return v, rule


def households(village, start: int, count: int) -> list:
    made = []
    for i in range(start, start + count):
        household = make_household(village, f"03{i:04d}", members=2)
        bind(household.members[0], user(i))  # every household has someone to tell
        made.append(household)
    return made


def batch(rule, chosen, tag: str) -> list[AwardInput]:
    return [
        AwardInput(household_id=h.id, points=None, reason="", occurred_on=clock.today(), recorded_by="王会计",
                   rule_id=rule.id, idempotency_key=f"bulk:{tag}:{h.id}")
        for h in chosen
    ]  # fmt: skip


def test_a_bulk_award_runs_the_same_statements_for_five_or_forty_households(village, handed_off):
    v, rule = village
    few, many = households(v, 0, 5), households(v, 100, 40)
    small_batch, large_batch = batch(rule, few, "a"), batch(rule, many, "b")
    db.session.expunge_all()  # as in a request: nothing of these households is in the session yet
    with statements() as small:
        award_many(small_batch)
    db.session.expunge_all()
    with statements() as large:
        stored = award_many(large_batch)
    assert len(large) == len(small), "\n".join(large)
    assert len(large) <= 25
    inserts = [s for s in large if s.lstrip().upper().startswith("INSERT INTO POINTS_ENTRIES")]
    assert len(inserts) == 1
    # And it did everything the per-household path did: entries, totals, one notice each.
    assert len(stored) == 40 and all(e.id for e in stored)
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(PointsEntry)) == 45
    assert db.session.scalar(select(func.count()).select_from(Notification)) == 45
    assert sorted(handed_off) == sorted(db.session.scalars(select(Notification.id)))  # each one sent after commit
    totals = standings.totals_for("household", [a.household_id for a in large_batch])
    assert {t["month"] for t in totals.values()} == {6}


def test_a_retried_batch_is_one_lookup_and_stores_nothing_twice(village):
    v, rule = village
    chosen = households(v, 0, 10)
    first = [e.id for e in award_many(batch(rule, chosen, "a"))]
    retry = batch(rule, chosen, "a")
    db.session.expunge_all()
    with statements() as seen:
        again = award_many(retry)
    assert [e.id for e in again] == first
    assert not [s for s in seen if s.lstrip().upper().startswith("INSERT")]
    assert len(seen) <= 8


def test_the_cap_is_still_checked_for_every_household_of_a_batch(village):
    v, rule = village
    chosen = households(v, 0, 3)
    award_many(batch(rule, chosen, "a"))
    award_many(batch(rule, chosen, "b"))  # 12: at the cap
    from app.errors import ValidationError

    with pytest.raises(ValidationError, match="030000户：“参加防汛值守”本月每户最多12分，这一户已得12分"):
        award_many(batch(rule, chosen, "c"))
    assert db.session.scalar(select(func.count()).select_from(PointsEntry)) == 6


def test_notify_many_costs_the_same_statements_for_two_or_twelve_recipients(village):
    v, _rule = village
    people = [h.members[0].id for h in households(v, 0, 14)]

    def notices(ids):
        return [outbox.Notice(pid, "test", "通知", "正文", f"batch:{pid}") for pid in ids]

    with statements() as two:
        outbox.notify_many(notices(people[:2]))
    with statements() as twelve:
        outbox.notify_many(notices(people[2:]))
    assert len(twelve) == len(two) <= 3, "\n".join(twelve)
    again = outbox.notify_many(notices(people))  # the same keys: the stored rows, nothing new
    db.session.commit()
    assert len({n.id for n in again}) == 14
    assert db.session.scalar(select(func.count()).select_from(Notification)) == 14
